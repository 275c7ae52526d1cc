/* zwfw-broker as a process, driven by raw libzmq sockets that play RFC 7
 * clients (DEALER and REQ) and workers (DEALER), frame by frame, so the
 * broker is checked against the spec rather than against our own client
 * and worker library. Every receive has a timeout; every broker is killed
 * in teardown, also when a test fails. */
#include "zwproc.h"
#include "zwtest.h"

#include "clock.h"
#include "mdp.h"
#include "zwfw/v1/common.pb-c.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_TIMEOUT 3000 /* ms: generous, for sanitizer builds */
#define S_QUIET 250    /* ms: how long "nothing arrives" is watched */
#define S_MAX_SOCKETS 32

/* ------------------------------------------------------------ processes */

static bool s_running(pid_t pid)
{
    int status;
    return pid > 0 && waitpid(pid, &status, WNOHANG) == 0;
}

/* ------------------------------------------------------------ test state */

typedef struct {
    char dir[128];
    char endpoint[192];
    char config[192];
    char log[192];
    pid_t pid;
    void *ctx;
    void *sockets[S_MAX_SOCKETS];
    bool passed;
} s_env_t;

static s_env_t *s_current; /* for the atexit safety net */

static void s_kill_current(void)
{
    if (s_current)
        zwt_proc_kill(&s_current->pid);
}

static void s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *s_default_config =
    "{ \"common\": { \"db_conninfo\": \"host=127.0.0.1 dbname=unused\" },\n"
    "  \"broker\": { \"heartbeat_ms\": 1000, \"liveness\": 3, \"request_wait_ms\": 400,\n"
    "    \"max_queue\": 4, \"plain_key_id\": \"test-key\", \"plain_role\": \"system\",\n"
    "    \"plain_region\": \"500152\", \"plain_department\": \"11500152MB1234567X\",\n"
    "    \"log_level\": \"debug\" } }\n";

static int s_setup_env(void **state)
{
    s_env_t *env = calloc(1, sizeof *env);
    if (!env)
        return -1;
    snprintf(env->dir, sizeof env->dir, "%s/zwfw-broker-test.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(env->dir)) {
        free(env);
        return -1;
    }
    snprintf(env->endpoint, sizeof env->endpoint, "ipc://%s/broker.sock", env->dir);
    snprintf(env->config, sizeof env->config, "%s/broker.json", env->dir);
    snprintf(env->log, sizeof env->log, "%s/broker.log", env->dir);
    env->ctx = zmq_ctx_new();
    FILE *f = fopen(env->config, "w");
    if (!f || !env->ctx)
        return -1;
    fputs(s_default_config, f);
    fclose(f);
    s_current = env;
    *state = env;
    return 0;
}

/* Stops the broker with SIGTERM; it must exit 0 promptly (under the
 * sanitizers that also means: no leak, no undefined behaviour). Falls back
 * to SIGKILL. Returns false if the exit was not clean. */
static bool s_stop_broker(s_env_t *env)
{
    return zwt_proc_stop(&env->pid, 10000, "broker");
}

static int s_teardown(void **state)
{
    s_env_t *env = *state;
    for (int i = 0; i < S_MAX_SOCKETS; i++)
        if (env->sockets[i])
            zmq_close(env->sockets[i]);
    if (!s_stop_broker(env))
        env->passed = false;
    int rc = env->passed ? 0 : -1;
    zmq_ctx_term(env->ctx);
    if (!env->passed) {
        /* A failed test shows what the broker said. */
        FILE *f = fopen(env->log, "r");
        char line[2048];
        fprintf(stderr, "---- broker log (%s)\n", env->log);
        while (f && fgets(line, sizeof line, f))
            fputs(line, stderr);
        if (f)
            fclose(f);
        fprintf(stderr, "----\n");
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", env->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", env->dir);
    s_current = NULL;
    free(env);
    return rc;
}

/* Starts the broker with --endpoint env->endpoint, --config env->config
 * (unless with_config is false) and the extra arguments, NULL-terminated. */
static pid_t s_start(s_env_t *env, bool with_config, ...)
{
    char *argv[40];
    int argc = 0;
    argv[argc++] = "zwfw-broker";
    argv[argc++] = "--endpoint";
    argv[argc++] = env->endpoint;
    if (with_config) {
        argv[argc++] = "--config";
        argv[argc++] = env->config;
    }
    va_list ap;
    va_start(ap, with_config);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 38)
        argv[argc++] = (char *) a;
    va_end(ap);
    argv[argc] = NULL;
    env->pid = zwt_proc_start("zwfw-broker", argv, env->log);
    assert_true(env->pid > 0);
    return env->pid;
}

/* ------------------------------------------------------------ frames */

static void *s_socket(s_env_t *env, int type, const char *endpoint)
{
    void *sock = zmq_socket(env->ctx, type);
    assert_non_null(sock);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(sock, endpoint ? endpoint : env->endpoint), 0);
    for (int i = 0; i < S_MAX_SOCKETS; i++)
        if (!env->sockets[i]) {
            env->sockets[i] = sock;
            return sock;
        }
    fail_msg("too many sockets");
    return NULL;
}

static void s_close(s_env_t *env, void *sock)
{
    for (int i = 0; i < S_MAX_SOCKETS; i++)
        if (env->sockets[i] == sock)
            env->sockets[i] = NULL;
    zmq_close(sock);
}

