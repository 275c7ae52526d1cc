/* Queue tables vacuumed by whoever drains them (common/db_vacuum.c,
 * zw_db_drained), against a real PostgreSQL: nothing below
 * ZW_DB_VACUUM_EVERY rows, a VACUUM once the count is reached (the dead
 * rows are gone and the count starts again), none inside a transaction
 * (it waits for the next call outside one), each table counted on its
 * own, and a table the connection cannot vacuum costs a log line, never an
 * error. The relay and the audit chainer call it (their own tests run
 * with it); here it is checked by PostgreSQL's own counters. */
#include "db.h"
#include "zwtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static zw_db_t *s_db;

static int s_setup(void **state)
{
    (void) state;
    char *conninfo = zwt_pg_fresh_db("zwfw_test_db_vacuum");
    assert_non_null(conninfo);
    s_db = zw_db_new(conninfo);
    free(conninfo);
    assert_non_null(s_db);
    zw_err_t err;
    if (zw_db_connect(s_db, &err) != 0)
        fail_msg("connect: %s", err.message);
    zwt_db_run(s_db, "CREATE TABLE q1 (id bigserial PRIMARY KEY, stream text NOT NULL)");
    zwt_db_run(s_db, "CREATE INDEX q1_stream ON q1 (stream, id)");
    zwt_db_run(s_db, "CREATE TABLE q2 (id bigserial PRIMARY KEY)");
    /* autovacuum must not do the work this test watches for */
    zwt_db_run(s_db, "ALTER TABLE q1 SET (autovacuum_enabled = false)");
    zwt_db_run(s_db, "ALTER TABLE q2 SET (autovacuum_enabled = false)");
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    zw_db_destroy(&s_db);
    return 0;
}

/* How often PostgreSQL says the table was vacuumed by hand (fresh
 * statistics, not the transaction's cached snapshot). */
static long s_vacuums(const char *table)
{
    char sql[256];
    zwt_db_run(s_db, "SELECT pg_stat_clear_snapshot()");
    snprintf(sql, sizeof sql, "SELECT pg_stat_get_vacuum_count('%s'::regclass)", table);
    return zwt_db_long(s_db, sql);
}

/* Dead index entries left at the front of q1's index: an index-only look
 * at the whole stream has to step over them until VACUUM. */
static long s_dead_tuples(const char *table)
{
    char sql[256];
    zwt_db_run(s_db, "SELECT pg_stat_clear_snapshot()");
    snprintf(sql, sizeof sql,
             "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = '%s'::regclass", table);
    return zwt_db_long(s_db, sql);
}

static void s_churn(const char *table, int rows)
{
    char sql[256];
    if (strcmp(table, "q1") == 0)
        snprintf(sql, sizeof sql,
                 "INSERT INTO q1 (stream) SELECT 'intake' FROM generate_series(1, %d)", rows);
    else
        snprintf(sql, sizeof sql, "INSERT INTO q2 SELECT FROM generate_series(1, %d)", rows);
    zwt_db_run(s_db, sql);
    snprintf(sql, sizeof sql, "DELETE FROM %s", table);
    zwt_db_run(s_db, sql);
}

static void test_vacuums_every_n_rows(void **state)
{
    (void) state;
    long before = s_vacuums("q1");
    s_churn("q1", ZW_DB_VACUUM_EVERY);
    zw_db_drained(s_db, "q1", ZW_DB_VACUUM_EVERY - 1);
    assert_int_equal(s_vacuums("q1"), before); /* one short: not yet */
    zw_db_drained(s_db, "q1", 1);
    assert_int_equal(s_vacuums("q1"), before + 1);
    assert_int_equal(s_dead_tuples("q1"), 0);
    /* the count started again */
    zw_db_drained(s_db, "q1", ZW_DB_VACUUM_EVERY / 2);
    assert_int_equal(s_vacuums("q1"), before + 1);
    zw_db_drained(s_db, "q1", ZW_DB_VACUUM_EVERY / 2 + 1);
    assert_int_equal(s_vacuums("q1"), before + 2);
    zw_db_drained(s_db, "q1", 0); /* nothing deleted: nothing done */
    assert_int_equal(s_vacuums("q1"), before + 2);
}

static int s_in_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    (void) err;
    zwt_db_run(db, "SELECT 1"); /* the transaction is really open */
    zw_db_drained(db, "q2", *(size_t *) arg);
    return 0;
}

static void test_waits_outside_a_transaction(void **state)
{
    (void) state;
    long q1 = s_vacuums("q1"), q2 = s_vacuums("q2");
    s_churn("q2", 100);
    size_t rows = ZW_DB_VACUUM_EVERY + 10;
    zw_err_t err;
    /* VACUUM cannot run inside a transaction block: it is put off */
    assert_int_equal(zw_db_tx(s_db, false, s_in_tx, &rows, &err), 0);
    assert_int_equal(s_vacuums("q2"), q2);
    zw_db_drained(s_db, "q2", 1);
    assert_int_equal(s_vacuums("q2"), q2 + 1);
    assert_int_equal(s_dead_tuples("q2"), 0);
    assert_int_equal(s_vacuums("q1"), q1); /* each table on its own count */
}

static void test_failure_is_not_an_error(void **state)
{
    (void) state;
    /* no such table: the VACUUM fails, is logged, and the connection
     * goes on working */
    zw_db_drained(s_db, "no_such_queue", ZW_DB_VACUUM_EVERY);
    assert_int_equal(zwt_db_long(s_db, "SELECT 41 + 1"), 42);
    /* a name too long to count, and NULLs, are ignored */
    char longname[200];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    zw_db_drained(s_db, longname, ZW_DB_VACUUM_EVERY);
    zw_db_drained(NULL, "q1", ZW_DB_VACUUM_EVERY);
    zw_db_drained(s_db, NULL, ZW_DB_VACUUM_EVERY);
    assert_int_equal(zwt_db_long(s_db, "SELECT 1"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vacuums_every_n_rows),
        cmocka_unit_test(test_waits_outside_a_transaction),
        cmocka_unit_test(test_failure_is_not_an_error),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
