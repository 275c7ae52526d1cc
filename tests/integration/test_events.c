/* Durable events against a real PostgreSQL: outbox atomicity, the relay's
 * numbering under concurrency and faults, the consumer's exactly-once
 * application (kills, replicas, no PUB/SUB at all), handler alarms,
 * retention, and the wire format. Relays and consumers that must die run
 * as zwfw-evtest processes; every wait has a timeout. */
#include "zwproc.h"
#include "zwtest.h"

#include "clock.h"
#include "consumer.h"
#include "db.h"
#include "events.h"
#include "log.h"
#include "outbox.h"
#include "relay.h"
#include "zwfw/v1/events.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_WAIT_MS 90000 /* generous, for sanitizer builds on 2 cores */
#define S_MAX_PROCS 16

static char s_tmp[256];

/* ------------------------------------------------------------ helpers */

static const char *s_path(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", s_tmp, name);
    return buf[i];
}

static long s_count(zw_db_t *db, const char *sql)
{
    zw_err_t err;
    PGresult *res = zw_db_query(db, sql, 0, NULL, &err);
    if (!res)
        fail_msg("%s: %s", sql, err.message);
    long n = PQntuples(res) == 0 || PQgetisnull(res, 0, 0)
                 ? -1
                 : strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

/* Polls sql (one number) until it equals want or timeout_ms passes;
 * returns the last value seen. */
static long s_wait_value(zw_db_t *db, const char *sql, long want, int timeout_ms)
{
    int64_t end = zw_mono_ms() + timeout_ms;
    long v;
    while ((v = s_count(db, sql)) != want && zw_mono_ms() < end)
        zwt_nap(20);
    return v;
}

typedef struct {
    char *conninfo;
    zw_db_t *db;
} s_env_t;

static s_env_t s_fresh(const char *name)
{
    s_env_t env;
    env.conninfo = zwt_pg_fresh_db(name);
    assert_non_null(env.conninfo);
    env.db = zw_db_new(env.conninfo);
    zw_err_t err;
    if (zw_db_connect(env.db, &err) != 0 ||
        zw_db_migrate(env.db, "common", zwt_src_path("common/sql"), NULL, &err) != 0)
        fail_msg("setup %s: %s", name, err.message);
    return env;
}

static void s_env_free(s_env_t *env)
{
    zw_db_destroy(&env->db);
    free(env->conninfo);
}

/* ------------------------------------------------------------ processes */

static pid_t s_procs[S_MAX_PROCS];

static void s_track(pid_t pid)
{
    for (int i = 0; i < S_MAX_PROCS; i++)
        if (s_procs[i] <= 0) {
            s_procs[i] = pid;
            return;
        }
}

static void s_untrack(pid_t pid)
{
    for (int i = 0; i < S_MAX_PROCS; i++)
        if (s_procs[i] == pid)
            s_procs[i] = 0;
}

static void s_kill_all(void)
{
    for (int i = 0; i < S_MAX_PROCS; i++)
        zwt_proc_kill(&s_procs[i]);
}

/* Starts zwfw-evtest --db conninfo ARGS... (NULL-terminated), output
 * appended to s_tmp/log. It dies with the test process. */
static pid_t s_evtest(const char *conninfo, const char *log, ...)
{
    const char *argv[40];
    int n = 0;
    argv[n++] = "zwfw-evtest";
    argv[n++] = "--db";
    argv[n++] = conninfo;
    va_list ap;
    va_start(ap, log);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 38)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    char logpath[512];
    snprintf(logpath, sizeof logpath, "%s", s_path(log));
    pid_t pid = zwt_proc_start("zwfw-evtest", (char *const *) argv, logpath);
    assert_true(pid > 0);
    s_track(pid);
    return pid;
}

/* Waits for pid to exit; its wait status, or -1 after timeout_ms. */
static int s_wait_exit(pid_t pid, int timeout_ms)
{
    int status = zwt_proc_wait(pid, timeout_ms);
    if (status != -1)
        s_untrack(pid);
    return status;
}

/* SIGTERM; it must exit 0 (under the sanitizers: no leak, no UB). */
static void s_stop(pid_t pid, const char *log)
{
    pid_t stopping = pid;
    bool clean = zwt_proc_stop(&stopping, 20000, "zwfw-evtest");
    s_untrack(pid);
    if (!clean) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "tail -n 20 %s >&2", s_path(log));
        if (system(cmd) != 0)
            fprintf(stderr, "(no log)\n");
        fail_msg("zwfw-evtest (%s) did not exit cleanly", log);
    }
}

/* zwfw-evtest creates its tables on start. */
static void s_wait_evtest_schema(zw_db_t *db)
{
    assert_int_equal(s_wait_value(db,
                                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'evtest'"
                                  " AND tablename = 'effect'",
                                  1, S_WAIT_MS),
                     1);
}

static void s_sigkill(pid_t pid)
{
    pid_t killing = pid;
    zwt_proc_kill(&killing);
    s_untrack(pid);
}

/* ------------------------------------------------------------ writers */

typedef struct {
    const char *conninfo;
    const char *stream;
    int writer;
    int count;
    int64_t *begin_us, *end_us; /* per event, monotonic */
    int failed;
} s_writer_t;

typedef struct {
    s_writer_t *w;
    int k;
} s_wtx_t;

static int s_writer_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_wtx_t *t = arg;
    char w[16], k[16], agg[48];
    snprintf(w, sizeof w, "%d", t->w->writer);
    snprintf(k, sizeof k, "%d", t->k);
    snprintf(agg, sizeof agg, "%d-%d", t->w->writer, t->k);
    const char *params[] = {w, k};
    PGresult *res = zw_db_query(db, "INSERT INTO t_orders (writer, k) VALUES ($1::int, $2::int)", 2,
                                params, err);
    if (!res)
        return -1;
    PQclear(res);
    return zw_outbox_append(db, t->w->stream, "zwfw.test.OrderPlaced", agg, zw_wall_us(), agg,
                            strlen(agg), err);
}

