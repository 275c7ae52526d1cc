/* zwfw-intake applying zwfw-workflow's events (intake_follow.h). No SQL of
 * its own: the guarded update is zw_intake_store_apply_state, the rest the
 * statements intake already prepares. */
#include "intake_follow.h"

#include "daemon.h"
#include "intake.h"
#include "intake_decide.h"
#include "log.h"
#include "zwfw/v1/intake.pb-c.h"
#include "zwfw/v1/workflow.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_ACTOR "zwfw-workflow"

static const zw_cfg_spec_t s_specs[] = {
    {"workflow_endpoints", ZW_CFG_STRING, "", false,
     "zwfw-workflow's event PUB endpoints, comma list (empty: read its events from the log)"},
    {"workflow_public_key", ZW_CFG_STRING, "", false,
     "zwfw-workflow's public key (file or Z85) when its PUB runs CURVE"},
    {"workflow_quiet_ms", ZW_CFG_INT, "1000", false,
     "read workflow's events from the log after this long with nothing heard"},
};

const zw_cfg_spec_t *zw_intake_follow_settings(size_t *count)
{
    *count = sizeof s_specs / sizeof s_specs[0];
    return s_specs;
}

zw_cfg_spec_t *zw_intake_follow_table(const zw_cfg_spec_t *base, size_t n_base, size_t *count)
{
    return zw_daemon_specs_join(base, n_base, s_specs, sizeof s_specs / sizeof s_specs[0], count);
}

/* After acceptance workflow may move an application to 6-15; anything else
 * (1-5 are intake's own decisions) is a producer bug, not applied. */
static bool s_workflow_state(int state)
{
    return state >= 6 && state <= 15;
}

static int64_t s_us(const Zwfw__V1__Timestamp *ts, int64_t fallback)
{
    return ts ? ts->seconds * 1000000 + ts->nanos / 1000 : fallback;
}

/* What an applicant who gave no reason for a withdrawal is told (as
 * intake says when it decides one itself). */
#define S_WITHDRAWN_DEFAULT "申请人撤回 (withdrawn by the applicant)"

/* The Application* event for a state workflow decided, with its audit
 * entry. 办结 and withdrawal have events of their own, with the decision's
 * reason workflow gave (reason: "" for none); every other state is an
 * ApplicationStateChanged from "workflow". */
static int s_publish(zw_intake_tx_t *tx, zw_intake_row_t *row, int before, const char *note,
                     const char *reason, zw_err_t *err)
{
    Zwfw__V1__Timestamp at;
    int state = row->state;
    if (state >= 11 && state <= 13) {
        Zwfw__V1__ApplicationCompleted ev = ZWFW__V1__APPLICATION_COMPLETED__INIT;
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
        ev.on_the_spot = false;
        ev.applicant_key = (char *) zw_intake_key_hex(row);
        ev.reason = (char *) reason;
        return zw_intake_emit(
            tx, row, state == 13 ? "application.rejected" : "application.approved", &ev.base, err);
    }
    if (state == 14) {
        Zwfw__V1__ApplicationWithdrawn ev = ZWFW__V1__APPLICATION_WITHDRAWN__INIT;
        ev.receipt_number = row->receipt;
        ev.state = state;
        ev.at = zw_intake_ts(&at, tx->now_us);
        ev.reason = (char *) (*reason ? reason : S_WITHDRAWN_DEFAULT);
        ev.parent_receipt = row->parent;
        return zw_intake_emit(tx, row, "application.withdrawn", &ev.base, err);
    }
    /* the due times as the row holds them now (s_apply_due ran first): a
     * pause that ended moved them, and a follower of intake's stream (a
     * cross-region part) learns it only here */
    Zwfw__V1__Timestamp due, sdue;
    Zwfw__V1__ApplicationStateChanged ev = ZWFW__V1__APPLICATION_STATE_CHANGED__INIT;
    ev.receipt_number = row->receipt;
    ev.state = state;
    ev.at = zw_intake_ts(&at, tx->now_us);
    ev.previous_state = before;
    ev.source = "workflow";
    ev.note = (char *) note;
    ev.due_at = zw_intake_ts(&due, row->due_at_us);
    ev.statutory_due_at = zw_intake_ts(&sdue, row->statutory_due_at_us);
    return zw_intake_emit(tx, row, "application.state_from_workflow", &ev.base, err);
}

/* The parent (locked by the caller) re-derived from its children as they
 * now stand, the way intake does after its own actions on a child. */
