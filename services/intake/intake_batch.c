/* The batcher thread: see intake_batch.h. */
#include "intake_batch.h"

#include "db.h"
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A batch slower than this is logged with where its time went. */
#define S_SLOW_US 20000

typedef struct s_job {
    const zw_intake_job_t *job;
    int rc;
    zw_err_t err;
    bool done;
    struct s_job *next;
} s_job_t;

typedef struct zw_intake_batcher zw_intake_batcher_t;

/* One batching thread with its connection and the batch it runs. */
typedef struct {
    zw_intake_batcher_t *owner;
    zw_intake_ctx_t *ctx;
    pthread_t thread;
    bool started;
    s_job_t **taken; /* max_batch */
    void **args;     /* max_batch: the batch's job args */
    size_t n;        /* jobs in flight (under the lock) */
} s_lane_t;

struct zw_intake_batcher {
    int max_batch;
    s_lane_t *lanes;
    size_t n_lanes;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    s_job_t *head, *tail;
    bool stop;
    zw_intake_batch_stats_t stats;
};

static uint64_t s_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static bool s_key_eq(const char *a, const char *b)
{
    return a && b && *a && strcmp(a, b) == 0;
}

/* Whether job conflicts with any of the n taken. */
static bool s_conflicts(s_job_t *const *taken, size_t n, const zw_intake_job_t *job)
{
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 2; k++)
            if (s_key_eq(taken[i]->job->keys[k], job->keys[k]))
                return true;
    return false;
}

/* Whether job conflicts with a batch another lane has in flight. */
static bool s_busy(const zw_intake_batcher_t *self, const s_lane_t *me, const zw_intake_job_t *job)
{
    for (size_t l = 0; l < self->n_lanes; l++)
        if (&self->lanes[l] != me && s_conflicts(self->lanes[l].taken, self->lanes[l].n, job))
            return true;
    return false;
}

/* Takes up to max jobs off the queue in order into the lane, leaving for a
 * later batch those that conflict with one taken or in flight elsewhere.
 * Under the lock. */
static size_t s_take(zw_intake_batcher_t *self, s_lane_t *lane)
{
    size_t n = 0;
    s_job_t **taken = lane->taken;
    s_job_t **link = &self->head;
    while (*link && n < (size_t) self->max_batch) {
        s_job_t *j = *link;
        if ((n > 0 && j->job->kind != taken[0]->job->kind) || s_conflicts(taken, n, j->job) ||
            s_busy(self, lane, j->job)) {
            link = &j->next;
            continue;
        }
        *link = j->next;
        j->next = NULL;
        taken[n++] = j;
    }
    self->tail = NULL;
    for (s_job_t *j = self->head; j; j = j->next)
        self->tail = j;
    lane->n = n;
    return n;
}

typedef struct {
    s_lane_t *lane;
    s_job_t **jobs;
    void **args;
    size_t n;
    uint64_t read_us, run_us, commit_us;
} s_batch_t;

/* One attempt at the batch's transaction: the batch's reads (BEGIN goes
 * with the first), each job with its writes queued, a failed job's writes
 * dropped, then the queue and COMMIT in one pipeline. -1 when the
 * transaction itself broke (rolled back). */
