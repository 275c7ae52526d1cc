/* The broker's protocol: parsing MDP client and worker messages,
 * dispatch, MMI, zwfw checks, and the timers. */
#include "broker_internal.h"

#include "log.h"
#include "mdp.h"
#include "zwfw/v1/common.pb-c.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* The most body frames a request (and so its reply) may have. A client's
 * message is 4 frames before its body (routing id, empty, MDPC01, service),
 * a worker's REPLY 6 (routing id, empty, MDPW01, command, client, empty):
 * the receive array holds the larger, so every body a worker was handed
 * can come back in its REPLY. */
#define S_MAX_BODY 1020
/* A message with more frames than this is dropped unread, so a peer cannot
 * make the receive array grow without bound. */
#define S_MAX_FRAMES (S_MAX_BODY + 6)
/* Messages handled per wake-up before the timers are looked at again. */
#define S_BATCH 512
/* Drop logs per second before they are only counted. */
#define S_DROP_LOGS_PER_SEC 50

typedef zw_registry_worker_t s_worker_t;
typedef zw_registry_service_t s_service_t;
typedef zw_registry_request_t s_request_t;

static const uint8_t s_cmd_request = ZW_MDPW_REQUEST;
static const uint8_t s_cmd_heartbeat = ZW_MDPW_HEARTBEAT;
static const uint8_t s_cmd_disconnect = ZW_MDPW_DISCONNECT;

static bool s_has_prefix(const void *name, size_t len, const char *prefix)
{
    size_t plen = strlen(prefix);
    return len >= plen && memcmp(name, prefix, plen) == 0;
}

/* --- logging: peers send bytes, logs want short printable text --- */

static char *s_hex(const void *data, size_t n, char *out, size_t outsz)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = data;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 2 < outsz; i++) {
        out[o++] = digits[p[i] >> 4];
        out[o++] = digits[p[i] & 15];
    }
    out[o] = '\0';
    return out;
}

static char *s_printable(const void *data, size_t n, char *out, size_t outsz)
{
    const unsigned char *p = data;
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outsz; i++)
        out[o++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char) p[i] : '?';
    out[o] = '\0';
    return out;
}

static void s_log_worker(zw_log_level_t level, const char *msg, const s_worker_t *w,
                         const char *reason)
{
    char id[2 * ZW_REGISTRY_MAX_NAME + 1], name[ZW_REGISTRY_MAX_NAME + 1];
    s_printable(w->service->name, w->service->namelen, name, sizeof name);
    s_hex(w->id, w->idlen, id, sizeof id);
    if (reason)
        zw_logkv(level, msg, "service_name", name, "worker", id, "reason", reason, NULL);
    else
        zw_logkv(level, msg, "service_name", name, "worker", id, NULL);
}

/* Logs a dropped message; past S_DROP_LOGS_PER_SEC in one second the rest
 * are only counted, so a flood of garbage cannot flood the log. */
static void s_log_drop(zw_broker_t *self, zmq_msg_t *peer, const void *service, size_t service_len,
                       const char *reason)
{
    self->totals.dropped++;
    if (self->now - self->drop_window >= 1000) {
        if (self->drop_suppressed) {
            char n[24];
            snprintf(n, sizeof n, "%u", self->drop_suppressed);
            zw_logkv(ZW_LOG_WARN, "drop logs suppressed", "count", n, NULL);
        }
        self->drop_window = self->now;
        self->drop_logged = self->drop_suppressed = 0;
    }
    if (self->drop_logged >= S_DROP_LOGS_PER_SEC) {
        self->drop_suppressed++;
        return;
    }
    self->drop_logged++;
    char id[2 * ZW_REGISTRY_MAX_NAME + 1], name[ZW_REGISTRY_MAX_NAME + 1];
    zw_logkv(ZW_LOG_WARN, "message dropped", "reason", reason, "peer",
             s_hex(zmq_msg_data(peer), zmq_msg_size(peer), id, sizeof id), "service_name",
             service ? s_printable(service, service_len, name, sizeof name) : NULL, NULL);
}

/* --- sending: always ZMQ_DONTWAIT, the loop must never block --- */

