/* zwfw-workflow through the broker on a simulated clock (workflow_stack.h
 * sets up the stack and plays intake): a 承诺件 from acceptance to 办结; 补正
 * pausing for 3 working days and moving the due time by exactly that; a
 * 特别程序 across a weekend, a holiday and a 调休 working day (32.5 working
 * hours); the extension rules; 并联审批 of three departments and a refusal
 * in one branch; definitions refused with their reason. Alarms, the daily
 * scan and a poisoned instance are in test_workflow_alarms.c, kills in
 * test_workflow_kill.c.
 *
 * Then one test per finding of the fuzzing of 2026-11 in zwfw.workflow:
 * Act material references that are not UTF-8, Act size limits (and a
 * reply too large for a frame), concurrent copies of one StartProcess,
 * StartProcess fields too long for the instance, and PutDefinition
 * keeping its idempotency key like every other change. */
#include "workflow_stack.h"

#include "wire_text.h"

#include <pthread.h>

/* ------------------------------------------------------------------ helpers */

static const char *s_state(wfs_t *s, const char *receipt)
{
    static char buf[64];
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, receipt, false);
    snprintf(buf, sizeof buf, "%s", r->instance->state);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    return buf;
}

/* Every ActionTaken / Process* event carries the head fields; the national
 * state of the newest event that sets one. */
static int s_last_app_state(wfs_t *s, const char *receipt)
{
    zw_err_t err;
    const char *p[] = {receipt};
    PGresult *res = zw_db_query(s->db,
                                "SELECT payload FROM events.log WHERE stream = 'workflow'"
                                " AND aggregate_id = $1 ORDER BY seq",
                                1, p, &err);
    if (!res)
        fail_msg("%s", err.message);
    int state = 0;
    for (int i = 0; i < PQntuples(res); i++) {
        size_t len;
        unsigned char *raw = PQunescapeBytea((const unsigned char *) PQgetvalue(res, i, 0), &len);
        Zwfw__V1__ProcessEventHead *h = zwfw__v1__process_event_head__unpack(NULL, len, raw);
        PQfreemem(raw);
        assert_non_null(h);
        assert_string_equal(h->receipt_number, receipt);
        assert_true(h->instance_id > 0);
        if (h->state)
            state = h->state;
        protobuf_c_message_free_unpacked(&h->base, NULL);
    }
    PQclear(res);
    return state;
}

/* ------------------------------------------------------------------ tests */

static void test_promised_from_acceptance_to_completion(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_complete", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000001";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    /* a replayed event starts nothing: the same acceptance again */
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_num(s, 0,
                 "SELECT h.last_seq - c.last_seq FROM events.cursors c JOIN events.stream_head h"
                 " USING (stream) WHERE c.consumer = 'workflow.on-intake'",
                 NULL);
    assert_int_equal(wfs_num(s, "SELECT count(*) FROM workflow.instances", NULL), 1);

    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    const Zwfw__V1__Instance *in = r->instance;
    assert_string_equal(in->definition_code, "promised-default");
    assert_string_equal(in->state, "accepted");
    assert_string_equal(in->state_label, "受理");
    assert_int_equal(in->status, ZWFW__V1__PROCESS_STATUS__PROCESS_STATUS_OPEN);
    const Zwfw__V1__Clock *pr = wfs_clock_of(in, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_PROMISED, "");
    assert_non_null(pr);
    /* 5 working days from Tue 09-22; Sun 09-27 is a 调休 working day */
    assert_string_equal(wfs_fmt(wfs_us(pr->due_at)), "2020-09-27T17:30:00+08:00");
    assert_int_equal(pr->budget_minutes, 2100);
    assert_int_equal(in->n_branches, 1);
    assert_int_equal(in->branches[0]->n_actions, 3); /* start_review, extend, withdraw */
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* other departments and roles may neither act nor read */
    wfs_refused(s, WFS_APPROVER_LEAD, r1, "", "start_review", "", ZW_PERMISSION_DENIED);
    wfs_refused(s, WFS_SUPERVISOR, r1, "", "start_review", "", ZW_PERMISSION_DENIED);
    Zwfw__V1__GetInstance g = ZWFW__V1__GET_INSTANCE__INIT;
    g.receipt_number = (char *) r1;
    ProtobufCMessage *gr = NULL;
    zw_err_t err;
    assert_int_equal(
        wfs_call(s, WFS_APPROVER_LEAD, &g.base, &zwfw__v1__instance_reply__descriptor, &gr, &err),
        -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);

    wfs_clock(s, "2020-09-21T11:00");
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_review", "");
    wfs_clock(s, "2020-09-23T10:00");
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "submit", "材料齐全，符合条件");
    wfs_refused(s, WFS_APPROVER_MARKET, r1, "", "approve", "", ZW_PERMISSION_DENIED);
    wfs_refused(s, WFS_HEAD_MARKET, r1, "", "reject", "", ZW_INVALID_ARGUMENT); /* no reason */
    wfs_refused(s, WFS_HEAD_MARKET, r1, "", "start_review", "", ZW_FAILED_PRECONDITION);
    wfs_refused(s, WFS_HEAD_MARKET, r1, "", "no_such_action", "", ZW_NOT_FOUND);

    /* the decision, then its retry with the same key: the first reply */
    wfs_clock(s, "2020-09-24T15:00");
    Zwfw__V1__ActReply *a1 = NULL, *a2 = NULL;
    assert_int_equal(wfs_act_key(s, WFS_HEAD_MARKET, r1, "", "approve", "", "decide-1", &a1, &err),
                     ZW_OK);
    assert_false(a1->replayed);
    assert_int_equal(a1->instance->status, ZWFW__V1__PROCESS_STATUS__PROCESS_STATUS_CLOSED);
    assert_int_equal(a1->instance->outcome, ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_APPROVED);
    assert_int_equal(a1->instance->application_state,
                     ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_APPROVED);
    assert_string_equal(a1->entry->action, "approve");
    assert_string_equal(a1->entry->to_state, "approved");
    assert_string_equal(a1->entry->caller_key_id, "head-market");
    assert_int_equal(wfs_act_key(s, WFS_HEAD_MARKET, r1, "", "approve", "", "decide-1", &a2, &err),
                     ZW_OK);
    assert_true(a2->replayed);
    assert_int_equal(a2->entry->seq, a1->entry->seq);
    protobuf_c_message_free_unpacked(&a1->base, NULL);
    protobuf_c_message_free_unpacked(&a2->base, NULL);
    /* the same key for another request is refused; a closed process takes nothing */
    assert_int_equal(wfs_act_key(s, WFS_HEAD_MARKET, r1, "", "reject", "x", "decide-1", NULL, &err),
                     ZW_ALREADY_EXISTS);
    wfs_refused(s, WFS_HEAD_MARKET, r1, "", "extend", "late", ZW_FAILED_PRECONDITION);

    r = wfs_get(s, WFS_HEAD_MARKET, r1, true);
    in = r->instance;
    assert_int_equal(in->n_history, 4);
    assert_string_equal(in->history[0]->action, "start");
    assert_string_equal(in->history[1]->action, "start_review");
    assert_string_equal(in->history[1]->actor, "approver-market");
    assert_string_equal(in->history[2]->comment, "材料齐全，符合条件");
    assert_string_equal(in->history[2]->action_label, "提交决定");
    assert_int_equal(in->history[3]->caller_role, ZWFW__V1__ROLE__ROLE_HEAD);
    pr = wfs_clock_of(in, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_PROMISED, "");
    assert_int_equal(pr->used_minutes, 3 * 420 - 150); /* Tue..Thu 15:00 */
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* every step is an event intake can apply; the last one says 办结 */
    wfs_wait_relayed(s);
    assert_int_equal(wfs_events(s, "zwfw.v1.ProcessStarted", r1), 1);
    assert_int_equal(wfs_events(s, "zwfw.v1.ActionTaken", r1), 3);
    assert_int_equal(wfs_events(s, "zwfw.v1.ProcessCompleted", r1), 1);
    assert_int_equal(s_last_app_state(s, r1), 11);
    /* and an audit entry per step */
    assert_int_equal(wfs_num(s,
                             "SELECT (SELECT count(*) FROM audit.pending WHERE object_id = $1) +"
                             " (SELECT count(*) FROM audit.log WHERE object_id = $1)",
                             r1, NULL),
                     4);
    wfs_down(s);
}

