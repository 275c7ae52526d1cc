/* zwfw.catalog against a real database: the handler (zw_catalog_handle)
 * called directly with hand-built requests, the way the worker library
 * calls it, on a fresh database with every migration applied. Versions,
 * identical puts, refusals naming the field, idempotency, cancel and
 * restore (absent from the public listing in the same commit), listing
 * filters and pages, bundles, the sample catalog loaded twice, and the
 * events and audit rows written with each change.
 *
 * The service lives in services/intake, not in libzwfw, so its files are
 * compiled in here. */
#include "zwtest.h"

#include "../../services/intake/catalog_bundles.c"
#include "../../services/intake/catalog_change.c"
#include "../../services/intake/catalog_items.c"
#include "../../services/intake/catalog_request.c"
#include "../../services/intake/catalog_rules.c"
#include "../../services/intake/catalog_service.c"
#include "../../services/intake/catalog_store.c"

#include "clock.h"
#include "db.h"
#include "mdp_frames.h"
#include "mdp_reply.h"
#include "validate.h"
#include "wire_json.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T_IMPL "500A0100100000-500152000000-000-11500152MB17035173-1-00"
#define T_IMPL2 "500A0100200000-500152000000-000-11500152MB17035173-1-00"
#define T_USCC "11500152MB17035173"

typedef struct {
    char *conninfo;
    zw_db_t *db;
    zw_clock_t *clock;
    zw_regions_t *regions;
    zw_intake_ctx_t ctx;
    int64_t start_us;
    int keys; /* for fresh idempotency keys */
} t_env_t;

/* A reply: the message, or the Error's code, message and detail. */
typedef struct {
    zw_code_t code;
    char message[256];
    char detail[128];
    ProtobufCMessage *msg;
    uint8_t *bytes; /* the reply's packed bytes, as sent */
    size_t len;
} t_reply_t;

static int t_setup(void **state)
{
    t_env_t *env = calloc(1, sizeof *env);
    zw_err_t err;
    env->conninfo = zwt_pg_fresh_db("zwt_catalog");
    if (!env->conninfo)
        return -1;
    env->db = zw_db_new(env->conninfo);
    if (zw_db_connect(env->db, &err) != 0 ||
        zw_db_migrate_all(env->db, zwt_src_path(""), NULL, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err.message);
        return -1;
    }
    env->clock = zw_clock_new_sim(env->db);
    assert_int_equal(zw_time_parse("2020-09-25T14:00:00+08:00", &env->start_us, &err), 0);
    assert_int_equal(zw_clock_set(env->clock, env->start_us, NULL, &err), 0);
    env->regions = zw_regions_load(zwt_src_path("deploy/regions.json"), &err);
    assert_non_null(env->regions);
    env->ctx = (zw_intake_ctx_t){.db = env->db, .clock = env->clock, .regions = env->regions};
    *state = env;
    return 0;
}

static int t_teardown(void **state)
{
    t_env_t *env = *state;
    zw_regions_destroy(&env->regions);
    zw_clock_destroy(&env->clock);
    zw_db_destroy(&env->db);
    free(env->conninfo);
    free(env);
    return 0;
}

static void t_reply_free(t_reply_t *r)
{
    if (r->msg)
        protobuf_c_message_free_unpacked(r->msg, NULL);
    free(r->bytes);
    memset(r, 0, sizeof *r);
}

/* Sends msg as a caller of `role` (NULL: no caller at all) with key id
 * `key_id`, through zw_catalog_handle, and decodes the reply frames. */
static t_reply_t t_call_as(t_env_t *env, const char *role, const char *key_id,
                           const ProtobufCMessage *msg)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *data = malloc(len ? len : 1);
    protobuf_c_message_pack(msg, data);
    Zwfw__V1__Caller caller = ZWFW__V1__CALLER__INIT;
    caller.key_id = (char *) key_id;
    caller.role = role ? zw_access_role_from_name(role) : 0;
    caller.region = "500152";
    zw_request_t req = {.service = "zwfw.catalog",
                        .request_id = "t",
                        .type = msg->descriptor->name,
                        .data = data,
                        .len = len,
                        .caller = role ? &caller : NULL};
    zw_reply_t *reply = zw_reply_new();
    zw_catalog_handle(&env->ctx, &req, reply);
    zw_frames_t *frames = zw_frames_new();
    assert_int_equal(zw_reply_take_frames(reply, frames), 0);
    zw_reply_destroy(&reply);
    free(data);
    assert_int_equal(zw_frames_count(frames), 2);

    t_reply_t r = {0};
    char type[256];
    assert_int_equal(zw_frames_str(frames, 0, type, sizeof type), 0);
    const uint8_t *bytes = zw_frames_data(frames, 1);
    size_t n = zw_frames_size(frames, 1);
    if (strcmp(type, "zwfw.v1.Error") == 0) {
        Zwfw__V1__Error *e = zwfw__v1__error__unpack(NULL, n, bytes);
        assert_non_null(e);
        zw_err_t err;
        zw_error_to_err(e, &err);
        r.code = err.code;
        snprintf(r.message, sizeof r.message, "%s", err.message);
        snprintf(r.detail, sizeof r.detail, "%s", err.detail);
        zwfw__v1__error__free_unpacked(e, NULL);
    } else {
        const ProtobufCMessageDescriptor *desc = zw_wire_find_type(type);
        assert_non_null(desc);
        r.msg = protobuf_c_message_unpack(desc, NULL, n, bytes);
        assert_non_null(r.msg);
        r.bytes = malloc(n ? n : 1);
        memcpy(r.bytes, bytes, n);
        r.len = n;
    }
    zw_frames_destroy(&frames);
    return r;
}

static t_reply_t t_call(t_env_t *env, const ProtobufCMessage *msg)
{
    return t_call_as(env, "operator", "ops", msg);
}

/* Asserts an OK reply of type desc and returns its message. */
static void *t_ok(t_reply_t *r, const ProtobufCMessageDescriptor *desc)
{
    if (r->code != ZW_OK)
        fail_msg("expected %s, got %s: %s", desc->name, zw_code_name(r->code), r->message);
    assert_ptr_equal(r->msg->descriptor, desc);
    return r->msg;
}

