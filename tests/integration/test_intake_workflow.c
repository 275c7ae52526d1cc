/* zwfw-intake following zwfw-workflow (DESIGN.md "Who decides an
 * application's state"): real zwfw-broker processes (plain mode, one per
 * caller identity: operator, window, approver and head of one department),
 * zwfw-intake and zwfw-workflow on a fresh database with the simulated
 * clock, each subscribed to the other's event PUB.
 *
 * A 承诺件 submitted through intake is acted on through workflow to 办结;
 * intake's GetApplication then shows 11, with the history and completed_at,
 * and intake published ApplicationCompleted. Intake restarted with its
 * cursor on workflow's stream put back to 0 sees every workflow event again
 * and changes nothing (each is older than what the application shows). A
 * bundle of two 承诺件 completes only when its last child does; the
 * parent's derived-state events carry its due times. A 不予许可's and a
 * withdrawal's reasons travel from workflow's ProcessCompleted to intake's
 * ApplicationCompleted / ApplicationWithdrawn and the history note. */
#include "intake_harness.h"

#include "zwfw/v1/workflow.pb-c.h"

#define DEPT1 "11500152MB17035173"
#define CODE(basic) basic "-500152000000-000-" DEPT1 "-1-00"
#define ITEM_P CODE("500T0100100001")
#define ITEM_Q CODE("500T0100100006")
#define BUNDLE "T-BUNDLE-PQ"
#define STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x

enum { B_OP, B_WIN, B_APPR, B_HEAD, B_COUNT };

static h_stack_t S;
static h_broker_t s_brokers[B_COUNT] = {
    {.role = "operator", .key_id = "op", .region = "500152", .department = ""},
    {.role = "window", .key_id = "win1", .region = "500152", .department = ""},
    {.role = "approver", .key_id = "appr1", .region = "500152", .department = DEPT1},
    {.role = "head", .key_id = "head1", .region = "500152", .department = DEPT1},
};
static pid_t s_intake, s_workflow;
static char s_eps[1024], s_intake_pub[64], s_workflow_pub[64];

#define C(b) (s_brokers[b].client)

#define S_ITEM(basic, code, name)                                                                  \
    "{\"basicCode\":\"" basic "\",\"implCode\":\"" code "\",\"name\":\"" name "\","                \
    "\"type\":\"ITEM_TYPE_LICENSING\",\"departmentCode\":\"" DEPT1 "\","                           \
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","       \
    "\"handling\":\"HANDLING_TYPE_PROMISED\","                                                     \
    "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"                         \
    "\"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},\"materials\":["            \
    "{\"code\":\"P1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]}"

#define ITEM_I CODE("500T0100100007")
#define S_ITEM_I                                                                                   \
    "{\"basicCode\":\"500T0100100007\",\"implCode\":\"" ITEM_I "\",\"name\":\"测试即办件\","  \
    "\"type\":\"ITEM_TYPE_LICENSING\",\"departmentCode\":\"" DEPT1 "\","                           \
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","       \
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","                                                    \
    "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"                         \
    "\"promisedLimit\":{\"amount\":2,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["               \
    "{\"code\":\"P1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]}"
#define S_ITEM_P S_ITEM("500T0100100001", ITEM_P, "测试承诺件")
#define S_ITEM_Q S_ITEM("500T0100100006", ITEM_Q, "第二承诺件")
#define S_BUNDLE                                                                                   \
    "{\"code\":\"" BUNDLE "\",\"name\":\"测试一件事\",\"itemCodes\":[\"" ITEM_P "\",\"" ITEM_Q     \
    "\"]}"

static const char *s_catalog_json = "{\"idempotencyKey\":\"load-1\",\"actor\":\"op\","
                                    "\"items\":[" S_ITEM_P "," S_ITEM_Q "," S_ITEM_I "],"
                                    "\"bundles\":[" S_BUNDLE "]}";

