/* The catalog through the real stack: zwfw-broker and zwfw-intake as
 * processes, `zwfwctl catalog` as the operator's tool. Loads the sample
 * catalog twice (the second load changes nothing), lists it, cancels an
 * item and sees it leave the public listing, restores it, and is refused
 * a change through a broker whose callers are `window` keys.
 *
 * Two plain brokers stand in for the two kinds of caller: plain mode gives
 * every caller of a broker one configured identity (here operator on one,
 * window on the other), and the daemon registers with both. Every process
 * is stopped in teardown and must exit cleanly (so leaks under ASan fail
 * the test); each dies with the test process (PR_SET_PDEATHSIG). */
#include "zwproc.h"
#include "zwstack.h"
#include "zwtest.h"

#include "clock.h"
#include "mdp_client.h"
#include "wire_json.h"
#include "zwfw/v1/catalog.pb-c.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_HB 250

typedef struct {
    void *ctx;
    char dir[64];
    char ep_operator[64]; /* broker whose plain callers are operators */
    char ep_window[64];   /* broker whose plain callers are windows */
    char *conninfo;
    zwt_stack_t procs; /* stopped in teardown */
    int runs;
} s_stack_t;

/* The text of a file into buf (at most size - 1 bytes). */
static void s_slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
}

/* Runs zwfwctl with args against endpoint ep; returns its exit code, with
 * its stdout in *out and stderr in *err (static buffers, valid until the
 * next call). */