/* Asserts that nothing arrives on sock for S_QUIET ms. */
static void s_assert_quiet(void *sock)
{
    zwt_msg_t m;
    bool got = zwt_recv(sock, S_QUIET, &m);
    if (got)
        fprintf(stderr, "unexpected message of %zu frames, frame 1 '%s'\n", m.n,
                m.n > 1 ? m.data[1] : "");
    zwt_msg_free(&m);
    assert_false(got);
}

/* Asserts m is [empty]["MDPC01"][service] followed by the given body
 * strings (NULL-terminated). */
static void s_assert_reply(const zwt_msg_t *m, const char *service, ...)
{
    assert_true(zwt_is(m, 0, ""));
    assert_true(zwt_is(m, 1, ZW_MDP_CLIENT));
    assert_true(zwt_is(m, 2, service));
    va_list ap;
    va_start(ap, service);
    size_t i = 3;
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL) {
        if (!zwt_is(m, i, s))
            fail_msg("reply frame %zu: expected '%s', got '%s'", i, s,
                     i < m->n ? m->data[i] : "(none)");
        i++;
    }
    va_end(ap);
    assert_int_equal(m->n, i);
}

/* ------------------------------------------------------------ MDP roles */

/* Asks mmi.service about `service`; returns the status ("200"...) in a
 * static buffer, or NULL on timeout. */
static const char *s_mmi(void *client, const char *service, int timeout_ms)
{
    return zwt_mmi(client, 0, service, timeout_ms);
}

/* Polls mmi.service until it says `want` about service; false on timeout. */
static bool s_wait_mmi(void *client, const char *service, const char *want, int timeout_ms)
{
    return zwt_wait_mmi(client, 0, service, want, timeout_ms);
}

/* A client socket, once the broker answers MMI on it. */
static void *s_client(s_env_t *env)
{
    void *c = s_socket(env, ZMQ_DEALER, NULL);
    assert_non_null(s_mmi(c, "nothing", 10000));
    return c;
}

static void *s_worker(s_env_t *env, const char *service)
{
    void *w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x01", service, NULL);
    return w;
}

static bool s_is_command(const zwt_msg_t *m, uint8_t cmd)
{
    char c[2] = {(char) cmd, 0};
    return m->n >= 3 && zwt_is(m, 0, "") && zwt_is(m, 1, ZW_MDP_WORKER) && zwt_is(m, 2, c);
}

/* Receives the next worker message other than HEARTBEAT. */
static bool s_worker_recv(void *w, int timeout_ms, zwt_msg_t *m)
{
    int64_t end = zw_mono_ms() + timeout_ms;
    for (;;) {
        int left = (int) (end - zw_mono_ms());
        if (!zwt_recv(w, left > 0 ? left : 0, m))
            return false;
        if (!(s_is_command(m, ZW_MDPW_HEARTBEAT) && m->n == 3))
            return true;
        zwt_msg_free(m);
    }
}

/* Asserts that a worker gets nothing but heartbeats for S_QUIET ms. */
static void s_assert_no_work(void *w)
{
    zwt_msg_t m;
    bool got = s_worker_recv(w, S_QUIET, &m);
    if (got)
        fprintf(stderr, "unexpected worker message of %zu frames\n", m.n);
    zwt_msg_free(&m);
    assert_false(got);
}

/* Receives a REQUEST and checks its envelope; the body starts at frame 5. */
static void s_expect_request(void *w, zwt_msg_t *m)
{
    assert_true(s_worker_recv(w, S_TIMEOUT, m));
    assert_true(s_is_command(m, ZW_MDPW_REQUEST));
    assert_true(m->n >= 6);
    assert_true(m->len[3] > 0); /* client address */
    assert_true(zwt_is(m, 4, ""));
}

/* Replies to request req with the given body strings (NULL-terminated). */
static void s_worker_reply(void *w, const zwt_msg_t *req, ...)
{
    const void *data[ZWT_MAX_FRAMES] = {"", ZW_MDP_WORKER, "\x03", req->data[3], ""};
    size_t len[ZWT_MAX_FRAMES] = {0, 6, 1, req->len[3], 0};
    size_t n = 5;
    va_list ap;
    va_start(ap, req);
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL && n < ZWT_MAX_FRAMES) {
        data[n] = s;
        len[n++] = strlen(s);
    }
    va_end(ap);
    zwt_sendv(w, 0, n, data, len);
}

static void s_expect_disconnect(void *w)
{
    zwt_msg_t m;
    assert_true(s_worker_recv(w, S_TIMEOUT, &m));
    assert_true(s_is_command(&m, ZW_MDPW_DISCONNECT));
    assert_int_equal(m.n, 3);
    zwt_msg_free(&m);
}

static Zwfw__V1__Error *s_expect_error(void *client, const char *service, const char *request_id)
{
    zwt_msg_t m;
    assert_true(zwt_recv(client, S_TIMEOUT, &m));
    assert_int_equal(m.n, 6);
    assert_true(zwt_is(&m, 1, ZW_MDP_CLIENT));
    assert_true(zwt_is(&m, 2, service));
    assert_true(zwt_is(&m, 3, request_id));
    assert_true(zwt_is(&m, 4, ZW_ZWFW_ERROR_TYPE));
    Zwfw__V1__Error *e = zwfw__v1__error__unpack(NULL, m.len[5], (const uint8_t *) m.data[5]);
    zwt_msg_free(&m);
    assert_non_null(e);
    return e;
}

/* ------------------------------------------------------------ tests */

