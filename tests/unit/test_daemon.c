#include "daemon.h"
#include "zwtest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const zw_cfg_spec_t T_SPECS[] = {
    {"endpoint", ZW_CFG_STRING, "tcp://127.0.0.1:5555", false, "where to listen"},
    {"heartbeat_ms", ZW_CFG_INT, "2500", false, "heartbeat interval"},
    {"log_level", ZW_CFG_STRING, "info", true, "debug, info, warn or error"},
};
#define T_NSPECS (sizeof T_SPECS / sizeof T_SPECS[0])

static const zw_daemon_spec_t T_SPEC = {.name = "zwfw-test",
                                        .section = "test",
                                        .intro = "usage: zwfw-test [--config FILE]\n",
                                        .specs = T_SPECS,
                                        .n_specs = T_NSPECS,
                                        .help_width = 14};

static const zw_daemon_spec_t T_LIST_SPEC = {.name = "zwfw-test",
                                             .section = "test",
                                             .intro = "usage: zwfw-test\n",
                                             .specs = T_SPECS,
                                             .n_specs = T_NSPECS,
                                             .help_width = 14,
                                             .list_option = "endpoint",
                                             .list_max = 2};

/* What one zw_daemon_parse printed, and what it returned. */
typedef struct {
    bool run;
    int exit_code;
    char out[4096];
    char err[4096];
} t_result_t;

static void t_slurp(FILE *f, char *buf, size_t size)
{
    fflush(f);
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Parses argv (NULL-terminated) with stdout and stderr captured. */
static void t_parse(const zw_daemon_spec_t *spec, char **argv, zw_daemon_args_t *args,
                    t_result_t *r)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    FILE *out = tmpfile(), *err = tmpfile();
    assert_non_null(out);
    assert_non_null(err);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    memset(args, 0, sizeof *args);
    r->exit_code = -1;
    r->run = zw_daemon_parse(spec, argc, argv, args, &r->exit_code);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    t_slurp(out, r->out, sizeof r->out);
    t_slurp(err, r->err, sizeof r->err);
}

static void test_parse_settings(void **state)
{
    (void) state;
    char *argv[] = {"zwfw-test", "--config",          "/etc/zwfw.json",       "--heartbeat-ms",
                    "200",       "--log_level=debug", "--endpoint=tcp://*:1", NULL};
    zw_daemon_args_t args;
    t_result_t r;
    t_parse(&T_SPEC, argv, &args, &r);
    assert_true(r.run);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    assert_string_equal(args.config, "/etc/zwfw.json");
    assert_int_equal(args.n_overrides, 3);
    assert_string_equal(args.overrides[0][0], "heartbeat_ms");
    assert_string_equal(args.overrides[0][1], "200");
    assert_string_equal(args.overrides[1][0], "log_level");
    assert_string_equal(args.overrides[1][1], "debug");
    /* without a list option, --endpoint is a setting like any other */
    assert_string_equal(args.overrides[2][0], "endpoint");
    assert_string_equal(args.overrides[2][1], "tcp://*:1");
    assert_int_equal(args.n_list, 0);
    zw_daemon_args_free(&args);
    assert_int_equal(args.n_overrides, 0);
    zw_daemon_args_free(&args); /* twice is harmless */
}

static void test_parse_list_option(void **state)
{
    (void) state;
    char *argv[] = {"zwfw-test", "--endpoint", "tcp://a:1", "--heartbeat-ms",
                    "9",         "--endpoint", "tcp://b:2", NULL};
    zw_daemon_args_t args;
    t_result_t r;
    t_parse(&T_LIST_SPEC, argv, &args, &r);
    assert_true(r.run);
    assert_null(args.config);
    assert_int_equal(args.n_list, 2);
    assert_string_equal(args.list[0], "tcp://a:1");
    assert_string_equal(args.list[1], "tcp://b:2");
    assert_int_equal(args.n_overrides, 1);
    assert_string_equal(args.overrides[0][0], "heartbeat_ms");
    zw_daemon_args_free(&args);

    char *three[] = {"zwfw-test", "--endpoint", "a", "--endpoint", "b", "--endpoint", "c", NULL};
    t_parse(&T_LIST_SPEC, three, &args, &r);
    assert_false(r.run);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "zwfw-test: at most 2 endpoints\n"));
    assert_non_null(strstr(r.err, "usage: zwfw-test\n"));
}

