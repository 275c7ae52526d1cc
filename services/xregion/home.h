/* zwfw-xregion's home side: a thread of its own that submits the parts
 * partners sent (committed by the link as PART_STAGE_DELIVERED), and the
 * local parts of 多地联办 exchanges received here (stored DELIVERED), to
 * this deployment's zwfw.intake through the broker, and follows intake's
 * event stream so every change of those applications goes back to the
 * origin as an XrStatus, or shows on the local part (apply.c). It has its
 * own database connection and its own broker client; the SUB socket (if
 * any) is made by main and used by this thread only. */
#ifndef ZW_XREGION_HOME_H
#define ZW_XREGION_HOME_H

#include "auth_keys.h"
#include "xregion.h"

#include <signal.h>

typedef struct zw_xregion_home zw_xregion_home_t;

typedef struct {
    const char *conninfo;
    bool simulated;
    const zw_xregion_settings_t *settings;
    void *zmq_ctx;
    const char *const *broker_endpoints;
    size_t n_broker_endpoints;
    const zw_auth_client_t *curve; /* NULL: plain */
    const char *const *intake_pub_endpoints;
    size_t n_intake_pub_endpoints;
    void *sub; /* a configured SUB socket for those endpoints, or NULL */
    int consumer_quiet_ms, submit_timeout_ms, submit_poll_ms;
    const volatile sig_atomic_t *stop; /* the thread ends when it is set */
} zw_xregion_home_config_t;

zw_xregion_home_t *zw_xregion_home_new(const zw_xregion_home_config_t *cfg, zw_err_t *err);
int zw_xregion_home_start(zw_xregion_home_t *self, zw_err_t *err);
/* Joins the thread (set *stop first). */
void zw_xregion_home_destroy(zw_xregion_home_t **self_p);

#endif
