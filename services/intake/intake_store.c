#include "intake_store.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the statements ---------------------------------------------------------- */

#define S_APP_COLS                                                                                 \
    "receipt_number, coalesce(parent_receipt, ''), bundle_code, item_code, item_version,"          \
    " item_name, department_code, department_name, handling, channel, window_id, region,"          \
    " submitter, state, applicant_kind, applicant_name, applicant_id_type, applicant_id_enc,"      \
    " applicant_id_masked, applicant_key, agent_name, agent_id_type, agent_id_enc,"                \
    " agent_id_masked, phone_enc, phone_masked, address_enc, received_at_us,"                      \
    " notice_given_at_us, accepted_at_us, due_at_us, statutory_due_at_us, completed_at_us,"        \
    " deemed_accepted, receive_only, commitment_signed, array_to_json(committed_materials),"       \
    " notify_commitment, commitment_notified, array_to_json(waived_materials), supply_by::text,"   \
    " withdrawal_requested, last_seq, notice, updated_at_us"

enum {
    C_RECEIPT,
    C_PARENT,
    C_BUNDLE,
    C_ITEM,
    C_VERSION,
    C_ITEM_NAME,
    C_DEPT,
    C_DEPT_NAME,
    C_HANDLING,
    C_CHANNEL,
    C_WINDOW,
    C_REGION,
    C_SUBMITTER,
    C_STATE,
    C_KIND,
    C_NAME,
    C_ID_TYPE,
    C_ID_ENC,
    C_ID_MASKED,
    C_KEY,
    C_AGENT_NAME,
    C_AGENT_TYPE,
    C_AGENT_ENC,
    C_AGENT_MASKED,
    C_PHONE_ENC,
    C_PHONE_MASKED,
    C_ADDRESS_ENC,
    C_RECEIVED,
    C_NOTICE_AT,
    C_ACCEPTED,
    C_DUE,
    C_STAT_DUE,
    C_COMPLETED,
    C_DEEMED,
    C_RECEIVE_ONLY,
    C_SIGNED,
    C_COMMITTED,
    C_NOTIFY,
    C_NOTIFIED,
    C_WAIVED,
    C_SUPPLY_BY,
    C_WITHDRAWAL,
    C_LAST_SEQ,
    C_NOTICE,
    C_UPDATED,
    C_COUNT
};

typedef struct {
    const char *name;
    const char *sql;
    int nparams;
    const char *rows; /* the rows form (zw_db_prepare_rows) of an append, or NULL */
} s_stmt_t;

/* The columns that change after creation, as $2..$15 of both the update
 * and the inserts (s_state_params fills them for both). */
#define S_APP_STATE_COLS \
    "state, notice_given_at_us, accepted_at_us, due_at_us, statutory_due_at_us, completed_at_us," \
    " deemed_accepted, commitment_notified, waived_materials, supply_by, withdrawal_requested," \
    " last_seq, notice, updated_at_us"
#define S_APP_STATE_VALUES \
    "$2::smallint, $3::bigint, $4::bigint, $5::bigint, $6::bigint, $7::bigint, $8::boolean," \
    " $9::boolean, $10::text[], $11::date, $12::boolean, $13::bigint, $14::bytea, $15::bigint"
/* One application row; both the plain insert and the insert that also
 * writes the materials use it, so the column list exists once. */
#define S_APP_INTO \
    "INSERT INTO intake.applications (receipt_number, " S_APP_STATE_COLS ", parent_receipt," \
    " bundle_code, item_code, item_version, item_name, department_code, department_name," \
    " handling, channel, window_id, region, submitter, applicant_kind, applicant_name," \
    " applicant_id_type, applicant_id_enc, applicant_id_masked, applicant_key, agent_name," \
    " agent_id_type, agent_id_enc, agent_id_masked, phone_enc, phone_masked, address_enc," \
    " received_at_us, receive_only, commitment_signed, committed_materials, notify_commitment)"
#define S_APP_VALUES \
    "$1, " S_APP_STATE_VALUES ", nullif($16, ''), $17, $18, $19::int, $20, $21, $22," \
    " $23::smallint, $24::smallint, $25, $26, $27, $28::smallint, $29, $30::smallint, $31::bytea," \
    " $32, $33::bytea, $34, $35::smallint, $36::bytea, $37, $38::bytea, $39, $40::bytea," \
    " $41::bigint, $42::boolean, $43::boolean, $44::text[], $45::boolean"
#define S_APP_INSERT S_APP_INTO " VALUES (" S_APP_VALUES ")"
/* many applications: the rows in order, so a bundle's parent precedes its
 * children */
#define S_APP_ROWS S_APP_INTO " SELECT " S_APP_VALUES " FROM $rows ORDER BY zw_r.zw_i"
#define S_MAT_COLS \
    "INSERT INTO intake.materials (receipt_number, material_code, name, media_type, sha256," \
    " size, uri, original, copies, reused, added_at_us)"