static int s_send(zw_broker_t *self, const void *data, size_t len, bool more)
{
    return zmq_send(self->router, data, len, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
}

/* For bytes with static storage: libzmq references them instead of copying. */
static void s_send_const(zw_broker_t *self, const void *data, size_t len, bool more)
{
    zmq_send_const(self->router, data, len, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
}

/* Moves a frame into the socket. On failure the frame stays with its owner,
 * who closes it as usual. */
static void s_send_msg(zw_broker_t *self, zmq_msg_t *msg, bool more)
{
    zmq_msg_send(msg, self->router, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
}

/* The routing id frame decides: with ZMQ_ROUTER_MANDATORY a vanished peer
 * (EHOSTUNREACH) or a full pipe (EAGAIN) fails there and nothing is sent;
 * once it is accepted, the rest of the message goes to the same pipe. */
static int s_send_worker_command(zw_broker_t *self, const void *id, size_t idlen,
                                 const uint8_t *cmd, bool more)
{
    if (s_send(self, id, idlen, true) < 0)
        return -1;
    s_send_const(self, "", 0, true);
    s_send_const(self, ZW_MDP_WORKER, ZW_MDP_HEADER_LEN, true);
    s_send_const(self, cmd, 1, more);
    return 0;
}

/* [client][empty]["MDPC01"][service]; the body is the caller's. -1 if the
 * client is gone. */
static int s_send_client_header(zw_broker_t *self, const void *client, size_t clen,
                                const void *service, size_t slen)
{
    if (s_send(self, client, clen, true) < 0)
        return -1;
    s_send_const(self, "", 0, true);
    s_send_const(self, ZW_MDP_CLIENT, ZW_MDP_HEADER_LEN, true);
    s_send(self, service, slen, true);
    return 0;
}

/* Answers a zwfw request the broker cannot serve with [request id]
 * ["zwfw.v1.Error"][Error{code, message, details{service}}]. */
static void s_reply_error(zw_broker_t *self, zmq_msg_t *client, const void *sname, size_t slen,
                          zmq_msg_t *request_id, zw_code_t code, const char *detail,
                          const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static void s_reply_error(zw_broker_t *self, zmq_msg_t *client, const void *sname, size_t slen,
                          zmq_msg_t *request_id, zw_code_t code, const char *detail,
                          const char *fmt, ...)
{
    char message[400], name[ZW_REGISTRY_MAX_NAME + 1];
    s_printable(sname, slen, name, sizeof name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    uint8_t *packed = NULL;
    size_t plen = 0;
    if (zw_envelope_error_pack(code, message, name, detail, &packed, &plen) != 0) {
        s_log_drop(self, client, sname, slen, "out of memory for an error reply");
        return;
    }
    if (s_send_client_header(self, zmq_msg_data(client), zmq_msg_size(client), sname, slen) == 0) {
        s_send(self, zmq_msg_data(request_id), zmq_msg_size(request_id), true);
        s_send_const(self, ZW_ZWFW_ERROR_TYPE, strlen(ZW_ZWFW_ERROR_TYPE), true);
        s_send(self, packed, plen, false);
        self->totals.error_replies++;
        zw_logkv(ZW_LOG_INFO, "request refused", "service_name", name, "code", zw_code_name(code),
                 "reason", message, NULL);
    } else {
        s_log_drop(self, client, sname, slen, "client gone before its error reply");
    }
    free(packed);
}

/* --- workers --- */

static void s_worker_delete(zw_broker_t *self, s_worker_t *w, bool disconnect)
{
    if (disconnect)
        s_send_worker_command(self, w->id, w->idlen, &s_cmd_disconnect, false);
    zw_registry_worker_delete(self->reg, w);
}

/* A send to w failed at its routing id frame. */
static void s_worker_lost(zw_broker_t *self, s_worker_t *w)
{
    const char *reason = errno == EHOSTUNREACH ? "peer gone" : "peer not reading (send queue full)";
    s_log_worker(ZW_LOG_WARN, w->busy ? "worker lost with a request in flight" : "worker lost", w,
                 reason);
    self->totals.workers_expired++;
    s_worker_delete(self, w, false);
}

/* Who sent `frame` (a frame the peer sent, not the routing id the ROUTER
 * made up: only those carry ZAP metadata), as a packed zwfw.v1.Caller.
 * Plain mode: every caller is the one configured identity. CURVE: the
 * entry of the frame's ZAP User-Id in the current registry; false when the
 * key is no longer registered (removed by a reload since it connected). */
static bool s_caller_of(zw_broker_t *self, zmq_msg_t *frame, const uint8_t **caller, size_t *len)
{
    if (!self->curve) {
        *caller = self->caller;
        *len = self->caller_len;
        return true;
    }
    const zw_auth_entry_t *peer = zw_auth_peer(self->auth, frame);
    if (!peer)
        return false;
    *caller = peer->caller;
    *len = peer->caller_len;
    return true;
}

/* Why the peer that sent `frame` (the READY's service frame, which
 * carries the ZAP metadata) may not register as a worker of `name`, or
 * NULL if it may. DESIGN.md: READY for zwfw.* only from `system` keys.
 * Plain mode has no key to check, so every READY is accepted. */
static const char *s_may_not_serve(zw_broker_t *self, zmq_msg_t *frame, const char *name,
                                   size_t len, char *why, size_t whysz)
{
    if (!self->curve || !s_has_prefix(name, len, ZW_ZWFW_PREFIX))
        return NULL;
    const zw_auth_entry_t *peer = zw_auth_peer(self->auth, frame);
    if (peer && peer->role == ZWFW__V1__ROLE__ROLE_SYSTEM)
        return NULL;
    char svc[ZW_REGISTRY_MAX_NAME + 1];
    s_printable(name, len, svc, sizeof svc);
    snprintf(why, whysz, "key %s (role %s) may not serve %s: zwfw.* services need a system key",
             peer ? peer->name : "(unregistered)", peer ? peer->role_name : "none", svc);
    return why;
}

/* Hands a request to w: [w][empty]["MDPW01"][REQUEST][client][empty]
 * [body...], plus the Caller frame for zwfw.* services. Returns 0 when
 * sent: the frames are moved out (left empty). -1 when w is gone: w is
 * deleted and the frames are untouched, so the caller can try another
 * worker or queue them. -2 when the request's sender is no longer
 * registered (CURVE): nothing was sent and w is still the caller's; the
 * caller drops the request. */
static int s_send_request(zw_broker_t *self, s_worker_t *w, zmq_msg_t *client, zmq_msg_t *body,
                          size_t nbody)
{
    bool zwfw = w->service->zwfw;
    size_t caller_len = 0;
    const uint8_t *caller = NULL;
    if (self->curve || zwfw) {
        if (!s_caller_of(self, &body[0], &caller, &caller_len)) {
            self->totals.unregistered++;
            s_log_drop(self, client, w->service->name, w->service->namelen,
                       "the sender's key is no longer registered");
            return -2;
        }
    }
    if (s_send_worker_command(self, w->id, w->idlen, &s_cmd_request, true) < 0) {
        s_worker_lost(self, w);
        return -1;
    }
    zw_registry_worker_busy(self->reg, w, zmq_msg_data(client), zmq_msg_size(client), self->now);
    zw_registry_worker_sent(self->reg, w, self->now);
    s_send_msg(self, client, true);
    s_send_const(self, "", 0, true);
    for (size_t i = 0; i < nbody; i++)
        s_send_msg(self, &body[i], i + 1 < nbody || zwfw);
    if (zwfw)
        s_send(self, caller, caller_len, false);
    return 0;
}

/* w has no request: give it the oldest queued one, else park it at the
 * tail of the idle list (the least recently used worker goes first). */
static void s_worker_idle(zw_broker_t *self, s_worker_t *w)
{
    for (;;) {
        s_request_t *req = zw_registry_queue_head(w->service);
        if (!req) {
            zw_registry_worker_idle(self->reg, w, self->now);
            return;
        }
        int rc = s_send_request(self, w, &req->frames[0], &req->frames[1], req->nframes - 1);
        if (rc == -1)
            return; /* w is gone; the request stays queued for the next worker */
        /* Sent, or refused (its sender's key was withdrawn): either way it
         * leaves the queue; the service lives on, since w still serves it. */
        zw_registry_request_free(self->reg, req);
        if (rc == 0)
            return;
    }
}

/* A worker broke the protocol: RFC 7 says send DISCONNECT and forget it. */
static void s_violation(zw_broker_t *self, s_worker_t *w, zmq_msg_t *peer, const char *reason)
{
    if (w) {
        self->totals.dropped++;
        s_log_worker(ZW_LOG_WARN, "worker disconnected: protocol violation", w, reason);
        s_worker_delete(self, w, true);
    } else {
        s_log_drop(self, peer, NULL, 0, reason);
        s_send_worker_command(self, zmq_msg_data(peer), zmq_msg_size(peer), &s_cmd_disconnect,
                              false);
    }
}

/* READY: [w][empty]["MDPW01"][READY][service] */
static void s_worker_ready(zw_broker_t *self, zmq_msg_t *f, size_t n, s_worker_t *w)
{
    const char *name = n == 5 ? zmq_msg_data(&f[4]) : NULL;
    size_t len = n == 5 ? zmq_msg_size(&f[4]) : 0;
    size_t idlen = zmq_msg_size(&f[0]);
    const char *bad = NULL;
    char why[2 * ZW_REGISTRY_MAX_NAME + 128];
    if (w)
        bad = "second READY";
    else if (n != 5)
        bad = "READY needs exactly one service frame";
    else if (len == 0)
        bad = "READY with empty service name";
    else if (len > ZW_REGISTRY_MAX_NAME)
        bad = "service name too long";
    else if (s_has_prefix(name, len, ZW_MMI_PREFIX))
        bad = "mmi.* services belong to the broker";
    else if (idlen == 0 || idlen > ZW_REGISTRY_MAX_NAME)
        bad = "bad routing id";
    else
        bad = s_may_not_serve(self, &f[4], name, len, why, sizeof why);
    if (bad) {
        s_violation(self, w, &f[0], bad);
        return;
    }
    s_service_t *svc = zw_registry_service_require(self->reg, name, len);
    w = svc ? zw_registry_worker_add(self->reg, zmq_msg_data(&f[0]), idlen, svc, self->now) : NULL;
    if (!w) {
        zw_registry_service_release(self->reg, svc);
        s_violation(self, NULL, &f[0], "out of memory");
        return;
    }
    s_log_worker(ZW_LOG_INFO, "worker registered", w, NULL);
    s_worker_idle(self, w);
}

/* REPLY: [w][empty]["MDPW01"][REPLY][client][empty][body...] goes back to
 * the client as [client][empty]["MDPC01"][service][body...]. */
static void s_worker_reply(zw_broker_t *self, zmq_msg_t *f, size_t n, s_worker_t *w)
{
    const char *bad = NULL;
    if (!w)
        bad = "REPLY from an unknown worker";
    else if (n < 7)
        bad = "REPLY without client address, empty frame and body";
    else if (zmq_msg_size(&f[5]) != 0)
        bad = "REPLY client address not followed by an empty frame";
    else if (!w->busy)
        bad = "REPLY with no request in flight";
    else if (zmq_msg_size(&f[4]) != w->clientlen ||
             memcmp(zmq_msg_data(&f[4]), w->client, w->clientlen) != 0)
        bad = "REPLY to a client other than the requester";
    if (bad) {
        s_violation(self, w, &f[0], bad);
        return;
    }
    zw_registry_worker_heard(self->reg, w, self->now); /* any command is a heartbeat */
    s_service_t *svc = w->service;
    if (s_send_client_header(self, w->client, w->clientlen, svc->name, svc->namelen) == 0) {
        for (size_t i = 6; i < n; i++)
            s_send_msg(self, &f[i], i + 1 < n);
        self->totals.replies++;
    } else {
        s_log_drop(self, &f[4], svc->name, svc->namelen,
                   errno == EHOSTUNREACH ? "reply for a client that is gone"
                                         : "reply for a client not reading (send queue full)");
    }
    s_worker_idle(self, w);
}

/* [w][empty]["MDPW01"][command]... */
static void s_worker_message(zw_broker_t *self, zmq_msg_t *f, size_t n)
{
    s_worker_t *w = zw_registry_worker(self->reg, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]));
    if (n < 4 || zmq_msg_size(&f[3]) != 1) {
        s_violation(self, w, &f[0], "missing or malformed command frame");
        return;
    }
    uint8_t cmd = *(const uint8_t *) zmq_msg_data(&f[3]);
    switch (cmd) {
    case ZW_MDPW_READY:
        s_worker_ready(self, f, n, w);
        break;
    case ZW_MDPW_REPLY:
        s_worker_reply(self, f, n, w);
        break;
    case ZW_MDPW_HEARTBEAT:
        if (!w)
            s_violation(self, w, &f[0], "HEARTBEAT from an unknown worker");
        else if (n != 4)
            s_violation(self, w, &f[0], "HEARTBEAT with extra frames");
        else
            zw_registry_worker_heard(self->reg, w, self->now);
        break;
    case ZW_MDPW_DISCONNECT:
        /* RFC 7: send it nothing more, not even a DISCONNECT. */
        if (w) {
            s_log_worker(ZW_LOG_INFO, "worker disconnected", w,
                         w->busy ? "DISCONNECT; request in flight lost" : "DISCONNECT");
            s_worker_delete(self, w, false);
        }
        break;
    default: {
        char reason[48];
        snprintf(reason, sizeof reason, "unknown command 0x%02x", cmd);
        s_violation(self, w, &f[0], reason);
    }
    }
}

/* --- clients --- */

/* RFC 8: mmi.service answers 200 or 404; every other mmi.* name 501.
 * RFC 8 names the Guide's mdbroker as its prime reference, and that reads
 * the service name from the last body frame and answers with the body as
 * sent, that last frame replaced by the code. So do we: [name] gets
 * [code], and a client that puts a tag before the name ([tag][name]) gets
 * it back ([tag][code]) to match answers to questions. */
static void s_mmi(zw_broker_t *self, zmq_msg_t *f, size_t n, const char *name, size_t len)
{
    const char *code = ZW_MMI_NOT_IMPLEMENTED;
    if (len == strlen(ZW_MMI_SERVICE) && memcmp(name, ZW_MMI_SERVICE, len) == 0) {
        zmq_msg_t *asked = &f[n - 1];
        s_service_t *svc = zw_registry_service(self->reg, zmq_msg_data(asked), zmq_msg_size(asked));
        code = svc && svc->nworkers ? ZW_MMI_OK : ZW_MMI_NOT_FOUND;
    }
    if (s_send_client_header(self, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]), name, len) != 0) {
        s_log_drop(self, &f[0], name, len, "client gone before its MMI reply");
        return;
    }
    for (size_t i = 4; i + 1 < n; i++)
        s_send_msg(self, &f[i], true);
    s_send_const(self, code, strlen(code), false);
}

static void s_client_queue(zw_broker_t *self, zmq_msg_t *f, size_t n, const char *name, size_t len)
{
    s_service_t *svc = zw_registry_service_require(self->reg, name, len);
    if (!svc) {
        s_log_drop(self, &f[0], name, len, "out of memory");
        return;
    }
    if (svc->nqueued >= self->opts.max_queue) {
        if (svc->zwfw)
            s_reply_error(self, &f[0], name, len, &f[4], ZW_RESOURCE_EXHAUSTED, NULL,
                          "service %s is overloaded: %zu requests already waiting", svc->name,
                          svc->nqueued);
        else
            s_log_drop(self, &f[0], name, len, "service queue full");
    } else if (!zw_registry_enqueue(self->reg, svc, &f[0], &f[4], n - 4,
                                    self->now + self->opts.request_wait_ms)) {
        s_log_drop(self, &f[0], name, len, "out of memory");
    }
    zw_registry_service_release(self->reg, svc);
}

/* [client][empty]["MDPC01"][service][body...] */
static void s_client_message(zw_broker_t *self, zmq_msg_t *f, size_t n)
{
    const char *name = n >= 4 ? zmq_msg_data(&f[3]) : NULL;
    size_t len = n >= 4 ? zmq_msg_size(&f[3]) : 0;
    const char *bad = NULL;
    if (n < 4)
        bad = "client request without service name";
    else if (len == 0)
        bad = "client request with empty service name";
    else if (len > ZW_REGISTRY_MAX_NAME)
        bad = "service name too long";
    else if (n < 5)
        bad = "client request without body";
    else if (zmq_msg_size(&f[0]) > ZW_REGISTRY_MAX_NAME)
        bad = "bad routing id";
    if (bad) {
        s_log_drop(self, &f[0], name, len, bad);
        return;
    }
    self->totals.requests++;
    if (s_has_prefix(name, len, ZW_MMI_PREFIX)) {
        s_mmi(self, f, n, name, len);
        return;
    }
    size_t nbody = n - 4;
    if (s_has_prefix(name, len, ZW_ZWFW_PREFIX) && nbody != ZW_ZWFW_BODY_FRAMES) {
        s_reply_error(self, &f[0], name, len, &f[4], ZW_INVALID_ARGUMENT, "frames",
                      "a zwfw request body is 3 frames (request id, type name, protobuf), "
                      "not %zu",
                      nbody);
        return;
    }
    if (nbody > S_MAX_BODY) {
        s_log_drop(self, &f[0], name, len, "too many frames");
        return;
    }
    s_service_t *svc = zw_registry_service(self->reg, name, len);
    s_worker_t *w;
    while (svc && (w = zw_registry_idle_pop(self->reg, svc)) != NULL) {
        int rc = s_send_request(self, w, &f[0], &f[4], nbody);
        if (rc == -2)
            s_worker_idle(self, w); /* cannot happen: s_handle checked the key */
        if (rc != -1)
            return;
        svc = zw_registry_service(self->reg, name, len); /* the lost worker may have taken it */
    }
    s_client_queue(self, f, n, name, len);
}

/* --- the loop --- */

static void s_request_expire(zw_broker_t *self, s_request_t *req)
{
    s_service_t *svc = req->service;
    char shown[512]; /* the name as sent, NUL and control bytes escaped */
    s_printable(svc->name, svc->namelen, shown, sizeof shown);
    if (svc->zwfw && svc->nworkers)
        s_reply_error(self, &req->frames[0], svc->name, svc->namelen, &req->frames[1],
                      ZW_UNAVAILABLE, NULL, "no worker of service %s became free within %d ms",
                      shown, self->opts.request_wait_ms);
    else if (svc->zwfw)
        s_reply_error(self, &req->frames[0], svc->name, svc->namelen, &req->frames[1],
                      ZW_UNAVAILABLE, NULL, "no worker for service %s", shown);
    else
        s_log_drop(self, &req->frames[0], svc->name, svc->namelen,
                   svc->nworkers ? "no worker became free within request_wait_ms"
                                 : "no worker for the service within request_wait_ms");
    zw_registry_request_free(self->reg, req);
    zw_registry_service_release(self->reg, svc);
}

/* Runs every timer that is due; returns ms until the next one, at most
 * one heartbeat interval. */
static int s_timers(zw_broker_t *self)
{
    int64_t now = self->now;
    int64_t hb = self->opts.heartbeat_ms;
    int64_t next = now + hb;
    s_request_t *req;
    s_worker_t *w;
    while ((req = zw_registry_request_due(self->reg, now, &next)) != NULL)
        s_request_expire(self, req);
    while ((w = zw_registry_silent_due(self->reg, now, hb * self->opts.liveness, &next)) != NULL) {
        s_log_worker(ZW_LOG_WARN, "worker expired", w, "silent for heartbeat_ms * liveness");
        self->totals.workers_expired++;
        s_worker_delete(self, w, false);
    }
    while ((w = zw_registry_busy_due(self->reg, now, self->opts.busy_timeout_ms, &next)) != NULL) {
        s_log_worker(ZW_LOG_WARN, "worker expired", w,
                     "held a request longer than busy_timeout_ms; request lost");
        self->totals.workers_expired++;
        s_worker_delete(self, w, true);
    }
    while ((w = zw_registry_heartbeat_due(self->reg, now, hb, &next)) != NULL) {
        if (s_send_worker_command(self, w->id, w->idlen, &s_cmd_heartbeat, false) == 0)
            zw_registry_worker_sent(self->reg, w, now);
        else
            s_worker_lost(self, w);
    }
    return next > now ? (int) (next - now) : 0;
}

static bool s_frames_grow(zw_broker_t *self)
{
    if (self->frames_cap >= S_MAX_FRAMES)
        return false;
    size_t cap = self->frames_cap * 2;
    if (cap > S_MAX_FRAMES)
        cap = S_MAX_FRAMES;
    zmq_msg_t *frames = realloc(self->frames, cap * sizeof *frames);
    if (!frames)
        return false;
    self->frames = frames;
    self->frames_cap = cap;
    return true;
}

/* A message of more than S_MAX_FRAMES frames, its first S_MAX_FRAMES in
 * f: a zwfw client request is answered INVALID_ARGUMENT "frames", as one
 * with a wrong body of fewer frames is (the client would otherwise only
 * see its timeout). A registered worker sending one is an invalid peer
 * (RFC 7) and is disconnected: dropping only its REPLY would leave it
 * busy in our books and idle in its own, serving nobody ever again.
 * Anything else is dropped. */
static bool s_sender_registered(zw_broker_t *self, zmq_msg_t *f, size_t n);

static void s_oversize(zw_broker_t *self, zmq_msg_t *f, size_t n)
{
    bool client = n >= 5 && zmq_msg_size(&f[1]) == 0 &&
                  zmq_msg_size(&f[2]) == ZW_MDP_HEADER_LEN &&
                  memcmp(zmq_msg_data(&f[2]), ZW_MDP_CLIENT, ZW_MDP_HEADER_LEN) == 0;
    const char *name = n >= 4 ? zmq_msg_data(&f[3]) : NULL;
    size_t len = n >= 4 ? zmq_msg_size(&f[3]) : 0;
    if (client && len <= ZW_REGISTRY_MAX_NAME && s_has_prefix(name, len, ZW_ZWFW_PREFIX) &&
        zmq_msg_size(&f[0]) <= ZW_REGISTRY_MAX_NAME && s_sender_registered(self, f, n)) {
        self->totals.requests++;
        s_reply_error(self, &f[0], name, len, &f[4], ZW_INVALID_ARGUMENT, "frames",
                      "a zwfw request body is 3 frames (request id, type name, protobuf), "
                      "not over %d",
                      S_MAX_FRAMES - 4);
        return;
    }
    s_worker_t *w = zw_registry_worker(self->reg, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]));
    if (w && s_sender_registered(self, f, n))
        s_violation(self, w, &f[0], "too many frames");
    else if (!w)
        s_log_drop(self, &f[0], NULL, 0, "too many frames");
}

