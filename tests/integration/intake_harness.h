/* What the zwfw-intake integration tests share (test_intake*.c,
 * test_hostile_input.c): processes (plain brokers with one identity each,
 * the intake and workflow daemons, started through zwstack.h), clients per
 * role, requests, SQL checks and test data. Header-only with static
 * functions: each test is one executable. */
#ifndef ZW_INTAKE_HARNESS_H
#define ZW_INTAKE_HARNESS_H

#include "zwproc.h"
#include "zwstack.h"
#include "zwtest.h"

#include "clock.h"
#include "mdp_client.h"
#include "wire_json.h"
#include "zwfw/v1/catalog.pb-c.h"
#include "zwfw/v1/intake.pb-c.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define H_HB 500 /* heartbeat of brokers and daemons, ms */
#define H_STOP_MS 20000

typedef zwt_daemon_t h_proc_t;

typedef struct {
    const char *role, *key_id, *region, *department;
    char ep[64];
    pid_t pid;
    zw_client_t *client;
} h_broker_t;

typedef struct {
    void *ctx;
    char dir[64];
    char *conninfo;
    char key_file[128];
    zwt_stack_t procs;
    PGconn *pg;
} h_stack_t;

static inline int64_t h_now_ms(void)
{
    return zw_mono_ms();
}

static inline void h_nap(int ms)
{
    zwt_nap(ms);
}

static inline void h_free_endpoint(char *out, size_t outsz)
{
    zwt_free_endpoint(out, outsz);
}

static inline h_proc_t *h_find(h_stack_t *s, pid_t pid)
{
    return zwt_stack_find(&s->procs, pid);
}

static inline void h_dump_log(const char *path)
{
    zwt_dump_file(path);
}

static inline void h_kill(h_stack_t *s, pid_t pid)
{
    zwt_stack_kill(&s->procs, pid);
}

/* SIGTERM and a clean exit (leaks under ASan fail it). */
static inline void h_stop(h_stack_t *s, pid_t pid)
{
    assert_true(zwt_stack_stop(&s->procs, pid, H_STOP_MS));
}

static inline bool h_file_has(const char *path, const char *needle)
{
    return zwt_file_has(path, needle);
}

static inline zw_client_t *h_client(h_stack_t *s, const char *ep, int timeout, int retries)
{
    zw_err_t err;
    const char *eps[] = {ep};
    zw_client_t *c = zw_client_new(s->ctx, eps, 1, &err);
    assert_non_null(c);
    zw_client_set_timeout(c, timeout);
    zw_client_set_retries(c, retries);
    return c;
}

static inline void h_wait_service(h_stack_t *s, const char *ep, const char *service)
{
    assert_true(zwt_stack_wait_service(&s->procs, s->ctx, ep, service, 30000));
}

/* Waits until each of n brokers lists service. */
static inline void h_wait_all(h_stack_t *s, const h_broker_t *b, int n, const char *service)
{
    for (int i = 0; i < n; i++)
        h_wait_service(s, b[i].ep, service);
}

/* A plain broker on a free port whose every caller is b's identity, and
 * b's client of it. */
static inline void h_start_broker(h_stack_t *s, h_broker_t *b)
{
    b->pid = zwt_stack_broker_free(&s->procs,
                                   (zwt_broker_opts_t){.heartbeat_ms = H_HB,
                                                       .plain_role = b->role,
                                                       .plain_key_id = b->key_id,
                                                       .plain_region = b->region,
                                                       .plain_department = b->department},
                                   b->ep, sizeof b->ep);
    b->client = h_client(s, b->ep, 15000, 0);
}

/* h_start_broker for each of n brokers; their endpoints, comma-separated,
 * into eps (what the daemons' --broker-endpoint takes). */
static inline void h_start_brokers(h_stack_t *s, h_broker_t *b, int n, char *eps, size_t epssz)
{
    eps[0] = '\0';
    for (int i = 0; i < n; i++) {
        h_start_broker(s, &b[i]);
        size_t used = strlen(eps);
        snprintf(eps + used, epssz - used, "%s%s", i ? "," : "", b[i].ep);
    }
}

/* zwfw-intake on s's database and data key, registered with brokers
 * (comma-separated), heartbeat H_HB; o says the rest. */
static inline pid_t h_start_intake(h_stack_t *s, const char *brokers, zwt_intake_opts_t o)
{
    o.conninfo = s->conninfo;
    o.brokers = brokers;
    o.pii_key_file = s->key_file;
    o.heartbeat_ms = H_HB;
    return zwt_stack_intake(&s->procs, &o);
}

