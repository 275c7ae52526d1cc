#include "auth_zap.h"

#include "log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* [routing id][empty][version][request id][domain][address][identity]
 * [mechanism][credentials...]: CURVE has one credential, PLAIN two. */
#define S_MAX_FRAMES 12
#define S_LOGS_PER_SEC 20

struct zw_auth_zap {
    void *socket;
    const zw_auth_registry_t *registry;
    zw_auth_zap_stats_t stats;
    int64_t log_window;
    unsigned logged, suppressed;
};

static int64_t s_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

zw_auth_zap_t *zw_auth_zap_new(void *zmq_ctx, zw_err_t *err)
{
    zw_auth_zap_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->socket = zmq_ctx ? zmq_socket(zmq_ctx, ZMQ_ROUTER) : NULL;
    if (!self->socket) {
        zw_err_set(err, ZW_INTERNAL, "ZAP handler: zmq_socket: %s", zmq_strerror(errno));
        free(self);
        return NULL;
    }
    int zero = 0;
    zmq_setsockopt(self->socket, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(self->socket, ZW_AUTH_ZAP_ENDPOINT) != 0) {
        int e = errno;
        zw_err_set(err, e == EADDRINUSE ? ZW_FAILED_PRECONDITION : ZW_INTERNAL,
                   "ZAP handler: cannot bind %s: %s", ZW_AUTH_ZAP_ENDPOINT, zmq_strerror(e));
        zmq_close(self->socket);
        free(self);
        return NULL;
    }
    self->log_window = s_now_ms();
    return self;
}

void zw_auth_zap_destroy(zw_auth_zap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_auth_zap_t *self = *self_p;
    /* zmq_close frees the inproc name only later, on libzmq's reaper
     * thread; unbinding frees it now, so a new handler can bind at once. */
    zmq_unbind(self->socket, ZW_AUTH_ZAP_ENDPOINT);
    zmq_close(self->socket);
    free(self);
    *self_p = NULL;
}

void *zw_auth_zap_socket(zw_auth_zap_t *self)
{
    return self->socket;
}

void zw_auth_zap_set_registry(zw_auth_zap_t *self, const zw_auth_registry_t *registry)
{
    self->registry = registry;
}

void zw_auth_zap_stats(const zw_auth_zap_t *self, zw_auth_zap_stats_t *out)
{
    *out = self->stats;
}

static void s_text(const zmq_msg_t *m, char *out, size_t outsz)
{
    size_t n = zmq_msg_size((zmq_msg_t *) m);
    const unsigned char *p = zmq_msg_data((zmq_msg_t *) m);
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outsz; i++)
        out[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char) p[i] : '?';
    out[o] = '\0';
}

static bool s_is(const zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size((zmq_msg_t *) m) == n && memcmp(zmq_msg_data((zmq_msg_t *) m), s, n) == 0;
}

static void s_log_refused(zw_auth_zap_t *self, const char *reason, const char *key,
                          const char *address)
{
    int64_t now = s_now_ms();
    if (now - self->log_window >= 1000) {
        if (self->suppressed) {
            char n[24];
            snprintf(n, sizeof n, "%u", self->suppressed);
            zw_logkv(ZW_LOG_WARN, "connection refusals not logged", "count", n, NULL);
        }
        self->log_window = now;
        self->logged = self->suppressed = 0;
    }
    if (self->logged >= S_LOGS_PER_SEC) {
        self->suppressed++;
        return;
    }
    self->logged++;
    zw_logkv(ZW_LOG_WARN, "connection refused", "reason", reason, "public_key", key, "address",
             address, NULL);
}

/* Decides about one request; fills the status and, for 200, the user id. */
static const char *s_decide(zw_auth_zap_t *self, zmq_msg_t *f, size_t n, const char **user,
                            char *key, char *address)
{
    *user = "";
    key[0] = '\0';
    s_text(&f[5], address, 64);
    if (!s_is(&f[7], "CURVE"))
        return "only CURVE is admitted";
    if (n != 9 || zmq_msg_size(&f[8]) != 32)
        return "malformed CURVE credentials";
    zmq_z85_encode(key, zmq_msg_data(&f[8]), 32);
    const zw_auth_entry_t *e = zw_auth_registry_find_key(self->registry, zmq_msg_data(&f[8]));
    if (!e)
        return "key not registered";
    *user = e->name;
    return NULL;
}

static void s_send(void *socket, const void *data, size_t len, bool more)
{
    zmq_send(socket, data, len, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0));
}

static void s_answer(zw_auth_zap_t *self, zmq_msg_t *f, size_t n)
{
    /* A request without its fixed frames cannot even be answered. */
    if (n < 8 || zmq_msg_size(&f[1]) != 0)
        return;
    const char *user = "";
    char key[ZW_AUTH_Z85_LEN + 1], address[64];
    const char *refusal = "unsupported ZAP version";
    if (s_is(&f[2], "1.0"))
        refusal = s_decide(self, f, n, &user, key, address);
    else
        s_text(&f[5], address, sizeof address);
    if (refusal) {
        self->stats.refused++;
        s_log_refused(self, refusal, key[0] ? key : NULL, address);
    } else {
        self->stats.admitted++;
        zw_logkv(ZW_LOG_DEBUG, "connection admitted", "key", user, "address", address, NULL);
    }
    const char *status = refusal ? "400" : "200";
    const char *text = refusal ? refusal : "OK";
    s_send(self->socket, zmq_msg_data(&f[0]), zmq_msg_size(&f[0]), true);
    s_send(self->socket, "", 0, true);
    s_send(self->socket, "1.0", 3, true);
    s_send(self->socket, zmq_msg_data(&f[3]), zmq_msg_size(&f[3]), true);
    s_send(self->socket, status, 3, true);
    s_send(self->socket, text, strlen(text), true);
    s_send(self->socket, user, strlen(user), true);
    s_send(self->socket, "", 0, false);
}

int zw_auth_zap_handle(zw_auth_zap_t *self)
{
    int handled = 0;
    for (;;) {
        zmq_msg_t f[S_MAX_FRAMES], scratch;
        size_t n = 0;
        bool more = true, too_many = false;
        while (more) {
            zmq_msg_t *m = n < S_MAX_FRAMES ? &f[n] : &scratch;
            zmq_msg_init(m);
            if (zmq_msg_recv(m, self->socket, ZMQ_DONTWAIT) < 0) {
                /* Nothing waiting: a message arrives whole, never midway. */
                zmq_msg_close(m);
                for (size_t i = 0; i < n; i++)
                    zmq_msg_close(&f[i]);
                return handled;
            }
            more = zmq_msg_more(m);
            if (m == &scratch) {
                zmq_msg_close(m);
                too_many = true;
            } else {
                n++;
            }
        }
        if (!too_many)
            s_answer(self, f, n);
        for (size_t i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        handled++;
    }
}
