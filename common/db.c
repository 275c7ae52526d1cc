#include "db.h"
#include "db_internal.h"

#include "log.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define S_BACKOFF_MIN_MS 100
#define S_BACKOFF_MAX_MS 5000
#define S_TX_TRIES 8

static int64_t s_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void s_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

zw_code_t zw_db_code_for_sqlstate(const char *s)
{
    if (!s || strlen(s) != 5)
        return ZW_UNAVAILABLE; /* no SQLSTATE: the connection is gone */
    if (strcmp(s, "23505") == 0)
        return ZW_ALREADY_EXISTS;
    if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0)
        return ZW_ABORTED;
    if (strcmp(s, "57014") == 0)
        return ZW_DEADLINE_EXCEEDED;
    if (strncmp(s, "08", 2) == 0 || strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
        strcmp(s, "57P03") == 0)
        return ZW_UNAVAILABLE;
    if (strncmp(s, "22", 2) == 0)
        return ZW_INVALID_ARGUMENT;
    if (strncmp(s, "23", 2) == 0)
        return ZW_FAILED_PRECONDITION;
    if (strcmp(s, "55P03") == 0)
        return ZW_UNAVAILABLE; /* lock_not_available */
    return ZW_INTERNAL;
}

int zw_db__fail(zw_db_t *self, const PGresult *res, const char *what, zw_err_t *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!msg || !*msg)
        msg = self->conn ? PQerrorMessage(self->conn) : "not connected";
    zw_code_t code = zw_db_code_for_sqlstate(state);
    if (!state && self->conn && PQstatus(self->conn) == CONNECTION_OK)
        code = ZW_INTERNAL;
    char clean[200];
    snprintf(clean, sizeof clean, "%s", msg);
    size_t n = strlen(clean);
    while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    return zw_err_setd(err, code, state ? state : "", "%s: %s", what, clean);
}

zw_db_t *zw_db_new(const char *conninfo)
{
    zw_db_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->conninfo = strdup(conninfo ? conninfo : "");
    if (!self->conninfo) {
        free(self);
        return NULL;
    }
    self->backoff_ms = S_BACKOFF_MIN_MS;
    zw_db_set_name(self, program_invocation_short_name);
    return self;
}

void zw_db_set_name(zw_db_t *self, const char *name)
{
    /* the server takes at most NAMEDATALEN - 1 (63) bytes; a name cut in
     * the middle of a UTF-8 sequence is harmless there, but keep it ASCII */
    size_t n = 0;
    for (const char *c = name ? name : ""; *c && n < sizeof self->app_name - 1; c++)
        self->app_name[n++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
    self->app_name[n] = '\0';
}

void zw_db_destroy(zw_db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_db_t *self = *self_p;
    zw_db_defer_end(self);
    free(self->defer.items);
    if (self->conn)
        PQfinish(self->conn);
    for (size_t i = 0; i < self->nstmts; i++) {
        free(self->stmts[i].name);
        free(self->stmts[i].sql);
    }
    free(self->stmts);
    free(self->conninfo);
    free(self);
    *self_p = NULL;
}

static int s_prepare_one(zw_db_t *self, const s_stmt_t *st, zw_err_t *err)
{
    PGresult *res = PQprepare(self->conn, st->name, st->sql, st->nparams, NULL);
    int rc = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = zw_db__fail(self, res, st->name, err);
    PQclear(res);
    return rc;
}

/* The server's warnings (client_min_messages = warning) go to the log as
 * JSON lines, not to stderr as libpq's bare text. */
static void s_notice(void *arg, const char *message)
{
    (void) arg;
    char text[300];
    snprintf(text, sizeof text, "%s", message);
    text[strcspn(text, "\n")] = '\0';
    zw_logkv(ZW_LOG_WARN, "database warning", "message", text, NULL);
}

int zw_db_connect(zw_db_t *self, zw_err_t *err)
{
    if (self->conn && PQstatus(self->conn) == CONNECTION_OK)
        return 0;
    if (self->conn) {
        PQfinish(self->conn);
        self->conn = NULL;
    }
    /* The operator's conninfo is expanded as dbname, so any
     * application_name it sets wins over the fallback name. */
    const char *const keys[] = {"dbname", "fallback_application_name", NULL};
    const char *const values[] = {self->conninfo, self->app_name[0] ? self->app_name : NULL, NULL};
    self->conn = PQconnectdbParams(keys, values, 1);
    if (!self->conn)
        return zw_err_set(err, ZW_UNAVAILABLE, "database: out of memory");
    if (PQstatus(self->conn) != CONNECTION_OK) {
        char msg[200];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(self->conn));
        msg[strcspn(msg, "\n")] = '\0';
        PQfinish(self->conn);
        self->conn = NULL;
        return zw_err_set(err, ZW_UNAVAILABLE, "database unreachable: %s", msg);
    }
    PQsetNoticeProcessor(self->conn, s_notice, NULL);
    /* Business time never comes from the server; keep its session in UTC so
     * timestamptz text is unambiguous. */
    PGresult *res = PQexec(
        self->conn, self->generic_plans ? "SET TIME ZONE 'UTC'; SET client_min_messages = warning;"
                                          " SET plan_cache_mode = force_generic_plan"
                                        : "SET TIME ZONE 'UTC'; SET client_min_messages = warning");
    PQclear(res);
    for (size_t i = 0; i < self->nstmts; i++)
        if (s_prepare_one(self, &self->stmts[i], err) != 0) {
            PQfinish(self->conn);
            self->conn = NULL;
            return -1;
        }
    self->backoff_ms = S_BACKOFF_MIN_MS;
    self->next_attempt_ms = 0;
    return 0;
}

