/* zwfw-intake through the broker: real zwfw-broker processes (plain mode,
 * one per caller identity: operator, two windows of different centers, an
 * integrator, a supervisor, approvers of two departments) and one
 * zwfw-intake on a fresh database with the simulated clock.
 *
 * The tests run in order on one business timeline (the clock only moves
 * forward): Monday 2020-09-28 10:00 -> Tuesday 09-29 -> Wednesday 09-30
 * 16:00 (the eve of the National Day holiday, Oct 1-8; Saturday Oct 10 is
 * a working day) -> 10-12 -> 10-13. Every outcome of a submission, every
 * validation error, roles, idempotency (also 8 concurrent copies of one
 * key), bundles, materials on file, withdrawal, the 5-working-day rule, the
 * change feed, and finally that no ID number is in clear in the database
 * or the daemon's log. */
#include "intake_harness.h"

#include <cjson/cJSON.h>
#include <ctype.h>

#include <pthread.h>

#define DEPT1 "11500152MB17035173"
#define DEPT2 "11500152MB1700340F"
#define CODE(basic, dept) basic "-500152000000-000-" dept "-1-00"
#define ITEM_P CODE("500T0100100001", DEPT1) /* 承诺件, 5 working days */
#define ITEM_I CODE("500T0100100002", DEPT1) /* 即办件 */
#define ITEM_H CODE("500T0100100003", DEPT2) /* 承诺件, 4 hours */
#define ITEM_R CODE("500T0100100004", DEPT2) /* asks for the same ID proof as P */
#define ITEM_X CODE("500T0100100005", DEPT1) /* to be cancelled */
#define BUNDLE "T-BUNDLE"
#define STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x
#define NOTICE(x) ZWFW__V1__NOTICE_KIND__NOTICE_KIND_##x

enum { B_OP, B_WIN, B_WIN2, B_INTEG, B_SUP, B_APPR1, B_APPR2, B_HEAD1, B_COUNT };

static h_stack_t S;
static h_broker_t s_brokers[B_COUNT] = {
    {.role = "operator", .key_id = "op", .region = "500152", .department = ""},
    {.role = "window", .key_id = "win1", .region = "500152", .department = ""},
    {.role = "window", .key_id = "win2", .region = "511402", .department = ""},
    {.role = "integrator", .key_id = "sys-a", .region = "500152", .department = ""},
    {.role = "supervisor", .key_id = "sup1", .region = "500152", .department = ""},
    {.role = "approver", .key_id = "appr1", .region = "500152", .department = DEPT1},
    {.role = "approver", .key_id = "appr2", .region = "500152", .department = DEPT2},
    {.role = "head", .key_id = "head1", .region = "500152", .department = DEPT1},
};
static pid_t s_intake;
static char s_intake_log[300];

/* every ID and phone number the tests hand in, for the search at the end */
static char s_ids[64][19];
static int s_nids;
static char s_phones[64][16];
static int s_nphones;

/* receive-only applications, decided on later days */
static char s_unnoticed[48], s_reviewed[48];

#define C(b) (s_brokers[b].client)

static const char *s_catalog_json =
    "{\"idempotencyKey\":\"load-1\",\"actor\":\"op\",\"items\":["
    "{\"basicCode\":\"500T0100100001\",\"implCode\":\"" ITEM_P "\",\"name\":\"测试承诺件\","
    "\"type\":\"ITEM_TYPE_LICENSING\",\"departmentCode\":\"" DEPT1 "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_PROMISED\","
    "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},\"materials\":["
    "{\"code\":\"P1\",\"name\":\"申请表\",\"required\":true,\"copies\":1},"
    "{\"code\":\"P2\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1},"
    "{\"code\":\"P3\",\"name\":\"住所使用证明\",\"required\":true,\"waivable\":true,\"copies\":1},"
    "{\"code\":\"P4\",\"name\":\"近期免冠照片\",\"copies\":1}]},"
    "{\"basicCode\":\"500T0100100002\",\"implCode\":\"" ITEM_I "\",\"name\":\"测试即办件\","
    "\"type\":\"ITEM_TYPE_CONFIRMATION\",\"departmentCode\":\"" DEPT1 "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":2,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"I1\",\"name\":\"申请表\",\"required\":true,\"copies\":1},"
    "{\"code\":\"I2\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1}]},"
    "{\"basicCode\":\"500T0100100003\",\"implCode\":\"" ITEM_H "\",\"name\":\"四小时承诺件\","
    "\"type\":\"ITEM_TYPE_PUBLIC_SERVICE\",\"departmentCode\":\"" DEPT2 "\","
    "\"departmentName\":\"潼南区人力社保局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_PROMISED\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":4,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"H1\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1}]},"
    "{\"basicCode\":\"500T0100100004\",\"implCode\":\"" ITEM_R "\",\"name\":\"复用材料事项\","
    "\"type\":\"ITEM_TYPE_PUBLIC_SERVICE\",\"departmentCode\":\"" DEPT2 "\","
    "\"departmentName\":\"潼南区人力社保局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_PROMISED\","
    "\"statutoryLimit\":{\"amount\":10,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":3,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},\"materials\":["
    "{\"code\":\"R1\",\"name\":\"申请表\",\"required\":true,\"copies\":1},"
    "{\"code\":\"R2\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1}]},"
    "{\"basicCode\":\"500T0100100005\",\"implCode\":\"" ITEM_X "\",\"name\":\"将取消事项\","
    "\"type\":\"ITEM_TYPE_CONFIRMATION\",\"departmentCode\":\"" DEPT1 "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"X1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]}],"
    "\"bundles\":[{\"code\":\"" BUNDLE "\",\"name\":\"测试一件事\",\"itemCodes\":[\"" ITEM_I
    "\",\"" ITEM_P "\"]}]}";

/* ---- test data ----------------------------------------------------------------------- */

static const char *s_new_id(void)
{
    char first[32];
    snprintf(first, sizeof first, "500152198805%05d", (1000 + s_nids * 7) % 100000);
    first[17] = '\0';
    h_resident_id(first, s_ids[s_nids]);
    return s_ids[s_nids++];
}

static const char *s_new_phone(void)
{
    snprintf(s_phones[s_nphones], sizeof s_phones[0], "1391234%04d",
             (2000 + s_nphones * 13) % 10000);
    return s_phones[s_nphones++];
}

typedef struct {
    const char *key, *item, *bundle, *name, *id, *phone, *mats, *commit;
    const char *channel, *window, *kind, *id_type, *extra;
    bool receive_only;
} s_sub_t;

/* The JSON of a SubmitApplication (mats and commit: comma-separated codes). */
static char *s_submit_json(const s_sub_t *x)
{
    static char buf[16384];
    char mats[8192], commit[512] = "";
    h_material_refs(mats, sizeof mats, x->mats, 0);
    if (x->commit) {
        char c[256], items[256] = "";
        snprintf(c, sizeof c, "%s", x->commit);
        for (char *save = NULL, *tok = strtok_r(c, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            size_t used = strlen(items);
            snprintf(items + used, sizeof items - used, "%s\"%s\"", used ? "," : "", tok);
        }
        snprintf(commit, sizeof commit, ",\"commitment\":{\"signed\":true,\"materialCodes\":[%s]}",
                 items);
    }
    snprintf(buf, sizeof buf,
             "{\"idempotencyKey\":\"%s\",\"actor\":\"clerk-01\",\"%s\":\"%s\","
             "\"channel\":\"%s\",\"windowId\":\"%s\",\"applicant\":{\"kind\":\"%s\","
             "\"identity\":{\"name\":\"%s\",\"idType\":\"%s\",\"idNumber\":\"%s\"},"
             "\"phone\":\"%s\",\"address\":\"重庆市潼南区梓潼街道\"},\"materials\":[%s]%s%s%s}",
             x->key, x->bundle ? "bundleCode" : "itemCode", x->bundle ? x->bundle : x->item,
             x->channel ? x->channel : "CHANNEL_WINDOW", x->window ? x->window : "W01",
             x->kind ? x->kind : "APPLICANT_KIND_PERSON", x->name ? x->name : "王五",
             x->id_type ? x->id_type : "ID_TYPE_RESIDENT_ID", x->id, x->phone ? x->phone : "", mats,
             commit, x->receive_only ? ",\"receiveOnly\":true" : "", x->extra ? x->extra : "");
    return buf;
}

static Zwfw__V1__SubmitApplicationReply *s_submit(zw_client_t *c, const s_sub_t *x)
{
    return (Zwfw__V1__SubmitApplicationReply *) h_json_call(
        c, "zwfw.intake", "zwfw.v1.SubmitApplication", s_submit_json(x));
}

static void s_submit_fails(zw_client_t *c, const s_sub_t *x, zw_code_t code, const char *detail)
{
    ProtobufCMessage *req = h_json("zwfw.v1.SubmitApplication", s_submit_json(x));
    h_fails(c, "zwfw.intake", req, code, detail);
    protobuf_c_message_free_unpacked(req, NULL);
}

/* The JSON of a SupplementMaterials at a window: refs (MaterialRef JSON
 * objects, comma-separated) for receipt, with idempotency key `key`. */
static const char *s_supplement_json(const char *key, const char *receipt, const char *refs)
{
    static char json[4096];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"%s\",\"actor\":\"clerk\",\"receiptNumber\":\"%s\","
             "\"materials\":[%s]}",
             key, receipt, refs);
    return json;
}

/* SupplementMaterials at a window: one material `code` (salt makes its
 * hash) for receipt, with idempotency key `key`. */
static Zwfw__V1__ApplicationReply *s_supplement(const char *key, const char *receipt,
                                                const char *code, int salt)
{
    char ref[512];
    h_material_ref(ref, sizeof ref, code, salt);
    return (Zwfw__V1__ApplicationReply *) h_json_call(C(B_WIN), "zwfw.intake",
                                                      "zwfw.v1.SupplementMaterials",
                                                      s_supplement_json(key, receipt, ref));
}

static Zwfw__V1__ApplicationReply *s_get(zw_client_t *c, const char *receipt)
{
    char json[128];
    snprintf(json, sizeof json, "{\"receiptNumber\":\"%s\"}", receipt);
    return (Zwfw__V1__ApplicationReply *) h_json_call(c, "zwfw.intake", "zwfw.v1.GetApplication",
                                                      json);
}

static void s_free(void *m)
{
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
}

