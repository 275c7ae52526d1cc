#include "settings.h"

#include <string.h>

static const zw_cfg_spec_t s_specs[] = {
    {"threads", ZW_CFG_INT, "4", false, "zwfw.workflow worker threads (each its own connection)"},
    {"warning_minutes", ZW_CFG_INT, "0", false,
     "超期预警 when fewer working minutes than this remain (0: one working day)"},
    {"definitions_dir", ZW_CFG_STRING, "", false,
     "process definitions (*.json) stored at start (empty: the shipped deploy/workflow)"},
    {"intake_pub_endpoint", ZW_CFG_STRING, "", false,
     "zwfw-intake's event PUB endpoints, comma-separated (empty: read the log only)"},
    {"intake_public_key", ZW_CFG_STRING, "", false,
     "zwfw-intake's public key for a CURVE SUB socket (file or Z85)"},
    {"consumer_quiet_ms", ZW_CFG_INT, "500", false,
     "read intake's events from the log after this long without a doorbell"},
    {"sweep_ms", ZW_CFG_INT, "1000", true, "the alarm sweep runs at least this often"},
    {"clock_poll_ms", ZW_CFG_INT, "100", true,
     "simulated clock: read it this often; a move wakes the sweep at once"},
    {"sweep_batch", ZW_CFG_INT, "1000", true, "instances one sweep looks at, at most"},
    {"sweep_retry_s", ZW_CFG_INT, "300", true,
     "business seconds before an instance whose sweep failed is tried again"},
};

const zw_cfg_spec_t *zw_wf_settings_table(size_t *count)
{
    *count = sizeof s_specs / sizeof s_specs[0];
    return s_specs;
}

int zw_wf_settings_read(const zw_config_t *cfg, zw_wf_opts_t *o, zw_err_t *err)
{
    memset(o, 0, sizeof *o);
    o->conninfo = zw_config_str(cfg, "db_conninfo");
    if (!*o->conninfo)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "db_conninfo",
                           "db_conninfo: not set (in \"common\" or \"workflow\")");
    o->broker_endpoints = zw_config_str(cfg, "broker_endpoint");
    const char *mode = zw_config_str(cfg, "clock_mode");
    if (strcmp(mode, "real") != 0 && strcmp(mode, "simulated") != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "clock_mode",
                           "clock_mode: '%s' is not real or simulated", mode);
    o->simulated = strcmp(mode, "simulated") == 0;
    o->calendar_file = zw_config_str(cfg, "calendar_file");
    o->definitions_dir = zw_config_str(cfg, "definitions_dir");
    zw_err_t herr;
    if (zw_workhours_parse(zw_config_str(cfg, "working_hours"), &o->hours, &herr) != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours", "working_hours: %s",
                           herr.message);
    o->curve_secret_key_file = zw_config_str(cfg, "curve_secret_key_file");
    o->broker_public_key = zw_config_str(cfg, "broker_public_key");
    if (!*o->curve_secret_key_file != !*o->broker_public_key)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "curve_secret_key_file",
                           "CURVE needs both curve_secret_key_file and broker_public_key");
    o->key_registry_file = zw_config_str(cfg, "key_registry_file");
    o->pub_endpoint = zw_config_str(cfg, "pub_endpoint");
    o->intake_pub_endpoints = zw_config_str(cfg, "intake_pub_endpoint");
    o->intake_public_key = zw_config_str(cfg, "intake_public_key");
    if (*o->intake_public_key && !*o->curve_secret_key_file)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "intake_public_key",
                           "intake_public_key needs curve_secret_key_file (this daemon's pair)");
    o->migrate = zw_config_bool(cfg, "migrate");
    int level = zw_log_level_from_name(zw_config_str(cfg, "log_level"));
    if (level < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "log_level",
                           "log_level: '%s' is not debug, info, warn or error",
                           zw_config_str(cfg, "log_level"));
    o->log_level = (zw_log_level_t) level;
    int64_t v[11] = {0};
    if (zw_config_int_range(cfg, "workflow", "threads", 1, 256, &v[0], err) ||
        zw_config_int_range(cfg, "workflow", "heartbeat_ms", 0, 3600000, &v[1], err) ||
        zw_config_int_range(cfg, "workflow", "warning_minutes", 0, 1000000, &v[2], err) ||
        zw_config_int_range(cfg, "workflow", "consumer_quiet_ms", 10, 3600000, &v[3], err) ||
        zw_config_int_range(cfg, "workflow", "relay_batch", 1, 100000, &v[4], err) ||
        zw_config_int_range(cfg, "workflow", "relay_idle_ms", 1, 60000, &v[5], err) ||
        zw_config_int_range(cfg, "workflow", "sweep_ms", 10, 3600000, &v[6], err) ||
        zw_config_int_range(cfg, "workflow", "clock_poll_ms", 10, 60000, &v[7], err) ||
        zw_config_int_range(cfg, "workflow", "sweep_batch", 1, 1000000, &v[8], err) ||
        zw_config_int_range(cfg, "workflow", "sweep_retry_s", 1, 86400 * 30, &v[9], err) ||
        zw_config_int_range(cfg, "workflow", "relay_busy_ms", 0, 60000, &v[10], err))
        return -1;
    o->threads = (int) v[0];
    o->heartbeat_ms = (int) v[1];
    o->warn_minutes = v[2] ? v[2] : zw_workhours_minutes_per_day(&o->hours);
    o->consumer_quiet_ms = (int) v[3];
    o->relay_batch = (int) v[4];
    o->relay_idle_ms = (int) v[5];
    o->sweep_ms = (int) v[6];
    o->clock_poll_ms = (int) v[7];
    o->sweep_batch = (int) v[8];
    o->sweep_retry_s = v[9];
    o->relay_busy_ms = (int) v[10];
    return 0;
}
