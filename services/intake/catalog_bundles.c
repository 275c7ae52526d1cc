/* zwfw.catalog's bundle changes and the whole-catalog load: PutBundle and
 * LoadCatalog (catalog_change.h). */
#include "catalog_change.h"

#include "catalog.h"
#include "catalog_rules.h"
#include "catalog_store.h"
#include "pbmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* FAILED_PRECONDITION about the member at `where` (e.g.
 * "bundle.item_codes[2]"). */
static int s_at(zw_err_t *err, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_at(zw_err_t *err, const char *where, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return zw_err_setd(err, ZW_FAILED_PRECONDITION, where, "%s: %s", where, what);
}

/* ---- bundles ---------------------------------------------------------------- */

/* Puts one normalised, checked bundle whose members must exist and be
 * active (they are locked FOR SHARE, so none is cancelled before the
 * commit). *members (may be NULL) receives the member items, n_item_codes
 * of them (caller frees with zw_catalog_store_items_free). */
static int s_put_bundle(zw_db_t *db, zw_catalog_change_t *ch, const Zwfw__V1__Bundle *in,
                        const char *path, zw_catalog_outcome_t *outcome, Zwfw__V1__Item ***members,
                        zw_err_t *err)
{
    Zwfw__V1__Item **items = calloc(in->n_item_codes ? in->n_item_codes : 1, sizeof *items);
    if (!items)
        return zw_catalog_oom(err);
    for (size_t i = 0; i < in->n_item_codes; i++) {
        char where[160];
        snprintf(where, sizeof where, "%s.item_codes[%zu]", path, i);
        if (zw_catalog_store_item_get(db, in->item_codes[i], ZW_CATALOG_SHARE, &items[i], NULL,
                                      err) != 0) {
            if (err->code == ZW_NOT_FOUND)
                s_at(err, where, "no item %s in the catalog", in->item_codes[i]);
            zw_catalog_store_items_free(items, in->n_item_codes);
            return -1;
        }
        if (items[i]->status != ZW_ITEM_ACTIVE) {
            s_at(err, where, "item %s is cancelled", in->item_codes[i]);
            zw_catalog_store_items_free(items, in->n_item_codes);
            return -1;
        }
    }
    char digest[ZW_AUDIT_HASH_LEN + 1], cur_digest[ZW_AUDIT_HASH_LEN + 1];
    Zwfw__V1__Bundle *cur = NULL;
    int rc = zw_catalog_bundle_digest(in, digest) != 0 ? zw_catalog_oom(err) : 0;
    if (rc == 0 &&
        zw_catalog_store_bundle_get(db, in->code, ZW_CATALOG_UPDATE, &cur, cur_digest, err) != 0 &&
        err->code != ZW_NOT_FOUND)
        rc = -1;
    if (rc == 0 && cur && strcmp(cur_digest, digest) == 0) {
        *outcome = ZW_CATALOG_UNCHANGED;
    } else if (rc == 0) {
        Zwfw__V1__Bundle stored = *in;
        stored.version = cur ? cur->version + 1 : 1;
        stored.status = ZW_ITEM_ACTIVE;
        size_t len = 0, before_len = 0;
        uint8_t *body = zw_pbmsg_pack(&stored.base, &len);
        uint8_t *before = cur ? zw_pbmsg_pack(&cur->base, &before_len) : NULL;
        rc = !body || (cur && !before) ? zw_catalog_oom(err) : 0;
        if (rc == 0)
            rc = zw_catalog_store_bundle_write(db, &stored, digest, body, len, ch->actor,
                                               ch->now_us, err);
        if (rc == 0)
            rc = zw_catalog_change_audit(
                db, ch, cur ? "catalog.bundle.update" : "catalog.bundle.create", "catalog.bundle",
                stored.code, before, before_len, body, len, err);
        if (rc == 0) {
            Zwfw__V1__BundleChanged ev = ZWFW__V1__BUNDLE_CHANGED__INIT;
            ev.bundle = &stored;
            ev.created = !cur;
            rc = zw_catalog_change_event(db, ch, &ev.base, stored.code, err);
        }
        *outcome = cur ? ZW_CATALOG_UPDATED : ZW_CATALOG_CREATED;
        free(body);
        free(before);
    }
    if (cur)
        protobuf_c_message_free_unpacked(&cur->base, NULL);
    if (rc == 0 && members)
        *members = items;
    else
        zw_catalog_store_items_free(items, in->n_item_codes);
    return rc;
}

static int s_apply_put_bundle(zw_db_t *db, zw_catalog_change_t *ch, zw_err_t *err)
{
    const Zwfw__V1__PutBundle *m = (const Zwfw__V1__PutBundle *) ch->msg;
    zw_catalog_outcome_t outcome;
    Zwfw__V1__Item **items = NULL;
    if (s_put_bundle(db, ch, m->bundle, "bundle", &outcome, &items, err) != 0)
        return -1;
    Zwfw__V1__Bundle *bundle = NULL;
    int rc = zw_catalog_store_bundle_get(db, m->bundle->code, ZW_CATALOG_READ, &bundle, NULL, err);
    if (rc == 0) {
        Zwfw__V1__BundleReply out = ZWFW__V1__BUNDLE_REPLY__INIT;
        out.bundle = bundle;
        out.items = items;
        out.n_items = m->bundle->n_item_codes;
        rc = zw_catalog_change_reply(ch, &out.base, err);
        protobuf_c_message_free_unpacked(&bundle->base, NULL);
    }
    zw_catalog_store_items_free(items, m->bundle->n_item_codes);
    return rc;
}

void zw_catalog_put_bundle(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_catalog_change_t ch;
    Zwfw__V1__PutBundle *m = (Zwfw__V1__PutBundle *) zw_catalog_change_begin(
        &ch, ctx, req, &zwfw__v1__put_bundle__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    if (!m->bundle) {
        zw_err_setd(&err, ZW_INVALID_ARGUMENT, "bundle", "bundle: is required");
        zw_reply_err(reply, &err);
    } else if (zw_catalog_bundle_normalise(m->bundle) != 0) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
    } else if (zw_catalog_bundle_check(m->bundle, ctx->regions, "bundle", &err) != 0) {
        zw_reply_err(reply, &err);
    } else {
        ch.apply = s_apply_put_bundle;
        zw_catalog_change_run(&ch, reply);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ---- the whole catalog ------------------------------------------------------ */

static int s_apply_load(zw_db_t *db, zw_catalog_change_t *ch, zw_err_t *err)
{
    const Zwfw__V1__LoadCatalog *m = (const Zwfw__V1__LoadCatalog *) ch->msg;
    int count[3] = {0, 0, 0};
    for (size_t i = 0; i < m->n_items; i++) {
        zw_catalog_outcome_t outcome;
        if (zw_catalog_put_one_item(db, ch, m->items[i], &outcome, NULL, err) != 0)
            return -1;
        count[outcome]++;
    }
    for (size_t i = 0; i < m->n_bundles; i++) {
        char path[32];
        snprintf(path, sizeof path, "bundles[%zu]", i);
        zw_catalog_outcome_t outcome;
        if (s_put_bundle(db, ch, m->bundles[i], path, &outcome, NULL, err) != 0)
            return -1;
        count[outcome]++;
    }
    Zwfw__V1__LoadCatalogReply out = ZWFW__V1__LOAD_CATALOG_REPLY__INIT;
    out.created = count[ZW_CATALOG_CREATED];
    out.updated = count[ZW_CATALOG_UPDATED];
    out.unchanged = count[ZW_CATALOG_UNCHANGED];
    return zw_catalog_change_reply(ch, &out.base, err);
}

/* Sorting indexes by code, to find a code given twice. */
typedef struct {
    const char *code;
    size_t index;
} s_code_t;

static int s_code_cmp(const void *a, const void *b)
{
    const s_code_t *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* INVALID_ARGUMENT naming the later of two entries with the same code. */
static int s_unique(s_code_t *codes, size_t n, const char *what, const char *field, zw_err_t *err)
{
    qsort(codes, n, sizeof *codes, s_code_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(codes[i].code, codes[i - 1].code) == 0) {
            char where[64];
            snprintf(where, sizeof where, "%s[%zu].%s", what, codes[i].index, field);
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, where, "%s: %s repeats %s[%zu]", where,
                               codes[i].code, what, codes[i - 1].index);
        }
    return 0;
}

static int s_check_load(zw_intake_ctx_t *ctx, Zwfw__V1__LoadCatalog *m, zw_err_t *err)
{
    if (m->n_items > ZW_CATALOG_LOAD_ITEMS_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "items", "items: %zu items; at most %d",
                           m->n_items, ZW_CATALOG_LOAD_ITEMS_MAX);
    if (m->n_bundles > ZW_CATALOG_LOAD_BUNDLES_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "bundles", "bundles: %zu bundles; at most %d",
                           m->n_bundles, ZW_CATALOG_LOAD_BUNDLES_MAX);
    if (m->n_items + m->n_bundles == 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "items", "items: the catalog is empty");
    char path[32];
    for (size_t i = 0; i < m->n_items; i++) {
        snprintf(path, sizeof path, "items[%zu]", i);
        if (zw_catalog_item_normalise(m->items[i]) != 0)
            return zw_catalog_oom(err);
        if (zw_catalog_item_check(m->items[i], ctx->regions, zw_catalog_minutes_per_day(), path,
                                  err) != 0)
            return -1;
    }
    for (size_t i = 0; i < m->n_bundles; i++) {
        snprintf(path, sizeof path, "bundles[%zu]", i);
        if (zw_catalog_bundle_normalise(m->bundles[i]) != 0)
            return zw_catalog_oom(err);
        if (zw_catalog_bundle_check(m->bundles[i], ctx->regions, path, err) != 0)
            return -1;
    }
    size_t n = m->n_items > m->n_bundles ? m->n_items : m->n_bundles;
    s_code_t *codes = malloc((n ? n : 1) * sizeof *codes);
    if (!codes)
        return zw_catalog_oom(err);
    for (size_t i = 0; i < m->n_items; i++)
        codes[i] = (s_code_t){m->items[i]->impl_code, i};
    int rc = s_unique(codes, m->n_items, "items", "impl_code", err);
    for (size_t i = 0; rc == 0 && i < m->n_bundles; i++)
        codes[i] = (s_code_t){m->bundles[i]->code, i};
    if (rc == 0)
        rc = s_unique(codes, m->n_bundles, "bundles", "code", err);
    free(codes);
    return rc;
}

void zw_catalog_load(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_catalog_change_t ch;
    Zwfw__V1__LoadCatalog *m = (Zwfw__V1__LoadCatalog *) zw_catalog_change_begin(
        &ch, ctx, req, &zwfw__v1__load_catalog__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    if (s_check_load(ctx, m, &err) != 0) {
        zw_reply_err(reply, &err);
    } else {
        ch.apply = s_apply_load;
        zw_catalog_change_run(&ch, reply);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}
