/* zw_request_unpack (common/mdp_reply.c) refuses what protobuf-c would
 * pass on unchecked: a string holding a NUL (protobuf-c hands strings over
 * as C strings, so the rest was silently cut off and never checked; found
 * by the hostile-input test of 2026-11-28), at any depth, naming the field
 * with its index; and a string that is not UTF-8. */
#include "zwtest.h"

#include "mdp_reply.h"
#include "zwfw/v1/intake.pb-c.h"

#include <stdlib.h>
#include <string.h>

static Zwfw__V1__Caller s_caller = ZWFW__V1__CALLER__INIT;

static ProtobufCMessage *s_unpack(const ProtobufCMessageDescriptor *d, const uint8_t *data,
                                  size_t len, zw_err_t *err)
{
    s_caller.key_id = "window-1";
    s_caller.role = ZWFW__V1__ROLE__ROLE_WINDOW;
    zw_request_t req = {.service = "zwfw.intake",
                        .request_id = "r1",
                        .type = d->name,
                        .data = data,
                        .len = len,
                        .caller = &s_caller};
    return zw_request_unpack(&req, d, err);
}

/* A submission with two materials whose URIs are "aa" and "bb". */
static uint8_t *s_submission(size_t *len)
{
    Zwfw__V1__SubmitApplication m = ZWFW__V1__SUBMIT_APPLICATION__INIT;
    Zwfw__V1__MaterialRef a = ZWFW__V1__MATERIAL_REF__INIT, b = ZWFW__V1__MATERIAL_REF__INIT;
    Zwfw__V1__MaterialRef *mats[] = {&a, &b};
    m.idempotency_key = "k1";
    m.item_code = "item";
    a.material_code = "M01";
    a.uri = "aa";
    b.material_code = "M02";
    b.uri = "bb";
    m.materials = mats;
    m.n_materials = 2;
    *len = protobuf_c_message_get_packed_size(&m.base);
    uint8_t *buf = malloc(*len);
    assert_non_null(buf);
    protobuf_c_message_pack(&m.base, buf);
    return buf;
}

static uint8_t *s_find(uint8_t *buf, size_t len, const char *what)
{
    size_t n = strlen(what);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, what, n) == 0)
            return buf + i;
    fail_msg("%s not in the packed message", what);
    return NULL;
}

static void test_clean_message_passes(void **state)
{
    (void) state;
    size_t len;
    uint8_t *buf = s_submission(&len);
    zw_err_t err;
    ProtobufCMessage *m = s_unpack(&zwfw__v1__submit_application__descriptor, buf, len, &err);
    assert_non_null(m);
    Zwfw__V1__SubmitApplication *sa = (Zwfw__V1__SubmitApplication *) m;
    assert_string_equal(sa->materials[1]->uri, "bb");
    protobuf_c_message_free_unpacked(m, NULL);
    free(buf);
}

static void test_nul_inside_a_string(void **state)
{
    (void) state;
    size_t len;
    zw_err_t err = {0};
    uint8_t *buf = s_submission(&len);
    s_find(buf, len, "bb")[1] = 0; /* "b\0": same length on the wire */
    assert_null(s_unpack(&zwfw__v1__submit_application__descriptor, buf, len, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "materials[1].uri");
    assert_non_null(strstr(err.message, "NUL"));
    free(buf);

    buf = s_submission(&len);
    s_find(buf, len, "k1")[0] = 0; /* at the start of a top-level string */
    assert_null(s_unpack(&zwfw__v1__submit_application__descriptor, buf, len, &err));
    assert_string_equal(err.detail, "idempotency_key");
    free(buf);
}

static void test_not_utf8_still_refused(void **state)
{
    (void) state;
    size_t len;
    zw_err_t err = {0};
    uint8_t *buf = s_submission(&len);
    s_find(buf, len, "aa")[0] = 0xff;
    assert_null(s_unpack(&zwfw__v1__submit_application__descriptor, buf, len, &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "materials[0].uri");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_message_passes),
        cmocka_unit_test(test_nul_inside_a_string),
        cmocka_unit_test(test_not_utf8_still_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