bool zw_db_connected(const zw_db_t *self)
{
    return self->conn && PQstatus(self->conn) == CONNECTION_OK;
}

int zw_db_ensure(zw_db_t *self, zw_err_t *err)
{
    if (zw_db_connected(self))
        return 0;
    /* A new connection would run the rest of the transaction's statements
     * outside it (and its COMMIT would commit nothing, successfully). */
    if (self->in_tx)
        return zw_err_set(err, ZW_UNAVAILABLE, "database connection lost inside a transaction");
    int64_t now = s_mono_ms();
    if (self->next_attempt_ms && now < self->next_attempt_ms)
        return zw_err_set(err, ZW_UNAVAILABLE, "database unreachable; next attempt in %lld ms",
                          (long long) (self->next_attempt_ms - now));
    if (zw_db_connect(self, err) == 0) {
        return 0;
    }
    self->next_attempt_ms = now + self->backoff_ms;
    self->backoff_ms =
        self->backoff_ms * 2 > S_BACKOFF_MAX_MS ? S_BACKOFF_MAX_MS : self->backoff_ms * 2;
    return -1;
}

int zw_db_wait(zw_db_t *self, int timeout_ms, zw_err_t *err)
{
    return zw_db_wait_while(self, timeout_ms, NULL, err);
}

int zw_db_wait_while(zw_db_t *self, int timeout_ms, const volatile sig_atomic_t *stop,
                     zw_err_t *err)
{
    int64_t deadline = s_mono_ms() + timeout_ms;
    zw_err_t last = {0}, now_err;
    for (;;) {
        bool attempt = !self->next_attempt_ms || s_mono_ms() >= self->next_attempt_ms;
        if (zw_db_ensure(self, &now_err) == 0)
            return 0;
        if (attempt || last.code == ZW_OK)
            last = now_err; /* a real attempt's failure, not the back-off notice */
        int64_t now = s_mono_ms();
        if (stop && *stop)
            return zw_err_set(err, ZW_CANCELLED, "stopped while waiting for the database (%s)",
                              last.message);
        if (now >= deadline) {
            if (err)
                *err = last;
            return -1;
        }
        int64_t wait = self->next_attempt_ms ? self->next_attempt_ms - now : 50;
        if (wait > deadline - now)
            wait = deadline - now;
        if (wait > 100)
            wait = 100;
        s_sleep_ms(wait > 0 ? (int) wait : 1);
    }
}

