/* Group commit of submissions (services/intake/intake_batch.h): the same
 * scripted workload, 16 client threads submitting at once, against a
 * zwfw-intake with the batcher (--submit-batch 64) and one without it
 * (--submit-batch 1), each on a fresh database. In each mode:
 *
 * - every reply's application is byte for byte what GetApplication returns
 *   right after (the batched reply is built from what was written, not read
 *   back);
 * - each request gets the outcome or error its kind implies; errors store
 *   nothing; a key makes at most one application, every application has its
 *   key, receipt numbers are unique;
 * - each stored application has the history rows and Application* events
 *   its outcome implies;
 * - with the batcher, some transaction held several applications; without,
 *   none did; and some batches were built on a wrong guess of their reads
 *   (the replays) and ran again.
 *
 * Then, across the modes, the outcome of each request (error code, or
 * state, notice kind, due time, children) is the same. */
#include "intake_harness.h"

#include <pthread.h>

#define DEPT "11500152MB17035173"
#define CODE(basic) basic "-500152000000-000-" DEPT "-1-00"
#define ITEM_P CODE("500T0300100001") /* 承诺件: P3 容缺-eligible */
#define ITEM_I CODE("500T0300100002") /* 即办件 */
#define ITEM_X CODE("500T0300100003") /* cancelled before the load */
#define ITEM_UNKNOWN CODE("500T0300109999")
#define BUNDLE "T-BATCH-BUNDLE" /* I then P */
#define STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x
#define NOTICE(x) ZWFW__V1__NOTICE_KIND__NOTICE_KIND_##x

#define THREADS 16
#define STEPS 40
#define SUBS 3 /* calls per step at most */
#define SLOTS (STEPS * SUBS)
#define MAX_KIDS 2

static const char *s_catalog =
    "{\"idempotencyKey\":\"load-1\",\"actor\":\"op\",\"items\":["
    "{\"basicCode\":\"500T0300100001\",\"implCode\":\"" ITEM_P "\",\"name\":\"批量承诺件\","
    "\"type\":\"ITEM_TYPE_LICENSING\",\"departmentCode\":\"" DEPT "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_PROMISED\","
    "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},\"materials\":["
    "{\"code\":\"P1\",\"name\":\"申请表\",\"required\":true,\"copies\":1},"
    "{\"code\":\"P2\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1},"
    "{\"code\":\"P3\",\"name\":\"住所使用证明\",\"required\":true,\"waivable\":true,\"copies\":1}]}"
    ","
    "{\"basicCode\":\"500T0300100002\",\"implCode\":\"" ITEM_I "\",\"name\":\"批量即办件\","
    "\"type\":\"ITEM_TYPE_CONFIRMATION\",\"departmentCode\":\"" DEPT "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":2,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"I1\",\"name\":\"申请表\",\"required\":true,\"copies\":1},"
    "{\"code\":\"I2\",\"name\":\"申请人身份证明\",\"required\":true,\"copies\":1}]},"
    "{\"basicCode\":\"500T0300100003\",\"implCode\":\"" ITEM_X "\",\"name\":\"已取消事项\","
    "\"type\":\"ITEM_TYPE_CONFIRMATION\",\"departmentCode\":\"" DEPT "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"X1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]}],"
    "\"bundles\":[{\"code\":\"" BUNDLE "\",\"name\":\"批量一件事\",\"itemCodes\":[\"" ITEM_I
    "\",\"" ITEM_P "\"]}]}";

/* ---- the script ------------------------------------------------------------------------
 * Step i of client thread t is of kind s_kind(t / 2, i): the two threads of
 * a pair run the same kinds in step, so a K_DUP step is both of them sending
 * one request at the same moment. */

enum {
    K_COMPLETE,     /* 承诺件, every material: accepted (3) */
    K_INCOMPLETE,   /* 承诺件, P1 only: one-time notice, waits (1) */
    K_WAIVER,       /* 承诺件, P3 missing, committed: 容缺 accepted (3) */
    K_IMMEDIATE,    /* 即办件: finished at the counter (11) */
    K_RECEIVE_ONLY, /* kiosk, received only (1) */
    K_CANCELLED,    /* the cancelled item: a stored 不受理 (4) */
    K_UNKNOWN,      /* no such item: NOT_FOUND, nothing stored */
    K_BAD_ID,       /* ID check character wrong: INVALID_ARGUMENT */
    K_DUP,          /* the pair sends one request, one key, at once: one application */
    K_KEY_REUSE,    /* a key, then the key with other content (ALREADY_EXISTS), then again */
    K_ON_FILE,      /* one applicant twice in a row, the second without P2: on file */
    K_SAME_PERSON,  /* one applicant, two items, both in flight at once */
    K_BUNDLE,       /* the bundle, every material: 11 and 3, parent 3 */
    K_BUNDLE_ONCE,  /* the bundle, the ID proof handed in once (as I2, not as P2) */
    K_COUNT
};

