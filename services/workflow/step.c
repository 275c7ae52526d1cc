/* One committed step of an instance, the per-thread context and its
 * definition cache, and loading definitions from a folder. */
#include "wf.h"

#include "access.h"
#include "audit.h"
#include "log.h"
#include "outbox.h"
#include "time_limits.h"
#include "wire_text.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_CACHE 32

typedef struct {
    char code[65];
    int version;
    zw_wf_def_t *def;
} s_cached_t;

struct zw_wf_defcache {
    s_cached_t slot[S_CACHE];
    size_t next; /* round-robin replacement */
};

zw_wf_ctx_t *zw_wf_ctx_new(const char *conninfo, bool simulated, const zw_wf_settings_t *settings,
                           int thread_index)
{
    zw_wf_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->settings = settings;
    ctx->thread_index = thread_index;
    ctx->db = zw_db_new(conninfo);
    ctx->defs = calloc(1, sizeof *ctx->defs);
    ctx->clock = !ctx->db ? NULL : simulated ? zw_clock_new_sim(ctx->db) : zw_clock_new_real();
    zw_err_t err;
    if (!ctx->db || !ctx->defs || !ctx->clock || zw_wf_store_prepare(ctx->db, &err) != 0) {
        zw_wf_ctx_destroy(&ctx);
        return NULL;
    }
    return ctx;
}

void zw_wf_ctx_destroy(zw_wf_ctx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_wf_ctx_t *ctx = *self_p;
    if (ctx->defs)
        for (size_t i = 0; i < S_CACHE; i++)
            zw_wf_def_destroy(&ctx->defs->slot[i].def);
    free(ctx->defs);
    zw_clock_destroy(&ctx->clock);
    zw_db_destroy(&ctx->db);
    free(ctx);
    *self_p = NULL;
}

const zw_wf_def_t *zw_wf_defs_get(zw_wf_ctx_t *ctx, const char *code, int version, zw_err_t *err)
{
    for (size_t i = 0; i < S_CACHE; i++) {
        s_cached_t *c = &ctx->defs->slot[i];
        if (c->def && c->version == version && strcmp(c->code, code) == 0)
            return c->def;
    }
    char *body = NULL;
    int found = 0;
    zw_err_t perr;
    if (zw_wf_store_def_get(ctx->db, code, version, &body, &found, &perr) != 0) {
        /* not the request's code: the instance's (or the pick's) definition
         * is gone from the store */
        if (perr.code == ZW_NOT_FOUND)
            zw_err_setd(err, ZW_FAILED_PRECONDITION, "definition",
                        "definition %s v%d is not stored", code, version);
        else if (err)
            *err = perr;
        return NULL;
    }
    zw_wf_def_t *def = zw_wf_def_parse(body, strlen(body), &perr);
    free(body);
    if (!def) {
        zw_err_setd(err, ZW_FAILED_PRECONDITION, "definition",
                    "definition %s v%d does not load: %s", code, version, perr.message);
        return NULL;
    }
    if (strcmp(def->code, code) != 0 || def->version != version) {
        zw_err_setd(err, ZW_FAILED_PRECONDITION, "definition",
                    "definition %s v%d holds the text of %s v%d", code, version, def->code,
                    def->version);
        zw_wf_def_destroy(&def);
        return NULL;
    }
    s_cached_t *c = &ctx->defs->slot[ctx->defs->next++ % S_CACHE];
    zw_wf_def_destroy(&c->def);
    snprintf(c->code, sizeof c->code, "%s", code);
    c->version = version;
    c->def = def;
    return def;
}

/* ------------------------------------------------------------------ derived */

