/* The overdue sweep: every case still open after its due date gets one
 * CaseOverdue event (差评 整改超期), raised once, in the transaction that
 * marks it. Business time decides, so a simulated clock moved past a due
 * date raises it at the next sweep. */
#include "sweeper.h"

#include "audit.h"
#include "outbox.h"
#include "pbmsg.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_BATCH 100

typedef struct {
    int64_t now;
    zw_date_t today;
    size_t raised;
} s_sweep_t;

static int s_sweep_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_sweep_t *s = arg;
    s->raised = 0;
    char day[ZW_DATE_STRLEN], lim[16];
    snprintf(lim, sizeof lim, "%d", S_BATCH);
    const char *p[] = {zw_rating_date_text(s->today, day), lim};
    PGresult *res = zw_db_exec(db, "rt_sweep_due", 2, p, err);
    if (!res)
        return -1;
    zw_rating_arena_t *a = zw_rating_arena_new();
    int rc = a ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
        const char *id = PQgetvalue(res, i, 0);
        Zwfw__V1__RectificationCase *c = NULL;
        const char *q[] = {id};
        PGresult *u = NULL;
        if ((rc = zw_rating_store_case(db, a, strtoll(id, NULL, 10), 0, s->today, false, &c,
                                       err)) != 0 ||
            !c)
            break;
        if (!(u = zw_db_exec(db, "rt_case_overdue_mark", 1, q, err))) {
            rc = -1;
            break;
        }
        PQclear(u);
        Zwfw__V1__CaseOverdue ev = ZWFW__V1__CASE_OVERDUE__INIT;
        ev.rectification_case = c;
        size_t len;
        uint8_t *buf = zw_pbmsg_pack(&ev.base, &len);
        if (!buf) {
            rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
            break;
        }
        zw_audit_entry_t e = {.at_us = s->now,
                              .actor = ZW_RATING_PRODUCER,
                              .caller_key_id = "",
                              .caller_role = "system",
                              .action = "rating.case.overdue",
                              .object_type = "rating.case",
                              .object_id = id,
                              .after = buf,
                              .after_len = len};
        rc = zw_outbox_append(db, ZW_RATING_STREAM, ev.base.descriptor->name, c->receipt_number,
                              s->now, buf, len, err);
        if (rc == 0)
            rc = zw_audit_append(db, &e, err);
        free(buf);
        if (rc == 0)
            s->raised++;
    }
    zw_rating_arena_destroy(&a);
    PQclear(res);
    return rc;
}

int zw_rating_sweep(zw_rating_ctx_t *ctx, int64_t now_us, size_t *raised, zw_err_t *err)
{
    s_sweep_t s = {.now = now_us, .today = zw_rating_day(now_us)};
    *raised = 0;
    if (zw_db_tx(ctx->db, false, s_sweep_tx, &s, err) != 0)
        return -1;
    *raised = s.raised;
    return 0;
}
