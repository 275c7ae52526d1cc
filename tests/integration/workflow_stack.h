/* A private zwfw stack for the workflow integration tests (included by
 * test_workflow*.c; header-only, as each test file is its own program):
 * a fresh database with every migration, a simulated clock, a CURVE
 * broker whose registry holds one key per identity the tests act as, and
 * zwfw-workflow as a process. Intake is played by the test: it writes
 * intake-shaped events into the "intake" stream's outbox and relays them,
 * exactly as zwfw-intake would. Every wait has a timeout. */
#ifndef ZWT_WORKFLOW_STACK_H
#define ZWT_WORKFLOW_STACK_H

#include "zwproc.h"
#include "zwstack.h"
#include "zwtest.h"

#include "auth_keys.h"
#include "calendar.h"
#include "clock.h"
#include "db.h"
#include "mdp_client.h"
#include "outbox.h"
#include "relay.h"
#include "zwfw/v1/intake.pb-c.h"
#include "zwfw/v1/workflow.pb-c.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* Each test program uses some of these helpers. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define WFS_WAIT_MS 60000 /* generous: sanitizer builds on 2 cores */

/* Departments (unified social credit codes of Tongnan's departments). */
#define WFS_MARKET "11500152MB17035173"
#define WFS_LEAD "11500152MB1701474U" /* 住建: lead of the engineering process */
#define WFS_PLAN "11500152MB17025308"
#define WFS_TRAFFIC "11500152MB1700340F"
#define WFS_ITEM "500A0100300000-500152000000-000-11500152MB17035173-1-00"
#define WFS_ENG_ITEM "500A0900100000-500152000000-000-11500152MB1701474U-1-00"

/* Who the tests act as: one registered key each. */
typedef enum {
    WFS_SUPERVISOR = 0,
    WFS_WINDOW,
    WFS_OPERATOR,
    WFS_APPROVER_MARKET,
    WFS_HEAD_MARKET,
    WFS_APPROVER_LEAD,
    WFS_HEAD_LEAD,
    WFS_APPROVER_PLAN,
    WFS_HEAD_PLAN,
    WFS_APPROVER_TRAFFIC,
    WFS_HEAD_TRAFFIC,
    WFS_DAEMON, /* zwfw-workflow's own system key */
    WFS_NIDS
} wfs_id_t;

static struct {
    const char *name, *role, *department;
    zw_auth_keys_t keys;
} wfs_ids[WFS_NIDS] = {
    {"supervisor", "supervisor", "", {{0}, {0}}},
    {"window-01", "window", "", {{0}, {0}}},
    {"operator", "operator", "", {{0}, {0}}},
    {"approver-market", "approver", WFS_MARKET, {{0}, {0}}},
    {"head-market", "head", WFS_MARKET, {{0}, {0}}},
    {"approver-lead", "approver", WFS_LEAD, {{0}, {0}}},
    {"head-lead", "head", WFS_LEAD, {{0}, {0}}},
    {"approver-plan", "approver", WFS_PLAN, {{0}, {0}}},
    {"head-plan", "head", WFS_PLAN, {{0}, {0}}},
    {"approver-traffic", "approver", WFS_TRAFFIC, {{0}, {0}}},
    {"head-traffic", "head", WFS_TRAFFIC, {{0}, {0}}},
    {"workflow", "system", "", {{0}, {0}}},
};

typedef struct {
    char dir[256];
    char *conninfo;
    zw_db_t *db;       /* the test's own connection */
    zw_db_t *relay_db; /* intake's relay, played by the test */
    zw_relay_t *relay;
    zw_clock_t *clock;
    zw_calendar_t *cal;
    void *zctx;
    char endpoint[300];
    zw_auth_keys_t broker_keys;
    zwt_stack_t procs;
    pid_t broker, workflow;
    zw_client_t *clients[WFS_NIDS];
    char extra[512]; /* more "workflow" settings for the daemon's config */
} wfs_t;

static void wfs_nap(int ms)
{
    zwt_nap(ms);
}

