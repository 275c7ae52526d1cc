#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_TEXT_MAX 200

static const char *s_append_sql =
    "INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload)"
    " VALUES ($1, $2, $3, $4::bigint, $5::bytea)";
/* many events of one transaction in one statement, in the order queued */
static const char *s_append_rows_sql =
    "INSERT INTO events.outbox (stream, type, aggregate_id, occurred_at_us, payload)"
    " SELECT $1, $2, $3, $4::bigint, $5::bytea FROM $rows ORDER BY zw_r.zw_i";

/* bytea's hex input form, "\x0a1b...", so the payload can travel as a text
 * parameter through zw_db_exec. */
static char *s_bytea_hex(const void *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    char *out = malloc(2 * len + 3);
    if (!out)
        return NULL;
    out[0] = '\\';
    out[1] = 'x';
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        out[2 + 2 * i] = digits[p[i] >> 4];
        out[3 + 2 * i] = digits[p[i] & 15];
    }
    out[2 + 2 * len] = '\0';
    return out;
}

int zw_outbox_append(zw_db_t *db, const char *stream, const char *type, const char *aggregate_id,
                     int64_t occurred_at_us, const void *payload, size_t len, zw_err_t *err)
{
    if (!db)
        return zw_err_set(err, ZW_INVALID_ARGUMENT, "outbox: no database");
    if (zw_events_check_name("stream", stream, err) != 0)
        return -1;
    if (!type || !*type || strlen(type) > S_TEXT_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "type",
                           "event type must be a message type name of 1..%d bytes", S_TEXT_MAX);
    if (!aggregate_id)
        aggregate_id = "";
    if (strlen(aggregate_id) > S_TEXT_MAX)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "aggregate_id",
                           "aggregate id longer than %d bytes", S_TEXT_MAX);
    if (!payload && len > 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "payload", "payload is NULL");
    if (zw_db_prepare_rows(db, "zw_outbox_append", s_append_sql, 5, s_append_rows_sql, err) != 0)
        return -1;
    char *hex = s_bytea_hex(payload, len);
    if (!hex)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long) occurred_at_us);
    const char *params[] = {stream, type, aggregate_id, at, hex};
    int rc = zw_db_write(db, "zw_outbox_append", 5, params, err);
    free(hex);
    return rc;
}
