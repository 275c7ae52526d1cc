/* The instance state machine: moves, pauses, forks and joins. */
#include "engine.h"

#include "access.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_APP_SUPPLEMENT_START 6
#define S_APP_SUPPLEMENT_END 7
#define S_APP_SPECIAL_START 9
#define S_APP_SPECIAL_END 10

void zw_wf_instance_clear(zw_wf_instance_t *inst)
{
    if (!inst)
        return;
    free(inst->pauses);
    inst->pauses = NULL;
    inst->npauses = inst->cap_pauses = 0;
}

int zw_wf_instance_add_pause(zw_wf_instance_t *inst, const zw_wf_pause_t *p)
{
    if (inst->npauses == inst->cap_pauses) {
        size_t cap = inst->cap_pauses ? inst->cap_pauses * 2 : 8;
        zw_wf_pause_t *np = realloc(inst->pauses, cap * sizeof *np);
        if (!np)
            return -1;
        inst->pauses = np;
        inst->cap_pauses = cap;
    }
    inst->pauses[inst->npauses++] = *p;
    return 0;
}

int zw_wf_instance_track(const zw_wf_instance_t *inst, const char *branch)
{
    const char *b = branch ? branch : "";
    for (int i = 0; i < inst->ntracks; i++)
        if (strcmp(inst->tracks[i].name, b) == 0)
            return i;
    return -1;
}

int zw_wf_outcome_app_state(zw_wf_outcome_t o)
{
    switch (o) {
    case ZW_WF_OUT_APPROVED:
        return 11;
    case ZW_WF_OUT_APPROVED_WAIVER:
        return 12;
    case ZW_WF_OUT_REJECTED:
        return 13;
    case ZW_WF_OUT_WITHDRAWN:
        return 14;
    case ZW_WF_OUT_REVOKED:
        return 15;
    default:
        return 0;
    }
}

/* Cuts to size (names are checked for length where they come in). */
static void s_copy(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    if (n)
        memmove(dst, src, n);
    dst[n] = '\0';
}

static zw_wf_effect_t *s_fx(zw_wf_effects_t *fx, zw_wf_fx_type_t type, int track, zw_err_t *err)
{
    if (fx->n == ZW_WF_MAX_EFFECTS) {
        zw_err_set(err, ZW_INTERNAL, "workflow: too many steps in one action");
        return NULL;
    }
    zw_wf_effect_t *e = &fx->fx[fx->n++];
    memset(e, 0, sizeof *e);
    e->type = type;
    e->track = track;
    return e;
}

static zw_wf_effect_t *s_history(zw_wf_instance_t *inst, zw_wf_effects_t *fx, int track,
                                 const char *action, const char *from, const char *to,
                                 zw_err_t *err)
{
    zw_wf_effect_t *e = s_fx(fx, ZW_WF_FX_HISTORY, track, err);
    if (!e)
        return NULL;
    s_copy(e->action, sizeof e->action, action);
    s_copy(e->from, sizeof e->from, from);
    s_copy(e->to, sizeof e->to, to);
    e->seq = inst->next_seq++;
    return e;
}

/* Closes track's open pause at now (if any); its index, or -1. */
static long s_close_pause(zw_wf_instance_t *inst, int track, int64_t now_us)
{
    for (size_t i = 0; i < inst->npauses; i++) {
        zw_wf_pause_t *p = &inst->pauses[i];
        if (p->track == track && p->end_us == ZW_WF_OPEN) {
            p->end_us = now_us < p->start_us ? p->start_us : now_us;
            p->dirty = true;
            return (long) i;
        }
    }
    return -1;
}

static int s_move(const zw_wf_def_t *def, zw_wf_instance_t *inst, int t, const char *to_name,
                  const char *action, bool with_comment, int64_t now_us, zw_wf_effects_t *fx,
                  zw_err_t *err);

