/* zwfw.report: supervision figures of a period, computed from the store
 * with read-only statements (so the daemon can point at a read replica):
 * intake's applications, the catalog, workflow's instances and alarms,
 * the ratings, and xregion's exchanges. One statement per source, grouped by department; the
 * center's figures are the sum of its departments'. */
#include "report.h"

#include "access.h"
#include "mdp_worker.h"
#include "period.h"
#include "zwfw/v1/report.pb-c.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A bundle's parent is not one more application: its children count. */
#define S_NOT_PARENT " NOT (a.bundle_code <> '' AND a.parent_receipt IS NULL)"
#define S_DEPT(col) " ($3 = '' OR " col " = $3)"
/* Workflow keeps department codes only: the name is the catalog's. */
#define S_DEPT_NAME(col)                                                                           \
    "COALESCE((SELECT max(i.department_name) FROM catalog.items i"                                 \
    " WHERE i.department_code = " col "), '')"

static const struct {
    const char *name, *sql;
    int nparams;
} s_stmts[] = {
    {"rp_apps",
     "SELECT a.department_code, max(a.department_name), count(*),"
     " count(*) FILTER (WHERE a.accepted_at_us IS NOT NULL),"
     " count(*) FILTER (WHERE a.handling = 1 AND a.state IN (11, 12, 13)),"
     " count(*) FILTER (WHERE a.handling = 2 AND a.accepted_at_us IS NOT NULL),"
     " count(*) FILTER (WHERE a.state IN (4, 5)), count(*) FILTER (WHERE a.state IN (2, 14)),"
     " count(*) FILTER (WHERE a.deemed_accepted),"
     " count(*) FILTER (WHERE a.accepted_at_us IS NOT NULL"
     " AND (a.state = 12 OR cardinality(a.waived_materials) > 0)),"
     " count(*) FILTER (WHERE i.cross_scope = 1), count(*) FILTER (WHERE i.cross_scope = 2),"
     " count(*) FILTER (WHERE i.cross_scope = 3),"
     " count(*) FILTER (WHERE a.channel = 1), count(*) FILTER (WHERE a.channel = 2),"
     " count(*) FILTER (WHERE a.channel = 3), count(*) FILTER (WHERE a.channel = 4),"
     " count(*) FILTER (WHERE a.channel = 5), count(*) FILTER (WHERE a.channel = 6)"
     " FROM intake.applications a LEFT JOIN catalog.items i ON i.impl_code = a.item_code"
     " WHERE a.received_at_us >= $1::bigint AND a.received_at_us < $2::bigint AND" S_NOT_PARENT
     " AND" S_DEPT("a.department_code") " GROUP BY a.department_code",
     3},
    {"rp_done",
     "SELECT a.department_code, max(a.department_name), count(*),"
     " count(*) FILTER (WHERE a.due_at_us IS NULL OR a.completed_at_us <= a.due_at_us),"
     " count(*) FILTER (WHERE a.due_at_us IS NOT NULL AND a.completed_at_us > a.due_at_us)"
     " FROM intake.applications a WHERE a.completed_at_us >= $1::bigint"
     " AND a.completed_at_us < $2::bigint AND" S_NOT_PARENT
     " AND" S_DEPT("a.department_code") " GROUP BY a.department_code",
     3},
    /* Workflow keeps each open case's due time (none while paused). */
    {"rp_overdue",
     "SELECT w.department, " S_DEPT_NAME(
         "w.department") ", count(*) FROM workflow.instances w"
                         " JOIN intake.applications a ON a.receipt_number = w.receipt_number"
                         " WHERE w.status = 1 AND w.due_us IS NOT NULL AND w.due_us < $4::bigint"
                         " AND a.received_at_us >= $1::bigint AND a.received_at_us < $2::bigint "
                         "AND" S_DEPT("w.department") " GROUP BY w.department",
     4},
    {"rp_ratings",
     "SELECT r.department_code, max(r.department_name),"
     " count(*) FILTER (WHERE NOT r.excluded),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level >= 3),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level <= 2),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level <= 2 AND c.status = 2"
     " AND c.closed_day <= c.due_date),"
     " count(*) FILTER (WHERE r.excluded)"
     " FROM rating.ratings r LEFT JOIN rating.cases c ON c.rating_id = r.id"
     " WHERE r.rated_day BETWEEN $1::date AND $2::date AND" S_DEPT(
         "r.department_code") " GROUP BY r.department_code",
     3},
    {"rp_alarms",
     "SELECT w.department, " S_DEPT_NAME(
         "w.department") ", count(*) FILTER (WHERE w.kind = 1),"
                         " count(*) FILTER (WHERE w.kind = 2), count(*) FILTER (WHERE w.kind = 3)"
                         " FROM workflow.alarms w WHERE w.raised_at_us >= $1::bigint"
                         " AND w.raised_at_us < $2::bigint AND" S_DEPT(
                             "w.department") " GROUP BY w.department",
     3},
    {"rp_catalog",
     "SELECT count(*) FILTER (WHERE status = 1),"
     " count(*) FILTER (WHERE status = 1 AND handling = 1),"
     " count(*) FILTER (WHERE status = 1 AND handling = 2),"
     " count(*) FILTER (WHERE status = 1 AND cross_scope = 1),"
     " count(*) FILTER (WHERE status = 1 AND cross_scope = 2),"
     " count(*) FILTER (WHERE status = 1 AND cross_scope = 3),"
     " (SELECT count(*) FROM catalog.bundles b WHERE b.status = 1),"
     " count(*) FILTER (WHERE status = 2) FROM catalog.items",
     0},
    {"rp_exchanges",
     "SELECT count(DISTINCT e.exchange_id) FILTER (WHERE e.direction = 1),"
     " count(*) FILTER (WHERE e.direction = 1),"
     " count(*) FILTER (WHERE e.direction = 1 AND p.stage = 1),"
     " count(*) FILTER (WHERE e.direction = 1 AND p.stage = 4),"
     " count(*) FILTER (WHERE e.direction = 1 AND p.stage = 5),"
     " count(DISTINCT e.exchange_id) FILTER (WHERE e.direction = 2),"
     " count(*) FILTER (WHERE e.direction = 2 AND p.stage IN (3, 5)),"
     " count(*) FILTER (WHERE e.direction = 2 AND p.stage = 4)"
     " FROM xregion.exchanges e JOIN xregion.parts p USING (exchange_id)"
     " WHERE e.created_at_us >= $1::bigint AND e.created_at_us < $2::bigint",
     2},
};

