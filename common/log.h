/* zw_log: one JSON object per line on stderr.
 *
 *   {"ts":"2020-09-25T14:00:00.123+08:00","level":"info","service":"zwfw-broker",
 *    "msg":"worker expired","service_name":"zwfw.intake","worker":"a1b2"}
 *
 * ts is wall-clock time (not the business clock). Never pass personal data in
 * clear: run ID and phone numbers through zw_mask_id / zw_mask_phone first.
 * Thread-safe: each line is written with a single write(2). */
#ifndef ZW_LOG_H
#define ZW_LOG_H

#include <stddef.h>

typedef enum { ZW_LOG_DEBUG = 0, ZW_LOG_INFO, ZW_LOG_WARN, ZW_LOG_ERROR } zw_log_level_t;

/* Sets the service name written on every line (copied; NULL or "" means the
 * program's name, also used before the first call) and the lowest level
 * written (default ZW_LOG_INFO). May be called again (e.g. on SIGHUP). */
void zw_log_init(const char *service, zw_log_level_t min_level);

/* Parses "debug", "info", "warn", "error" (any case); returns -1 if none
 * matches or name is NULL. */
int zw_log_level_from_name(const char *name);

/* printf-style message, no extra fields. */
void zw_log(zw_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Message plus string fields given as NULL-terminated key/value pairs:
 *   zw_logkv(ZW_LOG_WARN, "request dropped", "reason", "bad header", NULL);
 * Keys and values are JSON-escaped; a NULL value is written as null (the
 * list still ends with a NULL key: "k", NULL, NULL). Bytes that are not
 * valid UTF-8 are written as U+FFFD. */
void zw_logkv(zw_log_level_t level, const char *msg, ...) __attribute__((sentinel));

#define zw_debug(...) zw_log(ZW_LOG_DEBUG, __VA_ARGS__)
#define zw_info(...) zw_log(ZW_LOG_INFO, __VA_ARGS__)
#define zw_warn(...) zw_log(ZW_LOG_WARN, __VA_ARGS__)
#define zw_error(...) zw_log(ZW_LOG_ERROR, __VA_ARGS__)

/* Masks an identity number for logs, events and reports: keeps the first 6
 * and the last 4 characters, the rest become '*' ("500152********123X").
 * Strings of 10 characters or fewer keep only the last 2. Writes at most
 * outsz-1 bytes plus NUL into out and returns out.
 * For both mask functions: characters are UTF-8 code points; a NULL input
 * gives ""; a string no longer than the part that would be kept (here 2
 * characters or fewer) is masked entirely; a short out truncates, never
 * splitting a character; out NULL or outsz 0 writes nothing. */
char *zw_mask_id(const char *id, char *out, size_t outsz);

/* Masks a phone number: keeps the first 3 and last 4 digits of an 11-digit
 * mobile ("138****5678"); other lengths keep only the last 4. Returns out. */
char *zw_mask_phone(const char *phone, char *out, size_t outsz);

#endif