static bool s_history_is(const Zwfw__V1__Application *a, const int *states, size_t n)
{
    if (a->n_history != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((int) a->history[i]->state != states[i])
            return false;
    return true;
}

static bool s_has_material(const Zwfw__V1__Application *a, const char *code)
{
    for (size_t i = 0; i < a->n_materials; i++)
        if (strcmp(a->materials[i]->material_code, code) == 0)
            return true;
    return false;
}

static bool s_missing_has(const Zwfw__V1__Notice *n, const char *code)
{
    for (size_t i = 0; n && i < n->n_missing; i++)
        if (strcmp(n->missing[i]->code, code) == 0)
            return true;
    return false;
}

/* Waits until events.log holds `count` events of type for receipt. */
static void s_wait_events(const char *receipt, const char *type, long count)
{
    int64_t until = h_now_ms() + 10000;
    long n = 0;
    while (h_now_ms() < until) {
        n = h_sql_long(&S,
                       "SELECT count(*) FROM events.log WHERE stream = 'intake'"
                       " AND aggregate_id = '%s' AND type = '%s'",
                       receipt, type);
        if (n >= count)
            break;
        h_nap(30);
    }
    if (n != count)
        fprintf(stderr, "%s: %ld events %s, expected %ld\n", receipt, n, type, count);
    assert_int_equal(n, count);
}

/* ---- setup ---------------------------------------------------------------------------- */

static int s_setup(void **state)
{
    (void) state;
    h_stack_init(&S, "zwfw_test_intake");
    char eps[1024];
    h_start_brokers(&S, s_brokers, B_COUNT, eps, sizeof eps);
    /* receipt blocks of 4: every few submissions hand over to a new block */
    const char *const extra[] = {"--sweep-ms", "200", "--receipt-block", "4", NULL};
    s_intake = h_start_intake(
        &S, eps,
        (zwt_intake_opts_t){
            .clock_mode = "simulated", .threads = 4, .log_level = "debug", .extra = extra});
    snprintf(s_intake_log, sizeof s_intake_log, "%s", h_find(&S, s_intake)->log);
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.clock");
    h_wait_service(&S, s_brokers[B_OP].ep, "zwfw.catalog");
    h_wait_service(&S, s_brokers[B_WIN].ep, "zwfw.intake");
    h_set_clock(C(B_OP), "2020-09-28T10:00:00+08:00");
    ProtobufCMessage *r =
        h_json_call(C(B_OP), "zwfw.catalog", "zwfw.v1.LoadCatalog", s_catalog_json);
    s_free(r);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    for (int i = 0; i < B_COUNT; i++)
        zw_client_destroy(&s_brokers[i].client);
    h_stop(&S, s_intake); /* unless a test stopped it */
    for (int i = 0; i < B_COUNT; i++)
        h_stop(&S, s_brokers[i].pid);
    h_stack_free(&S);
    return 0;
}

/* ---- validation ------------------------------------------------------------------------- */

static void test_validation_errors(void **state)
{
    (void) state;
    long apps = h_sql_long(&S, "SELECT count(*) FROM intake.applications");
    const char *id = s_new_id();
    char bad[19];
    strcpy(bad, id);
    bad[17] = id[17] == '1' ? '2' : '1';
    s_sub_t x = {.key = "v-1", .item = ITEM_P, .id = bad, .mats = "P1,P2,P3"};
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "applicant.identity.id_number");
    x.id = id;
    /* NOT_FOUND names the request's field, not the catalog's (impl_code) */
    x.item = CODE("500T0100109999", DEPT1);
    s_submit_fails(C(B_WIN), &x, ZW_NOT_FOUND, "item_code");
    x.item = NULL;
    x.bundle = "NO-SUCH-BUNDLE";
    s_submit_fails(C(B_WIN), &x, ZW_NOT_FOUND, "bundle_code");
    x.bundle = NULL;
    x.item = "";
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "item_code");
    x.item = ITEM_P;
    x.key = "";
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "idempotency_key");
    x.key = "v-1";
    static char long_name[400];
    long_name[0] = '\0';
    for (int i = 0; i < 101; i++)
        strcat(long_name, "张");
    x.name = long_name;
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "applicant.identity.name");
    x.name = NULL;
    x.channel = "CHANNEL_UNSPECIFIED";
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "channel");
    x.channel = "CHANNEL_OTHER_SYSTEM";
    s_submit_fails(C(B_WIN), &x, ZW_PERMISSION_DENIED, "channel");
    x.channel = "CHANNEL_WINDOW";
    x.window = "";
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "window_id");
    x.window = NULL;
    x.kind = "APPLICANT_KIND_ORGANIZATION";
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "applicant.identity.id_type");
    x.kind = NULL;
    x.phone = "not-a-phone";
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "applicant.phone");
    x.phone = NULL;
    x.mats = "P1";
    Zwfw__V1__SubmitApplication *m =
        (Zwfw__V1__SubmitApplication *) h_json("zwfw.v1.SubmitApplication", s_submit_json(&x));
    char *sha = m->materials[0]->sha256;
    m->materials[0]->sha256 = "abc";
    h_fails(C(B_WIN), "zwfw.intake", &m->base, ZW_INVALID_ARGUMENT, "materials[0].sha256");
    m->materials[0]->sha256 = sha;
    m->materials[0]->size = -5;
    h_fails(C(B_WIN), "zwfw.intake", &m->base, ZW_INVALID_ARGUMENT, "materials[0].size");
    m->materials[0]->size = 5;
    /* oversize: an address of 700 bytes, 101 material references */
    char addr[800];
    memset(addr, 'x', 700);
    addr[700] = '\0';
    char *saved = m->applicant->address;
    m->applicant->address = addr;
    h_fails(C(B_WIN), "zwfw.intake", &m->base, ZW_INVALID_ARGUMENT, "applicant.address");
    m->applicant->address = saved;
    Zwfw__V1__MaterialRef **saved_m = m->materials;
    size_t saved_n = m->n_materials;
    Zwfw__V1__MaterialRef *many[101];
    for (int i = 0; i < 101; i++)
        many[i] = saved_m[0];
    m->materials = many;
    m->n_materials = 101;
    h_fails(C(B_WIN), "zwfw.intake", &m->base, ZW_INVALID_ARGUMENT, "materials");
    m->materials = saved_m;
    m->n_materials = saved_n;
    Zwfw__V1__Applicant *who = m->applicant;
    m->applicant = NULL;
    h_fails(C(B_WIN), "zwfw.intake", &m->base, ZW_INVALID_ARGUMENT, "applicant");
    m->applicant = who;
    s_free(m);

    /* a type the service does not serve (another service's, or none at
     * all): UNIMPLEMENTED naming "type", alike from all three services */
    Zwfw__V1__GetClock gc = ZWFW__V1__GET_CLOCK__INIT;
    h_fails(C(B_WIN), "zwfw.intake", &gc.base, ZW_UNIMPLEMENTED, "type");
    h_fails(C(B_WIN), "zwfw.catalog", &gc.base, ZW_UNIMPLEMENTED, "type");
    Zwfw__V1__GetApplication ga = ZWFW__V1__GET_APPLICATION__INIT;
    h_fails(C(B_WIN), "zwfw.clock", &ga.base, ZW_UNIMPLEMENTED, "type");
    const char *services[] = {"zwfw.intake", "zwfw.catalog", "zwfw.clock"};
    for (size_t i = 0; i < 3; i++) {
        char id[ZW_CLIENT_ID_LEN];
        zw_err_t err;
        assert_int_equal(
            zw_client_send(C(B_WIN), services[i], "zwfw.v1.NoSuchRequest", "", 0, id, &err), 0);
        zw_client_reply_t *reply = zw_client_wait(C(B_WIN), id, &err);
        assert_non_null(reply);
        assert_int_equal(reply->err.code, ZW_UNIMPLEMENTED);
        assert_string_equal(reply->err.detail, "type");
        assert_non_null(strstr(reply->err.message, services[i]));
        zw_client_reply_destroy(&reply);
    }

    /* a receipt that is not one */
    Zwfw__V1__GetApplication get = ZWFW__V1__GET_APPLICATION__INIT;
    get.receipt_number = "1' OR '1'='1";
    h_fails(C(B_WIN), "zwfw.intake", &get.base, ZW_INVALID_ARGUMENT, "receipt_number");
    get.receipt_number = "500152-20200928-999999";
    h_fails(C(B_WIN), "zwfw.intake", &get.base, ZW_NOT_FOUND, NULL);

    /* nothing was stored, not even an idempotency record */
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.applications"), apps);
    assert_int_equal(
        h_sql_long(&S, "SELECT count(*) FROM intake.requests WHERE idempotency_key = 'v-1'"), 0);
}

/* ---- roles -------------------------------------------------------------------------------- */

static void test_roles(void **state)
{
    (void) state;
    const char *id = s_new_id(), *phone = s_new_phone();
    s_sub_t x = {.key = "r-1", .item = ITEM_P, .id = id, .phone = phone, .mats = "P1,P2,P3"};
    /* operator and supervisor may not submit */
    s_submit_fails(C(B_OP), &x, ZW_PERMISSION_DENIED, "role");
    s_submit_fails(C(B_SUP), &x, ZW_PERMISSION_DENIED, "role");
    /* an integrator submits for its own channel only */
    s_submit_fails(C(B_INTEG), &x, ZW_PERMISSION_DENIED, "channel");
    x.channel = "CHANNEL_OTHER_SYSTEM";
    x.window = "";
    x.key = "r-integ";
    Zwfw__V1__SubmitApplicationReply *ri = s_submit(C(B_INTEG), &x);
    assert_int_equal(ri->application->state, STATE(ACCEPTED));
    assert_string_equal(ri->application->submitted_by, "sys-a");
    /* ... and sees what it submitted, masked */
    Zwfw__V1__ApplicationReply *g = s_get(C(B_INTEG), ri->application->receipt_number);
    assert_string_not_equal(g->application->applicant->identity->id_number, id);
    assert_non_null(strstr(g->application->applicant->identity->id_number, "****"));
    s_free(g);

    x.channel = NULL;
    x.window = NULL;
    x.key = "r-win";
    Zwfw__V1__SubmitApplicationReply *rw = s_submit(C(B_WIN), &x);
    const char *receipt = rw->application->receipt_number;
    /* the window shows the ID in clear; the notice is masked anyway */
    assert_string_equal(rw->application->applicant->identity->id_number, id);
    assert_string_equal(rw->application->applicant->phone, phone);
    assert_string_not_equal(rw->notice->applicant_id_masked, id);
    /* approver of the item's department: in clear; of another: refused */
    g = s_get(C(B_APPR1), receipt);
    assert_string_equal(g->application->applicant->identity->id_number, id);
    s_free(g);
    Zwfw__V1__GetApplication get = ZWFW__V1__GET_APPLICATION__INIT;
    get.receipt_number = (char *) receipt;
    h_fails(C(B_APPR2), "zwfw.intake", &get.base, ZW_PERMISSION_DENIED, "department");
    /* another center's window: refused; supervisor: masked */
    h_fails(C(B_WIN2), "zwfw.intake", &get.base, ZW_PERMISSION_DENIED, "region");
    g = s_get(C(B_SUP), receipt);
    assert_string_not_equal(g->application->applicant->identity->id_number, id);
    assert_string_not_equal(g->application->applicant->phone, phone);
    s_free(g);
    /* the integrator may not read what a window submitted, nor an operator */
    h_fails(C(B_INTEG), "zwfw.intake", &get.base, ZW_PERMISSION_DENIED, "submitter");
    h_fails(C(B_OP), "zwfw.intake", &get.base, ZW_PERMISSION_DENIED, "role");
    /* only operators move the clock or change the credit list; never back */
    Zwfw__V1__AdvanceClock adv = ZWFW__V1__ADVANCE_CLOCK__INIT;
    adv.idempotency_key = "adv-w";
    adv.actor = "clerk";
    adv.seconds = 60;
    h_fails(C(B_WIN), "zwfw.clock", &adv.base, ZW_PERMISSION_DENIED, "role");
    ProtobufCMessage *back =
        h_json("zwfw.v1.SetClock", "{\"idempotencyKey\":\"back\","
                                   "\"actor\":\"op\",\"to\":\"2020-01-01T00:00:00+08:00\"}");
    h_fails(C(B_OP), "zwfw.clock", back, ZW_FAILED_PRECONDITION, NULL);
    s_free(back);
    Zwfw__V1__GetClock gc = ZWFW__V1__GET_CLOCK__INIT;
    Zwfw__V1__ClockReply *clock = (Zwfw__V1__ClockReply *) h_ok(C(B_SUP), "zwfw.clock", &gc.base);
    assert_true(clock->simulated);
    assert_true(h_ts_us(clock->now) == h_parse_us("2020-09-28T10:00:00+08:00"));
    assert_true(clock->workday);
    s_free(clock);
    char json[256];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"cl-w\",\"actor\":\"clerk\",\"idType\":\"ID_TYPE_RESIDENT_ID\","
             "\"idNumber\":\"%s\",\"reason\":\"x\"}",
             id);
    ProtobufCMessage *cl = h_json("zwfw.v1.PutCreditListEntry", json);
    h_fails(C(B_WIN), "zwfw.intake", cl, ZW_PERMISSION_DENIED, "role");
    s_free(cl);
    s_free(rw);
    s_free(ri);
}