static const s_stmt_t s_stmts[] = {
    {"intake_claim",
     "INSERT INTO intake.requests (caller, idempotency_key, kind, digest, created_at_us)"
     " VALUES ($1, $2, $3, $4::bytea, $5::bigint) ON CONFLICT DO NOTHING RETURNING 1",
     5, NULL},
    {"intake_request",
     "SELECT kind, digest, receipt_number, coalesce(notice, ''::bytea), coalesce(result_us, -1)"
     " FROM intake.requests WHERE caller = $1 AND idempotency_key = $2",
     2, NULL},
    {"intake_requests_many",
     /* a batch's reads in one statement: the keys' records ('r') and its
      * items, locked FOR SHARE as a lone submission locks its item ('i') */
     "WITH i AS (SELECT impl_code, body FROM catalog.items"
     "  WHERE impl_code = ANY ($3::text[]) FOR SHARE)"
     " SELECT 'r', r.caller, r.idempotency_key, r.kind, r.digest, r.receipt_number,"
     " coalesce(r.notice, ''::bytea), coalesce(r.result_us, -1), NULL::bytea"
     " FROM unnest($1::text[], $2::text[]) AS u (caller, key)"
     " CROSS JOIN LATERAL (SELECT * FROM intake.requests q"
     "  WHERE q.caller = u.caller AND q.idempotency_key = u.key LIMIT 1) r"
     " UNION ALL SELECT 'i', i.impl_code, '', '', NULL, '', NULL, NULL, i.body FROM i",
     3, NULL},
    {"intake_batch_check",
     /* guessed reads checked at commit (012, 013_intake_batch_stale.sql):
      * the items locked at the versions guessed, no key used before. Each
      * lookup is by its index whatever the plan (the lanes plan once,
      * generic: a join the planner may hash would read every request) */
     "WITH i AS (SELECT impl_code, version FROM catalog.items"
     "  WHERE impl_code = ANY ($3::text[]) FOR SHARE)"
     " SELECT CASE"
     " WHEN (SELECT count(*) FROM i JOIN unnest($3::text[], $4::integer[]) AS u (code, version)"
     "   ON i.impl_code = u.code AND i.version = u.version) <> cardinality($3::text[])"
     " THEN intake.batch_stale('a catalog item changed since the batch was built')"
     " WHEN EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS u (caller, key)"
     "   CROSS JOIN LATERAL (SELECT 1 FROM intake.requests q"
     "    WHERE q.caller = u.caller AND q.idempotency_key = u.key LIMIT 1) AS r)"
     " THEN intake.batch_stale('an idempotency key of the batch was used before')"
     " ELSE true END",
     4, NULL},
    {"intake_request_put",
     "INSERT INTO intake.requests (caller, idempotency_key, kind, digest, created_at_us,"
     " receipt_number, notice, result_us)"
     " VALUES ($1, $2, $3, $4::bytea, $5::bigint, $6, $7::bytea, $8::bigint)",
     8,
     "INSERT INTO intake.requests (caller, idempotency_key, kind, digest, created_at_us,"
     " receipt_number, notice, result_us)"
     " SELECT $1, $2, $3, $4::bytea, $5::bigint, $6, $7::bytea, $8::bigint FROM $rows"},
    {"intake_request_done",
     "UPDATE intake.requests SET receipt_number = $3, notice = $4::bytea, result_us = $5::bigint"
     " WHERE caller = $1 AND idempotency_key = $2",
     5, NULL},
    {"intake_receipt_block",
     "INSERT INTO intake.receipt_blocks AS b (division, day, next_no)"
     " VALUES ($1, $2::date, 1 + $3::bigint)"
     " ON CONFLICT (division, day) DO UPDATE SET next_no = b.next_no + $3::bigint"
     " RETURNING next_no - $3::bigint",
     3, NULL},
    {"intake_app_insert", S_APP_INSERT, 45, S_APP_ROWS},
    /* the application and the materials handed in with it in one round trip
     * (the common path of a submission) */
    {"intake_app_insert_mats",
     "WITH a AS (" S_APP_INSERT " RETURNING receipt_number) " S_MAT_COLS
     " SELECT a.receipt_number, m.code, m.name, m.media, m.sha, m.size, m.uri, m.orig, m.copies,"
     " m.reused, $55::bigint FROM a, unnest($46::text[], $47::text[], $48::text[], $49::text[],"
     " $50::bigint[], $51::text[], $52::boolean[], $53::int[], $54::boolean[])"
     " WITH ORDINALITY AS m (code, name, media, sha, size, uri, orig, copies, reused, ord)"
     " ORDER BY m.ord",
     55,
     /* every application first, then every material (the CTE runs whole) */
     "WITH a AS (" S_APP_ROWS " RETURNING 1) " S_MAT_COLS
     " SELECT $1, m.code, m.name, m.media, m.sha, m.size, m.uri, m.orig, m.copies, m.reused,"
     " $55::bigint FROM $rows CROSS JOIN LATERAL unnest($46::text[], $47::text[], $48::text[],"
     " $49::text[], $50::bigint[], $51::text[], $52::boolean[], $53::int[], $54::boolean[])"
     " WITH ORDINALITY AS m (code, name, media, sha, size, uri, orig, copies, reused, ord)"
     " ORDER BY zw_r.zw_i, m.ord"},
    {"intake_app_update",
     "UPDATE intake.applications SET (" S_APP_STATE_COLS ") = ROW (" S_APP_STATE_VALUES ")"
     " WHERE receipt_number = $1",
     15, NULL},
    {"intake_app_get", "SELECT " S_APP_COLS " FROM intake.applications WHERE receipt_number = $1",
     1, NULL},
    {"intake_app_lock",
     "SELECT " S_APP_COLS " FROM intake.applications WHERE receipt_number = $1 FOR UPDATE", 1, NULL},
    {"intake_children",
     "SELECT " S_APP_COLS " FROM intake.applications WHERE parent_receipt = $1"
     " ORDER BY receipt_number",
     1, NULL},
    {"intake_children_lock",
     "SELECT " S_APP_COLS " FROM intake.applications WHERE parent_receipt = $1"
     " ORDER BY receipt_number FOR UPDATE",
     1, NULL},
    {"intake_history_add",
     "INSERT INTO intake.history (receipt_number, state, at_us, actor, note, seq)"
     " VALUES ($1, $2::smallint, $3::bigint, $4, $5, $6::bigint)",
     6,
     "INSERT INTO intake.history (receipt_number, state, at_us, actor, note, seq)"
     " SELECT $1, $2::smallint, $3::bigint, $4, $5, $6::bigint FROM $rows ORDER BY zw_r.zw_i"},
    {"intake_history",
     "SELECT state, at_us, actor, note, seq FROM intake.history WHERE receipt_number = $1"
     " ORDER BY id",
     1, NULL},
    {"intake_materials_add",
     S_MAT_COLS " SELECT $1, m.code, m.name, m.media, m.sha, m.size, m.uri, m.orig, m.copies, m.reused,"
     " $11::bigint FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],"
     " $7::text[], $8::boolean[], $9::int[], $10::boolean[])"
     " AS m (code, name, media, sha, size, uri, orig, copies, reused)",
     11,
     S_MAT_COLS " SELECT $1, m.code, m.name, m.media, m.sha, m.size, m.uri, m.orig, m.copies,"
     " m.reused, $11::bigint FROM $rows CROSS JOIN LATERAL unnest($2::text[], $3::text[],"
     " $4::text[], $5::text[], $6::bigint[], $7::text[], $8::boolean[], $9::int[], $10::boolean[])"
     " WITH ORDINALITY AS m (code, name, media, sha, size, uri, orig, copies, reused, ord)"
     " ORDER BY zw_r.zw_i, m.ord"},
    {"intake_materials",
     "SELECT material_code, name, media_type, sha256, size, uri, original, copies, reused,"
     " added_at_us FROM intake.materials WHERE receipt_number = $1 ORDER BY id",
     1, NULL},
    {"intake_on_file",
     "SELECT material_name, name, media_type, sha256, size, uri, false, 0, true, stored_at_us"
     " FROM intake.materials_on_file WHERE applicant_key = $1::bytea ORDER BY material_name",
     1, NULL},
    {"intake_on_file_put",
     "INSERT INTO intake.materials_on_file AS f (applicant_key, material_name, material_code,"
     " name, media_type, sha256, size, uri, first_receipt, stored_at_us)"
     " SELECT $1::bytea, m.kind, m.code, m.name, m.media, m.sha, m.size, m.uri, $9, $10::bigint"
     " FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],"
     " $8::text[]) AS m (kind, code, name, media, sha, size, uri)"
     " ON CONFLICT (applicant_key, material_name) DO UPDATE SET material_code ="
     " EXCLUDED.material_code, name = EXCLUDED.name, media_type = EXCLUDED.media_type,"
     " sha256 = EXCLUDED.sha256, size = EXCLUDED.size, uri = EXCLUDED.uri,"
     " stored_at_us = EXCLUDED.stored_at_us",
     10,
     /* one row per (applicant, kind), the last queued winning, as when the
      * statements run one after another */
     "INSERT INTO intake.materials_on_file AS f (applicant_key, material_name, material_code,"
     " name, media_type, sha256, size, uri, first_receipt, stored_at_us)"
     " SELECT DISTINCT ON ($1::bytea, m.kind) $1::bytea, m.kind, m.code, m.name, m.media, m.sha,"
     " m.size, m.uri, $9, $10::bigint"
     " FROM $rows CROSS JOIN LATERAL unnest($2::text[], $3::text[], $4::text[], $5::text[],"
     " $6::text[], $7::bigint[], $8::text[]) AS m (kind, code, name, media, sha, size, uri)"
     " ORDER BY $1::bytea, m.kind, zw_r.zw_i DESC"
     " ON CONFLICT (applicant_key, material_name) DO UPDATE SET material_code ="
     " EXCLUDED.material_code, name = EXCLUDED.name, media_type = EXCLUDED.media_type,"
     " sha256 = EXCLUDED.sha256, size = EXCLUDED.size, uri = EXCLUDED.uri,"
     " stored_at_us = EXCLUDED.stored_at_us"},
    {"intake_credit_get",
     "SELECT reason, id_masked, listed_at_us FROM intake.credit_list"
     " WHERE applicant_key = $1::bytea",
     1, NULL},
    {"intake_credit_put",
     "INSERT INTO intake.credit_list (applicant_key, id_masked, reason, listed_at_us, listed_by)"
     " VALUES ($1::bytea, $2, $3, $4::bigint, $5) ON CONFLICT (applicant_key) DO UPDATE"
     " SET reason = EXCLUDED.reason WHERE intake.credit_list.reason <> EXCLUDED.reason"
     " RETURNING 1",
     5, NULL},
    {"intake_credit_delete",
     "DELETE FROM intake.credit_list WHERE applicant_key = $1::bytea RETURNING 1", 1, NULL},
    {"intake_forward",
     "INSERT INTO intake.forwarded (receipt_number, kind, reason, actor, at_us)"
     " VALUES ($1, $2, $3, $4, $5::bigint)",
     5, NULL},
    {"intake_list",
     "SELECT " S_APP_COLS " FROM intake.applications"
     " WHERE ($1::bytea IS NULL OR applicant_key = $1::bytea)"
     " AND ($2::text IS NULL OR item_code = $2)"
     " AND ($3::smallint IS NULL OR state = $3::smallint)"
     " AND ($4::smallint IS NULL OR channel = $4::smallint)"
     " AND ($5::text IS NULL OR window_id = $5)"
     " AND ($6::bigint IS NULL OR received_at_us >= $6::bigint)"
     " AND ($7::bigint IS NULL OR received_at_us < $7::bigint)"
     " AND ($8::text IS NULL OR region = $8)"
     " AND ($9::text IS NULL OR department_code = $9)"
     " AND ($10::text IS NULL OR submitter = $10)"
     " AND ($11::bigint IS NULL OR (received_at_us, receipt_number) > ($11::bigint, $12::text))"
     /* a bundle's parent owes nothing itself: its children are listed */
     " AND ($14::date IS NULL OR (supply_by < $14::date AND state NOT IN (2, 4, 5, 13, 14, 15)"
     "  AND item_code <> ''))"
     " ORDER BY received_at_us, receipt_number LIMIT $13::int",
     14, NULL},
    {"intake_changes",
     "SELECT l.seq, l.type, l.aggregate_id, l.occurred_at_us, l.payload,"
     " coalesce(a.region, ''), coalesce(a.department_code, ''), coalesce(a.submitter, '')"
     " FROM events.log l LEFT JOIN intake.applications a ON a.receipt_number = l.aggregate_id"
     " WHERE l.stream = 'intake' AND l.seq > $1::bigint ORDER BY l.seq LIMIT $2::int",
     2, NULL},
    {"intake_unnoticed",
     "SELECT receipt_number FROM intake.applications WHERE state = 1"
     " AND notice_given_at_us IS NULL AND received_at_us < $1::bigint AND item_code <> ''"
     " ORDER BY received_at_us LIMIT $2::int",
     2, NULL},
    {"intake_apply_state",
     "UPDATE intake.applications SET state = $2::smallint, last_seq = $3::bigint,"
     " updated_at_us = $4::bigint WHERE receipt_number = $1 AND last_seq < $3::bigint"
     " RETURNING 1",
     4, NULL},
};

