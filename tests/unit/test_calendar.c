/* The working-day calendar and legal clocks.
 *
 * Every expected date below is typed from the State Council notices (see
 * DOMAIN.md "Working days"), not read from deploy/calendar/cn.json, so a
 * wrong data file fails here. */
#include "calendar.h"
#include "zwtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static zw_calendar_t *s_cal;

static int s_setup(void **state)
{
    (void) state;
    zw_err_t err;
    s_cal = zw_calendar_load(zwt_src_path("deploy/calendar/cn.json"), &err);
    if (!s_cal)
        fprintf(stderr, "load: %s\n", err.message);
    return s_cal ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    zw_calendar_destroy(&s_cal);
    return 0;
}

static zw_date_t D(const char *text)
{
    zw_date_t d = {0, 0, 0};
    zw_err_t err;
    if (zw_date_parse(text, &d, &err) != 0)
        fail_msg("bad test date %s: %s", text, err.message);
    return d;
}

/* "YYYY-MM-DD HH:MM" local (+08:00) as a moment. */
static int64_t M(const char *text)
{
    char day[11];
    int h = -1, m = -1;
    if (strlen(text) != 16 || sscanf(text + 11, "%2d:%2d", &h, &m) != 2)
        fail_msg("bad test moment %s", text);
    memcpy(day, text, 10);
    day[10] = '\0';
    return zw_moment_make(D(day), h * 60 + m);
}

static bool s_workday(const char *date)
{
    bool w = false;
    zw_err_t err;
    if (zw_calendar_is_workday(s_cal, D(date), &w, &err) != 0)
        fail_msg("is_workday %s: %s", date, err.message);
    return w;
}

static void s_expect_code(int rc, const zw_err_t *err, zw_code_t code)
{
    assert_int_equal(rc, -1);
    if (err->code != code)
        fail_msg("expected %s, got %s: %s", zw_code_name(code), zw_code_name(err->code),
                 err->message);
}

/* ---- the data ---------------------------------------------------------- */

static const char *s_off_days[] = {
    /* 2020 (2019-11-21 notice + 2020-01-26 extension) */
    "2020-01-01",
    "2020-01-24",
    "2020-01-25",
    "2020-01-26",
    "2020-01-27",
    "2020-01-28",
    "2020-01-29",
    "2020-01-30",
    "2020-01-31",
    "2020-02-01",
    "2020-02-02",
    "2020-04-04",
    "2020-04-05",
    "2020-04-06",
    "2020-05-01",
    "2020-05-02",
    "2020-05-03",
    "2020-05-04",
    "2020-05-05",
    "2020-06-25",
    "2020-06-26",
    "2020-06-27",
    "2020-10-01",
    "2020-10-02",
    "2020-10-03",
    "2020-10-04",
    "2020-10-05",
    "2020-10-06",
    "2020-10-07",
    "2020-10-08",
    /* 2021 */
    "2021-01-01",
    "2021-01-02",
    "2021-01-03",
    "2021-02-11",
    "2021-02-12",
    "2021-02-13",
    "2021-02-14",
    "2021-02-15",
    "2021-02-16",
    "2021-02-17",
    "2021-04-03",
    "2021-04-04",
    "2021-04-05",
    "2021-05-01",
    "2021-05-02",
    "2021-05-03",
    "2021-05-04",
    "2021-05-05",
    "2021-06-12",
    "2021-06-13",
    "2021-06-14",
    "2021-09-19",
    "2021-09-20",
    "2021-09-21",
    "2021-10-01",
    "2021-10-02",
    "2021-10-03",
    "2021-10-04",
    "2021-10-05",
    "2021-10-06",
    "2021-10-07",
    /* 2025 (国办发明电〔2024〕12号) */
    "2025-01-01",
    "2025-01-28",
    "2025-01-29",
    "2025-01-30",
    "2025-01-31",
    "2025-02-01",
    "2025-02-02",
    "2025-02-03",
    "2025-02-04",
    "2025-04-04",
    "2025-04-05",
    "2025-04-06",
    "2025-05-01",
    "2025-05-02",
    "2025-05-03",
    "2025-05-04",
    "2025-05-05",
    "2025-05-31",
    "2025-06-01",
    "2025-06-02",
    "2025-10-01",
    "2025-10-02",
    "2025-10-03",
    "2025-10-04",
    "2025-10-05",
    "2025-10-06",
    "2025-10-07",
    "2025-10-08",
    /* 2026 (2025-11-04 notice) */
    "2026-01-01",
    "2026-01-02",
    "2026-01-03",
    "2026-02-15",
    "2026-02-16",
    "2026-02-17",
    "2026-02-18",
    "2026-02-19",
    "2026-02-20",
    "2026-02-21",
    "2026-02-22",
    "2026-02-23",
    "2026-04-04",
    "2026-04-05",
    "2026-04-06",
    "2026-05-01",
    "2026-05-02",
    "2026-05-03",
    "2026-05-04",
    "2026-05-05",
    "2026-06-19",
    "2026-06-20",
    "2026-06-21",
    "2026-09-25",
    "2026-09-26",
    "2026-09-27",
    "2026-10-01",
    "2026-10-02",
    "2026-10-03",
    "2026-10-04",
    "2026-10-05",
    "2026-10-06",
    "2026-10-07",
};

