/* What a partner's message does here (XrForward opens an inbound
 * exchange; XrStatus moves a part of an outbound one), what a partner's
 * ACK or NAK of our message does, and the XrStatus this side owes its
 * partners. Each in the caller's transaction or its own, with its history
 * row, its event and its message-log entry (docs/protocol.md section 10). */
#include "xregion.h"

#include "intake_rules.h"
#include "log.h"
#include "rules.h"
#include "validate.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 9999-12-31T23:59:59Z: times past it are not a partner's business */
#define S_MAX_SECONDS 253402300799LL

static char *s_num(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

static int64_t s_us(const Zwfw__V1__Timestamp *t)
{
    return t ? t->seconds * 1000000 + t->nanos / 1000 : -1;
}

/* NULL for a NULL timestamp (an SQL NULL). */
static const char *s_us_text(char buf[24], const Zwfw__V1__Timestamp *t)
{
    return t ? s_num(buf, s_us(t)) : NULL;
}

/* ------------------------------------------------------------------ XrForward */

static int s_forward(zw_xregion_ctx_t *ctx, zw_db_t *db, const char *region, const uint8_t *data,
                     size_t len, int64_t now, bool *duplicate, zw_err_t *err)
{
    Zwfw__V1__XrForward *f = zwfw__v1__xr_forward__unpack(NULL, len, data);
    if (!f)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "body", "not a zwfw.v1.XrForward");
    int rc = -1;
    char *body = NULL;
    if (!zw_xregion_exchange_id_ok(f->exchange_id, region)) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "exchange_id",
                    "exchange_id %.80s is not XR%s + yyyymmdd-nnnnnn", f->exchange_id, region);
        goto done;
    }
    if (f->part_no < 1 || f->part_no > ZW_XREGION_MAX_PARTS) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "part_no", "part_no must be 1-%d",
                    ZW_XREGION_MAX_PARTS);
        goto done;
    }
    if (!zw_intake_token_ok(f->item_code, 128)) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "item_code", "item_code is not an item code");
        goto done;
    }
    if (zw_validate_actor(f->actor, err) != 0)
        goto done;
    if (*f->window_id && !zw_intake_token_ok(f->window_id, 64)) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "window_id", "window_id: 1-64 of [A-Za-z0-9_.:-]");
        goto done;
    }
    if (f->mode < ZWFW__V1__CROSS_MODE__CROSS_MODE_FULLY_ONLINE ||
        f->mode > ZWFW__V1__CROSS_MODE__CROSS_MODE_JOINT || f->channel < 1 || f->channel > 6 ||
        !f->applicant) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "mode",
                    "an XrForward needs a mode (1-3), a channel (1-6) and an applicant");
        goto done;
    }
    if (zw_xregion_seal(ctx, ZW_XREGION_SEAL_BODY, &f->base, &body, err) != 0)
        goto done;
    char b[4][24];
    const char *p[] = {f->exchange_id,
                       "2",
                       s_num(b[0], f->mode),
                       region,
                       s_num(b[1], f->channel),
                       f->window_id,
                       f->actor,
                       region,
                       body,
                       f->identity_checked ? "true" : "false",
                       s_num(b[2], now)};
    PGresult *res = zw_db_exec(db, "xr_exchange_insert", 11, p, err);
    if (!res)
        goto done;
    bool fresh = PQntuples(res) == 1;
    PQclear(res);
    if (!fresh) { /* the same part under another message id */
        *duplicate = true;
        rc = 0;
        goto done;
    }
    const char *q[] = {f->exchange_id,  s_num(b[0], f->part_no), region, f->item_code, "2",
                       s_num(b[1], now)};
    if (!(res = zw_db_exec(db, "xr_part_insert", 6, q, err)))
        goto done;
    PQclear(res);
    rc = zw_xregion_store_changed(db, f->exchange_id, f->part_no, now, "received from the partner",
                                  err);
