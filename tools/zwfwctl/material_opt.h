/* zwfwctl: a --material option as a zwfw.v1.MaterialRef. Materials travel
 * as references (DOMAIN.md "Intake and the clock"), never as bytes, so the
 * option names either a file (its SHA-256, size and file:// address are
 * sent; the bytes stay where they are) or a reference already known. */
#ifndef ZWFWCTL_MATERIAL_OPT_H
#define ZWFWCTL_MATERIAL_OPT_H

#include "zwfw/v1/common.pb-c.h"

/* The strings a parsed reference points into. */
typedef struct {
    char *owned[4];
} zw_ctl_material_t;

/* spec is [ITEM/]CODE=FILE or [ITEM/]CODE:SHA256:SIZE (ITEM/: the item of
 * a bundle or joint exchange it is for). Fills *ref (initialised here),
 * whose strings point into *keep and spec; who prefixes messages. 0, or -1
 * with "who: --material SPEC: why" on stderr. Needs sodium_init. The
 * caller frees *keep with zw_ctl_material_free, success or not. */
int zw_ctl_material_parse(const char *who, const char *spec, Zwfw__V1__MaterialRef *ref,
                          zw_ctl_material_t *keep);

/* Frees what *keep holds (not keep); NULL-safe; may be called twice. */
void zw_ctl_material_free(zw_ctl_material_t *keep);

#endif