void zw_wf_derive(const zw_wf_clocks_t *c, const zw_wf_instance_t *inst, zw_wf_derived_t *d)
{
    const zw_wf_clock_t *pr = zw_wf_clocks_find(c, ZW_WF_CLOCK_PROMISED, 0);
    const zw_wf_clock_t *st = zw_wf_clocks_find(c, ZW_WF_CLOCK_STATUTORY, 0);
    d->promised_due = pr ? pr->due_us : ZW_WF_NONE;
    d->promised_warn = pr ? pr->warn_us : ZW_WF_NONE;
    d->statutory_due = st ? st->due_us : ZW_WF_NONE;
    d->statutory_warn = st ? st->warn_us : ZW_WF_NONE;
    d->due = d->promised_due;
    if (d->due == ZW_WF_NONE || (d->statutory_due != ZW_WF_NONE && d->statutory_due < d->due))
        d->due = d->statutory_due;
    for (int t = 0; t < ZW_WF_MAX_TRACKS; t++) {
        const zw_wf_clock_t *b = t > 0 ? zw_wf_clocks_find(c, ZW_WF_CLOCK_BRANCH, t) : NULL;
        d->track_due[t] = b ? b->due_us : ZW_WF_NONE;
        d->track_warn[t] = b ? b->warn_us : ZW_WF_NONE;
        d->track_stuck[t] = t < inst->ntracks ? c->stuck_us[t] : ZW_WF_NONE;
    }
    zw_wf_alarm_t al[3 * ZW_WF_MAX_CLOCKS + ZW_WF_MAX_TRACKS];
    size_t n = zw_wf_alarms(c, inst, al, sizeof al / sizeof al[0]);
    /* Every alarm the instance could raise, passed or not: the sweeper's
     * unique keys drop those raised before, and then sets the next one
     * to come. */
    d->next_check = zw_wf_alarms_next(al, n, INT64_MIN);
}

/* ------------------------------------------------------------------ events */

static int s_append(zw_db_t *db, const ProtobufCMessage *msg, const char *receipt, int64_t at_us,
                    zw_err_t *err)
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t stack[512];
    uint8_t *buf = len <= sizeof stack ? stack : malloc(len);
    if (!buf)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_pack(msg, buf);
    int rc =
        zw_outbox_append(db, ZW_WF_STREAM, msg->descriptor->name, receipt, at_us, buf, len, err);
    if (buf != stack)
        free(buf);
    return rc;
}

static Zwfw__V1__Timestamp *s_ts(Zwfw__V1__Timestamp *ts, int64_t us)
{
    if (us == ZW_WF_NONE)
        return NULL;
    zwfw__v1__timestamp__init(ts);
    int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    ts->seconds = s;
    ts->nanos = (int32_t) ((us - s * 1000000) * 1000);
    return ts;
}

/* ProcessCompleted.reason: at most this many characters of the comment,
 * well-formed UTF-8, so the event stays small and fits the reasons intake
 * and xregion pass on. The history keeps the comment whole. */
#define S_REASON_CHARS 1000

static int64_t s_due_of(const zw_wf_clocks_t *c, zw_wf_clock_kind_t kind, int track)
{
    const zw_wf_clock_t *k = zw_wf_clocks_find(c, kind, track);
    return k ? k->due_us : ZW_WF_NONE;
}

/* The event for one effect (HISTORY of the main line's start: none, the
 * ProcessStarted event says it). */
