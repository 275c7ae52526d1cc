/* The workflow engine and its clocks as pure functions: a 承诺件 from
 * acceptance to 办结, roles and departments, 补正 and 特别程序 pauses moving
 * due times by exactly their working time (DOMAIN.md's 32.5-hour example),
 * the extension rules, 并联 branches with their join and a refusal, the
 * intake triggers, and the alarm candidates. services/workflow is not in
 * libzwfw, so its .c files are compiled in here. */
#include "zwtest.h"

#include "../../services/workflow/clocks.c"
#include "../../services/workflow/definition.c"
#include "../../services/workflow/definition_check.c"
#include "../../services/workflow/engine.c"

#include "clock.h"

#include <stdio.h>
#include <string.h>

#define S_LEAD "11500152MB1701474U"
#define S_PLAN "11500152MB17025308"
#define S_TRAFFIC "11500152MB1700340F"
#define S_DEPT "11500152MB17035173"

enum { R_WINDOW = 1, R_APPROVER = 2, R_HEAD = 3, R_SUPERVISOR = 4, R_SYSTEM = 7 };

typedef struct {
    zw_calendar_t *cal;
    zw_wf_clock_env_t env;
    zw_wf_def_t *promised, *parallel;
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    zw_err_t err;
    f->cal = zw_calendar_load(zwt_src_path("deploy/calendar/cn.json"), &err);
    f->promised = zw_wf_def_load(zwt_src_path("deploy/workflow/promised-default.json"), &err);
    f->parallel = zw_wf_def_load(zwt_src_path("deploy/workflow/parallel-engineering.json"), &err);
    if (!f->cal || !f->promised || !f->parallel) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    f->env.cal = f->cal;
    zw_workhours_default(&f->env.hours);
    f->env.warn_minutes = 420;
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    zw_calendar_destroy(&f->cal);
    zw_wf_def_destroy(&f->promised);
    zw_wf_def_destroy(&f->parallel);
    free(f);
    return 0;
}

static int64_t s_t(const char *text)
{
    int64_t us;
    zw_err_t err;
    if (zw_time_parse(text, &us, &err) != 0)
        fail_msg("%s: %s", text, err.message);
    return us;
}

static char *s_fmt_time(int64_t us)
{
    static char buf[4][48];
    static int i;
    i = (i + 1) % 4;
    return zw_time_format(us, buf[i], sizeof buf[i]);
}

static zw_wf_actor_t s_actor(int role, const char *dept)
{
    return (zw_wf_actor_t){
        .role = role, .department = dept, .region = "500152", .key_id = "k", .actor = "staff"};
}

/* A fresh instance accepted at `accepted`, limits in working days. */
static void s_new(s_fixture_t *f, const zw_wf_def_t *def, zw_wf_instance_t *inst,
                  const char *accepted, int promised_days, int statutory_days, const char *dept)
{
    memset(inst, 0, sizeof *inst);
    snprintf(inst->receipt, sizeof inst->receipt, "500152-20200921-000001");
    snprintf(inst->department, sizeof inst->department, "%s", dept);
    snprintf(inst->region, sizeof inst->region, "500152");
    snprintf(inst->def_code, sizeof inst->def_code, "%s", def->code);
    inst->def_version = def->version;
    inst->accepted_us = s_t(accepted);
    inst->promised.limit = (zw_wf_limit_t){promised_days, ZW_LIMIT_WORKDAYS};
    inst->statutory.limit = (zw_wf_limit_t){statutory_days, ZW_LIMIT_WORKDAYS};
    zw_err_t err;
    assert_int_equal(zw_wf_grant_start(&f->env, inst->accepted_us, inst->promised.limit,
                                       &inst->promised.start_us, &err),
                     0);
    assert_int_equal(zw_wf_grant_start(&f->env, inst->accepted_us, inst->statutory.limit,
                                       &inst->statutory.start_us, &err),
                     0);
    zw_wf_effects_t fx;
    if (zw_wf_start(def, inst, inst->accepted_us, &fx, &err) != 0)
        fail_msg("start: %s", err.message);
    assert_int_equal(fx.fx[0].type, ZW_WF_FX_STARTED);
    assert_int_equal(fx.fx[1].type, ZW_WF_FX_HISTORY);
    assert_string_equal(fx.fx[1].action, "start");
    assert_string_equal(fx.fx[1].to, def->main.initial);
    assert_int_equal(fx.fx[1].seq, 1);
    assert_int_equal(inst->app_state, 3); /* 已受理 until a step says otherwise */
}

/* Acts and requires success; returns the effects. */
static zw_wf_effects_t *s_do(s_fixture_t *f, const zw_wf_def_t *def, zw_wf_instance_t *inst,
                             const char *branch, const char *action, int role, const char *dept,
                             const char *comment, const char *at)
{
    static zw_wf_effects_t fx;
    fx.n = 0;
    zw_err_t err;
    zw_wf_actor_t who = s_actor(role, dept);
    if (zw_wf_act(def, inst, branch, action, &who, comment,
                  zw_workhours_minutes_per_day(&f->env.hours), s_t(at), &fx, &err) != 0)
        fail_msg("%s on '%s': %s", action, branch, err.message);
    return &fx;
}

