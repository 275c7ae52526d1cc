/* zwfw-xregion's settings table (sections "common" and "xregion" of the
 * JSON config, each overridable on the command line) and the typed values
 * the daemon reads from it. Names shared with the other daemons mean the
 * same. */
#ifndef ZW_XREGION_SETTINGS_H
#define ZW_XREGION_SETTINGS_H

#include "config.h"
#include "daemon.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

const zw_cfg_spec_t *zw_xregion_settings_table(size_t *count);

typedef struct {
    zw_daemon_common_t c;
    int threads;
    const char *region, *pii_key_file, *regions_file;
    const char *link_endpoint, *link_secret_key_file;
    int link_heartbeat_ms, link_ack_timeout_ms, link_retry_max_ms, link_window;
    const char *intake_pub_endpoints, *intake_public_key, *intake_broker_endpoints;
    int consumer_quiet_ms, submit_timeout_ms, partners_poll_ms, outbound_keep_days;
} zw_xregion_opts_t;

/* INVALID_ARGUMENT naming the first bad setting. */
int zw_xregion_settings_read(const zw_config_t *cfg, zw_xregion_opts_t *o, zw_err_t *err);

#endif
