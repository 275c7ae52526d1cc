/* zwfw.xregion reads: partners (operator, supervisor), exchanges (window,
 * supervisor, operator; an integrator its own) and the message log
 * (operator, supervisor). One driver, s_read, does what every read does
 * (the role check, the decoded request, an arena, the error reply, the
 * freeing); each read is a body over the decoded request. */
#include "read.h"

#include "access.h"
#include "intake_rules.h"
#include "link.h"
#include "rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PARTNER_READERS (ZW_ROLE_MASK_OPERATOR | ZW_ROLE_MASK_SUPERVISOR)
#define S_EXCHANGE_READERS                                                                         \
    (ZW_ROLE_MASK_WINDOW | ZW_ROLE_MASK_SUPERVISOR | ZW_ROLE_MASK_OPERATOR |                       \
     ZW_ROLE_MASK_INTEGRATOR)

int zw_xregion_partner_counts(zw_db_t *db, Zwfw__V1__Partner *p, zw_err_t *err)
{
    const char *q[] = {p->region};
    PGresult *res = zw_db_exec(db, "xr_outbound_counts", 1, q, err);
    if (!res)
        return -1;
    p->queued = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    p->refused = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return 0;
}

int zw_xregion_may_see(zw_db_t *db, const Zwfw__V1__Caller *c, const char *id, zw_err_t *err)
{
    if (c->role != ZWFW__V1__ROLE__ROLE_INTEGRATOR)
        return 0;
    const char *p[] = {id};
    PGresult *res = zw_db_exec(db, "xr_exchange_submitter", 1, p, err);
    if (!res)
        return -1;
    bool own = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), c->key_id) == 0;
    PQclear(res);
    return own ? 0
               : zw_err_setd(err, ZW_PERMISSION_DENIED, "exchange_id",
                             "an integrator reads only the exchanges it forwarded");
}

static char *s_num(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

/* One read in progress: what the driver frees after the reply. */
typedef struct {
    zw_xregion_ctx_t *ctx;
    const Zwfw__V1__Caller *c;
    zw_arena_t *a; /* never NULL in a body: the driver answers out of memory */
    PGresult *res;
} s_read_t;

static int s_page_size(int32_t page_size, int *size, zw_err_t *err)
{
    *size = page_size ? page_size : 50;
    if (*size < 1 || *size > 200)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "page_size", "page_size: 1-200");
    return 0;
}

/* A region filter: "" (every region) or a division code. */
static int s_region_filter(const char *region, zw_err_t *err)
{
    if (*region && !zw_xregion_digits6(region))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "region", "region: 6 digits");
    return 0;
}

/* ------------------------------------------------------------------ partners */

/* A partner as this replica sees it: the store's counts, the state of
 * its link here. */
static int s_show_partner(zw_xregion_ctx_t *ctx, Zwfw__V1__Partner *p, zw_err_t *err)
{
    if (zw_xregion_partner_counts(ctx->db, p, err) != 0)
        return -1;
    zw_xregion_link_view_t v;
    zw_xregion_link_status(p->region, &v);
    p->link = !*ctx->settings->link_public_key ? ZWFW__V1__LINK_STATE__LINK_STATE_NO_LINK
              : !p->enabled                    ? ZWFW__V1__LINK_STATE__LINK_STATE_DISABLED
              : v.up                           ? ZWFW__V1__LINK_STATE__LINK_STATE_UP
                                               : ZWFW__V1__LINK_STATE__LINK_STATE_DOWN;
    p->last_heard_ms_ago = v.last_heard_ms_ago;
    return 0;
}

static int s_get_partner(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply, zw_err_t *err)
{
    const Zwfw__V1__GetPartner *m = (const Zwfw__V1__GetPartner *) msg;
    Zwfw__V1__PartnerReply r = ZWFW__V1__PARTNER_REPLY__INIT;
    if (!zw_xregion_digits6(m->region))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "region", "region: 6 digits");
    if (zw_xregion_store_partner(x->ctx->db, x->a, m->region, &r.partner, err) != 0)
        return -1;
    if (!r.partner)
        return zw_err_setd(err, ZW_NOT_FOUND, "region", "no partner %s", m->region);
    if (s_show_partner(x->ctx, r.partner, err) != 0)
        return -1;
    zw_reply_message(reply, &r.base);
    return 0;
}

