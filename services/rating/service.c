/* zwfw.rating requests that change something: ratings, follow-ups, and the
 * rectification cases' callbacks, closing and appeals. Each runs in one
 * transaction with its events, its audit entry and its idempotency record
 * (protocol.md "好差评 ratings"). Reads are in read.c. */
#include "rating.h"

#include "access.h"
#include "audit.h"
#include "idem.h"
#include "log.h"
#include "mdp_worker.h"
#include "outbox.h"
#include "pbmsg.h"
#include "rules.h"
#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Declared in read.c. */
void zw_rating_svc_get(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_list(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_get_case(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_list_cases(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_stats(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

/* ------------------------------------------------------------------ a mutation */

typedef struct s_mut s_mut_t;
/* Does the work on db's transaction and packs the reply into x->out. */
typedef int (*s_body_fn)(s_mut_t *x, zw_db_t *db, zw_err_t *err);

struct s_mut {
    zw_rating_ctx_t *ctx;
    const zw_request_t *req;
    const char *key;
    const void *m; /* the request message */
    const char *actor;
    int64_t now;
    zw_date_t today;
    char digest[ZW_AUDIT_HASH_LEN + 1];
    zw_rating_arena_t *a; /* a fresh one per try */
    uint8_t *out;
    size_t out_len;
    int64_t existing_id; /* ALREADY_EXISTS receipt_number: the rating there */
    s_body_fn body;
    const char *lock_stmt; /* the row the request changes, locked first; NULL: none */
    int64_t lock_id;
};

static int s_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_mut_t *x = arg;
    free(x->out);
    x->out = NULL;
    x->existing_id = 0;
    zw_rating_arena_destroy(&x->a);
    if (!(x->a = zw_rating_arena_new()))
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (x->lock_stmt) {
        char id[32];
        snprintf(id, sizeof id, "%" PRId64, x->lock_id);
        const char *p[] = {id};
        PGresult *res = zw_db_exec(db, x->lock_stmt, 1, p, err);
        if (!res)
            return -1;
        PQclear(res);
    }
    /* copies of one request wait here for the first, then replay it */
    if (zw_idem_lock(db, x->req->caller->key_id, x->key, err) != 0 ||
        zw_idem_replay(db, ZW_RATING_REQUESTS, x->req->caller->key_id, x->key, x->req->type,
                       x->digest, &x->out, &x->out_len, err) != 0)
        return -1;
    if (x->out)
        return 0;
    if (x->body(x, db, err) != 0)
        return -1;
    return zw_idem_put(db, ZW_RATING_REQUESTS, x->req->caller->key_id, x->key, x->req->type,
                       x->digest, x->out, x->out_len, x->now, err);
}

/* Runs body in a transaction and answers: the reply it packed (or the
 * first one under this key), or the error. */
static void s_run(s_mut_t *x, zw_reply_t *reply, const char *reply_type)
{
    zw_err_t err;
    zw_audit_digest(x->req->data, x->req->len, x->digest);
    if (zw_rating_now(x->ctx, &x->now, &x->today, &err) != 0 ||
        zw_db_tx(x->ctx->db, false, s_tx, x, &err) != 0) {
        zw_reply_err(reply, &err);
        if (x->existing_id > 0) {
            char id[32];
            snprintf(id, sizeof id, "%" PRId64, x->existing_id);
            zw_reply_detail(reply, "rating_id", id);
        }
    } else {
        zw_reply_bytes(reply, reply_type, x->out, x->out_len);
    }
    free(x->out);
    x->out = NULL;
    zw_rating_arena_destroy(&x->a);
}

static int s_pack_into(s_mut_t *x, const ProtobufCMessage *msg, zw_err_t *err)
{
    x->out = zw_pbmsg_pack(msg, &x->out_len);
    return x->out ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
}

static int s_event(s_mut_t *x, zw_db_t *db, const char *aggregate, const ProtobufCMessage *msg,
                   zw_err_t *err)
{
    size_t len;
    uint8_t *buf = zw_pbmsg_pack(msg, &len);
    if (!buf)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    int rc = zw_outbox_append(db, ZW_RATING_STREAM, msg->descriptor->name, aggregate, x->now, buf,
                              len, err);
    free(buf);
    return rc;
}

static int s_audit(s_mut_t *x, zw_db_t *db, const char *action, const char *type, int64_t id,
                   const ProtobufCMessage *after, zw_err_t *err)
{
    char oid[32];
    snprintf(oid, sizeof oid, "%" PRId64, id);
    return zw_audit_request(db, x->req->caller, x->actor, x->now, action, type, oid, after, err);
}

static char *s_num(char buf[32], int64_t v)
{
    snprintf(buf, 32, "%" PRId64, v);
    return buf;
}

/* ------------------------------------------------------------------ SubmitRating */

static int s_submit_body(s_mut_t *x, zw_db_t *db, zw_err_t *err)
{
    const Zwfw__V1__SubmitRating *m = x->m;
    zw_rating_app_t app;
    if (zw_rating_store_app(db, m->receipt_number, &app, err) != 0)
        return -1;
    int rc = -1;
    int mode = zw_rating_service_mode(app.channel);
    Zwfw__V1__Rating *existing = NULL;
    if (zw_rating_check_state(m->receipt_number, app.state, err) != 0 ||
        zw_rating_check_mode(m, mode, err) != 0 ||
        zw_rating_store_rating(db, x->a, 0, m->receipt_number, false, &existing, err) != 0)
        goto done;
    if (existing) {
        x->existing_id = existing->rating_id;
        zw_err_setd(err, ZW_ALREADY_EXISTS, "receipt_number",
                    "application %s is already rated (rating %" PRId64
                    "); a rating is never replaced: add a follow-up",
                    m->receipt_number, existing->rating_id);
        goto done;
    }
    /* dimensions as a smallint[] of pairs */
    char dims[256] = "{";
    size_t n = 1;
    for (size_t i = 0; i < m->n_dimensions; i++)
        n += (size_t) snprintf(dims + n, sizeof dims - n, "%s%d,%d", i ? "," : "",
                               (int) m->dimensions[i]->dimension, (int) m->dimensions[i]->level);
    snprintf(dims + n, sizeof dims - n, "}");
    const char *staff = *m->staff_id ? m->staff_id : *app.window_id ? app.window_id : app.submitter;
    char b[8][32], day[ZW_DATE_STRLEN];
    const char *p[] = {m->receipt_number,
                       s_num(b[0], m->channel),
                       s_num(b[1], m->level),
                       m->reason,
                       dims,
                       m->real_name ? "true" : "false",
                       staff,
                       s_num(b[2], x->now),
                       zw_rating_date_text(x->today, day),
                       x->req->caller->key_id,
                       app.item_code,
                       s_num(b[3], app.item_version),
                       app.item_name,
                       app.department_code,
                       app.department_name,
                       app.region,
                       s_num(b[4], app.state),
                       s_num(b[5], app.channel),
                       s_num(b[6], mode)};
    PGresult *res = zw_db_exec(db, "rt_rating_insert", 19, p, err);
    if (!res)
        goto done;
    int64_t id = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    if (id == 0) {
        /* another request (another key) rated it and committed while this
         * one waited on the receipt number */
        zw_err_setd(err, ZW_ALREADY_EXISTS, "receipt_number",
                    "application %s was rated by another request just now", m->receipt_number);
        goto done;
    }
    Zwfw__V1__SubmitRatingReply r = ZWFW__V1__SUBMIT_RATING_REPLY__INIT;
    if (zw_rating_is_bad(m->level)) {
        zw_date_t due;
        int wd = x->ctx->settings->case_workdays;
        if (zw_rating_due_date(x->ctx->settings->cal, x->today, wd, &due, err) != 0)
            goto done;
        char dued[ZW_DATE_STRLEN];
        const char *q[] = {s_num(b[0], id),
                           m->receipt_number,
                           app.department_code,
                           s_num(b[1], x->now),
                           zw_rating_date_text(due, dued),
                           s_num(b[2], wd),
                           m->real_name ? "true" : "false"};
        if (!(res = zw_db_exec(db, "rt_case_insert", 7, q, err)))
            goto done;
        PQclear(res);
    }
    if (zw_rating_store_rating(db, x->a, id, NULL, false, &r.rating, err) != 0 ||
        (r.rating && r.rating->case_id > 0 &&
         zw_rating_store_case(db, x->a, r.rating->case_id, 0, x->today, false,
                              &r.rectification_case, err) != 0))
        goto done;
    if (!r.rating) {
        zw_err_set(err, ZW_INTERNAL, "rating %" PRId64 " vanished", id);
        goto done;
    }
    Zwfw__V1__RatingSubmitted ev = ZWFW__V1__RATING_SUBMITTED__INIT;
    ev.rating = r.rating;
    if (s_event(x, db, m->receipt_number, &ev.base, err) != 0 ||
        s_audit(x, db, "rating.submit", "rating", id, &r.rating->base, err) != 0)
        goto done;
    if (r.rectification_case) {
        Zwfw__V1__CaseOpened co = ZWFW__V1__CASE_OPENED__INIT;
        co.rectification_case = r.rectification_case;
        co.rating = r.rating;
        if (s_event(x, db, m->receipt_number, &co.base, err) != 0 ||
            s_audit(x, db, "rating.case.open", "rating.case", r.rectification_case->case_id,
                    &r.rectification_case->base, err) != 0)
            goto done;
    }
    rc = s_pack_into(x, &r.base, err);
done:
    zw_rating_app_clear(&app);
    return rc;
}

/* Staff must not rate for the applicant: ratings come from the channel
 * systems. */
#define S_RATERS (ZW_ROLE_MASK_INTEGRATOR | ZW_ROLE_MASK_SYSTEM)

static void s_submit(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    if (zw_access_require(req->caller, S_RATERS, NULL,
                          "rate an application: staff must not rate for the applicant; ratings "
                          "come from the channel systems",
                          &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    Zwfw__V1__SubmitRating *m = (Zwfw__V1__SubmitRating *) zw_request_unpack(
        req, &zwfw__v1__submit_rating__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    if (zw_rating_check_submit(m, &err) != 0) {
        zw_reply_err(reply, &err);
    } else {
        s_mut_t x = {
            .ctx = ctx, .req = req, .key = m->idempotency_key, .m = m, .body = s_submit_body};
        s_run(&x, reply, "zwfw.v1.SubmitRatingReply");
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ AddFollowUp */

static int s_follow_body(s_mut_t *x, zw_db_t *db, zw_err_t *err)
{
    const Zwfw__V1__AddFollowUp *m = x->m;
    Zwfw__V1__Rating *r = NULL;
    if (zw_rating_store_rating(db, x->a, m->rating_id, NULL, true, &r, err) != 0)
        return -1;
    if (!r)
        return zw_err_setd(err, ZW_NOT_FOUND, "rating_id", "no rating %" PRId64, m->rating_id);
    const Zwfw__V1__Caller *c = x->req->caller;
    if (c->role == ZWFW__V1__ROLE__ROLE_INTEGRATOR && strcmp(r->submitted_by, c->key_id) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "rating_id",
                           "rating %" PRId64 " came through another channel system; a follow-up "
                           "goes through the one the rater used",
                           m->rating_id);
    char b[4][32];
    const char *p[] = {s_num(b[0], m->rating_id), m->text, s_num(b[1], m->channel),
                       s_num(b[2], x->now), s_num(b[3], ZW_RATING_MAX_FOLLOW_UPS)};
    PGresult *res = zw_db_exec(db, "rt_follow_insert", 5, p, err);
    if (!res)
        return -1;
    int64_t seq = PQntuples(res) == 1 ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    if (seq == 0)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "rating_id",
                           "rating %" PRId64 " has its %d follow-ups already", m->rating_id,
                           ZW_RATING_MAX_FOLLOW_UPS);
    Zwfw__V1__AddFollowUpReply rep = ZWFW__V1__ADD_FOLLOW_UP_REPLY__INIT;
    if (zw_rating_store_rating(db, x->a, m->rating_id, NULL, false, &rep.rating, err) != 0)
        return -1;
    if (!rep.rating || rep.rating->n_follow_ups == 0)
        return zw_err_set(err, ZW_INTERNAL, "rating %" PRId64 " vanished", m->rating_id);
    Zwfw__V1__RatingFollowedUp ev = ZWFW__V1__RATING_FOLLOWED_UP__INIT;
    ev.rating_id = m->rating_id;
    ev.receipt_number = rep.rating->receipt_number;
    ev.follow_up = rep.rating->follow_ups[rep.rating->n_follow_ups - 1];
    if (s_event(x, db, rep.rating->receipt_number, &ev.base, err) != 0 ||
        s_audit(x, db, "rating.follow_up", "rating", m->rating_id, &ev.base, err) != 0)
        return -1;
    return s_pack_into(x, &rep.base, err);
}

static void s_follow(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    if (zw_access_require(req->caller, S_RATERS, NULL,
                          "add a follow-up: only the rater adds one, through a channel system",
                          &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    Zwfw__V1__AddFollowUp *m = (Zwfw__V1__AddFollowUp *) zw_request_unpack(
        req, &zwfw__v1__add_follow_up__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    if (zw_rating_check_key(m->idempotency_key, &err) != 0 ||
        (m->rating_id <= 0 &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "rating_id", "rating_id is required") != 0) ||
        zw_rating_check_text("text", m->text, ZW_RATING_REASON_MAX, true, true, &err) != 0 ||
        ((m->channel < 1 || m->channel > 8) &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "channel",
                     "channel must be one of the eight rating channels (1-8), not %d",
                     (int) m->channel) != 0)) {
        zw_reply_err(reply, &err);
    } else {
        s_mut_t x = {.ctx = ctx,
                     .req = req,
                     .key = m->idempotency_key,
                     .m = m,
                     .body = s_follow_body,
                     .lock_stmt = "rt_lock_rating",
                     .lock_id = m->rating_id};
        s_run(&x, reply, "zwfw.v1.AddFollowUpReply");
    }
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ case steps */

typedef enum { S_CALLBACK, S_CLOSE, S_APPEAL, S_DECIDE } s_step_kind_t;

typedef struct {
    s_step_kind_t kind;
    int64_t case_id;
    bool flag; /* reached, rater_informed, upheld */
    int outcome;
    const char *text; /* note, resolution, reason */
} s_step_t;

/* Loads the case FOR UPDATE and checks who may take the step on it and
 * whether its state allows it. */
static int s_step_check(s_mut_t *x, const s_step_t *st, const Zwfw__V1__RectificationCase *c,
                        zw_err_t *err)
{
    const Zwfw__V1__Caller *caller = x->req->caller;
    /* approver and head only on their own department's case */
    if ((caller->role == ZWFW__V1__ROLE__ROLE_APPROVER ||
         caller->role == ZWFW__V1__ROLE__ROLE_HEAD) &&
        strcmp(caller->department ? caller->department : "", c->department_code) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                           "department %s may not act on department %s's case",
                           caller->department && *caller->department ? caller->department
                                                                     : "(none)",
                           c->department_code);
    if (c->status != ZWFW__V1__CASE_STATUS__CASE_STATUS_OPEN)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "case_id", "case %" PRId64 " is %s",
                           c->case_id,
                           c->status == ZWFW__V1__CASE_STATUS__CASE_STATUS_CLOSED
                               ? "closed"
                               : "ended: its rating was excluded by an upheld appeal");
    int appeal = c->appeal ? (int) c->appeal->status : 0;
    switch (st->kind) {
    case S_CALLBACK:
        return 0;
    case S_CLOSE:
        if (appeal == ZWFW__V1__APPEAL_STATUS__APPEAL_STATUS_FILED)
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, "appeal",
                               "case %" PRId64 " has an appeal waiting for 复核: it is decided "
                               "first",
                               c->case_id);
        if (!st->flag)
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, "rater_informed",
                               "tell the rater the result before closing case %" PRId64
                               " (rater_informed)",
                               c->case_id);
        if (c->callback_required && c->n_callbacks == 0)
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, "callbacks",
                               "case %" PRId64 " is a real-name 差评: record the callback (回访) "
                               "before closing it",
                               c->case_id);
        return 0;
    case S_APPEAL:
        if (appeal != ZWFW__V1__APPEAL_STATUS__APPEAL_STATUS_UNSPECIFIED)
            return zw_err_setd(err, ZW_ALREADY_EXISTS, "appeal",
                               "case %" PRId64 " has had its appeal; one per case", c->case_id);
        return 0;
    case S_DECIDE:
        if (appeal != ZWFW__V1__APPEAL_STATUS__APPEAL_STATUS_FILED)
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, "appeal",
                               "case %" PRId64 " has no appeal waiting for 复核", c->case_id);
        return 0;
    }
    return 0;
}

static const char *s_change_name(const s_step_t *st)
{
    switch (st->kind) {
    case S_CALLBACK:
        return "callback";
    case S_CLOSE:
        return "closed";
    case S_APPEAL:
        return "appeal_filed";
    case S_DECIDE:
        return st->flag ? "appeal_upheld" : "appeal_rejected";
    }
    return "";
}

static int s_step_body(s_mut_t *x, zw_db_t *db, zw_err_t *err)
{
    const s_step_t *st = x->m;
    Zwfw__V1__RectificationCase *c = NULL;
    if (zw_rating_store_case(db, x->a, st->case_id, 0, x->today, true, &c, err) != 0)
        return -1;
    if (!c)
        return zw_err_setd(err, ZW_NOT_FOUND, "case_id", "no case %" PRId64, st->case_id);
    if (s_step_check(x, st, c, err) != 0)
        return -1;
    const char *actor = x->actor && *x->actor ? x->actor : x->req->caller->key_id;
    char b[4][32], day[ZW_DATE_STRLEN];
    PGresult *res = NULL;
    switch (st->kind) {
    case S_CALLBACK: {
        const char *p[] = {s_num(b[0], st->case_id), s_num(b[1], x->now), actor,
                           st->flag ? "true" : "false", st->text};
        const char *t[] = {s_num(b[2], st->case_id), s_num(b[3], x->now)};
        if (!(res = zw_db_exec(db, "rt_callback_insert", 5, p, err)))
            return -1;
        PQclear(res);
        res = zw_db_exec(db, "rt_case_touch", 2, t, err);
        break;
    }
    case S_CLOSE: {
        const char *p[] = {s_num(b[0], st->case_id), s_num(b[1], st->outcome),           st->text,
                           s_num(b[2], x->now),      zw_rating_date_text(x->today, day), actor};
        res = zw_db_exec(db, "rt_case_close", 6, p, err);
        break;
    }
    case S_APPEAL: {
        const char *p[] = {s_num(b[0], st->case_id), st->text, actor, s_num(b[1], x->now)};
        res = zw_db_exec(db, "rt_appeal_file", 4, p, err);
        break;
    }
    case S_DECIDE: {
        const char *p[] = {
            s_num(b[0], st->case_id), st->flag ? "true" : "false",       st->text, actor,
            s_num(b[1], x->now),      zw_rating_date_text(x->today, day)};
        res = zw_db_exec(db, "rt_appeal_decide", 6, p, err);
        if (res && st->flag) {
            PQclear(res);
            const char *q[] = {s_num(b[2], c->rating_id)};
            res = zw_db_exec(db, "rt_rating_exclude", 1, q, err);
        }
        break;
    }
    }
    if (!res)
        return -1;
    PQclear(res);
    Zwfw__V1__CaseReply rep = ZWFW__V1__CASE_REPLY__INIT;
    if (zw_rating_store_case(db, x->a, st->case_id, 0, x->today, false, &rep.rectification_case,
                             err) != 0)
        return -1;
    if (!rep.rectification_case)
        return zw_err_set(err, ZW_INTERNAL, "case %" PRId64 " vanished", st->case_id);
    Zwfw__V1__CaseChanged ev = ZWFW__V1__CASE_CHANGED__INIT;
    ev.rectification_case = rep.rectification_case;
    ev.change = (char *) s_change_name(st);
    char action[64];
    snprintf(action, sizeof action, "rating.case.%s", ev.change);
    if (s_event(x, db, rep.rectification_case->receipt_number, &ev.base, err) != 0 ||
        s_audit(x, db, action, "rating.case", st->case_id, &rep.rectification_case->base, err) != 0)
        return -1;
    return s_pack_into(x, &rep.base, err);
}

static int s_check_case_id(int64_t id, zw_err_t *err)
{
    return id > 0 ? 0 : zw_err_setd(err, ZW_INVALID_ARGUMENT, "case_id", "case_id is required");
}

static int s_check_actor(const char *actor, zw_err_t *err)
{
    return actor && *actor ? zw_validate_actor(actor, err) : 0;
}

static void s_case_step(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    s_step_t st = {0};
    const char *key = NULL, *actor = NULL;
    ProtobufCMessage *msg = NULL;
    unsigned roles = 0;
    const char *what = "";
    if (strcmp(req->type, "zwfw.v1.RecordCallback") == 0) {
        roles = ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD;
        what = "record a callback (回访): the handling department's approver or head does";
    } else if (strcmp(req->type, "zwfw.v1.CloseCase") == 0) {
        roles = ZW_ROLE_MASK_HEAD;
        what = "close a rectification case: the handling department's head does";
    } else if (strcmp(req->type, "zwfw.v1.FileAppeal") == 0) {
        roles = ZW_ROLE_MASK_HEAD;
        what = "file an appeal (申诉): the handling department's head does";
    } else {
        roles = ZW_ROLE_MASK_SUPERVISOR;
        what = "decide an appeal (复核): a supervisor does";
    }
    if (zw_access_require(req->caller, roles, NULL, what, &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    int rc = 0;
    if (strcmp(req->type, "zwfw.v1.RecordCallback") == 0) {
        Zwfw__V1__RecordCallback *m = (Zwfw__V1__RecordCallback *) zw_request_unpack(
            req, &zwfw__v1__record_callback__descriptor, &err);
        if (!m)
            rc = -1;
        else {
            msg = &m->base;
            st = (s_step_t){S_CALLBACK, m->case_id, m->reached, 0, m->note};
            key = m->idempotency_key;
            actor = m->actor;
            rc = zw_rating_check_key(key, &err) || s_check_case_id(m->case_id, &err) ||
                 zw_rating_check_text("note", m->note, ZW_RATING_NOTE_MAX, true, true, &err);
        }
    } else if (strcmp(req->type, "zwfw.v1.CloseCase") == 0) {
        Zwfw__V1__CloseCase *m =
            (Zwfw__V1__CloseCase *) zw_request_unpack(req, &zwfw__v1__close_case__descriptor, &err);
        if (!m)
            rc = -1;
        else {
            msg = &m->base;
            st =
                (s_step_t){S_CLOSE, m->case_id, m->rater_informed, (int) m->outcome, m->resolution};
            key = m->idempotency_key;
            actor = m->actor;
            rc = zw_rating_check_key(key, &err) || s_check_case_id(m->case_id, &err);
            if (!rc && m->outcome != ZWFW__V1__CASE_OUTCOME__CASE_OUTCOME_RECTIFIED &&
                m->outcome != ZWFW__V1__CASE_OUTCOME__CASE_OUTCOME_EXPLAINED)
                rc = zw_err_setd(&err, ZW_INVALID_ARGUMENT, "outcome",
                                 "outcome must be RECTIFIED (fixed) or EXPLAINED (no basis, "
                                 "explained), not %d",
                                 (int) m->outcome);
            if (!rc)
                rc = zw_rating_check_text("resolution", m->resolution, ZW_RATING_TEXT_MAX, true,
                                          true, &err);
        }
    } else if (strcmp(req->type, "zwfw.v1.FileAppeal") == 0) {
        Zwfw__V1__FileAppeal *m = (Zwfw__V1__FileAppeal *) zw_request_unpack(
            req, &zwfw__v1__file_appeal__descriptor, &err);
        if (!m)
            rc = -1;
        else {
            msg = &m->base;
            st = (s_step_t){S_APPEAL, m->case_id, false, 0, m->reason};
            key = m->idempotency_key;
            actor = m->actor;
            rc = zw_rating_check_key(key, &err) || s_check_case_id(m->case_id, &err) ||
                 zw_rating_check_text("reason", m->reason, ZW_RATING_TEXT_MAX, true, true, &err);
        }
    } else {
        Zwfw__V1__DecideAppeal *m = (Zwfw__V1__DecideAppeal *) zw_request_unpack(
            req, &zwfw__v1__decide_appeal__descriptor, &err);
        if (!m)
            rc = -1;
        else {
            msg = &m->base;
            st = (s_step_t){S_DECIDE, m->case_id, m->upheld, 0, m->note};
            key = m->idempotency_key;
            actor = m->actor;
            rc = zw_rating_check_key(key, &err) || s_check_case_id(m->case_id, &err) ||
                 zw_rating_check_text("note", m->note, ZW_RATING_TEXT_MAX, true, true, &err);
        }
    }
    if (!rc)
        rc = s_check_actor(actor, &err);
    if (rc) {
        zw_reply_err(reply, &err);
    } else {
        s_mut_t x = {.ctx = ctx,
                     .req = req,
                     .key = key,
                     .m = &st,
                     .actor = actor,
                     .body = s_step_body,
                     .lock_stmt = "rt_lock_case",
                     .lock_id = st.case_id};
        s_run(&x, reply, "zwfw.v1.CaseReply");
    }
    if (msg)
        protobuf_c_message_free_unpacked(msg, NULL);
}

/* ------------------------------------------------------------------ dispatch */

void zw_rating_handle(void *vctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_rating_ctx_t *ctx = vctx;
    zw_err_t err;
    if (zw_access_require(req->caller, 0x1feu, NULL, "use zwfw.rating", &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    static const struct {
        const char *type;
        void (*fn)(zw_rating_ctx_t *, const zw_request_t *, zw_reply_t *);
    } table[] = {
        {"zwfw.v1.SubmitRating", s_submit},
        {"zwfw.v1.AddFollowUp", s_follow},
        {"zwfw.v1.RecordCallback", s_case_step},
        {"zwfw.v1.CloseCase", s_case_step},
        {"zwfw.v1.FileAppeal", s_case_step},
        {"zwfw.v1.DecideAppeal", s_case_step},
        {"zwfw.v1.GetRating", zw_rating_svc_get},
        {"zwfw.v1.ListRatings", zw_rating_svc_list},
        {"zwfw.v1.GetCase", zw_rating_svc_get_case},
        {"zwfw.v1.ListCases", zw_rating_svc_list_cases},
        {"zwfw.v1.RatingStats", zw_rating_svc_stats},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(req->type, table[i].type) == 0) {
            table[i].fn(ctx, req, reply);
            return;
        }
    zw_worker_reply_unimplemented(req, reply);
}
