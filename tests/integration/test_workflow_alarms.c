/* Supervision alarms of zwfw-workflow on the simulated clock: a warning
 * then an overdue alarm, each exactly once, whether the clock jumps past
 * both at once or crawls there in small steps; the abnormal alarm; the
 * daily scan (日扫描) by department; an instance whose data is poison (its
 * definition no longer loads) or locked by someone else does not stop the
 * alarms of the others. */
#include "workflow_stack.h"

/* Alarm rows of one receipt of a kind (1 warning, 2 overdue, 3 abnormal)
 * and clock (0 any). */
static long s_alarms(wfs_t *s, const char *receipt, int kind, int clock)
{
    char k[8], c[8];
    snprintf(k, sizeof k, "%d", kind);
    snprintf(c, sizeof c, "%d", clock);
    return wfs_num(s,
                   "SELECT count(*) FROM workflow.alarms WHERE receipt_number = $1"
                   " AND kind = $2::smallint AND ($3::smallint = 0 OR clock = $3::smallint)",
                   receipt, k, c, NULL);
}

/* The seq of the first event of a type for a receipt whose clock field
 * (field 7 of WarningRaised/OverdueRaised) is `clock`; -1 if none. */
static long s_event_seq(wfs_t *s, const char *type, const char *receipt, int clock)
{
    zw_err_t err;
    const char *p[] = {type, receipt};
    PGresult *res = zw_db_query(s->db,
                                "SELECT seq, payload FROM events.log WHERE stream = 'workflow'"
                                " AND type = $1 AND aggregate_id = $2 ORDER BY seq",
                                2, p, &err);
    if (!res)
        fail_msg("%s", err.message);
    long seq = -1;
    for (int i = 0; i < PQntuples(res) && seq < 0; i++) {
        size_t len;
        unsigned char *raw = PQunescapeBytea((const unsigned char *) PQgetvalue(res, i, 1), &len);
        int got = -1;
        if (strcmp(type, "zwfw.v1.WarningRaised") == 0) {
            Zwfw__V1__WarningRaised *w = zwfw__v1__warning_raised__unpack(NULL, len, raw);
            assert_non_null(w);
            got = w->clock;
            assert_true(w->due_at != NULL);
            assert_string_equal(w->department_code, WFS_MARKET);
            protobuf_c_message_free_unpacked(&w->base, NULL);
        } else {
            Zwfw__V1__OverdueRaised *o = zwfw__v1__overdue_raised__unpack(NULL, len, raw);
            assert_non_null(o);
            got = o->clock;
            protobuf_c_message_free_unpacked(&o->base, NULL);
        }
        PQfreemem(raw);
        if (got == clock)
            seq = strtol(PQgetvalue(res, i, 0), NULL, 10);
    }
    PQclear(res);
    return seq;
}

/* Exactly one warning and one overdue alarm per clock, as rows and as
 * events, the warning first. */
static void s_once_each(wfs_t *s, const char *receipt)
{
    for (int clock = 1; clock <= 2; clock++) {
        assert_int_equal(s_alarms(s, receipt, 1, clock), 1);
        assert_int_equal(s_alarms(s, receipt, 2, clock), 1);
        long w = s_event_seq(s, "zwfw.v1.WarningRaised", receipt, clock);
        long o = s_event_seq(s, "zwfw.v1.OverdueRaised", receipt, clock);
        assert_true(w > 0 && o > 0);
        assert_true(w < o);
    }
    assert_int_equal(wfs_events(s, "zwfw.v1.WarningRaised", receipt), 2);
    assert_int_equal(wfs_events(s, "zwfw.v1.OverdueRaised", receipt), 2);
    assert_int_equal(s_alarms(s, receipt, 3, 0), 1); /* 受理 for more than a working day */
    assert_int_equal(wfs_events(s, "zwfw.v1.AbnormalRaised", receipt), 1);
}

