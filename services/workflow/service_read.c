/* zwfw.workflow: the daily scan, alarms and process definitions. */
#include "service.h"

#include "access.h"
#include "audit.h"
#include "log.h"
#include "pbmsg.h"
#include "validate.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which department a supervision read covers: supervisor and system any
 * (`want`, "" = all); approver and head their own only. */
static int s_scope(const Zwfw__V1__Caller *c, const char *want, const char **dept, const char *what,
                   zw_err_t *err)
{
    if (c->role == ZWFW__V1__ROLE__ROLE_SUPERVISOR || c->role == ZWFW__V1__ROLE__ROLE_SYSTEM) {
        *dept = want;
        return 0;
    }
    if (c->role == ZWFW__V1__ROLE__ROLE_APPROVER || c->role == ZWFW__V1__ROLE__ROLE_HEAD) {
        const char *own = *c->department ? c->department : "(none)";
        if (*want && strcmp(want, own) != 0)
            return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                               "department %s may not read department %s's cases", own, want);
        *dept = own;
        return 0;
    }
    return zw_access_require(c,
                             ZW_ROLE_MASK_SUPERVISOR | ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD |
                                 ZW_ROLE_MASK_SYSTEM,
                             NULL, what, err);
}

/* ------------------------------------------------------------------ DailyScan */

static Zwfw__V1__ScanEntry *s_entry(zw_wf_arena_t *a, const PGresult *res, int row, int64_t due,
                                    int64_t remaining)
{
    Zwfw__V1__ScanEntry *e = zw_wf_arena_alloc(a, sizeof *e);
    if (!e)
        return NULL;
    zwfw__v1__scan_entry__init(e);
    e->instance_id = zw_wf_col_i64(res, row, 0);
    e->receipt_number = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 1));
    e->branch = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 3));
    e->clock = (Zwfw__V1__ClockKind) zw_wf_col_i64(res, row, 5);
    e->state = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 8));
    e->item_code = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 9));
    e->due_at = zw_wf_arena_ts(a, due);
    e->remaining_minutes = remaining;
    if (!e->receipt_number || !e->branch || !e->state || !e->item_code)
        return NULL;
    return e;
}

static int s_push(zw_wf_arena_t *a, Zwfw__V1__ScanEntry ***list, size_t *n, size_t cap,
                  Zwfw__V1__ScanEntry *e)
{
    if (!e)
        return -1;
    if (!*list && !(*list = zw_wf_arena_alloc(a, cap * sizeof **list)))
        return -1;
    (*list)[(*n)++] = e;
    return 0;
}

