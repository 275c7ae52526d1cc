#include "wire_desc.h"
#include "wire_text.h"

#include "zwfw/v1/common.pb-c.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* protoc's rule, shared by json_name (lower first letter kept) and map
 * entry names (first letter upper-cased): the char name[i] stands for. */
static char s_camel(char ch, bool up)
{
    return up && ch >= 'a' && ch <= 'z' ? (char) (ch - 'a' + 'A') : ch;
}

void zw_wire_desc_json_name(const char *field_name, char *out, size_t size)
{
    size_t o = 0;
    bool up = false;
    for (const char *p = field_name; *p && o + 1 < size; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        out[o++] = s_camel(*p, up);
        up = false;
    }
    if (size)
        out[o] = '\0';
}

/* Compares key with the camel-cased form of name, without building it.
 * Returns what follows the match in key, or NULL if key does not start
 * with it. */
static const char *s_camel_prefix(const char *name, const char *key, bool up)
{
    for (const char *p = name; *p; p++) {
        if (*p == '_') {
            up = true;
            continue;
        }
        if (*key++ != s_camel(*p, up))
            return NULL;
        up = false;
    }
    return key;
}

const ProtobufCFieldDescriptor *zw_wire_desc_field(const ProtobufCMessageDescriptor *d,
                                                   const char *key)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, key);
    for (unsigned i = 0; !f && i < d->n_fields; i++) {
        const char *rest = s_camel_prefix(d->fields[i].name, key, false);
        if (rest && *rest == '\0')
            f = &d->fields[i];
    }
    return f;
}

bool zw_wire_desc_is_map(const ProtobufCMessageDescriptor *parent,
                         const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE)
        return false;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields != 2 || e->fields[0].id != 1 || e->fields[1].id != 2 ||
        strcmp(e->fields[0].name, "key") != 0 || strcmp(e->fields[1].name, "value") != 0)
        return false;
    size_t plen = strlen(parent->name);
    if (strncmp(e->name, parent->name, plen) != 0 || e->name[plen] != '.')
        return false;
    const char *rest = s_camel_prefix(f->name, e->short_name, true);
    return rest && strcmp(rest, "Entry") == 0;
}

bool zw_wire_desc_is_timestamp(const ProtobufCMessageDescriptor *d)
{
    return d == &zwfw__v1__timestamp__descriptor;
}

bool zw_wire_desc_is_date(const ProtobufCMessageDescriptor *d)
{
    return d == &zwfw__v1__date__descriptor;
}

size_t zw_wire_desc_elem_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    default:
        return 4; /* 32-bit integers, float, enum (protobuf-c forces int size) */
    }
}

void zw_wire_desc_path_init(zw_wire_desc_path_t *self, zw_err_t *err)
{
    self->err = err;
    self->len = 0;
    self->buf[0] = '\0';
}

size_t zw_wire_desc_path_push(zw_wire_desc_path_t *self, const char *fmt, ...)
{
    size_t old = self->len;
    if (old < sizeof self->buf - 1) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(self->buf + old, sizeof self->buf - old, fmt, ap);
        va_end(ap);
        if (n > 0)
            self->len =
                old + (size_t) n < sizeof self->buf ? old + (size_t) n : sizeof self->buf - 1;
    }
    return old;
}

size_t zw_wire_desc_path_push_field(zw_wire_desc_path_t *self, const char *json_name)
{
    return zw_wire_desc_path_push(self, self->len ? ".%s" : "%s", json_name);
}

void zw_wire_desc_path_pop(zw_wire_desc_path_t *self, size_t mark)
{
    if (mark < self->len) {
        self->len = mark;
        self->buf[mark] = '\0';
    }
}

int zw_wire_desc_path_fail(zw_wire_desc_path_t *self, zw_code_t code, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    /* The message must keep its point even when the path is long: show
     * the path's tail. */
    if (self->len > 100)
        zw_err_setd(self->err, code, self->buf, "...%s: %s", self->buf + self->len - 97, what);
    else if (self->len)
        zw_err_setd(self->err, code, self->buf, "%s: %s", self->buf, what);
    else
        zw_err_setd(self->err, code, "", "%s", what);
    /* Paths and messages quote input, and cutting them to size can split
     * a character: keep them UTF-8, since they travel on in
     * zwfw.v1.Error strings. */
    if (self->err) {
        zw_wire_text_utf8_scrub(self->err->message);
        zw_wire_text_utf8_scrub(self->err->detail);
    }
    return -1;
}