/* Acts and requires refusal with `code`; the instance must not change. */
static void s_refuse(const zw_wf_def_t *def, zw_wf_instance_t *inst, const char *branch,
                     const char *action, int role, const char *dept, const char *comment,
                     zw_code_t code)
{
    zw_wf_effects_t fx = {.n = 0};
    zw_err_t err;
    zw_wf_actor_t who = s_actor(role, dept);
    char before[ZW_WF_NAME_MAX + 1];
    snprintf(before, sizeof before, "%s", inst->tracks[0].state);
    int64_t seq = inst->next_seq, ext = inst->extension_min;
    if (zw_wf_act(def, inst, branch, action, &who, comment, 420, s_t("2020-12-01T10:00"), &fx,
                  &err) == 0)
        fail_msg("%s by role %d was allowed", action, role);
    if (err.code != code)
        fail_msg("%s: code %s (%s), expected %s", action, zw_code_name(err.code), err.message,
                 zw_code_name(code));
    assert_int_equal(fx.n, 0);
    assert_string_equal(inst->tracks[0].state, before);
    assert_int_equal(inst->next_seq, seq);
    assert_int_equal(inst->extension_min, ext);
}

static const zw_wf_effect_t *s_find(const zw_wf_effects_t *fx, zw_wf_fx_type_t type)
{
    for (size_t i = 0; i < fx->n; i++)
        if (fx->fx[i].type == type)
            return &fx->fx[i];
    return NULL;
}

static zw_wf_clocks_t s_clocks(s_fixture_t *f, const zw_wf_def_t *def, const zw_wf_instance_t *inst,
                               const char *at)
{
    zw_wf_clocks_t c;
    zw_err_t err;
    if (zw_wf_clocks_compute(&f->env, def, inst, s_t(at), &c, &err) != 0)
        fail_msg("clocks: %s", err.message);
    return c;
}

static int64_t s_minutes(s_fixture_t *f, int64_t a, int64_t b)
{
    int64_t m;
    zw_err_t err;
    assert_int_equal(zw_wf_minutes_between(&f->env, a, b, &m, &err), 0);
    return m;
}

/* ------------------------------------------------------------------ tests */

static void test_promised_from_acceptance_to_completion(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    assert_string_equal(inst.tracks[0].state, "accepted");
    assert_int_equal(inst.status, ZW_WF_STATUS_OPEN);

    /* the promised clock: 5 working days from Tue 09-22; Sun 09-27 is 调休 */
    zw_wf_clocks_t c = s_clocks(f, d, &inst, "2020-09-21T10:00");
    const zw_wf_clock_t *pr = zw_wf_clocks_find(&c, ZW_WF_CLOCK_PROMISED, 0);
    assert_non_null(pr);
    assert_string_equal(s_fmt_time(pr->due_us), "2020-09-27T17:30:00+08:00");
    assert_int_equal(pr->budget_min, 5 * 420);
    assert_int_equal(pr->remaining_min, 5 * 420);
    assert_string_equal(s_fmt_time(pr->warn_us), "2020-09-25T17:30:00+08:00");

    zw_wf_effects_t *fx =
        s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-21T11:00");
    assert_string_equal(inst.tracks[0].state, "review");
    assert_int_equal(s_find(fx, ZW_WF_FX_HISTORY)->app_state, 8);
    assert_int_equal(inst.app_state, 8);

    s_refuse(d, &inst, "", "approve", R_HEAD, S_DEPT, "", ZW_FAILED_PRECONDITION); /* not yet */
    s_refuse(d, &inst, "", "no_such", R_HEAD, S_DEPT, "", ZW_NOT_FOUND);
    s_refuse(d, &inst, "x", "submit", R_HEAD, S_DEPT, "", ZW_NOT_FOUND);
    s_do(f, d, &inst, "", "submit", R_APPROVER, S_DEPT, "looks fine", "2020-09-23T10:00");
    assert_string_equal(inst.tracks[0].state, "decision");
    s_refuse(d, &inst, "", "approve", R_APPROVER, S_DEPT, "", ZW_PERMISSION_DENIED);
    s_refuse(d, &inst, "", "approve", R_HEAD, S_LEAD, "", ZW_PERMISSION_DENIED);
    s_refuse(d, &inst, "", "approve", R_SUPERVISOR, S_DEPT, "", ZW_PERMISSION_DENIED);
    s_refuse(d, &inst, "", "reject", R_HEAD, S_DEPT, "  ", ZW_INVALID_ARGUMENT);
    fx = s_do(f, d, &inst, "", "approve", R_HEAD, S_DEPT, "", "2020-09-24T15:00");
    const zw_wf_effect_t *done = s_find(fx, ZW_WF_FX_COMPLETED);
    assert_non_null(done);
    assert_int_equal(done->outcome, ZW_WF_OUT_APPROVED);
    assert_int_equal(done->app_state, 11);
    assert_int_equal(inst.status, ZW_WF_STATUS_CLOSED);
    assert_int_equal(inst.closed_us, s_t("2020-09-24T15:00"));
    assert_int_equal(inst.next_seq, 5); /* start, start_review, submit, approve */
    s_refuse(d, &inst, "", "withdraw", R_WINDOW, S_DEPT, "late", ZW_FAILED_PRECONDITION);
    /* a closed instance raises no alarm; its clocks stop at the close */
    c = s_clocks(f, d, &inst, "2021-03-01T10:00");
    zw_wf_alarm_t al[16];
    assert_int_equal(zw_wf_alarms(&c, &inst, al, 16), 0);
    pr = zw_wf_clocks_find(&c, ZW_WF_CLOCK_PROMISED, 0);
    assert_int_equal(pr->used_min, 3 * 420 - 150); /* Tue..Thu, less Thu 15:00-17:30 */
    zw_wf_instance_clear(&inst);

    /* accepted under 容缺: approval is 办结(容缺通过) */
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    inst.waiver = true;
    s_do(f, d, &inst, "", "start_review", R_HEAD, S_DEPT, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "", "submit", R_HEAD, S_DEPT, "", "2020-09-21T11:10");
    fx = s_do(f, d, &inst, "", "approve", R_HEAD, S_DEPT, "", "2020-09-21T11:20");
    assert_int_equal(s_find(fx, ZW_WF_FX_COMPLETED)->app_state, 12);
    assert_int_equal(inst.outcome, ZW_WF_OUT_APPROVED_WAIVER);
    zw_wf_instance_clear(&inst);
}

