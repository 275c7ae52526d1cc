/* zw_access: role names, zw_access_require's answers and messages, and the
 * roles table of DESIGN.md "Security". */
#include "zwtest.h"

#include "access.h"

#include <string.h>

static Zwfw__V1__Caller s_caller(const char *key, Zwfw__V1__Role role, const char *region,
                                 const char *department)
{
    Zwfw__V1__Caller c = ZWFW__V1__CALLER__INIT;
    c.key_id = (char *) key;
    c.role = role;
    c.region = (char *) region;
    c.department = (char *) department;
    return c;
}

static void test_role_names(void **state)
{
    (void) state;
    const char *names[] = {"window",   "approver", "head",   "supervisor",
                           "operator", "partner",  "system", "integrator"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int role = zw_access_role_from_name(names[i]);
        assert_int_equal(role, (int) i + 1); /* the proto's numbering */
        assert_string_equal(zw_access_role_name(role), names[i]);
        assert_int_not_equal(zw_access_role_scope(role), ZW_SCOPE_NONE);
    }
    assert_int_equal(zw_access_role_from_name(NULL), -1);
    assert_int_equal(zw_access_role_from_name(""), -1);
    assert_int_equal(zw_access_role_from_name("Window"), -1);
    assert_int_equal(zw_access_role_from_name("ROLE_WINDOW"), -1);
    assert_null(zw_access_role_name(0));
    assert_null(zw_access_role_name(99));
    assert_int_equal(zw_access_role_scope(0), ZW_SCOPE_NONE);
    assert_int_equal(zw_access_role_scope(ZWFW__V1__ROLE__ROLE_APPROVER), ZW_SCOPE_DEPARTMENT);
    assert_int_equal(zw_access_role_scope(ZWFW__V1__ROLE__ROLE_WINDOW), ZW_SCOPE_REGION);
    assert_int_equal(zw_access_role_scope(ZWFW__V1__ROLE__ROLE_SUPERVISOR), ZW_SCOPE_ALL);
    assert_int_equal(zw_access_role_scope(ZWFW__V1__ROLE__ROLE_INTEGRATOR), ZW_SCOPE_OWN);
}

static void test_require_unauthenticated(void **state)
{
    (void) state;
    zw_err_t err;
    assert_int_equal(zw_access_require(NULL, ZW_ROLE_MASK_OPERATOR, NULL, "x", &err), -1);
    assert_int_equal(err.code, ZW_UNAUTHENTICATED);
    assert_string_equal(err.detail, "caller");
    Zwfw__V1__Caller nokey = s_caller("", ZWFW__V1__ROLE__ROLE_OPERATOR, "500152", "");
    assert_int_equal(zw_access_require(&nokey, ZW_ROLE_MASK_OPERATOR, NULL, "x", &err), -1);
    assert_int_equal(err.code, ZW_UNAUTHENTICATED);
    Zwfw__V1__Caller norole = s_caller("k", ZWFW__V1__ROLE__ROLE_UNSPECIFIED, "500152", "");
    assert_int_equal(zw_access_require(&norole, ~0u, NULL, "x", &err), -1);
    assert_int_equal(err.code, ZW_UNAUTHENTICATED);
    /* err may be NULL */
    assert_int_equal(zw_access_require(NULL, ~0u, NULL, "x", NULL), -1);
}

