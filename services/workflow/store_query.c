/* zwfw-workflow's SQL for definitions and the cross-instance queries
 * (lists, the daily scan, alarms), as named prepared statements. */
#include "store_internal.h"

static const zw_wf_stmt_t s_stmts[] = {
    {"wf_def_insert",
     "INSERT INTO workflow.definitions (code, version, name, body, checksum, items, is_default,"
     " created_at_us, created_by) VALUES ($1, $2::integer, $3, $4, md5($4),"
     " ARRAY(SELECT json_array_elements_text($5::json)), $6::boolean, $7::bigint, $8)"
     " ON CONFLICT (code, version) DO NOTHING RETURNING code",
     8},
    {"wf_def_same",
     "SELECT checksum = md5($3) FROM workflow.definitions WHERE code = $1 AND version = "
     "$2::integer",
     3},
    {"wf_def_get",
     "SELECT version, body FROM workflow.definitions WHERE code = $1"
     " AND ($2::integer = 0 OR version = $2::integer) ORDER BY version DESC LIMIT 1",
     2},
    {"wf_def_pick",
     "SELECT d.code, d.version, d.body FROM workflow.definitions d"
     " WHERE d.version = (SELECT max(x.version) FROM workflow.definitions x WHERE x.code = d.code)"
     "   AND CASE WHEN $2 <> '' THEN d.code = $2 ELSE ($1 = ANY (d.items) OR d.is_default) END"
     " ORDER BY ($1 = ANY (d.items)) DESC, d.code LIMIT 1",
     2},
    {"wf_def_list",
     "SELECT code, version, name, array_to_json(items)::text, is_default"
     " FROM workflow.definitions ORDER BY code, version",
     0},
    {"wf_list",
     "SELECT i.id FROM workflow.instances i"
     " WHERE ($1 = '' OR i.department = $1 OR EXISTS (SELECT 1 FROM workflow.tracks t"
     "        WHERE t.instance_id = i.id AND t.track > 0 AND t.department = $1))"
     "   AND ($8 = '' OR i.department = $8 OR EXISTS (SELECT 1 FROM workflow.tracks t"
     "        WHERE t.instance_id = i.id AND t.track > 0 AND t.department = $8))"
     "   AND ($9 = '' OR i.region = $9)"
     "   AND ($2 = '' OR EXISTS (SELECT 1 FROM workflow.tracks t WHERE t.instance_id = i.id"
     "        AND t.track = 0 AND t.state = $2))"
     "   AND ($3::integer = 0 OR i.status = $3::integer)"
     "   AND ($4::bigint IS NULL OR i.due_us >= $4::bigint)"
     "   AND ($5::bigint IS NULL OR i.due_us < $5::bigint)"
     "   AND (NOT $6::boolean OR (i.status = 1 AND (i.due_us < $7::bigint OR EXISTS (SELECT 1"
     "        FROM workflow.tracks t WHERE t.instance_id = i.id AND NOT t.done"
     "        AND t.due_us < $7::bigint))))"
     "   AND ($10::bigint = 0 OR i.id < $10::bigint)"
     " ORDER BY i.id DESC LIMIT $11::integer",
     11},
    {"wf_scan",
     "SELECT i.id, i.receipt_number, 0, '', i.department, 1, i.promised_due_us,"
     "       i.promised_warn_us, t.state, i.item_code"
     "  FROM workflow.instances i JOIN workflow.tracks t ON t.instance_id = i.id AND t.track = 0"
     " WHERE i.status = 1 AND i.promised_warn_us <= $1::bigint AND ($2 = '' OR i.department = $2)"
     " UNION ALL "
     "SELECT i.id, i.receipt_number, 0, '', i.department, 2, i.statutory_due_us,"
     "       i.statutory_warn_us, t.state, i.item_code"
     "  FROM workflow.instances i JOIN workflow.tracks t ON t.instance_id = i.id AND t.track = 0"
     " WHERE i.status = 1 AND i.statutory_warn_us <= $1::bigint AND ($2 = '' OR i.department = $2)"
     " UNION ALL "
     "SELECT i.id, i.receipt_number, t.track, t.name, t.department, 3, t.due_us, t.warn_us,"
     "       t.state, i.item_code"
     "  FROM workflow.tracks t JOIN workflow.instances i ON i.id = t.instance_id"
     " WHERE i.status = 1 AND t.track > 0 AND NOT t.done AND t.warn_us <= $1::bigint"
     "   AND ($2 = '' OR t.department = $2)"
     " UNION ALL "
     "SELECT i.id, i.receipt_number, t.track, t.name, t.department, 0, t.stuck_us, NULL,"
     "       t.state, i.item_code"
     "  FROM workflow.tracks t JOIN workflow.instances i ON i.id = t.instance_id"
     " WHERE i.status = 1 AND NOT t.done AND t.stuck_us <= $1::bigint"
     "   AND ($2 = '' OR t.department = $2)"
     " ORDER BY 5, 1, 3, 6",
     2},
    {"wf_alarms",
     "SELECT id, instance_id, receipt_number, branch, department, kind, clock, due_us,"
     " raised_at_us, state FROM workflow.alarms WHERE ($1 = '' OR receipt_number = $1)"
     " AND ($2 = '' OR department = $2) AND id > $3::bigint ORDER BY id LIMIT $4::integer",
     4},
};

