/* zw_sweep_timer: when a daemon's loop runs its business-time sweep
 * (overdue cases, alarms): every sweep_ms, and at once when business time
 * moved, that is when an operator or a test advanced a simulated clock.
 *
 * A simulated clock is read every clock_poll_ms to notice that; a real one
 * only when a sweep is due. Times are zw_mono_ms() milliseconds; the clock
 * gives the business time the sweep runs at. A value, used from the loop's
 * thread; nothing to free. */
#ifndef ZW_SWEEP_TIMER_H
#define ZW_SWEEP_TIMER_H

#include "clock.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    zw_clock_t *clock;           /* borrowed */
    bool sim;                    /* zw_clock_is_sim(clock) */
    int sweep_ms, clock_poll_ms; /* the caller may change them (SIGHUP) */
    int64_t next_sweep, next_poll, last_now;
} zw_sweep_timer_t;

/* A timer whose first sweep is due at once. */
void zw_sweep_timer_init(zw_sweep_timer_t *t, zw_clock_t *clock, int sweep_ms, int clock_poll_ms);

/* True when the sweep is to run now (monotonic time mono_ms), at business
 * time *now_us; the timer then counts sweep_ms from mono_ms. A clock that
 * cannot be read puts the sweep off by sweep_ms (logged as WARN "business
 * clock unreadable", except a simulated clock never set). */
bool zw_sweep_timer_due(zw_sweep_timer_t *t, int64_t mono_ms, int64_t *now_us);

/* New intervals (SIGHUP) at monotonic time mono_ms. A sweep or poll
 * already planned further off than the new interval comes in to it, so a
 * shorter sweep_ms takes effect now rather than after the old one ran
 * out; a longer one counts from the next sweep. */
void zw_sweep_timer_set(zw_sweep_timer_t *t, int sweep_ms, int clock_poll_ms, int64_t mono_ms);

/* The monotonic time by which the loop must call zw_sweep_timer_due
 * again. */
int64_t zw_sweep_timer_next(const zw_sweep_timer_t *t);

#endif
