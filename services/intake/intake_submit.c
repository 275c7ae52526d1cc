/* SubmitApplication: one application, or a bundle (the parent and one
 * child per item), in one transaction together with its idempotency
 * record, events and audit entries. */
#include "catalog.h"
#include "catalog_rules.h"
#include "intake_batch.h"
#include "intake_decide.h"
#include "item_cache.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x

/* ---- the submission -------------------------------------------------------------- */

typedef struct {
    zw_intake_tx_t tx;
    zw_intake_ctx_t *home; /* the worker thread's context (tx.ctx may be the batcher's) */
    char *applicant;       /* applicant key: submissions of one applicant never share a batch */
    char conflict[400];    /* caller + idempotency key, likewise */
    const zw_request_t *req;
    const Zwfw__V1__SubmitApplication *msg;
    char receipt[ZW_INTAKE_MAX_RECEIPT + 1];
    char digest[2 * ZW_PII_HASH_BYTES + 3];
    /* per attempt */
    zw_intake_mat_t *mats; /* the request's materials (strings borrowed) */
    size_t n_mats;
    char *notice_hex; /* the notice of the answer (the parent's for a bundle) */
    bool replayed;
    /* read (or guessed) for the whole batch by s_batch_begin, dropped by
     * s_batch_end; guessed: the last begin guessed instead of reading */
    bool has_prior, owns_item, guessed;
    zw_intake_request_t prior; /* the key's record when has_prior */
    Zwfw__V1__Item *item;      /* the item, locked FOR SHARE; NULL for a bundle */
    /* what a one-item submission wrote, for the reply without reading back */
    zw_intake_capture_t cap;
    zw_intake_row_t kept;
    bool has_kept;
    zw_intake_mat_t *kept_mats;
    size_t n_kept_mats;
} s_submit_t;

static void s_kept_free(s_submit_t *s)
{
    zw_intake_capture_free(&s->cap);
    if (s->has_kept)
        zw_intake_row_free(&s->kept);
    s->has_kept = false;
    zw_intake_mats_free(s->kept_mats, s->n_kept_mats);
    s->kept_mats = NULL;
    s->n_kept_mats = 0;
}

/* Copies of a then b, in that order (the order they are stored in). */
static int s_mats_keep(s_submit_t *s, const zw_intake_mat_t *a, size_t na, const zw_intake_mat_t *b,
                       size_t nb)
{
    size_t n = na + nb;
    if (n == 0)
        return 0;
    if (!(s->kept_mats = calloc(n, sizeof *s->kept_mats)))
        return -1;
    for (size_t i = 0; i < n; i++) {
        int rc = zw_intake_mat_copy(&s->kept_mats[i], i < na ? &a[i] : &b[i - na]);
        s->n_kept_mats++;
        if (rc != 0)
            return -1;
    }
    return 0;
}