static const char *s_work_weekends[] = {
    /* 2020: the Feb 1 working Saturday was cancelled by the extension */
    "2020-01-19",
    "2020-04-26",
    "2020-05-09",
    "2020-06-28",
    "2020-09-27",
    "2020-10-10",
    /* 2021 */
    "2021-02-07",
    "2021-02-20",
    "2021-04-25",
    "2021-05-08",
    "2021-09-18",
    "2021-09-26",
    "2021-10-09",
    /* 2025 */
    "2025-01-26",
    "2025-02-08",
    "2025-04-27",
    "2025-09-28",
    "2025-10-11",
    /* 2026 */
    "2026-01-04",
    "2026-02-14",
    "2026-02-28",
    "2026-05-09",
    "2026-09-20",
    "2026-10-10",
};

#define S_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void test_every_off_day(void **state)
{
    (void) state;
    assert_int_equal(S_COUNT(s_off_days), 30 + 31 + 28 + 33);
    for (size_t i = 0; i < S_COUNT(s_off_days); i++)
        if (s_workday(s_off_days[i]))
            fail_msg("%s should be a day off", s_off_days[i]);
}

static void test_every_working_weekend(void **state)
{
    (void) state;
    assert_int_equal(S_COUNT(s_work_weekends), 6 + 7 + 5 + 6);
    for (size_t i = 0; i < S_COUNT(s_work_weekends); i++) {
        /* The test data itself: 调休 days are all Saturdays or Sundays. */
        assert_true(zw_date_weekday(D(s_work_weekends[i])) >= 6);
        if (!s_workday(s_work_weekends[i]))
            fail_msg("%s should be a working weekend", s_work_weekends[i]);
    }
}

/* The day before and the day after each holiday block. */
static void test_around_each_holiday_block(void **state)
{
    (void) state;
    static const struct {
        const char *date;
        bool work;
    } cases[] = {
        {"2020-01-02", true},
        {"2020-01-23", true},
        {"2020-02-03", true},
        {"2020-04-03", true},
        {"2020-04-07", true},
        {"2020-04-30", true},
        {"2020-05-06", true},
        {"2020-06-24", true},
        {"2020-06-28", true},
        {"2020-09-30", true},
        {"2020-10-09", true},
        {"2020-12-31", true},
        {"2021-01-04", true},
        {"2021-02-10", true},
        {"2021-02-18", true},
        {"2021-04-02", true},
        {"2021-04-06", true},
        {"2021-04-30", true},
        {"2021-05-06", true},
        {"2021-06-11", true},
        {"2021-06-15", true},
        {"2021-09-18", true},
        {"2021-09-22", true},
        {"2021-09-30", true},
        {"2021-10-08", true},
        {"2025-01-02", true},
        {"2025-01-27", true},
        {"2025-02-05", true},
        {"2025-04-03", true},
        {"2025-04-07", true},
        {"2025-04-30", true},
        {"2025-05-06", true},
        {"2025-05-30", true},
        {"2025-06-03", true},
        {"2025-09-30", true},
        {"2025-10-09", true},
        {"2025-12-31", true},
        {"2026-01-04", true},
        {"2026-02-14", true},
        {"2026-02-24", true},
        {"2026-04-03", true},
        {"2026-04-07", true},
        {"2026-04-30", true},
        {"2026-05-06", true},
        {"2026-06-18", true},
        {"2026-06-22", true},
        {"2026-09-24", true},
        {"2026-09-28", true},
        {"2026-09-30", true},
        {"2026-10-08", true},
        /* Weekends next to a block that are not 调休 stay off. */
        {"2020-10-11", false},
        {"2021-10-10", false},
        {"2025-10-12", false},
        {"2026-10-11", false},
        {"2025-02-09", false},
    };
    for (size_t i = 0; i < S_COUNT(cases); i++)
        if (s_workday(cases[i].date) != cases[i].work)
            fail_msg("%s should be %s", cases[i].date, cases[i].work ? "a working day" : "off");
}

static void test_cancelled_working_saturday_2020(void **state)
{
    (void) state;
    assert_false(s_workday("2020-02-01"));
    assert_false(s_workday("2020-01-31")); /* a Friday inside the extension */
    zw_date_t out;
    zw_err_t err;
    char buf[ZW_DATE_STRLEN];
    assert_int_equal(zw_calendar_add_workdays(s_cal, D("2020-01-23"), 1, &out, &err), 0);
    assert_string_equal(zw_date_format(out, buf), "2020-02-03");
    int n = -1;
    assert_int_equal(
        zw_calendar_workdays_between(s_cal, D("2020-01-23"), D("2020-02-03"), &n, &err), 0);
    assert_int_equal(n, 1);
}

