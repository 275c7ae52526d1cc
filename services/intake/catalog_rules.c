/* The catalog's rules: normalising and checking items and bundles, request
 * fields, page tokens. Pure functions (catalog_rules.h). */
#include "catalog_rules.h"

#include "time_limits.h"
#include "validate.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- text ------------------------------------------------------------------ */

long zw_catalog_utf8_len(const char *s)
{
    if (!s)
        return -1;
    const unsigned char *p = (const unsigned char *) s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        int more;
        unsigned cp;
        if (c < 0x80) {
            p++;
            n++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            more = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            more = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            more = 3;
            cp = c & 0x07;
        } else {
            return -1;
        }
        for (int i = 1; i <= more; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((more == 2 && cp < 0x800) || (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        p += more + 1;
        n++;
    }
    return n;
}

/* "path.field" or "field" into out. */
static const char *s_path(char *out, size_t outsz, const char *path, const char *field)
{
    if (path && *path)
        snprintf(out, outsz, "%s.%s", path, field);
    else
        snprintf(out, outsz, "%s", field);
    return out;
}

static int s_bad(zw_err_t *err, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int s_bad(zw_err_t *err, const char *where, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, where, "%s: %s", where, what);
}

int zw_catalog_check_string(const char *where, const char *value, long max, unsigned flags,
                            zw_err_t *err)
{
    if (!value || !*value) {
        if (flags & ZW_CATALOG_TEXT_REQUIRED)
            return s_bad(err, where, "is required");
        return 0;
    }
    long n = zw_catalog_utf8_len(value);
    if (n < 0)
        return s_bad(err, where, "is not valid UTF-8");
    if ((flags & ZW_CATALOG_TEXT_REQUIRED) && zw_validate_text_blank(value))
        return s_bad(err, where, "is required: blanks alone are not a value");
    if (n > max)
        return s_bad(err, where, "is %ld characters; at most %ld", n, max);
    for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
        bool space = *p == '\n' || *p == '\r' || *p == '\t';
        if ((*p < 0x20 || *p == 0x7F) && !(space && (flags & ZW_CATALOG_TEXT_NEWLINES)))
            return s_bad(err, where, "holds a control character");
    }
    return 0;
}

/* ---- normalising ----------------------------------------------------------- */

static bool s_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims in place; only writes into non-empty strings (which are the
 * message's own; the empty string may be the shared read-only one). */
static void s_trim(char *s)
{
    if (!s || !*s)
        return;
    size_t n = strlen(s), start = 0;
    while (start < n && s_blank(s[start]))
        start++;
    while (n > start && s_blank(s[n - 1]))
        n--;
    if (start > 0 || n < strlen(s)) {
        memmove(s, s + start, n - start);
        s[n - start] = '\0';
    }
}

static void s_upper(char *s)
{
    if (!s)
        return;
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char) (*s - 'a' + 'A');
}

/* Replaces a string field with a copy of value[0..len). */
static int s_set_str(char **field, const char *value, size_t len)
{
    char *copy = strndup(value, len);
    if (!copy)
        return -1;
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = copy;
    return 0;
}

static void s_clear_str(char **field)
{
    if (*field && *field != protobuf_c_empty_string)
        free(*field);
    *field = (char *) protobuf_c_empty_string;
}

void zw_catalog_strip_unknown(ProtobufCMessage *msg)
{
    if (!msg)
        return;
    for (unsigned i = 0; i < msg->n_unknown_fields; i++)
        free(msg->unknown_fields[i].data);
    free(msg->unknown_fields);
    msg->unknown_fields = NULL;
    msg->n_unknown_fields = 0;
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned f = 0; f < d->n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[f];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        char *base = (char *) msg;
        if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *) (base + fd->quantifier_offset);
            ProtobufCMessage **arr = *(ProtobufCMessage ***) (base + fd->offset);
            for (size_t i = 0; i < n; i++)
                zw_catalog_strip_unknown(arr[i]);
        } else {
            zw_catalog_strip_unknown(*(ProtobufCMessage **) (base + fd->offset));
        }
    }
}

/* Part `index` (0-based) of a '-'-separated code: pointer and length, or
 * NULL when there are fewer parts. */
