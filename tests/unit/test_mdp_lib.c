/* The MDP worker and client libraries against a scripted broker: the test
 * holds the ROUTER socket and checks every frame RFC 7 says must pass, in
 * both directions, so no real broker's leniency can hide a mistake. */
#include "zwtest.h"

#include "mdp.h"
#include "mdp_client.h"
#include "mdp_frames.h"
#include "mdp_worker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

typedef struct {
    void *ctx;
    void *router;
    char endpoint[128];
    /* Kept here so a failed test's teardown can still close them: the
     * context cannot terminate while a socket is open. */
    zw_client_t *client;
    zw_worker_t *worker;
} s_fixture_t;

static int s_setup(void **state)
{
    s_fixture_t *f = calloc(1, sizeof *f);
    f->ctx = zmq_ctx_new();
    f->router = zmq_socket(f->ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(f->router, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(f->router, "tcp://127.0.0.1:*") != 0)
        return -1;
    size_t len = sizeof f->endpoint;
    zmq_getsockopt(f->router, ZMQ_LAST_ENDPOINT, f->endpoint, &len);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    s_fixture_t *f = *state;
    zw_client_destroy(&f->client);
    zw_worker_destroy(&f->worker);
    zmq_close(f->router);
    zmq_ctx_term(f->ctx);
    free(f);
    return 0;
}

/* The next message on the router within ms, or NULL. */
static zw_frames_t *s_recv(void *router, int ms)
{
    zmq_pollitem_t item = {.socket = router, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, ms) <= 0)
        return NULL;
    return zw_frames_recv(router, 0);
}

/* Sends [id][empty]["MDPW01"][cmd] then `rest` frames (may be NULL). */
static void s_send_worker(void *router, const zw_frames_t *id, uint8_t cmd, const zw_frames_t *rest)
{
    zw_frames_send(id, router, 0, true);
    zw_frame_send(router, "", 0, 0, true);
    zw_frame_send(router, ZW_MDP_WORKER, 6, 0, true);
    zw_frame_send(router, &cmd, 1, 0, rest && zw_frames_count(rest) > 0);
    if (rest && zw_frames_count(rest) > 0)
        zw_frames_send(rest, router, 0, false);
}

/* The next worker command other than HEARTBEAT (each heartbeat is answered,
 * keeping the worker's broker alive), checking the MDP/Worker header. */
static zw_frames_t *s_next_command(void *router, int ms, uint8_t *cmd)
{
    for (;;) {
        zw_frames_t *m = s_recv(router, ms);
        if (!m)
            return NULL;
        assert_true(zw_frames_count(m) >= 4);
        assert_int_equal(zw_frames_size(m, 1), 0);
        assert_true(zw_frames_streq(m, 2, ZW_MDP_WORKER));
        assert_int_equal(zw_frames_size(m, 3), 1);
        *cmd = *(const uint8_t *) zw_frames_data(m, 3);
        if (*cmd != ZW_MDPW_HEARTBEAT)
            return m;
        assert_int_equal(zw_frames_count(m), 4);
        zw_frames_t *id = zw_frames_split(m, 1);
        s_send_worker(router, id, ZW_MDPW_HEARTBEAT, NULL);
        zw_frames_destroy(&id);
        zw_frames_destroy(&m);
    }
}

/* ---- worker -------------------------------------------------------------- */

static char s_last_key_id[64];

static void s_handler(void *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    int *calls = ctx;
    (*calls)++;
    snprintf(s_last_key_id, sizeof s_last_key_id, "%s", req->caller->key_id);
    if (strcmp(req->type, "test.Empty") == 0)
        return; /* no reply: the library must answer INTERNAL */
    if (strcmp(req->type, "test.Fail") == 0) {
        zw_reply_error(reply, ZW_FAILED_PRECONDITION, "cannot %s", "comply");
        zw_reply_detail(reply, "field", "x.y");
        return;
    }
    if (strcmp(req->type, "zwfw.v1.Region") == 0) {
        zw_err_t err;
        ProtobufCMessage *m = zw_request_unpack(req, &zwfw__v1__region__descriptor, &err);
        if (!m) {
            zw_reply_err(reply, &err);
            return;
        }
        Zwfw__V1__Region *r = (Zwfw__V1__Region *) m;
        r->name = strcmp(r->code, "500152") == 0 ? "潼南区" : "?";
        zw_reply_message(reply, m);
        r->name = NULL; /* not ours to free: a literal */
        protobuf_c_message_free_unpacked(m, NULL);
        return;
    }
    zw_reply_bytes(reply, req->type, req->data, req->len);
}

