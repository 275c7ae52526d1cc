/* Creating, binding and inspecting the broker engine; the protocol itself
 * is in broker.c. */
#include "broker_internal.h"

#include "mdp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int zw_broker_endpoint_check(const char *endpoint, zw_err_t *err)
{
    return zw_auth_endpoint_check(false, endpoint, err);
}

/* --- life cycle --- */

void zw_broker_opts_defaults(zw_broker_opts_t *opts)
{
    *opts = (zw_broker_opts_t){
        .heartbeat_ms = ZW_MDP_HEARTBEAT_MS,
        .liveness = ZW_MDP_LIVENESS,
        .busy_timeout_ms = 0,
        .request_wait_ms = 5000,
        .max_queue = 10000,
        .max_msg_size = 16 * 1024 * 1024,
        .busy_poll_us = 0,
        .plain_identity = {"local", "operator", "500152", ""},
    };
}

/* Every socket option in one place. With CURVE the socket becomes a CURVE
 * server here (ZMQ_CURVE_SERVER, _SECRETKEY, ZMQ_ZAP_DOMAIN): the auth
 * object bound the ZAP handler in this context when it was made, so before
 * any zw_broker_bind. */
static void *s_socket_setup(void *ctx, const zw_broker_opts_t *opts, zw_err_t *err)
{
    void *router = zmq_socket(ctx, ZMQ_ROUTER);
    if (!router) {
        zw_err_set(err, ZW_INTERNAL, "zmq_socket: %s", zmq_strerror(errno));
        return NULL;
    }
    int one = 1, zero = 0;
    int64_t maxmsg = opts->max_msg_size;
    /* MANDATORY: a send to a vanished peer fails (EHOSTUNREACH) instead of
     * being dropped silently, so a dead worker is noticed at the next send.
     * MAXMSGSIZE: a peer sending a larger frame is disconnected by libzmq
     * before the frame is buffered. LINGER 0: closing never waits. */
    if (zmq_setsockopt(router, ZMQ_ROUTER_MANDATORY, &one, sizeof one) != 0 ||
        zmq_setsockopt(router, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg) != 0 ||
        zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof zero) != 0) {
        zw_err_set(err, ZW_INTERNAL, "zmq_setsockopt: %s", zmq_strerror(errno));
        zmq_close(router);
        return NULL;
    }
    if (zw_auth_server_socket(opts->auth, router, err) != 0) {
        zmq_close(router);
        return NULL;
    }
    return router;
}

zw_broker_t *zw_broker_new(void *zmq_ctx, const zw_broker_opts_t *opts, zw_err_t *err)
{
    if (!zmq_ctx || !opts) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "broker: no context or options");
        return NULL;
    }
    if (opts->heartbeat_ms < 1 || opts->liveness < 1 || opts->busy_timeout_ms < 0 ||
        opts->request_wait_ms < 0 || opts->max_msg_size < 1 || opts->busy_poll_us < 0 ||
        opts->busy_poll_us > ZW_BROKER_BUSY_POLL_MAX_US ||
        (int64_t) opts->heartbeat_ms * opts->liveness > 24LL * 3600 * 1000) {
        zw_err_set(err, ZW_INVALID_ARGUMENT,
                   "broker: heartbeat_ms and liveness must be >= 1 (and their product at "
                   "most a day), busy_timeout_ms and request_wait_ms >= 0, max_msg_size >= 1, "
                   "busy_poll_us 0..%d",
                   ZW_BROKER_BUSY_POLL_MAX_US);
        return NULL;
    }
    zw_broker_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->opts = *opts;
    self->opts.plain_identity = (zw_identity_t){0}; /* not kept: packed below */
    self->auth = opts->auth;
    self->curve = zw_auth_is_curve(opts->auth);
    self->frames_cap = 16;
    self->frames = calloc(self->frames_cap, sizeof *self->frames);
    self->reg = zw_registry_new();
    if (!self->frames || !self->reg) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        zw_broker_destroy(&self);
        return NULL;
    }
    if (zw_envelope_caller_pack(&opts->plain_identity, &self->caller, &self->caller_len, err) !=
        0) {
        zw_broker_destroy(&self);
        return NULL;
    }
    self->router = s_socket_setup(zmq_ctx, opts, err);
    if (!self->router) {
        zw_broker_destroy(&self);
        return NULL;
    }
    self->now = self->drop_window = zw_broker_clock_ms();
    return self;
}

void zw_broker_destroy(zw_broker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_broker_t *self = *self_p;
    if (self->router)
        zmq_close(self->router);
    zw_registry_destroy(&self->reg);
    free(self->frames);
    free(self->caller);
    free(self);
    *self_p = NULL;
}

int zw_broker_bind(zw_broker_t *self, const char *endpoint, char *bound, size_t boundsz,
                   zw_err_t *err)
{
    if (zw_auth_bind_check(self->auth, endpoint, err) != 0)
        return -1;
    if (strncmp(endpoint, "tcp://[", 7) == 0) {
        int one = 1;
        zmq_setsockopt(self->router, ZMQ_IPV6, &one, sizeof one);
    }
    if (zmq_bind(self->router, endpoint) != 0)
        return zw_err_setd(err, ZW_UNAVAILABLE, "endpoint", "cannot bind %s: %s", endpoint,
                           zmq_strerror(errno));
    if (bound && boundsz) {
        size_t len = boundsz;
        if (zmq_getsockopt(self->router, ZMQ_LAST_ENDPOINT, bound, &len) != 0)
            snprintf(bound, boundsz, "%s", endpoint);
        bound[boundsz - 1] = '\0';
    }
    return 0;
}

const char *zw_broker_mode(const zw_broker_t *self)
{
    return zw_auth_mode(self->auth);
}

void zw_broker_totals(const zw_broker_t *self, zw_broker_totals_t *out)
{
    *out = self->totals;
    out->services = zw_bmap_size(self->reg->services);
    out->workers = zw_bmap_size(self->reg->workers);
    out->idle_workers = 0;
    out->queued = 0;
    size_t pos = 0;
    const zw_registry_service_t *svc;
    while ((svc = zw_bmap_next(self->reg->services, &pos)) != NULL) {
        out->idle_workers += svc->nidle;
        out->queued += svc->nqueued;
    }
}

void zw_broker_services_each(const zw_broker_t *self, zw_broker_service_fn *fn, void *arg)
{
    size_t pos = 0;
    const zw_registry_service_t *svc;
    while ((svc = zw_bmap_next(self->reg->services, &pos)) != NULL) {
        zw_broker_service_info_t info = {svc->name, svc->nworkers, svc->nidle, svc->nqueued};
        fn(&info, arg);
    }
}