static char *s_sealed(const char *label, const char *text, zw_err_t *err)
{
    uint8_t *sealed = NULL;
    size_t len = 0;
    if (zw_pii_seal(zw_intake_settings()->pii, label, text, &sealed, &len, err) != 0)
        return NULL;
    char *hex = malloc(2 * len + 3);
    if (hex) {
        hex[0] = '\\';
        hex[1] = 'x';
        zw_pii_hex(sealed, len, hex + 2);
    } else {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    free(sealed);
    return hex;
}

/* The applicant key: keyed hash of the ID number (the document type is not
 * part of it, so List finds an applicant by number alone). */
char *zw_intake_applicant_key(const char *id_number)
{
    uint8_t h[ZW_PII_HASH_BYTES];
    zw_pii_hash(zw_intake_settings()->pii, "id", id_number, h);
    char *hex = malloc(2 * sizeof h + 3);
    if (hex) {
        hex[0] = '\\';
        hex[1] = 'x';
        zw_pii_hex(h, sizeof h, hex + 2);
    }
    return hex;
}

static char *s_masked(const char *text, bool phone)
{
    char buf[128];
    return strdup(phone ? zw_mask_phone(text, buf, sizeof buf) : zw_mask_id(text, buf, sizeof buf));
}

/* A new row for the request (state 1, received now). */
static int s_row_new(s_submit_t *s, zw_intake_row_t *r, const char *receipt, const char *parent,
                     const Zwfw__V1__Item *item, const char *bundle_name, zw_err_t *err)
{
    const Zwfw__V1__SubmitApplication *m = s->msg;
    const Zwfw__V1__Applicant *a = m->applicant;
    const Zwfw__V1__Caller *caller = s->req->caller;
    const zw_intake_settings_t *set = zw_intake_settings();
    memset(r, 0, sizeof *r);
    bool agent = a->agent && a->agent->id_number && *a->agent->id_number;
    bool ok = !zw_intake_row_set(&r->receipt, receipt) && !zw_intake_row_set(&r->parent, parent) &&
              !zw_intake_row_set(&r->bundle_code, m->bundle_code) &&
              !zw_intake_row_set(&r->item_code, item ? item->impl_code : "") &&
              !zw_intake_row_set(&r->item_name, item ? item->name : bundle_name) &&
              !zw_intake_row_set(&r->department_code, item ? item->department_code : "") &&
              !zw_intake_row_set(&r->department_name, item ? item->department_name : "") &&
              !zw_intake_row_set(&r->window_id, m->window_id) &&
              !zw_intake_row_set(&r->region, caller->region && *caller->region ? caller->region
                                                                               : set->region) &&
              !zw_intake_row_set(&r->submitter, caller->key_id) &&
              !zw_intake_row_set(&r->applicant_name, a->identity->name) &&
              !zw_intake_row_set(&r->agent_name, agent ? a->agent->name : "") &&
              !zw_intake_row_set(&r->notice, "") &&
              !zw_intake_row_set_list(
                  &r->committed, &r->n_committed,
                  (const char *const *) (m->commitment ? m->commitment->material_codes : NULL),
                  m->commitment ? m->commitment->n_material_codes : 0);
    if (ok) {
        const char *id = a->identity->id_number;
        ok = (r->applicant_id_enc = s_sealed("id", id, err)) &&
             (r->applicant_key = zw_intake_applicant_key(id)) &&
             (r->applicant_id_masked = s_masked(id, false)) &&
             (r->agent_id_enc = agent ? s_sealed("id", a->agent->id_number, err) : strdup("")) &&
             (r->agent_id_masked = agent ? s_masked(a->agent->id_number, false) : strdup("")) &&
             (r->phone_enc = *a->phone ? s_sealed("phone", a->phone, err) : strdup("")) &&
             (r->phone_masked = s_masked(a->phone, true)) &&
             (r->address_enc = *a->address ? s_sealed("address", a->address, err) : strdup(""));
    }
    if (!ok) {
        zw_intake_row_free(r);
        /* sealing reports its own errors; everything else is memory */
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "cannot build the application record");
    }
    r->item_version = item ? item->version : 0;
    r->handling = item ? item->handling : 0;
    r->channel = m->channel;
    r->state = S_STATE(RECEIVED);
    r->applicant_kind = a->kind;
    r->applicant_id_type = a->identity->id_type;
    r->agent_id_type = agent ? a->agent->id_type : 0;
    r->received_at_us = s->tx.now_us;
    r->notice_given_at_us = r->accepted_at_us = r->due_at_us = r->statutory_due_at_us =
        r->completed_at_us = -1;
    r->updated_at_us = s->tx.now_us;
    r->receive_only = m->receive_only;
    r->commitment_signed = m->commitment && m->commitment->signed_;
    r->notify_commitment = m->notify_commitment;
    return 0;
}

/* The request's materials that concern `item` (all when item is NULL):
 * its codes, and only the ones meant for it when they name an item. */
static zw_intake_mat_t *s_mats_for(const s_submit_t *s, const Zwfw__V1__Item *item, size_t *n)
{
    zw_intake_mat_t *out = calloc(s->n_mats ? s->n_mats : 1, sizeof *out);
    *n = 0;
    for (size_t i = 0; out && i < s->n_mats; i++) {
        const char *for_item = s->mats[i].for_item;
        bool wanted = !item;
        if (item && for_item && for_item[0] && strcmp(for_item, item->impl_code) != 0)
            continue;
        for (size_t j = 0; item && j < item->n_materials && !wanted; j++)
            wanted = strcmp(item->materials[j]->code, s->mats[i].code) == 0;
        if (wanted)
            out[(*n)++] = s->mats[i];
    }
    return out;
}

