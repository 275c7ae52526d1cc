/* The catalog's SQL: named prepared statements over schema `catalog`
 * (catalog_store.h). Parameters travel as text; bytea as "\x" hex. */
#include "catalog_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name;
    int nparams;
    const char *sql;
} s_stmt_t;

#define S_ITEM_COLUMNS                                                                             \
    "impl_code, basic_code, name, item_type, department_code, department_name, region_code,"       \
    " handling, cross_scope, status, version, content_digest, updated_us, body"

static const s_stmt_t s_stmts[] = {
    {"catalog_item_get", 1, "SELECT content_digest, body FROM catalog.items WHERE impl_code = $1"},
    {"catalog_item_get_share", 1,
     "SELECT content_digest, body FROM catalog.items WHERE impl_code = $1 FOR SHARE"},
    {"catalog_item_get_update", 1,
     "SELECT content_digest, body FROM catalog.items WHERE impl_code = $1 FOR UPDATE"},
    {"catalog_item_version", 2,
     "SELECT body FROM catalog.item_versions WHERE impl_code = $1 AND version = $2::integer"},
    {"catalog_item_insert", 14,
     "INSERT INTO catalog.items (" S_ITEM_COLUMNS ") VALUES ($1, $2, $3, $4::integer, $5, $6, $7,"
     " $8::integer, $9::integer, $10::integer, $11::integer, $12, $13::bigint, $14::bytea)"
     " ON CONFLICT (impl_code) DO NOTHING"},
    {"catalog_item_update", 14,
     "UPDATE catalog.items SET basic_code = $2, name = $3, item_type = $4::integer,"
     " department_code = $5, department_name = $6, region_code = $7, handling = $8::integer,"
     " cross_scope = $9::integer, status = $10::integer, version = $11::integer,"
     " content_digest = $12, updated_us = $13::bigint, body = $14::bytea"
     " WHERE impl_code = $1 AND version = $11::integer - 1"},
    {"catalog_item_version_insert", 7,
     "INSERT INTO catalog.item_versions (impl_code, version, status, change, actor, created_us,"
     " body) VALUES ($1, $2::integer, $3::integer, $4, $5, $6::bigint, $7::bytea)"},
    {"catalog_item_list", 8,
     "SELECT body FROM catalog.items WHERE impl_code > $1"
     " AND ($2 = '' OR department_code = $2)"
     " AND ($3::integer = 0 OR item_type = $3::integer)"
     " AND ($4::integer = 0 OR cross_scope = $4::integer)"
     " AND ($5::integer = 0 OR handling = $5::integer)"
     " AND ($6 = '' OR name ILIKE $6 OR impl_code ILIKE $6 OR basic_code ILIKE $6)"
     " AND ($7::boolean OR status = 1)"
     " ORDER BY impl_code LIMIT $8::integer"},
    {"catalog_bundle_get", 1, "SELECT content_digest, body FROM catalog.bundles WHERE code = $1"},
    {"catalog_bundle_get_share", 1,
     "SELECT content_digest, body FROM catalog.bundles WHERE code = $1 FOR SHARE"},
    {"catalog_bundle_get_update", 1,
     "SELECT content_digest, body FROM catalog.bundles WHERE code = $1 FOR UPDATE"},
    {"catalog_bundle_insert", 7,
     "INSERT INTO catalog.bundles (code, name, status, version, content_digest, updated_us, body)"
     " VALUES ($1, $2, $3::integer, $4::integer, $5, $6::bigint, $7::bytea)"
     " ON CONFLICT (code) DO NOTHING"},
    {"catalog_bundle_update", 7,
     "UPDATE catalog.bundles SET name = $2, status = $3::integer, version = $4::integer,"
     " content_digest = $5, updated_us = $6::bigint, body = $7::bytea"
     " WHERE code = $1 AND version = $4::integer - 1"},
    {"catalog_bundle_version_insert", 5,
     "INSERT INTO catalog.bundle_versions (code, version, actor, created_us, body)"
     " VALUES ($1, $2::integer, $3, $4::bigint, $5::bytea)"},
    {"catalog_bundle_members_clear", 1, "DELETE FROM catalog.bundle_items WHERE bundle_code = $1"},
    {"catalog_bundle_members_insert", 2,
     "INSERT INTO catalog.bundle_items (bundle_code, position, impl_code)"
     " SELECT $1, m.position, m.code FROM unnest($2::text[]) WITH ORDINALITY AS m(code, position)"},
    {"catalog_bundle_list", 2,
     "SELECT body FROM catalog.bundles WHERE code > $1 ORDER BY code LIMIT $2::integer"},
    {"catalog_request_claim", 5,
     "INSERT INTO catalog.requests (caller_key_id, idempotency_key, request_type,"
     " request_digest, created_us) VALUES ($1, $2, $3, $4, $5::bigint) ON CONFLICT DO NOTHING"},
    {"catalog_request_get", 2,
     "SELECT request_type, request_digest, reply_type, reply FROM catalog.requests"
     " WHERE caller_key_id = $1 AND idempotency_key = $2"},
    {"catalog_request_finish", 4,
     "UPDATE catalog.requests SET reply_type = $3, reply = $4::bytea"
     " WHERE caller_key_id = $1 AND idempotency_key = $2"},
    {"catalog_request_trim", 1, "DELETE FROM catalog.requests WHERE created_us < $1::bigint"},
};

