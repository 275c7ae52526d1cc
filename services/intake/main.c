/* zwfw-intake: the catalog, intake and clock services. main() only wires:
 * arguments, config, calendar, regions, data key, the ZAP handler before
 * the event PUB socket binds, one worker per service, then one loop that
 * runs the event relay (with retention), the audit chainer, the
 * 5-working-day sweep and the consumer of workflow's events
 * (intake_follow.h).
 * SIGTERM drains (requests in hand are finished); SIGHUP reloads the
 * reloadable settings and the PUB socket's key registry. */
#include "auth.h"
#include "catalog.h"
#include "consumer.h"
#include "daemon.h"
#include "events.h"
#include "intake.h"
#include "intake_batch.h"
#include "intake_follow.h"
#include "intake_settings.h"
#include "item_cache.h"
#include "log.h"
#include "mdp_worker.h"
#include "paths.h"
#include "relay.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* zw_health_db_first reads the connection of a worker thread's context. */
_Static_assert(offsetof(zw_intake_ctx_t, db) == 0, "the context starts with its connection");

#define S_MAX_ENDPOINTS 8
#define S_PRODUCER "zwfw-intake"

static const char s_intro[] =
    "usage: zwfw-intake [--config FILE] [--SETTING VALUE]...\n"
    "\n"
    "Serves zwfw.catalog, zwfw.intake and zwfw.clock through the broker.\n"
    "  --config FILE    JSON config; settings from \"common\" and \"intake\"\n"
    "  --version        print the version\n"
    "Any setting may be given as --name VALUE (dashes or underscores):\n";

/* ---- per-thread contexts ------------------------------------------------------------- */

typedef struct {
    const zw_intake_daemon_opts_t *opts;
    const zw_calendar_t *calendar;
    const zw_regions_t *regions;
    const zw_config_t *config;
    zw_intake_batcher_t *batcher;
} s_shared_t;

static void s_ctx_destroy(void *vctx, void *arg)
{
    (void) arg;
    zw_intake_ctx_t *ctx = vctx;
    if (!ctx)
        return;
    zw_clock_destroy(&ctx->clock);
    zw_db_destroy(&ctx->db);
    free(ctx);
}

static void *s_ctx_new(void *arg, int thread_index)
{
    const s_shared_t *sh = arg;
    zw_intake_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->db = zw_db_new(sh->opts->conninfo);
    if (ctx->db) {
        char name[64];
        if (thread_index >= 0)
            snprintf(name, sizeof name, "zwfw-intake worker %d", thread_index);
        else if (thread_index <= -3)
            snprintf(name, sizeof name, "zwfw-intake lane %d", -2 - thread_index);
        else
            snprintf(name, sizeof name, "zwfw-intake %s", thread_index == -1 ? "sweep" : "follow");
        zw_db_set_name(ctx->db, name);
    }
    ctx->clock = !ctx->db              ? NULL
                 : sh->opts->simulated ? zw_clock_new_sim(ctx->db)
                                       : zw_clock_new_real();
    ctx->calendar = sh->calendar;
    ctx->regions = sh->regions;
    ctx->config = sh->config;
    ctx->thread_index = thread_index;
    ctx->batcher = sh->batcher;
    zw_err_t err;
    if (!ctx->clock || zw_intake_ctx_prepare(ctx, &err) != 0) {
        s_ctx_destroy(ctx, NULL);
        return NULL;
    }
    if (zw_db_connect(ctx->db, &err) != 0) /* not fatal: zw_db reconnects on use */
        zw_logkv(ZW_LOG_WARN, "database not reachable yet", "reason", err.message, NULL);
    return ctx;
}