done:
    free(body);
    zwfw__v1__xr_forward__free_unpacked(f, NULL);
    return rc;
}

/* ------------------------------------------------------------------ XrStatus */

static const char *s_detail(const Zwfw__V1__Error *e)
{
    for (size_t i = 0; e && i < e->n_details; i++)
        if (strcmp(e->details[i]->key, "detail") == 0)
            return e->details[i]->value;
    return "";
}

/* What a status may carry: each text well-formed and of a size a notice
 * needs, so a partner cannot fill our store or refuse our inserts. */
static int s_status_check(const Zwfw__V1__XrStatus *s, zw_err_t *err)
{
    if (*s->receipt_number && !zw_intake_token_ok(s->receipt_number, 64))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "receipt_number",
                           "receipt_number: 1-64 of [A-Za-z0-9_.:-]");
    const struct {
        const char *name, *text;
        long max;
    } texts[] = {{"item_name", s->item_name, 200},
                 {"department_name", s->department_name, 200},
                 {"reason", s->reason, 1000},
                 {"error.message", s->error ? s->error->message : "", 1000}};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        long n = zw_validate_text_chars(texts[i].text);
        if (n < 0 || n > texts[i].max)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, texts[i].name,
                               "%s: at most %ld characters of text", texts[i].name, texts[i].max);
    }
    if (s->n_missing > 100)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "missing", "missing: at most 100 codes");
    for (size_t i = 0; i < s->n_missing; i++)
        if (!zw_intake_token_ok(s->missing[i], 128))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "missing",
                               "missing: material codes of [A-Za-z0-9_.:-]");
    if (s->state < 0 || s->state > 15)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "state", "state: 0-15 (DOMAIN.md codes)");
    const Zwfw__V1__Timestamp *times[] = {s->state_at, s->due_at};
    for (size_t i = 0; i < 2; i++)
        if (times[i] && (times[i]->seconds < 0 || times[i]->seconds > S_MAX_SECONDS ||
                         times[i]->nanos < 0 || times[i]->nanos > 999999999))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, i ? "due_at" : "state_at",
                               "%s: a time between 1970 and 9999", i ? "due_at" : "state_at");
    if (s->action_seq < 0 ||
        (s->action_error && (s->action_error->code < 0 || s->action_error->code > 16 ||
                             zw_validate_text_chars(s->action_error->message) < 0 ||
                             zw_validate_text_chars(s->action_error->message) > 1000)))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "action_error",
                           "action_seq >= 0; action_error: code 0-16, up to 1000 characters");
    if (s->error && (s->error->code < 0 || s->error->code > 16))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "error.code", "error.code: 0-16");
    for (size_t i = 0; s->error && i < s->error->n_details; i++)
        if (zw_validate_text_chars(s->error->details[i]->key) < 0 ||
            zw_validate_text_chars(s->error->details[i]->value) < 0 ||
            strlen(s->error->details[i]->value) > 120)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "error.details",
                               "error.details: short text");
    return 0;
}

