/* Deferred writes (common/db_defer.c) against a real PostgreSQL: writes
 * run at once outside defer mode; queued writes stay invisible until the
 * flush and then land inside the caller's transaction; marks and undo;
 * rows forms merged into one statement at the place of the first, with
 * every awkward value (NULL, quotes, backslashes, control characters,
 * Chinese text, bytea, arrays, bigint extremes) arriving exactly; errors
 * in the middle of a pipeline; a connection killed under a queue; zw_db_tx
 * bodies that defer; bad registrations. */
#include "db.h"
#include "zwtest.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The conninfo of the database the running test created, for a second
 * connection that watches from outside the transaction. */
static char s_conninfo[512];

static zw_db_t *s_fresh(const char *name)
{
    char *conninfo = zwt_pg_fresh_db(name);
    assert_non_null(conninfo);
    snprintf(s_conninfo, sizeof s_conninfo, "%s", conninfo);
    free(conninfo);
    zw_db_t *db = zw_db_new(s_conninfo);
    assert_non_null(db);
    zw_err_t err;
    if (zw_db_connect(db, &err) != 0)
        fail_msg("connect: %s", err.message);
    return db;
}

static zw_db_t *s_peer(void)
{
    zw_db_t *db = zw_db_new(s_conninfo);
    assert_non_null(db);
    zw_err_t err;
    if (zw_db_connect(db, &err) != 0)
        fail_msg("peer connect: %s", err.message);
    return db;
}

/* All values of a one-column query, joined with '|' in row order. */
static void s_column(zw_db_t *db, const char *sql, char *out, size_t cap)
{
    zw_err_t err;
    PGresult *res = zw_db_query(db, sql, 0, NULL, &err);
    if (!res)
        fail_msg("%s: %s", sql, err.message);
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < PQntuples(res) && len < cap; i++)
        len += (size_t) snprintf(out + len, cap - len, "%s%s", i ? "|" : "",
                                 PQgetisnull(res, i, 0) ? "<null>" : PQgetvalue(res, i, 0));
    PQclear(res);
    if (len >= cap)
        fail_msg("%s: result longer than %zu bytes", sql, cap);
}

static void s_write1(zw_db_t *db, const char *name, const char *v)
{
    zw_err_t err;
    const char *p[] = {v};
    if (zw_db_write(db, name, 1, p, &err) != 0)
        fail_msg("write %s(%s): %s", name, v ? v : "NULL", err.message);
}

static void s_write_seq(zw_db_t *db, const char *name, int seq, const char *v)
{
    char s[16];
    snprintf(s, sizeof s, "%d", seq);
    const char *p[] = {s, v};
    zw_err_t err;
    if (zw_db_write(db, name, 2, p, &err) != 0)
        fail_msg("write %s(%d): %s", name, seq, err.message);
}

static void s_flush_ok(zw_db_t *db)
{
    zw_err_t err;
    if (zw_db_defer_flush(db, &err) != 0)
        fail_msg("flush: %s (%s)", err.message, err.detail);
}

/* ---- 1. outside defer mode ------------------------------------------------ */