/* Ends every open branch but `except` as cancelled. */
static int s_cancel_branches(zw_wf_instance_t *inst, int except, int64_t now_us,
                             zw_wf_effects_t *fx, zw_err_t *err)
{
    for (int t = 1; t < inst->ntracks; t++) {
        zw_wf_track_t *tr = &inst->tracks[t];
        if (t == except || tr->done)
            continue;
        s_close_pause(inst, t, now_us);
        zw_wf_effect_t *h = s_history(inst, fx, t, "cancel", tr->state, tr->state, err);
        if (!h)
            return -1;
        tr->done = true;
        tr->outcome = ZW_WF_OUT_CANCELLED;
        tr->entered_us = now_us; /* its clock stops here (clocks.c) */
        tr->entered_seq = h->seq;
        tr->dirty = true;
    }
    return 0;
}

/* The instance ends with outcome o (from the main line's terminal state). */
static int s_close(zw_wf_instance_t *inst, zw_wf_outcome_t o, int64_t now_us, zw_wf_effects_t *fx,
                   zw_err_t *err)
{
    if (o == ZW_WF_OUT_APPROVED && inst->waiver)
        o = ZW_WF_OUT_APPROVED_WAIVER;
    if (s_cancel_branches(inst, -1, now_us, fx, err) != 0)
        return -1;
    for (size_t i = 0; i < inst->npauses; i++)
        if (inst->pauses[i].end_us == ZW_WF_OPEN) {
            inst->pauses[i].end_us = now_us;
            inst->pauses[i].dirty = true;
        }
    inst->status = ZW_WF_STATUS_CLOSED;
    inst->outcome = o;
    inst->closed_us = now_us;
    zw_wf_effect_t *e = s_fx(fx, ZW_WF_FX_COMPLETED, 0, err);
    if (!e)
        return -1;
    e->outcome = o;
    e->app_state = zw_wf_outcome_app_state(o);
    inst->app_state = e->app_state;
    return 0;
}

/* Starts (or restarts) the fork's branches. */
static int s_fork(const zw_wf_def_t *def, zw_wf_instance_t *inst, const zw_wf_fork_t *fk,
                  int64_t now_us, zw_wf_effects_t *fx, zw_err_t *err)
{
    for (size_t i = 0; i < fk->nbranches; i++) {
        zw_wf_track_t *tr = &inst->tracks[i + 1];
        const zw_wf_branch_def_t *bd = &fk->branches[i];
        memset(tr, 0, sizeof *tr);
        s_copy(tr->name, sizeof tr->name, bd->name);
        s_copy(tr->label, sizeof tr->label, bd->label);
        s_copy(tr->department, sizeof tr->department,
               strcmp(bd->department, "$lead") == 0 ? inst->department : bd->department);
        tr->limit = fk->limit;
        tr->clock_start_us = now_us;
        tr->dirty = true;
    }
    inst->ntracks = 1 + (int) fk->nbranches;
    for (size_t i = 0; i < fk->nbranches; i++)
        if (inst->status == ZW_WF_STATUS_OPEN && !inst->tracks[i + 1].done &&
            s_move(def, inst, (int) i + 1, fk->flow.initial, "start", false, now_us, fx, err) != 0)
            return -1;
    return 0;
}

/* A branch reached a terminal state: reject rule, then the join. */
static int s_branch_done(const zw_wf_def_t *def, zw_wf_instance_t *inst, int t, int64_t now_us,
                         zw_wf_effects_t *fx, zw_err_t *err)
{
    zw_wf_track_t *tr = &inst->tracks[t];
    zw_wf_effect_t *e = s_fx(fx, ZW_WF_FX_BRANCH_DONE, t, err);
    if (!e)
        return -1;
    e->outcome = tr->outcome;
    const zw_wf_state_t *main_st = zw_wf_flow_state(&def->main, inst->tracks[0].state);
    if (!main_st || !main_st->fork)
        return 0; /* the main line left the fork already (cancelled run) */
    const zw_wf_fork_t *fk = main_st->fork;
    if (tr->outcome == ZW_WF_OUT_REJECTED && fk->on_reject) {
        if (s_cancel_branches(inst, t, now_us, fx, err) != 0)
            return -1;
        return s_move(def, inst, 0, fk->on_reject, "branch_rejected", false, now_us, fx, err);
    }
    for (int i = 1; i < inst->ntracks; i++)
        if (!inst->tracks[i].done)
            return 0;
    return s_move(def, inst, 0, fk->join, "join", false, now_us, fx, err);
}

