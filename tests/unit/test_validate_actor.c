/* zw_validate_actor: the one check of a request's actor that catalog,
 * intake, clock and workflow share (validate.h). */
#include "validate.h"
#include "zwtest.h"

#include <stdio.h>
#include <string.h>

static void t_ok(const char *actor)
{
    zw_err_t err = {0};
    int rc = zw_validate_actor(actor, &err);
    if (rc != 0)
        fprintf(stderr, "refused: %s\n", err.message);
    assert_int_equal(rc, 0);
}

/* Refused with INVALID_ARGUMENT, detail "actor", and `why` in the message. */
static void t_bad(const char *actor, const char *why)
{
    zw_err_t err = {0};
    assert_int_equal(zw_validate_actor(actor, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "actor");
    if (!strstr(err.message, why))
        fprintf(stderr, "message \"%s\" lacks \"%s\"\n", err.message, why);
    assert_non_null(strstr(err.message, why));
}

static void t_repeat(char *out, size_t outsz, const char *unit, int times)
{
    out[0] = '\0';
    for (int i = 0; i < times; i++)
        strncat(out, unit, outsz - strlen(out) - 1);
}

static void test_names(void **state)
{
    (void) state;
    t_ok("portal:张三"); /* protocol.md's example */
    t_ok("op.zhao");
    t_ok("clerk-01");
    t_ok("窗口 07 李四");         /* inner spaces */
    t_ok("O'Brien \"Bob\" \\ x"); /* quotes, backslash */
    t_ok("𠀀明");                 /* outside the BMP (U+20000) */
    t_ok("a");
    t_ok("émile_ß");
}

static void test_length(void **state)
{
    (void) state;
    char buf[400];
    t_repeat(buf, sizeof buf, "张", 64); /* 64 characters, 192 bytes */
    t_ok(buf);
    t_repeat(buf, sizeof buf, "张", 65);
    t_bad(buf, "65 characters; at most 64");
    t_repeat(buf, sizeof buf, "a", 64);
    t_ok(buf);
    t_repeat(buf, sizeof buf, "a", 65);
    t_bad(buf, "at most 64");
    /* 64 characters, but 256 bytes: past the audit log's 200 per field */
    t_repeat(buf, sizeof buf, "\xf0\xa0\x80\x80", 64);
    t_bad(buf, "256 bytes of UTF-8; at most 200");
    t_repeat(buf, sizeof buf, "\xf0\xa0\x80\x80", 50); /* 200 bytes */
    t_ok(buf);
    t_bad("", "required");
    t_bad(NULL, "required");
    assert_int_equal(zw_validate_actor(NULL, NULL), -1);
    assert_int_equal(zw_validate_actor("ok", NULL), 0);
}

static void test_one_line(void **state)
{
    (void) state;
    t_bad("a\nb", "U+000A");
    t_bad("a\rb", "U+000D");
    t_bad("a\tb", "U+0009");
    t_bad("\x01x", "U+0001");
    t_bad("del\x7f", "U+007F");
    t_bad("c1\xc2\x80", "U+0080");
    t_bad("nel\xc2\x85", "U+0085");
    t_bad("c1\xc2\x9f", "U+009F");
    t_bad("ls\xe2\x80\xa8", "U+2028");
    t_bad("ps\xe2\x80\xa9", "U+2029");
    t_ok("x\xc2\xa1"); /* U+00A1, just past C1: printable */
}

static void test_blanks_at_the_ends(void **state)
{
    (void) state;
    t_bad(" 张三", "begins with a space");
    t_bad("张三 ", "ends with a space");
    t_bad(" ", "begins with a space");
    t_bad("\xe3\x80\x80张三", "begins with a space"); /* U+3000 ideographic space */
    t_bad("张三\xe3\x80\x80", "ends with a space");
    t_bad("\xc2\xa0x", "begins with a space");   /* U+00A0 */
    t_bad("x\xe2\x80\x83", "ends with a space"); /* U+2003 em space */
    t_ok("张 三");
    t_ok("张\xe3\x80\x80三");
}

static void test_not_utf8(void **state)
{
    (void) state;
    t_bad("bad\xff", "not valid UTF-8 (byte 4)");
    t_bad("\x80", "not valid UTF-8 (byte 1)");
    t_bad("cut\xe5\xbc", "not valid UTF-8");
    t_bad("over\xc0\xaf", "not valid UTF-8");        /* overlong '/' */
    t_bad("over\xe0\x80\xaf", "not valid UTF-8");    /* overlong, 3 bytes */
    t_bad("sur\xed\xa0\x80", "not valid UTF-8");     /* U+D800 */
    t_bad("big\xf4\x90\x80\x80", "not valid UTF-8"); /* past U+10FFFF */
    t_bad("\xf5\x80\x80\x80", "not valid UTF-8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),    cmocka_unit_test(test_length),
        cmocka_unit_test(test_one_line), cmocka_unit_test(test_blanks_at_the_ends),
        cmocka_unit_test(test_not_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
