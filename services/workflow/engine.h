/* zw_wf_engine: an instance's state machine over plain structs. No I/O:
 * the store loads a zw_wf_instance_t, the engine changes it and lists what
 * happened (effects), the store saves it and turns effects into history
 * rows, events and audit entries.
 *
 * An instance has tracks: track 0 is the main line of the definition's
 * main flow; a fork state starts one track per branch (1..n), each running
 * the fork's flow with its own department, clock and history. When every
 * branch is done the main line enters the fork's join state; a rejected
 * branch sends it to on_reject at once when the definition says so (the
 * other branches are cancelled).
 *
 * Pauses are intervals [start, end) kept on the instance (end open while
 * the track stays in a pausing state); clocks.h turns them into due
 * times. Times are microseconds of business time. */
#ifndef ZW_WF_ENGINE_H
#define ZW_WF_ENGINE_H

#include "definition.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZW_WF_MAX_TRACKS (1 + ZW_WF_MAX_BRANCHES)
#define ZW_WF_DEPT_MAX 72
#define ZW_WF_RECEIPT_MAX 64
#define ZW_WF_OPEN INT64_MAX /* end of a pause still open */
#define ZW_WF_MAX_EFFECTS 96

typedef enum { ZW_WF_STATUS_OPEN = 1, ZW_WF_STATUS_CLOSED = 2 } zw_wf_status_t;

typedef struct {
    char name[ZW_WF_NAME_MAX + 1]; /* "" for the main line */
    char label[128];
    char department[ZW_WF_DEPT_MAX];
    char state[ZW_WF_NAME_MAX + 1];
    char prev_state[ZW_WF_NAME_MAX + 1]; /* where "@return" goes */
    int64_t entered_us;
    int64_t entered_seq; /* history seq of the entry */
    bool done;
    zw_wf_outcome_t outcome;
    /* A branch's own clock (track > 0 with a fork limit): */
    zw_wf_limit_t limit;
    int64_t clock_start_us;
    bool dirty; /* changed since loaded (the store saves these) */
} zw_wf_track_t;

typedef struct {
    int64_t id; /* 0 until stored */
    int track;
    zw_wf_pause_kind_t kind;
    char state[ZW_WF_NAME_MAX + 1];
    int64_t start_us, end_us; /* end_us ZW_WF_OPEN while open */
    bool dirty;
} zw_wf_pause_t;

/* One instance clock's grant: the limit and where its budget starts. */
typedef struct {
    zw_wf_limit_t limit;
    int64_t start_us;
} zw_wf_grant_t;

typedef struct {
    int64_t id;
    char receipt[ZW_WF_RECEIPT_MAX];
    char def_code[65];
    int def_version;
    char item_code[128];
    int item_version;
    char department[ZW_WF_DEPT_MAX]; /* lead department */
    char region[16];
    bool waiver;
    zw_wf_status_t status;
    zw_wf_outcome_t outcome;
    int app_state; /* last national state published */
    int64_t accepted_us, started_us, closed_us;
    zw_wf_grant_t promised, statutory;
    int64_t extension_min; /* added to the statutory budget */
    int extensions;
    int64_t next_seq; /* next history seq */
    zw_wf_track_t tracks[ZW_WF_MAX_TRACKS];
    int ntracks;
    zw_wf_pause_t *pauses; /* owned; free with zw_wf_instance_clear */
    size_t npauses, cap_pauses;
} zw_wf_instance_t;

/* Frees the pauses array; the struct may then be reused. */
void zw_wf_instance_clear(zw_wf_instance_t *inst);

/* Appends a pause (copied). -1 when out of memory. */
int zw_wf_instance_add_pause(zw_wf_instance_t *inst, const zw_wf_pause_t *p);

/* Track by branch name ("" main); -1 when none. */
int zw_wf_instance_track(const zw_wf_instance_t *inst, const char *branch);

/* Who acts. role is a zwfw.v1.Role value; `trigger` marks actions intake
 * forwarded through its events (the daemon acts for the applicant, so the
 * role check is skipped; the definition's trigger field decides). */
