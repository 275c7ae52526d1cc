#include "registry.h"

#include "mdp.h"

#include <stdlib.h>
#include <string.h>

#define S_OF(ptr, type, member) ((type *) ((char *) (ptr) -offsetof(type, member)))

static void s_init(zw_link_t *n)
{
    n->prev = n->next = n;
}

static bool s_empty(const zw_link_t *head)
{
    return head->next == head;
}

static void s_unlink(zw_link_t *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->prev = n->next = n;
}

/* Appends at the tail; n may be in another list (it is moved). */
static void s_push(zw_link_t *head, zw_link_t *n)
{
    s_unlink(n);
    n->prev = head->prev;
    n->next = head;
    head->prev->next = n;
    head->prev = n;
}

zw_registry_t *zw_registry_new(void)
{
    zw_registry_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->services = zw_bmap_new();
    self->workers = zw_bmap_new();
    if (!self->services || !self->workers) {
        zw_registry_destroy(&self);
        return NULL;
    }
    s_init(&self->idle_by_heard);
    s_init(&self->busy_by_start);
    s_init(&self->by_sent);
    s_init(&self->requests);
    return self;
}

void zw_registry_destroy(zw_registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_registry_t *self = *self_p;
    if (self->services && self->workers) {
        while (!s_empty(&self->requests))
            zw_registry_request_free(self,
                                     S_OF(self->requests.next, zw_registry_request_t, in_all));
        while (!s_empty(&self->by_sent))
            zw_registry_worker_delete(self, S_OF(self->by_sent.next, zw_registry_worker_t, sent));
        /* Whatever is left has no workers and no requests. The map reads
         * only slot values while iterating, so freeing as we go is safe. */
        size_t pos = 0;
        zw_registry_service_t *svc;
        while ((svc = zw_bmap_next(self->services, &pos)) != NULL)
            free(svc);
    }
    zw_bmap_destroy(&self->services);
    zw_bmap_destroy(&self->workers);
    free(self);
    *self_p = NULL;
}

/* --- services --- */

zw_registry_service_t *zw_registry_service(const zw_registry_t *self, const void *name, size_t len)
{
    return zw_bmap_get(self->services, name, len);
}

zw_registry_service_t *zw_registry_service_require(zw_registry_t *self, const void *name,
                                                   size_t len)
{
    if (len == 0 || len > ZW_REGISTRY_MAX_NAME)
        return NULL;
    zw_registry_service_t *svc = zw_bmap_get(self->services, name, len);
    if (svc)
        return svc;
    svc = calloc(1, sizeof *svc + len + 1);
    if (!svc)
        return NULL;
    memcpy(svc->name, name, len);
    svc->namelen = len;
    svc->zwfw =
        len >= strlen(ZW_ZWFW_PREFIX) && memcmp(name, ZW_ZWFW_PREFIX, strlen(ZW_ZWFW_PREFIX)) == 0;
    s_init(&svc->idle);
    s_init(&svc->queue);
    if (zw_bmap_put(self->services, svc->name, len, svc) != 0) {
        free(svc);
        return NULL;
    }
    return svc;
}

void zw_registry_service_release(zw_registry_t *self, zw_registry_service_t *svc)
{
    if (!svc || svc->nworkers || svc->nqueued)
        return;
    zw_bmap_remove(self->services, svc->name, svc->namelen);
    free(svc);
}

/* --- workers --- */

zw_registry_worker_t *zw_registry_worker(const zw_registry_t *self, const void *id, size_t len)
{
    return zw_bmap_get(self->workers, id, len);
}

zw_registry_worker_t *zw_registry_worker_add(zw_registry_t *self, const void *id, size_t idlen,
                                             zw_registry_service_t *svc, int64_t now)
{
    if (idlen == 0 || idlen > ZW_REGISTRY_MAX_NAME || zw_bmap_get(self->workers, id, idlen))
        return NULL;
    zw_registry_worker_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    memcpy(w->id, id, idlen);
    w->idlen = (uint8_t) idlen;
    if (zw_bmap_put(self->workers, w->id, idlen, w) != 0) {
        free(w);
        return NULL;
    }
    w->service = svc;
    s_init(&w->idle);
    s_init(&w->timer);
    s_init(&w->sent);
    w->heard_at = w->sent_at = now;
    s_push(&self->by_sent, &w->sent);
    svc->nworkers++;
    return w;
}

void zw_registry_worker_delete(zw_registry_t *self, zw_registry_worker_t *w)
{
    zw_registry_service_t *svc = w->service;
    zw_bmap_remove(self->workers, w->id, w->idlen);
    if (!s_empty(&w->idle)) {
        s_unlink(&w->idle);
        svc->nidle--;
    }
    s_unlink(&w->timer);
    s_unlink(&w->sent);
    svc->nworkers--;
    free(w);
    zw_registry_service_release(self, svc);
}

void zw_registry_worker_idle(zw_registry_t *self, zw_registry_worker_t *w, int64_t now)
{
    zw_registry_service_t *svc = w->service;
    w->busy = false;
    w->heard_at = now;
    s_push(&self->idle_by_heard, &w->timer);
    if (s_empty(&w->idle))
        svc->nidle++;
    s_push(&svc->idle, &w->idle);
}

