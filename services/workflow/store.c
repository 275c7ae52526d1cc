/* zwfw-workflow's SQL as named prepared statements: instances, history,
 * the sweeper's, idempotency (definitions and queries: store_query.c). */
#include "store_internal.h"

#include "idem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_INST_COLS                                                                                \
    "id, receipt_number, def_code, def_version, item_code, item_version, department, region,"      \
    " waiver, status, outcome, app_state, accepted_us, started_us, closed_us, promised_amount,"    \
    " promised_unit, promised_start_us, statutory_amount, statutory_unit, statutory_start_us,"     \
    " extension_min, extensions, next_seq"

#define S_REQUESTS "workflow.requests"

static const zw_wf_stmt_t s_stmts[] = {
    {"wf_load_id", "SELECT " S_INST_COLS " FROM workflow.instances WHERE id = $1::bigint", 1},
    {"wf_load_id_lock",
     "SELECT " S_INST_COLS " FROM workflow.instances WHERE id = $1::bigint FOR UPDATE", 1},
    {"wf_load_rcpt", "SELECT " S_INST_COLS " FROM workflow.instances WHERE receipt_number = $1", 1},
    {"wf_load_rcpt_lock",
     "SELECT " S_INST_COLS " FROM workflow.instances WHERE receipt_number = $1 FOR UPDATE", 1},
    {"wf_tracks",
     "SELECT track, name, label, department, state, prev_state, entered_us, entered_seq, done,"
     " outcome, limit_amount, limit_unit, clock_start_us FROM workflow.tracks"
     " WHERE instance_id = $1::bigint ORDER BY track",
     1},
    {"wf_pauses",
     "SELECT id, track, kind, state, start_us, end_us FROM workflow.pauses"
     " WHERE instance_id = $1::bigint ORDER BY id",
     1},
    {"wf_insert",
     "INSERT INTO workflow.instances (receipt_number, def_code, def_version, item_code,"
     " item_version, department, region, waiver, status, accepted_us, started_us,"
     " promised_amount, promised_unit, promised_start_us, statutory_amount, statutory_unit,"
     " statutory_start_us, updated_us) VALUES ($1, $2, $3::integer, $4, $5::integer, $6, $7,"
     " $8::boolean, 1, $9::bigint, $10::bigint, $11::integer, $12::smallint, $13::bigint,"
     " $14::integer, $15::smallint, $16::bigint, $17::bigint)"
     " ON CONFLICT (receipt_number) DO NOTHING RETURNING id",
     17},
    {"wf_update",
     "UPDATE workflow.instances SET status = $2::smallint, outcome = $3::smallint,"
     " app_state = $4::smallint, closed_us = $5::bigint, extension_min = $6::bigint,"
     " extensions = $7::integer, next_seq = $8::bigint, promised_due_us = $9::bigint,"
     " promised_warn_us = $10::bigint, statutory_due_us = $11::bigint,"
     " statutory_warn_us = $12::bigint, due_us = $13::bigint, next_check_us = $14::bigint,"
     " updated_us = $15::bigint, waiver = $16::boolean, sweep_failures = 0, sweep_error = NULL"
     " WHERE id = $1::bigint",
     16},
    {"wf_track_put",
     "INSERT INTO workflow.tracks (instance_id, track, name, label, department, state, prev_state,"
     " entered_us, entered_seq, done, outcome, limit_amount, limit_unit, clock_start_us, due_us,"
     " warn_us, stuck_us) VALUES ($1::bigint, $2::smallint, $3, $4, $5, $6, $7, $8::bigint,"
     " $9::bigint, $10::boolean, $11::smallint, $12::integer, $13::smallint, $14::bigint,"
     " $15::bigint, $16::bigint, $17::bigint) ON CONFLICT (instance_id, track) DO UPDATE SET"
     " name = EXCLUDED.name, label = EXCLUDED.label, department = EXCLUDED.department,"
     " state = EXCLUDED.state, prev_state = EXCLUDED.prev_state,"
     " entered_us = EXCLUDED.entered_us, entered_seq = EXCLUDED.entered_seq,"
     " done = EXCLUDED.done, outcome = EXCLUDED.outcome, limit_amount = EXCLUDED.limit_amount,"
     " limit_unit = EXCLUDED.limit_unit, clock_start_us = EXCLUDED.clock_start_us,"
     " due_us = EXCLUDED.due_us, warn_us = EXCLUDED.warn_us, stuck_us = EXCLUDED.stuck_us",
     17},
    {"wf_pause_add",
     "INSERT INTO workflow.pauses (instance_id, track, kind, state, start_us, end_us)"
     " VALUES ($1::bigint, $2::smallint, $3::smallint, $4, $5::bigint, $6::bigint) RETURNING id",
     6},
    {"wf_pause_end", "UPDATE workflow.pauses SET end_us = $2::bigint WHERE id = $1::bigint", 2},
    {"wf_hist_add",
     "INSERT INTO workflow.history (instance_id, seq, track, branch, action, from_state,"
     " to_state, actor, caller_key_id, caller_role, comment, materials, at_us) VALUES"
     " ($1::bigint, $2::bigint, $3::smallint, $4, $5, $6, $7, $8, $9, $10::smallint, $11,"
     " $12::bytea, $13::bigint)",
     13},
    {"wf_hist",
     "SELECT seq, track, branch, action, from_state, to_state, actor, caller_key_id, caller_role,"
     " comment, materials, at_us FROM workflow.history WHERE instance_id = $1::bigint ORDER BY seq",
     1},
    {"wf_claim",
     "SELECT id FROM workflow.instances WHERE status = 1 AND next_check_us <= $1::bigint"
     " ORDER BY next_check_us, id LIMIT 1 FOR UPDATE SKIP LOCKED",
     1},
    {"wf_alarm_add",
     "INSERT INTO workflow.alarms (instance_id, track, kind, clock, due_key, due_us, department,"
     " receipt_number, branch, state, raised_at_us) VALUES ($1::bigint, $2::smallint,"
     " $3::smallint, $4::smallint, $5::bigint, $6::bigint, $7, $8, $9, $10, $11::bigint)"
     " ON CONFLICT DO NOTHING RETURNING id",
     11},
    {"wf_set_check",
     "UPDATE workflow.instances SET next_check_us = $2::bigint, sweep_failures = 0,"
     " sweep_error = NULL WHERE id = $1::bigint",
     2},
    {"wf_sweep_failed",
     "UPDATE workflow.instances SET sweep_failures = sweep_failures + 1, sweep_error = $2,"
     " next_check_us = $3::bigint WHERE id = $1::bigint",
     3},
    /* the reply is filled in by wf_req_finish in the same transaction, so
     * no other transaction ever sees the empty one */
    {"wf_req_claim",
     "INSERT INTO workflow.requests (caller, idempotency_key, type, digest, reply, created_at_us)"
     " VALUES ($1, $2, $3, $4, ''::bytea, $5::bigint) ON CONFLICT DO NOTHING RETURNING true",
     5},
    {"wf_req_finish",
     "UPDATE workflow.requests SET reply = $3::bytea WHERE caller = $1 AND idempotency_key = $2",
     3},
};