/* ---- actors --------------------------------------------------------------------------- */

/* Actors are people's names: protocol.md's own example "portal:张三" is
 * accepted as written by every service, stored and shown verbatim; text
 * that would break a line or hide in blanks is refused with detail
 * "actor", and the log still escapes what it writes. */
static void test_actor_text(void **state)
{
    (void) state;
    long apps = h_sql_long(&S, "SELECT count(*) FROM intake.applications");
    s_sub_t x = {.key = "act-1",
                 .item = ITEM_P,
                 .id = s_new_id(),
                 .mats = "P1,P2,P3",
                 .channel = "CHANNEL_OTHER_SYSTEM",
                 .window = ""};
    Zwfw__V1__SubmitApplication *m =
        (Zwfw__V1__SubmitApplication *) h_json("zwfw.v1.SubmitApplication", s_submit_json(&x));
    char *saved_actor = m->actor, *saved_key = m->idempotency_key;
    static char too_long[400];
    too_long[0] = '\0';
    for (int i = 0; i < 65; i++)
        strcat(too_long, "张");
    static char wide[400]; /* 64 characters of 4 bytes: 256 bytes, past the audit's 200 */
    wide[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(wide, "\xf0\xa0\x80\x80"); /* U+20000, CJK Extension B */
    const char *bad[] = {"",
                         "portal:\n张三",
                         "portal:张三\r",
                         "tab\there",
                         "del\x7f",
                         "c1:\xc2\x85",           /* U+0085 NEXT LINE */
                         "ls:\xe2\x80\xa8",       /* U+2028 LINE SEPARATOR */
                         " 张三",                 /* leading space */
                         "张三 ",                 /* trailing space */
                         "\xe3\x80\x80张三",      /* leading U+3000 ideographic space */
                         "bad\xff",               /* not UTF-8 */
                         "cut\xe5\xbc",           /* a character cut short */
                         "over\xc0\xaf",          /* overlong '/' */
                         "surrogate\xed\xa0\x80", /* U+D800 */
                         too_long,
                         wide};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m->actor = (char *) bad[i];
        h_fails(C(B_INTEG), "zwfw.intake", &m->base, ZW_INVALID_ARGUMENT, "actor");
    }
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.applications"), apps);

    /* the example of protocol.md, as written */
    m->actor = "portal:张三";
    Zwfw__V1__SubmitApplicationReply *r =
        (Zwfw__V1__SubmitApplicationReply *) h_ok(C(B_INTEG), "zwfw.intake", &m->base);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    assert_true(r->application->n_history >= 2);
    for (size_t i = 0; i < r->application->n_history; i++)
        assert_string_equal(r->application->history[i]->actor, "portal:张三");
    Zwfw__V1__ApplicationReply *g = s_get(C(B_INTEG), r->application->receipt_number);
    for (size_t i = 0; i < g->application->n_history; i++)
        assert_string_equal(g->application->history[i]->actor, "portal:张三");
    s_free(g);
    s_free(r);
    /* 64 characters, inner spaces, quotes and a backslash are fine */
    static char longest[400];
    longest[0] = '\0';
    for (int i = 0; i < 64; i++)
        strcat(longest, "张");
    const char *good[] = {longest, "窗口 07 \"李四\" \\ O'Brien", "𠀀明"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char key[32];
        snprintf(key, sizeof key, "act-ok-%zu", i);
        m->idempotency_key = key;
        m->actor = (char *) good[i];
        r = (Zwfw__V1__SubmitApplicationReply *) h_ok(C(B_INTEG), "zwfw.intake", &m->base);
        assert_string_equal(r->application->history[0]->actor, good[i]);
        s_free(r);
    }
    m->actor = saved_actor;
    m->idempotency_key = saved_key;
    s_free(m);

    /* the catalog checks actors the same way */
    Zwfw__V1__LoadCatalog *load =
        (Zwfw__V1__LoadCatalog *) h_json("zwfw.v1.LoadCatalog", s_catalog_json);
    saved_actor = load->actor;
    saved_key = load->idempotency_key;
    load->idempotency_key = "act-load";
    load->actor = "运维\n赵六";
    h_fails(C(B_OP), "zwfw.catalog", &load->base, ZW_INVALID_ARGUMENT, "actor");
    load->actor = "运维 赵六 ";
    h_fails(C(B_OP), "zwfw.catalog", &load->base, ZW_INVALID_ARGUMENT, "actor");
    load->actor = "运维:赵六";
    Zwfw__V1__LoadCatalogReply *lr =
        (Zwfw__V1__LoadCatalogReply *) h_ok(C(B_OP), "zwfw.catalog", &load->base);
    assert_int_equal(lr->unchanged, 6); /* 5 items and the bundle */
    s_free(lr);
    load->actor = saved_actor;
    load->idempotency_key = saved_key;
    s_free(load);

    /* ... and the clock, whose log line and audit row carry the actor */
    Zwfw__V1__GetClock gc = ZWFW__V1__GET_CLOCK__INIT;
    Zwfw__V1__ClockReply *now = (Zwfw__V1__ClockReply *) h_ok(C(B_OP), "zwfw.clock", &gc.base);
    Zwfw__V1__SetClock set = ZWFW__V1__SET_CLOCK__INIT;
    set.idempotency_key = "act-clock";
    set.to = now->now;
    set.actor = "值班\t王五";
    h_fails(C(B_OP), "zwfw.clock", &set.base, ZW_INVALID_ARGUMENT, "actor");
    const char *odd = "值班:\"王\\五\"";
    set.actor = (char *) odd;
    Zwfw__V1__ClockReply *moved = (Zwfw__V1__ClockReply *) h_ok(C(B_OP), "zwfw.clock", &set.base);
    assert_true(h_ts_us(moved->now) == h_ts_us(now->now));
    s_free(moved);
    s_free(now);
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM (SELECT actor FROM audit.pending UNION ALL"
                                " SELECT actor FROM audit.log) a WHERE actor = '%s'",
                                odd),
                     1);
    /* the log line is JSON with the actor escaped, and reads back as sent */
    FILE *f = fopen(s_intake_log, "r");
    assert_non_null(f);
    char line[8192];
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, "business clock moved") && strstr(line, "值班")) {
            cJSON *j = cJSON_Parse(line);
            assert_non_null(j);
            const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "actor");
            assert_true(cJSON_IsString(a));
            assert_string_equal(a->valuestring, odd);
            cJSON_Delete(j);
            found++;
        }
    fclose(f);
    assert_int_equal(found, 1);
    assert_true(h_file_has(s_intake_log, "\"actor\":\"值班:\\\"王\\\\五\\\"\""));
}

/* ---- receive only (kiosk, online) ------------------------------------------------------- */

static void test_receive_only(void **state)
{
    (void) state;
    /* Monday 09-28 10:00: two kiosk submissions recorded without a check */
    s_sub_t x = {.key = "ro-1",
                 .item = ITEM_P,
                 .id = s_new_id(),
                 .mats = "P1",
                 .channel = "CHANNEL_KIOSK",
                 .window = "K07",
                 .receive_only = true};
    Zwfw__V1__SubmitApplicationReply *a = s_submit(C(B_WIN), &x);
    assert_int_equal(a->application->state, STATE(RECEIVED));
    assert_int_equal(a->notice->kind, NOTICE(RECEIVED));
    assert_null(a->application->notice_given_at);
    assert_true(a->application->receive_only);
    snprintf(s_unnoticed, sizeof s_unnoticed, "%s", a->application->receipt_number);
    x.key = "ro-2";
    x.id = s_new_id();
    Zwfw__V1__SubmitApplicationReply *b = s_submit(C(B_WIN), &x);
    snprintf(s_reviewed, sizeof s_reviewed, "%s", b->application->receipt_number);
    /* a window reviews the second the same day: the one-time notice */
    char json[256];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"rv-1\",\"actor\":\"clerk\","
             "\"receiptNumber\":\"%s\"}",
             s_reviewed);
    Zwfw__V1__ApplicationReply *r = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.ReviewApplication", json);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_int_equal(r->notice->kind, NOTICE(ONE_TIME));
    assert_true(s_missing_has(r->notice, "P2") && s_missing_has(r->notice, "P3"));
    assert_false(s_missing_has(r->notice, "P1"));
    assert_non_null(r->application->notice_given_at);
    s_free(r);
    s_free(a);
    s_free(b);
}

/* ---- due times ------------------------------------------------------------------------------ */

