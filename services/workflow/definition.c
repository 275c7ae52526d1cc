/* Process definitions: JSON -> zw_wf_def_t (the graph checks are in
 * definition_check.c). */
#include "definition.h"

#include "access.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* National application states by the names states may give on entry
 * (zwfw.v1.ApplicationState, in order from 1). */
static const char *const s_app_states[] = {
    "received",         "withdrawn_unaccepted", "accepted",   "not_accepted",  "refused",
    "supplement_start", "supplement_end",       "processing", "special_start", "special_end",
    "approved",         "approved_waiver",      "rejected",   "withdrawn",     "revoked",
};

static const char *const s_outcomes[] = {NULL,        "approved",  "approved_waiver", "rejected",
                                         "withdrawn", "cancelled", "revoked"};
static const char *const s_pauses[] = {NULL, "supplement", "special"};

const char *zw_wf_outcome_name(zw_wf_outcome_t o)
{
    return o > 0 && (size_t) o < sizeof s_outcomes / sizeof s_outcomes[0] ? s_outcomes[o] : NULL;
}

const char *zw_wf_pause_name(zw_wf_pause_kind_t p)
{
    return p > 0 && (size_t) p < sizeof s_pauses / sizeof s_pauses[0] ? s_pauses[p] : NULL;
}

long long zw_wf_limit_minutes(zw_wf_limit_t limit, int minutes_per_day)
{
    if (limit.amount <= 0)
        return 0;
    return limit.unit == ZW_LIMIT_HOURS ? (long long) limit.amount * 60
                                        : (long long) limit.amount * minutes_per_day;
}

/* ------------------------------------------------------------------ freeing */

static void s_strv_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void s_flow_free(zw_wf_flow_t *f);

static void s_fork_free(zw_wf_fork_t *fk)
{
    if (!fk)
        return;
    for (size_t i = 0; i < fk->nbranches; i++) {
        free(fk->branches[i].name);
        free(fk->branches[i].label);
        free(fk->branches[i].department);
    }
    free(fk->branches);
    free(fk->join);
    free(fk->on_reject);
    s_flow_free(&fk->flow);
    free(fk);
}

static void s_flow_free(zw_wf_flow_t *f)
{
    for (size_t i = 0; i < f->nstates; i++) {
        free(f->states[i].name);
        free(f->states[i].label);
        s_fork_free(f->states[i].fork);
    }
    free(f->states);
    for (size_t i = 0; i < f->nactions; i++) {
        zw_wf_action_t *a = &f->actions[i];
        free(a->name);
        free(a->label);
        s_strv_free(a->from, a->nfrom);
        free(a->to);
    }
    free(f->actions);
    free(f->initial);
    memset(f, 0, sizeof *f);
}

void zw_wf_def_destroy(zw_wf_def_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_wf_def_t *d = *self_p;
    free(d->code);
    free(d->name);
    s_strv_free(d->items, d->nitems);
    s_flow_free(&d->main);
    free(d);
    *self_p = NULL;
}

/* ------------------------------------------------------------------ JSON helpers */

/* vsnprintf-based so paths of any depth are cut, not refused: messages
 * are for people and the detail carries the reason. */
static void s_fmt(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void s_fmt(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* fmt takes up to two strings (a, b; NULL reads as ""). */
static __attribute__((noinline)) int s_bad(zw_err_t *err, const char *detail, const char *fmt,
                                           const char *a, const char *b)
{
    char pattern[220], msg[240];
    s_fmt(pattern, sizeof pattern, "definition: %s", fmt);
    /* the pattern is one of this file's literals with %s for a and b */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(msg, sizeof msg, pattern, a ? a : "", b ? b : "");
#pragma GCC diagnostic pop
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail, "%s", msg);
}

/* Every key of obj must be one of allowed (NULL-terminated). */
static int s_keys(const cJSON *obj, const char *const *allowed, const char *where, zw_err_t *err)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool ok = false;
        for (const char *const *k = allowed; *k && !ok; k++)
            ok = strcmp(c->string, *k) == 0;
        if (!ok)
            return s_bad(err, "json", "%s: unknown key \"%s\"", where, c->string);
    }
    return 0;
}

static int s_dup(const char *v, char **out, zw_err_t *err)
{
    *out = strdup(v ? v : "");
    return *out ? 0 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
}

/* A string member; missing is "" (or an error when required). */
static int s_str(const cJSON *obj, const char *key, bool required, const char *where, char **out,
                 zw_err_t *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (required)
            return s_bad(err, "json", "%s: \"%s\" is required", where, key);
        return s_dup("", out, err);
    }
    if (!cJSON_IsString(v))
        return s_bad(err, "json", "%s: \"%s\" must be a string", where, key);
    return s_dup(v->valuestring, out, err);
}

