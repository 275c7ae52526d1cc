/* Instances and history as zwfw.v1 messages, built in an arena so a reply
 * is freed in one call whatever its shape. */
#include "wf.h"

#include <stdlib.h>
#include <string.h>

static const char *s_state_label(const zw_wf_def_t *def, int track, const char *state)
{
    const zw_wf_flow_t *flow = def ? zw_wf_def_flow(def, track) : NULL;
    const zw_wf_state_t *st = flow ? zw_wf_flow_state(flow, state) : NULL;
    return st && st->label ? st->label : "";
}

static const char *s_action_label(const zw_wf_def_t *def, int track, const char *action)
{
    const zw_wf_flow_t *flow = def ? zw_wf_def_flow(def, track) : NULL;
    const zw_wf_action_t *ac = flow ? zw_wf_flow_action(flow, action) : NULL;
    return ac && ac->label ? ac->label : "";
}

Zwfw__V1__HistoryEntry *zw_wf_view_history(zw_wf_arena_t *a, const PGresult *res, int row)
{
    Zwfw__V1__HistoryEntry *h = zw_wf_arena_alloc(a, sizeof(Zwfw__V1__HistoryEntry));
    if (!h)
        return NULL;
    zwfw__v1__history_entry__init(h);
    h->seq = zw_wf_col_i64(res, row, 0);
    h->branch = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 2));
    h->action = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 3));
    h->from_state = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 4));
    h->to_state = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 5));
    h->actor = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 6));
    h->caller_key_id = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 7));
    h->caller_role = (Zwfw__V1__Role) zw_wf_col_i64(res, row, 8);
    h->comment = zw_wf_arena_strdup(a, zw_wf_col_str(res, row, 9));
    h->at = zw_wf_arena_ts(a, zw_wf_col_i64(res, row, 11));
    h->action_label = (char *) protobuf_c_empty_string;
    if (!PQgetisnull(res, row, 10)) {
        size_t len = 0;
        unsigned char *raw =
            PQunescapeBytea((const unsigned char *) PQgetvalue(res, row, 10), &len);
        Zwfw__V1__HistoryEntry *m = raw ? zwfw__v1__history_entry__unpack(NULL, len, raw) : NULL;
        if (raw)
            PQfreemem(raw);
        if (m && zw_arena_keep_message(a, &m->base) == 0) {
            h->n_materials = m->n_materials;
            h->materials = m->materials;
        } else if (m) {
            protobuf_c_message_free_unpacked(&m->base, NULL);
        }
    }
    if (!h->branch || !h->action || !h->from_state || !h->to_state || !h->actor ||
        !h->caller_key_id || !h->comment)
        return NULL;
    return h;
}

static Zwfw__V1__TimeLimit *s_limit(zw_wf_arena_t *a, zw_wf_limit_t l)
{
    Zwfw__V1__TimeLimit *t = zw_wf_arena_alloc(a, sizeof(Zwfw__V1__TimeLimit));
    if (t)
        zwfw__v1__time_limit__init(t);
    if (t) {
        t->amount = l.amount;
        t->unit = (Zwfw__V1__LimitUnit) l.unit;
    }
    return t;
}

