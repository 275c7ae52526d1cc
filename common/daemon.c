#include "daemon.h"

#include "db.h"
#include "log.h"
#include "paths.h"
#include "relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_reload = 0;

static void s_on_signal(int sig)
{
    if (sig == SIGHUP)
        s_reload = 1;
    else
        s_stop = 1;
}

void zw_daemon_signals(bool reload)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: zmq_poll must return EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (reload)
        sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool zw_daemon_stopping(void)
{
    return s_stop != 0;
}

const volatile sig_atomic_t *zw_daemon_stop_flag(void)
{
    return &s_stop;
}

bool zw_daemon_take_reload(void)
{
    if (!s_reload)
        return false;
    s_reload = 0;
    return true;
}

void zw_daemon_usage(const zw_daemon_spec_t *spec, FILE *out)
{
    fputs(spec->intro, out);
    for (size_t i = 0; i < spec->n_specs; i++) {
        char opt[64];
        snprintf(opt, sizeof opt, "%s", spec->specs[i].name);
        for (char *p = opt; *p; p++)
            if (*p == '_')
                *p = '-';
        fprintf(out, "  --%-*s %s (default \"%s\")%s\n", spec->help_width, opt, spec->specs[i].help,
                spec->specs[i].default_value, spec->specs[i].reloadable ? " [SIGHUP]" : "");
    }
}

void zw_daemon_args_free(zw_daemon_args_t *args)
{
    for (size_t i = 0; args && i < args->n_overrides; i++) {
        free(args->overrides[i][0]);
        args->overrides[i][0] = NULL;
    }
    if (args)
        args->n_overrides = 0;
}

/* 0, 1 for --help/--version (done), -1 for a usage error. */
static int s_parse(const zw_daemon_spec_t *spec, int argc, char **argv, zw_daemon_args_t *a)
{
    size_t list_max = spec->list_max < ZW_DAEMON_MAX_LIST ? spec->list_max : ZW_DAEMON_MAX_LIST;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            zw_daemon_usage(spec, stdout);
            return 1;
        }
        if (strcmp(arg, "--version") == 0) {
            printf("%s %s\n", spec->name, ZWFW_VERSION);
            return 1;
        }
        if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
            fprintf(stderr, "%s: unexpected argument '%s'\n", spec->name, arg);
            return -1;
        }
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t) (eq - arg - 2) : strlen(arg + 2);
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf(stderr, "%s: %s needs a value\n", spec->name, arg);
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
        } else if (spec->list_option && strcmp(name, spec->list_option) == 0) {
            free(name);
            if (a->n_list == list_max) {
                fprintf(stderr, "%s: at most %zu %ss\n", spec->name, list_max, spec->list_option);
                return -1;
            }
            a->list[a->n_list++] = value;
        } else if (a->n_overrides == ZW_DAEMON_MAX_OVERRIDES) {
            free(name);
            fprintf(stderr, "%s: too many options\n", spec->name);
            return -1;
        } else {
            a->overrides[a->n_overrides][0] = name;
            a->overrides[a->n_overrides++][1] = (char *) value;
        }
    }
    return 0;
}

bool zw_daemon_parse(const zw_daemon_spec_t *spec, int argc, char **argv, zw_daemon_args_t *args,
                     int *exit_code)
{
    int rc = s_parse(spec, argc, argv, args);
    if (rc == 0) {
        *exit_code = 0;
        return true;
    }
    if (rc < 0)
        zw_daemon_usage(spec, stderr);
    zw_daemon_args_free(args);
    *exit_code = rc < 0 ? 2 : 0;
    return false;
}

int zw_daemon_configure(const zw_daemon_spec_t *spec, const zw_daemon_args_t *args,
                        zw_config_t *cfg, zw_err_t *err)
{
    if (args->config && zw_config_load_file(cfg, args->config, spec->section, err) != 0)
        return 1;
    for (size_t i = 0; i < args->n_overrides; i++)
        if (zw_config_set(cfg, args->overrides[i][0], args->overrides[i][1], err) != 0)
            return 2;
    return 0;
}

int zw_daemon_split(char *list, const char **out, size_t max)
{
    size_t n = 0;
    for (char *save = NULL, *tok = strtok_r(list, ", \t\n", &save); tok;
         tok = strtok_r(NULL, ", \t\n", &save)) {
        if (n == max)
            return -1;
        out[n++] = tok;
    }
    return (int) n;
}

/* ---- settings every producing daemon shares ------------------------------------------ */