static int s_move(const zw_wf_def_t *def, zw_wf_instance_t *inst, int t, const char *to_name,
                  const char *action, bool with_comment, int64_t now_us, zw_wf_effects_t *fx,
                  zw_err_t *err)
{
    const zw_wf_flow_t *flow = zw_wf_def_flow(def, t);
    zw_wf_track_t *tr = &inst->tracks[t];
    const zw_wf_state_t *from = tr->state[0] ? zw_wf_flow_state(flow, tr->state) : NULL;
    const zw_wf_state_t *to = zw_wf_flow_state(flow, to_name);
    if (!to)
        return zw_err_setd(err, ZW_INTERNAL, "definition",
                           "workflow: definition %s v%d has no state \"%s\"", def->code,
                           def->version, to_name ? to_name : "");
    zw_wf_effect_t *h = s_history(inst, fx, t, action, tr->state, to->name, err);
    if (!h)
        return -1;
    h->with_comment = with_comment;
    int pause_app = 0;
    if (from && from->pause && from != to) {
        long idx = s_close_pause(inst, t, now_us);
        if (idx >= 0) {
            zw_wf_effect_t *e = s_fx(fx, ZW_WF_FX_RESUMED, t, err);
            if (!e)
                return -1;
            e->pause = (size_t) idx;
            e->app_state =
                from->pause == ZW_WF_PAUSE_SUPPLEMENT ? S_APP_SUPPLEMENT_END : S_APP_SPECIAL_END;
            /* Another branch's pause still holds the case's clock: the
             * application stays in that one's state, not "ended". */
            for (size_t i = inst->npauses; i-- > 0;)
                if (inst->pauses[i].end_us == ZW_WF_OPEN) {
                    e->app_state = inst->pauses[i].kind == ZW_WF_PAUSE_SUPPLEMENT
                                       ? S_APP_SUPPLEMENT_START
                                       : S_APP_SPECIAL_START;
                    break;
                }
            pause_app = e->app_state;
        }
    }
    if (to->pause && from != to) {
        if (!from || !from->pause)
            s_copy(tr->prev_state, sizeof tr->prev_state, tr->state);
        zw_wf_pause_t p = {
            .track = t, .kind = to->pause, .start_us = now_us, .end_us = ZW_WF_OPEN, .dirty = true};
        s_copy(p.state, sizeof p.state, to->name);
        if (zw_wf_instance_add_pause(inst, &p) != 0)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        zw_wf_effect_t *e = s_fx(fx, ZW_WF_FX_PAUSED, t, err);
        if (!e)
            return -1;
        e->pause = inst->npauses - 1;
        e->app_state =
            to->pause == ZW_WF_PAUSE_SUPPLEMENT ? S_APP_SUPPLEMENT_START : S_APP_SPECIAL_START;
        pause_app = e->app_state;
    }
    /* The application shows a pause of any track (the applicant is asked
     * for materials whichever department asks); other states only from the
     * main line. */
    if (pause_app)
        inst->app_state = pause_app;
    else if (t == 0 && to->application_state)
        inst->app_state = h->app_state = to->application_state;
    s_copy(tr->state, sizeof tr->state, to->name);
    tr->entered_us = now_us;
    tr->entered_seq = h->seq;
    tr->dirty = true;
    if (to->terminal) {
        if (t == 0)
            return s_close(inst, to->terminal, now_us, fx, err);
        tr->done = true;
        tr->outcome = to->terminal;
        return s_branch_done(def, inst, t, now_us, fx, err);
    }
    if (to->fork && t == 0)
        return s_fork(def, inst, to->fork, now_us, fx, err);
    return 0;
}