zw_registry_worker_t *zw_registry_idle_pop(zw_registry_t *self, zw_registry_service_t *svc)
{
    (void) self;
    if (s_empty(&svc->idle))
        return NULL;
    zw_registry_worker_t *w = S_OF(svc->idle.next, zw_registry_worker_t, idle);
    s_unlink(&w->idle);
    s_unlink(&w->timer);
    svc->nidle--;
    return w;
}

void zw_registry_worker_busy(zw_registry_t *self, zw_registry_worker_t *w, const void *client,
                             size_t clen, int64_t now)
{
    if (!s_empty(&w->idle)) {
        s_unlink(&w->idle);
        w->service->nidle--;
    }
    w->busy = true;
    w->busy_since = now;
    w->clientlen = (uint8_t) (clen > ZW_REGISTRY_MAX_NAME ? ZW_REGISTRY_MAX_NAME : clen);
    memcpy(w->client, client, w->clientlen);
    /* A busy worker may be silent (it is working): time how long it has
     * held the request instead of how long since it spoke. */
    s_push(&self->busy_by_start, &w->timer);
}

void zw_registry_worker_heard(zw_registry_t *self, zw_registry_worker_t *w, int64_t now)
{
    w->heard_at = now;
    if (!w->busy)
        s_push(&self->idle_by_heard, &w->timer);
}

void zw_registry_worker_sent(zw_registry_t *self, zw_registry_worker_t *w, int64_t now)
{
    w->sent_at = now;
    s_push(&self->by_sent, &w->sent);
}

/* --- requests --- */

zw_registry_request_t *zw_registry_enqueue(zw_registry_t *self, zw_registry_service_t *svc,
                                           zmq_msg_t *client, zmq_msg_t *body, size_t nbody,
                                           int64_t deadline)
{
    zw_registry_request_t *req = malloc(sizeof *req + (1 + nbody) * sizeof(zmq_msg_t));
    if (!req)
        return NULL;
    req->service = svc;
    req->deadline = deadline;
    req->nframes = 1 + nbody;
    zmq_msg_init(&req->frames[0]);
    zmq_msg_move(&req->frames[0], client);
    for (size_t i = 0; i < nbody; i++) {
        zmq_msg_init(&req->frames[1 + i]);
        zmq_msg_move(&req->frames[1 + i], &body[i]);
    }
    s_init(&req->in_service);
    s_init(&req->in_all);
    s_push(&svc->queue, &req->in_service);
    /* Deadlines are "now + a fixed wait", so appending keeps this sorted. */
    s_push(&self->requests, &req->in_all);
    svc->nqueued++;
    return req;
}

zw_registry_request_t *zw_registry_queue_head(const zw_registry_service_t *svc)
{
    return s_empty(&svc->queue) ? NULL : S_OF(svc->queue.next, zw_registry_request_t, in_service);
}

void zw_registry_request_free(zw_registry_t *self, zw_registry_request_t *req)
{
    (void) self;
    s_unlink(&req->in_service);
    s_unlink(&req->in_all);
    req->service->nqueued--;
    for (size_t i = 0; i < req->nframes; i++)
        zmq_msg_close(&req->frames[i]);
    free(req);
}

/* --- timers --- */

static bool s_due(int64_t at, int64_t now, int64_t *next)
{
    if (at <= now)
        return true;
    if (next && at < *next)
        *next = at;
    return false;
}

zw_registry_request_t *zw_registry_request_due(const zw_registry_t *self, int64_t now,
                                               int64_t *next)
{
    if (s_empty(&self->requests))
        return NULL;
    zw_registry_request_t *req = S_OF(self->requests.next, zw_registry_request_t, in_all);
    return s_due(req->deadline, now, next) ? req : NULL;
}

zw_registry_worker_t *zw_registry_silent_due(const zw_registry_t *self, int64_t now, int64_t expiry,
                                             int64_t *next)
{
    if (s_empty(&self->idle_by_heard))
        return NULL;
    zw_registry_worker_t *w = S_OF(self->idle_by_heard.next, zw_registry_worker_t, timer);
    return s_due(w->heard_at + expiry, now, next) ? w : NULL;
}

zw_registry_worker_t *zw_registry_busy_due(const zw_registry_t *self, int64_t now, int64_t limit,
                                           int64_t *next)
{
    if (limit <= 0 || s_empty(&self->busy_by_start))
        return NULL;
    zw_registry_worker_t *w = S_OF(self->busy_by_start.next, zw_registry_worker_t, timer);
    return s_due(w->busy_since + limit, now, next) ? w : NULL;
}

zw_registry_worker_t *zw_registry_heartbeat_due(const zw_registry_t *self, int64_t now,
                                                int64_t interval, int64_t *next)
{
    if (s_empty(&self->by_sent))
        return NULL;
    zw_registry_worker_t *w = S_OF(self->by_sent.next, zw_registry_worker_t, sent);
    return s_due(w->sent_at + interval, now, next) ? w : NULL;
}
