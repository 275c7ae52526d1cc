/* zwfw.catalog's changes (PutItem, CancelItem, RestoreItem, PutBundle,
 * LoadCatalog), called by zw_catalog_handle.
 *
 * Every change goes the same way (catalog_change.c): the caller must be an
 * operator; the request is decoded, normalised and checked before any SQL;
 * then one transaction claims the idempotency key, makes the change (the
 * `apply` function of catalog_items.c or catalog_bundles.c), appends its
 * outbox events (stream "catalog") and audit rows, and stores the packed
 * reply under the key. The reply is sent only after the commit. */
#ifndef ZW_INTAKE_CATALOG_CHANGE_H
#define ZW_INTAKE_CATALOG_CHANGE_H

#include "audit.h"
#include "ctx.h"
#include "mdp_reply.h"
#include "zwfw/v1/catalog.pb-c.h"

#include <stddef.h>
#include <stdint.h>

/* ---- handlers (catalog_items.c, catalog_bundles.c) ------------------------- */

void zw_catalog_put_item(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_catalog_cancel_item(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_catalog_restore_item(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_catalog_put_bundle(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_catalog_load(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

/* ---- the machinery they share (catalog_change.c) ---------------------------- */

typedef struct zw_catalog_change zw_catalog_change_t;

/* The change itself, inside the transaction. zw_db_tx may run it more
 * than once, so it keeps no state outside the database and ch's reply;
 * it ends by packing its reply with zw_catalog_change_reply. */
typedef int(zw_catalog_apply_fn)(zw_db_t *db, zw_catalog_change_t *ch, zw_err_t *err);

struct zw_catalog_change {
    zw_intake_ctx_t *ctx;
    const zw_request_t *req;
    const ProtobufCMessage *msg; /* the request, normalised and checked */
    const char *key;             /* idempotency_key */
    const char *actor;
    const char *caller_key;             /* the caller's key id; "" when none */
    const char *caller_role;            /* its role's name; "" when none */
    int64_t now_us;                     /* business time of the change */
    char digest[ZW_AUDIT_HASH_LEN + 1]; /* of the request's type and bytes */
    zw_catalog_apply_fn *apply;
    /* the packed reply, reset on every run of the transaction body */
    char reply_type[256];
    uint8_t *reply;
    size_t reply_len;
};

typedef enum {
    ZW_CATALOG_UNCHANGED = 0, /* identical to the current version */
    ZW_CATALOG_CREATED,       /* version 1 */
    ZW_CATALOG_UPDATED,       /* a new version */
} zw_catalog_outcome_t;

/* Checks that the caller may change the catalog, decodes the request as
 * desc (whose fields idempotency_key and actor it checks) and fills *ch.
 * Returns the request (the caller frees it with
 * protobuf_c_message_free_unpacked after zw_catalog_change_run), or NULL
 * with the error replied. */
ProtobufCMessage *zw_catalog_change_begin(zw_catalog_change_t *ch, zw_intake_ctx_t *ctx,
                                          const zw_request_t *req,
                                          const ProtobufCMessageDescriptor *desc,
                                          zw_reply_t *reply);

/* Reads the clock, runs ch->apply in a transaction with the idempotency
 * record (a retry gets the stored reply; the key reused for another
 * request is INVALID_ARGUMENT) and replies. */
void zw_catalog_change_run(zw_catalog_change_t *ch, zw_reply_t *reply);

/* Packs msg as the change's reply (replacing any earlier one). */
int zw_catalog_change_reply(zw_catalog_change_t *ch, const ProtobufCMessage *msg, zw_err_t *err);

/* Appends msg as an event about aggregate `id` to the catalog stream. */
int zw_catalog_change_event(zw_db_t *db, const zw_catalog_change_t *ch, const ProtobufCMessage *msg,
                            const char *id, zw_err_t *err);

/* Appends the audit row of a change of object `id` of `type` ("catalog.item",
 * "catalog.bundle"); before / after are the packed versions (before NULL
 * for a creation). */
int zw_catalog_change_audit(zw_db_t *db, const zw_catalog_change_t *ch, const char *action,
                            const char *type, const char *id, const uint8_t *before,
                            size_t before_len, const uint8_t *after, size_t after_len,
                            zw_err_t *err);

/* Puts one normalised, checked item (PutItem, and each item of
 * LoadCatalog): a new version when its content differs from the current
 * one, with its audit row and ItemChanged event; nothing when identical.
 * *result (may be NULL) receives the item as it now stands (caller frees).
 * In catalog_items.c. */
int zw_catalog_put_one_item(zw_db_t *db, zw_catalog_change_t *ch, const Zwfw__V1__Item *in,
                            zw_catalog_outcome_t *outcome, Zwfw__V1__Item **result, zw_err_t *err);

/* RESOURCE_EXHAUSTED "out of memory"; returns -1. */
int zw_catalog_oom(zw_err_t *err);

/* Microseconds since 1970 as a Timestamp. */
void zw_catalog_timestamp(int64_t us, Zwfw__V1__Timestamp *ts);

#endif
