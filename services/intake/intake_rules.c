#include "intake_rules.h"

#include "material_ref.h"
#include "validate.h"

#include <stdio.h>
#include <string.h>

#define S_STATE(x) ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_##x

bool zw_intake_token_ok(const char *text, size_t max)
{
    if (!text || !*text)
        return false;
    size_t n = 0;
    for (const char *p = text; *p; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == ':' || c == '-';
        if (!ok || n >= max)
            return false;
    }
    return true;
}

bool zw_intake_text_ok(const char *text, bool required, size_t max_chars, size_t max_bytes)
{
    if (!text || !*text)
        return !required;
    if (strlen(text) > max_bytes)
        return false;
    long n = zw_validate_text_chars(text);
    return n >= 0 && (size_t) n <= max_chars;
}

static bool s_all(const char *s, size_t from, size_t to, const char *set)
{
    for (size_t i = from; i < to; i++)
        if (!s[i] || !strchr(set, s[i]))
            return false;
    return true;
}

#define S_DIGITS "0123456789"
#define S_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

static int s_bad(zw_err_t *err, const char *path, const char *what)
{
    return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: %s", path, what);
}

int zw_intake_check_identity(const Zwfw__V1__Identity *id, bool person, int today, const char *path,
                             zw_err_t *err)
{
    char field[160];
    if (!id)
        return s_bad(err, path, "missing");
    snprintf(field, sizeof field, "%s.name", path);
    if (!zw_intake_text_ok(id->name, true, ZW_INTAKE_MAX_NAME_CHARS, ZW_INTAKE_MAX_NAME))
        return s_bad(err, field,
                     !id->name || !*id->name ? "missing"
                                             : "must be 1-100 characters of text (no control "
                                               "characters)");
    snprintf(field, sizeof field, "%s.id_number", path);
    const char *n = id->id_number ? id->id_number : "";
    size_t len = strlen(n);
    if (!*n)
        return s_bad(err, field, "missing");
    if (len > 32)
        return s_bad(err, field, "too long (at most 32 characters)");
    zw_err_t verr;
    switch (id->id_type) {
    case ZWFW__V1__ID_TYPE__ID_TYPE_RESIDENT_ID:
        if (!person)
            break;
        if (zw_validate_resident_id_on(n, today, &verr) != 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s: not a valid resident ID: %s",
                               field, verr.message);
        return 0;
    case ZWFW__V1__ID_TYPE__ID_TYPE_PASSPORT:
        if (!person)
            break;
        if (len < 5 || len > 20 || !s_all(n, 0, len, S_DIGITS S_UPPER))
            return s_bad(err, field, "a passport number is 5-20 digits or upper-case letters");
        return 0;
    case ZWFW__V1__ID_TYPE__ID_TYPE_HK_MACAO_PERMIT:
        if (!person)
            break;
        if (!((len == 9 || len == 11) && (n[0] == 'H' || n[0] == 'M') &&
              s_all(n, 1, len, S_DIGITS)))
            return s_bad(err, field,
                         "a Hong Kong/Macao permit number is H or M and 8 or 10 digits");
        return 0;
    case ZWFW__V1__ID_TYPE__ID_TYPE_TAIWAN_PERMIT:
        if (!person)
            break;
        if (!((len == 8 || len == 10) && s_all(n, 0, len, S_DIGITS)))
            return s_bad(err, field, "a Taiwan permit number is 8 or 10 digits");
        return 0;
    case ZWFW__V1__ID_TYPE__ID_TYPE_FOREIGN_PERMANENT:
        if (!person)
            break;
        if (zw_validate_foreign_permanent_on(n, today, &verr) != 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, field, "%s: %s", field, verr.message);
        return 0;
    case ZWFW__V1__ID_TYPE__ID_TYPE_USCC:
        if (person)
            break;
        if (zw_validate_uscc(n, &verr) != 0)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, field,
                               "%s: not a valid unified social credit code: %s", field,
                               verr.message);
        return 0;
    default:
        snprintf(field, sizeof field, "%s.id_type", path);
        return s_bad(err, field, "unknown or missing ID type");
    }
    snprintf(field, sizeof field, "%s.id_type", path);
    return s_bad(err, field,
                 person ? "a person needs a person's document (resident ID, passport, permit)"
                        : "an organization is identified by its unified social credit code");
}

