/* zwfw-broker: the Majordomo broker (RFC 7 MDP/0.1 + RFC 8 MMI). main()
 * only wires: arguments, config, log, engine, endpoints, signals, loop. */
#include "broker.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_ENDPOINTS 32
_Static_assert(S_MAX_ENDPOINTS <= ZW_DAEMON_MAX_LIST, "endpoints are parsed into args.list");

static const char s_intro[] =
    "usage: zwfw-broker [--config FILE] [--endpoint EP]... [--SETTING VALUE]...\n"
    "\n"
    "Majordomo broker (ZeroMQ RFC 7, MDP/0.1, with RFC 8 MMI).\n"
    "  --config FILE    JSON config; settings from \"common\" and \"broker\"\n"
    "  --endpoint EP    bind EP (repeatable; replaces the configured endpoint)\n"
    "  --version        print the version\n"
    "Any setting may be given as --name VALUE (dashes or underscores):\n";

/* Loads the file, then the command line over it. Exit code on failure. */
static int s_configure(const zw_daemon_spec_t *spec, zw_config_t *cfg, const zw_daemon_args_t *a,
                       zw_err_t *err)
{
    int rc = zw_daemon_configure(spec, a, cfg, err);
    if (rc != 0)
        return rc;
    if (a->n_list) {
        /* so the effective configuration logged at start says the truth */
        char list[4096] = "";
        for (size_t i = 0, used = 0; i < a->n_list && used < sizeof list; i++)
            used += (size_t) snprintf(list + used, sizeof list - used, "%s%s", i ? "," : "",
                                      a->list[i]);
        if (zw_config_set(cfg, "endpoint", list, err) != 0)
            return 2;
    }
    return 0;
}

static void s_log_service(const zw_broker_service_info_t *info, void *arg)
{
    (void) arg;
    char workers[24], idle[24], queued[24];
    snprintf(workers, sizeof workers, "%zu", info->workers);
    snprintf(idle, sizeof idle, "%zu", info->idle_workers);
    snprintf(queued, sizeof queued, "%zu", info->queued);
    zw_logkv(ZW_LOG_INFO, "service", "service_name", info->name, "workers", workers, "idle", idle,
             "queued", queued, NULL);
}

static void s_log_stats(const zw_broker_t *broker, const char *msg)
{
    zw_broker_totals_t t;
    zw_broker_totals(broker, &t);
    char v[10][24];
    snprintf(v[0], 24, "%zu", t.services);
    snprintf(v[1], 24, "%zu", t.workers);
    snprintf(v[2], 24, "%zu", t.idle_workers);
    snprintf(v[3], 24, "%zu", t.queued);
    snprintf(v[4], 24, "%llu", (unsigned long long) t.requests);
    snprintf(v[5], 24, "%llu", (unsigned long long) t.replies);
    snprintf(v[6], 24, "%llu", (unsigned long long) t.dropped);
    snprintf(v[7], 24, "%llu", (unsigned long long) t.error_replies);
    snprintf(v[8], 24, "%llu", (unsigned long long) t.workers_expired);
    snprintf(v[9], 24, "%llu", (unsigned long long) t.unregistered);
    zw_logkv(ZW_LOG_INFO, msg, "services", v[0], "workers", v[1], "idle_workers", v[2], "queued",
             v[3], "requests", v[4], "replies", v[5], "dropped", v[6], "error_replies", v[7],
             "workers_expired", v[8], "unregistered", v[9], NULL);
}

static void s_log_auth(zw_auth_t *auth)
{
    zw_auth_zap_t *zap = zw_auth_zap(auth);
    if (!zap)
        return;
    zw_auth_zap_stats_t z;
    zw_auth_zap_stats(zap, &z);
    char keys[24], admitted[24], refused[24];
    snprintf(keys, sizeof keys, "%zu", zw_auth_registry_size(zw_auth_registry(auth)));
    snprintf(admitted, sizeof admitted, "%llu", (unsigned long long) z.admitted);
    snprintf(refused, sizeof refused, "%llu", (unsigned long long) z.refused);
    zw_logkv(ZW_LOG_INFO, "auth stats", "keys", keys, "connections_admitted", admitted,
             "connections_refused", refused, NULL);
}

/* SIGHUP: the key registry is re-read whatever happens to the settings. */
static void s_reload_keys(zw_auth_t *auth)
{
    if (!zw_auth_is_curve(auth))
        return;
    zw_err_t err;
    size_t n = 0;
    if (zw_auth_reload(auth, &n, &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "key registry not reloaded; the old one stays", "reason",
                 err.message, NULL);
        return;
    }
    char keys[24];
    snprintf(keys, sizeof keys, "%zu", n);
    zw_logkv(ZW_LOG_INFO, "key registry reloaded", "keys", keys, NULL);
}

static void s_reload_config(zw_config_t *cfg, const char *path, const zw_broker_t *broker)
{
    zw_err_t err;
    zw_log_level_t level;
    if (path && zw_config_reload_file(cfg, path, "broker", &err) != 0)
        zw_logkv(ZW_LOG_ERROR, "config not reloaded", "reason", err.message, NULL);
    else if (zw_broker_settings_log_level(cfg, &level, &err) != 0)
        zw_logkv(ZW_LOG_ERROR, "config not reloaded", "reason", err.message, NULL);
    else {
        zw_log_init("zwfw-broker", level);
        zw_logkv(ZW_LOG_INFO, "config reloaded", "log_level", zw_config_str(cfg, "log_level"),
                 NULL);
    }
    s_log_stats(broker, "broker stats");
    zw_broker_services_each(broker, s_log_service, NULL);
}

