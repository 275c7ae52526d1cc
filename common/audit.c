#include "audit.h"

#include "access.h"
#include "events.h"
#include "pbmsg.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TEXT_MAX 200
#define S_VERIFY_PAGE "1000"

static const char s_zero_hash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void s_hex(const unsigned char *bin, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bin[i] >> 4];
        out[2 * i + 1] = digits[bin[i] & 15];
    }
    out[2 * n] = '\0';
}

void zw_audit_digest(const void *data, size_t len, char out[ZW_AUDIT_HASH_LEN + 1])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data ? data : (const void *) "", len);
    s_hex(h, sizeof h, out);
}

static void s_field(crypto_hash_sha256_state *st, const char *value)
{
    char prefix[24];
    size_t len = value ? strlen(value) : 0;
    int n = snprintf(prefix, sizeof prefix, "%zu:", len);
    crypto_hash_sha256_update(st, (const unsigned char *) prefix, (unsigned long long) n);
    if (len)
        crypto_hash_sha256_update(st, (const unsigned char *) value, len);
    crypto_hash_sha256_update(st, (const unsigned char *) "\n", 1);
}

void zw_audit_row_hash(const zw_audit_row_t *row, char out[ZW_AUDIT_HASH_LEN + 1])
{
    static const char magic[] = "zwfw-audit-v1\n";
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *) magic, sizeof magic - 1);
    const char *fields[] = {row->seq,           row->at_us,       row->actor,
                            row->caller_key_id, row->caller_role, row->action,
                            row->object_type,   row->object_id,   row->before_digest,
                            row->after_digest,  row->prev_hash};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        s_field(&st, fields[i]);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    s_hex(h, sizeof h, out);
}

/* ---- append -------------------------------------------------------------- */

static const char *s_append_sql =
    "INSERT INTO audit.pending (at_us, actor, caller_key_id, caller_role, action, object_type,"
    " object_id, before_digest, after_digest)"
    " VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8, $9)";
static const char *s_append_rows_sql =
    "INSERT INTO audit.pending (at_us, actor, caller_key_id, caller_role, action, object_type,"
    " object_id, before_digest, after_digest)"
    " SELECT $1::bigint, $2, $3, $4, $5, $6, $7, $8, $9 FROM $rows ORDER BY zw_r.zw_i";

static int s_text(const char *name, const char *value, bool required, zw_err_t *err)
{
    if (required && (!value || !*value))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, name, "audit: %s is required", name);
    if (value && strlen(value) > S_TEXT_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, name, "audit: %s longer than %d bytes", name,
                           S_TEXT_MAX);
    return 0;
}

int zw_audit_append(zw_db_t *db, const zw_audit_entry_t *e, zw_err_t *err)
{
    if (!db || !e)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "audit: no database or entry");
    if (s_text("actor", e->actor, true, err) != 0 ||
        s_text("caller_key_id", e->caller_key_id, false, err) != 0 ||
        s_text("caller_role", e->caller_role, false, err) != 0 ||
        s_text("action", e->action, true, err) != 0 ||
        s_text("object_type", e->object_type, true, err) != 0 ||
        s_text("object_id", e->object_id, true, err) != 0)
        return -1;
    if ((!e->before && e->before_len) || (!e->after && e->after_len))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "state", "audit: state is NULL");
    if (sodium_init() < 0)
        return zw_err_set(err, ZW_INTERNAL, "audit: libsodium did not initialise");
    char before[ZW_AUDIT_HASH_LEN + 1] = "", after[ZW_AUDIT_HASH_LEN + 1] = "";
    if (e->before)
        zw_audit_digest(e->before, e->before_len, before);
    if (e->after)
        zw_audit_digest(e->after, e->after_len, after);
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long) e->at_us);
    if (zw_db_prepare_rows(db, "zw_audit_append", s_append_sql, 9, s_append_rows_sql, err) != 0)
        return -1;
    const char *params[] = {at,
                            e->actor,
                            e->caller_key_id ? e->caller_key_id : "",
                            e->caller_role ? e->caller_role : "",
                            e->action,
                            e->object_type,
                            e->object_id,
                            before,
                            after};
    return zw_db_write(db, "zw_audit_append", 9, params, err);
}

/* ---- chain --------------------------------------------------------------- */

