/* The audit chain against a real PostgreSQL: entries commit with the change
 * or not at all, concurrent appenders and chainers give one unbroken chain,
 * the documented serialization matches an independent computation in SQL,
 * and every kind of tampering (a changed field, a deleted row in the
 * middle or at the end, swapped rows, a moved head, a forged row, a
 * rewritten chain against an anchor) is reported naming the first bad row,
 * by the library and by `zwfwctl audit verify`. */
#include "zwtest.h"

#include "audit.h"
#include "clock.h"
#include "db.h"
#include "log.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static zw_db_t *s_fresh(const char *name, char **conninfo_out)
{
    char *conninfo = zwt_pg_fresh_db(name);
    assert_non_null(conninfo);
    zw_db_t *db = zw_db_new(conninfo);
    zw_err_t err;
    if (zw_db_connect(db, &err) != 0 ||
        zw_db_migrate(db, "common", zwt_src_path("common/sql"), NULL, &err) != 0)
        fail_msg("setup %s: %s", name, err.message);
    if (conninfo_out)
        *conninfo_out = conninfo;
    else
        free(conninfo);
    return db;
}

typedef struct {
    int n;
    int base;
    bool fail;
} s_append_t;

static int s_append_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_append_t *a = arg;
    for (int i = 0; i < a->n; i++) {
        char id[32], before[32], after[32];
        snprintf(id, sizeof id, "APP-%04d", a->base + i);
        snprintf(before, sizeof before, "state %d", a->base + i);
        snprintf(after, sizeof after, "state %d", a->base + i + 1);
        zw_audit_entry_t e = {.at_us = INT64_C(1601013600000000) + (a->base + i) * 1000,
                              .actor = "window-07 张三",
                              .caller_key_id = "key-window-07",
                              .caller_role = "window",
                              .action = "application.accept",
                              .object_type = "application",
                              .object_id = id,
                              .before = (a->base + i) % 3 == 0 ? NULL : before,
                              .before_len = (a->base + i) % 3 == 0 ? 0 : strlen(before),
                              .after = after,
                              .after_len = strlen(after)};
        if (zw_audit_append(db, &e, err) != 0)
            return -1;
    }
    if (a->fail)
        return zw_err_set(err, ZW_FAILED_PRECONDITION, "the change was refused");
    return 0;
}

static void s_chain_all(zw_db_t *db)
{
    size_t chained;
    zw_err_t err;
    do {
        if (zw_audit_chain(db, 7, &chained, &err) != 0)
            fail_msg("chain: %s", err.message);
    } while (chained > 0);
}

static zw_audit_report_t s_verify(zw_db_t *db)
{
    zw_audit_report_t rep;
    zw_err_t err;
    if (zw_audit_verify(db, 0, NULL, &rep, &err) != 0)
        fail_msg("verify: %s", err.message);
    return rep;
}

/* ---------------------------------------------------------------- tests */

static void test_digest_and_serialization_match_independent_sha256(void **state)
{
    (void) state;
    char hex[ZW_AUDIT_HASH_LEN + 1];
    zw_audit_digest("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    zw_audit_digest(NULL, 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* The documented encoding, computed by PostgreSQL from the text in
     * audit.h, gives the same hash as the C code, including multi-byte text
     * and an empty field. */
    zw_db_t *db = s_fresh("t_audit_format", NULL);
    zw_audit_row_t row = {"12",          "-5",      "张三", "",   "window", "application.accept",
                          "application", "APP-1:2", "",     "ab", "00ff"};
    zw_audit_row_hash(&row, hex);
    const char *params[] = {row.seq,           row.at_us,        row.actor,       row.caller_key_id,
                            row.caller_role,   row.action,       row.object_type, row.object_id,
                            row.before_digest, row.after_digest, row.prev_hash};
    zw_err_t err;
    PGresult *res = zw_db_query(
        db,
        "SELECT encode(sha256(convert_to('zwfw-audit-v1' || E'\\n' || string_agg("
        " octet_length(v)::text || ':' || v || E'\\n', '' ORDER BY i), 'UTF8')), 'hex')"
        " FROM unnest(ARRAY[$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11]::text[]) WITH ORDINALITY AS"
        " f(v, i)",
        11, params, &err);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), hex);
    PQclear(res);
    /* Length prefixes: moving a character between fields changes the hash. */
    char other[ZW_AUDIT_HASH_LEN + 1];
    zw_audit_row_t shifted = row;
    shifted.object_type = "applicationA";
    shifted.object_id = "PP-1:2";
    zw_audit_row_hash(&shifted, other);
    assert_string_not_equal(hex, other);
    zw_db_destroy(&db);
}

