/* zwfw-rating's SQL as named prepared statements, and its rows as
 * zwfw.v1 messages (rating.h). Reads of intake's applications go through
 * `intake.applications` read-only: intake owns the table; zwfw-rating
 * never writes it (DESIGN.md "Processes"). */
#include "rating.h"

#include "daemon.h"
#include "idem.h"
#include "rules.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_RATING_COLS                                                                              \
    "r.id, r.receipt_number, r.channel, r.level, r.reason, r.dimensions, r.real_name,"             \
    " r.staff_id, r.rated_at_us, r.submitted_by, r.item_code, r.item_version, r.item_name,"        \
    " r.department_code, r.department_name, r.region, r.app_state, r.app_channel,"                 \
    " r.service_mode, r.excluded,"                                                                 \
    " COALESCE((SELECT json_agg(json_build_array(f.seq, f.text, f.channel, f.at_us)"               \
    " ORDER BY f.seq) FROM rating.follow_ups f WHERE f.rating_id = r.id), '[]'),"                  \
    " COALESCE((SELECT c.id FROM rating.cases c WHERE c.rating_id = r.id), 0)"

#define S_CASE_COLS                                                                                \
    "c.id, c.rating_id, c.receipt_number, c.department_code, c.status, c.opened_at_us,"            \
    " c.due_date, c.workdays, c.callback_required, c.outcome, c.resolution, c.rater_informed,"     \
    " c.closed_at_us, c.closed_day, c.closed_by, c.appeal_status, c.appeal_reason, c.appeal_by,"   \
    " c.appeal_at_us, c.appeal_note, c.appeal_decided_by, c.appeal_decided_at_us,"                 \
    " COALESCE((SELECT json_agg(json_build_array(b.seq, b.at_us, b.actor, b.reached, b.note)"      \
    " ORDER BY b.seq) FROM rating.callbacks b WHERE b.case_id = c.id), '[]')"

typedef struct {
    const char *name, *sql;
    int nparams;
} s_stmt_t;

/* A bundle's parent has no department of its own: the rating goes to the
 * department of its first child, which answers for the 一件事. */
