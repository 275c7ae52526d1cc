/* Process definitions: the shipped ones load; every rejection reason is
 * refused with its own detail and a message naming the culprit.
 * services/workflow is not in libzwfw, so its .c is compiled in here. */
#include "zwtest.h"

#include "../../services/workflow/definition.c"
#include "../../services/workflow/definition_check.c"

#include <stdio.h>
#include <string.h>

static zw_wf_def_t *s_parse(const char *json, zw_err_t *err)
{
    return zw_wf_def_parse(json, strlen(json), err);
}

/* Parses json expecting a refusal with `detail`, and `needle` in the
 * message. */
static void s_refused(const char *json, const char *detail, const char *needle)
{
    zw_err_t err;
    zw_err_clear(&err);
    zw_wf_def_t *d = s_parse(json, &err);
    if (d) {
        zw_wf_def_destroy(&d);
        fail_msg("accepted, expected refusal (%s): %s", detail, json);
    }
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    if (strcmp(err.detail, detail) != 0)
        fail_msg("detail '%s' (message '%s'), expected '%s'", err.detail, err.message, detail);
    if (needle && !strstr(err.message, needle))
        fail_msg("message '%s' does not name '%s'", err.message, needle);
}

#define S_HEAD "{\"code\":\"t\",\"version\":1,\"initial\":\"a\","
#define S_AB_STATES "\"states\":[{\"name\":\"a\"},{\"name\":\"b\",\"terminal\":\"approved\"}"
#define S_GO "{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"b\",\"roles\":[\"approver\"]}"

static void test_minimal_and_shipped_definitions_load(void **state)
{
    (void) state;
    zw_err_t err;
    zw_wf_def_t *d = s_parse(S_HEAD S_AB_STATES "],\"actions\":[" S_GO "]}", &err);
    if (!d)
        fail_msg("%s", err.message);
    assert_string_equal(d->code, "t");
    assert_int_equal(d->version, 1);
    assert_int_equal(d->main.nstates, 2);
    const zw_wf_action_t *go = zw_wf_flow_action(&d->main, "go");
    assert_non_null(go);
    assert_true(zw_wf_action_from(go, zw_wf_flow_state(&d->main, "a")));
    assert_false(zw_wf_action_from(go, zw_wf_flow_state(&d->main, "b")));
    assert_null(zw_wf_def_fork(d));
    zw_wf_def_destroy(&d);
    assert_null(d);

    d = zw_wf_def_load(zwt_src_path("deploy/workflow/promised-default.json"), &err);
    if (!d)
        fail_msg("promised-default: %s", err.message);
    assert_true(d->is_default);
    assert_int_equal(d->extension.amount, 10);
    assert_int_equal(d->extension_times, 1);
    const zw_wf_state_t *sup = zw_wf_flow_state(&d->main, "supplement");
    assert_int_equal(sup->pause, ZW_WF_PAUSE_SUPPLEMENT);
    assert_int_equal(zw_wf_flow_state(&d->main, "special")->pause, ZW_WF_PAUSE_SPECIAL);
    const zw_wf_action_t *ext = zw_wf_flow_action(&d->main, "extend");
    assert_int_equal(ext->kind, ZW_WF_ACT_EXTEND);
    assert_int_equal(ext->roles, ZW_ROLE_MASK_HEAD);
    assert_int_equal(zw_wf_flow_action(&d->main, "withdraw")->trigger, ZW_WF_TRIG_WITHDRAWAL);
    assert_true(zw_wf_flow_action(&d->main, "supplied")->to_return);
    zw_wf_def_destroy(&d);

    d = zw_wf_def_load(zwt_src_path("deploy/workflow/parallel-engineering.json"), &err);
    if (!d)
        fail_msg("parallel-engineering: %s", err.message);
    const zw_wf_state_t *fork = zw_wf_def_fork(d);
    assert_non_null(fork);
    assert_int_equal(fork->fork->nbranches, 3);
    assert_string_equal(fork->fork->join, "decision");
    assert_string_equal(fork->fork->on_reject, "rejected");
    assert_ptr_equal(zw_wf_def_flow(d, 2), &fork->fork->flow);
    assert_int_equal(d->nitems, 1);
    zw_wf_def_destroy(&d);

    assert_null(zw_wf_def_load("/nonexistent/def.json", &err));
    assert_int_equal(err.code, ZW_NOT_FOUND);
    zw_wf_def_destroy(&d); /* NULL is fine */
}

