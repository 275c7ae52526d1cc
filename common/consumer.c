#include "consumer.h"

#include "clock.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_DEFAULT_QUIET_MS 1000
#define S_DEFAULT_BATCH 500
#define S_DEFAULT_ALARM_AFTER 5
#define S_DEFAULT_RETRY_MIN_MS 100
#define S_DEFAULT_RETRY_MAX_MS 30000
#define S_DRAIN_MAX 10000 /* messages per on_readable, so the loop stays fair */

typedef struct {
    char *name;
    bool registered;
    int64_t cursor;        /* last applied seq, as far as we know */
    int64_t head;          /* highest seq known to exist */
    bool need_catchup;     /* read the log at the next tick */
    int64_t last_heard_ms; /* last doorbell or log read for this stream */
    int failures;          /* in a row, on seq cursor + 1 */
    int64_t retry_at_ms;
    bool alarm;
} s_stream_t;

struct zw_consumer {
    zw_db_t *db;
    char *name;
    s_stream_t *streams;
    size_t n_streams;
    void *sub;
    bool own_sub;
    zw_event_handler_fn *handler;
    void *handler_arg;
    int quiet_ms, batch, alarm_after, retry_min_ms, retry_max_ms;
    bool start_at_head;
    char batch_text[16];
    int64_t db_retry_at_ms; /* registration back-off */
    uint64_t applied, skipped;
};

static const char *s_register_sql =
    "INSERT INTO events.cursors (consumer, stream, last_seq)"
    " VALUES ($1, $2, CASE WHEN $3::boolean THEN coalesce("
    "   (SELECT last_seq FROM events.stream_head WHERE stream = $2), 0) ELSE 0 END)"
    " ON CONFLICT (consumer, stream) DO UPDATE SET registered = true"
    " RETURNING last_seq";

static const char *s_cas_sql =
    "UPDATE events.cursors SET last_seq = $3::bigint, failures = 0, failing_seq = NULL,"
    " last_error = NULL, alarm = false"
    " WHERE consumer = $1 AND stream = $2 AND last_seq = $3::bigint - 1";

static const char *s_get_sql =
    "SELECT last_seq FROM events.cursors WHERE consumer = $1 AND stream = $2";

static const char *s_head_sql =
    "SELECT last_seq, trimmed_seq FROM events.stream_head WHERE stream = $1";

static const char *s_read_sql =
    "SELECT seq, type, aggregate_id, occurred_at_us, event_id, producer, payload"
    "  FROM events.log WHERE stream = $1 AND seq > $2::bigint ORDER BY seq LIMIT $3::int";

static const char *s_alarm_sql =
    "UPDATE events.cursors SET failures = $3::int, failing_seq = $4::bigint, last_error = $5,"
    " alarm = $6::boolean WHERE consumer = $1 AND stream = $2";

static const char *s_skip_sql = "UPDATE events.cursors SET last_seq = $3::bigint"
                                " WHERE consumer = $1 AND stream = $2 AND last_seq = $4::bigint";

static int s_setting(const char *name, int value, int dflt, int *out, zw_err_t *err)
{
    if (value < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, name, "consumer: %s must be >= 0", name);
    *out = value ? value : dflt;
    return 0;
}

static int s_check_config(const zw_consumer_config_t *cfg, zw_err_t *err)
{
    if (zw_events_check_name("consumer", cfg->name, err) != 0)
        return -1;
    if (!cfg->handler)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "handler", "consumer: no handler");
    if (!cfg->streams || cfg->n_streams == 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "streams", "consumer: no stream to follow");
    for (size_t i = 0; i < cfg->n_streams; i++) {
        if (zw_events_check_name("stream", cfg->streams[i], err) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(cfg->streams[i], cfg->streams[j]) == 0)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, "streams",
                                   "consumer: stream %s named twice", cfg->streams[i]);
    }
    if (cfg->n_endpoints > 0 && !cfg->endpoints)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoints", "consumer: endpoints missing");
    if (cfg->n_endpoints > 0 && !cfg->sub && !cfg->zmq_ctx)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "zmq_ctx",
                           "consumer: endpoints need a SUB socket or a context");
    return 0;
}

