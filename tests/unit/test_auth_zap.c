/* zw_auth and zw_auth_zap: plain and CURVE modes, the bind endpoint
 * rules, the ZAP handler admitting registered keys over a real CURVE
 * handshake on loopback (and nothing else), and registry reloads. */
#include "zwtest.h"

#include "auth.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* ------------------------------------------------------------ endpoints */

static void test_endpoint_rules(void **state)
{
    (void) state;
    zw_err_t err;
    const char *plain_ok[] = {"tcp://127.0.0.1:5555", "tcp://127.1.2.3:*", "tcp://[::1]:0",
                              "ipc:///run/zwfw/broker", "inproc://x"};
    for (size_t i = 0; i < sizeof plain_ok / sizeof *plain_ok; i++)
        assert_int_equal(zw_auth_endpoint_check(false, plain_ok[i], &err), 0);
    const char *plain_denied[] = {"tcp://0.0.0.0:5555",   "tcp://*:5555",    "tcp://10.0.0.1:5555",
                                  "tcp://localhost:5555", "tcp://[::]:5555", "tcp://eth0:5555"};
    for (size_t i = 0; i < sizeof plain_denied / sizeof *plain_denied; i++) {
        assert_int_equal(zw_auth_endpoint_check(false, plain_denied[i], &err), -1);
        assert_int_equal(err.code, ZW_PERMISSION_DENIED);
        assert_non_null(strstr(err.message, "plain mode"));
    }
    const char *malformed[] = {"",
                               "udp://127.0.0.1:1",
                               "tcp://127.0.0.1",
                               "tcp://127.0.0.1:x",
                               "tcp://127.0.0.1:99999",
                               "ipc://",
                               "tcp://a;127.0.0.1:1"};
    for (size_t i = 0; i < sizeof malformed / sizeof *malformed; i++) {
        assert_int_equal(zw_auth_endpoint_check(false, malformed[i], &err), -1);
        assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
        assert_int_equal(zw_auth_endpoint_check(true, malformed[i], &err), -1);
    }
    assert_int_equal(zw_auth_endpoint_check(false, NULL, &err), -1);
    /* CURVE: any host, but no inproc (no handshake there) */
    assert_int_equal(zw_auth_endpoint_check(true, "tcp://*:5555", &err), 0);
    assert_int_equal(zw_auth_endpoint_check(true, "tcp://0.0.0.0:5555", &err), 0);
    assert_int_equal(zw_auth_endpoint_check(true, "tcp://eth0:5555", &err), 0);
    assert_int_equal(zw_auth_endpoint_check(true, "ipc:///run/x", &err), 0);
    assert_int_equal(zw_auth_endpoint_check(true, "inproc://x", &err), -1);
    assert_non_null(strstr(err.message, "no CURVE handshake"));
}

/* ------------------------------------------------------------ ZAP, modes */

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the daemon side (ZAP handler and server) until a message arrives on
 * server or timeout_ms pass; returns the message's first body frame's
 * User-Id entry through *peer (NULL when none) and true if one came. */
static bool s_serve(zw_auth_t *auth, void *server, int timeout_ms, const zw_auth_entry_t **peer,
                    char *user, size_t usersz)
{
    int64_t end = s_now_ms() + timeout_ms;
    *peer = NULL;
    user[0] = '\0';
    while (s_now_ms() < end) {
        zmq_pollitem_t items[2] = {{server, 0, ZMQ_POLLIN, 0},
                                   {zw_auth_zap_socket(zw_auth_zap(auth)), 0, ZMQ_POLLIN, 0}};
        zmq_poll(items, 2, 50);
        if (items[1].revents & ZMQ_POLLIN)
            zw_auth_zap_handle(zw_auth_zap(auth));
        if (items[0].revents & ZMQ_POLLIN) {
            zmq_msg_t id, body;
            zmq_msg_init(&id);
            zmq_msg_init(&body);
            assert_true(zmq_msg_recv(&id, server, 0) >= 0);
            assert_true(zmq_msg_recv(&body, server, 0) >= 0);
            *peer = zw_auth_peer(auth, &body);
            const char *u = zmq_msg_gets(&body, "User-Id");
            snprintf(user, usersz, "%s", u ? u : "");
            zmq_msg_close(&id);
            zmq_msg_close(&body);
            return true;
        }
    }
    return false;
}

