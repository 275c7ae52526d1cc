/* Deferred writes: a queue of registered statements sent as one libpq
 * pipeline (see db.h). A batch of submissions writes a dozen rows each;
 * sent one by one they cost a round trip apiece, sent as a pipeline the
 * whole batch costs one. */
#include "db.h"
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void s_item_free(zw_db_write_t *w)
{
    free(w->values); /* the strings live in the same block */
    memset(w, 0, sizeof *w);
}

/* Copies the parameters into one block: the pointer array first, then the
 * strings. */
static int s_queue(zw_db_t *self, const char *name, int nparams, const char *const *values)
{
    if (self->defer.n == self->defer.cap) {
        size_t cap = self->defer.cap ? self->defer.cap * 2 : 64;
        zw_db_write_t *grown = realloc(self->defer.items, cap * sizeof *grown);
        if (!grown)
            return -1;
        self->defer.items = grown;
        self->defer.cap = cap;
    }
    size_t bytes = (size_t) nparams * sizeof(char *);
    for (int i = 0; i < nparams; i++)
        if (values[i])
            bytes += strlen(values[i]) + 1;
    char **block = malloc(bytes ? bytes : 1);
    if (!block)
        return -1;
    char *text = (char *) (block + nparams);
    for (int i = 0; i < nparams; i++) {
        if (!values[i]) {
            block[i] = NULL;
            continue;
        }
        size_t len = strlen(values[i]) + 1;
        memcpy(text, values[i], len);
        block[i] = text;
        text += len;
    }
    /* the registry's copy of the name lives as long as the connection */
    size_t at = self->nstmts;
    for (size_t i = 0; i < self->nstmts && at == self->nstmts; i++)
        if (strcmp(self->stmts[i].name, name) == 0)
            at = i;
    if (at == self->nstmts) {
        free(block);
        return -2;
    }
    self->defer.items[self->defer.n++] = (zw_db_write_t){self->stmts[at].name, at, nparams, block};
    return 0;
}

int zw_db_write(zw_db_t *self, const char *name, int nparams, const char *const *values,
                zw_err_t *err)
{
    if (!self->defer.on) {
        PGresult *res = zw_db_exec(self, name, nparams, values, err);
        if (!res)
            return -1;
        PQclear(res);
        return 0;
    }
    int rc = s_queue(self, name, nparams, values);
    if (rc == -2)
        return zw_err_setd(err, ZW_INTERNAL, name, "statement %s is not registered", name);
    if (rc != 0)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    return 0;
}

void zw_db_defer_begin(zw_db_t *self)
{
    zw_db_defer_undo(self, 0);
    self->defer.on = true;
}

size_t zw_db_defer_mark(const zw_db_t *self)
{
    return self->defer.n;
}

void zw_db_defer_undo(zw_db_t *self, size_t mark)
{
    while (self->defer.n > mark)
        s_item_free(&self->defer.items[--self->defer.n]);
}

void zw_db_defer_end(zw_db_t *self)
{
    zw_db_defer_undo(self, 0);
    self->defer.on = false;
}

/* ---- rows forms ------------------------------------------------------------ */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} s_buf_t;