int zw_catalog_store_prepare(zw_db_t *db, zw_err_t *err)
{
    for (size_t i = 0; i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        if (zw_db_prepare(db, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].nparams, err) != 0)
            return -1;
    return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

/* "\x" + hex of data, malloc'd (bytea input). */
static char *s_hex(const uint8_t *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(2 * len + 3);
    if (!out)
        return NULL;
    out[0] = '\\';
    out[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        out[2 + 2 * i] = digits[data[i] >> 4];
        out[3 + 2 * i] = digits[data[i] & 15];
    }
    out[2 * len + 2] = '\0';
    return out;
}

/* Unpacks a bytea column (text form) as `desc`. */
static ProtobufCMessage *s_unpack(const PGresult *res, int row, int col,
                                  const ProtobufCMessageDescriptor *desc, zw_err_t *err)
{
    size_t len = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *) PQgetvalue(res, row, col), &len);
    if (!raw) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, len, raw);
    PQfreemem(raw);
    if (!msg)
        zw_err_set(err, ZW_DATA_LOSS, "catalog: a stored %s does not decode", desc->name);
    return msg;
}

/* Runs statement `name`, registering it on this connection first (a
 * no-op once done: zw_db_prepare keeps it across reconnects). */
static int s_exec(zw_db_t *db, const char *name, int n, const char *const *params, PGresult **out,
                  zw_err_t *err)
{
    size_t i = 0;
    while (i < sizeof s_stmts / sizeof s_stmts[0] && strcmp(s_stmts[i].name, name) != 0)
        i++;
    if (i == sizeof s_stmts / sizeof s_stmts[0])
        return zw_err_set(err, ZW_INTERNAL, "catalog: no statement %s", name);
    if (zw_db_prepare(db, name, s_stmts[i].sql, s_stmts[i].nparams, err) != 0)
        return -1;
    PGresult *res = zw_db_exec(db, name, n, params, err);
    if (!res)
        return -1;
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

/* Rows changed by the last INSERT/UPDATE/DELETE. */
static long s_affected(PGresult *res)
{
    const char *n = PQcmdTuples(res);
    return n && *n ? atol(n) : 0;
}

static const char *const s_get_names[] = {"catalog_item_get", "catalog_item_get_share",
                                          "catalog_item_get_update"};
static const char *const s_bundle_get_names[] = {"catalog_bundle_get", "catalog_bundle_get_share",
                                                 "catalog_bundle_get_update"};

/* ---- items ------------------------------------------------------------------ */

int zw_catalog_store_item_get(zw_db_t *db, const char *impl_code, zw_catalog_lock_t lock,
                              Zwfw__V1__Item **item, char digest[ZW_AUDIT_HASH_LEN + 1],
                              zw_err_t *err)
{
    *item = NULL;
    PGresult *res;
    const char *params[] = {impl_code};
    if (s_exec(db, s_get_names[lock], 1, params, &res, err) != 0)
        return -1;
    int rc = -1;
    if (PQntuples(res) == 0) {
        zw_err_setd(err, ZW_NOT_FOUND, "impl_code", "no item %s in the catalog", impl_code);
    } else {
        *item = (Zwfw__V1__Item *) s_unpack(res, 0, 1, &zwfw__v1__item__descriptor, err);
        if (*item) {
            if (digest)
                snprintf(digest, ZW_AUDIT_HASH_LEN + 1, "%s", PQgetvalue(res, 0, 0));
            rc = 0;
        }
    }
    PQclear(res);
    return rc;
}

int zw_catalog_store_item_version(zw_db_t *db, const char *impl_code, int version,
                                  Zwfw__V1__Item **item, zw_err_t *err)
{
    *item = NULL;
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[] = {impl_code, v};
    PGresult *res;
    if (s_exec(db, "catalog_item_version", 2, params, &res, err) != 0)
        return -1;
    int rc = -1;
    if (PQntuples(res) == 0)
        zw_err_setd(err, ZW_NOT_FOUND, "version", "item %s has no version %d", impl_code, version);
    else if ((*item = (Zwfw__V1__Item *) s_unpack(res, 0, 0, &zwfw__v1__item__descriptor, err)))
        rc = 0;
    PQclear(res);
    return rc;
}

int zw_catalog_store_item_write(zw_db_t *db, const Zwfw__V1__Item *item, const char *digest,
                                const uint8_t *body, size_t len, const char *change,
                                const char *actor, int64_t now_us, zw_err_t *err)
{
    char *hex = s_hex(body, len);
    if (!hex)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    char type[16], handling[16], scope[16], status[16], version[16], now[24];
    snprintf(type, sizeof type, "%d", (int) item->type);
    snprintf(handling, sizeof handling, "%d", (int) item->handling);
    snprintf(scope, sizeof scope, "%d", (int) item->cross_scope);
    snprintf(status, sizeof status, "%d", (int) item->status);
    snprintf(version, sizeof version, "%d", item->version);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {item->impl_code,
                            item->basic_code,
                            item->name,
                            type,
                            item->department_code,
                            item->department_name,
                            item->region_code,
                            handling,
                            scope,
                            status,
                            version,
                            digest,
                            now,
                            hex};
    PGresult *res;
    int rc = s_exec(db, item->version == 1 ? "catalog_item_insert" : "catalog_item_update", 14,
                    params, &res, err);
    if (rc == 0) {
        if (s_affected(res) != 1)
            rc = zw_err_setd(err, ZW_ABORTED, "impl_code",
                             "item %s was changed by a concurrent request", item->impl_code);
        PQclear(res);
    }
    if (rc == 0) {
        const char *vparams[] = {item->impl_code, version, status, change, actor, now, hex};
        rc = s_exec(db, "catalog_item_version_insert", 7, vparams, NULL, err);
    }
    free(hex);
    return rc;
}

/* Unpacks column 0 of every row into a malloc'd array. */
static int s_unpack_rows(PGresult *res, const ProtobufCMessageDescriptor *desc, void ***out,
                         size_t *n, zw_err_t *err)
{
    int rows = PQntuples(res);
    *out = NULL;
    *n = 0;
    void **arr = calloc(rows ? (size_t) rows : 1, sizeof *arr);
    if (!arr)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < rows; i++) {
        arr[i] = s_unpack(res, i, 0, desc, err);
        if (!arr[i]) {
            for (int k = 0; k < i; k++)
                protobuf_c_message_free_unpacked(arr[k], NULL);
            free(arr);
            return -1;
        }
    }
    *out = arr;
    *n = (size_t) rows;
    return 0;
}

