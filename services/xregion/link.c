/* The partner links (link.h). */
#include "link.h"

#include "auth_keys.h"
#include "auth_registry.h"
#include "auth_zap.h"
#include "log.h"
#include "validate.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#define S_MAX_PEERS 64
#define S_MAX_FRAME (4 * 1024 * 1024)
#define S_NAME_PREFIX "partner-"

/* ---- the view other threads read ------------------------------------------------- */

typedef struct {
    char region[8];
    int64_t heard_ms; /* monotonic; 0: never */
    bool up;
} s_view_t;

static pthread_mutex_t s_view_mu = PTHREAD_MUTEX_INITIALIZER;
static s_view_t s_views[S_MAX_PEERS];
static size_t s_n_views;
static atomic_bool s_poked;

void zw_xregion_link_poke(void)
{
    atomic_store(&s_poked, true);
}

void zw_xregion_link_status(const char *region, zw_xregion_link_view_t *out)
{
    memset(out, 0, sizeof *out);
    out->last_heard_ms_ago = -1;
    pthread_mutex_lock(&s_view_mu);
    for (size_t i = 0; i < s_n_views; i++)
        if (strcmp(s_views[i].region, region) == 0) {
            out->up = s_views[i].up;
            if (s_views[i].heard_ms > 0)
                out->last_heard_ms_ago = zw_mono_ms() - s_views[i].heard_ms;
        }
    pthread_mutex_unlock(&s_view_mu);
}

/* ---- the link ------------------------------------------------------------------ */

typedef struct {
    char message_id[160];
    int64_t next_ms;
    int backoff_ms;
} s_flight_t;

typedef struct {
    char region[8];
    char endpoint[256];
    char public_key[ZW_AUTH_Z85_LEN + 1];
    int version;
    bool enabled;
    void *dealer;        /* NULL without an endpoint or when disabled */
    int64_t heard_ms;    /* monotonic, 0 never: anything from the partner */
    int64_t dealer_ms;   /* the DEALER was made or last heard from */
    int64_t ping_ms;     /* last PING sent */
    bool was_up;         /* as last published (for the up/down log) */
    s_flight_t *flights; /* what is sent and not answered */
    size_t n_flights;
} s_peer_t;

struct zw_xregion_link {
    zw_xregion_ctx_t *ctx;
    zw_xregion_link_config_t cfg;
    zw_auth_keys_t keys;
    void *zctx;
    zw_auth_zap_t *zap;
    zw_auth_registry_t *registry;
    void *router;
    s_peer_t peers[S_MAX_PEERS];
    size_t n_peers;
    int64_t next_partners_ms, next_send_ms, next_prune_ms;
};

static void s_peer_close(s_peer_t *p)
{
    if (p->dealer)
        zmq_close(p->dealer);
    p->dealer = NULL;
    free(p->flights);
    p->flights = NULL;
    p->n_flights = 0;
}

/* Publishes the peers' state for other threads, and logs each link going
 * up or down (an operator's first question when exchanges wait). */
static void s_publish_view(zw_xregion_link_t *self)
{
    int64_t now = zw_mono_ms(), dead = 3 * (int64_t) self->cfg.heartbeat_ms;
    pthread_mutex_lock(&s_view_mu);
    s_n_views = 0;
    for (size_t i = 0; i < self->n_peers; i++) {
        s_peer_t *p = &self->peers[i];
        s_view_t *v = &s_views[s_n_views++];
        snprintf(v->region, sizeof v->region, "%s", p->region);
        v->heard_ms = p->heard_ms;
        v->up = p->enabled && v->heard_ms > 0 && now - v->heard_ms <= dead;
        if (v->up != p->was_up && (v->up || p->heard_ms > 0))
            zw_logkv(v->up ? ZW_LOG_INFO : ZW_LOG_WARN,
                     v->up ? "partner link up" : "partner link down: messages wait", "region",
                     p->region, NULL);
        p->was_up = v->up;
    }
    pthread_mutex_unlock(&s_view_mu);
}