static const s_stmt_t s_stmts[] = {
    {"rt_app",
     "SELECT a.item_code, a.item_version, a.item_name,"
     " COALESCE(NULLIF(a.department_code, ''), (SELECT c.department_code FROM"
     " intake.applications c WHERE c.parent_receipt = a.receipt_number"
     " ORDER BY c.receipt_number LIMIT 1), ''),"
     " COALESCE(NULLIF(a.department_name, ''), (SELECT c.department_name FROM"
     " intake.applications c WHERE c.parent_receipt = a.receipt_number"
     " ORDER BY c.receipt_number LIMIT 1), ''),"
     " a.region, a.state, a.channel, a.window_id, a.submitter"
     " FROM intake.applications a WHERE a.receipt_number = $1",
     1},
    {"rt_rating_id", "SELECT " S_RATING_COLS " FROM rating.ratings r WHERE r.id = $1::bigint", 1},
    {"rt_rating_id_lock",
     "SELECT " S_RATING_COLS " FROM rating.ratings r WHERE r.id = $1::bigint FOR UPDATE", 1},
    {"rt_rating_rcpt", "SELECT " S_RATING_COLS " FROM rating.ratings r WHERE r.receipt_number = $1",
     1},
    {"rt_case_id", "SELECT " S_CASE_COLS " FROM rating.cases c WHERE c.id = $1::bigint", 1},
    {"rt_case_id_lock",
     "SELECT " S_CASE_COLS " FROM rating.cases c WHERE c.id = $1::bigint FOR UPDATE", 1},
    {"rt_case_rating", "SELECT " S_CASE_COLS " FROM rating.cases c WHERE c.rating_id = $1::bigint",
     1},
    {"rt_rating_insert",
     "INSERT INTO rating.ratings (receipt_number, channel, level, reason, dimensions, real_name,"
     " staff_id, rated_at_us, rated_day, submitted_by, item_code, item_version, item_name,"
     " department_code, department_name, region, app_state, app_channel, service_mode)"
     " VALUES ($1, $2::smallint, $3::smallint, $4, $5::smallint[], $6::boolean, $7, $8::bigint,"
     " $9::date, $10, $11, $12::integer, $13, $14, $15, $16, $17::smallint, $18::smallint,"
     " $19::smallint) ON CONFLICT (receipt_number) DO NOTHING RETURNING id",
     19},
    {"rt_case_insert",
     "INSERT INTO rating.cases (rating_id, receipt_number, department_code, opened_at_us,"
     " due_date, workdays, callback_required, updated_at_us) VALUES ($1::bigint, $2, $3,"
     " $4::bigint, $5::date, $6::integer, $7::boolean, $4::bigint) RETURNING id",
     7},
    {"rt_follow_insert",
     "WITH u AS (UPDATE rating.ratings SET follow_ups = follow_ups + 1"
     " WHERE id = $1::bigint AND follow_ups < $5::integer RETURNING follow_ups)"
     " INSERT INTO rating.follow_ups (rating_id, seq, text, channel, at_us)"
     " SELECT $1::bigint, u.follow_ups, $2, $3::smallint, $4::bigint FROM u RETURNING seq",
     5},
    {"rt_callback_insert",
     "INSERT INTO rating.callbacks (case_id, seq, at_us, actor, reached, note)"
     " SELECT $1::bigint, COALESCE(max(seq), 0) + 1, $2::bigint, $3, $4::boolean, $5"
     " FROM rating.callbacks WHERE case_id = $1::bigint",
     5},
    /* Copies of one request serialize on the row they change, before
     * they look their key up: the later one then finds the first's reply. */
    {"rt_lock_case", "SELECT 1 FROM rating.cases WHERE id = $1::bigint FOR UPDATE", 1},
    {"rt_lock_rating", "SELECT 1 FROM rating.ratings WHERE id = $1::bigint FOR UPDATE", 1},
    {"rt_case_touch", "UPDATE rating.cases SET updated_at_us = $2::bigint WHERE id = $1::bigint",
     2},
    {"rt_case_close",
     "UPDATE rating.cases SET status = 2, outcome = $2::smallint, resolution = $3,"
     " rater_informed = true, closed_at_us = $4::bigint, closed_day = $5::date, closed_by = $6,"
     " updated_at_us = $4::bigint WHERE id = $1::bigint",
     6},
    {"rt_appeal_file",
     "UPDATE rating.cases SET appeal_status = 1, appeal_reason = $2, appeal_by = $3,"
     " appeal_at_us = $4::bigint, updated_at_us = $4::bigint WHERE id = $1::bigint",
     4},
    {"rt_appeal_decide",
     "UPDATE rating.cases SET appeal_status = CASE WHEN $2::boolean THEN 2 ELSE 3 END,"
     " appeal_note = $3, appeal_decided_by = $4, appeal_decided_at_us = $5::bigint,"
     " status = CASE WHEN $2::boolean THEN 3 ELSE status END,"
     " closed_at_us = CASE WHEN $2::boolean THEN $5::bigint ELSE closed_at_us END,"
     " closed_day = CASE WHEN $2::boolean THEN $6::date ELSE closed_day END,"
     " closed_by = CASE WHEN $2::boolean THEN $4 ELSE closed_by END,"
     " updated_at_us = $5::bigint WHERE id = $1::bigint",
     6},
    {"rt_rating_exclude", "UPDATE rating.ratings SET excluded = true WHERE id = $1::bigint", 1},
    /* Newest first; every filter is optional (empty, 0 or NULL). */
    {"rt_list_ratings",
     "SELECT r.id FROM rating.ratings r WHERE ($1 = '' OR r.department_code = $1)"
     " AND ($2 = '' OR r.item_code = $2) AND ($3::smallint = 0 OR r.channel = $3::smallint)"
     " AND (NOT $4::boolean OR r.level <= 2) AND ($5::date IS NULL OR r.rated_day >= $5::date)"
     " AND ($6::date IS NULL OR r.rated_day <= $6::date) AND ($7 = '' OR r.submitted_by = $7)"
     " AND ($8 = '' OR left(r.region, length($8)) = $8) AND ($9::bigint = 0 OR r.id < $9::bigint)"
     " ORDER BY r.id DESC LIMIT $10::integer",
     10},
    {"rt_list_cases",
     "SELECT c.id FROM rating.cases c WHERE ($1 = '' OR c.department_code = $1)"
     " AND ($2::smallint = 0 OR c.status = $2::smallint)"
     " AND (NOT $3::boolean OR (c.status = 1 AND c.due_date < $4::date))"
     " AND ($5::bigint = 0 OR c.id < $5::bigint) ORDER BY c.id DESC LIMIT $6::integer",
     6},
    {"rt_stats",
     "SELECT count(*) FILTER (WHERE NOT r.excluded),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level = 1),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level = 2),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level = 3),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level = 4),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level = 5),"
     " count(*) FILTER (WHERE r.excluded),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level <= 2 AND c.status = 2"
     " AND c.closed_day <= c.due_date),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level <= 2 AND c.status = 1),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level <= 2 AND c.status = 1"
     " AND c.due_date < $4::date),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level <= 2 AND r.real_name),"
     " count(*) FILTER (WHERE NOT r.excluded AND r.level <= 2 AND r.real_name AND EXISTS"
     " (SELECT 1 FROM rating.callbacks b WHERE b.case_id = c.id))"
     " FROM rating.ratings r LEFT JOIN rating.cases c ON c.rating_id = r.id"
     " WHERE r.rated_day BETWEEN $1::date AND $2::date AND ($3 = '' OR r.department_code = $3)",
     4},
    /* Applications intake received in [from, to): a bundle's parent is
     * not one more application (its children are counted). */
    {"rt_apps_count",
     "SELECT count(*) FROM intake.applications a WHERE a.received_at_us >= $1::bigint"
     " AND a.received_at_us < $2::bigint AND NOT (a.bundle_code <> '' AND a.parent_receipt IS NULL)"
     " AND ($3 = '' OR a.department_code = $3)",
     3},
    {"rt_sweep_due",
     "SELECT c.id FROM rating.cases c WHERE c.status = 1 AND NOT c.overdue_raised"
     " AND c.due_date < $1::date ORDER BY c.due_date, c.id LIMIT $2::integer"
     " FOR UPDATE SKIP LOCKED",
     2},
    {"rt_case_overdue_mark", "UPDATE rating.cases SET overdue_raised = true WHERE id = $1::bigint",
     1},
};

