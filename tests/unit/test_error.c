#include "zwtest.h"
#include "error.h"

#include <string.h>

static void test_set_fills_code_message_detail(void **state)
{
    (void) state;
    zw_err_t err;
    assert_int_equal(zw_err_setd(&err, ZW_NOT_FOUND, "item", "no item %s", "X1"), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_string_equal(err.message, "no item X1");
    assert_string_equal(err.detail, "item");
    zw_err_clear(&err);
    assert_int_equal(err.code, ZW_OK);
    assert_string_equal(err.message, "");
    assert_int_equal(zw_err_set(NULL, ZW_INTERNAL, "ignored"), -1);
}

static void test_code_names_round_trip(void **state)
{
    (void) state;
    for (int c = ZW_OK; c <= ZW_UNAUTHENTICATED; c++)
        assert_int_equal(zw_code_from_name(zw_code_name((zw_code_t) c)), c);
    assert_string_equal(zw_code_name(ZW_FAILED_PRECONDITION), "FAILED_PRECONDITION");
    assert_string_equal(zw_code_name((zw_code_t) 99), "UNKNOWN");
    assert_int_equal(zw_code_from_name("NOPE"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_fills_code_message_detail),
        cmocka_unit_test(test_code_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
