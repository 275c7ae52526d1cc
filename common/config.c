#include "config.h"
#include "conninfo.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* How values layer (see also config.h):
 *   load    the file's keys on top of the current values, so two loads
 *           stack (a shipped file, then a site file);
 *   set     a command-line override: it also wins over every later load
 *           and reload, as a command line should;
 *   reload  defaults + the file + overrides, like PostgreSQL's SIGHUP: a key
 *           removed from the file goes back to its default.
 * Every operation builds the new values aside and swaps them in only when
 * everything checked out, which is how "on error nothing changes" holds. */

typedef union {
    char *s;
    int64_t i;
    bool b;
    double d;
} s_value_t;

struct zw_config {
    const zw_cfg_spec_t *specs;
    size_t count;
    s_value_t *values;
    s_value_t *defaults;
    bool *overridden;
};

/* JSON numbers pass through a double: past 2^53 - 1 an integer may already
 * have been rounded, and a silently different setting is worse than an
 * error. Such values can still be given with zw_config_set. */
#define S_MAX_EXACT 9007199254740991.0

/* One staged change set: which keys it sets, to what, and where from. */
typedef struct {
    s_value_t *v;
    bool *set;
    const char **origin; /* section the key came from, for messages */
} s_stage_t;

static int s_find(const zw_config_t *self, const char *name)
{
    for (size_t i = 0; self && name && i < self->count; i++)
        if (strcmp(self->specs[i].name, name) == 0)
            return (int) i;
    return -1;
}

static const char *s_type_name(zw_cfg_type_t type)
{
    switch (type) {
    case ZW_CFG_STRING:
        return "string";
    case ZW_CFG_INT:
        return "integer";
    case ZW_CFG_BOOL:
        return "boolean";
    case ZW_CFG_DOUBLE:
        return "number";
    }
    return "?";
}

static void s_value_free(zw_cfg_type_t type, s_value_t *v)
{
    if (type == ZW_CFG_STRING) {
        free(v->s);
        v->s = NULL;
    }
}

static bool s_value_equal(zw_cfg_type_t type, const s_value_t *a, const s_value_t *b)
{
    switch (type) {
    case ZW_CFG_STRING:
        return strcmp(a->s, b->s) == 0;
    case ZW_CFG_INT:
        return a->i == b->i;
    case ZW_CFG_BOOL:
        return a->b == b->b;
    case ZW_CFG_DOUBLE:
        return a->d == b->d;
    }
    return false;
}

static int s_value_copy(zw_cfg_type_t type, const s_value_t *from, s_value_t *to)
{
    *to = *from;
    if (type == ZW_CFG_STRING && !(to->s = strdup(from->s)))
        return -1;
    return 0;
}

/* Parses a setting from text (defaults, --set). Returns -1 if it does not
 * parse as the type. */
static int s_parse_text(zw_cfg_type_t type, const char *text, s_value_t *out)
{
    if (!text)
        return -1;
    char *end = NULL;
    switch (type) {
    case ZW_CFG_STRING:
        out->s = strdup(text);
        return out->s ? 0 : -1;
    case ZW_CFG_INT:
        /* strtoll would skip leading blanks; " 5" is a typo, not a 5 */
        if (!(text[0] == '-' || text[0] == '+' || (text[0] >= '0' && text[0] <= '9')))
            return -1;
        errno = 0;
        out->i = strtoll(text, &end, 10);
        return errno == 0 && *end == '\0' ? 0 : -1;
    case ZW_CFG_BOOL:
        if (!strcasecmp(text, "true") || !strcmp(text, "1") || !strcasecmp(text, "yes") ||
            !strcasecmp(text, "on"))
            out->b = true;
        else if (!strcasecmp(text, "false") || !strcmp(text, "0") || !strcasecmp(text, "no") ||
                 !strcasecmp(text, "off"))
            out->b = false;
        else
            return -1;
        return 0;
    case ZW_CFG_DOUBLE:
        if (!(text[0] == '-' || text[0] == '+' || text[0] == '.' ||
              (text[0] >= '0' && text[0] <= '9')))
            return -1;
        errno = 0;
        out->d = strtod(text, &end);
        return errno == 0 && *end == '\0' && isfinite(out->d) ? 0 : -1;
    }
    return -1;
}

