/* zwfw.xregion requests that change something: the partner registry,
 * forwarding an application to partners, supplements and withdrawals. A
 * change runs in one transaction with its history, events, queued link
 * messages, audit entry and idempotency record (docs/protocol.md section
 * 10). The reads are in read.c. */
#include "xregion.h"

#include "access.h"
#include "audit.h"
#include "auth_keys.h"
#include "date.h"
#include "idem.h"
#include "intake_rules.h"
#include "link.h"
#include "log.h"
#include "mdp_worker.h"
#include "pbmsg.h"
#include "read.h"
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MODE(x) ZWFW__V1__CROSS_MODE__CROSS_MODE_##x
#define S_CHANNEL(x) ZWFW__V1__CHANNEL__CHANNEL_##x

static char *s_num(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

/* ------------------------------------------------------------------ a mutation */

typedef struct s_mut s_mut_t;
typedef int (*s_body_fn)(s_mut_t *x, zw_db_t *db, zw_err_t *err);

struct s_mut {
    zw_xregion_ctx_t *ctx;
    const zw_request_t *req;
    const char *key, *actor;
    const void *m;
    int64_t now;
    char digest[ZW_AUDIT_HASH_LEN + 1];
    zw_arena_t *a;
    uint8_t *out;
    size_t out_len;
    bool replayed;
    s_body_fn body;
};

static int s_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_mut_t *x = arg;
    free(x->out);
    x->out = NULL;
    x->replayed = false;
    zw_arena_destroy(&x->a);
    if (!(x->a = zw_arena_new()))
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    /* copies of one request wait here for the first, then replay it */
    if (zw_idem_lock(db, x->req->caller->key_id, x->key, err) != 0 ||
        zw_idem_replay(db, ZW_XREGION_REQUESTS, x->req->caller->key_id, x->key, x->req->type,
                       x->digest, &x->out, &x->out_len, err) != 0)
        return -1;
    if (x->out) {
        x->replayed = true;
        return 0;
    }
    if (x->body(x, db, err) != 0)
        return -1;
    return zw_idem_put(db, ZW_XREGION_REQUESTS, x->req->caller->key_id, x->key, x->req->type,
                       x->digest, x->out, x->out_len, x->now, err);
}

/* The first reply to a key, now answering a retry: its `replayed` set
 * (protocol.md section 5). */
static int s_mark_replayed(s_mut_t *x, const ProtobufCMessageDescriptor *desc, zw_err_t *err)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, x->out_len, x->out);
    const ProtobufCFieldDescriptor *f =
        m ? protobuf_c_message_descriptor_get_field_by_name(desc, "replayed") : NULL;
    if (!f || f->type != PROTOBUF_C_TYPE_BOOL) {
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        return zw_err_set(err, ZW_INTERNAL, "a stored %s does not decode", desc->name);
    }
    *(protobuf_c_boolean *) ((char *) m + f->offset) = 1;
    free(x->out);
    x->out = zw_pbmsg_pack(m, &x->out_len);
    protobuf_c_message_free_unpacked(m, NULL);
    return x->out ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
}

static void s_run(s_mut_t *x, zw_reply_t *reply, const ProtobufCMessageDescriptor *reply_type)
{
    zw_err_t err;
    zw_audit_digest(x->req->data, x->req->len, x->digest);
    if (zw_xregion_now(x->ctx, &x->now, &err) != 0 ||
        zw_db_tx(x->ctx->db, false, s_tx, x, &err) != 0 ||
        (x->replayed && s_mark_replayed(x, reply_type, &err) != 0))
        zw_reply_err(reply, &err);
    else
        zw_reply_bytes(reply, reply_type->name, x->out, x->out_len);
    free(x->out);
    x->out = NULL;
    zw_arena_destroy(&x->a);
}

/* Answers a change: the checks' error (rc != 0), or the change run in its
 * transaction; then the link looks at its queue at once. */
