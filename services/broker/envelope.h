/* zw_envelope: the protobuf frames the broker itself writes into zwfw
 * traffic: the zwfw.v1.Caller it appends to requests for zwfw.* services,
 * and the zwfw.v1.Error it answers with when it cannot serve one. */
#ifndef ZW_ENVELOPE_H
#define ZW_ENVELOPE_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

/* Who a caller is, as plain strings: the configured identity of plain
 * mode. (With CURVE each registry entry carries its packed Caller:
 * common/auth_registry.h.) */
typedef struct {
    const char *key_id;
    const char *role; /* "window", "approver", ..., "system", "integrator" */
    const char *region;
    const char *department;
} zw_identity_t;

/* Maps a role name (lower case, as in DESIGN.md) to its zwfw.v1.Role value;
 * -1 if the name is not a role. (zw_access_role_from_name.) */
int zw_envelope_role_from_name(const char *name);

/* Packs a zwfw.v1.Caller for `who` into a malloc'd buffer that the caller
 * frees (*out; *out_len bytes, may be 0 for an all-default message).
 * INVALID_ARGUMENT for an unknown role; RESOURCE_EXHAUSTED when out of
 * memory. */
int zw_envelope_caller_pack(const zw_identity_t *who, uint8_t **out, size_t *out_len,
                            zw_err_t *err);

/* Packs a zwfw.v1.Error {code, message, details{"service": service,
 * "detail": detail}} (each detail left out when NULL) into a malloc'd
 * buffer the caller frees. Returns 0, or -1 when out of memory. */
int zw_envelope_error_pack(zw_code_t code, const char *message, const char *service,
                           const char *detail, uint8_t **out, size_t *out_len);

#endif
