/* zwfw.workflow: acting on instances, starting them, reading them. The
 * reads that span departments (daily scan, alarms) and the definition
 * requests are in service_read.c. */
#include "service.h"

#include "access.h"
#include "audit.h"
#include "idem.h"
#include "log.h"
#include "material_ref.h"
#include "mdp_worker.h"
#include "pbmsg.h"
#include "validate.h"
#include "wire_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_KEY_MAX 200
#define S_ROLES_ALL 0x1feu /* every role 1..8 */

/* ------------------------------------------------------------------ shared */

int zw_wf_svc_now(zw_wf_ctx_t *ctx, int64_t *now_us, zw_err_t *err)
{
    return zw_clock_now(ctx->clock, now_us, err);
}

int zw_wf_svc_caller(const zw_request_t *req, zw_err_t *err)
{
    return zw_access_require(req->caller, S_ROLES_ALL, NULL, "use zwfw.workflow", err);
}

zw_wf_limit_t zw_wf_svc_limit(const Zwfw__V1__TimeLimit *l)
{
    zw_wf_limit_t out = {0, ZW_LIMIT_WORKDAYS};
    if (l && l->amount > 0) {
        out.amount = l->amount;
        out.unit =
            l->unit == ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS ? ZW_LIMIT_HOURS : ZW_LIMIT_WORKDAYS;
    }
    return out;
}

int64_t zw_wf_svc_us(const Zwfw__V1__Timestamp *ts)
{
    if (!ts)
        return ZW_WF_NONE;
    /* clamped to the years 0001..9999: a hostile seconds must not overflow */
    int64_t s = ts->seconds < ZW_WIRE_TEXT_TIME_MIN   ? ZW_WIRE_TEXT_TIME_MIN
                : ts->seconds > ZW_WIRE_TEXT_TIME_MAX ? ZW_WIRE_TEXT_TIME_MAX
                                                      : ts->seconds;
    return s * 1000000 + ts->nanos / 1000;
}

bool zw_wf_svc_may_read(const Zwfw__V1__Caller *caller, const zw_wf_instance_t *inst, zw_err_t *err)
{
    int role = caller ? (int) caller->role : 0;
    switch (role) {
    case ZWFW__V1__ROLE__ROLE_SUPERVISOR:
    case ZWFW__V1__ROLE__ROLE_SYSTEM:
        return true;
    case ZWFW__V1__ROLE__ROLE_APPROVER:
    case ZWFW__V1__ROLE__ROLE_HEAD:
        for (int t = 0; t < inst->ntracks; t++)
            if (caller->department && strcmp(caller->department, inst->tracks[t].department) == 0)
                return true;
        zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                    "department %s may not read department %s's case",
                    caller->department && *caller->department ? caller->department : "(none)",
                    inst->department);
        return false;
    case ZWFW__V1__ROLE__ROLE_WINDOW:
        if (caller->region && strcmp(caller->region, inst->region) == 0)
            return true;
        zw_err_setd(err, ZW_PERMISSION_DENIED, "region", "region %s may not read region %s's case",
                    caller->region && *caller->region ? caller->region : "(none)", inst->region);
        return false;
    default:
        zw_err_setd(err, ZW_PERMISSION_DENIED, "role",
                    "role %s may not read cases; needs supervisor, approver, head or window",
                    zw_access_role_name(role) ? zw_access_role_name(role) : "(none)");
        return false;
    }
}

int zw_wf_svc_replay(zw_db_t *db, const zw_request_t *req, const char *key, const char *digest,
                     uint8_t **replay, size_t *len, zw_err_t *err)
{
    /* copies of one request wait here for the first, then replay it */
    if (zw_idem_lock(db, req->caller->key_id, key, err) != 0)
        return -1;
    return zw_idem_replay(db, "workflow.requests", req->caller->key_id, key, req->type, digest,
                          replay, len, err);
}

int zw_wf_svc_check_key(const char *key, zw_err_t *err)
{
    if (!key || !*key)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "idempotency_key",
                           "idempotency_key is required");
    if (strlen(key) > S_KEY_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "idempotency_key",
                           "idempotency_key is longer than %d bytes", S_KEY_MAX);
    return 0;
}

/* ------------------------------------------------------------------ Act */

