#include "relay.h"

#include "audit.h"

#include "clock.h"
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_DEFAULT_BATCH 500
#define S_DEFAULT_IDLE_TIMEOUT_MS 30000
#define S_DAY_US (INT64_C(86400) * 1000000)
#define S_TRIM_EVERY_MS 3600000 /* hourly: a day's events go in 24 small passes */
#define S_TRIM_FIRST_MS 600000  /* a start (often every daemon at once) is not also a trim */
#define S_TRIM_RETRY_MS 300000  /* after a failure */
#define S_TRIM_BUSY_MS 1000     /* another replica was in a relay batch */
#define S_TRIM_BATCH 1000       /* rows per transaction: a few ms of row locks */

/* The daemon's event_retention_days, for relays made with
 * ZW_RELAY_RETENTION_DAEMON (zw_relay_set_daemon_retention). */
static int s_daemon_days;

/* Where retention stands on one stream. */
typedef struct {
    int64_t next_ms; /* monotonic time of its next pass */
    int64_t pass_deleted;
} s_trim_t;

struct zw_relay {
    zw_db_t *db;
    char *producer;
    char **streams;
    bool *head_ok; /* stream_head row known to exist */
    size_t n_streams;
    void *pub;
    bool own_pub;
    int batch;
    char batch_text[16];
    char idle_text[16];
    void (*in_batch)(void *, const char *, size_t);
    void *in_batch_arg;
    int retention_days; /* as configured: may be ZW_RELAY_RETENTION_DAEMON */
    int applied_days;   /* in force since the last zw_relay_retain */
    bool trim_started;  /* the first pass is scheduled */
    int trim_every_ms, trim_batch;
    s_trim_t *trim; /* one per stream */
    uint8_t *buf;   /* envelope encoding buffer, grown as needed */
    size_t bufcap;
    uint64_t moved_total, published_total;
};

static const char *s_pending_sql = "SELECT EXISTS (SELECT 1 FROM events.outbox WHERE stream = $1)";

static const char *s_head_sql =
    "INSERT INTO events.stream_head (stream) VALUES ($1) ON CONFLICT (stream) DO NOTHING";

static const char *s_lock_sql = "SELECT pg_try_advisory_xact_lock($1::int, hashtext($2)),"
                                " set_config('idle_in_transaction_session_timeout', $3, true)";

/* Deletes, numbers and inserts in one statement, so the batch is the one
 * snapshot the DELETE saw. The final LEFT JOIN always yields a row carrying
 * the deleted count, so a batch that deleted rows but inserted none (a
 * missing head row) is caught and rolled back instead of losing events. */
static const char *s_move_sql =
    "WITH batch AS ("
    "  DELETE FROM events.outbox"
    "   WHERE id IN (SELECT id FROM events.outbox WHERE stream = $1 ORDER BY id LIMIT $2::int)"
    "  RETURNING id, type, aggregate_id, occurred_at_us, event_id, payload"
    "), n AS ("
    "  SELECT count(*) AS n FROM batch"
    "), head AS ("
    "  UPDATE events.stream_head h SET last_seq = h.last_seq + n.n FROM n"
    "   WHERE h.stream = $1 AND n.n > 0"
    "  RETURNING h.last_seq - n.n AS base"
    "), ins AS ("
    "  INSERT INTO events.log (stream, seq, type, aggregate_id, occurred_at_us, event_id,"
    "                         producer, payload)"
    "  SELECT $1, head.base + row_number() OVER (ORDER BY b.id), b.type, b.aggregate_id,"
    "         b.occurred_at_us, b.event_id, $3, b.payload"
    "    FROM batch b CROSS JOIN head"
    "  RETURNING seq, type, aggregate_id, occurred_at_us, event_id, payload"
    ")"
    " SELECT i.seq, i.type, i.aggregate_id, i.occurred_at_us, i.event_id, i.payload, n.n"
    "   FROM n LEFT JOIN ins i ON true ORDER BY i.seq";