static void *s_writer(void *arg)
{
    s_writer_t *w = arg;
    zw_db_t *db = zw_db_new(w->conninfo);
    zw_err_t err;
    if (zw_db_connect(db, &err) != 0) {
        w->failed = w->count;
        zw_db_destroy(&db);
        return NULL;
    }
    for (int k = 0; k < w->count; k++) {
        s_wtx_t t = {w, k};
        w->begin_us[k] = zw_mono_us();
        if (zw_db_tx(db, false, s_writer_tx, &t, &err) != 0)
            w->failed++;
        w->end_us[k] = zw_mono_us();
    }
    zw_db_destroy(&db);
    return NULL;
}

/* Writes nwriters * per events to `stream` from concurrent connections
 * (each transaction: a t_orders row and its event); fills begin/end times
 * indexed writer * per + k. */
static void s_write_events(const char *conninfo, const char *stream, int nwriters, int per,
                           int64_t *begin_us, int64_t *end_us)
{
    s_writer_t w[16];
    pthread_t th[16];
    assert_true(nwriters <= 16);
    for (int i = 0; i < nwriters; i++) {
        w[i] = (s_writer_t){conninfo, stream, i, per, begin_us + i * per, end_us + i * per, 0};
        assert_int_equal(pthread_create(&th[i], NULL, s_writer, &w[i]), 0);
    }
    int failed = 0;
    for (int i = 0; i < nwriters; i++) {
        pthread_join(th[i], NULL);
        failed += w[i].failed;
    }
    assert_int_equal(failed, 0);
}

/* The log of `stream` holds exactly seq 1..n, each event once. */
static void s_check_log(zw_db_t *db, const char *stream, long n)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM events.log WHERE stream = '%s'", stream);
    assert_int_equal(s_count(db, sql), n);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM events.log WHERE stream = '%s' AND seq BETWEEN 1 AND %ld",
             stream, n);
    assert_int_equal(s_count(db, sql), n);
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT aggregate_id) FROM events.log WHERE stream = '%s'", stream);
    assert_int_equal(s_count(db, sql), n);
    snprintf(sql, sizeof sql, "SELECT last_seq FROM events.stream_head WHERE stream = '%s'",
             stream);
    assert_int_equal(s_count(db, sql), n);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM events.outbox WHERE stream = '%s'", stream);
    assert_int_equal(s_count(db, sql), 0);
}

/* evtest.effect holds each seq 1..n of `stream` exactly once, applied in
 * seq order. */
static void s_check_effects(zw_db_t *db, const char *stream, long n)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM evtest.effect WHERE stream = '%s'", stream);
    assert_int_equal(s_count(db, sql), n);
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT seq) FROM evtest.effect WHERE stream = '%s'"
             " AND seq BETWEEN 1 AND %ld",
             stream, n);
    assert_int_equal(s_count(db, sql), n);
    snprintf(
        sql, sizeof sql,
        "SELECT count(*) FROM (SELECT seq, lag(seq) OVER (ORDER BY id) AS prev"
        " FROM evtest.effect WHERE stream = '%s') x WHERE prev IS NOT NULL AND seq <> prev + 1",
        stream);
    assert_int_equal(s_count(db, sql), 0);
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM evtest.effect f JOIN events.log l"
             " ON l.stream = f.stream AND l.seq = f.seq AND l.event_id = f.event_id"
             " WHERE f.stream = '%s'",
             stream);
    assert_int_equal(s_count(db, sql), n);
}

static void s_orders_table(zw_db_t *db)
{
    zwt_db_run(db, "CREATE TABLE t_orders (id bigserial PRIMARY KEY, writer int, k int)");
}

/* ------------------------------------------------------------ tests */

typedef struct {
    int64_t begin, end, seq;
} s_ev_time_t;

static int s_by_seq(const void *a, const void *b)
{
    int64_t x = ((const s_ev_time_t *) a)->seq, y = ((const s_ev_time_t *) b)->seq;
    return (x > y) - (x < y);
}

/* (a) Two relays, one stream, 10,000 events from concurrent transactions:
 * seq 1..10,000 without gap or duplicate, in commit order, and one
 * consumer applies each exactly once. */
