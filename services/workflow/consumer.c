/* Intake's events: each accepted 承诺件 starts its process, once (the
 * consumer's cursor compare-and-set and the unique receipt number); an
 * applicant's withdrawal and supplied 补正 materials, which intake forwards,
 * become the definition's trigger actions. */
#include "wf.h"

#include "log.h"
#include "zwfw/v1/intake.pb-c.h"

#include <stdio.h>
#include <string.h>

static int64_t s_us(const Zwfw__V1__Timestamp *ts, int64_t fallback)
{
    return ts ? ts->seconds * 1000000 + ts->nanos / 1000 : fallback;
}

static zw_wf_limit_t s_limit(const Zwfw__V1__TimeLimit *l)
{
    zw_wf_limit_t out = {0, ZW_LIMIT_WORKDAYS};
    if (l && l->amount > 0) {
        out.amount = l->amount;
        out.unit =
            l->unit == ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS ? ZW_LIMIT_HOURS : ZW_LIMIT_WORKDAYS;
    }
    return out;
}

static int s_accepted(zw_wf_ctx_t *ctx, const zw_event_t *ev, zw_err_t *err)
{
    Zwfw__V1__ApplicationAccepted *m =
        zwfw__v1__application_accepted__unpack(NULL, ev->len, ev->payload);
    if (!m) {
        /* An event that does not decode will never decode: retrying would
         * hold the stream for good, so it is logged loudly and passed. */
        zw_logkv(ZW_LOG_ERROR, "ApplicationAccepted does not decode; skipped", "aggregate",
                 ev->aggregate_id, NULL);
        return 0;
    }
    int rc = 0;
    /* 即办件 end at the counter, except one deemed accepted (no notice
     * within 5 working days): nobody finished it there, so its department
     * decides it as a case, with its clocks running from receipt. A bundle
     * parent has no item of its own (its children are ordinary
     * applications with their own events). */
    if ((m->handling != ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_PROMISED && !m->deemed_accepted) ||
        !*m->item_code || !*m->receipt_number)
        goto done;
    if (strlen(m->receipt_number) >= ZW_WF_RECEIPT_MAX || !*m->department_code ||
        strlen(m->department_code) >= ZW_WF_DEPT_MAX) {
        zw_logkv(ZW_LOG_ERROR,
                 "ApplicationAccepted with a receipt or department out of bounds; "
                 "skipped",
                 "receipt", m->receipt_number, NULL);
        goto done;
    }
    int64_t at = s_us(m->at, ev->occurred_at_us);
    zw_wf_begin_t b = {.receipt = m->receipt_number,
                       .item_code = m->item_code,
                       .department = m->department_code,
                       .region = m->region,
                       .item_version = m->item_version,
                       .accepted_us = s_us(m->accepted_at, at),
                       .promised = s_limit(m->promised_limit),
                       .statutory = s_limit(m->statutory_limit),
                       .waiver = m->n_waived_materials > 0};
    zw_wf_step_t step = {.actor = "zwfw-intake", .now_us = at};
    zw_wf_instance_t inst;
    bool inserted = false;
    rc = zw_wf_begin(ctx, &b, &step, &inst, NULL, NULL, &inserted, err);
    if (rc == 0 && inserted)
        zw_logkv(ZW_LOG_DEBUG, "process started", "receipt", m->receipt_number, "definition",
                 inst.def_code, NULL);
    zw_wf_instance_clear(&inst);
done:
    protobuf_c_message_free_unpacked(&m->base, NULL);
    return rc;
}

/* A forwarded request: the trigger action, or when no state allows one a
 * history note (so the record shows the request came). */
