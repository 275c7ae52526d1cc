/* zwfw.xregion's reads (read.c): partners, exchanges and the message log,
 * and the checks that service.c's changes share with them. Internal to
 * zwfw-xregion. */
#ifndef ZW_XREGION_READ_H
#define ZW_XREGION_READ_H

#include "xregion.h"

#include <stdbool.h>

/* Answers req and returns true when its type is one of the reads; returns
 * false, the reply untouched, for any other type. */
bool zw_xregion_read(zw_xregion_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

/* p's queued and refused counts, from the store (the link's own view
 * counts nothing). */
int zw_xregion_partner_counts(zw_db_t *db, Zwfw__V1__Partner *p, zw_err_t *err);

/* 0 when caller c may see exchange `id`: an integrator sees only what it
 * forwarded itself (PERMISSION_DENIED "exchange_id" otherwise), every
 * other role that reached here everything. */
int zw_xregion_may_see(zw_db_t *db, const Zwfw__V1__Caller *c, const char *id, zw_err_t *err);

#endif
