#include "error.h"

#include <stdio.h>
#include <string.h>

static const char *s_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

#define S_NCODES ((int) (sizeof s_names / sizeof s_names[0]))

static void s_vset(zw_err_t *err, zw_code_t code, const char *detail, const char *fmt, va_list ap)
{
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    snprintf(err->detail, sizeof err->detail, "%s", detail ? detail : "");
}

int zw_err_set(zw_err_t *err, zw_code_t code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        s_vset(err, code, NULL, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int zw_err_setd(zw_err_t *err, zw_code_t code, const char *detail, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        s_vset(err, code, detail, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void zw_err_clear(zw_err_t *err)
{
    if (err) {
        err->code = ZW_OK;
        err->message[0] = '\0';
        err->detail[0] = '\0';
    }
}

const char *zw_code_name(zw_code_t code)
{
    if ((int) code < 0 || (int) code >= S_NCODES)
        return "UNKNOWN";
    return s_names[code];
}

int zw_code_from_name(const char *name)
{
    for (int i = 0; name && i < S_NCODES; i++)
        if (strcmp(name, s_names[i]) == 0)
            return i;
    return -1;
}
