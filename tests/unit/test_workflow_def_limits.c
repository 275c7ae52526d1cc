/* A new process definition's limits (zw_wf_def_check_limits): DOMAIN.md
 * says the promised limit is never longer than the statutory one, and
 * ValidateDefinition / PutDefinition / the definitions directory hold a
 * definition to it as StartProcess holds a request (INVALID_ARGUMENT,
 * detail "promised_limit"). The parser itself still loads such a text, so
 * definitions stored before the rule keep their instances running.
 * services/workflow is not in libzwfw, so its .c is compiled in here. */
#include "zwtest.h"

#include "../../services/workflow/definition.c"
#include "../../services/workflow/definition_check.c"

#include <stdio.h>
#include <string.h>

#define S_MPD 420 /* the default working day: 09:00-12:00, 13:30-17:30 */

/* A minimal valid definition with the given "limits" member ("" for none). */
static zw_wf_def_t *s_def(const char *limits)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"code\":\"t\",\"version\":1,\"initial\":\"a\",%s%s"
             "\"states\":[{\"name\":\"a\"},{\"name\":\"b\",\"terminal\":\"approved\"}],"
             "\"actions\":[{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"b\","
             "\"roles\":[\"approver\"]}]}",
             limits, *limits ? "," : "");
    zw_err_t err;
    zw_wf_def_t *d = zw_wf_def_parse(json, strlen(json), &err);
    if (!d)
        fail_msg("parse: %s (%s)", err.message, err.detail);
    return d;
}

#define S_LIMITS(p, pu, s, su)                                                                     \
    "\"limits\":{\"promised\":{\"amount\":" #p ",\"unit\":\"" pu "\"},"                            \
    "\"statutory\":{\"amount\":" #s ",\"unit\":\"" su "\"}}"

static void s_ok(const char *limits, int mpd)
{
    zw_wf_def_t *d = s_def(limits);
    zw_err_t err;
    zw_err_clear(&err);
    if (zw_wf_def_check_limits(d, mpd, &err) != 0)
        fail_msg("refused %s: %s", limits, err.message);
    zw_wf_def_destroy(&d);
}

static void s_refused(const char *limits, int mpd, const char *needle)
{
    zw_wf_def_t *d = s_def(limits); /* the parser alone accepts it */
    zw_err_t err;
    zw_err_clear(&err);
    if (zw_wf_def_check_limits(d, mpd, &err) == 0)
        fail_msg("accepted %s", limits);
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    assert_string_equal(err.detail, "promised_limit");
    if (!strstr(err.message, needle))
        fail_msg("message '%s' does not say '%s'", err.message, needle);
    zw_wf_def_destroy(&d);
}

static void test_same_unit(void **state)
{
    (void) state;
    s_ok(S_LIMITS(20, "workdays", 20, "workdays"), S_MPD);
    s_ok(S_LIMITS(10, "workdays", 45, "workdays"), S_MPD);
    s_refused(S_LIMITS(50, "workdays", 45, "workdays"), S_MPD, "50 working days");
    s_refused(S_LIMITS(21, "workdays", 20, "workdays"), S_MPD, "20 working days");
    s_ok(S_LIMITS(4, "hours", 8, "hours"), S_MPD);
    s_refused(S_LIMITS(9, "hours", 8, "hours"), S_MPD, "9 hours");
}

static void test_mixed_units(void **state)
{
    (void) state;
    /* days start the day after acceptance, hours at acceptance: 2 working
     * days may end after 14 working hours, not after 21 (420 min a day) */
    s_refused(S_LIMITS(2, "workdays", 14, "hours"), S_MPD, "2 working days");
    s_ok(S_LIMITS(2, "workdays", 21, "hours"), S_MPD);
    /* the daemon's working day counts: at 480 minutes a day, 2 working
     * days (with the acceptance day, 1440 min) outlast 21 hours (1260) */
    s_refused(S_LIMITS(2, "workdays", 21, "hours"), 480, "2 working days");
    s_ok(S_LIMITS(4, "hours", 1, "workdays"), S_MPD);
    s_refused(S_LIMITS(8, "hours", 1, "workdays"), S_MPD, "8 hours");
}

static void test_none_to_compare(void **state)
{
    (void) state;
    /* no limits, or only one of them: nothing to hold the promise to */
    s_ok("", S_MPD);
    s_ok("\"limits\":{\"promised\":{\"amount\":30,\"unit\":\"workdays\"}}", S_MPD);
    s_ok("\"limits\":{\"statutory\":{\"amount\":20,\"unit\":\"workdays\"}}", S_MPD);
}

static void test_shipped_definitions_pass(void **state)
{
    (void) state;
    const char *files[] = {"deploy/workflow/promised-default.json",
                           "deploy/workflow/parallel-engineering.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        zw_err_t err;
        zw_wf_def_t *d = zw_wf_def_load(zwt_src_path(files[i]), &err);
        if (!d)
            fail_msg("%s: %s", files[i], err.message);
        if (zw_wf_def_check_limits(d, S_MPD, &err) != 0)
            fail_msg("%s: %s", files[i], err.message);
        zw_wf_def_destroy(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_unit),
        cmocka_unit_test(test_mixed_units),
        cmocka_unit_test(test_none_to_compare),
        cmocka_unit_test(test_shipped_definitions_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
