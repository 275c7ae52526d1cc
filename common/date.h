/* zw_date: civil dates and local moments in Asia/Shanghai.
 *
 * Local time is a fixed UTC+08:00 (China has had no daylight saving since
 * 1991), so no tzdata is needed. A moment is int64_t seconds since the Unix
 * epoch (UTC). Dates are proleptic Gregorian, years 1..9999. Pure
 * arithmetic: no I/O, no allocation, thread-safe. */
#ifndef ZW_DATE_H
#define ZW_DATE_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>

/* A civil date (proleptic Gregorian). Valid years are 1..9999. */
typedef struct {
    int year, month, day;
} zw_date_t;

/* Buffer size for zw_date_format: "YYYY-MM-DD" and the NUL. */
#define ZW_DATE_STRLEN 11

/* UTC offset of Asia/Shanghai, in seconds. */
#define ZW_LOCAL_UTC_OFFSET (8 * 3600)

/* True if `d` is a real date in years 1..9999. */
bool zw_date_valid(zw_date_t d);

/* Parses exactly "YYYY-MM-DD" (four, two and two digits, nothing else) into
 * *out; a malformed text or an impossible date (2021-02-29) is
 * INVALID_ARGUMENT. *out is untouched on error. */
int zw_date_parse(const char *text, zw_date_t *out, zw_err_t *err);

/* Writes "YYYY-MM-DD" into buf (at least ZW_DATE_STRLEN bytes) and returns
 * buf. An invalid date is written as "(invalid)". */
char *zw_date_format(zw_date_t d, char *buf);

/* <0, 0, >0 as a is before, equal to, after b. */
int zw_date_cmp(zw_date_t a, zw_date_t b);

/* Days since 1970-01-01 (negative before). `d` must be valid. */
int64_t zw_date_to_days(zw_date_t d);

/* The inverse of zw_date_to_days. */
zw_date_t zw_date_from_days(int64_t days);

/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int zw_date_weekday(zw_date_t d);

/* The local date and minute of the day (0..1439, seconds dropped) of a
 * moment. A moment outside years 1..9999 is OUT_OF_RANGE. Either output may
 * be NULL. */
int zw_moment_local(int64_t moment, zw_date_t *date, int *minute_of_day, zw_err_t *err);

/* The moment of local `date` at `minute_of_day` (0..1440) local time.
 * `date` must be valid. */
int64_t zw_moment_make(zw_date_t date, int minute_of_day);

#endif
