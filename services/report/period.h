/* Report periods (pure): the day, ISO week, month, quarter or year that
 * holds a date, with its label. */
#ifndef ZW_REPORT_PERIOD_H
#define ZW_REPORT_PERIOD_H

#include "date.h"
#include "error.h"

typedef struct {
    int kind;           /* ZWFW__V1__PERIOD_KIND__* */
    zw_date_t from, to; /* inclusive */
    char label[32];     /* "2020-10-09", "2020-W41", "2020-10", "2020-Q4", "2020" */
} zw_report_period_t;

/* The period of `kind` holding `date`. INVALID_ARGUMENT "kind" for an
 * unknown kind, "date" for an invalid date (or a period reaching outside
 * years 1..9999). */
int zw_report_period(int kind, zw_date_t date, zw_report_period_t *out, zw_err_t *err);

#endif
