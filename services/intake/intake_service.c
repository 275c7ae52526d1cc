/* zwfw.intake: request dispatch, the reads (GetApplication,
 * ListApplications, ListChanges) and the credit list. */
#include "intake_decide.h"

#include "audit.h"
#include "catalog_rules.h"
#include "log.h"
#include "mdp_worker.h"
#include "wire_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x
#define S_READERS                                                                                  \
    (ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD | ZW_ROLE_MASK_SUPERVISOR |   \
     ZW_ROLE_MASK_INTEGRATOR)

static zw_intake_settings_t s_settings;

void zw_intake_init(const zw_intake_settings_t *settings)
{
    s_settings = *settings;
}

const zw_intake_settings_t *zw_intake_settings(void)
{
    return &s_settings;
}

int zw_intake_ctx_prepare(zw_intake_ctx_t *ctx, zw_err_t *err)
{
    return zw_intake_store_prepare(ctx->db, err);
}

static void s_invalid(zw_reply_t *reply, const char *field, const char *what)
{
    zw_reply_error(reply, ZW_INVALID_ARGUMENT, "%s: %s", field, what);
    zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, field);
}

/* ---- GetApplication --------------------------------------------------------------- */

/* The 5-working-day rule at query: a waiting application whose deadline
 * passed is accepted before it is shown (the sweep may not have run yet). */
static int s_deemed_at_query(zw_intake_ctx_t *ctx, const zw_intake_row_t *row, zw_err_t *err)
{
    zw_intake_row_t *kids = NULL;
    size_t n = 0;
    const zw_intake_row_t *check = row;
    if (row->state != S_STATE(RECEIVED))
        return 0;
    if (!row->item_code[0] &&
        zw_intake_store_children(ctx->db, row->receipt, false, &kids, &n, err) != 0)
        return -1;
    int64_t now;
    int rc = zw_clock_now(ctx->clock, &now, err);
    for (size_t i = 0; rc == 0 && i < (row->item_code[0] ? 1 : n); i++) {
        if (!row->item_code[0])
            check = &kids[i];
        if (check->state != S_STATE(RECEIVED) || check->notice_given_at_us >= 0)
            continue;
        bool deemed = false, done;
        rc = zw_intake_deemed(ctx->calendar, s_settings.notice_workdays,
                              check->received_at_us / ZW_US_PER_SEC, -1, now / ZW_US_PER_SEC,
                              &deemed, err);
        if (rc == 0 && deemed)
            rc = zw_intake_deemed_one(ctx, check->receipt, &done, err);
    }
    zw_intake_rows_free(kids, n);
    return rc;
}