static void s_free(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- processes ------------------------------------------------------------------------ */

static void s_start_intake(void)
{
    zwt_intake_opts_t o = h_paired_intake(s_intake_pub, s_workflow_pub);
    o.log_level = "debug";
    /* the 5-working-day rule only when a request touches an application,
     * never behind its back */
    static const char *const extra[] = {"--sweep-ms", "3600000", NULL};
    o.extra = extra;
    s_intake = h_start_intake(&S, s_eps, o);
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.intake");
}

static void s_start_workflow(void)
{
    zwt_workflow_opts_t o = h_paired_workflow(s_workflow_pub, s_intake_pub);
    o.log_level = "debug";
    s_workflow = h_start_workflow(&S, s_eps, o);
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.workflow");
}

static int s_setup(void **state)
{
    (void) state;
    h_stack_init(&S, "zwfw_test_intake_workflow");
    h_start_brokers(&S, s_brokers, B_COUNT, s_eps, sizeof s_eps);
    h_free_endpoint(s_intake_pub, sizeof s_intake_pub);
    h_free_endpoint(s_workflow_pub, sizeof s_workflow_pub);
    s_start_intake(); /* migrates the database, workflow's schema too */
    h_set_clock(C(B_OP), "2020-09-21T10:00:00+08:00");
    s_start_workflow();
    s_free(h_json_call(C(B_OP), "zwfw.catalog", "zwfw.v1.LoadCatalog", s_catalog_json));
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    for (int i = 0; i < B_COUNT; i++)
        zw_client_destroy(&s_brokers[i].client);
    h_stop(&S, s_workflow); /* unless a test stopped it */
    h_stop(&S, s_intake);
    for (int i = 0; i < B_COUNT; i++)
        h_stop(&S, s_brokers[i].pid);
    h_stack_free(&S);
    return 0;
}

/* ---- helpers -------------------------------------------------------------------------- */

static int s_seq;

/* Submits item or bundle with every material: the reply (caller frees). */
static Zwfw__V1__SubmitApplicationReply *s_submit(const char *item, const char *bundle)
{
    char first[32], id[19], json[2048];
    snprintf(first, sizeof first, "50015219900101%03d", (100 + s_seq) % 1000);
    first[17] = '\0';
    h_resident_id(first, id);
    s_seq++;
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"sub-%d\",\"actor\":\"clerk-01\",\"%s\":\"%s\","
             "\"channel\":\"CHANNEL_WINDOW\",\"windowId\":\"W01\",\"applicant\":{"
             "\"kind\":\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":\"王五\","
             "\"idType\":\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"%s\"}},\"materials\":["
             "{\"materialCode\":\"P1\",\"name\":\"P1.pdf\",\"mediaType\":\"application/pdf\","
             "\"sha256\":\"%064d\",\"size\":\"1000\",\"uri\":\"s3://zwfw/p1-%d\"}]}",
             s_seq, bundle ? "bundleCode" : "itemCode", bundle ? bundle : item, id, s_seq, s_seq);
    return (Zwfw__V1__SubmitApplicationReply *) h_json_call(C(B_WIN), "zwfw.intake",
                                                            "zwfw.v1.SubmitApplication", json);
}

static Zwfw__V1__Application *s_get(const char *receipt)
{
    char json[128];
    snprintf(json, sizeof json, "{\"receiptNumber\":\"%s\"}", receipt);
    Zwfw__V1__ApplicationReply *r = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.GetApplication", json);
    Zwfw__V1__Application *a = r->application;
    r->application = NULL;
    s_free(r);
    return a;
}

static void s_act(int broker, const char *receipt, const char *action, const char *comment)
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"act-%d\",\"actor\":\"%s\",\"receiptNumber\":\"%s\","
             "\"action\":\"%s\",\"comment\":\"%s\"}",
             ++s_seq, s_brokers[broker].key_id, receipt, action, comment);
    s_free(h_json_call(C(broker), "zwfw.workflow", "zwfw.v1.Act", json));
}

