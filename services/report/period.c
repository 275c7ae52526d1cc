/* Report periods (period.h). */
#include "period.h"

#include "zwfw/v1/report.pb-c.h"

#include <stdio.h>

static zw_date_t s_add(zw_date_t d, int64_t days)
{
    return zw_date_from_days(zw_date_to_days(d) + days);
}

static int s_days_in_month(int y, int m)
{
    zw_date_t first = {y, m, 1};
    zw_date_t next = m == 12 ? (zw_date_t){y + 1, 1, 1} : (zw_date_t){y, m + 1, 1};
    return (int) (zw_date_to_days(next) - zw_date_to_days(first));
}

int zw_report_period(int kind, zw_date_t date, zw_report_period_t *out, zw_err_t *err)
{
    /* a week may reach a day into the neighbouring years */
    if (!zw_date_valid(date) || (date.year == 1 && date.month == 1 && date.day < 7) ||
        (date.year == 9999 && date.month == 12 && date.day > 24))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "date", "date must be a real date");
    out->kind = kind;
    switch (kind) {
    case ZWFW__V1__PERIOD_KIND__PERIOD_KIND_DAY:
        out->from = out->to = date;
        zw_date_format(date, out->label);
        return 0;
    case ZWFW__V1__PERIOD_KIND__PERIOD_KIND_WEEK: {
        out->from = s_add(date, 1 - zw_date_weekday(date));
        out->to = s_add(out->from, 6);
        /* ISO 8601: the week belongs to the year of its Thursday */
        zw_date_t thu = s_add(out->from, 3);
        int64_t doy = zw_date_to_days(thu) - zw_date_to_days((zw_date_t){thu.year, 1, 1});
        snprintf(out->label, sizeof out->label, "%04d-W%02d", thu.year, (int) (doy / 7 + 1));
        return 0;
    }
    case ZWFW__V1__PERIOD_KIND__PERIOD_KIND_MONTH:
        out->from = (zw_date_t){date.year, date.month, 1};
        out->to = (zw_date_t){date.year, date.month, s_days_in_month(date.year, date.month)};
        snprintf(out->label, sizeof out->label, "%04d-%02d", date.year, date.month);
        return 0;
    case ZWFW__V1__PERIOD_KIND__PERIOD_KIND_QUARTER: {
        int q = (date.month - 1) / 3;
        out->from = (zw_date_t){date.year, q * 3 + 1, 1};
        out->to = (zw_date_t){date.year, q * 3 + 3, s_days_in_month(date.year, q * 3 + 3)};
        snprintf(out->label, sizeof out->label, "%04d-Q%d", date.year, q + 1);
        return 0;
    }
    case ZWFW__V1__PERIOD_KIND__PERIOD_KIND_YEAR:
        out->from = (zw_date_t){date.year, 1, 1};
        out->to = (zw_date_t){date.year, 12, 31};
        snprintf(out->label, sizeof out->label, "%04d", date.year);
        return 0;
    default:
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "kind",
                           "kind must be DAY, WEEK, MONTH, QUARTER or YEAR (1-5), not %d", kind);
    }
}
