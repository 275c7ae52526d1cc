/* Intake's rules (services/intake/intake_rules.c) as pure functions:
 * request checks, the acceptance decision, the 5-working-day rule, due
 * times across the 2020 National Day holiday, receipt numbers and a
 * bundle's derived state. The file lives with the daemon, not in libzwfw,
 * so it is compiled in here. */
#include "zwtest.h"

#include "../../services/intake/intake_rules.c"

#include <stdio.h>
#include <string.h>

#define TODAY 20201009
#define STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x

static zw_calendar_t *s_cal;

static int s_setup(void **state)
{
    (void) state;
    zw_err_t err;
    s_cal = zw_calendar_load(zwt_src_path("deploy/calendar/cn.json"), &err);
    return s_cal ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    zw_calendar_destroy(&s_cal);
    return 0;
}

/* A resident ID from its first 17 digits (GB 11643 check character). */
static void t_make_id(const char *first17, char out[19])
{
    static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * w[i];
    memcpy(out, first17, 17);
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

static int64_t t_moment(int y, int m, int d, int hh, int mm)
{
    return zw_moment_make((zw_date_t){y, m, d}, hh * 60 + mm);
}

/* ---- checks --------------------------------------------------------------------------- */

static void test_tokens_and_text(void **state)
{
    (void) state;
    assert_true(zw_intake_token_ok("key-1.a:b_c", 16));
    assert_false(zw_intake_token_ok("", 16));
    assert_false(zw_intake_token_ok("has space", 16));
    assert_false(zw_intake_token_ok("0123456789", 9));
    assert_true(zw_intake_token_ok("0123456789", 10));
    assert_true(zw_intake_text_ok("张三", true, 2, 100));
    assert_false(zw_intake_text_ok("张三丰", true, 2, 100)); /* 3 characters */
    assert_false(zw_intake_text_ok("张三", true, 10, 5));    /* 6 bytes */
    assert_false(zw_intake_text_ok("", true, 10, 10));
    assert_true(zw_intake_text_ok("", false, 10, 10));
    assert_false(zw_intake_text_ok("a\tb", true, 10, 10));     /* control character */
    assert_false(zw_intake_text_ok("\xe5\xbc", true, 10, 10)); /* cut UTF-8 */
    assert_false(zw_intake_text_ok("\xc0\xaf", true, 10, 10)); /* overlong */
}

static void test_identity(void **state)
{
    (void) state;
    zw_err_t err;
    char id[19];
    t_make_id("50015219900101123", id);
    Zwfw__V1__Identity who = ZWFW__V1__IDENTITY__INIT;
    who.name = "张三";
    who.id_type = ZWFW__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    who.id_number = id;
    assert_int_equal(zw_intake_check_identity(&who, true, TODAY, "applicant.identity", &err), 0);

    /* a wrong check character names the field, never the number */
    id[17] = id[17] == '0' ? '1' : '0';
    assert_int_equal(zw_intake_check_identity(&who, true, TODAY, "applicant.identity", &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "applicant.identity.id_number");
    assert_null(strstr(err.message, id));

    /* born after "today" (the business date) */
    t_make_id("50015220201010123", id);
    assert_int_equal(zw_intake_check_identity(&who, true, TODAY, "a", &err), -1);
    assert_int_equal(zw_intake_check_identity(&who, true, 20201011, "a", &err), 0);

    /* a person's document for an organization, and the other way round */
    assert_int_equal(zw_intake_check_identity(&who, false, TODAY, "a", &err), -1);
    assert_string_equal(err.detail, "a.id_type");
    who.id_type = ZWFW__V1__ID_TYPE__ID_TYPE_USCC;
    who.id_number = "91500000MA5U4XXXX0";
    assert_int_equal(zw_intake_check_identity(&who, false, TODAY, "a", &err), -1);
    who.id_number = "91110000600037341L";
    assert_int_equal(zw_intake_check_identity(&who, false, TODAY, "a", &err), 0);
    assert_int_equal(zw_intake_check_identity(&who, true, TODAY, "a", &err), -1);

    struct {
        int type;
        const char *number;
        bool ok;
    } docs[] = {
        {ZWFW__V1__ID_TYPE__ID_TYPE_PASSPORT, "E12345678", true},
        {ZWFW__V1__ID_TYPE__ID_TYPE_PASSPORT, "e12345678", false},
        {ZWFW__V1__ID_TYPE__ID_TYPE_HK_MACAO_PERMIT, "H12345678", true},
        {ZWFW__V1__ID_TYPE__ID_TYPE_HK_MACAO_PERMIT, "M1234567890", true},
        {ZWFW__V1__ID_TYPE__ID_TYPE_HK_MACAO_PERMIT, "X12345678", false},
        {ZWFW__V1__ID_TYPE__ID_TYPE_TAIWAN_PERMIT, "12345678", true},
        {ZWFW__V1__ID_TYPE__ID_TYPE_TAIWAN_PERMIT, "1234567", false},
        {ZWFW__V1__ID_TYPE__ID_TYPE_FOREIGN_PERMANENT, "USA123456789012", true},
        {ZWFW__V1__ID_TYPE__ID_TYPE_FOREIGN_PERMANENT, "933100199001011236", true},
        /* the 2023 card's check character is a resident ID's (6 is right) */
        {ZWFW__V1__ID_TYPE__ID_TYPE_FOREIGN_PERMANENT, "93310019900101123X", false},
        {ZWFW__V1__ID_TYPE__ID_TYPE_FOREIGN_PERMANENT, "US1234567890123", false},
        {ZWFW__V1__ID_TYPE__ID_TYPE_UNSPECIFIED, "12345678", false},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        who.id_type = docs[i].type;
        who.id_number = (char *) docs[i].number;
        int rc = zw_intake_check_identity(&who, true, TODAY, "a", &err);
        if ((rc == 0) != docs[i].ok)
            fprintf(stderr, "document %zu (%s): %s\n", i, docs[i].number, err.message);
        assert_int_equal(rc == 0, docs[i].ok);
    }
    who.id_type = ZWFW__V1__ID_TYPE__ID_TYPE_PASSPORT;
    who.id_number = "E12345678";
    who.name = "";
    assert_int_equal(zw_intake_check_identity(&who, true, TODAY, "a", &err), -1);
    assert_string_equal(err.detail, "a.name");
    char long_name[400];
    memset(long_name, 'a', 101);
    long_name[101] = '\0';
    who.name = long_name;
    assert_int_equal(zw_intake_check_identity(&who, true, TODAY, "a", &err), -1);
    assert_string_equal(err.detail, "a.name");
}

static Zwfw__V1__Identity s_person, s_agent;
static Zwfw__V1__Applicant s_applicant;
static char s_id[19];

static void t_applicant(void)
{
    t_make_id("50015219900101123", s_id);
    zwfw__v1__identity__init(&s_person);
    s_person.name = "张三";
    s_person.id_type = ZWFW__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    s_person.id_number = s_id;
    zwfw__v1__applicant__init(&s_applicant);
    s_applicant.kind = ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_PERSON;
    s_applicant.identity = &s_person;
    s_applicant.phone = "13800138000";
}

static void test_applicant(void **state)
{
    (void) state;
    zw_err_t err;
    t_applicant();
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), 0);
    s_applicant.kind = ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_UNSPECIFIED;
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), -1);
    assert_string_equal(err.detail, "applicant.kind");
    s_applicant.kind = ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_ORGANIZATION;
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), -1);
    assert_string_equal(err.detail, "applicant.identity.id_type");
    s_applicant.kind = ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_PERSON;
    s_applicant.phone = "138-0013 8000";
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), 0);
    s_applicant.phone = "call me";
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), -1);
    assert_string_equal(err.detail, "applicant.phone");
    s_applicant.phone = "";
    static char address[700];
    memset(address, 'x', 650);
    s_applicant.address = address;
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), -1);
    assert_string_equal(err.detail, "applicant.address");
    s_applicant.address = "重庆市潼南区";
    /* an agent must be a person with a valid document */
    zwfw__v1__identity__init(&s_agent);
    s_agent.name = "李四";
    s_agent.id_type = ZWFW__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    char good[19], bad[19];
    t_make_id("50015219850505321", good);
    strcpy(bad, good);
    bad[17] = good[17] == '1' ? '2' : '1';
    s_agent.id_number = bad;
    s_applicant.agent = &s_agent;
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), -1);
    assert_string_equal(err.detail, "applicant.agent.id_number");
    s_agent.id_number = good;
    assert_int_equal(zw_intake_check_applicant(&s_applicant, TODAY, &err), 0);
    s_applicant.agent = NULL;
    assert_int_equal(zw_intake_check_applicant(NULL, TODAY, &err), -1);
    assert_string_equal(err.detail, "applicant");
}

