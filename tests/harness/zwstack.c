/* The zwfw daemons of an integration test (zwstack.h). */
#include "zwstack.h"

#include "zwproc.h"
#include "zwtest.h"

#include "clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_MAX_ARGS 64

void zwt_stack_init(zwt_stack_t *st, const char *dir)
{
    memset(st, 0, sizeof *st);
    snprintf(st->dir, sizeof st->dir, "%s", dir);
}

pid_t zwt_stack_start(zwt_stack_t *st, const char *prog, const char *const *args)
{
    if (st->n >= ZWT_STACK_MAX)
        fail_msg("more than %d processes in one stack", ZWT_STACK_MAX);
    char path[1024];
    snprintf(path, sizeof path, "%s", zwt_bin_path(prog));
    char *argv[S_MAX_ARGS + 2];
    int n = 0;
    argv[n++] = path;
    for (int i = 0; args && args[i]; i++) {
        if (n > S_MAX_ARGS)
            fail_msg("%s: more than %d arguments", prog, S_MAX_ARGS);
        argv[n++] = (char *) args[i];
    }
    argv[n] = NULL;
    char log[sizeof st->procs[0].log];
    snprintf(log, sizeof log, "%s/%s.%d.log", st->dir, prog, ++st->logs);
    zwt_daemon_t *d = &st->procs[st->n++];
    snprintf(d->name, sizeof d->name, "%s", prog);
    memcpy(d->log, log, sizeof log);
    d->pid = zwt_proc_spawn(path, argv, &(zwt_proc_io_t){.out = d->log});
    return d->pid;
}

zwt_daemon_t *zwt_stack_find(zwt_stack_t *st, pid_t pid)
{
    for (int i = 0; pid > 0 && i < st->n; i++)
        if (st->procs[i].pid == pid)
            return &st->procs[i];
    return NULL;
}

const char *zwt_stack_log(zwt_stack_t *st, pid_t pid)
{
    zwt_daemon_t *d = zwt_stack_find(st, pid);
    return d ? d->log : "";
}

bool zwt_stack_stop(zwt_stack_t *st, pid_t pid, int timeout_ms)
{
    zwt_daemon_t *d = zwt_stack_find(st, pid);
    if (!d)
        return true;
    char what[96];
    snprintf(what, sizeof what, "%s (pid %d)", d->name, (int) pid);
    bool clean = zwt_proc_stop(&d->pid, timeout_ms, what);
    if (!clean)
        zwt_dump_file(d->log);
    return clean;
}

void zwt_stack_kill(zwt_stack_t *st, pid_t pid)
{
    zwt_daemon_t *d = zwt_stack_find(st, pid);
    if (d)
        zwt_proc_kill(&d->pid);
}

int zwt_stack_stop_all(zwt_stack_t *st, int timeout_ms)
{
    int failures = 0;
    for (int i = st->n - 1; i >= 0; i--)
        if (st->procs[i].pid > 0 && !zwt_stack_stop(st, st->procs[i].pid, timeout_ms))
            failures++;
    return failures;
}

void zwt_stack_kill_all(zwt_stack_t *st)
{
    for (int i = 0; i < st->n; i++)
        zwt_stack_kill(st, st->procs[i].pid);
}

void zwt_stack_dump(const zwt_stack_t *st)
{
    for (int i = 0; i < st->n; i++)
        zwt_dump_file(st->procs[i].log);
}

bool zwt_stack_wait_listed(zwt_stack_t *st, zw_client_t *c, const char *service, pid_t pid,
                           int timeout_ms)
{
    int64_t until = zw_mono_ms() + timeout_ms;
    for (;;) {
        bool exists = false;
        zw_err_t err;
        if (zw_client_service_exists(c, service, &exists, &err) == 0 && exists)
            return true;
        int status = pid > 0 ? zwt_proc_wait(pid, 0) : -1;
        if (status != -1) {
            zwt_daemon_t *d = zwt_stack_find(st, pid);
            if (d)
                d->pid = 0;
            fprintf(stderr, "%s exited before %s was listed (wait status %d)\n",
                    d ? d->name : "process", service, status);
            break;
        }
        if (zw_mono_ms() >= until) {
            fprintf(stderr, "%s never listed\n", service);
            break;
        }
        zwt_nap(20);
    }
    zwt_stack_dump(st);
    return false;
}

