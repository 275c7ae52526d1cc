/* db against a real PostgreSQL: migrations (idempotent, ordered, changed
 * files refused, surviving a server restart), reconnect, retried
 * transactions, and the simulated clock stored in the database. */
#include "zwtest.h"
#include "clock.h"
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_tmp[256];

static const char *s_dir(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", s_tmp, name);
    return buf;
}

static void s_write(const char *dir, const char *file, const char *text)
{
    char path[600];
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static zw_db_t *s_fresh(const char *name)
{
    char *conninfo = zwt_pg_fresh_db(name);
    assert_non_null(conninfo);
    zw_db_t *db = zw_db_new(conninfo);
    free(conninfo);
    zw_err_t err;
    if (zw_db_connect(db, &err) != 0)
        fail_msg("connect: %s", err.message);
    return db;
}

static void test_migrations_apply_once_in_order(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_db_migrate");
    const char *dir = s_dir("m1");
    s_write(dir, "002_rows.sql", "INSERT INTO t1 (v) VALUES ('second');");
    s_write(dir, "001_table.sql", "CREATE TABLE t1 (v text);");
    s_write(dir, "010_more.sql", "INSERT INTO t1 (v) VALUES ('tenth');");
    s_write(dir, "README", "not a migration");
    int applied = -1;
    zw_err_t err;
    if (zw_db_migrate(db, "demo", dir, &applied, &err) != 0)
        fail_msg("migrate: %s", err.message);
    assert_int_equal(applied, 3);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM t1"), 2);
    /* Twice changes nothing. */
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM t1"), 2);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM zwfw_migrations WHERE owner='demo'"), 3);
    /* A new file is applied alone. */
    s_write(dir, "011_last.sql", "INSERT INTO t1 (v) VALUES ('eleventh');");
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), 0);
    assert_int_equal(applied, 1);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM t1"), 3);
    /* A changed file is refused, nothing runs. */
    s_write(dir, "002_rows.sql", "INSERT INTO t1 (v) VALUES ('changed');");
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "002_rows.sql"));
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM t1"), 3);
    zw_db_destroy(&db);
}

static void test_failed_migration_rolls_back_whole_file(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_db_migrate_fail");
    const char *dir = s_dir("m2");
    s_write(dir, "001_ok.sql", "CREATE TABLE t2 (v int);");
    s_write(dir, "002_bad.sql", "INSERT INTO t2 VALUES (1); INSERT INTO nowhere VALUES (2);");
    int applied = -1;
    zw_err_t err;
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), -1);
    assert_int_equal(applied, 1);
    assert_non_null(strstr(err.message, "002_bad.sql"));
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM t2"), 0);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM zwfw_migrations"), 1);
    /* Fixed, it applies. */
    s_write(dir, "002_bad.sql", "INSERT INTO t2 VALUES (1);");
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), 0);
    assert_int_equal(applied, 1);
    /* Misnamed file. */
    s_write(dir, "abc.sql", "SELECT 1;");
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    zw_db_destroy(&db);
}

static void test_project_migrations_are_idempotent(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_db_project");
    int first = 0, second = -1;
    zw_err_t err;
    if (zw_db_migrate_all(db, zwt_src_path(""), &first, &err) != 0)
        fail_msg("migrate_all: %s", err.message);
    assert_true(first >= 1);
    assert_int_equal(zw_db_migrate_all(db, zwt_src_path(""), &second, &err), 0);
    assert_int_equal(second, 0);
    zw_db_destroy(&db);
}

/* A private cluster of our own, so stopping it does not disturb other tests. */
static void s_pgtmp(const char *verb, const char *state_dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %s >/dev/null", zwt_src_path("tests/harness/pgtmp.sh"), verb,
             state_dir);
    assert_int_equal(system(cmd), 0);
}