static void test_two_relays_number_in_commit_order(void **state)
{
    (void) state;
    enum { WRITERS = 4, PER = 2500, N = WRITERS * PER };
    s_env_t env = s_fresh("t_ev_two_relays");
    s_orders_table(env.db);
    char r1[300], r2[300];
    snprintf(r1, sizeof r1, "ipc://%s", s_path("a_r1.sock"));
    snprintf(r2, sizeof r2, "ipc://%s", s_path("a_r2.sock"));
    pid_t relay1 = s_evtest(env.conninfo, "a_relay1.log", "--relay", "--stream", "orders", "--pub",
                            r1, "--batch", "200", NULL);
    pid_t relay2 = s_evtest(env.conninfo, "a_relay2.log", "--relay", "--stream", "orders", "--pub",
                            r2, "--batch", "200", NULL);
    pid_t cons = s_evtest(env.conninfo, "a_cons.log", "--consume", "billing", "--stream", "orders",
                          "--sub", r1, "--sub", r2, NULL);
    /* Both relays are up (their sessions exist) before the writers start. */
    assert_int_equal(s_wait_value(env.db,
                                  "SELECT count(*) FROM pg_stat_activity WHERE application_name"
                                  " = 'zwfw-evtest-relay' AND datname = current_database()",
                                  2, S_WAIT_MS),
                     2);
    int64_t *begin = calloc(N, sizeof *begin), *end = calloc(N, sizeof *end);
    s_write_events(env.conninfo, "orders", WRITERS, PER, begin, end);
    assert_int_equal(s_wait_value(env.db,
                                  "SELECT last_seq FROM events.cursors WHERE consumer = 'billing'",
                                  N, S_WAIT_MS),
                     N);
    s_check_log(env.db, "orders", N);
    s_check_effects(env.db, "orders", N);

    /* Commit order: whenever one transaction had committed before another
     * began, its event has the lower seq. */
    zw_err_t err;
    PGresult *res = zw_db_query(
        env.db, "SELECT aggregate_id, seq FROM events.log WHERE stream = 'orders'", 0, NULL, &err);
    assert_non_null(res);
    s_ev_time_t *ev = calloc(N, sizeof *ev);
    for (int r = 0; r < PQntuples(res); r++) {
        int w, k;
        assert_int_equal(sscanf(PQgetvalue(res, r, 0), "%d-%d", &w, &k), 2);
        int i = w * PER + k;
        ev[i] = (s_ev_time_t){begin[i], end[i], strtoll(PQgetvalue(res, r, 1), NULL, 10)};
    }
    PQclear(res);
    qsort(ev, N, sizeof *ev, s_by_seq);
    int64_t min_end_after = INT64_MAX;
    long violations = 0;
    for (int i = N - 1; i >= 0; i--) {
        assert_int_equal(ev[i].seq, i + 1);
        if (min_end_after < ev[i].begin)
            violations++;
        if (ev[i].end < min_end_after)
            min_end_after = ev[i].end;
    }
    assert_int_equal(violations, 0);
    /* And per writer (transactions one after another) strictly rising. */
    assert_int_equal(s_count(env.db,
                             "SELECT count(*) FROM (SELECT seq, lag(seq) OVER (PARTITION BY"
                             " split_part(aggregate_id, '-', 1) ORDER BY"
                             " split_part(aggregate_id, '-', 2)::int) AS prev FROM events.log) x"
                             " WHERE prev IS NOT NULL AND seq < prev"),
                     0);
    free(ev);
    free(begin);
    free(end);
    s_stop(relay1, "a_relay1.log");
    s_stop(relay2, "a_relay2.log");
    s_stop(cons, "a_cons.log");
    s_env_free(&env);
}

/* (b) A consumer killed with SIGKILL mid-stream and restarted catches up:
 * nothing lost, nothing applied twice. */
static void test_consumer_killed_and_restarted(void **state)
{
    (void) state;
    enum { N = 4000 };
    s_env_t env = s_fresh("t_ev_kill");
    char pub[300];
    snprintf(pub, sizeof pub, "ipc://%s", s_path("b_r.sock"));
    pid_t relay = s_evtest(env.conninfo, "b_relay.log", "--relay", "--pub", pub, NULL);
    pid_t cons = s_evtest(env.conninfo, "b_cons.log", "--consume", "c", "--sub", pub, NULL);
    s_wait_evtest_schema(env.db);
    pid_t prod = s_evtest(env.conninfo, "b_prod.log", "--produce", "4000", "--writers", "4",
                          "--rate", "2000", NULL);
    const char *applied = "SELECT count(*) FROM evtest.effect";
    int64_t end = zw_mono_ms() + S_WAIT_MS;
    while (s_count(env.db, applied) < N / 4 && zw_mono_ms() < end)
        zwt_nap(5);
    s_sigkill(cons);
    long at_kill = s_count(env.db, applied);
    assert_true(at_kill >= N / 4);
    assert_true(at_kill < N); /* really mid-stream */
    cons = s_evtest(env.conninfo, "b_cons.log", "--consume", "c", "--sub", pub, NULL);
    int status = s_wait_exit(prod, S_WAIT_MS);
    assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(s_wait_value(env.db, "SELECT last_seq FROM events.cursors WHERE consumer='c'",
                                  N, S_WAIT_MS),
                     N);
    s_check_log(env.db, "evtest", N);
    s_check_effects(env.db, "evtest", N);
    s_stop(relay, "b_relay.log");
    s_stop(cons, "b_cons.log");
    s_env_free(&env);
}

/* (b) Two replicas of one consumer together apply each event once. */
static void test_two_consumer_replicas_apply_once(void **state)
{
    (void) state;
    enum { N = 3000 };
    s_env_t env = s_fresh("t_ev_replicas");
    char pub[300];
    snprintf(pub, sizeof pub, "ipc://%s", s_path("c_r.sock"));
    pid_t relay = s_evtest(env.conninfo, "c_relay.log", "--relay", "--pub", pub, NULL);
    pid_t c1 = s_evtest(env.conninfo, "c_cons1.log", "--consume", "c", "--sub", pub, NULL);
    pid_t c2 = s_evtest(env.conninfo, "c_cons2.log", "--consume", "c", "--sub", pub, NULL);
    pid_t prod = s_evtest(env.conninfo, "c_prod.log", "--produce", "3000", "--writers", "3",
                          "--rate", "3000", NULL);
    int status = s_wait_exit(prod, S_WAIT_MS);
    assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(s_wait_value(env.db, "SELECT last_seq FROM events.cursors WHERE consumer='c'",
                                  N, S_WAIT_MS),
                     N);
    s_check_log(env.db, "evtest", N);
    s_check_effects(env.db, "evtest", N);
    long replicas = s_count(env.db, "SELECT count(DISTINCT pid) FROM evtest.effect");
    fprintf(stderr, "replicas that applied events: %ld\n", replicas);
    assert_true(replicas >= 1 && replicas <= 2);
    s_stop(c1, "c_cons1.log");
    s_stop(c2, "c_cons2.log");
    s_stop(relay, "c_relay.log");
    s_env_free(&env);
}