static void t_expect(t_reply_t *r, zw_code_t code, const char *detail)
{
    if (r->code != code)
        fail_msg("expected %s, got %s: %s", zw_code_name(code), zw_code_name(r->code),
                 r->code ? r->message : "(a reply)");
    if (detail && strcmp(r->detail, detail) != 0)
        fail_msg("expected detail '%s', got '%s' (%s)", detail, r->detail, r->message);
    t_reply_free(r);
}

static const char *t_key(t_env_t *env)
{
    static char key[32];
    snprintf(key, sizeof key, "k-%d", ++env->keys);
    return key;
}

/* An item from JSON (the test's to free). */
static Zwfw__V1__Item *t_item(const char *json)
{
    zw_err_t err;
    ProtobufCMessage *m = zw_wire_from_json(&zwfw__v1__item__descriptor, json, strlen(json), &err);
    if (!m)
        fail_msg("bad test JSON: %s", err.message);
    return (Zwfw__V1__Item *) m;
}

static Zwfw__V1__Item *t_valid_item(const char *impl, const char *name)
{
    char json[2048];
    snprintf(json, sizeof json,
             "{\"implCode\": \"%s\", \"name\": \"%s\", \"type\": \"ITEM_TYPE_LICENSING\","
             " \"departmentCode\": \"" T_USCC "\", \"departmentName\": \"区市场监管局\","
             " \"handling\": \"HANDLING_TYPE_PROMISED\","
             " \"statutoryLimit\": {\"amount\": 20, \"unit\": \"LIMIT_UNIT_WORKDAYS\"},"
             " \"promisedLimit\": {\"amount\": 5, \"unit\": \"LIMIT_UNIT_WORKDAYS\"},"
             " \"materials\": [{\"code\": \"M01\", \"name\": \"申请表\", \"required\": true}]}",
             impl, name);
    return t_item(json);
}

static t_reply_t t_put(t_env_t *env, const char *key, Zwfw__V1__Item *item)
{
    Zwfw__V1__PutItem put = ZWFW__V1__PUT_ITEM__INIT;
    put.idempotency_key = (char *) key;
    put.actor = "operator-li";
    put.item = item;
    return t_call(env, &put.base);
}

static long t_count(t_env_t *env, const char *sql)
{
    zw_err_t err;
    PGresult *res = zw_db_query(env->db, sql, 0, NULL, &err);
    if (!res)
        fail_msg("%s: %s", sql, err.message);
    long n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

static t_reply_t t_get(t_env_t *env, const char *code, int version)
{
    Zwfw__V1__GetItem get = ZWFW__V1__GET_ITEM__INIT;
    get.impl_code = (char *) code;
    get.version = version;
    return t_call_as(env, "window", "win-1", &get.base);
}

/* ---- items ---------------------------------------------------------------------- */

static void test_put_makes_versions_and_identical_put_changes_nothing(void **state)
{
    t_env_t *env = *state;
    Zwfw__V1__Item *item = t_valid_item(T_IMPL, "企业设立登记");
    t_reply_t r = t_put(env, t_key(env), item);
    Zwfw__V1__PutItemReply *put = t_ok(&r, &zwfw__v1__put_item_reply__descriptor);
    assert_true(put->changed);
    assert_int_equal(put->item->version, 1);
    assert_int_equal(put->item->status, ZW_ITEM_ACTIVE);
    assert_string_equal(put->item->basic_code, "500A0100100000");
    assert_string_equal(put->item->region_code, "500152000000");
    assert_int_equal(put->item->updated_at->seconds, env->start_us / ZW_US_PER_SEC);
    t_reply_free(&r);

    /* identical, even written differently (blanks, lower case) */
    protobuf_c_message_free_unpacked(&item->base, NULL);
    item =
        t_valid_item(" 500a0100100000-500152000000-000-11500152mb17035173-1-00", "企业设立登记 ");
    r = t_put(env, t_key(env), item);
    put = t_ok(&r, &zwfw__v1__put_item_reply__descriptor);
    assert_false(put->changed);
    assert_int_equal(put->item->version, 1);
    t_reply_free(&r);

    /* a change: version 2; version 1 stays readable */
    zw_err_t err;
    int64_t later = env->start_us + 3600 * ZW_US_PER_SEC;
    assert_int_equal(zw_clock_set(env->clock, later, NULL, &err), 0);
    item->max_visits = 1;
    r = t_put(env, t_key(env), item);
    put = t_ok(&r, &zwfw__v1__put_item_reply__descriptor);
    assert_true(put->changed);
    assert_int_equal(put->item->version, 2);
    assert_int_equal(put->item->max_visits, 1);
    assert_int_equal(put->item->updated_at->seconds, later / ZW_US_PER_SEC);
    t_reply_free(&r);
    protobuf_c_message_free_unpacked(&item->base, NULL);

    r = t_get(env, T_IMPL, 1);
    Zwfw__V1__GetItemReply *got = t_ok(&r, &zwfw__v1__get_item_reply__descriptor);
    assert_int_equal(got->item->version, 1);
    assert_int_equal(got->item->max_visits, 0);
    t_reply_free(&r);
    r = t_get(env, T_IMPL, 0);
    got = t_ok(&r, &zwfw__v1__get_item_reply__descriptor);
    assert_int_equal(got->item->version, 2);
    t_reply_free(&r);
    r = t_get(env, T_IMPL, 3);
    t_expect(&r, ZW_NOT_FOUND, "version");
    r = t_get(env, T_IMPL2, 0);
    t_expect(&r, ZW_NOT_FOUND, "impl_code");
    r = t_get(env, T_IMPL, -1);
    t_expect(&r, ZW_INVALID_ARGUMENT, "version");

    /* what intake reads, pinned to a version */
    Zwfw__V1__Item *v1 = NULL;
    assert_int_equal(zw_catalog_item_version(env->db, T_IMPL, 1, &v1, &err), 0);
    assert_int_equal(v1->version, 1);
    protobuf_c_message_free_unpacked(&v1->base, NULL);
    assert_int_equal(zw_catalog_item_version(env->db, T_IMPL, 9, &v1, &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);

    /* two versions, two events, two audit rows: the identical put left none */
    assert_int_equal(t_count(env, "SELECT count(*) FROM catalog.item_versions"), 2);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox WHERE stream = 'catalog'"
                                  " AND type = 'zwfw.v1.ItemChanged'"),
                     2);
    assert_int_equal(t_count(env, "SELECT count(*) FROM audit.pending WHERE object_type ="
                                  " 'catalog.item' AND actor = 'operator-li' AND caller_role ="
                                  " 'operator' AND caller_key_id = 'ops'"),
                     2);
    assert_int_equal(t_count(env, "SELECT count(*) FROM audit.pending WHERE action ="
                                  " 'catalog.item.update' AND before_digest <> ''"),
                     1);
}

