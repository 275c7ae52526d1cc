#include "auth.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct zw_auth {
    bool curve;
    zw_auth_keys_t keys;
    char *registry_file;
    zw_auth_registry_t *registry;
    zw_auth_zap_t *zap;
};

static bool s_set(const char *s)
{
    return s && *s;
}

zw_auth_t *zw_auth_new(void *zmq_ctx, const char *secret_key_file, const char *registry_file,
                       zw_err_t *err)
{
    if (s_set(secret_key_file) != s_set(registry_file)) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT,
                    s_set(secret_key_file) ? "key_registry_file" : "curve_secret_key_file",
                    "CURVE needs both the daemon's secret key file and the key registry file; "
                    "%s is missing",
                    s_set(secret_key_file) ? "the key registry file" : "the secret key file");
        return NULL;
    }
    zw_auth_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    if (!s_set(secret_key_file))
        return self;
    self->curve = true;
    int rc = zw_auth_keys_load(secret_key_file, true, &self->keys, err);
    if (rc == 0 && !(self->registry_file = strdup(registry_file)))
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (rc == 0 && !(self->registry = zw_auth_registry_load(registry_file, err)))
        rc = -1;
    /* Last, so nothing fails after it: from here libzmq asks us about
     * every CURVE handshake in this context. */
    if (rc == 0 && !(self->zap = zw_auth_zap_new(zmq_ctx, err)))
        rc = -1;
    if (rc != 0) {
        zw_auth_destroy(&self);
        return NULL;
    }
    zw_auth_zap_set_registry(self->zap, self->registry);
    return self;
}

void zw_auth_destroy(zw_auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_auth_t *self = *self_p;
    zw_auth_zap_destroy(&self->zap);
    zw_auth_registry_destroy(&self->registry);
    free(self->registry_file);
    explicit_bzero(&self->keys, sizeof self->keys);
    free(self);
    *self_p = NULL;
}

bool zw_auth_is_curve(const zw_auth_t *self)
{
    return self && self->curve;
}

const char *zw_auth_mode(const zw_auth_t *self)
{
    return zw_auth_is_curve(self) ? "curve" : "plain";
}

const char *zw_auth_public_key(const zw_auth_t *self)
{
    return zw_auth_is_curve(self) ? self->keys.public_key : "";
}

int zw_auth_server_socket(zw_auth_t *self, void *socket, zw_err_t *err)
{
    if (!zw_auth_is_curve(self))
        return 0;
    return zw_auth_server_apply(&self->keys, socket, "zwfw", err);
}

int zw_auth_bind_check(const zw_auth_t *self, const char *endpoint, zw_err_t *err)
{
    return zw_auth_endpoint_check(zw_auth_is_curve(self), endpoint, err);
}

