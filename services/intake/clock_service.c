/* zwfw.clock: the deployment's business time. Anyone authenticated may read
 * it; only an operator moves it, only on a simulated deployment, and only
 * forward (common/clock.h). Moves carry an idempotency key like every
 * change, so a retried AdvanceClock advances once. */
#include "intake.h"

#include "audit.h"
#include "log.h"
#include "mdp_worker.h"
#include "wire_text.h"

#include <stdio.h>
#include <string.h>

#define S_ANY_ROLE 0x1feu /* every role 1..8 */
#define S_MAX_ADVANCE_S (INT64_C(10) * 366 * 86400)

static int s_reply_clock(zw_intake_ctx_t *ctx, int64_t now_us, zw_reply_t *reply)
{
    Zwfw__V1__ClockReply out = ZWFW__V1__CLOCK_REPLY__INIT;
    Zwfw__V1__Timestamp now;
    Zwfw__V1__Date today = ZWFW__V1__DATE__INIT;
    zw_date_t d;
    zw_err_t err;
    out.now = zw_intake_ts(&now, now_us);
    out.simulated = zw_clock_is_sim(ctx->clock);
    if (zw_moment_local(now_us / ZW_US_PER_SEC, &d, NULL, &err) == 0) {
        today.year = d.year;
        today.month = d.month;
        today.day = d.day;
        out.today = &today;
        bool workday = false;
        /* outside the loaded years the answer is unknown: false */
        if (zw_calendar_is_workday(ctx->calendar, d, &workday, NULL) == 0)
            out.workday = workday;
    }
    return zw_reply_message(reply, &out.base);
}

typedef struct {
    zw_intake_ctx_t *ctx;
    const zw_request_t *req;
    const char *key, *actor, *kind;
    char digest[2 * ZW_PII_HASH_BYTES + 3];
    int64_t to_us;             /* SetClock */
    int64_t seconds;           /* AdvanceClock */
    int workdays;              /* AdvanceClock */
    int64_t before_us, now_us; /* result */
} s_move_t;

static int s_target(s_move_t *m, int64_t cur, int64_t *to, zw_err_t *err)
{
    if (!strcmp(m->kind, "clock.set")) {
        *to = m->to_us;
        return 0;
    }
    if (m->seconds > 0) {
        *to = cur + m->seconds * ZW_US_PER_SEC;
        return 0;
    }
    /* the same time of day, N working days later */
    zw_date_t day, later;
    int minute;
    if (zw_moment_local(cur / ZW_US_PER_SEC, &day, &minute, err) != 0 ||
        zw_calendar_add_workdays(m->ctx->calendar, day, m->workdays, &later, err) != 0)
        return -1;
    int64_t into_day = cur - zw_moment_make(day, 0) * ZW_US_PER_SEC;
    *to = zw_moment_make(later, 0) * ZW_US_PER_SEC + into_day;
    return 0;
}

static int s_move_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    s_move_t *m = arg;
    const char *caller = m->req->caller->key_id;
    int64_t cur;
    if (zw_clock_now(m->ctx->clock, &cur, err) != 0) {
        /* a simulated clock never set: SetClock starts it */
        if (err && err->code == ZW_FAILED_PRECONDITION && !strcmp(m->kind, "clock.set"))
            cur = -1;
        else
            return -1;
    }
    bool claimed;
    if (zw_intake_store_claim(db, caller, m->key, m->kind, m->digest, cur < 0 ? 0 : cur, &claimed,
                              err) != 0)
        return -1;
    if (!claimed) {
        zw_intake_request_t r;
        if (zw_intake_store_request(db, caller, m->key, &r, err) != 0)
            return -1;
        int rc = 0;
        if (strcmp(r.kind, m->kind) != 0 || strcmp(r.digest, m->digest) != 0)
            rc = zw_err_setd(err, ZW_ALREADY_EXISTS, "idempotency_key",
                             "idempotency key %s was already used for another request", m->key);
        m->now_us = r.result_us;
        zw_intake_request_free(&r);
        return rc;
    }
    int64_t to;
    zw_date_t to_day;
    bool workday;
    /* Business time the calendar does not cover stops every due-date
     * computation (and workflow's consumer on the first accepted
     * application), and the clock cannot move back: refuse it here. */
    if (s_target(m, cur, &to, err) != 0 ||
        zw_moment_local(to / ZW_US_PER_SEC, &to_day, NULL, err) != 0 ||
        zw_calendar_is_workday(m->ctx->calendar, to_day, &workday, err) != 0 ||
        zw_clock_set(m->ctx->clock, to, &m->now_us, err) != 0)
        return -1;
    m->before_us = cur;
    const char *role = zw_access_role_name(m->req->caller->role);
    char before[40], after[40];
    zw_time_format(cur < 0 ? 0 : cur, before, sizeof before);
    zw_time_format(m->now_us, after, sizeof after);
    zw_audit_entry_t e = {.at_us = m->now_us,
                          .actor = m->actor,
                          .caller_key_id = caller,
                          .caller_role = role ? role : "",
                          .action = m->kind,
                          .object_type = "clock",
                          .object_id = "sim_clock",
                          .before = before,
                          .before_len = strlen(before),
                          .after = after,
                          .after_len = strlen(after)};
    if (zw_audit_append(db, &e, err) != 0)
        return -1;
    return zw_intake_store_request_done(db, caller, m->key, "", NULL, m->now_us, err);
}

