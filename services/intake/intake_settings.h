/* zwfw-intake's settings table (sections "common" and "intake" of the JSON
 * config, each overridable on the command line) and its translation into
 * the typed values the daemon uses. */
#ifndef ZW_INTAKE_SETTINGS_H
#define ZW_INTAKE_SETTINGS_H

#include "config.h"
#include "error.h"
#include "intake.h"
#include "log.h"

#include <stdbool.h>
#include <stddef.h>

/* intake's own settings (static storage) and their count; the daemon's
 * table is zw_daemon_common_specs() joined with these. */
const zw_cfg_spec_t *zw_intake_settings_table(size_t *count);

/* Everything the daemon needs beyond zw_intake_settings_t. Strings point
 * into the config table. */
typedef struct {
    const char *conninfo;
    const char *broker_endpoints; /* comma list */
    int threads, catalog_threads, clock_threads;
    int submit_batch; /* 1: no batcher */
    int submit_lanes; /* batching threads, 1..8 */
    int heartbeat_ms;
    bool simulated;
    const char *calendar_file, *regions_file, *pii_key_file;
    const char *curve_secret_key_file, *broker_public_key, *key_registry_file;
    const char *pub_endpoint;
    int relay_batch, relay_idle_ms, relay_busy_ms, sweep_ms;
    int event_retention_days; /* 0: keep every event */
    bool migrate;
    zw_log_level_t log_level;
} zw_intake_daemon_opts_t;

/* Reads and checks every setting: INVALID_ARGUMENT naming the first bad
 * one. `settings` gets everything but pii. */
int zw_intake_settings_read(const zw_config_t *cfg, zw_intake_daemon_opts_t *opts,
                            zw_intake_settings_t *settings, zw_err_t *err);

#endif
