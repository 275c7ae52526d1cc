/* zw_pii (common/pii.c): the data key file, sealing and opening,
 * the keyed hash. */
#include "zwtest.h"

#include "pii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char s_dir[64];

static const char *t_path(const char *name)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s/%s", s_dir, name);
    return buf;
}

static void t_write(const char *name, const char *text, mode_t mode)
{
    FILE *f = fopen(t_path(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(t_path(name), mode);
}

static void test_key_file(void **state)
{
    (void) state;
    zw_err_t err;
    snprintf(s_dir, sizeof s_dir, "/tmp/zwfw-pii-XXXXXX");
    assert_non_null(mkdtemp(s_dir));
    assert_int_equal(zw_pii_keygen(t_path("data.key"), &err), 0);
    struct stat st;
    assert_int_equal(stat(t_path("data.key"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(zw_pii_keygen(t_path("data.key"), &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    zw_pii_t *pii = zw_pii_load(t_path("data.key"), &err);
    assert_non_null(pii);
    zw_pii_destroy(&pii);
    assert_null(pii);

    assert_null(zw_pii_load(t_path("missing.key"), &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
    t_write("open.key", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n", 0644);
    assert_null(zw_pii_load(t_path("open.key"), &err));
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    t_write("short.key", "0011223344", 0600);
    assert_null(zw_pii_load(t_path("short.key"), &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    t_write("bad.key", "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 0600);
    assert_null(zw_pii_load(t_path("bad.key"), &err));
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_null(strstr(err.message, "zz1122"));
    const char *names[] = {"data.key", "open.key", "short.key", "bad.key"};
    for (size_t i = 0; i < 4; i++)
        unlink(t_path(names[i]));
    rmdir(s_dir);
}

static void test_seal_open_hash(void **state)
{
    (void) state;
    uint8_t k1[ZW_PII_KEY_BYTES], k2[ZW_PII_KEY_BYTES];
    memset(k1, 1, sizeof k1);
    memset(k2, 2, sizeof k2);
    zw_pii_t *a = zw_pii_new(k1), *b = zw_pii_new(k2);
    assert_non_null(a);
    assert_non_null(b);
    const char *id = "50015219900101123X";
    zw_err_t err;
    uint8_t *sealed = NULL, *again = NULL;
    size_t len = 0, len2 = 0;
    assert_int_equal(zw_pii_seal(a, "id", id, &sealed, &len, &err), 0);
    assert_int_equal(len, strlen(id) + ZW_PII_OVERHEAD);
    assert_null(memmem(sealed, len, id, strlen(id)));
    /* a fresh nonce each time: equal numbers do not look equal */
    assert_int_equal(zw_pii_seal(a, "id", id, &again, &len2, &err), 0);
    assert_true(len == len2 && memcmp(sealed, again, len) != 0);
    char *text = zw_pii_open(a, "id", sealed, len, &err);
    assert_non_null(text);
    assert_string_equal(text, id);
    free(text);
    /* wrong key, wrong label, tampering, truncation */
    assert_null(zw_pii_open(b, "id", sealed, len, &err));
    assert_int_equal(err.code, ZW_DATA_LOSS);
    assert_null(zw_pii_open(a, "phone", sealed, len, &err));
    sealed[len - 1] ^= 1;
    assert_null(zw_pii_open(a, "id", sealed, len, &err));
    assert_null(zw_pii_open(a, "id", sealed, 10, &err));
    free(sealed);
    free(again);

    uint8_t h1[ZW_PII_HASH_BYTES], h2[ZW_PII_HASH_BYTES], h3[ZW_PII_HASH_BYTES];
    zw_pii_hash(a, "id", id, h1);
    zw_pii_hash(a, "id", id, h2);
    assert_memory_equal(h1, h2, sizeof h1);
    zw_pii_hash(b, "id", id, h3);
    assert_memory_not_equal(h1, h3, sizeof h1);
    zw_pii_hash(a, "phone", id, h3);
    assert_memory_not_equal(h1, h3, sizeof h1);

    char hex[2 * ZW_PII_HASH_BYTES + 1];
    zw_pii_hex(h1, sizeof h1, hex);
    assert_int_equal(strlen(hex), 64);
    char pg[80];
    snprintf(pg, sizeof pg, "\\x%s", hex);
    size_t n = 0;
    uint8_t *back = zw_pii_unhex(pg, &n);
    assert_non_null(back);
    assert_int_equal(n, sizeof h1);
    assert_memory_equal(back, h1, n);
    free(back);
    assert_null(zw_pii_unhex("abc", &n));
    assert_null(zw_pii_unhex("zz", &n));
    zw_pii_destroy(&a);
    zw_pii_destroy(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_seal_open_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
