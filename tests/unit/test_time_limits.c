/* Comparing time limits (common/time_limits.c): minutes of a limit; the
 * rule "the promised limit is never longer than the statutory one" in one
 * unit, days against hours both ways, zero, negative and unknown; and the
 * rule checked against the real clock (zw_calendar_due_limit): a limit is
 * "longer" exactly when some moment of acceptance makes it end later. */
#include "calendar.h"
#include "date.h"
#include "time_limits.h"
#include "workhours.h"
#include "zwfw/v1/catalog.pb-c.h"
#include "zwtest.h"

#include <limits.h>
#include <stdio.h>

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define DAYS(n) ((zw_time_limit_t){(n), ZW_LIMIT_WORKDAYS})
#define HOURS(n) ((zw_time_limit_t){(n), ZW_LIMIT_HOURS})

static void test_minutes(void **state)
{
    (void) state;
    assert_int_equal(zw_time_limits_minutes(DAYS(2), 420), 840);
    assert_int_equal(zw_time_limits_minutes(DAYS(2), 480), 960);
    assert_int_equal(zw_time_limits_minutes(HOURS(4), 420), 240);
    /* hours need no working day to convert */
    assert_int_equal(zw_time_limits_minutes(HOURS(4), 0), 240);
    /* the largest amount does not overflow */
    assert_int_equal(zw_time_limits_minutes(DAYS(INT_MAX), 1440), (int64_t) INT_MAX * 1440);
    /* amount 0 is no limit, whatever the unit */
    assert_int_equal(zw_time_limits_minutes(DAYS(0), 420), 0);
    assert_int_equal(zw_time_limits_minutes(((zw_time_limit_t){0, 0}), 420), 0);
    assert_int_equal(zw_time_limits_minutes(((zw_time_limit_t){0, 99}), 0), 0);
    /* refused: negative, an unknown unit, days without a day length */
    assert_int_equal(zw_time_limits_minutes(DAYS(-1), 420), -1);
    assert_int_equal(zw_time_limits_minutes(HOURS(INT_MIN), 420), -1);
    assert_int_equal(zw_time_limits_minutes(((zw_time_limit_t){3, 0}), 420), -1);
    assert_int_equal(zw_time_limits_minutes(((zw_time_limit_t){3, 3}), 420), -1);
    assert_int_equal(zw_time_limits_minutes(DAYS(1), 0), -1);
    assert_int_equal(zw_time_limits_minutes(DAYS(1), -420), -1);
    /* the wire's numbering is the same */
    zw_time_limit_t pb = {5, ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS};
    assert_int_equal(zw_time_limits_minutes(pb, 420), 300);
    pb.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    assert_int_equal(zw_time_limits_minutes(pb, 420), 2100);
}

static void test_same_unit(void **state)
{
    (void) state;
    assert_int_equal(zw_time_limits_longer(DAYS(20), DAYS(20), 420), 0);
    assert_int_equal(zw_time_limits_longer(DAYS(5), DAYS(20), 420), 0);
    assert_int_equal(zw_time_limits_longer(DAYS(21), DAYS(20), 420), 1);
    assert_int_equal(zw_time_limits_longer(HOURS(8), HOURS(8), 420), 0);
    assert_int_equal(zw_time_limits_longer(HOURS(9), HOURS(8), 420), 1);
    assert_int_equal(zw_time_limits_longer(HOURS(1), HOURS(999), 420), 0);
    /* in one unit nothing is converted: the day length does not matter */
    assert_int_equal(zw_time_limits_longer(DAYS(3), DAYS(2), 0), 1);
    assert_int_equal(zw_time_limits_longer(DAYS(2), DAYS(3), -5), 0);
}

static void test_days_against_hours(void **state)
{
    (void) state;
    /* promised days, statutory hours: the days start the next working day,
     * so they carry one more day (7 h here) against hours */
    assert_int_equal(zw_time_limits_longer(DAYS(1), HOURS(14), 420), 0);
    assert_int_equal(zw_time_limits_longer(DAYS(1), HOURS(13), 420), 1);
    assert_int_equal(zw_time_limits_longer(DAYS(1), HOURS(7), 420), 1);
    assert_int_equal(zw_time_limits_longer(DAYS(2), HOURS(21), 420), 0);
    assert_int_equal(zw_time_limits_longer(DAYS(2), HOURS(20), 420), 1);
    assert_int_equal(zw_time_limits_longer(DAYS(5), HOURS(40), 420), 1);
    /* an 8-hour day */
    assert_int_equal(zw_time_limits_longer(DAYS(1), HOURS(16), 480), 0);
    assert_int_equal(zw_time_limits_longer(DAYS(1), HOURS(15), 480), 1);
    /* promised hours, statutory days: no extra day */
    assert_int_equal(zw_time_limits_longer(HOURS(7), DAYS(1), 420), 0);
    assert_int_equal(zw_time_limits_longer(HOURS(8), DAYS(1), 420), 1);
    assert_int_equal(zw_time_limits_longer(HOURS(8), DAYS(1), 480), 0);
    assert_int_equal(zw_time_limits_longer(HOURS(140), DAYS(20), 420), 0);
    assert_int_equal(zw_time_limits_longer(HOURS(141), DAYS(20), 420), 1);
    /* across units the day length is needed */
    assert_int_equal(zw_time_limits_longer(DAYS(1), HOURS(14), 0), -1);
    assert_int_equal(zw_time_limits_longer(HOURS(7), DAYS(1), -1), -1);
}

