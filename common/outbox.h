/* zw_outbox: writing an event in the producer's own transaction.
 *
 * The event commits with the state change it describes or not at all; the
 * relay (relay.h) later numbers it and publishes it. Call it from inside a
 * zw_db_tx body, AFTER the statements that change (and so row-lock) the
 * aggregate: two transactions changing one aggregate then append in the
 * order they hold its lock, and the relay keeps that order (it numbers
 * outbox rows in id order, and ids are taken at append time).
 *
 * Events carry no personal data in clear (docs/events.md). */
#ifndef ZW_OUTBOX_H
#define ZW_OUTBOX_H

#include "db.h"
#include "error.h"
#include "events.h"

#include <stddef.h>
#include <stdint.h>

/* Appends one event to `stream`'s outbox on db's current transaction.
 * type is the payload's full message type name (e.g.
 * "zwfw.v1.ApplicationAccepted"); aggregate_id names the object (may be
 * ""); occurred_at_us is business time from the daemon's clock; payload
 * (len bytes, may be NULL when len is 0) is copied. A bad stream name, an
 * empty type, or a type or aggregate id longer than 200 bytes is
 * INVALID_ARGUMENT and nothing is written. Registers its prepared
 * statement on db on first use. Outside a transaction it commits on its
 * own, which defeats its purpose: don't. */
int zw_outbox_append(zw_db_t *db, const char *stream, const char *type, const char *aggregate_id,
                     int64_t occurred_at_us, const void *payload, size_t len, zw_err_t *err);

#endif
