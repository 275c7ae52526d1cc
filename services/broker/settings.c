#include "settings.h"

#include "mdp.h"

#include <limits.h>

#define S_STR2(x) #x
#define S_STR(x) S_STR2(x)

static const zw_cfg_spec_t s_specs[] = {
    {"endpoint", ZW_CFG_STRING, "tcp://127.0.0.1:5555", false,
     "where to listen; several separated by commas (--endpoint may repeat)"},
    {"heartbeat_ms", ZW_CFG_INT, S_STR(ZW_MDP_HEARTBEAT_MS), false,
     "HEARTBEAT to a worker the broker has sent nothing to for this long"},
    {"liveness", ZW_CFG_INT, S_STR(ZW_MDP_LIVENESS), false,
     "an idle worker silent for heartbeat_ms * liveness is deleted"},
    {"busy_timeout_ms", ZW_CFG_INT, "0", false,
     "a worker holding one request this long is deleted (0: never)"},
    {"request_wait_ms", ZW_CFG_INT, "5000", false,
     "how long a request waits for a worker of its service"},
    {"max_queue", ZW_CFG_INT, "10000", false, "queued requests per service; more are refused"},
    {"max_msg_size", ZW_CFG_INT, "16777216", false,
     "largest frame accepted (ZMQ_MAXMSGSIZE); a peer sending more is cut off"},
    {"busy_poll_us", ZW_CFG_INT, "0", false,
     "after a request or reply, poll this long (microseconds) without sleeping; 0: off"},
    {"plain_key_id", ZW_CFG_STRING, "local", false, "plain mode: the caller's key id"},
    {"plain_role", ZW_CFG_STRING, "operator", false, "plain mode: the caller's role"},
    {"plain_region", ZW_CFG_STRING, "500152", false, "plain mode: the caller's region code"},
    {"plain_department", ZW_CFG_STRING, "", false, "plain mode: the caller's department"},
    {"curve_secret_key_file", ZW_CFG_STRING, "", false,
     "the broker's own CURVE key pair (NAME.secret); with key_registry_file: CURVE mode"},
    {"key_registry_file", ZW_CFG_STRING, "", false,
     "JSON list of the client keys admitted, with their roles; re-read on SIGHUP"},
    {"log_level", ZW_CFG_STRING, "info", true, "debug, info, warn or error"},
    /* Shared files put the database in "common"; the broker has none, but
     * must not refuse the file for it. */
    {"db_conninfo", ZW_CFG_STRING, "", false, "not used by the broker"},
};

const zw_cfg_spec_t *zw_broker_settings(size_t *count)
{
    *count = sizeof s_specs / sizeof s_specs[0];
    return s_specs;
}

int zw_broker_settings_opts(const zw_config_t *cfg, zw_broker_opts_t *opts, zw_err_t *err)
{
    zw_broker_opts_defaults(opts);
    int64_t hb = 0, liveness = 0, busy = 0, wait = 0, queue = 0, size = 0, spin = 0;
    if (zw_config_int_range(cfg, "broker", "heartbeat_ms", 1, 3600 * 1000, &hb, err) != 0 ||
        zw_config_int_range(cfg, "broker", "liveness", 1, 100, &liveness, err) != 0 ||
        zw_config_int_range(cfg, "broker", "busy_timeout_ms", 0, INT_MAX, &busy, err) != 0 ||
        zw_config_int_range(cfg, "broker", "request_wait_ms", 0, INT_MAX, &wait, err) != 0 ||
        zw_config_int_range(cfg, "broker", "max_queue", 0, INT_MAX, &queue, err) != 0 ||
        zw_config_int_range(cfg, "broker", "max_msg_size", 1024, INT64_MAX, &size, err) != 0 ||
        zw_config_int_range(cfg, "broker", "busy_poll_us", 0, ZW_BROKER_BUSY_POLL_MAX_US, &spin,
                            err) != 0)
        return -1;
    opts->heartbeat_ms = (int) hb;
    opts->liveness = (int) liveness;
    opts->busy_timeout_ms = (int) busy;
    opts->request_wait_ms = (int) wait;
    opts->max_queue = (size_t) queue;
    opts->max_msg_size = size;
    opts->busy_poll_us = (int) spin;
    opts->plain_identity.key_id = zw_config_str(cfg, "plain_key_id");
    opts->plain_identity.role = zw_config_str(cfg, "plain_role");
    opts->plain_identity.region = zw_config_str(cfg, "plain_region");
    opts->plain_identity.department = zw_config_str(cfg, "plain_department");
    if (zw_envelope_role_from_name(opts->plain_identity.role) < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "plain_role",
                           "broker.plain_role: '%s' is not a role (window, approver, head, "
                           "supervisor, operator, partner, system, integrator)",
                           opts->plain_identity.role);
    return 0;
}

int zw_broker_settings_log_level(const zw_config_t *cfg, zw_log_level_t *level, zw_err_t *err)
{
    const char *name = zw_config_str(cfg, "log_level");
    int v = zw_log_level_from_name(name);
    if (v < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "log_level",
                           "log_level: '%s' is not debug, info, warn or error", name);
    *level = (zw_log_level_t) v;
    return 0;
}
