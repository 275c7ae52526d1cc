/* zwfw-xregion's rules (services/xregion/rules.c, compiled in here):
 * exchange numbers, which items a home authority handles for which
 * origin (DOMAIN.md "Cross-region": 跨省 / 川渝 / 跨区县通办, and an
 * item's partner regions), and which of intake's events are news for a
 * part. */
#include "zwtest.h"

#include "../../services/xregion/rules.c"

#include <string.h>

/* A division code as partners and settings name it: exactly 6 ASCII digits. */
static void test_digits6(void **state)
{
    (void) state;
    assert_true(zw_xregion_digits6("511400"));
    assert_true(zw_xregion_digits6("000000"));
    assert_false(zw_xregion_digits6(NULL));
    assert_false(zw_xregion_digits6(""));
    assert_false(zw_xregion_digits6("51140"));
    assert_false(zw_xregion_digits6("5114000"));
    assert_false(zw_xregion_digits6("51140a"));
    assert_false(zw_xregion_digits6(" 51140"));
    assert_false(zw_xregion_digits6("５１１４００")); /* full-width digits */
}

static void test_exchange_id(void **state)
{
    (void) state;
    assert_true(zw_xregion_exchange_id_ok("XR51140020201009-000001", "511400"));
    assert_true(zw_xregion_exchange_id_ok("XR50015220261128-999999", "500152"));
    /* another region's number: a partner may only number its own */
    assert_false(zw_xregion_exchange_id_ok("XR50015220201009-000001", "511400"));
    assert_false(zw_xregion_exchange_id_ok("XR5114002020100-000001", "511400"));  /* 7-digit date */
    assert_false(zw_xregion_exchange_id_ok("XR51140020201009-00001", "511400"));  /* 5 digits */
    assert_false(zw_xregion_exchange_id_ok("XR51140020201009_000001", "511400")); /* no dash */
    assert_false(zw_xregion_exchange_id_ok("XR51140020201009-00000a", "511400"));
    assert_false(zw_xregion_exchange_id_ok("xr51140020201009-000001", "511400"));
    assert_false(zw_xregion_exchange_id_ok("XR51140020201009-0000011", "511400"));
    assert_false(zw_xregion_exchange_id_ok("", "511400"));
    /* the date part is a date */
    assert_false(zw_xregion_exchange_id_ok("XR51200020209999-000009", "512000"));
    assert_false(zw_xregion_exchange_id_ok("XR51200020201300-000009", "512000"));
    assert_false(zw_xregion_exchange_id_ok("XR51200002021009-000009", "512000"));
    assert_true(zw_xregion_exchange_id_ok("XR51200020201231-000009", "512000"));
}

static Zwfw__V1__Item s_item(Zwfw__V1__CrossScope scope, Zwfw__V1__CrossMode mode, char **partners,
                             size_t n)
{
    Zwfw__V1__Item it = ZWFW__V1__ITEM__INIT;
    it.impl_code = "500A0100100000-500152000000-000-11500152MB17035173-1-00";
    it.cross_scope = scope;
    it.cross_mode = mode;
    it.partner_regions = partners;
    it.n_partner_regions = n;
    return it;
}

#define S_SCOPE(x) ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_##x
#define S_MODE(x) ZWFW__V1__CROSS_MODE__CROSS_MODE_##x

