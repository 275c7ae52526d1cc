/* The home side (home.h): a partner's part, committed by the link, is
 * submitted to this deployment's zwfw.intake through the broker, as the
 * system submits (CHANNEL_OTHER_SYSTEM, window "xregion-<origin>"), with
 * an idempotency key made from the exchange, so a retry after a crash is
 * answered with the first outcome. Its item must be a cross-region item of
 * a scope that covers the origin. Then every Application* event intake
 * publishes about it goes back to the origin as an XrStatus.
 *
 * A local part (a part of a 多地联办 exchange received here that names this
 * deployment's own region) takes the same path with this region as its
 * origin: stored DELIVERED by ForwardApplication, submitted, its actions
 * handed to intake and intake's events applied here alike; only the
 * XrStatus is left out (zw_xregion_status_out), the origin being here. */
#include "home.h"

#include "consumer.h"
#include "link.h"
#include "log.h"
#include "mdp_client.h"
#include "rules.h"
#include "wire_text.h"
#include "zwfw/v1/catalog.pb-c.h"
#include "zwfw/v1/intake.pb-c.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <sys/types.h>
#include <zmq.h>

#define S_BATCH 20

struct zw_xregion_home {
    zw_xregion_home_config_t cfg;
    zw_xregion_ctx_t *ctx;
    zw_client_t *client;
    zw_consumer_t *consumer;
    void *sub;
    pthread_t thread;
    bool started;
};

static char *s_num(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

static int64_t s_wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}

static int64_t s_ts_us(const Zwfw__V1__Timestamp *t)
{
    return t ? t->seconds * 1000000 + t->nanos / 1000 : -1;
}

/* ------------------------------------------------------------------ events back */

/* A reason as a part keeps it and an XrStatus carries it (the origin
 * takes at most 1000 characters of text without control characters,
 * apply.c): a decision's reason from the home workflow is an approver's
 * comment, which may hold line breaks or be longer
 * (zw_wire_text_clip, one line). */
#define S_REASON_CHARS 1000