static void test_refusals_name_the_field_and_write_nothing(void **state)
{
    t_env_t *env = *state;
    Zwfw__V1__Item *item = t_valid_item(T_IMPL, "食品经营许可");
    item->promised_limit->amount = 21; /* longer than the statutory 20 */
    t_reply_t r = t_put(env, t_key(env), item);
    t_expect(&r, ZW_INVALID_ARGUMENT, "item.promised_limit");
    item->promised_limit->amount = 5;

    free(item->department_code);
    item->department_code = strdup("115113010833722043"); /* valid, not the code's */
    r = t_put(env, t_key(env), item);
    t_expect(&r, ZW_INVALID_ARGUMENT, "item.department_code");
    protobuf_c_message_free_unpacked(&item->base, NULL);

    item = t_valid_item("500A0100100000-110101000000-000-" T_USCC "-1-00", "x");
    r = t_put(env, t_key(env), item);
    t_expect(&r, ZW_INVALID_ARGUMENT, "item.impl_code");
    protobuf_c_message_free_unpacked(&item->base, NULL);

    item = t_valid_item(T_IMPL, "");
    r = t_put(env, t_key(env), item);
    t_expect(&r, ZW_INVALID_ARGUMENT, "item.name");

    /* the request's own fields */
    Zwfw__V1__PutItem put = ZWFW__V1__PUT_ITEM__INIT;
    put.actor = "a";
    r = t_call(env, &put.base);
    t_expect(&r, ZW_INVALID_ARGUMENT, "idempotency_key");
    put.idempotency_key = "k";
    put.actor = "";
    r = t_call(env, &put.base);
    t_expect(&r, ZW_INVALID_ARGUMENT, "actor");
    put.actor = "a";
    r = t_call(env, &put.base);
    t_expect(&r, ZW_INVALID_ARGUMENT, "item");

    /* who may */
    free(item->name);
    item->name = strdup("x");
    put.item = item;
    r = t_call_as(env, "window", "win-1", &put.base);
    t_expect(&r, ZW_PERMISSION_DENIED, "role");
    r = t_call_as(env, "supervisor", "sup-1", &put.base);
    t_expect(&r, ZW_PERMISSION_DENIED, "role");
    r = t_call_as(env, NULL, NULL, &put.base);
    t_expect(&r, ZW_UNAUTHENTICATED, NULL);
    protobuf_c_message_free_unpacked(&item->base, NULL);

    /* undecodable bytes and unknown types */
    Zwfw__V1__Caller caller = ZWFW__V1__CALLER__INIT;
    caller.key_id = "ops";
    caller.role = ZWFW__V1__ROLE__ROLE_OPERATOR;
    const uint8_t junk[] = {0x0A, 0xFF};
    zw_request_t req = {.service = "zwfw.catalog",
                        .request_id = "t",
                        .type = "zwfw.v1.PutItem",
                        .data = junk,
                        .len = sizeof junk,
                        .caller = &caller};
    zw_reply_t *reply = zw_reply_new();
    zw_catalog_handle(&env->ctx, &req, reply);
    zw_frames_t *frames = zw_frames_new();
    assert_int_equal(zw_reply_take_frames(reply, frames), 0);
    assert_true(zw_frames_streq(frames, 0, "zwfw.v1.Error"));
    zw_frames_clear(frames);
    req.type = "zwfw.v1.DeleteEverything";
    zw_catalog_handle(&env->ctx, &req, reply);
    assert_int_equal(zw_reply_take_frames(reply, frames), 0);
    Zwfw__V1__Error *e =
        zwfw__v1__error__unpack(NULL, zw_frames_size(frames, 1), zw_frames_data(frames, 1));
    assert_int_equal(e->code, ZW_UNIMPLEMENTED);
    zwfw__v1__error__free_unpacked(e, NULL);
    zw_frames_destroy(&frames);
    zw_reply_destroy(&reply);

    assert_int_equal(t_count(env, "SELECT count(*) FROM catalog.items"), 0);
    assert_int_equal(t_count(env, "SELECT count(*) FROM catalog.requests"), 0);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox"), 0);
}

