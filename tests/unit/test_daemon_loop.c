/* The pieces the worker daemons' main.c share: endpoint lists, the
 * per-thread store context, SIGHUP reloads, the loop's wait, the sweep
 * timer and the producer's event side. None needs a database: zw_db
 * connects only on use. */
#include "daemon.h"
#include "producer.h"
#include "sweep_timer.h"
#include "zwtest.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* A conninfo nothing listens on: fails at once if anything connects. */
#define T_NOWHERE "host=/nonexistent-zwfw-test port=1 connect_timeout=1"

static void test_list(void **state)
{
    (void) state;
    zw_daemon_list_t l = {0};
    assert_int_equal(zw_daemon_list(&l, ""), 0);
    zw_daemon_list_free(&l);

    const char *src = "tcp://a:1, tcp://b:2 tcp://c:3";
    assert_int_equal(zw_daemon_list(&l, src), 3);
    assert_string_equal(l.v[0], "tcp://a:1");
    assert_string_equal(l.v[1], "tcp://b:2");
    assert_string_equal(l.v[2], "tcp://c:3");
    assert_string_equal(src, "tcp://a:1, tcp://b:2 tcp://c:3"); /* split a copy */
    zw_daemon_list_free(&l);
    assert_null(l.buf);
    assert_int_equal(l.n, 0);

    assert_int_equal(zw_daemon_list(&l, "1,2,3,4,5,6,7,8"), ZW_DAEMON_MAX_ENDPOINTS);
    zw_daemon_list_free(&l);
    assert_int_equal(zw_daemon_list(&l, "1,2,3,4,5,6,7,8,9"), -1);
    zw_daemon_list_free(&l);
    zw_daemon_list_free(&l); /* twice: harmless */
}

static int t_prepared;

static int t_prepare_ok(zw_db_t *db, zw_err_t *err)
{
    t_prepared++;
    return zw_db_prepare(db, "t_one", "SELECT 1", 0, err);
}

static int t_prepare_bad(zw_db_t *db, zw_err_t *err)
{
    (void) db;
    t_prepared++;
    return zw_err_set(err, ZW_INTERNAL, "no statements today");
}

static void test_ctx_open(void **state)
{
    (void) state;
    zw_db_t *db = NULL;
    zw_clock_t *clock = NULL;
    t_prepared = 0;
    assert_int_equal(zw_daemon_ctx_open(T_NOWHERE, false, t_prepare_ok, &db, &clock), 0);
    assert_int_equal(t_prepared, 1);
    assert_non_null(db);
    assert_non_null(clock);
    assert_false(zw_clock_is_sim(clock));
    zw_daemon_ctx_close(&db, &clock);
    assert_null(db);
    assert_null(clock);
    zw_daemon_ctx_close(&db, &clock); /* already closed: harmless */

    assert_int_equal(zw_daemon_ctx_open(T_NOWHERE, true, t_prepare_ok, &db, &clock), 0);
    assert_true(zw_clock_is_sim(clock));
    zw_daemon_ctx_close(&db, &clock);

    /* A failing prepare leaves nothing behind (the ASan build checks). */
    assert_int_equal(zw_daemon_ctx_open(T_NOWHERE, true, t_prepare_bad, &db, &clock), -1);
    assert_int_equal(t_prepared, 3);
    assert_null(db);
    assert_null(clock);
}

/* ---- reload ---------------------------------------------------------------------- */

static const zw_cfg_spec_t T_OWN[] = {
    {"sweep_ms", ZW_CFG_INT, "1000", true, "sweep interval"},
};

typedef struct {
    int calls;
    int64_t sweep_ms;
    char log_level[16];
    bool fail;
} t_apply_t;

static int t_apply(const zw_config_t *cfg, void *arg, zw_err_t *err)
{
    t_apply_t *a = arg;
    a->calls++;
    snprintf(a->log_level, sizeof a->log_level, "%s", zw_config_str(cfg, "log_level"));
    if (a->fail)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "sweep_ms: refused by the test");
    a->sweep_ms = zw_config_int(cfg, "sweep_ms");
    return 0;
}

