#include "wire_text.h"

#include "date.h"

#include <stdio.h>
#include <string.h>

bool zw_wire_text_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

/* Length of the UTF-8 sequence that starts with byte c; 0 if c cannot
 * start one. */
static size_t s_utf8_len(unsigned char c)
{
    return c < 0x80             ? 1
           : (c & 0xE0) == 0xC0 ? 2
           : (c & 0xF0) == 0xE0 ? 3
           : (c & 0xF8) == 0xF0 ? 4
                                : 0;
}

void zw_wire_text_utf8_scrub(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t len = s_utf8_len((unsigned char) s[i]);
        if (len && len <= n - i && zw_wire_text_utf8_valid(s + i, len)) {
            i += len;
        } else {
            s[i++] = '?';
        }
    }
}

char *zw_wire_text_clip(const char *in, size_t max_chars, bool one_line, char *out)
{
    size_t n = in ? strnlen(in, ZW_WIRE_TEXT_CLIP_BYTES(max_chars) - 1) : 0;
    memcpy(out, in ? in : "", n);
    out[n] = '\0';
    zw_wire_text_utf8_scrub(out);
    size_t chars = 0, o = 0;
    for (size_t i = 0; out[i] && chars < max_chars; chars++) {
        unsigned char c = (unsigned char) out[i];
        size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; /* scrubbed: well-formed */
        /* C0 and DEL; C1 is U+0080-U+009F, UTF-8 C2 80..C2 9F */
        bool ctrl = c < 0x20 || c == 0x7F || (c == 0xC2 && (unsigned char) out[i + 1] <= 0x9F);
        if (one_line && ctrl) {
            out[o++] = ' ';
        } else {
            memmove(out + o, out + i, len);
            o += len;
        }
        i += len;
    }
    out[o] = '\0';
    return out;
}

static const char s_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t zw_wire_text_base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t) in[i] << 16 | (uint32_t) in[i + 1] << 8 | in[i + 2];
        out[o++] = s_b64[v >> 18 & 63];
        out[o++] = s_b64[v >> 12 & 63];
        out[o++] = s_b64[v >> 6 & 63];
        out[o++] = s_b64[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t) in[i] << 16 | (i + 1 < n ? (uint32_t) in[i + 1] << 8 : 0);
        out[o++] = s_b64[v >> 18 & 63];
        out[o++] = s_b64[v >> 12 & 63];
        out[o++] = i + 1 < n ? s_b64[v >> 6 & 63] : '=';
        out[o++] = '=';
    }
    out[o] = '\0';
    return o;
}

static int s_b64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

int zw_wire_text_base64_decode(const char *in, size_t n, uint8_t *out, size_t *out_len)
{
    /* Padding, when present, must complete the last quantum exactly. */
    size_t pad = 0;
    while (n > 0 && in[n - 1] == '=' && pad < 2)
        n--, pad++;
    if (pad > 0 && (n + pad) % 4 != 0)
        return -1;
    if (n % 4 == 1)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = s_b64_value(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t) v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t) (acc >> bits);
        }
    }
    *out_len = o;
    return 0;
}

static bool s_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int s_month_days(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && s_leap(y) ? 29 : days[m - 1];
}

bool zw_wire_text_date_valid(int y, int m, int d)
{
    return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= s_month_days(y, m);
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back
 * (H. Hinnant's algorithms; no timegm, no time zone database). */
int zw_wire_text_format_date(int y, int m, int d, char *out)
{
    if (!zw_wire_text_date_valid(y, m, d))
        return -1;
    snprintf(out, ZW_WIRE_TEXT_DATE_LEN, "%04d-%02d-%02d", y, m, d);
    return 0;
}

/* Reads exactly n decimal digits. */
static int s_digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int s_parse_ymd(const char *s, int *y, int *m, int *d)
{
    if (s_digits(s, 4, y) || s[4] != '-' || s_digits(s + 5, 2, m) || s[7] != '-' ||
        s_digits(s + 8, 2, d))
        return -1;
    return zw_wire_text_date_valid(*y, *m, *d) ? 0 : -1;
}

int zw_wire_text_parse_date(const char *s, int *y, int *m, int *d)
{
    if (strlen(s) != 10)
        return -1;
    return s_parse_ymd(s, y, m, d);
}

int zw_wire_text_format_time(int64_t seconds, int32_t nanos, char *out)
{
    if (seconds < ZW_WIRE_TEXT_TIME_MIN || seconds > ZW_WIRE_TEXT_TIME_MAX || nanos < 0 ||
        nanos > 999999999)
        return -1;
    int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0)
        rem += 86400, days--;
    int y, m, d;
    zw_date_t civil = zw_date_from_days(days);
    y = civil.year;
    m = civil.month;
    d = civil.day;
    int n = snprintf(out, ZW_WIRE_TEXT_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d,
                     (int) (rem / 3600), (int) (rem / 60 % 60), (int) (rem % 60));
    if (nanos == 0)
        snprintf(out + n, (size_t) (ZW_WIRE_TEXT_TIME_LEN - n), "Z");
    else if (nanos % 1000000 == 0)
        snprintf(out + n, (size_t) (ZW_WIRE_TEXT_TIME_LEN - n), ".%03dZ", nanos / 1000000);
    else if (nanos % 1000 == 0)
        snprintf(out + n, (size_t) (ZW_WIRE_TEXT_TIME_LEN - n), ".%06dZ", nanos / 1000);
    else
        snprintf(out + n, (size_t) (ZW_WIRE_TEXT_TIME_LEN - n), ".%09dZ", nanos);
    return 0;
}

int zw_wire_text_parse_time(const char *s, int64_t *seconds, int32_t *nanos)
{
    int y, mo, d, h, mi, se;
    if (strlen(s) < 20 || s_parse_ymd(s, &y, &mo, &d) || (s[10] != 'T' && s[10] != 't') ||
        s_digits(s + 11, 2, &h) || s[13] != ':' || s_digits(s + 14, 2, &mi) || s[16] != ':' ||
        s_digits(s + 17, 2, &se) || h > 23 || mi > 59 || se > 59)
        return -1;
    const char *p = s + 19;
    int32_t frac = 0;
    if (*p == '.') {
        int ndig = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, ndig++) {
            if (ndig == 9)
                return -1;
            frac = frac * 10 + (*p - '0');
        }
        if (ndig == 0)
            return -1;
        for (; ndig < 9; ndig++)
            frac *= 10;
    }
    int64_t offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (s_digits(p + 1, 2, &oh) || p[3] != ':' || s_digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = (*p == '-' ? -1 : 1) * (int64_t) (oh * 3600 + om * 60);
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0')
        return -1;
    int64_t t = zw_date_to_days((zw_date_t){y, mo, d}) * 86400 + h * 3600 + mi * 60 + se - offset;
    if (t < ZW_WIRE_TEXT_TIME_MIN || t > ZW_WIRE_TEXT_TIME_MAX)
        return -1;
    *seconds = t;
    *nanos = frac;
    return 0;
}