static const char *const s_kind_names[K_COUNT] = {
    "complete", "incomplete", "waiver",    "immediate", "receive_only", "cancelled", "unknown",
    "bad_id",   "dup",        "key_reuse", "on_file",   "same_person",  "bundle",    "bundle_once"};

static int s_kind(int pair, int step)
{
    return (pair * 5 + step) % K_COUNT;
}

/* What one call gave. */
typedef struct {
    bool done;
    int code;
    int state, notice, n_missing;
    int64_t due_us;
    bool replayed, receive_only;
    int n_kids, kid_state[MAX_KIDS];
    char receipt[48], kid_receipt[MAX_KIDS][56];
    char key[48];
    char p2_sha[65]; /* the P2 reference the application holds, if any */
} s_out_t;

typedef struct {
    int index;
    pthread_barrier_t *pair_go;
    s_out_t out[SLOTS];
    int mismatches; /* reply != GetApplication */
    int failures;   /* a call that did not come back, or a reply that did not decode */
} s_thread_t;

/* One run of the workload in one mode. */
typedef struct {
    const char *batch; /* --submit-batch */
    const char *db;
    bool ran;
    s_thread_t threads[THREADS];
    char stats[512];
    long fallbacks;           /* batches that fell back to one transaction each; -1: unknown */
    long stale;               /* batches run again after a wrong guess; -1: unknown */
    char first_fallback[512]; /* the daemon's log line of the first */
} s_mode_t;

static s_mode_t s_batched = {.batch = "64", .db = "zwfw_test_intake_batch_64"};
static s_mode_t s_single = {.batch = "1", .db = "zwfw_test_intake_batch_1"};

static h_stack_t S;
static h_broker_t s_win, s_op;
static pid_t s_intake;

/* ---- requests --------------------------------------------------------------------------- */

/* A resident ID unique per (thread, step, sub): born 1990-MM-DD, serial n. */
static void s_person(int thread, int step, int sub, char out[19])
{
    int n = (thread * STEPS + step) * SUBS + sub;
    char first[32];
    snprintf(first, sizeof first, "5001521990%02d%02d%03d", 1 + (n / 1000) % 12,
             1 + (n / 12000) % 28, n % 1000);
    first[17] = '\0';
    h_resident_id(first, out);
}

typedef struct {
    const char *key, *item, *bundle, *id, *mats, *commit;
    int salt;
    bool receive_only;
} s_sub_t;

/* A SubmitApplication (freed by the caller); NULL if the JSON is bad. */
static ProtobufCMessage *s_request(const s_sub_t *x)
{
    char mats[4096], json[8192];
    h_material_refs(mats, sizeof mats, x->mats, x->salt);
    char commit[128] = "";
    if (x->commit)
        snprintf(commit, sizeof commit,
                 ",\"commitment\":{\"signed\":true,\"materialCodes\":[\"%s\"]}", x->commit);
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"%s\",\"actor\":\"clerk-07\",\"%s\":\"%s\","
             "\"channel\":\"%s\",\"windowId\":\"%s\",\"applicant\":{\"kind\":"
             "\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":\"钱七\",\"idType\":"
             "\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"%s\"},\"phone\":\"13912340000\","
             "\"address\":\"重庆市潼南区桂林街道\"},\"materials\":[%s]%s%s}",
             x->key, x->bundle ? "bundleCode" : "itemCode", x->bundle ? x->bundle : x->item,
             x->receive_only ? "CHANNEL_KIOSK" : "CHANNEL_WINDOW", x->receive_only ? "K01" : "W01",
             x->id, mats, commit, x->receive_only ? ",\"receiveOnly\":true" : "");
    zw_err_t err;
    ProtobufCMessage *m =
        zw_wire_from_json_named("zwfw.v1.SubmitApplication", json, strlen(json), &err);
    if (!m)
        fprintf(stderr, "bad test JSON: %s\n%s\n", err.message, json);
    return m;
}

static zw_client_t *s_client_new(void)
{
    zw_err_t err;
    const char *eps[] = {s_win.ep};
    zw_client_t *c = zw_client_new(S.ctx, eps, 1, &err);
    if (c) {
        /* no retries: a retry would be a replay and change `replayed` */
        zw_client_set_timeout(c, 60000);
        zw_client_set_retries(c, 0);
    }
    return c;
}

static void s_dump(const char *what, const ProtobufCMessage *m)
{
    zw_err_t err;
    char *json = zw_wire_to_json(m, ZW_WIRE_PRETTY, &err);
    fprintf(stderr, "%s:\n%s\n", what, json ? json : err.message);
    free(json);
}

/* The application as GetApplication gives it now must be `app`, byte for
 * byte. */