static bool s_phone_ok(const char *p)
{
    size_t len = strlen(p), digits = 0;
    if (len > 20)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (!((c == '+' && i == 0) || ((c == '-' || c == ' ') && i > 0)))
            return false;
    }
    return digits >= 3;
}

static bool s_identity_empty(const Zwfw__V1__Identity *id)
{
    return !id || ((!id->name || !*id->name) && (!id->id_number || !*id->id_number) &&
                   id->id_type == ZWFW__V1__ID_TYPE__ID_TYPE_UNSPECIFIED);
}

int zw_intake_check_applicant(const Zwfw__V1__Applicant *a, int today, zw_err_t *err)
{
    if (!a)
        return s_bad(err, "applicant", "missing");
    bool person;
    if (a->kind == ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_PERSON)
        person = true;
    else if (a->kind == ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_ORGANIZATION)
        person = false;
    else
        return s_bad(err, "applicant.kind", "must be APPLICANT_KIND_PERSON or _ORGANIZATION");
    if (zw_intake_check_identity(a->identity, person, today, "applicant.identity", err) != 0)
        return -1;
    if (!s_identity_empty(a->agent) &&
        zw_intake_check_identity(a->agent, true, today, "applicant.agent", err) != 0)
        return -1;
    if (a->phone && *a->phone && !s_phone_ok(a->phone))
        return s_bad(err, "applicant.phone",
                     "at most 20 characters: digits, a leading +, and - or blanks between");
    if (!zw_intake_text_ok(a->address, false, ZW_INTAKE_MAX_ADDRESS, ZW_INTAKE_MAX_ADDRESS))
        return s_bad(err, "applicant.address", "at most 600 bytes of text");
    return 0;
}

int zw_intake_check_material(const Zwfw__V1__MaterialRef *m, const char *path, zw_err_t *err)
{
    /* one rule for every service that stores references (workflow's Act too) */
    return zw_material_ref_check(m, path, err);
}

int zw_intake_check_materials(Zwfw__V1__MaterialRef *const *refs, size_t n, const char *path,
                              zw_err_t *err)
{
    if (n > ZW_INTAKE_MAX_MATERIALS)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, path, "%s: at most %d materials", path,
                           ZW_INTAKE_MAX_MATERIALS);
    for (size_t i = 0; i < n; i++) {
        char p[64];
        snprintf(p, sizeof p, "%s[%zu]", path, i);
        if (zw_intake_check_material(refs[i], p, err) != 0)
            return -1;
    }
    return 0;
}

int zw_intake_check_channel(int role, int channel, const char *window_id, zw_err_t *err)
{
    if (channel < ZWFW__V1__CHANNEL__CHANNEL_WINDOW ||
        channel > ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM)
        return s_bad(err, "channel", "must be one of CHANNEL_WINDOW ... CHANNEL_OTHER_SYSTEM");
    /* Systems submit as systems: an integrator (another government
     * system) and zwfw's own daemons (zwfw-xregion, for a partner's
     * exchange) only on CHANNEL_OTHER_SYSTEM, staff never on it. */
    bool integrator = role == ZWFW__V1__ROLE__ROLE_INTEGRATOR;
    bool machine = integrator || role == ZWFW__V1__ROLE__ROLE_SYSTEM;
    bool other = channel == ZWFW__V1__CHANNEL__CHANNEL_OTHER_SYSTEM;
    if (machine != other)
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "channel",
                           integrator ? "an integrator submits only on CHANNEL_OTHER_SYSTEM"
                           : machine  ? "a zwfw daemon submits only on CHANNEL_OTHER_SYSTEM"
                                      : "CHANNEL_OTHER_SYSTEM is for integrator keys only");
    if (window_id && *window_id && !zw_intake_token_ok(window_id, ZW_INTAKE_MAX_WINDOW))
        return s_bad(err, "window_id", "1-64 characters of letters, digits, '_', '.', ':' or '-'");
    if ((channel == ZWFW__V1__CHANNEL__CHANNEL_WINDOW ||
         channel == ZWFW__V1__CHANNEL__CHANNEL_KIOSK) &&
        (!window_id || !*window_id))
        return s_bad(err, "window_id", "a window or kiosk submission names its window or terminal");
    return 0;
}