int zw_wf_store_prepare(zw_db_t *db, zw_err_t *err)
{
    for (size_t i = 0; i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        if (zw_db_prepare(db, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].nparams, err) != 0)
            return -1;
    if (zw_idem_prepare(db, S_REQUESTS, err) != 0)
        return -1;
    return zw_wf_store_query_prepare(db, err);
}

/* ------------------------------------------------------------------ helpers */

int64_t zw_wf_col_i64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return ZW_WF_NONE;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

const char *zw_wf_col_str(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col);
}

static void s_cpy(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* "\x" + hex of data, malloc'd; NULL when out of memory. */
static char *s_hex(const uint8_t *data, size_t len)
{
    char *out = malloc(2 * len + 3);
    if (!out)
        return NULL;
    out[0] = '\\';
    out[1] = 'x';
    for (size_t i = 0; i < len; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", data[i]);
    out[2 + 2 * len] = '\0';
    return out;
}

/* ------------------------------------------------------------------ instances */

static int s_load_row(const PGresult *res, zw_wf_instance_t *inst)
{
    s_cpy(inst->receipt, sizeof inst->receipt, PQgetvalue(res, 0, 1));
    inst->id = zw_wf_col_i64(res, 0, 0);
    s_cpy(inst->def_code, sizeof inst->def_code, PQgetvalue(res, 0, 2));
    inst->def_version = (int) zw_wf_col_i64(res, 0, 3);
    s_cpy(inst->item_code, sizeof inst->item_code, PQgetvalue(res, 0, 4));
    inst->item_version = (int) zw_wf_col_i64(res, 0, 5);
    s_cpy(inst->department, sizeof inst->department, PQgetvalue(res, 0, 6));
    s_cpy(inst->region, sizeof inst->region, PQgetvalue(res, 0, 7));
    inst->waiver = zw_wf_col_bool(res, 0, 8);
    inst->status = (zw_wf_status_t) zw_wf_col_i64(res, 0, 9);
    inst->outcome = (zw_wf_outcome_t) zw_wf_col_i64(res, 0, 10);
    inst->app_state = (int) zw_wf_col_i64(res, 0, 11);
    inst->accepted_us = zw_wf_col_i64(res, 0, 12);
    inst->started_us = zw_wf_col_i64(res, 0, 13);
    inst->closed_us = zw_wf_col_i64(res, 0, 14);
    if (inst->closed_us == ZW_WF_NONE)
        inst->closed_us = 0;
    inst->promised.limit.amount = (int) zw_wf_col_i64(res, 0, 15);
    inst->promised.limit.unit = (zw_limit_unit_t) zw_wf_col_i64(res, 0, 16);
    inst->promised.start_us = zw_wf_col_i64(res, 0, 17);
    inst->statutory.limit.amount = (int) zw_wf_col_i64(res, 0, 18);
    inst->statutory.limit.unit = (zw_limit_unit_t) zw_wf_col_i64(res, 0, 19);
    inst->statutory.start_us = zw_wf_col_i64(res, 0, 20);
    inst->extension_min = zw_wf_col_i64(res, 0, 21);
    inst->extensions = (int) zw_wf_col_i64(res, 0, 22);
    inst->next_seq = zw_wf_col_i64(res, 0, 23);
    return 0;
}

int zw_wf_store_load(zw_db_t *db, int64_t id, const char *receipt, bool lock,
                     zw_wf_instance_t *inst, zw_err_t *err)
{
    memset(inst, 0, sizeof *inst);
    zw_wf_nums_t nums = {.n = 0};
    const char *name = id > 0 ? (lock ? "wf_load_id_lock" : "wf_load_id")
                              : (lock ? "wf_load_rcpt_lock" : "wf_load_rcpt");
    const char *p[] = {id > 0 ? zw_wf_num(&nums, id) : (receipt ? receipt : "")};
    PGresult *res = zw_db_exec(db, name, 1, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (id > 0)
            return zw_err_setd(err, ZW_NOT_FOUND, "instance_id", "no process instance %" PRId64,
                               id);
        return zw_err_setd(err, ZW_NOT_FOUND, "receipt_number", "no process for application %s",
                           receipt ? receipt : "");
    }
    s_load_row(res, inst);
    PQclear(res);
    if (id > 0 && receipt && *receipt && strcmp(receipt, inst->receipt) != 0) {
        /* the id wins the lookup; a receipt that disagrees is the caller's
         * mix-up, and acting on either case would be a guess */
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "instance_id",
                    "instance_id %" PRId64 " is the process of application %s, not of %s", id,
                    inst->receipt, receipt);
        zw_wf_instance_clear(inst);
        return -1;
    }
    const char *q[] = {zw_wf_num(&nums, inst->id)};
    res = zw_db_exec(db, "wf_tracks", 1, q, err);
    if (!res)
        return -1;
    int nt = PQntuples(res);
    if (nt < 1 || nt > ZW_WF_MAX_TRACKS) {
        PQclear(res);
        return zw_err_setd(err, ZW_INTERNAL, "tracks", "process %s has %d tracks", inst->receipt,
                           nt);
    }
    for (int i = 0; i < nt; i++) {
        int t = (int) zw_wf_col_i64(res, i, 0);
        if (t < 0 || t >= nt) {
            PQclear(res);
            return zw_err_setd(err, ZW_INTERNAL, "tracks", "process %s: track %d out of order",
                               inst->receipt, t);
        }
        zw_wf_track_t *tr = &inst->tracks[t];
        s_cpy(tr->name, sizeof tr->name, PQgetvalue(res, i, 1));
        s_cpy(tr->label, sizeof tr->label, PQgetvalue(res, i, 2));
        s_cpy(tr->department, sizeof tr->department, PQgetvalue(res, i, 3));
        s_cpy(tr->state, sizeof tr->state, PQgetvalue(res, i, 4));
        s_cpy(tr->prev_state, sizeof tr->prev_state, PQgetvalue(res, i, 5));
        tr->entered_us = zw_wf_col_i64(res, i, 6);
        tr->entered_seq = zw_wf_col_i64(res, i, 7);
        tr->done = zw_wf_col_bool(res, i, 8);
        tr->outcome = (zw_wf_outcome_t) zw_wf_col_i64(res, i, 9);
        tr->limit.amount = (int) zw_wf_col_i64(res, i, 10);
        tr->limit.unit = (zw_limit_unit_t) zw_wf_col_i64(res, i, 11);
        tr->clock_start_us = zw_wf_col_i64(res, i, 12);
    }
    inst->ntracks = nt;
    PQclear(res);
    res = zw_db_exec(db, "wf_pauses", 1, q, err);
    if (!res)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        zw_wf_pause_t p = {.id = zw_wf_col_i64(res, i, 0),
                           .track = (int) zw_wf_col_i64(res, i, 1),
                           .kind = (zw_wf_pause_kind_t) zw_wf_col_i64(res, i, 2),
                           .start_us = zw_wf_col_i64(res, i, 4)};
        s_cpy(p.state, sizeof p.state, PQgetvalue(res, i, 3));
        p.end_us = PQgetisnull(res, i, 5) ? ZW_WF_OPEN : zw_wf_col_i64(res, i, 5);
        if (zw_wf_instance_add_pause(inst, &p) != 0) {
            PQclear(res);
            zw_wf_instance_clear(inst);
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    PQclear(res);
    return 0;
}

int zw_wf_store_insert(zw_db_t *db, zw_wf_instance_t *inst, int64_t now_us, bool *inserted,
                       zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {inst->receipt,
                       inst->def_code,
                       zw_wf_num(&nums, inst->def_version),
                       inst->item_code,
                       zw_wf_num(&nums, inst->item_version),
                       inst->department,
                       inst->region,
                       zw_wf_bool(inst->waiver),
                       zw_wf_num(&nums, inst->accepted_us),
                       zw_wf_num(&nums, inst->started_us),
                       zw_wf_num(&nums, inst->promised.limit.amount),
                       zw_wf_num(&nums, inst->promised.limit.unit),
                       zw_wf_num(&nums, inst->promised.start_us),
                       zw_wf_num(&nums, inst->statutory.limit.amount),
                       zw_wf_num(&nums, inst->statutory.limit.unit),
                       zw_wf_num(&nums, inst->statutory.start_us),
                       zw_wf_num(&nums, now_us)};
    PGresult *res = zw_db_exec(db, "wf_insert", 17, p, err);
    if (!res)
        return -1;
    *inserted = PQntuples(res) == 1;
    if (*inserted)
        inst->id = zw_wf_col_i64(res, 0, 0);
    PQclear(res);
    return 0;
}

int zw_wf_store_save(zw_db_t *db, zw_wf_instance_t *inst, const zw_wf_derived_t *d, int64_t now_us,
                     zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, inst->id),
                       zw_wf_num(&nums, inst->status),
                       zw_wf_num(&nums, inst->outcome),
                       zw_wf_num(&nums, inst->app_state),
                       inst->closed_us > 0 ? zw_wf_num(&nums, inst->closed_us) : NULL,
                       zw_wf_num(&nums, inst->extension_min),
                       zw_wf_num(&nums, inst->extensions),
                       zw_wf_num(&nums, inst->next_seq),
                       zw_wf_num(&nums, d->promised_due),
                       zw_wf_num(&nums, d->promised_warn),
                       zw_wf_num(&nums, d->statutory_due),
                       zw_wf_num(&nums, d->statutory_warn),
                       zw_wf_num(&nums, d->due),
                       zw_wf_num(&nums, d->next_check),
                       zw_wf_num(&nums, now_us),
                       zw_wf_bool(inst->waiver)};
    PGresult *res = zw_db_exec(db, "wf_update", 16, p, err);
    if (!res)
        return -1;
    PQclear(res);
    char id[32];
    snprintf(id, sizeof id, "%" PRId64, inst->id);
    for (int t = 0; t < inst->ntracks; t++) {
        const zw_wf_track_t *tr = &inst->tracks[t];
        nums.n = 0;
        const char *q[] = {id,
                           zw_wf_num(&nums, t),
                           tr->name,
                           tr->label,
                           tr->department,
                           tr->state,
                           tr->prev_state,
                           zw_wf_num(&nums, tr->entered_us),
                           zw_wf_num(&nums, tr->entered_seq),
                           zw_wf_bool(tr->done),
                           zw_wf_num(&nums, tr->outcome),
                           zw_wf_num(&nums, tr->limit.amount),
                           zw_wf_num(&nums, tr->limit.unit),
                           zw_wf_num(&nums, tr->clock_start_us),
                           zw_wf_num(&nums, d->track_due[t]),
                           zw_wf_num(&nums, d->track_warn[t]),
                           zw_wf_num(&nums, d->track_stuck[t])};
        res = zw_db_exec(db, "wf_track_put", 17, q, err);
        if (!res)
            return -1;
        PQclear(res);
    }
    for (size_t i = 0; i < inst->npauses; i++) {
        zw_wf_pause_t *pa = &inst->pauses[i];
        if (!pa->dirty)
            continue;
        nums.n = 0;
        const char *end = pa->end_us == ZW_WF_OPEN ? NULL : zw_wf_num(&nums, pa->end_us);
        if (pa->id == 0) {
            const char *q[] = {
                id,        zw_wf_num(&nums, pa->track),    zw_wf_num(&nums, pa->kind),
                pa->state, zw_wf_num(&nums, pa->start_us), end};
            res = zw_db_exec(db, "wf_pause_add", 6, q, err);
            if (!res)
                return -1;
            pa->id = zw_wf_col_i64(res, 0, 0);
        } else {
            const char *q[] = {zw_wf_num(&nums, pa->id), end};
            res = zw_db_exec(db, "wf_pause_end", 2, q, err);
            if (!res)
                return -1;
        }
        PQclear(res);
    }
    return 0;
}