static bool s_db_ok(void *ctx)
{
    (void) ctx;
    return true;
}

static int64_t s_lag(void *ctx)
{
    (void) ctx;
    return 7;
}

static zw_frames_t *s_caller_frame(const char *key_id)
{
    Zwfw__V1__Caller c = ZWFW__V1__CALLER__INIT;
    c.key_id = (char *) key_id;
    c.role = ZWFW__V1__ROLE__ROLE_WINDOW;
    c.region = "500152";
    uint8_t buf[128];
    size_t n = zwfw__v1__caller__pack(&c, buf);
    zw_frames_t *f = zw_frames_new();
    zw_frames_append(f, buf, n);
    return f;
}

/* Sends REQUEST [client][empty][body] to worker `id`, returns the REPLY's
 * body after checking its envelope. */
static zw_frames_t *s_request(void *router, const zw_frames_t *id, zw_frames_t *body)
{
    zw_frames_t *rest = zw_frames_new();
    zw_frames_append_str(rest, "client-A");
    zw_frames_append_str(rest, "client-B"); /* a two-frame address */
    zw_frames_append(rest, "", 0);
    zw_frames_append_frames(rest, body, 0);
    s_send_worker(router, id, ZW_MDPW_REQUEST, rest);
    zw_frames_destroy(&rest);
    uint8_t cmd;
    zw_frames_t *m = s_next_command(router, 3000, &cmd);
    assert_non_null(m);
    assert_int_equal(cmd, ZW_MDPW_REPLY);
    assert_true(zw_frames_eq(m, 0, zw_frames_data(id, 0), zw_frames_size(id, 0)));
    assert_true(zw_frames_streq(m, 4, "client-A"));
    assert_true(zw_frames_streq(m, 5, "client-B"));
    assert_int_equal(zw_frames_size(m, 6), 0);
    zw_frames_drop_front(m, 7);
    return m;
}

static zw_frames_t *s_body(const char *rid, const char *type, const void *data, size_t len,
                           const zw_frames_t *caller)
{
    zw_frames_t *b = zw_frames_new();
    zw_frames_append_str(b, rid);
    if (type)
        zw_frames_append_str(b, type);
    if (data)
        zw_frames_append(b, data, len);
    if (caller)
        zw_frames_append_frames(b, caller, 0);
    return b;
}

static Zwfw__V1__Error *s_expect_error(zw_frames_t *reply, const char *rid)
{
    assert_int_equal(zw_frames_count(reply), 3);
    assert_true(zw_frames_streq(reply, 0, rid));
    assert_true(zw_frames_streq(reply, 1, ZW_ZWFW_ERROR_TYPE));
    Zwfw__V1__Error *e =
        zwfw__v1__error__unpack(NULL, zw_frames_size(reply, 2), zw_frames_data(reply, 2));
    assert_non_null(e);
    return e;
}