/* One application for one item: decide, insert, record. *d receives the
 * decision (outcome 0 when received only). keep: copy the materials stored
 * into s for the reply. */
static int s_one(s_submit_t *s, zw_intake_row_t *row, const Zwfw__V1__Item *item,
                 zw_intake_decision_t *d, bool keep, zw_err_t *err)
{
    zw_db_t *db = s->tx.ctx->db;
    size_t n_mine = 0;
    zw_intake_mat_t *mine = s_mats_for(s, item, &n_mine);
    zw_intake_have_t have = {0};
    memset(d, 0, sizeof *d);
    int rc = mine ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    bool cancelled = item->status == ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
    bool decide = !s->msg->receive_only || cancelled;
    if (rc == 0)
        rc = zw_intake_gather(&s->tx, row, item, mine, n_mine, false, &have, err);
    if (rc == 0 && decide)
        rc = zw_intake_decide_row(&s->tx, row, item, &have, d, err);
    if (rc == 0 && !decide) {
        zw_intake_notice_in_t in = {
            .kind = ZWFW__V1__NOTICE_KIND__NOTICE_KIND_RECEIVED,
            .reason = "已收件，待窗口审核材料 (received; a window will check the materials)",
            .issued_at_us = s->tx.now_us};
        rc = zw_intake_notice_store(row, &in, err);
    }
    if (rc == 0)
        rc = zw_intake_store_app_insert_mats(db, row, mine, n_mine, err);
    if (rc == 0)
        rc = zw_intake_store_materials_add(db, row->receipt, have.reused, have.n_reused, err);
    if (rc == 0) {
        /* the received step comes first whatever the final state */
        int final_state = row->state;
        rc = zw_intake_record_received(&s->tx, row, err);
        row->state = final_state;
    }
    if (rc == 0 && decide)
        rc = zw_intake_decide_record(&s->tx, row, item, d, err);
    if (rc == 0)
        rc = zw_intake_file_materials(&s->tx, row, item, mine, n_mine, err);
    if (rc == 0 && keep && s_mats_keep(s, mine, n_mine, have.reused, have.n_reused) != 0)
        s->cap.failed = true; /* the reply reads back instead */
    zw_intake_have_free(&have);
    free(mine);
    return rc;
}

/* The catalog names its own fields in NOT_FOUND (impl_code, code); the
 * submitter named the code in item_code or bundle_code, so the detail says
 * that. Returns -1. */
static int s_request_field(zw_err_t *err, const char *catalog_field, const char *field)
{
    if (err && err->code == ZW_NOT_FOUND && strcmp(err->detail, catalog_field) == 0)
        snprintf(err->detail, sizeof err->detail, "%s", field);
    return -1;
}

static int s_submit_item(s_submit_t *s, zw_err_t *err)
{
    Zwfw__V1__Item *item = s->item;
    if (!item && zw_catalog_item_for_update(s->tx.ctx->db, s->msg->item_code, &item, err) != 0)
        return s_request_field(err, "impl_code", "item_code");
    zw_intake_row_t row;
    zw_intake_decision_t d;
    int rc = zw_intake_mats_refs_check(s->mats, s->n_mats, &item, 1, NULL, err);
    if (rc != 0) {
        if (item != s->item)
            protobuf_c_message_free_unpacked(&item->base, NULL);
        return -1;
    }
    rc = s_row_new(s, &row, s->receipt, "", item, NULL, err);
    if (rc == 0) {
        s->tx.capture = &s->cap;
        rc = s_one(s, &row, item, &d, true, err);
        s->tx.capture = NULL;
        if (rc == 0 && !(s->notice_hex = strdup(row.notice)))
            rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        if (rc == 0) {
            s->kept = row; /* the row as stored */
            s->has_kept = true;
        } else {
            zw_intake_row_free(&row);
        }
    }
    if (item != s->item)
        protobuf_c_message_free_unpacked(&item->base, NULL);
    return rc;
}