static const char *s_part(const char *code, int index, size_t *len)
{
    const char *p = code;
    for (int i = 0; i < index; i++) {
        p = strchr(p, '-');
        if (!p)
            return NULL;
        p++;
    }
    const char *dash = strchr(p, '-');
    *len = dash ? (size_t) (dash - p) : strlen(p);
    return p;
}

static void s_drop_limit(Zwfw__V1__TimeLimit **limit)
{
    if (*limit && (*limit)->amount == 0) {
        protobuf_c_message_free_unpacked(&(*limit)->base, NULL);
        *limit = NULL;
    }
}

int zw_catalog_item_normalise(Zwfw__V1__Item *item)
{
    zw_catalog_strip_unknown(&item->base);
    char *fields[] = {item->basic_code,      item->impl_code,       item->name,
                      item->department_code, item->department_name, item->region_code,
                      item->service_area};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        s_trim(fields[i]);
    s_upper(item->impl_code);
    s_upper(item->basic_code);
    s_upper(item->department_code);
    for (size_t i = 0; i < item->n_materials; i++) {
        Zwfw__V1__ItemMaterial *m = item->materials[i];
        s_trim(m->code);
        s_trim(m->name);
        s_trim(m->note);
    }
    for (size_t i = 0; i < item->n_partner_regions; i++)
        s_trim(item->partner_regions[i]);

    size_t len;
    const char *part;
    /* Only from a code with parts: a bare word is no basic code. */
    if (!*item->basic_code && strchr(item->impl_code, '-') &&
        (part = s_part(item->impl_code, 0, &len)) && s_set_str(&item->basic_code, part, len) != 0)
        return -1;
    if (!*item->region_code && (part = s_part(item->impl_code, 1, &len)) &&
        s_set_str(&item->region_code, part, len) != 0)
        return -1;

    s_drop_limit(&item->statutory_limit);
    s_drop_limit(&item->promised_limit);
    if (item->fee) {
        s_trim(item->fee->currency);
        s_upper(item->fee->currency);
        if (item->fee->fen == 0) {
            protobuf_c_message_free_unpacked(&item->fee->base, NULL);
            item->fee = NULL;
        } else if (!*item->fee->currency && s_set_str(&item->fee->currency, "CNY", 3) != 0) {
            return -1;
        }
    }

    item->status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_UNSPECIFIED;
    item->version = 0;
    if (item->updated_at) {
        protobuf_c_message_free_unpacked(&item->updated_at->base, NULL);
        item->updated_at = NULL;
    }
    s_clear_str(&item->cancel_reason);
    return 0;
}

void zw_catalog_norm_code(char *code)
{
    s_trim(code);
    s_upper(code);
}

int zw_catalog_bundle_normalise(Zwfw__V1__Bundle *bundle)
{
    zw_catalog_strip_unknown(&bundle->base);
    zw_catalog_norm_code(bundle->code); /* as intake looks it up */
    s_trim(bundle->name);
    s_trim(bundle->description);
    for (size_t i = 0; i < bundle->n_item_codes; i++) {
        s_trim(bundle->item_codes[i]);
        s_upper(bundle->item_codes[i]);
    }
    bundle->status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_UNSPECIFIED;
    bundle->version = 0;
    return 0;
}

/* ---- checking items -------------------------------------------------------- */

/* NULL is no limit; the unit goes over as is (time_limits.h: LimitUnit
 * numbers the units as zw_limit_unit_t does). */
static zw_time_limit_t s_time_limit(const Zwfw__V1__TimeLimit *limit)
{
    zw_time_limit_t out = {0, 0};
    if (limit) {
        out.amount = limit->amount;
        out.unit = (int) limit->unit;
    }
    return out;
}

int64_t zw_catalog_limit_minutes(const Zwfw__V1__TimeLimit *limit, int minutes_per_day)
{
    if (minutes_per_day <= 0)
        minutes_per_day = ZW_CATALOG_MINUTES_PER_DAY;
    return zw_time_limits_minutes(s_time_limit(limit), minutes_per_day);
}

static const char *s_unit_name(int unit)
{
    return unit == ZW_LIMIT_WORKDAYS ? "working days" : "hours";
}

