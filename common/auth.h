/* zw_auth: how a daemon that binds sockets knows who is talking to it.
 *
 * Two modes (DESIGN.md "Security"):
 *
 * - curve: the daemon has its own key pair (a secret key file, see
 *   auth_keys.h) and a key registry (auth_registry.h). zw_auth_new binds a
 *   ZAP handler (auth_zap.h) in the daemon's context before anything else,
 *   and fails if it cannot; every socket the daemon binds is made a CURVE
 *   server (zw_auth_server_socket) and admits registered keys only. Each
 *   message then carries its sender's key name as ZAP User-Id, which
 *   zw_auth_peer looks up in the current registry, so a key taken out of
 *   the registry and reloaded (SIGHUP) stops being served at once, also on
 *   connections admitted before.
 * - plain: no keys configured. Binding is limited to loopback, ipc:// and
 *   inproc:// (zw_auth_endpoint_check), and the daemon treats every caller
 *   as one identity from its own configuration.
 *
 * The object belongs to the daemon's main thread (the one polling the ZAP
 * socket and reading messages). */
#ifndef ZW_AUTH_H
#define ZW_AUTH_H

#include "auth_keys.h"
#include "auth_registry.h"
#include "auth_zap.h"
#include "error.h"

#include <stdbool.h>
#include <zmq.h>

typedef struct zw_auth zw_auth_t;

/* Both file names NULL or "": plain mode (nothing is bound). Both given:
 * curve mode: loads the daemon's secret key file and the registry, then
 * binds the ZAP handler in zmq_ctx (the caller's; terminate it after
 * zw_auth_destroy). NULL with *err: INVALID_ARGUMENT when only one is given
 * or a file is malformed, NOT_FOUND / PERMISSION_DENIED from the key
 * loader, FAILED_PRECONDITION when the ZAP handler cannot bind. */
zw_auth_t *zw_auth_new(void *zmq_ctx, const char *secret_key_file, const char *registry_file,
                       zw_err_t *err);

/* Accepts NULL; NULLs *self_p. */
void zw_auth_destroy(zw_auth_t **self_p);

bool zw_auth_is_curve(const zw_auth_t *self);

/* "curve" or "plain". Static string. */
const char *zw_auth_mode(const zw_auth_t *self);

/* The daemon's public key (Z85), "" in plain mode: clients need it as
 * their server key. */
const char *zw_auth_public_key(const zw_auth_t *self);

/* curve: makes socket a CURVE server with the daemon's pair (before bind).
 * plain: nothing. */
int zw_auth_server_socket(zw_auth_t *self, void *socket, zw_err_t *err);

/* Whether endpoint may be bound in this mode (see zw_auth_endpoint_check). */
int zw_auth_bind_check(const zw_auth_t *self, const char *endpoint, zw_err_t *err);

/* An event PUB socket bound to endpoint: linger 0, a CURVE server with
 * the daemon's pair in curve mode, the endpoint checked against the
 * mode's rule first. NULL with *err when it cannot be made or bound (the
 * caller closes the socket otherwise). */
void *zw_auth_bind_pub(zw_auth_t *self, void *zmq_ctx, const char *endpoint, zw_err_t *err);

/* A SUB socket for another daemon's event PUB (linger 0, not yet
 * connected or subscribed): a CURVE client of the publisher whose public
 * key is server_key (file or Z85) with this daemon's pair in secret_file
 * when server_key is not empty, else plain. NULL with *err when the keys
 * cannot be read or the socket cannot be made. Needs no zw_auth_t: a
 * subscriber binds nothing. */
void *zw_auth_sub(void *zmq_ctx, const char *server_key, const char *secret_file, zw_err_t *err);

/* The mode's rule for bind endpoints, on the text alone.
 * plain: tcp:// on a literal 127.0.0.0/8 address or [::1] with a numeric
 * port or '*', or any ipc:// or inproc:// name. A wildcard host ('*'),
 * 0.0.0.0, other addresses and host or interface names are
 * PERMISSION_DENIED, saying why; malformed text INVALID_ARGUMENT.
 * curve: tcp:// (any host) and ipc://; inproc:// is INVALID_ARGUMENT since
 * it has no handshake, so nobody could be authenticated on it. */
int zw_auth_endpoint_check(bool curve, const char *endpoint, zw_err_t *err);

/* curve: re-reads the registry file. On success new connections and every
 * message from now on are judged by the new registry and *keys (may be
 * NULL) is its size; on failure the old registry stays and *err says why.
 * plain: nothing to reload, returns 0. */
int zw_auth_reload(zw_auth_t *self, size_t *keys, zw_err_t *err);

/* The ZAP handler to poll (curve), or NULL (plain). */
zw_auth_zap_t *zw_auth_zap(zw_auth_t *self);

/* curve: the registry entry of the key that sent `frame` (a frame as the
 * peer sent it, not one a ROUTER made up: only those carry ZAP metadata);
 * NULL when the frame has no User-Id or the key is no longer registered.
 * plain: NULL. */
const zw_auth_entry_t *zw_auth_peer(const zw_auth_t *self, zmq_msg_t *frame);

/* The current registry (NULL in plain mode). Valid until the next
 * successful zw_auth_reload. */
const zw_auth_registry_t *zw_auth_registry(const zw_auth_t *self);

#endif
