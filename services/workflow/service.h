/* What service.c and service_read.c share (zwfw.workflow requests). */
#ifndef ZW_WF_SERVICE_H
#define ZW_WF_SERVICE_H

#include "wf.h"

#include <stdbool.h>
#include <stdint.h>

/* Business time now from the thread's clock. */
int zw_wf_svc_now(zw_wf_ctx_t *ctx, int64_t *now_us, zw_err_t *err);

/* UNAUTHENTICATED unless the request carries a caller of a known role. */
int zw_wf_svc_caller(const zw_request_t *req, zw_err_t *err);

/* A proto limit as the engine's (amount 0: none; unit defaults to days). */
zw_wf_limit_t zw_wf_svc_limit(const Zwfw__V1__TimeLimit *l);

/* Microseconds of a Timestamp; ZW_WF_NONE when unset. */
int64_t zw_wf_svc_us(const Zwfw__V1__Timestamp *ts);

/* Whether the caller may read the instance: supervisor and system all;
 * approver and head when their department has a track in it; window its
 * region's. PERMISSION_DENIED in *err otherwise. */
bool zw_wf_svc_may_read(const Zwfw__V1__Caller *caller, const zw_wf_instance_t *inst,
                        zw_err_t *err);

/* INVALID_ARGUMENT "idempotency_key" unless key is 1-200 bytes. */
int zw_wf_svc_check_key(const char *key, zw_err_t *err);

/* The idempotency check inside a transaction, for the caller of req and
 * key: *replay (malloc'd, caller frees) holds the first reply when the key
 * answered this very request (same type, same digest of its bytes) before;
 * NULL when the key is new; ALREADY_EXISTS "idempotency_key" when it
 * answered another request. */
int zw_wf_svc_replay(zw_db_t *db, const zw_request_t *req, const char *key, const char *digest,
                     uint8_t **replay, size_t *len, zw_err_t *err);

/* service_read.c */
void zw_wf_svc_scan(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_wf_svc_alarms(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_wf_svc_put_definition(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_wf_svc_validate_definition(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_wf_svc_get_definition(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);
void zw_wf_svc_list_definitions(zw_wf_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply);

#endif