Zwfw__V1__Instance *zw_wf_view(zw_wf_arena_t *a, const zw_wf_ctx_t *ctx, const zw_wf_def_t *def,
                               const zw_wf_instance_t *inst, const zw_wf_clocks_t *clocks,
                               int64_t now_us, bool with_pauses, const PGresult *history)
{
    Zwfw__V1__Instance *m = zw_wf_arena_alloc(a, sizeof(Zwfw__V1__Instance));
    if (!m)
        return NULL;
    zwfw__v1__instance__init(m);
    bool open = inst->status == ZW_WF_STATUS_OPEN;
    m->id = inst->id;
    m->receipt_number = zw_wf_arena_strdup(a, inst->receipt);
    m->definition_code = zw_wf_arena_strdup(a, inst->def_code);
    m->definition_version = inst->def_version;
    m->item_code = zw_wf_arena_strdup(a, inst->item_code);
    m->item_version = inst->item_version;
    m->department_code = zw_wf_arena_strdup(a, inst->department);
    m->region = zw_wf_arena_strdup(a, inst->region);
    m->status = (Zwfw__V1__ProcessStatus) inst->status;
    m->outcome = (Zwfw__V1__ProcessOutcome) inst->outcome;
    m->state = zw_wf_arena_strdup(a, inst->tracks[0].state);
    m->state_label = zw_wf_arena_strdup(a, s_state_label(def, 0, inst->tracks[0].state));
    m->application_state = (Zwfw__V1__ApplicationState) inst->app_state;
    m->accepted_at = zw_wf_arena_ts(a, inst->accepted_us);
    m->started_at = zw_wf_arena_ts(a, inst->started_us);
    m->closed_at = open ? NULL : zw_wf_arena_ts(a, inst->closed_us);
    m->extensions = inst->extensions;
    m->waiver = inst->waiver;
    m->now = zw_wf_arena_ts(a, now_us);
    if (!m->receipt_number || !m->definition_code || !m->item_code || !m->department_code ||
        !m->region || !m->state || !m->state_label)
        return NULL;

    if (clocks && clocks->nclocks > 0) {
        m->clocks = zw_wf_arena_alloc(a, (size_t) clocks->nclocks * sizeof *m->clocks);
        if (!m->clocks)
            return NULL;
        for (int i = 0; i < clocks->nclocks; i++) {
            const zw_wf_clock_t *k = &clocks->clocks[i];
            Zwfw__V1__Clock *c = zw_wf_arena_alloc(a, sizeof(Zwfw__V1__Clock));
            if (!c)
                return NULL;
            zwfw__v1__clock__init(c);
            c->kind = (Zwfw__V1__ClockKind) k->kind;
            c->branch = zw_wf_arena_strdup(a, inst->tracks[k->track].name);
            c->limit = s_limit(a, k->limit);
            c->budget_minutes = k->budget_min;
            c->extension_minutes = k->extension_min;
            c->start = zw_wf_arena_ts(a, k->start_us);
            c->used_minutes = k->used_min;
            c->remaining_minutes = k->remaining_min;
            c->paused = k->paused;
            c->due_at = zw_wf_arena_ts(a, k->due_us);
            c->warn_at = zw_wf_arena_ts(a, k->warn_us);
            /* a finished branch's clock stopped: only its remaining says */
            bool running = open && !(k->track > 0 && inst->tracks[k->track].done);
            c->overdue =
                k->remaining_min < 0 || (k->due_us != ZW_WF_NONE && running && now_us > k->due_us);
            if (!c->branch || !c->limit)
                return NULL;
            m->clocks[m->n_clocks++] = c;
        }
    }

    m->branches = zw_wf_arena_alloc(a, (size_t) inst->ntracks * sizeof *m->branches);
    if (!m->branches)
        return NULL;
    for (int t = 0; t < inst->ntracks; t++) {
        const zw_wf_track_t *tr = &inst->tracks[t];
        Zwfw__V1__Branch *b = zw_wf_arena_alloc(a, sizeof(Zwfw__V1__Branch));
        if (!b)
            return NULL;
        zwfw__v1__branch__init(b);
        b->name = zw_wf_arena_strdup(a, tr->name);
        b->label = zw_wf_arena_strdup(a, t == 0 && def ? def->name : tr->label);
        b->department_code = zw_wf_arena_strdup(a, tr->department);
        b->state = zw_wf_arena_strdup(a, tr->state);
        b->state_label = zw_wf_arena_strdup(a, s_state_label(def, t, tr->state));
        b->done = tr->done;
        b->outcome = (Zwfw__V1__ProcessOutcome) tr->outcome;
        b->entered_at = zw_wf_arena_ts(a, tr->entered_us);
        b->paused = def && zw_wf_track_paused(def, inst, t);
        if (def) {
            const char *names[64];
            size_t n = zw_wf_available(def, inst, t, names, 64);
            b->actions = zw_wf_arena_alloc(a, (n ? n : 1) * sizeof *b->actions);
            if (!b->actions)
                return NULL;
            for (size_t i = 0; i < n; i++)
                if (!(b->actions[b->n_actions++] = zw_wf_arena_strdup(a, names[i])))
                    return NULL;
        }
        if (!b->name || !b->label || !b->department_code || !b->state || !b->state_label)
            return NULL;
        m->branches[m->n_branches++] = b;
    }

    if (with_pauses && inst->npauses > 0) {
        m->pauses = zw_wf_arena_alloc(a, inst->npauses * sizeof *m->pauses);
        if (!m->pauses)
            return NULL;
        for (size_t i = 0; i < inst->npauses; i++) {
            const zw_wf_pause_t *p = &inst->pauses[i];
            Zwfw__V1__Pause *pm = zw_wf_arena_alloc(a, sizeof(Zwfw__V1__Pause));
            if (!pm)
                return NULL;
            zwfw__v1__pause__init(pm);
            pm->branch = zw_wf_arena_strdup(a, inst->tracks[p->track].name);
            pm->kind = (Zwfw__V1__PauseKind) p->kind;
            pm->state = zw_wf_arena_strdup(a, p->state);
            pm->start = zw_wf_arena_ts(a, p->start_us);
            pm->end = p->end_us == ZW_WF_OPEN ? NULL : zw_wf_arena_ts(a, p->end_us);
            int64_t minutes = 0;
            if (ctx)
                zw_wf_pause_minutes(&ctx->settings->clock, p, open ? now_us : inst->closed_us,
                                    &minutes, NULL);
            pm->working_minutes = minutes;
            pm->reason = (char *) protobuf_c_empty_string;
            if (!pm->branch || !pm->state)
                return NULL;
            m->pauses[m->n_pauses++] = pm;
        }
    }

    if (history && PQntuples(history) > 0) {
        int n = PQntuples(history);
        m->history = zw_wf_arena_alloc(a, (size_t) n * sizeof *m->history);
        if (!m->history)
            return NULL;
        for (int r = 0; r < n; r++) {
            Zwfw__V1__HistoryEntry *h = zw_wf_view_history(a, history, r);
            if (!h)
                return NULL;
            int track = (int) zw_wf_col_i64(history, r, 1);
            h->action_label = zw_wf_arena_strdup(a, s_action_label(def, track, h->action));
            if (!h->action_label)
                return NULL;
            m->history[m->n_history++] = h;
        }
        /* the reason a pause began is the comment of the entry that began it */
        for (size_t i = 0; i < m->n_pauses; i++)
            for (size_t r = 0; r < m->n_history; r++)
                if (strcmp(m->history[r]->to_state, m->pauses[i]->state) == 0 &&
                    strcmp(m->history[r]->branch, m->pauses[i]->branch) == 0 && m->history[r]->at &&
                    m->pauses[i]->start &&
                    m->history[r]->at->seconds == m->pauses[i]->start->seconds)
                    m->pauses[i]->reason = m->history[r]->comment;
    }
    return m;
}