static void test_write_outside_defer_runs_at_once(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_defer_now");
    zwt_db_run(db, "CREATE TABLE w (id bigserial PRIMARY KEY, v text UNIQUE)");
    zw_err_t err;
    assert_int_equal(zw_db_prepare(db, "w_ins", "INSERT INTO w (v) VALUES ($1)", 1, &err), 0);

    s_write1(db, "w_ins", "first");
    char got[256];
    s_column(db, "SELECT v FROM w ORDER BY id", got, sizeof got);
    assert_string_equal(got, "first");

    /* Inside a transaction too: the next read on the connection sees it. */
    zwt_db_run(db, "BEGIN");
    s_write1(db, "w_ins", "second");
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM w"), 2);
    zwt_db_run(db, "ROLLBACK");
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM w"), 1);

    /* A failing immediate write reports its error at once. */
    const char *dup[] = {"first"};
    assert_int_equal(zw_db_write(db, "w_ins", 1, dup, &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_string_equal(err.detail, "23505");
    zw_db_destroy(&db);
}

/* ---- 2. visibility, mark/undo, end --------------------------------------- */

static void test_defer_visibility_undo_and_end(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_defer_vis");
    zw_db_t *peer = s_peer();
    zwt_db_run(db, "CREATE TABLE d (id bigserial PRIMARY KEY, v text NOT NULL)");
    zw_err_t err;
    assert_int_equal(zw_db_prepare(db, "d_ins", "INSERT INTO d (v) VALUES ($1)", 1, &err), 0);

    zwt_db_run(db, "BEGIN");
    assert_false(zw_db_in_failed_tx(db));
    zw_db_defer_begin(db);
    assert_int_equal(zw_db_defer_mark(db), 0);
    s_write1(db, "d_ins", "a");
    s_write1(db, "d_ins", "b");
    /* Queued, not run: the same connection does not see them. */
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM d"), 0);
    size_t mark = zw_db_defer_mark(db);
    assert_int_equal(mark, 2);
    s_write1(db, "d_ins", "c");
    s_write1(db, "d_ins", "d");
    assert_int_equal(zw_db_defer_mark(db), 4);
    zw_db_defer_undo(db, mark);
    assert_int_equal(zw_db_defer_mark(db), 2);
    s_write1(db, "d_ins", "e");
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM d"), 0);
    s_flush_ok(db);
    assert_int_equal(zw_db_defer_mark(db), 0);
    assert_false(zw_db_in_failed_tx(db));

    char got[256];
    s_column(db, "SELECT v FROM d ORDER BY id", got, sizeof got);
    assert_string_equal(got, "a|b|e");
    /* Flushed into the open transaction, not committed by the flush. */
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM d"), 0);
    zwt_db_run(db, "COMMIT");
    s_column(peer, "SELECT v FROM d ORDER BY id", got, sizeof got);
    assert_string_equal(got, "a|b|e");

    /* The flush left defer mode: the next write runs at once. */
    zwt_db_run(db, "BEGIN");
    s_write1(db, "d_ins", "f");
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM d"), 4);
    zwt_db_run(db, "ROLLBACK");

    /* defer_end drops the whole queue and leaves defer mode. */
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    s_write1(db, "d_ins", "x");
    s_write1(db, "d_ins", "y");
    zw_db_defer_end(db);
    assert_int_equal(zw_db_defer_mark(db), 0);
    s_write1(db, "d_ins", "z"); /* not deferred any more */
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM d WHERE v = 'z'"), 1);
    zwt_db_run(db, "COMMIT");
    s_column(peer, "SELECT v FROM d ORDER BY id", got, sizeof got);
    assert_string_equal(got, "a|b|e|z");

    /* defer_begin starts from an empty queue; undo(0) empties it; an
     * empty flush succeeds and leaves defer mode. */
    zw_db_defer_begin(db);
    s_write1(db, "d_ins", "stale");
    zw_db_defer_begin(db);
    assert_int_equal(zw_db_defer_mark(db), 0);
    s_write1(db, "d_ins", "gone");
    zw_db_defer_undo(db, 0);
    assert_int_equal(zw_db_defer_flush(db, &err), 0);
    s_write1(db, "d_ins", "after");
    s_column(peer, "SELECT v FROM d ORDER BY id", got, sizeof got);
    assert_string_equal(got, "a|b|e|z|after");

    zw_db_destroy(&peer);
    zw_db_destroy(&db);
}

/* ---- 3. rows forms ------------------------------------------------------- */

#define S_NT 11
/* Text variants; index 0 is SQL NULL. "null" must stay a string. */
static const char *const s_texts[S_NT] = {
    NULL,
    "",
    "it's \"quoted\"",
    "back\\slash \\\\ two, and a trailing one\\",
    "line\nbreak\ttab\x01"
    "ctl\x1f"
    "end\r",
    "中文：政务服务中心「受理」窗口",
    "null",
    "[1, \"json-looking\"]",
    "$1 $rows zw_r.v",
    "\x7f del and é ü",
    "plain",
};

#define S_NA 5
/* Array literals and the elements they hold (NULL element = SQL NULL;
 * n = -1: the array itself is NULL). */
static const struct {
    const char *literal;
    int n;
    const char *elem[4];
} s_arrays[S_NA] = {
    {"{\"a,b\",\"say \\\"hi\\\"\",plain}", 3, {"a,b", "say \"hi\"", "plain"}},
    {NULL, -1, {NULL}},
    {"{}", 0, {NULL}},
    {"{\"back\\\\slash\",\"中文,逗号\",NULL,\"NULL\"}",
     4,
     {"back\\slash", "中文,逗号", NULL, "NULL"}},
    {"{\"{braces}\",\" spaced \"}", 2, {"{braces}", " spaced "}},
};

static const char *const s_bigs[5] = {"-9223372036854775808", "9223372036854775807", NULL, "0",
                                      "-1"};
static const char *const s_flags_in[3] = {"true", "false", NULL};
static const char *const s_flags_out[3] = {"t", "f", NULL};

/* One ev row's parameters for `seq` (the bytea as hex text in e->hex). */
typedef struct {
    char seq[16];
    char hex[32];
    const char *p[6];
} s_ev_t;

static void s_ev(int seq, s_ev_t *e)
{
    snprintf(e->seq, sizeof e->seq, "%d", seq);
    if (seq % 6 == 0)
        e->hex[0] = '\0';
    else if (seq % 6 == 1)
        snprintf(e->hex, sizeof e->hex, "\\x");
    else
        snprintf(e->hex, sizeof e->hex, "\\x00ff%02x0a5c22", seq & 0xff);
    e->p[0] = e->seq;
    e->p[1] = s_texts[seq % S_NT];
    e->p[2] = e->hex[0] ? e->hex : NULL;
    e->p[3] = s_arrays[seq % S_NA].literal;
    e->p[4] = s_bigs[seq % 5];
    e->p[5] = s_flags_in[seq % 3];
}

static void s_ev_write(zw_db_t *db, int seq)
{
    s_ev_t e;
    s_ev(seq, &e);
    zw_err_t err;
    if (zw_db_write(db, "ev_ins", 6, e.p, &err) != 0)
        fail_msg("write ev %d: %s", seq, err.message);
}

static void s_expect_field(PGresult *res, int row, int col, const char *want, int seq)
{
    if (!want) {
        if (!PQgetisnull(res, row, col))
            fail_msg("ev %d column %d: want NULL, got \"%s\"", seq, col, PQgetvalue(res, row, col));
        return;
    }
    if (PQgetisnull(res, row, col))
        fail_msg("ev %d column %d: want \"%s\", got NULL", seq, col, want);
    if (strcmp(PQgetvalue(res, row, col), want) != 0)
        fail_msg("ev %d column %d: want \"%s\", got \"%s\"", seq, col, want,
                 PQgetvalue(res, row, col));
}

/* Checks every ev row with seq in [from, to) against s_ev, exactly. */
static void s_check_ev(zw_db_t *db, int from, int to)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT seq, t, CASE WHEN b IS NULL THEN NULL ELSE '\\x' || encode(b, 'hex') END,"
             " big, flag, arr IS NULL, coalesce(cardinality(arr), -1)"
             " FROM ev WHERE seq >= %d AND seq < %d ORDER BY seq",
             from, to);
    zw_err_t err;
    PGresult *res = zw_db_query(db, sql, 0, NULL, &err);
    if (!res)
        fail_msg("%s", err.message);
    assert_int_equal(PQntuples(res), to - from);
    for (int i = 0; i < PQntuples(res); i++) {
        int seq = from + i;
        s_ev_t e;
        s_ev(seq, &e);
        assert_int_equal(atoi(PQgetvalue(res, i, 0)), seq);
        s_expect_field(res, i, 1, e.p[1], seq);
        s_expect_field(res, i, 2, e.p[2], seq);
        s_expect_field(res, i, 3, e.p[4], seq);
        s_expect_field(res, i, 4, s_flags_out[seq % 3], seq);
        int n = s_arrays[seq % S_NA].n;
        assert_string_equal(PQgetvalue(res, i, 5), n < 0 ? "t" : "f");
        assert_int_equal(atoi(PQgetvalue(res, i, 6)), n < 0 ? -1 : n);
    }
    PQclear(res);
    /* The array elements, one by one. */
    snprintf(sql, sizeof sql,
             "SELECT seq, u.o, u.e FROM ev, unnest(arr) WITH ORDINALITY AS u (e, o)"
             " WHERE seq >= %d AND seq < %d ORDER BY seq, u.o",
             from, to);
    res = zw_db_query(db, sql, 0, NULL, &err);
    if (!res)
        fail_msg("%s", err.message);
    int row = 0;
    for (int seq = from; seq < to; seq++) {
        int n = s_arrays[seq % S_NA].n;
        for (int k = 0; k < n; k++, row++) {
            assert_true(row < PQntuples(res));
            assert_int_equal(atoi(PQgetvalue(res, row, 0)), seq);
            assert_int_equal(atoi(PQgetvalue(res, row, 1)), k + 1);
            s_expect_field(res, row, 2, s_arrays[seq % S_NA].elem[k], seq);
        }
    }
    assert_int_equal(row, PQntuples(res));
    PQclear(res);
}