int zw_wf_store_query_prepare(zw_db_t *db, zw_err_t *err)
{
    for (size_t i = 0; i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        if (zw_db_prepare(db, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].nparams, err) != 0)
            return -1;
    return 0;
}

/* ------------------------------------------------------------------ definitions */

int zw_wf_store_def_put(zw_db_t *db, const zw_wf_def_t *def, const char *body, const char *actor,
                        int64_t now_us, bool *created, zw_err_t *err)
{
    /* items as a JSON array of strings (codes hold no quotes or backslashes
     * in practice; escape them anyway) */
    size_t cap = 3;
    for (size_t i = 0; i < def->nitems; i++)
        cap += 2 * strlen(def->items[i]) + 4;
    char *items = malloc(cap);
    if (!items)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    size_t o = 0;
    items[o++] = '[';
    for (size_t i = 0; i < def->nitems; i++) {
        if (i)
            items[o++] = ',';
        items[o++] = '"';
        for (const char *p = def->items[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                items[o++] = '\\';
            items[o++] = *p;
        }
        items[o++] = '"';
    }
    items[o++] = ']';
    items[o] = '\0';
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {def->code,
                       zw_wf_num(&nums, def->version),
                       def->name,
                       body,
                       items,
                       zw_wf_bool(def->is_default),
                       zw_wf_num(&nums, now_us),
                       actor};
    PGresult *res = zw_db_exec(db, "wf_def_insert", 8, p, err);
    free(items);
    if (!res)
        return -1;
    *created = PQntuples(res) == 1;
    PQclear(res);
    if (*created)
        return 0;
    const char *q[] = {def->code, zw_wf_num(&nums, def->version), body};
    res = zw_db_exec(db, "wf_def_same", 3, q, err);
    if (!res)
        return -1;
    bool same = PQntuples(res) == 1 && zw_wf_col_bool(res, 0, 0);
    PQclear(res);
    if (!same)
        return zw_err_setd(err, ZW_ALREADY_EXISTS, "version",
                           "definition %s version %d exists with other text; give it a new version",
                           def->code, def->version);
    return 0;
}

int zw_wf_store_def_get(zw_db_t *db, const char *code, int version, char **body, int *version_out,
                        zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {code, zw_wf_num(&nums, version)};
    PGresult *res = zw_db_exec(db, "wf_def_get", 2, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (version)
            return zw_err_setd(err, ZW_NOT_FOUND, "code", "no definition %s version %d", code,
                               version);
        return zw_err_setd(err, ZW_NOT_FOUND, "code", "no definition %s", code);
    }
    *version_out = (int) zw_wf_col_i64(res, 0, 0);
    *body = strdup(PQgetvalue(res, 0, 1));
    PQclear(res);
    return *body ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
}

int zw_wf_store_def_pick(zw_db_t *db, const char *item_code, const char *code, char **code_out,
                         int *version_out, char **body, zw_err_t *err)
{
    const char *p[] = {item_code ? item_code : "", code ? code : ""};
    PGresult *res = zw_db_exec(db, "wf_def_pick", 2, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        if (code && *code)
            return zw_err_setd(err, ZW_NOT_FOUND, "definition_code", "no definition %s", code);
        return zw_err_setd(err, ZW_NOT_FOUND, "definition_code",
                           "no definition for item %s and no default definition",
                           item_code ? item_code : "");
    }
    *code_out = strdup(PQgetvalue(res, 0, 0));
    *version_out = (int) zw_wf_col_i64(res, 0, 1);
    *body = strdup(PQgetvalue(res, 0, 2));
    PQclear(res);
    if (!*code_out || !*body) {
        free(*code_out);
        free(*body);
        *code_out = *body = NULL;
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    return 0;
}

void zw_wf_def_rows_free(zw_wf_def_row_t *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].code);
        free(rows[i].name);
        free(rows[i].items_json);
    }
    free(rows);
}

