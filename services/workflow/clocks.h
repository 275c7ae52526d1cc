/* zw_wf_clocks: an instance's legal clocks and alarm moments, recomputed
 * from budgets and pause intervals (DESIGN.md "Time"), never counted down.
 * Pure functions over the calendar and the instance.
 *
 * Clocks: the instance's promised (承诺) and statutory (法定, plus any
 * extension) limits, paused by every pause of the instance (any track: a
 * department's 特别程序 stops the case's clock); each 并联 branch with a
 * limit has its own clock, paused by its own pauses only. A limit in
 * working days starts at the opening of the working day after acceptance
 * (a branch: after the fork); a limit in hours at the moment itself.
 *
 * Alarms: a warning when the remaining working time falls under the
 * threshold, an overdue alarm at the due time, an abnormal alarm when a
 * track stays in a state longer than the state's limit. Each is keyed so
 * that it is raised once per due time (a due time that moves, after a
 * pause or an extension, is a new one). */
#ifndef ZW_WF_CLOCKS_H
#define ZW_WF_CLOCKS_H

#include "calendar.h"
#include "engine.h"
#include "workhours.h"

#include <stdbool.h>
#include <stdint.h>

/* zwfw.v1.ClockKind / AlarmKind values. */
typedef enum {
    ZW_WF_CLOCK_NONE = 0,
    ZW_WF_CLOCK_PROMISED = 1,
    ZW_WF_CLOCK_STATUTORY = 2,
    ZW_WF_CLOCK_BRANCH = 3,
} zw_wf_clock_kind_t;

typedef enum {
    ZW_WF_ALARM_WARNING = 1,
    ZW_WF_ALARM_OVERDUE = 2,
    ZW_WF_ALARM_ABNORMAL = 3,
} zw_wf_alarm_kind_t;

#define ZW_WF_MAX_CLOCKS (2 + ZW_WF_MAX_BRANCHES)
#define ZW_WF_NONE (-1) /* a moment that does not exist (now) */

typedef struct {
    const zw_calendar_t *cal; /* borrowed */
    zw_workhours_t hours;
    int64_t warn_minutes; /* warning threshold in working minutes */
} zw_wf_clock_env_t;

typedef struct {
    zw_wf_clock_kind_t kind;
    int track;
    zw_wf_limit_t limit;
    int64_t start_us;
    int64_t budget_min;
    int64_t extension_min;
    int64_t used_min;      /* up to now (or the close) */
    int64_t remaining_min; /* budget - used */
    bool paused;           /* a pause of this clock is open */
    int64_t due_us;        /* ZW_WF_NONE while the clock stands */
    int64_t warn_us;       /* ZW_WF_NONE when not known */
} zw_wf_clock_t;

typedef struct {
    zw_wf_clock_t clocks[ZW_WF_MAX_CLOCKS];
    int nclocks;
    int64_t stuck_us[ZW_WF_MAX_TRACKS]; /* abnormal moment per track, or ZW_WF_NONE */
} zw_wf_clocks_t;

/* Where a budget starts for a limit granted at moment `at_us`. */
int zw_wf_grant_start(const zw_wf_clock_env_t *env, int64_t at_us, zw_wf_limit_t limit,
                      int64_t *start_us, zw_err_t *err);

/* Every clock of inst at now_us (a closed instance: at its close).
 * OUT_OF_RANGE when a date the clocks need is outside the calendar. */
int zw_wf_clocks_compute(const zw_wf_clock_env_t *env, const zw_wf_def_t *def,
                         const zw_wf_instance_t *inst, int64_t now_us, zw_wf_clocks_t *out,
                         zw_err_t *err);

/* The instance clock of a kind, or NULL. */
const zw_wf_clock_t *zw_wf_clocks_find(const zw_wf_clocks_t *c, zw_wf_clock_kind_t kind, int track);

/* Working minutes inside one pause (up to now_us while open). */
int zw_wf_pause_minutes(const zw_wf_clock_env_t *env, const zw_wf_pause_t *p, int64_t now_us,
                        int64_t *minutes, zw_err_t *err);

/* Working minutes from a to b (b > a), no pauses; for the daily scan. */
int zw_wf_minutes_between(const zw_wf_clock_env_t *env, int64_t a_us, int64_t b_us,
                          int64_t *minutes, zw_err_t *err);

typedef struct {
    zw_wf_alarm_kind_t kind;
    zw_wf_clock_kind_t clock; /* NONE for abnormal */
    int track;
    int64_t at_us;  /* when it falls due */
    int64_t due_us; /* the due time it is about (abnormal: when the limit ran out) */
    int64_t key;    /* once per key: the due time; abnormal: the entry's history seq */
} zw_wf_alarm_t;

/* Every alarm inst could raise with these clocks, whenever it falls due
 * (a closed instance raises none), ordered by at_us, a warning before the
 * overdue alarm of the same clock. Returns how many (at most max). */
size_t zw_wf_alarms(const zw_wf_clocks_t *c, const zw_wf_instance_t *inst, zw_wf_alarm_t *out,
                    size_t max);

/* The earliest at_us strictly after `after_us`; ZW_WF_NONE when none. */
int64_t zw_wf_alarms_next(const zw_wf_alarm_t *a, size_t n, int64_t after_us);

#endif
