/* zw_db: one libpq connection with reconnect, named prepared statements,
 * retried transactions and the migration runner.
 *
 * A zw_db_t is used by one thread at a time. Statements registered with
 * zw_db_prepare are (re)prepared on every new connection, so callers never
 * see a reconnect except as an UNAVAILABLE error on the statement that was
 * running when the server went away. Errors map SQLSTATEs to canonical
 * codes (23505 -> ALREADY_EXISTS, 40001/40P01 -> ABORTED, 08xxx or a lost
 * connection -> UNAVAILABLE, 22xxx/23xxx -> INVALID_ARGUMENT/FAILED_PRECONDITION,
 * 57014 -> DEADLINE_EXCEEDED, else INTERNAL) with the SQLSTATE in
 * err->detail. */
#ifndef ZW_DB_H
#define ZW_DB_H

#include "error.h"

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct zw_db zw_db_t;

/* Copies conninfo; does not connect. NULL on allocation failure. */
zw_db_t *zw_db_new(const char *conninfo);
void zw_db_destroy(zw_db_t **self_p);

/* The name the server shows for this connection (pg_stat_activity
 * application_name) from the next connect on, unless the conninfo sets
 * application_name itself: "zwfw-intake lane 1", so an operator can tell a
 * daemon's sessions apart. Defaults to the program's name; cut at 63
 * bytes, anything but printable ASCII shown as '?'. */
void zw_db_set_name(zw_db_t *self, const char *name);

/* Connects now if not connected (one attempt, no back-off). */
int zw_db_connect(zw_db_t *self, zw_err_t *err);

/* 0 if connected. Otherwise attempts a reconnect unless the back-off delay
 * (100 ms doubling to 5 s, reset on success) since the last failed attempt
 * has not passed, in which case it fails at once with UNAVAILABLE. Never
 * sleeps. */
int zw_db_ensure(zw_db_t *self, zw_err_t *err);

/* Blocks, retrying with back-off, until connected or timeout_ms passes.
 * On timeout *err is the last attempt's own failure (the server's
 * refusal, or a statement that would not prepare because the schema is
 * not migrated yet), not the back-off notice. */
int zw_db_wait(zw_db_t *self, int timeout_ms, zw_err_t *err);

/* zw_db_wait that also gives up, with CANCELLED, as soon as *stop is set
 * (a daemon's SIGTERM during start-up; checked at least every 100 ms).
 * stop may be NULL. */
int zw_db_wait_while(zw_db_t *self, int timeout_ms, const volatile sig_atomic_t *stop,
                     zw_err_t *err);

/* True when the last known connection state is OK. */
bool zw_db_connected(const zw_db_t *self);

/* A health probe: true when a trivial query succeeds now (reconnecting
 * if the back-off allows). */
bool zw_db_ping(zw_db_t *self);

/* The raw connection (NULL when not connected); owned by self. */
PGconn *zw_db_conn(zw_db_t *self);

/* Makes this connection (and every later one) plan its prepared statements
 * once, generically (plan_cache_mode = force_generic_plan), instead of
 * letting the server plan each execution again when it guesses a custom
 * plan is cheaper, as it does for `= ANY($1::text[])` and unnest(). Also
 * applies to unnamed parameterised statements. For connections that run a
 * few fixed statements at a high rate (intake's batch lanes); not for ones
 * running searches whose filters vary, nor over tables whose size swings
 * (queues: a plan made while one looked empty stays a sequential scan). */
int zw_db_generic_plans(zw_db_t *self, zw_err_t *err);

/* Registers a named statement; it is prepared on this and every later
 * connection. Name and sql are copied. Registering a name twice with the
 * same text is a no-op; with other text it is INVALID_ARGUMENT. */
int zw_db_prepare(zw_db_t *self, const char *name, const char *sql, int nparams, zw_err_t *err);

/* Executes a registered statement with text parameters (NULL = SQL NULL).
 * Returns the result (caller PQclear()s it) when it is COMMAND_OK or
 * TUPLES_OK; NULL with *err set otherwise. */
PGresult *zw_db_exec(zw_db_t *self, const char *name, int nparams, const char *const *values,
                     zw_err_t *err);

/* Same, for an unregistered parameterised statement (one-off queries). */
PGresult *zw_db_query(zw_db_t *self, const char *sql, int nparams, const char *const *values,
                      zw_err_t *err);

/* Runs SQL text that may hold several statements, discarding results. */
int zw_db_run(zw_db_t *self, const char *sql, zw_err_t *err);

/* ---- queue tables (db_vacuum.c) -------------------------------------------
 * A queue table (rows inserted, moved on and deleted within milliseconds:
 * events.outbox, audit.pending) keeps its deleted rows' index entries at
 * the front of its index until VACUUM removes them, and every read of the
 * queue's head walks over them. Autovacuum comes about once a minute: at
 * 1,000 submissions/s that is 120,000 dead entries in the outbox, and its
 * head read became ten times slower (docs/performance.md). So whoever
 * drains a queue says how many rows it deleted, and every
 * ZW_DB_VACUUM_EVERY rows (per table, per connection) the table is
 * vacuumed at once: SKIP_LOCKED, and never truncated (truncation locks out
 * the writers). Call it outside a transaction, after the commit. A failed
 * VACUUM (not the owner, connection lost) is logged and the queue only
 * stays slower. Up to 4 tables per connection. */
#define ZW_DB_VACUUM_EVERY 5000
void zw_db_drained(zw_db_t *self, const char *table, size_t deleted);