static zw_worker_t *s_worker(void *zctx, const char *service, int threads,
                             zw_worker_handler_fn *handler, const char *const *eps, size_t n_eps,
                             s_shared_t *shared, const zw_auth_client_t *curve, zw_err_t *err)
{
    zw_worker_config_t wc = {
        .service = service,
        .endpoints = eps,
        .n_endpoints = n_eps,
        .threads = threads,
        .heartbeat_ms = shared->opts->heartbeat_ms,
        .handler = handler,
        .ctx_new = s_ctx_new,
        .ctx_destroy = s_ctx_destroy,
        .arg = shared,
        .health = {.db_of = zw_health_db_first,
                   .stream = ZW_INTAKE_STREAM,
                   .consumer = ZW_INTAKE_FOLLOW_CONSUMER},
        .curve = curve,
    };
    zw_worker_t *w = zw_worker_new(zctx, &wc, err);
    if (w && zw_worker_start(w, err) != 0)
        zw_worker_destroy(&w);
    return w;
}

/* ---- the loop ------------------------------------------------------------------------ */

typedef struct {
    zw_auth_t *auth;
    zw_relay_t *relay;
    zw_db_t *relay_db;
    zw_intake_ctx_t *sweep;
    zw_intake_ctx_t *follow; /* the consumer's own connection */
    zw_consumer_t *consumer;
    int relay_idle_ms, relay_busy_ms, sweep_ms;
} s_loop_t;

/* SIGHUP: the reloadable settings (log_level, sweep_ms,
 * event_retention_days) from the file, into
 * the loop's own table, never the workers' (they read theirs while they
 * run). A changed setting that cannot change without a restart is refused
 * whole, naming it. The PUB socket's key registry is re-read too. */
static void s_reload_settings(zw_config_t *live, const char *path, s_loop_t *l)
{
    zw_err_t err;
    zw_intake_daemon_opts_t o;
    zw_intake_settings_t s;
    if (!path)
        zw_logkv(ZW_LOG_INFO, "no config file to reload", NULL);
    else if (zw_config_reload_file(live, path, "intake", &err) != 0 ||
             zw_intake_settings_read(live, &o, &s, &err) != 0)
        zw_logkv(ZW_LOG_ERROR, "config not reloaded", "reason", err.message, NULL);
    else {
        zw_log_init(S_PRODUCER, o.log_level);
        l->sweep_ms = o.sweep_ms;
        (void) zw_relay_set_retention(l->relay, o.event_retention_days, NULL); /* read in range */
        zw_logkv(ZW_LOG_INFO, "config reloaded", "log_level", zw_config_str(live, "log_level"),
                 NULL);
    }
    if (zw_auth_is_curve(l->auth) && zw_auth_reload(l->auth, NULL, &err) != 0)
        zw_logkv(ZW_LOG_ERROR, "key registry not reloaded; the old one stays", "reason",
                 err.message, NULL);
}

static void s_run(s_loop_t *l, zw_config_t *live, const char *config_path)
{
    int64_t next_relay = 0, next_sweep = 0, next_cons = 0;
    zw_err_t err;
    while (!zw_daemon_stopping()) {
        if (zw_daemon_take_reload()) {
            s_reload_settings(live, config_path, l);
            /* a shorter sweep_ms takes effect now, not after the old one */
            if (next_sweep > zw_mono_ms() + l->sweep_ms)
                next_sweep = zw_mono_ms() + l->sweep_ms;
        }
        int64_t now = zw_mono_ms();
        if (now >= next_relay)
            next_relay =
                zw_relay_turn(l->relay, l->relay_db, now, l->relay_busy_ms, l->relay_idle_ms);
        if (now >= next_sweep) {
            size_t accepted = 0;
            int64_t wait = l->sweep_ms;
            if (zw_intake_sweep(l->sweep, &accepted, &err) != 0 &&
                err.code != ZW_FAILED_PRECONDITION) { /* a simulated clock not set yet */
                /* e.g. a year missing from the calendar: say so once a minute */
                zw_logkv(ZW_LOG_WARN, "5-working-day sweep failed", "reason", err.message, NULL);
                wait = wait > 60000 ? wait : 60000;
            }
            next_sweep = now + wait;
        }
        if (now >= next_cons && zw_consumer_tick(l->consumer, now, &next_cons, &err) != 0) {
            zw_logkv(ZW_LOG_WARN, "workflow consumer tick failed", "reason", err.message, NULL);
            next_cons = now + 200;
        }
        int64_t next = next_relay < next_sweep ? next_relay : next_sweep;
        if (next_cons < next)
            next = next_cons;
        long timeout = (long) (next - zw_mono_ms());
        if (timeout < 0)
            timeout = 0;
        zw_auth_zap_t *zap = zw_auth_zap(l->auth);
        zmq_pollitem_t items[2];
        int n = 0, zi = -1, ci = -1;
        if (zap) {
            items[zi = n++] = (zmq_pollitem_t){zw_auth_zap_socket(zap), 0, ZMQ_POLLIN, 0};
        }
        if (zw_consumer_socket(l->consumer))
            items[ci = n++] = (zmq_pollitem_t){zw_consumer_socket(l->consumer), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(items, n, timeout) > 0) {
            if (zi >= 0 && (items[zi].revents & ZMQ_POLLIN))
                zw_auth_zap_handle(zap);
            if (ci >= 0 && (items[ci].revents & ZMQ_POLLIN) &&
                zw_consumer_on_readable(l->consumer, &err) != 0)
                zw_logkv(ZW_LOG_WARN, "workflow event not applied yet", "reason", err.message,
                         NULL);
        }
    }
}