zw_relay_t *zw_relay_new(zw_db_t *db, const zw_relay_config_t *cfg, zw_err_t *err)
{
    if (!db || !cfg) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "relay: no database or config");
        return NULL;
    }
    if (!cfg->producer || !*cfg->producer) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "producer", "relay: producer name is required");
        return NULL;
    }
    if (!cfg->streams || cfg->n_streams == 0) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "streams", "relay: no stream to relay");
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_streams; i++)
        if (zw_events_check_name("stream", cfg->streams[i], err) != 0)
            return NULL;
    if (cfg->batch < 0 || cfg->idle_timeout_ms < 0) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "batch", "relay: batch and timeout must be >= 0");
        return NULL;
    }
    if (cfg->retention_days < ZW_RELAY_RETENTION_DAEMON ||
        cfg->retention_days > ZW_RELAY_RETENTION_MAX_DAYS || cfg->trim_every_ms < 0 ||
        cfg->trim_batch < 0) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "retention_days",
                    "relay: retention_days must be -1 to %d, trim_every_ms and trim_batch >= 0",
                    ZW_RELAY_RETENTION_MAX_DAYS);
        return NULL;
    }
    if (!cfg->pub && cfg->pub_endpoint && !cfg->zmq_ctx) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "zmq_ctx", "relay: a PUB endpoint needs a context");
        return NULL;
    }
    zw_relay_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->db = db;
    self->n_streams = cfg->n_streams;
    self->producer = strdup(cfg->producer);
    self->streams = calloc(cfg->n_streams, sizeof *self->streams);
    self->head_ok = calloc(cfg->n_streams, sizeof *self->head_ok);
    self->trim = calloc(cfg->n_streams, sizeof *self->trim);
    bool ok = self->producer && self->streams && self->head_ok && self->trim;
    for (size_t i = 0; ok && i < cfg->n_streams; i++)
        ok = (self->streams[i] = strdup(cfg->streams[i])) != NULL;
    if (!ok) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        zw_relay_destroy(&self);
        return NULL;
    }
    self->batch = cfg->batch ? cfg->batch : S_DEFAULT_BATCH;
    snprintf(self->batch_text, sizeof self->batch_text, "%d", self->batch);
    snprintf(self->idle_text, sizeof self->idle_text, "%d",
             cfg->idle_timeout_ms ? cfg->idle_timeout_ms : S_DEFAULT_IDLE_TIMEOUT_MS);
    self->in_batch = cfg->in_batch;
    self->in_batch_arg = cfg->in_batch_arg;
    self->retention_days = cfg->retention_days;
    self->trim_every_ms = cfg->trim_every_ms ? cfg->trim_every_ms : S_TRIM_EVERY_MS;
    self->trim_batch = cfg->trim_batch ? cfg->trim_batch : S_TRIM_BATCH;
    if (zw_db_prepare(db, "zw_relay_pending", s_pending_sql, 1, err) != 0 ||
        zw_db_prepare(db, "zw_relay_head", s_head_sql, 1, err) != 0 ||
        zw_db_prepare(db, "zw_relay_lock", s_lock_sql, 3, err) != 0 ||
        zw_db_prepare(db, "zw_relay_move", s_move_sql, 3, err) != 0) {
        zw_relay_destroy(&self);
        return NULL;
    }
    if (cfg->pub) {
        self->pub = cfg->pub;
    } else if (cfg->pub_endpoint) {
        self->pub = zmq_socket(cfg->zmq_ctx, ZMQ_PUB);
        self->own_pub = self->pub != NULL;
        int linger = 0;
        if (self->pub)
            zmq_setsockopt(self->pub, ZMQ_LINGER, &linger, sizeof linger);
        if (!self->pub || zmq_bind(self->pub, cfg->pub_endpoint) != 0) {
            zw_err_setd(err, ZW_UNAVAILABLE, cfg->pub_endpoint, "relay: cannot bind %s: %s",
                        cfg->pub_endpoint, zmq_strerror(zmq_errno()));
            zw_relay_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void zw_relay_destroy(zw_relay_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_relay_t *self = *self_p;
    if (self->own_pub && self->pub)
        zmq_close(self->pub);
    for (size_t i = 0; self->streams && i < self->n_streams; i++)
        free(self->streams[i]);
    free(self->streams);
    free(self->head_ok);
    free(self->trim);
    free(self->producer);
    free(self->buf);
    free(self);
    *self_p = NULL;
}

int64_t zw_relay_next_ms(const zw_relay_t *self, int64_t now_ms, bool failed, size_t moved,
                         size_t other, bool full, int busy_ms, int idle_ms)
{
    if (failed)
        return now_ms + 200;
    if (full || (self && moved >= (size_t) self->batch))
        return now_ms;
    return now_ms + (moved + other > 0 ? busy_ms : idle_ms);
}

void *zw_relay_socket(zw_relay_t *self)
{
    return self ? self->pub : NULL;
}

uint64_t zw_relay_moved_total(const zw_relay_t *self)
{
    return self ? self->moved_total : 0;
}

uint64_t zw_relay_published_total(const zw_relay_t *self)
{
    return self ? self->published_total : 0;
}

typedef struct {
    zw_relay_t *relay;
    const char *stream;
    bool locked;
    PGresult *rows; /* the moved events, NULL when none */
    size_t n;
} s_batch_t;

static int s_batch_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_batch_t *b = arg;
    zw_relay_t *self = b->relay;
    /* The body may run again after a retry: forget the last attempt. */
    PQclear(b->rows);
    b->rows = NULL;
    b->n = 0;
    b->locked = false;
    char lock_class[16];
    snprintf(lock_class, sizeof lock_class, "%d", ZW_EVENTS_LOCK_RELAY);
    const char *lock_params[] = {lock_class, b->stream, self->idle_text};
    PGresult *res = zw_db_exec(db, "zw_relay_lock", 3, lock_params, err);
    if (!res)
        return -1;
    b->locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!b->locked)
        return 0;
    const char *move_params[] = {b->stream, self->batch_text, self->producer};
    res = zw_db_exec(db, "zw_relay_move", 3, move_params, err);
    if (!res)
        return -1;
    long deleted = PQntuples(res) > 0 ? strtol(PQgetvalue(res, 0, 6), NULL, 10) : 0;
    if (deleted == 0) {
        PQclear(res);
        return 0;
    }
    if (PQntuples(res) != deleted || PQgetisnull(res, 0, 0)) {
        PQclear(res);
        return zw_err_setd(err, ZW_INTERNAL, b->stream,
                           "relay: stream %s moved %ld outbox rows but numbered %s; rolled back",
                           b->stream, deleted, "fewer (is its stream_head row missing?)");
    }
    b->rows = res;
    b->n = (size_t) deleted;
    if (self->in_batch)
        self->in_batch(self->in_batch_arg, b->stream, b->n);
    return 0;
}