int zw_wf_store_def_list(zw_db_t *db, zw_wf_def_row_t **rows, size_t *n, zw_err_t *err)
{
    *rows = NULL;
    *n = 0;
    PGresult *res = zw_db_exec(db, "wf_def_list", 0, NULL, err);
    if (!res)
        return -1;
    int nr = PQntuples(res);
    *rows = calloc(nr ? (size_t) nr : 1, sizeof **rows);
    if (!*rows) {
        PQclear(res);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int i = 0; i < nr; i++) {
        zw_wf_def_row_t *r = &(*rows)[i];
        r->code = strdup(PQgetvalue(res, i, 0));
        r->version = (int) zw_wf_col_i64(res, i, 1);
        r->name = strdup(PQgetvalue(res, i, 2));
        r->items_json = strdup(zw_wf_col_str(res, i, 3));
        r->is_default = zw_wf_col_bool(res, i, 4);
        (*n)++;
        if (!r->code || !r->name || !r->items_json) {
            PQclear(res);
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    PQclear(res);
    return 0;
}

/* ------------------------------------------------------------------ queries */

int zw_wf_store_list(zw_db_t *db, const zw_wf_query_t *q, int64_t **ids, size_t *n, zw_err_t *err)
{
    *ids = NULL;
    *n = 0;
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {q->department ? q->department : "",
                       q->state ? q->state : "",
                       zw_wf_num(&nums, q->status),
                       zw_wf_num(&nums, q->due_after),
                       zw_wf_num(&nums, q->due_before),
                       zw_wf_bool(q->overdue_only),
                       zw_wf_num(&nums, q->now_us),
                       q->scope_department ? q->scope_department : "",
                       q->scope_region ? q->scope_region : "",
                       zw_wf_num(&nums, q->after_id),
                       zw_wf_num(&nums, q->limit)};
    PGresult *res = zw_db_exec(db, "wf_list", 11, p, err);
    if (!res)
        return -1;
    int nr = PQntuples(res);
    *ids = calloc(nr ? (size_t) nr : 1, sizeof **ids);
    if (!*ids) {
        PQclear(res);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    for (int i = 0; i < nr; i++)
        (*ids)[i] = zw_wf_col_i64(res, i, 0);
    *n = (size_t) nr;
    PQclear(res);
    return 0;
}

PGresult *zw_wf_store_scan(zw_db_t *db, int64_t now_us, const char *department, zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {zw_wf_num(&nums, now_us), department ? department : ""};
    return zw_db_exec(db, "wf_scan", 2, p, err);
}

PGresult *zw_wf_store_alarms(zw_db_t *db, const char *receipt, const char *department,
                             int64_t after_id, int limit, zw_err_t *err)
{
    zw_wf_nums_t nums = {.n = 0};
    const char *p[] = {receipt ? receipt : "", department ? department : "",
                       zw_wf_num(&nums, after_id), zw_wf_num(&nums, limit)};
    return zw_db_exec(db, "wf_alarms", 4, p, err);
}
