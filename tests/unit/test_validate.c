#include "validate.h"
#include "zwtest.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Check characters are computed here from the standards' formulas, written
 * independently of common/validate.c, so a valid code is never pasted from
 * memory. Real published codes guard against both copies sharing a mistake. */

#define TODAY 20201009

static char t_id_check(const char *body17)
{
    static const int w[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (body17[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

/* out = body17 + its check character. */
static char *t_make_id(const char *body17, char out[19])
{
    memcpy(out, body17, 17);
    out[17] = t_id_check(body17);
    out[18] = '\0';
    return out;
}

static const char T_CS[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int t_cs_val(char c)
{
    return (int) (strchr(T_CS, c) - T_CS);
}

static char t_org_check(const char *body8)
{
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++)
        sum += (body8[i] <= '9' ? body8[i] - '0' : body8[i] - 'A' + 10) * w[i];
    int c = 11 - sum % 11;
    return c == 10 ? 'X' : c == 11 ? '0' : (char) ('0' + c);
}

static char t_uscc_check(const char *first17)
{
    static const int w[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += t_cs_val(first17[i]) * w[i];
    int c = 31 - sum % 31;
    return T_CS[c == 31 ? 0 : c];
}

/* out = prefix8 + org8 + org check + USCC check. */
static char *t_make_uscc(const char *prefix8, const char *org8, char out[19])
{
    memcpy(out, prefix8, 8);
    memcpy(out + 8, org8, 8);
    out[16] = t_org_check(org8);
    out[17] = t_uscc_check(out);
    out[18] = '\0';
    return out;
}

static void t_expect_fail(int rc, const zw_err_t *err, const char *detail, const char *want)
{
    if (rc != -1 || err->code != ZW_INVALID_ARGUMENT || !strstr(err->message, want))
        fprintf(stderr, "expected failure with \"%s\", got rc=%d code=%s message=\"%s\"\n", want,
                rc, zw_code_name(err->code), err->message);
    assert_int_equal(rc, -1);
    assert_int_equal(err->code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err->message, want));
    assert_string_equal(err->detail, detail);
}

static void t_expect_ok(int rc, const zw_err_t *err, const char *what)
{
    if (rc != 0)
        fprintf(stderr, "expected %s to be valid: %s\n", what, err->message);
    assert_int_equal(rc, 0);
}

/* ------------------------------------------------------------ resident ID */

static void test_id_valid(void **state)
{
    (void) state;
    zw_err_t err;
    char id[19];
    /* GB 11643's own example number ends in X. */
    t_make_id("11010519491231002", id);
    assert_string_equal(id, "11010519491231002X");
    t_expect_ok(zw_validate_resident_id_on(id, TODAY, &err), &err, id);

    /* Every check character, including 0 and X, by varying the serial. */
    bool seen[11] = {false};
    int found = 0;
    char body[18];
    for (int serial = 0; serial < 1000 && found < 11; serial++) {
        snprintf(body, sizeof body, "50015219900101%03d", serial);
        t_make_id(body, id);
        int k = (int) (strchr("10X98765432", id[17]) - "10X98765432");
        t_expect_ok(zw_validate_resident_id_on(id, TODAY, &err), &err, id);
        if (!seen[k]) {
            seen[k] = true;
            found++;
        }
    }
    assert_int_equal(found, 11);

    /* Boundary dates: the first allowed day, leap days, today itself. */
    const char *bodies[] = {"50015219000101001", "50015220000229001", "50015220200229001",
                            "50015220201009001"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++)
        t_expect_ok(zw_validate_resident_id_on(t_make_id(bodies[i], id), TODAY, &err), &err, id);

    /* GB 11643-1999's own examples; the second was born in 1880, so no
     * 1900 floor may creep back in. */
    t_expect_ok(zw_validate_resident_id_on("11010519491231002X", TODAY, &err), &err,
                "11010519491231002X");
    t_expect_ok(zw_validate_resident_id_on("440524188001010014", TODAY, &err), &err,
                "440524188001010014");
    t_expect_ok(zw_validate_resident_id_on(t_make_id("50015218000101001", id), TODAY, &err), &err,
                id);

    /* The wall-clock variant agrees on an ordinary number. */
    t_expect_ok(zw_validate_resident_id(t_make_id("50015219850615123", id), &err), &err, id);
    /* err may be NULL. */
    assert_int_equal(zw_validate_resident_id_on(id, TODAY, NULL), 0);
}

static void test_id_invalid(void **state)
{
    (void) state;
    zw_err_t err;
    char id[32];

    static const struct {
        const char *id;
        const char *want;
    } fixed[] = {
        {"", "must be 18 characters (got 0)"},
        {"5001521990010112", "must be 18 characters (got 16)"},
        {"50015219900101123", "must be 18 characters (got 17)"},
        {"5001521990010112345", "must be 18 characters (got 19)"},
        {"50015219A00101123X", "character 9 must be a digit"},
        {"A00152199001011234", "character 1 must be a digit"},
        {"50015219900101 234", "character 15 must be a digit"},
        {"5001521990010112\xe4\xb8", "character 17 must be a digit (got 0xE4)"},
        {"50015219900101123A", "check character must be a digit or X"},
        {"50015219900101123-", "check character must be a digit or X"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        t_expect_fail(zw_validate_resident_id_on(fixed[i].id, TODAY, &err), &err, "resident_id",
                      fixed[i].want);

    t_expect_fail(zw_validate_resident_id_on(NULL, TODAY, &err), &err, "resident_id", "missing");
    t_expect_fail(zw_validate_resident_id(NULL, &err), &err, "resident_id", "missing");
    assert_int_equal(zw_validate_resident_id(NULL, NULL), -1);

    /* Each date rule, with a correct check character so only it fails. */
    static const struct {
        const char *body;
        const char *want;
    } dates[] = {
        {"50015219900230123", "birth date (characters 7-14) is not a date"},
        {"50015219000229123", "birth date (characters 7-14) is not a date"},
        {"50015220210229123", "birth date (characters 7-14) is not a date"},
        {"50015219901301123", "birth date (characters 7-14) is not a date"},
        {"50015219900001123", "birth date (characters 7-14) is not a date"},
        {"50015219900100123", "birth date (characters 7-14) is not a date"},
        {"50015219900431123", "birth date (characters 7-14) is not a date"},
        {"50015217991231123", "birth date (characters 7-14) is before 1800-01-01"},
        {"50015220201010123", "birth date (characters 7-14) is in the future"},
        {"50015230000101123", "birth date (characters 7-14) is in the future"},
    };
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++) {
        t_make_id(dates[i].body, id);
        t_expect_fail(zw_validate_resident_id_on(id, TODAY, &err), &err, "resident_id",
                      dates[i].want);
    }

    /* Wrong check character: said, without naming the right one (with the
     * masked first 6 and last 4 it would give the number back) */
    t_make_id("50015219900101123", id);
    char right = id[17];
    id[17] = right == '0' ? '1' : '0';
    t_expect_fail(zw_validate_resident_id_on(id, TODAY, &err), &err, "resident_id",
                  "check character is wrong");
    /* The message does not repeat the number. */
    assert_null(strstr(err.message, "500152199001011"));
    assert_null(strchr(err.message, right));
    for (size_t i = 0; i < sizeof dates / sizeof dates[0]; i++)
        assert_null(strstr(err.message, dates[i].body + 6));

    /* Lower-case x is refused with its own message, not "should be X". */
    t_make_id("11010519491231002", id);
    id[17] = 'x';
    t_expect_fail(zw_validate_resident_id_on(id, TODAY, &err), &err, "resident_id",
                  "must be upper-case X, not x");
    /* An X where a digit belongs is a checksum failure. */
    t_make_id("50015219900101123", id);
    if (id[17] != 'X') {
        id[17] = 'X';
        t_expect_fail(zw_validate_resident_id_on(id, TODAY, &err), &err, "resident_id",
                      "check character is wrong");
    }
}

/* ------------------------------------------------------------------- USCC */

/* Foreign permanent residence cards: the 15-character cards (3 letters, 12
 * digits) and the 2023 card, 18 characters starting with 9 whose check
 * character is a resident ID's (MOD 11-2) and whose characters 7-14 are the
 * birth date. Check characters worked out by hand (weights 7 9 10 5 8 4 2
 * 1 6 3 7 9 10 5 8 4 2, "10X98765432"[sum % 11]). */
static void test_foreign_permanent(void **state)
{
    (void) state;
    zw_err_t err;
    static const char *good[] = {"USA123456789012", "936156198501010010", "912840199003071237",
                                 "931040200112310051"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (zw_validate_foreign_permanent_on(good[i], TODAY, &err) != 0)
            fail_msg("%s refused: %s", good[i], err.message);
    static const struct {
        const char *id;
        const char *want;
    } bad[] = {
        {"936156198501010011", "check character is wrong"}, /* 0 is right */
        {"936156198502300010", "birth date (characters 7-14) is not a date"},
        {"936156209901010010", "birth date (characters 7-14) is in the future"},
        {"436156198501010010", "starts with 9"}, /* a resident ID's shape */
        {"93615619850101001x", "upper-case X, not x"},
        {"US1234567890123", "3 upper-case letters and 12 digits"},
        {"usa123456789012", "3 upper-case letters and 12 digits"},
        {"USA12345678901", "15 characters (3 letters, 12 digits) or 18"},
        {"", "15 characters (3 letters, 12 digits) or 18"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(zw_validate_foreign_permanent_on(bad[i].id, TODAY, &err), -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        if (!strstr(err.message, bad[i].want))
            fail_msg("%s: \"%s\" does not say \"%s\"", bad[i].id, err.message, bad[i].want);
        assert_non_null(strstr(err.message, "foreign permanent residence card"));
    }
    assert_int_equal(zw_validate_foreign_permanent_on(NULL, TODAY, &err), -1);
    assert_non_null(strstr(err.message, "missing"));
}

/* Text checked by code point: Chinese counts one per character; bad
 * UTF-8 and control characters are -1. */
static void test_text_chars(void **state)
{
    (void) state;
    assert_int_equal(zw_validate_text_chars(NULL), 0);
    assert_int_equal(zw_validate_text_chars(""), 0);
    assert_int_equal(zw_validate_text_chars("M01"), 3);
    assert_int_equal(zw_validate_text_chars("营业执照 copy"), 9);
    assert_int_equal(zw_validate_text_chars("\xf0\x9f\x93\x84"), 1); /* U+1F4C4 */
    static const char *bad[] = {
        "a\tb",             /* C0 */
        "a\x7f",            /* DEL */
        "\xc2\x85",         /* C1 (NEL) */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xed\xa0\x80",     /* a surrogate */
        "\xf4\x90\x80\x80", /* past U+10FFFF */
        "\xe4\xb8",         /* cut short */
        "\xff",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (zw_validate_text_chars(bad[i]) != -1)
            fail_msg("bad[%zu] counted as text", i);
}

static void test_uscc_published(void **state)
{
    (void) state;
    /* Published codes: python-stdnum's test data (collected online; an
     * enterprise, a 事业单位 registered by 机构编制, 个体工商户 with letters
     * in the organization code) and the department in DOMAIN.md's example
     * implementation code. Both check characters verified. */
    const char *codes[] = {"91110000600037341L", "121200004013590816", "92340621MA2UK3PJXE",
                           "91620105L015101280", "91310115MA1K3BTP2B", "9131012056010553X5",
                           "115113010833722043"};
    zw_err_t err;
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        t_expect_ok(zw_validate_uscc(codes[i], &err), &err, codes[i]);
        /* and the test's own formulas agree */
        assert_int_equal(t_org_check(codes[i] + 8), codes[i][16]);
        assert_int_equal(t_uscc_check(codes[i]), codes[i][17]);
    }
}

static void test_uscc_generated(void **state)
{
    (void) state;
    zw_err_t err;
    char code[19], org[9];
    /* Walk organization codes until every USCC check value (0 from the
     * 31 -> 0 rule included) and the org checks X and 0 have been seen. */
    bool seen[31] = {false}, org_x = false, org_0 = false;
    int found = 0;
    for (int n = 0; n < 20000 && (found < 31 || !org_x || !org_0); n++) {
        org[0] = 'M';
        org[1] = 'A';
        for (int k = 0, v = n; k < 6; k++, v /= 31)
            org[7 - k] = T_CS[v % 31];
        org[8] = '\0';
        t_make_uscc(n % 2 ? "91500152" : "12500152", org, code);
        t_expect_ok(zw_validate_uscc(code, &err), &err, code);
        int c = t_cs_val(code[17]);
        if (!seen[c]) {
            seen[c] = true;
            found++;
        }
        org_x = org_x || code[16] == 'X';
        org_0 = org_0 || code[16] == '0';
    }
    assert_int_equal(found, 31);
    assert_true(org_x);
    assert_true(org_0);
    /* all-digit organization codes and other authorities */
    t_expect_ok(zw_validate_uscc(t_make_uscc("51500152", "12345678", code), &err), &err, code);
    t_expect_ok(zw_validate_uscc(t_make_uscc("Y1511402", "00000000", code), &err), &err, code);
    assert_int_equal(zw_validate_uscc(code, NULL), 0);
}

static void test_uscc_invalid(void **state)
{
    (void) state;
    zw_err_t err;
    char code[19], want[80];

    t_expect_fail(zw_validate_uscc(NULL, &err), &err, "uscc", "missing");
    assert_int_equal(zw_validate_uscc(NULL, NULL), -1);
    t_expect_fail(zw_validate_uscc("", &err), &err, "uscc", "must be 18 characters (got 0)");
    t_expect_fail(zw_validate_uscc("91500152MA5U7B3C1", &err), &err, "uscc",
                  "must be 18 characters (got 17)");
    t_expect_fail(zw_validate_uscc("91500152MA5U7B3C1XX", &err), &err, "uscc",
                  "must be 18 characters (got 19)");

    /* Each excluded letter, lower case, and a non-ASCII byte, in turn. */
    const char bad[] = {'I', 'O', 'Z', 'S', 'V', 'a', 'x', '-', ' ', (char) 0xE4};
    for (size_t i = 0; i < sizeof bad; i++) {
        t_make_uscc("91500152", "MA5U7B3C", code);
        code[10] = bad[i];
        t_expect_fail(zw_validate_uscc(code, &err), &err, "uscc", "character 11 (");
        assert_non_null(strstr(err.message, "is not allowed"));
    }

    /* A letter (allowed in the charset) anywhere the division code belongs. */
    for (int pos = 2; pos < 8; pos++) {
        char prefix[9] = "91500152";
        prefix[pos] = 'A';
        t_make_uscc(prefix, "MA5U7B3C", code);
        t_expect_fail(zw_validate_uscc(code, &err), &err, "uscc",
                      "characters 3-8 (division code) must be digits");
    }

    /* A wrong organization check, with a USCC check made to match it, so
     * only the embedded GB 11714 rule fails. */
    t_make_uscc("91500152", "MA5U7B3C", code);
    char right = code[16];
    code[16] = right == '1' ? '2' : '1';
    code[17] = t_uscc_check(code);
    snprintf(want, sizeof want, "organization code check character (17th) should be %c", right);
    t_expect_fail(zw_validate_uscc(code, &err), &err, "uscc", want);

    /* A wrong USCC check character. */
    t_make_uscc("91500152", "MA5U7B3C", code);
    right = code[17];
    code[17] = right == 'A' ? 'B' : 'A';
    snprintf(want, sizeof want, "USCC check character should be %c", right);
    t_expect_fail(zw_validate_uscc(code, &err), &err, "uscc", want);

    /* Two adjacent characters swapped: the weights catch it. */
    strcpy(code, "91110000600037341L");
    code[9] = '3';
    code[10] = '0';
    assert_int_equal(zw_validate_uscc(code, &err), -1);
}

/* ---------------------------------------------------------------- regions */

static zw_regions_t *t_shipped(void)
{
    zw_err_t err;
    zw_regions_t *r = zw_regions_load(zwt_src_path("deploy/regions.json"), &err);
    if (!r)
        fprintf(stderr, "load: %s\n", err.message);
    assert_non_null(r);
    return r;
}

static void test_regions_shipped_table(void **state)
{
    (void) state;
    zw_regions_t *r = t_shipped();
    assert_int_equal(zw_regions_count(r), 14);
    static const struct {
        const char *code, *name, *parent;
    } rows[] = {
        {"500000", "重庆市", ""},       {"500152", "潼南区", "500000"},
        {"510000", "四川省", ""},       {"511400", "眉山市", "510000"},
        {"511402", "东坡区", "511400"}, {"511403", "彭山区", "511400"},
        {"511421", "仁寿县", "511400"}, {"511423", "洪雅县", "511400"},
        {"511424", "丹棱县", "511400"}, {"511425", "青神县", "511400"},
        {"512000", "资阳市", "510000"}, {"512002", "雁江区", "512000"},
        {"512021", "安岳县", "512000"}, {"512022", "乐至县", "512000"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        assert_string_equal(zw_regions_name(r, rows[i].code), rows[i].name);
        assert_string_equal(zw_regions_parent(r, rows[i].code), rows[i].parent);
    }
    assert_null(zw_regions_name(r, "110000"));
    assert_null(zw_regions_name(r, "5001"));
    assert_null(zw_regions_name(r, NULL));
    assert_null(zw_regions_name(NULL, "500152"));
    assert_null(zw_regions_parent(r, "110000"));
    zw_regions_destroy(&r);
    assert_null(r);
    zw_regions_destroy(&r);
    zw_regions_destroy(NULL);
}

static void test_division(void **state)
{
    (void) state;
    zw_regions_t *r = t_shipped();
    zw_err_t err;
    const char *ok[] = {"500152", "500000", "511425", "512022", "500152001002", "511400000000"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        t_expect_ok(zw_validate_division(r, ok[i], &err), &err, ok[i]);

    static const struct {
        const char *code, *want;
    } bad[] = {
        {"", "must be 6 or 12 digits (got 0 characters)"},
        {"50015", "must be 6 or 12 digits (got 5 characters)"},
        {"5001520", "must be 6 or 12 digits (got 7 characters)"},
        {"50015200100", "must be 6 or 12 digits (got 11 characters)"},
        {"5001520010021", "must be 6 or 12 digits (got 13 characters)"},
        {"50015A", "must be digits only"},
        {"500152A01002", "must be digits only"},
        {"110000", "110000 is not a region this deployment knows"},
        {"511602000000", "511602 is not a region this deployment knows"},
        {"500100", "500100 is not a region"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        t_expect_fail(zw_validate_division(r, bad[i].code, &err), &err, "division", bad[i].want);
    t_expect_fail(zw_validate_division(r, NULL, &err), &err, "division", "missing");
    t_expect_fail(zw_validate_division(NULL, "500152", &err), &err, "division", "no regions table");
    zw_regions_destroy(&r);
}

static void test_regions_parse_errors(void **state)
{
    (void) state;
    static const struct {
        const char *json, *want;
    } bad[] = {
        {"", "invalid JSON"},
        {"[{\"code\":\"500000\",\"name\":\"x\"}", "invalid JSON"},
        {"{\"regions\":{}}", "expected an array"},
        {"{\"source\":\"x\"}", "expected an array"},
        {"42", "expected an array"},
        {"[1]", "regions[0]: expected an object"},
        {"[{\"code\":\"50000\",\"name\":\"x\"}]", "regions[0]: code must be a string of 6 digits"},
        {"[{\"code\":500000,\"name\":\"x\"}]", "regions[0]: code must be a string of 6 digits"},
        {"[{\"code\":\"50000a\",\"name\":\"x\"}]", "code must be a string of 6 digits"},
        {"[{\"name\":\"x\"}]", "code must be a string of 6 digits"},
        {"[{\"code\":\"500000\"}]", "name must be a non-empty string"},
        {"[{\"code\":\"500000\",\"name\":\"\"}]", "name must be a non-empty string"},
        {"[{\"code\":\"500000\",\"name\":7}]", "name must be a non-empty string"},
        {"[{\"code\":\"500152\",\"name\":\"x\",\"parent\":\"5000\"}]",
         "parent must be null or a string of 6 digits"},
        {"[{\"code\":\"500152\",\"name\":\"x\",\"parent\":\"500000\"}]",
         "parent 500000 of 500152 is not in the table"},
        {"[{\"code\":\"500000\",\"name\":\"x\"},{\"code\":\"500000\",\"name\":\"y\"}]",
         "code 500000 appears twice"},
        {"[{\"code\":\"500000\",\"name\":\"x\",\"parnet\":null}]", "unknown member \"parnet\""},
        {"[{\"code\":\"500000\",\"name\":\"x\",\"name\":\"y\"}]", "member \"name\" appears twice"},
        {"[{\"code\":\"500000\",\"name\":\"a\",\"parent\":\"500100\"},"
         "{\"code\":\"500100\",\"name\":\"b\",\"parent\":\"500000\"}]",
         "form a cycle"},
        {"[{\"code\":\"500000\",\"name\":\"a\",\"parent\":\"500000\"}]", "form a cycle"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zw_err_t err;
        zw_err_clear(&err);
        zw_regions_t *r = zw_regions_parse(bad[i].json, strlen(bad[i].json), &err);
        if (r || !strstr(err.message, bad[i].want))
            fprintf(stderr, "case %zu: want \"%s\", got \"%s\"\n", i, bad[i].want, err.message);
        assert_null(r);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, bad[i].want));
    }
    assert_null(zw_regions_parse(NULL, 0, NULL));
    assert_null(zw_regions_parse("[1]", 3, NULL));

    /* A bare array works; the length is honoured (no NUL needed). */
    const char json[] = "[{\"code\":\"500000\",\"name\":\"重庆市\",\"parent\":null},"
                        "{\"code\":\"500152\",\"name\":\"潼南区\",\"parent\":\"500000\"}]GARBAGE";
    zw_err_t err;
    zw_regions_t *r = zw_regions_parse(json, strlen(json) - strlen("GARBAGE"), &err);
    assert_non_null(r);
    assert_int_equal(zw_regions_count(r), 2);
    assert_string_equal(zw_regions_name(r, "500152"), "潼南区");
    zw_regions_destroy(&r);
    /* An empty table is a table; it knows no region. */
    r = zw_regions_parse("[]", 2, &err);
    assert_non_null(r);
    assert_int_equal(zw_regions_count(r), 0);
    assert_int_equal(zw_validate_division(r, "500152", &err), -1);
    zw_regions_destroy(&r);

    r = zw_regions_load("/nonexistent/regions.json", &err);
    assert_null(r);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/regions.json"));
    assert_null(zw_regions_load(NULL, &err));
}

static void test_regions_load_names_file(void **state)
{
    (void) state;
    char path[] = "/tmp/zwfw_regions_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("[{\"code\":\"5000\",\"name\":\"x\"}]", f);
    fclose(f);
    zw_err_t err;
    assert_null(zw_regions_load(path, &err));
    assert_non_null(strstr(err.message, "code must be a string of 6 digits"));
    assert_non_null(strstr(err.message, path));
    unlink(path);
}

static void test_regions_default_path(void **state)
{
    (void) state;
    const char *old = getenv("ZWFW_REGIONS");
    char *saved = old ? strdup(old) : NULL;
    setenv("ZWFW_REGIONS", "/etc/zwfw/regions.json", 1);
    assert_string_equal(zw_regions_default_path(), "/etc/zwfw/regions.json");
    setenv("ZWFW_REGIONS", "", 1);
    const char *p = zw_regions_default_path();
    size_t n = strlen(p), m = strlen("/deploy/regions.json");
    assert_true(n > m && strcmp(p + n - m, "/deploy/regions.json") == 0);
    unsetenv("ZWFW_REGIONS");
    assert_string_equal(zw_regions_default_path(), p);
    if (saved) {
        setenv("ZWFW_REGIONS", saved, 1);
        free(saved);
    }
}

/* ------------------------------------------------------ implementation code */

static const char *T_DOMAIN_EXAMPLE = "511A0138000000-511602000000-000-115113010833722043-1-00";

static char *t_make_impl(const char *basic, const char *division, const char *uscc, char *out,
                         size_t outsz)
{
    snprintf(out, outsz, "%s-%s-000-%s-1-00", basic, division, uscc);
    return out;
}

static void test_impl_valid(void **state)
{
    (void) state;
    zw_err_t err;
    /* DOMAIN.md's example: its department code passes both checks (see
     * test_uscc_published), its division is not one of ours. */
    t_expect_ok(zw_validate_impl_code(NULL, T_DOMAIN_EXAMPLE, &err), &err, T_DOMAIN_EXAMPLE);

    zw_regions_t *r = t_shipped();
    char uscc[19], code[128];
    t_make_uscc("11500152", "MA5U7B3C", uscc);
    const char *basics[] = {"500000000000", "5000000000001", "500A01380000XY"};
    for (size_t i = 0; i < 3; i++) {
        t_make_impl(basics[i], "500152000000", uscc, code, sizeof code);
        t_expect_ok(zw_validate_impl_code(r, code, &err), &err, code);
        t_expect_ok(zw_validate_impl_code(NULL, code, &err), &err, code);
    }
    /* Other digits in the digit-only fields. */
    snprintf(code, sizeof code, "511A01380000-511402001001-001-%s-2-01", uscc);
    t_expect_ok(zw_validate_impl_code(r, code, &err), &err, code);
    assert_int_equal(zw_validate_impl_code(r, code, NULL), 0);
    zw_regions_destroy(&r);
}

static void test_impl_invalid(void **state)
{
    (void) state;
    zw_regions_t *r = t_shipped();
    zw_err_t err;
    char uscc[19], bad_uscc[19], code[160];
    t_make_uscc("11500152", "MA5U7B3C", uscc);
    memcpy(bad_uscc, uscc, sizeof uscc);
    bad_uscc[17] = uscc[17] == 'A' ? 'B' : 'A';

    struct {
        char code[160];
        const char *want;
    } cases[32];
    size_t n = 0;
#define CASE(want_, ...)                                                                           \
    do {                                                                                           \
        snprintf(cases[n].code, sizeof cases[n].code, __VA_ARGS__);                                \
        cases[n++].want = (want_);                                                                 \
    } while (0)
    CASE("must have 6 parts separated by '-' (got 1)", "%s", "");
    CASE("must have 6 parts separated by '-' (got 1)", "511A0138000000");
    CASE("must have 6 parts separated by '-' (got 5)", "500000000000-500152000000-000-%s-1", uscc);
    CASE("must have 6 parts separated by '-' (got 7)", "500000000000-500152000000-000-%s-1-00-",
         uscc);
    CASE("basic code must be 12-14 characters (got 11)", "50000000000-500152000000-000-%s-1-00",
         uscc);
    CASE("basic code must be 12-14 characters (got 15)", "500000000000000-500152000000-000-%s-1-00",
         uscc);
    CASE("basic code must be 12-14 characters (got 0)", "-500152000000-000-%s-1-00", uscc);
    CASE("basic code must be digits and upper-case letters",
         "500a00000000-500152000000-000-%s-1-00", uscc);
    CASE("basic code must be digits and upper-case letters",
         "5000 0000000-500152000000-000-%s-1-00", uscc);
    CASE("division part must be 12 digits", "500000000000-500152-000-%s-1-00", uscc);
    CASE("division part must be 12 digits", "500000000000-5001520000001-000-%s-1-00", uscc);
    CASE("division part must be 12 digits", "500000000000-50015200000A-000-%s-1-00", uscc);
    CASE("division code 511602 is not a region this deployment knows", "%s", T_DOMAIN_EXAMPLE);
    CASE("third part must be 3 digits", "500000000000-500152000000-00-%s-1-00", uscc);
    CASE("third part must be 3 digits", "500000000000-500152000000-0000-%s-1-00", uscc);
    CASE("third part must be 3 digits", "500000000000-500152000000-00A-%s-1-00", uscc);
    CASE("department USCC must be 18 characters (got 17)",
         "500000000000-500152000000-000-%.17s-1-00", uscc);
    CASE("department USCC must be 18 characters (got 0)", "500000000000-500152000000-000--1-00");
    CASE("USCC check character should be", "500000000000-500152000000-000-%s-1-00", bad_uscc);
    CASE("fifth part must be 1 digit", "500000000000-500152000000-000-%s-12-00", uscc);
    CASE("fifth part must be 1 digit", "500000000000-500152000000-000-%s-A-00", uscc);
    CASE("fifth part must be 1 digit", "500000000000-500152000000-000-%s--00", uscc);
    CASE("last part must be 2 digits", "500000000000-500152000000-000-%s-1-0", uscc);
    CASE("last part must be 2 digits", "500000000000-500152000000-000-%s-1-000", uscc);
    CASE("last part must be 2 digits", "500000000000-500152000000-000-%s-1-0A", uscc);
    CASE("last part must be 2 digits", "500000000000-500152000000-000-%s-1-", uscc);
#undef CASE
    for (size_t i = 0; i < n; i++)
        t_expect_fail(zw_validate_impl_code(r, cases[i].code, &err), &err, "impl_code",
                      cases[i].want);
    /* Messages say it was the implementation code that failed. */
    t_make_impl("500000000000", "500152000000", bad_uscc, code, sizeof code);
    t_expect_fail(zw_validate_impl_code(r, code, &err), &err, "impl_code",
                  "implementation code USCC check character should be");

    /* Without a table only the region check is skipped. */
    assert_int_equal(zw_validate_impl_code(NULL, T_DOMAIN_EXAMPLE, &err), 0);
    t_expect_fail(zw_validate_impl_code(NULL, code, &err), &err, "impl_code",
                  "USCC check character should be");
    t_expect_fail(zw_validate_impl_code(r, NULL, &err), &err, "impl_code", "missing");
    assert_int_equal(zw_validate_impl_code(NULL, NULL, NULL), -1);
    zw_regions_destroy(&r);
}

/* A reason that must be given is refused when it is only white space:
 * what a window's Chinese input method types (U+3000), a pasted NBSP or
 * zero-width space counts as nothing. */
static void test_text_blank(void **state)
{
    (void) state;
    const char *blank[] = {NULL,
                           "",
                           " ",
                           "\t\r\n",
                           "\xe3\x80\x80",
                           " \xe3\x80\x80 \xc2\xa0",
                           "\xe2\x80\x8b",
                           "\xef\xbb\xbf",
                           "\xe2\x80\x83\xe2\x80\xa8"};
    for (size_t i = 0; i < sizeof blank / sizeof *blank; i++)
        assert_true(zw_validate_text_blank(blank[i]));
    const char *said[] = {"x",    " 材料不全 ", "\xe3\x80\x80\xe5\x8e\x9f", "0", "\xe3\x80",
                          "\xff", "\xc2\xa0-"};
    for (size_t i = 0; i < sizeof said / sizeof *said; i++)
        assert_false(zw_validate_text_blank(said[i]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_valid),
        cmocka_unit_test(test_id_invalid),
        cmocka_unit_test(test_foreign_permanent),
        cmocka_unit_test(test_text_chars),
        cmocka_unit_test(test_uscc_published),
        cmocka_unit_test(test_uscc_generated),
        cmocka_unit_test(test_uscc_invalid),
        cmocka_unit_test(test_regions_shipped_table),
        cmocka_unit_test(test_division),
        cmocka_unit_test(test_regions_parse_errors),
        cmocka_unit_test(test_regions_load_names_file),
        cmocka_unit_test(test_regions_default_path),
        cmocka_unit_test(test_impl_valid),
        cmocka_unit_test(test_impl_invalid),
        cmocka_unit_test(test_text_blank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