static s_peer_t *s_peer(zw_xregion_link_t *self, const char *region)
{
    for (size_t i = 0; i < self->n_peers; i++)
        if (strcmp(self->peers[i].region, region) == 0)
            return &self->peers[i];
    return NULL;
}

static void *s_dealer(zw_xregion_link_t *self, const s_peer_t *p)
{
    void *d = zmq_socket(self->zctx, ZMQ_DEALER);
    if (!d)
        return NULL;
    int zero = 0, one = 1, hwm = 10000;
    zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(d, ZMQ_IMMEDIATE, &one, sizeof one);
    zmq_setsockopt(d, ZMQ_SNDHWM, &hwm, sizeof hwm);
    int64_t max = S_MAX_FRAME;
    zmq_setsockopt(d, ZMQ_MAXMSGSIZE, &max, sizeof max);
    zw_auth_client_t c;
    memset(&c, 0, sizeof c);
    c.keys = self->keys;
    snprintf(c.server_key, sizeof c.server_key, "%s", p->public_key);
    zw_err_t err;
    if (zw_auth_client_apply(&c, d, &err) != 0 || zmq_connect(d, p->endpoint) != 0) {
        zw_logkv(ZW_LOG_WARN, "cannot connect to a partner", "region", p->region, "endpoint",
                 p->endpoint, NULL);
        zmq_close(d);
        d = NULL;
    }
    memset(&c, 0, sizeof c);
    return d;
}

/* Reads the registry; rebuilds the ZAP registry and the DEALERs of
 * partners that changed. */
static void s_partners(zw_xregion_link_t *self)
{
    zw_err_t err;
    PGresult *res = zw_db_exec(self->ctx->db, "xr_partners", 0, NULL, &err);
    if (!res) {
        zw_logkv(ZW_LOG_WARN, "partner registry unreadable", "reason", err.message, NULL);
        return;
    }
    int n = PQntuples(res);
    if (n > S_MAX_PEERS)
        n = S_MAX_PEERS;
    bool changed = (size_t) n != self->n_peers;
    for (int i = 0; !changed && i < n; i++)
        changed = strcmp(self->peers[i].region, PQgetvalue(res, i, 0)) != 0 ||
                  self->peers[i].version != atoi(PQgetvalue(res, i, 5));
    if (!changed) {
        PQclear(res);
        return;
    }
    s_peer_t fresh[S_MAX_PEERS];
    memset(fresh, 0, sizeof fresh);
    cJSON *doc = cJSON_CreateObject(), *keys = cJSON_AddArrayToObject(doc, "keys");
    for (int i = 0; i < n; i++) {
        s_peer_t *p = &fresh[i];
        snprintf(p->region, sizeof p->region, "%s", PQgetvalue(res, i, 0));
        snprintf(p->endpoint, sizeof p->endpoint, "%s", PQgetvalue(res, i, 2));
        snprintf(p->public_key, sizeof p->public_key, "%s", PQgetvalue(res, i, 3));
        p->enabled = PQgetvalue(res, i, 4)[0] == 't';
        p->version = atoi(PQgetvalue(res, i, 5));
        s_peer_t *old = s_peer(self, p->region);
        if (old && old->version == p->version) { /* unchanged: keep its socket */
            *p = *old;
            old->dealer = NULL;
            old->flights = NULL;
            old->n_flights = 0;
        } else {
            if (old)
                p->heard_ms = 0;
            if (p->enabled && *p->endpoint) {
                p->dealer = s_dealer(self, p);
                p->dealer_ms = zw_mono_ms();
            }
        }
        if (p->enabled) {
            char name[32];
            snprintf(name, sizeof name, S_NAME_PREFIX "%.6s", p->region);
            cJSON *k = cJSON_CreateObject();
            cJSON_AddStringToObject(k, "name", name);
            cJSON_AddStringToObject(k, "public_key", p->public_key);
            cJSON_AddStringToObject(k, "role", "partner");
            cJSON_AddStringToObject(k, "region", p->region);
            cJSON_AddItemToArray(keys, k);
        }
    }
    PQclear(res);
    for (size_t i = 0; i < self->n_peers; i++)
        s_peer_close(&self->peers[i]);
    memcpy(self->peers, fresh, sizeof fresh);
    self->n_peers = (size_t) n;
    char *json = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    zw_auth_registry_t *reg =
        json ? zw_auth_registry_parse(json, strlen(json), "xregion.partners", &err) : NULL;
    free(json);
    if (!reg) {
        zw_logkv(ZW_LOG_WARN, "partner keys not admitted", "reason", err.message, NULL);
    } else if (self->zap) {
        zw_auth_zap_set_registry(self->zap, reg);
        zw_auth_registry_destroy(&self->registry);
        self->registry = reg;
    } else {
        zw_auth_registry_destroy(&reg);
    }
    s_publish_view(self);
    zw_logkv(ZW_LOG_INFO, "partner registry read", NULL);
}