static int s_on_event(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err)
{
    zw_xregion_ctx_t *ctx = arg;
    if (strncmp(ev->type, "zwfw.v1.Application", 19) != 0)
        return 0;
    Zwfw__V1__ApplicationEventHead *h =
        zwfw__v1__application_event_head__unpack(NULL, ev->len, ev->payload);
    if (!h)
        return 0; /* not ours to judge: intake's own consumers see it */
    int rc = 0;
    const char *p[] = {h->receipt_number, ctx->settings->region};
    PGresult *res = *h->receipt_number ? zw_db_exec(db, "xr_part_by_receipt", 2, p, err) : NULL;
    if (*h->receipt_number && !res) {
        rc = -1;
        goto done;
    }
    if (!res || PQntuples(res) != 1 || strtoll(PQgetvalue(res, 0, 2), NULL, 10) >= ev->seq ||
        zw_xregion_event_is_old(strtoll(PQgetvalue(res, 0, 2), NULL, 10),
                                atoi(PQgetvalue(res, 0, 3)), (int) h->state)) {
        if (res)
            PQclear(res);
        goto done;
    }
    char *exchange = strdup(PQgetvalue(res, 0, 0));
    int part_no = atoi(PQgetvalue(res, 0, 1));
    PQclear(res);
    if (!exchange) {
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    /* what the event adds to the head */
    int64_t due = -1;
    const char *reason = NULL;
    char reason_buf[ZW_WIRE_TEXT_CLIP_BYTES(S_REASON_CHARS)];
    char *missing = NULL;
    void *extra = NULL;
    if (strcmp(ev->type, "zwfw.v1.ApplicationAccepted") == 0) {
        Zwfw__V1__ApplicationAccepted *a =
            zwfw__v1__application_accepted__unpack(NULL, ev->len, ev->payload);
        if (a)
            due = s_ts_us(a->due_at);
        extra = a;
    } else if (strcmp(ev->type, "zwfw.v1.ApplicationStateChanged") == 0) {
        /* a pause that ended moved the due time (workflow's clock); an
         * older intake says nothing of it, and the part keeps its own */
        Zwfw__V1__ApplicationStateChanged *a =
            zwfw__v1__application_state_changed__unpack(NULL, ev->len, ev->payload);
        if (a)
            due = s_ts_us(a->due_at);
        extra = a;
    } else if (strcmp(ev->type, "zwfw.v1.ApplicationRefused") == 0) {
        Zwfw__V1__ApplicationRefused *a =
            zwfw__v1__application_refused__unpack(NULL, ev->len, ev->payload);
        if (a)
            reason = a->reason;
        extra = a;
    } else if (strcmp(ev->type, "zwfw.v1.ApplicationNotAccepted") == 0) {
        Zwfw__V1__ApplicationNotAccepted *a =
            zwfw__v1__application_not_accepted__unpack(NULL, ev->len, ev->payload);
        if (a)
            reason = a->reason;
        extra = a;
    } else if (strcmp(ev->type, "zwfw.v1.ApplicationCompleted") == 0) {
        /* 办结: the home workflow's reason for its decision (a 不予许可's);
         * "" from an intake older than the field, and for an approval */
        Zwfw__V1__ApplicationCompleted *a =
            zwfw__v1__application_completed__unpack(NULL, ev->len, ev->payload);
        if (a)
            reason = zw_wire_text_clip(a->reason, S_REASON_CHARS, true, reason_buf);
        extra = a;
    } else if (strcmp(ev->type, "zwfw.v1.ApplicationWithdrawn") == 0) {
        Zwfw__V1__ApplicationWithdrawn *a =
            zwfw__v1__application_withdrawn__unpack(NULL, ev->len, ev->payload);
        if (a)
            reason = zw_wire_text_clip(a->reason, S_REASON_CHARS, true, reason_buf);
        extra = a;
    } else if (strcmp(ev->type, "zwfw.v1.ApplicationMaterialsMissing") == 0) {
        Zwfw__V1__ApplicationMaterialsMissing *a =
            zwfw__v1__application_materials_missing__unpack(NULL, ev->len, ev->payload);
        if (a) {
            reason = a->reason;
            cJSON *arr = cJSON_CreateArray();
            for (size_t i = 0; arr && i < a->n_missing; i++)
                cJSON_AddItemToArray(arr, cJSON_CreateString(a->missing[i]));
            missing = arr ? cJSON_PrintUnformatted(arr) : NULL;
            cJSON_Delete(arr);
        }
        extra = a;
    }
    /* a notice's missing list and a reason belong to the state that gave
     * them: a later state without them clears them */
    const char *none = "[]";
    char b[6][24];
    int stage = zw_xregion_state_final((int) h->state) ? ZWFW__V1__PART_STAGE__PART_STAGE_CLOSED
                                                       : ZWFW__V1__PART_STAGE__PART_STAGE_SUBMITTED;
    const char *u[] = {exchange,
                       s_num(b[0], part_no),
                       s_num(b[1], ev->seq),
                       s_num(b[2], stage),
                       s_num(b[3], h->state),
                       h->at ? s_num(b[4], s_ts_us(h->at)) : NULL,
                       due >= 0 ? s_num(b[5], due) : NULL,
                       reason ? reason : "",
                       missing ? missing : none};
    if (!(res = zw_db_exec(db, "xr_part_event", 9, u, err)))
        rc = -1;
    else {
        PQclear(res);
        const char *short_type = ev->type + 8; /* after "zwfw.v1." */
        rc = zw_xregion_status_out(ctx, db, exchange, part_no, ev->occurred_at_us, short_type, err);
    }
    if (extra)
        protobuf_c_message_free_unpacked((ProtobufCMessage *) extra, NULL);
    free(missing);
    free(exchange);
done:
    zwfw__v1__application_event_head__free_unpacked(h, NULL);
    return rc;
}

/* ------------------------------------------------------------------ submitting */

static bool s_transient(zw_code_t c)
{
    return c == ZW_UNAVAILABLE || c == ZW_DEADLINE_EXCEEDED || c == ZW_INTERNAL ||
           c == ZW_RESOURCE_EXHAUSTED;
}

typedef struct {
    zw_xregion_home_t *self;
    const char *exchange;
    int part_no;
    /* the outcome */
    const Zwfw__V1__SubmitApplicationReply *reply;
    const zw_err_t *refusal;
} s_outcome_t;

static int s_outcome_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_outcome_t *o = arg;
    zw_xregion_ctx_t *ctx = o->self->ctx;
    int64_t now;
    if (zw_xregion_now(ctx, &now, err) != 0)
        return -1;
    char b[8][24];
    PGresult *res;
    if (o->reply) {
        const Zwfw__V1__Application *a = o->reply->application;
        const Zwfw__V1__Notice *n = o->reply->notice;
        cJSON *arr = cJSON_CreateArray();
        for (size_t i = 0; arr && i < a->n_missing; i++)
            cJSON_AddItemToArray(arr, cJSON_CreateString(a->missing[i]->code));
        char *missing = arr ? cJSON_PrintUnformatted(arr) : NULL;
        cJSON_Delete(arr);
        if (!missing)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        int64_t at =
            a->n_history ? s_ts_us(a->history[a->n_history - 1]->at) : s_ts_us(a->received_at);
        int stage = zw_xregion_state_final((int) a->state)
                        ? ZWFW__V1__PART_STAGE__PART_STAGE_CLOSED
                        : ZWFW__V1__PART_STAGE__PART_STAGE_SUBMITTED;
        const char *p[] = {o->exchange,
                           s_num(b[0], o->part_no),
                           s_num(b[1], stage),
                           a->receipt_number,
                           s_num(b[2], a->state),
                           at >= 0 ? s_num(b[3], at) : NULL,
                           a->due_at ? s_num(b[4], s_ts_us(a->due_at)) : NULL,
                           a->item_name,
                           a->department_name,
                           n && n->reason ? n->reason : "",
                           missing,
                           s_num(b[5], now)};
        res = zw_db_exec(db, "xr_part_submitted", 12, p, err);
        free(missing);
    } else {
        const zw_err_t *e = o->refusal;
        const char *p[] = {o->exchange, s_num(b[0], o->part_no), s_num(b[1], e->code), e->message,
                           e->detail,   s_num(b[2], now)};
        res = zw_db_exec(db, "xr_part_rejected", 6, p, err);
    }
    if (!res)
        return -1;
    bool moved = PQntuples(res) == 1;
    PQclear(res);
    if (!moved) /* answered before (another replica) */
        return 0;
    return zw_xregion_status_out(ctx, db, o->exchange, o->part_no, now,
                                 o->reply ? "submitted to intake" : "refused by intake", err);
}

