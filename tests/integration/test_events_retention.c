/* Event retention as the daemons run it (docs/events.md "Retention"),
 * against a real PostgreSQL: the relay trims, in bounded transactions,
 * exactly the events older than the newest event's occurred_at minus the
 * retention (business time, however far from the wall clock), never past a
 * registered cursor, leaving stream_head.trimmed_seq where the log starts;
 * 0 trims nothing; a failure never holds up the relay. Then through the
 * broker: zwfw-intake given event_retention_days on SIGHUP trims its
 * stream, and ListChanges from a trimmed position answers
 * FAILED_PRECONDITION while from the first kept one it goes on; zwfw-rating
 * (a daemon on zw_daemon_load) trims its own stream the same way. */
#include "intake_harness.h"

#include "daemon.h"
#include "db.h"
#include "events.h"
#include "relay.h"

#include <stdarg.h>

#define S_DAY_US (INT64_C(86400) * 1000000)
#define S_WAIT_MS 60000

/* 2020-01-01 00:00 +08:00: years before the wall clock, as on a simulated
 * clock. Event k (1-based) of a stream here happened k days after it. */
static int64_t s_day0(void)
{
    return h_parse_us("2020-01-01T00:00:00+08:00");
}

/* ---- the library: relay, events.c -------------------------------------------------- */

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

static long s_long(zw_db_t *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static long s_long(zw_db_t *db, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return zwt_db_long(db, sql);
}

/* Events first..last of stream into the outbox, event k at day k. */
static void s_append(zw_db_t *db, const char *stream, int first, int last)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload)"
             " SELECT '%s', 'test.Thing', 'a' || g, %lld + g * %lld, '\\x00'::bytea"
             "   FROM generate_series(%d, %d) g",
             stream, (long long) s_day0(), (long long) S_DAY_US, first, last);
    zwt_db_run(db, sql);
}

static zw_relay_t *s_relay(zw_db_t *db, const char *stream, int days, int batch)
{
    const char *streams[] = {stream};
    zw_relay_config_t rc = {.producer = "test",
                            .streams = streams,
                            .n_streams = 1,
                            .retention_days = days,
                            .trim_every_ms = 1,
                            .trim_batch = batch};
    zw_err_t err;
    zw_relay_t *relay = zw_relay_new(db, &rc, &err);
    if (!relay)
        fail_msg("relay: %s", err.message);
    return relay;
}

static void s_relay_all(zw_relay_t *relay)
{
    size_t moved;
    zw_err_t err;
    do
        assert_int_equal(zw_relay_run_once(relay, &moved, &err), 0);
    while (moved > 0);
}

static long s_trimmed(zw_db_t *db, const char *stream)
{
    return s_long(db, "SELECT trimmed_seq FROM events.stream_head WHERE stream = '%s'", stream);
}

static long s_kept(zw_db_t *db, const char *stream)
{
    return s_long(db, "SELECT count(*) FROM events.log WHERE stream = '%s'", stream);
}

/* Retention 5 days behind day 20 cuts at day 15: seq 1..14 are older, 15
 * (exactly at the cut) stays. Every transaction removes at most 3, a
 * registered cursor at 8 holds the rest back, an unregistered one does not. */