int zw_intake_check_key_actor(const char *key, const char *actor, zw_err_t *err)
{
    if (!key || !*key)
        return s_bad(err, "idempotency_key", "missing");
    if (!zw_intake_token_ok(key, ZW_INTAKE_MAX_KEY))
        return s_bad(err, "idempotency_key",
                     "1-128 characters of letters, digits, '_', '.', ':' or '-'");
    return zw_validate_actor(actor, err);
}

int zw_intake_check_submit(const Zwfw__V1__SubmitApplication *req, int role, int today,
                           zw_err_t *err)
{
    if (zw_intake_check_key_actor(req->idempotency_key, req->actor, err) != 0)
        return -1;
    bool item = req->item_code && *req->item_code;
    bool bundle = req->bundle_code && *req->bundle_code;
    if (item == bundle)
        return s_bad(err, item ? "bundle_code" : "item_code",
                     item ? "give item_code or bundle_code, not both"
                          : "missing (or give bundle_code)");
    const char *code = item ? req->item_code : req->bundle_code;
    if (!zw_intake_token_ok(code, ZW_INTAKE_MAX_CODE))
        return s_bad(err, item ? "item_code" : "bundle_code",
                     "1-128 characters of letters, digits, '_', '.', ':' or '-'");
    if (zw_intake_check_channel(role, req->channel, req->window_id, err) != 0)
        return -1;
    if (zw_intake_check_applicant(req->applicant, today, err) != 0)
        return -1;
    if (zw_intake_check_materials(req->materials, req->n_materials, "materials", err) != 0)
        return -1;
    for (size_t i = 0; i < req->n_materials; i++) {
        const char *for_item = req->materials[i]->item_code;
        char p[48];
        snprintf(p, sizeof p, "materials[%zu].item_code", i);
        if (for_item && *for_item && !zw_intake_token_ok(for_item, ZW_INTAKE_MAX_CODE))
            return s_bad(err, p, "not an item code");
        if (item && for_item && *for_item && strcmp(for_item, req->item_code) != 0)
            return s_bad(err, p, "names another item than the one submitted");
    }
    if (req->commitment) {
        if (req->commitment->n_material_codes > ZW_INTAKE_MAX_MATERIALS)
            return s_bad(err, "commitment.material_codes", "at most 100 codes");
        for (size_t i = 0; i < req->commitment->n_material_codes; i++)
            if (!zw_intake_token_ok(req->commitment->material_codes[i], ZW_INTAKE_MAX_CODE))
                return s_bad(err, "commitment.material_codes", "not a material code");
        if (req->commitment->n_material_codes && !req->commitment->signed_)
            return s_bad(err, "commitment.signed", "names materials but is not signed");
    }
    return 0;
}

bool zw_intake_receipt_ok(const char *t)
{
    if (!t)
        return false;
    size_t len = strlen(t);
    if (len < 22 || len > ZW_INTAKE_MAX_RECEIPT)
        return false;
    if (!s_all(t, 0, 6, S_DIGITS) || t[6] != '-' || !s_all(t, 7, 15, S_DIGITS) || t[15] != '-')
        return false;
    size_t i = 16;
    while (i < len && t[i] >= '0' && t[i] <= '9')
        i++;
    if (i - 16 < 6)
        return false;
    if (i == len)
        return true;
    if (t[i] != '-' || len - i - 1 < 2)
        return false;
    return s_all(t, i + 1, len, S_DIGITS);
}

/* ---- the decision --------------------------------------------------------- */

static bool s_in(const char *code, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] && strcmp(list[i], code) == 0)
            return true;
    return false;
}