typedef struct {
    int role;
    const char *department;
    const char *region;
    const char *key_id;
    const char *actor;
    bool trigger;
} zw_wf_actor_t;

typedef enum {
    ZW_WF_FX_HISTORY = 1, /* a history entry (every step) */
    ZW_WF_FX_PAUSED,      /* a pause opened */
    ZW_WF_FX_RESUMED,     /* a pause closed */
    ZW_WF_FX_EXTENDED,    /* the statutory limit was extended */
    ZW_WF_FX_BRANCH_DONE, /* a branch reached a terminal state */
    ZW_WF_FX_COMPLETED,   /* the instance ended */
    ZW_WF_FX_STARTED,     /* the instance started */
} zw_wf_fx_type_t;

typedef struct {
    zw_wf_fx_type_t type;
    int track;
    char action[ZW_WF_NAME_MAX + 1]; /* HISTORY: action name, or start/join/cancel */
    char from[ZW_WF_NAME_MAX + 1];
    char to[ZW_WF_NAME_MAX + 1];
    int64_t seq;   /* HISTORY: its seq */
    int app_state; /* the national state after this step; 0: unchanged */
    size_t pause;  /* PAUSED / RESUMED: index into inst->pauses */
    zw_wf_outcome_t outcome;
    bool with_comment; /* HISTORY: carries the request's comment and materials */
    /* COMPLETED: the decision's reason, the comment of the action that
     * closed the case when that action carries one ("reason": true, the
     * withdrawal trigger's action, revoke); NULL otherwise. Points at the
     * comment zw_wf_act was given (or zw_wf_trigger's stand-in text): valid
     * while that is. */
    const char *reason;
} zw_wf_effect_t;

typedef struct {
    zw_wf_effect_t fx[ZW_WF_MAX_EFFECTS];
    size_t n;
} zw_wf_effects_t;

/* Starts inst (identity fields, grants and accepted_us already filled):
 * the main line enters the definition's initial state at now_us, with its
 * history entry, STARTED and what entering the state causes (a pause, a
 * fork...). */
int zw_wf_start(const zw_wf_def_t *def, zw_wf_instance_t *inst, int64_t now_us, zw_wf_effects_t *fx,
                zw_err_t *err);

/* Takes `action` on track `branch` ("" main) for `who`. Every check comes
 * before any change, so a refused action leaves inst as it was. Errors:
 * FAILED_PRECONDITION (closed instance, finished branch, an action not
 * allowed from the current state, a second extension beyond the
 * definition's times), NOT_FOUND (no such branch or action),
 * PERMISSION_DENIED (role, department or region; extensions: head only),
 * INVALID_ARGUMENT (a reason required and missing). `minutes_per_day`
 * converts the extension. An INTERNAL error (an instance whose state its
 * definition does not know) may leave inst half changed: discard it. */
int zw_wf_act(const zw_wf_def_t *def, zw_wf_instance_t *inst, const char *branch,
              const char *action, const zw_wf_actor_t *who, const char *comment,
              int minutes_per_day, int64_t now_us, zw_wf_effects_t *fx, zw_err_t *err);

/* An applicant request intake forwarded: takes, on every open track whose
 * current state allows one, the action carrying `trigger` (withdrawal:
 * the main line only, as it ends the instance). *taken (may be NULL)
 * counts them; none is not an error (the request is only recorded). */
int zw_wf_trigger(const zw_wf_def_t *def, zw_wf_instance_t *inst, zw_wf_trigger_t trigger,
                  const zw_wf_actor_t *who, const char *comment, int minutes_per_day,
                  int64_t now_us, zw_wf_effects_t *fx, int *taken, zw_err_t *err);

/* The actions a track may take now (names into def; at most max). */
size_t zw_wf_available(const zw_wf_def_t *def, const zw_wf_instance_t *inst, int track,
                       const char **out, size_t max);

/* Whether a track is in a pausing state now. */
bool zw_wf_track_paused(const zw_wf_def_t *def, const zw_wf_instance_t *inst, int track);

/* National state of an outcome (11..14; 0 for none/cancelled). */
int zw_wf_outcome_app_state(zw_wf_outcome_t o);

#endif