zw_xregion_link_t *zw_xregion_link_new(zw_xregion_ctx_t *ctx, const zw_xregion_link_config_t *cfg,
                                       char *public_key, zw_err_t *err)
{
    public_key[0] = '\0';
    zw_xregion_link_t *self = calloc(1, sizeof *self);
    if (!self) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    self->ctx = ctx;
    self->cfg = *cfg;
    if (!*cfg->endpoint)
        return self;
    if (zw_auth_keys_load(cfg->secret_key_file, true, &self->keys, err) != 0)
        goto fail;
    if (!(self->zctx = zmq_ctx_new())) {
        zw_err_set(err, ZW_INTERNAL, "zmq_ctx_new failed");
        goto fail;
    }
    /* The link's own context, so its ZAP handler admits partners only. */
    if (!(self->zap = zw_auth_zap_new(self->zctx, err)))
        goto fail;
    self->router = zmq_socket(self->zctx, ZMQ_ROUTER);
    int zero = 0;
    if (!self->router) {
        zw_err_set(err, ZW_INTERNAL, "zmq_socket failed");
        goto fail;
    }
    zmq_setsockopt(self->router, ZMQ_LINGER, &zero, sizeof zero);
    /* a partner's frame larger than this drops its connection, not our
     * memory: materials travel as references, a message is small */
    int64_t max = S_MAX_FRAME;
    zmq_setsockopt(self->router, ZMQ_MAXMSGSIZE, &max, sizeof max);
    if (zw_auth_server_apply(&self->keys, self->router, "zwfw-link", err) != 0)
        goto fail;
    if (zmq_bind(self->router, cfg->endpoint) != 0) {
        zw_err_set(err, ZW_UNAVAILABLE, "cannot bind the link endpoint %s: %s", cfg->endpoint,
                   zmq_strerror(zmq_errno()));
        goto fail;
    }
    snprintf(public_key, ZW_AUTH_Z85_LEN + 1, "%s", self->keys.public_key);
    return self;
fail:
    zw_xregion_link_destroy(&self);
    return NULL;
}

void zw_xregion_link_destroy(zw_xregion_link_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_xregion_link_t *self = *self_p;
    for (size_t i = 0; i < self->n_peers; i++)
        s_peer_close(&self->peers[i]);
    if (self->router)
        zmq_close(self->router);
    zw_auth_zap_destroy(&self->zap);
    if (self->zctx)
        zmq_ctx_term(self->zctx);
    zw_auth_registry_destroy(&self->registry);
    memset(&self->keys, 0, sizeof self->keys);
    free(self);
    *self_p = NULL;
}

/* ---- sending ------------------------------------------------------------------- */

/* One message of n frames, without blocking. A DEALER with
 * ZMQ_IMMEDIATE refuses the first frame while it has no connection. */
static int s_send(void *sock, const void *const *data, const size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int flags = ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_send(sock, data[i], lens[i], flags) < 0)
            return -1;
    }
    return 0;
}

