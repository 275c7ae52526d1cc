/* Receipt numbers: one block of numbers of the day for the whole daemon,
 * shared by its worker threads, so the numbers a hall hands out in a row
 * read 1, 2, 3... (with a block per thread they went 1, 21, 41...).
 * Reserving a block is one short statement of its own (outside any
 * submission's transaction, so submissions never queue on the day's
 * counter row). When half a block is used, the thread that notices
 * reserves the next one after taking its own number, so nobody waits for
 * a block in the common case. Unused numbers are lost when the daemon
 * stops or the day turns: numbers may skip, never repeat. */
#include "intake.h"

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
} s_rb = {.mu = PTHREAD_MUTEX_INITIALIZER, .fetched = PTHREAD_COND_INITIALIZER};

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
    /* half used, nothing in reserve: this thread reserves the next block */
    bool ahead = !s_rb.fetching && !s_for(&s_rb.spare, set->division, day) &&
                 (s_rb.cur.end - s_rb.cur.next) * 2 < size;
    if (ahead)
        s_rb.fetching = true;
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