int zw_catalog_store_item_list(zw_db_t *db, const zw_catalog_query_t *q, Zwfw__V1__Item ***items,
                               size_t *n, zw_err_t *err)
{
    char type[16], scope[16], handling[16], limit[16];
    snprintf(type, sizeof type, "%d", q->type);
    snprintf(scope, sizeof scope, "%d", q->cross_scope);
    snprintf(handling, sizeof handling, "%d", q->handling);
    snprintf(limit, sizeof limit, "%d", q->limit);
    const char *params[] = {q->after ? q->after : "",
                            q->department_code ? q->department_code : "",
                            type,
                            scope,
                            handling,
                            q->like ? q->like : "",
                            q->include_cancelled ? "true" : "false",
                            limit};
    PGresult *res;
    if (s_exec(db, "catalog_item_list", 8, params, &res, err) != 0)
        return -1;
    int rc = s_unpack_rows(res, &zwfw__v1__item__descriptor, (void ***) items, n, err);
    PQclear(res);
    return rc;
}

void zw_catalog_store_items_free(Zwfw__V1__Item **items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        if (items[i])
            protobuf_c_message_free_unpacked(&items[i]->base, NULL);
    free(items);
}

/* ---- bundles ---------------------------------------------------------------- */

int zw_catalog_store_bundle_get(zw_db_t *db, const char *code, zw_catalog_lock_t lock,
                                Zwfw__V1__Bundle **bundle, char digest[ZW_AUDIT_HASH_LEN + 1],
                                zw_err_t *err)
{
    *bundle = NULL;
    const char *params[] = {code};
    PGresult *res;
    if (s_exec(db, s_bundle_get_names[lock], 1, params, &res, err) != 0)
        return -1;
    int rc = -1;
    if (PQntuples(res) == 0) {
        zw_err_setd(err, ZW_NOT_FOUND, "code", "no bundle %s", code);
    } else {
        *bundle = (Zwfw__V1__Bundle *) s_unpack(res, 0, 1, &zwfw__v1__bundle__descriptor, err);
        if (*bundle) {
            if (digest)
                snprintf(digest, ZW_AUDIT_HASH_LEN + 1, "%s", PQgetvalue(res, 0, 0));
            rc = 0;
        }
    }
    PQclear(res);
    return rc;
}