static void test_zero_negative_unknown(void **state)
{
    (void) state;
    /* amount 0 is no limit: nothing to be longer than, nothing promised */
    assert_int_equal(zw_time_limits_longer(DAYS(30), DAYS(0), 420), 0);
    assert_int_equal(zw_time_limits_longer(DAYS(5), HOURS(0), 420), 0);
    assert_int_equal(zw_time_limits_longer(DAYS(0), HOURS(1), 420), 0);
    assert_int_equal(zw_time_limits_longer(HOURS(0), DAYS(0), 420), 0);
    assert_int_equal(zw_time_limits_longer(((zw_time_limit_t){0, 0}), DAYS(1), 420), 0);
    assert_int_equal(zw_time_limits_longer(HOURS(9), ((zw_time_limit_t){0, 7}), 420), 0);
    /* negative amounts: not comparable, also against no limit */
    assert_int_equal(zw_time_limits_longer(DAYS(-1), DAYS(20), 420), -1);
    assert_int_equal(zw_time_limits_longer(DAYS(5), HOURS(-1), 420), -1);
    assert_int_equal(zw_time_limits_longer(DAYS(-5), DAYS(0), 420), -1);
    assert_int_equal(zw_time_limits_longer(DAYS(0), HOURS(INT_MIN), 420), -1);
    /* unknown units with an amount: not comparable (never taken as days) */
    assert_int_equal(zw_time_limits_longer(((zw_time_limit_t){5, 0}), DAYS(20), 420), -1);
    assert_int_equal(zw_time_limits_longer(DAYS(5), ((zw_time_limit_t){20, 3}), 420), -1);
    assert_int_equal(zw_time_limits_longer(((zw_time_limit_t){5, -1}), DAYS(0), 420), -1);
    assert_int_equal(
        zw_time_limits_longer(((zw_time_limit_t){5, 3}), ((zw_time_limit_t){5, 3}), 420), -1);
}

/* ---- against the clock ---------------------------------------------------------- */

/* Whether a can end after b for some acceptance moment: every 15 minutes
 * from Friday 2020-09-25 to Monday 10-12 (a weekend, the 调休 Sunday 09-27,
 * the National Day holiday), and moments just around the opening, noon
 * and the close of each day. */
static bool s_ends_later(const zw_calendar_t *cal, const zw_workhours_t *hours, zw_time_limit_t a,
                         zw_time_limit_t b)
{
    static const int edges[] = {0, 539, 540, 541, 719, 720, 721, 809, 810, 811, 1049, 1050, 1051};
    zw_date_t day = {2020, 9, 25};
    for (int d = 0; d < 18; d++) {
        int64_t midnight = zw_moment_make(day, 0);
        for (int k = 0; k < 96 + (int) S_COUNT(edges); k++) {
            int minute = k < 96 ? k * 15 : edges[k - 96];
            int64_t at = midnight + (int64_t) minute * 60, due_a = 0, due_b = 0;
            zw_err_t err;
            if (zw_calendar_due_limit(cal, hours, at, a.amount, a.unit, NULL, 0, &due_a, &err) !=
                    0 ||
                zw_calendar_due_limit(cal, hours, at, b.amount, b.unit, NULL, 0, &due_b, &err) != 0)
                fail_msg("due: %s", err.message);
            if (due_a > due_b)
                return true;
        }
        zw_moment_local(midnight + 86400 + 3600, &day, NULL, NULL);
    }
    return false;
}

static void s_against_clock(const char *hours_text)
{
    zw_err_t err;
    zw_calendar_t *cal = zw_calendar_load(zwt_src_path("deploy/calendar/cn.json"), &err);
    if (!cal)
        fail_msg("calendar: %s", err.message);
    zw_workhours_t hours;
    assert_int_equal(zw_workhours_parse(hours_text, &hours, &err), 0);
    int mpd = zw_workhours_minutes_per_day(&hours);
    const zw_time_limit_t limits[] = {DAYS(1),   DAYS(2),   DAYS(3),   HOURS(1),  HOURS(6),
                                      HOURS(7),  HOURS(8),  HOURS(13), HOURS(14), HOURS(15),
                                      HOURS(16), HOURS(20), HOURS(21), HOURS(22), HOURS(24)};
    int longer = 0, not_longer = 0;
    for (size_t i = 0; i < S_COUNT(limits); i++)
        for (size_t j = 0; j < S_COUNT(limits); j++) {
            zw_time_limit_t a = limits[i], b = limits[j];
            int rule = zw_time_limits_longer(a, b, mpd);
            bool later = s_ends_later(cal, &hours, a, b);
            if (rule != (later ? 1 : 0))
                fail_msg("%d %s against %d %s at %d min/day: rule %d, clock %s", a.amount,
                         a.unit == ZW_LIMIT_HOURS ? "h" : "d", b.amount,
                         b.unit == ZW_LIMIT_HOURS ? "h" : "d", mpd, rule,
                         later ? "later" : "never later");
            longer += rule == 1;
            not_longer += rule == 0;
        }
    /* both answers occur, across units too */
    assert_true(longer > 20 && not_longer > 20);
    zw_calendar_destroy(&cal);
}

static void test_rule_matches_the_clock(void **state)
{
    (void) state;
    s_against_clock("09:00-12:00,13:30-17:30"); /* 420 minutes */
    s_against_clock("09:00-12:00,13:00-18:00"); /* 480 minutes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minutes),
        cmocka_unit_test(test_same_unit),
        cmocka_unit_test(test_days_against_hours),
        cmocka_unit_test(test_zero_negative_unknown),
        cmocka_unit_test(test_rule_matches_the_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