static void test_round_trip(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "echo");
    assert_true(s_wait_mmi(client, "echo", "200", S_TIMEOUT));

    /* DEALER client, a body of several frames, binary and empty ones too */
    const void *data[] = {"", ZW_MDP_CLIENT, "echo", "a", "", "b\0c", "dddd"};
    size_t len[] = {0, 6, 4, 1, 0, 3, 4};
    zwt_sendv(client, 0, 7, data, len);
    zwt_msg_t req;
    s_expect_request(worker, &req);
    assert_int_equal(req.n, 9); /* no Caller frame outside zwfw.* */
    assert_true(zwt_is(&req, 5, "a"));
    assert_true(zwt_is(&req, 6, ""));
    assert_int_equal(req.len[7], 3);
    assert_memory_equal(req.data[7], "b\0c", 3);
    assert_true(zwt_is(&req, 8, "dddd"));
    s_worker_reply(worker, &req, "x", "yy", NULL);
    zwt_msg_free(&req);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "echo", "x", "yy", NULL);
    zwt_msg_free(&rep);

    /* REQ client: the socket adds and strips the empty frame itself */
    void *req_client = s_socket(env, ZMQ_REQ, NULL);
    zwt_send(req_client, 0, ZW_MDP_CLIENT, "echo", "from-req", NULL);
    s_expect_request(worker, &req);
    assert_int_equal(req.n, 6);
    assert_true(zwt_is(&req, 5, "from-req"));
    s_worker_reply(worker, &req, "to-req", NULL);
    zwt_msg_free(&req);
    assert_true(zwt_recv(req_client, S_TIMEOUT, &rep));
    assert_int_equal(rep.n, 3);
    assert_true(zwt_is(&rep, 0, ZW_MDP_CLIENT));
    assert_true(zwt_is(&rep, 1, "echo"));
    assert_true(zwt_is(&rep, 2, "to-req"));
    zwt_msg_free(&rep);
    env->passed = true;
}

static void test_load_sharing_lru(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, "--request-wait-ms", "5000", NULL);
    void *client = s_client(env);
    void *w1 = s_worker(env, "lb");
    assert_true(s_wait_mmi(client, "lb", "200", S_TIMEOUT));
    void *w2 = s_worker(env, "lb");

    /* Two requests in flight: a worker holds one at a time, so each
     * worker gets one. */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "lb", "r1", NULL);
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "lb", "r2", NULL);
    zwt_msg_t q1, q2, q3;
    s_expect_request(w1, &q1);
    s_expect_request(w2, &q2);
    assert_true(zwt_is(&q1, 5, "r1") || zwt_is(&q1, 5, "r2"));
    assert_true(zwt_is(&q2, 5, "r1") || zwt_is(&q2, 5, "r2"));

    /* A third waits while both are busy, then goes to the first free one. */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "lb", "r3", NULL);
    s_assert_no_work(w1);
    s_assert_no_work(w2);
    s_worker_reply(w2, &q2, "done2", NULL);
    s_expect_request(w2, &q3);
    assert_true(zwt_is(&q3, 5, "r3"));
    s_assert_no_work(w1);
    s_worker_reply(w1, &q1, "done1", NULL);
    /* Both replies seen by the client means the broker has handled w1's
     * REPLY (w1 idle now) before w2's next one: that fixes the LRU order. */
    int seen = 0;
    for (int i = 0; i < 2; i++) {
        zwt_msg_t rep;
        assert_true(zwt_recv(client, S_TIMEOUT, &rep));
        assert_int_equal(rep.n, 4);
        assert_true(zwt_is(&rep, 2, "lb"));
        seen |= zwt_is(&rep, 3, "done1") ? 1 : zwt_is(&rep, 3, "done2") ? 2 : 0;
        zwt_msg_free(&rep);
    }
    assert_int_equal(seen, 3);
    s_worker_reply(w2, &q3, "done3", NULL);
    zwt_msg_t rep3;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep3));
    s_assert_reply(&rep3, "lb", "done3", NULL);
    zwt_msg_free(&rep3);
    zwt_msg_free(&q1);
    zwt_msg_free(&q2);
    zwt_msg_free(&q3);

    /* Least recently used first: w1 finished before w2 did, so w1 is next,
     * then w2. */
    const char *order[] = {"r4", "r5", "r6", "r7"};
    void *expect[] = {w1, w2, w1, w2};
    for (int i = 0; i < 4; i++) {
        zwt_send(client, 0, "", ZW_MDP_CLIENT, "lb", order[i], NULL);
        zwt_msg_t q;
        s_expect_request(expect[i], &q);
        assert_true(zwt_is(&q, 5, order[i]));
        s_worker_reply(expect[i], &q, order[i], NULL);
        zwt_msg_free(&q);
        zwt_msg_t rep;
        assert_true(zwt_recv(client, S_TIMEOUT, &rep));
        s_assert_reply(&rep, "lb", order[i], NULL);
        zwt_msg_free(&rep);
    }
    env->passed = true;
}

static void test_heartbeat_and_expiry(void **state)
{
    s_env_t *env = *state;
    s_start(env, false, "--heartbeat-ms", "200", "--liveness", "3", NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "hb");
    assert_true(s_wait_mmi(client, "hb", "200", S_TIMEOUT));

    /* While the worker heartbeats, the broker heartbeats back and keeps it. */
    int beats = 0;
    int64_t end = zw_mono_ms() + 1200, next_beat = 0;
    while (zw_mono_ms() < end) {
        if (zw_mono_ms() >= next_beat) {
            zwt_send(worker, 0, "", ZW_MDP_WORKER, "\x04", NULL);
            next_beat = zw_mono_ms() + 100;
        }
        zwt_msg_t m;
        if (zwt_recv(worker, 50, &m)) {
            assert_true(s_is_command(&m, ZW_MDPW_HEARTBEAT));
            assert_int_equal(m.n, 3);
            beats++;
            zwt_msg_free(&m);
        }
    }
    assert_true(beats >= 3);
    assert_string_equal(s_mmi(client, "hb", S_TIMEOUT), "200");

    /* Silent, it is expired after about heartbeat * liveness = 600 ms. */
    int64_t silent_since = zw_mono_ms();
    assert_true(s_wait_mmi(client, "hb", "404", 5000));
    int64_t took = zw_mono_ms() - silent_since;
    assert_true(took >= 400);

    /* Forgotten: its next HEARTBEAT gets DISCONNECT. */
    zwt_send(worker, 0, "", ZW_MDP_WORKER, "\x04", NULL);
    s_expect_disconnect(worker);
    env->passed = true;
}