static void test_worker_protocol(void **state)
{
    s_fixture_t *f = *state;
    int calls = 0;
    const char *eps[] = {f->endpoint};
    zw_worker_config_t cfg = {
        .service = "zwfw.proto",
        .endpoints = eps,
        .n_endpoints = 1,
        .threads = 1,
        .heartbeat_ms = 100,
        .liveness = 5,
        .reconnect_ms = 50,
        .handler = s_handler,
        .arg = &calls,
        .health = {.db_reachable = s_db_ok, .event_lag = s_lag},
    };
    zw_err_t err;
    zw_worker_t *w = f->worker = zw_worker_new(f->ctx, &cfg, &err);
    assert_non_null(w);
    assert_int_equal(zw_worker_start(w, &err), 0);
    assert_int_equal(zw_worker_start(w, &err), -1); /* not twice */

    uint8_t cmd;
    zw_frames_t *m = s_next_command(f->router, 3000, &cmd);
    assert_non_null(m);
    assert_int_equal(cmd, ZW_MDPW_READY);
    assert_int_equal(zw_frames_count(m), 5);
    assert_true(zw_frames_streq(m, 4, "zwfw.proto"));
    zw_frames_t *id = zw_frames_split(m, 1);
    zw_frames_destroy(&m);

    /* The worker heartbeats by itself. */
    m = s_recv(f->router, 1000);
    assert_non_null(m);
    assert_int_equal(*(const uint8_t *) zw_frames_data(m, 3), ZW_MDPW_HEARTBEAT);
    zw_frames_destroy(&m);

    zw_frames_t *caller = s_caller_frame("window-7");
    const uint8_t payload[] = {0, 1, 2, 0xff};
    zw_frames_t *body = s_body("rid-1", "test.Blob", payload, sizeof payload, caller);
    zw_frames_t *reply = s_request(f->router, id, body);
    assert_int_equal(zw_frames_count(reply), 3);
    assert_true(zw_frames_streq(reply, 0, "rid-1"));
    assert_true(zw_frames_streq(reply, 1, "test.Blob"));
    assert_true(zw_frames_eq(reply, 2, payload, sizeof payload));
    assert_string_equal(s_last_key_id, "window-7");
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);

    /* A message through zw_request_unpack and zw_reply_message. */
    Zwfw__V1__Region region = ZWFW__V1__REGION__INIT;
    region.code = "500152";
    uint8_t rbuf[64];
    size_t rlen = zwfw__v1__region__pack(&region, rbuf);
    body = s_body("rid-2", "zwfw.v1.Region", rbuf, rlen, caller);
    reply = s_request(f->router, id, body);
    assert_true(zw_frames_streq(reply, 1, "zwfw.v1.Region"));
    Zwfw__V1__Region *got =
        zwfw__v1__region__unpack(NULL, zw_frames_size(reply, 2), zw_frames_data(reply, 2));
    assert_non_null(got);
    assert_string_equal(got->name, "潼南区");
    zwfw__v1__region__free_unpacked(got, NULL);
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);

    /* Undecodable protobuf for the declared type: the handler's
     * zw_request_unpack says INVALID_ARGUMENT. */
    body = s_body("rid-3", "zwfw.v1.Region", "\xff\xff\xff", 3, caller);
    reply = s_request(f->router, id, body);
    Zwfw__V1__Error *e = s_expect_error(reply, "rid-3");
    assert_int_equal(e->code, ZW_INVALID_ARGUMENT);
    zwfw__v1__error__free_unpacked(e, NULL);
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);

    /* Three frames without the broker's Caller. */
    body = s_body("rid-4", "test.Blob", "x", 1, NULL);
    reply = s_request(f->router, id, body);
    e = s_expect_error(reply, "rid-4");
    assert_int_equal(e->code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(e->message, "frames"));
    zwfw__v1__error__free_unpacked(e, NULL);
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);

    /* An undecodable Caller. */
    zw_frames_t *bad_caller = zw_frames_new();
    zw_frames_append(bad_caller, "\x0a\x7f", 2); /* string field longer than the frame */
    body = s_body("rid-5", "test.Blob", "x", 1, bad_caller);
    reply = s_request(f->router, id, body);
    e = s_expect_error(reply, "rid-5");
    assert_int_equal(e->code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(e->message, "Caller"));
    zwfw__v1__error__free_unpacked(e, NULL);
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);
    zw_frames_destroy(&bad_caller);

    /* A handler that gives no reply: INTERNAL. One that fails: its error
     * with details. */
    body = s_body("rid-6", "test.Empty", "", 0, caller);
    reply = s_request(f->router, id, body);
    e = s_expect_error(reply, "rid-6");
    assert_int_equal(e->code, ZW_INTERNAL);
    zwfw__v1__error__free_unpacked(e, NULL);
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);

    body = s_body("rid-7", "test.Fail", "", 0, caller);
    reply = s_request(f->router, id, body);
    e = s_expect_error(reply, "rid-7");
    assert_int_equal(e->code, ZW_FAILED_PRECONDITION);
    assert_string_equal(e->message, "cannot comply");
    assert_int_equal(e->n_details, 1);
    assert_string_equal(e->details[0]->key, "field");
    assert_string_equal(e->details[0]->value, "x.y");
    zw_err_t decoded;
    zw_error_to_err(e, &decoded);
    assert_int_equal(decoded.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(decoded.detail, "x.y");
    zwfw__v1__error__free_unpacked(e, NULL);
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);

    /* HealthRequest is the library's, with the daemon's probes. */
    int before = calls;
    body = s_body("rid-8", "zwfw.v1.HealthRequest", "", 0, caller);
    reply = s_request(f->router, id, body);
    assert_true(zw_frames_streq(reply, 1, "zwfw.v1.HealthReply"));
    Zwfw__V1__HealthReply *h =
        zwfw__v1__health_reply__unpack(NULL, zw_frames_size(reply, 2), zw_frames_data(reply, 2));
    assert_non_null(h);
    assert_string_equal(h->service, "zwfw.proto");
    assert_string_equal(h->version, ZWFW_VERSION);
    assert_true(h->database_reachable);
    assert_true(h->has_events);
    assert_int_equal(h->event_lag, 7);
    char pid[32];
    snprintf(pid, sizeof pid, ":%ld", (long) getpid());
    assert_non_null(strstr(h->instance, pid));
    zwfw__v1__health_reply__free_unpacked(h, NULL);
    assert_int_equal(calls, before);
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);
    assert_int_equal(zw_worker_requests(w), 8);

    /* DISCONNECT from the broker: a new socket says READY again. */
    s_send_worker(f->router, id, ZW_MDPW_DISCONNECT, NULL);
    m = s_next_command(f->router, 3000, &cmd);
    assert_non_null(m);
    assert_int_equal(cmd, ZW_MDPW_READY);
    assert_false(zw_frames_eq(m, 0, zw_frames_data(id, 0), zw_frames_size(id, 0)));
    zw_frames_destroy(&id);
    id = zw_frames_split(m, 1);
    zw_frames_destroy(&m);

    /* A silent broker is given up after heartbeat * liveness (500 ms): the
     * worker keeps heartbeating, then registers again on a new socket. */
    int heartbeats = 0;
    for (;;) {
        m = s_recv(f->router, 3000);
        assert_non_null(m);
        cmd = *(const uint8_t *) zw_frames_data(m, 3);
        if (cmd == ZW_MDPW_HEARTBEAT) {
            heartbeats++;
            zw_frames_destroy(&m);
            continue;
        }
        break;
    }
    assert_int_equal(cmd, ZW_MDPW_READY);
    assert_true(heartbeats >= 2);
    assert_false(zw_frames_eq(m, 0, zw_frames_data(id, 0), zw_frames_size(id, 0)));
    zw_frames_destroy(&id);
    id = zw_frames_split(m, 1);
    zw_frames_destroy(&m);

    /* Stop: DISCONNECT to the broker. */
    zw_worker_stop(w);
    m = s_next_command(f->router, 3000, &cmd);
    assert_non_null(m);
    assert_int_equal(cmd, ZW_MDPW_DISCONNECT);
    zw_frames_destroy(&m);
    zw_worker_stop(w); /* twice is harmless */
    zw_worker_destroy(&f->worker);
    assert_null(f->worker);
    zw_frames_destroy(&id);
    zw_frames_destroy(&caller);
}

