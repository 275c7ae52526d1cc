#include "mdp_worker.h"

#include "log.h"
#include "mdp.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* One worker socket: this thread's conversation with one broker. */
typedef struct {
    const char *endpoint;
    void *socket;         /* NULL while waiting to reconnect */
    int64_t heartbeat_at; /* send a HEARTBEAT when nothing was sent by then */
    int64_t expires_at;   /* the broker is dead if nothing heard by then */
    int64_t reconnect_at; /* when socket == NULL: next attempt */
    int backoff_ms;
} s_conn_t;

typedef struct {
    zw_worker_t *worker;
    int index;
    void *ctx;
    bool has_ctx;
    pthread_t thread;
    bool started;
    void *pipe_main;   /* PAIR, main side: "stop" goes out here */
    void *pipe_thread; /* PAIR, thread side; the thread owns it once started */
    zw_reply_t *reply; /* reused for every request */
    s_conn_t *conns;
    int64_t spin_until_ns; /* busy-poll after a reply; 0: block in zmq_poll */
} s_thread_t;

struct zw_worker {
    void *zmq_ctx;
    zw_worker_config_t cfg; /* service, endpoints and curve point at our copies */
    zw_auth_client_t curve;
    char *service;
    char **endpoints;
    bool zwfw_mode;
    s_thread_t *threads;
    bool running;
    atomic_bool stopping;
    atomic_uint_fast64_t requests;
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- sockets -------------------------------------------------------------- */

static void s_conn_close(s_thread_t *t, s_conn_t *c, int64_t now, bool disconnect)
{
    if (!c->socket)
        return;
    if (disconnect) {
        zw_frame_send(c->socket, "", 0, ZMQ_DONTWAIT, true);
        zw_frame_send(c->socket, ZW_MDP_WORKER, ZW_MDP_HEADER_LEN, ZMQ_DONTWAIT, true);
        uint8_t cmd = ZW_MDPW_DISCONNECT;
        zw_frame_send(c->socket, &cmd, 1, ZMQ_DONTWAIT, false);
    }
    zmq_close(c->socket);
    c->socket = NULL;
    c->reconnect_at = now + c->backoff_ms;
    int max = t->worker->cfg.reconnect_max_ms;
    c->backoff_ms = c->backoff_ms * 2 > max ? max : c->backoff_ms * 2;
}

/* [empty]["MDPW01"][command] and, when more, the caller sends the rest. */
static int s_send_header(void *socket, uint8_t command, bool more)
{
    if (zw_frame_send(socket, "", 0, ZMQ_DONTWAIT, true) != 0)
        return -1;
    zw_frame_send(socket, ZW_MDP_WORKER, ZW_MDP_HEADER_LEN, ZMQ_DONTWAIT, true);
    return zw_frame_send(socket, &command, 1, ZMQ_DONTWAIT, more);
}

static void s_conn_open(s_thread_t *t, s_conn_t *c, int64_t now)
{
    zw_worker_t *w = t->worker;
    c->socket = zmq_socket(w->zmq_ctx, ZMQ_DEALER);
    if (!c->socket) {
        zw_logkv(ZW_LOG_ERROR, "worker socket failed", "error", zmq_strerror(errno), NULL);
        c->reconnect_at = now + c->backoff_ms;
        return;
    }
    int linger = ZW_WORKER_LINGER_MS;
    zmq_setsockopt(c->socket, ZMQ_LINGER, &linger, sizeof linger);
    if ((w->cfg.curve && zw_auth_client_apply(w->cfg.curve, c->socket, NULL) != 0) ||
        (w->cfg.socket_hook && w->cfg.socket_hook(c->socket, w->cfg.arg) != 0) ||
        zmq_connect(c->socket, c->endpoint) != 0) {
        zw_logkv(ZW_LOG_ERROR, "worker cannot connect", "endpoint", c->endpoint, "error",
                 zmq_strerror(errno), NULL);
        s_conn_close(t, c, now, false);
        return;
    }
    /* libzmq queues READY until the connection is up. */
    if (s_send_header(c->socket, ZW_MDPW_READY, true) == 0)
        zw_frame_send(c->socket, w->service, strlen(w->service), 0, false);
    c->heartbeat_at = now + w->cfg.heartbeat_ms;
    c->expires_at = now + (int64_t) w->cfg.heartbeat_ms * w->cfg.liveness;
}

/* Sends [empty]["MDPW01"][REPLY][envelope][empty][body]. */
static void s_send_reply(s_thread_t *t, s_conn_t *c, const zw_frames_t *envelope,
                         const zw_frames_t *body, int64_t now)
{
    /* Counted first, so whoever holds the reply sees the count. */
    atomic_fetch_add(&t->worker->requests, 1);
    int rc = s_send_header(c->socket, ZW_MDPW_REPLY, true);
    if (rc == 0) {
        zw_frames_send(envelope, c->socket, 0, true);
        zw_frame_send(c->socket, "", 0, 0, true);
        if (zw_frames_count(body) == 0)
            zw_frame_send(c->socket, "", 0, 0, false);
        else
            zw_frames_send(body, c->socket, 0, false);
        c->heartbeat_at = now + t->worker->cfg.heartbeat_ms;
        if (t->worker->cfg.busy_poll_us > 0)
            t->spin_until_ns = s_now_ns() + (int64_t) t->worker->cfg.busy_poll_us * 1000;
    } else {
        zw_logkv(ZW_LOG_WARN, "reply dropped", "service_name", t->worker->service, "error",
                 zmq_strerror(errno), NULL);
    }
}

/* ---- requests ------------------------------------------------------------- */

static void s_handle_zwfw(s_thread_t *t, zw_frames_t *body, zw_frames_t *out)
{
    zw_worker_t *w = t->worker;
    zw_reply_t *reply = t->reply;
    zw_reply_clear(reply);
    Zwfw__V1__Caller *caller = NULL;
    char rid[ZW_WORKER_ID_MAX + 1];
    char type[ZW_WORKER_TYPE_MAX + 1];
    size_t n = zw_frames_count(body);
    /* The reply starts with the request id exactly as it came. */
    if (zw_frames_append(out, zw_frames_data(body, 0), zw_frames_size(body, 0)) != 0)
        return;

    if (zw_frames_str(body, 0, rid, sizeof rid) != 0)
        snprintf(rid, sizeof rid, "(binary)");
    if (n != ZW_ZWFW_BODY_FRAMES + 1) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT,
                       "a %s request has %d frames (request id, type, protobuf) and the "
                       "broker's Caller; got %zu",
                       w->service, ZW_ZWFW_BODY_FRAMES, n);
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "frames");
    } else if (zw_frames_str(body, 1, type, sizeof type) != 0 || !type[0]) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT, "the type name frame is not a type name");
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "type");
    } else if (!(caller = zwfw__v1__caller__unpack(NULL, zw_frames_size(body, 3),
                                                   zw_frames_data(body, 3)))) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT, "the Caller frame does not decode");
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "caller");
    } else if (strcmp(type, "zwfw.v1.HealthRequest") == 0) {
        Zwfw__V1__HealthReply health = ZWFW__V1__HEALTH_REPLY__INIT;
        char instance[ZW_HEALTH_INSTANCE_LEN];
        zw_health_fill(&health, w->service, &w->cfg.health, t->ctx, instance);
        zw_reply_message(reply, &health.base);
    } else {
        zw_request_t req = {
            .service = w->service,
            .request_id = rid,
            .type = type,
            .data = zw_frames_data(body, 2),
            .len = zw_frames_size(body, 2),
            .caller = caller,
            .thread_index = t->index,
        };
        w->cfg.handler(t->ctx, &req, reply);
    }
    if (caller)
        zwfw__v1__caller__free_unpacked(caller, NULL);
    if (zw_reply_take_frames(reply, out) != 0) {
        /* Out of memory: the client's retry is the way out. */
        zw_frames_clear(out);
    }
    zw_reply_clear(reply);
}

