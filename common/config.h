/* zw_config: a typed settings table read from JSON.
 *
 * A daemon declares its settings as a static array of zw_cfg_spec_t (name,
 * type, default, reloadable, help). The file is one JSON object; settings
 * are read from the top-level object "common" and from the object named by
 * `section` (e.g. "broker"); a key in both takes the section's value. Other
 * top-level keys are other daemons' sections and are ignored. "common" is
 * shared by every daemon, so a key there that this table does not declare
 * is skipped; in the section an unknown key, and anywhere a value of the
 * wrong type, is an
 * INVALID_ARGUMENT error naming the key ("broker.heartbeat_ms: expected
 * integer"), and the table is left unchanged.
 *
 *   { "common": { "db_conninfo": "host=127.0.0.1 ..." },
 *     "broker": { "endpoint": "tcp://127.0.0.1:5555", "heartbeat_ms": 2500 } }
 */
#ifndef ZW_CONFIG_H
#define ZW_CONFIG_H

#include "error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum { ZW_CFG_STRING, ZW_CFG_INT, ZW_CFG_BOOL, ZW_CFG_DOUBLE } zw_cfg_type_t;

typedef struct {
    const char *name;
    zw_cfg_type_t type;
    const char *default_value; /* as text: "2500", "true", "0.5", "tcp://..." */
    bool reloadable;           /* may change on SIGHUP */
    const char *help;
} zw_cfg_spec_t;

typedef struct zw_config zw_config_t;

/* Builds a table holding every spec's default. The specs array must outlive
 * the table (it is not copied). Returns NULL if a default does not parse as
 * its type or a name repeats. */
zw_config_t *zw_config_new(const zw_cfg_spec_t *specs, size_t count);
void zw_config_destroy(zw_config_t **self_p);

/* Reads `path` (see above). On error nothing changes. Values stack: keys
 * the file does not name keep their current values. JSON types: a string
 * setting takes a string, a boolean true/false, a double any number, an
 * integer an integral number (1e3 and 2.0 count) within +-(2^53 - 1): past
 * that a JSON number may already be rounded, so it is refused rather than
 * read wrong (zw_config_set takes the full int64 range). */
int zw_config_load_file(zw_config_t *self, const char *path, const char *section, zw_err_t *err);
/* Same, from a JSON text of `len` bytes. */
int zw_config_load_json(zw_config_t *self, const char *json, size_t len, const char *section,
                        zw_err_t *err);

/* Re-reads the file for SIGHUP: applies only reloadable settings; a changed
 * non-reloadable setting is reported in *err (FAILED_PRECONDITION, naming it)
 * and nothing is applied. The new values are defaults + file + overrides,
 * as in PostgreSQL: a key removed from the file returns to its default. */
int zw_config_reload_file(zw_config_t *self, const char *path, const char *section, zw_err_t *err);

/* For a reload that builds a fresh table (defaults + file + the same
 * command line) instead of reloading `self` in place: 0 when every setting
 * that is not reloadable has the same value in both tables (same specs),
 * else -1 with *err FAILED_PRECONDITION naming the first that changed, as
 * zw_config_reload_file refuses it. */
int zw_config_same_fixed(const zw_config_t *self, const zw_config_t *fresh, zw_err_t *err);

/* Sets one value from text, as a command-line override (--set name=value).
 * Integers: decimal int64; booleans: true/false, yes/no, on/off, 1/0 (any
 * case); doubles: strtod syntax, finite. The value then wins over every later
 * load and reload, as a command line beats a file. */
int zw_config_set(zw_config_t *self, const char *name, const char *value, zw_err_t *err);

/* Typed getters. Asking for an unknown name or the wrong type is a
 * programming error: it aborts. Strings are owned by the table and stay
 * valid until the next load/set/reload of that key. */
const char *zw_config_str(const zw_config_t *self, const char *name);
int64_t zw_config_int(const zw_config_t *self, const char *name);
bool zw_config_bool(const zw_config_t *self, const char *name);
double zw_config_double(const zw_config_t *self, const char *name);

/* The integer setting `name` if it lies in [min, max]: 0 and *out set.
 * Otherwise INVALID_ARGUMENT with detail `name` and the message
 * "SECTION.NAME: V is out of range [MIN, MAX]" ("NAME: ..." when section
 * is NULL), and *out untouched. An unknown name or a non-integer setting
 * aborts, as zw_config_int does. */
int zw_config_int_range(const zw_config_t *self, const char *section, const char *name, int64_t min,
                        int64_t max, int64_t *out, zw_err_t *err);

/* The effective values as one JSON object (malloc'd; caller frees). Settings
 * whose name ends in "_secret", "password" or "_key_file" are written as
 * "***"; db_conninfo has any password= value masked. */
char *zw_config_dump_json(const zw_config_t *self);

#endif
