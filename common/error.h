/* zw_err: the error every zwfw function reports.
 *
 * Codes are the canonical gRPC codes (proto enum zwfw.v1.Code); the message
 * is for people, the detail for machines (a field name, a limit). Functions
 * that can fail take a `zw_err_t *err` (which may be NULL) and return 0 on
 * success or -1 with *err filled in. A zw_err_t owns no heap memory. */
#ifndef ZW_ERROR_H
#define ZW_ERROR_H

#include <stdarg.h>

typedef enum {
    ZW_OK = 0,
    ZW_CANCELLED = 1,
    ZW_UNKNOWN = 2,
    ZW_INVALID_ARGUMENT = 3,
    ZW_DEADLINE_EXCEEDED = 4,
    ZW_NOT_FOUND = 5,
    ZW_ALREADY_EXISTS = 6,
    ZW_PERMISSION_DENIED = 7,
    ZW_RESOURCE_EXHAUSTED = 8,
    ZW_FAILED_PRECONDITION = 9,
    ZW_ABORTED = 10,
    ZW_OUT_OF_RANGE = 11,
    ZW_UNIMPLEMENTED = 12,
    ZW_INTERNAL = 13,
    ZW_UNAVAILABLE = 14,
    ZW_DATA_LOSS = 15,
    ZW_UNAUTHENTICATED = 16,
} zw_code_t;

typedef struct {
    zw_code_t code;
    char message[256]; /* for people */
    char detail[128];  /* for machines, e.g. the offending field; may be "" */
} zw_err_t;

/* Fills *err (if not NULL) and returns -1, so callers can write
 * `return zw_err_set(err, ZW_NOT_FOUND, "no item %s", code);`. */
int zw_err_set(zw_err_t *err, zw_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Same, and records a machine-readable detail (e.g. a field path). */
int zw_err_setd(zw_err_t *err, zw_code_t code, const char *detail, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Resets *err to ZW_OK with empty strings. */
void zw_err_clear(zw_err_t *err);

/* "INVALID_ARGUMENT" etc.; "UNKNOWN" for a value outside the enum. Static. */
const char *zw_code_name(zw_code_t code);

/* Parses a code name as zw_code_name prints it; -1 if unknown. */
int zw_code_from_name(const char *name);

#endif