/* ---- bundles ---------------------------------------------------------------------- */

int zw_intake_parent_update(zw_intake_tx_t *tx, zw_intake_row_t *parent, zw_intake_row_t *kids,
                            size_t n, const char *note, zw_err_t *err)
{
    int *states = calloc(n ? n : 1, sizeof *states);
    if (!states)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    bool accepted = false;
    for (size_t i = 0; i < n; i++) {
        states[i] = kids[i].state;
        accepted |= kids[i].accepted_at_us >= 0;
    }
    int state = zw_intake_parent_state(states, n);
    free(states);
    int before = parent->state;
    if (accepted && parent->accepted_at_us < 0)
        parent->accepted_at_us = tx->now_us;
    /* 办结 (11-13) is completion; withdrawal, 不受理 and refusal are not */
    if (parent->completed_at_us < 0 && state >= S_STATE(APPROVED) && state <= S_STATE(REJECTED))
        parent->completed_at_us = tx->now_us;
    parent->state = state;
    parent->updated_at_us = tx->now_us;
    if (zw_intake_store_app_update(tx->ctx->db, parent, err) != 0)
        return -1;
    if (state == before)
        return 0;
    Zwfw__V1__ApplicationStateChanged ev = ZWFW__V1__APPLICATION_STATE_CHANGED__INIT;
    Zwfw__V1__Timestamp at, due, sdue;
    ev.receipt_number = parent->receipt;
    ev.state = state;
    ev.at = zw_intake_ts(&at, tx->now_us);
    ev.previous_state = before;
    ev.source = "bundle";
    ev.note = (char *) note;
    /* the bundle's due times as GetApplication shows them (its items'
     * latest, zw_intake_parent_notice); unset when it has none */
    ev.due_at = zw_intake_ts(&due, parent->due_at_us);
    ev.statutory_due_at = zw_intake_ts(&sdue, parent->statutory_due_at_us);
    return zw_intake_record(tx, parent, state, note, &ev.base, err);
}

static int s_submit_bundle(s_submit_t *s, zw_err_t *err)
{
    zw_db_t *db = s->tx.ctx->db;
    Zwfw__V1__Bundle *bundle = NULL;
    Zwfw__V1__Item **items = NULL;
    size_t n = 0;
    if (zw_catalog_bundle_for_update(db, s->msg->bundle_code, &bundle, &items, &n, err) != 0)
        return s_request_field(err, "code", "bundle_code");
    zw_intake_row_t parent, *kids = calloc(n ? n : 1, sizeof *kids);
    zw_intake_decision_t *d = calloc(n ? n : 1, sizeof *d);
    size_t made = 0;
    int rc = kids && d ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (rc == 0 && n == 0)
        rc = zw_err_setd(err, ZW_FAILED_PRECONDITION, "bundle_code", "bundle %s has no items",
                         bundle->code);
    if (rc == 0)
        rc = zw_intake_mats_refs_check(s->mats, s->n_mats, items, n, s->msg->bundle_code, err);
    bool parent_made = false;
    if (rc == 0 && (rc = s_row_new(s, &parent, s->receipt, "", NULL, bundle->name, err)) == 0)
        parent_made = true;
    size_t n_all = 0;
    zw_intake_mat_t *all = rc == 0 ? s_mats_for(s, NULL, &n_all) : NULL;
    if (rc == 0)
        rc = zw_intake_store_app_insert(db, &parent, err);
    if (rc == 0)
        rc = zw_intake_store_materials_add(db, parent.receipt, all, n_all, err);
    if (rc == 0)
        rc = zw_intake_record_received(&s->tx, &parent, err);
    /* A bundle with a cancelled item cannot be done in one visit any more:
     * it is not accepted as a whole, as a cancelled bundle is (no item of it
     * is half accepted, and no authority decided anything). */
    bool bundle_cancelled = bundle->status == ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
    for (size_t i = 0; i < n; i++)
        bundle_cancelled |= items[i]->status == ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char receipt[ZW_INTAKE_MAX_RECEIPT + 8];
        if (zw_intake_receipt_child(s->receipt, (int) i + 1, receipt, sizeof receipt) != 0) {
            rc = zw_err_set(err, ZW_INTERNAL, "cannot number bundle child %zu", i + 1);
            break;
        }
        /* a cancelled bundle is refused as a whole: each child as if its item were */
        int saved = items[i]->status;
        if (bundle_cancelled)
            items[i]->status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED;
        rc = s_row_new(s, &kids[i], receipt, s->receipt, items[i], NULL, err);
        if (rc == 0) {
            made++;
            rc = s_one(s, &kids[i], items[i], &d[i], false, err);
        }
        items[i]->status = saved;
    }
    if (rc == 0)
        rc = zw_intake_parent_notice(&s->tx, &parent, kids, made, 0, NULL, err);
    if (rc == 0 && !s->msg->receive_only && parent.notice_given_at_us < 0)
        parent.notice_given_at_us = s->tx.now_us;
    if (rc == 0)
        rc = zw_intake_parent_update(&s->tx, &parent, kids, n, "由各事项状态得出 (from its items)",
                                     err);
    if (rc == 0 && !(s->notice_hex = strdup(parent.notice)))
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    free(all);
    if (parent_made)
        zw_intake_row_free(&parent);
    zw_intake_rows_free(kids, made);
    free(d);
    for (size_t i = 0; i < n; i++)
        protobuf_c_message_free_unpacked(&items[i]->base, NULL);
    free(items);
    protobuf_c_message_free_unpacked(&bundle->base, NULL);
    return rc;
}

