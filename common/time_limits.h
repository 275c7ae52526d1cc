/* zw_time_limits: comparing time limits (法定 / 承诺办结时限) given in
 * working days or working hours. (Not "limits.h": common/ is on every
 * include path, and that name would hide the C library's <limits.h>.)
 *
 * A limit of N working days runs N full working days from the working day
 * after acceptance; a limit in hours runs from acceptance (DESIGN.md
 * "Time"). The catalog (PutItem) and workflow (a new process) both hold
 * the promised limit to the statutory one with zw_time_limits_longer, so
 * the rule has one form. Pure arithmetic: no I/O, no allocation. */
#ifndef ZW_TIME_LIMITS_H
#define ZW_TIME_LIMITS_H

#include <stdint.h>

/* A time limit. unit is ZW_LIMIT_WORKDAYS or ZW_LIMIT_HOURS
 * (common/calendar.h), which zwfw.v1.LimitUnit numbers the same (1, 2),
 * so either may be stored here; a plain int, so an unknown value from the
 * wire can be reported rather than assumed. amount 0: no limit (whatever
 * the unit). */
typedef struct {
    int amount;
    int unit;
} zw_time_limit_t;

/* The working minutes of a limit: amount × minutes_per_day for working
 * days, amount × 60 for hours, 0 for amount 0. -1 for a negative amount,
 * a positive amount in an unknown unit, or working days with
 * minutes_per_day <= 0. */
int64_t zw_time_limits_minutes(zw_time_limit_t limit, int minutes_per_day);

/* Whether limit `a` (a promised limit) can end after limit `b` (the
 * statutory one) for some moment of acceptance, a working day counting
 * minutes_per_day minutes:
 *   1  longer: DOMAIN.md says the promised limit never is;
 *   0  not longer, or nothing to compare (either amount is 0: no limit);
 *  -1  not comparable: a negative amount, a positive amount in an unknown
 *      unit, or working days to convert with minutes_per_day <= 0.
 * In one unit this compares amounts. Days against hours compare minutes,
 * and days in `a` against hours in `b` also carry one more working day:
 * the days begin the working day after acceptance while the hours begin at
 * acceptance, so an application accepted before opening time gets the
 * whole acceptance day on top (2 working days against 14 hours is longer,
 * against 21 it is not, at 420 minutes a day). Hours in `a` against days
 * in `b` need no such day: `b` has at least its full days whenever the
 * acceptance comes. */
int zw_time_limits_longer(zw_time_limit_t a, zw_time_limit_t b, int minutes_per_day);

#endif