int zw_wf_start(const zw_wf_def_t *def, zw_wf_instance_t *inst, int64_t now_us, zw_wf_effects_t *fx,
                zw_err_t *err)
{
    fx->n = 0;
    zw_wf_track_t *main_tr = &inst->tracks[0];
    memset(main_tr, 0, sizeof *main_tr);
    s_copy(main_tr->department, sizeof main_tr->department, inst->department);
    main_tr->dirty = true;
    inst->ntracks = 1;
    inst->status = ZW_WF_STATUS_OPEN;
    inst->started_us = now_us;
    if (inst->next_seq < 1)
        inst->next_seq = 1;
    if (!s_fx(fx, ZW_WF_FX_STARTED, 0, err))
        return -1;
    if (s_move(def, inst, 0, def->main.initial, "start", false, now_us, fx, err) != 0)
        return -1;
    /* a process starts on an accepted application: until a step says
     * otherwise, that is the state it shows (nothing is published for it,
     * intake set it) */
    if (inst->app_state == 0)
        inst->app_state = 3;
    return 0;
}

static int s_check_actor(const zw_wf_instance_t *inst, const zw_wf_track_t *tr,
                         const zw_wf_action_t *a, const zw_wf_actor_t *who, zw_err_t *err)
{
    if (who->trigger && a->trigger != ZW_WF_TRIG_NONE)
        return 0;
    const char *role = zw_access_role_name(who->role);
    if (!role)
        return zw_err_setd(err, ZW_UNAUTHENTICATED, "caller", "no authenticated caller");
    if (!(a->roles & ZW_ROLE_MASK(who->role))) {
        char need[160] = "";
        for (int r = 1; r <= 8; r++)
            if (a->roles & ZW_ROLE_MASK(r))
                snprintf(need + strlen(need), sizeof need - strlen(need), "%s%s",
                         need[0] ? " or " : "", zw_access_role_name(r));
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "role",
                           "role %s may not take action \"%s\"; needs %s", role, a->name, need);
    }
    bool dept_bound = who->role == 2 /* approver */ || who->role == 3 /* head */;
    if (dept_bound && !a->any_department &&
        strcmp(who->department ? who->department : "", tr->department) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                           "department %s may not act on department %s's case",
                           who->department && who->department[0] ? who->department : "(none)",
                           tr->department);
    if (who->role == 1 /* window */ && who->region && who->region[0] && inst->region[0] &&
        strcmp(who->region, inst->region) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "region",
                           "region %s may not act on region %s's case", who->region, inst->region);
    return 0;
}

/* 撤销 (DOMAIN.md 告知承诺制: a false promise revokes the decision): the
 * lead department's head revokes an approval after 办结, with a reason.
 * The instance stays closed; its clocks stay where the decision stopped
 * them; the application goes to 15. */