static void test_reload(void **state)
{
    (void) state;
    zw_daemon_spec_t own = {.name = "zwfw-test",
                            .section = "test",
                            .intro = "usage: zwfw-test\n",
                            .specs = T_OWN,
                            .n_specs = 1,
                            .help_width = 14};
    char *argv[] = {"zwfw-test", "--db-conninfo", T_NOWHERE, "--sweep-ms",
                    "250",       "--log-level",   "warn"};
    zw_daemon_t d;
    int rc = -1;
    assert_true(zw_daemon_load(&d, &own, 7, argv, &rc));
    assert_int_equal(rc, 0);

    t_apply_t a = {0};
    zw_daemon_reload(&d, t_apply, &a, NULL);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.sweep_ms, 250); /* a fresh config from the same command line */
    assert_string_equal(a.log_level, "warn");

    a = (t_apply_t){.fail = true, .sweep_ms = -1};
    zw_daemon_reload(&d, t_apply, &a, NULL);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.sweep_ms, -1); /* refused: nothing applied */
    zw_daemon_free(&d);
}

/* ---- the loop's wait ------------------------------------------------------------- */

static void test_poll(void **state)
{
    (void) state;
    void *zctx = zmq_ctx_new();
    assert_non_null(zctx);
    void *a = zmq_socket(zctx, ZMQ_PAIR), *b = zmq_socket(zctx, ZMQ_PAIR);
    assert_int_equal(zmq_bind(a, "inproc://t-daemon-poll"), 0);
    assert_int_equal(zmq_connect(b, "inproc://t-daemon-poll"), 0);

    assert_false(zw_daemon_poll(NULL, a, 0)); /* nothing yet */
    int64_t t0 = zw_mono_ms();
    assert_false(zw_daemon_poll(NULL, a, 30));
    assert_true(zw_mono_ms() - t0 >= 25); /* waited for the timeout */
    assert_false(zw_daemon_poll(NULL, NULL, 0));

    assert_int_equal(zmq_send(b, "x", 1, 0), 1);
    assert_true(zw_daemon_poll(NULL, a, 1000));
    char buf[4];
    assert_int_equal(zmq_recv(a, buf, sizeof buf, 0), 1); /* the caller reads it */
    assert_false(zw_daemon_poll(NULL, a, 0));

    zmq_close(a);
    zmq_close(b);
    zmq_ctx_term(zctx);
}

/* ---- the sweep timer -------------------------------------------------------------- */

static void test_sweep_timer_real(void **state)
{
    (void) state;
    zw_clock_t *clock = zw_clock_new_real();
    assert_non_null(clock);
    zw_sweep_timer_t t;
    zw_sweep_timer_init(&t, clock, 1000, 50);
    int64_t now_us = 0, before_us = 0;
    assert_int_equal(zw_clock_now(clock, &before_us, NULL), 0);

    assert_true(zw_sweep_timer_due(&t, 5000, &now_us)); /* the first one at once */
    assert_true(now_us >= before_us);
    /* A real clock is read only when the sweep is due: sweep_ms later. */
    assert_int_equal(zw_sweep_timer_next(&t), 6000);
    assert_false(zw_sweep_timer_due(&t, 5000, &now_us));
    assert_false(zw_sweep_timer_due(&t, 5999, &now_us));
    assert_true(zw_sweep_timer_due(&t, 6000, &now_us));
    assert_int_equal(zw_sweep_timer_next(&t), 7000);

    t.sweep_ms = 200; /* as a reload does */
    assert_true(zw_sweep_timer_due(&t, 7000, &now_us));
    assert_int_equal(zw_sweep_timer_next(&t), 7200);

    /* A reload to a longer interval counts from the next sweep; to a
     * shorter one, the planned sweep comes in to it. */
    zw_sweep_timer_set(&t, 60000, 50, 7100);
    assert_int_equal(zw_sweep_timer_next(&t), 7200);
    assert_true(zw_sweep_timer_due(&t, 7200, &now_us));
    assert_int_equal(zw_sweep_timer_next(&t), 67200);
    zw_sweep_timer_set(&t, 100, 50, 8000);
    assert_int_equal(zw_sweep_timer_next(&t), 8100);
    assert_false(zw_sweep_timer_due(&t, 8099, &now_us));
    assert_true(zw_sweep_timer_due(&t, 8100, &now_us));
    zw_clock_destroy(&clock);
}

