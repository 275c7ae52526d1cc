/* zwfw-intake's per-thread context: each worker thread of the daemon owns
 * one of these (its own database connection), created by main.c. Shared,
 * read-only after start: the calendar, the regions table, the config. */
#ifndef ZW_INTAKE_CTX_H
#define ZW_INTAKE_CTX_H

#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "validate.h"

typedef struct {
    zw_db_t *db;                  /* owned by this thread */
    zw_clock_t *clock;            /* owned by this thread (sim clocks read db) */
    const zw_calendar_t *calendar; /* shared, read-only */
    const zw_regions_t *regions;   /* shared, read-only */
    const zw_config_t *config;     /* shared; read only from this thread's handler */
    int thread_index;
    struct zw_intake_batcher *batcher; /* shared: submissions' group commit; NULL = none */
} zw_intake_ctx_t;

#endif