/* The materials a request to this intake carries: those of src for
 * `item` (or for every item: "" in the reference; all of them when item
 * is NULL), as shallow copies whose item_code is cleared (a part is not a
 * bundle). *copies and *refs are malloc'd (the caller frees both, not
 * what they point into); returns how many, or -1 when out of memory. */
static ssize_t s_materials_for(Zwfw__V1__MaterialRef *const *src, size_t n, const char *item,
                               Zwfw__V1__MaterialRef **copies, Zwfw__V1__MaterialRef ***refs)
{
    *copies = calloc(n + 1, sizeof **copies);
    *refs = calloc(n + 1, sizeof **refs);
    if (!*copies || !*refs)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *for_item = src[i]->item_code;
        if (item && *for_item && strcasecmp(for_item, item) != 0)
            continue;
        (*copies)[k] = *src[i];
        (*copies)[k].item_code = "";
        (*refs)[k] = &(*copies)[k];
        k++;
    }
    return (ssize_t) k;
}

/* Asks the catalog about the item; 0 with *item (free it) or -1. */
static int s_get_item(zw_xregion_home_t *self, const char *code, Zwfw__V1__Item **item,
                      zw_err_t *err)
{
    Zwfw__V1__GetItem q = ZWFW__V1__GET_ITEM__INIT;
    q.impl_code = (char *) code;
    ProtobufCMessage *r = NULL;
    if (zw_client_call_as(self->client, "zwfw.catalog", &q.base,
                          &zwfw__v1__get_item_reply__descriptor, &r, err) != 0) {
        /* the catalog names its own field; the partner asked with item_code */
        if (strcmp(err->detail, "impl_code") == 0)
            snprintf(err->detail, sizeof err->detail, "item_code");
        return -1;
    }
    Zwfw__V1__GetItemReply *g = (Zwfw__V1__GetItemReply *) r;
    *item = g->item;
    g->item = NULL;
    protobuf_c_message_free_unpacked(r, NULL);
    return *item ? 0 : zw_err_setd(err, ZW_NOT_FOUND, "item_code", "no item %s", code);
}