static void s_change(zw_xregion_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply, int rc,
                     const zw_err_t *err, const char *key, const char *actor, const void *m,
                     s_body_fn body, const ProtobufCMessageDescriptor *reply_type)
{
    if (rc != 0) {
        zw_reply_err(reply, err);
        return;
    }
    s_mut_t x = {.ctx = ctx, .req = req, .key = key, .actor = actor, .m = m, .body = body};
    s_run(&x, reply, reply_type);
    zw_xregion_link_poke();
}

static int s_pack_into(s_mut_t *x, const ProtobufCMessage *msg, zw_err_t *err)
{
    x->out = zw_pbmsg_pack(msg, &x->out_len);
    return x->out ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
}

static int s_audit(s_mut_t *x, zw_db_t *db, const char *action, const char *type, const char *id,
                   const ProtobufCMessage *after, zw_err_t *err)
{
    return zw_audit_request(db, x->req->caller, x->actor, x->now, action, type, id, after, err);
}

static int s_check_key_actor(const char *key, const char *actor, zw_err_t *err)
{
    if (!key || !*key)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "idempotency_key", "idempotency_key: missing");
    if (!zw_intake_token_ok(key, 128))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "idempotency_key",
                           "idempotency_key: 1-128 characters of letters, digits, '_', '.', ':' "
                           "or '-'");
    return zw_validate_actor(actor, err);
}

/* tcp://HOST:PORT with a numeric port 1-65535. */
static bool s_endpoint_ok(const char *e)
{
    if (strncmp(e, "tcp://", 6) != 0 || strlen(e) > 200)
        return false;
    const char *colon = strrchr(e + 6, ':');
    if (!colon || colon == e + 6 || !colon[1])
        return false;
    for (const char *p = e + 6; p < colon; p++)
        if (*p <= ' ' || *p == '/' || (unsigned char) *p >= 0x7f)
            return false;
    long port = 0;
    for (const char *p = colon + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        port = port * 10 + (*p - '0');
        if (port > 65535)
            return false;
    }
    return port >= 1;
}

/* The role check and the decoded request, or NULL with the error
 * answered. */
static ProtobufCMessage *s_open(const zw_request_t *req, unsigned roles, const char *what,
                                const ProtobufCMessageDescriptor *desc, zw_reply_t *reply)
{
    zw_err_t err;
    ProtobufCMessage *m = NULL;
    if (zw_access_require(req->caller, roles, NULL, what, &err) != 0 ||
        !(m = zw_request_unpack(req, desc, &err)))
        zw_reply_err(reply, &err);
    return m;
}

/* ------------------------------------------------------------------ partners */

static int s_put_partner_body(s_mut_t *x, zw_db_t *db, zw_err_t *err)
{
    const Zwfw__V1__PutPartner *m = x->m;
    const char *k[] = {m->public_key};
    PGresult *res = zw_db_exec(db, "xr_partner_key_holder", 1, k, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), m->region) != 0) {
        zw_err_setd(err, ZW_ALREADY_EXISTS, "public_key", "partner %s holds this public key",
                    PQgetvalue(res, 0, 0));
        PQclear(res);
        return -1;
    }
    PQclear(res);
    char now[24];
    const char *p[] = {
        m->region,          m->name, m->endpoint, m->public_key, m->disabled ? "false" : "true",
        s_num(now, x->now), x->actor};
    if (!(res = zw_db_exec(db, "xr_partner_put", 7, p, err)))
        return -1;
    PQclear(res);
    Zwfw__V1__PartnerReply r = ZWFW__V1__PARTNER_REPLY__INIT;
    if (zw_xregion_store_partner(db, x->a, m->region, &r.partner, err) != 0)
        return -1;
    if (!r.partner)
        return zw_err_set(err, ZW_INTERNAL, "partner %s vanished", m->region);
    if (zw_xregion_partner_counts(db, r.partner, err) != 0 ||
        s_audit(x, db, "xregion.partner.put", "xregion.partner", m->region, &r.partner->base,
                err) != 0)
        return -1;
    return s_pack_into(x, &r.base, err);
}

