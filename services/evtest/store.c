/* zwfw-evtest's SQL: its own schema, and the consumer's effect. */
#include "evtest.h"

#include "clock.h"

#include <stdio.h>
#include <unistd.h>

static const char *s_schema =
    "CREATE SCHEMA IF NOT EXISTS evtest;"
    "CREATE TABLE IF NOT EXISTS evtest.domain ("
    "  id bigserial PRIMARY KEY, tag text NOT NULL, writer integer NOT NULL,"
    "  k integer NOT NULL);"
    "CREATE TABLE IF NOT EXISTS evtest.effect ("
    "  id bigserial PRIMARY KEY, consumer text NOT NULL, stream text NOT NULL,"
    "  seq bigint NOT NULL, event_id uuid NOT NULL, aggregate_id text NOT NULL,"
    "  occurred_us bigint NOT NULL, applied_us bigint NOT NULL, pid integer NOT NULL);";

static int s_setup_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    (void) arg;
    PGresult *res = zw_db_query(db, "SELECT pg_advisory_xact_lock(7469271099)", 0, NULL, err);
    if (!res)
        return -1;
    PQclear(res);
    return zw_db_run(db, s_schema, err);
}

int evtest_store_setup(zw_db_t *db, zw_err_t *err)
{
    return zw_db_tx(db, false, s_setup_tx, NULL, err);
}

static const char *s_effect_sql =
    "INSERT INTO evtest.effect (consumer, stream, seq, event_id, aggregate_id, occurred_us,"
    " applied_us, pid) VALUES ($8, $1, $2::bigint, $3::uuid, $4, $5::bigint, $6::bigint,"
    " $7::integer)";

int evtest_effect(zw_db_t *db, const zw_event_t *ev, void *arg, zw_err_t *err)
{
    evtest_effect_t *fx = arg;
    if (fx && fx->fail_times > 0 && ev->seq == fx->fail_seq && fx->failed < fx->fail_times) {
        fx->failed++;
        return zw_err_set(err, ZW_INTERNAL, "evtest: failing seq %lld on purpose (%d of %d)",
                          (long long) ev->seq, fx->failed, fx->fail_times);
    }
    if (zw_db_prepare(db, "evtest_effect", s_effect_sql, 8, err) != 0)
        return -1;
    char seq[24], occurred[24], applied[24], pid[16];
    snprintf(seq, sizeof seq, "%lld", (long long) ev->seq);
    snprintf(occurred, sizeof occurred, "%lld", (long long) ev->occurred_at_us);
    snprintf(applied, sizeof applied, "%lld", (long long) zw_wall_us());
    snprintf(pid, sizeof pid, "%d", (int) getpid());
    const char *params[] = {ev->stream, seq,     ev->event_id, ev->aggregate_id,
                            occurred,   applied, pid,          fx->consumer};
    PGresult *res = zw_db_exec(db, "evtest_effect", 8, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}
