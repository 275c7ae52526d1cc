/* zw_health: the answer every zwfw worker gives to zwfw.v1.HealthRequest.
 *
 * The worker library (mdp_worker.h) answers HealthRequest itself on every
 * zwfw.* service through zw_health_fill; a daemon only supplies the probes
 * below, which run on the worker thread that took the request, with that
 * thread's own context (e.g. its own database connection). */
#ifndef ZW_HEALTH_H
#define ZW_HEALTH_H

#include "db.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for "host:pid" with the longest host name. */
#define ZW_HEALTH_INSTANCE_LEN 300

typedef struct {
    /* True when ctx's database answers now (e.g. a cheap query). NULL: the
     * daemon has no database, reported as database_reachable = false. */
    bool (*db_reachable)(void *ctx);
    /* Events ctx's daemon is behind the head of its streams; negative when
     * it cannot tell (e.g. database down), reported as -1. NULL: the daemon
     * neither produces nor consumes events (has_events = false). */
    int64_t (*event_lag)(void *ctx);
    /* Or, for a callback left NULL, what every zwfw daemon reports: ctx's
     * database connection (db_of) answers a ping; the lag is the events
     * of `consumer` (its name; NULL: it follows none) not applied yet,
     * plus those of `stream` (its own; NULL: none) not relayed yet. */
    zw_db_t *(*db_of)(void *ctx);
    const char *stream;
    const char *consumer;
} zw_health_probe_t;

/* db_of for thread contexts whose first member is their zw_db_t *, as
 * every zwfw daemon's is. */
zw_db_t *zw_health_db_first(void *ctx);

/* Records now as the moment the daemon started. Called by the worker
 * library when a worker starts; only the first call counts. Thread-safe. */
void zw_health_mark_start(void);

/* Whole seconds since the first zw_health_mark_start (0 before it),
 * measured with CLOCK_MONOTONIC. */
int64_t zw_health_uptime_seconds(void);

/* Writes "host:pid" of this process into out (at most outsz - 1 bytes) and
 * returns out. */
char *zw_health_instance(char *out, size_t outsz);

/* Fills *reply (already initialized with ZWFW__V1__HEALTH_REPLY__INIT) for
 * `service`: version ZWFW_VERSION, uptime, the probes' answers (probe may be
 * NULL), and the instance, written into instance_buf (at least
 * ZW_HEALTH_INSTANCE_LEN bytes). The reply points at service, at the static
 * version and at instance_buf, which must outlive it; nothing is allocated,
 * so the reply needs no freeing. */
void zw_health_fill(Zwfw__V1__HealthReply *reply, const char *service,
                    const zw_health_probe_t *probe, void *ctx, char *instance_buf);

#endif