zw_consumer_t *zw_consumer_new(zw_db_t *db, const zw_consumer_config_t *cfg, zw_err_t *err)
{
    if (!db || !cfg) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "consumer: no database or config");
        return NULL;
    }
    if (s_check_config(cfg, err) != 0)
        return NULL;
    zw_consumer_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->db = db;
    self->handler = cfg->handler;
    self->handler_arg = cfg->handler_arg;
    self->start_at_head = cfg->start_at_head;
    if (s_setting("quiet_ms", cfg->quiet_ms, S_DEFAULT_QUIET_MS, &self->quiet_ms, err) != 0 ||
        s_setting("batch", cfg->batch, S_DEFAULT_BATCH, &self->batch, err) != 0 ||
        s_setting("alarm_after", cfg->alarm_after, S_DEFAULT_ALARM_AFTER, &self->alarm_after,
                  err) != 0 ||
        s_setting("retry_min_ms", cfg->retry_min_ms, S_DEFAULT_RETRY_MIN_MS, &self->retry_min_ms,
                  err) != 0 ||
        s_setting("retry_max_ms", cfg->retry_max_ms, S_DEFAULT_RETRY_MAX_MS, &self->retry_max_ms,
                  err) != 0) {
        free(self);
        return NULL;
    }
    snprintf(self->batch_text, sizeof self->batch_text, "%d", self->batch);
    self->name = strdup(cfg->name);
    self->streams = calloc(cfg->n_streams, sizeof *self->streams);
    bool ok = self->name && self->streams;
    if (ok)
        self->n_streams = cfg->n_streams;
    for (size_t i = 0; ok && i < cfg->n_streams; i++) {
        self->streams[i].name = strdup(cfg->streams[i]);
        self->streams[i].cursor = -1;
        self->streams[i].need_catchup = true;
        ok = self->streams[i].name != NULL;
    }
    if (!ok) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        zw_consumer_destroy(&self);
        return NULL;
    }
    if (zw_db_prepare(db, "zw_cons_register", s_register_sql, 3, err) != 0 ||
        zw_db_prepare(db, "zw_cons_cas", s_cas_sql, 3, err) != 0 ||
        zw_db_prepare(db, "zw_cons_get", s_get_sql, 2, err) != 0 ||
        zw_db_prepare(db, "zw_cons_head", s_head_sql, 1, err) != 0 ||
        zw_db_prepare(db, "zw_cons_read", s_read_sql, 3, err) != 0 ||
        zw_db_prepare(db, "zw_cons_alarm", s_alarm_sql, 6, err) != 0 ||
        zw_db_prepare(db, "zw_cons_skip", s_skip_sql, 4, err) != 0) {
        zw_consumer_destroy(&self);
        return NULL;
    }
    if (cfg->sub) {
        self->sub = cfg->sub;
    } else if (cfg->n_endpoints > 0) {
        self->sub = zmq_socket(cfg->zmq_ctx, ZMQ_SUB);
        self->own_sub = self->sub != NULL;
        int linger = 0;
        if (self->sub)
            zmq_setsockopt(self->sub, ZMQ_LINGER, &linger, sizeof linger);
        if (!self->sub) {
            zw_err_set(err, ZW_UNAVAILABLE, "consumer: cannot create SUB socket: %s",
                       zmq_strerror(zmq_errno()));
            zw_consumer_destroy(&self);
            return NULL;
        }
    }
    for (size_t i = 0; self->sub && i < self->n_streams; i++)
        zmq_setsockopt(self->sub, ZMQ_SUBSCRIBE, self->streams[i].name,
                       strlen(self->streams[i].name));
    for (size_t i = 0; i < cfg->n_endpoints; i++)
        if (zmq_connect(self->sub, cfg->endpoints[i]) != 0) {
            zw_err_setd(err, ZW_UNAVAILABLE, cfg->endpoints[i], "consumer: cannot connect %s: %s",
                        cfg->endpoints[i], zmq_strerror(zmq_errno()));
            zw_consumer_destroy(&self);
            return NULL;
        }
    return self;
}

void zw_consumer_destroy(zw_consumer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_consumer_t *self = *self_p;
    if (self->own_sub && self->sub)
        zmq_close(self->sub);
    for (size_t i = 0; i < self->n_streams; i++)
        free(self->streams[i].name);
    free(self->streams);
    free(self->name);
    free(self);
    *self_p = NULL;
}

void *zw_consumer_socket(zw_consumer_t *self)
{
    return self ? self->sub : NULL;
}

static s_stream_t *s_find(const zw_consumer_t *self, const char *name, size_t len)
{
    for (size_t i = 0; i < self->n_streams; i++)
        if (strlen(self->streams[i].name) == len && memcmp(self->streams[i].name, name, len) == 0)
            return &self->streams[i];
    return NULL;
}

/* ---- applying one event ------------------------------------------------ */

typedef struct {
    zw_consumer_t *self;
    s_stream_t *st;
    const zw_event_t *ev;
    bool lost;         /* another replica applied it first */
    int64_t db_cursor; /* the cursor then */
} s_apply_t;