zw_report_ctx_t *zw_report_ctx_new(const char *conninfo, bool simulated, const zw_calendar_t *cal)
{
    zw_report_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->cal = cal;
    ctx->db = zw_db_new(conninfo);
    ctx->clock = !ctx->db ? NULL : simulated ? zw_clock_new_sim(ctx->db) : zw_clock_new_real();
    zw_err_t err;
    bool ok = ctx->db && ctx->clock;
    for (size_t i = 0; ok && i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        ok = zw_db_prepare(ctx->db, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].nparams, &err) == 0;
    if (!ok)
        zw_report_ctx_destroy(&ctx);
    return ctx;
}

void zw_report_ctx_destroy(zw_report_ctx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_clock_destroy(&(*self_p)->clock);
    zw_db_destroy(&(*self_p)->db);
    free(*self_p);
    *self_p = NULL;
}

/* ------------------------------------------------------------------ figures */

#define S_MAX_DEPTS 256
#define S_CHANNELS 6

typedef struct {
    char code[64], name[128];
    Zwfw__V1__ApplicationFigures apps;
    Zwfw__V1__RatingFigures ratings;
    Zwfw__V1__AlarmFigures alarms;
    int64_t channels[S_CHANNELS];
    Zwfw__V1__ChannelCount cc[S_CHANNELS];
    Zwfw__V1__ChannelCount *ccp[S_CHANNELS];
    Zwfw__V1__DepartmentFigures msg;
} s_dept_t;