static int s_name(const cJSON *obj, const char *key, const char *where, char **out, zw_err_t *err)
{
    if (s_str(obj, key, true, where, out, err) != 0)
        return -1;
    size_t n = strlen(*out);
    if (n == 0 || n > ZW_WF_NAME_MAX || (*out)[0] == '@' || strchr(*out, '*'))
        return s_bad(err, "json", "%s: \"%s\" must be 1-63 bytes, not starting with @ or holding *",
                     where, key);
    return 0;
}

static int s_bool(const cJSON *obj, const char *key, const char *where, bool *out, zw_err_t *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        *out = false;
        return 0;
    }
    if (!cJSON_IsBool(v))
        return s_bad(err, "json", "%s: \"%s\" must be true or false", where, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

static int s_int(const cJSON *v, const char *where, const char *key, int min, int max, int *out,
                 zw_err_t *err)
{
    char w[160];
    s_fmt(w, sizeof w, "%s.%s", where, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double) (long long) v->valuedouble ||
        v->valuedouble < min || v->valuedouble > max) {
        char range[64];
        s_fmt(range, sizeof range, "an integer in %d..%d", min, max);
        return s_bad(err, "value", "%s must be %s", w, range);
    }
    *out = (int) v->valuedouble;
    return 0;
}

/* {"amount": N, "unit": "workdays"|"hours"}; absent leaves amount 0. */
static int s_limit(const cJSON *obj, const char *key, const char *where, zw_wf_limit_t *out,
                   int *times, zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    char w[160];
    s_fmt(w, sizeof w, "%s.%s", where, key);
    static const char *const plain[] = {"amount", "unit", NULL};
    static const char *const with_times[] = {"amount", "unit", "times", NULL};
    if (!cJSON_IsObject(v))
        return s_bad(err, "json", "%s must be an object", w, NULL);
    if (s_keys(v, times ? with_times : plain, w, err) != 0 ||
        s_int(cJSON_GetObjectItemCaseSensitive(v, "amount"), w, "amount", 1, 10000, &out->amount,
              err) != 0)
        return -1;
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(v, "unit");
    if (cJSON_IsString(u) && strcmp(u->valuestring, "workdays") == 0)
        out->unit = ZW_LIMIT_WORKDAYS;
    else if (cJSON_IsString(u) && strcmp(u->valuestring, "hours") == 0)
        out->unit = ZW_LIMIT_HOURS;
    else
        return s_bad(err, "value", "%s.unit must be \"workdays\" or \"hours\"", w, NULL);
    if (times) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "times");
        *times = 1;
        if (t && s_int(t, w, "times", 1, 100, times, err) != 0)
            return -1;
    }
    return 0;
}

static int s_enum(const cJSON *obj, const char *key, const char *where, const char *const *names,
                  size_t n, int first, int *out, zw_err_t *err)
{
    *out = 0;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    if (cJSON_IsString(v))
        for (size_t i = 0; i < n; i++)
            if (names[i] && strcmp(names[i], v->valuestring) == 0) {
                *out = (int) i + first;
                return 0;
            }
    return s_bad(err, "value", "%s: \"%s\" has an unknown value", where, key);
}

/* ------------------------------------------------------------------ parsing */

static int s_parse_flow(const cJSON *obj, const char *where, bool branch, zw_wf_flow_t *f,
                        zw_err_t *err);