static void s_check_stored(s_thread_t *t, zw_client_t *c, const Zwfw__V1__Application *app)
{
    Zwfw__V1__GetApplication get = ZWFW__V1__GET_APPLICATION__INIT;
    get.receipt_number = app->receipt_number;
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    if (zw_client_call(c, "zwfw.intake", &get.base, &reply, &err) != 0) {
        fprintf(stderr, "GetApplication %s: %s: %s\n", app->receipt_number, zw_code_name(err.code),
                err.message);
        t->failures++;
        return;
    }
    const Zwfw__V1__Application *stored = ((Zwfw__V1__ApplicationReply *) reply)->application;
    size_t la = protobuf_c_message_get_packed_size(&app->base);
    size_t lb = stored ? protobuf_c_message_get_packed_size(&stored->base) : 0;
    uint8_t *a = malloc(la + 1), *b = malloc(lb + 1);
    protobuf_c_message_pack(&app->base, a);
    if (stored)
        protobuf_c_message_pack(&stored->base, b);
    if (la != lb || memcmp(a, b, la) != 0) {
        if (t->mismatches++ < 2) {
            fprintf(stderr, "thread %d: the reply differs from GetApplication\n", t->index);
            s_dump("reply", &app->base);
            if (stored)
                s_dump("stored", &stored->base);
        }
    }
    free(a);
    free(b);
    protobuf_c_message_free_unpacked(reply, NULL);
}

/* Records a call's result; for a reply, checks it against the store. */
static void s_record(s_thread_t *t, zw_client_t *c, s_out_t *o, const char *key, int code,
                     const Zwfw__V1__SubmitApplicationReply *r)
{
    o->done = true;
    o->code = code;
    snprintf(o->key, sizeof o->key, "%s", key);
    if (code != ZW_OK)
        return;
    if (!r || !r->application || !r->notice) {
        t->failures++;
        o->code = -1;
        return;
    }
    const Zwfw__V1__Application *a = r->application;
    o->state = a->state;
    o->notice = r->notice->kind;
    o->n_missing = (int) r->notice->n_missing;
    o->due_us = h_ts_us(a->due_at);
    o->replayed = r->replayed;
    o->receive_only = a->receive_only;
    snprintf(o->receipt, sizeof o->receipt, "%s", a->receipt_number);
    for (size_t i = 0; i < a->n_materials; i++)
        if (strcmp(a->materials[i]->material_code, "P2") == 0)
            snprintf(o->p2_sha, sizeof o->p2_sha, "%s", a->materials[i]->sha256);
    s_check_stored(t, c, a);
    o->n_kids = (int) r->n_children;
    if (r->n_children != a->n_children || r->n_children > MAX_KIDS) {
        t->failures++;
        return;
    }
    for (size_t i = 0; i < r->n_children; i++) {
        o->kid_state[i] = r->children[i]->state;
        snprintf(o->kid_receipt[i], sizeof o->kid_receipt[i], "%s", r->children[i]->receipt_number);
        s_check_stored(t, c, r->children[i]);
    }
}

static void s_call(s_thread_t *t, zw_client_t *c, int slot, const s_sub_t *x)
{
    ProtobufCMessage *req = s_request(x);
    if (!req) {
        t->failures++;
        return;
    }
    ProtobufCMessage *reply = NULL;
    zw_err_t err = {0};
    int code = zw_client_call(c, "zwfw.intake", req, &reply, &err) == 0 ? ZW_OK : err.code;
    if (code == ZW_DEADLINE_EXCEEDED || code == ZW_INTERNAL || code == ZW_UNAVAILABLE) {
        fprintf(stderr, "thread %d slot %d: %s: %s\n", t->index, slot, zw_code_name(code),
                err.message);
        t->failures++;
    }
    s_record(t, c, &t->out[slot], x->key, code, (Zwfw__V1__SubmitApplicationReply *) reply);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    protobuf_c_message_free_unpacked(req, NULL);
}

/* Two requests in flight at once on one client; both results recorded. */
static void s_call_both(s_thread_t *t, zw_client_t *c, int slot, const s_sub_t *x, const s_sub_t *y)
{
    const s_sub_t *subs[2] = {x, y};
    char ids[2][ZW_CLIENT_ID_LEN];
    bool sent[2] = {false, false};
    zw_err_t err;
    for (int k = 0; k < 2; k++) {
        ProtobufCMessage *req = s_request(subs[k]);
        sent[k] = req && zw_client_send_msg(c, "zwfw.intake", req, ids[k], &err) == 0;
        if (req)
            protobuf_c_message_free_unpacked(req, NULL);
        if (!sent[k])
            t->failures++;
    }
    for (int k = 0; k < 2; k++) {
        if (!sent[k])
            continue;
        zw_client_reply_t *r = zw_client_wait(c, ids[k], &err);
        if (!r) {
            t->failures++;
            continue;
        }
        Zwfw__V1__SubmitApplicationReply *m =
            r->err.code == ZW_OK ? zwfw__v1__submit_application_reply__unpack(NULL, r->len, r->data)
                                 : NULL;
        if (r->err.code != ZW_OK && r->err.code != ZW_INVALID_ARGUMENT &&
            r->err.code != ZW_NOT_FOUND && r->err.code != ZW_ALREADY_EXISTS)
            t->failures++;
        s_record(t, c, &t->out[slot + k], subs[k]->key, r->err.code, m);
        if (m)
            protobuf_c_message_free_unpacked(&m->base, NULL);
        zw_client_reply_destroy(&r);
    }
}

