/* Killing zwfw-workflow (SIGKILL) while intake's events flow starts no
 * process twice and misses none; killing it while actions are in flight
 * loses no acknowledged action, and retries with the same idempotency
 * keys apply the others exactly once. */
#include "workflow_stack.h"

#define S_EVENTS 1200
#define S_ACTS 150

typedef struct {
    wfs_t *s;
    int first, count;
} s_batch_t;

static int s_batch_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_batch_t *b = arg;
    for (int i = b->first; i < b->first + b->count; i++) {
        char receipt[64];
        snprintf(receipt, sizeof receipt, "500152-20200921-%06d", i + 1);
        Zwfw__V1__ApplicationAccepted m = ZWFW__V1__APPLICATION_ACCEPTED__INIT;
        Zwfw__V1__Timestamp at;
        Zwfw__V1__TimeLimit pl = ZWFW__V1__TIME_LIMIT__INIT, sl = ZWFW__V1__TIME_LIMIT__INIT;
        pl.amount = 5;
        pl.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
        sl.amount = 20;
        sl.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
        m.receipt_number = receipt;
        m.at = wfs_ts(&at, wfs_time("2020-09-21T10:00"));
        m.item_code = WFS_ITEM;
        m.department_code = WFS_MARKET;
        m.handling = ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_PROMISED;
        m.promised_limit = &pl;
        m.statutory_limit = &sl;
        m.region = "500152";
        uint8_t buf[1024];
        size_t len = protobuf_c_message_pack(&m.base, buf);
        if (zw_outbox_append(db, "intake", "zwfw.v1.ApplicationAccepted", receipt,
                             wfs_time("2020-09-21T10:00"), buf, len, err) != 0)
            return -1;
    }
    return 0;
}

static long s_instances(wfs_t *s)
{
    return wfs_num(s, "SELECT count(*) FROM workflow.instances", NULL);
}

static void test_kill_while_events_flow(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wfk_events", "2020-09-21T10:00", NULL);
    /* intake writes acceptances in batches while workflow is killed and
     * restarted under it */
    int written = 0, kills = 0, midway = 0;
    long thresholds[] = {150, 450, 800};
    for (int k = 0; k < 3; k++) {
        while (written < S_EVENTS && written < thresholds[k] + 300) {
            s_batch_t b = {s, written, 50};
            zw_err_t err;
            if (zw_db_tx(s->db, false, s_batch_tx, &b, &err) != 0)
                fail_msg("batch: %s", err.message);
            wfs_relay(s);
            written += 50;
        }
        int64_t end = zw_mono_ms() + WFS_WAIT_MS;
        long n;
        while ((n = s_instances(s)) < thresholds[k] && zw_mono_ms() < end)
            wfs_nap(2);
        wfs_kill(s, &s->workflow);
        kills++;
        n = s_instances(s);
        if (n < written)
            midway++; /* killed with events still to apply */
        wfs_start_workflow(s);
    }
    while (written < S_EVENTS) {
        s_batch_t b = {s, written, 50};
        zw_err_t err;
        if (zw_db_tx(s->db, false, s_batch_tx, &b, &err) != 0)
            fail_msg("batch: %s", err.message);
        wfs_relay(s);
        written += 50;
    }
    assert_int_equal(kills, 3);
    assert_true(midway >= 1);
    if (wfs_wait_num(s, S_EVENTS, "SELECT count(*) FROM workflow.instances", NULL) != S_EVENTS) {
        wfs_dump_workflow(s);
        fail_msg("not every acceptance started a process");
    }
    wfs_wait_relayed(s);
    /* once each: one start in every history, one ProcessStarted per receipt */
    assert_int_equal(
        wfs_num(s, "SELECT count(*) FROM workflow.history WHERE action = 'start'", NULL), S_EVENTS);
    assert_int_equal(wfs_num(s,
                             "SELECT count(*) FROM events.log WHERE stream = 'workflow'"
                             " AND type = 'zwfw.v1.ProcessStarted'",
                             NULL),
                     S_EVENTS);
    assert_int_equal(wfs_num(s,
                             "SELECT count(DISTINCT aggregate_id) FROM events.log WHERE stream ="
                             " 'workflow' AND type = 'zwfw.v1.ProcessStarted'",
                             NULL),
                     S_EVENTS);
    assert_int_equal(wfs_num(s,
                             "SELECT last_seq FROM events.cursors WHERE consumer ="
                             " 'workflow.on-intake'",
                             NULL),
                     S_EVENTS);
    wfs_down(s);
}