static int s_parse_fork(const cJSON *v, const char *where, zw_wf_fork_t **out, zw_err_t *err)
{
    static const char *const keys[] = {"branches", "join", "on_reject", "limit", "flow", NULL};
    char w[160];
    s_fmt(w, sizeof w, "%s.fork", where);
    if (!cJSON_IsObject(v))
        return s_bad(err, "json", "%s must be an object", w, NULL);
    if (s_keys(v, keys, w, err) != 0)
        return -1;
    zw_wf_fork_t *fk = calloc(1, sizeof *fk);
    if (!fk)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    *out = fk;
    const cJSON *br = cJSON_GetObjectItemCaseSensitive(v, "branches");
    if (br && !cJSON_IsArray(br))
        return s_bad(err, "json", "%s.branches must be an array", w, NULL);
    int n = cJSON_GetArraySize(br);
    if (n == 0)
        return s_bad(err, "join", "%s: a fork without branches joins nothing", w, NULL);
    if (n > ZW_WF_MAX_BRANCHES)
        return s_bad(err, "value", "%s: more than 15 branches", w, NULL);
    fk->branches = calloc((size_t) n, sizeof *fk->branches);
    if (!fk->branches)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    static const char *const bkeys[] = {"name", "label", "department", NULL};
    for (const cJSON *b = br->child; b; b = b->next) {
        char bw[200];
        s_fmt(bw, sizeof bw, "%s.branches[%zu]", w, fk->nbranches);
        zw_wf_branch_def_t *bd = &fk->branches[fk->nbranches++];
        if (!cJSON_IsObject(b))
            return s_bad(err, "json", "%s must be an object", bw, NULL);
        if (s_keys(b, bkeys, bw, err) != 0 || s_name(b, "name", bw, &bd->name, err) != 0 ||
            s_str(b, "label", false, bw, &bd->label, err) != 0 ||
            s_str(b, "department", true, bw, &bd->department, err) != 0)
            return -1;
        if (!bd->department[0] || strlen(bd->department) > 64)
            return s_bad(err, "value", "%s.department must be 1-64 bytes", bw, NULL);
        for (size_t j = 0; j + 1 < fk->nbranches; j++)
            if (strcmp(fk->branches[j].name, bd->name) == 0)
                return s_bad(err, "duplicate", "%s: branch \"%s\" is named twice", w, bd->name);
    }
    const cJSON *join = cJSON_GetObjectItemCaseSensitive(v, "join");
    if (!join)
        return s_bad(err, "join", "%s: no \"join\": the branches would never be closed", w, NULL);
    if (s_str(v, "join", true, w, &fk->join, err) != 0)
        return -1;
    if (cJSON_GetObjectItemCaseSensitive(v, "on_reject") &&
        s_str(v, "on_reject", true, w, &fk->on_reject, err) != 0)
        return -1;
    if (s_limit(v, "limit", w, &fk->limit, NULL, err) != 0)
        return -1;
    const cJSON *flow = cJSON_GetObjectItemCaseSensitive(v, "flow");
    if (!cJSON_IsObject(flow))
        return s_bad(err, "json", "%s.flow is required: the steps each branch takes", w, NULL);
    char fw[200];
    s_fmt(fw, sizeof fw, "%s.flow", w);
    return s_parse_flow(flow, fw, true, &fk->flow, err);
}

static int s_parse_state(const cJSON *s, const char *w, bool branch, zw_wf_state_t *st,
                         zw_err_t *err)
{
    static const char *const keys[] = {"name",  "label", "terminal",          "pause",
                                       "limit", "fork",  "application_state", NULL};
    if (!cJSON_IsObject(s))
        return s_bad(err, "json", "%s must be an object", w, NULL);
    int outcome, pause, app;
    if (s_keys(s, keys, w, err) != 0 || s_name(s, "name", w, &st->name, err) != 0 ||
        s_str(s, "label", false, w, &st->label, err) != 0 ||
        s_enum(s, "terminal", w, s_outcomes, 5, 0, &outcome, err) != 0 ||
        s_enum(s, "pause", w, s_pauses, 3, 0, &pause, err) != 0 ||
        s_enum(s, "application_state", w, s_app_states, 15, 1, &app, err) != 0 ||
        s_limit(s, "limit", w, &st->limit, NULL, err) != 0)
        return -1;
    st->terminal = (zw_wf_outcome_t) outcome;
    st->pause = (zw_wf_pause_kind_t) pause;
    st->application_state = app;
    if (branch && st->terminal != ZW_WF_OUT_NONE && st->terminal != ZW_WF_OUT_APPROVED &&
        st->terminal != ZW_WF_OUT_REJECTED)
        return s_bad(err, "value", "%s: a branch ends \"approved\" or \"rejected\" only", w, NULL);
    if (st->terminal && st->pause)
        return s_bad(err, "value", "%s: a terminal state cannot pause the clock", w, NULL);
    const cJSON *fork = cJSON_GetObjectItemCaseSensitive(s, "fork");
    if (fork) {
        if (branch)
            return s_bad(err, "join", "%s: a fork inside a branch flow", w, NULL);
        if (st->terminal || st->pause)
            return s_bad(err, "join", "%s: a fork state can neither end nor pause", w, NULL);
        return s_parse_fork(fork, w, &st->fork, err);
    }
    return 0;
}

static int s_parse_roles(const cJSON *a, const char *w, zw_wf_action_t *act, zw_err_t *err)
{
    const cJSON *roles = cJSON_GetObjectItemCaseSensitive(a, "roles");
    if (!cJSON_IsArray(roles) || cJSON_GetArraySize(roles) == 0)
        return s_bad(err, "json", "%s: \"roles\" must be a non-empty array", w, NULL);
    for (const cJSON *r = roles->child; r; r = r->next) {
        int role = cJSON_IsString(r) ? zw_access_role_from_name(r->valuestring) : -1;
        if (role < 0)
            return s_bad(err, "unknown_role", "%s: unknown role \"%s\"", w,
                         cJSON_IsString(r) ? r->valuestring : "(not a string)");
        act->roles |= ZW_ROLE_MASK(role);
    }
    return 0;
}