/* Sends what is due to one partner. */
static void s_send_peer(zw_xregion_link_t *self, s_peer_t *p, int64_t now)
{
    zw_err_t err;
    char win[24];
    snprintf(win, sizeof win, "%d", self->cfg.window);
    const char *q[] = {p->region, win};
    PGresult *res = zw_db_exec(self->ctx->db, "xr_outbound_pending", 2, q, &err);
    if (!res) {
        zw_logkv(ZW_LOG_WARN, "outbound queue unreadable", "reason", err.message, NULL);
        return;
    }
    int n = PQntuples(res);
    s_flight_t *next = calloc((size_t) (n ? n : 1), sizeof *next);
    if (!next) {
        PQclear(res);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *mid = PQgetvalue(res, i, 0);
        s_flight_t *f = &next[i];
        snprintf(f->message_id, sizeof f->message_id, "%s", mid);
        for (size_t j = 0; j < p->n_flights; j++)
            if (strcmp(p->flights[j].message_id, mid) == 0) {
                *f = p->flights[j];
                break;
            }
        if (f->next_ms > now)
            continue;
        size_t len = 0;
        uint8_t *raw =
            zw_xregion_unseal(self->ctx, ZW_XREGION_SEAL_MSG, PQgetvalue(res, i, 2), &len, &err);
        if (!raw) {
            zw_logkv(ZW_LOG_ERROR, "a queued message does not open", "message_id", mid, "reason",
                     err.message, NULL);
            f->next_ms = now + self->cfg.retry_max_ms;
            continue;
        }
        const char *type = PQgetvalue(res, i, 1);
        const void *data[] = {ZW_XREGION_LINK_PROTO, "MSG", mid, type, raw};
        size_t lens[] = {strlen(ZW_XREGION_LINK_PROTO), 3, strlen(mid), strlen(type), len};
        bool sent = s_send(p->dealer, data, lens, 5) == 0;
        free(raw);
        if (!sent) /* no connection yet (ZMQ_IMMEDIATE): try again soon */
            break;
        f->backoff_ms = f->backoff_ms ? f->backoff_ms * 2 : self->cfg.ack_timeout_ms;
        if (f->backoff_ms > self->cfg.retry_max_ms)
            f->backoff_ms = self->cfg.retry_max_ms;
        f->next_ms = now + f->backoff_ms;
    }
    PQclear(res);
    free(p->flights);
    p->flights = next;
    p->n_flights = (size_t) n;
}

static void s_send_due(zw_xregion_link_t *self, int64_t now)
{
    for (size_t i = 0; i < self->n_peers; i++) {
        s_peer_t *p = &self->peers[i];
        if (!p->dealer)
            continue;
        /* Nothing back on this connection for 3 beats: a new socket (a
         * handshake the partner refused before it registered our key is
         * not tried again by libzmq on its own). */
        if (now - p->dealer_ms > 3 * (int64_t) self->cfg.heartbeat_ms) {
            zmq_close(p->dealer);
            p->dealer = s_dealer(self, p);
            p->dealer_ms = now;
            for (size_t j = 0; j < p->n_flights; j++)
                p->flights[j].next_ms = 0;
            if (!p->dealer)
                continue;
        }
        if (now - p->ping_ms >= self->cfg.heartbeat_ms) {
            const void *data[] = {ZW_XREGION_LINK_PROTO, "PING"};
            size_t lens[] = {strlen(ZW_XREGION_LINK_PROTO), 4};
            s_send(p->dealer, data, lens, 2);
            p->ping_ms = now;
        }
        s_send_peer(self, p, now);
    }
}

/* ---- receiving ----------------------------------------------------------------- */

typedef struct {
    zmq_msg_t parts[8];
    size_t n;
    bool more_than_8;
} s_msg_t;

static int s_recv(void *sock, s_msg_t *m)
{
    m->n = 0;
    m->more_than_8 = false;
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&part);
            return m->n ? 0 : -1;
        }
        bool more = zmq_msg_more(&part);
        if (m->n < 8)
            m->parts[m->n++] = part;
        else {
            m->more_than_8 = true;
            zmq_msg_close(&part);
        }
        if (!more)
            return 0;
    }
}

