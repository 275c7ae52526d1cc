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
#include "rating.h"
#include "relay.h"
#include "settings.h"
#include "sweeper.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* zw_health_db_first reads the connection of a worker thread's context. */
_Static_assert(offsetof(zw_rating_ctx_t, db) == 0, "the context starts with its connection");

#define S_MAX_ENDPOINTS 8

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
    zw_auth_t *auth;
    zw_relay_t *relay;
    zw_rating_ctx_t *ctx; /* the loop's own connection: the sweep */
    int relay_idle_ms, relay_busy_ms, sweep_ms, clock_poll_ms;
} s_loop_t;

static void s_reload(const zw_daemon_t *d, s_loop_t *l)
{
    zw_err_t err;
    zw_config_t *fresh = zw_daemon_reconfig(d, &err);
    zw_rating_opts_t o;
    if (!fresh || zw_rating_settings_read(fresh, &o, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "config not reloaded", "reason", err.message, NULL);
    else {
        zw_log_init(ZW_RATING_PRODUCER, (zw_log_level_t) o.c.log_level);
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

static void s_run(s_loop_t *l, const zw_daemon_t *d)
{
    int64_t next_relay = 0, next_sweep = 0, next_poll = 0, last_now = INT64_MIN;
    zw_err_t err;
    bool sim = zw_clock_is_sim(l->ctx->clock);
    while (!zw_daemon_stopping()) {
        if (zw_daemon_take_reload())
            s_reload(d, l);
        int64_t mono = zw_mono_ms();
        if (mono >= next_relay)
            next_relay =
                zw_relay_turn(l->relay, l->ctx->db, mono, l->relay_busy_ms, l->relay_idle_ms);
        /* The sweep runs every sweep_ms, and at once when business time
         * moved (a simulated clock advanced). */
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
                next_relay = mono;
            }
            next_poll = mono + (sim ? l->clock_poll_ms : l->sweep_ms);
        }
        int64_t next = next_relay;
        if (next_poll < next)
            next = next_poll;
        if (next_sweep < next)
            next = next_sweep;
        long timeout = (long) (next - zw_mono_ms());
        if (timeout < 0)
            timeout = 0;
        zw_auth_zap_t *zap = zw_auth_zap(l->auth);
        zmq_pollitem_t items[1];
        int n = 0;
        if (zap)
            items[n++] = (zmq_pollitem_t){zw_auth_zap_socket(zap), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(n ? items : NULL, n, timeout) > 0 && zap && (items[0].revents & ZMQ_POLLIN))
            zw_auth_zap_handle(zap);
    }
}

static zw_calendar_t *s_calendar(const zw_rating_opts_t *o)
{
    zw_err_t err;
    const char *path = *o->c.calendar_file ? o->c.calendar_file : zw_calendar_default_path();
    zw_calendar_t *cal = zw_calendar_load(path, &err);
    if (!cal) {
        zw_logkv(ZW_LOG_ERROR, "cannot load the calendar", "path", path, "reason", err.message,
                 NULL);
        fprintf(stderr, "zwfw-rating: calendar %s: %s\n", path, err.message);
    }
    return cal;
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
    void *zctx = NULL, *pub = NULL;
    zw_auth_t *auth = NULL;
    zw_worker_t *worker = NULL;
    zw_db_t *relay_db = NULL;
    s_loop_t loop = {0};
    char *ep_list = NULL;
    if (zw_rating_settings_read(d.cfg, &opts, &err) != 0) {
        rc = zw_daemon_fail(ZW_RATING_PRODUCER, "bad configuration", err.message);
        goto done;
    }
    zw_log_init(ZW_RATING_PRODUCER, (zw_log_level_t) opts.c.log_level);
    if (!(cal = s_calendar(&opts)) || (opts.c.migrate && zw_daemon_migrate(opts.c.conninfo) != 0)) {
        rc = 1;
        goto done;
    }
    settings.cal = cal;
    settings.case_workdays = opts.case_workdays;
    loop.relay_idle_ms = opts.c.relay_idle_ms;
    loop.relay_busy_ms = opts.c.relay_busy_ms;
    loop.sweep_ms = opts.sweep_ms;
    loop.clock_poll_ms = opts.clock_poll_ms;

    const char *eps[S_MAX_ENDPOINTS];
    ep_list = strdup(opts.c.broker_endpoints);
    int n_eps = ep_list ? zw_daemon_split(ep_list, eps, S_MAX_ENDPOINTS) : -1;
    if (n_eps <= 0) {
        fprintf(stderr, "zwfw-rating: broker_endpoint needs 1 to %d endpoints\n", S_MAX_ENDPOINTS);
        rc = 1;
        goto done;
    }
    zw_auth_client_t curve;
    bool use_curve = *opts.c.curve_secret_key_file;
    if (use_curve && zw_auth_client_load(&curve, opts.c.curve_secret_key_file,
                                         opts.c.broker_public_key, &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot load keys", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-rating: %s\n", err.message);
        rc = 1;
        goto done;
    }
    loop.ctx = zw_rating_ctx_new(opts.c.conninfo, opts.c.simulated, &settings);
    if (!loop.ctx || zw_db_wait_while(loop.ctx->db, 30000, zw_daemon_stop_flag(), &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot reach the database", "reason",
                 loop.ctx ? err.message : "out of memory", NULL);
        fprintf(stderr, "zwfw-rating: %s\n", loop.ctx ? err.message : "out of memory");
        rc = 1;
        goto done;
    }
    zctx = zmq_ctx_new();
    /* The ZAP handler binds before the PUB socket: without it libzmq would
     * admit every CURVE key. */
    auth = zctx ? zw_auth_new(zctx, *opts.c.key_registry_file ? opts.c.curve_secret_key_file : "",
                              opts.c.key_registry_file, &err)
                : NULL;
    if (!auth || (*opts.c.pub_endpoint &&
                  !(pub = zw_auth_bind_pub(auth, zctx, opts.c.pub_endpoint, &err)))) {
        zw_logkv(ZW_LOG_ERROR, "cannot start", "reason", zctx ? err.message : "zmq_ctx_new", NULL);
        fprintf(stderr, "zwfw-rating: %s\n", zctx ? err.message : "zmq_ctx_new failed");
        rc = 1;
        goto done;
    }
    loop.auth = auth;
    relay_db = zw_db_new(opts.c.conninfo);
    const char *streams[] = {ZW_RATING_STREAM};
    zw_relay_config_t rcfg = {.producer = ZW_RATING_PRODUCER,
                              .streams = streams,
                              .n_streams = 1,
                              .pub = pub,
                              .batch = opts.c.relay_batch};
    if (!relay_db || !(loop.relay = zw_relay_new(relay_db, &rcfg, &err))) {
        zw_logkv(ZW_LOG_ERROR, "cannot start the relay", "reason",
                 relay_db ? err.message : "out of memory", NULL);
        fprintf(stderr, "zwfw-rating: %s\n", relay_db ? err.message : "out of memory");
        rc = 1;
        goto done;
    }
    s_shared_t shared = {.opts = &opts, .settings = &settings};
    zw_worker_config_t wc = {
        .service = "zwfw.rating",
        .endpoints = eps,
        .n_endpoints = (size_t) n_eps,
        .threads = opts.threads,
        .heartbeat_ms = opts.c.heartbeat_ms,
        .handler = zw_rating_handle,
        .ctx_new = s_ctx_new,
        .ctx_destroy = s_ctx_destroy,
        .arg = &shared,
        .health = {.db_of = zw_health_db_first, .stream = ZW_RATING_STREAM},
        .curve = use_curve ? &curve : NULL,
    };
    worker = zw_worker_new(zctx, &wc, &err);
    if (!worker || zw_worker_start(worker, &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot start the workers", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-rating: %s\n", err.message);
        rc = 1;
        goto done;
    }
    memset(&curve, 0, sizeof curve);
    char *dump = zw_config_dump_json(d.cfg);
    zw_logkv(ZW_LOG_INFO, "rating started", "version", ZWFW_VERSION, "mode",
             use_curve ? "curve" : "plain", "clock", opts.c.simulated ? "simulated" : "real", "pub",
             *opts.c.pub_endpoint ? opts.c.pub_endpoint : "(none)", "config", dump ? dump : "",
             NULL);
    free(dump);
    s_run(&loop, &d);
    zw_logkv(ZW_LOG_INFO, "rating stopping: finishing requests in hand", NULL);

done:
    zw_worker_stop(worker);
    if (loop.relay)
        zw_relay_run_once(loop.relay, NULL, NULL);
    zw_worker_destroy(&worker);
    zw_relay_destroy(&loop.relay);
    if (pub)
        zmq_close(pub);
    zw_auth_destroy(&auth);
    zw_db_destroy(&relay_db);
    zw_rating_ctx_destroy(&loop.ctx);
    if (zctx)
        zmq_ctx_term(zctx);
    zw_calendar_destroy(&cal);
    free(ep_list);
    zw_daemon_free(&d);
    return rc;
}