static void s_put(s_buf_t *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *grown = realloc(b->p, cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        b->p = grown;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void s_puts(s_buf_t *b, const char *s)
{
    s_put(b, s, strlen(s));
}

/* $K -> (zw_r.v->>K-1), $rows -> the row set. */
static char *s_rows_sql(const char *tpl)
{
    s_buf_t b = {0};
    for (const char *p = tpl; *p;) {
        if (strncmp(p, "$rows", 5) == 0) {
            s_puts(&b, "jsonb_array_elements($1::jsonb) WITH ORDINALITY AS zw_r (v, zw_i)");
            p += 5;
        } else if (p[0] == '$' && p[1] >= '1' && p[1] <= '9') {
            char *end;
            long k = strtol(p + 1, &end, 10);
            char ref[40];
            snprintf(ref, sizeof ref, "(zw_r.v->>%ld)", k - 1);
            s_puts(&b, ref);
            p = end;
        } else {
            s_put(&b, p, 1);
            p++;
        }
    }
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

int zw_db_prepare_rows(zw_db_t *self, const char *name, const char *sql, int nparams,
                       const char *rows_sql, zw_err_t *err)
{
    char rname[64];
    if (!name || snprintf(rname, sizeof rname, "%s+rows", name) >= (int) sizeof rname)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "name",
                           "a statement with a rows form needs a name of 1..58 bytes");
    if (zw_db_prepare(self, name, sql, nparams, err) != 0)
        return -1;
    char *rows = s_rows_sql(rows_sql);
    if (!rows)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    int rc = zw_db_prepare(self, rname, rows, 1, err);
    free(rows);
    if (rc != 0)
        return -1;
    size_t one = self->nstmts, many = self->nstmts;
    for (size_t i = 0; i < self->nstmts; i++) {
        if (strcmp(self->stmts[i].name, name) == 0)
            one = i;
        else if (strcmp(self->stmts[i].name, rname) == 0)
            many = i;
    }
    if (one == self->nstmts || many == self->nstmts)
        return zw_err_set(err, ZW_INTERNAL, "statement %s vanished", name);
    self->stmts[one].rows_plus1 = many + 1;
    return 0;
}

/* One row as a JSON array of strings (null for SQL NULL). */
static void s_json_row(s_buf_t *b, const zw_db_write_t *w)
{
    static const char hex[] = "0123456789abcdef";
    s_put(b, "[", 1);
    for (int i = 0; i < w->nparams; i++) {
        if (i)
            s_put(b, ",", 1);
        if (!w->values[i]) {
            s_put(b, "null", 4);
            continue;
        }
        s_put(b, "\"", 1);
        const char *run = w->values[i];
        for (const char *p = w->values[i];; p++) {
            unsigned char c = (unsigned char) *p;
            if (c && c != '"' && c != '\\' && c >= 0x20)
                continue;
            s_put(b, run, (size_t) (p - run));
            if (!c)
                break;
            if (c == '"' || c == '\\') {
                char esc[2] = {'\\', (char) c};
                s_put(b, esc, 2);
            } else {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                s_put(b, esc, 6);
            }
            run = p + 1;
        }
        s_put(b, "\"", 1);
    }
    s_put(b, "]", 1);
}

/* What goes over the wire: a queued write alone, or every queued write of
 * one statement with a rows form as one statement. */
typedef struct {
    size_t first;  /* the queue's item */
    size_t count;  /* rows merged (1: sent as queued) */
    s_buf_t json;  /* rows when count > 1 */
} s_unit_t;

static int s_units(zw_db_t *self, s_unit_t **out, size_t *n_out)
{
    size_t n = 0;
    s_unit_t *u = calloc(self->defer.n, sizeof *u);
    if (!u)
        return -1;
    for (size_t i = 0; i < self->defer.n; i++) {
        const zw_db_write_t *w = &self->defer.items[i];
        size_t k = n;
        if (self->stmts[w->stmt].rows_plus1)
            for (k = 0; k < n && self->defer.items[u[k].first].stmt != w->stmt; k++)
                ;
        if (k == n) {
            u[n++] = (s_unit_t){.first = i, .count = 1};
            continue;
        }
        if (u[k].count == 1) {
            s_put(&u[k].json, "[", 1);
            s_json_row(&u[k].json, &self->defer.items[u[k].first]);
        }
        s_put(&u[k].json, ",", 1);
        s_json_row(&u[k].json, w);
        u[k].count++;
    }
    bool failed = false;
    for (size_t k = 0; k < n; k++) {
        if (u[k].count > 1)
            s_put(&u[k].json, "]", 1);
        failed |= u[k].json.failed;
    }
    /* stable: the `first` statements' units ahead, each side in order */
    size_t front = 0;
    for (size_t k = 0; k < n; k++) {
        if (!self->stmts[self->defer.items[u[k].first].stmt].first)
            continue;
        s_unit_t moved = u[k];
        memmove(&u[front + 1], &u[front], (k - front) * sizeof *u);
        u[front++] = moved;
    }
    *out = u;
    *n_out = n;
    return failed ? -1 : 0;
}

int zw_db_defer_first(zw_db_t *self, const char *name, zw_err_t *err)
{
    for (size_t i = 0; i < self->nstmts; i++)
        if (strcmp(self->stmts[i].name, name) == 0) {
            self->stmts[i].first = true;
            return 0;
        }
    return zw_err_setd(err, ZW_NOT_FOUND, "name", "statement %s is not registered", name);
}

static void s_units_free(s_unit_t *u, size_t n)
{
    for (size_t k = 0; u && k < n; k++)
        free(u[k].json.p);
    free(u);
}

static const char *s_unit_name(const zw_db_t *self, const s_unit_t *u)
{
    const zw_db_write_t *w = &self->defer.items[u->first];
    return u->count > 1 ? self->stmts[self->stmts[w->stmt].rows_plus1 - 1].name : w->name;
}

/* Reads one statement's result and the NULL that ends it; the first
 * failure goes to *err (rc tracks whether one was seen). */
static int s_read_one(zw_db_t *self, const char *what, int rc, PGresult **keep, zw_err_t *err)
{
    PGresult *res = PQgetResult(self->conn);
    if (!res) /* connection lost: nothing more will come */
        return rc == 0 ? zw_db__fail(self, NULL, what, err) : rc;
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && rc == 0) {
        if (st == PGRES_PIPELINE_ABORTED)
            rc = zw_err_set(err, ZW_INTERNAL, "pipeline aborted before %s", what);
        else
            rc = zw_db__fail(self, res, what, err);
    }
    if (keep && rc == 0)
        *keep = res;
    else
        PQclear(res);
    while ((res = PQgetResult(self->conn)) != NULL)
        PQclear(res);
    return rc;
}

/* Leaves pipeline mode after the sync was read (or the connection broke).
 * Results left over mean an unknown state: drop the connection. */
static int s_leave(zw_db_t *self, int rc, zw_err_t *err)
{
    if (self->conn && PQexitPipelineMode(self->conn) != 1 &&
        PQstatus(self->conn) == CONNECTION_OK) {
        PQfinish(self->conn);
        self->conn = NULL;
        if (rc == 0)
            rc = zw_err_set(err, ZW_UNAVAILABLE, "pipeline left unfinished; reconnecting");
    }
    return rc;
}

static int s_read_sync(zw_db_t *self, int rc, zw_err_t *err)
{
    PGresult *res = PQgetResult(self->conn);
    if ((!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) && rc == 0)
        rc = zw_db__fail(self, res, "pipeline sync", err);
    PQclear(res);
    return rc;
}

const char *zw_db__begin_sql(const zw_db_t *self)
{
    return self->defer.serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE" : "BEGIN";
}

PGresult *zw_db__exec_begun(zw_db_t *self, const char *name, const char *sql, int nparams,
                            const char *const *values, zw_err_t *err)
{
    const char *what = name ? name : "query";
    if (PQenterPipelineMode(self->conn) != 1) { /* nothing sent: BEGIN still pending */
        zw_db__fail(self, NULL, "pipeline", err);
        return NULL;
    }
    self->defer.begin_pending = false;
    self->in_tx = true;
    int rc = 0;
    int sent = 0;
    if (PQsendQueryParams(self->conn, zw_db__begin_sql(self), 0, NULL, NULL, NULL, NULL, 0) == 1) {
        sent = 1;
        if ((name ? PQsendQueryPrepared(self->conn, name, nparams, values, NULL, NULL, 0)
                  : PQsendQueryParams(self->conn, sql, nparams, NULL, values, NULL, NULL, 0)) == 1)
            sent = 2;
    }
    if (sent < 2)
        rc = zw_db__fail(self, NULL, what, err);
    bool synced = PQpipelineSync(self->conn) == 1;
    if (!synced && rc == 0)
        rc = zw_db__fail(self, NULL, "pipeline sync", err);
    PGresult *keep = NULL;
    zw_err_t later;
    if (sent >= 1)
        rc = s_read_one(self, "BEGIN", rc, NULL, rc == 0 ? err : &later);
    if (sent >= 2)
        rc = s_read_one(self, what, rc, &keep, rc == 0 ? err : &later);
    if (synced)
        rc = s_read_sync(self, rc, rc == 0 ? err : &later);
    rc = s_leave(self, rc, rc == 0 ? err : &later);
    if (rc != 0) {
        PQclear(keep);
        return NULL;
    }
    return keep;
}

/* Sends [BEGIN] + the queue (merged into units) + [COMMIT] as one
 * pipeline and reads every result. */
static int s_pipeline(zw_db_t *self, bool commit, zw_err_t *err)
{
    bool begin = self->defer.begin_pending;
    self->defer.begin_pending = false;
    s_unit_t *u = NULL;
    size_t n = 0;
    if (s_units(self, &u, &n) != 0) {
        s_units_free(u, n);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (n == 0 && !commit) {
        s_units_free(u, n);
        if (begin) /* nothing was sent: the transaction has not begun */
            self->defer.begin_pending = true;
        return 0;
    }
    /* The queue belongs to a transaction: only one not begun yet may start
     * on a new connection. */
    if (!begin && !zw_db_connected(self)) {
        s_units_free(u, n);
        return zw_err_set(err, ZW_UNAVAILABLE, "database connection lost inside a transaction");
    }
    if (zw_db_ensure(self, err) != 0 || PQenterPipelineMode(self->conn) != 1) {
        int rc = self->conn ? zw_db__fail(self, NULL, "pipeline", err) : -1;
        s_units_free(u, n);
        return rc;
    }
    int rc = 0;
    bool begin_sent = false, commit_sent = false;
    if (begin) {
        begin_sent =
            PQsendQueryParams(self->conn, zw_db__begin_sql(self), 0, NULL, NULL, NULL, NULL, 0) == 1;
        if (!begin_sent)
            rc = zw_db__fail(self, NULL, "BEGIN", err);
        self->in_tx = true;
    }
    size_t sent = 0;
    for (; rc == 0 && sent < n; sent++) {
        const zw_db_write_t *w = &self->defer.items[u[sent].first];
        int ok;
        if (u[sent].count > 1) {
            const char *rows[] = {u[sent].json.p};
            ok = PQsendQueryPrepared(self->conn, s_unit_name(self, &u[sent]), 1, rows, NULL, NULL,
                                     0);
        } else {
            ok = PQsendQueryPrepared(self->conn, w->name, w->nparams,
                                     (const char *const *) w->values, NULL, NULL, 0);
        }
        if (ok != 1) {
            rc = zw_db__fail(self, NULL, s_unit_name(self, &u[sent]), err);
            break;
        }
    }
    if (rc == 0 && commit) {
        commit_sent = PQsendQueryParams(self->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) == 1;
        if (!commit_sent)
            rc = zw_db__fail(self, NULL, "COMMIT", err);
    }
    bool synced = PQpipelineSync(self->conn) == 1;
    if (!synced && rc == 0)
        rc = zw_db__fail(self, NULL, "pipeline sync", err);
    zw_err_t later;
    if (begin_sent)
        rc = s_read_one(self, "BEGIN", rc, NULL, rc == 0 ? err : &later);
    for (size_t i = 0; i < sent; i++)
        rc = s_read_one(self, s_unit_name(self, &u[i]), rc, NULL, rc == 0 ? err : &later);
    if (commit_sent)
        rc = s_read_one(self, "COMMIT", rc, NULL, rc == 0 ? err : &later);
    if (synced)
        rc = s_read_sync(self, rc, rc == 0 ? err : &later);
    rc = s_leave(self, rc, rc == 0 ? err : &later);
    s_units_free(u, n);
    return rc;
}

int zw_db_defer_flush(zw_db_t *self, zw_err_t *err)
{
    int rc = s_pipeline(self, false, err);
    bool pending = self->defer.begin_pending;
    zw_db_defer_end(self);
    self->defer.begin_pending = pending;
    return rc;
}

void zw_db_defer_tx(zw_db_t *self)
{
    zw_db_defer_begin(self);
    self->defer.begin_pending = true;
    self->defer.serializable = false;
}

int zw_db_defer_commit(zw_db_t *self, zw_err_t *err)
{
    bool nothing = self->defer.begin_pending && self->defer.n == 0;
    int rc = nothing ? 0 : s_pipeline(self, true, err);
    zw_db_defer_end(self);
    self->defer.begin_pending = false;
    self->in_tx = false;
    if (rc != 0 && zw_db_connected(self) && PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        PQclear(PQexec(self->conn, "ROLLBACK"));
    return rc;
}

void zw_db_defer_rollback(zw_db_t *self)
{
    bool begun = !self->defer.begin_pending;
    zw_db_defer_end(self);
    self->defer.begin_pending = false;
    self->in_tx = false;
    if (begun && zw_db_connected(self) && PQtransactionStatus(self->conn) != PQTRANS_IDLE)
        PQclear(PQexec(self->conn, "ROLLBACK"));
}

bool zw_db_in_failed_tx(zw_db_t *self)
{
    if (self->defer.begin_pending) /* nothing sent yet: only the connection can fail */
        return !zw_db_connected(self);
    return !self->conn || PQstatus(self->conn) != CONNECTION_OK ||
           PQtransactionStatus(self->conn) != PQTRANS_INTRANS;
}