static void s_msg_close(s_msg_t *m)
{
    for (size_t i = 0; i < m->n; i++)
        zmq_msg_close(&m->parts[i]);
    m->n = 0;
}

/* Frame i as a NUL-terminated string in buf (cut to size). */
static const char *s_text(s_msg_t *m, size_t i, char *buf, size_t size)
{
    if (i >= m->n) {
        buf[0] = '\0';
        return buf;
    }
    size_t len = zmq_msg_size(&m->parts[i]);
    if (len >= size)
        len = size - 1;
    memcpy(buf, zmq_msg_data(&m->parts[i]), len);
    buf[len] = '\0';
    return buf;
}

/* Whether a frame is 1..max bytes of [A-Za-z0-9_.:-] or `also`: message
 * ids and type names travel as such, never with NUL or non-ASCII bytes,
 * so the id acknowledged is byte for byte the id sent. */
static bool s_token_ok(zmq_msg_t *f, size_t max, const char *also)
{
    size_t n = zmq_msg_size(f);
    const unsigned char *d = zmq_msg_data(f);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = d[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == ':' || c == '-' || (c && strchr(also, c));
        if (!ok)
            return false;
    }
    return true;
}

/* A frame as printable ASCII for logs and NAKs: its token characters as
 * they are, every other byte as \xHH, cut to size. */