/* ------------------------------------------------------------ life cycle */

static void s_free_values(const zw_config_t *self, s_value_t *values)
{
    if (!values)
        return;
    for (size_t i = 0; i < self->count; i++)
        s_value_free(self->specs[i].type, &values[i]);
    free(values);
}

void zw_config_destroy(zw_config_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_config_t *self = *self_p;
    s_free_values(self, self->values);
    s_free_values(self, self->defaults);
    free(self->overridden);
    free(self);
    *self_p = NULL;
}

zw_config_t *zw_config_new(const zw_cfg_spec_t *specs, size_t count)
{
    if (!specs && count > 0)
        return NULL;
    zw_config_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->specs = specs;
    self->count = count;
    size_t n = count ? count : 1;
    self->values = calloc(n, sizeof *self->values);
    self->defaults = calloc(n, sizeof *self->defaults);
    self->overridden = calloc(n, sizeof *self->overridden);
    if (!self->values || !self->defaults || !self->overridden)
        goto fail;
    for (size_t i = 0; i < count; i++) {
        const zw_cfg_spec_t *spec = &specs[i];
        if (!spec->name || !spec->name[0])
            goto fail;
        for (size_t j = 0; j < i; j++)
            if (strcmp(specs[j].name, spec->name) == 0)
                goto fail;
        /* A string setting without a default is empty, not absent: getters
         * never return NULL. */
        const char *text = spec->default_value;
        if (!text && spec->type == ZW_CFG_STRING)
            text = "";
        if (s_parse_text(spec->type, text, &self->defaults[i]) != 0)
            goto fail;
        if (s_value_copy(spec->type, &self->defaults[i], &self->values[i]) != 0)
            goto fail;
    }
    return self;
fail:
    /* Only the entries before the failing one hold strings; the rest are
     * zeroed by calloc, which s_value_free accepts. */
    zw_config_destroy(&self);
    return NULL;
}

/* --------------------------------------------------------------- staging */

static void s_stage_free(const zw_config_t *self, s_stage_t *st)
{
    if (st->v)
        for (size_t i = 0; i < self->count; i++)
            s_value_free(self->specs[i].type, &st->v[i]);
    free(st->v);
    free(st->set);
    free(st->origin);
    memset(st, 0, sizeof *st);
}

static int s_stage_init(const zw_config_t *self, s_stage_t *st, zw_err_t *err)
{
    size_t n = self->count ? self->count : 1;
    st->v = calloc(n, sizeof *st->v);
    st->set = calloc(n, sizeof *st->set);
    st->origin = calloc(n, sizeof *st->origin);
    if (!st->v || !st->set || !st->origin) {
        s_stage_free(self, st);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "config: out of memory");
    }
    return 0;
}

static int s_from_json(const zw_cfg_spec_t *spec, const cJSON *item, const char *section,
                       s_value_t *out, zw_err_t *err)
{
    char path[128];
    snprintf(path, sizeof path, "%.60s.%.60s", section, spec->name);
    switch (spec->type) {
    case ZW_CFG_STRING:
        if (!cJSON_IsString(item))
            break;
        if (!(out->s = strdup(item->valuestring)))
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "config: out of memory");
        return 0;
    case ZW_CFG_INT: {
        if (!cJSON_IsNumber(item))
            break;
        double v = item->valuedouble;
        if (!isfinite(v) || v != floor(v))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: expected integer, got %.17g",
                               path, v);
        if (fabs(v) > S_MAX_EXACT)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path,
                               "%s: integer %.17g is beyond 2^53-1, which JSON numbers cannot "
                               "carry exactly; give it on the command line",
                               path, v);
        out->i = (int64_t) v;
        return 0;
    }
    case ZW_CFG_BOOL:
        if (!cJSON_IsBool(item))
            break;
        out->b = cJSON_IsTrue(item);
        return 0;
    case ZW_CFG_DOUBLE:
        if (!cJSON_IsNumber(item))
            break;
        if (!isfinite(item->valuedouble))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: number out of range", path);
        out->d = item->valuedouble;
        return 0;
    }
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: expected %s", path,
                       s_type_name(spec->type));
}

