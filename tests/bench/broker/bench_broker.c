/* zwfw-bench-broker: load generator for tests/bench/broker.sh, and the
 * direct ROUTER echo it compares the broker with. Raw libzmq only (no zwfw
 * client library), so what is measured is the broker and ZeroMQ.
 *
 *   serve --endpoint EP [--seconds MAX]
 *       single-threaded ROUTER echo: every message goes back as it came
 *   wait  --endpoint EP --service S [--service S]... [--seconds MAX]
 *       asks mmi.service until every S has a worker
 *   sync  --endpoint EP --service S [--clients 16] [--seconds 5] [--warmup-ms 1000]
 *       N threads, one DEALER each, one request at a time
 *   pipe  --endpoint EP --service S [--inflight 1000] [--sockets 1] [--seconds 5] ...
 *       one thread keeping N requests in flight over K DEALERs
 *   open  --endpoint EP --service S [--rate 1000] [--seconds 60]
 *       fixed schedule, latency from the scheduled send time (bench_open.c)
 *   version
 *       the libzmq version this program runs with
 *
 * serve and open take --busy-poll-us N: after traffic, keep polling
 * without sleeping for N microseconds before blocking (as zwfw-broker's
 * --busy-poll-us), so each hop of the benchmark can be measured both ways.
 *
 * CURVE: --curve-key FILE (this program's pair, a NAME.secret file as
 * zwfwctl keygen writes it) makes serve a CURVE server (no ZAP handler:
 * every client key is accepted, which is all measuring the cipher needs);
 * the client modes need --server-key FILE too (the server's NAME.key).
 *
 * Every loop stops at its deadline, at a request cap, or on SIGTERM/SIGINT.
 * Only tcp://127.0.0.1 endpoints are accepted. */
#include "bench.h"

#include "mdp.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zmq.h>

/* Cap on the requests one sync client or the pipe loop sends, so no loop
 * is bounded by time alone (far above what 2 cores do in a phase). */
#define S_MAX_REQUESTS 100000000ULL
#define S_MAX_CLIENTS 256
#define S_MAX_SOCKETS 64
/* Messages handled per socket per wake-up, as the broker does. */
#define S_BATCH 512

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfw-bench-broker MODE --endpoint tcp://127.0.0.1:PORT [options]\n"
                 "modes: serve | wait | sync | pipe | open | version (libzmq's, at run time)\n"
                 "options: --service S (repeatable for wait), --seconds N, --warmup-ms N,\n"
                 "         --clients N (sync), --inflight N --sockets N (pipe), --rate N (open),\n"
                 "         --timeout-ms N (a reply later than this is lost; default 2000),\n"
                 "         --busy-poll-us N (serve, open: after traffic, poll N us without\n"
                 "         sleeping; default 0, off),\n"
                 "         --curve-key NAME.secret [--server-key NAME.key] (CURVE; the\n"
                 "         client modes need both, serve only --curve-key)\n");
}

/* --- serve: the direct case, ZeroMQ's own ceiling on this machine --- */

