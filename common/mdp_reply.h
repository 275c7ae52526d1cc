/* zw_reply: what a zwfw worker's handler gets and gives (mdp_worker.h runs
 * the handlers): the decoded request, and the reply it fills, which the
 * worker library turns into the frames [type][bytes] after the request id
 * (an Error as [zwfw.v1.Error][packed Error]). */
#ifndef ZW_MDP_REPLY_H
#define ZW_MDP_REPLY_H

#include "error.h"
#include "mdp_frames.h"
#include "zwfw/v1/common.pb-c.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zw_reply zw_reply_t;

/* One zwfw request, valid only during the handler call. */
typedef struct {
    const char *service;    /* the service this worker serves */
    const char *request_id; /* as the client chose it (a NUL-terminated copy;
                             * "(binary)" when it is not text of at most
                             * ZW_WORKER_ID_MAX bytes; the reply echoes the
                             * original bytes either way) */
    const char *type;       /* full type name, e.g. "zwfw.v1.SubmitApplication" */
    const uint8_t *data;    /* the protobuf bytes */
    size_t len;
    const Zwfw__V1__Caller *caller; /* who sent it, as the broker vouches */
    int thread_index;               /* 0 .. threads-1 */
} zw_request_t;

/* ---- filling a reply --------------------------------------------------------
 * Each call replaces whatever the reply held. They return 0, or -1 when
 * out of memory or msg cannot be packed, in which case the reply becomes
 * an INTERNAL error. */

/* Replies with msg, packed; the type name is msg's descriptor's name. msg
 * stays the caller's. */
int zw_reply_message(zw_reply_t *reply, const ProtobufCMessage *msg);

/* Replies with already packed bytes of type `type` (copied). */
int zw_reply_bytes(zw_reply_t *reply, const char *type, const void *data, size_t len);

/* Replies with zwfw.v1.Error{code, message}. */
int zw_reply_error(zw_reply_t *reply, zw_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds details[key] = value to the error set by zw_reply_error (call it
 * after); -1 if the reply holds no error. */
int zw_reply_detail(zw_reply_t *reply, const char *key, const char *value);

/* Replies with err as an Error: code, message, and detail (if any) under
 * ZW_ERROR_DETAIL_KEY. */
int zw_reply_err(zw_reply_t *reply, const zw_err_t *err);

/* Unpacks the request's bytes as `desc` after checking that the request's
 * type is desc's. INVALID_ARGUMENT otherwise, or when the bytes do not
 * decode. Free the result with protobuf_c_message_free_unpacked(m, NULL). */
ProtobufCMessage *zw_request_unpack(const zw_request_t *req, const ProtobufCMessageDescriptor *desc,
                                    zw_err_t *err);

/* ---- for the worker library ----------------------------------------------- */

/* An empty reply; NULL when out of memory. */
zw_reply_t *zw_reply_new(void);
/* Accepts NULL; NULLs *self_p. */
void zw_reply_destroy(zw_reply_t **self_p);
/* Empties the reply for the next request. */
void zw_reply_clear(zw_reply_t *reply);
/* True if no zw_reply_* call filled it. */
bool zw_reply_is_empty(const zw_reply_t *reply);
/* Appends [type][bytes] (an empty reply becomes INTERNAL "the handler gave
 * no reply") to out and empties the reply. Returns 0, or -1 when out of
 * memory (out may then hold part of it). */
int zw_reply_take_frames(zw_reply_t *reply, zw_frames_t *out);

#endif