static void test_supplement_pauses_three_working_days(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_supplement", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000002";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_review", "");
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    int64_t pdue0 = wfs_us(wfs_clock_of(r->instance, 1, "")->due_at);
    int64_t sdue0 = wfs_us(wfs_clock_of(r->instance, 2, "")->due_at);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    wfs_clock(s, "2020-09-22T10:00");
    wfs_refused(s, WFS_APPROVER_MARKET, r1, "", "request_supplement", "", ZW_INVALID_ARGUMENT);
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "request_supplement", "身份证复印件不清晰");
    wfs_clock(s, "2020-09-24T16:00");
    r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    assert_string_equal(r->instance->state, "supplement");
    const Zwfw__V1__Clock *pc = wfs_clock_of(r->instance, 1, "");
    assert_true(pc->paused);
    assert_null(pc->due_at); /* no due time while the clock stands */
    assert_int_equal(pc->used_minutes, 60);
    assert_int_equal(r->instance->n_pauses, 1);
    assert_null(r->instance->pauses[0]->end);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    /* intake forwards the materials three working days after the request */
    wfs_clock(s, "2020-09-25T10:00");
    Zwfw__V1__ApplicationMaterialsSupplied m = ZWFW__V1__APPLICATION_MATERIALS_SUPPLIED__INIT;
    Zwfw__V1__Timestamp at;
    Zwfw__V1__MaterialRef ref = ZWFW__V1__MATERIAL_REF__INIT;
    Zwfw__V1__MaterialRef *refs[] = {&ref};
    ref.material_code = "M01";
    ref.name = "身份证复印件";
    ref.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    ref.size = 20480;
    m.receipt_number = (char *) r1;
    m.at = wfs_ts(&at, wfs_time("2020-09-25T10:00"));
    m.after_acceptance = true;
    m.n_materials = 1;
    m.materials = refs;
    wfs_publish(s, &m.base, r1, wfs_time("2020-09-25T10:00"));
    wfs_wait_num(s, 1,
                 "SELECT count(*) FROM workflow.tracks t JOIN workflow.instances i ON i.id ="
                 " t.instance_id WHERE i.receipt_number = $1 AND t.state = 'review'",
                 r1, NULL);

    r = wfs_get(s, WFS_SUPERVISOR, r1, true);
    const Zwfw__V1__Instance *in = r->instance;
    assert_string_equal(in->state, "review");
    assert_int_equal(in->n_pauses, 1);
    assert_int_equal(in->pauses[0]->working_minutes, 3 * 420);
    assert_int_equal(in->pauses[0]->kind, ZWFW__V1__PAUSE_KIND__PAUSE_KIND_SUPPLEMENT);
    assert_string_equal(in->pauses[0]->reason, "身份证复印件不清晰");
    int64_t pdue1 = wfs_us(wfs_clock_of(in, 1, "")->due_at);
    int64_t sdue1 = wfs_us(wfs_clock_of(in, 2, "")->due_at);
    /* both due times moved by exactly the three working days paused */
    assert_int_equal(wfs_minutes(s, pdue0, pdue1), 3 * 420);
    assert_int_equal(wfs_minutes(s, sdue0, sdue1), 3 * 420);
    assert_string_equal(wfs_fmt(pdue1), "2020-09-30T17:30:00+08:00");
    /* the materials are in the history, by reference */
    const Zwfw__V1__HistoryEntry *last = in->history[in->n_history - 1];
    assert_string_equal(last->action, "supplied");
    assert_int_equal(last->n_materials, 1);
    assert_string_equal(last->materials[0]->sha256, ref.sha256);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    wfs_wait_relayed(s);
    assert_int_equal(wfs_events(s, "zwfw.v1.ProcessPaused", r1), 1);
    assert_int_equal(wfs_events(s, "zwfw.v1.ProcessResumed", r1), 1);
    assert_int_equal(s_last_app_state(s, r1), 7); /* 补正结束 */
    wfs_down(s);
}

static void test_special_procedure_across_holidays(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_special", "2020-09-24T10:00", NULL);
    const char *r1 = "500152-20200924-000001";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-24T10:00", 20, 20);
    wfs_wait_started(s, r1);
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_review", "");
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    int64_t due0 = wfs_us(wfs_clock_of(r->instance, 2, "")->due_at);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    assert_string_equal(wfs_fmt(due0), "2020-10-28T17:30:00+08:00");

    /* Friday 14:00 to the Friday after the National Day holiday, 10:00:
     * the weekend, Oct 1-8 off, the 调休 Sunday 09-27 working */
    wfs_clock(s, "2020-09-25T14:00");
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_special", "专家评审");
    wfs_clock(s, "2020-10-09T10:00");
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "end_special", "");
    r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    assert_string_equal(r->instance->state, "review");
    assert_int_equal(r->instance->pauses[0]->working_minutes, 1950); /* 32.5 hours */
    int64_t due1 = wfs_us(wfs_clock_of(r->instance, 2, "")->due_at);
    assert_int_equal(wfs_minutes(s, due0, due1), 1950);
    assert_string_equal(wfs_fmt(due1), "2020-11-04T15:00:00+08:00");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    wfs_wait_relayed(s);
    assert_int_equal(s_last_app_state(s, r1), 10); /* 特别程序结束 */
    /* ProcessResumed carries the paused working time and the new dues */
    assert_int_equal(wfs_num(s,
                             "SELECT count(*) FROM events.log WHERE stream = 'workflow'"
                             " AND type = 'zwfw.v1.ProcessResumed' AND aggregate_id = $1",
                             r1, NULL),
                     1);
    wfs_down(s);
}

