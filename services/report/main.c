/* zwfw-report: the zwfw.report service. main() only wires: arguments,
 * config, calendar and the worker threads, then waits for SIGTERM (which
 * drains the requests in hand) and SIGHUP (log level). It only reads, so
 * it never applies migrations and may point at a read replica. */
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "mdp_worker.h"
#include "report.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* zw_health_db_first reads the connection of a worker thread's context. */
_Static_assert(offsetof(zw_report_ctx_t, db) == 0, "the context starts with its connection");

static const char s_intro[] =
    "usage: zwfw-report [--config FILE] [--SETTING VALUE]...\n"
    "\n"
    "Serves zwfw.report through the broker: supervision figures of a day, week,\n"
    "month, quarter or year, computed from the store (read-only; it never\n"
    "migrates, and may point at a read replica).\n"
    "  --config FILE    JSON config; settings from \"common\" and \"report\"\n"
    "  --version        print the version\n"
    "Any setting may be given as --name VALUE (dashes or underscores):\n";

static const zw_cfg_spec_t s_own[] = {
    {"threads", ZW_CFG_INT, "2", false, "zwfw.report worker threads (each its own connection)"},
};

typedef struct {
    zw_daemon_common_t c;
    int threads;
} s_opts_t;

static int s_read(const zw_config_t *cfg, s_opts_t *o, zw_err_t *err)
{
    memset(o, 0, sizeof *o);
    int64_t t = 0;
    if (zw_daemon_common_read(cfg, "report", &o->c, err) != 0 ||
        zw_config_int_range(cfg, "report", "threads", 1, 64, &t, err) != 0)
        return -1;
    o->threads = (int) t;
    return 0;
}

/* SIGHUP (zw_daemon_reload): only log_level is reloadable here, and
 * zw_daemon_reload sets it; the whole table must still read. */
static int s_apply(const zw_config_t *cfg, void *arg, zw_err_t *err)
{
    (void) arg;
    s_opts_t n;
    return s_read(cfg, &n, err);
}

typedef struct {
    const s_opts_t *o;
    const zw_calendar_t *cal;
} s_shared_t;

static void *s_ctx_new(void *arg, int thread_index)
{
    (void) thread_index;
    const s_shared_t *sh = arg;
    return zw_report_ctx_new(sh->o->c.conninfo, sh->o->c.simulated, sh->cal);
}

static void s_ctx_destroy(void *ctx, void *arg)
{
    (void) arg;
    zw_report_ctx_t *c = ctx;
    zw_report_ctx_destroy(&c);
}

int main(int argc, char **argv)
{
    zw_daemon_spec_t spec = {.name = ZW_REPORT_PRODUCER,
                             .section = "report",
                             .intro = s_intro,
                             .specs = s_own,
                             .n_specs = sizeof s_own / sizeof s_own[0],
                             .help_width = 22};
    zw_daemon_t d;
    int rc;
    if (!zw_daemon_load(&d, &spec, argc, argv, &rc))
        return rc;
    s_opts_t o;
    zw_err_t err = {0};
    zw_calendar_t *cal = NULL;
    void *zctx = NULL;
    zw_worker_t *worker = NULL;
    zw_db_t *probe = NULL;
    zw_daemon_list_t brokers = {0};
    if (s_read(d.cfg, &o, &err) != 0) {
        rc = zw_daemon_fail(ZW_REPORT_PRODUCER, "bad configuration", err.message);
        goto done;
    }
    zw_log_init(ZW_REPORT_PRODUCER, (zw_log_level_t) o.c.log_level);
    rc = 1;
    if (!(cal = zw_daemon_calendar(ZW_REPORT_PRODUCER, o.c.calendar_file)))
        goto done;
    if (zw_daemon_list(&brokers, o.c.broker_endpoints) <= 0) {
        fprintf(stderr, "zwfw-report: broker_endpoint needs 1 to %d endpoints\n",
                ZW_DAEMON_MAX_ENDPOINTS);
        goto done;
    }
    probe = zw_db_new(o.c.conninfo);
    if (!zw_daemon_db_ready(probe, ZW_REPORT_PRODUCER, &rc))
        goto done;
    zw_db_destroy(&probe);
    zw_auth_client_t curve;
    bool use_curve = *o.c.curve_secret_key_file;
    if (use_curve &&
        zw_auth_client_load(&curve, o.c.curve_secret_key_file, o.c.broker_public_key, &err) != 0) {
        zw_daemon_fail_brief(ZW_REPORT_PRODUCER, "cannot load keys", err.message);
        goto done;
    }
    zctx = zmq_ctx_new();
    s_shared_t shared = {.o = &o, .cal = cal};
    zw_worker_config_t wc = {
        .service = "zwfw.report",
        .endpoints = brokers.v,
        .n_endpoints = (size_t) brokers.n,
        .threads = o.threads,
        .heartbeat_ms = o.c.heartbeat_ms,
        .handler = zw_report_handle,
        .ctx_new = s_ctx_new,
        .ctx_destroy = s_ctx_destroy,
        .arg = &shared,
        .health = {.db_of = zw_health_db_first},
        .curve = use_curve ? &curve : NULL,
    };
    worker = zctx ? zw_worker_new(zctx, &wc, &err) : NULL;
    if (!worker || zw_worker_start(worker, &err) != 0) {
        zw_daemon_fail_brief(ZW_REPORT_PRODUCER, "cannot start the workers", err.message);
        goto done;
    }
    memset(&curve, 0, sizeof curve);
    if (o.c.migrate)
        zw_logkv(ZW_LOG_INFO, "migrate ignored: zwfw-report only reads", NULL);
    char *dump = zw_config_dump_json(d.cfg);
    zw_logkv(ZW_LOG_INFO, "report started", "version", ZWFW_VERSION, "mode",
             use_curve ? "curve" : "plain", "clock", o.c.simulated ? "simulated" : "real", "config",
             dump ? dump : "", NULL);
    free(dump);
    while (!zw_daemon_stopping()) {
        if (zw_daemon_take_reload())
            zw_daemon_reload(&d, s_apply, NULL, NULL);
        zmq_poll(NULL, 0, 200);
    }
    zw_logkv(ZW_LOG_INFO, "report stopping: finishing requests in hand", NULL);
    rc = 0;
done:
    zw_worker_stop(worker);
    zw_worker_destroy(&worker);
    zw_db_destroy(&probe);
    if (zctx)
        zmq_ctx_term(zctx);
    zw_calendar_destroy(&cal);
    zw_daemon_list_free(&brokers);
    zw_daemon_free(&d);
    return rc;
}
