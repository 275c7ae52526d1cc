/* zw_wire_text: the text forms the proto3 JSON mapping gives to non-text
 * values: base64 for bytes, RFC 3339 for zwfw.v1.Timestamp, "YYYY-MM-DD"
 * for zwfw.v1.Date, and the UTF-8 check every JSON string needs.
 *
 * Pure functions, no allocation, no locale. The timestamp forms follow the
 * proto3 JSON rules exactly (nanoseconds, years 0001-9999, output always in
 * UTC with "Z"); zw_time_parse in clock.h is the lenient, microsecond,
 * +08:00 form for people at a terminal and is deliberately separate. */
#ifndef ZW_WIRE_TEXT_H
#define ZW_WIRE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room zw_wire_text_base64_encode needs for n input bytes, NUL included. */
#define ZW_WIRE_TEXT_BASE64_LEN(n) (((n) + 2) / 3 * 4 + 1)
/* Upper bound of the bytes zw_wire_text_base64_decode writes for n chars. */
#define ZW_WIRE_TEXT_UNBASE64_LEN(n) ((n) / 4 * 3 + 3)
/* Room for the longest timestamp, "9999-12-31T23:59:59.999999999Z" + NUL. */
#define ZW_WIRE_TEXT_TIME_LEN 32
/* Room for a date, "YYYY-MM-DD" + NUL. */
#define ZW_WIRE_TEXT_DATE_LEN 11

/* Seconds since the epoch of 0001-01-01T00:00:00Z and of
 * 9999-12-31T23:59:59Z: the range proto3 JSON allows for a timestamp. */
#define ZW_WIRE_TEXT_TIME_MIN INT64_C(-62135596800)
#define ZW_WIRE_TEXT_TIME_MAX INT64_C(253402300799)

/* True if the n bytes at s are well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
bool zw_wire_text_utf8_valid(const char *s, size_t n);

/* Replaces, in place, every byte of s (NUL-terminated) that does not
 * start a well-formed UTF-8 sequence with '?', e.g. a character cut in
 * half by truncation, so that error texts quoting input stay valid. */
void zw_wire_text_utf8_scrub(char *s);

/* Copies at most max_chars characters of `in` (NULL: "") into out, which
 * must hold ZW_WIRE_TEXT_CLIP_BYTES(max_chars) bytes, made well-formed
 * UTF-8 as zw_wire_text_utf8_scrub does (also a character the cut split);
 * with one_line, control characters (C0, DEL, C1) become spaces. For free
 * text (a decision's reason) that travels on in fields of bounded length.
 * Returns out. */
#define ZW_WIRE_TEXT_CLIP_BYTES(max_chars) (4 * (size_t) (max_chars) + 1)
char *zw_wire_text_clip(const char *in, size_t max_chars, bool one_line, char *out);

/* Writes standard base64 with padding of the n bytes at in, NUL-terminated,
 * into out, which must hold ZW_WIRE_TEXT_BASE64_LEN(n) chars. Returns the
 * length written, NUL excluded. */
size_t zw_wire_text_base64_encode(const uint8_t *in, size_t n, char *out);

/* Decodes n chars of standard ('+' '/') or URL-safe ('-' '_') base64,
 * padding optional, into out, which must hold ZW_WIRE_TEXT_UNBASE64_LEN(n)
 * bytes. Returns 0 and sets *out_len, or -1 if the text is not base64. */
int zw_wire_text_base64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len);

/* True if y-m-d is a real Gregorian date with year 1..9999. */
bool zw_wire_text_date_valid(int y, int m, int d);

/* Writes "YYYY-MM-DD" into out (ZW_WIRE_TEXT_DATE_LEN chars). Returns 0, or
 * -1 (out untouched) if the date is not valid. */
int zw_wire_text_format_date(int y, int m, int d, char *out);

/* Parses exactly "YYYY-MM-DD" and checks the calendar. Returns 0 or -1. */
int zw_wire_text_parse_date(const char *s, int *y, int *m, int *d);

/* Writes the moment as RFC 3339 in UTC, e.g. "2020-09-25T06:00:00Z", with
 * 0, 3, 6 or 9 fraction digits (as few as represent nanos exactly), into
 * out (ZW_WIRE_TEXT_TIME_LEN chars). Returns 0, or -1 if seconds is outside
 * [ZW_WIRE_TEXT_TIME_MIN, ZW_WIRE_TEXT_TIME_MAX] or nanos outside
 * [0, 999999999]. */
int zw_wire_text_format_time(int64_t seconds, int32_t nanos, char *out);

/* Parses RFC 3339 "YYYY-MM-DDTHH:MM:SS[.f{1,9}](Z|+HH:MM|-HH:MM)" ('t' and
 * 'z' accepted too), converting the offset away. Returns 0, or -1 if the
 * text is malformed, names no real date or time (no leap second), or falls
 * outside the range above. */
int zw_wire_text_parse_time(const char *s, int64_t *seconds, int32_t *nanos);

#endif
