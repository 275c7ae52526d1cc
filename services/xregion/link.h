/* zwfw-xregion's partner links (docs/protocol.md section 10), run by the
 * daemon's main thread:
 *
 * - a ROUTER bound at link_endpoint, a CURVE server with the link key,
 *   whose own ZAP handler (in a context of its own) admits the public keys
 *   of the enabled partners only, each as role partner of its region;
 * - one DEALER per enabled partner with an endpoint, a CURVE client that
 *   knows the partner's public key, sending what xregion.outbound holds
 *   for it in id order, up to link_window at once, again after
 *   link_ack_timeout_ms doubling up to link_retry_max_ms, until the
 *   partner answers ACK (committed) or NAK (refused);
 * - PING every link_heartbeat_ms; a partner heard from (PONG, ACK, NAK or
 *   its own messages) within 3 beats is up.
 *
 * Once an hour, answered messages older than keep_days are deleted (the
 * message log keeps their hash and outcome).
 *
 * The partner registry is read again every partners_poll_ms and at once
 * after zw_xregion_link_poke. */
#ifndef ZW_XREGION_LINK_H
#define ZW_XREGION_LINK_H

#include "xregion.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct zw_xregion_link zw_xregion_link_t;

typedef struct {
    const char *endpoint;        /* "" : links off */
    const char *secret_key_file; /* the link key pair */
    int heartbeat_ms, ack_timeout_ms, retry_max_ms, window, partners_poll_ms;
    int keep_days; /* answered messages are deleted after this long (business days) */
} zw_xregion_link_config_t;

/* Borrows ctx (the main thread's connection). With links off it only
 * answers status queries. NULL with *err when the key cannot be read or
 * the endpoint cannot be bound. *public_key (ZW_AUTH_Z85_LEN + 1 bytes)
 * gets the link public key ("" when off). */
zw_xregion_link_t *zw_xregion_link_new(zw_xregion_ctx_t *ctx, const zw_xregion_link_config_t *cfg,
                                       char *public_key, zw_err_t *err);
void zw_xregion_link_destroy(zw_xregion_link_t **self_p);

/* Waits up to timeout_ms for link traffic and does what is due. */
void zw_xregion_link_run(zw_xregion_link_t *self, int timeout_ms);

/* Any thread: something was queued or a partner changed. */
void zw_xregion_link_poke(void);

typedef struct {
    bool up;
    int64_t last_heard_ms_ago; /* -1: never */
    int64_t queued, refused;   /* left 0 here: the store counts them */
} zw_xregion_link_view_t;

/* Any thread: this replica's view of the link to region. */
void zw_xregion_link_status(const char *region, zw_xregion_link_view_t *out);

#endif