static void *s_client(void *ctx, const zw_auth_keys_t *keys, const char *server_key,
                      const char *endpoint)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zw_auth_client_t c;
    memset(&c, 0, sizeof c);
    c.keys = *keys;
    snprintf(c.server_key, sizeof c.server_key, "%s", server_key);
    assert_int_equal(zw_auth_client_apply(&c, s, NULL), 0);
    assert_int_equal(zmq_connect(s, endpoint), 0);
    return s;
}

static void s_registry_file(const char *path, const zw_auth_keys_t *a, const zw_auth_keys_t *b)
{
    char e1[512], e2[512], json[1200];
    zwt_key_entry(e1, sizeof e1, "alice", a->public_key, "head", ", \"department\": \"D1\"");
    if (b)
        zwt_key_entry(e2, sizeof e2, "bob", b->public_key, "window", "");
    snprintf(json, sizeof json, "{\"keys\": [%s%s%s]}", e1, b ? "," : "", b ? e2 : "");
    zwt_write_file(path, json, 0644);
}

static void test_auth_modes(void **state)
{
    (void) state;
    zw_err_t err;
    void *ctx = zmq_ctx_new();
    /* plain */
    zw_auth_t *auth = zw_auth_new(ctx, NULL, "", &err);
    assert_non_null(auth);
    assert_false(zw_auth_is_curve(auth));
    assert_string_equal(zw_auth_mode(auth), "plain");
    assert_string_equal(zw_auth_public_key(auth), "");
    assert_null(zw_auth_zap(auth));
    assert_null(zw_auth_registry(auth));
    size_t n = 99;
    assert_int_equal(zw_auth_reload(auth, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(zw_auth_bind_check(auth, "tcp://0.0.0.0:1", &err), -1);
    zw_auth_destroy(&auth);
    assert_string_equal(zw_auth_mode(NULL), "plain");
    /* half a configuration */
    assert_null(zw_auth_new(ctx, "x.secret", NULL, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "key_registry_file");
    assert_null(zw_auth_new(ctx, "", "keys.json", &err));
    assert_string_equal(err.detail, "curve_secret_key_file");

    zw_auth_keys_t server, alice;
    assert_int_equal(zw_auth_keys_generate(&server, &err), 0);
    assert_int_equal(zw_auth_keys_generate(&alice, &err), 0);
    assert_int_equal(zw_auth_keys_save(&server, zwt_tmp_dir(), "server", false, &err), 0);
    s_registry_file(zwt_tmp_path("reg.json"), &alice, NULL);
    char secret[256];
    snprintf(secret, sizeof secret, "%s/server.secret", zwt_tmp_dir());
    /* a bad registry or key stops it before anything is bound */
    zwt_write_file(zwt_tmp_path("bad.json"), "{\"keys\": [{}]}", 0644);
    assert_null(zw_auth_new(ctx, secret, zwt_tmp_path("bad.json"), &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_null(zw_auth_new(ctx, zwt_tmp_path("none.secret"), zwt_tmp_path("reg.json"), &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);

    auth = zw_auth_new(ctx, secret, zwt_tmp_path("reg.json"), &err);
    assert_non_null(auth);
    assert_true(zw_auth_is_curve(auth));
    assert_string_equal(zw_auth_public_key(auth), server.public_key);
    assert_int_equal(zw_auth_registry_size(zw_auth_registry(auth)), 1);
    /* a second handler in the same context cannot bind: CURVE must not start */
    zw_auth_t *second = zw_auth_new(ctx, secret, zwt_tmp_path("reg.json"), &err);
    assert_null(second);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "zeromq.zap.01"));
    zw_auth_destroy(&auth);
    /* once it is gone, the address is free again */
    auth = zw_auth_new(ctx, secret, zwt_tmp_path("reg.json"), &err);
    assert_non_null(auth);
    zw_auth_destroy(&auth);
    zmq_ctx_term(ctx);
}

static void test_zap_admits_registered_keys(void **state)
{
    (void) state;
    zw_err_t err;
    void *ctx = zmq_ctx_new();
    zw_auth_keys_t server, alice, bob, eve;
    assert_int_equal(zw_auth_keys_generate(&server, &err), 0);
    assert_int_equal(zw_auth_keys_generate(&alice, &err), 0);
    assert_int_equal(zw_auth_keys_generate(&bob, &err), 0);
    assert_int_equal(zw_auth_keys_generate(&eve, &err), 0);
    assert_int_equal(zw_auth_keys_save(&server, zwt_tmp_dir(), "srv", false, &err), 0);
    char secret[256];
    snprintf(secret, sizeof secret, "%s/srv.secret", zwt_tmp_dir());
    s_registry_file(zwt_tmp_path("zap.json"), &alice, &bob);
    zw_auth_t *auth = zw_auth_new(ctx, secret, zwt_tmp_path("zap.json"), &err);
    assert_non_null(auth);

    void *srv = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(srv, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zw_auth_server_socket(auth, srv, &err), 0);
    assert_int_equal(zmq_bind(srv, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    size_t eplen = sizeof ep;
    assert_int_equal(zmq_getsockopt(srv, ZMQ_LAST_ENDPOINT, ep, &eplen), 0);

    const zw_auth_entry_t *peer;
    char user[128];
    void *a = s_client(ctx, &alice, server.public_key, ep);
    assert_int_equal(zmq_send(a, "hi", 2, 0), 2);
    assert_true(s_serve(auth, srv, 5000, &peer, user, sizeof user));
    assert_string_equal(user, "alice");
    assert_non_null(peer);
    assert_string_equal(peer->name, "alice");
    assert_string_equal(peer->department, "D1");

    void *b = s_client(ctx, &bob, server.public_key, ep);
    assert_int_equal(zmq_send(b, "hi", 2, 0), 2);
    assert_true(s_serve(auth, srv, 5000, &peer, user, sizeof user));
    assert_string_equal(user, "bob");
    assert_int_equal(peer->role, ZWFW__V1__ROLE__ROLE_WINDOW);

    /* an unregistered key never gets a message through */
    void *e = s_client(ctx, &eve, server.public_key, ep);
    assert_int_equal(zmq_send(e, "hi", 2, ZMQ_DONTWAIT), 2);
    assert_false(s_serve(auth, srv, 600, &peer, user, sizeof user));
    zw_auth_zap_stats_t st;
    zw_auth_zap_stats(zw_auth_zap(auth), &st);
    assert_int_equal(st.admitted, 2);
    assert_true(st.refused >= 1);

    /* reload without bob: bob's open connection still delivers, but its
     * messages no longer map to a registered key */
    s_registry_file(zwt_tmp_path("zap.json"), &alice, NULL);
    size_t n = 0;
    assert_int_equal(zw_auth_reload(auth, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(zmq_send(b, "again", 5, 0), 5);
    assert_true(s_serve(auth, srv, 5000, &peer, user, sizeof user));
    assert_string_equal(user, "bob");
    assert_null(peer);
    /* ...and a new connection of bob is refused */
    void *b2 = s_client(ctx, &bob, server.public_key, ep);
    assert_int_equal(zmq_send(b2, "new", 3, ZMQ_DONTWAIT), 3);
    assert_false(s_serve(auth, srv, 600, &peer, user, sizeof user));
    /* a bad registry is not taken */
    zwt_write_file(zwt_tmp_path("zap.json"), "not json", 0644);
    assert_int_equal(zw_auth_reload(auth, &n, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(zw_auth_registry_size(zw_auth_registry(auth)), 1);
    assert_int_equal(zmq_send(a, "still", 5, 0), 5);
    assert_true(s_serve(auth, srv, 5000, &peer, user, sizeof user));
    assert_non_null(peer);
    assert_string_equal(peer->name, "alice");

    zmq_close(a);
    zmq_close(b);
    zmq_close(b2);
    zmq_close(e);
    zmq_close(srv);
    zw_auth_destroy(&auth);
    zmq_ctx_term(ctx);
}

/* A ZAP request written by hand: malformed and non-CURVE requests are
 * refused with 400 (or, without the frames to answer, ignored). */
static void test_zap_refuses_other_requests(void **state)
{
    (void) state;
    zw_err_t err;
    void *ctx = zmq_ctx_new();
    zw_auth_zap_t *zap = zw_auth_zap_new(ctx, &err);
    assert_non_null(zap);
    void *req = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(req, ZW_AUTH_ZAP_ENDPOINT), 0);
    uint8_t key[32] = {1, 2, 3};
    struct {
        const char *mechanism;
        size_t keylen;
        const char *version;
    } cases[] = {{"CURVE", 32, "1.0"},
                 {"PLAIN", 32, "1.0"},
                 {"NULL", 0, "1.0"},
                 {"CURVE", 31, "1.0"},
                 {"CURVE", 32, "2.0"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        zmq_send(req, "", 0, ZMQ_SNDMORE);
        zmq_send(req, cases[i].version, 3, ZMQ_SNDMORE);
        zmq_send(req, "id7", 3, ZMQ_SNDMORE);
        zmq_send(req, "zwfw", 4, ZMQ_SNDMORE);
        zmq_send(req, "127.0.0.1", 9, ZMQ_SNDMORE);
        zmq_send(req, "", 0, ZMQ_SNDMORE);
        zmq_send(req, cases[i].mechanism, strlen(cases[i].mechanism),
                 cases[i].keylen ? ZMQ_SNDMORE : 0);
        if (cases[i].keylen)
            zmq_send(req, key, cases[i].keylen, 0);
        zmq_pollitem_t item = {zw_auth_zap_socket(zap), 0, ZMQ_POLLIN, 0};
        assert_int_equal(zmq_poll(&item, 1, 2000), 1);
        assert_int_equal(zw_auth_zap_handle(zap), 1);
        char f[7][64];
        int len[7];
        for (int j = 0; j < 7; j++) {
            len[j] = zmq_recv(req, f[j], sizeof f[j] - 1, 0);
            assert_true(len[j] >= 0);
            f[j][len[j]] = '\0';
        }
        assert_string_equal(f[1], "1.0");
        assert_string_equal(f[2], "id7");
        assert_string_equal(f[3], "400"); /* no registry, and these are no good anyway */
        assert_string_equal(f[5], "");    /* no user id */
    }
    /* too short to answer: dropped, and the handler goes on */
    zmq_send(req, "", 0, ZMQ_SNDMORE);
    zmq_send(req, "1.0", 3, 0);
    zmq_pollitem_t item = {zw_auth_zap_socket(zap), 0, ZMQ_POLLIN, 0};
    assert_int_equal(zmq_poll(&item, 1, 2000), 1);
    assert_int_equal(zw_auth_zap_handle(zap), 1);
    assert_int_equal(zmq_poll(&(zmq_pollitem_t){req, 0, ZMQ_POLLIN, 0}, 1, 100), 0);
    zw_auth_zap_stats_t st;
    zw_auth_zap_stats(zap, &st);
    assert_int_equal(st.admitted, 0);
    assert_int_equal(st.refused, 5);
    zmq_close(req);
    zw_auth_zap_destroy(&zap);
    assert_null(zap);
    zmq_ctx_term(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoint_rules),
        cmocka_unit_test(test_auth_modes),
        cmocka_unit_test(test_zap_admits_registered_keys),
        cmocka_unit_test(test_zap_refuses_other_requests),
    };
    return cmocka_run_group_tests_name("auth_zap", tests, zwt_tmp_setup, zwt_tmp_teardown);
}