/* From this month on, a calendar without next year is warned about at
 * start: the longest limits (60 working days and an extension) reach about
 * four months ahead, and the State Council publishes next year's schedule
 * in October or November. */
#define S_WARN_FROM_MONTH 8

/* Loads what every thread shares; exit code on failure (message logged). */
static int s_load(const zw_intake_daemon_opts_t *o, zw_calendar_t **cal, zw_regions_t **regions,
                  zw_pii_t **pii)
{
    zw_err_t err;
    const char *cal_path = *o->calendar_file ? o->calendar_file : zw_calendar_default_path();
    const char *reg_path = *o->regions_file ? o->regions_file : zw_regions_default_path();
    if (!(*cal = zw_calendar_load(cal_path, &err)) ||
        !(*regions = zw_regions_load(reg_path, &err)) ||
        !(*pii = zw_pii_load(o->pii_key_file, &err))) {
        zw_logkv(ZW_LOG_ERROR, "cannot start", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-intake: %s\n", err.message);
        return 1;
    }
    char first[16], last[16];
    snprintf(first, sizeof first, "%d", zw_calendar_first_year(*cal));
    snprintf(last, sizeof last, "%d", zw_calendar_last_year(*cal));
    zw_logkv(ZW_LOG_INFO, "calendar loaded", "path", cal_path, "first_year", first, "last_year",
             last, NULL);
    if (!o->simulated) {
        zw_date_t today;
        if (zw_moment_local(zw_wall_us() / ZW_US_PER_SEC, &today, NULL, NULL) != 0)
            return 0;
        if (!zw_calendar_has_year(*cal, today.year))
            zw_logkv(ZW_LOG_WARN,
                     "the current year is not in the calendar: due times cannot be computed "
                     "until an operator adds it (or run with clock_mode = simulated)",
                     NULL);
        else if (!zw_calendar_has_year(*cal, today.year + 1) && today.month >= S_WARN_FROM_MONTH)
            /* a 20-working-day limit accepted in December already ends in
             * January: those submissions are refused (OUT_OF_RANGE) until
             * next year's schedule is loaded, and the office should know now */
            zw_logkv(ZW_LOG_WARN,
                     "the calendar ends with this year: an application whose due time falls "
                     "next year is refused (OUT_OF_RANGE) until an operator adds next year's "
                     "schedule (deploy/calendar/cn.json) from the State Council's notice",
                     "last_year", last, NULL);
    }
    return 0;
}

int main(int argc, char **argv)
{
    zw_daemon_signals(true);
    zw_log_init(S_PRODUCER, ZW_LOG_INFO);

    size_t n_common, n_own, nspecs = 0;
    const zw_cfg_spec_t *common_specs = zw_daemon_common_specs(&n_common);
    const zw_cfg_spec_t *own_specs = zw_intake_settings_table(&n_own);
    zw_cfg_spec_t *base_specs =
        zw_daemon_specs_join(common_specs, n_common, own_specs, n_own, &nspecs);
    zw_cfg_spec_t *specs = base_specs ? zw_intake_follow_table(base_specs, nspecs, &nspecs) : NULL;
    free(base_specs);
    zw_daemon_spec_t spec = {.name = S_PRODUCER,
                             .section = "intake",
                             .intro = s_intro,
                             .specs = specs,
                             .n_specs = specs ? nspecs : 0,
                             .help_width = 22};
    zw_daemon_args_t args = {0};
    int rc;
    if (!zw_daemon_parse(&spec, argc, argv, &args, &rc)) {
        free(specs);
        return rc;
    }
    zw_config_t *cfg = specs ? zw_config_new(specs, nspecs) : NULL;
    zw_intake_daemon_opts_t opts;
    zw_intake_settings_t settings;
    zw_err_t err = {0};
    zw_calendar_t *cal = NULL;
    zw_regions_t *regions = NULL;
    zw_pii_t *pii = NULL;
    void *zctx = NULL, *pub = NULL, *sub = NULL;
    zw_auth_t *auth = NULL;
    zw_worker_t *workers[3] = {NULL, NULL, NULL};
    s_loop_t loop = {0};
    s_shared_t shared = {0};
    zw_intake_ctx_t *batch_ctx[8] = {NULL};
    char *ep_list = NULL, *wf_list = NULL;
    if (!cfg || zw_daemon_configure(&spec, &args, cfg, &err) != 0 ||
        zw_intake_settings_read(cfg, &opts, &settings, &err) != 0) {
        const char *why = cfg ? err.message : "bad settings table";
        zw_logkv(ZW_LOG_ERROR, "bad configuration", "reason", why, NULL);
        fprintf(stderr, "zwfw-intake: %s\n", why);
        rc = 1;
        goto done;
    }
    zw_log_init(S_PRODUCER, opts.log_level);
    if ((rc = s_load(&opts, &cal, &regions, &pii)) != 0)
        goto done;
    if (opts.migrate && (rc = zw_daemon_migrate(opts.conninfo)) != 0)
        goto done;
    settings.pii = pii;
    zw_intake_init(&settings);

    const char *eps[S_MAX_ENDPOINTS];
    ep_list = strdup(opts.broker_endpoints);
    int n_eps = ep_list ? zw_daemon_split(ep_list, eps, S_MAX_ENDPOINTS) : -1;
    if (n_eps <= 0) {
        fprintf(stderr, "zwfw-intake: broker_endpoint: need 1 to %d endpoints\n", S_MAX_ENDPOINTS);
        rc = 1;
        goto done;
    }
    const char *weps[S_MAX_ENDPOINTS];
    const char *wf_key = zw_config_str(cfg, "workflow_public_key");
    wf_list = strdup(zw_config_str(cfg, "workflow_endpoints"));
    int n_weps = wf_list ? zw_daemon_split(wf_list, weps, S_MAX_ENDPOINTS) : -1;
    int64_t wf_quiet = zw_config_int(cfg, "workflow_quiet_ms");
    if (n_weps < 0 || wf_quiet < 0 || wf_quiet > 3600000 ||
        (*wf_key && !*opts.curve_secret_key_file)) {
        fprintf(stderr, "zwfw-intake: %s\n",
                n_weps < 0 ? "workflow_endpoints: at most 8 endpoints"
                : *wf_key && !*opts.curve_secret_key_file
                    ? "workflow_public_key needs curve_secret_key_file (this daemon's pair)"
                    : "workflow_quiet_ms: 0 to 3600000");
        rc = 1;
        goto done;
    }
    zw_auth_client_t curve;
    bool use_curve = *opts.curve_secret_key_file;
    if (use_curve && zw_auth_client_load(&curve, opts.curve_secret_key_file, opts.broker_public_key,
                                         &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot load keys", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-intake: %s\n", err.message);
        rc = 1;
        goto done;
    }
    zctx = zmq_ctx_new();
    /* The ZAP handler binds before the PUB socket: without it libzmq would
     * admit every CURVE key. */
    auth = zctx ? zw_auth_new(zctx, *opts.key_registry_file ? opts.curve_secret_key_file : "",
                              opts.key_registry_file, &err)
                : NULL;
    if (!auth ||
        (*opts.pub_endpoint && !(pub = zw_auth_bind_pub(auth, zctx, opts.pub_endpoint, &err))) ||
        (n_weps > 0 && !(sub = zw_auth_sub(zctx, wf_key, opts.curve_secret_key_file, &err)))) {
        zw_logkv(ZW_LOG_ERROR, "cannot start", "reason", zctx ? err.message : "zmq_ctx_new", NULL);
        fprintf(stderr, "zwfw-intake: %s\n", zctx ? err.message : "zmq_ctx_new failed");
        rc = 1;
        goto done;
    }
    shared = (s_shared_t){.opts = &opts, .calendar = cal, .regions = regions, .config = cfg};
    loop.auth = auth;
    loop.relay_idle_ms = opts.relay_idle_ms;
    loop.relay_busy_ms = opts.relay_busy_ms;
    loop.sweep_ms = opts.sweep_ms;
    if ((loop.relay_db = zw_db_new(opts.conninfo)))
        zw_db_set_name(loop.relay_db, "zwfw-intake relay");
    loop.sweep = s_ctx_new(&shared, -1);
    const char *streams[] = {ZW_INTAKE_STREAM, "catalog"};
    zw_relay_config_t rcfg = {.producer = S_PRODUCER,
                              .streams = streams,
                              .n_streams = 2,
                              .pub = pub,
                              .batch = opts.relay_batch,
                              .retention_days = opts.event_retention_days};
    loop.follow = s_ctx_new(&shared, -2);
    const char *wstreams[] = {ZW_INTAKE_WORKFLOW_STREAM};
    zw_consumer_config_t ccfg = {.name = ZW_INTAKE_FOLLOW_CONSUMER,
                                 .streams = wstreams,
                                 .n_streams = 1,
                                 .endpoints = weps,
                                 .n_endpoints = (size_t) n_weps,
                                 .sub = sub,
                                 .zmq_ctx = zctx,
                                 .handler = zw_intake_on_workflow_event,
                                 .handler_arg = loop.follow,
                                 .quiet_ms = (int) wf_quiet};
    if (!loop.relay_db || !loop.sweep || !loop.follow ||
        !(loop.relay = zw_relay_new(loop.relay_db, &rcfg, &err)) ||
        !(loop.consumer = zw_consumer_new(loop.follow->db, &ccfg, &err))) {
        const char *why =
            loop.relay_db && loop.sweep && loop.follow ? err.message : "out of memory";
        zw_logkv(ZW_LOG_ERROR, "cannot start the relay or the workflow consumer", "reason", why,
                 NULL);
        fprintf(stderr, "zwfw-intake: %s\n", why);
        rc = 1;
        goto done;
    }
    if (opts.submit_batch > 1) {
        bool made = true;
        for (int i = 0; i < opts.submit_lanes && made; i++)
            /* a lane runs the same few statements at a high rate: plan them once
             * (if the server is not there yet, the setting waits for it) */
            if ((made = (batch_ctx[i] = s_ctx_new(&shared, -3 - i)) != NULL))
                (void) zw_db_generic_plans(batch_ctx[i]->db, NULL);
        if (!made || !(shared.batcher = zw_intake_batcher_start(
                           batch_ctx, (size_t) opts.submit_lanes, opts.submit_batch, &err))) {
            const char *why = made ? err.message : "out of memory";
            zw_logkv(ZW_LOG_ERROR, "cannot start the submission batcher", "reason", why, NULL);
            fprintf(stderr, "zwfw-intake: %s\n", why);
            rc = 1;
            goto done;
        }
    }
    if (zw_intake_receipts_start(opts.conninfo, &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot start the receipt reserver", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-intake: %s\n", err.message);
        rc = 1;
        goto done;
    }
    const zw_auth_client_t *wcurve = use_curve ? &curve : NULL;
    if (!(workers[0] = s_worker(zctx, "zwfw.catalog", opts.catalog_threads, zw_catalog_handle, eps,
                                (size_t) n_eps, &shared, wcurve, &err)) ||
        !(workers[1] = s_worker(zctx, "zwfw.intake", opts.threads, zw_intake_handle, eps,
                                (size_t) n_eps, &shared, wcurve, &err)) ||
        !(workers[2] = s_worker(zctx, "zwfw.clock", opts.clock_threads, zw_clock_service_handle,
                                eps, (size_t) n_eps, &shared, wcurve, &err))) {
        zw_logkv(ZW_LOG_ERROR, "cannot start the workers", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-intake: %s\n", err.message);
        rc = 1;
        goto done;
    }
    memset(&curve, 0, sizeof curve);
    char *dump = zw_config_dump_json(cfg);
    zw_logkv(ZW_LOG_INFO, "intake started", "version", ZWFW_VERSION, "mode",
             use_curve ? "curve" : "plain", "clock", opts.simulated ? "simulated" : "real", "pub",
             *opts.pub_endpoint ? opts.pub_endpoint : "(none)", "workflow",
             n_weps > 0 ? zw_config_str(cfg, "workflow_endpoints") : "(log only)", "config",
             dump ? dump : "", NULL);
    free(dump);
    zw_config_t *live = zw_config_new(specs, nspecs);
    if (!live || zw_daemon_configure(&spec, &args, live, &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "cannot start", "reason", live ? err.message : "out of memory",
                 NULL);
        zw_config_destroy(&live);
        rc = 1;
        goto done;
    }
    s_run(&loop, live, args.config);
    zw_config_destroy(&live);
    zw_logkv(ZW_LOG_INFO, "intake stopping: finishing requests in hand", NULL);

done:
    /* Workers first (they drain), then one last relay pass for what they
     * committed, then the rest in reverse order. */
    for (int i = 2; i >= 0; i--)
        zw_worker_stop(workers[i]);
    if (loop.relay) {
        size_t moved = 0;
        zw_relay_run_once(loop.relay, &moved, NULL);
    }
    for (int i = 2; i >= 0; i--)
        zw_worker_destroy(&workers[i]);
    if (shared.batcher) {
        zw_intake_batch_stats_t st;
        zw_intake_batcher_stats(shared.batcher, &st);
        char b[24], j[24], f[24], g[24], u[24], r[24], x[24], c[24];
        snprintf(u, sizeof u, "%llu", (unsigned long long) st.busy_us);
        snprintf(r, sizeof r, "%llu", (unsigned long long) st.read_us);
        snprintf(x, sizeof x, "%llu", (unsigned long long) st.run_us);
        snprintf(c, sizeof c, "%llu", (unsigned long long) st.commit_us);
        snprintf(b, sizeof b, "%llu", (unsigned long long) st.batches);
        snprintf(j, sizeof j, "%llu", (unsigned long long) st.jobs);
        snprintf(f, sizeof f, "%llu", (unsigned long long) st.fallbacks);
        snprintf(g, sizeof g, "%llu", (unsigned long long) st.stale);
        zw_logkv(ZW_LOG_INFO, "submission batches", "batches", b, "submissions", j, "fallbacks", f,
                 "stale_guesses", g, "busy_us", u, "read_us", r, "run_us", x, "commit_us", c, NULL);
    }
    zw_intake_batcher_stop(&shared.batcher);
    zw_intake_item_cache_clear();
    zw_intake_receipts_stop();
    for (int i = 0; i < 8; i++)
        s_ctx_destroy(batch_ctx[i], NULL);
    zw_relay_destroy(&loop.relay);
    zw_consumer_destroy(&loop.consumer);
    if (sub)
        zmq_close(sub);
    if (pub)
        zmq_close(pub);
    zw_auth_destroy(&auth);
    s_ctx_destroy(loop.sweep, NULL);
    s_ctx_destroy(loop.follow, NULL);
    zw_db_destroy(&loop.relay_db);
    if (zctx)
        zmq_ctx_term(zctx);
    zw_pii_destroy(&pii);
    zw_regions_destroy(&regions);
    zw_calendar_destroy(&cal);
    free(ep_list);
    free(wf_list);
    zw_config_destroy(&cfg);
    free(specs);
    zw_daemon_args_free(&args);
    if (rc == 0)
        zw_logkv(ZW_LOG_INFO, "intake stopped", NULL);
    return rc;
}