static void test_extension_once_by_head(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_extend", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000003";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_review", "");
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    int64_t due0 = wfs_us(wfs_clock_of(r->instance, 2, "")->due_at);
    int64_t pdue0 = wfs_us(wfs_clock_of(r->instance, 1, "")->due_at);
    protobuf_c_message_free_unpacked(&r->base, NULL);

    wfs_refused(s, WFS_APPROVER_MARKET, r1, "", "extend", "情况复杂", ZW_PERMISSION_DENIED);
    wfs_refused(s, WFS_HEAD_LEAD, r1, "", "extend", "情况复杂", ZW_PERMISSION_DENIED);
    wfs_refused(s, WFS_HEAD_MARKET, r1, "", "extend", "", ZW_INVALID_ARGUMENT);
    wfs_act(s, WFS_HEAD_MARKET, r1, "", "extend", "需现场核查，延期十个工作日");
    r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    const Zwfw__V1__Clock *st = wfs_clock_of(r->instance, 2, "");
    assert_int_equal(r->instance->extensions, 1);
    assert_int_equal(st->extension_minutes, 4200);
    assert_int_equal(st->budget_minutes, 20 * 420 + 4200);
    assert_int_equal(wfs_minutes(s, due0, wfs_us(st->due_at)), 4200);
    assert_int_equal(wfs_us(wfs_clock_of(r->instance, 1, "")->due_at), pdue0);
    assert_string_equal(r->instance->state, "review");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    zw_err_t err;
    assert_int_equal(wfs_act_key(s, WFS_HEAD_MARKET, r1, "", "extend", "再延期", NULL, NULL, &err),
                     ZW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "already extended"));
    wfs_wait_relayed(s);
    assert_int_equal(wfs_events(s, "zwfw.v1.ProcessExtended", r1), 1);

    /* a statutory limit that has run out is overdue, not extendable: a
     * 1-day limit from Mon 09-21 ends Tue 09-22 17:30 */
    const char *r2 = "500152-20200921-000004";
    wfs_accept(s, r2, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 1, 1);
    wfs_wait_started(s, r2);
    wfs_clock(s, "2020-09-22T17:30");
    wfs_clock(s, "2020-09-23T09:00");
    assert_int_equal(
        wfs_act_key(s, WFS_HEAD_MARKET, r2, "", "extend", "情况复杂", "late-ext", NULL, &err),
        ZW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "ran out"));
    r = wfs_get(s, WFS_SUPERVISOR, r2, false);
    assert_int_equal(r->instance->extensions, 0);
    assert_true(wfs_clock_of(r->instance, 2, "")->overdue);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    wfs_down(s);
}

static void test_parallel_closes_after_last_branch(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_parallel", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000010";
    wfs_accept(s, r1, WFS_ENG_ITEM, WFS_LEAD, "2020-09-21T10:00", 32, 45);
    wfs_wait_started(s, r1);
    wfs_act(s, WFS_APPROVER_LEAD, r1, "", "start_review", "");
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    const Zwfw__V1__Instance *in = r->instance;
    assert_string_equal(in->definition_code, "parallel-engineering");
    assert_string_equal(in->state, "parallel");
    assert_int_equal(in->n_branches, 4);
    assert_string_equal(in->branches[1]->name, "planning");
    assert_string_equal(in->branches[1]->department_code, WFS_PLAN);
    assert_string_equal(in->branches[2]->department_code, WFS_LEAD);
    assert_string_equal(in->branches[3]->department_code, WFS_TRAFFIC);
    assert_non_null(wfs_clock_of(in, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_BRANCH, "traffic"));
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* a branch department reads the case; it acts only in its own branch */
    r = wfs_get(s, WFS_APPROVER_PLAN, r1, false);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    wfs_refused(s, WFS_APPROVER_PLAN, r1, "traffic", "approve", "", ZW_PERMISSION_DENIED);

    wfs_clock(s, "2020-09-22T10:00");
    wfs_act(s, WFS_APPROVER_PLAN, r1, "planning", "approve", "符合规划");
    assert_string_equal(s_state(s, r1), "parallel");
    wfs_clock(s, "2020-09-23T10:00");
    wfs_act(s, WFS_APPROVER_TRAFFIC, r1, "traffic", "start_special", "交通影响评价");
    wfs_clock(s, "2020-09-25T10:00");
    wfs_act(s, WFS_APPROVER_TRAFFIC, r1, "traffic", "end_special", "");
    wfs_act(s, WFS_APPROVER_TRAFFIC, r1, "traffic", "approve", "");
    assert_string_equal(s_state(s, r1), "parallel");
    wfs_refused(s, WFS_HEAD_LEAD, r1, "", "approve", "", ZW_FAILED_PRECONDITION);
    wfs_clock(s, "2020-09-28T10:00");
    wfs_act(s, WFS_HEAD_LEAD, r1, "construction", "approve", "");
    assert_string_equal(s_state(s, r1), "decision");
    wfs_act(s, WFS_HEAD_LEAD, r1, "", "approve", "");

    r = wfs_get(s, WFS_SUPERVISOR, r1, true);
    in = r->instance;
    assert_int_equal(in->status, ZWFW__V1__PROCESS_STATUS__PROCESS_STATUS_CLOSED);
    assert_int_equal(in->outcome, ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_APPROVED);
    for (int b = 1; b <= 3; b++) {
        assert_true(in->branches[b]->done);
        assert_int_equal(in->branches[b]->outcome,
                         ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_APPROVED);
    }
    /* each branch has its own history */
    int traffic = 0;
    for (size_t i = 0; i < in->n_history; i++)
        traffic += strcmp(in->history[i]->branch, "traffic") == 0;
    assert_int_equal(traffic, 4); /* start, start_special, end_special, approve */
    /* the special procedure of one branch held the branch's own clock */
    assert_int_equal(in->n_pauses, 1);
    assert_string_equal(in->pauses[0]->branch, "traffic");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    wfs_wait_relayed(s);
    assert_int_equal(wfs_events(s, "zwfw.v1.BranchCompleted", r1), 3);
    assert_int_equal(wfs_events(s, "zwfw.v1.ProcessCompleted", r1), 1);
    wfs_down(s);
}

static void test_parallel_refusal_in_one_branch(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_refusal", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000011";
    wfs_accept(s, r1, WFS_ENG_ITEM, WFS_LEAD, "2020-09-21T10:00", 32, 45);
    wfs_wait_started(s, r1);
    wfs_act(s, WFS_HEAD_LEAD, r1, "", "start_review", "");
    wfs_act(s, WFS_APPROVER_PLAN, r1, "planning", "approve", "");
    wfs_refused(s, WFS_APPROVER_TRAFFIC, r1, "traffic", "reject", "不符合", ZW_PERMISSION_DENIED);
    /* weeks later, past every branch's 10 working days: the branch that
     * finished in time is not overdue, the ones still open are */
    wfs_clock(s, "2020-10-20T10:00");
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    const Zwfw__V1__Instance *in = r->instance;
    const Zwfw__V1__Clock *plan =
        wfs_clock_of(in, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_BRANCH, "planning");
    assert_false(plan->overdue);
    assert_true(plan->remaining_minutes > 0);
    assert_true(wfs_clock_of(in, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_BRANCH, "traffic")->overdue);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    wfs_act(s, WFS_HEAD_TRAFFIC, r1, "traffic", "reject", "路口通行能力不足");
    r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    in = r->instance;
    /* the cancelled branch's clock stopped with the refusal, as traffic's */
    assert_int_equal(
        wfs_clock_of(in, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_BRANCH, "construction")->used_minutes,
        wfs_clock_of(in, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_BRANCH, "traffic")->used_minutes);
    assert_int_equal(in->status, ZWFW__V1__PROCESS_STATUS__PROCESS_STATUS_CLOSED);
    assert_int_equal(in->outcome, ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_REJECTED);
    assert_string_equal(in->state, "rejected");
    assert_int_equal(in->branches[2]->outcome,
                     ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_CANCELLED);
    assert_int_equal(in->branches[3]->outcome, ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_REJECTED);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    wfs_refused(s, WFS_HEAD_LEAD, r1, "construction", "approve", "", ZW_FAILED_PRECONDITION);
    wfs_wait_relayed(s);
    assert_int_equal(s_last_app_state(s, r1), 13);
    wfs_down(s);
}