static const char *wfs_path(const wfs_t *s, const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", s->dir, name);
    return buf[i];
}

static void wfs_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void wfs_dump(const char *path)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "tail -n 40 '%s' >&2", path);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log %s)\n", path);
}

static pid_t wfs_spawn(const char *prog, char *const argv[], const char *log)
{
    return zwt_proc_start(prog, argv, log);
}

/* Waits for pid to exit: its wait status, or -1 after timeout_ms. */
static int wfs_reap(pid_t pid, int timeout_ms)
{
    return zwt_proc_wait(pid, timeout_ms);
}

/* SIGTERM and a clean exit 0 (no leak report under the sanitizers). */
static void wfs_stop_pid(wfs_t *s, pid_t *pid)
{
    char log[300];
    snprintf(log, sizeof log, "%s", zwt_stack_log(&s->procs, *pid));
    bool clean = zwt_stack_stop(&s->procs, *pid, 30000);
    *pid = 0;
    if (!clean)
        fail_msg("%s did not stop cleanly", log);
}

static void wfs_kill(wfs_t *s, pid_t *pid)
{
    zwt_stack_kill(&s->procs, *pid);
    *pid = 0;
}

/* The last 40 lines of the running zwfw-workflow's log. */
static void wfs_dump_workflow(wfs_t *s)
{
    wfs_dump(zwt_stack_log(&s->procs, s->workflow));
}

