/* zw_consumer: applies the events of the streams a daemon follows, each
 * exactly once, in seq order, for a poll loop.
 *
 * For every event it runs ONE transaction: first the cursor's
 * compare-and-set
 *   UPDATE events.cursors SET last_seq = n WHERE consumer = c AND stream = s
 *                                           AND last_seq = n - 1
 * then the handler's effect. When the update finds no row, another replica
 * of the consumer already applied event n (its transaction held the row,
 * and this one waited for it), so nothing happens here and the consumer
 * moves on from where the cursor now stands. Replicas therefore never
 * apply an event twice, and a process killed at any point loses nothing:
 * the effect and the cursor commit together.
 *
 * Events arrive through the SUB socket (the relays' doorbell) when it is
 * fast, and are read from events.log on start-up, on a gap (a received seq
 * beyond the next one expected), and on a quiet timer (quiet_ms with
 * nothing heard on a stream). The SUB path only makes things fast: with no
 * endpoint at all, every event is still applied, from the log.
 *
 * A handler that fails on an event is retried with back-off, never
 * skipped; after alarm_after failures in a row the consumer logs at error
 * level and sets `alarm` (with failures, failing_seq and last_error) on its
 * cursor row, where a health check reads it (zw_events_consumer_lag). The
 * next success clears it.
 *
 * Loop:
 *   for (;;) {
 *       zmq_pollitem_t it = {zw_consumer_socket(c), 0, ZMQ_POLLIN, 0};
 *       zmq_poll(&it, it.socket ? 1 : 0, timeout up to next_ms);
 *       if (it.revents & ZMQ_POLLIN) zw_consumer_on_readable(c, &err);
 *       zw_consumer_tick(c, zw_mono_ms(), &next_ms, &err);
 *   }
 * Used from one thread. */
#ifndef ZW_CONSUMER_H
#define ZW_CONSUMER_H

#include "db.h"
#include "error.h"
#include "events.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zw_consumer zw_consumer_t;

/* Applies one event inside the consumer's transaction on db (do only
 * database work there: the body may be rolled back, and runs again on
 * retry). Return 0 to commit, -1 with *err to roll back and retry later.
 * Events of every followed stream come through it, in seq order per
 * stream; dispatch on ev->stream and ev->type. */
typedef int(zw_event_handler_fn)(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err);

typedef struct {
    /* Consumer name, shared by its replicas (e.g. "workflow.on-intake"). */
    const char *name;
    /* Streams to follow (at least one), each with its own cursor. Copied. */
    const char *const *streams;
    size_t n_streams;
    /* PUB endpoints of every replica of the producers. Copied. With none
     * (and no `sub`), events come from the log alone. */
    const char *const *endpoints;
    size_t n_endpoints;
    /* Or a SUB socket the caller created and configured (CURVE...),
     * borrowed: the consumer subscribes it to the streams and connects it
     * to `endpoints`, but never closes it. */
    void *sub;
    void *zmq_ctx; /* needed to create the SUB socket when `sub` is NULL */
    zw_event_handler_fn *handler;
    void *handler_arg;
    int quiet_ms;     /* read the log after this long with nothing heard; 0 = 1000 */
    int batch;        /* log rows read at once; 0 = 500 */
    int alarm_after;  /* failures in a row before the alarm; 0 = 5 */
    int retry_min_ms; /* first retry delay, doubling; 0 = 100 */
    int retry_max_ms; /* 0 = 30000 */
    /* A cursor created now starts at the stream's current head (only new
     * events) instead of at 0 (everything the log still holds). */
    bool start_at_head;
} zw_consumer_config_t;

/* Borrows db (used only by this consumer's thread; it must outlive it).
 * Creates and connects the SUB socket if there are endpoints. Does not
 * touch the database: cursors are registered on the first tick. NULL with
 * *err on a bad config (INVALID_ARGUMENT: bad names, no handler, no stream,
 * endpoints without socket or context, negative settings) or a failed
 * connect (UNAVAILABLE, naming the endpoint). */
zw_consumer_t *zw_consumer_new(zw_db_t *db, const zw_consumer_config_t *cfg, zw_err_t *err);

/* Closes its own SUB socket (not a borrowed one). */
void zw_consumer_destroy(zw_consumer_t **self_p);

/* The SUB socket to poll for ZMQ_POLLIN; NULL when there is none. */
void *zw_consumer_socket(zw_consumer_t *self);

/* Drains what the SUB socket holds (without blocking) and applies the
 * events that are next in their streams; notes gaps for the next tick.
 * -1 with *err when applying failed (the event will be retried). */
int zw_consumer_on_readable(zw_consumer_t *self, zw_err_t *err);

/* Does what is due at monotonic time now_ms (zw_mono_ms()): registers
 * cursors, retries a failed event, reads the log after start-up, a gap or
 * a quiet spell (one batch per stream per call). *next_ms (may be NULL)
 * always receives the monotonic time of the next thing due; it is now_ms
 * when more work is waiting. -1 with *err when the database failed. */
int zw_consumer_tick(zw_consumer_t *self, int64_t now_ms, int64_t *next_ms, zw_err_t *err);

/* Events behind the heads of the followed streams, as far as this consumer
 * knows (heads learnt from the doorbell and from the log); -1 before every
 * cursor was registered. For a view from the database use
 * zw_events_consumer_lag. */
int64_t zw_consumer_lag(const zw_consumer_t *self);

/* Last applied seq of `stream` as far as this replica knows; -1 if the
 * stream is not followed or not registered yet. */
int64_t zw_consumer_cursor(const zw_consumer_t *self, const char *stream);

/* True while a handler is stuck past alarm_after failures. */
bool zw_consumer_alarm(const zw_consumer_t *self);

/* Totals since creation: events this replica applied; events it found
 * already applied by another replica (compare-and-set lost). */
uint64_t zw_consumer_applied_total(const zw_consumer_t *self);
uint64_t zw_consumer_skipped_total(const zw_consumer_t *self);

#endif