static void s_printable(zmq_msg_t *f, char *out, size_t size)
{
    size_t n = zmq_msg_size(f), o = 0;
    const unsigned char *d = zmq_msg_data(f);
    for (size_t i = 0; i < n && o + 5 <= size; i++) {
        unsigned char c = d[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     (c && strchr("_.:-/", c));
        if (plain)
            out[o++] = (char) c;
        else
            o += (size_t) snprintf(out + o, size - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

/* Frame i as text cut to size, with every byte that is not part of
 * well-formed UTF-8, and every control character, made '?': a partner's
 * words are stored and logged, and PostgreSQL takes UTF-8 only. */
static const char *s_clean_text(s_msg_t *m, size_t i, char *buf, size_t size)
{
    s_text(m, i, buf, size);
    size_t n = strlen(buf);
    for (size_t k = 0; k < n;) {
        unsigned char c = (unsigned char) buf[k];
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        char one[5] = {0};
        if (len && k + len <= n) {
            memcpy(one, buf + k, len);
            if (zw_validate_text_chars(one) == 1) {
                k += len;
                continue;
            }
        }
        buf[k++] = '?';
    }
    return buf;
}

static bool s_is(s_msg_t *m, size_t i, const char *text)
{
    return i < m->n && zmq_msg_size(&m->parts[i]) == strlen(text) &&
           memcmp(zmq_msg_data(&m->parts[i]), text, strlen(text)) == 0;
}

/* A reply on the ROUTER: routing id, proto, then the given frames. */
static void s_answer(zw_xregion_link_t *self, zmq_msg_t *rid, const char *const *frames, size_t n)
{
    const void *data[8];
    size_t lens[8];
    data[0] = zmq_msg_data(rid);
    lens[0] = zmq_msg_size(rid);
    data[1] = ZW_XREGION_LINK_PROTO;
    lens[1] = strlen(ZW_XREGION_LINK_PROTO);
    for (size_t i = 0; i < n && i < 6; i++) {
        data[2 + i] = frames[i];
        lens[2 + i] = strlen(frames[i]);
    }
    s_send(self->router, data, lens, 2 + (n < 6 ? n : 6));
}

/* The message log keeps a message refused before it could be applied. */
static void s_refuse_logged(zw_xregion_link_t *self, const s_peer_t *peer, const char *shown_id,
                            zmq_msg_t *type, zmq_msg_t *body, const char *why)
{
    char t[330], outcome[300];
    s_printable(type, t, sizeof t);
    snprintf(outcome, sizeof outcome, "refused: %s", why);
    int64_t now;
    zw_err_t err;
    if (zw_xregion_now(self->ctx, &now, &err) != 0 ||
        zw_xregion_store_log(self->ctx->db, true, peer->region, peer->public_key, shown_id, t,
                             zmq_msg_data(body), zmq_msg_size(body), now, outcome, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "message log not written", "reason", err.message, NULL);
    zw_logkv(ZW_LOG_WARN, "partner message refused", "region", peer->region, "message_id", shown_id,
             "reason", why, NULL);
}

static void s_on_router(zw_xregion_link_t *self)
{
    s_msg_t m;
    while (s_recv(self->router, &m) == 0) {
        /* routing id, proto, command, ... */
        const char *user = m.n >= 2 ? zmq_msg_gets(&m.parts[1], "User-Id") : NULL;
        const zw_auth_entry_t *who = user ? zw_auth_registry_find_name(self->registry, user) : NULL;
        s_peer_t *peer = who ? s_peer(self, who->region) : NULL;
        if (!peer || !peer->enabled || m.more_than_8 || !s_is(&m, 1, ZW_XREGION_LINK_PROTO)) {
            s_msg_close(&m);
            continue;
        }
        peer->heard_ms = zw_mono_ms();
        if (s_is(&m, 2, "PING") && m.n == 3) {
            const char *f[] = {"PONG"};
            s_answer(self, &m.parts[0], f, 1);
        } else if (s_is(&m, 2, "MSG") && m.n == 6) {
            char mid[161], type[129];
            s_text(&m, 3, mid, sizeof mid);
            s_text(&m, 4, type, sizeof type);
            bool dup = false;
            zw_err_t err;
            const char *bad = s_token_ok(&m.parts[3], 160, "/")
                                  ? NULL
                                  : "message_id: 1-160 of A-Z a-z 0-9 _ . : - /";
            if (!bad && !s_token_ok(&m.parts[4], 128, ""))
                bad = "type: a message type name, e.g. zwfw.v1.XrForward";
            if (bad) {
                /* refused and logged under a printable form of what came */
                char shown[330];
                s_printable(&m.parts[3], shown, sizeof shown);
                s_refuse_logged(self, peer, shown, &m.parts[4], &m.parts[5], bad);
                const char *f[] = {"NAK", shown, "3", bad};
                s_answer(self, &m.parts[0], f, 4);
            } else if (zw_xregion_apply(self->ctx, peer->region, peer->public_key, mid, type,
                                        zmq_msg_data(&m.parts[5]), zmq_msg_size(&m.parts[5]), &dup,
                                        &err) == 0) {
                const char *f[] = {"ACK", mid};
                s_answer(self, &m.parts[0], f, 2);
                zw_xregion_link_poke(); /* it may owe a status now */
            } else if (err.code != ZW_UNAVAILABLE && err.code != ZW_INTERNAL) {
                char code[16];
                snprintf(code, sizeof code, "%d", (int) err.code);
                const char *f[] = {"NAK", mid, code, err.message};
                s_answer(self, &m.parts[0], f, 4);
                zw_logkv(ZW_LOG_WARN, "partner message refused", "region", peer->region,
                         "message_id", mid, "reason", err.message, NULL);
            } else {
                zw_logkv(ZW_LOG_WARN, "partner message not committed; it will come again", "region",
                         peer->region, "reason", err.message, NULL);
            }
        }
        s_msg_close(&m);
    }
}

static void s_on_dealer(zw_xregion_link_t *self, s_peer_t *p)
{
    s_msg_t m;
    while (p->dealer && s_recv(p->dealer, &m) == 0) {
        if (m.more_than_8 || !s_is(&m, 0, ZW_XREGION_LINK_PROTO)) {
            s_msg_close(&m);
            continue;
        }
        p->heard_ms = p->dealer_ms = zw_mono_ms();
        bool ack = s_is(&m, 1, "ACK") && m.n == 3, nak = s_is(&m, 1, "NAK") && m.n == 5;
        if (ack || nak) {
            char mid[161], code[16], text[512];
            s_text(&m, 2, mid, sizeof mid);
            s_text(&m, 3, code, sizeof code);
            s_clean_text(&m, 4, text, sizeof text);
            zw_err_t err;
            int c = atoi(code);
            if (nak && (c <= 0 || c > 16))
                c = ZW_INTERNAL;
            if (zw_xregion_acked(self->ctx, p->region, p->public_key, mid, nak, c, text, &err) != 0)
                zw_logkv(ZW_LOG_WARN, "acknowledgement not recorded", "region", p->region, "reason",
                         err.message, NULL);
            else if (nak)
                zw_logkv(ZW_LOG_WARN, "partner refused a message", "region", p->region,
                         "message_id", mid, "reason", text, NULL);
            for (size_t i = 0; i < p->n_flights; i++)
                if (strcmp(p->flights[i].message_id, mid) == 0)
                    p->flights[i].next_ms = 0;
            self->next_send_ms = 0; /* the window moved */
        }
        s_msg_close(&m);
    }
}

/* Answered messages past keep_days: their sealed bodies go. */
static void s_prune(zw_xregion_link_t *self)
{
    int64_t now_us;
    zw_err_t err;
    if (zw_xregion_now(self->ctx, &now_us, &err) != 0)
        return;
    char before[24];
    int64_t keep_us = (int64_t) self->cfg.keep_days * 86400 * 1000000;
    snprintf(before, sizeof before, "%" PRId64, now_us - keep_us);
    const char *p[] = {before};
    PGresult *res = zw_db_exec(self->ctx->db, "xr_outbound_prune", 1, p, &err);
    if (!res) {
        zw_logkv(ZW_LOG_WARN, "answered messages not pruned", "reason", err.message, NULL);
        return;
    }
    const char *n = PQcmdTuples(res);
    if (n && strcmp(n, "0") != 0)
        zw_logkv(ZW_LOG_INFO, "answered messages pruned", "rows", n, NULL);
    PQclear(res);
}

void zw_xregion_link_run(zw_xregion_link_t *self, int timeout_ms)
{
    int64_t now = zw_mono_ms();
    if (now >= self->next_prune_ms && self->cfg.keep_days > 0) {
        s_prune(self);
        self->next_prune_ms = now + 3600 * 1000;
    }
    if (atomic_exchange(&s_poked, false)) {
        self->next_partners_ms = 0;
        self->next_send_ms = 0;
    }
    if (now >= self->next_partners_ms) {
        s_partners(self);
        self->next_partners_ms = now + self->cfg.partners_poll_ms;
    }
    if (!self->zctx) {
        zmq_poll(NULL, 0, timeout_ms);
        return;
    }
    if (now >= self->next_send_ms) {
        s_send_due(self, now);
        int64_t tick = self->cfg.heartbeat_ms < 200 ? self->cfg.heartbeat_ms : 200;
        self->next_send_ms = now + tick;
    }
    zmq_pollitem_t items[2 + S_MAX_PEERS];
    size_t n = 0, first_peer;
    items[n++] = (zmq_pollitem_t){zw_auth_zap_socket(self->zap), 0, ZMQ_POLLIN, 0};
    items[n++] = (zmq_pollitem_t){self->router, 0, ZMQ_POLLIN, 0};
    first_peer = n;
    s_peer_t *owners[S_MAX_PEERS];
    for (size_t i = 0; i < self->n_peers; i++)
        if (self->peers[i].dealer) {
            owners[n - first_peer] = &self->peers[i];
            items[n++] = (zmq_pollitem_t){self->peers[i].dealer, 0, ZMQ_POLLIN, 0};
        }
    int64_t wait = self->next_send_ms - now;
    if (wait > timeout_ms)
        wait = timeout_ms;
    if (wait < 0)
        wait = 0;
    if (zmq_poll(items, (int) n, (long) wait) > 0) {
        if (items[0].revents & ZMQ_POLLIN)
            zw_auth_zap_handle(self->zap);
        if (items[1].revents & ZMQ_POLLIN)
            s_on_router(self);
        for (size_t i = first_peer; i < n; i++)
            if (items[i].revents & ZMQ_POLLIN)
                s_on_dealer(self, owners[i - first_peer]);
    }
    s_publish_view(self);
}
