/* zwfw-intake killed with SIGKILL every couple of seconds while clients
 * submit applications, each with its own idempotency key and Lazy Pirate
 * retries: afterwards every acknowledged key has exactly one application
 * (with the receipt the client was given), and no key has two.
 *
 * First, on real time: the clock cannot be moved (FAILED_PRECONDITION), and
 * the daemon stops cleanly on SIGTERM. */
#include "intake_harness.h"

#include <pthread.h>
#include <stdatomic.h>

#define DEPT "11500152MB17035173"
#define ITEM_P "500T0200100001-500152000000-000-" DEPT "-1-00"
#define ITEM_I "500T0200100002-500152000000-000-" DEPT "-1-00"
#define CLIENTS 4
#define MAX_PER_CLIENT 4000
#define KILLS 5

static h_stack_t S;
static h_broker_t s_win = {
    .role = "window", .key_id = "win1", .region = "500152", .department = ""};
static h_broker_t s_op = {.role = "operator", .key_id = "op", .region = "500152", .department = ""};
static char s_eps[256];

static const char *s_catalog =
    "{\"idempotencyKey\":\"load-k\",\"actor\":\"op\",\"items\":["
    "{\"basicCode\":\"500T0200100001\",\"implCode\":\"" ITEM_P "\",\"name\":\"承诺件\","
    "\"type\":\"ITEM_TYPE_LICENSING\",\"departmentCode\":\"" DEPT "\","
    "\"departmentName\":\"市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_PROMISED\","
    "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},\"materials\":["
    "{\"code\":\"P1\",\"name\":\"申请表\",\"required\":true,\"copies\":1},"
    "{\"code\":\"P2\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1}]},"
    "{\"basicCode\":\"500T0200100002\",\"implCode\":\"" ITEM_I "\",\"name\":\"即办件\","
    "\"type\":\"ITEM_TYPE_CONFIRMATION\",\"departmentCode\":\"" DEPT "\","
    "\"departmentName\":\"市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"I1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]}]}";

static pid_t s_start_intake(const char *clock_mode)
{
    const char *const extra[] = {"--receipt-block", "5", NULL};
    return h_start_intake(
        &S, s_eps,
        (zwt_intake_opts_t){
            .clock_mode = clock_mode, .threads = 4, .log_level = "warn", .extra = extra});
}

/* ---- clients --------------------------------------------------------------------------- */

typedef struct {
    int index;
    atomic_bool *stop;
    int sent, acked, failed;
    char (*keys)[32];
    char (*receipts)[48];
} s_client_t;

static void *s_client_thread(void *arg)
{
    s_client_t *c = arg;
    zw_client_t *client = h_client(&S, s_win.ep, 1000, 30);
    while (!atomic_load(c->stop) && c->sent < MAX_PER_CLIENT) {
        int i = c->sent++;
        char key[32], first[32], id[19], json[2048];
        snprintf(key, sizeof key, "kill-%d-%d", c->index, i);
        /* birth date 1990-MM-DD, then a serial */
        snprintf(first, sizeof first, "5001521990%02d%02d%03d", 1 + c->index % 12,
                 1 + (i / 1000) % 28, i % 1000);
        first[17] = '\0';
        h_resident_id(first, id);
        bool immediate = i % 3 == 0;
        snprintf(json, sizeof json,
                 "{\"idempotencyKey\":\"%s\",\"actor\":\"clerk\",\"itemCode\":\"%s\","
                 "\"channel\":\"CHANNEL_WINDOW\",\"windowId\":\"W%02d\","
                 "\"applicant\":{\"kind\":\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":"
                 "\"赵六\",\"idType\":\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"%s\"}},"
                 "\"materials\":[{\"materialCode\":\"%s\",\"sha256\":"
                 "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
                 "\"size\":\"10\"}%s]}",
                 key, immediate ? ITEM_I : ITEM_P, c->index, id, immediate ? "I1" : "P1",
                 immediate ? ""
                           : ",{\"materialCode\":\"P2\",\"sha256\":"
                             "\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\","
                             "\"size\":\"20\"}");
        zw_err_t err;
        ProtobufCMessage *req =
            zw_wire_from_json_named("zwfw.v1.SubmitApplication", json, strlen(json), &err);
        ProtobufCMessage *reply = NULL;
        if (req && zw_client_call(client, "zwfw.intake", req, &reply, &err) == 0) {
            Zwfw__V1__SubmitApplicationReply *r = (void *) reply;
            snprintf(c->keys[c->acked], 32, "%s", key);
            snprintf(c->receipts[c->acked], 48, "%s", r->application->receipt_number);
            c->acked++;
            protobuf_c_message_free_unpacked(reply, NULL);
        } else {
            c->failed++;
            /* a new client: a request given up must not keep the old socket */
            zw_client_destroy(&client);
            client = h_client(&S, s_win.ep, 1000, 30);
        }
        if (req)
            protobuf_c_message_free_unpacked(req, NULL);
    }
    zw_client_destroy(&client);
    return NULL;
}

/* ---- the test ---------------------------------------------------------------------------- */

