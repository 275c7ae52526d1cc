/* zwfw-intake's SQL (schema `intake`, services/intake/sql/010_intake.sql):
 * named prepared statements and the plain structs their rows become. Every
 * function runs on the caller's connection, inside the caller's
 * transaction when there is one. Times are microseconds since the epoch,
 * -1 for SQL NULL. bytea values travel as PostgreSQL's hex text
 * ("\x0a1b..."), which is how they are kept in these structs too. */
#ifndef ZW_INTAKE_STORE_H
#define ZW_INTAKE_STORE_H

#include "date.h"
#include "db.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of intake.applications. Strings are malloc'd (never NULL after a
 * read; "" for empty), freed by zw_intake_row_free. */
typedef struct {
    char *receipt, *parent, *bundle_code, *item_code, *item_name, *department_code,
        *department_name;
    int item_version, handling, channel, state;
    char *window_id, *region, *submitter;
    int applicant_kind, applicant_id_type, agent_id_type;
    char *applicant_name, *applicant_id_enc, *applicant_id_masked, *applicant_key;
    char *agent_name, *agent_id_enc, *agent_id_masked; /* enc "" when no agent */
    char *phone_enc, *phone_masked, *address_enc;      /* enc "" when none */
    int64_t received_at_us, notice_given_at_us, accepted_at_us, due_at_us, statutory_due_at_us,
        completed_at_us, updated_at_us;
    bool deemed_accepted, receive_only, commitment_signed, notify_commitment, commitment_notified,
        withdrawal_requested;
    char **committed; /* material codes */
    size_t n_committed;
    char **waived;
    size_t n_waived;
    bool has_supply_by;
    zw_date_t supply_by;
    int64_t last_seq;
    char *notice; /* hex of the packed zwfw.v1.Notice; "" when none */
} zw_intake_row_t;

/* Frees what the row points to (not the row) and zeroes it. */
void zw_intake_row_free(zw_intake_row_t *row);
void zw_intake_rows_free(zw_intake_row_t *rows, size_t n);

/* Replaces one of the row's strings (or string lists) with a copy. -1 when
 * out of memory. */
int zw_intake_row_set(char **field, const char *value);
int zw_intake_row_set_list(char ***list, size_t *n, const char *const *values, size_t count);

/* Registers every statement on db (no round trip; see zw_db_prepare). */
int zw_intake_store_prepare(zw_db_t *db, zw_err_t *err);

/* ---- idempotency records ---------------------------------------------------- */

typedef struct {
    char kind[32];
    char *digest;  /* hex */
    char *receipt; /* "" until done */
    char *notice;  /* hex of the packed Notice; "" when none */
    int64_t result_us;
} zw_intake_request_t;

void zw_intake_request_free(zw_intake_request_t *r);

/* Inserts the record for (caller, key) unless one exists: *claimed says
 * whether this transaction now owns the key. A concurrent transaction
 * holding the same key makes this wait until it ends. */
int zw_intake_store_claim(zw_db_t *db, const char *caller, const char *key, const char *kind,
                          const char *digest_hex, int64_t now_us, bool *claimed, zw_err_t *err);
/* The record; NOT_FOUND if none. */
int zw_intake_store_request(zw_db_t *db, const char *caller, const char *key,
                            zw_intake_request_t *out, zw_err_t *err);
/* Bytes from a bytea column (free with zw_intake_blobs_free). */
typedef struct {
    unsigned char *data; /* NULL: none */
    size_t len;
} zw_intake_blob_t;

void zw_intake_blobs_free(zw_intake_blob_t *b, size_t n);

/* A batch's reads in one statement: the records of n (caller, key) pairs
 * (found[i] says whether pair i has one, then in out[i]; free each found
 * one with zw_intake_request_free) and the packed zwfw.v1.Item of each of
 * the n_codes catalog items, locked FOR SHARE (items[i].data NULL when
 * the catalog has no such item). */