static void s_prepare_rows_tables(zw_db_t *db)
{
    /* One sequence for all three tables: ids show the order in which the
     * server ran the inserts across tables. */
    zwt_db_run(db, "CREATE SEQUENCE gs;"
              "CREATE TABLE ev (id bigint PRIMARY KEY DEFAULT nextval('gs'), seq int NOT NULL,"
              " t text, b bytea, arr text[], big bigint, flag boolean);"
              "CREATE TABLE au (id bigint PRIMARY KEY DEFAULT nextval('gs'), seq int NOT NULL,"
              " note text);"
              "CREATE TABLE pl (id bigint PRIMARY KEY DEFAULT nextval('gs'), seq int NOT NULL,"
              " note text)");
    zw_err_t err;
    if (zw_db_prepare_rows(db, "ev_ins",
                           "INSERT INTO ev (seq, t, b, arr, big, flag)"
                           " VALUES ($1::int, $2, $3::bytea, $4::text[], $5::bigint, $6::boolean)",
                           6,
                           "INSERT INTO ev (seq, t, b, arr, big, flag)"
                           " SELECT $1::int, $2, $3::bytea, $4::text[], $5::bigint, $6::boolean"
                           " FROM $rows ORDER BY zw_r.zw_i",
                           &err) != 0)
        fail_msg("prepare_rows ev: %s", err.message);
    if (zw_db_prepare_rows(db, "au_ins", "INSERT INTO au (seq, note) VALUES ($1::int, $2)", 2,
                           "INSERT INTO au (seq, note) SELECT $1::int, $2 FROM $rows"
                           " ORDER BY zw_r.zw_i",
                           &err) != 0)
        fail_msg("prepare_rows au: %s", err.message);
    if (zw_db_prepare(db, "pl_ins", "INSERT INTO pl (seq, note) VALUES ($1::int, $2)", 2, &err) !=
        0)
        fail_msg("prepare pl: %s", err.message);
}

