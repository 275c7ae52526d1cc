/* zwfw.rating reads: ratings and cases one by one and in pages, and the
 * published figures (protocol.md "好差评 ratings"). Who sees what: the
 * supervisor and zwfw's daemons everything; a department's approvers and
 * head their department's; a window its region's ratings; a channel
 * system the ratings it sent. */
#include "rating.h"

#include "access.h"
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void zw_rating_svc_get(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_list(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_get_case(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_list_cases(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_rating_svc_stats(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

#define S_READERS                                                                                  \
    (ZW_ROLE_MASK_SUPERVISOR | ZW_ROLE_MASK_SYSTEM | ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD |   \
     ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_INTEGRATOR)
#define S_CASE_READERS                                                                             \
    (ZW_ROLE_MASK_SUPERVISOR | ZW_ROLE_MASK_SYSTEM | ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD)

static bool s_dept_bound(const Zwfw__V1__Caller *c)
{
    return c->role == ZWFW__V1__ROLE__ROLE_APPROVER || c->role == ZWFW__V1__ROLE__ROLE_HEAD;
}

static const char *s_or_none(const char *s)
{
    return s && *s ? s : "(none)";
}

static bool s_in_region(const char *caller_region, const char *region)
{
    size_t n = strlen(caller_region ? caller_region : "");
    return n > 0 && strncmp(region, caller_region, n) == 0;
}

/* Whether the caller may see this rating (its role already allowed). */
static int s_may_see(const Zwfw__V1__Caller *c, const Zwfw__V1__Rating *r, zw_err_t *err)
{
    if (s_dept_bound(c) && strcmp(c->department ? c->department : "", r->department_code) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                           "department %s may not read department %s's ratings",
                           s_or_none(c->department), s_or_none(r->department_code));
    if (c->role == ZWFW__V1__ROLE__ROLE_WINDOW && !s_in_region(c->region, r->region_code))
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "region",
                           "region %s may not read region %s's ratings", s_or_none(c->region),
                           s_or_none(r->region_code));
    if (c->role == ZWFW__V1__ROLE__ROLE_INTEGRATOR && strcmp(r->submitted_by, c->key_id) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "submitted_by",
                           "rating %" PRId64 " was sent by another channel system", r->rating_id);
    return 0;
}

static bool s_sees_cases(const Zwfw__V1__Caller *c)
{
    return (ZW_ROLE_MASK((unsigned) c->role) & S_CASE_READERS) != 0;
}

static zw_date_t s_date(const Zwfw__V1__Date *d)
{
    return d ? (zw_date_t){d->year, d->month, d->day} : (zw_date_t){0, 0, 0};
}

/* A page token: the last id given and a hash of the query it belongs to. */
static uint32_t s_fnv(uint32_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (uint8_t) *s) * 16777619u;
    return (h ^ 0xffu) * 16777619u;
}

static int s_token_read(const char *token, uint32_t mark, int64_t *after, zw_err_t *err)
{
    *after = 0;
    if (!token || !*token)
        return 0;
    char *end;
    long long id = strtoll(token, &end, 10);
    if (id > 0 && *end == '.' && strtoul(end + 1, &end, 16) == mark && !*end) {
        *after = id;
        return 0;
    }
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, "page_token",
                       "page_token is not one this query gave (ask again without it)");
}

static int s_page_size(int32_t n)
{
    return n <= 0 ? 50 : n > 500 ? 500 : n;
}

/* Where a page starts: after the id of the page token (0 without one),
 * and at most `limit` items; both also as statement parameters. */
typedef struct {
    int limit;
    char after_text[32], limit_text[32];
} s_cursor_t;

static int s_cursor(const char *token, int32_t page_size, uint32_t mark, s_cursor_t *cur,
                    zw_err_t *err)
{
    int64_t after;
    if (s_token_read(token, mark, &after, err) != 0)
        return -1;
    cur->limit = s_page_size(page_size);
    snprintf(cur->after_text, sizeof cur->after_text, "%" PRId64, after);
    snprintf(cur->limit_text, sizeof cur->limit_text, "%d", cur->limit);
    return 0;
}

/* A department-bound caller reads its own department's `what` only: the
 * request's *dept ("" for every department) becomes the caller's. */
static int s_dept_scope(const Zwfw__V1__Caller *c, const char **dept, const char *what,
                        zw_err_t *err)
{
    if (!s_dept_bound(c))
        return 0;
    if (**dept && strcmp(*dept, c->department ? c->department : "") != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                           "department %s may not read department %s's %s",
                           s_or_none(c->department), *dept, what);
    *dept = *c->department ? c->department : "(none)";
    return 0;
}

/* One read in progress: what the driver (s_read) frees after the reply. */
typedef struct {
    zw_rating_ctx_t *ctx;
    const Zwfw__V1__Caller *c;
    zw_rating_arena_t *a; /* NULL when out of memory: a body that needs it says so */
    PGresult *res[2];
    char token[48]; /* the next page's */
} s_read_t;

static int s_no_arena(zw_err_t *err)
{
    return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
}

/* One page: each id the statement gives (column 0) loaded as a message
 * into the arena (*items, *n), and *next the token of the next page (""
 * after the last; in x). */
typedef enum { S_RATINGS, S_CASES } s_kind_t;

static int s_page(s_read_t *x, const char *stmt, int nparams, const char *const *p, s_kind_t kind,
                  const s_cursor_t *cur, uint32_t mark, zw_date_t today, void ***items,
                  size_t *n_items, char **next, zw_err_t *err)
{
    *n_items = 0;
    *next = x->token;
    x->token[0] = '\0';
    if (!(x->res[0] = zw_db_exec(x->ctx->db, stmt, nparams, p, err)))
        return -1;
    int n = PQntuples(x->res[0]);
    if (!(*items = zw_rating_arena_alloc(x->a, (size_t) (n + 1) * sizeof **items)))
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    int64_t last = 0;
    for (int i = 0; i < n; i++) {
        void *one = NULL;
        last = strtoll(PQgetvalue(x->res[0], i, 0), NULL, 10);
        if ((kind == S_RATINGS
                 ? zw_rating_store_rating(x->ctx->db, x->a, last, NULL, false,
                                          (Zwfw__V1__Rating **) &one, err)
                 : zw_rating_store_case(x->ctx->db, x->a, last, 0, today, false,
                                        (Zwfw__V1__RectificationCase **) &one, err)) != 0)
            return -1;
        if (one)
            (*items)[(*n_items)++] = one;
    }
    if (n == cur->limit && n > 0)
        snprintf(x->token, sizeof x->token, "%" PRId64 ".%x", last, mark);
    return 0;
}

/* ------------------------------------------------------------------ GetRating */

static int s_get(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply, zw_err_t *err)
{
    const Zwfw__V1__GetRating *m = (const Zwfw__V1__GetRating *) msg;
    Zwfw__V1__GetRatingReply r = ZWFW__V1__GET_RATING_REPLY__INIT;
    int64_t now;
    zw_date_t today;
    if (m->rating_id <= 0 && !*m->receipt_number)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "rating_id",
                           "name the rating by rating_id or receipt_number");
    if (!x->a)
        return s_no_arena(err);
    if (zw_rating_now(x->ctx, &now, &today, err) != 0 ||
        zw_rating_store_rating(x->ctx->db, x->a, m->rating_id, m->receipt_number, false, &r.rating,
                               err) != 0)
        return -1;
    if (r.rating && m->rating_id > 0 && *m->receipt_number &&
        strcmp(r.rating->receipt_number, m->receipt_number) != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "receipt_number",
                           "rating %" PRId64 " is not of application %s", m->rating_id,
                           m->receipt_number);
    if (!r.rating && m->rating_id > 0)
        return zw_err_setd(err, ZW_NOT_FOUND, "rating_id", "no rating %" PRId64, m->rating_id);
    if (!r.rating)
        return zw_err_setd(err, ZW_NOT_FOUND, "receipt_number", "application %s has no rating",
                           m->receipt_number);
    if (s_may_see(x->c, r.rating, err) != 0)
        return -1;
    if (r.rating->case_id > 0 && s_sees_cases(x->c) &&
        zw_rating_store_case(x->ctx->db, x->a, r.rating->case_id, 0, today, false,
                             &r.rectification_case, err) != 0)
        return -1;
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ ListRatings */

static int s_list(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply, zw_err_t *err)
{
    const Zwfw__V1__ListRatings *m = (const Zwfw__V1__ListRatings *) msg;
    const Zwfw__V1__Caller *c = x->c;
    const char *dept = m->department_code, *submitter = "", *region = "";
    zw_date_t from = s_date(m->from), to = s_date(m->to);
    if (s_dept_scope(c, &dept, "ratings", err) != 0)
        return -1;
    if (c->role == ZWFW__V1__ROLE__ROLE_WINDOW)
        region = *c->region ? c->region : "(none)";
    else if (c->role == ZWFW__V1__ROLE__ROLE_INTEGRATOR)
        submitter = c->key_id;
    if ((m->from && !zw_date_valid(from)) || (m->to && !zw_date_valid(to)))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT,
                           m->from && !zw_date_valid(from) ? "from" : "to", "%s is not a date",
                           m->from && !zw_date_valid(from) ? "from" : "to");
    if (m->from && m->to && zw_date_cmp(from, to) > 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "from", "from is after to");
    if (m->channel < 0 || m->channel > 8)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "channel",
                           "channel %d is not a rating channel", (int) m->channel);
    char fd[ZW_DATE_STRLEN], td[ZW_DATE_STRLEN], channel[32];
    snprintf(channel, sizeof channel, "%d", (int) m->channel);
    uint32_t mark = s_fnv(s_fnv(s_fnv(s_fnv(s_fnv(s_fnv(2166136261u, dept), m->item_code), channel),
                                      m->bad_only ? "b" : ""),
                                m->from ? zw_rating_date_text(from, fd) : ""),
                          m->to ? zw_rating_date_text(to, td) : "");
    mark = s_fnv(s_fnv(mark, submitter), region);
    s_cursor_t cur;
    if (s_cursor(m->page_token, m->page_size, mark, &cur, err) != 0)
        return -1;
    const char *p[] = {dept,
                       m->item_code,
                       channel,
                       m->bad_only ? "true" : "false",
                       m->from ? zw_rating_date_text(from, fd) : NULL,
                       m->to ? zw_rating_date_text(to, td) : NULL,
                       submitter,
                       region,
                       cur.after_text,
                       cur.limit_text};
    if (!x->a)
        return s_no_arena(err);
    Zwfw__V1__ListRatingsReply r = ZWFW__V1__LIST_RATINGS_REPLY__INIT;
    zw_date_t none = {0, 0, 0};
    if (s_page(x, "rt_list_ratings", 10, p, S_RATINGS, &cur, mark, none, (void ***) &r.ratings,
               &r.n_ratings, &r.next_page_token, err) != 0)
        return -1;
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ GetCase */

static int s_get_case(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply, zw_err_t *err)
{
    const Zwfw__V1__GetCase *m = (const Zwfw__V1__GetCase *) msg;
    const Zwfw__V1__Caller *c = x->c;
    Zwfw__V1__GetCaseReply r = ZWFW__V1__GET_CASE_REPLY__INIT;
    int64_t now;
    zw_date_t today;
    if (m->case_id <= 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "case_id", "case_id is required");
    if (!x->a)
        return s_no_arena(err);
    if (zw_rating_now(x->ctx, &now, &today, err) != 0 ||
        zw_rating_store_case(x->ctx->db, x->a, m->case_id, 0, today, false, &r.rectification_case,
                             err) != 0)
        return -1;
    if (!r.rectification_case)
        return zw_err_setd(err, ZW_NOT_FOUND, "case_id", "no case %" PRId64, m->case_id);
    if (s_dept_bound(c) &&
        strcmp(c->department ? c->department : "", r.rectification_case->department_code) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                           "department %s may not read department %s's cases",
                           s_or_none(c->department), r.rectification_case->department_code);
    if (zw_rating_store_rating(x->ctx->db, x->a, r.rectification_case->rating_id, NULL, false,
                               &r.rating, err) != 0)
        return -1;
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ ListCases */

static int s_list_cases(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply, zw_err_t *err)
{
    const Zwfw__V1__ListCases *m = (const Zwfw__V1__ListCases *) msg;
    const char *dept = m->department_code;
    int64_t now;
    zw_date_t today;
    if (s_dept_scope(x->c, &dept, "cases", err) != 0)
        return -1;
    if (m->status < 0 || m->status > 3)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "status", "status %d is not a case status",
                           (int) m->status);
    char status[32], day[ZW_DATE_STRLEN];
    snprintf(status, sizeof status, "%d", (int) m->status);
    uint32_t mark = s_fnv(s_fnv(s_fnv(2166136261u, dept), status), m->overdue_only ? "o" : "");
    if (!x->a)
        return s_no_arena(err);
    s_cursor_t cur;
    if (s_cursor(m->page_token, m->page_size, mark, &cur, err) != 0 ||
        zw_rating_now(x->ctx, &now, &today, err) != 0)
        return -1;
    const char *p[] = {dept,
                       status,
                       m->overdue_only ? "true" : "false",
                       zw_rating_date_text(today, day),
                       cur.after_text,
                       cur.limit_text};
    Zwfw__V1__ListCasesReply r = ZWFW__V1__LIST_CASES_REPLY__INIT;
    if (s_page(x, "rt_list_cases", 6, p, S_CASES, &cur, mark, today, (void ***) &r.cases,
               &r.n_cases, &r.next_page_token, err) != 0)
        return -1;
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ RatingStats */

static int s_stats(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply, zw_err_t *err)
{
    const Zwfw__V1__RatingStats *m = (const Zwfw__V1__RatingStats *) msg;
    const char *dept = m->department_code;
    zw_date_t from = s_date(m->from), to = s_date(m->to), today;
    int64_t now;
    if (s_dept_scope(x->c, &dept, "figures", err) != 0)
        return -1;
    if (!m->from || !zw_date_valid(from))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "from", "from must be a date");
    if (!m->to || !zw_date_valid(to))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "to", "to must be a date");
    int64_t days = zw_date_to_days(to) - zw_date_to_days(from) + 1;
    if (days < 1)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "to", "to is before from");
    if (days > ZW_RATING_STATS_MAX_DAYS)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "to",
                           "a range of %" PRId64 " days: at most %d (a year)", days,
                           ZW_RATING_STATS_MAX_DAYS);
    if (zw_rating_now(x->ctx, &now, &today, err) != 0)
        return -1;
    char fd[ZW_DATE_STRLEN], td[ZW_DATE_STRLEN], nd[ZW_DATE_STRLEN], b[2][32];
    const char *p[] = {zw_rating_date_text(from, fd), zw_rating_date_text(to, td), dept,
                       zw_rating_date_text(today, nd)};
    PGresult *res = x->res[0] = zw_db_exec(x->ctx->db, "rt_stats", 4, p, err);
    if (!res)
        return -1;
    snprintf(b[0], 32, "%" PRId64, zw_moment_make(from, 0) * ZW_US_PER_SEC);
    snprintf(b[1], 32, "%" PRId64,
             zw_moment_make(zw_date_from_days(zw_date_to_days(to) + 1), 0) * ZW_US_PER_SEC);
    const char *q[] = {b[0], b[1], dept};
    PGresult *apps = x->res[1] = zw_db_exec(x->ctx->db, "rt_apps_count", 3, q, err);
    if (!apps)
        return -1;
    int64_t v[12];
    for (int i = 0; i < 12; i++)
        v[i] = strtoll(PQgetvalue(res, 0, i), NULL, 10);
    int64_t by_level[5] = {v[1], v[2], v[3], v[4], v[5]};
    Zwfw__V1__RatingStatsReply r = ZWFW__V1__RATING_STATS_REPLY__INIT;
    r.ratings = v[0];
    r.by_level = by_level;
    r.n_by_level = 5;
    r.bad = v[1] + v[2];
    r.good = v[3] + v[4] + v[5];
    r.satisfaction = r.ratings ? (double) r.good / (double) r.ratings : 0.0;
    r.excluded = v[6];
    r.bad_closed_in_time = v[7];
    r.rectification_rate = r.bad ? (double) r.bad_closed_in_time / (double) r.bad : 1.0;
    r.cases_open = v[8];
    r.cases_overdue = v[9];
    r.real_name_bad = v[10];
    r.real_name_bad_called_back = v[11];
    r.applications = strtoll(PQgetvalue(apps, 0, 0), NULL, 10);
    r.rating_rate = r.applications ? (double) r.ratings / (double) r.applications : 0.0;
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ the driver */