int zw_rating_store_prepare(zw_db_t *db, zw_err_t *err)
{
    for (size_t i = 0; i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        if (zw_db_prepare(db, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].nparams, err) != 0)
            return -1;
    return zw_idem_prepare(db, ZW_RATING_REQUESTS, err);
}

/* ------------------------------------------------------------------ context */

zw_rating_ctx_t *zw_rating_ctx_new(const char *conninfo, bool simulated,
                                   const zw_rating_settings_t *settings)
{
    zw_rating_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->settings = settings;
    if (zw_daemon_ctx_open(conninfo, simulated, zw_rating_store_prepare, &ctx->db, &ctx->clock) < 0)
        zw_rating_ctx_destroy(&ctx);
    return ctx;
}

void zw_rating_ctx_destroy(zw_rating_ctx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_daemon_ctx_close(&(*self_p)->db, &(*self_p)->clock);
    free(*self_p);
    *self_p = NULL;
}

/* ------------------------------------------------------------------ arena */

Zwfw__V1__Timestamp *zw_rating_arena_ts(zw_rating_arena_t *a, int64_t us)
{
    return us < 0 ? NULL : zw_arena_ts(a, us);
}

Zwfw__V1__Date *zw_rating_arena_date(zw_rating_arena_t *a, zw_date_t d)
{
    if (!zw_date_valid(d))
        return NULL;
    Zwfw__V1__Date *m = zw_rating_arena_alloc(a, sizeof *m);
    if (!m)
        return NULL;
    zwfw__v1__date__init(m);
    m->year = d.year;
    m->month = d.month;
    m->day = d.day;
    return m;
}

/* ------------------------------------------------------------------ helpers */