static int s_revoke(zw_wf_instance_t *inst, const zw_wf_actor_t *who, const char *comment,
                    zw_wf_effects_t *fx, zw_err_t *err)
{
    if (inst->outcome != ZW_WF_OUT_APPROVED && inst->outcome != ZW_WF_OUT_APPROVED_WAIVER)
        return zw_err_setd(
            err, ZW_FAILED_PRECONDITION, "status",
            "process %s was not approved (%s): only an approval can be revoked", inst->receipt,
            zw_wf_outcome_name(inst->outcome) ? zw_wf_outcome_name(inst->outcome) : "ended");
    if (!zw_access_role_name(who->role))
        return zw_err_setd(err, ZW_UNAUTHENTICATED, "caller", "no authenticated caller");
    if (who->role != 3 /* head */)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "role", "only a head may revoke a decision");
    if (strcmp(who->department ? who->department : "", inst->department) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                           "department %s may not revoke department %s's decision",
                           who->department && who->department[0] ? who->department : "(none)",
                           inst->department);
    if (zw_validate_text_blank(comment))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "comment", "action \"revoke\" needs a reason");
    zw_wf_track_t *tr = &inst->tracks[0];
    zw_wf_effect_t *h = s_history(inst, fx, 0, "revoke", tr->state, tr->state, err);
    if (!h)
        return -1;
    h->with_comment = true;
    inst->outcome = ZW_WF_OUT_REVOKED;
    zw_wf_effect_t *e = s_fx(fx, ZW_WF_FX_COMPLETED, 0, err);
    if (!e)
        return -1;
    e->outcome = ZW_WF_OUT_REVOKED;
    e->reason = comment;
    inst->app_state = h->app_state = e->app_state = zw_wf_outcome_app_state(ZW_WF_OUT_REVOKED);
    return 0;
}

int zw_wf_act(const zw_wf_def_t *def, zw_wf_instance_t *inst, const char *branch,
              const char *action, const zw_wf_actor_t *who, const char *comment,
              int minutes_per_day, int64_t now_us, zw_wf_effects_t *fx, zw_err_t *err)
{
    if (inst->status != ZW_WF_STATUS_OPEN && action && strcmp(action, "revoke") == 0 &&
        (!branch || !branch[0]))
        return s_revoke(inst, who, comment, fx, err);
    if (inst->status != ZW_WF_STATUS_OPEN)
        return zw_err_setd(
            err, ZW_FAILED_PRECONDITION, "status", "process %s is closed (%s)", inst->receipt,
            zw_wf_outcome_name(inst->outcome) ? zw_wf_outcome_name(inst->outcome) : "ended");
    int t = zw_wf_instance_track(inst, branch);
    if (t < 0)
        return zw_err_setd(err, ZW_NOT_FOUND, "branch", "process %s has no branch \"%s\"",
                           inst->receipt, branch ? branch : "");
    zw_wf_track_t *tr = &inst->tracks[t];
    if (tr->done)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "branch", "branch \"%s\" is finished (%s)",
                           tr->name, zw_wf_outcome_name(tr->outcome));
    const zw_wf_flow_t *flow = zw_wf_def_flow(def, t);
    const zw_wf_action_t *a = zw_wf_flow_action(flow, action);
    if (!a)
        return zw_err_setd(err, ZW_NOT_FOUND, "action", "definition %s v%d has no action \"%s\"%s",
                           def->code, def->version, action ? action : "", t ? " for branches" : "");
    const zw_wf_state_t *st = zw_wf_flow_state(flow, tr->state);
    if (!st)
        return zw_err_setd(err, ZW_INTERNAL, "definition",
                           "workflow: definition %s v%d has no state \"%s\"", def->code,
                           def->version, tr->state);
    if (!zw_wf_action_from(a, st))
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "state",
                           "action \"%s\" is not allowed in state \"%s\"", a->name, st->name);
    if (s_check_actor(inst, tr, a, who, err) != 0)
        return -1;
    if (a->reason && zw_validate_text_blank(comment))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "comment", "action \"%s\" needs a reason",
                           a->name);
    if (a->kind == ZW_WF_ACT_EXTEND) {
        if (who->role != 3 /* head */)
            return zw_err_setd(err, ZW_PERMISSION_DENIED, "role",
                               "only a head may extend the statutory limit");
        if (inst->extensions >= def->extension_times)
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, "extensions",
                               "the statutory limit was already extended %d time%s; the "
                               "definition allows %d",
                               inst->extensions, inst->extensions == 1 ? "" : "s",
                               def->extension_times);
        zw_wf_effect_t *h = s_history(inst, fx, t, a->name, tr->state, tr->state, err);
        if (!h)
            return -1;
        h->with_comment = true;
        inst->extension_min += zw_wf_limit_minutes(def->extension, minutes_per_day);
        inst->extensions++;
        return s_fx(fx, ZW_WF_FX_EXTENDED, t, err) ? 0 : -1;
    }
    char to[ZW_WF_NAME_MAX + 1];
    s_copy(to, sizeof to, a->to_return ? tr->prev_state : a->to);
    if (!to[0])
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "state",
                           "action \"%s\": no state to return to", a->name);
    size_t first = fx->n;
    if (s_move(def, inst, t, to, a->name, true, now_us, fx, err) != 0)
        return -1;
    /* The case ended with this step (directly, or a branch's refusal
     * through on_reject): an action that asks for a reason, or the
     * withdrawal, gives the decision its reason; an approval's comment is
     * only a note. */
    if (a->reason || a->trigger == ZW_WF_TRIG_WITHDRAWAL)
        for (size_t i = first; i < fx->n; i++)
            if (fx->fx[i].type == ZW_WF_FX_COMPLETED)
                fx->fx[i].reason = comment;
    return 0;
}

