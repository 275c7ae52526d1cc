#include "validate.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---------------------------------------------------------------- helpers */

static bool s_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool s_all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s_is_digit(s[i]))
            return false;
    return true;
}

/* Quotes one character for a message: printable ASCII as 'c', anything else
 * (a byte of a multi-byte character, a control) as its hex value, so the
 * message stays readable and valid UTF-8. */
static const char *s_char_repr(char c, char buf[8])
{
    unsigned char u = (unsigned char) c;
    if (u >= 0x20 && u < 0x7f)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", u);
    return buf;
}

static bool s_is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool s_is_date(int y, int m, int d)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    int dim = days[m - 1] + (m == 2 && s_is_leap(y) ? 1 : 0);
    return d <= dim;
}

static int s_num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* Today's date in Beijing (UTC+8, no DST since 1991), as YYYYMMDD. */
static int s_today_beijing(void)
{
    time_t t = time(NULL) + 8 * 3600;
    struct tm tm;
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* ------------------------------------------------------------ resident ID */

#define S_ID_DETAIL "resident_id"

/* GB 11643-1999 (a resident ID; also the 2023 foreign permanent residence
 * card, which "what" names in every message). */
static int s_gb11643(const char *id, int today, const char *what, zw_err_t *err)
{
    static const int weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
    static const char checks[] = "10X98765432";
    char rep[8];

    if (!id)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL, "%s is missing", what);
    size_t n = strlen(id);
    if (n != 18)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "%s must be 18 characters (got %zu)", what, n);
    for (int i = 0; i < 17; i++)
        if (!s_is_digit(id[i]))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                               "%s character %d must be a digit (got %s)", what, i + 1,
                               s_char_repr(id[i], rep));
    if (id[17] == 'x')
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "%s check character must be upper-case X, not x", what);
    if (!s_is_digit(id[17]) && id[17] != 'X')
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "%s check character must be a digit or X (got %s)", what,
                           s_char_repr(id[17], rep));

    /* the messages below name no digit of the number: an error reply must
     * not give back what the masked form hides (DESIGN.md "Security") */
    const char *birth = id + 6;
    int y = s_num(birth, 4), m = s_num(birth + 4, 2), d = s_num(birth + 6, 2);
    if (!s_is_date(y, m, d))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "%s birth date (characters 7-14) is not a date", what);
    int ymd = y * 10000 + m * 100 + d;
    /* GB 11643 sets no lower bound (its own example, 440524188001010014, was
     * born in 1880); this only catches digits that cannot be a birth year. */
    if (ymd < 18000101)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "%s birth date (characters 7-14) is before 1800-01-01", what);
    if (ymd > today)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "%s birth date (characters 7-14) is in the future", what);

    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += (id[i] - '0') * weights[i];
    char want = checks[sum % 11];
    if (id[17] != want)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "%s check character is wrong (a digit was mistyped)", what);
    return 0;
}

int zw_validate_resident_id_on(const char *id, int today, zw_err_t *err)
{
    return s_gb11643(id, today, "resident ID", err);
}

int zw_validate_foreign_permanent_on(const char *id, int today, zw_err_t *err)
{
    const char *what = "foreign permanent residence card number";
    if (id && strlen(id) == 15) { /* the 2004 and 2017 cards */
        for (int i = 0; i < 15; i++)
            if (i < 3 ? !(id[i] >= 'A' && id[i] <= 'Z') : !s_is_digit(id[i]))
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                                   "a 15-character %s is 3 upper-case letters and 12 digits", what);
        return 0;
    }
    if (id && strlen(id) == 18 && id[0] != '9')
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "an 18-character %s starts with 9", what);
    if (id && strlen(id) != 18)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ID_DETAIL,
                           "a %s is 15 characters (3 letters, 12 digits) or 18 (since 2023) "
                           "(got %zu)",
                           what, strlen(id));
    return s_gb11643(id, today, what, err);
}

int zw_validate_resident_id(const char *id, zw_err_t *err)
{
    return zw_validate_resident_id_on(id, s_today_beijing(), err);
}

/* ------------------------------------------------------------------- USCC */

#define S_USCC_DETAIL "uscc"

static const char s_uscc_charset[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

static int s_uscc_value(char c)
{
    if (c == '\0')
        return -1;
    const char *p = strchr(s_uscc_charset, c);
    return p ? (int) (p - s_uscc_charset) : -1;
}

/* GB 11714-1997 check character of an organization code's first 8. */
static char s_org_check(const char *body)
{
    static const int weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = body[i];
        int v = s_is_digit(c) ? c - '0' : c - 'A' + 10;
        sum += v * weights[i];
    }
    int check = 11 - sum % 11;
    return check == 10 ? 'X' : check == 11 ? '0' : (char) ('0' + check);
}

