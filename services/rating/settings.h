/* zwfw-rating's settings table (sections "common" and "rating" of the JSON
 * config, each overridable on the command line) and the typed values the
 * daemon reads from it. Names shared with the other daemons (clock_mode,
 * calendar_file, broker_endpoint...) mean the same. */
#ifndef ZW_RATING_SETTINGS_H
#define ZW_RATING_SETTINGS_H

#include "config.h"
#include "daemon.h"
#include "error.h"
#include "log.h"

#include <stdbool.h>
#include <stddef.h>

/* rating's own settings (static storage) and their count. */
const zw_cfg_spec_t *zw_rating_settings_table(size_t *count);

/* The common settings and rating's own. */
typedef struct {
    zw_daemon_common_t c;
    int threads;
    int case_workdays;
    int sweep_ms, clock_poll_ms;
} zw_rating_opts_t;

/* Reads and checks every setting: INVALID_ARGUMENT naming the first bad
 * one. */
int zw_rating_settings_read(const zw_config_t *cfg, zw_rating_opts_t *o, zw_err_t *err);

#endif