static const zw_cfg_spec_t s_common_specs[] = {
    {"db_conninfo", ZW_CFG_STRING, "", false, "PostgreSQL connection string (required)"},
    {"broker_endpoint", ZW_CFG_STRING, "tcp://127.0.0.1:5555", false,
     "brokers to register with; several separated by commas"},
    {"heartbeat_ms", ZW_CFG_INT, "0", false, "MDP heartbeat to the broker (0: the default)"},
    {"clock_mode", ZW_CFG_STRING, "real", false,
     "real, or simulated: business time is common.sim_clock, moved by zwfwctl clock"},
    {"calendar_file", ZW_CFG_STRING, "", false, "working-day calendar (empty: the shipped one)"},
    {"working_hours", ZW_CFG_STRING, "09:00-12:00,13:30-17:30", false,
     "working hours of the legal clocks"},
    {"curve_secret_key_file", ZW_CFG_STRING, "", false,
     "this daemon's CURVE key pair (a `system` key); empty: plain"},
    {"broker_public_key", ZW_CFG_STRING, "", false, "the broker's public key (file or Z85)"},
    {"key_registry_file", ZW_CFG_STRING, "", false,
     "keys admitted to the event PUB socket (CURVE); re-read on SIGHUP"},
    {"pub_endpoint", ZW_CFG_STRING, "", false,
     "where the event relay publishes (empty: no PUB; consumers read the log)"},
    {"relay_batch", ZW_CFG_INT, "500", false, "outbox rows the relay moves per transaction"},
    {"relay_idle_ms", ZW_CFG_INT, "20", false, "relay pause when the outbox was empty"},
    {"relay_busy_ms", ZW_CFG_INT, "10", false,
     "relay pause after moving less than a batch (0: look again at once)"},
    {"event_retention_days", ZW_CFG_INT, "365", true,
     "days of business time the event log keeps behind each stream's newest event, trimmed "
     "hourly by the relay (0: keep every event)"},
    {"migrate", ZW_CFG_BOOL, "false", false, "apply the database migrations at start"},
    {"log_level", ZW_CFG_STRING, "info", true, "debug, info, warn or error"},
};

const zw_cfg_spec_t *zw_daemon_common_specs(size_t *count)
{
    *count = sizeof s_common_specs / sizeof s_common_specs[0];
    return s_common_specs;
}

zw_cfg_spec_t *zw_daemon_specs_join(const zw_cfg_spec_t *a, size_t na, const zw_cfg_spec_t *b,
                                    size_t nb, size_t *count)
{
    zw_cfg_spec_t *all = malloc((na + nb ? na + nb : 1) * sizeof *all);
    if (!all)
        return NULL;
    if (na)
        memcpy(all, a, na * sizeof *all);
    if (nb)
        memcpy(all + na, b, nb * sizeof *all);
    *count = na + nb;
    return all;
}

int zw_daemon_migrate(const char *conninfo)
{
    zw_err_t err = {0};
    zw_db_t *db = zw_db_new(conninfo);
    int applied = 0;
    int rc = db && zw_db_wait_while(db, 30000, zw_daemon_stop_flag(), &err) == 0 &&
                     zw_db_migrate_all(db, zw_source_dir(), &applied, &err) == 0
                 ? 0
                 : 1;
    if (rc != 0) {
        zw_logkv(ZW_LOG_ERROR, "migrations failed", "reason", db ? err.message : "out of memory",
                 NULL);
    } else {
        char n[16];
        snprintf(n, sizeof n, "%d", applied);
        zw_logkv(ZW_LOG_INFO, "migrations applied", "count", n, NULL);
    }
    zw_db_destroy(&db);
    return rc;
}