static void test_worker_killed_mid_request(void **state)
{
    s_env_t *env = *state;
    s_start(env, false, "--heartbeat-ms", "200", NULL);
    void *client = s_client(env);
    void *w1 = s_worker(env, "kill");
    void *w2 = s_worker(env, "kill");
    assert_true(s_wait_mmi(client, "kill", "200", S_TIMEOUT));

    zwt_send(client, 0, "", ZW_MDP_CLIENT, "kill", "job", NULL);
    zmq_pollitem_t items[2] = {{w1, 0, ZMQ_POLLIN, 0}, {w2, 0, ZMQ_POLLIN, 0}};
    void *victim = NULL, *other = NULL;
    zwt_msg_t q;
    int64_t end = zw_mono_ms() + S_TIMEOUT;
    while (!victim && zw_mono_ms() < end) {
        assert_true(zmq_poll(items, 2, (int) (end - zw_mono_ms())) >= 0);
        for (int i = 0; i < 2 && !victim; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            assert_true(zwt_recv(items[i].socket, 0, &q));
            if (s_is_command(&q, ZW_MDPW_REQUEST)) {
                victim = items[i].socket;
                other = items[1 - i].socket;
            }
            zwt_msg_free(&q);
        }
    }
    assert_non_null(victim);
    s_close(env, victim); /* dies holding the request */

    /* The client retries (Lazy Pirate); the other worker serves it. */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "kill", "job", NULL);
    s_expect_request(other, &q);
    assert_true(zwt_is(&q, 5, "job"));
    s_worker_reply(other, &q, "done", NULL);
    zwt_msg_free(&q);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "kill", "done", NULL);
    zwt_msg_free(&rep);

    /* A lone worker killed mid-request is expired too, and the retry waits
     * for (and reaches) the replacement. */
    void *solo = s_worker(env, "solo");
    assert_true(s_wait_mmi(client, "solo", "200", S_TIMEOUT));
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "solo", "job2", NULL);
    s_expect_request(solo, &q);
    zwt_msg_free(&q);
    s_close(env, solo);
    assert_true(s_wait_mmi(client, "solo", "404", S_TIMEOUT));
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "solo", "job2-retry", NULL);
    void *fresh = s_worker(env, "solo");
    s_expect_request(fresh, &q);
    assert_true(zwt_is(&q, 5, "job2-retry"));
    zwt_msg_free(&q);
    env->passed = true;
}

/* A worker computing a reply sends nothing; silence alone must not cost it
 * its request. busy_timeout_ms bounds how long one request may be held. */
static void test_busy_worker_kept_until_busy_timeout(void **state)
{
    s_env_t *env = *state;
    s_start(env, false, "--heartbeat-ms", "100", "--liveness", "3", "--busy-timeout-ms", "1500",
            NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "slow");
    assert_true(s_wait_mmi(client, "slow", "200", S_TIMEOUT));

    zwt_send(client, 0, "", ZW_MDP_CLIENT, "slow", "think", NULL);
    zwt_msg_t q;
    s_expect_request(worker, &q);
    zwt_nap(700); /* silent for more than heartbeat * liveness = 300 ms */
    assert_string_equal(s_mmi(client, "slow", S_TIMEOUT), "200");
    s_worker_reply(worker, &q, "thought", NULL);
    zwt_msg_free(&q);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "slow", "thought", NULL);
    zwt_msg_free(&rep);

    /* Held past busy_timeout_ms: deleted with a DISCONNECT. */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "slow", "forever", NULL);
    s_expect_request(worker, &q);
    zwt_msg_free(&q);
    int64_t start = zw_mono_ms();
    s_expect_disconnect(worker);
    assert_true(zw_mono_ms() - start >= 1000);
    assert_string_equal(s_mmi(client, "slow", S_TIMEOUT), "404");
    env->passed = true;
}

static void test_mmi(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);
    s_worker(env, "mmisvc");
    assert_true(s_wait_mmi(client, "mmisvc", "200", S_TIMEOUT));
    assert_string_equal(s_mmi(client, "mmisvc", S_TIMEOUT), "200");
    assert_string_equal(s_mmi(client, "nosuch", S_TIMEOUT), "404");

    zwt_send(client, 0, "", ZW_MDP_CLIENT, "mmi.foo", "mmisvc", NULL);
    zwt_msg_t m;
    assert_true(zwt_recv(client, S_TIMEOUT, &m));
    s_assert_reply(&m, "mmi.foo", "501", NULL);
    zwt_msg_free(&m);

    /* As in RFC 8's reference broker: the name is the last body frame, and
     * the reply is the body with that frame replaced by the code, so a
     * tag before the name comes back. */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, ZW_MMI_SERVICE, "tag-1", "mmisvc", NULL);
    assert_true(zwt_recv(client, S_TIMEOUT, &m));
    s_assert_reply(&m, ZW_MMI_SERVICE, "tag-1", "200", NULL);
    zwt_msg_free(&m);
    zwt_send(client, 0, "", ZW_MDP_CLIENT, ZW_MMI_SERVICE, "mmisvc", "nosuch", NULL);
    assert_true(zwt_recv(client, S_TIMEOUT, &m));
    s_assert_reply(&m, ZW_MMI_SERVICE, "mmisvc", "404", NULL);
    zwt_msg_free(&m);
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "mmi.foo", "a", "", "b", NULL);
    assert_true(zwt_recv(client, S_TIMEOUT, &m));
    s_assert_reply(&m, "mmi.foo", "a", "", "501", NULL);
    zwt_msg_free(&m);

    /* A worker may not register an mmi.* name: the broker owns them. */
    void *bad = s_worker(env, "mmi.service");
    s_expect_disconnect(bad);
    env->passed = true;
}

