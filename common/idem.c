/* Idempotency records (idem.h). */
#include "idem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TABLE_MAX 100

static int s_name(char out[S_TABLE_MAX + 16], const char *what, const char *table, zw_err_t *err)
{
    if (!table || strlen(table) > S_TABLE_MAX)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "idempotency table name too long");
    snprintf(out, S_TABLE_MAX + 16, "idem_%s:%s", what, table);
    return 0;
}

int zw_idem_prepare(zw_db_t *db, const char *table, zw_err_t *err)
{
    char get[S_TABLE_MAX + 16], put[S_TABLE_MAX + 16], sql[512];
    if (s_name(get, "get", table, err) != 0 || s_name(put, "put", table, err) != 0)
        return -1;
    snprintf(sql, sizeof sql,
             "SELECT type, digest, reply FROM %s WHERE caller = $1 AND idempotency_key = $2",
             table);
    if (zw_db_prepare(db, get, sql, 2, err) != 0)
        return -1;
    snprintf(
        sql, sizeof sql,
        "INSERT INTO %s (caller, idempotency_key, type, digest, reply, created_at_us)"
        " VALUES ($1, $2, $3, $4, $5::bytea, $6::bigint) ON CONFLICT DO NOTHING RETURNING true",
        table);
    if (zw_db_prepare(db, put, sql, 6, err) != 0)
        return -1;
    /* the one-bigint advisory lock space, apart from the events' two-int
     * locks */
    return zw_db_prepare(db, "idem_lock",
                         "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))",
                         2, err);
}

int zw_idem_lock(zw_db_t *db, const char *caller, const char *key, zw_err_t *err)
{
    const char *p[] = {caller, key};
    PGresult *res = zw_db_exec(db, "idem_lock", 2, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int zw_idem_get(zw_db_t *db, const char *table, const char *caller, const char *key, bool *found,
                char **type, char **digest, uint8_t **reply, size_t *len, zw_err_t *err)
{
    char name[S_TABLE_MAX + 16];
    *found = false;
    *type = *digest = NULL;
    *reply = NULL;
    *len = 0;
    if (s_name(name, "get", table, err) != 0)
        return -1;
    const char *p[] = {caller, key};
    PGresult *res = zw_db_exec(db, name, 2, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        *found = true;
        *type = strdup(PQgetvalue(res, 0, 0));
        *digest = strdup(PQgetvalue(res, 0, 1));
        unsigned char *raw = PQunescapeBytea((const unsigned char *) PQgetvalue(res, 0, 2), len);
        if (raw) {
            *reply = malloc(*len ? *len : 1);
            if (*reply)
                memcpy(*reply, raw, *len);
            PQfreemem(raw);
        }
        if (!*type || !*digest || !*reply) {
            free(*type);
            free(*digest);
            free(*reply);
            *type = *digest = NULL;
            *reply = NULL;
            PQclear(res);
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    PQclear(res);
    return 0;
}

int zw_idem_put(zw_db_t *db, const char *table, const char *caller, const char *key,
                const char *type, const char *digest, const uint8_t *reply, size_t len,
                int64_t now_us, zw_err_t *err)
{
    char name[S_TABLE_MAX + 16], now[32];
    if (s_name(name, "put", table, err) != 0)
        return -1;
    char *hex = malloc(2 * len + 3);
    if (!hex)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    static const char digits[] = "0123456789abcdef";
    hex[0] = '\\';
    hex[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        hex[2 + 2 * i] = digits[reply[i] >> 4];
        hex[3 + 2 * i] = digits[reply[i] & 15];
    }
    hex[2 + 2 * len] = '\0';
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = {caller, key, type, digest, hex, now};
    PGresult *res = zw_db_exec(db, name, 6, p, err);
    free(hex);
    if (!res)
        return -1;
    bool inserted = PQntuples(res) == 1;
    PQclear(res);
    if (!inserted)
        return zw_err_setd(err, ZW_ALREADY_EXISTS, "idempotency_key",
                           "idempotency key %s was used for another request", key);
    return 0;
}

int zw_idem_replay(zw_db_t *db, const char *table, const char *caller, const char *key,
                   const char *type, const char *digest, uint8_t **reply, size_t *len,
                   zw_err_t *err)
{
    bool found = false;
    char *t = NULL, *d = NULL;
    if (zw_idem_get(db, table, caller, key, &found, &t, &d, reply, len, err) != 0)
        return -1;
    int rc = 0;
    if (found && (strcmp(t, type) != 0 || strcmp(d, digest) != 0)) {
        free(*reply);
        *reply = NULL;
        rc = zw_err_setd(err, ZW_ALREADY_EXISTS, "idempotency_key",
                         "idempotency key %s was used for another request", key);
    }
    free(t);
    free(d);
    return rc;
}