void zw_wf_svc_scan(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__DailyScan *m =
        (Zwfw__V1__DailyScan *) zw_request_unpack(req, &zwfw__v1__daily_scan__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    const char *dept = "";
    int64_t now;
    PGresult *res = NULL;
    zw_wf_arena_t *a = NULL;
    if (s_scope(req->caller, m->department_code, &dept, "read supervision scans", &err) != 0 ||
        zw_wf_svc_now(ctx, &now, &err) != 0 ||
        !(res = zw_wf_store_scan(ctx->db, now, dept, &err))) {
        zw_reply_err(reply, &err);
        goto done;
    }
    int rows = PQntuples(res);
    size_t cap = rows ? (size_t) rows : 1;
    a = zw_wf_arena_new();
    Zwfw__V1__DailyScanReply r = ZWFW__V1__DAILY_SCAN_REPLY__INIT;
    r.at = a ? zw_wf_arena_ts(a, now) : NULL;
    r.departments = a ? zw_wf_arena_alloc(a, cap * sizeof *r.departments) : NULL;
    if (!r.departments)
        goto oom;
    Zwfw__V1__DepartmentScan *cur = NULL;
    const zw_wf_clock_env_t *env = &ctx->settings->clock;
    for (int i = 0; i < rows; i++) {
        const char *d = zw_wf_col_str(res, i, 4);
        int clock = (int) zw_wf_col_i64(res, i, 5);
        int64_t due = zw_wf_col_i64(res, i, 6), minutes = 0;
        if (due == ZW_WF_NONE)
            continue; /* the clock stands: nothing runs out while paused */
        if (!cur || strcmp(cur->department_code, d) != 0) {
            cur = zw_wf_arena_alloc(a, sizeof *cur);
            if (!cur)
                goto oom;
            zwfw__v1__department_scan__init(cur);
            if (!(cur->department_code = zw_wf_arena_strdup(a, d)))
                goto oom;
            r.departments[r.n_departments++] = cur;
        }
        /* Working minutes are best effort here: a date past the calendar
         * leaves them 0 rather than dropping the entry from the scan. */
        if (clock == 0 || due < now) { /* overdue once the due time has passed */
            zw_wf_minutes_between(env, due, now, &minutes, NULL);
            Zwfw__V1__ScanEntry *e = s_entry(a, res, i, due, -minutes);
            if (clock == 0 ? s_push(a, &cur->abnormal, &cur->n_abnormal, cap, e)
                           : s_push(a, &cur->overdue, &cur->n_overdue, cap, e))
                goto oom;
        } else {
            zw_wf_minutes_between(env, now, due, &minutes, NULL);
            if (s_push(a, &cur->near_due, &cur->n_near_due, cap, s_entry(a, res, i, due, minutes)))
                goto oom;
        }
    }
    zw_reply_message(reply, &r.base);
    goto done;
oom:
    zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
done:
    zw_wf_arena_destroy(&a);
    PQclear(res);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ ListAlarms */

void zw_wf_svc_alarms(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__ListAlarms *m =
        (Zwfw__V1__ListAlarms *) zw_request_unpack(req, &zwfw__v1__list_alarms__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    const char *dept = "";
    int limit = m->page_size > 0 ? (m->page_size > 1000 ? 1000 : m->page_size) : 100;
    int64_t after = 0;
    PGresult *res = NULL;
    zw_wf_arena_t *a = NULL;
    if (*m->page_token) {
        char *end;
        after = strtoll(m->page_token, &end, 10);
        if (*end || after <= 0) {
            zw_reply_error(reply, ZW_INVALID_ARGUMENT, "page_token is not one this service gave");
            zw_reply_detail(reply, "detail", "page_token");
            goto done;
        }
    }
    if (s_scope(req->caller, m->department_code, &dept, "read alarms", &err) != 0 ||
        !(res = zw_wf_store_alarms(ctx->db, m->receipt_number, dept, after, limit, &err))) {
        zw_reply_err(reply, &err);
        goto done;
    }
    int rows = PQntuples(res);
    a = zw_wf_arena_new();
    Zwfw__V1__ListAlarmsReply r = ZWFW__V1__LIST_ALARMS_REPLY__INIT;
    r.alarms = a ? zw_wf_arena_alloc(a, (rows ? (size_t) rows : 1) * sizeof *r.alarms) : NULL;
    if (!r.alarms)
        goto oom;
    for (int i = 0; i < rows; i++) {
        Zwfw__V1__Alarm *al = zw_wf_arena_alloc(a, sizeof *al);
        if (!al)
            goto oom;
        zwfw__v1__alarm__init(al);
        al->id = zw_wf_col_i64(res, i, 0);
        al->instance_id = zw_wf_col_i64(res, i, 1);
        al->receipt_number = zw_wf_arena_strdup(a, zw_wf_col_str(res, i, 2));
        al->branch = zw_wf_arena_strdup(a, zw_wf_col_str(res, i, 3));
        al->department_code = zw_wf_arena_strdup(a, zw_wf_col_str(res, i, 4));
        al->kind = (Zwfw__V1__AlarmKind) zw_wf_col_i64(res, i, 5);
        al->clock = (Zwfw__V1__ClockKind) zw_wf_col_i64(res, i, 6);
        al->due_at = zw_wf_arena_ts(a, zw_wf_col_i64(res, i, 7));
        al->raised_at = zw_wf_arena_ts(a, zw_wf_col_i64(res, i, 8));
        al->state = zw_wf_arena_strdup(a, zw_wf_col_str(res, i, 9));
        if (!al->receipt_number || !al->branch || !al->department_code || !al->state)
            goto oom;
        r.alarms[r.n_alarms++] = al;
    }
    char token[32] = "";
    if (rows == limit && rows > 0)
        snprintf(token, sizeof token, "%" PRId64, r.alarms[rows - 1]->id);
    r.next_page_token = token;
    zw_reply_message(reply, &r.base);
    goto done;
oom:
    zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
done:
    zw_wf_arena_destroy(&a);
    PQclear(res);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ------------------------------------------------------------------ definitions */

/* A DefinitionReply for def (json: the text, or NULL) in the arena. */
static Zwfw__V1__DefinitionReply *s_def_reply(zw_wf_arena_t *a, const zw_wf_def_t *def,
                                              const char *json, bool changed)
{
    Zwfw__V1__DefinitionReply *r = zw_wf_arena_alloc(a, sizeof *r);
    if (!r)
        return NULL;
    zwfw__v1__definition_reply__init(r);
    r->code = zw_wf_arena_strdup(a, def->code);
    r->version = def->version;
    r->name = zw_wf_arena_strdup(a, def->name);
    r->json = zw_wf_arena_strdup(a, json ? json : "");
    r->changed = changed;
    r->is_default = def->is_default;
    r->items = zw_wf_arena_alloc(a, (def->nitems ? def->nitems : 1) * sizeof *r->items);
    if (!r->code || !r->name || !r->json || !r->items)
        return NULL;
    for (size_t i = 0; i < def->nitems; i++)
        if (!(r->items[r->n_items++] = zw_wf_arena_strdup(a, def->items[i])))
            return NULL;
    return r;
}

/* What a new definition must satisfy beyond its graph: limits held as
 * StartProcess holds them, with this daemon's working day. */
static int s_check_limits(zw_wf_ctx_t *ctx, const zw_wf_def_t *def, zw_err_t *err)
{
    return zw_wf_def_check_limits(def, zw_workhours_minutes_per_day(&ctx->settings->clock.hours),
                                  err);
}

/* ValidateDefinition: parses and checks, stores nothing. */
void zw_wf_svc_validate_definition(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__ValidateDefinition *v = (Zwfw__V1__ValidateDefinition *) zw_request_unpack(
        req, &zwfw__v1__validate_definition__descriptor, &err);
    if (!v) {
        zw_reply_err(reply, &err);
        return;
    }
    zw_wf_arena_t *a = NULL;
    zw_wf_def_t *def = zw_wf_def_parse(v->json, strlen(v->json), &err);
    Zwfw__V1__DefinitionReply *r = NULL;
    if (!def || s_check_limits(ctx, def, &err) != 0)
        zw_reply_err(reply, &err);
    else if (!(a = zw_wf_arena_new()) || !(r = s_def_reply(a, def, NULL, false)))
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
    else
        zw_reply_message(reply, &r->base);
    zw_wf_arena_destroy(&a);
    zw_wf_def_destroy(&def);
    protobuf_c_message_free_unpacked(&v->base, NULL);
}

typedef struct {
    const zw_request_t *req;
    const char *key;
    const zw_wf_def_t *def;
    const char *json, *actor;
    int64_t now;
    char digest[ZW_AUDIT_HASH_LEN + 1];
    bool created, replayed;
    uint8_t *out; /* the DefinitionReply, as stored under the key */
    size_t out_len;
} s_put_t;

static int s_put_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_put_t *p = arg;
    const char *caller = p->req->caller->key_id;
    free(p->out);
    p->out = NULL;
    p->created = p->replayed = false;
    /* A definition has no row to lock before the key is looked up (as an
     * instance has for Act), so the key is claimed first: a concurrent
     * copy of this request waits on the claim, then finds the first reply
     * (or, if that one rolled back, claims the key itself). */
    bool claimed = false;
    if (zw_wf_store_request_claim(db, caller, p->key, p->req->type, p->digest, p->now, &claimed,
                                  err) != 0)
        return -1;
    if (!claimed) {
        if (zw_wf_svc_replay(db, p->req, p->key, p->digest, &p->out, &p->out_len, err) != 0)
            return -1;
        if (!p->out) /* nothing deletes requests; run the body again if it ever does */
            return zw_err_set(err, ZW_ABORTED, "idempotency key %s changed hands; try again",
                              p->key);
        p->replayed = true;
        return 0;
    }
    if (zw_wf_store_def_put(db, p->def, p->json, p->actor, p->now, &p->created, err) != 0)
        return -1;
    zw_wf_arena_t *a = zw_wf_arena_new();
    Zwfw__V1__DefinitionReply *r = a ? s_def_reply(a, p->def, NULL, p->created) : NULL;
    p->out = r ? zw_pbmsg_pack(&r->base, &p->out_len) : NULL;
    zw_wf_arena_destroy(&a);
    if (!p->out)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    return zw_wf_store_request_finish(db, caller, p->key, p->out, p->out_len, err);
}

/* PutDefinition: stores a new definition (or finds the same text in
 * force) once per idempotency key, as every mutating request does. */
void zw_wf_svc_put_definition(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    if (zw_access_require(req->caller, ZW_ROLE_MASK_OPERATOR, NULL, "load process definitions",
                          &err) != 0) {
        zw_reply_err(reply, &err);
        return;
    }
    Zwfw__V1__PutDefinition *m = (Zwfw__V1__PutDefinition *) zw_request_unpack(
        req, &zwfw__v1__put_definition__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    s_put_t x = {.req = req,
                 .key = m->idempotency_key,
                 .json = m->json,
                 .actor = *m->actor ? m->actor : req->caller->key_id};
    zw_wf_def_t *def = NULL;
    if (zw_wf_svc_check_key(m->idempotency_key, &err) != 0 ||
        (*m->actor && zw_validate_actor(m->actor, &err) != 0) ||
        !(def = zw_wf_def_parse(m->json, strlen(m->json), &err)) ||
        s_check_limits(ctx, def, &err) != 0 || zw_wf_svc_now(ctx, &x.now, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    x.def = def;
    zw_audit_digest(req->data, req->len, x.digest);
    if (zw_db_tx(ctx->db, false, s_put_tx, &x, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (!x.replayed) {
        char version[16];
        snprintf(version, sizeof version, "%d", def->version);
        zw_logkv(ZW_LOG_INFO, x.created ? "definition stored" : "definition already in force",
                 "code", def->code, "version", version, "actor", x.actor, NULL);
    }
    zw_reply_bytes(reply, "zwfw.v1.DefinitionReply", x.out, x.out_len);
done:
    free(x.out);
    zw_wf_def_destroy(&def);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

void zw_wf_svc_get_definition(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    Zwfw__V1__GetDefinition *m = (Zwfw__V1__GetDefinition *) zw_request_unpack(
        req, &zwfw__v1__get_definition__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    char *body = NULL;
    int version = 0;
    zw_wf_arena_t *a = NULL;
    zw_wf_def_t *def = NULL;
    if (zw_wf_store_def_get(ctx->db, m->code, m->version, &body, &version, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    def = zw_wf_def_parse(body, strlen(body), &err);
    a = zw_wf_arena_new();
    Zwfw__V1__DefinitionReply *r = NULL;
    if (def && a) {
        r = s_def_reply(a, def, body, false);
    } else if (a && (r = zw_wf_arena_alloc(a, sizeof *r))) {
        /* stored text that no longer parses is still shown as stored */
        zwfw__v1__definition_reply__init(r);
        r->code = m->code;
        r->version = version;
        r->json = zw_wf_arena_strdup(a, body);
    }
    if (!r)
        zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
    else
        zw_reply_message(reply, &r->base);
done:
    zw_wf_def_destroy(&def);
    zw_wf_arena_destroy(&a);
    free(body);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

void zw_wf_svc_list_definitions(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_err_t err;
    /* no fields, but bytes that do not decode are still bad input */
    ProtobufCMessage *m = zw_request_unpack(req, &zwfw__v1__list_definitions__descriptor, &err);
    if (!m) {
        zw_reply_err(reply, &err);
        return;
    }
    protobuf_c_message_free_unpacked(m, NULL);
    zw_wf_def_row_t *rows = NULL;
    size_t n = 0;
    zw_wf_arena_t *a = NULL;
    if (zw_wf_store_def_list(ctx->db, &rows, &n, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    a = zw_wf_arena_new();
    Zwfw__V1__ListDefinitionsReply r = ZWFW__V1__LIST_DEFINITIONS_REPLY__INIT;
    r.definitions = a ? zw_wf_arena_alloc(a, (n ? n : 1) * sizeof *r.definitions) : NULL;
    if (!r.definitions)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        Zwfw__V1__DefinitionReply *d = zw_wf_arena_alloc(a, sizeof *d);
        if (!d)
            goto oom;
        zwfw__v1__definition_reply__init(d);
        d->code = zw_wf_arena_strdup(a, rows[i].code);
        d->version = rows[i].version;
        d->name = zw_wf_arena_strdup(a, rows[i].name);
        d->is_default = rows[i].is_default;
        cJSON *items = cJSON_Parse(rows[i].items_json);
        int ni = cJSON_GetArraySize(items);
        d->items = zw_wf_arena_alloc(a, (ni > 0 ? (size_t) ni : 1) * sizeof *d->items);
        for (cJSON *it = items ? items->child : NULL; it && d->items; it = it->next)
            if (cJSON_IsString(it))
                d->items[d->n_items++] = zw_wf_arena_strdup(a, it->valuestring);
        cJSON_Delete(items);
        if (!d->code || !d->name || !d->items)
            goto oom;
        r.definitions[r.n_definitions++] = d;
    }
    zw_reply_message(reply, &r.base);
    goto done;
oom:
    zw_reply_error(reply, ZW_RESOURCE_EXHAUSTED, "out of memory");
done:
    zw_wf_arena_destroy(&a);
    zw_wf_def_rows_free(rows, n);
}