static void test_worker_protocol_violations(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);

    /* a second READY */
    void *w = s_worker(env, "dup");
    assert_true(s_wait_mmi(client, "dup", "200", S_TIMEOUT));
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x01", "dup", NULL);
    s_expect_disconnect(w);
    assert_string_equal(s_mmi(client, "dup", S_TIMEOUT), "404");

    /* an unknown command byte from a registered worker */
    w = s_worker(env, "unk");
    assert_true(s_wait_mmi(client, "unk", "200", S_TIMEOUT));
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x09", NULL);
    s_expect_disconnect(w);
    assert_string_equal(s_mmi(client, "unk", S_TIMEOUT), "404");

    /* a REPLY with no request in flight */
    w = s_worker(env, "idle");
    assert_true(s_wait_mmi(client, "idle", "200", S_TIMEOUT));
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x03", "nobody", "", "body", NULL);
    s_expect_disconnect(w);
    assert_string_equal(s_mmi(client, "idle", S_TIMEOUT), "404");

    /* HEARTBEAT and REPLY from peers that never sent READY */
    w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x04", NULL);
    s_expect_disconnect(w);
    w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x03", "someone", "", "body", NULL);
    s_expect_disconnect(w);

    /* malformed commands: READY without or with extra frames, empty
     * service, a two-byte command, no command at all */
    w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x01", NULL);
    s_expect_disconnect(w);
    w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x01", "svc", "extra", NULL);
    s_expect_disconnect(w);
    w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x01", "", NULL);
    s_expect_disconnect(w);
    w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x01\x01", "svc", NULL);
    s_expect_disconnect(w);
    w = s_socket(env, ZMQ_DEALER, NULL);
    zwt_send(w, 0, "", ZW_MDP_WORKER, NULL);
    s_expect_disconnect(w);

    /* DISCONNECT from a worker: forgotten, and told nothing. */
    w = s_worker(env, "bye");
    assert_true(s_wait_mmi(client, "bye", "200", S_TIMEOUT));
    zwt_send(w, 0, "", ZW_MDP_WORKER, "\x05", NULL);
    assert_true(s_wait_mmi(client, "bye", "404", S_TIMEOUT));
    s_assert_no_work(w);

    /* and the broker still serves */
    w = s_worker(env, "still");
    assert_true(s_wait_mmi(client, "still", "200", S_TIMEOUT));
    env->passed = true;
}

static void test_malformed_client_messages(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "echo");
    assert_true(s_wait_mmi(client, "echo", "200", S_TIMEOUT));

    zwt_send(client, 0, "", "MDPC02", "echo", "wrong header", NULL);
    zwt_send(client, 0, "", ZW_MDP_CLIENT, NULL);         /* no service */
    zwt_send(client, 0, "\xff\x00garbage", NULL);         /* one garbage frame */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "echo", NULL); /* no body */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "", "empty service", NULL);
    zwt_send(client, 0, ZW_MDP_CLIENT, "echo", "no empty frame", NULL);
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "zwfw.test", NULL); /* zwfw, no frame at all */
    /* more frames than the broker accepts in one message */
    for (int i = 0; i < 3; i++)
        assert_true(zmq_send(client,
                             i == 0   ? ""
                             : i == 1 ? ZW_MDP_CLIENT
                                      : "echo",
                             i == 0   ? 0
                             : i == 1 ? 6
                                      : 4,
                             ZMQ_SNDMORE) >= 0);
    for (int i = 0; i < 2000; i++)
        assert_true(zmq_send(client, "x", 1, i + 1 < 2000 ? ZMQ_SNDMORE : 0) >= 0);

    /* The next good request is served, and it is the only thing served. */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "echo", "good", NULL);
    zwt_msg_t q;
    s_expect_request(worker, &q);
    assert_int_equal(q.n, 6);
    assert_true(zwt_is(&q, 5, "good"));
    s_worker_reply(worker, &q, "fine", NULL);
    zwt_msg_free(&q);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "echo", "fine", NULL);
    zwt_msg_free(&rep);
    s_assert_quiet(client);
    s_assert_no_work(worker);
    assert_true(s_running(env->pid));
    env->passed = true;
}

