/* Legal clocks from budgets and pause intervals. The calendar counts in
 * seconds; the instance keeps microseconds. */
#include "clocks.h"

#include <stdlib.h>
#include <string.h>

#define S_US 1000000

static int64_t s_sec(int64_t us)
{
    if (us == ZW_WF_OPEN)
        return INT64_MAX;
    return us >= 0 ? us / S_US : -((-us + S_US - 1) / S_US);
}

static int64_t s_us(int64_t sec)
{
    return sec * S_US;
}

int zw_wf_grant_start(const zw_wf_clock_env_t *env, int64_t at_us, zw_wf_limit_t limit,
                      int64_t *start_us, zw_err_t *err)
{
    int64_t s;
    if (zw_calendar_limit_start(env->cal, &env->hours, s_sec(at_us),
                                limit.unit ? limit.unit : ZW_LIMIT_WORKDAYS, &s, err) != 0)
        return -1;
    *start_us = s_us(s);
    return 0;
}

/* Pause intervals in seconds for a clock: every pause (track < 0) or one
 * track's. Pauses that had not started by `until_us` are left out. */
static zw_interval_t *s_intervals(const zw_wf_instance_t *inst, int track, size_t *n)
{
    zw_interval_t *iv = calloc(inst->npauses ? inst->npauses : 1, sizeof *iv);
    *n = 0;
    if (!iv)
        return NULL;
    for (size_t i = 0; i < inst->npauses; i++) {
        const zw_wf_pause_t *p = &inst->pauses[i];
        if (track >= 0 && p->track != track)
            continue;
        iv[*n].start = s_sec(p->start_us);
        iv[*n].end = s_sec(p->end_us);
        if (iv[*n].end < iv[*n].start)
            iv[*n].end = iv[*n].start;
        (*n)++;
    }
    return iv;
}

static bool s_open_pause(const zw_wf_instance_t *inst, int track)
{
    for (size_t i = 0; i < inst->npauses; i++)
        if ((track < 0 || inst->pauses[i].track == track) && inst->pauses[i].end_us == ZW_WF_OPEN)
            return true;
    return false;
}

/* *out = due of `budget` minutes from start, or ZW_WF_NONE while a pause
 * holds the clock. */
static int s_due(const zw_wf_clock_env_t *env, int64_t start_us, int64_t budget,
                 const zw_interval_t *iv, size_t n, int64_t *out, zw_err_t *err)
{
    int64_t due;
    zw_err_t e;
    if (zw_calendar_due(env->cal, &env->hours, s_sec(start_us), budget < 0 ? 0 : budget, iv, n,
                        &due, &e) != 0) {
        if (e.code == ZW_FAILED_PRECONDITION) {
            *out = ZW_WF_NONE;
            return 0;
        }
        if (err)
            *err = e;
        return -1;
    }
    *out = s_us(due);
    return 0;
}

static int s_clock(const zw_wf_clock_env_t *env, const zw_wf_instance_t *inst, zw_wf_clock_t *c,
                   int pause_track, int64_t at_us, zw_err_t *err)
{
    int mpd = zw_workhours_minutes_per_day(&env->hours);
    c->budget_min = zw_wf_limit_minutes(c->limit, mpd) + c->extension_min;
    size_t n;
    zw_interval_t *iv = s_intervals(inst, pause_track, &n);
    if (!iv)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    int rc = -1;
    c->paused = s_open_pause(inst, pause_track);
    if (s_due(env, c->start_us, c->budget_min, iv, n, &c->due_us, err) != 0)
        goto done;
    if (c->due_us == ZW_WF_NONE)
        c->warn_us = ZW_WF_NONE; /* paused: nothing falls due, nothing warns */
    else if (c->budget_min <= env->warn_minutes)
        c->warn_us = c->start_us;
    else if (s_due(env, c->start_us, c->budget_min - env->warn_minutes, iv, n, &c->warn_us, err) !=
             0)
        goto done;
    c->used_min = 0;
    if (at_us > c->start_us &&
        zw_calendar_working_minutes(env->cal, &env->hours, s_sec(c->start_us), s_sec(at_us), iv, n,
                                    &c->used_min, err) != 0)
        goto done;
    c->remaining_min = c->budget_min - c->used_min;
    rc = 0;
done:
    free(iv);
    return rc;
}