int zw_db_generic_plans(zw_db_t *self, zw_err_t *err)
{
    self->generic_plans = true;
    if (!zw_db_connected(self))
        return 0; /* set when it connects */
    return zw_db_run(self, "SET plan_cache_mode = force_generic_plan", err);
}

bool zw_db_ping(zw_db_t *self)
{
    PGresult *res = zw_db_query(self, "SELECT 1", 0, NULL, NULL);
    PQclear(res);
    return res != NULL;
}

PGconn *zw_db_conn(zw_db_t *self)
{
    return zw_db_connected(self) ? self->conn : NULL;
}

int zw_db_prepare(zw_db_t *self, const char *name, const char *sql, int nparams, zw_err_t *err)
{
    /* the server cuts longer names to 63 bytes: two names could become one */
    if (!name || !*name || strlen(name) > 63)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "name",
                           "statement name must be 1..63 bytes: %.80s", name ? name : "");
    for (size_t i = 0; i < self->nstmts; i++)
        if (strcmp(self->stmts[i].name, name) == 0) {
            if (strcmp(self->stmts[i].sql, sql) == 0)
                return 0;
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, name,
                               "statement %s registered twice with different SQL", name);
        }
    if (self->nstmts == self->capstmts) {
        size_t cap = self->capstmts ? self->capstmts * 2 : 16;
        s_stmt_t *grown = realloc(self->stmts, cap * sizeof *grown);
        if (!grown)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        self->stmts = grown;
        self->capstmts = cap;
    }
    s_stmt_t st = {strdup(name), strdup(sql), nparams, 0, false};
    if (!st.name || !st.sql) {
        free(st.name);
        free(st.sql);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (zw_db_connected(self) && s_prepare_one(self, &st, err) != 0) {
        free(st.name);
        free(st.sql);
        return -1;
    }
    self->stmts[self->nstmts++] = st;
    return 0;
}

