/* zwfw-workflow through the broker on a simulated clock (workflow_stack.h
 * sets up the stack and plays intake): a 承诺件 from acceptance to 办结; 补正
 * pausing for 3 working days and moving the due time by exactly that; a
 * 特别程序 across a weekend, a holiday and a 调休 working day (32.5 working
 * hours); the extension rules; 并联审批 of three departments and a refusal
 * in one branch; definitions refused with their reason. Alarms, the daily
 * scan and a poisoned instance are in test_workflow_alarms.c, kills in
 * test_workflow_kill.c. */
#include "workflow_stack.h"

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