static void test_reconnect_and_migrate_across_restart(void **state)
{
    (void) state;
    char st[512];
    snprintf(st, sizeof st, "%s", s_dir("pgown"));
    s_pgtmp("start", st);
    char path[600], conninfo[256] = "";
    snprintf(path, sizeof path, "%s/conninfo", st);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(conninfo, sizeof conninfo, f));
    fclose(f);
    conninfo[strcspn(conninfo, "\n")] = '\0';

    zw_db_t *db = zw_db_new(conninfo);
    zw_err_t err;
    assert_int_equal(zw_db_connect(db, &err), 0);
    assert_int_equal(zw_db_prepare(db, "one", "SELECT $1::int + 1", 1, &err), 0);
    const char *dir = s_dir("m3");
    s_write(dir, "001_a.sql", "CREATE TABLE ta (v int);");
    int applied;
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), 0);
    assert_int_equal(applied, 1);

    s_pgtmp("halt", st);
    const char *p[] = {"41"};
    PGresult *res = zw_db_exec(db, "one", 1, p, &err);
    assert_null(res);
    assert_int_equal(err.code, ZW_UNAVAILABLE);
    assert_false(zw_db_connected(db));
    s_pgtmp("restart", st);

    /* Back-off may make the first attempt wait; zw_db_wait retries. */
    assert_int_equal(zw_db_wait(db, 10000, &err), 0);
    res = zw_db_exec(db, "one", 1, p, &err); /* re-prepared on the new connection */
    if (!res)
        fail_msg("after reconnect: %s", err.message);
    assert_string_equal(PQgetvalue(res, 0, 0), "42");
    PQclear(res);

    s_write(dir, "002_b.sql", "INSERT INTO ta VALUES (7);");
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), 0);
    assert_int_equal(applied, 1);
    assert_int_equal(zw_db_migrate(db, "demo", dir, &applied, &err), 0);
    assert_int_equal(applied, 0);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM ta"), 1);
    zw_db_destroy(&db);
    s_pgtmp("stop", st);
}

typedef struct {
    int runs;
    int fail_times;
} s_tx_arg_t;

static int s_tx_body(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_tx_arg_t *a = arg;
    a->runs++;
    PGresult *res = zw_db_query(db, "INSERT INTO tx_t VALUES (1)", 0, NULL, err);
    if (!res)
        return -1;
    PQclear(res);
    if (a->runs <= a->fail_times) {
        /* A real serialization_failure raised by the server. */
        res = zw_db_query(db,
                          "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$",
                          0, NULL, err);
        assert_null(res);
        return -1;
    }
    return 0;
}

static int s_tx_refuse(zw_db_t *db, void *arg, zw_err_t *err)
{
    (void) arg;
    PGresult *res = zw_db_query(db, "INSERT INTO tx_t VALUES (2)", 0, NULL, err);
    if (res)
        PQclear(res);
    return zw_err_set(err, ZW_FAILED_PRECONDITION, "business rule says no");
}

