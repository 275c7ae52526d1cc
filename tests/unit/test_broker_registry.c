/* The broker's state without sockets: zw_bmap (hash map with backward-shift
 * deletion) and zw_registry (services, LRU idle lists, queues, timers).
 * They live in services/broker, not in libzwfw, so they are compiled in
 * here directly. */
#include "zwtest.h"

#include "../../services/broker/bmap.c"
#include "../../services/broker/registry.c"

#include <stdio.h>

/* ------------------------------------------------------------ bmap */

#define S_KEYS 5000

static void test_bmap_matches_a_plain_array(void **state)
{
    (void) state;
    zw_bmap_t *map = zw_bmap_new();
    assert_non_null(map);
    static char keys[S_KEYS][16];
    static bool present[S_KEYS];
    static int values[S_KEYS];
    for (int i = 0; i < S_KEYS; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i * 7919);
        values[i] = i;
    }
    /* a deterministic mix of inserts and removals, checked after each step */
    unsigned seed = 12345;
    for (int step = 0; step < 40000; step++) {
        seed = seed * 1103515245u + 12345u;
        int i = (int) ((seed >> 8) % S_KEYS);
        size_t len = strlen(keys[i]);
        if ((seed >> 4) % 3 != 0) {
            assert_int_equal(zw_bmap_put(map, keys[i], len, &values[i]), 0);
            present[i] = true;
        } else {
            void *v = zw_bmap_remove(map, keys[i], len);
            assert_ptr_equal(v, present[i] ? &values[i] : NULL);
            present[i] = false;
        }
        if (step % 997 == 0) {
            size_t count = 0;
            for (int j = 0; j < S_KEYS; j++) {
                void *v = zw_bmap_get(map, keys[j], strlen(keys[j]));
                assert_ptr_equal(v, present[j] ? &values[j] : NULL);
                count += present[j];
            }
            assert_int_equal(zw_bmap_size(map), count);
            size_t pos = 0, seen = 0;
            int *v;
            while ((v = zw_bmap_next(map, &pos)) != NULL) {
                assert_true(present[*v]);
                seen++;
            }
            assert_int_equal(seen, count);
        }
    }
    zw_bmap_destroy(&map);
    assert_null(map);
    zw_bmap_destroy(&map); /* NULL is fine */
}

static void test_bmap_binary_keys(void **state)
{
    (void) state;
    zw_bmap_t *map = zw_bmap_new();
    int a = 1, b = 2, c = 3;
    /* keys that differ only after a NUL byte, or only in length */
    assert_int_equal(zw_bmap_put(map, "\0\1", 2, &a), 0);
    assert_int_equal(zw_bmap_put(map, "\0\2", 2, &b), 0);
    assert_int_equal(zw_bmap_put(map, "\0", 1, &c), 0);
    assert_ptr_equal(zw_bmap_get(map, "\0\1", 2), &a);
    assert_ptr_equal(zw_bmap_get(map, "\0\2", 2), &b);
    assert_ptr_equal(zw_bmap_get(map, "\0", 1), &c);
    assert_null(zw_bmap_get(map, "", 0));
    assert_int_equal(zw_bmap_put(map, "\0", 1, &a), 0); /* replace */
    assert_ptr_equal(zw_bmap_get(map, "\0", 1), &a);
    assert_int_equal(zw_bmap_size(map), 3);
    assert_int_equal(zw_bmap_put(map, "x", 1, NULL), -1); /* NULL values are refused */
    zw_bmap_destroy(&map);
}

/* ------------------------------------------------------------ registry */

static zw_registry_worker_t *s_add(zw_registry_t *reg, const char *id, const char *service,
                                   int64_t now)
{
    zw_registry_service_t *svc = zw_registry_service_require(reg, service, strlen(service));
    assert_non_null(svc);
    zw_registry_worker_t *w = zw_registry_worker_add(reg, id, strlen(id), svc, now);
    assert_non_null(w);
    return w;
}