static void test_parse_errors(void **state)
{
    (void) state;
    struct {
        char *argv[4];
        const char *message;
    } cases[] = {
        {{"zwfw-test", "stray", NULL}, "zwfw-test: unexpected argument 'stray'\n"},
        {{"zwfw-test", "-x", "1", NULL}, "zwfw-test: unexpected argument '-x'\n"},
        {{"zwfw-test", "--", NULL}, "zwfw-test: unexpected argument '--'\n"},
        {{"zwfw-test", "--heartbeat-ms", NULL}, "zwfw-test: --heartbeat-ms needs a value\n"},
        {{"zwfw-test", "--config", NULL}, "zwfw-test: --config needs a value\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zw_daemon_args_t args;
        t_result_t r;
        t_parse(&T_SPEC, cases[i].argv, &args, &r);
        assert_false(r.run);
        assert_int_equal(r.exit_code, 2);
        assert_string_equal(r.out, "");
        /* the message first, then the usage */
        assert_memory_equal(r.err, cases[i].message, strlen(cases[i].message));
        assert_non_null(strstr(r.err, "usage: zwfw-test [--config FILE]\n"));
        assert_int_equal(args.n_overrides, 0); /* freed on failure */
    }
}

static void test_parse_too_many(void **state)
{
    (void) state;
    enum { N = ZW_DAEMON_MAX_OVERRIDES + 1 };
    char *argv[2 * N + 2];
    char names[N][16];
    argv[0] = "zwfw-test";
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "--opt-%d", i);
        argv[1 + 2 * i] = names[i];
        argv[2 + 2 * i] = "v";
    }
    argv[2 * N + 1] = NULL;
    zw_daemon_args_t args;
    t_result_t r;
    t_parse(&T_SPEC, argv, &args, &r);
    assert_false(r.run);
    assert_int_equal(r.exit_code, 2);
    assert_non_null(strstr(r.err, "zwfw-test: too many options\n"));
    assert_int_equal(args.n_overrides, 0);

    /* one fewer fits */
    argv[2 * N - 1] = NULL;
    t_parse(&T_SPEC, argv, &args, &r);
    assert_true(r.run);
    assert_int_equal(args.n_overrides, ZW_DAEMON_MAX_OVERRIDES);
    assert_string_equal(args.overrides[63][0], "opt_63");
    zw_daemon_args_free(&args);
}

static void test_help_and_version(void **state)
{
    (void) state;
    char *help[] = {"zwfw-test", "--heartbeat-ms", "5", "--help", "stray", NULL};
    zw_daemon_args_t args;
    t_result_t r;
    t_parse(&T_SPEC, help, &args, &r);
    assert_false(r.run);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.err, "");
    assert_string_equal(r.out,
                        "usage: zwfw-test [--config FILE]\n"
                        "  --endpoint       where to listen (default \"tcp://127.0.0.1:5555\")\n"
                        "  --heartbeat-ms   heartbeat interval (default \"2500\")\n"
                        "  --log-level      debug, info, warn or error (default \"info\") "
                        "[SIGHUP]\n");
    assert_int_equal(args.n_overrides, 0);

    char *h[] = {"zwfw-test", "-h", NULL};
    t_parse(&T_SPEC, h, &args, &r);
    assert_false(r.run);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "usage: zwfw-test"));

    char *version[] = {"zwfw-test", "--version", NULL};
    t_parse(&T_SPEC, version, &args, &r);
    assert_false(r.run);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.out, "zwfw-test " ZWFW_VERSION "\n");
}

static char *t_write_config(const char *json)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/zwfw_test_daemon_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, json, strlen(json)), (ssize_t) strlen(json));
    close(fd);
    return path;
}

