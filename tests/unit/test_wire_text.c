#include "wire_text.h"
#include "zwtest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void test_utf8(void **state)
{
    (void) state;
    static const struct {
        const char *s;
        bool ok;
    } cases[] = {
        {"", true},
        {"plain ascii", true},
        {"\xc3\xa9", true},                 /* é */
        {"\xe6\x94\xbf\xe5\x8a\xa1", true}, /* 政务 */
        {"\xf0\x9f\x98\x80", true},         /* U+1F600 */
        {"\xf4\x8f\xbf\xbf", true},         /* U+10FFFF, the last */
        {"\xf4\x90\x80\x80", false},        /* U+110000 */
        {"\xc0\xaf", false},                /* overlong '/' */
        {"\xe0\x80\xaf", false},            /* overlong, 3 bytes */
        {"\xed\xa0\x80", false},            /* surrogate U+D800 */
        {"\xe6\x94", false},                /* cut short */
        {"\x80", false},                    /* lone continuation */
        {"\xf8\x88\x80\x80\x80", false},    /* 5-byte form */
        {"ok\xff", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (zw_wire_text_utf8_valid(cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fail_msg("case %zu: want %d", i, cases[i].ok);
    /* The length is honoured: an embedded NUL is a character, and bytes
     * past n are not looked at. */
    assert_true(zw_wire_text_utf8_valid("a\0b", 3));
    assert_true(zw_wire_text_utf8_valid("ab\xff", 2));
}

static void test_utf8_scrub(void **state)
{
    (void) state;
    static const char *cases[][2] = {
        {"plain", "plain"},
        {"ok\xff", "ok?"},
        {"\xe6\x94", "??"}, /* a character cut in half */
        {"\xe6\x94\xbf\xe5\x8a\xa1", "\xe6\x94\xbf\xe5\x8a\xa1"},
        {"a\xc0\xaf"
         "b",
         "a??b"},
        {"\xed\xa0\x80x", "???x"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "%s", cases[i][0]);
        zw_wire_text_utf8_scrub(buf);
        assert_string_equal(buf, cases[i][1]);
        assert_true(zw_wire_text_utf8_valid(buf, strlen(buf)));
    }
}

static void test_base64_vectors(void **state)
{
    (void) state;
    /* RFC 4648, section 10. */
    static const char *vec[][2] = {{"", ""},
                                   {"f", "Zg=="},
                                   {"fo", "Zm8="},
                                   {"foo", "Zm9v"},
                                   {"foob", "Zm9vYg=="},
                                   {"fooba", "Zm9vYmE="},
                                   {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        const char *raw = vec[i][0], *b64 = vec[i][1];
        char enc[32];
        assert_int_equal(zw_wire_text_base64_encode((const uint8_t *) raw, strlen(raw), enc),
                         strlen(b64));
        assert_string_equal(enc, b64);
        uint8_t dec[32];
        size_t n;
        assert_int_equal(zw_wire_text_base64_decode(b64, strlen(b64), dec, &n), 0);
        assert_int_equal(n, strlen(raw));
        assert_memory_equal(dec, raw, n);
        /* Without its padding too. */
        size_t unpadded = strcspn(b64, "=");
        assert_int_equal(zw_wire_text_base64_decode(b64, unpadded, dec, &n), 0);
        assert_int_equal(n, strlen(raw));
        assert_memory_equal(dec, raw, n);
    }
}

static void test_base64_all_bytes_and_alphabets(void **state)
{
    (void) state;
    uint8_t raw[256], dec[ZW_WIRE_TEXT_UNBASE64_LEN(ZW_WIRE_TEXT_BASE64_LEN(256))];
    char enc[ZW_WIRE_TEXT_BASE64_LEN(256)];
    for (int i = 0; i < 256; i++)
        raw[i] = (uint8_t) (255 - i);
    for (size_t len = 0; len <= 256; len += 1 + len / 8) {
        size_t n = zw_wire_text_base64_encode(raw, len, enc);
        assert_int_equal(n, ZW_WIRE_TEXT_BASE64_LEN(len) - 1);
        assert_int_equal(strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789+/="),
                         n);
        size_t got;
        assert_int_equal(zw_wire_text_base64_decode(enc, n, dec, &got), 0);
        assert_int_equal(got, len);
        assert_memory_equal(dec, raw, len);
        /* The URL-safe alphabet decodes to the same bytes. */
        for (char *p = enc; *p; p++)
            *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
        assert_int_equal(zw_wire_text_base64_decode(enc, n, dec, &got), 0);
        assert_int_equal(got, len);
        assert_memory_equal(dec, raw, len);
    }
}

static void test_base64_rejects(void **state)
{
    (void) state;
    const char *bad[] = {"Z", "Zg=", "Zm9v=", "Zg===", "Zm 9v", "Zg==Zg==", "Zm9v\n", "=", "Z$=="};
    uint8_t out[16];
    size_t n;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (zw_wire_text_base64_decode(bad[i], strlen(bad[i]), out, &n) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void test_dates(void **state)
{
    (void) state;
    assert_true(zw_wire_text_date_valid(2000, 2, 29));
    assert_true(zw_wire_text_date_valid(2024, 2, 29));
    assert_false(zw_wire_text_date_valid(1900, 2, 29));
    assert_false(zw_wire_text_date_valid(2023, 2, 29));
    assert_false(zw_wire_text_date_valid(2023, 4, 31));
    assert_true(zw_wire_text_date_valid(2023, 12, 31));
    assert_false(zw_wire_text_date_valid(2023, 13, 1));
    assert_false(zw_wire_text_date_valid(2023, 0, 1));
    assert_false(zw_wire_text_date_valid(2023, 1, 0));
    assert_false(zw_wire_text_date_valid(0, 1, 1));
    assert_false(zw_wire_text_date_valid(10000, 1, 1));
    char buf[ZW_WIRE_TEXT_DATE_LEN];
    assert_int_equal(zw_wire_text_format_date(1, 1, 1, buf), 0);
    assert_string_equal(buf, "0001-01-01");
    assert_int_equal(zw_wire_text_format_date(2023, 2, 29, buf), -1);
    int y, m, d;
    assert_int_equal(zw_wire_text_parse_date("9999-12-31", &y, &m, &d), 0);
    assert_true(y == 9999 && m == 12 && d == 31);
    const char *bad[] = {"2023-02-29", "2023-2-01",  "2023-02-1", "20230201",   "2023-02-01T",
                         "+023-02-01", "2023/02/01", "",          "0000-01-01", "2023-00-10"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (zw_wire_text_parse_date(bad[i], &y, &m, &d) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
}

/* Every day from 1900 to 2200 against the C library's own calendar. */
static void test_time_matches_gmtime(void **state)
{
    (void) state;
    char mine[ZW_WIRE_TEXT_TIME_LEN], libc[64];
    for (int64_t t = INT64_C(-2208988800); t < INT64_C(7258118400); t += 86400 + 3601) {
        time_t tt = (time_t) t;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(libc, sizeof libc, "%Y-%m-%dT%H:%M:%SZ", &tm);
        assert_int_equal(zw_wire_text_format_time(t, 0, mine), 0);
        assert_string_equal(mine, libc);
        int64_t back;
        int32_t nanos;
        assert_int_equal(zw_wire_text_parse_time(mine, &back, &nanos), 0);
        assert_true(back == t);
        assert_int_equal(nanos, 0);
    }
}

static void test_time_edges(void **state)
{
    (void) state;
    char buf[ZW_WIRE_TEXT_TIME_LEN];
    assert_int_equal(zw_wire_text_format_time(ZW_WIRE_TEXT_TIME_MIN, 0, buf), 0);
    assert_string_equal(buf, "0001-01-01T00:00:00Z");
    assert_int_equal(zw_wire_text_format_time(ZW_WIRE_TEXT_TIME_MAX, 999999999, buf), 0);
    assert_string_equal(buf, "9999-12-31T23:59:59.999999999Z");
    assert_int_equal(zw_wire_text_format_time(-1, 10, buf), 0);
    assert_string_equal(buf, "1969-12-31T23:59:59.000000010Z");
    assert_int_equal(zw_wire_text_format_time(0, 120000, buf), 0);
    assert_string_equal(buf, "1970-01-01T00:00:00.000120Z");
    assert_int_equal(zw_wire_text_format_time(0, 7000000, buf), 0);
    assert_string_equal(buf, "1970-01-01T00:00:00.007Z");
    assert_int_equal(zw_wire_text_format_time(ZW_WIRE_TEXT_TIME_MIN - 1, 0, buf), -1);
    assert_int_equal(zw_wire_text_format_time(ZW_WIRE_TEXT_TIME_MAX + 1, 0, buf), -1);
    assert_int_equal(zw_wire_text_format_time(0, 1000000000, buf), -1);
    assert_int_equal(zw_wire_text_format_time(0, -1, buf), -1);
    assert_int_equal(zw_wire_text_format_time(INT64_MIN, 0, buf), -1);

    int64_t s;
    int32_t ns;
    assert_int_equal(zw_wire_text_parse_time("2020-09-25T14:00:00+08:00", &s, &ns), 0);
    assert_true(s == 1601013600 && ns == 0);
    assert_int_equal(zw_wire_text_parse_time("2020-09-24T16:01:00.1-13:59", &s, &ns), 0);
    assert_true(s == 1601013600 && ns == 100000000);
    assert_int_equal(zw_wire_text_parse_time("9999-12-31T23:59:59.999999999Z", &s, &ns), 0);
    assert_true(s == ZW_WIRE_TEXT_TIME_MAX && ns == 999999999);
    assert_int_equal(zw_wire_text_parse_time("9999-12-31T23:59:59-00:01", &s, &ns), -1);
    assert_int_equal(zw_wire_text_parse_time("0001-01-01T00:00:00+00:01", &s, &ns), -1);
    const char *bad[] = {"2020-09-25T14:00:00",       "2020-09-25T14:00:00+0800",
                         "2020-09-25T14:00:00+08",    "2020-09-25T24:00:00Z",
                         "2020-09-25T14:60:00Z",      "2020-09-25T14:00:60Z",
                         "2020-09-25T14:00Z",         "2020-09-25",
                         "2020-09-25T14:00:00.Z",     "2020-09-25T14:00:00.1234567890Z",
                         "2020-09-25T14:00:00Z ",     " 2020-09-25T14:00:00Z",
                         "2020-09-25T14:00:00+08:60", "2020-02-30T00:00:00Z",
                         "2020-09-25_14:00:00Z",      ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (zw_wire_text_parse_time(bad[i], &s, &ns) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
}

/* Free text clipped for a field of bounded length: characters, not
 * bytes; well-formed UTF-8 after the cut; control characters to spaces
 * only on one line. */
static void test_clip(void **state)
{
    (void) state;
    char out[ZW_WIRE_TEXT_CLIP_BYTES(3)];
    assert_string_equal(zw_wire_text_clip(NULL, 3, false, out), "");
    assert_string_equal(zw_wire_text_clip("ab", 3, false, out), "ab");
    assert_string_equal(zw_wire_text_clip("材料不全补正", 3, false, out), "材料不");
    assert_string_equal(zw_wire_text_clip("a\nb", 3, false, out), "a\nb");
    assert_string_equal(zw_wire_text_clip("a\nb", 3, true, out), "a b");
    assert_string_equal(zw_wire_text_clip("\x7f\xc2\x85x", 3, true, out), "  x");
    assert_string_equal(zw_wire_text_clip("\xc2\xa0x", 3, true, out),
                        "\xc2\xa0x"); /* U+00A0 stays */
    assert_string_equal(zw_wire_text_clip("a\xff"
                                          "b",
                                          3, false, out),
                        "a?b");
    char big[ZW_WIRE_TEXT_CLIP_BYTES(1000)];
    char in[4000];
    memset(in, 'x', sizeof in - 1);
    in[sizeof in - 1] = '\0';
    assert_int_equal(strlen(zw_wire_text_clip(in, 1000, true, big)), 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_utf8_scrub),
        cmocka_unit_test(test_clip),
        cmocka_unit_test(test_base64_vectors),
        cmocka_unit_test(test_base64_all_bytes_and_alphabets),
        cmocka_unit_test(test_base64_rejects),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_time_matches_gmtime),
        cmocka_unit_test(test_time_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