int zw_wf_store_history_add(zw_db_t *db, int64_t instance_id, const zw_wf_history_t *h,
                            zw_err_t *err)
{
    char *hex = NULL;
    if (h->materials && h->materials_len) {
        hex = s_hex(h->materials, h->materials_len);
        if (!hex)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, instance_id),
                       zw_wf_num(&nums, h->seq),
                       zw_wf_num(&nums, h->track),
                       h->branch ? h->branch : "",
                       h->action,
                       h->from_state ? h->from_state : "",
                       h->to_state ? h->to_state : "",
                       h->actor ? h->actor : "",
                       h->caller_key_id ? h->caller_key_id : "",
                       zw_wf_num(&nums, h->caller_role),
                       h->comment ? h->comment : "",
                       hex,
                       zw_wf_num(&nums, h->at_us)};
    PGresult *res = zw_db_exec(db, "wf_hist_add", 13, p, err);
    free(hex);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

PGresult *zw_wf_store_history(zw_db_t *db, int64_t instance_id, zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, instance_id)};
    return zw_db_exec(db, "wf_hist", 1, p, err);
}

/* ------------------------------------------------------------------ sweeper */

int zw_wf_store_claim(zw_db_t *db, int64_t now_us, int64_t *id, zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, now_us)};
    PGresult *res = zw_db_exec(db, "wf_claim", 1, p, err);
    if (!res)
        return -1;
    *id = PQntuples(res) == 1 ? zw_wf_col_i64(res, 0, 0) : 0;
    PQclear(res);
    return 0;
}