int zw_intake_store_prepare(zw_db_t *db, zw_err_t *err)
{
    for (size_t i = 0; i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        if ((s_stmts[i].rows ? zw_db_prepare_rows(db, s_stmts[i].name, s_stmts[i].sql,
                                                  s_stmts[i].nparams, s_stmts[i].rows, err)
                             : zw_db_prepare(db, s_stmts[i].name, s_stmts[i].sql,
                                             s_stmts[i].nparams, err)) != 0)
            return -1;
    /* in a batch, every application row goes in before the rows naming it */
    if (zw_db_defer_first(db, "intake_app_insert", err) != 0 ||
        zw_db_defer_first(db, "intake_app_insert_mats", err) != 0)
        return -1;
    return 0;
}

/* ---- text helpers ------------------------------------------------------------ */

static char *s_dup(const char *s)
{
    return strdup(s ? s : "");
}

static int64_t s_i64(PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return -1;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool s_bool(PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

/* A time parameter: NULL for -1. buf at least 24 bytes. */
static const char *s_time(int64_t us, char *buf)
{
    if (us < 0)
        return NULL;
    snprintf(buf, 24, "%" PRId64, us);
    return buf;
}

static const char *s_int(int64_t v, char *buf)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

/* "" bytea text means NULL. */
static const char *s_bytea(const char *hex)
{
    return hex && *hex ? hex : NULL;
}

/* A PostgreSQL array literal of the strings: {"a","b\"c"}. malloc'd. */
static char *s_array(const char *const *items, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 3 + 2 * strlen(items[i] ? items[i] : "");
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *s = items[i] ? items[i] : ""; *s; s++) {
            if (*s == '"' || *s == '\\')
                *p++ = '\\';
            *p++ = *s;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

/* A JSON array of strings (array_to_json output) into a malloc'd list. */
static int s_json_list(const char *json, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    cJSON *arr = cJSON_Parse(json);
    if (!arr)
        return -1;
    int count = cJSON_GetArraySize(arr);
    if (count > 0) {
        *out = calloc((size_t) count, sizeof(char *));
        if (!*out) {
            cJSON_Delete(arr);
            return -1;
        }
    }
    cJSON *item;
    cJSON_ArrayForEach(item, arr)
    {
        (*out)[(*n)++] = s_dup(cJSON_IsString(item) ? item->valuestring : "");
    }
    cJSON_Delete(arr);
    return 0;
}

/* ---- lists of rows --------------------------------------------------------------- */

/* Reads row `row` of res into *elem: -1 when out of memory, leaving what it
 * filled for the list's drop. */
typedef int (*s_read_fn)(PGresult *res, int row, void *elem);
/* Frees what one element points to. */
typedef void (*s_drop_fn)(void *elem);

/* Drops n elements of `size` bytes, then frees the array. */
static void s_free_all(void *arr, size_t n, size_t size, s_drop_fn drop)
{
    for (size_t i = 0; arr && i < n; i++)
        drop((char *) arr + i * size);
    free(arr);
}

/* Every row of res (NULL: its statement failed, err filled) read into a
 * malloc'd array of elements of `size` bytes (NULL when none), *n of them,
 * and res cleared. *rc is 0, or -1 with nothing left allocated. */
static void *s_read_all(PGresult *res, size_t size, s_read_fn read, s_drop_fn drop, size_t *n,
                        int *rc, zw_err_t *err)
{
    *n = 0;
    *rc = -1;
    if (!res)
        return NULL;
    size_t count = (size_t) PQntuples(res), got = 0;
    char *arr = count ? calloc(count, size) : NULL;
    int ok = !count || arr ? 0 : -1;
    for (; ok == 0 && got < count; got++)
        ok = read(res, (int) got, arr + size * got);
    PQclear(res);
    if (ok != 0) {
        s_free_all(arr, got, size, drop);
        *rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    *n = count;
    *rc = 0;
    return arr;
}

static int s_string_read(PGresult *res, int row, void *elem)
{
    return (*(char **) elem = s_dup(PQgetvalue(res, row, 0))) ? 0 : -1;
}

static void s_string_drop(void *elem)
{
    free(*(char **) elem);
}

void zw_intake_strings_free(char **s, size_t n)
{
    s_free_all(s, n, sizeof *s, s_string_drop);
}

int zw_intake_row_set(char **field, const char *value)
{
    char *copy = s_dup(value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

int zw_intake_row_set_list(char ***list, size_t *n, const char *const *values, size_t count)
{
    char **copy = count ? calloc(count, sizeof(char *)) : NULL;
    if (count && !copy)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (!(copy[i] = s_dup(values[i]))) {
            zw_intake_strings_free(copy, i);
            return -1;
        }
    zw_intake_strings_free(*list, *n);
    *list = copy;
    *n = count;
    return 0;
}

/* ---- rows ----------------------------------------------------------------------- */

void zw_intake_row_free(zw_intake_row_t *r)
{
    if (!r)
        return;
    char **strs[] = {&r->receipt,
                     &r->parent,
                     &r->bundle_code,
                     &r->item_code,
                     &r->item_name,
                     &r->department_code,
                     &r->department_name,
                     &r->window_id,
                     &r->region,
                     &r->submitter,
                     &r->applicant_name,
                     &r->applicant_id_enc,
                     &r->applicant_id_masked,
                     &r->applicant_key,
                     &r->agent_name,
                     &r->agent_id_enc,
                     &r->agent_id_masked,
                     &r->phone_enc,
                     &r->phone_masked,
                     &r->address_enc,
                     &r->notice};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    zw_intake_strings_free(r->committed, r->n_committed);
    zw_intake_strings_free(r->waived, r->n_waived);
    memset(r, 0, sizeof *r);
}

static void s_row_drop(void *elem)
{
    zw_intake_row_free(elem);
}

void zw_intake_rows_free(zw_intake_row_t *rows, size_t n)
{
    s_free_all(rows, n, sizeof *rows, s_row_drop);
}

/* (s_read_fn) A row of S_APP_COLS. */
static int s_row_read(PGresult *res, int i, void *elem)
{
    zw_intake_row_t *r = elem;
    memset(r, 0, sizeof *r);
#define S_STR(field, col) (r->field = s_dup(PQgetvalue(res, i, col)))
    bool ok = S_STR(receipt, C_RECEIPT) && S_STR(parent, C_PARENT) &&
              S_STR(bundle_code, C_BUNDLE) && S_STR(item_code, C_ITEM) &&
              S_STR(item_name, C_ITEM_NAME) && S_STR(department_code, C_DEPT) &&
              S_STR(department_name, C_DEPT_NAME) && S_STR(window_id, C_WINDOW) &&
              S_STR(region, C_REGION) && S_STR(submitter, C_SUBMITTER) &&
              S_STR(applicant_name, C_NAME) && S_STR(applicant_id_enc, C_ID_ENC) &&
              S_STR(applicant_id_masked, C_ID_MASKED) && S_STR(applicant_key, C_KEY) &&
              S_STR(agent_name, C_AGENT_NAME) && S_STR(agent_id_enc, C_AGENT_ENC) &&
              S_STR(agent_id_masked, C_AGENT_MASKED) && S_STR(phone_enc, C_PHONE_ENC) &&
              S_STR(phone_masked, C_PHONE_MASKED) && S_STR(address_enc, C_ADDRESS_ENC) &&
              S_STR(notice, C_NOTICE);
#undef S_STR
    r->item_version = (int) s_i64(res, i, C_VERSION);
    r->handling = (int) s_i64(res, i, C_HANDLING);
    r->channel = (int) s_i64(res, i, C_CHANNEL);
    r->state = (int) s_i64(res, i, C_STATE);
    r->applicant_kind = (int) s_i64(res, i, C_KIND);
    r->applicant_id_type = (int) s_i64(res, i, C_ID_TYPE);
    r->agent_id_type = (int) s_i64(res, i, C_AGENT_TYPE);
    r->received_at_us = s_i64(res, i, C_RECEIVED);
    r->notice_given_at_us = s_i64(res, i, C_NOTICE_AT);
    r->accepted_at_us = s_i64(res, i, C_ACCEPTED);
    r->due_at_us = s_i64(res, i, C_DUE);
    r->statutory_due_at_us = s_i64(res, i, C_STAT_DUE);
    r->completed_at_us = s_i64(res, i, C_COMPLETED);
    r->updated_at_us = s_i64(res, i, C_UPDATED);
    r->last_seq = s_i64(res, i, C_LAST_SEQ);
    r->deemed_accepted = s_bool(res, i, C_DEEMED);
    r->receive_only = s_bool(res, i, C_RECEIVE_ONLY);
    r->commitment_signed = s_bool(res, i, C_SIGNED);
    r->notify_commitment = s_bool(res, i, C_NOTIFY);
    r->commitment_notified = s_bool(res, i, C_NOTIFIED);
    r->withdrawal_requested = s_bool(res, i, C_WITHDRAWAL);
    if (!PQgetisnull(res, i, C_SUPPLY_BY) &&
        zw_date_parse(PQgetvalue(res, i, C_SUPPLY_BY), &r->supply_by, NULL) == 0)
        r->has_supply_by = true;
    if (!ok || s_json_list(PQgetvalue(res, i, C_COMMITTED), &r->committed, &r->n_committed) != 0 ||
        s_json_list(PQgetvalue(res, i, C_WAIVED), &r->waived, &r->n_waived) != 0) {
        zw_intake_row_free(r);
        return -1;
    }
    return 0;
}

/* The applications of res (s_read_all). */
static int s_rows_take(PGresult *res, zw_intake_row_t **rows, size_t *n, zw_err_t *err)
{
    int rc;
    *rows = s_read_all(res, sizeof **rows, s_row_read, s_row_drop, n, &rc, err);
    return rc;
}

/* ---- requests --------------------------------------------------------------- */

void zw_intake_request_free(zw_intake_request_t *r)
{
    if (!r)
        return;
    free(r->digest);
    free(r->receipt);
    free(r->notice);
    memset(r, 0, sizeof *r);
}

int zw_intake_store_claim(zw_db_t *db, const char *caller, const char *key, const char *kind,
                          const char *digest_hex, int64_t now_us, bool *claimed, zw_err_t *err)
{
    char now[24];
    const char *p[] = {caller, key, kind, digest_hex, s_int(now_us, now)};
    PGresult *res = zw_db_exec(db, "intake_claim", 5, p, err);
    if (!res)
        return -1;
    *claimed = PQntuples(res) == 1;
    PQclear(res);
    return 0;
}

/* A request record from 5 columns of res from col0 on (kind, digest,
 * receipt, notice, result); freed again when out of memory. */
static int s_request_read(PGresult *res, int row, int col0, zw_intake_request_t *out,
                          zw_err_t *err)
{
    snprintf(out->kind, sizeof out->kind, "%s", PQgetvalue(res, row, col0));
    out->digest = s_dup(PQgetvalue(res, row, col0 + 1));
    out->receipt = s_dup(PQgetvalue(res, row, col0 + 2));
    out->notice = s_dup(PQgetvalue(res, row, col0 + 3));
    out->result_us = s_i64(res, row, col0 + 4);
    if (!out->digest || !out->receipt || !out->notice) {
        zw_intake_request_free(out);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    return 0;
}

int zw_intake_store_request(zw_db_t *db, const char *caller, const char *key,
                            zw_intake_request_t *out, zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {caller, key};
    PGresult *res = zw_db_exec(db, "intake_request", 2, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return zw_err_set(err, ZW_NOT_FOUND, "no request with this idempotency key");
    }
    int rc = s_request_read(res, 0, 0, out, err);
    PQclear(res);
    return rc;
}

int zw_intake_store_batch_check(zw_db_t *db, const char *const *callers, const char *const *keys,
                                size_t n, const char *const *codes, const int *versions,
                                size_t n_codes, zw_err_t *err)
{
    const char **v = calloc(n_codes ? n_codes : 1, sizeof *v);
    char *nums = calloc(n_codes ? n_codes : 1, 16);
    for (size_t i = 0; v && nums && i < n_codes; i++) {
        snprintf(nums + 16 * i, 16, "%d", versions[i]);
        v[i] = nums + 16 * i;
    }
    char *c = s_array(callers, n), *k = s_array(keys, n), *ic = s_array(codes, n_codes);
    char *iv = v && nums ? s_array(v, n_codes) : NULL;
    int rc;
    if (c && k && ic && iv) {
        const char *p[] = {c, k, ic, iv};
        rc = zw_db_write(db, "intake_batch_check", 4, p, err);
    } else {
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    free(c);
    free(k);
    free(ic);
    free(iv);
    free(v);
    free(nums);
    return rc;
}

int zw_intake_store_batch_reads(zw_db_t *db, const char *const *callers, const char *const *keys,
                                size_t n, zw_intake_request_t *out, bool *found,
                                const char *const *codes, size_t n_codes, zw_intake_blob_t *items,
                                zw_err_t *err)
{
    memset(out, 0, n * sizeof *out);
    memset(found, 0, n * sizeof *found);
    memset(items, 0, n_codes * sizeof *items);
    char *c = s_array(callers, n), *k = s_array(keys, n), *ic = s_array(codes, n_codes);
    PGresult *res = NULL;
    if (c && k && ic) {
        const char *p[] = {c, k, ic};
        res = zw_db_exec(db, "intake_requests_many", 3, p, err);
    } else {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    free(c);
    free(k);
    free(ic);
    if (!res)
        return -1;
    int rc = 0;
    for (int row = 0; row < PQntuples(res) && rc == 0; row++) {
        const char *what = PQgetvalue(res, row, 0), *name = PQgetvalue(res, row, 1);
        if (what[0] == 'i') {
            for (size_t i = 0; i < n_codes && rc == 0; i++) {
                if (items[i].data || strcmp(codes[i], name) != 0)
                    continue;
                items[i].data = PQunescapeBytea((const unsigned char *) PQgetvalue(res, row, 8),
                                                &items[i].len);
                if (!items[i].data)
                    rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
            }
            continue;
        }
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (found[i] || strcmp(callers[i], name) != 0 ||
                strcmp(keys[i], PQgetvalue(res, row, 2)) != 0)
                continue;
            if ((rc = s_request_read(res, row, 3, &out[i], err)) == 0)
                found[i] = true;
        }
    }
    PQclear(res);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            if (found[i])
                zw_intake_request_free(&out[i]);
        zw_intake_blobs_free(items, n_codes);
    }
    return rc;
}

void zw_intake_blobs_free(zw_intake_blob_t *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++) {
        if (b[i].data)
            PQfreemem(b[i].data);
        b[i].data = NULL;
        b[i].len = 0;
    }
}

int zw_intake_store_request_done(zw_db_t *db, const char *caller, const char *key,
                                 const char *receipt, const char *notice_hex, int64_t result_us,
                                 zw_err_t *err)
{
    char r[24];
    const char *p[] = {caller, key, receipt ? receipt : "", s_bytea(notice_hex),
                       s_time(result_us, r)};
    return zw_db_write(db, "intake_request_done", 5, p, err);
}

int zw_intake_store_request_put(zw_db_t *db, const char *caller, const char *key,
                                const char *kind, const char *digest_hex, int64_t now_us,
                                const char *receipt, const char *notice_hex, int64_t result_us,
                                zw_err_t *err)
{
    char now[24], r[24];
    const char *p[] = {caller,     key, kind, digest_hex, s_int(now_us, now), receipt ? receipt : "",
                       s_bytea(notice_hex), s_time(result_us, r)};
    return zw_db_write(db, "intake_request_put", 8, p, err);
}

int zw_intake_store_receipt_block(zw_db_t *db, const char *division, zw_date_t day, int block,
                                  int64_t *first, zw_err_t *err)
{
    char d[ZW_DATE_STRLEN], b[24];
    const char *p[] = {division, zw_date_format(day, d), s_int(block, b)};
    PGresult *res = zw_db_exec(db, "intake_receipt_block", 3, p, err);
    if (!res)
        return -1;
    *first = s_i64(res, 0, 0);
    PQclear(res);
    return 0;
}

/* ---- applications -------------------------------------------------------------- */

typedef struct {
    char *a[9];
} s_mat_arrays_t;
static int s_mat_arrays(const zw_intake_mat_t *m, size_t n, s_mat_arrays_t *out);
static void s_mat_arrays_free(s_mat_arrays_t *m);

static int s_app_insert(zw_db_t *db, const zw_intake_row_t *r, const zw_intake_mat_t *m, size_t n,
                        zw_err_t *err);

int zw_intake_store_app_insert(zw_db_t *db, const zw_intake_row_t *r, zw_err_t *err)
{
    return s_app_insert(db, r, NULL, 0, err);
}

int zw_intake_store_app_insert_mats(zw_db_t *db, const zw_intake_row_t *r, const zw_intake_mat_t *m,
                                    size_t n, zw_err_t *err)
{
    return s_app_insert(db, r, m, n, err);
}

/* Room for the texts of s_state_params. */
typedef struct {
    char state[24], t[5][24], seq[24], updated[24], supply[ZW_DATE_STRLEN];
} s_state_bufs_t;

/* S_APP_STATE_COLS of r into p[0..13] (waived: r->waived as an array
 * literal); the texts live in b. */
static void s_state_params(const zw_intake_row_t *r, const char *waived, s_state_bufs_t *b,
                           const char **p)
{
    const char *v[14] = {
        s_int(r->state, b->state),
        s_time(r->notice_given_at_us, b->t[0]),
        s_time(r->accepted_at_us, b->t[1]),
        s_time(r->due_at_us, b->t[2]),
        s_time(r->statutory_due_at_us, b->t[3]),
        s_time(r->completed_at_us, b->t[4]),
        r->deemed_accepted ? "t" : "f",
        r->commitment_notified ? "t" : "f",
        waived,
        r->has_supply_by ? zw_date_format(r->supply_by, b->supply) : NULL,
        r->withdrawal_requested ? "t" : "f",
        s_int(r->last_seq, b->seq),
        s_bytea(r->notice),
        s_int(r->updated_at_us, b->updated),
    };
    memcpy(p, v, sizeof v);
}

static int s_app_insert(zw_db_t *db, const zw_intake_row_t *r, const zw_intake_mat_t *m, size_t n,
                        zw_err_t *err)
{
    char ver[24], hand[24], chan[24], kind[24], idt[24], agt[24], received[24];
    s_state_bufs_t b;
    char *committed = s_array((const char *const *) r->committed, r->n_committed);
    char *waived = s_array((const char *const *) r->waived, r->n_waived);
    const char *p[55] = {
        r->receipt,
        [15] = r->parent,
        r->bundle_code,
        r->item_code,
        s_int(r->item_version, ver),
        r->item_name,
        r->department_code,
        r->department_name,
        s_int(r->handling, hand),
        s_int(r->channel, chan),
        r->window_id,
        r->region,
        r->submitter,
        s_int(r->applicant_kind, kind),
        r->applicant_name,
        s_int(r->applicant_id_type, idt),
        r->applicant_id_enc,
        r->applicant_id_masked,
        r->applicant_key,
        r->agent_name,
        s_int(r->agent_id_type, agt),
        s_bytea(r->agent_id_enc),
        r->agent_id_masked,
        s_bytea(r->phone_enc),
        r->phone_masked,
        s_bytea(r->address_enc),
        s_int(r->received_at_us, received),
        r->receive_only ? "t" : "f",
        r->commitment_signed ? "t" : "f",
        committed,
        r->notify_commitment ? "t" : "f",
    };
    s_state_params(r, waived, &b, p + 1);
    s_mat_arrays_t a = {0};
    char at[24];
    bool mats_ok = n == 0 || s_mat_arrays(m, n, &a) == 0;
    if (n > 0 && mats_ok) {
        for (int i = 0; i < 9; i++)
            p[45 + i] = a.a[i];
        p[54] = s_int(m[0].added_at_us, at);
    }
    int rc;
    if (!committed || !waived || !mats_ok)
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    else if (n > 0)
        rc = zw_db_write(db, "intake_app_insert_mats", 55, p, err);
    else
        rc = zw_db_write(db, "intake_app_insert", 45, p, err);
    if (n > 0 && mats_ok)
        s_mat_arrays_free(&a);
    free(committed);
    free(waived);
    return rc;
}

int zw_intake_store_app_update(zw_db_t *db, const zw_intake_row_t *r, zw_err_t *err)
{
    char *waived = s_array((const char *const *) r->waived, r->n_waived);
    if (!waived)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    s_state_bufs_t b;
    const char *p[15] = {r->receipt};
    s_state_params(r, waived, &b, p + 1);
    int rc = zw_db_write(db, "intake_app_update", 15, p, err);
    free(waived);
    return rc;
}

int zw_intake_store_app_get(zw_db_t *db, const char *receipt, bool lock, zw_intake_row_t *row,
                            zw_err_t *err)
{
    const char *p[] = {receipt};
    PGresult *res = zw_db_exec(db, lock ? "intake_app_lock" : "intake_app_get", 1, p, err);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples(res) != 1)
        rc = zw_err_setd(err, ZW_NOT_FOUND, "receipt_number", "no application %s", receipt);
    else if (s_row_read(res, 0, row) != 0)
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    PQclear(res);
    return rc;
}

int zw_intake_store_children(zw_db_t *db, const char *parent, bool lock, zw_intake_row_t **rows,
                             size_t *n, zw_err_t *err)
{
    const char *p[] = {parent};
    return s_rows_take(zw_db_exec(db, lock ? "intake_children_lock" : "intake_children", 1, p, err),
                       rows, n, err);
}

static void s_hist_drop(void *elem)
{
    zw_intake_hist_t *h = elem;
    free(h->actor);
    free(h->note);
}

void zw_intake_hist_free(zw_intake_hist_t *h, size_t n)
{
    s_free_all(h, n, sizeof *h, s_hist_drop);
}

int zw_intake_store_history_add(zw_db_t *db, const char *receipt, int state, int64_t at_us,
                                const char *actor, const char *note, int64_t seq, zw_err_t *err)
{
    char s[24], a[24], q[24];
    const char *p[] = {receipt, s_int(state, s),  s_int(at_us, a),
                       actor,   note ? note : "", s_int(seq, q)};
    return zw_db_write(db, "intake_history_add", 6, p, err);
}

static int s_hist_read(PGresult *res, int i, void *elem)
{
    zw_intake_hist_t *h = elem;
    h->state = (int) s_i64(res, i, 0);
    h->at_us = s_i64(res, i, 1);
    h->actor = s_dup(PQgetvalue(res, i, 2));
    h->note = s_dup(PQgetvalue(res, i, 3));
    h->seq = s_i64(res, i, 4);
    return h->actor && h->note ? 0 : -1;
}

int zw_intake_store_history(zw_db_t *db, const char *receipt, zw_intake_hist_t **out, size_t *n,
                            zw_err_t *err)
{
    const char *p[] = {receipt};
    int rc;
    *out = s_read_all(zw_db_exec(db, "intake_history", 1, p, err), sizeof **out, s_hist_read,
                      s_hist_drop, n, &rc, err);
    return rc;
}

/* ---- materials --------------------------------------------------------------- */

static void s_mat_drop(void *elem)
{
    zw_intake_mat_t *m = elem;
    char *strs[] = {m->code, m->name, m->media_type, m->sha256, m->uri};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(strs[i]);
}

void zw_intake_mats_free(zw_intake_mat_t *m, size_t n)
{
    s_free_all(m, n, sizeof *m, s_mat_drop);
}

/* Array literals of one field of every material (s_mat_arrays_t). */

static void s_mat_arrays_free(s_mat_arrays_t *m)
{
    for (int i = 0; i < 9; i++)
        free(m->a[i]);
}

static int s_mat_arrays(const zw_intake_mat_t *m, size_t n, s_mat_arrays_t *out)
{
    memset(out, 0, sizeof *out);
    /* cols[f * n + i]: field f of material i; two numbers per material */
    const char **cols = calloc(9 * (n ? n : 1), sizeof(char *));
    char(*num)[2][24] = calloc(n ? n : 1, sizeof *num);
    int rc = cols && num ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *v[9] = {m[i].code,
                            m[i].name,
                            m[i].media_type,
                            m[i].sha256,
                            s_int(m[i].size, num[i][0]),
                            m[i].uri,
                            m[i].original ? "t" : "f",
                            s_int(m[i].copies, num[i][1]),
                            m[i].reused ? "t" : "f"};
        for (size_t f = 0; f < 9; f++)
            cols[f * n + i] = v[f];
    }
    for (size_t f = 0; rc == 0 && f < 9; f++)
        if (!(out->a[f] = s_array(cols + f * n, n)))
            rc = -1;
    free(cols);
    free(num);
    if (rc != 0)
        s_mat_arrays_free(out);
    return rc;
}

int zw_intake_store_materials_add(zw_db_t *db, const char *receipt, const zw_intake_mat_t *m,
                                  size_t n, zw_err_t *err)
{
    if (n == 0)
        return 0;
    s_mat_arrays_t a;
    if (s_mat_arrays(m, n, &a) != 0)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    char at[24];
    const char *p[] = {receipt,
                       a.a[0],
                       a.a[1],
                       a.a[2],
                       a.a[3],
                       a.a[4],
                       a.a[5],
                       a.a[6],
                       a.a[7],
                       a.a[8],
                       s_int(m[0].added_at_us, at)};
    int rc = zw_db_write(db, "intake_materials_add", 11, p, err);
    s_mat_arrays_free(&a);
    return rc;
}

static int s_mat_read(PGresult *res, int i, void *elem)
{
    zw_intake_mat_t *m = elem;
    m->code = s_dup(PQgetvalue(res, i, 0));
    m->name = s_dup(PQgetvalue(res, i, 1));
    m->media_type = s_dup(PQgetvalue(res, i, 2));
    m->sha256 = s_dup(PQgetvalue(res, i, 3));
    m->size = s_i64(res, i, 4);
    m->uri = s_dup(PQgetvalue(res, i, 5));
    m->original = s_bool(res, i, 6);
    m->copies = (int) s_i64(res, i, 7);
    m->reused = s_bool(res, i, 8);
    m->added_at_us = s_i64(res, i, 9);
    return m->code && m->name && m->media_type && m->sha256 && m->uri ? 0 : -1;
}

/* The materials of the one-parameter statement `stmt` (s_read_all). */
static int s_mats_query(zw_db_t *db, const char *stmt, const char *param, zw_intake_mat_t **out,
                        size_t *n, zw_err_t *err)
{
    const char *p[] = {param};
    int rc;
    *out = s_read_all(zw_db_exec(db, stmt, 1, p, err), sizeof **out, s_mat_read, s_mat_drop, n,
                      &rc, err);
    return rc;
}

int zw_intake_store_materials(zw_db_t *db, const char *receipt, zw_intake_mat_t **out, size_t *n,
                              zw_err_t *err)
{
    return s_mats_query(db, "intake_materials", receipt, out, n, err);
}

int zw_intake_store_on_file(zw_db_t *db, const char *applicant_key, zw_intake_mat_t **out,
                            size_t *n, zw_err_t *err)
{
    return s_mats_query(db, "intake_on_file", applicant_key, out, n, err);
}

int zw_intake_store_on_file_put(zw_db_t *db, const char *applicant_key, const char *receipt,
                                const char *const *kinds, const zw_intake_mat_t *m, size_t n,
                                int64_t now_us, zw_err_t *err)
{
    if (n == 0)
        return 0;
    s_mat_arrays_t a;
    char *k = s_array(kinds, n);
    if (!k || s_mat_arrays(m, n, &a) != 0) {
        free(k);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    char at[24];
    const char *p[] = {applicant_key, k,      a.a[0], a.a[1],  a.a[2],
                       a.a[3],        a.a[4], a.a[5], receipt, s_int(now_us, at)};
    int rc = zw_db_write(db, "intake_on_file_put", 10, p, err);
    s_mat_arrays_free(&a);
    free(k);
    return rc;
}

/* ---- credit list --------------------------------------------------------------- */

void zw_intake_credit_free(zw_intake_credit_t *c)
{
    if (!c)
        return;
    free(c->reason);
    free(c->id_masked);
    memset(c, 0, sizeof *c);
}

int zw_intake_store_credit_get(zw_db_t *db, const char *applicant_key, zw_intake_credit_t *out,
                               zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    const char *p[] = {applicant_key};
    PGresult *res = zw_db_exec(db, "intake_credit_get", 1, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        out->listed = true;
        out->reason = s_dup(PQgetvalue(res, 0, 0));
        out->id_masked = s_dup(PQgetvalue(res, 0, 1));
        out->listed_at_us = s_i64(res, 0, 2);
    }
    PQclear(res);
    if (out->listed && (!out->reason || !out->id_masked)) {
        zw_intake_credit_free(out);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    return 0;
}

int zw_intake_store_credit_put(zw_db_t *db, const char *applicant_key, const char *id_masked,
                               const char *reason, int64_t now_us, const char *actor, bool *changed,
                               zw_err_t *err)
{
    char at[24];
    const char *p[] = {applicant_key, id_masked, reason, s_int(now_us, at), actor};
    PGresult *res = zw_db_exec(db, "intake_credit_put", 5, p, err);
    if (!res)
        return -1;
    *changed = PQntuples(res) == 1;
    PQclear(res);
    return 0;
}

int zw_intake_store_credit_delete(zw_db_t *db, const char *applicant_key, bool *changed,
                                  zw_err_t *err)
{
    const char *p[] = {applicant_key};
    PGresult *res = zw_db_exec(db, "intake_credit_delete", 1, p, err);
    if (!res)
        return -1;
    *changed = PQntuples(res) == 1;
    PQclear(res);
    return 0;
}

int zw_intake_store_forward(zw_db_t *db, const char *receipt, const char *kind, const char *reason,
                            const char *actor, int64_t at_us, zw_err_t *err)
{
    char at[24];
    const char *p[] = {receipt, kind, reason ? reason : "", actor, s_int(at_us, at)};
    PGresult *res = zw_db_exec(db, "intake_forward", 5, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* ---- queries ------------------------------------------------------------------ */

static const char *s_opt(const char *s)
{
    return s && *s ? s : NULL;
}

int zw_intake_store_list(zw_db_t *db, const zw_intake_query_t *q, zw_intake_row_t **rows, size_t *n,
                         zw_err_t *err)
{
    char st[24], ch[24], from[24], to[24], after[24], lim[24];
    const char *p[14] = {
        s_opt(q->applicant_key),
        s_opt(q->item_code),
        q->state > 0 ? s_int(q->state, st) : NULL,
        q->channel > 0 ? s_int(q->channel, ch) : NULL,
        s_opt(q->window_id),
        s_time(q->from_us, from),
        s_time(q->to_us, to),
        s_opt(q->scope_region),
        s_opt(q->scope_department),
        s_opt(q->scope_submitter),
        q->after_receipt ? s_time(q->after_us, after) : NULL,
        q->after_receipt ? q->after_receipt : NULL,
        s_int(q->limit, lim),
        s_opt(q->supply_before),
    };
    return s_rows_take(zw_db_exec(db, "intake_list", 14, p, err), rows, n, err);
}

static void s_change_drop(void *elem)
{
    zw_intake_change_t *c = elem;
    char *strs[] = {c->type, c->receipt, c->payload, c->region, c->department, c->submitter};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(strs[i]);
}

void zw_intake_changes_free(zw_intake_change_t *c, size_t n)
{
    s_free_all(c, n, sizeof *c, s_change_drop);
}

int zw_intake_store_stream_head(zw_db_t *db, int64_t *head, int64_t *trimmed, zw_err_t *err)
{
    *head = *trimmed = 0;
    PGresult *res = zw_db_query(
        db, "SELECT last_seq, trimmed_seq FROM events.stream_head WHERE stream = 'intake'", 0,
        NULL, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        *head = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        *trimmed = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    }
    PQclear(res);
    return 0;
}

static int s_change_read(PGresult *res, int i, void *elem)
{
    zw_intake_change_t *c = elem;
    c->seq = s_i64(res, i, 0);
    c->type = s_dup(PQgetvalue(res, i, 1));
    c->receipt = s_dup(PQgetvalue(res, i, 2));
    c->at_us = s_i64(res, i, 3);
    c->payload = s_dup(PQgetvalue(res, i, 4));
    c->region = s_dup(PQgetvalue(res, i, 5));
    c->department = s_dup(PQgetvalue(res, i, 6));
    c->submitter = s_dup(PQgetvalue(res, i, 7));
    return c->type && c->receipt && c->payload && c->region && c->department && c->submitter ? 0
                                                                                               : -1;
}

int zw_intake_store_changes(zw_db_t *db, int64_t after_seq, int limit, zw_intake_change_t **out,
                            size_t *n, zw_err_t *err)
{
    char a[24], l[24];
    const char *p[] = {s_int(after_seq, a), s_int(limit, l)};
    int rc;
    *out = s_read_all(zw_db_exec(db, "intake_changes", 2, p, err), sizeof **out, s_change_read,
                      s_change_drop, n, &rc, err);
    return rc;
}

int zw_intake_store_unnoticed(zw_db_t *db, int64_t before_us, int limit, char ***receipts,
                              size_t *n, zw_err_t *err)
{
    char b[24], l[24];
    const char *p[] = {s_int(before_us, b), s_int(limit, l)};
    int rc;
    *receipts = s_read_all(zw_db_exec(db, "intake_unnoticed", 2, p, err), sizeof **receipts,
                           s_string_read, s_string_drop, n, &rc, err);
    return rc;
}

int zw_intake_store_apply_state(zw_db_t *db, const char *receipt, int state, int64_t seq,
                                int64_t at_us, bool *applied, zw_err_t *err)
{
    char s[24], q[24], a[24];
    const char *p[] = {receipt, s_int(state, s), s_int(seq, q), s_int(at_us, a)};
    PGresult *res = zw_db_exec(db, "intake_apply_state", 4, p, err);
    if (!res)
        return -1;
    *applied = PQntuples(res) == 1;
    PQclear(res);
    return 0;
}