static int s_event(zw_wf_ctx_t *ctx, const zw_wf_instance_t *inst, const zw_wf_clocks_t *c,
                   const zw_wf_effect_t *e, const zw_wf_step_t *step, zw_err_t *err)
{
    const zw_wf_track_t *tr = &inst->tracks[e->track];
    int64_t now = step->now_us;
    Zwfw__V1__Timestamp at, t1, t2, t3;
    s_ts(&at, now);
    char *receipt = (char *) inst->receipt;
    char *branch = (char *) tr->name;
    switch (e->type) {
    case ZW_WF_FX_STARTED: {
        Zwfw__V1__ProcessStarted m = ZWFW__V1__PROCESS_STARTED__INIT;
        m.receipt_number = receipt;
        m.at = &at;
        m.instance_id = inst->id;
        m.definition_code = (char *) inst->def_code;
        m.definition_version = inst->def_version;
        m.department_code = (char *) inst->department;
        m.promised_due_at = s_ts(&t1, s_due_of(c, ZW_WF_CLOCK_PROMISED, 0));
        m.statutory_due_at = s_ts(&t2, s_due_of(c, ZW_WF_CLOCK_STATUTORY, 0));
        m.process_state = (char *) inst->tracks[0].state;
        return s_append(ctx->db, &m.base, receipt, now, err);
    }
    case ZW_WF_FX_HISTORY: {
        if (e->track == 0 && strcmp(e->action, "start") == 0)
            return 0;
        Zwfw__V1__ActionTaken m = ZWFW__V1__ACTION_TAKEN__INIT;
        m.receipt_number = receipt;
        m.state = (Zwfw__V1__ApplicationState) e->app_state;
        m.at = &at;
        m.instance_id = inst->id;
        m.branch = branch;
        m.action = (char *) e->action;
        m.from_state = (char *) e->from;
        m.to_state = (char *) e->to;
        m.actor = (char *) (step->actor ? step->actor : "");
        m.caller_role = step->caller ? step->caller->role : ZWFW__V1__ROLE__ROLE_SYSTEM;
        m.department_code = (char *) tr->department;
        m.history_seq = e->seq;
        m.materials = e->with_comment ? (int32_t) step->n_materials : 0;
        return s_append(ctx->db, &m.base, receipt, now, err);
    }
    case ZW_WF_FX_PAUSED: {
        const zw_wf_pause_t *p = &inst->pauses[e->pause];
        Zwfw__V1__ProcessPaused m = ZWFW__V1__PROCESS_PAUSED__INIT;
        m.receipt_number = receipt;
        m.state = (Zwfw__V1__ApplicationState) e->app_state;
        m.at = &at;
        m.instance_id = inst->id;
        m.branch = branch;
        m.kind = (Zwfw__V1__PauseKind) p->kind;
        m.process_state = (char *) p->state;
        return s_append(ctx->db, &m.base, receipt, now, err);
    }
    case ZW_WF_FX_RESUMED: {
        const zw_wf_pause_t *p = &inst->pauses[e->pause];
        int64_t minutes = 0;
        if (zw_wf_pause_minutes(&ctx->settings->clock, p, now, &minutes, err) != 0)
            return -1;
        Zwfw__V1__ProcessResumed m = ZWFW__V1__PROCESS_RESUMED__INIT;
        m.receipt_number = receipt;
        m.state = (Zwfw__V1__ApplicationState) e->app_state;
        m.at = &at;
        m.instance_id = inst->id;
        m.branch = branch;
        m.kind = (Zwfw__V1__PauseKind) p->kind;
        m.paused_minutes = minutes;
        m.promised_due_at = s_ts(&t1, s_due_of(c, ZW_WF_CLOCK_PROMISED, 0));
        m.statutory_due_at = s_ts(&t2, s_due_of(c, ZW_WF_CLOCK_STATUTORY, 0));
        m.branch_due_at = e->track ? s_ts(&t3, s_due_of(c, ZW_WF_CLOCK_BRANCH, e->track)) : NULL;
        return s_append(ctx->db, &m.base, receipt, now, err);
    }
    case ZW_WF_FX_EXTENDED: {
        const zw_wf_def_t *def = zw_wf_defs_get(ctx, inst->def_code, inst->def_version, err);
        if (!def)
            return -1;
        Zwfw__V1__TimeLimit ext = ZWFW__V1__TIME_LIMIT__INIT;
        ext.amount = def->extension.amount;
        ext.unit = (Zwfw__V1__LimitUnit) def->extension.unit;
        Zwfw__V1__ProcessExtended m = ZWFW__V1__PROCESS_EXTENDED__INIT;
        m.receipt_number = receipt;
        m.at = &at;
        m.instance_id = inst->id;
        m.extension = &ext;
        m.reason = (char *) (step->comment ? step->comment : "");
        m.statutory_due_at = s_ts(&t1, s_due_of(c, ZW_WF_CLOCK_STATUTORY, 0));
        m.actor = (char *) (step->actor ? step->actor : "");
        return s_append(ctx->db, &m.base, receipt, now, err);
    }
    case ZW_WF_FX_BRANCH_DONE: {
        Zwfw__V1__BranchCompleted m = ZWFW__V1__BRANCH_COMPLETED__INIT;
        m.receipt_number = receipt;
        m.at = &at;
        m.instance_id = inst->id;
        m.branch = branch;
        m.department_code = (char *) tr->department;
        m.outcome = (Zwfw__V1__ProcessOutcome) e->outcome;
        return s_append(ctx->db, &m.base, receipt, now, err);
    }
    case ZW_WF_FX_COMPLETED: {
        Zwfw__V1__ProcessCompleted m = ZWFW__V1__PROCESS_COMPLETED__INIT;
        m.receipt_number = receipt;
        m.state = (Zwfw__V1__ApplicationState) e->app_state;
        m.at = &at;
        m.instance_id = inst->id;
        m.outcome = (Zwfw__V1__ProcessOutcome) e->outcome;
        m.process_state = (char *) inst->tracks[0].state;
        m.department_code = (char *) inst->department;
        m.item_code = (char *) inst->item_code;
        m.item_version = inst->item_version;
        char reason[ZW_WIRE_TEXT_CLIP_BYTES(S_REASON_CHARS)];
        m.reason = zw_wire_text_clip(e->reason, S_REASON_CHARS, false, reason);
        return s_append(ctx->db, &m.base, receipt, now, err);
    }
    }
    return 0;
}

