#include "intake_settings.h"

#include "daemon.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static const zw_cfg_spec_t s_specs[] = {
    {"threads", ZW_CFG_INT, "32", false,
     "zwfw.intake worker threads (each its own connection): submissions in flight"},
    {"submit_batch", ZW_CFG_INT, "64", false,
     "most submissions committed in one transaction (group commit; 1: one each)"},
    {"submit_lanes", ZW_CFG_INT, "2", false,
     "batching threads (each its own connection): one works while another commits"},
    {"catalog_threads", ZW_CFG_INT, "2", false, "zwfw.catalog worker threads"},
    {"clock_threads", ZW_CFG_INT, "1", false, "zwfw.clock worker threads"},
    {"regions_file", ZW_CFG_STRING, "", false, "division codes (empty: the shipped table)"},
    {"pii_key_file", ZW_CFG_STRING, "", false,
     "data key for ID and phone numbers at rest: 64 hex digits, mode 0600 (required)"},
    {"sweep_ms", ZW_CFG_INT, "1000", true, "how often the 5-working-day rule is applied"},
    {"division_code", ZW_CFG_STRING, "500152", false, "6-digit division code: receipt numbers"},
    {"region", ZW_CFG_STRING, "", false,
     "region of applications other systems submit (empty: division_code)"},
    {"center_name", ZW_CFG_STRING, "重庆市潼南区政务服务中心", false,
     "the service center named on notices"},
    {"notice_workdays", ZW_CFG_INT, "5", false,
     "working days within which the one-time notice is due (行政许可法: 5)"},
    {"waiver_workdays", ZW_CFG_INT, "5", false, "working days to supply 容缺 materials"},
    {"receipt_block", ZW_CFG_INT, "100", false,
     "receipt numbers the daemon reserves at once (lost when it stops)"},
    {"reuse_exclude", ZW_CFG_STRING, "申请表,申请书,登记表,承诺书", false,
     "materials whose catalog name contains one of these (comma-separated) are per-application "
     "forms: never kept on file and reused"},
};

const zw_cfg_spec_t *zw_intake_settings_table(size_t *count)
{
    *count = sizeof s_specs / sizeof s_specs[0];
    return s_specs;
}

/* The range check of zw_config_int_range, into an int (ranges fit). */
static int s_int(const zw_config_t *cfg, const char *name, int64_t min, int64_t max, int *out,
                 zw_err_t *err)
{
    int64_t v = 0;
    if (zw_config_int_range(cfg, "intake", name, min, max, &v, err) != 0)
        return -1;
    *out = (int) v;
    return 0;
}

static bool s_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

int zw_intake_settings_read(const zw_config_t *cfg, zw_intake_daemon_opts_t *o,
                            zw_intake_settings_t *s, zw_err_t *err)
{
    memset(o, 0, sizeof *o);
    memset(s, 0, sizeof *s);
    zw_daemon_common_t c;
    if (zw_daemon_common_read(cfg, "intake", &c, err) != 0)
        return -1;
    o->conninfo = c.conninfo;
    o->broker_endpoints = c.broker_endpoints;
    o->simulated = c.simulated;
    o->calendar_file = c.calendar_file;
    o->regions_file = zw_config_str(cfg, "regions_file");
    o->pii_key_file = zw_config_str(cfg, "pii_key_file");
    if (!*o->pii_key_file)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "pii_key_file",
                           "pii_key_file: not set; personal data is never stored in clear "
                           "(deploy/zwfw up makes the key)");
    o->curve_secret_key_file = c.curve_secret_key_file;
    o->broker_public_key = c.broker_public_key;
    o->key_registry_file = c.key_registry_file;
    o->pub_endpoint = c.pub_endpoint;
    o->migrate = c.migrate;
    o->log_level = (zw_log_level_t) c.log_level;
    o->heartbeat_ms = c.heartbeat_ms;
    o->relay_batch = c.relay_batch;
    o->relay_idle_ms = c.relay_idle_ms;
    o->relay_busy_ms = c.relay_busy_ms;
    o->event_retention_days = c.event_retention_days;
    if (s_int(cfg, "threads", 1, 256, &o->threads, err) ||
        s_int(cfg, "submit_batch", 1, 1024, &o->submit_batch, err) ||
        s_int(cfg, "submit_lanes", 1, 8, &o->submit_lanes, err) ||
        s_int(cfg, "catalog_threads", 1, 64, &o->catalog_threads, err) ||
        s_int(cfg, "clock_threads", 1, 16, &o->clock_threads, err) ||
        s_int(cfg, "sweep_ms", 10, 3600000, &o->sweep_ms, err) ||
        s_int(cfg, "notice_workdays", 1, 60, &s->notice_workdays, err) ||
        s_int(cfg, "waiver_workdays", 1, 60, &s->waiver_workdays, err) ||
        s_int(cfg, "receipt_block", 1, 100000, &s->receipt_block, err))
        return -1;
    const char *division = zw_config_str(cfg, "division_code");
    if (!s_digits(division, 6))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "division_code",
                           "division_code: '%s' is not 6 digits", division);
    snprintf(s->division, sizeof s->division, "%s", division);
    const char *region = zw_config_str(cfg, "region");
    if (*region && !s_digits(region, 6) && !s_digits(region, 12))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "region",
                           "region: '%s' is not a 6- or 12-digit division code", region);
    snprintf(s->region, sizeof s->region, "%s", *region ? region : division);
    const char *center = zw_config_str(cfg, "center_name");
    if (strlen(center) >= sizeof s->center)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "center_name", "center_name: too long");
    snprintf(s->center, sizeof s->center, "%s", center);
    const char *reuse = zw_config_str(cfg, "reuse_exclude");
    if (strlen(reuse) >= sizeof s->reuse_exclude)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "reuse_exclude", "reuse_exclude: too long");
    snprintf(s->reuse_exclude, sizeof s->reuse_exclude, "%s", reuse);
    zw_err_t herr;
    if (zw_workhours_parse(zw_config_str(cfg, "working_hours"), &s->hours, &herr) != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "working_hours", "working_hours: %s",
                           herr.message);
    return 0;
}
