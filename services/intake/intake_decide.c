/* Applying the acceptance decision (intake_rules.c) to an application row:
 * which materials it has (handed in now, before, or on file), its times
 * and flags for the outcome, its notice, and the record of the change
 * (history, events, audit). Shared by submission, supplement, review and
 * the 5-working-day rule. */
#include "intake_decide.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x

static bool s_has(char *const *list, size_t n, const char *code)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], code) == 0)
            return true;
    return false;
}

static int s_push(char ***list, size_t *n, const char *code)
{
    if (s_has(*list, *n, code))
        return 0;
    char **bigger = realloc(*list, (*n + 1) * sizeof(char *));
    if (!bigger)
        return -1;
    *list = bigger;
    if (!(bigger[*n] = strdup(code)))
        return -1;
    (*n)++;
    return 0;
}

int zw_intake_mats_refs_check(const zw_intake_mat_t *mats, size_t n, Zwfw__V1__Item *const *items,
                              size_t n_items, const char *bundle, zw_err_t *err)
{
    const char **codes = calloc(n ? n : 1, sizeof *codes);
    const char **for_items = calloc(n ? n : 1, sizeof *for_items);
    int rc = codes && for_items ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        codes[i] = mats[i].code;
        for_items[i] = mats[i].for_item;
    }
    if (rc == 0)
        rc = zw_intake_bundle_refs_check(codes, for_items, n, items, n_items, bundle, err);
    free(codes);
    free(for_items);
    return rc;
}

int zw_intake_mat_copy(zw_intake_mat_t *dst, const zw_intake_mat_t *src)
{
    *dst = *src;
    dst->code = strdup(src->code ? src->code : "");
    dst->name = strdup(src->name ? src->name : "");
    dst->media_type = strdup(src->media_type ? src->media_type : "");
    dst->sha256 = strdup(src->sha256 ? src->sha256 : "");
    dst->uri = strdup(src->uri ? src->uri : "");
    return dst->code && dst->name && dst->media_type && dst->sha256 && dst->uri ? 0 : -1;
}

void zw_intake_have_free(zw_intake_have_t *h)
{
    zw_intake_strings_free(h->codes, h->n_codes);
    zw_intake_mats_free(h->reused, h->n_reused);
    memset(h, 0, sizeof *h);
}

