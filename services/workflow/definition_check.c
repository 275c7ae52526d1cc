/* Process definitions: lookups and the graph checks of a parsed
 * definition (reachability, ways out, terminals, forks, returns). */
#include "definition.h"

#include "access.h"
#include "time_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Messages name the state or action; the detail is the reason. */
static __attribute__((noinline)) int s_graph_bad(zw_err_t *err, const char *detail, const char *fmt,
                                                 const char *a, const char *b)
{
    char pattern[220], msg[240];
    snprintf(pattern, sizeof pattern, "definition: %s", fmt);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(msg, sizeof msg, pattern, a ? a : "", b ? b : "");
#pragma GCC diagnostic pop
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, detail, "%s", msg);
}

const zw_wf_state_t *zw_wf_flow_state(const zw_wf_flow_t *flow, const char *name)
{
    if (!flow || !name)
        return NULL;
    for (size_t i = 0; i < flow->nstates; i++)
        if (strcmp(flow->states[i].name, name) == 0)
            return &flow->states[i];
    return NULL;
}

const zw_wf_action_t *zw_wf_flow_action(const zw_wf_flow_t *flow, const char *name)
{
    if (!flow || !name)
        return NULL;
    for (size_t i = 0; i < flow->nactions; i++)
        if (strcmp(flow->actions[i].name, name) == 0)
            return &flow->actions[i];
    return NULL;
}

bool zw_wf_action_from(const zw_wf_action_t *action, const zw_wf_state_t *st)
{
    if (!action || !st)
        return false;
    if (action->from_any)
        return st->terminal == ZW_WF_OUT_NONE;
    for (size_t i = 0; i < action->nfrom; i++)
        if (strcmp(action->from[i], st->name) == 0)
            return true;
    return false;
}

static int s_index(const zw_wf_flow_t *f, const char *name)
{
    const zw_wf_state_t *st = zw_wf_flow_state(f, name);
    return st ? (int) (st - f->states) : -1;
}

/* Edges of the flow as an adjacency matrix (n*n bools): actions,
 * returns from a pause to every state that enters it, a fork's join and
 * reject targets. */
static int s_edges(const zw_wf_flow_t *f, bool *adj, zw_err_t *err)
{
    size_t n = f->nstates;
    for (size_t i = 0; i < f->nactions; i++) {
        const zw_wf_action_t *a = &f->actions[i];
        for (size_t k = 0; k < a->nfrom; k++) {
            int from = s_index(f, a->from[k]);
            if (from < 0)
                return s_graph_bad(err, "unknown_state",
                                   "action \"%s\" starts from unknown state \"%s\"", a->name,
                                   a->from[k]);
            if (f->states[from].terminal)
                return s_graph_bad(err, "terminal_action",
                                   "action \"%s\" leaves terminal state \"%s\"", a->name,
                                   a->from[k]);
            if (a->to_return && !f->states[from].pause)
                return s_graph_bad(err, "return",
                                   "action \"%s\": \"@return\" from \"%s\", which does not pause",
                                   a->name, a->from[k]);
        }
        if (a->to_return && a->from_any)
            return s_graph_bad(err, "return",
                               "action \"%s\": \"@return\" needs explicit pause states", a->name,
                               NULL);
        if (a->kind == ZW_WF_ACT_EXTEND || a->to_return)
            continue;
        int to = s_index(f, a->to);
        if (to < 0)
            return s_graph_bad(err, "unknown_state", "action \"%s\" goes to unknown state \"%s\"",
                               a->name, a->to);
        for (size_t s = 0; s < n; s++)
            if (zw_wf_action_from(a, &f->states[s]))
                adj[s * n + (size_t) to] = true;
    }
    for (size_t s = 0; s < n; s++) {
        const zw_wf_fork_t *fk = f->states[s].fork;
        if (!fk)
            continue;
        int join = s_index(f, fk->join);
        if (join < 0)
            return s_graph_bad(err, "join", "fork \"%s\" joins to unknown state \"%s\"",
                               f->states[s].name, fk->join);
        adj[s * n + (size_t) join] = true;
        if (fk->on_reject) {
            int rej = s_index(f, fk->on_reject);
            if (rej < 0)
                return s_graph_bad(err, "unknown_state",
                                   "fork \"%s\": on_reject to unknown state \"%s\"",
                                   f->states[s].name, fk->on_reject);
            adj[s * n + (size_t) rej] = true;
        }
    }
    /* A return leads back to every state that enters the pause. */
    for (size_t i = 0; i < f->nactions; i++) {
        const zw_wf_action_t *a = &f->actions[i];
        if (!a->to_return)
            continue;
        for (size_t k = 0; k < a->nfrom; k++) {
            size_t p = (size_t) s_index(f, a->from[k]);
            for (size_t s = 0; s < n; s++)
                if (s != p && adj[s * n + p])
                    adj[p * n + s] = true;
        }
    }
    return 0;
}