void *zw_auth_bind_pub(zw_auth_t *self, void *zmq_ctx, const char *endpoint, zw_err_t *err)
{
    if (zw_auth_bind_check(self, endpoint, err) != 0)
        return NULL;
    void *pub = zmq_socket(zmq_ctx, ZMQ_PUB);
    if (!pub) {
        zw_err_set(err, ZW_INTERNAL, "cannot make a PUB socket");
        return NULL;
    }
    int linger = 0;
    zmq_setsockopt(pub, ZMQ_LINGER, &linger, sizeof linger);
    if (zw_auth_server_socket(self, pub, err) != 0) {
        zmq_close(pub);
        return NULL;
    }
    if (zmq_bind(pub, endpoint) != 0) {
        zw_err_set(err, ZW_UNAVAILABLE, "cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        zmq_close(pub);
        return NULL;
    }
    return pub;
}

void *zw_auth_sub(void *zmq_ctx, const char *server_key, const char *secret_file, zw_err_t *err)
{
    void *sub = zmq_socket(zmq_ctx, ZMQ_SUB);
    if (!sub) {
        zw_err_set(err, ZW_INTERNAL, "cannot make a SUB socket");
        return NULL;
    }
    int linger = 0;
    zmq_setsockopt(sub, ZMQ_LINGER, &linger, sizeof linger);
    zw_auth_client_t c;
    memset(&c, 0, sizeof c);
    if (server_key && *server_key &&
        (zw_auth_client_load(&c, secret_file, server_key, err) != 0 ||
         zw_auth_client_apply(&c, sub, err) != 0)) {
        memset(&c, 0, sizeof c);
        zmq_close(sub);
        return NULL;
    }
    memset(&c, 0, sizeof c);
    return sub;
}

int zw_auth_reload(zw_auth_t *self, size_t *keys, zw_err_t *err)
{
    if (!zw_auth_is_curve(self)) {
        if (keys)
            *keys = 0;
        return 0;
    }
    zw_auth_registry_t *fresh = zw_auth_registry_load(self->registry_file, err);
    if (!fresh)
        return -1;
    zw_auth_zap_set_registry(self->zap, fresh);
    zw_auth_registry_destroy(&self->registry);
    self->registry = fresh;
    if (keys)
        *keys = zw_auth_registry_size(fresh);
    return 0;
}

zw_auth_zap_t *zw_auth_zap(zw_auth_t *self)
{
    return zw_auth_is_curve(self) ? self->zap : NULL;
}

const zw_auth_entry_t *zw_auth_peer(const zw_auth_t *self, zmq_msg_t *frame)
{
    if (!zw_auth_is_curve(self))
        return NULL;
    const char *user = zmq_msg_gets(frame, "User-Id");
    return user ? zw_auth_registry_find_name(self->registry, user) : NULL;
}

const zw_auth_registry_t *zw_auth_registry(const zw_auth_t *self)
{
    return zw_auth_is_curve(self) ? self->registry : NULL;
}

/* --- endpoints --- */

static int s_port_ok(const char *port)
{
    if (strcmp(port, "*") == 0)
        return 1;
    if (!*port || strlen(port) > 5)
        return 0;
    for (const char *p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return atoi(port) <= 65535;
}

#define S_PLAIN_RULE "plain mode (no keys configured) binds only 127.0.0.0/8 or [::1]"

int zw_auth_endpoint_check(bool curve, const char *endpoint, zw_err_t *err)
{
    if (!endpoint || !*endpoint)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint", "empty endpoint");
    bool ipc = strncmp(endpoint, "ipc://", 6) == 0, inproc = strncmp(endpoint, "inproc://", 9) == 0;
    if (ipc || inproc) {
        if (!endpoint[ipc ? 6 : 9])
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint",
                               "%s: no name after the transport", endpoint);
        if (inproc && curve)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint",
                               "%s: inproc:// has no CURVE handshake; bind tcp:// or ipc://",
                               endpoint);
        return 0;
    }
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint",
                           "%s: only tcp://, ipc:// and inproc:// endpoints are supported",
                           endpoint);
    const char *addr = endpoint + 6;
    if (strchr(addr, ';'))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint",
                           "%s: a source address has no meaning for bind", endpoint);
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint", "%s: expected tcp://HOST:PORT",
                           endpoint);
    if (!s_port_ok(colon + 1))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "endpoint",
                           "%s: port must be a number 0-65535 or '*'", endpoint);
    if (curve)
        return 0;
    char host[64];
    size_t hlen = (size_t) (colon - addr);
    if (hlen >= sizeof host)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "endpoint", "%s: " S_PLAIN_RULE, endpoint);
    memcpy(host, addr, hlen);
    host[hlen] = '\0';
    if (strcmp(host, "*") == 0)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "endpoint",
                           "%s: '*' would listen on every interface; " S_PLAIN_RULE, endpoint);
    if (host[0] == '[' && host[hlen - 1] == ']') {
        host[hlen - 1] = '\0';
        struct in6_addr a6;
        if (inet_pton(AF_INET6, host + 1, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6))
            return 0;
    } else {
        struct in_addr a4;
        if (inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127)
            return 0;
    }
    return zw_err_setd(err, ZW_PERMISSION_DENIED, "endpoint",
                       "%s: plain mode (no keys configured) binds only a literal 127.0.0.0/8 "
                       "address or [::1], not '%s'",
                       endpoint, host);
}
