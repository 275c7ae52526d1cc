#include "zwtest.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *zwt_pg_conninfo(void)
{
    static char buf[512];
    const char *env = getenv("ZWFW_TEST_PG");
    if (env && *env)
        return env;
    const char *file = getenv("ZWFW_PG_CONNINFO_FILE");
    if (!file || !*file)
        file = ZWFW_PG_CONNINFO_FILE;
    FILE *f = fopen(file, "r");
    if (!f)
        return NULL;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    return n ? buf : NULL;
}

char *zwt_pg_fresh_db(const char *name)
{
    const char *base = zwt_pg_conninfo();
    if (!base)
        return NULL;
    PGconn *conn = PQconnectdb(base);
    if (PQstatus(conn) != CONNECTION_OK) {
        fprintf(stderr, "zwt_pg_fresh_db: %s", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    char sql[256];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", name);
    PQclear(PQexec(conn, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", name);
    PGresult *res = PQexec(conn, sql);
    int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "zwt_pg_fresh_db: %s", PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
    if (!ok)
        return NULL;
    size_t len = strlen(base) + strlen(name) + 16;
    char *out = malloc(len);
    snprintf(out, len, "%s dbname=%s", base, name);
    return out;
}

const char *zwt_src_path(const char *rel)
{
    static char buf[1024];
    const char *root = getenv("ZWFW_SOURCE_DIR");
    snprintf(buf, sizeof buf, "%s/%s", root && *root ? root : ZWFW_SOURCE_DIR, rel);
    return buf;
}

const char *zwt_bin_path(const char *name)
{
    static char buf[1024];
    const char *dir = getenv("ZWFW_BIN_DIR");
    snprintf(buf, sizeof buf, "%s/%s", dir && *dir ? dir : ZWFW_BIN_DIR, name);
    return buf;
}

long zwt_db_long(zw_db_t *db, const char *sql)
{
    zw_err_t err;
    PGresult *res = zw_db_query(db, sql, 0, NULL, &err);
    if (!res)
        fail_msg("%s: %s", sql, err.message);
    long n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

void zwt_db_run(zw_db_t *db, const char *sql)
{
    zw_err_t err;
    if (zw_db_run(db, sql, &err) != 0)
        fail_msg("%s: %s", sql, err.message);
}
