#include "mdp_reply.h"

#include "mdp.h"
#include "wire_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zw_reply {
    char *type;
    uint8_t *data;
    size_t len;
    bool is_error;
    zw_code_t code;
    char *message;
    size_t n_details;
    char **keys;
    char **values;
};

void zw_reply_clear(zw_reply_t *r)
{
    free(r->type);
    free(r->data);
    free(r->message);
    for (size_t i = 0; i < r->n_details; i++) {
        free(r->keys[i]);
        free(r->values[i]);
    }
    free(r->keys);
    free(r->values);
    memset(r, 0, sizeof *r);
}

bool zw_reply_is_empty(const zw_reply_t *r)
{
    return !r->type && !r->is_error;
}

/* The reply of last resort: no allocation can fail here except the
 * message copy, and a missing message is sent as "". */
static int s_reply_internal(zw_reply_t *r, const char *why)
{
    zw_reply_clear(r);
    r->is_error = true;
    r->code = ZW_INTERNAL;
    r->message = strdup(why);
    return -1;
}

int zw_reply_bytes(zw_reply_t *reply, const char *type, const void *data, size_t len)
{
    zw_reply_clear(reply);
    reply->type = strdup(type ? type : "");
    reply->data = malloc(len ? len : 1);
    if (!reply->type || !reply->data)
        return s_reply_internal(reply, "out of memory");
    if (len)
        memcpy(reply->data, data, len);
    reply->len = len;
    return 0;
}

int zw_reply_message(zw_reply_t *reply, const ProtobufCMessage *msg)
{
    zw_reply_clear(reply);
    if (!msg || !msg->descriptor || msg->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return s_reply_internal(reply, "handler replied with no message");
    size_t len = protobuf_c_message_get_packed_size(msg);
    reply->type = strdup(msg->descriptor->name);
    reply->data = malloc(len ? len : 1);
    if (!reply->type || !reply->data)
        return s_reply_internal(reply, "out of memory");
    reply->len = protobuf_c_message_pack(msg, reply->data);
    return 0;
}

int zw_reply_error(zw_reply_t *reply, zw_code_t code, const char *fmt, ...)
{
    zw_reply_clear(reply);
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Messages quote input (and truncation can cut a character in half);
     * Error.message is a proto3 string, which strict decoders refuse
     * unless it is UTF-8. */
    zw_wire_text_utf8_scrub(buf);
    reply->is_error = true;
    reply->code = code;
    reply->message = strdup(buf);
    if (!reply->message)
        return s_reply_internal(reply, "out of memory");
    return 0;
}

int zw_reply_detail(zw_reply_t *reply, const char *key, const char *value)
{
    if (!reply->is_error)
        return -1;
    char **keys = realloc(reply->keys, (reply->n_details + 1) * sizeof *keys);
    if (keys)
        reply->keys = keys;
    char **values = realloc(reply->values, (reply->n_details + 1) * sizeof *values);
    if (values)
        reply->values = values;
    if (!keys || !values)
        return s_reply_internal(reply, "out of memory");
    char *k = strdup(key ? key : "");
    char *v = strdup(value ? value : "");
    if (!k || !v) {
        free(k);
        free(v);
        return s_reply_internal(reply, "out of memory");
    }
    zw_wire_text_utf8_scrub(k);
    zw_wire_text_utf8_scrub(v);
    reply->keys[reply->n_details] = k;
    reply->values[reply->n_details] = v;
    reply->n_details++;
    return 0;
}

int zw_reply_err(zw_reply_t *reply, const zw_err_t *err)
{
    if (zw_reply_error(reply, err->code, "%s", err->message) != 0)
        return -1;
    return err->detail[0] ? zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, err->detail) : 0;
}

/* prefix.name[index] (no ".", no index when prefix is "" or index < 0)
 * into out, cut to fit: a path too deep for an error's detail still
 * begins with the field that holds it. */
static void s_field_path(char *out, size_t size, const char *prefix, const char *name, long index)
{
    char idx[24] = "";
    if (index >= 0)
        snprintf(idx, sizeof idx, "[%ld]", index);
    const char *parts[] = {prefix, *prefix ? "." : "", name, idx};
    size_t used = 0;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        size_t len = strlen(parts[i]);
        if (len > size - 1 - used)
            len = size - 1 - used;
        memcpy(out + used, parts[i], len);
        used += len;
    }
    out[used] = '\0';
}

/* proto3 says a string field holds UTF-8; protobuf-c does not check it.
 * Unchecked, such bytes reach PostgreSQL (SQLSTATE 22021, whose raw text
 * then became the reply) or are kept inside stored protobuf and served
 * back to clients whose decoders refuse them. 0, or -1 naming the field. */