static void test_ordinary_days(void **state)
{
    (void) state;
    static const char *weekends[] = {"2020-03-07", "2020-03-08", "2020-11-28", "2021-03-13",
                                     "2021-03-14", "2025-03-15", "2025-03-16", "2026-03-14",
                                     "2026-03-15", "2026-12-27"};
    static const char *weekdays[] = {"2020-03-09", "2020-11-27", "2021-03-12",
                                     "2025-03-14", "2026-03-13", "2026-12-31"};
    for (size_t i = 0; i < S_COUNT(weekends); i++)
        if (s_workday(weekends[i]))
            fail_msg("%s is an ordinary weekend", weekends[i]);
    for (size_t i = 0; i < S_COUNT(weekdays); i++)
        if (!s_workday(weekdays[i]))
            fail_msg("%s is an ordinary weekday", weekdays[i]);
}

static void test_loaded_years_and_sources(void **state)
{
    (void) state;
    assert_int_equal(zw_calendar_first_year(s_cal), 2020);
    assert_int_equal(zw_calendar_last_year(s_cal), 2026);
    for (int y = 2018; y <= 2028; y++)
        assert_int_equal(zw_calendar_has_year(s_cal, y),
                         y == 2020 || y == 2021 || y == 2025 || y == 2026);
    assert_non_null(strstr(zw_calendar_source(s_cal, 2020), "延长2020年春节假期"));
    assert_non_null(strstr(zw_calendar_source(s_cal, 2025), "国办发明电〔2024〕12号"));
    assert_non_null(strstr(zw_calendar_source(s_cal, 2026), "2025-11-04"));
    assert_null(zw_calendar_source(s_cal, 2022));
    /* Whole-year totals: (Jan 1, Dec 31] excludes Jan 1, which is off. */
    static const struct {
        const char *a, *b;
        int n;
    } years[] = {{"2020-01-01", "2020-12-31", 249},
                 {"2021-01-01", "2021-12-31", 250},
                 {"2025-01-01", "2025-12-31", 248},
                 {"2026-01-01", "2026-12-31", 248}};
    for (size_t i = 0; i < S_COUNT(years); i++) {
        int n = -1;
        zw_err_t err;
        assert_int_equal(
            zw_calendar_workdays_between(s_cal, D(years[i].a), D(years[i].b), &n, &err), 0);
        assert_int_equal(n, years[i].n);
    }
}

/* ---- day arithmetic ---------------------------------------------------- */

static void test_add_workdays(void **state)
{
    (void) state;
    static const struct {
        const char *from;
        int n;
        const char *want;
    } cases[] = {
        {"2021-02-10", 1, "2021-02-18"}, /* Spring Festival 2021 */
        {"2021-02-05", 1, "2021-02-07"}, /* to the working Sunday */
        {"2020-09-30", 1, "2020-10-09"}, /* National Day 2020 */
        {"2020-09-30", 2, "2020-10-10"}, /* the working Saturday */
        {"2020-09-30", 3, "2020-10-12"},
        {"2020-10-01", 1, "2020-10-09"}, /* from a holiday */
        {"2020-10-01", 0, "2020-10-01"}, /* n = 0 is `from` itself */
        {"2020-12-30", 1, "2020-12-31"}, /* across the 2020→2021 year end */
        {"2020-12-30", 2, "2021-01-04"},
        {"2020-12-31", 3, "2021-01-06"},
        {"2020-12-01", 30, "2021-01-13"},
        {"2026-02-13", 1, "2026-02-14"},
        {"2026-02-13", 2, "2026-02-24"},
        {"2025-01-24", 1, "2025-01-26"},
        {"2025-01-26", 1, "2025-01-27"},
        {"2025-01-27", 1, "2025-02-05"},
        {"2020-09-21", 20, "2020-10-23"},
        {"2021-12-30", 1, "2021-12-31"}, /* last working day of 2021 */
        {"2020-01-01", 249, "2020-12-31"},
        {"2020-01-01", 250, "2021-01-04"},
    };
    for (size_t i = 0; i < S_COUNT(cases); i++) {
        zw_date_t out;
        zw_err_t err;
        char buf[ZW_DATE_STRLEN];
        if (zw_calendar_add_workdays(s_cal, D(cases[i].from), cases[i].n, &out, &err) != 0)
            fail_msg("%s + %d: %s", cases[i].from, cases[i].n, err.message);
        if (strcmp(zw_date_format(out, buf), cases[i].want) != 0)
            fail_msg("%s + %d = %s, want %s", cases[i].from, cases[i].n, buf, cases[i].want);
    }
    zw_date_t out;
    zw_err_t err;
    s_expect_code(zw_calendar_add_workdays(s_cal, D("2020-06-01"), -1, &out, &err), &err,
                  ZW_INVALID_ARGUMENT);
}

