/* zw_auth_registry: the keys a deployment admits, each with the identity
 * it gives its holder (the zwfw.v1.Caller the workers see).
 *
 * The file is JSON, written by the deployment's operator (deploy/zwfw up
 * writes the local stack's):
 *
 *   { "keys": [
 *       { "name": "intake", "public_key": "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
 *         "role": "system", "region": "500152", "department": "" },
 *       { "name": "window-07", "public_key": "...", "role": "window",
 *         "region": "500152", "comment": "service hall, window 7" } ] }
 *
 * (a bare array of entries is read the same). Per entry: `name` (required;
 * zw_auth_name_ok; becomes the Caller's key_id and the connection's ZAP
 * User-Id), `public_key` (required; 40 Z85 characters), `role` (required:
 * window, approver, head, supervisor, operator, partner, system or
 * integrator), `region` (required; a 6- or 12-digit division code),
 * `department` (optional, default ""; up to 64 printable characters) and
 * `comment` (optional, ignored). Anything else, a repeated name or a
 * repeated public key is an error naming the entry, and then no registry
 * is made: a daemon keeps the one it had.
 *
 * A registry is immutable once made; reloading makes a new one. */
#ifndef ZW_AUTH_REGISTRY_H
#define ZW_AUTH_REGISTRY_H

#include "auth_keys.h"
#include "error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct zw_auth_registry zw_auth_registry_t;

/* One registered key. Strings and caller live as long as the registry. */
typedef struct {
    const char *name;
    const char *public_key; /* Z85 */
    uint8_t public_bin[32]; /* the same, decoded (what ZAP is given) */
    int role;               /* zwfw.v1.Role */
    const char *role_name;  /* "window", ... */
    const char *region;
    const char *department; /* "" when none */
    const uint8_t *caller;  /* packed zwfw.v1.Caller {name, role, region, department} */
    size_t caller_len;
} zw_auth_entry_t;

/* Parses registry JSON (len bytes). `origin` names it in messages (e.g.
 * the path). NULL with *err INVALID_ARGUMENT (naming the entry by number,
 * from 1, and name) or RESOURCE_EXHAUSTED. */
zw_auth_registry_t *zw_auth_registry_parse(const char *json, size_t len, const char *origin,
                                           zw_err_t *err);

/* Reads and parses the file at path; NOT_FOUND if it cannot be read. */
zw_auth_registry_t *zw_auth_registry_load(const char *path, zw_err_t *err);

/* Accepts NULL; NULLs *self_p. */
void zw_auth_registry_destroy(zw_auth_registry_t **self_p);

size_t zw_auth_registry_size(const zw_auth_registry_t *self);

/* The i-th entry in file order; NULL past the end. */
const zw_auth_entry_t *zw_auth_registry_at(const zw_auth_registry_t *self, size_t i);

/* Lookups in O(log n); NULL when absent (also for a NULL registry). */
const zw_auth_entry_t *zw_auth_registry_find_name(const zw_auth_registry_t *self, const char *name);
const zw_auth_entry_t *zw_auth_registry_find_key(const zw_auth_registry_t *self,
                                                 const uint8_t key[32]);

#endif
