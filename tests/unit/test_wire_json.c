#include "wire_json.h"
#include "wire_jsonpb.h"
#include "wire_text.h"
#include "zwtest.h"

#include "zwfw/testing/v1/all_types.pb-c.h"
#include "zwfw/v1/common.pb-c.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ProtobufCMessageDescriptor *const zw_registry_descriptors[];

#define AT (&zwfw__testing__v1__all_types__descriptor)
typedef Zwfw__Testing__V1__AllTypes at_t;

/* ---- helpers ---------------------------------------------------------- */

/* Parses from an exact-size heap copy with no NUL after it, so ASan sees
 * any read past the buffer the caller handed in. */
static ProtobufCMessage *s_from(const ProtobufCMessageDescriptor *d, const char *json,
                                zw_err_t *err)
{
    size_t n = strlen(json);
    char *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, json, n);
    ProtobufCMessage *m = zw_wire_from_json(d, copy, n, err);
    free(copy);
    return m;
}

static ProtobufCMessage *s_from_ok(const ProtobufCMessageDescriptor *d, const char *json)
{
    zw_err_t err;
    ProtobufCMessage *m = s_from(d, json, &err);
    if (!m)
        fail_msg("rejected %s: %s (detail %s)", json, err.message, err.detail);
    assert_int_equal(err.code, ZW_OK);
    return m;
}

static void s_assert_json_eq(const char *got, const char *want)
{
    cJSON *g = cJSON_Parse(got), *w = cJSON_Parse(want);
    assert_non_null(w);
    bool same = g && cJSON_Compare(g, w, true);
    cJSON_Delete(g);
    cJSON_Delete(w);
    if (!same)
        fail_msg("JSON differs\n got: %s\nwant: %s", got, want);
}

static char *s_to_json_ok(const ProtobufCMessage *m, unsigned flags)
{
    zw_err_t err;
    char *out = zw_wire_to_json(m, flags, &err);
    if (!out)
        fail_msg("to_json failed: %s", err.message);
    return out;
}

static uint8_t *s_pack(const ProtobufCMessage *m, size_t *n)
{
    *n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(*n ? *n : 1);
    assert_non_null(buf);
    assert_int_equal(protobuf_c_message_pack(m, buf), *n);
    return buf;
}

/* JSON -> message -> JSON must give `want` (or `in` when want is NULL);
 * message -> bytes -> message -> JSON must give the same again; and the
 * output, parsed back, must pack to the very same bytes. */
static void s_roundtrip(const char *in, unsigned flags, const char *want)
{
    ProtobufCMessage *m = s_from_ok(AT, in);
    char *out = s_to_json_ok(m, flags);
    s_assert_json_eq(out, want ? want : in);

    size_t n1, n2;
    uint8_t *b1 = s_pack(m, &n1);
    ProtobufCMessage *m2 = protobuf_c_message_unpack(AT, NULL, n1, b1);
    assert_non_null(m2);
    char *out2 = s_to_json_ok(m2, flags);
    s_assert_json_eq(out2, out);

    ProtobufCMessage *m3 = s_from_ok(AT, out);
    uint8_t *b2 = s_pack(m3, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);

    free(b1);
    free(b2);
    free(out);
    free(out2);
    protobuf_c_message_free_unpacked(m, NULL);
    protobuf_c_message_free_unpacked(m2, NULL);
    protobuf_c_message_free_unpacked(m3, NULL);
}

static void s_expect_error(const ProtobufCMessageDescriptor *d, const char *json,
                           const char *detail, const char *msg_part)
{
    zw_err_t err;
    ProtobufCMessage *m = s_from(d, json, &err);
    if (m) {
        protobuf_c_message_free_unpacked(m, NULL);
        fail_msg("accepted %s", json);
    }
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    if (strcmp(err.detail, detail) != 0)
        fail_msg("%s: detail \"%s\", want \"%s\" (%s)", json, err.detail, detail, err.message);
    if (!strstr(err.message, msg_part))
        fail_msg("%s: message \"%s\" lacks \"%s\"", json, err.message, msg_part);
    if (detail[0] && strncmp(err.message, detail, strlen(detail)) != 0)
        fail_msg("message \"%s\" does not start with the path", err.message);
}

/* ---- type lookup ------------------------------------------------------ */

static void test_find_type(void **state)
{
    (void) state;
    assert_ptr_equal(zw_wire_find_type("zwfw.v1.Error"), &zwfw__v1__error__descriptor);
    assert_ptr_equal(zw_wire_find_type("zwfw.testing.v1.AllTypes"), AT);
    assert_ptr_equal(zw_wire_find_type("zwfw.v1.Error.DetailsEntry"),
                     &zwfw__v1__error__details_entry__descriptor);
    assert_null(zw_wire_find_type("zwfw.v1.NoSuchThing"));
    assert_null(zw_wire_find_type("zwfw.v1.Erro"));
    assert_null(zw_wire_find_type("Error"));
    assert_null(zw_wire_find_type(""));
    assert_null(zw_wire_find_type(NULL));
    size_t n = 0;
    for (; zw_registry_descriptors[n]; n++)
        assert_ptr_equal(zw_wire_find_type(zw_registry_descriptors[n]->name),
                         zw_registry_descriptors[n]);
    assert_true(n >= 10);
}

/* ---- every field kind ------------------------------------------------- */

