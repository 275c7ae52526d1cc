/* zwfw-rating's settings (settings.h). */
#include "settings.h"

#include "rules.h"

#include <string.h>

static const zw_cfg_spec_t s_specs[] = {
    {"threads", ZW_CFG_INT, "4", false, "zwfw.rating worker threads (each its own connection)"},
    {"case_workdays", ZW_CFG_INT, "10", false,
     "working days a 差评's rectification case has, 5-15 (its due date)"},
    {"sweep_ms", ZW_CFG_INT, "1000", true, "the overdue sweep runs at least this often"},
    {"clock_poll_ms", ZW_CFG_INT, "100", true,
     "simulated clock: read it this often; a move wakes the sweep at once"},
};

const zw_cfg_spec_t *zw_rating_settings_table(size_t *count)
{
    *count = sizeof s_specs / sizeof s_specs[0];
    return s_specs;
}

int zw_rating_settings_read(const zw_config_t *cfg, zw_rating_opts_t *o, zw_err_t *err)
{
    memset(o, 0, sizeof *o);
    o->conninfo = zw_config_str(cfg, "db_conninfo");
    if (!*o->conninfo)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "db_conninfo",
                           "db_conninfo: not set (in \"common\" or \"rating\")");
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
    int level = zw_log_level_from_name(zw_config_str(cfg, "log_level"));
    if (level < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "log_level",
                           "log_level: '%s' is not debug, info, warn or error",
                           zw_config_str(cfg, "log_level"));
    o->log_level = (zw_log_level_t) level;
    int64_t v[8] = {0};
    if (zw_config_int_range(cfg, "rating", "threads", 1, 256, &v[0], err) ||
        zw_config_int_range(cfg, "rating", "heartbeat_ms", 0, 3600000, &v[1], err) ||
        zw_config_int_range(cfg, "rating", "case_workdays", ZW_RATING_WORKDAYS_MIN,
                            ZW_RATING_WORKDAYS_MAX, &v[2], err) ||
        zw_config_int_range(cfg, "rating", "relay_batch", 1, 100000, &v[3], err) ||
        zw_config_int_range(cfg, "rating", "relay_idle_ms", 1, 60000, &v[4], err) ||
        zw_config_int_range(cfg, "rating", "relay_busy_ms", 0, 60000, &v[5], err) ||
        zw_config_int_range(cfg, "rating", "sweep_ms", 10, 3600000, &v[6], err) ||
        zw_config_int_range(cfg, "rating", "clock_poll_ms", 10, 60000, &v[7], err))
        return -1;
    o->threads = (int) v[0];
    o->heartbeat_ms = (int) v[1];
    o->case_workdays = (int) v[2];
    o->relay_batch = (int) v[3];
    o->relay_idle_ms = (int) v[4];
    o->relay_busy_ms = (int) v[5];
    o->sweep_ms = (int) v[6];
    o->clock_poll_ms = (int) v[7];
    return 0;
}
