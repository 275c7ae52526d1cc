/* zw_calendar: working days, working hours and legal clocks.
 *
 * A working day is Monday–Friday, minus the statutory holidays ("off"), plus
 * the weekend days made working days (调休, "work"), as the State Council
 * publishes them each year. The schedule is data (deploy/calendar/cn.json):
 *
 *   {"years": [{"year": 2020,
 *               "source": "国务院办公厅关于2020年部分节假日安排的通知 (2019-11-21)",
 *               "note": "optional free text",
 *               "off":  ["2020-01-01", "2020-01-24..2020-02-02"],
 *               "work": ["2020-01-19"]}]}
 *
 * Only the loaded years are known: any date outside them, including one a
 * computation merely walks through, is an OUT_OF_RANGE error, never a guess.
 *
 * Local time is Asia/Shanghai, a fixed UTC+08:00 (China has had no DST since
 * 1991), so no tzdata is needed. A moment is int64_t seconds since the Unix
 * epoch (UTC).
 *
 * A legal clock is a budget of working minutes, spent only inside working
 * hours on working days and outside pauses (补正, 特别程序). Due times are
 * always recomputed from the budget and the pause intervals.
 *
 * A zw_calendar_t is immutable after loading: any number of threads may use
 * one at once. */
#ifndef ZW_CALENDAR_H
#define ZW_CALENDAR_H

#include "date.h"
#include "error.h"
#include "workhours.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- the calendar ------------------------------------------------------ */

typedef struct zw_calendar zw_calendar_t;

/* A time interval [start, end) of moments; end == INT64_MAX means the
 * interval is still open (a pause not yet ended). */
typedef struct {
    int64_t start, end;
} zw_interval_t;

typedef enum {
    ZW_LIMIT_WORKDAYS = 1, /* counted from the working day after acceptance */
    ZW_LIMIT_HOURS = 2,    /* working hours counted from acceptance */
} zw_limit_unit_t;

/* Reads and validates a calendar file (format above). A malformed file, a
 * bad or misplaced date, a repeated year, a date listed twice, a day both
 * off and work, or a "work" day that is not a weekend is INVALID_ARGUMENT,
 * naming the entry (detail e.g. "years[0].off[3]"); an unreadable file is
 * NOT_FOUND. Returns NULL on error; the caller destroys the result. */
zw_calendar_t *zw_calendar_load(const char *path, zw_err_t *err);

/* Same, from `len` bytes of JSON text (need not be NUL-terminated). */
zw_calendar_t *zw_calendar_parse(const char *json, size_t len, zw_err_t *err);

/* Frees the calendar; accepts NULL and *self_p == NULL; sets *self_p NULL. */
void zw_calendar_destroy(zw_calendar_t **self_p);

/* The path to load when none is given: $ZWFW_CALENDAR if set and not
 * empty, else the file shipped in the source tree. Static/env storage: do
 * not free. */
const char *zw_calendar_default_path(void);

/* The first and last loaded year. Years between them may be missing. */
int zw_calendar_first_year(const zw_calendar_t *self);
int zw_calendar_last_year(const zw_calendar_t *self);

/* True if `year` is loaded. */
bool zw_calendar_has_year(const zw_calendar_t *self, int year);

/* The "source" of a loaded year (owned by the calendar), or NULL. */
const char *zw_calendar_source(const zw_calendar_t *self, int year);

/* *workday = whether `date` is a working day. */
int zw_calendar_is_workday(const zw_calendar_t *self, zw_date_t date, bool *workday, zw_err_t *err);

/* *out = the n-th working day after `from` (from itself not counted; n = 0
 * gives `from`). n < 0 is INVALID_ARGUMENT. */
int zw_calendar_add_workdays(const zw_calendar_t *self, zw_date_t from, int n, zw_date_t *out,
                             zw_err_t *err);

/* *count = the number of working days in (a, b]; if b < a, minus the number
 * in (b, a]. Both dates must be loaded. */
int zw_calendar_workdays_between(const zw_calendar_t *self, zw_date_t a, zw_date_t b, int *count,
                                 zw_err_t *err);

/* *minutes = working time in [from, to) that lies outside every pause, in
 * whole minutes (rounded down; moments are counted to the second). Pauses
 * may overlap, be open-ended, or lie outside [from, to). hours == NULL
 * means the default. to < from, or a pause with end < start, is
 * INVALID_ARGUMENT. Every local day from `from` to just before `to` must be
 * loaded. */
int zw_calendar_working_minutes(const zw_calendar_t *self, const zw_workhours_t *hours,
                                int64_t from, int64_t to, const zw_interval_t *pauses,
                                size_t npauses, int64_t *minutes, zw_err_t *err);

/* *due = the moment at which `budget_minutes` (>= 0) working minutes,
 * counted from `start` outside pauses, are used up. A budget that runs out
 * exactly at a close (12:00, 17:30, or a pause's start) gives that close,
 * not the next opening; a budget of 0 gives `start`. If an open-ended pause
 * stops the clock before the budget runs out: FAILED_PRECONDITION ("clock
 * paused"). Walking past the loaded years: OUT_OF_RANGE. */
int zw_calendar_due(const zw_calendar_t *self, const zw_workhours_t *hours, int64_t start,
                    int64_t budget_minutes, const zw_interval_t *pauses, size_t npauses,
                    int64_t *due, zw_err_t *err);

/* *start = where the budget of a limit accepted at `accepted` starts: for
 * ZW_LIMIT_WORKDAYS the opening of the first working day after the local
 * acceptance date; for ZW_LIMIT_HOURS `accepted` itself. */
int zw_calendar_limit_start(const zw_calendar_t *self, const zw_workhours_t *hours,
                            int64_t accepted, zw_limit_unit_t unit, int64_t *start, zw_err_t *err);

/* *due for a limit of `amount` (> 0) units accepted at `accepted`: the
 * budget is amount × minutes-per-day (working days) or amount × 60 (hours),
 * from zw_calendar_limit_start, through zw_calendar_due. With no pauses, N
 * working days end at the close of the N-th working day after acceptance. */
int zw_calendar_due_limit(const zw_calendar_t *self, const zw_workhours_t *hours, int64_t accepted,
                          int amount, zw_limit_unit_t unit, const zw_interval_t *pauses,
                          size_t npauses, int64_t *due, zw_err_t *err);

#endif