static void test_materials(void **state)
{
    (void) state;
    zw_err_t err;
    Zwfw__V1__MaterialRef m = ZWFW__V1__MATERIAL_REF__INIT;
    m.material_code = "ID_CARD";
    m.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    m.size = 1024;
    m.media_type = "application/pdf";
    assert_int_equal(zw_intake_check_material(&m, "materials[0]", &err), 0);
    m.sha256 = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08";
    assert_int_equal(zw_intake_check_material(&m, "materials[0]", &err), -1);
    assert_string_equal(err.detail, "materials[0].sha256");
    m.sha256 = "9f86d081";
    assert_int_equal(zw_intake_check_material(&m, "materials[0]", &err), -1);
    m.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    m.size = -1;
    assert_int_equal(zw_intake_check_material(&m, "materials[0]", &err), -1);
    assert_string_equal(err.detail, "materials[0].size");
    m.size = 0;
    assert_int_equal(zw_intake_check_material(&m, "materials[0]", &err), 0);
    m.material_code = "";
    assert_int_equal(zw_intake_check_material(&m, "materials[0]", &err), -1);
    assert_string_equal(err.detail, "materials[0].material_code");
    m.material_code = "ID_CARD";
    m.copies = -2;
    assert_int_equal(zw_intake_check_material(&m, "materials[0]", &err), -1);
    m.copies = 1;
    Zwfw__V1__MaterialRef *many[ZW_INTAKE_MAX_MATERIALS + 1];
    for (int i = 0; i <= ZW_INTAKE_MAX_MATERIALS; i++)
        many[i] = &m;
    assert_int_equal(zw_intake_check_materials(many, ZW_INTAKE_MAX_MATERIALS, "materials", &err),
                     0);
    assert_int_equal(
        zw_intake_check_materials(many, ZW_INTAKE_MAX_MATERIALS + 1, "materials", &err), -1);
    assert_string_equal(err.detail, "materials");
}