int zw_intake_notice_kind(zw_intake_outcome_t outcome)
{
    switch (outcome) {
    case ZW_INTAKE_NOT_ACCEPTED:
        return ZWFW__V1__NOTICE_KIND__NOTICE_KIND_NOT_ACCEPTED;
    case ZW_INTAKE_INCOMPLETE:
        return ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ONE_TIME;
    case ZW_INTAKE_ACCEPTED:
        return ZWFW__V1__NOTICE_KIND__NOTICE_KIND_ACCEPTANCE;
    case ZW_INTAKE_ACCEPTED_WAIVER:
        return ZWFW__V1__NOTICE_KIND__NOTICE_KIND_WAIVER;
    case ZW_INTAKE_COMPLETED:
        return ZWFW__V1__NOTICE_KIND__NOTICE_KIND_COMPLETION;
    }
    return ZWFW__V1__NOTICE_KIND__NOTICE_KIND_UNSPECIFIED;
}

void zw_intake_decide(const zw_intake_case_t *c, zw_mat_status_t *status, zw_intake_decision_t *out)
{
    const Zwfw__V1__Item *item = c->item;
    memset(out, 0, sizeof *out);
    out->reason = "";
    size_t n = item->n_materials;
    if (item->status == ZWFW__V1__ITEM_STATUS__ITEM_STATUS_CANCELLED) {
        for (size_t i = 0; i < n; i++)
            status[i] = ZW_MAT_NOT_NEEDED;
        out->outcome = ZW_INTAKE_NOT_ACCEPTED;
        out->reason = "该事项已取消，不受理 (the item has been cancelled)";
        return;
    }
    size_t hard = 0; /* missing and not waivable */
    for (size_t i = 0; i < n; i++) {
        const Zwfw__V1__ItemMaterial *m = item->materials[i];
        if (s_in(m->code, c->have, c->n_have))
            status[i] = ZW_MAT_PRESENT;
        else if (!m->required)
            status[i] = ZW_MAT_NOT_NEEDED;
        else {
            status[i] = ZW_MAT_MISSING;
            out->n_missing++;
            if (!m->waivable)
                hard++;
        }
    }
    bool immediate = item->handling == ZWFW__V1__HANDLING_TYPE__HANDLING_TYPE_IMMEDIATE;
    if (out->n_missing == 0) {
        out->outcome = immediate ? ZW_INTAKE_COMPLETED : ZW_INTAKE_ACCEPTED;
        return;
    }
    if (hard == 0 && !c->on_credit_list) {
        if (c->notify_commitment && item->commitment_allowed) {
            for (size_t i = 0; i < n; i++)
                if (status[i] == ZW_MAT_MISSING)
                    status[i] = ZW_MAT_PROMISED;
            out->n_promised = out->n_missing;
            out->n_missing = 0;
            out->outcome = immediate ? ZW_INTAKE_COMPLETED : ZW_INTAKE_ACCEPTED;
            return;
        }
        bool covered = c->commitment_signed;
        for (size_t i = 0; covered && i < n; i++)
            if (status[i] == ZW_MAT_MISSING &&
                !s_in(item->materials[i]->code, c->committed, c->n_committed))
                covered = false;
        if (covered) {
            for (size_t i = 0; i < n; i++)
                if (status[i] == ZW_MAT_MISSING)
                    status[i] = ZW_MAT_WAIVED;
            out->n_waived = out->n_missing;
            out->n_missing = 0;
            out->outcome = ZW_INTAKE_ACCEPTED_WAIVER;
            out->reason = "容缺受理：请在期限内补齐所列材料 (accepted with materials to supply by "
                          "the date shown)";
            return;
        }
    }
    out->outcome = ZW_INTAKE_INCOMPLETE;
    if (hard == 0 && c->on_credit_list && (c->commitment_signed || c->notify_commitment))
        out->reason = "申请人在信用名单内，不适用容缺受理或告知承诺；请补齐以下材料 (the "
                      "applicant is on the credit list: no 容缺 or 告知承诺; bring the materials "
                      "listed)";
    else
        out->reason = "材料不齐全，请一次性补齐以下材料 (materials incomplete: bring every "
                      "material listed)";
}