static void test_withdrawal_and_definitions(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_withdraw", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000020";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_review", "");
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_special", "听证");
    /* the applicant withdraws at the window; intake forwards it */
    Zwfw__V1__ApplicationWithdrawalRequested w = ZWFW__V1__APPLICATION_WITHDRAWAL_REQUESTED__INIT;
    Zwfw__V1__Timestamp at;
    w.receipt_number = (char *) r1;
    w.at = wfs_ts(&at, wfs_time("2020-09-22T10:00"));
    w.reason = "申请人主动撤回";
    w.actor = "window-01";
    wfs_clock(s, "2020-09-22T10:00");
    wfs_publish(s, &w.base, r1, wfs_time("2020-09-22T10:00"));
    wfs_wait_num(s, 2, "SELECT status FROM workflow.instances WHERE receipt_number = $1", r1, NULL);
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_WINDOW, r1, true);
    assert_int_equal(r->instance->outcome, ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_WITHDRAWN);
    assert_non_null(r->instance->pauses[0]->end); /* the pause ended with it */
    assert_string_equal(r->instance->history[r->instance->n_history - 1]->actor, "window-01");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    wfs_wait_relayed(s);
    assert_int_equal(s_last_app_state(s, r1), 14);

    /* definitions through the service: a bad one is refused with its reason */
    Zwfw__V1__ValidateDefinition v = ZWFW__V1__VALIDATE_DEFINITION__INIT;
    v.json = "{\"code\":\"x\",\"version\":1,\"initial\":\"a\",\"states\":[{\"name\":\"a\"},"
             "{\"name\":\"b\",\"terminal\":\"approved\"},{\"name\":\"lost\"}],\"actions\":["
             "{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"b\",\"roles\":[\"head\"]},"
             "{\"name\":\"l\",\"from\":[\"lost\"],\"to\":\"b\",\"roles\":[\"head\"]}]}";
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &v.base, &zwfw__v1__definition_reply__descriptor, &reply, &err),
        -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "lost"));
    /* a new definition for one item, then an application of that item uses it */
    Zwfw__V1__PutDefinition p = ZWFW__V1__PUT_DEFINITION__INIT;
    p.idempotency_key = "def-1";
    p.json = "{\"code\":\"quick\",\"version\":1,\"items\":[\"ITEM-Q\"],\"initial\":\"a\","
             "\"states\":[{\"name\":\"a\"},{\"name\":\"ok\",\"terminal\":\"approved\"}],"
             "\"actions\":[{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"ok\",\"roles\":[\"head\"]}]}";
    assert_int_equal(wfs_call(s, WFS_APPROVER_MARKET, &p.base,
                              &zwfw__v1__definition_reply__descriptor, &reply, &err),
                     -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &p.base, &zwfw__v1__definition_reply__descriptor, &reply, &err),
        0);
    assert_true(((Zwfw__V1__DefinitionReply *) reply)->changed);
    protobuf_c_message_free_unpacked(reply, NULL);
    const char *r2 = "500152-20200922-000001";
    wfs_accept(s, r2, "ITEM-Q", WFS_MARKET, "2020-09-22T10:00", 1, 1);
    wfs_wait_started(s, r2);
    assert_string_equal(s_state(s, r2), "a");
    wfs_act(s, WFS_HEAD_MARKET, r2, "", "go", "");
    assert_string_equal(s_state(s, r2), "ok");

    /* a promised limit longer than the statutory one is refused, also when
     * the units differ, and nothing is started */
    Zwfw__V1__StartProcess sp = ZWFW__V1__START_PROCESS__INIT;
    Zwfw__V1__TimeLimit promised = ZWFW__V1__TIME_LIMIT__INIT,
                        statutory = ZWFW__V1__TIME_LIMIT__INIT;
    sp.idempotency_key = "start-long-promise";
    sp.receipt_number = "500152-20200922-000002";
    sp.item_code = WFS_ITEM;
    sp.department_code = WFS_MARKET;
    sp.accepted_at = wfs_ts(&at, wfs_time("2020-09-22T10:00"));
    promised.amount = 30;
    promised.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    statutory.amount = 20;
    statutory.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    sp.promised_limit = &promised;
    sp.statutory_limit = &statutory;
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &sp.base, &zwfw__v1__instance_reply__descriptor, &reply, &err),
        -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "promised"));
    /* 5 working days against 40 hours: days start the next working day,
     * so accepted before opening they end 6 x 7 h later */
    promised.amount = 5;
    statutory.amount = 40;
    statutory.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS;
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &sp.base, &zwfw__v1__instance_reply__descriptor, &reply, &err),
        -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(wfs_num(s, "SELECT count(*) FROM workflow.instances WHERE receipt_number = $1",
                             sp.receipt_number, NULL),
                     0);
    /* no statutory limit given: the definition's (20 working days) bounds
     * the promise too */
    promised.amount = 30;
    promised.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    sp.statutory_limit = NULL;
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &sp.base, &zwfw__v1__instance_reply__descriptor, &reply, &err),
        -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    sp.statutory_limit = &statutory;
    /* an accepted application whose promise exceeds the law still gets its
     * process, the promise held to the statutory limit */
    const char *r3 = "500152-20200922-000003";
    wfs_accept(s, r3, WFS_ITEM, WFS_MARKET, "2020-09-22T10:00", 30, 0);
    wfs_wait_started(s, r3);
    Zwfw__V1__InstanceReply *held = wfs_get(s, WFS_SUPERVISOR, r3, false);
    assert_int_equal(wfs_clock_of(held->instance, 1, "")->budget_minutes,
                     wfs_clock_of(held->instance, 2, "")->budget_minutes);
    protobuf_c_message_free_unpacked(&held->base, NULL);
    /* within the statutory limit it starts */
    promised.amount = 4;
    sp.idempotency_key = "start-ok-promise";
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &sp.base, &zwfw__v1__instance_reply__descriptor, &reply, &err),
        0);
    protobuf_c_message_free_unpacked(reply, NULL);
    assert_int_equal(wfs_num(s, "SELECT count(*) FROM workflow.instances WHERE receipt_number = $1",
                             sp.receipt_number, NULL),
                     1);
    wfs_down(s);
}

/* zwfwctl workflow against the stack, with key files as an operator's
 * staff would have them. Exit code and output of one run. */
static int s_ctl(wfs_t *s, wfs_id_t who, char **out, ...)
{
    char keyfile[400], outpath[400];
    zw_err_t err;
    char keys[300];
    snprintf(keys, sizeof keys, "%s/keys", s->dir);
    if (zw_auth_keys_save(&wfs_ids[who].keys, keys, wfs_ids[who].name, true, &err) != 0)
        fail_msg("%s", err.message);
    snprintf(keyfile, sizeof keyfile, "%s/%s.secret", keys, wfs_ids[who].name);
    snprintf(outpath, sizeof outpath, "%s/ctl.out", s->dir);
    unlink(outpath);
    char *argv[32];
    int n = 0;
    argv[n++] = "zwfwctl";
    argv[n++] = "workflow";
    va_list ap;
    va_start(ap, out);
    char *a;
    while ((a = va_arg(ap, char *)) != NULL && n < 24)
        argv[n++] = a;
    va_end(ap);
    argv[n++] = "--endpoint";
    argv[n++] = s->endpoint;
    argv[n++] = "--key";
    argv[n++] = keyfile;
    argv[n++] = "--server-key";
    argv[n++] = s->broker_keys.public_key;
    argv[n] = NULL;
    pid_t pid = wfs_spawn("zwfwctl", argv, outpath);
    int status = wfs_reap(pid, WFS_WAIT_MS);
    assert_true(status != -1 && WIFEXITED(status));
    FILE *f = fopen(outpath, "r");
    assert_non_null(f);
    static char buf[16384];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    *out = buf;
    return WEXITSTATUS(status);
}