static void test_one_big_jump(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wfa_jump", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000101";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    wfs_wait_swept(s);
    assert_int_equal(wfs_num(s, "SELECT count(*) FROM workflow.alarms", NULL), 0);
    /* past the promised (09-27) and the statutory (10-23) due times at once */
    wfs_clock(s, "2020-11-02T10:00");
    wfs_wait_swept(s);
    s_once_each(s, r1);
    /* the alarm rows name the due time they are about */
    assert_int_equal(wfs_num(s,
                             "SELECT count(*) FROM workflow.alarms WHERE kind = 2 AND clock = 2"
                             " AND due_us = $1::bigint",
                             "1603445400000000", NULL),
                     1); /* 2020-10-23T17:30+08:00 */
    /* further on, and nothing is raised again */
    wfs_clock(s, "2020-12-01T10:00");
    wfs_wait_swept(s);
    Zwfw__V1__GetInstance g = ZWFW__V1__GET_INSTANCE__INIT; /* a read changes nothing */
    g.receipt_number = (char *) r1;
    ProtobufCMessage *reply;
    zw_err_t err;
    assert_int_equal(
        wfs_call(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__instance_reply__descriptor, &reply, &err),
        0);
    const Zwfw__V1__Instance *in = ((Zwfw__V1__InstanceReply *) reply)->instance;
    assert_true(wfs_clock_of(in, 1, "")->overdue);
    assert_true(wfs_clock_of(in, 1, "")->remaining_minutes < 0);
    protobuf_c_message_free_unpacked(reply, NULL);
    s_once_each(s, r1);
    wfs_down(s);
}

static void test_many_small_steps(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wfa_steps", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000102";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    /* six business hours at a time, the sweep catching up after each,
     * until past the statutory due time */
    int64_t t = wfs_time("2020-09-21T10:00"), end = wfs_time("2020-10-26T10:00");
    int64_t warn = wfs_time("2020-09-25T17:30"), due = wfs_time("2020-09-27T17:30");
    int steps = 0;
    while (t < end) {
        t += INT64_C(6) * 3600 * 1000000;
        wfs_clock_us(s, t);
        wfs_wait_swept(s);
        steps++;
        /* each alarm appears at the first step at or after its moment */
        long warned = s_alarms(s, r1, 1, 1), overdue = s_alarms(s, r1, 2, 1);
        assert_int_equal(warned, t >= warn ? 1 : 0);
        assert_int_equal(overdue, t >= due ? 1 : 0);
    }
    assert_true(steps > 100);
    s_once_each(s, r1);
    wfs_down(s);
}