static void test_oversized_frame(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "echo");
    assert_true(s_wait_mmi(client, "echo", "200", S_TIMEOUT));

    void *hog = s_socket(env, ZMQ_DEALER, NULL);
    size_t big = 100u * 1024 * 1024;
    zmq_msg_t msg;
    assert_int_equal(zmq_msg_init_size(&msg, big), 0);
    memset(zmq_msg_data(&msg), 'z', big);
    assert_true(zmq_send(hog, "", 0, ZMQ_SNDMORE) >= 0);
    assert_true(zmq_send(hog, ZW_MDP_CLIENT, 6, ZMQ_SNDMORE) >= 0);
    assert_true(zmq_send(hog, "echo", 4, ZMQ_SNDMORE) >= 0);
    assert_true(zmq_msg_send(&msg, hog, 0) >= 0);

    /* Others are still served, and the worker never sees the 100 MB. */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "echo", "small", NULL);
    zwt_msg_t q;
    s_expect_request(worker, &q);
    assert_true(zwt_is(&q, 5, "small"));
    s_worker_reply(worker, &q, "ok", NULL);
    zwt_msg_free(&q);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "echo", "ok", NULL);
    zwt_msg_free(&rep);
    s_assert_no_work(worker);
    assert_true(s_running(env->pid));
    env->passed = true;
}

static void s_check_caller(const zwt_msg_t *q, const char *key_id, Zwfw__V1__Role role,
                           const char *department)
{
    Zwfw__V1__Caller *c = zwfw__v1__caller__unpack(NULL, q->len[8], (const uint8_t *) q->data[8]);
    assert_non_null(c);
    assert_string_equal(c->key_id, key_id);
    assert_int_equal(c->role, role);
    assert_string_equal(c->region, "500152");
    assert_string_equal(c->department, department);
    zwfw__v1__caller__free_unpacked(c, NULL);
}

static void test_zwfw_caller_frame(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "zwfw.test"); /* plain mode: READY accepted */
    assert_true(s_wait_mmi(client, "zwfw.test", "200", S_TIMEOUT));

    const void *data[] = {"", ZW_MDP_CLIENT, "zwfw.test", "req-1", "zwfw.v1.Ping", "\x08\x00\x01"};
    size_t len[] = {0, 6, 9, 5, 12, 3};
    zwt_sendv(client, 0, 6, data, len);
    zwt_msg_t q;
    s_expect_request(worker, &q);
    assert_int_equal(q.n, 9); /* the three body frames plus the Caller */
    assert_true(zwt_is(&q, 5, "req-1"));
    assert_true(zwt_is(&q, 6, "zwfw.v1.Ping"));
    assert_int_equal(q.len[7], 3);
    assert_memory_equal(q.data[7], "\x08\x00\x01", 3);
    s_check_caller(&q, "test-key", ZWFW__V1__ROLE__ROLE_SYSTEM, "11500152MB1234567X");
    s_worker_reply(worker, &q, "req-1", "zwfw.v1.Pong", "pong", NULL);
    zwt_msg_free(&q);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "zwfw.test", "req-1", "zwfw.v1.Pong", "pong", NULL);
    zwt_msg_free(&rep);
    env->passed = true;
}

static void test_command_line_overrides_config(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, "--plain-key-id", "cli-key", "--plain_role=window", NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "zwfw.test");
    assert_true(s_wait_mmi(client, "zwfw.test", "200", S_TIMEOUT));
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "zwfw.test", "r", "t", "b", NULL);
    zwt_msg_t q;
    s_expect_request(worker, &q);
    assert_int_equal(q.n, 9);
    s_check_caller(&q, "cli-key", ZWFW__V1__ROLE__ROLE_WINDOW, "11500152MB1234567X");
    zwt_msg_free(&q);
    env->passed = true;
}

/* The Error's details["detail"] ("" when it has none). */
static const char *s_error_detail(const Zwfw__V1__Error *e)
{
    for (size_t i = 0; i < e->n_details; i++)
        if (strcmp(e->details[i]->key, "detail") == 0)
            return e->details[i]->value;
    return "";
}

static void test_zwfw_wrong_frame_count(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);
    void *worker = s_worker(env, "zwfw.test");
    assert_true(s_wait_mmi(client, "zwfw.test", "200", S_TIMEOUT));

    zwt_send(client, 0, "", ZW_MDP_CLIENT, "zwfw.test", "id-2", "zwfw.v1.Ping", NULL);
    Zwfw__V1__Error *e = s_expect_error(client, "zwfw.test", "id-2");
    assert_int_equal(e->code, ZWFW__V1__CODE__INVALID_ARGUMENT);
    assert_non_null(strstr(e->message, "3 frames"));
    /* details["detail"] names what is wrong, as for every INVALID_ARGUMENT */
    assert_string_equal(s_error_detail(e), "frames");
    zwfw__v1__error__free_unpacked(e, NULL);

    zwt_send(client, 0, "", ZW_MDP_CLIENT, "zwfw.test", "id-4", "zwfw.v1.Ping", "b", "smuggled",
             NULL);
    e = s_expect_error(client, "zwfw.test", "id-4");
    assert_int_equal(e->code, ZWFW__V1__CODE__INVALID_ARGUMENT);
    zwfw__v1__error__free_unpacked(e, NULL);

    zwt_send(client, 0, "", ZW_MDP_CLIENT, "zwfw.test", "id-1", NULL);
    e = s_expect_error(client, "zwfw.test", "id-1");
    assert_int_equal(e->code, ZWFW__V1__CODE__INVALID_ARGUMENT);
    zwfw__v1__error__free_unpacked(e, NULL);

    /* more frames than the broker takes in one message: answered too (it
     * was dropped, and the client saw only its timeout) */
    const char *head[] = {"", ZW_MDP_CLIENT, "zwfw.test", "id-many"};
    for (int i = 0; i < 4; i++)
        assert_true(zmq_send(client, head[i], strlen(head[i]), ZMQ_SNDMORE) >= 0);
    for (int i = 0; i < 2000; i++)
        assert_true(zmq_send(client, "x", 1, i + 1 < 2000 ? ZMQ_SNDMORE : 0) >= 0);
    e = s_expect_error(client, "zwfw.test", "id-many");
    assert_int_equal(e->code, ZWFW__V1__CODE__INVALID_ARGUMENT);
    assert_string_equal(s_error_detail(e), "frames");
    zwfw__v1__error__free_unpacked(e, NULL);

    s_assert_no_work(worker); /* none of them reached the worker */
    env->passed = true;
}