static void test_configure(void **state)
{
    (void) state;
    char *path = t_write_config("{\"common\": {\"log_level\": \"warn\"},"
                                " \"test\": {\"heartbeat_ms\": 100, \"endpoint\": \"tcp://x:1\"},"
                                " \"other\": {\"whatever\": 1}}");
    char *argv[] = {"zwfw-test", "--config", path, "--heartbeat-ms", "200", NULL};
    zw_daemon_args_t args;
    t_result_t r;
    t_parse(&T_SPEC, argv, &args, &r);
    assert_true(r.run);
    zw_config_t *cfg = zw_config_new(T_SPECS, T_NSPECS);
    assert_non_null(cfg);
    zw_err_t err = {0};
    assert_int_equal(zw_daemon_configure(&T_SPEC, &args, cfg, &err), 0);
    assert_int_equal(zw_config_int(cfg, "heartbeat_ms"), 200); /* the command line wins */
    assert_string_equal(zw_config_str(cfg, "endpoint"), "tcp://x:1");
    assert_string_equal(zw_config_str(cfg, "log_level"), "warn");
    zw_config_destroy(&cfg);
    zw_daemon_args_free(&args);

    /* an unknown setting on the command line: 2 */
    char *unknown[] = {"zwfw-test", "--config", path, "--no-such", "1", NULL};
    t_parse(&T_SPEC, unknown, &args, &r);
    assert_true(r.run);
    cfg = zw_config_new(T_SPECS, T_NSPECS);
    assert_int_equal(zw_daemon_configure(&T_SPEC, &args, cfg, &err), 2);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no_such"));
    zw_config_destroy(&cfg);
    zw_daemon_args_free(&args);

    /* a bad value on the command line: 2 */
    char *bad[] = {"zwfw-test", "--heartbeat-ms", "soon", NULL};
    t_parse(&T_SPEC, bad, &args, &r);
    cfg = zw_config_new(T_SPECS, T_NSPECS);
    assert_int_equal(zw_daemon_configure(&T_SPEC, &args, cfg, &err), 2);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    zw_config_destroy(&cfg);
    zw_daemon_args_free(&args);
    unlink(path);

    /* a missing file: 1 (before any override is looked at) */
    char *missing[] = {"zwfw-test", "--config", "/nonexistent/zwfw.json", "--no-such", "1", NULL};
    t_parse(&T_SPEC, missing, &args, &r);
    cfg = zw_config_new(T_SPECS, T_NSPECS);
    assert_int_equal(zw_daemon_configure(&T_SPEC, &args, cfg, &err), 1);
    assert_non_null(strstr(err.message, "/nonexistent/zwfw.json"));
    zw_config_destroy(&cfg);
    zw_daemon_args_free(&args);

    /* a key the section does not declare: 1, the section named */
    path = t_write_config("{\"test\": {\"bogus\": 1}}");
    char *bogus[] = {"zwfw-test", "--config", path, NULL};
    t_parse(&T_SPEC, bogus, &args, &r);
    cfg = zw_config_new(T_SPECS, T_NSPECS);
    assert_int_equal(zw_daemon_configure(&T_SPEC, &args, cfg, &err), 1);
    assert_non_null(strstr(err.message, "test.bogus"));
    zw_config_destroy(&cfg);
    zw_daemon_args_free(&args);
    unlink(path);
}

static void test_int_range(void **state)
{
    (void) state;
    zw_config_t *cfg = zw_config_new(T_SPECS, T_NSPECS);
    assert_non_null(cfg);
    zw_err_t err = {0};
    int64_t v = -1;
    assert_int_equal(zw_config_int_range(cfg, "test", "heartbeat_ms", 1, 2500, &v, &err), 0);
    assert_int_equal(v, 2500);
    v = -1;
    assert_int_equal(zw_config_int_range(cfg, "test", "heartbeat_ms", 2501, 3000, &v, &err), -1);
    assert_int_equal(v, -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.message, "test.heartbeat_ms: 2500 is out of range [2501, 3000]");
    assert_string_equal(err.detail, "heartbeat_ms");
    assert_int_equal(zw_config_set(cfg, "heartbeat_ms", "-7", &err), 0);
    assert_int_equal(zw_config_int_range(cfg, NULL, "heartbeat_ms", 0, INT64_MAX, &v, &err), -1);
    assert_string_equal(err.message, "heartbeat_ms: -7 is out of range [0, 9223372036854775807]");
    assert_int_equal(zw_config_int_range(cfg, NULL, "heartbeat_ms", -7, -7, &v, NULL), 0);
    assert_int_equal(v, -7);
    assert_int_equal(zw_config_int_range(cfg, NULL, "heartbeat_ms", 0, 1, &v, NULL), -1);
    zw_config_destroy(&cfg);
}