static int s_list_partners(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply,
                           zw_err_t *err)
{
    (void) msg;
    Zwfw__V1__ListPartnersReply r = ZWFW__V1__LIST_PARTNERS_REPLY__INIT;
    if (zw_xregion_store_partners(x->ctx->db, x->a, &r.partners, &r.n_partners, err) != 0)
        return -1;
    for (size_t i = 0; i < r.n_partners; i++)
        if (s_show_partner(x->ctx, r.partners[i], err) != 0)
            return -1;
    r.own_region = (char *) x->ctx->settings->region;
    r.own_public_key = (char *) x->ctx->settings->link_public_key;
    r.own_endpoint = (char *) x->ctx->settings->link_endpoint;
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ exchanges */

static int s_get_exchange(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply,
                          zw_err_t *err)
{
    const Zwfw__V1__GetExchange *m = (const Zwfw__V1__GetExchange *) msg;
    Zwfw__V1__ExchangeReply r = ZWFW__V1__EXCHANGE_REPLY__INIT;
    bool clear = x->c->role == ZWFW__V1__ROLE__ROLE_WINDOW;
    if (!zw_intake_token_ok(m->exchange_id, 64))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "exchange_id", "exchange_id: not an id");
    if (zw_xregion_store_exchange(x->ctx, x->ctx->db, x->a, m->exchange_id, true, clear,
                                  &r.exchange, err) != 0)
        return -1;
    if (!r.exchange)
        return zw_err_setd(err, ZW_NOT_FOUND, "exchange_id", "no exchange %s", m->exchange_id);
    if (zw_xregion_may_see(x->ctx->db, x->c, m->exchange_id, err) != 0)
        return -1;
    zw_reply_message(reply, &r.base);
    return 0;
}

/* A page token binds the filters of the listing it continues
 * (FNV-1a of them): one given with other filters is refused. */
static unsigned s_filters_hash(const Zwfw__V1__ListExchanges *m)
{
    char text[64];
    snprintf(text, sizeof text, "%d|%.6s|%d", (int) m->direction, m->region, m->open_only ? 1 : 0);
    uint32_t h = 2166136261u;
    for (const char *p = text; *p; p++)
        h = (h ^ (uint8_t) *p) * 16777619u;
    return h;
}

/* An exchange page token, "<created_at_us>/<exchange_id>/<filters>": where
 * the page starts (after_us, 24 bytes; after_id, 72 bytes). */
static int s_exchange_token(const char *token, unsigned filters, char *after_us, char *after_id,
                            zw_err_t *err)
{
    long long us = 0;
    unsigned h = 0;
    int used = 0;
    char id[65];
    if (sscanf(token, "%lld/%64[A-Za-z0-9_.:-]/%8x%n", &us, id, &h, &used) != 3 ||
        token[used] != '\0')
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "page_token",
                           "page_token: not one this service gave");
    if (h != filters)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "page_token",
                           "page_token: given with other filters (direction, region, "
                           "open_only) than the page it continues");
    snprintf(after_us, 24, "%lld", us);
    snprintf(after_id, 72, "%s", id);
    return 0;
}