static void test_supplement_pauses_three_working_days(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-21T11:00");
    zw_wf_clocks_t before = s_clocks(f, d, &inst, "2020-09-22T10:00");
    s_refuse(d, &inst, "", "request_supplement", R_APPROVER, S_DEPT, "", ZW_INVALID_ARGUMENT);
    zw_wf_effects_t *fx = s_do(f, d, &inst, "", "request_supplement", R_APPROVER, S_DEPT,
                               "ID copy unreadable", "2020-09-22T10:00");
    const zw_wf_effect_t *p = s_find(fx, ZW_WF_FX_PAUSED);
    assert_non_null(p);
    assert_int_equal(p->app_state, 6);
    assert_int_equal(inst.npauses, 1);
    assert_int_equal(inst.pauses[0].end_us, ZW_WF_OPEN);
    assert_int_equal(inst.pauses[0].kind, ZW_WF_PAUSE_SUPPLEMENT);
    assert_string_equal(inst.tracks[0].prev_state, "review");
    /* while paused no due time exists and no alarm can fall due */
    zw_wf_clocks_t mid = s_clocks(f, d, &inst, "2020-09-24T10:00");
    assert_true(mid.clocks[0].paused);
    assert_int_equal(mid.clocks[0].due_us, ZW_WF_NONE);
    assert_int_equal(mid.clocks[0].used_min, 60); /* Tue 09:00-10:00 only */
    zw_wf_alarm_t al[16];
    size_t n = zw_wf_alarms(&mid, &inst, al, 16);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(al[i].kind, ZW_WF_ALARM_ABNORMAL);

    /* intake forwards the materials three working days later */
    zw_wf_effects_t tfx = {.n = 0};
    int taken = 0;
    zw_err_t err;
    zw_wf_actor_t sys = s_actor(R_SYSTEM, "");
    assert_int_equal(zw_wf_trigger(d, &inst, ZW_WF_TRIG_MATERIALS, &sys, "", 420,
                                   s_t("2020-09-25T10:00"), &tfx, &taken, &err),
                     0);
    assert_int_equal(taken, 1);
    assert_string_equal(inst.tracks[0].state, "review");
    const zw_wf_effect_t *r = s_find(&tfx, ZW_WF_FX_RESUMED);
    assert_non_null(r);
    assert_int_equal(r->app_state, 7);
    int64_t paused;
    assert_int_equal(zw_wf_pause_minutes(&f->env, &inst.pauses[r->pause], 0, &paused, &err), 0);
    assert_int_equal(paused, 3 * 420);
    zw_wf_clocks_t after = s_clocks(f, d, &inst, "2020-09-25T10:00");
    for (int k = 0; k < 2; k++) {
        assert_false(after.clocks[k].paused);
        assert_int_equal(s_minutes(f, before.clocks[k].due_us, after.clocks[k].due_us), 3 * 420);
        assert_int_equal(after.clocks[k].budget_min, before.clocks[k].budget_min);
    }
    assert_string_equal(s_fmt_time(after.clocks[0].due_us), "2020-09-30T17:30:00+08:00");
    /* nothing left to trigger */
    assert_int_equal(zw_wf_trigger(d, &inst, ZW_WF_TRIG_MATERIALS, &sys, "", 420,
                                   s_t("2020-09-25T11:00"), &tfx, &taken, &err),
                     0);
    assert_int_equal(taken, 0);
    zw_wf_instance_clear(&inst);
}

