#include "mdp_client.h"

#include "log.h"
#include "mdp.h"
#include "wire_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_NAME_MAX 255

/* A request in flight. The list is kept in send order, so the oldest raw
 * request to a service is the first one found. */
typedef struct s_pending {
    char id[ZW_CLIENT_ID_LEN];
    char *service;
    bool raw;
    zw_frames_t *body; /* exactly as sent; resent as is */
    int timeout_ms;
    int retries; /* as given: the budget is timeout_ms * (retries + 1) */
    int retries_left;
    int64_t deadline;
    struct s_pending *prev, *next;
} s_pending_t;

typedef struct s_done {
    zw_client_reply_t *reply;
    struct s_done *next;
} s_done_t;

struct zw_client {
    void *zmq_ctx;
    char **endpoints;
    size_t n_endpoints;
    size_t current;
    void *socket;
    int timeout_ms;
    int retries;
    int (*hook)(void *socket, void *arg);
    void *hook_arg;
    zw_auth_client_t curve;
    bool has_curve;
    char id_prefix[24];
    uint64_t counter;
    s_pending_t *head, *tail;
    size_t n_pending;
    s_done_t *done_head, *done_tail;
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void zw_client_reply_destroy(zw_client_reply_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_client_reply_t *self = *self_p;
    free(self->service);
    free(self->type);
    if (self->error)
        zwfw__v1__error__free_unpacked(self->error, NULL);
    zw_frames_destroy(&self->frames);
    free(self);
    *self_p = NULL;
}

/* ---- socket ---------------------------------------------------------------- */

static void *s_socket(zw_client_t *self, const char *endpoint)
{
    void *s = zmq_socket(self->zmq_ctx, ZMQ_DEALER);
    if (!s)
        return NULL;
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    /* Everything queued belongs to a request we hold anyway, so a limit
     * would only turn sends into silent timeouts. */
    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    if ((self->has_curve && zw_auth_client_apply(&self->curve, s, NULL) != 0) ||
        (self->hook && self->hook(s, self->hook_arg) != 0) || zmq_connect(s, endpoint) != 0) {
        zw_logkv(ZW_LOG_WARN, "client cannot connect", "endpoint", endpoint, "error",
                 zmq_strerror(errno), NULL);
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* [empty]["MDPC01"][service][body...]. A socket that cannot take it now
 * (or no socket) leaves the request to its retry. */
static void s_transmit(zw_client_t *self, s_pending_t *p)
{
    if (!self->socket)
        return;
    if (zw_frame_send(self->socket, "", 0, ZMQ_DONTWAIT, true) != 0)
        return;
    zw_frame_send(self->socket, ZW_MDP_CLIENT, ZW_MDP_HEADER_LEN, 0, true);
    zw_frame_send(self->socket, p->service, strlen(p->service), 0, true);
    zw_frames_send(p->body, self->socket, 0, false);
}

static void s_failover(zw_client_t *self, int64_t now)
{
    if (self->socket)
        zmq_close(self->socket);
    self->current = (self->current + 1) % self->n_endpoints;
    self->socket = s_socket(self, self->endpoints[self->current]);
    zw_logkv(ZW_LOG_DEBUG, "client reconnected", "endpoint", self->endpoints[self->current], NULL);
    for (s_pending_t *p = self->head; p; p = p->next) {
        s_transmit(self, p);
        p->deadline = now + p->timeout_ms;
    }
}

/* ---- lifecycle ------------------------------------------------------------- */

zw_client_t *zw_client_new(void *zmq_ctx, const char *const *endpoints, size_t n_endpoints,
                           zw_err_t *err)
{
    if (!zmq_ctx || !endpoints || n_endpoints == 0) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint", "client: no broker endpoint");
        return NULL;
    }
    zw_client_t *self = calloc(1, sizeof *self);
    if (!self || !(self->endpoints = calloc(n_endpoints, sizeof(char *)))) {
        free(self);
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->zmq_ctx = zmq_ctx;
    self->n_endpoints = n_endpoints;
    self->timeout_ms = ZW_CLIENT_TIMEOUT_MS;
    self->retries = ZW_CLIENT_RETRIES;
    for (size_t i = 0; i < n_endpoints; i++) {
        if (!endpoints[i] || !(self->endpoints[i] = strdup(endpoints[i]))) {
            zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint", "client: bad endpoint list");
            zw_client_destroy(&self);
            return NULL;
        }
    }
    /* libzmq checks an endpoint's syntax only when connecting: try each
     * once so a typo fails here, not as a string of timeouts. */
    for (size_t i = 0; i < n_endpoints; i++) {
        void *probe = zmq_socket(zmq_ctx, ZMQ_DEALER);
        int zero = 0;
        int rc = probe ? zmq_setsockopt(probe, ZMQ_LINGER, &zero, sizeof zero) : -1;
        if (rc == 0)
            rc = zmq_connect(probe, endpoints[i]);
        int saved = errno;
        if (probe)
            zmq_close(probe);
        if (rc != 0) {
            zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint", "client: endpoint %s: %s",
                        endpoints[i], zmq_strerror(saved));
            zw_client_destroy(&self);
            return NULL;
        }
    }
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t) sizeof r)
        r = ((uint64_t) getpid() << 32) ^ (uint64_t) s_now_ms() ^ (uint64_t) (uintptr_t) self;
    snprintf(self->id_prefix, sizeof self->id_prefix, "%016" PRIx64, r);
    self->socket = s_socket(self, self->endpoints[0]);
    if (!self->socket) {
        zw_err_set(err, ZW_UNAVAILABLE, "client: cannot open a socket to %s", endpoints[0]);
        zw_client_destroy(&self);
        return NULL;
    }
    return self;
}

