/* The rules of 好差评 (DOMAIN.md "好差评 ratings") as plain functions over
 * the request messages and dates, with no I/O: what a rating must carry,
 * which dimensions a service mode has, which application states may be
 * rated, a case's due date and whether it closed in time. */
#ifndef ZW_RATING_RULES_H
#define ZW_RATING_RULES_H

#include "calendar.h"
#include "date.h"
#include "error.h"
#include "zwfw/v1/rating.pb-c.h"

#include <stdbool.h>

#define ZW_RATING_REASON_MAX 500 /* characters of a reason or follow-up */
#define ZW_RATING_NOTE_MAX 500   /* characters of a callback note */
#define ZW_RATING_TEXT_MAX 1000  /* resolution, appeal reason, decision note */
#define ZW_RATING_STAFF_MAX 64   /* characters of staff_id */
#define ZW_RATING_MAX_FOLLOW_UPS 10
#define ZW_RATING_KEY_MAX 200    /* bytes of an idempotency key */
#define ZW_RATING_WORKDAYS_MIN 5 /* a case's deadline, working days */
#define ZW_RATING_WORKDAYS_MAX 15
#define ZW_RATING_STATS_MAX_DAYS 366

/* Levels 1 and 2 are 差评. */
bool zw_rating_is_bad(int level);

/* The service mode of an application from its intake channel
 * (zwfw.v1.Channel): window, kiosk, hotline are offline; online, mobile,
 * other system online. Unknown channels count as offline. */
int zw_rating_service_mode(int app_channel);

/* Whether a dimension belongs to a mode (ZWFW__V1__SERVICE_MODE__*). */
bool zw_rating_dimension_in_mode(int dimension, int mode);

/* A text field: when `required`, not empty or only spaces; at most
 * max_chars Unicode code points of valid UTF-8; no control character, but
 * line breaks (\n, \r\n) when `multiline`. INVALID_ARGUMENT naming
 * `field` otherwise. */
int zw_rating_check_text(const char *field, const char *text, long max_chars, bool required,
                         bool multiline, zw_err_t *err);

/* Steps 2-8 of protocol.md's SubmitRating checks, in that order: key,
 * receipt number, channel, level, reason, dimensions, staff id. */
int zw_rating_check_submit(const Zwfw__V1__SubmitRating *m, zw_err_t *err);

/* Step 12: every dimension belongs to `mode`. */
int zw_rating_check_mode(const Zwfw__V1__SubmitRating *m, int mode, zw_err_t *err);

/* Step 11: states 1 (已接件) and 2 (已撤件) cannot be rated:
 * FAILED_PRECONDITION "receipt_number". */
int zw_rating_check_state(const char *receipt, int state, zw_err_t *err);

/* The idempotency key: 1..ZW_RATING_KEY_MAX bytes, INVALID_ARGUMENT
 * "idempotency_key" otherwise. */
int zw_rating_check_key(const char *key, zw_err_t *err);

/* *due = the `workdays`-th working day after `opened` (opened not
 * counted). Errors from the calendar (a year it does not hold) pass
 * through. */
int zw_rating_due_date(const zw_calendar_t *cal, zw_date_t opened, int workdays, zw_date_t *due,
                       zw_err_t *err);

/* Closed on or before the due date (business dates). */
bool zw_rating_in_time(zw_date_t closed, zw_date_t due);

/* Open on `today` after the due date. */
bool zw_rating_overdue(zw_date_t today, zw_date_t due);

#endif
