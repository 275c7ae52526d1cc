#include "wire_desc.h"
#include "zwtest.h"

#include "zwfw/testing/v1/all_types.pb-c.h"
#include "zwfw/v1/common.pb-c.h"

#include <string.h>

#define AT (&zwfw__testing__v1__all_types__descriptor)

static void test_json_name(void **state)
{
    (void) state;
    static const char *cases[][2] = {
        {"f_int32", "fInt32"}, {"key_id", "keyId"},
        {"plain", "plain"},    {"a__b", "aB"},
        {"x_1", "x1"},         {"_lead", "Lead"},
        {"tail_", "tail"},     {"m_sint32_ts", "mSint32Ts"},
    };
    char out[64];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zw_wire_desc_json_name(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    zw_wire_desc_json_name("f_int32", out, 4);
    assert_string_equal(out, "fIn");
}

static void test_field_lookup(void **state)
{
    (void) state;
    const ProtobufCFieldDescriptor *f = zw_wire_desc_field(AT, "f_uint64");
    assert_non_null(f);
    assert_int_equal(f->id, 6);
    assert_ptr_equal(zw_wire_desc_field(AT, "fUint64"), f);
    assert_int_equal(zw_wire_desc_field(AT, "mSint32Ts")->id, 45);
    assert_null(zw_wire_desc_field(AT, "fuint64"));
    assert_null(zw_wire_desc_field(AT, "FUint64"));
    assert_null(zw_wire_desc_field(AT, "fUint6"));
    assert_null(zw_wire_desc_field(AT, "fUint644"));
    assert_null(zw_wire_desc_field(AT, ""));
}

static void test_is_map(void **state)
{
    (void) state;
    const char *maps[] = {"m_string_string", "m_string_nested", "m_int32_string",
                          "m_bool_int64",    "m_uint64_enum",   "m_sint32_ts"};
    for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++)
        assert_true(zw_wire_desc_is_map(AT, zw_wire_desc_field(AT, maps[i])));
    const char *not_maps[] = {"r_nested", "r_ts", "f_nested", "r_int32", "f_string", "error"};
    for (size_t i = 0; i < sizeof not_maps / sizeof not_maps[0]; i++)
        assert_false(zw_wire_desc_is_map(AT, zw_wire_desc_field(AT, not_maps[i])));
    const ProtobufCMessageDescriptor *e = &zwfw__v1__error__descriptor;
    assert_true(zw_wire_desc_is_map(e, zw_wire_desc_field(e, "details")));
    /* The entry type belongs to its own parent only. */
    assert_false(
        zw_wire_desc_is_map(&zwfw__v1__date__descriptor, zw_wire_desc_field(e, "details")));
}

static void test_elem_size_and_specials(void **state)
{
    (void) state;
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_INT32), sizeof(int32_t));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_ENUM), sizeof(Zwfw__V1__Code));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_FLOAT), sizeof(float));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_SFIXED64), sizeof(int64_t));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_DOUBLE), sizeof(double));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_BOOL), sizeof(protobuf_c_boolean));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_STRING), sizeof(char *));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_BYTES), sizeof(ProtobufCBinaryData));
    assert_int_equal(zw_wire_desc_elem_size(PROTOBUF_C_TYPE_MESSAGE), sizeof(void *));
    assert_true(zw_wire_desc_is_timestamp(&zwfw__v1__timestamp__descriptor));
    assert_false(zw_wire_desc_is_timestamp(&zwfw__v1__date__descriptor));
    assert_true(zw_wire_desc_is_date(&zwfw__v1__date__descriptor));
    assert_false(zw_wire_desc_is_date(AT));
}

static void test_path(void **state)
{
    (void) state;
    zw_err_t err;
    zw_wire_desc_path_t p;
    zw_wire_desc_path_init(&p, &err);
    assert_int_equal(zw_wire_desc_path_fail(&p, ZW_INVALID_ARGUMENT, "top %d", 1), -1);
    assert_string_equal(err.message, "top 1");
    assert_string_equal(err.detail, "");
    size_t m0 = zw_wire_desc_path_push_field(&p, "applicant");
    zw_wire_desc_path_push_field(&p, "identity");
    size_t m2 = zw_wire_desc_path_push_field(&p, "idType");
    zw_wire_desc_path_fail(&p, ZW_INVALID_ARGUMENT, "unknown enum value \"%s\"", "FOO");
    assert_string_equal(err.detail, "applicant.identity.idType");
    assert_string_equal(err.message, "applicant.identity.idType: unknown enum value \"FOO\"");
    zw_wire_desc_path_pop(&p, m2);
    zw_wire_desc_path_push(&p, "[%d]", 3);
    zw_wire_desc_path_fail(&p, ZW_OUT_OF_RANGE, "x");
    assert_int_equal(err.code, ZW_OUT_OF_RANGE);
    assert_string_equal(err.detail, "applicant.identity[3]");
    zw_wire_desc_path_pop(&p, m0);
    assert_int_equal(p.len, 0);
    /* A path longer than the buffer is cut, never overrun; the message
     * keeps its tail and its point. */
    for (int i = 0; i < 100; i++)
        zw_wire_desc_path_push_field(&p, "level");
    assert_int_equal(p.len, sizeof p.buf - 1);
    zw_wire_desc_path_fail(&p, ZW_INVALID_ARGUMENT, "the point");
    assert_non_null(strstr(err.message, "the point"));
    assert_memory_equal(err.message, "...", 3);
    assert_memory_equal(err.detail, "level.level", 11);
    zw_wire_desc_path_init(&p, NULL); /* err may be NULL */
    assert_int_equal(zw_wire_desc_path_fail(&p, ZW_INTERNAL, "ignored"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_name), cmocka_unit_test(test_field_lookup),
        cmocka_unit_test(test_is_map),    cmocka_unit_test(test_elem_size_and_specials),
        cmocka_unit_test(test_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
