/* zwfw-xregion: the zwfw.xregion service and the partner links. main()
 * only wires: arguments, config, the data key and division codes, the ZAP
 * handler before the event PUB socket binds, the worker threads, the home
 * side's thread, then one loop that runs the partner links, the event
 * relay and the audit chainer. SIGTERM drains (requests in hand are
 * finished); SIGHUP reloads the log level and the PUB socket's key
 * registry. */
#include "auth.h"
#include "daemon.h"
#include "events.h"
#include "home.h"
#include "link.h"
#include "log.h"
#include "mdp_worker.h"
#include "producer.h"
#include "relay.h"
#include "settings.h"
#include "xregion.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* zw_health_db_first reads the connection of a worker thread's context. */
_Static_assert(offsetof(zw_xregion_ctx_t, db) == 0, "the context starts with its connection");

static const char s_intro[] =
    "usage: zwfw-xregion [--config FILE] [--SETTING VALUE]...\n"
    "\n"
    "Serves zwfw.xregion through the broker: the partner registry, applications\n"
    "forwarded to partner cities' authorities (跨省 / 川渝 / 跨区县通办) and those\n"
    "partners forward here, over CURVE links with store-and-forward.\n"
    "  --config FILE    JSON config; settings from \"common\" and \"xregion\"\n"
    "  --version        print the version\n"
    "Any setting may be given as --name VALUE (dashes or underscores):\n";

typedef struct {
    const zw_xregion_opts_t *opts;
    const zw_xregion_settings_t *settings;
} s_shared_t;

static void *s_ctx_new(void *arg, int thread_index)
{
    (void) thread_index;
    const s_shared_t *sh = arg;
    return zw_xregion_ctx_new(sh->opts->c.conninfo, sh->opts->c.simulated, sh->settings);
}

static void s_ctx_destroy(void *ctx, void *arg)
{
    (void) arg;
    zw_xregion_ctx_t *c = ctx;
    zw_xregion_ctx_destroy(&c);
}

static int s_apply(const zw_config_t *cfg, void *arg, zw_err_t *err)
{
    (void) arg;
    zw_xregion_opts_t o;
    return zw_xregion_settings_read(cfg, &o, err);
}

typedef struct {
    zw_producer_t ev;
    zw_xregion_ctx_t *ctx;
    zw_xregion_link_t *link;
    int relay_idle_ms, relay_busy_ms;
} s_loop_t;

static void s_run(s_loop_t *l, const zw_daemon_t *d)
{
    int64_t next_relay = 0;
    while (!zw_daemon_stopping()) {
        if (zw_daemon_take_reload()) {
            zw_daemon_reload(d, s_apply, NULL, l->ev.auth);
            zw_xregion_link_poke();
        }
        int64_t mono = zw_mono_ms();
        if (mono >= next_relay)
            next_relay =
                zw_relay_turn(l->ev.relay, l->ctx->db, mono, l->relay_busy_ms, l->relay_idle_ms);
        if (zw_auth_zap(l->ev.auth))
            zw_daemon_poll(l->ev.auth, NULL, 0);
        long timeout = (long) (next_relay - zw_mono_ms());
        if (timeout < 0)
            timeout = 0;
        if (timeout > 50)
            timeout = 50;
        zw_xregion_link_run(l->link, (int) timeout);
    }
}

static int s_fail(const char *what, const char *why)
{
    return zw_daemon_fail(ZW_XREGION_PRODUCER, what, why);
}

