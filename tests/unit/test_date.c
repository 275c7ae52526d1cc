/* Civil dates and local (+08:00) moments. */
#include "date.h"
#include "zwtest.h"

#include <stdio.h>
#include <string.h>

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static zw_date_t D(const char *text)
{
    zw_date_t d = {0, 0, 0};
    zw_err_t err;
    if (zw_date_parse(text, &d, &err) != 0)
        fail_msg("bad test date %s: %s", text, err.message);
    return d;
}

static void test_dates_and_moments(void **state)
{
    (void) state;
    zw_date_t d;
    zw_err_t err;
    char buf[ZW_DATE_STRLEN];
    assert_int_equal(zw_date_parse("2020-02-29", &d, &err), 0);
    assert_string_equal(zw_date_format(d, buf), "2020-02-29");
    static const char *bad[] = {"2021-02-29", "2020-1-01",  "2020-01-01x", "2020-00-10",
                                "2020-12-32", "0000-01-01", "20200101",    "",
                                "2020/01/01", "+020-01-01", "2100-02-29"};
    for (size_t i = 0; i < S_COUNT(bad); i++) {
        if (zw_date_parse(bad[i], &d, &err) == 0)
            fail_msg("'%s' should not parse", bad[i]);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    }
    assert_int_equal(zw_date_parse(NULL, &d, &err), -1);
    assert_string_equal(zw_date_format((zw_date_t){2021, 2, 29}, buf), "(invalid)");
    assert_int_equal(zw_date_to_days(D("1970-01-01")), 0);
    assert_int_equal(zw_date_to_days(D("2020-09-25")), 18530);
    assert_int_equal(zw_date_to_days(D("1969-12-31")), -1);
    for (int64_t n = -719162; n <= 2932896; n += 997) {
        zw_date_t x = zw_date_from_days(n);
        assert_true(zw_date_valid(x));
        assert_int_equal(zw_date_to_days(x), n);
    }
    assert_int_equal(zw_date_weekday(D("2020-09-25")), 5);
    assert_int_equal(zw_date_weekday(D("2020-09-27")), 7);
    assert_int_equal(zw_date_weekday(D("2026-01-05")), 1);
    assert_int_equal(zw_date_weekday(D("1969-12-29")), 1);
    assert_true(zw_date_cmp(D("2020-12-31"), D("2021-01-01")) < 0);
    assert_true(zw_date_cmp(D("2021-03-01"), D("2021-02-28")) > 0);
    assert_int_equal(zw_date_cmp(D("2021-03-01"), D("2021-03-01")), 0);

    int minute = -1;
    assert_int_equal(zw_moment_local(INT64_C(1601013600), &d, &minute, &err), 0);
    assert_string_equal(zw_date_format(d, buf), "2020-09-25");
    assert_int_equal(minute, 14 * 60);
    /* 16:00Z is already the next local day. */
    assert_int_equal(zw_moment_local(INT64_C(1601049600), &d, &minute, &err), 0);
    assert_string_equal(zw_date_format(d, buf), "2020-09-26");
    assert_int_equal(minute, 0);
    assert_int_equal(zw_moment_local(-1, &d, &minute, &err), 0);
    assert_string_equal(zw_date_format(d, buf), "1970-01-01");
    assert_int_equal(minute, 8 * 60 - 1);
    assert_int_equal(zw_moment_local(INT64_MAX, &d, NULL, &err), -1);
    assert_int_equal(err.code, ZW_OUT_OF_RANGE);
    assert_int_equal(zw_moment_local(INT64_MIN, NULL, &minute, &err), -1);
    assert_int_equal(zw_moment_make(D("1970-01-01"), 8 * 60), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates_and_moments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
