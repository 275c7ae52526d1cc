/* zw_broker: the Majordomo broker engine (ZeroMQ RFC 7, MDP/0.1, with the
 * MMI of RFC 8), plus zwfw's additions for zwfw.* services (three-frame
 * bodies checked, a zwfw.v1.Caller frame appended, zwfw.v1.Error replies
 * when a request cannot be served).
 *
 * One ROUTER socket serves clients and workers. The engine is single
 * threaded and does no I/O other than that socket: the caller drives it by
 * calling zw_broker_run_once() in a loop and checks its own signal flags
 * between calls.
 *
 * Heartbeats (RFC 7): the broker sends HEARTBEAT to every worker it has
 * sent nothing to for heartbeat_ms, busy ones included, and any command
 * from a worker counts as its heartbeat. An idle worker not heard from for
 * heartbeat_ms * liveness is deleted. A worker holding a request is not
 * expired for silence alone, since a worker computing a reply sends
 * nothing (our worker library, and the Guide's); it is deleted, losing the
 * request (the client retries), when its connection goes away (a send to
 * it fails: ZMQ_ROUTER_MANDATORY), when it says DISCONNECT, or after
 * busy_timeout_ms if that is set. Each worker holds at most one request;
 * requests go to the least recently used idle worker of the service.
 *
 * Mode (common/auth.h): with a zw_auth_t in CURVE mode the ROUTER is a
 * CURVE server, the ZAP handler is polled with it, and every message is
 * judged by its sender's ZAP User-Id against the current key registry: a
 * message from a key no longer registered is dropped (a worker sending one
 * is disconnected), a zwfw.* request gets that key's Caller, and READY for
 * a zwfw.* service is accepted from `system` keys only. With no zw_auth_t
 * or one in plain mode the broker binds only loopback (127.0.0.0/8, ::1),
 * ipc:// and inproc:// endpoints and treats every caller as one configured
 * identity. */
#ifndef ZW_BROKER_H
#define ZW_BROKER_H

#include "auth.h"
#include "envelope.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zw_broker zw_broker_t;

/* Upper bound of zw_broker_opts_t.busy_poll_us (100 ms). */
#define ZW_BROKER_BUSY_POLL_MAX_US 100000

typedef struct {
    int heartbeat_ms;             /* HEARTBEAT to a worker sent nothing for this long */
    int liveness;                 /* an idle worker silent for heartbeat_ms * liveness is deleted */
    int busy_timeout_ms;          /* a worker holding one request this long is deleted; 0: never */
    int request_wait_ms;          /* how long a request waits for a worker of its service */
    size_t max_queue;             /* queued requests per service; more are refused */
    int64_t max_msg_size;         /* ZMQ_MAXMSGSIZE: a peer sending a larger frame is cut off */
    int busy_poll_us;             /* after a request or reply, poll this long without sleeping
                                     before blocking (0..ZW_BROKER_BUSY_POLL_MAX_US); 0: off */
    zw_identity_t plain_identity; /* every caller, in plain mode (read during new only) */
    zw_auth_t *auth;              /* borrowed, outlives the broker; NULL: plain mode */
} zw_broker_opts_t;

/* Fills *opts with the defaults: heartbeat 2500 ms, liveness 3, no busy
 * timeout, wait 5000 ms, queue 10000, 16 MiB frames, no busy-poll,
 * identity "local" / operator / 500152 / "", no auth (plain). */
void zw_broker_opts_defaults(zw_broker_opts_t *opts);

/* Creates the engine and its ROUTER socket in zmq_ctx (which the caller
 * owns and terminates after zw_broker_destroy). Nothing is bound yet. With
 * opts->auth in CURVE mode, opts->auth must have been made in the same
 * context (its ZAP handler is bound there) and the socket becomes a CURVE
 * server. Returns NULL with *err filled on bad options (INVALID_ARGUMENT)
 * or when the socket cannot be made (INTERNAL). */
