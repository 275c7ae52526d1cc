/* Rows into the messages callers see (Application, Notice), and the record
 * of a change: history row, outbox event and audit entry together. */
#include "intake.h"

#include "audit.h"
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Heap building with one out-of-memory flag, so the code reads straight
 * and the check happens once at the end. */
typedef struct {
    bool oom;
} s_pb_t;

static char *s_str(s_pb_t *b, const char *s)
{
    if (!s || !*s)
        return (char *) protobuf_c_empty_string;
    char *copy = strdup(s);
    if (!copy)
        b->oom = true;
    return copy ? copy : (char *) protobuf_c_empty_string;
}

static void *s_new(s_pb_t *b, size_t size)
{
    void *p = calloc(1, size);
    if (!p)
        b->oom = true;
    return p;
}

static Zwfw__V1__Timestamp *s_ts(s_pb_t *b, int64_t us)
{
    if (us < 0)
        return NULL;
    Zwfw__V1__Timestamp *ts = s_new(b, sizeof *ts);
    return ts ? zw_intake_ts(ts, us) : NULL;
}

Zwfw__V1__Timestamp *zw_intake_ts(Zwfw__V1__Timestamp *ts, int64_t us)
{
    if (us < 0)
        return NULL;
    zwfw__v1__timestamp__init(ts);
    int64_t s = us / ZW_US_PER_SEC, rem = us % ZW_US_PER_SEC;
    if (rem < 0) {
        s--;
        rem += ZW_US_PER_SEC;
    }
    ts->seconds = s;
    ts->nanos = (int32_t) (rem * 1000);
    return ts;
}

static char **s_strv(s_pb_t *b, char *const *src, size_t n)
{
    if (n == 0)
        return NULL;
    char **v = s_new(b, n * sizeof(char *));
    for (size_t i = 0; v && i < n; i++)
        v[i] = s_str(b, src[i]);
    return v;
}

bool zw_intake_may_see_pii(const Zwfw__V1__Caller *caller)
{
    return caller && (caller->role == ZWFW__V1__ROLE__ROLE_WINDOW ||
                      caller->role == ZWFW__V1__ROLE__ROLE_APPROVER ||
                      caller->role == ZWFW__V1__ROLE__ROLE_HEAD);
}

const char *zw_intake_key_hex(const zw_intake_row_t *row)
{
    const char *k = row->applicant_key ? row->applicant_key : "";
    return k[0] == '\\' && k[1] == 'x' ? k + 2 : k;
}

void zw_intake_target(const zw_intake_row_t *row, zw_access_target_t *target)
{
    target->region = row->region;
    /* A bundle parent belongs to no department: department-bound roles read
     * the children, which do. */
    target->department = row->department_code[0] ? row->department_code : "(bundle)";
    target->submitter = row->submitter;
}

/* Decrypts a sealed column into a heap string for the message. */
static char *s_open(s_pb_t *b, const char *label, const char *hex, zw_err_t *err, bool *bad)
{
    if (!hex || !*hex || strcmp(hex, "\\x") == 0)
        return (char *) protobuf_c_empty_string;
    size_t len = 0;
    uint8_t *bytes = zw_pii_unhex(hex, &len);
    char *text = bytes ? zw_pii_open(zw_intake_settings()->pii, label, bytes, len, err) : NULL;
    free(bytes);
    if (!text) {
        if (!bytes)
            zw_err_set(err, ZW_DATA_LOSS, "a sealed %s value is not hex", label);
        *bad = true;
        return (char *) protobuf_c_empty_string;
    }
    if (!*text) {
        free(text);
        return (char *) protobuf_c_empty_string;
    }
    (void) b;
    return text;
}

static Zwfw__V1__Applicant *s_applicant(s_pb_t *b, const zw_intake_row_t *r, bool clear,
                                        zw_err_t *err, bool *bad)
{
    Zwfw__V1__Applicant *a = s_new(b, sizeof *a);
    if (!a)
        return NULL;
    zwfw__v1__applicant__init(a);
    a->kind = r->applicant_kind;
    a->identity = s_new(b, sizeof *a->identity);
    if (a->identity) {
        zwfw__v1__identity__init(a->identity);
        a->identity->name = s_str(b, r->applicant_name);
        a->identity->id_type = r->applicant_id_type;
        a->identity->id_number = clear ? s_open(b, "id", r->applicant_id_enc, err, bad)
                                       : s_str(b, r->applicant_id_masked);
    }
    if (r->agent_name[0]) {
        a->agent = s_new(b, sizeof *a->agent);
        if (a->agent) {
            zwfw__v1__identity__init(a->agent);
            a->agent->name = s_str(b, r->agent_name);
            a->agent->id_type = r->agent_id_type;
            a->agent->id_number =
                clear ? s_open(b, "id", r->agent_id_enc, err, bad) : s_str(b, r->agent_id_masked);
        }
    }
    a->phone = clear ? s_open(b, "phone", r->phone_enc, err, bad) : s_str(b, r->phone_masked);
    if (clear)
        a->address = s_open(b, "address", r->address_enc, err, bad);
    return a;
}

