/* The machinery every catalog change shares: access, the transaction with
 * its idempotency record, events, audit, the reply (catalog_change.h). */
#include "catalog_change.h"

#include "access.h"
#include "catalog.h"
#include "catalog_rules.h"
#include "catalog_store.h"
#include "outbox.h"
#include "pbmsg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------- */

int zw_catalog_oom(zw_err_t *err)
{
    return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
}

int zw_catalog_change_reply(zw_catalog_change_t *ch, const ProtobufCMessage *msg, zw_err_t *err)
{
    free(ch->reply);
    ch->reply = zw_pbmsg_pack(msg, &ch->reply_len);
    if (!ch->reply)
        return zw_catalog_oom(err);
    snprintf(ch->reply_type, sizeof ch->reply_type, "%s", msg->descriptor->name);
    return 0;
}

void zw_catalog_timestamp(int64_t us, Zwfw__V1__Timestamp *ts)
{
    int64_t sec = us / ZW_US_PER_SEC, rem = us % ZW_US_PER_SEC;
    if (rem < 0) {
        sec--;
        rem += ZW_US_PER_SEC;
    }
    ts->seconds = sec;
    ts->nanos = (int32_t) (rem * 1000);
}

int zw_catalog_change_event(zw_db_t *db, const zw_catalog_change_t *ch, const ProtobufCMessage *msg,
                            const char *id, zw_err_t *err)
{
    size_t len;
    uint8_t *buf = zw_pbmsg_pack(msg, &len);
    if (!buf)
        return zw_catalog_oom(err);
    int rc = zw_outbox_append(db, ZW_CATALOG_STREAM, msg->descriptor->name, id, ch->now_us, buf,
                              len, err);
    free(buf);
    return rc;
}

int zw_catalog_change_audit(zw_db_t *db, const zw_catalog_change_t *ch, const char *action,
                            const char *type, const char *id, const uint8_t *before,
                            size_t before_len, const uint8_t *after, size_t after_len,
                            zw_err_t *err)
{
    zw_audit_entry_t e = {
        .at_us = ch->now_us,
        .actor = ch->actor,
        .caller_key_id = ch->caller_key,
        .caller_role = ch->caller_role,
        .action = action,
        .object_type = type,
        .object_id = id,
        .before = before,
        .before_len = before_len,
        .after = after,
        .after_len = after_len,
    };
    return zw_audit_append(db, &e, err);
}

/* ---- the transaction -------------------------------------------------------- */

static int s_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    zw_catalog_change_t *ch = arg;
    free(ch->reply);
    ch->reply = NULL;
    ch->reply_len = 0;
    ch->reply_type[0] = '\0';

    bool claimed = false;
    if (zw_catalog_store_request_claim(db, ch->caller_key, ch->key, ch->req->type, ch->digest,
                                       ch->now_us, &claimed, err) != 0)
        return -1;
    if (!claimed) {
        /* A retry, or the key reused: the first reply, or a refusal. */
        zw_catalog_request_t rec;
        if (zw_catalog_store_request_get(db, ch->caller_key, ch->key, &rec, err) != 0)
            return -1;
        if (strcmp(rec.type, ch->req->type) != 0 || strcmp(rec.digest, ch->digest) != 0) {
            free(rec.reply);
            return zw_err_setd(err, ZW_ALREADY_EXISTS, "idempotency_key",
                               "idempotency key reused for a different request (first used for "
                               "a %s)",
                               rec.type);
        }
        if (!rec.reply)
            return zw_err_set(err, ZW_INTERNAL, "the stored request %s has no reply", ch->key);
        ch->reply = rec.reply;
        ch->reply_len = rec.len;
        snprintf(ch->reply_type, sizeof ch->reply_type, "%s", rec.reply_type);
        return 0;
    }
    if (ch->apply(db, ch, err) != 0)
        return -1;
    return zw_catalog_store_request_finish(db, ch->caller_key, ch->key, ch->reply_type, ch->reply,
                                           ch->reply_len, err);
}

void zw_catalog_change_run(zw_catalog_change_t *ch, zw_reply_t *reply)
{
    zw_err_t err;
    zw_err_clear(&err);
    crypto_hash_sha256_state st;
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *) ch->req->type, strlen(ch->req->type));
    crypto_hash_sha256_update(&st, (const unsigned char *) "\n", 1);
    crypto_hash_sha256_update(&st, ch->req->data, ch->req->len);
    crypto_hash_sha256_final(&st, hash);
    sodium_bin2hex(ch->digest, sizeof ch->digest, hash, sizeof hash);

    if (zw_clock_now(ch->ctx->clock, &ch->now_us, &err) != 0 ||
        zw_db_tx(ch->ctx->db, false, s_tx, ch, &err) != 0)
        zw_reply_err(reply, &err);
    else
        zw_reply_bytes(reply, ch->reply_type, ch->reply, ch->reply_len);
    free(ch->reply);
    ch->reply = NULL;
}

ProtobufCMessage *zw_catalog_change_begin(zw_catalog_change_t *ch, zw_intake_ctx_t *ctx,
                                          const zw_request_t *req,
                                          const ProtobufCMessageDescriptor *desc, zw_reply_t *reply)
{
    zw_err_t err;
    memset(ch, 0, sizeof *ch);
    if (zw_access_check(req->caller, ZW_ACT_CATALOG, NULL, &err) != 0) {
        zw_reply_err(reply, &err);
        return NULL;
    }
    ProtobufCMessage *msg = zw_request_unpack(req, desc, &err);
    if (!msg) {
        zw_reply_err(reply, &err);
        return NULL;
    }
    const ProtobufCFieldDescriptor *kf =
        protobuf_c_message_descriptor_get_field_by_name(desc, "idempotency_key");
    const ProtobufCFieldDescriptor *af =
        protobuf_c_message_descriptor_get_field_by_name(desc, "actor");
    const char *key = *(char **) ((char *) msg + kf->offset);
    const char *actor = *(char **) ((char *) msg + af->offset);
    if (zw_catalog_check_key(key, &err) != 0 || zw_catalog_check_actor(actor, &err) != 0) {
        zw_reply_err(reply, &err);
        protobuf_c_message_free_unpacked(msg, NULL);
        return NULL;
    }
    const char *role = zw_access_role_name(req->caller->role);
    *ch = (zw_catalog_change_t){.ctx = ctx,
                                .req = req,
                                .msg = msg,
                                .key = key,
                                .actor = actor,
                                .caller_key = req->caller->key_id ? req->caller->key_id : "",
                                .caller_role = role ? role : ""};
    return msg;
}