static int s_parent_refresh(zw_intake_tx_t *tx, zw_intake_row_t *parent, zw_err_t *err)
{
    zw_intake_row_t *kids = NULL;
    size_t n = 0;
    if (zw_intake_store_children(tx->ctx->db, parent->receipt, false, &kids, &n, err) != 0)
        return -1;
    int rc = zw_intake_parent_notice(tx, parent, kids, n, 0, NULL, err);
    if (rc == 0)
        rc = zw_intake_parent_update(tx, parent, kids, n, "由各事项状态得出 (from its items)", err);
    zw_intake_rows_free(kids, n);
    return rc;
}

/* The state of one head applied to its application (rows locked parent
 * first, as intake's own actions lock them); reason is the decision's
 * (ProcessCompleted.reason), "" for none. */
static int s_apply(zw_intake_ctx_t *ctx, const zw_event_t *ev, const char *receipt, int state,
                   int64_t at_us, const char *reason, zw_err_t *err)
{
    zw_db_t *db = ctx->db;
    zw_intake_row_t row, parent;
    bool has_parent = false;
    zw_err_t e = {0};
    if (zw_intake_store_app_get(db, receipt, false, &row, &e) != 0) {
        if (e.code == ZW_NOT_FOUND) {
            /* not ours: another center's database, or a row since purged */
            zw_logkv(ZW_LOG_DEBUG, "workflow event for an unknown application; skipped", "receipt",
                     receipt, NULL);
            return 0;
        }
        if (err)
            *err = e;
        return -1;
    }
    if (row.parent[0]) {
        if (zw_intake_store_app_get(db, row.parent, true, &parent, err) != 0) {
            zw_intake_row_free(&row);
            return -1;
        }
        has_parent = true;
    }
    zw_intake_row_free(&row);
    int rc = zw_intake_store_app_get(db, receipt, true, &row, err);
    if (rc != 0) {
        if (has_parent)
            zw_intake_row_free(&parent);
        return -1;
    }
    int before = row.state;
    bool applied = false;
    if (!zw_intake_event_newer(row.last_seq, ev->seq)) {
        zw_logkv(ZW_LOG_DEBUG, "older workflow event ignored", "receipt", receipt, NULL);
        goto done;
    }
    /* An approval (11, 12) may still be revoked (15); nothing else final
     * moves. */
    bool revoked = state == 15 && (before == 11 || before == 12);
    if (zw_intake_state_final(before) && before != state && !revoked) {
        /* A final state never moves (the process cannot reopen it); say so,
         * since it means the two daemons disagree. */
        zw_logkv(ZW_LOG_WARN, "workflow event would move a final application; ignored", "receipt",
                 receipt, "type", ev->type, NULL);
        goto done;
    }
    if ((rc = zw_intake_store_apply_state(db, receipt, state, ev->seq, at_us, &applied, err)) !=
            0 ||
        !applied)
        goto done;
    row.state = state;
    row.last_seq = ev->seq;
    row.updated_at_us = at_us;
    if (state == before)
        goto done; /* the cursor of the row moved; nothing public changed */
    if (state >= 11 && state <= 13 && row.completed_at_us < 0) {
        row.completed_at_us = at_us;
        if ((rc = zw_intake_store_app_update(db, &row, err)) != 0)
            goto done;
    }
    zw_intake_tx_t tx = {.ctx = ctx, .caller = NULL, .actor = S_ACTOR, .now_us = at_us};
    char type[96];
    snprintf(type, sizeof type, "%s", ev->type);
    const char *short_type = strncmp(type, "zwfw.v1.", 8) == 0 ? type + 8 : type;
    /* the history names the event and, as for intake's own decisions, the
     * reason given */
    size_t len = strlen(short_type) + 2 + strlen(reason) + 1;
    char *note = malloc(len);
    if (!note) {
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    if (*reason)
        snprintf(note, len, "%s: %s", short_type, reason);
    else
        snprintf(note, len, "%s", short_type);
    rc = zw_intake_store_history_add(db, receipt, state, at_us, S_ACTOR, note, ev->seq, err);
    free(note);
    if (rc != 0 || (rc = s_publish(&tx, &row, before, short_type, reason, err)) != 0)
        goto done;
    if (has_parent)
        rc = s_parent_refresh(&tx, &parent, err);
done:
    zw_intake_row_free(&row);
    if (has_parent)
        zw_intake_row_free(&parent);
    return rc;
}

/* The due times workflow moved (a pause ended, an extension): the
 * application shows them, as it showed the first ones. An event older than
 * what the application shows is ignored, as for states. */
static int s_apply_due(zw_intake_ctx_t *ctx, const zw_event_t *ev, zw_err_t *err)
{
    int64_t promised = -1, statutory = -1;
    const char *receipt = NULL;
    Zwfw__V1__ProcessResumed *res = NULL;
    Zwfw__V1__ProcessExtended *ext = NULL;
    if (strcmp(ev->type, "zwfw.v1.ProcessResumed") == 0 &&
        (res = zwfw__v1__process_resumed__unpack(NULL, ev->len, ev->payload)) != NULL) {
        receipt = res->receipt_number;
        promised = res->promised_due_at ? s_us(res->promised_due_at, -1) : -1;
        statutory = res->statutory_due_at ? s_us(res->statutory_due_at, -1) : -1;
    } else if (strcmp(ev->type, "zwfw.v1.ProcessExtended") == 0 &&
               (ext = zwfw__v1__process_extended__unpack(NULL, ev->len, ev->payload)) != NULL) {
        receipt = ext->receipt_number;
        statutory = ext->statutory_due_at ? s_us(ext->statutory_due_at, -1) : -1;
    }
    int rc = 0;
    zw_intake_row_t row, parent;
    bool has_parent = false, has_row = false;
    if (receipt && *receipt && (promised >= 0 || statutory >= 0) &&
        strlen(receipt) < ZW_INTAKE_MAX_CODE) {
        zw_err_t e = {0};
        /* rows locked parent first, as intake's own actions lock them */
        if (zw_intake_store_app_get(ctx->db, receipt, false, &row, &e) != 0) {
            if (e.code != ZW_NOT_FOUND) { /* not ours: skipped, as for states */
                if (err)
                    *err = e;
                rc = -1;
            }
        } else {
            if (row.parent[0]) {
                rc = zw_intake_store_app_get(ctx->db, row.parent, true, &parent, err);
                has_parent = rc == 0;
            }
            zw_intake_row_free(&row);
            if (rc == 0)
                has_row = (rc = zw_intake_store_app_get(ctx->db, receipt, true, &row, err)) == 0;
        }
    }
    if (has_row && zw_intake_event_newer(row.last_seq, ev->seq)) {
        if (promised >= 0 && row.due_at_us >= 0)
            row.due_at_us = promised;
        if (statutory >= 0)
            row.statutory_due_at_us = statutory;
        rc = zw_intake_store_app_update(ctx->db, &row, err);
        /* a bundle's due times are its items' latest */
        zw_intake_tx_t tx = {
            .ctx = ctx, .caller = NULL, .actor = S_ACTOR, .now_us = ev->occurred_at_us};
        if (rc == 0 && has_parent)
            rc = s_parent_refresh(&tx, &parent, err);
    }
    if (has_row)
        zw_intake_row_free(&row);
    if (has_parent)
        zw_intake_row_free(&parent);
    if (res)
        protobuf_c_message_free_unpacked(&res->base, NULL);
    if (ext)
        protobuf_c_message_free_unpacked(&ext->base, NULL);
    return rc;
}

int zw_intake_on_workflow_event(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err)
{
    zw_intake_ctx_t *ctx = arg;
    (void) db; /* the consumer runs on ctx->db */
    if (strcmp(ev->stream, ZW_INTAKE_WORKFLOW_STREAM) != 0)
        return 0;
    /* Every workflow event begins with the head's four fields; the rest of
     * a longer message is unknown fields to this decoder. */
    Zwfw__V1__ProcessEventHead *head =
        zwfw__v1__process_event_head__unpack(NULL, ev->len, ev->payload);
    if (!head) {
        /* It will never decode: retrying would hold the stream for good. */
        zw_logkv(ZW_LOG_ERROR, "workflow event does not decode; skipped", "type", ev->type,
                 "aggregate", ev->aggregate_id, NULL);
        return 0;
    }
    int rc = s_apply_due(ctx, ev, err);
    int state = (int) head->state;
    if (rc != 0 || state == 0 || !head->receipt_number || !*head->receipt_number)
        goto done; /* alarms and branch steps: the application's state is unchanged */
    if (!s_workflow_state(state) || strlen(head->receipt_number) >= ZW_INTAKE_MAX_CODE) {
        zw_logkv(ZW_LOG_ERROR,
                 "workflow event with a state or receipt intake cannot apply; skipped", "type",
                 ev->type, "aggregate", ev->aggregate_id, NULL);
        goto done;
    }
    /* the decision's reason travels in ProcessCompleted only (an older
     * workflow's has none: "") */
    Zwfw__V1__ProcessCompleted *pc =
        strcmp(ev->type, "zwfw.v1.ProcessCompleted") == 0
            ? zwfw__v1__process_completed__unpack(NULL, ev->len, ev->payload)
            : NULL;
    rc = s_apply(ctx, ev, head->receipt_number, state, s_us(head->at, ev->occurred_at_us),
                 pc && pc->reason ? pc->reason : "", err);
    if (pc)
        protobuf_c_message_free_unpacked(&pc->base, NULL);
done:
    protobuf_c_message_free_unpacked(&head->base, NULL);
    return rc;
}