static void s_step(s_thread_t *t, zw_client_t *c, int step)
{
    int pair = t->index / 2, kind = s_kind(pair, step), slot = step * SUBS;
    char key[40], key2[48], id[19];
    snprintf(key, sizeof key, "b-%02d-%02d-%s", t->index, step, s_kind_names[kind]);
    s_person(t->index, step, 0, id);
    s_sub_t x = {.key = key, .item = ITEM_P, .id = id, .mats = "P1,P2,P3"};
    switch (kind) {
    case K_COMPLETE:
        break;
    case K_INCOMPLETE:
        x.mats = "P1";
        break;
    case K_WAIVER:
        x.mats = "P1,P2";
        x.commit = "P3";
        break;
    case K_IMMEDIATE:
        x.item = ITEM_I;
        x.mats = "I1,I2";
        break;
    case K_RECEIVE_ONLY:
        x.mats = "P1";
        x.receive_only = true;
        break;
    case K_CANCELLED:
        x.item = ITEM_X;
        x.mats = "X1";
        break;
    case K_UNKNOWN:
        x.item = ITEM_UNKNOWN;
        break;
    case K_BAD_ID:
        id[17] = id[17] == '1' ? '2' : '1';
        break;
    case K_DUP:
        /* the pair's one request: the even thread's key and applicant */
        snprintf(key, sizeof key, "b-pair-%02d-%02d-dup", pair, step);
        s_person(pair * 2, step, 0, id);
        pthread_barrier_wait(t->pair_go);
        break;
    case K_KEY_REUSE:
        x.item = ITEM_I;
        x.mats = "I1,I2";
        s_call(t, c, slot, &x);
        x.mats = "I1"; /* other content, the same key */
        s_call(t, c, slot + 1, &x);
        x.mats = "I1,I2"; /* the first request again: its answer */
        s_call(t, c, slot + 2, &x);
        return;
    case K_ON_FILE:
        s_call(t, c, slot, &x);
        snprintf(key2, sizeof key2, "%s-2", key);
        x.key = key2;
        x.mats = "P1,P3"; /* P2 (申请人身份证明) is on file from the first */
        x.salt = 5;
        break;
    case K_SAME_PERSON: {
        snprintf(key2, sizeof key2, "%s-2", key);
        s_sub_t y = {.key = key2, .item = ITEM_I, .id = id, .mats = "I1,I2", .salt = 3};
        s_call_both(t, c, slot, &x, &y);
        return;
    }
    case K_BUNDLE:
        x.item = NULL;
        x.bundle = BUNDLE;
        x.mats = "I1,I2,P1,P2,P3";
        break;
    case K_BUNDLE_ONCE:
        x.item = NULL;
        x.bundle = BUNDLE;
        x.mats = "I1,I2,P1,P3";
        break;
    }
    s_call(t, c, kind == K_ON_FILE ? slot + 1 : slot, &x);
}

static void *s_thread(void *arg)
{
    s_thread_t *t = arg;
    zw_client_t *c = s_client_new();
    for (int step = 0; step < STEPS; step++) {
        if (c) {
            s_step(t, c, step);
        } else {
            t->failures++;
            if (s_kind(t->index / 2, step) == K_DUP)
                pthread_barrier_wait(t->pair_go); /* the partner must not wait forever */
        }
    }
    zw_client_destroy(&c);
    return NULL;
}

/* ---- what each call should give -------------------------------------------------------- */

typedef struct {
    int code, state, notice, n_kids, kid_state[MAX_KIDS];
    bool replay; /* a replay of the step's first call */
} s_expect_t;