static void s_put_partner(zw_xregion_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    Zwfw__V1__PutPartner *m = (Zwfw__V1__PutPartner *) s_open(
        req, ZW_ROLE_MASK_OPERATOR, "change partners", &zwfw__v1__put_partner__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    int rc = s_check_key_actor(m->idempotency_key, m->actor, &err);
    if (!rc && !zw_xregion_digits6(m->region))
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "region",
                         "region: the partner's 6-digit division code, e.g. 511400");
    if (!rc && strcmp(m->region, ctx->settings->region) == 0)
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "region",
                         "region %s is this deployment's own: a partner is another region",
                         m->region);
    long chars = zw_validate_text_chars(m->name);
    if (!rc && (chars < 1 || chars > 64))
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "name", "name: 1-64 characters of text");
    if (!rc && *m->endpoint && !s_endpoint_ok(m->endpoint))
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "endpoint",
                         "endpoint: tcp://HOST:PORT of the partner's link socket, or \"\"");
    if (!rc && !zw_auth_z85_ok(m->public_key))
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "public_key",
                         "public_key: the partner's link public key, 40 Z85 characters");
    if (!rc && *ctx->settings->link_public_key &&
        strcmp(m->public_key, ctx->settings->link_public_key) == 0)
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "public_key",
                         "public_key: that is this deployment's own link key");
    s_change(ctx, req, reply, rc, &err, m->idempotency_key, m->actor, m, s_put_partner_body,
             &zwfw__v1__partner_reply__descriptor);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ ForwardApplication */

static int s_forward_check(zw_xregion_ctx_t *ctx, const Zwfw__V1__ForwardApplication *m, int role,
                           zw_err_t *err)
{
    if (s_check_key_actor(m->idempotency_key, m->actor, err) != 0)
        return -1;
    if (m->mode < S_MODE(FULLY_ONLINE) || m->mode > S_MODE(JOINT))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "mode",
                           "mode: CROSS_MODE_FULLY_ONLINE, CROSS_MODE_PROXY or CROSS_MODE_JOINT");
    bool integrator = role == ZWFW__V1__ROLE__ROLE_INTEGRATOR;
    if (integrator && m->mode == S_MODE(PROXY))
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "mode",
                           "异地代收代办 (CROSS_MODE_PROXY) is received at a window: materials and "
                           "identity are checked there");
    if (zw_intake_check_channel(role, m->channel, m->window_id, err) != 0)
        return -1;
    if (m->mode == S_MODE(PROXY) && m->channel != S_CHANNEL(WINDOW) &&
        m->channel != S_CHANNEL(KIOSK))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "channel",
                           "异地代收代办 is received on CHANNEL_WINDOW or CHANNEL_KIOSK");
    if (m->mode == S_MODE(PROXY) && !m->identity_checked)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "identity_checked",
                           "异地代收代办: the window checks form and identity before forwarding "
                           "(identity_checked)");
    size_t min = m->mode == S_MODE(JOINT) ? 2 : 1;
    size_t max = m->mode == S_MODE(JOINT) ? ZW_XREGION_MAX_PARTS : 1;
    if (m->n_parts < min || m->n_parts > max)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "parts",
                           m->mode == S_MODE(JOINT)
                               ? "parts: 多地联办 names 2-8 parts, one per partner"
                               : "parts: one part (多地联办 is CROSS_MODE_JOINT)");
    for (size_t i = 0; i < m->n_parts; i++) {
        char path[48];
        const Zwfw__V1__ForwardPart *p = m->parts[i];
        snprintf(path, sizeof path, "parts[%zu].region", i);
        if (!zw_xregion_digits6(p->region))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: a 6-digit division code", path);
        /* 多地联办: a part may be handled here (a local part); alone it is
         * simply an application of this deployment */
        if (strcmp(p->region, ctx->settings->region) == 0 && m->mode != S_MODE(JOINT))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path,
                               "%s: %s is this deployment: submit to zwfw.intake (a part of its "
                               "own is for 多地联办, CROSS_MODE_JOINT, only)",
                               path, p->region);
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->parts[j]->region, p->region) == 0)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: each partner at most once",
                                   path);
        snprintf(path, sizeof path, "parts[%zu].item_code", i);
        if (!zw_intake_token_ok(p->item_code, 128))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path,
                               "%s: the item's implementation code in the partner's catalog", path);
    }
    int64_t now;
    zw_date_t d;
    if (zw_xregion_now(ctx, &now, err) != 0 || zw_moment_local(now / 1000000, &d, NULL, err) != 0)
        return -1;
    int today = d.year * 10000 + d.month * 100 + d.day;
    if (zw_intake_check_applicant(m->applicant, today, err) != 0 ||
        zw_intake_check_materials(m->materials, m->n_materials, "materials", err) != 0)
        return -1;
    long chars = zw_validate_text_chars(m->note);
    if (chars < 0 || chars > 500)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "note", "note: at most 500 characters");
    return 0;
}

