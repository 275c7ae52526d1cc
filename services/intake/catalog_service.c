/* zwfw.catalog: request dispatch, the reads (GetItem, ListItems, GetBundle,
 * ListBundles) and what intake asks the catalog inside its own
 * transactions (catalog.h). The changes are in catalog_change.c. */
#include "catalog.h"

#include "access.h"
#include "catalog_change.h"
#include "catalog_rules.h"
#include "catalog_store.h"
#include "mdp_worker.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int s_minutes_per_day = ZW_CATALOG_MINUTES_PER_DAY;

void zw_catalog_set_minutes_per_day(int minutes)
{
    atomic_store(&s_minutes_per_day, minutes > 0 ? minutes : ZW_CATALOG_MINUTES_PER_DAY);
}

int zw_catalog_minutes_per_day(void)
{
    return atomic_load(&s_minutes_per_day);
}

/* Every authenticated role may read the catalog. */
#define S_READERS                                                                                  \
    (ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD | ZW_ROLE_MASK_SUPERVISOR |   \
     ZW_ROLE_MASK_OPERATOR | ZW_ROLE_MASK_PARTNER | ZW_ROLE_MASK_SYSTEM | ZW_ROLE_MASK_INTEGRATOR)

/* Access for a read and the decoded request, or NULL with the error
 * replied. */
static ProtobufCMessage *s_read_begin(const zw_request_t *req,
                                      const ProtobufCMessageDescriptor *desc, zw_reply_t *reply)
{
    zw_err_t err;
    if (zw_access_require(req->caller, S_READERS, NULL, "read the catalog", &err) != 0) {
        zw_reply_err(reply, &err);
        return NULL;
    }
    ProtobufCMessage *msg = zw_request_unpack(req, desc, &err);
    if (!msg)
        zw_reply_err(reply, &err);
    return msg;
}

/* ---- reads ------------------------------------------------------------------ */