static void test_daily_scan_by_department(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wfa_scan", "2020-09-21T10:00", NULL);
    const char *r1 = "500152-20200921-000201", *r2 = "500152-20200922-000202",
               *r3 = "500152-20200928-000203";
    wfs_accept(s, r1, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, r1);
    wfs_clock(s, "2020-09-22T10:00");
    wfs_accept(s, r2, WFS_ITEM, WFS_LEAD, "2020-09-22T10:00", 5, 20);
    wfs_wait_started(s, r2);
    wfs_act(s, WFS_APPROVER_LEAD, r2, "", "start_review", "");
    wfs_clock(s, "2020-09-28T09:00");
    wfs_accept(s, r3, WFS_ITEM, WFS_PLAN, "2020-09-28T09:00", 5, 20);
    wfs_wait_started(s, r3);
    wfs_clock(s, "2020-09-28T14:30");
    wfs_wait_swept(s);

    Zwfw__V1__DailyScan m = ZWFW__V1__DAILY_SCAN__INIT;
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    assert_int_equal(
        wfs_call(s, WFS_SUPERVISOR, &m.base, &zwfw__v1__daily_scan_reply__descriptor, &reply, &err),
        0);
    Zwfw__V1__DailyScanReply *r = (Zwfw__V1__DailyScanReply *) reply;
    assert_int_equal(wfs_us(r->at), wfs_time("2020-09-28T14:30"));
    assert_int_equal(r->n_departments, 2); /* planning has nothing to report */
    const Zwfw__V1__DepartmentScan *lead = NULL, *market = NULL;
    for (size_t i = 0; i < r->n_departments; i++) {
        if (strcmp(r->departments[i]->department_code, WFS_LEAD) == 0)
            lead = r->departments[i];
        if (strcmp(r->departments[i]->department_code, WFS_MARKET) == 0)
            market = r->departments[i];
    }
    assert_non_null(lead);
    assert_non_null(market);
    /* market: r1 overdue on its promised clock (since 09-27 17:30) and in
     * 受理 for more than a working day */
    assert_int_equal(market->n_overdue, 1);
    assert_string_equal(market->overdue[0]->receipt_number, r1);
    assert_int_equal(market->overdue[0]->clock, ZWFW__V1__CLOCK_KIND__CLOCK_KIND_PROMISED);
    assert_int_equal(market->overdue[0]->remaining_minutes, -240);
    assert_int_equal(market->n_near_due, 0);
    assert_int_equal(market->n_abnormal, 1);
    assert_string_equal(market->abnormal[0]->state, "accepted");
    /* lead: r2 due today at 17:30, three working hours left */
    assert_int_equal(lead->n_overdue, 0);
    assert_int_equal(lead->n_near_due, 1);
    assert_string_equal(lead->near_due[0]->receipt_number, r2);
    assert_int_equal(lead->near_due[0]->remaining_minutes, 180);
    assert_int_equal(lead->n_abnormal, 0);
    protobuf_c_message_free_unpacked(reply, NULL);

    /* a department sees its own scan only */
    assert_int_equal(wfs_call(s, WFS_APPROVER_MARKET, &m.base,
                              &zwfw__v1__daily_scan_reply__descriptor, &reply, &err),
                     0);
    r = (Zwfw__V1__DailyScanReply *) reply;
    assert_int_equal(r->n_departments, 1);
    assert_string_equal(r->departments[0]->department_code, WFS_MARKET);
    protobuf_c_message_free_unpacked(reply, NULL);
    m.department_code = WFS_LEAD;
    assert_int_equal(wfs_call(s, WFS_APPROVER_MARKET, &m.base,
                              &zwfw__v1__daily_scan_reply__descriptor, &reply, &err),
                     -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_int_equal(
        wfs_call(s, WFS_WINDOW, &m.base, &zwfw__v1__daily_scan_reply__descriptor, &reply, &err),
        -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);

    /* the alarms behind it, and the lists */
    Zwfw__V1__ListAlarms la = ZWFW__V1__LIST_ALARMS__INIT;
    la.department_code = WFS_MARKET;
    assert_int_equal(wfs_call(s, WFS_SUPERVISOR, &la.base, &zwfw__v1__list_alarms_reply__descriptor,
                              &reply, &err),
                     0);
    Zwfw__V1__ListAlarmsReply *ar = (Zwfw__V1__ListAlarmsReply *) reply;
    assert_int_equal(ar->n_alarms, 3); /* promised warning + overdue, abnormal */
    for (size_t i = 0; i < ar->n_alarms; i++)
        assert_string_equal(ar->alarms[i]->receipt_number, r1);
    protobuf_c_message_free_unpacked(reply, NULL);
    Zwfw__V1__ListInstances li = ZWFW__V1__LIST_INSTANCES__INIT;
    li.overdue_only = true;
    assert_int_equal(wfs_call(s, WFS_SUPERVISOR, &li.base,
                              &zwfw__v1__list_instances_reply__descriptor, &reply, &err),
                     0);
    Zwfw__V1__ListInstancesReply *lr = (Zwfw__V1__ListInstancesReply *) reply;
    assert_int_equal(lr->n_instances, 1);
    assert_string_equal(lr->instances[0]->receipt_number, r1);
    protobuf_c_message_free_unpacked(reply, NULL);
    li.overdue_only = false;
    li.page_size = 2;
    assert_int_equal(wfs_call(s, WFS_APPROVER_LEAD, &li.base,
                              &zwfw__v1__list_instances_reply__descriptor, &reply, &err),
                     0);
    lr = (Zwfw__V1__ListInstancesReply *) reply;
    assert_int_equal(lr->n_instances, 1); /* its own department's only */
    assert_string_equal(lr->instances[0]->receipt_number, r2);
    protobuf_c_message_free_unpacked(reply, NULL);
    /* pages: newest first, two at a time */
    assert_int_equal(wfs_call(s, WFS_SUPERVISOR, &li.base,
                              &zwfw__v1__list_instances_reply__descriptor, &reply, &err),
                     0);
    lr = (Zwfw__V1__ListInstancesReply *) reply;
    assert_int_equal(lr->n_instances, 2);
    assert_string_equal(lr->instances[0]->receipt_number, r3);
    char token[32];
    snprintf(token, sizeof token, "%s", lr->next_page_token);
    protobuf_c_message_free_unpacked(reply, NULL);
    li.page_token = token;
    assert_int_equal(wfs_call(s, WFS_SUPERVISOR, &li.base,
                              &zwfw__v1__list_instances_reply__descriptor, &reply, &err),
                     0);
    lr = (Zwfw__V1__ListInstancesReply *) reply;
    assert_int_equal(lr->n_instances, 1);
    assert_string_equal(lr->instances[0]->receipt_number, r1);
    assert_string_equal(lr->next_page_token, "");
    protobuf_c_message_free_unpacked(reply, NULL);
    wfs_down(s);
}

static void test_poison_and_locked_instances_do_not_stop_others(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wfa_poison", "2020-09-21T10:00", NULL);
    const char *bad = "500152-20200921-000301", *good = "500152-20200921-000302",
               *held = "500152-20200921-000303";
    wfs_accept(s, bad, WFS_ITEM, WFS_MARKET, "2020-09-21T10:00", 5, 20);
    wfs_accept(s, good, WFS_ITEM, WFS_PLAN, "2020-09-21T10:00", 5, 20);
    wfs_accept(s, held, WFS_ITEM, WFS_TRAFFIC, "2020-09-21T10:00", 5, 20);
    wfs_wait_started(s, bad);
    wfs_wait_started(s, good);
    wfs_wait_started(s, held);
    wfs_wait_swept(s);
    /* one instance's definition version stops loading */
    wfs_sql(s, "INSERT INTO workflow.definitions (code, version, body, checksum, created_at_us,"
               " created_by) VALUES ('broken', 1, '{not json', md5('{not json'), 0, 'test')");
    wfs_sql(s, "UPDATE workflow.instances SET def_code = 'broken', def_version = 1"
               " WHERE receipt_number = '500152-20200921-000301'");
    /* another is locked by someone else for the while */
    PGconn *holder = PQconnectdb(s->conninfo);
    assert_int_equal(PQstatus(holder), CONNECTION_OK);
    PQclear(PQexec(holder, "BEGIN"));
    PGresult *lock = PQexec(holder, "SELECT id FROM workflow.instances WHERE receipt_number ="
                                    " '500152-20200921-000303' FOR UPDATE");
    assert_int_equal(PQresultStatus(lock), PGRES_TUPLES_OK);
    PQclear(lock);

    wfs_clock(s, "2020-11-02T10:00");
    /* the good one gets all its alarms while the others fail or wait */
    if (wfs_wait_num(s, 5, "SELECT count(*) FROM workflow.alarms WHERE receipt_number = $1", good,
                     NULL) != 5) {
        wfs_dump_workflow(s);
        fail_msg("the good instance did not get its alarms");
    }
    assert_true(wfs_wait_num(s, 1,
                             "SELECT LEAST(sweep_failures, 1) FROM workflow.instances"
                             " WHERE receipt_number = $1",
                             bad, NULL) == 1);
    assert_int_equal(s_alarms(s, bad, 1, 0) + s_alarms(s, bad, 2, 0), 0);
    assert_int_equal(s_alarms(s, held, 1, 0) + s_alarms(s, held, 2, 0), 0);
    assert_int_equal(kill(s->workflow, 0), 0); /* alive */
    assert_true(wfs_num(s,
                        "SELECT count(*) FROM workflow.instances WHERE sweep_error LIKE"
                        " '%broken v1 does not load%'",
                        NULL) == 1);
    /* the lock goes: that instance is swept too */
    PQclear(PQexec(holder, "COMMIT"));
    PQfinish(holder);
    assert_int_equal(wfs_wait_num(s, 5,
                                  "SELECT count(*) FROM workflow.alarms WHERE receipt_number = $1",
                                  held, NULL),
                     5);
    /* the poisoned instance still reads (without its definition's labels) */
    Zwfw__V1__InstanceReply *r = wfs_get(s, WFS_SUPERVISOR, bad, false);
    assert_string_equal(r->instance->state, "accepted");
    assert_string_equal(r->instance->state_label, "");
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* repaired, it is retried after sweep_retry_s of business time */
    wfs_sql(s, "UPDATE workflow.instances SET def_code = 'promised-default', def_version = 1"
               " WHERE receipt_number = '500152-20200921-000301'");
    wfs_clock(s, "2020-11-02T10:10");
    assert_int_equal(wfs_wait_num(s, 5,
                                  "SELECT count(*) FROM workflow.alarms WHERE receipt_number = $1",
                                  bad, NULL),
                     5);
    assert_int_equal(
        wfs_num(s, "SELECT sweep_failures FROM workflow.instances WHERE receipt_number = $1", bad,
                NULL),
        0);
    wfs_down(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_big_jump),
        cmocka_unit_test(test_many_small_steps),
        cmocka_unit_test(test_daily_scan_by_department),
        cmocka_unit_test(test_poison_and_locked_instances_do_not_stop_others),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