int zw_daemon_common_read(const zw_config_t *cfg, const char *section, zw_daemon_common_t *o,
                          zw_err_t *err)
{
    memset(o, 0, sizeof *o);
    o->conninfo = zw_config_str(cfg, "db_conninfo");
    if (!*o->conninfo)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "db_conninfo",
                           "db_conninfo: not set (in \"common\" or \"%s\")", section);
    o->broker_endpoints = zw_config_str(cfg, "broker_endpoint");
    const char *mode = zw_config_str(cfg, "clock_mode");
    if (strcmp(mode, "real") != 0 && strcmp(mode, "simulated") != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "clock_mode",
                           "clock_mode: '%s' is not real or simulated", mode);
    o->simulated = strcmp(mode, "simulated") == 0;
    o->calendar_file = zw_config_str(cfg, "calendar_file");
    o->curve_secret_key_file = zw_config_str(cfg, "curve_secret_key_file");
    o->broker_public_key = zw_config_str(cfg, "broker_public_key");
    if (!*o->curve_secret_key_file != !*o->broker_public_key)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "curve_secret_key_file",
                           "CURVE needs both curve_secret_key_file and broker_public_key");
    o->key_registry_file = zw_config_str(cfg, "key_registry_file");
    o->pub_endpoint = zw_config_str(cfg, "pub_endpoint");
    o->migrate = zw_config_bool(cfg, "migrate");
    o->log_level = zw_log_level_from_name(zw_config_str(cfg, "log_level"));
    if (o->log_level < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "log_level",
                           "log_level: '%s' is not debug, info, warn or error",
                           zw_config_str(cfg, "log_level"));
    int64_t v[5] = {0};
    if (zw_config_int_range(cfg, section, "heartbeat_ms", 0, 3600000, &v[0], err) ||
        zw_config_int_range(cfg, section, "relay_batch", 1, 100000, &v[1], err) ||
        zw_config_int_range(cfg, section, "relay_idle_ms", 1, 60000, &v[2], err) ||
        zw_config_int_range(cfg, section, "relay_busy_ms", 0, 60000, &v[3], err) ||
        zw_config_int_range(cfg, section, "event_retention_days", 0, ZW_RELAY_RETENTION_MAX_DAYS,
                            &v[4], err))
        return -1;
    o->heartbeat_ms = (int) v[0];
    o->relay_batch = (int) v[1];
    o->relay_idle_ms = (int) v[2];
    o->relay_busy_ms = (int) v[3];
    o->event_retention_days = (int) v[4];
    return 0;
}

/* The relays this process makes with ZW_RELAY_RETENTION_DAEMON follow the
 * config in force. A value out of range is left to the daemon's own read
 * of its settings, which refuses it (start) or the reload. */
static void s_retention_from(const zw_config_t *cfg)
{
    int64_t days = zw_config_int(cfg, "event_retention_days");
    if (days >= 0 && days <= ZW_RELAY_RETENTION_MAX_DAYS)
        zw_relay_set_daemon_retention((int) days);
}

bool zw_daemon_load(zw_daemon_t *d, const zw_daemon_spec_t *own, int argc, char **argv,
                    int *exit_code)
{
    memset(d, 0, sizeof *d);
    zw_daemon_signals(true);
    zw_log_init(own->name, ZW_LOG_INFO);
    d->spec = *own;
    size_t n_common;
    const zw_cfg_spec_t *common = zw_daemon_common_specs(&n_common);
    zw_cfg_spec_t *specs =
        zw_daemon_specs_join(common, n_common, own->specs, own->n_specs, &d->spec.n_specs);
    if (!specs) {
        fprintf(stderr, "%s: out of memory\n", own->name);
        *exit_code = 1;
        return false;
    }
    d->spec.specs = specs;
    if (!zw_daemon_parse(&d->spec, argc, argv, &d->args, exit_code)) {
        free(specs);
        memset(d, 0, sizeof *d);
        return false;
    }
    zw_err_t err;
    if (!(d->cfg = zw_daemon_reconfig(d, &err))) {
        *exit_code = zw_daemon_fail(own->name, "bad configuration", err.message);
        zw_daemon_free(d);
        return false;
    }
    s_retention_from(d->cfg);
    return true;
}

zw_config_t *zw_daemon_reconfig(const zw_daemon_t *d, zw_err_t *err)
{
    zw_config_t *cfg = zw_config_new(d->spec.specs, d->spec.n_specs);
    if (!cfg) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "bad settings table");
        return NULL;
    }
    if (zw_daemon_configure(&d->spec, &d->args, cfg, err) != 0)
        zw_config_destroy(&cfg);
    return cfg;
}

void zw_daemon_free(zw_daemon_t *d)
{
    zw_config_destroy(&d->cfg);
    zw_daemon_args_free(&d->args);
    free((void *) d->spec.specs);
    memset(d, 0, sizeof *d);
}

int zw_daemon_fail(const char *name, const char *what, const char *why)
{
    zw_logkv(ZW_LOG_ERROR, what, "reason", why, NULL);
    fprintf(stderr, "%s: %s: %s\n", name, what, why);
    return 1;
}

