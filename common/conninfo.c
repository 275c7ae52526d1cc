#include "conninfo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool s_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Appends n bytes to a malloc'd string being built. */
static void s_append(char **out, size_t *len, const char *s, size_t n)
{
    if (!*out)
        return;
    char *p = realloc(*out, *len + n + 1);
    if (!p) {
        free(*out);
        *out = NULL;
        return;
    }
    memcpy(p + *len, s, n);
    *len += n;
    p[*len] = '\0';
    *out = p;
}

/* Masks password values in a libpq URI: the userinfo's ":password" and any
 * "password=" query parameter. */
static char *s_mask_uri(const char *s)
{
    size_t len = 0;
    char *out = calloc(1, 1);
    const char *p = strstr(s, "://") + 3;
    size_t auth_len = strcspn(p, "/?#");
    const char *at = NULL;
    for (const char *q = p; q < p + auth_len; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(p, ':', (size_t) (at - p)) : NULL;
    if (colon) {
        s_append(&out, &len, s, (size_t) (colon + 1 - s));
        s_append(&out, &len, "***", 3);
        s = at;
    }
    const char *query = strchr(s, '?');
    if (!query) {
        s_append(&out, &len, s, strlen(s));
        return out;
    }
    s_append(&out, &len, s, (size_t) (query + 1 - s));
    for (const char *q = query + 1; *q;) {
        size_t n = strcspn(q, "&");
        if (n >= 9 && strncmp(q, "password=", 9) == 0) {
            s_append(&out, &len, q, 9);
            s_append(&out, &len, "***", 3);
        } else
            s_append(&out, &len, q, n);
        q += n;
        if (*q == '&') {
            s_append(&out, &len, "&", 1);
            q++;
        }
    }
    return out;
}

char *zw_conninfo_mask(const char *s)
{
    if (!s)
        return NULL;
    if (!strncmp(s, "postgresql://", 13) || !strncmp(s, "postgres://", 11))
        return s_mask_uri(s);
    size_t len = 0;
    char *out = calloc(1, 1);
    const char *p = s;
    while (s_is_space(*p))
        p++;
    s_append(&out, &len, s, (size_t) (p - s));
    while (*p) {
        const char *key = p;
        while (*p && *p != '=' && !s_is_space(*p))
            p++;
        size_t keylen = (size_t) (p - key);
        while (s_is_space(*p))
            p++;
        if (keylen == 0 || *p != '=')
            goto unparsable;
        p++;
        while (s_is_space(*p))
            p++;
        const char *value = p;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p != '\'')
                goto unparsable;
            p++;
        } else {
            for (; *p && !s_is_space(*p); p++)
                if (*p == '\\' && p[1])
                    p++;
        }
        bool secret = keylen == 8 && strncmp(key, "password", 8) == 0;
        if (secret) {
            s_append(&out, &len, key, (size_t) (value - key));
            s_append(&out, &len, "***", 3);
        } else
            s_append(&out, &len, key, (size_t) (p - key));
        const char *gap = p;
        while (s_is_space(*p))
            p++;
        s_append(&out, &len, gap, (size_t) (p - gap));
    }
    return out;
unparsable:
    free(out);
    return strdup("***");
}