/* ---- time ------------------------------------------------------------------- */

int zw_intake_notice_deadline(const zw_calendar_t *cal, int workdays, int64_t received_s,
                              int64_t *deadline_s, zw_err_t *err)
{
    zw_date_t day, last;
    if (zw_moment_local(received_s, &day, NULL, err) != 0 ||
        zw_calendar_add_workdays(cal, day, workdays, &last, err) != 0)
        return -1;
    *deadline_s = zw_moment_make(last, 1440);
    return 0;
}

int zw_intake_deemed(const zw_calendar_t *cal, int workdays, int64_t received_s, int64_t notice_s,
                     int64_t now_s, bool *deemed, zw_err_t *err)
{
    int64_t deadline;
    if (zw_intake_notice_deadline(cal, workdays, received_s, &deadline, err) != 0)
        return -1;
    *deemed = (notice_s >= 0 ? notice_s : now_s) >= deadline;
    return 0;
}

static int s_limit_due(const zw_calendar_t *cal, const zw_workhours_t *hours,
                       const Zwfw__V1__TimeLimit *limit, int64_t accepted_s, int64_t *due,
                       zw_err_t *err)
{
    *due = -1;
    if (!limit || limit->amount <= 0)
        return 0;
    zw_limit_unit_t unit;
    if (limit->unit == ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS)
        unit = ZW_LIMIT_WORKDAYS;
    else if (limit->unit == ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS)
        unit = ZW_LIMIT_HOURS;
    else
        return 0;
    return zw_calendar_due_limit(cal, hours, accepted_s, limit->amount, unit, NULL, 0, due, err);
}

int zw_intake_due(const zw_calendar_t *cal, const zw_workhours_t *hours, const Zwfw__V1__Item *item,
                  int64_t accepted_s, int64_t *due_s, int64_t *statutory_s, zw_err_t *err)
{
    if (s_limit_due(cal, hours, item->promised_limit, accepted_s, due_s, err) != 0 ||
        s_limit_due(cal, hours, item->statutory_limit, accepted_s, statutory_s, err) != 0)
        return -1;
    return 0;
}

/* ---- receipts ------------------------------------------------------------- */

int zw_intake_receipt_format(const char *division, zw_date_t day, int64_t number, char *out,
                             size_t outsz)
{
    if (!division || strlen(division) != 6 || !s_all(division, 0, 6, S_DIGITS) || number < 0 ||
        !zw_date_valid(day))
        return -1;
    int n = snprintf(out, outsz, "%s-%04d%02d%02d-%06lld", division, day.year, day.month, day.day,
                     (long long) number);
    return n < 0 || (size_t) n >= outsz ? -1 : 0;
}

int zw_intake_receipt_child(const char *parent, int index, char *out, size_t outsz)
{
    if (!parent || index < 1 || index > 9999)
        return -1;
    int n = snprintf(out, outsz, "%s-%02d", parent, index);
    return n < 0 || (size_t) n >= outsz ? -1 : 0;
}

/* ---- states --------------------------------------------------------------- */

bool zw_intake_state_final(int s)
{
    return s == S_STATE(WITHDRAWN_UNACCEPTED) || s == S_STATE(NOT_ACCEPTED) ||
           s == S_STATE(REFUSED) || s == S_STATE(APPROVED) || s == S_STATE(APPROVED_WAIVER) ||
           s == S_STATE(REJECTED) || s == S_STATE(WITHDRAWN) || s == S_STATE(REVOKED);
}

bool zw_intake_state_in_process(int s)
{
    return s == S_STATE(ACCEPTED) || (s >= S_STATE(SUPPLEMENT_START) && s <= S_STATE(SPECIAL_END));
}