/* One part: 0 when it was answered (or is to be retried later), -1 when
 * the store failed. */
static int s_submit_one(zw_xregion_home_t *self, const char *exchange_id, int part_no, int attempts)
{
    zw_xregion_ctx_t *ctx = self->ctx;
    zw_err_t err;
    zw_arena_t *a = zw_arena_new();
    Zwfw__V1__Exchange *x = NULL;
    if (!a || zw_xregion_store_exchange(ctx, ctx->db, a, exchange_id, false, true, &x, &err) != 0 ||
        !x || x->n_parts < 1) {
        zw_arena_destroy(&a);
        return -1;
    }
    /* an inbound exchange has one part; an outbound one with a local part
     * has the partners' too */
    const Zwfw__V1__ExchangePart *part = NULL;
    for (size_t i = 0; i < x->n_parts && !part; i++)
        if (x->parts[i]->part_no == part_no)
            part = x->parts[i];
    if (!part) {
        zw_arena_destroy(&a);
        return -1;
    }
    Zwfw__V1__Item *item = NULL;
    ProtobufCMessage *r = NULL;
    int rc = s_get_item(self, part->item_code, &item, &err);
    if (rc == 0)
        rc = zw_xregion_item_allows(item, x->origin_region, ctx->settings->region, (int) x->mode,
                                    &err);
    if (rc == 0) {
        char key[128], actor[200], window[32];
        snprintf(key, sizeof key, "xr-%s-%d", exchange_id, part_no);
        snprintf(actor, sizeof actor, "xregion:%s:%s", x->origin_region, x->actor);
        zw_err_t aerr;
        if (zw_validate_actor(actor, &aerr) != 0)
            snprintf(actor, sizeof actor, "xregion:%s", x->origin_region);
        snprintf(window, sizeof window, "xregion-%s", x->origin_region);
        Zwfw__V1__SubmitApplication s = ZWFW__V1__SUBMIT_APPLICATION__INIT;
        s.idempotency_key = key;
        s.actor = actor;
        s.item_code = part->item_code;
        s.channel = ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM;
        s.window_id = window;
        s.applicant = x->applicant;
        Zwfw__V1__MaterialRef *copies, **refs;
        ssize_t n = s_materials_for(x->materials, x->n_materials, part->item_code, &copies, &refs);
        s.materials = refs;
        s.n_materials = n > 0 ? (size_t) n : 0;
        rc = n >= 0 ? 0 : zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        if (rc == 0)
            rc = zw_client_call_as(self->client, "zwfw.intake", &s.base,
                                   &zwfw__v1__submit_application_reply__descriptor, &r, &err);
        free(refs);
        free(copies);
    }
    if (item)
        protobuf_c_message_free_unpacked(&item->base, NULL);
    int out = 0;
    if (rc != 0 && s_transient(err.code)) {
        char b[2][24];
        int64_t wait = 1000000LL << (attempts < 6 ? attempts : 6); /* 1 s ... 64 s */
        const char *p[] = {exchange_id, s_num(b[0], part_no), s_num(b[1], s_wall_us() + wait)};
        zw_err_t serr;
        PGresult *res = zw_db_exec(ctx->db, "xr_part_retry", 3, p, &serr);
        if (res)
            PQclear(res);
        zw_logkv(ZW_LOG_WARN, "a partner's part waits: intake did not answer", "exchange_id",
                 exchange_id, "reason", err.message, NULL);
    } else {
        s_outcome_t o = {.self = self,
                         .exchange = exchange_id,
                         .part_no = part_no,
                         .reply = rc == 0 ? (const Zwfw__V1__SubmitApplicationReply *) r : NULL,
                         .refusal = rc == 0 ? NULL : &err};
        if (rc == 0 && !o.reply->application) {
            zw_err_set(&err, ZW_INTERNAL, "intake answered without an application");
            o.reply = NULL;
            o.refusal = &err;
        }
        zw_err_t terr;
        if (zw_db_tx(ctx->db, false, s_outcome_tx, &o, &terr) != 0) {
            zw_logkv(ZW_LOG_WARN, "a partner's part's outcome not stored", "exchange_id",
                     exchange_id, "reason", terr.message, NULL);
            out = -1;
        } else {
            zw_xregion_link_poke();
        }
    }
    if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    zw_arena_destroy(&a);
    return out;
}

