/* Requests that act on an application already received: SupplementMaterials,
 * ReviewApplication, RefuseApplication, RevokeApplication,
 * WithdrawApplication (one table-driven path); and the
 * 5-working-day rule, applied by the daemon's sweep and when an
 * application is read. Each runs in one transaction with its idempotency
 * record; a bundle parent passes the request on to its children and then
 * derives its own state. Lock order: parent before child. */
#include "catalog.h"
#include "catalog_rules.h"
#include "intake_decide.h"

#include "log.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x

typedef struct s_action s_action_t;

/* Applies the request to one locked application row. A request that does
 * not apply to the row's state is FAILED_PRECONDITION. */
typedef int (*s_apply_fn)(s_action_t *a, zw_intake_row_t *row, zw_err_t *err);

struct s_action {
    zw_intake_tx_t tx;
    const zw_request_t *req; /* NULL for the daemon's own sweep */
    zw_access_action_t access;
    const char *kind; /* idempotency record kind */
    const char *key;
    const char *receipt;
    const char *reason;
    char digest[2 * ZW_PII_HASH_BYTES + 3];
    zw_intake_mat_t *mats; /* supplement: materials handed in (strings borrowed) */
    size_t n_mats;
    s_apply_fn apply;
    int parent_kind; /* the parent's notice kind (0: derived from the children) */
    /* per attempt */
    bool bundle_off; /* the row's bundle, or an item of it, is cancelled */
    char *notice_hex;
    char answered[ZW_INTAKE_MAX_RECEIPT + 8];
    bool replayed;
};

/* ---- helpers ------------------------------------------------------------------- */

/* The item an application is pinned to, unless the item has since been
 * cancelled: then the current version, so the decision is 不受理. */
static int s_item(zw_intake_tx_t *tx, const zw_intake_row_t *row, Zwfw__V1__Item **item,
                  zw_err_t *err)
{
    Zwfw__V1__Item *current = NULL;
    if (zw_catalog_item_for_update(tx->ctx->db, row->item_code, &current, err) != 0)
        return -1;
    if (current->status == ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED ||
        current->version == row->item_version) {
        *item = current;
        return 0;
    }
    protobuf_c_message_free_unpacked(&current->base, NULL);
    return zw_catalog_item_version(tx->ctx->db, row->item_code, row->item_version, item, err);
}

static bool s_waiting_unnoticed(const zw_intake_row_t *row)
{
    return row->state == S_STATE(RECEIVED) && row->notice_given_at_us < 0 && row->item_code[0];
}

/* Applies the 5-working-day rule to a locked row; *done when it did. */
static int s_deemed(zw_intake_tx_t *tx, zw_intake_row_t *row, bool *done, zw_err_t *err)
{
    *done = false;
    if (!s_waiting_unnoticed(row))
        return 0;
    bool deemed = false;
    if (zw_intake_deemed(tx->ctx->calendar, zw_intake_settings()->notice_workdays,
                         row->received_at_us / ZW_US_PER_SEC, -1, tx->now_us / ZW_US_PER_SEC,
                         &deemed, err) != 0)
        return -1;
    if (!deemed)
        return 0;
    Zwfw__V1__Item *item = NULL;
    if (zw_catalog_item_version(tx->ctx->db, row->item_code, row->item_version, &item, err) != 0)
        return -1;
    int rc = zw_intake_deemed_accept(tx, row, item, err);
    protobuf_c_message_free_unpacked(&item->base, NULL);
    *done = rc == 0;
    return rc;
}

static int s_add_materials(s_action_t *a, zw_intake_row_t *row, zw_intake_mat_t *mats, size_t n,
                           zw_err_t *err)
{
    return zw_intake_store_materials_add(a->tx.ctx->db, row->receipt, mats, n, err);
}

/* a->bundle_off: whether `bundle` ("" for none), or an item of it, is
 * cancelled now, so that re-deciding a child refuses it as submission would
 * have. */
static int s_bundle_off(s_action_t *a, const char *bundle, zw_err_t *err)
{
    a->bundle_off = false;
    if (!bundle || !bundle[0])
        return 0;
    Zwfw__V1__Bundle *b = NULL;
    Zwfw__V1__Item **items = NULL;
    size_t n = 0;
    zw_err_t e = {0};
    if (zw_catalog_bundle_for_update(a->tx.ctx->db, bundle, &b, &items, &n, &e) != 0) {
        if (e.code != ZW_NOT_FOUND) {
            if (err)
                *err = e;
            return -1;
        }
        a->bundle_off = true; /* gone from the catalog */
        return 0;
    }
    a->bundle_off = b->status == ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
    for (size_t i = 0; i < n; i++) {
        a->bundle_off |= items[i]->status == ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
        protobuf_c_message_free_unpacked(&items[i]->base, NULL);
    }
    free(items);
    protobuf_c_message_free_unpacked(&b->base, NULL);
    return 0;
}