int zw_wf_trigger(const zw_wf_def_t *def, zw_wf_instance_t *inst, zw_wf_trigger_t trigger,
                  const zw_wf_actor_t *who, const char *comment, int minutes_per_day,
                  int64_t now_us, zw_wf_effects_t *fx, int *taken, zw_err_t *err)
{
    int n = 0;
    int ntracks = trigger == ZW_WF_TRIG_WITHDRAWAL ? 1 : inst->ntracks;
    zw_wf_actor_t as = *who;
    as.trigger = true;
    for (int t = 0; t < ntracks && inst->status == ZW_WF_STATUS_OPEN; t++) {
        const zw_wf_track_t *tr = &inst->tracks[t];
        if (tr->done)
            continue;
        const zw_wf_flow_t *flow = zw_wf_def_flow(def, t);
        const zw_wf_state_t *st = zw_wf_flow_state(flow, tr->state);
        for (size_t i = 0; st && i < flow->nactions; i++) {
            const zw_wf_action_t *a = &flow->actions[i];
            if (a->trigger != trigger || !zw_wf_action_from(a, st))
                continue;
            const char *why = !zw_validate_text_blank(comment)   ? comment
                              : trigger == ZW_WF_TRIG_WITHDRAWAL ? "withdrawn by the applicant"
                                                                 : "materials supplied";
            if (zw_wf_act(def, inst, tr->name, a->name, &as, why, minutes_per_day, now_us, fx,
                          err) != 0)
                return -1;
            n++;
            break;
        }
    }
    if (taken)
        *taken = n;
    return 0;
}

size_t zw_wf_available(const zw_wf_def_t *def, const zw_wf_instance_t *inst, int track,
                       const char **out, size_t max)
{
    if (track < 0 || track >= inst->ntracks || inst->status != ZW_WF_STATUS_OPEN ||
        inst->tracks[track].done)
        return 0;
    const zw_wf_flow_t *flow = zw_wf_def_flow(def, track);
    const zw_wf_state_t *st = zw_wf_flow_state(flow, inst->tracks[track].state);
    size_t n = 0;
    for (size_t i = 0; st && i < flow->nactions && n < max; i++)
        if (zw_wf_action_from(&flow->actions[i], st))
            out[n++] = flow->actions[i].name;
    return n;
}

bool zw_wf_track_paused(const zw_wf_def_t *def, const zw_wf_instance_t *inst, int track)
{
    if (track < 0 || track >= inst->ntracks)
        return false;
    const zw_wf_state_t *st =
        zw_wf_flow_state(zw_wf_def_flow(def, track), inst->tracks[track].state);
    return st && st->pause != ZW_WF_PAUSE_NONE && !inst->tracks[track].done;
}