static void test_zwfw_unavailable_and_queue_full(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL); /* request_wait_ms 400, max_queue 4 */
    void *client = s_client(env);

    int64_t start = zw_mono_ms();
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "zwfw.none", "u1", "zwfw.v1.Ping", "", NULL);
    Zwfw__V1__Error *e = s_expect_error(client, "zwfw.none", "u1");
    int64_t took = zw_mono_ms() - start;
    assert_int_equal(e->code, ZWFW__V1__CODE__UNAVAILABLE);
    assert_non_null(strstr(e->message, "no worker for service zwfw.none"));
    assert_int_equal(e->n_details, 1);
    assert_string_equal(e->details[0]->key, "service");
    assert_string_equal(e->details[0]->value, "zwfw.none");
    zwfw__v1__error__free_unpacked(e, NULL);
    assert_true(took >= 350);

    /* A name with a NUL byte is shown whole in the message (escaped), not
     * cut at the NUL, and answered under the name as sent. */
    const void *odd[] = {"", ZW_MDP_CLIENT, "zwfw.no\0ne", "u2", "zwfw.v1.Ping", ""};
    size_t odd_len[] = {0, 6, 10, 2, 12, 0};
    zwt_sendv(client, 0, 6, odd, odd_len);
    zwt_msg_t m;
    assert_true(zwt_recv(client, S_TIMEOUT, &m));
    assert_int_equal(m.n, 6);
    assert_int_equal(m.len[2], 10);
    assert_memory_equal(m.data[2], "zwfw.no\0ne", 10);
    assert_true(zwt_is(&m, 4, ZW_ZWFW_ERROR_TYPE));
    e = zwfw__v1__error__unpack(NULL, m.len[5], (const uint8_t *) m.data[5]);
    zwt_msg_free(&m);
    assert_non_null(e);
    assert_int_equal(e->code, ZWFW__V1__CODE__UNAVAILABLE);
    if (!strstr(e->message, "no worker for service zwfw.no?ne"))
        fail_msg("message: %s", e->message);
    zwfw__v1__error__free_unpacked(e, NULL);

    /* Four fit in the queue; the fifth is refused at once. */
    const char *ids[] = {"q1", "q2", "q3", "q4", "q5"};
    for (int i = 0; i < 5; i++)
        zwt_send(client, 0, "", ZW_MDP_CLIENT, "zwfw.full", ids[i], "zwfw.v1.Ping", "", NULL);
    e = s_expect_error(client, "zwfw.full", "q5");
    assert_int_equal(e->code, ZWFW__V1__CODE__RESOURCE_EXHAUSTED);
    zwfw__v1__error__free_unpacked(e, NULL);
    for (int i = 0; i < 4; i++) {
        e = s_expect_error(client, "zwfw.full", ids[i]);
        assert_int_equal(e->code, ZWFW__V1__CODE__UNAVAILABLE);
        zwfw__v1__error__free_unpacked(e, NULL);
    }
    env->passed = true;
}

static void test_plain_request_waits_then_drops(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL); /* request_wait_ms 400 */
    void *client = s_client(env);

    /* queued until a worker comes */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "late", "early bird", NULL);
    zwt_nap(100);
    void *worker = s_worker(env, "late");
    zwt_msg_t q;
    s_expect_request(worker, &q);
    assert_true(zwt_is(&q, 5, "early bird"));
    s_worker_reply(worker, &q, "worm", NULL);
    zwt_msg_free(&q);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "late", "worm", NULL);
    zwt_msg_free(&rep);

    /* after request_wait_ms without a worker: dropped, no answer (RFC 7
     * clients time out and retry), and a later worker never sees it */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "never", "lost", NULL);
    s_assert_quiet(client);
    s_assert_quiet(client); /* 500 ms > request_wait_ms */
    void *late = s_worker(env, "never");
    assert_true(s_wait_mmi(client, "never", "200", S_TIMEOUT));
    s_assert_no_work(late);
    env->passed = true;
}

static void test_signals(void **state)
{
    s_env_t *env = *state;
    s_start(env, true, NULL);
    void *client = s_client(env);
    s_worker(env, "echo");
    assert_true(s_wait_mmi(client, "echo", "200", S_TIMEOUT));
    /* something queued too, so shutdown frees every kind of state */
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "queued", "x", NULL);
    assert_string_equal(s_mmi(client, "queued", S_TIMEOUT), "404");

    /* SIGHUP reloads (log level) and keeps serving */
    /* same settings, another log level: only log_level may change on reload */
    char *text = strdup(s_default_config);
    assert_non_null(text);
    char *level = strstr(text, "\"debug\"");
    assert_non_null(level);
    memcpy(level, "\"info\" ", 7);
    s_write_file(env->config, text);
    free(text);
    assert_int_equal(kill(env->pid, SIGHUP), 0);
    assert_string_equal(s_mmi(client, "echo", S_TIMEOUT), "200");

    int64_t start = zw_mono_ms();
    assert_int_equal(kill(env->pid, SIGTERM), 0);
    int status = zwt_proc_wait(env->pid, 5000);
    assert_true(status != -1);
    env->pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(zw_mono_ms() - start < 3000);

    s_start(env, false, NULL);
    s_client(env);
    assert_int_equal(kill(env->pid, SIGINT), 0);
    status = zwt_proc_wait(env->pid, 5000);
    assert_true(status != -1);
    env->pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    FILE *f = fopen(env->log, "r");
    assert_non_null(f);
    char line[4096];
    bool reloaded = false, started = false;
    while (fgets(line, sizeof line, f)) {
        reloaded |= strstr(line, "config reloaded") != NULL;
        started |= strstr(line, "broker started") != NULL && strstr(line, "plain") != NULL;
    }
    fclose(f);
    assert_true(reloaded);
    assert_true(started);
    env->passed = true;
}