/* ------------------------------------------------------------------ actions */

typedef struct {
    zw_xregion_home_t *self;
    const char *exchange;
    int part_no, seq;
    const zw_err_t *refusal; /* NULL: done */
} s_answer_t;

static int s_answer_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_answer_t *o = arg;
    int64_t now;
    if (zw_xregion_now(o->self->ctx, &now, err) != 0)
        return -1;
    char b[4][24];
    const char *p[] = {o->exchange, s_num(b[0], o->part_no), s_num(b[1], o->seq),
                       o->refusal ? "2" : "1"};
    PGresult *res = zw_db_exec(db, "xr_action_done", 4, p, err);
    if (!res)
        return -1;
    bool moved = PQntuples(res) == 1;
    PQclear(res);
    if (!moved)
        return 0;
    const char *q[] = {o->exchange, s_num(b[0], o->part_no), s_num(b[1], o->seq),
                       s_num(b[2], o->refusal ? o->refusal->code : 0),
                       o->refusal ? o->refusal->message : ""};
    if (!(res = zw_db_exec(db, "xr_part_action_answered", 5, q, err)))
        return -1;
    PQclear(res);
    return zw_xregion_status_out(
        o->self->ctx, db, o->exchange, o->part_no, now,
        o->refusal ? "the action refused by intake" : "the action done by intake", err);
}

/* One action: its request to this intake, then the answer stored and sent
 * back. 0 when it was answered or is to be tried again; -1 when the store
 * failed. */
