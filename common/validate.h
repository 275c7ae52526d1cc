/* zw_validate: checks of the codes applicants and the catalog hand us.
 *
 * Every check returns 0 if the code is valid, or -1 with *err (may be NULL)
 * set to INVALID_ARGUMENT, a message naming the rule that failed ("check
 * character should be 5", "birth date 19900230 is not a date") and a detail
 * naming the kind of code ("resident_id", "uscc", "division", "impl_code").
 * A NULL code is invalid, never a crash. Checks never change their input:
 * callers normalise (trim, upper-case) before validating, so that what is
 * stored and hashed is exactly what was checked. Messages never repeat a
 * whole resident ID number (they may end up in logs).
 *
 * Pure functions apart from the clock read by zw_validate_resident_id and
 * the file read by zw_regions_load. */
#ifndef ZW_VALIDATE_H
#define ZW_VALIDATE_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

/* Resident identity number, GB 11643-1999: 18 characters, 17 digits and a
 * check character (a digit or upper-case X; a lower-case x is rejected with
 * its own message, see above), weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
 * check = "10X98765432"[sum % 11]. Characters 7-14 are the birth date
 * YYYYMMDD, a real Gregorian date from 1800-01-01 up to today (Beijing
 * time, from the wall clock). The first six characters (the division code
 * at the time of issue) are not checked against any table: old codes stay
 * valid on old cards. */
int zw_validate_resident_id(const char *id, zw_err_t *err);

/* Same, with "today" given as YYYYMMDD (e.g. 20201009), for callers that use
 * the business clock and for tests. */
int zw_validate_resident_id_on(const char *id, int today_yyyymmdd, zw_err_t *err);

/* Foreign permanent residence card (外国人永久居留身份证) number, with
 * "today" as YYYYMMDD: the 2004 and 2017 cards' 15 characters (3 upper-case
 * letters, the holder's country, and 12 digits; no check character), or
 * the 2023 card's 18, which follow GB 11643 as a resident ID does (17
 * digits and a MOD 11-2 check character, the birth date in characters
 * 7-14) and start with 9, a first digit no resident ID has (National
 * Immigration Administration, 新版外国人永久居留身份证机读信息规则, 2023). */
int zw_validate_foreign_permanent_on(const char *id, int today_yyyymmdd, zw_err_t *err);

/* Unified social credit code, GB 32100-2015: 18 characters from
 * "0123456789ABCDEFGHJKLMNPQRTUWXY" (no I O Z S V); characters 3-8 (the
 * registering authority's division code) digits; characters 9-17 an
 * organization code (GB 11714-1997) whose own check character (the 17th)
 * must be right: weights 3 7 9 10 5 8 4 2 over its first 8 characters
 * (letters count A=10 ... Z=35), check = 11 - sum % 11, 10 -> 'X',
 * 11 -> '0'; character 18 the code's check: weights 1 3 9 27 19 26 16 17 20
 * 29 25 13 8 24 10 30 28 over the charset values, check = (31 - sum % 31)
 * % 31 mapped through the charset. Characters 1 (registering authority) and
 * 2 (type) are only checked against the charset: their tables grow by
 * amendment, and rejecting a real code at intake is worse than accepting
 * one unusual prefix. */
int zw_validate_uscc(const char *code, zw_err_t *err);

/* The division codes one deployment knows: its own and its partners'. */
typedef struct zw_regions zw_regions_t;

/* Parses a regions table from `len` bytes of JSON: an array of
 *   {"code": "511402", "name": "东坡区", "parent": "511400"}
 * or an object whose "regions" member is that array (other members, such
 * as "source", are ignored). code is 6 digits and unique; name a non-empty
 * string; parent is null (or absent) for a top-level region, otherwise the
 * code of another region in the table. Any other member of a region is an
 * error (it is most likely a misspelt one). Returns NULL with *err set on
 * any error; the caller destroys the result. */
zw_regions_t *zw_regions_parse(const char *json, size_t len, zw_err_t *err);

/* Same, from a file. */
zw_regions_t *zw_regions_load(const char *path, zw_err_t *err);

void zw_regions_destroy(zw_regions_t **self_p);

/* Number of regions in the table. */
size_t zw_regions_count(const zw_regions_t *self);

/* The name of a 6-digit code in the table, or NULL (unknown code, or NULL
 * arguments). Owned by the table. */
const char *zw_regions_name(const zw_regions_t *self, const char *code6);

/* The parent code of a 6-digit code in the table; "" for a top-level
 * region; NULL if the code is unknown. Owned by the table. */
const char *zw_regions_parent(const zw_regions_t *self, const char *code6);

/* $ZWFW_REGIONS if set and not empty, else the table shipped in the source
 * tree (deploy/regions.json). Static or the environment's string. */
const char *zw_regions_default_path(void);

/* A division code: 6 digits found in the table, or 12 digits (the
 * statistical code down to township and village level) whose first 6 are
 * found in the table. */
int zw_validate_division(const zw_regions_t *regions, const char *code, zw_err_t *err);

/* Service-item implementation code (实施编码), six parts joined by '-':
 *   basic code  12-14 characters, digits and upper-case letters (DOMAIN.md
 *               says 12; the published example "511A0138000000" has 14)
 *   division    12 digits; if `regions` is not NULL its first 6 must be in
 *               the table (NULL skips only this check)
 *   3 digits    (000 in every published example)
 *   USCC        18 characters, checked as zw_validate_uscc
 *   1 digit     (1 in the published example)
 *   2 digits    (00 in the published example)
 * e.g. 511A0138000000-511602000000-000-115113010833722043-1-00. The digit
 * fields are checked as digits only: their code lists are not ours to
 * narrow. */
int zw_validate_impl_code(const zw_regions_t *regions, const char *code, zw_err_t *err);

/* The length in Unicode code points of text when it is well-formed UTF-8
 * (no overlong forms, surrogates or code points past U+10FFFF) without a
 * control character (C0 U+0000-U+001F, DEL, C1 U+0080-U+009F); -1 when it
 * is not. "" and NULL are 0. */
long zw_validate_text_chars(const char *text);

/* True when text says nothing: NULL, "", or only white space (tab, line
 * breaks, U+0020, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000 ideographic space, and the invisible U+200B and U+FEFF).
 * A reason or note that must be given is refused when it is blank. Text
 * that is not valid UTF-8 is not blank (its own check refuses it). */
bool zw_validate_text_blank(const char *text);

/* The actor a request names (the staff member or user who acted; shown in
 * history, audit rows and logs): 1..ZW_VALIDATE_ACTOR_MAX_CHARS Unicode
 * code points of valid UTF-8 (no overlong forms or surrogates), at most
 * ZW_VALIDATE_ACTOR_MAX_BYTES bytes (the audit log's limit per field; 64
 * characters of the Basic Multilingual Plane, Chinese names among them,
 * always fit), with no control character (C0 U+0000-U+001F, DEL U+007F,
 * C1 U+0080-U+009F) and no line or paragraph separator (U+2028, U+2029),
 * so it stays one line, and no space (U+0020, U+00A0, U+1680,
 * U+2000-U+200A, U+202F, U+205F, U+3000) at its start or end. Anything else
 * is allowed: "portal:张三", "窗口 07 李四", quotes and backslashes (logs
 * and JSON escape them). INVALID_ARGUMENT with detail "actor" otherwise;
 * the message never repeats the actor. Every service checks actors here. */
#define ZW_VALIDATE_ACTOR_MAX_CHARS 64
#define ZW_VALIDATE_ACTOR_MAX_BYTES 200
int zw_validate_actor(const char *actor, zw_err_t *err);

#endif