static long wfs_num(wfs_t *s, const char *sql, ...)
{
    const char *params[8];
    int n = 0;
    va_list ap;
    va_start(ap, sql);
    const char *p;
    while (n < 8 && (p = va_arg(ap, const char *)) != NULL)
        params[n++] = p;
    va_end(ap);
    zw_err_t err;
    PGresult *res = zw_db_query(s->db, sql, n, params, &err);
    if (!res)
        fail_msg("%s: %s", sql, err.message);
    long v = PQntuples(res) == 0 || PQgetisnull(res, 0, 0)
                 ? -1
                 : strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

static void wfs_sql(wfs_t *s, const char *sql)
{
    zw_err_t err;
    if (zw_db_run(s->db, sql, &err) != 0)
        fail_msg("%s: %s", sql, err.message);
}

/* Polls a one-number query (params NULL-terminated) until it equals want;
 * the last value. */
static long wfs_wait_num(wfs_t *s, long want, const char *sql, ...)
{
    const char *params[8];
    int n = 0;
    va_list ap;
    va_start(ap, sql);
    const char *p;
    while (n < 8 && (p = va_arg(ap, const char *)) != NULL)
        params[n++] = p;
    va_end(ap);
    int64_t end = zw_mono_ms() + WFS_WAIT_MS;
    long v = -2;
    for (;;) {
        zw_err_t err;
        PGresult *res = zw_db_query(s->db, sql, n, params, &err);
        if (!res)
            fail_msg("%s: %s", sql, err.message);
        v = PQntuples(res) == 0 || PQgetisnull(res, 0, 0) ? -1
                                                          : strtol(PQgetvalue(res, 0, 0), NULL, 10);
        PQclear(res);
        if (v == want || zw_mono_ms() >= end)
            return v;
        wfs_nap(20);
    }
}

static int64_t wfs_time(const char *text)
{
    int64_t us;
    zw_err_t err;
    if (zw_time_parse(text, &us, &err) != 0)
        fail_msg("%s: %s", text, err.message);
    return us;
}

static void wfs_clock(wfs_t *s, const char *text)
{
    zw_err_t err;
    if (zw_clock_set(s->clock, wfs_time(text), NULL, &err) != 0)
        fail_msg("clock to %s: %s", text, err.message);
}

static void wfs_clock_us(wfs_t *s, int64_t us)
{
    zw_err_t err;
    if (zw_clock_set(s->clock, us, NULL, &err) != 0)
        fail_msg("clock: %s", err.message);
}

/* Keys are made once per test program. */
static bool wfs_keys_made;

static void wfs_make_keys(wfs_t *s)
{
    zw_err_t err;
    if (!wfs_keys_made) {
        for (int i = 0; i < WFS_NIDS; i++)
            if (zw_auth_keys_generate(&wfs_ids[i].keys, &err) != 0)
                fail_msg("keygen: %s", err.message);
        wfs_keys_made = true;
    }
    char keys[300];
    snprintf(keys, sizeof keys, "%s/keys", s->dir);
    if (zw_auth_keys_generate(&s->broker_keys, &err) != 0 ||
        zw_auth_keys_save(&s->broker_keys, keys, "broker", true, &err) != 0 ||
        zw_auth_keys_save(&wfs_ids[WFS_DAEMON].keys, keys, "workflow", true, &err) != 0)
        fail_msg("keys: %s", err.message);
    char text[8192];
    size_t used = (size_t) snprintf(text, sizeof text, "{ \"keys\": [\n");
    for (int i = 0; i < WFS_NIDS; i++)
        used += (size_t) snprintf(text + used, sizeof text - used,
                                  "%s  {\"name\": \"%s\", \"public_key\": \"%s\", \"role\": \"%s\","
                                  " \"region\": \"500152\", \"department\": \"%s\"}",
                                  i ? ",\n" : "", wfs_ids[i].name, wfs_ids[i].keys.public_key,
                                  wfs_ids[i].role, wfs_ids[i].department);
    snprintf(text + used, sizeof text - used, "\n] }\n");
    wfs_write(wfs_path(s, "keys.json"), text);
}

static void wfs_start_broker(wfs_t *s)
{
    char cfg[1024];
    snprintf(cfg, sizeof cfg,
             "{ \"broker\": { \"heartbeat_ms\": 500, \"liveness\": 4, \"request_wait_ms\": 20000,"
             " \"curve_secret_key_file\": \"%s/keys/broker.secret\","
             " \"key_registry_file\": \"%s/keys.json\" } }\n",
             s->dir, s->dir);
    wfs_write(wfs_path(s, "broker.json"), cfg);
    s->broker =
        zwt_stack_broker(&s->procs, &(zwt_broker_opts_t){.config = wfs_path(s, "broker.json"),
                                                         .endpoint = s->endpoint});
}

/* Starts zwfw-workflow and waits until the broker lists zwfw.workflow. */
static void wfs_start_workflow(wfs_t *s)
{
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "{ \"common\": { \"db_conninfo\": \"%s\", \"clock_mode\": \"simulated\" },\n"
             "  \"workflow\": { \"broker_endpoint\": \"%s\", \"threads\": 3,"
             " \"heartbeat_ms\": 500, \"curve_secret_key_file\": \"%s/keys/workflow.secret\","
             " \"broker_public_key\": \"%s\", \"consumer_quiet_ms\": 100,"
             " \"relay_idle_ms\": 10, \"clock_poll_ms\": 30, \"sweep_ms\": 300,"
             " \"log_level\": \"debug\"%s%s } }\n",
             s->conninfo, s->endpoint, s->dir, s->broker_keys.public_key, s->extra[0] ? ", " : "",
             s->extra);
    wfs_write(wfs_path(s, "workflow.json"), cfg);
    s->workflow = zwt_stack_workflow(
        &s->procs, &(zwt_workflow_opts_t){.config = wfs_path(s, "workflow.json")});
    if (!zwt_stack_wait_listed(&s->procs, s->clients[WFS_SUPERVISOR], "zwfw.workflow", s->workflow,
                               WFS_WAIT_MS)) {
        s->workflow = 0;
        fail_msg("zwfw.workflow never registered");
    }
}