static int s_action_one(zw_xregion_home_t *self, PGresult *rows, int i)
{
    zw_xregion_ctx_t *ctx = self->ctx;
    const char *exchange = PQgetvalue(rows, i, 0), *receipt = PQgetvalue(rows, i, 6),
               *origin = PQgetvalue(rows, i, 7);
    int part_no = atoi(PQgetvalue(rows, i, 1)), seq = atoi(PQgetvalue(rows, i, 2));
    int attempts = atoi(PQgetvalue(rows, i, 5));
    zw_err_t err;
    size_t len = 0;
    uint8_t *raw = zw_xregion_unseal(ctx, ZW_XREGION_SEAL_MSG, PQgetvalue(rows, i, 4), &len, &err);
    Zwfw__V1__XrAction *a = raw ? zwfw__v1__xr_action__unpack(NULL, len, raw) : NULL;
    free(raw);
    if (!a) {
        zw_logkv(ZW_LOG_ERROR, "a partner's action does not open", "exchange_id", exchange, NULL);
        return -1;
    }
    char key[128], actor[200];
    snprintf(key, sizeof key, "xr-%s-%d-a%d", exchange, part_no, seq);
    snprintf(actor, sizeof actor, "xregion:%s:%s", origin, a->actor);
    zw_err_t aerr;
    if (zw_validate_actor(actor, &aerr) != 0)
        snprintf(actor, sizeof actor, "xregion:%s", origin);
    ProtobufCMessage *r = NULL;
    int rc;
    Zwfw__V1__MaterialRef *copies, **refs;
    ssize_t n = s_materials_for(a->materials, a->n_materials, NULL, &copies, &refs);
    if (n < 0) {
        rc = zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    } else if (a->kind == ZWFW__V1__ACTION_KIND__ACTION_KIND_SUPPLEMENT) {
        Zwfw__V1__SupplementMaterials q = ZWFW__V1__SUPPLEMENT_MATERIALS__INIT;
        q.idempotency_key = key;
        q.actor = actor;
        q.receipt_number = (char *) receipt;
        q.materials = refs;
        q.n_materials = (size_t) n;
        rc = zw_client_call_as(self->client, "zwfw.intake", &q.base,
                               &zwfw__v1__application_reply__descriptor, &r, &err);
    } else {
        Zwfw__V1__WithdrawApplication q = ZWFW__V1__WITHDRAW_APPLICATION__INIT;
        q.idempotency_key = key;
        q.actor = actor;
        q.receipt_number = (char *) receipt;
        q.reason = a->reason;
        rc = zw_client_call_as(self->client, "zwfw.intake", &q.base,
                               &zwfw__v1__application_reply__descriptor, &r, &err);
    }
    free(refs);
    free(copies);
    zwfw__v1__xr_action__free_unpacked(a, NULL);
    if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    char b[4][24];
    if (rc != 0 && s_transient(err.code)) {
        int64_t wait = 1000000LL << (attempts < 6 ? attempts : 6);
        const char *p[] = {exchange, s_num(b[0], part_no), s_num(b[1], seq),
                           s_num(b[2], s_wall_us() + wait)};
        zw_err_t serr;
        PGresult *res = zw_db_exec(ctx->db, "xr_action_retry", 4, p, &serr);
        if (res)
            PQclear(res);
        zw_logkv(ZW_LOG_WARN, "a partner's action waits: intake did not answer", "exchange_id",
                 exchange, "reason", err.message, NULL);
        return 0;
    }
    s_answer_t o = {.self = self,
                    .exchange = exchange,
                    .part_no = part_no,
                    .seq = seq,
                    .refusal = rc == 0 ? NULL : &err};
    zw_err_t terr;
    if (zw_db_tx(ctx->db, false, s_answer_tx, &o, &terr) != 0) {
        zw_logkv(ZW_LOG_WARN, "a partner's action's answer not stored", "exchange_id", exchange,
                 "reason", terr.message, NULL);
        return -1;
    }
    zw_xregion_link_poke();
    return 0;
}

static void s_actions_due(zw_xregion_home_t *self)
{
    zw_err_t err;
    char now[24], lim[24];
    const char *p[] = {s_num(now, s_wall_us()), s_num(lim, S_BATCH)};
    PGresult *res = zw_db_exec(self->ctx->db, "xr_actions_due", 2, p, &err);
    if (!res)
        return;
    for (int i = 0; i < PQntuples(res) && !*self->cfg.stop; i++)
        if (s_action_one(self, res, i) != 0)
            break;
    PQclear(res);
}

static void s_submit_due(zw_xregion_home_t *self)
{
    zw_err_t err;
    char now[24], lim[24];
    const char *p[] = {s_num(now, s_wall_us()), s_num(lim, S_BATCH), self->ctx->settings->region};
    PGresult *res = zw_db_exec(self->ctx->db, "xr_to_submit", 3, p, &err);
    if (!res)
        return;
    int n = PQntuples(res);
    for (int i = 0; i < n && !*self->cfg.stop; i++)
        if (s_submit_one(self, PQgetvalue(res, i, 0), atoi(PQgetvalue(res, i, 1)),
                         atoi(PQgetvalue(res, i, 2))) != 0)
            break;
    PQclear(res);
}