/* Stages every key of one section object. */
static int s_stage_object(const zw_config_t *self, s_stage_t *st, const cJSON *obj,
                          const char *section, zw_err_t *err)
{
    if (!cJSON_IsObject(obj))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, section, "%.100s: expected an object",
                           section);
    for (const cJSON *m = obj->child; m; m = m->next) {
        char path[128];
        snprintf(path, sizeof path, "%.60s.%.60s", section, m->string);
        int i = s_find(self, m->string);
        /* "common" holds settings of every daemon; each takes the ones it
         * declares. A daemon's own section must hold only its own. */
        if (i < 0 && strcmp(section, "common") == 0)
            continue;
        if (i < 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: unknown setting", path);
        for (const cJSON *p = obj->child; p != m; p = p->next)
            if (strcmp(p->string, m->string) == 0)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: appears twice", path);
        s_value_t v = {0};
        if (s_from_json(&self->specs[i], m, section, &v, err) != 0)
            return -1;
        /* The section's value beats "common"'s: it is staged second. */
        s_value_free(self->specs[i].type, &st->v[i]);
        st->v[i] = v;
        st->set[i] = true;
        st->origin[i] = section;
    }
    return 0;
}

static int s_stage_json(const zw_config_t *self, s_stage_t *st, const char *json, size_t len,
                        const char *section, zw_err_t *err)
{
    if (!json)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "config: no JSON text");
    /* The parser would end a string at a NUL byte and keep the rest of the
     * file: a value cut short without a word. JSON text has no raw NUL. */
    const char *nul = memchr(json, '\0', len);
    if (nul)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "config: a NUL byte at byte %zu",
                          (size_t) (nul - json));
    const char *at = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &at, 0);
    if (!root) {
        size_t off = at && at >= json && at <= json + len ? (size_t) (at - json) : 0;
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "config: invalid JSON near byte %zu", off);
    }
    int rc = 0;
    if (!cJSON_IsObject(root))
        rc = zw_err_set(err, ZW_INVALID_ARGUMENT, "config: expected a JSON object");
    const char *names[2] = {"common", section};
    for (int k = 0; rc == 0 && k < 2; k++) {
        if (!names[k] || (k == 1 && strcmp(names[1], "common") == 0))
            continue;
        const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, names[k]);
        if (obj)
            rc = s_stage_object(self, st, obj, names[k], err);
    }
    /* origin points into the caller's section string or a literal; never
     * into the cJSON tree deleted here. */
    cJSON_Delete(root);
    return rc;
}

/* Swaps staged value i in. An unchanged string keeps its old pointer, so
 * a string a caller holds stays valid unless its own key changed. */
static void s_commit_one(zw_config_t *self, size_t i, s_value_t *staged)
{
    zw_cfg_type_t type = self->specs[i].type;
    if (type == ZW_CFG_STRING && strcmp(self->values[i].s, staged->s) == 0) {
        s_value_free(type, staged);
        return;
    }
    s_value_free(type, &self->values[i]);
    self->values[i] = *staged;
    staged->s = NULL;
}