int main(int argc, char **argv)
{
    size_t n_own;
    const zw_cfg_spec_t *own = zw_xregion_settings_table(&n_own);
    zw_daemon_spec_t spec = {.name = ZW_XREGION_PRODUCER,
                             .section = "xregion",
                             .intro = s_intro,
                             .specs = own,
                             .n_specs = n_own,
                             .help_width = 24};
    zw_daemon_t d;
    int rc;
    if (!zw_daemon_load(&d, &spec, argc, argv, &rc))
        return rc;
    zw_xregion_opts_t opts;
    zw_xregion_settings_t settings = {0};
    zw_err_t err = {0};
    zw_pii_t *pii = NULL;
    zw_regions_t *regions = NULL;
    void *sub = NULL;
    zw_worker_t *worker = NULL;
    zw_xregion_home_t *home = NULL;
    s_loop_t loop = {0};
    zw_daemon_list_t brokers = {0}, intake_pubs = {0}, intake_brokers = {0};
    char link_pk[ZW_AUTH_Z85_LEN + 1] = "";
    rc = 1;
    if (zw_xregion_settings_read(d.cfg, &opts, &err) != 0) {
        s_fail("bad configuration", err.message);
        goto done;
    }
    zw_log_init(ZW_XREGION_PRODUCER, (zw_log_level_t) opts.c.log_level);
    if (!(pii = zw_pii_load(opts.pii_key_file, &err))) {
        s_fail("cannot load the data key", err.message);
        goto done;
    }
    const char *reg_path = *opts.regions_file ? opts.regions_file : zw_regions_default_path();
    if (!(regions = zw_regions_load(reg_path, &err))) {
        s_fail("cannot load the division codes", err.message);
        goto done;
    }
    if (opts.c.migrate && zw_daemon_migrate(opts.c.conninfo) != 0)
        goto done;
    settings.region = opts.region;
    settings.pii = pii;
    settings.regions = regions;
    settings.link_endpoint = opts.link_endpoint;
    settings.link_public_key = link_pk;
    loop.relay_idle_ms = opts.c.relay_idle_ms;
    loop.relay_busy_ms = opts.c.relay_busy_ms;

    if (zw_daemon_list(&brokers, opts.c.broker_endpoints) <= 0 ||
        zw_daemon_list(&intake_pubs, opts.intake_pub_endpoints) < 0 ||
        zw_daemon_list(&intake_brokers, opts.intake_broker_endpoints) <= 0) {
        s_fail("bad endpoints", "broker_endpoint and intake_broker_endpoint need 1 to 8 "
                                "endpoints, intake_pub_endpoint 0 to 8");
        goto done;
    }
    zw_auth_client_t curve;
    bool use_curve = *opts.c.curve_secret_key_file;
    if (use_curve && zw_auth_client_load(&curve, opts.c.curve_secret_key_file,
                                         opts.c.broker_public_key, &err) != 0) {
        s_fail("cannot load keys", err.message);
        goto done;
    }
    loop.ctx = zw_xregion_ctx_new(opts.c.conninfo, opts.c.simulated, &settings);
    if (!zw_daemon_db_ready(loop.ctx ? loop.ctx->db : NULL, ZW_XREGION_PRODUCER, &rc))
        goto done;
    zw_xregion_link_config_t lc = {.endpoint = opts.link_endpoint,
                                   .secret_key_file = opts.link_secret_key_file,
                                   .heartbeat_ms = opts.link_heartbeat_ms,
                                   .ack_timeout_ms = opts.link_ack_timeout_ms,
                                   .retry_max_ms = opts.link_retry_max_ms,
                                   .window = opts.link_window,
                                   .partners_poll_ms = opts.partners_poll_ms,
                                   .keep_days = opts.outbound_keep_days};
    if (!(loop.link = zw_xregion_link_new(loop.ctx, &lc, link_pk, &err))) {
        s_fail("cannot start the partner link", err.message);
        goto done;
    }
    if (zw_producer_open(&loop.ev, opts.c.curve_secret_key_file, opts.c.key_registry_file,
                         opts.c.pub_endpoint, &err) != 0) {
        s_fail("cannot start", err.message);
        goto done;
    }
    if (zw_producer_relay(&loop.ev, opts.c.conninfo, ZW_XREGION_PRODUCER, ZW_XREGION_STREAM,
                          opts.c.relay_batch, &err) != 0) {
        s_fail("cannot start the relay", err.message);
        goto done;
    }
    if (intake_pubs.n > 0 && !(sub = zw_auth_sub(loop.ev.zctx, opts.intake_public_key,
                                                 opts.c.curve_secret_key_file, &err))) {
        s_fail("cannot follow intake's events", err.message);
        goto done;
    }
    zw_xregion_home_config_t hc = {.conninfo = opts.c.conninfo,
                                   .simulated = opts.c.simulated,
                                   .settings = &settings,
                                   .zmq_ctx = loop.ev.zctx,
                                   .broker_endpoints = intake_brokers.v,
                                   .n_broker_endpoints = (size_t) intake_brokers.n,
                                   .curve = use_curve ? &curve : NULL,
                                   .intake_pub_endpoints = intake_pubs.v,
                                   .n_intake_pub_endpoints = (size_t) intake_pubs.n,
                                   .sub = sub,
                                   .consumer_quiet_ms = opts.consumer_quiet_ms,
                                   .submit_timeout_ms = opts.submit_timeout_ms,
                                   .submit_poll_ms = 200,
                                   .stop = zw_daemon_stop_flag()};
    if (!(home = zw_xregion_home_new(&hc, &err)) || zw_xregion_home_start(home, &err) != 0) {
        s_fail("cannot start the home side", err.message);
        goto done;
    }
    s_shared_t shared = {.opts = &opts, .settings = &settings};
    zw_worker_config_t wc = {
        .service = "zwfw.xregion",
        .endpoints = brokers.v,
        .n_endpoints = (size_t) brokers.n,
        .threads = opts.threads,
        .heartbeat_ms = opts.c.heartbeat_ms,
        .handler = zw_xregion_handle,
        .ctx_new = s_ctx_new,
        .ctx_destroy = s_ctx_destroy,
        .arg = &shared,
        .health = {.db_of = zw_health_db_first,
                   .stream = ZW_XREGION_STREAM,
                   .consumer = ZW_XREGION_CONSUMER},
        .curve = use_curve ? &curve : NULL,
    };
    worker = zw_worker_new(loop.ev.zctx, &wc, &err);
    if (!worker || zw_worker_start(worker, &err) != 0) {
        s_fail("cannot start the workers", err.message);
        goto done;
    }
    memset(&curve, 0, sizeof curve);
    char *dump = zw_config_dump_json(d.cfg);
    zw_logkv(ZW_LOG_INFO, "xregion started", "version", ZWFW_VERSION, "region", opts.region, "mode",
             use_curve ? "curve" : "plain", "link",
             *opts.link_endpoint ? opts.link_endpoint : "(off)", "link_public_key",
             *link_pk ? link_pk : "", "config", dump ? dump : "", NULL);
    free(dump);
    rc = 0;
    s_run(&loop, &d);
    zw_logkv(ZW_LOG_INFO, "xregion stopping: finishing requests in hand", NULL);

done:
    zw_worker_stop(worker);
    if (home && !zw_daemon_stopping())
        raise(SIGTERM); /* start-up failed after the thread started: stop it */
    zw_xregion_home_destroy(&home);
    zw_producer_flush(&loop.ev);
    zw_worker_destroy(&worker);
    zw_xregion_link_destroy(&loop.link);
    if (sub)
        zmq_close(sub);
    zw_producer_close(&loop.ev);
    zw_xregion_ctx_destroy(&loop.ctx);
    zw_regions_destroy(&regions);
    zw_pii_destroy(&pii);
    zw_daemon_list_free(&brokers);
    zw_daemon_list_free(&intake_pubs);
    zw_daemon_list_free(&intake_brokers);
    zw_daemon_free(&d);
    return rc;
}
