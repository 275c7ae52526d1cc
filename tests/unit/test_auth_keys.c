/* zw_auth_keys: Z85 and name checks, key file text (ours and czmq's
 * zcert layout), writing key files safely and reading them back, public
 * keys given as files or text. */
#include "zwtest.h"

#include "auth.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* A real pair, so that public matches secret. */
#define S_PUB "hVc}JHvR/A>W.NPNNRk.hlU!cXgb1tcL%p^.7d[N"
#define S_SEC "NgU<goa.7PmBQo/3*w$bP>gfrW#Udx2=a:ds#j8("

/* ------------------------------------------------------------ key text */

static void test_z85_and_names(void **state)
{
    (void) state;
    assert_true(zw_auth_z85_ok(S_PUB));
    assert_false(zw_auth_z85_ok(NULL));
    assert_false(zw_auth_z85_ok(""));
    assert_false(zw_auth_z85_ok("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hI"));   /* 39 */
    assert_false(zw_auth_z85_ok("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hIDx")); /* 41 */
    assert_false(zw_auth_z85_ok("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{h\"D")); /* '"' */
    assert_false(zw_auth_z85_ok("Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{h D"));  /* ' ' */
    assert_true(zw_auth_name_ok("intake"));
    assert_true(zw_auth_name_ok("window-07.hall_2"));
    assert_false(zw_auth_name_ok(""));
    assert_false(zw_auth_name_ok(NULL));
    assert_false(zw_auth_name_ok(".hidden"));
    assert_false(zw_auth_name_ok("-opt"));
    assert_false(zw_auth_name_ok("../up"));
    assert_false(zw_auth_name_ok("a b"));
    assert_false(zw_auth_name_ok("窗口"));
    char long_name[ZW_AUTH_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[ZW_AUTH_NAME_MAX + 1] = '\0';
    assert_false(zw_auth_name_ok(long_name));
    long_name[ZW_AUTH_NAME_MAX] = '\0';
    assert_true(zw_auth_name_ok(long_name));
}

static int s_parse(const char *text, bool secret, zw_auth_keys_t *k, zw_err_t *err)
{
    return zw_auth_keys_parse(text, strlen(text), "f", secret, k, err);
}

static void test_parse_key_text(void **state)
{
    (void) state;
    zw_auth_keys_t k;
    zw_err_t err;
    /* our format */
    assert_int_equal(s_parse("# comment\npublic-key = \"" S_PUB "\"\nsecret-key = \"" S_SEC "\"\n",
                             true, &k, &err),
                     0);
    assert_string_equal(k.public_key, S_PUB);
    assert_string_equal(k.secret_key, S_SEC);
    /* unquoted, CRLF, blanks around, no final newline */
    assert_int_equal(s_parse("  public-key=" S_PUB "\r\n\tsecret-key =  " S_SEC, true, &k, &err),
                     0);
    assert_string_equal(k.secret_key, S_SEC);
    /* czmq's zcert layout, with metadata */
    assert_int_equal(s_parse("#   ZeroMQ CURVE **Secret** Certificate\n\nmetadata\n"
                             "    name = \"x\"\ncurve\n    public-key = \"" S_PUB "\"\n"
                             "    secret-key = \"" S_SEC "\"\n",
                             true, &k, &err),
                     0);
    assert_string_equal(k.public_key, S_PUB);
    /* the secret alone gives the public key */
    assert_int_equal(s_parse("secret-key = \"" S_SEC "\"\n", true, &k, &err), 0);
    assert_string_equal(k.public_key, S_PUB);
    /* a public file: no secret kept even if there is one */
    assert_int_equal(s_parse("public-key = \"" S_PUB "\"\n", false, &k, &err), 0);
    assert_string_equal(k.public_key, S_PUB);
    assert_string_equal(k.secret_key, "");
    assert_int_equal(
        s_parse("public-key = \"" S_PUB "\"\nsecret-key = \"" S_SEC "\"\n", false, &k, &err), 0);
    assert_string_equal(k.secret_key, "");

    /* errors, each saying what and where */
    assert_int_equal(s_parse("public-key = \"" S_PUB "\"\n", true, &k, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no secret-key line"));
    assert_string_equal(k.public_key, ""); /* nothing half-filled */
    assert_int_equal(s_parse("secret-key = \"" S_SEC "\"\n", false, &k, &err), -1);
    assert_non_null(strstr(err.message, "no public-key line"));
    assert_int_equal(s_parse("# x\npublic-key = \"tooshort\"\n", false, &k, &err), -1);
    assert_string_equal(err.message, "f line 2: public-key is not a 40-character Z85 key");
    assert_string_equal(err.detail, "public-key");
    assert_int_equal(
        s_parse("public-key = \"" S_PUB "\"\npublic-key = \"" S_PUB "\"\n", false, &k, &err), -1);
    assert_string_equal(err.message, "f line 2: public-key given twice");
    /* a public key that is not the secret's */
    assert_int_equal(
        s_parse("public-key = \"" S_SEC "\"\nsecret-key = \"" S_SEC "\"\n", true, &k, &err), -1);
    assert_non_null(strstr(err.message, "is not the public key of secret-key"));
    assert_int_equal(s_parse("", false, &k, &err), -1);
    assert_int_equal(zw_auth_keys_parse(NULL, 0, NULL, false, &k, &err), -1);
}

/* ------------------------------------------------------------ key files */

static void test_save_and_load(void **state)
{
    (void) state;
    zw_auth_keys_t k, got;
    zw_err_t err;
    assert_int_equal(zw_auth_keys_generate(&k, &err), 0);
    assert_true(zw_auth_z85_ok(k.public_key) && zw_auth_z85_ok(k.secret_key));
    const char *dir = zwt_tmp_path("keys"); /* made by save */
    assert_int_equal(zw_auth_keys_save(&k, dir, "alpha", false, &err), 0);
    char sec[300], pub[300];
    snprintf(sec, sizeof sec, "%s/alpha.secret", dir);
    snprintf(pub, sizeof pub, "%s/alpha.key", dir);
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(sec, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(pub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(zw_auth_keys_load(sec, true, &got, &err), 0);
    assert_string_equal(got.public_key, k.public_key);
    assert_string_equal(got.secret_key, k.secret_key);
    assert_int_equal(zw_auth_keys_load(pub, false, &got, &err), 0);
    assert_string_equal(got.public_key, k.public_key);
    /* the public file is no secret file */
    assert_int_equal(zw_auth_keys_load(pub, true, &got, &err), -1);
    assert_non_null(strstr(err.message, "is this the public .key file?"));

    /* never over an existing file without force; nothing changes */
    zw_auth_keys_t other;
    assert_int_equal(zw_auth_keys_generate(&other, &err), 0);
    assert_int_equal(zw_auth_keys_save(&other, dir, "alpha", false, &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_int_equal(zw_auth_keys_load(sec, true, &got, &err), 0);
    assert_string_equal(got.secret_key, k.secret_key);
    /* either file existing is enough to refuse */
    assert_int_equal(unlink(sec), 0);
    assert_int_equal(zw_auth_keys_save(&other, dir, "alpha", false, &err), -1);
    assert_int_equal(err.code, ZW_ALREADY_EXISTS);
    assert_int_equal(access(sec, F_OK), -1);
    /* force replaces both */
    assert_int_equal(zw_auth_keys_save(&other, dir, "alpha", true, &err), 0);
    assert_int_equal(zw_auth_keys_load(sec, true, &got, &err), 0);
    assert_string_equal(got.secret_key, other.secret_key);
    assert_int_equal(zw_auth_keys_load(pub, false, &got, &err), 0);
    assert_string_equal(got.public_key, other.public_key);
    assert_int_equal(stat(sec, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    /* a secret file others may read is refused */
    assert_int_equal(chmod(sec, 0640), 0);
    assert_int_equal(zw_auth_keys_load(sec, true, &got, &err), -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_non_null(strstr(err.message, "chmod 600"));
    assert_string_equal(got.secret_key, "");
    /* ...but may still serve as a public key file */
    assert_int_equal(zw_auth_keys_load(sec, false, &got, &err), 0);

    /* bad names and pairs, missing files */
    assert_int_equal(zw_auth_keys_save(&k, dir, "../evil", false, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    zw_auth_keys_t half = k;
    half.secret_key[0] = '\0';
    assert_int_equal(zw_auth_keys_save(&half, dir, "half", false, &err), -1);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_int_equal(zw_auth_keys_load(zwt_tmp_path("nope.secret"), true, &got, &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_int_equal(zw_auth_keys_load("", true, &got, &err), -1);
    assert_int_equal(zw_auth_keys_save(&k, "/nonexistent/a/b", "x", false, &err), -1);
    assert_int_equal(err.code, ZW_UNAVAILABLE);
    /* no temporary files left behind */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q zwfw-key", dir);
    assert_int_not_equal(system(cmd), 0);
}

static void test_public_key_and_client(void **state)
{
    (void) state;
    char out[ZW_AUTH_Z85_LEN + 1];
    zw_err_t err;
    assert_int_equal(zw_auth_public_key_load(S_PUB, out, &err), 0);
    assert_string_equal(out, S_PUB);
    zwt_write_file(zwt_tmp_path("srv.key"), "public-key = \"" S_PUB "\"\n", 0644);
    assert_int_equal(zw_auth_public_key_load(zwt_tmp_path("srv.key"), out, &err), 0);
    assert_string_equal(out, S_PUB);
    assert_int_equal(zw_auth_public_key_load("no-such-file-nor-key", out, &err), -1);
    assert_int_equal(err.code, ZW_NOT_FOUND);
    assert_int_equal(zw_auth_public_key_load("", out, &err), -1);

    zwt_write_file(zwt_tmp_path("me.secret"),
                   "public-key = \"" S_PUB "\"\nsecret-key = \"" S_SEC "\"\n", 0600);
    zw_auth_client_t c;
    assert_int_equal(zw_auth_client_load(&c, zwt_tmp_path("me.secret"), S_PUB, &err), 0);
    assert_string_equal(c.keys.secret_key, S_SEC);
    assert_string_equal(c.server_key, S_PUB);
    assert_int_equal(zw_auth_client_load(&c, zwt_tmp_path("me.secret"), "bad", &err), -1);
    assert_string_equal(c.keys.secret_key, ""); /* wiped on failure */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_z85_and_names),
        cmocka_unit_test(test_parse_key_text),
        cmocka_unit_test(test_save_and_load),
        cmocka_unit_test(test_public_key_and_client),
    };
    return cmocka_run_group_tests_name("auth_keys", tests, zwt_tmp_setup, zwt_tmp_teardown);
}