static void test_zwfwctl_workflow(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_ctl", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000030";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    char *out;
    assert_int_equal(s_ctl(s, WFS_APPROVER_MARKET, &out, "act", r1, "start_review", NULL), 0);
    assert_non_null(strstr(out, "start_review: accepted -> review"));
    assert_int_equal(s_ctl(s, WFS_APPROVER_MARKET, &out, "act", r1, "approve", NULL), 1);
    assert_non_null(strstr(out, "FAILED_PRECONDITION"));
    assert_int_equal(s_ctl(s, WFS_APPROVER_MARKET, &out, "act", r1, "request_supplement",
                           "--comment", "缺少营业执照", NULL),
                     0);
    assert_int_equal(s_ctl(s, WFS_HEAD_MARKET, &out, "get", r1, "--history", NULL), 0);
    assert_non_null(strstr(out, "state supplement (补正)"));
    assert_non_null(strstr(out, "PAUSED"));
    assert_non_null(strstr(out, "缺少营业执照"));
    assert_int_equal(s_ctl(s, WFS_HEAD_MARKET, &out, "get", r1, "--json", NULL), 0);
    assert_non_null(strstr(out, "\"receiptNumber\""));
    assert_non_null(strstr(out, "\"500152-20200921-000030\""));
    wfs_clock(s, "2020-12-01T10:00");
    assert_int_equal(s_ctl(s, WFS_SUPERVISOR, &out, "scan", NULL), 0);
    assert_non_null(strstr(out, "日扫描"));
    assert_int_equal(s_ctl(s, WFS_WINDOW, &out, "scan", NULL), 1);
    assert_non_null(strstr(out, "PERMISSION_DENIED"));
    assert_int_equal(s_ctl(s, WFS_OPERATOR, &out, "definitions", NULL), 0);
    assert_non_null(strstr(out, "promised-default"));
    assert_non_null(strstr(out, "parallel-engineering"));
    assert_int_equal(s_ctl(s, WFS_OPERATOR, &out, "definition", "parallel-engineering", NULL), 0);
    assert_non_null(strstr(out, "\"on_reject\": \"rejected\""));
    char path[600];
    snprintf(path, sizeof path, "%s", zwt_src_path("deploy/workflow/promised-default.json"));
    assert_int_equal(s_ctl(s, WFS_OPERATOR, &out, "validate", path, NULL), 0);
    assert_non_null(strstr(out, "promised-default v1"));
    /* lists: open ones; none overdue, as a clock held by 补正 runs out never */
    assert_int_equal(s_ctl(s, WFS_SUPERVISOR, &out, "list", "--open", NULL), 0);
    assert_non_null(strstr(out, r1));
    assert_int_equal(s_ctl(s, WFS_SUPERVISOR, &out, "list", "--overdue", NULL), 0);
    assert_null(strstr(out, r1));
    wfs_down(s);
}

/* ------------------------------------------------------------------ fuzzing findings */

/* Whether every string in m, at any depth, is UTF-8: what strict decoders
 * (Python, Go, Java protobuf) demand of a reply. */
static bool s_utf8_clean(const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        const char *member = (const char *) m + f->offset;
        bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
        size_t n = repeated ? *(const size_t *) ((const char *) m + f->quantifier_offset) : 1;
        void *const *items = repeated ? *(void *const *const *) member : (void *const *) member;
        for (size_t j = 0; j < n; j++) {
            if (!items[j])
                continue;
            if (f->type == PROTOBUF_C_TYPE_STRING
                    ? !zw_wire_text_utf8_valid(items[j], strlen(items[j]))
                    : !s_utf8_clean(items[j]))
                return false;
        }
    }
    return true;
}

/* What a request could have left behind in the store, as one text. */
static char *s_footprint(wfs_t *s)
{
    zw_err_t err;
    PGresult *res = zw_db_query(
        s->db,
        "SELECT concat_ws(' ', (SELECT count(*) FROM workflow.instances),"
        " (SELECT coalesce(sum(next_seq), 0) FROM workflow.instances),"
        " (SELECT count(*) FROM workflow.tracks), (SELECT count(*) FROM workflow.history),"
        " (SELECT count(*) FROM workflow.pauses), (SELECT count(*) FROM workflow.requests),"
        " (SELECT count(*) FROM workflow.definitions),"
        " (SELECT count(*) FROM events.outbox WHERE stream = 'workflow')"
        "  + (SELECT count(*) FROM events.log WHERE stream = 'workflow'))",
        0, NULL, &err);
    if (!res)
        fail_msg("footprint: %s", err.message);
    char *text = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    assert_non_null(text);
    return text;
}

static void s_same_footprint(wfs_t *s, char **before)
{
    char *after = s_footprint(s);
    assert_string_equal(*before, after);
    free(after);
    free(*before);
    *before = NULL;
}

/* n ordinary material references (free with s_refs_free). */
static Zwfw__V1__MaterialRef **s_refs(size_t n)
{
    Zwfw__V1__MaterialRef **v = calloc(n ? n : 1, sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) {
        v[i] = malloc(sizeof **v);
        assert_non_null(v[i]);
        zwfw__v1__material_ref__init(v[i]);
        v[i]->material_code = "M01";
        v[i]->name = "营业执照.pdf";
        v[i]->media_type = "application/pdf";
        v[i]->sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        v[i]->size = 1000 + (int64_t) i;
        v[i]->uri = "s3://zwfw/m01";
    }
    return v;
}