static void test_split(void **state)
{
    (void) state;
    const char *out[3];
    char list[] = "tcp://a:1, tcp://b:2  tcp://c:3,";
    assert_int_equal(zw_daemon_split(list, out, 3), 3);
    assert_string_equal(out[0], "tcp://a:1");
    assert_string_equal(out[1], "tcp://b:2");
    assert_string_equal(out[2], "tcp://c:3");
    char more[] = "a,b,c,d";
    assert_int_equal(zw_daemon_split(more, out, 3), -1);
    char empty[] = " , ";
    assert_int_equal(zw_daemon_split(empty, out, 3), 0);
}

/* The settings intake and workflow share, joined with a daemon's own: in
 * order, usable as one table; a name in both halves is refused. */
static void test_common_specs_join(void **state)
{
    (void) state;
    size_t n_common = 0;
    const zw_cfg_spec_t *common = zw_daemon_common_specs(&n_common);
    const char *want[] = {"db_conninfo",   "broker_endpoint", "clock_mode", "pub_endpoint",
                          "relay_busy_ms", "migrate",         "log_level"};
    for (size_t w = 0; w < sizeof want / sizeof want[0]; w++) {
        bool found = false;
        for (size_t i = 0; i < n_common; i++)
            found |= strcmp(common[i].name, want[w]) == 0;
        assert_true(found);
    }
    static const zw_cfg_spec_t own[] = {
        {"threads", ZW_CFG_INT, "4", false, "worker threads"},
        {"sweep_ms", ZW_CFG_INT, "1000", true, "sweep"},
    };
    size_t n = 0;
    zw_cfg_spec_t *all = zw_daemon_specs_join(common, n_common, own, 2, &n);
    assert_non_null(all);
    assert_int_equal(n, n_common + 2);
    assert_string_equal(all[0].name, common[0].name);
    assert_string_equal(all[n_common].name, "threads");
    assert_string_equal(all[n_common + 1].name, "sweep_ms");
    zw_config_t *cfg = zw_config_new(all, n);
    assert_non_null(cfg);
    assert_int_equal(zw_config_int(cfg, "relay_busy_ms"), 10);
    assert_int_equal(zw_config_int(cfg, "threads"), 4);
    zw_config_destroy(&cfg);
    free(all);
    /* the same setting twice is a table bug the config refuses */
    all = zw_daemon_specs_join(common, n_common, common, 1, &n);
    assert_non_null(all);
    assert_null(zw_config_new(all, n));
    free(all);
}

static void test_signals(void **state)
{
    (void) state;
    /* Without reload, SIGHUP keeps its default action: it ends the process. */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        zw_daemon_signals(false);
        raise(SIGHUP);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGHUP);

    /* In a child too, so this process keeps clean flags. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        zw_daemon_signals(true);
        int bad = 0;
        bad |= zw_daemon_stopping() || zw_daemon_take_reload();
        raise(SIGHUP);
        bad |= (!zw_daemon_take_reload()) << 1;
        bad |= zw_daemon_take_reload() << 2; /* taken: cleared */
        bad |= zw_daemon_stopping() << 3;
        raise(SIGPIPE); /* ignored */
        raise(SIGTERM);
        bad |= (!zw_daemon_stopping()) << 4;
        bad |= (*zw_daemon_stop_flag() != 1) << 5;
        bad |= zw_daemon_take_reload() << 6;
        _exit(bad);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        zw_daemon_signals(false);
        raise(SIGINT);
        _exit(zw_daemon_stopping() ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_settings),   cmocka_unit_test(test_parse_list_option),
        cmocka_unit_test(test_parse_errors),     cmocka_unit_test(test_parse_too_many),
        cmocka_unit_test(test_help_and_version), cmocka_unit_test(test_configure),
        cmocka_unit_test(test_int_range),        cmocka_unit_test(test_split),
        cmocka_unit_test(test_signals),          cmocka_unit_test(test_common_specs_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
