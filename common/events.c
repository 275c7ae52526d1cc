#include "events.h"

#include "zwfw/v1/events.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zw_events_check_name(const char *what, const char *name, zw_err_t *err)
{
    if (!name || !*name)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, what, "%s name is empty", what);
    size_t n = strlen(name);
    if (n > ZW_EVENTS_NAME_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, what, "%s name longer than %d characters",
                           what, ZW_EVENTS_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, what,
                               "%s name may hold only a-z 0-9 . _ - and must start with a "
                               "letter or digit",
                               what);
    }
    return 0;
}

void zw_events_seq_put(uint8_t out[8], int64_t seq)
{
    uint64_t v = (uint64_t) seq;
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t) (v & 0xff);
        v >>= 8;
    }
}

int64_t zw_events_seq_get(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return (int64_t) v;
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

size_t zw_events_encode(const zw_event_t *ev, uint8_t **buf, size_t *cap)
{
    Zwfw__V1__Timestamp ts = ZWFW__V1__TIMESTAMP__INIT;
    ts.seconds = s_floor_div(ev->occurred_at_us, 1000000);
    ts.nanos = (int32_t) ((ev->occurred_at_us - ts.seconds * 1000000) * 1000);
    Zwfw__V1__Event m = ZWFW__V1__EVENT__INIT;
    m.stream = (char *) ev->stream;
    m.seq = ev->seq;
    m.type = (char *) ev->type;
    m.aggregate_id = (char *) ev->aggregate_id;
    m.occurred_at = &ts;
    m.event_id = (char *) ev->event_id;
    m.producer = (char *) ev->producer;
    m.payload.data = (uint8_t *) ev->payload;
    m.payload.len = ev->len;
    size_t need = zwfw__v1__event__get_packed_size(&m);
    if (need > *cap || !*buf) {
        uint8_t *grown = realloc(*buf, need ? need : 1);
        if (!grown)
            return 0;
        *buf = grown;
        *cap = need ? need : 1;
    }
    return zwfw__v1__event__pack(&m, *buf);
}

void *zw_events_decode(const void *data, size_t len, zw_event_t *ev)
{
    Zwfw__V1__Event *m = zwfw__v1__event__unpack(NULL, len, data);
    if (!m)
        return NULL;
    *ev = (zw_event_t){
        .stream = m->stream,
        .seq = m->seq,
        .type = m->type,
        .aggregate_id = m->aggregate_id,
        .occurred_at_us =
            m->occurred_at ? m->occurred_at->seconds * 1000000 + m->occurred_at->nanos / 1000 : 0,
        .event_id = m->event_id,
        .producer = m->producer,
        .payload = m->payload.data,
        .len = m->payload.len,
    };
    return m;
}

void zw_events_decoded_free(void *decoded)
{
    if (decoded)
        zwfw__v1__event__free_unpacked(decoded, NULL);
}

/* The cut-off is computed once, in the same statement that deletes: the
 * smallest of (the slowest registered cursor, the last seq before the first
 * row that is not old enough, the head, and with a bound trimmed_seq +
 * bound). Taking the stream_head row lock first orders this against the
 * relay's batches. $2 is an absolute cut-off; or $3 a span before the
 * newest event's occurred_at (the retention rule); $4 the bound (NULL:
 * none). With a bound the look for the first row not old enough stays
 * within the bound too, so a large backlog is never scanned whole. */
static const char *s_trim_sql =
    "WITH head AS ("
    "  SELECT last_seq, trimmed_seq FROM events.stream_head WHERE stream = $1 FOR UPDATE"
    "), cut AS ("
    "  SELECT h.trimmed_seq,"
    "    CASE WHEN $3::bigint IS NULL THEN $2::bigint"
    "         ELSE (SELECT l.occurred_at_us - $3::bigint FROM events.log l"
    "                WHERE l.stream = $1 AND l.seq = h.last_seq) END AS before_us,"
    "    CASE WHEN $4::bigint IS NULL THEN h.last_seq"
    "         ELSE least(h.last_seq, h.trimmed_seq + $4::bigint) END AS top"
    "    FROM head h"
    "), lim AS ("
    "  SELECT c.trimmed_seq, c.before_us,"
    "    CASE WHEN c.before_us IS NULL THEN c.trimmed_seq ELSE least(c.top,"
    "      coalesce((SELECT min(k.last_seq) FROM events.cursors k"
    "                WHERE k.stream = $1 AND k.registered), c.top),"
    "      coalesce((SELECT l.seq - 1 FROM events.log l"
    "                WHERE l.stream = $1 AND l.seq > c.trimmed_seq AND l.seq <= c.top"
    "                  AND l.occurred_at_us >= c.before_us"
    "                ORDER BY l.seq LIMIT 1), c.top)) END AS upto"
    "    FROM cut c"
    "), del AS ("
    "  DELETE FROM events.log l USING lim"
    "   WHERE l.stream = $1 AND l.seq <= lim.upto RETURNING l.seq"
    "), mark AS ("
    "  UPDATE events.stream_head h SET trimmed_seq = lim.upto FROM lim"
    "   WHERE h.stream = $1 AND lim.upto > lim.trimmed_seq"
    ")"
    " SELECT (SELECT count(*) FROM del), greatest(lim.upto, lim.trimmed_seq),"
    "        coalesce(lim.before_us, 0) FROM lim";

typedef struct {
    const char *params[4]; /* stream, older_than, keep, bound (NULL: not given) */
    bool try_lock;
    zw_events_trim_result_t out;
} s_trim_t;

static int s_trim_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_trim_t *t = arg;
    memset(&t->out, 0, sizeof t->out);
    PGresult *res;
    if (t->try_lock) {
        char lock_class[16];
        snprintf(lock_class, sizeof lock_class, "%d", ZW_EVENTS_LOCK_RELAY);
        const char *lp[] = {lock_class, t->params[0]};
        if (!(res = zw_db_query(db, "SELECT pg_try_advisory_xact_lock($1::int, hashtext($2))", 2,
                                lp, err)))
            return -1;
        t->out.busy = strcmp(PQgetvalue(res, 0, 0), "t") != 0;
        PQclear(res);
        if (t->out.busy)
            return 0;
    }
    if (!(res = zw_db_query(db, s_trim_sql, 4, t->params, err)))
        return -1;
    if (PQntuples(res) == 1) {
        t->out.deleted = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        t->out.trimmed_seq = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        t->out.before_us = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    }
    PQclear(res);
    return 0;
}