static void test_workdays_between(void **state)
{
    (void) state;
    static const struct {
        const char *a, *b;
        int n;
    } cases[] = {
        {"2020-09-30", "2020-10-09", 1},  {"2020-09-25", "2020-10-12", 7},
        {"2020-10-12", "2020-09-25", -7}, {"2020-10-05", "2020-10-05", 0},
        {"2020-10-01", "2020-10-08", 0},  {"2020-12-31", "2021-01-04", 1},
        {"2020-12-25", "2021-01-08", 9},  {"2021-02-05", "2021-02-20", 7},
        {"2020-01-23", "2020-02-07", 5},  {"2026-09-24", "2026-10-10", 6},
    };
    for (size_t i = 0; i < S_COUNT(cases); i++) {
        int n = -99;
        zw_err_t err;
        if (zw_calendar_workdays_between(s_cal, D(cases[i].a), D(cases[i].b), &n, &err) != 0)
            fail_msg("(%s, %s]: %s", cases[i].a, cases[i].b, err.message);
        if (n != cases[i].n)
            fail_msg("(%s, %s] = %d, want %d", cases[i].a, cases[i].b, n, cases[i].n);
    }
}

/* add_workdays (binary search) and workdays_between (prefix sums) against
 * a naive walk with is_workday, from every day of 2020 and 2021. */
static void test_day_arithmetic_agrees_with_naive_walk(void **state)
{
    (void) state;
    int64_t first = zw_date_to_days(D("2020-01-01")), last = zw_date_to_days(D("2021-12-31"));
    for (int64_t d = first; d <= last; d++) {
        zw_date_t from = zw_date_from_days(d);
        int seen = 0;
        int64_t walk = d;
        for (int n = 1; n <= 45; n++) {
            zw_date_t out;
            zw_err_t err;
            int rc = zw_calendar_add_workdays(s_cal, from, n, &out, &err);
            /* naive: the n-th working day after d */
            bool ok = true;
            while (seen < n) {
                walk++;
                if (walk > last) {
                    ok = false;
                    break;
                }
                bool w;
                assert_int_equal(zw_calendar_is_workday(s_cal, zw_date_from_days(walk), &w, NULL),
                                 0);
                seen += w;
            }
            if (!ok) {
                s_expect_code(rc, &err, ZW_OUT_OF_RANGE);
                break;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(zw_date_to_days(out), walk);
            int between = -1;
            assert_int_equal(zw_calendar_workdays_between(s_cal, from, out, &between, NULL), 0);
            assert_int_equal(between, n);
            assert_int_equal(zw_calendar_workdays_between(s_cal, out, from, &between, NULL), 0);
            assert_int_equal(between, -n);
        }
    }
}

static void test_out_of_range_years(void **state)
{
    (void) state;
    static const char *outside[] = {"2019-12-31", "2019-06-03", "2022-01-01",
                                    "2024-12-31", "2027-01-01", "2027-01-04"};
    for (size_t i = 0; i < S_COUNT(outside); i++) {
        bool w;
        zw_err_t err;
        zw_date_t out;
        int n;
        s_expect_code(zw_calendar_is_workday(s_cal, D(outside[i]), &w, &err), &err,
                      ZW_OUT_OF_RANGE);
        assert_string_equal(err.detail, "date");
        s_expect_code(zw_calendar_add_workdays(s_cal, D(outside[i]), 1, &out, &err), &err,
                      ZW_OUT_OF_RANGE);
        s_expect_code(zw_calendar_workdays_between(s_cal, D("2021-06-01"), D(outside[i]), &n, &err),
                      &err, ZW_OUT_OF_RANGE);
    }
    /* Computations that walk off the loaded years. */
    zw_date_t out;
    zw_err_t err;
    int n;
    s_expect_code(zw_calendar_add_workdays(s_cal, D("2021-12-30"), 2, &out, &err), &err,
                  ZW_OUT_OF_RANGE);
    assert_non_null(strstr(err.message, "2022-01-01"));
    s_expect_code(zw_calendar_add_workdays(s_cal, D("2026-12-30"), 5, &out, &err), &err,
                  ZW_OUT_OF_RANGE);
    assert_non_null(strstr(err.message, "2027"));
    s_expect_code(zw_calendar_workdays_between(s_cal, D("2021-06-01"), D("2025-06-03"), &n, &err),
                  &err, ZW_OUT_OF_RANGE);
    assert_non_null(strstr(err.message, "2022"));
    int64_t v;
    s_expect_code(zw_calendar_due(s_cal, NULL, M("2026-12-30 09:00"), 5 * 420, NULL, 0, &v, &err),
                  &err, ZW_OUT_OF_RANGE);
    s_expect_code(zw_calendar_due(s_cal, NULL, M("2019-12-30 09:00"), 60, NULL, 0, &v, &err), &err,
                  ZW_OUT_OF_RANGE);
    s_expect_code(zw_calendar_working_minutes(s_cal, NULL, M("2021-12-31 09:00"),
                                              M("2022-01-04 12:00"), NULL, 0, &v, &err),
                  &err, ZW_OUT_OF_RANGE);
    s_expect_code(zw_calendar_due_limit(s_cal, NULL, M("2021-12-20 10:00"), 20, ZW_LIMIT_WORKDAYS,
                                        NULL, 0, &v, &err),
                  &err, ZW_OUT_OF_RANGE);
    /* [from, to) ending at midnight does not touch the next day. */
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2021-12-31 09:00"),
                                                 M("2022-01-01 00:00"), NULL, 0, &v, &err),
                     0);
    assert_int_equal(v, 420);
}

