/* Material references (common/material_ref.c): the one check intake
 * (SubmitApplication, SupplementMaterials) and workflow (Act) apply, so
 * that neither stores a reference the other refuses. Each field's rule,
 * its bounds on both sides, the detail naming "<path>.<field>", and the
 * order of the checks. */
#include "material_ref.h"
#include "zwtest.h"

#include <stdio.h>
#include <string.h>

#define S_HASH "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static Zwfw__V1__MaterialRef s_good(void)
{
    Zwfw__V1__MaterialRef m = ZWFW__V1__MATERIAL_REF__INIT;
    m.material_code = "M01";
    m.name = "营业执照";
    m.media_type = "application/pdf";
    m.sha256 = S_HASH;
    m.size = 18233;
    m.uri = "https://files.example.gov.cn/m/1";
    m.copies = 1;
    return m;
}

/* m is refused with detail `detail`, and the message starts with it. */
static void s_refused(const Zwfw__V1__MaterialRef *m, const char *path, const char *detail)
{
    zw_err_t err;
    zw_err_clear(&err);
    if (zw_material_ref_check(m, path, &err) == 0)
        fail_msg("accepted, expected refusal %s", detail);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, detail);
    assert_int_equal(strncmp(err.message, detail, strlen(detail)), 0);
}

static void s_ok(const Zwfw__V1__MaterialRef *m)
{
    zw_err_t err;
    zw_err_clear(&err);
    if (zw_material_ref_check(m, "materials[0]", &err) != 0)
        fail_msg("refused: %s (%s)", err.message, err.detail);
}

static void test_good_and_optional(void **state)
{
    (void) state;
    Zwfw__V1__MaterialRef m = s_good();
    s_ok(&m);
    /* name, media type and uri are optional; size 0 and copies 0 are fine */
    m.name = "";
    m.media_type = "";
    m.uri = "";
    m.size = 0;
    m.copies = 0;
    s_ok(&m);
    /* protobuf-c leaves absent strings as "" but a hand-built one may be NULL */
    m.name = NULL;
    m.media_type = NULL;
    m.uri = NULL;
    s_ok(&m);
    /* a NULL err is allowed */
    m.sha256 = "x";
    assert_int_equal(zw_material_ref_check(&m, "materials[0]", NULL), -1);
}

static void test_code(void **state)
{
    (void) state;
    Zwfw__V1__MaterialRef m = s_good();
    m.material_code = "";
    s_refused(&m, "materials[3]", "materials[3].material_code");
    m.material_code = NULL;
    s_refused(&m, "materials[3]", "materials[3].material_code");
    m.material_code = "M 01";
    s_refused(&m, "materials[3]", "materials[3].material_code");
    char code[130];
    memset(code, 'A', 128);
    code[128] = '\0';
    m.material_code = code;
    s_ok(&m);
    code[128] = 'A';
    code[129] = '\0';
    s_refused(&m, "materials[3]", "materials[3].material_code");
    m.material_code = "ID_CARD.v2:front-1";
    s_ok(&m);
}

static void test_hash(void **state)
{
    (void) state;
    Zwfw__V1__MaterialRef m = s_good();
    const char *bad[] = {"not-a-hash", "", "9f86d081",
                         /* upper case */
                         "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
                         /* 65 digits */
                         S_HASH "0",
                         /* 64 characters, one not hex */
                         "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m.sha256 = (char *) bad[i];
        s_refused(&m, "materials[0]", "materials[0].sha256");
    }
    m.sha256 = NULL;
    s_refused(&m, "materials[0]", "materials[0].sha256");
}

static void test_size_copies(void **state)
{
    (void) state;
    Zwfw__V1__MaterialRef m = s_good();
    m.size = -5;
    s_refused(&m, "materials[0]", "materials[0].size");
    m.size = INT64_MIN;
    s_refused(&m, "materials[0]", "materials[0].size");
    m.size = ZW_MATERIAL_REF_MAX_SIZE;
    s_ok(&m);
    m.size = ZW_MATERIAL_REF_MAX_SIZE + 1;
    s_refused(&m, "materials[0]", "materials[0].size");
    m.size = 1;
    m.copies = -1;
    s_refused(&m, "materials[0]", "materials[0].copies");
    m.copies = 1000;
    s_ok(&m);
    m.copies = 1001;
    s_refused(&m, "materials[0]", "materials[0].copies");
}

static void test_text_fields(void **state)
{
    (void) state;
    Zwfw__V1__MaterialRef m = s_good();
    m.name = "line\nbreak";
    s_refused(&m, "materials[1]", "materials[1].name");
    m.name = "\xff\xfe";
    s_refused(&m, "materials[1]", "materials[1].name");
    m.name = "\xc0\xaf"; /* overlong '/' */
    s_refused(&m, "materials[1]", "materials[1].name");
    /* 200 Chinese characters (600 bytes) exceed 400 bytes; 133 fit */
    char name[700] = "";
    for (int i = 0; i < 133; i++)
        strcat(name, "证");
    m.name = name;
    s_ok(&m);
    strcat(name, "证");
    s_refused(&m, "materials[1]", "materials[1].name");
    m.name = "申请书";
    m.media_type = "application/pdf; charset=x";
    s_ok(&m);
    m.media_type = "application/<pdf>";
    s_refused(&m, "materials[1]", "materials[1].media_type");
    m.media_type = "application/pdf";
    m.uri = "https://a\x01";
    s_refused(&m, "materials[1]", "materials[1].uri");
    char uri[1100];
    memset(uri, 'u', 1000);
    uri[1000] = '\0';
    m.uri = uri;
    s_ok(&m);
    uri[1000] = 'u';
    uri[1001] = '\0';
    s_refused(&m, "materials[1]", "materials[1].uri");
}

static void test_order_and_path(void **state)
{
    (void) state;
    /* the first failing field in the documented order is named */
    Zwfw__V1__MaterialRef m = s_good();
    m.sha256 = "x";
    m.size = -1;
    m.copies = -1;
    s_refused(&m, "materials[0]", "materials[0].sha256");
    m.sha256 = S_HASH;
    s_refused(&m, "materials[0]", "materials[0].size");
    /* a missing reference names the path itself */
    s_refused(NULL, "materials[7]", "materials[7]");
    /* any path: intake's bundle children use their own */
    m = s_good();
    m.size = -1;
    s_refused(&m, "children[2].materials[0]", "children[2].materials[0].size");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_and_optional),
        cmocka_unit_test(test_code),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_size_copies),
        cmocka_unit_test(test_text_fields),
        cmocka_unit_test(test_order_and_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
