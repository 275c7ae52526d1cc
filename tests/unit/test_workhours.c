/* Working hours: parsing, formatting, minutes per day. */
#include "workhours.h"
#include "zwtest.h"

#include <stdio.h>
#include <string.h>

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_parse_format_and_errors(void **state)
{
    (void) state;
    zw_workhours_t def, wh;
    zw_err_t err;
    char buf[64];
    zw_workhours_default(&def);
    assert_int_equal(zw_workhours_minutes_per_day(&def), 420);
    assert_string_equal(zw_workhours_format(&def, buf, sizeof buf), "09:00-12:00,13:30-17:30");
    assert_int_equal(zw_workhours_parse("09:00-12:00,13:30-17:30", &wh, &err), 0);
    assert_memory_equal(&wh, &def, sizeof wh);
    assert_int_equal(zw_workhours_parse(" 08:30-12:00 , 14:00-18:00 ", &wh, &err), 0);
    assert_int_equal(zw_workhours_minutes_per_day(&wh), 450);
    assert_int_equal(zw_workhours_parse("00:00-24:00", &wh, &err), 0);
    assert_int_equal(zw_workhours_minutes_per_day(&wh), 1440);
    assert_int_equal(
        zw_workhours_parse("08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00", &wh, &err), 0);
    assert_int_equal(wh.count, 4);
    static const char *bad[] = {"",
                                "9:00-12:00",
                                "09:00-08:00",
                                "09:00-09:00",
                                "09:00-12:00,11:00-13:00",
                                "13:30-17:30,09:00-12:00",
                                "09:00-12:00,",
                                "09:60-10:00",
                                "24:30-25:00",
                                "09:00 12:00",
                                "09:00-12:00;13:00-14:00",
                                "08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00,16:00-17:00"};
    for (size_t i = 0; i < S_COUNT(bad); i++) {
        zw_workhours_t keep = def;
        if (zw_workhours_parse(bad[i], &keep, &err) == 0)
            fail_msg("'%s' should not parse", bad[i]);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_memory_equal(&keep, &def, sizeof keep); /* untouched */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_format_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
