/* zw_audit: the append-only, hash-chained audit log (DESIGN.md "Audit").
 *
 * Every state change appends one entry in the same transaction as the
 * change (zw_audit_append, into audit.pending). A chainer, run by every
 * daemon's loop like the relay (zw_audit_chain), moves pending entries into
 * audit.log in id order under pg_try_advisory_xact_lock(ZW_EVENTS_LOCK_AUDIT,
 * 0), numbering them seq 1, 2, 3... and hashing each one; audit.head holds
 * the last seq and hash, so removing rows from the end is detected too.
 * Appenders never wait for each other (docs/decisions-events.md has the
 * measurement against an advisory lock around the append).
 *
 * Hash of a row (version 1), lowercase hex of SHA-256 over the bytes
 *   "zwfw-audit-v1\n"
 * followed, for each field in this order:
 *   seq, at_us, actor, caller_key_id, caller_role, action, object_type,
 *   object_id, before_digest, after_digest, prev_hash
 * by "<length in bytes, decimal>:<the field's bytes>\n". Integers are
 * written in decimal ("-" for negatives, no leading zeros); text is UTF-8
 * as stored. prev_hash is the previous row's hash; the first row's is 64
 * zeros. Length prefixes make the encoding unambiguous whatever the text
 * holds. */
#ifndef ZW_AUDIT_H
#define ZW_AUDIT_H

#include "db.h"
#include "error.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZW_AUDIT_HASH_LEN 64 /* hex characters, without the NUL */

typedef struct {
    int64_t at_us;             /* business time of the change */
    const char *actor;         /* the staff member or daemon that acted; required */
    const char *caller_key_id; /* from zwfw.v1.Caller; "" when none */
    const char *caller_role;   /* e.g. "window"; "" when none */
    const char *action;        /* e.g. "application.accept"; required */
    const char *object_type;   /* e.g. "application"; required */
    const char *object_id;     /* required */
    /* The object's state before and after (any stable encoding, e.g. its
     * protobuf bytes). Only their SHA-256 digests are stored, so the audit
     * log holds no personal data. NULL means none (creation, deletion):
     * the digest is then "". */
    const void *before;
    size_t before_len;
    const void *after;
    size_t after_len;
} zw_audit_entry_t;

/* Lowercase hex SHA-256 of data into out (65 bytes with the NUL). */
void zw_audit_digest(const void *data, size_t len, char out[ZW_AUDIT_HASH_LEN + 1]);

/* Appends e on db's current transaction (call it inside the zw_db_tx body
 * that makes the change). INVALID_ARGUMENT, writing nothing, when a
 * required field is empty or a text field is longer than 200 bytes. */
int zw_audit_append(zw_db_t *db, const zw_audit_entry_t *e, zw_err_t *err);

/* zw_audit_append for a change a request made: the actor it names (or,
 * when it names none, the caller's key id), the caller's key id and role,
 * and after's protobuf bytes as the state after (NULL: none). */
int zw_audit_request(zw_db_t *db, const Zwfw__V1__Caller *caller, const char *actor, int64_t at_us,
                     const char *action, const char *object_type, const char *object_id,
                     const ProtobufCMessage *after, zw_err_t *err);

#define ZW_AUDIT_CHAIN_BATCH 1000

/* Chains up to `batch` pending entries (0 means ZW_AUDIT_CHAIN_BATCH) in
 * one transaction. *chained (may be NULL) receives how many; > 0 means
 * call again soon; a full batch means more are waiting.
 * When another replica holds the chain lock it does nothing (0). */
int zw_audit_chain(zw_db_t *db, int batch, size_t *chained, zw_err_t *err);

/* A chained row as text, as stored. */
typedef struct {
    const char *seq, *at_us, *actor, *caller_key_id, *caller_role, *action, *object_type,
        *object_id, *before_digest, *after_digest, *prev_hash;
} zw_audit_row_t;

/* The row's hash as defined above. */
void zw_audit_row_hash(const zw_audit_row_t *row, char out[ZW_AUDIT_HASH_LEN + 1]);

typedef struct {
    bool ok;
    int64_t rows;      /* rows that checked out before the first bad one */
    int64_t bad_seq;   /* the first row that does not match; 0 when ok */
    char problem[256]; /* what is wrong with row bad_seq; "" when ok */
    int64_t head_seq;  /* the chain head record */
    char head_hash[ZW_AUDIT_HASH_LEN + 1];
    int64_t pending; /* entries appended but not chained yet */
} zw_audit_report_t;

/* Walks audit.log in seq order: every seq present from 1, each prev_hash
 * equal to the previous row's hash, each hash equal to the hash of the
 * row's contents, and the head record equal to the last row. With
 * anchor_seq > 0, the row anchor_seq must also carry anchor_hash (a head
 * written down earlier, outside the database: this catches a chain
 * rewritten with fresh hashes). Fills *report and returns 0 whether or not
 * the chain is intact; -1 with *err only when the database failed. */
int zw_audit_verify(zw_db_t *db, int64_t anchor_seq, const char *anchor_hash,
                    zw_audit_report_t *report, zw_err_t *err);

#endif
