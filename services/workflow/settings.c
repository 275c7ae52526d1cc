#include "settings.h"

#include "daemon.h"

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
    zw_daemon_common_t c;
    if (zw_daemon_common_read(cfg, "workflow", &c, err) != 0)
        return -1;
    o->conninfo = c.conninfo;
    o->broker_endpoints = c.broker_endpoints;
    o->simulated = c.simulated;
    o->calendar_file = c.calendar_file;
    o->definitions_dir = zw_config_str(cfg, "definitions_dir");
    zw_err_t herr;
    if (zw_workhours_parse(zw_config_str(cfg, "working_hours"), &o->hours, &herr) != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours", "working_hours: %s",
                           herr.message);
    o->curve_secret_key_file = c.curve_secret_key_file;
    o->broker_public_key = c.broker_public_key;
    o->key_registry_file = c.key_registry_file;
    o->pub_endpoint = c.pub_endpoint;
    o->intake_pub_endpoints = zw_config_str(cfg, "intake_pub_endpoint");
    o->intake_public_key = zw_config_str(cfg, "intake_public_key");
    if (*o->intake_public_key && !*o->curve_secret_key_file)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "intake_public_key",
                           "intake_public_key needs curve_secret_key_file (this daemon's pair)");
    o->migrate = c.migrate;
    o->log_level = (zw_log_level_t) c.log_level;
    o->heartbeat_ms = c.heartbeat_ms;
    o->relay_batch = c.relay_batch;
    o->relay_idle_ms = c.relay_idle_ms;
    o->relay_busy_ms = c.relay_busy_ms;
    int64_t v[7] = {0};
    if (zw_config_int_range(cfg, "workflow", "threads", 1, 256, &v[0], err) ||
        zw_config_int_range(cfg, "workflow", "warning_minutes", 0, 1000000, &v[1], err) ||
        zw_config_int_range(cfg, "workflow", "consumer_quiet_ms", 10, 3600000, &v[2], err) ||
        zw_config_int_range(cfg, "workflow", "sweep_ms", 10, 3600000, &v[3], err) ||
        zw_config_int_range(cfg, "workflow", "clock_poll_ms", 10, 60000, &v[4], err) ||
        zw_config_int_range(cfg, "workflow", "sweep_batch", 1, 1000000, &v[5], err) ||
        zw_config_int_range(cfg, "workflow", "sweep_retry_s", 1, 86400 * 30, &v[6], err))
        return -1;
    o->threads = (int) v[0];
    o->warn_minutes = v[1] ? v[1] : zw_workhours_minutes_per_day(&o->hours);
    o->consumer_quiet_ms = (int) v[2];
    o->sweep_ms = (int) v[3];
    o->clock_poll_ms = (int) v[4];
    o->sweep_batch = (int) v[5];
    o->sweep_retry_s = v[6];
    return 0;
}