static void s_pending_free(s_pending_t *p)
{
    free(p->service);
    zw_frames_destroy(&p->body);
    free(p);
}

void zw_client_destroy(zw_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_client_t *self = *self_p;
    if (self->socket)
        zmq_close(self->socket);
    while (self->head) {
        s_pending_t *p = self->head;
        self->head = p->next;
        s_pending_free(p);
    }
    while (self->done_head) {
        s_done_t *d = self->done_head;
        self->done_head = d->next;
        zw_client_reply_destroy(&d->reply);
        free(d);
    }
    for (size_t i = 0; self->endpoints && i < self->n_endpoints; i++)
        free(self->endpoints[i]);
    free(self->endpoints);
    explicit_bzero(&self->curve, sizeof self->curve);
    free(self);
    *self_p = NULL;
}

void zw_client_set_timeout(zw_client_t *self, int timeout_ms)
{
    self->timeout_ms = timeout_ms < 1 ? 1 : timeout_ms;
}

void zw_client_set_retries(zw_client_t *self, int retries)
{
    self->retries = retries < 0 ? 0 : retries;
}

int zw_client_timeout(const zw_client_t *self)
{
    return self->timeout_ms;
}

int zw_client_retries(const zw_client_t *self)
{
    return self->retries;
}

/* A new socket to the current endpoint, for settings that apply before
 * connect; requests in flight are sent again on it. */
static void s_reopen(zw_client_t *self)
{
    if (self->socket)
        zmq_close(self->socket);
    self->socket = s_socket(self, self->endpoints[self->current]);
    for (s_pending_t *p = self->head; p; p = p->next)
        s_transmit(self, p);
}

void zw_client_set_socket_hook(zw_client_t *self, int (*hook)(void *socket, void *arg), void *arg)
{
    self->hook = hook;
    self->hook_arg = arg;
    s_reopen(self);
}

int zw_client_set_curve(zw_client_t *self, const zw_auth_client_t *curve, zw_err_t *err)
{
    if (curve && (!zw_auth_z85_ok(curve->server_key) || !zw_auth_z85_ok(curve->keys.public_key) ||
                  !zw_auth_z85_ok(curve->keys.secret_key)))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "curve",
                           "client: CURVE needs the broker's public key and the client's key "
                           "pair, each 40 Z85 characters");
    memset(&self->curve, 0, sizeof self->curve);
    self->has_curve = curve != NULL;
    if (curve)
        self->curve = *curve;
    s_reopen(self);
    return 0;
}

const char *zw_client_endpoint(const zw_client_t *self)
{
    return self->endpoints[self->current];
}

size_t zw_client_pending(const zw_client_t *self)
{
    return self->n_pending;
}

/* ---- sending --------------------------------------------------------------- */

static int s_check_name(const char *what, const char *name, zw_err_t *err)
{
    if (!name || !name[0] || strlen(name) > S_NAME_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, what, "%s name must be 1..%d bytes", what,
                           S_NAME_MAX);
    return 0;
}

