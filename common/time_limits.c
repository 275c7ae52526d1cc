/* Time limits in working days or hours (see time_limits.h). */
#include "time_limits.h"

#include "calendar.h"
#include "zwfw/v1/catalog.pb-c.h"

#include <stdbool.h>

/* Callers store either numbering in zw_time_limit_t.unit. */
_Static_assert((int) ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS == (int) ZW_LIMIT_WORKDAYS &&
                   (int) ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS == (int) ZW_LIMIT_HOURS,
               "zwfw.v1.LimitUnit and zw_limit_unit_t must number the units alike");

static bool s_valid(zw_time_limit_t l)
{
    return l.amount == 0 ||
           (l.amount > 0 && (l.unit == ZW_LIMIT_WORKDAYS || l.unit == ZW_LIMIT_HOURS));
}

int64_t zw_time_limits_minutes(zw_time_limit_t limit, int minutes_per_day)
{
    if (!s_valid(limit))
        return -1;
    if (limit.amount == 0)
        return 0;
    if (limit.unit == ZW_LIMIT_HOURS)
        return (int64_t) limit.amount * 60;
    return minutes_per_day > 0 ? (int64_t) limit.amount * minutes_per_day : -1;
}

int zw_time_limits_longer(zw_time_limit_t a, zw_time_limit_t b, int minutes_per_day)
{
    if (!s_valid(a) || !s_valid(b))
        return -1;
    if (a.amount == 0 || b.amount == 0)
        return 0;
    if (a.unit == b.unit)
        return a.amount > b.amount;
    int64_t am = zw_time_limits_minutes(a, minutes_per_day);
    int64_t bm = zw_time_limits_minutes(b, minutes_per_day);
    if (am < 0 || bm < 0)
        return -1;
    if (a.unit == ZW_LIMIT_WORKDAYS) /* against hours: the rest of the acceptance day */
        am += minutes_per_day;
    return am > bm;
}
