/* zw_wf_store: zwfw-workflow's SQL (schema workflow, sql/001_workflow.sql),
 * every statement named and prepared. Functions that change something run
 * on the caller's transaction (call them inside a zw_db_tx body). */
#ifndef ZW_WF_STORE_H
#define ZW_WF_STORE_H

#include "clocks.h"
#include "db.h"
#include "definition.h"
#include "engine.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers the statements on db (once per connection object). */
int zw_wf_store_prepare(zw_db_t *db, zw_err_t *err);

/* ---- definitions ---------------------------------------------------------- */

/* Stores a validated definition with its text. *created false when that
 * (code, version) already holds the same text; another text under an
 * existing version is ALREADY_EXISTS. */
int zw_wf_store_def_put(zw_db_t *db, const zw_wf_def_t *def, const char *body, const char *actor,
                        int64_t now_us, bool *created, zw_err_t *err);

/* The text of (code, version); version 0: the newest. NOT_FOUND "code"
 * (GetDefinition's field) when none. *body is malloc'd (caller frees);
 * *version_out the version found. */
int zw_wf_store_def_get(zw_db_t *db, const char *code, int version, char **body, int *version_out,
                        zw_err_t *err);

/* The definition a new instance of item_code uses: `code` (newest
 * version) when not empty, else the newest definition listing the item,
 * else the newest default one. NOT_FOUND "definition_code" (StartProcess's
 * field) when none fits. Outputs malloc'd. */
int zw_wf_store_def_pick(zw_db_t *db, const char *item_code, const char *code, char **code_out,
                         int *version_out, char **body, zw_err_t *err);

typedef struct {
    char *code, *name, *items_json;
    int version;
    bool is_default;
} zw_wf_def_row_t;

int zw_wf_store_def_list(zw_db_t *db, zw_wf_def_row_t **rows, size_t *n, zw_err_t *err);
void zw_wf_def_rows_free(zw_wf_def_row_t *rows, size_t n);

/* ---- instances -------------------------------------------------------------- */

/* What the clocks make of an instance, stored for lists, the scan and the
 * sweeper (ZW_WF_NONE is stored as NULL). */
typedef struct {
    int64_t promised_due, promised_warn, statutory_due, statutory_warn, due;
    int64_t next_check;
    int64_t track_due[ZW_WF_MAX_TRACKS], track_warn[ZW_WF_MAX_TRACKS],
        track_stuck[ZW_WF_MAX_TRACKS];
} zw_wf_derived_t;

/* Loads by id (> 0) or receipt number, with tracks and pauses, FOR UPDATE
 * when lock. NOT_FOUND when absent, detail the request field that named
 * it ("instance_id" or "receipt_number"). Given both (an id > 0 and a
 * non-empty receipt), they must name the same instance: otherwise
 * INVALID_ARGUMENT "instance_id", so a request never acts on a case other
 * than the one its receipt names. Clear inst with zw_wf_instance_clear
 * (also after an error). */
int zw_wf_store_load(zw_db_t *db, int64_t id, const char *receipt, bool lock,
                     zw_wf_instance_t *inst, zw_err_t *err);

/* Inserts a new instance (sets inst->id), unless its receipt number has
 * one already: then *inserted is false and nothing is written. */
int zw_wf_store_insert(zw_db_t *db, zw_wf_instance_t *inst, int64_t now_us, bool *inserted,
                       zw_err_t *err);

/* Writes the instance's changes: its row with `d`, every track, new
 * pauses (ids filled in) and ended ones. */
int zw_wf_store_save(zw_db_t *db, zw_wf_instance_t *inst, const zw_wf_derived_t *d, int64_t now_us,
                     zw_err_t *err);

typedef struct {
    int64_t seq;
    int track;
    const char *branch, *action, *from_state, *to_state, *actor, *caller_key_id, *comment;
    int caller_role;
    const uint8_t *materials; /* packed HistoryEntry with materials; may be NULL */
    size_t materials_len;
    int64_t at_us;
} zw_wf_history_t;

int zw_wf_store_history_add(zw_db_t *db, int64_t instance_id, const zw_wf_history_t *h,
                            zw_err_t *err);

/* Rows of an instance's history in seq order (the result holds them; use
 * PQgetvalue columns: seq, track, branch, action, from_state, to_state,
 * actor, caller_key_id, caller_role, comment, materials, at_us). */