static void s_refs_free(Zwfw__V1__MaterialRef **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Act by the market approver with materials; 0 or the error code. */
static zw_code_t s_act_refs(wfs_t *s, const char *receipt, const char *action, const char *comment,
                            const char *key, Zwfw__V1__MaterialRef **refs, size_t n, zw_err_t *err)
{
    Zwfw__V1__Act m = ZWFW__V1__ACT__INIT;
    m.idempotency_key = (char *) key;
    m.receipt_number = (char *) receipt;
    m.action = (char *) action;
    m.comment = (char *) comment;
    m.n_materials = n;
    m.materials = refs;
    ProtobufCMessage *r = NULL;
    zw_err_clear(err);
    int rc = wfs_call(s, WFS_APPROVER_MARKET, &m.base, &zwfw__v1__act_reply__descriptor, &r, err);
    if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    if (rc != 0)
        fprintf(stderr, "Act %s (%zu materials): %s %s (%s)\n", action, n, zw_code_name(err->code),
                err->message, err->detail);
    return rc == 0 ? ZW_OK : err->code;
}

/* F2: an Act whose material reference held bytes that are not UTF-8 was
 * stored (as packed protobuf) and served back by GetInstance, whose reply
 * strict decoders then refused; a comment that was not UTF-8 got
 * PostgreSQL's own error text. Now refused naming the field, nothing
 * stored, and the key still free. */
static void test_act_materials_not_utf8_store_nothing(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_act_utf8", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000040";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    char *before = s_footprint(s);
    Zwfw__V1__MaterialRef **refs = s_refs(2);
    zw_err_t err;
    refs[1]->name = "\xff\xfe bad name";
    assert_int_equal(s_act_refs(s, r1, "start_review", "", "f2-1", refs, 2, &err),
                     ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "materials[1].name");
    refs[1]->name = "ok.pdf";
    refs[1]->uri = "s3://x/\xc0\xaf"; /* an overlong "/" */
    assert_int_equal(s_act_refs(s, r1, "start_review", "", "f2-1", refs, 2, &err),
                     ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "materials[1].uri");
    refs[1]->uri = "s3://zwfw/ok";
    assert_int_equal(s_act_refs(s, r1, "start_review", "\xe6\x9d", "f2-1", refs, 2, &err),
                     ZW_INVALID_ARGUMENT); /* the first two bytes of 材 */
    assert_string_equal(err.detail, "comment");
    assert_null(strstr(err.message, "invalid byte sequence"));
    s_same_footprint(s, &before);
    assert_string_equal(s_state(s, r1), "accepted");
    /* the refusals stored nothing under the key: the valid Act takes it */
    assert_int_equal(s_act_refs(s, r1, "start_review", "材料齐全", "f2-1", refs, 2, &err), ZW_OK);
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, true);
    assert_true(s_utf8_clean(&r->base));
    const Zwfw__V1__HistoryEntry *last = r->instance->history[r->instance->n_history - 1];
    assert_string_equal(last->action, "start_review");
    assert_int_equal(last->n_materials, 2);
    assert_string_equal(last->materials[1]->name, "ok.pdf");
    assert_string_equal(last->materials[1]->uri, "s3://zwfw/ok");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    s_refs_free(refs, 2);
    wfs_down(s);
}

/* F4: Act stored any number of material references of any size: three
 * Acts of 7 MB made GetInstance's reply larger than the broker's frame
 * limit, which cut the worker off on every read. Now at most 100
 * references and 256 KiB per Act, refused naming "materials", nothing
 * stored. */
static void test_act_material_limits(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_act_limits", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000041";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    char *before = s_footprint(s);
    zw_err_t err;
    Zwfw__V1__MaterialRef **refs = s_refs(101);
    assert_int_equal(s_act_refs(s, r1, "start_review", "", "f4-1", refs, 101, &err),
                     ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "materials");
    /* one reference of 300 KiB */
    size_t big = 300 * 1024;
    char *uri = malloc(big + 1);
    assert_non_null(uri);
    memset(uri, 'a', big);
    memcpy(uri, "s3://x/", 7);
    uri[big] = '\0';
    refs[0]->uri = uri;
    assert_int_equal(s_act_refs(s, r1, "start_review", "", "f4-2", refs, 1, &err),
                     ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "materials");
    /* the same size in a comment, with no reference: named as the comment */
    assert_int_equal(s_act_refs(s, r1, "start_review", uri, "f4-2c", refs, 0, &err),
                     ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "comment");
    s_same_footprint(s, &before);
    /* 100 references are taken, and GetInstance returns them */
    refs[0]->uri = "s3://zwfw/m01";
    assert_int_equal(s_act_refs(s, r1, "start_review", "", "f4-3", refs, 100, &err), ZW_OK);
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, true);
    assert_int_equal(r->instance->history[r->instance->n_history - 1]->n_materials, 100);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    free(uri);
    s_refs_free(refs, 101);
    wfs_down(s);
}

/* F4, the other half: a reply larger than the broker takes in a frame
 * (16 MiB) cost the worker its connection on every read, and the client
 * never got an answer. Acts of just under 256 KiB each, 补正 back and
 * forth, until the history no longer fits: GetInstance with history is
 * RESOURCE_EXHAUSTED naming the reply, without history the case still
 * reads, and the daemon still serves. */
static void test_reply_too_large_for_a_frame(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_big_reply", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000042";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    wfs_act(s, WFS_APPROVER_MARKET, r1, "", "start_review", "");
    size_t under = 250 * 1024;
    char *uri = malloc(under + 1);
    assert_non_null(uri);
    memset(uri, 'a', under);
    memcpy(uri, "s3://x/", 7);
    uri[under] = '\0';
    /* the bulk rides in the comment: a reference's uri is at most 1000
     * bytes, as intake holds it (common/material_ref.h) */
    Zwfw__V1__MaterialRef **refs = s_refs(1);
    refs[0]->uri = "s3://zwfw/m01";
    zw_err_t err;
    int acts = 0;
    for (size_t total = 0; total < (size_t) 16 * 1024 * 1024 + 512 * 1024; total += under) {
        char key[32];
        snprintf(key, sizeof key, "big-%d", acts);
        const char *action = acts % 2 ? "supplied" : "request_supplement";
        assert_int_equal(s_act_refs(s, r1, action, uri, key, refs, 1, &err), ZW_OK);
        acts++;
    }
    Zwfw__V1__GetInstance g = ZWFW__V1__GET_INSTANCE__INIT;
    g.receipt_number = (char *) r1;
    g.history = true;
    ProtobufCMessage *gr = NULL;
    assert_int_equal(
        wfs_call(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__instance_reply__descriptor, &gr, &err), -1);
    fprintf(stderr, "after %d Acts: %s %s\n", acts, zw_code_name(err.code), err.message);
    assert_int_equal(err.code, ZW_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(err.message, "zwfw.v1.InstanceReply"));
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, r1, false);
    assert_int_equal(r->instance->n_history, 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    free(uri);
    assert_int_equal(s_act_refs(s, r1, acts % 2 ? "supplied" : "request_supplement", "补正",
                                "big-end", refs, 1, &err),
                     ZW_OK);
    s_refs_free(refs, 1);
    wfs_down(s);
}

/* ---- eight copies of one request at once -------------------------------------------- */

#define S_RACERS 8

typedef struct {
    zw_client_t *client;
    const ProtobufCMessage *req;
    const ProtobufCMessageDescriptor *reply_type;
    pthread_barrier_t *go;
    ProtobufCMessage *reply; /* or NULL and err */
    zw_err_t err;
} s_racer_t;

static void *s_racer(void *arg)
{
    s_racer_t *r = arg;
    pthread_barrier_wait(r->go);
    zw_err_clear(&r->err);
    if (zw_client_call_as(r->client, "zwfw.workflow", r->req, r->reply_type, &r->reply, &r->err) !=
        0)
        r->reply = NULL;
    return NULL;
}

/* Sends reqs[i] (S_RACERS of them) as `who`, each from its own client and
 * thread, all released at once; out[i] holds each answer (the caller
 * frees the replies). */