static void test_real_clock_cannot_move(void **state)
{
    (void) state;
    pid_t intake = s_start_intake("real");
    h_wait_service(&S, s_op.ep, "zwfw.clock");
    Zwfw__V1__GetClock get = ZWFW__V1__GET_CLOCK__INIT;
    Zwfw__V1__ClockReply *c = (Zwfw__V1__ClockReply *) h_ok(s_op.client, "zwfw.clock", &get.base);
    assert_false(c->simulated);
    int64_t now_us = h_ts_us(c->now);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    assert_true(llabs(now_us / 1000000 - (int64_t) ts.tv_sec) < 60);
    protobuf_c_message_free_unpacked(&c->base, NULL);
    ProtobufCMessage *set = h_json("zwfw.v1.SetClock", "{\"idempotencyKey\":\"s1\",\"actor\":"
                                                       "\"op\",\"to\":\"2030-01-01T09:00:00Z\"}");
    h_fails(s_op.client, "zwfw.clock", set, ZW_FAILED_PRECONDITION, NULL);
    protobuf_c_message_free_unpacked(set, NULL);
    Zwfw__V1__AdvanceClock adv = ZWFW__V1__ADVANCE_CLOCK__INIT;
    adv.idempotency_key = "a1";
    adv.actor = "op";
    adv.workdays = 1;
    h_fails(s_op.client, "zwfw.clock", &adv.base, ZW_FAILED_PRECONDITION, NULL);
    h_stop(&S, intake); /* drains and exits 0 (and without leaks under ASan) */
}

static void test_sigkill_under_load(void **state)
{
    (void) state;
    pid_t intake = s_start_intake("simulated");
    h_wait_service(&S, s_op.ep, "zwfw.clock");
    h_set_clock(s_op.client, "2020-10-09T10:00:00+08:00");
    ProtobufCMessage *r =
        h_json_call(s_op.client, "zwfw.catalog", "zwfw.v1.LoadCatalog", s_catalog);
    protobuf_c_message_free_unpacked(r, NULL);
    h_wait_service(&S, s_win.ep, "zwfw.intake");

    atomic_bool stop = false;
    s_client_t clients[CLIENTS];
    pthread_t threads[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        clients[i] = (s_client_t){.index = i, .stop = &stop};
        clients[i].keys = calloc(MAX_PER_CLIENT, 32);
        clients[i].receipts = calloc(MAX_PER_CLIENT, 48);
        pthread_create(&threads[i], NULL, s_client_thread, &clients[i]);
    }
    /* Kill it while it works: once the restarted daemon has committed some
     * more applications, a little later (mid-request, most likely), then
     * start it again; a few times. */
    for (int k = 0; k < KILLS; k++) {
        long before = h_sql_long(&S, "SELECT count(*) FROM intake.applications");
        int64_t until = h_now_ms() + 15000;
        while (h_now_ms() < until &&
               h_sql_long(&S, "SELECT count(*) FROM intake.applications") < before + 20)
            h_nap(20);
        assert_true(h_sql_long(&S, "SELECT count(*) FROM intake.applications") >= before + 20);
        h_nap(100 + 170 * (k % 3));
        h_kill(&S, intake);
        h_nap(50 + 100 * (k % 2));
        intake = s_start_intake("simulated");
    }
    h_nap(2000);
    atomic_store(&stop, true);
    int acked = 0, failed = 0, sent = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(threads[i], NULL);
        acked += clients[i].acked;
        failed += clients[i].failed;
        sent += clients[i].sent;
    }
    fprintf(stderr, "%d sent, %d acknowledged, %d given up, %d kills\n", sent, acked, failed,
            KILLS);
    assert_true(acked > 50);
    assert_true(failed * 10 < sent); /* retries carried nearly everything through */

    /* every acknowledged key: exactly one application, the receipt given */
    for (int i = 0; i < CLIENTS; i++)
        for (int j = 0; j < clients[i].acked; j++) {
            char sql[512], out[64];
            snprintf(sql, sizeof sql,
                     "SELECT r.receipt_number FROM intake.requests r JOIN intake.applications a"
                     " USING (receipt_number) WHERE r.caller = 'win1' AND r.idempotency_key = '%s'",
                     clients[i].keys[j]);
            h_sql(&S, sql, out, sizeof out);
            if (strcmp(out, clients[i].receipts[j]) != 0)
                fprintf(stderr, "key %s: acknowledged %s, stored '%s'\n", clients[i].keys[j],
                        clients[i].receipts[j], out);
            assert_string_equal(out, clients[i].receipts[j]);
        }
    /* no key made two applications, no application without its key */
    long apps = h_sql_long(&S, "SELECT count(*) FROM intake.applications");
    long keys = h_sql_long(&S, "SELECT count(*) FROM intake.requests WHERE kind = 'submit'");
    assert_int_equal(apps, keys);
    assert_int_equal(h_sql_long(&S, "SELECT count(DISTINCT receipt_number) FROM intake.requests"
                                    " WHERE kind = 'submit'"),
                     keys);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.applications a WHERE NOT EXISTS"
                                    " (SELECT 1 FROM intake.history h WHERE h.receipt_number ="
                                    " a.receipt_number AND h.state = 1)"),
                     0);
    assert_true(keys >= acked && keys <= sent);
    /* receipt numbers may skip (blocks of a killed daemon), never repeat */
    assert_int_equal(h_sql_long(&S, "SELECT count(*) - count(DISTINCT receipt_number) FROM"
                                    " intake.applications"),
                     0);
    for (int i = 0; i < CLIENTS; i++) {
        free(clients[i].keys);
        free(clients[i].receipts);
    }
    h_stop(&S, intake);
}

static int s_setup(void **state)
{
    (void) state;
    h_stack_init(&S, "zwfw_test_intake_kill");
    h_start_broker(&S, &s_win);
    h_start_broker(&S, &s_op);
    snprintf(s_eps, sizeof s_eps, "%s,%s", s_win.ep, s_op.ep);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    zw_client_destroy(&s_win.client);
    zw_client_destroy(&s_op.client);
    h_stop(&S, s_win.pid);
    h_stop(&S, s_op.pid);
    h_stack_free(&S);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_clock_cannot_move),
        cmocka_unit_test(test_sigkill_under_load),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
