/* Open-loop load: request i is due at t0 + i / rate whatever happened to the
 * others, and its latency runs from that due time to its reply. A sender
 * that waited for replies (closed loop) would send less exactly when the
 * broker is slow and so hide the slowness (coordinated omission); here a
 * stall shows up in every request scheduled during it.
 *
 * One thread, one DEALER. Sleeping to the next due time must be finer than
 * zmq_poll's milliseconds (at 1,000/s the period is one millisecond), so
 * the loop waits on the socket's ZMQ_FD with ppoll and a nanosecond timeout,
 * after draining the socket until ZMQ_EVENTS shows nothing to read (ZMQ_FD
 * only signals changes). How late the sender itself was (its own scheduling
 * on a busy machine) is reported as "lag" and is part of the latency.
 *
 * With --busy-poll-us N the loop does not sleep for N microseconds after a
 * send or a reply: it keeps looking at the socket and the clock, so the
 * client's own wake-ups can be taken out of the figure like the broker's
 * and the worker's. */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <zmq.h>

/* Bounds the arrays (two of int64_t per request). */
#define S_MAX_SCHEDULED 10000000LL
/* Requests sent one at a time before the schedule starts, at most. */
#define S_WARMUP_MAX 100000

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

/* The q-quantile of n values of which the first `have` are sorted and the
 * others missing (taken as infinitely late): "inf" when it falls there. */
static void s_quantile(const int64_t *sorted, int64_t have, int64_t n, double q, char *out,
                       size_t outsz)
{
    int64_t rank = (int64_t) (q * (double) n + 0.999999); /* 1-based, ceil */
    if (rank < 1)
        rank = 1;
    if (n == 0 || rank > have)
        snprintf(out, outsz, "inf");
    else
        snprintf(out, outsz, "%.3f", (double) sorted[rank - 1] / 1e6);
}

static int s_warmup(void *sock, const bench_opts_t *o, int64_t first_id)
{
    int64_t until = bw_now_ns() + o->warmup_ms * 1000000LL;
    for (int64_t i = 0; i < S_WARMUP_MAX && !bw_stop && bw_now_ns() < until; i++) {
        uint64_t id;
        if (bw_send(sock, o->services[0], (uint64_t) (first_id + i), 0) != 0 ||
            bw_recv(sock, o->services[0], &id, 0) != 1 || id != (uint64_t) (first_id + i)) {
            fprintf(stderr, "bench open: warm-up request %" PRId64 " failed\n", i);
            return -1;
        }
    }
    return 0;
}

/* When request i is due: integer arithmetic, so no drift over a long run. */
static int64_t s_due(int64_t t0, long rate, int64_t i)
{
    return t0 + (int64_t) (((uint64_t) i * 1000000000ULL) / (uint64_t) rate);
}

static bool s_readable(void *sock)
{
    int events = 0;
    size_t size = sizeof events;
    return zmq_getsockopt(sock, ZMQ_EVENTS, &events, &size) == 0 && (events & ZMQ_POLLIN);
}

int bench_open(void *ctx, const bench_opts_t *o)
{
    const char *service = o->services[0];
    int64_t n = (int64_t) o->rate * o->seconds;
    if (n > S_MAX_SCHEDULED) {
        fprintf(stderr, "bench open: rate x seconds above %lld\n", S_MAX_SCHEDULED);
        return 1;
    }
    int64_t *lat = malloc((size_t) n * sizeof *lat);
    int64_t *lag = malloc((size_t) n * sizeof *lag);
    void *sock = bw_dealer(ctx, o->endpoint, &o->curve, 100000, (int) o->timeout_ms);
    int fd = -1;
    size_t fdsize = sizeof fd;
    int rc = 1;
    if (!lat || !lag || !sock || zmq_getsockopt(sock, ZMQ_FD, &fd, &fdsize) != 0 ||
        s_warmup(sock, o, n) != 0)
        goto done;
    for (int64_t i = 0; i < n; i++)
        lat[i] = -1;
    /* The default 50 us timer slack would be a twentieth of the period. */
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

    int64_t t0 = bw_now_ns() + 10000000LL;
    int64_t next = 0, received = 0, unsent = 0, bad = 0;
    int64_t spin_until = 0; /* --busy-poll-us: no sleeping before this */
    int64_t drain_until = s_due(t0, o->rate, n - 1) + o->timeout_ms * 1000000LL;
    while (!bw_stop) {
        int64_t now = bw_now_ns();
        for (; next < n && s_due(t0, o->rate, next) <= now; next++) {
            lag[next] = now - s_due(t0, o->rate, next);
            if (bw_send(sock, service, (uint64_t) next, ZMQ_DONTWAIT) != 0)
                unsent++; /* high-water mark: 100,000 unanswered */
            spin_until = now + o->busy_poll_us * 1000;
        }
        while (s_readable(sock)) {
            uint64_t id;
            int r = bw_recv(sock, service, &id, ZMQ_DONTWAIT);
            int64_t t = bw_now_ns();
            if (r < 0)
                break;
            if (r == 1 && id < (uint64_t) next && lat[id] < 0) {
                lat[id] = t - s_due(t0, o->rate, id);
                received++;
            } else {
                bad++;
            }
            spin_until = t + o->busy_poll_us * 1000;
        }
        now = bw_now_ns();
        if (next == n && (received + unsent == n || now >= drain_until))
            break;
        if (s_readable(sock))
            continue;
        if (now < spin_until) {
            sched_yield(); /* busy-polling: anything else runnable here goes first */
            continue;
        }
        int64_t wait = (next < n ? s_due(t0, o->rate, next) : drain_until) - now;
        if (wait < 0)
            wait = 0;
        struct timespec ts = {.tv_sec = wait / 1000000000, .tv_nsec = wait % 1000000000};
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR) {
            fprintf(stderr, "bench open: ppoll: %s\n", strerror(errno));
            goto done;
        }
    }
    int64_t sent = next - unsent, have = 0;
    for (int64_t i = 0; i < next; i++)
        if (lat[i] >= 0)
            lat[have++] = lat[i];
    qsort(lat, (size_t) have, sizeof *lat, s_cmp);
    qsort(lag, (size_t) next, sizeof *lag, s_cmp);
    char p50[24], p90[24], p99[24], p999[24], max[24], lag50[24], lag99[24], lagmax[24];
    s_quantile(lat, have, next, 0.50, p50, sizeof p50);
    s_quantile(lat, have, next, 0.90, p90, sizeof p90);
    s_quantile(lat, have, next, 0.99, p99, sizeof p99);
    s_quantile(lat, have, next, 0.999, p999, sizeof p999);
    s_quantile(lat, have, next, 1.0, max, sizeof max);
    s_quantile(lag, next, next, 0.50, lag50, sizeof lag50);
    s_quantile(lag, next, next, 0.99, lag99, sizeof lag99);
    s_quantile(lag, next, next, 1.0, lagmax, sizeof lagmax);
    printf("result mode=open service=%s rate=%ld seconds=%ld scheduled=%" PRId64 " sent=%" PRId64
           " received=%" PRId64 " lost=%" PRId64 " bad=%" PRId64
           " p50_ms=%s p90_ms=%s p99_ms=%s p999_ms=%s max_ms=%s"
           " lag_p50_ms=%s lag_p99_ms=%s lag_max_ms=%s\n",
           service, o->rate, o->seconds, next, sent, received, next - received, bad, p50, p90, p99,
           p999, max, lag50, lag99, lagmax);
    rc = bw_stop || received == 0;
done:
    if (sock)
        zmq_close(sock);
    free(lat);
    free(lag);
    return rc;
}
