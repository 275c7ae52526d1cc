/* The catalog's request fields: idempotency keys, actors, reasons, lookup
 * codes, list filters, page sizes and page tokens (catalog_rules.h). Pure
 * functions. */
#include "catalog_rules.h"
#include "validate.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int s_invalid(zw_err_t *err, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_invalid(zw_err_t *err, const char *field, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s: %s", field, what);
}

/* ---- fields ------------------------------------------------------------------ */

int zw_catalog_check_key(const char *key, zw_err_t *err)
{
    if (!key || !*key)
        return s_invalid(err, "idempotency_key",
                         "is required: every change carries one, so that a retry is safe");
    size_t n = strlen(key);
    if (n > ZW_CATALOG_KEY_MAX)
        return s_invalid(err, "idempotency_key", "is %zu bytes; at most %d", n, ZW_CATALOG_KEY_MAX);
    for (size_t i = 0; i < n; i++)
        if (key[i] <= 0x20 || key[i] >= 0x7F)
            return s_invalid(err, "idempotency_key",
                             "may hold only printable ASCII characters without blanks");
    return 0;
}

int zw_catalog_check_actor(const char *actor, zw_err_t *err)
{
    return zw_validate_actor(actor, err);
}

int zw_catalog_check_reason(const char *reason, zw_err_t *err)
{
    return zw_catalog_check_string("reason", reason, ZW_CATALOG_REASON_MAX,
                                   ZW_CATALOG_TEXT_REQUIRED | ZW_CATALOG_TEXT_NEWLINES, err);
}

int zw_catalog_check_lookup_code(const char *code, const char *field, zw_err_t *err)
{
    if (zw_catalog_check_string(field, code, 100, ZW_CATALOG_TEXT_REQUIRED, err) != 0)
        return -1;
    return 0;
}

int zw_catalog_check_text(const char *text, zw_err_t *err)
{
    return zw_catalog_check_string("text", text, ZW_CATALOG_TEXT_MAX, 0, err);
}

int zw_catalog_page_size(int32_t requested, int *size, zw_err_t *err)
{
    if (requested < 0)
        return s_invalid(err, "page_size", "must not be negative");
    *size = requested == 0                    ? ZW_CATALOG_PAGE_DEFAULT
            : requested > ZW_CATALOG_PAGE_MAX ? ZW_CATALOG_PAGE_MAX
                                              : (int) requested;
    return 0;
}

#define S_TOKEN_KEY_MAX 200

/* The query a token belongs to, as 8 hex digits (FNV-1a of its filters):
 * a token continues only the listing that gave it. */
static void s_query_mark(const char *query, char out[9])
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *) (query ? query : ""); *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(out, 9, "%08x", (unsigned) h);
}

char *zw_catalog_token_encode(char kind, const char *query, const char *last_key)
{
    char mark[9];
    s_query_mark(query, mark);
    size_t klen = strlen(last_key), rlen = klen + 11;
    char *raw = malloc(rlen + 1);
    if (!raw)
        return NULL;
    snprintf(raw, rlen + 1, "%c:%s:%s", kind, mark, last_key);
    size_t b64 = sodium_base64_ENCODED_LEN(rlen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(b64);
    if (out)
        sodium_bin2base64(out, b64, (const unsigned char *) raw, rlen,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(raw);
    return out;
}

int zw_catalog_token_decode(char kind, const char *query, const char *token, char *out,
                            size_t outsz, zw_err_t *err)
{
    if (outsz)
        out[0] = '\0';
    if (!token || !*token)
        return 0;
    unsigned char raw[S_TOKEN_KEY_MAX + 12];
    size_t len = 0;
    const char *end = NULL;
    size_t tlen = strlen(token);
    char mark[9];
    s_query_mark(query, mark);
    bool ok =
        tlen <= sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING) &&
        sodium_base642bin(raw, sizeof raw, token, tlen, NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
        end == token + tlen && len > 11 && raw[0] == (unsigned char) kind && raw[1] == ':' &&
        raw[10] == ':' && len - 11 < outsz;
    for (size_t i = 11; ok && i < len; i++)
        ok = raw[i] > 0x20 && raw[i] < 0x7F;
    if (!ok)
        return s_invalid(err, "page_token", "not a token from this listing");
    if (memcmp(raw + 2, mark, 8) != 0)
        return s_invalid(err, "page_token",
                         "belongs to a listing with other filters: ask again from the first page");
    memcpy(out, raw + 11, len - 11);
    out[len - 11] = '\0';
    return 0;
}

char *zw_catalog_like_pattern(const char *text)
{
    if (!text || !*text)
        return strdup("");
    size_t n = strlen(text);
    char *out = malloc(2 * n + 3);
    if (!out)
        return NULL;
    size_t k = 0;
    out[k++] = '%';
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\\' || text[i] == '%' || text[i] == '_')
            out[k++] = '\\';
        out[k++] = text[i];
    }
    out[k++] = '%';
    out[k] = '\0';
    return out;
}
