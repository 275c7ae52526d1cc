/* bench: the modes of zwfw-bench-broker, the load generator and direct echo
 * server that tests/bench/broker.sh drives. Each mode prints one line
 * "result mode=NAME key=value ..." on stdout and returns the exit code:
 * 0 when it ran (lost or bad replies are counted, not failures), 1 when it
 * could not run. */
#ifndef ZW_BENCH_H
#define ZW_BENCH_H

#include "bench_wire.h"

#define BENCH_MAX_SERVICES 8

typedef struct {
    const char *endpoint;                     /* tcp://127.0.0.1:PORT */
    const char *services[BENCH_MAX_SERVICES]; /* --service, repeatable */
    int n_services;
    long seconds;      /* measured time (serve: lifetime) */
    long warmup_ms;    /* run before measuring, not counted */
    long clients;      /* sync: client threads, one DEALER each */
    long inflight;     /* pipe: requests kept in flight */
    long sockets;      /* pipe: DEALER sockets sharing them */
    long rate;         /* open: requests per second */
    long timeout_ms;   /* a reply later than this is lost */
    long busy_poll_us; /* serve, open: after traffic, poll this long without sleeping */
    bw_curve_t curve;  /* --curve-key [--server-key]: CURVE, else plain */
} bench_opts_t;

/* Open loop: sends opts->rate requests a second on a fixed schedule for
 * opts->seconds, whatever the replies do, and reports latency measured
 * from each request's scheduled send time (no coordinated omission). With
 * opts->busy_poll_us it does not sleep for that long after each send or
 * reply. */
int bench_open(void *ctx, const bench_opts_t *opts);

#endif