/* (b) With PUB/SUB switched off entirely (no PUB socket, no SUB endpoint)
 * everything is still delivered, from the log. */
static void test_without_pubsub_everything_arrives(void **state)
{
    (void) state;
    enum { N = 1500 };
    s_env_t env = s_fresh("t_ev_nopubsub");
    pid_t relay = s_evtest(env.conninfo, "d_relay.log", "--relay", NULL);
    pid_t cons = s_evtest(env.conninfo, "d_cons.log", "--consume", "c", "--quiet-ms", "100", NULL);
    pid_t prod = s_evtest(env.conninfo, "d_prod.log", "--produce", "1500", "--writers", "3", NULL);
    int status = s_wait_exit(prod, S_WAIT_MS);
    assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(s_wait_value(env.db, "SELECT last_seq FROM events.cursors WHERE consumer='c'",
                                  N, S_WAIT_MS),
                     N);
    s_check_log(env.db, "evtest", N);
    s_check_effects(env.db, "evtest", N);
    s_stop(relay, "d_relay.log");
    s_stop(cons, "d_cons.log");
    s_env_free(&env);
}

/* (c) The relay's connection is cut (pg_terminate_backend) while it holds
 * the lock with a moved batch not yet committed, three times: after it
 * reconnects there is no gap and no duplicate. */
static void test_relay_connection_cut_mid_batch(void **state)
{
    (void) state;
    enum { N = 600, CUTS = 3 };
    s_env_t env = s_fresh("t_ev_cut");
    s_orders_table(env.db);
    int64_t *begin = calloc(N, sizeof *begin), *end = calloc(N, sizeof *end);
    s_write_events(env.conninfo, "orders", 3, N / 3, begin, end);
    free(begin);
    free(end);
    char pub[300];
    snprintf(pub, sizeof pub, "ipc://%s", s_path("e_r.sock"));
    pid_t cons = s_evtest(env.conninfo, "e_cons.log", "--consume", "c", "--stream", "orders",
                          "--sub", pub, "--quiet-ms", "200", NULL);
    pid_t relay = s_evtest(env.conninfo, "e_relay.log", "--relay", "--stream", "orders", "--pub",
                           pub, "--batch", "40", "--hold-ms", "150", NULL);
    /* The relay's own lock (two-int form: objsubid 2), not evtest's set-up
     * lock, which the same process holds for a moment at start. */
    char cut[600];
    snprintf(cut, sizeof cut,
             "SELECT count(*) FROM (SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a"
             " JOIN pg_locks l ON l.pid = a.pid WHERE l.locktype = 'advisory' AND l.granted"
             " AND l.objsubid = 2 AND l.classid = %d::oid"
             " AND a.application_name = 'zwfw-evtest-relay' AND a.datname = current_database()"
             " AND a.state = 'idle in transaction') t",
             ZW_EVENTS_LOCK_RELAY);
    int cuts = 0;
    int64_t deadline = zw_mono_ms() + S_WAIT_MS;
    while (cuts < CUTS && zw_mono_ms() < deadline) {
        /* Rows of the batch are gone from the outbox but not committed: only
         * the relay's own session sees them moved. */
        if (s_count(env.db, cut) == 1)
            cuts++;
        else
            zwt_nap(5);
    }
    assert_int_equal(cuts, CUTS);
    assert_int_equal(s_wait_value(env.db, "SELECT last_seq FROM events.cursors WHERE consumer='c'",
                                  N, S_WAIT_MS),
                     N);
    s_check_log(env.db, "orders", N);
    s_check_effects(env.db, "orders", N);
    s_stop(relay, "e_relay.log");
    s_stop(cons, "e_cons.log");
    /* The relay saw its batches fail and went on after reconnecting. */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "grep -c '\"relay failed\"' %s >/dev/null", s_path("e_relay.log"));
    assert_int_equal(system(cmd), 0);
    s_env_free(&env);
}

/* ------------------------------------------------------------ in-process */

typedef struct {
    const char *stream;
    int n;
    int64_t at0;
} s_append_t;

static int s_append_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_append_t *a = arg;
    for (int i = 1; i <= a->n; i++) {
        char agg[32];
        snprintf(agg, sizeof agg, "agg-%d", i);
        /* Business time: event i happened at at0 + i ms. */
        if (zw_outbox_append(db, a->stream, "zwfw.test.Thing", agg, a->at0 + i * 1000, agg,
                             strlen(agg), err) != 0)
            return -1;
    }
    return 0;
}

static int s_fail_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    if (s_append_tx(db, arg, err) != 0)
        return -1;
    return zw_err_set(err, ZW_FAILED_PRECONDITION, "the state change was refused");
}

/* Appends n events to stream in one transaction and relays them all. */
static void s_append_and_relay(zw_db_t *db, const char *stream, int n, int64_t at0)
{
    s_append_t a = {stream, n, at0};
    zw_err_t err;
    if (zw_db_tx(db, false, s_append_tx, &a, &err) != 0)
        fail_msg("append: %s", err.message);
    const char *streams[] = {stream};
    zw_relay_config_t rc = {.producer = "test", .streams = streams, .n_streams = 1};
    zw_relay_t *relay = zw_relay_new(db, &rc, &err);
    assert_non_null(relay);
    size_t moved;
    do {
        assert_int_equal(zw_relay_run_once(relay, &moved, &err), 0);
    } while (moved > 0);
    zw_relay_destroy(&relay);
}

