/* 好差评 rules as pure functions (services/rating/rules.c, compiled in
 * here): what a rating must carry and the order of the checks, the
 * dimensions of each service mode, which states may be rated, and a
 * rectification case's due date across the 2020 National Day holiday
 * with its 调休 days (DOMAIN.md "Working days"). */
#include "zwtest.h"

#include "../../services/rating/rules.c"

#include <stdio.h>
#include <string.h>

static zw_calendar_t *s_cal;

static int s_setup(void **state)
{
    (void) state;
    zw_err_t err;
    s_cal = zw_calendar_load(zwt_src_path("deploy/calendar/cn.json"), &err);
    return s_cal ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    zw_calendar_destroy(&s_cal);
    return 0;
}

static zw_date_t s_d(int y, int m, int d)
{
    return (zw_date_t){y, m, d};
}

static void s_expect_due(zw_date_t opened, int workdays, zw_date_t want)
{
    zw_date_t due;
    zw_err_t err;
    assert_int_equal(zw_rating_due_date(s_cal, opened, workdays, &due, &err), 0);
    char a[ZW_DATE_STRLEN], b[ZW_DATE_STRLEN];
    zw_date_format(due, a);
    zw_date_format(want, b);
    assert_string_equal(a, b);
}

static void test_due_dates_across_national_day(void **state)
{
    (void) state;
    /* Friday 2020-09-25: Sunday 09-27 is a 调休 working day, 10-01..10-08
     * are off, Friday 10-09 and Saturday 10-10 (调休) are working days. */
    s_expect_due(s_d(2020, 9, 25), 5, s_d(2020, 10, 9));
    s_expect_due(s_d(2020, 9, 25), 6, s_d(2020, 10, 10));
    s_expect_due(s_d(2020, 9, 25), 10, s_d(2020, 10, 15));
    /* opened on a holiday: the days after it count */
    s_expect_due(s_d(2020, 10, 3), 5, s_d(2020, 10, 14));
    /* an ordinary week: Monday + 5 = next Monday */
    s_expect_due(s_d(2020, 11, 2), 5, s_d(2020, 11, 9));
    s_expect_due(s_d(2020, 11, 2), 15, s_d(2020, 11, 23));
}

static void test_in_time_and_overdue(void **state)
{
    (void) state;
    assert_true(zw_rating_in_time(s_d(2020, 10, 9), s_d(2020, 10, 9)));
    assert_false(zw_rating_in_time(s_d(2020, 10, 10), s_d(2020, 10, 9)));
    assert_false(zw_rating_overdue(s_d(2020, 10, 9), s_d(2020, 10, 9)));
    assert_true(zw_rating_overdue(s_d(2020, 10, 10), s_d(2020, 10, 9)));
}

static void test_modes_and_dimensions(void **state)
{
    (void) state;
    int off = ZWFW__V1__SERVICE_MODE__SERVICE_MODE_OFFLINE;
    int on = ZWFW__V1__SERVICE_MODE__SERVICE_MODE_ONLINE;
    assert_int_equal(zw_rating_service_mode(ZWFW__V1__CHANNEL__CHANNEL_WINDOW), off);
    assert_int_equal(zw_rating_service_mode(ZWFW__V1__CHANNEL__CHANNEL_KIOSK), off);
    assert_int_equal(zw_rating_service_mode(ZWFW__V1__CHANNEL__CHANNEL_HOTLINE), off);
    assert_int_equal(zw_rating_service_mode(ZWFW__V1__CHANNEL__CHANNEL_ONLINE), on);
    assert_int_equal(zw_rating_service_mode(ZWFW__V1__CHANNEL__CHANNEL_MOBILE), on);
    assert_int_equal(zw_rating_service_mode(ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM), on);
    for (int d = 1; d <= 3; d++) {
        assert_true(zw_rating_dimension_in_mode(d, off));
        assert_false(zw_rating_dimension_in_mode(d, on));
    }
    for (int d = 4; d <= 7; d++) {
        assert_true(zw_rating_dimension_in_mode(d, on));
        assert_false(zw_rating_dimension_in_mode(d, off));
    }
    assert_false(zw_rating_dimension_in_mode(0, off));
    assert_false(zw_rating_dimension_in_mode(8, on));
    assert_true(zw_rating_is_bad(1));
    assert_true(zw_rating_is_bad(2));
    assert_false(zw_rating_is_bad(3));
}

/* A valid submission to spoil one field at a time. */
typedef struct {
    Zwfw__V1__SubmitRating m;
    Zwfw__V1__DimensionScore d[3];
    Zwfw__V1__DimensionScore *dp[3];
} s_sub_t;