/* ---- transaction and reply ----------------------------------------------------------- */

/* A key used before: the same request gets its first answer again. */
static int s_replay(s_submit_t *s, const zw_intake_request_t *r, zw_err_t *err)
{
    if (strcmp(r->kind, "submit") != 0 || strcmp(r->digest, s->digest) != 0)
        return zw_err_setd(err, ZW_ALREADY_EXISTS, "idempotency_key",
                           "idempotency key %s was already used for another request",
                           s->msg->idempotency_key);
    snprintf(s->receipt, sizeof s->receipt, "%s", r->receipt);
    s->replayed = true;
    if (!(s->notice_hex = strdup(r->notice)))
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    return 0;
}

/* The submission's transaction body (a zw_intake_job_t's run). Alone, the
 * key is claimed first, so a concurrent copy waits for this one; in a
 * batch no copy shares the batch, and the record is written with the
 * answer (a concurrent claim elsewhere fails the batch, which then runs
 * each submission alone). */
static int s_submit_run(zw_intake_ctx_t *ctx, void *arg, bool batched, zw_err_t *err)
{
    s_submit_t *s = arg;
    zw_db_t *db = ctx->db;
    s->tx.ctx = ctx;
    free(s->notice_hex);
    s->notice_hex = NULL;
    s->replayed = false;
    s_kept_free(s);
    const char *caller = s->req->caller->key_id;
    const char *key = s->msg->idempotency_key;
    zw_intake_request_t r;
    bool fresh = false;
    if (batched) { /* s_batch_begin read the key's record */
        if (s->has_prior)
            return s_replay(s, &s->prior, err);
    } else {
        if (zw_intake_store_claim(db, caller, key, "submit", s->digest, s->tx.now_us, &fresh,
                                  err) != 0)
            return -1;
        if (!fresh) {
            if (zw_intake_store_request(db, caller, key, &r, err) != 0)
                return -1;
            int rc = s_replay(s, &r, err);
            zw_intake_request_free(&r);
            return rc;
        }
    }
    int rc = s->msg->item_code[0] ? s_submit_item(s, err) : s_submit_bundle(s, err);
    if (rc == 0 && batched)
        rc = zw_intake_store_request_put(db, caller, key, "submit", s->digest, s->tx.now_us,
                                         s->receipt, s->notice_hex, -1, err);
    else if (rc == 0)
        rc = zw_intake_store_request_done(db, caller, key, s->receipt, s->notice_hex, -1, err);
    return rc;
}

/* A batch's reads in two statements: every key's record, and each item
 * once (FOR SHARE, as a lone submission locks it). */