int zw_validate_uscc(const char *code, zw_err_t *err)
{
    static const int weights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};
    char rep[8];

    if (!code)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_USCC_DETAIL, "USCC is missing");
    size_t n = strlen(code);
    if (n != 18)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_USCC_DETAIL,
                           "USCC must be 18 characters (got %zu)", n);
    for (int i = 0; i < 18; i++)
        if (s_uscc_value(code[i]) < 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_USCC_DETAIL,
                               "USCC character %d (%s) is not allowed: only digits and upper-case "
                               "letters other than I, O, Z, S, V",
                               i + 1, s_char_repr(code[i], rep));
    if (!s_all_digits(code + 2, 6))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_USCC_DETAIL,
                           "USCC characters 3-8 (division code) must be digits");
    char org = s_org_check(code + 8);
    if (code[16] != org)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_USCC_DETAIL,
                           "USCC organization code check character (17th) should be %c", org);
    int sum = 0;
    for (int i = 0; i < 17; i++)
        sum += s_uscc_value(code[i]) * weights[i];
    char want = s_uscc_charset[(31 - sum % 31) % 31];
    if (code[17] != want)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_USCC_DETAIL,
                           "USCC check character should be %c", want);
    return 0;
}

/* ---------------------------------------------------------------- regions */

#define S_DIV_DETAIL "division"

typedef struct {
    char code[7];
    char parent[7]; /* "" for a top-level region */
    char *name;
} s_region_t;

struct zw_regions {
    s_region_t *items; /* sorted by code */
    size_t count;
};

static int s_region_cmp(const void *a, const void *b)
{
    return strcmp(((const s_region_t *) a)->code, ((const s_region_t *) b)->code);
}

static const s_region_t *s_find(const zw_regions_t *self, const char *code6)
{
    if (!self || self->count == 0 || !code6 || strlen(code6) != 6)
        return NULL;
    s_region_t key;
    memcpy(key.code, code6, 7);
    return bsearch(&key, self->items, self->count, sizeof key, s_region_cmp);
}

void zw_regions_destroy(zw_regions_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_regions_t *self = *self_p;
    for (size_t i = 0; i < self->count; i++)
        free(self->items[i].name);
    free(self->items);
    free(self);
    *self_p = NULL;
}

static bool s_is_code6(const cJSON *item)
{
    return cJSON_IsString(item) && strlen(item->valuestring) == 6 &&
           s_all_digits(item->valuestring, 6);
}

/* Fills *out from one array element; returns -1 with *err set. */
static int s_parse_region(const cJSON *obj, int index, s_region_t *out, zw_err_t *err)
{
    if (!cJSON_IsObject(obj))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "regions[%d]: expected an object", index);
    const cJSON *code = NULL, *name = NULL, *parent = NULL;
    for (const cJSON *m = obj->child; m; m = m->next) {
        const cJSON **slot = strcmp(m->string, "code") == 0     ? &code
                             : strcmp(m->string, "name") == 0   ? &name
                             : strcmp(m->string, "parent") == 0 ? &parent
                                                                : NULL;
        if (!slot)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                               "regions[%d]: unknown member \"%.40s\"", index, m->string);
        if (*slot)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                               "regions[%d]: member \"%s\" appears twice", index, m->string);
        *slot = m;
    }
    if (!s_is_code6(code))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "regions[%d]: code must be a string of 6 digits", index);
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0')
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "regions[%d] (%s): name must be a non-empty string", index,
                           code->valuestring);
    if (parent && !cJSON_IsNull(parent) && !s_is_code6(parent))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "regions[%d] (%s): parent must be null or a string of 6 digits", index,
                           code->valuestring);
    memcpy(out->code, code->valuestring, 7);
    if (parent && cJSON_IsString(parent))
        memcpy(out->parent, parent->valuestring, 7);
    else
        out->parent[0] = '\0';
    out->name = strdup(name->valuestring);
    if (!out->name)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    return 0;
}

/* Every parent must be in the table, and following parents must end at a
 * top-level region (no cycles), so callers may walk up without a limit. */
static int s_check_tree(const zw_regions_t *self, zw_err_t *err)
{
    for (size_t i = 0; i < self->count; i++) {
        const s_region_t *r = &self->items[i];
        if (i > 0 && strcmp(self->items[i - 1].code, r->code) == 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                               "regions: code %s appears twice", r->code);
        size_t steps = 0;
        for (const s_region_t *p = r; p->parent[0]; steps++) {
            const s_region_t *up = s_find(self, p->parent);
            if (!up)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                                   "regions: parent %s of %s is not in the table", p->parent,
                                   p->code);
            if (steps >= self->count)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                                   "regions: the parents of %s form a cycle", r->code);
            p = up;
        }
    }
    return 0;
}

