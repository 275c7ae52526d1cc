/* zwfw-evtest's producer: writer threads, each on its own connection,
 * each transaction a domain row plus its event (and an audit entry). */
#include "evtest.h"

#include "audit.h"
#include "clock.h"
#include "log.h"
#include "outbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    evtest_producer_t *owner;
    int index;
    long count; /* transactions this writer commits */
    long failed;
    long committed;
    pthread_t thread;
    bool started;
} s_writer_t;

struct evtest_producer {
    evtest_producer_config_t cfg;
    s_writer_t *writers;
    atomic_int running;
    int64_t start_us;
};

typedef struct {
    const evtest_producer_config_t *cfg;
    int writer;
    long k;
} s_tx_t;

static int s_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_tx_t *t = arg;
    char tag[16], w[16], k[24], agg[64];
    snprintf(tag, sizeof tag, "%d", (int) getpid());
    snprintf(w, sizeof w, "%d", t->writer);
    snprintf(k, sizeof k, "%ld", t->k);
    snprintf(agg, sizeof agg, "%s-%s-%s", tag, w, k);
    const char *params[] = {tag, w, k};
    PGresult *res = zw_db_exec(db, "evtest_domain", 3, params, err);
    if (!res)
        return -1;
    PQclear(res);
    const char *stream = t->cfg->streams[t->k % (long) t->cfg->n_streams];
    if (t->cfg->audit) {
        zw_audit_entry_t e = {.at_us = zw_wall_us(),
                              .actor = "evtest",
                              .caller_key_id = "evtest-key",
                              .caller_role = "system",
                              .action = "domain.create",
                              .object_type = "evtest.domain",
                              .object_id = agg,
                              .after = agg,
                              .after_len = strlen(agg)};
        if (zw_audit_append(db, &e, err) != 0)
            return -1;
    }
    /* Last, so occurred_at is as close to COMMIT as it gets: the benchmark
     * measures commit -> effect from it. */
    return zw_outbox_append(db, stream, "zwfw.evtest.Created", agg, zw_wall_us(), agg, strlen(agg),
                            err);
}

static void s_sleep_until_us(int64_t mono_us)
{
    int64_t wait = mono_us - zw_mono_us();
    if (wait <= 0)
        return;
    struct timespec ts = {(time_t) (wait / 1000000), (long) (wait % 1000000) * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static void *s_writer(void *arg)
{
    s_writer_t *wr = arg;
    const evtest_producer_config_t *cfg = &wr->owner->cfg;
    zw_db_t *db = zw_db_new(cfg->conninfo);
    zw_err_t err;
    if (!db || zw_db_wait(db, 10000, &err) != 0 ||
        zw_db_prepare(db, "evtest_domain",
                      "INSERT INTO evtest.domain (tag, writer, k)"
                      " VALUES ($1, $2::integer, $3::integer)",
                      3, &err) != 0) {
        zw_logkv(ZW_LOG_ERROR, "writer cannot start", "error", db ? err.message : "no memory",
                 NULL);
        wr->failed = wr->count;
        zw_db_destroy(&db);
        atomic_fetch_sub(&wr->owner->running, 1);
        return NULL;
    }
    double per_writer = cfg->rate > 0 ? cfg->rate / cfg->writers : 0;
    int64_t t0 = zw_mono_us();
    for (long i = 0; i < wr->count && !*cfg->stop; i++) {
        if (per_writer > 0)
            s_sleep_until_us(t0 + (int64_t) (i * 1e6 / per_writer));
        s_tx_t t = {cfg, wr->index, i};
        if (zw_db_tx(db, false, s_tx, &t, &err) == 0) {
            wr->committed++;
        } else {
            wr->failed++;
            zw_logkv(ZW_LOG_WARN, "writer transaction failed", "error", err.message, NULL);
        }
    }
    zw_db_destroy(&db);
    atomic_fetch_sub(&wr->owner->running, 1);
    return NULL;
}

evtest_producer_t *evtest_producer_start(const evtest_producer_config_t *cfg)
{
    evtest_producer_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->cfg = *cfg;
    if (self->cfg.writers < 1)
        self->cfg.writers = 1;
    self->writers = calloc((size_t) self->cfg.writers, sizeof *self->writers);
    if (!self->writers) {
        free(self);
        return NULL;
    }
    self->start_us = zw_mono_us();
    atomic_store(&self->running, self->cfg.writers);
    for (int w = 0; w < self->cfg.writers; w++) {
        s_writer_t *wr = &self->writers[w];
        wr->owner = self;
        wr->index = w;
        wr->count = cfg->total / self->cfg.writers + (w < cfg->total % self->cfg.writers ? 1 : 0);
        if (pthread_create(&wr->thread, NULL, s_writer, wr) != 0) {
            wr->failed = wr->count;
            atomic_fetch_sub(&self->running, 1);
            zw_logkv(ZW_LOG_ERROR, "cannot start a writer thread", NULL);
            continue;
        }
        wr->started = true;
    }
    return self;
}

bool evtest_producer_done(evtest_producer_t *self)
{
    return !self || atomic_load(&self->running) == 0;
}

long evtest_producer_finish(evtest_producer_t **self_p)
{
    if (!self_p || !*self_p)
        return 0;
    evtest_producer_t *self = *self_p;
    long failed = 0, committed = 0;
    for (int w = 0; w < self->cfg.writers; w++) {
        if (self->writers[w].started)
            pthread_join(self->writers[w].thread, NULL);
        failed += self->writers[w].failed;
        committed += self->writers[w].committed;
    }
    double secs = (double) (zw_mono_us() - self->start_us) / 1e6;
    char n[24], rate[32], bad[24];
    snprintf(n, sizeof n, "%ld", committed);
    snprintf(rate, sizeof rate, "%.0f", secs > 0 ? (double) committed / secs : 0.0);
    snprintf(bad, sizeof bad, "%ld", failed);
    zw_logkv(ZW_LOG_INFO, "producer finished", "committed", n, "failed", bad, "tx_per_s", rate,
             NULL);
    free(self->writers);
    free(self);
    *self_p = NULL;
    return failed;
}