void zw_worker_reply_unimplemented(const zw_request_t *req, zw_reply_t *reply)
{
    zw_reply_error(reply, ZW_UNIMPLEMENTED, "%s does not serve %s", req->service, req->type);
    zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "type");
}

/* One message from a broker. Returns false when the socket was closed. */
static bool s_on_message(s_thread_t *t, s_conn_t *c, zw_frames_t *msg)
{
    zw_worker_t *w = t->worker;
    int64_t now = s_now_ms();
    if (zw_frames_count(msg) < 3 || zw_frames_size(msg, 0) != 0 ||
        !zw_frames_streq(msg, 1, ZW_MDP_WORKER) || zw_frames_size(msg, 2) != 1) {
        zw_logkv(ZW_LOG_WARN, "not an MDP/Worker message; dropped", "endpoint", c->endpoint, NULL);
        return true;
    }
    /* Any command from the broker proves it alive. */
    c->expires_at = now + (int64_t) w->cfg.heartbeat_ms * w->cfg.liveness;
    c->backoff_ms = w->cfg.reconnect_ms;
    uint8_t command = *(const uint8_t *) zw_frames_data(msg, 2);
    if (command == ZW_MDPW_HEARTBEAT)
        return true;
    if (command == ZW_MDPW_DISCONNECT) {
        zw_logkv(ZW_LOG_INFO, "broker sent DISCONNECT; reconnecting", "endpoint", c->endpoint,
                 "service_name", w->service, NULL);
        s_conn_close(t, c, now, false);
        return false;
    }
    if (command != ZW_MDPW_REQUEST) {
        zw_logkv(ZW_LOG_WARN, "unexpected MDP/Worker command; dropped", "endpoint", c->endpoint,
                 NULL);
        return true;
    }
    zw_frames_drop_front(msg, 3);
    /* The envelope (client address, possibly several frames) ends at the
     * first empty frame; the body follows it. */
    size_t delim = 1;
    while (delim < zw_frames_count(msg) && zw_frames_size(msg, delim) != 0)
        delim++;
    if (zw_frames_count(msg) < 2 || zw_frames_size(msg, 0) == 0 || delim >= zw_frames_count(msg)) {
        zw_logkv(ZW_LOG_WARN, "REQUEST without client address; dropped", "endpoint", c->endpoint,
                 NULL);
        return true;
    }
    zw_frames_t *envelope = zw_frames_split(msg, delim);
    zw_frames_drop_front(msg, 1);
    zw_frames_t *out = zw_frames_new();
    if (!envelope || !out) {
        zw_frames_destroy(&envelope);
        zw_frames_destroy(&out);
        return true;
    }
    bool send = true;
    if (w->zwfw_mode) {
        if (zw_frames_count(msg) == 0) {
            zw_logkv(ZW_LOG_WARN, "zwfw request without request id; dropped", "service_name",
                     w->service, NULL);
            send = false;
        } else {
            s_handle_zwfw(t, msg, out);
            send = zw_frames_count(out) > 0;
        }
    } else {
        send = w->cfg.raw_handler(t->ctx, msg, out, t->index) == 0;
    }
    now = s_now_ms();
    bool open = true;
    if (send) {
        s_send_reply(t, c, envelope, out, now);
        /* The broker sends a busy worker nothing: silence while we worked
         * is not a sign of its death. */
        int64_t min_expiry = now + (int64_t) w->cfg.heartbeat_ms * w->cfg.liveness;
        if (c->expires_at < min_expiry)
            c->expires_at = min_expiry;
    } else {
        /* Without a reply the broker would count this worker busy for
         * ever: leave (it drops the request; the client retries) and come
         * back as a fresh worker. */
        zw_logkv(ZW_LOG_WARN, "request not answered; re-registering", "service_name", w->service,
                 NULL);
        c->backoff_ms = 0;
        s_conn_close(t, c, now, true);
        c->backoff_ms = w->cfg.reconnect_ms;
        open = false;
    }
    zw_frames_destroy(&envelope);
    zw_frames_destroy(&out);
    return open;
}

