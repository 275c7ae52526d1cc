/* zw_wf_def: process definitions (JSON), parsed and validated. Pure
 * functions: no I/O besides reading the text handed in.
 *
 * A definition is versioned data an operator loads (the files in deploy/workflow,
 * or PutDefinition); an instance stays on the (code, version) it started
 * with. Format (docs/protocol.md, "Process definitions", is the reference):
 *
 *   {"code": "promised-default", "version": 1, "name": "承诺件审批",
 *    "default": true,                      // for 承诺件 without their own
 *    "items": ["<impl code>", ...],        // items that use this definition
 *    "limits": {"promised": {"amount": 20, "unit": "workdays"},
 *               "statutory": {"amount": 20, "unit": "workdays"}},  // fallback
 *    "extension": {"amount": 10, "unit": "workdays", "times": 1},
 *    "initial": "accepted",
 *    "states": [
 *      {"name": "review", "label": "审查", "application_state": "processing",
 *       "limit": {"amount": 10, "unit": "workdays"}},       // abnormal after
 *      {"name": "supplement", "pause": "supplement"},       // 补正 pauses
 *      {"name": "approved", "terminal": "approved"},
 *      {"name": "parallel", "fork": {                        // 并联审批
 *         "branches": [{"name": "planning", "label": "规划",
 *                       "department": "11500152MB17025308"}],
 *         "limit": {"amount": 10, "unit": "workdays"},     // each branch's clock
 *         "join": "decision",                               // when all are done
 *         "on_reject": "rejected",                          // optional: at once
 *         "flow": {"initial": "review", "states": [...], "actions": [...]}}}],
 *    "actions": [
 *      {"name": "approve", "label": "准予许可", "from": ["decision"],
 *       "to": "approved", "roles": ["head"], "reason": false,
 *       "department": "own"},                  // or "any"
 *      {"name": "supplied", "from": ["supplement"], "to": "@return",
 *       "roles": ["window"], "trigger": "materials_supplied"},
 *      {"name": "extend", "kind": "extend", "from": "*", "roles": ["head"],
 *       "reason": true},
 *      {"name": "withdraw", "from": "*", "to": "withdrawn", "roles": ["window"],
 *       "trigger": "withdrawal"}]}
 *
 * Validation refuses, each with its own detail (zw_err_t.detail):
 *   "json"            not JSON, not an object, a value of the wrong type, an
 *                     unknown key (typos), a missing required key
 *   "code", "version" bad or missing identity
 *   "duplicate"       a state, action or branch named twice
 *   "initial"         the initial state is not a state
 *   "unknown_state"   an action from or to a state that does not exist
 *   "unknown_role"    a role that is not one of zwfw's roles
 *   "no_terminal"     a flow without a terminal state
 *   "unreachable"     a state no path from the initial state reaches
 *   "no_way_out"      a non-terminal state with no action, join or return out
 *   "terminal_action" an action leaving a terminal state
 *   "join"            a fork without branches, without a join, or joining
 *                     to an unknown state; a fork inside a branch flow
 *   "return"          "@return" from a state that does not pause
 *   "extend"          an extend action for roles other than head, or
 *                     without an "extension"
 *   "value"           a bad enum value (outcome, pause, unit...) or limit
 * and zw_wf_def_check_limits, for new definitions:
 *   "promised_limit"  limits.promised longer than limits.statutory
 *
 * docs/protocol.md ("Approval workflow", "Process definitions") documents
 * the format for integrators; keep the two in step.
 */
#ifndef ZW_WF_DEFINITION_H
#define ZW_WF_DEFINITION_H

#include "calendar.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>

#define ZW_WF_NAME_MAX 63     /* state, action and branch names (bytes) */
#define ZW_WF_MAX_BRANCHES 15 /* per fork; an instance has 1 + branches tracks */
#define ZW_WF_RETURN "@return"

/* zwfw.v1.ProcessOutcome values. */
typedef enum {
    ZW_WF_OUT_NONE = 0,
    ZW_WF_OUT_APPROVED = 1,
    ZW_WF_OUT_APPROVED_WAIVER = 2,
    ZW_WF_OUT_REJECTED = 3,
    ZW_WF_OUT_WITHDRAWN = 4,
    ZW_WF_OUT_CANCELLED = 5,
    ZW_WF_OUT_REVOKED = 6, /* 撤销: an approval revoked after 办结 */
} zw_wf_outcome_t;

/* zwfw.v1.PauseKind values. */
typedef enum {
    ZW_WF_PAUSE_NONE = 0,
    ZW_WF_PAUSE_SUPPLEMENT = 1,
    ZW_WF_PAUSE_SPECIAL = 2,
} zw_wf_pause_kind_t;

typedef enum { ZW_WF_ACT_MOVE = 0, ZW_WF_ACT_EXTEND } zw_wf_action_kind_t;

typedef enum {
    ZW_WF_TRIG_NONE = 0,
    ZW_WF_TRIG_WITHDRAWAL, /* intake forwarded the applicant's withdrawal */
    ZW_WF_TRIG_MATERIALS,  /* intake forwarded supplied 补正 materials */
} zw_wf_trigger_t;

