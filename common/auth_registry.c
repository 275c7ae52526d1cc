#include "auth_registry.h"

#include "access.h"
#include "zwfw/v1/common.pb-c.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_FILE (16u << 20)
#define S_DEPARTMENT_MAX 64

struct zw_auth_registry {
    zw_auth_entry_t *entries; /* file order */
    size_t n;
    const zw_auth_entry_t **by_name; /* sorted by name */
    const zw_auth_entry_t **by_key;  /* sorted by public_bin */
};

static void s_entry_free(zw_auth_entry_t *e)
{
    free((char *) e->name);
    free((char *) e->public_key);
    free((char *) e->region);
    free((char *) e->department);
    free((uint8_t *) e->caller);
}

void zw_auth_registry_destroy(zw_auth_registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_auth_registry_t *self = *self_p;
    for (size_t i = 0; i < self->n; i++)
        s_entry_free(&self->entries[i]);
    free(self->entries);
    free(self->by_name);
    free(self->by_key);
    free(self);
    *self_p = NULL;
}

static int s_cmp_name(const void *a, const void *b)
{
    return strcmp((*(const zw_auth_entry_t *const *) a)->name,
                  (*(const zw_auth_entry_t *const *) b)->name);
}

static int s_cmp_key(const void *a, const void *b)
{
    return memcmp((*(const zw_auth_entry_t *const *) a)->public_bin,
                  (*(const zw_auth_entry_t *const *) b)->public_bin, 32);
}

/* --- one entry --- */

typedef struct {
    const char *origin;
    size_t index; /* from 1 */
    const char *name;
} s_where_t;

/* "FILE: entry 3 ("win-1"): " */
static const char *s_where(const s_where_t *w, char *buf, size_t sz)
{
    if (w->name)
        snprintf(buf, sz, "%.100s: entry %zu (\"%.64s\")", w->origin, w->index, w->name);
    else
        snprintf(buf, sz, "%.100s: entry %zu", w->origin, w->index);
    return buf;
}

static const char *s_string(const cJSON *obj, const char *key, bool required, const s_where_t *w,
                            zw_err_t *err)
{
    char where[200];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) {
        if (required)
            zw_err_setd(err, ZW_INVALID_ARGUMENT, key, "%s: no %s", s_where(w, where, sizeof where),
                        key);
        return required ? NULL : "";
    }
    if (!cJSON_IsString(v) || !v->valuestring) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, key, "%s: %s is not a string",
                    s_where(w, where, sizeof where), key);
        return NULL;
    }
    return v->valuestring;
}

static bool s_digits(const char *s, size_t n)
{
    if (strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool s_printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *) s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int s_pack_caller(zw_auth_entry_t *e)
{
    Zwfw__V1__Caller caller = ZWFW__V1__CALLER__INIT;
    caller.key_id = (char *) e->name;
    caller.role = (Zwfw__V1__Role) e->role;
    caller.region = (char *) e->region;
    caller.department = (char *) e->department;
    size_t len = zwfw__v1__caller__get_packed_size(&caller);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    zwfw__v1__caller__pack(&caller, buf);
    e->caller = buf;
    e->caller_len = len;
    return 0;
}

static int s_entry(const cJSON *obj, s_where_t *w, zw_auth_entry_t *e, zw_err_t *err)
{
    char where[200];
    if (!cJSON_IsObject(obj))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "keys", "%s: not an object",
                           s_where(w, where, sizeof where));
    const char *name = s_string(obj, "name", true, w, err);
    if (!name)
        return -1;
    if (!zw_auth_name_ok(name))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "name",
                           "%s: bad name: 1-%d characters of A-Z a-z 0-9 . _ -, not starting "
                           "with . or -",
                           s_where(w, where, sizeof where), ZW_AUTH_NAME_MAX);
    w->name = name;
    for (const cJSON *it = obj->child; it; it = it->next) {
        static const char *const known[] = {"name",   "public_key", "role",
                                            "region", "department", "comment"};
        bool ok = false;
        for (size_t i = 0; i < sizeof known / sizeof known[0] && !ok; i++)
            ok = strcmp(it->string, known[i]) == 0;
        if (!ok)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, it->string, "%s: unknown key '%.40s'",
                               s_where(w, where, sizeof where), it->string);
    }
    const char *key = s_string(obj, "public_key", true, w, err);
    const char *role = key ? s_string(obj, "role", true, w, err) : NULL;
    const char *region = role ? s_string(obj, "region", true, w, err) : NULL;
    const char *department = region ? s_string(obj, "department", false, w, err) : NULL;
    if (!department || (s_string(obj, "comment", false, w, err) == NULL))
        return -1;
    if (!zw_auth_z85_ok(key))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "public_key",
                           "%s: public_key is not a 40-character Z85 key",
                           s_where(w, where, sizeof where));
    int r = zw_access_role_from_name(role);
    if (r < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "role",
                           "%s: role '%.32s' is not window, approver, head, supervisor, "
                           "operator, partner, system or integrator",
                           s_where(w, where, sizeof where), role);
    if (!s_digits(region, 6) && !s_digits(region, 12))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "region",
                           "%s: region '%.32s' is not a 6- or 12-digit division code",
                           s_where(w, where, sizeof where), region);
    if (strlen(department) > S_DEPARTMENT_MAX || !s_printable(department))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "department",
                           "%s: department must be at most %d printable characters",
                           s_where(w, where, sizeof where), S_DEPARTMENT_MAX);
    e->name = strdup(name);
    e->public_key = strdup(key);
    e->region = strdup(region);
    e->department = strdup(department);
    e->role = r;
    e->role_name = zw_access_role_name(r);
    zmq_z85_decode(e->public_bin, key);
    if (!e->name || !e->public_key || !e->region || !e->department || s_pack_caller(e) != 0)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    return 0;
}