static int64_t s_i64(const PGresult *res, int row, int col, int64_t null_value)
{
    if (PQgetisnull(res, row, col))
        return null_value;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool s_bool(const PGresult *res, int row, int col)
{
    return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

static zw_date_t s_date(const PGresult *res, int row, int col)
{
    zw_date_t d = {0, 0, 0};
    if (!PQgetisnull(res, row, col) && zw_date_parse(PQgetvalue(res, row, col), &d, NULL) != 0)
        d = (zw_date_t){0, 0, 0};
    return d;
}

static char *s_str(zw_rating_arena_t *a, const PGresult *res, int row, int col)
{
    return zw_rating_arena_strdup(a, PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

static char *s_dup(const PGresult *res, int row, int col)
{
    return strdup(PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}

/* ------------------------------------------------------------------ applications */

void zw_rating_app_clear(zw_rating_app_t *app)
{
    free(app->item_code);
    free(app->item_name);
    free(app->department_code);
    free(app->department_name);
    free(app->region);
    free(app->window_id);
    free(app->submitter);
    memset(app, 0, sizeof *app);
}

int zw_rating_store_app(zw_db_t *db, const char *receipt, zw_rating_app_t *app, zw_err_t *err)
{
    memset(app, 0, sizeof *app);
    const char *p[] = {receipt};
    PGresult *res = zw_db_exec(db, "rt_app", 1, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return zw_err_setd(err, ZW_NOT_FOUND, "receipt_number", "no application %s", receipt);
    }
    app->item_code = s_dup(res, 0, 0);
    app->item_version = (int) s_i64(res, 0, 1, 0);
    app->item_name = s_dup(res, 0, 2);
    app->department_code = s_dup(res, 0, 3);
    app->department_name = s_dup(res, 0, 4);
    app->region = s_dup(res, 0, 5);
    app->state = (int) s_i64(res, 0, 6, 0);
    app->channel = (int) s_i64(res, 0, 7, 0);
    app->window_id = s_dup(res, 0, 8);
    app->submitter = s_dup(res, 0, 9);
    PQclear(res);
    if (!app->item_code || !app->item_name || !app->department_code || !app->department_name ||
        !app->region || !app->window_id || !app->submitter) {
        zw_rating_app_clear(app);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    return 0;
}

/* ------------------------------------------------------------------ ratings */

/* "{1,5,3,4}": dimension, level pairs. */
static int s_dimensions(zw_rating_arena_t *a, const char *text, Zwfw__V1__Rating *r)
{
    int v[16], n = 0;
    for (const char *p = text; *p && n < 16;) {
        if (*p >= '0' && *p <= '9') {
            char *end;
            v[n++] = (int) strtol(p, &end, 10);
            p = end;
        } else {
            p++;
        }
    }
    r->n_dimensions = 0;
    r->dimensions = zw_rating_arena_alloc(a, (size_t) (n / 2 + 1) * sizeof *r->dimensions);
    if (!r->dimensions)
        return -1;
    for (int i = 0; i + 1 < n; i += 2) {
        Zwfw__V1__DimensionScore *d = zw_rating_arena_alloc(a, sizeof *d);
        if (!d)
            return -1;
        zwfw__v1__dimension_score__init(d);
        d->dimension = (Zwfw__V1__RatingDimension) v[i];
        d->level = (Zwfw__V1__RatingLevel) v[i + 1];
        r->dimensions[r->n_dimensions++] = d;
    }
    return 0;
}

static int s_follow_ups(zw_rating_arena_t *a, const char *json, Zwfw__V1__Rating *r)
{
    cJSON *arr = cJSON_Parse(json);
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    r->n_follow_ups = 0;
    r->follow_ups = zw_rating_arena_alloc(a, (size_t) (n + 1) * sizeof *r->follow_ups);
    int rc = r->follow_ups ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        cJSON *row = cJSON_GetArrayItem(arr, i);
        Zwfw__V1__FollowUp *f = zw_rating_arena_alloc(a, sizeof *f);
        if (!f) {
            rc = -1;
            break;
        }
        zwfw__v1__follow_up__init(f);
        f->seq = (int64_t) cJSON_GetNumberValue(cJSON_GetArrayItem(row, 0));
        const char *text = cJSON_GetStringValue(cJSON_GetArrayItem(row, 1));
        f->text = zw_rating_arena_strdup(a, text ? text : "");
        f->channel = (Zwfw__V1__RatingChannel) cJSON_GetNumberValue(cJSON_GetArrayItem(row, 2));
        f->at = zw_rating_arena_ts(a, (int64_t) cJSON_GetNumberValue(cJSON_GetArrayItem(row, 3)));
        if (!f->text)
            rc = -1;
        r->follow_ups[r->n_follow_ups++] = f;
    }
    cJSON_Delete(arr);
    return rc;
}

int zw_rating_store_rating(zw_db_t *db, zw_rating_arena_t *a, int64_t id, const char *receipt,
                           bool lock, Zwfw__V1__Rating **out, zw_err_t *err)
{
    *out = NULL;
    char idt[32];
    snprintf(idt, sizeof idt, "%" PRId64, id);
    const char *p[] = {id > 0 ? idt : receipt};
    PGresult *res = zw_db_exec(
        db, id > 0 ? (lock ? "rt_rating_id_lock" : "rt_rating_id") : "rt_rating_rcpt", 1, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }
    Zwfw__V1__Rating *r = zw_rating_arena_alloc(a, sizeof *r);
    if (!r) {
        PQclear(res);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    zwfw__v1__rating__init(r);
    r->rating_id = s_i64(res, 0, 0, 0);
    r->receipt_number = s_str(a, res, 0, 1);
    r->channel = (Zwfw__V1__RatingChannel) s_i64(res, 0, 2, 0);
    r->level = (Zwfw__V1__RatingLevel) s_i64(res, 0, 3, 0);
    r->bad = zw_rating_is_bad(r->level);
    r->reason = s_str(a, res, 0, 4);
    int rc = s_dimensions(a, PQgetvalue(res, 0, 5), r);
    r->real_name = s_bool(res, 0, 6);
    r->staff_id = s_str(a, res, 0, 7);
    r->rated_at = zw_rating_arena_ts(a, s_i64(res, 0, 8, -1));
    r->submitted_by = s_str(a, res, 0, 9);
    r->item_code = s_str(a, res, 0, 10);
    r->item_version = (int32_t) s_i64(res, 0, 11, 0);
    r->item_name = s_str(a, res, 0, 12);
    r->department_code = s_str(a, res, 0, 13);
    r->department_name = s_str(a, res, 0, 14);
    r->region_code = s_str(a, res, 0, 15);
    r->application_state = (Zwfw__V1__ApplicationState) s_i64(res, 0, 16, 0);
    r->application_channel = (Zwfw__V1__Channel) s_i64(res, 0, 17, 0);
    r->service_mode = (Zwfw__V1__ServiceMode) s_i64(res, 0, 18, 0);
    r->excluded = s_bool(res, 0, 19);
    if (rc == 0)
        rc = s_follow_ups(a, PQgetvalue(res, 0, 20), r);
    r->case_id = s_i64(res, 0, 21, 0);
    PQclear(res);
    if (rc != 0 || !r->receipt_number || !r->reason || !r->staff_id || !r->rated_at ||
        !r->submitted_by || !r->item_code || !r->item_name || !r->department_code ||
        !r->department_name || !r->region_code)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    *out = r;
    return 0;
}

/* ------------------------------------------------------------------ cases */

static int s_callbacks(zw_rating_arena_t *a, const char *json, Zwfw__V1__RectificationCase *c)
{
    cJSON *arr = cJSON_Parse(json);
    int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
    c->n_callbacks = 0;
    c->callbacks = zw_rating_arena_alloc(a, (size_t) (n + 1) * sizeof *c->callbacks);
    int rc = c->callbacks ? 0 : -1;
    for (int i = 0; rc == 0 && i < n; i++) {
        cJSON *row = cJSON_GetArrayItem(arr, i);
        Zwfw__V1__Callback *b = zw_rating_arena_alloc(a, sizeof *b);
        if (!b) {
            rc = -1;
            break;
        }
        zwfw__v1__callback__init(b);
        b->at = zw_rating_arena_ts(a, (int64_t) cJSON_GetNumberValue(cJSON_GetArrayItem(row, 1)));
        const char *actor = cJSON_GetStringValue(cJSON_GetArrayItem(row, 2));
        b->actor = zw_rating_arena_strdup(a, actor ? actor : "");
        b->reached = cJSON_IsTrue(cJSON_GetArrayItem(row, 3));
        const char *note = cJSON_GetStringValue(cJSON_GetArrayItem(row, 4));
        b->note = zw_rating_arena_strdup(a, note ? note : "");
        if (!b->actor || !b->note)
            rc = -1;
        c->callbacks[c->n_callbacks++] = b;
    }
    cJSON_Delete(arr);
    return rc;
}

int zw_rating_store_case(zw_db_t *db, zw_rating_arena_t *a, int64_t case_id, int64_t rating_id,
                         zw_date_t today, bool lock, Zwfw__V1__RectificationCase **out,
                         zw_err_t *err)
{
    *out = NULL;
    char idt[32];
    snprintf(idt, sizeof idt, "%" PRId64, case_id > 0 ? case_id : rating_id);
    const char *p[] = {idt};
    PGresult *res = zw_db_exec(
        db, case_id > 0 ? (lock ? "rt_case_id_lock" : "rt_case_id") : "rt_case_rating", 1, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }
    Zwfw__V1__RectificationCase *c = zw_rating_arena_alloc(a, sizeof *c);
    Zwfw__V1__Appeal *ap = zw_rating_arena_alloc(a, sizeof *ap);
    if (!c || !ap) {
        PQclear(res);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    zwfw__v1__rectification_case__init(c);
    zwfw__v1__appeal__init(ap);
    c->case_id = s_i64(res, 0, 0, 0);
    c->rating_id = s_i64(res, 0, 1, 0);
    c->receipt_number = s_str(a, res, 0, 2);
    c->department_code = s_str(a, res, 0, 3);
    c->status = (Zwfw__V1__CaseStatus) s_i64(res, 0, 4, 0);
    c->opened_at = zw_rating_arena_ts(a, s_i64(res, 0, 5, -1));
    zw_date_t due = s_date(res, 0, 6);
    c->due_date = zw_rating_arena_date(a, due);
    c->workdays = (int32_t) s_i64(res, 0, 7, 0);
    c->callback_required = s_bool(res, 0, 8);
    c->outcome = (Zwfw__V1__CaseOutcome) s_i64(res, 0, 9, 0);
    c->resolution = s_str(a, res, 0, 10);
    c->rater_informed = s_bool(res, 0, 11);
    c->closed_at = zw_rating_arena_ts(a, s_i64(res, 0, 12, -1));
    zw_date_t closed = s_date(res, 0, 13);
    c->closed_by = s_str(a, res, 0, 14);
    ap->status = (Zwfw__V1__AppealStatus) s_i64(res, 0, 15, 0);
    ap->reason = s_str(a, res, 0, 16);
    ap->filed_by = s_str(a, res, 0, 17);
    ap->filed_at = zw_rating_arena_ts(a, s_i64(res, 0, 18, -1));
    ap->decision_note = s_str(a, res, 0, 19);
    ap->decided_by = s_str(a, res, 0, 20);
    ap->decided_at = zw_rating_arena_ts(a, s_i64(res, 0, 21, -1));
    c->appeal = ap->status ? ap : NULL; /* no appeal filed: none shown */
    int rc = s_callbacks(a, PQgetvalue(res, 0, 22), c);
    PQclear(res);
    if (c->status == ZWFW__V1__CASE_STATUS__CASE_STATUS_CLOSED && zw_date_valid(closed)) {
        c->closed_in_time = zw_rating_in_time(closed, due);
        c->overdue = !c->closed_in_time;
    } else if (c->status == ZWFW__V1__CASE_STATUS__CASE_STATUS_OPEN) {
        c->overdue = zw_rating_overdue(today, due);
    }
    if (rc != 0 || !c->receipt_number || !c->department_code || !c->opened_at || !c->due_date ||
        !c->resolution || !c->closed_by || !ap->reason || !ap->filed_by || !ap->decision_note ||
        !ap->decided_by)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    *out = c;
    return 0;
}

/* ------------------------------------------------------------------ shared */

zw_date_t zw_rating_day(int64_t us)
{
    zw_date_t d = {0, 0, 0};
    int minute;
    if (zw_moment_local(us / 1000000, &d, &minute, NULL) != 0)
        d = (zw_date_t){0, 0, 0};
    return d;
}

int zw_rating_now(zw_rating_ctx_t *ctx, int64_t *now_us, zw_date_t *today, zw_err_t *err)
{
    if (zw_clock_now(ctx->clock, now_us, err) != 0)
        return -1;
    if (today)
        *today = zw_rating_day(*now_us);
    return 0;
}

const char *zw_rating_date_text(zw_date_t d, char *buf)
{
    return zw_date_format(d, buf);
}