static int s_serve(void *ctx, const bench_opts_t *o)
{
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0, hwm = 100000;
    if (!router || zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(router, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(router, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        bw_curve_apply(router, &o->curve) != 0 || zmq_bind(router, o->endpoint) != 0) {
        fprintf(stderr, "bench serve: bind %s: %s\n", o->endpoint, zmq_strerror(errno));
        if (router)
            zmq_close(router);
        return 1;
    }
    int64_t deadline = bw_now_ns() + o->seconds * 1000000000LL;
    int64_t spin_until = 0; /* --busy-poll-us: no sleeping before this */
    uint64_t echoed = 0;
    int rc = 0;
    while (!bw_stop && bw_now_ns() < deadline) {
        zmq_pollitem_t item = {router, 0, ZMQ_POLLIN, 0};
        bool spin = bw_now_ns() < spin_until;
        if (spin)
            sched_yield(); /* as the broker: anything else runnable goes first */
        if (zmq_poll(&item, 1, spin ? 0 : 100) < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "bench serve: zmq_poll: %s\n", zmq_strerror(errno));
            rc = 1;
            break;
        }
        /* Each frame is moved back out as it comes in (zero copy), so a
         * message of any length goes back whole and in order. */
        for (int i = 0; i < S_BATCH; i++) {
            zmq_msg_t m;
            zmq_msg_init(&m);
            if (zmq_msg_recv(&m, router, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(&m);
                break;
            }
            for (;;) {
                int more = zmq_msg_more(&m);
                if (zmq_msg_send(&m, router, more ? ZMQ_SNDMORE : 0) < 0)
                    zmq_msg_close(&m);
                if (!more)
                    break;
                zmq_msg_init(&m);
                if (zmq_msg_recv(&m, router, 0) < 0) {
                    zmq_msg_close(&m);
                    break;
                }
            }
            echoed++;
            if (o->busy_poll_us > 0)
                spin_until = bw_now_ns() + o->busy_poll_us * 1000;
        }
    }
    zmq_close(router);
    printf("result mode=serve echoed=%" PRIu64 "\n", echoed);
    return rc;
}

/* --- wait: until the broker has a worker for each service (RFC 8) --- */

static int s_wait_one(void *ctx, const bench_opts_t *o, const char *service, int64_t deadline)
{
    while (!bw_stop && bw_now_ns() < deadline) {
        /* A fresh socket per try, so a late answer to an earlier try is
         * never taken for this one. */
        void *s = bw_dealer(ctx, o->endpoint, &o->curve, 1000, 250);
        if (!s)
            return -1;
        char body[8] = "";
        if (zmq_send(s, "", 0, ZMQ_SNDMORE) >= 0 &&
            zmq_send(s, ZW_MDP_CLIENT, ZW_MDP_HEADER_LEN, ZMQ_SNDMORE) >= 0 &&
            zmq_send(s, ZW_MMI_SERVICE, strlen(ZW_MMI_SERVICE), ZMQ_SNDMORE) >= 0 &&
            zmq_send(s, service, strlen(service), 0) >= 0) {
            for (int i = 0; i < 4; i++) { /* empty, header, service, body */
                int n = zmq_recv(s, body, sizeof body - 1, 0);
                if (n < 0) {
                    body[0] = '\0';
                    break;
                }
                body[n < (int) sizeof body - 1 ? n : (int) sizeof body - 1] = '\0';
            }
        }
        zmq_close(s);
        if (strcmp(body, ZW_MMI_OK) == 0)
            return 0;
        struct timespec pause = {0, 100 * 1000000L};
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "bench wait: no worker for '%s' at %s\n", service, o->endpoint);
    return -1;
}

static int s_wait(void *ctx, const bench_opts_t *o)
{
    int64_t deadline = bw_now_ns() + o->seconds * 1000000000LL;
    for (int i = 0; i < o->n_services; i++)
        if (s_wait_one(ctx, o, o->services[i], deadline) != 0)
            return 1;
    printf("result mode=wait services=%d\n", o->n_services);
    return 0;
}

/* --- sync: N clients, one request at a time each --- */

typedef struct {
    void *ctx;
    const bench_opts_t *o;
    uint64_t index;
    int64_t t_begin, t_end; /* the measured window */
    uint64_t ok;            /* replies completed inside the window */
    uint64_t sent, bad, lost;
    int failed;
    pthread_t thread;
} s_client_t;

/* Waits for the reply to `id`; 1 when it came, 0 when it timed out, -1 on
 * a socket error or stop. Stale or malformed messages are counted bad. */
static int s_await(s_client_t *c, void *sock, uint64_t id)
{
    int64_t give_up = bw_now_ns() + c->o->timeout_ms * 1000000LL;
    while (!bw_stop && bw_now_ns() < give_up) {
        uint64_t got;
        int r = bw_recv(sock, c->o->services[0], &got, 0);
        if (r == 1 && got == id)
            return 1;
        if (r >= 0) {
            c->bad++;
            continue;
        }
        if (errno == EAGAIN)
            return 0;
        if (errno != EINTR)
            fprintf(stderr, "bench sync: recv: %s\n", zmq_strerror(errno));
        return -1;
    }
    return bw_stop ? -1 : 0;
}

static void *s_client_run(void *arg)
{
    s_client_t *c = arg;
    int timeout = (int) c->o->timeout_ms;
    void *sock = bw_dealer(c->ctx, c->o->endpoint, &c->o->curve, 1000, timeout);
    while (sock && !bw_stop && c->sent < S_MAX_REQUESTS && bw_now_ns() < c->t_end) {
        uint64_t id = (c->index << 40) | c->sent;
        if (bw_send(sock, c->o->services[0], id, 0) != 0) {
            if (errno != EINTR)
                fprintf(stderr, "bench sync: send: %s\n", zmq_strerror(errno));
            break;
        }
        c->sent++;
        int r = s_await(c, sock, id);
        if (r < 0)
            break;
        if (r == 0) {
            /* Lazy Pirate: the reply may never come; a new socket makes
             * sure a late one is not read as the next request's. */
            c->lost++;
            zmq_close(sock);
            sock = bw_dealer(c->ctx, c->o->endpoint, &c->o->curve, 1000, timeout);
            continue;
        }
        int64_t done = bw_now_ns();
        if (done >= c->t_begin && done <= c->t_end)
            c->ok++;
    }
    if (!sock)
        c->failed = 1;
    else
        zmq_close(sock);
    return NULL;
}

static int s_sync(void *ctx, const bench_opts_t *o)
{
    s_client_t *clients = calloc((size_t) o->clients, sizeof *clients);
    if (!clients)
        return 1;
    int64_t start = bw_now_ns();
    int64_t t_begin = start + o->warmup_ms * 1000000LL;
    int64_t t_end = t_begin + o->seconds * 1000000000LL;
    long started = 0;
    for (; started < o->clients; started++) {
        s_client_t *c = &clients[started];
        *c = (s_client_t){
            .ctx = ctx, .o = o, .index = (uint64_t) started, .t_begin = t_begin, .t_end = t_end};
        if (pthread_create(&c->thread, NULL, s_client_run, c) != 0) {
            fprintf(stderr, "bench sync: cannot start client thread %ld\n", started);
            bw_stop = 1;
            break;
        }
    }
    uint64_t ok = 0, sent = 0, bad = 0, lost = 0;
    int failed = started < o->clients;
    for (long i = 0; i < started; i++) {
        pthread_join(clients[i].thread, NULL);
        ok += clients[i].ok;
        sent += clients[i].sent;
        bad += clients[i].bad;
        lost += clients[i].lost;
        failed |= clients[i].failed;
    }
    free(clients);
    double secs = (double) (t_end - t_begin) / 1e9;
    printf("result mode=sync service=%s clients=%ld seconds=%.1f rate=%.0f ok=%" PRIu64
           " sent=%" PRIu64 " lost=%" PRIu64 " bad=%" PRIu64 "\n",
           o->services[0], o->clients, secs, (double) ok / secs, ok, sent, lost, bad);
    return failed || bw_stop || ok == 0;
}

/* --- pipe: many requests in flight from one thread --- */

static int s_pipe(void *ctx, const bench_opts_t *o)
{
    void *socks[S_MAX_SOCKETS] = {0};
    long outstanding[S_MAX_SOCKETS] = {0};
    zmq_pollitem_t items[S_MAX_SOCKETS];
    const char *service = o->services[0];
    int hwm = (int) o->inflight + 1000, rc = 1;
    uint64_t seq = 0, ok = 0, bad = 0, late = 0;
    long in_flight = 0;
    for (long k = 0; k < o->sockets; k++) {
        if (!(socks[k] = bw_dealer(ctx, o->endpoint, &o->curve, hwm, 0)))
            goto done;
        items[k] = (zmq_pollitem_t){socks[k], 0, ZMQ_POLLIN, 0};
    }
    int64_t start = bw_now_ns();
    int64_t t_begin = start + o->warmup_ms * 1000000LL;
    int64_t t_end = t_begin + o->seconds * 1000000000LL;
    for (long i = 0; i < o->inflight; i++) {
        long k = i % o->sockets;
        if (bw_send(socks[k], service, seq++, 0) != 0)
            goto done;
        outstanding[k]++;
        in_flight++;
    }
    /* Past t_end nothing new is sent and the rest is drained (uncounted)
     * until the last reply or the timeout, whichever comes first. */
    int64_t last_reply = bw_now_ns();
    while (!bw_stop && in_flight > 0 && seq < S_MAX_REQUESTS) {
        int64_t now = bw_now_ns();
        if (now - last_reply > o->timeout_ms * 1000000LL)
            break;
        int n = zmq_poll(items, (int) o->sockets, 50);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "bench pipe: zmq_poll: %s\n", zmq_strerror(errno));
            goto done;
        }
        for (long k = 0; n > 0 && k < o->sockets; k++) {
            if (!(items[k].revents & ZMQ_POLLIN))
                continue;
            for (int b = 0; b < S_BATCH; b++) {
                uint64_t id;
                int r = bw_recv(socks[k], service, &id, ZMQ_DONTWAIT);
                if (r < 0)
                    break;
                if (r == 0 || id >= seq) {
                    bad++;
                    continue;
                }
                outstanding[k]--;
                in_flight--;
                now = last_reply = bw_now_ns();
                if (now > t_end) {
                    late++;
                    continue;
                }
                if (now >= t_begin)
                    ok++;
                if (bw_send(socks[k], service, seq++, 0) != 0)
                    goto done;
                outstanding[k]++;
                in_flight++;
            }
        }
    }
    rc = bw_stop != 0;
    double secs = (double) (t_end - t_begin) / 1e9;
    printf("result mode=pipe service=%s inflight=%ld sockets=%ld seconds=%.1f rate=%.0f ok=%" PRIu64
           " sent=%" PRIu64 " lost=%ld bad=%" PRIu64 " drained=%" PRIu64 "\n",
           service, o->inflight, o->sockets, secs, (double) ok / secs, ok, seq, in_flight, bad,
           late);
    if (ok == 0)
        rc = 1;
done:
    for (long k = 0; k < o->sockets; k++)
        if (socks[k])
            zmq_close(socks[k]);
    return rc;
}