int zw_events_trim(zw_db_t *db, const char *stream, int64_t older_than_us, int64_t *deleted,
                   zw_err_t *err)
{
    if (deleted)
        *deleted = 0;
    if (zw_events_check_name("stream", stream, err) != 0)
        return -1;
    char older[24];
    snprintf(older, sizeof older, "%lld", (long long) older_than_us);
    s_trim_t t = {.params = {stream, older, NULL, NULL}};
    if (zw_db_tx(db, false, s_trim_tx, &t, err) != 0)
        return -1;
    if (deleted)
        *deleted = t.out.deleted;
    return 0;
}

int zw_events_trim_retention(zw_db_t *db, const char *stream, int64_t keep_us, int64_t max_rows,
                             zw_events_trim_result_t *out, zw_err_t *err)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (zw_events_check_name("stream", stream, err) != 0)
        return -1;
    if (keep_us <= 0 || max_rows <= 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, keep_us <= 0 ? "keep_us" : "max_rows",
                           "retention: the span kept and the bound must be > 0");
    char keep[24], bound[24];
    snprintf(keep, sizeof keep, "%lld", (long long) keep_us);
    snprintf(bound, sizeof bound, "%lld", (long long) max_rows);
    s_trim_t t = {.params = {stream, NULL, keep, bound}, .try_lock = true};
    if (zw_db_tx(db, false, s_trim_tx, &t, err) != 0)
        return -1;
    if (out)
        *out = t.out;
    return 0;
}

int zw_events_consumer_lag(zw_db_t *db, const char *consumer, int64_t *lag, bool *alarm,
                           zw_err_t *err)
{
    if (zw_events_check_name("consumer", consumer, err) != 0)
        return -1;
    const char *params[] = {consumer};
    PGresult *res =
        zw_db_query(db,
                    "SELECT coalesce(sum(greatest(coalesce(h.last_seq, 0) - c.last_seq, 0)), 0),"
                    "       coalesce(bool_or(c.alarm), false)"
                    "  FROM events.cursors c LEFT JOIN events.stream_head h USING (stream)"
                    " WHERE c.consumer = $1",
                    1, params, err);
    if (!res)
        return -1;
    if (lag)
        *lag = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    if (alarm)
        *alarm = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
    PQclear(res);
    return 0;
}

int zw_events_outbox_pending(zw_db_t *db, const char *stream, int64_t *count, zw_err_t *err)
{
    if (zw_events_check_name("stream", stream, err) != 0)
        return -1;
    const char *params[] = {stream};
    PGresult *res =
        zw_db_query(db, "SELECT count(*) FROM events.outbox WHERE stream = $1", 1, params, err);
    if (!res)
        return -1;
    if (count)
        *count = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

int zw_events_unregister(zw_db_t *db, const char *consumer, const char *stream, zw_err_t *err)
{
    if (zw_events_check_name("consumer", consumer, err) != 0 ||
        zw_events_check_name("stream", stream, err) != 0)
        return -1;
    const char *params[] = {consumer, stream};
    PGresult *res = zw_db_query(db,
                                "UPDATE events.cursors SET registered = false"
                                " WHERE consumer = $1 AND stream = $2",
                                2, params, err);
    if (!res)
        return -1;
    bool found = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    if (!found)
        return zw_err_setd(err, ZW_NOT_FOUND, "cursor", "consumer %s has no cursor on stream %s",
                           consumer, stream);
    return 0;
}