bool zw_daemon_db_ready(zw_db_t *db, const char *name, int *exit_code)
{
    zw_err_t err = {0};
    if (db && zw_db_wait_while(db, 30000, zw_daemon_stop_flag(), &err) == 0)
        return true;
    if (db && zw_daemon_stopping()) {
        zw_logkv(ZW_LOG_INFO, "stopped before the database was ready", NULL);
        *exit_code = 0;
    } else
        *exit_code = zw_daemon_fail_brief(name, "cannot reach the database",
                                          db ? err.message : "out of memory");
    return false;
}

int zw_daemon_fail_brief(const char *name, const char *what, const char *why)
{
    zw_logkv(ZW_LOG_ERROR, what, "reason", why, NULL);
    fprintf(stderr, "%s: %s\n", name, why);
    return 1;
}

zw_calendar_t *zw_daemon_calendar(const char *name, const char *file)
{
    zw_err_t err;
    const char *path = *file ? file : zw_calendar_default_path();
    zw_calendar_t *cal = zw_calendar_load(path, &err);
    if (!cal) {
        zw_logkv(ZW_LOG_ERROR, "cannot load the calendar", "path", path, "reason", err.message,
                 NULL);
        fprintf(stderr, "%s: calendar %s: %s\n", name, path, err.message);
    }
    return cal;
}

int zw_daemon_list(zw_daemon_list_t *l, const char *list)
{
    l->buf = strdup(list);
    l->n = l->buf ? zw_daemon_split(l->buf, l->v, ZW_DAEMON_MAX_ENDPOINTS) : -1;
    return l->n;
}

void zw_daemon_list_free(zw_daemon_list_t *l)
{
    free(l->buf);
    memset(l, 0, sizeof *l);
}

int zw_daemon_ctx_open(const char *conninfo, bool simulated, zw_daemon_prepare_fn *prepare,
                       zw_db_t **db, zw_clock_t **clock)
{
    *db = zw_db_new(conninfo);
    *clock = !*db ? NULL : simulated ? zw_clock_new_sim(*db) : zw_clock_new_real();
    zw_err_t err;
    if (!*db || !*clock || prepare(*db, &err) != 0) {
        zw_daemon_ctx_close(db, clock);
        return -1;
    }
    return 0;
}

void zw_daemon_ctx_close(zw_db_t **db, zw_clock_t **clock)
{
    zw_clock_destroy(clock); /* a simulated clock reads through *db */
    zw_db_destroy(db);
}

void zw_daemon_reload(const zw_daemon_t *d, zw_daemon_apply_fn *apply, void *arg, zw_auth_t *auth)
{
    zw_err_t err;
    zw_config_t *fresh = zw_daemon_reconfig(d, &err);
    /* ERROR, not WARN: the operator's change did not happen, which must
     * show even at log_level "error". */
    if (!fresh || zw_config_same_fixed(d->cfg, fresh, &err) != 0 || apply(fresh, arg, &err) != 0)
        zw_logkv(ZW_LOG_ERROR, "config not reloaded", "reason", err.message, NULL);
    else {
        s_retention_from(fresh);
        const char *level = zw_config_str(fresh, "log_level");
        int min_level = zw_log_level_from_name(level); /* checked by apply's read */
        if (min_level >= 0)
            zw_log_init(d->spec.name, (zw_log_level_t) min_level);
        zw_logkv(ZW_LOG_INFO, "config reloaded", "log_level", level, NULL);
    }
    zw_config_destroy(&fresh);
    if (zw_auth_is_curve(auth) && zw_auth_reload(auth, NULL, &err) != 0)
        zw_logkv(ZW_LOG_ERROR, "key registry not reloaded; the old one stays", "reason",
                 err.message, NULL);
}

bool zw_daemon_poll(zw_auth_t *auth, void *socket, long timeout_ms)
{
    zw_auth_zap_t *zap = zw_auth_zap(auth);
    zmq_pollitem_t items[2];
    int n = 0, zi = -1, si = -1;
    if (zap) {
        items[n] = (zmq_pollitem_t){zw_auth_zap_socket(zap), 0, ZMQ_POLLIN, 0};
        zi = n++;
    }
    if (socket) {
        items[n] = (zmq_pollitem_t){socket, 0, ZMQ_POLLIN, 0};
        si = n++;
    }
    if (zmq_poll(n ? items : NULL, n, timeout_ms) <= 0)
        return false;
    if (zi >= 0 && (items[zi].revents & ZMQ_POLLIN))
        zw_auth_zap_handle(zap);
    return si >= 0 && (items[si].revents & ZMQ_POLLIN);
}