static void s_batch_end(zw_intake_ctx_t *ctx, void *const *args, size_t n)
{
    (void) ctx;
    for (size_t i = 0; i < n; i++) {
        s_submit_t *s = args[i];
        if (s->has_prior)
            zw_intake_request_free(&s->prior);
        if (s->owns_item && s->item)
            protobuf_c_message_free_unpacked(&s->item->base, NULL);
        s->item = NULL;
        s->has_prior = s->owns_item = false;
    }
}

/* Guessed reads. At 1,000 submissions/s a batch is mostly one
 * submission, and its reads (the key's record, the item FOR SHARE) cost a
 * round trip of their own before the writes: a fifth of the batch's time
 * and two wake-ups on each side. Nearly always the key is new and the item
 * is the one the last batch read, so the batch is built on that guess and
 * one statement (intake_batch_check, intake_store.c), sent with the writes
 * and COMMIT in one pipeline, locks the items and proves the guess; when
 * it was wrong the transaction fails with ZW_INTAKE_BATCH_STALE and the
 * batcher runs the batch again at once, reading this time. 1 when the
 * batch cannot be guessed (an item not held), 0 when it was (the check is
 * queued), -1 on error. */
static int s_guess(zw_intake_ctx_t *ctx, void *const *args, size_t n, zw_err_t *err)
{
    const char **callers = calloc(n, sizeof *callers), **keys = calloc(n, sizeof *keys);
    const char **codes = calloc(n, sizeof *codes);
    Zwfw__V1__Item **items = calloc(n, sizeof *items);
    int *versions = calloc(n, sizeof *versions);
    int rc = callers && keys && codes && items && versions
                 ? 0
                 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    size_t n_codes = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s_submit_t *s = args[i];
        callers[i] = s->req->caller->key_id;
        keys[i] = s->msg->idempotency_key;
        size_t j = 0;
        while (j < n_codes && strcmp(codes[j], s->msg->item_code) != 0)
            j++;
        if (j == n_codes) {
            size_t len = 0;
            uint8_t *packed = zw_intake_item_cache_get(s->msg->item_code, &len);
            items[j] = packed ? zwfw__v1__item__unpack(NULL, len, packed) : NULL;
            free(packed);
            if (!items[j]) {
                rc = 1; /* not held: read */
                break;
            }
            codes[j] = s->msg->item_code;
            versions[j] = items[j]->version;
            n_codes++;
            s->owns_item = true; /* the first holder frees it */
        }
        s->item = items[j];
    }
    if (rc == 0)
        rc = zw_intake_store_batch_check(ctx->db, callers, keys, n, codes, versions, n_codes, err);
    for (size_t i = 0; i < n; i++) {
        s_submit_t *s = args[i];
        s->guessed = rc == 0;
        if (rc != 0)
            s->item = NULL, s->owns_item = false;
    }
    for (size_t j = 0; rc != 0 && j < n_codes; j++)
        protobuf_c_message_free_unpacked(&items[j]->base, NULL);
    free(callers);
    free(keys);
    free(codes);
    free(items);
    free(versions);
    return rc;
}