static void test_registry_lru_and_busy(void **state)
{
    (void) state;
    zw_registry_t *reg = zw_registry_new();
    assert_non_null(reg);
    zw_registry_worker_t *w1 = s_add(reg, "w1", "svc", 0);
    zw_registry_worker_t *w2 = s_add(reg, "w2", "svc", 0);
    zw_registry_service_t *svc = w1->service;
    assert_ptr_equal(w2->service, svc);
    assert_int_equal(svc->nworkers, 2);
    assert_null(zw_registry_worker_add(reg, "w1", 2, svc, 0)); /* id taken */
    assert_ptr_equal(zw_registry_worker(reg, "w2", 2), w2);

    zw_registry_worker_idle(reg, w1, 10);
    zw_registry_worker_idle(reg, w2, 20);
    assert_int_equal(svc->nidle, 2);
    /* least recently used first */
    assert_ptr_equal(zw_registry_idle_pop(reg, svc), w1);
    zw_registry_worker_busy(reg, w1, "client-a", 8, 30);
    assert_true(w1->busy);
    assert_int_equal(w1->clientlen, 8);
    assert_memory_equal(w1->client, "client-a", 8);
    zw_registry_worker_idle(reg, w1, 40);
    assert_false(w1->busy);
    assert_ptr_equal(zw_registry_idle_pop(reg, svc), w2);
    assert_ptr_equal(zw_registry_idle_pop(reg, svc), w1);
    assert_null(zw_registry_idle_pop(reg, svc));
    assert_int_equal(svc->nidle, 0);

    /* deleting the last worker frees the service */
    zw_registry_worker_delete(reg, w1);
    assert_int_equal(svc->nworkers, 1);
    zw_registry_worker_delete(reg, w2);
    assert_null(zw_registry_service(reg, "svc", 3));
    assert_null(zw_registry_worker(reg, "w1", 2));
    zw_registry_destroy(&reg);
    assert_null(reg);
}

static void test_registry_timers(void **state)
{
    (void) state;
    zw_registry_t *reg = zw_registry_new();
    zw_registry_worker_t *a = s_add(reg, "a", "svc", 0);
    zw_registry_worker_t *b = s_add(reg, "b", "svc", 0);
    zw_registry_worker_idle(reg, a, 100);
    zw_registry_worker_idle(reg, b, 200);
    int64_t next = 10000;

    /* silence: only idle workers, oldest heard first; a heartbeat renews */
    assert_null(zw_registry_silent_due(reg, 399, 300, &next));
    assert_int_equal(next, 400);
    assert_ptr_equal(zw_registry_silent_due(reg, 400, 300, NULL), a);
    zw_registry_worker_heard(reg, a, 450);
    next = 10000;
    assert_null(zw_registry_silent_due(reg, 450, 300, &next));
    assert_int_equal(next, 500); /* b is now the oldest */

    /* a busy worker is not timed for silence, only for how long it holds */
    zw_registry_service_t *svc = a->service;
    assert_ptr_equal(zw_registry_idle_pop(reg, svc), a); /* idle the longest */
    zw_registry_worker_busy(reg, a, "c", 1, 460);
    zw_registry_worker_heard(reg, a, 470); /* a busy worker's heartbeat */
    assert_ptr_equal(zw_registry_silent_due(reg, 700, 300, NULL), b);
    zw_registry_worker_heard(reg, b, 700);
    next = 10000;
    assert_null(zw_registry_silent_due(reg, 999, 300, &next));
    assert_int_equal(next, 1000);
    assert_ptr_equal(zw_registry_silent_due(reg, 100000, 300, NULL), b); /* never a */
    assert_null(zw_registry_busy_due(reg, 100000, 0, NULL));             /* limit 0: never */
    next = 10000;
    assert_null(zw_registry_busy_due(reg, 1000, 1000, &next));
    assert_int_equal(next, 1460);
    assert_ptr_equal(zw_registry_busy_due(reg, 1460, 1000, NULL), a);

    /* heartbeats: whoever was sent to longest ago (both added at 0) */
    zw_registry_worker_sent(reg, a, 50);
    next = 10000;
    assert_ptr_equal(zw_registry_heartbeat_due(reg, 100, 100, &next), b);
    zw_registry_worker_sent(reg, b, 100);
    assert_null(zw_registry_heartbeat_due(reg, 100, 100, &next));
    assert_int_equal(next, 150);
    zw_registry_destroy(&reg);
}

