/* zw_worker: the worker side of the Majordomo Protocol (ZeroMQ RFC 7,
 * MDP/0.1) for a zwfw daemon.
 *
 * A daemon creates one zw_worker_t per service it serves. The worker runs
 * `threads` threads; each owns its own handler context (made by the
 * factory, e.g. its own database connection) and one DEALER worker socket
 * per broker endpoint, so every broker sees `threads` workers of the
 * service and the daemon works on at most `threads` requests at once.
 * A thread handles one request at a time (RFC 7), in the order they come.
 *
 * Per socket, exactly as RFC 7 says: READY with the service name on
 * connect; HEARTBEAT after heartbeat_ms without sending anything; the broker
 * is taken for dead after heartbeat_ms * liveness without hearing from it,
 * and then (as on DISCONNECT from the broker) the socket is closed and,
 * after a back-off that doubles from reconnect_ms up to reconnect_max_ms,
 * a new one connects and sends READY again. While a handler runs its thread
 * sends nothing, so a broker must not expire a worker that holds a request
 * for heartbeat silence alone (the Guide's broker does not).
 *
 * zwfw.* services: a REQUEST body must be [request id][type name]
 * [protobuf][Caller] (the broker appends the packed zwfw.v1.Caller). The
 * library decodes it and calls `handler` with a zw_request_t; the handler
 * fills the zw_reply_t, and the library sends [request id][type][bytes].
 * A body of another shape, or an undecodable Caller, is answered with
 * INVALID_ARGUMENT (when there is a request id to answer). Type
 * zwfw.v1.HealthRequest is answered by the library (health.h) and never
 * reaches the handler.
 *
 * Any other service (raw mode, plain RFC 7): `raw_handler` gets the body
 * frames as they came and returns the reply body frames.
 *
 * With cfg.curve every socket is a CURVE client of the broker (the broker
 * must have the worker's public key in its registry). A refused key gets
 * no answer at all, so the worker sees it as a dead broker: it logs
 * "broker silent; reconnecting" and reconnects with back-off.
 *
 * All sockets live in the caller's ZeroMQ context; each is used only by the
 * thread that made it. Linger is short (ZW_WORKER_LINGER_MS) so a stopping
 * daemon never hangs on a dead broker. */
#ifndef ZW_MDP_WORKER_H
#define ZW_MDP_WORKER_H

#include "auth_keys.h"
#include "error.h"
#include "health.h"
#include "mdp_frames.h"
#include "mdp_reply.h"
#include "zwfw/v1/common.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZW_WORKER_LINGER_MS 200
/* Limits on the request id and type name frames of a zwfw request. */
#define ZW_WORKER_ID_MAX 128
#define ZW_WORKER_TYPE_MAX 256

typedef struct zw_worker zw_worker_t;

/* zwfw mode: fill `reply` with one of the zw_reply_* calls (mdp_reply.h).
 * A handler that leaves it empty makes the client get INTERNAL. Runs on the
 * worker thread with that thread's context. */
typedef void(zw_worker_handler_fn)(void *ctx, const zw_request_t *req, zw_reply_t *reply);

/* Raw mode: request holds the body frames (owned by the library); append
 * the reply body to `reply` (empty on entry, owned by the library). Return
 * 0 to send it, or -1 to send nothing: the worker then sends DISCONNECT and
 * registers again on a new socket, since the broker would otherwise count
 * it busy for ever (the client's retry goes elsewhere). A reply with no
 * frames is sent as one empty frame. */
typedef int(zw_worker_raw_fn)(void *ctx, const zw_frames_t *request, zw_frames_t *reply,
                              int thread_index);

typedef struct {
    const char *service;          /* required; "zwfw.*" selects zwfw mode */
    const char *const *endpoints; /* broker endpoints, at least one */
    size_t n_endpoints;
    int threads;                   /* >= 1 */
    int heartbeat_ms;              /* 0: ZW_MDP_HEARTBEAT_MS */
    int liveness;                  /* 0: ZW_MDP_LIVENESS */
    int reconnect_ms;              /* first back-off; 0: 250 */
    int reconnect_max_ms;          /* back-off cap; 0: 5000 */
    zw_worker_handler_fn *handler; /* required in zwfw mode */
    zw_worker_raw_fn *raw_handler; /* required in raw mode */
    /* Per-thread context: ctx_new(arg, i) runs in zw_worker_start for each
     * thread i; NULL from it fails the start. Without ctx_new every thread's
     * context is arg. ctx_destroy (optional) runs in zw_worker_stop after
     * the threads are joined. */
    void *(*ctx_new)(void *arg, int thread_index);
    void (*ctx_destroy)(void *ctx, void *arg);
    void *arg;
    zw_health_probe_t health; /* probes for HealthRequest; may be all NULL */
    /* Called on each new socket before it connects (after the CURVE keys
     * below are set); -1 makes that connection attempt fail and back off. */
    int (*socket_hook)(void *socket, void *arg);
    /* CURVE (auth_keys.h): the worker's key pair and the broker's public
     * key, set on every socket before it connects; copied by
     * zw_worker_new, which checks that all three keys are Z85. NULL:
     * plain. The broker takes zwfw.* READYs only from `system` keys. */
    const zw_auth_client_t *curve;
    /* After sending a reply, a thread polls its sockets without sleeping
     * for up to this many microseconds (never past its next heartbeat or
     * expiry) before it blocks, so a request that follows soon is taken
     * without a wake-up. Costs that CPU after every request. 0 (the
     * default): off. At most ZW_WORKER_BUSY_POLL_MAX_US. */
    int busy_poll_us;
} zw_worker_config_t;

#define ZW_WORKER_BUSY_POLL_MAX_US 100000

/* Checks and copies cfg (strings and the endpoint list are copied; the
 * callbacks and arg are kept). zmq_ctx is the caller's and must outlive the
 * worker. NULL with *err INVALID_ARGUMENT on a bad configuration. */
zw_worker_t *zw_worker_new(void *zmq_ctx, const zw_worker_config_t *cfg, zw_err_t *err);

/* Makes the thread contexts and starts the threads. Returns -1 (nothing
 * left running) if a context cannot be made or a thread not started, or if
 * already started. */
int zw_worker_start(zw_worker_t *self, zw_err_t *err);

/* Asks every thread to stop, waits while each finishes the request in
 * hand (taking no new one), sends DISCONNECT to every broker, closes its
 * sockets, joins the threads and destroys the contexts. Safe to call when not started or more
 * than once. Not async-signal-safe: call it from main after a signal set a
 * flag. */
void zw_worker_stop(zw_worker_t *self);

/* Stops (if running) and frees. Accepts NULL; NULLs *self_p. */
void zw_worker_destroy(zw_worker_t **self_p);

/* Requests handled (replied to, errors included) since start, all threads. */
uint64_t zw_worker_requests(const zw_worker_t *self);

/* For a zwfw handler's dispatch: the answer to a type the service does not
 * serve (unknown, or another service's): UNIMPLEMENTED, message "<service>
 * does not serve <type>", details["detail"] = "type". Every zwfw service
 * ends its dispatch here, so all of them answer such requests alike. */
void zw_worker_reply_unimplemented(const zw_request_t *req, zw_reply_t *reply);

#endif