static const char *s_move_sql =
    "WITH u AS ("
    "  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])"
    "    AS u(id, seq, prev_hash, hash)"
    "), d AS ("
    "  DELETE FROM audit.pending p WHERE p.id = ANY ($1::bigint[]) RETURNING p.*"
    "), i AS ("
    "  INSERT INTO audit.log (seq, at_us, actor, caller_key_id, caller_role, action,"
    "                         object_type, object_id, before_digest, after_digest,"
    "                         prev_hash, hash)"
    "  SELECT u.seq, d.at_us, d.actor, d.caller_key_id, d.caller_role, d.action,"
    "         d.object_type, d.object_id, d.before_digest, d.after_digest, u.prev_hash, u.hash"
    "    FROM d JOIN u ON u.id = d.id"
    "  RETURNING seq"
    "), h AS ("
    "  UPDATE audit.head SET last_seq = $5::bigint, last_hash = $6"
    "   WHERE id = 1 AND last_seq = $7::bigint RETURNING 1"
    ")"
    " SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM h)";

/* A growing text buffer for array literals ("{1,2,3}"); elements are
 * decimal numbers or hex, which need no quoting. */
typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} s_buf_t;

static void s_put(s_buf_t *b, const char *text)
{
    size_t n = strlen(text);
    if (b->oom)
        return;
    if (b->len + n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->len + n + 2)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown) {
            b->oom = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, text, n + 1);
    b->len += n;
}

static void s_item(s_buf_t *b, size_t i, const char *text)
{
    s_put(b, i == 0 ? "{" : ",");
    s_put(b, text);
}

typedef struct {
    int batch;
    size_t chained;
} s_chain_t;

/* The head, locked, and the oldest pending entries, in one statement (read
 * after the advisory lock was taken, so its snapshot sees every entry an
 * earlier chainer moved); a row with NULL entry columns when none waits. */
static const char *s_head_pending_sql =
    "SELECT h.last_seq, h.last_hash, p.id, p.at_us, p.actor, p.caller_key_id, p.caller_role,"
    "       p.action, p.object_type, p.object_id, p.before_digest, p.after_digest"
    "  FROM (SELECT last_seq, last_hash FROM audit.head WHERE id = 1 FOR UPDATE) h"
    "  LEFT JOIN LATERAL (SELECT * FROM audit.pending ORDER BY id LIMIT $1::int) p ON true"
    " ORDER BY p.id";

/* Runs a statement of the chainer, prepared on first use (the chainer runs
 * after every commit that wrote audit entries). */
static PGresult *s_exec(zw_db_t *db, const char *name, const char *sql, int n,
                        const char *const *params, zw_err_t *err)
{
    if (zw_db_prepare(db, name, sql, n, err) != 0)
        return NULL;
    return zw_db_exec(db, name, n, params, err);
}