/* --- main --- */

static int s_parse(int argc, char **argv, bench_opts_t *o)
{
    const char *curve_key = NULL, *server_key = NULL;
    for (int i = 2; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (!v) {
            fprintf(stderr, "bench: %s needs a value\n", a);
            return -1;
        }
        if (strcmp(a, "--endpoint") == 0) {
            o->endpoint = v;
        } else if (strcmp(a, "--service") == 0) {
            if (o->n_services == BENCH_MAX_SERVICES || !v[0] || strlen(v) > 255) {
                fprintf(stderr, "bench: at most %d services of 1-255 bytes\n", BENCH_MAX_SERVICES);
                return -1;
            }
            o->services[o->n_services++] = v;
        } else if (strcmp(a, "--seconds") == 0) {
            rc = bw_int_arg(a, v, 1, 86400, &o->seconds);
        } else if (strcmp(a, "--warmup-ms") == 0) {
            rc = bw_int_arg(a, v, 0, 600000, &o->warmup_ms);
        } else if (strcmp(a, "--clients") == 0) {
            rc = bw_int_arg(a, v, 1, S_MAX_CLIENTS, &o->clients);
        } else if (strcmp(a, "--inflight") == 0) {
            rc = bw_int_arg(a, v, 1, 100000, &o->inflight);
        } else if (strcmp(a, "--sockets") == 0) {
            rc = bw_int_arg(a, v, 1, S_MAX_SOCKETS, &o->sockets);
        } else if (strcmp(a, "--rate") == 0) {
            rc = bw_int_arg(a, v, 1, 1000000, &o->rate);
        } else if (strcmp(a, "--timeout-ms") == 0) {
            rc = bw_int_arg(a, v, 1, 600000, &o->timeout_ms);
        } else if (strcmp(a, "--busy-poll-us") == 0) {
            rc = bw_int_arg(a, v, 0, 100000, &o->busy_poll_us);
        } else if (strcmp(a, "--curve-key") == 0) {
            curve_key = v;
        } else if (strcmp(a, "--server-key") == 0) {
            server_key = v;
        } else {
            fprintf(stderr, "bench: unknown option '%s'\n", a);
            return -1;
        }
        if (rc != 0)
            return -1;
    }
    /* Loopback only: this program floods whatever it is pointed at. */
    if (!o->endpoint || strncmp(o->endpoint, "tcp://127.0.0.1:", 16) != 0) {
        fprintf(stderr, "bench: --endpoint must be tcp://127.0.0.1:PORT\n");
        return -1;
    }
    if (strcmp(argv[1], "serve") != 0 && o->n_services == 0) {
        fprintf(stderr, "bench: %s needs --service\n", argv[1]);
        return -1;
    }
    if (o->sockets > o->inflight) {
        fprintf(stderr, "bench: --sockets must not exceed --inflight\n");
        return -1;
    }
    bool serve = strcmp(argv[1], "serve") == 0;
    if (serve ? server_key != NULL : (curve_key == NULL) != (server_key == NULL)) {
        fprintf(stderr, serve ? "bench: serve takes --curve-key only\n"
                              : "bench: --curve-key and --server-key go together\n");
        return -1;
    }
    if (curve_key && bw_curve_load(curve_key, server_key, &o->curve) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        s_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *mode = argv[1];
    if (strcmp(mode, "version") == 0) {
        int major, minor, patch;
        zmq_version(&major, &minor, &patch);
        printf("libzmq %d.%d.%d\n", major, minor, patch);
        return 0;
    }
    bench_opts_t o = {.seconds = 5,
                      .warmup_ms = 1000,
                      .clients = 16,
                      .inflight = 1000,
                      .sockets = 1,
                      .rate = 1000,
                      .timeout_ms = 2000};
    if (strcmp(mode, "open") == 0)
        o.seconds = 60;
    if (strcmp(mode, "serve") == 0 || strcmp(mode, "wait") == 0)
        o.seconds = strcmp(mode, "serve") == 0 ? 3600 : 10;
    int (*run)(void *, const bench_opts_t *) = NULL;
    if (strcmp(mode, "serve") == 0)
        run = s_serve;
    else if (strcmp(mode, "wait") == 0)
        run = s_wait;
    else if (strcmp(mode, "sync") == 0)
        run = s_sync;
    else if (strcmp(mode, "pipe") == 0)
        run = s_pipe;
    else if (strcmp(mode, "open") == 0)
        run = bench_open;
    if (!run) {
        fprintf(stderr, "bench: unknown mode '%s'\n", mode);
        s_usage(stderr);
        return 2;
    }
    if (s_parse(argc, argv, &o) != 0) {
        s_usage(stderr);
        return 2;
    }
    bw_signals();
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        fprintf(stderr, "bench: zmq_ctx_new: %s\n", zmq_strerror(errno));
        return 1;
    }
    int64_t began = bw_now_ns();
    int rc = run(ctx, &o);
    /* What this process cost, so a reader can see who used the 2 cores. */
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0)
        printf("usage cpu_s=%.3f wall_s=%.3f\n",
               (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                   (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
               (double) (bw_now_ns() - began) / 1e9);
    fflush(stdout);
    zmq_ctx_term(ctx);
    return rc;
}