static void test_special_procedure_across_holidays(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-24T10:00", 20, 20, S_DEPT);
    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-24T11:00");
    zw_wf_clocks_t before = s_clocks(f, d, &inst, "2020-09-25T14:00");
    s_do(f, d, &inst, "", "start_special", R_APPROVER, S_DEPT, "expert review", "2020-09-25T14:00");
    assert_string_equal(inst.tracks[0].state, "special");
    assert_int_equal(inst.app_state, 9);
    zw_wf_effects_t *fx =
        s_do(f, d, &inst, "", "end_special", R_APPROVER, S_DEPT, "", "2020-10-09T10:00");
    assert_string_equal(inst.tracks[0].state, "review");
    assert_int_equal(s_find(fx, ZW_WF_FX_RESUMED)->app_state, 10);
    int64_t paused;
    zw_err_t err;
    assert_int_equal(zw_wf_pause_minutes(&f->env, &inst.pauses[0], 0, &paused, &err), 0);
    assert_int_equal(paused, 1950); /* 32.5 working hours: the 调休 Sunday 09-27 counts */
    zw_wf_clocks_t after = s_clocks(f, d, &inst, "2020-10-09T10:00");
    assert_int_equal(s_minutes(f, before.clocks[1].due_us, after.clocks[1].due_us), 1950);
    assert_string_equal(s_fmt_time(before.clocks[1].due_us), "2020-10-28T17:30:00+08:00");
    assert_string_equal(s_fmt_time(after.clocks[1].due_us), "2020-11-04T15:00:00+08:00");
    zw_wf_instance_clear(&inst);
}

static void test_extension_once_by_head(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-21T11:00");
    zw_wf_clocks_t before = s_clocks(f, d, &inst, "2020-09-22T10:00");
    s_refuse(d, &inst, "", "extend", R_APPROVER, S_DEPT, "need time", ZW_PERMISSION_DENIED);
    s_refuse(d, &inst, "", "extend", R_HEAD, S_LEAD, "need time", ZW_PERMISSION_DENIED);
    s_refuse(d, &inst, "", "extend", R_HEAD, S_DEPT, "", ZW_INVALID_ARGUMENT);
    zw_wf_effects_t *fx =
        s_do(f, d, &inst, "", "extend", R_HEAD, S_DEPT, "complex case", "2020-09-22T10:00");
    assert_non_null(s_find(fx, ZW_WF_FX_EXTENDED));
    assert_string_equal(inst.tracks[0].state, "review");
    assert_int_equal(inst.extensions, 1);
    assert_int_equal(inst.extension_min, 10 * 420);
    zw_wf_clocks_t after = s_clocks(f, d, &inst, "2020-09-22T10:00");
    const zw_wf_clock_t *sb = zw_wf_clocks_find(&before, ZW_WF_CLOCK_STATUTORY, 0);
    const zw_wf_clock_t *sa = zw_wf_clocks_find(&after, ZW_WF_CLOCK_STATUTORY, 0);
    assert_int_equal(s_minutes(f, sb->due_us, sa->due_us), 10 * 420);
    assert_int_equal(sa->extension_min, 10 * 420);
    /* the promised clock is the center's commitment and does not move */
    assert_int_equal(zw_wf_clocks_find(&after, ZW_WF_CLOCK_PROMISED, 0)->due_us,
                     zw_wf_clocks_find(&before, ZW_WF_CLOCK_PROMISED, 0)->due_us);
    s_refuse(d, &inst, "", "extend", R_HEAD, S_DEPT, "again", ZW_FAILED_PRECONDITION);
    zw_wf_instance_clear(&inst);
}

/* DOMAIN.md: the statutory limit is 20 working days, extendable once by 10;
 * joint handling 45, extendable once by 15. The shipped definitions carry
 * exactly that, and a head's extension of a joint case moves its statutory
 * due time from the close of the 45th to the close of the 60th working day. */
static void test_shipped_statutory_limits(void **state)
{
    s_fixture_t *f = *state;
    const struct {
        const zw_wf_def_t *def;
        int statutory, extension;
    } want[] = {{f->promised, 20, 10}, {f->parallel, 45, 15}};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(want[i].def->statutory.amount, want[i].statutory);
        assert_int_equal(want[i].def->statutory.unit, ZW_LIMIT_WORKDAYS);
        assert_int_equal(want[i].def->extension.amount, want[i].extension);
        assert_int_equal(want[i].def->extension.unit, ZW_LIMIT_WORKDAYS);
        assert_int_equal(want[i].def->extension_times, 1);
    }
    const zw_wf_def_t *d = f->parallel;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 32, 45, S_LEAD);
    zw_wf_clocks_t before = s_clocks(f, d, &inst, "2020-09-22T10:00");
    const zw_wf_clock_t *sb = zw_wf_clocks_find(&before, ZW_WF_CLOCK_STATUTORY, 0);
    assert_string_equal(s_fmt_time(sb->due_us), "2020-11-27T17:30:00+08:00");
    s_refuse(d, &inst, "", "extend", R_APPROVER, S_LEAD, "need time", ZW_PERMISSION_DENIED);
    s_do(f, d, &inst, "", "extend", R_HEAD, S_LEAD, "joint review", "2020-09-22T10:00");
    assert_int_equal(inst.extension_min, 15 * 420);
    zw_wf_clocks_t after = s_clocks(f, d, &inst, "2020-09-22T10:00");
    const zw_wf_clock_t *sa = zw_wf_clocks_find(&after, ZW_WF_CLOCK_STATUTORY, 0);
    assert_string_equal(s_fmt_time(sa->due_us), "2020-12-18T17:30:00+08:00");
    s_refuse(d, &inst, "", "extend", R_HEAD, S_LEAD, "again", ZW_FAILED_PRECONDITION);
    zw_wf_instance_clear(&inst);
}