/* The outcome of call `sub` of a step of `kind`; false: no such call. */
static bool s_expected(int kind, int sub, s_expect_t *e)
{
    memset(e, 0, sizeof *e);
    e->code = ZW_OK;
    int subs = kind == K_KEY_REUSE ? 3 : kind == K_ON_FILE || kind == K_SAME_PERSON ? 2 : 1;
    if (sub >= subs)
        return false;
    switch (kind) {
    case K_COMPLETE:
    case K_DUP:
    case K_ON_FILE: /* both: the second has P2 on file */
        e->state = STATE(ACCEPTED);
        e->notice = NOTICE(ACCEPTANCE);
        break;
    case K_INCOMPLETE:
        e->state = STATE(RECEIVED);
        e->notice = NOTICE(ONE_TIME);
        break;
    case K_WAIVER:
        e->state = STATE(ACCEPTED);
        e->notice = NOTICE(WAIVER);
        break;
    case K_IMMEDIATE:
        e->state = STATE(APPROVED);
        e->notice = NOTICE(COMPLETION);
        break;
    case K_RECEIVE_ONLY:
        e->state = STATE(RECEIVED);
        e->notice = NOTICE(RECEIVED);
        break;
    case K_CANCELLED:
        e->state = STATE(NOT_ACCEPTED);
        e->notice = NOTICE(NOT_ACCEPTED);
        break;
    case K_UNKNOWN:
        e->code = ZW_NOT_FOUND;
        break;
    case K_BAD_ID:
        e->code = ZW_INVALID_ARGUMENT;
        break;
    case K_KEY_REUSE:
        if (sub == 1) {
            e->code = ZW_ALREADY_EXISTS;
        } else {
            e->state = STATE(APPROVED);
            e->notice = NOTICE(COMPLETION);
            e->replay = sub == 2;
        }
        break;
    case K_SAME_PERSON:
        e->state = sub == 0 ? STATE(ACCEPTED) : STATE(APPROVED);
        e->notice = sub == 0 ? NOTICE(ACCEPTANCE) : NOTICE(COMPLETION);
        break;
    case K_BUNDLE:
    case K_BUNDLE_ONCE:
        /* K_BUNDLE_ONCE: the ID proof handed in for the 即办件 child is the
         * one the 承诺件 child asks for (materials are matched by kind of
         * document): the applicant hands it in once (一件事一次办) */
        e->state = STATE(ACCEPTED);
        e->notice = NOTICE(ACCEPTANCE);
        e->n_kids = 2;
        e->kid_state[0] = STATE(APPROVED);
        e->kid_state[1] = STATE(ACCEPTED);
        break;
    }
    return true;
}

/* The history and Application* events (types sorted, without the package)
 * an application with this outcome has. */
static void s_trail(int state, bool receive_only, bool parent, char *hist, char *events)
{
    if (parent) {
        if (state == STATE(RECEIVED)) {
            strcpy(hist, "1");
            strcpy(events, "ApplicationReceived");
        } else {
            sprintf(hist, "1,%d", state);
            strcpy(events, "ApplicationReceived,ApplicationStateChanged");
        }
        return;
    }
    switch (state) {
    case STATE(RECEIVED):
        strcpy(hist, "1");
        strcpy(events, receive_only ? "ApplicationReceived"
                                    : "ApplicationMaterialsMissing,ApplicationReceived");
        break;
    case STATE(ACCEPTED):
        strcpy(hist, "1,3");
        strcpy(events, "ApplicationAccepted,ApplicationReceived");
        break;
    case STATE(NOT_ACCEPTED):
        strcpy(hist, "1,4");
        strcpy(events, "ApplicationNotAccepted,ApplicationReceived");
        break;
    case STATE(APPROVED):
        strcpy(hist, "1,3,11");
        strcpy(events, "ApplicationAccepted,ApplicationCompleted,ApplicationReceived");
        break;
    default:
        sprintf(hist, "unexpected state %d", state);
        strcpy(events, "?");
    }
}

/* ---- one mode ------------------------------------------------------------------------------ */

static int s_mode_setup(void **state)
{
    s_mode_t *m = *state;
    h_stack_init(&S, m->db);
    s_win = (h_broker_t){.role = "window", .key_id = "win1", .region = "500152", .department = ""};
    s_op = (h_broker_t){.role = "operator", .key_id = "op", .region = "500152", .department = ""};
    h_start_broker(&S, &s_win);
    h_start_broker(&S, &s_op);
    char eps[256];
    snprintf(eps, sizeof eps, "%s,%s", s_win.ep, s_op.ep);
    const char *const extra[] = {"--submit-batch", m->batch, NULL};
    s_intake = h_start_intake(
        &S, eps,
        (zwt_intake_opts_t){
            .clock_mode = "simulated", .threads = 16, .log_level = "info", .extra = extra});
    h_wait_service(&S, s_op.ep, "zwfw.clock");
    h_wait_service(&S, s_op.ep, "zwfw.catalog");
    h_wait_service(&S, s_win.ep, "zwfw.intake");
    /* Friday after the National Day holiday, 10:00 */
    h_set_clock(s_op.client, "2020-10-09T10:00:00+08:00");
    ProtobufCMessage *r =
        h_json_call(s_op.client, "zwfw.catalog", "zwfw.v1.LoadCatalog", s_catalog);
    protobuf_c_message_free_unpacked(r, NULL);
    r = h_json_call(s_op.client, "zwfw.catalog", "zwfw.v1.CancelItem",
                    "{\"idempotencyKey\":\"cx-1\",\"actor\":\"op\",\"implCode\":\"" ITEM_X
                    "\",\"reason\":\"事项已调整\"}");
    protobuf_c_message_free_unpacked(r, NULL);
    return 0;
}

