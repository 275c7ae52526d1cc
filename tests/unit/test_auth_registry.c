/* zw_auth_registry: a valid registry's entries, lookups by name and key
 * and packed Callers; every kind of bad entry refused with a message that
 * names it. */
#include "zwtest.h"

#include "auth.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

/* A real pair, so that public matches secret. */
#define S_PUB "hVc}JHvR/A>W.NPNNRk.hlU!cXgb1tcL%p^.7d[N"
#define S_SEC "NgU<goa.7PmBQo/3*w$bP>gfrW#Udx2=a:ds#j8("

/* ------------------------------------------------------------ registry */

static zw_auth_registry_t *s_reg(const char *json, zw_err_t *err)
{
    return zw_auth_registry_parse(json, strlen(json), "reg.json", err);
}

static void test_registry_valid(void **state)
{
    (void) state;
    zw_auth_keys_t a, b;
    zw_err_t err;
    assert_int_equal(zw_auth_keys_generate(&a, &err), 0);
    assert_int_equal(zw_auth_keys_generate(&b, &err), 0);
    char e1[512], e2[512], json[1200];
    snprintf(json, sizeof json, "{\"comment\": \"test\", \"keys\": [%s, %s]}",
             zwt_key_entry(e1, sizeof e1, "win-1", a.public_key, "window",
                           ", \"department\": \"11500152MB0000001X\", \"comment\": \"hall\""),
             zwt_key_entry(e2, sizeof e2, "intake", b.public_key, "system", ""));
    zw_auth_registry_t *reg = s_reg(json, &err);
    assert_non_null(reg);
    assert_int_equal(zw_auth_registry_size(reg), 2);
    const zw_auth_entry_t *w = zw_auth_registry_at(reg, 0);
    assert_string_equal(w->name, "win-1");
    assert_string_equal(w->role_name, "window");
    assert_int_equal(w->role, ZWFW__V1__ROLE__ROLE_WINDOW);
    assert_string_equal(w->department, "11500152MB0000001X");
    assert_null(zw_auth_registry_at(reg, 2));
    assert_ptr_equal(zw_auth_registry_find_name(reg, "win-1"), w);
    assert_null(zw_auth_registry_find_name(reg, "win-2"));
    uint8_t bin[32];
    assert_non_null(zmq_z85_decode(bin, b.public_key));
    const zw_auth_entry_t *s = zw_auth_registry_find_key(reg, bin);
    assert_non_null(s);
    assert_string_equal(s->name, "intake");
    assert_string_equal(s->department, "");
    assert_non_null(zmq_z85_decode(bin, S_PUB));
    assert_null(zw_auth_registry_find_key(reg, bin));
    /* the packed Caller is the entry */
    Zwfw__V1__Caller *c = zwfw__v1__caller__unpack(NULL, w->caller_len, w->caller);
    assert_non_null(c);
    assert_string_equal(c->key_id, "win-1");
    assert_int_equal(c->role, ZWFW__V1__ROLE__ROLE_WINDOW);
    assert_string_equal(c->region, "500152");
    assert_string_equal(c->department, "11500152MB0000001X");
    zwfw__v1__caller__free_unpacked(c, NULL);
    zw_auth_registry_destroy(&reg);
    assert_null(reg);
    zw_auth_registry_destroy(&reg);

    /* a bare array; an empty registry */
    snprintf(json, sizeof json, "[%s]", e2);
    reg = s_reg(json, &err);
    assert_non_null(reg);
    assert_int_equal(zw_auth_registry_size(reg), 1);
    zw_auth_registry_destroy(&reg);
    reg = s_reg("{\"keys\": []}", &err);
    assert_non_null(reg);
    assert_int_equal(zw_auth_registry_size(reg), 0);
    assert_null(zw_auth_registry_find_name(reg, "x"));
    zw_auth_registry_destroy(&reg);
    assert_null(zw_auth_registry_find_name(NULL, "x"));
    assert_int_equal(zw_auth_registry_size(NULL), 0);

    /* many keys: every one found by name and by key */
    char *big = malloc(300000);
    size_t used = (size_t) snprintf(big, 300000, "{\"keys\": [");
    zw_auth_keys_t keys[300];
    for (int i = 0; i < 300; i++) {
        assert_int_equal(zw_auth_keys_generate(&keys[i], &err), 0);
        char name[16];
        snprintf(name, sizeof name, "k%03d", (i * 7) % 300);
        used += (size_t) snprintf(
            big + used, 300000 - used, "%s%s", i ? "," : "",
            zwt_key_entry(e1, sizeof e1, name, keys[i].public_key, "approver", ""));
    }
    snprintf(big + used, 300000 - used, "]}");
    reg = s_reg(big, &err);
    free(big);
    assert_non_null(reg);
    for (int i = 0; i < 300; i++) {
        char name[16];
        snprintf(name, sizeof name, "k%03d", (i * 7) % 300);
        assert_non_null(zmq_z85_decode(bin, keys[i].public_key));
        const zw_auth_entry_t *e = zw_auth_registry_find_key(reg, bin);
        assert_non_null(e);
        assert_string_equal(e->name, name);
        assert_ptr_equal(zw_auth_registry_find_name(reg, name), e);
    }
    zw_auth_registry_destroy(&reg);
}