int zw_intake_parent_state(const int *st, size_t n)
{
    if (n == 0)
        return S_STATE(RECEIVED);
    size_t approved = 0, waiver = 0, before = 0, withdrawn = 0, not_acc = 0, refused = 0,
           revoked = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i] == S_STATE(RECEIVED) || st[i] == S_STATE(UNSPECIFIED))
            return S_STATE(RECEIVED);
    for (size_t i = 0; i < n; i++) {
        int s = st[i];
        if (!zw_intake_state_final(s))
            return S_STATE(ACCEPTED);
        approved += s == S_STATE(APPROVED) || s == S_STATE(APPROVED_WAIVER);
        waiver += s == S_STATE(APPROVED_WAIVER);
        before += s == S_STATE(WITHDRAWN_UNACCEPTED);
        withdrawn += s == S_STATE(WITHDRAWN_UNACCEPTED) || s == S_STATE(WITHDRAWN);
        not_acc += s == S_STATE(NOT_ACCEPTED);
        refused += s == S_STATE(REFUSED);
        revoked += s == S_STATE(REVOKED);
    }
    if (approved == n)
        return waiver ? S_STATE(APPROVED_WAIVER) : S_STATE(APPROVED);
    /* every item was approved and some approval was revoked since: the
     * bundle's decision no longer stands as a whole */
    if (revoked && approved + revoked == n)
        return S_STATE(REVOKED);
    if (before == n)
        return S_STATE(WITHDRAWN_UNACCEPTED);
    if (withdrawn == n)
        return S_STATE(WITHDRAWN);
    if (not_acc == n)
        return S_STATE(NOT_ACCEPTED);
    if (refused == n)
        return S_STATE(REFUSED);
    return S_STATE(REJECTED);
}

bool zw_intake_event_newer(int64_t last_seq, int64_t seq)
{
    return seq > last_seq;
}

static const Zwfw__V1__ItemMaterial *s_item_material(const Zwfw__V1__Item *item, const char *code)
{
    for (size_t j = 0; j < item->n_materials; j++)
        if (strcmp(item->materials[j]->code, code) == 0)
            return item->materials[j];
    return NULL;
}

int zw_intake_bundle_refs_check(const char *const *codes, const char *const *for_items, size_t n,
                                Zwfw__V1__Item *const *items, size_t n_items, const char *bundle,
                                zw_err_t *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *for_item = for_items[i] ? for_items[i] : "";
        char field[48], code_field[48];
        snprintf(field, sizeof field, "materials[%zu].item_code", i);
        snprintf(code_field, sizeof code_field, "materials[%zu].material_code", i);
        if (for_item[0]) {
            const Zwfw__V1__Item *it = NULL;
            for (size_t k = 0; k < n_items && !it; k++)
                if (strcmp(items[k]->impl_code, for_item) == 0)
                    it = items[k];
            if (!it && bundle)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, field,
                                   "material %s is for item %s, which is not in bundle %s",
                                   codes[i], for_item, bundle);
            if (!it)
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, field,
                                   "material %s is for item %s; this application is of item %s",
                                   codes[i], for_item, n_items ? items[0]->impl_code : "");
            if (!s_item_material(it, codes[i]))
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, code_field,
                                   "item %s asks for no material %s", for_item, codes[i]);
            continue;
        }
        const Zwfw__V1__ItemMaterial *first = NULL;
        const char *first_item = NULL;
        for (size_t k = 0; k < n_items; k++) {
            const Zwfw__V1__ItemMaterial *m = s_item_material(items[k], codes[i]);
            if (!m)
                continue;
            if (!first) {
                first = m;
                first_item = items[k]->impl_code;
            } else if (strcmp(first->name, m->name) != 0) {
                return zw_err_setd(err, ZW_INVALID_ARGUMENT, field,
                                   "material %s is %s in item %s but %s in item %s: say which "
                                   "item it is for",
                                   codes[i], first->name, first_item, m->name, items[k]->impl_code);
            }
        }
        /* a document nobody asked for would be stored nowhere: say so */
        if (!first && bundle)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, code_field,
                               "no item of bundle %s asks for a material %s", bundle, codes[i]);
        if (!first)
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, code_field,
                               "item %s asks for no material %s",
                               n_items ? items[0]->impl_code : "", codes[i]);
    }
    return 0;
}
