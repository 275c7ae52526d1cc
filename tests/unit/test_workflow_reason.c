/* The decision's reason an ending carries (engine.h, zw_wf_effect_t.reason;
 * ProcessCompleted.reason): the comment of the action that closed the case
 * when that action asks for a reason (reject, a branch's reject ending the
 * fork through on_reject), the withdrawal's, and revoke's; never an
 * approval's comment. services/workflow is not in libzwfw, so its .c files
 * are compiled in here, as in test_workflow_engine.c. */
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

enum { R_APPROVER = 2, R_HEAD = 3, R_SYSTEM = 7 };

typedef struct {
    zw_wf_def_t *promised, *parallel;
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    zw_err_t err;
    f->promised = zw_wf_def_load(zwt_src_path("deploy/workflow/promised-default.json"), &err);
    f->parallel = zw_wf_def_load(zwt_src_path("deploy/workflow/parallel-engineering.json"), &err);
    if (!f->promised || !f->parallel) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
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

/* A fresh instance of def (no clocks: the reason does not need them). */
static void s_new(const zw_wf_def_t *def, zw_wf_instance_t *inst, const char *dept)
{
    memset(inst, 0, sizeof *inst);
    snprintf(inst->receipt, sizeof inst->receipt, "500152-20200921-000001");
    snprintf(inst->department, sizeof inst->department, "%s", dept);
    snprintf(inst->region, sizeof inst->region, "500152");
    inst->accepted_us = s_t("2020-09-21T10:00");
    zw_wf_effects_t fx;
    zw_err_t err;
    if (zw_wf_start(def, inst, inst->accepted_us, &fx, &err) != 0)
        fail_msg("start: %s", err.message);
}

/* Acts (it must succeed) into fx, emptied first. */
static void s_do(const zw_wf_def_t *def, zw_wf_instance_t *inst, const char *branch,
                 const char *action, int role, const char *dept, const char *comment,
                 zw_wf_effects_t *fx)
{
    fx->n = 0;
    zw_err_t err;
    zw_wf_actor_t who = {
        .role = role, .department = dept, .region = "500152", .key_id = "k", .actor = "staff"};
    if (zw_wf_act(def, inst, branch, action, &who, comment, 420, s_t("2020-09-23T10:00"), fx,
                  &err) != 0)
        fail_msg("%s on '%s': %s", action, branch, err.message);
}

static const zw_wf_effect_t *s_completed(const zw_wf_effects_t *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        if (fx->fx[i].type == ZW_WF_FX_COMPLETED)
            return &fx->fx[i];
    fail_msg("no COMPLETED effect among %zu", fx->n);
    return NULL;
}

static void test_reject_and_approve(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    zw_wf_effects_t fx;
    s_new(d, &inst, S_DEPT);
    s_do(d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", &fx);
    s_do(d, &inst, "", "submit", R_APPROVER, S_DEPT, "ok", &fx);
    const char *why = "不符合条件";
    s_do(d, &inst, "", "reject", R_HEAD, S_DEPT, why, &fx);
    const zw_wf_effect_t *e = s_completed(&fx);
    assert_int_equal(e->app_state, 13);
    assert_ptr_equal(e->reason, why);
    zw_wf_instance_clear(&inst);

    /* an approval's comment is a note, not the decision's reason */
    s_new(d, &inst, S_DEPT);
    s_do(d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", &fx);
    s_do(d, &inst, "", "submit", R_APPROVER, S_DEPT, "ok", &fx);
    s_do(d, &inst, "", "approve", R_HEAD, S_DEPT, "同意", &fx);
    e = s_completed(&fx);
    assert_int_equal(e->app_state, 11);
    assert_null(e->reason);

    /* revoking it: the head's reason */
    const char *false_promise = "承诺不实";
    s_do(d, &inst, "", "revoke", R_HEAD, S_DEPT, false_promise, &fx);
    e = s_completed(&fx);
    assert_int_equal(e->app_state, 15);
    assert_ptr_equal(e->reason, false_promise);
    zw_wf_instance_clear(&inst);
}

/* A step that only moves the case on closes nothing: no reason anywhere. */
static void test_no_ending_no_reason(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    zw_wf_instance_t inst;
    zw_wf_effects_t fx;
    s_new(d, &inst, S_DEPT);
    s_do(d, &inst, "", "start_review", R_APPROVER, S_DEPT, "", &fx);
    s_do(d, &inst, "", "request_supplement", R_APPROVER, S_DEPT, "缺少附件", &fx);
    for (size_t i = 0; i < fx.n; i++) {
        assert_int_not_equal(fx.fx[i].type, ZW_WF_FX_COMPLETED);
        assert_null(fx.fx[i].reason);
    }
    zw_wf_instance_clear(&inst);
}

/* A branch's refusal ends the case through the fork's on_reject: the
 * refusing department's reason is the case's. */
static void test_branch_refusal(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->parallel;
    zw_wf_instance_t inst;
    zw_wf_effects_t fx;
    s_new(d, &inst, S_LEAD);
    s_do(d, &inst, "", "start_review", R_HEAD, S_LEAD, "", &fx);
    s_do(d, &inst, "planning", "approve", R_APPROVER, S_PLAN, "同意", &fx);
    for (size_t i = 0; i < fx.n; i++)
        assert_int_not_equal(fx.fx[i].type, ZW_WF_FX_COMPLETED);
    const char *why = "junction capacity exceeded";
    s_do(d, &inst, "traffic", "reject", R_HEAD, S_TRAFFIC, why, &fx);
    const zw_wf_effect_t *e = s_completed(&fx);
    assert_int_equal(e->app_state, 13);
    assert_ptr_equal(e->reason, why);
    zw_wf_instance_clear(&inst);
}

/* The withdrawal intake forwards: the applicant's reason, or the stand-in
 * the engine acted with when it came blank. */
static void test_withdrawal(void **state)
{
    s_fixture_t *f = *state;
    const zw_wf_def_t *d = f->promised;
    const char *given[] = {"moved away", "  "};
    for (int k = 0; k < 2; k++) {
        zw_wf_instance_t inst;
        zw_wf_effects_t fx = {.n = 0};
        s_new(d, &inst, S_DEPT);
        zw_wf_actor_t sys = {.role = R_SYSTEM, .department = "", .key_id = "", .actor = "intake"};
        int taken = 0;
        zw_err_t err;
        assert_int_equal(zw_wf_trigger(d, &inst, ZW_WF_TRIG_WITHDRAWAL, &sys, given[k], 420,
                                       s_t("2020-09-22T10:00"), &fx, &taken, &err),
                         0);
        assert_int_equal(taken, 1);
        const zw_wf_effect_t *e = s_completed(&fx);
        assert_int_equal(e->app_state, 14);
        assert_non_null(e->reason);
        assert_string_equal(e->reason, k == 0 ? "moved away" : "withdrawn by the applicant");
        zw_wf_instance_clear(&inst);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reject_and_approve),
        cmocka_unit_test(test_no_ending_no_reason),
        cmocka_unit_test(test_branch_refusal),
        cmocka_unit_test(test_withdrawal),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