static int s_status(zw_db_t *db, const char *region, const uint8_t *data, size_t len, int64_t now,
                    const char **outcome, zw_err_t *err)
{
    Zwfw__V1__XrStatus *s = zwfw__v1__xr_status__unpack(NULL, len, data);
    if (!s)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "body", "not a zwfw.v1.XrStatus");
    int rc = -1;
    char *missing = NULL;
    char b[10][24];
    const char *k[] = {s->exchange_id, s_num(b[0], s->part_no), region};
    PGresult *res = zw_db_exec(db, "xr_part_lock_out", 3, k, err);
    if (!res)
        goto done;
    if (PQntuples(res) != 1) {
        PQclear(res);
        zw_err_setd(err, ZW_NOT_FOUND, "exchange_id",
                    "no exchange %.80s part %d was forwarded to %s", s->exchange_id,
                    (int) s->part_no, region);
        goto done;
    }
    int64_t seen = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    if (s->seq <= seen) {
        *outcome = "stale";
        rc = 0;
        goto done;
    }
    if (s->stage < ZWFW__V1__PART_STAGE__PART_STAGE_DELIVERED ||
        s->stage > ZWFW__V1__PART_STAGE__PART_STAGE_CLOSED) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "stage", "an XrStatus stage must be 2-5");
        goto done;
    }
    if (s_status_check(s, err) != 0)
        goto done;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < s->n_missing; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(s->missing[i]));
    missing = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    if (!missing) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    const char *p[] = {s->exchange_id,
                       s_num(b[0], s->part_no),
                       s_num(b[1], s->seq),
                       s_num(b[2], s->stage),
                       s->receipt_number,
                       s_num(b[3], s->state),
                       s_us_text(b[4], s->state_at),
                       s_us_text(b[5], s->due_at),
                       s->item_name,
                       s->department_name,
                       s->reason,
                       missing,
                       s_num(b[6], s->error ? s->error->code : 0),
                       s->error ? s->error->message : "",
                       s_detail(s->error),
                       s_num(b[7], now),
                       s_num(b[8], s->action_seq),
                       s_num(b[9], s->action_error ? s->action_error->code : 0),
                       s->action_error ? s->action_error->message : ""};
    if (!(res = zw_db_exec(db, "xr_status_apply", 19, p, err)))
        goto done;
    PQclear(res);
    rc = zw_xregion_store_changed(db, s->exchange_id, s->part_no, now, "status from the partner",
                                  err);
done:
    free(missing);
    zwfw__v1__xr_status__free_unpacked(s, NULL);
    return rc;
}

/* ------------------------------------------------------------------ XrAction */

/* A supplement or withdrawal of a part a partner forwarded here: queued
 * for the home thread (home.c), which hands it to this intake. */
static int s_action(zw_xregion_ctx_t *ctx, zw_db_t *db, const char *region, const uint8_t *data,
                    size_t len, int64_t now, bool *duplicate, zw_err_t *err)
{
    Zwfw__V1__XrAction *a = zwfw__v1__xr_action__unpack(NULL, len, data);
    if (!a)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "body", "not a zwfw.v1.XrAction");
    int rc = -1;
    char b[1][24];
    if (!zw_xregion_exchange_id_ok(a->exchange_id, region) || a->part_no < 1 ||
        a->part_no > ZW_XREGION_MAX_PARTS || a->seq < 1) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "exchange_id",
                    "an XrAction names an exchange of the sender, a part 1-%d and a seq from 1",
                    ZW_XREGION_MAX_PARTS);
        goto done;
    }
    if (a->kind != ZWFW__V1__ACTION_KIND__ACTION_KIND_SUPPLEMENT &&
        a->kind != ZWFW__V1__ACTION_KIND__ACTION_KIND_WITHDRAW) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "kind", "kind: SUPPLEMENT or WITHDRAW");
        goto done;
    }
    if (zw_validate_actor(a->actor, err) != 0 ||
        zw_intake_check_materials(a->materials, a->n_materials, "materials", err) != 0)
        goto done;
    long reason = zw_validate_text_chars(a->reason);
    if (reason < 0 || reason > 1000) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "reason", "reason: at most 1000 characters");
        goto done;
    }
    const char *k[] = {a->exchange_id, s_num(b[0], a->part_no), region};
    PGresult *res = zw_db_exec(db, "xr_part_lock_in", 3, k, err);
    if (!res)
        goto done;
    bool found = PQntuples(res) == 1;
    PQclear(res);
    if (!found) {
        zw_err_setd(err, ZW_NOT_FOUND, "exchange_id",
                    "no exchange %.80s part %d was forwarded here by %s", a->exchange_id,
                    (int) a->part_no, region);
        goto done;
    }
    bool fresh = false;
    rc = zw_xregion_action_queue(ctx, db, a, now,
                                 a->kind == ZWFW__V1__ACTION_KIND__ACTION_KIND_SUPPLEMENT
                                     ? "supplement received from the partner"
                                     : "withdrawal received from the partner",
                                 &fresh, err);
    if (rc == 0 && !fresh) /* this action, under another message id */
        *duplicate = true;