/* Reads whatever the socket holds; false when the context is gone. */
static bool s_drain(s_thread_t *t, s_conn_t *c)
{
    /* Once stopping, take no new request: the one in hand was finished. */
    while (c->socket && !atomic_load(&t->worker->stopping)) {
        zw_frames_t *msg = zw_frames_recv(c->socket, ZMQ_DONTWAIT);
        if (!msg)
            return errno != ETERM;
        bool open = s_on_message(t, c, msg);
        zw_frames_destroy(&msg);
        if (!open)
            break;
    }
    return true;
}

/* cfg.busy_poll_us: polls without sleeping until the busy-poll time is up
 * or the next timer (next_ms) is due, so timers keep their times. Returns
 * the last zmq_poll's result (0: nothing came in time). */
static int s_busy_poll(s_thread_t *t, zmq_pollitem_t *items, int n, int64_t next_ms)
{
    int64_t until = t->spin_until_ns < next_ms * 1000000 ? t->spin_until_ns : next_ms * 1000000;
    t->spin_until_ns = 0;
    for (;;) {
        int rc = zmq_poll(items, n, 0);
        if (rc != 0 || s_now_ns() >= until)
            return rc;
        sched_yield(); /* anything else runnable here goes first */
    }
}

static void *s_thread_main(void *arg)
{
    s_thread_t *t = arg;
    zw_worker_t *w = t->worker;
    size_t n = w->cfg.n_endpoints;
    zmq_pollitem_t *items = calloc(n + 1, sizeof *items);
    s_conn_t **polled = calloc(n, sizeof *polled);
    bool run = items && polled;
    int64_t now = s_now_ms();
    for (size_t i = 0; i < n && run; i++)
        s_conn_open(t, &t->conns[i], now);
    while (run) {
        now = s_now_ms();
        int64_t next = now + w->cfg.heartbeat_ms;
        items[0] = (zmq_pollitem_t){.socket = t->pipe_thread, .events = ZMQ_POLLIN};
        size_t np = 1;
        for (size_t i = 0; i < n; i++) {
            s_conn_t *c = &t->conns[i];
            if (c->socket) {
                items[np] = (zmq_pollitem_t){.socket = c->socket, .events = ZMQ_POLLIN};
                polled[np - 1] = c;
                np++;
                if (c->heartbeat_at < next)
                    next = c->heartbeat_at;
                if (c->expires_at < next)
                    next = c->expires_at;
            } else if (c->reconnect_at < next) {
                next = c->reconnect_at;
            }
        }
        long timeout = next > now ? (long) (next - now) : 0;
        if ((t->spin_until_ns ? s_busy_poll(t, items, (int) np, next)
                              : zmq_poll(items, (int) np, timeout)) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            break; /* stop */
        for (size_t i = 1; i < np && run; i++)
            if (items[i].revents & ZMQ_POLLIN)
                run = s_drain(t, polled[i - 1]);
        now = s_now_ms();
        for (size_t i = 0; i < n && run; i++) {
            s_conn_t *c = &t->conns[i];
            if (!c->socket) {
                if (now >= c->reconnect_at)
                    s_conn_open(t, c, now);
                continue;
            }
            if (now >= c->expires_at) {
                /* Messages that queued while a handler ran count first. */
                run = s_drain(t, c);
                if (c->socket && now >= c->expires_at) {
                    zw_logkv(ZW_LOG_WARN, "broker silent; reconnecting", "endpoint", c->endpoint,
                             "service_name", w->service, NULL);
                    s_conn_close(t, c, now, false);
                }
            }
            if (c->socket && now >= c->heartbeat_at) {
                s_send_header(c->socket, ZW_MDPW_HEARTBEAT, false);
                c->heartbeat_at = now + w->cfg.heartbeat_ms;
            }
        }
    }
    now = s_now_ms();
    for (size_t i = 0; i < n; i++)
        s_conn_close(t, &t->conns[i], now, true);
    free(items);
    free(polled);
    zmq_close(t->pipe_thread);
    t->pipe_thread = NULL;
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------ */

zw_worker_t *zw_worker_new(void *zmq_ctx, const zw_worker_config_t *cfg, zw_err_t *err)
{
    if (!zmq_ctx || !cfg || !cfg->service || !cfg->service[0]) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "worker: a ZeroMQ context and a service are needed");
        return NULL;
    }
    if (strlen(cfg->service) > 255) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "service", "worker: service name over 255 bytes");
        return NULL;
    }
    if (!cfg->endpoints || cfg->n_endpoints == 0) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoints", "worker: no broker endpoint");
        return NULL;
    }
    if (cfg->threads < 1 || cfg->threads > 4096) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "threads", "worker: threads must be 1..4096");
        return NULL;
    }
    if (cfg->heartbeat_ms < 0 || cfg->liveness < 0 || cfg->reconnect_ms < 0 ||
        cfg->reconnect_max_ms < 0 || cfg->busy_poll_us < 0 ||
        cfg->busy_poll_us > ZW_WORKER_BUSY_POLL_MAX_US) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "worker: negative timing, or busy_poll_us above %d",
                   ZW_WORKER_BUSY_POLL_MAX_US);
        return NULL;
    }
    bool zwfw_mode = strncmp(cfg->service, ZW_ZWFW_PREFIX, strlen(ZW_ZWFW_PREFIX)) == 0;
    if (zwfw_mode ? !cfg->handler : !cfg->raw_handler) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "handler", "worker: service %s needs a %s handler",
                    cfg->service, zwfw_mode ? "zwfw" : "raw");
        return NULL;
    }
    if (cfg->curve &&
        (!zw_auth_z85_ok(cfg->curve->server_key) || !zw_auth_z85_ok(cfg->curve->keys.public_key) ||
         !zw_auth_z85_ok(cfg->curve->keys.secret_key))) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "curve",
                    "worker: CURVE needs the broker's public key and the worker's key pair, "
                    "each 40 Z85 characters");
        return NULL;
    }
    zw_worker_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->zmq_ctx = zmq_ctx;
    self->cfg = *cfg;
    if (cfg->curve) {
        self->curve = *cfg->curve;
        self->cfg.curve = &self->curve;
    }
    self->zwfw_mode = zwfw_mode;
    self->service = strdup(cfg->service);
    self->endpoints = calloc(cfg->n_endpoints, sizeof(char *));
    bool ok = self->service && self->endpoints;
    for (size_t i = 0; ok && i < cfg->n_endpoints; i++)
        ok = cfg->endpoints[i] && (self->endpoints[i] = strdup(cfg->endpoints[i]));
    if (!ok) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "worker: out of memory or NULL endpoint");
        zw_worker_destroy(&self);
        return NULL;
    }
    self->cfg.service = self->service;
    self->cfg.endpoints = (const char *const *) self->endpoints;
    if (!self->cfg.heartbeat_ms)
        self->cfg.heartbeat_ms = ZW_MDP_HEARTBEAT_MS;
    if (!self->cfg.liveness)
        self->cfg.liveness = ZW_MDP_LIVENESS;
    if (!self->cfg.reconnect_ms)
        self->cfg.reconnect_ms = 250;
    if (!self->cfg.reconnect_max_ms)
        self->cfg.reconnect_max_ms = 5000;
    if (self->cfg.reconnect_max_ms < self->cfg.reconnect_ms)
        self->cfg.reconnect_max_ms = self->cfg.reconnect_ms;
    return self;
}

