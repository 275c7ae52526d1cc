/* zw_access: who may do what (DESIGN.md "Security"), as data and as one
 * call a handler makes before it acts.
 *
 * Every request to a zwfw.* service carries the broker's zwfw.v1.Caller
 * (key name, role, region, department of the caller's registered key). A
 * handler checks it with
 *
 *   if (zw_access_require(req->caller, ZW_ROLE_MASK_APPROVER | ZW_ROLE_MASK_HEAD,
 *                         case_department, "act on workflow steps", &err) != 0)
 *       return zw_reply_err(reply, &err);
 *
 * or, for the actions of the roles table, with zw_access_check, which knows
 * the roles and the scope of each (its department, its region, its own
 * submissions, everything).
 *
 * No role is implicitly allowed everything: `system` (zwfw's own daemons)
 * passes only where a handler or the table names it. */
#ifndef ZW_ACCESS_H
#define ZW_ACCESS_H

#include "error.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdbool.h>

/* A set of roles: bit r set for zwfw.v1.Role value r. */
#define ZW_ROLE_MASK(role) (1u << (unsigned) (role))
#define ZW_ROLE_MASK_WINDOW ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_WINDOW)
#define ZW_ROLE_MASK_APPROVER ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_APPROVER)
#define ZW_ROLE_MASK_HEAD ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_HEAD)
#define ZW_ROLE_MASK_SUPERVISOR ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_SUPERVISOR)
#define ZW_ROLE_MASK_OPERATOR ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_OPERATOR)
#define ZW_ROLE_MASK_PARTNER ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_PARTNER)
#define ZW_ROLE_MASK_SYSTEM ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_SYSTEM)
#define ZW_ROLE_MASK_INTEGRATOR ZW_ROLE_MASK(ZWFW__V1__ROLE__ROLE_INTEGRATOR)

/* The role's zwfw.v1.Role value for its lower-case name ("window", ...,
 * "integrator"), or -1 for anything else (NULL, "", "ROLE_WINDOW"). */
int zw_access_role_from_name(const char *name);

/* The lower-case name of a role value; NULL for ROLE_UNSPECIFIED and values
 * outside the enum. Static string. */
const char *zw_access_role_name(int role);

/* How far a role reaches (DESIGN.md "Security"). */
typedef enum {
    ZW_SCOPE_NONE = 0,   /* not a role */
    ZW_SCOPE_ALL,        /* supervisor, operator, system: not bound to a case's owner */
    ZW_SCOPE_REGION,     /* window (its center), partner (its own region) */
    ZW_SCOPE_DEPARTMENT, /* approver, head */
    ZW_SCOPE_OWN,        /* integrator: what it submitted itself */
} zw_access_scope_t;

zw_access_scope_t zw_access_role_scope(int role);

/* Checks the caller against a set of roles and, for department-bound roles
 * (approver, head), against the department that owns the object:
 *
 * - caller NULL, without key_id, or of no known role: UNAUTHENTICATED
 *   "no authenticated caller" (detail "caller");
 * - role not in roles_mask: PERMISSION_DENIED "role window may not WHAT;
 *   needs approver or head" (detail "role");
 * - department not NULL, the caller's role department-bound, and the
 *   caller's department another one: PERMISSION_DENIED "department X may
 *   not act on department Y's case" (detail "department").
 *
 * Roles of other scopes are not checked against `department` (a supervisor
 * reads everything). `what` completes "may not ..." (e.g. "decide
 * applications"). Returns 0 when allowed. */
int zw_access_require(const Zwfw__V1__Caller *caller, unsigned roles_mask, const char *department,
                      const char *what, zw_err_t *err);

/* The actions of the roles table. */
typedef enum {
    ZW_ACT_SUBMIT = 0,     /* submit an application (window; integrator for its channel) */
    ZW_ACT_SUPPLEMENT,     /* supply 补正 materials for an applicant (window) */
    ZW_ACT_WITHDRAW,       /* withdraw an application for an applicant (window) */
    ZW_ACT_READ_CASE,      /* read an application or case */
    ZW_ACT_WORKFLOW_STEP,  /* act on a workflow step (approver, head) */
    ZW_ACT_EXTEND,         /* extend a legal limit (head) */
    ZW_ACT_FINAL_DECISION, /* decide an application (head) */
    ZW_ACT_REPORTS,        /* supervision reports (supervisor) */
    ZW_ACT_ALARMS,         /* alarms and warnings (supervisor) */
    ZW_ACT_CATALOG,        /* change the item catalog (operator) */
    ZW_ACT_CALENDAR,       /* change the working-day calendar (operator) */
    ZW_ACT_CLOCK,          /* move a simulated deployment's clock (operator) */
    ZW_ACT_KEYS,           /* manage keys (operator) */
    ZW_ACT_PARTNERS,       /* manage the partner registry (operator) */
    ZW_ACT_EXCHANGE,       /* cross-region exchange (partner, own region only) */
    ZW_ACT_SERVE,          /* register as a worker of a zwfw.* service (system) */
    ZW_ACT_COUNT
} zw_access_action_t;

/* Who may do an action, and the words for it. */
typedef struct {
    zw_access_action_t action;
    const char *name; /* short machine name, e.g. "final_decision" */
    const char *what; /* completes "may not ...", e.g. "make final decisions" */
    unsigned roles;   /* ZW_ROLE_MASK_* of the roles that may */
} zw_access_rule_t;

/* The table's row for action; NULL for a value out of range. Static. */
const zw_access_rule_t *zw_access_rule(zw_access_action_t action);

/* The owner of the object an action touches. Any field may be NULL or ""
 * when it does not apply (e.g. creating a catalog item has no owner). */
typedef struct {
    const char *region;     /* division code of the center that holds the case */
    const char *department; /* department that handles it */
    const char *submitter;  /* key_id of the key that submitted it */
} zw_access_target_t;

/* zw_access_require for a row of the table, then the scope of the caller's
 * role against target (NULL: no owner to check):
 * department-bound roles need target->department to be theirs, region-
 * bound roles (window, partner) target->region, an integrator needs to be
 * target->submitter. A target field that is NULL or "" is not checked.
 * Errors as zw_access_require; a region mismatch is "region X may not act
 * on region Y's case", a submitter mismatch "key K may only act on what it
 * submitted" (detail "region" / "submitter"). */
int zw_access_check(const Zwfw__V1__Caller *caller, zw_access_action_t action,
                    const zw_access_target_t *target, zw_err_t *err);

#endif