static void test_due_across_national_day(void **state)
{
    (void) state;
    h_set_clock(C(B_OP), "2020-09-29T10:00:00+08:00");
    s_sub_t x = {.key = "due-1", .item = ITEM_P, .id = s_new_id(), .mats = "P1,P2,P3"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    Zwfw__V1__Application *a = r->application;
    assert_int_equal(a->state, STATE(ACCEPTED));
    assert_int_equal(r->notice->kind, NOTICE(ACCEPTANCE));
    /* 5 working days from Tuesday: 09-30, 10-09, 10-10 (调休 Saturday),
     * 10-12, 10-13, at the close */
    assert_true(h_ts_us(a->due_at) == h_parse_us("2020-10-13T17:30:00+08:00"));
    assert_true(h_ts_us(r->notice->due_at) == h_ts_us(a->due_at));
    /* 20 statutory working days end on 11-03 */
    assert_true(h_ts_us(a->statutory_due_at) == h_parse_us("2020-11-03T17:30:00+08:00"));
    assert_true(h_ts_us(a->accepted_at) == h_parse_us("2020-09-29T10:00:00+08:00"));
    /* receipt number: division, business date, per-day number */
    assert_int_equal(strncmp(a->receipt_number, "500152-20200929-", 16), 0);
    s_wait_events(a->receipt_number, "zwfw.v1.ApplicationAccepted", 1);
    /* an audit entry per state change */
    assert_true(h_sql_long(&S,
                           "SELECT (SELECT count(*) FROM audit.pending WHERE object_id = '%s')"
                           " + (SELECT count(*) FROM audit.log WHERE object_id = '%s')",
                           a->receipt_number, a->receipt_number) >= 2);
    s_free(r);
}

static void test_four_hours_before_holiday(void **state)
{
    (void) state;
    h_set_clock(C(B_OP), "2020-09-30T16:00:00+08:00");
    s_sub_t x = {.key = "h4-1", .item = ITEM_H, .id = s_new_id(), .mats = "H1"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    /* 16:00-17:30 on the eve, then Friday 10-09 09:00-11:30 after the holiday */
    assert_true(h_ts_us(r->application->due_at) == h_parse_us("2020-10-09T11:30:00+08:00"));
    s_free(r);
    /* the item's code in lower case, with blanks, is the same item (as
     * GetItem finds it) */
    char lower[96];
    snprintf(lower, sizeof lower, " %s ", ITEM_H);
    for (char *c = lower; *c; c++)
        *c = (char) tolower((unsigned char) *c);
    x = (s_sub_t){.key = "h4-lower", .item = lower, .id = s_new_id(), .mats = "H1"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    assert_string_equal(r->application->item_code, ITEM_H);
    s_free(r);
}

/* ---- outcomes at the counter ---------------------------------------------------------------- */

static void test_counter_outcomes(void **state)
{
    (void) state;
    /* 即办件, complete: accepted and finished at once */
    s_sub_t x = {.key = "im-1", .item = ITEM_I, .id = s_new_id(), .mats = "I1,I2"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    int done[] = {STATE(RECEIVED), STATE(ACCEPTED), STATE(APPROVED)};
    assert_int_equal(r->application->state, STATE(APPROVED));
    assert_true(s_history_is(r->application, done, 3));
    assert_int_equal(r->notice->kind, NOTICE(COMPLETION));
    assert_non_null(r->application->completed_at);
    assert_string_equal(r->application->history[0]->actor, "clerk-01");
    s_wait_events(r->application->receipt_number, "zwfw.v1.ApplicationCompleted", 1);
    /* 告知承诺制: the approval revoked (15) by a head of its department,
     * with the reason its 撤销决定书 states */
    char rjson[512], done_receipt[48];
    snprintf(done_receipt, sizeof done_receipt, "%s", r->application->receipt_number);
    s_free(r);
    const char *revoke = "{\"idempotencyKey\":\"%s\",\"actor\":\"head\",\"receiptNumber\":\"%s\","
                         "\"reason\":\"%s\"}";
    snprintf(rjson, sizeof rjson, revoke, "rv-0", done_receipt, "承诺不实");
    ProtobufCMessage *rq = h_json("zwfw.v1.RevokeApplication", rjson);
    h_fails(C(B_APPR1), "zwfw.intake", rq, ZW_PERMISSION_DENIED, NULL);
    protobuf_c_message_free_unpacked(rq, NULL);
    snprintf(rjson, sizeof rjson, revoke, "rv-1", done_receipt, "");
    rq = h_json("zwfw.v1.RevokeApplication", rjson);
    h_fails(C(B_HEAD1), "zwfw.intake", rq, ZW_INVALID_ARGUMENT, "reason");
    protobuf_c_message_free_unpacked(rq, NULL);
    snprintf(rjson, sizeof rjson, revoke, "rv-2", done_receipt, "承诺不实");
    Zwfw__V1__ApplicationReply *rv = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_HEAD1), "zwfw.intake", "zwfw.v1.RevokeApplication", rjson);
    assert_int_equal(rv->application->state, STATE(REVOKED));
    assert_int_equal(rv->notice->kind, NOTICE(REVOCATION));
    assert_string_equal(rv->notice->reason, "承诺不实");
    int revoked[] = {STATE(RECEIVED), STATE(ACCEPTED), STATE(APPROVED), STATE(REVOKED)};
    assert_true(s_history_is(rv->application, revoked, 4));
    s_free(rv);
    s_wait_events(done_receipt, "zwfw.v1.ApplicationStateChanged", 1);
    snprintf(rjson, sizeof rjson, revoke, "rv-3", done_receipt, "again");
    rq = h_json("zwfw.v1.RevokeApplication", rjson);
    h_fails(C(B_HEAD1), "zwfw.intake", rq, ZW_FAILED_PRECONDITION, NULL);
    protobuf_c_message_free_unpacked(rq, NULL);

    /* 承诺件, incomplete: one notice listing everything missing; it waits */
    const char *id = s_new_id();
    x = (s_sub_t){.key = "inc-1", .item = ITEM_P, .id = id, .mats = "P1,P4"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_int_equal(r->notice->kind, NOTICE(ONE_TIME));
    assert_int_equal(r->notice->n_missing, 2);
    assert_true(s_missing_has(r->notice, "P2") && s_missing_has(r->notice, "P3"));
    assert_true(r->notice->issued_on && r->notice->issued_on->day == 29);
    assert_string_equal(r->notice->authority, "潼南区市场监督管理局");
    assert_non_null(strstr(r->notice->center, "潼南"));
    assert_int_equal(r->application->n_missing, 2);
    char receipt[48];
    snprintf(receipt, sizeof receipt, "%s", r->application->receipt_number);
    s_free(r);
    s_wait_events(receipt, "zwfw.v1.ApplicationMaterialsMissing", 1);
    /* part of it later: still waiting, and the notice lists only what is left */
    char json[2048];
    Zwfw__V1__ApplicationReply *s = s_supplement("sup-1", receipt, "P2", 9);
    assert_int_equal(s->application->state, STATE(RECEIVED));
    assert_int_equal(s->notice->n_missing, 1);
    assert_true(s_missing_has(s->notice, "P3"));
    s_free(s);
    /* the rest: accepted, due from now */
    s = s_supplement("sup-2", receipt, "P3", 10);
    int accepted[] = {STATE(RECEIVED), STATE(ACCEPTED)};
    assert_int_equal(s->application->state, STATE(ACCEPTED));
    assert_true(s_history_is(s->application, accepted, 2));
    assert_int_equal(s->notice->kind, NOTICE(ACCEPTANCE));
    assert_true(h_ts_us(s->application->due_at) == h_parse_us("2020-10-13T17:30:00+08:00"));
    assert_true(s_has_material(s->application, "P3"));
    s_free(s);

    /* 容缺: the waivable one missing, committed: accepted with a date */
    id = s_new_id();
    x = (s_sub_t){.key = "wv-1", .item = ITEM_P, .id = id, .mats = "P1,P2", .commit = "P3"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    assert_int_equal(r->notice->kind, NOTICE(WAIVER));
    assert_int_equal(r->application->n_waived_materials, 1);
    assert_string_equal(r->application->waived_materials[0], "P3");
    /* 5 working days from 09-29: 09-30, 10-09, 10-10, 10-12, 10-13 */
    assert_non_null(r->notice->supply_by);
    assert_int_equal(r->notice->supply_by->month, 10);
    assert_int_equal(r->notice->supply_by->day, 13);
    assert_true(s_missing_has(r->notice, "P3"));
    snprintf(receipt, sizeof receipt, "%s", r->application->receipt_number);
    s_free(r);
    /* ... supplied later: the commitment is fulfilled */
    s = s_supplement("wv-sup", receipt, "P3", 11);
    assert_int_equal(s->application->state, STATE(ACCEPTED));
    assert_int_equal(s->application->n_waived_materials, 0);
    assert_null(s->application->supply_by);
    s_free(s);
    s_wait_events(receipt, "zwfw.v1.ApplicationMaterialsSupplied", 1);

    /* a non-waivable material missing: the notice even with a commitment */
    x = (s_sub_t){.key = "wv-2", .item = ITEM_P, .id = s_new_id(), .mats = "P1", .commit = "P3"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_int_equal(r->notice->kind, NOTICE(ONE_TIME));
    s_free(r);

    /* on the credit list: no 容缺 */
    id = s_new_id();
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"cl-1\",\"actor\":\"op\",\"idType\":\"ID_TYPE_RESIDENT_ID\","
             "\"idNumber\":\"%s\",\"reason\":\"失信被执行人\"}",
             id);
    Zwfw__V1__CreditListReply *cl = (Zwfw__V1__CreditListReply *) h_json_call(
        C(B_OP), "zwfw.intake", "zwfw.v1.PutCreditListEntry", json);
    assert_true(cl->listed && cl->changed);
    assert_string_not_equal(cl->id_masked, id);
    s_free(cl);
    cl = (Zwfw__V1__CreditListReply *) h_json_call(C(B_OP), "zwfw.intake",
                                                   "zwfw.v1.PutCreditListEntry", json);
    assert_true(cl->listed && cl->changed); /* the same key: the first answer */
    s_free(cl);
    x = (s_sub_t){.key = "cl-sub-1", .item = ITEM_P, .id = id, .mats = "P1,P2", .commit = "P3"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_int_equal(r->notice->kind, NOTICE(ONE_TIME));
    assert_non_null(strstr(r->notice->reason, "credit list"));
    s_free(r);
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"cl-2\",\"actor\":\"op\",\"idType\":\"ID_TYPE_RESIDENT_ID\","
             "\"idNumber\":\"%s\"}",
             id);
    cl = (Zwfw__V1__CreditListReply *) h_json_call(C(B_OP), "zwfw.intake",
                                                   "zwfw.v1.DeleteCreditListEntry", json);
    assert_true(!cl->listed && cl->changed);
    s_free(cl);
    x.key = "cl-sub-2";
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    assert_int_equal(r->notice->kind, NOTICE(WAIVER));
    s_free(r);
}

/* ---- idempotency ----------------------------------------------------------------------------- */

typedef struct {
    const char *ep;
    const uint8_t *data;
    size_t len;
    pthread_barrier_t *go;
    char receipt[48];
    bool replayed;
    int code;
} s_copy_t;

static void *s_copy_thread(void *arg)
{
    s_copy_t *c = arg;
    zw_err_t err;
    const char *eps[] = {c->ep};
    zw_client_t *client = zw_client_new(S.ctx, eps, 1, &err);
    c->code = -1;
    if (!client)
        return NULL;
    zw_client_set_timeout(client, 15000);
    zw_client_set_retries(client, 0);
    char id[ZW_CLIENT_ID_LEN];
    pthread_barrier_wait(c->go);
    if (zw_client_send(client, "zwfw.intake", "zwfw.v1.SubmitApplication", c->data, c->len, id,
                       &err) == 0) {
        zw_client_reply_t *r = zw_client_wait(client, id, &err);
        if (r) {
            c->code = r->err.code;
            Zwfw__V1__SubmitApplicationReply *m =
                r->err.code == ZW_OK
                    ? zwfw__v1__submit_application_reply__unpack(NULL, r->len, r->data)
                    : NULL;
            if (m) {
                snprintf(c->receipt, sizeof c->receipt, "%s", m->application->receipt_number);
                c->replayed = m->replayed;
                protobuf_c_message_free_unpacked(&m->base, NULL);
            }
            zw_client_reply_destroy(&r);
        }
    }
    zw_client_destroy(&client);
    return NULL;
}

static void test_idempotency(void **state)
{
    (void) state;
    s_sub_t x = {.key = "idem-1", .item = ITEM_P, .id = s_new_id(), .mats = "P1,P2,P3"};
    Zwfw__V1__SubmitApplicationReply *a = s_submit(C(B_WIN), &x);
    Zwfw__V1__SubmitApplicationReply *b = s_submit(C(B_WIN), &x);
    assert_false(a->replayed);
    assert_true(b->replayed);
    assert_string_equal(a->application->receipt_number, b->application->receipt_number);
    assert_int_equal(a->notice->kind, b->notice->kind);
    assert_true(h_ts_us(a->notice->issued_at) == h_ts_us(b->notice->issued_at));
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM intake.applications WHERE"
                                " receipt_number = '%s'",
                                a->application->receipt_number),
                     1);
    s_free(a);
    s_free(b);
    /* the same key for another request: refused, nothing changes */
    x.mats = "P1";
    s_submit_fails(C(B_WIN), &x, ZW_ALREADY_EXISTS, "idempotency_key");

    /* 8 copies of one request at once: one application, one answer */
    x = (s_sub_t){.key = "idem-8", .item = ITEM_P, .id = s_new_id(), .mats = "P1,P2,P3"};
    ProtobufCMessage *req = h_json("zwfw.v1.SubmitApplication", s_submit_json(&x));
    size_t len = protobuf_c_message_get_packed_size(req);
    uint8_t *data = malloc(len);
    protobuf_c_message_pack(req, data);
    s_free(req);
    pthread_barrier_t go;
    pthread_barrier_init(&go, NULL, 8);
    s_copy_t copies[8];
    pthread_t threads[8];
    for (int i = 0; i < 8; i++) {
        copies[i] = (s_copy_t){.ep = s_brokers[B_WIN].ep, .data = data, .len = len, .go = &go};
        pthread_create(&threads[i], NULL, s_copy_thread, &copies[i]);
    }
    int fresh = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(copies[i].code, ZW_OK);
        assert_string_equal(copies[i].receipt, copies[0].receipt);
        fresh += !copies[i].replayed;
    }
    pthread_barrier_destroy(&go);
    free(data);
    assert_int_equal(fresh, 1);
    assert_int_equal(
        h_sql_long(&S, "SELECT count(*) FROM intake.requests WHERE idempotency_key = 'idem-8'"), 1);
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM intake.applications a JOIN intake.requests r"
                                " USING (receipt_number) WHERE r.idempotency_key = 'idem-8'"),
                     1);
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM intake.applications WHERE"
                                " applicant_id_masked = (SELECT applicant_id_masked FROM"
                                " intake.applications WHERE receipt_number = '%s')"
                                " AND received_at_us = (SELECT received_at_us FROM"
                                " intake.applications WHERE receipt_number = '%s')",
                                copies[0].receipt, copies[0].receipt),
                     1);
}