typedef struct {
    const zw_intake_hist_t *hist;
    size_t nh;
    const zw_intake_mat_t *mats;
    size_t nm;
    const zw_intake_row_t *kids;
    size_t nk;
} s_known_t;

static void s_fill(s_pb_t *b, const s_known_t *k, Zwfw__V1__Application *app)
{
    if (k->nh && (app->history = s_new(b, k->nh * sizeof *app->history)))
        for (size_t i = 0; i < k->nh; i++) {
            Zwfw__V1__StateChange *c = s_new(b, sizeof *c);
            if (!c)
                break;
            zwfw__v1__state_change__init(c);
            c->state = k->hist[i].state;
            c->at = s_ts(b, k->hist[i].at_us);
            c->actor = s_str(b, k->hist[i].actor);
            c->note = s_str(b, k->hist[i].note);
            c->seq = k->hist[i].seq;
            app->history[app->n_history++] = c;
        }
    if (k->nm && (app->materials = s_new(b, k->nm * sizeof *app->materials)))
        for (size_t i = 0; i < k->nm; i++) {
            const zw_intake_mat_t *src = &k->mats[i];
            Zwfw__V1__MaterialRef *m = s_new(b, sizeof *m);
            if (!m)
                break;
            zwfw__v1__material_ref__init(m);
            m->material_code = s_str(b, src->code);
            m->name = s_str(b, src->name);
            m->media_type = s_str(b, src->media_type);
            m->sha256 = s_str(b, src->sha256);
            m->size = src->size;
            m->uri = s_str(b, src->uri);
            m->original = src->original;
            m->copies = src->copies;
            app->materials[app->n_materials++] = m;
        }
    if (k->nk && (app->children = s_new(b, k->nk * sizeof(char *))))
        for (size_t i = 0; i < k->nk; i++)
            app->children[app->n_children++] = s_str(b, k->kids[i].receipt);
}

static int s_full(s_pb_t *b, zw_db_t *db, const zw_intake_row_t *r, Zwfw__V1__Application *app,
                  zw_err_t *err)
{
    zw_intake_hist_t *hist = NULL;
    zw_intake_mat_t *mats = NULL;
    zw_intake_row_t *kids = NULL;
    size_t nh = 0, nm = 0, nk = 0;
    if (zw_intake_store_history(db, r->receipt, &hist, &nh, err) != 0 ||
        zw_intake_store_materials(db, r->receipt, &mats, &nm, err) != 0 ||
        (r->bundle_code[0] && !r->parent[0] &&
         zw_intake_store_children(db, r->receipt, false, &kids, &nk, err) != 0)) {
        zw_intake_hist_free(hist, nh);
        zw_intake_mats_free(mats, nm);
        return -1;
    }
    s_known_t k = {hist, nh, mats, nm, kids, nk};
    s_fill(b, &k, app);
    zw_intake_hist_free(hist, nh);
    zw_intake_mats_free(mats, nm);
    zw_intake_rows_free(kids, nk);
    return 0;
}

/* The still-missing list of a waiting application, from its last notice. */
static void s_missing(s_pb_t *b, const zw_intake_row_t *r, Zwfw__V1__Application *app)
{
    if (r->state != ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_RECEIVED)
        return;
    Zwfw__V1__Notice *n = zw_intake_notice_unhex(r->notice);
    if (!n)
        return;
    if (n->kind == ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ONE_TIME && n->n_missing &&
        (app->missing = s_new(b, n->n_missing * sizeof *app->missing))) {
        /* move them over: the notice is freed below without them */
        for (size_t i = 0; i < n->n_missing; i++)
            app->missing[app->n_missing++] = n->missing[i];
        free(n->missing);
        n->missing = NULL;
        n->n_missing = 0;
    }
    protobuf_c_message_free_unpacked(&n->base, NULL);
}

/* The application from the row; its history, materials and children read
 * from db when full, or taken from known. */
