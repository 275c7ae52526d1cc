/* What the zwfw-intake integration tests share (test_intake.c,
 * test_intake_kill.c): processes (plain brokers with one identity each, the
 * intake daemon), clients per role, requests, SQL checks and test data.
 * Header-only with static functions: each test is one executable. */
#ifndef ZW_INTAKE_HARNESS_H
#define ZW_INTAKE_HARNESS_H

#include "zwproc.h"
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

#define H_MAX_PROCS 16
#define H_HB "500"

typedef struct {
    pid_t pid;
    char log[300];
    char name[64];
} h_proc_t;

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
    h_proc_t procs[H_MAX_PROCS];
    int nprocs, logs;
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

/* Starts bin/name with args (NULL-terminated), output to a log in dir. */
static inline pid_t h_start(h_stack_t *s, const char *name, const char *const *args)
{
    assert_true(s->nprocs < H_MAX_PROCS);
    char *argv[64];
    int n = 0;
    argv[n++] = strdup(zwt_bin_path(name));
    for (; args[n - 1] && n < 63; n++)
        argv[n] = (char *) args[n - 1];
    argv[n] = NULL;
    h_proc_t *p = &s->procs[s->nprocs++];
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->log, sizeof p->log, "%s/%s.%d.log", s->dir, name, ++s->logs);
    zwt_proc_io_t io = {.out = p->log};
    pid_t pid = zwt_proc_spawn(argv[0], argv, &io);
    free(argv[0]);
    p->pid = pid;
    return pid;
}

static inline h_proc_t *h_find(h_stack_t *s, pid_t pid)
{
    for (int i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid == pid)
            return &s->procs[i];
    return NULL;
}

static inline int h_reap(pid_t pid, int ms)
{
    return zwt_proc_wait(pid, ms);
}

static inline void h_dump_log(const char *path)
{
    zwt_dump_file(path);
}

static inline void h_kill(h_stack_t *s, pid_t pid)
{
    kill(pid, SIGKILL);
    h_reap(pid, 5000);
    h_proc_t *p = h_find(s, pid);
    if (p)
        p->pid = 0;
}

/* SIGTERM and a clean exit (leaks under ASan fail it). */
static inline void h_stop(h_stack_t *s, pid_t pid)
{
    h_proc_t *p = h_find(s, pid);
    bool clean = zwt_proc_stop(&pid, 20000, p ? p->name : "process");
    if (!clean && p)
        h_dump_log(p->log);
    if (p)
        p->pid = 0;
    assert_true(clean);
}

static inline bool h_file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t) size + 1);
    size_t n = buf ? fread(buf, 1, (size_t) size, f) : 0;
    fclose(f);
    if (!buf)
        return false;
    buf[n] = '\0';
    bool found = strstr(buf, needle) != NULL;
    free(buf);
    return found;
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
    zw_client_t *c = h_client(s, ep, 300, 0);
    int64_t until = h_now_ms() + 30000;
    bool exists = false;
    zw_err_t err;
    while (!exists && h_now_ms() < until)
        if (zw_client_service_exists(c, service, &exists, &err) != 0 || !exists)
            h_nap(30);
    zw_client_destroy(&c);
    assert_true(exists);
}

static inline void h_start_broker(h_stack_t *s, h_broker_t *b)
{
    h_free_endpoint(b->ep, sizeof b->ep);
    const char *args[] = {"--endpoint",
                          b->ep,
                          "--heartbeat-ms",
                          H_HB,
                          "--plain-role",
                          b->role,
                          "--plain-key-id",
                          b->key_id,
                          "--plain-region",
                          b->region,
                          "--plain-department",
                          b->department,
                          NULL};
    b->pid = h_start(s, "zwfw-broker", args);
    b->client = h_client(s, b->ep, 15000, 0);
}

/* ---- the database ---------------------------------------------------------------- */

static inline void h_stack_init(h_stack_t *s, const char *dbname)
{
    memset(s, 0, sizeof *s);
    signal(SIGPIPE, SIG_IGN);
    snprintf(s->dir, sizeof s->dir, "/tmp/zwfw-intake-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
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
    for (int i = 0; i < s->nprocs; i++)
        if (s->procs[i].pid > 0) {
            kill(s->procs[i].pid, SIGKILL);
            h_reap(s->procs[i].pid, 5000);
        }
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