/* Polls a one-number query until it equals want; the last value. */
static long s_wait_long(long want, const char *fmt, const char *arg)
{
    char sql[1024];
    snprintf(sql, sizeof sql, fmt, arg);
    int64_t until = h_now_ms() + 30000;
    long v;
    char out[64];
    for (;;) {
        v = strtol(h_sql(&S, sql, out, sizeof out), NULL, 10);
        if (v == want || h_now_ms() > until)
            break;
        h_nap(30);
    }
    if (v != want)
        fprintf(stderr, "%s: %ld, expected %ld\n", sql, v, want);
    return v;
}

static void s_wait_state(const char *receipt, int want)
{
    long got = s_wait_long(
        want, "SELECT state FROM intake.applications WHERE receipt_number = '%s'", receipt);
    if (got != want) {
        h_dump_log(h_find(&S, s_intake)->log);
        h_dump_log(h_find(&S, s_workflow)->log);
    }
    assert_int_equal(got, want);
}

static void s_wait_process(const char *receipt)
{
    assert_int_equal(s_wait_long(1,
                                 "SELECT count(*) FROM workflow.instances"
                                 " WHERE receipt_number = '%s'",
                                 receipt),
                     1);
}

/* Intake events of type for receipt in the log. */
static long s_events(const char *receipt, const char *type)
{
    return h_sql_long(&S,
                      "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                      " AND aggregate_id = '%s' AND type = '%s'",
                      receipt, type);
}

/* The newest event of type about receipt on stream, decoded as desc (the
 * caller frees it); fails the test when there is none. */
static void *s_last_event(const char *stream, const char *receipt, const char *type,
                          const ProtobufCMessageDescriptor *desc)
{
    const char *p[] = {stream, receipt, type};
    PGresult *res = PQexecParams(S.pg,
                                 "SELECT payload FROM events.log WHERE stream = $1"
                                 " AND aggregate_id = $2 AND type = $3 ORDER BY seq DESC LIMIT 1",
                                 3, NULL, p, NULL, NULL, 1);
    ProtobufCMessage *m = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        m = protobuf_c_message_unpack(desc, NULL, (size_t) PQgetlength(res, 0, 0),
                                      (const uint8_t *) PQgetvalue(res, 0, 0));
    else
        fprintf(stderr, "no %s event %s of %s: %s\n", stream, type, receipt,
                PQerrorMessage(S.pg));
    PQclear(res);
    assert_non_null(m);
    return m;
}

/* review -> decision -> 办结(通过), by the department's approver and head. */
static void s_approve(const char *receipt)
{
    s_act(B_APPR, receipt, "start_review", "");
    s_act(B_APPR, receipt, "submit", "材料齐全");
    s_act(B_HEAD, receipt, "approve", "");
}

/* ---- tests ---------------------------------------------------------------------------- */

static char s_r1[48];

static void test_completion_reaches_intake(void **state)
{
    (void) state;
    Zwfw__V1__SubmitApplicationReply *sr = s_submit(ITEM_P, NULL);
    assert_int_equal(sr->application->state, STATE(ACCEPTED));
    snprintf(s_r1, sizeof s_r1, "%s", sr->application->receipt_number);
    s_free(sr);
    s_wait_process(s_r1);

    s_act(B_APPR, s_r1, "start_review", "");
    s_wait_state(s_r1, STATE(PROCESSING)); /* 8: the review state says so */
    assert_int_equal(s_wait_long(1,
                                 "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                 " AND aggregate_id = '%s'"
                                 " AND type = 'zwfw.v1.ApplicationStateChanged'",
                                 s_r1),
                     1);
    s_act(B_APPR, s_r1, "submit", "材料齐全");
    h_set_clock(C(B_OP), "2020-09-22T15:00:00+08:00");
    s_act(B_HEAD, s_r1, "approve", "");
    s_wait_state(s_r1, STATE(APPROVED));

    Zwfw__V1__Application *a = s_get(s_r1);
    assert_int_equal(a->state, STATE(APPROVED));
    assert_non_null(a->completed_at);
    assert_int_equal(h_ts_us(a->completed_at), h_parse_us("2020-09-22T15:00:00+08:00"));
    /* received, accepted, then what workflow decided, in order */
    assert_true(a->n_history >= 4);
    assert_int_equal(a->history[a->n_history - 1]->state, STATE(APPROVED));
    assert_string_equal(a->history[a->n_history - 1]->actor, "zwfw-workflow");
    assert_int_equal(a->history[a->n_history - 2]->state, STATE(PROCESSING));
    assert_true(a->history[a->n_history - 1]->seq > a->history[a->n_history - 2]->seq);
    s_free(a);
    /* intake alone publishes Application* events: its own 办结 event */
    assert_int_equal(s_wait_long(1,
                                 "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                 " AND aggregate_id = '%s'"
                                 " AND type = 'zwfw.v1.ApplicationCompleted'",
                                 s_r1),
                     1);
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM (SELECT object_id, action FROM audit.pending"
                                " UNION ALL SELECT object_id, action FROM audit.log) a"
                                " WHERE object_id = '%s' AND action = 'application.approved'",
                                s_r1),
                     1);
}

