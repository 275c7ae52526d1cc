#include "conninfo.h"
#include "zwtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_mask(void **state)
{
    (void) state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"host=db user=zw password=secret dbname=zwfw", "host=db user=zw password=*** dbname=zwfw"},
        {"password=secret", "password=***"},
        {"  password=secret  ", "  password=***  "},
        {"host=db password = 'se cr\\'et' port=5432", "host=db password = *** port=5432"},
        {"passwordx=keep password=a\\ b host=h", "passwordx=keep password=*** host=h"},
        {"password='' host=h", "password=*** host=h"},
        {"host='my host' user=u", "host='my host' user=u"},
        {"host=db\tport=5432\n", "host=db\tport=5432\n"},
        {"host=db password='unterminated", "***"},
        {"host=db password", "***"},
        {"=x", "***"},
        {"postgresql://zw:secret@db.example:5432/zwfw?sslmode=require",
         "postgresql://zw:***@db.example:5432/zwfw?sslmode=require"},
        {"postgresql://zw:p@ss@db/zwfw", "postgresql://zw:***@db/zwfw"},
        {"postgres://zw@db/zwfw?password=secret&sslmode=require",
         "postgres://zw@db/zwfw?password=***&sslmode=require"},
        {"postgresql://db/zwfw?sslmode=require&password=x",
         "postgresql://db/zwfw?sslmode=require&password=***"},
        {"postgresql://db/zwfw", "postgresql://db/zwfw"},
        {"postgresql://", "postgresql://"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = zw_conninfo_mask(cases[i].in);
        assert_non_null(got);
        if (strcmp(got, cases[i].want) != 0)
            fprintf(stderr, "\"%s\": want \"%s\", got \"%s\"\n", cases[i].in, cases[i].want, got);
        assert_string_equal(got, cases[i].want);
        assert_null(strstr(got, "secret"));
        free(got);
    }
    assert_null(zw_conninfo_mask(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
