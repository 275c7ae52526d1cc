/* zwfw-workflow's settings table (sections "common" and "workflow" of the
 * JSON config, each overridable on the command line) and the typed values
 * the daemon reads from it. Names shared with zwfw-intake (clock_mode,
 * working_hours, calendar_file, broker_endpoint...) mean the same, so one
 * "common" section serves both. */
#ifndef ZW_WF_SETTINGS_H
#define ZW_WF_SETTINGS_H

#include "config.h"
#include "error.h"
#include "log.h"
#include "workhours.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* workflow's own settings (static storage) and their count; the daemon's
 * table is zw_daemon_common_specs() joined with these. */
const zw_cfg_spec_t *zw_wf_settings_table(size_t *count);

/* Strings point into the config table. */
typedef struct {
    const char *conninfo;
    const char *broker_endpoints; /* comma list */
    int threads, heartbeat_ms;
    bool simulated;
    const char *calendar_file, *definitions_dir;
    zw_workhours_t hours;
    int64_t warn_minutes; /* 0 in the file: one working day of `hours` */
    const char *curve_secret_key_file, *broker_public_key, *key_registry_file;
    const char *pub_endpoint;
    const char *intake_pub_endpoints, *intake_public_key;
    int consumer_quiet_ms, relay_batch, relay_idle_ms, relay_busy_ms;
    int sweep_ms, clock_poll_ms, sweep_batch;
    int64_t sweep_retry_s;
    bool migrate;
    zw_log_level_t log_level;
} zw_wf_opts_t;

/* Reads and checks every setting: INVALID_ARGUMENT naming the first bad
 * one. */
int zw_wf_settings_read(const zw_config_t *cfg, zw_wf_opts_t *o, zw_err_t *err);

#endif
