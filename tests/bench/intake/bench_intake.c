/* zwfw-bench-intake: applications/s and latency of SubmitApplication end
 * to end (client -> broker -> zwfw-intake -> PostgreSQL and back).
 *
 *   zwfw-bench-intake --endpoint EP --item CODE [--clients N] [--seconds S]
 *                     [--rate R] [--warmup-ms MS] [--key-prefix P]
 *
 * Closed loop (no --rate): N threads, one client each, one request at a
 * time. Open loop (--rate R): one client sends R requests/s on a fixed
 * schedule whatever the replies do, latency measured from each scheduled
 * send. Every request has its own idempotency key and applicant (a valid
 * resident ID made from a counter) and hands in every required material
 * of a test item whose materials are M1 and M2, so each is accepted.
 * Prints one line: mode, applications, rate, p50/p90/p99/max latency, the
 * share answered after more than 5 ms, errors. */
#include "clock.h"
#include "log.h"
#include "mdp_client.h"
#include "zwfw/v1/intake.pb-c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

typedef struct {
    const char *endpoint, *item, *prefix;
    int clients, seconds, rate, warmup_ms;
} s_opts_t;

static s_opts_t s_o = {.clients = 16, .seconds = 10, .warmup_ms = 1000, .prefix = "bench"};
static atomic_long s_counter;
static void *s_ctx;
static FILE *s_log; /* --log FILE: one line per answered request of an open loop */

static void s_make_id(long n, char out[19])
{
    static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    char first[24];
    /* birth date 1970-01-01 .. 1999-12-28 spread over n, then a serial */
    snprintf(first, sizeof first, "500152%04ld%02ld%02ld%03ld", 1970 + (n / 336000) % 30,
             1 + (n / 28000) % 12, 1 + (n / 1000) % 28, n % 1000);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first[i] - '0') * w[i];
    memcpy(out, first, 17);
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* Packs the n-th request into buf (malloc'd). */
static uint8_t *s_request(long n, size_t *len)
{
    char key[64], id[19];
    snprintf(key, sizeof key, "%s-%ld", s_o.prefix, n);
    s_make_id(n, id);
    Zwfw__V1__Identity who = ZWFW__V1__IDENTITY__INIT;
    who.name = "测试";
    who.id_type = ZWFW__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
    who.id_number = id;
    Zwfw__V1__Applicant app = ZWFW__V1__APPLICANT__INIT;
    app.kind = ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_PERSON;
    app.identity = &who;
    Zwfw__V1__MaterialRef m[2], *mp[2];
    const char *codes[] = {"M1", "M2"};
    for (int i = 0; i < 2; i++) {
        zwfw__v1__material_ref__init(&m[i]);
        m[i].material_code = (char *) codes[i];
        m[i].sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        m[i].size = 1000;
        mp[i] = &m[i];
    }
    Zwfw__V1__SubmitApplication req = ZWFW__V1__SUBMIT_APPLICATION__INIT;
    req.idempotency_key = key;
    req.actor = "bench";
    req.item_code = (char *) s_o.item;
    req.channel = ZWFW__V1__CHANNEL__CHANNEL_WINDOW;
    req.window_id = "W01";
    req.applicant = &app;
    req.materials = mp;
    req.n_materials = 2;
    *len = zwfw__v1__submit_application__get_packed_size(&req);
    uint8_t *buf = malloc(*len);
    if (buf)
        zwfw__v1__submit_application__pack(&req, buf);
    return buf;
}

/* ---- latency records ---------------------------------------------------------------- */

typedef struct {
    int64_t *us;
    size_t n, cap;
    long errors;
} s_lat_t;

static void s_lat_add(s_lat_t *l, int64_t us)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        int64_t *bigger = realloc(l->us, cap * sizeof *bigger);
        if (!bigger)
            return;
        l->us = bigger;
        l->cap = cap;
    }
    l->us[l->n++] = us;
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