static int s_parse_action(const cJSON *a, const char *w, zw_wf_action_t *act, zw_err_t *err)
{
    static const char *const keys[] = {"name",   "label",      "from",    "to",   "roles",
                                       "reason", "department", "trigger", "kind", NULL};
    if (!cJSON_IsObject(a))
        return s_bad(err, "json", "%s must be an object", w, NULL);
    if (s_keys(a, keys, w, err) != 0 || s_name(a, "name", w, &act->name, err) != 0 ||
        s_str(a, "label", false, w, &act->label, err) != 0 ||
        s_bool(a, "reason", w, &act->reason, err) != 0 || s_parse_roles(a, w, act, err) != 0)
        return -1;
    static const char *const kinds[] = {"move", "extend"};
    static const char *const triggers[] = {NULL, "withdrawal", "materials_supplied"};
    static const char *const depts[] = {"own", "any"};
    int kind, trig, dept;
    if (s_enum(a, "kind", w, kinds, 2, 0, &kind, err) != 0 ||
        s_enum(a, "trigger", w, triggers, 3, 0, &trig, err) != 0 ||
        s_enum(a, "department", w, depts, 2, 0, &dept, err) != 0)
        return -1;
    act->kind = (zw_wf_action_kind_t) kind;
    act->trigger = (zw_wf_trigger_t) trig;
    act->any_department = dept == 1;
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(a, "from");
    if (cJSON_IsString(from) && strcmp(from->valuestring, "*") == 0) {
        act->from_any = true;
    } else if (cJSON_IsArray(from) && cJSON_GetArraySize(from) > 0) {
        act->from = calloc((size_t) cJSON_GetArraySize(from), sizeof *act->from);
        if (!act->from)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        for (const cJSON *f = from->child; f; f = f->next) {
            if (!cJSON_IsString(f))
                return s_bad(err, "json", "%s: \"from\" holds state names", w, NULL);
            if (s_dup(f->valuestring, &act->from[act->nfrom++], err) != 0)
                return -1;
        }
    } else {
        return s_bad(err, "json", "%s: \"from\" must be \"*\" or a non-empty array of states", w,
                     NULL);
    }
    const cJSON *to = cJSON_GetObjectItemCaseSensitive(a, "to");
    if (act->kind == ZW_WF_ACT_EXTEND) {
        if (to)
            return s_bad(err, "extend", "%s: an extend action stays in its state (no \"to\")", w,
                         NULL);
        if (act->roles != ZW_ROLE_MASK_HEAD)
            return s_bad(err, "extend", "%s: only a head may extend a limit (roles [\"head\"])", w,
                         NULL);
        return 0;
    }
    if (s_str(a, "to", true, w, &act->to, err) != 0)
        return -1;
    act->to_return = strcmp(act->to, ZW_WF_RETURN) == 0;
    return 0;
}

static int s_parse_flow(const cJSON *obj, const char *where, bool branch, zw_wf_flow_t *f,
                        zw_err_t *err)
{
    if (branch) {
        static const char *const keys[] = {"initial", "states", "actions", NULL};
        if (s_keys(obj, keys, where, err) != 0)
            return -1;
    }
    if (s_str(obj, "initial", true, where, &f->initial, err) != 0)
        return -1;
    const cJSON *states = cJSON_GetObjectItemCaseSensitive(obj, "states");
    const cJSON *actions = cJSON_GetObjectItemCaseSensitive(obj, "actions");
    if (!cJSON_IsArray(states) || cJSON_GetArraySize(states) == 0)
        return s_bad(err, "json", "%s: \"states\" must be a non-empty array", where, NULL);
    if (actions && !cJSON_IsArray(actions))
        return s_bad(err, "json", "%s: \"actions\" must be an array", where, NULL);
    size_t ns = (size_t) cJSON_GetArraySize(states), na = (size_t) cJSON_GetArraySize(actions);
    f->states = calloc(ns, sizeof *f->states);
    f->actions = calloc(na ? na : 1, sizeof *f->actions);
    if (!f->states || !f->actions)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (const cJSON *s = states->child; s; s = s->next) {
        char w[200];
        s_fmt(w, sizeof w, "%s.states[%zu]", where, f->nstates);
        zw_wf_state_t *st = &f->states[f->nstates++];
        if (s_parse_state(s, w, branch, st, err) != 0)
            return -1;
        for (size_t j = 0; j + 1 < f->nstates; j++)
            if (strcmp(f->states[j].name, st->name) == 0)
                return s_bad(err, "duplicate", "%s: state \"%s\" is named twice", where, st->name);
    }
    for (const cJSON *a = actions ? actions->child : NULL; a; a = a->next) {
        char w[200];
        s_fmt(w, sizeof w, "%s.actions[%zu]", where, f->nactions);
        zw_wf_action_t *act = &f->actions[f->nactions++];
        if (s_parse_action(a, w, act, err) != 0)
            return -1;
        for (size_t j = 0; j + 1 < f->nactions; j++)
            if (strcmp(f->actions[j].name, act->name) == 0)
                return s_bad(err, "duplicate", "%s: action \"%s\" is named twice", where,
                             act->name);
    }
    return 0;
}