/* Receives one whole message into self->frames; returns its frame count, 0
 * when none is waiting, -1 on a socket error (errno set), -2 when the
 * message had too many frames (answered or dropped by s_oversize). */
static long s_recv(zw_broker_t *self)
{
    size_t n = 0;
    for (;;) {
        zmq_msg_t *m = &self->frames[n];
        zmq_msg_init(m);
        if (zmq_msg_recv(m, self->router, ZMQ_DONTWAIT) < 0) {
            int e = errno;
            for (size_t i = 0; i <= n; i++)
                zmq_msg_close(&self->frames[i]);
            errno = e;
            return n == 0 && e == EAGAIN ? 0 : -1;
        }
        n++;
        if (!zmq_msg_more(m))
            return (long) n;
        if (n == self->frames_cap && !s_frames_grow(self))
            break;
    }
    /* A multipart message arrives whole, so the rest is there to drain. */
    zmq_msg_t rest;
    zmq_msg_init(&rest);
    while (zmq_msg_recv(&rest, self->router, ZMQ_DONTWAIT) >= 0 && zmq_msg_more(&rest))
        ;
    zmq_msg_close(&rest);
    s_oversize(self, self->frames, n);
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&self->frames[i]);
    return -2;
}

/* CURVE: whether the key that sent this message is still registered
 * (ZAP admitted it, but a reload may have withdrawn it since). A worker
 * whose key was withdrawn is disconnected; anything else is dropped. */