static int s_batch_begin(zw_intake_ctx_t *ctx, void *const *args, size_t n, zw_err_t *err)
{
    /* guess unless this batch is running again after a guess */
    bool again = false;
    for (size_t i = 0; i < n; i++)
        again |= ((s_submit_t *) args[i])->guessed;
    if (!again) {
        int g = s_guess(ctx, args, n, err);
        if (g <= 0)
            return g;
    }
    for (size_t i = 0; i < n; i++)
        ((s_submit_t *) args[i])->guessed = false;
    /* read, and keep what was read for the next batches' guesses */
    const char **callers = calloc(n, sizeof *callers), **keys = calloc(n, sizeof *keys);
    const char **codes = calloc(n, sizeof *codes);
    zw_intake_request_t *found = calloc(n, sizeof *found);
    zw_intake_blob_t *bodies = calloc(n, sizeof *bodies);
    bool *has = calloc(n, sizeof *has);
    int rc = callers && keys && codes && found && bodies && has
                 ? 0
                 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    size_t n_codes = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const s_submit_t *s = args[i];
        callers[i] = s->req->caller->key_id;
        keys[i] = s->msg->idempotency_key;
        bool seen = !s->msg->item_code[0];
        for (size_t j = 0; j < n_codes && !seen; j++)
            seen = strcmp(codes[j], s->msg->item_code) == 0;
        if (!seen)
            codes[n_codes++] = s->msg->item_code;
    }
    if (rc == 0)
        rc = zw_intake_store_batch_reads(ctx->db, callers, keys, n, found, has, codes, n_codes,
                                         bodies, err);
    Zwfw__V1__Item **items = rc == 0 ? calloc(n_codes ? n_codes : 1, sizeof *items) : NULL;
    if (rc == 0 && !items)
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    /* An item not found is that submission's answer, not the batch's: it
     * reads the item again alone and says NOT_FOUND. */
    for (size_t j = 0; rc == 0 && j < n_codes; j++) {
        if (bodies[j].data &&
            !(items[j] = zwfw__v1__item__unpack(NULL, bodies[j].len, bodies[j].data)))
            rc = zw_err_set(err, ZW_DATA_LOSS, "catalog item %s does not decode", codes[j]);
        else if (items[j])
            zw_intake_item_cache_put(codes[j], bodies[j].data, bodies[j].len);
        else
            zw_intake_item_cache_drop(codes[j]);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        s_submit_t *s = args[i];
        s->prior = found[i];
        s->has_prior = has[i];
        has[i] = false; /* handed over */
        for (size_t j = 0; j < n_codes && s->msg->item_code[0]; j++)
            if (items[j] && strcmp(codes[j], s->msg->item_code) == 0) {
                s->item = items[j];
                s->owns_item = true; /* the first holder frees it */
                items[j] = NULL;
            } else if (!items[j] && strcmp(codes[j], s->msg->item_code) == 0) {
                for (size_t k = 0; k < i && !s->item; k++) {
                    const s_submit_t *o = args[k];
                    if (o->item && strcmp(o->msg->item_code, s->msg->item_code) == 0)
                        s->item = o->item;
                }
            }
    }
    for (size_t i = 0; has && i < n; i++)
        if (has[i])
            zw_intake_request_free(&found[i]);
    for (size_t j = 0; items && j < n_codes; j++)
        if (items[j])
            protobuf_c_message_free_unpacked(&items[j]->base, NULL);
    zw_intake_blobs_free(bodies, n_codes);
    free(items);
    free(callers);
    free(keys);
    free(codes);
    free(found);
    free(bodies);
    free(has);
    return rc;
}

static const zw_intake_job_kind_t s_submit_kind = {
    .begin = s_batch_begin, .run = s_submit_run, .end = s_batch_end};

static int s_submit_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_submit_t *s = arg;
    (void) db;
    return s_submit_run(s->home, s, false, err);
}

/* The reply: the application (and children) as the caller may see it, now. */
static void s_reply(s_submit_t *s, zw_reply_t *reply)
{
    zw_err_t err;
    zw_db_t *db = s->tx.ctx->db;
    bool clear = zw_intake_may_see_pii(s->req->caller);
    Zwfw__V1__SubmitApplicationReply out = ZWFW__V1__SUBMIT_APPLICATION_REPLY__INIT;
    out.replayed = s->replayed;
    if (s->has_kept && !s->cap.failed)
        out.application = zw_intake_view_known(&s->kept, s->cap.hist, s->cap.n, s->kept_mats,
                                               s->n_kept_mats, clear, &err);
    else
        out.application = zw_intake_view_load(db, s->receipt, clear, true, &err);
    out.notice = zw_intake_notice_unhex(s->notice_hex);
    if (!out.application) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (out.application->n_children &&
        !(out.children = calloc(out.application->n_children, sizeof *out.children))) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < out.application->n_children; i++) {
        out.children[i] = zw_intake_view_load(db, out.application->children[i], clear, true, &err);
        if (!out.children[i]) {
            zw_reply_err(reply, &err);
            goto done;
        }
        out.n_children++;
    }
    zw_reply_message(reply, &out.base);
done:
    for (size_t i = 0; i < out.n_children; i++)
        protobuf_c_message_free_unpacked(&out.children[i]->base, NULL);
    free(out.children);
    if (out.application)
        protobuf_c_message_free_unpacked(&out.application->base, NULL);
    if (out.notice)
        protobuf_c_message_free_unpacked(&out.notice->base, NULL);
}