#define S_NEV 200

static void test_rows_form_merges_in_order_with_exact_values(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_defer_rows");
    zw_db_t *peer = s_peer();
    s_prepare_rows_tables(db);

    /* The queue, as (table, seq): 'e' ev, 'a' au, 'p' pl. */
    char tab[400];
    int seqs[400], nq = 0, na = 0, np = 0;
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    for (int i = 0; i < S_NEV; i++) {
        if (i % 10 == 0) {
            s_write_seq(db, "pl_ins", np, s_texts[np % S_NT]);
            tab[nq] = 'p', seqs[nq++] = np++;
        }
        if (i % 7 == 3) {
            s_write_seq(db, "au_ins", na, s_texts[(na + 3) % S_NT]);
            tab[nq] = 'a', seqs[nq++] = na++;
        }
        s_ev_write(db, i);
        tab[nq] = 'e', seqs[nq++] = i;
    }
    assert_int_equal(zw_db_defer_mark(db), (size_t) nq);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM ev"), 0);
    s_flush_ok(db);
    zwt_db_run(db, "COMMIT");

    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM ev"), S_NEV);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM au"), na);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM pl"), np);
    s_check_ev(peer, 0, S_NEV);

    /* Server order: each rows-form statement's rows all at the place of its
     * first write, in queue order; the plain writes one by one. */
    int unit_of[400], nunits = 0, first_e = -1, first_a = -1;
    for (int q = 0; q < nq; q++) {
        if (tab[q] == 'e') {
            if (first_e < 0)
                first_e = nunits++;
            unit_of[q] = first_e;
        } else if (tab[q] == 'a') {
            if (first_a < 0)
                first_a = nunits++;
            unit_of[q] = first_a;
        } else {
            unit_of[q] = nunits++;
        }
    }
    char want[4000] = "", got[4000];
    size_t len = 0;
    for (int u = 0; u < nunits; u++)
        for (int q = 0; q < nq; q++)
            if (unit_of[q] == u)
                len += (size_t) snprintf(want + len, sizeof want - len, "%s%c%d", len ? "|" : "",
                                         tab[q], seqs[q]);
    assert_true(len < sizeof want);
    s_column(peer,
             "SELECT tab || seq FROM (SELECT 'e' AS tab, seq, id FROM ev UNION ALL"
             " SELECT 'a', seq, id FROM au UNION ALL SELECT 'p', seq, id FROM pl) x ORDER BY id",
             got, sizeof got);
    assert_string_equal(got, want);

    /* The plain and au texts too. */
    s_column(peer, "SELECT coalesce(note, '<null>') FROM au ORDER BY id", got, sizeof got);
    len = 0;
    want[0] = '\0';
    for (int k = 0; k < na; k++) {
        const char *t = s_texts[(k + 3) % S_NT];
        len += (size_t) snprintf(want + len, sizeof want - len, "%s%s", k ? "|" : "",
                                 t ? t : "<null>");
    }
    assert_string_equal(got, want);
    s_column(peer, "SELECT coalesce(note, '<null>') FROM pl ORDER BY id", got, sizeof got);
    len = 0;
    want[0] = '\0';
    for (int k = 0; k < np; k++) {
        const char *t = s_texts[k % S_NT];
        len += (size_t) snprintf(want + len, sizeof want - len, "%s%s", k ? "|" : "",
                                 t ? t : "<null>");
    }
    assert_string_equal(got, want);

    /* A rows-form statement queued once goes as the plain statement: every
     * value variant, each in its own flush between plain writes. */
    for (int v = 0; v < S_NT * S_NA; v++) {
        int seq = 1000 + v;
        zwt_db_run(db, "BEGIN");
        zw_db_defer_begin(db);
        s_write_seq(db, "pl_ins", seq, "before");
        s_ev_write(db, seq);
        s_write_seq(db, "au_ins", seq, s_texts[v % S_NT]);
        s_flush_ok(db);
        zwt_db_run(db, "COMMIT");
    }
    s_check_ev(peer, 1000, 1000 + S_NT * S_NA);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM au WHERE seq >= 1000"), S_NT * S_NA);

    zw_db_destroy(&peer);
    zw_db_destroy(&db);
}

