/* Frequent VACUUM of queue tables (db.h, "queue tables"). */
#include "db_internal.h"
#include "log.h"

#include <stdio.h>
#include <string.h>

void zw_db_drained(zw_db_t *self, const char *table, size_t deleted)
{
    if (!self || !table || deleted == 0 || strlen(table) >= sizeof self->drained[0].table)
        return;
    size_t n = sizeof self->drained / sizeof self->drained[0], i = 0;
    while (i < n && self->drained[i].table[0] && strcmp(self->drained[i].table, table) != 0)
        i++;
    if (i == n)
        return; /* more queue tables than this counts: autovacuum's alone */
    if (!self->drained[i].table[0])
        snprintf(self->drained[i].table, sizeof self->drained[i].table, "%s", table);
    self->drained[i].deleted += deleted;
    if (self->drained[i].deleted < ZW_DB_VACUUM_EVERY || self->in_tx || self->defer.on ||
        self->defer.begin_pending)
        return;
    self->drained[i].deleted = 0;
    char sql[128];
    snprintf(sql, sizeof sql, "VACUUM (SKIP_LOCKED, TRUNCATE false, INDEX_CLEANUP ON) %s", table);
    zw_err_t err;
    if (zw_db_run(self, sql, &err) != 0)
        zw_logkv(ZW_LOG_WARN, "cannot vacuum a queue table", "table", table, "reason", err.message,
                 NULL);
}