/* ---- bundles ------------------------------------------------------------------------------- */

static void test_bundle(void **state)
{
    (void) state;
    long before = h_sql_long(&S, "SELECT count(*) FROM intake.applications");
    /* complete for both items: the 即办件 child finishes, the 承诺件 child is
     * accepted, so the bundle is in process */
    s_sub_t x = {.key = "b-1", .bundle = BUNDLE, .id = s_new_id(), .mats = "I1,I2,P1,P2,P3"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    Zwfw__V1__Application *p = r->application;
    assert_string_equal(p->bundle_code, BUNDLE);
    assert_int_equal(p->n_children, 2);
    assert_int_equal(r->n_children, 2);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.applications"), before + 3);
    assert_int_equal(r->children[0]->state, STATE(APPROVED));
    assert_int_equal(r->children[1]->state, STATE(ACCEPTED));
    assert_string_equal(r->children[0]->parent_receipt, p->receipt_number);
    assert_int_equal(p->state, STATE(ACCEPTED));
    assert_int_equal(r->notice->kind, NOTICE(ACCEPTANCE));
    assert_true(h_ts_us(p->due_at) == h_ts_us(r->children[1]->due_at));
    s_free(r);

    /* one child incomplete: the bundle waits, its notice lists the missing
     * materials; supplementing the bundle completes it */
    x = (s_sub_t){.key = "b-2", .bundle = BUNDLE, .id = s_new_id(), .mats = "I1,I2,P1,P2"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_int_equal(r->notice->kind, NOTICE(ONE_TIME));
    assert_int_equal(r->notice->n_missing, 1);
    assert_true(s_missing_has(r->notice, "P3"));
    assert_int_equal(r->children[0]->state, STATE(APPROVED));
    assert_int_equal(r->children[1]->state, STATE(RECEIVED));
    char parent[48];
    snprintf(parent, sizeof parent, "%s", r->application->receipt_number);
    s_free(r);
    Zwfw__V1__ApplicationReply *s = s_supplement("b-2-sup", parent, "P3", 20);
    assert_int_equal(s->application->state, STATE(ACCEPTED));
    int hist[] = {STATE(RECEIVED), STATE(ACCEPTED)};
    assert_true(s_history_is(s->application, hist, 2));
    s_free(s);
    char child[64];
    snprintf(child, sizeof child, "%s-02", parent);
    Zwfw__V1__ApplicationReply *g = s_get(C(B_WIN), child);
    assert_int_equal(g->application->state, STATE(ACCEPTED));
    s_free(g);
    s_wait_events(parent, "zwfw.v1.ApplicationStateChanged", 1);
}

/* A MaterialRef "for" one item of a bundle: `{"itemCode":item,` + ref. */
static void s_scoped_ref(char *out, size_t outsz, const char *code, const char *item, int salt)
{
    char ref[512];
    h_material_ref(ref, sizeof ref, code, salt);
    if (item)
        snprintf(out, outsz, "{\"itemCode\":\"%s\",%s", item, ref + 1);
    else
        snprintf(out, outsz, "%s", ref);
}

/* s_submit_json(x) with its materials list replaced by refs (JSON objects,
 * comma-separated). */
static const char *s_submit_json_refs(const s_sub_t *x, const char *refs)
{
    static char json[16384];
    char rest[8192];
    snprintf(json, sizeof json, "%s", s_submit_json(x));
    char *list = strstr(json, "\"materials\":[");
    assert_non_null(list);
    list += strlen("\"materials\":[");
    snprintf(rest, sizeof rest, "%s", strchr(list, ']'));
    snprintf(list, sizeof json - (size_t) (list - json), "%s%s", refs, rest);
    return json;
}

/* Material codes are each item's own: in a bundle whose items use P1 for
 * different documents, an unscoped P1 is refused (it would tick off both);
 * a reference names its item; a code both items use for the same document
 * may stay unscoped. */
static void test_bundle_materials_per_item(void **state)
{
    (void) state;
#define ITEM_S CODE("500T0100100008", DEPT1)
    s_free(h_json_call(
        C(B_OP), "zwfw.catalog", "zwfw.v1.PutItem",
        "{\"idempotencyKey\":\"put-s\",\"actor\":\"op\",\"item\":{\"basicCode\":\"500T0100100008\","
        "\"implCode\":\"" ITEM_S "\",\"name\":\"测试承诺件二\",\"type\":\"ITEM_TYPE_LICENSING\","
        "\"departmentCode\":\"" DEPT1 "\",\"departmentName\":\"潼南区市场监督管理局\","
        "\"regionCode\":\"500152000000\",\"handling\":\"HANDLING_TYPE_PROMISED\","
        "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
        "\"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},\"materials\":["
        "{\"code\":\"P1\",\"name\":\"近期免冠照片\",\"required\":true,\"copies\":1},"
        "{\"code\":\"P2\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1}]}}"));
    s_free(h_json_call(C(B_OP), "zwfw.catalog", "zwfw.v1.PutBundle",
                       "{\"idempotencyKey\":\"put-ps\",\"actor\":\"op\",\"bundle\":{\"code\":"
                       "\"T-BUNDLE-PS\",\"name\":\"测试一件事二\",\"itemCodes\":[\"" ITEM_P
                       "\",\"" ITEM_S "\"]}}"));
    const char *id = s_new_id();
    char p1p[600], p1s[600], p2[600], p3p[600], extra[3000];
    long before = h_sql_long(&S, "SELECT count(*) FROM intake.applications");

    /* P1 unscoped means 申请表 in one item and 照片 in the other: refused */
    s_sub_t x = {.key = "bm-1", .bundle = "T-BUNDLE-PS", .id = id, .mats = "P1,P2,P3"};
    s_submit_fails(C(B_WIN), &x, ZW_INVALID_ARGUMENT, "materials[0].item_code");
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.applications"), before);
    /* a reference for an item outside the bundle: refused */
    s_scoped_ref(p1p, sizeof p1p, "P1", ITEM_I, 1);
    ProtobufCMessage *req = h_json("zwfw.v1.SubmitApplication", s_submit_json_refs(&x, p1p));
    h_fails(C(B_WIN), "zwfw.intake", req, ZW_INVALID_ARGUMENT, "materials[0].item_code");
    protobuf_c_message_free_unpacked(req, NULL);

    /* each P1 for its item, P2 (the same document in both) once, P3 for P */
    s_scoped_ref(p1p, sizeof p1p, "P1", ITEM_P, 1);
    s_scoped_ref(p1s, sizeof p1s, "P1", ITEM_S, 2);
    s_scoped_ref(p2, sizeof p2, "P2", NULL, 3);
    s_scoped_ref(p3p, sizeof p3p, "P3", ITEM_P, 4);
    snprintf(extra, sizeof extra, "%s,%s,%s,%s", p1p, p1s, p2, p3p);
    x = (s_sub_t){.key = "bm-2", .bundle = "T-BUNDLE-PS", .id = id, .mats = ""};
    Zwfw__V1__SubmitApplicationReply *r = (Zwfw__V1__SubmitApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.SubmitApplication", s_submit_json_refs(&x, extra));
    assert_int_equal(r->n_children, 2);
    assert_int_equal(r->children[0]->state, STATE(ACCEPTED));
    assert_int_equal(r->children[1]->state, STATE(ACCEPTED));
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    s_free(r);

    /* P1 only for P: S still lacks its photo, and the notice says so */
    snprintf(extra, sizeof extra, "%s,%s,%s", p1p, p2, p3p);
    x = (s_sub_t){.key = "bm-3", .bundle = "T-BUNDLE-PS", .id = s_new_id(), .mats = ""};
    r = (Zwfw__V1__SubmitApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.SubmitApplication", s_submit_json_refs(&x, extra));
    assert_int_equal(r->children[0]->state, STATE(ACCEPTED));
    assert_int_equal(r->children[1]->state, STATE(RECEIVED));
    assert_int_equal(r->notice->kind, NOTICE(ONE_TIME));
    assert_int_equal(r->notice->n_missing, 1);
    assert_true(s_missing_has(r->notice, "P1"));
    char parent[48];
    snprintf(parent, sizeof parent, "%s", r->application->receipt_number);
    s_free(r);
    /* supplementing the bundle: an unscoped P1 is refused as at submission,
     * one for S completes S only (P has its own P1) */
    h_material_ref(p1s, sizeof p1s, "P1", 5);
    ProtobufCMessage *sup =
        h_json("zwfw.v1.SupplementMaterials", s_supplement_json("bm-3-sup0", parent, p1s));
    h_fails(C(B_WIN), "zwfw.intake", sup, ZW_INVALID_ARGUMENT, "materials[0].item_code");
    protobuf_c_message_free_unpacked(sup, NULL);
    s_scoped_ref(p1s, sizeof p1s, "P1", ITEM_S, 6);
    Zwfw__V1__ApplicationReply *a = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.SupplementMaterials",
        s_supplement_json("bm-3-sup1", parent, p1s));
    assert_int_equal(a->application->state, STATE(ACCEPTED));
    s_free(a);
    /* a child takes only its own item's materials */
    char child[64];
    snprintf(child, sizeof child, "%s-01", parent);
    s_scoped_ref(p1s, sizeof p1s, "P1", ITEM_S, 7);
    sup = h_json("zwfw.v1.SupplementMaterials", s_supplement_json("bm-3-sup2", child, p1s));
    h_fails(C(B_WIN), "zwfw.intake", sup, ZW_INVALID_ARGUMENT, "materials[0].item_code");
    protobuf_c_message_free_unpacked(sup, NULL);
#undef ITEM_S
}

/* ---- materials on file ---------------------------------------------------------------------- */

static void test_materials_reused(void **state)
{
    (void) state;
    const char *id = s_new_id();
    s_sub_t x = {.key = "re-1", .item = ITEM_P, .id = id, .mats = "P1,P2,P3"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    const char *sha = NULL;
    for (size_t i = 0; i < r->application->n_materials; i++)
        if (!strcmp(r->application->materials[i]->material_code, "P2"))
            sha = r->application->materials[i]->sha256;
    assert_non_null(sha);
    char p2_sha[65];
    snprintf(p2_sha, sizeof p2_sha, "%s", sha);
    s_free(r);
    /* Item R asks for the same 申请人身份证明 (as R2): it is on file, so
     * handing in the form alone is complete */
    x = (s_sub_t){.key = "re-2", .item = ITEM_R, .id = id, .mats = "R1"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    assert_true(s_has_material(r->application, "R2"));
    for (size_t i = 0; i < r->application->n_materials; i++)
        if (!strcmp(r->application->materials[i]->material_code, "R2"))
            assert_string_equal(r->application->materials[i]->sha256, p2_sha);
    s_free(r);
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM intake.materials WHERE reused AND"
                                " material_code = 'R2' AND receipt_number IN (SELECT receipt_number"
                                " FROM intake.requests WHERE idempotency_key = 're-2')"),
                     1);
    /* a per-application form is never reused: the notice asks for R1 only */
    x = (s_sub_t){.key = "re-3", .item = ITEM_R, .id = id, .mats = ""};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_int_equal(r->notice->n_missing, 1);
    assert_true(s_missing_has(r->notice, "R1"));
    s_free(r);
    /* another applicant has nothing on file */
    x = (s_sub_t){.key = "re-4", .item = ITEM_R, .id = s_new_id(), .mats = "R1"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_true(s_missing_has(r->notice, "R2"));
    s_free(r);
}

/* ---- withdrawal and refusal --------------------------------------------------------------- */

static Zwfw__V1__ApplicationReply *s_withdraw(zw_client_t *c, const char *key, const char *receipt)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"%s\",\"actor\":\"clerk\",\"receiptNumber\":\"%s\","
             "\"reason\":\"申请人要求撤回\"}",
             key, receipt);
    return (Zwfw__V1__ApplicationReply *) h_json_call(c, "zwfw.intake",
                                                      "zwfw.v1.WithdrawApplication", json);
}

static void test_withdraw_and_refuse(void **state)
{
    (void) state;
    /* before acceptance: withdrawn here (2) */
    s_sub_t x = {.key = "wd-1", .item = ITEM_P, .id = s_new_id(), .mats = "P1"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    char receipt[48];
    snprintf(receipt, sizeof receipt, "%s", r->application->receipt_number);
    s_free(r);
    Zwfw__V1__ApplicationReply *w = s_withdraw(C(B_WIN), "wd-1w", receipt);
    assert_int_equal(w->application->state, STATE(WITHDRAWN_UNACCEPTED));
    assert_int_equal(w->notice->kind, NOTICE(WITHDRAWAL));
    s_free(w);
    s_wait_events(receipt, "zwfw.v1.ApplicationWithdrawn", 1);
    Zwfw__V1__WithdrawApplication again = ZWFW__V1__WITHDRAW_APPLICATION__INIT;
    again.idempotency_key = "wd-1x";
    again.actor = "clerk";
    again.receipt_number = receipt;
    h_fails(C(B_WIN), "zwfw.intake", &again.base, ZW_FAILED_PRECONDITION, "state");

    /* after acceptance: recorded and passed to workflow; the state stays */
    x = (s_sub_t){.key = "wd-2", .item = ITEM_P, .id = s_new_id(), .mats = "P1,P2,P3"};
    r = s_submit(C(B_WIN), &x);
    snprintf(receipt, sizeof receipt, "%s", r->application->receipt_number);
    s_free(r);
    w = s_withdraw(C(B_WIN), "wd-2w", receipt);
    assert_int_equal(w->application->state, STATE(ACCEPTED));
    assert_true(w->application->withdrawal_requested);
    s_free(w);
    s_wait_events(receipt, "zwfw.v1.ApplicationWithdrawalRequested", 1);
    assert_int_equal(h_sql_long(&S,
                                "SELECT count(*) FROM intake.forwarded WHERE"
                                " receipt_number = '%s' AND kind = 'withdraw'",
                                receipt),
                     1);
    /* only windows withdraw */
    again.idempotency_key = "wd-2s";
    h_fails(C(B_SUP), "zwfw.intake", &again.base, ZW_PERMISSION_DENIED, "role");

    /* a waiting application refused by the window: 不予受理 with its reason */
    x = (s_sub_t){.key = "rf-1", .item = ITEM_P, .id = s_new_id(), .mats = "P1"};
    r = s_submit(C(B_WIN), &x);
    char json[256];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"rf-1r\",\"actor\":\"clerk\",\"receiptNumber\":\"%s\","
             "\"reason\":\"不属于本机关职权范围\"}",
             r->application->receipt_number);
    Zwfw__V1__ApplicationReply *f = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.RefuseApplication", json);
    assert_int_equal(f->application->state, STATE(REFUSED));
    assert_int_equal(f->notice->kind, NOTICE(REFUSAL));
    assert_string_equal(f->notice->reason, "不属于本机关职权范围");
    s_free(f);
    s_free(r);
}

/* ---- a cancelled item ---------------------------------------------------------------------- */

static void test_cancelled_item(void **state)
{
    (void) state;
    /* a bundle that holds the item about to be cancelled */
    s_free(h_json_call(C(B_OP), "zwfw.catalog", "zwfw.v1.PutBundle",
                       "{\"idempotencyKey\":\"cx-b\",\"actor\":\"op\",\"bundle\":{\"code\":"
                       "\"T-BUNDLE-IX\",\"name\":\"含取消事项\",\"itemCodes\":[\"" ITEM_I
                       "\",\"" ITEM_X "\"]}}"));
    /* ... taken at a kiosk before the cancellation, to be reviewed */
    s_sub_t kx = {.key = "cx-kiosk",
                  .bundle = "T-BUNDLE-IX",
                  .id = s_new_id(),
                  .mats = "I1,I2,X1",
                  .channel = "CHANNEL_KIOSK",
                  .window = "K01",
                  .receive_only = true};
    Zwfw__V1__SubmitApplicationReply *kr = s_submit(C(B_WIN), &kx);
    assert_int_equal(kr->application->state, STATE(RECEIVED));
    char kiosk[48];
    snprintf(kiosk, sizeof kiosk, "%s", kr->application->receipt_number);
    s_free(kr);
    ProtobufCMessage *c = h_json_call(C(B_OP), "zwfw.catalog", "zwfw.v1.CancelItem",
                                      "{\"idempotencyKey\":\"cx-1\",\"actor\":\"op\","
                                      "\"implCode\":\"" ITEM_X "\",\"reason\":\"事项已调整\"}");
    s_free(c);
    /* the very next submission: a stored, dated 不受理 with the reason */
    s_sub_t x = {.key = "cx-sub", .item = ITEM_X, .id = s_new_id(), .mats = "X1"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    int hist[] = {STATE(RECEIVED), STATE(NOT_ACCEPTED)};
    assert_int_equal(r->application->state, STATE(NOT_ACCEPTED));
    assert_true(s_history_is(r->application, hist, 2));
    assert_int_equal(r->notice->kind, NOTICE(NOT_ACCEPTED));
    assert_non_null(strstr(r->notice->reason, "cancelled"));
    assert_non_null(r->notice->issued_on);
    Zwfw__V1__ApplicationReply *g = s_get(C(B_WIN), r->application->receipt_number);
    assert_int_equal(g->application->state, STATE(NOT_ACCEPTED));
    s_free(g);
    s_wait_events(r->application->receipt_number, "zwfw.v1.ApplicationNotAccepted", 1);
    s_free(r);
    /* a bundle with the cancelled item in it: not accepted as a whole, no
     * item of it half accepted */
    x = (s_sub_t){.key = "cx-bsub", .bundle = "T-BUNDLE-IX", .id = s_new_id(), .mats = "I1,I2,X1"};
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(NOT_ACCEPTED));
    assert_int_equal(r->n_children, 2);
    for (size_t i = 0; i < r->n_children; i++)
        assert_int_equal(r->children[i]->state, STATE(NOT_ACCEPTED));
    assert_int_equal(r->notice->kind, NOTICE(NOT_ACCEPTED));
    s_free(r);
    /* reviewed after the cancellation: not accepted as a whole either */
    char rjson[256];
    snprintf(rjson, sizeof rjson,
             "{\"idempotencyKey\":\"cx-review\",\"actor\":\"clerk\",\"receiptNumber\":\"%s\"}",
             kiosk);
    Zwfw__V1__ApplicationReply *kv = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_WIN), "zwfw.intake", "zwfw.v1.ReviewApplication", rjson);
    assert_int_equal(kv->application->state, STATE(NOT_ACCEPTED));
    for (size_t i = 0; i < kv->application->n_children; i++) {
        Zwfw__V1__ApplicationReply *kc = s_get(C(B_WIN), kv->application->children[i]);
        assert_int_equal(kc->application->state, STATE(NOT_ACCEPTED));
        s_free(kc);
    }
    assert_int_equal(kv->application->n_children, 2);
    s_free(kv);
    c = h_json_call(C(B_OP), "zwfw.catalog", "zwfw.v1.RestoreItem",
                    "{\"idempotencyKey\":\"cx-2\",\"actor\":\"op\",\"implCode\":\"" ITEM_X "\"}");
    s_free(c);
    x.key = "cx-sub2";
    r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(APPROVED));
    s_free(r);
}