static int s_forward_body(s_mut_t *x, zw_db_t *db, zw_err_t *err)
{
    const Zwfw__V1__ForwardApplication *m = x->m;
    char b[4][24];
    /* every partner registered and enabled (a local part has none) */
    const char *own = x->ctx->settings->region;
    for (size_t i = 0; i < m->n_parts; i++) {
        Zwfw__V1__Partner *p = NULL;
        char path[48];
        if (strcmp(m->parts[i]->region, own) == 0)
            continue;
        snprintf(path, sizeof path, "parts[%zu].region", i);
        if (zw_xregion_store_partner(db, x->a, m->parts[i]->region, &p, err) != 0)
            return -1;
        if (!p)
            return zw_err_setd(err, ZW_NOT_FOUND, path, "%s: %s is not a registered partner", path,
                               m->parts[i]->region);
        if (!p->enabled)
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, path, "%s: partner %s is disabled",
                               path, m->parts[i]->region);
    }
    /* the business date of now for the number */
    zw_date_t d;
    if (zw_moment_local(x->now / 1000000, &d, NULL, err) != 0)
        return -1;
    char day[ZW_DATE_STRLEN], ymd[16];
    zw_date_format(d, day);
    snprintf(ymd, sizeof ymd, "%.4s%.2s%.2s", day, day + 5, day + 8);
    const char *dp[] = {day};
    PGresult *res = zw_db_exec(db, "xr_day_next", 1, dp, err);
    if (!res)
        return -1;
    int n = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (n > 999999)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "more than 999999 exchanges today");
    char id[64];
    snprintf(id, sizeof id, "XR%s%s-%06d", x->ctx->settings->region, ymd, n);

    Zwfw__V1__Timestamp at = ZWFW__V1__TIMESTAMP__INIT;
    at.seconds = x->now / 1000000;
    at.nanos = (int32_t) (x->now % 1000000) * 1000;
    Zwfw__V1__XrForward f = ZWFW__V1__XR_FORWARD__INIT;
    f.exchange_id = id;
    f.mode = m->mode;
    f.item_code = "";
    f.channel = m->channel;
    f.window_id = m->window_id;
    f.actor = m->actor;
    f.applicant = m->applicant;
    f.materials = m->materials;
    f.n_materials = m->n_materials;
    f.identity_checked = m->identity_checked;
    f.note = m->note;
    f.received_at = &at;
    char *body = NULL;
    if (zw_xregion_seal(x->ctx, ZW_XREGION_SEAL_BODY, &f.base, &body, err) != 0)
        return -1;
    const char *p[] = {id,
                       "1",
                       s_num(b[0], m->mode),
                       x->ctx->settings->region,
                       s_num(b[1], m->channel),
                       m->window_id,
                       m->actor,
                       x->req->caller->key_id,
                       body,
                       m->identity_checked ? "true" : "false",
                       s_num(b[2], x->now)};
    res = zw_db_exec(db, "xr_exchange_insert", 11, p, err);
    free(body);
    if (!res)
        return -1;
    PQclear(res);
    for (size_t i = 0; i < m->n_parts; i++) {
        int part_no = (int) i + 1;
        /* a local part is committed here: DELIVERED, for the home thread
         * (home.c) to submit to this intake as it submits partners' parts */
        bool local = strcmp(m->parts[i]->region, own) == 0;
        const char *q[] = {id,
                           s_num(b[0], part_no),
                           m->parts[i]->region,
                           m->parts[i]->item_code,
                           local ? "2" : "1",
                           s_num(b[1], x->now)};
        if (!(res = zw_db_exec(db, "xr_part_insert", 6, q, err)))
            return -1;
        PQclear(res);
        if (local) {
            if (zw_xregion_store_changed(db, id, part_no, x->now, "for this deployment's intake",
                                         err) != 0)
                return -1;
            continue;
        }
        f.part_no = part_no;
        f.item_code = m->parts[i]->item_code;
        char mid[128];
        zw_xregion_forward_id(id, part_no, mid, sizeof mid);
        if (zw_xregion_store_enqueue(x->ctx, db, m->parts[i]->region, mid, id, part_no, &f.base,
                                     x->now, err) != 0 ||
            zw_xregion_store_changed(db, id, part_no, x->now, "forwarded", err) != 0)
            return -1;
    }
    Zwfw__V1__ExchangeReply r = ZWFW__V1__EXCHANGE_REPLY__INIT;
    bool clear = x->req->caller->role == ZWFW__V1__ROLE__ROLE_WINDOW;
    if (zw_xregion_store_exchange(x->ctx, db, x->a, id, true, clear, &r.exchange, err) != 0)
        return -1;
    if (!r.exchange)
        return zw_err_set(err, ZW_INTERNAL, "exchange %s vanished", id);
    /* the audit keeps the exchange without personal data in clear */
    Zwfw__V1__Exchange *masked = NULL;
    if (zw_xregion_store_exchange(x->ctx, db, x->a, id, false, false, &masked, err) != 0 ||
        s_audit(x, db, "xregion.forward", "xregion.exchange", id, masked ? &masked->base : NULL,
                err) != 0)
        return -1;
    return s_pack_into(x, &r.base, err);
}

