/* Receipt numbers: one block of numbers of the day for the whole daemon,
 * shared by its worker threads, so the numbers a hall hands out in a row
 * read 1, 2, 3... (with a block per thread they went 1, 21, 41...).
 * Reserving a block is one short statement of its own (outside any
 * submission's transaction, so submissions never queue on the day's
 * counter row). When half a block is used, the next one is reserved
 * ahead: by the daemon's reserver thread when it runs (so no submission
 * pays for the statement and its commit: with blocks of 100, one in a
 * hundred did, right at the 99th percentile), else by the thread that
 * noticed, after taking its own number. So nobody waits for a block in the
 * common case. Unused numbers are lost when the daemon stops or the day
 * turns: numbers may skip, never repeat. */
#include "intake.h"

#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    char division[8];
    zw_date_t day;
    int64_t next, end; /* [next, end) still free; empty when next >= end */
} s_block_t;

static struct {
    pthread_mutex_t mu;
    pthread_cond_t fetched;
    s_block_t cur, spare;
    bool fetching;
    /* the reserver thread (zw_intake_receipts_start) */
    pthread_cond_t wake;
    pthread_t thread;
    bool running, stop, wanted;
    zw_db_t *db;
    char want_division[8];
    zw_date_t want_day;
    int want_size;
} s_rb = {.mu = PTHREAD_MUTEX_INITIALIZER,
          .fetched = PTHREAD_COND_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER};

static bool s_for(const s_block_t *b, const char *division, zw_date_t day)
{
    return b->next < b->end && zw_date_cmp(b->day, day) == 0 && strcmp(b->division, division) == 0;
}

/* Reserves a block (the lock not held). */
static int s_fetch(zw_db_t *db, const char *division, zw_date_t day, int size, s_block_t *out,
                   zw_err_t *err)
{
    int64_t first;
    if (zw_intake_store_receipt_block(db, division, day, size, &first, err) != 0)
        return -1;
    snprintf(out->division, sizeof out->division, "%s", division);
    out->day = day;
    out->next = first;
    out->end = first + size;
    return 0;
}

int zw_intake_next_receipt(zw_db_t *db, int64_t now_us, char *out, size_t outsz, zw_err_t *err)
{
    const zw_intake_settings_t *set = zw_intake_settings();
    int size = set->receipt_block > 0 ? set->receipt_block : 1;
    zw_date_t day;
    if (zw_moment_local(now_us / ZW_US_PER_SEC, &day, NULL, err) != 0)
        return -1;
    int64_t n;
    pthread_mutex_lock(&s_rb.mu);
    for (;;) {
        if (s_for(&s_rb.cur, set->division, day)) {
            n = s_rb.cur.next++;
            break;
        }
        if (s_for(&s_rb.spare, set->division, day)) {
            s_rb.cur = s_rb.spare;
            s_rb.spare.next = s_rb.spare.end = 0;
            continue;
        }
        if (s_rb.fetching) { /* another thread is reserving one: take from it */
            pthread_cond_wait(&s_rb.fetched, &s_rb.mu);
            continue;
        }
        s_rb.fetching = true;
        pthread_mutex_unlock(&s_rb.mu);
        s_block_t b;
        int rc = s_fetch(db, set->division, day, size, &b, err);
        pthread_mutex_lock(&s_rb.mu);
        s_rb.fetching = false;
        pthread_cond_broadcast(&s_rb.fetched);
        if (rc != 0) {
            pthread_mutex_unlock(&s_rb.mu);
            return -1;
        }
        s_rb.spare = b;
    }
    /* half used, nothing in reserve: reserve the next block now */
    bool ahead = !s_rb.fetching && !s_for(&s_rb.spare, set->division, day) &&
                 (s_rb.cur.end - s_rb.cur.next) * 2 < size;
    if (ahead) {
        s_rb.fetching = true;
        if (s_rb.running) { /* the reserver does it */
            snprintf(s_rb.want_division, sizeof s_rb.want_division, "%s", set->division);
            s_rb.want_day = day;
            s_rb.want_size = size;
            s_rb.wanted = true;
            pthread_cond_signal(&s_rb.wake);
            ahead = false;
        }
    }
    pthread_mutex_unlock(&s_rb.mu);
    if (zw_intake_receipt_format(set->division, day, n, out, outsz) != 0)
        return zw_err_set(err, ZW_INTERNAL, "cannot format a receipt number");
    if (ahead) {
        s_block_t b;
        zw_err_t ignored; /* the next taker reserves one itself */
        int rc = s_fetch(db, set->division, day, size, &b, &ignored);
        pthread_mutex_lock(&s_rb.mu);
        s_rb.fetching = false;
        if (rc == 0 && !s_for(&s_rb.spare, set->division, day))
            s_rb.spare = b;
        pthread_cond_broadcast(&s_rb.fetched);
        pthread_mutex_unlock(&s_rb.mu);
    }
    return 0;
}