static int s_check_utf8(const ProtobufCMessage *m, const char *prefix, int depth, zw_err_t *err)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        /* a oneof's members share their storage: only the chosen one holds a pointer */
        if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
            *(const uint32_t *) ((const char *) m + f->quantifier_offset) != f->id)
            continue;
        const char *member = (const char *) m + f->offset;
        bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
        size_t n = repeated ? *(const size_t *) ((const char *) m + f->quantifier_offset) : 1;
        void *const *items = repeated ? *(void *const *const *) member : (void *const *) member;
        for (size_t j = 0; j < n; j++) {
            const void *v = items[j];
            if (!v)
                continue;
            char path[sizeof err->detail];
            s_field_path(path, sizeof path, prefix, f->name, repeated ? (long) j : -1);
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (!zw_wire_text_utf8_valid(v, strlen(v)))
                    return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: not valid UTF-8", path);
            } else if (depth < 16 && s_check_utf8(v, path, depth + 1, err) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

static bool s_varint(const uint8_t *data, size_t len, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *pos < len; shift += 7) {
        uint8_t b = data[(*pos)++];
        *v |= (uint64_t) (b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* protobuf-c hands a string field over as a C string, so a NUL inside it
 * would silently cut it short (the rest never checked, never stored):
 * the bytes on the wire are walked for one, by the descriptor, into
 * nested messages. The message already decoded, so the walk stops quietly
 * at anything it does not follow. 0, or -1 naming the field. */
static int s_check_nul(const uint8_t *data, size_t len, const ProtobufCMessageDescriptor *d,
                       const char *prefix, int depth, zw_err_t *err)
{
    size_t *seen = calloc(d->n_fields ? d->n_fields : 1, sizeof *seen);
    if (!seen)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    int rc = 0;
    size_t pos = 0;
    uint64_t key, n;
    while (rc == 0 && pos < len && s_varint(data, len, &pos, &key)) {
        unsigned wt = (unsigned) (key & 7);
        if (wt == 0 && !s_varint(data, len, &pos, &n))
            break;
        if (wt == 1 || wt == 5) {
            pos += wt == 1 ? 8 : 4;
            continue;
        }
        if (wt != 0 && wt != 2)
            break; /* groups: not in proto3 */
        if (wt == 0)
            continue;
        if (!s_varint(data, len, &pos, &n) || n > len - pos)
            break;
        const ProtobufCFieldDescriptor *f =
            protobuf_c_message_descriptor_get_field(d, (unsigned) (key >> 3));
        if (f && (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)) {
            size_t i = (size_t) (f - d->fields);
            bool repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
            char path[sizeof err->detail];
            s_field_path(path, sizeof path, prefix, f->name, repeated ? (long) seen[i] : -1);
            seen[i]++;
            if (f->type == PROTOBUF_C_TYPE_STRING) {
                if (memchr(data + pos, 0, (size_t) n))
                    rc = zw_err_setd(err, ZW_INVALID_ARGUMENT, path,
                                     "%s: holds a NUL character (U+0000)", path);
            } else if (depth < 16) {
                rc = s_check_nul(data + pos, (size_t) n, f->descriptor, path, depth + 1, err);
            }
        }
        pos += (size_t) n;
    }
    free(seen);
    return rc;
}

ProtobufCMessage *zw_request_unpack(const zw_request_t *req, const ProtobufCMessageDescriptor *desc,
                                    zw_err_t *err)
{
    if (strcmp(req->type, desc->name) != 0) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "type", "expected a %s, got %s", desc->name,
                    req->type);
        return NULL;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, req->len, req->data);
    if (!msg)
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "body", "%s does not decode", desc->name);
    else if (s_check_nul(req->data, req->len, desc, "", 0, err) != 0 ||
             s_check_utf8(msg, "", 0, err) != 0) {
        protobuf_c_message_free_unpacked(msg, NULL);
        return NULL;
    }
    return msg;
}

/* The broker cuts off a peer that sends a frame larger than its
 * max_msg_size (16 MiB by default): a bigger reply would never arrive and
 * would cost the worker its connection on every try. */
#define S_REPLY_MAX ((size_t) 16 * 1024 * 1024 - 4096)

int zw_reply_take_frames(zw_reply_t *r, zw_frames_t *out)
{
    if (zw_reply_is_empty(r))
        s_reply_internal(r, "the handler gave no reply");
    if (!r->is_error && r->len > S_REPLY_MAX) {
        /* zw_reply_error clears r (its type too) before it formats */
        char type[128];
        snprintf(type, sizeof type, "%s", r->type ? r->type : "reply");
        size_t len = r->len;
        zw_reply_error(r, ZW_RESOURCE_EXHAUSTED,
                       "the %s would be %zu bytes, more than one frame may carry (%zu); ask for "
                       "less",
                       type, len, S_REPLY_MAX);
    }
    if (!r->is_error) {
        if (zw_frames_append_str(out, r->type) != 0)
            return -1;
        uint8_t *data = r->data;
        r->data = NULL;
        return zw_frames_append_take(out, data, r->len);
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    if (zw_error_pack(r->code, r->message, r->n_details, (const char *const *) r->keys,
                      (const char *const *) r->values, &buf, &len) != 0)
        return -1;
    if (zw_frames_append_str(out, ZW_ZWFW_ERROR_TYPE) != 0) {
        free(buf);
        return -1;
    }
    return zw_frames_append_take(out, buf, len);
}

zw_reply_t *zw_reply_new(void)
{
    return calloc(1, sizeof(zw_reply_t));
}

void zw_reply_destroy(zw_reply_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_reply_clear(*self_p);
    free(*self_p);
    *self_p = NULL;
}