static zw_client_t *wfs_client(wfs_t *s, wfs_id_t who)
{
    if (s->clients[who])
        return s->clients[who];
    const char *eps[] = {s->endpoint};
    zw_err_t err;
    zw_client_t *c = zw_client_new(s->zctx, eps, 1, &err);
    assert_non_null(c);
    zw_auth_client_t ac;
    memset(&ac, 0, sizeof ac);
    ac.keys = wfs_ids[who].keys;
    snprintf(ac.server_key, sizeof ac.server_key, "%s", s->broker_keys.public_key);
    assert_int_equal(zw_client_set_curve(c, &ac, &err), 0);
    zw_client_set_timeout(c, 30000);
    zw_client_set_retries(c, 1);
    s->clients[who] = c;
    return c;
}

/* A fresh stack: database `name`, the clock at `start`. */
static wfs_t *wfs_up(const char *name, const char *start, const char *extra)
{
    wfs_t *s = calloc(1, sizeof *s);
    assert_non_null(s);
    snprintf(s->dir, sizeof s->dir, "%s/zwt-wf-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    assert_non_null(mkdtemp(s->dir));
    zwt_stack_init(&s->procs, s->dir);
    snprintf(s->extra, sizeof s->extra, "%s", extra ? extra : "");
    snprintf(s->endpoint, sizeof s->endpoint, "ipc://%s/broker.sock", s->dir);
    s->conninfo = zwt_pg_fresh_db(name);
    assert_non_null(s->conninfo);
    s->db = zw_db_new(s->conninfo);
    s->relay_db = zw_db_new(s->conninfo);
    zw_err_t err;
    if (zw_db_connect(s->db, &err) != 0 ||
        zw_db_migrate_all(s->db, zwt_src_path(""), NULL, &err) != 0)
        fail_msg("setup %s: %s", name, err.message);
    s->clock = zw_clock_new_sim(s->db);
    wfs_clock(s, start);
    s->cal = zw_calendar_load(zwt_src_path("deploy/calendar/cn.json"), &err);
    assert_non_null(s->cal);
    const char *streams[] = {"intake"};
    zw_relay_config_t rc = {.producer = "zwfw-intake", .streams = streams, .n_streams = 1};
    s->relay = zw_relay_new(s->relay_db, &rc, &err);
    assert_non_null(s->relay);
    s->zctx = zmq_ctx_new();
    wfs_make_keys(s);
    for (int i = 0; i < WFS_NIDS; i++)
        wfs_client(s, (wfs_id_t) i);
    wfs_start_broker(s);
    wfs_start_workflow(s);
    return s;
}

static void wfs_down(wfs_t *s)
{
    for (int i = 0; i < WFS_NIDS; i++)
        zw_client_destroy(&s->clients[i]);
    wfs_stop_pid(s, &s->workflow);
    wfs_stop_pid(s, &s->broker);
    zmq_ctx_term(s->zctx);
    zw_relay_destroy(&s->relay);
    zw_clock_destroy(&s->clock);
    zw_calendar_destroy(&s->cal);
    zw_db_destroy(&s->relay_db);
    zw_db_destroy(&s->db);
    free(s->conninfo);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
    free(s);
}

/* ---- intake, played by the test ------------------------------------------------------ */

typedef struct {
    const ProtobufCMessage *msg;
    const char *receipt;
    int64_t at;
} wfs_ev_t;

static int wfs_ev_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    wfs_ev_t *e = arg;
    uint8_t buf[4096];
    size_t len = protobuf_c_message_pack(e->msg, buf);
    return zw_outbox_append(db, "intake", e->msg->descriptor->name, e->receipt, e->at, buf, len,
                            err);
}

static void wfs_relay(wfs_t *s)
{
    zw_err_t err;
    size_t moved;
    do {
        if (zw_relay_run_once(s->relay, &moved, &err) != 0)
            fail_msg("relay: %s", err.message);
    } while (moved > 0);
}

/* Writes one intake event (committed, relayed into the log). */
static void wfs_publish(wfs_t *s, const ProtobufCMessage *msg, const char *receipt, int64_t at)
{
    wfs_ev_t e = {msg, receipt, at};
    zw_err_t err;
    if (zw_db_tx(s->db, false, wfs_ev_tx, &e, &err) != 0)
        fail_msg("publish: %s", err.message);
    wfs_relay(s);
}

