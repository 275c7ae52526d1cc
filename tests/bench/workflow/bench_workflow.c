/* zwfw-bench-workflow: actions per second through zwfw-broker and
 * zwfw-workflow, with durable commits, and their latency.
 *
 *   zwfw-bench-workflow --endpoint EP --start-endpoint EP2 [--clients N]
 *                       [--instances K] [--seconds S] [--prefix P]
 *
 * Set-up: each client starts K processes through EP2 (a broker whose
 * plain identity is `system`) and takes start_review on each through EP
 * (one whose identity is an approver of the department). Then each client
 * loops over its own instances for S seconds, alternating start_special
 * and end_special: every action opens or closes a pause, recomputes the
 * clocks and writes the instance, its track, the pause, a history row,
 * two events, an audit entry and the idempotency record in one transaction.
 * Prints actions/s and latency percentiles. */
#include "clock.h"
#include "log.h"
#include "mdp_client.h"
#include "zwfw/v1/workflow.pb-c.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#define S_DEPT "11500152MB17035173"
#define S_ITEM "500A0100300000-500152000000-000-11500152MB17035173-1-00"

typedef struct {
    const char *ep, *start_ep, *prefix;
    int clients, instances, seconds;
    void *zctx;
    atomic_int ready;
    atomic_bool go, stop;
} s_cfg_t;

typedef struct {
    s_cfg_t *cfg;
    int index;
    int64_t *lat_us;
    size_t n, cap;
    long errors;
    pthread_t thread;
} s_client_t;

static zw_client_t *s_connect(s_cfg_t *cfg, const char *ep)
{
    zw_err_t err;
    zw_client_t *c = zw_client_new(cfg->zctx, &ep, 1, &err);
    if (c) {
        zw_client_set_timeout(c, 30000);
        zw_client_set_retries(c, 1);
    }
    return c;
}

static int s_act(zw_client_t *c, const char *receipt, const char *action, const char *key,
                 zw_err_t *err)
{
    Zwfw__V1__Act m = ZWFW__V1__ACT__INIT;
    m.idempotency_key = (char *) key;
    m.actor = "bench";
    m.receipt_number = (char *) receipt;
    m.action = (char *) action;
    m.comment = "benchmark";
    ProtobufCMessage *r = NULL;
    int rc =
        zw_client_call_as(c, "zwfw.workflow", &m.base, &zwfw__v1__act_reply__descriptor, &r, err);
    if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    return rc;
}

static int s_setup(s_client_t *cl, zw_client_t *sys, zw_client_t *app)
{
    s_cfg_t *cfg = cl->cfg;
    zw_err_t err;
    for (int k = 0; k < cfg->instances; k++) {
        char receipt[64], key[96];
        snprintf(receipt, sizeof receipt, "%s-%03d-%03d", cfg->prefix, cl->index, k);
        snprintf(key, sizeof key, "%s-start", receipt);
        Zwfw__V1__StartProcess m = ZWFW__V1__START_PROCESS__INIT;
        Zwfw__V1__Timestamp at = ZWFW__V1__TIMESTAMP__INIT;
        Zwfw__V1__TimeLimit pl = ZWFW__V1__TIME_LIMIT__INIT, sl = ZWFW__V1__TIME_LIMIT__INIT;
        at.seconds = 1600653600; /* 2020-09-21T10:00+08:00 */
        pl.amount = 5;
        pl.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
        sl.amount = 20;
        sl.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
        m.idempotency_key = key;
        m.actor = "bench";
        m.receipt_number = receipt;
        m.item_code = S_ITEM;
        m.department_code = S_DEPT;
        m.region = "500152";
        m.accepted_at = &at;
        m.promised_limit = &pl;
        m.statutory_limit = &sl;
        ProtobufCMessage *r = NULL;
        if (zw_client_call(sys, "zwfw.workflow", &m.base, &r, &err) != 0 &&
            err.code != ZW_ALREADY_EXISTS) {
            fprintf(stderr, "start %s: %s\n", receipt, err.message);
            return -1;
        }
        if (r)
            protobuf_c_message_free_unpacked(r, NULL);
        snprintf(key, sizeof key, "%s-review", receipt);
        if (s_act(app, receipt, "start_review", key, &err) != 0 &&
            err.code != ZW_FAILED_PRECONDITION) {
            fprintf(stderr, "start_review %s: %s\n", receipt, err.message);
            return -1;
        }
    }
    return 0;
}

