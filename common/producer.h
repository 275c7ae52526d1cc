/* zw_producer: the event side of a producing daemon (DESIGN.md "Events"):
 * its ZeroMQ context, the ZAP handler bound before any CURVE socket binds,
 * the event PUB socket, and the relay on its own connection (a batch
 * transaction must never interleave with the loop's other work).
 *
 * A value the daemon's main thread keeps; its fields are for the daemon to
 * use (workers, SUB sockets and links are made on zctx; the loop turns
 * relay and polls auth), not to free. */
#ifndef ZW_PRODUCER_H
#define ZW_PRODUCER_H

#include "auth.h"
#include "consumer.h"
#include "daemon.h"
#include "db.h"
#include "error.h"
#include "relay.h"
#include "sweep_timer.h"

typedef struct {
    void *zctx;
    zw_auth_t *auth;   /* CURVE when a key registry is configured, else plain */
    void *pub;         /* NULL without a pub_endpoint */
    zw_db_t *relay_db; /* the relay's own connection */
    zw_relay_t *relay;
} zw_producer_t;

/* Zeroes *p, then makes the context, the ZAP handler (admitting the keys
 * of key_registry_file with the daemon's pair secret_key_file; plain when
 * key_registry_file is "") and the PUB socket bound at pub_endpoint ("":
 * none). 0; -1 with *err ("zmq_ctx_new failed" when p->zctx is NULL). What
 * was made stays in p for zw_producer_close. */
int zw_producer_open(zw_producer_t *p, const char *secret_key_file, const char *key_registry_file,
                     const char *pub_endpoint, zw_err_t *err);

/* The relay of daemon `producer`'s one stream, moving `batch` outbox rows
 * per transaction on its own connection to conninfo and publishing on
 * p->pub, and trimming the stream by the daemon's event_retention_days
 * (ZW_RELAY_RETENTION_DAEMON: zw_daemon_load and zw_daemon_reload keep it
 * current). 0; -1 with *err ("out of memory" when no connection could be
 * made). */
int zw_producer_relay(zw_producer_t *p, const char *conninfo, const char *producer,
                      const char *stream, int batch, zw_err_t *err);

/* One last relay pass, for what stopped workers committed. Accepts a p
 * without a relay. */
void zw_producer_flush(zw_producer_t *p);

/* Destroys the relay, closes the PUB socket, the ZAP handler and the
 * relay's connection, then terminates the context: every other socket on
 * p->zctx (workers, SUB, links) must be closed first. Accepts a p never
 * opened (all zero); zeroes it. */
void zw_producer_close(zw_producer_t *p);

/* What a producing daemon's loop runs besides the relay. */
typedef struct {
    const zw_daemon_t *d; /* SIGHUP: zw_daemon_reload(d, ..., auth) */
    /* Reads and checks the daemon's settings from the fresh config, and
     * applies its own reloadable ones if any (may be NULL: nothing to
     * check). The sweep's intervals are then taken from the config's
     * sweep_ms and clock_poll_ms, which a daemon with a sweep must have. */
    zw_daemon_apply_fn *apply;
    void *arg;         /* given to apply and on_sweep */
    zw_db_t *audit_db; /* the loop's own connection: the audit chainer */
    int relay_busy_ms, relay_idle_ms;
    zw_sweep_timer_t *sweep; /* NULL: no sweep */
    void (*on_sweep)(void *arg, int64_t now_us);
    zw_consumer_t *consumer; /* another daemon's events; NULL: none */
} zw_producer_loop_t;

/* The daemon's one loop (STYLE.md), until SIGTERM or SIGINT: the reload
 * on SIGHUP, the relay turn (zw_relay_turn: retention and the audit
 * chainer with it), the
 * consumer's tick (WARN "consumer tick failed"), the sweep when due (and
 * the relay at once after it: the sweep may have written events), then a
 * wait until the next deadline on the ZAP and consumer sockets (WARN
 * "consumer apply failed"). */
void zw_producer_run(zw_producer_t *p, const zw_producer_loop_t *l);

#endif