static void test_scalars(void **state)
{
    (void) state;
    const char *in = "{\"fDouble\":2.5,\"fFloat\":0.1,\"fInt32\":-7,\"fInt64\":\"-9000000000\","
                     "\"fUint32\":7,\"fUint64\":\"9000000000\",\"fSint32\":-8,"
                     "\"fSint64\":\"-9\",\"fFixed32\":10,\"fFixed64\":\"11\","
                     "\"fSfixed32\":-12,\"fSfixed64\":\"-13\",\"fBool\":true,"
                     "\"fString\":\"\xe6\x94\xbf\xe5\x8a\xa1 \\\"q\\\"\",\"fBytes\":\"aGVsbG8=\","
                     "\"fEnum\":\"COLOR_GREEN\",\"fNested\":{\"name\":\"n\",\"count\":3,"
                     "\"child\":{}}}";
    s_roundtrip(in, 0, NULL);

    at_t *m = (at_t *) s_from_ok(AT, in);
    assert_true(m->f_double == 2.5);
    assert_true(m->f_float == 0.1f);
    assert_int_equal(m->f_int32, -7);
    assert_true(m->f_int64 == INT64_C(-9000000000));
    assert_true(m->f_uint64 == UINT64_C(9000000000));
    assert_int_equal(m->f_sint32, -8);
    assert_true(m->f_sint64 == -9);
    assert_int_equal(m->f_fixed32, 10);
    assert_true(m->f_sfixed64 == -13);
    assert_true(m->f_bool);
    assert_string_equal(m->f_string, "\xe6\x94\xbf\xe5\x8a\xa1 \"q\"");
    assert_int_equal(m->f_bytes.len, 5);
    assert_memory_equal(m->f_bytes.data, "hello", 5);
    assert_int_equal(m->f_enum, ZWFW__TESTING__V1__COLOR__COLOR_GREEN);
    assert_non_null(m->f_nested);
    assert_string_equal(m->f_nested->name, "n");
    assert_non_null(m->f_nested->child); /* {} is a present, empty message */
    char *out = s_to_json_ok(&m->base, 0);
    /* A float prints as its shortest decimal, not as the widened double. */
    assert_non_null(strstr(out, "\"fFloat\":0.1,"));
    free(out);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_extreme_values(void **state)
{
    (void) state;
    const char *in = "{\"fInt32\":-2147483648,\"fInt64\":\"-9223372036854775808\","
                     "\"fUint32\":4294967295,\"fUint64\":\"18446744073709551615\","
                     "\"fSint32\":2147483647,\"fSint64\":\"9223372036854775807\","
                     "\"fFixed32\":4294967295,\"fFixed64\":\"18446744073709551615\","
                     "\"fSfixed32\":-2147483648,\"fSfixed64\":\"-9223372036854775808\","
                     "\"fDouble\":1.7976931348623157e308,\"fFloat\":3.4028235e38,"
                     "\"rSint32\":[-2147483648,2147483647],"
                     "\"rInt64\":[\"9223372036854775807\",\"-1\"]}";
    s_roundtrip(in, 0, NULL);
    at_t *m = (at_t *) s_from_ok(AT, in);
    assert_int_equal(m->f_int32, INT32_MIN);
    assert_true(m->f_int64 == INT64_MIN);
    assert_true(m->f_uint32 == UINT32_MAX);
    assert_true(m->f_uint64 == UINT64_MAX);
    assert_int_equal(m->f_sint32, INT32_MAX);
    assert_true(m->f_sint64 == INT64_MAX);
    assert_true(m->f_fixed64 == UINT64_MAX);
    assert_int_equal(m->f_sfixed32, INT32_MIN);
    assert_true(m->f_sfixed64 == INT64_MIN);
    assert_true(m->f_double == 1.7976931348623157e308);
    assert_true(m->f_float == FLT_MAX);
    assert_true(m->r_int64[0] == INT64_MAX);
    protobuf_c_message_free_unpacked(&m->base, NULL);

    /* Accepted alternative inputs: 64-bit as exact numbers, 32-bit as
     * strings, exponent forms that are integral. */
    s_roundtrip("{\"fInt64\":-9007199254740991,\"fUint64\":0,\"fInt32\":\"-5\","
                "\"fUint32\":\"1e3\",\"fSint64\":-12.0}",
                0,
                "{\"fInt64\":\"-9007199254740991\",\"fInt32\":-5,\"fUint32\":1000,"
                "\"fSint64\":\"-12\"}");
}

static void test_float_specials(void **state)
{
    (void) state;
    /* Doubles survive the text exactly (cJSON alone would print 0.3). */
    s_roundtrip("{\"rDouble\":[0.30000000000000004,5e-324,-1.7976931348623157e308,"
                "2.2250738585072014e-308,0.1,100,-2.5e-7]}",
                0, NULL);
    at_t *e = (at_t *) s_from_ok(AT, "{\"rDouble\":[0.30000000000000004,1e22,-0.0]}");
    assert_true(e->r_double[0] == 0.1 + 0.2);
    char *out = s_to_json_ok(&e->base, 0);
    assert_string_equal(out, "{\"rDouble\":[0.30000000000000004,1e+22,-0]}");
    free(out);
    protobuf_c_message_free_unpacked(&e->base, NULL);
    s_roundtrip("{\"fDouble\":\"NaN\",\"fFloat\":\"-Infinity\",\"rDouble\":[\"Infinity\",1.5,"
                "\"-Infinity\"],\"rFloat\":[\"NaN\",0.25]}",
                0, NULL);
    at_t *m = (at_t *) s_from_ok(AT, "{\"fDouble\":\"NaN\",\"fFloat\":\"Infinity\","
                                     "\"rDouble\":[\"2.5\",\"-1e-3\"]}");
    assert_true(isnan(m->f_double));
    assert_true(isinf(m->f_float) && m->f_float > 0);
    assert_true(m->r_double[0] == 2.5 && m->r_double[1] == -1e-3);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_repeated(void **state)
{
    (void) state;
    const char *in = "{\"rInt32\":[1,-2,3],\"rInt64\":[\"-4\",\"5\"],\"rUint64\":[\"6\"],"
                     "\"rDouble\":[0.5,-1],\"rFloat\":[1.25],\"rBool\":[true,false,true],"
                     "\"rSint32\":[-1,0,1],\"rFixed64\":[\"7\",\"0\"],"
                     "\"rString\":[\"a\",\"\",\"c\"],\"rBytes\":[\"AA==\",\"\"],"
                     "\"rEnum\":[\"COLOR_RED\",\"COLOR_NEGATIVE\",\"COLOR_UNSPECIFIED\"],"
                     "\"rNested\":[{\"name\":\"x\"},{}],\"rUnpacked\":[9,8,7],"
                     "\"rTs\":[\"1970-01-01T00:00:00Z\",\"2020-09-25T06:00:00.500Z\"]}";
    s_roundtrip(in, 0, NULL);
    at_t *m = (at_t *) s_from_ok(AT, in);
    assert_int_equal(m->n_r_int32, 3);
    assert_int_equal(m->r_int32[1], -2);
    assert_int_equal(m->n_r_bool, 3);
    assert_false(m->r_bool[1]);
    assert_int_equal(m->n_r_string, 3);
    assert_string_equal(m->r_string[1], "");
    assert_int_equal(m->r_bytes[0].len, 1);
    assert_int_equal(m->r_enum[1], ZWFW__TESTING__V1__COLOR__COLOR_NEGATIVE);
    assert_int_equal(m->n_r_nested, 2);
    assert_string_equal(m->r_nested[0]->name, "x");
    assert_int_equal(m->n_r_unpacked, 3);
    assert_true(m->r_ts[1]->seconds == 1601013600 && m->r_ts[1]->nanos == 500000000);
    /* Straight to bytes: packed by default, unpacked when the .proto says
     * so (field 32: tag 0x80 0x02 per element; field 20 packed: 0xA2 0x01,
     * length, values). */
    cJSON *j = cJSON_Parse("{\"rUnpacked\":[9,8,7],\"rInt32\":[1,2]}");
    uint8_t *bytes;
    size_t n;
    zw_err_t err;
    assert_int_equal(zw_wire_jsonpb_encode(AT, j, &bytes, &n, &err), 0);
    const uint8_t want[] = {0x80, 0x02, 9, 0x80, 0x02, 8, 0x80, 0x02, 7, 0xA2, 0x01, 2, 1, 2};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(bytes, want, n);
    free(bytes);
    cJSON_Delete(j);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    /* Empty arrays are the default and vanish. */
    s_roundtrip("{\"rInt32\":[],\"rString\":[],\"rNested\":[]}", 0, "{}");
}

static void test_maps(void **state)
{
    (void) state;
    const char *in = "{\"mStringString\":{\"a\":\"1\",\"\xe6\x94\xbf\":\"\"},"
                     "\"mStringNested\":{\"k\":{\"name\":\"v\"},\"e\":{}},"
                     "\"mInt32String\":{\"-5\":\"neg\",\"2147483647\":\"max\"},"
                     "\"mBoolInt64\":{\"true\":\"-1\",\"false\":\"9223372036854775807\"},"
                     "\"mUint64Enum\":{\"18446744073709551615\":\"COLOR_RED\"},"
                     "\"mSint32Ts\":{\"-1\":\"2020-09-25T06:00:00Z\"}}";
    s_roundtrip(in, 0, NULL);
    at_t *m = (at_t *) s_from_ok(AT, in);
    assert_int_equal(m->n_m_int32_string, 2);
    assert_int_equal(m->m_int32_string[0]->key, -5);
    assert_string_equal(m->m_int32_string[0]->value, "neg");
    assert_int_equal(m->n_m_bool_int64, 2);
    assert_true(m->m_bool_int64[0]->key);
    assert_true(m->m_bool_int64[0]->value == -1);
    assert_true(m->m_uint64_enum[0]->key == UINT64_MAX);
    assert_int_equal(m->m_sint32_ts[0]->key, -1);
    assert_true(m->m_sint32_ts[0]->value->seconds == 1601013600);
    protobuf_c_message_free_unpacked(&m->base, NULL);

    /* zwfw.v1.Error as daemons send it. */
    zw_err_t err;
    const char *ej = "{\"code\":\"NOT_FOUND\",\"message\":\"no item\","
                     "\"details\":{\"field\":\"itemCode\",\"limit\":\"3\"}}";
    Zwfw__V1__Error *e =
        (Zwfw__V1__Error *) zw_wire_from_json_named("zwfw.v1.Error", ej, strlen(ej), &err);
    assert_non_null(e);
    assert_int_equal(e->code, ZWFW__V1__CODE__NOT_FOUND);
    assert_int_equal(e->n_details, 2);
    assert_string_equal(e->details[1]->key, "limit");
    char *out = s_to_json_ok(&e->base, 0);
    s_assert_json_eq(out, ej);
    free(out);
    protobuf_c_message_free_unpacked(&e->base, NULL);
}

static void test_oneof(void **state)
{
    (void) state;
    /* A set member is written even when it holds the default. */
    s_roundtrip("{\"choiceInt\":0}", 0, NULL);
    s_roundtrip("{\"choiceString\":\"\"}", 0, NULL);
    s_roundtrip("{\"choiceNested\":{}}", 0, NULL);
    s_roundtrip("{\"choiceNested\":{\"count\":2}}", 0, NULL);
    at_t *m = (at_t *) s_from_ok(AT, "{\"choiceInt\":null,\"choiceString\":\"s\"}");
    assert_int_equal(m->choice_case, ZWFW__TESTING__V1__ALL_TYPES__CHOICE_CHOICE_STRING);
    assert_string_equal(m->choice_string, "s");
    protobuf_c_message_free_unpacked(&m->base, NULL);
    m = (at_t *) s_from_ok(AT, "{\"choiceInt\":0}");
    assert_int_equal(m->choice_case, ZWFW__TESTING__V1__ALL_TYPES__CHOICE_CHOICE_INT);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    m = (at_t *) s_from_ok(AT, "{}");
    assert_int_equal(m->choice_case, ZWFW__TESTING__V1__ALL_TYPES__CHOICE__NOT_SET);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_timestamp_and_date(void **state)
{
    (void) state;
    /* Any offset in, UTC out; fractions normalised to 3, 6 or 9 digits. */
    s_roundtrip("{\"ts\":\"2020-09-25T14:00:00+08:00\",\"date\":\"2024-02-29\"}", 0,
                "{\"ts\":\"2020-09-25T06:00:00Z\",\"date\":\"2024-02-29\"}");
    s_roundtrip("{\"ts\":\"2020-09-24T23:30:00.5-06:30\"}", 0,
                "{\"ts\":\"2020-09-25T06:00:00.500Z\"}");
    s_roundtrip("{\"ts\":\"1969-12-31t23:59:59.000001z\"}", 0,
                "{\"ts\":\"1969-12-31T23:59:59.000001Z\"}");
    s_roundtrip("{\"ts\":\"0001-01-01T00:00:00Z\",\"rTs\":[\"9999-12-31T23:59:59.999999999Z\"]}", 0,
                NULL);
    /* The epoch itself is a set Timestamp, distinct from an absent one. */
    s_roundtrip("{\"ts\":\"1970-01-01T00:00:00Z\"}", 0, NULL);

    at_t *m = (at_t *) s_from_ok(AT, "{\"ts\":\"2020-09-25T14:00:00.123456789+08:00\","
                                     "\"date\":\"2020-09-25\"}");
    assert_true(m->ts->seconds == 1601013600);
    assert_int_equal(m->ts->nanos, 123456789);
    assert_int_equal(m->date->year, 2020);
    assert_int_equal(m->date->month, 9);
    assert_int_equal(m->date->day, 25);
    protobuf_c_message_free_unpacked(&m->base, NULL);

    /* A Timestamp on its own is a JSON string, both ways. */
    zw_err_t err;
    const char *tj = "\"1969-12-31T23:59:59Z\"";
    Zwfw__V1__Timestamp *t =
        (Zwfw__V1__Timestamp *) zw_wire_from_json_named("zwfw.v1.Timestamp", tj, strlen(tj), &err);
    assert_non_null(t);
    assert_true(t->seconds == -1);
    char *out = s_to_json_ok(&t->base, 0);
    assert_string_equal(out, tj);
    free(out);
    protobuf_c_message_free_unpacked(&t->base, NULL);
}

static void test_original_names_accepted(void **state)
{
    (void) state;
    s_roundtrip("{\"f_int32\":5,\"f_nested\":{\"name\":\"x\"},\"r_string\":[\"a\"],"
                "\"m_string_string\":{\"k\":\"v\"},\"choice_string\":\"c\",\"f_uint64\":\"1\"}",
                0,
                "{\"fInt32\":5,\"fNested\":{\"name\":\"x\"},\"rString\":[\"a\"],"
                "\"mStringString\":{\"k\":\"v\"},\"choiceString\":\"c\",\"fUint64\":\"1\"}");
    zw_err_t err;
    const char *cj = "{\"key_id\":\"k1\",\"role\":\"ROLE_SYSTEM\"}";
    ProtobufCMessage *c = zw_wire_from_json_named("zwfw.v1.Caller", cj, strlen(cj), &err);
    assert_non_null(c);
    char *out = s_to_json_ok(c, 0);
    s_assert_json_eq(out, "{\"keyId\":\"k1\",\"role\":\"ROLE_SYSTEM\"}");
    free(out);
    protobuf_c_message_free_unpacked(c, NULL);
}

static void test_null_means_unset(void **state)
{
    (void) state;
    s_roundtrip("{\"fInt32\":null,\"fNested\":null,\"rInt32\":null,\"mStringString\":null,"
                "\"ts\":null,\"fEnum\":null,\"fBytes\":null}",
                0, "{}");
    s_roundtrip("{\"fInt32\":0,\"fString\":\"\",\"fBool\":false,\"fEnum\":\"COLOR_UNSPECIFIED\","
                "\"fInt64\":\"0\",\"fDouble\":0}",
                0, "{}");
}

static void test_emit_defaults(void **state)
{
    (void) state;
    at_t m = ZWFW__TESTING__V1__ALL_TYPES__INIT;
    char *out = s_to_json_ok(&m.base, 0);
    assert_string_equal(out, "{}");
    free(out);
    out = s_to_json_ok(&m.base, ZW_WIRE_EMIT_DEFAULTS);
    cJSON *j = cJSON_Parse(out);
    assert_non_null(j);
    assert_true(cJSON_GetObjectItem(j, "fInt32")->valuedouble == 0);
    assert_string_equal(cJSON_GetObjectItem(j, "fInt64")->valuestring, "0");
    assert_string_equal(cJSON_GetObjectItem(j, "fString")->valuestring, "");
    assert_string_equal(cJSON_GetObjectItem(j, "fBytes")->valuestring, "");
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "fBool")));
    assert_string_equal(cJSON_GetObjectItem(j, "fEnum")->valuestring, "COLOR_UNSPECIFIED");
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(j, "rNested")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rInt32")), 0);
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(j, "mBoolInt64")));
    /* Fields with presence stay absent: messages and oneof members. */
    assert_null(cJSON_GetObjectItem(j, "fNested"));
    assert_null(cJSON_GetObjectItem(j, "ts"));
    assert_null(cJSON_GetObjectItem(j, "choiceInt"));
    assert_null(cJSON_GetObjectItem(j, "f_int32"));
    cJSON_Delete(j);
    /* The full default form parses back to the empty message. */
    ProtobufCMessage *back = s_from_ok(AT, out);
    free(out);
    out = s_to_json_ok(back, 0);
    assert_string_equal(out, "{}");
    free(out);
    protobuf_c_message_free_unpacked(back, NULL);
}