static void s_report(const char *mode, s_lat_t *l, double seconds)
{
    qsort(l->us, l->n, sizeof *l->us, s_cmp);
    double p50 = l->n ? (double) l->us[l->n / 2] / 1000.0 : 0;
    double p90 = l->n ? (double) l->us[l->n * 9 / 10] / 1000.0 : 0;
    double p99 = l->n ? (double) l->us[l->n * 99 / 100] / 1000.0 : 0;
    double max = l->n ? (double) l->us[l->n - 1] / 1000.0 : 0;
    size_t over = 0; /* answered after more than 5 ms (the open-loop target's bound) */
    for (size_t i = l->n; i > 0 && l->us[i - 1] > 5000; i--)
        over++;
    printf("%-22s %8zu applications %9.0f/s  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  "
           "max %8.2f ms  over 5 ms %5.2f%%  errors %ld\n",
           mode, l->n, (double) l->n / seconds, p50, p90, p99, max,
           l->n ? 100.0 * (double) over / (double) l->n : 0.0, l->errors);
    fflush(stdout);
}

/* ---- closed loop ----------------------------------------------------------------------- */

typedef struct {
    int64_t measure_from, until; /* monotonic us */
    s_lat_t lat;
} s_worker_t;

static void *s_closed(void *arg)
{
    s_worker_t *w = arg;
    zw_err_t err;
    zw_client_t *c = zw_client_new(s_ctx, &s_o.endpoint, 1, &err);
    if (!c)
        return NULL;
    zw_client_set_timeout(c, 10000);
    zw_client_set_retries(c, 0);
    while (zw_mono_us() < w->until) {
        size_t len;
        uint8_t *buf = s_request(atomic_fetch_add(&s_counter, 1), &len);
        char id[ZW_CLIENT_ID_LEN];
        int64_t t0 = zw_mono_us();
        zw_client_reply_t *r = NULL;
        if (buf && zw_client_send(c, "zwfw.intake", "zwfw.v1.SubmitApplication", buf, len, id,
                                  &err) == 0)
            r = zw_client_wait(c, id, &err);
        int64_t t1 = zw_mono_us();
        free(buf);
        if (t0 >= w->measure_from) {
            if (r && r->err.code == ZW_OK)
                s_lat_add(&w->lat, t1 - t0);
            else
                w->lat.errors++;
        }
        if (r && r->err.code != ZW_OK && w->lat.errors < 3)
            fprintf(stderr, "error: %s: %s\n", zw_code_name(r->err.code), r->err.message);
        zw_client_reply_destroy(&r);
    }
    zw_client_destroy(&c);
    return NULL;
}

static void s_run_closed(void)
{
    int64_t start = zw_mono_us();
    int64_t from = start + (int64_t) s_o.warmup_ms * 1000;
    int64_t until = from + (int64_t) s_o.seconds * 1000000;
    s_worker_t *w = calloc((size_t) s_o.clients, sizeof *w);
    pthread_t *t = calloc((size_t) s_o.clients, sizeof *t);
    for (int i = 0; i < s_o.clients; i++) {
        w[i].measure_from = from;
        w[i].until = until;
        pthread_create(&t[i], NULL, s_closed, &w[i]);
    }
    s_lat_t all = {0};
    for (int i = 0; i < s_o.clients; i++) {
        pthread_join(t[i], NULL);
        for (size_t j = 0; j < w[i].lat.n; j++)
            s_lat_add(&all, w[i].lat.us[j]);
        all.errors += w[i].lat.errors;
        free(w[i].lat.us);
    }
    char mode[64];
    snprintf(mode, sizeof mode, "closed %d clients", s_o.clients);
    s_report(mode, &all, s_o.seconds);
    free(all.us);
    free(w);
    free(t);
}

/* ---- open loop ------------------------------------------------------------------------- */

typedef struct {
    char id[ZW_CLIENT_ID_LEN];
    int64_t scheduled;
} s_sent_t;