static void test_parallel_closes_after_last_branch(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->parallel;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 32, 45, S_LEAD);
    s_refuse(d, &inst, "", "start_review", R_APPROVER, S_PLAN, "", ZW_PERMISSION_DENIED);
    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_LEAD, "", "2020-09-21T11:00");
    assert_string_equal(inst.tracks[0].state, "parallel");
    assert_int_equal(inst.ntracks, 4);
    assert_string_equal(inst.tracks[1].name, "planning");
    assert_string_equal(inst.tracks[1].department, S_PLAN);
    assert_string_equal(inst.tracks[2].department, S_LEAD); /* "$lead" */
    assert_string_equal(inst.tracks[3].department, S_TRAFFIC);
    for (int t = 1; t < 4; t++)
        assert_string_equal(inst.tracks[t].state, "review");
    zw_wf_clocks_t c = s_clocks(f, d, &inst, "2020-09-21T11:00");
    assert_int_equal(c.nclocks, 5);
    const zw_wf_clock_t *b1 = zw_wf_clocks_find(&c, ZW_WF_CLOCK_BRANCH, 1);
    assert_non_null(b1);
    assert_int_equal(b1->budget_min, 10 * 420);

    /* one department may not act in another's branch */
    s_refuse(d, &inst, "planning", "approve", R_APPROVER, S_TRAFFIC, "", ZW_PERMISSION_DENIED);
    /* a branch pausing pauses its own clock and the instance's, not the others' */
    s_do(f, d, &inst, "traffic", "start_special", R_APPROVER, S_TRAFFIC, "traffic study",
         "2020-09-22T09:00");
    c = s_clocks(f, d, &inst, "2020-09-23T09:00");
    assert_true(zw_wf_clocks_find(&c, ZW_WF_CLOCK_BRANCH, 3)->paused);
    assert_false(zw_wf_clocks_find(&c, ZW_WF_CLOCK_BRANCH, 1)->paused);
    assert_true(zw_wf_clocks_find(&c, ZW_WF_CLOCK_STATUTORY, 0)->paused);
    s_do(f, d, &inst, "traffic", "end_special", R_APPROVER, S_TRAFFIC, "", "2020-09-23T09:00");

    zw_wf_effects_t *fx =
        s_do(f, d, &inst, "planning", "approve", R_APPROVER, S_PLAN, "", "2020-09-23T10:00");
    assert_non_null(s_find(fx, ZW_WF_FX_BRANCH_DONE));
    assert_true(inst.tracks[1].done);
    assert_string_equal(inst.tracks[0].state, "parallel");
    s_refuse(d, &inst, "planning", "approve", R_APPROVER, S_PLAN, "", ZW_FAILED_PRECONDITION);
    s_do(f, d, &inst, "construction", "approve", R_HEAD, S_LEAD, "", "2020-09-24T10:00");
    assert_string_equal(inst.tracks[0].state, "parallel");
    fx = s_do(f, d, &inst, "traffic", "approve", R_APPROVER, S_TRAFFIC, "", "2020-09-25T10:00");
    assert_string_equal(inst.tracks[0].state, "decision");
    bool joined = false;
    for (size_t i = 0; i < fx->n; i++)
        joined |= fx->fx[i].type == ZW_WF_FX_HISTORY && strcmp(fx->fx[i].action, "join") == 0 &&
                  fx->fx[i].track == 0;
    assert_true(joined);
    assert_int_equal(inst.status, ZW_WF_STATUS_OPEN);
    fx = s_do(f, d, &inst, "", "approve", R_HEAD, S_LEAD, "", "2020-09-25T11:00");
    assert_int_equal(inst.status, ZW_WF_STATUS_CLOSED);
    assert_int_equal(inst.outcome, ZW_WF_OUT_APPROVED);
    zw_wf_instance_clear(&inst);
}