/* Reads a file into a NUL-terminated malloc'd buffer. */
static char *s_read_file(const char *path, size_t *len, zw_err_t *err)
{
    if (!path) {
        zw_err_set(err, ZW_INVALID_ARGUMENT, "config: no file name");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        zw_err_setd(err, e == ENOENT ? ZW_NOT_FOUND : ZW_FAILED_PRECONDITION, path,
                    "config: cannot open %.180s: %s", path, strerror(e));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *bigger = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int failed = !buf || ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        zw_err_setd(err, ZW_FAILED_PRECONDITION, path, "config: cannot read %.180s", path);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Prefixes a file-level error ("invalid JSON near byte 12") with the path;
 * key errors already name the key, which is what the operator looks for. */
static void s_name_file(zw_err_t *err, const char *path)
{
    if (!err || strncmp(err->message, "config: ", 8) != 0)
        return;
    char msg[sizeof err->message];
    snprintf(msg, sizeof msg, "%.150s: %.100s", path, err->message + 8);
    memcpy(err->message, msg, sizeof msg);
}

/* -------------------------------------------------------------- loading */

int zw_config_load_json(zw_config_t *self, const char *json, size_t len, const char *section,
                        zw_err_t *err)
{
    if (!self)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "config: no table");
    s_stage_t st = {0};
    if (s_stage_init(self, &st, err) != 0)
        return -1;
    if (s_stage_json(self, &st, json, len, section, err) != 0) {
        s_stage_free(self, &st);
        return -1;
    }
    for (size_t i = 0; i < self->count; i++)
        if (st.set[i] && !self->overridden[i])
            s_commit_one(self, i, &st.v[i]);
    s_stage_free(self, &st);
    return 0;
}

int zw_config_load_file(zw_config_t *self, const char *path, const char *section, zw_err_t *err)
{
    size_t len = 0;
    char *json = s_read_file(path, &len, err);
    if (!json)
        return -1;
    int rc = zw_config_load_json(self, json, len, section, err);
    if (rc != 0)
        s_name_file(err, path);
    free(json);
    return rc;
}

int zw_config_reload_file(zw_config_t *self, const char *path, const char *section, zw_err_t *err)
{
    if (!self)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "config: no table");
    size_t len = 0;
    char *json = s_read_file(path, &len, err);
    if (!json)
        return -1;
    s_stage_t st = {0};
    int rc = s_stage_init(self, &st, err);
    if (rc == 0 && (rc = s_stage_json(self, &st, json, len, section, err)) != 0)
        s_name_file(err, path);
    free(json);
    /* Complete the stage to the full target: keys the file leaves out go
     * back to their defaults; overrides stay. */
    for (size_t i = 0; rc == 0 && i < self->count; i++) {
        zw_cfg_type_t type = self->specs[i].type;
        const s_value_t *keep = self->overridden[i] ? &self->values[i]
                                : st.set[i]         ? NULL
                                                    : &self->defaults[i];
        if (keep) {
            s_value_free(type, &st.v[i]);
            if (s_value_copy(type, keep, &st.v[i]) != 0)
                rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "config: out of memory");
        }
    }
    for (size_t i = 0; rc == 0 && i < self->count; i++) {
        const zw_cfg_spec_t *spec = &self->specs[i];
        if (!spec->reloadable && !s_value_equal(spec->type, &st.v[i], &self->values[i])) {
            char path_key[128];
            snprintf(path_key, sizeof path_key, "%.60s.%.60s",
                     st.set[i] ? st.origin[i]
                     : section ? section
                               : "common",
                     spec->name);
            rc = zw_err_setd(err, ZW_FAILED_PRECONDITION, path_key,
                             "%s: changed, but it cannot change on reload; restart to apply",
                             path_key);
        }
    }
    for (size_t i = 0; rc == 0 && i < self->count; i++)
        s_commit_one(self, i, &st.v[i]);
    s_stage_free(self, &st);
    return rc;
}

int zw_config_same_fixed(const zw_config_t *self, const zw_config_t *fresh, zw_err_t *err)
{
    if (!self || !fresh || self->specs != fresh->specs || self->count != fresh->count)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "config: tables of different settings");
    for (size_t i = 0; i < self->count; i++) {
        const zw_cfg_spec_t *spec = &self->specs[i];
        if (!spec->reloadable && !s_value_equal(spec->type, &fresh->values[i], &self->values[i]))
            return zw_err_setd(err, ZW_FAILED_PRECONDITION, spec->name,
                               "%.60s: changed, but it cannot change on reload; restart to apply",
                               spec->name);
    }
    return 0;
}