typedef struct {
    s_dept_t *d;
    size_t n;
    bool truncated;
} s_depts_t;

static s_dept_t *s_dept(s_depts_t *ds, const char *code, const char *name)
{
    for (size_t i = 0; i < ds->n; i++)
        if (strcmp(ds->d[i].code, code) == 0) {
            if (!ds->d[i].name[0] && name)
                snprintf(ds->d[i].name, sizeof ds->d[i].name, "%s", name);
            return &ds->d[i];
        }
    if (ds->n == S_MAX_DEPTS) {
        ds->truncated = true;
        return NULL;
    }
    s_dept_t *d = &ds->d[ds->n++];
    memset(d, 0, sizeof *d);
    snprintf(d->code, sizeof d->code, "%s", code);
    snprintf(d->name, sizeof d->name, "%s", name ? name : "");
    zwfw__v1__application_figures__init(&d->apps);
    zwfw__v1__rating_figures__init(&d->ratings);
    zwfw__v1__alarm_figures__init(&d->alarms);
    return d;
}

static int64_t s_col(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/* Rates and channel lists once the counts are in. */
static void s_finish_apps(Zwfw__V1__ApplicationFigures *a, const int64_t *channels,
                          Zwfw__V1__ChannelCount *cc, Zwfw__V1__ChannelCount **ccp)
{
    a->on_the_spot_rate = a->accepted ? (double) a->immediate_finished / (double) a->accepted : 0;
    a->n_by_channel = 0;
    for (int c = 0; c < S_CHANNELS; c++) {
        if (!channels[c])
            continue;
        zwfw__v1__channel_count__init(&cc[a->n_by_channel]);
        cc[a->n_by_channel].channel = (Zwfw__V1__Channel) (c + 1);
        cc[a->n_by_channel].count = channels[c];
        ccp[a->n_by_channel] = &cc[a->n_by_channel];
        a->n_by_channel++;
    }
    a->by_channel = ccp;
}

static void s_finish_ratings(Zwfw__V1__RatingFigures *r)
{
    r->satisfaction = r->ratings ? (double) r->good / (double) r->ratings : 0;
    r->rectification_rate = r->bad ? (double) r->bad_closed_in_time / (double) r->bad : 1;
}

static int s_cmp_dept(const void *a, const void *b)
{
    return strcmp(((const s_dept_t *) a)->code, ((const s_dept_t *) b)->code);
}

static int s_query(zw_report_ctx_t *ctx, const char *name, const char *const *p, int n,
                   PGresult **res, zw_err_t *err)
{
    *res = zw_db_exec(ctx->db, name, n, p, err);
    return *res ? 0 : -1;
}

static void s_report(zw_report_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    const Zwfw__V1__Caller *c = req->caller;
    if (zw_access_require(c,
                          ZW_ROLE_MASK_SUPERVISOR | ZW_ROLE_MASK_SYSTEM | ZW_ROLE_MASK_HEAD |
                              ZW_ROLE_MASK_APPROVER,
                          NULL, "read supervision reports", &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    Zwfw__V1__PeriodReport *m = (Zwfw__V1__PeriodReport *) zw_request_unpack(
        req, &zwfw__v1__period_report__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    PGresult *res[7] = {NULL};
    s_depts_t ds = {.d = calloc(S_MAX_DEPTS, sizeof(s_dept_t))};
    Zwfw__V1__DepartmentFigures **dp = NULL;
    const char *dept = m->department_code;
    bool dept_bound =
        c->role == ZWFW__V1__ROLE__ROLE_HEAD || c->role == ZWFW__V1__ROLE__ROLE_APPROVER;
    if (dept_bound) {
        if (*dept && strcmp(dept, c->department ? c->department : "") != 0) {
            zw_err_setd(&err, ZW_PERMISSION_DENIED, "department",
                        "department %s may not read department %s's report",
                        c->department && *c->department ? c->department : "(none)", dept);
            goto fail;
        }
        dept = c->department && *c->department ? c->department : "(none)";
    } else if (strlen(dept) > 64) {
        zw_err_setd(&err, ZW_INVALID_ARGUMENT, "department_code",
                    "department_code is longer than 64 bytes");
        goto fail;
    }
    zw_report_period_t per;
    zw_date_t date =
        m->date ? (zw_date_t){m->date->year, m->date->month, m->date->day} : (zw_date_t){0, 0, 0};
    if (!m->date && m->kind >= 1 && m->kind <= 5) {
        zw_err_setd(&err, ZW_INVALID_ARGUMENT, "date", "date is required: a day in the period");
        goto fail;
    }
    if (zw_report_period((int) m->kind, date, &per, &err) != 0)
        goto fail;
    if (!ds.d) {
        zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    int64_t now;
    if (zw_clock_now(ctx->clock, &now, &err) != 0)
        goto fail;
    zw_date_t today;
    if (zw_moment_local(now / ZW_US_PER_SEC, &today, NULL, &err) != 0)
        goto fail;
    char b[4][32], fd[ZW_DATE_STRLEN], td[ZW_DATE_STRLEN];
    snprintf(b[0], 32, "%" PRId64, zw_moment_make(per.from, 0) * ZW_US_PER_SEC);
    snprintf(b[1], 32, "%" PRId64,
             zw_moment_make(zw_date_from_days(zw_date_to_days(per.to) + 1), 0) * ZW_US_PER_SEC);
    snprintf(b[2], 32, "%" PRId64, now);
    const char *span[] = {b[0], b[1], dept};
    const char *days[] = {zw_date_format(per.from, fd), zw_date_format(per.to, td), dept};
    const char *at[] = {b[0], b[1], dept, b[2]};
    if (s_query(ctx, "rp_apps", span, 3, &res[0], &err) != 0 ||
        s_query(ctx, "rp_done", span, 3, &res[1], &err) != 0 ||
        s_query(ctx, "rp_overdue", at, 4, &res[2], &err) != 0 ||
        s_query(ctx, "rp_ratings", days, 3, &res[3], &err) != 0 ||
        s_query(ctx, "rp_alarms", span, 3, &res[4], &err) != 0 ||
        (!*dept && s_query(ctx, "rp_catalog", NULL, 0, &res[5], &err) != 0) ||
        (!*dept && s_query(ctx, "rp_exchanges", span, 2, &res[6], &err) != 0))
        goto fail;
    for (int i = 0; i < PQntuples(res[0]); i++) {
        s_dept_t *d = s_dept(&ds, PQgetvalue(res[0], i, 0), PQgetvalue(res[0], i, 1));
        if (!d)
            continue;
        Zwfw__V1__ApplicationFigures *a = &d->apps;
        a->received = s_col(res[0], i, 2);
        a->accepted = s_col(res[0], i, 3);
        a->immediate_finished = s_col(res[0], i, 4);
        a->promised_accepted = s_col(res[0], i, 5);
        a->refused = s_col(res[0], i, 6);
        a->withdrawn = s_col(res[0], i, 7);
        a->deemed_accepted = s_col(res[0], i, 8);
        a->waiver_accepted = s_col(res[0], i, 9);
        a->inter_province = s_col(res[0], i, 10);
        a->chuanyu = s_col(res[0], i, 11);
        a->inter_district = s_col(res[0], i, 12);
        for (int ch = 0; ch < S_CHANNELS; ch++)
            d->channels[ch] = s_col(res[0], i, 13 + ch);
    }
    for (int i = 0; i < PQntuples(res[1]); i++) {
        s_dept_t *d = s_dept(&ds, PQgetvalue(res[1], i, 0), PQgetvalue(res[1], i, 1));
        if (d) {
            d->apps.completed = s_col(res[1], i, 2);
            d->apps.completed_in_time = s_col(res[1], i, 3);
            d->apps.completed_late = s_col(res[1], i, 4);
        }
    }
    for (int i = 0; i < PQntuples(res[2]); i++) {
        s_dept_t *d = s_dept(&ds, PQgetvalue(res[2], i, 0), PQgetvalue(res[2], i, 1));
        if (d)
            d->apps.overdue_open = s_col(res[2], i, 2);
    }
    for (int i = 0; i < PQntuples(res[3]); i++) {
        s_dept_t *d = s_dept(&ds, PQgetvalue(res[3], i, 0), PQgetvalue(res[3], i, 1));
        if (d) {
            d->ratings.ratings = s_col(res[3], i, 2);
            d->ratings.good = s_col(res[3], i, 3);
            d->ratings.bad = s_col(res[3], i, 4);
            d->ratings.bad_closed_in_time = s_col(res[3], i, 5);
            d->ratings.excluded = s_col(res[3], i, 6);
        }
    }
    for (int i = 0; i < PQntuples(res[4]); i++) {
        s_dept_t *d = s_dept(&ds, PQgetvalue(res[4], i, 0), PQgetvalue(res[4], i, 1));
        if (d) {
            d->alarms.warnings = s_col(res[4], i, 2);
            d->alarms.overdue = s_col(res[4], i, 3);
            d->alarms.abnormal = s_col(res[4], i, 4);
        }
    }
    if (ds.truncated) {
        zw_err_set(&err, ZW_RESOURCE_EXHAUSTED,
                   "more than %d departments: ask for one department at a time", S_MAX_DEPTS);
        goto fail;
    }
    qsort(ds.d, ds.n, sizeof *ds.d, s_cmp_dept);
    /* the center: the sum of its departments */
    Zwfw__V1__ApplicationFigures ta = ZWFW__V1__APPLICATION_FIGURES__INIT;
    Zwfw__V1__RatingFigures tr = ZWFW__V1__RATING_FIGURES__INIT;
    Zwfw__V1__AlarmFigures tl = ZWFW__V1__ALARM_FIGURES__INIT;
    int64_t tch[S_CHANNELS] = {0};
    Zwfw__V1__ChannelCount tcc[S_CHANNELS], *tccp[S_CHANNELS];
    dp = calloc(ds.n + 1, sizeof *dp);
    if (!dp) {
        zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < ds.n; i++) {
        s_dept_t *d = &ds.d[i];
        Zwfw__V1__ApplicationFigures *a = &d->apps;
        ta.received += a->received;
        ta.accepted += a->accepted;
        ta.immediate_finished += a->immediate_finished;
        ta.promised_accepted += a->promised_accepted;
        ta.refused += a->refused;
        ta.withdrawn += a->withdrawn;
        ta.deemed_accepted += a->deemed_accepted;
        ta.waiver_accepted += a->waiver_accepted;
        ta.completed += a->completed;
        ta.completed_in_time += a->completed_in_time;
        ta.completed_late += a->completed_late;
        ta.overdue_open += a->overdue_open;
        ta.inter_province += a->inter_province;
        ta.chuanyu += a->chuanyu;
        ta.inter_district += a->inter_district;
        for (int ch = 0; ch < S_CHANNELS; ch++)
            tch[ch] += d->channels[ch];
        tr.ratings += d->ratings.ratings;
        tr.good += d->ratings.good;
        tr.bad += d->ratings.bad;
        tr.bad_closed_in_time += d->ratings.bad_closed_in_time;
        tr.excluded += d->ratings.excluded;
        tl.warnings += d->alarms.warnings;
        tl.overdue += d->alarms.overdue;
        tl.abnormal += d->alarms.abnormal;
        s_finish_apps(a, d->channels, d->cc, d->ccp);
        s_finish_ratings(&d->ratings);
        zwfw__v1__department_figures__init(&d->msg);
        d->msg.department_code = d->code;
        d->msg.department_name = d->name;
        d->msg.applications = &d->apps;
        d->msg.ratings = &d->ratings;
        d->msg.alarms = &d->alarms;
        dp[i] = &d->msg;
    }
    s_finish_apps(&ta, tch, tcc, tccp);
    s_finish_ratings(&tr);
    Zwfw__V1__Period pm = ZWFW__V1__PERIOD__INIT;
    Zwfw__V1__Date pf = ZWFW__V1__DATE__INIT, pt = ZWFW__V1__DATE__INIT;
    pf.year = per.from.year;
    pf.month = per.from.month;
    pf.day = per.from.day;
    pt.year = per.to.year;
    pt.month = per.to.month;
    pt.day = per.to.day;
    pm.kind = (Zwfw__V1__PeriodKind) per.kind;
    pm.from = &pf;
    pm.to = &pt;
    pm.label = per.label;
    pm.complete = zw_date_cmp(today, per.to) > 0;
    /* working days in [from, to]: those after `from`, and `from` itself;
     * 0 when the calendar does not hold the period */
    int wd = 0;
    bool first = false;
    zw_err_t werr;
    if (zw_calendar_workdays_between(ctx->cal, per.from, per.to, &wd, &werr) == 0 &&
        zw_calendar_is_workday(ctx->cal, per.from, &first, &werr) == 0)
        pm.working_days = wd + (first ? 1 : 0);
    Zwfw__V1__Timestamp gen = ZWFW__V1__TIMESTAMP__INIT;
    gen.seconds = now / ZW_US_PER_SEC;
    gen.nanos = (int32_t) (now % ZW_US_PER_SEC) * 1000;
    Zwfw__V1__CatalogFigures cat = ZWFW__V1__CATALOG_FIGURES__INIT;
    Zwfw__V1__PeriodReportReply r = ZWFW__V1__PERIOD_REPORT_REPLY__INIT;
    r.period = &pm;
    r.generated_at = &gen;
    r.department_code = (char *) (*m->department_code || dept_bound ? dept : "");
    r.applications = &ta;
    r.ratings = &tr;
    r.alarms = &tl;
    if (res[5] && PQntuples(res[5]) == 1) {
        cat.items_active = s_col(res[5], 0, 0);
        cat.immediate_items = s_col(res[5], 0, 1);
        cat.promised_items = s_col(res[5], 0, 2);
        cat.inter_province_items = s_col(res[5], 0, 3);
        cat.chuanyu_items = s_col(res[5], 0, 4);
        cat.inter_district_items = s_col(res[5], 0, 5);
        cat.bundles_active = s_col(res[5], 0, 6);
        cat.items_cancelled = s_col(res[5], 0, 7);
        r.catalog = &cat;
    }
    Zwfw__V1__ExchangeFigures xf = ZWFW__V1__EXCHANGE_FIGURES__INIT;
    if (res[6] && PQntuples(res[6]) == 1) {
        xf.forwarded = s_col(res[6], 0, 0);
        xf.forwarded_parts = s_col(res[6], 0, 1);
        xf.forwarded_waiting = s_col(res[6], 0, 2);
        xf.forwarded_rejected = s_col(res[6], 0, 3);
        xf.forwarded_closed = s_col(res[6], 0, 4);
        xf.received = s_col(res[6], 0, 5);
        xf.received_submitted = s_col(res[6], 0, 6);
        xf.received_rejected = s_col(res[6], 0, 7);
        r.exchanges = &xf;
    }
    r.departments = dp;
    r.n_departments = ds.n;
    zw_reply_message(reply, &r.base);
    goto done;
fail:
    zw_reply_err(reply, &err);
done:
    for (int i = 0; i < 7; i++)
        PQclear(res[i]);
    free(dp);
    free(ds.d);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

void zw_report_handle(void *vctx, const zw_request_t *req, zw_reply_t *reply)
{
    if (strcmp(req->type, "zwfw.v1.PeriodReport") == 0)
        s_report(vctx, req, reply);
    else
        zw_worker_reply_unimplemented(req, reply);
}