static int s_parse_def(const cJSON *root, zw_wf_def_t *d, zw_err_t *err)
{
    static const char *const keys[] = {"code",   "version", "name",      "default",
                                       "items",  "limits",  "extension", "initial",
                                       "states", "actions", "comment",   NULL};
    if (!cJSON_IsObject(root))
        return s_bad(err, "json", "the definition must be a JSON object", NULL, NULL);
    if (s_keys(root, keys, "definition", err) != 0)
        return -1;
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
    if (!cJSON_IsString(code) || !code->valuestring[0] || strlen(code->valuestring) > 64)
        return s_bad(err, "code", "\"code\" must be a string of 1-64 bytes", NULL, NULL);
    for (const char *p = code->valuestring; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return s_bad(err, "code", "\"code\" may hold letters, digits, '-', '_' and '.' only",
                         NULL, NULL);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble != (double) (int) ver->valuedouble ||
        ver->valuedouble < 1 || ver->valuedouble > 1000000)
        return s_bad(err, "version", "\"version\" must be an integer from 1", NULL, NULL);
    d->version = (int) ver->valuedouble;
    if (s_dup(code->valuestring, &d->code, err) != 0 ||
        s_str(root, "name", false, "definition", &d->name, err) != 0 ||
        s_bool(root, "default", "definition", &d->is_default, err) != 0)
        return -1;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(root, "items");
    if (items && !cJSON_IsArray(items))
        return s_bad(err, "json", "\"items\" must be an array of item codes", NULL, NULL);
    if (items && cJSON_GetArraySize(items) > 0) {
        d->items = calloc((size_t) cJSON_GetArraySize(items), sizeof *d->items);
        if (!d->items)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        for (const cJSON *it = items->child; it; it = it->next) {
            if (!cJSON_IsString(it) || !it->valuestring[0])
                return s_bad(err, "json", "\"items\" must hold item codes", NULL, NULL);
            if (s_dup(it->valuestring, &d->items[d->nitems++], err) != 0)
                return -1;
        }
    }
    const cJSON *limits = cJSON_GetObjectItemCaseSensitive(root, "limits");
    if (limits) {
        static const char *const lkeys[] = {"promised", "statutory", NULL};
        if (!cJSON_IsObject(limits))
            return s_bad(err, "json", "\"limits\" must be an object", NULL, NULL);
        if (s_keys(limits, lkeys, "limits", err) != 0 ||
            s_limit(limits, "promised", "limits", &d->promised, NULL, err) != 0 ||
            s_limit(limits, "statutory", "limits", &d->statutory, NULL, err) != 0)
            return -1;
    }
    if (s_limit(root, "extension", "definition", &d->extension, &d->extension_times, err) != 0)
        return -1;
    if (s_parse_flow(root, "definition", false, &d->main, err) != 0)
        return -1;
    return zw_wf_def_check(d, err);
}

zw_wf_def_t *zw_wf_def_parse(const char *json, size_t len, zw_err_t *err)
{
    if (!json) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "json", "definition: no text");
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "json", "definition: not valid JSON");
        return NULL;
    }
    zw_wf_def_t *d = calloc(1, sizeof *d);
    if (!d) {
        cJSON_Delete(root);
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    int rc = s_parse_def(root, d, err);
    cJSON_Delete(root);
    if (rc != 0)
        zw_wf_def_destroy(&d);
    return d;
}

zw_wf_def_t *zw_wf_def_load(const char *path, zw_err_t *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        zw_err_setd(err, ZW_NOT_FOUND, "path", "cannot read %s", path);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    zw_wf_def_t *d = zw_wf_def_parse(buf, len, err);
    free(buf);
    return d;
}