static void s_get_item(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    Zwfw__V1__GetItem *m =
        (Zwfw__V1__GetItem *) s_read_begin(req, &zwfw__v1__get_item__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    Zwfw__V1__Item *item = NULL;
    zw_catalog_norm_code(m->impl_code);
    int rc = zw_catalog_check_lookup_code(m->impl_code, "impl_code", &err);
    if (rc == 0 && m->version < 0)
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "version",
                         "version: must be 0 (the current one) or a version number");
    if (rc == 0)
        rc = m->version == 0
                 ? zw_catalog_store_item_get(ctx->db, m->impl_code, ZW_CATALOG_READ, &item, NULL,
                                             &err)
                 : zw_catalog_store_item_version(ctx->db, m->impl_code, m->version, &item, &err);
    if (rc != 0) {
        zw_reply_err(reply, &err);
    } else {
        Zwfw__V1__GetItemReply out = ZWFW__V1__GET_ITEM_REPLY__INIT;
        out.item = item;
        zw_reply_message(reply, &out.base);
        protobuf_c_message_free_unpacked(&item->base, NULL);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static int s_enum_filter(const char *field, int value, bool ok, zw_err_t *err)
{
    if (!ok)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s: unknown value %d", field, value);
    return 0;
}

static void s_list_items(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    Zwfw__V1__ListItems *m =
        (Zwfw__V1__ListItems *) s_read_begin(req, &zwfw__v1__list_items__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    int size = 0;
    char after[256];
    char *like = NULL;
    zw_catalog_norm_code(m->department_code);
    int rc = 0;
    if (m->include_cancelled)
        rc = zw_access_require(req->caller, ZW_ROLE_MASK_OPERATOR | ZW_ROLE_MASK_SUPERVISOR, NULL,
                               "list cancelled items", &err);
    if (rc == 0)
        rc = zw_catalog_page_size(m->page_size, &size, &err);
    /* the filters a page token belongs to (normalised as they are used) */
    char query[512];
    snprintf(query, sizeof query, "%.64s|%d|%d|%d|%d|%.300s", m->department_code, (int) m->type,
             (int) m->cross_scope, (int) m->handling, (int) m->include_cancelled,
             m->text ? m->text : "");
    if (rc == 0)
        rc = zw_catalog_token_decode('i', query, m->page_token, after, sizeof after, &err);
    if (rc == 0)
        rc = zw_catalog_check_text(m->text, &err);
    if (rc == 0 && strlen(m->department_code) > 64)
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "department_code", "department_code: too long");
    if (rc == 0)
        rc =
            s_enum_filter("type", m->type,
                          (m->type >= 0 && m->type <= ZWFW__V1__ITEM_TYPE__ITEM_TYPE_OTHER_POWER) ||
                              m->type == ZWFW__V1__ITEM_TYPE__ITEM_TYPE_PUBLIC_SERVICE,
                          &err);
    if (rc == 0)
        rc = s_enum_filter("cross_scope", m->cross_scope,
                           m->cross_scope >= 0 &&
                               m->cross_scope <= ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_INTER_DISTRICT,
                           &err);
    if (rc == 0)
        rc = s_enum_filter("handling", m->handling,
                           m->handling >= 0 && m->handling <= ZW_HANDLING_PROMISED, &err);
    if (rc == 0 && !(like = zw_catalog_like_pattern(m->text)))
        rc = zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");

    Zwfw__V1__Item **items = NULL;
    size_t n = 0;
    if (rc == 0) {
        zw_catalog_query_t q = {
            .after = after,
            .department_code = m->department_code,
            .type = m->type,
            .cross_scope = m->cross_scope,
            .handling = m->handling,
            .like = like,
            .include_cancelled = m->include_cancelled,
            .limit = size + 1, /* one more tells whether there is a next page */
        };
        rc = zw_catalog_store_item_list(ctx->db, &q, &items, &n, &err);
    }
    char *token = NULL;
    if (rc == 0 && n > (size_t) size) {
        token = zw_catalog_token_encode('i', query, items[size - 1]->impl_code);
        if (!token)
            rc = zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (rc != 0) {
        zw_reply_err(reply, &err);
    } else {
        Zwfw__V1__ListItemsReply out = ZWFW__V1__LIST_ITEMS_REPLY__INIT;
        out.items = items;
        out.n_items = n > (size_t) size ? (size_t) size : n;
        if (token)
            out.next_page_token = token;
        zw_reply_message(reply, &out.base);
    }
    free(token);
    free(like);
    zw_catalog_store_items_free(items, n);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* The member items of a bundle, current versions, locked as asked. */
static int s_members(zw_db_t *db, const Zwfw__V1__Bundle *bundle, zw_catalog_lock_t lock,
                     Zwfw__V1__Item ***items, zw_err_t *err)
{
    Zwfw__V1__Item **arr = calloc(bundle->n_item_codes ? bundle->n_item_codes : 1, sizeof *arr);
    if (!arr)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < bundle->n_item_codes; i++)
        if (zw_catalog_store_item_get(db, bundle->item_codes[i], lock, &arr[i], NULL, err) != 0) {
            zw_catalog_store_items_free(arr, bundle->n_item_codes);
            return -1;
        }
    *items = arr;
    return 0;
}

static void s_get_bundle(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    Zwfw__V1__GetBundle *m =
        (Zwfw__V1__GetBundle *) s_read_begin(req, &zwfw__v1__get_bundle__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    Zwfw__V1__Bundle *bundle = NULL;
    Zwfw__V1__Item **items = NULL;
    zw_catalog_norm_code(m->code);
    int rc = zw_catalog_check_lookup_code(m->code, "code", &err);
    if (rc == 0)
        rc = zw_catalog_store_bundle_get(ctx->db, m->code, ZW_CATALOG_READ, &bundle, NULL, &err);
    if (rc == 0)
        rc = s_members(ctx->db, bundle, ZW_CATALOG_READ, &items, &err);
    if (rc != 0) {
        zw_reply_err(reply, &err);
    } else {
        Zwfw__V1__BundleReply out = ZWFW__V1__BUNDLE_REPLY__INIT;
        out.bundle = bundle;
        out.items = items;
        out.n_items = bundle->n_item_codes;
        zw_reply_message(reply, &out.base);
        zw_catalog_store_items_free(items, bundle->n_item_codes);
    }
    if (bundle)
        protobuf_c_message_free_unpacked(&bundle->base, NULL);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void s_list_bundles(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    Zwfw__V1__ListBundles *m =
        (Zwfw__V1__ListBundles *) s_read_begin(req, &zwfw__v1__list_bundles__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    int size = 0;
    char after[256];
    Zwfw__V1__Bundle **bundles = NULL;
    size_t n = 0;
    char *token = NULL;
    int rc = zw_catalog_page_size(m->page_size, &size, &err);
    if (rc == 0)
        rc = zw_catalog_token_decode('b', NULL, m->page_token, after, sizeof after, &err);
    if (rc == 0)
        rc = zw_catalog_store_bundle_list(ctx->db, after, size + 1, &bundles, &n, &err);
    if (rc == 0 && n > (size_t) size &&
        !(token = zw_catalog_token_encode('b', NULL, bundles[size - 1]->code)))
        rc = zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (rc != 0) {
        zw_reply_err(reply, &err);
    } else {
        Zwfw__V1__ListBundlesReply out = ZWFW__V1__LIST_BUNDLES_REPLY__INIT;
        out.bundles = bundles;
        out.n_bundles = n > (size_t) size ? (size_t) size : n;
        if (token)
            out.next_page_token = token;
        zw_reply_message(reply, &out.base);
    }
    free(token);
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&bundles[i]->base, NULL);
    free(bundles);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ---- dispatch --------------------------------------------------------------- */

typedef void(s_handler_fn)(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

static const struct {
    const ProtobufCMessageDescriptor *type;
    s_handler_fn *handler;
} s_handlers[] = {
    {&zwfw__v1__get_item__descriptor, s_get_item},
    {&zwfw__v1__list_items__descriptor, s_list_items},
    {&zwfw__v1__get_bundle__descriptor, s_get_bundle},
    {&zwfw__v1__list_bundles__descriptor, s_list_bundles},
    {&zwfw__v1__put_item__descriptor, zw_catalog_put_item},
    {&zwfw__v1__cancel_item__descriptor, zw_catalog_cancel_item},
    {&zwfw__v1__restore_item__descriptor, zw_catalog_restore_item},
    {&zwfw__v1__put_bundle__descriptor, zw_catalog_put_bundle},
    {&zwfw__v1__load_catalog__descriptor, zw_catalog_load},
};

void zw_catalog_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    for (size_t i = 0; i < sizeof s_handlers / sizeof s_handlers[0]; i++)
        if (strcmp(req->type, s_handlers[i].type->name) == 0) {
            s_handlers[i].handler(ctx, req, reply);
            return;
        }
    zw_worker_reply_unimplemented(req, reply);
}

/* ---- for intake --------------------------------------------------------------- */

int zw_catalog_item_for_update(zw_db_t *db, const char *impl_code, Zwfw__V1__Item **item,
                               zw_err_t *err)
{
    return zw_catalog_store_item_get(db, impl_code, ZW_CATALOG_SHARE, item, NULL, err);
}

int zw_catalog_bundle_for_update(zw_db_t *db, const char *code, Zwfw__V1__Bundle **bundle,
                                 Zwfw__V1__Item ***items, size_t *n_items, zw_err_t *err)
{
    *items = NULL;
    *n_items = 0;
    if (zw_catalog_store_bundle_get(db, code, ZW_CATALOG_SHARE, bundle, NULL, err) != 0)
        return -1;
    if (s_members(db, *bundle, ZW_CATALOG_SHARE, items, err) != 0) {
        protobuf_c_message_free_unpacked(&(*bundle)->base, NULL);
        *bundle = NULL;
        return -1;
    }
    *n_items = (*bundle)->n_item_codes;
    return 0;
}

int zw_catalog_item_version(zw_db_t *db, const char *impl_code, int version, Zwfw__V1__Item **item,
                            zw_err_t *err)
{
    if (version <= 0)
        return zw_catalog_store_item_get(db, impl_code, ZW_CATALOG_READ, item, NULL, err);
    return zw_catalog_store_item_version(db, impl_code, version, item, err);
}

int zw_catalog_trim_requests(zw_db_t *db, int64_t older_than_us, int64_t *deleted, zw_err_t *err)
{
    return zw_catalog_store_request_trim(db, older_than_us, deleted, err);
}
