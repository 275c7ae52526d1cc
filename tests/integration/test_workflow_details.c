/* zwfw.workflow's refusals name the request field (docs/protocol.md
 * section 3: details["detail"]), and a refused request changes nothing:
 * the NOT_FOUND details of StartProcess (definition_code), GetDefinition
 * (code) and GetInstance (instance_id); a receipt_number and an
 * instance_id of two different cases (INVALID_ARGUMENT instance_id, for
 * GetInstance as for Act); every changing request without an idempotency
 * key; material references intake would refuse; and a definition whose
 * promised limit is longer than its statutory one, refused by
 * ValidateDefinition and PutDefinition and skipped in the definitions
 * directory at start-up. (tests/integration/test_interop_workflow.sh
 * covers the same for Act from a Python client.) */
#include "workflow_stack.h"

#define S_START "2020-11-02T10:00"

/* The promised-default definition's flow, with other code and limits. */
#define S_DEF(code, version, promised, punit, statutory, sunit)                                    \
    "{\"code\":\"" code "\",\"version\":" #version ",\"name\":\"限时测试\","                   \
    "\"limits\":{\"promised\":{\"amount\":" #promised ",\"unit\":\"" punit "\"},"                  \
    "\"statutory\":{\"amount\":" #statutory ",\"unit\":\"" sunit "\"}},"                           \
    "\"initial\":\"review\",\"states\":[{\"name\":\"review\"},"                                    \
    "{\"name\":\"approved\",\"terminal\":\"approved\"}],\"actions\":[{\"name\":\"approve\","       \
    "\"from\":[\"review\"],\"to\":\"approved\",\"roles\":[\"head\"]}]}"

static unsigned s_seq;

static char *s_key(char *buf, size_t n)
{
    snprintf(buf, n, "details-%d-%u", (int) getpid(), ++s_seq);
    return buf;
}

/* The call must fail with `code` and details["detail"] == detail. */
static void s_expect(wfs_t *s, wfs_id_t who, const ProtobufCMessage *req,
                     const ProtobufCMessageDescriptor *reply_type, zw_code_t code,
                     const char *detail, const char *what)
{
    ProtobufCMessage *r = NULL;
    zw_err_t err;
    zw_err_clear(&err);
    if (wfs_call(s, who, req, reply_type, &r, &err) == 0) {
        protobuf_c_message_free_unpacked(r, NULL);
        fail_msg("%s: accepted, expected %s %s", what, zw_code_name(code), detail);
    }
    if (err.code != code || strcmp(err.detail, detail) != 0)
        fail_msg("%s: %s detail '%s' (%s), expected %s '%s'", what, zw_code_name(err.code),
                 err.detail, err.message, zw_code_name(code), detail);
    if (!err.message[0])
        fail_msg("%s: an Error without a message", what);
}

static void s_start_msg(Zwfw__V1__StartProcess *m, Zwfw__V1__Timestamp *at, Zwfw__V1__TimeLimit *pl,
                        Zwfw__V1__TimeLimit *sl, const char *receipt, char *key)
{
    zwfw__v1__start_process__init(m);
    zwfw__v1__time_limit__init(pl);
    zwfw__v1__time_limit__init(sl);
    pl->amount = 5;
    pl->unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    sl->amount = 20;
    sl->unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    m->idempotency_key = key;
    m->actor = "op.zhao";
    m->receipt_number = (char *) receipt;
    m->item_code = WFS_ITEM;
    m->item_version = 1;
    m->department_code = WFS_MARKET;
    m->region = "500152";
    m->accepted_at = wfs_ts(at, wfs_time(S_START));
    m->promised_limit = pl;
    m->statutory_limit = sl;
}

static int64_t s_start(wfs_t *s, const char *receipt)
{
    Zwfw__V1__StartProcess m;
    Zwfw__V1__Timestamp at;
    Zwfw__V1__TimeLimit pl, sl;
    char key[64];
    s_start_msg(&m, &at, &pl, &sl, receipt, s_key(key, sizeof key));
    ProtobufCMessage *r = NULL;
    zw_err_t err;
    if (wfs_call(s, WFS_OPERATOR, &m.base, &zwfw__v1__instance_reply__descriptor, &r, &err) != 0)
        fail_msg("StartProcess %s: %s", receipt, err.message);
    int64_t id = ((Zwfw__V1__InstanceReply *) r)->instance->id;
    protobuf_c_message_free_unpacked(r, NULL);
    return id;
}

static long s_instances(wfs_t *s, const char *receipt)
{
    return wfs_num(s, "SELECT count(*) FROM workflow.instances WHERE receipt_number = $1", receipt,
                   NULL);
}

static long s_history(wfs_t *s, int64_t id)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long) id);
    return wfs_num(s, "SELECT count(*) FROM workflow.history WHERE instance_id = $1::bigint", num,
                   NULL);
}