static void s_forward(zw_xregion_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    Zwfw__V1__ForwardApplication *m = (Zwfw__V1__ForwardApplication *) s_open(
        req, ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_INTEGRATOR, "forward applications to partners",
        &zwfw__v1__forward_application__descriptor, reply);
    if (!m)
        return;
    zw_err_t err;
    for (size_t i = 0; i < m->n_parts; i++) /* codes as catalogs keep them */
        for (char *c = m->parts[i]->item_code; *c; c++)
            if (*c >= 'a' && *c <= 'z')
                *c = (char) (*c - 'a' + 'A');
    int rc = s_forward_check(ctx, m, (int) req->caller->role, &err);
    s_change(ctx, req, reply, rc, &err, m->idempotency_key, m->actor, m, s_forward_body,
             &zwfw__v1__exchange_reply__descriptor);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ supplement, withdraw */

typedef struct {
    Zwfw__V1__ActionKind kind;
    const char *exchange_id;
    int part_no; /* 0: every part still open (withdraw) */
    Zwfw__V1__MaterialRef **materials;
    size_t n_materials;
    const char *reason;
} s_action_req_t;

static const char *s_stage_word(int stage)
{
    static const char *const words[] = {"unknown",   "queued",   "delivered",
                                        "submitted", "rejected", "closed"};
    return stage >= 0 && stage <= 5 ? words[stage] : "unknown";
}

/* One XrAction for one part, its history row and event. */
static int s_action_part(s_mut_t *x, zw_db_t *db, const s_action_req_t *ar, int part_no,
                         zw_err_t *err)
{
    char b[24];
    const char *p[] = {ar->exchange_id, s_num(b, part_no)};
    PGresult *res = zw_db_exec(db, "xr_part_action_next", 2, p, err);
    if (!res)
        return -1;
    int seq = atoi(PQgetvalue(res, 0, 0));
    char region[8];
    snprintf(region, sizeof region, "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    Zwfw__V1__XrAction a = ZWFW__V1__XR_ACTION__INIT;
    a.exchange_id = (char *) ar->exchange_id;
    a.part_no = part_no;
    a.seq = seq;
    a.kind = ar->kind;
    a.actor = (char *) x->actor;
    a.materials = ar->materials;
    a.n_materials = ar->n_materials;
    a.reason = (char *) ar->reason;
    bool supplement = ar->kind == ZWFW__V1__ACTION_KIND__ACTION_KIND_SUPPLEMENT;
    if (strcmp(region, x->ctx->settings->region) == 0) {
        /* a local part: queued for the home thread, as a partner's action is */
        bool fresh;
        return zw_xregion_action_queue(x->ctx, db, &a, x->now,
                                       supplement ? "supplement sent to this deployment's intake"
                                                  : "withdrawal sent to this deployment's intake",
                                       &fresh, err);
    }
    char mid[160];
    snprintf(mid, sizeof mid, "%s/%d/action/%d", ar->exchange_id, part_no, seq);
    return zw_xregion_store_enqueue(x->ctx, db, region, mid, ar->exchange_id, part_no, &a.base,
                                    x->now, err) != 0 ||
                   zw_xregion_store_changed(db, ar->exchange_id, part_no, x->now,
                                            supplement ? "supplement sent" : "withdrawal sent",
                                            err) != 0
               ? -1
               : 0;
}

static int s_action_body(s_mut_t *x, zw_db_t *db, zw_err_t *err)
{
    const s_action_req_t *ar = x->m;
    if (zw_xregion_may_see(db, x->req->caller, ar->exchange_id, err) != 0)
        return -1;
    Zwfw__V1__Exchange *ex = NULL;
    if (zw_xregion_store_exchange(x->ctx, db, x->a, ar->exchange_id, false, false, &ex, err) != 0)
        return -1;
    if (!ex || ex->direction != ZWFW__V1__EXCHANGE_DIRECTION__EXCHANGE_DIRECTION_OUTBOUND)
        return zw_err_setd(err, ZW_NOT_FOUND, "exchange_id",
                           "no exchange %s was forwarded from here", ar->exchange_id);
    size_t sent = 0;
    for (size_t i = 0; i < ex->n_parts; i++) {
        const Zwfw__V1__ExchangePart *p = ex->parts[i];
        if (ar->part_no && p->part_no != ar->part_no)
            continue;
        if (p->stage != ZWFW__V1__PART_STAGE__PART_STAGE_SUBMITTED) {
            if (!ar->part_no)
                continue; /* withdrawing every part: those still open */
            return zw_err_setd(
                err, ZW_FAILED_PRECONDITION, "part_no", "part %d is %s: %s", (int) p->part_no,
                s_stage_word(p->stage),
                p->stage < ZWFW__V1__PART_STAGE__PART_STAGE_SUBMITTED
                    ? "the home intake does not hold it yet; try again when it is submitted"
                    : "it is over at home");
        }
        if (s_action_part(x, db, ar, p->part_no, err) != 0)
            return -1;
        sent++;
    }
    if (!sent)
        return ar->part_no ? zw_err_setd(err, ZW_NOT_FOUND, "part_no", "exchange %s has no part %d",
                                         ar->exchange_id, ar->part_no)
                           : zw_err_setd(err, ZW_FAILED_PRECONDITION, "part_no",
                                         "no part of exchange %s is open at home", ar->exchange_id);
    Zwfw__V1__ExchangeReply r = ZWFW__V1__EXCHANGE_REPLY__INIT;
    bool clear = x->req->caller->role == ZWFW__V1__ROLE__ROLE_WINDOW;
    if (zw_xregion_store_exchange(x->ctx, db, x->a, ar->exchange_id, true, clear, &r.exchange,
                                  err) != 0 ||
        s_audit(x, db,
                ar->kind == ZWFW__V1__ACTION_KIND__ACTION_KIND_SUPPLEMENT ? "xregion.supplement"
                                                                          : "xregion.withdraw",
                "xregion.exchange", ar->exchange_id, NULL, err) != 0)
        return -1;
    return s_pack_into(x, &r.base, err);
}

static void s_action(zw_xregion_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    bool supplement = strcmp(req->type, "zwfw.v1.SupplementExchange") == 0;
    ProtobufCMessage *msg =
        s_open(req, ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_INTEGRATOR,
               supplement ? "supplement forwarded applications" : "withdraw forwarded applications",
               supplement ? &zwfw__v1__supplement_exchange__descriptor
                          : &zwfw__v1__withdraw_exchange__descriptor,
               reply);
    if (!msg)
        return;
    zw_err_t err;
    s_action_req_t ar = {0};
    const char *key, *actor;
    int rc = 0;
    if (supplement) {
        Zwfw__V1__SupplementExchange *m = (Zwfw__V1__SupplementExchange *) msg;
        ar = (s_action_req_t){ZWFW__V1__ACTION_KIND__ACTION_KIND_SUPPLEMENT,
                              m->exchange_id,
                              m->part_no,
                              m->materials,
                              m->n_materials,
                              ""};
        key = m->idempotency_key;
        actor = m->actor;
        if (m->part_no < 1 || m->part_no > ZW_XREGION_MAX_PARTS)
            rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "part_no", "part_no: 1-%d",
                             ZW_XREGION_MAX_PARTS);
        else if (m->n_materials == 0)
            rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "materials",
                             "materials: at least one reference");
        else
            rc = zw_intake_check_materials(m->materials, m->n_materials, "materials", &err);
    } else {
        Zwfw__V1__WithdrawExchange *m = (Zwfw__V1__WithdrawExchange *) msg;
        ar = (s_action_req_t){ZWFW__V1__ACTION_KIND__ACTION_KIND_WITHDRAW,
                              m->exchange_id,
                              m->part_no,
                              NULL,
                              0,
                              m->reason};
        key = m->idempotency_key;
        actor = m->actor;
        long chars = zw_validate_text_chars(m->reason);
        if (m->part_no < 0 || m->part_no > ZW_XREGION_MAX_PARTS)
            rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "part_no",
                             "part_no: 0 (every open part) or 1-%d", ZW_XREGION_MAX_PARTS);
        else if (chars < 0 || chars > 1000)
            rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "reason",
                             "reason: at most 1000 characters of text");
    }
    if (!rc)
        rc = s_check_key_actor(key, actor, &err);
    if (!rc && !zw_intake_token_ok(ar.exchange_id, 64))
        rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "exchange_id", "exchange_id: not an id");
    s_change(ctx, req, reply, rc, &err, key, actor, &ar, s_action_body,
             &zwfw__v1__exchange_reply__descriptor);
    protobuf_c_message_free_unpacked(msg, NULL);
}

/* ------------------------------------------------------------------ dispatch */

void zw_xregion_handle(void *vctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_xregion_ctx_t *ctx = vctx;
    static const struct {
        const char *type;
        void (*fn)(zw_xregion_ctx_t *, const zw_request_t *, zw_reply_t *);
    } table[] = {
        {"zwfw.v1.PutPartner", s_put_partner},
        {"zwfw.v1.ForwardApplication", s_forward},
        {"zwfw.v1.SupplementExchange", s_action},
        {"zwfw.v1.WithdrawExchange", s_action},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(req->type, table[i].type) == 0) {
            table[i].fn(ctx, req, reply);
            return;
        }
    if (!zw_xregion_read(ctx, req, reply))
        zw_worker_reply_unimplemented(req, reply);
}