static void s_msg(zmq_msg_t *m, const char *s)
{
    zmq_msg_init_size(m, strlen(s));
    memcpy(zmq_msg_data(m), s, strlen(s));
}

static void test_registry_queue(void **state)
{
    (void) state;
    zw_registry_t *reg = zw_registry_new();
    zw_registry_service_t *x = zw_registry_service_require(reg, "x", 1);
    zw_registry_service_t *y = zw_registry_service_require(reg, "zwfw.y", 6);
    assert_false(x->zwfw);
    assert_true(y->zwfw);
    assert_null(zw_registry_service_require(reg, "", 0));

    zmq_msg_t f[3];
    s_msg(&f[0], "client");
    s_msg(&f[1], "body1");
    s_msg(&f[2], "body2");
    zw_registry_request_t *r1 = zw_registry_enqueue(reg, x, &f[0], &f[1], 2, 100);
    assert_non_null(r1);
    assert_int_equal(zmq_msg_size(&f[0]), 0); /* moved out */
    assert_int_equal(r1->nframes, 3);
    assert_memory_equal(zmq_msg_data(&r1->frames[2]), "body2", 5);
    for (int i = 0; i < 3; i++)
        zmq_msg_close(&f[i]);
    s_msg(&f[0], "c2");
    s_msg(&f[1], "b");
    zw_registry_request_t *r2 = zw_registry_enqueue(reg, y, &f[0], &f[1], 1, 200);
    zmq_msg_close(&f[0]);
    zmq_msg_close(&f[1]);
    s_msg(&f[0], "c3");
    s_msg(&f[1], "b");
    zw_registry_request_t *r3 = zw_registry_enqueue(reg, x, &f[0], &f[1], 1, 300);
    zmq_msg_close(&f[0]);
    zmq_msg_close(&f[1]);
    assert_int_equal(x->nqueued, 2);
    assert_ptr_equal(zw_registry_queue_head(x), r1);

    /* a service with requests but no worker lives on */
    zw_registry_service_release(reg, x);
    assert_ptr_equal(zw_registry_service(reg, "x", 1), x);

    /* deadlines across services, oldest first */
    int64_t next = 10000;
    assert_null(zw_registry_request_due(reg, 99, &next));
    assert_int_equal(next, 100);
    assert_ptr_equal(zw_registry_request_due(reg, 250, NULL), r1);
    zw_registry_request_free(reg, r1);
    assert_ptr_equal(zw_registry_request_due(reg, 250, NULL), r2);
    zw_registry_request_free(reg, r2);
    zw_registry_service_release(reg, y);
    assert_null(zw_registry_service(reg, "zwfw.y", 6));
    assert_null(zw_registry_request_due(reg, 250, NULL));
    assert_ptr_equal(zw_registry_queue_head(x), r3);
    (void) r3;
    /* destroy frees what is still queued (ASan checks) */
    zw_registry_destroy(&reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bmap_matches_a_plain_array),
        cmocka_unit_test(test_bmap_binary_keys),
        cmocka_unit_test(test_registry_lru_and_busy),
        cmocka_unit_test(test_registry_timers),
        cmocka_unit_test(test_registry_queue),
    };
    return cmocka_run_group_tests_name("broker_registry", tests, NULL, NULL);
}