static void s_run_open(void)
{
    zw_err_t err;
    zw_client_t *c = zw_client_new(s_ctx, &s_o.endpoint, 1, &err);
    if (!c)
        return;
    zw_client_set_timeout(c, 10000);
    zw_client_set_retries(c, 0);
    int64_t total = (int64_t) s_o.rate * (s_o.seconds + s_o.warmup_ms / 1000);
    int64_t warm = (int64_t) s_o.rate * s_o.warmup_ms / 1000;
    s_sent_t *sent = calloc((size_t) total, sizeof *sent);
    s_lat_t lat = {0};
    int64_t start = zw_mono_us(), next = 0;
    size_t done = 0;
    if (s_log)
        fprintf(s_log, "# start %lld us (CLOCK_MONOTONIC); scheduled-from-start_us latency_us code\n",
                (long long) start);
    while (done < (size_t) total) {
        int64_t now = zw_mono_us();
        while (next < total && start + next * 1000000 / s_o.rate <= now) {
            size_t len;
            uint8_t *buf = s_request(atomic_fetch_add(&s_counter, 1), &len);
            sent[next].scheduled = start + next * 1000000 / s_o.rate;
            if (!buf || zw_client_send(c, "zwfw.intake", "zwfw.v1.SubmitApplication", buf, len,
                                       sent[next].id, &err) != 0) {
                lat.errors++;
                done++;
            }
            free(buf);
            next++;
        }
        /* Round the wait up: rounded down it is 0 for most of each
         * millisecond and the loop spins, taking a core from the daemon
         * and the database on a small machine. A send then goes out up to
         * 1 ms late, which counts in its latency (from the schedule). */
        int64_t wake = next < total ? start + next * 1000000 / s_o.rate : now + 100000;
        int wait = (int) ((wake - zw_mono_us() + 999) / 1000);
        zw_client_reply_t *r = zw_client_recv(c, wait < 0 ? 0 : wait, &err);
        if (!r)
            continue;
        int64_t t = zw_mono_us();
        /* request ids are a prefix and a counter: find the send by id */
        for (int64_t i = next - 1; i >= 0; i--)
            if (strcmp(sent[i].id, r->request_id) == 0) {
                if (i >= warm) {
                    if (r->err.code == ZW_OK)
                        s_lat_add(&lat, t - sent[i].scheduled);
                    else
                        lat.errors++;
                    if (s_log)
                        fprintf(s_log, "%lld %lld %d\n", (long long) (sent[i].scheduled - start),
                                (long long) (t - sent[i].scheduled), (int) r->err.code);
                }
                break;
            }
        done++;
        zw_client_reply_destroy(&r);
    }
    char mode[64];
    snprintf(mode, sizeof mode, "open %d/s", s_o.rate);
    s_report(mode, &lat, s_o.seconds);
    free(lat.us);
    free(sent);
    zw_client_destroy(&c);
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--endpoint"))
            s_o.endpoint = v;
        else if (!strcmp(a, "--item"))
            s_o.item = v;
        else if (!strcmp(a, "--key-prefix"))
            s_o.prefix = v;
        else if (!strcmp(a, "--clients"))
            s_o.clients = atoi(v);
        else if (!strcmp(a, "--seconds"))
            s_o.seconds = atoi(v);
        else if (!strcmp(a, "--rate"))
            s_o.rate = atoi(v);
        else if (!strcmp(a, "--warmup-ms"))
            s_o.warmup_ms = atoi(v);
        else if (!strcmp(a, "--log")) {
            if (!(s_log = fopen(v, "w"))) {
                fprintf(stderr, "zwfw-bench-intake: cannot write %s\n", v);
                return 2;
            }
        }
        else {
            fprintf(stderr, "zwfw-bench-intake: unknown option %s\n", a);
            return 2;
        }
    }
    if (!s_o.endpoint || !s_o.item || s_o.clients < 1 || s_o.seconds < 1 || s_o.rate < 0) {
        fprintf(stderr, "usage: zwfw-bench-intake --endpoint EP --item CODE [--clients N]\n"
                        "       [--seconds S] [--rate R] [--warmup-ms MS] [--key-prefix P]\n"
                        "       [--log FILE]\n");
        return 2;
    }
    zw_log_init("zwfw-bench-intake", ZW_LOG_WARN);
    s_ctx = zmq_ctx_new();
    if (s_o.rate > 0)
        s_run_open();
    else
        s_run_closed();
    zmq_ctx_term(s_ctx);
    if (s_log)
        fclose(s_log);
    return 0;
}