static Zwfw__V1__Timestamp *wfs_ts(Zwfw__V1__Timestamp *ts, int64_t us)
{
    zwfw__v1__timestamp__init(ts);
    ts->seconds = us / 1000000;
    ts->nanos = (int32_t) (us % 1000000) * 1000;
    return ts;
}

/* ApplicationAccepted of a 承诺件, limits in working days. */
static void wfs_accept(wfs_t *s, const char *receipt, const char *item, const char *dept,
                       const char *at, int promised, int statutory)
{
    Zwfw__V1__ApplicationAccepted m = ZWFW__V1__APPLICATION_ACCEPTED__INIT;
    Zwfw__V1__Timestamp t1, t2;
    Zwfw__V1__TimeLimit pl = ZWFW__V1__TIME_LIMIT__INIT, sl = ZWFW__V1__TIME_LIMIT__INIT;
    pl.amount = promised;
    pl.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    sl.amount = statutory;
    sl.unit = ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    m.receipt_number = (char *) receipt;
    m.state = ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_ACCEPTED;
    m.at = wfs_ts(&t1, wfs_time(at));
    m.accepted_at = wfs_ts(&t2, wfs_time(at));
    m.item_code = (char *) item;
    m.item_version = 1;
    m.department_code = (char *) dept;
    m.handling = ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_PROMISED;
    m.promised_limit = &pl;
    m.statutory_limit = &sl;
    m.region = "500152";
    m.channel = ZWFW__V1__CHANNEL__CHANNEL_WINDOW;
    wfs_publish(s, &m.base, receipt, wfs_time(at));
}

/* Waits until the process of receipt exists (the consumer applied it). */
static void wfs_wait_started(wfs_t *s, const char *receipt)
{
    if (wfs_wait_num(s, 1, "SELECT count(*) FROM workflow.instances WHERE receipt_number = $1",
                     receipt, NULL) != 1) {
        wfs_dump_workflow(s);
        fail_msg("no process for %s", receipt);
    }
}

/* ---- zwfw.workflow requests ----------------------------------------------------------- */

static int wfs_call(wfs_t *s, wfs_id_t who, const ProtobufCMessage *req,
                    const ProtobufCMessageDescriptor *type, ProtobufCMessage **reply, zw_err_t *err)
{
    *reply = NULL;
    return zw_client_call_as(wfs_client(s, who), "zwfw.workflow", req, type, reply, err);
}

static unsigned wfs_key_seq;

/* Act; returns 0 or the error code. *out (may be NULL) gets the reply. */
static zw_code_t wfs_act_key(wfs_t *s, wfs_id_t who, const char *receipt, const char *branch,
                             const char *action, const char *comment, const char *key,
                             Zwfw__V1__ActReply **out, zw_err_t *err_out)
{
    Zwfw__V1__Act m = ZWFW__V1__ACT__INIT;
    char keybuf[64];
    if (!key) {
        snprintf(keybuf, sizeof keybuf, "k-%d-%u", (int) getpid(), ++wfs_key_seq);
        key = keybuf;
    }
    m.idempotency_key = (char *) key;
    m.actor = (char *) wfs_ids[who].name;
    m.receipt_number = (char *) receipt;
    m.branch = (char *) (branch ? branch : "");
    m.action = (char *) action;
    m.comment = (char *) (comment ? comment : "");
    ProtobufCMessage *r = NULL;
    zw_err_t err;
    zw_err_clear(&err);
    int rc = wfs_call(s, who, &m.base, &zwfw__v1__act_reply__descriptor, &r, &err);
    if (err_out)
        *err_out = err;
    if (out)
        *out = (Zwfw__V1__ActReply *) r;
    else if (r)
        protobuf_c_message_free_unpacked(r, NULL);
    return rc == 0 ? ZW_OK : err.code;
}

