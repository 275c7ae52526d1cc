/* Report periods (services/report/period.c, compiled in here): the day,
 * ISO week (Monday to Sunday, numbered by its Thursday's year), month,
 * quarter and year holding a date, and their labels. */
#include "zwtest.h"

#include "../../services/report/period.c"

#include <string.h>

static void s_expect(int kind, zw_date_t d, const char *from, const char *to, const char *label)
{
    zw_report_period_t p;
    zw_err_t err;
    assert_int_equal(zw_report_period(kind, d, &p, &err), 0);
    char a[ZW_DATE_STRLEN], b[ZW_DATE_STRLEN];
    assert_string_equal(zw_date_format(p.from, a), from);
    assert_string_equal(zw_date_format(p.to, b), to);
    assert_string_equal(p.label, label);
}

enum { DAY = 1, WEEK, MONTH, QUARTER, YEAR };

static void test_periods(void **state)
{
    (void) state;
    zw_date_t d = {2020, 10, 9}; /* a Friday */
    s_expect(DAY, d, "2020-10-09", "2020-10-09", "2020-10-09");
    s_expect(WEEK, d, "2020-10-05", "2020-10-11", "2020-W41");
    s_expect(MONTH, d, "2020-10-01", "2020-10-31", "2020-10");
    s_expect(QUARTER, d, "2020-10-01", "2020-12-31", "2020-Q4");
    s_expect(YEAR, d, "2020-01-01", "2020-12-31", "2020");
    /* February of a leap year, and of a common one */
    s_expect(MONTH, (zw_date_t){2020, 2, 10}, "2020-02-01", "2020-02-29", "2020-02");
    s_expect(MONTH, (zw_date_t){2021, 2, 10}, "2021-02-01", "2021-02-28", "2021-02");
    s_expect(QUARTER, (zw_date_t){2021, 3, 31}, "2021-01-01", "2021-03-31", "2021-Q1");
    s_expect(QUARTER, (zw_date_t){2021, 4, 1}, "2021-04-01", "2021-06-30", "2021-Q2");
}

static void test_iso_weeks_across_years(void **state)
{
    (void) state;
    /* 2020-12-31 is a Thursday: week 53 of 2020, Monday 12-28 to Sunday 2021-01-03 */
    s_expect(WEEK, (zw_date_t){2021, 1, 3}, "2020-12-28", "2021-01-03", "2020-W53");
    s_expect(WEEK, (zw_date_t){2021, 1, 4}, "2021-01-04", "2021-01-10", "2021-W01");
    /* 2019-12-30 (Monday) starts week 1 of 2020, whose Thursday is 2020-01-02 */
    s_expect(WEEK, (zw_date_t){2019, 12, 31}, "2019-12-30", "2020-01-05", "2020-W01");
    /* a Sunday belongs to the week that began the Monday before */
    s_expect(WEEK, (zw_date_t){2020, 9, 27}, "2020-09-21", "2020-09-27", "2020-W39");
}

static void test_refusals(void **state)
{
    (void) state;
    zw_report_period_t p;
    zw_err_t err = {0};
    assert_int_equal(zw_report_period(0, (zw_date_t){2020, 1, 1}, &p, &err), -1);
    assert_string_equal(err.detail, "kind");
    assert_int_equal(zw_report_period(6, (zw_date_t){2020, 1, 1}, &p, &err), -1);
    assert_string_equal(err.detail, "kind");
    assert_int_equal(zw_report_period(DAY, (zw_date_t){2021, 2, 29}, &p, &err), -1);
    assert_string_equal(err.detail, "date");
    assert_int_equal(zw_report_period(WEEK, (zw_date_t){9999, 12, 31}, &p, &err), -1);
    assert_string_equal(err.detail, "date");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_iso_weeks_across_years),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