static void s_get(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__GetApplication *m = (Zwfw__V1__GetApplication *) zw_request_unpack(
        req, &zwfw__v1__get_application__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    zw_intake_row_t row = {0};
    bool have_row = false;
    Zwfw__V1__ApplicationReply out = ZWFW__V1__APPLICATION_REPLY__INIT;
    zw_access_target_t target;
    if (zw_access_check(req->caller, ZW_ACT_READ_CASE, NULL, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (!zw_intake_receipt_ok(m->receipt_number)) {
        s_invalid(reply, "receipt_number", "not a receipt number");
        goto done;
    }
    if (zw_intake_store_app_get(ctx->db, m->receipt_number, false, &row, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    have_row = true;
    zw_intake_target(&row, &target);
    if (zw_access_check(req->caller, ZW_ACT_READ_CASE, &target, &err) != 0 ||
        s_deemed_at_query(ctx, &row, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    out.application = zw_intake_view_load(ctx->db, m->receipt_number,
                                          zw_intake_may_see_pii(req->caller), true, &err);
    if (!out.application) {
        zw_reply_err(reply, &err);
        goto done;
    }
    zw_intake_row_free(&row);
    if (zw_intake_store_app_get(ctx->db, m->receipt_number, false, &row, &err) == 0)
        out.notice = zw_intake_notice_unhex(row.notice);
    zw_reply_message(reply, &out.base);
done:
    if (out.application)
        protobuf_c_message_free_unpacked(&out.application->base, NULL);
    if (out.notice)
        protobuf_c_message_free_unpacked(&out.notice->base, NULL);
    if (have_row)
        zw_intake_row_free(&row);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ---- ListApplications and ListChanges --------------------------------------------- */

/* What the caller may read: its center (window), its department (approver,
 * head), what it submitted (integrator), everything (supervisor). A key
 * without the attribute its role is bound to sees nothing. */
typedef struct {
    const char *region, *department, *submitter;
} s_scope_t;

static void s_scope(const Zwfw__V1__Caller *c, s_scope_t *s)
{
    memset(s, 0, sizeof *s);
    switch (zw_access_role_scope(c->role)) {
    case ZW_SCOPE_REGION:
        s->region = c->region && *c->region ? c->region : "(none)";
        break;
    case ZW_SCOPE_DEPARTMENT:
        s->department = c->department && *c->department ? c->department : "(none)";
        break;
    case ZW_SCOPE_OWN:
        s->submitter = c->key_id && *c->key_id ? c->key_id : "(none)";
        break;
    default:
        break;
    }
}

static bool s_in_scope(const s_scope_t *s, const char *region, const char *dept,
                       const char *submitter)
{
    return (!s->region || strcmp(s->region, region) == 0) &&
           (!s->department || strcmp(s->department, dept) == 0) &&
           (!s->submitter || strcmp(s->submitter, submitter) == 0);
}

static void s_list(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__ListApplications *m = (Zwfw__V1__ListApplications *) zw_request_unpack(
        req, &zwfw__v1__list_applications__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    char *key = NULL;
    zw_intake_row_t *rows = NULL;
    size_t n = 0;
    Zwfw__V1__ListApplicationsReply out = ZWFW__V1__LIST_APPLICATIONS_REPLY__INIT;
    char token[ZW_INTAKE_MAX_RECEIPT + 32] = "", after_receipt[ZW_INTAKE_MAX_RECEIPT + 8];
    zw_intake_query_t q = {.from_us = -1, .to_us = -1, .state = m->state, .channel = m->channel};
    s_scope_t scope;
    if (zw_access_require(req->caller, S_READERS, NULL, "read applications", &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (*m->applicant_id_number && !zw_intake_token_ok(m->applicant_id_number, 32)) {
        s_invalid(reply, "applicant_id_number", "not an ID number");
        goto done;
    }
    /* as the catalog stores codes, so "500t..." finds what SubmitApplication
     * stored for it */
    zw_catalog_norm_code(m->item_code);
    if (*m->item_code && !zw_intake_token_ok(m->item_code, ZW_INTAKE_MAX_CODE)) {
        s_invalid(reply, "item_code", "not an item code");
        goto done;
    }
    if (*m->window_id && !zw_intake_token_ok(m->window_id, ZW_INTAKE_MAX_WINDOW)) {
        s_invalid(reply, "window_id", "not a window id");
        goto done;
    }
    if (m->state < 0 || m->state > 15 || m->channel < 0 || m->channel > 6) {
        s_invalid(reply, m->state < 0 || m->state > 15 ? "state" : "channel", "out of range");
        goto done;
    }
    if (m->page_size < 0 || m->page_size > 500) {
        s_invalid(reply, "page_size", "must be 0 (50) to 500");
        goto done;
    }
    if (*m->page_token) {
        char *dot = strchr(m->page_token, '.');
        char *end = NULL;
        q.after_us = dot ? strtoll(m->page_token, &end, 10) : -1;
        if (!dot || end != dot || q.after_us < 0 || !zw_intake_receipt_ok(dot + 1)) {
            s_invalid(reply, "page_token", "not a token from an earlier reply");
            goto done;
        }
        snprintf(after_receipt, sizeof after_receipt, "%s", dot + 1);
        q.after_receipt = after_receipt;
    }
    /* seconds * 10^6 must not overflow */
    if ((m->from && (m->from->seconds < ZW_WIRE_TEXT_TIME_MIN ||
                     m->from->seconds > ZW_WIRE_TEXT_TIME_MAX)) ||
        (m->to &&
         (m->to->seconds < ZW_WIRE_TEXT_TIME_MIN || m->to->seconds > ZW_WIRE_TEXT_TIME_MAX))) {
        s_invalid(reply, m->from && (m->from->seconds < ZW_WIRE_TEXT_TIME_MIN ||
                                     m->from->seconds > ZW_WIRE_TEXT_TIME_MAX)
                             ? "from"
                             : "to",
                  "outside the years 0001 to 9999");
        goto done;
    }
    if (m->from)
        q.from_us = m->from->seconds * ZW_US_PER_SEC + m->from->nanos / 1000;
    if (m->to)
        q.to_us = m->to->seconds * ZW_US_PER_SEC + m->to->nanos / 1000;
    if (*m->applicant_id_number && !(key = zw_intake_applicant_key(m->applicant_id_number))) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    s_scope(req->caller, &scope);
    q.applicant_key = key;
    q.item_code = m->item_code;
    q.window_id = m->window_id;
    q.scope_region = scope.region;
    q.scope_department = scope.department;
    q.scope_submitter = scope.submitter;
    int size = m->page_size ? m->page_size : 50;
    q.limit = size + 1;
    char today_text[ZW_DATE_STRLEN];
    if (m->supply_overdue) {
        int64_t now_us;
        zw_date_t today;
        if (zw_clock_now(ctx->clock, &now_us, &err) != 0 ||
            zw_moment_local(now_us / ZW_US_PER_SEC, &today, NULL, &err) != 0) {
            zw_reply_err(reply, &err);
            goto done;
        }
        q.supply_before = zw_date_format(today, today_text);
    }
    if (zw_intake_store_list(ctx->db, &q, &rows, &n, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    size_t shown = n > (size_t) size ? (size_t) size : n;
    if (shown && !(out.applications = calloc(shown, sizeof *out.applications))) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    bool clear = zw_intake_may_see_pii(req->caller);
    for (size_t i = 0; i < shown; i++) {
        out.applications[i] = zw_intake_view(ctx->db, &rows[i], clear, false, &err);
        if (!out.applications[i]) {
            zw_reply_err(reply, &err);
            goto done;
        }
        out.n_applications++;
    }
    if (n > shown) {
        snprintf(token, sizeof token, "%" PRId64 ".%s", rows[shown - 1].received_at_us,
                 rows[shown - 1].receipt);
        out.next_page_token = token;
    }
    zw_reply_message(reply, &out.base);
done:
    for (size_t i = 0; i < out.n_applications; i++)
        protobuf_c_message_free_unpacked(&out.applications[i]->base, NULL);
    free(out.applications);
    zw_intake_rows_free(rows, n);
    free(key);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void s_changes(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__ListChanges *m =
        (Zwfw__V1__ListChanges *) zw_request_unpack(req, &zwfw__v1__list_changes__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    zw_intake_change_t *ch = NULL;
    size_t n = 0;
    Zwfw__V1__ListChangesReply out = ZWFW__V1__LIST_CHANGES_REPLY__INIT;
    Zwfw__V1__ApplicationChange *items = NULL, **ptrs = NULL;
    Zwfw__V1__Timestamp *ats = NULL;
    Zwfw__V1__ApplicationEventHead **heads = NULL;
    s_scope_t scope;
    if (zw_access_require(req->caller, S_READERS, NULL, "read applications", &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (m->after_seq < 0 || m->limit < 0 || m->limit > 1000) {
        s_invalid(reply, m->after_seq < 0 ? "after_seq" : "limit",
                  m->after_seq < 0 ? "must be 0 or more" : "must be 0 (100) to 1000");
        goto done;
    }
    if (zw_intake_store_changes(ctx->db, m->after_seq, m->limit ? m->limit : 100, &ch, &n, &err) !=
        0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    /* Retention may have removed the oldest events: a follower behind that
     * point would silently skip them, so it is told to resync instead. A
     * follower past the head (a seq this feed never gave, e.g. from before
     * a database restore) would skip every seq up to its own for good, so
     * it is refused too. Read after the feed, so a trim between the two
     * cannot slip through and the head is at least every seq just read. */
    int64_t head = 0, trimmed = 0;
    if (zw_intake_store_stream_head(ctx->db, &head, &trimmed, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (m->after_seq > head) {
        zw_reply_error(reply, ZW_OUT_OF_RANGE,
                       "after_seq %" PRId64 " is beyond the head of the change feed, seq %" PRId64
                       ": follow from a seq this feed gave (at most %" PRId64 ")",
                       m->after_seq, head, head);
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "after_seq");
        goto done;
    }
    if (m->after_seq < trimmed) {
        char msg[240];
        snprintf(msg, sizeof msg,
                 "events up to seq %" PRId64 " were removed by retention: read the applications "
                 "again (ListApplications), then follow the feed from seq %" PRId64,
                 trimmed, trimmed);
        zw_reply_error(reply, ZW_FAILED_PRECONDITION, msg);
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "after_seq");
        goto done;
    }
    s_scope(req->caller, &scope);
    size_t cap = n ? n : 1;
    items = calloc(cap, sizeof *items);
    ptrs = calloc(cap, sizeof *ptrs);
    ats = calloc(cap, sizeof *ats);
    heads = calloc(cap, sizeof *heads);
    if (!items || !ptrs || !ats || !heads) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    out.last_seq = m->after_seq;
    for (size_t i = 0; i < n; i++) {
        out.last_seq = ch[i].seq;
        if (!s_in_scope(&scope, ch[i].region, ch[i].department, ch[i].submitter))
            continue;
        size_t len = 0;
        uint8_t *bytes = zw_pii_unhex(ch[i].payload, &len);
        heads[i] = bytes ? zwfw__v1__application_event_head__unpack(NULL, len, bytes) : NULL;
        free(bytes);
        Zwfw__V1__ApplicationChange *c = &items[out.n_changes];
        zwfw__v1__application_change__init(c);
        c->seq = ch[i].seq;
        c->receipt_number = ch[i].receipt;
        c->state = heads[i] ? heads[i]->state : 0;
        c->at = zw_intake_ts(&ats[out.n_changes], ch[i].at_us);
        c->event_type = ch[i].type;
        ptrs[out.n_changes++] = c;
    }
    out.changes = ptrs;
    zw_reply_message(reply, &out.base);
done:
    for (size_t i = 0; heads && i < n; i++)
        if (heads[i])
            protobuf_c_message_free_unpacked(&heads[i]->base, NULL);
    free(heads);
    free(items);
    free(ptrs);
    free(ats);
    zw_intake_changes_free(ch, n);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ---- the credit list ----------------------------------------------------------------- */

static int s_check_id(int type, const char *number, zw_intake_ctx_t *ctx, zw_err_t *err)
{
    Zwfw__V1__Identity id = ZWFW__V1__IDENTITY__INIT;
    id.name = "-";
    id.id_type = type;
    id.id_number = (char *) number;
    int64_t now = 0;
    zw_date_t today;
    if (zw_clock_now(ctx->clock, &now, err) != 0 ||
        zw_moment_local(now / ZW_US_PER_SEC, &today, NULL, err) != 0)
        return -1;
    return zw_intake_check_identity(&id, type != ZWFW__V1__ID_TYPE__ID_TYPE_USCC,
                                    today.year * 10000 + today.month * 100 + today.day, "identity",
                                    err);
}

typedef struct {
    zw_intake_ctx_t *ctx;
    const zw_request_t *req;
    const char *key, *actor, *kind, *reason;
    char *applicant_key;
    char masked[64];
    char digest[2 * ZW_PII_HASH_BYTES + 3];
    int64_t now_us;
    bool put, changed;
} s_credit_t;

static int s_credit_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_credit_t *c = arg;
    bool claimed;
    const char *caller = c->req->caller->key_id;
    if (zw_intake_store_claim(db, caller, c->key, c->kind, c->digest, c->now_us, &claimed, err))
        return -1;
    if (!claimed) {
        zw_intake_request_t r;
        if (zw_intake_store_request(db, caller, c->key, &r, err) != 0)
            return -1;
        int rc = 0;
        if (strcmp(r.kind, c->kind) != 0 || strcmp(r.digest, c->digest) != 0)
            rc = zw_err_setd(err, ZW_ALREADY_EXISTS, "idempotency_key",
                             "idempotency key %s was already used for another request", c->key);
        c->changed = r.result_us == 1;
        zw_intake_request_free(&r);
        return rc;
    }
    int rc = c->put ? zw_intake_store_credit_put(db, c->applicant_key, c->masked, c->reason,
                                                 c->now_us, c->actor, &c->changed, err)
                    : zw_intake_store_credit_delete(db, c->applicant_key, &c->changed, err);
    if (rc == 0 && c->changed) {
        const char *role = zw_access_role_name(c->req->caller->role);
        zw_audit_entry_t e = {.at_us = c->now_us,
                              .actor = c->actor,
                              .caller_key_id = c->req->caller->key_id,
                              .caller_role = role ? role : "",
                              .action = c->put ? "credit_list.put" : "credit_list.delete",
                              .object_type = "credit_list",
                              .object_id = c->masked,
                              .after = c->reason,
                              .after_len = c->reason ? strlen(c->reason) : 0};
        rc = zw_audit_append(db, &e, err);
    }
    if (rc == 0)
        rc = zw_intake_store_request_done(db, caller, c->key, "", NULL, c->changed ? 1 : 0, err);
    return rc;
}

static void s_credit_reply(zw_intake_ctx_t *ctx, const char *applicant_key, bool changed,
                           zw_reply_t *reply)
{
    zw_err_t err;
    zw_intake_credit_t cr;
    if (zw_intake_store_credit_get(ctx->db, applicant_key, &cr, &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    Zwfw__V1__CreditListReply out = ZWFW__V1__CREDIT_LIST_REPLY__INIT;
    Zwfw__V1__Timestamp at;
    out.listed = cr.listed;
    out.changed = changed;
    if (cr.listed) {
        out.id_masked = cr.id_masked;
        out.reason = cr.reason;
        out.listed_at = zw_intake_ts(&at, cr.listed_at_us);
    }
    zw_reply_message(reply, &out.base);
    zw_intake_credit_free(&cr);
}

static void s_credit_change(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply,
                            bool put)
{
    zw_err_t err;
    ProtobufCMessage *msg = zw_request_unpack(req,
                                              put ? &zwfw__v1__put_credit_list_entry__descriptor
                                                  : &zwfw__v1__delete_credit_list_entry__descriptor,
                                              &err);
    if (!msg) {
        zw_reply_err(reply, &err);
        return;
    }
    s_credit_t c = {.ctx = ctx, .req = req, .put = put};
    int type;
    const char *number;
    if (put) {
        Zwfw__V1__PutCreditListEntry *m = (Zwfw__V1__PutCreditListEntry *) msg;
        c.key = m->idempotency_key;
        c.actor = m->actor;
        c.reason = m->reason;
        type = m->id_type;
        number = m->id_number;
    } else {
        Zwfw__V1__DeleteCreditListEntry *m = (Zwfw__V1__DeleteCreditListEntry *) msg;
        c.key = m->idempotency_key;
        c.actor = m->actor;
        type = m->id_type;
        number = m->id_number;
    }
    c.kind = put ? "credit.put" : "credit.delete";
    if (zw_access_require(req->caller, ZW_ROLE_MASK_OPERATOR, NULL, "change the credit list",
                          &err) != 0 ||
        zw_intake_check_key_actor(c.key, c.actor, &err) != 0 ||
        s_check_id(type, number, ctx, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (put && !zw_intake_text_ok(c.reason, true, ZW_INTAKE_MAX_REASON, ZW_INTAKE_MAX_REASON * 3)) {
        s_invalid(reply, "reason", "1-1000 characters of text");
        goto done;
    }
    zw_mask_id(number, c.masked, sizeof c.masked);
    uint8_t digest[ZW_PII_HASH_BYTES];
    zw_pii_hash_bytes(s_settings.pii, "request", req->data, req->len, digest);
    c.digest[0] = '\\';
    c.digest[1] = 'x';
    zw_pii_hex(digest, sizeof digest, c.digest + 2);
    if (!(c.applicant_key = zw_intake_applicant_key(number))) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    if (zw_clock_now(ctx->clock, &c.now_us, &err) != 0 ||
        zw_db_tx(ctx->db, false, s_credit_tx, &c, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    s_credit_reply(ctx, c.applicant_key, c.changed, reply);
done:
    free(c.applicant_key);
    protobuf_c_message_free_unpacked(msg, NULL);
}

static void s_credit_get(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__GetCreditListEntry *m = (Zwfw__V1__GetCreditListEntry *) zw_request_unpack(
        req, &zwfw__v1__get_credit_list_entry__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    char *key = NULL;
    if (zw_access_require(req->caller,
                          ZW_ROLE_MASK_OPERATOR | ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_SUPERVISOR,
                          NULL, "read the credit list", &err) != 0 ||
        s_check_id(m->id_type, m->id_number, ctx, &err) != 0)
        zw_reply_err(reply, &err);
    else if (!(key = zw_intake_applicant_key(m->id_number)))
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
    else
        s_credit_reply(ctx, key, false, reply);
    free(key);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void s_credit_put(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    s_credit_change(ctx, req, reply, true);
}

static void s_credit_delete(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    s_credit_change(ctx, req, reply, false);
}

/* ---- dispatch ----------------------------------------------------------------------- */

typedef void (*s_handler_t)(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

static const struct {
    const char *type;
    s_handler_t fn;
} s_handlers[] = {
    {"zwfw.v1.SubmitApplication", zw_intake_submit},
    {"zwfw.v1.GetApplication", s_get},
    {"zwfw.v1.ListApplications", s_list},
    {"zwfw.v1.ListChanges", s_changes},
    {"zwfw.v1.SupplementMaterials", zw_intake_supplement},
    {"zwfw.v1.WithdrawApplication", zw_intake_withdraw},
    {"zwfw.v1.ReviewApplication", zw_intake_review},
    {"zwfw.v1.RefuseApplication", zw_intake_refuse},
    {"zwfw.v1.RevokeApplication", zw_intake_revoke},
    {"zwfw.v1.PutCreditListEntry", s_credit_put},
    {"zwfw.v1.DeleteCreditListEntry", s_credit_delete},
    {"zwfw.v1.GetCreditListEntry", s_credit_get},
};

void zw_intake_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    for (size_t i = 0; i < sizeof s_handlers / sizeof s_handlers[0]; i++)
        if (strcmp(req->type, s_handlers[i].type) == 0) {
            s_handlers[i].fn(ctx, req, reply);
            return;
        }
    zw_worker_reply_unimplemented(req, reply);
}
