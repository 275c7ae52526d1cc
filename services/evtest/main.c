/* zwfw-evtest: exercises the event machinery as a real process. Any mix
 * of: a producer (writer threads committing a domain row and its event per
 * transaction), a relay (with a PUB socket), a consumer (the effect is a
 * row in evtest.effect) and the audit chainer. One poll loop runs the
 * relay, chainer and consumer; SIGTERM/SIGINT stop it cleanly. For the
 * integration tests and tests/bench/events.sh. */
#include "evtest.h"

#include "audit.h"
#include "clock.h"
#include "consumer.h"
#include "daemon.h"
#include "db.h"
#include "log.h"
#include "paths.h"
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#define S_MAX_LIST 8

typedef struct {
    const char *db;
    const char *streams[S_MAX_LIST];
    size_t n_streams;
    long produce;
    int writers;
    double rate;
    bool audit;
    bool relay;
    const char *pub;
    int batch;
    int idle_ms;
    int hold_ms;
    bool chain;
    const char *consume;
    const char *subs[S_MAX_LIST];
    size_t n_subs;
    int quiet_ms;
    int alarm_after;
    int retry_ms;
    long fail_seq;
    int fail_times;
    bool migrate;
    zw_log_level_t level;
} s_opts_t;

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: zwfw-evtest --db CONNINFO [--stream NAME]... [--migrate]\n"
            "  producer: --produce N [--writers W] [--rate EVENTS_PER_S] [--audit]\n"
            "  relay:    --relay [--pub EP] [--batch N] [--idle-ms MS] [--hold-ms MS] [--chain]\n"
            "  consumer: --consume NAME [--sub EP]... [--quiet-ms MS] [--alarm-after N]\n"
            "            [--retry-ms MS] [--fail-seq SEQ --fail-times N]\n"
            "  [--log-level debug|info|warn|error]\n"
            "Streams default to 'evtest'. With only --produce it exits when done;\n"
            "with --relay, --chain or --consume it runs until SIGTERM. --hold-ms\n"
            "sleeps inside every non-empty relay batch (fault tests). --migrate\n"
            "applies the common migrations first.\n");
}

static int s_num(const char *name, const char *v, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > max) {
        fprintf(stderr, "zwfw-evtest: %s: expected an integer in %ld..%ld, got '%s'\n", name, min,
                max, v);
        return -1;
    }
    *out = n;
    return 0;
}

static int s_int(const char *name, const char *v, long min, int *out)
{
    long n;
    if (s_num(name, v, min, 1000000000L, &n) != 0)
        return -1;
    *out = (int) n;
    return 0;
}

/* 0 ok, 1 --help, 2 bad usage. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->writers = 4;
    o->idle_ms = 5;
    o->fail_seq = -1;
    o->level = ZW_LOG_INFO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return 1;
        if (strcmp(a, "--audit") == 0) {
            o->audit = true;
            continue;
        }
        if (strcmp(a, "--relay") == 0) {
            o->relay = true;
            continue;
        }
        if (strcmp(a, "--chain") == 0) {
            o->chain = true;
            continue;
        }
        if (strcmp(a, "--migrate") == 0) {
            o->migrate = true;
            continue;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) {
            fprintf(stderr, "zwfw-evtest: %s needs a value\n", a);
            return 2;
        }
        int rc = 0;
        long n;
        if (strcmp(a, "--db") == 0)
            o->db = v;
        else if (strcmp(a, "--stream") == 0 || strcmp(a, "--sub") == 0) {
            bool stream = strcmp(a, "--stream") == 0;
            size_t *count = stream ? &o->n_streams : &o->n_subs;
            if (*count == S_MAX_LIST) {
                fprintf(stderr, "zwfw-evtest: at most %d %s\n", S_MAX_LIST, a);
                return 2;
            }
            (stream ? o->streams : o->subs)[(*count)++] = v;
        } else if (strcmp(a, "--produce") == 0)
            rc = s_num(a, v, 0, 100000000L, &o->produce);
        else if (strcmp(a, "--writers") == 0)
            rc = s_int(a, v, 1, &o->writers);
        else if (strcmp(a, "--rate") == 0) {
            rc = s_num(a, v, 0, 10000000L, &n);
            o->rate = (double) n;
        } else if (strcmp(a, "--pub") == 0)
            o->pub = v;
        else if (strcmp(a, "--batch") == 0)
            rc = s_int(a, v, 1, &o->batch);
        else if (strcmp(a, "--idle-ms") == 0)
            rc = s_int(a, v, 1, &o->idle_ms);
        else if (strcmp(a, "--hold-ms") == 0)
            rc = s_int(a, v, 0, &o->hold_ms);
        else if (strcmp(a, "--consume") == 0)
            o->consume = v;
        else if (strcmp(a, "--quiet-ms") == 0)
            rc = s_int(a, v, 1, &o->quiet_ms);
        else if (strcmp(a, "--alarm-after") == 0)
            rc = s_int(a, v, 1, &o->alarm_after);
        else if (strcmp(a, "--retry-ms") == 0)
            rc = s_int(a, v, 1, &o->retry_ms);
        else if (strcmp(a, "--fail-seq") == 0)
            rc = s_num(a, v, 1, 1000000000000L, &o->fail_seq);
        else if (strcmp(a, "--fail-times") == 0)
            rc = s_int(a, v, 0, &o->fail_times);
        else if (strcmp(a, "--log-level") == 0) {
            int l = zw_log_level_from_name(v);
            if (l < 0) {
                fprintf(stderr, "zwfw-evtest: --log-level: unknown level '%s'\n", v);
                return 2;
            }
            o->level = (zw_log_level_t) l;
        } else {
            fprintf(stderr, "zwfw-evtest: unknown option '%s'\n", a);
            return 2;
        }
        if (rc != 0)
            return 2;
    }
    if (!o->db) {
        fprintf(stderr, "zwfw-evtest: --db is required\n");
        return 2;
    }
    if (o->n_streams == 0)
        o->streams[o->n_streams++] = "evtest";
    if (!o->produce && !o->relay && !o->chain && !o->consume && !o->migrate) {
        fprintf(stderr, "zwfw-evtest: nothing to do: give --produce, --relay, --chain, "
                        "--consume or --migrate\n");
        return 2;
    }
    return 0;
}

static void s_hold(void *arg, const char *stream, size_t rows)
{
    int ms = *(const int *) arg;
    char n[24];
    snprintf(n, sizeof n, "%zu", rows);
    zw_logkv(ZW_LOG_DEBUG, "relay holding a batch", "stream", stream, "rows", n, NULL);
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR && !zw_daemon_stopping())
        ;
}

typedef struct {
    s_opts_t *o;
    void *zctx;
    zw_db_t *relay_db, *cons_db;
    zw_relay_t *relay;
    zw_consumer_t *consumer;
    evtest_effect_t effect;
    long failed; /* producer transactions that failed for good */
} s_app_t;

