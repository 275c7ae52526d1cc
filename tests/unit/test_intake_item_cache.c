/* zwfw-intake's item cache (services/intake/item_cache.c): what a batch
 * of submissions guesses its catalog items are. It is a hint, so what
 * matters is that it answers with exactly the bytes last put for a code,
 * forgets what it is told to, and copies (a caller freeing or changing its
 * bytes does not change the cache). */
#include "zwtest.h"

#include "../../services/intake/item_cache.c"

#include <stdio.h>
#include <string.h>

static void test_put_get_replace_drop(void **state)
{
    (void) state;
    zw_intake_item_cache_clear();
    size_t len = 99;
    assert_null(zw_intake_item_cache_get("A", &len));
    assert_int_equal(len, 99); /* untouched on a miss */

    uint8_t v1[] = {1, 2, 3};
    zw_intake_item_cache_put("A", v1, sizeof v1);
    v1[0] = 9; /* the cache kept its own copy */
    uint8_t *got = zw_intake_item_cache_get("A", &len);
    assert_non_null(got);
    assert_int_equal(len, 3);
    assert_int_equal(got[0], 1);
    got[1] = 7; /* and hands out copies */
    free(got);
    got = zw_intake_item_cache_get("A", &len);
    assert_int_equal(got[1], 2);
    free(got);

    uint8_t v2[] = {4, 5, 6, 7, 8};
    zw_intake_item_cache_put("A", v2, sizeof v2);
    got = zw_intake_item_cache_get("A", &len);
    assert_int_equal(len, 5);
    assert_memory_equal(got, v2, 5);
    free(got);

    zw_intake_item_cache_put("B", v1, 0); /* an empty item is still an item */
    got = zw_intake_item_cache_get("B", &len);
    assert_non_null(got);
    assert_int_equal(len, 0);
    free(got);

    zw_intake_item_cache_drop("A");
    assert_null(zw_intake_item_cache_get("A", &len));
    assert_non_null(got = zw_intake_item_cache_get("B", &len));
    free(got);
    zw_intake_item_cache_drop("nothing"); /* forgetting a stranger is fine */
    zw_intake_item_cache_clear();
    assert_null(zw_intake_item_cache_get("B", &len));
}

/* Many codes, colliding buckets included: each keeps its own bytes, and
 * dropping one in the middle of a chain leaves the others. */
static void test_many(void **state)
{
    (void) state;
    zw_intake_item_cache_clear();
    char code[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(code, sizeof code, "500T%010d", i);
        zw_intake_item_cache_put(code, (const uint8_t *) code, strlen(code));
    }
    for (int i = 0; i < 5000; i += 2) {
        snprintf(code, sizeof code, "500T%010d", i);
        zw_intake_item_cache_drop(code);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(code, sizeof code, "500T%010d", i);
        size_t len = 0;
        uint8_t *got = zw_intake_item_cache_get(code, &len);
        if (i % 2 == 0) {
            assert_null(got);
            continue;
        }
        assert_non_null(got);
        assert_int_equal(len, strlen(code));
        assert_memory_equal(got, code, len);
        free(got);
    }
    assert_int_equal(s_count, 2500);
    zw_intake_item_cache_clear();
    assert_int_equal(s_count, 0);
}

/* Past its bound it keeps nothing new (a miss costs one read) but still
 * replaces what it holds. */
static void test_bound(void **state)
{
    (void) state;
    zw_intake_item_cache_clear();
    char code[32];
    uint8_t b = 1;
    for (int i = 0; i < S_MAX_ITEMS + 10; i++) {
        snprintf(code, sizeof code, "C%d", i);
        zw_intake_item_cache_put(code, &b, 1);
    }
    assert_int_equal(s_count, S_MAX_ITEMS);
    size_t len;
    snprintf(code, sizeof code, "C%d", S_MAX_ITEMS + 5);
    assert_null(zw_intake_item_cache_get(code, &len));
    uint8_t two[] = {2, 2};
    zw_intake_item_cache_put("C0", two, 2);
    uint8_t *got = zw_intake_item_cache_get("C0", &len);
    assert_int_equal(len, 2);
    free(got);
    zw_intake_item_cache_clear();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace_drop),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