static void test_parallel_refusal_ends_instance(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->parallel;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 32, 45, S_LEAD);
    s_do(f, d, &inst, "", "start_review", R_HEAD, S_LEAD, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "planning", "approve", R_APPROVER, S_PLAN, "", "2020-09-22T10:00");
    s_do(f, d, &inst, "construction", "request_supplement", R_APPROVER, S_LEAD, "drawings",
         "2020-09-22T11:00");
    s_refuse(d, &inst, "traffic", "reject", R_APPROVER, S_TRAFFIC, "no", ZW_PERMISSION_DENIED);
    zw_wf_effects_t *fx = s_do(f, d, &inst, "traffic", "reject", R_HEAD, S_TRAFFIC,
                               "junction capacity exceeded", "2020-09-23T10:00");
    assert_int_equal(inst.status, ZW_WF_STATUS_CLOSED);
    assert_int_equal(inst.outcome, ZW_WF_OUT_REJECTED);
    assert_string_equal(inst.tracks[0].state, "rejected");
    assert_int_equal(inst.tracks[1].outcome, ZW_WF_OUT_APPROVED);
    assert_int_equal(inst.tracks[2].outcome, ZW_WF_OUT_CANCELLED);
    assert_int_equal(inst.tracks[3].outcome, ZW_WF_OUT_REJECTED);
    assert_int_equal(s_find(fx, ZW_WF_FX_COMPLETED)->app_state, 13);
    for (size_t i = 0; i < inst.npauses; i++)
        assert_true(inst.pauses[i].end_us != ZW_WF_OPEN);
    zw_wf_instance_clear(&inst);
}

static void test_withdrawal_trigger(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "", "start_special", R_APPROVER, S_DEPT, "hearing", "2020-09-22T11:00");
    /* staff cannot withdraw for the applicant unless the definition says so */
    s_refuse(d, &inst, "", "withdraw", R_APPROVER, S_DEPT, "x", ZW_PERMISSION_DENIED);
    zw_wf_effects_t fx = {.n = 0};
    int taken = 0;
    zw_err_t err;
    zw_wf_actor_t sys = s_actor(R_SYSTEM, "");
    assert_int_equal(zw_wf_trigger(d, &inst, ZW_WF_TRIG_WITHDRAWAL, &sys, "moved away", 420,
                                   s_t("2020-09-23T10:00"), &fx, &taken, &err),
                     0);
    assert_int_equal(taken, 1);
    assert_int_equal(inst.status, ZW_WF_STATUS_CLOSED);
    assert_int_equal(inst.outcome, ZW_WF_OUT_WITHDRAWN);
    assert_int_equal(s_find(&fx, ZW_WF_FX_COMPLETED)->app_state, 14);
    assert_int_equal(inst.pauses[0].end_us, s_t("2020-09-23T10:00"));
    zw_wf_instance_clear(&inst);

    /* materials reach only the branch that asked for them */
    d = f->parallel;
    s_new(f, d, &inst, "2020-09-21T10:00", 32, 45, S_LEAD);
    s_do(f, d, &inst, "", "start_review", R_HEAD, S_LEAD, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "planning", "request_supplement", R_APPROVER, S_PLAN, "site plan",
         "2020-09-22T10:00");
    fx.n = 0;
    assert_int_equal(zw_wf_trigger(d, &inst, ZW_WF_TRIG_MATERIALS, &sys, "", 420,
                                   s_t("2020-09-23T10:00"), &fx, &taken, &err),
                     0);
    assert_int_equal(taken, 1);
    assert_string_equal(inst.tracks[1].state, "review");
    assert_int_equal(fx.fx[0].track, 1);
    zw_wf_instance_clear(&inst);
}

static void test_alarm_candidates(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    zw_wf_clocks_t c = s_clocks(f, d, &inst, "2020-09-21T10:00");
    zw_wf_alarm_t al[16];
    size_t n = zw_wf_alarms(&c, &inst, al, 16);
    assert_int_equal(n, 5); /* 2 clocks x (warning, overdue) + abnormal in "accepted" */
    for (size_t i = 1; i < n; i++)
        assert_true(al[i - 1].at_us <= al[i].at_us);
    /* abnormal: accepted for longer than 1 working day (09-22 17:30) */
    assert_int_equal(al[0].kind, ZW_WF_ALARM_ABNORMAL);
    assert_string_equal(s_fmt_time(al[0].at_us), "2020-09-22T17:30:00+08:00");
    assert_int_equal(al[0].key, 1);
    assert_int_equal(al[1].kind, ZW_WF_ALARM_WARNING);
    assert_int_equal(al[1].clock, ZW_WF_CLOCK_PROMISED);
    assert_int_equal(al[1].key, al[2].due_us);
    assert_int_equal(al[2].kind, ZW_WF_ALARM_OVERDUE);
    assert_int_equal(al[2].clock, ZW_WF_CLOCK_PROMISED);
    assert_int_equal(zw_wf_alarms_next(al, n, INT64_MIN), al[0].at_us);
    assert_int_equal(zw_wf_alarms_next(al, n, al[0].at_us), al[1].at_us);
    assert_int_equal(zw_wf_alarms_next(al, n, al[n - 1].at_us), ZW_WF_NONE);
    /* a limit shorter than the threshold warns at once */
    inst.promised.limit = (zw_wf_limit_t){2, ZW_LIMIT_HOURS};
    zw_err_t err;
    assert_int_equal(zw_wf_grant_start(&f->env, inst.accepted_us, inst.promised.limit,
                                       &inst.promised.start_us, &err),
                     0);
    c = s_clocks(f, d, &inst, "2020-09-21T10:00");
    const zw_wf_clock_t *pr = zw_wf_clocks_find(&c, ZW_WF_CLOCK_PROMISED, 0);
    assert_int_equal(pr->warn_us, inst.accepted_us);
    assert_string_equal(s_fmt_time(pr->due_us), "2020-09-21T12:00:00+08:00");
    /* outside the calendar: an error, never a guess */
    inst.statutory.start_us = s_t("2019-06-03T09:00");
    assert_int_equal(zw_wf_clocks_compute(&f->env, d, &inst, s_t("2020-09-21T10:00"), &c, &err),
                     -1);
    assert_int_equal(err.code, ZW_OUT_OF_RANGE);
    zw_wf_instance_clear(&inst);
}

