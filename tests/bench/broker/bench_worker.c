/* zwfw-bench-worker: the echo worker of tests/bench/broker.sh's busy-poll
 * runs. It is zwfw-echo's answer (a zwfw request gets its own type and
 * bytes back, any other service its frames) on the same worker library
 * (common/mdp_worker.c), with the library's busy_poll_us as an option, so
 * the worker hop can be measured with and without busy-polling while
 * everything else stays as the daemons have it.
 *
 *   zwfw-bench-worker --endpoint EP --service S [--workers 16]
 *                     [--busy-poll-us 0] [--seconds 3600]
 *
 * Runs until SIGTERM/SIGINT or --seconds, whichever comes first. Only
 * tcp://127.0.0.1 endpoints are accepted. Logs at warn level. */
#include "log.h"
#include "mdp_worker.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static void s_echo(void *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    (void) ctx;
    zw_reply_bytes(reply, req->type, req->data, req->len);
}

static int s_echo_raw(void *ctx, const zw_frames_t *request, zw_frames_t *reply, int thread)
{
    (void) ctx;
    (void) thread;
    return zw_frames_append_frames(reply, request, 0);
}

static int s_int_arg(const char *name, const char *value, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || *end || end == value || v < min || v > max) {
        fprintf(stderr, "zwfw-bench-worker: %s: expected an integer in [%ld, %ld], got '%s'\n",
                name, min, max, value);
        return -1;
    }
    *out = (int) v;
    return 0;
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfw-bench-worker --endpoint tcp://127.0.0.1:PORT --service S\n"
                 "                         [--workers 16] [--busy-poll-us 0] [--seconds 3600]\n");
}

int main(int argc, char **argv)
{
    const char *endpoint = NULL, *service = NULL;
    int workers = 16, busy_poll_us = 0, seconds = 3600;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            s_usage(stdout);
            return 0;
        }
        int rc = 0;
        if (!v) {
            fprintf(stderr, "zwfw-bench-worker: %s needs a value\n", a);
            rc = -1;
        } else if (strcmp(a, "--endpoint") == 0) {
            endpoint = v;
        } else if (strcmp(a, "--service") == 0) {
            service = v;
        } else if (strcmp(a, "--workers") == 0) {
            rc = s_int_arg(a, v, 1, 256, &workers);
        } else if (strcmp(a, "--busy-poll-us") == 0) {
            rc = s_int_arg(a, v, 0, ZW_WORKER_BUSY_POLL_MAX_US, &busy_poll_us);
        } else if (strcmp(a, "--seconds") == 0) {
            rc = s_int_arg(a, v, 1, 86400, &seconds);
        } else {
            fprintf(stderr, "zwfw-bench-worker: unknown option '%s'\n", a);
            rc = -1;
        }
        if (rc != 0) {
            s_usage(stderr);
            return 2;
        }
    }
    /* Loopback only, as the rest of the benchmark. */
    if (!endpoint || strncmp(endpoint, "tcp://127.0.0.1:", 16) != 0 || !service || !service[0]) {
        fprintf(stderr, "zwfw-bench-worker: needs --endpoint tcp://127.0.0.1:PORT and --service\n");
        s_usage(stderr);
        return 2;
    }
    zw_log_init("zwfw-bench-worker", ZW_LOG_WARN);
    /* Stop signals are blocked before any thread exists, ZeroMQ's included,
     * so only sigtimedwait below takes them. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    sigprocmask(SIG_BLOCK, &stop_set, NULL);

    zw_err_t err = {0};
    void *ctx = zmq_ctx_new();
    const char *endpoints[1] = {endpoint};
    zw_worker_config_t cfg = {
        .service = service,
        .endpoints = endpoints,
        .n_endpoints = 1,
        .threads = workers,
        .handler = s_echo,
        .raw_handler = s_echo_raw,
        .busy_poll_us = busy_poll_us,
    };
    zw_worker_t *worker = ctx ? zw_worker_new(ctx, &cfg, &err) : NULL;
    if (!worker || zw_worker_start(worker, &err) != 0) {
        fprintf(stderr, "zwfw-bench-worker: %s\n", ctx ? err.message : "zmq_ctx_new failed");
        zw_worker_destroy(&worker);
        if (ctx)
            zmq_ctx_term(ctx);
        return 1;
    }
    struct timespec lifetime = {.tv_sec = seconds, .tv_nsec = 0};
    while (sigtimedwait(&stop_set, NULL, &lifetime) < 0 && errno == EINTR)
        ;
    zw_worker_destroy(&worker);
    zmq_ctx_term(ctx);
    return 0;
}
