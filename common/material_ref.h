/* zw_material_ref: the check every service applies to a material reference
 * (zwfw.v1.MaterialRef) a request hands in. DOMAIN.md: materials travel as
 * references (type, content hash, size, where stored), never as bytes; a
 * reference one service refuses must not be stored by another, so intake
 * (SubmitApplication, SupplementMaterials) and workflow (Act) both check
 * here. Pure: no I/O, no allocation; thread-safe. */
#ifndef ZW_MATERIAL_REF_H
#define ZW_MATERIAL_REF_H

#include "error.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdint.h>

#define ZW_MATERIAL_REF_MAX_CODE 128       /* material_code, bytes */
#define ZW_MATERIAL_REF_MAX_NAME_CHARS 200 /* name, characters ... */
#define ZW_MATERIAL_REF_MAX_NAME 400       /* ... and bytes */
#define ZW_MATERIAL_REF_MAX_MEDIA 100      /* media_type, bytes */
#define ZW_MATERIAL_REF_MAX_URI 1000       /* uri, bytes (and characters) */
#define ZW_MATERIAL_REF_MAX_COPIES 1000
#define ZW_MATERIAL_REF_MAX_SIZE (INT64_C(1) << 40) /* 1 TiB: a reference, not a file */

/* 0 if m is a reference zwfw stores, else -1 with *err (may be NULL)
 * INVALID_ARGUMENT, detail "<path>.<field>" (path e.g. "materials[2]", at
 * most 80 bytes; a NULL m: detail path, "missing") and a message that
 * starts with that detail. In order:
 *   material_code  1-128 bytes of [A-Za-z0-9_.:-]
 *   name           optional; UTF-8 text without control characters, at
 *                  most 200 characters and 400 bytes
 *   media_type     optional; at most 100 bytes of letters, digits and
 *                  !#$&^_.+-/=; and space (e.g. application/pdf)
 *   sha256         exactly 64 lower-case hex digits
 *   size           0 .. 1 TiB
 *   uri            optional; text as name, at most 1000 bytes
 *   copies         0 .. 1000
 * item_code (a bundle's) is the caller's to check: only a bundle gives it
 * a meaning. The messages never repeat the values. */
int zw_material_ref_check(const Zwfw__V1__MaterialRef *m, const char *path, zw_err_t *err);

#endif