bool zwt_stack_wait_service(zwt_stack_t *st, void *ctx, const char *ep, const char *service,
                            int timeout_ms)
{
    zw_err_t err;
    const char *eps[] = {ep};
    zw_client_t *c = zw_client_new(ctx, eps, 1, &err);
    if (!c)
        fail_msg("client for %s: %s", ep, err.message);
    zw_client_set_timeout(c, 300);
    zw_client_set_retries(c, 0);
    bool listed = zwt_stack_wait_listed(st, c, service, 0, timeout_ms);
    zw_client_destroy(&c);
    return listed;
}

/* ---- argument lists ------------------------------------------------------------------------ */

typedef struct {
    const char *argv[S_MAX_ARGS + 1];
    char nums[8][16]; /* the numbers' text */
    int n, nnums;
} s_args_t;

static void s_add(s_args_t *a, const char *flag, const char *value)
{
    if (!value)
        return;
    if (a->n + 2 > S_MAX_ARGS)
        fail_msg("too many arguments");
    a->argv[a->n++] = flag;
    a->argv[a->n++] = value;
}

static void s_add_int(s_args_t *a, const char *flag, int value)
{
    if (value == 0)
        return;
    if (a->nnums >= (int) (sizeof a->nums / sizeof a->nums[0]))
        fail_msg("too many numeric arguments");
    char *text = a->nums[a->nnums++];
    snprintf(text, sizeof a->nums[0], "%d", value);
    s_add(a, flag, text);
}

/* Appends extra, terminates the list and starts prog with it. */
static pid_t s_run(zwt_stack_t *st, const char *prog, s_args_t *a, const char *const *extra)
{
    for (int i = 0; extra && extra[i]; i++) {
        if (a->n + 1 > S_MAX_ARGS)
            fail_msg("too many arguments");
        a->argv[a->n++] = extra[i];
    }
    a->argv[a->n] = NULL;
    return zwt_stack_start(st, prog, a->argv);
}

static bool s_exited(zwt_stack_t *st, pid_t pid)
{
    int status;
    if (waitpid(pid, &status, WNOHANG) != pid)
        return false;
    zwt_daemon_t *d = zwt_stack_find(st, pid);
    if (d)
        d->pid = 0;
    return true;
}

bool zwt_stack_listens(zwt_stack_t *st, pid_t pid, const char *endpoint, int timeout_ms)
{
    const char *colon = strrchr(endpoint, ':');
    int port = colon ? atoi(colon + 1) : 0;
    if (port <= 0 || port > 65535)
        fail_msg("zwt_stack_listens: no port in %s", endpoint);
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        if (s_exited(st, pid))
            return false;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t) port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        bool up = fd >= 0 && connect(fd, (struct sockaddr *) &a, sizeof a) == 0;
        if (fd >= 0)
            close(fd);
        /* a refused bind ends the process at once: still running a moment
         * after a connection was accepted, the listener is this one */
        usleep(20000);
        if (up)
            return !s_exited(st, pid);
    }
    return false;
}

pid_t zwt_stack_broker(zwt_stack_t *st, const zwt_broker_opts_t *o)
{
    s_args_t a = {.n = 0};
    s_add(&a, "--config", o->config);
    s_add(&a, "--endpoint", o->endpoint);
    s_add_int(&a, "--heartbeat-ms", o->heartbeat_ms);
    s_add(&a, "--plain-role", o->plain_role);
    s_add(&a, "--plain-key-id", o->plain_key_id);
    s_add(&a, "--plain-region", o->plain_region);
    s_add(&a, "--plain-department", o->plain_department);
    return s_run(st, "zwfw-broker", &a, o->extra);
}