/* --- the whole file --- */

static int s_build(zw_auth_registry_t *self, const cJSON *list, const char *origin, zw_err_t *err)
{
    int n = cJSON_GetArraySize(list);
    self->entries = calloc(n ? (size_t) n : 1, sizeof *self->entries);
    self->by_name = calloc(n ? (size_t) n : 1, sizeof *self->by_name);
    self->by_key = calloc(n ? (size_t) n : 1, sizeof *self->by_key);
    if (!self->entries || !self->by_name || !self->by_key)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    const cJSON *item = list->child;
    for (size_t i = 0; item; i++, item = item->next) {
        s_where_t w = {origin, i + 1, NULL};
        self->n = i + 1; /* so a failure frees what this entry got */
        if (s_entry(item, &w, &self->entries[i], err) != 0)
            return -1;
        self->by_name[i] = self->by_key[i] = &self->entries[i];
    }
    qsort(self->by_name, self->n, sizeof *self->by_name, s_cmp_name);
    qsort(self->by_key, self->n, sizeof *self->by_key, s_cmp_key);
    /* Neighbours after sorting: a repeat is next to its first. Report the
     * later entry, naming the earlier one. */
    for (size_t i = 1; i < self->n; i++) {
        const zw_auth_entry_t *a = self->by_name[i - 1], *b = self->by_name[i];
        if (strcmp(a->name, b->name) == 0) {
            if (a > b) {
                const zw_auth_entry_t *t = a;
                a = b;
                b = t;
            }
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "name",
                               "%.100s: entry %zu: name \"%s\" is also entry %zu's", origin,
                               (size_t) (b - self->entries) + 1, b->name,
                               (size_t) (a - self->entries) + 1);
        }
    }
    for (size_t i = 1; i < self->n; i++) {
        const zw_auth_entry_t *a = self->by_key[i - 1], *b = self->by_key[i];
        if (memcmp(a->public_bin, b->public_bin, 32) == 0) {
            if (a > b) {
                const zw_auth_entry_t *t = a;
                a = b;
                b = t;
            }
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "public_key",
                               "%.100s: entry %zu (\"%s\"): public_key is also the key of entry "
                               "%zu (\"%s\")",
                               origin, (size_t) (b - self->entries) + 1, b->name,
                               (size_t) (a - self->entries) + 1, a->name);
        }
    }
    return 0;
}

zw_auth_registry_t *zw_auth_registry_parse(const char *json, size_t len, const char *origin,
                                           zw_err_t *err)
{
    if (!origin)
        origin = "key registry";
    cJSON *root = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (!root) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "json", "%.200s: not valid JSON", origin);
        return NULL;
    }
    const cJSON *list = root;
    if (cJSON_IsObject(root)) {
        for (const cJSON *it = root->child; it; it = it->next)
            if (strcmp(it->string, "keys") != 0 && strcmp(it->string, "comment") != 0) {
                zw_err_setd(err, ZW_INVALID_ARGUMENT, it->string,
                            "%.150s: unknown key '%.40s' (expected \"keys\")", origin, it->string);
                cJSON_Delete(root);
                return NULL;
            }
        list = cJSON_GetObjectItemCaseSensitive(root, "keys");
    }
    if (!cJSON_IsArray(list)) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "keys",
                    "%.150s: expected {\"keys\": [...]} or an array of keys", origin);
        cJSON_Delete(root);
        return NULL;
    }
    zw_auth_registry_t *self = calloc(1, sizeof *self);
    if (!self)
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    else if (s_build(self, list, origin, err) != 0)
        zw_auth_registry_destroy(&self);
    cJSON_Delete(root);
    return self;
}

zw_auth_registry_t *zw_auth_registry_load(const char *path, zw_err_t *err)
{
    if (!path || !*path) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "path", "no key registry file named");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        zw_err_setd(err, ZW_NOT_FOUND, "path", "key registry %.180s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *bigger = cap < S_MAX_FILE ? realloc(buf, cap * 2) : NULL;
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    bool failed = !buf || ferror(f);
    fclose(f);
    if (failed) {
        free(buf);
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "path",
                    "key registry %.180s: cannot read it (or larger than %u bytes)", path,
                    S_MAX_FILE);
        return NULL;
    }
    zw_auth_registry_t *self = zw_auth_registry_parse(buf, n, path, err);
    free(buf);
    return self;
}

size_t zw_auth_registry_size(const zw_auth_registry_t *self)
{
    return self ? self->n : 0;
}

const zw_auth_entry_t *zw_auth_registry_at(const zw_auth_registry_t *self, size_t i)
{
    return self && i < self->n ? &self->entries[i] : NULL;
}

const zw_auth_entry_t *zw_auth_registry_find_name(const zw_auth_registry_t *self, const char *name)
{
    if (!self || !name)
        return NULL;
    size_t lo = 0, hi = self->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, self->by_name[mid]->name);
        if (c == 0)
            return self->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

const zw_auth_entry_t *zw_auth_registry_find_key(const zw_auth_registry_t *self,
                                                 const uint8_t key[32])
{
    if (!self || !key)
        return NULL;
    size_t lo = 0, hi = self->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(key, self->by_key[mid]->public_bin, 32);
        if (c == 0)
            return self->by_key[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