int main(int argc, char **argv)
{
    zw_daemon_signals(true); /* first: a SIGTERM during start-up still ends cleanly */
    zw_log_init("zwfw-broker", ZW_LOG_INFO);
    zw_daemon_spec_t spec = {.name = "zwfw-broker",
                             .section = "broker",
                             .intro = s_intro,
                             .help_width = 18,
                             .list_option = "endpoint",
                             .list_max = S_MAX_ENDPOINTS};
    spec.specs = zw_broker_settings(&spec.n_specs);
    zw_daemon_args_t args = {0};
    int rc;
    if (!zw_daemon_parse(&spec, argc, argv, &args, &rc))
        return rc;
    zw_config_t *cfg = zw_config_new(spec.specs, spec.n_specs);
    zw_err_t err = {0};
    zw_broker_opts_t opts;
    zw_log_level_t level = ZW_LOG_INFO;
    char *endpoint_list = NULL;
    void *ctx = NULL;
    zw_auth_t *auth = NULL;
    zw_broker_t *broker = NULL;
    if (!cfg) {
        rc = 1;
        zw_err_set(&err, ZW_INTERNAL, "config: bad settings table");
    } else if ((rc = s_configure(&spec, cfg, &args, &err)) == 0 &&
               (zw_broker_settings_log_level(cfg, &level, &err) != 0 ||
                zw_broker_settings_opts(cfg, &opts, &err) != 0))
        rc = 1;
    if (rc != 0) {
        zw_logkv(ZW_LOG_ERROR, "bad configuration", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-broker: %s\n", err.message);
        goto done;
    }
    zw_log_init("zwfw-broker", level);

    if (args.n_list == 0) {
        endpoint_list = strdup(zw_config_str(cfg, "endpoint"));
        int n = endpoint_list ? zw_daemon_split(endpoint_list, args.list, S_MAX_ENDPOINTS) : -1;
        if (n <= 0) {
            fprintf(stderr, "zwfw-broker: broker.endpoint: need 1 to %d endpoints\n",
                    S_MAX_ENDPOINTS);
            rc = 1;
            goto done;
        }
        args.n_list = (size_t) n;
    }

    ctx = zmq_ctx_new();
    /* Before the broker's socket exists: in CURVE mode this binds the ZAP
     * handler, without which libzmq would admit every key. */
    auth = ctx ? zw_auth_new(ctx, zw_config_str(cfg, "curve_secret_key_file"),
                             zw_config_str(cfg, "key_registry_file"), &err)
               : NULL;
    if (!auth) {
        zw_logkv(ZW_LOG_ERROR, "cannot start", "reason", ctx ? err.message : "zmq_ctx_new", NULL);
        fprintf(stderr, "zwfw-broker: %s\n", ctx ? err.message : "zmq_ctx_new failed");
        rc = 1;
        goto done;
    }
    opts.auth = auth;
    broker = zw_broker_new(ctx, &opts, &err);
    if (!broker) {
        zw_logkv(ZW_LOG_ERROR, "cannot start", "reason", ctx ? err.message : "zmq_ctx_new", NULL);
        rc = 1;
        goto done;
    }
    char bound_all[1024] = "";
    for (size_t i = 0; i < args.n_list; i++) {
        char bound[256];
        if (zw_broker_bind(broker, args.list[i], bound, sizeof bound, &err) != 0) {
            zw_logkv(ZW_LOG_ERROR, "cannot bind", "endpoint", args.list[i], "code",
                     zw_code_name(err.code), "reason", err.message, NULL);
            fprintf(stderr, "zwfw-broker: %s\n", err.message);
            rc = 1;
            goto done;
        }
        size_t used = strlen(bound_all);
        snprintf(bound_all + used, sizeof bound_all - used, "%s%s", used ? "," : "", bound);
    }

    char *dump = zw_config_dump_json(cfg);
    char nkeys[24];
    snprintf(nkeys, sizeof nkeys, "%zu", zw_auth_registry_size(zw_auth_registry(auth)));
    if (zw_auth_is_curve(auth))
        zw_logkv(ZW_LOG_INFO, "broker started", "endpoints", bound_all, "mode",
                 zw_broker_mode(broker), "public_key", zw_auth_public_key(auth), "keys", nkeys,
                 "version", ZWFW_VERSION, "config", dump, NULL);
    else
        zw_logkv(ZW_LOG_INFO, "broker started", "endpoints", bound_all, "mode",
                 zw_broker_mode(broker), "version", ZWFW_VERSION, "config", dump, NULL);
    free(dump);

    for (;;) {
        /* A SIGHUP that came before a SIGTERM is handled first, even when
         * both arrived during one turn of the loop. */
        if (zw_daemon_take_reload()) {
            s_reload_keys(auth);
            s_reload_config(cfg, args.config, broker);
            s_log_auth(auth);
        }
        if (zw_daemon_stopping())
            break;
        if (zw_broker_run_once(broker, &err) != 0) {
            zw_logkv(ZW_LOG_ERROR, "broker failed", "reason", err.message, NULL);
            rc = 1;
            break;
        }
    }
    s_log_stats(broker, "broker stopped");
    s_log_auth(auth);

done:
    zw_broker_destroy(&broker);
    zw_auth_destroy(&auth);
    if (ctx)
        zmq_ctx_term(ctx);
    free(endpoint_list);
    zw_config_destroy(&cfg);
    zw_daemon_args_free(&args);
    return rc;
}
