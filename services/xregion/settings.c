/* zwfw-xregion's settings (settings.h). */
#include "settings.h"

#include "rules.h"

#include <string.h>

static const zw_cfg_spec_t s_specs[] = {
    {"threads", ZW_CFG_INT, "2", false, "zwfw.xregion worker threads (each its own connection)"},
    {"region", ZW_CFG_STRING, "", false,
     "this deployment's 6-digit division code (required), e.g. 500152"},
    {"pii_key_file", ZW_CFG_STRING, "", false,
     "the data key sealing personal data at rest (required; the one intake uses)"},
    {"regions_file", ZW_CFG_STRING, "", false, "division codes (empty: the shipped table)"},
    {"link_endpoint", ZW_CFG_STRING, "", false,
     "where partners connect, e.g. tcp://*:5570 (empty: no partner links)"},
    {"link_secret_key_file", ZW_CFG_STRING, "", false,
     "this deployment's link key pair (its public key goes to partners); with link_endpoint"},
    {"link_heartbeat_ms", ZW_CFG_INT, "2000", false,
     "a partner link is pinged this often; 3 silent beats mark it down"},
    {"link_ack_timeout_ms", ZW_CFG_INT, "3000", false,
     "a message not acknowledged in this time is sent again, the wait doubling"},
    {"link_retry_max_ms", ZW_CFG_INT, "60000", false, "the longest wait between two sends"},
    {"link_window", ZW_CFG_INT, "64", false, "messages in flight to one partner, at most"},
    {"intake_pub_endpoint", ZW_CFG_STRING, "", false,
     "zwfw-intake's event PUB endpoints, comma-separated (empty: read the log only)"},
    {"intake_public_key", ZW_CFG_STRING, "", false,
     "zwfw-intake's public key for a CURVE SUB socket (file or Z85)"},
    {"intake_broker_endpoint", ZW_CFG_STRING, "", false,
     "brokers for this daemon's own requests to zwfw.catalog and zwfw.intake, comma-separated "
     "(empty: broker_endpoint)"},
    {"consumer_quiet_ms", ZW_CFG_INT, "500", false,
     "read intake's events from the log after this long without a doorbell"},
    {"submit_timeout_ms", ZW_CFG_INT, "5000", false,
     "a partner's part submitted to this intake waits this long for its reply"},
    {"outbound_keep_days", ZW_CFG_INT, "30", false,
     "answered messages (their sealed bodies) are deleted after this many days; the message "
     "log keeps their hash"},
    {"partners_poll_ms", ZW_CFG_INT, "1000", false,
     "the link reads the partner registry this often (a PutPartner shows within it)"},
};

const zw_cfg_spec_t *zw_xregion_settings_table(size_t *count)
{
    *count = sizeof s_specs / sizeof s_specs[0];
    return s_specs;
}

int zw_xregion_settings_read(const zw_config_t *cfg, zw_xregion_opts_t *o, zw_err_t *err)
{
    memset(o, 0, sizeof *o);
    if (zw_daemon_common_read(cfg, "xregion", &o->c, err) != 0)
        return -1;
    o->region = zw_config_str(cfg, "region");
    if (!zw_xregion_digits6(o->region))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "region",
                           "region: this deployment's 6-digit division code is required");
    o->pii_key_file = zw_config_str(cfg, "pii_key_file");
    if (!*o->pii_key_file)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "pii_key_file",
                           "pii_key_file: not set; personal data is never stored in clear");
    o->regions_file = zw_config_str(cfg, "regions_file");
    o->link_endpoint = zw_config_str(cfg, "link_endpoint");
    o->link_secret_key_file = zw_config_str(cfg, "link_secret_key_file");
    if (!*o->link_endpoint != !*o->link_secret_key_file)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "link_secret_key_file",
                           "link_endpoint and link_secret_key_file go together: a partner link "
                           "is always CURVE");
    o->intake_pub_endpoints = zw_config_str(cfg, "intake_pub_endpoint");
    o->intake_public_key = zw_config_str(cfg, "intake_public_key");
    o->intake_broker_endpoints = zw_config_str(cfg, "intake_broker_endpoint");
    if (!*o->intake_broker_endpoints)
        o->intake_broker_endpoints = o->c.broker_endpoints;
    if (*o->intake_public_key && !*o->c.curve_secret_key_file)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "intake_public_key",
                           "intake_public_key needs curve_secret_key_file (this daemon's pair)");
    int64_t v[9] = {0}, keep = 0;
    if (zw_config_int_range(cfg, "xregion", "threads", 1, 64, &v[0], err) ||
        zw_config_int_range(cfg, "xregion", "link_heartbeat_ms", 100, 600000, &v[1], err) ||
        zw_config_int_range(cfg, "xregion", "link_ack_timeout_ms", 100, 600000, &v[2], err) ||
        zw_config_int_range(cfg, "xregion", "link_retry_max_ms", 100, 3600000, &v[3], err) ||
        zw_config_int_range(cfg, "xregion", "link_window", 1, 10000, &v[4], err) ||
        zw_config_int_range(cfg, "xregion", "consumer_quiet_ms", 10, 3600000, &v[5], err) ||
        zw_config_int_range(cfg, "xregion", "submit_timeout_ms", 100, 600000, &v[6], err) ||
        zw_config_int_range(cfg, "xregion", "partners_poll_ms", 10, 600000, &v[7], err) ||
        zw_config_int_range(cfg, "xregion", "outbound_keep_days", 1, 3650, &keep, err))
        return -1;
    o->threads = (int) v[0];
    o->link_heartbeat_ms = (int) v[1];
    o->link_ack_timeout_ms = (int) v[2];
    o->link_retry_max_ms = (int) v[3];
    o->link_window = (int) v[4];
    o->consumer_quiet_ms = (int) v[5];
    o->submit_timeout_ms = (int) v[6];
    o->partners_poll_ms = (int) v[7];
    o->outbound_keep_days = (int) keep;
    return 0;
}