static void test_entries_commit_with_the_change_and_bad_input_is_refused(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_audit_append", NULL);
    zw_err_t err;
    s_append_t refused = {3, 0, true};
    assert_int_equal(zw_db_tx(db, false, s_append_tx, &refused, &err), -1);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM audit.pending"), 0);
    s_append_t ok = {3, 0, false};
    assert_int_equal(zw_db_tx(db, false, s_append_tx, &ok, &err), 0);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM audit.pending"), 3);
    /* Only digests are stored: entry 1's before state "state 1". */
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM audit.pending WHERE before_digest ="
                                 " encode(sha256('state 1'), 'hex')"),
                     1);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM audit.pending WHERE before_digest = ''"), 1);
    zw_audit_entry_t e = {.actor = "a", .action = "x", .object_type = "t", .object_id = "1"};
    const char *fields[] = {"actor", "action", "object_type", "object_id"};
    for (int i = 0; i < 4; i++) {
        zw_audit_entry_t bad = e;
        const char **f = i == 0   ? &bad.actor
                         : i == 1 ? &bad.action
                         : i == 2 ? &bad.object_type
                                  : &bad.object_id;
        *f = "";
        assert_int_equal(zw_audit_append(db, &bad, &err), -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_string_equal(err.detail, fields[i]);
    }
    char longtext[300];
    memset(longtext, 'x', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    zw_audit_entry_t bad = e;
    bad.caller_role = longtext;
    assert_int_equal(zw_audit_append(db, &bad, &err), -1);
    assert_string_equal(err.detail, "caller_role");
    bad = e;
    bad.after_len = 4;
    assert_int_equal(zw_audit_append(db, &bad, &err), -1);
    assert_int_equal(zw_audit_append(db, NULL, &err), -1);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM audit.pending"), 3);
    /* Nothing chained yet: verify says so. */
    zw_audit_report_t rep = s_verify(db);
    assert_true(rep.ok);
    assert_int_equal(rep.rows, 0);
    assert_int_equal(rep.pending, 3);
    s_chain_all(db);
    rep = s_verify(db);
    assert_true(rep.ok);
    assert_int_equal(rep.rows, 3);
    assert_int_equal(rep.pending, 0);
    assert_int_equal(rep.head_seq, 3);
    /* Append-only for the application: changes and deletes are refused. */
    assert_int_equal(zw_db_run(db, "UPDATE audit.log SET actor = 'x' WHERE seq = 1", &err), -1);
    assert_non_null(strstr(err.message, "append-only"));
    assert_int_equal(zw_db_run(db, "DELETE FROM audit.log WHERE seq = 3", &err), -1);
    assert_int_equal(zw_db_run(db, "TRUNCATE audit.log", &err), -1);
    assert_int_equal(zw_db_run(db, "UPDATE audit.head SET last_seq = 1", &err), -1);
    assert_true(s_verify(db).ok);
    zw_db_destroy(&db);
}

typedef struct {
    const char *conninfo;
    int writer;
    int count;
    bool chainer;
    volatile bool *stop;
    int failed;
} s_worker_t;

static void *s_worker(void *arg)
{
    s_worker_t *w = arg;
    zw_db_t *db = zw_db_new(w->conninfo);
    zw_err_t err;
    if (zw_db_connect(db, &err) != 0) {
        w->failed++;
        zw_db_destroy(&db);
        return NULL;
    }
    if (w->chainer) {
        while (!*w->stop) {
            size_t chained;
            if (zw_audit_chain(db, 50, &chained, &err) != 0)
                w->failed++;
        }
    } else {
        for (int i = 0; i < w->count; i++) {
            s_append_t a = {1, w->writer * 100000 + i, false};
            if (zw_db_tx(db, false, s_append_tx, &a, &err) != 0)
                w->failed++;
        }
    }
    zw_db_destroy(&db);
    return NULL;
}

/* The chainer's session settings (no sequential scans) hold for its own
 * transaction only, and the chain it made verifies. */
static void test_chainer_settings_stay_in_its_transaction(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_audit_settings", NULL);
    zw_err_t err;
    s_append_t ok = {20, 0, false};
    assert_int_equal(zw_db_tx(db, false, s_append_tx, &ok, &err), 0);
    s_chain_all(db);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM audit.log"), 20);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM audit.pending"), 0);
    PGresult *res = zw_db_query(db, "SELECT current_setting('enable_seqscan')", 0, NULL, &err);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), "on");
    PQclear(res);
    zw_audit_report_t rep = s_verify(db);
    assert_true(rep.ok);
    assert_int_equal(rep.rows, 20);
    zw_db_destroy(&db);
}