static void test_channel_and_submit(void **state)
{
    (void) state;
    zw_err_t err;
    int window = ZWFW__V1__ROLE__ROLE_WINDOW, integ = ZWFW__V1__ROLE__ROLE_INTEGRATOR;
    assert_int_equal(
        zw_intake_check_channel(window, ZWFW__V1__CHANNEL__CHANNEL_WINDOW, "W01", &err), 0);
    assert_int_equal(zw_intake_check_channel(window, ZWFW__V1__CHANNEL__CHANNEL_WINDOW, "", &err),
                     -1);
    assert_string_equal(err.detail, "window_id");
    assert_int_equal(zw_intake_check_channel(window, ZWFW__V1__CHANNEL__CHANNEL_ONLINE, "", &err),
                     0);
    assert_int_equal(zw_intake_check_channel(window, 0, "W01", &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(zw_intake_check_channel(window, 9, "W01", &err), -1);
    assert_int_equal(
        zw_intake_check_channel(window, ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM, "", &err), -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_int_equal(
        zw_intake_check_channel(integ, ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM, "", &err), 0);
    assert_int_equal(zw_intake_check_channel(integ, ZWFW__V1__CHANNEL__CHANNEL_WINDOW, "W1", &err),
                     -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_string_equal(err.detail, "channel");
    /* zwfw-xregion (a system key) submits a partner's part as a system:
     * on CHANNEL_OTHER_SYSTEM only */
    int sys = ZWFW__V1__ROLE__ROLE_SYSTEM;
    assert_int_equal(
        zw_intake_check_channel(sys, ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM, "xregion-511400",
                                &err),
        0);
    assert_int_equal(zw_intake_check_channel(sys, ZWFW__V1__CHANNEL__CHANNEL_WINDOW, "W1", &err),
                     -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_string_equal(err.message, "a zwfw daemon submits only on CHANNEL_OTHER_SYSTEM");

    t_applicant();
    Zwfw__V1__SubmitApplication req = ZWFW__V1__SUBMIT_APPLICATION__INIT;
    req.idempotency_key = "k1";
    req.actor = "clerk01";
    req.item_code = "ITEM-1";
    req.channel = ZWFW__V1__CHANNEL__CHANNEL_WINDOW;
    req.window_id = "W01";
    req.applicant = &s_applicant;
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), 0);
    req.bundle_code = "B1";
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), -1);
    assert_string_equal(err.detail, "bundle_code");
    req.bundle_code = "";
    req.item_code = "";
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), -1);
    assert_string_equal(err.detail, "item_code");
    req.item_code = "ITEM-1";
    req.idempotency_key = "";
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), -1);
    assert_string_equal(err.detail, "idempotency_key");
    req.idempotency_key = "k1";
    req.actor = "";
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), -1);
    assert_string_equal(err.detail, "actor");
    req.actor = "clerk01";
    Zwfw__V1__Commitment c = ZWFW__V1__COMMITMENT__INIT;
    char *codes[] = {"M1"};
    c.material_codes = codes;
    c.n_material_codes = 1;
    req.commitment = &c;
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), -1);
    assert_string_equal(err.detail, "commitment.signed");
    c.signed_ = true;
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), 0);
    req.applicant = NULL;
    assert_int_equal(zw_intake_check_submit(&req, window, TODAY, &err), -1);
    assert_string_equal(err.detail, "applicant");
}