static void test_start_process_and_get_instance(wfs_t *s)
{
    Zwfw__V1__StartProcess m;
    Zwfw__V1__Timestamp at;
    Zwfw__V1__TimeLimit pl, sl;
    char key[64];
    s_start_msg(&m, &at, &pl, &sl, "EXT-DET-0", s_key(key, sizeof key));
    m.definition_code = "no-such-def";
    s_expect(s, WFS_OPERATOR, &m.base, &zwfw__v1__instance_reply__descriptor, ZW_NOT_FOUND,
             "definition_code", "StartProcess with an unknown definition_code");
    m.definition_code = "";
    m.idempotency_key = "";
    s_expect(s, WFS_OPERATOR, &m.base, &zwfw__v1__instance_reply__descriptor, ZW_INVALID_ARGUMENT,
             "idempotency_key", "StartProcess without a key");
    assert_int_equal(s_instances(s, "EXT-DET-0"), 0);

    int64_t a = s_start(s, "EXT-DET-A"), b = s_start(s, "EXT-DET-B");
    assert_true(a > 0 && b > 0 && a != b);

    Zwfw__V1__GetInstance g = ZWFW__V1__GET_INSTANCE__INIT;
    g.receipt_number = "EXT-DET-A";
    g.instance_id = b;
    s_expect(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__instance_reply__descriptor, ZW_INVALID_ARGUMENT,
             "instance_id", "GetInstance naming two cases");
    g.receipt_number = "";
    g.instance_id = b + a + 1000;
    s_expect(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__instance_reply__descriptor, ZW_NOT_FOUND,
             "instance_id", "GetInstance of an unknown instance_id");
    /* both naming the same case is fine */
    g.receipt_number = "EXT-DET-B";
    g.instance_id = b;
    ProtobufCMessage *r = NULL;
    zw_err_t err;
    if (wfs_call(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__instance_reply__descriptor, &r, &err) != 0)
        fail_msg("GetInstance receipt + its own id: %s", err.message);
    assert_string_equal(((Zwfw__V1__InstanceReply *) r)->instance->receipt_number, "EXT-DET-B");
    protobuf_c_message_free_unpacked(r, NULL);

    /* Act naming two cases changes neither */
    long ha = s_history(s, a), hb = s_history(s, b);
    Zwfw__V1__Act act = ZWFW__V1__ACT__INIT;
    act.idempotency_key = s_key(key, sizeof key);
    act.receipt_number = "EXT-DET-A";
    act.instance_id = b;
    act.action = "start_review";
    s_expect(s, WFS_APPROVER_MARKET, &act.base, &zwfw__v1__act_reply__descriptor,
             ZW_INVALID_ARGUMENT, "instance_id", "Act naming two cases");
    assert_int_equal(s_history(s, a), ha);
    assert_int_equal(s_history(s, b), hb);

    /* material references are checked as intake checks them, each by index */
    Zwfw__V1__MaterialRef m0 = ZWFW__V1__MATERIAL_REF__INIT, m1 = ZWFW__V1__MATERIAL_REF__INIT;
    Zwfw__V1__MaterialRef *refs[] = {&m0, &m1};
    m0.material_code = m1.material_code = "M01";
    m0.sha256 = m1.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    m1.copies = -1;
    act.instance_id = 0;
    act.n_materials = 2;
    act.materials = refs;
    act.idempotency_key = s_key(key, sizeof key);
    s_expect(s, WFS_APPROVER_MARKET, &act.base, &zwfw__v1__act_reply__descriptor,
             ZW_INVALID_ARGUMENT, "materials[1].copies", "Act with negative copies");
    m1.copies = 1;
    m1.material_code = "M 01";
    s_expect(s, WFS_APPROVER_MARKET, &act.base, &zwfw__v1__act_reply__descriptor,
             ZW_INVALID_ARGUMENT, "materials[1].material_code", "Act with a bad material code");
    m1.material_code = "M01";
    act.idempotency_key = "";
    s_expect(s, WFS_APPROVER_MARKET, &act.base, &zwfw__v1__act_reply__descriptor,
             ZW_INVALID_ARGUMENT, "idempotency_key", "Act without a key");
    assert_int_equal(s_history(s, a), ha);
    /* and the same Act with a key and good references is carried out */
    act.idempotency_key = s_key(key, sizeof key);
    if (wfs_call(s, WFS_APPROVER_MARKET, &act.base, &zwfw__v1__act_reply__descriptor, &r, &err) !=
        0)
        fail_msg("Act with good references: %s", err.message);
    protobuf_c_message_free_unpacked(r, NULL);
    assert_int_equal(s_history(s, a), ha + 1);
}

