#include "date.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define S_DAY_SECONDS 86400

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_leap(y) ? 29 : days[m - 1];
}

bool zw_date_valid(zw_date_t d)
{
    return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 && d.day >= 1 &&
           d.day <= s_month_days(d.year, d.month);
}

/* Howard Hinnant's days_from_civil / civil_from_days: exact for the whole
 * proleptic Gregorian calendar without tables or timegm(). */
int64_t zw_date_to_days(zw_date_t d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (d.month + (d.month > 2 ? -3 : 9)) + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

zw_date_t zw_date_from_days(int64_t z)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    zw_date_t d;
    d.day = (int) (doy - (153 * mp + 2) / 5 + 1);
    d.month = (int) (mp < 10 ? mp + 3 : mp - 9);
    d.year = (int) (yoe + era * 400 + (d.month <= 2));
    return d;
}

int zw_date_weekday(zw_date_t d)
{
    int64_t wd = zw_date_to_days(d) % 7; /* 0 = Thursday, 1970-01-01 */
    if (wd < 0)
        wd += 7;
    return (int) ((wd + 3) % 7) + 1;
}

int zw_date_cmp(zw_date_t a, zw_date_t b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    return a.day < b.day ? -1 : a.day > b.day;
}

static int s_digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Parses "YYYY-MM-DD" at the start of s, needing exactly 10 characters. */
static bool s_date_scan(const char *s, zw_date_t *out)
{
    if (strnlen(s, 11) < 10 || s[4] != '-' || s[7] != '-')
        return false;
    zw_date_t d = {s_digits(s, 4), s_digits(s + 5, 2), s_digits(s + 8, 2)};
    if (!zw_date_valid(d))
        return false;
    *out = d;
    return true;
}

int zw_date_parse(const char *text, zw_date_t *out, zw_err_t *err)
{
    zw_date_t d;
    if (!text || strlen(text) != 10 || !s_date_scan(text, &d))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "date",
                           "'%s' is not a valid date (expected YYYY-MM-DD)", text ? text : "");
    *out = d;
    return 0;
}

char *zw_date_format(zw_date_t d, char *buf)
{
    if (zw_date_valid(d))
        snprintf(buf, ZW_DATE_STRLEN, "%04d-%02d-%02d", d.year, d.month, d.day);
    else
        snprintf(buf, ZW_DATE_STRLEN, "(invalid)");
    return buf;
}

static int64_t s_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Moment of local midnight starting day `days`. */
static int64_t s_day_start(int64_t days)
{
    return days * S_DAY_SECONDS - ZW_LOCAL_UTC_OFFSET;
}

static bool s_moment_ok(int64_t m)
{
    static const zw_date_t lo = {1, 1, 1}, hi = {9999, 12, 31};
    return m >= s_day_start(zw_date_to_days(lo)) && m < s_day_start(zw_date_to_days(hi) + 1);
}

int zw_moment_local(int64_t moment, zw_date_t *date, int *minute_of_day, zw_err_t *err)
{
    if (!s_moment_ok(moment))
        return zw_err_setd(err, ZW_OUT_OF_RANGE, "moment",
                           "moment %" PRId64 " is outside years 1..9999", moment);
    int64_t local = moment + ZW_LOCAL_UTC_OFFSET;
    int64_t days = s_floor_div(local, S_DAY_SECONDS);
    if (date)
        *date = zw_date_from_days(days);
    if (minute_of_day)
        *minute_of_day = (int) ((local - days * S_DAY_SECONDS) / 60);
    return 0;
}

int64_t zw_moment_make(zw_date_t date, int minute_of_day)
{
    return s_day_start(zw_date_to_days(date)) + (int64_t) minute_of_day * 60;
}