static void test_sweep_timer_unreadable(void **state)
{
    (void) state;
    /* A simulated clock whose store cannot be reached: no sweep, put off
     * by sweep_ms, the clock polled again after clock_poll_ms. */
    zw_db_t *db = zw_db_new(T_NOWHERE);
    assert_non_null(db);
    zw_clock_t *clock = zw_clock_new_sim(db);
    assert_non_null(clock);
    zw_sweep_timer_t t;
    zw_sweep_timer_init(&t, clock, 1000, 50);
    assert_true(t.sim);
    int64_t now_us = -1;
    assert_false(zw_sweep_timer_due(&t, 100, &now_us));
    assert_int_equal(t.next_sweep, 1100);
    assert_int_equal(zw_sweep_timer_next(&t), 150);
    assert_false(zw_sweep_timer_due(&t, 149, &now_us)); /* not read before */
    zw_clock_destroy(&clock);
    zw_db_destroy(&db);
}

/* ---- the producer's event side ----------------------------------------------------- */

static void test_producer_plain(void **state)
{
    (void) state;
    zw_producer_t p;
    zw_err_t err = {0};
    assert_int_equal(zw_producer_open(&p, "", "", "", &err), 0);
    assert_non_null(p.zctx);
    assert_non_null(p.auth);
    assert_false(zw_auth_is_curve(p.auth));
    assert_null(p.pub);
    zw_producer_flush(&p); /* no relay yet: nothing to do */
    zw_producer_close(&p);
    assert_null(p.zctx);
    assert_null(p.auth);

    assert_int_equal(zw_producer_open(&p, "", "", "tcp://127.0.0.1:*", &err), 0);
    assert_non_null(p.pub);
    assert_int_equal(zw_producer_relay(&p, T_NOWHERE, "zwfw-test", "teststream", 100, &err), 0);
    assert_non_null(p.relay);
    assert_non_null(p.relay_db);
    assert_ptr_equal(zw_relay_socket(p.relay), p.pub);
    zw_producer_close(&p);
    assert_null(p.relay);
    assert_null(p.relay_db);
    assert_null(p.pub);

    zw_producer_close(&p); /* never opened (all zero): harmless */
}

static void test_producer_errors(void **state)
{
    (void) state;
    zw_producer_t p;
    zw_err_t err = {0};
    /* Plain mode binds loopback only. */
    assert_int_equal(zw_producer_open(&p, "", "", "tcp://0.0.0.0:5999", &err), -1);
    assert_non_null(p.auth);
    assert_null(p.pub);
    assert_true(err.message[0] != '\0');
    zw_producer_close(&p);

    /* A registry without its key pair is refused before anything binds. */
    err = (zw_err_t){0};
    assert_int_equal(zw_producer_open(&p, "", "/nonexistent/registry.json", "", &err), -1);
    assert_null(p.auth);
    assert_true(err.message[0] != '\0');
    zw_producer_close(&p);

    /* A bad stream name is the relay's INVALID_ARGUMENT. */
    assert_int_equal(zw_producer_open(&p, "", "", "", &err), 0);
    assert_int_equal(zw_producer_relay(&p, T_NOWHERE, "zwfw-test", "", 100, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_null(p.relay);
    zw_producer_close(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_ctx_open),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_sweep_timer_real),
        cmocka_unit_test(test_sweep_timer_unreadable),
        cmocka_unit_test(test_producer_plain),
        cmocka_unit_test(test_producer_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