static int s_mode_teardown(void **state)
{
    (void) state;
    zw_client_destroy(&s_win.client);
    zw_client_destroy(&s_op.client);
    h_kill(&S, s_intake); /* unless the test stopped it */
    h_stop(&S, s_win.pid);
    h_stop(&S, s_op.pid);
    h_stack_free(&S);
    return 0;
}

/* One stored application as expected: its receipt and trail. */
typedef struct {
    char receipt[56];
    char hist[64], events[160];
} s_app_t;

static int s_app_cmp(const void *a, const void *b)
{
    return strcmp(((const s_app_t *) a)->receipt, ((const s_app_t *) b)->receipt);
}

static void s_add_app(s_app_t *apps, int *n, int max, const char *receipt, int state,
                      bool receive_only, bool parent)
{
    assert_true(*n < max);
    s_app_t *a = &apps[(*n)++];
    snprintf(a->receipt, sizeof a->receipt, "%s", receipt);
    s_trail(state, receive_only, parent, a->hist, a->events);
}

/* Every call's outcome against the script, the pairs and the replays. */
static void s_check_replies(s_mode_t *m)
{
    for (int t = 0; t < THREADS; t++) {
        s_thread_t *th = &m->threads[t];
        if (th->failures || th->mismatches)
            fprintf(stderr, "thread %d: %d failures, %d replies unlike the stored application\n", t,
                    th->failures, th->mismatches);
        assert_int_equal(th->failures, 0);
        assert_int_equal(th->mismatches, 0);
        for (int step = 0; step < STEPS; step++) {
            int kind = s_kind(t / 2, step);
            for (int sub = 0; sub < SUBS; sub++) {
                const s_out_t *o = &th->out[step * SUBS + sub];
                s_expect_t e;
                if (!s_expected(kind, sub, &e)) {
                    assert_false(o->done);
                    continue;
                }
                assert_true(o->done);
                bool ok = o->code == e.code;
                if (ok && e.code == ZW_OK) {
                    ok = o->state == e.state && o->notice == e.notice && o->n_kids == e.n_kids;
                    for (int k = 0; ok && k < e.n_kids; k++)
                        ok = o->kid_state[k] == e.kid_state[k];
                }
                if (!ok) {
                    fprintf(stderr,
                            "mode %s, thread %d step %d (%s) call %d: got %s state %d notice %d"
                            " children %d [%d %d]; expected %s state %d notice %d children %d"
                            " [%d %d]\n",
                            m->batch, t, step, s_kind_names[kind], sub, zw_code_name(o->code),
                            o->state, o->notice, o->n_kids, o->kid_state[0], o->kid_state[1],
                            zw_code_name(e.code), e.state, e.notice, e.n_kids, e.kid_state[0],
                            e.kid_state[1]);
                    fail();
                }
                if (e.code != ZW_OK)
                    continue;
                if (kind == K_INCOMPLETE)
                    assert_int_equal(o->n_missing, 2); /* P2 and P3, in one notice */
                if (kind == K_KEY_REUSE)
                    assert_int_equal(o->replayed, e.replay);
                if (e.replay)
                    assert_string_equal(o->receipt, th->out[step * SUBS].receipt);
                if (kind == K_ON_FILE && sub == 1) {
                    /* not asked for again: the reference of the first is used */
                    assert_true(o->p2_sha[0]);
                    assert_string_equal(o->p2_sha, th->out[step * SUBS].p2_sha);
                }
                if (kind == K_DUP && t % 2 == 0) {
                    const s_out_t *p = &m->threads[t + 1].out[step * SUBS];
                    assert_int_equal(p->code, ZW_OK);
                    assert_string_equal(o->receipt, p->receipt);
                    assert_true(o->replayed != p->replayed); /* exactly one is the first */
                }
                if (kind != K_DUP && kind != K_KEY_REUSE)
                    assert_false(o->replayed);
            }
        }
    }
}