/* A read: who may ask, and its body, which answers the decoded request
 * (0) or fills err (-1) for the driver to answer. */
typedef struct {
    unsigned roles;
    const char *what; /* for the PERMISSION_DENIED message */
    const ProtobufCMessageDescriptor *desc;
    int (*body)(s_read_t *x, const ProtobufCMessage *m, zw_reply_t *reply, zw_err_t *err);
} s_reader_t;

static void s_read(const s_reader_t *t, zw_rating_ctx_t *ctx, const zw_request_t *req,
                   zw_reply_t *reply)
{
    zw_err_t err;
    ProtobufCMessage *m = NULL;
    if (zw_access_require(req->caller, t->roles, NULL, t->what, &err) != 0 ||
        !(m = zw_request_unpack(req, t->desc, &err))) {
        zw_reply_err(reply, &err);
        return;
    }
    s_read_t x = {.ctx = ctx, .c = req->caller, .a = zw_rating_arena_new()};
    if (t->body(&x, m, reply, &err) != 0)
        zw_reply_err(reply, &err);
    PQclear(x.res[0]);
    PQclear(x.res[1]);
    zw_rating_arena_destroy(&x.a);
    protobuf_c_message_free_unpacked(m, NULL);
}

void zw_rating_svc_get(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    static const s_reader_t t = {S_READERS, "read ratings", &zwfw__v1__get_rating__descriptor,
                                 s_get};
    s_read(&t, ctx, req, reply);
}

void zw_rating_svc_list(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    static const s_reader_t t = {S_READERS, "read ratings", &zwfw__v1__list_ratings__descriptor,
                                 s_list};
    s_read(&t, ctx, req, reply);
}

void zw_rating_svc_get_case(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    static const s_reader_t t = {S_CASE_READERS, "read rectification cases",
                                 &zwfw__v1__get_case__descriptor, s_get_case};
    s_read(&t, ctx, req, reply);
}

void zw_rating_svc_list_cases(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    static const s_reader_t t = {S_CASE_READERS, "read rectification cases",
                                 &zwfw__v1__list_cases__descriptor, s_list_cases};
    s_read(&t, ctx, req, reply);
}

void zw_rating_svc_stats(zw_rating_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    static const s_reader_t t = {S_CASE_READERS, "read rating figures",
                                 &zwfw__v1__rating_stats__descriptor, s_stats};
    s_read(&t, ctx, req, reply);
}