/* Intake stopped, its cursor on workflow's stream put back to 0, started
 * again: every workflow event comes again and is older than what the
 * application shows. */
static void test_replayed_events_ignored(void **state)
{
    (void) state;
    long hist =
        h_sql_long(&S, "SELECT count(*) FROM intake.history WHERE receipt_number = '%s'", s_r1);
    long evs = h_sql_long(&S,
                          "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                          " AND aggregate_id = '%s'",
                          s_r1);
    long head = h_sql_long(&S, "SELECT max(seq) FROM events.log WHERE stream = 'workflow'");
    assert_true(head > 0);
    h_stop(&S, s_intake);
    char out[64];
    h_sql(&S,
          "UPDATE events.cursors SET last_seq = 0 WHERE consumer = 'intake.on-workflow'"
          " AND stream = 'workflow' RETURNING 1",
          out, sizeof out);
    assert_string_equal(out, "1");
    s_start_intake();
    assert_int_equal(s_wait_long(head,
                                 "SELECT last_seq FROM events.cursors WHERE consumer = '%s'"
                                 " AND stream = 'workflow'",
                                 "intake.on-workflow"),
                     head);
    assert_true(h_file_has(h_find(&S, s_intake)->log, "older workflow event ignored"));
    assert_false(h_file_has(h_find(&S, s_intake)->log, "would move a final application"));
    assert_int_equal(
        h_sql_long(&S, "SELECT state FROM intake.applications WHERE receipt_number = '%s'", s_r1),
        STATE(APPROVED));
    assert_int_equal(
        h_sql_long(&S, "SELECT count(*) FROM intake.history WHERE receipt_number = '%s'", s_r1),
        hist);
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                " AND aggregate_id = '%s'",
                                s_r1),
                     evs);
}