/* ---- the decision ----------------------------------------------------------------------- */

static Zwfw__V1__ItemMaterial s_mat[4];
static Zwfw__V1__ItemMaterial *s_mats[4];
static Zwfw__V1__Item s_item;

static void t_item(int handling)
{
    const char *codes[] = {"FORM", "ID_CARD", "LICENSE", "PHOTO"};
    for (int i = 0; i < 4; i++) {
        zwfw__v1__item_material__init(&s_mat[i]);
        s_mat[i].code = (char *) codes[i];
        s_mat[i].name = (char *) codes[i];
        s_mat[i].required = i < 3;  /* PHOTO optional */
        s_mat[i].waivable = i == 2; /* LICENSE may come later (容缺) */
        s_mats[i] = &s_mat[i];
    }
    zwfw__v1__item__init(&s_item);
    s_item.impl_code = "X";
    s_item.materials = s_mats;
    s_item.n_materials = 4;
    s_item.handling = handling;
    s_item.status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_ACTIVE;
}

static void test_decide(void **state)
{
    (void) state;
    zw_mat_status_t st[4];
    zw_intake_decision_t d;
    t_item(ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_PROMISED);
    const char *all[] = {"FORM", "ID_CARD", "LICENSE"};
    zw_intake_case_t c = {.item = &s_item, .have = all, .n_have = 3};
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_ACCEPTED);
    assert_int_equal(st[3], ZW_MAT_NOT_NEEDED); /* the optional photo */

    s_item.handling = ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_IMMEDIATE;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_COMPLETED);

    /* one required, one waivable missing: the notice lists both */
    const char *some[] = {"ID_CARD", "PHOTO"};
    c.have = some;
    c.n_have = 2;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_INCOMPLETE);
    assert_int_equal(d.n_missing, 2);
    assert_int_equal(st[0], ZW_MAT_MISSING);
    assert_int_equal(st[1], ZW_MAT_PRESENT);
    assert_int_equal(st[2], ZW_MAT_MISSING);
    assert_int_equal(st[3], ZW_MAT_PRESENT);

    /* a commitment does not cover a non-waivable material */
    const char *license[] = {"LICENSE", "FORM"};
    c.commitment_signed = true;
    c.committed = license;
    c.n_committed = 2;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_INCOMPLETE);

    /* only the waivable one missing, committed: 容缺 */
    const char *most[] = {"FORM", "ID_CARD"};
    c.have = most;
    c.n_have = 2;
    c.n_committed = 1;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_ACCEPTED_WAIVER);
    assert_int_equal(d.n_waived, 1);
    assert_int_equal(st[2], ZW_MAT_WAIVED);

    /* not signed, or not naming it, or on the credit list: the notice */
    c.commitment_signed = false;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_INCOMPLETE);
    c.commitment_signed = true;
    c.committed = license + 1;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_INCOMPLETE);
    c.committed = license;
    c.on_credit_list = true;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_INCOMPLETE);
    assert_non_null(strstr(d.reason, "credit list"));
    assert_int_equal(st[2], ZW_MAT_MISSING);
    c.on_credit_list = false;

    /* 告知承诺制 where the item allows it */
    c.commitment_signed = false;
    c.notify_commitment = true;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_INCOMPLETE);
    s_item.commitment_allowed = true;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_COMPLETED);
    assert_int_equal(d.n_promised, 1);
    assert_int_equal(st[2], ZW_MAT_PROMISED);

    /* a cancelled item is not accepted whatever was handed in */
    s_item.status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
    c.have = all;
    c.n_have = 3;
    zw_intake_decide(&c, st, &d);
    assert_int_equal(d.outcome, ZW_INTAKE_NOT_ACCEPTED);
    assert_int_equal(zw_intake_notice_kind(d.outcome),
                     ZWFW__V1__NOTICE_KIND__NOTICE_KIND_NOT_ACCEPTED);
}

