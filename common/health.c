#include "health.h"

#include "events.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_once_t s_once = PTHREAD_ONCE_INIT;
static struct timespec s_start;

static void s_record_start(void)
{
    clock_gettime(CLOCK_MONOTONIC, &s_start);
}

void zw_health_mark_start(void)
{
    pthread_once(&s_once, s_record_start);
}

int64_t zw_health_uptime_seconds(void)
{
    /* Before any mark there is no start to measure from: the once-routine
     * would otherwise record "now" and report 0, which is the same answer. */
    zw_health_mark_start();
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t secs = (int64_t) (now.tv_sec - s_start.tv_sec);
    if (now.tv_nsec < s_start.tv_nsec)
        secs--;
    return secs < 0 ? 0 : secs;
}

char *zw_health_instance(char *out, size_t outsz)
{
    if (outsz == 0)
        return out;
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    snprintf(out, outsz, "%s:%ld", host, (long) getpid());
    return out;
}

zw_db_t *zw_health_db_first(void *ctx)
{
    return *(zw_db_t **) ctx;
}

/* The consumer's events not applied plus the stream's not relayed; -1
 * when the store cannot say. */
static int64_t s_lag(const zw_health_probe_t *probe, void *ctx)
{
    zw_db_t *db = probe->db_of(ctx);
    int64_t lag = 0, pending = 0;
    bool alarm = false;
    if ((probe->consumer && zw_events_consumer_lag(db, probe->consumer, &lag, &alarm, NULL) != 0) ||
        (probe->stream && zw_events_outbox_pending(db, probe->stream, &pending, NULL) != 0))
        return -1;
    return lag + pending;
}

void zw_health_fill(Zwfw__V1__HealthReply *reply, const char *service,
                    const zw_health_probe_t *probe, void *ctx, char *instance_buf)
{
    reply->service = (char *) (service ? service : "");
    reply->version = (char *) ZWFW_VERSION;
    reply->uptime_seconds = zw_health_uptime_seconds();
    reply->database_reachable = probe && probe->db_reachable ? probe->db_reachable(ctx)
                                : probe && probe->db_of      ? zw_db_ping(probe->db_of(ctx))
                                                             : false;
    bool own = probe && !probe->event_lag && probe->db_of && (probe->stream || probe->consumer);
    if (probe && (probe->event_lag || own)) {
        int64_t lag = probe->event_lag ? probe->event_lag(ctx) : s_lag(probe, ctx);
        reply->has_events = true;
        reply->event_lag = lag < 0 ? -1 : lag;
    } else {
        reply->has_events = false;
        reply->event_lag = 0;
    }
    reply->instance = zw_health_instance(instance_buf, ZW_HEALTH_INSTANCE_LEN);
}