static void test_bundle_completes_with_last_child(void **state)
{
    (void) state;
    Zwfw__V1__SubmitApplicationReply *sr = s_submit(NULL, BUNDLE);
    assert_int_equal(sr->n_children, 2);
    char parent[48], k1[48], k2[48];
    snprintf(parent, sizeof parent, "%s", sr->application->receipt_number);
    snprintf(k1, sizeof k1, "%s", sr->children[0]->receipt_number);
    snprintf(k2, sizeof k2, "%s", sr->children[1]->receipt_number);
    assert_int_equal(sr->application->state, STATE(ACCEPTED));
    assert_int_equal(sr->children[0]->state, STATE(ACCEPTED));
    assert_int_equal(sr->children[1]->state, STATE(ACCEPTED));
    s_free(sr);
    s_wait_process(k1);
    s_wait_process(k2);

    s_approve(k1);
    s_wait_state(k1, STATE(APPROVED));
    /* one child still in process: the bundle is too, with no 办结 time */
    Zwfw__V1__Application *p = s_get(parent);
    assert_int_equal(p->state, STATE(ACCEPTED));
    assert_null(p->completed_at);
    s_free(p);

    long parent_changes = s_events(parent, "zwfw.v1.ApplicationStateChanged");
    h_set_clock(C(B_OP), "2020-09-23T11:00:00+08:00");
    s_approve(k2);
    s_wait_state(k2, STATE(APPROVED));
    s_wait_state(parent, STATE(APPROVED));
    p = s_get(parent);
    assert_int_equal(p->state, STATE(APPROVED));
    assert_int_equal(h_ts_us(p->completed_at), h_parse_us("2020-09-23T11:00:00+08:00"));
    assert_int_equal(p->history[p->n_history - 1]->state, STATE(APPROVED));
    s_free(p);
    /* the parent's change published by intake, derived from the bundle */
    assert_int_equal(s_wait_long(parent_changes + 1,
                                 "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                 " AND aggregate_id = '%s'"
                                 " AND type = 'zwfw.v1.ApplicationStateChanged'",
                                 parent),
                     parent_changes + 1);
    assert_int_equal(s_events(k1, "zwfw.v1.ApplicationCompleted"), 1);
    assert_int_equal(s_events(k2, "zwfw.v1.ApplicationCompleted"), 1);
    /* its due times, as GetApplication shows them, travel with it (an
     * approval leaves the items' due times where they were) */
    p = s_get(parent);
    Zwfw__V1__ApplicationStateChanged *pc = s_last_event(
        "intake", parent, "zwfw.v1.ApplicationStateChanged",
        &zwfw__v1__application_state_changed__descriptor);
    assert_string_equal(pc->source, "bundle");
    assert_int_equal(pc->state, STATE(APPROVED));
    assert_non_null(p->due_at);
    assert_non_null(p->statutory_due_at);
    assert_non_null(pc->due_at);
    assert_non_null(pc->statutory_due_at);
    assert_int_equal(h_ts_us(pc->due_at), h_ts_us(p->due_at));
    assert_int_equal(h_ts_us(pc->statutory_due_at), h_ts_us(p->statutory_due_at));
    s_free(pc);
    s_free(p);

    /* one item's approval revoked: the bundle's decision no longer stands
     * as a whole (15), and its notice names the revoked item */
    s_act(B_HEAD, k1, "revoke", "承诺不实");
    s_wait_state(k1, STATE(REVOKED));
    s_wait_state(parent, STATE(REVOKED));
    p = s_get(parent);
    assert_int_equal(p->history[p->n_history - 1]->state, STATE(REVOKED));
    s_free(p);
    char json[128];
    snprintf(json, sizeof json, "{\"receiptNumber\":\"%s\"}", parent);
    Zwfw__V1__ApplicationReply *g = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.GetApplication", json);
    assert_non_null(g->notice);
    assert_non_null(strstr(g->notice->reason, "已撤销"));
    assert_non_null(strstr(g->notice->reason, ITEM_P));
    s_free(g);
}

/* 告知承诺制: an approval revoked after 办结 (the applicant's promise was
 * false) reaches the application as 15 撤销, published by intake; the
 * revocation is the head's, with a reason. */
static void test_revocation_reaches_intake(void **state)
{
    (void) state;
    Zwfw__V1__SubmitApplicationReply *sr = s_submit(ITEM_P, NULL);
    char r[48];
    snprintf(r, sizeof r, "%s", sr->application->receipt_number);
    s_free(sr);
    s_wait_process(r);
    s_approve(r);
    s_wait_state(r, STATE(APPROVED));
    h_set_clock(C(B_OP), "2020-09-25T10:00:00+08:00");
    s_act(B_HEAD, r, "revoke", "承诺不实，撤销许可");
    s_wait_state(r, STATE(REVOKED));
    Zwfw__V1__Application *a = s_get(r);
    assert_int_equal(a->state, STATE(REVOKED));
    assert_int_equal(a->history[a->n_history - 1]->state, STATE(REVOKED));
    assert_int_equal(a->history[a->n_history - 2]->state, STATE(APPROVED));
    s_free(a);
    /* 8 部门开始办理, then 15: intake's own events */
    assert_int_equal(s_wait_long(2,
                                 "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                 " AND aggregate_id = '%s'"
                                 " AND type = 'zwfw.v1.ApplicationStateChanged'",
                                 r),
                     2);
}

/* A 即办件 received without a check and left without a notice for 5
 * working days is deemed accepted on its receipt day; nobody finished it
 * at the counter, so its department decides it as a case. */
