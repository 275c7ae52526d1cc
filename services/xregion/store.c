/* zwfw-xregion's SQL as named prepared statements, and its rows as
 * zwfw.v1 messages (xregion.h). */
#include "xregion.h"

#include "audit.h"
#include "daemon.h"
#include "idem.h"
#include "log.h"
#include "outbox.h"
#include "pbmsg.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *name, *sql;
    int nparams;
} s_stmt_t;

#define S_PARTNER_COLS                                                                             \
    "region, name, endpoint, public_key, enabled, version, updated_at_us, updated_by"
#define S_EXCHANGE_COLS                                                                            \
    "exchange_id, direction, mode, origin_region, channel, window_id, actor, submitted_by,"        \
    " body, identity_checked, created_at_us, done"
#define S_PART_COLS                                                                                \
    "part_no, region, item_code, stage, receipt_number, state, state_at_us, due_at_us,"            \
    " item_name, department_name, reason, array_to_json(missing), error_code, error_message,"      \
    " error_detail, updated_at_us, action_seq, actions_answered, action_error_code,"               \
    " action_error_message"

static const s_stmt_t s_stmts[] = {
    {"xr_partner", "SELECT " S_PARTNER_COLS " FROM xregion.partners WHERE region = $1", 1},
    {"xr_partners", "SELECT " S_PARTNER_COLS " FROM xregion.partners ORDER BY region", 0},
    {"xr_partner_put",
     "INSERT INTO xregion.partners AS p (region, name, endpoint, public_key, enabled,"
     " updated_at_us, updated_by) VALUES ($1, $2, $3, $4, $5::boolean, $6::bigint, $7)"
     " ON CONFLICT (region) DO UPDATE SET name = $2, endpoint = $3, public_key = $4,"
     " enabled = $5::boolean, updated_at_us = $6::bigint, updated_by = $7,"
     " version = p.version + 1",
     7},
    {"xr_partner_key_holder", "SELECT region FROM xregion.partners WHERE public_key = $1", 1},
    {"xr_day_next",
     "INSERT INTO xregion.day_counters AS d (day, last) VALUES ($1::date, 1)"
     " ON CONFLICT (day) DO UPDATE SET last = d.last + 1 RETURNING last",
     1},
    {"xr_exchange_insert",
     "INSERT INTO xregion.exchanges (exchange_id, direction, mode, origin_region, channel,"
     " window_id, actor, submitted_by, body, identity_checked, created_at_us, updated_at_us)"
     " VALUES ($1, $2::smallint, $3::smallint, $4, $5::smallint, $6, $7, $8, $9::bytea,"
     " $10::boolean, $11::bigint, $11::bigint) ON CONFLICT (exchange_id) DO NOTHING"
     " RETURNING exchange_id",
     11},
    {"xr_part_insert",
     "INSERT INTO xregion.parts (exchange_id, part_no, region, item_code, stage, updated_at_us)"
     " VALUES ($1, $2::integer, $3, $4, $5::smallint, $6::bigint)",
     6},
    {"xr_exchange", "SELECT " S_EXCHANGE_COLS " FROM xregion.exchanges WHERE exchange_id = $1", 1},
    {"xr_parts",
     "SELECT " S_PART_COLS " FROM xregion.parts WHERE exchange_id = $1 ORDER BY part_no", 1},
    {"xr_history",
     "SELECT part_no, stage, state, at_us, note FROM xregion.history WHERE exchange_id = $1"
     " ORDER BY seq",
     1},
    /* Locks the exchange, works out `done`, then the history row. */
    {"xr_exchange_touch",
     "UPDATE xregion.exchanges e SET updated_at_us = $2::bigint, done = NOT EXISTS (SELECT 1"
     " FROM xregion.parts p WHERE p.exchange_id = e.exchange_id AND p.stage NOT IN (4, 5))"
     " WHERE exchange_id = $1 RETURNING direction, mode",
     2},
    {"xr_history_add",
     "INSERT INTO xregion.history (exchange_id, seq, part_no, stage, state, at_us, note)"
     " SELECT $1, COALESCE((SELECT max(seq) FROM xregion.history WHERE exchange_id = $1), 0)"
     " + 1, p.part_no, p.stage, p.state, $3::bigint, $4 FROM xregion.parts p"
     " WHERE p.exchange_id = $1 AND p.part_no = $2::integer",
     4},
    {"xr_part_head",
     "SELECT stage, state, receipt_number, region FROM xregion.parts"
     " WHERE exchange_id = $1 AND part_no = $2::integer",
     2},
    {"xr_enqueue",
     "INSERT INTO xregion.outbound (region, message_id, type, body, created_at_us,"
     " exchange_id, part_no) VALUES ($1, $2, $3, $4::bytea, $5::bigint, $6, $7::integer)"
     " ON CONFLICT (message_id) DO NOTHING",
     7},
    {"xr_log",
     "INSERT INTO xregion.message_log (inbound, region, key_id, message_id, type, sha256, size,"
     " at_us, outcome) VALUES ($1::boolean, $2, $3, $4, $5, $6, $7::bigint, $8::bigint, $9)",
     9},
    {"xr_inbound_insert",
     "INSERT INTO xregion.inbound (region, message_id, type, received_at_us)"
     " VALUES ($1, $2, $3, $4::bigint) ON CONFLICT DO NOTHING RETURNING 1",
     4},
    {"xr_part_lock_out",
     "SELECT p.status_seq FROM xregion.parts p JOIN xregion.exchanges e USING (exchange_id)"
     " WHERE p.exchange_id = $1 AND p.part_no = $2::integer AND e.direction = 1"
     " AND p.region = $3 FOR UPDATE OF p",
     3},
    {"xr_status_apply",
     "UPDATE xregion.parts SET status_seq = $3::bigint, stage = $4::smallint,"
     " receipt_number = $5, state = $6::smallint, state_at_us = $7::bigint,"
     " due_at_us = $8::bigint, item_name = $9, department_name = $10, reason = $11,"
     " missing = ARRAY(SELECT json_array_elements_text($12::json)), error_code = $13::integer,"
     " error_message = $14, error_detail = $15, updated_at_us = $16::bigint,"
     " actions_answered = $17::integer, action_error_code = $18::integer,"
     " action_error_message = $19"
     " WHERE exchange_id = $1 AND part_no = $2::integer",
     19},
    {"xr_outbound_done",
     "UPDATE xregion.outbound SET state = $3::smallint, done_at_us = $4::bigint, error = $5"
     " WHERE region = $1 AND message_id = $2 AND state = 0"
     " RETURNING type, exchange_id, part_no, body",
     5},
    {"xr_part_delivered",
     "UPDATE xregion.parts SET stage = $3::smallint, error_code = $4::integer,"
     " error_message = $5, error_detail = $6, updated_at_us = $7::bigint"
     " WHERE exchange_id = $1 AND part_no = $2::integer AND stage = 1 RETURNING 1",
     7},
    {"xr_part_status_next",
     "UPDATE xregion.parts p SET status_seq = p.status_seq + 1 FROM xregion.exchanges e"
     " WHERE e.exchange_id = p.exchange_id AND e.direction = 2 AND p.exchange_id = $1"
     " AND p.part_no = $2::integer RETURNING p.status_seq, p.region, p.stage,"
     " p.receipt_number, p.state, p.state_at_us, p.due_at_us, p.item_name, p.department_name,"
     " p.reason, array_to_json(p.missing), p.error_code, p.error_message, p.error_detail,"
     " p.actions_answered, p.action_error_code, p.action_error_message",
     2},
    {"xr_part_is_local",
     "SELECT 1 FROM xregion.parts p JOIN xregion.exchanges e USING (exchange_id)"
     " WHERE p.exchange_id = $1 AND p.part_no = $2::integer AND e.direction = 1"
     " AND p.region = $3",
     3},
    {"xr_part_action_next",
     "UPDATE xregion.parts SET action_seq = action_seq + 1 WHERE exchange_id = $1"
     " AND part_no = $2::integer RETURNING action_seq, region",
     2},
    {"xr_part_lock_in",
     "SELECT p.receipt_number FROM xregion.parts p JOIN xregion.exchanges e USING (exchange_id)"
     " WHERE p.exchange_id = $1 AND p.part_no = $2::integer AND e.direction = 2"
     " AND p.region = $3 FOR UPDATE OF p",
     3},
    {"xr_action_insert",
     "INSERT INTO xregion.actions (exchange_id, part_no, seq, kind, body, received_at_us)"
     " VALUES ($1, $2::integer, $3::integer, $4::smallint, $5::bytea, $6::bigint)"
     " ON CONFLICT DO NOTHING RETURNING 1",
     6},
    {"xr_outbound_prune",
     "DELETE FROM xregion.outbound WHERE state <> 0 AND done_at_us < $1::bigint", 1},
    {"xr_outbound_counts",
     "SELECT count(*) FILTER (WHERE state = 0), count(*) FILTER (WHERE state = 2)"
     " FROM xregion.outbound WHERE region = $1",
     1},
    {"xr_outbound_pending",
     "SELECT message_id, type, body FROM xregion.outbound WHERE region = $1 AND state = 0"
     " ORDER BY id LIMIT $2::integer",
     2},
    {"xr_exchange_submitter",
     "SELECT submitted_by FROM xregion.exchanges WHERE exchange_id = $1 AND direction = 1", 1},
    {"xr_exchange_page",
     "SELECT e.exchange_id, e.created_at_us FROM xregion.exchanges e"
     " WHERE ($1::smallint = 0 OR e.direction = $1::smallint)"
     " AND ($2 = '' OR EXISTS (SELECT 1 FROM xregion.parts p WHERE p.exchange_id = e.exchange_id"
     " AND p.region = $2)) AND (NOT $3::boolean OR NOT e.done)"
     " AND (e.created_at_us < $4::bigint OR (e.created_at_us = $4::bigint"
     " AND e.exchange_id COLLATE \"C\" < $5))"
     " AND ($6 = '' OR (e.submitted_by = $6 AND e.direction = 1))"
     " ORDER BY e.created_at_us DESC, e.exchange_id COLLATE \"C\" DESC LIMIT $7::integer",
     7},
    {"xr_log_page",
     "SELECT id, inbound, region, key_id, message_id, type, sha256, size, at_us, outcome"
     " FROM xregion.message_log WHERE ($1 = '' OR region = $1) AND id < $2::bigint"
     " ORDER BY id DESC LIMIT $3::integer",
     3},
};