static int s_list_exchanges(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply,
                            zw_err_t *err)
{
    const Zwfw__V1__ListExchanges *m = (const Zwfw__V1__ListExchanges *) msg;
    Zwfw__V1__ListExchangesReply r = ZWFW__V1__LIST_EXCHANGES_REPLY__INIT;
    const Zwfw__V1__Caller *c = x->c;
    int size;
    char after_us[24] = "9223372036854775807", after_id[72] = "~";
    if (s_page_size(m->page_size, &size, err) != 0)
        return -1;
    if (m->direction < 0 || m->direction > 2)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "direction", "direction: 0-2");
    unsigned filters = s_filters_hash(m);
    if (s_region_filter(m->region, err) != 0 ||
        (*m->page_token && s_exchange_token(m->page_token, filters, after_us, after_id, err) != 0))
        return -1;
    char b[2][24];
    const char *p[] = {s_num(b[0], m->direction),
                       m->region,
                       m->open_only ? "true" : "false",
                       after_us,
                       after_id,
                       c->role == ZWFW__V1__ROLE__ROLE_INTEGRATOR ? c->key_id : "",
                       s_num(b[1], size + 1)};
    if (!(x->res = zw_db_exec(x->ctx->db, "xr_exchange_page", 7, p, err)))
        return -1;
    bool clear = c->role == ZWFW__V1__ROLE__ROLE_WINDOW;
    int n = PQntuples(x->res), take = n > size ? size : n;
    if (!(r.exchanges = zw_arena_alloc(x->a, sizeof *r.exchanges * (size_t) (take ? take : 1))))
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < take; i++) {
        Zwfw__V1__Exchange *e = NULL;
        if (zw_xregion_store_exchange(x->ctx, x->ctx->db, x->a, PQgetvalue(x->res, i, 0), false,
                                      clear, &e, err) != 0)
            return -1;
        if (e)
            r.exchanges[r.n_exchanges++] = e;
    }
    if (n > size) {
        char tok[128];
        snprintf(tok, sizeof tok, "%s/%s/%08x", PQgetvalue(x->res, size - 1, 1),
                 PQgetvalue(x->res, size - 1, 0), filters);
        r.next_page_token = zw_arena_strdup(x->a, tok);
    }
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ the message log */

/* page token: the id of the page's last entry */
static int s_list_messages(s_read_t *x, const ProtobufCMessage *msg, zw_reply_t *reply,
                           zw_err_t *err)
{
    const Zwfw__V1__ListLinkMessages *m = (const Zwfw__V1__ListLinkMessages *) msg;
    Zwfw__V1__ListLinkMessagesReply r = ZWFW__V1__LIST_LINK_MESSAGES_REPLY__INIT;
    zw_arena_t *a = x->a;
    int size;
    long long after = INT64_MAX;
    if (s_page_size(m->page_size, &size, err) != 0 || s_region_filter(m->region, err) != 0)
        return -1;
    if (*m->page_token) {
        char *end;
        after = strtoll(m->page_token, &end, 10);
        if (*end || after <= 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "page_token",
                               "page_token: not one this service gave");
    }
    char b[2][24];
    const char *p[] = {m->region, s_num(b[0], after), s_num(b[1], size + 1)};
    PGresult *res = x->res = zw_db_exec(x->ctx->db, "xr_log_page", 3, p, err);
    if (!res)
        return -1;
    int n = PQntuples(res), take = n > size ? size : n;
    r.messages = zw_arena_alloc(a, sizeof *r.messages * (size_t) (take ? take : 1));
    for (int i = 0; r.messages && i < take; i++) {
        Zwfw__V1__LinkMessage *l = zw_arena_alloc(a, sizeof *l);
        if (!l)
            break;
        zwfw__v1__link_message__init(l);
        l->id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
        l->inbound = PQgetvalue(res, i, 1)[0] == 't';
        l->region = zw_arena_strdup(a, PQgetvalue(res, i, 2));
        l->key_id = zw_arena_strdup(a, PQgetvalue(res, i, 3));
        l->message_id = zw_arena_strdup(a, PQgetvalue(res, i, 4));
        l->type = zw_arena_strdup(a, PQgetvalue(res, i, 5));
        l->sha256 = zw_arena_strdup(a, PQgetvalue(res, i, 6));
        l->size = strtoll(PQgetvalue(res, i, 7), NULL, 10);
        l->at = zw_arena_ts(a, strtoll(PQgetvalue(res, i, 8), NULL, 10));
        l->outcome = zw_arena_strdup(a, PQgetvalue(res, i, 9));
        r.messages[r.n_messages++] = l;
    }
    if (n > size)
        r.next_page_token = zw_arena_strdup(a, PQgetvalue(res, size - 1, 0));
    zw_reply_message(reply, &r.base);
    return 0;
}