static void test_enums(void **state)
{
    (void) state;
    /* Numbers accepted, unknown numbers kept (proto3 enums are open). */
    s_roundtrip("{\"fEnum\":2,\"rEnum\":[1,-3,99]}", 0,
                "{\"fEnum\":\"COLOR_GREEN\",\"rEnum\":[\"COLOR_RED\",\"COLOR_NEGATIVE\",99]}");
    s_roundtrip("{\"fEnum\":\"COLOR_RED\",\"rEnum\":[\"COLOR_NEGATIVE\"]}", ZW_WIRE_ENUMS_AS_INTS,
                "{\"fEnum\":1,\"rEnum\":[-3]}");
}

static void test_bytes_base64_forms(void **state)
{
    (void) state;
    /* fb ff fe 00 41: standard "+//+AEE=", URL-safe "-__-AEE", either way. */
    s_roundtrip("{\"fBytes\":\"-__-AEE\",\"rBytes\":[\"+//+AEE\",\"-__-AEE=\",\"QQ\"]}", 0,
                "{\"fBytes\":\"+//+AEE=\",\"rBytes\":[\"+//+AEE=\",\"+//+AEE=\",\"QQ==\"]}");
    at_t *m = (at_t *) s_from_ok(AT, "{\"fBytes\":\"-__-AEE\"}");
    assert_int_equal(m->f_bytes.len, 5);
    assert_memory_equal(m->f_bytes.data, "\xfb\xff\xfe\x00\x41", 5);
    protobuf_c_message_free_unpacked(&m->base, NULL);
}

