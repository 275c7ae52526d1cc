#include "mdp_frames.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

struct zw_frames {
    zmq_msg_t *msgs; /* moved with realloc: zmq_msg_move is a plain struct copy */
    size_t count;
    size_t cap;
};

zw_frames_t *zw_frames_new(void)
{
    return calloc(1, sizeof(zw_frames_t));
}

void zw_frames_clear(zw_frames_t *self)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        zmq_msg_close(&self->msgs[i]);
    self->count = 0;
}

void zw_frames_destroy(zw_frames_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_frames_t *self = *self_p;
    zw_frames_clear(self);
    free(self->msgs);
    free(self);
    *self_p = NULL;
}

size_t zw_frames_count(const zw_frames_t *self)
{
    return self ? self->count : 0;
}

const void *zw_frames_data(const zw_frames_t *self, size_t index)
{
    if (!self || index >= self->count)
        return NULL;
    /* zmq_msg_data takes a non-const message but does not change it. */
    return zmq_msg_data((zmq_msg_t *) &self->msgs[index]);
}

size_t zw_frames_size(const zw_frames_t *self, size_t index)
{
    if (!self || index >= self->count)
        return 0;
    return zmq_msg_size(&self->msgs[index]);
}

bool zw_frames_eq(const zw_frames_t *self, size_t index, const void *data, size_t size)
{
    if (!self || index >= self->count || zw_frames_size(self, index) != size)
        return false;
    return size == 0 || memcmp(zw_frames_data(self, index), data, size) == 0;
}

bool zw_frames_streq(const zw_frames_t *self, size_t index, const char *s)
{
    return zw_frames_eq(self, index, s, strlen(s));
}

int zw_frames_str(const zw_frames_t *self, size_t index, char *out, size_t outsz)
{
    if (outsz == 0)
        return -1;
    out[0] = '\0';
    if (!self || index >= self->count)
        return -1;
    size_t n = zw_frames_size(self, index);
    const char *data = zw_frames_data(self, index);
    if (n >= outsz || (n > 0 && memchr(data, '\0', n)))
        return -1;
    if (n > 0)
        memcpy(out, data, n);
    out[n] = '\0';
    return 0;
}

/* Room for one more frame; the caller then initializes msgs[count]. */
static int s_grow(zw_frames_t *self)
{
    if (self->count < self->cap)
        return 0;
    size_t cap = self->cap ? self->cap * 2 : 8;
    zmq_msg_t *msgs = realloc(self->msgs, cap * sizeof(zmq_msg_t));
    if (!msgs)
        return -1;
    self->msgs = msgs;
    self->cap = cap;
    return 0;
}

int zw_frames_append(zw_frames_t *self, const void *data, size_t size)
{
    if (!self || s_grow(self) != 0)
        return -1;
    zmq_msg_t *msg = &self->msgs[self->count];
    if (zmq_msg_init_size(msg, size) != 0)
        return -1;
    if (size > 0)
        memcpy(zmq_msg_data(msg), data, size);
    self->count++;
    return 0;
}

int zw_frames_append_str(zw_frames_t *self, const char *s)
{
    return zw_frames_append(self, s, strlen(s));
}

static void s_free_data(void *data, void *hint)
{
    (void) hint;
    free(data);
}

int zw_frames_append_take(zw_frames_t *self, void *data, size_t size)
{
    if (!self || s_grow(self) != 0) {
        free(data);
        return -1;
    }
    zmq_msg_t *msg = &self->msgs[self->count];
    if (!data || size == 0) {
        /* libzmq wants a real buffer for zmq_msg_init_data; an empty frame
         * needs none. */
        free(data);
        if (zmq_msg_init(msg) != 0)
            return -1;
    } else if (zmq_msg_init_data(msg, data, size, s_free_data, NULL) != 0) {
        free(data);
        return -1;
    }
    self->count++;
    return 0;
}

int zw_frames_append_frames(zw_frames_t *self, const zw_frames_t *other, size_t from)
{
    if (!self || !other)
        return -1;
    for (size_t i = from; i < other->count; i++) {
        if (s_grow(self) != 0)
            return -1;
        zmq_msg_t *msg = &self->msgs[self->count];
        zmq_msg_init(msg);
        if (zmq_msg_copy(msg, (zmq_msg_t *) &other->msgs[i]) != 0) {
            zmq_msg_close(msg);
            return -1;
        }
        self->count++;
    }
    return 0;
}

zw_frames_t *zw_frames_split(zw_frames_t *self, size_t n)
{
    zw_frames_t *head = zw_frames_new();
    if (!self || !head) {
        zw_frames_destroy(&head);
        return NULL;
    }
    if (n > self->count)
        n = self->count;
    if (n > 0) {
        head->msgs = malloc(n * sizeof(zmq_msg_t));
        if (!head->msgs) {
            zw_frames_destroy(&head);
            return NULL;
        }
        head->cap = n;
        memcpy(head->msgs, self->msgs, n * sizeof(zmq_msg_t));
        head->count = n;
        memmove(self->msgs, self->msgs + n, (self->count - n) * sizeof(zmq_msg_t));
        self->count -= n;
    }
    return head;
}