/* ---- legal clocks ------------------------------------------------------ */

static void test_domain_example_special_procedure(void **state)
{
    (void) state;
    /* 特别程序 from Friday 2020-09-25 14:00 to Friday 2020-10-09 10:00: the
     * 调休 Sunday 09-27 counts, National Day does not: 32.5 hours. */
    zw_interval_t pause = {M("2020-09-25 14:00"), M("2020-10-09 10:00")};
    assert_int_equal(pause.start, INT64_C(1601013600)); /* 06:00Z */
    int64_t min = -1, due_plain = 0, due_paused = 0, moved = -1;
    zw_err_t err;
    assert_int_equal(
        zw_calendar_working_minutes(s_cal, NULL, pause.start, pause.end, NULL, 0, &min, &err), 0);
    assert_int_equal(min, 1950);
    /* A budget of 600 minutes from Friday 09:00 ends Sunday 12:00 unpaused. */
    int64_t start = M("2020-09-25 09:00");
    assert_int_equal(zw_calendar_due(s_cal, NULL, start, 600, NULL, 0, &due_plain, &err), 0);
    assert_int_equal(due_plain, M("2020-09-27 12:00"));
    assert_int_equal(zw_calendar_due(s_cal, NULL, start, 600, &pause, 1, &due_paused, &err), 0);
    assert_int_equal(due_paused, M("2020-10-10 09:30"));
    assert_int_equal(
        zw_calendar_working_minutes(s_cal, NULL, due_plain, due_paused, NULL, 0, &moved, &err), 0);
    assert_int_equal(moved, 1950);
    /* The working time between start and due, minus the pause, is the budget. */
    assert_int_equal(
        zw_calendar_working_minutes(s_cal, NULL, start, due_paused, &pause, 1, &min, &err), 0);
    assert_int_equal(min, 600);
}

static void test_twenty_workday_limit(void **state)
{
    (void) state;
    int64_t due = 0, start = 0;
    zw_err_t err;
    /* Accepted Monday 2020-09-21: day 1 is 09-22; National Day and the two
     * 调休 days fall inside; the 20th working day is Friday 10-23. */
    assert_int_equal(zw_calendar_limit_start(s_cal, NULL, M("2020-09-21 10:15"), ZW_LIMIT_WORKDAYS,
                                             &start, &err),
                     0);
    assert_int_equal(start, M("2020-09-22 09:00"));
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2020-09-21 10:15"), 20,
                                           ZW_LIMIT_WORKDAYS, NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2020-10-23 17:30"));
    /* Acceptance after hours or on a holiday changes nothing: day 1 is the
     * next working day. */
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2020-09-21 20:00"), 20,
                                           ZW_LIMIT_WORKDAYS, NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2020-10-23 17:30"));
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2021-02-12 11:00"), 1, ZW_LIMIT_WORKDAYS,
                                           NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2021-02-18 17:30"));
    /* Custom hours: ends at their close. */
    zw_workhours_t wh;
    assert_int_equal(zw_workhours_parse("08:30-12:00,14:00-18:00", &wh, &err), 0);
    assert_int_equal(zw_calendar_due_limit(s_cal, &wh, M("2020-09-21 10:15"), 20, ZW_LIMIT_WORKDAYS,
                                           NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2020-10-23 18:00"));
    /* A 10-day extension on top: 30 working days end 2020-11-06. */
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2020-09-21 10:15"), 30,
                                           ZW_LIMIT_WORKDAYS, NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2020-11-06 17:30"));
    s_expect_code(zw_calendar_due_limit(s_cal, NULL, M("2020-09-21 10:15"), 0, ZW_LIMIT_WORKDAYS,
                                        NULL, 0, &due, &err),
                  &err, ZW_INVALID_ARGUMENT);
    s_expect_code(zw_calendar_due_limit(s_cal, NULL, M("2020-09-21 10:15"), 3, (zw_limit_unit_t) 7,
                                        NULL, 0, &due, &err),
                  &err, ZW_INVALID_ARGUMENT);
}

static void test_hours_limit(void **state)
{
    (void) state;
    int64_t due = 0, start = 0;
    zw_err_t err;
    assert_int_equal(
        zw_calendar_limit_start(s_cal, NULL, M("2020-09-24 16:30"), ZW_LIMIT_HOURS, &start, &err),
        0);
    assert_int_equal(start, M("2020-09-24 16:30"));
    /* 2 hours at 16:30 Thursday: one today, one from Friday's opening. */
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2020-09-24 16:30"), 2, ZW_LIMIT_HOURS,
                                           NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2020-09-25 10:00"));
    /* 4 hours end exactly at Friday's 12:00 close, not at 13:30. */
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2020-09-24 16:30"), 4, ZW_LIMIT_HOURS,
                                           NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2020-09-25 12:00"));
    /* 8 hours from Friday 16:30 roll over Saturday into the 调休 Sunday. */
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2020-09-25 16:30"), 8, ZW_LIMIT_HOURS,
                                           NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2020-09-27 17:30"));
    /* 2 hours from 16:30 the day before Spring Festival 2021. */
    assert_int_equal(zw_calendar_due_limit(s_cal, NULL, M("2021-02-10 16:30"), 2, ZW_LIMIT_HOURS,
                                           NULL, 0, &due, &err),
                     0);
    assert_int_equal(due, M("2021-02-18 10:00"));
}

static void test_lunch_break_and_exact_close(void **state)
{
    (void) state;
    int64_t v = -1;
    zw_err_t err;
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-24 11:00"),
                                                 M("2020-09-24 14:00"), NULL, 0, &v, &err),
                     0);
    assert_int_equal(v, 90);
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-24 12:10"),
                                                 M("2020-09-24 13:20"), NULL, 0, &v, &err),
                     0);
    assert_int_equal(v, 0);
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-24 00:00"),
                                                 M("2020-09-25 00:00"), NULL, 0, &v, &err),
                     0);
    assert_int_equal(v, 420);
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-24 11:30"), 60, NULL, 0, &v, &err), 0);
    assert_int_equal(v, M("2020-09-24 14:00"));
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-24 11:00"), 60, NULL, 0, &v, &err), 0);
    assert_int_equal(v, M("2020-09-24 12:00"));
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-24 07:00"), 420, NULL, 0, &v, &err),
                     0);
    assert_int_equal(v, M("2020-09-24 17:30"));
    /* From after hours, the clock starts at the next opening. */
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-24 18:00"), 1, NULL, 0, &v, &err), 0);
    assert_int_equal(v, M("2020-09-25 09:01"));
    /* Budget 0 is the start itself. */
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-26 03:00"), 0, NULL, 0, &v, &err), 0);
    assert_int_equal(v, M("2020-09-26 03:00"));
    /* Seconds count: half a minute past, due half a minute past. */
    assert_int_equal(
        zw_calendar_due(s_cal, NULL, M("2020-09-24 10:00") + 30, 15, NULL, 0, &v, &err), 0);
    assert_int_equal(v, M("2020-09-24 10:15") + 30);
    s_expect_code(zw_calendar_due(s_cal, NULL, M("2020-09-24 10:00"), -1, NULL, 0, &v, &err), &err,
                  ZW_INVALID_ARGUMENT);
    s_expect_code(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-24 10:00"),
                                              M("2020-09-24 09:00"), NULL, 0, &v, &err),
                  &err, ZW_INVALID_ARGUMENT);
}