static void test_idempotency_key_returns_the_first_reply(void **state)
{
    t_env_t *env = *state;
    Zwfw__V1__Item *item = t_valid_item(T_IMPL, "公共场所卫生许可");
    t_reply_t first = t_put(env, "retry-1", item);
    t_ok(&first, &zwfw__v1__put_item_reply__descriptor);

    item->max_visits = 2;
    t_reply_t r = t_put(env, "retry-2", item);
    assert_int_equal(
        ((Zwfw__V1__PutItemReply *) t_ok(&r, &zwfw__v1__put_item_reply__descriptor))->item->version,
        2);
    t_reply_free(&r);

    /* the first request again (a Lazy Pirate resend): its first reply, byte
     * for byte, and nothing changes */
    item->max_visits = 0;
    r = t_put(env, "retry-1", item);
    t_ok(&r, &zwfw__v1__put_item_reply__descriptor);
    assert_int_equal(r.len, first.len);
    assert_memory_equal(r.bytes, first.bytes, r.len);
    assert_int_equal(((Zwfw__V1__PutItemReply *) r.msg)->item->version, 1);
    t_reply_free(&r);
    t_reply_free(&first);
    assert_int_equal(t_count(env, "SELECT version FROM catalog.items"), 2);

    /* the key reused for another request */
    item->max_visits = 3;
    r = t_put(env, "retry-1", item);
    t_expect(&r, ZW_ALREADY_EXISTS, "idempotency_key"); /* as every zwfw service says it */
    Zwfw__V1__CancelItem cancel = ZWFW__V1__CANCEL_ITEM__INIT;
    cancel.idempotency_key = "retry-1";
    cancel.actor = "a";
    cancel.impl_code = T_IMPL;
    cancel.reason = "r";
    r = t_call(env, &cancel.base);
    t_expect(&r, ZW_ALREADY_EXISTS, "idempotency_key");

    /* keys are per caller key: another operator's "retry-1" is its own */
    r = t_call_as(env, "operator", "ops-2", &cancel.base);
    t_ok(&r, &zwfw__v1__item_status_reply__descriptor);
    t_reply_free(&r);
    assert_int_equal(t_count(env, "SELECT version FROM catalog.items"), 3);
    protobuf_c_message_free_unpacked(&item->base, NULL);

    /* housekeeping forgets old records */
    int64_t deleted = 0;
    zw_err_t err;
    assert_int_equal(zw_catalog_trim_requests(env->db, env->start_us + 1, &deleted, &err), 0);
    assert_int_equal(deleted, 3); /* refused requests leave no record */
}

/* ---- listing ---------------------------------------------------------------------- */

static t_reply_t t_list(t_env_t *env, const char *role, Zwfw__V1__ListItems *q)
{
    return t_call_as(env, role, role, &q->base);
}