int zw_xregion_store_prepare(zw_db_t *db, zw_err_t *err)
{
    for (size_t i = 0; i < sizeof s_stmts / sizeof s_stmts[0]; i++)
        if (zw_db_prepare(db, s_stmts[i].name, s_stmts[i].sql, s_stmts[i].nparams, err) != 0)
            return -1;
    return zw_idem_prepare(db, ZW_XREGION_REQUESTS, err);
}

/* ------------------------------------------------------------------ context */

zw_xregion_ctx_t *zw_xregion_ctx_new(const char *conninfo, bool simulated,
                                     const zw_xregion_settings_t *settings)
{
    zw_xregion_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->settings = settings;
    int rc =
        zw_daemon_ctx_open(conninfo, simulated, zw_xregion_store_prepare, &ctx->db, &ctx->clock);
    if (rc != 0)
        zw_xregion_ctx_destroy(&ctx);
    return ctx;
}

void zw_xregion_ctx_destroy(zw_xregion_ctx_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_daemon_ctx_close(&(*self_p)->db, &(*self_p)->clock);
    free(*self_p);
    *self_p = NULL;
}

int zw_xregion_now(zw_xregion_ctx_t *ctx, int64_t *now_us, zw_err_t *err)
{
    return zw_clock_now(ctx->clock, now_us, err);
}