static void test_short_pause_costs_exactly_its_length(void **state)
{
    (void) state;
    zw_interval_t pause = {M("2020-09-24 10:00"), M("2020-09-24 10:45")};
    int64_t v = -1, plain = 0, paused = 0;
    zw_err_t err;
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-24 09:00"),
                                                 M("2020-09-24 17:30"), &pause, 1, &v, &err),
                     0);
    assert_int_equal(v, 420 - 45);
    assert_int_equal(
        zw_calendar_due(s_cal, NULL, M("2020-09-24 09:00"), 240, NULL, 0, &plain, &err), 0);
    assert_int_equal(plain, M("2020-09-24 14:30"));
    assert_int_equal(
        zw_calendar_due(s_cal, NULL, M("2020-09-24 09:00"), 240, &pause, 1, &paused, &err), 0);
    assert_int_equal(paused, M("2020-09-24 15:15"));
    /* Budget ending exactly where a pause starts gives the pause start. */
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-24 09:00"), 60, &pause, 1, &v, &err),
                     0);
    assert_int_equal(v, M("2020-09-24 10:00"));
    /* A pause wholly outside working hours costs nothing. */
    zw_interval_t night = {M("2020-09-24 18:00"), M("2020-09-25 08:59")};
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-24 09:00"), 480, &night, 1, &v, &err),
                     0);
    assert_int_equal(v, M("2020-09-25 10:00"));
}

static void test_overlapping_pauses_count_once(void **state)
{
    (void) state;
    zw_interval_t pauses[] = {
        {M("2020-09-24 10:30"), M("2020-09-24 11:30")},
        {M("2020-09-24 10:00"), M("2020-09-24 11:00")},
        {M("2020-09-24 10:45"), M("2020-09-24 10:50")},
        {M("2020-09-24 10:00"), M("2020-09-24 11:00")}, /* a duplicate */
        {M("2020-09-24 16:00"), M("2020-09-24 16:00")}, /* empty */
    };
    int64_t v = -1;
    zw_err_t err;
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-24 09:00"),
                                                 M("2020-09-24 12:00"), pauses, S_COUNT(pauses), &v,
                                                 &err),
                     0);
    assert_int_equal(v, 90);
    assert_int_equal(
        zw_calendar_due(s_cal, NULL, M("2020-09-24 09:00"), 120, pauses, S_COUNT(pauses), &v, &err),
        0);
    assert_int_equal(v, M("2020-09-24 13:30") + 30 * 60);
    /* Many pauses (beyond the on-stack buffer) still merge correctly: 30
     * back-to-back 1-minute pauses from 10:00 cost 30 minutes. */
    zw_interval_t many[40];
    for (int i = 0; i < 40; i++) {
        int k = i % 30;
        many[i].start = M("2020-09-24 10:00") + k * 60;
        many[i].end = many[i].start + 60;
    }
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-24 09:00"),
                                                 M("2020-09-24 12:00"), many, 40, &v, &err),
                     0);
    assert_int_equal(v, 150);
    zw_interval_t backwards = {M("2020-09-24 11:00"), M("2020-09-24 10:00")};
    s_expect_code(zw_calendar_due(s_cal, NULL, M("2020-09-24 09:00"), 10, &backwards, 1, &v, &err),
                  &err, ZW_INVALID_ARGUMENT);
}