/* Loads the sample catalog; returns the reply (caller frees). */
static t_reply_t t_load_sample(t_env_t *env, const char *key, Zwfw__V1__LoadCatalog **keep)
{
    FILE *f = fopen(zwt_src_path("deploy/catalog/tongnan-sample.json"), "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    zw_err_t err;
    Zwfw__V1__LoadCatalog *load = (Zwfw__V1__LoadCatalog *) zw_wire_from_json(
        &zwfw__v1__load_catalog__descriptor, buf, n, &err);
    if (!load)
        fail_msg("sample: %s", err.message);
    load->idempotency_key = strdup(key);
    load->actor = strdup("operator-li");
    t_reply_t r = t_call(env, &load->base);
    if (keep)
        *keep = load;
    else
        protobuf_c_message_free_unpacked(&load->base, NULL);
    return r;
}

/* Every page of a listing, in order; returns how many items. */
static size_t t_walk(t_env_t *env, const char *role, Zwfw__V1__ListItems *q, char codes[][64],
                     size_t max)
{
    size_t total = 0;
    char token[512] = "";
    for (int pages = 0;; pages++) {
        assert_true(pages < 1000);
        q->page_token = token;
        t_reply_t r = t_list(env, role, q);
        Zwfw__V1__ListItemsReply *page = t_ok(&r, &zwfw__v1__list_items_reply__descriptor);
        if (q->page_size > 0)
            assert_true(page->n_items <= (size_t) q->page_size);
        for (size_t i = 0; i < page->n_items; i++) {
            assert_true(total < max);
            snprintf(codes[total++], 64, "%s", page->items[i]->impl_code);
        }
        snprintf(token, sizeof token, "%s", page->next_page_token);
        t_reply_free(&r);
        if (!*token)
            break;
    }
    q->page_token = "";
    return total;
}

static void test_list_filters_and_pages(void **state)
{
    t_env_t *env = *state;
    Zwfw__V1__LoadCatalog *sample = NULL;
    t_reply_t r = t_load_sample(env, "load-1", &sample);
    t_ok(&r, &zwfw__v1__load_catalog_reply__descriptor);
    t_reply_free(&r);

    static char codes[600][64];
    Zwfw__V1__ListItems q = ZWFW__V1__LIST_ITEMS__INIT;
    q.page_size = 7;
    size_t n = t_walk(env, "window", &q, codes, 600);
    assert_int_equal(n, sample->n_items);
    for (size_t i = 1; i < n; i++)
        assert_true(strcmp(codes[i - 1], codes[i]) < 0); /* one order, no repeats */

    /* one page of everything; a page size past the maximum is the maximum */
    q.page_size = 100000;
    r = t_list(env, "window", &q);
    Zwfw__V1__ListItemsReply *page = t_ok(&r, &zwfw__v1__list_items_reply__descriptor);
    assert_int_equal(page->n_items, sample->n_items);
    assert_string_equal(page->next_page_token, "");
    t_reply_free(&r);
    q.page_size = 0;

    /* each filter agrees with the file */
    const Zwfw__V1__Item *first = sample->items[0];
    size_t want_dept = 0, want_imm = 0, want_cy = 0, want_benefit = 0, want_text = 0;
    for (size_t i = 0; i < sample->n_items; i++) {
        const Zwfw__V1__Item *it = sample->items[i];
        want_dept += strcmp(it->department_code, first->department_code) == 0;
        want_imm += it->handling == ZW_HANDLING_IMMEDIATE;
        want_cy += it->cross_scope == ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_CHUANYU;
        want_benefit += it->type == ZWFW__V1__ITEM_TYPE__ITEM_TYPE_BENEFIT;
        want_text += strstr(it->name, "许可") != NULL;
    }
    q.department_code = first->department_code;
    assert_int_equal(t_walk(env, "window", &q, codes, 600), want_dept);
    q.department_code = "";
    q.handling = ZW_HANDLING_IMMEDIATE;
    assert_int_equal(t_walk(env, "window", &q, codes, 600), want_imm);
    q.handling = 0;
    q.cross_scope = ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_CHUANYU;
    assert_int_equal(t_walk(env, "window", &q, codes, 600), want_cy);
    q.cross_scope = 0;
    q.type = ZWFW__V1__ITEM_TYPE__ITEM_TYPE_BENEFIT;
    assert_int_equal(t_walk(env, "window", &q, codes, 600), want_benefit);
    q.type = 0;
    q.text = "许可";
    assert_true(want_text > 0);
    assert_int_equal(t_walk(env, "window", &q, codes, 600), want_text);
    q.text = "11500152mb17035173"; /* codes match too, in any case */
    assert_int_equal(t_walk(env, "window", &q, codes, 600), want_dept);

    /* % and _ are literal */
    Zwfw__V1__Item *odd = t_valid_item(T_IMPL2, "100%_试点事项");
    r = t_put(env, t_key(env), odd);
    t_ok(&r, &zwfw__v1__put_item_reply__descriptor);
    t_reply_free(&r);
    protobuf_c_message_free_unpacked(&odd->base, NULL);
    q.text = "%";
    assert_int_equal(t_walk(env, "window", &q, codes, 600), 1);
    assert_string_equal(codes[0], T_IMPL2);
    q.text = "_";
    assert_int_equal(t_walk(env, "window", &q, codes, 600), 1);
    q.text = "";

    /* bad requests */
    q.page_token = "garbage!";
    r = t_list(env, "window", &q);
    t_expect(&r, ZW_INVALID_ARGUMENT, "page_token");
    char *bundle_token = zw_catalog_token_encode('b', NULL, "YJS-QYKB");
    q.page_token = bundle_token;
    r = t_list(env, "window", &q);
    t_expect(&r, ZW_INVALID_ARGUMENT, "page_token");
    free(bundle_token);
    q.page_token = "";
    q.page_size = -1;
    r = t_list(env, "window", &q);
    t_expect(&r, ZW_INVALID_ARGUMENT, "page_size");
    q.page_size = 0;
    q.handling = 7;
    r = t_list(env, "window", &q);
    t_expect(&r, ZW_INVALID_ARGUMENT, "handling");
    q.handling = 0;
    r = t_list(env, NULL, &q);
    t_expect(&r, ZW_UNAUTHENTICATED, NULL);
    protobuf_c_message_free_unpacked(&sample->base, NULL);
}

static void test_cancel_hides_from_listing_and_restore_brings_back(void **state)
{
    t_env_t *env = *state;
    Zwfw__V1__LoadCatalog *sample = NULL;
    t_reply_t r = t_load_sample(env, "load-1", &sample);
    t_ok(&r, &zwfw__v1__load_catalog_reply__descriptor);
    t_reply_free(&r);
    const char *code = sample->items[3]->impl_code;
    static char codes[600][64];
    Zwfw__V1__ListItems q = ZWFW__V1__LIST_ITEMS__INIT;
    size_t all = t_walk(env, "window", &q, codes, 600);

    Zwfw__V1__CancelItem cancel = ZWFW__V1__CANCEL_ITEM__INIT;
    cancel.idempotency_key = "c-1";
    cancel.actor = "operator-li";
    cancel.impl_code = (char *) code;
    cancel.reason = "依据区政府文件取消";
    r = t_call(env, &cancel.base);
    Zwfw__V1__ItemStatusReply *st = t_ok(&r, &zwfw__v1__item_status_reply__descriptor);
    assert_int_equal(st->item->status, ZW_ITEM_CANCELLED);
    assert_int_equal(st->item->version, 2);
    assert_string_equal(st->item->cancel_reason, "依据区政府文件取消");
    t_reply_free(&r);

    /* gone from the public listing, still readable, listed for supervisors */
    size_t n = t_walk(env, "window", &q, codes, 600);
    assert_int_equal(n, all - 1);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(codes[i], code);
    r = t_get(env, code, 0);
    assert_int_equal(
        ((Zwfw__V1__GetItemReply *) t_ok(&r, &zwfw__v1__get_item_reply__descriptor))->item->status,
        ZW_ITEM_CANCELLED);
    t_reply_free(&r);
    q.include_cancelled = true;
    r = t_list(env, "window", &q);
    t_expect(&r, ZW_PERMISSION_DENIED, "role");
    assert_int_equal(t_walk(env, "supervisor", &q, codes, 600), all);
    q.include_cancelled = false;

    /* intake sees it cancelled, inside its transaction */
    zw_err_t err;
    Zwfw__V1__Item *it = NULL;
    assert_int_equal(zw_db_run(env->db, "BEGIN", &err), 0);
    assert_int_equal(zw_catalog_item_for_update(env->db, code, &it, &err), 0);
    assert_int_equal(it->status, ZW_ITEM_CANCELLED);
    protobuf_c_message_free_unpacked(&it->base, NULL);
    assert_int_equal(zw_catalog_item_for_update(env->db, "NO-SUCH", &it, &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_int_equal(zw_db_run(env->db, "ROLLBACK", &err), 0);

    /* a second cancel, a bundle with it, a put of it */
    cancel.idempotency_key = "c-2";
    r = t_call(env, &cancel.base);
    t_expect(&r, ZW_FAILED_PRECONDITION, "impl_code");
    sample->items[3]->max_visits = 5;
    r = t_put(env, t_key(env), sample->items[3]);
    Zwfw__V1__PutItemReply *put = t_ok(&r, &zwfw__v1__put_item_reply__descriptor);
    assert_int_equal(put->item->version, 3);
    assert_int_equal(put->item->status, ZW_ITEM_CANCELLED); /* a put does not restore */
    assert_string_equal(put->item->cancel_reason, "依据区政府文件取消");
    t_reply_free(&r);

    Zwfw__V1__RestoreItem restore = ZWFW__V1__RESTORE_ITEM__INIT;
    restore.idempotency_key = "r-1";
    restore.actor = "operator-li";
    restore.impl_code = (char *) code;
    r = t_call(env, &restore.base);
    st = t_ok(&r, &zwfw__v1__item_status_reply__descriptor);
    assert_int_equal(st->item->status, ZW_ITEM_ACTIVE);
    assert_int_equal(st->item->version, 4);
    assert_string_equal(st->item->cancel_reason, "");
    assert_int_equal(st->item->max_visits, 5);
    t_reply_free(&r);
    assert_int_equal(t_walk(env, "window", &q, codes, 600), all);
    restore.idempotency_key = "r-2";
    r = t_call(env, &restore.base);
    t_expect(&r, ZW_FAILED_PRECONDITION, "impl_code");
    restore.impl_code = "NO-SUCH-ITEM";
    r = t_call(env, &restore.base);
    t_expect(&r, ZW_NOT_FOUND, "impl_code");

    /* the old versions keep their status */
    r = t_get(env, code, 2);
    assert_int_equal(
        ((Zwfw__V1__GetItemReply *) t_ok(&r, &zwfw__v1__get_item_reply__descriptor))->item->status,
        ZW_ITEM_CANCELLED);
    t_reply_free(&r);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox WHERE type ="
                                  " 'zwfw.v1.ItemCancelled'"),
                     1);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox WHERE type ="
                                  " 'zwfw.v1.ItemRestored'"),
                     1);
    assert_int_equal(t_count(env, "SELECT count(*) FROM audit.pending WHERE action IN"
                                  " ('catalog.item.cancel', 'catalog.item.restore')"),
                     2);
    protobuf_c_message_free_unpacked(&sample->base, NULL);
}

