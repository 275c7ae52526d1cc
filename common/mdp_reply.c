#include "mdp_reply.h"

#include "mdp.h"

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
    return msg;
}

int zw_reply_take_frames(zw_reply_t *r, zw_frames_t *out)
{
    if (zw_reply_is_empty(r))
        s_reply_internal(r, "the handler gave no reply");
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