#define S_ACT_MAX_MATERIALS 100 /* as intake's ZW_INTAKE_MAX_MATERIALS */
#define S_ACT_MAX_BYTES (256 * 1024)

/* Each reference as intake checks it (common/material_ref.h): history
 * keeps them, and a reference intake would refuse must not get in here. */
static int s_check_materials(const Zwfw__V1__Act *m, zw_err_t *err)
{
    for (size_t i = 0; i < m->n_materials; i++) {
        char path[32];
        snprintf(path, sizeof path, "materials[%zu]", i);
        if (zw_material_ref_check(m->materials[i], path, err) != 0)
            return -1;
    }
    return 0;
}

typedef struct {
    zw_wf_ctx_t *ctx;
    const zw_request_t *req;
    const Zwfw__V1__Act *m;
    int64_t now;
    char digest[ZW_AUDIT_HASH_LEN + 1];
    uint8_t *out;
    size_t out_len;
    bool replayed;
} s_act_t;

static Zwfw__V1__HistoryEntry *s_entry(zw_wf_arena_t *a, const zw_wf_def_t *def,
                                       const zw_wf_instance_t *inst, const zw_wf_effects_t *fx,
                                       int64_t seq, const zw_request_t *req, const Zwfw__V1__Act *m,
                                       const char *actor, int64_t now)
{
    for (size_t i = 0; i < fx->n; i++) {
        const zw_wf_effect_t *e = &fx->fx[i];
        if (e->type != ZW_WF_FX_HISTORY || e->seq != seq)
            continue;
        Zwfw__V1__HistoryEntry *h = zw_wf_arena_alloc(a, sizeof *h);
        if (!h)
            return NULL;
        zwfw__v1__history_entry__init(h);
        h->seq = e->seq;
        h->branch = zw_wf_arena_strdup(a, inst->tracks[e->track].name);
        h->action = zw_wf_arena_strdup(a, e->action);
        const zw_wf_action_t *ac = zw_wf_flow_action(zw_wf_def_flow(def, e->track), e->action);
        h->action_label = zw_wf_arena_strdup(a, ac && ac->label ? ac->label : "");
        h->from_state = zw_wf_arena_strdup(a, e->from);
        h->to_state = zw_wf_arena_strdup(a, e->to);
        h->actor = zw_wf_arena_strdup(a, actor);
        h->caller_key_id = zw_wf_arena_strdup(a, req->caller->key_id);
        h->caller_role = req->caller->role;
        h->comment = zw_wf_arena_strdup(a, m->comment);
        h->n_materials = m->n_materials;
        h->materials = m->materials;
        h->at = zw_wf_arena_ts(a, now);
        return h;
    }
    return NULL;
}

/* For an extension: when the statutory clock ran out before now (its due
 * time; 0 when it ran out before a pause now open), else ZW_WF_NONE. Other
 * actions: ZW_WF_NONE. */
static int s_statutory_ran_out(zw_wf_ctx_t *ctx, const zw_wf_def_t *def,
                               const zw_wf_instance_t *inst, const Zwfw__V1__Act *m, int64_t now,
                               int64_t *ran_out, zw_err_t *err)
{
    *ran_out = ZW_WF_NONE;
    int t = zw_wf_instance_track(inst, m->branch);
    const zw_wf_flow_t *flow = t >= 0 ? zw_wf_def_flow(def, t) : NULL;
    const zw_wf_action_t *a = flow ? zw_wf_flow_action(flow, m->action) : NULL;
    if (!a || a->kind != ZW_WF_ACT_EXTEND || inst->status != ZW_WF_STATUS_OPEN)
        return 0;
    zw_wf_clocks_t c;
    if (zw_wf_clocks_compute(&ctx->settings->clock, def, inst, now, &c, err) != 0)
        return -1;
    const zw_wf_clock_t *st = zw_wf_clocks_find(&c, ZW_WF_CLOCK_STATUTORY, 0);
    if (st && st->due_us != ZW_WF_NONE && now > st->due_us)
        *ran_out = st->due_us;
    else if (st && st->remaining_min < 0)
        *ran_out = 0; /* ran out before the pause now open */
    return 0;
}

