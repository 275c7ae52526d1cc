/* zwfw.catalog's item changes: PutItem, CancelItem, RestoreItem
 * (catalog_change.h). A put makes a new version when the content changed;
 * cancel and restore make a new version with the status changed. */
#include "catalog_change.h"

#include "catalog.h"
#include "catalog_rules.h"
#include "catalog_store.h"
#include "pbmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zw_catalog_put_one_item(zw_db_t *db, zw_catalog_change_t *ch, const Zwfw__V1__Item *in,
                            zw_catalog_outcome_t *outcome, Zwfw__V1__Item **result, zw_err_t *err)
{
    char digest[ZW_AUDIT_HASH_LEN + 1], cur_digest[ZW_AUDIT_HASH_LEN + 1];
    if (zw_catalog_item_digest(in, digest) != 0)
        return zw_catalog_oom(err);
    Zwfw__V1__Item *cur = NULL; /* stays NULL for a new item */
    int rc = zw_catalog_store_item_get(db, in->impl_code, ZW_CATALOG_UPDATE, &cur, cur_digest, err);
    if (rc != 0 && err->code != ZW_NOT_FOUND)
        return -1;
    if (cur && strcmp(cur_digest, digest) == 0) {
        *outcome = ZW_CATALOG_UNCHANGED;
        if (result)
            *result = cur;
        else
            protobuf_c_message_free_unpacked(&cur->base, NULL);
        return 0;
    }
    Zwfw__V1__Item stored = *in;
    Zwfw__V1__Timestamp ts = ZWFW__V1__TIMESTAMP__INIT;
    zw_catalog_timestamp(ch->now_us, &ts);
    stored.updated_at = &ts;
    /* A put changes content only: a cancelled item stays cancelled. */
    stored.version = cur ? cur->version + 1 : 1;
    stored.status = cur ? cur->status : ZW_ITEM_ACTIVE;
    stored.cancel_reason = cur ? cur->cancel_reason : (char *) protobuf_c_empty_string;

    size_t len = 0, before_len = 0;
    uint8_t *body = zw_pbmsg_pack(&stored.base, &len);
    uint8_t *before = cur ? zw_pbmsg_pack(&cur->base, &before_len) : NULL;
    rc = (!body || (cur && !before)) ? zw_catalog_oom(err) : 0;
    const char *change = cur ? "update" : "create";
    if (rc == 0)
        rc = zw_catalog_store_item_write(db, &stored, digest, body, len, change, ch->actor,
                                         ch->now_us, err);
    if (rc == 0)
        rc = zw_catalog_change_audit(db, ch, cur ? "catalog.item.update" : "catalog.item.create",
                                     "catalog.item", stored.impl_code, before, before_len, body,
                                     len, err);
    if (rc == 0) {
        Zwfw__V1__ItemChanged ev = ZWFW__V1__ITEM_CHANGED__INIT;
        ev.item = &stored;
        ev.created = !cur;
        rc = zw_catalog_change_event(db, ch, &ev.base, stored.impl_code, err);
    }
    if (rc == 0 && result) {
        *result = zwfw__v1__item__unpack(NULL, len, body);
        if (!*result)
            rc = zw_catalog_oom(err);
    }
    if (rc == 0)
        *outcome = cur ? ZW_CATALOG_UPDATED : ZW_CATALOG_CREATED;
    free(body);
    free(before);
    if (cur)
        protobuf_c_message_free_unpacked(&cur->base, NULL);
    return rc;
}

static int s_apply_put_item(zw_db_t *db, zw_catalog_change_t *ch, zw_err_t *err)
{
    const Zwfw__V1__PutItem *m = (const Zwfw__V1__PutItem *) ch->msg;
    zw_catalog_outcome_t outcome;
    Zwfw__V1__Item *item = NULL;
    if (zw_catalog_put_one_item(db, ch, m->item, &outcome, &item, err) != 0)
        return -1;
    Zwfw__V1__PutItemReply out = ZWFW__V1__PUT_ITEM_REPLY__INIT;
    out.item = item;
    out.changed = outcome != ZW_CATALOG_UNCHANGED;
    int rc = zw_catalog_change_reply(ch, &out.base, err);
    protobuf_c_message_free_unpacked(&item->base, NULL);
    return rc;
}

