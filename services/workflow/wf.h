/* zwfw-workflow's pieces and what they share. main.c wires them:
 *
 *   definition.c  process definitions (pure)
 *   engine.c      the state machine (pure)
 *   clocks.c      legal clocks and alarm moments (pure, over the calendar)
 *   store.c       the SQL
 *   step.c        one committed step: clocks, rows, history, events, audit;
 *                 the per-thread definition cache
 *   view.c        instances and history as zwfw.v1 messages
 *   service.c     zwfw.workflow requests
 *   consumer.c    intake's events: start processes, forwarded requests
 *   sweeper.c     supervision alarms
 *   settings.c    the configuration table */
#ifndef ZW_WF_H
#define ZW_WF_H

#include "arena.h"
#include "clock.h"
#include "clocks.h"
#include "db.h"
#include "definition.h"
#include "engine.h"
#include "events.h"
#include "mdp_reply.h"
#include "store.h"
#include "zwfw/v1/workflow.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The stream workflow publishes, and the intake stream it follows. */
#define ZW_WF_STREAM "workflow"
#define ZW_WF_INTAKE_STREAM "intake"
#define ZW_WF_PRODUCER "zwfw-workflow"
#define ZW_WF_CONSUMER "workflow.on-intake"

/* Read-only after start, shared by every thread. */
typedef struct {
    zw_wf_clock_env_t clock; /* calendar, hours, warning threshold */
    int64_t sweep_retry_us;  /* business time before a failed sweep is retried */
    int sweep_batch;         /* instances per sweep round */
} zw_wf_settings_t;

typedef struct zw_wf_defcache zw_wf_defcache_t;

/* A thread's context: its own connection, clock and definition cache. */
typedef struct {
    zw_db_t *db;
    zw_clock_t *clock;
    const zw_wf_settings_t *settings;
    zw_wf_defcache_t *defs;
    int thread_index;
} zw_wf_ctx_t;

/* Makes a context on its own connection (not yet connected; zw_db
 * reconnects on use) and prepares the statements. NULL on failure. */
zw_wf_ctx_t *zw_wf_ctx_new(const char *conninfo, bool simulated, const zw_wf_settings_t *settings,
                           int thread_index);
void zw_wf_ctx_destroy(zw_wf_ctx_t **self_p);

/* The definition (code, version), parsed once per thread. A stored
 * definition that no longer parses is FAILED_PRECONDITION naming it. The
 * result belongs to the cache. */
const zw_wf_def_t *zw_wf_defs_get(zw_wf_ctx_t *ctx, const char *code, int version, zw_err_t *err);

/* What a committed step carries besides the engine's effects. */
typedef struct {
    const Zwfw__V1__Caller *caller; /* NULL: the daemon itself (intake's events) */
    const char *actor;
    const char *comment;
    Zwfw__V1__MaterialRef **materials;
    size_t n_materials;
    int64_t now_us;
} zw_wf_step_t;

/* Records one step on db's transaction: computes the clocks (into *clocks
 * when not NULL), saves the instance (inserting it first when is_new;
 * *inserted false then means the receipt already had a process and
 * nothing was written), writes a history row per entry, an event per
 * effect and one audit entry. *entry_seq (may be NULL) receives the seq
 * of the first history entry that carries the comment. */
int zw_wf_step_commit(zw_wf_ctx_t *ctx, const zw_wf_def_t *def, zw_wf_instance_t *inst, bool is_new,
                      const zw_wf_effects_t *fx, const zw_wf_step_t *step, zw_wf_clocks_t *clocks,
                      bool *inserted, int64_t *entry_seq, zw_err_t *err);

/* A new process for an accepted application. */
typedef struct {
    const char *receipt, *item_code, *department, *region;
    const char *definition_code; /* "" or NULL: by item, then the default */
    int item_version;
    int64_t accepted_us;
    zw_wf_limit_t promised, statutory; /* amount 0: the definition's */
    bool waiver;
} zw_wf_begin_t;

/* Picks the definition, starts the instance at step->now_us and commits
 * it (zw_wf_step_commit). *inserted false: the receipt already had a
 * process (nothing written). *def_out (may be NULL) gets the definition
 * (the cache's). Clear inst afterwards with zw_wf_instance_clear. */
int zw_wf_begin(zw_wf_ctx_t *ctx, const zw_wf_begin_t *b, const zw_wf_step_t *step,
                zw_wf_instance_t *inst, const zw_wf_def_t **def_out, zw_wf_clocks_t *clocks,
                bool *inserted, zw_err_t *err);

/* The clocks' stored form (for the scan, lists and the sweeper). */
void zw_wf_derive(const zw_wf_clocks_t *c, const zw_wf_instance_t *inst, zw_wf_derived_t *d);

/* ---- messages (view.c) ------------------------------------------------------ */

/* Replies are built in an arena (common/arena.h). */
typedef zw_arena_t zw_wf_arena_t;
#define zw_wf_arena_new zw_arena_new
#define zw_wf_arena_destroy zw_arena_destroy
#define zw_wf_arena_alloc zw_arena_alloc
#define zw_wf_arena_strdup zw_arena_strdup
/* NULL for ZW_WF_NONE */
static inline Zwfw__V1__Timestamp *zw_wf_arena_ts(zw_wf_arena_t *a, int64_t us)
{
    return us == ZW_WF_NONE ? NULL : zw_arena_ts(a, us);
}

/* The instance as a message, in the arena: clocks computed at now_us,
 * branches with their available actions, pauses (with_pauses), history
 * (history rows from zw_wf_store_history, or NULL). */
Zwfw__V1__Instance *zw_wf_view(zw_wf_arena_t *a, const zw_wf_ctx_t *ctx, const zw_wf_def_t *def,
                               const zw_wf_instance_t *inst, const zw_wf_clocks_t *clocks,
                               int64_t now_us, bool with_pauses, const PGresult *history);

/* One history row as a message, in the arena. */
Zwfw__V1__HistoryEntry *zw_wf_view_history(zw_wf_arena_t *a, const PGresult *res, int row);

/* ---- the service, the consumer, the sweeper ------------------------------------ */

/* zwfw.workflow requests (ctx is a zw_wf_ctx_t). */
void zw_wf_handle(void *ctx, const zw_request_t *req, zw_reply_t *reply);

/* A zw_event_handler_fn for intake's stream (arg: the loop's zw_wf_ctx_t):
 * ApplicationAccepted of a 承诺件 starts its process (once: the receipt
 * number is unique); ApplicationWithdrawalRequested and
 * ApplicationMaterialsSupplied (after acceptance) become the definition's
 * trigger actions. Other events are skipped. */
int zw_wf_on_intake_event(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err);

typedef struct {
    size_t swept;  /* instances looked at */
    size_t raised; /* alarms raised now */
    size_t failed; /* instances whose sweep failed */
} zw_wf_sweep_stats_t;

/* One sweep at business time now_us: claims due instances one at a time
 * (FOR UPDATE SKIP LOCKED, one transaction each), raises each alarm that
 * fell due and was not raised before, as an event, and sets the next
 * check. A failing instance is recorded and retried later; the others go
 * on. -1 only when the database is away. */
int zw_wf_sweep(zw_wf_ctx_t *ctx, int64_t now_us, zw_wf_sweep_stats_t *stats, zw_err_t *err);

/* Loads every *.json definition in dir, validates it and stores new
 * versions. A refused or conflicting file is logged and skipped; *loaded
 * counts the definitions in force from the folder. */
int zw_wf_load_definitions(zw_wf_ctx_t *ctx, const char *dir, int *loaded, zw_err_t *err);

#endif
