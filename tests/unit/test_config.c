#include "config.h"
#include "zwtest.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const zw_cfg_spec_t T_SPECS[] = {
    {"endpoint", ZW_CFG_STRING, "tcp://127.0.0.1:5555", false, "public endpoint"},
    {"heartbeat_ms", ZW_CFG_INT, "2500", true, "heartbeat interval"},
    {"verbose", ZW_CFG_BOOL, "false", true, "log more"},
    {"ratio", ZW_CFG_DOUBLE, "0.5", true, "a fraction"},
    {"workers", ZW_CFG_INT, "8", false, "worker sockets"},
    {"db_conninfo", ZW_CFG_STRING, "host=127.0.0.1 dbname=zwfw", false, "database"},
    {"curve_secret", ZW_CFG_STRING, "s3cr3t", false, "CURVE secret key"},
    {"admin_password", ZW_CFG_STRING, "hunter2", true, "a password"},
    {"server_key_file", ZW_CFG_STRING, "/etc/zwfw/server.key", false, "key file"},
    {"label", ZW_CFG_STRING, NULL, true, "no default: empty"},
};
#define T_NSPECS (sizeof T_SPECS / sizeof T_SPECS[0])

static zw_config_t *t_new(void)
{
    zw_config_t *cfg = zw_config_new(T_SPECS, T_NSPECS);
    assert_non_null(cfg);
    return cfg;
}

static int t_load(zw_config_t *cfg, const char *json, const char *section, zw_err_t *err)
{
    zw_err_clear(err);
    return zw_config_load_json(cfg, json, strlen(json), section, err);
}

static void t_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_defaults(void **state)
{
    (void) state;
    zw_config_t *cfg = t_new();
    assert_string_equal(zw_config_str(cfg, "endpoint"), "tcp://127.0.0.1:5555");
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 2500);
    assert_false(zw_config_bool(cfg, "verbose"));
    assert_true(zw_config_double(cfg, "ratio") == 0.5);
    assert_string_equal(zw_config_str(cfg, "label"), "");
    zw_config_destroy(&cfg);
    assert_null(cfg);
    zw_config_destroy(&cfg);
    zw_config_destroy(NULL);

    /* An empty table is fine. */
    cfg = zw_config_new(NULL, 0);
    assert_non_null(cfg);
    char *dump = zw_config_dump_json(cfg);
    assert_string_equal(dump, "{}");
    free(dump);
    zw_config_destroy(&cfg);
}