static void test_open_ended_pause(void **state)
{
    (void) state;
    zw_interval_t open = {M("2020-09-25 14:00"), INT64_MAX};
    int64_t v = -1;
    zw_err_t err;
    s_expect_code(zw_calendar_due(s_cal, NULL, M("2020-09-25 09:00"), 600, &open, 1, &v, &err),
                  &err, ZW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "clock paused"));
    /* A budget spent before the pause starts is fine. */
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-25 09:00"), 100, &open, 1, &v, &err),
                     0);
    assert_int_equal(v, M("2020-09-25 10:40"));
    assert_int_equal(zw_calendar_due(s_cal, NULL, M("2020-09-25 09:00"), 210, &open, 1, &v, &err),
                     0);
    assert_int_equal(v, M("2020-09-25 14:00"));
    assert_int_equal(zw_calendar_working_minutes(s_cal, NULL, M("2020-09-25 09:00"),
                                                 M("2020-09-28 17:30"), &open, 1, &v, &err),
                     0);
    assert_int_equal(v, 210);
    /* Paused at the end of the loaded years: paused, not out of range. */
    zw_interval_t late = {M("2021-12-31 16:00"), INT64_MAX};
    s_expect_code(zw_calendar_due(s_cal, NULL, M("2021-12-31 09:00"), 1000, &late, 1, &v, &err),
                  &err, ZW_FAILED_PRECONDITION);
    /* An open pause that began before the start. */
    zw_interval_t before = {M("2020-09-01 09:00"), INT64_MAX};
    s_expect_code(zw_calendar_due(s_cal, NULL, M("2020-09-25 09:00"), 1, &before, 1, &v, &err),
                  &err, ZW_FAILED_PRECONDITION);
}

/* working_minutes(start, due(start, b)) == b, over many starts and budgets. */
static void test_due_inverts_working_minutes(void **state)
{
    (void) state;
    zw_interval_t pauses[] = {{M("2020-09-28 15:00"), M("2020-10-09 09:30")},
                              {M("2020-11-02 11:59"), M("2020-11-03 13:31")}};
    int64_t start0 = M("2020-09-20 08:00");
    for (int k = 0; k < 200; k++) {
        int64_t start = start0 + (int64_t) k * 37 * 60 * 11; /* ~7 h steps */
        for (int64_t b = 1; b <= 9000; b = b * 3 + 7) {
            int64_t due = 0, back = -1;
            zw_err_t err;
            assert_int_equal(zw_calendar_due(s_cal, NULL, start, b, pauses, 2, &due, &err), 0);
            assert_int_equal(
                zw_calendar_working_minutes(s_cal, NULL, start, due, pauses, 2, &back, &err), 0);
            assert_int_equal(back, b);
        }
    }
}

/* ---- loading ----------------------------------------------------------- */