/* ---- time -------------------------------------------------------------------------------- */

static void test_deemed_acceptance(void **state)
{
    (void) state;
    zw_err_t err;
    /* Received Monday 2020-09-28: the 5 working days are 09-29, 09-30, then
     * after the National Day holiday 10-09 and the 调休 Saturday 10-10, and
     * 10-12; a notice is in time up to 24:00 of 10-12. */
    int64_t received = t_moment(2020, 9, 28, 10, 0), deadline;
    assert_int_equal(zw_intake_notice_deadline(s_cal, 5, received, &deadline, &err), 0);
    assert_true(deadline == t_moment(2020, 10, 13, 0, 0));
    bool deemed = true;
    assert_int_equal(
        zw_intake_deemed(s_cal, 5, received, t_moment(2020, 10, 12, 23, 59), 0, &deemed, &err), 0);
    assert_false(deemed);
    assert_int_equal(
        zw_intake_deemed(s_cal, 5, received, -1, t_moment(2020, 10, 12, 17, 0), &deemed, &err), 0);
    assert_false(deemed);
    assert_int_equal(
        zw_intake_deemed(s_cal, 5, received, -1, t_moment(2020, 10, 13, 0, 0), &deemed, &err), 0);
    assert_true(deemed);
    /* a notice that came too late does not save it */
    assert_int_equal(
        zw_intake_deemed(s_cal, 5, received, t_moment(2020, 10, 13, 9, 0), 0, &deemed, &err), 0);
    assert_true(deemed);
    /* outside the loaded years: an error, not a guess */
    assert_int_equal(zw_intake_deemed(s_cal, 5, t_moment(2099, 1, 5, 9, 0), -1,
                                      t_moment(2099, 2, 1, 9, 0), &deemed, &err),
                     -1);
    assert_int_equal(err.code, ZW_OUT_OF_RANGE);
}

static void test_due_times(void **state)
{
    (void) state;
    zw_err_t err;
    zw_workhours_t hours;
    zw_workhours_default(&hours);
    Zwfw__V1__TimeLimit promised = ZWFW__V1__TIME_LIMIT__INIT,
                        statutory = ZWFW__V1__TIME_LIMIT__INIT;
    t_item(ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_PROMISED);
    s_item.promised_limit = &promised;
    s_item.statutory_limit = &statutory;

    /* 4 working hours from Wednesday 2020-09-30 16:00: 1.5 h that day, the
     * rest after the holiday, Friday 10-09 09:00-11:30 */
    promised.amount = 4;
    promised.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS;
    statutory.amount = 20;
    statutory.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    int64_t due, sdue;
    assert_int_equal(
        zw_intake_due(s_cal, &hours, &s_item, t_moment(2020, 9, 30, 16, 0), &due, &sdue, &err), 0);
    assert_true(due == t_moment(2020, 10, 9, 11, 30));
    assert_true(sdue > due);

    /* 5 working days from Tuesday 2020-09-29: 09-30, 10-09, 10-10 (调休
     * Saturday), 10-12, 10-13, closing at 17:30 */
    promised.amount = 5;
    promised.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    assert_int_equal(
        zw_intake_due(s_cal, &hours, &s_item, t_moment(2020, 9, 29, 10, 0), &due, &sdue, &err), 0);
    assert_true(due == t_moment(2020, 10, 13, 17, 30));

    /* no limit, no due time */
    promised.amount = 0;
    s_item.statutory_limit = NULL;
    assert_int_equal(
        zw_intake_due(s_cal, &hours, &s_item, t_moment(2020, 9, 29, 10, 0), &due, &sdue, &err), 0);
    assert_true(due == -1 && sdue == -1);
}

/* ---- receipts and states ------------------------------------------------------------------ */

