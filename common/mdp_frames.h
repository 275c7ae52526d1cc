/* zw_frames: a list of ZeroMQ message frames, the unit the MDP client and
 * worker libraries send, receive and hand to raw (non-zwfw) handlers; plus
 * the zwfw.v1.Error frame both sides read and write.
 *
 * Frames are zmq_msg_t, so receiving moves data in without copying and
 * sending a list keeps it (libzmq shares the data of large frames by
 * reference count), which is what a Lazy Pirate resend needs. */
#ifndef ZW_MDP_FRAMES_H
#define ZW_MDP_FRAMES_H

#include "error.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct zw_frames zw_frames_t;

/* An empty list; NULL when out of memory. */
zw_frames_t *zw_frames_new(void);
/* Frees the list and its frames. Accepts NULL; NULLs *self_p. */
void zw_frames_destroy(zw_frames_t **self_p);

size_t zw_frames_count(const zw_frames_t *self);
/* Frame `index`'s bytes (owned by the list, valid until it changes) and
 * size; NULL / 0 when index is out of range. */
const void *zw_frames_data(const zw_frames_t *self, size_t index);
size_t zw_frames_size(const zw_frames_t *self, size_t index);
/* True if frame `index` exists and holds exactly these bytes / this string
 * (without its NUL). */
bool zw_frames_eq(const zw_frames_t *self, size_t index, const void *data, size_t size);
bool zw_frames_streq(const zw_frames_t *self, size_t index, const char *s);
/* Frame `index` as a NUL-terminated string in out (at most outsz - 1
 * bytes). Returns -1 (out = "") if the frame is missing, longer than that,
 * or contains a NUL byte. */
int zw_frames_str(const zw_frames_t *self, size_t index, char *out, size_t outsz);

/* Appends a copy of the bytes / string. Returns 0, or -1 out of memory. */
int zw_frames_append(zw_frames_t *self, const void *data, size_t size);
int zw_frames_append_str(zw_frames_t *self, const char *s);
/* Appends a frame that takes over `data`, a malloc'd buffer, which libzmq
 * later frees with free(). On failure data is freed too and -1 returned. */
int zw_frames_append_take(zw_frames_t *self, void *data, size_t size);
/* Appends copies of frames [from, count) of other (shared, not copied, for
 * large frames). Returns 0 or -1. */
int zw_frames_append_frames(zw_frames_t *self, const zw_frames_t *other, size_t from);
/* Moves the first n frames (all when n >= count) into a new list, which
 * the caller destroys. NULL when out of memory (self is then unchanged). */
zw_frames_t *zw_frames_split(zw_frames_t *self, size_t n);
/* Removes the first n frames (all when n >= count). */
void zw_frames_drop_front(zw_frames_t *self, size_t n);
/* Removes every frame. */
void zw_frames_clear(zw_frames_t *self);

/* Receives one whole multipart message from socket (flags: 0 or
 * ZMQ_DONTWAIT). NULL on error with errno from libzmq (EAGAIN, ETERM,
 * EINTR...), or ENOMEM. The caller destroys the result. */
zw_frames_t *zw_frames_recv(void *socket, int flags);

/* Sends every frame of self as (the rest of) one multipart message; more =
 * true leaves the message open (ZMQ_SNDMORE on the last frame). self is not
 * changed. flags may hold ZMQ_DONTWAIT. Returns 0 or -1 with errno set. */
int zw_frames_send(const zw_frames_t *self, void *socket, int flags, bool more);

/* Sends `size` bytes as one frame, with ZMQ_SNDMORE when more is true.
 * Returns 0 or -1 with errno set. */
int zw_frame_send(void *socket, const void *data, size_t size, int flags, bool more);

/* ---- zwfw.v1.Error frames ---------------------------------------------- */

/* The Error.details key that carries zw_err_t.detail across the wire. */
#define ZW_ERROR_DETAIL_KEY "detail"

/* Packs Error{code, message, details} into a malloc'd buffer (*out, *len;
 * caller frees). Details are n key/value pairs (keys[i], values[i]); n may
 * be 0. Returns 0, or -1 when out of memory. */
int zw_error_pack(zw_code_t code, const char *message, size_t n, const char *const *keys,
                  const char *const *values, uint8_t **out, size_t *len);

/* Packs err as an Error, its detail (if not "") under ZW_ERROR_DETAIL_KEY. */
int zw_error_pack_err(const zw_err_t *err, uint8_t **out, size_t *len);

/* Fills *err from a decoded Error: the code (UNKNOWN if it is not a known
 * code, or OK was sent), the message, and as detail the value under
 * ZW_ERROR_DETAIL_KEY, else the first detail's value, else "". */
void zw_error_to_err(const Zwfw__V1__Error *error, zw_err_t *err);

#endif
