/* zw_idem: a daemon's idempotency records (docs/protocol.md section 5):
 * the first reply given to (caller key, idempotency key), kept in a table
 * of the daemon's own schema with the columns
 *   caller text, idempotency_key text, type text, digest text,
 *   reply bytea, created_at_us bigint, PRIMARY KEY (caller, idempotency_key)
 * and read and written inside the transaction that does the request's
 * work, so a record exists exactly when the work committed. */
#ifndef ZW_IDEM_H
#define ZW_IDEM_H

#include "db.h"
#include "error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Registers the statements for `table` ("schema.table", at most 100
 * bytes) on db. */
int zw_idem_prepare(zw_db_t *db, const char *table, zw_err_t *err);

/* *found false when the key is new; else *type, *digest and *reply
 * (malloc'd, the caller frees them) hold the first request's. */
int zw_idem_get(zw_db_t *db, const char *table, const char *caller, const char *key, bool *found,
                char **type, char **digest, uint8_t **reply, size_t *len, zw_err_t *err);

/* Records the first reply to a key. ALREADY_EXISTS "idempotency_key" when
 * a concurrent request under the key committed after the look-up. */
int zw_idem_put(zw_db_t *db, const char *table, const char *caller, const char *key,
                const char *type, const char *digest, const uint8_t *reply, size_t len,
                int64_t now_us, zw_err_t *err);

/* Serialises the requests under one (caller, key) until the transaction
 * ends (a transaction-scoped advisory lock): taken before zw_idem_replay,
 * concurrent copies of one request wait for the first and are answered
 * with its reply instead of colliding on the record. */
int zw_idem_lock(zw_db_t *db, const char *caller, const char *key, zw_err_t *err);

/* The look-up a request makes first: *reply (malloc'd) is the first reply
 * when the key answered this very request before (same type and digest
 * of its bytes), NULL when the key is new; ALREADY_EXISTS
 * "idempotency_key" when it answered another request. */
int zw_idem_replay(zw_db_t *db, const char *table, const char *caller, const char *key,
                   const char *type, const char *digest, uint8_t **reply, size_t *len,
                   zw_err_t *err);

#endif