/* The store: applications, keys, receipts, history and events. */
static void s_check_store(s_mode_t *m)
{
    enum { MAX_APPS = THREADS * SLOTS * 3 };
    s_app_t *apps = calloc(MAX_APPS, sizeof *apps);
    assert_non_null(apps);
    int n = 0, keys = 0;
    long reused = 0;
    for (int t = 0; t < THREADS; t++)
        for (int s = 0; s < SLOTS; s++) {
            const s_out_t *o = &m->threads[t].out[s];
            if (!o->done || o->code != ZW_OK || o->replayed)
                continue;
            keys++;
            int kind = s_kind(t / 2, s / SUBS);
            /* the second of K_ON_FILE, and K_BUNDLE_ONCE's 承诺件 child: P2 on file */
            reused += (kind == K_ON_FILE && s % SUBS == 1) || kind == K_BUNDLE_ONCE;
            s_add_app(apps, &n, MAX_APPS, o->receipt, o->state, o->receive_only, o->n_kids > 0);
            for (int k = 0; k < o->n_kids; k++)
                s_add_app(apps, &n, MAX_APPS, o->kid_receipt[k], o->kid_state[k], false, false);
        }
    qsort(apps, (size_t) n, sizeof *apps, s_app_cmp);
    for (int i = 1; i < n; i++)
        assert_string_not_equal(apps[i - 1].receipt, apps[i].receipt); /* never handed out twice */

    /* errors stored nothing, not even their keys */
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.applications"), n);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.requests WHERE kind = 'submit'"),
                     keys);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.requests WHERE"
                                    " idempotency_key LIKE '%%-unknown' OR"
                                    " idempotency_key LIKE '%%-bad_id'"),
                     0);
    /* one application per key, each with its key, receipts unique */
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.applications"
                                    " WHERE parent_receipt IS NULL"),
                     keys);
    assert_int_equal(h_sql_long(&S, "SELECT count(DISTINCT receipt_number) FROM intake.requests"
                                    " WHERE kind = 'submit'"),
                     keys);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.requests r WHERE kind = 'submit'"
                                    " AND NOT EXISTS (SELECT 1 FROM intake.applications a WHERE"
                                    " a.receipt_number = r.receipt_number AND"
                                    " a.parent_receipt IS NULL)"),
                     0);
    /* each reply's key holds the receipt the reply gave */
    for (int t = 0; t < THREADS; t++)
        for (int s = 0; s < SLOTS; s++) {
            const s_out_t *o = &m->threads[t].out[s];
            if (!o->done || o->code != ZW_OK)
                continue;
            char sql[256], got[64];
            snprintf(sql, sizeof sql,
                     "SELECT receipt_number FROM intake.requests WHERE caller = 'win1' AND"
                     " idempotency_key = '%s'",
                     o->key);
            assert_string_equal(h_sql(&S, sql, got, sizeof got), o->receipt);
        }
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.materials WHERE reused"), reused);

    /* history and events of each application; the relay has moved the
     * outbox to the log (one statement sees either, never both) */
    int64_t until = h_now_ms() + 20000;
    while (h_now_ms() < until &&
           h_sql_long(&S, "SELECT count(*) FROM events.outbox WHERE stream = 'intake'") > 0)
        h_nap(30);
    PGresult *res = PQexec(
        S.pg, "WITH h AS (SELECT receipt_number AS r, string_agg(state::text, ',' ORDER BY id) AS s"
              " FROM intake.history GROUP BY 1),"
              " e AS (SELECT aggregate_id AS r, string_agg(substr(type, 9), ',' ORDER BY type) AS t"
              " FROM (SELECT aggregate_id, type FROM events.outbox WHERE stream = 'intake'"
              " UNION ALL SELECT aggregate_id, type FROM events.log WHERE stream = 'intake') x"
              " GROUP BY 1)"
              " SELECT a.receipt_number, coalesce(h.s, ''), coalesce(e.t, '')"
              " FROM intake.applications a LEFT JOIN h ON h.r = a.receipt_number"
              " LEFT JOIN e ON e.r = a.receipt_number ORDER BY 1");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_int_equal(PQntuples(res), n);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        s_app_t key;
        snprintf(key.receipt, sizeof key.receipt, "%s", PQgetvalue(res, i, 0));
        const s_app_t *a = bsearch(&key, apps, (size_t) n, sizeof *apps, s_app_cmp);
        if (!a || strcmp(a->hist, PQgetvalue(res, i, 1)) ||
            strcmp(a->events, PQgetvalue(res, i, 2))) {
            if (bad++ < 5)
                fprintf(stderr, "%s: history %s, events %s; expected %s, %s\n", key.receipt,
                        PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), a ? a->hist : "(no reply)",
                        a ? a->events : "");
        }
    }
    PQclear(res);
    assert_int_equal(bad, 0);
    /* nothing recorded for an application that does not exist */
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM intake.history h WHERE NOT EXISTS"
                                    " (SELECT 1 FROM intake.applications a WHERE"
                                    " a.receipt_number = h.receipt_number)"),
                     0);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM events.log l WHERE stream = 'intake'"
                                    " AND NOT EXISTS (SELECT 1 FROM intake.applications a WHERE"
                                    " a.receipt_number = l.aggregate_id)"),
                     0);
    free(apps);
}