static void test_outbox_commits_with_the_change_or_not_at_all(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_ev_outbox");
    s_append_t a = {"things", 3, 0};
    zw_err_t err;
    assert_int_equal(zw_db_tx(env.db, false, s_fail_tx, &a, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM events.outbox"), 0);
    assert_int_equal(zw_db_tx(env.db, false, s_append_tx, &a, &err), 0);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM events.outbox"), 3);
    int64_t pending = -1;
    assert_int_equal(zw_events_outbox_pending(env.db, "things", &pending, &err), 0);
    assert_int_equal(pending, 3);
    /* Bad input: a clear error, nothing written. */
    const char *bad_streams[] = {"", "Upper", "has space", "-lead", "x/y"};
    for (size_t i = 0; i < sizeof bad_streams / sizeof bad_streams[0]; i++) {
        assert_int_equal(zw_outbox_append(env.db, bad_streams[i], "t", "a", 0, "x", 1, &err), -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_string_equal(err.detail, "stream");
    }
    char longname[80];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(zw_outbox_append(env.db, longname, "t", "a", 0, "x", 1, &err), -1);
    assert_int_equal(zw_outbox_append(env.db, NULL, "t", "a", 0, "x", 1, &err), -1);
    assert_int_equal(zw_outbox_append(env.db, "s", "", "a", 0, "x", 1, &err), -1);
    assert_string_equal(err.detail, "type");
    assert_int_equal(zw_outbox_append(env.db, "s", "t", "a", 0, NULL, 5, &err), -1);
    assert_string_equal(err.detail, "payload");
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM events.outbox"), 3);
    /* Bad relay and consumer configurations. */
    const char *streams[] = {"things"};
    zw_relay_config_t rc = {.streams = streams, .n_streams = 1};
    assert_null(zw_relay_new(env.db, &rc, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    zw_consumer_config_t cc = {.name = "Bad Name", .streams = streams, .n_streams = 1};
    assert_null(zw_consumer_new(env.db, &cc, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    s_env_free(&env);
}

/* A relay that cannot take the stream's lock (another replica holds it)
 * does nothing; once the lock is free it moves everything. */
static void test_relay_skips_a_stream_another_replica_holds(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_ev_lock");
    s_append_t a = {"held", 5, 0};
    zw_err_t err;
    assert_int_equal(zw_db_tx(env.db, false, s_append_tx, &a, &err), 0);
    zw_db_t *other = zw_db_new(env.conninfo);
    assert_int_equal(zw_db_connect(other, &err), 0);
    char sql[200];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d, hashtext('held'))",
             ZW_EVENTS_LOCK_RELAY);
    zwt_db_run(other, sql);
    const char *streams[] = {"held"};
    zw_relay_config_t rc = {.producer = "test", .streams = streams, .n_streams = 1};
    zw_relay_t *relay = zw_relay_new(env.db, &rc, &err);
    assert_non_null(relay);
    size_t moved = 99;
    assert_int_equal(zw_relay_run_once(relay, &moved, &err), 0);
    assert_int_equal(moved, 0);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM events.outbox"), 5);
    zwt_db_run(other, "COMMIT");
    assert_int_equal(zw_relay_run_once(relay, &moved, &err), 0);
    assert_int_equal(moved, 5);
    assert_int_equal(zw_relay_run_once(relay, &moved, &err), 0);
    assert_int_equal(moved, 0);
    s_check_log(env.db, "held", 5);
    zw_relay_destroy(&relay);
    zw_db_destroy(&other);
    s_env_free(&env);
}

/* When a daemon's loop runs the relay next: at once only while a full
 * batch says more is waiting. */
static void test_relay_pacing(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_ev_pace");
    const char *streams[] = {"paced"};
    zw_relay_config_t rc = {.producer = "test", .streams = streams, .n_streams = 1, .batch = 4};
    zw_err_t err;
    zw_relay_t *relay = zw_relay_new(env.db, &rc, &err);
    assert_non_null(relay);
    assert_int_equal(zw_relay_next_ms(relay, 1000, true, 4, 0, false, 10, 20), 1200);
    assert_int_equal(zw_relay_next_ms(relay, 1000, false, 4, 0, false, 10, 20), 1000);
    assert_int_equal(zw_relay_next_ms(relay, 1000, false, 0, 1000, true, 10, 20), 1000);
    assert_int_equal(zw_relay_next_ms(relay, 1000, false, 3, 0, false, 10, 20), 1010);
    assert_int_equal(zw_relay_next_ms(relay, 1000, false, 0, 2, false, 10, 20), 1010);
    assert_int_equal(zw_relay_next_ms(relay, 1000, false, 3, 0, false, 0, 20), 1000);
    assert_int_equal(zw_relay_next_ms(relay, 1000, false, 0, 0, false, 10, 20), 1020);
    /* a real backlog: 10 rows move as 4, 4, 2 */
    s_append_t a = {"paced", 10, 0};
    assert_int_equal(zw_db_tx(env.db, false, s_append_tx, &a, &err), 0);
    size_t moved = 0;
    int64_t now = 0;
    size_t seen[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(zw_relay_run_once(relay, &moved, &err), 0);
        seen[i] = moved;
        now = zw_relay_next_ms(relay, 0, false, moved, 0, false, 10, 20);
        assert_int_equal(now, i < 2 ? 0 : 10);
    }
    assert_int_equal(seen[0] + seen[1] + seen[2], 10);
    assert_int_equal(seen[2], 2);
    s_check_log(env.db, "paced", 10);
    zw_relay_destroy(&relay);
    s_env_free(&env);
}

static int s_recv_frames(void *sock, zmq_msg_t *frames, int max)
{
    int n = 0;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
        bool more = zmq_msg_more(&m);
        if (n < max)
            frames[n] = m;
        else
            zmq_msg_close(&m);
        n++;
        if (!more)
            return n;
    }
}

/* The doorbell's frames: stream, 8-byte big-endian seq, type, Event. */
static void test_relay_publishes_the_documented_frames(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_ev_frames");
    void *ctx = zmq_ctx_new();
    /* A borrowed XPUB socket (it sends like PUB) shows when the subscription
     * has arrived, so nothing published before it is lost. */
    void *xpub = zmq_socket(ctx, ZMQ_XPUB);
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    int timeout = 5000;
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(xpub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    assert_int_equal(zmq_bind(xpub, "inproc://wire"), 0);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "wire", 4);
    assert_int_equal(zmq_connect(sub, "inproc://wire"), 0);
    char hello[8];
    assert_int_equal(zmq_recv(xpub, hello, sizeof hello, 0), 5);
    assert_memory_equal(hello, "\001wire", 5);
    const char *streams[] = {"wire"};
    zw_err_t err;
    zw_relay_config_t rc = {
        .producer = "zwfw-test", .streams = streams, .n_streams = 1, .pub = xpub};
    zw_relay_t *relay = zw_relay_new(env.db, &rc, &err);
    assert_non_null(relay);
    assert_ptr_equal(zw_relay_socket(relay), xpub);
    s_append_t a = {"wire", 2, INT64_C(1601013600000000) - 1000};
    assert_int_equal(zw_db_tx(env.db, false, s_append_tx, &a, &err), 0);
    size_t moved;
    assert_int_equal(zw_relay_run_once(relay, &moved, &err), 0);
    assert_int_equal(moved, 2);
    for (int i = 1; i <= 2; i++) {
        zmq_msg_t f[5];
        assert_int_equal(s_recv_frames(sub, f, 5), 4);
        assert_int_equal(zmq_msg_size(&f[0]), 4);
        assert_memory_equal(zmq_msg_data(&f[0]), "wire", 4);
        assert_int_equal(zmq_msg_size(&f[1]), 8);
        const uint8_t *s = zmq_msg_data(&f[1]);
        for (int b = 0; b < 7; b++)
            assert_int_equal(s[b], 0);
        assert_int_equal(s[7], i);
        assert_int_equal(zmq_msg_size(&f[2]), strlen("zwfw.test.Thing"));
        assert_memory_equal(zmq_msg_data(&f[2]), "zwfw.test.Thing", strlen("zwfw.test.Thing"));
        Zwfw__V1__Event *ev =
            zwfw__v1__event__unpack(NULL, zmq_msg_size(&f[3]), zmq_msg_data(&f[3]));
        assert_non_null(ev);
        assert_string_equal(ev->stream, "wire");
        assert_int_equal(ev->seq, i);
        assert_string_equal(ev->type, "zwfw.test.Thing");
        assert_string_equal(ev->producer, "zwfw-test");
        assert_int_equal(strlen(ev->event_id), 36);
        char agg[16];
        snprintf(agg, sizeof agg, "agg-%d", i);
        assert_string_equal(ev->aggregate_id, agg);
        assert_int_equal(ev->payload.len, strlen(agg));
        assert_memory_equal(ev->payload.data, agg, strlen(agg));
        assert_non_null(ev->occurred_at);
        /* Event i happened at 2020-09-25T14:00:00+08:00 plus (i - 1) ms. */
        assert_int_equal(ev->occurred_at->seconds, 1601013600);
        assert_int_equal(ev->occurred_at->nanos, (i - 1) * 1000000);
        zwfw__v1__event__free_unpacked(ev, NULL);
        for (int k = 0; k < 4; k++)
            zmq_msg_close(&f[k]);
    }
    assert_int_equal(zw_relay_published_total(relay), 2);
    zw_relay_destroy(&relay);
    assert_int_equal(zmq_close(xpub), 0); /* still ours: the relay only borrowed it */
    zmq_close(sub);
    zmq_ctx_term(ctx);
    s_env_free(&env);
}

/* Handler for in-process consumers: records the order it applied in, in
 * t_fx, and fails `fail_left` times on seq fail_seq. */
typedef struct {
    int64_t fail_seq;
    int fail_left;
    int failures;
    int64_t last_applied; /* committed or not: only to check the order */
    bool out_of_order;
} s_fx_t;

static int s_fx(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err)
{
    s_fx_t *fx = arg;
    if (ev->seq == fx->fail_seq && fx->fail_left > 0) {
        fx->fail_left--;
        fx->failures++;
        /* Not UNAVAILABLE: zw_db_tx would take that for a lost connection and
         * retry within one try. */
        return zw_err_set(err, ZW_FAILED_PRECONDITION, "downstream refused");
    }
    if (fx->last_applied > 0 && ev->seq != fx->last_applied + 1)
        fx->out_of_order = true;
    fx->last_applied = ev->seq;
    char seq[24];
    snprintf(seq, sizeof seq, "%lld", (long long) ev->seq);
    const char *params[] = {ev->stream, seq};
    PGresult *res =
        zw_db_query(db, "INSERT INTO t_fx (stream, seq) VALUES ($1, $2::bigint)", 2, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* Runs c's loop until its cursor on stream reaches want (or timeout);
 * calls probe (may be NULL) after every turn. */
static void s_run(zw_consumer_t *c, const char *stream, int64_t want, int timeout_ms,
                  void (*probe)(void *), void *arg)
{
    int64_t end = zw_mono_ms() + timeout_ms, next = 0;
    zw_err_t err;
    while (zw_consumer_cursor(c, stream) < want && zw_mono_ms() < end) {
        int64_t now = zw_mono_ms();
        if (now >= next)
            zw_consumer_tick(c, now, &next, &err);
        long wait = (long) (next - zw_mono_ms());
        zmq_pollitem_t it = {zw_consumer_socket(c), 0, ZMQ_POLLIN, 0};
        zmq_poll(&it, it.socket ? 1 : 0, wait < 0 ? 0 : wait > 50 ? 50 : wait);
        if (it.revents & ZMQ_POLLIN)
            zw_consumer_on_readable(c, &err);
        if (probe)
            probe(arg);
    }
}

typedef struct {
    zw_db_t *db;
    zw_consumer_t *c;
    s_fx_t *fx;
    bool alarm_in_db, alarm_in_memory;
} s_alarm_probe_t;

static void s_alarm_probe(void *arg)
{
    s_alarm_probe_t *p = arg;
    if (p->fx->failures >= 3 && p->fx->fail_left > 0) {
        bool alarm = false;
        int64_t lag = -1;
        zw_err_t err;
        assert_int_equal(zw_events_consumer_lag(p->db, "alarmed", &lag, &alarm, &err), 0);
        p->alarm_in_db |= alarm && lag > 0;
        p->alarm_in_memory |= zw_consumer_alarm(p->c);
    }
}

/* A handler that keeps failing on one event is retried with back-off and
 * raises the alarm after alarm_after tries; the event is never skipped. */
static void test_failing_handler_retries_and_raises_alarm(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_ev_alarm");
    zwt_db_run(env.db, "CREATE TABLE t_fx (id bigserial, stream text, seq bigint)");
    s_append_and_relay(env.db, "jobs", 6, 0);
    zw_db_t *cdb = zw_db_new(env.conninfo);
    s_fx_t fx = {.fail_seq = 3, .fail_left = 5};
    const char *streams[] = {"jobs"};
    zw_consumer_config_t cc = {.name = "alarmed",
                               .streams = streams,
                               .n_streams = 1,
                               .handler = s_fx,
                               .handler_arg = &fx,
                               .alarm_after = 3,
                               .retry_min_ms = 10,
                               .retry_max_ms = 80};
    zw_err_t err;
    zw_consumer_t *c = zw_consumer_new(cdb, &cc, &err);
    assert_non_null(c);
    assert_int_equal(zw_consumer_lag(c), -1); /* not registered yet */
    s_alarm_probe_t probe = {env.db, c, &fx, false, false};
    s_run(c, "jobs", 6, S_WAIT_MS, s_alarm_probe, &probe);
    assert_int_equal(zw_consumer_cursor(c, "jobs"), 6);
    assert_int_equal(fx.failures, 5);
    assert_true(probe.alarm_in_db);
    assert_true(probe.alarm_in_memory);
    assert_false(fx.out_of_order);
    /* Cleared by the success; each event exactly once, in order. */
    assert_false(zw_consumer_alarm(c));
    bool alarm = true;
    int64_t lag = -1;
    assert_int_equal(zw_events_consumer_lag(env.db, "alarmed", &lag, &alarm, &err), 0);
    assert_false(alarm);
    assert_int_equal(lag, 0);
    assert_int_equal(zw_consumer_lag(c), 0);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM t_fx"), 6);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM (SELECT seq, lag(seq) OVER (ORDER BY"
                                     " id) p FROM t_fx) x WHERE p IS NOT NULL AND seq <> p + 1"),
                     0);
    assert_int_equal(s_count(env.db, "SELECT failures FROM events.cursors"), 0);
    assert_int_equal(zw_consumer_applied_total(c), 6);
    zw_consumer_destroy(&c);
    zw_db_destroy(&cdb);
    s_env_free(&env);
}

/* (e) Retention trims old events, never past the slowest registered
 * cursor; a consumer that was not registered moves past what is gone. */
static void test_retention_never_passes_the_slowest_cursor(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_ev_retention");
    s_append_and_relay(env.db, "ret", 100, 0); /* seq i happened at i ms */
    zwt_db_run(env.db, "INSERT INTO events.cursors (consumer, stream, last_seq) VALUES"
                   " ('slow', 'ret', 30), ('fast', 'ret', 80);"
                   "INSERT INTO events.cursors (consumer, stream, last_seq, registered) VALUES"
                   " ('retired', 'ret', 5, false)");
    zw_err_t err;
    int64_t deleted = -1;
    /* Older than 50 ms: seq 1..49... but slow is at 30. */
    assert_int_equal(zw_events_trim(env.db, "ret", 50 * 1000, &deleted, &err), 0);
    assert_int_equal(deleted, 30);
    assert_int_equal(s_count(env.db, "SELECT min(seq) FROM events.log"), 31);
    assert_int_equal(s_count(env.db, "SELECT trimmed_seq FROM events.stream_head"), 30);
    /* Slow catches up to 90: the time limit binds (occurred_at < 50 ms). */
    zwt_db_run(env.db, "UPDATE events.cursors SET last_seq = 90 WHERE consumer = 'slow'");
    assert_int_equal(zw_events_trim(env.db, "ret", 50 * 1000, &deleted, &err), 0);
    assert_int_equal(deleted, 19);
    assert_int_equal(s_count(env.db, "SELECT min(seq) FROM events.log"), 50);
    /* Everything old: stops at fast's cursor, 80. Twice changes nothing. */
    assert_int_equal(zw_events_trim(env.db, "ret", INT64_C(1) << 50, &deleted, &err), 0);
    assert_int_equal(deleted, 31);
    assert_int_equal(zw_events_trim(env.db, "ret", INT64_C(1) << 50, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(s_count(env.db, "SELECT min(seq) FROM events.log"), 81);
    assert_int_equal(s_count(env.db, "SELECT max(seq) FROM events.log"), 100);
    /* Unregistering a consumer lets retention pass it. */
    assert_int_equal(zw_events_unregister(env.db, "nobody", "ret", &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_int_equal(zw_events_unregister(env.db, "fast", "ret", &err), 0);
    assert_int_equal(zw_events_trim(env.db, "ret", 95 * 1000, &deleted, &err), 0);
    assert_int_equal(deleted, 10); /* seq 81..90: slow has applied 90 */
    assert_int_equal(zw_events_trim(env.db, "nothing", 0, &deleted, &err), 0);
    assert_int_equal(deleted, 0);
    assert_int_equal(zw_events_trim(env.db, "Bad Name", 0, &deleted, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    /* A consumer new to the stream skips what retention removed, then
     * applies the rest (91..100) exactly once. */
    zwt_db_run(env.db, "CREATE TABLE t_fx (id bigserial, stream text, seq bigint)");
    zw_db_t *cdb = zw_db_new(env.conninfo);
    s_fx_t fx = {.fail_seq = -1};
    const char *streams[] = {"ret"};
    zw_consumer_config_t cc = {
        .name = "late", .streams = streams, .n_streams = 1, .handler = s_fx, .handler_arg = &fx};
    zw_consumer_t *c = zw_consumer_new(cdb, &cc, &err);
    assert_non_null(c);
    s_run(c, "ret", 100, S_WAIT_MS, NULL, NULL);
    assert_int_equal(zw_consumer_cursor(c, "ret"), 100);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM t_fx"), 10);
    assert_int_equal(s_count(env.db, "SELECT min(seq) FROM t_fx"), 91);
    assert_false(fx.out_of_order);
    zw_consumer_destroy(&c);
    zw_db_destroy(&cdb);
    s_env_free(&env);
}

/* A consumer that starts at the head sees only what comes after; a cursor
 * rewound by an operator replays. */
static void test_consumer_starts_at_head_and_replays_when_rewound(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_ev_head");
    zwt_db_run(env.db, "CREATE TABLE t_fx (id bigserial, stream text, seq bigint)");
    s_append_and_relay(env.db, "news", 10, 0);
    zw_db_t *cdb = zw_db_new(env.conninfo);
    s_fx_t fx = {.fail_seq = -1};
    const char *streams[] = {"news"};
    zw_consumer_config_t cc = {.name = "fresh",
                               .streams = streams,
                               .n_streams = 1,
                               .handler = s_fx,
                               .handler_arg = &fx,
                               .start_at_head = true};
    zw_err_t err;
    zw_consumer_t *c = zw_consumer_new(cdb, &cc, &err);
    assert_non_null(c);
    s_run(c, "news", 10, S_WAIT_MS, NULL, NULL);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM t_fx"), 0);
    s_append_and_relay(env.db, "news", 3, 0);
    s_run(c, "news", 13, S_WAIT_MS, NULL, NULL);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM t_fx"), 3);
    assert_int_equal(s_count(env.db, "SELECT min(seq) FROM t_fx"), 11);
    /* An operator rewinds the cursor to replay from 12 while it runs: the
     * next compare-and-set fails, and the consumer goes on from there. */
    zwt_db_run(env.db, "UPDATE events.cursors SET last_seq = 11 WHERE consumer = 'fresh'");
    fx.last_applied = 0;
    s_append_and_relay(env.db, "news", 1, 0);
    s_run(c, "news", 14, S_WAIT_MS, NULL, NULL);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM t_fx"), 6);
    assert_int_equal(s_count(env.db, "SELECT count(*) FROM t_fx WHERE seq IN (12, 13)"), 4);
    assert_int_equal(s_count(env.db, "SELECT last_seq FROM events.cursors"), 14);
    assert_false(fx.out_of_order);
    zw_consumer_destroy(&c);
    zw_db_destroy(&cdb);
    s_env_free(&env);
}

static int s_teardown(void **state)
{
    (void) state;
    s_kill_all();
    return 0;
}

int main(void)
{
    snprintf(s_tmp, sizeof s_tmp, "%s/zwfw-events-test.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(s_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    atexit(s_kill_all);
    zw_log_init("test_events", ZW_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_outbox_commits_with_the_change_or_not_at_all, s_teardown),
        cmocka_unit_test_teardown(test_relay_skips_a_stream_another_replica_holds, s_teardown),
        cmocka_unit_test_teardown(test_relay_pacing, s_teardown),
        cmocka_unit_test_teardown(test_relay_publishes_the_documented_frames, s_teardown),
        cmocka_unit_test_teardown(test_failing_handler_retries_and_raises_alarm, s_teardown),
        cmocka_unit_test_teardown(test_retention_never_passes_the_slowest_cursor, s_teardown),
        cmocka_unit_test_teardown(test_consumer_starts_at_head_and_replays_when_rewound,
                                  s_teardown),
        cmocka_unit_test_teardown(test_two_relays_number_in_commit_order, s_teardown),
        cmocka_unit_test_teardown(test_consumer_killed_and_restarted, s_teardown),
        cmocka_unit_test_teardown(test_two_consumer_replicas_apply_once, s_teardown),
        cmocka_unit_test_teardown(test_without_pubsub_everything_arrives, s_teardown),
        cmocka_unit_test_teardown(test_relay_connection_cut_mid_batch, s_teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed == 0 && !getenv("ZWFW_KEEP_LOGS")) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf %s", s_tmp);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", s_tmp);
    } else {
        fprintf(stderr, "logs kept in %s\n", s_tmp);
    }
    return failed;
}
