/* zw_auth_keys: CURVE key pairs, their files, and the socket options that
 * use them.
 *
 * Keys are Z85 text (ZeroMQ RFC 32): 40 characters for 32 bytes. A key
 * pair NAME is two files, written by zw_auth_keys_save (zwfwctl keygen):
 *
 *   NAME.key     (mode 0644)  the public key; give it to whoever must trust it
 *     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *
 *   NAME.secret  (mode 0600)  the pair; never leaves the machine
 *     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
 *     secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
 *
 * Reading: blank lines and lines starting with '#' are skipped, lines
 * without '=' too (so czmq's zcert files, whose sections are "metadata" and
 * "curve", read as well), `name = value` lines other than public-key and
 * secret-key are ignored; the value may be in double quotes. A secret file
 * must not be readable by group or others, and its public key must be the
 * one its secret key gives. */
#ifndef ZW_AUTH_KEYS_H
#define ZW_AUTH_KEYS_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

#define ZW_AUTH_Z85_LEN 40  /* a 32-byte key in Z85 */
#define ZW_AUTH_NAME_MAX 64 /* key names: [A-Za-z0-9._-], not starting with . or - */

/* A key pair as Z85 text; secret_key is "" when only the public key is
 * known. */
typedef struct {
    char public_key[ZW_AUTH_Z85_LEN + 1];
    char secret_key[ZW_AUTH_Z85_LEN + 1];
} zw_auth_keys_t;

/* What a CURVE client needs: its own pair and the server's public key. */
typedef struct {
    zw_auth_keys_t keys;
    char server_key[ZW_AUTH_Z85_LEN + 1];
} zw_auth_client_t;

/* Whether text is exactly 40 characters of the Z85 alphabet. */
bool zw_auth_z85_ok(const char *text);

/* Whether name is a valid key name (1..ZW_AUTH_NAME_MAX characters of
 * [A-Za-z0-9._-], not starting with '.' or '-'): it names files and shows
 * up as the Caller's key_id and in logs. */
bool zw_auth_name_ok(const char *name);

/* A new random pair (zmq_curve_keypair). INTERNAL if libzmq has no CURVE. */
int zw_auth_keys_generate(zw_auth_keys_t *out, zw_err_t *err);

/* Parses key file text (len bytes; need not be NUL-terminated). `origin`
 * names it in messages (e.g. the path). With need_secret a secret-key is
 * required and checked against public-key (which may then be left out);
 * without, public-key is required and a secret-key is ignored (not kept).
 * INVALID_ARGUMENT naming the line for a malformed key or a repeated line,
 * or the missing key. */
int zw_auth_keys_parse(const char *text, size_t len, const char *origin, bool need_secret,
                       zw_auth_keys_t *out, zw_err_t *err);

/* Reads and parses the file at path. NOT_FOUND if it cannot be opened;
 * with need_secret, PERMISSION_DENIED if group or others may read it. */
int zw_auth_keys_load(const char *path, bool need_secret, zw_auth_keys_t *out, zw_err_t *err);

/* Writes DIR/NAME.secret (0600) and DIR/NAME.key (0644), creating DIR
 * (0700) if it is missing but its parent is not. Without force an existing
 * file of either name is ALREADY_EXISTS and nothing is written; with force
 * both are replaced (each atomically). INVALID_ARGUMENT for a bad name or a
 * pair without a secret key; UNAVAILABLE for I/O errors (nothing left
 * half-written). */
int zw_auth_keys_save(const zw_auth_keys_t *keys, const char *dir, const char *name, bool force,
                      zw_err_t *err);

/* A public key given as Z85 text or as the path of a key file (a file that
 * exists wins): the broker's key for --server-key. Writes the Z85 text to
 * out (ZW_AUTH_Z85_LEN + 1 bytes). */
int zw_auth_public_key_load(const char *file_or_z85, char *out, zw_err_t *err);

/* Fills *out from a secret file (the client's pair) and the server's
 * public key (file or Z85). Errors as the loaders, naming which one. */
int zw_auth_client_load(zw_auth_client_t *out, const char *secret_file, const char *server_key,
                        zw_err_t *err);

/* Makes socket a CURVE client of the server whose key is in c (sets
 * ZMQ_CURVE_SERVERKEY, _PUBLICKEY, _SECRETKEY). Call before connect.
 * INTERNAL if libzmq refuses (e.g. built without CURVE). */
int zw_auth_client_apply(const zw_auth_client_t *c, void *socket, zw_err_t *err);

/* The same as a socket hook (mdp_worker.h, mdp_client.h): arg is a
 * const zw_auth_client_t *. Returns 0 or -1. */
int zw_auth_client_hook(void *socket, void *arg);

/* Makes socket a CURVE server with this pair (ZMQ_CURVE_SERVER,
 * ZMQ_CURVE_SECRETKEY) and sets ZMQ_ZAP_DOMAIN to `domain` ("zwfw" when
 * NULL). Call before bind, after the ZAP handler is bound. */
int zw_auth_server_apply(const zw_auth_keys_t *keys, void *socket, const char *domain,
                         zw_err_t *err);

#endif