/* ---- 4. errors in the middle of the pipeline ----------------------------- */

static void s_prepare_err_tables(zw_db_t *db)
{
    zwt_db_run(db, "CREATE TABLE u (k text PRIMARY KEY);"
              "CREATE TABLE lg (id bigserial PRIMARY KEY, seq int NOT NULL, v text NOT NULL);"
              "INSERT INTO u VALUES ('taken')");
    zw_err_t err;
    assert_int_equal(zw_db_prepare(db, "u_ins", "INSERT INTO u (k) VALUES ($1)", 1, &err), 0);
    if (zw_db_prepare_rows(db, "lg_ins", "INSERT INTO lg (seq, v) VALUES ($1::int, $2)", 2,
                           "INSERT INTO lg (seq, v) SELECT $1::int, $2 FROM $rows"
                           " ORDER BY zw_r.zw_i",
                           &err) != 0)
        fail_msg("prepare_rows lg: %s", err.message);
}

/* After a failed flush: the transaction is aborted; ROLLBACK leaves the
 * tables as they were and the next transaction works. */
static void s_after_failure(zw_db_t *db, zw_db_t *peer)
{
    assert_true(zw_db_in_failed_tx(db));
    assert_int_equal(zw_db_defer_mark(db), 0);
    /* The block is aborted: a read in it fails. */
    zw_err_t err;
    assert_null(zw_db_query(db, "SELECT 1", 0, NULL, &err));
    zwt_db_run(db, "ROLLBACK");
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM lg"), 0);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM u"), 1);

    zwt_db_run(db, "BEGIN");
    assert_false(zw_db_in_failed_tx(db));
    zw_db_defer_begin(db);
    s_write1(db, "u_ins", "fresh");
    for (int i = 0; i < 10; i++)
        s_write_seq(db, "lg_ins", i, "ok");
    s_flush_ok(db);
    assert_false(zw_db_in_failed_tx(db));
    zwt_db_run(db, "COMMIT");
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM lg"), 10);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM u"), 2);
    zwt_db_run(db, "TRUNCATE lg; DELETE FROM u WHERE k <> 'taken'");
}