int zw_intake_gather(zw_intake_tx_t *tx, const zw_intake_row_t *row, const Zwfw__V1__Item *item,
                     const zw_intake_mat_t *now, size_t n_now, bool with_prior,
                     zw_intake_have_t *out, zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    zw_intake_mat_t *prior = NULL, *file = NULL;
    size_t n_prior = 0, n_file = 0;
    int rc = 0;
    if (with_prior && zw_intake_store_materials(tx->ctx->db, row->receipt, &prior, &n_prior, err))
        return -1;
    for (size_t i = 0; rc == 0 && i < n_now; i++)
        rc = s_push(&out->codes, &out->n_codes, now[i].code);
    for (size_t i = 0; rc == 0 && i < n_prior; i++)
        rc = s_push(&out->codes, &out->n_codes, prior[i].code);
    zw_intake_mats_free(prior, n_prior);
    if (rc != 0) {
        zw_intake_have_free(out);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    /* Only look the applicant up when the item needs something not in hand. */
    bool lacking = false;
    for (size_t i = 0; item && i < item->n_materials; i++)
        if (!s_has(out->codes, out->n_codes, item->materials[i]->code) &&
            zw_intake_reusable(item->materials[i]->name))
            lacking = true;
    if (lacking &&
        zw_intake_store_on_file(tx->ctx->db, row->applicant_key, &file, &n_file, err) != 0) {
        zw_intake_have_free(out);
        return -1;
    }
    if (n_file && !(out->reused = calloc(n_file, sizeof *out->reused)))
        rc = -1;
    for (size_t i = 0; rc == 0 && item && i < item->n_materials; i++) {
        const Zwfw__V1__ItemMaterial *im = item->materials[i];
        if (s_has(out->codes, out->n_codes, im->code) || !zw_intake_reusable(im->name))
            continue;
        for (size_t j = 0; j < n_file; j++) {
            if (strcmp(file[j].code, im->name) != 0) /* on file by kind of document */
                continue;
            zw_intake_mat_t *m = &out->reused[out->n_reused];
            rc = zw_intake_mat_copy(m, &file[j]);
            out->n_reused++;
            if (rc == 0 && zw_intake_row_set(&m->code, im->code) != 0)
                rc = -1;
            m->reused = true;
            m->added_at_us = tx->now_us;
            if (rc == 0)
                rc = s_push(&out->codes, &out->n_codes, im->code);
            break;
        }
    }
    zw_intake_mats_free(file, n_file);
    if (rc != 0) {
        zw_intake_have_free(out);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    return 0;
}

bool zw_intake_reusable(const char *name)
{
    const char *list = zw_intake_settings()->reuse_exclude;
    if (!name || !*name)
        return false;
    /* a comma-separated list of name fragments: per-application forms */
    while (*list) {
        const char *end = strchr(list, ',');
        size_t len = end ? (size_t) (end - list) : strlen(list);
        if (len && memmem(name, strlen(name), list, len))
            return false;
        list += len + (end ? 1 : 0);
    }
    return true;
}

int zw_intake_file_materials(zw_intake_tx_t *tx, const zw_intake_row_t *row,
                             const Zwfw__V1__Item *item, const zw_intake_mat_t *mine, size_t n,
                             zw_err_t *err)
{
    if (!item || n == 0)
        return 0;
    zw_intake_mat_t *keep = calloc(n, sizeof *keep);
    const char **kinds = calloc(n, sizeof *kinds);
    size_t k = 0;
    if (!keep || !kinds) {
        free(keep);
        free(kinds);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    /* newest first, so a later reference of the same kind wins */
    for (size_t i = n; i-- > 0;) {
        const char *kind = NULL;
        for (size_t j = 0; j < item->n_materials && !kind; j++)
            if (strcmp(item->materials[j]->code, mine[i].code) == 0)
                kind = item->materials[j]->name;
        if (!kind || !zw_intake_reusable(kind))
            continue;
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = strcmp(kinds[j], kind) == 0;
        if (seen)
            continue;
        kinds[k] = kind;
        keep[k++] = mine[i];
    }
    int rc = zw_intake_store_on_file_put(tx->ctx->db, row->applicant_key, row->receipt, kinds, keep,
                                         k, tx->now_us, err);
    free(keep);
    free(kinds);
    return rc;
}

/* ---- notices -------------------------------------------------------------------- */

int zw_intake_missing_build(const Zwfw__V1__Item *item, const zw_mat_status_t *status,
                            Zwfw__V1__MissingMaterial ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t count = 0;
    for (size_t i = 0; i < item->n_materials; i++)
        count += status[i] == ZW_MAT_MISSING || status[i] == ZW_MAT_WAIVED;
    if (!count)
        return 0;
    Zwfw__V1__MissingMaterial **v = calloc(count, sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < item->n_materials; i++) {
        if (status[i] != ZW_MAT_MISSING && status[i] != ZW_MAT_WAIVED)
            continue;
        Zwfw__V1__MissingMaterial *m = malloc(sizeof *m);
        if (!m) {
            zw_intake_missing_free(v, *n);
            return -1;
        }
        const Zwfw__V1__ItemMaterial *im = item->materials[i];
        zwfw__v1__missing_material__init(m);
        m->code = im->code; /* borrowed from the item */
        m->name = im->name;
        m->waivable = im->waivable;
        m->copies = im->copies;
        m->form = im->form;
        v[(*n)++] = m;
    }
    *out = v;
    return 0;
}

void zw_intake_missing_free(Zwfw__V1__MissingMaterial **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]); /* the strings are borrowed */
    free(v);
}

/* ---- events ---------------------------------------------------------------------- */

static void s_date(Zwfw__V1__Date *d, zw_date_t v)
{
    zwfw__v1__date__init(d);
    d->year = v.year;
    d->month = v.month;
    d->day = v.day;
}

int zw_intake_record_received(zw_intake_tx_t *tx, zw_intake_row_t *row, zw_err_t *err)
{
    Zwfw__V1__ApplicationReceived ev = ZWFW__V1__APPLICATION_RECEIVED__INIT;
    Zwfw__V1__Timestamp at;
    ev.receipt_number = row->receipt;
    ev.state = S_STATE(RECEIVED);
    ev.at = zw_intake_ts(&at, row->received_at_us);
    ev.item_code = row->item_code;
    ev.item_version = row->item_version;
    ev.department_code = row->department_code;
    ev.channel = row->channel;
    ev.window_id = row->window_id;
    ev.applicant_key = (char *) zw_intake_key_hex(row);
    ev.applicant_id_masked = row->applicant_id_masked;
    ev.parent_receipt = row->parent;
    ev.bundle_code = row->bundle_code;
    ev.region = row->region;
    ev.handling = row->handling;
    ev.receive_only = row->receive_only;
    return zw_intake_record(tx, row, S_STATE(RECEIVED),
                            row->receive_only ? "收件 (received only)" : "接件 (received)",
                            &ev.base, err);
}

static int s_record_accepted(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                             const char *note, zw_err_t *err)
{
    Zwfw__V1__ApplicationAccepted ev = ZWFW__V1__APPLICATION_ACCEPTED__INIT;
    Zwfw__V1__Timestamp at, acc, due, sdue;
    Zwfw__V1__Date supply;
    ev.receipt_number = row->receipt;
    ev.state = S_STATE(ACCEPTED);
    ev.at = zw_intake_ts(&at, tx->now_us);
    ev.item_code = row->item_code;
    ev.item_version = row->item_version;
    ev.department_code = row->department_code;
    ev.handling = row->handling;
    ev.accepted_at = zw_intake_ts(&acc, row->accepted_at_us);
    ev.due_at = zw_intake_ts(&due, row->due_at_us);
    ev.statutory_due_at = zw_intake_ts(&sdue, row->statutory_due_at_us);
    ev.promised_limit = item ? item->promised_limit : NULL;
    ev.statutory_limit = item ? item->statutory_limit : NULL;
    ev.waived_materials = row->waived;
    ev.n_waived_materials = row->n_waived;
    if (row->has_supply_by) {
        s_date(&supply, row->supply_by);
        ev.supply_by = &supply;
    }
    ev.deemed_accepted = row->deemed_accepted;
    ev.parent_receipt = row->parent;
    ev.channel = row->channel;
    ev.region = row->region;
    ev.applicant_key = (char *) zw_intake_key_hex(row);
    ev.commitment_notified = row->commitment_notified;
    return zw_intake_record(tx, row, S_STATE(ACCEPTED), note, &ev.base, err);
}

int zw_intake_record_completed(zw_intake_tx_t *tx, zw_intake_row_t *row, int state,
                               bool on_the_spot, const char *note, zw_err_t *err)
{
    Zwfw__V1__ApplicationCompleted ev = ZWFW__V1__APPLICATION_COMPLETED__INIT;
    Zwfw__V1__Timestamp at;
    ev.receipt_number = row->receipt;
    ev.state = state;
    ev.at = zw_intake_ts(&at, tx->now_us);
    ev.item_code = row->item_code;
    ev.item_version = row->item_version;
    ev.department_code = row->department_code;
    ev.channel = row->channel;
    ev.window_id = row->window_id;
    ev.region = row->region;
    ev.parent_receipt = row->parent;
    ev.handling = row->handling;
    ev.on_the_spot = on_the_spot;
    ev.applicant_key = (char *) zw_intake_key_hex(row);
    return zw_intake_record(tx, row, state, note, &ev.base, err);
}

/* ---- the decision on a row -------------------------------------------------------- */

static bool s_immediate(const zw_intake_row_t *row)
{
    return row->handling == ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_IMMEDIATE;
}

/* Sets accepted_at and the due times for acceptance at accepted_us. */
static int s_accept_times(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                          int64_t accepted_us, zw_err_t *err)
{
    int64_t due = -1, sdue = -1;
    if (zw_intake_due(tx->ctx->calendar, &zw_intake_settings()->hours, item,
                      accepted_us / ZW_US_PER_SEC, &due, &sdue, err) != 0)
        return -1;
    row->accepted_at_us = accepted_us;
    row->due_at_us = due >= 0 ? due * ZW_US_PER_SEC : -1;
    row->statutory_due_at_us = sdue >= 0 ? sdue * ZW_US_PER_SEC : -1;
    return 0;
}

int zw_intake_decide_row(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                         const zw_intake_have_t *have, zw_intake_decision_t *d, zw_err_t *err)
{
    size_t n = item->n_materials;
    zw_mat_status_t *status = calloc(n ? n : 1, sizeof *status);
    if (!status)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    zw_intake_case_t c = {
        .item = item,
        .have = (const char *const *) have->codes,
        .n_have = have->n_codes,
        .commitment_signed = row->commitment_signed,
        .committed = (const char *const *) row->committed,
        .n_committed = row->n_committed,
        .notify_commitment = row->notify_commitment,
    };
    zw_intake_decide(&c, status, d);
    if (d->outcome == ZW_INTAKE_NOT_ACCEPTED && row->parent[0])
        /* in a bundle, one cancelled item (or the bundle) refuses them all */
        d->reason = "该一件事已取消或含已取消的事项，不受理 (the bundle, or an item of it, has been "
                    "cancelled)";
    int rc = 0;
    if (d->outcome == ZW_INTAKE_ACCEPTED_WAIVER || d->n_promised > 0) {
        /* 容缺 and 告知承诺 only for applicants not on the credit list */
        zw_intake_credit_t credit;
        if (zw_intake_store_credit_get(tx->ctx->db, row->applicant_key, &credit, err) != 0) {
            free(status);
            return -1;
        }
        if (credit.listed) {
            c.on_credit_list = true;
            zw_intake_decide(&c, status, d);
        }
        zw_intake_credit_free(&credit);
    }
    int64_t now = tx->now_us;
    if (row->notice_given_at_us < 0)
        row->notice_given_at_us = now;
    switch (d->outcome) {
    case ZW_INTAKE_NOT_ACCEPTED:
        row->state = S_STATE(NOT_ACCEPTED);
        break;
    case ZW_INTAKE_INCOMPLETE:
        row->state = S_STATE(RECEIVED);
        break;
    case ZW_INTAKE_ACCEPTED:
    case ZW_INTAKE_COMPLETED:
    case ZW_INTAKE_ACCEPTED_WAIVER:
        rc = s_accept_times(tx, row, item, now, err);
        row->commitment_notified = d->n_promised > 0;
        row->state = S_STATE(ACCEPTED);
        if (d->outcome == ZW_INTAKE_COMPLETED) {
            row->state = S_STATE(APPROVED);
            row->completed_at_us = now;
        }
        if (rc == 0 && d->outcome == ZW_INTAKE_ACCEPTED_WAIVER) {
            const char **codes = calloc(n ? n : 1, sizeof(char *));
            size_t k = 0;
            for (size_t i = 0; codes && i < n; i++)
                if (status[i] == ZW_MAT_WAIVED)
                    codes[k++] = item->materials[i]->code;
            zw_date_t today;
            if (!codes || zw_intake_row_set_list(&row->waived, &row->n_waived, codes, k) != 0)
                rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
            else if (zw_moment_local(now / ZW_US_PER_SEC, &today, NULL, err) != 0 ||
                     zw_calendar_add_workdays(tx->ctx->calendar, today,
                                              zw_intake_settings()->waiver_workdays,
                                              &row->supply_by, err) != 0)
                rc = -1;
            else
                row->has_supply_by = true;
            free(codes);
            if (s_immediate(row)) {
                /* a 即办件 with 容缺 is finished at the counter: 办结(容缺通过) */
                row->state = S_STATE(APPROVED_WAIVER);
                row->completed_at_us = now;
            }
        }
        break;
    }
    Zwfw__V1__MissingMaterial **missing = NULL;
    size_t n_missing = 0;
    if (rc == 0 && zw_intake_missing_build(item, status, &missing, &n_missing) != 0)
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (rc == 0) {
        zw_intake_notice_in_t in = {.kind = zw_intake_notice_kind(d->outcome),
                                    .reason = d->reason,
                                    .missing = missing,
                                    .n_missing = n_missing,
                                    .issued_at_us = now};
        rc = zw_intake_notice_store(row, &in, err);
    }
    zw_intake_missing_free(missing, n_missing);
    free(status);
    row->updated_at_us = now;
    return rc;
}

int zw_intake_decide_record(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                            const zw_intake_decision_t *d, zw_err_t *err)
{
    int final_state = row->state;
    switch (d->outcome) {
    case ZW_INTAKE_NOT_ACCEPTED: {
        Zwfw__V1__ApplicationNotAccepted ev = ZWFW__V1__APPLICATION_NOT_ACCEPTED__INIT;
        Zwfw__V1__Timestamp at;
        ev.receipt_number = row->receipt;
        ev.state = S_STATE(NOT_ACCEPTED);
        ev.at = zw_intake_ts(&at, tx->now_us);
        ev.item_code = row->item_code;
        ev.reason = (char *) d->reason;
        ev.parent_receipt = row->parent;
        return zw_intake_record(tx, row, S_STATE(NOT_ACCEPTED), d->reason, &ev.base, err);
    }
    case ZW_INTAKE_INCOMPLETE: {
        Zwfw__V1__ApplicationMaterialsMissing ev = ZWFW__V1__APPLICATION_MATERIALS_MISSING__INIT;
        Zwfw__V1__Timestamp at;
        Zwfw__V1__Notice *notice = zw_intake_notice_unhex(row->notice);
        char **codes = NULL;
        if (notice && notice->n_missing && (codes = calloc(notice->n_missing, sizeof(char *))))
            for (size_t i = 0; i < notice->n_missing; i++)
                codes[ev.n_missing++] = notice->missing[i]->code;
        ev.receipt_number = row->receipt;
        ev.state = S_STATE(RECEIVED);
        ev.at = zw_intake_ts(&at, tx->now_us);
        ev.missing = codes;
        ev.reason = (char *) d->reason;
        int rc = zw_intake_emit(tx, row, "application.notice", &ev.base, err);
        free(codes);
        if (notice)
            protobuf_c_message_free_unpacked(&notice->base, NULL);
        return rc;
    }
    case ZW_INTAKE_ACCEPTED:
    case ZW_INTAKE_COMPLETED:
    case ZW_INTAKE_ACCEPTED_WAIVER:
        if (s_record_accepted(tx, row, item,
                              d->outcome == ZW_INTAKE_ACCEPTED_WAIVER ? "容缺受理 (accepted, "
                                                                        "materials waived)"
                              : row->commitment_notified ? "告知承诺受理 (accepted on promise)"
                                                         : "受理 (accepted)",
                              err) != 0)
            return -1;
        if (final_state == S_STATE(APPROVED) || final_state == S_STATE(APPROVED_WAIVER))
            return zw_intake_record_completed(tx, row, final_state, true,
                                              "即办件当场办结 (finished at the counter)", err);
        return 0;
    }
    return 0;
}

int zw_intake_deemed_accept(zw_intake_tx_t *tx, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                            zw_err_t *err)
{
    /* Accepted as of the receipt day (行政许可法 §32): the clocks start
     * from receipt, and the record says so. */
    if (s_accept_times(tx, row, item, row->received_at_us, err) != 0)
        return -1;
    row->deemed_accepted = true;
    row->state = S_STATE(ACCEPTED);
    row->updated_at_us = tx->now_us;
    zw_intake_notice_in_t in = {
        .kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ACCEPTANCE,
        .reason = "逾期未告知补正，自收到材料之日起即为受理 (no notice within the legal time: "
                  "accepted as of the day the materials arrived)",
        .issued_at_us = tx->now_us};
    if (zw_intake_notice_store(row, &in, err) != 0 ||
        zw_intake_store_app_update(tx->ctx->db, row, err) != 0)
        return -1;
    return s_record_accepted(tx, row, item, "视为受理 (deemed accepted on the receipt day)", err);
}

/* ---- a bundle parent's notice ------------------------------------------------------- */

/* Whether a child's matter still stands, so that a 容缺 commitment it made
 * binds: not withdrawn before acceptance (2), 不受理 (4), 不予受理 (5),
 * 办结(不通过) (13), 撤回 (14) or 撤销 (15). The supply_overdue listing
 * (intake_store.c) leaves out the same states. */
static bool s_stands(int state)
{
    return state != S_STATE(WITHDRAWN_UNACCEPTED) && state != S_STATE(NOT_ACCEPTED) &&
           state != S_STATE(REFUSED) && state != S_STATE(REJECTED) && state != S_STATE(WITHDRAWN) &&
           state != S_STATE(REVOKED);
}

/* 容缺 materials the child still owes. */
static bool s_owes(const zw_intake_row_t *k)
{
    return k->n_waived > 0 && s_stands(k->state);
}

int zw_intake_parent_notice(zw_intake_tx_t *tx, zw_intake_row_t *parent,
                            const zw_intake_row_t *kids, size_t n, int kind, const char *reason_in,
                            zw_err_t *err)
{
    size_t incomplete = 0, received = 0, not_acc = 0, done = 0, waiver = 0, cap = 0;
    Zwfw__V1__Notice **notes = calloc(n ? n : 1, sizeof *notes);
    if (!notes)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    parent->due_at_us = parent->statutory_due_at_us = -1;
    parent->has_supply_by = false;
    for (size_t i = 0; i < n; i++) {
        const zw_intake_row_t *k = &kids[i];
        notes[i] = zw_intake_notice_unhex(k->notice);
        bool waiting = k->state == S_STATE(RECEIVED);
        bool one_time = notes[i] && notes[i]->kind == ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ONE_TIME;
        incomplete += waiting && one_time;
        received += waiting && !one_time;
        if (waiting && one_time)
            cap += notes[i]->n_missing;
        else if (s_owes(k) && notes[i])
            cap += notes[i]->n_missing; /* the 容缺 materials still to come */
        not_acc += k->state == S_STATE(NOT_ACCEPTED) || k->state == S_STATE(REFUSED) ||
                   k->state == S_STATE(WITHDRAWN_UNACCEPTED);
        waiver += s_owes(k);
        done += k->state == S_STATE(APPROVED) || k->state == S_STATE(APPROVED_WAIVER) ||
                k->state == S_STATE(REVOKED);
        if (k->due_at_us > parent->due_at_us)
            parent->due_at_us = k->due_at_us;
        if (k->statutory_due_at_us > parent->statutory_due_at_us)
            parent->statutory_due_at_us = k->statutory_due_at_us;
        /* The earliest date still owed: the one notice lists every child's
         * 容缺 materials under one date, and a later one would let the
         * applicant miss the first; it moves on as each child's come. */
        if (s_owes(k) && k->has_supply_by &&
            (!parent->has_supply_by || zw_date_cmp(k->supply_by, parent->supply_by) < 0)) {
            parent->supply_by = k->supply_by;
            parent->has_supply_by = true;
        }
    }
    Zwfw__V1__MissingMaterial **missing = calloc(cap ? cap : 1, sizeof *missing);
    size_t n_missing = 0;
    for (size_t i = 0; missing && i < n; i++) {
        bool listed = kids[i].state == S_STATE(RECEIVED) || s_owes(&kids[i]);
        for (size_t j = 0; listed && notes[i] && j < notes[i]->n_missing; j++) {
            bool dup = false;
            for (size_t k = 0; k < n_missing && !dup; k++)
                dup = strcmp(missing[k]->code, notes[i]->missing[j]->code) == 0;
            if (!dup && n_missing < cap)
                missing[n_missing++] = notes[i]->missing[j];
        }
    }
    const char *base = "";
    if (kind) {
        base = reason_in ? reason_in : "";
    } else if (incomplete) {
        kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ONE_TIME;
        base = "材料不齐全，请一次性补齐以下材料 (materials incomplete: bring every material "
               "listed)";
    } else if (received) {
        kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_RECEIVED;
        base = "已收件，待窗口审核材料 (received; a window will check the materials)";
    } else if (not_acc == n) {
        kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_NOT_ACCEPTED;
        base = "该一件事的事项均未受理 (no item of the bundle was accepted)";
        /* one reason for all (a cancelled bundle or item): say it */
        bool same = n > 0 && notes[0] && notes[0]->reason && *notes[0]->reason;
        for (size_t i = 1; same && i < n; i++)
            same = notes[i] && notes[i]->reason && strcmp(notes[i]->reason, notes[0]->reason) == 0;
        if (same)
            base = notes[0]->reason;
    } else if (waiver) {
        kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_WAIVER;
        base = "容缺受理：请在期限内补齐所列材料 (accepted with materials to supply by the date "
               "shown)";
    } else if (done + not_acc == n) {
        kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_COMPLETION;
    } else {
        kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ACCEPTANCE;
    }
    char reason[1024];
    size_t used = (size_t) snprintf(reason, sizeof reason, "%s", base);
    bool first = true;
    for (size_t i = 0; not_acc && not_acc < n && i < n && used < sizeof reason; i++)
        if (kids[i].state == S_STATE(NOT_ACCEPTED) || kids[i].state == S_STATE(REFUSED)) {
            used +=
                (size_t) snprintf(reason + used, sizeof reason - used, "%s%s",
                                  first ? "；未受理 (not accepted): " : ", ", kids[i].item_code);
            first = false;
        }
    first = true;
    for (size_t i = 0; i < n && used < sizeof reason; i++)
        if (kids[i].state == S_STATE(REVOKED)) {
            used += (size_t) snprintf(reason + used, sizeof reason - used, "%s%s",
                                      first ? "；已撤销 (revoked): " : ", ", kids[i].item_code);
            first = false;
        }
    zw_intake_notice_in_t in = {.kind = kind,
                                .reason = reason,
                                .missing = missing,
                                .n_missing = n_missing,
                                .issued_at_us = tx->now_us,
                                .authority = zw_intake_settings()->center,
                                .authority_code = zw_intake_settings()->division};
    int rc = missing ? zw_intake_notice_store(parent, &in, err)
                     : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    free(missing);
    for (size_t i = 0; i < n; i++)
        if (notes[i])
            protobuf_c_message_free_unpacked(&notes[i]->base, NULL);
    free(notes);
    return rc;
}
