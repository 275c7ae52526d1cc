#include "material_ref.h"
#include "validate.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int s_bad(zw_err_t *err, const char *field, const char *what)
{
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s: %s", field, what);
}

static bool s_all(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

static bool s_token_ok(const char *text, size_t max)
{
    if (!text || !*text)
        return false;
    size_t n = strlen(text);
    return n <= max &&
           s_all(text, n, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:-");
}

/* Optional text: empty, or at most max_chars characters and max_bytes bytes. */
static bool s_text_ok(const char *text, size_t max_chars, size_t max_bytes)
{
    if (!text || !*text)
        return true;
    if (strlen(text) > max_bytes)
        return false;
    long n = zw_validate_text_chars(text);
    return n >= 0 && (size_t) n <= max_chars;
}

int zw_material_ref_check(const Zwfw__V1__MaterialRef *m, const char *path, zw_err_t *err)
{
    char field[112];
    if (!path)
        path = "material";
    if (!m)
        return s_bad(err, path, "missing");
#define S_FIELD(name) (snprintf(field, sizeof field, "%.80s." name, path), field)
    if (!s_token_ok(m->material_code, ZW_MATERIAL_REF_MAX_CODE))
        return s_bad(err, S_FIELD("material_code"),
                     "1-128 characters of letters, digits, '_', '.', ':' or '-'");
    if (!s_text_ok(m->name, ZW_MATERIAL_REF_MAX_NAME_CHARS, ZW_MATERIAL_REF_MAX_NAME))
        return s_bad(err, S_FIELD("name"), "at most 200 characters of text");
    size_t media = m->media_type ? strlen(m->media_type) : 0;
    if (media && (media > ZW_MATERIAL_REF_MAX_MEDIA ||
                  !s_all(m->media_type, media,
                         "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "!#$&^_.+-/=; ")))
        return s_bad(err, S_FIELD("media_type"), "not a media type (e.g. application/pdf)");
    if (!m->sha256 || strlen(m->sha256) != 64 || !s_all(m->sha256, 64, "0123456789abcdef"))
        return s_bad(err, S_FIELD("sha256"), "must be 64 lower-case hex digits");
    if (m->size < 0 || m->size > ZW_MATERIAL_REF_MAX_SIZE)
        return s_bad(err, S_FIELD("size"), "must be 0 or more bytes (at most 1 TiB)");
    if (!s_text_ok(m->uri, ZW_MATERIAL_REF_MAX_URI, ZW_MATERIAL_REF_MAX_URI))
        return s_bad(err, S_FIELD("uri"), "at most 1000 bytes of text");
    if (m->copies < 0 || m->copies > ZW_MATERIAL_REF_MAX_COPIES)
        return s_bad(err, S_FIELD("copies"), "must be 0-1000");
#undef S_FIELD
    return 0;
}