/* Decides a waiting row again with what it has now; stores and records. */
static int s_redecide(s_action_t *a, zw_intake_row_t *row, const zw_intake_mat_t *now, size_t n_now,
                      zw_err_t *err)
{
    Zwfw__V1__Item *item = NULL;
    if (s_item(&a->tx, row, &item, err) != 0)
        return -1;
    if (a->bundle_off) /* as at submission: the bundle is not accepted as a whole */
        item->status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
    zw_intake_have_t have;
    zw_intake_decision_t d;
    int rc = zw_intake_gather(&a->tx, row, item, now, n_now, true, &have, err);
    if (rc == 0) {
        rc = zw_intake_decide_row(&a->tx, row, item, &have, &d, err);
        if (rc == 0)
            rc = s_add_materials(a, row, have.reused, have.n_reused, err);
        if (rc == 0)
            rc = zw_intake_store_app_update(a->tx.ctx->db, row, err);
        if (rc == 0)
            rc = zw_intake_decide_record(&a->tx, row, item, &d, err);
        zw_intake_have_free(&have);
    }
    protobuf_c_message_free_unpacked(&item->base, NULL);
    return rc;
}

static int s_not_now(const zw_intake_row_t *row, const char *what, zw_err_t *err)
{
    return zw_err_setd(err, ZW_FAILED_PRECONDITION, "state",
                       "application %s is in state %d: it cannot be %s now", row->receipt,
                       row->state, what);
}

/* Ends a locked row in final `state` now, with the notice (kind, reason)
 * that says so, and stores it; the caller records the change. */
static int s_end(s_action_t *a, zw_intake_row_t *row, int state, int kind, const char *reason,
                 zw_err_t *err)
{
    row->state = state;
    row->updated_at_us = a->tx.now_us;
    zw_intake_notice_in_t in = {.kind = kind, .reason = reason, .issued_at_us = a->tx.now_us};
    if (zw_intake_notice_store(row, &in, err) != 0 ||
        zw_intake_store_app_update(a->tx.ctx->db, row, err) != 0)
        return -1;
    return 0;
}

/* ---- supplement ------------------------------------------------------------------ */

static bool s_listed(char *const *list, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], code) == 0)
            return true;
    return false;
}

/* Materials after acceptance: they fulfil 容缺 commitments, and go to
 * workflow as 补正 materials. */
static int s_supply_after(s_action_t *a, zw_intake_row_t *row, zw_intake_mat_t *mine, size_t n,
                          zw_err_t *err)
{
    const char **left = calloc(row->n_waived ? row->n_waived : 1, sizeof(char *));
    if (!left)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    size_t n_left = 0;
    for (size_t i = 0; i < row->n_waived; i++) {
        bool given = false;
        for (size_t j = 0; j < n && !given; j++)
            given = strcmp(mine[j].code, row->waived[i]) == 0;
        if (!given)
            left[n_left++] = row->waived[i];
    }
    bool had_waiver = row->n_waived > 0;
    int rc = zw_intake_row_set_list(&row->waived, &row->n_waived, left, n_left) == 0
                 ? 0
                 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    free(left);
    if (rc != 0)
        return -1;
    bool fulfilled = had_waiver && row->n_waived == 0;
    if (fulfilled)
        row->has_supply_by = false;
    row->updated_at_us = a->tx.now_us;
    zw_intake_notice_in_t in = {
        .kind = row->n_waived ? ZWFW__V1__NOTICE_KIND__NOTICE_KIND_WAIVER
                              : ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ACCEPTANCE,
        .reason = row->n_waived ? "已收到部分容缺材料，请在期限内补齐其余材料 (some 容缺 "
                                  "materials received; bring the rest by the date shown)"
                                : "补充材料已收到 (the materials were received)",
        .issued_at_us = a->tx.now_us};
    Zwfw__V1__MissingMaterial **missing = NULL;
    size_t n_missing = 0;
    Zwfw__V1__Notice *old = zw_intake_notice_unhex(row->notice);
    if (row->n_waived && old && old->n_missing &&
        (missing = calloc(old->n_missing, sizeof *missing)))
        for (size_t i = 0; i < old->n_missing; i++)
            if (s_listed(row->waived, row->n_waived, old->missing[i]->code))
                missing[n_missing++] = old->missing[i];
    in.missing = missing;
    in.n_missing = n_missing;
    rc = zw_intake_notice_store(row, &in, err);
    free(missing);
    if (old)
        protobuf_c_message_free_unpacked(&old->base, NULL);
    if (rc == 0)
        rc = s_add_materials(a, row, mine, n, err);
    if (rc == 0)
        rc = zw_intake_store_app_update(a->tx.ctx->db, row, err);
    if (rc == 0 && zw_intake_state_in_process(row->state))
        rc = zw_intake_store_forward(a->tx.ctx->db, row->receipt, "supplement", "", a->tx.actor,
                                     a->tx.now_us, err);
    if (rc != 0)
        return -1;
    Zwfw__V1__ApplicationMaterialsSupplied ev = ZWFW__V1__APPLICATION_MATERIALS_SUPPLIED__INIT;
    Zwfw__V1__Timestamp at;
    Zwfw__V1__MaterialRef *refs = calloc(n ? n : 1, sizeof *refs);
    Zwfw__V1__MaterialRef **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    if (!refs || !ptrs) {
        free(refs);
        free(ptrs);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        zwfw__v1__material_ref__init(&refs[i]);
        refs[i].material_code = mine[i].code;
        refs[i].name = mine[i].name;
        refs[i].media_type = mine[i].media_type;
        refs[i].sha256 = mine[i].sha256;
        refs[i].size = mine[i].size;
        refs[i].uri = mine[i].uri;
        refs[i].original = mine[i].original;
        refs[i].copies = mine[i].copies;
        ptrs[i] = &refs[i];
    }
    ev.receipt_number = row->receipt;
    ev.state = row->state;
    ev.at = zw_intake_ts(&at, a->tx.now_us);
    ev.materials = ptrs;
    ev.n_materials = n;
    ev.after_acceptance = true;
    ev.waiver_fulfilled = fulfilled;
    rc = zw_intake_emit(&a->tx, row, "application.materials", &ev.base, err);
    free(refs);
    free(ptrs);
    return rc;
}

