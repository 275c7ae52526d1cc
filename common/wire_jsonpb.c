/* Writing wire bytes rather than C structs keeps allocation out of this
 * file entirely: an error anywhere drops one byte buffer, and the decoder
 * (protobuf-c) stays the only code that builds messages. */
#include "wire_jsonpb.h"
#include "wire_desc.h"
#include "wire_json.h"
#include "wire_text.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define s_fail(path, ...) zw_wire_desc_path_fail((path), ZW_INVALID_ARGUMENT, __VA_ARGS__)

/* A tree handed to zw_wire_jsonpb_encode may be built by hand: a string
 * item without text, or an object member without a name, is malformed
 * input, never a NULL to follow. */
static bool s_is_string(const cJSON *v)
{
    return cJSON_IsString(v) && v->valuestring;
}

typedef struct {
    uint8_t *data;
    size_t len, cap;
    bool oom; /* sticky: writers become no-ops, checked once at the end */
} s_buf_t;

static bool s_buf_reserve(s_buf_t *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->cap - b->len >= n)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < n) {
        if (cap > SIZE_MAX / 2) {
            b->oom = true;
            return false;
        }
        cap *= 2;
    }
    uint8_t *data = realloc(b->data, cap);
    if (!data) {
        b->oom = true;
        return false;
    }
    b->data = data;
    b->cap = cap;
    return true;
}

static void s_put_bytes(s_buf_t *b, const void *p, size_t n)
{
    if (n && s_buf_reserve(b, n)) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }
}