static void test_deemed_immediate_goes_to_department(void **state)
{
    (void) state;
    h_set_clock(C(B_OP), "2020-09-25T10:00:00+08:00");
    char id[19], json[2048];
    h_resident_id("50015219900101777", id);
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"sub-deemed-i\",\"actor\":\"clerk-01\",\"itemCode\":\"%s\","
             "\"channel\":\"CHANNEL_KIOSK\",\"windowId\":\"K01\",\"receiveOnly\":true,"
             "\"applicant\":{\"kind\":\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":\"赵六\","
             "\"idType\":\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"%s\"}},\"materials\":["
             "{\"materialCode\":\"P1\",\"name\":\"P1.pdf\",\"mediaType\":\"application/pdf\","
             "\"sha256\":\"%064d\",\"size\":\"1000\",\"uri\":\"s3://zwfw/p1-deemed\"}]}",
             ITEM_I, id, 7);
    Zwfw__V1__SubmitApplicationReply *sr = (Zwfw__V1__SubmitApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.SubmitApplication", json);
    assert_int_equal(sr->application->state, STATE(RECEIVED));
    char r[48];
    snprintf(r, sizeof r, "%s", sr->application->receipt_number);
    s_free(sr);
    /* Fri 09-25 + 5 working days (the 调休 Sunday 09-27 and Saturday 10-10
     * count, the National Day week does not): deemed from 10-10 24:00 */
    h_set_clock(C(B_OP), "2020-10-12T09:00:00+08:00");
    Zwfw__V1__Application *a = s_get(r);
    assert_int_equal(a->state, STATE(ACCEPTED));
    assert_true(a->deemed_accepted);
    s_free(a);
    s_wait_process(r);
    s_approve(r);
    s_wait_state(r, STATE(APPROVED));

    /* a withdrawal is a request that touches it too: a 承诺件 left without
     * a notice for 5 working days is accepted by then, so the withdrawal
     * goes to the department (14 撤回), not 2 (before acceptance) */
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"sub-deemed-p\",\"actor\":\"clerk-01\",\"itemCode\":\"%s\","
             "\"channel\":\"CHANNEL_ONLINE\",\"receiveOnly\":true,"
             "\"applicant\":{\"kind\":\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":\"赵六\","
             "\"idType\":\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"%s\"}},\"materials\":["
             "{\"materialCode\":\"P1\",\"name\":\"P1.pdf\",\"mediaType\":\"application/pdf\","
             "\"sha256\":\"%064d\",\"size\":\"1000\",\"uri\":\"s3://zwfw/p1-deemed-p\"}]}",
             ITEM_P, id, 8);
    sr = (Zwfw__V1__SubmitApplicationReply *) h_json_call(C(B_WIN), "zwfw.intake",
                                                          "zwfw.v1.SubmitApplication", json);
    assert_int_equal(sr->application->state, STATE(RECEIVED));
    snprintf(r, sizeof r, "%s", sr->application->receipt_number);
    s_free(sr);
    h_set_clock(C(B_OP), "2020-10-20T09:00:00+08:00");
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"wd-deemed-p\",\"actor\":\"clerk-01\",\"receiptNumber\":\"%s\","
             "\"reason\":\"申请人撤回\"}",
             r);
    s_free(h_json_call(C(B_WIN), "zwfw.intake", "zwfw.v1.WithdrawApplication", json));
    a = s_get(r);
    assert_true(a->deemed_accepted);
    /* workflow may have decided the withdrawal already */
    assert_true(a->state == STATE(ACCEPTED) || a->state == STATE(WITHDRAWN));
    assert_true(a->withdrawal_requested);
    s_free(a);
    s_wait_state(r, STATE(WITHDRAWN));
}

/* Workflow moves the due times (a 补正 pause ended, an extension): the
 * application shows the moved ones. */