static void s_run(s_mode_t *m)
{
    pthread_barrier_t pair_go[THREADS / 2];
    pthread_t threads[THREADS];
    for (int p = 0; p < THREADS / 2; p++)
        pthread_barrier_init(&pair_go[p], NULL, 2);
    memset(m->threads, 0, sizeof m->threads);
    m->fallbacks = -1;
    m->first_fallback[0] = '\0';
    int64_t t0 = h_now_ms();
    for (int t = 0; t < THREADS; t++) {
        m->threads[t].index = t;
        m->threads[t].pair_go = &pair_go[t / 2];
        assert_int_equal(pthread_create(&threads[t], NULL, s_thread, &m->threads[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int p = 0; p < THREADS / 2; p++)
        pthread_barrier_destroy(&pair_go[p]);
    fprintf(stderr, "submit_batch %s: the workload took %lld ms\n", m->batch,
            (long long) (h_now_ms() - t0));
    m->ran = true;

    s_check_replies(m);
    s_check_store(m);
    /* Without bundles (whose parent and children always share one), how
     * many transactions wrote the applications: with the batcher fewer
     * than applications; without it, one each. */
    char out[8];
    h_sql(&S,
          "SELECT count(*) > count(DISTINCT xmin::text) FROM intake.applications"
          " WHERE bundle_code = ''",
          out, sizeof out);
    assert_string_equal(out, strcmp(m->batch, "1") == 0 ? "f" : "t");
    /* stops cleanly (no ASan report); its last words are the batch figures */
    h_proc_t *p = h_find(&S, s_intake);
    char log[300];
    snprintf(log, sizeof log, "%s", p->log);
    h_stop(&S, s_intake);
    FILE *f = fopen(log, "r");
    char line[4096];
    while (f && fgets(line, sizeof line, f)) {
        if (!m->first_fallback[0] && strstr(line, "batch fell back"))
            snprintf(m->first_fallback, sizeof m->first_fallback, "%.500s", line);
        if (strstr(line, "submission batches")) {
            snprintf(m->stats, sizeof m->stats, "%.500s", line);
            fprintf(stderr, "%s", line);
        }
    }
    if (f)
        fclose(f);
    const char *fb = strstr(m->stats, "\"fallbacks\":\"");
    m->fallbacks = fb ? strtol(fb + 13, NULL, 10) : -1;
    assert_true(strcmp(m->batch, "1") == 0 || m->fallbacks >= 0);
    const char *sg = strstr(m->stats, "\"stale_guesses\":\"");
    m->stale = sg ? strtol(sg + 17, NULL, 10) : -1;
}

static void test_batched(void **state)
{
    s_run(*state);
}

static void test_single(void **state)
{
    s_run(*state);
}

/* ---- across the modes ------------------------------------------------------------------------ */

static void test_same_outcomes(void **state)
{
    (void) state;
    assert_true(s_batched.ran && s_single.ran);
    int differ = 0;
    for (int t = 0; t < THREADS; t++)
        for (int s = 0; s < SLOTS; s++) {
            const s_out_t *a = &s_batched.threads[t].out[s], *b = &s_single.threads[t].out[s];
            bool same = a->done == b->done && a->code == b->code && a->state == b->state &&
                        a->notice == b->notice && a->n_missing == b->n_missing &&
                        a->due_us == b->due_us && a->n_kids == b->n_kids &&
                        a->receive_only == b->receive_only;
            for (int k = 0; same && k < a->n_kids; k++)
                same = a->kid_state[k] == b->kid_state[k];
            if (!same && differ++ < 10)
                fprintf(stderr,
                        "thread %d step %d (%s) call %d: batched %s state %d notice %d due %lld;"
                        " single %s state %d notice %d due %lld\n",
                        t, s / SUBS, s_kind_names[s_kind(t / 2, s / SUBS)], s % SUBS,
                        zw_code_name(a->code), a->state, a->notice, (long long) a->due_us,
                        zw_code_name(b->code), b->state, b->notice, (long long) b->due_us);
        }
    assert_int_equal(differ, 0);
}

/* Nothing in this workload conflicts with anything (a key or an applicant
 * twice never share a batch; nobody else writes), so no batch should break
 * and fall back to one transaction per submission: a batch that does does
 * all its work twice, and leaves the path a bundle takes in a batch
 * untested. */
static void test_batches_never_fall_back(void **state)
{
    (void) state;
    assert_true(s_batched.ran);
    if (s_batched.fallbacks != 0)
        fprintf(stderr, "%ld batches fell back; the first:\n%s\n", s_batched.fallbacks,
                s_batched.first_fallback);
    assert_int_equal(s_batched.fallbacks, 0);
}

/* A batch is built on a guess (intake_submit.c, "guessed reads": no key
 * used before, items as last read) and checked at its commit. The script's
 * replays (a key again after its first answer committed) make some
 * guesses wrong; those batches ran again, reading, and test_same_outcomes
 * found every outcome what the unbatched daemon gave. */
static void test_wrong_guesses_ran_again(void **state)
{
    (void) state;
    assert_true(s_batched.ran);
    fprintf(stderr, "batches run again after a wrong guess: %ld\n", s_batched.stale);
    assert_true(s_batched.stale > 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_batched, s_mode_setup, s_mode_teardown,
                                                 &s_batched),
        cmocka_unit_test_prestate_setup_teardown(test_single, s_mode_setup, s_mode_teardown,
                                                 &s_single),
        cmocka_unit_test(test_same_outcomes),
        cmocka_unit_test(test_batches_never_fall_back),
        cmocka_unit_test(test_wrong_guesses_ran_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