static int s_check_flow(const zw_wf_flow_t *f, const char *where, bool branch, zw_err_t *err)
{
    size_t n = f->nstates;
    int initial = s_index(f, f->initial);
    if (initial < 0)
        return s_graph_bad(err, "initial", "%s: initial state \"%s\" is not a state", where,
                           f->initial);
    bool *adj = calloc(n * n, sizeof *adj);
    bool *seen = calloc(n, sizeof *seen);
    size_t *queue = calloc(n, sizeof *queue);
    int rc = -1;
    if (!adj || !seen || !queue) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < f->nactions; i++) {
        const zw_wf_action_t *a = &f->actions[i];
        if (a->kind == ZW_WF_ACT_EXTEND && branch) {
            s_graph_bad(err, "extend",
                        "%s: action \"%s\": extensions act on the instance, not a branch", where,
                        a->name);
            goto done;
        }
    }
    if (s_edges(f, adj, err) != 0)
        goto done;
    size_t forks = 0;
    bool terminal = false;
    for (size_t s = 0; s < n; s++) {
        terminal |= f->states[s].terminal != ZW_WF_OUT_NONE;
        forks += f->states[s].fork != NULL;
    }
    if (!terminal) {
        s_graph_bad(err, "no_terminal", "%s: no terminal state: no instance could ever end", where,
                    NULL);
        goto done;
    }
    if (forks > 1) {
        s_graph_bad(err, "join", "%s: more than one fork state", where, NULL);
        goto done;
    }
    size_t head = 0, tail = 0;
    queue[tail++] = (size_t) initial;
    seen[initial] = true;
    while (head < tail) {
        size_t s = queue[head++];
        for (size_t t = 0; t < n; t++)
            if (adj[s * n + t] && !seen[t]) {
                seen[t] = true;
                queue[tail++] = t;
            }
    }
    for (size_t s = 0; s < n; s++)
        if (!seen[s]) {
            zw_err_setd(err, ZW_INVALID_ARGUMENT, "unreachable",
                        "definition: %s: state \"%s\" cannot be reached from \"%s\"", where,
                        f->states[s].name, f->initial);
            goto done;
        }
    for (size_t s = 0; s < n; s++) {
        if (f->states[s].terminal)
            continue;
        bool out = false;
        for (size_t t = 0; t < n && !out; t++)
            out = t != s && adj[s * n + t];
        if (!out) {
            s_graph_bad(err, "no_way_out", "%s: non-terminal state \"%s\" has no way out", where,
                        f->states[s].name);
            goto done;
        }
    }
    rc = 0;
done:
    free(adj);
    free(seen);
    free(queue);
    return rc;
}

int zw_wf_def_check(const zw_wf_def_t *d, zw_err_t *err)
{
    if (s_check_flow(&d->main, "states", false, err) != 0)
        return -1;
    bool extend = false;
    for (size_t i = 0; i < d->main.nactions; i++)
        extend |= d->main.actions[i].kind == ZW_WF_ACT_EXTEND;
    if (extend && d->extension.amount == 0)
        return s_graph_bad(err, "extend",
                           "an extend action needs \"extension\" (amount, unit, times)", NULL,
                           NULL);
    const zw_wf_state_t *fork = zw_wf_def_fork(d);
    if (fork && s_check_flow(&fork->fork->flow, "fork.flow", true, err) != 0)
        return -1;
    return 0;
}

int zw_wf_def_check_limits(const zw_wf_def_t *d, int minutes_per_day, zw_err_t *err)
{
    zw_time_limit_t p = {d->promised.amount, (int) d->promised.unit},
                    st = {d->statutory.amount, (int) d->statutory.unit};
    /* the rule StartProcess and the catalog apply (common/time_limits.h);
     * -1 (not comparable) cannot arise from a parsed definition */
    if (zw_time_limits_longer(p, st, minutes_per_day) != 1)
        return 0;
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, "promised_limit",
                       "definition: limits.promised (%d %s) is longer than limits.statutory (%d "
                       "%s): a promised limit is never longer than the statutory one",
                       p.amount, d->promised.unit == ZW_LIMIT_HOURS ? "hours" : "working days",
                       st.amount, d->statutory.unit == ZW_LIMIT_HOURS ? "hours" : "working days");
}

const zw_wf_state_t *zw_wf_def_fork(const zw_wf_def_t *def)
{
    for (size_t i = 0; def && i < def->main.nstates; i++)
        if (def->main.states[i].fork)
            return &def->main.states[i];
    return NULL;
}

const zw_wf_flow_t *zw_wf_def_flow(const zw_wf_def_t *def, int track)
{
    if (!def)
        return NULL;
    if (track == 0)
        return &def->main;
    const zw_wf_state_t *fork = zw_wf_def_fork(def);
    return fork ? &fork->fork->flow : NULL;
}
