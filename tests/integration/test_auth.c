/* zwfw-broker in CURVE mode as a process, with a temporary key folder and
 * key registry, driven by raw libzmq sockets (CURVE clients and workers
 * written frame by frame), by our client library, by zwfw-echo as a
 * `system` worker and by zwfwctl. What it shows (DESIGN.md "Security"):
 *
 * - a registered key is served, and a zwfw.* worker sees each client's
 *   own Caller (key name, role, region, department) from its key;
 * - an unregistered key, a plain client and a client with the wrong
 *   server key hear nothing, and the broker keeps serving the others;
 * - only `system` keys may register for zwfw.* services;
 * - a key removed from the registry and reloaded (SIGHUP) is refused from
 *   then on, on new and on existing connections;
 * - a plain broker refuses 0.0.0.0 and '*'; bad key settings stop it;
 * - zwfwctl keygen writes key files safely, and zwfwctl call finds its
 *   key by option or in $ZWFW_HOME.
 *
 * Every receive has a timeout; every process is killed in teardown. */
#include "zwproc.h"
#include "zwtest.h"

#include "auth_keys.h"
#include "clock.h"
#include "mdp.h"
#include "mdp_client.h"
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_TIMEOUT 8000 /* ms: generous, for sanitizer builds on a busy machine */
#define S_QUIET 1200   /* ms watched for "nothing arrives" (a handshake included) */
#define S_MAX_SOCKETS 32
#define S_MAX_PIDS 8

extern char **environ;

/* ------------------------------------------------------------ keys */

typedef struct {
    const char *name;
    const char *role; /* NULL: never registered */
    const char *region;
    const char *department;
    zw_auth_keys_t keys;
} s_key_t;

static s_key_t s_keys[] = {
    {"echo-sys", "system", "500152", "", {{0}, {0}}},
    {"sys-2", "system", "500152", "", {{0}, {0}}},
    {"win-1", "window", "500152", "11500152MB0000001X", {{0}, {0}}},
    {"win-2", "window", "511402", "", {{0}, {0}}},
    {"head-1", "head", "500152", "11500152MB0000002X", {{0}, {0}}},
    {"op-1", "operator", "500152", "", {{0}, {0}}},
    {"rogue", NULL, "500152", "", {{0}, {0}}},
};
#define S_NKEYS (sizeof s_keys / sizeof s_keys[0])

static const s_key_t *s_key(const char *name)
{
    for (size_t i = 0; i < S_NKEYS; i++)
        if (strcmp(s_keys[i].name, name) == 0)
            return &s_keys[i];
    fail_msg("no test key %s", name);
    return NULL;
}

/* ------------------------------------------------------------ processes */

/* The environment for children: ours with `extra` ("NAME=value" strings,
 * NULL-terminated; may be NULL) replacing same-named entries. Built
 * before fork, so the child only execs. Static storage. */
static char **s_child_env(const char *const *extra)
{
    static char *envp[512];
    size_t n = 0;
    for (size_t i = 0; extra && extra[i] && n < 500; i++)
        envp[n++] = (char *) extra[i];
    for (char **e = environ; *e && n < 510; e++) {
        bool replaced = false;
        for (size_t i = 0; extra && extra[i] && !replaced; i++) {
            size_t k = strcspn(extra[i], "=");
            replaced = strncmp(*e, extra[i], k + 1) == 0;
        }
        if (!replaced)
            envp[n++] = *e;
    }
    envp[n] = NULL;
    return envp;
}

/* Starts bin/prog with argv (argv[0] is the name), stdout to `out` and
 * stderr to `err` (appended; NULL: the same file as out). Dies with us. */
static pid_t s_spawn(const char *prog, char *const argv[], const char *out, const char *err,
                     const char *const *extra_env)
{
    zwt_proc_io_t io = {.out = out, .err = err, .append = true, .envp = s_child_env(extra_env)};
    return zwt_proc_spawn(prog, argv, &io);
}

static char *s_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    char *buf = malloc(1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void s_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ------------------------------------------------------------ test state */

typedef struct {
    char dir[128];
    char keys[192];     /* dir/keys */
    char endpoint[192]; /* ipc://dir/broker.sock */
    char config[192];
    char registry[192];
    char log[192];
    char broker_secret[256];
    char broker_public[256];
    zw_auth_keys_t broker;
    pid_t broker_pid;
    pid_t pids[S_MAX_PIDS]; /* other processes (zwfw-echo) */
    void *ctx;
    void *sockets[S_MAX_SOCKETS];
    bool passed;
} s_env_t;

static s_env_t *s_current;

static void s_kill_all(void)
{
    if (!s_current)
        return;
    for (int i = 0; i < S_MAX_PIDS; i++)
        zwt_proc_kill(&s_current->pids[i]);
    zwt_proc_kill(&s_current->broker_pid);
}

/* Entries for every key with a role, except the names in omit. */
static void s_write_registry(s_env_t *env, const char *const *omit)
{
    char text[8192];
    size_t used = (size_t) snprintf(text, sizeof text, "{ \"keys\": [\n");
    bool first = true;
    for (size_t i = 0; i < S_NKEYS; i++) {
        bool skip = !s_keys[i].role;
        for (size_t j = 0; omit && omit[j] && !skip; j++)
            skip = strcmp(omit[j], s_keys[i].name) == 0;
        if (skip)
            continue;
        used += (size_t) snprintf(text + used, sizeof text - used,
                                  "%s  {\"name\": \"%s\", \"public_key\": \"%s\", \"role\": \"%s\","
                                  " \"region\": \"%s\", \"department\": \"%s\"}",
                                  first ? "" : ",\n", s_keys[i].name, s_keys[i].keys.public_key,
                                  s_keys[i].role, s_keys[i].region, s_keys[i].department);
        first = false;
    }
    snprintf(text + used, sizeof text - used, "\n] }\n");
    /* Written whole under another name, then renamed: a reload never
     * reads half a file. */
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", env->registry);
    s_write_file(tmp, text);
    assert_int_equal(rename(tmp, env->registry), 0);
}

static void s_write_config(s_env_t *env, const char *secret, const char *registry)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{ \"broker\": { \"heartbeat_ms\": 500, \"liveness\": 3, \"request_wait_ms\": 1000,\n"
             "    \"curve_secret_key_file\": \"%s\", \"key_registry_file\": \"%s\",\n"
             "    \"log_level\": \"debug\" } }\n",
             secret, registry);
    s_write_file(env->config, text);
}