/* ---- load and bundles ------------------------------------------------------------- */

static void test_load_is_idempotent_and_atomic(void **state)
{
    t_env_t *env = *state;
    Zwfw__V1__LoadCatalog *sample = NULL;
    t_reply_t r = t_load_sample(env, "load-1", &sample);
    Zwfw__V1__LoadCatalogReply *out = t_ok(&r, &zwfw__v1__load_catalog_reply__descriptor);
    int total = (int) (sample->n_items + sample->n_bundles);
    assert_int_equal(out->created, total);
    assert_int_equal(out->updated, 0);
    assert_int_equal(out->unchanged, 0);
    t_reply_free(&r);
    assert_int_equal(t_count(env, "SELECT count(*) FROM catalog.items"), (long) sample->n_items);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox"), total);

    /* the same file again, under a new key: nothing changes */
    r = t_load_sample(env, "load-2", NULL);
    out = t_ok(&r, &zwfw__v1__load_catalog_reply__descriptor);
    assert_int_equal(out->created, 0);
    assert_int_equal(out->updated, 0);
    assert_int_equal(out->unchanged, total);
    t_reply_free(&r);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox"), total);
    /* the first key again: its first reply */
    r = t_load_sample(env, "load-1", NULL);
    assert_int_equal(
        ((Zwfw__V1__LoadCatalogReply *) t_ok(&r, &zwfw__v1__load_catalog_reply__descriptor))
            ->created,
        total);
    t_reply_free(&r);

    /* one item changed */
    free(sample->idempotency_key);
    sample->idempotency_key = strdup("load-3");
    free(sample->items[7]->name);
    sample->items[7]->name = strdup("改名后的事项");
    r = t_call(env, &sample->base);
    out = t_ok(&r, &zwfw__v1__load_catalog_reply__descriptor);
    assert_int_equal(out->updated, 1);
    assert_int_equal(out->unchanged, total - 1);
    t_reply_free(&r);

    /* a code twice in one load */
    free(sample->idempotency_key);
    sample->idempotency_key = strdup("load-4");
    Zwfw__V1__Item *saved = sample->items[9];
    uint8_t packed[8192];
    size_t plen = zwfw__v1__item__pack(sample->items[2], packed);
    sample->items[9] = zwfw__v1__item__unpack(NULL, plen, packed);
    r = t_call(env, &sample->base);
    t_expect(&r, ZW_INVALID_ARGUMENT, "items[9].impl_code");
    protobuf_c_message_free_unpacked(&sample->items[9]->base, NULL);
    sample->items[9] = saved;
    /* a bad item names its index */
    sample->items[11]->max_visits = -2;
    r = t_call(env, &sample->base);
    t_expect(&r, ZW_INVALID_ARGUMENT, "items[11].max_visits");
    sample->items[11]->max_visits = 1;
    protobuf_c_message_free_unpacked(&sample->base, NULL);

    /* all or nothing: a new item and a bundle with an unknown member */
    Zwfw__V1__LoadCatalog load = ZWFW__V1__LOAD_CATALOG__INIT;
    Zwfw__V1__Item *fresh =
        t_valid_item("500A0199900000-500152000000-000-" T_USCC "-1-00", "新事项");
    Zwfw__V1__Item *items[] = {fresh};
    Zwfw__V1__Bundle bundle = ZWFW__V1__BUNDLE__INIT;
    char *members[] = {fresh->impl_code, "500A0199800000-500152000000-000-" T_USCC "-1-00"};
    bundle.code = "YJS-T";
    bundle.name = "测试一件事";
    bundle.item_codes = members;
    bundle.n_item_codes = 2;
    Zwfw__V1__Bundle *bundles[] = {&bundle};
    load.idempotency_key = "load-5";
    load.actor = "operator-li";
    load.items = items;
    load.n_items = 1;
    load.bundles = bundles;
    load.n_bundles = 1;
    r = t_call(env, &load.base);
    t_expect(&r, ZW_FAILED_PRECONDITION, "bundles[0].item_codes[1]");
    r = t_get(env, fresh->impl_code, 0);
    t_expect(&r, ZW_NOT_FOUND, "impl_code");
    protobuf_c_message_free_unpacked(&fresh->base, NULL);
}

/* One of two loads racing each other, each on its own connection as two
 * worker threads of the daemon are. No cmocka asserts off the main thread:
 * it only records what came back. */
typedef struct {
    const char *conninfo;
    const zw_regions_t *regions;
    const uint8_t *data;
    size_t len;
    char type[64];
    uint8_t reply[256];
    size_t reply_len;
    pthread_barrier_t *start; /* both connected before either loads */
    int failed;
} t_racer_t;

