/* What store.c and store_query.c share: statement tables and text
 * parameters. */
#ifndef ZW_WF_STORE_INTERNAL_H
#define ZW_WF_STORE_INTERNAL_H

#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name, *sql;
    int nparams;
} zw_wf_stmt_t;

/* store_query.c's statements (zw_wf_store_prepare registers them too). */
int zw_wf_store_query_prepare(zw_db_t *db, zw_err_t *err);

/* Up to 24 numbers as text parameters of one statement. */
typedef struct {
    char b[24][32];
    int n;
} zw_wf_nums_t;

/* Text of v in a fresh slot of nums; NULL for ZW_WF_NONE (SQL NULL). */
static inline const char *zw_wf_num(zw_wf_nums_t *nums, int64_t v)
{
    if (v == ZW_WF_NONE)
        return NULL;
    char *slot = nums->b[nums->n++ % 24];
    snprintf(slot, 32, "%" PRId64, v);
    return slot;
}

static inline const char *zw_wf_bool(bool v)
{
    return v ? "true" : "false";
}

static inline bool zw_wf_col_bool(const PGresult *res, int row, int col)
{
    return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

#endif