static void s_race(wfs_t *s, wfs_id_t who, const ProtobufCMessage *const *reqs,
                   const ProtobufCMessageDescriptor *reply_type, s_racer_t out[S_RACERS])
{
    pthread_barrier_t go;
    assert_int_equal(pthread_barrier_init(&go, NULL, S_RACERS), 0);
    pthread_t threads[S_RACERS];
    const char *eps[] = {s->endpoint};
    for (int i = 0; i < S_RACERS; i++) {
        zw_err_t err;
        memset(&out[i], 0, sizeof out[i]);
        out[i].client = zw_client_new(s->zctx, eps, 1, &err);
        assert_non_null(out[i].client);
        zw_auth_client_t ac;
        memset(&ac, 0, sizeof ac);
        ac.keys = wfs_ids[who].keys;
        snprintf(ac.server_key, sizeof ac.server_key, "%s", s->broker_keys.public_key);
        assert_int_equal(zw_client_set_curve(out[i].client, &ac, &err), 0);
        zw_client_set_timeout(out[i].client, WFS_WAIT_MS);
        zw_client_set_retries(out[i].client, 0);
        /* connected (CURVE handshake done) before the start */
        bool exists = false;
        assert_int_equal(zw_client_service_exists(out[i].client, "zwfw.workflow", &exists, &err),
                         0);
        assert_true(exists);
        out[i].req = reqs[i];
        out[i].reply_type = reply_type;
        out[i].go = &go;
    }
    for (int i = 0; i < S_RACERS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, s_racer, &out[i]), 0);
    for (int i = 0; i < S_RACERS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < S_RACERS; i++)
        zw_client_destroy(&out[i].client);
}

static void s_race_free(s_racer_t out[S_RACERS])
{
    for (int i = 0; i < S_RACERS; i++)
        if (out[i].reply)
            protobuf_c_message_free_unpacked(out[i].reply, NULL);
}

/* A StartProcess of the market item accepted at 2020-09-21 10:00 (the
 * strings are the caller's; ts and the limits live in *keep). */
typedef struct {
    Zwfw__V1__StartProcess m;
    Zwfw__V1__Timestamp at;
    Zwfw__V1__TimeLimit promised, statutory;
} s_start_msg_t;

static void s_start_msg(s_start_msg_t *k, const char *key, const char *receipt)
{
    zwfw__v1__start_process__init(&k->m);
    zwfw__v1__time_limit__init(&k->promised);
    zwfw__v1__time_limit__init(&k->statutory);
    k->m.idempotency_key = (char *) key;
    k->m.receipt_number = (char *) receipt;
    k->m.item_code = WFS_ITEM;
    k->m.item_version = 1;
    k->m.department_code = WFS_MARKET;
    k->m.region = "500152";
    k->m.accepted_at = wfs_ts(&k->at, wfs_time("2020-09-21T10:00"));
    k->promised.amount = 5;
    k->promised.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    k->statutory.amount = 20;
    k->statutory.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    k->m.promised_limit = &k->promised;
    k->m.statutory_limit = &k->statutory;
}

/* F6: eight identical StartProcess requests at once (a client's retry
 * racing its first try, or two brokers): the copies that looked the key
 * up before the first committed got ALREADY_EXISTS "receipt_number". Now
 * every copy gets the first reply. */
static void test_start_process_concurrent_copies(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_start_race", "2020-09-21T10:00", NULL);
    for (int round = 0; round < 6; round++) {
        char key[32], receipt[32];
        snprintf(key, sizeof key, "f6-%d", round);
        snprintf(receipt, sizeof receipt, "500152-20200921-0002%02d", round);
        s_start_msg_t k;
        s_start_msg(&k, key, receipt);
        const ProtobufCMessage *reqs[S_RACERS];
        for (int i = 0; i < S_RACERS; i++)
            reqs[i] = &k.m.base;
        s_racer_t out[S_RACERS];
        s_race(s, WFS_OPERATOR, reqs, &zwfw__v1__instance_reply__descriptor, out);
        int firsts = 0;
        int64_t id = 0;
        for (int i = 0; i < S_RACERS; i++) {
            if (!out[i].reply)
                fprintf(stderr, "round %d, copy %d: %s %s (%s)\n", round, i,
                        zw_code_name(out[i].err.code), out[i].err.message, out[i].err.detail);
            assert_non_null(out[i].reply);
            const Zwfw__V1__InstanceReply *r = (const Zwfw__V1__InstanceReply *) out[i].reply;
            assert_string_equal(r->instance->receipt_number, receipt);
            if (!id)
                id = r->instance->id;
            assert_int_equal(r->instance->id, id);
            firsts += !r->replayed;
        }
        assert_int_equal(firsts, 1);
        s_race_free(out);
        assert_int_equal(
            wfs_num(s, "SELECT count(*) FROM workflow.instances WHERE receipt_number = $1", receipt,
                    NULL),
            1);
        assert_int_equal(
            wfs_num(s, "SELECT count(*) FROM workflow.requests WHERE idempotency_key = $1", key,
                    NULL),
            1);
    }
    wfs_down(s);
}

/* F7: StartProcess cut an item_code over 127 bytes and a region over 15
 * to the instance's buffers (in the middle of a character, too) and
 * stored that. Now INVALID_ARGUMENT naming the field, nothing stored. */
static void test_start_process_long_fields(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_start_long", "2020-09-21T10:00", NULL);
    char as[301], han[301], b127[128];
    memset(as, 'A', 300);
    as[300] = '\0';
    han[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(han, "测"); /* 300 bytes: 127 cuts the 43rd character */
    memset(b127, 'B', 127);
    b127[127] = '\0';
    static const char *const fields[] = {"item_code", "item_code", "region"};
    const char *values[] = {as, han, "500152000000999999"};
    char *before = s_footprint(s);
    for (int i = 0; i < 3; i++) {
        char key[32], receipt[32];
        snprintf(key, sizeof key, "f7-%d", i);
        snprintf(receipt, sizeof receipt, "500152-20200921-0003%02d", i);
        s_start_msg_t k;
        s_start_msg(&k, key, receipt);
        if (i < 2)
            k.m.item_code = (char *) values[i];
        else
            k.m.region = (char *) values[i];
        ProtobufCMessage *reply = NULL;
        zw_err_t err;
        int rc = wfs_call(s, WFS_OPERATOR, &k.m.base, &zwfw__v1__instance_reply__descriptor, &reply,
                          &err);
        if (reply) {
            fprintf(stderr, "%s of %zu bytes was accepted\n", fields[i], strlen(values[i]));
            protobuf_c_message_free_unpacked(reply, NULL);
        }
        assert_int_equal(rc, -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_string_equal(err.detail, fields[i]);
    }
    s_same_footprint(s, &before);
    /* the longest that fit are stored whole */
    s_start_msg_t k;
    s_start_msg(&k, "f7-fits", "500152-20200921-000399");
    k.m.item_code = b127;
    k.m.region = "500152000000999";
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &k.m.base, &zwfw__v1__instance_reply__descriptor, &reply, &err),
        0);
    const Zwfw__V1__Instance *in = ((Zwfw__V1__InstanceReply *) reply)->instance;
    assert_string_equal(in->item_code, b127);
    assert_string_equal(in->region, "500152000000999");
    protobuf_c_message_free_unpacked(reply, NULL);
    assert_int_equal(wfs_num(s,
                             "SELECT count(*) FROM workflow.instances WHERE item_code = $1"
                             " AND region = '500152000000999'",
                             b127, NULL),
                     1);
    wfs_down(s);
}

/* ---- F8: PutDefinition and its idempotency key ------------------------------------ */

