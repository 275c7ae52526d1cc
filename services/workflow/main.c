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
#include "relay.h"
#include "settings.h"
#include "wf.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* zw_health_db_first reads the connection of a worker thread's context. */
_Static_assert(offsetof(zw_wf_ctx_t, db) == 0, "the context starts with its connection");

#define S_MAX_ENDPOINTS 8

static const char s_intro[] =
    "usage: zwfw-workflow [--config FILE] [--SETTING VALUE]...\n"
    "\n"
    "Serves zwfw.workflow through the broker: approval processes, legal clocks,\n"
    "parallel branches and supervision alarms.\n"
    "  --config FILE    JSON config; settings from \"common\" and \"workflow\"\n"
    "  --version        print the version\n"
    "Any setting may be given as --name VALUE (dashes or underscores):\n";

/* The command line as parsed, with what it was parsed against: SIGHUP
 * builds a fresh table from both. */
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
    zw_auth_t *auth;
    zw_relay_t *relay;
    zw_consumer_t *consumer;
    zw_wf_ctx_t *ctx; /* the loop's own connection: relay, consumer, sweep */
    zw_wf_settings_t *settings;
    int relay_idle_ms, relay_busy_ms, sweep_ms, clock_poll_ms;
} s_loop_t;

/* A fresh table: the workers' one is never touched while they run. */
static void s_reload_settings(const zw_daemon_t *d, s_loop_t *l)
{
    zw_err_t err;
    zw_config_t *fresh = zw_daemon_reconfig(d, &err);
    zw_wf_opts_t o;
    if (!fresh || zw_wf_settings_read(fresh, &o, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "config not reloaded", "reason", err.message, NULL);
    else {
        zw_log_init(ZW_WF_PRODUCER, o.log_level);
        l->sweep_ms = o.sweep_ms;
        l->clock_poll_ms = o.clock_poll_ms;
        zw_logkv(ZW_LOG_INFO, "config reloaded", "log_level", zw_config_str(fresh, "log_level"),
                 NULL);
    }
    zw_config_destroy(&fresh);
    if (zw_auth_is_curve(l->auth) && zw_auth_reload(l->auth, NULL, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "key registry not reloaded; the old one stays", "reason", err.message,
                 NULL);
}

static void s_sweep(s_loop_t *l, int64_t now_us)
{
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

static void s_run(s_loop_t *l, const zw_daemon_t *d)
{
    int64_t next_relay = 0, next_cons = 0, next_sweep = 0, next_poll = 0;
    int64_t last_now = INT64_MIN;
    zw_err_t err;
    bool sim = zw_clock_is_sim(l->ctx->clock);
    while (!zw_daemon_stopping()) {
        if (zw_daemon_take_reload()) {
            s_reload_settings(d, l);
        }
        int64_t mono = zw_mono_ms();
        if (mono >= next_relay)
            next_relay =
                zw_relay_turn(l->relay, l->ctx->db, mono, l->relay_busy_ms, l->relay_idle_ms);
        if (mono >= next_cons && zw_consumer_tick(l->consumer, mono, &next_cons, &err) != 0)
            zw_logkv(ZW_LOG_WARN, "consumer tick failed", "reason", err.message, NULL);
        /* The sweep runs every sweep_ms, and at once when business time
         * moved (a simulated clock advanced by an operator or a test). */
        if (mono >= next_poll || mono >= next_sweep) {
            int64_t now_us;
            if (zw_clock_now(l->ctx->clock, &now_us, &err) != 0) {
                if (err.code != ZW_FAILED_PRECONDITION) /* a simulated clock not set yet */
                    zw_logkv(ZW_LOG_WARN, "business clock unreadable", "reason", err.message, NULL);
                next_sweep = mono + l->sweep_ms;
            } else if (mono >= next_sweep || (sim && now_us != last_now)) {
                s_sweep(l, now_us);
                last_now = now_us;
                next_sweep = mono + l->sweep_ms;
                /* an event applied or an action since may have new alarms:
                 * the next relay pass publishes them */
                next_relay = mono;
            }
            next_poll = mono + (sim ? l->clock_poll_ms : l->sweep_ms);
        }
        int64_t next = next_relay;
        if (next_cons < next)
            next = next_cons;
        if (next_poll < next)
            next = next_poll;
        if (next_sweep < next)
            next = next_sweep;
        long timeout = (long) (next - zw_mono_ms());
        if (timeout < 0)
            timeout = 0;
        zw_auth_zap_t *zap = zw_auth_zap(l->auth);
        zmq_pollitem_t items[2];
        int n = 0;
        int zi = -1, ci = -1;
        if (zap) {
            items[n] = (zmq_pollitem_t){zw_auth_zap_socket(zap), 0, ZMQ_POLLIN, 0};
            zi = n++;
        }
        if (zw_consumer_socket(l->consumer)) {
            items[n] = (zmq_pollitem_t){zw_consumer_socket(l->consumer), 0, ZMQ_POLLIN, 0};
            ci = n++;
        }
        if (zmq_poll(items, n, timeout) > 0) {
            if (zi >= 0 && (items[zi].revents & ZMQ_POLLIN))
                zw_auth_zap_handle(zap);
            if (ci >= 0 && (items[ci].revents & ZMQ_POLLIN)) {
                if (zw_consumer_on_readable(l->consumer, &err) != 0)
                    zw_logkv(ZW_LOG_WARN, "consumer apply failed", "reason", err.message, NULL);
                next_cons = 0;
            }
        }
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
    void *zctx = NULL, *pub = NULL, *sub = NULL;
    zw_auth_t *auth = NULL;
    zw_worker_t *worker = NULL;
    zw_db_t *relay_db = NULL;
    s_loop_t loop = {0};
    char *ep_list = NULL, *intake_list = NULL;
    if (zw_wf_settings_read(d.cfg, &opts, &err) != 0) {
        rc = zw_daemon_fail(ZW_WF_PRODUCER, "bad configuration", err.message);
        goto done;
    }
    zw_log_init(ZW_WF_PRODUCER, opts.log_level);
    if (!(cal = s_calendar(&opts)) || (opts.migrate && zw_daemon_migrate(opts.conninfo) != 0)) {
        rc = 1;
        goto done;
    }
    settings.clock.cal = cal;
    settings.clock.hours = opts.hours;
    settings.clock.warn_minutes = opts.warn_minutes;
    settings.sweep_retry_us = opts.sweep_retry_s * 1000000;
    settings.sweep_batch = opts.sweep_batch;
    loop.settings = &settings;
    loop.relay_idle_ms = opts.relay_idle_ms;
    loop.relay_busy_ms = opts.relay_busy_ms;
    loop.sweep_ms = opts.sweep_ms;
    loop.clock_poll_ms = opts.clock_poll_ms;

    const char *eps[S_MAX_ENDPOINTS], *ieps[S_MAX_ENDPOINTS];
    ep_list = strdup(opts.broker_endpoints);
    intake_list = strdup(opts.intake_pub_endpoints);
    int n_eps = ep_list ? zw_daemon_split(ep_list, eps, S_MAX_ENDPOINTS) : -1;
    int n_ieps = intake_list ? zw_daemon_split(intake_list, ieps, S_MAX_ENDPOINTS) : -1;
    if (n_eps <= 0 || n_ieps < 0) {
        fprintf(stderr,
                "zwfw-workflow: broker_endpoint needs 1 to %d endpoints and "
                "intake_pub_endpoint at most %d\n",
                S_MAX_ENDPOINTS, S_MAX_ENDPOINTS);
        rc = 1;
        goto done;
    }
    zw_auth_client_t curve;
    bool use_curve = *opts.curve_secret_key_file;
    if (use_curve && zw_auth_client_load(&curve, opts.curve_secret_key_file, opts.broker_public_key,
                                         &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot load keys", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-workflow: %s\n", err.message);
        rc = 1;
        goto done;
    }

    /* Definitions first, on the loop's connection: instances started by
     * the first events need them. */
    loop.ctx = zw_wf_ctx_new(opts.conninfo, opts.simulated, &settings, -1);
    if (!loop.ctx || zw_db_wait_while(loop.ctx->db, 30000, zw_daemon_stop_flag(), &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot reach the database", "reason",
                 loop.ctx ? err.message : "out of memory", NULL);
        fprintf(stderr, "zwfw-workflow: %s\n", loop.ctx ? err.message : "out of memory");
        rc = 1;
        goto done;
    }
    char defs_dir[4096];
    snprintf(defs_dir, sizeof defs_dir, "%s", opts.definitions_dir);
    if (!*defs_dir)
        snprintf(defs_dir, sizeof defs_dir, "%s/deploy/workflow", zw_source_dir());
    int loaded = 0;
    if (zw_wf_load_definitions(loop.ctx, defs_dir, &loaded, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "definitions not loaded", "reason", err.message, NULL);

    zctx = zmq_ctx_new();
    /* The ZAP handler binds before the PUB socket: without it libzmq would
     * admit every CURVE key. */
    auth = zctx ? zw_auth_new(zctx, *opts.key_registry_file ? opts.curve_secret_key_file : "",
                              opts.key_registry_file, &err)
                : NULL;
    if (!auth ||
        (*opts.pub_endpoint && !(pub = zw_auth_bind_pub(auth, zctx, opts.pub_endpoint, &err))) ||
        (n_ieps > 0 &&
         !(sub = zw_auth_sub(zctx, opts.intake_public_key, opts.curve_secret_key_file, &err)))) {
        zw_logkv(ZW_LOG_ERROR, "cannot start", "reason", zctx ? err.message : "zmq_ctx_new", NULL);
        fprintf(stderr, "zwfw-workflow: %s\n", zctx ? err.message : "zmq_ctx_new failed");
        rc = 1;
        goto done;
    }
    loop.auth = auth;
    /* The relay has its own connection: a batch transaction must never
     * interleave with the consumer's or the sweep's. */
    relay_db = zw_db_new(opts.conninfo);
    const char *streams[] = {ZW_WF_STREAM};
    zw_relay_config_t rcfg = {.producer = ZW_WF_PRODUCER,
                              .streams = streams,
                              .n_streams = 1,
                              .pub = pub,
                              .batch = opts.relay_batch};
    const char *istreams[] = {ZW_WF_INTAKE_STREAM};
    zw_consumer_config_t ccfg = {.name = ZW_WF_CONSUMER,
                                 .streams = istreams,
                                 .n_streams = 1,
                                 .endpoints = ieps,
                                 .n_endpoints = (size_t) n_ieps,
                                 .sub = sub,
                                 .zmq_ctx = zctx,
                                 .handler = zw_wf_on_intake_event,
                                 .handler_arg = loop.ctx,
                                 .quiet_ms = opts.consumer_quiet_ms};
    if (!relay_db || !(loop.relay = zw_relay_new(relay_db, &rcfg, &err)) ||
        !(loop.consumer = zw_consumer_new(loop.ctx->db, &ccfg, &err))) {
        zw_logkv(ZW_LOG_ERROR, "cannot start the relay or the consumer", "reason",
                 relay_db ? err.message : "out of memory", NULL);
        fprintf(stderr, "zwfw-workflow: %s\n", relay_db ? err.message : "out of memory");
        rc = 1;
        goto done;
    }
    s_shared_t shared = {.opts = &opts, .settings = &settings};
    zw_worker_config_t wc = {
        .service = "zwfw.workflow",
        .endpoints = eps,
        .n_endpoints = (size_t) n_eps,
        .threads = opts.threads,
        .heartbeat_ms = opts.heartbeat_ms,
        .handler = zw_wf_handle,
        .ctx_new = s_ctx_new,
        .ctx_destroy = s_ctx_destroy,
        .arg = &shared,
        .health = {.db_of = zw_health_db_first, .stream = ZW_WF_STREAM, .consumer = ZW_WF_CONSUMER},
        .curve = use_curve ? &curve : NULL,
    };
    worker = zw_worker_new(zctx, &wc, &err);
    if (!worker || zw_worker_start(worker, &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot start the workers", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-workflow: %s\n", err.message);
        rc = 1;
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
    s_run(&loop, &d);
    zw_logkv(ZW_LOG_INFO, "workflow stopping: finishing requests in hand", NULL);

done:
    /* Workers first (they drain), then one last relay pass for what they
     * committed, then the rest in reverse order. */
    zw_worker_stop(worker);
    if (loop.relay)
        zw_relay_run_once(loop.relay, NULL, NULL);
    zw_worker_destroy(&worker);
    zw_consumer_destroy(&loop.consumer);
    zw_relay_destroy(&loop.relay);
    if (sub)
        zmq_close(sub);
    if (pub)
        zmq_close(pub);
    zw_auth_destroy(&auth);
    zw_db_destroy(&relay_db);
    zw_wf_ctx_destroy(&loop.ctx);
    if (zctx)
        zmq_ctx_term(zctx);
    zw_calendar_destroy(&cal);
    free(ep_list);
    free(intake_list);
    zw_daemon_free(&d);
    return rc;
}