/* ------------------------------------------------------------------ the step */

static int s_history(zw_wf_ctx_t *ctx, const zw_wf_instance_t *inst, const zw_wf_effect_t *e,
                     const zw_wf_step_t *step, zw_err_t *err)
{
    const Zwfw__V1__Caller *caller = step->caller;
    uint8_t *mat = NULL;
    size_t mat_len = 0;
    if (e->with_comment && step->n_materials > 0) {
        Zwfw__V1__HistoryEntry h = ZWFW__V1__HISTORY_ENTRY__INIT;
        h.n_materials = step->n_materials;
        h.materials = step->materials;
        mat_len = protobuf_c_message_get_packed_size(&h.base);
        mat = malloc(mat_len);
        if (!mat)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        protobuf_c_message_pack(&h.base, mat);
    }
    zw_wf_history_t h = {
        .seq = e->seq,
        .track = e->track,
        .branch = inst->tracks[e->track].name,
        .action = e->action,
        .from_state = e->from,
        .to_state = e->to,
        .actor = step->actor ? step->actor : ZW_WF_PRODUCER,
        .caller_key_id = caller && caller->key_id ? caller->key_id : "",
        .caller_role = caller ? caller->role : ZWFW__V1__ROLE__ROLE_SYSTEM,
        .comment = e->with_comment && step->comment ? step->comment : "",
        .materials = mat,
        .materials_len = mat_len,
        .at_us = step->now_us,
    };
    int rc = zw_wf_store_history_add(ctx->db, inst->id, &h, err);
    free(mat);
    return rc;
}

static const char *s_role(int role)
{
    const char *r = zw_access_role_name(role);
    return r ? r : "";
}