int zw_intake_store_batch_reads(zw_db_t *db, const char *const *callers, const char *const *keys,
                                size_t n, zw_intake_request_t *out, bool *found,
                                const char *const *codes, size_t n_codes, zw_intake_blob_t *items,
                                zw_err_t *err);
/* Queues (zw_db_write) the check of a batch built without those reads:
 * the n_codes items are still at versions[i] (locked FOR SHARE) and none
 * of the n keys has a record; else the statement fails with SQLSTATE
 * ZW_INTAKE_BATCH_STALE (intake_batch.h) and the transaction is aborted. */
int zw_intake_store_batch_check(zw_db_t *db, const char *const *callers, const char *const *keys,
                                size_t n, const char *const *codes, const int *versions,
                                size_t n_codes, zw_err_t *err);
/* Records the answer (notice_hex may be NULL; result_us -1 for none). */
int zw_intake_store_request_done(zw_db_t *db, const char *caller, const char *key,
                                 const char *receipt, const char *notice_hex, int64_t result_us,
                                 zw_err_t *err);

/* claim and request_done in one write, for a caller that knows no record
 * exists (zw_intake_store_request said NOT_FOUND) and may queue the
 * write (zw_db_write): a concurrent claim of the same key then fails
 * the insert with ALREADY_EXISTS. */
int zw_intake_store_request_put(zw_db_t *db, const char *caller, const char *key, const char *kind,
                                const char *digest_hex, int64_t now_us, const char *receipt,
                                const char *notice_hex, int64_t result_us, zw_err_t *err);

/* Reserves `block` receipt numbers of `day` for `division` in a statement
 * of its own (call it outside a transaction) and returns the first. */
int zw_intake_store_receipt_block(zw_db_t *db, const char *division, zw_date_t day, int block,
                                  int64_t *first, zw_err_t *err);

/* ---- applications ------------------------------------------------------------- */

int zw_intake_store_app_insert(zw_db_t *db, const zw_intake_row_t *row, zw_err_t *err);
/* Writes the fields that change after creation: state, times, flags,
 * waived materials, supply-by, last_seq, notice. */
int zw_intake_store_app_update(zw_db_t *db, const zw_intake_row_t *row, zw_err_t *err);
/* One application (FOR UPDATE when lock); NOT_FOUND if none. */
int zw_intake_store_app_get(zw_db_t *db, const char *receipt, bool lock, zw_intake_row_t *row,
                            zw_err_t *err);
/* A bundle's children in receipt order (FOR UPDATE when lock). */
int zw_intake_store_children(zw_db_t *db, const char *parent, bool lock, zw_intake_row_t **rows,
                             size_t *n, zw_err_t *err);

typedef struct {
    int state;
    int64_t at_us, seq;
    char *actor, *note;
} zw_intake_hist_t;

void zw_intake_hist_free(zw_intake_hist_t *h, size_t n);
int zw_intake_store_history_add(zw_db_t *db, const char *receipt, int state, int64_t at_us,
                                const char *actor, const char *note, int64_t seq, zw_err_t *err);
int zw_intake_store_history(zw_db_t *db, const char *receipt, zw_intake_hist_t **out, size_t *n,
                            zw_err_t *err);

/* ---- materials ---------------------------------------------------------------- */

typedef struct {
    char *code, *name, *media_type, *sha256, *uri;
    int64_t size;
    bool original, reused;
    int copies;
    int64_t added_at_us;
    const char *for_item; /* handed in for this item of a bundle (borrowed; not stored) */
} zw_intake_mat_t;

void zw_intake_mats_free(zw_intake_mat_t *m, size_t n);
/* zw_intake_store_app_insert and zw_intake_store_materials_add(m, n) in one
 * statement, one round trip (materials in the same order). */
int zw_intake_store_app_insert_mats(zw_db_t *db, const zw_intake_row_t *r, const zw_intake_mat_t *m,
                                    size_t n, zw_err_t *err);
int zw_intake_store_materials_add(zw_db_t *db, const char *receipt, const zw_intake_mat_t *m,
                                  size_t n, zw_err_t *err);