zw_regions_t *zw_regions_parse(const char *json, size_t len, zw_err_t *err)
{
    if (!json) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL, "regions: no JSON text");
        return NULL;
    }
    const char *at = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &at, 0);
    if (!root) {
        size_t off = at && at >= json && at <= json + len ? (size_t) (at - json) : 0;
        zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL, "regions: invalid JSON near byte %zu",
                    off);
        return NULL;
    }
    const cJSON *list = root;
    if (cJSON_IsObject(root))
        list = cJSON_GetObjectItemCaseSensitive(root, "regions");
    zw_regions_t *self = NULL;
    if (!cJSON_IsArray(list)) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                    "regions: expected an array of regions, or an object with one in \"regions\"");
        goto fail;
    }
    self = calloc(1, sizeof *self);
    int n = cJSON_GetArraySize(list);
    if (!self || (n > 0 && !(self->items = calloc((size_t) n, sizeof *self->items)))) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        goto fail;
    }
    int index = 0;
    for (const cJSON *item = list->child; item; item = item->next, index++) {
        if (s_parse_region(item, index, &self->items[self->count], err) != 0)
            goto fail;
        self->count++;
    }
    if (self->count > 0) /* qsort's base may not be NULL, even for 0 items */
        qsort(self->items, self->count, sizeof *self->items, s_region_cmp);
    if (s_check_tree(self, err) != 0)
        goto fail;
    cJSON_Delete(root);
    return self;
fail:
    zw_regions_destroy(&self);
    cJSON_Delete(root);
    return NULL;
}

/* A regions table is small; anything past this is not one. */
#define S_MAX_FILE (16u << 20)

zw_regions_t *zw_regions_load(const char *path, zw_err_t *err)
{
    if (!path) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL, "regions: no file name");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        zw_err_setd(err, e == ENOENT ? ZW_NOT_FOUND : ZW_FAILED_PRECONDITION, path,
                    "regions: cannot open %.180s: %s", path, strerror(e));
        return NULL;
    }
    char *buf = malloc(S_MAX_FILE + 1);
    size_t len = buf ? fread(buf, 1, S_MAX_FILE + 1, f) : 0;
    int failed = !buf || ferror(f);
    fclose(f);
    zw_regions_t *self = NULL;
    if (failed)
        zw_err_setd(err, ZW_FAILED_PRECONDITION, path, "regions: cannot read %.180s", path);
    else if (len > S_MAX_FILE)
        zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "regions: %.180s is larger than %u bytes", path,
                    S_MAX_FILE);
    else {
        self = zw_regions_parse(buf, len, err);
        /* Name the file: "regions: invalid JSON" alone does not say which. */
        if (!self && err && strlen(err->message) < 100) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%.100s (%.140s)", err->message, path);
            memcpy(err->message, msg, sizeof msg);
        }
    }
    free(buf);
    return self;
}

size_t zw_regions_count(const zw_regions_t *self)
{
    return self ? self->count : 0;
}

const char *zw_regions_name(const zw_regions_t *self, const char *code6)
{
    const s_region_t *r = s_find(self, code6);
    return r ? r->name : NULL;
}

const char *zw_regions_parent(const zw_regions_t *self, const char *code6)
{
    const s_region_t *r = s_find(self, code6);
    return r ? r->parent : NULL;
}

const char *zw_regions_default_path(void)
{
    const char *env = getenv("ZWFW_REGIONS");
    if (env && *env)
        return env;
    return ZWFW_SOURCE_DIR "/deploy/regions.json";
}

int zw_validate_division(const zw_regions_t *regions, const char *code, zw_err_t *err)
{
    if (!regions)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "division code cannot be checked: no regions table");
    if (!code)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL, "division code is missing");
    size_t n = strlen(code);
    if (n != 6 && n != 12)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "division code must be 6 or 12 digits (got %zu characters)", n);
    if (!s_all_digits(code, n))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "division code must be digits only");
    char code6[7];
    memcpy(code6, code, 6);
    code6[6] = '\0';
    if (!s_find(regions, code6))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_DIV_DETAIL,
                           "division code %s is not a region this deployment knows", code6);
    return 0;
}

/* ------------------------------------------------------ implementation code */

#define S_IMPL_DETAIL "impl_code"

/* Re-labels an error from a nested check so the caller sees which part of
 * the implementation code failed. */
static int s_impl_wrap(zw_err_t *err, const zw_err_t *inner)
{
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL, "implementation code %s",
                       inner->message);
}