/* The request's materials that concern the row's item (all for a row
 * without an item). Borrowed strings; free the array. */
static zw_intake_mat_t *s_mine(s_action_t *a, const zw_intake_row_t *row, size_t *n,
                               Zwfw__V1__Item **item_out, zw_err_t *err)
{
    *n = 0;
    *item_out = NULL;
    zw_intake_mat_t *out = calloc(a->n_mats ? a->n_mats : 1, sizeof *out);
    if (!out) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    Zwfw__V1__Item *item = NULL;
    if (row->item_code[0] && zw_catalog_item_version(a->tx.ctx->db, row->item_code,
                                                     row->item_version, &item, err) != 0) {
        free(out);
        return NULL;
    }
    for (size_t i = 0; i < a->n_mats; i++) {
        const char *for_item = a->mats[i].for_item;
        if (row->item_code[0] && for_item && for_item[0] && strcmp(for_item, row->item_code) != 0)
            continue; /* handed in for another item of the bundle */
        bool wanted = !item || s_listed(row->waived, row->n_waived, a->mats[i].code);
        for (size_t j = 0; item && j < item->n_materials && !wanted; j++)
            wanted = strcmp(item->materials[j]->code, a->mats[i].code) == 0;
        if (wanted)
            out[(*n)++] = a->mats[i];
    }
    *item_out = item;
    return out;
}

static int s_apply_supplement(s_action_t *a, zw_intake_row_t *row, zw_err_t *err)
{
    bool deemed;
    if (s_deemed(&a->tx, row, &deemed, err) != 0)
        return -1;
    size_t n = 0;
    int s = row->state;
    bool waiver_open = row->n_waived > 0 && s != S_STATE(WITHDRAWN_UNACCEPTED) &&
                       s != S_STATE(NOT_ACCEPTED) && s != S_STATE(REFUSED) &&
                       s != S_STATE(WITHDRAWN) && s != S_STATE(REVOKED);
    if (s != S_STATE(RECEIVED) && !zw_intake_state_in_process(s) && !waiver_open)
        return s_not_now(row, "supplemented", err);
    Zwfw__V1__Item *item = NULL;
    zw_intake_mat_t *mine = s_mine(a, row, &n, &item, err);
    if (!mine)
        return -1;
    int rc;
    if (n == 0)
        rc = zw_err_setd(err, ZW_FAILED_PRECONDITION, "materials",
                         "none of the materials concerns application %s", row->receipt);
    else if (s == S_STATE(RECEIVED))
        rc = s_add_materials(a, row, mine, n, err) == 0 ? s_redecide(a, row, mine, 0, err) : -1;
    else
        rc = s_supply_after(a, row, mine, n, err);
    if (rc == 0)
        rc = zw_intake_file_materials(&a->tx, row, item, mine, n, err);
    free(mine);
    if (item)
        protobuf_c_message_free_unpacked(&item->base, NULL);
    return rc;
}

