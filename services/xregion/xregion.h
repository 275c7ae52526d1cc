/* zwfw-xregion's pieces and what they share. main.c wires them:
 *
 *   settings.c  the configuration table
 *   rules.c     the exchange's rules (pure)
 *   store.c     the SQL, and rows as zwfw.v1 messages in an arena
 *   service.c   zwfw.xregion changes (worker threads)
 *   read.c      zwfw.xregion reads, on one driver (worker threads)
 *   apply.c     what a partner's message does here, and the status
 *               messages this side owes (one transaction each)
 *   home.c      the home side's thread: submits partners' parts (and the
 *               local parts of 多地联办 exchanges received here) to this
 *               deployment's intake and follows intake's events back
 *   link.c      the partner links (main thread): the link ROUTER, one
 *               DEALER per partner, acknowledgements, heartbeats, resends
 *
 * docs/protocol.md section 10 describes the exchange and the link. */
#ifndef ZW_XREGION_H
#define ZW_XREGION_H

#include "arena.h"
#include "clock.h"
#include "db.h"
#include "mdp_reply.h"
#include "pii.h"
#include "rules.h"
#include "validate.h"
#include "zwfw/v1/xregion.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZW_XREGION_STREAM "xregion"
#define ZW_XREGION_PRODUCER "zwfw-xregion"
#define ZW_XREGION_REQUESTS "xregion.requests"
/* Its consumer of intake's events (home.c). */
#define ZW_XREGION_CONSUMER "xregion.on-intake"
/* The link's first frame (docs/protocol.md section 10). */
#define ZW_XREGION_LINK_PROTO "ZWXR01"
/* Sealing labels of the two sealed columns. */
#define ZW_XREGION_SEAL_BODY "xregion.body"
#define ZW_XREGION_SEAL_MSG "xregion.msg"
#define ZW_XREGION_MAX_PARTS 8

/* Read-only after start, shared by every thread. */
typedef struct {
    const char *region; /* this deployment's division code */
    const zw_pii_t *pii;
    const zw_regions_t *regions; /* names of division codes */
    const char *link_public_key; /* "" when links are off */
    const char *link_endpoint;   /* as configured ("" when off) */
} zw_xregion_settings_t;

typedef struct {
    zw_db_t *db;
    zw_clock_t *clock;
    const zw_xregion_settings_t *settings;
} zw_xregion_ctx_t;

zw_xregion_ctx_t *zw_xregion_ctx_new(const char *conninfo, bool simulated,
                                     const zw_xregion_settings_t *settings);
void zw_xregion_ctx_destroy(zw_xregion_ctx_t **self_p);

/* The worker handler (mdp_worker.h) of zwfw.xregion. */
void zw_xregion_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply);

/* ---- the store (store.c) ------------------------------------------------------- */

int zw_xregion_store_prepare(zw_db_t *db, zw_err_t *err);

/* A partner as a message in the arena (link fields left for the caller);
 * *out NULL when there is none. */
int zw_xregion_store_partner(zw_db_t *db, zw_arena_t *a, const char *region,
                             Zwfw__V1__Partner **out, zw_err_t *err);
/* Every partner, in region order. */
int zw_xregion_store_partners(zw_db_t *db, zw_arena_t *a, Zwfw__V1__Partner ***out, size_t *n,
                              zw_err_t *err);
/* An exchange with its parts (and its history when `history`); the
 * applicant in clear when `clear`, else masked. *out NULL when none. */
int zw_xregion_store_exchange(zw_xregion_ctx_t *ctx, zw_db_t *db, zw_arena_t *a, const char *id,
                              bool history, bool clear, Zwfw__V1__Exchange **out, zw_err_t *err);

/* Appends an ExchangeChanged event and a history row for one part as it
 * now stands (stage, state, receipt read from the row). */
int zw_xregion_store_changed(zw_db_t *db, const char *exchange_id, int part_no, int64_t now_us,
                             const char *note, zw_err_t *err);

/* Queues a message about part (exchange_id, part_no) to a partner
 * (sealed); a message id queued before is left as it is. */
int zw_xregion_store_enqueue(zw_xregion_ctx_t *ctx, zw_db_t *db, const char *region,
                             const char *message_id, const char *exchange_id, int part_no,
                             const ProtobufCMessage *msg, int64_t now_us, zw_err_t *err);

/* msg packed, as hex text sealed under label, as bytea text ("\\x..."):
 * *bytea_hex malloc'd. */
int zw_xregion_seal(zw_xregion_ctx_t *ctx, const char *label, const ProtobufCMessage *msg,
                    char **bytea_hex, zw_err_t *err);
/* The bytes zw_xregion_seal sealed, from a bytea column's text (malloc'd);
 * NULL with DATA_LOSS when they do not open. */
uint8_t *zw_xregion_unseal(zw_xregion_ctx_t *ctx, const char *label, const char *bytea, size_t *len,
                           zw_err_t *err);

/* Appends to the message log. */
int zw_xregion_store_log(zw_db_t *db, bool inbound, const char *region, const char *key_id,
                         const char *message_id, const char *type, const void *data, size_t len,
                         int64_t now_us, const char *outcome, zw_err_t *err);

/* ---- applying what partners send (apply.c) ------------------------------------ */

/* Commits one message from partner `region` (its link key `key_id`):
 * records it in the duplicate filter and the message log and applies it,
 * in one transaction. *duplicate when it had been committed before. 0: the
 * partner is to be told ACK; -1 with *err: NAK (the message is refused and
 * nothing changed) or, for UNAVAILABLE / INTERNAL, no answer (it comes
 * again). */
int zw_xregion_apply(zw_xregion_ctx_t *ctx, const char *region, const char *key_id,
                     const char *message_id, const char *type, const uint8_t *data, size_t len,
                     bool *duplicate, zw_err_t *err);

/* The partner acknowledged (nak false) or refused (nak true, with code
 * and text) one of our messages: marks it, and for a forward moves its
 * part to DELIVERED or REJECTED. */
int zw_xregion_acked(zw_xregion_ctx_t *ctx, const char *region, const char *key_id,
                     const char *message_id, bool nak, int code, const char *text, zw_err_t *err);

/* Queues the XrStatus of inbound part (exchange_id, part_no) as the row
 * now stands (its status_seq incremented), with an event and history row.
 * For a local part (an outbound exchange's part in this deployment's own
 * region: its origin is here) only the event and history row. Inside the
 * caller's transaction. */
int zw_xregion_status_out(zw_xregion_ctx_t *ctx, zw_db_t *db, const char *exchange_id, int part_no,
                          int64_t now_us, const char *note, zw_err_t *err);

/* Queues a supplement or withdrawal of a part this deployment's intake
 * holds (an inbound part, or a local one) for the home thread (home.c),
 * sealed, with `note` as its history row and event. *fresh false (and
 * nothing changed) when that (exchange, part, seq) was queued before.
 * Inside the caller's transaction; `a` is borrowed. */
int zw_xregion_action_queue(zw_xregion_ctx_t *ctx, zw_db_t *db, const Zwfw__V1__XrAction *a,
                            int64_t now_us, const char *note, bool *fresh, zw_err_t *err);

/* ---- shared helpers ------------------------------------------------------------ */

int zw_xregion_now(zw_xregion_ctx_t *ctx, int64_t *now_us, zw_err_t *err);
/* The name of a division code, or "". */
const char *zw_xregion_region_name(const zw_xregion_settings_t *s, const char *code);

#endif
