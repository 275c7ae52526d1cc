/* The zwfw.intake and zwfw.clock services inside zwfw-intake, and what
 * their files share. main.c calls zw_intake_init once before any worker
 * starts; after that the settings are read-only and every worker thread
 * works only with its own zw_intake_ctx_t (own connection, own clock).
 *
 *   intake_service.c  request dispatch, reads (Get, List, ListChanges),
 *                     the credit list
 *   intake_submit.c   SubmitApplication and the acceptance decision
 *   intake_action.c   Supplement, Review, Refuse, Withdraw, the
 *                     5-working-day rule (sweep and at query)
 *   intake_decide.c   the acceptance decision applied to a row, materials
 *                     on file, a bundle parent's notice
 *   intake_view.c     rows -> Application / Notice messages, events, audit
 *   intake_rules.c    the rules as pure functions
 *   intake_store.c    the SQL
 *   clock_service.c   zwfw.clock */
#ifndef ZW_INTAKE_H
#define ZW_INTAKE_H

#include "access.h"
#include "ctx.h"
#include "intake_rules.h"
#include "intake_store.h"
#include "mdp_reply.h"
#include "pii.h"
#include "workhours.h"

#include <stdbool.h>
#include <stdint.h>

/* The event stream intake publishes (Application* events). */
#define ZW_INTAKE_STREAM "intake"

typedef struct {
    const zw_pii_t *pii;     /* the data key; borrowed, outlives the workers */
    char division[8];        /* 6-digit division code: receipt numbers */
    char region[16];         /* region of applications an integrator submits */
    char center[160];        /* the service center named on notices */
    int notice_workdays;     /* the one-time notice is due within this many (5) */
    int waiver_workdays;     /* 容缺 materials are due this many working days on */
    int receipt_block;       /* receipt numbers the daemon reserves at once */
    char reuse_exclude[256]; /* name fragments of materials never reused (forms) */
    zw_workhours_t hours;    /* working hours of the legal clocks */
} zw_intake_settings_t;

/* Copies the settings (pii stays borrowed). Call before the workers start. */
void zw_intake_init(const zw_intake_settings_t *settings);
const zw_intake_settings_t *zw_intake_settings(void);

/* Registers intake's prepared statements on a thread's connection. */
int zw_intake_ctx_prepare(zw_intake_ctx_t *ctx, zw_err_t *err);

/* zwfw.intake requests (ctx is a zw_intake_ctx_t). */
void zw_intake_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply);

/* zwfw.clock requests (ctx is a zw_intake_ctx_t). */
void zw_clock_service_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply);

/* The 5-working-day rule over every application received without a
 * notice: each one whose deadline passed is accepted as of its receipt
 * day, one transaction each. *accepted (may be NULL) counts them. For the
 * daemon's loop, with a context of its own. */
int zw_intake_sweep(zw_intake_ctx_t *ctx, size_t *accepted, zw_err_t *err);

/* ---- shared by the intake_*.c files ----------------------------------------- */

/* The history rows a transaction wrote, kept so that its reply needs no
 * read back (zw_intake_record appends here when the tx has one). */
typedef struct {
    zw_intake_hist_t *hist;
    size_t n, cap;
    bool failed; /* out of memory: the list is incomplete, read it back */
} zw_intake_capture_t;

void zw_intake_capture_free(zw_intake_capture_t *c);

/* One transaction's surroundings. */
typedef struct {
    zw_intake_ctx_t *ctx;
    const Zwfw__V1__Caller *caller; /* NULL for the daemon's own sweep */
    const char *actor;
    int64_t now_us;
    zw_intake_capture_t *capture; /* NULL: nothing kept */
} zw_intake_tx_t;

/* The next receipt number (intake_receipts.c): from the daemon's shared
 * block of numbers of the day of now_us, reserving blocks on db (a
 * connection not inside a transaction). Any thread. */
int zw_intake_next_receipt(zw_db_t *db, int64_t now_us, char *out, size_t outsz, zw_err_t *err);

/* Starts the daemon's receipt reserver: a thread with its own connection
 * that reserves the next block when half the current one is used, so no
 * submission waits for that. Without it the thread that notices does it.
 * _stop joins it (call after the workers stopped). */
int zw_intake_receipts_start(const char *conninfo, zw_err_t *err);
void zw_intake_receipts_stop(void);

/* True when the caller's role may see ID and phone numbers in clear. */
bool zw_intake_may_see_pii(const Zwfw__V1__Caller *caller);

/* The application as the caller may see it: personal data decrypted when
 * clear, else masked; with history, materials and children when full.
 * Free with protobuf_c_message_free_unpacked(app, NULL). */
Zwfw__V1__Application *zw_intake_view(zw_db_t *db, const zw_intake_row_t *row, bool clear,
                                      bool full, zw_err_t *err);

/* The same, full, from what is known without reading: the row as stored,
 * its history and its materials in stored order (not for a bundle parent,
 * whose children are not known here). */
Zwfw__V1__Application *zw_intake_view_known(const zw_intake_row_t *row,
                                            const zw_intake_hist_t *hist, size_t nh,
                                            const zw_intake_mat_t *mats, size_t nm, bool clear,
                                            zw_err_t *err);

/* Loads and builds in one go (NOT_FOUND when absent). */
Zwfw__V1__Application *zw_intake_view_load(zw_db_t *db, const char *receipt, bool clear, bool full,
                                           zw_err_t *err);

/* The notice stored as hex (NULL when there is none or it does not
 * decode). Free with protobuf_c_message_free_unpacked. */
Zwfw__V1__Notice *zw_intake_notice_unhex(const char *hex);

/* What a notice says beyond the row's own fields. */
typedef struct {
    int kind; /* zwfw.v1.NoticeKind */
    const char *reason;
    Zwfw__V1__MissingMaterial **missing; /* borrowed */
    size_t n_missing;
    int64_t issued_at_us;
    const char *authority, *authority_code; /* NULL: the row's department */
} zw_intake_notice_in_t;

/* Packs the notice for a row into row->notice (hex, replacing it). */
int zw_intake_notice_store(zw_intake_row_t *row, const zw_intake_notice_in_t *in, zw_err_t *err);

/* A row's state change: row->state = state, a history row, an audit entry
 * and the event `ev` (may be NULL: history and audit only), all on the
 * transaction of tx. */
int zw_intake_record(zw_intake_tx_t *tx, zw_intake_row_t *row, int state, const char *note,
                     const ProtobufCMessage *ev, zw_err_t *err);

/* An event and its audit entry without a state change. */
int zw_intake_emit(zw_intake_tx_t *tx, const zw_intake_row_t *row, const char *action,
                   const ProtobufCMessage *ev, zw_err_t *err);

/* Fills a Timestamp (returns NULL when us < 0, the field then stays unset). */
Zwfw__V1__Timestamp *zw_intake_ts(Zwfw__V1__Timestamp *ts, int64_t us);

/* The applicant key as plain hex (without PostgreSQL's "\x"). */
/* A material reference as the store takes it; the strings stay r's
 * (borrowed), added_at_us as given (0: the store's own time). */
zw_intake_mat_t zw_intake_mat_of(const Zwfw__V1__MaterialRef *r, int64_t added_at_us);

const char *zw_intake_key_hex(const zw_intake_row_t *row);

/* Access target of an application (window: region; approver, head:
 * department; integrator: submitter). */
void zw_intake_target(const zw_intake_row_t *row, zw_access_target_t *target);

#endif