static int s_apply_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_apply_t *a = arg;
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", (long long) a->ev->seq);
    const char *params[] = {a->self->name, a->st->name, seq};
    a->lost = false;
    /* The compare-and-set comes first: a replica racing for the same event
     * waits here on the row lock, then finds no row, and never runs the
     * handler at all. */
    PGresult *res = zw_db_exec(db, "zw_cons_cas", 3, params, err);
    if (!res)
        return -1;
    bool won = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    if (won)
        return a->self->handler(db, a->ev, a->self->handler_arg, err);
    res = zw_db_exec(db, "zw_cons_get", 2, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        a->st->registered = false;
        return zw_err_setd(err, ZW_NOT_FOUND, a->st->name,
                           "consumer %s: cursor on %s disappeared; registering again",
                           a->self->name, a->st->name);
    }
    a->lost = true;
    a->db_cursor = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

static void s_failed(zw_consumer_t *self, s_stream_t *st, int64_t seq, const zw_err_t *why)
{
    st->failures++;
    int64_t delay = self->retry_min_ms;
    for (int i = 1; i < st->failures && delay < self->retry_max_ms; i++)
        delay *= 2;
    if (delay > self->retry_max_ms)
        delay = self->retry_max_ms;
    int64_t now = zw_mono_ms();
    st->retry_at_ms = now + delay;
    st->need_catchup = true;
    char seqs[24], tries[16];
    snprintf(seqs, sizeof seqs, "%lld", (long long) seq);
    snprintf(tries, sizeof tries, "%d", st->failures);
    if (st->failures < self->alarm_after) {
        zw_logkv(ZW_LOG_WARN, "event handler failed; will retry", "consumer", self->name, "stream",
                 st->name, "seq", seqs, "tries", tries, "error", why->message, NULL);
        return;
    }
    st->alarm = true;
    zw_logkv(ZW_LOG_ERROR, "event handler keeps failing; alarm raised", "consumer", self->name,
             "stream", st->name, "seq", seqs, "tries", tries, "error", why->message, NULL);
    const char *params[] = {self->name, st->name, tries, seqs, why->message, "true"};
    zw_err_t err;
    PGresult *res = zw_db_exec(self->db, "zw_cons_alarm", 6, params, &err);
    if (res)
        PQclear(res);
    else
        zw_logkv(ZW_LOG_ERROR, "cannot record the alarm", "consumer", self->name, "error",
                 err.message, NULL);
}

/* Applies ev, which must be seq cursor + 1. 0 when it is applied (here or by
 * another replica), -1 when it failed and will be retried. */
static int s_apply(zw_consumer_t *self, s_stream_t *st, const zw_event_t *ev, zw_err_t *err)
{
    s_apply_t a = {.self = self, .st = st, .ev = ev};
    zw_err_t local;
    zw_err_clear(&local);
    if (zw_db_tx(self->db, false, s_apply_tx, &a, &local) != 0) {
        s_failed(self, st, ev->seq, &local);
        if (err)
            *err = local;
        return -1;
    }
    if (a.lost) {
        /* Usually ahead of us (a replica was faster); behind us only if an
         * operator rewound the cursor to replay: either way, go on from it. */
        self->skipped++;
        if (a.db_cursor < st->cursor)
            st->need_catchup = true;
        st->cursor = a.db_cursor;
    } else {
        self->applied++;
        st->cursor = ev->seq;
    }
    if (st->cursor > st->head)
        st->head = st->cursor;
    st->failures = 0;
    st->alarm = false;
    return 0;
}

/* ---- the doorbell ------------------------------------------------------ */

/* 0, or -1 with *err when applying the event failed (it will be retried). */
static int s_on_message(zw_consumer_t *self, zmq_msg_t *frames, int nframes, int64_t now,
                        zw_err_t *err)
{
    s_stream_t *st = s_find(self, zmq_msg_data(&frames[0]), zmq_msg_size(&frames[0]));
    if (!st)
        return 0; /* a topic that only shares our prefix */
    st->last_heard_ms = now;
    if (nframes != 4 || zmq_msg_size(&frames[1]) != 8) {
        zw_logkv(ZW_LOG_WARN, "malformed event message; reading the log", "consumer", self->name,
                 "stream", st->name, NULL);
        st->need_catchup = true;
        return 0;
    }
    int64_t seq = zw_events_seq_get(zmq_msg_data(&frames[1]));
    if (seq > st->head)
        st->head = seq;
    if (!st->registered || st->failures > 0 || seq <= st->cursor)
        return 0;
    if (seq > st->cursor + 1) {
        st->need_catchup = true; /* missed some: the tick reads them from the log */
        return 0;
    }
    zw_event_t ev;
    void *decoded = zw_events_decode(zmq_msg_data(&frames[3]), zmq_msg_size(&frames[3]), &ev);
    if (!decoded || ev.seq != seq || strcmp(ev.stream, st->name) != 0) {
        zw_logkv(ZW_LOG_WARN, "event envelope does not decode; reading the log", "consumer",
                 self->name, "stream", st->name, NULL);
        zw_events_decoded_free(decoded);
        st->need_catchup = true;
        return 0;
    }
    ev.stream = st->name;
    int rc = s_apply(self, st, &ev, err);
    zw_events_decoded_free(decoded);
    return rc;
}

