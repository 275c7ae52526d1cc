#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static char s_service[128]; /* "" until zw_log_init: the program name is used */
/* Read on every call without the lock, so a filtered-out debug line costs
 * one atomic load. */
static atomic_int s_min_level = ZW_LOG_INFO;

static const char *s_level_names[] = {"debug", "info", "warn", "error"};

static zw_log_level_t s_clamp(int level)
{
    return level < ZW_LOG_DEBUG ? ZW_LOG_DEBUG : level > ZW_LOG_ERROR ? ZW_LOG_ERROR : level;
}

void zw_log_init(const char *service, zw_log_level_t min_level)
{
    pthread_mutex_lock(&s_lock);
    snprintf(s_service, sizeof s_service, "%s", service ? service : "");
    pthread_mutex_unlock(&s_lock);
    atomic_store(&s_min_level, (int) s_clamp((int) min_level));
}

int zw_log_level_from_name(const char *name)
{
    for (int i = 0; name && i <= ZW_LOG_ERROR; i++)
        if (strcasecmp(name, s_level_names[i]) == 0)
            return i;
    return -1;
}

/* ------------------------------------------------------------ line buffer */

/* Most lines fit on the stack; longer ones move to the heap. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
    bool heap;
    bool failed; /* out of memory: the line is dropped for a fixed one */
    char stack[1024];
} s_buf_t;

static void s_buf_init(s_buf_t *b)
{
    b->data = b->stack;
    b->len = 0;
    b->cap = sizeof b->stack;
    b->heap = false;
    b->failed = false;
}

static bool s_buf_reserve(s_buf_t *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra <= b->cap)
        return true;
    size_t cap = b->cap * 2;
    while (cap < b->len + extra)
        cap *= 2;
    char *p = b->heap ? realloc(b->data, cap) : malloc(cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    if (!b->heap)
        memcpy(p, b->data, b->len);
    b->data = p;
    b->cap = cap;
    b->heap = true;
    return true;
}

static void s_buf_put(s_buf_t *b, const char *s, size_t n)
{
    if (s_buf_reserve(b, n)) {
        memcpy(b->data + b->len, s, n);
        b->len += n;
    }
}

static void s_buf_puts(s_buf_t *b, const char *s)
{
    s_buf_put(b, s, strlen(s));
}

static void s_buf_free(s_buf_t *b)
{
    if (b->heap)
        free(b->data);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t s_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (need == 0 || n < need)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) || (c == 0xF0 && s[1] < 0x90) ||
        (c == 0xF4 && s[1] >= 0x90))
        return 0;
    return need;
}

/* Writes s as a JSON string. Valid UTF-8 passes as is; a byte that is not
 * part of valid UTF-8 becomes U+FFFD, so every line stays valid JSON
 * whatever a caller passes. */
static void s_buf_json_string(s_buf_t *b, const char *s)
{
    if (!s) {
        s_buf_puts(b, "null");
        return;
    }
    const unsigned char *p = (const unsigned char *) s;
    size_t n = strlen(s);
    s_buf_put(b, "\"", 1);
    while (n > 0) {
        const unsigned char *run = p;
        /* Copy runs of plain characters in one go. */
        while (n > 0 && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') {
            p++;
            n--;
        }
        s_buf_put(b, (const char *) run, (size_t) (p - run));
        if (n == 0)
            break;
        unsigned char c = *p;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char) c;
            s_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            const char *named = c == '\n'   ? "\\n"
                                : c == '\r' ? "\\r"
                                : c == '\t' ? "\\t"
                                : c == '\b' ? "\\b"
                                : c == '\f' ? "\\f"
                                            : NULL;
            if (named)
                s_buf_puts(b, named);
            else {
                snprintf(esc, sizeof esc, "\\u%04x", c);
                s_buf_puts(b, esc);
            }
        } else {
            size_t len = s_utf8_len(p, n);
            if (len == 0) {
                s_buf_puts(b, "\\ufffd");
                len = 1;
            } else
                s_buf_put(b, (const char *) p, len);
            p += len;
            n -= len;
            continue;
        }
        p++;
        n--;
    }
    s_buf_put(b, "\"", 1);
}

/* Beijing time: the service centers are all in UTC+8 and China has no DST,
 * so a fixed offset beats depending on the host's TZ setting. */
static void s_buf_ts(s_buf_t *b)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    time_t t = now.tv_sec + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[48];
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ld+08:00", now.tv_nsec / 1000000);
    s_buf_put(b, "\"", 1);
    s_buf_puts(b, ts);
    s_buf_put(b, "\"", 1);
}