static void test_relay_trims_what_is_older_than_the_cutoff(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_evr_cutoff");
    s_append(env.db, "ret", 1, 20);
    zw_relay_t *relay = s_relay(env.db, "ret", 5, 3);
    zwt_db_run(env.db, "INSERT INTO events.cursors (consumer, stream, last_seq) VALUES"
                       " ('slow', 'ret', 8), ('fast', 'ret', 20);"
                       "INSERT INTO events.cursors (consumer, stream, last_seq, registered)"
                       " VALUES ('gone', 'ret', 2, false)");
    /* the first turn moves the events and schedules retention (after
     * trim_every_ms, here 1 ms): nothing trimmed yet */
    int64_t now = 1000;
    int64_t next = zw_relay_turn(relay, env.db, now, 10, 20);
    assert_int_equal(next, now + 10); /* moved, not failed: the busy pause */
    assert_int_equal(s_kept(env.db, "ret"), 20);
    assert_int_equal(s_trimmed(env.db, "ret"), 0);
    /* at most 3 per call; stops at the slow cursor, 8 */
    long want_trimmed[] = {3, 6, 8, 8};
    for (int i = 0; i < 4; i++) {
        zw_relay_retain(relay, ++now);
        assert_int_equal(s_trimmed(env.db, "ret"), want_trimmed[i]);
        assert_int_equal(s_long(env.db, "SELECT min(seq) FROM events.log WHERE stream = 'ret'"),
                         want_trimmed[i] + 1);
        assert_int_equal(s_kept(env.db, "ret"), 20 - want_trimmed[i]);
    }
    /* slow catches up: the cut-off binds, at seq 14 */
    zwt_db_run(env.db, "UPDATE events.cursors SET last_seq = 20 WHERE consumer = 'slow'");
    long want_more[] = {11, 14, 14, 14};
    for (int i = 0; i < 4; i++) {
        zw_relay_retain(relay, ++now);
        assert_int_equal(s_trimmed(env.db, "ret"), want_more[i]);
    }
    assert_int_equal(s_long(env.db, "SELECT min(seq) FROM events.log WHERE stream = 'ret'"), 15);
    assert_int_equal(s_long(env.db, "SELECT max(seq) FROM events.log WHERE stream = 'ret'"), 20);
    /* the oldest kept event happened exactly at the cut-off (day 15) */
    assert_int_equal(s_long(env.db,
                            "SELECT (occurred_at_us - %lld) / %lld FROM events.log"
                            " WHERE stream = 'ret' AND seq = 15",
                            (long long) s_day0(), (long long) S_DAY_US),
                     15);
    /* a new day moves the cut-off: day 21 arrives, day 15 goes */
    s_append(env.db, "ret", 21, 21);
    zwt_db_run(env.db,
               "UPDATE events.cursors SET last_seq = 21 WHERE consumer IN ('slow', 'fast')");
    zw_relay_turn(relay, env.db, ++now, 10, 20);
    assert_int_equal(s_trimmed(env.db, "ret"), 15);
    assert_int_equal(s_kept(env.db, "ret"), 6);
    zw_relay_destroy(&relay);
    s_env_free(&env);
}

/* The hourly schedule: a pass that ended waits trim_every_ms; one that
 * filled its transaction goes on at the next call. */
static void test_relay_trims_on_its_schedule(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_evr_schedule");
    s_append(env.db, "sched", 1, 30);
    const char *streams[] = {"sched"};
    zw_relay_config_t rc = {.producer = "test",
                            .streams = streams,
                            .n_streams = 1,
                            .retention_days = 10,
                            .trim_every_ms = 1000,
                            .trim_batch = 5};
    zw_err_t err;
    zw_relay_t *relay = zw_relay_new(env.db, &rc, &err);
    assert_non_null(relay);
    s_relay_all(relay);
    zw_relay_retain(relay, 0); /* schedules the first pass at 1000 */
    zw_relay_retain(relay, 999);
    assert_int_equal(s_trimmed(env.db, "sched"), 0);
    zw_relay_retain(relay, 1000);
    assert_int_equal(s_trimmed(env.db, "sched"), 5);
    zw_relay_retain(relay, 1001); /* full: goes on */
    assert_int_equal(s_trimmed(env.db, "sched"), 10);
    zw_relay_retain(relay, 1002);
    assert_int_equal(s_trimmed(env.db, "sched"), 15);
    zw_relay_retain(relay, 1003); /* 4 (day 30 - 10: 1..19): the pass ends, next at 2003 */
    assert_int_equal(s_trimmed(env.db, "sched"), 19);
    s_append(env.db, "sched", 31, 35);
    s_relay_all(relay);
    zw_relay_retain(relay, 1004);
    zw_relay_retain(relay, 2002);
    assert_int_equal(s_trimmed(env.db, "sched"), 19);
    zw_relay_retain(relay, 2003); /* day 35 - 10: up to 24 */
    assert_int_equal(s_trimmed(env.db, "sched"), 24);
    zw_relay_destroy(&relay);
    s_env_free(&env);
}

/* 0 keeps every event, however old; changing the retention applies it at
 * the next call; the daemon-wide value reaches relays made to follow it. */