static int s_limit(const char *path, const char *field, const Zwfw__V1__TimeLimit *limit,
                   zw_err_t *err)
{
    char where[160], sub[192];
    s_path(where, sizeof where, path, field);
    if (!limit)
        return 0;
    if (limit->amount < 0)
        return s_bad(err, s_path(sub, sizeof sub, where, "amount"), "must not be negative");
    if (limit->amount > ZW_CATALOG_LIMIT_MAX)
        return s_bad(err, s_path(sub, sizeof sub, where, "amount"), "%d is more than %d",
                     limit->amount, ZW_CATALOG_LIMIT_MAX);
    if (limit->unit != ZW_LIMIT_WORKDAYS && limit->unit != ZW_LIMIT_HOURS_UNIT)
        return s_bad(err, s_path(sub, sizeof sub, where, "unit"),
                     "must be LIMIT_UNIT_WORKDAYS or LIMIT_UNIT_HOURS");
    return 0;
}

static bool s_item_type_ok(int t)
{
    return (t >= ZWFW__V1__ITEM_TYPE__ITEM_TYPE_LICENSING &&
            t <= ZWFW__V1__ITEM_TYPE__ITEM_TYPE_OTHER_POWER) ||
           t == ZWFW__V1__ITEM_TYPE__ITEM_TYPE_PUBLIC_SERVICE;
}

/* Wraps a zw_validate_* error under the field's path. */
static int s_wrap(zw_err_t *err, const char *where, const zw_err_t *inner)
{
    return s_bad(err, where, "%s", inner->message);
}

static int s_codes(const Zwfw__V1__Item *item, const zw_regions_t *regions, const char *path,
                   zw_err_t *err)
{
    char where[160];
    zw_err_t inner;
    s_path(where, sizeof where, path, "impl_code");
    if (!*item->impl_code)
        return s_bad(err, where, "is required");
    if (zw_catalog_check_string(where, item->impl_code, 100, 0, err) != 0)
        return -1;
    if (zw_validate_impl_code(regions, item->impl_code, &inner) != 0)
        return s_wrap(err, where, &inner);

    size_t len;
    const char *basic = s_part(item->impl_code, 0, &len);
    s_path(where, sizeof where, path, "basic_code");
    if (strlen(item->basic_code) != len || memcmp(item->basic_code, basic, len) != 0)
        return s_bad(err, where, "%s does not match the implementation code's basic code %.*s",
                     item->basic_code, (int) len, basic);

    const char *division = s_part(item->impl_code, 1, &len);
    s_path(where, sizeof where, path, "region_code");
    if (strlen(item->region_code) != len || memcmp(item->region_code, division, len) != 0)
        return s_bad(err, where, "%s does not match the implementation code's division %.*s",
                     item->region_code, (int) len, division);

    s_path(where, sizeof where, path, "department_code");
    if (!*item->department_code)
        return s_bad(err, where, "is required");
    if (zw_validate_uscc(item->department_code, &inner) != 0)
        return s_wrap(err, where, &inner);
    const char *uscc = s_part(item->impl_code, 3, &len);
    if (strlen(item->department_code) != len || memcmp(item->department_code, uscc, len) != 0)
        return s_bad(err, where, "%s is not the department in the implementation code (%.*s)",
                     item->department_code, (int) len, uscc);
    return 0;
}

static int s_limits(const Zwfw__V1__Item *item, int minutes_per_day, const char *path,
                    zw_err_t *err)
{
    char where[160];
    if (s_limit(path, "statutory_limit", item->statutory_limit, err) != 0 ||
        s_limit(path, "promised_limit", item->promised_limit, err) != 0)
        return -1;
    const Zwfw__V1__TimeLimit *st = item->statutory_limit, *pr = item->promised_limit;
    s_path(where, sizeof where, path, "promised_limit");
    if (item->handling == ZW_HANDLING_PROMISED && !pr)
        return s_bad(err, where, "is required for a 承诺件 (HANDLING_TYPE_PROMISED)");
    if (item->handling == ZW_HANDLING_IMMEDIATE && pr) {
        if (pr->unit != ZW_LIMIT_HOURS_UNIT)
            return s_bad(err, where,
                         "a 即办件 (HANDLING_TYPE_IMMEDIATE) is finished the same day: give its "
                         "promised limit in hours, or none");
        if (zw_catalog_limit_minutes(pr, minutes_per_day) > minutes_per_day)
            return s_bad(err, where,
                         "%d hours is more than one working day (%d minutes) for a 即办件",
                         pr->amount, minutes_per_day);
    }
    /* never longer for any acceptance time (the rule workflow applies to
     * a new process too); both limits were checked above, so it compares */
    if (st && pr &&
        zw_time_limits_longer(s_time_limit(pr), s_time_limit(st), minutes_per_day) > 0) {
        if (pr->unit != st->unit && pr->unit != ZW_LIMIT_HOURS_UNIT)
            /* the puzzling case: equal minutes, and still longer */
            return s_bad(err, where,
                         "%d %s can end later than the statutory limit of %d %s: working days "
                         "run from the working day after acceptance, hours from acceptance, so "
                         "the days get the rest of the acceptance day on top (a working day "
                         "counts %d minutes)",
                         pr->amount, s_unit_name(pr->unit), st->amount, s_unit_name(st->unit),
                         minutes_per_day);
        return s_bad(err, where,
                     "%d %s is longer than the statutory limit of %d %s (a working day "
                     "counts %d minutes)",
                     pr->amount, s_unit_name(pr->unit), st->amount, s_unit_name(st->unit),
                     minutes_per_day);
    }
    return 0;
}

