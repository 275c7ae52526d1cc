/* What db.c and db_defer.c share: the connection object's insides. Not
 * for use outside common/db*.c. */
#ifndef ZW_DB_INTERNAL_H
#define ZW_DB_INTERNAL_H

#include "db.h"

typedef struct {
    char *name;
    char *sql;
    int nparams;
    size_t rows_plus1; /* 1 + index of its rows form (zw_db_prepare_rows); 0: none */
    bool first;        /* zw_db_defer_first: its queued writes go before the others */
} s_stmt_t;

/* One queued write: the statement's registered name (owned by the
 * registry, which never frees a name while the connection lives) and its
 * parameters, copied into one block. */
typedef struct {
    const char *name;
    size_t stmt; /* index in the registry */
    int nparams;
    char **values; /* nparams pointers into the same block; NULL = SQL NULL */
} zw_db_write_t;

struct zw_db {
    char *conninfo;
    char app_name[64]; /* fallback_application_name: what pg_stat_activity shows */
    PGconn *conn;
    s_stmt_t *stmts;
    size_t nstmts, capstmts;
    int64_t next_attempt_ms; /* monotonic; 0 = may try now */
    int backoff_ms;
    bool in_tx; /* a transaction begun by zw_db_tx or a deferred tx is open */
    bool generic_plans; /* zw_db_generic_plans: set on every connection */
    struct {
        bool on;
        bool begin_pending; /* zw_db_defer_tx, zw_db_tx: BEGIN goes with the next statement */
        bool serializable;  /* ... as BEGIN ISOLATION LEVEL SERIALIZABLE */
        zw_db_write_t *items;
        size_t n, cap;
    } defer;
    struct { /* zw_db_drained: rows deleted from each queue table since its VACUUM */
        char table[64];
        uint64_t deleted;
    } drained[4];
};

/* Fills *err from a failed result (or the connection when res is NULL);
 * returns -1. */
int zw_db__fail(zw_db_t *self, const PGresult *res, const char *what, zw_err_t *err);

/* The pending BEGIN's text. */
const char *zw_db__begin_sql(const zw_db_t *self);

/* Sends a pending BEGIN (zw_db_defer_tx, zw_db_tx) and the statement as one
 * pipeline: the registered statement `name`, or `sql` when name is NULL.
 * The statement's result, NULL (with *err) on failure. */
PGresult *zw_db__exec_begun(zw_db_t *self, const char *name, const char *sql, int nparams,
                            const char *const *values, zw_err_t *err);

#endif
