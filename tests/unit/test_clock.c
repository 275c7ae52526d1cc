#include "zwtest.h"
#include "clock.h"

#include <string.h>

static void test_format_is_rfc3339_in_shanghai(void **state)
{
    (void) state;
    char buf[64];
    /* 2020-09-25T06:00:00Z is 14:00 in Chongqing. */
    assert_string_equal(zw_time_format(INT64_C(1601013600) * ZW_US_PER_SEC, buf, sizeof buf),
                        "2020-09-25T14:00:00+08:00");
    /* Just before midnight UTC is the next morning locally. */
    assert_string_equal(zw_time_format(INT64_C(1609459199) * ZW_US_PER_SEC, buf, sizeof buf),
                        "2021-01-01T07:59:59+08:00");
    assert_string_equal(zw_time_format(INT64_C(1601013600) * ZW_US_PER_SEC + 250000, buf,
                                       sizeof buf),
                        "2020-09-25T14:00:00.250000+08:00");
    assert_string_equal(zw_time_format(0, buf, sizeof buf), "1970-01-01T08:00:00+08:00");
}

static void test_parse_accepts_offsets_and_local_forms(void **state)
{
    (void) state;
    int64_t us;
    assert_int_equal(zw_time_parse("2020-09-25T14:00:00+08:00", &us, NULL), 0);
    assert_int_equal(us, INT64_C(1601013600) * ZW_US_PER_SEC);
    assert_int_equal(zw_time_parse("2020-09-25T06:00:00Z", &us, NULL), 0);
    assert_int_equal(us, INT64_C(1601013600) * ZW_US_PER_SEC);
    assert_int_equal(zw_time_parse("2020-09-25 14:00", &us, NULL), 0);
    assert_int_equal(us, INT64_C(1601013600) * ZW_US_PER_SEC);
    assert_int_equal(zw_time_parse("2020-09-25T01:00:00-05:00", &us, NULL), 0);
    assert_int_equal(us, INT64_C(1601013600) * ZW_US_PER_SEC);
    assert_int_equal(zw_time_parse("2020-09-25T14:00:00.5+08:00", &us, NULL), 0);
    assert_int_equal(us, INT64_C(1601013600) * ZW_US_PER_SEC + 500000);
    assert_int_equal(zw_time_parse("2020-09-25", &us, NULL), 0);
    assert_int_equal(us, INT64_C(1600963200) * ZW_US_PER_SEC);
    assert_int_equal(zw_time_parse("2024-02-29", &us, NULL), 0);
}

static void test_parse_rejects_malformed(void **state)
{
    (void) state;
    const char *bad[] = {"",         "2020-9-25",           "2020-02-30",
                         "2021-02-29", "2020-09-25T24:00",  "2020-09-25T14:00+8",
                         "2020-09-25x", "2020-13-01",       "2020-09-25T14:00:00.+08:00",
                         NULL};
    for (int i = 0; bad[i]; i++) {
        int64_t us = 42;
        zw_err_t err;
        assert_int_equal(zw_time_parse(bad[i], &us, &err), -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_int_equal(us, 42);
    }
    assert_int_equal(zw_time_parse(NULL, &(int64_t){0}, NULL), -1);
}

static void test_format_parse_round_trip(void **state)
{
    (void) state;
    char buf[64];
    for (int64_t s = -86400 * 400; s < INT64_C(86400) * 365 * 80; s += 86400 * 7 + 3607) {
        int64_t us = s * ZW_US_PER_SEC + (s % 3) * 1000;
        int64_t back;
        assert_int_equal(zw_time_parse(zw_time_format(us, buf, sizeof buf), &back, NULL), 0);
        assert_int_equal(back, us);
    }
}

static void test_real_clock_and_monotonic(void **state)
{
    (void) state;
    zw_clock_t *clock = zw_clock_new_real();
    assert_non_null(clock);
    assert_false(zw_clock_is_sim(clock));
    int64_t now;
    assert_int_equal(zw_clock_now(clock, &now, NULL), 0);
    int64_t wall = zw_wall_us();
    assert_true(now <= wall && wall - now < 5 * ZW_US_PER_SEC);
    zw_err_t err;
    assert_int_equal(zw_clock_set(clock, now + 1, NULL, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    int64_t a = zw_mono_us(), b = zw_mono_us();
    assert_true(b >= a);
    zw_clock_destroy(&clock);
    assert_null(clock);
    zw_clock_destroy(&clock);
    assert_null(zw_clock_new_sim(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_is_rfc3339_in_shanghai),
        cmocka_unit_test(test_parse_accepts_offsets_and_local_forms),
        cmocka_unit_test(test_parse_rejects_malformed),
        cmocka_unit_test(test_format_parse_round_trip),
        cmocka_unit_test(test_real_clock_and_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
