/* zwfw-echo: registers N worker sockets for one service and answers every
 * request with itself (zwfw services: the same type and bytes; others: the
 * same frames). zwfw.v1.HealthRequest is answered by the worker library,
 * whose reply names this process (instance host:pid), so tests can tell
 * replicas apart. A request of type zwfw.v1.Caller is answered with the
 * Caller frame the broker appended (who the broker says sent it). For
 * tests of the library and broker, and the benchmark. */
#include "auth_keys.h"
#include "daemon.h"
#include "log.h"
#include "mdp_worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_MAX_ENDPOINTS 8

typedef struct {
    int delay_ms;
} s_settings_t;

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfw-echo [--endpoint EP]... [--service NAME] [--workers N]\n"
                 "                 [--heartbeat-ms N] [--liveness N] [--delay-ms N]\n"
                 "                 [--key FILE --server-key FILE|Z85]\n"
                 "                 [--log-level debug|info|warn|error]\n"
                 "Answers every request to NAME (default zwfw.echo) with itself, after\n"
                 "--delay-ms (default 0); a zwfw request of type zwfw.v1.Caller with the\n"
                 "Caller the broker appended. EP defaults to tcp://127.0.0.1:5555; N workers\n"
                 "(default 4) serve at once. Each request is logged at debug level.\n"
                 "CURVE: --key is this worker's key pair (NAME.secret), --server-key the\n"
                 "broker's public key (NAME.key file or Z85 text); both or neither.\n");
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void s_echo(void *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    const s_settings_t *settings = ctx;
    zw_logkv(ZW_LOG_DEBUG, "request in hand", "request_id", req->request_id, "type", req->type,
             NULL);
    if (settings->delay_ms > 0)
        s_sleep_ms(settings->delay_ms);
    if (strcmp(req->type, "zwfw.v1.Caller") == 0)
        zw_reply_message(reply, &req->caller->base);
    else
        zw_reply_bytes(reply, req->type, req->data, req->len);
}

static int s_echo_raw(void *ctx, const zw_frames_t *request, zw_frames_t *reply, int thread)
{
    (void) thread;
    const s_settings_t *settings = ctx;
    zw_logkv(ZW_LOG_DEBUG, "raw request in hand", NULL);
    if (settings->delay_ms > 0)
        s_sleep_ms(settings->delay_ms);
    return zw_frames_append_frames(reply, request, 0);
}

static int s_int_arg(const char *name, const char *value, int min, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || *end || end == value || v < min || v > 1000000000) {
        fprintf(stderr, "zwfw-echo: %s: expected an integer >= %d, got '%s'\n", name, min, value);
        return -1;
    }
    *out = (int) v;
    return 0;
}

int main(int argc, char **argv)
{
    const char *endpoints[S_MAX_ENDPOINTS];
    size_t n_endpoints = 0;
    const char *service = "zwfw.echo";
    int workers = 4, heartbeat_ms = 0, liveness = 0;
    s_settings_t settings = {0};
    zw_log_level_t level = ZW_LOG_INFO;
    const char *key_file = NULL, *server_key = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(stdout);
            return 0;
        }
        if (!v || strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "zwfw-echo: unexpected argument '%s'\n", a);
            s_usage(stderr);
            return 2;
        }
        i++;
        int rc = 0;
        if (strcmp(a, "--endpoint") == 0) {
            if (n_endpoints == S_MAX_ENDPOINTS) {
                fprintf(stderr, "zwfw-echo: at most %d endpoints\n", S_MAX_ENDPOINTS);
                return 2;
            }
            endpoints[n_endpoints++] = v;
        } else if (strcmp(a, "--service") == 0) {
            service = v;
        } else if (strcmp(a, "--workers") == 0) {
            rc = s_int_arg(a, v, 1, &workers);
        } else if (strcmp(a, "--heartbeat-ms") == 0) {
            rc = s_int_arg(a, v, 1, &heartbeat_ms);
        } else if (strcmp(a, "--liveness") == 0) {
            rc = s_int_arg(a, v, 1, &liveness);
        } else if (strcmp(a, "--key") == 0) {
            key_file = v;
        } else if (strcmp(a, "--server-key") == 0) {
            server_key = v;
        } else if (strcmp(a, "--delay-ms") == 0) {
            rc = s_int_arg(a, v, 0, &settings.delay_ms);
        } else if (strcmp(a, "--log-level") == 0) {
            int l = zw_log_level_from_name(v);
            if (l < 0) {
                fprintf(stderr, "zwfw-echo: --log-level: unknown level '%s'\n", v);
                return 2;
            }
            level = (zw_log_level_t) l;
        } else {
            fprintf(stderr, "zwfw-echo: unknown option '%s'\n", a);
            s_usage(stderr);
            return 2;
        }
        if (rc != 0)
            return 2;
    }
    if (n_endpoints == 0)
        endpoints[n_endpoints++] = "tcp://127.0.0.1:5555";
    zw_log_init("zwfw-echo", level);
    zw_auth_client_t curve;
    zw_err_t err;
    if (!key_file != !server_key) {
        fprintf(stderr, "zwfw-echo: CURVE needs both --key and --server-key\n");
        return 2;
    }
    if (key_file && zw_auth_client_load(&curve, key_file, server_key, &err) != 0) {
        fprintf(stderr, "zwfw-echo: %s\n", err.message);
        return 1;
    }

    /* Block the stop signals before any thread exists (ZeroMQ's included),
     * so only sigsuspend below ever takes them. */
    sigset_t stop_set, old_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_set, &old_set);
    zw_daemon_signals(false);

    void *ctx = zmq_ctx_new();
    zw_worker_config_t cfg = {
        .service = service,
        .endpoints = endpoints,
        .n_endpoints = n_endpoints,
        .threads = workers,
        .heartbeat_ms = heartbeat_ms,
        .liveness = liveness,
        .handler = s_echo,
        .raw_handler = s_echo_raw,
        .arg = &settings,
        .curve = key_file ? &curve : NULL,
    };
    zw_worker_t *worker = ctx ? zw_worker_new(ctx, &cfg, &err) : NULL;
    if (!worker || zw_worker_start(worker, &err) != 0) {
        fprintf(stderr, "zwfw-echo: %s\n", ctx ? err.message : "zmq_ctx_new failed");
        zw_worker_destroy(&worker);
        if (ctx)
            zmq_ctx_term(ctx);
        return 1;
    }
    char n[16];
    snprintf(n, sizeof n, "%d", workers);
    zw_logkv(ZW_LOG_INFO, "echo started", "service_name", service, "workers", n, "mode",
             key_file ? "curve" : "plain", NULL);
    sigset_t wait_set = old_set;
    sigdelset(&wait_set, SIGTERM);
    sigdelset(&wait_set, SIGINT);
    while (!zw_daemon_stopping())
        sigsuspend(&wait_set);
    char handled[24];
    snprintf(handled, sizeof handled, "%llu", (unsigned long long) zw_worker_requests(worker));
    zw_worker_destroy(&worker);
    zmq_ctx_term(ctx);
    zw_logkv(ZW_LOG_INFO, "echo stopped", "requests", handled, NULL);
    return 0;
}