static void test_tx_retries_serialization_failures(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_db_tx");
    zw_err_t err;
    assert_int_equal(zw_db_run(db, "CREATE TABLE tx_t (v int)", &err), 0);
    s_tx_arg_t a = {0, 2};
    assert_int_equal(zw_db_tx(db, true, s_tx_body, &a, &err), 0);
    assert_int_equal(a.runs, 3);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM tx_t"), 1);
    s_tx_arg_t always = {0, 1000};
    assert_int_equal(zw_db_tx(db, true, s_tx_body, &always, &err), -1);
    assert_int_equal(err.code, ZW_ABORTED);
    assert_int_equal(always.runs, 8);
    assert_int_equal(zw_db_tx(db, false, s_tx_refuse, NULL, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM tx_t"), 1);
    /* SQLSTATE mapping seen through a real error. */
    assert_int_equal(zw_db_run(db, "CREATE UNIQUE INDEX ON tx_t (v)", &err), 0);
    assert_null(zw_db_query(db, "INSERT INTO tx_t VALUES (1)", 0, NULL, &err));
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_string_equal(err.detail, "23505");
    zw_db_destroy(&db);
}

/* zw_db_tx sends BEGIN with the body's first statement: whatever kind of
 * statement comes first, every statement of the body is in the one
 * transaction, at the isolation level asked for, and a failure rolls all
 * of it back. */
typedef struct {
    int first;           /* 0: zw_db_query first, 1: zw_db_exec, 2: zw_db_run */
    bool fail;           /* fail after the inserts */
    char txid[2][32];    /* txid_current() at the start and the end */
    char isolation[32];
} s_begin_arg_t;

static int s_begin_body(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_begin_arg_t *a = arg;
    PGresult *res = NULL;
    if (a->first == 0)
        res = zw_db_query(db, "INSERT INTO begin_t VALUES (1)", 0, NULL, err);
    else if (a->first == 1)
        res = zw_db_exec(db, "begin_ins", 0, NULL, err);
    else if (zw_db_run(db, "INSERT INTO begin_t VALUES (1); INSERT INTO begin_t VALUES (1)",
                       err) != 0)
        return -1;
    if (a->first != 2) {
        if (!res)
            return -1;
        PQclear(res);
    }
    for (int i = 0; i < 2; i++) {
        res = zw_db_query(db, i ? "SELECT txid_current()::text, current_setting('transaction_isolation')"
                                : "SELECT txid_current()::text, ''",
                          0, NULL, err);
        if (!res)
            return -1;
        snprintf(a->txid[i], sizeof a->txid[i], "%s", PQgetvalue(res, 0, 0));
        if (i)
            snprintf(a->isolation, sizeof a->isolation, "%s", PQgetvalue(res, 0, 1));
        PQclear(res);
        if (i == 0 && zw_db_run(db, "INSERT INTO begin_t VALUES (2)", err) != 0)
            return -1;
    }
    return a->fail ? zw_err_set(err, ZW_FAILED_PRECONDITION, "refused") : 0;
}

static int s_empty_body(zw_db_t *db, void *arg, zw_err_t *err)
{
    (void) db;
    (void) err;
    (*(int *) arg)++;
    return 0;
}

static void test_tx_begin_goes_with_first_statement(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_db_begin");
    zw_err_t err;
    assert_int_equal(zw_db_run(db, "CREATE TABLE begin_t (v int)", &err), 0);
    assert_int_equal(zw_db_prepare(db, "begin_ins", "INSERT INTO begin_t VALUES (1)", 0, &err), 0);
    long rows = 0;
    for (int first = 0; first < 3; first++)
        for (int serializable = 0; serializable < 2; serializable++)
            for (int fail = 0; fail < 2; fail++) {
                s_begin_arg_t a = {.first = first, .fail = fail};
                int rc = zw_db_tx(db, serializable, s_begin_body, &a, &err);
                assert_int_equal(rc, fail ? -1 : 0);
                /* one transaction from the first statement to the last */
                assert_true(a.txid[0][0] != '\0');
                assert_string_equal(a.txid[0], a.txid[1]);
                assert_string_equal(a.isolation, serializable ? "serializable" : "read committed");
                if (!fail)
                    rows += first == 2 ? 3 : 2;
                assert_int_equal(zwt_db_long(db, "SELECT count(*) FROM begin_t"), rows);
            }
    /* a body that sends nothing commits nothing and leaves no transaction */
    int runs = 0;
    assert_int_equal(zw_db_tx(db, false, s_empty_body, &runs, &err), 0);
    assert_int_equal(runs, 1);
    assert_int_equal(PQtransactionStatus(zw_db_conn(db)), PQTRANS_IDLE);
    /* a first statement that fails is the body's error; nothing is left open */
    s_begin_arg_t bad = {.first = 1};
    assert_int_equal(zw_db_run(db, "DROP TABLE begin_t", &err), 0);
    assert_int_equal(zw_db_tx(db, false, s_begin_body, &bad, &err), -1);
    assert_int_equal(PQtransactionStatus(zw_db_conn(db)), PQTRANS_IDLE);
    assert_int_equal(zwt_db_long(db, "SELECT 5"), 5);
    zw_db_destroy(&db);
}

/* zw_db_generic_plans holds on this connection and on the next one. */
static void test_generic_plans_survive_reconnect(void **state)
{
    (void) state;
    zw_db_t *db = s_fresh("t_db_generic"), *killer = zw_db_new(zwt_pg_conninfo());
    zw_err_t err;
    PGresult *res = zw_db_query(db, "SELECT current_setting('plan_cache_mode')", 0, NULL, &err);
    assert_non_null(res);
    assert_string_equal(PQgetvalue(res, 0, 0), "auto");
    PQclear(res);
    assert_int_equal(zw_db_generic_plans(db, &err), 0);
    for (int round = 0; round < 2; round++) {
        res = zw_db_query(db, "SELECT current_setting('plan_cache_mode'), pg_backend_pid()", 0, NULL,
                          &err);
        if (!res)
            fail_msg("round %d: %s", round, err.message);
        assert_string_equal(PQgetvalue(res, 0, 0), "force_generic_plan");
        const char *pid[] = {PQgetvalue(res, 0, 1)};
        PGresult *k = zw_db_query(killer, "SELECT pg_terminate_backend($1::int)", 1, pid, &err);
        assert_non_null(k);
        PQclear(k);
        PQclear(res);
        /* the next statement finds the connection gone, then it reconnects */
        for (int i = 0; i < 50 && (res = zw_db_query(db, "SELECT 1", 0, NULL, &err)) == NULL; i++)
            usleep(100 * 1000);
        assert_non_null(res);
        PQclear(res);
    }
    zw_db_destroy(&killer);
    zw_db_destroy(&db);
}

static void test_sim_clock_moves_only_forward(void **state)
{
    (void) state;
    char *conninfo = zwt_pg_fresh_db("t_db_clock");
    assert_non_null(conninfo);
    zw_db_t *db = zw_db_new(conninfo), *db2 = zw_db_new(conninfo);
    free(conninfo);
    zw_err_t err;
    if (zw_db_migrate_all(db, zwt_src_path(""), NULL, &err) != 0)
        fail_msg("migrate: %s", err.message);
    zw_clock_t *clock = zw_clock_new_sim(db);
    assert_true(zw_clock_is_sim(clock));
    int64_t now;
    assert_int_equal(zw_clock_now(clock, &now, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    int64_t t0;
    assert_int_equal(zw_time_parse("2020-09-25T14:00:00+08:00", &t0, NULL), 0);
    assert_int_equal(zw_clock_set(clock, t0, NULL, &err), 0);
    assert_int_equal(zw_clock_now(clock, &now, &err), 0);
    assert_int_equal(now, t0);
    /* A second clock on another connection (another daemon) shares it. */
    zw_clock_t *other = zw_clock_new_sim(db2);
    assert_int_equal(zw_clock_set(other, t0 + 3600 * ZW_US_PER_SEC, &now, &err), 0);
    assert_int_equal(now, t0 + 3600 * ZW_US_PER_SEC);
    zw_clock_destroy(&other);
    assert_int_equal(zw_clock_set(clock, t0, NULL, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_int_equal(zw_clock_now(clock, &now, &err), 0);
    assert_int_equal(now, t0 + 3600 * ZW_US_PER_SEC);
    /* Same time again is fine. */
    assert_int_equal(zw_clock_set(clock, now, NULL, &err), 0);
    zw_clock_destroy(&clock);
    zw_db_destroy(&db);
    zw_db_destroy(&db2);
}

static int s_setup(void **state)
{
    (void) state;
    snprintf(s_tmp, sizeof s_tmp, "/tmp/zwfw-test-db.XXXXXX");
    if (!mkdtemp(s_tmp))
        return -1;
    chmod(s_tmp, 0755); /* the postgres user must reach our private cluster */
    return zwt_pg_conninfo() ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "%s stop %s/pgown >/dev/null 2>&1; rm -rf %s",
             zwt_src_path("tests/harness/pgtmp.sh"), s_tmp, s_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations_apply_once_in_order),
        cmocka_unit_test(test_failed_migration_rolls_back_whole_file),
        cmocka_unit_test(test_project_migrations_are_idempotent),
        cmocka_unit_test(test_reconnect_and_migrate_across_restart),
        cmocka_unit_test(test_tx_retries_serialization_failures),
        cmocka_unit_test(test_tx_begin_goes_with_first_statement),
        cmocka_unit_test(test_generic_plans_survive_reconnect),
        cmocka_unit_test(test_sim_clock_moves_only_forward),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
