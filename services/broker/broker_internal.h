/* The engine's state, shared by broker.c (the protocol) and
 * broker_setup.c (creation, binding, stats). Not for use outside the
 * broker engine. */
#ifndef ZW_BROKER_INTERNAL_H
#define ZW_BROKER_INTERNAL_H

#include "broker.h"
#include "registry.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <zmq.h>

struct zw_broker {
    void *router;
    zw_broker_opts_t opts;
    zw_auth_t *auth; /* borrowed; NULL or plain: plain mode */
    bool curve;
    zw_registry_t *reg;
    zmq_msg_t *frames; /* receive array, reused for every message */
    size_t frames_cap;
    uint8_t *caller; /* packed zwfw.v1.Caller of the plain identity */
    size_t caller_len;
    int64_t now;           /* CLOCK_MONOTONIC ms, refreshed per message */
    int64_t spin_until_ns; /* busy-poll: CLOCK_MONOTONIC ns; 0: wait in zmq_poll */
    zw_broker_totals_t totals;
    int64_t drop_window;
    unsigned drop_logged, drop_suppressed;
};

/* Heartbeats and expiry run on CLOCK_MONOTONIC, never the business clock. */
static inline int64_t zw_broker_clock_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The same clock in nanoseconds, for the busy-poll's microseconds. */
static inline int64_t zw_broker_clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