/* The registry must be refused with a message containing `want`. */
static void s_refused(const char *json, const char *want)
{
    zw_err_t err;
    zw_auth_registry_t *reg = s_reg(json, &err);
    if (reg)
        fail_msg("accepted: %s", json);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    if (!strstr(err.message, want))
        fail_msg("message '%s' lacks '%s'", err.message, want);
}

static void test_registry_errors(void **state)
{
    (void) state;
    zw_auth_keys_t a, b;
    zw_err_t err;
    assert_int_equal(zw_auth_keys_generate(&a, &err), 0);
    assert_int_equal(zw_auth_keys_generate(&b, &err), 0);
    char e1[512], e2[512], json[1400];
#define S_TWO(x, y) (snprintf(json, sizeof json, "{\"keys\": [%s, %s]}", x, y), json)
    zwt_key_entry(e1, sizeof e1, "ok", a.public_key, "window", "");

    s_refused(S_TWO(e1, zwt_key_entry(e2, sizeof e2, "boss", b.public_key, "emperor", "")),
              "reg.json: entry 2 (\"boss\"): role 'emperor' is not window, approver, head");
    s_refused(S_TWO(e1, zwt_key_entry(e2, sizeof e2, "b", "tooshort", "head", "")),
              "entry 2 (\"b\"): public_key is not a 40-character Z85 key");
    s_refused(S_TWO(e1, zwt_key_entry(e2, sizeof e2, "b", a.public_key, "head", "")),
              "entry 2 (\"b\"): public_key is also the key of entry 1 (\"ok\")");
    s_refused(S_TWO(e1, zwt_key_entry(e2, sizeof e2, "ok", b.public_key, "head", "")),
              "entry 2: name \"ok\" is also entry 1's");
    s_refused(
        S_TWO(e1, zwt_key_entry(e2, sizeof e2, "b", b.public_key, "head", ", \"rol\": \"x\"")),
        "entry 2 (\"b\"): unknown key 'rol'");
    s_refused(S_TWO(e1, zwt_key_entry(e2, sizeof e2, "b c", b.public_key, "head", "")),
              "entry 2: bad name");
    s_refused(
        S_TWO(e1, zwt_key_entry(e2, sizeof e2, "b", b.public_key, "head",
                                ", \"department\": \"12345678901234567890123456789012345678901234"
                                "567890123456789012345\"")),
        "department must be at most 64");
    s_refused(
        S_TWO(e1, zwt_key_entry(e2, sizeof e2, "b", b.public_key, "head", ", \"department\": 7")),
        "entry 2 (\"b\"): department is not a string");
    snprintf(e2, sizeof e2, "{\"name\": \"b\", \"public_key\": \"%s\", \"role\": \"head\"}",
             b.public_key);
    s_refused(S_TWO(e1, e2), "entry 2 (\"b\"): no region");
    snprintf(e2, sizeof e2,
             "{\"name\": \"b\", \"public_key\": \"%s\", \"role\": \"head\", \"region\": \"5001\"}",
             b.public_key);
    s_refused(S_TWO(e1, e2), "region '5001' is not a 6- or 12-digit division code");
    snprintf(e2, sizeof e2, "{\"public_key\": \"%s\", \"role\": \"head\", \"region\": \"500152\"}",
             b.public_key);
    s_refused(S_TWO(e1, e2), "reg.json: entry 2: no name");
    s_refused(S_TWO(e1, "\"just a string\""), "entry 2: not an object");
    s_refused("{\"keys\": [", "not valid JSON");
    s_refused("{\"key\": []}", "unknown key 'key'");
    s_refused("{\"keys\": {}}", "expected {\"keys\": [...]}");
    s_refused("42", "expected {\"keys\": [...]}");
    /* from a file: the path names it */
    zwt_write_file(zwt_tmp_path("bad.json"), "{\"keys\": [{\"name\": \"x\"}]}", 0644);
    assert_null(zw_auth_registry_load(zwt_tmp_path("bad.json"), &err));
    assert_non_null(strstr(err.message, "bad.json: entry 1 (\"x\"): no public_key"));
    snprintf(json, sizeof json, "{\"keys\": [%s]}", e1);
    zwt_write_file(zwt_tmp_path("good.json"), json, 0644);
    zw_auth_registry_t *loaded = zw_auth_registry_load(zwt_tmp_path("good.json"), &err);
    assert_non_null(loaded);
    assert_string_equal(zw_auth_registry_at(loaded, 0)->name, "ok");
    zw_auth_registry_destroy(&loaded);
    /* 12-digit regions are fine */
    snprintf(e2, sizeof e2,
             "{\"name\": \"b\", \"public_key\": \"%s\", \"role\": \"partner\", \"region\": "
             "\"511402000000\"}",
             b.public_key);
    zw_auth_registry_t *reg = s_reg(S_TWO(e1, e2), &err);
    assert_non_null(reg);
    zw_auth_registry_destroy(&reg);
    assert_null(zw_auth_registry_load(zwt_tmp_path("none.json"), &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
#undef S_TWO
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_valid),
        cmocka_unit_test(test_registry_errors),
    };
    return cmocka_run_group_tests_name("auth_registry", tests, zwt_tmp_setup, zwt_tmp_teardown);
}