int zw_validate_impl_code(const zw_regions_t *regions, const char *code, zw_err_t *err)
{
    if (!code)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code is missing");
    enum { NPARTS = 6 };
    const char *part[NPARTS];
    size_t len[NPARTS];
    int nparts = 0;
    for (const char *p = code;;) {
        const char *dash = strchr(p, '-');
        size_t l = dash ? (size_t) (dash - p) : strlen(p);
        if (nparts < NPARTS) {
            part[nparts] = p;
            len[nparts] = l;
        }
        nparts++;
        if (!dash)
            break;
        p = dash + 1;
    }
    if (nparts != NPARTS)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code must have 6 parts separated by '-' (got %d)",
                           nparts);

    if (len[0] < 12 || len[0] > 14)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code basic code must be 12-14 characters (got %zu)",
                           len[0]);
    for (size_t i = 0; i < len[0]; i++) {
        char c = part[0][i];
        if (!s_is_digit(c) && !(c >= 'A' && c <= 'Z'))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                               "implementation code basic code must be digits and upper-case "
                               "letters");
    }

    if (len[1] != 12 || !s_all_digits(part[1], 12))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code division part must be 12 digits");
    zw_err_t inner;
    if (regions) {
        char division[13];
        memcpy(division, part[1], 12);
        division[12] = '\0';
        if (zw_validate_division(regions, division, &inner) != 0)
            return s_impl_wrap(err, &inner);
    }

    if (len[2] != 3 || !s_all_digits(part[2], 3))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code third part must be 3 digits (e.g. 000)");

    if (len[3] != 18)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code department USCC must be 18 characters (got %zu)",
                           len[3]);
    char uscc[19];
    memcpy(uscc, part[3], 18);
    uscc[18] = '\0';
    if (zw_validate_uscc(uscc, &inner) != 0)
        return s_impl_wrap(err, &inner);

    if (len[4] != 1 || !s_is_digit(part[4][0]))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code fifth part must be 1 digit (e.g. 1)");
    if (len[5] != 2 || !s_all_digits(part[5], 2))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_IMPL_DETAIL,
                           "implementation code last part must be 2 digits (e.g. 00)");
    return 0;
}

/* ------------------------------------------------------------------- actor */

#define S_ACTOR "actor"

/* Decodes the UTF-8 sequence at p into *cp; returns its length, or 0 when
 * it is not well-formed (overlong forms, surrogates, past U+10FFFF). */
static size_t s_utf8_next(const unsigned char *p, unsigned *cp)
{
    unsigned c = p[0];
    size_t need = c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
    if (need == 0)
        return 0;
    unsigned v = need == 1 ? c : c & (0xFFu >> (need + 1));
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0; /* also stops at the NUL */
        v = v << 6 | (p[i] & 0x3F);
    }
    static const unsigned least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < least[need] || (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return 0;
    *cp = v;
    return need;
}

long zw_validate_text_chars(const char *text)
{
    const unsigned char *p = (const unsigned char *) text;
    long chars = 0;
    unsigned cp = 0;
    while (p && *p) {
        size_t len = s_utf8_next(p, &cp);
        if (len == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return -1;
        p += len;
        chars++;
    }
    return chars;
}

/* Unicode White_Space that is not a control or line break. */
static bool s_is_space(unsigned cp)
{
    return cp == 0x20 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool zw_validate_text_blank(const char *text)
{
    const unsigned char *p = (const unsigned char *) text;
    unsigned cp = 0;
    while (p && *p) {
        size_t len = s_utf8_next(p, &cp);
        if (len == 0)
            return false;
        if (!s_is_space(cp) && !(cp >= 0x09 && cp <= 0x0D) && cp != 0x2028 && cp != 0x2029 &&
            cp != 0x200B && cp != 0xFEFF)
            return false;
        p += len;
    }
    return true;
}

int zw_validate_actor(const char *actor, zw_err_t *err)
{
    if (!actor || !*actor)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ACTOR,
                           "actor is required: who acted, for history and audit");
    const unsigned char *p = (const unsigned char *) actor;
    unsigned cp = 0;
    bool first = true;
    int chars = 0;
    while (*p) {
        size_t len = s_utf8_next(p, &cp);
        if (len == 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ACTOR,
                               "actor is not valid UTF-8 (byte %td)", (const char *) p - actor + 1);
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ACTOR,
                               "actor holds U+%04X, a control character or line break: it is "
                               "one line of text",
                               cp);
        if (first && s_is_space(cp))
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ACTOR, "actor begins with a space");
        first = false;
        chars++;
        p += len;
    }
    if (s_is_space(cp))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ACTOR, "actor ends with a space");
    if (chars > ZW_VALIDATE_ACTOR_MAX_CHARS)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ACTOR, "actor is %d characters; at most %d",
                           chars, ZW_VALIDATE_ACTOR_MAX_CHARS);
    size_t bytes = (size_t) ((const char *) p - actor);
    if (bytes > ZW_VALIDATE_ACTOR_MAX_BYTES)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, S_ACTOR,
                           "actor is %zu bytes of UTF-8; at most %d", bytes,
                           ZW_VALIDATE_ACTOR_MAX_BYTES);
    return 0;
}