static Zwfw__V1__Application *s_view(zw_db_t *db, const s_known_t *known, const zw_intake_row_t *r,
                                     bool clear, bool full, zw_err_t *err)
{
    s_pb_t b = {0};
    bool bad = false;
    Zwfw__V1__Application *app = s_new(&b, sizeof *app);
    if (!app) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    zwfw__v1__application__init(app);
    app->receipt_number = s_str(&b, r->receipt);
    app->item_code = s_str(&b, r->item_code);
    app->item_version = r->item_version;
    app->item_name = s_str(&b, r->item_name);
    app->channel = r->channel;
    app->window_id = s_str(&b, r->window_id);
    app->state = r->state;
    app->applicant = s_applicant(&b, r, clear, err, &bad);
    app->received_at = s_ts(&b, r->received_at_us);
    app->accepted_at = s_ts(&b, r->accepted_at_us);
    app->due_at = s_ts(&b, r->due_at_us);
    app->statutory_due_at = s_ts(&b, r->statutory_due_at_us);
    app->completed_at = s_ts(&b, r->completed_at_us);
    app->parent_receipt = s_str(&b, r->parent);
    app->bundle_code = s_str(&b, r->bundle_code);
    app->waived_materials = s_strv(&b, r->waived, r->n_waived);
    if (app->waived_materials)
        app->n_waived_materials = r->n_waived;
    if (r->has_supply_by && (app->supply_by = s_new(&b, sizeof *app->supply_by))) {
        zwfw__v1__date__init(app->supply_by);
        app->supply_by->year = r->supply_by.year;
        app->supply_by->month = r->supply_by.month;
        app->supply_by->day = r->supply_by.day;
    }
    app->handling = r->handling;
    app->department_code = s_str(&b, r->department_code);
    app->deemed_accepted = r->deemed_accepted;
    app->last_seq = r->last_seq;
    app->region = s_str(&b, r->region);
    app->department_name = s_str(&b, r->department_name);
    app->notice_given_at = s_ts(&b, r->notice_given_at_us);
    app->receive_only = r->receive_only;
    if (r->commitment_signed || r->n_committed) {
        app->commitment = s_new(&b, sizeof *app->commitment);
        if (app->commitment) {
            zwfw__v1__commitment__init(app->commitment);
            app->commitment->signed_ = r->commitment_signed;
            app->commitment->material_codes = s_strv(&b, r->committed, r->n_committed);
            if (app->commitment->material_codes)
                app->commitment->n_material_codes = r->n_committed;
        }
    }
    app->commitment_notified = r->commitment_notified;
    app->withdrawal_requested = r->withdrawal_requested;
    app->submitted_by = s_str(&b, r->submitter);
    s_missing(&b, r, app);
    int rc = 0;
    if (known)
        s_fill(&b, known, app);
    else if (full)
        rc = s_full(&b, db, r, app, err);
    if (rc != 0 || bad || b.oom) {
        if (b.oom && rc == 0 && !bad)
            zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        protobuf_c_message_free_unpacked(&app->base, NULL);
        return NULL;
    }
    return app;
}

Zwfw__V1__Application *zw_intake_view(zw_db_t *db, const zw_intake_row_t *r, bool clear, bool full,
                                      zw_err_t *err)
{
    return s_view(db, NULL, r, clear, full, err);
}

Zwfw__V1__Application *zw_intake_view_known(const zw_intake_row_t *row,
                                            const zw_intake_hist_t *hist, size_t nh,
                                            const zw_intake_mat_t *mats, size_t nm, bool clear,
                                            zw_err_t *err)
{
    s_known_t k = {hist, nh, mats, nm, NULL, 0};
    return s_view(NULL, &k, row, clear, true, err);
}

Zwfw__V1__Application *zw_intake_view_load(zw_db_t *db, const char *receipt, bool clear, bool full,
                                           zw_err_t *err)
{
    zw_intake_row_t row;
    if (zw_intake_store_app_get(db, receipt, false, &row, err) != 0)
        return NULL;
    Zwfw__V1__Application *app = zw_intake_view(db, &row, clear, full, err);
    zw_intake_row_free(&row);
    return app;
}

/* ---- notices ----------------------------------------------------------------- */

Zwfw__V1__Notice *zw_intake_notice_unhex(const char *hex)
{
    size_t len = 0;
    uint8_t *bytes = hex && *hex ? zw_pii_unhex(hex, &len) : NULL;
    if (!bytes || len == 0) {
        free(bytes);
        return NULL;
    }
    Zwfw__V1__Notice *n = zwfw__v1__notice__unpack(NULL, len, bytes);
    free(bytes);
    return n;
}