static void test_new_rejects_bad_specs(void **state)
{
    (void) state;
    static const struct {
        zw_cfg_type_t type;
        const char *def;
    } bad[] = {
        {ZW_CFG_INT, "abc"},    {ZW_CFG_INT, "1.5"},    {ZW_CFG_INT, " 5"},
        {ZW_CFG_INT, ""},       {ZW_CFG_INT, NULL},     {ZW_CFG_INT, "99999999999999999999"},
        {ZW_CFG_BOOL, "maybe"}, {ZW_CFG_BOOL, NULL},    {ZW_CFG_DOUBLE, "x"},
        {ZW_CFG_DOUBLE, "inf"}, {ZW_CFG_DOUBLE, "nan"}, {ZW_CFG_DOUBLE, "1e999"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zw_cfg_spec_t specs[2] = {
            {"ok", ZW_CFG_STRING, "fine", false, ""},
            {"broken", bad[i].type, bad[i].def, false, ""},
        };
        assert_null(zw_config_new(specs, 2));
    }
    zw_cfg_spec_t dup[2] = {
        {"a", ZW_CFG_STRING, "x", false, ""},
        {"a", ZW_CFG_INT, "1", false, ""},
    };
    assert_null(zw_config_new(dup, 2));
    zw_cfg_spec_t noname[1] = {{NULL, ZW_CFG_STRING, "x", false, ""}};
    assert_null(zw_config_new(noname, 1));
    assert_null(zw_config_new(NULL, 3));

    /* Every accepted spelling of a good default. */
    zw_cfg_spec_t good[] = {
        {"i", ZW_CFG_INT, "-9223372036854775808", false, ""},
        {"b1", ZW_CFG_BOOL, "yes", false, ""},
        {"b2", ZW_CFG_BOOL, "OFF", false, ""},
        {"d", ZW_CFG_DOUBLE, "1e-3", false, ""},
    };
    zw_config_t *cfg = zw_config_new(good, 4);
    assert_non_null(cfg);
    assert_true(zw_config_int(cfg, "i") == INT64_MIN);
    assert_true(zw_config_bool(cfg, "b1"));
    assert_false(zw_config_bool(cfg, "b2"));
    assert_true(zw_config_double(cfg, "d") == 1e-3);
    zw_config_destroy(&cfg);
}

static void test_load_sections(void **state)
{
    (void) state;
    zw_config_t *cfg = t_new();
    zw_err_t err;
    const char *json = "{ \"common\": { \"heartbeat_ms\": 1000, \"label\": \"from common\","
                       "                \"verbose\": true },"
                       "  \"broker\": { \"heartbeat_ms\": 2000, \"ratio\": 0.25,"
                       "                \"endpoint\": \"tcp://0.0.0.0:7000\" },"
                       "  \"intake\": { \"whatever\": [1, 2], \"heartbeat_ms\": \"x\" },"
                       "  \"comment\": 17 }";
    assert_int_equal(t_load(cfg, json, "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 2000); /* section wins */
    assert_string_equal(zw_config_str(cfg, "label"), "from common");
    assert_true(zw_config_bool(cfg, "verbose"));
    assert_true(zw_config_double(cfg, "ratio") == 0.25);
    assert_string_equal(zw_config_str(cfg, "endpoint"), "tcp://0.0.0.0:7000");
    assert_int_equal(zw_config_int(cfg, "workers"), 8); /* untouched: default */
    zw_config_destroy(&cfg);

    /* Without a section (or with "common" itself) only "common" is read. */
    const char *sections[] = {NULL, "common"};
    for (int i = 0; i < 2; i++) {
        cfg = t_new();
        assert_int_equal(t_load(cfg, json, sections[i], &err), 0);
        assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 1000);
        assert_true(zw_config_double(cfg, "ratio") == 0.5);
        zw_config_destroy(&cfg);
    }

    /* A missing section is no error; loads stack on the current values. */
    cfg = t_new();
    assert_int_equal(t_load(cfg, "{\"common\": {\"workers\": 3}}", "broker", &err), 0);
    assert_int_equal(t_load(cfg, "{\"broker\": {\"heartbeat_ms\": 7}}", "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "workers"), 3);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 7);
    assert_int_equal(t_load(cfg, "{}", "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 7);

    /* Integral numbers in any notation; the exact range limit. */
    assert_int_equal(
        t_load(cfg, "{\"broker\": {\"heartbeat_ms\": 1e3, \"workers\": 2.0}}", "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 1000);
    assert_int_equal(zw_config_int(cfg, "workers"), 2);
    assert_int_equal(t_load(cfg,
                            "{\"broker\": {\"heartbeat_ms\": 9007199254740991,"
                            " \"workers\": -9007199254740991}}",
                            "broker", &err),
                     0);
    assert_true(zw_config_int(cfg, "heartbeat_ms") == 9007199254740991LL);
    assert_true(zw_config_int(cfg, "workers") == -9007199254740991LL);
    zw_config_destroy(&cfg);
}

/* Each error kind: the right code, a message naming section.key, the key in
 * detail, and not one value changed (the dump is byte-identical). */
/* A raw NUL inside the text would end the parser's string there and keep
 * the rest: refused, naming where, and nothing changes. */
static void test_nul_byte_refused(void **state)
{
    (void) state;
    zw_config_t *cfg = t_new();
    static const char json[] = "{\"broker\": {\"label\": \"ab\0cd\", \"heartbeat_ms\": 7}}";
    zw_err_t err;
    zw_err_clear(&err);
    assert_int_equal(zw_config_load_json(cfg, json, sizeof json - 1, "broker", &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "NUL byte at byte 24"));
    assert_string_equal(zw_config_str(cfg, "label"), "");
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 2500);
    zw_config_destroy(&cfg);
}

/* A reload through a fresh table: fixed settings must match the running
 * table's; reloadable ones may differ. */
static void test_same_fixed(void **state)
{
    (void) state;
    zw_config_t *now = t_new(), *fresh = t_new();
    zw_err_t err;
    assert_int_equal(t_load(now, "{\"broker\": {\"workers\": 4}}", "broker", &err), 0);
    assert_int_equal(
        t_load(fresh, "{\"broker\": {\"workers\": 4, \"heartbeat_ms\": 9}}", "broker", &err), 0);
    assert_int_equal(zw_config_same_fixed(now, fresh, &err), 0);
    assert_int_equal(
        t_load(fresh, "{\"common\": {\"db_conninfo\": \"dbname=other\"}}", "broker", &err), 0);
    zw_err_clear(&err);
    assert_int_equal(zw_config_same_fixed(now, fresh, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(err.detail, "db_conninfo");
    assert_non_null(strstr(err.message, "db_conninfo: changed, but it cannot change on reload"));
    /* tables of other settings are not comparable */
    static const zw_cfg_spec_t other[] = {{"x", ZW_CFG_INT, "1", false, "x"}};
    zw_config_t *o = zw_config_new(other, 1);
    assert_non_null(o);
    assert_int_equal(zw_config_same_fixed(now, o, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(zw_config_same_fixed(now, NULL, &err), -1);
    zw_config_destroy(&o);
    zw_config_destroy(&now);
    zw_config_destroy(&fresh);
}

static void test_load_errors_change_nothing(void **state)
{
    (void) state;
    static const struct {
        const char *json, *message, *detail;
    } cases[] = {
        {"{\"common\": {\"nope\": 1, \"workers\": \"x\"}}", "common.workers: expected integer",
         "common.workers"},
        {"{\"broker\": {\"heartbeat_ms\": 5, \"hartbeat_ms\": 5}}",
         "broker.hartbeat_ms: unknown setting", "broker.hartbeat_ms"},
        {"{\"broker\": {\"heartbeat_ms\": \"2500\"}}", "broker.heartbeat_ms: expected integer",
         "broker.heartbeat_ms"},
        {"{\"broker\": {\"heartbeat_ms\": 2.5}}", "broker.heartbeat_ms: expected integer, got 2.5",
         "broker.heartbeat_ms"},
        {"{\"broker\": {\"heartbeat_ms\": true}}", "broker.heartbeat_ms: expected integer",
         "broker.heartbeat_ms"},
        {"{\"broker\": {\"heartbeat_ms\": null}}", "broker.heartbeat_ms: expected integer",
         "broker.heartbeat_ms"},
        {"{\"broker\": {\"workers\": 9007199254740993}}", "broker.workers: integer",
         "broker.workers"},
        {"{\"broker\": {\"workers\": 1e19}}", "beyond 2^53-1", "broker.workers"},
        {"{\"broker\": {\"workers\": -1e300}}", "beyond 2^53-1", "broker.workers"},
        {"{\"broker\": {\"workers\": 1e999}}", "broker.workers: expected integer",
         "broker.workers"},
        {"{\"broker\": {\"verbose\": 1}}", "broker.verbose: expected boolean", "broker.verbose"},
        {"{\"broker\": {\"verbose\": \"true\"}}", "broker.verbose: expected boolean",
         "broker.verbose"},
        {"{\"broker\": {\"ratio\": \"0.5\"}}", "broker.ratio: expected number", "broker.ratio"},
        {"{\"broker\": {\"ratio\": 1e999}}", "broker.ratio: number out of range", "broker.ratio"},
        {"{\"broker\": {\"endpoint\": 5555}}", "broker.endpoint: expected string",
         "broker.endpoint"},
        {"{\"broker\": {\"endpoint\": null}}", "broker.endpoint: expected string",
         "broker.endpoint"},
        {"{\"broker\": {\"label\": [\"a\"]}}", "broker.label: expected string", "broker.label"},
        {"{\"broker\": {\"label\": \"a\", \"label\": \"b\"}}", "broker.label: appears twice",
         "broker.label"},
        {"{\"broker\": [1]}", "broker: expected an object", "broker"},
        {"{\"common\": \"x\"}", "common: expected an object", "common"},
        {"[]", "config: expected a JSON object", ""},
        {"{\"broker\": {", "config: invalid JSON near byte", ""},
        {"", "config: invalid JSON", ""},
        /* "common" was fine, the section was not: common's values stay out too */
        {"{\"common\": {\"heartbeat_ms\": 1, \"label\": \"new\"},"
         " \"broker\": {\"verbose\": \"yes\"}}",
         "broker.verbose: expected boolean", "broker.verbose"},
    };
    zw_config_t *cfg = t_new();
    zw_err_t err;
    assert_int_equal(t_load(cfg, "{\"broker\": {\"heartbeat_ms\": 4000, \"label\": \"before\"}}",
                            "broker", &err),
                     0);
    char *before = zw_config_dump_json(cfg);
    const char *label = zw_config_str(cfg, "label");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = t_load(cfg, cases[i].json, "broker", &err);
        if (rc != -1 || !strstr(err.message, cases[i].message))
            fprintf(stderr, "case %zu: want \"%s\", got rc %d \"%s\"\n", i, cases[i].message, rc,
                    err.message);
        assert_int_equal(rc, -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, cases[i].message));
        assert_string_equal(err.detail, cases[i].detail);
        char *after = zw_config_dump_json(cfg);
        assert_string_equal(after, before);
        free(after);
        /* the string a caller holds is still the same live string */
        assert_ptr_equal(zw_config_str(cfg, "label"), label);
        assert_string_equal(label, "before");
    }
    assert_int_equal(zw_config_load_json(cfg, NULL, 0, "broker", &err), -1);
    assert_int_equal(zw_config_load_json(NULL, "{}", 2, "broker", &err), -1);
    assert_int_equal(zw_config_load_json(cfg, "{\"broker\":{\"nope\":1}}",
                                         strlen("{\"broker\":{\"nope\":1}}"), "broker", NULL),
                     -1);
    /* "common" is shared by every daemon: a key another daemon declares is
     * not this table's business, but a known key must still be well typed. */
    assert_int_equal(zw_config_load_json(cfg, "{\"common\":{\"intake_only\":1,\"workers\":6}}",
                                         strlen("{\"common\":{\"intake_only\":1,\"workers\":6}}"),
                                         "broker", &err),
                     0);
    assert_int_equal(zw_config_int(cfg, "workers"), 6);
    /* len is honoured: trailing bytes past it are not read */
    assert_int_equal(zw_config_load_json(cfg, "{\"common\":{\"workers\":5}}XYZ", 24, NULL, &err),
                     0);
    assert_int_equal(zw_config_int(cfg, "workers"), 5);
    free(before);
    zw_config_destroy(&cfg);
}

static void test_load_file(void **state)
{
    (void) state;
    char path[] = "/tmp/zwfw_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    zw_config_t *cfg = t_new();
    zw_err_t err;

    t_write(path, "{\"broker\": {\"workers\": 16}}");
    assert_int_equal(zw_config_load_file(cfg, path, "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "workers"), 16);

    t_write(path, "{\"broker\": {\"workers\": 16,}}");
    assert_int_equal(zw_config_load_file(cfg, path, "broker", &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "invalid JSON"));

    t_write(path, "{\"broker\": {\"workers\": \"16\"}}");
    assert_int_equal(zw_config_load_file(cfg, path, "broker", &err), -1);
    assert_string_equal(err.message, "broker.workers: expected integer");

    unlink(path);
    assert_int_equal(zw_config_load_file(cfg, path, "broker", &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_non_null(strstr(err.message, path));
    assert_int_equal(zw_config_load_file(cfg, NULL, "broker", &err), -1);
    assert_int_equal(zw_config_int(cfg, "workers"), 16);
    zw_config_destroy(&cfg);
}

static void test_set(void **state)
{
    (void) state;
    zw_config_t *cfg = t_new();
    zw_err_t err;
    assert_int_equal(zw_config_set(cfg, "heartbeat_ms", "123", &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 123);
    assert_int_equal(zw_config_set(cfg, "workers", "9223372036854775807", &err), 0);
    assert_true(zw_config_int(cfg, "workers") == INT64_MAX);
    assert_int_equal(zw_config_set(cfg, "verbose", "yes", &err), 0);
    assert_true(zw_config_bool(cfg, "verbose"));
    assert_int_equal(zw_config_set(cfg, "verbose", "False", &err), 0);
    assert_false(zw_config_bool(cfg, "verbose"));
    assert_int_equal(zw_config_set(cfg, "ratio", "-2.5e-1", &err), 0);
    assert_true(zw_config_double(cfg, "ratio") == -0.25);
    assert_int_equal(zw_config_set(cfg, "endpoint", "tcp://[::1]:1", &err), 0);
    assert_string_equal(zw_config_str(cfg, "endpoint"), "tcp://[::1]:1");
    assert_int_equal(zw_config_set(cfg, "label", "", &err), 0);
    assert_string_equal(zw_config_str(cfg, "label"), "");

    static const struct {
        const char *name, *value, *want;
    } bad[] = {
        {"heartbeat_ms", "12abc", "heartbeat_ms: expected integer, got \"12abc\""},
        {"heartbeat_ms", "", "heartbeat_ms: expected integer"},
        {"heartbeat_ms", " 5", "heartbeat_ms: expected integer"},
        {"heartbeat_ms", "1.0", "heartbeat_ms: expected integer"},
        {"heartbeat_ms", "9223372036854775808", "heartbeat_ms: expected integer"},
        {"verbose", "maybe", "verbose: expected boolean"},
        {"ratio", "nan", "ratio: expected number"},
        {"ratio", "inf", "ratio: expected number"},
        {"ratio", "1e999", "ratio: expected number"},
        {"ratio", "0.5x", "ratio: expected number"},
        {"heartbeat_ms", NULL, "heartbeat_ms: expected integer, got \"(null)\""},
        {"nope", "1", "unknown setting \"nope\""},
        {NULL, "1", "unknown setting"},
    };
    char *before = zw_config_dump_json(cfg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        zw_err_clear(&err);
        assert_int_equal(zw_config_set(cfg, bad[i].name, bad[i].value, &err), -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        if (!strstr(err.message, bad[i].want))
            fprintf(stderr, "case %zu: want \"%s\", got \"%s\"\n", i, bad[i].want, err.message);
        assert_non_null(strstr(err.message, bad[i].want));
        char *after = zw_config_dump_json(cfg);
        assert_string_equal(after, before);
        free(after);
    }
    free(before);
    assert_int_equal(zw_config_set(NULL, "x", "1", &err), -1);

    /* An override beats the file, on load and on reload. */
    assert_int_equal(
        t_load(cfg, "{\"common\": {\"heartbeat_ms\": 1, \"label\": \"f\"}}", NULL, &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 123);
    assert_string_equal(zw_config_str(cfg, "label"), "");
    zw_config_destroy(&cfg);
}

static void test_reload(void **state)
{
    (void) state;
    char path[] = "/tmp/zwfw_test_config_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    zw_config_t *cfg = t_new();
    zw_err_t err;
    t_write(path, "{\"common\": {\"workers\": 4},"
                  " \"broker\": {\"endpoint\": \"tcp://127.0.0.1:6000\", \"heartbeat_ms\": 100,"
                  "              \"label\": \"one\"}}");
    assert_int_equal(zw_config_load_file(cfg, path, "broker", &err), 0);
    const char *endpoint = zw_config_str(cfg, "endpoint");

    /* Reloadable keys change; unchanged strings keep their pointer. */
    t_write(path, "{\"common\": {\"workers\": 4},"
                  " \"broker\": {\"endpoint\": \"tcp://127.0.0.1:6000\", \"heartbeat_ms\": 200,"
                  "              \"label\": \"two\", \"verbose\": true}}");
    assert_int_equal(zw_config_reload_file(cfg, path, "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 200);
    assert_string_equal(zw_config_str(cfg, "label"), "two");
    assert_true(zw_config_bool(cfg, "verbose"));
    assert_ptr_equal(zw_config_str(cfg, "endpoint"), endpoint);
    assert_string_equal(endpoint, "tcp://127.0.0.1:6000");

    /* A non-reloadable change refuses the whole reload. */
    char *before = zw_config_dump_json(cfg);
    t_write(path, "{\"common\": {\"workers\": 5},"
                  " \"broker\": {\"endpoint\": \"tcp://127.0.0.1:6000\", \"heartbeat_ms\": 300}}");
    assert_int_equal(zw_config_reload_file(cfg, path, "broker", &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "common.workers"));
    assert_string_equal(err.detail, "common.workers");
    char *after = zw_config_dump_json(cfg);
    assert_string_equal(after, before);
    free(after);

    /* Removing a non-reloadable key would reset it to its default: also a
     * change. */
    t_write(path, "{\"common\": {\"workers\": 4}, \"broker\": {\"heartbeat_ms\": 300}}");
    assert_int_equal(zw_config_reload_file(cfg, path, "broker", &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "broker.endpoint"));
    after = zw_config_dump_json(cfg);
    assert_string_equal(after, before);
    free(after);

    /* A bad file is INVALID_ARGUMENT, and changes nothing either. */
    t_write(path, "{\"broker\": {\"heartbeat_ms\": \"300\"}}");
    assert_int_equal(zw_config_reload_file(cfg, path, "broker", &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.message, "broker.heartbeat_ms: expected integer");
    after = zw_config_dump_json(cfg);
    assert_string_equal(after, before);
    free(after);
    free(before);

    /* Removing reloadable keys returns them to their defaults. */
    t_write(path, "{\"common\": {\"workers\": 4},"
                  " \"broker\": {\"endpoint\": \"tcp://127.0.0.1:6000\"}}");
    assert_int_equal(zw_config_reload_file(cfg, path, "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 2500);
    assert_string_equal(zw_config_str(cfg, "label"), "");
    assert_false(zw_config_bool(cfg, "verbose"));

    /* Overrides survive a reload, even of non-reloadable keys. */
    assert_int_equal(zw_config_set(cfg, "workers", "32", &err), 0);
    assert_int_equal(zw_config_set(cfg, "heartbeat_ms", "50", &err), 0);
    t_write(path, "{\"common\": {\"workers\": 4},"
                  " \"broker\": {\"endpoint\": \"tcp://127.0.0.1:6000\", \"heartbeat_ms\": 9}}");
    assert_int_equal(zw_config_reload_file(cfg, path, "broker", &err), 0);
    assert_int_equal(zw_config_int(cfg, "workers"), 32);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 50);

    unlink(path);
    assert_int_equal(zw_config_reload_file(cfg, path, "broker", &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    zw_config_destroy(&cfg);
}

static void t_dump_conninfo(zw_config_t *cfg, const char *conninfo, const char *want)
{
    zw_err_t err;
    assert_int_equal(zw_config_set(cfg, "db_conninfo", conninfo, &err), 0);
    char *text = zw_config_dump_json(cfg);
    cJSON *obj = cJSON_Parse(text);
    assert_non_null(obj);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "db_conninfo");
    assert_true(cJSON_IsString(v));
    if (strcmp(v->valuestring, want) != 0)
        fprintf(stderr, "conninfo \"%s\": want \"%s\", got \"%s\"\n", conninfo, want,
                v->valuestring);
    assert_string_equal(v->valuestring, want);
    cJSON_Delete(obj);
    free(text);
}

static void test_dump(void **state)
{
    (void) state;
    zw_config_t *cfg = t_new();
    zw_err_t err;
    assert_int_equal(zw_config_set(cfg, "workers", "9223372036854775807", &err), 0);
    assert_int_equal(zw_config_set(cfg, "verbose", "true", &err), 0);
    char *text = zw_config_dump_json(cfg);
    /* 64-bit integers are written exactly, not through a double */
    assert_non_null(strstr(text, "\"workers\":9223372036854775807"));
    assert_null(strstr(text, "s3cr3t"));
    assert_null(strstr(text, "hunter2"));
    assert_null(strstr(text, "server.key"));
    cJSON *obj = cJSON_Parse(text);
    assert_non_null(obj);
    assert_int_equal(cJSON_GetArraySize(obj), (int) T_NSPECS);
    assert_string_equal(obj->child->string, "endpoint"); /* table order */
    assert_string_equal(cJSON_GetObjectItem(obj, "endpoint")->valuestring, "tcp://127.0.0.1:5555");
    assert_int_equal(cJSON_GetObjectItem(obj, "heartbeat_ms")->valuedouble, 2500);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(obj, "verbose")));
    assert_true(cJSON_GetObjectItem(obj, "ratio")->valuedouble == 0.5);
    assert_string_equal(cJSON_GetObjectItem(obj, "curve_secret")->valuestring, "***");
    assert_string_equal(cJSON_GetObjectItem(obj, "admin_password")->valuestring, "***");
    assert_string_equal(cJSON_GetObjectItem(obj, "server_key_file")->valuestring, "***");
    assert_string_equal(cJSON_GetObjectItem(obj, "db_conninfo")->valuestring,
                        "host=127.0.0.1 dbname=zwfw");
    cJSON_Delete(obj);
    free(text);

    /* db_conninfo goes through zw_conninfo_mask (all its cases are in
     * test_conninfo); here only that the dump uses it. */
    t_dump_conninfo(cfg, "host=db user=zw password=secret dbname=zwfw",
                    "host=db user=zw password=*** dbname=zwfw");
    t_dump_conninfo(cfg, "postgresql://zw:secret@db.example:5432/zwfw?sslmode=require",
                    "postgresql://zw:***@db.example:5432/zwfw?sslmode=require");
    t_dump_conninfo(cfg, "host=db password='unterminated", "***");
    assert_null(zw_config_dump_json(NULL));
    zw_config_destroy(&cfg);
}

/* Getters abort on a programming error; run each in a child process. */
static void t_expect_abort(void (*fn)(zw_config_t *))
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* keep the child's expected complaint out of the test output */
        if (!freopen("/dev/null", "w", stderr))
            _exit(2);
        zw_config_t *cfg = zw_config_new(T_SPECS, T_NSPECS);
        fn(cfg);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
}

static void t_unknown_name(zw_config_t *cfg)
{
    (void) zw_config_int(cfg, "nope");
}

static void t_wrong_type(zw_config_t *cfg)
{
    (void) zw_config_str(cfg, "heartbeat_ms");
}

static void t_null_name(zw_config_t *cfg)
{
    (void) zw_config_bool(cfg, NULL);
}

static void test_getters_abort_on_misuse(void **state)
{
    (void) state;
    t_expect_abort(t_unknown_name);
    t_expect_abort(t_wrong_type);
    t_expect_abort(t_null_name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_new_rejects_bad_specs),
        cmocka_unit_test(test_load_sections),
        cmocka_unit_test(test_load_errors_change_nothing),
        cmocka_unit_test(test_nul_byte_refused),
        cmocka_unit_test(test_same_fixed),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_getters_abort_on_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