void zw_frames_drop_front(zw_frames_t *self, size_t n)
{
    if (!self)
        return;
    if (n >= self->count) {
        zw_frames_clear(self);
        return;
    }
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&self->msgs[i]);
    memmove(self->msgs, self->msgs + n, (self->count - n) * sizeof(zmq_msg_t));
    self->count -= n;
}

zw_frames_t *zw_frames_recv(void *socket, int flags)
{
    zw_frames_t *self = zw_frames_new();
    if (!self) {
        errno = ENOMEM;
        return NULL;
    }
    for (;;) {
        if (s_grow(self) != 0) {
            zw_frames_destroy(&self);
            errno = ENOMEM;
            return NULL;
        }
        zmq_msg_t *msg = &self->msgs[self->count];
        zmq_msg_init(msg);
        /* Only the first part may block: the rest of a multipart message
         * arrives with it. */
        if (zmq_msg_recv(msg, socket, self->count == 0 ? flags : 0) < 0) {
            int saved = errno;
            zmq_msg_close(msg);
            zw_frames_destroy(&self);
            errno = saved;
            return NULL;
        }
        self->count++;
        if (!zmq_msg_more(msg))
            return self;
    }
}

int zw_frames_send(const zw_frames_t *self, void *socket, int flags, bool more)
{
    size_t n = zw_frames_count(self);
    for (size_t i = 0; i < n; i++) {
        zmq_msg_t copy;
        zmq_msg_init(&copy);
        if (zmq_msg_copy(&copy, (zmq_msg_t *) &self->msgs[i]) != 0) {
            zmq_msg_close(&copy);
            return -1;
        }
        int f = flags | ((i + 1 < n || more) ? ZMQ_SNDMORE : 0);
        if (zmq_msg_send(&copy, socket, f) < 0) {
            int saved = errno;
            zmq_msg_close(&copy);
            errno = saved;
            return -1;
        }
    }
    return 0;
}

int zw_frame_send(void *socket, const void *data, size_t size, int flags, bool more)
{
    return zmq_send(socket, data, size, flags | (more ? ZMQ_SNDMORE : 0)) < 0 ? -1 : 0;
}

int zw_error_pack(zw_code_t code, const char *message, size_t n, const char *const *keys,
                  const char *const *values, uint8_t **out, size_t *len)
{
    Zwfw__V1__Error error = ZWFW__V1__ERROR__INIT;
    error.code = (Zwfw__V1__Code) code;
    error.message = (char *) (message ? message : "");
    Zwfw__V1__Error__DetailsEntry *entries = NULL;
    Zwfw__V1__Error__DetailsEntry **ptrs = NULL;
    if (n > 0) {
        entries = calloc(n, sizeof *entries);
        ptrs = calloc(n, sizeof *ptrs);
        if (!entries || !ptrs) {
            free(entries);
            free(ptrs);
            return -1;
        }
        for (size_t i = 0; i < n; i++) {
            zwfw__v1__error__details_entry__init(&entries[i]);
            entries[i].key = (char *) (keys[i] ? keys[i] : "");
            entries[i].value = (char *) (values[i] ? values[i] : "");
            ptrs[i] = &entries[i];
        }
        error.n_details = n;
        error.details = ptrs;
    }
    size_t size = zwfw__v1__error__get_packed_size(&error);
    /* One spare byte so an all-default Error still gets a real buffer. */
    uint8_t *buf = malloc(size + 1);
    if (buf)
        zwfw__v1__error__pack(&error, buf);
    free(entries);
    free(ptrs);
    if (!buf)
        return -1;
    *out = buf;
    *len = size;
    return 0;
}

int zw_error_pack_err(const zw_err_t *err, uint8_t **out, size_t *len)
{
    const char *key = ZW_ERROR_DETAIL_KEY;
    const char *value = err->detail;
    return zw_error_pack(err->code, err->message, err->detail[0] ? 1 : 0, &key, &value, out, len);
}

void zw_error_to_err(const Zwfw__V1__Error *error, zw_err_t *err)
{
    if (!err)
        return;
    zw_err_clear(err);
    int code = (int) error->code;
    err->code = (code > ZW_OK && code <= ZW_UNAUTHENTICATED) ? (zw_code_t) code : ZW_UNKNOWN;
    snprintf(err->message, sizeof err->message, "%s", error->message ? error->message : "");
    const char *detail = NULL;
    for (size_t i = 0; i < error->n_details; i++) {
        const Zwfw__V1__Error__DetailsEntry *e = error->details[i];
        if (e->key && strcmp(e->key, ZW_ERROR_DETAIL_KEY) == 0) {
            detail = e->value;
            break;
        }
        if (!detail)
            detail = e->value;
    }
    snprintf(err->detail, sizeof err->detail, "%s", detail ? detail : "");
}