static int s_setup_env(void **state)
{
    s_env_t *env = calloc(1, sizeof *env);
    if (!env)
        return -1;
    snprintf(env->dir, sizeof env->dir, "%s/zwfw-auth-test.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(env->dir))
        return -1;
    snprintf(env->keys, sizeof env->keys, "%s/keys", env->dir);
    snprintf(env->endpoint, sizeof env->endpoint, "ipc://%s/broker.sock", env->dir);
    snprintf(env->config, sizeof env->config, "%s/broker.json", env->dir);
    snprintf(env->registry, sizeof env->registry, "%s/keys.json", env->dir);
    snprintf(env->log, sizeof env->log, "%s/broker.log", env->dir);
    snprintf(env->broker_secret, sizeof env->broker_secret, "%s/broker.secret", env->keys);
    snprintf(env->broker_public, sizeof env->broker_public, "%s/broker.key", env->keys);
    s_current = env;
    *state = env;

    /* The broker's pair the way an operator makes it; the others through
     * the library (the same code). */
    char out[256], err[256];
    snprintf(out, sizeof out, "%s/keygen.out", env->dir);
    snprintf(err, sizeof err, "%s/keygen.err", env->dir);
    char *argv[] = {"zwfwctl", "keygen", "broker", "--dir", env->keys, NULL};
    pid_t pid = s_spawn("zwfwctl", argv, out, err, NULL);
    int status = zwt_proc_wait(pid, 20000);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    zw_err_t e;
    if (zw_auth_keys_load(env->broker_secret, true, &env->broker, &e) != 0) {
        fprintf(stderr, "%s\n", e.message);
        return -1;
    }
    for (size_t i = 0; i < S_NKEYS; i++)
        if (zw_auth_keys_generate(&s_keys[i].keys, &e) != 0 ||
            zw_auth_keys_save(&s_keys[i].keys, env->keys, s_keys[i].name, false, &e) != 0) {
            fprintf(stderr, "%s\n", e.message);
            return -1;
        }
    s_write_registry(env, NULL);
    s_write_config(env, env->broker_secret, env->registry);
    env->ctx = zmq_ctx_new();
    return env->ctx ? 0 : -1;
}

static void s_dump(const char *path)
{
    char *text = s_read_file(path);
    fprintf(stderr, "---- %s\n%s----\n", path, text);
    free(text);
}

static int s_teardown(void **state)
{
    s_env_t *env = *state;
    for (int i = 0; i < S_MAX_SOCKETS; i++)
        if (env->sockets[i])
            zmq_close(env->sockets[i]);
    for (int i = 0; i < S_MAX_PIDS; i++)
        if (!zwt_proc_stop(&env->pids[i], 10000, "zwfw-echo"))
            env->passed = false;
    if (!zwt_proc_stop(&env->broker_pid, 10000, "zwfw-broker"))
        env->passed = false;
    zmq_ctx_term(env->ctx);
    if (!env->passed) {
        s_dump(env->log);
        char echo_log[256];
        snprintf(echo_log, sizeof echo_log, "%s/echo.log", env->dir);
        s_dump(echo_log);
    }
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", env->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", env->dir);
    int rc = env->passed ? 0 : -1;
    s_current = NULL;
    free(env);
    return rc;
}

/* The broker with env->config and the extra arguments (NULL-terminated). */
static void s_start_broker(s_env_t *env, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "zwfw-broker";
    argv[argc++] = "--endpoint";
    argv[argc++] = env->endpoint;
    argv[argc++] = "--config";
    argv[argc++] = env->config;
    va_list ap;
    va_start(ap, env);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && argc < 30)
        argv[argc++] = (char *) a;
    va_end(ap);
    argv[argc] = NULL;
    env->broker_pid = s_spawn("zwfw-broker", argv, env->log, NULL, NULL);
    assert_true(env->broker_pid > 0);
}