static void wfs_act(wfs_t *s, wfs_id_t who, const char *receipt, const char *branch,
                    const char *action, const char *comment)
{
    zw_err_t err;
    if (wfs_act_key(s, who, receipt, branch, action, comment, NULL, NULL, &err) != ZW_OK)
        fail_msg("%s by %s on %s/%s: %s %s", action, wfs_ids[who].name, receipt,
                 branch ? branch : "", zw_code_name(err.code), err.message);
}

static void wfs_refused(wfs_t *s, wfs_id_t who, const char *receipt, const char *branch,
                        const char *action, const char *comment, zw_code_t want)
{
    zw_err_t err;
    zw_code_t got = wfs_act_key(s, who, receipt, branch, action, comment, NULL, NULL, &err);
    if (got != want)
        fail_msg("%s by %s: %s (%s), expected %s", action, wfs_ids[who].name, zw_code_name(got),
                 err.message, zw_code_name(want));
}

/* GetInstance as `who` (the caller frees the reply). */
static Zwfw__V1__InstanceReply *wfs_get(wfs_t *s, wfs_id_t who, const char *receipt, bool history)
{
    Zwfw__V1__GetInstance m = ZWFW__V1__GET_INSTANCE__INIT;
    m.receipt_number = (char *) receipt;
    m.history = history;
    ProtobufCMessage *r = NULL;
    zw_err_t err;
    if (wfs_call(s, who, &m.base, &zwfw__v1__instance_reply__descriptor, &r, &err) != 0)
        fail_msg("GetInstance %s: %s", receipt, err.message);
    return (Zwfw__V1__InstanceReply *) r;
}

static const Zwfw__V1__Clock *wfs_clock_of(const Zwfw__V1__Instance *in, Zwfw__V1__ClockKind k,
                                           const char *branch)
{
    for (size_t i = 0; i < in->n_clocks; i++)
        if (in->clocks[i]->kind == k && strcmp(in->clocks[i]->branch, branch ? branch : "") == 0)
            return in->clocks[i];
    return NULL;
}

static int64_t wfs_us(const Zwfw__V1__Timestamp *ts)
{
    return ts ? ts->seconds * 1000000 + ts->nanos / 1000 : -1;
}

static char *wfs_fmt(int64_t us)
{
    static char buf[4][48];
    static int i;
    i = (i + 1) % 4;
    return zw_time_format(us, buf[i], sizeof buf[i]);
}

/* Working minutes between two moments (no pauses). */
static int64_t wfs_minutes(wfs_t *s, int64_t a, int64_t b)
{
    zw_workhours_t h;
    zw_workhours_default(&h);
    int64_t m;
    zw_err_t err;
    if (zw_calendar_working_minutes(s->cal, &h, a / 1000000, b / 1000000, NULL, 0, &m, &err) != 0)
        fail_msg("minutes: %s", err.message);
    return m;
}

/* Events of type in the workflow stream for one receipt (relayed). */
static long wfs_events(wfs_t *s, const char *type, const char *receipt)
{
    return wfs_num(s,
                   "SELECT count(*) FROM events.log WHERE stream = 'workflow' AND type = $1"
                   " AND aggregate_id = $2",
                   type, receipt, NULL);
}

/* Waits until every event of the workflow stream was relayed. */
static void wfs_wait_relayed(wfs_t *s)
{
    wfs_wait_num(s, 0, "SELECT count(*) FROM events.outbox WHERE stream = 'workflow'", NULL);
}

/* Waits until the sweeper has looked at everything due at the clock's
 * time: no open instance has a check at or before it. */
static void wfs_wait_swept(wfs_t *s)
{
    if (wfs_wait_num(s, 0,
                     "SELECT count(*) FROM workflow.instances WHERE status = 1"
                     " AND next_check_us <= (SELECT now_us FROM common.sim_clock)"
                     " AND sweep_failures = 0",
                     NULL) != 0) {
        wfs_dump_workflow(s);
        fail_msg("the sweep did not catch up");
    }
    wfs_wait_relayed(s);
}

#endif