/* ------------------------------------------------------------------ the driver */

/* A read: who may ask (what, for the PERMISSION_DENIED message), its
 * request type, its body, which answers the decoded request (0) or fills
 * err (-1) for the driver to answer, and whether the body's statements
 * must see one snapshot: an exchange is its row, its parts and its
 * history, read by separate statements while the home thread and the
 * links change them; outside a transaction a part could show a change
 * its history does not have yet, or the reverse. */
typedef struct {
    unsigned roles;
    const char *what;
    const ProtobufCMessageDescriptor *desc;
    int (*body)(s_read_t *x, const ProtobufCMessage *m, zw_reply_t *reply, zw_err_t *err);
    bool snapshot;
} s_reader_t;

static const s_reader_t s_readers[] = {
    {S_PARTNER_READERS, "read partners", &zwfw__v1__get_partner__descriptor, s_get_partner, false},
    {S_PARTNER_READERS, "read partners", &zwfw__v1__list_partners__descriptor, s_list_partners,
     false},
    {S_EXCHANGE_READERS, "read exchanges", &zwfw__v1__get_exchange__descriptor, s_get_exchange,
     true},
    {S_EXCHANGE_READERS, "read exchanges", &zwfw__v1__list_exchanges__descriptor, s_list_exchanges,
     true},
    {S_PARTNER_READERS, "read the message log", &zwfw__v1__list_link_messages__descriptor,
     s_list_messages, false},
};

/* One run of a body inside the snapshot's transaction (zw_db_tx may run
 * it again after a serialization failure: the reply is replaced, the
 * arena only grows until the read ends). */
typedef struct {
    const s_reader_t *t;
    s_read_t *x;
    const ProtobufCMessage *m;
    zw_reply_t *reply;
} s_snap_t;

static int s_snap_tx(zw_db_t *db, void *arg, zw_err_t *err)
{
    (void) db;
    s_snap_t *s = arg;
    PQclear(s->x->res);
    s->x->res = NULL;
    return s->t->body(s->x, s->m, s->reply, err);
}

/* SERIALIZABLE for a transaction that only reads is a snapshot, as
 * REPEATABLE READ would be (zw_db_tx offers those two levels). */
static int s_run(const s_reader_t *t, s_read_t *x, const ProtobufCMessage *m, zw_reply_t *reply,
                 zw_err_t *err)
{
    if (!t->snapshot)
        return t->body(x, m, reply, err);
    s_snap_t s = {t, x, m, reply};
    return zw_db_tx(x->ctx->db, true, s_snap_tx, &s, err);
}

static void s_read(const s_reader_t *t, zw_xregion_ctx_t *ctx, const zw_request_t *req,
                   zw_reply_t *reply)
{
    zw_err_t err;
    ProtobufCMessage *m = NULL;
    if (zw_access_require(req->caller, t->roles, NULL, t->what, &err) != 0 ||
        !(m = zw_request_unpack(req, t->desc, &err))) {
        zw_reply_err(reply, &err);
        return;
    }
    s_read_t x = {.ctx = ctx, .c = req->caller, .a = zw_arena_new()};
    if (!x.a)
        zw_err_set(&err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (!x.a || s_run(t, &x, m, reply, &err) != 0)
        zw_reply_err(reply, &err);
    PQclear(x.res);
    zw_arena_destroy(&x.a);
    protobuf_c_message_free_unpacked(m, NULL);
}

bool zw_xregion_read(zw_xregion_ctx_t *ctx, const zw_request_t *req, zw_reply_t *reply)
{
    for (size_t i = 0; i < sizeof s_readers / sizeof s_readers[0]; i++)
        if (strcmp(req->type, s_readers[i].desc->name) == 0) {
            s_read(&s_readers[i], ctx, req, reply);
            return true;
        }
    return false;
}