/* ------------------------------------------------------------------ the thread */

static void *s_main(void *arg)
{
    zw_xregion_home_t *self = arg;
    int64_t next_cons = 0, next_submit = 0;
    zw_err_t err;
    while (!*self->cfg.stop) {
        int64_t mono = zw_mono_ms();
        /* the consumer first: its cursor exists before the first submission,
         * so no event about it is missed (it starts at the stream's head) */
        if (mono >= next_cons && zw_consumer_tick(self->consumer, mono, &next_cons, &err) != 0)
            zw_logkv(ZW_LOG_WARN, "consumer tick failed", "reason", err.message, NULL);
        if (mono >= next_submit && zw_consumer_cursor(self->consumer, "intake") >= 0) {
            s_submit_due(self);
            s_actions_due(self);
            next_submit = mono + self->cfg.submit_poll_ms;
        }
        int64_t next = next_cons < next_submit ? next_cons : next_submit;
        long timeout = (long) (next - zw_mono_ms());
        if (timeout < 0)
            timeout = 0;
        if (timeout > 200)
            timeout = 200;
        zmq_pollitem_t it = {zw_consumer_socket(self->consumer), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(it.socket ? &it : NULL, it.socket ? 1 : 0, timeout) > 0 &&
            (it.revents & ZMQ_POLLIN) && zw_consumer_on_readable(self->consumer, &err) != 0)
            zw_logkv(ZW_LOG_WARN, "consumer apply failed", "reason", err.message, NULL);
    }
    return NULL;
}