static void test_built_message_round_trip(void **state)
{
    (void) state;
    /* A message built in C, as a daemon would, through JSON and back
     * packs to the same bytes. */
    Zwfw__Testing__V1__Nested child = ZWFW__TESTING__V1__NESTED__INIT;
    child.name = "child";
    child.count = -1;
    Zwfw__V1__Timestamp ts = ZWFW__V1__TIMESTAMP__INIT;
    ts.seconds = 1601013600;
    ts.nanos = 1000;
    Zwfw__V1__Date date = ZWFW__V1__DATE__INIT;
    date.year = 2000, date.month = 2, date.day = 29;
    int64_t r64[] = {INT64_MIN, 0, INT64_MAX};
    char *strs[] = {"x", "y"};
    Zwfw__Testing__V1__AllTypes__MInt32StringEntry e1 =
        ZWFW__TESTING__V1__ALL_TYPES__MINT32_STRING_ENTRY__INIT;
    e1.key = 3, e1.value = "three";
    Zwfw__Testing__V1__AllTypes__MInt32StringEntry *entries[] = {&e1};
    at_t m = ZWFW__TESTING__V1__ALL_TYPES__INIT;
    m.f_double = -0.125;
    m.f_uint64 = UINT64_MAX;
    m.f_bytes.data = (uint8_t *) "\0\1\2";
    m.f_bytes.len = 3;
    m.f_enum = ZWFW__TESTING__V1__COLOR__COLOR_NEGATIVE;
    m.f_nested = &child;
    m.n_r_int64 = 3, m.r_int64 = r64;
    m.n_r_string = 2, m.r_string = strs;
    m.n_m_int32_string = 1, m.m_int32_string = entries;
    m.choice_case = ZWFW__TESTING__V1__ALL_TYPES__CHOICE_CHOICE_NESTED;
    m.choice_nested = &child;
    m.ts = &ts;
    m.date = &date;

    char *out = s_to_json_ok(&m.base, ZW_WIRE_PRETTY);
    assert_non_null(strchr(out, '\n'));
    assert_non_null(strstr(out, "\"2020-09-25T06:00:00.000001Z\""));
    assert_non_null(strstr(out, "\"2000-02-29\""));
    ProtobufCMessage *back = s_from_ok(AT, out);
    size_t n1, n2;
    uint8_t *b1 = s_pack(&m.base, &n1), *b2 = s_pack(back, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    free(b1);
    free(b2);
    free(out);
    protobuf_c_message_free_unpacked(back, NULL);

    /* The cJSON form is the same tree. */
    zw_err_t err;
    cJSON *tree = zw_wire_to_cjson(&m.base, 0, &err);
    assert_non_null(tree);
    assert_string_equal(cJSON_GetObjectItem(tree, "fUint64")->valuestring, "18446744073709551615");
    back = zw_wire_from_cjson(AT, tree, &err);
    assert_non_null(back);
    assert_true(((at_t *) back)->f_uint64 == UINT64_MAX);
    cJSON_Delete(tree);
    protobuf_c_message_free_unpacked(back, NULL);
}

static void test_map_key_repeated_on_wire(void **state)
{
    (void) state;
    /* Two entries with one key are legal on the wire: the last one wins. */
    Zwfw__V1__Error__DetailsEntry a = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT;
    Zwfw__V1__Error__DetailsEntry b = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT;
    Zwfw__V1__Error__DetailsEntry c = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT;
    a.key = "k", a.value = "first";
    b.key = "other", b.value = "x";
    c.key = "k", c.value = "last";
    Zwfw__V1__Error__DetailsEntry *entries[] = {&a, &b, &c};
    Zwfw__V1__Error e = ZWFW__V1__ERROR__INIT;
    e.n_details = 3;
    e.details = entries;
    char *out = s_to_json_ok(&e.base, 0);
    s_assert_json_eq(out, "{\"details\":{\"k\":\"last\",\"other\":\"x\"}}");
    free(out);
}

static void test_hand_built_tree(void **state)
{
    (void) state;
    zw_err_t err;
    /* A member without a name, or a string item without text, is refused. */
    cJSON *obj = cJSON_CreateObject();
    cJSON *num = cJSON_CreateNumber(1);
    cJSON_AddItemToArray(obj, num); /* no key */
    assert_null(zw_wire_from_cjson(AT, obj, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    cJSON_Delete(obj);
    obj = cJSON_CreateObject();
    cJSON *str = cJSON_CreateString("x");
    cJSON_free(str->valuestring);
    str->valuestring = NULL;
    cJSON_AddItemToObject(obj, "fString", str);
    assert_null(zw_wire_from_cjson(AT, obj, &err));
    assert_string_equal(err.detail, "fString");
    cJSON_Delete(obj);
    assert_null(zw_wire_from_cjson(AT, NULL, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
}

/* ---- errors, one kind each, with the field path ----------------------- */

static void test_error_unknown_field(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"nope\":1}", "nope", "unknown field");
    s_expect_error(AT, "{\"fNested\":{\"child\":{\"bogus\":true}}}", "fNested.child.bogus",
                   "unknown field");
    s_expect_error(AT, "{\"FInt32\":1}", "FInt32", "unknown field");
}

static void test_error_wrong_type(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"fString\":5}", "fString", "expected a string");
    s_expect_error(AT, "{\"fBool\":\"true\"}", "fBool", "expected true or false");
    s_expect_error(AT, "{\"fInt32\":true}", "fInt32", "expected an integer");
    s_expect_error(AT, "{\"fInt64\":\"12abc\"}", "fInt64", "expected an integer");
    s_expect_error(AT, "{\"fDouble\":\"1.5x\"}", "fDouble", "expected a number");
    s_expect_error(AT, "{\"fDouble\":\"inf\"}", "fDouble", "expected a number");
    s_expect_error(AT, "{\"rInt32\":5}", "rInt32", "expected an array");
    s_expect_error(AT, "{\"rNested\":[{},[]]}", "rNested[1]", "expected a JSON object");
    s_expect_error(AT, "{\"mStringString\":[]}", "mStringString", "expected an object");
    s_expect_error(AT, "{\"fNested\":\"x\"}", "fNested", "expected a JSON object");
    s_expect_error(AT, "{\"fEnum\":[1]}", "fEnum", "expected an enum");
    s_expect_error(AT, "{\"rString\":[\"a\",null]}", "rString[1]", "null");
    s_expect_error(AT, "{\"mStringNested\":{\"k\":null}}", "mStringNested[\"k\"]", "null");
}

static void test_error_out_of_range(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"fInt32\":2147483648}", "fInt32", "out of range");
    s_expect_error(AT, "{\"fInt32\":-2147483649}", "fInt32", "out of range");
    s_expect_error(AT, "{\"fSfixed32\":\"2147483648\"}", "fSfixed32", "out of range");
    s_expect_error(AT, "{\"fUint32\":-1}", "fUint32", "out of range");
    s_expect_error(AT, "{\"fFixed32\":4294967296}", "fFixed32", "out of range");
    s_expect_error(AT, "{\"fInt64\":\"9223372036854775808\"}", "fInt64", "out of range");
    s_expect_error(AT, "{\"fSint64\":\"-9223372036854775809\"}", "fSint64", "out of range");
    s_expect_error(AT, "{\"fUint64\":\"18446744073709551616\"}", "fUint64", "out of range");
    s_expect_error(AT, "{\"fUint64\":\"-1\"}", "fUint64", "out of range");
    s_expect_error(AT, "{\"fInt32\":1.5}", "fInt32", "expected an integer");
    s_expect_error(AT, "{\"fInt32\":\"1e-1\"}", "fInt32", "expected an integer");
    /* Past 2^53 a JSON number may already be rounded: strings only. */
    s_expect_error(AT, "{\"fInt64\":9007199254740993}", "fInt64", "as a string");
    s_expect_error(AT, "{\"fUint64\":9007199254740992}", "fUint64", "as a string");
    s_expect_error(AT, "{\"fSfixed64\":-1e18}", "fSfixed64", "as a string");
    s_expect_error(AT, "{\"fSfixed64\":-1e300}", "fSfixed64", "out of range");
    s_expect_error(AT, "{\"fInt32\":1e300}", "fInt32", "out of range");
    s_expect_error(AT, "{\"fFloat\":1e39}", "fFloat", "out of range");
    s_expect_error(AT, "{\"fFloat\":-3.4028236e38}", "fFloat", "out of range");
    s_expect_error(AT, "{\"fDouble\":1e309}", "fDouble", "out of range");
    s_expect_error(AT, "{\"rSint32\":[1,2147483648]}", "rSint32[1]", "out of range");
    s_expect_error(AT, "{\"mInt32String\":{\"2147483648\":\"x\"}}", "mInt32String[\"2147483648\"]",
                   "out of range");
    s_expect_error(AT, "{\"fEnum\":2147483648}", "fEnum", "out of range");
}

static void test_error_unknown_enum(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"fEnum\":\"FOO\"}", "fEnum", "unknown enum value \"FOO\"");
    s_expect_error(AT, "{\"rEnum\":[\"COLOR_RED\",\"color_red\"]}", "rEnum[1]",
                   "unknown enum value");
    s_expect_error(AT, "{\"error\":{\"code\":\"NOPE\"}}", "error.code", "unknown enum value");
    /* The example from DESIGN's error convention, on a real zwfw type. */
    zw_err_t err;
    const char *j = "{\"kind\":\"APPLICANT_KIND_PERSON\",\"identity\":{\"idType\":\"FOO\"}}";
    assert_null(zw_wire_from_json_named("zwfw.v1.Applicant", j, strlen(j), &err));
    assert_string_equal(err.detail, "identity.idType");
    assert_string_equal(err.message, "identity.idType: unknown enum value \"FOO\"");
}

static void test_error_bad_base64(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"fBytes\":\"abc$\"}", "fBytes", "base64");
    s_expect_error(AT, "{\"fBytes\":\"QQ=\"}", "fBytes", "base64");
    s_expect_error(AT, "{\"fBytes\":\"Q\"}", "fBytes", "base64");
    s_expect_error(AT, "{\"rBytes\":[\"QQ==\",\"A=A=\"]}", "rBytes[1]", "base64");
}

