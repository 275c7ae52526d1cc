/* zwfw-broker: the Majordomo broker (RFC 7 MDP/0.1 + RFC 8 MMI). main()
 * only wires: arguments, config, log, engine, endpoints, signals, loop. */
#include "broker.h"
#include "config.h"
#include "log.h"
#include "settings.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_ENDPOINTS 32
#define S_MAX_OVERRIDES 64

static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_reload = 0;

static void s_on_signal(int sig)
{
    if (sig == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

static void s_usage(FILE *out)
{
    size_t n;
    const zw_cfg_spec_t *specs = zw_broker_settings(&n);
    fprintf(out, "usage: zwfw-broker [--config FILE] [--endpoint EP]... [--SETTING VALUE]...\n"
                 "\n"
                 "Majordomo broker (ZeroMQ RFC 7, MDP/0.1, with RFC 8 MMI).\n"
                 "  --config FILE    JSON config; settings from \"common\" and \"broker\"\n"
                 "  --endpoint EP    bind EP (repeatable; replaces the configured endpoint)\n"
                 "  --version        print the version\n"
                 "Any setting may be given as --name VALUE (dashes or underscores):\n");
    for (size_t i = 0; i < n; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "%s", specs[i].name);
        for (char *p = opt; *p; p++)
            if (*p == '_')
                *p = '-';
        fprintf(out, "  --%-18s %s (default \"%s\")%s\n", opt, specs[i].help,
                specs[i].default_value, specs[i].reloadable ? " [SIGHUP]" : "");
    }
}

typedef struct {
    const char *config;
    const char *endpoints[S_MAX_ENDPOINTS];
    size_t n_endpoints;
    char *overrides[S_MAX_OVERRIDES][2]; /* setting name (malloc'd), value */
    size_t n_overrides;
} s_args_t;

static void s_args_free(s_args_t *a)
{
    for (size_t i = 0; i < a->n_overrides; i++)
        free(a->overrides[i][0]);
}

/* Returns 0, 1 for --help/--version (done), or -1 for a usage error. */
static int s_parse(int argc, char **argv, s_args_t *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            s_usage(stdout);
            return 1;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("zwfw-broker %s\n", ZWFW_VERSION);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            fprintf(stderr, "zwfw-broker: unexpected argument '%s'\n", arg);
            return -1;
        }
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t) (eq - arg - 2) : strlen(arg + 2);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf(stderr, "zwfw-broker: %s needs a value\n", arg);
            return -1;
        }
        char *name = strndup(arg + 2, nlen);
        if (!name)
            return -1;
        for (char *p = name; *p; p++)
            if (*p == '-')
                *p = '_';
        if (strcmp(name, "config") == 0) {
            a->config = value;
            free(name);
        } else if (strcmp(name, "endpoint") == 0) {
            free(name);
            if (a->n_endpoints == S_MAX_ENDPOINTS) {
                fprintf(stderr, "zwfw-broker: at most %d endpoints\n", S_MAX_ENDPOINTS);
                return -1;
            }
            a->endpoints[a->n_endpoints++] = value;
        } else if (a->n_overrides == S_MAX_OVERRIDES) {
            free(name);
            fprintf(stderr, "zwfw-broker: too many options\n");
            return -1;
        } else {
            a->overrides[a->n_overrides][0] = name;
            a->overrides[a->n_overrides++][1] = (char *) value;
        }
    }
    return 0;
}

/* Loads the file, then the command line over it. Exit code on failure. */
static int s_configure(zw_config_t *cfg, const s_args_t *a, zw_err_t *err)
{
    if (a->config && zw_config_load_file(cfg, a->config, "broker", err) != 0)
        return 1;
    for (size_t i = 0; i < a->n_overrides; i++)
        if (zw_config_set(cfg, a->overrides[i][0], a->overrides[i][1], err) != 0)
            return 2;
    if (a->n_endpoints) {
        /* so the effective configuration logged at start says the truth */
        char list[4096] = "";
        for (size_t i = 0, used = 0; i < a->n_endpoints && used < sizeof list; i++)
            used += (size_t) snprintf(list + used, sizeof list - used, "%s%s", i ? "," : "",
                                      a->endpoints[i]);
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
        zw_logkv(ZW_LOG_WARN, "key registry not reloaded; the old one stays", "reason", err.message,
                 NULL);
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
        zw_logkv(ZW_LOG_WARN, "config not reloaded", "reason", err.message, NULL);
    else if (zw_broker_settings_log_level(cfg, &level, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "config not reloaded", "reason", err.message, NULL);
    else {
        zw_log_init("zwfw-broker", level);
        zw_logkv(ZW_LOG_INFO, "config reloaded", "log_level", zw_config_str(cfg, "log_level"),
                 NULL);
    }
    s_log_stats(broker, "broker stats");
    zw_broker_services_each(broker, s_log_service, NULL);
}

static void s_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: zmq_poll must return EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int main(int argc, char **argv)
{
    s_signals(); /* first: a SIGTERM during start-up still ends cleanly */
    zw_log_init("zwfw-broker", ZW_LOG_INFO);
    s_args_t args = {0};
    int rc = s_parse(argc, argv, &args);
    if (rc != 0) {
        if (rc < 0)
            s_usage(stderr);
        s_args_free(&args);
        return rc < 0 ? 2 : 0;
    }
    size_t nspecs;
    const zw_cfg_spec_t *specs = zw_broker_settings(&nspecs);
    zw_config_t *cfg = zw_config_new(specs, nspecs);
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
    } else if ((rc = s_configure(cfg, &args, &err)) == 0 &&
               (zw_broker_settings_log_level(cfg, &level, &err) != 0 ||
                zw_broker_settings_opts(cfg, &opts, &err) != 0))
        rc = 1;
    if (rc != 0) {
        zw_logkv(ZW_LOG_ERROR, "bad configuration", "reason", err.message, NULL);
        fprintf(stderr, "zwfw-broker: %s\n", err.message);
        goto done;
    }
    zw_log_init("zwfw-broker", level);

    if (args.n_endpoints == 0) {
        endpoint_list = strdup(zw_config_str(cfg, "endpoint"));
        int n = endpoint_list
                    ? zw_broker_settings_split(endpoint_list, args.endpoints, S_MAX_ENDPOINTS)
                    : -1;
        if (n <= 0) {
            fprintf(stderr, "zwfw-broker: broker.endpoint: need 1 to %d endpoints\n",
                    S_MAX_ENDPOINTS);
            rc = 1;
            goto done;
        }
        args.n_endpoints = (size_t) n;
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
    for (size_t i = 0; i < args.n_endpoints; i++) {
        char bound[256];
        if (zw_broker_bind(broker, args.endpoints[i], bound, sizeof bound, &err) != 0) {
            zw_logkv(ZW_LOG_ERROR, "cannot bind", "endpoint", args.endpoints[i], "code",
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
        if (s_reload) {
            s_reload = 0;
            s_reload_keys(auth);
            s_reload_config(cfg, args.config, broker);
            s_log_auth(auth);
        }
        if (s_stop)
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
    s_args_free(&args);
    return rc;
}