/* Takes body (destroyed on failure too). */
static int s_enqueue(zw_client_t *self, const char *service, bool raw, zw_frames_t *body,
                     char *id_out, zw_err_t *err)
{
    s_pending_t *p = calloc(1, sizeof *p);
    if (!p || !(p->service = strdup(service))) {
        free(p);
        zw_frames_destroy(&body);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    p->raw = raw;
    p->body = body;
    p->timeout_ms = self->timeout_ms;
    p->retries = self->retries;
    p->retries_left = self->retries;
    snprintf(p->id, sizeof p->id, "%s-%" PRIx64, self->id_prefix, ++self->counter);
    if (!raw) {
        /* The id leads the body. */
        zw_frames_t *with_id = zw_frames_new();
        if (!with_id || zw_frames_append_str(with_id, p->id) != 0 ||
            zw_frames_append_frames(with_id, body, 0) != 0) {
            zw_frames_destroy(&with_id);
            s_pending_free(p);
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        }
        zw_frames_destroy(&p->body);
        p->body = with_id;
    }
    p->prev = self->tail;
    if (self->tail)
        self->tail->next = p;
    else
        self->head = p;
    self->tail = p;
    self->n_pending++;
    p->deadline = s_now_ms() + p->timeout_ms;
    s_transmit(self, p);
    if (id_out)
        memcpy(id_out, p->id, sizeof p->id);
    return 0;
}

int zw_client_send(zw_client_t *self, const char *service, const char *type, const void *data,
                   size_t len, char *id, zw_err_t *err)
{
    if (s_check_name("service", service, err) != 0 || s_check_name("type", type, err) != 0)
        return -1;
    zw_frames_t *body = zw_frames_new();
    if (!body || zw_frames_append_str(body, type) != 0 ||
        zw_frames_append(body, data, data ? len : 0) != 0) {
        zw_frames_destroy(&body);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    return s_enqueue(self, service, false, body, id, err);
}

int zw_client_send_msg(zw_client_t *self, const char *service, const ProtobufCMessage *msg,
                       char *id, zw_err_t *err)
{
    if (!msg || !msg->descriptor)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "client: no message to send");
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_pack(msg, buf);
    int rc = zw_client_send(self, service, msg->descriptor->name, buf, len, id, err);
    free(buf);
    return rc;
}

int zw_client_send_raw(zw_client_t *self, const char *service, const zw_frames_t *body, char *id,
                       zw_err_t *err)
{
    if (s_check_name("service", service, err) != 0)
        return -1;
    if (zw_frames_count(body) == 0)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "client: a request needs a body frame");
    zw_frames_t *copy = zw_frames_new();
    if (!copy || zw_frames_append_frames(copy, body, 0) != 0) {
        zw_frames_destroy(&copy);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    return s_enqueue(self, service, true, copy, id, err);
}

/* ---- receiving ------------------------------------------------------------- */

static void s_unlink(zw_client_t *self, s_pending_t *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        self->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        self->tail = p->prev;
    self->n_pending--;
}

/* Finishes p with `body` (taken; NULL when it was given up) or `failure`. */
static void s_finish(zw_client_t *self, s_pending_t *p, zw_frames_t *body, const zw_err_t *failure)
{
    s_unlink(self, p);
    zw_client_reply_t *r = calloc(1, sizeof *r);
    s_done_t *d = calloc(1, sizeof *d);
    if (!r || !d) {
        /* Out of memory: the request is lost; its waiter sees NOT_FOUND. */
        free(r);
        free(d);
        zw_frames_destroy(&body);
        s_pending_free(p);
        return;
    }
    memcpy(r->request_id, p->id, sizeof r->request_id);
    r->service = p->service;
    p->service = NULL;
    r->raw = p->raw;
    r->frames = body;
    zw_err_clear(&r->err);
    if (failure) {
        r->err = *failure;
    } else if (!p->raw) {
        char type[S_NAME_MAX + 1];
        if (zw_frames_count(body) != ZW_ZWFW_BODY_FRAMES) {
            zw_err_set(&r->err, ZW_INTERNAL, "%s replied with %zu frames, not 3", r->service,
                       zw_frames_count(body));
        } else if (zw_frames_str(body, 1, type, sizeof type) != 0 || !(r->type = strdup(type))) {
            zw_err_set(&r->err, ZW_INTERNAL, "%s replied with a bad type name", r->service);
        } else {
            r->data = zw_frames_data(body, 2);
            r->len = zw_frames_size(body, 2);
            if (strcmp(type, ZW_ZWFW_ERROR_TYPE) == 0) {
                r->error = zwfw__v1__error__unpack(NULL, r->len, r->data);
                if (r->error)
                    zw_error_to_err(r->error, &r->err);
                else
                    zw_err_set(&r->err, ZW_INTERNAL, "%s replied with an undecodable Error",
                               r->service);
            }
        }
    }
    s_pending_free(p);
    d->reply = r;
    if (self->done_tail)
        self->done_tail->next = d;
    else
        self->done_head = d;
    self->done_tail = d;
}

static void s_on_message(zw_client_t *self, zw_frames_t *msg)
{
    char service[S_NAME_MAX + 1];
    if (zw_frames_count(msg) < 4 || zw_frames_size(msg, 0) != 0 ||
        !zw_frames_streq(msg, 1, ZW_MDP_CLIENT) ||
        zw_frames_str(msg, 2, service, sizeof service) != 0) {
        zw_logkv(ZW_LOG_WARN, "not an MDP/Client reply; dropped", NULL);
        zw_frames_destroy(&msg);
        return;
    }
    zw_frames_drop_front(msg, 3);
    /* A zwfw reply names its request; a raw one goes to the oldest raw
     * request to that service. */
    s_pending_t *oldest_raw = NULL;
    for (s_pending_t *p = self->head; p; p = p->next) {
        if (strcmp(p->service, service) != 0)
            continue;
        if (p->raw) {
            if (!oldest_raw)
                oldest_raw = p;
        } else if (zw_frames_eq(msg, 0, p->id, strlen(p->id))) {
            s_finish(self, p, msg, NULL);
            return;
        }
    }
    size_t plen = strlen(self->id_prefix);
    bool ours =
        zw_frames_size(msg, 0) > plen && memcmp(zw_frames_data(msg, 0), self->id_prefix, plen) == 0;
    if (oldest_raw && !ours) {
        s_finish(self, oldest_raw, msg, NULL);
        return;
    }
    /* A late reply to a request already finished (its first try answered
     * after a retry went out), or to one given up. */
    zw_frames_destroy(&msg);
}

/* Reads every message waiting; false when the context is gone. */
static bool s_read_all(zw_client_t *self)
{
    while (self->socket) {
        zw_frames_t *msg = zw_frames_recv(self->socket, ZMQ_DONTWAIT);
        if (!msg)
            return errno != ETERM;
        s_on_message(self, msg);
    }
    return true;
}

/* Handles requests whose try timed out; true if any did. */
static bool s_expire(zw_client_t *self, int64_t now)
{
    bool any = false;
    s_pending_t *next;
    for (s_pending_t *p = self->head; p; p = next) {
        next = p->next;
        if (p->deadline > now)
            continue;
        any = true;
        if (p->retries_left > 0) {
            p->retries_left--;
            continue;
        }
        zw_err_t failure;
        zw_err_setd(&failure, ZW_DEADLINE_EXCEEDED, p->service, "no reply from %s within %lld ms",
                    p->service, (long long) p->timeout_ms * (p->retries + 1));
        s_finish(self, p, NULL, &failure);
    }
    if (any)
        s_failover(self, now);
    return any;
}

/* Pumps I/O until the first finished request that `want` accepts (NULL:
 * any) is in the done queue, or until `until`. Returns the reply, unlinked,
 * or NULL with *err. */
static zw_client_reply_t *s_take(zw_client_t *self, const char *want, int64_t until, zw_err_t *err)
{
    bool last = false; /* the wait is over after one more look */
    for (;;) {
        s_done_t *prev = NULL;
        for (s_done_t *d = self->done_head; d; prev = d, d = d->next) {
            if (want && strcmp(d->reply->request_id, want) != 0)
                continue;
            if (prev)
                prev->next = d->next;
            else
                self->done_head = d->next;
            if (self->done_tail == d)
                self->done_tail = prev;
            zw_client_reply_t *r = d->reply;
            free(d);
            return r;
        }
        if (last) {
            zw_err_set(err, ZW_DEADLINE_EXCEEDED, "no reply yet");
            return NULL;
        }
        bool in_flight = false;
        int64_t earliest = INT64_MAX;
        for (s_pending_t *p = self->head; p; p = p->next) {
            if (!want || strcmp(p->id, want) == 0)
                in_flight = true;
            if (p->deadline < earliest)
                earliest = p->deadline;
        }
        if (!in_flight) {
            zw_err_set(err, ZW_NOT_FOUND, "no such request in flight");
            return NULL;
        }
        int64_t now = s_now_ms();
        if (earliest <= now) {
            s_expire(self, now);
            continue;
        }
        int64_t wake = earliest < until ? earliest : until;
        long timeout = wake > now ? (long) (wake - now) : 0;
        zmq_pollitem_t item = {.socket = self->socket, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&item, self->socket ? 1 : 0, timeout);
        if (rc < 0 && errno != EINTR) {
            zw_err_set(err, ZW_UNAVAILABLE, "client: %s", zmq_strerror(errno));
            return NULL;
        }
        if (rc > 0 && !s_read_all(self)) {
            zw_err_set(err, ZW_UNAVAILABLE, "client: ZeroMQ context terminated");
            return NULL;
        }
        if (s_now_ms() >= until)
            last = true;
    }
}

zw_client_reply_t *zw_client_recv(zw_client_t *self, int wait_ms, zw_err_t *err)
{
    int64_t until = wait_ms < 0 ? INT64_MAX : s_now_ms() + wait_ms;
    return s_take(self, NULL, until, err);
}

zw_client_reply_t *zw_client_wait(zw_client_t *self, const char *id, zw_err_t *err)
{
    if (!id)
        return NULL;
    return s_take(self, id, INT64_MAX, err);
}

/* ---- synchronous ----------------------------------------------------------- */

int zw_client_call_as(zw_client_t *self, const char *service, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply,
                      zw_err_t *err)
{
    *reply = NULL;
    char id[ZW_CLIENT_ID_LEN];
    if (zw_client_send_msg(self, service, req, id, err) != 0)
        return -1;
    zw_client_reply_t *r = zw_client_wait(self, id, err);
    if (!r)
        return -1;
    int rc = 0;
    if (r->err.code != ZW_OK) {
        if (err)
            *err = r->err;
        rc = -1;
    } else {
        const ProtobufCMessageDescriptor *desc =
            reply_type ? reply_type : zw_wire_find_type(r->type);
        if (!desc)
            rc = zw_err_setd(err, ZW_INTERNAL, "type", "%s replied with unknown type %s", service,
                             r->type);
        else if (strcmp(desc->name, r->type) != 0)
            rc = zw_err_setd(err, ZW_INTERNAL, "type", "%s replied with a %s, not a %s", service,
                             r->type, desc->name);
        else if (!(*reply = protobuf_c_message_unpack(desc, NULL, r->len, r->data)))
            rc = zw_err_setd(err, ZW_INTERNAL, "body", "%s replied with an undecodable %s", service,
                             r->type);
    }
    zw_client_reply_destroy(&r);
    return rc;
}

int zw_client_call(zw_client_t *self, const char *service, const ProtobufCMessage *req,
                   ProtobufCMessage **reply, zw_err_t *err)
{
    return zw_client_call_as(self, service, req, NULL, reply, err);
}

int zw_client_call_raw(zw_client_t *self, const char *service, const zw_frames_t *body,
                       zw_frames_t **reply, zw_err_t *err)
{
    *reply = NULL;
    char id[ZW_CLIENT_ID_LEN];
    if (zw_client_send_raw(self, service, body, id, err) != 0)
        return -1;
    zw_client_reply_t *r = zw_client_wait(self, id, err);
    if (!r)
        return -1;
    int rc = 0;
    if (r->err.code != ZW_OK) {
        if (err)
            *err = r->err;
        rc = -1;
    } else {
        *reply = r->frames;
        r->frames = NULL;
    }
    zw_client_reply_destroy(&r);
    return rc;
}

int zw_client_service_exists(zw_client_t *self, const char *service, bool *exists, zw_err_t *err)
{
    zw_frames_t *body = zw_frames_new();
    if (!body || zw_frames_append_str(body, service ? service : "") != 0) {
        zw_frames_destroy(&body);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    zw_frames_t *reply = NULL;
    int rc = zw_client_call_raw(self, ZW_MMI_SERVICE, body, &reply, err);
    zw_frames_destroy(&body);
    if (rc != 0)
        return -1;
    if (zw_frames_streq(reply, 0, ZW_MMI_OK))
        *exists = true;
    else if (zw_frames_streq(reply, 0, ZW_MMI_NOT_FOUND))
        *exists = false;
    else
        rc = zw_err_set(err, ZW_UNIMPLEMENTED, "%s did not answer 200 or 404", ZW_MMI_SERVICE);
    zw_frames_destroy(&reply);
    return rc;
}