static void test_malformed_calendar_json(void **state)
{
    (void) state;
    static const struct {
        const char *json;
        const char *detail; /* expected err.detail */
        const char *says;   /* expected in err.message */
    } cases[] = {
        {"not json", "json", "JSON"},
        {"{\"years\": []}", "years", "at least one"},
        {"[]", "years", "years"},
        {"{\"years\": [{\"year\": 2020, \"off\": [], \"work\": []}]}", "years[0]", "source"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"\", \"off\": [], \"work\": []}]}", "years[0]",
         "source"},
        {"{\"years\": [{\"year\": \"2020\", \"source\": \"s\", \"off\": [], \"work\": []}]}",
         "years[0]", "year"},
        {"{\"years\": [{\"year\": 2020.5, \"source\": \"s\", \"off\": [], \"work\": []}]}",
         "years[0]", "integer"},
        {"{\"years\": [{\"year\": 1e300, \"source\": \"s\", \"off\": [], \"work\": []}]}",
         "years[0]", "integer"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"work\": []}]}", "years[0].off",
         "\"off\""},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": {}, \"work\": []}]}",
         "years[0].off", "array"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"of\": [], \"off\": [], \"work\": "
         "[]}]}",
         "years[0]", "unknown key 'of'"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [\"2020-01-01\", "
         "\"2020-13-01\"], \"work\": []}]}",
         "years[0].off[1]", "2020-13-01"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [\"2021-02-29\"], "
         "\"work\": []}]}",
         "years[0].off[0]", "2021-02-29"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [20200101], \"work\": []}]}",
         "years[0].off[0]", "date string"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [\"2020-1-1\"], \"work\": "
         "[]}]}",
         "years[0].off[0]", "2020-1-1"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [\"2021-01-01\"], "
         "\"work\": []}]}",
         "years[0].off[0]", "outside the year"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": "
         "[\"2020-12-31..2021-01-01\"], \"work\": []}]}",
         "years[0].off[0]", "outside the year"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": "
         "[\"2020-05-05..2020-05-01\"], \"work\": []}]}",
         "years[0].off[0]", "ends before"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": "
         "[\"2020-05-01..2020-05-05\", \"2020-05-05\"], \"work\": []}]}",
         "years[0].off[1]", "listed twice"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [], \"work\": "
         "[\"2020-01-19..2020-01-19\"]}]}",
         "years[0].work[0]", "2020-01-19"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [], \"work\": "
         "[\"2020-01-20\"]}]}",
         "years[0].work[0]", "weekday"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [\"2020-02-01\"], "
         "\"work\": [\"2020-01-19\", \"2020-02-01\"]}]}",
         "years[0].work[1]", "both off and a working day"},
        {"{\"years\": [{\"year\": 2020, \"source\": \"s\", \"off\": [], \"work\": []},"
         " {\"year\": 2021, \"source\": \"s\", \"off\": [], \"work\": []},"
         " {\"year\": 2020, \"source\": \"t\", \"off\": [], \"work\": []}]}",
         "year", "year 2020 is already listed"},
        {"{\"years\": [{\"year\": 2021, \"source\": \"s\", \"off\": [], \"work\": []}, 7]}",
         "years[1]", "not an object"},
    };
    for (size_t i = 0; i < S_COUNT(cases); i++) {
        zw_err_t err;
        zw_err_clear(&err);
        zw_calendar_t *cal = zw_calendar_parse(cases[i].json, strlen(cases[i].json), &err);
        if (cal) {
            zw_calendar_destroy(&cal);
            fail_msg("case %zu should not load: %s", i, cases[i].json);
        }
        if (err.code != ZW_INVALID_ARGUMENT || strcmp(err.detail, cases[i].detail) != 0 ||
            !strstr(err.message, cases[i].says))
            fail_msg("case %zu: got %s [%s] %s; want [%s] ...%s...", i, zw_code_name(err.code),
                     err.detail, err.message, cases[i].detail, cases[i].says);
    }
    zw_err_t err;
    assert_null(zw_calendar_load("/nonexistent/zwfw/cn.json", &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_null(zw_calendar_parse("{}", 2, NULL)); /* err may be NULL */
}

static void test_small_calendar_from_memory(void **state)
{
    (void) state;
    /* Entries in any order, gaps allowed, a "note" allowed, JSON not
     * NUL-terminated. */
    const char json[] = "{\"years\": [{\"year\": 2031, \"source\": \"test\", \"off\": [], "
                        "\"work\": []}, {\"year\": 2029, \"source\": \"test\", \"note\": \"n\", "
                        "\"off\": [\"2029-01-01..2029-01-02\"], \"work\": [\"2029-01-06\"]}]}XYZ";
    zw_err_t err;
    zw_calendar_t *cal = zw_calendar_parse(json, strlen(json) - 3, &err);
    assert_non_null(cal);
    assert_int_equal(zw_calendar_first_year(cal), 2029);
    assert_int_equal(zw_calendar_last_year(cal), 2031);
    bool w = true;
    assert_int_equal(zw_calendar_is_workday(cal, D("2029-01-02"), &w, &err), 0);
    assert_false(w);
    assert_int_equal(zw_calendar_is_workday(cal, D("2029-01-06"), &w, &err), 0);
    assert_true(w);
    assert_int_equal(zw_calendar_is_workday(cal, D("2031-01-01"), &w, &err), 0);
    assert_true(w);
    zw_date_t out;
    s_expect_code(zw_calendar_add_workdays(cal, D("2029-12-31"), 1, &out, &err), &err,
                  ZW_OUT_OF_RANGE);
    zw_calendar_destroy(&cal);
    assert_null(cal);
    zw_calendar_destroy(&cal);
    zw_calendar_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_off_day),
        cmocka_unit_test(test_every_working_weekend),
        cmocka_unit_test(test_around_each_holiday_block),
        cmocka_unit_test(test_cancelled_working_saturday_2020),
        cmocka_unit_test(test_ordinary_days),
        cmocka_unit_test(test_loaded_years_and_sources),
        cmocka_unit_test(test_add_workdays),
        cmocka_unit_test(test_workdays_between),
        cmocka_unit_test(test_day_arithmetic_agrees_with_naive_walk),
        cmocka_unit_test(test_out_of_range_years),
        cmocka_unit_test(test_domain_example_special_procedure),
        cmocka_unit_test(test_twenty_workday_limit),
        cmocka_unit_test(test_hours_limit),
        cmocka_unit_test(test_lunch_break_and_exact_close),
        cmocka_unit_test(test_short_pause_costs_exactly_its_length),
        cmocka_unit_test(test_overlapping_pauses_count_once),
        cmocka_unit_test(test_open_ended_pause),
        cmocka_unit_test(test_due_inverts_working_minutes),
        cmocka_unit_test(test_malformed_calendar_json),
        cmocka_unit_test(test_small_calendar_from_memory),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
