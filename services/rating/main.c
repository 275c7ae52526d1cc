/* zwfw-rating: the zwfw.rating service. main() only wires: arguments,
 * config, calendar, the ZAP handler before the event PUB socket binds,
 * the worker threads, then one loop that runs the event relay, the audit
 * chainer and the overdue sweep (woken at once when a simulated clock
 * moves). SIGTERM drains (requests in hand are finished); SIGHUP reloads
 * the reloadable settings and the PUB socket's key registry. */
#include "auth.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "mdp_worker.h"
#include "producer.h"
#include "rating.h"
#include "settings.h"
#include "sweep_timer.h"
#include "sweeper.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* zw_health_db_first reads the connection of a worker thread's context. */
_Static_assert(offsetof(zw_rating_ctx_t, db) == 0, "the context starts with its connection");

static const char s_intro[] =
    "usage: zwfw-rating [--config FILE] [--SETTING VALUE]...\n"
    "\n"
    "Serves zwfw.rating through the broker: 好差评 ratings from every channel, the\n"
    "rectification case of every bad rating, and the published figures.\n"
    "  --config FILE    JSON config; settings from \"common\" and \"rating\"\n"
    "  --version        print the version\n"
    "Any setting may be given as --name VALUE (dashes or underscores):\n";

typedef struct {
    const zw_rating_opts_t *opts;
    const zw_rating_settings_t *settings;
} s_shared_t;

static void *s_ctx_new(void *arg, int thread_index)
{
    (void) thread_index;
    const s_shared_t *sh = arg;
    return zw_rating_ctx_new(sh->opts->c.conninfo, sh->opts->c.simulated, sh->settings);
}

static void s_ctx_destroy(void *ctx, void *arg)
{
    (void) arg;
    zw_rating_ctx_t *c = ctx;
    zw_rating_ctx_destroy(&c);
}

typedef struct {
    zw_producer_t ev;
    zw_rating_ctx_t *ctx; /* the loop's own connection: the sweep */
    zw_sweep_timer_t sweep;
} s_loop_t;

/* SIGHUP: the settings are checked; the sweep's intervals are the
 * reloadable ones (zw_producer_run takes them). */
static int s_check(const zw_config_t *cfg, void *arg, zw_err_t *err)
{
    (void) arg;
    zw_rating_opts_t o;
    return zw_rating_settings_read(cfg, &o, err);
}