static void test_error_bad_timestamp_and_date(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"ts\":\"2020-13-01T00:00:00Z\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2020-09-25 06:00:00Z\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2020-09-25T06:00:00\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2020-09-25T06:00:60Z\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2020-09-25T06:00:00.1234567891Z\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2020-09-25T06:00:00.Z\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2021-02-29T06:00:00Z\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"0001-01-01T00:00:00+01:00\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2020-09-25T06:00:00+24:00\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":\"2020-09-25T06:00:00Zjunk\"}", "ts", "invalid timestamp");
    s_expect_error(AT, "{\"ts\":1601013600}", "ts", "RFC 3339");
    s_expect_error(AT, "{\"ts\":{\"seconds\":\"1\"}}", "ts", "RFC 3339");
    s_expect_error(AT, "{\"rTs\":[\"2020-09-25T06:00:00Z\",\"yesterday\"]}", "rTs[1]",
                   "invalid timestamp");
    s_expect_error(AT, "{\"mSint32Ts\":{\"1\":\"x\"}}", "mSint32Ts[\"1\"]", "invalid timestamp");
    s_expect_error(AT, "{\"date\":\"2023-02-29\"}", "date", "invalid date");
    s_expect_error(AT, "{\"date\":\"1900-02-29\"}", "date", "invalid date");
    s_expect_error(AT, "{\"date\":\"2023-04-31\"}", "date", "invalid date");
    s_expect_error(AT, "{\"date\":\"0000-01-01\"}", "date", "invalid date");
    s_expect_error(AT, "{\"date\":\"2023-1-01\"}", "date", "invalid date");
    s_expect_error(AT, "{\"date\":\"2023-01-011\"}", "date", "invalid date");
}

