/* zwfw-rating killed with SIGKILL every 1-2 s, and restarted, while
 * channel systems rate finished applications (即办件 done at the counter)
 * and a department head takes case steps (回访, closing), every request
 * with its own idempotency key and Lazy Pirate retries: a request that was
 * acknowledged is never lost, whichever process dies afterwards, and a
 * retry with the same key never makes a second rating, case or callback.
 *
 * The clients rate from several threads (差评 and 好评), each new rating
 * paced so the ratings span the kills; a try that gets no reply
 * (DEADLINE_EXCEEDED) or UNAVAILABLE is sent again, the same bytes on a
 * fresh socket, until a reply comes. Some keys are sent once more right
 * after their first reply, and once a thread's ratings are done it keeps
 * re-sending its keys until the kills end, so idempotency records are
 * read while the daemon dies too. Every 差评's case gets a callback and
 * every other one is closed, the same way.
 *
 * Afterwards, with the last daemon up: every acknowledged rating is in
 * rating.ratings with the level sent and the rating id replied, under its
 * receipt exactly once; every 差评 has exactly one case (the one replied),
 * every other rating none; every callback and close is there once; every
 * reply to a key (each retry, each re-send, and a last re-send of every key
 * now) is byte for byte the first reply; the stream 'rating' holds exactly
 * one RatingSubmitted per rating, one CaseOpened per case and one
 * CaseChanged per step once the relay caught up; the audit log has one
 * entry per change and its chain verifies (zw_audit_verify). */
#include "intake_harness.h"

#include "audit.h"
#include "zwfw/v1/rating.pb-c.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>

#define DEPT "11500152MB17035173"
#define ITEM_I "500T0100100002-500152000000-000-" DEPT "-1-00" /* 即办件 */
#define N_APPS 160
#define RATERS 4
#define KILLS 5
#define PACE_MS 90       /* between a rater's new ratings */
#define REPLAY_MS 60     /* between re-sends once a rater is through */
#define TRY_MS 3000      /* one Lazy Pirate try (sanitizer builds are slow) */
#define GIVE_UP_MS 45000 /* a request still unanswered after this is a finding */
#define WAIT_MS 30000

enum { B_OP, B_WIN, B_INT, B_HEAD, B_COUNT };

static h_stack_t S;
static h_broker_t s_b[B_COUNT] = {
    {.role = "operator", .key_id = "op", .region = "500152", .department = ""},
    {.role = "window", .key_id = "win1", .region = "500152", .department = ""},
    {.role = "integrator", .key_id = "portal1", .region = "500152", .department = ""},
    {.role = "head", .key_id = "head1", .region = "500152", .department = DEPT},
};
static char s_eps[512];
static pid_t s_intake, s_rating;

static const char *s_catalog =
    "{\"idempotencyKey\":\"load-1\",\"actor\":\"op\",\"items\":[{\"basicCode\":"
    "\"500T0100100002\",\"implCode\":\"" ITEM_I "\",\"name\":\"测试即办件\","
    "\"type\":\"ITEM_TYPE_CONFIRMATION\",\"departmentCode\":\"" DEPT "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":2,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"I1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]}]}";

/* ---- what the clients saw ------------------------------------------------------------- */

typedef struct {
    uint8_t *bytes; /* the first reply; NULL until one came */
    size_t len;
    int sends, replies; /* tries sent, success replies got */
} s_key_t;

typedef struct {
    char receipt[48];
    int level;
    bool real_name;
    s_key_t rate, callback, close;
    int64_t rating_id, case_id; /* from the first reply */
    bool want_close;
} s_app_t;

static s_app_t s_apps[N_APPS];
static atomic_int s_in_flight, s_raters_done;
static atomic_bool s_stop; /* the kills are over: no more re-sends */
static atomic_int s_findings;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static int s_cases[N_APPS]; /* apps whose case is open for the head, in order */
static int s_n_cases;