/* zwfw-workflow on s's database, registered with brokers, heartbeat
 * H_HB; o says the rest. */
static inline pid_t h_start_workflow(h_stack_t *s, const char *brokers, zwt_workflow_opts_t o)
{
    o.conninfo = s->conninfo;
    o.brokers = brokers;
    o.heartbeat_ms = H_HB;
    return zwt_stack_workflow(&s->procs, &o);
}

/* The intake of an intake and workflow pair on the simulated clock, each
 * following the other's event PUB (pub: intake's, workflow_pub: the
 * other's). */
static inline zwt_intake_opts_t h_paired_intake(const char *pub, const char *workflow_pub)
{
    return (zwt_intake_opts_t){.clock_mode = "simulated",
                               .threads = 2,
                               .pub_endpoint = pub,
                               .workflow_endpoints = workflow_pub,
                               .workflow_quiet_ms = 200};
}

/* The workflow of that pair (pub: workflow's, intake_pub: intake's). */
static inline zwt_workflow_opts_t h_paired_workflow(const char *pub, const char *intake_pub)
{
    return (zwt_workflow_opts_t){.clock_mode = "simulated",
                                 .threads = 2,
                                 .pub_endpoint = pub,
                                 .intake_pub_endpoint = intake_pub,
                                 .consumer_quiet_ms = 200,
                                 .relay_idle_ms = 10};
}

/* ---- the database ---------------------------------------------------------------- */