static int s_materials(const Zwfw__V1__Item *item, const char *path, zw_err_t *err)
{
    char where[160], base[128], field[32];
    s_path(where, sizeof where, path, "materials");
    if (item->n_materials > ZW_CATALOG_MATERIALS_MAX)
        return s_bad(err, where, "%zu materials; at most %d", item->n_materials,
                     ZW_CATALOG_MATERIALS_MAX);
    for (size_t i = 0; i < item->n_materials; i++) {
        const Zwfw__V1__ItemMaterial *m = item->materials[i];
        snprintf(field, sizeof field, "materials[%zu]", i);
        s_path(base, sizeof base, path, field);
        if (zw_catalog_check_string(s_path(where, sizeof where, base, "code"), m->code,
                                    ZW_CATALOG_MATERIAL_CODE_MAX, ZW_CATALOG_TEXT_REQUIRED,
                                    err) != 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(item->materials[j]->code, m->code) == 0)
                return s_bad(err, where, "%s repeats materials[%zu].code", m->code, j);
        if (zw_catalog_check_string(s_path(where, sizeof where, base, "name"), m->name,
                                    ZW_CATALOG_NAME_MAX, ZW_CATALOG_TEXT_REQUIRED, err) != 0 ||
            zw_catalog_check_string(s_path(where, sizeof where, base, "note"), m->note,
                                    ZW_CATALOG_NOTE_MAX, ZW_CATALOG_TEXT_NEWLINES, err) != 0)
            return -1;
        if (m->form < ZWFW__V1__MATERIAL_FORM__MATERIAL_FORM_UNSPECIFIED ||
            m->form > ZWFW__V1__MATERIAL_FORM__MATERIAL_FORM_EITHER)
            return s_bad(err, s_path(where, sizeof where, base, "form"), "unknown form %d",
                         (int) m->form);
        if (m->copies < 0 || m->copies > ZW_CATALOG_COPIES_MAX)
            return s_bad(err, s_path(where, sizeof where, base, "copies"), "%d is outside 0..%d",
                         m->copies, ZW_CATALOG_COPIES_MAX);
        if (m->waivable && !m->required)
            return s_bad(err, s_path(where, sizeof where, base, "waivable"),
                         "only a required material can be 容缺-eligible");
    }
    return 0;
}