/* ---- the 5-working-day rule ---------------------------------------------------------------- */

static void test_deemed_acceptance(void **state)
{
    (void) state;
    /* Monday 10-12, noon: the 5th working day after 09-28 is not over */
    h_set_clock(C(B_OP), "2020-10-12T12:00:00+08:00");
    h_nap(500); /* two sweeps */
    Zwfw__V1__ApplicationReply *g = s_get(C(B_WIN), s_unnoticed);
    assert_int_equal(g->application->state, STATE(RECEIVED));
    s_free(g);
    /* Tuesday 10-13: no notice was given in time, so it counts as accepted
     * on the receipt day (the sweep does it; a read would too) */
    h_set_clock(C(B_OP), "2020-10-13T09:00:00+08:00");
    int64_t until = h_now_ms() + 10000;
    long st = 0;
    while (h_now_ms() < until &&
           (st = h_sql_long(&S, "SELECT state FROM intake.applications WHERE receipt_number = '%s'",
                            s_unnoticed)) != STATE(ACCEPTED))
        h_nap(50);
    assert_int_equal(st, STATE(ACCEPTED));
    g = s_get(C(B_WIN), s_unnoticed);
    Zwfw__V1__Application *a = g->application;
    assert_true(a->deemed_accepted);
    assert_true(h_ts_us(a->accepted_at) == h_ts_us(a->received_at));
    assert_true(h_ts_us(a->received_at) == h_parse_us("2020-09-28T10:00:00+08:00"));
    /* the budget runs from the receipt day: 5 working days end on 10-12 */
    assert_true(h_ts_us(a->due_at) == h_parse_us("2020-10-12T17:30:00+08:00"));
    assert_non_null(strstr(a->history[a->n_history - 1]->note, "deemed"));
    s_free(g);
    s_wait_events(s_unnoticed, "zwfw.v1.ApplicationAccepted", 1);
    /* the one that got its notice in time still waits */
    g = s_get(C(B_WIN), s_reviewed);
    assert_int_equal(g->application->state, STATE(RECEIVED));
    assert_false(g->application->deemed_accepted);
    s_free(g);
}

/* ---- list and the change feed -------------------------------------------------------------- */

static int s_list_all(zw_client_t *c, const char *filter, int page_size)
{
    char token[128] = "", json[512];
    int total = 0, pages = 0;
    char seen[256][48];
    do {
        snprintf(json, sizeof json, "{%s%s\"pageSize\":%d%s%s%s}", filter, *filter ? "," : "",
                 page_size, *token ? ",\"pageToken\":\"" : "", token, *token ? "\"" : "");
        Zwfw__V1__ListApplicationsReply *r = (Zwfw__V1__ListApplicationsReply *) h_json_call(
            c, "zwfw.intake", "zwfw.v1.ListApplications", json);
        assert_true(r->n_applications <= (size_t) page_size);
        for (size_t i = 0; i < r->n_applications; i++) {
            for (int j = 0; j < total && j < 256; j++)
                assert_string_not_equal(seen[j], r->applications[i]->receipt_number);
            if (total < 256)
                snprintf(seen[total], sizeof seen[0], "%s", r->applications[i]->receipt_number);
            total++;
        }
        snprintf(token, sizeof token, "%s", r->next_page_token);
        s_free(r);
        assert_true(++pages < 200);
    } while (*token);
    return total;
}