void zw_catalog_put_item(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_catalog_change_t ch;
    Zwfw__V1__PutItem *m = (Zwfw__V1__PutItem *) zw_catalog_change_begin(
        &ch, ctx, req, &zwfw__v1__put_item__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    if (!m->item) {
        zw_err_setd(&err, ZW_INVALID_ARGUMENT, "item", "item: is required");
        zw_reply_err(reply, &err);
    } else if (zw_catalog_item_normalise(m->item) != 0) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
    } else if (zw_catalog_item_check(m->item, ctx->regions, zw_catalog_minutes_per_day(), "item",
                                     &err) != 0) {
        zw_reply_err(reply, &err);
    } else {
        ch.apply = s_apply_put_item;
        zw_catalog_change_run(&ch, reply);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* Cancel and restore: a new version with the status changed. */
static int s_set_status(zw_db_t *db, zw_catalog_change_t *ch, const char *code, bool cancel,
                        const char *reason, zw_err_t *err)
{
    Zwfw__V1__Item *cur = NULL;
    if (zw_catalog_store_item_get(db, code, ZW_CATALOG_UPDATE, &cur, NULL, err) != 0)
        return -1;
    char digest[ZW_AUDIT_HASH_LEN + 1];
    int rc = 0;
    if (cancel && cur->status == ZW_ITEM_CANCELLED)
        rc = zw_err_setd(err, ZW_FAILED_PRECONDITION, "impl_code", "item %s is already cancelled",
                         code);
    else if (!cancel && cur->status != ZW_ITEM_CANCELLED)
        rc =
            zw_err_setd(err, ZW_FAILED_PRECONDITION, "impl_code", "item %s is not cancelled", code);
    else if (zw_catalog_item_digest(cur, digest) != 0)
        rc = zw_catalog_oom(err);
    if (rc != 0) {
        protobuf_c_message_free_unpacked(&cur->base, NULL);
        return -1;
    }
    Zwfw__V1__Item stored = *cur;
    Zwfw__V1__Timestamp ts = ZWFW__V1__TIMESTAMP__INIT;
    zw_catalog_timestamp(ch->now_us, &ts);
    stored.updated_at = &ts;
    stored.version = cur->version + 1;
    stored.status = cancel ? ZW_ITEM_CANCELLED : ZW_ITEM_ACTIVE;
    stored.cancel_reason = cancel ? (char *) reason : (char *) protobuf_c_empty_string;
    size_t len = 0, before_len = 0;
    uint8_t *body = zw_pbmsg_pack(&stored.base, &len);
    uint8_t *before = zw_pbmsg_pack(&cur->base, &before_len);
    rc = !body || !before ? zw_catalog_oom(err) : 0;
    if (rc == 0)
        rc = zw_catalog_store_item_write(db, &stored, digest, body, len,
                                         cancel ? "cancel" : "restore", ch->actor, ch->now_us, err);
    if (rc == 0)
        rc =
            zw_catalog_change_audit(db, ch, cancel ? "catalog.item.cancel" : "catalog.item.restore",
                                    "catalog.item", code, before, before_len, body, len, err);
    if (rc == 0 && cancel) {
        Zwfw__V1__ItemCancelled ev = ZWFW__V1__ITEM_CANCELLED__INIT;
        ev.impl_code = stored.impl_code;
        ev.version = stored.version;
        ev.reason = stored.cancel_reason;
        ev.department_code = stored.department_code;
        rc = zw_catalog_change_event(db, ch, &ev.base, code, err);
    } else if (rc == 0) {
        Zwfw__V1__ItemRestored ev = ZWFW__V1__ITEM_RESTORED__INIT;
        ev.impl_code = stored.impl_code;
        ev.version = stored.version;
        ev.department_code = stored.department_code;
        rc = zw_catalog_change_event(db, ch, &ev.base, code, err);
    }
    if (rc == 0) {
        Zwfw__V1__ItemStatusReply out = ZWFW__V1__ITEM_STATUS_REPLY__INIT;
        out.item = &stored;
        rc = zw_catalog_change_reply(ch, &out.base, err);
    }
    free(body);
    free(before);
    protobuf_c_message_free_unpacked(&cur->base, NULL);
    return rc;
}

static int s_apply_cancel(zw_db_t *db, zw_catalog_change_t *ch, zw_err_t *err)
{
    const Zwfw__V1__CancelItem *m = (const Zwfw__V1__CancelItem *) ch->msg;
    return s_set_status(db, ch, m->impl_code, true, m->reason, err);
}

static int s_apply_restore(zw_db_t *db, zw_catalog_change_t *ch, zw_err_t *err)
{
    const Zwfw__V1__RestoreItem *m = (const Zwfw__V1__RestoreItem *) ch->msg;
    return s_set_status(db, ch, m->impl_code, false, NULL, err);
}

void zw_catalog_cancel_item(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_catalog_change_t ch;
    Zwfw__V1__CancelItem *m = (Zwfw__V1__CancelItem *) zw_catalog_change_begin(
        &ch, ctx, req, &zwfw__v1__cancel_item__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    zw_catalog_norm_code(m->impl_code);
    if (zw_catalog_check_lookup_code(m->impl_code, "impl_code", &err) != 0 ||
        zw_catalog_check_reason(m->reason, &err) != 0) {
        zw_reply_err(reply, &err);
    } else {
        ch.apply = s_apply_cancel;
        zw_catalog_change_run(&ch, reply);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

void zw_catalog_restore_item(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_catalog_change_t ch;
    Zwfw__V1__RestoreItem *m = (Zwfw__V1__RestoreItem *) zw_catalog_change_begin(
        &ch, ctx, req, &zwfw__v1__restore_item__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    zw_catalog_norm_code(m->impl_code);
    if (zw_catalog_check_lookup_code(m->impl_code, "impl_code", &err) != 0) {
        zw_reply_err(reply, &err);
    } else {
        ch.apply = s_apply_restore;
        zw_catalog_change_run(&ch, reply);
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}