/* A PostgreSQL text[] literal of the codes, every element quoted. */
static char *s_text_array(char *const *codes, size_t n)
{
    size_t cap = 3;
    for (size_t i = 0; i < n; i++)
        cap += 2 * strlen(codes[i]) + 3;
    char *out = malloc(cap), *p = out;
    if (!out)
        return NULL;
    *p++ = '{';
    for (size_t i = 0; i < n; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        for (const char *c = codes[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                *p++ = '\\';
            *p++ = *c;
        }
        *p++ = '"';
    }
    *p++ = '}';
    *p = '\0';
    return out;
}

int zw_catalog_store_bundle_write(zw_db_t *db, const Zwfw__V1__Bundle *bundle, const char *digest,
                                  const uint8_t *body, size_t len, const char *actor,
                                  int64_t now_us, zw_err_t *err)
{
    char *hex = s_hex(body, len);
    char *members = s_text_array(bundle->item_codes, bundle->n_item_codes);
    if (!hex || !members) {
        free(hex);
        free(members);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    char status[16], version[16], now[24];
    snprintf(status, sizeof status, "%d", (int) bundle->status);
    snprintf(version, sizeof version, "%d", bundle->version);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {bundle->code, bundle->name, status, version, digest, now, hex};
    PGresult *res;
    int rc = s_exec(db, bundle->version == 1 ? "catalog_bundle_insert" : "catalog_bundle_update", 7,
                    params, &res, err);
    if (rc == 0) {
        if (s_affected(res) != 1)
            rc = zw_err_setd(err, ZW_ABORTED, "code",
                             "bundle %s was changed by a concurrent request", bundle->code);
        PQclear(res);
    }
    const char *vparams[] = {bundle->code, version, actor, now, hex};
    if (rc == 0)
        rc = s_exec(db, "catalog_bundle_version_insert", 5, vparams, NULL, err);
    const char *cparams[] = {bundle->code};
    if (rc == 0)
        rc = s_exec(db, "catalog_bundle_members_clear", 1, cparams, NULL, err);
    const char *mparams[] = {bundle->code, members};
    if (rc == 0)
        rc = s_exec(db, "catalog_bundle_members_insert", 2, mparams, NULL, err);
    free(hex);
    free(members);
    return rc;
}

int zw_catalog_store_bundle_list(zw_db_t *db, const char *after, int limit,
                                 Zwfw__V1__Bundle ***bundles, size_t *n, zw_err_t *err)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *params[] = {after ? after : "", lim};
    PGresult *res;
    if (s_exec(db, "catalog_bundle_list", 2, params, &res, err) != 0)
        return -1;
    int rc = s_unpack_rows(res, &zwfw__v1__bundle__descriptor, (void ***) bundles, n, err);
    PQclear(res);
    return rc;
}

/* ---- idempotency ------------------------------------------------------------ */

int zw_catalog_store_request_claim(zw_db_t *db, const char *caller_key_id, const char *key,
                                   const char *type, const char *digest, int64_t now_us,
                                   bool *claimed, zw_err_t *err)
{
    char now[24];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *params[] = {caller_key_id, key, type, digest, now};
    PGresult *res;
    if (s_exec(db, "catalog_request_claim", 5, params, &res, err) != 0)
        return -1;
    *claimed = s_affected(res) == 1;
    PQclear(res);
    return 0;
}

int zw_catalog_store_request_get(zw_db_t *db, const char *caller_key_id, const char *key,
                                 zw_catalog_request_t *out, zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    const char *params[] = {caller_key_id, key};
    PGresult *res;
    if (s_exec(db, "catalog_request_get", 2, params, &res, err) != 0)
        return -1;
    int rc = 0;
    if (PQntuples(res) == 0) {
        rc = zw_err_setd(err, ZW_NOT_FOUND, "idempotency_key", "no request with this key");
    } else {
        snprintf(out->type, sizeof out->type, "%s", PQgetvalue(res, 0, 0));
        snprintf(out->digest, sizeof out->digest, "%s", PQgetvalue(res, 0, 1));
        if (!PQgetisnull(res, 0, 3)) {
            snprintf(out->reply_type, sizeof out->reply_type, "%s", PQgetvalue(res, 0, 2));
            size_t len = 0;
            unsigned char *raw =
                PQunescapeBytea((const unsigned char *) PQgetvalue(res, 0, 3), &len);
            out->reply = raw ? malloc(len ? len : 1) : NULL;
            if (!out->reply) {
                rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
            } else {
                memcpy(out->reply, raw, len);
                out->len = len;
            }
            if (raw)
                PQfreemem(raw);
        }
    }
    PQclear(res);
    return rc;
}

int zw_catalog_store_request_finish(zw_db_t *db, const char *caller_key_id, const char *key,
                                    const char *reply_type, const uint8_t *reply, size_t len,
                                    zw_err_t *err)
{
    char *hex = s_hex(reply, len);
    if (!hex)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    const char *params[] = {caller_key_id, key, reply_type, hex};
    int rc = s_exec(db, "catalog_request_finish", 4, params, NULL, err);
    free(hex);
    return rc;
}

int zw_catalog_store_request_trim(zw_db_t *db, int64_t older_than_us, int64_t *deleted,
                                  zw_err_t *err)
{
    char before[24];
    snprintf(before, sizeof before, "%" PRId64, older_than_us);
    const char *params[] = {before};
    PGresult *res;
    if (s_exec(db, "catalog_request_trim", 1, params, &res, err) != 0)
        return -1;
    if (deleted)
        *deleted = s_affected(res);
    PQclear(res);
    return 0;
}