static void s_sub_init(s_sub_t *s)
{
    memset(s, 0, sizeof *s);
    zwfw__v1__submit_rating__init(&s->m);
    s->m.idempotency_key = "k-1";
    s->m.receipt_number = "500152-20200925-000001";
    s->m.channel = ZWFW__V1__RATING_CHANNEL__RATING_CHANNEL_QR_CODE;
    s->m.level = ZWFW__V1__RATING_LEVEL__RATING_LEVEL_DISSATISFIED;
    s->m.reason = "排队两小时\n窗口无人";
    s->m.staff_id = "W07";
    for (int i = 0; i < 3; i++) {
        zwfw__v1__dimension_score__init(&s->d[i]);
        s->d[i].dimension = (Zwfw__V1__RatingDimension) (i + 1);
        s->d[i].level = ZWFW__V1__RATING_LEVEL__RATING_LEVEL_BASIC;
        s->dp[i] = &s->d[i];
    }
    s->m.dimensions = s->dp;
    s->m.n_dimensions = 3;
}

static void s_expect_refused(const s_sub_t *s, zw_code_t code, const char *detail)
{
    zw_err_t err = {0};
    assert_int_equal(zw_rating_check_submit(&s->m, &err), -1);
    assert_int_equal(err.code, code);
    assert_string_equal(err.detail, detail);
}

static void test_submit_checks(void **state)
{
    (void) state;
    s_sub_t s;
    zw_err_t err;
    s_sub_init(&s);
    assert_int_equal(zw_rating_check_submit(&s.m, &err), 0);

    s_sub_init(&s);
    s.m.idempotency_key = "";
    s.m.channel = 0; /* two faults: the key is reported first */
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "idempotency_key");
    s_sub_init(&s);
    s.m.receipt_number = "";
    s.m.level = 9;
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "receipt_number");
    s_sub_init(&s);
    s.m.channel = 9;
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "channel");
    s_sub_init(&s);
    s.m.level = 0;
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "level");
    s_sub_init(&s);
    s.m.reason = " \u3000 ";
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "reason"); /* 差评 needs a real reason */
    s_sub_init(&s);
    s.m.level = ZWFW__V1__RATING_LEVEL__RATING_LEVEL_VERY_SATISFIED;
    s.m.reason = "";
    assert_int_equal(zw_rating_check_submit(&s.m, &err), 0); /* good ratings need none */
    s_sub_init(&s);
    s.m.reason = "a\x01b";
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "reason");
    char longer[3 * 501 + 1] = "";
    for (int i = 0; i < 501; i++)
        strcat(longer, "慢");
    s_sub_init(&s);
    s.m.reason = longer;
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "reason");
    longer[3 * 500] = '\0'; /* 500 characters (1500 bytes) are fine */
    s.m.reason = longer;
    assert_int_equal(zw_rating_check_submit(&s.m, &err), 0);
    s_sub_init(&s);
    s.d[1].dimension = s.d[0].dimension;
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "dimensions[1].dimension");
    s_sub_init(&s);
    s.d[2].dimension = 8;
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "dimensions[2].dimension");
    s_sub_init(&s);
    s.d[0].level = 6;
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "dimensions[0].level");
    s_sub_init(&s);
    s.m.staff_id = "W07\nW08";
    s_expect_refused(&s, ZW_INVALID_ARGUMENT, "staff_id");
}

static void test_mode_and_state_checks(void **state)
{
    (void) state;
    s_sub_t s;
    zw_err_t err = {0};
    s_sub_init(&s);
    assert_int_equal(zw_rating_check_mode(&s.m, ZWFW__V1__SERVICE_MODE__SERVICE_MODE_OFFLINE, &err),
                     0);
    assert_int_equal(zw_rating_check_mode(&s.m, ZWFW__V1__SERVICE_MODE__SERVICE_MODE_ONLINE, &err),
                     -1);
    assert_string_equal(err.detail, "dimensions[0].dimension");
    assert_int_equal(zw_rating_check_state("R", 1, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(err.detail, "receipt_number");
    assert_int_equal(zw_rating_check_state("R", 2, &err), -1);
    for (int st = 3; st <= 15; st++)
        assert_int_equal(zw_rating_check_state("R", st, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_due_dates_across_national_day),
        cmocka_unit_test(test_in_time_and_overdue),
        cmocka_unit_test(test_modes_and_dimensions),
        cmocka_unit_test(test_submit_checks),
        cmocka_unit_test(test_mode_and_state_checks),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