/* ---- review, refuse, withdraw ----------------------------------------------------- */

static int s_apply_review(s_action_t *a, zw_intake_row_t *row, zw_err_t *err)
{
    bool deemed;
    if (s_deemed(&a->tx, row, &deemed, err) != 0)
        return -1;
    if (deemed)
        return 0;
    if (row->state != S_STATE(RECEIVED))
        return s_not_now(row, "reviewed", err);
    return s_redecide(a, row, NULL, 0, err);
}

static int s_apply_refuse(s_action_t *a, zw_intake_row_t *row, zw_err_t *err)
{
    bool deemed;
    if (s_deemed(&a->tx, row, &deemed, err) != 0)
        return -1;
    if (row->state != S_STATE(RECEIVED))
        return s_not_now(row, "refused", err);
    if (row->notice_given_at_us < 0)
        row->notice_given_at_us = a->tx.now_us;
    if (s_end(a, row, S_STATE(REFUSED), ZWFW__V1__NOTICE_KIND__NOTICE_KIND_REFUSAL, a->reason,
              err) != 0)
        return -1;
    Zwfw__V1__ApplicationRefused ev = ZWFW__V1__APPLICATION_REFUSED__INIT;
    Zwfw__V1__Timestamp at;
    ev.receipt_number = row->receipt;
    ev.state = S_STATE(REFUSED);
    ev.at = zw_intake_ts(&at, a->tx.now_us);
    ev.item_code = row->item_code;
    ev.reason = (char *) a->reason;
    ev.parent_receipt = row->parent;
    return zw_intake_record(&a->tx, row, S_STATE(REFUSED), a->reason, &ev.base, err);
}

static int s_apply_withdraw(s_action_t *a, zw_intake_row_t *row, zw_err_t *err)
{
    /* accepted already if the 5 working days passed without a notice: the
     * withdrawal then goes to the deciding department */
    bool deemed;
    if (s_deemed(&a->tx, row, &deemed, err) != 0)
        return -1;
    Zwfw__V1__Timestamp at;
    const char *reason = a->reason && *a->reason ? a->reason
                                                 : "申请人撤回 (withdrawn by the "
                                                   "applicant)";
    row->updated_at_us = a->tx.now_us;
    if (row->state == S_STATE(RECEIVED)) {
        if (s_end(a, row, S_STATE(WITHDRAWN_UNACCEPTED),
                  ZWFW__V1__NOTICE_KIND__NOTICE_KIND_WITHDRAWAL, reason, err) != 0)
            return -1;
        Zwfw__V1__ApplicationWithdrawn ev = ZWFW__V1__APPLICATION_WITHDRAWN__INIT;
        ev.receipt_number = row->receipt;
        ev.state = S_STATE(WITHDRAWN_UNACCEPTED);
        ev.at = zw_intake_ts(&at, a->tx.now_us);
        ev.reason = (char *) reason;
        ev.parent_receipt = row->parent;
        return zw_intake_record(&a->tx, row, S_STATE(WITHDRAWN_UNACCEPTED), reason, &ev.base, err);
    }
    if (!zw_intake_state_in_process(row->state))
        return s_not_now(row, "withdrawn", err);
    if (row->withdrawal_requested)
        return 0; /* asked before: workflow has it */
    /* After acceptance workflow decides (撤回, state 14); intake records the
     * request and passes it on. */
    row->withdrawal_requested = true;
    zw_intake_notice_in_t in = {.kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_WITHDRAWAL,
                                .reason =
                                    "撤回申请已转审批部门 (the request to withdraw was passed "
                                    "to the deciding department)",
                                .issued_at_us = a->tx.now_us};
    if (zw_intake_notice_store(row, &in, err) != 0 ||
        zw_intake_store_app_update(a->tx.ctx->db, row, err) != 0 ||
        zw_intake_store_forward(a->tx.ctx->db, row->receipt, "withdraw", reason, a->tx.actor,
                                a->tx.now_us, err) != 0)
        return -1;
    Zwfw__V1__ApplicationWithdrawalRequested ev = ZWFW__V1__APPLICATION_WITHDRAWAL_REQUESTED__INIT;
    ev.receipt_number = row->receipt;
    ev.state = row->state;
    ev.at = zw_intake_ts(&at, a->tx.now_us);
    ev.reason = (char *) reason;
    ev.actor = (char *) a->tx.actor;
    return zw_intake_emit(&a->tx, row, "application.withdrawal_requested", &ev.base, err);
}

/* ---- the driver ----------------------------------------------------------------------- */

