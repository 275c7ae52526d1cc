/* The catalog's SQL (schema `catalog`, services/intake/sql/001_catalog.sql)
 * as named prepared statements. Each function runs one or two statements
 * on db's current transaction when one is open (the changes must be), and
 * registers its statements on first use. Errors are zw_db's (UNAVAILABLE,
 * ABORTED...) unless stated.
 *
 * Items and bundles are read back as unpacked protobuf: the caller frees
 * each with protobuf_c_message_free_unpacked(msg, NULL), and arrays of
 * them with free() after their elements. */
#ifndef ZW_INTAKE_CATALOG_STORE_H
#define ZW_INTAKE_CATALOG_STORE_H

#include "audit.h"
#include "db.h"
#include "error.h"
#include "zwfw/v1/catalog.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a read locks the row it reads (until the transaction ends). */
typedef enum {
    ZW_CATALOG_READ = 0,   /* no lock */
    ZW_CATALOG_SHARE = 1,  /* FOR SHARE: changes of the row wait */
    ZW_CATALOG_UPDATE = 2, /* FOR UPDATE: we are about to change it */
} zw_catalog_lock_t;

/* Registers every statement (a no-op once done on this db). */
int zw_catalog_store_prepare(zw_db_t *db, zw_err_t *err);

/* The current version of an item, or NOT_FOUND ("no item CODE in the
 * catalog", detail "impl_code"). digest (may be NULL) receives its content
 * digest (catalog_rules.h). */
int zw_catalog_store_item_get(zw_db_t *db, const char *impl_code, zw_catalog_lock_t lock,
                              Zwfw__V1__Item **item, char digest[ZW_AUDIT_HASH_LEN + 1],
                              zw_err_t *err);

/* A given version, or NOT_FOUND ("item CODE has no version N"). */
int zw_catalog_store_item_version(zw_db_t *db, const char *impl_code, int version,
                                  Zwfw__V1__Item **item, zw_err_t *err);

/* Writes `item` (its version, status and updated_at already set) as the
 * current version, and its row in item_versions with `change` ("create",
 * "update", "cancel", "restore"), actor and created_us. body is the packed
 * item. Version 1 inserts the item; a later version replaces version - 1.
 * ABORTED when another transaction created or changed the item first (so
 * zw_db_tx runs the body again, which then sees it). */
int zw_catalog_store_item_write(zw_db_t *db, const Zwfw__V1__Item *item, const char *digest,
                                const uint8_t *body, size_t len, const char *change,
                                const char *actor, int64_t now_us, zw_err_t *err);

/* ListItems: impl_code > after (bytewise), the filters (0 / "" means no
 * filter; like is a pattern from zw_catalog_like_pattern matched against
 * name, impl_code and basic_code), active items only unless
 * include_cancelled, in impl_code order, at most limit rows. */
typedef struct {
    const char *after;
    const char *department_code;
    int type;
    int cross_scope;
    int handling;
    const char *like;
    bool include_cancelled;
    int limit;
} zw_catalog_query_t;

int zw_catalog_store_item_list(zw_db_t *db, const zw_catalog_query_t *q, Zwfw__V1__Item ***items,
                               size_t *n, zw_err_t *err);

/* The current version of a bundle, or NOT_FOUND ("no bundle CODE", detail
 * "code"). */
int zw_catalog_store_bundle_get(zw_db_t *db, const char *code, zw_catalog_lock_t lock,
                                Zwfw__V1__Bundle **bundle, char digest[ZW_AUDIT_HASH_LEN + 1],
                                zw_err_t *err);

/* As zw_catalog_store_item_write for a bundle; also replaces its member
 * rows (catalog.bundle_items). */
int zw_catalog_store_bundle_write(zw_db_t *db, const Zwfw__V1__Bundle *bundle, const char *digest,
                                  const uint8_t *body, size_t len, const char *actor,
                                  int64_t now_us, zw_err_t *err);

/* Bundles with code > after, in code order, at most limit. */
int zw_catalog_store_bundle_list(zw_db_t *db, const char *after, int limit,
                                 Zwfw__V1__Bundle ***bundles, size_t *n, zw_err_t *err);

/* Frees n items (NULL entries skipped) and the array. Accepts NULL. */
void zw_catalog_store_items_free(Zwfw__V1__Item **items, size_t n);

/* ---- idempotency (catalog.requests) --------------------------------------- */

/* Claims (caller_key_id, key) for a request of `type` with `digest`: *claimed
 * is true when this transaction now holds it, false when it was already
 * claimed by a committed transaction (a concurrent one is waited for). */
int zw_catalog_store_request_claim(zw_db_t *db, const char *caller_key_id, const char *key,
                                   const char *type, const char *digest, int64_t now_us,
                                   bool *claimed, zw_err_t *err);

/* A claimed key's record. Strings are copied into the caller's buffers;
 * *reply is malloc'd (caller frees; NULL with *len 0 if no reply is
 * stored). NOT_FOUND if the key is not claimed. */
typedef struct {
    char type[256];
    char digest[ZW_AUDIT_HASH_LEN + 1];
    char reply_type[256];
    uint8_t *reply;
    size_t len;
} zw_catalog_request_t;

int zw_catalog_store_request_get(zw_db_t *db, const char *caller_key_id, const char *key,
                                 zw_catalog_request_t *out, zw_err_t *err);

/* Stores the reply of the request holding (caller_key_id, key). */
int zw_catalog_store_request_finish(zw_db_t *db, const char *caller_key_id, const char *key,
                                    const char *reply_type, const uint8_t *reply, size_t len,
                                    zw_err_t *err);

/* Deletes records created before older_than_us; *deleted (may be NULL)
 * receives how many. */
int zw_catalog_store_request_trim(zw_db_t *db, int64_t older_than_us, int64_t *deleted,
                                  zw_err_t *err);

#endif
