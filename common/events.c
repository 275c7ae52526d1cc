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
 * row that is not old enough, the head). Taking the stream_head row lock
 * first orders this against the relay's batches. */
static const char *s_trim_sql =
    "WITH head AS ("
    "  SELECT last_seq, trimmed_seq FROM events.stream_head WHERE stream = $1 FOR UPDATE"
    "), lim AS ("
    "  SELECT least(h.last_seq,"
    "    coalesce((SELECT min(c.last_seq) FROM events.cursors c"
    "              WHERE c.stream = $1 AND c.registered), h.last_seq),"
    "    coalesce((SELECT l.seq - 1 FROM events.log l"
    "              WHERE l.stream = $1 AND l.occurred_at_us >= $2::bigint"
    "              ORDER BY l.seq LIMIT 1), h.last_seq)) AS upto,"
    "    h.trimmed_seq FROM head h"
    "), del AS ("
    "  DELETE FROM events.log l USING lim"
    "   WHERE l.stream = $1 AND l.seq <= lim.upto RETURNING l.seq"
    "), mark AS ("
    "  UPDATE events.stream_head h SET trimmed_seq = lim.upto FROM lim"
    "   WHERE h.stream = $1 AND lim.upto > lim.trimmed_seq"
    ")"
    " SELECT count(*) FROM del";

typedef struct {
    const char *stream;
    const char *older;
    int64_t deleted;
} s_trim_t;

static int s_trim_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_trim_t *t = arg;
    const char *params[] = {t->stream, t->older};
    PGresult *res = zw_db_query(db, s_trim_sql, 2, params, err);
    if (!res)
        return -1;
    t->deleted = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
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
    s_trim_t t = {stream, older, 0};
    if (zw_db_tx(db, false, s_trim_tx, &t, err) != 0)
        return -1;
    if (deleted)
        *deleted = t.deleted;
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
