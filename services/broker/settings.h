/* zw_broker_settings: the broker's settings table (section "broker" of the
 * JSON config, overridable on the command line) and its translation into
 * zw_broker_opts_t. */
#ifndef ZW_BROKER_SETTINGS_H
#define ZW_BROKER_SETTINGS_H

#include "broker.h"
#include "config.h"
#include "log.h"

#include <stddef.h>

/* The table (static storage) and its length. */
const zw_cfg_spec_t *zw_broker_settings(size_t *count);

/* Reads the engine options from cfg (strings point into cfg and stay valid
 * until cfg changes). INVALID_ARGUMENT, naming the setting, for a value out
 * of range or an unknown role. */
int zw_broker_settings_opts(const zw_config_t *cfg, zw_broker_opts_t *opts, zw_err_t *err);

/* The configured log level; INVALID_ARGUMENT if log_level is not one of
 * debug, info, warn, error. */
int zw_broker_settings_log_level(const zw_config_t *cfg, zw_log_level_t *level, zw_err_t *err);

#endif
