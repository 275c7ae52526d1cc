/* zwfw-report's pieces: period.c (pure periods), report.c (the queries and
 * the zwfw.report handler), main.c (wiring). */
#ifndef ZW_REPORT_H
#define ZW_REPORT_H

#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "mdp_reply.h"

#include <stdbool.h>

#define ZW_REPORT_PRODUCER "zwfw-report"

/* A thread's context: its own connection and clock. */
typedef struct {
    zw_db_t *db;
    zw_clock_t *clock;
    const zw_calendar_t *cal;
} zw_report_ctx_t;

/* NULL when out of memory or the statements cannot be registered. */
zw_report_ctx_t *zw_report_ctx_new(const char *conninfo, bool simulated, const zw_calendar_t *cal);
void zw_report_ctx_destroy(zw_report_ctx_t **self_p);

/* The worker handler (mdp_worker.h) of zwfw.report. */
void zw_report_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply);

#endif