int zw_consumer_on_readable(zw_consumer_t *self, zw_err_t *err)
{
    if (!self || !self->sub)
        return 0;
    int64_t now = zw_mono_ms();
    zmq_msg_t frames[4];
    int rc = 0;
    for (int got = 0; got < S_DRAIN_MAX; got++) {
        int n = 0;
        bool more = true;
        while (more) {
            zmq_msg_t part;
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, self->sub, n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
                zmq_msg_close(&part);
                for (int i = 0; i < n && i < 4; i++)
                    zmq_msg_close(&frames[i]);
                return rc; /* drained (EAGAIN) or interrupted: the loop comes back */
            }
            more = zmq_msg_more(&part);
            if (n < 4)
                frames[n] = part;
            else
                zmq_msg_close(&part);
            n++;
        }
        zw_err_t local;
        if (s_on_message(self, frames, n, now, &local) != 0 && rc == 0) {
            rc = -1;
            if (err)
                *err = local;
        }
        for (int i = 0; i < n && i < 4; i++)
            zmq_msg_close(&frames[i]);
    }
    return rc;
}

/* ---- the log ----------------------------------------------------------- */

static void s_db_backoff(zw_consumer_t *self, int64_t now)
{
    self->db_retry_at_ms = now + self->retry_min_ms * 5;
}

static int s_register(zw_consumer_t *self, s_stream_t *st, zw_err_t *err)
{
    const char *params[] = {self->name, st->name, self->start_at_head ? "true" : "false"};
    PGresult *res = zw_db_exec(self->db, "zw_cons_register", 3, params, err);
    if (!res)
        return -1;
    st->cursor = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (st->cursor > st->head)
        st->head = st->cursor;
    st->registered = true;
    st->need_catchup = true;
    return 0;
}

/* The log holds no row cursor + 1. Retention removed it (the cursor was
 * not registered, or is new): move past what was trimmed. Anything else
 * is a hole that should not exist: never skip it. */
