/* The overdue sweep of rectification cases (sweeper.c). */
#ifndef ZW_RATING_SWEEPER_H
#define ZW_RATING_SWEEPER_H

#include "rating.h"

/* Raises CaseOverdue for up to 100 cases open past their due date on the
 * business date of now_us, each once; *raised gets how many (a full 100:
 * call again). One transaction. */
int zw_rating_sweep(zw_rating_ctx_t *ctx, int64_t now_us, size_t *raised, zw_err_t *err);

#endif