zw_broker_t *zw_broker_new(void *zmq_ctx, const zw_broker_opts_t *opts, zw_err_t *err);

/* Closes the socket (linger 0: pending messages are dropped) and frees all
 * workers, services and queued requests. Accepts NULL; NULLs *self_p. */
void zw_broker_destroy(zw_broker_t **self_p);

/* Whether `endpoint` may be bound in plain mode: zw_auth_endpoint_check
 * (false, ...): tcp:// on a literal 127.0.0.0/8 address or [::1] with a
 * numeric port or '*', or any ipc:// or inproc:// name. Anything else (a
 * wildcard host, 0.0.0.0, other addresses, host or interface names, other
 * transports) is PERMISSION_DENIED (not loopback) or INVALID_ARGUMENT
 * (malformed), with a message saying why. */
int zw_broker_endpoint_check(const char *endpoint, zw_err_t *err);

/* Checks the endpoint for the broker's mode (zw_auth_bind_check: plain as
 * above; CURVE any tcp:// or ipc://), then binds it. On success the
 * address libzmq actually bound (with the real port for ":*") is written to
 * `bound` (may be NULL) as a NUL-terminated string of at most boundsz - 1
 * bytes. Errors: as zw_broker_endpoint_check, or UNAVAILABLE when libzmq
 * cannot bind (address in use, no such directory...). */
int zw_broker_bind(zw_broker_t *self, const char *endpoint, char *bound, size_t boundsz,
                   zw_err_t *err);

/* "plain" or "curve". Static string. */
const char *zw_broker_mode(const zw_broker_t *self);

/* Waits for traffic until the next timer is due (never longer than one
 * heartbeat interval), handles every message that arrived and every timer
 * that fell due (request expiry, worker expiry, heartbeats), then returns 0.
 * Returns 0 early when a signal interrupts the wait, so the caller can check
 * its flags. Returns -1 with *err (INTERNAL) only when the socket or
 * context is unusable; the caller should then exit.
 *
 * Busy-poll (opts.busy_poll_us > 0): the call after one that handled a
 * client request or a worker reply first polls without sleeping, for up to
 * busy_poll_us and never past the next timer, and returns 0 as soon as it
 * has handled what came or that time is up; the call after that waits as
 * above. So a message that follows soon after traffic is taken without the
 * thread going to sleep (on a virtual machine, waking a halted vCPU costs a
 * large part of a millisecond), heartbeats alone never start it, and an
 * idle broker sleeps as before. Timers run exactly when they would without
 * it. */
int zw_broker_run_once(zw_broker_t *self, zw_err_t *err);

/* Counters since start and current sizes. */
typedef struct {
    size_t services;          /* services with a worker or a queued request */
    size_t workers;           /* registered workers */
    size_t idle_workers;      /* of those, waiting for a request */
    size_t queued;            /* requests waiting for a worker */
    uint64_t requests;        /* client requests accepted (MMI included) */
    uint64_t replies;         /* worker replies delivered to clients */
    uint64_t dropped;         /* messages dropped (malformed, undeliverable, expired) */
    uint64_t error_replies;   /* zwfw.v1.Error replies the broker wrote itself */
    uint64_t workers_expired; /* deleted for silence or a vanished peer */
    uint64_t unregistered;    /* CURVE: messages from keys no longer registered, dropped */
} zw_broker_totals_t;

void zw_broker_totals(const zw_broker_t *self, zw_broker_totals_t *out);

/* One service's state, for zw_broker_services_each. `name` is valid only
 * during the callback. */
typedef struct {
    const char *name;
    size_t workers;
    size_t idle_workers;
    size_t queued;
} zw_broker_service_info_t;

typedef void(zw_broker_service_fn)(const zw_broker_service_info_t *info, void *arg);

/* Calls fn once per service, in no particular order. fn must not call back
 * into the broker. */
void zw_broker_services_each(const zw_broker_t *self, zw_broker_service_fn *fn, void *arg);

#endif