int zw_wf_step_commit(zw_wf_ctx_t *ctx, const zw_wf_def_t *def, zw_wf_instance_t *inst, bool is_new,
                      const zw_wf_effects_t *fx, const zw_wf_step_t *step, zw_wf_clocks_t *clocks,
                      bool *inserted, int64_t *entry_seq, zw_err_t *err)
{
    zw_wf_clocks_t local;
    zw_wf_clocks_t *c = clocks ? clocks : &local;
    if (zw_wf_clocks_compute(&ctx->settings->clock, def, inst, step->now_us, c, err) != 0)
        return -1;
    if (inserted)
        *inserted = true;
    if (is_new) {
        bool ok = false;
        if (zw_wf_store_insert(ctx->db, inst, step->now_us, &ok, err) != 0)
            return -1;
        if (!ok) {
            if (inserted)
                *inserted = false;
            return 0;
        }
    }
    zw_wf_derived_t d;
    zw_wf_derive(c, inst, &d);
    if (zw_wf_store_save(ctx->db, inst, &d, step->now_us, err) != 0)
        return -1;
    const char *first = NULL;
    if (entry_seq)
        *entry_seq = 0;
    for (size_t i = 0; i < fx->n; i++) {
        const zw_wf_effect_t *e = &fx->fx[i];
        if (e->type == ZW_WF_FX_HISTORY) {
            if (s_history(ctx, inst, e, step, err) != 0)
                return -1;
            if (!first)
                first = e->action;
            if (entry_seq && e->with_comment && *entry_seq == 0)
                *entry_seq = e->seq;
        }
        if (s_event(ctx, inst, c, e, step, err) != 0)
            return -1;
    }
    /* One audit entry per step; only digests of the state are kept. */
    char action[96], after[256];
    snprintf(action, sizeof action, "workflow.%s", first ? first : "step");
    int n = snprintf(after, sizeof after, "%d|%d|%d", (int) inst->status, (int) inst->outcome,
                     inst->extensions);
    for (int t = 0; t < inst->ntracks && n > 0 && (size_t) n < sizeof after; t++)
        n += snprintf(after + n, sizeof after - (size_t) n, "|%s:%s", inst->tracks[t].name,
                      inst->tracks[t].state);
    const Zwfw__V1__Caller *caller = step->caller;
    zw_audit_entry_t a = {
        .at_us = step->now_us,
        .actor = step->actor && *step->actor ? step->actor : ZW_WF_PRODUCER,
        .caller_key_id = caller && caller->key_id ? caller->key_id : "",
        .caller_role = caller ? s_role(caller->role) : "system",
        .action = action,
        .object_type = "workflow.instance",
        .object_id = inst->receipt,
        .after = after,
        .after_len = strlen(after),
    };
    return zw_audit_append(ctx->db, &a, err);
}

/* ------------------------------------------------------------------ definitions */

static int s_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

typedef struct {
    const zw_wf_def_t *def;
    const char *body;
    int64_t now_us;
    bool created;
} s_put_t;

static int s_put_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_put_t *p = arg;
    return zw_wf_store_def_put(db, p->def, p->body, ZW_WF_PRODUCER, p->now_us, &p->created, err);
}

static char *s_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4097 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

int zw_wf_load_definitions(zw_wf_ctx_t *ctx, const char *dir, int *loaded, zw_err_t *err)
{
    *loaded = 0;
    DIR *d = opendir(dir);
    if (!d)
        return zw_err_setd(err, ZW_NOT_FOUND, "definitions_dir", "cannot open %s", dir);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], s_cmp_str);
    int64_t now = 0;
    zw_err_t cerr;
    if (zw_clock_now(ctx->clock, &now, &cerr) != 0)
        now = zw_wall_us(); /* a simulated clock not set yet: only a record */
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i] ? names[i] : "");
        char *body = names[i] ? s_read(path) : NULL;
        zw_err_t perr;
        zw_wf_def_t *def = body ? zw_wf_def_parse(body, strlen(body), &perr) : NULL;
        if (def && zw_wf_def_check_limits(
                       def, zw_workhours_minutes_per_day(&ctx->settings->clock.hours), &perr) != 0)
            zw_wf_def_destroy(&def);
        if (!def) {
            zw_logkv(ZW_LOG_ERROR, "definition refused", "file", path, "reason",
                     body ? perr.message : "cannot read it", "detail", body ? perr.detail : "",
                     NULL);
        } else {
            s_put_t put = {.def = def, .body = body, .now_us = now};
            char version[16];
            snprintf(version, sizeof version, "%d", def->version);
            if (zw_db_tx(ctx->db, false, s_put_tx, &put, &perr) != 0) {
                zw_logkv(perr.code == ZW_ALREADY_EXISTS ? ZW_LOG_ERROR : ZW_LOG_WARN,
                         "definition not stored", "file", path, "code", def->code, "version",
                         version, "reason", perr.message, NULL);
                if (perr.code == ZW_UNAVAILABLE && rc == 0) {
                    if (err)
                        *err = perr;
                    rc = -1;
                }
            } else {
                (*loaded)++;
                zw_logkv(ZW_LOG_INFO, put.created ? "definition stored" : "definition in force",
                         "code", def->code, "version", version, "file", path, NULL);
            }
        }
        zw_wf_def_destroy(&def);
        free(body);
        free(names[i]);
    }
    return rc;
}