static void s_buf_head(s_buf_t *b, zw_log_level_t level, const char *msg)
{
    char service[sizeof s_service];
    pthread_mutex_lock(&s_lock);
    memcpy(service, s_service, sizeof service);
    pthread_mutex_unlock(&s_lock);

    s_buf_puts(b, "{\"ts\":");
    s_buf_ts(b);
    s_buf_puts(b, ",\"level\":\"");
    s_buf_puts(b, s_level_names[s_clamp((int) level)]);
    s_buf_puts(b, "\",\"service\":");
    s_buf_json_string(b, service[0] ? service : program_invocation_short_name);
    s_buf_puts(b, ",\"msg\":");
    s_buf_json_string(b, msg);
}

/* One write(2) per line, so lines from several threads or processes sharing
 * stderr never interleave (a pipe guarantees it up to PIPE_BUF bytes). The
 * loop only matters for a short write or a signal. */
static void s_buf_emit(s_buf_t *b)
{
    static const char lost[] = "{\"level\":\"error\",\"msg\":\"log line lost: out of memory\"}\n";
    s_buf_puts(b, "}\n");
    const char *p = b->failed ? lost : b->data;
    size_t n = b->failed ? sizeof lost - 1 : b->len;
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* nowhere left to report it */
        p += w;
        n -= (size_t) w;
    }
}

static bool s_enabled(zw_log_level_t level)
{
    return (int) s_clamp((int) level) >= atomic_load(&s_min_level);
}

void zw_log(zw_log_level_t level, const char *fmt, ...)
{
    if (!s_enabled(level))
        return;
    char small[512];
    char *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = fmt ? vsnprintf(small, sizeof small, fmt, ap) : -1;
    va_end(ap);
    if (n < 0)
        msg = NULL;
    else if ((size_t) n >= sizeof small) {
        msg = malloc((size_t) n + 1);
        if (msg) {
            va_start(ap, fmt);
            vsnprintf(msg, (size_t) n + 1, fmt, ap);
            va_end(ap);
        } else
            msg = small; /* truncated beats lost */
    }
    s_buf_t b;
    s_buf_init(&b);
    s_buf_head(&b, level, msg);
    s_buf_emit(&b);
    s_buf_free(&b);
    if (msg != small)
        free(msg);
}

void zw_logkv(zw_log_level_t level, const char *msg, ...)
{
    if (!s_enabled(level))
        return;
    s_buf_t b;
    s_buf_init(&b);
    s_buf_head(&b, level, msg);
    va_list ap;
    va_start(ap, msg);
    for (const char *key = va_arg(ap, const char *); key; key = va_arg(ap, const char *)) {
        const char *value = va_arg(ap, const char *);
        s_buf_put(&b, ",", 1);
        s_buf_json_string(&b, key);
        s_buf_put(&b, ":", 1);
        s_buf_json_string(&b, value);
    }
    va_end(ap);
    s_buf_emit(&b);
    s_buf_free(&b);
}

/* ---------------------------------------------------------------- masking */

static bool s_is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Counts characters (UTF-8 code points), so a name or a foreign document
 * number masks by character, not by byte. */
static size_t s_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (!s_is_cont(*p))
            n++;
    return n;
}

/* Keeps the first `head` and last `tail` characters, the rest become '*'.
 * A string no longer than head + tail is masked entirely: showing all of
 * it would not be masking. Never splits a character when out is short. */
static char *s_mask(const char *in, size_t head, size_t tail, char *out, size_t outsz)
{
    if (!out || outsz == 0)
        return out;
    out[0] = '\0';
    if (!in)
        return out;
    size_t n = s_chars(in);
    if (n <= head + tail)
        head = tail = 0;
    size_t o = 0, i = 0;
    const unsigned char *p = (const unsigned char *) in;
    while (*p) {
        size_t len = 1;
        while (p[len] && s_is_cont(p[len]))
            len++;
        bool keep = i < head || (tail > 0 && i >= n - tail);
        const char *src = keep ? (const char *) p : "*";
        size_t srclen = keep ? len : 1;
        if (o + srclen >= outsz)
            break;
        memcpy(out + o, src, srclen);
        o += srclen;
        p += len;
        i++;
    }
    out[o] = '\0';
    return out;
}

char *zw_mask_id(const char *id, char *out, size_t outsz)
{
    /* 18 characters (resident ID, unified social credit code): the usual
     * first 6 (region) and last 4. Any other document shows at most a
     * quarter of itself, at its end (4 at the most): a passport or permit
     * number masked 6+4 would be nearly whole. */
    size_t n = id ? s_chars(id) : 0;
    if (n == 18)
        return s_mask(id, 6, 4, out, outsz);
    size_t tail = n / 4 < 4 ? n / 4 : 4;
    return s_mask(id, 0, (int) tail, out, outsz);
}

char *zw_mask_phone(const char *phone, char *out, size_t outsz)
{
    bool mobile = phone && strlen(phone) == 11 && strspn(phone, "0123456789") == 11;
    return mobile ? s_mask(phone, 3, 4, out, outsz) : s_mask(phone, 0, 4, out, outsz);
}