static PGresult *s_check(zw_db_t *self, PGresult *res, const char *what, zw_err_t *err)
{
    ExecStatusType st = PQresultStatus(res);
    if (res && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
        return res;
    zw_db__fail(self, res, what, err);
    PQclear(res);
    return NULL;
}

PGresult *zw_db_exec(zw_db_t *self, const char *name, int nparams, const char *const *values,
                     zw_err_t *err)
{
    if (zw_db_ensure(self, err) != 0)
        return NULL;
    if (self->defer.begin_pending)
        return zw_db__exec_begun(self, name, NULL, nparams, values, err);
    PGresult *res = PQexecPrepared(self->conn, name, nparams, values, NULL, NULL, 0);
    return s_check(self, res, name, err);
}

PGresult *zw_db_query(zw_db_t *self, const char *sql, int nparams, const char *const *values,
                      zw_err_t *err)
{
    if (zw_db_ensure(self, err) != 0)
        return NULL;
    if (self->defer.begin_pending)
        return zw_db__exec_begun(self, NULL, sql, nparams, values, err);
    PGresult *res = PQexecParams(self->conn, sql, nparams, NULL, values, NULL, NULL, 0);
    return s_check(self, res, "query", err);
}

int zw_db_run(zw_db_t *self, const char *sql, zw_err_t *err)
{
    if (zw_db_ensure(self, err) != 0)
        return -1;
    if (self->defer.begin_pending) {
        self->defer.begin_pending = false;
        if (zw_db_run(self, zw_db__begin_sql(self), err) != 0)
            return -1;
        self->in_tx = true;
    }
    /* PQexec returns only the last result of a multi-statement string; an
     * error in any statement stops there and is that last result. */
    PGresult *res = s_check(self, PQexec(self->conn, sql), "sql", err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

static void s_rollback(zw_db_t *self)
{
    bool begun = !self->defer.begin_pending;
    self->in_tx = false;
    self->defer.begin_pending = false;
    zw_db_defer_end(self); /* what a failed body queued is not for later */
    if (begun && zw_db_connected(self))
        PQclear(PQexec(self->conn, "ROLLBACK"));
}

int zw_db_tx(zw_db_t *self, bool serializable, zw_db_tx_fn *fn, void *arg, zw_err_t *err)
{
    int delay_ms = 5;
    for (int attempt = 1;; attempt++) {
        zw_err_t local;
        zw_err_clear(&local);
        /* BEGIN goes in one pipeline with the body's first statement: a
         * round trip less for every transaction */
        self->defer.begin_pending = true;
        self->defer.serializable = serializable;
        int rc = fn(self, arg, &local);
        if (rc == 0 && self->defer.begin_pending) {
            self->defer.begin_pending = false; /* the body sent nothing */
            return 0;
        }
        if (rc == 0 && !zw_db_connected(self))
            rc = zw_err_set(&local, ZW_UNAVAILABLE, "database connection lost before COMMIT");
        if (rc == 0) {
            self->in_tx = false;
            PGresult *res = PQexec(self->conn, "COMMIT");
            if (PQresultStatus(res) == PGRES_COMMAND_OK) {
                PQclear(res);
                return 0;
            }
            zw_db__fail(self, res, "commit", &local);
            PQclear(res);
            if (local.code == ZW_UNAVAILABLE) {
                /* Outcome unknown: never silently run the body again. */
                if (err)
                    *err = local;
                return -1;
            }
        } else {
            s_rollback(self);
        }
        bool retry = (local.code == ZW_ABORTED || (local.code == ZW_UNAVAILABLE && attempt < 3)) &&
                     attempt < S_TX_TRIES;
        if (!retry) {
            if (err)
                *err = local;
            return -1;
        }
        if (local.code == ZW_UNAVAILABLE)
            zw_db_wait(self, 2000, NULL);
        else
            s_sleep_ms(delay_ms + rand() % (delay_ms + 1));
        delay_ms *= 2;
    }
}

/* ---- migrations ------------------------------------------------------- */

typedef struct {
    long version;
    char *name; /* file name */
} s_migration_t;

static int s_cmp_migration(const void *a, const void *b)
{
    long va = ((const s_migration_t *) a)->version, vb = ((const s_migration_t *) b)->version;
    return (va > vb) - (va < vb);
}

static char *s_read_file(const char *path, zw_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        zw_err_set(err, ZW_NOT_FOUND, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = len >= 0 ? malloc((size_t) len + 1) : NULL;
    if (!buf || fread(buf, 1, (size_t) len, f) != (size_t) len) {
        free(buf);
        fclose(f);
        zw_err_set(err, ZW_INTERNAL, "cannot read %s", path);
        return NULL;
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

typedef struct {
    const char *owner;
    long version;
    const char *name;
    const char *sql;
    bool applied;
} s_mig_tx_t;

static const char *s_migrations_ddl =
    "CREATE TABLE IF NOT EXISTS public.zwfw_migrations ("
    " owner text NOT NULL, version integer NOT NULL, name text NOT NULL,"
    " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " PRIMARY KEY (owner, version))";

static int s_apply_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_mig_tx_t *m = arg;
    m->applied = false;
    /* One global lock: migrations of different owners may reference each
     * other's schemas, and concurrent daemons start together. */
    PGresult *res = zw_db_query(db, "SELECT pg_advisory_xact_lock(7469271001)", 0, NULL, err);
    if (!res)
        return -1;
    PQclear(res);
    if (zw_db_run(db, s_migrations_ddl, err) != 0)
        return -1;
    char version[24];
    snprintf(version, sizeof version, "%ld", m->version);
    const char *params[] = {m->owner, version, m->sql};
    res = zw_db_query(db,
                      "SELECT checksum = md5($3), name FROM public.zwfw_migrations"
                      " WHERE owner = $1 AND version = $2::integer",
                      3, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        bool same = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        if (!same)
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, m->name,
                               "migration %s/%s was changed after it was applied; add a new "
                               "migration instead",
                               m->owner, m->name);
        return 0;
    }
    PQclear(res);
    if (zw_db_run(db, m->sql, err) != 0) {
        char why[sizeof err->message];
        snprintf(why, sizeof why, "%s", err ? err->message : "");
        return zw_err_setd(err, err ? err->code : ZW_INTERNAL, m->name, "migration %s/%s: %s",
                           m->owner, m->name, why);
    }
    const char *ins[] = {m->owner, version, m->name, m->sql};
    res = zw_db_query(db,
                      "INSERT INTO public.zwfw_migrations (owner, version, name, checksum)"
                      " VALUES ($1, $2::integer, $3, md5($4))",
                      4, ins, err);
    if (!res)
        return -1;
    PQclear(res);
    m->applied = true;
    return 0;
}

int zw_db_migrate(zw_db_t *self, const char *owner, const char *dir, int *applied, zw_err_t *err)
{
    if (applied)
        *applied = 0;
    DIR *d = opendir(dir);
    if (!d)
        return zw_err_set(err, ZW_NOT_FOUND, "migrations folder %s: %s", dir, strerror(errno));
    s_migration_t *list = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);
        if (len < 5 || strcmp(name + len - 4, ".sql") != 0)
            continue;
        char *end;
        long version = strtol(name, &end, 10);
        if (end == name || *end != '_' || version <= 0) {
            rc = zw_err_setd(err, ZW_INVALID_ARGUMENT, name,
                             "migration file %s/%s is not named NNN_name.sql", dir, name);
            break;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            s_migration_t *grown = realloc(list, cap * sizeof *grown);
            if (!grown) {
                rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
            list = grown;
        }
        list[n].version = version;
        list[n].name = strdup(name);
        n++;
    }
    closedir(d);
    if (rc == 0) {
        qsort(list, n, sizeof *list, s_cmp_migration);
        for (size_t i = 1; i < n; i++)
            if (list[i].version == list[i - 1].version) {
                rc = zw_err_setd(err, ZW_INVALID_ARGUMENT, list[i].name,
                                 "two migrations numbered %ld in %s", list[i].version, dir);
                break;
            }
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, list[i].name);
        char *sql = s_read_file(path, err);
        if (!sql) {
            rc = -1;
            break;
        }
        s_mig_tx_t m = {owner, list[i].version, list[i].name, sql, false};
        rc = zw_db_tx(self, false, s_apply_tx, &m, err);
        free(sql);
        if (rc == 0 && m.applied) {
            if (applied)
                (*applied)++;
            zw_logkv(ZW_LOG_INFO, "migration applied", "owner", owner, "file", list[i].name, NULL);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(list[i].name);
    free(list);
    return rc;
}

int zw_db_migrate_all(zw_db_t *self, const char *source_dir, int *applied, zw_err_t *err)
{
    int total = 0, count = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/common/sql", source_dir);
    if (zw_db_migrate(self, "common", path, &count, err) != 0)
        return -1;
    total += count;
    snprintf(path, sizeof path, "%s/services", source_dir);
    DIR *d = opendir(path);
    if (d) {
        /* Services in name order, so every run applies in the same order. */
        char *names[64];
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL && n < 64)
            if (e->d_name[0] != '.')
                names[n++] = strdup(e->d_name);
        closedir(d);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (strcmp(names[j], names[i]) < 0) {
                    char *t = names[i];
                    names[i] = names[j];
                    names[j] = t;
                }
        int rc = 0;
        for (size_t i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/services/%s/sql", source_dir, names[i]);
            DIR *sd = opendir(path);
            if (sd) {
                closedir(sd);
                if (rc == 0 && zw_db_migrate(self, names[i], path, &count, err) != 0)
                    rc = -1;
                else
                    total += count;
            }
            free(names[i]);
        }
        if (rc != 0)
            return -1;
    }
    if (applied)
        *applied = total;
    return 0;
}