static void s_finding(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void s_finding(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&s_lock);
    fprintf(stderr, "FINDING: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    pthread_mutex_unlock(&s_lock);
    va_end(ap);
    atomic_fetch_add(&s_findings, 1);
}

/* ---- Lazy Pirate ------------------------------------------------------------------------ */

typedef struct {
    zw_client_t *c;
    const char *ep;
} s_lp_t;

static zw_client_t *s_client(const char *ep)
{
    const char *eps[] = {ep};
    zw_err_t err;
    zw_client_t *c = zw_client_new(S.ctx, eps, 1, &err);
    if (!c) {
        fprintf(stderr, "client for %s: %s\n", ep, err.message);
        abort(); /* no cmocka assertion off the main thread */
    }
    zw_client_set_timeout(c, TRY_MS);
    zw_client_set_retries(c, 0); /* the retries are ours: they are counted */
    return c;
}

/* Sends the request under key k until a reply: 0 with the reply's bytes
 * (malloc'd) once one came; -1 with *err for an Error reply that is not
 * UNAVAILABLE, or nothing within GIVE_UP_MS. DEADLINE_EXCEEDED and
 * UNAVAILABLE are tried again, the same bytes, on a fresh socket. */
static int s_call(s_lp_t *lp, s_key_t *k, const char *type, const uint8_t *data, size_t len,
                  uint8_t **out, size_t *out_len, zw_err_t *err)
{
    int64_t until = h_now_ms() + GIVE_UP_MS;
    for (;;) {
        char id[ZW_CLIENT_ID_LEN];
        zw_client_reply_t *r = NULL;
        k->sends++;
        atomic_fetch_add(&s_in_flight, 1);
        if (zw_client_send(lp->c, "zwfw.rating", type, data, len, id, err) == 0)
            r = zw_client_wait(lp->c, id, err);
        atomic_fetch_sub(&s_in_flight, 1);
        if (r && r->err.code == ZW_OK) {
            *out = malloc(r->len ? r->len : 1);
            if (!*out)
                abort();
            memcpy(*out, r->data, r->len);
            *out_len = r->len;
            zw_client_reply_destroy(&r);
            k->replies++;
            return 0;
        }
        if (r) {
            *err = r->err;
            zw_client_reply_destroy(&r);
        }
        if ((err->code != ZW_DEADLINE_EXCEEDED && err->code != ZW_UNAVAILABLE) ||
            h_now_ms() >= until)
            return -1;
        zw_client_destroy(&lp->c);
        lp->c = s_client(lp->ep);
        h_nap(20);
    }
}

/* s_call, and the reply checked against the key's first one: the first is
 * kept; every later one must be the same bytes. 1 for a reply that is the
 * key's first, 0 for a later one, -1 for none (a finding said why). */
static int s_call_key(s_lp_t *lp, s_key_t *k, const char *what, const char *type,
                      const uint8_t *data, size_t len)
{
    uint8_t *out = NULL;
    size_t out_len = 0;
    zw_err_t err;
    if (s_call(lp, k, type, data, len, &out, &out_len, &err) != 0) {
        s_finding("%s: %s %s (%s) after %d tries", what, zw_code_name(err.code), err.message,
                  err.detail, k->sends);
        return -1;
    }
    if (!k->bytes) {
        k->bytes = out;
        k->len = out_len;
        return 1;
    }
    if (out_len != k->len || memcmp(out, k->bytes, out_len) != 0)
        s_finding("%s: reply %d (of %d tries) is not the key's first reply", what, k->replies,
                  k->sends);
    free(out);
    return 0;
}

/* ---- the raters ------------------------------------------------------------------------- */

static void s_rate_key(const s_app_t *a, int i, char key[32])
{
    snprintf(key, 32, "rate-%d-%s", i, a->receipt + strlen(a->receipt) - 6);
}

static uint8_t *s_pack_rating(const s_app_t *a, int i, size_t *len)
{
    char key[32];
    s_rate_key(a, i, key);
    Zwfw__V1__SubmitRating m = ZWFW__V1__SUBMIT_RATING__INIT;
    Zwfw__V1__DimensionScore dim = ZWFW__V1__DIMENSION_SCORE__INIT, *dims[] = {&dim};
    m.idempotency_key = key;
    m.receipt_number = (char *) a->receipt;
    m.channel = (Zwfw__V1__RatingChannel) (1 + i % 8);
    m.level = (Zwfw__V1__RatingLevel) a->level;
    m.reason = a->level <= 2 ? "窗口等候时间过长" : "";
    m.real_name = a->real_name;
    if (i % 4 == 1) { /* a window application: offline dimensions */
        dim.dimension = ZWFW__V1__RATING_DIMENSION__RATING_DIMENSION_ATTITUDE;
        dim.level = (Zwfw__V1__RatingLevel) a->level;
        m.n_dimensions = 1;
        m.dimensions = dims;
    }
    *len = protobuf_c_message_get_packed_size(&m.base);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf)
        abort();
    protobuf_c_message_pack(&m.base, buf);
    return buf;
}