pid_t zwt_stack_broker_free(zwt_stack_t *st, zwt_broker_opts_t o, char *ep, size_t epsz)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        zwt_free_endpoint(ep, epsz);
        o.endpoint = ep;
        pid_t pid = zwt_stack_broker(st, &o);
        if (zwt_stack_listens(st, pid, ep, 10000))
            return pid;
    }
    fail_msg("zwfw-broker did not come up on 5 free ports");
    return -1;
}

pid_t zwt_stack_intake(zwt_stack_t *st, const zwt_intake_opts_t *o)
{
    s_args_t a = {.n = 0};
    s_add(&a, "--db-conninfo", o->conninfo);
    s_add(&a, "--broker-endpoint", o->brokers);
    s_add(&a, "--pii-key-file", o->pii_key_file);
    s_add(&a, "--clock-mode", o->clock_mode);
    s_add(&a, "--migrate", "true");
    s_add_int(&a, "--threads", o->threads);
    s_add_int(&a, "--heartbeat-ms", o->heartbeat_ms);
    s_add(&a, "--pub-endpoint", o->pub_endpoint);
    s_add(&a, "--workflow-endpoints", o->workflow_endpoints);
    s_add_int(&a, "--workflow-quiet-ms", o->workflow_quiet_ms);
    s_add(&a, "--log-level", o->log_level);
    return s_run(st, "zwfw-intake", &a, o->extra);
}

pid_t zwt_stack_workflow(zwt_stack_t *st, const zwt_workflow_opts_t *o)
{
    s_args_t a = {.n = 0};
    s_add(&a, "--config", o->config);
    s_add(&a, "--db-conninfo", o->conninfo);
    s_add(&a, "--broker-endpoint", o->brokers);
    s_add(&a, "--clock-mode", o->clock_mode);
    s_add_int(&a, "--threads", o->threads);
    s_add_int(&a, "--heartbeat-ms", o->heartbeat_ms);
    s_add(&a, "--pub-endpoint", o->pub_endpoint);
    s_add(&a, "--intake-pub-endpoint", o->intake_pub_endpoint);
    s_add_int(&a, "--consumer-quiet-ms", o->consumer_quiet_ms);
    s_add_int(&a, "--relay-idle-ms", o->relay_idle_ms);
    s_add(&a, "--log-level", o->log_level);
    return s_run(st, "zwfw-workflow", &a, o->extra);
}

pid_t zwt_stack_rating(zwt_stack_t *st, const zwt_rating_opts_t *o)
{
    s_args_t a = {.n = 0};
    s_add(&a, "--config", o->config);
    s_add(&a, "--db-conninfo", o->conninfo);
    s_add(&a, "--broker-endpoint", o->brokers);
    s_add(&a, "--clock-mode", o->clock_mode);
    s_add(&a, "--migrate", "true");
    s_add_int(&a, "--case-workdays", o->case_workdays);
    s_add_int(&a, "--sweep-ms", o->sweep_ms);
    s_add_int(&a, "--clock-poll-ms", o->clock_poll_ms);
    s_add_int(&a, "--threads", o->threads);
    s_add_int(&a, "--heartbeat-ms", o->heartbeat_ms);
    s_add(&a, "--pub-endpoint", o->pub_endpoint);
    s_add_int(&a, "--relay-idle-ms", o->relay_idle_ms);
    s_add(&a, "--log-level", o->log_level);
    return s_run(st, "zwfw-rating", &a, o->extra);
}

pid_t zwt_stack_report(zwt_stack_t *st, const zwt_report_opts_t *o)
{
    s_args_t a = {.n = 0};
    s_add(&a, "--config", o->config);
    s_add(&a, "--db-conninfo", o->conninfo);
    s_add(&a, "--broker-endpoint", o->brokers);
    s_add(&a, "--clock-mode", o->clock_mode);
    s_add_int(&a, "--threads", o->threads);
    s_add_int(&a, "--heartbeat-ms", o->heartbeat_ms);
    s_add(&a, "--log-level", o->log_level);
    return s_run(st, "zwfw-report", &a, o->extra);
}