/* Re-derives the parent of a changed child (parent locked before). */
static int s_parent_refresh(s_action_t *a, zw_intake_row_t *parent, zw_err_t *err)
{
    zw_intake_row_t *kids = NULL;
    size_t n = 0;
    if (zw_intake_store_children(a->tx.ctx->db, parent->receipt, false, &kids, &n, err) != 0)
        return -1;
    int rc = zw_intake_parent_notice(&a->tx, parent, kids, n, 0, NULL, err);
    if (rc == 0)
        rc = zw_intake_parent_update(&a->tx, parent, kids, n, "由各事项状态得出 (from its items)",
                                     err);
    zw_intake_rows_free(kids, n);
    return rc;
}

/* The request on a bundle parent: each child it applies to, then the
 * parent. FAILED_PRECONDITION only when it applies to none. */
/* Materials handed in name codes of the items as they were at submission
 * (zw_intake_bundle_refs_check): a bundle's children's items, or (bundle
 * NULL) the one row's item. */
static int s_refs_check(s_action_t *a, const zw_intake_row_t *kids, size_t n, const char *bundle,
                        zw_err_t *err)
{
    if (a->n_mats == 0)
        return 0;
    Zwfw__V1__Item **items = calloc(n ? n : 1, sizeof *items);
    int rc = items ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    size_t got = 0;
    for (size_t k = 0; rc == 0 && k < n; k++, got++)
        rc = zw_catalog_item_version(a->tx.ctx->db, kids[k].item_code, kids[k].item_version,
                                     &items[k], err);
    if (rc == 0)
        rc = zw_intake_mats_refs_check(a->mats, a->n_mats, items, n, bundle, err);
    for (size_t k = 0; items && k < got; k++)
        if (items[k])
            protobuf_c_message_free_unpacked(&items[k]->base, NULL);
    free(items);
    return rc;
}

static int s_on_parent(s_action_t *a, zw_intake_row_t *parent, zw_err_t *err)
{
    zw_intake_row_t *kids = NULL;
    size_t n = 0, applied = 0;
    if (zw_intake_store_children(a->tx.ctx->db, parent->receipt, true, &kids, &n, err) != 0)
        return -1;
    if (s_refs_check(a, kids, n, parent->bundle_code, err) != 0) {
        zw_intake_rows_free(kids, n);
        return -1;
    }
    int rc = 0;
    zw_err_t first = {0};
    for (size_t i = 0; rc == 0 && i < n; i++) {
        zw_err_t e = {0};
        if (a->apply(a, &kids[i], &e) == 0)
            applied++;
        else if (e.code == ZW_FAILED_PRECONDITION) {
            if (first.code == ZW_OK)
                first = e;
        } else {
            if (err)
                *err = e;
            rc = -1;
        }
    }
    zw_intake_rows_free(kids, n);
    if (rc == 0 && applied == 0) {
        if (err)
            *err = first;
        return -1;
    }
    if (rc == 0 && a->n_mats)
        rc = s_add_materials(a, parent, a->mats, a->n_mats, err);
    if (rc == 0 && a->parent_kind) {
        /* the parent's own notice names what happened to the bundle */
        if (zw_intake_store_children(a->tx.ctx->db, parent->receipt, false, &kids, &n, err) != 0)
            return -1;
        rc = zw_intake_parent_notice(&a->tx, parent, kids, n, a->parent_kind, a->reason, err);
        if (rc == 0)
            rc = zw_intake_parent_update(&a->tx, parent, kids, n,
                                         "由各事项状态得出 (from its items)", err);
        zw_intake_rows_free(kids, n);
        return rc;
    }
    return rc == 0 ? s_parent_refresh(a, parent, err) : -1;
}

