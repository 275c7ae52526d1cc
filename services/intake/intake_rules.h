/* Intake's domain rules (DOMAIN.md "Intake and the clock"), as plain
 * functions over plain structs (the protobuf messages are plain C structs
 * here): request checks, the acceptance decision, the deemed-acceptance
 * rule, due times, receipt numbers and a bundle's derived state. No I/O,
 * no allocation except where a function says so; thread-safe. */
#ifndef ZW_INTAKE_RULES_H
#define ZW_INTAKE_RULES_H

#include "calendar.h"
#include "error.h"
#include "zwfw/v1/catalog.pb-c.h"
#include "zwfw/v1/intake.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- limits on what a request may carry (bytes unless said) ------------- */
#define ZW_INTAKE_MAX_KEY 128        /* idempotency key */
#define ZW_INTAKE_MAX_CODE 128       /* item, bundle and material codes */
#define ZW_INTAKE_MAX_NAME_CHARS 100 /* person or organization names, characters */
#define ZW_INTAKE_MAX_NAME 400       /* ... and bytes */
#define ZW_INTAKE_MAX_ADDRESS 600
#define ZW_INTAKE_MAX_WINDOW 64
#define ZW_INTAKE_MAX_MATERIALS 100 /* material references per request */
#define ZW_INTAKE_MAX_URI 1000
#define ZW_INTAKE_MAX_MEDIA 100
#define ZW_INTAKE_MAX_REASON 1000
#define ZW_INTAKE_MAX_RECEIPT 40
#define ZW_INTAKE_MAX_MATERIAL_BYTES (INT64_C(1) << 40) /* 1 TiB: a reference, not a file */

/* True for text made only of [A-Za-z0-9_.:-], 1..max bytes: keys, window
 * ids and codes are shown in logs, so nothing else gets in. (Actors are
 * people's names: zw_validate_actor.) */
bool zw_intake_token_ok(const char *text, size_t max);

/* A name or free text: valid UTF-8, no control characters, not empty when
 * `required`, at most max_chars characters and max_bytes bytes. */
bool zw_intake_text_ok(const char *text, bool required, size_t max_chars, size_t max_bytes);

/* An identity document number for its type (today = business date as
 * YYYYMMDD, for a resident ID's birth date). `person` requires a person's
 * document (types 1-5), otherwise an organization's (USCC). INVALID_ARGUMENT
 * with detail = path (e.g. "applicant.identity.id_number"); messages never
 * repeat the number. */
int zw_intake_check_identity(const Zwfw__V1__Identity *id, bool person, int today, const char *path,
                             zw_err_t *err);

/* The applicant and agent: kind, identity by kind, names, phone, address. */
int zw_intake_check_applicant(const Zwfw__V1__Applicant *a, int today, zw_err_t *err);

/* One material reference: code, sha256 (64 lower-case hex), size >= 0,
 * media type, uri, copies >= 0. path e.g. "materials[2]". */
int zw_intake_check_material(const Zwfw__V1__MaterialRef *m, const char *path, zw_err_t *err);

/* Material references handed in for a bundle (一件事) whose items are
 * items[0..n_items), or (bundle NULL) for an application of the one item
 * items[0]: codes[i] with for_items[i] (the item it is for, "" or NULL for
 * any). Material codes are each item's own, so a reference must name an
 * item of the bundle, or its code must mean the same document (the same
 * material name) in every item that asks for it; and some item (the one
 * named) must ask for the code: a reference to a material no item asks for
 * would be stored nowhere. 0, or -1 with INVALID_ARGUMENT and detail
 * "materials[i].item_code" or "materials[i].material_code". */
int zw_intake_bundle_refs_check(const char *const *codes, const char *const *for_items, size_t n,
                                Zwfw__V1__Item *const *items, size_t n_items, const char *bundle,
                                zw_err_t *err);

/* A list of material references (at most ZW_INTAKE_MAX_MATERIALS). */
int zw_intake_check_materials(Zwfw__V1__MaterialRef *const *refs, size_t n, const char *path,
                              zw_err_t *err);

/* The channel, and whether a caller of `role` (zwfw.v1.Role) may submit on
 * it: an integrator only for CHANNEL_OTHER_SYSTEM, the center's own roles
 * for every other channel. A window or kiosk submission names its window
 * or terminal. INVALID_ARGUMENT for a bad channel or a missing window id,
 * PERMISSION_DENIED (detail "channel") for a channel the role may not use. */
int zw_intake_check_channel(int role, int channel, const char *window_id, zw_err_t *err);

/* Everything a SubmitApplication must satisfy before anything is looked up
 * (the item's existence is checked later): the above plus key, actor,
 * exactly one of item_code and bundle_code, the commitment's codes. */
int zw_intake_check_submit(const Zwfw__V1__SubmitApplication *req, int role, int today,
                           zw_err_t *err);

/* An idempotency key and actor, for the other mutating requests. The actor
 * is checked by zw_validate_actor (validate.h), as in every service. */
int zw_intake_check_key_actor(const char *key, const char *actor, zw_err_t *err);

/* A receipt number as zw_intake_receipt_format makes them, with or without
 * a child suffix. */
bool zw_intake_receipt_ok(const char *text);

/* ---- the acceptance decision -------------------------------------------- */