static void test_receipts(void **state)
{
    (void) state;
    char out[64], child[64];
    assert_int_equal(
        zw_intake_receipt_format("500152", (zw_date_t){2020, 10, 9}, 123, out, sizeof out), 0);
    assert_string_equal(out, "500152-20201009-000123");
    assert_true(zw_intake_receipt_ok(out));
    assert_int_equal(zw_intake_receipt_child(out, 2, child, sizeof child), 0);
    assert_string_equal(child, "500152-20201009-000123-02");
    assert_true(zw_intake_receipt_ok(child));
    assert_int_equal(
        zw_intake_receipt_format("500152", (zw_date_t){2020, 10, 9}, 1234567, out, sizeof out), 0);
    assert_string_equal(out, "500152-20201009-1234567");
    assert_true(zw_intake_receipt_ok(out));
    assert_int_equal(zw_intake_receipt_format("5001", (zw_date_t){2020, 10, 9}, 1, out, sizeof out),
                     -1);
    assert_int_equal(zw_intake_receipt_format("500152", (zw_date_t){2020, 10, 9}, 1, out, 10), -1);
    assert_false(zw_intake_receipt_ok("500152-20201009-00012"));
    assert_false(zw_intake_receipt_ok("500152-20201009-000123-1"));
    assert_false(zw_intake_receipt_ok("50015a-20201009-000123"));
    assert_false(zw_intake_receipt_ok("'; DROP TABLE x; --"));
    assert_false(zw_intake_receipt_ok(NULL));
}

static void test_parent_state(void **state)
{
    (void) state;
    int a[] = {STATE(APPROVED), STATE(RECEIVED)};
    assert_int_equal(zw_intake_parent_state(a, 2), STATE(RECEIVED));
    int b[] = {STATE(APPROVED), STATE(ACCEPTED)};
    assert_int_equal(zw_intake_parent_state(b, 2), STATE(ACCEPTED));
    int c[] = {STATE(APPROVED), STATE(APPROVED)};
    assert_int_equal(zw_intake_parent_state(c, 2), STATE(APPROVED));
    int d[] = {STATE(APPROVED), STATE(APPROVED_WAIVER)};
    assert_int_equal(zw_intake_parent_state(d, 2), STATE(APPROVED_WAIVER));
    int e[] = {STATE(WITHDRAWN_UNACCEPTED), STATE(WITHDRAWN_UNACCEPTED)};
    assert_int_equal(zw_intake_parent_state(e, 2), STATE(WITHDRAWN_UNACCEPTED));
    int f[] = {STATE(WITHDRAWN_UNACCEPTED), STATE(WITHDRAWN)};
    assert_int_equal(zw_intake_parent_state(f, 2), STATE(WITHDRAWN));
    int g[] = {STATE(NOT_ACCEPTED), STATE(NOT_ACCEPTED)};
    assert_int_equal(zw_intake_parent_state(g, 2), STATE(NOT_ACCEPTED));
    int h[] = {STATE(APPROVED), STATE(NOT_ACCEPTED)};
    assert_int_equal(zw_intake_parent_state(h, 2), STATE(REJECTED));
    int i[] = {STATE(SPECIAL_START), STATE(NOT_ACCEPTED)};
    assert_int_equal(zw_intake_parent_state(i, 2), STATE(ACCEPTED));
    assert_int_equal(zw_intake_parent_state(NULL, 0), STATE(RECEIVED));
    /* 撤销: all revoked, or approved and revoked; with a refusal it stays 13 */
    int j[] = {STATE(REVOKED), STATE(REVOKED)};
    assert_int_equal(zw_intake_parent_state(j, 2), STATE(REVOKED));
    int k[] = {STATE(APPROVED_WAIVER), STATE(REVOKED)};
    assert_int_equal(zw_intake_parent_state(k, 2), STATE(REVOKED));
    int l[] = {STATE(REJECTED), STATE(REVOKED)};
    assert_int_equal(zw_intake_parent_state(l, 2), STATE(REJECTED));
    int m[] = {STATE(ACCEPTED), STATE(REVOKED)};
    assert_int_equal(zw_intake_parent_state(m, 2), STATE(ACCEPTED));

    assert_true(zw_intake_state_final(STATE(APPROVED)));
    assert_true(zw_intake_state_final(STATE(WITHDRAWN_UNACCEPTED)));
    assert_false(zw_intake_state_final(STATE(ACCEPTED)));
    assert_false(zw_intake_state_final(STATE(RECEIVED)));
    assert_true(zw_intake_state_in_process(STATE(SUPPLEMENT_START)));
    assert_false(zw_intake_state_in_process(STATE(RECEIVED)));
    assert_true(zw_intake_event_newer(4, 5));
    assert_false(zw_intake_event_newer(5, 5));
    assert_false(zw_intake_event_newer(6, 5));
}