/* Publishes row r of a committed batch. A failure here loses only the
 * doorbell, never the event: it is logged and the batch goes on. */
static void s_publish(zw_relay_t *self, const char *stream, PGresult *rows, int r)
{
    size_t plen = 0;
    unsigned char *payload = PQunescapeBytea((const unsigned char *) PQgetvalue(rows, r, 5), &plen);
    if (!payload) {
        zw_logkv(ZW_LOG_WARN, "relay: cannot decode payload", "stream", stream, NULL);
        return;
    }
    zw_event_t ev = {.stream = stream,
                     .seq = strtoll(PQgetvalue(rows, r, 0), NULL, 10),
                     .type = PQgetvalue(rows, r, 1),
                     .aggregate_id = PQgetvalue(rows, r, 2),
                     .occurred_at_us = strtoll(PQgetvalue(rows, r, 3), NULL, 10),
                     .event_id = PQgetvalue(rows, r, 4),
                     .producer = self->producer,
                     .payload = payload,
                     .len = plen};
    size_t len = zw_events_encode(&ev, &self->buf, &self->bufcap);
    PQfreemem(payload);
    if (len == 0) {
        zw_logkv(ZW_LOG_WARN, "relay: out of memory publishing", "stream", stream, NULL);
        return;
    }
    uint8_t seqbuf[8];
    zw_events_seq_put(seqbuf, ev.seq);
    if (zmq_send(self->pub, stream, strlen(stream), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->pub, seqbuf, 8, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->pub, ev.type, strlen(ev.type), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(self->pub, self->buf, len, ZMQ_DONTWAIT) < 0) {
        zw_logkv(ZW_LOG_WARN, "relay: publish failed", "stream", stream, "error",
                 zmq_strerror(zmq_errno()), NULL);
        return;
    }
    self->published_total++;
}

static int s_relay_stream(zw_relay_t *self, size_t i, size_t *moved, zw_err_t *err)
{
    const char *stream = self->streams[i];
    const char *params[] = {stream};
    if (!self->head_ok[i]) {
        PGresult *res = zw_db_exec(self->db, "zw_relay_head", 1, params, err);
        if (!res)
            return -1;
        PQclear(res);
        self->head_ok[i] = true;
    }
    /* Cheap look first, outside any transaction: an idle stream costs one
     * index probe per call, not a BEGIN/lock/COMMIT. */
    PGresult *res = zw_db_exec(self->db, "zw_relay_pending", 1, params, err);
    if (!res)
        return -1;
    bool pending = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!pending)
        return 0;
    s_batch_t b = {.relay = self, .stream = stream};
    if (zw_db_tx(self->db, false, s_batch_tx, &b, err) != 0) {
        PQclear(b.rows);
        return -1;
    }
    if (b.rows) {
        if (self->pub)
            for (int r = 0; r < (int) b.n; r++)
                s_publish(self, stream, b.rows, r);
        PQclear(b.rows);
    }
    zw_db_drained(self->db, "events.outbox", b.n);
    self->moved_total += b.n;
    *moved += b.n;
    return 0;
}