static void test_unreachable_state(void **state)
{
    (void) state;
    s_refused(S_HEAD S_AB_STATES ",{\"name\":\"c\"}],\"actions\":[" S_GO
                                 ",{\"name\":\"c2b\",\"from\":[\"c\"],\"to\":\"b\","
                                 "\"roles\":[\"head\"]}]}",
              "unreachable", "\"c\"");
}

static void test_state_without_way_out(void **state)
{
    (void) state;
    s_refused(S_HEAD S_AB_STATES ",{\"name\":\"stuck\"}],\"actions\":[" S_GO
                                 ",{\"name\":\"a2s\",\"from\":[\"a\"],\"to\":\"stuck\","
                                 "\"roles\":[\"head\"]}]}",
              "no_way_out", "stuck");
    /* a loop back to itself is no way out either */
    s_refused(S_HEAD S_AB_STATES ",{\"name\":\"stuck\"}],\"actions\":[" S_GO
                                 ",{\"name\":\"a2s\",\"from\":[\"a\"],\"to\":\"stuck\","
                                 "\"roles\":[\"head\"]},{\"name\":\"s2s\",\"from\":[\"stuck\"],"
                                 "\"to\":\"stuck\",\"roles\":[\"head\"]}]}",
              "no_way_out", "stuck");
}

static void test_no_terminal_state(void **state)
{
    (void) state;
    s_refused(S_HEAD "\"states\":[{\"name\":\"a\"},{\"name\":\"b\"}],\"actions\":[" S_GO
                     ",{\"name\":\"back\",\"from\":[\"b\"],\"to\":\"a\",\"roles\":[\"head\"]}]}",
              "no_terminal", NULL);
}

static void test_unknown_role(void **state)
{
    (void) state;
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"b\","
                                 "\"roles\":[\"approver\",\"emperor\"]}]}",
              "unknown_role", "emperor");
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"b\","
                                 "\"roles\":[]}]}",
              "json", "roles");
}

static void test_action_to_unknown_state(void **state)
{
    (void) state;
    s_refused(S_HEAD S_AB_STATES
              "],\"actions\":[{\"name\":\"go\",\"from\":[\"a\"],\"to\":\"nowhere\","
              "\"roles\":[\"head\"]}]}",
              "unknown_state", "nowhere");
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[" S_GO
                                 ",{\"name\":\"x\",\"from\":[\"ghost\"],\"to\":\"b\","
                                 "\"roles\":[\"head\"]}]}",
              "unknown_state", "ghost");
}

#define S_FORK_FLOW                                                                                \
    "\"flow\":{\"initial\":\"r\",\"states\":[{\"name\":\"r\"},{\"name\":\"ok\",\"terminal\":"      \
    "\"approved\"}],\"actions\":[{\"name\":\"yes\",\"from\":[\"r\"],\"to\":\"ok\",\"roles\":"      \
    "[\"approver\"]}]}"

static void test_join_without_branches(void **state)
{
    (void) state;
    const char *head = "{\"code\":\"t\",\"version\":1,\"initial\":\"f\",\"states\":[";
    const char *tail = "{\"name\":\"b\",\"terminal\":\"approved\"}],\"actions\":[]}";
    char json[2048];
    snprintf(json, sizeof json,
             "%s{\"name\":\"f\",\"fork\":{\"branches\":[],\"join\":\"b\"," S_FORK_FLOW "}},%s",
             head, tail);
    s_refused(json, "join", "without branches");
    /* a fork that never joins */
    snprintf(json, sizeof json,
             "%s{\"name\":\"f\",\"fork\":{\"branches\":[{\"name\":\"x\",\"department\":\"D\"}]"
             "," S_FORK_FLOW "}},%s",
             head, tail);
    s_refused(json, "join", "join");
    /* joining to a state that does not exist */
    snprintf(json, sizeof json,
             "%s{\"name\":\"f\",\"fork\":{\"branches\":[{\"name\":\"x\",\"department\":\"D\"}],"
             "\"join\":\"nope\"," S_FORK_FLOW "}},%s",
             head, tail);
    s_refused(json, "join", "nope");
    /* the same with branches and a join is fine */
    snprintf(json, sizeof json,
             "%s{\"name\":\"f\",\"fork\":{\"branches\":[{\"name\":\"x\",\"department\":\"D\"}],"
             "\"join\":\"b\"," S_FORK_FLOW "}},%s",
             head, tail);
    zw_err_t err;
    zw_wf_def_t *d = s_parse(json, &err);
    if (!d)
        fail_msg("%s", err.message);
    zw_wf_def_destroy(&d);
    /* a fork inside a branch flow */
    snprintf(json, sizeof json,
             "%s{\"name\":\"f\",\"fork\":{\"branches\":[{\"name\":\"x\",\"department\":\"D\"}],"
             "\"join\":\"b\",\"flow\":{\"initial\":\"r\",\"states\":[{\"name\":\"r\",\"fork\":{}},"
             "{\"name\":\"ok\",\"terminal\":\"approved\"}],\"actions\":[]}}},%s",
             head, tail);
    s_refused(json, "join", "branch flow");
}