static void test_list_and_changes(void **state)
{
    (void) state;
    long mine = h_sql_long(&S, "SELECT count(*) FROM intake.applications WHERE region = '500152'");
    assert_true(mine > 10);
    assert_int_equal(s_list_all(C(B_WIN), "", 7), mine);
    assert_int_equal(s_list_all(C(B_WIN2), "", 50), 0);
    assert_int_equal(s_list_all(C(B_INTEG), "", 50),
                     h_sql_long(&S, "SELECT count(*) FROM intake.applications"
                                    " WHERE submitter = 'sys-a'"));
    assert_int_equal(s_list_all(C(B_APPR2), "", 50),
                     h_sql_long(&S, "SELECT count(*) FROM intake.applications"
                                    " WHERE department_code = '" DEPT2 "'"));
    /* by applicant (keyed hash of the ID number), item, state, window, dates */
    char filter[256];
    snprintf(filter, sizeof filter, "\"applicantIdNumber\":\"%s\"", s_ids[1]);
    assert_int_equal(s_list_all(C(B_SUP), filter, 50), 2); /* test_roles: two applications */
    assert_int_equal(s_list_all(C(B_SUP), "\"itemCode\":\"" ITEM_R "\"", 50),
                     h_sql_long(&S, "SELECT count(*) FROM intake.applications WHERE"
                                    " item_code = '" ITEM_R "'"));
    assert_int_equal(s_list_all(C(B_SUP), "\"state\":\"APPLICATION_STATE_APPROVED\"", 50),
                     h_sql_long(&S, "SELECT count(*) FROM intake.applications WHERE state = 11"));
    assert_int_equal(s_list_all(C(B_SUP), "\"windowId\":\"K07\"", 50), 2);
    assert_int_equal(s_list_all(C(B_SUP),
                                "\"from\":\"2020-09-29T00:00:00+08:00\","
                                "\"to\":\"2020-09-30T00:00:00+08:00\"",
                                50),
                     h_sql_long(&S,
                                "SELECT count(*) FROM intake.applications WHERE"
                                " received_at_us >= %lld AND received_at_us < %lld",
                                (long long) h_parse_us("2020-09-29T00:00:00+08:00"),
                                (long long) h_parse_us("2020-09-30T00:00:00+08:00")));

    /* the change feed: every Application* event in seq order */
    long events = 0;
    int64_t until = h_now_ms() + 10000;
    while (h_now_ms() < until &&
           h_sql_long(&S, "SELECT count(*) FROM events.outbox WHERE stream = 'intake'") > 0)
        h_nap(30);
    events = h_sql_long(&S, "SELECT count(*) FROM events.log WHERE stream = 'intake'");
    int64_t after = 0, last = 0;
    long got = 0;
    for (;;) {
        char json[128];
        snprintf(json, sizeof json, "{\"afterSeq\":\"%lld\",\"limit\":100}", (long long) after);
        Zwfw__V1__ListChangesReply *r = (Zwfw__V1__ListChangesReply *) h_json_call(
            C(B_SUP), "zwfw.intake", "zwfw.v1.ListChanges", json);
        for (size_t i = 0; i < r->n_changes; i++) {
            assert_true(r->changes[i]->seq > last);
            last = r->changes[i]->seq;
            assert_int_equal(strncmp(r->changes[i]->event_type, "zwfw.v1.Application", 19), 0);
            assert_true(r->changes[i]->state >= 1 && r->changes[i]->state <= 15);
        }
        got += (long) r->n_changes;
        bool end = r->last_seq == after;
        after = r->last_seq;
        s_free(r);
        if (end)
            break;
    }
    assert_int_equal(got, events);
    /* another center's window sees none of these */
    Zwfw__V1__ListChanges lc = ZWFW__V1__LIST_CHANGES__INIT;
    Zwfw__V1__ListChangesReply *r =
        (Zwfw__V1__ListChangesReply *) h_ok(C(B_WIN2), "zwfw.intake", &lc.base);
    assert_int_equal(r->n_changes, 0);
    assert_true(r->last_seq > 0);
    s_free(r);
    /* retention removed the first 5 events: a follower behind that point is
     * told to resync, not handed a feed with a hole; one past it goes on */
    assert_int_equal(h_sql_long(&S, "UPDATE events.stream_head SET trimmed_seq = 5"
                                    " WHERE stream = 'intake' RETURNING 1"),
                     1);
    lc.after_seq = 3;
    h_fails(C(B_SUP), "zwfw.intake", &lc.base, ZW_FAILED_PRECONDITION, "after_seq");
    lc.after_seq = 5;
    r = (Zwfw__V1__ListChangesReply *) h_ok(C(B_SUP), "zwfw.intake", &lc.base);
    assert_true(r->n_changes > 0);
    assert_int_equal(r->changes[0]->seq, 6);
    s_free(r);
    assert_int_equal(h_sql_long(&S, "UPDATE events.stream_head SET trimmed_seq = 0"
                                    " WHERE stream = 'intake' RETURNING 1"),
                     1);
    /* past the head (a seq the feed never gave): refused, naming the head,
     * rather than answered with last_seq = after_seq, which would make the
     * follower skip every seq up to it for good */
    long head = h_sql_long(&S, "SELECT last_seq FROM events.stream_head WHERE stream = 'intake'");
    assert_true(head > 0);
    lc.after_seq = head + 1000;
    zw_err_t err;
    assert_null(h_try(C(B_SUP), "zwfw.intake", &lc.base, &err));
    assert_int_equal(err.code, ZW_OUT_OF_RANGE);
    assert_string_equal(err.detail, "after_seq");
    char head_text[32];
    snprintf(head_text, sizeof head_text, "seq %ld", head);
    assert_non_null(strstr(err.message, head_text));
    lc.after_seq = -1;
    h_fails(C(B_SUP), "zwfw.intake", &lc.base, ZW_INVALID_ARGUMENT, "after_seq");
    /* at the head: nothing new, and last_seq stays where the follower is */
    lc.after_seq = head;
    r = (Zwfw__V1__ListChangesReply *) h_ok(C(B_SUP), "zwfw.intake", &lc.base);
    assert_true(r->last_seq >= head);
    for (size_t i = 0; i < r->n_changes; i++)
        assert_true(r->changes[i]->seq > head);
    s_free(r);

    /* item codes match without regard to case and surrounding spaces, as
     * in SubmitApplication and GetItem */
    char code[100], filter2[200];
    snprintf(code, sizeof code, "%s", ITEM_R);
    for (char *p = code; *p; p++)
        *p = (char) tolower((unsigned char) *p);
    snprintf(filter2, sizeof filter2, "\"itemCode\":\"  %s \"", code);
    assert_true(s_list_all(C(B_SUP), filter2, 50) > 0);
    assert_int_equal(s_list_all(C(B_SUP), filter2, 50),
                     h_sql_long(&S, "SELECT count(*) FROM intake.applications WHERE"
                                    " item_code = '" ITEM_R "'"));
}

/* ---- zwfwctl ------------------------------------------------------------------------------ */

/* Runs zwfwctl with args; its stdout and stderr into out; the exit code. */
static int s_ctl(const char *args, char *out, size_t outsz)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", zwt_bin_path("zwfwctl"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, outsz - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_zwfwctl(void **state)
{
    (void) state;
    static char out[16384];
    char args[1024];
    snprintf(args, sizeof args, "clock show --plain --endpoint %s", s_brokers[B_OP].ep);
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "2020-10-13T09:00:00+08:00  simulated  working day"));
    snprintf(args, sizeof args, "clock advance --hours 1 --plain --endpoint %s",
             s_brokers[B_WIN].ep);
    assert_int_equal(s_ctl(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "PERMISSION_DENIED"));
    const char *id = s_new_id();
    snprintf(args, sizeof args,
             "intake submit '%s' --plain --endpoint %s --name 测试 --id %s --idempotency-key cli-1"
             " --material I1:%064d:10 --material I2:%064d:20",
             ITEM_I, s_brokers[B_WIN].ep, id, 1, 2);
    int rc = s_ctl(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "500152-20201013-"));
    assert_non_null(strstr(out, "办结(通过)"));
    assert_non_null(strstr(out, "办结通知"));
    /* the same key again: the same answer, said so */
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "answered before"));
    /* a bundle whose items use P1 for different documents: ITEM/CODE */
    snprintf(args, sizeof args,
             "intake submit --bundle T-BUNDLE-PS --plain --endpoint %s --name 测试 --id %s"
             " --material '%s/P1:%064d:10' --material '%s/P1:%064d:11' --material P2:%064d:12"
             " --material '%s/P3:%064d:13'",
             s_brokers[B_WIN].ep, s_new_id(), ITEM_P, 3, CODE("500T0100100008", DEPT1), 4, 5,
             ITEM_P, 6);
    rc = s_ctl(args, out, sizeof out);
    if (rc != 0)
        fprintf(stderr, "%s\n", out);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "已受理"));
    assert_null(strstr(out, "一次性告知"));
    snprintf(args, sizeof args, "intake list --plain --endpoint %s --item '%s'",
             s_brokers[B_SUP].ep, ITEM_X);
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, "将取消事项"));
    snprintf(args, sizeof args, "intake get 500152-20200101-000001 --plain --endpoint %s",
             s_brokers[B_WIN].ep);
    assert_int_equal(s_ctl(args, out, sizeof out), 1);
    assert_non_null(strstr(out, "NOT_FOUND"));
}

/* ---- personal data ----------------------------------------------------------------------------
 */

static void s_hex(const char *text, char *out)
{
    for (size_t i = 0; text[i]; i++)
        sprintf(out + 2 * i, "%02x", (unsigned char) text[i]);
}

/* Submissions one after another get consecutive numbers, although the
 * broker hands them to different worker threads (the daemon shares one
 * block of numbers); and numbers never repeat. */
static void test_receipts_in_sequence(void **state)
{
    (void) state;
    long prev = -1;
    char day[16] = "";
    for (int i = 0; i < 6; i++) {
        char key[32];
        snprintf(key, sizeof key, "seq-%d", i);
        s_sub_t x = {.key = key, .item = ITEM_I, .id = s_new_id(), .mats = "I1,I2"};
        Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
        const char *rn = r->application->receipt_number; /* 500152-YYYYMMDD-NNNNNN */
        assert_int_equal(strlen(rn), 22);
        long no = strtol(rn + 16, NULL, 10);
        if (prev >= 0) {
            assert_memory_equal(rn + 7, day, 8); /* the same business day */
            assert_int_equal(no, prev + 1);
        }
        snprintf(day, sizeof day, "%.8s", rn + 7);
        prev = no;
        s_free(r);
    }
    assert_int_equal(h_sql_long(&S, "SELECT count(*) - count(DISTINCT receipt_number) FROM"
                                    " intake.applications"),
                     0);
}

/* The next block of receipt numbers is reserved ahead, by the daemon's
 * reserver, before the current one runs out. Blocks are 4 numbers here,
 * reserved one after another from 1 each day: [1,4], [5,8]... Once the
 * third number of a block is handed out, a whole block beyond the last
 * number is reserved soon (next_no - 1 - last = 1 + 4); reserved only
 * when a block ran out, it never exceeds 3. */
static void test_receipts_reserved_ahead(void **state)
{
    (void) state;
    long last = 0;
    char day[16] = "";
    for (int i = 0; i < 4 && last % 4 != 3; i++) {
        char key[32];
        snprintf(key, sizeof key, "ahead-%d", i);
        s_sub_t x = {.key = key, .item = ITEM_I, .id = s_new_id(), .mats = "I1,I2"};
        Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
        const char *rn = r->application->receipt_number; /* 500152-YYYYMMDD-NNNNNN */
        last = strtol(rn + 16, NULL, 10);
        snprintf(day, sizeof day, "%.8s", rn + 7);
        s_free(r);
    }
    assert_int_equal(last % 4, 3);
    long ahead = 0;
    for (int t = 0; t < 100 && ahead < 5; t++) { /* the reserver works in the background */
        ahead = h_sql_long(&S,
                           "SELECT next_no FROM intake.receipt_blocks WHERE"
                           " division = '500152' AND day = to_date('%s', 'YYYYMMDD')",
                           day) -
                1 - last;
        if (ahead < 5)
            usleep(50 * 1000);
    }
    assert_int_equal(ahead, 5);
    assert_false(h_file_has(s_intake_log, "cannot reserve receipt numbers ahead"));
}