/* Tears down whatever zw_worker_start set up; threads must be joined. */
static void s_free_threads(zw_worker_t *self)
{
    if (!self->threads)
        return;
    for (int i = 0; i < self->cfg.threads; i++) {
        s_thread_t *t = &self->threads[i];
        if (t->pipe_main)
            zmq_close(t->pipe_main);
        if (t->pipe_thread)
            zmq_close(t->pipe_thread);
        if (t->has_ctx && self->cfg.ctx_new && self->cfg.ctx_destroy)
            self->cfg.ctx_destroy(t->ctx, self->cfg.arg);
        free(t->conns);
        zw_reply_destroy(&t->reply);
    }
    free(self->threads);
    self->threads = NULL;
}

static int s_pipe(zw_worker_t *self, s_thread_t *t)
{
    char name[96];
    snprintf(name, sizeof name, "inproc://zw-worker-%p-%d", (void *) self, t->index);
    t->pipe_main = zmq_socket(self->zmq_ctx, ZMQ_PAIR);
    t->pipe_thread = zmq_socket(self->zmq_ctx, ZMQ_PAIR);
    if (!t->pipe_main || !t->pipe_thread)
        return -1;
    int linger = 0;
    zmq_setsockopt(t->pipe_main, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(t->pipe_thread, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind(t->pipe_main, name) != 0 || zmq_connect(t->pipe_thread, name) != 0)
        return -1;
    return 0;
}

int zw_worker_start(zw_worker_t *self, zw_err_t *err)
{
    if (!self)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "worker: NULL");
    if (self->running || self->threads)
        return zw_err_set(err, ZW_FAILED_PRECONDITION, "worker: already started");
    zw_health_mark_start();
    int n = self->cfg.threads;
    self->threads = calloc((size_t) n, sizeof(s_thread_t));
    if (!self->threads)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < n; i++) {
        s_thread_t *t = &self->threads[i];
        t->worker = self;
        t->index = i;
        t->conns = calloc(self->cfg.n_endpoints, sizeof(s_conn_t));
        t->reply = zw_reply_new();
        if (!t->conns || !t->reply || s_pipe(self, t) != 0) {
            s_free_threads(self);
            return zw_err_set(err, ZW_INTERNAL, "worker: cannot make thread %d's sockets", i);
        }
        for (size_t e = 0; e < self->cfg.n_endpoints; e++) {
            t->conns[e].endpoint = self->endpoints[e];
            t->conns[e].backoff_ms = self->cfg.reconnect_ms;
        }
        if (self->cfg.ctx_new) {
            t->ctx = self->cfg.ctx_new(self->cfg.arg, i);
            if (!t->ctx) {
                s_free_threads(self);
                return zw_err_set(err, ZW_UNAVAILABLE,
                                  "worker %s: cannot make the context of thread %d", self->service,
                                  i);
            }
            t->has_ctx = true;
        } else {
            t->ctx = self->cfg.arg;
        }
    }
    for (int i = 0; i < n; i++) {
        s_thread_t *t = &self->threads[i];
        if (pthread_create(&t->thread, NULL, s_thread_main, t) != 0) {
            self->running = true;
            zw_worker_stop(self);
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "worker: cannot start thread %d", i);
        }
        t->started = true;
    }
    self->running = true;
    zw_logkv(ZW_LOG_INFO, "worker started", "service_name", self->service, "endpoint",
             self->endpoints[0], NULL);
    return 0;
}

void zw_worker_stop(zw_worker_t *self)
{
    if (!self || !self->running)
        return;
    atomic_store(&self->stopping, true);
    for (int i = 0; i < self->cfg.threads; i++) {
        s_thread_t *t = &self->threads[i];
        if (t->started)
            zmq_send(t->pipe_main, "STOP", 4, ZMQ_DONTWAIT);
    }
    for (int i = 0; i < self->cfg.threads; i++) {
        s_thread_t *t = &self->threads[i];
        if (t->started)
            pthread_join(t->thread, NULL);
        t->started = false;
    }
    s_free_threads(self);
    self->running = false;
    atomic_store(&self->stopping, false);
}

void zw_worker_destroy(zw_worker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_worker_t *self = *self_p;
    zw_worker_stop(self);
    s_free_threads(self);
    if (self->endpoints)
        for (size_t i = 0; i < self->cfg.n_endpoints; i++)
            free(self->endpoints[i]);
    free(self->endpoints);
    free(self->service);
    explicit_bzero(&self->curve, sizeof self->curve);
    free(self);
    *self_p = NULL;
}

uint64_t zw_worker_requests(const zw_worker_t *self)
{
    return self ? atomic_load(&((zw_worker_t *) self)->requests) : 0;
}
