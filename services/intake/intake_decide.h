/* The acceptance decision applied to an application row (intake_decide.c),
 * shared by submission, supplement, review and the 5-working-day rule.
 *
 * Use: zw_intake_gather (what it has), zw_intake_decide_row (fields,
 * state and notice in memory), then store the row (insert or update), then
 * zw_intake_decide_record (history, events, audit), all in one
 * transaction. */
#ifndef ZW_INTAKE_DECIDE_H
#define ZW_INTAKE_DECIDE_H

#include "intake.h"

/* What an application has: the material codes in hand, and the applicant's
 * materials on file it reuses (to add to its materials, flagged reused). */
typedef struct {
    char **codes;
    size_t n_codes;
    zw_intake_mat_t *reused;
    size_t n_reused;
} zw_intake_have_t;

void zw_intake_have_free(zw_intake_have_t *h);

/* Deep copy of a material reference (free with zw_intake_mats_free). -1
 * when out of memory (dst then holds what was copied). */
int zw_intake_mat_copy(zw_intake_mat_t *dst, const zw_intake_mat_t *src);

/* zw_intake_bundle_refs_check over materials handed in (their code and
 * for_item) for bundle `bundle` of items[0..n_items). */
int zw_intake_mats_refs_check(const zw_intake_mat_t *mats, size_t n, Zwfw__V1__Item *const *items,
                              size_t n_items, const char *bundle, zw_err_t *err);

/* Codes of `now` (handed in with this request), of the row's stored
 * materials (with_prior; the row must exist), and of the item's materials
 * nothing else supplies that the applicant has on file (matched by the
 * catalog's name of the material, reusable ones only). */
int zw_intake_gather(zw_intake_tx_t *tx, const zw_intake_row_t *row, const Zwfw__V1__Item *item,
                     const zw_intake_mat_t *now, size_t n_now, bool with_prior,
                     zw_intake_have_t *out, zw_err_t *err);

/* Whether a material of this catalog name is kept on file and reused
 * (settings reuse_exclude names the per-application forms that are not). */
bool zw_intake_reusable(const char *name);

/* Files the materials handed in for row (those of item's materials,
 * borrowed in mine) on the applicant's file, under the catalog's name of
 * each: the newest reference of a kind wins. */
int zw_intake_file_materials(zw_intake_tx_t *tx, const zw_intake_row_t *row,
                             const Zwfw__V1__Item *item, const zw_intake_mat_t *mine, size_t n,
                             zw_err_t *err);

/* Decides a waiting row against item (the credit list is read when 容缺 or
 * 告知承诺 would apply) and sets, in memory: state (final: 1, 3, 4, 11 or
 * 12), notice_given_at (first notice), accepted_at and due times, waived
 * materials and supply-by date, completed_at, and the notice. */
int zw_intake_decide_row(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                         const zw_intake_have_t *have, zw_intake_decision_t *d, zw_err_t *err);

/* History rows, events and audit entries for a decision, after the row was
 * stored: 4 (ApplicationNotAccepted); the one-time notice
 * (ApplicationMaterialsMissing, no state change); 3 (ApplicationAccepted)
 * and for a 即办件 11 or 12 (ApplicationCompleted). */
int zw_intake_decide_record(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                            const zw_intake_decision_t *d, zw_err_t *err);

/* State 1 and ApplicationReceived, for a row just inserted. */
int zw_intake_record_received(zw_intake_tx_t *tx, zw_intake_row_t *row, zw_err_t *err);

/* 办结 (11, 12, 13) and ApplicationCompleted. */
int zw_intake_record_completed(zw_intake_tx_t *tx, zw_intake_row_t *row, int state,
                               bool on_the_spot, const char *note, zw_err_t *err);

/* The 5-working-day rule's effect on a waiting row (locked): accepted as of
 * its receipt day, due times from then, stored and recorded. */
int zw_intake_deemed_accept(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                            zw_err_t *err);

/* The notice's missing list for the statuses: every MISSING and WAIVED
 * material (strings borrowed from item). Free with zw_intake_missing_free. */
int zw_intake_missing_build(const Zwfw__V1__Item *item, const zw_mat_status_t *status,
                            Zwfw__V1__MissingMaterial ***out, size_t *n);
void zw_intake_missing_free(Zwfw__V1__MissingMaterial **v, size_t n);

/* A bundle parent's notice from its children (as stored): kind 0 derives
 * it (the one-time notice listing everything missing across them while
 * any waits for materials; received only; acceptance, 容缺 or completion,
 * naming the children not accepted); another kind is used with reason.
 * Also sets the parent's due times to the latest of its children's, and
 * its supply-by date to the earliest one still owed by a child whose
 * matter stands (not in state 2, 4, 5, 13, 14 or 15). */
int zw_intake_parent_notice(zw_intake_tx_t *tx, zw_intake_row_t *parent,
                            const zw_intake_row_t *kids, size_t n, int kind, const char *reason,
                            zw_err_t *err);

/* zwfw.intake SubmitApplication (intake_submit.c). */
void zw_intake_submit(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

/* zwfw.intake requests on received applications (intake_action.c). */
void zw_intake_supplement(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_intake_review(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_intake_refuse(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_intake_revoke(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_intake_withdraw(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

/* The 5-working-day rule for one application, in a transaction of its own
 * (*accepted: it was accepted now). */
int zw_intake_deemed_one(zw_intake_ctx_t *ctx, const char *receipt, bool *accepted, zw_err_t *err);

/* The keyed hash of an ID number as PostgreSQL hex text ("\\x..."),
 * malloc'd; NULL when out of memory. */
char *zw_intake_applicant_key(const char *id_number);

/* Derives a bundle parent's state from its children (kids, n; rows as
 * stored), stores the parent and, when the state changed, records it
 * (ApplicationStateChanged, source "bundle"). */
int zw_intake_parent_update(zw_intake_tx_t *tx, zw_intake_row_t *parent, zw_intake_row_t *kids,
                            size_t n, const char *note, zw_err_t *err);

#endif