static int s_action_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_action_t *a = arg;
    free(a->notice_hex);
    a->notice_hex = NULL;
    a->replayed = false;
    const char *caller = a->req->caller->key_id;
    bool claimed = false;
    if (zw_intake_store_claim(db, caller, a->key, a->kind, a->digest, a->tx.now_us, &claimed,
                              err) != 0)
        return -1;
    if (!claimed) {
        zw_intake_request_t r;
        if (zw_intake_store_request(db, caller, a->key, &r, err) != 0)
            return -1;
        int rc = 0;
        if (strcmp(r.kind, a->kind) != 0 || strcmp(r.digest, a->digest) != 0)
            rc = zw_err_setd(err, ZW_ALREADY_EXISTS, "idempotency_key",
                             "idempotency key %s was already used for another request", a->key);
        else if (!(a->notice_hex = strdup(r.notice)))
            rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        snprintf(a->answered, sizeof a->answered, "%s", r.receipt);
        a->replayed = true;
        zw_intake_request_free(&r);
        return rc;
    }
    /* Lock the parent first, whoever the request names. */
    zw_intake_row_t row, parent;
    bool has_parent = false;
    if (zw_intake_store_app_get(db, a->receipt, false, &row, err) != 0)
        return -1;
    if (row.parent[0]) {
        if (zw_intake_store_app_get(db, row.parent, true, &parent, err) != 0) {
            zw_intake_row_free(&row);
            return -1;
        }
        has_parent = true;
    }
    zw_intake_row_free(&row);
    int rc = zw_intake_store_app_get(db, a->receipt, true, &row, err);
    if (rc != 0) {
        if (has_parent)
            zw_intake_row_free(&parent);
        return -1;
    }
    zw_access_target_t target;
    zw_intake_target(&row, &target);
    const char *bundle = row.bundle_code[0] && !row.parent[0] ? row.bundle_code
                         : has_parent                         ? parent.bundle_code
                                                              : "";
    if (zw_access_check(a->req->caller, a->access, &target, err) != 0)
        rc = -1;
    else if ((rc = s_bundle_off(a, bundle, err)) != 0)
        ;
    else if (row.bundle_code[0] && !row.parent[0])
        rc = s_on_parent(a, &row, err);
    else if ((rc = s_refs_check(a, &row, 1, NULL, err)) != 0)
        ;
    else if ((rc = a->apply(a, &row, err)) == 0 && has_parent)
        rc = s_parent_refresh(a, &parent, err);
    if (rc == 0 && !(a->notice_hex = strdup(row.notice)))
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (rc == 0)
        rc = zw_intake_store_request_done(db, caller, a->key, row.receipt, a->notice_hex, -1, err);
    snprintf(a->answered, sizeof a->answered, "%s", row.receipt);
    zw_intake_row_free(&row);
    if (has_parent)
        zw_intake_row_free(&parent);
    return rc;
}

static void s_run(s_action_t *a, zw_reply_t *reply)
{
    zw_err_t err = {0};
    zw_intake_ctx_t *ctx = a->tx.ctx;
    if (zw_access_check(a->req->caller, a->access, NULL, &err) != 0 ||
        zw_intake_check_key_actor(a->key, a->tx.actor, &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    if (!zw_intake_receipt_ok(a->receipt)) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT, "receipt_number: not a receipt number");
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "receipt_number");
        return;
    }
    if (a->reason &&
        !zw_intake_text_ok(a->reason, false, ZW_INTAKE_MAX_REASON, ZW_INTAKE_MAX_REASON * 3)) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT, "reason: at most 1000 characters of text");
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "reason");
        return;
    }
    uint8_t digest[ZW_PII_HASH_BYTES];
    zw_pii_hash_bytes(zw_intake_settings()->pii, "request", a->req->data, a->req->len, digest);
    a->digest[0] = '\\';
    a->digest[1] = 'x';
    zw_pii_hex(digest, sizeof digest, a->digest + 2);
    if (zw_clock_now(ctx->clock, &a->tx.now_us, &err) != 0 ||
        zw_db_tx(ctx->db, false, s_action_tx, a, &err) != 0) {
        zw_reply_err(reply, &err);
        free(a->notice_hex);
        return;
    }
    Zwfw__V1__ApplicationReply out = ZWFW__V1__APPLICATION_REPLY__INIT;
    out.application = zw_intake_view_load(ctx->db, a->answered,
                                          zw_intake_may_see_pii(a->req->caller), true, &err);
    out.notice = zw_intake_notice_unhex(a->notice_hex);
    if (out.application)
        zw_reply_message(reply, &out.base);
    else
        zw_reply_err(reply, &err);
    if (out.application)
        protobuf_c_message_free_unpacked(&out.application->base, NULL);
    if (out.notice)
        protobuf_c_message_free_unpacked(&out.notice->base, NULL);
    free(a->notice_hex);
}

/* ---- the requests ---------------------------------------------------------------------- */

/* One request type: every one names the application by receipt_number,
 * with idempotency_key and actor; some carry a reason. */
typedef struct {
    const ProtobufCMessageDescriptor *desc;
    zw_access_action_t access;
    const char *kind; /* idempotency record kind */
    s_apply_fn apply;
    int parent_kind;
    /* a decision whose document must state its reason (不予受理决定书,
     * 撤销决定书): without one, INVALID_ARGUMENT and nothing runs; NULL
     * when a reason is optional or not asked for */
    const char *document;
    /* checks and takes what only this type carries into a (NULL: none) */
    int (*take)(s_action_t *a, const ProtobufCMessage *m, zw_err_t *err);
} s_request_t;

