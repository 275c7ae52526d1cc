/* zw_relay: moves committed outbox rows of a daemon's streams into the
 * stream log, numbering them, then rings the doorbell (PUB).
 *
 * Every replica of a producing daemon runs one. Each batch is ONE
 * transaction that takes pg_try_advisory_xact_lock(ZW_EVENTS_LOCK_RELAY,
 * hashtext(stream)) and, in one statement, deletes up to `batch` outbox
 * rows of the stream in id order, numbers them from the stream_head
 * counter row (updated in the same statement) and inserts them into
 * events.log. A transaction-scoped lock dies with its transaction, also
 * when the connection drops, so a dead relay never blocks the others and a
 * half-done batch is rolled back whole. When the lock is taken, another
 * replica is relaying that stream and this one does nothing.
 *
 * Only after COMMIT does it publish the moved events on the PUB socket
 * (frames in events.h). A failed or uncertain commit publishes nothing:
 * consumers read the log anyway. The PUB socket never blocks; a slow
 * subscriber loses messages, notices the gap and reads the log.
 *
 * Retention (docs/events.md "Retention") runs here too, since this is the
 * process that writes the stream: at most hourly per stream, one short
 * transaction at a time (zw_events_trim_retention), with the cut-off in
 * business time taken from the stream's newest event.
 *
 * Used from one thread (the daemon's poll loop). */
#ifndef ZW_RELAY_H
#define ZW_RELAY_H

#include "db.h"
#include "error.h"
#include "events.h"

#include <stddef.h>
#include <stdint.h>

typedef struct zw_relay zw_relay_t;

/* retention_days: the daemon's setting, whatever it is now. */
#define ZW_RELAY_RETENTION_DAEMON (-1)
/* The longest retention accepted, in days (a hundred years). */
#define ZW_RELAY_RETENTION_MAX_DAYS 36500

typedef struct {
    /* Daemon name written into each event, e.g. "zwfw-intake". Required. */
    const char *producer;
    /* The streams this daemon produces (at least one). Copied. */
    const char *const *streams;
    size_t n_streams;
    /* Where to publish. Either a PUB socket the caller created, configured
     * (CURVE...) and bound, borrowed and never closed by the relay; or a
     * context and endpoint, and the relay creates, binds and owns its PUB
     * socket; or neither, and nothing is published (consumers then learn of
     * events from the log alone, on their quiet timer). */
    void *pub;
    void *zmq_ctx;
    const char *pub_endpoint;
    /* Outbox rows per transaction; 0 means 500. */
    int batch;
    /* A batch transaction idle longer than this is ended by the server
     * (idle_in_transaction_session_timeout), so a stuck relay frees the
     * lock; 0 means 30000. */
    int idle_timeout_ms;
    /* Days of business time the log keeps behind each stream's newest
     * event (docs/events.md "Retention"); 0 keeps every event;
     * ZW_RELAY_RETENTION_DAEMON follows zw_relay_set_daemon_retention. */
    int retention_days;
    /* How often each stream is trimmed, 0 meaning hourly (the first pass
     * comes min(10 minutes, this) after the first turn); and the log rows
     * removed per transaction, 0 meaning 1000. Tests shorten them. */
    int trim_every_ms;
    int trim_batch;
    /* Fault tests only: called inside the batch transaction, after the rows
     * were moved and before COMMIT, with the number of rows moved. */
    void (*in_batch)(void *arg, const char *stream, size_t rows);
    void *in_batch_arg;
} zw_relay_config_t;

/* Borrows db (used only by this relay's thread; it must outlive the
 * relay). Registers its prepared statements; does not need the database
 * to be up. NULL with *err on a bad config (INVALID_ARGUMENT: no producer,
 * no stream, a bad stream name, batch < 0, retention_days out of
 * [-1, ZW_RELAY_RETENTION_MAX_DAYS], a trim setting < 0) or when binding the PUB
 * endpoint fails (UNAVAILABLE, naming it). */
zw_relay_t *zw_relay_new(zw_db_t *db, const zw_relay_config_t *cfg, zw_err_t *err);

/* Closes the relay's own PUB socket (not a borrowed one). */
void zw_relay_destroy(zw_relay_t **self_p);

/* One batch per stream: moves and publishes what it can. *moved (may be
 * NULL) receives how many events this call moved into the log over all
 * streams; when it is > 0, more may be waiting: call again soon. Streams
 * another replica holds are skipped (moved 0, no error). A failure on one
 * stream (e.g. the database went away; reconnecting is zw_db's job) is
 * reported after the other streams were tried; nothing is lost, the rows
 * stay in the outbox for the next call. */
int zw_relay_run_once(zw_relay_t *self, size_t *moved, zw_err_t *err);

/* When a daemon's loop runs the relay (and whatever it runs along, e.g.
 * the audit chainer) next, given what this run did: 200 ms after a
 * failure; at once after a full relay batch or when `full` says the other
 * work filled its batch (more is waiting); busy_ms after moving something
 * (events are flowing: a short pause lets the next run take several
 * commits at once, each run costing a few statements and a commit whatever
 * it moves); idle_ms when nothing moved (moved + other == 0). Monotonic
 * milliseconds. */
int64_t zw_relay_next_ms(const zw_relay_t *self, int64_t now_ms, bool failed, size_t moved,
                         size_t other, bool full, int busy_ms, int idle_ms);

/* One turn of a producing daemon's loop: the relay (when there is one)
 * moves and publishes, then trims what retention says is due
 * (zw_relay_retain; skipped in a turn whose relay batch failed), then the
 * audit chainer chains on audit_db; a failure of the relay or the chainer
 * is logged (WARN) and makes the next turn come after the failure
 * back-off. Returns the monotonic time of the next turn
 * (zw_relay_next_ms). */
int64_t zw_relay_turn(zw_relay_t *relay, zw_db_t *audit_db, int64_t now_ms, int busy_ms,
                      int idle_ms);

/* Retention, at monotonic time now_ms: each stream whose time has come
 * gets one bounded transaction (zw_events_trim_retention). A full one
 * means more is due, and the stream's next pass is at the next call;
 * otherwise the pass is over: INFO "events trimmed" with the stream, the
 * count, the seq the log now starts after (trimmed_seq) and the cut-off,
 * when it removed anything, and the next pass an interval later. A
 * failure logs WARN and is tried again within 5 minutes; it is never
 * returned, so it never holds up the relay. Does nothing while the
 * retention is 0. Called by zw_relay_turn; accepts NULL. */
void zw_relay_retain(zw_relay_t *self, int64_t now_ms);

/* Changes this relay's retention (days as in the config). A change takes
 * effect at the next zw_relay_retain, which then trims at once instead of
 * at the hourly time. INVALID_ARGUMENT out of range (nothing changes). */
int zw_relay_set_retention(zw_relay_t *self, int days, zw_err_t *err);

/* The retention of this process's relays made with
 * ZW_RELAY_RETENTION_DAEMON: its daemon's event_retention_days, which
 * zw_daemon_load and zw_daemon_reload set (one daemon per process, as for
 * the signal flags; the loop's thread only). 0 until set; a value out of
 * [0, ZW_RELAY_RETENTION_MAX_DAYS] is ignored. */
void zw_relay_set_daemon_retention(int days);

/* The PUB socket in use (borrowed or own), NULL without one. */
void *zw_relay_socket(zw_relay_t *self);

/* Totals since creation: events moved into the log, messages published. */
uint64_t zw_relay_moved_total(const zw_relay_t *self);
uint64_t zw_relay_published_total(const zw_relay_t *self);

#endif