static void test_zero_keeps_everything_and_changes_apply_at_once(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_evr_zero");
    s_append(env.db, "keep", 1, 400);
    zw_relay_t *relay = s_relay(env.db, "keep", 0, 100);
    int64_t now = 0;
    for (int i = 0; i < 5; i++)
        zw_relay_turn(relay, env.db, now += 10, 10, 20);
    assert_int_equal(s_kept(env.db, "keep"), 400);
    assert_int_equal(s_trimmed(env.db, "keep"), 0);
    zw_err_t err;
    assert_int_equal(zw_relay_set_retention(relay, -2, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(zw_relay_set_retention(relay, ZW_RELAY_RETENTION_MAX_DAYS + 1, &err), -1);
    assert_int_equal(zw_relay_set_retention(NULL, 3, &err), -1);
    /* 30 days behind day 400: 1..369 go, 100 at a time */
    assert_int_equal(zw_relay_set_retention(relay, 30, &err), 0);
    for (int i = 0; i < 5; i++)
        zw_relay_retain(relay, ++now);
    assert_int_equal(s_trimmed(env.db, "keep"), 369);
    assert_int_equal(s_kept(env.db, "keep"), 31);
    /* back to 0: nothing more, whatever comes */
    assert_int_equal(zw_relay_set_retention(relay, 0, &err), 0);
    s_append(env.db, "keep", 401, 500);
    for (int i = 0; i < 5; i++)
        zw_relay_turn(relay, env.db, now += 10, 10, 20);
    assert_int_equal(s_trimmed(env.db, "keep"), 369);
    assert_int_equal(s_kept(env.db, "keep"), 131);
    zw_relay_destroy(&relay);

    /* a relay following the daemon's setting */
    relay = s_relay(env.db, "keep", ZW_RELAY_RETENTION_DAEMON, 1000);
    zw_relay_set_daemon_retention(0);
    zw_relay_retain(relay, now += 10);
    zw_relay_retain(relay, now += 10);
    assert_int_equal(s_trimmed(env.db, "keep"), 369);
    zw_relay_set_daemon_retention(-3); /* ignored */
    zw_relay_set_daemon_retention(ZW_RELAY_RETENTION_MAX_DAYS + 1);
    zw_relay_retain(relay, now += 10);
    assert_int_equal(s_trimmed(env.db, "keep"), 369);
    zw_relay_set_daemon_retention(50); /* day 500 - 50: 1..449 */
    zw_relay_retain(relay, now += 10);
    assert_int_equal(s_trimmed(env.db, "keep"), 449);
    zw_relay_set_daemon_retention(0);
    zw_relay_destroy(&relay);

    /* a bad retention in the config is refused */
    const char *streams[] = {"keep"};
    zw_relay_config_t bad = {
        .producer = "test", .streams = streams, .n_streams = 1, .retention_days = -2};
    assert_null(zw_relay_new(env.db, &bad, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    bad.retention_days = 1;
    bad.trim_batch = -1;
    assert_null(zw_relay_new(env.db, &bad, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    s_env_free(&env);
}

/* Another session in the stream's relay lock: the trim waits for nothing
 * and does nothing. A failing trim (a trigger refuses the DELETE) leaves
 * the relay moving events at its usual pace and is tried again. */
static void test_busy_lock_and_failure_never_hold_up_the_relay(void **state)
{
    (void) state;
    s_env_t env = s_fresh("t_evr_fail");
    s_append(env.db, "flaky", 1, 10);
    zw_relay_t *relay = s_relay(env.db, "flaky", 3, 100);
    s_relay_all(relay);
    zw_err_t err;
    zw_events_trim_result_t r;
    PGconn *other = PQconnectdb(env.conninfo);
    assert_int_equal(PQstatus(other), CONNECTION_OK);
    PQclear(PQexec(other, "BEGIN"));
    PGresult *res = PQexec(other, "SELECT pg_advisory_xact_lock(1702258030, hashtext('flaky'))");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    assert_int_equal(zw_events_trim_retention(env.db, "flaky", 3 * S_DAY_US, 100, &r, &err), 0);
    assert_true(r.busy);
    assert_int_equal(r.deleted, 0);
    assert_int_equal(s_trimmed(env.db, "flaky"), 0);
    PQclear(PQexec(other, "COMMIT"));
    PQfinish(other);

    /* the DELETE fails: the relay still moves, at the busy pace (not the
     * failure back-off), and nothing is trimmed */
    zwt_db_run(env.db, "CREATE FUNCTION t_refuse() RETURNS trigger LANGUAGE plpgsql AS"
                       " $$BEGIN RAISE EXCEPTION 'no deleting today'; END$$;"
                       "CREATE TRIGGER t_refuse BEFORE DELETE ON events.log"
                       " FOR EACH ROW EXECUTE FUNCTION t_refuse()");
    s_append(env.db, "flaky", 11, 12);
    int64_t now = 5000;
    assert_int_equal(zw_relay_turn(relay, env.db, now, 10, 20), now + 10); /* first: scheduled */
    now += 10;
    assert_int_equal(zw_relay_turn(relay, env.db, now, 10, 20), now + 20); /* trim fails */
    assert_int_equal(s_kept(env.db, "flaky"), 12);
    assert_int_equal(s_trimmed(env.db, "flaky"), 0);
    assert_int_equal(s_long(env.db, "SELECT count(*) FROM events.outbox"), 0);
    s_append(env.db, "flaky", 13, 13);
    now += 10;
    assert_int_equal(zw_relay_turn(relay, env.db, now, 10, 20), now + 10); /* moved 1 */
    assert_int_equal(s_kept(env.db, "flaky"), 13);
    /* fixed: the retry trims (day 13 - 3: 1..9) */
    zwt_db_run(env.db, "DROP TRIGGER t_refuse ON events.log");
    zw_relay_retain(relay, now += 10);
    assert_int_equal(s_trimmed(env.db, "flaky"), 9);
    assert_int_equal(s_kept(env.db, "flaky"), 4);

    /* the call's own checks */
    assert_int_equal(zw_events_trim_retention(env.db, "flaky", 0, 100, &r, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(zw_events_trim_retention(env.db, "flaky", S_DAY_US, 0, &r, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(zw_events_trim_retention(env.db, "Bad Name", S_DAY_US, 1, &r, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    /* a stream never relayed: nothing to do */
    assert_int_equal(zw_events_trim_retention(env.db, "nothing", S_DAY_US, 10, &r, &err), 0);
    assert_int_equal(r.deleted, 0);
    assert_int_equal(r.trimmed_seq, 0);
    assert_int_equal(r.before_us, 0);
    /* the cut-off it reports: the newest event (day 13) less the span */
    assert_int_equal(zw_events_trim_retention(env.db, "flaky", 3 * S_DAY_US, 10, &r, &err), 0);
    assert_false(r.busy);
    assert_int_equal(r.deleted, 0);
    assert_int_equal(r.trimmed_seq, 9);
    assert_true(r.before_us == s_day0() + 10 * S_DAY_US);
    zw_relay_destroy(&relay);
    s_env_free(&env);
}

/* The setting: in the common table, reloadable, 365 by default, 0 to
 * ZW_RELAY_RETENTION_MAX_DAYS. */
static void test_setting_is_read_and_checked(void **state)
{
    (void) state;
    size_t n = 0;
    const zw_cfg_spec_t *specs = zw_daemon_common_specs(&n);
    const zw_cfg_spec_t *spec = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(specs[i].name, "event_retention_days") == 0)
            spec = &specs[i];
    assert_non_null(spec);
    assert_true(spec->reloadable);
    zw_config_t *cfg = zw_config_new(specs, n);
    assert_non_null(cfg);
    zw_err_t err;
    assert_int_equal(zw_config_set(cfg, "db_conninfo", "dbname=x", &err), 0);
    zw_daemon_common_t c;
    assert_int_equal(zw_daemon_common_read(cfg, "intake", &c, &err), 0);
    assert_int_equal(c.event_retention_days, 365);
    assert_int_equal(zw_config_set(cfg, "event_retention_days", "0", &err), 0);
    assert_int_equal(zw_daemon_common_read(cfg, "intake", &c, &err), 0);
    assert_int_equal(c.event_retention_days, 0);
    assert_int_equal(zw_config_set(cfg, "event_retention_days", "-1", &err), 0);
    assert_int_equal(zw_daemon_common_read(cfg, "intake", &c, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "event_retention_days");
    assert_int_equal(zw_config_set(cfg, "event_retention_days", "36501", &err), 0);
    assert_int_equal(zw_daemon_common_read(cfg, "intake", &c, &err), -1);
    assert_string_equal(err.detail, "event_retention_days");
    zw_config_destroy(&cfg);
}

/* ---- through the broker: zwfw-intake and ListChanges ------------------------------- */

static h_stack_t S;

static void s_write_config(const char *path, int days)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"common\": {\"event_retention_days\": %d}}\n", days);
    fclose(f);
}

/* Events 1..n of the intake stream as intake writes them (each payload an
 * ApplicationEventHead), event k at day k. */
static void s_intake_events(int n)
{
    for (int k = 1; k <= n; k++) {
        char receipt[32];
        snprintf(receipt, sizeof receipt, "T%03d", k);
        Zwfw__V1__Timestamp at = ZWFW__V1__TIMESTAMP__INIT;
        at.seconds = (s_day0() + k * S_DAY_US) / 1000000;
        Zwfw__V1__ApplicationEventHead head = ZWFW__V1__APPLICATION_EVENT_HEAD__INIT;
        head.receipt_number = receipt;
        head.state = ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_RECEIVED;
        head.at = &at;
        uint8_t buf[128];
        size_t len = zwfw__v1__application_event_head__pack(&head, buf);
        char hex[300];
        for (size_t i = 0; i < len; i++)
            snprintf(hex + 2 * i, 3, "%02x", buf[i]);
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload)"
                 " VALUES ('intake', 'zwfw.v1.ApplicationReceived', '%s', %lld,"
                 " decode('%s', 'hex')) RETURNING 1",
                 receipt, (long long) (s_day0() + k * S_DAY_US), hex);
        assert_int_equal(h_sql_long(&S, "%s", sql), 1);
    }
}

static long s_wait_long(const char *sql, long want)
{
    int64_t end = h_now_ms() + S_WAIT_MS;
    long v;
    while ((v = h_sql_long(&S, "%s", sql)) != want && h_now_ms() < end)
        h_nap(50);
    return v;
}

static Zwfw__V1__ListChangesReply *s_changes(zw_client_t *c, int64_t after)
{
    Zwfw__V1__ListChanges lc = ZWFW__V1__LIST_CHANGES__INIT;
    lc.after_seq = after;
    return (Zwfw__V1__ListChangesReply *) h_ok(c, "zwfw.intake", &lc.base);
}

static void s_trimmed_precondition(zw_client_t *c, int64_t after)
{
    Zwfw__V1__ListChanges lc = ZWFW__V1__LIST_CHANGES__INIT;
    lc.after_seq = after;
    h_fails(c, "zwfw.intake", &lc.base, ZW_FAILED_PRECONDITION, "after_seq");
}

/* The feed from `after` holds seq after+1..last, in order, each with its
 * synthetic receipt number. */
static void s_feed_is(zw_client_t *c, int64_t after, int64_t last)
{
    Zwfw__V1__ListChangesReply *r = s_changes(c, after);
    assert_int_equal(r->n_changes, last - after);
    for (size_t i = 0; i < r->n_changes; i++) {
        char receipt[32];
        snprintf(receipt, sizeof receipt, "T%03lld", (long long) (after + 1 + (int64_t) i));
        assert_int_equal(r->changes[i]->seq, after + 1 + (int64_t) i);
        assert_string_equal(r->changes[i]->receipt_number, receipt);
    }
    assert_int_equal(r->last_seq, last);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void test_intake_list_changes_after_retention(void **state)
{
    (void) state;
    /* the setting shows in --help, reloadable */
    char cmd[512], line[1024];
    snprintf(cmd, sizeof cmd, "%s/zwfw-intake --help", ZWFW_BIN_DIR);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    bool listed = false;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "--event-retention-days") && strstr(line, "[SIGHUP]") &&
            strstr(line, "\"365\""))
            listed = true;
    assert_int_equal(pclose(p), 0);
    assert_true(listed);

    h_stack_init(&S, "t_evr_intake");
    h_broker_t sup = {.role = "supervisor", .key_id = "sup1", .region = "500152"};
    h_start_broker(&S, &sup);
    char config[160];
    snprintf(config, sizeof config, "%s/intake.json", S.dir);
    s_write_config(config, 0);
    pid_t intake = h_start_intake(
        &S, sup.ep, (zwt_intake_opts_t){.config = config, .clock_mode = "simulated", .threads = 2});
    h_wait_service(&S, sup.ep, "zwfw.intake");
    s_intake_events(20);
    assert_int_equal(s_wait_long("SELECT count(*) FROM events.log WHERE stream = 'intake'", 20),
                     20);
    /* a follower of the stream that has applied 10 events */
    assert_int_equal(h_sql_long(&S, "INSERT INTO events.cursors (consumer, stream, last_seq)"
                                    " VALUES ('t.follower', 'intake', 10) RETURNING 1"),
                     1);
    s_feed_is(sup.client, 0, 20);

    /* 5 days behind day 20: 1..14 are old, but the follower holds 11.. */
    s_write_config(config, 5);
    assert_int_equal(kill(intake, SIGHUP), 0);
    assert_int_equal(s_wait_long("SELECT trimmed_seq FROM events.stream_head"
                                 " WHERE stream = 'intake'",
                                 10),
                     10);
    assert_int_equal(h_sql_long(&S, "SELECT min(seq) FROM events.log WHERE stream = 'intake'"), 11);
    s_trimmed_precondition(sup.client, 0);
    s_trimmed_precondition(sup.client, 9);
    s_feed_is(sup.client, 10, 20);

    /* the follower catches up; 4 days: 1..15 are old */
    assert_int_equal(h_sql_long(&S, "UPDATE events.cursors SET last_seq = 20"
                                    " WHERE consumer = 't.follower' RETURNING 1"),
                     1);
    s_write_config(config, 4);
    assert_int_equal(kill(intake, SIGHUP), 0);
    assert_int_equal(s_wait_long("SELECT trimmed_seq FROM events.stream_head"
                                 " WHERE stream = 'intake'",
                                 15),
                     15);
    s_trimmed_precondition(sup.client, 14);
    s_feed_is(sup.client, 15, 20);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM events.log WHERE stream = 'intake'"), 5);
    const char *log = zwt_stack_log(&S.procs, intake);
    assert_true(h_file_has(log, "\"msg\":\"events trimmed\""));
    assert_true(h_file_has(log, "\"trimmed_seq\":\"15\""));
    assert_true(h_file_has(log, "\"before\":\"2020-01-17T00:00:00+08:00\""));

    /* zwfw-rating: a daemon on zw_daemon_load, whose relay follows the
     * daemon-wide value that a reload sets */
    char rconfig[160];
    snprintf(rconfig, sizeof rconfig, "%s/rating.json", S.dir);
    s_write_config(rconfig, 0);
    pid_t rating = zwt_stack_rating(&S.procs, &(zwt_rating_opts_t){.config = rconfig,
                                                                   .conninfo = S.conninfo,
                                                                   .brokers = sup.ep,
                                                                   .clock_mode = "simulated",
                                                                   .threads = 1,
                                                                   .heartbeat_ms = H_HB});
    h_wait_service(&S, sup.ep, "zwfw.rating");
    assert_int_equal(
        h_sql_long(&S,
                   "WITH ins AS (INSERT INTO events.outbox (stream, type, aggregate_id,"
                   " occurred_at_us, payload) SELECT 'rating', 'test.Thing', 'r' || g,"
                   " %lld + g * %lld, '\\x00'::bytea FROM generate_series(1, 10) g"
                   " RETURNING 1) SELECT count(*) FROM ins",
                   (long long) s_day0(), (long long) S_DAY_US),
        10);
    assert_int_equal(s_wait_long("SELECT count(*) FROM events.log WHERE stream = 'rating'", 10),
                     10);
    s_write_config(rconfig, 3); /* day 10 - 3: 1..6 */
    assert_int_equal(kill(rating, SIGHUP), 0);
    assert_int_equal(s_wait_long("SELECT trimmed_seq FROM events.stream_head"
                                 " WHERE stream = 'rating'",
                                 6),
                     6);
    assert_int_equal(h_sql_long(&S, "SELECT min(seq) FROM events.log WHERE stream = 'rating'"), 7);
    assert_true(h_file_has(zwt_stack_log(&S.procs, rating), "\"msg\":\"events trimmed\""));
    /* intake's stream is not rating's: untouched by it */
    assert_int_equal(h_sql_long(&S, "SELECT trimmed_seq FROM events.stream_head"
                                    " WHERE stream = 'intake'"),
                     15);

    h_stop(&S, rating);
    h_stop(&S, intake);
    zw_client_destroy(&sup.client);
    h_stack_free(&S);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setting_is_read_and_checked),
        cmocka_unit_test(test_relay_trims_what_is_older_than_the_cutoff),
        cmocka_unit_test(test_relay_trims_on_its_schedule),
        cmocka_unit_test(test_zero_keeps_everything_and_changes_apply_at_once),
        cmocka_unit_test(test_busy_lock_and_failure_never_hold_up_the_relay),
        cmocka_unit_test(test_intake_list_changes_after_retention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