/* ------------------------------------------------------------------ a new process */

static void s_copy_str(char *dst, size_t size, const char *src)
{
    size_t n = src ? strnlen(src, size - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = '\0';
}

static const char *s_unit(zw_wf_limit_t l)
{
    return l.unit == ZW_LIMIT_HOURS ? "hours" : "working days";
}

/* DOMAIN.md: the promised limit is never longer than the statutory one,
 * whenever the application was accepted (common/time_limits.h, the rule
 * the catalog applies too). Limits here are none (amount 0) or positive
 * in a known unit, as the definition parser and the request decoders make
 * them, so "not comparable" (-1) does not arise; it would pass, as a
 * missing limit does. */
static bool s_promise_too_long(zw_wf_limit_t p, zw_wf_limit_t st, int mpd)
{
    zw_time_limit_t a = {p.amount, (int) p.unit}, b = {st.amount, (int) st.unit};
    return zw_time_limits_longer(a, b, mpd) == 1;
}

int zw_wf_begin(zw_wf_ctx_t *ctx, const zw_wf_begin_t *b, const zw_wf_step_t *step,
                zw_wf_instance_t *inst, const zw_wf_def_t **def_out, zw_wf_clocks_t *clocks,
                bool *inserted, zw_err_t *err)
{
    memset(inst, 0, sizeof *inst);
    char *code = NULL, *body = NULL;
    int version = 0;
    if (zw_wf_store_def_pick(ctx->db, b->item_code, b->definition_code, &code, &version, &body,
                             err) != 0)
        return -1;
    free(body); /* the cache parses it once per thread */
    const zw_wf_def_t *def = zw_wf_defs_get(ctx, code, version, err);
    free(code);
    if (!def)
        return -1;
    if (def_out)
        *def_out = def;
    s_copy_str(inst->receipt, sizeof inst->receipt, b->receipt);
    s_copy_str(inst->def_code, sizeof inst->def_code, def->code);
    inst->def_version = def->version;
    s_copy_str(inst->item_code, sizeof inst->item_code, b->item_code);
    inst->item_version = b->item_version;
    s_copy_str(inst->department, sizeof inst->department, b->department);
    s_copy_str(inst->region, sizeof inst->region, b->region);
    inst->waiver = b->waiver;
    inst->accepted_us = b->accepted_us;
    inst->promised.limit = b->promised.amount > 0 ? b->promised : def->promised;
    inst->statutory.limit = b->statutory.amount > 0 ? b->statutory : def->statutory;
    const zw_wf_clock_env_t *env = &ctx->settings->clock;
    if (s_promise_too_long(inst->promised.limit, inst->statutory.limit,
                           zw_workhours_minutes_per_day(&env->hours))) {
        zw_wf_limit_t p = inst->promised.limit, st = inst->statutory.limit;
        if (step->caller) /* StartProcess: the caller's mistake */
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "promised_limit",
                               "promised limit (%d %s) is longer than the statutory limit (%d %s)",
                               p.amount, s_unit(p), st.amount, s_unit(st));
        /* an accepted application (intake's event) still gets its process:
         * the law's limit bounds the promise */
        zw_logkv(ZW_LOG_WARN, "promised limit longer than the statutory one; held to it", "receipt",
                 b->receipt, NULL);
        inst->promised.limit = st;
    }
    if ((inst->promised.limit.amount > 0 &&
         zw_wf_grant_start(env, b->accepted_us, inst->promised.limit, &inst->promised.start_us,
                           err) != 0) ||
        (inst->statutory.limit.amount > 0 &&
         zw_wf_grant_start(env, b->accepted_us, inst->statutory.limit, &inst->statutory.start_us,
                           err) != 0))
        return -1;
    zw_wf_effects_t fx;
    if (zw_wf_start(def, inst, step->now_us, &fx, err) != 0)
        return -1;
    return zw_wf_step_commit(ctx, def, inst, true, &fx, step, clocks, inserted, NULL, err);
}