PGresult *zw_wf_store_history(zw_db_t *db, int64_t instance_id, zw_err_t *err);

/* ---- the sweeper -------------------------------------------------------------- */

/* Claims (FOR UPDATE SKIP LOCKED) the open instance whose next check is
 * the earliest at or before now_us; *id 0 when none. */
int zw_wf_store_claim(zw_db_t *db, int64_t now_us, int64_t *id, zw_err_t *err);

typedef struct {
    int64_t instance_id;
    int track;
    int kind, clock;
    int64_t due_key, due_us;
    const char *department, *receipt, *branch, *state;
    int64_t raised_at_us;
} zw_wf_alarm_row_t;

/* Records an alarm; *inserted false when it was raised before. */
int zw_wf_store_alarm_add(zw_db_t *db, const zw_wf_alarm_row_t *a, bool *inserted, zw_err_t *err);

int zw_wf_store_set_check(zw_db_t *db, int64_t id, int64_t next_check, zw_err_t *err);

/* Records a failed sweep of one instance (its own transaction's worth):
 * counts it, keeps the message, and retries at retry_at_us. */
int zw_wf_store_sweep_failed(zw_db_t *db, int64_t id, const char *message, int64_t retry_at_us,
                             zw_err_t *err);

/* ---- idempotency ------------------------------------------------------------- */

/* *found false when the key is new; else *type, *digest and *reply
 * (malloc'd) hold the first request's. */
int zw_wf_store_request_get(zw_db_t *db, const char *caller, const char *key, bool *found,
                            char **type, char **digest, uint8_t **reply, size_t *len,
                            zw_err_t *err);

/* Records the first reply to a key (after zw_wf_store_request_get found
 * none). ALREADY_EXISTS "idempotency_key" when a concurrent request under
 * the key committed in between. */
int zw_wf_store_request_put(zw_db_t *db, const char *caller, const char *key, const char *type,
                            const char *digest, const uint8_t *reply, size_t len, int64_t now_us,
                            zw_err_t *err);

/* Claims a key before the work, for requests with no row of their own to
 * lock first: *claimed false when the key holds a request already; if
 * that one is still in flight this waits until it commits (then
 * zw_wf_store_request_get reads it) or rolls back (then the key is
 * claimed). A claimed key gets its reply from zw_wf_store_request_finish
 * in the same transaction. */
int zw_wf_store_request_claim(zw_db_t *db, const char *caller, const char *key, const char *type,
                              const char *digest, int64_t now_us, bool *claimed, zw_err_t *err);

int zw_wf_store_request_finish(zw_db_t *db, const char *caller, const char *key,
                               const uint8_t *reply, size_t len, zw_err_t *err);

/* ---- queries ----------------------------------------------------------------- */

typedef struct {
    const char *department;        /* "" any */
    const char *state;             /* "" any */
    int status;                    /* 0 any */
    int64_t due_after, due_before; /* ZW_WF_NONE: no bound */
    bool overdue_only;
    int64_t now_us;
    const char *scope_department; /* "" none (approver/head: theirs) */
    const char *scope_region;     /* "" none (window: its center) */
    int64_t after_id;             /* cursor: ids below this; 0 from the newest */
    int limit;
} zw_wf_query_t;

/* Instance ids, newest first. *ids malloc'd. */
int zw_wf_store_list(zw_db_t *db, const zw_wf_query_t *q, int64_t **ids, size_t *n, zw_err_t *err);

/* The daily scan's candidates at now_us: clocks with their warning or due
 * time passed and tracks stuck past their state's limit, for one
 * department or all (""). Columns: instance_id, receipt_number, track,
 * branch, department, clock (0 = abnormal), due_us, warn_us, state,
 * item_code; ordered by department. */
PGresult *zw_wf_store_scan(zw_db_t *db, int64_t now_us, const char *department, zw_err_t *err);

/* Alarms after id after_id (0: from the first), oldest first. Columns: id,
 * instance_id, receipt_number, branch, department, kind, clock, due_us,
 * raised_at_us, state. */
PGresult *zw_wf_store_alarms(zw_db_t *db, const char *receipt, const char *department,
                             int64_t after_id, int limit, zw_err_t *err);

/* Helpers for result rows: a bigint column (ZW_WF_NONE when NULL), a text
 * column ("" when NULL). */
int64_t zw_wf_col_i64(const PGresult *res, int row, int col);
const char *zw_wf_col_str(const PGresult *res, int row, int col);

#endif
