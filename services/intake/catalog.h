/* The zwfw.catalog service inside zwfw-intake: service items (事项清单),
 * versions, materials, bundles. Owns schema `catalog`
 * (services/intake/sql/001_catalog.sql).
 *
 * Every change happens in one transaction with its outbox event (stream
 * "catalog") and its audit row, so a cancelled item is refused by intake
 * and absent from the public listing from the same commit on. */
#ifndef ZW_INTAKE_CATALOG_H
#define ZW_INTAKE_CATALOG_H

#include "ctx.h"
#include "mdp_reply.h"
#include "zwfw/v1/catalog.pb-c.h"

/* Handles one zwfw.catalog request (PutItem, GetItem, ListItems,
 * CancelItem, RestoreItem, PutBundle, GetBundle, ListBundles, LoadCatalog,
 * HealthRequest is answered by the worker library). `ctx` is a
 * zw_intake_ctx_t. Unknown types get UNIMPLEMENTED. */
void zw_catalog_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply);

/* For intake, INSIDE its submit transaction on `db`: the current version of
 * an item, locked FOR SHARE so a concurrent cancel waits for the submit (or
 * the submit sees the cancel). *item is unpacked protobuf the caller frees
 * with protobuf_c_message_free_unpacked. NOT_FOUND for an unknown code; a
 * cancelled item is returned with status CANCELLED (intake stores a dated
 * 不受理). */
int zw_catalog_item_for_update(zw_db_t *db, const char *impl_code, Zwfw__V1__Item **item,
                               zw_err_t *err);

/* A bundle and its member items (current versions), for intake's bundle
 * submission, inside its transaction. Caller frees *bundle and each item
 * (free_unpacked) and the array (free()). */
int zw_catalog_bundle_for_update(zw_db_t *db, const char *code, Zwfw__V1__Bundle **bundle,
                                 Zwfw__V1__Item ***items, size_t *n_items, zw_err_t *err);

/* A given version of an item (an application is pinned to it); version
 * <= 0 means the current one. NOT_FOUND for an unknown code or version. */
int zw_catalog_item_version(zw_db_t *db, const char *impl_code, int version, Zwfw__V1__Item **item,
                            zw_err_t *err);

/* ---- added by the catalog (docs/decisions-catalog.md) -------------------- */

/* The outbox stream of catalog events (ItemChanged, ItemCancelled,
 * ItemRestored, BundleChanged in catalog.proto; aggregate id = impl_code or
 * bundle code). */
#define ZW_CATALOG_STREAM "catalog"

/* The working minutes in one working day, used only to compare a promised
 * limit with a statutory limit given in the other unit (default 420, the
 * default working hours 09:00-12:00 and 13:30-17:30). main.c calls it once
 * before the worker threads start when the deployment's working hours
 * differ; a value <= 0 restores the default. */
void zw_catalog_set_minutes_per_day(int minutes);
int zw_catalog_minutes_per_day(void);

/* Housekeeping: forgets the idempotency records (catalog.requests) created
 * before older_than_us (business time); a retry after that is a new
 * request. *deleted (may be NULL) receives how many. One statement. */
int zw_catalog_trim_requests(zw_db_t *db, int64_t older_than_us, int64_t *deleted, zw_err_t *err);

#endif