static int s_past_trimmed(zw_consumer_t *self, s_stream_t *st, int64_t trimmed, zw_err_t *err)
{
    if (st->cursor >= trimmed) {
        zw_err_t why;
        zw_err_setd(&why, ZW_DATA_LOSS, st->name, "event %lld missing from events.log",
                    (long long) st->cursor + 1);
        s_failed(self, st, st->cursor + 1, &why);
        if (err)
            *err = why;
        return -1;
    }
    char to[24], from[24];
    snprintf(to, sizeof to, "%lld", (long long) trimmed);
    snprintf(from, sizeof from, "%lld", (long long) st->cursor);
    const char *params[] = {self->name, st->name, to, from};
    PGresult *res = zw_db_exec(self->db, "zw_cons_skip", 4, params, err);
    if (!res)
        return -1;
    bool moved = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    if (moved) {
        zw_logkv(ZW_LOG_WARN, "events removed by retention before this consumer read them",
                 "consumer", self->name, "stream", st->name, "from", from, "to", to, NULL);
        st->cursor = trimmed;
        return 0;
    }
    res = zw_db_exec(self->db, "zw_cons_get", 2, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1)
        st->cursor = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

static void s_row_event(PGresult *rows, int r, const char *stream, zw_event_t *ev)
{
    ev->stream = stream;
    ev->seq = strtoll(PQgetvalue(rows, r, 0), NULL, 10);
    ev->type = PQgetvalue(rows, r, 1);
    ev->aggregate_id = PQgetvalue(rows, r, 2);
    ev->occurred_at_us = strtoll(PQgetvalue(rows, r, 3), NULL, 10);
    ev->event_id = PQgetvalue(rows, r, 4);
    ev->producer = PQgetvalue(rows, r, 5);
}

/* Reads one batch after the cursor from the log and applies it. */
static int s_catch_up(zw_consumer_t *self, s_stream_t *st, int64_t now, zw_err_t *err)
{
    st->last_heard_ms = now;
    const char *hp[] = {st->name};
    PGresult *res = zw_db_exec(self->db, "zw_cons_head", 1, hp, err);
    if (!res)
        return -1;
    int64_t head = 0, trimmed = 0;
    if (PQntuples(res) == 1) {
        head = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        trimmed = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    if (head > st->head)
        st->head = head;
    if (head <= st->cursor) {
        st->need_catchup = false;
        return 0;
    }
    char after[24];
    snprintf(after, sizeof after, "%lld", (long long) st->cursor);
    const char *rp[] = {st->name, after, self->batch_text};
    PGresult *rows = zw_db_exec(self->db, "zw_cons_read", 3, rp, err);
    if (!rows)
        return -1;
    int n = PQntuples(rows);
    int rc = 0;
    st->need_catchup = true;
    if (n == 0 || strtoll(PQgetvalue(rows, 0, 0), NULL, 10) > st->cursor + 1) {
        PQclear(rows);
        return s_past_trimmed(self, st, trimmed, err);
    }
    for (int r = 0; r < n; r++) {
        zw_event_t ev;
        s_row_event(rows, r, st->name, &ev);
        if (ev.seq <= st->cursor)
            continue; /* another replica moved the cursor past it */
        if (ev.seq != st->cursor + 1)
            break;
        size_t len = 0;
        unsigned char *payload =
            PQunescapeBytea((const unsigned char *) PQgetvalue(rows, r, 6), &len);
        if (!payload) {
            rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        ev.payload = payload;
        ev.len = len;
        rc = s_apply(self, st, &ev, err);
        PQfreemem(payload);
        if (rc != 0)
            break;
    }
    PQclear(rows);
    if (rc == 0 && n < self->batch && st->cursor >= head)
        st->need_catchup = false;
    return rc;
}

int zw_consumer_tick(zw_consumer_t *self, int64_t now_ms, int64_t *next_ms, zw_err_t *err)
{
    if (!self) {
        if (next_ms)
            *next_ms = now_ms + S_DEFAULT_QUIET_MS;
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "consumer: NULL");
    }
    int64_t next = now_ms + self->quiet_ms;
    int rc = 0;
    for (size_t i = 0; i < self->n_streams; i++) {
        s_stream_t *st = &self->streams[i];
        if (now_ms < self->db_retry_at_ms) {
            next = self->db_retry_at_ms < next ? self->db_retry_at_ms : next;
            continue;
        }
        if (!st->registered && s_register(self, st, err) != 0) {
            s_db_backoff(self, now_ms);
            rc = -1;
            continue;
        }
        if (st->failures > 0 && now_ms < st->retry_at_ms) {
            next = st->retry_at_ms < next ? st->retry_at_ms : next;
            continue;
        }
        bool due =
            st->need_catchup || st->failures > 0 || now_ms - st->last_heard_ms >= self->quiet_ms;
        if (due && s_catch_up(self, st, now_ms, err) != 0) {
            rc = -1;
            if (st->failures == 0)
                s_db_backoff(self, now_ms); /* the database, not the handler */
        }
        int64_t due_at = st->failures > 0   ? st->retry_at_ms
                         : st->need_catchup ? now_ms
                                            : st->last_heard_ms + self->quiet_ms;
        if (due_at < next)
            next = due_at;
    }
    if (now_ms < self->db_retry_at_ms && self->db_retry_at_ms < next)
        next = self->db_retry_at_ms;
    if (next_ms)
        *next_ms = next;
    return rc;
}

int64_t zw_consumer_lag(const zw_consumer_t *self)
{
    if (!self)
        return -1;
    int64_t lag = 0;
    for (size_t i = 0; i < self->n_streams; i++) {
        const s_stream_t *st = &self->streams[i];
        if (!st->registered)
            return -1;
        if (st->head > st->cursor)
            lag += st->head - st->cursor;
    }
    return lag;
}

int64_t zw_consumer_cursor(const zw_consumer_t *self, const char *stream)
{
    if (!self || !stream)
        return -1;
    const s_stream_t *st = s_find(self, stream, strlen(stream));
    return st && st->registered ? st->cursor : -1;
}

bool zw_consumer_alarm(const zw_consumer_t *self)
{
    for (size_t i = 0; self && i < self->n_streams; i++)
        if (self->streams[i].alarm)
            return true;
    return false;
}

uint64_t zw_consumer_applied_total(const zw_consumer_t *self)
{
    return self ? self->applied : 0;
}

uint64_t zw_consumer_skipped_total(const zw_consumer_t *self)
{
    return self ? self->skipped : 0;
}