static void *t_race(void *arg)
{
    t_racer_t *r = arg;
    zw_err_t err;
    zw_db_t *db = zw_db_new(r->conninfo);
    zw_clock_t *clock = db ? zw_clock_new_sim(db) : NULL;
    bool ready = clock && zw_db_connect(db, &err) == 0;
    pthread_barrier_wait(r->start);
    if (!ready) {
        r->failed = 1;
    } else {
        zw_intake_ctx_t ctx = {.db = db, .clock = clock, .regions = r->regions};
        Zwfw__V1__Caller caller = ZWFW__V1__CALLER__INIT;
        caller.key_id = "ops";
        caller.role = ZWFW__V1__ROLE__ROLE_OPERATOR;
        zw_request_t req = {.service = "zwfw.catalog",
                            .request_id = "t",
                            .type = "zwfw.v1.LoadCatalog",
                            .data = r->data,
                            .len = r->len,
                            .caller = &caller};
        zw_reply_t *reply = zw_reply_new();
        zw_frames_t *frames = zw_frames_new();
        zw_catalog_handle(&ctx, &req, reply);
        if (zw_reply_take_frames(reply, frames) != 0 || zw_frames_count(frames) != 2 ||
            zw_frames_str(frames, 0, r->type, sizeof r->type) != 0 ||
            zw_frames_size(frames, 1) > sizeof r->reply) {
            r->failed = 1;
        } else {
            r->reply_len = zw_frames_size(frames, 1);
            memcpy(r->reply, zw_frames_data(frames, 1), r->reply_len);
        }
        zw_frames_destroy(&frames);
        zw_reply_destroy(&reply);
    }
    zw_clock_destroy(&clock);
    zw_db_destroy(&db);
    return NULL;
}

static void test_concurrent_loads_create_each_item_once(void **state)
{
    t_env_t *env = *state;
    FILE *f = fopen(zwt_src_path("deploy/catalog/tongnan-sample.json"), "rb");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    zw_err_t err;
    Zwfw__V1__LoadCatalog *load = (Zwfw__V1__LoadCatalog *) zw_wire_from_json(
        &zwfw__v1__load_catalog__descriptor, buf, n, &err);
    assert_non_null(load);
    load->actor = strdup("operator-li");
    load->idempotency_key = strdup(""); /* was the shared empty string */
    int total = (int) (load->n_items + load->n_bundles);
    t_racer_t racers[2];
    pthread_t threads[2];
    pthread_barrier_t start;
    assert_int_equal(pthread_barrier_init(&start, NULL, 2), 0);
    uint8_t *packed[2];
    for (int i = 0; i < 2; i++) {
        free(load->idempotency_key);
        load->idempotency_key = strdup(i ? "race-b" : "race-a");
        racers[i] =
            (t_racer_t){.conninfo = env->conninfo, .regions = env->regions, .start = &start};
        racers[i].len = protobuf_c_message_get_packed_size(&load->base);
        packed[i] = malloc(racers[i].len);
        protobuf_c_message_pack(&load->base, packed[i]);
        racers[i].data = packed[i];
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, t_race, &racers[i]), 0);
    int created = 0, unchanged = 0;
    for (int i = 0; i < 2; i++) {
        pthread_join(threads[i], NULL);
        free(packed[i]);
        assert_int_equal(racers[i].failed, 0);
        if (strcmp(racers[i].type, "zwfw.v1.LoadCatalogReply") != 0)
            fail_msg("load %d: got a %s", i, racers[i].type);
        Zwfw__V1__LoadCatalogReply *out =
            zwfw__v1__load_catalog_reply__unpack(NULL, racers[i].reply_len, racers[i].reply);
        assert_non_null(out);
        assert_int_equal(out->created + out->updated + out->unchanged, total);
        assert_int_equal(out->updated, 0);
        created += out->created;
        unchanged += out->unchanged;
        zwfw__v1__load_catalog_reply__free_unpacked(out, NULL);
    }
    pthread_barrier_destroy(&start);
    /* every item and bundle created once, by one of them */
    assert_int_equal(created, total);
    assert_int_equal(unchanged, total);
    assert_int_equal(t_count(env, "SELECT count(*) FROM catalog.item_versions"),
                     (long) load->n_items);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox"), total);
    protobuf_c_message_free_unpacked(&load->base, NULL);
}

static t_reply_t t_put_bundle(t_env_t *env, const char *code, const char *name,
                              const char *const *members, size_t n)
{
    Zwfw__V1__Bundle b = ZWFW__V1__BUNDLE__INIT;
    b.code = (char *) code;
    b.name = (char *) name;
    b.item_codes = (char **) members;
    b.n_item_codes = n;
    Zwfw__V1__PutBundle put = ZWFW__V1__PUT_BUNDLE__INIT;
    put.idempotency_key = (char *) t_key(env);
    put.actor = "operator-li";
    put.bundle = &b;
    return t_call(env, &put.base);
}

