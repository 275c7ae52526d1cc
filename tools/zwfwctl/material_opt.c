/* zwfwctl's --material option (material_opt.h). */
#include "material_opt.h"
#include "opt_table.h"

#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SHA-256 and size of path; 0, or -1 with a message. */
static int s_digest(const char *who, const char *path, char hex[65], int64_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: --material: cannot read %s: %s\n", who, path, strerror(errno));
        return -1;
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    unsigned char buf[65536], digest[crypto_hash_sha256_BYTES];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        crypto_hash_sha256_update(&st, buf, n);
        *size += (int64_t) n;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        fprintf(stderr, "%s: --material: cannot read %s\n", who, path);
        return -1;
    }
    crypto_hash_sha256_final(&st, digest);
    sodium_bin2hex(hex, 65, digest, sizeof digest);
    return 0;
}

static bool s_hex64(const char *s, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return false;
    return true;
}

int zw_ctl_material_parse(const char *who, const char *spec, Zwfw__V1__MaterialRef *ref,
                          zw_ctl_material_t *keep)
{
    zwfw__v1__material_ref__init(ref);
    const char *eq = strchr(spec, '='), *colon = strchr(spec, ':');
    const char *sep = eq && (!colon || eq < colon) ? eq : colon;
    if (!sep || sep == spec) {
        fprintf(stderr, "%s: --material %s: expected [ITEM/]CODE=FILE or [ITEM/]CODE:SHA256:SIZE\n",
                who, spec);
        return -1;
    }
    char *code = strndup(spec, (size_t) (sep - spec));
    if (!(keep->owned[0] = code)) {
        fprintf(stderr, "%s: out of memory\n", who);
        return -1;
    }
    ref->material_code = code;
    char *slash = strchr(code, '/');
    if (slash) { /* ITEM/CODE */
        *slash = '\0';
        ref->item_code = code;
        ref->material_code = slash + 1;
        if (!*code || !slash[1]) {
            fprintf(stderr, "%s: --material %s: ITEM/CODE with neither empty\n", who, spec);
            return -1;
        }
    }
    ref->copies = 1;
    if (sep == eq) {
        const char *path = eq + 1;
        char hex[65];
        int64_t size;
        if (s_digest(who, path, hex, &size) != 0)
            return -1;
        char *abs = realpath(path, NULL);
        const char *where = abs ? abs : path;
        const char *base = strrchr(path, '/');
        keep->owned[1] = strdup(hex);
        keep->owned[2] = malloc(strlen(where) + 8);
        keep->owned[3] = strdup(base ? base + 1 : path);
        if (keep->owned[2])
            sprintf(keep->owned[2], "file://%s", where);
        free(abs);
        if (!keep->owned[1] || !keep->owned[2] || !keep->owned[3]) {
            fprintf(stderr, "%s: out of memory\n", who);
            return -1;
        }
        ref->sha256 = keep->owned[1];
        ref->uri = keep->owned[2];
        ref->name = keep->owned[3];
        ref->size = size;
        return 0;
    }
    const char *sha = colon + 1, *c2 = strchr(sha, ':');
    if (!c2 || !s_hex64(sha, (size_t) (c2 - sha))) {
        fprintf(stderr, "%s: --material %s: expected CODE:SHA256:SIZE with SHA256 64 hex digits\n",
                who, spec);
        return -1;
    }
    long long size;
    if (zw_ctl_whole(c2 + 1, 0, LLONG_MAX, &size) != 0) {
        fprintf(stderr, "%s: --material %s: SIZE must be a byte count\n", who, spec);
        return -1;
    }
    if (!(keep->owned[1] = strndup(sha, 64))) {
        fprintf(stderr, "%s: out of memory\n", who);
        return -1;
    }
    ref->sha256 = keep->owned[1];
    ref->size = size;
    return 0;
}

void zw_ctl_material_free(zw_ctl_material_t *keep)
{
    if (!keep)
        return;
    for (size_t i = 0; i < sizeof keep->owned / sizeof keep->owned[0]; i++) {
        free(keep->owned[i]);
        keep->owned[i] = NULL;
    }
}
