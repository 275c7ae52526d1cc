#include "zwtest.h"

#include <errno.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static char s_tmp_dir[256];

int zwt_tmp_setup(void **state)
{
    (void) state;
    const char *tmp = getenv("TMPDIR");
    snprintf(s_tmp_dir, sizeof s_tmp_dir, "%s/zwfw-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(s_tmp_dir))
        return 0;
    fprintf(stderr, "zwt_tmp_setup: %s: %s\n", s_tmp_dir, strerror(errno));
    s_tmp_dir[0] = '\0';
    return -1;
}

static int s_remove(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void) sb, (void) type, (void) ftw;
    if (remove(path) == 0)
        return 0;
    fprintf(stderr, "zwt_tmp_teardown: %s: %s\n", path, strerror(errno));
    return -1;
}

int zwt_tmp_teardown(void **state)
{
    (void) state;
    if (!s_tmp_dir[0])
        return 0;
    /* depth first, so that a folder is empty when its turn comes; links
     * are removed, never followed */
    int rc = nftw(s_tmp_dir, s_remove, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
    s_tmp_dir[0] = '\0';
    return rc;
}

const char *zwt_tmp_dir(void)
{
    return s_tmp_dir;
}

const char *zwt_tmp_path(const char *name)
{
    static char buf[4][512];
    static int i = 0;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", s_tmp_dir, name);
    return buf[i];
}

void zwt_write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("%s: %s", path, strerror(errno));
    bool ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || chmod(path, mode) != 0)
        fail_msg("%s: writing failed: %s", path, strerror(errno));
}

const char *zwt_key_entry(char *buf, size_t sz, const char *name, const char *key, const char *role,
                          const char *extra)
{
    snprintf(buf, sz,
             "{\"name\": \"%.64s\", \"public_key\": \"%.64s\", \"role\": \"%.32s\", "
             "\"region\": \"500152\"%.200s}",
             name, key, role, extra);
    return buf;
}
