/* zwfw-workflow: the zwfw.workflow service. main() only wires: arguments,
 * config, calendar, definitions, the ZAP handler before the event PUB
 * socket binds, the worker threads, then one loop that runs the event
 * relay, the audit chainer, the consumer of intake's events and the alarm
 * sweep (woken at once when a simulated clock moves). SIGTERM drains
 * (requests in hand are finished); SIGHUP reloads the reloadable settings
 * and the PUB socket's key registry. */
#include "auth.h"
#include "consumer.h"
#include "daemon.h"
#include "events.h"
#include "log.h"
#include "mdp_worker.h"
#include "paths.h"
#include "producer.h"
#include "settings.h"
#include "sweep_timer.h"
#include "wf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* zw_health_db_first reads the connection of a worker thread's context. */
_Static_assert(offsetof(zw_wf_ctx_t, db) == 0, "the context starts with its connection");

static const char s_intro[] =
    "usage: zwfw-workflow [--config FILE] [--SETTING VALUE]...\n"
    "\n"
    "Serves zwfw.workflow through the broker: approval processes, legal clocks,\n"
    "parallel branches and supervision alarms.\n"
    "  --config FILE    JSON config; settings from \"common\" and \"workflow\"\n"
    "  --version        print the version\n"
    "Any setting may be given as --name VALUE (dashes or underscores):\n";

/* ---- per-thread contexts ------------------------------------------------------------- */

typedef struct {
    const zw_wf_opts_t *opts;
    const zw_wf_settings_t *settings;
} s_shared_t;

static void *s_ctx_new(void *arg, int thread_index)
{
    const s_shared_t *sh = arg;
    return zw_wf_ctx_new(sh->opts->conninfo, sh->opts->simulated, sh->settings, thread_index);
}

static void s_ctx_destroy(void *ctx, void *arg)
{
    (void) arg;
    zw_wf_ctx_t *c = ctx;
    zw_wf_ctx_destroy(&c);
}

/* ---- the loop ------------------------------------------------------------------------ */

typedef struct {
    zw_producer_t ev;
    zw_consumer_t *consumer;
    zw_wf_ctx_t *ctx; /* the loop's own connection: relay, consumer, sweep */
    zw_sweep_timer_t sweep;
    zw_wf_settings_t *settings; /* the sweep's batch and retry are read on this thread only */
} s_loop_t;

/* SIGHUP: the settings are checked; the reloadable ones are the sweep's
 * intervals (zw_producer_run takes them), its batch and its retry delay. */
static int s_check(const zw_config_t *cfg, void *arg, zw_err_t *err)
{
    s_loop_t *l = arg;
    zw_wf_opts_t o;
    if (zw_wf_settings_read(cfg, &o, err) != 0)
        return -1;
    l->settings->sweep_batch = o.sweep_batch;
    l->settings->sweep_retry_us = o.sweep_retry_s * 1000000;
    return 0;
}

/* An event applied or an action since the last sweep may have raised
 * alarms: the relay pass after it publishes them. */