static int s_batch_tx(s_batch_t *b, zw_err_t *err)
{
    zw_db_t *db = b->lane->ctx->db;
    const zw_intake_job_kind_t *kind = b->jobs[0]->job->kind;
    zw_intake_ctx_t *ctx = b->lane->ctx;
    zw_db_defer_tx(db);
    uint64_t t0 = s_mono_us();
    if (kind->begin && kind->begin(ctx, b->args, b->n, err) != 0) {
        if (kind->end)
            kind->end(ctx, b->args, b->n);
        zw_db_defer_rollback(db);
        return -1;
    }
    uint64_t t1 = s_mono_us();
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        s_job_t *j = b->jobs[i];
        size_t mark = zw_db_defer_mark(db);
        zw_err_clear(&j->err);
        j->rc = kind->run(ctx, j->job->arg, true, &j->err);
        if (j->rc == 0)
            continue;
        if (zw_db_in_failed_tx(db)) {
            *err = j->err;
            rc = -1;
        } else {
            zw_db_defer_undo(db, mark);
        }
    }
    if (kind->end)
        kind->end(ctx, b->args, b->n);
    if (rc != 0) {
        zw_db_defer_rollback(db);
        return -1;
    }
    uint64_t t2 = s_mono_us();
    rc = zw_db_defer_commit(db, err);
    uint64_t t3 = s_mono_us();
    b->read_us += t1 - t0;
    b->run_us += t2 - t1;
    b->commit_us += t3 - t2;
    if (t3 - t0 >= S_SLOW_US) { /* what a slow batch waited for */
        char n[24], r[24], x[24], c[24];
        snprintf(n, sizeof n, "%zu", b->n);
        snprintf(r, sizeof r, "%llu", (unsigned long long) (t1 - t0));
        snprintf(x, sizeof x, "%llu", (unsigned long long) (t2 - t1));
        snprintf(c, sizeof c, "%llu", (unsigned long long) (t3 - t2));
        zw_logkv(ZW_LOG_INFO, "slow batch", "submissions", n, "read_us", r, "run_us", x,
                 "commit_us", c, NULL);
    }
    return rc;
}

typedef struct {
    zw_intake_ctx_t *ctx;
    const zw_intake_job_t *job;
} s_single_t;

static int s_single_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_single_t *one = arg;
    (void) db;
    return one->job->kind->run(one->ctx, one->job->arg, false, err);
}

static void s_run_batch(s_lane_t *lane, s_job_t **jobs, size_t n)
{
    zw_intake_batcher_t *self = lane->owner;
    uint64_t t0 = s_mono_us();
    s_batch_t b = {lane, jobs, lane->args, n, 0, 0, 0};
    zw_err_t err = {0};
    bool fallback = false;
    uint64_t stale = 0;
    for (size_t i = 0; i < n; i++)
        b.args[i] = jobs[i]->job->arg;
    {
        /* a batch of one too: the batch's path costs fewer round trips; a
         * deadlock or serialization failure retries the batch a few times */
        int rc = -1;
        for (int attempt = 0; attempt < 4; attempt++) {
            zw_err_clear(&err);
            if ((rc = s_batch_tx(&b, &err)) == 0)
                break;
            if (strcmp(err.detail, ZW_INTAKE_BATCH_STALE) == 0) {
                stale++;
                continue;
            }
            if (err.code != ZW_ABORTED)
                break;
            struct timespec nap = {0, (long) (1 + rand() % 5) * 1000000L};
            nanosleep(&nap, NULL);
        }
        if (rc != 0 && err.code == ZW_UNAVAILABLE) {
            /* The database is out of reach (or the commit's outcome is
             * unknown): every job gets UNAVAILABLE at once, as a lone
             * submission would, and the callers retry with their keys;
             * running each alone would hold every worker for seconds. */
            for (size_t i = 0; i < n; i++) {
                jobs[i]->rc = -1;
                jobs[i]->err = err;
            }
        } else if (rc != 0) {
            /* Committed or not, each job runs again alone: idempotency keys
             * make a replay of anything that did commit. */
            zw_logkv(ZW_LOG_INFO, "batch fell back to one transaction per submission", "code",
                     zw_code_name(err.code), "reason", err.message, NULL);
            fallback = true;
        }
    }
    if (fallback) {
        for (size_t i = 0; i < n; i++) {
            s_single_t one = {lane->ctx, jobs[i]->job};
            zw_err_clear(&jobs[i]->err);
            jobs[i]->rc = zw_db_tx(lane->ctx->db, false, s_single_tx, &one, &jobs[i]->err);
        }
    }
    pthread_mutex_lock(&self->mu);
    self->stats.batches++;
    self->stats.jobs += n;
    self->stats.fallbacks += fallback;
    self->stats.stale += stale;
    self->stats.busy_us += s_mono_us() - t0;
    self->stats.read_us += b.read_us;
    self->stats.run_us += b.run_us;
    self->stats.commit_us += b.commit_us;
    for (size_t i = 0; i < n; i++)
        jobs[i]->done = true;
    lane->n = 0;
    pthread_cond_broadcast(&self->done);
    /* jobs held back for conflicting with this batch may go now */
    if (self->head)
        pthread_cond_broadcast(&self->work);
    pthread_mutex_unlock(&self->mu);
}

