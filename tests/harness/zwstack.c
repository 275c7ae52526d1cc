/* The zwfw daemons of an integration test (zwstack.h). */
#include "zwstack.h"

#include "zwproc.h"
#include "zwtest.h"

#include "clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
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

/* ---- the daemons' arguments ------------------------------------------------------------- */

enum { S_BROKER = 1, S_INTAKE = 2, S_WORKFLOW = 4, S_RATING = 8, S_REPORT = 16 };
#define S_WORKERS (S_INTAKE | S_WORKFLOW | S_RATING | S_REPORT)

static const struct {
    const char *prog;
    unsigned bit;
    bool migrates; /* --migrate true */
} s_daemons[] = {
    {"zwfw-broker", S_BROKER, false},     {"zwfw-intake", S_INTAKE, true},
    {"zwfw-workflow", S_WORKFLOW, false}, {"zwfw-rating", S_RATING, true},
    {"zwfw-report", S_REPORT, false},
};

/* One option of zwt_daemon_opts_t: its flag and where its value is (a
 * string, or an int when `number`). */
typedef struct {
    const char *flag;
    size_t offset;
    bool number;
} s_option_t;

/* An s_option_t, text or number. */
/* clang-format off */
#define S_TEXT(flag, field) {flag, offsetof(zwt_daemon_opts_t, field), false}
#define S_NUMBER(flag, field) {flag, offsetof(zwt_daemon_opts_t, field), true}
/* clang-format on */

/* The options by the daemons that take them, in the order they are
 * passed. */
static const struct {
    unsigned takers;
    s_option_t options[6]; /* up to the first NULL flag */
} s_groups[] = {
    {S_BROKER | S_WORKERS, {S_TEXT("--config", config), S_NUMBER("--heartbeat-ms", heartbeat_ms)}},
    {S_BROKER,
     {S_TEXT("--endpoint", endpoint), S_TEXT("--plain-role", plain_role),
      S_TEXT("--plain-key-id", plain_key_id), S_TEXT("--plain-region", plain_region),
      S_TEXT("--plain-department", plain_department)}},
    {S_WORKERS,
     {S_TEXT("--db-conninfo", conninfo), S_TEXT("--broker-endpoint", brokers),
      S_TEXT("--clock-mode", clock_mode), S_NUMBER("--threads", threads),
      S_TEXT("--log-level", log_level)}},
    {S_INTAKE | S_WORKFLOW | S_RATING, {S_TEXT("--pub-endpoint", pub_endpoint)}},
    {S_WORKFLOW | S_RATING, {S_NUMBER("--relay-idle-ms", relay_idle_ms)}},
    {S_INTAKE,
     {S_TEXT("--pii-key-file", pii_key_file), S_TEXT("--workflow-endpoints", workflow_endpoints),
      S_NUMBER("--workflow-quiet-ms", workflow_quiet_ms)}},
    {S_WORKFLOW,
     {S_TEXT("--intake-pub-endpoint", intake_pub_endpoint),
      S_NUMBER("--consumer-quiet-ms", consumer_quiet_ms)}},
    {S_RATING,
     {S_NUMBER("--case-workdays", case_workdays), S_NUMBER("--sweep-ms", sweep_ms),
      S_NUMBER("--clock-poll-ms", clock_poll_ms)}},
};

#define S_COUNT(array) (sizeof(array) / sizeof(array)[0])

typedef struct {
    const char *argv[S_MAX_ARGS + 1];
    char nums[S_MAX_ARGS / 2 + 1][16]; /* a number's text, at its flag's index / 2 */
    int n;
} s_args_t;

static void s_push(s_args_t *a, const char *arg)
{
    if (a->n >= S_MAX_ARGS)
        fail_msg("more than %d arguments", S_MAX_ARGS);
    a->argv[a->n++] = arg;
}

/* The text of opt's value in o (a number's written into a); NULL for a
 * NULL string or a 0 number, which leave the option out. */
static const char *s_value(s_args_t *a, const zwt_daemon_opts_t *o, const s_option_t *opt)
{
    const char *field = (const char *) o + opt->offset;
    if (!opt->number)
        return *(const char *const *) field;
    int value = *(const int *) field;
    if (value == 0)
        return NULL;
    char *text = a->nums[a->n / 2]; /* a->n <= S_MAX_ARGS */
    snprintf(text, sizeof a->nums[0], "%d", value);
    return text;
}

pid_t zwt_stack_daemon(zwt_stack_t *st, const char *prog, const zwt_daemon_opts_t *o)
{
    size_t d = 0;
    while (d < S_COUNT(s_daemons) && strcmp(s_daemons[d].prog, prog) != 0)
        d++;
    if (d == S_COUNT(s_daemons))
        fail_msg("zwt_stack_daemon: %s is not a zwfw daemon", prog);
    s_args_t a = {.n = 0};
    for (size_t g = 0; g < S_COUNT(s_groups); g++)
        for (const s_option_t *opt = s_groups[g].options; opt->flag; opt++) {
            const char *value = s_value(&a, o, opt);
            if (!value)
                continue;
            if (!(s_groups[g].takers & s_daemons[d].bit))
                fail_msg("%s takes no %s (given %s)", prog, opt->flag, value);
            s_push(&a, opt->flag);
            s_push(&a, value);
        }
    if (s_daemons[d].migrates) {
        s_push(&a, "--migrate");
        s_push(&a, "true");
    }
    for (int i = 0; o->extra && o->extra[i]; i++)
        s_push(&a, o->extra[i]);
    a.argv[a.n] = NULL;
    return zwt_stack_start(st, prog, a.argv);
}

pid_t zwt_stack_broker(zwt_stack_t *st, const zwt_broker_opts_t *o)
{
    return zwt_stack_daemon(st, "zwfw-broker", o);
}

pid_t zwt_stack_intake(zwt_stack_t *st, const zwt_intake_opts_t *o)
{
    return zwt_stack_daemon(st, "zwfw-intake", o);
}

pid_t zwt_stack_workflow(zwt_stack_t *st, const zwt_workflow_opts_t *o)
{
    return zwt_stack_daemon(st, "zwfw-workflow", o);
}

pid_t zwt_stack_rating(zwt_stack_t *st, const zwt_rating_opts_t *o)
{
    return zwt_stack_daemon(st, "zwfw-rating", o);
}

pid_t zwt_stack_report(zwt_stack_t *st, const zwt_report_opts_t *o)
{
    return zwt_stack_daemon(st, "zwfw-report", o);
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