void zw_intake_submit(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err = {0};
    if (zw_access_check(req->caller, ZW_ACT_SUBMIT, NULL, &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    Zwfw__V1__SubmitApplication *msg = (Zwfw__V1__SubmitApplication *) zw_request_unpack(
        req, &zwfw__v1__submit_application__descriptor, &err);
    if (!msg) {
        zw_reply_err(reply, &err);
        return;
    }
    /* codes as the catalog stores them, so "500t..." finds "500T..." as
     * GetItem does */
    zw_catalog_norm_code(msg->item_code);
    zw_catalog_norm_code(msg->bundle_code);
    for (size_t i = 0; i < msg->n_materials; i++)
        zw_catalog_norm_code(msg->materials[i]->item_code);
    s_submit_t s = {.tx = {.ctx = ctx, .caller = req->caller, .actor = msg->actor},
                    .home = ctx,
                    .req = req,
                    .msg = msg};
    zw_date_t today;
    if (zw_clock_now(ctx->clock, &s.tx.now_us, &err) != 0 ||
        zw_moment_local(s.tx.now_us / ZW_US_PER_SEC, &today, NULL, &err) != 0 ||
        zw_intake_check_submit(msg, req->caller->role,
                               today.year * 10000 + today.month * 100 + today.day, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    uint8_t digest[ZW_PII_HASH_BYTES];
    zw_pii_hash_bytes(zw_intake_settings()->pii, "request", req->data, req->len, digest);
    s.digest[0] = '\\';
    s.digest[1] = 'x';
    zw_pii_hex(digest, sizeof digest, s.digest + 2);
    if (msg->n_materials && !(s.mats = calloc(msg->n_materials, sizeof *s.mats))) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < msg->n_materials; i++)
        s.mats[i] = zw_intake_mat_of(msg->materials[i], s.tx.now_us);
    s.n_mats = msg->n_materials;
    snprintf(s.conflict, sizeof s.conflict, "%s\x1f%s", req->caller->key_id, msg->idempotency_key);
    if (!(s.applicant = zw_intake_applicant_key(msg->applicant->identity->id_number))) {
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    zw_intake_job_t job = {.kind = &s_submit_kind, .arg = &s, .keys = {s.conflict, s.applicant}};
    int rc = zw_intake_next_receipt(ctx->db, s.tx.now_us, s.receipt, sizeof s.receipt, &err);
    if (rc == 0)
        /* A bundle runs alone: its children read what earlier children
         * wrote (materials on file), which a batch would still hold queued. */
        rc = ctx->batcher && msg->item_code[0] ? zw_intake_batcher_run(ctx->batcher, &job, &err)
                                               : zw_db_tx(ctx->db, false, s_submit_tx, &s, &err);
    s.tx.ctx = ctx;
    if (rc != 0) {
        if (err.code == ZW_INTERNAL || err.code == ZW_UNAVAILABLE || err.code == ZW_ABORTED)
            zw_logkv(ZW_LOG_WARN, "submission failed", "code", zw_code_name(err.code), "reason",
                     err.message, "request_id", req->request_id, NULL);
        zw_reply_err(reply, &err);
        goto done;
    }
    zw_logkv(ZW_LOG_DEBUG, s.replayed ? "submission replayed" : "application submitted", "receipt",
             s.receipt, "request_id", req->request_id, NULL);
    s_reply(&s, reply);
done:
    s_kept_free(&s);
    free(s.applicant);
    free(s.mats);
    free(s.notice_hex);
    protobuf_c_message_free_unpacked(&msg->base, NULL);
}

zw_intake_mat_t zw_intake_mat_of(const Zwfw__V1__MaterialRef *r, int64_t added_at_us)
{
    return (zw_intake_mat_t){.code = r->material_code,
                             .name = r->name,
                             .media_type = r->media_type,
                             .sha256 = r->sha256,
                             .uri = r->uri,
                             .size = r->size,
                             .original = r->original,
                             .copies = r->copies,
                             .added_at_us = added_at_us,
                             .for_item = r->item_code};
}