/* The string field `name` of m; NULL when its type has none. */
static const char *s_text(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    if (!f || f->type != PROTOBUF_C_TYPE_STRING || f->label == PROTOBUF_C_LABEL_REPEATED)
        return NULL;
    return *(char *const *) ((const char *) m + f->offset);
}

/* MaterialRef.item_code, when given, is an item code (as at submission). */
static bool s_item_codes_bad(Zwfw__V1__MaterialRef *const *refs, size_t n, zw_err_t *err)
{
    for (size_t i = 0; i < n; i++)
        if (refs[i]->item_code[0] && !zw_intake_token_ok(refs[i]->item_code, ZW_INTAKE_MAX_CODE)) {
            char field[48];
            snprintf(field, sizeof field, "materials[%zu].item_code", i);
            zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "not an item code");
            return true;
        }
    return false;
}

/* SupplementMaterials: the materials handed in (strings borrowed from the
 * request; their time is known only once the clock is read, in the body). */
static int s_take_materials(s_action_t *a, const ProtobufCMessage *msg, zw_err_t *err)
{
    const Zwfw__V1__SupplementMaterials *m = (const Zwfw__V1__SupplementMaterials *) msg;
    if (m->n_materials == 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "materials", "materials: none given");
    if (zw_intake_check_materials(m->materials, m->n_materials, "materials", err) != 0 ||
        s_item_codes_bad(m->materials, m->n_materials, err))
        return -1;
    if (!(a->mats = calloc(m->n_materials, sizeof *a->mats)))
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < m->n_materials; i++) {
        a->mats[i] = zw_intake_mat_of(m->materials[i], 0);
        zw_catalog_norm_code(m->materials[i]->item_code);
    }
    a->n_mats = m->n_materials;
    return 0;
}

static int s_apply_revoke(s_action_t *a, zw_intake_row_t *row, zw_err_t *err)
{
    int before = row->state;
    if (before != S_STATE(APPROVED) && before != S_STATE(APPROVED_WAIVER))
        return s_not_now(row, "revoked (only an approval can be)", err);
    if (row->handling != ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_IMMEDIATE || row->deemed_accepted)
        return zw_err_setd(err, ZW_FAILED_PRECONDITION, "receipt_number",
                           "application %s was decided by its department's process: revoke it "
                           "there (zwfw.workflow Act \"revoke\")",
                           row->receipt);
    if (s_end(a, row, S_STATE(REVOKED), ZWFW__V1__NOTICE_KIND__NOTICE_KIND_REVOCATION, a->reason,
              err) != 0)
        return -1;
    Zwfw__V1__ApplicationStateChanged ev = ZWFW__V1__APPLICATION_STATE_CHANGED__INIT;
    Zwfw__V1__Timestamp at;
    ev.receipt_number = row->receipt;
    ev.state = S_STATE(REVOKED);
    ev.at = zw_intake_ts(&at, a->tx.now_us);
    ev.previous_state = before;
    ev.source = "intake";
    ev.note = (char *) a->reason;
    return zw_intake_record(&a->tx, row, S_STATE(REVOKED), a->reason, &ev.base, err);
}

enum { S_SUPPLEMENT, S_REVIEW, S_REFUSE, S_REVOKE, S_WITHDRAW };

static const s_request_t s_requests[] = {
    [S_SUPPLEMENT] = {&zwfw__v1__supplement_materials__descriptor, ZW_ACT_SUPPLEMENT, "supplement",
                      s_apply_supplement, 0, NULL, s_take_materials},
    [S_REVIEW] = {&zwfw__v1__review_application__descriptor, ZW_ACT_SUPPLEMENT, "review",
                  s_apply_review, 0, NULL, NULL},
    [S_REFUSE] = {&zwfw__v1__refuse_application__descriptor, ZW_ACT_SUPPLEMENT, "refuse",
                  s_apply_refuse, ZWFW__V1__NOTICE_KIND__NOTICE_KIND_REFUSAL, "不予受理决定书",
                  NULL},
    [S_REVOKE] = {&zwfw__v1__revoke_application__descriptor, ZW_ACT_FINAL_DECISION, "revoke",
                  s_apply_revoke, 0, "撤销决定书", NULL},
    [S_WITHDRAW] = {&zwfw__v1__withdraw_application__descriptor, ZW_ACT_WITHDRAW, "withdraw",
                    s_apply_withdraw, ZWFW__V1__NOTICE_KIND__NOTICE_KIND_WITHDRAWAL, NULL, NULL},
};