int zw_intake_store_materials(zw_db_t *db, const char *receipt, zw_intake_mat_t **out, size_t *n,
                              zw_err_t *err);
/* The applicant's materials on file (reused is set on each). Here `code`
 * holds the kind of document: the catalog's name of the material. */
int zw_intake_store_on_file(zw_db_t *db, const char *applicant_key, zw_intake_mat_t **out,
                            size_t *n, zw_err_t *err);
/* Keeps the newest reference per kind (kinds[i] is m[i]'s; kinds must be
 * distinct). */
int zw_intake_store_on_file_put(zw_db_t *db, const char *applicant_key, const char *receipt,
                                const char *const *kinds, const zw_intake_mat_t *m, size_t n,
                                int64_t now_us, zw_err_t *err);

/* ---- credit list ------------------------------------------------------------- */

typedef struct {
    bool listed;
    char *reason, *id_masked;
    int64_t listed_at_us;
} zw_intake_credit_t;

void zw_intake_credit_free(zw_intake_credit_t *c);
int zw_intake_store_credit_get(zw_db_t *db, const char *applicant_key, zw_intake_credit_t *out,
                               zw_err_t *err);
int zw_intake_store_credit_put(zw_db_t *db, const char *applicant_key, const char *id_masked,
                               const char *reason, int64_t now_us, const char *actor, bool *changed,
                               zw_err_t *err);
int zw_intake_store_credit_delete(zw_db_t *db, const char *applicant_key, bool *changed,
                                  zw_err_t *err);

/* Records an applicant request forwarded to workflow. */
int zw_intake_store_forward(zw_db_t *db, const char *receipt, const char *kind, const char *reason,
                            const char *actor, int64_t at_us, zw_err_t *err);

/* ---- queries ---------------------------------------------------------------- */

/* List filters: NULL / 0 / -1 mean "any". scope_* restrict to what the
 * caller may read. The cursor (after_us, after_receipt) continues after
 * that row in (received_at, receipt) order. */
typedef struct {
    const char *applicant_key, *item_code, *window_id;
    int state, channel;
    int64_t from_us, to_us;
    const char *scope_region, *scope_department, *scope_submitter;
    int64_t after_us;
    const char *after_receipt;
    int limit;
    const char *supply_before; /* "YYYY-MM-DD": 容缺 still owed with supply_by before it */
} zw_intake_query_t;

int zw_intake_store_list(zw_db_t *db, const zw_intake_query_t *q, zw_intake_row_t **rows, size_t *n,
                         zw_err_t *err);

/* Events of stream "intake" after a seq, with the owner fields of the
 * application each names (for the caller's scope). */
typedef struct {
    int64_t seq, at_us;
    char *type, *receipt, *payload; /* payload hex */
    char *region, *department, *submitter;
} zw_intake_change_t;

void zw_intake_changes_free(zw_intake_change_t *c, size_t n);
/* Intake's stream: *head, the last seq the relay handed out, and *trimmed,
 * the last one retention removed (both 0 before the first event). */
int zw_intake_store_stream_head(zw_db_t *db, int64_t *head, int64_t *trimmed, zw_err_t *err);
int zw_intake_store_changes(zw_db_t *db, int64_t after_seq, int limit, zw_intake_change_t **out,
                            size_t *n, zw_err_t *err);

/* Receipts in state 1 with no notice received before before_us (oldest
 * first), bundle parents left out (they derive from their children):
 * candidates for the 5-working-day rule. */
int zw_intake_store_unnoticed(zw_db_t *db, int64_t before_us, int limit, char ***receipts,
                              size_t *n, zw_err_t *err);
void zw_intake_strings_free(char **s, size_t n);

/* For the consumer of workflow's events (to come): sets the state shown
 * and last_seq = seq when seq > last_seq; *applied false otherwise (an
 * older event, ignored). */
int zw_intake_store_apply_state(zw_db_t *db, const char *receipt, int state, int64_t seq,
                                int64_t at_us, bool *applied, zw_err_t *err);

#endif