static void test_kill_with_actions_in_flight(void **state)
{
    (void) state;
    wfs_t *s = wfs_up("zwt_wfk_acts", "2020-09-21T10:00", NULL);
    s_batch_t b = {s, 0, S_ACTS};
    zw_err_t err;
    if (zw_db_tx(s->db, false, s_batch_tx, &b, &err) != 0)
        fail_msg("batch: %s", err.message);
    wfs_relay(s);
    assert_int_equal(wfs_wait_num(s, S_ACTS, "SELECT count(*) FROM workflow.instances", NULL),
                     S_ACTS);
    wfs_clock(s, "2020-09-21T11:00");

    /* every action in flight at once, on a client that gives up fast */
    const char *eps[] = {s->endpoint};
    zw_client_t *c = zw_client_new(s->zctx, eps, 1, &err);
    assert_non_null(c);
    zw_auth_client_t ac;
    memset(&ac, 0, sizeof ac);
    ac.keys = wfs_ids[WFS_APPROVER_MARKET].keys;
    snprintf(ac.server_key, sizeof ac.server_key, "%s", s->broker_keys.public_key);
    assert_int_equal(zw_client_set_curve(c, &ac, &err), 0);
    zw_client_set_timeout(c, 3000);
    zw_client_set_retries(c, 0);
    static char ids[S_ACTS][ZW_CLIENT_ID_LEN];
    static bool acked[S_ACTS];
    for (int i = 0; i < S_ACTS; i++) {
        char receipt[64], key[32];
        snprintf(receipt, sizeof receipt, "500152-20200921-%06d", i + 1);
        snprintf(key, sizeof key, "review-%d", i);
        Zwfw__V1__Act m = ZWFW__V1__ACT__INIT;
        m.idempotency_key = key;
        m.actor = "approver-market";
        m.receipt_number = receipt;
        m.action = "start_review";
        assert_int_equal(zw_client_send_msg(c, "zwfw.workflow", &m.base, ids[i], &err), 0);
    }
    int replies = 0, ok = 0;
    while (replies < 40) {
        zw_client_reply_t *r = zw_client_recv(c, 10000, &err);
        if (!r)
            fail_msg("no reply: %s", err.message);
        replies++;
        for (int i = 0; i < S_ACTS; i++)
            if (strcmp(ids[i], r->request_id) == 0 && r->err.code == ZW_OK) {
                acked[i] = true;
                ok++;
            }
        zw_client_reply_destroy(&r);
    }
    wfs_kill(s, &s->workflow);
    /* what was acknowledged is there; nothing is there twice */
    assert_true(ok >= 30);
    for (int i = 0; i < S_ACTS; i++) {
        if (!acked[i])
            continue;
        char receipt[64];
        snprintf(receipt, sizeof receipt, "500152-20200921-%06d", i + 1);
        assert_int_equal(wfs_num(s,
                                 "SELECT count(*) FROM workflow.history h JOIN workflow.instances"
                                 " i ON i.id = h.instance_id WHERE i.receipt_number = $1"
                                 " AND h.action = 'start_review'",
                                 receipt, NULL),
                         1);
    }
    /* the rest time out on this client */
    while (zw_client_pending(c) > 0) {
        zw_client_reply_t *r = zw_client_recv(c, 20000, &err);
        if (!r)
            break;
        for (int i = 0; i < S_ACTS; i++)
            if (strcmp(ids[i], r->request_id) == 0 && r->err.code == ZW_OK && !acked[i]) {
                acked[i] = true;
                ok++;
            }
        zw_client_reply_destroy(&r);
    }
    zw_client_destroy(&c);

    /* restarted, every action is retried with its key: applied once */
    wfs_start_workflow(s);
    int replayed = 0;
    for (int i = 0; i < S_ACTS; i++) {
        char receipt[64], key[32];
        snprintf(receipt, sizeof receipt, "500152-20200921-%06d", i + 1);
        snprintf(key, sizeof key, "review-%d", i);
        Zwfw__V1__ActReply *r = NULL;
        if (wfs_act_key(s, WFS_APPROVER_MARKET, receipt, "", "start_review", "", key, &r, &err) !=
            ZW_OK)
            fail_msg("retry %d: %s", i, err.message);
        assert_string_equal(r->instance->state, "review");
        if (acked[i])
            assert_true(r->replayed);
        replayed += r->replayed;
        protobuf_c_message_free_unpacked(&r->base, NULL);
    }
    assert_true(replayed >= ok);
    assert_int_equal(
        wfs_num(s, "SELECT count(*) FROM workflow.history WHERE action = 'start_review'", NULL),
        S_ACTS);
    assert_int_equal(wfs_num(s,
                             "SELECT count(*) FROM (SELECT instance_id FROM workflow.history"
                             " WHERE action = 'start_review' GROUP BY instance_id"
                             " HAVING count(*) > 1) d",
                             NULL),
                     0);
    wfs_wait_relayed(s);
    assert_int_equal(wfs_num(s,
                             "SELECT count(*) FROM events.log WHERE stream = 'workflow'"
                             " AND type = 'zwfw.v1.ActionTaken'",
                             NULL),
                     S_ACTS);
    wfs_down(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_while_events_flow),
        cmocka_unit_test(test_kill_with_actions_in_flight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