zw_xregion_home_t *zw_xregion_home_new(const zw_xregion_home_config_t *cfg, zw_err_t *err)
{
    zw_xregion_home_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    if (!(self->ctx = zw_xregion_ctx_new(cfg->conninfo, cfg->simulated, cfg->settings))) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "cannot make the home side's context");
        goto fail;
    }
    if (zw_db_prepare(self->ctx->db, "xr_part_by_receipt",
                      "SELECT p.exchange_id, p.part_no, p.event_seq, p.state FROM xregion.parts p"
                      " JOIN xregion.exchanges e USING (exchange_id) WHERE p.receipt_number = $1"
                      " AND (e.direction = 2 OR p.region = $2) FOR UPDATE OF p",
                      2, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_part_event",
                      "UPDATE xregion.parts SET event_seq = $3::bigint, stage = $4::smallint,"
                      " state = $5::smallint, state_at_us = COALESCE($6::bigint, state_at_us),"
                      " due_at_us = COALESCE($7::bigint, due_at_us),"
                      " reason = $8, missing = ARRAY(SELECT json_array_elements_text($9::json))"
                      " WHERE exchange_id = $1 AND part_no = $2::integer",
                      9, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_to_submit",
                      "SELECT p.exchange_id, p.part_no, p.submit_attempts FROM xregion.parts p JOIN"
                      " xregion.exchanges e USING (exchange_id) WHERE p.stage = 2"
                      " AND (e.direction = 2 OR p.region = $3) AND p.next_submit_us <= $1::bigint"
                      " ORDER BY p.updated_at_us LIMIT $2::integer",
                      3, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_part_submitted",
                      "UPDATE xregion.parts SET stage = $3::smallint, receipt_number = $4,"
                      " state = $5::smallint, state_at_us = $6::bigint, due_at_us = $7::bigint,"
                      " item_name = $8, department_name = $9, reason = $10,"
                      " missing = ARRAY(SELECT json_array_elements_text($11::json)),"
                      " submit_attempts = submit_attempts + 1, updated_at_us = $12::bigint"
                      " WHERE exchange_id = $1 AND part_no = $2::integer AND stage = 2"
                      " RETURNING 1",
                      12, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_part_rejected",
                      "UPDATE xregion.parts SET stage = 4, error_code = $3::integer,"
                      " error_message = $4, error_detail = $5,"
                      " submit_attempts = submit_attempts + 1, updated_at_us = $6::bigint"
                      " WHERE exchange_id = $1 AND part_no = $2::integer AND stage = 2"
                      " RETURNING 1",
                      6, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_actions_due",
                      "SELECT a.exchange_id, a.part_no, a.seq, a.kind, a.body, a.attempts,"
                      " p.receipt_number, e.origin_region FROM xregion.actions a"
                      " JOIN xregion.parts p USING (exchange_id, part_no)"
                      " JOIN xregion.exchanges e USING (exchange_id)"
                      " WHERE a.state = 0 AND a.next_try_us <= $1::bigint"
                      " AND p.receipt_number <> '' ORDER BY a.received_at_us, a.seq"
                      " LIMIT $2::integer",
                      2, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_action_retry",
                      "UPDATE xregion.actions SET attempts = attempts + 1,"
                      " next_try_us = $4::bigint WHERE exchange_id = $1"
                      " AND part_no = $2::integer AND seq = $3::integer",
                      4, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_action_done",
                      "UPDATE xregion.actions SET state = $4::smallint, attempts = attempts + 1"
                      " WHERE exchange_id = $1 AND part_no = $2::integer AND seq = $3::integer"
                      " AND state = 0 RETURNING 1",
                      4, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_part_action_answered",
                      "UPDATE xregion.parts SET actions_answered = GREATEST(actions_answered,"
                      " $3::integer), action_error_code = $4::integer, action_error_message = $5"
                      " WHERE exchange_id = $1 AND part_no = $2::integer",
                      5, err) != 0 ||
        zw_db_prepare(self->ctx->db, "xr_part_retry",
                      "UPDATE xregion.parts SET next_submit_us = $3::bigint,"
                      " submit_attempts = submit_attempts + 1"
                      " WHERE exchange_id = $1 AND part_no = $2::integer AND stage = 2",
                      3, err) != 0)
        goto fail;
    self->client = zw_client_new(cfg->zmq_ctx, cfg->broker_endpoints, cfg->n_broker_endpoints, err);
    if (!self->client || (cfg->curve && zw_client_set_curve(self->client, cfg->curve, err) != 0))
        goto fail;
    zw_client_set_timeout(self->client, cfg->submit_timeout_ms);
    zw_client_set_retries(self->client, 1);
    const char *streams[] = {"intake"};
    zw_consumer_config_t cc = {.name = ZW_XREGION_CONSUMER,
                               .streams = streams,
                               .n_streams = 1,
                               .endpoints = cfg->intake_pub_endpoints,
                               .n_endpoints = cfg->n_intake_pub_endpoints,
                               .sub = cfg->sub,
                               .zmq_ctx = cfg->zmq_ctx,
                               .handler = s_on_event,
                               .handler_arg = self->ctx,
                               .quiet_ms = cfg->consumer_quiet_ms,
                               .start_at_head = true};
    if (!(self->consumer = zw_consumer_new(self->ctx->db, &cc, err)))
        goto fail;
    return self;
fail:
    zw_xregion_home_destroy(&self);
    return NULL;
}

int zw_xregion_home_start(zw_xregion_home_t *self, zw_err_t *err)
{
    if (pthread_create(&self->thread, NULL, s_main, self) != 0)
        return zw_err_set(err, ZW_INTERNAL, "cannot start the home thread");
    self->started = true;
    return 0;
}

void zw_xregion_home_destroy(zw_xregion_home_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_xregion_home_t *self = *self_p;
    if (self->started)
        pthread_join(self->thread, NULL);
    zw_consumer_destroy(&self->consumer);
    zw_client_destroy(&self->client);
    zw_xregion_ctx_destroy(&self->ctx);
    free(self);
    *self_p = NULL;
}