/* Several writers append while two chainers (two replicas) run: one
 * chain, seq 1..N, every entry exactly once. */
static void test_concurrent_appenders_and_chainers_make_one_chain(void **state)
{
    (void) state;
    enum { WRITERS = 4, PER = 250, N = WRITERS * PER };
    char *conninfo;
    zw_db_t *db = s_fresh("t_audit_concurrent", &conninfo);
    volatile bool stop = false;
    s_worker_t w[WRITERS + 2];
    pthread_t th[WRITERS + 2];
    for (int i = 0; i < WRITERS + 2; i++) {
        w[i] = (s_worker_t){conninfo, i, PER, i >= WRITERS, &stop, 0};
        assert_int_equal(pthread_create(&th[i], NULL, s_worker, &w[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    stop = true;
    for (int i = WRITERS; i < WRITERS + 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < WRITERS + 2; i++)
        assert_int_equal(w[i].failed, 0);
    s_chain_all(db);
    zw_audit_report_t rep = s_verify(db);
    assert_true(rep.ok);
    assert_int_equal(rep.rows, N);
    assert_int_equal(rep.head_seq, N);
    assert_int_equal(zwt_db_long(db, "SELECT count(DISTINCT object_id) FROM audit.log"), N);
    assert_int_equal(zwt_db_long(db, "SELECT max(seq) FROM audit.log"), N);
    zw_db_destroy(&db);
    free(conninfo);
}

/* Applies `tamper` (as a superuser who disables the append-only triggers)
 * inside a transaction on db's connection, verifies there, rolls back.
 * The report must name bad_seq, and its problem must contain `word`. */
static void s_expect_bad(zw_db_t *db, const char *tamper, int64_t bad_seq, const char *word)
{
    zwt_db_run(db, "BEGIN; SET LOCAL session_replication_role = replica");
    zwt_db_run(db, tamper);
    zw_audit_report_t rep = s_verify(db);
    zwt_db_run(db, "ROLLBACK");
    char said[300];
    snprintf(said, sizeof said, "seq %lld: %s", (long long) rep.bad_seq, rep.problem);
    if (rep.ok || rep.bad_seq != bad_seq || !strstr(said, word))
        fail_msg("%s: expected seq %lld (%s), got ok=%d seq %lld: %s", tamper, (long long) bad_seq,
                 word, rep.ok, (long long) rep.bad_seq, rep.problem);
    assert_true(s_verify(db).ok); /* rolled back: intact again */
}

static void test_every_kind_of_tampering_is_reported_naming_the_row(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_audit_tamper", NULL);
    s_append_t a = {20, 0, false};
    zw_err_t err;
    assert_int_equal(zw_db_tx(db, false, s_append_tx, &a, &err), 0);
    s_chain_all(db);
    zw_audit_report_t rep = s_verify(db);
    assert_true(rep.ok);
    assert_int_equal(rep.rows, 20);

    /* Any field of a row. */
    const char *columns[] = {"at_us = at_us + 1",
                             "actor = 'window-08'",
                             "caller_key_id = 'key-x'",
                             "caller_role = 'head'",
                             "action = 'application.refuse'",
                             "object_type = 'bundle'",
                             "object_id = 'APP-9999'",
                             "before_digest = after_digest",
                             "after_digest = encode(sha256('forged'), 'hex')",
                             "prev_hash = repeat('0', 64)",
                             "hash = encode(sha256('x'), 'hex')"};
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++) {
        char sql[300];
        snprintf(sql, sizeof sql, "UPDATE audit.log SET %s WHERE seq = 7", columns[i]);
        s_expect_bad(db, sql, 7, "seq 7");
    }
    s_expect_bad(db, "UPDATE audit.log SET seq = 1000 WHERE seq = 7", 7, "missing");
    /* Rows deleted: in the middle, the last, the last two, all. */
    s_expect_bad(db, "DELETE FROM audit.log WHERE seq = 7", 7, "missing");
    s_expect_bad(db, "DELETE FROM audit.log WHERE seq = 1", 1, "missing");
    s_expect_bad(db, "DELETE FROM audit.log WHERE seq = 20", 20, "deleted from the end");
    s_expect_bad(db, "DELETE FROM audit.log WHERE seq >= 19", 19, "deleted from the end");
    s_expect_bad(db, "DELETE FROM audit.log", 1, "deleted from the end");
    /* Two rows' contents swapped: everything but seq, or only the data. */
    const char *swap_all =
        "UPDATE audit.log l SET at_us = o.at_us, actor = o.actor, caller_key_id = o.caller_key_id,"
        " caller_role = o.caller_role, action = o.action, object_type = o.object_type,"
        " object_id = o.object_id, before_digest = o.before_digest, after_digest ="
        " o.after_digest, prev_hash = o.prev_hash, hash = o.hash"
        " FROM audit.log o WHERE (l.seq, o.seq) IN ((5, 9), (9, 5))";
    s_expect_bad(db, swap_all, 5, "seq 5");
    const char *swap_data =
        "UPDATE audit.log l SET actor = o.actor, object_id = o.object_id, after_digest ="
        " o.after_digest FROM audit.log o WHERE (l.seq, o.seq) IN ((5, 9), (9, 5))";
    s_expect_bad(db, swap_data, 5, "seq 5");
    /* The head moved back (hiding a deleted tail) or forged, a row added. */
    s_expect_bad(db,
                 "DELETE FROM audit.log WHERE seq = 20;"
                 " UPDATE audit.head SET last_seq = 19, last_hash = 'x'",
                 19, "chain head");
    s_expect_bad(db, "UPDATE audit.head SET last_seq = 19", 20, "past the chain head");
    s_expect_bad(db,
                 "INSERT INTO audit.log SELECT 21, at_us, actor, caller_key_id, caller_role,"
                 " action, object_type, object_id, before_digest, after_digest, hash, hash"
                 " FROM audit.log WHERE seq = 20",
                 21, "seq 21");
    s_expect_bad(db, "DELETE FROM audit.head", 21, "head record (audit.head) is missing");
    zw_db_destroy(&db);
}

/* Someone rewrites the chain from seq 7 with fresh, correct hashes and a
 * matching head: only an anchor kept outside the database catches it. */
static void test_rewritten_chain_is_caught_by_an_anchor(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_audit_anchor", NULL);
    s_append_t a = {12, 0, false};
    zw_err_t err;
    assert_int_equal(zw_db_tx(db, false, s_append_tx, &a, &err), 0);
    s_chain_all(db);
    zw_audit_report_t rep = s_verify(db);
    assert_true(rep.ok);
    char anchor[ZW_AUDIT_HASH_LEN + 1];
    snprintf(anchor, sizeof anchor, "%s", rep.head_hash);
    assert_int_equal(zw_audit_verify(db, 12, anchor, &rep, &err), 0);
    assert_true(rep.ok);

    zwt_db_run(db, "BEGIN; SET LOCAL session_replication_role = replica;"
               " UPDATE audit.log SET actor = 'someone else' WHERE seq = 7");
    char prev[ZW_AUDIT_HASH_LEN + 1];
    PGresult *res = zw_db_query(db, "SELECT hash FROM audit.log WHERE seq = 6", 0, NULL, &err);
    assert_non_null(res);
    snprintf(prev, sizeof prev, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    res = zw_db_query(db,
                      "SELECT seq, at_us, actor, caller_key_id, caller_role, action, object_type,"
                      " object_id, before_digest, after_digest FROM audit.log WHERE seq >= 7"
                      " ORDER BY seq",
                      0, NULL, &err);
    assert_non_null(res);
    for (int r = 0; r < PQntuples(res); r++) {
        zw_audit_row_t row = {PQgetvalue(res, r, 0),
                              PQgetvalue(res, r, 1),
                              PQgetvalue(res, r, 2),
                              PQgetvalue(res, r, 3),
                              PQgetvalue(res, r, 4),
                              PQgetvalue(res, r, 5),
                              PQgetvalue(res, r, 6),
                              PQgetvalue(res, r, 7),
                              PQgetvalue(res, r, 8),
                              PQgetvalue(res, r, 9),
                              prev};
        char hash[ZW_AUDIT_HASH_LEN + 1];
        zw_audit_row_hash(&row, hash);
        const char *p[] = {prev, hash, row.seq};
        PGresult *u = zw_db_query(db,
                                  "UPDATE audit.log SET prev_hash = $1, hash = $2"
                                  " WHERE seq = $3::bigint",
                                  3, p, &err);
        assert_non_null(u);
        PQclear(u);
        const char *h[] = {hash, row.seq};
        u = zw_db_query(db, "UPDATE audit.head SET last_hash = $1 WHERE last_seq = $2::bigint", 2,
                        h, &err);
        assert_non_null(u);
        PQclear(u);
        memcpy(prev, hash, sizeof prev);
    }
    PQclear(res);
    rep = s_verify(db);
    assert_true(rep.ok); /* a perfect forgery, as far as the chain goes */
    assert_int_equal(zw_audit_verify(db, 12, anchor, &rep, &err), 0);
    assert_false(rep.ok);
    assert_int_equal(rep.bad_seq, 12);
    assert_non_null(strstr(rep.problem, "anchor"));
    /* An anchor beyond the log is reported too. */
    assert_int_equal(zw_audit_verify(db, 50, anchor, &rep, &err), 0);
    assert_false(rep.ok);
    assert_int_equal(rep.bad_seq, 50);
    zwt_db_run(db, "ROLLBACK");
    zw_db_destroy(&db);
}

/* Runs zwfwctl with args; returns its exit code, stdout in out. */
static int s_ctl(const char *args, char *out, size_t outsz)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s %s 2>/dev/null", zwt_bin_path("zwfwctl"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outsz - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_zwfwctl_audit_verify(void **state)
{
    (void) state;
    char *conninfo;
    zw_db_t *db = s_fresh("t_audit_cli", &conninfo);
    char args[1024], out[4096];
    snprintf(args, sizeof args, "audit verify --db '%s'", conninfo);
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "ok: 0 rows\n"));
    s_append_t a = {15, 0, false};
    zw_err_t err;
    assert_int_equal(zw_db_tx(db, false, s_append_tx, &a, &err), 0);
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "pending: 15 entries not chained yet"));
    char chain_args[1024];
    snprintf(chain_args, sizeof chain_args, "audit chain --db '%s'", conninfo);
    assert_int_equal(s_ctl(chain_args, out, sizeof out), 0);
    assert_non_null(strstr(out, "chained: 15 entries"));
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    assert_true(strncmp(out, "ok: 15 rows\n", 12) == 0);
    char *head = strstr(out, "head: ");
    assert_non_null(head);
    char anchor[100];
    assert_int_equal(sscanf(head, "head: %99s", anchor), 1);
    assert_int_equal(strlen(anchor), 3 + ZW_AUDIT_HASH_LEN);

    /* A committed tamper, as an intruder would leave it. */
    zwt_db_run(db, "BEGIN; SET LOCAL session_replication_role = replica;"
               " UPDATE audit.log SET object_id = 'APP-0666' WHERE seq = 9; COMMIT");
    assert_int_equal(s_ctl(args, out, sizeof out), 1);
    assert_true(strncmp(out, "bad: seq 9: its contents", 24) == 0);
    assert_non_null(strstr(out, "a field was changed"));
    assert_non_null(strstr(out, "rows before it that check out: 8"));
    zwt_db_run(db, "BEGIN; SET LOCAL session_replication_role = replica;"
               " UPDATE audit.log SET object_id = 'APP-0008' WHERE seq = 9; COMMIT");
    snprintf(args, sizeof args, "audit verify --db '%s' --anchor %s", conninfo, anchor);
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    zwt_db_run(db, "BEGIN; SET LOCAL session_replication_role = replica;"
               " DELETE FROM audit.log WHERE seq = 15; COMMIT");
    snprintf(args, sizeof args, "audit verify --db '%s'", conninfo);
    assert_int_equal(s_ctl(args, out, sizeof out), 1);
    assert_true(strncmp(out, "bad: seq 15: ", 13) == 0);

    /* Usage errors and an unreachable database. */
    snprintf(args, sizeof args, "audit verify --db '%s' --anchor 12:nothex", conninfo);
    assert_int_equal(s_ctl(args, out, sizeof out), 2);
    assert_int_equal(s_ctl("audit frobnicate", out, sizeof out), 2);
    assert_int_equal(s_ctl("audit", out, sizeof out), 2);
    assert_int_equal(
        s_ctl("audit verify --db 'host=127.0.0.1 port=1 connect_timeout=2'", out, sizeof out), 1);
    zw_db_destroy(&db);
    free(conninfo);
}

int main(void)
{
    zw_log_init("test_audit", ZW_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_and_serialization_match_independent_sha256),
        cmocka_unit_test(test_entries_commit_with_the_change_and_bad_input_is_refused),
        cmocka_unit_test(test_chainer_settings_stay_in_its_transaction),
        cmocka_unit_test(test_concurrent_appenders_and_chainers_make_one_chain),
        cmocka_unit_test(test_every_kind_of_tampering_is_reported_naming_the_row),
        cmocka_unit_test(test_rewritten_chain_is_caught_by_an_anchor),
        cmocka_unit_test(test_zwfwctl_audit_verify),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