int zw_relay_run_once(zw_relay_t *self, size_t *moved, zw_err_t *err)
{
    size_t total = 0;
    int rc = 0;
    if (moved)
        *moved = 0;
    if (!self)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "relay: NULL");
    for (size_t i = 0; i < self->n_streams; i++) {
        zw_err_t local;
        if (s_relay_stream(self, i, &total, &local) != 0 && rc == 0) {
            rc = -1;
            if (err)
                *err = local;
        }
    }
    if (moved)
        *moved = total;
    return rc;
}

/* ---- retention ---------------------------------------------------------- */

void zw_relay_set_daemon_retention(int days)
{
    if (days >= 0 && days <= ZW_RELAY_RETENTION_MAX_DAYS)
        s_daemon_days = days;
}

int zw_relay_set_retention(zw_relay_t *self, int days, zw_err_t *err)
{
    if (!self)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "relay: NULL");
    if (days < ZW_RELAY_RETENTION_DAEMON || days > ZW_RELAY_RETENTION_MAX_DAYS)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "retention_days",
                           "relay: retention_days must be -1 to %d", ZW_RELAY_RETENTION_MAX_DAYS);
    self->retention_days = days;
    return 0;
}

static int s_min_ms(int a, int b)
{
    return a < b ? a : b;
}

/* One bounded transaction on stream i; schedules the stream's next pass. */
static void s_trim_stream(zw_relay_t *self, size_t i, int days, int64_t now_ms)
{
    s_trim_t *t = &self->trim[i];
    const char *stream = self->streams[i];
    zw_events_trim_result_t r;
    zw_err_t err;
    if (zw_events_trim_retention(self->db, stream, days * S_DAY_US, self->trim_batch, &r, &err) !=
        0) {
        zw_logkv(ZW_LOG_WARN, "event retention failed; tried again later", "stream", stream,
                 "reason", err.message, NULL);
        t->next_ms = now_ms + s_min_ms(S_TRIM_RETRY_MS, self->trim_every_ms);
        return;
    }
    if (r.busy) {
        t->next_ms = now_ms + s_min_ms(S_TRIM_BUSY_MS, self->trim_every_ms);
        return;
    }
    t->pass_deleted += r.deleted;
    if (r.deleted >= self->trim_batch) {
        t->next_ms = now_ms; /* more is due: the next turn goes on */
        return;
    }
    if (t->pass_deleted > 0) {
        char n[24], upto[24], d[16], before[48];
        snprintf(n, sizeof n, "%lld", (long long) t->pass_deleted);
        snprintf(upto, sizeof upto, "%lld", (long long) r.trimmed_seq);
        snprintf(d, sizeof d, "%d", days);
        zw_time_format(r.before_us, before, sizeof before);
        zw_logkv(ZW_LOG_INFO, "events trimmed", "stream", stream, "count", n, "trimmed_seq", upto,
                 "before", before, "retention_days", d, NULL);
    }
    t->pass_deleted = 0;
    t->next_ms = now_ms + self->trim_every_ms;
}

void zw_relay_retain(zw_relay_t *self, int64_t now_ms)
{
    if (!self)
        return;
    int days =
        self->retention_days == ZW_RELAY_RETENTION_DAEMON ? s_daemon_days : self->retention_days;
    if (!self->trim_started) {
        int64_t first = now_ms + s_min_ms(S_TRIM_FIRST_MS, self->trim_every_ms);
        for (size_t i = 0; i < self->n_streams; i++)
            self->trim[i] = (s_trim_t){.next_ms = first};
        self->trim_started = true;
        self->applied_days = days;
    }
    if (days != self->applied_days) {
        /* the operator changed it: apply it now, not in up to an hour */
        for (size_t i = 0; i < self->n_streams; i++)
            self->trim[i].next_ms = now_ms;
        self->applied_days = days;
    }
    if (days <= 0)
        return;
    for (size_t i = 0; i < self->n_streams; i++)
        if (now_ms >= self->trim[i].next_ms)
            s_trim_stream(self, i, days, now_ms);
}

int64_t zw_relay_turn(zw_relay_t *relay, zw_db_t *audit_db, int64_t now_ms, int busy_ms,
                      int idle_ms)
{
    size_t moved = 0, chained = 0;
    bool failed = false;
    zw_err_t err;
    if (relay && zw_relay_run_once(relay, &moved, &err) != 0) {
        zw_logkv(ZW_LOG_WARN, "relay failed", "reason", err.message, NULL);
        failed = true;
    }
    if (!failed)
        zw_relay_retain(relay, now_ms);
    if (zw_audit_chain(audit_db, 0, &chained, &err) != 0) {
        zw_logkv(ZW_LOG_WARN, "audit chain failed", "reason", err.message, NULL);
        failed = true;
    }
    return zw_relay_next_ms(relay, now_ms, failed, moved, chained, chained >= ZW_AUDIT_CHAIN_BATCH,
                            busy_ms, idle_ms);
}