static size_t s_varint(uint64_t v, uint8_t *out)
{
    size_t n = 0;
    do {
        out[n++] = (uint8_t) ((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static void s_put_varint(s_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    s_put_bytes(b, tmp, s_varint(v, tmp));
}

static void s_put_fixed(s_buf_t *b, uint64_t v, size_t n)
{
    uint8_t tmp[8];
    for (size_t i = 0; i < n; i++)
        tmp[i] = (uint8_t) (v >> (8 * i));
    s_put_bytes(b, tmp, n);
}

static void s_put_tag(s_buf_t *b, uint32_t id, ProtobufCWireType wt)
{
    s_put_varint(b, (uint64_t) id << 3 | wt);
}

/* The body written since `start` becomes length-delimited: its length goes
 * in front of it. Sub-messages are small next to the JSON they came from,
 * so the move costs little. */
static void s_put_length_before(s_buf_t *b, size_t start)
{
    uint8_t tmp[10];
    size_t body = b->len - start, n = s_varint(body, tmp);
    if (!s_buf_reserve(b, n))
        return;
    memmove(b->data + start + n, b->data + start, body);
    memcpy(b->data + start, tmp, n);
    b->len += n;
}

static ProtobufCWireType s_wire_type(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
        return PROTOBUF_C_WIRE_TYPE_32BIT;
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return PROTOBUF_C_WIRE_TYPE_64BIT;
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_MESSAGE:
        return PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    default:
        return PROTOBUF_C_WIRE_TYPE_VARINT;
    }
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? : what JSON calls a number.
 * strtod alone would also take "0x1p3", "inf" and leading blanks. */
static bool s_is_json_number(const char *s, bool *integral)
{
    const char *p = s;
    *integral = true;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (*p == '.') {
        *integral = false;
        if (*++p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        *integral = false;
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return *p == '\0';
}

/* 2^53: from there on a JSON number (a double here) no longer holds every
 * integer (2^53 + 1 already arrives as 2^53), so such a 64-bit value must
 * come as a string. */
#define S_EXACT_DOUBLE 9007199254740992.0

/* An integer in [min, max] from a JSON number or a decimal string (plain,
 * or in exponent form when the value is integral), into *i_out, or into
 * *u_out when is_unsigned (then min is ignored: 0). */
static int s_get_integer(zw_wire_desc_path_t *c, const cJSON *v, bool is_unsigned, int64_t min,
                         uint64_t max, int64_t *i_out, uint64_t *u_out)
{
    double d;
    const char *s = s_is_string(v) ? v->valuestring : NULL;
    bool integral;
    if (s && s_is_json_number(s, &integral) && integral) {
        char *end;
        errno = 0;
        if (is_unsigned) {
            if (s[0] == '-') {
                if (strspn(s + 1, "0") == strlen(s + 1))
                    return *u_out = 0, 0;
                return s_fail(c, "out of range: %.40s", s);
            }
            unsigned long long u = strtoull(s, &end, 10);
            if (errno == ERANGE || u > max)
                return s_fail(c, "out of range: %.40s", s);
            *u_out = u;
        } else {
            long long i = strtoll(s, &end, 10);
            if (errno == ERANGE || i < min || (i > 0 && (uint64_t) i > max))
                return s_fail(c, "out of range: %.40s", s);
            *i_out = i;
        }
        return 0;
    }
    if (s && s_is_json_number(s, &integral))
        d = strtod(s, NULL);
    else if (cJSON_IsNumber(v))
        d = v->valuedouble;
    else if (s)
        return s_fail(c, "expected an integer, got \"%.40s\"", s);
    else
        return s_fail(c, "expected an integer");
    if (!isfinite(d) || d != floor(d))
        return s_fail(c, "expected an integer, got %.17g", d);
    if (d < (is_unsigned ? 0 : (double) min) || d > (double) max)
        return s_fail(c, "out of range: %.17g", d);
    if (fabs(d) >= S_EXACT_DOUBLE)
        return s_fail(c, "integer %.17g is too large for a JSON number; send it as a string", d);
    if (is_unsigned)
        *u_out = (uint64_t) d;
    else
        *i_out = (int64_t) d;
    return 0;
}

static int s_get_double(zw_wire_desc_path_t *c, const cJSON *v, bool is_float, double *out)
{
    double d;
    bool integral;
    if (cJSON_IsNumber(v)) {
        d = v->valuedouble;
    } else if (s_is_string(v)) {
        const char *s = v->valuestring;
        if (strcmp(s, "NaN") == 0)
            return *out = NAN, 0;
        if (strcmp(s, "Infinity") == 0)
            return *out = INFINITY, 0;
        if (strcmp(s, "-Infinity") == 0)
            return *out = -INFINITY, 0;
        if (!s_is_json_number(s, &integral))
            return s_fail(c, "expected a number, got \"%.40s\"", s);
        d = strtod(s, NULL);
    } else {
        return s_fail(c, "expected a number");
    }
    /* Up to half a unit in the last place above FLT_MAX still rounds to
     * FLT_MAX (which prints as 3.4028235e+38, a little above it). */
    if (!isfinite(d) || (is_float && fabs(d) >= (double) FLT_MAX + ldexp(1, 103)))
        return s_fail(c, "out of range for %s: %.17g", is_float ? "float" : "double", d);
    *out = d;
    return 0;
}

/* The payload (no tag) of one scalar or enum value. */
static int s_scalar_to_wire(zw_wire_desc_path_t *c, const ProtobufCFieldDescriptor *f,
                            const cJSON *v, s_buf_t *b)
{
    int64_t i = 0;
    uint64_t u = 0;
    double d;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        if (s_get_integer(c, v, false, INT32_MIN, INT32_MAX, &i, &u))
            return -1;
        if (f->type == PROTOBUF_C_TYPE_INT32)
            s_put_varint(b, (uint64_t) i); /* negative: ten bytes, as protobuf does */
        else if (f->type == PROTOBUF_C_TYPE_SINT32)
            s_put_varint(b, (uint32_t) ((uint32_t) i << 1) ^ (uint32_t) - (i < 0));
        else
            s_put_fixed(b, (uint32_t) i, 4);
        return 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        if (s_get_integer(c, v, false, INT64_MIN, INT64_MAX, &i, &u))
            return -1;
        if (f->type == PROTOBUF_C_TYPE_INT64)
            s_put_varint(b, (uint64_t) i);
        else if (f->type == PROTOBUF_C_TYPE_SINT64)
            s_put_varint(b, ((uint64_t) i << 1) ^ (uint64_t) - (i < 0));
        else
            s_put_fixed(b, (uint64_t) i, 8);
        return 0;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        if (s_get_integer(c, v, true, 0, UINT32_MAX, &i, &u))
            return -1;
        if (f->type == PROTOBUF_C_TYPE_UINT32)
            s_put_varint(b, u);
        else
            s_put_fixed(b, u, 4);
        return 0;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        if (s_get_integer(c, v, true, 0, UINT64_MAX, &i, &u))
            return -1;
        if (f->type == PROTOBUF_C_TYPE_UINT64)
            s_put_varint(b, u);
        else
            s_put_fixed(b, u, 8);
        return 0;
    case PROTOBUF_C_TYPE_FLOAT: {
        if (s_get_double(c, v, true, &d))
            return -1;
        float fl = (float) d;
        uint32_t bits;
        memcpy(&bits, &fl, 4);
        s_put_fixed(b, bits, 4);
        return 0;
    }
    case PROTOBUF_C_TYPE_DOUBLE: {
        if (s_get_double(c, v, false, &d))
            return -1;
        uint64_t bits;
        memcpy(&bits, &d, 8);
        s_put_fixed(b, bits, 8);
        return 0;
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (!cJSON_IsBool(v))
            return s_fail(c, "expected true or false");
        s_put_varint(b, cJSON_IsTrue(v) ? 1 : 0);
        return 0;
    case PROTOBUF_C_TYPE_ENUM:
        if (s_is_string(v)) {
            const ProtobufCEnumValue *ev =
                protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, v->valuestring);
            if (!ev)
                return s_fail(c, "unknown enum value \"%.64s\"", v->valuestring);
            i = ev->value;
        } else if (cJSON_IsNumber(v)) {
            if (s_get_integer(c, v, false, INT32_MIN, INT32_MAX, &i, &u))
                return -1;
        } else {
            return s_fail(c, "expected an enum name or number");
        }
        s_put_varint(b, (uint64_t) i);
        return 0;
    default:
        return zw_wire_desc_path_fail(c, ZW_INTERNAL, "not a scalar type: %d", (int) f->type);
    }
}

static int s_msg_to_wire(zw_wire_desc_path_t *c, const ProtobufCMessageDescriptor *d,
                         const cJSON *obj, s_buf_t *b, int depth);

/* Tag and value of one (element of a) field. */
static int s_single_to_wire(zw_wire_desc_path_t *c, const ProtobufCFieldDescriptor *f,
                            const cJSON *v, s_buf_t *b, int depth)
{
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES) {
        if (!s_is_string(v))
            return s_fail(c, "expected a string");
        const char *s = v->valuestring;
        size_t n = strlen(s);
        s_put_tag(b, f->id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            if (!zw_wire_text_utf8_valid(s, n))
                return s_fail(c, "string is not valid UTF-8");
            s_put_varint(b, n);
            s_put_bytes(b, s, n);
            return 0;
        }
        size_t start = b->len, got;
        if (!s_buf_reserve(b, ZW_WIRE_TEXT_UNBASE64_LEN(n)))
            return 0; /* reported as out of memory at the end */
        if (zw_wire_text_base64_decode(s, n, b->data + start, &got))
            return s_fail(c, "not base64");
        b->len += got;
        s_put_length_before(b, start);
        return 0;
    }
    s_put_tag(b, f->id, s_wire_type(f->type));
    if (f->type != PROTOBUF_C_TYPE_MESSAGE)
        return s_scalar_to_wire(c, f, v, b);
    size_t start = b->len;
    if (s_msg_to_wire(c, f->descriptor, v, b, depth + 1))
        return -1;
    s_put_length_before(b, start);
    return 0;
}

static int s_strcmp_p(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* cJSON keeps both of two equal keys, and the wire would too (each entry
 * a message of its own): refuse them rather than guess which one was
 * meant. Sorting keeps a large map from costing n^2 compares. */
static int s_map_check_keys(zw_wire_desc_path_t *c, const cJSON *obj)
{
    size_t n = 0;
    for (const cJSON *it = obj->child; it; it = it->next, n++)
        if (!it->string)
            return s_fail(c, "map entry without a key");
    if (n < 2)
        return 0;
    const char **keys = malloc(n * sizeof *keys);
    if (!keys)
        return zw_wire_desc_path_fail(c, ZW_RESOURCE_EXHAUSTED, "out of memory");
    n = 0;
    for (const cJSON *it = obj->child; it; it = it->next)
        keys[n++] = it->string;
    qsort(keys, n, sizeof *keys, s_strcmp_p);
    int rc = 0;
    for (size_t i = 1; i < n && rc == 0; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            zw_wire_desc_path_push(c, "[\"%.64s\"]", keys[i]);
            rc = s_fail(c, "map key given twice");
        }
    free(keys);
    return rc;
}

static int s_map_to_wire(zw_wire_desc_path_t *c, const ProtobufCFieldDescriptor *f,
                         const cJSON *obj, s_buf_t *b, int depth)
{
    if (!cJSON_IsObject(obj))
        return s_fail(c, "expected an object (map)");
    if (s_map_check_keys(c, obj))
        return -1;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &e->fields[0], *vf = &e->fields[1];
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *key = it->string;
        size_t mark = zw_wire_desc_path_push(c, "[\"%.64s\"]", key);
        s_put_tag(b, f->id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        size_t start = b->len;
        if (kf->type == PROTOBUF_C_TYPE_BOOL) {
            if (strcmp(key, "true") != 0 && strcmp(key, "false") != 0)
                return s_fail(c, "map key must be \"true\" or \"false\"");
            s_put_tag(b, kf->id, PROTOBUF_C_WIRE_TYPE_VARINT);
            s_put_varint(b, key[0] == 't');
        } else {
            /* Keys are text; integer keys go through the string branch of
             * the scalar parser via a borrowed, never-freed cJSON item. */
            cJSON k = {.type = cJSON_String, .valuestring = (char *) key};
            if (s_single_to_wire(c, kf, &k, b, depth))
                return -1;
        }
        if (cJSON_IsNull(it))
            return s_fail(c, "map value cannot be null");
        if (s_single_to_wire(c, vf, it, b, depth))
            return -1;
        s_put_length_before(b, start);
        zw_wire_desc_path_pop(c, mark);
    }
    return 0;
}

static int s_field_to_wire(zw_wire_desc_path_t *c, const ProtobufCMessageDescriptor *d,
                           const ProtobufCFieldDescriptor *f, const cJSON *v, s_buf_t *b, int depth)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return s_single_to_wire(c, f, v, b, depth);
    if (zw_wire_desc_is_map(d, f))
        return s_map_to_wire(c, f, v, b, depth);
    if (!cJSON_IsArray(v))
        return s_fail(c, "expected an array");
    bool packed = (f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) &&
                  s_wire_type(f->type) != PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
    size_t start = 0;
    if (packed) {
        s_put_tag(b, f->id, PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED);
        start = b->len;
    }
    size_t i = 0;
    for (const cJSON *it = v->child; it; it = it->next, i++) {
        size_t mark = zw_wire_desc_path_push(c, "[%zu]", i);
        if (cJSON_IsNull(it))
            return s_fail(c, "null is not allowed in a repeated field");
        if (packed ? s_scalar_to_wire(c, f, it, b) : s_single_to_wire(c, f, it, b, depth))
            return -1;
        zw_wire_desc_path_pop(c, mark);
    }
    if (packed)
        s_put_length_before(b, start);
    return 0;
}

static void s_put_int_field(s_buf_t *b, uint32_t id, int64_t v)
{
    if (v != 0) {
        s_put_tag(b, id, PROTOBUF_C_WIRE_TYPE_VARINT);
        s_put_varint(b, (uint64_t) v);
    }
}

/* Timestamp {seconds = 1, nanos = 2} and Date {year = 1, month = 2,
 * day = 3}: field numbers never change (DESIGN.md). */
static int s_special_to_wire(zw_wire_desc_path_t *c, const ProtobufCMessageDescriptor *d,
                             const cJSON *v, s_buf_t *b)
{
    bool ts = zw_wire_desc_is_timestamp(d);
    if (!s_is_string(v))
        return s_fail(c, ts ? "expected an RFC 3339 string" : "expected a \"YYYY-MM-DD\" string");
    if (ts) {
        int64_t sec;
        int32_t nanos;
        if (zw_wire_text_parse_time(v->valuestring, &sec, &nanos))
            return s_fail(c,
                          "invalid timestamp \"%.40s\" (want RFC 3339, e.g. "
                          "2020-09-25T14:00:00+08:00)",
                          v->valuestring);
        s_put_int_field(b, 1, sec);
        s_put_int_field(b, 2, nanos);
    } else {
        int y, m, dd;
        if (zw_wire_text_parse_date(v->valuestring, &y, &m, &dd))
            return s_fail(c, "invalid date \"%.40s\" (want YYYY-MM-DD)", v->valuestring);
        s_put_int_field(b, 1, y);
        s_put_int_field(b, 2, m);
        s_put_int_field(b, 3, dd);
    }
    return 0;
}

/* seen[i]: 0 absent, 1 given as null, 2 given a value. */
static int s_members_to_wire(zw_wire_desc_path_t *c, const ProtobufCMessageDescriptor *d,
                             const cJSON *obj, s_buf_t *b, int depth, unsigned char *seen)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        if (!it->string)
            return s_fail(c, "object member without a name");
        const ProtobufCFieldDescriptor *f = zw_wire_desc_field(d, it->string);
        if (!f) {
            zw_wire_desc_path_push_field(c, it->string);
            return s_fail(c, "unknown field (in %s)", d->name);
        }
        size_t i = (size_t) (f - d->fields);
        char name[256];
        zw_wire_desc_json_name(f->name, name, sizeof name);
        size_t mark = zw_wire_desc_path_push_field(c, name);
        if (seen[i])
            return s_fail(c, "field given twice");
        seen[i] = cJSON_IsNull(it) ? 1 : 2;
        if (seen[i] == 1) { /* null: the default, i.e. write nothing */
            zw_wire_desc_path_pop(c, mark);
            continue;
        }
        if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            for (unsigned k = 0; k < d->n_fields; k++)
                if (k != i && seen[k] == 2 && (d->fields[k].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
                    d->fields[k].quantifier_offset == f->quantifier_offset) {
                    zw_wire_desc_json_name(d->fields[k].name, name, sizeof name);
                    return s_fail(c, "oneof already set by \"%s\"", name);
                }
        if (s_field_to_wire(c, d, f, it, b, depth))
            return -1;
        zw_wire_desc_path_pop(c, mark);
    }
    return 0;
}

static int s_msg_to_wire(zw_wire_desc_path_t *c, const ProtobufCMessageDescriptor *d,
                         const cJSON *obj, s_buf_t *b, int depth)
{
    if (depth > ZW_WIRE_MAX_DEPTH)
        return s_fail(c, "messages nested more than %d deep", ZW_WIRE_MAX_DEPTH);
    if (zw_wire_desc_is_timestamp(d) || zw_wire_desc_is_date(d))
        return s_special_to_wire(c, d, obj, b);
    if (!cJSON_IsObject(obj))
        return s_fail(c, "expected a JSON object (%s)", d->name);
    unsigned char local[64];
    unsigned char *seen = d->n_fields <= sizeof local ? local : calloc(d->n_fields, 1);
    if (!seen)
        return zw_wire_desc_path_fail(c, ZW_RESOURCE_EXHAUSTED, "out of memory");
    memset(seen, 0, d->n_fields);
    int rc = s_members_to_wire(c, d, obj, b, depth, seen);
    if (seen != local)
        free(seen);
    return rc;
}

int zw_wire_jsonpb_encode(const ProtobufCMessageDescriptor *desc, const cJSON *json, uint8_t **out,
                          size_t *out_len, zw_err_t *err)
{
    *out = NULL;
    *out_len = 0;
    zw_err_clear(err);
    if (!desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC || !json)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "no message type or no JSON");
    zw_wire_desc_path_t path;
    zw_wire_desc_path_init(&path, err);
    s_buf_t b = {0};
    s_buf_reserve(&b, 1); /* so that an empty message still has a buffer */
    if (s_msg_to_wire(&path, desc, json, &b, 0) || b.oom) {
        if (b.oom && (!err || err->code == ZW_OK))
            zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        free(b.data);
        return -1;
    }
    *out = b.data;
    *out_len = b.len;
    return 0;
}