done:
    zwfw__v1__xr_action__free_unpacked(a, NULL);
    return rc;
}

int zw_xregion_action_queue(zw_xregion_ctx_t *ctx, zw_db_t *db, const Zwfw__V1__XrAction *a,
                            int64_t now_us, const char *note, bool *fresh, zw_err_t *err)
{
    char *body = NULL, b[4][24];
    *fresh = false;
    if (zw_xregion_seal(ctx, ZW_XREGION_SEAL_MSG, &a->base, &body, err) != 0)
        return -1;
    const char *q[] = {
        a->exchange_id, s_num(b[0], a->part_no), s_num(b[1], a->seq), s_num(b[2], a->kind),
        body,           s_num(b[3], now_us)};
    PGresult *res = zw_db_exec(db, "xr_action_insert", 6, q, err);
    free(body);
    if (!res)
        return -1;
    *fresh = PQntuples(res) == 1;
    PQclear(res);
    if (!*fresh)
        return 0;
    return zw_xregion_store_changed(db, a->exchange_id, a->part_no, now_us, note, err);
}

/* ------------------------------------------------------------------ apply */

typedef struct {
    zw_xregion_ctx_t *ctx;
    const char *region, *key_id, *message_id, *type;
    const uint8_t *data;
    size_t len;
    int64_t now;
    bool duplicate;
    const char *outcome;
} s_apply_t;

static int s_apply_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_apply_t *x = arg;
    x->duplicate = false;
    x->outcome = "committed";
    char now[24];
    const char *p[] = {x->region, x->message_id, x->type, s_num(now, x->now)};
    PGresult *res = zw_db_exec(db, "xr_inbound_insert", 4, p, err);
    if (!res)
        return -1;
    bool fresh = PQntuples(res) == 1;
    PQclear(res);
    int rc = 0;
    if (!fresh)
        x->duplicate = true;
    else if (strcmp(x->type, "zwfw.v1.XrForward") == 0)
        rc = s_forward(x->ctx, db, x->region, x->data, x->len, x->now, &x->duplicate, err);
    else if (strcmp(x->type, "zwfw.v1.XrStatus") == 0)
        rc = s_status(db, x->region, x->data, x->len, x->now, &x->outcome, err);
    else if (strcmp(x->type, "zwfw.v1.XrAction") == 0)
        rc = s_action(x->ctx, db, x->region, x->data, x->len, x->now, &x->duplicate, err);
    else
        rc = zw_err_setd(err, ZW_INVALID_ARGUMENT, "type",
                         "%.100s is not a link message (zwfw.v1.XrForward, XrStatus or XrAction)",
                         x->type);
    if (rc != 0)
        return -1;
    if (x->duplicate)
        x->outcome = "duplicate";
    return zw_xregion_store_log(db, true, x->region, x->key_id, x->message_id, x->type, x->data,
                                x->len, x->now, x->outcome, err);
}

int zw_xregion_apply(zw_xregion_ctx_t *ctx, const char *region, const char *key_id,
                     const char *message_id, const char *type, const uint8_t *data, size_t len,
                     bool *duplicate, zw_err_t *err)
{
    s_apply_t x = {.ctx = ctx,
                   .region = region,
                   .key_id = key_id,
                   .message_id = message_id,
                   .type = type,
                   .data = data,
                   .len = len};
    *duplicate = false;
    if (zw_xregion_now(ctx, &x.now, err) != 0)
        return -1;
    if (zw_db_tx(ctx->db, false, s_apply_tx, &x, err) != 0) {
        if (err->code != ZW_UNAVAILABLE && err->code != ZW_INTERNAL) {
            char outcome[300];
            snprintf(outcome, sizeof outcome, "refused: %s", err->message);
            zw_err_t lerr;
            if (zw_xregion_store_log(ctx->db, true, region, key_id, message_id, type, data, len,
                                     x.now, outcome, &lerr) != 0)
                zw_logkv(ZW_LOG_WARN, "message log not written", "reason", lerr.message, NULL);
        }
        return -1;
    }
    *duplicate = x.duplicate;
    return 0;
}