static bool s_sender_registered(zw_broker_t *self, zmq_msg_t *f, size_t n)
{
    if (!self->curve || (n >= 2 && zw_auth_peer(self->auth, &f[1])))
        return true;
    self->totals.unregistered++;
    s_worker_t *w = zw_registry_worker(self->reg, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]));
    const char *user = n >= 2 ? zmq_msg_gets(&f[1], "User-Id") : NULL;
    if (w) {
        s_log_worker(ZW_LOG_WARN, "worker disconnected: key no longer registered", w, user);
        s_worker_delete(self, w, true);
    } else {
        s_log_drop(self, &f[0], NULL, 0, "the sender's key is no longer registered");
    }
    return false;
}

static void s_handle(zw_broker_t *self, zmq_msg_t *f, size_t n)
{
    if (!s_sender_registered(self, f, n))
        return;
    size_t hlen = n >= 3 ? zmq_msg_size(&f[2]) : 0;
    const void *header = n >= 3 ? zmq_msg_data(&f[2]) : NULL;
    bool framed = n >= 3 && zmq_msg_size(&f[1]) == 0 && hlen == ZW_MDP_HEADER_LEN;
    if (framed && memcmp(header, ZW_MDP_CLIENT, hlen) == 0) {
        s_client_message(self, f, n);
    } else if (framed && memcmp(header, ZW_MDP_WORKER, hlen) == 0) {
        s_worker_message(self, f, n);
    } else {
        /* Not MDP at all. A registered worker sending it is an invalid
         * peer (RFC 7); anyone else is just dropped. */
        s_worker_t *w = zw_registry_worker(self->reg, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]));
        const char *reason = "not an MDP message (no empty frame, or unknown protocol header)";
        if (w)
            s_violation(self, w, &f[0], reason);
        else
            s_log_drop(self, &f[0], NULL, 0, reason);
    }
}