static int s_open(s_app_t *app, zw_err_t *err)
{
    s_opts_t *o = app->o;
    if (o->relay || o->chain) {
        app->relay_db = zw_db_new(o->db);
        if (!app->relay_db)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (o->relay) {
        zw_relay_config_t rc = {.producer = "zwfw-evtest",
                                .streams = o->streams,
                                .n_streams = o->n_streams,
                                .zmq_ctx = app->zctx,
                                .pub_endpoint = o->pub,
                                .batch = o->batch,
                                .in_batch = o->hold_ms > 0 ? s_hold : NULL,
                                .in_batch_arg = &o->hold_ms};
        app->relay = zw_relay_new(app->relay_db, &rc, err);
        if (!app->relay)
            return -1;
    }
    if (o->consume) {
        app->cons_db = zw_db_new(o->db);
        if (!app->cons_db)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        app->effect = (evtest_effect_t){
            .consumer = o->consume, .fail_seq = o->fail_seq, .fail_times = o->fail_times};
        zw_consumer_config_t cc = {.name = o->consume,
                                   .streams = o->streams,
                                   .n_streams = o->n_streams,
                                   .endpoints = o->subs,
                                   .n_endpoints = o->n_subs,
                                   .zmq_ctx = app->zctx,
                                   .handler = evtest_effect,
                                   .handler_arg = &app->effect,
                                   .quiet_ms = o->quiet_ms,
                                   .alarm_after = o->alarm_after,
                                   .retry_min_ms = o->retry_ms};
        app->consumer = zw_consumer_new(app->cons_db, &cc, err);
        if (!app->consumer)
            return -1;
    }
    return 0;
}

static void s_loop(s_app_t *app, evtest_producer_t **producer)
{
    s_opts_t *o = app->o;
    int64_t next_relay = 0, next_cons = 0;
    zw_err_t err;
    while (!zw_daemon_stopping()) {
        int64_t now = zw_mono_ms();
        if (*producer && evtest_producer_done(*producer))
            app->failed += evtest_producer_finish(producer);
        if (!o->relay && !o->chain && !o->consume && !*producer)
            break;
        if (app->relay || o->chain) {
            if (now >= next_relay) {
                size_t moved = 0, chained = 0;
                bool failed = false;
                if (app->relay && zw_relay_run_once(app->relay, &moved, &err) != 0) {
                    zw_logkv(ZW_LOG_WARN, "relay failed", "error", err.message, NULL);
                    failed = true;
                }
                if (o->chain && zw_audit_chain(app->relay_db, 0, &chained, &err) != 0) {
                    zw_logkv(ZW_LOG_WARN, "audit chain failed", "error", err.message, NULL);
                    failed = true;
                }
                /* After a failure (database away) wait a little: zw_db paces its
                 * reconnects anyway, this only keeps the log readable. */
                next_relay = failed ? now + 100 : moved + chained > 0 ? now : now + o->idle_ms;
            }
        } else {
            next_relay = now + 1000;
        }
        if (app->consumer && now >= next_cons &&
            zw_consumer_tick(app->consumer, now, &next_cons, &err) != 0)
            zw_logkv(ZW_LOG_WARN, "consumer tick failed", "error", err.message, NULL);
        if (!app->consumer)
            next_cons = now + 1000;
        int64_t next = next_relay < next_cons ? next_relay : next_cons;
        long timeout = (long) (next - zw_mono_ms());
        if (timeout < 0)
            timeout = 0;
        if (timeout > 200)
            timeout = 200; /* also notice the producer finishing */
        zmq_pollitem_t item = {zw_consumer_socket(app->consumer), 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&item, item.socket ? 1 : 0, timeout);
        if (n > 0 && (item.revents & ZMQ_POLLIN)) {
            if (zw_consumer_on_readable(app->consumer, &err) != 0)
                zw_logkv(ZW_LOG_WARN, "consumer apply failed", "error", err.message, NULL);
            next_cons = 0; /* a gap may want the log at once */
        }
    }
}

int main(int argc, char **argv)
{
    s_opts_t o;
    int prc = s_parse(argc, argv, &o);
    if (prc != 0) {
        s_usage(prc == 1 ? stdout : stderr);
        return prc == 1 ? 0 : 2;
    }
    zw_log_init("zwfw-evtest", o.level);
    /* Name our sessions, so fault tests can find the relay's backend. */
    char app_name[64];
    snprintf(app_name, sizeof app_name, "zwfw-evtest%s%s%s", o.relay ? "-relay" : "",
             o.consume ? "-consume" : "", o.produce ? "-produce" : "");
    setenv("PGAPPNAME", app_name, 0);

    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL); /* threads started now inherit it */
    zw_daemon_signals(false);

    zw_err_t err;
    int rc = 0;
    zw_db_t *setup = zw_db_new(o.db);
    if (!setup || zw_db_wait(setup, 10000, &err) != 0) {
        fprintf(stderr, "zwfw-evtest: %s\n", setup ? err.message : "out of memory");
        zw_db_destroy(&setup);
        return 1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/common/sql", zw_source_dir());
    if ((o.migrate && zw_db_migrate(setup, "common", dir, NULL, &err) != 0) ||
        evtest_store_setup(setup, &err) != 0) {
        fprintf(stderr, "zwfw-evtest: setup: %s\n", err.message);
        zw_db_destroy(&setup);
        return 1;
    }
    zw_db_destroy(&setup);

    s_app_t app = {.o = &o, .zctx = zmq_ctx_new()};
    evtest_producer_t *producer = NULL;
    if (!app.zctx || s_open(&app, &err) != 0) {
        fprintf(stderr, "zwfw-evtest: %s\n", app.zctx ? err.message : "zmq_ctx_new failed");
        rc = 1;
    } else {
        if (o.produce > 0) {
            evtest_producer_config_t pc = {.conninfo = o.db,
                                           .streams = o.streams,
                                           .n_streams = o.n_streams,
                                           .total = o.produce,
                                           .writers = o.writers,
                                           .rate = o.rate,
                                           .audit = o.audit,
                                           .stop = zw_daemon_stop_flag()};
            producer = evtest_producer_start(&pc);
            if (!producer)
                rc = 1;
        }
        pthread_sigmask(SIG_UNBLOCK, &stop_set, NULL);
        zw_logkv(ZW_LOG_INFO, "evtest started", "roles", app_name, NULL);
        if (rc == 0)
            s_loop(&app, &producer);
        app.failed += evtest_producer_finish(&producer);
        if (app.failed) {
            zw_logkv(ZW_LOG_ERROR, "some producer transactions failed", NULL);
            rc = 1;
        }
    }
    if (app.relay || app.consumer) {
        char moved[24], published[24], applied[24], skipped[24];
        snprintf(moved, sizeof moved, "%llu", (unsigned long long) zw_relay_moved_total(app.relay));
        snprintf(published, sizeof published, "%llu",
                 (unsigned long long) zw_relay_published_total(app.relay));
        snprintf(applied, sizeof applied, "%llu",
                 (unsigned long long) zw_consumer_applied_total(app.consumer));
        snprintf(skipped, sizeof skipped, "%llu",
                 (unsigned long long) zw_consumer_skipped_total(app.consumer));
        zw_logkv(ZW_LOG_INFO, "evtest stopped", "moved", moved, "published", published, "applied",
                 applied, "skipped", skipped, NULL);
    }
    zw_relay_destroy(&app.relay);
    zw_consumer_destroy(&app.consumer);
    zw_db_destroy(&app.relay_db);
    zw_db_destroy(&app.cons_db);
    if (app.zctx)
        zmq_ctx_term(app.zctx);
    return rc;
}