int zw_intake_notice_store(zw_intake_row_t *r, const zw_intake_notice_in_t *in, zw_err_t *err)
{
    Zwfw__V1__Notice n = ZWFW__V1__NOTICE__INIT;
    Zwfw__V1__Timestamp issued, due;
    Zwfw__V1__Date on = ZWFW__V1__DATE__INIT, supply = ZWFW__V1__DATE__INIT;
    zw_date_t day;
    n.kind = in->kind;
    n.receipt_number = r->receipt;
    n.item_code = r->item_code[0] ? r->item_code : r->bundle_code;
    n.item_name = r->item_name;
    n.item_version = r->item_version;
    n.applicant_name = r->applicant_name;
    n.applicant_id_masked = r->applicant_id_masked;
    n.issued_at = zw_intake_ts(&issued, in->issued_at_us);
    if (zw_moment_local(in->issued_at_us / ZW_US_PER_SEC, &day, NULL, NULL) == 0) {
        on.year = day.year;
        on.month = day.month;
        on.day = day.day;
        n.issued_on = &on;
    }
    n.reason = (char *) (in->reason ? in->reason : "");
    n.missing = in->missing;
    n.n_missing = in->n_missing;
    n.due_at = zw_intake_ts(&due, r->due_at_us);
    if (r->has_supply_by) {
        supply.year = r->supply_by.year;
        supply.month = r->supply_by.month;
        supply.day = r->supply_by.day;
        n.supply_by = &supply;
    }
    n.authority = (char *) (in->authority ? in->authority : r->department_name);
    n.authority_code = (char *) (in->authority_code ? in->authority_code : r->department_code);
    n.center = (char *) zw_intake_settings()->center;
    size_t len = zwfw__v1__notice__get_packed_size(&n);
    uint8_t *buf = malloc(len + 1);
    char *hex = malloc(2 * len + 3);
    if (!buf || !hex) {
        free(buf);
        free(hex);
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    }
    zwfw__v1__notice__pack(&n, buf);
    hex[0] = '\\';
    hex[1] = 'x';
    zw_pii_hex(buf, len, hex + 2);
    free(buf);
    free(r->notice);
    r->notice = hex;
    return 0;
}

/* ---- the record of a change ------------------------------------------------------- */

static const char *s_state_name(int state)
{
    static const char *const names[] = {
        "unspecified", "received",         "withdrawn_unaccepted", "accepted",   "not_accepted",
        "refused",     "supplement_start", "supplement_end",       "processing", "special_start",
        "special_end", "approved",         "approved_waiver",      "rejected",   "withdrawn",
        "revoked"};
    return state >= 0 && state <= 15 ? names[state] : "unknown";
}

void zw_intake_capture_free(zw_intake_capture_t *c)
{
    zw_intake_hist_free(c->hist, c->n);
    memset(c, 0, sizeof *c);
}

int zw_intake_emit(zw_intake_tx_t *tx, const zw_intake_row_t *row, const char *action,
                   const ProtobufCMessage *ev, zw_err_t *err)
{
    zw_db_t *db = tx->ctx->db;
    uint8_t stackbuf[1024], *buf = stackbuf;
    size_t len = 0;
    if (ev) {
        len = protobuf_c_message_get_packed_size(ev);
        if (len > sizeof stackbuf && !(buf = malloc(len)))
            return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        protobuf_c_message_pack(ev, buf);
    }
    int rc = 0;
    if (ev)
        rc = zw_outbox_append(db, ZW_INTAKE_STREAM, ev->descriptor->name, row->receipt, tx->now_us,
                              buf, len, err);
    const char *role = tx->caller ? zw_access_role_name(tx->caller->role) : "system";
    zw_audit_entry_t e = {
        .at_us = tx->now_us,
        .actor = tx->actor && *tx->actor ? tx->actor : "zwfw-intake",
        .caller_key_id = tx->caller && tx->caller->key_id ? tx->caller->key_id : "",
        .caller_role = role ? role : "",
        .action = action,
        .object_type = "application",
        .object_id = row->receipt,
        .after = ev ? buf : NULL,
        .after_len = len,
    };
    if (rc == 0)
        rc = zw_audit_append(db, &e, err);
    if (buf != stackbuf)
        free(buf);
    return rc;
}

int zw_intake_record(zw_intake_tx_t *tx, zw_intake_row_t *row, int state, const char *note,
                     const ProtobufCMessage *ev, zw_err_t *err)
{
    row->state = state;
    char action[64];
    snprintf(action, sizeof action, "application.%s", s_state_name(state));
    const char *actor = tx->actor && *tx->actor ? tx->actor : "zwfw-intake";
    if (zw_intake_store_history_add(tx->ctx->db, row->receipt, state, tx->now_us, actor, note, 0,
                                    err) != 0)
        return -1;
    zw_intake_capture_t *c = tx->capture;
    if (c && !c->failed) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 4;
            zw_intake_hist_t *grown = realloc(c->hist, cap * sizeof *grown);
            if (grown) {
                c->hist = grown;
                c->cap = cap;
            }
        }
        zw_intake_hist_t *h = c->n < c->cap ? &c->hist[c->n] : NULL;
        if (h && (h->actor = strdup(actor)) && (h->note = strdup(note ? note : ""))) {
            h->state = state;
            h->at_us = tx->now_us;
            h->seq = 0;
            c->n++;
        } else {
            if (h)
                free(h->actor);
            c->failed = true;
        }
    }
    return zw_intake_emit(tx, row, action, ev, err);
}
