/* zw_client: the client side of the Majordomo Protocol (ZeroMQ RFC 7,
 * MDP/0.1) for zwfw, asynchronous, with Lazy Pirate retries and fail-over.
 *
 * One DEALER socket carries any number of requests in flight. A zwfw
 * request body is [request id][type name][protobuf]; the request id is made
 * here (a random prefix per client and a counter, so ids never repeat) and
 * the worker echoes it, which is how replies that come back out of order
 * find their request. A raw request (any body, for non-zwfw services and
 * MMI) carries no id: its reply is matched to the oldest raw request in
 * flight to the same service, so keep one raw request per service in flight
 * when their order matters.
 *
 * Every request waits timeout_ms for its reply. When one does not come,
 * the client closes its socket (dropping whatever the old one still had
 * queued), connects a new one to the next endpoint in the list (round
 * robin; the same one when there is only one), and sends every request
 * still in flight again, byte for byte (same request id: the idempotency
 * key inside the protobuf makes the retry safe). A request whose reply
 * did not come after `retries` resends completes with DEADLINE_EXCEEDED,
 * "no reply from SERVICE within N ms", N = timeout_ms * (retries + 1).
 *
 * Nothing runs in the background: retries happen inside zw_client_recv and
 * the calls. A client and its replies belong to one thread at a time. */
#ifndef ZW_MDP_CLIENT_H
#define ZW_MDP_CLIENT_H

#include "auth_keys.h"
#include "error.h"
#include "mdp_frames.h"
#include "zwfw/v1/common.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for a request id, NUL included. */
#define ZW_CLIENT_ID_LEN 48
/* Longer than the broker's default wait for a free worker (5 s), so a
 * caller sees its UNAVAILABLE rather than timing out just before it. */
#define ZW_CLIENT_TIMEOUT_MS 7000
#define ZW_CLIENT_RETRIES 2

typedef struct zw_client zw_client_t;

/* A finished request: a reply, an Error reply, or a request given up. */
typedef struct {
    char request_id[ZW_CLIENT_ID_LEN]; /* as zw_client_send* returned it */
    char *service;                     /* the service it was sent to */
    bool raw;                          /* sent with zw_client_send_raw */
    /* ZW_OK for a reply; the Error's code, message and detail for a
     * zwfw.v1.Error reply; DEADLINE_EXCEEDED when every try timed out;
     * INTERNAL for a reply that is not three frames. */
    zw_err_t err;
    Zwfw__V1__Error *error; /* the decoded Error (all its details); else NULL */
    char *type;             /* zwfw reply: its type name; else NULL */
    const uint8_t *data;    /* zwfw reply: the protobuf bytes (in frames) */
    size_t len;
    zw_frames_t *frames; /* the reply body as received; NULL if none came */
} zw_client_reply_t;

/* Frees the reply and everything in it. Accepts NULL; NULLs *self_p. */
void zw_client_reply_destroy(zw_client_reply_t **self_p);

/* A client for the broker endpoints (tried in this order; copied), in the
 * caller's ZeroMQ context, which must outlive it. Timeout and retries
 * start at ZW_CLIENT_TIMEOUT_MS and ZW_CLIENT_RETRIES. NULL with *err on
 * no endpoint or an endpoint libzmq rejects (INVALID_ARGUMENT). */
zw_client_t *zw_client_new(void *zmq_ctx, const char *const *endpoints, size_t n_endpoints,
                           zw_err_t *err);

/* Closes the socket at once (linger 0; requests in flight are dropped)
 * and frees everything, completed replies not yet received included.
 * Accepts NULL; NULLs *self_p. */
void zw_client_destroy(zw_client_t **self_p);

/* For requests sent from now on: how long each try waits (>= 1 ms) and how
 * many times it is resent (>= 0). */
void zw_client_set_timeout(zw_client_t *self, int timeout_ms);
void zw_client_set_retries(zw_client_t *self, int retries);
int zw_client_timeout(const zw_client_t *self);
int zw_client_retries(const zw_client_t *self);

/* Called on each new socket before it connects (after the CURVE keys);
 * -1 leaves that socket unconnected (its requests time out). The current
 * socket is replaced at once by one the hook has seen (requests in flight
 * are sent again on it), so call this right after zw_client_new. */