static int s_raw_handler(void *ctx, const zw_frames_t *request, zw_frames_t *reply, int thread)
{
    (void) ctx;
    assert_int_equal(thread, 0);
    if (zw_frames_streq(request, 0, "drop"))
        return -1;
    return zw_frames_append_frames(reply, request, 0);
}

static void test_worker_raw(void **state)
{
    s_fixture_t *f = *state;
    const char *eps[] = {f->endpoint};
    zw_worker_config_t cfg = {
        .service = "plain.proto",
        .endpoints = eps,
        .n_endpoints = 1,
        .threads = 1,
        .heartbeat_ms = 100,
        .reconnect_ms = 20,
        .raw_handler = s_raw_handler,
    };
    zw_err_t err;
    f->worker = zw_worker_new(f->ctx, &cfg, &err);
    assert_non_null(f->worker);
    assert_int_equal(zw_worker_start(f->worker, &err), 0);
    uint8_t cmd;
    zw_frames_t *m = s_next_command(f->router, 3000, &cmd);
    assert_non_null(m);
    assert_int_equal(cmd, ZW_MDPW_READY);
    assert_true(zw_frames_streq(m, 4, "plain.proto"));
    zw_frames_t *id = zw_frames_split(m, 1);
    zw_frames_destroy(&m);

    /* Body frames pass as they are, empty ones included; no Caller, no
     * request id: plain RFC 7. */
    zw_frames_t *body = zw_frames_new();
    zw_frames_append_str(body, "a");
    zw_frames_append(body, "", 0);
    zw_frames_append(body,
                     "\x00"
                     "b",
                     2);
    zw_frames_t *reply = s_request(f->router, id, body);
    assert_int_equal(zw_frames_count(reply), 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(zw_frames_eq(reply, i, zw_frames_data(body, i), zw_frames_size(body, i)));
    zw_frames_destroy(&reply);
    zw_frames_destroy(&body);

    /* A request the handler will not answer: the worker leaves and comes
     * back, so the broker does not hold it busy for ever. */
    body = zw_frames_new();
    zw_frames_append_str(body, "drop");
    zw_frames_t *rest = zw_frames_new();
    zw_frames_append_str(rest, "client");
    zw_frames_append(rest, "", 0);
    zw_frames_append_frames(rest, body, 0);
    s_send_worker(f->router, id, ZW_MDPW_REQUEST, rest);
    m = s_next_command(f->router, 3000, &cmd);
    assert_non_null(m);
    assert_int_equal(cmd, ZW_MDPW_DISCONNECT);
    zw_frames_destroy(&m);
    m = s_next_command(f->router, 3000, &cmd);
    assert_non_null(m);
    assert_int_equal(cmd, ZW_MDPW_READY);
    assert_false(zw_frames_eq(m, 0, zw_frames_data(id, 0), zw_frames_size(id, 0)));
    zw_frames_destroy(&m);
    zw_frames_destroy(&rest);
    zw_frames_destroy(&body);
    zw_frames_destroy(&id);
    zw_worker_destroy(&f->worker); /* stops it */
}

static void test_worker_config_errors(void **state)
{
    s_fixture_t *f = *state;
    const char *eps[] = {f->endpoint};
    zw_err_t err;
    zw_worker_config_t cfg = {
        .service = "zwfw.x", .endpoints = eps, .n_endpoints = 1, .threads = 1};
    assert_null(zw_worker_new(f->ctx, &cfg, &err)); /* zwfw service, no handler */
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    cfg.handler = s_handler;
    cfg.threads = 0;
    assert_null(zw_worker_new(f->ctx, &cfg, &err));
    cfg.threads = 1;
    cfg.n_endpoints = 0;
    assert_null(zw_worker_new(f->ctx, &cfg, &err));
    cfg.n_endpoints = 1;
    cfg.service = "plain.x"; /* raw service, no raw handler */
    assert_null(zw_worker_new(f->ctx, &cfg, &err));
    assert_string_equal(err.detail, "handler");
    zw_worker_destroy(NULL);
}

/* ---- client -------------------------------------------------------------- */

/* One client request as the broker sees it. */
typedef struct {
    zw_frames_t *id;   /* routing id */
    zw_frames_t *body; /* after [empty][MDPC01][service] */
    char service[64];
} s_creq_t;

static bool s_client_recv(void *router, int ms, s_creq_t *r)
{
    zw_frames_t *m = s_recv(router, ms);
    if (!m)
        return false;
    assert_true(zw_frames_count(m) >= 5);
    assert_int_equal(zw_frames_size(m, 1), 0);
    assert_true(zw_frames_streq(m, 2, ZW_MDP_CLIENT));
    assert_int_equal(zw_frames_str(m, 3, r->service, sizeof r->service), 0);
    r->id = zw_frames_split(m, 1);
    zw_frames_drop_front(m, 3);
    r->body = m;
    return true;
}

static void s_client_reply(void *router, const s_creq_t *r, const zw_frames_t *body)
{
    zw_frames_send(r->id, router, 0, true);
    zw_frame_send(router, "", 0, 0, true);
    zw_frame_send(router, ZW_MDP_CLIENT, 6, 0, true);
    zw_frame_send(router, r->service, strlen(r->service), 0, true);
    zw_frames_send(body, router, 0, false);
}

static void s_creq_free(s_creq_t *r)
{
    zw_frames_destroy(&r->id);
    zw_frames_destroy(&r->body);
}

static void test_client_out_of_order(void **state)
{
    s_fixture_t *f = *state;
    const char *eps[] = {f->endpoint};
    zw_err_t err;
    zw_client_t *c = f->client = zw_client_new(f->ctx, eps, 1, &err);
    assert_non_null(c);
    enum { N = 6 };
    char ids[N][ZW_CLIENT_ID_LEN];
    for (int i = 0; i < N; i++) {
        char data[8];
        snprintf(data, sizeof data, "req%d", i);
        assert_int_equal(zw_client_send(c, "zwfw.x", "test.T", data, strlen(data), ids[i], &err),
                         0);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(ids[i], ids[j]);
    }
    assert_int_equal(zw_client_pending(c), N);
    s_creq_t reqs[N];
    for (int i = 0; i < N; i++) {
        assert_true(s_client_recv(f->router, 2000, &reqs[i]));
        assert_string_equal(reqs[i].service, "zwfw.x");
        assert_int_equal(zw_frames_count(reqs[i].body), 3);
        assert_true(zw_frames_streq(reqs[i].body, 0, ids[i]));
        assert_true(zw_frames_streq(reqs[i].body, 1, "test.T"));
    }
    /* Replies in reverse order, each body "ans" + its request's data. */
    for (int i = N - 1; i >= 0; i--) {
        zw_frames_t *b = zw_frames_new();
        zw_frames_append_frames(b, reqs[i].body, 0);
        zw_frames_t *head = zw_frames_split(b, 2); /* [rid][type]; b keeps the data */
        char ans[16];
        snprintf(ans, sizeof ans, "ans%.*s", (int) zw_frames_size(b, 0),
                 (const char *) zw_frames_data(b, 0));
        zw_frames_destroy(&b);
        zw_frames_append_str(head, ans);
        s_client_reply(f->router, &reqs[i], head);
        zw_frames_destroy(&head);
    }
    for (int k = 0; k < N; k++) {
        /* Without waiting: whatever has arrived is taken. */
        zw_client_reply_t *r = NULL;
        for (int tries = 0; !r && tries < 2000; tries++) {
            r = zw_client_recv(c, 0, &err);
            if (!r) {
                assert_int_equal(err.code, ZW_DEADLINE_EXCEEDED);
                zmq_poll(NULL, 0, 1);
            }
        }
        assert_non_null(r);
        assert_int_equal(r->err.code, ZW_OK);
        int i = N - 1 - k;
        assert_string_equal(r->request_id, ids[i]);
        assert_string_equal(r->type, "test.T");
        char want[16];
        snprintf(want, sizeof want, "ansreq%d", i);
        assert_int_equal(r->len, strlen(want));
        assert_memory_equal(r->data, want, r->len);
        zw_client_reply_destroy(&r);
    }
    assert_int_equal(zw_client_pending(c), 0);
    assert_null(zw_client_recv(c, 10, &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
    /* A reply to a request no longer in flight is dropped. */
    s_client_reply(f->router, &reqs[0], reqs[0].body);
    char id[ZW_CLIENT_ID_LEN];
    assert_int_equal(zw_client_send(c, "zwfw.x", "test.T", "z", 1, id, &err), 0);
    assert_null(zw_client_recv(c, 100, &err));
    assert_int_equal(err.code, ZW_DEADLINE_EXCEEDED);
    for (int i = 0; i < N; i++)
        s_creq_free(&reqs[i]);
    zw_client_destroy(&f->client); /* with one request in flight */
    assert_null(f->client);
}

static void test_client_retry_and_give_up(void **state)
{
    s_fixture_t *f = *state;
    const char *eps[] = {f->endpoint};
    zw_err_t err;
    zw_client_t *c = f->client = zw_client_new(f->ctx, eps, 1, &err);
    zw_client_set_timeout(c, 150);
    zw_client_set_retries(c, 1);
    char id[ZW_CLIENT_ID_LEN];
    assert_int_equal(zw_client_send(c, "zwfw.x", "test.T", "same", 4, id, &err), 0);
    s_creq_t first, second;
    assert_true(s_client_recv(f->router, 2000, &first));
    /* No reply: the client resends the same bytes on a new socket. */
    assert_null(zw_client_recv(c, 220, &err));
    assert_true(s_client_recv(f->router, 2000, &second));
    assert_false(
        zw_frames_eq(second.id, 0, zw_frames_data(first.id, 0), zw_frames_size(first.id, 0)));
    assert_int_equal(zw_frames_count(second.body), 3);
    for (size_t i = 0; i < 3; i++)
        assert_true(zw_frames_eq(second.body, i, zw_frames_data(first.body, i),
                                 zw_frames_size(first.body, i)));
    /* Still no reply: given up after 2 tries of 150 ms. */
    zw_client_reply_t *r = zw_client_recv(c, 2000, &err);
    assert_non_null(r);
    assert_string_equal(r->request_id, id);
    assert_int_equal(r->err.code, ZW_DEADLINE_EXCEEDED);
    assert_string_equal(r->err.message, "no reply from zwfw.x within 300 ms");
    zw_client_reply_destroy(&r);
    s_creq_free(&first);
    s_creq_free(&second);

    /* A retry that is answered. */
    zw_client_set_retries(c, 3);
    assert_int_equal(zw_client_send(c, "zwfw.x", "test.T", "again", 5, id, &err), 0);
    assert_true(s_client_recv(f->router, 2000, &first));
    assert_null(zw_client_recv(c, 250, &err));
    assert_true(s_client_recv(f->router, 2000, &second));
    s_client_reply(f->router, &second, second.body);
    r = zw_client_wait(c, id, &err);
    assert_non_null(r);
    assert_int_equal(r->err.code, ZW_OK);
    assert_memory_equal(r->data, "again", 5);
    zw_client_reply_destroy(&r);
    s_creq_free(&first);
    s_creq_free(&second);
    zw_client_destroy(&f->client);
}

static void test_client_errors_and_raw(void **state)
{
    s_fixture_t *f = *state;
    const char *eps[] = {f->endpoint};
    zw_err_t err;
    zw_client_t *c = f->client = zw_client_new(f->ctx, eps, 1, &err);
    char id[ZW_CLIENT_ID_LEN];

    /* An Error reply. */
    assert_int_equal(zw_client_send(c, "zwfw.x", "test.T", "", 0, id, &err), 0);
    s_creq_t q;
    assert_true(s_client_recv(f->router, 2000, &q));
    const char *keys[] = {"service", ZW_ERROR_DETAIL_KEY};
    const char *values[] = {"zwfw.x", "items[2].name"};
    uint8_t *packed;
    size_t plen;
    assert_int_equal(zw_error_pack(ZW_NOT_FOUND, "no such item", 2, keys, values, &packed, &plen),
                     0);
    zw_frames_t *b = zw_frames_new();
    zw_frames_append_frames(b, q.body, 0);
    zw_frames_t *rid = zw_frames_split(b, 1);
    zw_frames_clear(b);
    zw_frames_append_frames(b, rid, 0);
    zw_frames_append_str(b, ZW_ZWFW_ERROR_TYPE);
    zw_frames_append_take(b, packed, plen);
    s_client_reply(f->router, &q, b);
    zw_client_reply_t *r = zw_client_wait(c, id, &err);
    assert_non_null(r);
    assert_int_equal(r->err.code, ZW_NOT_FOUND);
    assert_string_equal(r->err.message, "no such item");
    assert_string_equal(r->err.detail, "items[2].name");
    assert_non_null(r->error);
    assert_int_equal(r->error->n_details, 2);
    zw_client_reply_destroy(&r);
    zw_frames_destroy(&b);
    s_creq_free(&q);

    /* A malformed reply (two frames) is INTERNAL. */
    assert_int_equal(zw_client_send(c, "zwfw.x", "test.T", "", 0, id, &err), 0);
    assert_true(s_client_recv(f->router, 2000, &q));
    zw_frames_clear(rid);
    zw_frames_append_frames(rid, q.body, 0);
    zw_frames_t *drop = zw_frames_split(rid, 1);
    zw_frames_append_str(drop, "only-two");
    s_client_reply(f->router, &q, drop);
    r = zw_client_wait(c, id, &err);
    assert_non_null(r);
    assert_int_equal(r->err.code, ZW_INTERNAL);
    zw_client_reply_destroy(&r);
    zw_frames_destroy(&drop);
    zw_frames_destroy(&rid);
    s_creq_free(&q);

    /* Raw: frames go as they are and come back to the oldest raw request. */
    zw_frames_t *raw = zw_frames_new();
    zw_frames_append_str(raw, "a");
    zw_frames_append(raw, "", 0);
    zw_frames_append(raw, "\x00\x01", 2);
    assert_int_equal(zw_client_send_raw(c, "plain.x", raw, id, &err), 0);
    assert_true(s_client_recv(f->router, 2000, &q));
    assert_string_equal(q.service, "plain.x");
    assert_int_equal(zw_frames_count(q.body), 3);
    assert_true(zw_frames_eq(q.body, 2, "\x00\x01", 2));
    s_client_reply(f->router, &q, q.body);
    r = zw_client_wait(c, id, &err);
    assert_non_null(r);
    assert_true(r->raw);
    assert_int_equal(r->err.code, ZW_OK);
    assert_int_equal(zw_frames_count(r->frames), 3);
    assert_int_equal(zw_frames_size(r->frames, 1), 0);
    zw_client_reply_destroy(&r);
    s_creq_free(&q);
    zw_frames_destroy(&raw);

    /* Bad arguments. */
    assert_int_equal(zw_client_send(c, "", "t", "", 0, id, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    zw_frames_t *empty = zw_frames_new();
    assert_int_equal(zw_client_send_raw(c, "plain.x", empty, id, &err), -1);
    zw_frames_destroy(&empty);
    assert_null(zw_client_wait(c, "nope", &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
    zw_client_destroy(&f->client);

    const char *bad[] = {"nonsense://x"};
    assert_null(zw_client_new(f->ctx, bad, 1, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_null(zw_client_new(f->ctx, bad, 0, &err));
}

static void test_frames(void **state)
{
    (void) state;
    zw_frames_t *f = zw_frames_new();
    for (int i = 0; i < 20; i++) {
        char s[8];
        snprintf(s, sizeof s, "f%d", i);
        assert_int_equal(zw_frames_append_str(f, s), 0);
    }
    char big[1000];
    memset(big, 'b', sizeof big);
    assert_int_equal(zw_frames_append(f, big, sizeof big), 0);
    assert_int_equal(zw_frames_count(f), 21);
    zw_frames_t *head = zw_frames_split(f, 5);
    assert_int_equal(zw_frames_count(head), 5);
    assert_int_equal(zw_frames_count(f), 16);
    assert_true(zw_frames_streq(head, 4, "f4"));
    assert_true(zw_frames_streq(f, 0, "f5"));
    zw_frames_drop_front(f, 15);
    assert_int_equal(zw_frames_count(f), 1);
    assert_true(zw_frames_eq(f, 0, big, sizeof big));
    char s[4];
    assert_int_equal(zw_frames_str(f, 0, s, sizeof s), -1); /* too long */
    assert_int_equal(zw_frames_str(head, 9, s, sizeof s), -1);
    assert_int_equal(zw_frames_str(head, 0, s, sizeof s), 0);
    assert_string_equal(s, "f0");
    assert_null(zw_frames_data(head, 5));
    assert_int_equal(zw_frames_append_take(f, NULL, 0), 0);
    assert_int_equal(zw_frames_size(f, 1), 0);
    zw_frames_destroy(&head);
    zw_frames_destroy(&f);
    assert_null(f);
    zw_frames_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames),
        cmocka_unit_test_setup_teardown(test_worker_protocol, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_worker_raw, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_worker_config_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_out_of_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_retry_and_give_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_client_errors_and_raw, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