static void s_handle(const s_request_t *t, zw_intake_ctx_t *ctx, const zw_request_t *req,
                     zw_reply_t *reply)
{
    zw_err_t err;
    ProtobufCMessage *m = zw_request_unpack(req, t->desc, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    s_action_t a = {.tx = {.ctx = ctx, .caller = req->caller, .actor = s_text(m, "actor")},
                    .req = req,
                    .access = t->access,
                    .kind = t->kind,
                    .key = s_text(m, "idempotency_key"),
                    .receipt = s_text(m, "receipt_number"),
                    .reason = s_text(m, "reason"),
                    .apply = t->apply,
                    .parent_kind = t->parent_kind};
    if (t->document && zw_validate_text_blank(a.reason)) {
        zw_err_setd(&err, ZW_INVALID_ARGUMENT, "reason",
                    "reason: a %s states its reason; none given", t->document);
        zw_reply_err(reply, &err);
    } else if (t->take && t->take(&a, m, &err) != 0) {
        zw_reply_err(reply, &err);
    } else {
        s_run(&a, reply);
    }
    free(a.mats);
    protobuf_c_message_free_unpacked(m, NULL);
}

void zw_intake_supplement(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    s_handle(&s_requests[S_SUPPLEMENT], ctx, req, reply);
}

void zw_intake_review(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    s_handle(&s_requests[S_REVIEW], ctx, req, reply);
}

void zw_intake_refuse(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    s_handle(&s_requests[S_REFUSE], ctx, req, reply);
}

void zw_intake_revoke(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    s_handle(&s_requests[S_REVOKE], ctx, req, reply);
}

void zw_intake_withdraw(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    s_handle(&s_requests[S_WITHDRAW], ctx, req, reply);
}

/* ---- the 5-working-day rule ---------------------------------------------------------- */

typedef struct {
    zw_intake_tx_t tx;
    const char *receipt;
    bool accepted;
} s_deemed_t;

static int s_deemed_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_deemed_t *d = arg;
    d->accepted = false;
    zw_intake_row_t row, parent;
    if (zw_intake_store_app_get(db, d->receipt, false, &row, err) != 0)
        return -1;
    bool has_parent = row.parent[0] != '\0';
    int rc = has_parent ? zw_intake_store_app_get(db, row.parent, true, &parent, err) : 0;
    zw_intake_row_free(&row);
    if (rc != 0)
        return -1;
    rc = zw_intake_store_app_get(db, d->receipt, true, &row, err);
    if (rc == 0) {
        rc = s_deemed(&d->tx, &row, &d->accepted, err);
        if (rc == 0 && d->accepted && has_parent) {
            s_action_t a = {.tx = d->tx};
            rc = s_parent_refresh(&a, &parent, err);
        }
        zw_intake_row_free(&row);
    }
    if (has_parent)
        zw_intake_row_free(&parent);
    return rc;
}

int zw_intake_deemed_one(zw_intake_ctx_t *ctx, const char *receipt, bool *accepted, zw_err_t *err)
{
    s_deemed_t d = {.tx = {.ctx = ctx, .actor = "zwfw-intake"}, .receipt = receipt};
    *accepted = false;
    if (zw_clock_now(ctx->clock, &d.tx.now_us, err) != 0 ||
        zw_db_tx(ctx->db, false, s_deemed_tx, &d, err) != 0)
        return -1;
    *accepted = d.accepted;
    if (d.accepted)
        zw_logkv(ZW_LOG_INFO, "deemed accepted (no notice within the legal time)", "receipt",
                 receipt, NULL);
    return 0;
}

int zw_intake_sweep(zw_intake_ctx_t *ctx, size_t *accepted, zw_err_t *err)
{
    if (accepted)
        *accepted = 0;
    int64_t now;
    if (zw_clock_now(ctx->clock, &now, err) != 0)
        return -1;
    /* N working days are at least N calendar days: older receipts only */
    int64_t before = now - (int64_t) zw_intake_settings()->notice_workdays * 86400 * ZW_US_PER_SEC;
    char **receipts = NULL;
    size_t n = 0;
    if (zw_intake_store_unnoticed(ctx->db, before, 200, &receipts, &n, err) != 0)
        return -1;
    int rc = 0;
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        bool done = false;
        zw_err_t e;
        if (zw_intake_deemed_one(ctx, receipts[i], &done, &e) != 0) {
            if (failed++ == 0 && err)
                *err = e; /* the first reason; the loop logs one line per sweep */
            rc = -1;
        } else if (done && accepted) {
            (*accepted)++;
        }
    }
    if (failed && err) {
        char more[64];
        snprintf(more, sizeof more, " (%zu applications not checked)", failed);
        size_t len = strlen(err->message);
        snprintf(err->message + len, sizeof err->message - len, "%s", more);
    }
    zw_intake_strings_free(receipts, n);
    return rc;
}
