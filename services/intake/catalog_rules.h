/* The catalog's rules as plain functions over the protobuf structs: what a
 * valid item, bundle, idempotency key or page token is, how an item is
 * normalised before it is checked and stored, and when two puts are the
 * same. No I/O: tests/unit/test_catalog_rules.c calls them directly.
 *
 * Every check returns 0, or -1 with *err (may be NULL) INVALID_ARGUMENT,
 * a message that starts with the field's path ("item.name: ...",
 * "items[3].materials[1].code: ...") and that path in err->detail. Paths
 * use the .proto field names. Lengths are counted in characters (Unicode
 * code points); every string must be valid UTF-8. */
#ifndef ZW_INTAKE_CATALOG_RULES_H
#define ZW_INTAKE_CATALOG_RULES_H

#include "audit.h"
#include "error.h"
#include "validate.h"
#include "zwfw/v1/catalog.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits (characters, or counts). */
#define ZW_CATALOG_NAME_MAX 200
#define ZW_CATALOG_DEPARTMENT_NAME_MAX 100
#define ZW_CATALOG_SERVICE_AREA_MAX 64
#define ZW_CATALOG_MATERIAL_CODE_MAX 64
#define ZW_CATALOG_NOTE_MAX 500
#define ZW_CATALOG_REASON_MAX 500
#define ZW_CATALOG_DESCRIPTION_MAX 2000
#define ZW_CATALOG_BUNDLE_CODE_MAX 64
#define ZW_CATALOG_KEY_MAX 128
#define ZW_CATALOG_TEXT_MAX 100
#define ZW_CATALOG_MATERIALS_MAX 100
#define ZW_CATALOG_PARTNERS_MAX 50
#define ZW_CATALOG_BUNDLE_ITEMS_MIN 2
#define ZW_CATALOG_BUNDLE_ITEMS_MAX 50
#define ZW_CATALOG_LIMIT_MAX 999 /* amount of a time limit, in either unit */
#define ZW_CATALOG_COPIES_MAX 99
#define ZW_CATALOG_VISITS_MAX 9
#define ZW_CATALOG_PAGE_DEFAULT 50
#define ZW_CATALOG_PAGE_MAX 500
#define ZW_CATALOG_LOAD_ITEMS_MAX 20000
#define ZW_CATALOG_LOAD_BUNDLES_MAX 2000
/* One working day, when a working-day limit is compared with an hour
 * limit: the default working hours 09:00-12:00 and 13:30-17:30. */
#define ZW_CATALOG_MINUTES_PER_DAY 420

/* The generated enum names are long; these are the ones the rules use. */
#define ZW_ITEM_ACTIVE ZWFW__V1__ITEM_STATUS__ITEM_STATUS_ACTIVE
#define ZW_ITEM_CANCELLED ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED
#define ZW_HANDLING_IMMEDIATE ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_IMMEDIATE
#define ZW_HANDLING_PROMISED ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_PROMISED
#define ZW_LIMIT_WORKDAYS ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS
#define ZW_LIMIT_HOURS_UNIT ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS

/* ---- items ---------------------------------------------------------------- */

/* Puts an item as received into its one stored form, in place: trims
 * blanks (space, tab, CR, LF) around every string; upper-cases impl_code,
 * basic_code, department_code and the fee's currency; fills basic_code
 * and region_code from impl_code when they are empty, and the currency
 * with "CNY" when a fee is charged without one; drops a time limit of
 * amount 0 and a fee of 0 fen (no limit / free have one form); clears the
 * read-only fields (status, version, updated_at, cancel_reason); and drops
 * unknown fields at every level. The item must own its strings as
 * protobuf_c_message_unpack makes them (malloc'd, or
 * protobuf_c_empty_string). Returns 0, or -1 when out of memory. */
int zw_catalog_item_normalise(Zwfw__V1__Item *item);

/* Checks a normalised item (see docs/decisions-catalog.md for the rules
 * and why). `path` names it in messages ("item", "items[3]"). regions
 * (may be NULL: then division codes are checked for form only) is the
 * deployment's table; minutes_per_day converts working days to minutes
 * when a promised limit in one unit is compared with a statutory limit in
 * the other (<= 0: ZW_CATALOG_MINUTES_PER_DAY). */
int zw_catalog_item_check(const Zwfw__V1__Item *item, const zw_regions_t *regions,
                          int minutes_per_day, const char *path, zw_err_t *err);

/* A limit as working minutes: amount × minutes_per_day for working days,
 * amount × 60 for hours; 0 for NULL or amount 0. -1 for a negative amount
 * or an unknown unit with a positive amount. */
int64_t zw_catalog_limit_minutes(const Zwfw__V1__TimeLimit *limit, int minutes_per_day);

/* Lowercase hex SHA-256 of the item's content: its packed protobuf with
 * the read-only fields (status, version, updated_at, cancel_reason) left
 * out. Two puts of a normalised item are "identical" when their digests
 * are equal. Returns 0, or -1 when out of memory. */
