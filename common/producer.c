#include "producer.h"

#include "log.h"

#include <stdint.h>
#include <string.h>
#include <zmq.h>

int zw_producer_open(zw_producer_t *p, const char *secret_key_file, const char *key_registry_file,
                     const char *pub_endpoint, zw_err_t *err)
{
    memset(p, 0, sizeof *p);
    if (!(p->zctx = zmq_ctx_new()))
        return zw_err_set(err, ZW_INTERNAL, "zmq_ctx_new failed");
    /* The ZAP handler binds before the PUB socket: without it libzmq would
     * admit every CURVE key. */
    p->auth =
        zw_auth_new(p->zctx, *key_registry_file ? secret_key_file : "", key_registry_file, err);
    if (!p->auth ||
        (*pub_endpoint && !(p->pub = zw_auth_bind_pub(p->auth, p->zctx, pub_endpoint, err))))
        return -1;
    return 0;
}

int zw_producer_relay(zw_producer_t *p, const char *conninfo, const char *producer,
                      const char *stream, int batch, zw_err_t *err)
{
    if (!(p->relay_db = zw_db_new(conninfo)))
        return zw_err_set(err, ZW_INTERNAL, "out of memory");
    const char *streams[] = {stream};
    zw_relay_config_t rcfg = {.producer = producer,
                              .streams = streams,
                              .n_streams = 1,
                              .pub = p->pub,
                              .batch = batch,
                              .retention_days = ZW_RELAY_RETENTION_DAEMON};
    return (p->relay = zw_relay_new(p->relay_db, &rcfg, err)) ? 0 : -1;
}

void zw_producer_flush(zw_producer_t *p)
{
    if (p->relay)
        zw_relay_run_once(p->relay, NULL, NULL);
}

void zw_producer_close(zw_producer_t *p)
{
    zw_relay_destroy(&p->relay);
    if (p->pub)
        zmq_close(p->pub);
    zw_auth_destroy(&p->auth);
    zw_db_destroy(&p->relay_db);
    if (p->zctx)
        zmq_ctx_term(p->zctx);
    memset(p, 0, sizeof *p);
}

static int s_apply(const zw_config_t *cfg, void *arg, zw_err_t *err)
{
    const zw_producer_loop_t *l = arg;
    if (l->apply && l->apply(cfg, l->arg, err) != 0)
        return -1;
    if (l->sweep)
        zw_sweep_timer_set(l->sweep, (int) zw_config_int(cfg, "sweep_ms"),
                           (int) zw_config_int(cfg, "clock_poll_ms"), zw_mono_ms());
    return 0;
}

void zw_producer_run(zw_producer_t *p, const zw_producer_loop_t *l)
{
    int64_t next_relay = 0, next_cons = l->consumer ? 0 : INT64_MAX;
    zw_err_t err;
    while (!zw_daemon_stopping()) {
        if (zw_daemon_take_reload())
            zw_daemon_reload(l->d, s_apply, (void *) l, p->auth);
        int64_t mono = zw_mono_ms();
        if (mono >= next_relay)
            next_relay =
                zw_relay_turn(p->relay, l->audit_db, mono, l->relay_busy_ms, l->relay_idle_ms);
        if (mono >= next_cons && zw_consumer_tick(l->consumer, mono, &next_cons, &err) != 0)
            zw_logkv(ZW_LOG_WARN, "consumer tick failed", "reason", err.message, NULL);
        int64_t now_us, next = next_relay;
        if (l->sweep && zw_sweep_timer_due(l->sweep, mono, &now_us)) {
            l->on_sweep(l->arg, now_us);
            next = next_relay = mono;
        }
        if (next_cons < next)
            next = next_cons;
        if (l->sweep && zw_sweep_timer_next(l->sweep) < next)
            next = zw_sweep_timer_next(l->sweep);
        long timeout = (long) (next - zw_mono_ms());
        void *sub = l->consumer ? zw_consumer_socket(l->consumer) : NULL;
        if (zw_daemon_poll(p->auth, sub, timeout < 0 ? 0 : timeout)) {
            if (zw_consumer_on_readable(l->consumer, &err) != 0)
                zw_logkv(ZW_LOG_WARN, "consumer apply failed", "reason", err.message, NULL);
            next_cons = 0;
        }
    }
}