/* The first reply of a rating: what it says must be what was sent. */
static void s_check_rating_reply(s_app_t *a, int i)
{
    Zwfw__V1__SubmitRatingReply *r =
        zwfw__v1__submit_rating_reply__unpack(NULL, a->rate.len, a->rate.bytes);
    if (!r || !r->rating) {
        s_finding("rating %d: the reply does not decode", i);
        if (r)
            zwfw__v1__submit_rating_reply__free_unpacked(r, NULL);
        return;
    }
    bool bad = a->level <= 2;
    if (strcmp(r->rating->receipt_number, a->receipt) != 0 || (int) r->rating->level != a->level ||
        r->rating->bad != bad || r->rating->rating_id <= 0 ||
        (r->rectification_case != NULL) != bad || (bad && r->rating->case_id <= 0) ||
        (bad && r->rectification_case->case_id != r->rating->case_id))
        s_finding("rating %d (%s, level %d): the reply says %s, level %d, bad %d, case %" PRId64,
                  i, a->receipt, a->level, r->rating->receipt_number, (int) r->rating->level,
                  (int) r->rating->bad, r->rating->case_id);
    a->rating_id = r->rating->rating_id;
    a->case_id = bad && r->rectification_case ? r->rectification_case->case_id : 0;
    zwfw__v1__submit_rating_reply__free_unpacked(r, NULL);
    if (a->case_id > 0) {
        pthread_mutex_lock(&s_lock);
        s_cases[s_n_cases++] = i;
        pthread_mutex_unlock(&s_lock);
    }
}

static void s_rate(s_lp_t *lp, int i, bool again)
{
    s_app_t *a = &s_apps[i];
    size_t len;
    uint8_t *buf = s_pack_rating(a, i, &len);
    char what[128];
    snprintf(what, sizeof what, "SubmitRating %d (%.47s)%s", i, a->receipt, again ? " again" : "");
    if (s_call_key(lp, &a->rate, what, "zwfw.v1.SubmitRating", buf, len) == 1)
        s_check_rating_reply(a, i);
    free(buf);
}

static void *s_rater(void *arg)
{
    int t = (int) (intptr_t) arg;
    s_lp_t lp = {s_client(s_b[B_INT].ep), s_b[B_INT].ep};
    int mine = 0;
    for (int i = t; i < N_APPS; i += RATERS, mine++) {
        s_rate(&lp, i, false);
        if (i % 5 == 0 && s_apps[i].rate.bytes)
            s_rate(&lp, i, true); /* as if the reply had been lost */
        h_nap(PACE_MS);
    }
    atomic_fetch_add(&s_raters_done, 1);
    /* Through: re-send this thread's keys while the daemon still dies. */
    for (unsigned n = 0; !atomic_load(&s_stop); n++) {
        int i = t + RATERS * (int) ((n * 7919u) % (unsigned) mine);
        if (s_apps[i].rate.bytes)
            s_rate(&lp, i, true);
        h_nap(REPLAY_MS);
    }
    zw_client_destroy(&lp.c);
    return NULL;
}