static int s_chain_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_chain_t *c = arg;
    c->chained = 0;
    char lock_class[16], batch[16];
    snprintf(lock_class, sizeof lock_class, "%d", ZW_EVENTS_LOCK_AUDIT);
    snprintf(batch, sizeof batch, "%d", c->batch);
    const char *lp[] = {lock_class};
    /* No sequential scans: audit.pending is a queue, mostly dead rows
     * between two vacuums, and a plan made while it looked empty (a seq
     * scan to delete by id) would read all of them at every run. (The
     * chain's commit does wait for its flush: were it visible before it is
     * durable, an entry committing at that moment with a lower id could be
     * chained before it after a crash, and a head written down meanwhile
     * would no longer match.) */
    PGresult *res = s_exec(db, "zw_audit_lock",
                           "SELECT pg_try_advisory_xact_lock($1::int, 0),"
                           " set_config('enable_seqscan', 'off', true)",
                           1, lp, err);
    if (!res)
        return -1;
    bool locked = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!locked)
        return 0;
    const char *bp[] = {batch};
    PGresult *rows = s_exec(db, "zw_audit_head_pending", s_head_pending_sql, 1, bp, err);
    if (!rows)
        return -1;
    if (PQntuples(rows) < 1) {
        PQclear(rows);
        return zw_err_set(err, ZW_FAILED_PRECONDITION, "audit: the chain head row is missing");
    }
    int64_t head_seq = strtoll(PQgetvalue(rows, 0, 0), NULL, 10);
    char prev[ZW_AUDIT_HASH_LEN + 1];
    snprintf(prev, sizeof prev, "%s", PQgetvalue(rows, 0, 1));
    int n = PQgetisnull(rows, 0, 2) ? 0 : PQntuples(rows);
    if (n == 0) {
        PQclear(rows);
        return 0;
    }
    s_buf_t ids = {0}, seqs = {0}, prevs = {0}, hashes = {0};
    int64_t seq = head_seq;
    for (int r = 0; r < n; r++) {
        char seqtext[24], hash[ZW_AUDIT_HASH_LEN + 1];
        snprintf(seqtext, sizeof seqtext, "%lld", (long long) ++seq);
        zw_audit_row_t row = {seqtext,
                              PQgetvalue(rows, r, 3),
                              PQgetvalue(rows, r, 4),
                              PQgetvalue(rows, r, 5),
                              PQgetvalue(rows, r, 6),
                              PQgetvalue(rows, r, 7),
                              PQgetvalue(rows, r, 8),
                              PQgetvalue(rows, r, 9),
                              PQgetvalue(rows, r, 10),
                              PQgetvalue(rows, r, 11),
                              prev};
        zw_audit_row_hash(&row, hash);
        s_item(&ids, (size_t) r, PQgetvalue(rows, r, 2));
        s_item(&seqs, (size_t) r, seqtext);
        s_item(&prevs, (size_t) r, prev);
        s_item(&hashes, (size_t) r, hash);
        memcpy(prev, hash, sizeof prev);
    }
    PQclear(rows);
    s_put(&ids, "}");
    s_put(&seqs, "}");
    s_put(&prevs, "}");
    s_put(&hashes, "}");
    int rc = 0;
    if (ids.oom || seqs.oom || prevs.oom || hashes.oom) {
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        char last[24], old[24];
        snprintf(last, sizeof last, "%lld", (long long) seq);
        snprintf(old, sizeof old, "%lld", (long long) head_seq);
        const char *mp[] = {ids.p, seqs.p, prevs.p, hashes.p, last, prev, old};
        res = s_exec(db, "zw_audit_move", s_move_sql, 7, mp, err);
        if (!res) {
            rc = -1;
        } else {
            long inserted = strtol(PQgetvalue(res, 0, 0), NULL, 10);
            long heads = strtol(PQgetvalue(res, 0, 1), NULL, 10);
            PQclear(res);
            if (inserted != n || heads != 1)
                rc = zw_err_set(err, ZW_INTERNAL,
                                "audit: chained %ld of %d entries (head updated %ld); rolled back",
                                inserted, n, heads);
            else
                c->chained = (size_t) n;
        }
    }
    free(ids.p);
    free(seqs.p);
    free(prevs.p);
    free(hashes.p);
    return rc;
}

int zw_audit_chain(zw_db_t *db, int batch, size_t *chained, zw_err_t *err)
{
    if (chained)
        *chained = 0;
    if (!db || batch < 0)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "audit: no database or negative batch");
    if (sodium_init() < 0)
        return zw_err_set(err, ZW_INTERNAL, "audit: libsodium did not initialise");
    s_chain_t c = {batch ? batch : ZW_AUDIT_CHAIN_BATCH, 0};
    if (zw_db_tx(db, false, s_chain_tx, &c, err) != 0)
        return -1;
    zw_db_drained(db, "audit.pending", c.chained);
    if (chained)
        *chained = c.chained;
    return 0;
}

/* ---- verify -------------------------------------------------------------- */

static void s_bad(zw_audit_report_t *rep, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_bad(zw_audit_report_t *rep, int64_t seq, const char *fmt, ...)
{
    rep->ok = false;
    rep->bad_seq = seq;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rep->problem, sizeof rep->problem, fmt, ap);
    va_end(ap);
}

/* Checks one page of rows; returns false once a bad row was found. */
static bool s_check_page(PGresult *rows, int64_t *expected, char *prev, zw_audit_report_t *rep)
{
    for (int r = 0; r < PQntuples(rows); r++) {
        int64_t seq = strtoll(PQgetvalue(rows, r, 0), NULL, 10);
        if (seq != *expected) {
            s_bad(rep, *expected, "missing (the log goes on at seq %lld): rows were deleted",
                  (long long) seq);
            return false;
        }
        zw_audit_row_t row = {
            PQgetvalue(rows, r, 0), PQgetvalue(rows, r, 1), PQgetvalue(rows, r, 2),
            PQgetvalue(rows, r, 3), PQgetvalue(rows, r, 4), PQgetvalue(rows, r, 5),
            PQgetvalue(rows, r, 6), PQgetvalue(rows, r, 7), PQgetvalue(rows, r, 8),
            PQgetvalue(rows, r, 9), PQgetvalue(rows, r, 10)};
        const char *stored = PQgetvalue(rows, r, 11);
        if (strcmp(row.prev_hash, prev) != 0) {
            s_bad(rep, seq,
                  "prev_hash is not the hash of seq %lld: rows were removed, reordered or "
                  "replaced",
                  (long long) seq - 1);
            return false;
        }
        char hash[ZW_AUDIT_HASH_LEN + 1];
        zw_audit_row_hash(&row, hash);
        if (strcmp(hash, stored) != 0) {
            s_bad(rep, seq, "its contents do not match its hash: a field was changed");
            return false;
        }
        snprintf(prev, ZW_AUDIT_HASH_LEN + 1, "%s", stored);
        rep->rows++;
        (*expected)++;
    }
    return true;
}

