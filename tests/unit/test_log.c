#include "log.h"
#include "zwtest.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* stderr is redirected to a temporary file (not a pipe: a long line or many
 * threads would fill a pipe nobody reads yet), then read back. */
typedef struct {
    int saved;
    int fd;
    char path[64];
} t_capture_t;

static void t_capture_start(t_capture_t *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/zwfw_test_log_XXXXXX");
    c->fd = mkstemp(c->path);
    assert_true(c->fd >= 0);
    fflush(stderr);
    c->saved = dup(STDERR_FILENO);
    assert_true(c->saved >= 0);
    assert_int_equal(dup2(c->fd, STDERR_FILENO), STDERR_FILENO);
}

/* Restores stderr and returns what was written (malloc'd). */
static char *t_capture_end(t_capture_t *c)
{
    dup2(c->saved, STDERR_FILENO);
    close(c->saved);
    off_t size = lseek(c->fd, 0, SEEK_END);
    char *buf = malloc((size_t) size + 1);
    assert_non_null(buf);
    assert_int_equal(pread(c->fd, buf, (size_t) size, 0), size);
    buf[size] = '\0';
    close(c->fd);
    unlink(c->path);
    return buf;
}

/* Splits captured output into parsed lines; every line must be one JSON
 * object ending in '\n'. Returns the count; lines[] must be freed. */
static int t_parse_lines(char *text, cJSON **lines, int max)
{
    int n = 0;
    char *p = text;
    while (*p) {
        char *nl = strchr(p, '\n');
        assert_non_null(nl); /* every line is terminated */
        *nl = '\0';
        assert_true(n < max);
        lines[n] = cJSON_Parse(p);
        if (!lines[n])
            fprintf(stderr, "not JSON: %s\n", p);
        assert_non_null(lines[n]);
        assert_true(cJSON_IsObject(lines[n]));
        n++;
        p = nl + 1;
    }
    return n;
}

static const char *t_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static void t_free_lines(cJSON **lines, int n)
{
    for (int i = 0; i < n; i++)
        cJSON_Delete(lines[i]);
}

/* Captures the lines one callback writes. */
static int t_run(void (*fn)(void), char **raw, cJSON **lines, int max)
{
    t_capture_t c;
    t_capture_start(&c);
    fn();
    *raw = t_capture_end(&c);
    char *copy = strdup(*raw);
    int n = t_parse_lines(copy, lines, max);
    free(copy);
    return n;
}

/* ------------------------------------------------------------------ tests */

static void t_log_before_init(void)
{
    zw_info("before init");
}

static void test_default_service_is_program_name(void **state)
{
    (void) state;
    char *raw;
    cJSON *lines[4];
    int n = t_run(t_log_before_init, &raw, lines, 4);
    assert_int_equal(n, 1);
    assert_string_equal(t_str(lines[0], "service"), "test_log");
    assert_string_equal(t_str(lines[0], "level"), "info");
    t_free_lines(lines, n);
    free(raw);
}

static void t_log_hello(void)
{
    zw_info("hello %d %s", 42, "world");
}

static void test_fields_and_timestamp(void **state)
{
    (void) state;
    zw_log_init("zwfw-test", ZW_LOG_DEBUG);
    time_t before = time(NULL);
    char *raw;
    cJSON *lines[4];
    int n = t_run(t_log_hello, &raw, lines, 4);
    time_t after = time(NULL);
    assert_int_equal(n, 1);
    assert_int_equal(cJSON_GetArraySize(lines[0]), 4);
    /* key order as documented */
    assert_string_equal(lines[0]->child->string, "ts");
    assert_string_equal(t_str(lines[0], "level"), "info");
    assert_string_equal(t_str(lines[0], "service"), "zwfw-test");
    assert_string_equal(t_str(lines[0], "msg"), "hello 42 world");

    const char *ts = t_str(lines[0], "ts");
    assert_int_equal(strlen(ts), strlen("2020-09-25T14:00:00.123+08:00"));
    struct tm tm = {0};
    int ms = -1;
    char off[8] = "";
    assert_int_equal(sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%6s", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, off),
                     8);
    assert_string_equal(off, "+08:00");
    assert_true(ms >= 0 && ms <= 999);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm) - 8 * 3600; /* the wall time is Beijing's */
    assert_true(t >= before && t <= after);
    t_free_lines(lines, n);
    free(raw);
}

static void t_log_levels(void)
{
    zw_debug("d1");
    zw_info("i1");
    zw_warn("w1");
    zw_error("e1");
    zw_logkv(ZW_LOG_INFO, "i2", "k", "v", NULL);
    zw_logkv(ZW_LOG_WARN, "w2", "k", "v", NULL);
    zw_log((zw_log_level_t) 9, "big level");
}