static void *s_reserver(void *arg)
{
    (void) arg;
    pthread_mutex_lock(&s_rb.mu);
    while (!s_rb.stop) {
        if (!s_rb.wanted) {
            pthread_cond_wait(&s_rb.wake, &s_rb.mu);
            continue;
        }
        s_rb.wanted = false;
        char division[8];
        snprintf(division, sizeof division, "%s", s_rb.want_division);
        zw_date_t day = s_rb.want_day;
        int size = s_rb.want_size;
        pthread_mutex_unlock(&s_rb.mu);
        s_block_t b;
        zw_err_t err;
        int rc = s_fetch(s_rb.db, division, day, size, &b, &err);
        if (rc != 0) /* the next taker that runs out reserves one itself */
            zw_logkv(ZW_LOG_WARN, "cannot reserve receipt numbers ahead", "reason", err.message,
                     NULL);
        pthread_mutex_lock(&s_rb.mu);
        s_rb.fetching = false;
        if (rc == 0 && !s_for(&s_rb.spare, division, day))
            s_rb.spare = b;
        pthread_cond_broadcast(&s_rb.fetched);
    }
    pthread_mutex_unlock(&s_rb.mu);
    return NULL;
}

int zw_intake_receipts_start(const char *conninfo, zw_err_t *err)
{
    zw_db_t *db = zw_db_new(conninfo);
    if (!db)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (zw_intake_store_prepare(db, err) != 0) { /* its statement: intake_receipt_block */
        zw_db_destroy(&db);
        return -1;
    }
    pthread_mutex_lock(&s_rb.mu);
    if (s_rb.running) {
        pthread_mutex_unlock(&s_rb.mu);
        zw_db_destroy(&db);
        return zw_err_set(err, ZW_FAILED_PRECONDITION, "the receipt reserver already runs");
    }
    s_rb.db = db;
    s_rb.stop = s_rb.wanted = false;
    if (pthread_create(&s_rb.thread, NULL, s_reserver, NULL) != 0) {
        s_rb.db = NULL;
        pthread_mutex_unlock(&s_rb.mu);
        zw_db_destroy(&db);
        return zw_err_set(err, ZW_INTERNAL, "cannot start the receipt reserver");
    }
    s_rb.running = true;
    pthread_mutex_unlock(&s_rb.mu);
    return 0;
}

void zw_intake_receipts_stop(void)
{
    pthread_mutex_lock(&s_rb.mu);
    if (!s_rb.running) {
        pthread_mutex_unlock(&s_rb.mu);
        return;
    }
    s_rb.stop = true;
    pthread_cond_signal(&s_rb.wake);
    pthread_mutex_unlock(&s_rb.mu);
    pthread_join(s_rb.thread, NULL);
    pthread_mutex_lock(&s_rb.mu);
    s_rb.running = false;
    if (s_rb.wanted || s_rb.fetching) { /* asked for and never done: a taker does it */
        s_rb.wanted = false;
        s_rb.fetching = false;
        pthread_cond_broadcast(&s_rb.fetched);
    }
    zw_db_t *db = s_rb.db;
    s_rb.db = NULL;
    pthread_mutex_unlock(&s_rb.mu);
    zw_db_destroy(&db);
}