/* amount 0: none. */
typedef struct {
    int amount;
    zw_limit_unit_t unit;
} zw_wf_limit_t;

typedef struct zw_wf_fork zw_wf_fork_t;

typedef struct {
    char *name, *label;
    zw_wf_outcome_t terminal; /* NONE: not terminal */
    zw_wf_pause_kind_t pause; /* the clock stops while here */
    int application_state;    /* zwfw.v1.ApplicationState on entry; 0: none */
    zw_wf_limit_t limit;      /* abnormal when here longer */
    zw_wf_fork_t *fork;       /* a fork state: branches run, a join leaves */
} zw_wf_state_t;

typedef struct {
    char *name, *label;
    char **from; /* state names */
    size_t nfrom;
    bool from_any;  /* "*": every non-terminal state */
    char *to;       /* NULL for extend */
    bool to_return; /* "@return": back to the state before the pause */
    unsigned roles; /* ZW_ROLE_MASK_* (common/access.h) */
    bool any_department;
    bool reason; /* a comment is required */
    zw_wf_action_kind_t kind;
    zw_wf_trigger_t trigger;
} zw_wf_action_t;

typedef struct {
    char *initial;
    zw_wf_state_t *states;
    size_t nstates;
    zw_wf_action_t *actions;
    size_t nactions;
} zw_wf_flow_t;

typedef struct {
    char *name, *label, *department; /* department "$lead": the instance's */
} zw_wf_branch_def_t;

struct zw_wf_fork {
    zw_wf_branch_def_t *branches;
    size_t nbranches;
    char *join;          /* main state entered when every branch is done */
    char *on_reject;     /* main state entered at once when a branch is rejected;
                          * NULL: wait for the join */
    zw_wf_limit_t limit; /* each branch's clock; amount 0: none */
    zw_wf_flow_t flow;   /* every branch runs it */
};

typedef struct {
    char *code, *name;
    int version;
    bool is_default;
    char **items;
    size_t nitems;
    zw_wf_limit_t promised, statutory; /* fallbacks when the application has none */
    zw_wf_limit_t extension;
    int extension_times;
    zw_wf_flow_t main;
} zw_wf_def_t;

/* Parses and validates `len` bytes of JSON. NULL with *err (INVALID_ARGUMENT
 * and a detail from the list above; the message names the state or action)
 * when it is refused. The caller frees the result with zw_wf_def_destroy. */
zw_wf_def_t *zw_wf_def_parse(const char *json, size_t len, zw_err_t *err);

/* The graph checks alone, on a parsed definition (zw_wf_def_parse runs
 * them): INVALID_ARGUMENT with a detail from the list above. */
int zw_wf_def_check(const zw_wf_def_t *def, zw_err_t *err);

/* DOMAIN.md: the promised limit is never longer than the statutory one.
 * 0, or INVALID_ARGUMENT with detail "promised_limit" when the
 * definition's limits.promised can end after its limits.statutory
 * (zw_time_limits_longer, a working day counting minutes_per_day
 * minutes: the daemon's working hours). Not part of zw_wf_def_parse,
 * which also loads the definitions stored before this rule, whose
 * instances must keep running (a new instance holds its promised limit to
 * the statutory one anyway): ValidateDefinition, PutDefinition and the
 * definitions directory apply it to every new definition. */
int zw_wf_def_check_limits(const zw_wf_def_t *def, int minutes_per_day, zw_err_t *err);

/* Reads a file and parses it (NOT_FOUND when unreadable). */
zw_wf_def_t *zw_wf_def_load(const char *path, zw_err_t *err);

/* Accepts NULL; NULLs *self_p. */
void zw_wf_def_destroy(zw_wf_def_t **self_p);

/* Lookups: NULL when there is none. */
const zw_wf_state_t *zw_wf_flow_state(const zw_wf_flow_t *flow, const char *name);
const zw_wf_action_t *zw_wf_flow_action(const zw_wf_flow_t *flow, const char *name);

/* Whether `action` may be taken from state `st` (of the same flow). */
bool zw_wf_action_from(const zw_wf_action_t *action, const zw_wf_state_t *st);

/* The first fork state of the main flow (NULL if none): where branch flows
 * are found. A definition has at most one fork. */
const zw_wf_state_t *zw_wf_def_fork(const zw_wf_def_t *def);

/* The flow a track runs: track 0 the main flow, others the fork's; NULL
 * for a NULL def or a definition without a fork. */
const zw_wf_flow_t *zw_wf_def_flow(const zw_wf_def_t *def, int track);

/* Working minutes of a limit with `minutes_per_day` a day. */
long long zw_wf_limit_minutes(zw_wf_limit_t limit, int minutes_per_day);

/* Text <-> enum (NULL / -1 for unknown). */
const char *zw_wf_outcome_name(zw_wf_outcome_t o);
const char *zw_wf_pause_name(zw_wf_pause_kind_t p);

#endif