static int s_forwarded(zw_wf_ctx_t *ctx, const char *receipt, zw_wf_trigger_t trigger,
                       const char *actor, const char *comment, Zwfw__V1__MaterialRef **materials,
                       size_t n_materials, bool waiver_fulfilled, int64_t at, zw_err_t *err)
{
    zw_wf_instance_t inst;
    if (zw_wf_store_load(ctx->db, 0, receipt, true, &inst, err) != 0) {
        if (err && err->code == ZW_NOT_FOUND)
            return 0; /* not a process of ours (a 即办件, a bundle parent) */
        return -1;
    }
    int rc = 0;
    if (inst.status != ZW_WF_STATUS_OPEN)
        goto done;
    const zw_wf_def_t *def = zw_wf_defs_get(ctx, inst.def_code, inst.def_version, err);
    rc = -1;
    if (!def)
        goto done;
    /* The waived (容缺) materials are all in: a later approval is an
     * ordinary 办结(通过), no longer 办结(容缺通过). */
    if (waiver_fulfilled)
        inst.waiver = false;
    zw_wf_actor_t who = {.role = ZWFW__V1__ROLE__ROLE_SYSTEM, .actor = actor, .key_id = ""};
    zw_wf_effects_t fx = {.n = 0};
    int taken = 0;
    int mpd = zw_workhours_minutes_per_day(&ctx->settings->clock.hours);
    if (zw_wf_trigger(def, &inst, trigger, &who, comment, mpd, at, &fx, &taken, err) != 0)
        goto done;
    if (taken == 0) {
        zw_wf_effect_t *e = &fx.fx[fx.n++];
        memset(e, 0, sizeof *e);
        e->type = ZW_WF_FX_HISTORY;
        snprintf(e->action, sizeof e->action, "%s",
                 trigger == ZW_WF_TRIG_WITHDRAWAL ? "withdrawal_requested" : "materials_received");
        snprintf(e->from, sizeof e->from, "%s", inst.tracks[0].state);
        snprintf(e->to, sizeof e->to, "%s", inst.tracks[0].state);
        e->seq = inst.next_seq++;
        e->with_comment = true;
    }
    zw_wf_step_t step = {.actor = actor,
                         .comment = comment,
                         .materials = materials,
                         .n_materials = n_materials,
                         .now_us = at};
    rc = zw_wf_step_commit(ctx, def, &inst, false, &fx, &step, NULL, NULL, NULL, err);
done:
    zw_wf_instance_clear(&inst);
    return rc;
}

int zw_wf_on_intake_event(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err)
{
    zw_wf_ctx_t *ctx = arg;
    (void) db; /* the consumer runs on ctx->db */
    if (strcmp(ev->stream, ZW_WF_INTAKE_STREAM) != 0)
        return 0;
    if (strcmp(ev->type, "zwfw.v1.ApplicationAccepted") == 0)
        return s_accepted(ctx, ev, err);
    if (strcmp(ev->type, "zwfw.v1.ApplicationWithdrawalRequested") == 0) {
        Zwfw__V1__ApplicationWithdrawalRequested *m =
            zwfw__v1__application_withdrawal_requested__unpack(NULL, ev->len, ev->payload);
        if (!m)
            return 0;
        int rc = s_forwarded(ctx, m->receipt_number, ZW_WF_TRIG_WITHDRAWAL,
                             *m->actor ? m->actor : "zwfw-intake", m->reason, NULL, 0, false,
                             s_us(m->at, ev->occurred_at_us), err);
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return rc;
    }
    if (strcmp(ev->type, "zwfw.v1.ApplicationMaterialsSupplied") == 0) {
        Zwfw__V1__ApplicationMaterialsSupplied *m =
            zwfw__v1__application_materials_supplied__unpack(NULL, ev->len, ev->payload);
        if (!m)
            return 0;
        int rc = 0;
        if (m->after_acceptance)
            rc = s_forwarded(ctx, m->receipt_number, ZW_WF_TRIG_MATERIALS, "zwfw-intake",
                             "materials supplied", m->materials, m->n_materials,
                             m->waiver_fulfilled, s_us(m->at, ev->occurred_at_us), err);
        protobuf_c_message_free_unpacked(&m->base, NULL);
        return rc;
    }
    return 0;
}
