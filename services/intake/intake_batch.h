/* Group commit for submissions (intake_batch.c). The worker threads hand
 * their submissions to a few batcher threads ("lanes", each with a
 * connection of its own); a free lane runs everything that queued while
 * the lanes were busy in ONE transaction, each submission's writes queued (zw_db_write) and
 * sent as one pipeline, then commits once and wakes every worker. So the
 * WAL flush, BEGIN/COMMIT and most round trips are shared by the batch,
 * and a batch is flushed when the previous commit finishes, never on a
 * timer: at low load a batch is one submission and waits for nothing.
 *
 * A job that fails cleanly (its reads succeeded, its rules said no) has
 * its queued writes dropped and gets its error; the rest commit. When the
 * transaction itself breaks (an SQL error, a conflict with a concurrent
 * writer, the connection), every job of the batch runs again alone in a
 * transaction of its own, with batched = false, so one bad job cannot
 * fail the others and a race is settled by the ordinary path. Jobs whose
 * conflict keys match (the same idempotency key, the same applicant) never
 * share a batch or run in two lanes at once: a later one waits, so no read
 * in a batch depends on a write still queued in it or in flight in another
 * lane. With two lanes one runs its statements while the other waits for
 * its commit's WAL flush. */
#ifndef ZW_INTAKE_BATCH_H
#define ZW_INTAKE_BATCH_H

#include "ctx.h"
#include "error.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct zw_intake_batcher zw_intake_batcher_t;

/* The SQLSTATE a batch's transaction fails with when its begin guessed
 * what it would read and the guess was wrong (an item changed, a key was
 * used before; intake_submit.c): the batch runs again at once, and a kind
 * must then read (not guess) in its begin. */
#define ZW_INTAKE_BATCH_STALE "ZWB01"

/* What a kind of job does; only jobs of one kind share a batch. */
typedef struct {
    /* Optional: the reads a whole batch needs, in one go, before any run
     * (args: each job's arg, in batch order). Failing fails the batch. */
    int (*begin)(zw_intake_ctx_t *ctx, void *const *args, size_t n, zw_err_t *err);
    /* Runs one job inside the current transaction on ctx's connection. In
     * a batch (batched) writes are queued and nothing read may depend on
     * them; alone they run at once. It may run more than once (a retried
     * or failed batch), so it must reset what an earlier run left. */
    int (*run)(zw_intake_ctx_t *ctx, void *arg, bool batched, zw_err_t *err);
    /* Optional: drops what begin kept (after the runs, whatever happened). */
    void (*end)(zw_intake_ctx_t *ctx, void *const *args, size_t n);
} zw_intake_job_kind_t;

typedef struct {
    const zw_intake_job_kind_t *kind;
    void *arg;
    const char *keys[2]; /* conflict keys (NULL: none) */
} zw_intake_job_t;

/* Starts one lane per context (each with its own connection; they stay the
 * caller's and must outlive the batcher). max_batch >= 1. NULL with *err
 * on failure. */
zw_intake_batcher_t *zw_intake_batcher_start(zw_intake_ctx_t *const *ctxs, size_t n_lanes,
                                             int max_batch, zw_err_t *err);

/* Finishes what is queued, then stops the thread. */
void zw_intake_batcher_stop(zw_intake_batcher_t **self_p);

/* Runs the job in the next batch and blocks until its transaction
 * committed (0) or it failed (-1, *err). Any thread. */
int zw_intake_batcher_run(zw_intake_batcher_t *self, const zw_intake_job_t *job, zw_err_t *err);

/* Figures for the log and the bench: batches committed, jobs in them,
 * batches that fell back to one transaction per job. */
typedef struct {
    uint64_t batches, jobs, fallbacks;
    uint64_t stale; /* transactions run again for a wrong guess (ZW_INTAKE_BATCH_STALE) */
    uint64_t busy_us; /* time spent running batches (reads, writes, commit) */
    uint64_t read_us, run_us, commit_us; /* of which: batch reads, jobs, writes + commit */
} zw_intake_batch_stats_t;
void zw_intake_batcher_stats(zw_intake_batcher_t *self, zw_intake_batch_stats_t *out);

#endif
