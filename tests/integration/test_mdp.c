/* The MDP client and worker libraries through the real zwfw-broker, with
 * zwfw-echo workers and zwfwctl as processes: request/reply, many requests
 * in flight, load sharing, a worker killed mid-request, a broker restart,
 * fail-over between brokers, an unknown service, health, and the CLI.
 *
 * Every process started here is stopped in the test's teardown (SIGTERM,
 * and a clean exit is required, so leaks under ASan fail the test), and
 * dies with the test process if that is killed (PR_SET_PDEATHSIG). */
#include "zwproc.h"
#include "zwstack.h"
#include "zwtest.h"

#include "clock.h"
#include "mdp_client.h"
#include "zwfw/v1/common.pb-c.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_HB 250 /* heartbeat for broker and workers: failures show fast */
#define S_TEXT(x) S_TEXT_(x)
#define S_TEXT_(x) #x

typedef struct {
    void *ctx;
    zw_client_t *client;
    char dir[64];
    char ep[64];
    zwt_stack_t procs; /* every process, stopped in teardown */
} s_stack_t;

static zw_client_t *s_client(s_stack_t *s, const char *const *eps, size_t n, int timeout,
                             int retries)
{
    zw_err_t err;
    zw_client_t *c = zw_client_new(s->ctx, eps, n, &err);
    assert_non_null(c);
    zw_client_set_timeout(c, timeout);
    zw_client_set_retries(c, retries);
    return c;
}

/* Waits until the broker at ep answers mmi.service for `service` with 200. */
static void s_wait_service(s_stack_t *s, const char *ep, const char *service)
{
    assert_true(zwt_stack_wait_service(&s->procs, s->ctx, ep, service, 15000));
}

/* busy_timeout_ms: --busy-timeout-ms, unless NULL. */
static pid_t s_start_broker(s_stack_t *s, const char *ep, const char *busy_timeout_ms)
{
    const char *extra[] = {"--request-wait-ms", "1500",
                           busy_timeout_ms ? "--busy-timeout-ms" : NULL, busy_timeout_ms, NULL};
    return zwt_stack_broker(
        &s->procs, &(zwt_broker_opts_t){.endpoint = ep, .heartbeat_ms = S_HB, .extra = extra});
}

static pid_t s_start_echo(s_stack_t *s, const char *service, const char *workers,
                          const char *delay_ms)
{
    const char *args[] = {"--endpoint", s->ep,    "--service",      service,
                          "--workers",  workers,  "--heartbeat-ms", S_TEXT(S_HB),
                          "--delay-ms", delay_ms, "--log-level",    "debug",
                          NULL};
    return zwt_stack_start(&s->procs, "zwfw-echo", args);
}

static int s_setup(void **state)
{
    s_stack_t *s = calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/zwt-mdp-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    s->ctx = zmq_ctx_new();
    zwt_stack_init(&s->procs, s->dir);
    zwt_free_endpoint(s->ep, sizeof s->ep);
    *state = s;
    return 0;
}

