/* zwfw-intake following zwfw-workflow (DESIGN.md "Who decides an
 * application's state"): after acceptance workflow decides every transition
 * of a 承诺件, and intake applies each change to the application's public
 * state, publishing its own Application* event for it (intake alone
 * publishes those). An event older than what the application shows
 * (its workflow seq not above the row's last_seq) is ignored, so a replay
 * or a second replica of the consumer changes nothing. A bundle child's
 * change re-derives its parent.
 *
 * Every workflow event is read through zwfw.v1.ProcessEventHead (receipt,
 * national state, business time, instance); an event whose state is
 * unspecified (alarms, a branch's step) changes nothing. */
#ifndef ZW_INTAKE_FOLLOW_H
#define ZW_INTAKE_FOLLOW_H

#include "config.h"
#include "consumer.h"
#include "ctx.h"

/* The stream zwfw-workflow publishes and the consumer name intake's
 * replicas share for it. */
#define ZW_INTAKE_WORKFLOW_STREAM "workflow"
#define ZW_INTAKE_FOLLOW_CONSUMER "intake.on-workflow"

/* The consumer's handler (zw_event_handler_fn): arg is a zw_intake_ctx_t
 * whose db is the consumer's db (its statements prepared with
 * zw_intake_ctx_prepare). Events of other streams, events that do not
 * decode (logged: they never will), receipts intake does not know and
 * stale events are passed with 0. -1 with *err on a database failure (the
 * consumer rolls back and retries). */
int zw_intake_on_workflow_event(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err);

/* The settings the follower adds to intake's table (section "intake"):
 *   workflow_endpoints     comma list of zwfw-workflow's PUB endpoints
 *                          ("" = read events from the log alone)
 *   workflow_public_key    workflow's CURVE public key (file or Z85) when
 *                          its PUB is a CURVE server; needs
 *                          curve_secret_key_file
 *   workflow_quiet_ms      read the log after this long with nothing heard
 * The array is static. */
const zw_cfg_spec_t *zw_intake_follow_settings(size_t *count);

/* Intake's own settings table followed by the follower's, in one array
 * (malloc'd, free with free()); NULL when out of memory. */
zw_cfg_spec_t *zw_intake_follow_table(const zw_cfg_spec_t *base, size_t n_base, size_t *count);

#endif