const char *zw_xregion_region_name(const zw_xregion_settings_t *s, const char *code)
{
    const char *n = s->regions ? zw_regions_name(s->regions, code) : NULL;
    return n ? n : "";
}

/* ------------------------------------------------------------------ rows */

static char *s_str(zw_arena_t *a, PGresult *res, int row, int col)
{
    return zw_arena_strdup(a, PQgetvalue(res, row, col));
}

static int64_t s_i64(PGresult *res, int row, int col, int64_t null_value)
{
    if (PQgetisnull(res, row, col))
        return null_value;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static bool s_bool(PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

static Zwfw__V1__Timestamp *s_ts(zw_arena_t *a, int64_t us)
{
    return us < 0 ? NULL : zw_arena_ts(a, us);
}

static Zwfw__V1__Partner *s_partner_row(zw_arena_t *a, PGresult *res, int row)
{
    Zwfw__V1__Partner *p = zw_arena_alloc(a, sizeof *p);
    if (!p)
        return NULL;
    zwfw__v1__partner__init(p);
    p->region = s_str(a, res, row, 0);
    p->name = s_str(a, res, row, 1);
    p->endpoint = s_str(a, res, row, 2);
    p->public_key = s_str(a, res, row, 3);
    p->enabled = s_bool(res, row, 4);
    p->version = (int32_t) s_i64(res, row, 5, 0);
    p->updated_at = s_ts(a, s_i64(res, row, 6, -1));
    p->updated_by = s_str(a, res, row, 7);
    p->last_heard_ms_ago = -1;
    p->last_error = "";
    if (!p->region || !p->name || !p->endpoint || !p->public_key || !p->updated_by)
        return NULL;
    return p;
}

int zw_xregion_store_partner(zw_db_t *db, zw_arena_t *a, const char *region,
                             Zwfw__V1__Partner **out, zw_err_t *err)
{
    *out = NULL;
    const char *p[] = {region};
    PGresult *res = zw_db_exec(db, "xr_partner", 1, p, err);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples(res) == 1 && !(*out = s_partner_row(a, res, 0)))
        rc = zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    PQclear(res);
    return rc;
}

int zw_xregion_store_partners(zw_db_t *db, zw_arena_t *a, Zwfw__V1__Partner ***out, size_t *n,
                              zw_err_t *err)
{
    *out = NULL;
    *n = 0;
    PGresult *res = zw_db_exec(db, "xr_partners", 0, NULL, err);
    if (!res)
        return -1;
    int rows = PQntuples(res), rc = 0;
    Zwfw__V1__Partner **v = zw_arena_alloc(a, sizeof *v * (size_t) (rows ? rows : 1));
    for (int i = 0; v && i < rows && rc == 0; i++)
        if (!(v[i] = s_partner_row(a, res, i)))
            rc = -1;
    PQclear(res);
    if (!v || rc)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    *out = v;
    *n = (size_t) rows;
    return 0;
}

/* An identity copied into the arena; masked unless clear. */
static Zwfw__V1__Identity *s_identity(zw_arena_t *a, const Zwfw__V1__Identity *src, bool clear)
{
    if (!src)
        return NULL;
    Zwfw__V1__Identity *d = zw_arena_alloc(a, sizeof *d);
    if (!d)
        return NULL;
    zwfw__v1__identity__init(d);
    d->name = zw_arena_strdup(a, src->name);
    d->id_type = src->id_type;
    char m[96];
    d->id_number =
        zw_arena_strdup(a, clear ? src->id_number : zw_mask_id(src->id_number, m, sizeof m));
    return d->name && d->id_number ? d : NULL;
}

static Zwfw__V1__Applicant *s_applicant(zw_arena_t *a, const Zwfw__V1__Applicant *src, bool clear)
{
    if (!src)
        return NULL;
    Zwfw__V1__Applicant *d = zw_arena_alloc(a, sizeof *d);
    if (!d)
        return NULL;
    zwfw__v1__applicant__init(d);
    d->kind = src->kind;
    d->identity = s_identity(a, src->identity, clear);
    d->agent = s_identity(a, src->agent, clear);
    char m[64];
    d->phone = zw_arena_strdup(a, clear ? src->phone : zw_mask_phone(src->phone, m, sizeof m));
    d->address = zw_arena_strdup(a, clear ? src->address : "");
    return d->phone && d->address ? d : NULL;
}

/* The sealed body (hex of the packed XrForward, sealed as text): opened
 * and unpacked, kept by the arena. */
static Zwfw__V1__XrForward *s_open_body(zw_xregion_ctx_t *ctx, zw_arena_t *a, const char *bytea,
                                        zw_err_t *err)
{
    size_t n = 0;
    uint8_t *sealed = zw_pii_unhex(bytea, &n);
    if (!sealed)
        return zw_err_set(err, ZW_DATA_LOSS, "an exchange body is not bytea"), NULL;
    char *hex = zw_pii_open(ctx->settings->pii, ZW_XREGION_SEAL_BODY, sealed, n, err);
    free(sealed);
    if (!hex)
        return NULL;
    size_t len = strlen(hex) / 2;
    uint8_t *raw = malloc(len ? len : 1);
    size_t got = 0;
    Zwfw__V1__XrForward *f = NULL;
    if (raw && sodium_hex2bin(raw, len, hex, strlen(hex), NULL, &got, NULL) == 0)
        f = zwfw__v1__xr_forward__unpack(NULL, got, raw);
    free(raw);
    sodium_memzero(hex, strlen(hex));
    free(hex);
    if (!f)
        return zw_err_set(err, ZW_DATA_LOSS, "an exchange body does not decode"), NULL;
    if (zw_arena_keep_message(a, &f->base) != 0) {
        zwfw__v1__xr_forward__free_unpacked(f, NULL);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory"), NULL;
    }
    return f;
}

int zw_xregion_seal(zw_xregion_ctx_t *ctx, const char *label, const ProtobufCMessage *msg,
                    char **bytea_hex, zw_err_t *err)
{
    *bytea_hex = NULL;
    size_t len;
    uint8_t *raw = zw_pbmsg_pack(msg, &len);
    char *hex = raw ? malloc(2 * len + 1) : NULL;
    if (!hex) {
        free(raw);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    zw_pii_hex(raw, len, hex);
    sodium_memzero(raw, len);
    free(raw);
    uint8_t *sealed = NULL;
    size_t slen = 0;
    int rc = zw_pii_seal(ctx->settings->pii, label, hex, &sealed, &slen, err);
    sodium_memzero(hex, 2 * len);
    free(hex);
    if (rc != 0)
        return -1;
    char *out = malloc(2 * slen + 3);
    if (out) {
        out[0] = '\\';
        out[1] = 'x';
        zw_pii_hex(sealed, slen, out + 2);
    }
    free(sealed);
    if (!out)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    *bytea_hex = out;
    return 0;
}

uint8_t *zw_xregion_unseal(zw_xregion_ctx_t *ctx, const char *label, const char *bytea, size_t *len,
                           zw_err_t *err)
{
    size_t n = 0;
    uint8_t *sealed = zw_pii_unhex(bytea, &n);
    if (!sealed)
        return zw_err_set(err, ZW_DATA_LOSS, "a sealed column is not bytea"), NULL;
    char *hex = zw_pii_open(ctx->settings->pii, label, sealed, n, err);
    free(sealed);
    if (!hex)
        return NULL;
    size_t hl = strlen(hex), got = 0;
    uint8_t *raw = malloc(hl / 2 + 1);
    if (raw && sodium_hex2bin(raw, hl / 2 + 1, hex, hl, NULL, &got, NULL) != 0) {
        free(raw);
        raw = NULL;
    }
    sodium_memzero(hex, hl);
    free(hex);
    if (!raw)
        return zw_err_set(err, ZW_DATA_LOSS, "a sealed column does not decode"), NULL;
    *len = got;
    return raw;
}

static Zwfw__V1__ExchangePart *s_part_row(zw_xregion_ctx_t *ctx, zw_arena_t *a, PGresult *res,
                                          int r)
{
    Zwfw__V1__ExchangePart *p = zw_arena_alloc(a, sizeof *p);
    if (!p)
        return NULL;
    zwfw__v1__exchange_part__init(p);
    p->part_no = (int32_t) s_i64(res, r, 0, 0);
    p->region = s_str(a, res, r, 1);
    p->region_name =
        zw_arena_strdup(a, zw_xregion_region_name(ctx->settings, PQgetvalue(res, r, 1)));
    p->item_code = s_str(a, res, r, 2);
    p->stage = (Zwfw__V1__PartStage) s_i64(res, r, 3, 0);
    p->receipt_number = s_str(a, res, r, 4);
    p->state = (Zwfw__V1__ApplicationState) s_i64(res, r, 5, 0);
    p->state_at = s_ts(a, s_i64(res, r, 6, -1));
    p->due_at = s_ts(a, s_i64(res, r, 7, -1));
    p->item_name = s_str(a, res, r, 8);
    p->department_name = s_str(a, res, r, 9);
    p->reason = s_str(a, res, r, 10);
    cJSON *missing = cJSON_Parse(PQgetvalue(res, r, 11));
    int nm = cJSON_IsArray(missing) ? cJSON_GetArraySize(missing) : 0;
    if (nm > 0 && (p->missing = zw_arena_alloc(a, sizeof(char *) * (size_t) nm))) {
        for (int i = 0; i < nm; i++) {
            const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(missing, i));
            p->missing[p->n_missing++] = zw_arena_strdup(a, s ? s : "");
        }
    }
    cJSON_Delete(missing);
    int code = (int) s_i64(res, r, 12, 0);
    if (code != 0 && (p->error = zw_arena_alloc(a, sizeof *p->error))) {
        zwfw__v1__error__init(p->error);
        p->error->code = (Zwfw__V1__Code) code;
        p->error->message = s_str(a, res, r, 13);
        const char *detail = PQgetvalue(res, r, 14);
        if (*detail) {
            Zwfw__V1__Error__DetailsEntry *e = zw_arena_alloc(a, sizeof *e);
            Zwfw__V1__Error__DetailsEntry **v = zw_arena_alloc(a, sizeof *v);
            if (e && v) {
                zwfw__v1__error__details_entry__init(e);
                e->key = "detail";
                e->value = zw_arena_strdup(a, detail);
                v[0] = e;
                p->error->details = v;
                p->error->n_details = 1;
            }
        }
    }
    p->updated_at = s_ts(a, s_i64(res, r, 15, -1));
    p->actions_sent = (int32_t) s_i64(res, r, 16, 0);
    p->actions_answered = (int32_t) s_i64(res, r, 17, 0);
    int acode = (int) s_i64(res, r, 18, 0);
    if (acode != 0 && (p->last_action_error = zw_arena_alloc(a, sizeof *p->last_action_error))) {
        zwfw__v1__error__init(p->last_action_error);
        p->last_action_error->code = (Zwfw__V1__Code) acode;
        p->last_action_error->message = s_str(a, res, r, 19);
    }
    return p->region && p->item_code && p->receipt_number ? p : NULL;
}

int zw_xregion_store_exchange(zw_xregion_ctx_t *ctx, zw_db_t *db, zw_arena_t *a, const char *id,
                              bool history, bool clear, Zwfw__V1__Exchange **out, zw_err_t *err)
{
    *out = NULL;
    const char *p[] = {id};
    PGresult *res = zw_db_exec(db, "xr_exchange", 1, p, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return 0;
    }
    Zwfw__V1__Exchange *x = zw_arena_alloc(a, sizeof *x);
    if (!x) {
        PQclear(res);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    zwfw__v1__exchange__init(x);
    x->exchange_id = s_str(a, res, 0, 0);
    x->direction = (Zwfw__V1__ExchangeDirection) s_i64(res, 0, 1, 0);
    x->mode = (Zwfw__V1__CrossMode) s_i64(res, 0, 2, 0);
    x->origin_region = s_str(a, res, 0, 3);
    x->channel = (Zwfw__V1__Channel) s_i64(res, 0, 4, 0);
    x->window_id = s_str(a, res, 0, 5);
    x->actor = s_str(a, res, 0, 6);
    x->identity_checked = s_bool(res, 0, 9);
    x->created_at = s_ts(a, s_i64(res, 0, 10, -1));
    Zwfw__V1__XrForward *body = s_open_body(ctx, a, PQgetvalue(res, 0, 8), err);
    PQclear(res);
    if (!body)
        return -1;
    x->applicant = s_applicant(a, body->applicant, clear);
    x->materials = body->materials;
    x->n_materials = body->n_materials;
    x->note = body->note;
    if (!(res = zw_db_exec(db, "xr_parts", 1, p, err)))
        return -1;
    int n = PQntuples(res), rc = 0;
    x->parts = zw_arena_alloc(a, sizeof *x->parts * (size_t) (n ? n : 1));
    for (int i = 0; x->parts && i < n && rc == 0; i++)
        if ((x->parts[x->n_parts++] = s_part_row(ctx, a, res, i)) == NULL)
            rc = -1;
    PQclear(res);
    if (!x->parts || rc)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    /* `done` as the parts just read show it, not the column read by the
     * statement before: outside a transaction (GetExchange) a part closed
     * between the two reads would show CLOSED beside a `done` still false.
     * Parts never reopen, so this is the column's value at or after that
     * read (xr_exchange_touch keeps the same rule). */
    x->done = x->n_parts > 0;
    for (size_t i = 0; i < x->n_parts; i++)
        if (x->parts[i]->stage != ZWFW__V1__PART_STAGE__PART_STAGE_REJECTED &&
            x->parts[i]->stage != ZWFW__V1__PART_STAGE__PART_STAGE_CLOSED)
            x->done = false;
    if (history) {
        if (!(res = zw_db_exec(db, "xr_history", 1, p, err)))
            return -1;
        n = PQntuples(res);
        x->history = zw_arena_alloc(a, sizeof *x->history * (size_t) (n ? n : 1));
        for (int i = 0; x->history && i < n; i++) {
            Zwfw__V1__ExchangeStep *s = zw_arena_alloc(a, sizeof *s);
            if (!s) {
                rc = -1;
                break;
            }
            zwfw__v1__exchange_step__init(s);
            s->part_no = (int32_t) s_i64(res, i, 0, 0);
            s->stage = (Zwfw__V1__PartStage) s_i64(res, i, 1, 0);
            s->state = (Zwfw__V1__ApplicationState) s_i64(res, i, 2, 0);
            s->at = s_ts(a, s_i64(res, i, 3, -1));
            s->note = s_str(a, res, i, 4);
            x->history[x->n_history++] = s;
        }
        PQclear(res);
        if (!x->history || rc)
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (!x->exchange_id || !x->origin_region || !x->window_id || !x->actor)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    *out = x;
    return 0;
}

int zw_xregion_store_changed(zw_db_t *db, const char *exchange_id, int part_no, int64_t now_us,
                             const char *note, zw_err_t *err)
{
    char now[24], pn[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(pn, sizeof pn, "%d", part_no);
    const char *t[] = {exchange_id, now};
    PGresult *res = zw_db_exec(db, "xr_exchange_touch", 2, t, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return zw_err_set(err, ZW_NOT_FOUND, "no exchange %s", exchange_id);
    }
    Zwfw__V1__ExchangeChanged ev = ZWFW__V1__EXCHANGE_CHANGED__INIT;
    ev.direction = (Zwfw__V1__ExchangeDirection) s_i64(res, 0, 0, 0);
    ev.mode = (Zwfw__V1__CrossMode) s_i64(res, 0, 1, 0);
    PQclear(res);
    const char *h[] = {exchange_id, pn, now, note ? note : ""};
    if (!(res = zw_db_exec(db, "xr_history_add", 4, h, err)))
        return -1;
    PQclear(res);
    if (!(res = zw_db_exec(db, "xr_part_head", 2, h, err)))
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return zw_err_set(err, ZW_NOT_FOUND, "no part %d of exchange %s", part_no, exchange_id);
    }
    Zwfw__V1__Timestamp at = ZWFW__V1__TIMESTAMP__INIT;
    at.seconds = now_us / 1000000;
    at.nanos = (int32_t) (now_us % 1000000) * 1000;
    ev.exchange_id = (char *) exchange_id;
    ev.part_no = part_no;
    ev.stage = (Zwfw__V1__PartStage) s_i64(res, 0, 0, 0);
    ev.state = (Zwfw__V1__ApplicationState) s_i64(res, 0, 1, 0);
    ev.receipt_number = PQgetvalue(res, 0, 2);
    ev.region = PQgetvalue(res, 0, 3);
    ev.at = &at;
    size_t len;
    uint8_t *buf = zw_pbmsg_pack(&ev.base, &len);
    int rc = buf ? zw_outbox_append(db, ZW_XREGION_STREAM, ev.base.descriptor->name, exchange_id,
                                    now_us, buf, len, err)
                 : zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    if (rc == 0) {
        /* every change of a part is audited, whoever caused it (a request,
         * the partner's message, the home intake's event) */
        char oid[96];
        snprintf(oid, sizeof oid, "%s/%d", exchange_id, part_no);
        zw_audit_entry_t e = {
            .at_us = now_us,
            .actor = ZW_XREGION_PRODUCER,
            .caller_key_id = ZW_XREGION_PRODUCER,
            .caller_role = "system",
            .action = "xregion.part.change",
            .object_type = "xregion.part",
            .object_id = oid,
            .after = buf,
            .after_len = len,
        };
        rc = zw_audit_append(db, &e, err);
    }
    free(buf);
    PQclear(res);
    return rc;
}

int zw_xregion_store_enqueue(zw_xregion_ctx_t *ctx, zw_db_t *db, const char *region,
                             const char *message_id, const char *exchange_id, int part_no,
                             const ProtobufCMessage *msg, int64_t now_us, zw_err_t *err)
{
    char *body = NULL;
    if (zw_xregion_seal(ctx, ZW_XREGION_SEAL_MSG, msg, &body, err) != 0)
        return -1;
    char now[24], pn[16];
    snprintf(now, sizeof now, "%" PRId64, now_us);
    snprintf(pn, sizeof pn, "%d", part_no);
    const char *p[] = {region, message_id, msg->descriptor->name, body, now, exchange_id, pn};
    PGresult *res = zw_db_exec(db, "xr_enqueue", 7, p, err);
    free(body);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int zw_xregion_store_log(zw_db_t *db, bool inbound, const char *region, const char *key_id,
                         const char *message_id, const char *type, const void *data, size_t len,
                         int64_t now_us, const char *outcome, zw_err_t *err)
{
    uint8_t h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    char hex[2 * sizeof h + 1], size[24], now[24];
    zw_pii_hex(h, sizeof h, hex);
    snprintf(size, sizeof size, "%zu", len);
    snprintf(now, sizeof now, "%" PRId64, now_us);
    const char *p[] = {
        inbound ? "true" : "false", region, key_id, message_id, type, hex, size, now, outcome};
    PGresult *res = zw_db_exec(db, "xr_log", 9, p, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}