/* ---- the head: callbacks and closing --------------------------------------------------- */

static uint8_t *s_pack_step(const s_app_t *a, bool close, size_t *len)
{
    char key[48];
    snprintf(key, sizeof key, "%s-%" PRId64, close ? "close" : "callback", a->case_id);
    ProtobufCMessage *msg;
    Zwfw__V1__RecordCallback cb = ZWFW__V1__RECORD_CALLBACK__INIT;
    Zwfw__V1__CloseCase cl = ZWFW__V1__CLOSE_CASE__INIT;
    if (close) {
        cl.idempotency_key = key;
        cl.case_id = a->case_id;
        cl.outcome = ZWFW__V1__CASE_OUTCOME__CASE_OUTCOME_RECTIFIED;
        cl.resolution = "已整改：增开窗口，缩短等候时间";
        cl.rater_informed = true;
        cl.actor = "科长李四";
        msg = &cl.base;
    } else {
        cb.idempotency_key = key;
        cb.case_id = a->case_id;
        cb.reached = true;
        cb.note = "已电话回访评价人";
        cb.actor = "科员王五";
        msg = &cb.base;
    }
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(*len ? *len : 1);
    if (!buf)
        abort();
    protobuf_c_message_pack(msg, buf);
    return buf;
}

static void s_step(s_lp_t *lp, int i, bool close, bool again)
{
    s_app_t *a = &s_apps[i];
    size_t len;
    uint8_t *buf = s_pack_step(a, close, &len);
    char what[96];
    snprintf(what, sizeof what, "%s of case %" PRId64 "%s", close ? "CloseCase" : "RecordCallback",
             a->case_id, again ? " again" : "");
    s_key_t *k = close ? &a->close : &a->callback;
    int first = s_call_key(lp, k, what, close ? "zwfw.v1.CloseCase" : "zwfw.v1.RecordCallback",
                           buf, len);
    free(buf);
    if (first != 1)
        return;
    Zwfw__V1__CaseReply *r = zwfw__v1__case_reply__unpack(NULL, k->len, k->bytes);
    const Zwfw__V1__RectificationCase *c = r ? r->rectification_case : NULL;
    if (!c || c->case_id != a->case_id || c->n_callbacks != 1 ||
        c->status != (close ? ZWFW__V1__CASE_STATUS__CASE_STATUS_CLOSED
                            : ZWFW__V1__CASE_STATUS__CASE_STATUS_OPEN))
        s_finding("%s: the reply shows case %" PRId64 ", status %d, %zu callbacks", what,
                  c ? c->case_id : 0, c ? (int) c->status : -1, c ? c->n_callbacks : 0);
    if (r)
        zwfw__v1__case_reply__free_unpacked(r, NULL);
}

static void *s_head(void *arg)
{
    (void) arg;
    s_lp_t lp = {s_client(s_b[B_HEAD].ep), s_b[B_HEAD].ep};
    int next = 0;
    for (unsigned n = 0;; n++) {
        pthread_mutex_lock(&s_lock);
        int have = s_n_cases;
        pthread_mutex_unlock(&s_lock);
        if (next < have) {
            int i = s_cases[next++];
            s_step(&lp, i, false, false);
            if (s_apps[i].want_close && s_apps[i].callback.bytes)
                s_step(&lp, i, true, false);
            if (next % 3 == 0 && s_apps[i].callback.bytes)
                s_step(&lp, i, false, true);
            h_nap(PACE_MS);
        } else if (atomic_load(&s_raters_done) == RATERS) {
            if (atomic_load(&s_stop))
                break;
            /* through: the steps' keys again while the daemon still dies */
            int i = s_cases[(n * 7919u) % (unsigned) (have ? have : 1)];
            if (have && s_apps[i].callback.bytes)
                s_step(&lp, i, false, true);
            if (have && s_apps[i].close.bytes)
                s_step(&lp, i, true, true);
            h_nap(REPLAY_MS);
        } else {
            h_nap(10);
        }
    }
    zw_client_destroy(&lp.c);
    return NULL;
}