int zw_config_set(zw_config_t *self, const char *name, const char *value, zw_err_t *err)
{
    if (!self)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "config: no table");
    int i = s_find(self, name);
    if (i < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, name ? name : "", "unknown setting \"%.100s\"",
                           name ? name : "(null)");
    const zw_cfg_spec_t *spec = &self->specs[i];
    s_value_t v = {0};
    if (s_parse_text(spec->type, value, &v) != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, spec->name,
                           "%.60s: expected %s, got \"%.100s\"", spec->name,
                           s_type_name(spec->type), value ? value : "(null)");
    s_commit_one(self, (size_t) i, &v);
    self->overridden[i] = true;
    return 0;
}

/* --------------------------------------------------------------- getters */

static const s_value_t *s_get(const zw_config_t *self, const char *name, zw_cfg_type_t type)
{
    int i = s_find(self, name);
    if (i < 0) {
        fprintf(stderr, "zw_config: no setting \"%s\" (programming error)\n",
                name ? name : "(null)");
        abort();
    }
    if (self->specs[i].type != type) {
        fprintf(stderr, "zw_config: setting \"%s\" is a %s, not a %s (programming error)\n", name,
                s_type_name(self->specs[i].type), s_type_name(type));
        abort();
    }
    return &self->values[i];
}

const char *zw_config_str(const zw_config_t *self, const char *name)
{
    return s_get(self, name, ZW_CFG_STRING)->s;
}

int64_t zw_config_int(const zw_config_t *self, const char *name)
{
    return s_get(self, name, ZW_CFG_INT)->i;
}

int zw_config_int_range(const zw_config_t *self, const char *section, const char *name, int64_t min,
                        int64_t max, int64_t *out, zw_err_t *err)
{
    int64_t v = zw_config_int(self, name);
    if (v < min || v > max)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, name,
                           "%s%s%s: %lld is out of range [%lld, %lld]", section ? section : "",
                           section ? "." : "", name, (long long) v, (long long) min,
                           (long long) max);
    *out = v;
    return 0;
}

bool zw_config_bool(const zw_config_t *self, const char *name)
{
    return s_get(self, name, ZW_CFG_BOOL)->b;
}

double zw_config_double(const zw_config_t *self, const char *name)
{
    return s_get(self, name, ZW_CFG_DOUBLE)->d;
}

/* ------------------------------------------------------------------ dump */

static bool s_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool s_is_secret(const char *name)
{
    return s_ends_with(name, "_secret") || s_ends_with(name, "password") ||
           s_ends_with(name, "_key_file");
}

char *zw_config_dump_json(const zw_config_t *self)
{
    if (!self)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    for (size_t i = 0; ok && i < self->count; i++) {
        const zw_cfg_spec_t *spec = &self->specs[i];
        const s_value_t *v = &self->values[i];
        cJSON *item = NULL;
        if (s_is_secret(spec->name))
            item = cJSON_CreateString("***");
        else if (spec->type == ZW_CFG_STRING && s_ends_with(spec->name, "conninfo")) {
            char *masked = zw_conninfo_mask(v->s);
            item = masked ? cJSON_CreateString(masked) : NULL;
            free(masked);
        } else if (spec->type == ZW_CFG_STRING)
            item = cJSON_CreateString(v->s);
        else if (spec->type == ZW_CFG_INT) {
            /* Raw text keeps all 64 bits; a double would round them. */
            char num[32];
            snprintf(num, sizeof num, "%" PRId64, v->i);
            item = cJSON_CreateRaw(num);
        } else if (spec->type == ZW_CFG_BOOL)
            item = cJSON_CreateBool(v->b);
        else
            item = cJSON_CreateNumber(v->d);
        ok = item && cJSON_AddItemToObject(root, spec->name, item);
        if (!ok)
            cJSON_Delete(item);
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}