static void test_bundles(void **state)
{
    t_env_t *env = *state;
    for (int i = 0; i < 3; i++) {
        char code[80];
        snprintf(code, sizeof code, "500A01%05d00-500152000000-000-" T_USCC "-1-00", i + 1);
        Zwfw__V1__Item *item = t_valid_item(code, "事项");
        t_reply_t r = t_put(env, t_key(env), item);
        t_ok(&r, &zwfw__v1__put_item_reply__descriptor);
        t_reply_free(&r);
        protobuf_c_message_free_unpacked(&item->base, NULL);
    }
    const char *a = "500A010000100-500152000000-000-" T_USCC "-1-00";
    const char *b = "500A010000200-500152000000-000-" T_USCC "-1-00";
    const char *c = "500A010000300-500152000000-000-" T_USCC "-1-00";
    const char *two[] = {a, b}, *three[] = {a, b, c};

    t_reply_t r = t_put_bundle(env, "YJS-A", "一件事", two, 2);
    Zwfw__V1__BundleReply *br = t_ok(&r, &zwfw__v1__bundle_reply__descriptor);
    assert_int_equal(br->bundle->version, 1);
    assert_int_equal(br->bundle->status, ZW_ITEM_ACTIVE);
    assert_int_equal(br->n_items, 2);
    assert_string_equal(br->items[1]->impl_code, b);
    t_reply_free(&r);
    r = t_put_bundle(env, "YJS-A", "一件事", two, 2);
    assert_int_equal(
        ((Zwfw__V1__BundleReply *) t_ok(&r, &zwfw__v1__bundle_reply__descriptor))->bundle->version,
        1);
    t_reply_free(&r);
    r = t_put_bundle(env, "YJS-A", "一件事", three, 3);
    assert_int_equal(
        ((Zwfw__V1__BundleReply *) t_ok(&r, &zwfw__v1__bundle_reply__descriptor))->bundle->version,
        2);
    t_reply_free(&r);
    assert_int_equal(t_count(env, "SELECT count(*) FROM catalog.bundle_items WHERE bundle_code ="
                                  " 'YJS-A'"),
                     3);
    assert_int_equal(t_count(env, "SELECT count(*) FROM events.outbox WHERE type ="
                                  " 'zwfw.v1.BundleChanged'"),
                     2);

    /* members must exist and be active; the bundle's own rules */
    const char *unknown[] = {a, "500A019999900-500152000000-000-" T_USCC "-1-00"};
    r = t_put_bundle(env, "YJS-B", "x", unknown, 2);
    t_expect(&r, ZW_FAILED_PRECONDITION, "bundle.item_codes[1]");
    Zwfw__V1__CancelItem cancel = ZWFW__V1__CANCEL_ITEM__INIT;
    cancel.idempotency_key = "cancel-c";
    cancel.actor = "operator-li";
    cancel.impl_code = (char *) c;
    cancel.reason = "取消";
    r = t_call(env, &cancel.base);
    t_ok(&r, &zwfw__v1__item_status_reply__descriptor);
    t_reply_free(&r);
    const char *with_cancelled[] = {a, c};
    r = t_put_bundle(env, "YJS-B", "x", with_cancelled, 2);
    t_expect(&r, ZW_FAILED_PRECONDITION, "bundle.item_codes[1]");
    const char *dup[] = {a, a};
    r = t_put_bundle(env, "YJS-B", "x", dup, 2);
    t_expect(&r, ZW_INVALID_ARGUMENT, "bundle.item_codes[1]");

    /* reading: the bundle with its members' current versions */
    for (int i = 0; i < 3; i++) {
        char code[16];
        snprintf(code, sizeof code, "YJS-C%d", i);
        r = t_put_bundle(env, code, "另一件事", two, 2);
        t_ok(&r, &zwfw__v1__bundle_reply__descriptor);
        t_reply_free(&r);
    }
    Zwfw__V1__GetBundle get = ZWFW__V1__GET_BUNDLE__INIT;
    get.code = "YJS-A";
    r = t_call_as(env, "window", "win-1", &get.base);
    br = t_ok(&r, &zwfw__v1__bundle_reply__descriptor);
    assert_int_equal(br->n_items, 3);
    assert_int_equal(br->items[2]->status, ZW_ITEM_CANCELLED); /* cancelled after the put */
    t_reply_free(&r);
    get.code = "NONE";
    r = t_call_as(env, "window", "win-1", &get.base);
    t_expect(&r, ZW_NOT_FOUND, "code");
    /* codes are stored as intake looks them up (trimmed, upper case), so a
     * bundle put in lower case can be read, and submitted, in any case */
    r = t_put_bundle(env, " yjs-low ", "小写", two, 2);
    assert_string_equal(
        ((Zwfw__V1__BundleReply *) t_ok(&r, &zwfw__v1__bundle_reply__descriptor))->bundle->code,
        "YJS-LOW");
    t_reply_free(&r);
    get.code = "Yjs-Low";
    r = t_call_as(env, "window", "win-1", &get.base);
    assert_string_equal(
        ((Zwfw__V1__BundleReply *) t_ok(&r, &zwfw__v1__bundle_reply__descriptor))->bundle->code,
        "YJS-LOW");
    t_reply_free(&r);

    Zwfw__V1__ListBundles lb = ZWFW__V1__LIST_BUNDLES__INIT;
    lb.page_size = 3;
    r = t_call_as(env, "window", "win-1", &lb.base);
    Zwfw__V1__ListBundlesReply *page = t_ok(&r, &zwfw__v1__list_bundles_reply__descriptor);
    assert_int_equal(page->n_bundles, 3);
    assert_string_equal(page->bundles[0]->code, "YJS-A");
    char *token = strdup(page->next_page_token);
    assert_string_not_equal(token, "");
    t_reply_free(&r);
    lb.page_token = token;
    r = t_call_as(env, "window", "win-1", &lb.base);
    page = t_ok(&r, &zwfw__v1__list_bundles_reply__descriptor);
    assert_int_equal(page->n_bundles, 2);
    assert_string_equal(page->bundles[0]->code, "YJS-C2");
    assert_string_equal(page->bundles[1]->code, "YJS-LOW");
    assert_string_equal(page->next_page_token, "");
    t_reply_free(&r);
    free(token);

    /* what intake reads for a bundle submission */
    zw_err_t err;
    Zwfw__V1__Bundle *bundle = NULL;
    Zwfw__V1__Item **items = NULL;
    size_t n = 0;
    assert_int_equal(zw_db_run(env->db, "BEGIN", &err), 0);
    assert_int_equal(zw_catalog_bundle_for_update(env->db, "YJS-C1", &bundle, &items, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(items[0]->impl_code, a);
    protobuf_c_message_free_unpacked(&bundle->base, NULL);
    zw_catalog_store_items_free(items, n);
    assert_int_equal(zw_catalog_bundle_for_update(env->db, "NONE", &bundle, &items, &n, &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_int_equal(zw_db_run(env->db, "ROLLBACK", &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_makes_versions_and_identical_put_changes_nothing,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_name_the_field_and_write_nothing, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_key_returns_the_first_reply, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(test_list_filters_and_pages, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_cancel_hides_from_listing_and_restore_brings_back,
                                        t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_load_is_idempotent_and_atomic, t_setup, t_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_loads_create_each_item_once, t_setup,
                                        t_teardown),
        cmocka_unit_test_setup_teardown(test_bundles, t_setup, t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