/* A bundle's material references: each code is its item's own. */
static void test_bundle_refs(void **state)
{
    (void) state;
    Zwfw__V1__ItemMaterial pa = ZWFW__V1__ITEM_MATERIAL__INIT, pb = ZWFW__V1__ITEM_MATERIAL__INIT,
                           sa = ZWFW__V1__ITEM_MATERIAL__INIT, sb = ZWFW__V1__ITEM_MATERIAL__INIT;
    pa.code = "M01", pa.name = "申请表";
    pb.code = "M02", pb.name = "申请人身份证明";
    sa.code = "M01", sa.name = "近期免冠照片";
    sb.code = "M02", sb.name = "申请人身份证明";
    Zwfw__V1__ItemMaterial *pm[] = {&pa, &pb}, *sm[] = {&sa, &sb};
    Zwfw__V1__Item p = ZWFW__V1__ITEM__INIT, q = ZWFW__V1__ITEM__INIT;
    p.impl_code = "ITEM-P", p.n_materials = 2, p.materials = pm;
    q.impl_code = "ITEM-S", q.n_materials = 2, q.materials = sm;
    Zwfw__V1__Item *items[] = {&p, &q};
    zw_err_t err;
    /* M02 means the same document in both: one reference serves both */
    const char *c1[] = {"M02"}, *f1[] = {""};
    assert_int_equal(zw_intake_bundle_refs_check(c1, f1, 1, items, 2, "B", &err), 0);
    /* M01 does not: it must say which item */
    const char *c2[] = {"M02", "M01"}, *f2[] = {NULL, ""};
    assert_int_equal(zw_intake_bundle_refs_check(c2, f2, 2, items, 2, "B", &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "materials[1].item_code");
    const char *f3[] = {NULL, "ITEM-S"};
    assert_int_equal(zw_intake_bundle_refs_check(c2, f3, 2, items, 2, "B", &err), 0);
    /* an item outside the bundle */
    const char *f4[] = {"ITEM-X", ""};
    assert_int_equal(zw_intake_bundle_refs_check(c2, f4, 1, items, 2, "B", &err), -1);
    assert_string_equal(err.detail, "materials[0].item_code");
    /* a code no item asks for would be stored nowhere: refused */
    const char *c5[] = {"M09"}, *f5[] = {""};
    assert_int_equal(zw_intake_bundle_refs_check(c5, f5, 1, items, 2, "B", &err), -1);
    assert_string_equal(err.detail, "materials[0].material_code");
    assert_non_null(strstr(err.message, "no item of bundle B asks for a material M09"));
    /* nor one the item named does not ask for */
    const char *f6[] = {"ITEM-S"};
    assert_int_equal(zw_intake_bundle_refs_check(c5, f6, 1, items, 2, "B", &err), -1);
    assert_string_equal(err.detail, "materials[0].material_code");
    /* one item (bundle NULL): its own codes only, and no other item named */
    Zwfw__V1__Item *one[] = {&p};
    const char *c7[] = {"M01", "M02"}, *f7[] = {"", "ITEM-P"};
    assert_int_equal(zw_intake_bundle_refs_check(c7, f7, 2, one, 1, NULL, &err), 0);
    assert_int_equal(zw_intake_bundle_refs_check(c5, f5, 1, one, 1, NULL, &err), -1);
    assert_string_equal(err.detail, "materials[0].material_code");
    assert_non_null(strstr(err.message, "item ITEM-P asks for no material M09"));
    const char *f8[] = {"ITEM-S"};
    assert_int_equal(zw_intake_bundle_refs_check(c1, f8, 1, one, 1, NULL, &err), -1);
    assert_string_equal(err.detail, "materials[0].item_code");
    assert_non_null(strstr(err.message, "this application is of item ITEM-P"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens_and_text),    cmocka_unit_test(test_identity),
        cmocka_unit_test(test_applicant),          cmocka_unit_test(test_materials),
        cmocka_unit_test(test_channel_and_submit), cmocka_unit_test(test_decide),
        cmocka_unit_test(test_deemed_acceptance),  cmocka_unit_test(test_due_times),
        cmocka_unit_test(test_receipts),           cmocka_unit_test(test_parent_state),
        cmocka_unit_test(test_bundle_refs),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