static void s_move(zw_intake_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply, bool set)
{
    zw_err_t err;
    ProtobufCMessage *msg = zw_request_unpack(
        req, set ? &zwfw__v1__set_clock__descriptor : &zwfw__v1__advance_clock__descriptor, &err);
    if (!msg) {
        zw_reply_err(reply, &err);
        return;
    }
    s_move_t m = {.ctx = ctx, .req = req, .kind = set ? "clock.set" : "clock.advance"};
    if (set) {
        Zwfw__V1__SetClock *s = (Zwfw__V1__SetClock *) msg;
        m.key = s->idempotency_key;
        m.actor = s->actor;
        /* out of range: marked, refused below (the product would overflow) */
        if (s->to)
            m.to_us = s->to->seconds < ZW_WIRE_TEXT_TIME_MIN ||
                              s->to->seconds > ZW_WIRE_TEXT_TIME_MAX
                          ? INT64_MIN
                          : s->to->seconds * ZW_US_PER_SEC + s->to->nanos / 1000;
    } else {
        Zwfw__V1__AdvanceClock *a = (Zwfw__V1__AdvanceClock *) msg;
        m.key = a->idempotency_key;
        m.actor = a->actor;
        m.seconds = a->seconds;
        m.workdays = a->workdays;
    }
    if (zw_access_check(req->caller, ZW_ACT_CLOCK, NULL, &err) != 0 ||
        zw_intake_check_key_actor(m.key, m.actor, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    if (set && !((Zwfw__V1__SetClock *) msg)->to) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT, "to: missing");
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "to");
        goto done;
    }
    if (set && m.to_us == INT64_MIN) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT, "to: outside the years 0001 to 9999");
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "to");
        goto done;
    }
    if (!set && ((m.seconds > 0) == (m.workdays > 0) || m.seconds < 0 || m.workdays < 0 ||
                 m.seconds > S_MAX_ADVANCE_S || m.workdays > 1000)) {
        zw_reply_error(reply, ZW_INVALID_ARGUMENT,
                       "give seconds (1 s to 10 years) or workdays (1 to 1000), one of them");
        zw_reply_detail(reply, ZW_ERROR_DETAIL_KEY, "seconds");
        goto done;
    }
    if (!zw_clock_is_sim(ctx->clock)) {
        zw_reply_error(reply, ZW_FAILED_PRECONDITION,
                       "this deployment runs on real time (common.clock_mode = real); the clock "
                       "moves only in simulated mode");
        goto done;
    }
    uint8_t digest[ZW_PII_HASH_BYTES];
    zw_pii_hash_bytes(zw_intake_settings()->pii, "request", req->data, req->len, digest);
    m.digest[0] = '\\';
    m.digest[1] = 'x';
    zw_pii_hex(digest, sizeof digest, m.digest + 2);
    if (zw_db_tx(ctx->db, false, s_move_tx, &m, &err) != 0) {
        zw_reply_err(reply, &err);
        goto done;
    }
    char when[40];
    zw_logkv(ZW_LOG_INFO, "business clock moved", "actor", m.actor, "now",
             zw_time_format(m.now_us, when, sizeof when), NULL);
    s_reply_clock(ctx, m.now_us, reply);
done:
    protobuf_c_message_free_unpacked(msg, NULL);
}

void zw_clock_service_handle(void *vctx, const zw_request_t *req, zw_reply_t *reply)
{
    zw_intake_ctx_t *ctx = vctx;
    zw_err_t err;
    if (strcmp(req->type, "zwfw.v1.GetClock") == 0) {
        int64_t now;
        /* no fields, but bytes that do not decode are still bad input */
        ProtobufCMessage *m = zw_request_unpack(req, &zwfw__v1__get_clock__descriptor, &err);
        if (m)
            protobuf_c_message_free_unpacked(m, NULL);
        if (!m ||
            zw_access_require(req->caller, S_ANY_ROLE, NULL, "read the clock", &err) != 0 ||
            zw_clock_now(ctx->clock, &now, &err) != 0)
            zw_reply_err(reply, &err);
        else
            s_reply_clock(ctx, now, reply);
    } else if (strcmp(req->type, "zwfw.v1.SetClock") == 0) {
        s_move(ctx, req, reply, true);
    } else if (strcmp(req->type, "zwfw.v1.AdvanceClock") == 0) {
        s_move(ctx, req, reply, false);
    } else {
        zw_worker_reply_unimplemented(req, reply);
    }
}
