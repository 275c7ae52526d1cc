#include "access.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    Zwfw__V1__Role role;
    zw_access_scope_t scope;
} s_roles[] = {
    {"window", ZWFW__V1__ROLE__ROLE_WINDOW, ZW_SCOPE_REGION},
    {"approver", ZWFW__V1__ROLE__ROLE_APPROVER, ZW_SCOPE_DEPARTMENT},
    {"head", ZWFW__V1__ROLE__ROLE_HEAD, ZW_SCOPE_DEPARTMENT},
    {"supervisor", ZWFW__V1__ROLE__ROLE_SUPERVISOR, ZW_SCOPE_ALL},
    {"operator", ZWFW__V1__ROLE__ROLE_OPERATOR, ZW_SCOPE_ALL},
    {"partner", ZWFW__V1__ROLE__ROLE_PARTNER, ZW_SCOPE_REGION},
    {"system", ZWFW__V1__ROLE__ROLE_SYSTEM, ZW_SCOPE_ALL},
    {"integrator", ZWFW__V1__ROLE__ROLE_INTEGRATOR, ZW_SCOPE_OWN},
};
#define S_NROLES (sizeof s_roles / sizeof s_roles[0])

/* DESIGN.md "Security", row by row. Indexed by zw_access_action_t. */
static const zw_access_rule_t s_rules[ZW_ACT_COUNT] = {
    /* system: zwfw-xregion submits a partner's exchange to this intake */
    {ZW_ACT_SUBMIT, "submit", "submit applications",
     ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_INTEGRATOR | ZW_ROLE_MASK_SYSTEM},
    /* system: zwfw-xregion carries a partner window's supplement or
     * withdrawal to the application it submitted here */
    {ZW_ACT_SUPPLEMENT, "supplement", "supplement applications",
     ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_SYSTEM},
    {ZW_ACT_WITHDRAW, "withdraw", "withdraw applications",
     ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_SYSTEM},
    {ZW_ACT_READ_CASE, "read_case", "read cases",
     ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD | ZW_ROLE_MASK_SUPERVISOR |
         ZW_ROLE_MASK_INTEGRATOR},
    {ZW_ACT_WORKFLOW_STEP, "workflow_step", "act on workflow steps",
     ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD},
    {ZW_ACT_EXTEND, "extend", "extend time limits", ZW_ROLE_MASK_HEAD},
    {ZW_ACT_FINAL_DECISION, "final_decision", "make final decisions", ZW_ROLE_MASK_HEAD},
    {ZW_ACT_REPORTS, "reports", "read reports", ZW_ROLE_MASK_SUPERVISOR},
    {ZW_ACT_ALARMS, "alarms", "read alarms", ZW_ROLE_MASK_SUPERVISOR},
    {ZW_ACT_CATALOG, "catalog", "change the catalog", ZW_ROLE_MASK_OPERATOR},
    {ZW_ACT_CALENDAR, "calendar", "change the calendar", ZW_ROLE_MASK_OPERATOR},
    {ZW_ACT_CLOCK, "clock", "move the clock", ZW_ROLE_MASK_OPERATOR},
    {ZW_ACT_KEYS, "keys", "manage keys", ZW_ROLE_MASK_OPERATOR},
    {ZW_ACT_PARTNERS, "partners", "manage partners", ZW_ROLE_MASK_OPERATOR},
    {ZW_ACT_EXCHANGE, "exchange", "use the cross-region exchange", ZW_ROLE_MASK_PARTNER},
    {ZW_ACT_SERVE, "serve", "serve zwfw.* services", ZW_ROLE_MASK_SYSTEM},
};

int zw_access_role_from_name(const char *name)
{
    for (size_t i = 0; name && i < S_NROLES; i++)
        if (strcmp(name, s_roles[i].name) == 0)
            return (int) s_roles[i].role;
    return -1;
}

const char *zw_access_role_name(int role)
{
    for (size_t i = 0; i < S_NROLES; i++)
        if ((int) s_roles[i].role == role)
            return s_roles[i].name;
    return NULL;
}

zw_access_scope_t zw_access_role_scope(int role)
{
    for (size_t i = 0; i < S_NROLES; i++)
        if ((int) s_roles[i].role == role)
            return s_roles[i].scope;
    return ZW_SCOPE_NONE;
}

const zw_access_rule_t *zw_access_rule(zw_access_action_t action)
{
    if ((int) action < 0 || action >= ZW_ACT_COUNT)
        return NULL;
    return &s_rules[action];
}

/* "approver or head" */
static void s_mask_names(unsigned mask, char *out, size_t outsz)
{
    size_t used = 0;
    unsigned left = 0;
    for (size_t i = 0; i < S_NROLES; i++)
        if (mask & ZW_ROLE_MASK(s_roles[i].role))
            left++;
    out[0] = '\0';
    if (left == 0) {
        snprintf(out, outsz, "a role no key has");
        return;
    }
    for (size_t i = 0; i < S_NROLES && used < outsz; i++) {
        if (!(mask & ZW_ROLE_MASK(s_roles[i].role)))
            continue;
        left--;
        const char *sep = used == 0 ? "" : left == 0 ? " or " : ", ";
        used += (size_t) snprintf(out + used, outsz - used, "%s%s", sep, s_roles[i].name);
    }
}

static bool s_set(const char *s)
{
    return s && *s;
}

static const char *s_or_none(const char *s)
{
    return s_set(s) ? s : "(none)";
}

int zw_access_require(const Zwfw__V1__Caller *caller, unsigned roles_mask, const char *department,
                      const char *what, zw_err_t *err)
{
    const char *role = caller ? zw_access_role_name((int) caller->role) : NULL;
    if (!caller || !s_set(caller->key_id) || !role)
        return zw_err_setd(err, ZW_UNAUTHENTICATED, "caller", "no authenticated caller");
    if (!what || !*what)
        what = "do this";
    if (!(roles_mask & ZW_ROLE_MASK(caller->role))) {
        char needs[128];
        s_mask_names(roles_mask, needs, sizeof needs);
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "role", "role %s may not %s; needs %s", role,
                           what, needs);
    }
    if (department && zw_access_role_scope((int) caller->role) == ZW_SCOPE_DEPARTMENT &&
        strcmp(caller->department ? caller->department : "", department) != 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "department",
                           "department %s may not act on department %s's case",
                           s_or_none(caller->department), s_or_none(department));
    return 0;
}

int zw_access_check(const Zwfw__V1__Caller *caller, zw_access_action_t action,
                    const zw_access_target_t *target, zw_err_t *err)
{
    const zw_access_rule_t *rule = zw_access_rule(action);
    if (!rule)
        return zw_err_setd(err, ZW_INTERNAL, "action", "unknown action %d", (int) action);
    const char *department = target && s_set(target->department) ? target->department : NULL;
    if (zw_access_require(caller, rule->roles, department, rule->what, err) != 0)
        return -1;
    if (!target)
        return 0;
    switch (zw_access_role_scope((int) caller->role)) {
    case ZW_SCOPE_REGION:
        if (s_set(target->region) &&
            strcmp(caller->region ? caller->region : "", target->region) != 0)
            return zw_err_setd(err, ZW_PERMISSION_DENIED, "region",
                               "region %s may not act on region %s's case",
                               s_or_none(caller->region), target->region);
        break;
    case ZW_SCOPE_OWN:
        if (s_set(target->submitter) && strcmp(caller->key_id, target->submitter) != 0)
            return zw_err_setd(err, ZW_PERMISSION_DENIED, "submitter",
                               "key %s may only act on what it submitted", caller->key_id);
        break;
    default:
        break;
    }
    return 0;
}