void zw_client_set_socket_hook(zw_client_t *self, int (*hook)(void *socket, void *arg), void *arg);

/* CURVE (auth_keys.h): every socket from now on, the current one included
 * (replaced as by zw_client_set_socket_hook), is a CURVE client with the
 * client's key pair and the broker's public key in *curve (copied); NULL
 * goes back to plain. INVALID_ARGUMENT if a key is not 40 Z85 characters.
 * A broker that does not admit the key never answers: requests end in
 * DEADLINE_EXCEEDED like any unanswered request. */
int zw_client_set_curve(zw_client_t *self, const zw_auth_client_t *curve, zw_err_t *err);

/* The endpoint the current socket is connected to. Static while the
 * client lives. */
const char *zw_client_endpoint(const zw_client_t *self);

/* Requests in flight (sent, not yet finished). */
size_t zw_client_pending(const zw_client_t *self);

/* ---- asynchronous -------------------------------------------------------- */

/* Sends a zwfw request of type `type` with packed protobuf `data` to
 * `service` and writes its request id into id (ZW_CLIENT_ID_LEN bytes; may
 * be NULL). The bytes are copied. Returns 0 or -1 (INVALID_ARGUMENT for a
 * bad service or type name, RESOURCE_EXHAUSTED). A send the socket cannot
 * take now is not an error: the request waits for its retry. */
int zw_client_send(zw_client_t *self, const char *service, const char *type, const void *data,
                   size_t len, char *id, zw_err_t *err);

/* Same, packing msg (which stays the caller's); the type is msg's. */
int zw_client_send_msg(zw_client_t *self, const char *service, const ProtobufCMessage *msg,
                       char *id, zw_err_t *err);

/* Sends a raw body (copied; at least one frame) to service. id gets a
 * local id for matching the zw_client_reply_t. */
int zw_client_send_raw(zw_client_t *self, const char *service, const zw_frames_t *body, char *id,
                       zw_err_t *err);

/* Waits up to wait_ms (< 0: as long as any request is in flight) for the
 * next finished request and returns it; the caller destroys it. Handles
 * replies, timeouts, retries and fail-over meanwhile. NULL when nothing
 * finished in time (*err DEADLINE_EXCEEDED), when nothing is in flight
 * (*err NOT_FOUND) or the context is gone (*err UNAVAILABLE). */
zw_client_reply_t *zw_client_recv(zw_client_t *self, int wait_ms, zw_err_t *err);

/* Waits for the request with this id only (others that finish meanwhile
 * are kept for zw_client_recv). NULL with NOT_FOUND for an id not in
 * flight. Always ends: the request is given up after its retries. */
zw_client_reply_t *zw_client_wait(zw_client_t *self, const char *id, zw_err_t *err);

/* ---- synchronous ---------------------------------------------------------- */

/* Sends req to service and waits for its reply, which it unpacks into
 * *reply (free with protobuf_c_message_free_unpacked(*reply, NULL)) as the
 * type the reply names, found with zw_wire_find_type. Returns 0, or -1
 * with *err: the Error the service replied (code, message, a detail),
 * DEADLINE_EXCEEDED ("no reply from SERVICE within N ms"), or INTERNAL for
 * a reply that does not decode or whose type is unknown. */
int zw_client_call(zw_client_t *self, const char *service, const ProtobufCMessage *req,
                   ProtobufCMessage **reply, zw_err_t *err);

/* Same, expecting a reply of type reply_type (NULL: look it up); a reply of
 * another type is INTERNAL. */
int zw_client_call_as(zw_client_t *self, const char *service, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply,
                      zw_err_t *err);

/* Raw request/reply: sends body to service and returns the reply body in
 * *reply (the caller destroys it). -1 with DEADLINE_EXCEEDED on no reply. */
int zw_client_call_raw(zw_client_t *self, const char *service, const zw_frames_t *body,
                       zw_frames_t **reply, zw_err_t *err);

/* Asks the broker's MMI (RFC 8, mmi.service) whether `service` has a
 * worker: *exists true for "200", false for "404". -1 with *err on no reply
 * (DEADLINE_EXCEEDED) or another answer (UNIMPLEMENTED). */
int zw_client_service_exists(zw_client_t *self, const char *service, bool *exists, zw_err_t *err);

#endif