/* A one-step definition coded `code` (static buffer of 4, as wfs_fmt). */
static const char *s_def_json(const char *code)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i],
             "{\"code\":\"%s\",\"version\":1,\"items\":[\"ITEM-%s\"],\"initial\":\"a\","
             "\"states\":[{\"name\":\"a\"},{\"name\":\"ok\",\"terminal\":\"approved\"}],"
             "\"actions\":[{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"ok\",\"roles\":[\"head\"]}]}",
             code, code);
    return buf[i];
}

static zw_code_t s_put_def(wfs_t *s, const char *key, const char *json,
                           Zwfw__V1__DefinitionReply **out, zw_err_t *err)
{
    Zwfw__V1__PutDefinition p = ZWFW__V1__PUT_DEFINITION__INIT;
    p.idempotency_key = (char *) key;
    p.actor = "运维-01";
    p.json = (char *) json;
    ProtobufCMessage *r = NULL;
    zw_err_clear(err);
    int rc = wfs_call(s, WFS_OPERATOR, &p.base, &zwfw__v1__definition_reply__descriptor, &r, err);
    if (out)
        *out = (Zwfw__V1__DefinitionReply *) r;
    else if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    return rc == 0 ? ZW_OK : err->code;
}

static long s_defs(wfs_t *s, const char *like)
{
    return wfs_num(s, "SELECT count(*) FROM workflow.definitions WHERE code LIKE $1", like, NULL);
}

/* F8: PutDefinition ignored its idempotency key: two definitions under
 * one key were both stored. Now, as every service (protocol.md section
 * 5), the same key and request returns the first reply, another request
 * under the key is ALREADY_EXISTS "idempotency_key" storing nothing, and
 * concurrent copies get one answer. */
static void test_put_definition_idempotency(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wf_def_key", "2020-09-21T10:00", NULL);
    zw_err_t err;
    Zwfw__V1__DefinitionReply *a = NULL, *b = NULL;
    assert_int_equal(s_put_def(s, "f8-1", s_def_json("f8-a"), &a, &err), ZW_OK);
    assert_true(a->changed);
    assert_string_equal(a->code, "f8-a");
    /* a retry: the first reply, again with changed (as first answered) */
    assert_int_equal(s_put_def(s, "f8-1", s_def_json("f8-a"), &b, &err), ZW_OK);
    assert_string_equal(b->code, "f8-a");
    assert_int_equal(b->version, a->version);
    assert_true(b->changed);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    /* another definition under the key: refused, not stored */
    char *before = s_footprint(s);
    assert_int_equal(s_put_def(s, "f8-1", s_def_json("f8-b"), NULL, &err), ZW_ALREADY_EXISTS);
    assert_string_equal(err.detail, "idempotency_key");
    /* no key: refused as in Act and StartProcess */
    assert_int_equal(s_put_def(s, "", s_def_json("f8-b"), NULL, &err), ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "idempotency_key");
    /* the key is taken for other request types too */
    s_start_msg_t k;
    s_start_msg(&k, "f8-1", "500152-20200921-000500");
    ProtobufCMessage *sr = NULL;
    assert_int_equal(
        wfs_call(s, WFS_OPERATOR, &k.m.base, &zwfw__v1__instance_reply__descriptor, &sr, &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_string_equal(err.detail, "idempotency_key");
    s_same_footprint(s, &before);
    assert_int_equal(s_defs(s, "f8-b"), 0);
    assert_int_equal(s_defs(s, "f8-a"), 1);
    /* the same text under a new key: already in force */
    assert_int_equal(s_put_def(s, "f8-2", s_def_json("f8-a"), &a, &err), ZW_OK);
    assert_false(a->changed);
    protobuf_c_message_free_unpacked(&a->base, NULL);

    /* eight copies of one request at once: one answer for all */
    const char *json = s_def_json("f8-c");
    Zwfw__V1__PutDefinition p = ZWFW__V1__PUT_DEFINITION__INIT;
    p.idempotency_key = "f8-3";
    p.json = (char *) json;
    const ProtobufCMessage *reqs[S_RACERS];
    for (int i = 0; i < S_RACERS; i++)
        reqs[i] = &p.base;
    s_racer_t out[S_RACERS];
    s_race(s, WFS_OPERATOR, reqs, &zwfw__v1__definition_reply__descriptor, out);
    for (int i = 0; i < S_RACERS; i++) {
        if (!out[i].reply)
            fprintf(stderr, "copy %d: %s %s\n", i, zw_code_name(out[i].err.code),
                    out[i].err.message);
        assert_non_null(out[i].reply);
        const Zwfw__V1__DefinitionReply *r = (const Zwfw__V1__DefinitionReply *) out[i].reply;
        assert_string_equal(r->code, "f8-c");
        assert_true(r->changed); /* the first reply, to every copy */
    }
    s_race_free(out);
    assert_int_equal(s_defs(s, "f8-c"), 1);
    assert_int_equal(
        wfs_num(s, "SELECT count(*) FROM workflow.requests WHERE idempotency_key = 'f8-3'", NULL),
        1);

    /* eight different definitions under one key at once: one is stored */
    Zwfw__V1__PutDefinition ps[S_RACERS];
    char codes[S_RACERS][16];
    for (int i = 0; i < S_RACERS; i++) {
        zwfw__v1__put_definition__init(&ps[i]);
        snprintf(codes[i], sizeof codes[i], "f8-d%d", i);
        ps[i].idempotency_key = "f8-4";
        ps[i].json = strdup(s_def_json(codes[i]));
        reqs[i] = &ps[i].base;
    }
    s_race(s, WFS_OPERATOR, reqs, &zwfw__v1__definition_reply__descriptor, out);
    int won = -1;
    for (int i = 0; i < S_RACERS; i++) {
        if (out[i].reply) {
            assert_int_equal(won, -1);
            won = i;
            assert_string_equal(((Zwfw__V1__DefinitionReply *) out[i].reply)->code, codes[i]);
        } else {
            if (out[i].err.code != ZW_ALREADY_EXISTS)
                fprintf(stderr, "copy %d: %s %s\n", i, zw_code_name(out[i].err.code),
                        out[i].err.message);
            assert_int_equal(out[i].err.code, ZW_ALREADY_EXISTS);
            assert_string_equal(out[i].err.detail, "idempotency_key");
        }
    }
    assert_true(won >= 0);
    assert_int_equal(s_defs(s, "f8-d%"), 1);
    assert_int_equal(s_defs(s, codes[won]), 1);
    s_race_free(out);
    for (int i = 0; i < S_RACERS; i++)
        free(ps[i].json);
    wfs_down(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promised_from_acceptance_to_completion),
        cmocka_unit_test(test_supplement_pauses_three_working_days),
        cmocka_unit_test(test_special_procedure_across_holidays),
        cmocka_unit_test(test_extension_once_by_head),
        cmocka_unit_test(test_parallel_closes_after_last_branch),
        cmocka_unit_test(test_parallel_refusal_in_one_branch),
        cmocka_unit_test(test_withdrawal_and_definitions),
        cmocka_unit_test(test_zwfwctl_workflow),
        cmocka_unit_test(test_act_materials_not_utf8_store_nothing),
        cmocka_unit_test(test_act_material_limits),
        cmocka_unit_test(test_reply_too_large_for_a_frame),
        cmocka_unit_test(test_start_process_concurrent_copies),
        cmocka_unit_test(test_start_process_long_fields),
        cmocka_unit_test(test_put_definition_idempotency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