static void test_due_times_follow_workflow(void **state)
{
    (void) state;
    h_set_clock(C(B_OP), "2020-10-21T10:00:00+08:00");
    Zwfw__V1__SubmitApplicationReply *sr = s_submit(ITEM_P, NULL);
    char r[48];
    snprintf(r, sizeof r, "%s", sr->application->receipt_number);
    int64_t due0 = h_ts_us(sr->application->due_at);
    int64_t sdue0 = h_ts_us(sr->application->statutory_due_at);
    s_free(sr);
    s_wait_process(r);
    s_act(B_APPR, r, "start_review", "");
    s_act(B_APPR, r, "request_supplement", "缺少附件");
    s_wait_state(r, STATE(SUPPLEMENT_START));
    /* a working day later the materials come: the pause ends (7) */
    h_set_clock(C(B_OP), "2020-10-22T10:00:00+08:00");
    char ref[512], json[1024];
    h_material_ref(ref, sizeof ref, "P1", 77);
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"due-sup\",\"actor\":\"clerk\",\"receiptNumber\":\"%s\","
             "\"materials\":[%s]}",
             r, ref);
    s_free(h_json_call(C(B_WIN), "zwfw.intake", "zwfw.v1.SupplementMaterials", json));
    s_wait_state(r, STATE(SUPPLEMENT_END));
    Zwfw__V1__Application *a = s_get(r);
    /* one working day (7 h) of pause: both due times move by it */
    assert_true(h_ts_us(a->due_at) > due0);
    assert_true(h_ts_us(a->statutory_due_at) > sdue0);
    int64_t sdue1 = h_ts_us(a->statutory_due_at);
    s_free(a);
    s_act(B_HEAD, r, "extend", "情况复杂");
    int64_t until = h_now_ms() + 10000, got = sdue1;
    while (h_now_ms() < until && got == sdue1) {
        a = s_get(r);
        got = h_ts_us(a->statutory_due_at);
        s_free(a);
        if (got == sdue1)
            h_nap(50);
    }
    assert_true(got > sdue1); /* 10 working days later */

    /* a bundle's due times are its items' latest: they follow too */
    sr = s_submit(NULL, BUNDLE);
    char parent[48], k1[48];
    snprintf(parent, sizeof parent, "%s", sr->application->receipt_number);
    snprintf(k1, sizeof k1, "%s", sr->children[0]->receipt_number);
    int64_t pdue0 = h_ts_us(sr->application->statutory_due_at);
    s_free(sr);
    s_wait_process(k1);
    s_act(B_HEAD, k1, "extend", "情况复杂");
    until = h_now_ms() + 10000;
    got = pdue0;
    while (h_now_ms() < until && got == pdue0) {
        a = s_get(parent);
        got = h_ts_us(a->statutory_due_at);
        s_free(a);
        if (got == pdue0)
            h_nap(50);
    }
    assert_true(got > pdue0);
}

/* 办结(不通过) and 撤回 tell why: the reject's comment and the applicant's
 * withdrawal reason travel in workflow's ProcessCompleted.reason, intake's
 * ApplicationCompleted / ApplicationWithdrawn.reason and the history note;
 * an approval's comment is no reason. */