static void s_sweep(void *arg, int64_t now_us)
{
    s_loop_t *l = arg;
    zw_wf_sweep_stats_t st;
    zw_err_t err;
    if (zw_wf_sweep(l->ctx, now_us, &st, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "alarm sweep failed", "reason", err.message, NULL);
    else if (st.raised || st.failed) {
        char raised[24], failed[24];
        snprintf(raised, sizeof raised, "%zu", st.raised);
        snprintf(failed, sizeof failed, "%zu", st.failed);
        zw_logkv(ZW_LOG_INFO, "alarms swept", "raised", raised, "failed", failed, NULL);
    }
}

/* ---- start-up ------------------------------------------------------------------------ */

static zw_calendar_t *s_calendar(const zw_wf_opts_t *o)
{
    zw_err_t err;
    const char *path = *o->calendar_file ? o->calendar_file : zw_calendar_default_path();
    zw_calendar_t *cal = zw_calendar_load(path, &err);
    if (!cal) {
        zw_logkv(ZW_LOG_ERROR, "cannot load the calendar", "path", path, "reason", err.message,
                 NULL);
        return NULL;
    }
    char first[16], last[16];
    snprintf(first, sizeof first, "%d", zw_calendar_first_year(cal));
    snprintf(last, sizeof last, "%d", zw_calendar_last_year(cal));
    zw_logkv(ZW_LOG_INFO, "calendar loaded", "path", path, "first_year", first, "last_year", last,
             NULL);
    return cal;
}

int main(int argc, char **argv)
{
    size_t n_own;
    const zw_cfg_spec_t *own = zw_wf_settings_table(&n_own);
    zw_daemon_spec_t spec = {.name = ZW_WF_PRODUCER,
                             .section = "workflow",
                             .intro = s_intro,
                             .specs = own,
                             .n_specs = n_own,
                             .help_width = 22};
    zw_daemon_t d;
    int rc;
    if (!zw_daemon_load(&d, &spec, argc, argv, &rc))
        return rc;
    zw_wf_opts_t opts;
    zw_wf_settings_t settings = {0};
    zw_err_t err = {0};
    zw_calendar_t *cal = NULL;
    void *sub = NULL;
    zw_worker_t *worker = NULL;
    s_loop_t loop = {0};
    zw_daemon_list_t brokers = {0}, intake_pubs = {0};
    if (zw_wf_settings_read(d.cfg, &opts, &err) != 0) {
        rc = zw_daemon_fail(ZW_WF_PRODUCER, "bad configuration", err.message);
        goto done;
    }
    zw_log_init(ZW_WF_PRODUCER, opts.log_level);
    rc = 1;
    if (!(cal = s_calendar(&opts)) || (opts.migrate && zw_daemon_migrate(opts.conninfo) != 0))
        goto done;
    settings.clock.cal = cal;
    settings.clock.hours = opts.hours;
    settings.clock.warn_minutes = opts.warn_minutes;
    settings.sweep_retry_us = opts.sweep_retry_s * 1000000;
    settings.sweep_batch = opts.sweep_batch;

    if (zw_daemon_list(&brokers, opts.broker_endpoints) <= 0 ||
        zw_daemon_list(&intake_pubs, opts.intake_pub_endpoints) < 0) {
        fprintf(stderr,
                "zwfw-workflow: broker_endpoint needs 1 to %d endpoints and "
                "intake_pub_endpoint at most %d\n",
                ZW_DAEMON_MAX_ENDPOINTS, ZW_DAEMON_MAX_ENDPOINTS);
        goto done;
    }
    zw_auth_client_t curve;
    bool use_curve = *opts.curve_secret_key_file;
    if (use_curve && zw_auth_client_load(&curve, opts.curve_secret_key_file, opts.broker_public_key,
                                         &err) != 0) {
        zw_daemon_fail_brief(ZW_WF_PRODUCER, "cannot load keys", err.message);
        goto done;
    }

    /* Definitions first, on the loop's connection: instances started by
     * the first events need them. */
    loop.settings = &settings;
    loop.ctx = zw_wf_ctx_new(opts.conninfo, opts.simulated, &settings, -1);
    if (!zw_daemon_db_ready(loop.ctx ? loop.ctx->db : NULL, ZW_WF_PRODUCER, &rc))
        goto done;
    zw_sweep_timer_init(&loop.sweep, loop.ctx->clock, opts.sweep_ms, opts.clock_poll_ms);
    char defs_dir[4096];
    snprintf(defs_dir, sizeof defs_dir, "%s", opts.definitions_dir);
    if (!*defs_dir)
        snprintf(defs_dir, sizeof defs_dir, "%s/deploy/workflow", zw_source_dir());
    int loaded = 0;
    if (zw_wf_load_definitions(loop.ctx, defs_dir, &loaded, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "definitions not loaded", "reason", err.message, NULL);

    if (zw_producer_open(&loop.ev, opts.curve_secret_key_file, opts.key_registry_file,
                         opts.pub_endpoint, &err) != 0 ||
        (intake_pubs.n > 0 && !(sub = zw_auth_sub(loop.ev.zctx, opts.intake_public_key,
                                                  opts.curve_secret_key_file, &err)))) {
        zw_daemon_fail_brief(ZW_WF_PRODUCER, "cannot start", err.message);
        goto done;
    }
    const char *istreams[] = {ZW_WF_INTAKE_STREAM};
    zw_consumer_config_t ccfg = {.name = ZW_WF_CONSUMER,
                                 .streams = istreams,
                                 .n_streams = 1,
                                 .endpoints = intake_pubs.v,
                                 .n_endpoints = (size_t) intake_pubs.n,
                                 .sub = sub,
                                 .zmq_ctx = loop.ev.zctx,
                                 .handler = zw_wf_on_intake_event,
                                 .handler_arg = loop.ctx,
                                 .quiet_ms = opts.consumer_quiet_ms};
    if (zw_producer_relay(&loop.ev, opts.conninfo, ZW_WF_PRODUCER, ZW_WF_STREAM, opts.relay_batch,
                          &err) != 0 ||
        !(loop.consumer = zw_consumer_new(loop.ctx->db, &ccfg, &err))) {
        zw_daemon_fail_brief(ZW_WF_PRODUCER, "cannot start the relay or the consumer", err.message);
        goto done;
    }
    s_shared_t shared = {.opts = &opts, .settings = &settings};
    zw_worker_config_t wc = {
        .service = "zwfw.workflow",
        .endpoints = brokers.v,
        .n_endpoints = (size_t) brokers.n,
        .threads = opts.threads,
        .heartbeat_ms = opts.heartbeat_ms,
        .handler = zw_wf_handle,
        .ctx_new = s_ctx_new,
        .ctx_destroy = s_ctx_destroy,
        .arg = &shared,
        .health = {.db_of = zw_health_db_first, .stream = ZW_WF_STREAM, .consumer = ZW_WF_CONSUMER},
        .curve = use_curve ? &curve : NULL,
    };
    worker = zw_worker_new(loop.ev.zctx, &wc, &err);
    if (!worker || zw_worker_start(worker, &err) != 0) {
        zw_daemon_fail_brief(ZW_WF_PRODUCER, "cannot start the workers", err.message);
        goto done;
    }
    memset(&curve, 0, sizeof curve);
    char *dump = zw_config_dump_json(d.cfg);
    char ndefs[16];
    snprintf(ndefs, sizeof ndefs, "%d", loaded);
    zw_logkv(ZW_LOG_INFO, "workflow started", "version", ZWFW_VERSION, "mode",
             use_curve ? "curve" : "plain", "clock", opts.simulated ? "simulated" : "real",
             "definitions", ndefs, "pub", *opts.pub_endpoint ? opts.pub_endpoint : "(none)",
             "config", dump ? dump : "", NULL);
    free(dump);
    rc = 0;
    zw_producer_loop_t run = {.d = &d,
                              .apply = s_check,
                              .arg = &loop,
                              .audit_db = loop.ctx->db,
                              .relay_busy_ms = opts.relay_busy_ms,
                              .relay_idle_ms = opts.relay_idle_ms,
                              .sweep = &loop.sweep,
                              .on_sweep = s_sweep,
                              .consumer = loop.consumer};
    zw_producer_run(&loop.ev, &run);
    zw_logkv(ZW_LOG_INFO, "workflow stopping: finishing requests in hand", NULL);

done:
    /* Workers first (they drain), then one last relay pass for what they
     * committed, then the rest in reverse order. */
    zw_worker_stop(worker);
    zw_producer_flush(&loop.ev);
    zw_worker_destroy(&worker);
    zw_consumer_destroy(&loop.consumer);
    if (sub)
        zmq_close(sub);
    zw_producer_close(&loop.ev);
    zw_wf_ctx_destroy(&loop.ctx);
    zw_calendar_destroy(&cal);
    zw_daemon_list_free(&brokers);
    zw_daemon_list_free(&intake_pubs);
    zw_daemon_free(&d);
    return rc;
}