static int s_ctl(s_stack_t *s, const char *ep, const char *const *args, char **out, char **err)
{
    static char out_buf[1 << 17], err_buf[1 << 14];
    char out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/ctl.%d.out", s->dir, ++s->runs);
    snprintf(err_path, sizeof err_path, "%s/ctl.%d.err", s->dir, s->runs);
    char *argv[40];
    int n = 0;
    argv[n++] = strdup(zwt_bin_path("zwfwctl"));
    argv[n++] = "catalog";
    for (int i = 0; args[i] && n < 34; i++)
        argv[n++] = (char *) args[i];
    argv[n++] = "--endpoint";
    argv[n++] = (char *) ep;
    argv[n++] = "--plain";
    argv[n++] = "--timeout";
    argv[n++] = "20000";
    argv[n] = NULL;
    pid_t pid = zwt_proc_spawn(argv[0], argv, &(zwt_proc_io_t){.out = out_path, .err = err_path});
    free(argv[0]);
    int status = zwt_proc_wait(pid, 120000);
    assert_true(status != -1);
    s_slurp(out_path, out_buf, sizeof out_buf);
    s_slurp(err_path, err_buf, sizeof err_buf);
    *out = out_buf;
    *err = err_buf;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static zw_client_t *s_client(s_stack_t *s, const char *ep)
{
    zw_err_t err;
    const char *eps[] = {ep};
    zw_client_t *c = zw_client_new(s->ctx, eps, 1, &err);
    assert_non_null(c);
    zw_client_set_timeout(c, 20000);
    zw_client_set_retries(c, 0);
    return c;
}

static void s_wait_service(s_stack_t *s, const char *ep, const char *service)
{
    assert_true(zwt_stack_wait_service(&s->procs, s->ctx, ep, service, 30000));
}

static int s_setup(void **state)
{
    s_stack_t *s = calloc(1, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "/tmp/zwt-catalog-XXXXXX");
    if (!mkdtemp(s->dir))
        return -1;
    s->conninfo = zwt_pg_fresh_db("zwt_catalog_stack");
    if (!s->conninfo)
        return -1;
    s->ctx = zmq_ctx_new();
    zwt_stack_init(&s->procs, s->dir);

    char key_path[128];
    snprintf(key_path, sizeof key_path, "%s/pii.key", s->dir);
    FILE *f = fopen(key_path, "w");
    fprintf(f, "%s\n", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    fclose(f);
    chmod(key_path, 0600);

    zwt_stack_broker_free(&s->procs, (zwt_broker_opts_t){.heartbeat_ms = S_HB}, s->ep_operator,
                          sizeof s->ep_operator);
    zwt_stack_broker_free(&s->procs,
                          (zwt_broker_opts_t){.heartbeat_ms = S_HB,
                                              .plain_role = "window",
                                              .plain_key_id = "window-1"},
                          s->ep_window, sizeof s->ep_window);
    char brokers[160];
    snprintf(brokers, sizeof brokers, "%s,%s", s->ep_operator, s->ep_window);
    const char *const extra[] = {"--catalog-threads", "2", NULL};
    zwt_stack_intake(&s->procs, &(zwt_intake_opts_t){.conninfo = s->conninfo,
                                                     .brokers = brokers,
                                                     .pii_key_file = key_path,
                                                     .threads = 2,
                                                     .heartbeat_ms = S_HB,
                                                     .extra = extra});
    *state = s;
    s_wait_service(s, s->ep_operator, "zwfw.catalog");
    s_wait_service(s, s->ep_window, "zwfw.catalog");
    return 0;
}

static int s_teardown(void **state)
{
    s_stack_t *s = *state;
    int failures = zwt_stack_stop_all(&s->procs, 15000);
    zmq_ctx_term(s->ctx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", s->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", s->dir);
    free(s->conninfo);
    free(s);
    return failures ? -1 : 0;
}

/* The number of items in `zwfwctl catalog list` output ("N items"). */
static long s_listed(const char *out)
{
    const char *p = strstr(out, " items\n");
    assert_non_null(p);
    while (p > out && p[-1] >= '0' && p[-1] <= '9')
        p--;
    return atol(p);
}

static void test_load_list_cancel_through_the_broker(void **state)
{
    s_stack_t *s = *state;
    const char *sample = zwt_src_path("deploy/catalog/tongnan-sample.json");
    char path[1024];
    snprintf(path, sizeof path, "%s", sample);
    char *out, *err;

    /* the sample: 60 items and 4 bundles, then the same again */
    const char *load[] = {"load", path, "--actor", "operator-li", NULL};
    int rc = s_ctl(s, s->ep_operator, load, &out, &err);
    if (rc != 0)
        fail_msg("load: exit %d: %s%s", rc, out, err);
    assert_non_null(strstr(out, "created 64, updated 0, unchanged 0"));
    rc = s_ctl(s, s->ep_operator, load, &out, &err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "created 0, updated 0, unchanged 64"));

    const char *list[] = {"list", NULL};
    assert_int_equal(s_ctl(s, s->ep_operator, list, &out, &err), 0);
    assert_int_equal(s_listed(out), 60);
    const char *code = "500A0100100000-500152000000-000-11500152MB17035173-1-00";
    assert_non_null(strstr(out, code));
    const char *filtered[] = {"list", "--handling", "immediate", "--scope", "chuanyu", NULL};
    assert_int_equal(s_ctl(s, s->ep_operator, filtered, &out, &err), 0);
    long chuanyu_immediate = s_listed(out);
    assert_true(chuanyu_immediate > 0 && chuanyu_immediate < 60);

    /* cancel: gone from the public listing at once, still readable */
    const char *cancel[] = {"cancel", code, "--reason", "依据区政府文件取消", NULL};
    rc = s_ctl(s, s->ep_operator, cancel, &out, &err);
    if (rc != 0)
        fail_msg("cancel: exit %d: %s", rc, err);
    assert_non_null(strstr(out, "cancelled"));
    assert_non_null(strstr(out, "(version 2)"));
    assert_int_equal(s_ctl(s, s->ep_window, list, &out, &err), 0);
    assert_int_equal(s_listed(out), 59);
    assert_null(strstr(out, code));
    const char *get[] = {"get", code, NULL};
    assert_int_equal(s_ctl(s, s->ep_window, get, &out, &err), 0);
    assert_non_null(strstr(out, "ITEM_STATUS_CANCELLED"));
    const char *all[] = {"list", "--all", NULL};
    assert_int_equal(s_ctl(s, s->ep_operator, all, &out, &err), 0);
    assert_int_equal(s_listed(out), 60);
    assert_int_equal(s_ctl(s, s->ep_window, all, &out, &err), 1);
    assert_non_null(strstr(err, "PERMISSION_DENIED"));

    /* a window may read but not change the catalog */
    assert_int_equal(s_ctl(s, s->ep_window, load, &out, &err), 1);
    assert_non_null(strstr(err, "PERMISSION_DENIED"));
    zw_client_t *c = s_client(s, s->ep_window);
    Zwfw__V1__PutItem put = ZWFW__V1__PUT_ITEM__INIT;
    Zwfw__V1__Item item = ZWFW__V1__ITEM__INIT;
    item.impl_code = (char *) code;
    item.name = "窗口不能改";
    put.idempotency_key = "w-1";
    put.actor = "window-zhang";
    put.item = &item;
    ProtobufCMessage *reply = NULL;
    zw_err_t e;
    assert_int_equal(zw_client_call(c, "zwfw.catalog", &put.base, &reply, &e), -1);
    assert_int_equal(e.code, ZW_PERMISSION_DENIED);
    Zwfw__V1__ListItems q = ZWFW__V1__LIST_ITEMS__INIT;
    q.page_size = 500;
    assert_int_equal(zw_client_call(c, "zwfw.catalog", &q.base, &reply, &e), 0);
    assert_int_equal(((Zwfw__V1__ListItemsReply *) reply)->n_items, 59);
    protobuf_c_message_free_unpacked(reply, NULL);
    zw_client_destroy(&c);

    /* restore brings it back */
    const char *restore[] = {"restore", code, NULL};
    assert_int_equal(s_ctl(s, s->ep_operator, restore, &out, &err), 0);
    assert_non_null(strstr(out, "(version 3)"));
    assert_int_equal(s_ctl(s, s->ep_window, list, &out, &err), 0);
    assert_int_equal(s_listed(out), 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_list_cancel_through_the_broker, s_setup,
                                        s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
