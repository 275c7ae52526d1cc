/* zw_clock: business time, real or simulated, and monotonic time.
 *
 * Business time (due dates, pauses, rating windows, report periods) is read
 * only through a zw_clock_t. A real clock reads CLOCK_REALTIME. A simulated
 * clock reads the deployment's current time from the store
 * (common.sim_clock), so every daemon of the deployment shares it; it stands
 * still until an operator advances it, and it only moves forward.
 *
 * Timeouts, heartbeats and back-off use zw_mono_ms(), never business time,
 * so advancing a simulated day expires nobody.
 *
 * Times are microseconds since 1970-01-01T00:00:00Z. Calendar dates are
 * taken in Asia/Shanghai (UTC+08:00, no daylight saving since 1991). */
#ifndef ZW_CLOCK_H
#define ZW_CLOCK_H

#include "db.h"
#include "error.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct zw_clock zw_clock_t;

#define ZW_US_PER_SEC INT64_C(1000000)
#define ZW_TZ_OFFSET_SEC (8 * 3600) /* Asia/Shanghai */

zw_clock_t *zw_clock_new_real(void);
/* The db handle is borrowed and must outlive the clock. */
zw_clock_t *zw_clock_new_sim(zw_db_t *db);
void zw_clock_destroy(zw_clock_t **self_p);

bool zw_clock_is_sim(const zw_clock_t *self);

/* Current business time. A simulated clock that has never been set is
 * FAILED_PRECONDITION ("set it with zwfwctl clock set"); an unreachable
 * store is UNAVAILABLE. */
int zw_clock_now(zw_clock_t *self, int64_t *now_us, zw_err_t *err);

/* Simulated clocks only: moves the shared time to `to_us`. Moving it
 * backwards is FAILED_PRECONDITION and changes nothing; setting it to the
 * time it already shows is a no-op. On success *now_us (may be NULL)
 * receives the new time. Real clocks: FAILED_PRECONDITION. */
int zw_clock_set(zw_clock_t *self, int64_t to_us, int64_t *now_us, zw_err_t *err);

/* Monotonic milliseconds / microseconds (CLOCK_MONOTONIC). */
int64_t zw_mono_ms(void);
int64_t zw_mono_us(void);

/* Wall-clock microseconds (CLOCK_REALTIME), for logs and metrics only. */
int64_t zw_wall_us(void);

/* Formats a moment as RFC 3339 in +08:00, e.g. "2020-09-25T14:00:00+08:00"
 * (fraction only when non-zero). Returns out. */
char *zw_time_format(int64_t us, char *out, size_t outsz);

/* Parses RFC 3339 ("2020-09-25T14:00:00+08:00", "...Z", optional fraction)
 * or a bare "YYYY-MM-DDTHH:MM[:SS]" / "YYYY-MM-DD HH:MM[:SS]" taken as
 * +08:00, or "YYYY-MM-DD" as 00:00 +08:00. INVALID_ARGUMENT if malformed. */
int zw_time_parse(const char *text, int64_t *us, zw_err_t *err);

#endif