static void test_no_id_in_clear(void **state)
{
    (void) state;
    char dump[256], cmd[1024];
    snprintf(dump, sizeof dump, "%s/dump.sql", S.dir);
    snprintf(cmd, sizeof cmd,
             "PATH=\"$(pg_config --bindir 2>/dev/null):/usr/lib/postgresql/15/bin:$PATH\" "
             "pg_dump --data-only '%s' > '%s' 2>/dev/null",
             S.conninfo, dump);
    assert_int_equal(system(cmd), 0);
    assert_true(h_file_has(dump, "intake.applications")); /* the dump has the data */
    assert_true(s_nids > 20);
    for (int i = 0; i < s_nids; i++) {
        char hex[64];
        s_hex(s_ids[i], hex);
        if (h_file_has(dump, s_ids[i]) || h_file_has(dump, hex))
            fprintf(stderr, "ID %d found in the database dump\n", i);
        assert_false(h_file_has(dump, s_ids[i]));
        assert_false(h_file_has(dump, hex));
        assert_false(h_file_has(s_intake_log, s_ids[i]));
    }
    for (int i = 0; i < s_nphones; i++) {
        assert_false(h_file_has(dump, s_phones[i]));
        assert_false(h_file_has(s_intake_log, s_phones[i]));
    }
    /* the log did see the requests (debug level) */
    assert_true(h_file_has(s_intake_log, "application submitted"));
}

/* 容缺 tracking: an application that still owes its 容缺 material after
 * the promised date is listed as such until the material comes. Last: it
 * moves the clock on. */
static bool s_listed_overdue(const char *receipt)
{
    Zwfw__V1__ListApplicationsReply *r = (Zwfw__V1__ListApplicationsReply *) h_json_call(
        C(B_SUP), "zwfw.intake", "zwfw.v1.ListApplications",
        "{\"supplyOverdue\":true,\"pageSize\":500}");
    bool found = false;
    for (size_t i = 0; i < r->n_applications; i++) {
        assert_non_null(r->applications[i]->supply_by);
        assert_true(r->applications[i]->n_waived_materials > 0);
        found |= strcmp(r->applications[i]->receipt_number, receipt) == 0;
    }
    s_free(r);
    return found;
}

static void test_waiver_overdue_tracked(void **state)
{
    (void) state;
    h_set_clock(C(B_OP), "2020-10-14T10:00:00+08:00");
    s_sub_t x = {
        .key = "wv-owed", .item = ITEM_P, .id = s_new_id(), .mats = "P1,P2", .commit = "P3"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    assert_int_equal(r->application->state, STATE(ACCEPTED));
    char receipt[48];
    snprintf(receipt, sizeof receipt, "%s", r->application->receipt_number);
    /* 5 working days from 10-15: 10-21 */
    assert_int_equal(r->notice->supply_by->day, 21);
    s_free(r);
    assert_false(s_listed_overdue(receipt));
    h_set_clock(C(B_OP), "2020-10-21T16:00:00+08:00");
    assert_false(s_listed_overdue(receipt)); /* the last day is not over */
    h_set_clock(C(B_OP), "2020-10-22T09:00:00+08:00");
    assert_true(s_listed_overdue(receipt));
    static char out[16384];
    char args[512];
    snprintf(args, sizeof args, "intake list --supply-overdue --plain --endpoint %s",
             s_brokers[B_SUP].ep);
    assert_int_equal(s_ctl(args, out, sizeof out), 0);
    assert_non_null(strstr(out, receipt));
    s_free(s_supplement("wv-owed-sup", receipt, "P3", 31));
    assert_false(s_listed_overdue(receipt));
}

/* A bundle parent's 容缺 date and list come from the children whose matter
 * still stands: the earliest date still owed (the one date on a notice
 * that lists every child's materials), and nothing from a child that has
 * ended without standing (revoked here; 2, 4, 5, 13 and 14 alike). Last:
 * it moves the clock on. */
static bool s_date_is(const Zwfw__V1__Date *d, int year, int month, int day)
{
    return d && d->year == year && d->month == month && d->day == day;
}

static const Zwfw__V1__Application *s_child_of(const Zwfw__V1__SubmitApplicationReply *r,
                                               const char *item)
{
    for (size_t i = 0; i < r->n_children; i++)
        if (strcmp(r->children[i]->item_code, item) == 0)
            return r->children[i];
    fail_msg("no child of item %s", item);
    return NULL;
}

static void test_bundle_waiver_from_standing_children(void **state)
{
    (void) state;
#define ITEM_Q CODE("500T0100100009", DEPT1) /* 即办件: Q2 容缺-eligible */
    s_free(h_json_call(
        C(B_OP), "zwfw.catalog", "zwfw.v1.PutItem",
        "{\"idempotencyKey\":\"put-q\",\"actor\":\"op\",\"item\":{\"basicCode\":\"500T0100100009\","
        "\"implCode\":\"" ITEM_Q
        "\",\"name\":\"测试容缺即办件\",\"type\":\"ITEM_TYPE_CONFIRMATION\","
        "\"departmentCode\":\"" DEPT1 "\",\"departmentName\":\"潼南区市场监督管理局\","
        "\"regionCode\":\"500152000000\",\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
        "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
        "\"promisedLimit\":{\"amount\":2,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
        "{\"code\":\"Q1\",\"name\":\"申请表\",\"required\":true,\"copies\":1},"
        "{\"code\":\"Q2\",\"name\":\"场地使用证明\",\"required\":true,\"waivable\":true,"
        "\"copies\":1}]}}"));
    s_free(h_json_call(C(B_OP), "zwfw.catalog", "zwfw.v1.PutBundle",
                       "{\"idempotencyKey\":\"put-qp\",\"actor\":\"op\",\"bundle\":{\"code\":"
                       "\"T-BUNDLE-QP\",\"name\":\"测试容缺一件事\",\"itemCodes\":[\"" ITEM_Q
                       "\",\"" ITEM_P "\"]}}"));

    /* Thursday 10-22: Q is finished at the counter with Q2 owed by 10-29
     * (5 working days); P lacks its form and waits */
    h_set_clock(C(B_OP), "2020-10-22T10:00:00+08:00");
    s_sub_t x = {.key = "bw-1",
                 .bundle = "T-BUNDLE-QP",
                 .id = s_new_id(),
                 .mats = "Q1,P2",
                 .commit = "Q2,P3"};
    Zwfw__V1__SubmitApplicationReply *r = s_submit(C(B_WIN), &x);
    const Zwfw__V1__Application *q = s_child_of(r, ITEM_Q), *p = s_child_of(r, ITEM_P);
    assert_int_equal(q->state, STATE(APPROVED_WAIVER));
    assert_true(s_date_is(q->supply_by, 2020, 10, 29));
    assert_int_equal(p->state, STATE(RECEIVED));
    assert_null(p->supply_by);
    assert_int_equal(r->application->state, STATE(RECEIVED));
    assert_int_equal(r->notice->kind, NOTICE(ONE_TIME));
    assert_true(s_date_is(r->notice->supply_by, 2020, 10, 29));
    assert_int_equal(r->notice->n_missing, 3); /* P's P1 and P3, Q's Q2 */
    char parent[48], child_q[64];
    snprintf(parent, sizeof parent, "%s", r->application->receipt_number);
    snprintf(child_q, sizeof child_q, "%s", q->receipt_number);
    s_free(r);

    /* Friday 10-23: P's form comes, so P is accepted with P3 owed by
     * 10-30. The bundle's notice lists both 容缺 materials under the date
     * that binds first, Q's */
    h_set_clock(C(B_OP), "2020-10-23T10:00:00+08:00");
    s_free(s_supplement("bw-1-sup", parent, "P1", 41));
    Zwfw__V1__ApplicationReply *g = s_get(C(B_WIN), parent);
    assert_int_equal(g->application->state, STATE(ACCEPTED));
    assert_int_equal(g->notice->kind, NOTICE(WAIVER));
    assert_true(s_date_is(g->application->supply_by, 2020, 10, 29));
    assert_true(s_date_is(g->notice->supply_by, 2020, 10, 29));
    assert_int_equal(g->notice->n_missing, 2);
    assert_true(s_missing_has(g->notice, "Q2") && s_missing_has(g->notice, "P3"));
    s_free(g);

    /* a 不予受理决定书 and a 撤销决定书 state their reason */
    const char *decide = "{\"idempotencyKey\":\"%s\",\"actor\":\"head\",\"receiptNumber\":\"%s\","
                         "\"reason\":\"%s\"}";
    char json[512];
    zw_err_t err;
    snprintf(json, sizeof json, decide, "bw-1-rf", child_q, "");
    ProtobufCMessage *rq = h_json("zwfw.v1.RefuseApplication", json);
    assert_null(h_try(C(B_WIN), "zwfw.intake", rq, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "reason");
    assert_non_null(strstr(err.message, "不予受理决定书"));
    protobuf_c_message_free_unpacked(rq, NULL);
    /* blanks a Chinese input method types (U+3000) and a zero-width space
     * state nothing either */
    snprintf(json, sizeof json, decide, "bw-1-rfb", child_q, " \u3000\u200b\u00a0 ");
    rq = h_json("zwfw.v1.RefuseApplication", json);
    assert_null(h_try(C(B_WIN), "zwfw.intake", rq, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "reason");
    protobuf_c_message_free_unpacked(rq, NULL);
    snprintf(json, sizeof json, decide, "bw-1-rv0", child_q, "");
    rq = h_json("zwfw.v1.RevokeApplication", json);
    assert_null(h_try(C(B_HEAD1), "zwfw.intake", rq, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "撤销决定书"));
    protobuf_c_message_free_unpacked(rq, NULL);

    /* Q's approval revoked: its commitment no longer binds, so the bundle
     * owes only P3, by P's date */
    snprintf(json, sizeof json, decide, "bw-1-rv", child_q, "承诺不实");
    Zwfw__V1__ApplicationReply *rv = (Zwfw__V1__ApplicationReply *) h_json_call(
        C(B_HEAD1), "zwfw.intake", "zwfw.v1.RevokeApplication", json);
    assert_int_equal(rv->application->state, STATE(REVOKED));
    s_free(rv);
    g = s_get(C(B_WIN), parent);
    assert_int_equal(g->notice->kind, NOTICE(WAIVER));
    assert_true(s_date_is(g->application->supply_by, 2020, 10, 30));
    assert_true(s_date_is(g->notice->supply_by, 2020, 10, 30));
    assert_int_equal(g->notice->n_missing, 1);
    assert_true(s_missing_has(g->notice, "P3"));
    assert_false(s_missing_has(g->notice, "Q2"));
    s_free(g);

    /* P3 comes: nothing is owed, no date is shown */
    s_free(s_supplement("bw-1-sup3", parent, "P3", 42));
    g = s_get(C(B_WIN), parent);
    assert_null(g->application->supply_by);
    assert_null(g->notice->supply_by);
    assert_int_equal(g->notice->n_missing, 0);
    assert_int_not_equal(g->notice->kind, NOTICE(WAIVER));
    s_free(g);
#undef ITEM_Q
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_actor_text),
        cmocka_unit_test(test_receive_only),
        cmocka_unit_test(test_due_across_national_day),
        cmocka_unit_test(test_counter_outcomes),
        cmocka_unit_test(test_idempotency),
        cmocka_unit_test(test_bundle),
        cmocka_unit_test(test_bundle_materials_per_item),
        cmocka_unit_test(test_materials_reused),
        cmocka_unit_test(test_withdraw_and_refuse),
        cmocka_unit_test(test_cancelled_item),
        cmocka_unit_test(test_four_hours_before_holiday),
        cmocka_unit_test(test_deemed_acceptance),
        cmocka_unit_test(test_list_and_changes),
        cmocka_unit_test(test_zwfwctl),
        cmocka_unit_test(test_receipts_in_sequence),
        cmocka_unit_test(test_receipts_reserved_ahead),
        cmocka_unit_test(test_no_id_in_clear),
        cmocka_unit_test(test_waiver_overdue_tracked),
        cmocka_unit_test(test_bundle_waiver_from_standing_children),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
