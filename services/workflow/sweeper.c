/* Supervision alarms (超期预警, 超期, 异常). Work is claimed one instance at
 * a time with FOR UPDATE SKIP LOCKED, each in its own transaction, so
 * replicas share the sweep, an instance being acted on is left for the
 * next round, and one instance that cannot be swept (a definition that no
 * longer loads, a date past the calendar) is recorded and passed over
 * while every other department's alarms go on. Each alarm is a row with a
 * unique key (instance, track, kind, clock, due time) and its event is
 * written only when the row is new: exactly once, however far the clock
 * jumps between sweeps. */
#include "wf.h"

#include "log.h"
#include "outbox.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static Zwfw__V1__Timestamp *s_ts(Zwfw__V1__Timestamp *ts, int64_t us)
{
    if (us == ZW_WF_NONE)
        return NULL;
    zwfw__v1__timestamp__init(ts);
    int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    ts->seconds = s;
    ts->nanos = (int32_t) ((us - s * 1000000) * 1000);
    return ts;
}

static int s_append(zw_db_t *db, const ProtobufCMessage *msg, const char *receipt, int64_t at,
                    zw_err_t *err)
{
    uint8_t buf[512];
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (len > sizeof buf)
        return zw_err_set(err, ZW_INTERNAL, "alarm event too large");
    protobuf_c_message_pack(msg, buf);
    return zw_outbox_append(db, ZW_WF_STREAM, msg->descriptor->name, receipt, at, buf, len, err);
}

static int s_event(zw_db_t *db, const zw_wf_instance_t *inst, const zw_wf_clocks_t *c,
                   const zw_wf_alarm_t *al, int64_t now, zw_err_t *err)
{
    const zw_wf_track_t *tr = &inst->tracks[al->track];
    Zwfw__V1__Timestamp at, due, entered;
    char *receipt = (char *) inst->receipt;
    s_ts(&at, now);
    if (al->kind == ZW_WF_ALARM_WARNING) {
        const zw_wf_clock_t *k = zw_wf_clocks_find(c, al->clock, al->track);
        Zwfw__V1__WarningRaised m = ZWFW__V1__WARNING_RAISED__INIT;
        m.receipt_number = receipt;
        m.at = &at;
        m.instance_id = inst->id;
        m.branch = (char *) tr->name;
        m.department_code = (char *) tr->department;
        m.clock = (Zwfw__V1__ClockKind) al->clock;
        m.due_at = s_ts(&due, al->due_us);
        m.remaining_minutes = k ? k->remaining_min : 0;
        return s_append(db, &m.base, receipt, now, err);
    }
    if (al->kind == ZW_WF_ALARM_OVERDUE) {
        Zwfw__V1__OverdueRaised m = ZWFW__V1__OVERDUE_RAISED__INIT;
        m.receipt_number = receipt;
        m.at = &at;
        m.instance_id = inst->id;
        m.branch = (char *) tr->name;
        m.department_code = (char *) tr->department;
        m.clock = (Zwfw__V1__ClockKind) al->clock;
        m.due_at = s_ts(&due, al->due_us);
        return s_append(db, &m.base, receipt, now, err);
    }
    Zwfw__V1__AbnormalRaised m = ZWFW__V1__ABNORMAL_RAISED__INIT;
    m.receipt_number = receipt;
    m.at = &at;
    m.instance_id = inst->id;
    m.branch = (char *) tr->name;
    m.department_code = (char *) tr->department;
    m.process_state = (char *) tr->state;
    m.entered_at = s_ts(&entered, tr->entered_us);
    m.limit_at = s_ts(&due, al->due_us);
    return s_append(db, &m.base, receipt, now, err);
}

typedef struct {
    zw_wf_ctx_t *ctx;
    int64_t now;
    int64_t id; /* the instance claimed, 0: none due */
    size_t raised;
} s_sweep_t;

static int s_sweep_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_sweep_t *x = arg;
    x->id = 0;
    x->raised = 0;
    if (zw_wf_store_claim(db, x->now, &x->id, err) != 0)
        return -1;
    if (x->id == 0)
        return 0;
    zw_wf_instance_t inst;
    /* already locked by the claim, in this transaction */
    if (zw_wf_store_load(db, x->id, NULL, false, &inst, err) != 0)
        return -1;
    int rc = -1;
    const zw_wf_def_t *def = zw_wf_defs_get(x->ctx, inst.def_code, inst.def_version, err);
    zw_wf_clocks_t c;
    if (!def || zw_wf_clocks_compute(&x->ctx->settings->clock, def, &inst, x->now, &c, err) != 0)
        goto done;
    zw_wf_alarm_t al[3 * ZW_WF_MAX_CLOCKS + ZW_WF_MAX_TRACKS];
    size_t n = zw_wf_alarms(&c, &inst, al, sizeof al / sizeof al[0]);
    for (size_t i = 0; i < n; i++) {
        if (al[i].at_us > x->now)
            continue;
        const zw_wf_track_t *tr = &inst.tracks[al[i].track];
        zw_wf_alarm_row_t row = {.instance_id = inst.id,
                                 .track = al[i].track,
                                 .kind = al[i].kind,
                                 .clock = al[i].clock,
                                 .due_key = al[i].key,
                                 .due_us = al[i].due_us,
                                 .department = tr->department,
                                 .receipt = inst.receipt,
                                 .branch = tr->name,
                                 .state = tr->state,
                                 .raised_at_us = x->now};
        bool inserted = false;
        if (zw_wf_store_alarm_add(db, &row, &inserted, err) != 0)
            goto done;
        if (!inserted)
            continue;
        if (s_event(db, &inst, &c, &al[i], x->now, err) != 0)
            goto done;
        x->raised++;
    }
    rc = zw_wf_store_set_check(db, inst.id, zw_wf_alarms_next(al, n, x->now), err);
done:
    zw_wf_instance_clear(&inst);
    return rc;
}

typedef struct {
    int64_t id, retry_at;
    const char *message;
} s_failed_t;

static int s_failed_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_failed_t *f = arg;
    return zw_wf_store_sweep_failed(db, f->id, f->message, f->retry_at, err);
}

int zw_wf_sweep(zw_wf_ctx_t *ctx, int64_t now_us, zw_wf_sweep_stats_t *stats, zw_err_t *err)
{
    zw_wf_sweep_stats_t local = {0};
    zw_wf_sweep_stats_t *st = stats ? stats : &local;
    memset(st, 0, sizeof *st);
    int batch = ctx->settings->sweep_batch > 0 ? ctx->settings->sweep_batch : 1000;
    for (int i = 0; i < batch; i++) {
        s_sweep_t x = {.ctx = ctx, .now = now_us};
        zw_err_t e;
        if (zw_db_tx(ctx->db, false, s_sweep_tx, &x, &e) == 0) {
            if (x.id == 0)
                return 0;
            st->swept++;
            st->raised += x.raised;
            continue;
        }
        if (x.id == 0 || e.code == ZW_UNAVAILABLE) {
            if (err)
                *err = e;
            return -1;
        }
        st->swept++;
        st->failed++;
        char id[24];
        snprintf(id, sizeof id, "%" PRId64, x.id);
        zw_logkv(ZW_LOG_ERROR, "sweep failed for one instance; the others go on", "instance", id,
                 "code", zw_code_name(e.code), "reason", e.message, NULL);
        s_failed_t f = {
            .id = x.id, .retry_at = now_us + ctx->settings->sweep_retry_us, .message = e.message};
        if (zw_db_tx(ctx->db, false, s_failed_tx, &f, err) != 0)
            return -1;
    }
    return 0;
}
