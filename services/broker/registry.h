/* zw_registry: the broker's state, with no I/O: services, their workers
 * and queued requests, and the three timer orders the broker needs.
 *
 * - services by name, workers by routing id (zw_bmap hash tables);
 * - per service: its idle workers, least recently used first, and its
 *   queued requests, oldest first;
 * - idle workers by the time they were last heard from (expiry), busy
 *   workers by the time they took their request, every worker by the time
 *   the broker last sent it something (heartbeats), and every queued
 *   request by its deadline.
 *
 * Every list is kept in time order by appending at "now", so each timer
 * question is answered by looking at a list head: O(1) per message and per
 * expired item, never a scan of all workers.
 *
 * Times are CLOCK_MONOTONIC milliseconds passed in by the caller. The
 * structs are plain and public so the engine reads their fields directly;
 * change them only through these functions. */
#ifndef ZW_REGISTRY_H
#define ZW_REGISTRY_H

#include "bmap.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

/* Longest service name or routing id kept (ZMTP caps routing ids at 255). */
#define ZW_REGISTRY_MAX_NAME 255

/* Intrusive circular list link; a node that is in no list points to itself. */
typedef struct zw_link {
    struct zw_link *prev, *next;
} zw_link_t;

typedef struct zw_registry_service zw_registry_service_t;

typedef struct {
    zw_registry_service_t *service;
    zw_link_t idle;  /* in service->idle while waiting for work */
    zw_link_t timer; /* in registry->idle_by_heard, or ->busy_by_start while busy */
    zw_link_t sent;  /* in registry->by_sent */
    int64_t heard_at, sent_at, busy_since;
    bool busy;
    uint8_t idlen, clientlen;
    uint8_t id[ZW_REGISTRY_MAX_NAME];
    uint8_t client[ZW_REGISTRY_MAX_NAME]; /* address of the request in flight */
} zw_registry_worker_t;

struct zw_registry_service {
    zw_link_t idle;  /* idle workers, least recently used first */
    zw_link_t queue; /* waiting requests, oldest first */
    size_t nworkers, nidle, nqueued;
    bool zwfw; /* name starts with "zwfw." */
    size_t namelen;
    char name[]; /* NUL-terminated copy */
};

typedef struct {
    zw_link_t in_service; /* in service->queue */
    zw_link_t in_all;     /* in registry->requests: every service, by deadline */
    zw_registry_service_t *service;
    int64_t deadline;
    size_t nframes;
    zmq_msg_t frames[]; /* [0] client routing id, [1..] body */
} zw_registry_request_t;

typedef struct {
    zw_bmap_t *services; /* name -> zw_registry_service_t */
    zw_bmap_t *workers;  /* routing id -> zw_registry_worker_t */
    zw_link_t idle_by_heard, busy_by_start, by_sent, requests;
} zw_registry_t;

/* NULL when out of memory. */
zw_registry_t *zw_registry_new(void);
/* Frees every worker, service and queued request (closing its frames).
 * Accepts NULL; NULLs *self_p. */
void zw_registry_destroy(zw_registry_t **self_p);

/* --- services --- */

/* NULL if there is no such service. */
zw_registry_service_t *zw_registry_service(const zw_registry_t *self, const void *name, size_t len);
/* Finds or creates the service; NULL when out of memory or len is 0 or
 * over ZW_REGISTRY_MAX_NAME. A new service lives until it has neither
 * workers nor requests and zw_registry_service_release is called. */
zw_registry_service_t *zw_registry_service_require(zw_registry_t *self, const void *name,
                                                   size_t len);
/* Frees svc if it has no worker and no queued request; otherwise nothing. */
void zw_registry_service_release(zw_registry_t *self, zw_registry_service_t *svc);

/* --- workers --- */

zw_registry_worker_t *zw_registry_worker(const zw_registry_t *self, const void *id, size_t len);
/* Registers a worker of svc, busy = false but not yet idle (call
 * zw_registry_worker_idle or hand it a request next). heard_at and sent_at
 * are now. NULL when out of memory, for a bad id length, or if the id is
 * already registered. */
zw_registry_worker_t *zw_registry_worker_add(zw_registry_t *self, const void *id, size_t idlen,
                                             zw_registry_service_t *svc, int64_t now);
/* Unregisters and frees w, and its service if that is left empty. */
void zw_registry_worker_delete(zw_registry_t *self, zw_registry_worker_t *w);

/* w has nothing to do: it goes to the tail of its service's idle list and
 * its silence is timed from now. */
void zw_registry_worker_idle(zw_registry_t *self, zw_registry_worker_t *w, int64_t now);
/* Takes the least recently used idle worker of svc off the idle list; NULL
 * if none is idle. The caller hands it a request or parks it again. */
zw_registry_worker_t *zw_registry_idle_pop(zw_registry_t *self, zw_registry_service_t *svc);
/* w took the request from `client` (its address is kept for the REPLY
 * check; clen is capped at ZW_REGISTRY_MAX_NAME). */
void zw_registry_worker_busy(zw_registry_t *self, zw_registry_worker_t *w, const void *client,
                             size_t clen, int64_t now);
/* A command came from w (every command counts as a heartbeat). */
void zw_registry_worker_heard(zw_registry_t *self, zw_registry_worker_t *w, int64_t now);
/* The broker sent w something. */
void zw_registry_worker_sent(zw_registry_t *self, zw_registry_worker_t *w, int64_t now);

/* --- requests --- */

/* Queues a request for svc, moving the client frame and the nbody body
 * frames into it (they are left empty). NULL when out of memory (nothing
 * moved). */
zw_registry_request_t *zw_registry_enqueue(zw_registry_t *self, zw_registry_service_t *svc,
                                           zmq_msg_t *client, zmq_msg_t *body, size_t nbody,
                                           int64_t deadline);
/* The oldest request queued for svc, or NULL. */
zw_registry_request_t *zw_registry_queue_head(const zw_registry_service_t *svc);
/* Unqueues and frees req (closing its frames). Does not release the
 * service: call zw_registry_service_release when done with it. */
void zw_registry_request_free(zw_registry_t *self, zw_registry_request_t *req);

/* --- timers: each returns the first item due at `now`, or NULL and lowers
 * *next (if it is later than now) to when the next one falls due. --- */

/* A queued request whose deadline has passed. */
zw_registry_request_t *zw_registry_request_due(const zw_registry_t *self, int64_t now,
                                               int64_t *next);
/* An idle worker not heard from for `expiry` ms. */
zw_registry_worker_t *zw_registry_silent_due(const zw_registry_t *self, int64_t now, int64_t expiry,
                                             int64_t *next);
/* A busy worker that has held its request for `limit` ms (limit <= 0: never). */
zw_registry_worker_t *zw_registry_busy_due(const zw_registry_t *self, int64_t now, int64_t limit,
                                           int64_t *next);
/* A worker the broker has sent nothing to for `interval` ms. */
zw_registry_worker_t *zw_registry_heartbeat_due(const zw_registry_t *self, int64_t now,
                                                int64_t interval, int64_t *next);

#endif
