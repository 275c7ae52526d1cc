/* zw_pii: personal data at rest (DESIGN.md "Security"): ID numbers, phone
 * numbers and addresses are stored encrypted, and found again through a
 * keyed hash, never in clear.
 *
 * One 32-byte data key, kept in a file outside the repository (config
 * `pii_key_file`; deploy/zwfw makes it in $ZWFW_HOME/keys): 64 hex digits
 * and an optional newline, readable by its owner only. Two subkeys are
 * derived from it (crypto_kdf): one for XChaCha20-Poly1305 encryption, one
 * for BLAKE2b keyed hashing, so a hash never reveals anything about the
 * encryption key and the other way round.
 *
 * A sealed value is nonce (24 bytes) || ciphertext || tag (16 bytes). The
 * `label` (e.g. "id", "phone") is bound in as associated data, so a value
 * cannot be moved from one column to another unnoticed. Thread-safe once
 * made; the key lives in memory locked with sodium_mlock where allowed. */
#ifndef ZW_PII_H
#define ZW_PII_H

#include "error.h"

#include <stddef.h>
#include <stdint.h>

#define ZW_PII_KEY_BYTES 32
#define ZW_PII_HASH_BYTES 32
#define ZW_PII_OVERHEAD (24 + 16) /* nonce + tag */

typedef struct zw_pii zw_pii_t;

/* Reads the key file. NOT_FOUND if it cannot be read, PERMISSION_DENIED
 * if group or others may read it, INVALID_ARGUMENT if it is not 64 hex
 * digits. The message names the path, never the key. */
zw_pii_t *zw_pii_load(const char *path, zw_err_t *err);

/* From raw key bytes (copied), for tests. NULL if libsodium fails. */
zw_pii_t *zw_pii_new(const uint8_t key[ZW_PII_KEY_BYTES]);

/* Wipes the key. Accepts NULL; NULLs *self_p. */
void zw_pii_destroy(zw_pii_t **self_p);

/* Writes a new random key file (mode 0600) at path; ALREADY_EXISTS if the
 * file exists. For tools and tests. */
int zw_pii_keygen(const char *path, zw_err_t *err);

/* The keyed hash of `text` under `label` (e.g. "id:1" for a resident ID,
 * so equal numbers of different document types differ). */
void zw_pii_hash(const zw_pii_t *self, const char *label, const char *text,
                 uint8_t out[ZW_PII_HASH_BYTES]);

/* The same over len bytes of data (e.g. a request, for its idempotency
 * record). */
void zw_pii_hash_bytes(const zw_pii_t *self, const char *label, const void *data, size_t len,
                       uint8_t out[ZW_PII_HASH_BYTES]);

/* Encrypts text (its strlen bytes). *out (malloc'd; the caller frees) gets
 * strlen(text) + ZW_PII_OVERHEAD bytes. */
int zw_pii_seal(const zw_pii_t *self, const char *label, const char *text, uint8_t **out,
                size_t *outlen, zw_err_t *err);

/* Decrypts what zw_pii_seal made under the same label: a malloc'd,
 * NUL-terminated string the caller frees. DATA_LOSS when the value does
 * not open (wrong key, label or tampering). */
char *zw_pii_open(const zw_pii_t *self, const char *label, const uint8_t *in, size_t len,
                  zw_err_t *err);

/* Lower-case hex of len bytes into out (2 * len + 1 bytes). Returns out. */
char *zw_pii_hex(const uint8_t *data, size_t len, char *out);

/* Parses hex (an optional "\\x" prefix, as PostgreSQL prints bytea) into a
 * malloc'd buffer; NULL if it is not hex. */
uint8_t *zw_pii_unhex(const char *hex, size_t *len);

#endif