/* Two branches paused at once: when one resumes, the application still
 * shows the other's pause (its clock is still held), not "ended". */
static void test_overlapping_pauses_keep_state(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->parallel;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 32, 45, S_LEAD);
    s_do(f, d, &inst, "", "start_review", R_HEAD, S_LEAD, "", "2020-09-21T11:00");
    zw_wf_effects_t *fx = s_do(f, d, &inst, "planning", "request_supplement", R_APPROVER, S_PLAN,
                               "site plan", "2020-09-22T10:00");
    assert_int_equal(s_find(fx, ZW_WF_FX_PAUSED)->app_state, 6);
    fx = s_do(f, d, &inst, "traffic", "start_special", R_APPROVER, S_TRAFFIC, "traffic study",
              "2020-09-22T11:00");
    assert_int_equal(s_find(fx, ZW_WF_FX_PAUSED)->app_state, 9);
    assert_int_equal(inst.app_state, 9);
    /* planning's materials arrive: 补正 ends, 特别程序 goes on */
    zw_wf_effects_t tfx = {.n = 0};
    int taken = 0;
    zw_err_t err;
    zw_wf_actor_t sys = s_actor(R_SYSTEM, "");
    assert_int_equal(zw_wf_trigger(d, &inst, ZW_WF_TRIG_MATERIALS, &sys, "", 420,
                                   s_t("2020-09-23T10:00"), &tfx, &taken, &err),
                     0);
    assert_int_equal(taken, 1);
    assert_int_equal(s_find(&tfx, ZW_WF_FX_RESUMED)->app_state, 9);
    assert_int_equal(inst.app_state, 9);
    assert_true(s_clocks(f, d, &inst, "2020-09-23T11:00").clocks[1].paused);
    /* the last pause ends: now the application shows 特别程序 ended */
    fx = s_do(f, d, &inst, "traffic", "end_special", R_APPROVER, S_TRAFFIC, "", "2020-09-24T10:00");
    assert_int_equal(s_find(fx, ZW_WF_FX_RESUMED)->app_state, 10);
    assert_int_equal(inst.app_state, 10);
    zw_wf_instance_clear(&inst);
}

/* A finished branch's clock stops when it finishes: weeks later it shows
 * the time it used, and neither runs out nor raises alarms. */
static void test_done_branch_clock_stops(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->parallel;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 32, 45, S_LEAD);
    s_do(f, d, &inst, "", "start_review", R_HEAD, S_LEAD, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "planning", "approve", R_APPROVER, S_PLAN, "", "2020-09-22T10:00");
    zw_wf_clocks_t at_done = s_clocks(f, d, &inst, "2020-09-22T10:00");
    zw_wf_clocks_t later = s_clocks(f, d, &inst, "2020-10-30T10:00");
    const zw_wf_clock_t *b = zw_wf_clocks_find(&later, ZW_WF_CLOCK_BRANCH, 1);
    const zw_wf_clock_t *b0 = zw_wf_clocks_find(&at_done, ZW_WF_CLOCK_BRANCH, 1);
    assert_non_null(b);
    assert_non_null(b0);
    assert_true(b->used_min > 0);
    assert_int_equal(b->used_min, b0->used_min);
    assert_true(b->remaining_min > 0);
    /* a branch still open by then has run out */
    assert_true(zw_wf_clocks_find(&later, ZW_WF_CLOCK_BRANCH, 3)->remaining_min < 0);
    zw_wf_alarm_t al[32];
    size_t n = zw_wf_alarms(&later, &inst, al, 32);
    for (size_t i = 0; i < n; i++)
        assert_int_not_equal(al[i].track, 1);
    zw_wf_instance_clear(&inst);
}

/* Overdue means the due time has passed: at the due time itself the work
 * is in time; a paused clock has neither a due time nor a warning. */