static int s_check_head(zw_db_t *db, int64_t last, const char *last_hash, zw_audit_report_t *rep,
                        zw_err_t *err)
{
    PGresult *res =
        zw_db_query(db,
                    "SELECT last_seq, last_hash,"
                    " (SELECT count(*) FROM audit.pending) FROM audit.head WHERE id = 1",
                    0, NULL, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        s_bad(rep, last + 1, "the chain head record (audit.head) is missing");
        return 0;
    }
    rep->head_seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    snprintf(rep->head_hash, sizeof rep->head_hash, "%s", PQgetvalue(res, 0, 1));
    rep->pending = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    PQclear(res);
    if (!rep->ok)
        return 0;
    if (rep->head_seq > last)
        s_bad(rep, last + 1,
              "missing: the chain head records %lld rows, the log ends at seq %lld (rows were "
              "deleted from the end)",
              (long long) rep->head_seq, (long long) last);
    else if (rep->head_seq < last)
        s_bad(rep, rep->head_seq + 1,
              "past the chain head (seq %lld): rows were added outside the chainer or the head "
              "was moved back",
              (long long) rep->head_seq);
    else if (strcmp(rep->head_hash, last_hash) != 0)
        s_bad(rep, last, "its hash differs from the chain head's");
    return 0;
}

int zw_audit_verify(zw_db_t *db, int64_t anchor_seq, const char *anchor_hash,
                    zw_audit_report_t *rep, zw_err_t *err)
{
    if (!db || !rep)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "audit: no database or report");
    memset(rep, 0, sizeof *rep);
    rep->ok = true;
    if (sodium_init() < 0)
        return zw_err_set(err, ZW_INTERNAL, "audit: libsodium did not initialise");
    int64_t expected = 1;
    char prev[ZW_AUDIT_HASH_LEN + 1];
    memcpy(prev, s_zero_hash, sizeof prev);
    bool anchor_seen = false;
    for (;;) {
        char after[24];
        snprintf(after, sizeof after, "%lld", (long long) expected - 1);
        const char *params[] = {after};
        PGresult *rows = zw_db_query(db,
                                     "SELECT seq, at_us, actor, caller_key_id, caller_role, action,"
                                     " object_type, object_id, before_digest, after_digest,"
                                     " prev_hash, hash FROM audit.log WHERE seq > $1::bigint"
                                     " ORDER BY seq LIMIT " S_VERIFY_PAGE,
                                     1, params, err);
        if (!rows)
            return -1;
        int n = PQntuples(rows);
        int64_t before = expected;
        bool good = s_check_page(rows, &expected, prev, rep);
        if (anchor_seq >= before && anchor_seq < expected) {
            anchor_seen = true;
            const char *h = PQgetvalue(rows, (int) (anchor_seq - before), 11);
            if (good && anchor_hash && strcmp(h, anchor_hash) != 0) {
                s_bad(rep, anchor_seq,
                      "its hash differs from the anchor written down earlier: the chain was "
                      "rewritten");
                good = false;
            }
        }
        PQclear(rows);
        if (!good || n < atoi(S_VERIFY_PAGE))
            break;
    }
    if (s_check_head(db, expected - 1, prev, rep, err) != 0)
        return -1;
    if (rep->ok && anchor_seq > 0 && !anchor_seen)
        s_bad(rep, anchor_seq, "the anchor row is not in the log");
    return 0;
}

int zw_audit_request(zw_db_t *db, const Zwfw__V1__Caller *caller, const char *actor, int64_t at_us,
                     const char *action, const char *object_type, const char *object_id,
                     const ProtobufCMessage *after, zw_err_t *err)
{
    size_t len = 0;
    uint8_t *buf = NULL;
    if (after && !(buf = zw_pbmsg_pack(after, &len)))
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    const char *role = zw_access_role_name((int) caller->role);
    zw_audit_entry_t e = {
        .at_us = at_us,
        .actor = actor && *actor ? actor : caller->key_id,
        .caller_key_id = caller->key_id,
        .caller_role = role ? role : "",
        .action = action,
        .object_type = object_type,
        .object_id = object_id,
        .after = buf,
        .after_len = len,
    };
    int rc = zw_audit_append(db, &e, err);
    free(buf);
    return rc;
}