/* ------------------------------------------------------------------ ACK / NAK */

typedef struct {
    zw_xregion_ctx_t *ctx;
    const char *region, *key_id, *message_id, *text;
    bool nak;
    int code;
    int64_t now;
} s_acked_t;

static int s_acked_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_acked_t *x = arg;
    char b[3][24];
    const char *p[] = {x->region, x->message_id, x->nak ? "2" : "1", s_num(b[0], x->now),
                       x->nak ? x->text : ""};
    PGresult *res = zw_db_exec(db, "xr_outbound_done", 5, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) { /* acknowledged before (a resend's second ACK) */
        PQclear(res);
        return 0;
    }
    char *type = strdup(PQgetvalue(res, 0, 0)), *exchange = strdup(PQgetvalue(res, 0, 1));
    int part_no = atoi(PQgetvalue(res, 0, 2));
    size_t len = 0;
    uint8_t *raw = zw_xregion_unseal(x->ctx, ZW_XREGION_SEAL_MSG, PQgetvalue(res, 0, 3), &len, err);
    PQclear(res);
    int rc = -1;
    if (!type || !exchange || !raw)
        goto done;
    char outcome[300];
    if (x->nak)
        snprintf(outcome, sizeof outcome, "refused: %s", x->text);
    else
        snprintf(outcome, sizeof outcome, "acknowledged");
    if (zw_xregion_store_log(db, false, x->region, x->key_id, x->message_id, type, raw, len, x->now,
                             outcome, err) != 0)
        goto done;
    if (strcmp(type, "zwfw.v1.XrForward") == 0) {
        const char *q[] = {exchange,
                           s_num(b[0], part_no),
                           x->nak ? "4" : "2",
                           s_num(b[1], x->nak ? x->code : 0),
                           x->nak ? x->text : "",
                           "",
                           s_num(b[2], x->now)};
        if (!(res = zw_db_exec(db, "xr_part_delivered", 7, q, err)))
            goto done;
        bool moved = PQntuples(res) == 1;
        PQclear(res);
        if (moved && zw_xregion_store_changed(db, exchange, part_no, x->now,
                                              x->nak ? "refused by the partner's link"
                                                     : "committed by the partner",
                                              err) != 0)
            goto done;
    }
    rc = 0;
done:
    if (rc && !raw && type && exchange && err->code == ZW_OK)
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    free(type);
    free(exchange);
    free(raw);
    return rc;
}

int zw_xregion_acked(zw_xregion_ctx_t *ctx, const char *region, const char *key_id,
                     const char *message_id, bool nak, int code, const char *text, zw_err_t *err)
{
    s_acked_t x = {.ctx = ctx,
                   .region = region,
                   .key_id = key_id,
                   .message_id = message_id,
                   .nak = nak,
                   .code = code,
                   .text = text ? text : ""};
    if (zw_xregion_now(ctx, &x.now, err) != 0)
        return -1;
    return zw_db_tx(ctx->db, false, s_acked_tx, &x, err);
}

/* ------------------------------------------------------------------ XrStatus out */