static void *s_thread(void *arg)
{
    s_lane_t *lane = arg;
    zw_intake_batcher_t *self = lane->owner;
    pthread_mutex_lock(&self->mu);
    for (;;) {
        size_t n = 0;
        while (!self->stop || self->head) {
            if (self->head && (n = s_take(self, lane)) > 0)
                break;
            if (self->stop && !self->head)
                break;
            pthread_cond_wait(&self->work, &self->mu);
        }
        if (n == 0)
            break; /* stopping with nothing queued */
        pthread_mutex_unlock(&self->mu);
        s_run_batch(lane, lane->taken, n);
        pthread_mutex_lock(&self->mu);
    }
    pthread_mutex_unlock(&self->mu);
    return NULL;
}

static void s_free(zw_intake_batcher_t *self)
{
    for (size_t l = 0; self->lanes && l < self->n_lanes; l++) {
        free(self->lanes[l].taken);
        free(self->lanes[l].args);
    }
    free(self->lanes);
    pthread_cond_destroy(&self->work);
    pthread_cond_destroy(&self->done);
    pthread_mutex_destroy(&self->mu);
    free(self);
}

zw_intake_batcher_t *zw_intake_batcher_start(zw_intake_ctx_t *const *ctxs, size_t n_lanes,
                                             int max_batch, zw_err_t *err)
{
    if (!ctxs || n_lanes == 0 || max_batch < 1) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "batcher: no context or max_batch < 1");
        return NULL;
    }
    zw_intake_batcher_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->max_batch = max_batch;
    pthread_mutex_init(&self->mu, NULL);
    pthread_cond_init(&self->work, NULL);
    pthread_cond_init(&self->done, NULL);
    bool ok = (self->lanes = calloc(n_lanes, sizeof *self->lanes)) != NULL;
    for (size_t l = 0; ok && l < n_lanes; l++) {
        s_lane_t *lane = &self->lanes[l];
        self->n_lanes++;
        lane->owner = self;
        lane->ctx = ctxs[l];
        ok = (lane->taken = calloc((size_t) max_batch, sizeof *lane->taken)) &&
             (lane->args = calloc((size_t) max_batch, sizeof *lane->args));
    }
    if (!ok) {
        s_free(self);
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    for (size_t l = 0; l < n_lanes; l++) {
        s_lane_t *lane = &self->lanes[l];
        if (pthread_create(&lane->thread, NULL, s_thread, lane) != 0) {
            zw_err_set(err, ZW_INTERNAL, "cannot start a batcher thread");
            zw_intake_batcher_stop(&self);
            return NULL;
        }
        lane->started = true;
    }
    return self;
}

void zw_intake_batcher_stop(zw_intake_batcher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_intake_batcher_t *self = *self_p;
    pthread_mutex_lock(&self->mu);
    self->stop = true;
    pthread_cond_broadcast(&self->work);
    pthread_mutex_unlock(&self->mu);
    for (size_t l = 0; l < self->n_lanes; l++)
        if (self->lanes[l].started)
            pthread_join(self->lanes[l].thread, NULL);
    s_free(self);
    *self_p = NULL;
}

int zw_intake_batcher_run(zw_intake_batcher_t *self, const zw_intake_job_t *job, zw_err_t *err)
{
    s_job_t j = {.job = job};
    pthread_mutex_lock(&self->mu);
    if (self->stop) {
        pthread_mutex_unlock(&self->mu);
        return zw_err_set(err, ZW_UNAVAILABLE, "intake is stopping");
    }
    if (self->tail)
        self->tail->next = &j;
    else
        self->head = &j;
    self->tail = &j;
    pthread_cond_signal(&self->work);
    while (!j.done)
        pthread_cond_wait(&self->done, &self->mu);
    pthread_mutex_unlock(&self->mu);
    if (j.rc != 0 && err)
        *err = j.err;
    return j.rc;
}

void zw_intake_batcher_stats(zw_intake_batcher_t *self, zw_intake_batch_stats_t *out)
{
    pthread_mutex_lock(&self->mu);
    *out = self->stats;
    pthread_mutex_unlock(&self->mu);
}