static void test_levels_filtered(void **state)
{
    (void) state;
    zw_log_init("zwfw-test", ZW_LOG_WARN);
    char *raw;
    cJSON *lines[8];
    int n = t_run(t_log_levels, &raw, lines, 8);
    assert_int_equal(n, 4);
    const char *want[][2] = {
        {"warn", "w1"}, {"error", "e1"}, {"warn", "w2"}, {"error", "big level"}};
    for (int i = 0; i < n; i++) {
        assert_string_equal(t_str(lines[i], "level"), want[i][0]);
        assert_string_equal(t_str(lines[i], "msg"), want[i][1]);
    }
    t_free_lines(lines, n);
    free(raw);

    zw_log_init("zwfw-test", ZW_LOG_ERROR);
    n = t_run(t_log_levels, &raw, lines, 8);
    assert_int_equal(n, 2);
    t_free_lines(lines, n);
    free(raw);

    zw_log_init("zwfw-test", ZW_LOG_DEBUG);
    n = t_run(t_log_levels, &raw, lines, 8);
    assert_int_equal(n, 7);
    assert_string_equal(t_str(lines[0], "level"), "debug");
    assert_string_equal(t_str(lines[0], "msg"), "d1");
    t_free_lines(lines, n);
    free(raw);
}

static void test_level_from_name(void **state)
{
    (void) state;
    assert_int_equal(zw_log_level_from_name("debug"), ZW_LOG_DEBUG);
    assert_int_equal(zw_log_level_from_name("info"), ZW_LOG_INFO);
    assert_int_equal(zw_log_level_from_name("warn"), ZW_LOG_WARN);
    assert_int_equal(zw_log_level_from_name("error"), ZW_LOG_ERROR);
    assert_int_equal(zw_log_level_from_name("WARN"), ZW_LOG_WARN);
    assert_int_equal(zw_log_level_from_name("warning"), -1);
    assert_int_equal(zw_log_level_from_name(""), -1);
    assert_int_equal(zw_log_level_from_name(NULL), -1);
}

static void t_log_escapes(void)
{
    zw_info("%s", "q\"b\\n\nt\tr\rb\bf\f c\x01\x1f del\x7f 潼南区 ✓ 😀");
    zw_info("%s", "bad \xff | overlong \xc0\xaf | surrogate \xed\xa0\x80 | cut \xe4\xb8");
    zw_logkv(ZW_LOG_INFO, "kv", "we\"ird\nkey", "va\\lue\x02", "nul", NULL, "last", "x", NULL);
    zw_logkv(ZW_LOG_INFO, NULL, NULL);
}

static void test_escaping(void **state)
{
    (void) state;
    zw_log_init("svc \"quoted\"", ZW_LOG_DEBUG);
    char *raw;
    cJSON *lines[8];
    int n = t_run(t_log_escapes, &raw, lines, 8);
    assert_int_equal(n, 4);
    /* Nothing below 0x20 reaches the output raw, except each line's '\n'. */
    for (const unsigned char *p = (const unsigned char *) raw; *p; p++)
        assert_true(*p >= 0x20 || *p == '\n');
    assert_non_null(strstr(raw, "\\u0001"));
    assert_non_null(strstr(raw, "\\u001f"));
    assert_non_null(strstr(raw, "潼南区 ✓ 😀")); /* UTF-8 kept as is */

    assert_string_equal(t_str(lines[0], "service"), "svc \"quoted\"");
    assert_string_equal(t_str(lines[0], "msg"),
                        "q\"b\\n\nt\tr\rb\bf\f c\x01\x1f del\x7f 潼南区 ✓ 😀");
    /* Invalid UTF-8 becomes U+FFFD, one per bad byte. */
    assert_string_equal(t_str(lines[1], "msg"),
                        "bad \xef\xbf\xbd | overlong \xef\xbf\xbd\xef\xbf\xbd | surrogate "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd | cut \xef\xbf\xbd\xef\xbf\xbd");

    assert_string_equal(t_str(lines[2], "msg"), "kv");
    assert_string_equal(t_str(lines[2], "we\"ird\nkey"), "va\\lue\x02");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(lines[2], "nul")));
    assert_string_equal(t_str(lines[2], "last"), "x");
    assert_int_equal(cJSON_GetArraySize(lines[2]), 7);

    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(lines[3], "msg")));
    assert_int_equal(cJSON_GetArraySize(lines[3]), 4);
    t_free_lines(lines, n);
    free(raw);
}

static char *s_long_msg;

static void t_log_long(void)
{
    zw_info("%s", s_long_msg);
    zw_logkv(ZW_LOG_INFO, "long kv", "value", s_long_msg, NULL);
}

static void test_long_lines(void **state)
{
    (void) state;
    zw_log_init("zwfw-test", ZW_LOG_INFO);
    size_t len = 200000;
    s_long_msg = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        s_long_msg[i] = i % 97 == 0 ? '"' : (char) ('a' + i % 26);
    s_long_msg[len] = '\0';
    char *raw;
    cJSON *lines[4];
    int n = t_run(t_log_long, &raw, lines, 4);
    assert_int_equal(n, 2);
    assert_string_equal(t_str(lines[0], "msg"), s_long_msg);
    assert_string_equal(t_str(lines[1], "value"), s_long_msg);
    t_free_lines(lines, n);
    free(raw);
    free(s_long_msg);
}