static inline void h_stack_init(h_stack_t *s, const char *dbname)
{
    memset(s, 0, sizeof *s);
    signal(SIGPIPE, SIG_IGN);
    snprintf(s->dir, sizeof s->dir, "/tmp/zwfw-intake-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    zwt_stack_init(&s->procs, s->dir);
    s->conninfo = zwt_pg_fresh_db(dbname);
    assert_non_null(s->conninfo);
    s->pg = PQconnectdb(s->conninfo);
    assert_int_equal(PQstatus(s->pg), CONNECTION_OK);
    PQclear(PQexec(s->pg, "SET client_min_messages = warning"));
    /* the test's own data key, 0600, never in the repository */
    snprintf(s->key_file, sizeof s->key_file, "%s/data.key", s->dir);
    int fd = open(s->key_file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    unsigned char raw[32];
    FILE *r = fopen("/dev/urandom", "rb");
    assert_non_null(r);
    assert_int_equal(fread(raw, 1, sizeof raw, r), sizeof raw);
    fclose(r);
    char hex[70];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    strcat(hex, "\n");
    assert_int_equal(write(fd, hex, strlen(hex)), (ssize_t) strlen(hex));
    close(fd);
    s->ctx = zmq_ctx_new();
}

static inline void h_stack_free(h_stack_t *s)
{
    zwt_stack_kill_all(&s->procs);
    if (s->pg)
        PQfinish(s->pg);
    free(s->conninfo);
    if (s->ctx)
        zmq_ctx_term(s->ctx);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
    if (getenv("ZWFW_KEEP_TEST_DIR"))
        fprintf(stderr, "test files kept in %s\n", s->dir);
    else if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
}

/* One value of a query (text), copied into out; "" for no row. */
static inline const char *h_sql(h_stack_t *s, const char *sql, char *out, size_t outsz)
{
    PGresult *res = PQexec(s->pg, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fprintf(stderr, "SQL failed: %s\n%s", sql, PQerrorMessage(s->pg));
        PQclear(res);
        fail();
    }
    snprintf(out, outsz, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
    PQclear(res);
    return out;
}

static inline long h_sql_long(h_stack_t *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline long h_sql_long(h_stack_t *s, const char *fmt, ...)
{
    char sql[2048], out[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return strtol(h_sql(s, sql, out, sizeof out), NULL, 10);
}

/* ---- requests ---------------------------------------------------------------------- */

/* Sends msg; returns the reply (caller frees) or NULL with *err. */
static inline ProtobufCMessage *h_try(zw_client_t *c, const char *service,
                                      const ProtobufCMessage *msg, zw_err_t *err)
{
    ProtobufCMessage *reply = NULL;
    if (zw_client_call(c, service, msg, &reply, err) != 0)
        return NULL;
    return reply;
}

static inline ProtobufCMessage *h_ok(zw_client_t *c, const char *service,
                                     const ProtobufCMessage *msg)
{
    zw_err_t err;
    ProtobufCMessage *reply = h_try(c, service, msg, &err);
    if (!reply)
        fprintf(stderr, "%s %s failed: %s: %s (%s)\n", service, msg->descriptor->name,
                zw_code_name(err.code), err.message, err.detail);
    assert_non_null(reply);
    return reply;
}

/* Expects an Error of code (and detail, when not NULL). */
static inline void h_fails(zw_client_t *c, const char *service, const ProtobufCMessage *msg,
                           zw_code_t code, const char *detail)
{
    zw_err_t err;
    ProtobufCMessage *reply = h_try(c, service, msg, &err);
    if (reply) {
        fprintf(stderr, "%s %s: expected %s, got a reply\n", service, msg->descriptor->name,
                zw_code_name(code));
        protobuf_c_message_free_unpacked(reply, NULL);
        fail();
    }
    if (err.code != code || (detail && strcmp(err.detail, detail) != 0))
        fprintf(stderr, "%s %s: expected %s (%s), got %s: %s (%s)\n", service,
                msg->descriptor->name, zw_code_name(code), detail ? detail : "-",
                zw_code_name(err.code), err.message, err.detail);
    assert_int_equal(err.code, code);
    if (detail)
        assert_string_equal(err.detail, detail);
}

/* A message from its JSON form (freed by the caller). */
static inline ProtobufCMessage *h_json(const char *type, const char *json)
{
    zw_err_t err;
    ProtobufCMessage *m = zw_wire_from_json_named(type, json, strlen(json), &err);
    if (!m)
        fprintf(stderr, "bad test JSON for %s: %s\n%s\n", type, err.message, json);
    assert_non_null(m);
    return m;
}

static inline ProtobufCMessage *h_json_call(zw_client_t *c, const char *service, const char *type,
                                            const char *json)
{
    ProtobufCMessage *req = h_json(type, json);
    ProtobufCMessage *reply = h_ok(c, service, req);
    protobuf_c_message_free_unpacked(req, NULL);
    return reply;
}

static inline void h_set_clock(zw_client_t *op, const char *when)
{
    static int n;
    char json[256];
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"clock-%d-%ld\",\"actor\":\"op\",\"to\":\"%s\"}", ++n,
             (long) getpid(), when);
    ProtobufCMessage *r = h_json_call(op, "zwfw.clock", "zwfw.v1.SetClock", json);
    protobuf_c_message_free_unpacked(r, NULL);
}

/* A resident ID with its check character, from 17 digits. */
static inline void h_resident_id(const char *first17, char out[19])
{
    static const int w[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (first17[i] - '0') * w[i];
    memcpy(out, first17, 17);
    out[17] = "10X98765432"[sum % 11];
    out[18] = '\0';
}

/* A MaterialRef as JSON: a made-up hash per code and salt. */
static inline void h_material_ref(char *out, size_t outsz, const char *code, int salt)
{
    char sha[65];
    for (int i = 0; i < 64; i++)
        sha[i] = "0123456789abcdef"[(code[0] + code[1] * 7 + salt * 13 + i * 5) % 16];
    sha[64] = '\0';
    snprintf(out, outsz,
             "{\"materialCode\":\"%s\",\"name\":\"%s.pdf\",\"mediaType\":\"application/pdf\","
             "\"sha256\":\"%s\",\"size\":\"%d\",\"uri\":\"s3://zwfw/%s-%d\"}",
             code, code, sha, 1000 + salt, code, salt);
}

/* The MaterialRefs of comma-separated codes as a JSON list's items (no
 * brackets), salts counting up from salt. */
static inline void h_material_refs(char *out, size_t outsz, const char *codes, int salt)
{
    char list[256];
    snprintf(list, sizeof list, "%s", codes ? codes : "");
    out[0] = '\0';
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char one[512];
        h_material_ref(one, sizeof one, tok, salt++);
        size_t used = strlen(out);
        snprintf(out + used, outsz - used, "%s%s", used ? "," : "", one);
    }
}

static inline int64_t h_ts_us(const Zwfw__V1__Timestamp *ts)
{
    return ts ? ts->seconds * 1000000 + ts->nanos / 1000 : -1;
}

static inline int64_t h_parse_us(const char *text)
{
    int64_t us;
    zw_err_t err;
    assert_int_equal(zw_time_parse(text, &us, &err), 0);
    return us;
}

#endif