static void test_definitions(wfs_t *s)
{
    Zwfw__V1__GetDefinition g = ZWFW__V1__GET_DEFINITION__INIT;
    g.code = "no-such-def";
    s_expect(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__definition_reply__descriptor, ZW_NOT_FOUND,
             "code", "GetDefinition of an unknown code");
    g.code = "promised-default";
    g.version = 99;
    s_expect(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__definition_reply__descriptor, ZW_NOT_FOUND,
             "code", "GetDefinition of an unknown version");
    /* the directory's definition with a promise longer than the law's was
     * skipped at start-up; the others were stored */
    g.code = "det-bad-file";
    g.version = 0;
    s_expect(s, WFS_SUPERVISOR, &g.base, &zwfw__v1__definition_reply__descriptor, ZW_NOT_FOUND,
             "code", "the refused file's definition");
    assert_int_equal(
        wfs_num(s, "SELECT count(*) FROM workflow.definitions WHERE code = 'promised-default'",
                NULL),
        1);
    /* (the directory was read: its good file is there) */
    assert_int_equal(
        wfs_num(s, "SELECT count(*) FROM workflow.definitions WHERE code = 'det-good-file'", NULL),
        1);

    Zwfw__V1__ValidateDefinition v = ZWFW__V1__VALIDATE_DEFINITION__INIT;
    v.json = S_DEF("det-long", 1, 21, "workdays", 20, "workdays");
    s_expect(s, WFS_OPERATOR, &v.base, &zwfw__v1__definition_reply__descriptor, ZW_INVALID_ARGUMENT,
             "promised_limit", "ValidateDefinition, 21 over 20 days");
    v.json = S_DEF("det-long", 1, 30, "hours", 2, "workdays");
    s_expect(s, WFS_OPERATOR, &v.base, &zwfw__v1__definition_reply__descriptor, ZW_INVALID_ARGUMENT,
             "promised_limit", "ValidateDefinition, 30 hours over 2 days");
    v.json = S_DEF("det-long", 1, 14, "hours", 2, "workdays");
    ProtobufCMessage *r = NULL;
    zw_err_t err;
    if (wfs_call(s, WFS_OPERATOR, &v.base, &zwfw__v1__definition_reply__descriptor, &r, &err) != 0)
        fail_msg("ValidateDefinition, 14 hours within 2 days: %s", err.message);
    protobuf_c_message_free_unpacked(r, NULL);

    char key[64];
    Zwfw__V1__PutDefinition p = ZWFW__V1__PUT_DEFINITION__INIT;
    p.idempotency_key = s_key(key, sizeof key);
    p.actor = "op.zhao";
    p.json = S_DEF("det-long", 1, 50, "workdays", 45, "workdays");
    s_expect(s, WFS_OPERATOR, &p.base, &zwfw__v1__definition_reply__descriptor, ZW_INVALID_ARGUMENT,
             "promised_limit", "PutDefinition, 50 over 45 days");
    p.json = S_DEF("det-long", 1, 10, "workdays", 45, "workdays");
    p.idempotency_key = "";
    s_expect(s, WFS_OPERATOR, &p.base, &zwfw__v1__definition_reply__descriptor, ZW_INVALID_ARGUMENT,
             "idempotency_key", "PutDefinition without a key");
    assert_int_equal(
        wfs_num(s, "SELECT count(*) FROM workflow.definitions WHERE code = 'det-long'", NULL), 0);
    /* the refused key is still free: the good text under it is stored */
    p.idempotency_key = key;
    if (wfs_call(s, WFS_OPERATOR, &p.base, &zwfw__v1__definition_reply__descriptor, &r, &err) != 0)
        fail_msg("PutDefinition, 10 of 45 days: %s", err.message);
    assert_true(((Zwfw__V1__DefinitionReply *) r)->changed);
    protobuf_c_message_free_unpacked(r, NULL);
    assert_int_equal(
        wfs_num(s, "SELECT count(*) FROM workflow.definitions WHERE code = 'det-long'", NULL), 1);
}

static void test_details(void **state)
{
    (void) state;
    /* a definitions directory: the shipped two and one that breaks the rule */
    char dir[256];
    snprintf(dir, sizeof dir, "%s/zwt-wfdefs-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(dir));
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s'/*.json '%s'/", zwt_src_path("deploy/workflow"), dir);
    assert_int_equal(system(cmd), 0);
    char path[300];
    snprintf(path, sizeof path, "%s/zz-bad.json", dir);
    wfs_write(path, S_DEF("det-bad-file", 1, 30, "workdays", 20, "workdays"));
    snprintf(path, sizeof path, "%s/zz-good.json", dir);
    wfs_write(path, S_DEF("det-good-file", 1, 10, "workdays", 20, "workdays"));
    char extra[400];
    snprintf(extra, sizeof extra, "\"definitions_dir\": \"%s\"", dir);

    wfs_t *s = wfs_up("zwt_wf_details", S_START, extra);
    test_start_process_and_get_instance(s);
    test_definitions(s);
    wfs_down(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_details),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