static void test_error_duplicate_oneof_and_field(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"choiceInt\":1,\"choiceString\":\"x\"}", "choiceString",
                   "oneof already set by \"choiceInt\"");
    s_expect_error(AT, "{\"choiceNested\":{},\"choice_int\":0}", "choiceInt",
                   "oneof already set by \"choiceNested\"");
    s_expect_error(AT, "{\"fInt32\":1,\"f_int32\":2}", "fInt32", "given twice");
    s_expect_error(AT, "{\"fNested\":{\"name\":\"a\",\"name\":\"b\"}}", "fNested.name",
                   "given twice");
}

static void test_error_top_level(void **state)
{
    (void) state;
    s_expect_error(AT, "[1,2]", "", "expected a JSON object");
    s_expect_error(AT, "\"str\"", "", "expected a JSON object");
    s_expect_error(AT, "5", "", "expected a JSON object");
    s_expect_error(AT, "null", "", "expected a JSON object");
    s_expect_error(&zwfw__v1__timestamp__descriptor, "{}", "", "RFC 3339");
}

static void test_error_invalid_json(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"fInt32\": }", "", "invalid JSON near byte 11");
    s_expect_error(AT, "{\"fInt32\":1", "", "invalid JSON");
    s_expect_error(AT, "{} x", "", "text after the value at byte 3");
    s_expect_error(AT, "{}{}", "", "text after the value");
    s_expect_error(AT, "", "", "invalid JSON");
    s_expect_error(AT, "   ", "", "invalid JSON");
    /* Trailing blanks and a terminating NUL inside the length are fine. */
    zw_err_t err;
    ProtobufCMessage *m = zw_wire_from_json(AT, "{\"fInt32\":1} \n", 15, &err);
    assert_non_null(m);
    protobuf_c_message_free_unpacked(m, NULL);
    /* The length is honoured: what follows it is never read. */
    m = zw_wire_from_json(AT, "{\"fInt32\":1}garbage", 12, &err);
    assert_non_null(m);
    assert_int_equal(((at_t *) m)->f_int32, 1);
    protobuf_c_message_free_unpacked(m, NULL);
    assert_null(zw_wire_from_json(AT, NULL, 0, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_null(zw_wire_from_json(NULL, "{}", 2, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    /* err may be NULL. */
    assert_null(zw_wire_from_json(AT, "{\"x\":1}", 7, NULL));
}

static void test_error_invalid_utf8(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"fString\":\"ok\xff\"}", "fString", "UTF-8");
    s_expect_error(AT, "{\"fString\":\"\xc0\xaf\"}", "fString", "UTF-8");          /* overlong */
    s_expect_error(AT, "{\"rString\":[\"\xed\xa0\x80\"]}", "rString[0]", "UTF-8"); /* surrogate */
    s_expect_error(AT, "{\"mStringString\":{\"\xe6\x94\":\"v\"}}", "mStringString[\"??\"]",
                   "UTF-8");
    /* Error texts quote input and are cut to size, yet stay UTF-8 (they
     * travel on in zwfw.v1.Error strings). */
    zw_err_t e2;
    assert_null(s_from(AT, "{\"f\xff\":1}", &e2));
    assert_string_equal(e2.detail, "f?");
    assert_true(zw_wire_text_utf8_valid(e2.message, strlen(e2.message)));
    assert_null(
        s_from(AT, "{\"fInt64\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xe6\x94\xbf\"}", &e2));
    assert_non_null(strstr(e2.message, "expected an integer"));
    assert_true(zw_wire_text_utf8_valid(e2.message, strlen(e2.message)));
    /* Output checks too: a C string that is not UTF-8 cannot become JSON. */
    at_t m = ZWFW__TESTING__V1__ALL_TYPES__INIT;
    Zwfw__Testing__V1__Nested n = ZWFW__TESTING__V1__NESTED__INIT;
    n.name = "bad\xfe";
    m.n_r_nested = 1;
    Zwfw__Testing__V1__Nested *arr[] = {&n};
    m.r_nested = arr;
    zw_err_t err;
    assert_null(zw_wire_to_json(&m.base, 0, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "rNested[0].name");
}

static void test_error_map_keys(void **state)
{
    (void) state;
    s_expect_error(AT, "{\"mStringString\":{\"b\":\"1\",\"a\":\"2\",\"b\":\"3\"}}",
                   "mStringString[\"b\"]", "given twice");
    s_expect_error(AT, "{\"mInt32String\":{\"abc\":\"x\"}}", "mInt32String[\"abc\"]",
                   "expected an integer");
    s_expect_error(AT, "{\"mBoolInt64\":{\"yes\":\"1\"}}", "mBoolInt64[\"yes\"]",
                   "\"true\" or \"false\"");
    s_expect_error(AT, "{\"mUint64Enum\":{\"-2\":\"COLOR_RED\"}}", "mUint64Enum[\"-2\"]",
                   "out of range");
    s_expect_error(AT, "{\"mStringNested\":{\"k\":{\"count\":\"x\"}}}",
                   "mStringNested[\"k\"].count", "expected an integer");
}

static char *s_nested_json(int depth)
{
    size_t n = (size_t) depth * 12 + 16;
    char *s = malloc(n), *p = s;
    assert_non_null(s);
    for (int i = 0; i < depth; i++)
        p += sprintf(p, "{\"child\":");
    p += sprintf(p, "{}");
    for (int i = 0; i < depth; i++)
        *p++ = '}';
    *p = '\0';
    return s;
}

static void test_error_nesting_depth(void **state)
{
    (void) state;
    const ProtobufCMessageDescriptor *nd = &zwfw__testing__v1__nested__descriptor;
    char *ok = s_nested_json(ZW_WIRE_MAX_DEPTH), *deep = s_nested_json(ZW_WIRE_MAX_DEPTH + 1);
    ProtobufCMessage *m = s_from_ok(nd, ok);
    char *out = s_to_json_ok(m, 0);
    assert_string_equal(out, ok); /* cJSON_Compare is exponential in depth */
    free(out);
    protobuf_c_message_free_unpacked(m, NULL);
    zw_err_t err;
    assert_null(s_from(nd, deep, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "nested more than 64 deep"));
    assert_non_null(strstr(err.detail, "child.child.child"));
    free(ok);
    free(deep);
    char *huge = s_nested_json(5000); /* beyond cJSON's own limit: refused, no crash */
    assert_null(s_from(nd, huge, &err));
    free(huge);

    /* The writer stops at the same depth (a hand-built chain). */
    Zwfw__Testing__V1__Nested chain[ZW_WIRE_MAX_DEPTH + 2];
    for (int i = 0; i < ZW_WIRE_MAX_DEPTH + 2; i++) {
        zwfw__testing__v1__nested__init(&chain[i]);
        chain[i].child = i + 1 < ZW_WIRE_MAX_DEPTH + 2 ? &chain[i + 1] : NULL;
    }
    assert_null(zw_wire_to_json(&chain[0].base, 0, &err));
    assert_non_null(strstr(err.message, "nested more than"));
    out = zw_wire_to_json(&chain[1].base, 0, &err);
    assert_non_null(out);
    free(out);
}

static void test_error_output_ranges(void **state)
{
    (void) state;
    at_t m = ZWFW__TESTING__V1__ALL_TYPES__INIT;
    Zwfw__V1__Timestamp ts = ZWFW__V1__TIMESTAMP__INIT;
    ts.nanos = -1;
    m.ts = &ts;
    zw_err_t err;
    assert_null(zw_wire_to_json(&m.base, 0, &err));
    assert_string_equal(err.detail, "ts");
    ts.nanos = 0;
    ts.seconds = INT64_MAX;
    assert_null(zw_wire_to_cjson(&m.base, 0, &err));
    assert_string_equal(err.detail, "ts");
    m.ts = NULL;
    Zwfw__V1__Date d = ZWFW__V1__DATE__INIT;
    d.year = 2023, d.month = 2, d.day = 29;
    m.date = &d;
    assert_null(zw_wire_to_json(&m.base, 0, &err));
    assert_string_equal(err.detail, "date");
    assert_non_null(strstr(err.message, "not a valid date"));
    assert_null(zw_wire_to_json(NULL, 0, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
}

static void test_from_json_named(void **state)
{
    (void) state;
    zw_err_t err;
    const char *j = "{\"year\":2020,\"month\":9}";
    assert_null(zw_wire_from_json_named("zwfw.v1.Nope", j, strlen(j), &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_string_equal(err.detail, "zwfw.v1.Nope");
    assert_null(zw_wire_from_json_named(NULL, j, strlen(j), &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
    /* Date's JSON form is the string, not its fields. */
    assert_null(zw_wire_from_json_named("zwfw.v1.Date", j, strlen(j), &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    const char *m = "{\"currency\":\"CNY\",\"fen\":\"12345\"}";
    Zwfw__V1__Money *money =
        (Zwfw__V1__Money *) zw_wire_from_json_named("zwfw.v1.Money", m, strlen(m), &err);
    assert_non_null(money);
    assert_true(money->fen == 12345);
    assert_string_equal(money->currency, "CNY");
    protobuf_c_message_free_unpacked(&money->base, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_type),
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_extreme_values),
        cmocka_unit_test(test_float_specials),
        cmocka_unit_test(test_repeated),
        cmocka_unit_test(test_maps),
        cmocka_unit_test(test_oneof),
        cmocka_unit_test(test_timestamp_and_date),
        cmocka_unit_test(test_original_names_accepted),
        cmocka_unit_test(test_null_means_unset),
        cmocka_unit_test(test_emit_defaults),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_bytes_base64_forms),
        cmocka_unit_test(test_built_message_round_trip),
        cmocka_unit_test(test_map_key_repeated_on_wire),
        cmocka_unit_test(test_hand_built_tree),
        cmocka_unit_test(test_error_unknown_field),
        cmocka_unit_test(test_error_wrong_type),
        cmocka_unit_test(test_error_out_of_range),
        cmocka_unit_test(test_error_unknown_enum),
        cmocka_unit_test(test_error_bad_base64),
        cmocka_unit_test(test_error_bad_timestamp_and_date),
        cmocka_unit_test(test_error_duplicate_oneof_and_field),
        cmocka_unit_test(test_error_top_level),
        cmocka_unit_test(test_error_invalid_json),
        cmocka_unit_test(test_error_invalid_utf8),
        cmocka_unit_test(test_error_map_keys),
        cmocka_unit_test(test_error_nesting_depth),
        cmocka_unit_test(test_error_output_ranges),
        cmocka_unit_test(test_from_json_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