static int s_act_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_act_t *x = arg;
    const Zwfw__V1__Act *m = x->m;
    free(x->out);
    x->out = NULL;
    x->replayed = false;
    zw_wf_instance_t inst;
    /* The instance's lock comes first: a retry racing its first try waits
     * here, then finds the first try's reply below. */
    if (zw_wf_store_load(db, m->instance_id, m->receipt_number, true, &inst, err) != 0)
        return -1;
    int rc = -1;
    zw_wf_arena_t *a = NULL;
    if (zw_wf_svc_replay(db, x->req, m->idempotency_key, x->digest, &x->out, &x->out_len, err) != 0)
        goto done;
    if (x->out) {
        x->replayed = true;
        rc = 0;
        goto done;
    }
    const zw_wf_def_t *def = zw_wf_defs_get(x->ctx, inst.def_code, inst.def_version, err);
    if (!def)
        goto done;
    const Zwfw__V1__Caller *c = x->req->caller;
    const char *actor = m->actor && *m->actor ? m->actor : c->key_id;
    zw_wf_actor_t who = {.role = c->role,
                         .department = c->department,
                         .region = c->region,
                         .key_id = c->key_id,
                         .actor = actor};
    zw_wf_effects_t fx = {.n = 0};
    int mpd = zw_workhours_minutes_per_day(&x->ctx->settings->clock.hours);
    int64_t ran_out = ZW_WF_NONE;
    if (s_statutory_ran_out(x->ctx, def, &inst, m, x->now, &ran_out, err) != 0 ||
        zw_wf_act(def, &inst, m->branch, m->action, &who, m->comment, mpd, x->now, &fx, err) != 0)
        goto done;
    if (ran_out != ZW_WF_NONE) {
        /* 行政许可法 art. 42: the head approves the extension within the 20
         * days; a limit that has run out is overdue, not extendable. */
        char when[48] = "its due time";
        if (ran_out > 0)
            zw_time_format(ran_out, when, sizeof when);
        zw_err_setd(
            err, ZW_FAILED_PRECONDITION, "statutory_limit",
            "the statutory limit ran out at %s: an extension must be approved before it does",
            when);
        goto done;
    }
    zw_wf_step_t step = {.caller = c,
                         .actor = actor,
                         .comment = m->comment,
                         .materials = m->materials,
                         .n_materials = m->n_materials,
                         .now_us = x->now};
    zw_wf_clocks_t clocks;
    int64_t seq = 0;
    if (zw_wf_step_commit(x->ctx, def, &inst, false, &fx, &step, &clocks, NULL, &seq, err) != 0)
        goto done;
    a = zw_wf_arena_new();
    Zwfw__V1__ActReply r = ZWFW__V1__ACT_REPLY__INIT;
    r.instance = a ? zw_wf_view(a, x->ctx, def, &inst, &clocks, x->now, true, NULL) : NULL;
    r.entry = a ? s_entry(a, def, &inst, &fx, seq, x->req, m, actor, x->now) : NULL;
    if (!r.instance || !(x->out = zw_pbmsg_pack(&r.base, &x->out_len))) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    rc = zw_wf_store_request_put(db, c->key_id, m->idempotency_key, x->req->type, x->digest, x->out,
                                 x->out_len, x->now, err);
done:
    zw_wf_arena_destroy(&a);
    zw_wf_instance_clear(&inst);
    return rc;
}