static void test_overdue_after_due_and_no_warning_while_paused(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    zw_wf_clocks_t c = s_clocks(f, d, &inst, "2020-09-21T10:00");
    zw_wf_alarm_t al[16];
    size_t n = zw_wf_alarms(&c, &inst, al, 16);
    int overdue = 0;
    for (size_t i = 0; i < n; i++)
        if (al[i].kind == ZW_WF_ALARM_OVERDUE) {
            assert_int_equal(al[i].at_us, al[i].due_us + 1);
            overdue++;
        }
    assert_int_equal(overdue, 2);
    /* at the promised due time: nothing left, nothing overdue yet */
    const zw_wf_clock_t *pr = zw_wf_clocks_find(&c, ZW_WF_CLOCK_PROMISED, 0);
    char due[48];
    snprintf(due, sizeof due, "%s", s_fmt_time(pr->due_us));
    assert_string_equal(due, "2020-09-27T17:30:00+08:00"); /* the 调休 Sunday works */
    c = s_clocks(f, d, &inst, due);
    assert_int_equal(zw_wf_clocks_find(&c, ZW_WF_CLOCK_PROMISED, 0)->remaining_min, 0);

    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "", "request_supplement", R_APPROVER, S_DEPT, "seal", "2020-09-22T10:00");
    c = s_clocks(f, d, &inst, "2020-09-23T10:00");
    pr = zw_wf_clocks_find(&c, ZW_WF_CLOCK_PROMISED, 0);
    assert_true(pr->paused);
    assert_int_equal(pr->due_us, ZW_WF_NONE);
    assert_int_equal(pr->warn_us, ZW_WF_NONE);
    zw_wf_instance_clear(&inst);
}

/* 撤销: only the lead department's head, with a reason, revokes an
 * approval after 办结; nothing else closed can be revoked, and only once. */
static void test_revoke_after_approval(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    /* an open process has no "revoke" */
    s_refuse(d, &inst, "", "revoke", R_HEAD, S_DEPT, "x", ZW_NOT_FOUND);
    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "", "submit", R_APPROVER, S_DEPT, "ok", "2020-09-22T11:00");
    s_do(f, d, &inst, "", "approve", R_HEAD, S_DEPT, "", "2020-09-23T11:00");
    assert_int_equal(inst.status, ZW_WF_STATUS_CLOSED);
    int64_t closed = inst.closed_us;
    s_refuse(d, &inst, "", "revoke", R_APPROVER, S_DEPT, "false promise", ZW_PERMISSION_DENIED);
    s_refuse(d, &inst, "", "revoke", R_HEAD, S_PLAN, "false promise", ZW_PERMISSION_DENIED);
    s_refuse(d, &inst, "", "revoke", R_HEAD, S_DEPT, "  ", ZW_INVALID_ARGUMENT);
    zw_wf_effects_t *fx =
        s_do(f, d, &inst, "", "revoke", R_HEAD, S_DEPT, "承诺不实", "2020-10-12T10:00");
    assert_int_equal(inst.outcome, ZW_WF_OUT_REVOKED);
    assert_int_equal(inst.app_state, 15);
    assert_int_equal(inst.status, ZW_WF_STATUS_CLOSED);
    assert_int_equal(inst.closed_us, closed); /* the clocks stay where the decision stopped them */
    const zw_wf_effect_t *h = s_find(fx, ZW_WF_FX_HISTORY);
    assert_non_null(h);
    assert_string_equal(h->action, "revoke");
    assert_true(h->with_comment);
    assert_int_equal(s_find(fx, ZW_WF_FX_COMPLETED)->app_state, 15);
    assert_int_equal(s_find(fx, ZW_WF_FX_COMPLETED)->outcome, ZW_WF_OUT_REVOKED);
    s_refuse(d, &inst, "", "revoke", R_HEAD, S_DEPT, "again", ZW_FAILED_PRECONDITION);
    zw_wf_instance_clear(&inst);

    /* a refusal is not an approval: nothing to revoke */
    s_new(f, d, &inst, "2020-09-21T10:00", 5, 20, S_DEPT);
    s_do(f, d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", "2020-09-21T11:00");
    s_do(f, d, &inst, "", "submit", R_APPROVER, S_DEPT, "ok", "2020-09-22T11:00");
    s_do(f, d, &inst, "", "reject", R_HEAD, S_DEPT, "不符合条件", "2020-09-23T11:00");
    s_refuse(d, &inst, "", "revoke", R_HEAD, S_DEPT, "x", ZW_FAILED_PRECONDITION);
    zw_wf_instance_clear(&inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promised_from_acceptance_to_completion),
        cmocka_unit_test(test_supplement_pauses_three_working_days),
        cmocka_unit_test(test_special_procedure_across_holidays),
        cmocka_unit_test(test_extension_once_by_head),
        cmocka_unit_test(test_shipped_statutory_limits),
        cmocka_unit_test(test_parallel_closes_after_last_branch),
        cmocka_unit_test(test_parallel_refusal_ends_instance),
        cmocka_unit_test(test_withdrawal_trigger),
        cmocka_unit_test(test_alarm_candidates),
        cmocka_unit_test(test_overlapping_pauses_keep_state),
        cmocka_unit_test(test_done_branch_clock_stops),
        cmocka_unit_test(test_overdue_after_due_and_no_warning_while_paused),
        cmocka_unit_test(test_revoke_after_approval),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