static int s_cross(const Zwfw__V1__Item *item, const zw_regions_t *regions, const char *path,
                   zw_err_t *err)
{
    char where[160], sub[192];
    int scope = item->cross_scope, mode = item->cross_mode;
    if (scope < ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_NONE ||
        scope > ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_INTER_DISTRICT)
        return s_bad(err, s_path(where, sizeof where, path, "cross_scope"), "unknown scope %d",
                     scope);
    s_path(where, sizeof where, path, "cross_mode");
    if (mode < ZWFW__V1__CROSS_MODE__CROSS_MODE_UNSPECIFIED ||
        mode > ZWFW__V1__CROSS_MODE__CROSS_MODE_JOINT)
        return s_bad(err, where, "unknown mode %d", mode);
    if (scope == ZWFW__V1__CROSS_SCOPE__CROSS_SCOPE_NONE) {
        if (mode != ZWFW__V1__CROSS_MODE__CROSS_MODE_UNSPECIFIED)
            return s_bad(err, where, "is set but cross_scope is CROSS_SCOPE_NONE");
        if (item->n_partner_regions)
            return s_bad(err, s_path(where, sizeof where, path, "partner_regions"),
                         "are set but cross_scope is CROSS_SCOPE_NONE");
    } else if (mode == ZWFW__V1__CROSS_MODE__CROSS_MODE_UNSPECIFIED) {
        return s_bad(err, where, "is required for a cross-region item");
    }
    if (mode == ZWFW__V1__CROSS_MODE__CROSS_MODE_FULLY_ONLINE && !item->online)
        return s_bad(err, s_path(where, sizeof where, path, "online"),
                     "must be true for a 全程网办 (CROSS_MODE_FULLY_ONLINE) item");
    s_path(where, sizeof where, path, "partner_regions");
    if (item->n_partner_regions > ZW_CATALOG_PARTNERS_MAX)
        return s_bad(err, where, "%zu regions; at most %d", item->n_partner_regions,
                     ZW_CATALOG_PARTNERS_MAX);
    for (size_t i = 0; i < item->n_partner_regions; i++) {
        const char *code = item->partner_regions[i];
        snprintf(sub, sizeof sub, "%s[%zu]", where, i);
        zw_err_t inner;
        size_t n = strlen(code);
        bool digits = n == 6 || n == 12;
        for (size_t k = 0; digits && k < n; k++)
            digits = code[k] >= '0' && code[k] <= '9';
        if (!digits)
            return s_bad(err, sub, "a division code is 6 or 12 digits");
        if (regions && zw_validate_division(regions, code, &inner) != 0)
            return s_wrap(err, sub, &inner);
        for (size_t j = 0; j < i; j++)
            if (strcmp(item->partner_regions[j], code) == 0)
                return s_bad(err, sub, "%s repeats partner_regions[%zu]", code, j);
    }
    return 0;
}

int zw_catalog_item_check(const Zwfw__V1__Item *item, const zw_regions_t *regions,
                          int minutes_per_day, const char *path, zw_err_t *err)
{
    char where[160];
    if (minutes_per_day <= 0)
        minutes_per_day = ZW_CATALOG_MINUTES_PER_DAY;
    if (!item)
        return s_bad(err, path && *path ? path : "item", "is required");
    if (s_codes(item, regions, path, err) != 0)
        return -1;
    if (zw_catalog_check_string(s_path(where, sizeof where, path, "department_name"),
                                item->department_name, ZW_CATALOG_DEPARTMENT_NAME_MAX,
                                ZW_CATALOG_TEXT_REQUIRED, err) != 0 ||
        zw_catalog_check_string(s_path(where, sizeof where, path, "name"), item->name,
                                ZW_CATALOG_NAME_MAX, ZW_CATALOG_TEXT_REQUIRED, err) != 0 ||
        zw_catalog_check_string(s_path(where, sizeof where, path, "service_area"),
                                item->service_area, ZW_CATALOG_SERVICE_AREA_MAX, 0, err) != 0)
        return -1;
    if (item->type == ZWFW__V1__ITEM_TYPE__ITEM_TYPE_UNSPECIFIED)
        return s_bad(err, s_path(where, sizeof where, path, "type"), "is required");
    if (!s_item_type_ok(item->type))
        return s_bad(err, s_path(where, sizeof where, path, "type"), "unknown item type %d",
                     (int) item->type);
    s_path(where, sizeof where, path, "handling");
    if (item->handling == ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_UNSPECIFIED)
        return s_bad(err, where, "is required (HANDLING_TYPE_IMMEDIATE or HANDLING_TYPE_PROMISED)");
    if (item->handling != ZW_HANDLING_IMMEDIATE && item->handling != ZW_HANDLING_PROMISED)
        return s_bad(err, where, "unknown handling type %d", (int) item->handling);
    if (s_limits(item, minutes_per_day, path, err) != 0 || s_materials(item, path, err) != 0)
        return -1;
    if (item->max_visits < 0 || item->max_visits > ZW_CATALOG_VISITS_MAX)
        return s_bad(err, s_path(where, sizeof where, path, "max_visits"), "%d is outside 0..%d",
                     item->max_visits, ZW_CATALOG_VISITS_MAX);
    if (item->fee) {
        s_path(where, sizeof where, path, "fee");
        if (item->fee->fen < 0)
            return s_bad(err, where, "must not be negative");
        const char *c = item->fee->currency;
        if (strlen(c) != 3 || !isupper((unsigned char) c[0]) || !isupper((unsigned char) c[1]) ||
            !isupper((unsigned char) c[2]))
            return s_bad(err, where, "currency must be an ISO 4217 code such as CNY");
    }
    return s_cross(item, regions, path, err);
}