static void s_refused(const Zwfw__V1__Item *it, const char *origin, int mode, const char *field)
{
    zw_err_t err;
    assert_int_equal(zw_xregion_item_allows(it, origin, "500152", mode, &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(err.detail, field);
    assert_non_null(strstr(err.message, it->impl_code));
}

static void test_scope(void **state)
{
    (void) state;
    zw_err_t err;
    /* 川渝通办: Meishan (Sichuan) for Tongnan (Chongqing), both ways */
    Zwfw__V1__Item cy = s_item(S_SCOPE(CHUANYU), S_MODE(UNSPECIFIED), NULL, 0);
    assert_int_equal(zw_xregion_item_allows(&cy, "511400", "500152", S_MODE(PROXY), &err), 0);
    assert_int_equal(zw_xregion_item_allows(&cy, "500152", "511400", S_MODE(PROXY), &err), 0);
    s_refused(&cy, "110105", S_MODE(PROXY), "item_code"); /* Beijing is not 川渝 */
    /* 跨区县通办: within Chongqing only */
    Zwfw__V1__Item kq = s_item(S_SCOPE(INTER_DISTRICT), S_MODE(UNSPECIFIED), NULL, 0);
    assert_int_equal(zw_xregion_item_allows(&kq, "500101", "500152", S_MODE(PROXY), &err), 0);
    s_refused(&kq, "511400", S_MODE(PROXY), "item_code");
    /* 跨省通办: anyone */
    Zwfw__V1__Item ks = s_item(S_SCOPE(INTER_PROVINCE), S_MODE(UNSPECIFIED), NULL, 0);
    assert_int_equal(zw_xregion_item_allows(&ks, "110105", "500152", S_MODE(FULLY_ONLINE), &err),
                     0);
    /* not a cross-region item */
    Zwfw__V1__Item none = s_item(S_SCOPE(NONE), S_MODE(UNSPECIFIED), NULL, 0);
    s_refused(&none, "511400", S_MODE(PROXY), "item_code");
}

static void test_partner_regions(void **state)
{
    (void) state;
    zw_err_t err;
    char *cities[] = {"511400", "512000"};
    Zwfw__V1__Item it = s_item(S_SCOPE(CHUANYU), S_MODE(UNSPECIFIED), cities, 2);
    assert_int_equal(zw_xregion_item_allows(&it, "512000", "500152", S_MODE(PROXY), &err), 0);
    /* a city code covers its districts: 东坡区 of Meishan */
    assert_int_equal(zw_xregion_item_allows(&it, "511402", "500152", S_MODE(PROXY), &err), 0);
    s_refused(&it, "510104", S_MODE(PROXY), "item_code"); /* Chengdu: 川渝, but not listed */
    char *province[] = {"510000"};
    Zwfw__V1__Item sc = s_item(S_SCOPE(CHUANYU), S_MODE(UNSPECIFIED), province, 1);
    assert_int_equal(zw_xregion_item_allows(&sc, "510104", "500152", S_MODE(PROXY), &err), 0);
    char *district[] = {"511402"};
    Zwfw__V1__Item d = s_item(S_SCOPE(CHUANYU), S_MODE(UNSPECIFIED), district, 1);
    s_refused(&d, "511403", S_MODE(PROXY), "item_code"); /* a district covers itself only */
}

static void test_mode(void **state)
{
    (void) state;
    zw_err_t err;
    Zwfw__V1__Item online = s_item(S_SCOPE(CHUANYU), S_MODE(FULLY_ONLINE), NULL, 0);
    assert_int_equal(
        zw_xregion_item_allows(&online, "511400", "500152", S_MODE(FULLY_ONLINE), &err), 0);
    s_refused(&online, "511400", S_MODE(PROXY), "mode");
    /* a part of a 多地联办 exchange, whatever the item's own mode */
    assert_int_equal(zw_xregion_item_allows(&online, "511400", "500152", S_MODE(JOINT), &err), 0);
    /* the scope is judged before the mode */
    Zwfw__V1__Item far = s_item(S_SCOPE(INTER_DISTRICT), S_MODE(FULLY_ONLINE), NULL, 0);
    s_refused(&far, "511400", S_MODE(PROXY), "item_code");
}

static void test_states(void **state)
{
    (void) state;
    int finals[] = {2, 4, 5, 11, 12, 13, 14, 15};
    for (size_t i = 0; i < sizeof finals / sizeof finals[0]; i++)
        assert_true(zw_xregion_state_final(finals[i]));
    int open[] = {1, 3, 6, 7, 8, 9, 10};
    for (size_t i = 0; i < sizeof open / sizeof open[0]; i++)
        assert_false(zw_xregion_state_final(open[i]));
    /* intake replied "accepted": the same commit's Received and Accepted
     * events are old news; a later 补正 (6) is not */
    assert_true(zw_xregion_event_is_old(0, 3, 1));
    assert_true(zw_xregion_event_is_old(0, 3, 3));
    assert_false(zw_xregion_event_is_old(0, 3, 6));
    assert_false(zw_xregion_event_is_old(0, 1, 3)); /* waiting, then accepted */
    assert_true(zw_xregion_event_is_old(0, 11, 1)); /* 即办件 finished at the counter */
    /* once events are applied, seq order alone decides */
    assert_false(zw_xregion_event_is_old(42, 3, 1));
}

static void test_message_ids(void **state)
{
    (void) state;
    char buf[160];
    zw_xregion_forward_id("XR51140020201009-000001", 2, buf, sizeof buf);
    assert_string_equal(buf, "XR51140020201009-000001/2/forward");
    zw_xregion_status_id("XR51140020201009-000001", 1, 7, buf, sizeof buf);
    assert_string_equal(buf, "XR51140020201009-000001/1/status/7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digits6),     cmocka_unit_test(test_exchange_id),
        cmocka_unit_test(test_scope),       cmocka_unit_test(test_partner_regions),
        cmocka_unit_test(test_mode),        cmocka_unit_test(test_states),
        cmocka_unit_test(test_message_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