#define T_THREADS 4
#define T_PER_THREAD 300

static void *t_thread(void *arg)
{
    int id = (int) (intptr_t) arg;
    char field[16];
    snprintf(field, sizeof field, "%d", id);
    for (int i = 0; i < T_PER_THREAD; i++) {
        if (i % 2)
            zw_info("thread %d line %d %0200d", id, i, 0);
        else
            zw_logkv(ZW_LOG_INFO, "kv line", "thread", field, NULL);
    }
    return NULL;
}

static void t_log_threads(void)
{
    pthread_t th[T_THREADS];
    for (int i = 0; i < T_THREADS; i++)
        pthread_create(&th[i], NULL, t_thread, (void *) (intptr_t) i);
    /* meanwhile the service name changes under them, as on SIGHUP */
    for (int i = 0; i < 50; i++)
        zw_log_init(i % 2 ? "svc-a" : "svc-b", ZW_LOG_INFO);
    for (int i = 0; i < T_THREADS; i++)
        pthread_join(th[i], NULL);
}

static void test_threads_never_interleave(void **state)
{
    (void) state;
    zw_log_init("zwfw-test", ZW_LOG_INFO);
    char *raw;
    enum { MAX = T_THREADS * T_PER_THREAD + 4 };
    cJSON **lines = calloc(MAX, sizeof *lines);
    int n = t_run(t_log_threads, &raw, lines, MAX);
    assert_int_equal(n, T_THREADS * T_PER_THREAD);
    for (int i = 0; i < n; i++) {
        const char *svc = t_str(lines[i], "service");
        assert_true(!strcmp(svc, "svc-a") || !strcmp(svc, "svc-b") || !strcmp(svc, "zwfw-test"));
    }
    t_free_lines(lines, n);
    free(lines);
    free(raw);
}

/* ---------------------------------------------------------------- masking */

static void test_mask_id(void **state)
{
    (void) state;
    char out[64];
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"50015219900101123X", "500152********123X"},
        {"500152199001011234", "500152********1234"},
        {"91500000MA5U4XXXX0", "915000********XXX0"}, /* a USCC, 18 too */
        {"H1234567890", "*********90"},                  /* a permit: a quarter, at the end */
        {"ABC123456789012", "************012"},
        {"E123456789012", "**********012"},
        {"AB12345678901234567", "***************4567"}, /* 19: 4 at the most */
        {"E12345678A", "********8A"},
        {"AB1234567", "*******67"},
        {"abc", "***"}, /* never shown whole, nor most of it */
        {"ab", "**"},
        {"a", "*"},
        {"", ""},
        {"张三丰", "***"}, /* characters, not bytes */
        {"护照号码甲乙丙丁戊己庚", "*********己庚"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'Z', sizeof out);
        assert_ptr_equal(zw_mask_id(cases[i].in, out, sizeof out), out);
        assert_string_equal(out, cases[i].want);
    }
    memset(out, 'Z', sizeof out);
    assert_string_equal(zw_mask_id(NULL, out, sizeof out), "");

    /* A short buffer truncates, never overruns, never splits a character. */
    memset(out, 'Z', sizeof out);
    zw_mask_id("500152199001011234", out, 8);
    assert_string_equal(out, "500152*");
    assert_int_equal(out[8], 'Z');
    zw_mask_id("护照号码甲乙丙丁戊己庚", out, 13);
    assert_string_equal(out, "*********己");
    zw_mask_id("护照号码甲乙丙丁戊己庚", out, 12);
    assert_string_equal(out, "*********");
    zw_mask_id("500152199001011234", out, 1);
    assert_string_equal(out, "");
    out[0] = 'Z';
    zw_mask_id("500152199001011234", out, 0);
    assert_int_equal(out[0], 'Z');
    assert_null(zw_mask_id("500152199001011234", NULL, 10));
}

static void test_mask_phone(void **state)
{
    (void) state;
    char out[64];
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"13812345678", "138****5678"},
        {"02345678901", "023****8901"}, /* 11 digits */
        {"023-4567890", "*******7890"}, /* 11 characters, not all digits */
        {"+8613812345678", "**********5678"},
        {"023-45678901", "********8901"},
        {"12345", "*2345"},
        {"1234", "****"}, /* never shown whole */
        {"1", "*"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(out, 'Z', sizeof out);
        assert_ptr_equal(zw_mask_phone(cases[i].in, out, sizeof out), out);
        assert_string_equal(out, cases[i].want);
    }
    assert_string_equal(zw_mask_phone(NULL, out, sizeof out), "");
    memset(out, 'Z', sizeof out);
    zw_mask_phone("13812345678", out, 6);
    assert_string_equal(out, "138**");
    assert_int_equal(out[6], 'Z');
    assert_null(zw_mask_phone("13812345678", NULL, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_service_is_program_name),
        cmocka_unit_test(test_fields_and_timestamp),
        cmocka_unit_test(test_levels_filtered),
        cmocka_unit_test(test_level_from_name),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_threads_never_interleave),
        cmocka_unit_test(test_mask_id),
        cmocka_unit_test(test_mask_phone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