/* ---- deferred writes (db_defer.c) ----------------------------------------
 * For transactions that write many rows: between zw_db_defer_begin and
 * zw_db_defer_flush (or _end), zw_db_write queues its statement instead of
 * running it, and the flush sends the whole queue as one libpq pipeline:
 * one round trip, in order, inside the caller's transaction. Reads
 * (zw_db_exec, zw_db_query) still run at once and do not see the queued
 * writes, so use this only where nothing read depends on a queued write.
 * Outside defer mode zw_db_write runs the statement at once. */

/* Runs (or queues) a registered statement whose result is not needed. */
int zw_db_write(zw_db_t *self, const char *name, int nparams, const char *const *values,
                zw_err_t *err);

/* Registers `name` as zw_db_prepare does, and its rows form: the same
 * write for many rows in one statement, written as rows_sql in which $K
 * stands for the K-th parameter of one row and $rows for the set of rows
 * (jsonb_array_elements over one JSON array of rows, each an array of the
 * parameters as strings or null, ordered by zw_r.zw_i). At a flush, all
 * queued writes of `name` go as ONE statement, at the place of the first
 * of them; so use it only for writes that nothing queued between them
 * depends on (appends: history, events, audit entries). */
int zw_db_prepare_rows(zw_db_t *self, const char *name, const char *sql, int nparams,
                       const char *rows_sql, zw_err_t *err);

/* Marks a registered statement as one whose queued writes a flush sends
 * before every other queued write (keeping their own order): the inserts
 * that other queued rows reference (by foreign key), so that merging rows
 * forms never puts a referencing row before the row it references.
 * NOT_FOUND when not registered. */
int zw_db_defer_first(zw_db_t *self, const char *name, zw_err_t *err);

/* Enters defer mode with an empty queue. */
void zw_db_defer_begin(zw_db_t *self);
/* The queue's length: a mark to zw_db_defer_undo back to. */
size_t zw_db_defer_mark(const zw_db_t *self);
/* Drops what was queued after mark (one unit of work that failed). */
void zw_db_defer_undo(zw_db_t *self, size_t mark);
/* Sends the queue as one pipeline and reads every result; leaves defer mode
 * with an empty queue. On the first failing statement: -1 with its error
 * (later ones are not run; the transaction is then aborted). */
int zw_db_defer_flush(zw_db_t *self, zw_err_t *err);
/* Leaves defer mode, dropping the queue. */
void zw_db_defer_end(zw_db_t *self);
/* A transaction of deferred writes in as few round trips as possible:
 * zw_db_defer_tx starts defer mode with BEGIN pending, sent in one
 * pipeline with the first read (zw_db_exec); zw_db_defer_commit sends the
 * queued writes and COMMIT as one pipeline. So reads + writes + commit
 * cost one round trip per read plus one. */
void zw_db_defer_tx(zw_db_t *self);
/* Flushes the queue and commits (BEGIN first if still pending). 0 when
 * COMMIT succeeded; else -1 with the first error, the transaction rolled
 * back and defer mode left. A lost connection is UNAVAILABLE: the
 * outcome of the commit is then unknown. */
int zw_db_defer_commit(zw_db_t *self, zw_err_t *err);
/* Drops the queue and rolls back (nothing to roll back while BEGIN is
 * still pending). */
void zw_db_defer_rollback(zw_db_t *self);

/* True unless the connection is inside a healthy transaction block: the
 * block is aborted (a statement failed) or the connection is gone. */
bool zw_db_in_failed_tx(zw_db_t *self);

/* A transaction body: returns 0 to commit, -1 (with *err) to roll back. It
 * may run more than once, so it must not have effects outside the
 * database before it returns. */
typedef int(zw_db_tx_fn)(zw_db_t *db, void *arg, zw_err_t *err);

/* BEGIN; fn; COMMIT, with BEGIN sent in one pipeline with fn's first
 * statement (a body that sends nothing sends no BEGIN and commits
 * nothing). A serialization failure or deadlock (from fn's
 * statements or from COMMIT) rolls back and runs fn again, up to 8 tries with
 * growing jittered back-off; then ABORTED. A lost connection during fn
 * reconnects and retries too; one lost during COMMIT is UNAVAILABLE, since
 * the outcome is unknown (callers rely on idempotency keys for that case).
 * `serializable` picks SERIALIZABLE over READ COMMITTED. */
int zw_db_tx(zw_db_t *self, bool serializable, zw_db_tx_fn *fn, void *arg, zw_err_t *err);

/* Applies every NNN_name.sql file in `dir` (NNN = a positive number,
 * applied in numeric order) not yet recorded for `owner` in
 * public.zwfw_migrations, each in its own transaction together with its
 * record; concurrent runners serialise on an advisory lock. A recorded
 * migration whose file text has changed is FAILED_PRECONDITION. `applied`
 * (may be NULL) receives how many were applied now. Running it twice
 * changes nothing the second time. */
int zw_db_migrate(zw_db_t *self, const char *owner, const char *dir, int *applied, zw_err_t *err);

/* Applies common/sql then services/NAME/sql for every service directory
 * under `source_dir` that has one. */
int zw_db_migrate_all(zw_db_t *self, const char *source_dir, int *applied, zw_err_t *err);

/* Maps a SQLSTATE to a canonical code (exposed for tests). */
zw_code_t zw_db_code_for_sqlstate(const char *sqlstate);

#endif