static void s_act(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__Act *m = (Zwfw__V1__Act *) zw_request_unpack(req, &zwfw__v1__act__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    s_act_t x = {.ctx = ctx, .req = req, .m = m};
    /* actor is optional here (the key id stands in), but when given it is
     * checked as every service checks it */
    if (zw_wf_svc_check_key(m->idempotency_key, &err) != 0 ||
        (*m->actor && zw_validate_actor(m->actor, &err) != 0) ||
        (!*m->receipt_number && m->instance_id <= 0 &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "receipt_number",
                     "receipt_number or instance_id is required") != 0) ||
        (!*m->action &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "action", "action is required") != 0) ||
        /* history keeps the references; GetInstance returns them all */
        (m->n_materials > S_ACT_MAX_MATERIALS &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "materials", "at most %d material references",
                     S_ACT_MAX_MATERIALS) != 0) ||
        (req->len > S_ACT_MAX_BYTES &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, m->n_materials ? "materials" : "comment",
                     "an Act is at most %d bytes, its comment and material references "
                     "(references, not documents)",
                     S_ACT_MAX_BYTES) != 0) ||
        s_check_materials(m, &err) != 0 || zw_wf_svc_now(ctx, &x.now, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    zw_audit_digest(req->data, req->len, x.digest);
    if (zw_db_tx(ctx->db, false, s_act_tx, &x, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (x.replayed) {
        Zwfw__V1__ActReply *r = zwfw__v1__act_reply__unpack(NULL, x.out_len, x.out);
        if (!r) {
            zw_reply_error(reply, ZW_INTERNAL, "stored reply does not decode");
            goto done;
        }
        r->replayed = true;
        zw_reply_message(reply, &r->base);
        protobuf_c_message_free_unpacked(&r->base, NULL);
    } else {
        zw_reply_bytes(reply, "zwfw.v1.ActReply", x.out, x.out_len);
    }
done:
    free(x.out);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ StartProcess */

#define S_START_ITEM_MAX sizeof(((zw_wf_instance_t *) 0)->item_code)
#define S_START_REGION_MAX sizeof(((zw_wf_instance_t *) 0)->region)

typedef struct {
    zw_wf_ctx_t *ctx;
    const zw_request_t *req;
    const Zwfw__V1__StartProcess *m;
    int64_t now;
    char digest[ZW_AUDIT_HASH_LEN + 1];
    uint8_t *out;
    size_t out_len;
    bool replayed;
} s_start_t;

static int s_start_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_start_t *x = arg;
    const Zwfw__V1__StartProcess *m = x->m;
    free(x->out);
    x->out = NULL;
    x->replayed = false;
    if (zw_wf_svc_replay(db, x->req, m->idempotency_key, x->digest, &x->out, &x->out_len, err) != 0)
        return -1;
    if (x->out) {
        x->replayed = true;
        return 0;
    }
    const Zwfw__V1__Caller *c = x->req->caller;
    zw_wf_begin_t b = {.receipt = m->receipt_number,
                       .item_code = m->item_code,
                       .department = m->department_code,
                       .region = *m->region ? m->region : c->region,
                       .definition_code = m->definition_code,
                       .item_version = m->item_version,
                       .accepted_us = zw_wf_svc_us(m->accepted_at),
                       .promised = zw_wf_svc_limit(m->promised_limit),
                       .statutory = zw_wf_svc_limit(m->statutory_limit),
                       .waiver = m->waiver};
    zw_wf_step_t step = {.caller = c, .actor = *m->actor ? m->actor : c->key_id, .now_us = x->now};
    zw_wf_instance_t inst;
    const zw_wf_def_t *def = NULL;
    zw_wf_clocks_t clocks;
    bool inserted = false;
    int rc = -1;
    zw_wf_arena_t *a = NULL;
    if (zw_wf_begin(x->ctx, &b, &step, &inst, &def, &clocks, &inserted, err) != 0)
        goto done;
    if (!inserted) {
        /* another request (another key) started it first; copies of this
         * one waited on its key and replayed */
        zw_err_setd(err, ZW_ALREADY_EXISTS, "receipt_number",
                    "application %s has a process already", m->receipt_number);
        goto done;
    }
    a = zw_wf_arena_new();
    Zwfw__V1__InstanceReply r = ZWFW__V1__INSTANCE_REPLY__INIT;
    r.instance = a ? zw_wf_view(a, x->ctx, def, &inst, &clocks, x->now, true, NULL) : NULL;
    if (!r.instance || !(x->out = zw_pbmsg_pack(&r.base, &x->out_len))) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    rc = zw_wf_store_request_put(db, c->key_id, m->idempotency_key, x->req->type, x->digest, x->out,
                                 x->out_len, x->now, err);
done:
    zw_wf_arena_destroy(&a);
    zw_wf_instance_clear(&inst);
    return rc;
}

static void s_start(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    if (zw_access_require(req->caller, ZW_ROLE_MASK_SYSTEM | ZW_ROLE_MASK_OPERATOR, NULL,
                          "start processes", &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    Zwfw__V1__StartProcess *m = (Zwfw__V1__StartProcess *) zw_request_unpack(
        req, &zwfw__v1__start_process__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    s_start_t x = {.ctx = ctx, .req = req, .m = m};
    size_t rlen = strlen(m->receipt_number);
    if (zw_wf_svc_check_key(m->idempotency_key, &err) != 0 ||
        (*m->actor && zw_validate_actor(m->actor, &err) != 0) ||
        ((rlen == 0 || rlen >= ZW_WF_RECEIPT_MAX) &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "receipt_number",
                     "receipt_number must be 1-63 bytes") != 0) ||
        ((!*m->department_code || strlen(m->department_code) >= ZW_WF_DEPT_MAX) &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "department_code",
                     "department_code must be 1-71 bytes") != 0) ||
        /* longer values would be cut to the instance's buffers (mid-character, too) */
        (strlen(m->item_code) >= S_START_ITEM_MAX &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "item_code", "item_code must be at most %d bytes",
                     (int) S_START_ITEM_MAX - 1) != 0) ||
        (strlen(m->region) >= S_START_REGION_MAX &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "region", "region must be at most %d bytes",
                     (int) S_START_REGION_MAX - 1) != 0) ||
        (!m->accepted_at &&
         zw_err_setd(&err, ZW_INVALID_ARGUMENT, "accepted_at", "accepted_at is required") != 0) ||
        zw_wf_svc_now(ctx, &x.now, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    zw_audit_digest(req->data, req->len, x.digest);
    if (zw_db_tx(ctx->db, false, s_start_tx, &x, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    Zwfw__V1__InstanceReply *r = zwfw__v1__instance_reply__unpack(NULL, x.out_len, x.out);
    if (!r) {
        zw_reply_error(reply, ZW_INTERNAL, "reply does not decode");
        goto done;
    }
    r->replayed = x.replayed;
    zw_reply_message(reply, &r->base);
    protobuf_c_message_free_unpacked(&r->base, NULL);
done:
    free(x.out);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ GetInstance */

static void s_get(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__GetInstance *m =
        (Zwfw__V1__GetInstance *) zw_request_unpack(req, &zwfw__v1__get_instance__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    zw_wf_instance_t inst;
    memset(&inst, 0, sizeof inst);
    PGresult *hist = NULL;
    zw_wf_arena_t *a = NULL;
    int64_t now;
    if (!*m->receipt_number && m->instance_id <= 0) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT, "receipt_number or instance_id is required");
        zw_reply_detail(reply, "detail", "receipt_number");
        goto done;
    }
    if (zw_wf_svc_now(ctx, &now, &err) != 0 ||
        zw_wf_store_load(ctx->db, m->instance_id, m->receipt_number, false, &inst, &err) != 0 ||
        !zw_wf_svc_may_read(req->caller, &inst, &err) ||
        (m->history && !(hist = zw_wf_store_history(ctx->db, inst.id, &err)))) {
        zw_reply_err(reply, &err);
        goto done;
    }
    /* An instance whose definition no longer loads is still shown (what
     * the store holds), without labels and available actions. */
    zw_err_t derr;
    const zw_wf_def_t *def = zw_wf_defs_get(ctx, inst.def_code, inst.def_version, &derr);
    zw_wf_clocks_t clocks;
    if (zw_wf_clocks_compute(&ctx->settings->clock, def, &inst, now, &clocks, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    a = zw_wf_arena_new();
    Zwfw__V1__InstanceReply r = ZWFW__V1__INSTANCE_REPLY__INIT;
    r.instance = a ? zw_wf_view(a, ctx, def, &inst, &clocks, now, true, hist) : NULL;
    if (!r.instance)
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
    else
        zw_reply_message(reply, &r.base);
done:
    zw_wf_arena_destroy(&a);
    PQclear(hist);
    zw_wf_instance_clear(&inst);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ ListInstances */

static void s_list(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__ListInstances *m = (Zwfw__V1__ListInstances *) zw_request_unpack(
        req, &zwfw__v1__list_instances__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    const Zwfw__V1__Caller *c = req->caller;
    zw_wf_query_t q = {.department = m->department_code,
                       .state = m->state,
                       .status = m->status,
                       .due_after = zw_wf_svc_us(m->due_after),
                       .due_before = zw_wf_svc_us(m->due_before),
                       .overdue_only = m->overdue_only,
                       .limit = m->page_size > 0 ? (m->page_size > 500 ? 500 : m->page_size) : 50};
    int64_t *ids = NULL;
    size_t n = 0;
    zw_wf_arena_t *a = NULL;
    if (c->role == ZWFW__V1__ROLE__ROLE_APPROVER || c->role == ZWFW__V1__ROLE__ROLE_HEAD)
        q.scope_department = *c->department ? c->department : "(none)";
    else if (c->role == ZWFW__V1__ROLE__ROLE_WINDOW)
        q.scope_region = *c->region ? c->region : "(none)";
    else if (zw_access_require(c, /* the mask names every role that may, in the message */
                               ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD |
                                   ZW_ROLE_MASK_SUPERVISOR | ZW_ROLE_MASK_SYSTEM,
                               NULL, "list cases", &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (*m->page_token) {
        char *end;
        q.after_id = strtoll(m->page_token, &end, 10);
        if (*end || q.after_id <= 0) {
            zw_reply_error(reply, ZW_INVALID_ARGUMENT, "page_token is not one this service gave");
            zw_reply_detail(reply, "detail", "page_token");
            goto done;
        }
    }
    if (zw_wf_svc_now(ctx, &q.now_us, &err) != 0 ||
        zw_wf_store_list(ctx->db, &q, &ids, &n, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    a = zw_wf_arena_new();
    Zwfw__V1__ListInstancesReply r = ZWFW__V1__LIST_INSTANCES_REPLY__INIT;
    r.instances = a ? zw_wf_arena_alloc(a, (n ? n : 1) * sizeof *r.instances) : NULL;
    if (!r.instances) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        zw_wf_instance_t inst;
        if (zw_wf_store_load(ctx->db, ids[i], NULL, false, &inst, &err) != 0) {
            if (err.code == ZW_NOT_FOUND)
                continue;
            zw_reply_err(reply, &err);
            goto done;
        }
        zw_err_t derr;
        const zw_wf_def_t *def = zw_wf_defs_get(ctx, inst.def_code, inst.def_version, &derr);
        zw_wf_clocks_t clocks;
        Zwfw__V1__Instance *v = NULL;
        if (zw_wf_clocks_compute(&ctx->settings->clock, def, &inst, q.now_us, &clocks, &err) == 0)
            v = zw_wf_view(a, ctx, def, &inst, &clocks, q.now_us, false, NULL);
        else
            v = zw_wf_view(a, ctx, def, &inst, NULL, q.now_us, false, NULL);
        zw_wf_instance_clear(&inst);
        if (!v) {
            zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
            goto done;
        }
        r.instances[r.n_instances++] = v;
    }
    char token[32] = "";
    if (n == (size_t) q.limit && n > 0)
        snprintf(token, sizeof token, "%" PRId64, ids[n - 1]);
    r.next_page_token = token;
    zw_reply_message(reply, &r.base);
done:
    zw_wf_arena_destroy(&a);
    free(ids);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ dispatch */

void zw_wf_handle(void *vctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_wf_ctx_t *ctx = vctx;
    zw_err_t err;
    if (zw_wf_svc_caller(req, &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    static const struct {
        const char *type;
        void (*fn)(zw_wf_ctx_t *, const zw_request_t *, zw_reply_t *);
    } table[] = {
        {"zwfw.v1.Act", s_act},
        {"zwfw.v1.GetInstance", s_get},
        {"zwfw.v1.ListInstances", s_list},
        {"zwfw.v1.StartProcess", s_start},
        {"zwfw.v1.DailyScan", zw_wf_svc_scan},
        {"zwfw.v1.ListAlarms", zw_wf_svc_alarms},
        {"zwfw.v1.PutDefinition", zw_wf_svc_put_definition},
        {"zwfw.v1.ValidateDefinition", zw_wf_svc_validate_definition},
        {"zwfw.v1.GetDefinition", zw_wf_svc_get_definition},
        {"zwfw.v1.ListDefinitions", zw_wf_svc_list_definitions},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(req->type, table[i].type) == 0) {
            table[i].fn(ctx, req, reply);
            return;
        }
    zw_worker_reply_unimplemented(req, reply);
}
