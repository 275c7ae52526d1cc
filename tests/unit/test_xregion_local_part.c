/* zwfw-xregion's rule for a local part of a 多地联办 exchange
 * (services/xregion/rules.c, compiled in here; docs/protocol.md section 4
 * "A part handled here"): the origin is the item's own region, so the
 * item's partner_regions (the other regions it serves) do not apply, but
 * its cross-region scope still does. */
#include "zwtest.h"

#include "../../services/xregion/rules.c"

#include <string.h>

#define S_SCOPE(x) ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_##x
#define S_MODE(x) ZWFW__V1__CROSS_MODE__CROSS_MODE_##x

static Zwfw__V1__Item s_item(Zwfw__V1__CrossScope scope, Zwfw__V1__CrossMode mode)
{
    static char *partners[] = {"511400", "512000"}; /* Meishan, Ziyang: not Tongnan */
    Zwfw__V1__Item it = ZWFW__V1__ITEM__INIT;
    it.impl_code = "500G0500400000-500152000000-000-11500152MB1700340F-1-00";
    it.cross_scope = scope;
    it.cross_mode = mode;
    it.partner_regions = partners;
    it.n_partner_regions = 2;
    return it;
}

static void test_partner_regions_do_not_apply(void **state)
{
    (void) state;
    zw_err_t err;
    Zwfw__V1__Item it = s_item(S_SCOPE(CHUANYU), S_MODE(JOINT));
    /* a local part: Tongnan's own item, received in Tongnan */
    assert_int_equal(zw_xregion_item_allows(&it, "500152", "500152", S_MODE(JOINT), &err), 0);
    /* the same item for another Chongqing district not among its partners */
    assert_int_equal(zw_xregion_item_allows(&it, "500153", "500152", S_MODE(JOINT), &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(err.detail, "item_code");
    /* an item of another mode is still a joint part */
    it.cross_mode = S_MODE(PROXY);
    assert_int_equal(zw_xregion_item_allows(&it, "500152", "500152", S_MODE(JOINT), &err), 0);
    it.cross_scope = S_SCOPE(INTER_DISTRICT);
    assert_int_equal(zw_xregion_item_allows(&it, "500152", "500152", S_MODE(JOINT), &err), 0);
    it.cross_scope = S_SCOPE(INTER_PROVINCE);
    assert_int_equal(zw_xregion_item_allows(&it, "500152", "500152", S_MODE(JOINT), &err), 0);
}

static void test_scope_still_applies(void **state)
{
    (void) state;
    zw_err_t err;
    Zwfw__V1__Item it = s_item(S_SCOPE(NONE), S_MODE(JOINT));
    assert_int_equal(zw_xregion_item_allows(&it, "500152", "500152", S_MODE(JOINT), &err), -1);
    assert_int_equal(err.code, ZW_FAILED_PRECONDITION);
    assert_string_equal(err.detail, "item_code");
    assert_non_null(strstr(err.message, "not a cross-region item"));
    /* 川渝 between two regions outside Chongqing and Sichuan: never, local or not */
    it.cross_scope = S_SCOPE(CHUANYU);
    assert_int_equal(zw_xregion_item_allows(&it, "110105", "110105", S_MODE(JOINT), &err), -1);
    assert_string_equal(err.detail, "item_code");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partner_regions_do_not_apply),
        cmocka_unit_test(test_scope_still_applies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