static int s_digest(const ProtobufCMessage *msg, char out[ZW_AUDIT_HASH_LEN + 1])
{
    size_t len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    protobuf_c_message_pack(msg, buf);
    zw_audit_digest(buf, len, out);
    free(buf);
    return 0;
}

int zw_catalog_item_digest(const Zwfw__V1__Item *item, char out[ZW_AUDIT_HASH_LEN + 1])
{
    /* A shallow copy: packing only reads, and the fields left out are the
     * copy's own. */
    Zwfw__V1__Item copy = *item;
    copy.base.n_unknown_fields = 0;
    copy.base.unknown_fields = NULL;
    copy.status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_UNSPECIFIED;
    copy.version = 0;
    copy.updated_at = NULL;
    copy.cancel_reason = (char *) protobuf_c_empty_string;
    return s_digest(&copy.base, out);
}

/* ---- bundles ---------------------------------------------------------------- */

int zw_catalog_bundle_check(const Zwfw__V1__Bundle *bundle, const zw_regions_t *regions,
                            const char *path, zw_err_t *err)
{
    char where[160], sub[192];
    if (!bundle)
        return s_bad(err, path && *path ? path : "bundle", "is required");
    s_path(where, sizeof where, path, "code");
    if (zw_catalog_check_string(where, bundle->code, ZW_CATALOG_BUNDLE_CODE_MAX,
                                ZW_CATALOG_TEXT_REQUIRED, err) != 0)
        return -1;
    for (const char *p = bundle->code; *p; p++)
        if (!isalnum((unsigned char) *p) && *p != '.' && *p != '_' && *p != '-')
            return s_bad(err, where, "may hold only letters, digits, '.', '_' and '-'");
    if (zw_catalog_check_string(s_path(where, sizeof where, path, "name"), bundle->name,
                                ZW_CATALOG_NAME_MAX, ZW_CATALOG_TEXT_REQUIRED, err) != 0 ||
        zw_catalog_check_string(s_path(where, sizeof where, path, "description"),
                                bundle->description, ZW_CATALOG_DESCRIPTION_MAX,
                                ZW_CATALOG_TEXT_NEWLINES, err) != 0)
        return -1;
    s_path(where, sizeof where, path, "item_codes");
    if (bundle->n_item_codes < ZW_CATALOG_BUNDLE_ITEMS_MIN ||
        bundle->n_item_codes > ZW_CATALOG_BUNDLE_ITEMS_MAX)
        return s_bad(err, where, "a bundle has %d to %d items (got %zu)",
                     ZW_CATALOG_BUNDLE_ITEMS_MIN, ZW_CATALOG_BUNDLE_ITEMS_MAX,
                     bundle->n_item_codes);
    for (size_t i = 0; i < bundle->n_item_codes; i++) {
        snprintf(sub, sizeof sub, "%s[%zu]", where, i);
        zw_err_t inner;
        if (zw_catalog_check_string(sub, bundle->item_codes[i], 100, ZW_CATALOG_TEXT_REQUIRED,
                                    err) != 0)
            return -1;
        if (zw_validate_impl_code(regions, bundle->item_codes[i], &inner) != 0)
            return s_wrap(err, sub, &inner);
        for (size_t j = 0; j < i; j++)
            if (strcmp(bundle->item_codes[j], bundle->item_codes[i]) == 0)
                return s_bad(err, sub, "repeats item_codes[%zu]", j);
    }
    return 0;
}

int zw_catalog_bundle_digest(const Zwfw__V1__Bundle *bundle, char out[ZW_AUDIT_HASH_LEN + 1])
{
    Zwfw__V1__Bundle copy = *bundle;
    copy.base.n_unknown_fields = 0;
    copy.base.unknown_fields = NULL;
    copy.status = ZWFW__V1__ITEM_STATUS__ITEM_STATUS_UNSPECIFIED;
    copy.version = 0;
    return s_digest(&copy.base, out);
}