static void test_decision_reasons_reach_intake(void **state)
{
    (void) state;
    const char *why = "不符合条件\n另见不予许可决定书";
    Zwfw__V1__SubmitApplicationReply *sr = s_submit(ITEM_P, NULL);
    char r[48];
    snprintf(r, sizeof r, "%s", sr->application->receipt_number);
    s_free(sr);
    s_wait_process(r);
    s_act(B_APPR, r, "start_review", "");
    s_act(B_APPR, r, "submit", "材料齐全");
    s_act(B_HEAD, r, "reject", "不符合条件\\n另见不予许可决定书"); /* JSON's \n */
    s_wait_state(r, STATE(REJECTED));
    Zwfw__V1__ProcessCompleted *pc = s_last_event("workflow", r, "zwfw.v1.ProcessCompleted",
                                                  &zwfw__v1__process_completed__descriptor);
    assert_int_equal(pc->state, STATE(REJECTED));
    assert_string_equal(pc->reason, why);
    s_free(pc);
    assert_int_equal(s_wait_long(1,
                                 "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                 " AND aggregate_id = '%s'"
                                 " AND type = 'zwfw.v1.ApplicationCompleted'",
                                 r),
                     1);
    Zwfw__V1__ApplicationCompleted *ac = s_last_event(
        "intake", r, "zwfw.v1.ApplicationCompleted", &zwfw__v1__application_completed__descriptor);
    assert_int_equal(ac->state, STATE(REJECTED));
    assert_string_equal(ac->reason, why);
    s_free(ac);
    Zwfw__V1__Application *a = s_get(r);
    assert_int_equal(a->history[a->n_history - 1]->state, STATE(REJECTED));
    assert_string_equal(a->history[a->n_history - 1]->note,
                        "ProcessCompleted: 不符合条件\n另见不予许可决定书");
    s_free(a);

    /* an approval, with a comment: no reason */
    sr = s_submit(ITEM_P, NULL);
    snprintf(r, sizeof r, "%s", sr->application->receipt_number);
    s_free(sr);
    s_wait_process(r);
    s_act(B_APPR, r, "start_review", "");
    s_act(B_APPR, r, "submit", "");
    s_act(B_HEAD, r, "approve", "同意");
    s_wait_state(r, STATE(APPROVED));
    pc = s_last_event("workflow", r, "zwfw.v1.ProcessCompleted",
                      &zwfw__v1__process_completed__descriptor);
    assert_string_equal(pc->reason, "");
    s_free(pc);
    assert_int_equal(s_wait_long(1,
                                 "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                 " AND aggregate_id = '%s'"
                                 " AND type = 'zwfw.v1.ApplicationCompleted'",
                                 r),
                     1);
    ac = s_last_event("intake", r, "zwfw.v1.ApplicationCompleted",
                      &zwfw__v1__application_completed__descriptor);
    assert_string_equal(ac->reason, "");
    s_free(ac);
    a = s_get(r);
    assert_string_equal(a->history[a->n_history - 1]->note, "ProcessCompleted");
    s_free(a);

    /* a withdrawal after acceptance: the applicant's reason, not the name
     * of the event that carried it */
    sr = s_submit(ITEM_P, NULL);
    snprintf(r, sizeof r, "%s", sr->application->receipt_number);
    s_free(sr);
    s_wait_process(r);
    char json[512];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"wd-reason\",\"actor\":\"clerk-01\","
             "\"receiptNumber\":\"%s\",\"reason\":\"申请人另行办理\"}",
             r);
    s_free(h_json_call(C(B_WIN), "zwfw.intake", "zwfw.v1.WithdrawApplication", json));
    s_wait_state(r, STATE(WITHDRAWN));
    pc = s_last_event("workflow", r, "zwfw.v1.ProcessCompleted",
                      &zwfw__v1__process_completed__descriptor);
    assert_int_equal(pc->outcome, ZWFW__V1__PROCESS_OUTCOME__PROCESS_OUTCOME_WITHDRAWN);
    assert_string_equal(pc->reason, "申请人另行办理");
    s_free(pc);
    assert_int_equal(s_wait_long(1,
                                 "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                                 " AND aggregate_id = '%s'"
                                 " AND type = 'zwfw.v1.ApplicationWithdrawn'",
                                 r),
                     1);
    Zwfw__V1__ApplicationWithdrawn *aw = s_last_event(
        "intake", r, "zwfw.v1.ApplicationWithdrawn", &zwfw__v1__application_withdrawn__descriptor);
    assert_int_equal(aw->state, STATE(WITHDRAWN));
    assert_string_equal(aw->reason, "申请人另行办理");
    s_free(aw);
    a = s_get(r);
    assert_string_equal(a->history[a->n_history - 1]->note, "ProcessCompleted: 申请人另行办理");
    s_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_completion_reaches_intake),
        cmocka_unit_test(test_replayed_events_ignored),
        cmocka_unit_test(test_bundle_completes_with_last_child),
        cmocka_unit_test(test_revocation_reaches_intake),
        cmocka_unit_test(test_deemed_immediate_goes_to_department),
        cmocka_unit_test(test_due_times_follow_workflow),
        cmocka_unit_test(test_decision_reasons_reach_intake),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