/* ---- processes and data ------------------------------------------------------------------- */

static pid_t s_start_rating(void)
{
    char pub[64];
    h_free_endpoint(pub, sizeof pub);
    return zwt_stack_rating(&S.procs, &(zwt_rating_opts_t){.conninfo = S.conninfo,
                                                          .brokers = s_eps,
                                                          .clock_mode = "simulated",
                                                          .case_workdays = 5,
                                                          .threads = 4,
                                                          .heartbeat_ms = H_HB,
                                                          .pub_endpoint = pub,
                                                          .relay_idle_ms = 20,
                                                          .log_level = "warn"});
}

/* N_APPS 即办件 with every material at the window: each 办结 (APPROVED) at
 * once, all sent at the same time. */
static void s_submit_apps(void)
{
    zw_client_t *c = h_client(&S, s_b[B_WIN].ep, 30000, 0);
    static char ids[N_APPS][ZW_CLIENT_ID_LEN];
    for (int i = 0; i < N_APPS; i++) {
        char first[18], id[19], mats[1024], json[4096];
        snprintf(first, sizeof first, "500152199003%02d%03d", 1 + i / 1000, i % 1000);
        h_resident_id(first, id);
        h_material_refs(mats, sizeof mats, "I1", i);
        snprintf(json, sizeof json,
                 "{\"idempotencyKey\":\"app-%d\",\"actor\":\"clerk-01\",\"itemCode\":\"" ITEM_I
                 "\",\"channel\":\"CHANNEL_WINDOW\",\"windowId\":\"W%02d\",\"applicant\":{"
                 "\"kind\":\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":\"王五\",\"idType\":"
                 "\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"%s\"},\"phone\":\"13912340001\"},"
                 "\"materials\":[%s]}",
                 i, 1 + i % 6, id, mats);
        ProtobufCMessage *m = h_json("zwfw.v1.SubmitApplication", json);
        zw_err_t err;
        assert_int_equal(zw_client_send_msg(c, "zwfw.intake", m, ids[i], &err), 0);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    for (int i = 0; i < N_APPS; i++) {
        zw_err_t err;
        zw_client_reply_t *r = zw_client_wait(c, ids[i], &err);
        assert_non_null(r);
        if (r->err.code != ZW_OK)
            fail_msg("application %d: %s %s", i, zw_code_name(r->err.code), r->err.message);
        Zwfw__V1__SubmitApplicationReply *a =
            zwfw__v1__submit_application_reply__unpack(NULL, r->len, r->data);
        assert_non_null(a);
        assert_int_equal(a->application->state,
                         ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_APPROVED);
        s_app_t *app = &s_apps[i];
        snprintf(app->receipt, sizeof app->receipt, "%s", a->application->receipt_number);
        app->level = i % 3 == 0 ? 1 + (i / 3) % 2 : 3 + (i / 3) % 3; /* a third are 差评 */
        app->real_name = i % 6 == 0;
        app->want_close = i % 9 == 0;
        zwfw__v1__submit_application_reply__free_unpacked(a, NULL);
        zw_client_reply_destroy(&r);
    }
    zw_client_destroy(&c);
}

static long s_wait_num(long want, const char *sql)
{
    int64_t until = h_now_ms() + WAIT_MS;
    long n;
    while ((n = h_sql_long(&S, "%s", sql)) != want && h_now_ms() < until)
        h_nap(50);
    return n;
}

/* ---- the test --------------------------------------------------------------------------------- */

static void test_sigkill_while_rating(void **state)
{
    (void) state;
    int64_t t0 = h_now_ms();
    s_submit_apps();
    s_rating = s_start_rating();
    for (int b = 0; b < B_COUNT; b++)
        assert_true(zwt_stack_wait_listed(&S.procs, s_b[b].client, "zwfw.rating", s_rating, WAIT_MS));
    int64_t t_load = h_now_ms();

    pthread_t raters[RATERS], head;
    for (int t = 0; t < RATERS; t++)
        assert_int_equal(pthread_create(&raters[t], NULL, s_rater, (void *) (intptr_t) t), 0);
    assert_int_equal(pthread_create(&head, NULL, s_head, NULL), 0);

    /* Kill it every 1-2 s once it has rated something, and start another
     * at once (no wait: the broker holds requests for a worker). */
    int64_t until = h_now_ms() + WAIT_MS;
    while (h_sql_long(&S, "SELECT count(*) FROM rating.ratings") < 5 && h_now_ms() < until)
        h_nap(10);
    int in_flight_at_kill = 0;
    for (int k = 0; k < KILLS; k++) {
        /* 1-2 s apart, at a moment a client waits for a reply if one
         * comes within 300 ms */
        h_nap(1000 + (k * 397) % 700);
        for (int64_t aim = h_now_ms() + 300; atomic_load(&s_in_flight) == 0 && h_now_ms() < aim;)
            usleep(500);
        int status = zwt_proc_wait(s_rating, 0);
        if (status != -1) {
            zwt_daemon_t *d = zwt_stack_find(&S.procs, s_rating);
            s_finding("zwfw-rating (pid %d) exited by itself (wait status %d) before kill %d",
                      (int) s_rating, status, k + 1);
            if (d) {
                h_dump_log(d->log);
                d->pid = 0;
            }
        }
        int flying = atomic_load(&s_in_flight);
        long rated = h_sql_long(&S, "SELECT count(*) FROM rating.ratings");
        h_kill(&S, s_rating);
        fprintf(stderr, "kill %d at %.1f s: %d requests in flight, %ld ratings stored\n", k + 1,
                (double) (h_now_ms() - t_load) / 1000, flying, rated);
        in_flight_at_kill += flying > 0;
        h_nap(50 + 100 * (k % 3));
        s_rating = s_start_rating();
    }
    assert_true(zwt_stack_wait_listed(&S.procs, s_b[B_INT].client, "zwfw.rating", s_rating, WAIT_MS));
    atomic_store(&s_stop, true);
    for (int t = 0; t < RATERS; t++)
        pthread_join(raters[t], NULL);
    pthread_join(head, NULL);
    int64_t t_end = h_now_ms();

    /* ---- what was acknowledged is there, once ---- */
    int sends = 0, retried = 0, acked = 0, bad = 0, callbacks = 0, closes = 0;
    for (int i = 0; i < N_APPS; i++) {
        s_app_t *a = &s_apps[i];
        sends += a->rate.sends + a->callback.sends + a->close.sends;
        retried += (a->rate.sends > a->rate.replies) + (a->callback.sends > a->callback.replies) +
                   (a->close.sends > a->close.replies);
        if (!a->rate.bytes)
            continue;
        acked++;
        char sql[512], out[64];
        snprintf(sql, sizeof sql,
                 "SELECT id || ' ' || level || ' ' || count(*) OVER () FROM rating.ratings"
                 " WHERE receipt_number = '%.47s'",
                 a->receipt);
        char want[64];
        snprintf(want, sizeof want, "%" PRId64 " %d 1", a->rating_id, a->level);
        if (strcmp(h_sql(&S, sql, out, sizeof out), want) != 0)
            s_finding("rating of %s: acknowledged as rating %" PRId64 " level %d; stored: '%s'",
                      a->receipt, a->rating_id, a->level, out);
        if (a->level <= 2) {
            bad++;
            snprintf(sql, sizeof sql,
                     "SELECT id || ' ' || count(*) OVER () FROM rating.cases WHERE rating_id = %" PRId64,
                     a->rating_id);
            snprintf(want, sizeof want, "%" PRId64 " 1", a->case_id);
            if (strcmp(h_sql(&S, sql, out, sizeof out), want) != 0)
                s_finding("case of rating %" PRId64 ": acknowledged as case %" PRId64
                          "; stored (id, count): '%s'",
                          a->rating_id, a->case_id, out);
        }
        if (a->callback.bytes) {
            callbacks++;
            long n = h_sql_long(&S, "SELECT count(*) FROM rating.callbacks WHERE case_id = %" PRId64,
                                a->case_id);
            if (n != 1)
                s_finding("case %" PRId64 ": one callback acknowledged, %ld stored", a->case_id, n);
        }
        if (a->close.bytes) {
            closes++;
            long n = h_sql_long(&S,
                                "SELECT count(*) FROM rating.cases WHERE id = %" PRId64
                                " AND status = 2 AND closed_by = '科长李四'",
                                a->case_id);
            if (n != 1)
                s_finding("case %" PRId64 ": its close was acknowledged, it is not closed",
                          a->case_id);
        }
    }
    fprintf(stderr,
            "%d applications, %d ratings acknowledged (%d 差评), %d callbacks, %d closes; "
            "%d requests sent, %d keys retried after no reply; %d kills (%d with requests in "
            "flight); setup %.1f s, load %.1f s\n",
            N_APPS, acked, bad, callbacks, closes, sends, retried, KILLS, in_flight_at_kill,
            (double) (t_load - t0) / 1000, (double) (t_end - t_load) / 1000);
    /* the retries carried every request through */
    assert_int_equal(acked, N_APPS);
    long ratings = h_sql_long(&S, "SELECT count(*) FROM rating.ratings");
    if (ratings != acked)
        s_finding("%ld ratings stored, %d acknowledged", ratings, acked);
    assert_int_equal(h_sql_long(&S, "SELECT count(DISTINCT receipt_number) FROM rating.ratings"),
                     ratings);
    long stray = h_sql_long(&S, "SELECT count(*) FROM rating.ratings r WHERE (SELECT count(*) FROM"
                                " rating.cases c WHERE c.rating_id = r.id) <> (level <= 2)::int");
    if (stray != 0)
        s_finding("%ld ratings without exactly one case if bad, none if good", stray);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM rating.cases"), bad);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM rating.callbacks"), callbacks);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM rating.cases WHERE status = 2"), closes);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM rating.requests WHERE caller = 'portal1'"
                                    " AND type = 'zwfw.v1.SubmitRating'"),
                     acked);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM rating.requests WHERE caller = 'head1'"),
                     callbacks + closes);

    /* ---- every key once more, the daemon up: the first reply ---- */
    s_lp_t li = {s_client(s_b[B_INT].ep), s_b[B_INT].ep};
    s_lp_t lh = {s_client(s_b[B_HEAD].ep), s_b[B_HEAD].ep};
    for (int i = 0; i < N_APPS; i++) {
        s_rate(&li, i, true);
        if (s_apps[i].callback.bytes)
            s_step(&lh, i, false, true);
        if (s_apps[i].close.bytes)
            s_step(&lh, i, true, true);
    }
    zw_client_destroy(&li.c);
    zw_client_destroy(&lh.c);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM rating.ratings"), acked);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM rating.callbacks"), callbacks);

    /* ---- events and audit, once the relay and chainer caught up ---- */
    assert_int_equal(s_wait_num(0, "SELECT count(*) FROM events.outbox WHERE stream = 'rating'"), 0);
    assert_int_equal(s_wait_num(0, "SELECT count(*) FROM audit.pending"), 0);
    struct {
        const char *type;
        long want;
    } ev[] = {{"zwfw.v1.RatingSubmitted", acked},
              {"zwfw.v1.CaseOpened", bad},
              {"zwfw.v1.CaseChanged", callbacks + closes}};
    for (size_t e = 0; e < sizeof ev / sizeof ev[0]; e++) {
        long n = h_sql_long(&S,
                            "SELECT count(*) FROM events.log WHERE stream = 'rating' AND type = '%s'",
                            ev[e].type);
        long per = h_sql_long(&S,
                              "SELECT count(*) FROM (SELECT aggregate_id FROM events.log WHERE"
                              " stream = 'rating' AND type = '%s' GROUP BY aggregate_id HAVING"
                              " count(*) > 1) d",
                              ev[e].type);
        if (n != ev[e].want || (e < 2 && per != 0))
            s_finding("stream rating: %ld %s (%ld receipts more than once), want %ld", n,
                      ev[e].type, per, ev[e].want);
    }
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM events.log WHERE stream = 'rating'"),
                     acked + bad + callbacks + closes);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) - count(DISTINCT seq) + max(seq) - count(*)"
                                    " FROM events.log WHERE stream = 'rating'"),
                     0); /* seq 1..n, no gap */
    struct {
        const char *action;
        long want;
    } au[] = {{"rating.submit", acked},
              {"rating.case.open", bad},
              {"rating.case.callback", callbacks},
              {"rating.case.closed", closes}};
    for (size_t e = 0; e < sizeof au / sizeof au[0]; e++) {
        long n = h_sql_long(&S, "SELECT count(*) FROM audit.log WHERE action = '%s'", au[e].action);
        if (n != au[e].want)
            s_finding("audit: %ld %s entries, want %ld", n, au[e].action, au[e].want);
    }
    zw_db_t *db = zw_db_new(S.conninfo);
    assert_non_null(db);
    zw_err_t err;
    assert_int_equal(zw_db_connect(db, &err), 0);
    zw_audit_report_t rep;
    assert_int_equal(zw_audit_verify(db, 0, NULL, &rep, &err), 0);
    if (!rep.ok)
        s_finding("audit chain broken at seq %" PRId64 ": %s", rep.bad_seq, rep.problem);
    assert_true(rep.rows >= acked + bad + callbacks + closes);
    zw_db_destroy(&db);

    for (int i = 0; i < N_APPS; i++) {
        free(s_apps[i].rate.bytes);
        free(s_apps[i].callback.bytes);
        free(s_apps[i].close.bytes);
    }
    assert_int_equal(atomic_load(&s_findings), 0);
    h_stop(&S, s_rating); /* drains and exits 0 (under ASan: no leak) */
    h_stop(&S, s_intake);
}

static int s_setup(void **state)
{
    (void) state;
    h_stack_init(&S, "zwfw_test_rating_kill");
    h_start_brokers(&S, s_b, B_COUNT, s_eps, sizeof s_eps);
    s_intake = h_start_intake(&S, s_eps,
                              (zwt_intake_opts_t){
                                  .clock_mode = "simulated", .threads = 4, .log_level = "warn"});
    h_wait_all(&S, s_b, B_COUNT, "zwfw.intake");
    h_set_clock(s_b[B_OP].client, "2020-10-09T10:00:00+08:00");
    ProtobufCMessage *r = h_json_call(s_b[B_OP].client, "zwfw.catalog", "zwfw.v1.LoadCatalog",
                                      s_catalog);
    protobuf_c_message_free_unpacked(r, NULL);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    for (int b = 0; b < B_COUNT; b++)
        zw_client_destroy(&s_b[b].client);
    int unclean = zwt_stack_stop_all(&S.procs, H_STOP_MS);
    h_stack_free(&S);
    assert_int_equal(unclean, 0);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_while_rating),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