int zw_catalog_item_digest(const Zwfw__V1__Item *item, char out[ZW_AUDIT_HASH_LEN + 1]);

/* ---- bundles -------------------------------------------------------------- */

/* Same as zw_catalog_item_normalise for a bundle: trims strings,
 * upper-cases member codes, clears status and version, drops unknown
 * fields. -1 when out of memory. */
int zw_catalog_bundle_normalise(Zwfw__V1__Bundle *bundle);

/* Checks a normalised bundle's own fields: code 1..64 characters of
 * [A-Za-z0-9._-], a name, a description of at most 2000 characters, and
 * 2..50 distinct member codes, each a valid implementation code (regions
 * as in zw_catalog_item_check). That members exist and are active is the
 * store's business. */
int zw_catalog_bundle_check(const Zwfw__V1__Bundle *bundle, const zw_regions_t *regions,
                            const char *path, zw_err_t *err);

/* Same as zw_catalog_item_digest for a bundle (status and version left
 * out). */
int zw_catalog_bundle_digest(const Zwfw__V1__Bundle *bundle, char out[ZW_AUDIT_HASH_LEN + 1]);

/* ---- requests (catalog_request.c) -------------------------------------------------------------
 */

/* An idempotency key: 1..128 printable ASCII characters without blanks
 * (detail "idempotency_key"). */
int zw_catalog_check_key(const char *key, zw_err_t *err);

/* The actor of a change: zw_validate_actor (validate.h), the check every
 * service makes (detail "actor"). */
int zw_catalog_check_actor(const char *actor, zw_err_t *err);

/* A cancel reason: 1..500 characters, newlines allowed (detail "reason"). */
int zw_catalog_check_reason(const char *reason, zw_err_t *err);

/* Trims blanks around a code and upper-cases it, in place, as stored
 * codes are (writes only into a non-empty string). */
void zw_catalog_norm_code(char *code);

/* An item's implementation code as a lookup key (GetItem, CancelItem...):
 * not empty, at most 100 bytes, no control characters (detail
 * "impl_code"). Whether it exists is the store's business. */
int zw_catalog_check_lookup_code(const char *code, const char *field, zw_err_t *err);

/* The page size to use: requested 0 -> ZW_CATALOG_PAGE_DEFAULT, above
 * ZW_CATALOG_PAGE_MAX -> ZW_CATALOG_PAGE_MAX, negative -> INVALID_ARGUMENT
 * (detail "page_size"). */
int zw_catalog_page_size(int32_t requested, int *size, zw_err_t *err);

/* The opaque page token after the row whose key is `last_key`: URL-safe
 * base64 (no padding) of a kind letter ('i' items, 'b' bundles), ':', a
 * mark of `query` (the listing's filters, as the caller spells them; NULL
 * is ""), ':' and the key, so a token is refused by the other listing and
 * by the same listing with other filters. malloc'd; NULL when out of
 * memory. */
char *zw_catalog_token_encode(char kind, const char *query, const char *last_key);

/* Decodes a token made by zw_catalog_token_encode with the same kind and
 * query into out (outsz bytes). "" or NULL decodes to "" (first page).
 * Anything else is INVALID_ARGUMENT (detail "page_token"): "not a token
 * from this listing", or, for a token of the same listing with other
 * filters, "belongs to a listing with other filters". */
int zw_catalog_token_decode(char kind, const char *query, const char *token, char *out,
                            size_t outsz, zw_err_t *err);

/* The ILIKE pattern matching `text` anywhere: '%' + text with '\', '%'
 * and '_' escaped by '\' (PostgreSQL's default LIKE escape) + '%'. ""
 * for NULL or "" (no filter). malloc'd; NULL when out of memory. Check the
 * text first with zw_catalog_check_text. */
char *zw_catalog_like_pattern(const char *text);

/* The ListItems text filter: at most 100 characters of valid UTF-8, no
 * control characters (detail "text"). */
int zw_catalog_check_text(const char *text, zw_err_t *err);

/* ---- helpers the other catalog files share -------------------------------- */

enum {
    ZW_CATALOG_TEXT_REQUIRED = 1 << 0, /* may not be empty */
    ZW_CATALOG_TEXT_NEWLINES = 1 << 1, /* \n, \r and \t allowed (notes, descriptions) */
};

/* A text field named `where` in messages and detail: valid UTF-8, no
 * control characters (but newlines with ZW_CATALOG_TEXT_NEWLINES), at most
 * max characters, not empty with ZW_CATALOG_TEXT_REQUIRED. NULL counts as
 * empty. */
int zw_catalog_check_string(const char *where, const char *value, long max, unsigned flags,
                            zw_err_t *err);

/* Number of code points of a valid UTF-8 string; -1 if it is not valid
 * UTF-8 (overlong forms, surrogates and code points past U+10FFFF are
 * invalid). */
long zw_catalog_utf8_len(const char *s);

/* Frees the unknown fields of msg and of every message inside it. */
void zw_catalog_strip_unknown(ProtobufCMessage *msg);

#endif