static void test_error_mid_queue_aborts_everything(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_defer_err");
    zw_db_t *peer = s_peer();
    s_prepare_err_tables(db);
    zw_err_t err;

    /* A unique violation among plain writes, rows-form writes around it. */
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    for (int i = 0; i < 10; i++)
        s_write_seq(db, "lg_ins", i, "before");
    s_write1(db, "u_ins", "a");
    s_write1(db, "u_ins", "b");
    s_write1(db, "u_ins", "taken");
    s_write1(db, "u_ins", "c");
    for (int i = 10; i < 20; i++)
        s_write_seq(db, "lg_ins", i, "after");
    assert_int_equal(zw_db_defer_flush(db, &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_string_equal(err.detail, "23505");
    s_after_failure(db, peer);

    /* NOT NULL violated by row 57 of 100 merged rows. */
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    s_write1(db, "u_ins", "a");
    for (int i = 1; i <= 100; i++)
        s_write_seq(db, "lg_ins", i, i == 57 ? NULL : "v");
    s_write1(db, "u_ins", "b");
    assert_int_equal(zw_db_defer_flush(db, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(err.detail, "23502");
    s_after_failure(db, peer);

    /* A unique violation inside merged rows (two rows with the same key). */
    zwt_db_run(db, "CREATE UNIQUE INDEX ON lg (seq)");
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    for (int i = 0; i < 50; i++)
        s_write_seq(db, "lg_ins", i == 30 ? 7 : i, "v");
    s_write1(db, "u_ins", "z");
    assert_int_equal(zw_db_defer_flush(db, &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_string_equal(err.detail, "23505");
    s_after_failure(db, peer);

    /* A bad parameter (not an integer) in one merged row: 22P02. */
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    for (int i = 0; i < 5; i++) {
        char s[16];
        snprintf(s, sizeof s, "%d", i);
        const char *p[] = {i == 3 ? "three" : s, "v"};
        assert_int_equal(zw_db_write(db, "lg_ins", 2, p, &err), 0);
    }
    assert_int_equal(zw_db_defer_flush(db, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "22P02");
    s_after_failure(db, peer);

    zw_db_destroy(&peer);
    zw_db_destroy(&db);
}

/* ---- 5. a connection killed under a queue -------------------------------- */

static void s_terminate(zw_db_t *killer, zw_db_t *victim)
{
    PGconn *conn = zw_db_conn(victim);
    assert_non_null(conn);
    char pid[16];
    snprintf(pid, sizeof pid, "%d", PQbackendPID(conn));
    const char *p[] = {pid};
    zw_err_t err;
    /* Waits (up to 10 s) until the backend is gone. */
    PGresult *res = zw_db_query(killer, "SELECT pg_terminate_backend($1::int, 10000)", 1, p, &err);
    if (!res)
        fail_msg("terminate: %s", err.message);
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
}

static void test_dead_connection_is_unavailable_then_reconnects(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_defer_dead");
    zw_db_t *peer = s_peer();
    s_prepare_err_tables(db);
    zw_err_t err;
    assert_int_equal(zw_db_prepare(db, "lg_count", "SELECT count(*) FROM lg", 0, &err), 0);

    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    s_write1(db, "u_ins", "a");
    for (int i = 0; i < 30; i++)
        s_write_seq(db, "lg_ins", i, "v");
    s_terminate(peer, db);
    assert_int_equal(zw_db_defer_flush(db, &err), -1);
    /* db.h: "08xxx or a lost connection -> UNAVAILABLE". The server's
     * FATAL 57P01 may or may not be read before the socket closes. */
    assert_int_equal(err.code, ZW_UNAVAILABLE);
    if (err.detail[0] && strcmp(err.detail, "57P01") != 0 && strncmp(err.detail, "08", 2) != 0)
        fail_msg("unexpected SQLSTATE %s: %s", err.detail, err.message);
    assert_true(zw_db_in_failed_tx(db));
    assert_false(zw_db_connected(db));
    assert_int_equal(zw_db_defer_mark(db), 0);

    /* The next statement reconnects, with the statements re-prepared. */
    PGresult *res = zw_db_exec(db, "lg_count", 0, NULL, &err);
    if (!res)
        fail_msg("after reconnect: %s", err.message);
    assert_string_equal(PQgetvalue(res, 0, 0), "0");
    PQclear(res);
    assert_true(zw_db_connected(db));
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM u"), 1);

    /* Rows forms work on the new connection. */
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    s_write1(db, "u_ins", "b");
    for (int i = 0; i < 30; i++)
        s_write_seq(db, "lg_ins", i, "again");
    s_flush_ok(db);
    zwt_db_run(db, "COMMIT");
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM lg WHERE v = 'again'"), 30);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM u"), 2);

    zw_db_destroy(&peer);
    zw_db_destroy(&db);
}

/* ---- 6. zw_db_tx bodies that defer --------------------------------------- */

typedef struct {
    int rows;
    bool flush;
    bool fail;
    int runs;
} s_body_t;

static int s_body(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_body_t *b = arg;
    b->runs++;
    zw_db_defer_begin(db);
    if (zw_db_write(db, "u_ins", 1, (const char *const[]){"tx"}, err) != 0)
        return -1;
    for (int i = 0; i < b->rows; i++) {
        char s[16];
        snprintf(s, sizeof s, "%d", i);
        const char *p[] = {s, "tx"};
        if (zw_db_write(db, "lg_ins", 2, p, err) != 0)
            return -1;
    }
    if (b->flush && zw_db_defer_flush(db, err) != 0)
        return -1;
    if (b->fail)
        return zw_err_set(err, ZW_FAILED_PRECONDITION, "body refuses");
    return 0;
}

static void test_tx_body_with_deferred_writes(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_defer_tx");
    zw_db_t *peer = s_peer();
    s_prepare_err_tables(db);
    zw_err_t err;

    /* Queues, flushes, commits. */
    s_body_t ok = {.rows = 50, .flush = true};
    if (zw_db_tx(db, false, s_body, &ok, &err) != 0)
        fail_msg("tx: %s", err.message);
    assert_int_equal(ok.runs, 1);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM lg WHERE v = 'tx'"), 50);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM u WHERE k = 'tx'"), 1);
    char got[64];
    s_column(peer,
             "SELECT string_agg(seq::text, ',' ORDER BY id) = string_agg(seq::text, ','"
             " ORDER BY seq) FROM lg",
             got, sizeof got);
    assert_string_equal(got, "t");
    zwt_db_run(db, "TRUNCATE lg; DELETE FROM u WHERE k <> 'taken'");

    /* Queues and returns -1 without flushing: nothing is written. */
    s_body_t refuse = {.rows = 20, .flush = false, .fail = true};
    assert_int_equal(zw_db_tx(db, true, s_body, &refuse, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_int_equal(refuse.runs, 1);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM lg"), 0);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM u"), 1);
    /* zw_db_tx does not end defer mode for a body that fails: the body's
     * queue is still there (db.h promises nothing either way). */
    zw_db_defer_end(db);

    /* Flushes, then refuses: the flushed rows are rolled back. */
    s_body_t late = {.rows = 20, .flush = true, .fail = true};
    assert_int_equal(zw_db_tx(db, false, s_body, &late, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM lg"), 0);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM u"), 1);

    /* A flush failing in the body (duplicate key) rolls back, not retried. */
    zwt_db_run(db, "INSERT INTO u VALUES ('tx')");
    s_body_t dup = {.rows = 5, .flush = true};
    assert_int_equal(zw_db_tx(db, false, s_body, &dup, &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_int_equal(dup.runs, 1);
    assert_int_equal(zwt_db_long(peer, "SELECT count(*) FROM lg"), 0);
    assert_true(zw_db_connected(db));
    assert_int_equal(PQtransactionStatus(zw_db_conn(db)), PQTRANS_IDLE); /* rolled back */

    zw_db_destroy(&peer);
    zw_db_destroy(&db);
}

/* ---- 7. bad registrations and names -------------------------------------- */

static void test_bad_names(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_defer_names");
    s_prepare_err_tables(db);
    zw_err_t err;

    char name[140];
    memset(name, 'n', 130);
    name[130] = '\0';
    assert_int_equal(zw_db_prepare_rows(db, name, "INSERT INTO lg (seq, v) VALUES ($1::int, $2)", 2,
                                        "INSERT INTO lg (seq, v) SELECT $1::int, $2 FROM $rows",
                                        &err),
                     -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);

    /* Unregistered in defer mode: an error at once, the queue unharmed. */
    zwt_db_run(db, "BEGIN");
    zw_db_defer_begin(db);
    s_write_seq(db, "lg_ins", 1, "kept");
    const char *p[] = {"1", "x"};
    assert_int_equal(zw_db_write(db, "no_such_statement", 2, p, &err), -1);
    assert_int_not_equal(err.code, ZW_OK);
    assert_non_null(strstr(err.message, "no_such_statement"));
    assert_int_equal(zw_db_defer_mark(db), 1);
    s_write_seq(db, "lg_ins", 2, "kept");
    s_flush_ok(db);
    zwt_db_run(db, "COMMIT");
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM lg WHERE v = 'kept'"), 2);

    /* Outside defer mode: the server's error, no crash. */
    assert_int_equal(zw_db_write(db, "no_such_statement", 2, p, &err), -1);
    assert_int_not_equal(err.code, ZW_OK);

    /* A rows form registered twice with the same text is a no-op. */
    assert_int_equal(zw_db_prepare_rows(db, "lg_ins",
                                        "INSERT INTO lg (seq, v) VALUES ($1::int, $2)", 2,
                                        "INSERT INTO lg (seq, v) SELECT $1::int, $2 FROM $rows"
                                        " ORDER BY zw_r.zw_i",
                                        &err),
                     0);
    zw_db_destroy(&db);
}

int main(void)
{
    if (!zwt_pg_conninfo()) {
        fprintf(stderr, "no test PostgreSQL (pg fixture)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_outside_defer_runs_at_once),
        cmocka_unit_test(test_defer_visibility_undo_and_end),
        cmocka_unit_test(test_rows_form_merges_in_order_with_exact_values),
        cmocka_unit_test(test_error_mid_queue_aborts_everything),
        cmocka_unit_test(test_dead_connection_is_unavailable_then_reconnects),
        cmocka_unit_test(test_tx_body_with_deferred_writes),
        cmocka_unit_test(test_bad_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