static void test_require_roles(void **state)
{
    (void) state;
    zw_err_t err;
    Zwfw__V1__Caller win = s_caller("win-7", ZWFW__V1__ROLE__ROLE_WINDOW, "500152", "D1");
    assert_int_equal(
        zw_access_require(&win, ZW_ROLE_MASK_OPERATOR, NULL, "change the catalog", &err), -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_string_equal(err.message, "role window may not change the catalog; needs operator");
    assert_string_equal(err.detail, "role");
    assert_int_equal(zw_access_require(&win, ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD, NULL,
                                       "act on workflow steps", &err),
                     -1);
    assert_string_equal(err.message,
                        "role window may not act on workflow steps; needs approver or head");
    assert_int_equal(
        zw_access_require(&win, ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD | ZW_ROLE_MASK_SUPERVISOR,
                          NULL, "read it", &err),
        -1);
    assert_string_equal(err.message, "role window may not read it; needs approver, head or "
                                     "supervisor");
    assert_int_equal(zw_access_require(&win, 0, NULL, "x", &err), -1);
    assert_string_equal(err.message, "role window may not x; needs a role no key has");
    assert_int_equal(zw_access_require(&win, ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_INTEGRATOR, NULL,
                                       "submit", &err),
                     0);
    /* system is not a super-role */
    Zwfw__V1__Caller sys = s_caller("intake", ZWFW__V1__ROLE__ROLE_SYSTEM, "500152", "");
    assert_int_equal(zw_access_require(&sys, ZW_ROLE_MASK_HEAD, NULL, "decide", &err), -1);
    assert_string_equal(err.message, "role system may not decide; needs head");
}

static void test_require_department(void **state)
{
    (void) state;
    zw_err_t err;
    Zwfw__V1__Caller head = s_caller("h", ZWFW__V1__ROLE__ROLE_HEAD, "500152", "DEPT-A");
    assert_int_equal(zw_access_require(&head, ZW_ROLE_MASK_HEAD, "DEPT-A", "decide", &err), 0);
    assert_int_equal(zw_access_require(&head, ZW_ROLE_MASK_HEAD, "DEPT-B", "decide", &err), -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_string_equal(err.message, "department DEPT-A may not act on department DEPT-B's case");
    assert_string_equal(err.detail, "department");
    assert_int_equal(zw_access_require(&head, ZW_ROLE_MASK_HEAD, NULL, "decide", &err), 0);
    Zwfw__V1__Caller nodept = s_caller("a", ZWFW__V1__ROLE__ROLE_APPROVER, "500152", "");
    assert_int_equal(zw_access_require(&nodept, ZW_ROLE_MASK_APPROVER, "DEPT-B", "act", &err), -1);
    assert_string_equal(err.message, "department (none) may not act on department DEPT-B's case");
    /* A supervisor is not bound to a department. */
    Zwfw__V1__Caller sup = s_caller("s", ZWFW__V1__ROLE__ROLE_SUPERVISOR, "500152", "DEPT-A");
    assert_int_equal(zw_access_require(&sup, ZW_ROLE_MASK_SUPERVISOR | ZW_ROLE_MASK_HEAD, "DEPT-B",
                                       "read cases", &err),
                     0);
    /* The role check comes first. */
    assert_int_equal(zw_access_require(&head, ZW_ROLE_MASK_OPERATOR, "DEPT-B", "x", &err), -1);
    assert_string_equal(err.detail, "role");
}

static void test_rules_table(void **state)
{
    (void) state;
    for (int a = 0; a < ZW_ACT_COUNT; a++) {
        const zw_access_rule_t *r = zw_access_rule((zw_access_action_t) a);
        assert_non_null(r);
        assert_int_equal(r->action, a);
        assert_true(r->name && *r->name && r->what && *r->what);
        assert_int_not_equal(r->roles, 0);
        /* only real roles */
        assert_int_equal(r->roles & ~0x1feu, 0);
    }
    assert_null(zw_access_rule(ZW_ACT_COUNT));
    assert_null(zw_access_rule((zw_access_action_t) -1));
    /* A few rows as DESIGN.md has them. */
    assert_int_equal(zw_access_rule(ZW_ACT_SERVE)->roles, ZW_ROLE_MASK_SYSTEM);
    assert_int_equal(zw_access_rule(ZW_ACT_FINAL_DECISION)->roles, ZW_ROLE_MASK_HEAD);
    assert_int_equal(zw_access_rule(ZW_ACT_WORKFLOW_STEP)->roles,
                     ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD);
    assert_int_equal(zw_access_rule(ZW_ACT_EXCHANGE)->roles, ZW_ROLE_MASK_PARTNER);
    assert_false(zw_access_rule(ZW_ACT_READ_CASE)->roles & ZW_ROLE_MASK_OPERATOR);
    assert_true(zw_access_rule(ZW_ACT_READ_CASE)->roles & ZW_ROLE_MASK_SUPERVISOR);
    /* supervisors change no case; operators decide none */
    for (int a = 0; a < ZW_ACT_COUNT; a++) {
        const zw_access_rule_t *r = zw_access_rule((zw_access_action_t) a);
        if (a == ZW_ACT_SUBMIT || a == ZW_ACT_SUPPLEMENT || a == ZW_ACT_WITHDRAW ||
            a == ZW_ACT_WORKFLOW_STEP || a == ZW_ACT_EXTEND || a == ZW_ACT_FINAL_DECISION) {
            assert_false(r->roles & ZW_ROLE_MASK_SUPERVISOR);
            assert_false(r->roles & ZW_ROLE_MASK_OPERATOR);
        }
    }
}

static void test_check_scopes(void **state)
{
    (void) state;
    zw_err_t err;
    Zwfw__V1__Caller win = s_caller("win", ZWFW__V1__ROLE__ROLE_WINDOW, "500152", "");
    Zwfw__V1__Caller head = s_caller("head", ZWFW__V1__ROLE__ROLE_HEAD, "500152", "DEPT-A");
    Zwfw__V1__Caller partner = s_caller("ms", ZWFW__V1__ROLE__ROLE_PARTNER, "511400", "");
    Zwfw__V1__Caller integ = s_caller("portal", ZWFW__V1__ROLE__ROLE_INTEGRATOR, "500152", "");
    Zwfw__V1__Caller sup = s_caller("sup", ZWFW__V1__ROLE__ROLE_SUPERVISOR, "500152", "");
    Zwfw__V1__Caller op = s_caller("op", ZWFW__V1__ROLE__ROLE_OPERATOR, "500152", "");
    zw_access_target_t ours = {"500152", "DEPT-A", "portal"};
    zw_access_target_t theirs = {"511402", "DEPT-B", "kiosk"};

    assert_int_equal(zw_access_check(&win, ZW_ACT_SUBMIT, NULL, &err), 0);
    assert_int_equal(zw_access_check(&win, ZW_ACT_READ_CASE, &ours, &err), 0);
    assert_int_equal(zw_access_check(&win, ZW_ACT_READ_CASE, &theirs, &err), -1);
    assert_string_equal(err.message, "region 500152 may not act on region 511402's case");
    assert_string_equal(err.detail, "region");
    assert_int_equal(zw_access_check(&win, ZW_ACT_FINAL_DECISION, &ours, &err), -1);
    assert_string_equal(err.message, "role window may not make final decisions; needs head");

    assert_int_equal(zw_access_check(&head, ZW_ACT_FINAL_DECISION, &ours, &err), 0);
    assert_int_equal(zw_access_check(&head, ZW_ACT_EXTEND, &ours, &err), 0);
    assert_int_equal(zw_access_check(&head, ZW_ACT_FINAL_DECISION, &theirs, &err), -1);
    assert_string_equal(err.message, "department DEPT-A may not act on department DEPT-B's case");

    zw_access_target_t meishan = {"511400", NULL, NULL};
    assert_int_equal(zw_access_check(&partner, ZW_ACT_EXCHANGE, &meishan, &err), 0);
    assert_int_equal(zw_access_check(&partner, ZW_ACT_EXCHANGE, &theirs, &err), -1);
    assert_int_equal(err.code, ZW_PERMISSION_DENIED);
    assert_int_equal(zw_access_check(&partner, ZW_ACT_READ_CASE, &meishan, &err), -1);

    assert_int_equal(zw_access_check(&integ, ZW_ACT_READ_CASE, &ours, &err), 0);
    assert_int_equal(zw_access_check(&integ, ZW_ACT_READ_CASE, &theirs, &err), -1);
    assert_string_equal(err.message, "key portal may only act on what it submitted");
    assert_string_equal(err.detail, "submitter");

    assert_int_equal(zw_access_check(&sup, ZW_ACT_READ_CASE, &theirs, &err), 0);
    assert_int_equal(zw_access_check(&sup, ZW_ACT_REPORTS, NULL, &err), 0);
    assert_int_equal(zw_access_check(&sup, ZW_ACT_WITHDRAW, &ours, &err), -1);
    assert_int_equal(zw_access_check(&op, ZW_ACT_CATALOG, NULL, &err), 0);
    assert_int_equal(zw_access_check(&op, ZW_ACT_KEYS, NULL, &err), 0);
    assert_int_equal(zw_access_check(&op, ZW_ACT_FINAL_DECISION, &ours, &err), -1);
    assert_int_equal(zw_access_check(NULL, ZW_ACT_READ_CASE, &ours, &err), -1);
    assert_int_equal(err.code, ZW_UNAUTHENTICATED);
    assert_int_equal(zw_access_check(&op, ZW_ACT_COUNT, NULL, &err), -1);
    assert_int_equal(err.code, ZW_INTERNAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_role_names),    cmocka_unit_test(test_require_unauthenticated),
        cmocka_unit_test(test_require_roles), cmocka_unit_test(test_require_department),
        cmocka_unit_test(test_rules_table),   cmocka_unit_test(test_check_scopes),
    };
    return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