int zw_wf_clocks_compute(const zw_wf_clock_env_t *env, const zw_wf_def_t *def,
                         const zw_wf_instance_t *inst, int64_t now_us, zw_wf_clocks_t *out,
                         zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    int64_t at =
        inst->status == ZW_WF_STATUS_CLOSED && inst->closed_us > 0 ? inst->closed_us : now_us;
    const zw_wf_grant_t *grants[2] = {&inst->promised, &inst->statutory};
    for (int k = 0; k < 2; k++) {
        if (grants[k]->limit.amount <= 0)
            continue;
        zw_wf_clock_t *c = &out->clocks[out->nclocks++];
        c->kind = k == 0 ? ZW_WF_CLOCK_PROMISED : ZW_WF_CLOCK_STATUTORY;
        c->track = 0;
        c->limit = grants[k]->limit;
        c->start_us = grants[k]->start_us;
        c->extension_min = k == 1 ? inst->extension_min : 0;
        if (s_clock(env, inst, c, -1, at, err) != 0)
            return -1;
    }
    for (int t = 1; t < inst->ntracks; t++) {
        const zw_wf_track_t *tr = &inst->tracks[t];
        if (tr->limit.amount <= 0)
            continue;
        zw_wf_clock_t *c = &out->clocks[out->nclocks++];
        c->kind = ZW_WF_CLOCK_BRANCH;
        c->track = t;
        c->limit = tr->limit;
        /* a finished branch's clock stopped when it finished */
        int64_t until = tr->done && tr->entered_us > 0 && tr->entered_us < at ? tr->entered_us : at;
        if (zw_wf_grant_start(env, tr->clock_start_us, tr->limit, &c->start_us, err) != 0 ||
            s_clock(env, inst, c, t, until, err) != 0)
            return -1;
    }
    for (int t = 0; t < ZW_WF_MAX_TRACKS; t++)
        out->stuck_us[t] = ZW_WF_NONE;
    for (int t = 0; t < inst->ntracks; t++) {
        const zw_wf_track_t *tr = &inst->tracks[t];
        const zw_wf_flow_t *flow = zw_wf_def_flow(def, t);
        const zw_wf_state_t *st = flow ? zw_wf_flow_state(flow, tr->state) : NULL;
        if (tr->done || !st || st->limit.amount <= 0)
            continue;
        int64_t due;
        if (zw_calendar_due_limit(env->cal, &env->hours, s_sec(tr->entered_us), st->limit.amount,
                                  st->limit.unit, NULL, 0, &due, err) != 0)
            return -1;
        out->stuck_us[t] = s_us(due);
    }
    return 0;
}

const zw_wf_clock_t *zw_wf_clocks_find(const zw_wf_clocks_t *c, zw_wf_clock_kind_t kind, int track)
{
    for (int i = 0; i < c->nclocks; i++)
        if (c->clocks[i].kind == kind && c->clocks[i].track == track)
            return &c->clocks[i];
    return NULL;
}

int zw_wf_pause_minutes(const zw_wf_clock_env_t *env, const zw_wf_pause_t *p, int64_t now_us,
                        int64_t *minutes, zw_err_t *err)
{
    int64_t end = p->end_us == ZW_WF_OPEN ? now_us : p->end_us;
    *minutes = 0;
    if (end <= p->start_us)
        return 0;
    return zw_calendar_working_minutes(env->cal, &env->hours, s_sec(p->start_us), s_sec(end), NULL,
                                       0, minutes, err);
}

int zw_wf_minutes_between(const zw_wf_clock_env_t *env, int64_t a_us, int64_t b_us,
                          int64_t *minutes, zw_err_t *err)
{
    *minutes = 0;
    if (b_us <= a_us)
        return 0;
    return zw_calendar_working_minutes(env->cal, &env->hours, s_sec(a_us), s_sec(b_us), NULL, 0,
                                       minutes, err);
}

static int s_cmp_alarm(const void *a, const void *b)
{
    const zw_wf_alarm_t *x = a, *y = b;
    if (x->at_us != y->at_us)
        return x->at_us < y->at_us ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->clock != y->clock)
        return x->clock < y->clock ? -1 : 1;
    return x->track - y->track;
}

size_t zw_wf_alarms(const zw_wf_clocks_t *c, const zw_wf_instance_t *inst, zw_wf_alarm_t *out,
                    size_t max)
{
    size_t n = 0;
    if (inst->status != ZW_WF_STATUS_OPEN)
        return 0;
    for (int i = 0; i < c->nclocks; i++) {
        const zw_wf_clock_t *k = &c->clocks[i];
        if (k->track > 0 && inst->tracks[k->track].done)
            continue;
        if (k->due_us == ZW_WF_NONE)
            continue; /* the clock stands: nothing falls due */
        if (k->warn_us != ZW_WF_NONE && n < max)
            out[n++] = (zw_wf_alarm_t){ZW_WF_ALARM_WARNING, k->kind,   k->track,
                                       k->warn_us,          k->due_us, k->due_us};
        /* overdue once the due time has passed: at the due time itself
         * the work is still in time */
        if (n < max)
            out[n++] = (zw_wf_alarm_t){ZW_WF_ALARM_OVERDUE, k->kind,   k->track,
                                       k->due_us + 1,       k->due_us, k->due_us};
    }
    for (int t = 0; t < inst->ntracks && t < ZW_WF_MAX_TRACKS; t++)
        if (c->stuck_us[t] != ZW_WF_NONE && n < max)
            out[n++] =
                (zw_wf_alarm_t){ZW_WF_ALARM_ABNORMAL, ZW_WF_CLOCK_NONE,           t, c->stuck_us[t],
                                c->stuck_us[t],       inst->tracks[t].entered_seq};
    qsort(out, n, sizeof *out, s_cmp_alarm);
    return n;
}

int64_t zw_wf_alarms_next(const zw_wf_alarm_t *a, size_t n, int64_t after_us)
{
    int64_t best = ZW_WF_NONE;
    for (size_t i = 0; i < n; i++)
        if (a[i].at_us > after_us && (best == ZW_WF_NONE || a[i].at_us < best))
            best = a[i].at_us;
    return best;
}