int zw_xregion_status_out(zw_xregion_ctx_t *ctx, zw_db_t *db, const char *exchange_id, int part_no,
                          int64_t now_us, const char *note, zw_err_t *err)
{
    char pn[24];
    const char *p[] = {exchange_id, s_num(pn, part_no)};
    PGresult *res = zw_db_exec(db, "xr_part_status_next", 2, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        /* a local part: the origin is this deployment, which reads the row */
        const char *l[] = {exchange_id, pn, ctx->settings->region};
        if (!(res = zw_db_exec(db, "xr_part_is_local", 3, l, err)))
            return -1;
        bool local = PQntuples(res) == 1;
        PQclear(res);
        if (local)
            return zw_xregion_store_changed(db, exchange_id, part_no, now_us, note, err);
        return zw_err_set(err, ZW_NOT_FOUND, "no inbound or local part %d of exchange %s", part_no,
                          exchange_id);
    }
    Zwfw__V1__XrStatus s = ZWFW__V1__XR_STATUS__INIT;
    Zwfw__V1__Timestamp state_at = ZWFW__V1__TIMESTAMP__INIT, due_at = ZWFW__V1__TIMESTAMP__INIT;
    Zwfw__V1__Error e = ZWFW__V1__ERROR__INIT;
    Zwfw__V1__Error__DetailsEntry d = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT, *dv[1] = {&d};
    s.exchange_id = (char *) exchange_id;
    s.part_no = part_no;
    s.seq = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    char *region = PQgetvalue(res, 0, 1);
    s.stage = (Zwfw__V1__PartStage) atoi(PQgetvalue(res, 0, 2));
    s.receipt_number = PQgetvalue(res, 0, 3);
    s.state = (Zwfw__V1__ApplicationState) atoi(PQgetvalue(res, 0, 4));
    if (!PQgetisnull(res, 0, 5)) {
        int64_t us = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
        state_at.seconds = us / 1000000;
        state_at.nanos = (int32_t) (us % 1000000) * 1000;
        s.state_at = &state_at;
    }
    if (!PQgetisnull(res, 0, 6)) {
        int64_t us = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
        due_at.seconds = us / 1000000;
        due_at.nanos = (int32_t) (us % 1000000) * 1000;
        s.due_at = &due_at;
    }
    s.item_name = PQgetvalue(res, 0, 7);
    s.department_name = PQgetvalue(res, 0, 8);
    s.reason = PQgetvalue(res, 0, 9);
    cJSON *missing = cJSON_Parse(PQgetvalue(res, 0, 10));
    int nm = cJSON_IsArray(missing) ? cJSON_GetArraySize(missing) : 0;
    char **mv = nm > 0 ? calloc((size_t) nm, sizeof *mv) : NULL;
    for (int i = 0; mv && i < nm; i++) {
        const char *m = cJSON_GetStringValue(cJSON_GetArrayItem(missing, i));
        mv[s.n_missing++] = (char *) (m ? m : "");
    }
    s.missing = mv;
    int code = atoi(PQgetvalue(res, 0, 11));
    if (code) {
        e.code = (Zwfw__V1__Code) code;
        e.message = PQgetvalue(res, 0, 12);
        if (*PQgetvalue(res, 0, 13)) {
            d.key = "detail";
            d.value = PQgetvalue(res, 0, 13);
            e.details = dv;
            e.n_details = 1;
        }
        s.error = &e;
    }
    Zwfw__V1__Error ae = ZWFW__V1__ERROR__INIT;
    s.action_seq = atoi(PQgetvalue(res, 0, 14));
    if (atoi(PQgetvalue(res, 0, 15)) != 0) {
        ae.code = (Zwfw__V1__Code) atoi(PQgetvalue(res, 0, 15));
        ae.message = PQgetvalue(res, 0, 16);
        s.action_error = &ae;
    }
    char mid[160];
    zw_xregion_status_id(exchange_id, part_no, s.seq, mid, sizeof mid);
    int rc =
        zw_xregion_store_enqueue(ctx, db, region, mid, exchange_id, part_no, &s.base, now_us, err);
    free(mv);
    cJSON_Delete(missing);
    PQclear(res);
    if (rc != 0)
        return -1;
    return zw_xregion_store_changed(db, exchange_id, part_no, now_us, note, err);
}