/* Busy-poll: right after a request or a reply, looks again and again
 * without sleeping until busy_poll_us have passed or the next timer is due
 * (`timeout` ms after self->now), so a timer never runs later than it
 * would have. Returns the last zmq_poll's result: > 0 traffic, 0 nothing
 * came in time (the caller returns and the next turn sleeps), -1 error. */
static int s_busy_poll(zw_broker_t *self, zmq_pollitem_t *items, int nitems, int timeout)
{
    int64_t until = self->spin_until_ns;
    int64_t timer_due = (self->now + timeout) * 1000000;
    if (timer_due < until)
        until = timer_due;
    self->spin_until_ns = 0;
    for (;;) {
        int rc = zmq_poll(items, nitems, 0);
        if (rc != 0 || zw_broker_clock_ns() >= until)
            return rc;
        /* Whatever else is runnable on this CPU goes first: often it is a
         * libzmq I/O thread carrying the very message awaited, and a
         * spinning thread must not make it wait for a time slice. */
        sched_yield();
    }
}

int zw_broker_run_once(zw_broker_t *self, zw_err_t *err)
{
    self->now = zw_broker_clock_ms();
    int timeout = s_timers(self);
    /* CURVE: the ZAP handler shares the loop; handshakes wait on it. */
    zw_auth_zap_t *zap = zw_auth_zap(self->auth);
    zmq_pollitem_t items[2] = {{self->router, 0, ZMQ_POLLIN, 0},
                               {zap ? zw_auth_zap_socket(zap) : NULL, 0, ZMQ_POLLIN, 0}};
    int nitems = zap ? 2 : 1;
    int rc = self->spin_until_ns ? s_busy_poll(self, items, nitems, timeout)
                                 : zmq_poll(items, nitems, timeout);
    if (rc < 0) {
        if (errno == EINTR)
            return 0;
        return zw_err_set(err, ZW_INTERNAL, "zmq_poll: %s", zmq_strerror(errno));
    }
    if (zap && (items[1].revents & ZMQ_POLLIN))
        zw_auth_zap_handle(zap);
    uint64_t served = self->totals.requests + self->totals.replies;
    for (int i = 0; rc > 0 && (items[0].revents & ZMQ_POLLIN) && i < S_BATCH; i++) {
        long n = s_recv(self);
        self->now = zw_broker_clock_ms();
        if (n == -2)
            continue;
        if (n == 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
            break;
        if (n < 0)
            return zw_err_set(err, ZW_INTERNAL, "zmq_msg_recv: %s", zmq_strerror(errno));
        s_handle(self, self->frames, (size_t) n);
        for (long j = 0; j < n; j++)
            zmq_msg_close(&self->frames[j]);
    }
    /* Only requests and replies start a busy-poll: heartbeats come from
     * every idle worker, and an idle broker must sleep. */
    if (self->opts.busy_poll_us > 0 && self->totals.requests + self->totals.replies != served)
        self->spin_until_ns = zw_broker_clock_ns() + (int64_t) self->opts.busy_poll_us * 1000;
    s_timers(self);
    return 0;
}