int zw_wf_store_alarm_add(zw_db_t *db, const zw_wf_alarm_row_t *a, bool *inserted, zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, a->instance_id),
                       zw_wf_num(&nums, a->track),
                       zw_wf_num(&nums, a->kind),
                       zw_wf_num(&nums, a->clock),
                       zw_wf_num(&nums, a->due_key),
                       zw_wf_num(&nums, a->due_us),
                       a->department,
                       a->receipt,
                       a->branch,
                       a->state,
                       zw_wf_num(&nums, a->raised_at_us)};
    PGresult *res = zw_db_exec(db, "wf_alarm_add", 11, p, err);
    if (!res)
        return -1;
    *inserted = PQntuples(res) == 1;
    PQclear(res);
    return 0;
}

int zw_wf_store_set_check(zw_db_t *db, int64_t id, int64_t next_check, zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, id), zw_wf_num(&nums, next_check)};
    PGresult *res = zw_db_exec(db, "wf_set_check", 2, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int zw_wf_store_sweep_failed(zw_db_t *db, int64_t id, const char *message, int64_t retry_at_us,
                             zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, id), message, zw_wf_num(&nums, retry_at_us)};
    PGresult *res = zw_db_exec(db, "wf_sweep_failed", 3, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* ------------------------------------------------------------------ idempotency */

int zw_wf_store_request_get(zw_db_t *db, const char *caller, const char *key, bool *found,
                            char **type, char **digest, uint8_t **reply, size_t *len, zw_err_t *err)
{
    return zw_idem_get(db, S_REQUESTS, caller, key, found, type, digest, reply, len, err);
}

int zw_wf_store_request_put(zw_db_t *db, const char *caller, const char *key, const char *type,
                            const char *digest, const uint8_t *reply, size_t len, int64_t now_us,
                            zw_err_t *err)
{
    return zw_idem_put(db, S_REQUESTS, caller, key, type, digest, reply, len, now_us, err);
}

int zw_wf_store_request_claim(zw_db_t *db, const char *caller, const char *key, const char *type,
                              const char *digest, int64_t now_us, bool *claimed, zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {caller, key, type, digest, zw_wf_num(&nums, now_us)};
    PGresult *res = zw_db_exec(db, "wf_req_claim", 5, p, err);
    if (!res)
        return -1;
    *claimed = PQntuples(res) == 1;
    PQclear(res);
    return 0;
}

int zw_wf_store_request_finish(zw_db_t *db, const char *caller, const char *key,
                               const uint8_t *reply, size_t len, zw_err_t *err)
{
    char *hex = s_hex(reply, len);
    if (!hex)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    const char *p[] = {caller, key, hex};
    PGresult *res = zw_db_exec(db, "wf_req_finish", 3, p, err);
    free(hex);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}
