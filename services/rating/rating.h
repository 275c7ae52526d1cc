/* zwfw-rating's pieces and what they share. main.c wires them:
 *
 *   rules.c     the 好差评 rules (pure)
 *   store.c     the SQL, and rows as zwfw.v1 messages in an arena
 *   service.c   zwfw.rating requests that change something
 *   read.c      zwfw.rating reads and figures
 *   sweeper.c   CaseOverdue for cases open past their due date
 *   settings.c  the configuration table */
#ifndef ZW_RATING_H
#define ZW_RATING_H

#include "arena.h"
#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "mdp_reply.h"
#include "zwfw/v1/rating.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZW_RATING_STREAM "rating"
#define ZW_RATING_PRODUCER "zwfw-rating"
/* The idempotency records (idem.h). */
#define ZW_RATING_REQUESTS "rating.requests"

/* Read-only after start, shared by every thread. */
typedef struct {
    const zw_calendar_t *cal;
    int case_workdays;
} zw_rating_settings_t;

/* A thread's context: its own connection and clock. */
typedef struct {
    zw_db_t *db;
    zw_clock_t *clock;
    const zw_rating_settings_t *settings;
} zw_rating_ctx_t;

/* NULL when out of memory or the statements cannot be registered. */
zw_rating_ctx_t *zw_rating_ctx_new(const char *conninfo, bool simulated,
                                   const zw_rating_settings_t *settings);
void zw_rating_ctx_destroy(zw_rating_ctx_t **self_p);

/* The worker handler (mdp_worker.h) of zwfw.rating. */
void zw_rating_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply);

/* ---- arena: a reply's messages, freed at once ------------------------------- */

typedef zw_arena_t zw_rating_arena_t; /* common/arena.h */
#define zw_rating_arena_new zw_arena_new
#define zw_rating_arena_destroy zw_arena_destroy
#define zw_rating_arena_alloc zw_arena_alloc
#define zw_rating_arena_strdup zw_arena_strdup
/* NULL for us < 0 (unset). */
Zwfw__V1__Timestamp *zw_rating_arena_ts(zw_rating_arena_t *a, int64_t us);
Zwfw__V1__Date *zw_rating_arena_date(zw_rating_arena_t *a, zw_date_t d);

/* ---- the store ------------------------------------------------------------------ */

/* Registers every statement on db. */
int zw_rating_store_prepare(zw_db_t *db, zw_err_t *err);

/* An application's facts as intake holds them. */
typedef struct {
    char *item_code, *item_name, *department_code, *department_name, *region, *window_id,
        *submitter;
    int item_version, state, channel;
} zw_rating_app_t;
/* NOT_FOUND "receipt_number" when intake has no such application. Free
 * with zw_rating_app_clear. */
int zw_rating_store_app(zw_db_t *db, const char *receipt, zw_rating_app_t *app, zw_err_t *err);
void zw_rating_app_clear(zw_rating_app_t *app);

/* Loads a rating (with its follow-ups) as a message in the arena: by id
 * when id > 0, else by receipt number; *out NULL when there is none.
 * `lock` takes the row FOR UPDATE. */
int zw_rating_store_rating(zw_db_t *db, zw_rating_arena_t *a, int64_t id, const char *receipt,
                           bool lock, Zwfw__V1__Rating **out, zw_err_t *err);
/* Loads a case (with its callbacks) by case id (> 0) or by rating id;
 * overdue and closed_in_time are worked out against `today`. */
int zw_rating_store_case(zw_db_t *db, zw_rating_arena_t *a, int64_t case_id, int64_t rating_id,
                         zw_date_t today, bool lock, Zwfw__V1__RectificationCase **out,
                         zw_err_t *err);

/* ---- shared by service.c, read.c and sweeper.c ------------------------------------ */

/* Business time and date now. */
int zw_rating_now(zw_rating_ctx_t *ctx, int64_t *now_us, zw_date_t *today, zw_err_t *err);
/* The business date of a moment. */
zw_date_t zw_rating_day(int64_t us);
/* "YYYY-MM-DD" of d into buf (ZW_DATE_STRLEN bytes). */
const char *zw_rating_date_text(zw_date_t d, char *buf);

#endif