static void *s_run(void *arg)
{
    s_client_t *cl = arg;
    s_cfg_t *cfg = cl->cfg;
    zw_client_t *sys = s_connect(cfg, cfg->start_ep), *app = s_connect(cfg, cfg->ep);
    if (!sys || !app || s_setup(cl, sys, app) != 0) {
        cl->errors = -1;
        atomic_fetch_add(&cfg->ready, 1);
        zw_client_destroy(&sys);
        zw_client_destroy(&app);
        return NULL;
    }
    atomic_fetch_add(&cfg->ready, 1);
    while (!atomic_load(&cfg->go))
        usleep(1000);
    long i = 0;
    int pid = (int) getpid();
    while (!atomic_load(&cfg->stop)) {
        int k = (int) (i / 2 % cfg->instances);
        /* each instance alternates: into the special procedure and out */
        const char *action = (i / 2 / cfg->instances) % 2 == 0 ? "start_special" : "end_special";
        char receipt[64], key[96];
        snprintf(receipt, sizeof receipt, "%s-%03d-%03d", cfg->prefix, cl->index, k);
        snprintf(key, sizeof key, "%d-%d-%ld", pid, cl->index, i);
        i += 2;
        zw_err_t err;
        int64_t t0 = zw_mono_us();
        int rc = s_act(app, receipt, action, key, &err);
        int64_t dt = zw_mono_us() - t0;
        if (rc != 0) {
            if (cl->errors++ < 3)
                fprintf(stderr, "%s %s: %s\n", action, receipt, err.message);
            continue;
        }
        if (cl->n == cl->cap) {
            cl->cap = cl->cap ? cl->cap * 2 : 4096;
            int64_t *nl = realloc(cl->lat_us, cl->cap * sizeof *nl);
            if (!nl)
                break;
            cl->lat_us = nl;
        }
        cl->lat_us[cl->n++] = dt;
    }
    zw_client_destroy(&sys);
    zw_client_destroy(&app);
    return NULL;
}

static int s_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    s_cfg_t cfg = {.clients = 16, .instances = 8, .seconds = 10, .prefix = "BENCH"};
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        if (!strcmp(a, "--endpoint"))
            cfg.ep = v;
        else if (!strcmp(a, "--start-endpoint"))
            cfg.start_ep = v;
        else if (!strcmp(a, "--clients"))
            cfg.clients = atoi(v);
        else if (!strcmp(a, "--instances"))
            cfg.instances = atoi(v);
        else if (!strcmp(a, "--seconds"))
            cfg.seconds = atoi(v);
        else if (!strcmp(a, "--prefix"))
            cfg.prefix = v;
        else {
            fprintf(stderr, "zwfw-bench-workflow: unknown option %s\n", a);
            return 2;
        }
    }
    if (!cfg.ep || !cfg.start_ep || cfg.clients < 1 || cfg.instances < 1 || cfg.seconds < 1) {
        fprintf(stderr, "usage: zwfw-bench-workflow --endpoint EP --start-endpoint EP2 "
                        "[--clients N] [--instances K] [--seconds S] [--prefix P]\n");
        return 2;
    }
    zw_log_init("zwfw-bench-workflow", ZW_LOG_WARN);
    cfg.zctx = zmq_ctx_new();
    s_client_t *cl = calloc((size_t) cfg.clients, sizeof *cl);
    for (int c = 0; c < cfg.clients; c++) {
        cl[c].cfg = &cfg;
        cl[c].index = c;
        pthread_create(&cl[c].thread, NULL, s_run, &cl[c]);
    }
    while (atomic_load(&cfg.ready) < cfg.clients)
        usleep(10000);
    int64_t t0 = zw_mono_us();
    atomic_store(&cfg.go, true);
    usleep((useconds_t) cfg.seconds * 1000000u);
    atomic_store(&cfg.stop, true);
    int64_t elapsed = zw_mono_us() - t0;
    size_t total = 0;
    long errors = 0;
    bool failed = false;
    for (int c = 0; c < cfg.clients; c++) {
        pthread_join(cl[c].thread, NULL);
        total += cl[c].n;
        if (cl[c].errors < 0)
            failed = true;
        else
            errors += cl[c].errors;
    }
    int64_t *all = malloc((total ? total : 1) * sizeof *all);
    size_t n = 0;
    for (int c = 0; c < cfg.clients; c++) {
        memcpy(all + n, cl[c].lat_us, cl[c].n * sizeof *all);
        n += cl[c].n;
        free(cl[c].lat_us);
    }
    qsort(all, n, sizeof *all, s_cmp);
    double secs = (double) elapsed / 1e6;
    printf("workflow Act through the broker: %d clients, %d instances each: %.0f actions/s"
           " (%zu in %.1f s, %ld errors); latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms,"
           " max %.2f ms\n",
           cfg.clients, cfg.instances, (double) n / secs, n, secs, errors,
           n ? (double) all[n / 2] / 1000 : 0, n ? (double) all[n * 9 / 10] / 1000 : 0,
           n ? (double) all[n * 99 / 100] / 1000 : 0, n ? (double) all[n - 1] / 1000 : 0);
    free(all);
    free(cl);
    zmq_ctx_term(cfg.zctx);
    return failed || n == 0 ? 1 : 0;
}
