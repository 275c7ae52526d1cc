/* zw_events: what the outbox, the relay and the consumer share, and the
 * operations on streams that belong to none of them (retention, lag).
 *
 * Tables live in the shared schema `events` (common/sql/002_events.sql):
 * outbox, log (stream, seq), stream_head (one counter row per stream) and
 * cursors (consumer, stream). docs/events.md is the integrator's guide.
 *
 * On the wire a relay publishes each event as one ZeroMQ message of four
 * frames on its PUB socket:
 *   1. stream name (also the subscription topic; compare it exactly, since
 *      ZeroMQ matches topics by prefix)
 *   2. seq as 8 bytes, unsigned big-endian
 *   3. the payload's full message type name (so a subscriber can skip
 *      types without decoding)
 *   4. the protobuf zwfw.v1.Event envelope, payload included. */
#ifndef ZW_EVENTS_H
#define ZW_EVENTS_H

#include "db.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One event as a handler sees it. Every pointer is borrowed from whoever
 * built the struct and valid only during the call it is passed to. */
typedef struct {
    const char *stream;
    int64_t seq;
    const char *type;
    const char *aggregate_id;
    int64_t occurred_at_us; /* business time */
    const char *event_id;   /* UUID text */
    const char *producer;
    const uint8_t *payload;
    size_t len;
} zw_event_t;

/* Longest stream or consumer name. */
#define ZW_EVENTS_NAME_MAX 64

/* Advisory lock classes (the two-int form of pg_*advisory_xact_lock): the
 * relay of a stream locks (ZW_EVENTS_LOCK_RELAY, hashtext(stream)); the
 * audit chainer locks (ZW_EVENTS_LOCK_AUDIT, 0). */
#define ZW_EVENTS_LOCK_RELAY 1702258030
#define ZW_EVENTS_LOCK_AUDIT 1635083369

/* A stream or consumer name is 1..ZW_EVENTS_NAME_MAX characters of
 * [a-z0-9._-] starting with a letter or digit. INVALID_ARGUMENT otherwise,
 * naming `what` ("stream", "consumer") in the message and detail. */
int zw_events_check_name(const char *what, const char *name, zw_err_t *err);

/* Big-endian seq frame (frame 2 above). */
void zw_events_seq_put(uint8_t out[8], int64_t seq);
int64_t zw_events_seq_get(const uint8_t in[8]);

/* Frame 4: encodes ev as a zwfw.v1.Event envelope into *buf, which is
 * grown with realloc as needed (*cap is its size; start with NULL and 0;
 * the caller frees it). Returns the length, 0 when out of memory. */
size_t zw_events_encode(const zw_event_t *ev, uint8_t **buf, size_t *cap);

/* Decodes an envelope into *ev, whose pointers then point into the
 * returned object; free it with zw_events_decoded_free once done with ev.
 * NULL when data is not an Event. */
void *zw_events_decode(const void *data, size_t len, zw_event_t *ev);
void zw_events_decoded_free(void *decoded);

/* Retention: deletes the oldest log rows of `stream` whose occurred_at is
 * before older_than_us (business time), stopping at the first row that is
 * not, and never deleting past the slowest registered cursor of the stream
 * (a consumer that has not applied an event keeps it). Only a prefix of
 * the stream is removed, so readers never meet a hole; the stream's
 * trimmed_seq records how far it went. *deleted (may be NULL) receives the
 * number of rows removed. One transaction. */
int zw_events_trim(zw_db_t *db, const char *stream, int64_t older_than_us, int64_t *deleted,
                   zw_err_t *err);

/* What one zw_events_trim_retention call did. */
typedef struct {
    int64_t deleted;     /* rows removed by this call */
    int64_t trimmed_seq; /* the stream's trimmed_seq after it */
    int64_t before_us;   /* the cut-off used (business time); 0 for an empty log */
    bool busy;           /* another session held the stream's relay lock: nothing done */
} zw_events_trim_result_t;

/* The retention rule the relay applies (docs/events.md "Retention"): like
 * zw_events_trim, with the cut-off taken from the stream itself: events
 * whose occurred_at is more than keep_us (> 0) before the occurred_at of
 * the stream's newest event go. Business time against business time, so a
 * deployment on a simulated clock trims by its own calendar, never by the
 * wall clock, and the newest event always stays. Removes at most max_rows
 * (> 0) rows, so the transaction stays short: deleted == max_rows means
 * more may be due. One transaction that first tries the stream's relay
 * lock (ZW_EVENTS_LOCK_RELAY) and, when another session holds it, does
 * nothing and sets busy: a relay batch elsewhere is never made to wait,
 * and replicas never trim side by side. INVALID_ARGUMENT for a bad name
 * or a bound <= 0. */
int zw_events_trim_retention(zw_db_t *db, const char *stream, int64_t keep_us, int64_t max_rows,
                             zw_events_trim_result_t *out, zw_err_t *err);

/* For health checks, from any connection: how many events `consumer` is
 * behind the heads of the streams it follows (sum over its cursors), and
 * whether any of its cursors carries an alarm (a handler stuck on one event).
 * A consumer with no cursor yet has lag 0. */
int zw_events_consumer_lag(zw_db_t *db, const char *consumer, int64_t *lag, bool *alarm,
                           zw_err_t *err);

/* Committed outbox rows of `stream` not yet moved to the log (a producer's
 * lag: large means no replica is relaying). */
int zw_events_outbox_pending(zw_db_t *db, const char *stream, int64_t *count, zw_err_t *err);

/* Marks a consumer's cursor on `stream` as no longer holding back
 * retention (a consumer retired for good). NOT_FOUND if there is none. */
int zw_events_unregister(zw_db_t *db, const char *consumer, const char *stream, zw_err_t *err);

#endif
