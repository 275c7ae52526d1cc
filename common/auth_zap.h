/* zw_auth_zap: a ZAP handler (ZeroMQ RFC 27) that admits only keys in a
 * zw_auth_registry.
 *
 * libzmq asks the handler bound at inproc://zeromq.zap.01 in the socket's
 * own context about every CURVE handshake on a server socket. The answer
 * for a registered client key is 200 with User-Id = the key's name, which
 * libzmq then attaches to every message from that connection
 * (zmq_msg_gets(msg, "User-Id")); anything else (an unknown key, another
 * mechanism, a malformed request) gets 400 and the peer is never admitted:
 * it sees silence. Without any handler bound, libzmq admits every CURVE
 * key, so a daemon must bind this before binding a CURVE socket and must
 * not run if it cannot.
 *
 * The handler has no thread of its own: it is a ROUTER socket the daemon
 * puts into its poll loop, calling zw_auth_zap_handle when it is readable.
 * It is used by that one thread only. The ZAP domain is not looked at: one
 * registry serves every CURVE socket of the context. */
#ifndef ZW_AUTH_ZAP_H
#define ZW_AUTH_ZAP_H

#include "auth_registry.h"
#include "error.h"

#include <stdint.h>

#define ZW_AUTH_ZAP_ENDPOINT "inproc://zeromq.zap.01"

typedef struct zw_auth_zap zw_auth_zap_t;

/* Binds the handler in zmq_ctx (which the caller owns and terminates after
 * destroying the handler). Until a registry is set every key is refused.
 * NULL with *err: FAILED_PRECONDITION when the address is taken (another
 * handler in this context), INTERNAL otherwise. */
zw_auth_zap_t *zw_auth_zap_new(void *zmq_ctx, zw_err_t *err);

/* Closes the socket (linger 0). Accepts NULL; NULLs *self_p. */
void zw_auth_zap_destroy(zw_auth_zap_t **self_p);

/* The socket to poll for ZMQ_POLLIN. */
void *zw_auth_zap_socket(zw_auth_zap_t *self);

/* The keys to admit from now on (borrowed: it must outlive its use here;
 * NULL refuses everyone). Connections already admitted are not affected. */
void zw_auth_zap_set_registry(zw_auth_zap_t *self, const zw_auth_registry_t *registry);

/* Answers every request waiting, without blocking; returns how many. Each
 * refusal is logged (WARN, at most 20 lines a second; the rest counted). */
int zw_auth_zap_handle(zw_auth_zap_t *self);

typedef struct {
    uint64_t admitted;
    uint64_t refused;
} zw_auth_zap_stats_t;

void zw_auth_zap_stats(const zw_auth_zap_t *self, zw_auth_zap_stats_t *out);

#endif