static void test_tcp_without_config(void **state)
{
    s_env_t *env = *state;
    char tcp[64], ipc[192];
    snprintf(tcp, sizeof tcp, "tcp://127.0.0.1:%d", zwt_free_port());
    snprintf(ipc, sizeof ipc, "%s", env->endpoint);
    snprintf(env->endpoint, sizeof env->endpoint, "%s", tcp);
    s_start(env, false, "--endpoint", ipc, NULL); /* two endpoints */
    void *client = s_client(env);
    void *worker = s_socket(env, ZMQ_DEALER, ipc);
    zwt_send(worker, 0, "", ZW_MDP_WORKER, "\x01", "echo", NULL);
    assert_true(s_wait_mmi(client, "echo", "200", S_TIMEOUT));
    zwt_send(client, 0, "", ZW_MDP_CLIENT, "echo", "over tcp", NULL);
    zwt_msg_t q;
    s_expect_request(worker, &q);
    s_worker_reply(worker, &q, "over ipc", NULL);
    zwt_msg_free(&q);
    zwt_msg_t rep;
    assert_true(zwt_recv(client, S_TIMEOUT, &rep));
    s_assert_reply(&rep, "echo", "over ipc", NULL);
    zwt_msg_free(&rep);
    env->passed = true;
}

/* Runs the broker with argv and expects it to exit at once with `code`. */
static void s_expect_exit(s_env_t *env, int code, char *const argv[])
{
    pid_t pid = zwt_proc_start("zwfw-broker", argv, env->log);
    env->pid = pid;
    int status = zwt_proc_wait(pid, 5000);
    if (status == -1)
        fail_msg("broker did not exit for %s %s", argv[1], argv[2] ? argv[2] : "");
    env->pid = 0;
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != code)
        fail_msg("%s %s: exit %d, expected %d", argv[1], argv[2] ? argv[2] : "",
                 WEXITSTATUS(status), code);
}

static void test_refuses_bad_endpoints_and_config(void **state)
{
    s_env_t *env = *state;
    char port[16];
    snprintf(port, sizeof port, "%d", zwt_free_port());
    const char *hosts[] = {"0.0.0.0", "*", "192.168.1.1", "10.0.0.1", "localhost", "[::]", "eth0"};
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "tcp://%s:%s", hosts[i], port);
        char *argv[] = {"zwfw-broker", "--endpoint", ep, NULL};
        s_expect_exit(env, 1, argv);
    }
    char *udp[] = {"zwfw-broker", "--endpoint", "udp://127.0.0.1:5555", NULL};
    s_expect_exit(env, 1, udp);
    /* one good endpoint does not excuse a bad one */
    char wild[64];
    snprintf(wild, sizeof wild, "tcp://*:%s", port);
    char *mixed[] = {"zwfw-broker", "--endpoint", env->endpoint, "--endpoint", wild, NULL};
    s_expect_exit(env, 1, mixed);
    /* the same rule for endpoints from the config file */
    s_write_file(env->config, "{ \"broker\": { \"endpoint\": \"tcp://0.0.0.0:5555\" } }");
    char *cfg[] = {"zwfw-broker", "--config", env->config, NULL};
    s_expect_exit(env, 1, cfg);
    /* bad configuration: unknown key, bad role, bad number; unknown option */
    s_write_file(env->config, "{ \"broker\": { \"bogus\": 1 } }");
    s_expect_exit(env, 1, cfg);
    s_write_file(env->config, "{ \"broker\": { \"plain_role\": \"emperor\" } }");
    s_expect_exit(env, 1, cfg);
    s_write_file(env->config, "{ \"broker\": { \"heartbeat_ms\": 0 } }");
    s_expect_exit(env, 1, cfg);
    char *opt[] = {"zwfw-broker", "--endpoint", env->endpoint, "--no-such-option", "1", NULL};
    s_expect_exit(env, 2, opt);
    env->passed = true;
}

int main(void)
{
    atexit(s_kill_current);
    signal(SIGPIPE, SIG_IGN);
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup_env, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_round_trip),
        T(test_load_sharing_lru),
        T(test_heartbeat_and_expiry),
        T(test_worker_killed_mid_request),
        T(test_busy_worker_kept_until_busy_timeout),
        T(test_mmi),
        T(test_worker_protocol_violations),
        T(test_malformed_client_messages),
        T(test_oversized_frame),
        T(test_zwfw_caller_frame),
        T(test_command_line_overrides_config),
        T(test_zwfw_wrong_frame_count),
        T(test_zwfw_unavailable_and_queue_full),
        T(test_plain_request_waits_then_drops),
        T(test_signals),
        T(test_tcp_without_config),
        T(test_refuses_bad_endpoints_and_config),
    };
    return cmocka_run_group_tests_name("broker", tests, NULL, NULL);
}