typedef enum {
    ZW_INTAKE_NOT_ACCEPTED = 1, /* item cancelled: 不受理 (state 4) */
    ZW_INTAKE_INCOMPLETE,       /* one-time notice; waits in state 1 */
    ZW_INTAKE_ACCEPTED,         /* state 3 (承诺件), due times from the limits */
    ZW_INTAKE_ACCEPTED_WAIVER,  /* state 3 with 容缺 materials to supply by a date */
    ZW_INTAKE_COMPLETED,        /* 即办件: state 3 then 11 (12 with 容缺) at once */
} zw_intake_outcome_t;

/* What one item's material stands as, per item->materials[i]. */
typedef enum {
    ZW_MAT_NOT_NEEDED = 0, /* optional, not handed in */
    ZW_MAT_PRESENT,        /* handed in now, earlier, or on file */
    ZW_MAT_MISSING,        /* required and missing: on the one-time notice */
    ZW_MAT_WAIVED,         /* 容缺: missing, committed, to supply by a date */
    ZW_MAT_PROMISED,       /* 告知承诺制: replaced by the applicant's promise */
} zw_mat_status_t;

typedef struct {
    const Zwfw__V1__Item *item;
    const char *const *have; /* codes of materials handed in or on file */
    size_t n_have;
    bool commitment_signed;
    const char *const *committed; /* codes the commitment names */
    size_t n_committed;
    bool notify_commitment; /* 告知承诺制 asked for */
    bool on_credit_list;    /* excluded from 容缺 and 告知承诺 */
} zw_intake_case_t;

typedef struct {
    zw_intake_outcome_t outcome;
    size_t n_missing;   /* materials with ZW_MAT_MISSING */
    size_t n_waived;    /* ... ZW_MAT_WAIVED */
    size_t n_promised;  /* ... ZW_MAT_PROMISED */
    const char *reason; /* static text for the notice ("" when accepted) */
} zw_intake_decision_t;

/* Decides one application (DOMAIN.md): a cancelled item is not accepted; a
 * complete set is accepted (completed at once for a 即办件); missing
 * waivable materials are waived when the applicant signed a commitment
 * naming each of them and is not on the credit list (or promised under
 * 告知承诺制 where the item allows it); anything else gets the one-time
 * notice listing every missing material. status[i] (item->n_materials
 * entries, the caller's) receives each material's standing. */
void zw_intake_decide(const zw_intake_case_t *c, zw_mat_status_t *status,
                      zw_intake_decision_t *out);

/* ---- time rules ----------------------------------------------------------- */

/* The last moment (seconds since the epoch) a notice for an application
 * received at received_s is in time: 24:00 local of the `workdays`-th
 * working day after the local receipt date. */
int zw_intake_notice_deadline(const zw_calendar_t *cal, int workdays, int64_t received_s,
                              int64_t *deadline_s, zw_err_t *err);

/* The 5-working-day rule: *deemed = the application counts as accepted on
 * its receipt day, because no notice was given within `workdays` working
 * days of receipt (notice_s < 0: none yet, judged at now_s; a notice given
 * after the deadline was too late). */
int zw_intake_deemed(const zw_calendar_t *cal, int workdays, int64_t received_s, int64_t notice_s,
                     int64_t now_s, bool *deemed, zw_err_t *err);

/* Due moments of an item accepted at accepted_s: the promised and the
 * statutory limit through the working-minute budget (calendar.h). A limit
 * with amount 0 or no unit has no due time: -1. */
int zw_intake_due(const zw_calendar_t *cal, const zw_workhours_t *hours, const Zwfw__V1__Item *item,
                  int64_t accepted_s, int64_t *due_s, int64_t *statutory_s, zw_err_t *err);

/* ---- receipt numbers ------------------------------------------------------ */

/* "DIVISION-YYYYMMDD-NNNNNN" (at least six digits), e.g.
 * 500152-20201009-000123. division is 6 digits. -1 if it does not fit. */
int zw_intake_receipt_format(const char *division, zw_date_t day, int64_t number, char *out,
                             size_t outsz);

/* A bundle child's number: the parent's plus "-NN" (index from 1). */
int zw_intake_receipt_child(const char *parent, int index, char *out, size_t outsz);

/* ---- states --------------------------------------------------------------- */

/* States from which nothing moves on: 2, 4, 5, 11, 12, 13, 14, 15. */
bool zw_intake_state_final(int state);

/* True for states at or after acceptance that are not final (3, 6-10). */
bool zw_intake_state_in_process(int state);

/* A bundle parent's state from its children's (docs/decisions-intake.md):
 * any child waiting (1) -> 1; else any child in process -> 3; else every
 * child final: all 11/12 -> 11 (12 if any 12); all 2 -> 2; all 2/14 -> 14;
 * all 4 -> 4; all 5 -> 5; any other mix -> 13 (the bundle as a whole did
 * not go through). n == 0 -> 1. */
int zw_intake_parent_state(const int *child_states, size_t n);

/* A state from another daemon's event applies only if it is newer than
 * what the application shows (seq > last_seq). */
bool zw_intake_event_newer(int64_t last_seq, int64_t seq);

/* zwfw.v1.NoticeKind for an outcome. */
int zw_intake_notice_kind(zw_intake_outcome_t outcome);

#endif