static void test_other_refusals(void **state)
{
    (void) state;
    s_refused("{nope", "json", NULL);
    s_refused("[1,2]", "json", NULL);
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[" S_GO "],\"stats\":1}", "json", "stats");
    s_refused("{\"version\":1,\"initial\":\"a\"," S_AB_STATES "],\"actions\":[" S_GO "]}", "code",
              NULL);
    s_refused("{\"code\":\"t\",\"version\":0,\"initial\":\"a\"," S_AB_STATES "],\"actions\":[" S_GO
              "]}",
              "version", NULL);
    s_refused("{\"code\":\"t\",\"version\":1,\"initial\":\"zz\"," S_AB_STATES "],\"actions\":[" S_GO
              "]}",
              "initial", "zz");
    s_refused(S_HEAD S_AB_STATES ",{\"name\":\"a\"}],\"actions\":[" S_GO "]}", "duplicate",
              "\"a\"");
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[" S_GO "," S_GO "]}", "duplicate", "go");
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[" S_GO
                                 ",{\"name\":\"undo\",\"from\":[\"b\"],\"to\":\"a\","
                                 "\"roles\":[\"head\"]}]}",
              "terminal_action", "undo");
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[" S_GO
                                 ",{\"name\":\"back\",\"from\":[\"a\"],\"to\":\"@return\","
                                 "\"roles\":[\"head\"]}]}",
              "return", "back");
    s_refused(S_HEAD S_AB_STATES "],\"extension\":{\"amount\":10,\"unit\":\"workdays\"},"
                                 "\"actions\":[" S_GO
                                 ",{\"name\":\"ext\",\"kind\":\"extend\",\"from\":\"*\","
                                 "\"roles\":[\"approver\"]}]}",
              "extend", "head");
    s_refused(S_HEAD S_AB_STATES "],\"actions\":[" S_GO
                                 ",{\"name\":\"ext\",\"kind\":\"extend\",\"from\":\"*\","
                                 "\"roles\":[\"head\"]}]}",
              "extend", "extension");
    s_refused(S_HEAD "\"states\":[{\"name\":\"a\",\"limit\":{\"amount\":2,\"unit\":\"weeks\"}},"
                     "{\"name\":\"b\",\"terminal\":\"approved\"}],\"actions\":[" S_GO "]}",
              "value", "unit");
    s_refused(S_HEAD "\"states\":[{\"name\":\"a\"},{\"name\":\"b\",\"terminal\":\"great\"}],"
                     "\"actions\":[" S_GO "]}",
              "value", "terminal");
    s_refused(S_HEAD "\"states\":[{\"name\":\"a\",\"pause\":\"lunch\"},"
                     "{\"name\":\"b\",\"terminal\":\"approved\"}],\"actions\":[" S_GO "]}",
              "value", "pause");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_and_shipped_definitions_load),
        cmocka_unit_test(test_unreachable_state),
        cmocka_unit_test(test_state_without_way_out),
        cmocka_unit_test(test_no_terminal_state),
        cmocka_unit_test(test_unknown_role),
        cmocka_unit_test(test_action_to_unknown_state),
        cmocka_unit_test(test_join_without_branches),
        cmocka_unit_test(test_other_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