/* Stops every process still running and requires a clean exit of each. */
static int s_teardown(void **state)
{
    s_stack_t *s = *state;
    zw_client_destroy(&s->client);
    int failures = zwt_stack_stop_all(&s->procs, 10000);
    zmq_ctx_term(s->ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
    free(s);
    return failures ? -1 : 0;
}

/* The pid in a HealthReply's instance "host:pid". */
static long s_health_pid(zw_client_t *c, const char *service)
{
    Zwfw__V1__HealthRequest req = ZWFW__V1__HEALTH_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    int rc = zw_client_call(c, service, &req.base, &reply, &err);
    if (rc != 0)
        fail_msg("health: %s: %s", zw_code_name(err.code), err.message);
    assert_ptr_equal(reply->descriptor, &zwfw__v1__health_reply__descriptor);
    const char *colon = strrchr(((Zwfw__V1__HealthReply *) reply)->instance, ':');
    long pid = colon ? atol(colon + 1) : -1;
    protobuf_c_message_free_unpacked(reply, NULL);
    return pid;
}

/* Asks health until each pid has answered (replicas all registered). */
static void s_wait_replicas(zw_client_t *c, const char *service, const pid_t *pids, int n)
{
    bool seen[8] = {false};
    int left = n;
    for (int i = 0; i < 400 && left > 0; i++) {
        long pid = s_health_pid(c, service);
        for (int k = 0; k < n; k++)
            if (!seen[k] && pid == pids[k]) {
                seen[k] = true;
                left--;
            }
        if (left > 0)
            zwt_nap(5);
    }
    assert_int_equal(left, 0);
}

/* ---- tests --------------------------------------------------------------- */

static void test_request_reply_and_health(void **state)
{
    s_stack_t *s = *state;
    s_start_broker(s, s->ep, NULL);
    pid_t echo = s_start_echo(s, "zwfw.echo", "2", "0");
    s_start_echo(s, "plain.echo", "1", "0");
    s_wait_service(s, s->ep, "zwfw.echo");
    s_wait_service(s, s->ep, "plain.echo");
    const char *eps[] = {s->ep};
    zw_client_t *c = s->client = s_client(s, eps, 1, 3000, 1);

    /* HealthRequest, answered by the worker library. */
    Zwfw__V1__HealthRequest hreq = ZWFW__V1__HEALTH_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    assert_int_equal(zw_client_call(c, "zwfw.echo", &hreq.base, &reply, &err), 0);
    Zwfw__V1__HealthReply *h = (Zwfw__V1__HealthReply *) reply;
    assert_string_equal(h->service, "zwfw.echo");
    assert_string_equal(h->version, ZWFW_VERSION);
    assert_false(h->has_events);
    assert_false(h->database_reachable); /* zwfw-echo has no database */
    char pid[32];
    snprintf(pid, sizeof pid, ":%d", (int) echo);
    assert_non_null(strstr(h->instance, pid));
    protobuf_c_message_free_unpacked(reply, NULL);

    /* A message round trip, decoded as the type the reply names. */
    Zwfw__V1__Region region = ZWFW__V1__REGION__INIT;
    region.code = "500152";
    region.name = "潼南区";
    assert_int_equal(zw_client_call(c, "zwfw.echo", &region.base, &reply, &err), 0);
    assert_ptr_equal(reply->descriptor, &zwfw__v1__region__descriptor);
    assert_string_equal(((Zwfw__V1__Region *) reply)->name, "潼南区");
    protobuf_c_message_free_unpacked(reply, NULL);
    /* Expecting another type is an error, not a misread. */
    assert_int_equal(zw_client_call_as(c, "zwfw.echo", &region.base,
                                       &zwfw__v1__health_reply__descriptor, &reply, &err),
                     -1);
    assert_int_equal(err.code, ZW_INTERNAL);
    assert_null(reply);

    /* An Error reply becomes -1 with the Error's code, message, detail (the
     * echo sends the Error we send it back as its reply). */
    Zwfw__V1__Error e = ZWFW__V1__ERROR__INIT;
    Zwfw__V1__Error__DetailsEntry d = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT;
    Zwfw__V1__Error__DetailsEntry *dp = &d;
    d.key = "detail";
    d.value = "applicant.phone";
    e.code = ZWFW__V1__CODE__FAILED_PRECONDITION;
    e.message = "not now";
    e.n_details = 1;
    e.details = &dp;
    assert_int_equal(zw_client_call(c, "zwfw.echo", &e.base, &reply, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(err.message, "not now");
    assert_string_equal(err.detail, "applicant.phone");

    /* Raw (plain RFC 7) service: frames byte for byte. */
    zw_frames_t *body = zw_frames_new();
    zw_frames_append_str(body, "one");
    zw_frames_append(body, "\0\1\2", 3);
    zw_frames_append(body, "", 0);
    zw_frames_t *got = NULL;
    assert_int_equal(zw_client_call_raw(c, "plain.echo", body, &got, &err), 0);
    assert_int_equal(zw_frames_count(got), 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(zw_frames_eq(got, i, zw_frames_data(body, i), zw_frames_size(body, i)));
    zw_frames_destroy(&got);
    zw_frames_destroy(&body);

    bool exists = false;
    assert_int_equal(zw_client_service_exists(c, "zwfw.echo", &exists, &err), 0);
    assert_true(exists);
    assert_int_equal(zw_client_service_exists(c, "zwfw.nobody", &exists, &err), 0);
    assert_false(exists);
}

static void test_many_in_flight(void **state)
{
    s_stack_t *s = *state;
    s_start_broker(s, s->ep, NULL);
    pid_t pids[2];
    pids[0] = s_start_echo(s, "zwfw.echo", "1", "400"); /* slow */
    s_wait_service(s, s->ep, "zwfw.echo");
    pids[1] = s_start_echo(s, "zwfw.echo", "4", "0");
    const char *eps[] = {s->ep};
    zw_client_t *c = s->client = s_client(s, eps, 1, 10000, 0);
    s_wait_replicas(c, "zwfw.echo", pids, 2); /* health skips the delay */

    enum { N = 40 };
    char ids[N][ZW_CLIENT_ID_LEN];
    zw_err_t err;
    for (int i = 0; i < N; i++) {
        char data[32];
        snprintf(data, sizeof data, "payload-%d", i);
        assert_int_equal(
            zw_client_send(c, "zwfw.echo", "zwfw.testing.Blob", data, strlen(data), ids[i], &err),
            0);
    }
    assert_int_equal(zw_client_pending(c), N);
    bool done[N] = {false};
    int out_of_order = 0, highest = -1;
    for (int k = 0; k < N; k++) {
        zw_client_reply_t *r = zw_client_recv(c, 10000, &err);
        assert_non_null(r);
        assert_int_equal(r->err.code, ZW_OK);
        int i = -1;
        for (int j = 0; j < N; j++)
            if (strcmp(ids[j], r->request_id) == 0)
                i = j;
        assert_true(i >= 0);
        assert_false(done[i]);
        done[i] = true;
        char want[32];
        snprintf(want, sizeof want, "payload-%d", i);
        assert_string_equal(r->type, "zwfw.testing.Blob");
        assert_int_equal(r->len, strlen(want));
        assert_memory_equal(r->data, want, r->len);
        if (i < highest)
            out_of_order++;
        else
            highest = i;
        zw_client_reply_destroy(&r);
    }
    assert_int_equal(zw_client_pending(c), 0);
    /* The slow replica held at least one early request past later ones. */
    assert_true(out_of_order > 0);
}

static void test_load_shared_by_replicas(void **state)
{
    s_stack_t *s = *state;
    s_start_broker(s, s->ep, NULL);
    pid_t pids[2];
    pids[0] = s_start_echo(s, "zwfw.echo", "1", "0");
    pids[1] = s_start_echo(s, "zwfw.echo", "1", "0");
    const char *eps[] = {s->ep};
    zw_client_t *c = s->client = s_client(s, eps, 1, 3000, 1);
    s_wait_service(s, s->ep, "zwfw.echo");
    s_wait_replicas(c, "zwfw.echo", pids, 2);
    int counts[2] = {0, 0};
    for (int i = 0; i < 40; i++) {
        long pid = s_health_pid(c, "zwfw.echo");
        counts[pid == pids[0] ? 0 : 1]++;
        assert_true(pid == pids[0] || pid == pids[1]);
    }
    assert_true(counts[0] >= 10);
    assert_true(counts[1] >= 10);
}

static void test_worker_killed_mid_request(void **state)
{
    s_stack_t *s = *state;
    s_start_broker(s, s->ep, "2000");
    pid_t slow = s_start_echo(s, "zwfw.echo", "1", "60000");
    s_wait_service(s, s->ep, "zwfw.echo");
    const char *eps[] = {s->ep};
    zw_client_t *c = s->client = s_client(s, eps, 1, 1000, 5);
    char id[ZW_CLIENT_ID_LEN];
    zw_err_t err;
    assert_int_equal(zw_client_send(c, "zwfw.echo", "zwfw.testing.Blob", "keep me", 7, id, &err),
                     0);
    /* Wait until the slow replica holds the request. */
    const char *log = zwt_stack_log(&s->procs, slow);
    int64_t until = zw_mono_ms() + 10000;
    while (!zwt_file_has(log, id) && zw_mono_ms() < until)
        zwt_nap(10);
    assert_true(zwt_file_has(log, id));
    zwt_stack_kill(&s->procs, slow);
    pid_t fast = s_start_echo(s, "zwfw.echo", "1", "0");
    zw_client_reply_t *r = zw_client_wait(c, id, &err);
    assert_non_null(r);
    if (r->err.code != ZW_OK)
        fail_msg("retry failed: %s: %s", zw_code_name(r->err.code), r->err.message);
    assert_int_equal(r->len, 7);
    assert_memory_equal(r->data, "keep me", 7);
    zw_client_reply_destroy(&r);
    assert_int_equal(s_health_pid(c, "zwfw.echo"), fast);
}

static void test_broker_restart(void **state)
{
    s_stack_t *s = *state;
    pid_t broker = s_start_broker(s, s->ep, NULL);
    s_start_echo(s, "zwfw.echo", "2", "0");
    s_wait_service(s, s->ep, "zwfw.echo");
    const char *eps[] = {s->ep};
    zw_client_t *c = s->client = s_client(s, eps, 1, 700, 8);
    assert_true(s_health_pid(c, "zwfw.echo") > 0);

    zwt_stack_kill(&s->procs, broker);
    char id[ZW_CLIENT_ID_LEN];
    zw_err_t err;
    assert_int_equal(zw_client_send(c, "zwfw.echo", "zwfw.testing.Blob", "after", 5, id, &err), 0);
    /* The first try goes unanswered... */
    assert_null(zw_client_recv(c, 900, &err));
    assert_int_equal(err.code, ZW_DEADLINE_EXCEEDED);
    /* ...a retry after the broker is back is served once the workers have
     * registered again. */
    s_start_broker(s, s->ep, NULL);
    zw_client_reply_t *r = zw_client_wait(c, id, &err);
    assert_non_null(r);
    if (r->err.code != ZW_OK)
        fail_msg("after restart: %s: %s", zw_code_name(r->err.code), r->err.message);
    assert_memory_equal(r->data, "after", 5);
    zw_client_reply_destroy(&r);
}

static void test_failover_between_brokers(void **state)
{
    s_stack_t *s = *state;
    char ep2[64], dead[64];
    zwt_free_endpoint(ep2, sizeof ep2);
    zwt_free_endpoint(dead, sizeof dead);
    pid_t b1 = s_start_broker(s, s->ep, NULL);
    s_start_broker(s, ep2, NULL);
    /* One echo registered with both brokers. */
    const char *args[] = {"--endpoint",     s->ep,        "--endpoint", ep2, "--workers", "2",
                          "--heartbeat-ms", S_TEXT(S_HB), NULL};
    zwt_stack_start(&s->procs, "zwfw-echo", args);
    s_wait_service(s, s->ep, "zwfw.echo");
    s_wait_service(s, ep2, "zwfw.echo");

    /* First endpoint dead from the start. */
    const char *eps_dead[] = {dead, ep2};
    zw_client_t *c = s->client = s_client(s, eps_dead, 2, 400, 2);
    assert_true(s_health_pid(c, "zwfw.echo") > 0);
    assert_string_equal(zw_client_endpoint(c), ep2);
    zw_client_destroy(&s->client);

    /* First broker dies while in use. */
    const char *eps[] = {s->ep, ep2};
    c = s->client = s_client(s, eps, 2, 400, 2);
    assert_true(s_health_pid(c, "zwfw.echo") > 0);
    assert_string_equal(zw_client_endpoint(c), s->ep);
    zwt_stack_kill(&s->procs, b1);
    assert_true(s_health_pid(c, "zwfw.echo") > 0);
    assert_string_equal(zw_client_endpoint(c), ep2);
}

static void test_unknown_service(void **state)
{
    s_stack_t *s = *state;
    s_start_broker(s, s->ep, NULL); /* waits 1500 ms for a worker */
    const char *eps[] = {s->ep};
    zw_client_t *c = s->client = s_client(s, eps, 1, 4000, 0);
    Zwfw__V1__HealthRequest req = ZWFW__V1__HEALTH_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    assert_int_equal(zw_client_call(c, "zwfw.nosuch", &req.base, &reply, &err), -1);
    assert_int_equal(err.code, ZW_UNAVAILABLE);
    assert_null(reply);

    /* A plain service has no Error frame to get: no reply, or UNAVAILABLE. */
    zw_client_set_timeout(c, 2500);
    zw_frames_t *body = zw_frames_new();
    zw_frames_append_str(body, "hello");
    zw_frames_t *got = NULL;
    assert_int_equal(zw_client_call_raw(c, "plain.nosuch", body, &got, &err), -1);
    assert_true(err.code == ZW_DEADLINE_EXCEEDED || err.code == ZW_UNAVAILABLE);
    assert_null(got);
    zw_frames_destroy(&body);
}

/* Runs zwfwctl with args; returns its exit code, output in s->dir files. */
static int s_ctl(s_stack_t *s, const char *in_text, const char *const *args, char **out,
                 char **errout)
{
    char out_path[128], err_path[128], in_path[128];
    snprintf(out_path, sizeof out_path, "%s/ctl.out", s->dir);
    snprintf(err_path, sizeof err_path, "%s/ctl.err", s->dir);
    snprintf(in_path, sizeof in_path, "%s/ctl.in", s->dir);
    if (in_text) {
        FILE *f = fopen(in_path, "w");
        fputs(in_text, f);
        fclose(f);
    }
    char *argv[32];
    int n = 0;
    argv[n++] = strdup(zwt_bin_path("zwfwctl"));
    for (; args[n - 1] && n < 31; n++)
        argv[n] = (char *) args[n - 1];
    argv[n] = NULL;
    pid_t pid = zwt_proc_spawn(
        argv[0], argv,
        &(zwt_proc_io_t){.out = out_path, .err = err_path, .in = in_text ? in_path : NULL});
    free(argv[0]);
    int status = zwt_proc_wait(pid, 30000);
    assert_true(status != -1 && WIFEXITED(status));
    const char *paths[2] = {out_path, err_path};
    char **dst[2] = {out, errout};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "r");
        assert_non_null(f);
        *dst[i] = calloc(1, 65536);
        size_t got = fread(*dst[i], 1, 65535, f);
        (*dst[i])[got] = '\0';
        fclose(f);
    }
    return WEXITSTATUS(status);
}

static void test_zwfwctl(void **state)
{
    s_stack_t *s = *state;
    s_start_broker(s, s->ep, NULL);
    s_start_echo(s, "zwfw.echo", "2", "0");
    s_wait_service(s, s->ep, "zwfw.echo");
    char *out, *err;

    /* A JSON request, a JSON reply. */
    const char *call[] = {
        "call",      "--endpoint",     s->ep,
        "zwfw.echo", "zwfw.v1.Region", "{\"code\":\"500152\",\"name\":\"潼南区\"}",
        NULL};
    assert_int_equal(s_ctl(s, NULL, call, &out, &err), 0);
    cJSON *json = cJSON_Parse(out);
    assert_non_null(json);
    assert_string_equal(cJSON_GetObjectItem(json, "code")->valuestring, "500152");
    assert_string_equal(cJSON_GetObjectItem(json, "name")->valuestring, "潼南区");
    cJSON_Delete(json);
    free(out);
    free(err);

    /* From stdin. */
    const char *call_stdin[] = {"call",           "--endpoint", s->ep, "zwfw.echo",
                                "zwfw.v1.Region", "-",          NULL};
    assert_int_equal(s_ctl(s, "{\"code\": \"511400\"}\n", call_stdin, &out, &err), 0);
    assert_non_null(strstr(out, "511400"));
    free(out);
    free(err);

    /* An Error reply: code and message on stderr, exit 1. */
    const char *call_err[] = {"call",
                              "--endpoint",
                              s->ep,
                              "zwfw.echo",
                              "zwfw.v1.Error",
                              "{\"code\":\"NOT_FOUND\",\"message\":\"no such "
                              "item\",\"details\":{\"field\":\"itemCode\"}}",
                              NULL};
    assert_int_equal(s_ctl(s, NULL, call_err, &out, &err), 1);
    assert_non_null(strstr(err, "NOT_FOUND: no such item"));
    assert_non_null(strstr(err, "field: itemCode"));
    assert_string_equal(out, "");
    free(out);
    free(err);

    /* Bad JSON names the field; usage-class exit. */
    const char *call_bad[] = {"call",           "--endpoint",      s->ep, "zwfw.echo",
                              "zwfw.v1.Region", "{\"cod\":\"1\"}", NULL};
    assert_int_equal(s_ctl(s, NULL, call_bad, &out, &err), 2);
    assert_non_null(strstr(err, "INVALID_ARGUMENT"));
    assert_non_null(strstr(err, "cod"));
    free(out);
    free(err);

    /* No service: the broker's UNAVAILABLE. */
    const char *call_none[] = {"call", "--endpoint", s->ep, "zwfw.nosuch", "zwfw.v1.HealthRequest",
                               "{}",   NULL};
    assert_int_equal(s_ctl(s, NULL, call_none, &out, &err), 1);
    assert_non_null(strstr(err, "UNAVAILABLE"));
    free(out);
    free(err);

    /* No broker: a timeout after the retries. */
    char dead[64];
    zwt_free_endpoint(dead, sizeof dead);
    const char *call_dead[] = {"call",      "--endpoint", dead,
                               "--timeout", "200",        "--retries",
                               "1",         "zwfw.echo",  "zwfw.v1.HealthRequest",
                               "{}",        NULL};
    assert_int_equal(s_ctl(s, NULL, call_dead, &out, &err), 1);
    assert_non_null(strstr(err, "DEADLINE_EXCEEDED: no reply from zwfw.echo within 400 ms"));
    free(out);
    free(err);

    /* Usage. */
    const char *call_usage[] = {"call", "zwfw.echo", NULL};
    assert_int_equal(s_ctl(s, NULL, call_usage, &out, &err), 2);
    free(out);
    free(err);

    /* status: the standard services plus one named. */
    const char *status[] = {"status", "--endpoint", s->ep, "zwfw.echo", NULL};
    assert_int_equal(s_ctl(s, NULL, status, &out, &err), 0);
    const char *line = strstr(out, "zwfw.echo");
    assert_non_null(line);
    assert_non_null(strstr(line, " up "));
    assert_non_null(strstr(line, "version " ZWFW_VERSION));
    line = strstr(out, "zwfw.intake");
    assert_non_null(line);
    assert_true(strncmp(line + strcspn(line, " "), "    down", 8) == 0);
    free(out);
    free(err);

    const char *status_dead[] = {"status", "--endpoint", dead, "--timeout",
                                 "200",    "--retries",  "0",  NULL};
    /* nothing listens there: said at once, not after the timeout */
    assert_int_equal(s_ctl(s, NULL, status_dead, &out, &err), 1);
    assert_non_null(strstr(err, "UNAVAILABLE: no broker at"));
    assert_non_null(strstr(err, "nothing accepts connections"));
    free(out);
    free(err);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_reply_and_health, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_many_in_flight, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_load_shared_by_replicas, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_worker_killed_mid_request, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_broker_restart, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_failover_between_brokers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_service, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_zwfwctl, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