static void s_sweep(void *arg, int64_t now_us)
{
    s_loop_t *l = arg;
    size_t raised = 0;
    zw_err_t err;
    if (zw_rating_sweep(l->ctx, now_us, &raised, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "overdue sweep failed", "reason", err.message, NULL);
    else if (raised) {
        char n[24];
        snprintf(n, sizeof n, "%zu", raised);
        zw_logkv(ZW_LOG_INFO, "overdue cases raised", "cases", n, NULL);
    }
}

int main(int argc, char **argv)
{
    size_t n_own;
    const zw_cfg_spec_t *own = zw_rating_settings_table(&n_own);
    zw_daemon_spec_t spec = {.name = ZW_RATING_PRODUCER,
                             .section = "rating",
                             .intro = s_intro,
                             .specs = own,
                             .n_specs = n_own,
                             .help_width = 22};
    zw_daemon_t d;
    int rc;
    if (!zw_daemon_load(&d, &spec, argc, argv, &rc))
        return rc;
    zw_rating_opts_t opts;
    zw_rating_settings_t settings = {0};
    zw_err_t err = {0};
    zw_calendar_t *cal = NULL;
    zw_worker_t *worker = NULL;
    s_loop_t loop = {0};
    zw_daemon_list_t brokers = {0};
    if (zw_rating_settings_read(d.cfg, &opts, &err) != 0) {
        rc = zw_daemon_fail(ZW_RATING_PRODUCER, "bad configuration", err.message);
        goto done;
    }
    zw_log_init(ZW_RATING_PRODUCER, (zw_log_level_t) opts.c.log_level);
    rc = 1;
    if (!(cal = zw_daemon_calendar(ZW_RATING_PRODUCER, opts.c.calendar_file)) ||
        (opts.c.migrate && zw_daemon_migrate(opts.c.conninfo) != 0))
        goto done;
    settings.cal = cal;
    settings.case_workdays = opts.case_workdays;

    if (zw_daemon_list(&brokers, opts.c.broker_endpoints) <= 0) {
        fprintf(stderr, "zwfw-rating: broker_endpoint needs 1 to %d endpoints\n",
                ZW_DAEMON_MAX_ENDPOINTS);
        goto done;
    }
    zw_auth_client_t curve;
    bool use_curve = *opts.c.curve_secret_key_file;
    if (use_curve && zw_auth_client_load(&curve, opts.c.curve_secret_key_file,
                                         opts.c.broker_public_key, &err) != 0) {
        zw_daemon_fail_brief(ZW_RATING_PRODUCER, "cannot load keys", err.message);
        goto done;
    }
    loop.ctx = zw_rating_ctx_new(opts.c.conninfo, opts.c.simulated, &settings);
    if (!zw_daemon_db_ready(loop.ctx ? loop.ctx->db : NULL, ZW_RATING_PRODUCER, &rc))
        goto done;
    zw_sweep_timer_init(&loop.sweep, loop.ctx->clock, opts.sweep_ms, opts.clock_poll_ms);
    if (zw_producer_open(&loop.ev, opts.c.curve_secret_key_file, opts.c.key_registry_file,
                         opts.c.pub_endpoint, &err) != 0) {
        zw_daemon_fail_brief(ZW_RATING_PRODUCER, "cannot start", err.message);
        goto done;
    }
    if (zw_producer_relay(&loop.ev, opts.c.conninfo, ZW_RATING_PRODUCER, ZW_RATING_STREAM,
                          opts.c.relay_batch, &err) != 0) {
        zw_daemon_fail_brief(ZW_RATING_PRODUCER, "cannot start the relay", err.message);
        goto done;
    }
    s_shared_t shared = {.opts = &opts, .settings = &settings};
    zw_worker_config_t wc = {
        .service = "zwfw.rating",
        .endpoints = brokers.v,
        .n_endpoints = (size_t) brokers.n,
        .threads = opts.threads,
        .heartbeat_ms = opts.c.heartbeat_ms,
        .handler = zw_rating_handle,
        .ctx_new = s_ctx_new,
        .ctx_destroy = s_ctx_destroy,
        .arg = &shared,
        .health = {.db_of = zw_health_db_first, .stream = ZW_RATING_STREAM},
        .curve = use_curve ? &curve : NULL,
    };
    worker = zw_worker_new(loop.ev.zctx, &wc, &err);
    if (!worker || zw_worker_start(worker, &err) != 0) {
        zw_daemon_fail_brief(ZW_RATING_PRODUCER, "cannot start the workers", err.message);
        goto done;
    }
    memset(&curve, 0, sizeof curve);
    char *dump = zw_config_dump_json(d.cfg);
    zw_logkv(ZW_LOG_INFO, "rating started", "version", ZWFW_VERSION, "mode",
             use_curve ? "curve" : "plain", "clock", opts.c.simulated ? "simulated" : "real", "pub",
             *opts.c.pub_endpoint ? opts.c.pub_endpoint : "(none)", "config", dump ? dump : "",
             NULL);
    free(dump);
    rc = 0;
    zw_producer_loop_t run = {.d = &d,
                              .apply = s_check,
                              .arg = &loop,
                              .audit_db = loop.ctx->db,
                              .relay_busy_ms = opts.c.relay_busy_ms,
                              .relay_idle_ms = opts.c.relay_idle_ms,
                              .sweep = &loop.sweep,
                              .on_sweep = s_sweep};
    zw_producer_run(&loop.ev, &run);
    zw_logkv(ZW_LOG_INFO, "rating stopping: finishing requests in hand", NULL);

done:
    zw_worker_stop(worker);
    zw_producer_flush(&loop.ev);
    zw_worker_destroy(&worker);
    zw_producer_close(&loop.ev);
    zw_rating_ctx_destroy(&loop.ctx);
    zw_calendar_destroy(&cal);
    zw_daemon_list_free(&brokers);
    zw_daemon_free(&d);
    return rc;
}
