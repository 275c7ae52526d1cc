#include "sweep_timer.h"

#include "log.h"

void zw_sweep_timer_init(zw_sweep_timer_t *t, zw_clock_t *clock, int sweep_ms, int clock_poll_ms)
{
    *t = (zw_sweep_timer_t){.clock = clock,
                            .sim = zw_clock_is_sim(clock),
                            .sweep_ms = sweep_ms,
                            .clock_poll_ms = clock_poll_ms,
                            .last_now = INT64_MIN};
}

bool zw_sweep_timer_due(zw_sweep_timer_t *t, int64_t mono_ms, int64_t *now_us)
{
    if (mono_ms < t->next_poll && mono_ms < t->next_sweep)
        return false;
    bool due = false;
    zw_err_t err;
    if (zw_clock_now(t->clock, now_us, &err) != 0) {
        if (err.code != ZW_FAILED_PRECONDITION) /* a simulated clock not set yet */
            zw_logkv(ZW_LOG_WARN, "business clock unreadable", "reason", err.message, NULL);
        t->next_sweep = mono_ms + t->sweep_ms;
    } else if (mono_ms >= t->next_sweep || (t->sim && *now_us != t->last_now)) {
        due = true;
        t->last_now = *now_us;
        t->next_sweep = mono_ms + t->sweep_ms;
    }
    t->next_poll = mono_ms + (t->sim ? t->clock_poll_ms : t->sweep_ms);
    return due;
}

void zw_sweep_timer_set(zw_sweep_timer_t *t, int sweep_ms, int clock_poll_ms, int64_t mono_ms)
{
    t->sweep_ms = sweep_ms;
    t->clock_poll_ms = clock_poll_ms;
    if (t->next_sweep > mono_ms + sweep_ms)
        t->next_sweep = mono_ms + sweep_ms;
    int64_t poll = mono_ms + (t->sim ? clock_poll_ms : sweep_ms);
    if (t->next_poll > poll)
        t->next_poll = poll;
}

int64_t zw_sweep_timer_next(const zw_sweep_timer_t *t)
{
    return t->next_poll < t->next_sweep ? t->next_poll : t->next_sweep;
}