/* zwfw-echo serving `service` with key `key` (its .secret in env->keys). */
static pid_t s_start_echo(s_env_t *env, const char *service, const char *key)
{
    char secret[256], log[256];
    snprintf(secret, sizeof secret, "%s/%s.secret", env->keys, key);
    snprintf(log, sizeof log, "%s/echo.log", env->dir);
    char *argv[] = {"zwfw-echo",
                    "--endpoint",
                    env->endpoint,
                    "--service",
                    (char *) service,
                    "--workers",
                    "2",
                    "--heartbeat-ms",
                    "500",
                    "--key",
                    secret,
                    "--server-key",
                    env->broker_public,
                    "--log-level",
                    "debug",
                    NULL};
    for (int i = 0; i < S_MAX_PIDS; i++)
        if (env->pids[i] == 0) {
            env->pids[i] = s_spawn("zwfw-echo", argv, log, NULL, NULL);
            return env->pids[i];
        }
    fail_msg("too many processes");
    return -1;
}

/* Runs a program to its end (20 s at most); its exit code, stdout and
 * stderr (malloc'd; the caller frees). */
static int s_run(s_env_t *env, const char *prog, char *const argv[], const char *const *extra_env,
                 char **out, char **err)
{
    char o[256], e[256];
    snprintf(o, sizeof o, "%s/run.out", env->dir);
    snprintf(e, sizeof e, "%s/run.err", env->dir);
    unlink(o);
    unlink(e);
    pid_t pid = s_spawn(prog, argv, o, e, extra_env);
    int status = zwt_proc_wait(pid, 20000);
    if (status == -1) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("%s %s did not finish", prog, argv[1]);
    }
    *out = s_read_file(o);
    *err = s_read_file(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Waits until the broker's log has a line containing `text`. */
static bool s_wait_log(s_env_t *env, const char *text, int timeout_ms)
{
    int64_t end = zw_mono_ms() + timeout_ms;
    while (zw_mono_ms() < end) {
        char *log = s_read_file(env->log);
        bool found = strstr(log, text) != NULL;
        free(log);
        if (found)
            return true;
        zwt_nap(20);
    }
    return false;
}

/* How many lines of the broker's log contain `text`. */
static int s_count_log(s_env_t *env, const char *text)
{
    char *log = s_read_file(env->log);
    int n = 0;
    for (const char *p = log; (p = strstr(p, text)) != NULL; p += strlen(text))
        n++;
    free(log);
    return n;
}

/* ------------------------------------------------------------ sockets */

static void s_track(s_env_t *env, void *sock)
{
    for (int i = 0; i < S_MAX_SOCKETS; i++)
        if (!env->sockets[i]) {
            env->sockets[i] = sock;
            return;
        }
    fail_msg("too many sockets");
}

/* A socket of `type` connected to the broker as key `name` (NULL: plain),
 * trusting `server_key` (NULL: the broker's real key). */
static void *s_socket(s_env_t *env, int type, const char *name, const char *server_key)
{
    void *sock = zmq_socket(env->ctx, type);
    assert_non_null(sock);
    s_track(env, sock);
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    if (name) {
        zw_auth_client_t c;
        memset(&c, 0, sizeof c);
        c.keys = s_key(name)->keys;
        snprintf(c.server_key, sizeof c.server_key, "%s",
                 server_key ? server_key : env->broker.public_key);
        assert_int_equal(zw_auth_client_apply(&c, sock, NULL), 0);
    }
    assert_int_equal(zmq_connect(sock, env->endpoint), 0);
    return sock;
}

static void s_close(s_env_t *env, void *sock)
{
    for (int i = 0; i < S_MAX_SOCKETS; i++)
        if (env->sockets[i] == sock)
            env->sockets[i] = NULL;
    zmq_close(sock);
}

/* mmi.service about `service`: "200", "404", or NULL when nothing came. */
static const char *s_mmi(void *client, const char *service, int timeout_ms)
{
    return zwt_mmi(client, ZMQ_DONTWAIT, service, timeout_ms);
}

/* Polls mmi.service until it says `want`; false on timeout. */
static bool s_wait_mmi(void *client, const char *service, const char *want, int timeout_ms)
{
    return zwt_wait_mmi(client, ZMQ_DONTWAIT, service, want, timeout_ms);
}

/* A client of key `name`, once the broker answers it. */
static void *s_client(s_env_t *env, const char *name)
{
    void *c = s_socket(env, ZMQ_DEALER, name, NULL);
    if (!s_mmi(c, "nothing", S_TIMEOUT))
        fail_msg("the broker does not answer key %s", name ? name : "(plain)");
    return c;
}

/* Asserts that a socket hears nothing: no answer to mmi.service. */
static void s_assert_unanswered(void *client, const char *who)
{
    const char *code = s_mmi(client, "nothing", S_QUIET);
    if (code)
        fail_msg("%s got an answer (%s); it should hear nothing", who, code);
}

static bool s_is_command(const zwt_msg_t *m, uint8_t cmd)
{
    char c[2] = {(char) cmd, 0};
    return m->n >= 3 && zwt_is(m, 0, "") && zwt_is(m, 1, ZW_MDP_WORKER) && zwt_is(m, 2, c);
}

/* The next worker message other than HEARTBEAT. */
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

static void *s_worker(s_env_t *env, const char *key, const char *service)
{
    void *w = s_socket(env, ZMQ_DEALER, key, NULL);
    zwt_send(w, ZMQ_DONTWAIT, "", ZW_MDP_WORKER, "\x01", service, NULL);
    return w;
}

static void s_expect_disconnect(void *w)
{
    zwt_msg_t m;
    assert_true(s_worker_recv(w, S_TIMEOUT, &m));
    if (!s_is_command(&m, ZW_MDPW_DISCONNECT))
        fail_msg("expected DISCONNECT, got a message of %zu frames", m.n);
    zwt_msg_free(&m);
}

/* Sends a zwfw request of type zwfw.v1.Caller (zwfw-echo answers with the
 * Caller it was given) and returns the decoded reply. */
static Zwfw__V1__Caller *s_ask_caller(void *client, const char *rid)
{
    zwt_send(client, ZMQ_DONTWAIT, "", ZW_MDP_CLIENT, "zwfw.echo", rid, "zwfw.v1.Caller", "", NULL);
    zwt_msg_t m;
    assert_true(zwt_recv(client, S_TIMEOUT, &m));
    assert_int_equal(m.n, 6);
    assert_true(zwt_is(&m, 2, "zwfw.echo"));
    assert_true(zwt_is(&m, 3, rid));
    if (!zwt_is(&m, 4, "zwfw.v1.Caller"))
        fail_msg("reply type %s", m.data[4]);
    Zwfw__V1__Caller *c = zwfw__v1__caller__unpack(NULL, m.len[5], (const uint8_t *) m.data[5]);
    zwt_msg_free(&m);
    assert_non_null(c);
    return c;
}

static void s_assert_caller(const Zwfw__V1__Caller *c, const char *name)
{
    const s_key_t *k = s_key(name);
    assert_string_equal(c->key_id, k->name);
    assert_string_equal(c->region, k->region);
    assert_string_equal(c->department, k->department);
    int role = strcmp(k->role, "window") == 0     ? ZWFW__V1__ROLE__ROLE_WINDOW
               : strcmp(k->role, "head") == 0     ? ZWFW__V1__ROLE__ROLE_HEAD
               : strcmp(k->role, "operator") == 0 ? ZWFW__V1__ROLE__ROLE_OPERATOR
               : strcmp(k->role, "system") == 0   ? ZWFW__V1__ROLE__ROLE_SYSTEM
                                                  : -1;
    assert_int_equal(c->role, role);
}

/* A PAIR socket receiving `sock`'s handshake events. */
static void *s_monitor(s_env_t *env, void *sock)
{
    static int n = 0;
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://auth-monitor-%d", n++);
    assert_int_equal(zmq_socket_monitor(
                         sock, ep,
                         ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
                     0);
    void *pair = zmq_socket(env->ctx, ZMQ_PAIR);
    assert_non_null(pair);
    s_track(env, pair);
    int zero = 0;
    zmq_setsockopt(pair, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(pair, ep), 0);
    return pair;
}

/* The first event of the monitor within timeout_ms (0 if none); its value
 * (for HANDSHAKE_FAILED_AUTH the ZAP status code) in *value. */
static int s_event(void *pair, int timeout_ms, uint32_t *value)
{
    zwt_msg_t m;
    if (!zwt_recv(pair, timeout_ms, &m))
        return 0;
    int event = 0;
    if (m.n >= 1 && m.len[0] == 6) {
        uint16_t ev;
        memcpy(&ev, m.data[0], 2);
        memcpy(value, m.data[0] + 2, 4);
        event = ev;
    }
    zwt_msg_free(&m);
    return event;
}

/* ------------------------------------------------------------ tests */

static void test_each_client_gets_its_own_caller(void **state)
{
    s_env_t *env = *state;
    s_start_broker(env, NULL);
    assert_true(s_wait_log(env, "\"mode\":\"curve\"", S_TIMEOUT));
    s_start_echo(env, "zwfw.echo", "echo-sys");
    void *win = s_client(env, "win-1");
    void *head = s_client(env, "head-1");
    assert_true(s_wait_mmi(win, "zwfw.echo", "200", S_TIMEOUT));

    /* Two roles in the same run, each request answered with its own sender. */
    for (int round = 0; round < 2; round++) {
        Zwfw__V1__Caller *a = s_ask_caller(win, "w-req");
        Zwfw__V1__Caller *b = s_ask_caller(head, "h-req");
        s_assert_caller(a, "win-1");
        s_assert_caller(b, "head-1");
        zwfw__v1__caller__free_unpacked(a, NULL);
        zwfw__v1__caller__free_unpacked(b, NULL);
    }

    /* Our client library with CURVE. */
    const char *eps[] = {env->endpoint};
    zw_err_t err;
    zw_client_t *c = zw_client_new(env->ctx, eps, 1, &err);
    assert_non_null(c);
    zw_auth_client_t curve;
    assert_int_equal(zw_auth_client_load(&curve, NULL, env->broker_public, &err), -1);
    char secret[256];
    snprintf(secret, sizeof secret, "%s/op-1.secret", env->keys);
    assert_int_equal(zw_auth_client_load(&curve, secret, env->broker_public, &err), 0);
    assert_int_equal(zw_client_set_curve(c, &curve, &err), 0);
    zw_client_set_timeout(c, S_TIMEOUT);
    Zwfw__V1__Caller ask = ZWFW__V1__CALLER__INIT;
    ProtobufCMessage *reply = NULL;
    if (zw_client_call_as(c, "zwfw.echo", &ask.base, &zwfw__v1__caller__descriptor, &reply, &err) !=
        0)
        fail_msg("client library: %s", err.message);
    s_assert_caller((const Zwfw__V1__Caller *) reply, "op-1");
    protobuf_c_message_free_unpacked(reply, NULL);
    zw_client_destroy(&c);

    /* Services outside zwfw.*: any registered key may serve; bytes pass
     * unchanged and no Caller frame is added. */
    void *w = s_worker(env, "win-1", "plain.svc");
    assert_true(s_wait_mmi(head, "plain.svc", "200", S_TIMEOUT));
    const void *data[] = {"", ZW_MDP_CLIENT, "plain.svc", "a", "b\0c"};
    size_t len[] = {0, 6, 9, 1, 3};
    zwt_sendv(head, ZMQ_DONTWAIT, 5, data, len);
    zwt_msg_t q;
    assert_true(s_worker_recv(w, S_TIMEOUT, &q));
    assert_true(s_is_command(&q, ZW_MDPW_REQUEST));
    assert_int_equal(q.n, 7); /* header (3), client, empty, two body frames */
    assert_true(zwt_is(&q, 5, "a"));
    assert_int_equal(q.len[6], 3);
    assert_memory_equal(q.data[6], "b\0c", 3);
    const void *rdata[] = {"", ZW_MDP_WORKER, "\x03", q.data[3], "", "back"};
    size_t rlen[] = {0, 6, 1, q.len[3], 0, 4};
    zwt_sendv(w, ZMQ_DONTWAIT, 6, rdata, rlen);
    zwt_msg_free(&q);
    zwt_msg_t r;
    assert_true(zwt_recv(head, S_TIMEOUT, &r));
    assert_int_equal(r.n, 4);
    assert_true(zwt_is(&r, 3, "back"));
    zwt_msg_free(&r);
    env->passed = true;
}

static void test_refused_peers_hear_nothing(void **state)
{
    s_env_t *env = *state;
    s_start_broker(env, NULL);
    void *op = s_client(env, "op-1");

    /* A key the registry does not have: ZAP says 400, the client sees
     * nothing but that handshake failure. */
    void *rogue = zmq_socket(env->ctx, ZMQ_DEALER);
    assert_non_null(rogue);
    s_track(env, rogue);
    int zero = 0;
    zmq_setsockopt(rogue, ZMQ_LINGER, &zero, sizeof zero);
    void *events = s_monitor(env, rogue);
    zw_auth_client_t c;
    memset(&c, 0, sizeof c);
    c.keys = s_key("rogue")->keys;
    memcpy(c.server_key, env->broker.public_key, sizeof c.server_key);
    assert_int_equal(zw_auth_client_apply(&c, rogue, NULL), 0);
    assert_int_equal(zmq_connect(rogue, env->endpoint), 0);
    s_assert_unanswered(rogue, "an unregistered key");
    uint32_t value = 0;
    int ev = s_event(events, S_TIMEOUT, &value);
    assert_int_equal(ev, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
    assert_int_equal(value, 400);
    assert_true(s_wait_log(env, "key not registered", S_TIMEOUT));

    /* No CURVE at all, and CURVE with a server key that is not the
     * broker's: no handshake completes. */
    void *plain = s_socket(env, ZMQ_DEALER, NULL, NULL);
    s_assert_unanswered(plain, "a plain client");
    void *wrong = s_socket(env, ZMQ_DEALER, "op-1", s_key("rogue")->keys.public_key);
    s_assert_unanswered(wrong, "a client with the wrong server key");

    /* ...and the broker serves the others all along, old and new. */
    assert_string_equal(s_mmi(op, "zwfw.echo", S_TIMEOUT), "404");
    s_client(env, "win-1");
    /* a refused worker registers nothing either */
    void *w = s_socket(env, ZMQ_DEALER, "rogue", NULL);
    zwt_send(w, ZMQ_DONTWAIT, "", ZW_MDP_WORKER, "\x01", "plain.rogue", NULL);
    zwt_nap(300);
    assert_string_equal(s_mmi(op, "plain.rogue", S_TIMEOUT), "404");
    env->passed = true;
}

static void test_only_system_keys_serve_zwfw(void **state)
{
    s_env_t *env = *state;
    s_start_broker(env, NULL);
    void *op = s_client(env, "op-1");

    void *w = s_worker(env, "win-1", "zwfw.intake");
    s_expect_disconnect(w);
    assert_string_equal(s_mmi(op, "zwfw.intake", S_TIMEOUT), "404");
    assert_true(s_wait_log(env, "key win-1 (role window) may not serve zwfw.intake", S_TIMEOUT));
    void *h = s_worker(env, "head-1", "zwfw.echo");
    s_expect_disconnect(h);

    /* zwfw-echo with a window key keeps trying, and never registers. */
    s_start_echo(env, "zwfw.echo", "win-1");
    assert_true(s_wait_log(env, "key win-1 (role window) may not serve zwfw.echo", S_TIMEOUT));
    assert_string_equal(s_mmi(op, "zwfw.echo", S_TIMEOUT), "404");

    /* A system key may. */
    s_worker(env, "sys-2", "zwfw.intake");
    assert_true(s_wait_mmi(op, "zwfw.intake", "200", S_TIMEOUT));
    assert_string_equal(s_mmi(op, "zwfw.echo", S_TIMEOUT), "404");
    env->passed = true;
}

static void test_reload_withdraws_a_key(void **state)
{
    s_env_t *env = *state;
    s_start_broker(env, NULL);
    void *op = s_client(env, "op-1");
    void *win2 = s_client(env, "win-2");
    void *sys2 = s_worker(env, "sys-2", "zwfw.tmp");
    assert_true(s_wait_mmi(op, "zwfw.tmp", "200", S_TIMEOUT));

    const char *omit[] = {"win-2", "sys-2", NULL};
    s_write_registry(env, omit);
    assert_int_equal(kill(env->broker_pid, SIGHUP), 0);
    assert_true(s_wait_log(env, "key registry reloaded", S_TIMEOUT));

    /* A worker whose key was withdrawn is disconnected at its next command
     * (sent at once: this worker sends no heartbeats of its own, and the
     * broker would expire it for that after 1.5 s anyway). */
    zwt_send(sys2, ZMQ_DONTWAIT, "", ZW_MDP_WORKER, "\x04", NULL);
    s_expect_disconnect(sys2);
    assert_true(s_wait_mmi(op, "zwfw.tmp", "404", S_TIMEOUT));
    assert_true(s_wait_log(env, "worker disconnected: key no longer registered", S_TIMEOUT));
    /* The connection admitted before the reload is served no more... */
    s_assert_unanswered(win2, "a withdrawn key on its old connection");
    /* ...nor is a new one. */
    void *win2b = s_socket(env, ZMQ_DEALER, "win-2", NULL);
    s_assert_unanswered(win2b, "a withdrawn key on a new connection");
    assert_string_equal(s_mmi(op, "nothing", S_TIMEOUT), "404");

    /* A broken registry is not taken: the one in force stays. */
    s_write_file(env->registry, "{ \"keys\": [ {\"name\": \"x\"");
    assert_int_equal(kill(env->broker_pid, SIGHUP), 0);
    assert_true(s_wait_log(env, "key registry not reloaded", S_TIMEOUT));
    assert_string_equal(s_mmi(op, "nothing", S_TIMEOUT), "404");
    s_close(env, win2b);
    win2b = s_socket(env, ZMQ_DEALER, "win-2", NULL);
    s_assert_unanswered(win2b, "a withdrawn key after a failed reload");

    /* Registered again: served again. */
    s_write_registry(env, NULL);
    int reloads = s_count_log(env, "key registry reloaded");
    assert_int_equal(kill(env->broker_pid, SIGHUP), 0);
    int64_t end = zw_mono_ms() + S_TIMEOUT;
    while (s_count_log(env, "key registry reloaded") == reloads && zw_mono_ms() < end)
        zwt_nap(20);
    assert_int_equal(s_count_log(env, "key registry reloaded"), reloads + 1);
    s_client(env, "win-2");
    env->passed = true;
}

/* Runs the broker with argv; it must exit at once with `code`. Returns
 * its output (malloc'd). */
static char *s_expect_exit(s_env_t *env, int code, char *const argv[])
{
    char *out, *err;
    int rc = s_run(env, "zwfw-broker", argv, NULL, &out, &err);
    if (rc != code)
        fail_msg("zwfw-broker %s %s: exit %d, expected %d\n%s%s", argv[1], argv[2], rc, code, out,
                 err);
    free(out);
    return err;
}

static void test_plain_mode_refuses_wildcards(void **state)
{
    s_env_t *env = *state;
    char port[16];
    snprintf(port, sizeof port, "%d", zwt_free_port());
    const char *hosts[] = {"0.0.0.0", "*"};
    for (size_t i = 0; i < 2; i++) {
        char ep[64];
        snprintf(ep, sizeof ep, "tcp://%s:%s", hosts[i], port);
        char *argv[] = {"zwfw-broker", "--endpoint", ep, NULL};
        char *err = s_expect_exit(env, 1, argv);
        assert_non_null(strstr(err, "plain mode"));
        free(err);
    }
    /* CURVE needs a handshake, which inproc:// never has. */
    char *inproc[] = {"zwfw-broker", "--config", env->config, "--endpoint", "inproc://x", NULL};
    free(s_expect_exit(env, 1, inproc));
    /* The same broker in plain mode on loopback serves as before. */
    char ep[64];
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%s", port);
    char *ok[] = {"zwfw-broker", "--endpoint", ep, NULL};
    env->broker_pid = s_spawn("zwfw-broker", ok, env->log, NULL, NULL);
    void *c = zmq_socket(env->ctx, ZMQ_DEALER);
    s_track(env, c);
    int zero = 0;
    zmq_setsockopt(c, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(c, ep), 0);
    assert_non_null(s_mmi(c, "nothing", S_TIMEOUT));
    assert_true(s_wait_log(env, "\"mode\":\"plain\"", S_TIMEOUT));
    env->passed = true;
}

static void test_bad_key_settings_stop_the_broker(void **state)
{
    s_env_t *env = *state;
    char *argv[] = {"zwfw-broker", "--endpoint", env->endpoint, "--config", env->config, NULL};
    char *err;

    /* one half of CURVE */
    s_write_config(env, env->broker_secret, "");
    err = s_expect_exit(env, 1, argv);
    assert_non_null(strstr(err, "key registry"));
    free(err);

    /* registry entries that are wrong, each named */
    s_write_config(env, env->broker_secret, env->registry);
    char text[1024];
    snprintf(text, sizeof text,
             "{\"keys\": [{\"name\": \"ok\", \"public_key\": \"%s\", \"role\": \"window\", "
             "\"region\": \"500152\"}, {\"name\": \"boss\", \"public_key\": \"%s\", "
             "\"role\": \"emperor\", \"region\": \"500152\"}]}",
             s_key("win-1")->keys.public_key, s_key("win-2")->keys.public_key);
    s_write_file(env->registry, text);
    err = s_expect_exit(env, 1, argv);
    assert_non_null(strstr(err, "entry 2 (\"boss\")"));
    assert_non_null(strstr(err, "emperor"));
    free(err);
    snprintf(text, sizeof text,
             "{\"keys\": [{\"name\": \"a\", \"public_key\": \"%s\", \"role\": \"window\", "
             "\"region\": \"500152\"}, {\"name\": \"b\", \"public_key\": \"%s\", "
             "\"role\": \"head\", \"region\": \"500152\"}]}",
             s_key("win-1")->keys.public_key, s_key("win-1")->keys.public_key);
    s_write_file(env->registry, text);
    err = s_expect_exit(env, 1, argv);
    assert_non_null(strstr(err, "entry 2 (\"b\"): public_key is also the key of entry 1"));
    free(err);
    s_write_file(env->registry, "{\"keys\": [{\"name\": \"a\", \"public_key\": \"not a key\", "
                                "\"role\": \"head\", \"region\": \"500152\"}]}");
    err = s_expect_exit(env, 1, argv);
    assert_non_null(strstr(err, "entry 1 (\"a\"): public_key is not"));
    free(err);
    s_write_registry(env, NULL);

    /* a secret key others may read */
    assert_int_equal(chmod(env->broker_secret, 0644), 0);
    err = s_expect_exit(env, 1, argv);
    assert_non_null(strstr(err, "chmod 600"));
    free(err);
    assert_int_equal(chmod(env->broker_secret, 0600), 0);

    /* a missing key file; the public file given as the secret one */
    s_write_config(env, "/nonexistent/broker.secret", env->registry);
    free(s_expect_exit(env, 1, argv));
    s_write_config(env, env->broker_public, env->registry);
    err = s_expect_exit(env, 1, argv);
    assert_non_null(strstr(err, "no secret-key"));
    free(err);
    env->passed = true;
}

static void test_zwfwctl_keys(void **state)
{
    s_env_t *env = *state;
    char *out, *err;
    char kdir[256], secret[300], pub[300];
    snprintf(kdir, sizeof kdir, "%s/k2", env->dir);
    snprintf(secret, sizeof secret, "%s/alice.secret", kdir);
    snprintf(pub, sizeof pub, "%s/alice.key", kdir);

    /* keygen: two files, the right modes, the public key on stdout */
    char *keygen[] = {"zwfwctl", "keygen", "alice", "--dir", kdir, NULL};
    assert_int_equal(s_run(env, "zwfwctl", keygen, NULL, &out, &err), 0);
    assert_int_equal(strlen(out), ZW_AUTH_Z85_LEN + 1);
    struct stat st;
    assert_int_equal(stat(secret, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(pub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    zw_auth_keys_t k;
    zw_err_t e;
    assert_int_equal(zw_auth_keys_load(secret, true, &k, &e), 0);
    assert_memory_equal(out, k.public_key, ZW_AUTH_Z85_LEN);
    free(out);
    free(err);
    /* never over an existing pair, unless --force */
    assert_int_equal(s_run(env, "zwfwctl", keygen, NULL, &out, &err), 1);
    assert_non_null(strstr(err, "exists"));
    free(out);
    free(err);
    zw_auth_keys_t same;
    assert_int_equal(zw_auth_keys_load(secret, true, &same, &e), 0);
    assert_string_equal(same.secret_key, k.secret_key);
    char *force[] = {"zwfwctl", "keygen", "alice", "--dir", kdir, "--force", NULL};
    assert_int_equal(s_run(env, "zwfwctl", force, NULL, &out, &err), 0);
    assert_int_equal(zw_auth_keys_load(secret, true, &same, &e), 0);
    assert_string_not_equal(same.secret_key, k.secret_key);
    assert_memory_equal(out, same.public_key, ZW_AUTH_Z85_LEN);
    free(out);
    free(err);
    char *bad[] = {"zwfwctl", "keygen", "../up", "--dir", kdir, NULL};
    assert_int_equal(s_run(env, "zwfwctl", bad, NULL, &out, &err), 2);
    free(out);
    free(err);

    /* call with --key and --server-key */
    s_start_broker(env, NULL);
    s_start_echo(env, "zwfw.echo", "echo-sys");
    void *op = s_client(env, "op-1");
    assert_true(s_wait_mmi(op, "zwfw.echo", "200", S_TIMEOUT));
    char op_secret[256];
    snprintf(op_secret, sizeof op_secret, "%s/op-1.secret", env->keys);
    char *call[] = {"zwfwctl",   "call",           "--endpoint",   env->endpoint,
                    "--key",     op_secret,        "--server-key", env->broker_public,
                    "zwfw.echo", "zwfw.v1.Caller", "{}",           NULL};
    const char *no_keys_env[] = {"ZWFW_KEY=", "ZWFW_SERVER_KEY=", NULL};
    int rc = s_run(env, "zwfwctl", call, no_keys_env, &out, &err);
    if (rc != 0)
        fail_msg("zwfwctl call: %d: %s", rc, err);
    assert_non_null(strstr(out, "\"op-1\""));
    assert_non_null(strstr(out, "ROLE_OPERATOR"));
    free(out);
    free(err);
    /* the server key as Z85 text works the same */
    call[7] = env->broker.public_key;
    assert_int_equal(s_run(env, "zwfwctl", call, no_keys_env, &out, &err), 0);
    assert_non_null(strstr(out, "\"op-1\""));
    free(out);
    free(err);

    /* no options: the local stack's keys in $ZWFW_HOME/keys */
    char home[256], hkeys[300], home_env[300];
    snprintf(home, sizeof home, "%s/home", env->dir);
    snprintf(hkeys, sizeof hkeys, "%s/keys", home);
    snprintf(home_env, sizeof home_env, "ZWFW_HOME=%s", home);
    assert_int_equal(mkdir(home, 0700), 0);
    assert_int_equal(zw_auth_keys_save(&s_key("win-1")->keys, hkeys, "operator", false, &e), 0);
    char hpub[320];
    snprintf(hpub, sizeof hpub, "%s/broker.key", hkeys);
    char *text = s_read_file(env->broker_public);
    s_write_file(hpub, text);
    free(text);
    char *bare[] = {"zwfwctl", "call",      "--endpoint",     env->endpoint, "--timeout",
                    "3000",    "zwfw.echo", "zwfw.v1.Caller", "{}",          NULL};
    const char *home_keys[] = {home_env, "ZWFW_KEY=", "ZWFW_SERVER_KEY=", NULL};
    rc = s_run(env, "zwfwctl", bare, home_keys, &out, &err);
    if (rc != 0)
        fail_msg("zwfwctl call with $ZWFW_HOME keys: %d: %s", rc, err);
    assert_non_null(strstr(out, "\"win-1\""));
    free(out);
    free(err);
    /* $ZWFW_KEY and $ZWFW_SERVER_KEY come before $ZWFW_HOME */
    char key_env[300], server_env[300];
    snprintf(key_env, sizeof key_env, "ZWFW_KEY=%s", op_secret);
    snprintf(server_env, sizeof server_env, "ZWFW_SERVER_KEY=%s", env->broker_public);
    const char *env_keys[] = {home_env, key_env, server_env, NULL};
    assert_int_equal(s_run(env, "zwfwctl", bare, env_keys, &out, &err), 0);
    assert_non_null(strstr(out, "\"op-1\""));
    free(out);
    free(err);
    /* --plain: nothing is heard, and the timeout says so */
    char *plain[] = {"zwfwctl",        "call", "--plain",   "--endpoint", env->endpoint,
                     "--timeout",      "300",  "--retries", "0",          "zwfw.echo",
                     "zwfw.v1.Caller", "{}",   NULL};
    assert_int_equal(s_run(env, "zwfwctl", plain, home_keys, &out, &err), 1);
    assert_non_null(strstr(err, "DEADLINE_EXCEEDED"));
    free(out);
    free(err);
    /* an unregistered key: the same silence, with a hint */
    char rogue[256];
    snprintf(rogue, sizeof rogue, "%s/rogue.secret", env->keys);
    char *unreg[] = {"zwfwctl",      "call",
                     "--endpoint",   env->endpoint,
                     "--key",        rogue,
                     "--server-key", env->broker_public,
                     "--timeout",    "300",
                     "--retries",    "0",
                     "zwfw.echo",    "zwfw.v1.Caller",
                     "{}",           NULL};
    assert_int_equal(s_run(env, "zwfwctl", unreg, no_keys_env, &out, &err), 1);
    assert_non_null(strstr(err, "DEADLINE_EXCEEDED"));
    assert_non_null(strstr(err, "has not registered this key"));
    free(out);
    free(err);
    /* status finds its keys the same way */
    char *status[] = {"zwfwctl", "status", "--endpoint", env->endpoint, "zwfw.echo", NULL};
    rc = s_run(env, "zwfwctl", status, home_keys, &out, &err);
    if (rc != 0)
        fail_msg("zwfwctl status: %d: %s", rc, err);
    assert_non_null(strstr(out, "zwfw.echo      up"));
    free(out);
    free(err);
    env->passed = true;
}

int main(void)
{
    atexit(s_kill_all);
    signal(SIGPIPE, SIG_IGN);
    /* Children must not pick up the keys of a local stack on this machine. */
    unsetenv("ZWFW_KEY");
    unsetenv("ZWFW_SERVER_KEY");
    unsetenv("ZWFW_ENDPOINT");
    setenv("ZWFW_HOME", "/nonexistent/zwfw-auth-test", 1);
#define T(f) cmocka_unit_test_setup_teardown(f, s_setup_env, s_teardown)
    const struct CMUnitTest tests[] = {
        T(test_each_client_gets_its_own_caller),
        T(test_refused_peers_hear_nothing),
        T(test_only_system_keys_serve_zwfw),
        T(test_reload_withdraws_a_key),
        T(test_plain_mode_refuses_wildcards),
        T(test_bad_key_settings_stop_the_broker),
        T(test_zwfwctl_keys),
    };
    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
