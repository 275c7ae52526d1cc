/* Hostile input against the zwfw daemons (STYLE: "bad input gets a clear
 * error, never a crash"): zwfw-broker (plain mode, one broker per caller
 * identity), zwfw-intake (zwfw.catalog, zwfw.intake, zwfw.clock),
 * zwfw-workflow (zwfw.workflow), zwfw-rating (zwfw.rating), zwfw-xregion
 * (zwfw.xregion, with a CURVE partner link of its own key pair) and
 * zwfw-report (zwfw.report, started last: it never migrates) on a fresh
 * database. Each request type goes through the broker of the identity that
 * may do the most with it (for zwfw.rating: an integrator rates and
 * follows up, a head takes the case steps, a supervisor decides appeals
 * and reads; for zwfw.report: the supervisor, who may read every
 * department; for zwfw.xregion: the operator changes partners, the window
 * forwards and reads exchanges, operator and supervisor read partners and
 * the message log).
 *
 * To every service: an unknown type name, an empty one, an over-long one
 * and request types of other services. For every request type of
 * docs/protocol.md "Requests by service": garbage protobuf bytes (random
 * bytes from a fixed seed, a truncated varint, a length-delimited field
 * longer than the buffer, deeply nested junk, 1 MB of 0xff), an empty
 * payload (all defaults), and messages built from the type's descriptor
 * with huge strings (100 KB), negative numbers, extreme numbers, invalid
 * UTF-8 and unknown enum values (99), first in every field at once, then
 * one field at a time while the time budget lasts.
 *
 * zwfw.rating first gets real rows: a 即办件 finished at the counter and
 * rated 差评 by the integrator, which opens a rectification case. Every
 * rating request type is then sent as a valid request about that rating
 * and case with one field at a time made hostile (a huge or invalid UTF-8
 * string, a negative or extreme number, an unknown enum value, a junk
 * sub-message), so that e.g. a 100 KB note of a RecordCallback or
 * resolution of a CloseCase meets an existing, open case and its checks
 * past decoding. The case moves on as the requests that are valid take
 * their effect (a callback, the appeal filed and rejected, the close).
 *
 * zwfw.xregion first gets real rows: partner 511400 (眉山市) registered by
 * the operator, its link endpoint a port where nothing listens, and one
 * application (a resident with a GB 11643 ID number, one material)
 * forwarded to it by the window, which stays PART_STAGE_QUEUED. Every
 * xregion request type is then sent as a valid request about that partner
 * and exchange with one field at a time made hostile, as for zwfw.rating,
 * and the refusals that need those rows (an unregistered, own or disabled
 * partner, a public key another partner holds, a wrong ID check
 * character, page tokens it never gave, roles that may not) must name the
 * field. Junk bytes and a plain (not CURVE) peer at the link socket must
 * not stop the daemon. At the end xregion.exchanges holds exactly the
 * forwards that were answered with a new exchange, each still QUEUED.
 *
 * zwfw.report first answers a PeriodReport of each kind (day to year) on
 * the seeded day with the figures of that rated 即办件 and changes
 * nothing; then dates it cannot hold (0001-01-01, 9999-12-31, a month 13,
 * a year or day of INT32_MIN / INT32_MAX, an empty Date) are refused
 * INVALID_ARGUMENT "date" for every kind, kinds outside 1-5 "kind", an
 * over-long or non-UTF-8 department_code "department_code", and the last
 * periods the calendar of years 1-9999 can hold (9999-12-24, 0001-01-07)
 * get a reply or a refusal of the input, never a crash.
 *
 * Each request must be answered within a timeout (no retries: a lost
 * reply is a hang), and an Error must carry a non-empty message and a code
 * that blames the input (never INTERNAL). A request answered with an Error
 * must change nothing in the database (every table's contents are hashed
 * before and after). Afterwards every daemon is alive, answers
 * HealthRequest, and ListItems still works; each stops on SIGTERM with
 * exit 0 (under the sanitizers a leak or undefined behaviour fails that).
 * Every Error's message and details must be valid UTF-8 and none may be
 * PostgreSQL's own text.
 *
 * Before that, one test per finding of the fuzzing of 2026-11 that
 * belongs to these services, each on a stack of its own: strings that are
 * not UTF-8 refused naming the field, error texts valid UTF-8 whatever the
 * input, and the simulated clock kept inside the loaded calendar. */
#include "intake_harness.h"

#include "zwfw/v1/common.pb-c.h"
#include "zwfw/v1/rating.pb-c.h"
#include "zwfw/v1/report.pb-c.h"
#include "zwfw/v1/workflow.pb-c.h"
#include "zwfw/v1/xregion.pb-c.h"

#include "auth_keys.h"
#include "wire_text.h"

#include <inttypes.h>

#define DEPT1 "11500152MB17035173"
#define ITEM_P "500T0100100001-500152000000-000-" DEPT1 "-1-00"
#define ITEM_I "500T0100100002-500152000000-000-" DEPT1 "-1-00" /* 即办件 */
#define REPLY_MS 15000        /* per request; sanitizer builds are slow */
#define FIELD_BUDGET_MS 25000 /* the one-field-at-a-time phase */
#define HUGE_LEN (100 * 1024)

enum { B_OP, B_WIN, B_HEAD, B_SUP, B_INT, B_COUNT };

static h_stack_t S;
static h_broker_t s_brokers[B_COUNT] = {
    {.role = "operator", .key_id = "op", .region = "500152", .department = ""},
    {.role = "window", .key_id = "win1", .region = "500152", .department = ""},
    {.role = "head", .key_id = "head1", .region = "500152", .department = DEPT1},
    {.role = "supervisor", .key_id = "sup1", .region = "500152", .department = ""},
    {.role = "integrator", .key_id = "portal1", .region = "500152", .department = ""},
};
static pid_t s_intake, s_workflow, s_rating, s_report, s_xregion;
static char s_eps[1024], s_intake_pub[64], s_workflow_pub[64], s_rating_pub[64];
static zw_client_t *s_raw[B_COUNT]; /* no retries: a lost reply is a finding */

static const char *s_catalog_json =
    "{\"idempotencyKey\":\"load-1\",\"actor\":\"op\",\"items\":[{\"basicCode\":"
    "\"500T0100100001\",\"implCode\":\"" ITEM_P "\",\"name\":\"测试承诺件\","
    "\"type\":\"ITEM_TYPE_LICENSING\",\"departmentCode\":\"" DEPT1 "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_PROMISED\","
    "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},\"materials\":["
    "{\"code\":\"P1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]},"
    "{\"basicCode\":\"500T0100100002\",\"implCode\":\"" ITEM_I "\",\"name\":\"测试即办件\","
    "\"type\":\"ITEM_TYPE_CONFIRMATION\",\"departmentCode\":\"" DEPT1 "\","
    "\"departmentName\":\"潼南区市场监督管理局\",\"regionCode\":\"500152000000\","
    "\"handling\":\"HANDLING_TYPE_IMMEDIATE\","
    "\"statutoryLimit\":{\"amount\":1,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
    "\"promisedLimit\":{\"amount\":2,\"unit\":\"LIMIT_UNIT_HOURS\"},\"materials\":["
    "{\"code\":\"I1\",\"name\":\"申请表\",\"required\":true,\"copies\":1}]}]}";

/* ---- the services and their request types ------------------------------------------- */

typedef struct {
    const char *service;
    int broker; /* the identity that may do the most there */
    const ProtobufCMessageDescriptor *const *types;
    size_t n_types;
    const int *type_brokers; /* per type, when the types need different ones */
} s_service_t;

static const ProtobufCMessageDescriptor *const s_catalog_types[] = {
    &zwfw__v1__put_item__descriptor,     &zwfw__v1__get_item__descriptor,
    &zwfw__v1__list_items__descriptor,   &zwfw__v1__cancel_item__descriptor,
    &zwfw__v1__restore_item__descriptor, &zwfw__v1__put_bundle__descriptor,
    &zwfw__v1__get_bundle__descriptor,   &zwfw__v1__list_bundles__descriptor,
    &zwfw__v1__load_catalog__descriptor,
};
static const ProtobufCMessageDescriptor *const s_intake_types[] = {
    &zwfw__v1__submit_application__descriptor,       &zwfw__v1__get_application__descriptor,
    &zwfw__v1__supplement_materials__descriptor,     &zwfw__v1__withdraw_application__descriptor,
    &zwfw__v1__review_application__descriptor,       &zwfw__v1__refuse_application__descriptor,
    &zwfw__v1__list_applications__descriptor,        &zwfw__v1__list_changes__descriptor,
    &zwfw__v1__put_credit_list_entry__descriptor,    &zwfw__v1__get_credit_list_entry__descriptor,
    &zwfw__v1__delete_credit_list_entry__descriptor,
};
static const ProtobufCMessageDescriptor *const s_clock_types[] = {
    &zwfw__v1__get_clock__descriptor,
    &zwfw__v1__set_clock__descriptor,
    &zwfw__v1__advance_clock__descriptor,
};
static const ProtobufCMessageDescriptor *const s_workflow_types[] = {
    &zwfw__v1__act__descriptor,
    &zwfw__v1__start_process__descriptor,
    &zwfw__v1__get_instance__descriptor,
    &zwfw__v1__list_instances__descriptor,
    &zwfw__v1__daily_scan__descriptor,
    &zwfw__v1__list_alarms__descriptor,
    &zwfw__v1__put_definition__descriptor,
    &zwfw__v1__validate_definition__descriptor,
    &zwfw__v1__get_definition__descriptor,
    &zwfw__v1__list_definitions__descriptor,
};

/* Staff must not rate: only the integrator gets past SubmitRating's and
 * AddFollowUp's role check. A head takes the case steps of its
 * department; the supervisor decides appeals and reads everything. */
static const ProtobufCMessageDescriptor *const s_rating_types[] = {
    &zwfw__v1__submit_rating__descriptor, &zwfw__v1__add_follow_up__descriptor,
    &zwfw__v1__get_rating__descriptor,    &zwfw__v1__list_ratings__descriptor,
    &zwfw__v1__get_case__descriptor,      &zwfw__v1__list_cases__descriptor,
    &zwfw__v1__rating_stats__descriptor,  &zwfw__v1__record_callback__descriptor,
    &zwfw__v1__close_case__descriptor,    &zwfw__v1__file_appeal__descriptor,
    &zwfw__v1__decide_appeal__descriptor,
};
/* Read-only, one type: the supervisor may ask for any department. */
static const ProtobufCMessageDescriptor *const s_report_types[] = {
    &zwfw__v1__period_report__descriptor,
};
static const int s_rating_brokers[] = {
    B_INT, B_INT, B_SUP, B_SUP, B_SUP, B_SUP, B_SUP, B_HEAD, B_HEAD, B_HEAD, B_SUP,
};
/* The operator changes partners; the window forwards (and sees the
 * applicant in clear); operator and supervisor read partners and the log. */
static const ProtobufCMessageDescriptor *const s_xregion_types[] = {
    &zwfw__v1__put_partner__descriptor,        &zwfw__v1__get_partner__descriptor,
    &zwfw__v1__list_partners__descriptor,      &zwfw__v1__forward_application__descriptor,
    &zwfw__v1__get_exchange__descriptor,       &zwfw__v1__list_exchanges__descriptor,
    &zwfw__v1__list_link_messages__descriptor, &zwfw__v1__supplement_exchange__descriptor,
    &zwfw__v1__withdraw_exchange__descriptor,
};
static const int s_xregion_brokers[] = {
    B_OP, B_SUP, B_OP, B_WIN, B_WIN, B_WIN, B_SUP, B_WIN, B_WIN,
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(N(s_rating_types) == N(s_rating_brokers), "a broker per rating type");
_Static_assert(N(s_xregion_types) == N(s_xregion_brokers), "a broker per xregion type");
static const s_service_t s_services[] = {
    {"zwfw.catalog", B_OP, s_catalog_types, N(s_catalog_types), NULL},
    {"zwfw.intake", B_WIN, s_intake_types, N(s_intake_types), NULL},
    {"zwfw.clock", B_OP, s_clock_types, N(s_clock_types), NULL},
    {"zwfw.workflow", B_HEAD, s_workflow_types, N(s_workflow_types), NULL},
    {"zwfw.rating", B_SUP, s_rating_types, N(s_rating_types), s_rating_brokers},
    {"zwfw.report", B_SUP, s_report_types, N(s_report_types), NULL},
    {"zwfw.xregion", B_OP, s_xregion_types, N(s_xregion_types), s_xregion_brokers},
};

static const s_service_t *s_service_named(const char *service)
{
    for (size_t i = 0; i < N(s_services); i++)
        if (strcmp(s_services[i].service, service) == 0)
            return &s_services[i];
    fail_msg("no service %s in the table", service);
    return NULL;
}

/* The broker a request of type d goes through. */
static int s_broker_for(const s_service_t *sv, const ProtobufCMessageDescriptor *d)
{
    for (size_t t = 0; sv->type_brokers && t < sv->n_types; t++)
        if (sv->types[t] == d)
            return sv->type_brokers[t];
    return sv->broker;
}

/* ---- a deterministic PRNG (xorshift64*) -------------------------------------------------- */

static uint64_t s_rng = 0x5eed2026c0ffee01ULL;

static uint64_t s_rand(void)
{
    s_rng ^= s_rng >> 12;
    s_rng ^= s_rng << 25;
    s_rng ^= s_rng >> 27;
    return s_rng * 0x2545F4914F6CDD1DULL;
}

/* ---- a growable byte buffer and protobuf encoding by hand ----------------------------- */

typedef struct {
    uint8_t *data;
    size_t len, cap;
} s_buf_t;

static void s_put(s_buf_t *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap *= 2;
        b->data = realloc(b->data, cap);
        assert_non_null(b->data);
        b->cap = cap;
    }
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
}

static void s_varint(s_buf_t *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    do {
        tmp[n] = (uint8_t) (v & 0x7f);
        v >>= 7;
        if (v)
            tmp[n] |= 0x80;
        n++;
    } while (v);
    s_put(b, tmp, n);
}

static void s_tag(s_buf_t *b, uint32_t field, int wire)
{
    s_varint(b, ((uint64_t) field << 3) | (uint64_t) wire);
}

static void s_ld(s_buf_t *b, uint32_t field, const void *data, size_t len)
{
    s_tag(b, field, 2);
    s_varint(b, len);
    s_put(b, data, len);
}

/* How a message's fields are filled. */
typedef enum {
    K_HUGE,    /* strings of 100 KB (valid UTF-8) */
    K_NEG,     /* every number -1, enums -1 */
    K_EXTREME, /* every number at its type's largest magnitude */
    K_UTF8,    /* strings of invalid UTF-8 (and a NUL inside) */
    K_ENUM,    /* enums 99, strings short */
    K_COUNT
} s_kind_t;

static const char *const s_kind_names[K_COUNT] = {
    "huge strings", "negative numbers", "extreme numbers", "invalid UTF-8", "unknown enum values"};

static char *s_huge; /* HUGE_LEN bytes of text */
static const char s_bad_utf8[] = "\xff\xfe"
                                 "ab\xc3\x28"
                                 "\xed\xa0\x80"
                                 "\xe6\x9d"
                                 "\0tail\x80";

static void s_fill(s_buf_t *b, const ProtobufCMessageDescriptor *d, s_kind_t k, int depth,
                   int only_field);

static void s_field(s_buf_t *b, const ProtobufCFieldDescriptor *f, s_kind_t k, int depth)
{
    uint32_t id = f->id;
    bool neg = k == K_NEG, ext = k == K_EXTREME;
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_INT64:
        s_tag(b, id, 0);
        s_varint(b, neg   ? (uint64_t) -1
                    : ext ? (f->type == PROTOBUF_C_TYPE_INT32 ? (uint64_t) (int64_t) INT32_MIN
                                                              : (uint64_t) INT64_MIN)
                          : 1);
        break;
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SINT64:
        s_tag(b, id, 0);
        s_varint(b, neg ? 1 : ext ? UINT64_MAX : 2); /* zigzag: -1, INT64_MIN, 1 */
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_UINT64:
        s_tag(b, id, 0);
        s_varint(b, neg || ext ? (f->type == PROTOBUF_C_TYPE_UINT32 ? UINT32_MAX : UINT64_MAX) : 1);
        break;
    case PROTOBUF_C_TYPE_BOOL:
        s_tag(b, id, 0);
        s_varint(b, neg || ext ? 0xffffffffULL : 1); /* a bool that is not 0 or 1 */
        break;
    case PROTOBUF_C_TYPE_ENUM:
        s_tag(b, id, 0);
        s_varint(b, k == K_ENUM ? 99 : neg ? (uint64_t) -1 : ext ? (uint64_t) INT32_MAX : 1);
        break;
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FLOAT: {
        uint32_t v = neg || ext ? 0xffffffffu : 1;
        s_tag(b, id, 5);
        s_put(b, &v, 4);
        break;
    }
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_DOUBLE: {
        uint64_t v = neg || ext ? UINT64_MAX : 1;
        s_tag(b, id, 1);
        s_put(b, &v, 8);
        break;
    }
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
        if (k == K_HUGE)
            s_ld(b, id, s_huge, HUGE_LEN);
        else if (k == K_UTF8)
            s_ld(b, id, s_bad_utf8, sizeof s_bad_utf8 - 1);
        else
            s_ld(b, id, "x", 1);
        break;
    case PROTOBUF_C_TYPE_MESSAGE:
        if (depth < 4) {
            s_buf_t sub = {0};
            s_fill(&sub, f->descriptor, k, depth + 1, -1);
            s_ld(b, id, sub.data ? sub.data : (uint8_t *) "", sub.len);
            free(sub.data);
        }
        break;
    }
}

/* Every field of d (or only field index only_field), repeated ones twice. */
static void s_fill(s_buf_t *b, const ProtobufCMessageDescriptor *d, s_kind_t k, int depth,
                   int only_field)
{
    for (unsigned i = 0; i < d->n_fields; i++) {
        if (only_field >= 0 && (int) i != only_field)
            continue;
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        int times = f->label == PROTOBUF_C_LABEL_REPEATED ? 2 : 1;
        /* huge strings only at the top and one level down keep it < 16 MB */
        s_kind_t fk = k == K_HUGE && depth > 1 ? K_ENUM : k;
        for (int t = 0; t < times; t++)
            s_field(b, f, fk, depth);
    }
}

/* ---- sending and judging ---------------------------------------------------------------- */

typedef struct {
    int sent, errors, accepted;
    int codes[17];
    int bad;      /* findings that fail the test */
    int forwards; /* ForwardApplications answered with an exchange not seen before */
    /* the last request's answer: its Error's code and detail, or
     * S_ACCEPTED / S_NO_REPLY */
    int last_code;
    char last_detail[128];
} s_tally_t;

#define S_ACCEPTED (-1)
#define S_NO_REPLY (-2)
#define S_ANY 0 /* an expectation: any answer that is not a finding */

static s_tally_t T;

/* Everything the daemons keep, as one text: a hash of every table. */
static char *s_snapshot_sql;

static void s_make_snapshot_sql(void)
{
    PGresult *res = PQexec(S.pg, "SELECT table_schema, table_name FROM information_schema.tables"
                                 " WHERE table_type = 'BASE TABLE' AND table_schema NOT IN"
                                 " ('pg_catalog', 'information_schema') ORDER BY 1, 2");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    s_buf_t b = {0};
    s_put(&b, "SELECT concat_ws(' '", strlen("SELECT concat_ws(' '"));
    for (int i = 0; i < PQntuples(res); i++) {
        char part[512];
        snprintf(part, sizeof part,
                 ", '%s.%s=' || coalesce((SELECT md5(string_agg(t::text, '|' ORDER BY t::text))"
                 " FROM \"%s\".\"%s\" t), '-')",
                 PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 0),
                 PQgetvalue(res, i, 1));
        s_put(&b, part, strlen(part));
    }
    s_put(&b, ")", 2);
    PQclear(res);
    s_snapshot_sql = (char *) b.data;
}

static char *s_snapshot(void)
{
    PGresult *res = PQexec(S.pg, s_snapshot_sql);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    char *text = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    assert_non_null(text);
    return text;
}

/* The first table whose hash differs (for the report). */
static void s_diff(const char *a, const char *b, char *out, size_t outsz)
{
    snprintf(out, outsz, "?");
    const char *pa = a, *pb = b;
    while (*pa && *pb) {
        size_t la = strcspn(pa, " "), lb = strcspn(pb, " ");
        if (la != lb || memcmp(pa, pb, la) != 0) {
            snprintf(out, outsz, "%.*s", (int) strcspn(pa, "="), pa);
            return;
        }
        pa += la + (pa[la] == ' ');
        pb += lb + (pb[lb] == ' ');
    }
}

static bool s_alive(pid_t pid)
{
    int status;
    return pid > 0 && waitpid(pid, &status, WNOHANG) == 0;
}

static void s_check_all_alive(void);
static void s_wait_quiet_ms(int gap_ms);
static void s_wait_quiet(void);

static bool s_sensible(int code)
{
    return code == ZW_INVALID_ARGUMENT || code == ZW_NOT_FOUND || code == ZW_UNIMPLEMENTED ||
           code == ZW_PERMISSION_DENIED || code == ZW_FAILED_PRECONDITION ||
           code == ZW_ALREADY_EXISTS || code == ZW_OUT_OF_RANGE;
}

/* details["detail"] of an Error ("" when absent). */
static const char *s_detail_of(const Zwfw__V1__Error *e)
{
    for (size_t i = 0; i < e->n_details; i++)
        if (strcmp(e->details[i]->key, "detail") == 0)
            return e->details[i]->value;
    return "";
}

/* Error.message and every detail are proto3 strings: strict decoders
 * (Python, Go, Java) refuse the whole Error unless they are UTF-8. */
static bool s_error_utf8(const Zwfw__V1__Error *e)
{
    if (!zw_wire_text_utf8_valid(e->message, strlen(e->message)))
        return false;
    for (size_t i = 0; i < e->n_details; i++)
        if (!zw_wire_text_utf8_valid(e->details[i]->key, strlen(e->details[i]->key)) ||
            !zw_wire_text_utf8_valid(e->details[i]->value, strlen(e->details[i]->value)))
            return false;
    return true;
}

/* PostgreSQL's text passed on as the answer to bad input: its message for
 * bytes that are not UTF-8, or a SQLSTATE where the field should be. */
static bool s_error_from_db(const Zwfw__V1__Error *e)
{
    const char *d = s_detail_of(e);
    bool sqlstate = strlen(d) == 5 && strspn(d, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 5 &&
                    d[0] >= '0' && d[0] <= '9';
    return sqlstate || strstr(e->message, "invalid byte sequence") != NULL ||
           strstr(e->message, "ERROR:") != NULL;
}

#define S_FORWARD "zwfw.v1.ForwardApplication"

/* The exchanges ForwardApplications were answered with (the seeded one
 * first). */
static char s_xr_seen[128][64];
static int s_n_xr_seen;

/* A ForwardApplication's ExchangeReply with an exchange not seen before
 * is one more row of xregion.exchanges (a replay names the first one). */
static void s_count_forward(const char *type, size_t type_len, const char *rtype,
                            const zw_frames_t *reply)
{
    if (type_len != strlen(S_FORWARD) || memcmp(type, S_FORWARD, type_len) != 0 ||
        strcmp(rtype, "zwfw.v1.ExchangeReply") != 0)
        return;
    Zwfw__V1__ExchangeReply *x =
        zwfw__v1__exchange_reply__unpack(NULL, zw_frames_size(reply, 2), zw_frames_data(reply, 2));
    if (!x || !x->exchange || !*x->exchange->exchange_id ||
        strlen(x->exchange->exchange_id) >= sizeof s_xr_seen[0]) {
        fprintf(stderr, "FINDING: zwfw.xregion %s: an ExchangeReply without an exchange id\n",
                S_FORWARD);
        T.bad++;
    } else {
        const char *id = x->exchange->exchange_id;
        int i = 0;
        while (i < s_n_xr_seen && strcmp(s_xr_seen[i], id) != 0)
            i++;
        if (i == s_n_xr_seen) {
            assert_true(s_n_xr_seen < (int) N(s_xr_seen));
            snprintf(s_xr_seen[s_n_xr_seen++], sizeof s_xr_seen[0], "%s", id);
            T.forwards++;
        }
    }
    if (x)
        zwfw__v1__exchange_reply__free_unpacked(x, NULL);
}

/* Sends [id][type][data] to service; judges the answer. may_succeed: the
 * input is a message that decodes, so a real reply is allowed too. */
static void s_send(int broker, const char *service, const char *type, size_t type_len,
                   const void *data, size_t len, bool may_succeed, const char *what)
{
    static unsigned seq;
    char id[32];
    snprintf(id, sizeof id, "h-%u", ++seq);
    zw_frames_t *body = zw_frames_new();
    assert_non_null(body);
    assert_int_equal(zw_frames_append_str(body, id), 0);
    assert_int_equal(zw_frames_append(body, type, type_len), 0);
    assert_int_equal(zw_frames_append(body, data, len), 0);
    char *before = s_snapshot();
    zw_frames_t *reply = NULL;
    zw_err_t err;
    int rc = zw_client_call_raw(s_raw[broker], service, body, &reply, &err);
    zw_frames_destroy(&body);
    T.sent++;
    T.last_code = S_NO_REPLY;
    T.last_detail[0] = '\0';
    char tname[64];
    snprintf(tname, sizeof tname, "%.*s", (int) (type_len > 60 ? 60 : type_len), type);
    if (rc != 0) {
        fprintf(stderr, "FINDING: %s %s (%s): no reply: %s\n", service, tname, what, err.message);
        T.bad++;
        free(before);
        /* a hang or a crash: stop at once if a daemon died */
        s_check_all_alive();
        return;
    }
    char rtype[128] = "";
    if (zw_frames_count(reply) != 3 || !zw_frames_streq(reply, 0, id) ||
        zw_frames_str(reply, 1, rtype, sizeof rtype) != 0) {
        fprintf(stderr, "FINDING: %s %s (%s): a reply of %zu frames, not [id][type][bytes]\n",
                service, tname, what, zw_frames_count(reply));
        T.bad++;
    } else if (strcmp(rtype, "zwfw.v1.Error") == 0) {
        Zwfw__V1__Error *e =
            zwfw__v1__error__unpack(NULL, zw_frames_size(reply, 2), zw_frames_data(reply, 2));
        T.errors++;
        if (!e) {
            fprintf(stderr, "FINDING: %s %s (%s): an Error that does not decode\n", service, tname,
                    what);
            T.bad++;
        } else {
            int code = (int) e->code;
            T.last_code = code;
            snprintf(T.last_detail, sizeof T.last_detail, "%s", s_detail_of(e));
            T.codes[code >= 0 && code < 17 ? code : 2]++;
            if (!s_sensible(code) || !e->message || !e->message[0]) {
                fprintf(stderr, "FINDING: %s %s (%s): %s \"%s\"\n", service, tname, what,
                        zw_code_name((zw_code_t) code), e->message ? e->message : "(null)");
                T.bad++;
            } else if (!s_error_utf8(e)) {
                fprintf(stderr, "FINDING: %s %s (%s): an Error whose text is not UTF-8\n", service,
                        tname, what);
                T.bad++;
            } else if (s_error_from_db(e)) {
                fprintf(stderr, "FINDING: %s %s (%s): PostgreSQL's text as the Error: %s (%s)\n",
                        service, tname, what, e->message, s_detail_of(e));
                T.bad++;
            }
            zwfw__v1__error__free_unpacked(e, NULL);
        }
        char *after = s_snapshot();
        if (strcmp(before, after) != 0) {
            char table[160];
            s_diff(before, after, table, sizeof table);
            fprintf(stderr, "FINDING: %s %s (%s): an Error, yet %s changed\n", service, tname, what,
                    table);
            T.bad++;
        }
        free(after);
    } else {
        T.accepted++;
        T.last_code = S_ACCEPTED;
        s_count_forward(type, type_len, rtype, reply);
        if (!may_succeed) {
            fprintf(stderr, "FINDING: %s %s (%s): accepted (%s) bytes that do not decode\n",
                    service, tname, what, rtype);
            T.bad++;
        } else {
            char *after = s_snapshot();
            if (strcmp(before, after) != 0) {
                char table[160];
                s_diff(before, after, table, sizeof table);
                fprintf(stderr, "note: %s %s (%s) was accepted and changed %s\n", service, tname,
                        what, table);
                /* its relay and audit chain finish before the next
                 * request's snapshots */
                s_wait_quiet_ms(150);
            }
            free(after);
        }
    }
    free(before);
    zw_frames_destroy(&reply);
}

static void s_send_type(int broker, const char *service, const char *type, const void *data,
                        size_t len, bool may_succeed, const char *what)
{
    s_send(broker, service, type, strlen(type), data, len, may_succeed, what);
}

static bool s_decodes(const ProtobufCMessageDescriptor *d, const void *data, size_t len)
{
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, len, data);
    if (m)
        protobuf_c_message_free_unpacked(m, NULL);
    return m != NULL;
}

/* Bytes of type d: sends them, and a real reply is allowed when they decode. */
static void s_send_bytes(const s_service_t *sv, const ProtobufCMessageDescriptor *d,
                         const void *data, size_t len, const char *what)
{
    s_send_type(s_broker_for(sv, d), sv->service, d->name, data, len, s_decodes(d, data, len),
                what);
}

/* ---- processes ------------------------------------------------------------------------ */

static void s_start_intake(void)
{
    s_intake = h_start_intake(&S, s_eps, h_paired_intake(s_intake_pub, s_workflow_pub));
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.intake");
}

static void s_start_workflow(void)
{
    s_workflow = h_start_workflow(&S, s_eps, h_paired_workflow(s_workflow_pub, s_intake_pub));
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.workflow");
}

/* After intake: it migrates its own tables first, which zwfw-rating reads. */
static void s_start_rating(void)
{
    s_rating = zwt_stack_rating(&S.procs, &(zwt_rating_opts_t){.conninfo = S.conninfo,
                                                               .brokers = s_eps,
                                                               .clock_mode = "simulated",
                                                               .threads = 2,
                                                               .heartbeat_ms = H_HB,
                                                               .pub_endpoint = s_rating_pub,
                                                               .relay_idle_ms = 10});
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.rating");
}

/* zwfw-xregion's link: its key pair (zw_auth_keys_save, as `zwfwctl
 * keygen` writes it) and socket; the partner's endpoint, where nothing
 * listens, and key (random). */
static zw_auth_keys_t s_link_keys;
static char s_link_ep[64], s_link_secret[300], s_partner_ep[64], s_partner_pk[41];

static void s_xregion_keys(void)
{
    zw_err_t err;
    assert_int_equal(zw_auth_keys_generate(&s_link_keys, &err), 0);
    assert_int_equal(zw_auth_keys_save(&s_link_keys, S.dir, "link", false, &err), 0);
    snprintf(s_link_secret, sizeof s_link_secret, "%s/link.secret", S.dir);
    h_free_endpoint(s_link_ep, sizeof s_link_ep);
    h_free_endpoint(s_partner_ep, sizeof s_partner_ep);
    uint8_t raw[32];
    FILE *r = fopen("/dev/urandom", "rb");
    assert_non_null(r);
    assert_int_equal(fread(raw, 1, sizeof raw, r), sizeof raw);
    fclose(r);
    assert_non_null(zmq_z85_encode(s_partner_pk, raw, sizeof raw));
}

/* zwfw-xregion on the same database and data key as intake, following
 * intake's events (the home side), its own requests to intake through
 * the operator's broker (the test has no system broker; no partner ever
 * sends it a part to submit). */
static void s_start_xregion(void)
{
    s_xregion_keys();
    char hb[16];
    snprintf(hb, sizeof hb, "%d", H_HB);
    const char *const args[] = {"--db-conninfo",
                                S.conninfo,
                                "--migrate",
                                "true",
                                "--region",
                                "500152",
                                "--pii-key-file",
                                S.key_file,
                                "--clock-mode",
                                "simulated",
                                "--threads",
                                "2",
                                "--heartbeat-ms",
                                hb,
                                "--broker-endpoint",
                                s_eps,
                                "--intake-broker-endpoint",
                                s_brokers[B_OP].ep,
                                "--intake-pub-endpoint",
                                s_intake_pub,
                                "--consumer-quiet-ms",
                                "200",
                                "--link-endpoint",
                                s_link_ep,
                                "--link-secret-key-file",
                                s_link_secret,
                                "--partners-poll-ms",
                                "200",
                                "--relay-idle-ms",
                                "10",
                                NULL};
    s_xregion = zwt_stack_start(&S.procs, "zwfw-xregion", args);
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.xregion");
}

/* Last: zwfw-report never migrates; it reads what the others migrated. */
static void s_start_report(void)
{
    s_report = zwt_stack_report(&S.procs, &(zwt_report_opts_t){.conninfo = S.conninfo,
                                                               .brokers = s_eps,
                                                               .clock_mode = "simulated",
                                                               .threads = 2,
                                                               .heartbeat_ms = H_HB});
    h_wait_all(&S, s_brokers, B_COUNT, "zwfw.report");
}

static int s_setup(void **state)
{
    (void) state;
    h_stack_init(&S, "zwfw_test_hostile_input");
    memset(&T, 0, sizeof T);
    h_start_brokers(&S, s_brokers, B_COUNT, s_eps, sizeof s_eps);
    for (int i = 0; i < B_COUNT; i++)
        s_raw[i] = h_client(&S, s_brokers[i].ep, REPLY_MS, 0);
    h_free_endpoint(s_intake_pub, sizeof s_intake_pub);
    h_free_endpoint(s_workflow_pub, sizeof s_workflow_pub);
    h_free_endpoint(s_rating_pub, sizeof s_rating_pub);
    s_start_intake();
    h_set_clock(s_brokers[B_OP].client, "2020-09-21T10:00:00+08:00");
    s_start_workflow();
    s_start_rating();
    s_start_xregion();
    s_start_report();
    ProtobufCMessage *r =
        h_json_call(s_brokers[B_OP].client, "zwfw.catalog", "zwfw.v1.LoadCatalog", s_catalog_json);
    protobuf_c_message_free_unpacked(r, NULL);
    s_huge = malloc(HUGE_LEN);
    assert_non_null(s_huge);
    for (size_t i = 0; i < HUGE_LEN; i++)
        s_huge[i] = (char) ('a' + i % 26);
    return 0;
}

static int s_teardown(void **state)
{
    (void) state;
    for (int i = 0; i < B_COUNT; i++) {
        zw_client_destroy(&s_raw[i]);
        zw_client_destroy(&s_brokers[i].client);
    }
    /* whatever the test did not stop already (it failed): workers first */
    assert_int_equal(zwt_stack_stop_all(&S.procs, H_STOP_MS), 0);
    h_stack_free(&S);
    free(s_huge);
    s_huge = NULL;
    free(s_snapshot_sql);
    s_snapshot_sql = NULL;
    return 0;
}

/* ---- the test ------------------------------------------------------------------------- */

static void s_check_all_alive(void)
{
    bool ok = true;
    for (int i = 0; i < S.procs.n; i++) {
        h_proc_t *p = &S.procs.procs[i];
        if (p->pid > 0 && !s_alive(p->pid)) {
            fprintf(stderr, "FINDING: %s (pid %d) died\n", p->name, (int) p->pid);
            h_dump_log(p->log);
            p->pid = 0;
            ok = false;
        }
    }
    assert_true(ok);
}

static void s_service_level(const s_service_t *sv)
{
    const char *svc = sv->service;
    s_send_type(sv->broker, svc, "zwfw.v1.NoSuchRequest", "", 0, false, "unknown type");
    s_send_type(sv->broker, svc, "NoSuchRequest", "\x08\x01", 2, false, "unknown type, no package");
    s_send(sv->broker, svc, "", 0, "", 0, false, "empty type");
    char longtype[400];
    memset(longtype, 'T', sizeof longtype);
    s_send(sv->broker, svc, longtype, sizeof longtype, "", 0, false, "a 400-byte type name");
    s_send(sv->broker, svc, "zwfw.v1.Get\xff\0Item", 14, "", 0, false, "a type name with junk");
    s_send_type(sv->broker, svc, "zwfw.v1.Error", "", 0, false, "Error as a request");
    s_send_type(sv->broker, svc, "zwfw.v1.GetItemReply", "", 0, false, "a reply type");
    /* a request type of every other service */
    for (size_t o = 0; o < N(s_services); o++)
        if (strcmp(s_services[o].service, svc) != 0)
            for (size_t t = 0; t < s_services[o].n_types; t++)
                s_send_type(sv->broker, svc, s_services[o].types[t]->name, "", 0, false,
                            "another service's type");
}

static void s_garbage(const s_service_t *sv, const ProtobufCMessageDescriptor *d)
{
    static const size_t sizes[] = {1, 7, 64, 511, 4096};
    for (size_t i = 0; i < N(sizes); i++) {
        uint8_t buf[4096];
        for (size_t j = 0; j < sizes[i]; j++)
            buf[j] = (uint8_t) s_rand();
        s_send_bytes(sv, d, buf, sizes[i], "random bytes");
    }
    s_send_bytes(sv, d, "\x08\xff\xff", 3, "a truncated varint");
    s_send_bytes(sv, d, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
                 "an 11-byte varint");
    s_send_bytes(sv, d, "\x0a\xe8\x07short", 8, "a length past the end");
    s_send_bytes(sv, d, "\x0a\xff\xff\xff\xff\x0f", 6, "a 4 GB length");
    s_send_bytes(sv, d, "\x0b\x0c", 2, "a group (deprecated wire type)");
    s_send_bytes(sv, d, "\x0f\x01", 2, "wire type 7");
    s_send_bytes(sv, d, "\x00\x01", 2, "field number 0");
    /* junk nested 3000 deep: every level is field 1, length-delimited */
    s_buf_t nest = {0};
    s_put(&nest, "\x08\x01", 2);
    for (int i = 0; i < 3000; i++) {
        s_buf_t outer = {0};
        s_ld(&outer, 1 + (uint32_t) (i % 3), nest.data, nest.len);
        free(nest.data);
        nest = outer;
    }
    s_send_bytes(sv, d, nest.data, nest.len, "deeply nested junk");
    free(nest.data);
    size_t mb = 1024 * 1024;
    uint8_t *ff = malloc(mb);
    assert_non_null(ff);
    memset(ff, 0xff, mb);
    s_send_bytes(sv, d, ff, mb, "1 MB of 0xff");
    free(ff);
}

static void s_crafted(const s_service_t *sv, const ProtobufCMessageDescriptor *d, int only_field)
{
    for (int k = 0; k < K_COUNT; k++) {
        s_buf_t b = {0};
        s_fill(&b, d, (s_kind_t) k, 1, only_field);
        char what[160];
        if (only_field < 0)
            snprintf(what, sizeof what, "%s in every field", s_kind_names[k]);
        else
            snprintf(what, sizeof what, "%s in field %s", s_kind_names[k],
                     d->fields[only_field].name);
        s_send_bytes(sv, d, b.data ? b.data : (uint8_t *) "", b.len, what);
        free(b.data);
    }
}

static void s_health(const s_service_t *sv)
{
    Zwfw__V1__HealthRequest hr = ZWFW__V1__HEALTH_REQUEST__INIT;
    ProtobufCMessage *r = h_ok(s_brokers[sv->broker].client, sv->service, &hr.base);
    assert_string_equal(r->descriptor->name, "zwfw.v1.HealthReply");
    assert_string_equal(((Zwfw__V1__HealthReply *) r)->service, sv->service);
    protobuf_c_message_free_unpacked(r, NULL);
}

/* ---- zwfw.rating against real rows ---------------------------------------------------- */

static char s_receipt[64]; /* the 即办件 rated 差评 */
static int64_t s_rating_id, s_case_id;

/* A 即办件 with every material, finished at the counter (办结), rated
 * 差评 with the rater's real name by the integrator: the rating and its
 * open rectification case. */
static void s_seed_rating(void)
{
    char id[19], mats[1024], json[4096];
    h_resident_id("50015219880512345", id);
    h_material_refs(mats, sizeof mats, "I1", 0);
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"seed-app\",\"actor\":\"clerk-01\",\"itemCode\":\"" ITEM_I
             "\",\"channel\":\"CHANNEL_WINDOW\",\"windowId\":\"W01\",\"applicant\":{\"kind\":"
             "\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":\"王五\",\"idType\":"
             "\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"%s\"},\"phone\":\"13912340001\","
             "\"address\":\"重庆市潼南区梓潼街道\"},\"materials\":[%s]}",
             id, mats);
    Zwfw__V1__SubmitApplicationReply *a = (Zwfw__V1__SubmitApplicationReply *) h_json_call(
        s_brokers[B_WIN].client, "zwfw.intake", "zwfw.v1.SubmitApplication", json);
    assert_int_equal(a->application->state,
                     ZWFW__V1__APPLICATION_STATE__APPLICATION_STATE_APPROVED);
    snprintf(s_receipt, sizeof s_receipt, "%s", a->application->receipt_number);
    protobuf_c_message_free_unpacked(&a->base, NULL);
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"seed-rating\",\"receiptNumber\":\"%s\",\"channel\":"
             "\"RATING_CHANNEL_RATING_PAD\",\"level\":\"RATING_LEVEL_VERY_DISSATISFIED\","
             "\"reason\":\"窗口等候时间过长\",\"dimensions\":[{\"dimension\":"
             "\"RATING_DIMENSION_ATTITUDE\",\"level\":\"RATING_LEVEL_DISSATISFIED\"}],"
             "\"realName\":true}",
             s_receipt);
    Zwfw__V1__SubmitRatingReply *r = (Zwfw__V1__SubmitRatingReply *) h_json_call(
        s_brokers[B_INT].client, "zwfw.rating", "zwfw.v1.SubmitRating", json);
    assert_true(r->rating->bad);
    assert_string_equal(r->rating->receipt_number, s_receipt);
    assert_string_equal(r->rating->department_code, DEPT1);
    assert_string_equal(r->rating->submitted_by, "portal1");
    assert_non_null(r->rectification_case);
    assert_int_equal(r->rectification_case->status, ZWFW__V1__CASE_STATUS__CASE_STATUS_OPEN);
    assert_true(r->rectification_case->callback_required);
    assert_int_equal(r->rectification_case->case_id, r->rating->case_id);
    s_rating_id = r->rating->rating_id;
    s_case_id = r->rectification_case->case_id;
    assert_true(s_rating_id > 0 && s_case_id > 0);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* A valid request about the seeded rating or case, as JSON with $KEY (a
 * fresh idempotency key), $RCPT, $RID and $CID in it, and what it gets
 * when sent as it is, in this order (code S_ACCEPTED or an Error's with
 * its detail). */
typedef struct {
    const ProtobufCMessageDescriptor *d;
    const char *json;
    int code;
    const char *detail;
} s_base_t;

#define S_MONTH "\"from\":\"2020-09-01\",\"to\":\"2020-09-30\""
static const s_base_t s_rating_bases[] = {
    /* one rating per application: refused at the end, after every check */
    {&zwfw__v1__submit_rating__descriptor,
     "{\"idempotencyKey\":\"$KEY\",\"receiptNumber\":\"$RCPT\",\"channel\":"
     "\"RATING_CHANNEL_PORTAL\",\"level\":\"RATING_LEVEL_BASIC\",\"reason\":\"还行\","
     "\"dimensions\":[{\"dimension\":\"RATING_DIMENSION_SKILL\",\"level\":"
     "\"RATING_LEVEL_SATISFIED\"}],\"realName\":true,\"staffId\":\"W01\"}",
     ZW_ALREADY_EXISTS, "receipt_number"},
    {&zwfw__v1__add_follow_up__descriptor,
     "{\"idempotencyKey\":\"$KEY\",\"ratingId\":\"$RID\",\"text\":\"补充：窗口人员态度差\","
     "\"channel\":\"RATING_CHANNEL_RATING_PAD\"}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__get_rating__descriptor, "{\"ratingId\":\"$RID\",\"receiptNumber\":\"$RCPT\"}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__list_ratings__descriptor,
     "{\"departmentCode\":\"" DEPT1 "\",\"itemCode\":\"" ITEM_I
     "\",\"channel\":\"RATING_CHANNEL_RATING_PAD\",\"badOnly\":true," S_MONTH ",\"pageSize\":10}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__get_case__descriptor, "{\"caseId\":\"$CID\"}", S_ACCEPTED, NULL},
    {&zwfw__v1__list_cases__descriptor,
     "{\"departmentCode\":\"" DEPT1 "\",\"status\":\"CASE_STATUS_OPEN\",\"pageSize\":10}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__rating_stats__descriptor, "{" S_MONTH ",\"departmentCode\":\"" DEPT1 "\"}",
     S_ACCEPTED, NULL},
    /* the case steps, in an order that keeps the case open the longest:
     * a callback, the appeal filed and rejected, then the close (which
     * waits for the rater to be told until a hostile bool says so) */
    {&zwfw__v1__record_callback__descriptor,
     "{\"idempotencyKey\":\"$KEY\",\"caseId\":\"$CID\",\"reached\":true,"
     "\"note\":\"已电话回访\",\"actor\":\"科长张三\"}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__file_appeal__descriptor,
     "{\"idempotencyKey\":\"$KEY\",\"caseId\":\"$CID\",\"reason\":\"评价人误评\","
     "\"actor\":\"科长张三\"}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__decide_appeal__descriptor,
     "{\"idempotencyKey\":\"$KEY\",\"caseId\":\"$CID\",\"upheld\":false,"
     "\"note\":\"维持差评\",\"actor\":\"督查李四\"}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__close_case__descriptor,
     "{\"idempotencyKey\":\"$KEY\",\"caseId\":\"$CID\",\"outcome\":"
     "\"CASE_OUTCOME_RECTIFIED\",\"resolution\":\"已整改并向评价人反馈\","
     "\"raterInformed\":false,\"actor\":\"科长张三\"}",
     ZW_FAILED_PRECONDITION, "rater_informed"},
};

/* zwfw.xregion's rows (s_seed_xregion): the exchange forwarded to the
 * partner, the applicant's ID number and material references. */
static char s_xid[64], s_xr_idn[19], s_xr_bad_idn[19], s_xr_future_idn[19], s_xr_mats[1024];

/* tmpl with its $ names replaced. */
static void s_expand(char *out, size_t outsz, const char *tmpl, const char *key)
{
    char rid[24], cid[24];
    snprintf(rid, sizeof rid, "%" PRId64, s_rating_id);
    snprintf(cid, sizeof cid, "%" PRId64, s_case_id);
    static const char *const names[] = {"$KEY", "$RCPT", "$RID",  "$CID",   "$XID",    "$PEP",
                                        "$PK",  "$IDN",  "$MATS", "$OWNPK", "$BADIDN", "$FUTIDN"};
    const char *values[] = {
        key,          s_receipt,      rid,      cid,       s_xid,
        s_partner_ep, s_partner_pk,   s_xr_idn, s_xr_mats, s_link_keys.public_key,
        s_xr_bad_idn, s_xr_future_idn};
    _Static_assert(N(names) == N(values), "a value per name");
    size_t o = 0;
    while (*tmpl) {
        size_t i = 0;
        while (i < N(names) && strncmp(tmpl, names[i], strlen(names[i])) != 0)
            i++;
        const char *piece = i < N(names) ? values[i] : tmpl;
        size_t len = i < N(names) ? strlen(piece) : 1;
        assert_true(o + len < outsz);
        memcpy(out + o, piece, len);
        o += len;
        tmpl += i < N(names) ? strlen(names[i]) : 1;
    }
    out[o] = '\0';
}

/* Whether kind k makes field f hostile: s_field gives the other kinds a
 * harmless value ("x", 1). */
static bool s_kind_hits(const ProtobufCFieldDescriptor *f, s_kind_t k)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
    case PROTOBUF_C_TYPE_BYTES:
        return k == K_HUGE || k == K_UTF8;
    case PROTOBUF_C_TYPE_ENUM:
        return k == K_NEG || k == K_EXTREME || k == K_ENUM;
    case PROTOBUF_C_TYPE_BOOL:
        return k == K_NEG; /* K_EXTREME sends the same 0xffffffff */
    case PROTOBUF_C_TYPE_MESSAGE:
        return true;
    default:
        return k == K_NEG || k == K_EXTREME;
    }
}

/* The detail of the INVALID_ARGUMENT a hostile value in field f of d
 * must get, when it is sure: a string that is not UTF-8 or an unknown
 * enum value, anywhere, is refused naming the field; a request that
 * changes something also refuses any huge string (its texts are all
 * bounded) or hostile id naming the field. NULL: any answer that is not a
 * finding. */
static const char *s_must_refuse(const ProtobufCMessageDescriptor *d,
                                 const ProtobufCFieldDescriptor *f, s_kind_t k)
{
    bool mutation = protobuf_c_message_descriptor_get_field_by_name(d, "idempotency_key") != NULL;
    switch (f->type) {
    case PROTOBUF_C_TYPE_STRING:
        return k == K_UTF8 || mutation ? f->name : NULL;
    case PROTOBUF_C_TYPE_ENUM:
        return f->name;
    case PROTOBUF_C_TYPE_BOOL:
    case PROTOBUF_C_TYPE_MESSAGE:
        return NULL;
    default:
        return mutation ? f->name : NULL;
    }
}

/* The last request's answer was `want` (S_ANY: whatever is not a
 * finding; S_ACCEPTED: a reply; else an Error's code, with details
 * "detail" = want_detail unless it is NULL), else a finding. */
static void s_expect_last(const char *service, const char *type, const char *what, int want,
                          const char *want_detail)
{
    bool as_wanted =
        want == S_ANY || (T.last_code == want && (want == S_ACCEPTED || !want_detail ||
                                                  strcmp(T.last_detail, want_detail) == 0));
    if (T.last_code != S_NO_REPLY && !as_wanted) {
        char got[160];
        if (T.last_code == S_ACCEPTED)
            snprintf(got, sizeof got, "a reply");
        else
            snprintf(got, sizeof got, "%s (%s)", zw_code_name((zw_code_t) T.last_code),
                     T.last_detail);
        fprintf(stderr, "FINDING: %s %s (%s): got %s, not %s (%s)\n", service, type, what, got,
                want == S_ACCEPTED ? "a reply" : zw_code_name((zw_code_t) want),
                want_detail ? want_detail : "-");
        T.bad++;
    }
}

/* Sends b's request with a fresh idempotency key, as it is (only_field
 * < 0) or with field only_field made hostile by k; counts a finding when
 * it does not get what it must. */
static void s_based(const s_service_t *sv, const s_base_t *b, int only_field, s_kind_t k,
                    const char *about)
{
    static unsigned n;
    char key[32], json[4096];
    snprintf(key, sizeof key, "hr-%u", ++n);
    s_expand(json, sizeof json, b->json, key);
    ProtobufCMessage *m = h_json(b->d->name, json);
    s_buf_t buf = {0};
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *packed = malloc(len ? len : 1);
    assert_non_null(packed);
    protobuf_c_message_pack(m, packed);
    s_put(&buf, packed, len);
    free(packed);
    protobuf_c_message_free_unpacked(m, NULL);
    char what[200];
    int want = b->code;
    const char *want_detail = b->detail;
    if (only_field >= 0) {
        /* a field's last occurrence wins (a repeated one gets one more) */
        const ProtobufCFieldDescriptor *f = &b->d->fields[only_field];
        s_field(&buf, f, k, 1);
        snprintf(what, sizeof what, "a valid request about %s with %s in field %s", about,
                 s_kind_names[k], f->name);
        want_detail = s_must_refuse(b->d, f, k);
        want = want_detail ? ZW_INVALID_ARGUMENT : S_ANY;
    } else {
        snprintf(what, sizeof what, "the valid request about %s", about);
    }
    s_send_bytes(sv, b->d, buf.data, buf.len, what);
    free(buf.data);
    s_expect_last(sv->service, b->d->name, what, want, want_detail);
}

/* Each of n bases as it is, then with each field made hostile in every
 * way that hits it. */
static void s_based_all(const s_service_t *sv, const s_base_t *bases, size_t n, const char *about)
{
    for (size_t i = 0; i < n; i++) {
        const s_base_t *b = &bases[i];
        s_based(sv, b, -1, K_COUNT, about);
        for (unsigned f = 0; f < b->d->n_fields; f++)
            for (int k = 0; k < K_COUNT; k++)
                if (s_kind_hits(&b->d->fields[f], (s_kind_t) k))
                    s_based(sv, b, (int) f, (s_kind_t) k, about);
    }
}

/* Every rating request type about the seeded rating and case: as it is,
 * then with each field made hostile in every way that hits it. */
static void s_rating_rows(void)
{
    const s_service_t *sv = s_service_named("zwfw.rating");
    int64_t start = h_now_ms();
    int sent = T.sent;
    char about[64];
    snprintf(about, sizeof about, "rating %" PRId64 " / case %" PRId64, s_rating_id, s_case_id);
    s_based_all(sv, s_rating_bases, N(s_rating_bases), about);
    s_check_all_alive();
    fprintf(stderr,
            "zwfw.rating about rating %" PRId64 " / case %" PRId64 ": %d requests in %" PRId64
            " ms\n",
            s_rating_id, s_case_id, T.sent - sent, h_now_ms() - start);
}

/* ---- zwfw.report: the seeded day's figures, and dates it cannot hold --------------------- */

#define S_REPORT "zwfw.v1.PeriodReport"

static void s_unchanged(char **before);

/* A PeriodReport field by field, so that the values protobuf-c would
 * leave out (0) and those no encoder makes still reach the daemon: kind
 * as a raw varint, Date {y, m, d} (each written) when has_date, and
 * department_code when dept is not NULL. */
static void s_period_report(s_buf_t *b, int64_t kind, bool has_date, int64_t y, int64_t m,
                            int64_t d, const char *dept, size_t dept_len)
{
    s_tag(b, 1, 0);
    s_varint(b, (uint64_t) kind);
    if (has_date) {
        s_buf_t date = {0};
        const int64_t ymd[3] = {y, m, d};
        for (uint32_t i = 0; i < 3; i++) {
            s_tag(&date, i + 1, 0);
            s_varint(&date, (uint64_t) ymd[i]);
        }
        s_ld(b, 2, date.data, date.len);
        free(date.data);
    }
    if (dept)
        s_ld(b, 3, dept, dept_len);
}

/* s_period_report's field numbers are report.proto's. */
static void s_check_report_fields(void)
{
    const ProtobufCMessageDescriptor *pr = &zwfw__v1__period_report__descriptor;
    const ProtobufCMessageDescriptor *dt = &zwfw__v1__date__descriptor;
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(pr, "kind")->id, 1);
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(pr, "date")->id, 2);
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(pr, "department_code")->id, 3);
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(dt, "year")->id, 1);
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(dt, "month")->id, 2);
    assert_int_equal(protobuf_c_message_descriptor_get_field_by_name(dt, "day")->id, 3);
}

/* Sends b as a PeriodReport through broker; its answer must be want
 * (s_expect_last). */
static void s_report_expect(int broker, const s_buf_t *b, const char *what, int want,
                            const char *detail)
{
    s_send_type(broker, "zwfw.report", S_REPORT, b->data ? b->data : (uint8_t *) "", b->len, true,
                what);
    s_expect_last("zwfw.report", S_REPORT, what, want, detail);
}

static void s_assert_date(const Zwfw__V1__Date *d, const char *want)
{
    assert_non_null(d);
    char text[32];
    snprintf(text, sizeof text, "%04d-%02d-%02d", d->year, d->month, d->day);
    assert_string_equal(text, want);
}

/* The supervisor's whole-center report of each kind on the seeded day
 * (2020-09-21, a Monday, the simulated today): one 即办件 received and
 * finished at the counter and one 差评, in DEPT1; the catalog's two items. */
static void s_report_valid(void)
{
    static const struct {
        int kind;
        const char *label, *from, *to;
        int working_days; /* deploy/calendar/cn.json: 2020-09-27 (Sunday) was worked */
    } periods[] = {
        {ZWFW__V1__PERIOD_KIND__PERIOD_KIND_DAY, "2020-09-21", "2020-09-21", "2020-09-21", 1},
        {ZWFW__V1__PERIOD_KIND__PERIOD_KIND_WEEK, "2020-W39", "2020-09-21", "2020-09-27", 6},
        {ZWFW__V1__PERIOD_KIND__PERIOD_KIND_MONTH, "2020-09", "2020-09-01", "2020-09-30", 23},
        {ZWFW__V1__PERIOD_KIND__PERIOD_KIND_QUARTER, "2020-Q3", "2020-07-01", "2020-09-30", 67},
        {ZWFW__V1__PERIOD_KIND__PERIOD_KIND_YEAR, "2020", "2020-01-01", "2020-12-31", 249},
    };
    int64_t now_us = h_parse_us("2020-09-21T10:00:00+08:00");
    Zwfw__V1__Date date = ZWFW__V1__DATE__INIT;
    date.year = 2020;
    date.month = 9;
    date.day = 21;
    for (size_t i = 0; i < N(periods); i++) {
        Zwfw__V1__PeriodReport req = ZWFW__V1__PERIOD_REPORT__INIT;
        req.kind = (Zwfw__V1__PeriodKind) periods[i].kind;
        req.date = &date;
        ProtobufCMessage *m = h_ok(s_brokers[B_SUP].client, "zwfw.report", &req.base);
        assert_string_equal(m->descriptor->name, "zwfw.v1.PeriodReportReply");
        Zwfw__V1__PeriodReportReply *r = (Zwfw__V1__PeriodReportReply *) m;
        assert_non_null(r->period);
        assert_int_equal(r->period->kind, periods[i].kind);
        assert_string_equal(r->period->label, periods[i].label);
        s_assert_date(r->period->from, periods[i].from);
        s_assert_date(r->period->to, periods[i].to);
        assert_false(r->period->complete); /* each holds today */
        assert_int_equal(r->period->working_days, periods[i].working_days);
        assert_int_equal(h_ts_us(r->generated_at), now_us);
        assert_string_equal(r->department_code, "");
        assert_non_null(r->applications);
        assert_int_equal(r->applications->received, 1);
        assert_int_equal(r->applications->immediate_finished, 1);
        assert_int_equal(r->applications->completed, 1);
        assert_int_equal(r->applications->refused, 0);
        assert_non_null(r->ratings);
        assert_int_equal(r->ratings->ratings, 1);
        assert_int_equal(r->ratings->bad, 1);
        assert_int_equal(r->ratings->good, 0);
        assert_non_null(r->catalog);
        assert_int_equal(r->catalog->items_active, 2);
        assert_int_equal(r->catalog->immediate_items, 1);
        assert_int_equal(r->catalog->promised_items, 1);
        assert_int_equal(r->n_departments, 1);
        assert_string_equal(r->departments[0]->department_code, DEPT1);
        assert_string_equal(r->departments[0]->department_name, "潼南区市场监督管理局");
        assert_int_equal(r->departments[0]->applications->received, 1);
        assert_int_equal(r->departments[0]->ratings->bad, 1);
        protobuf_c_message_free_unpacked(m, NULL);
    }
    /* the month before: over, and empty but for the catalog */
    Zwfw__V1__PeriodReport req = ZWFW__V1__PERIOD_REPORT__INIT;
    req.kind = ZWFW__V1__PERIOD_KIND__PERIOD_KIND_MONTH;
    date.month = 8;
    req.date = &date;
    Zwfw__V1__PeriodReportReply *r =
        (Zwfw__V1__PeriodReportReply *) h_ok(s_brokers[B_SUP].client, "zwfw.report", &req.base);
    assert_string_equal(r->period->label, "2020-08");
    assert_true(r->period->complete);
    assert_int_equal(r->period->working_days, 21);
    assert_int_equal(r->applications->received, 0);
    assert_int_equal(r->ratings->ratings, 0);
    assert_int_equal(r->n_departments, 0);
    assert_non_null(r->catalog);
    assert_int_equal(r->catalog->items_active, 2);
    protobuf_c_message_free_unpacked(&r->base, NULL);
    /* a head: its own department whatever it leaves empty, no catalog */
    date.month = 9;
    req.kind = ZWFW__V1__PERIOD_KIND__PERIOD_KIND_DAY;
    r = (Zwfw__V1__PeriodReportReply *) h_ok(s_brokers[B_HEAD].client, "zwfw.report", &req.base);
    assert_string_equal(r->department_code, DEPT1);
    assert_null(r->catalog);
    assert_int_equal(r->applications->received, 1);
    protobuf_c_message_free_unpacked(&r->base, NULL);
}

/* Every kind, with the date as given. */
static void s_report_dates(int64_t y, int64_t m, int64_t d, int want, const char *detail)
{
    for (int kind = 1; kind <= 5; kind++) {
        s_buf_t b = {0};
        s_period_report(&b, kind, true, y, m, d, NULL, 0);
        char what[128];
        snprintf(what, sizeof what, "kind %d, date %" PRId64 "-%" PRId64 "-%" PRId64, kind, y, m,
                 d);
        s_report_expect(B_SUP, &b, what, want, detail);
        free(b.data);
        if (want == S_ANY && T.last_code != S_NO_REPLY)
            fprintf(stderr, "zwfw.report %s: %s %s\n", what,
                    T.last_code == S_ACCEPTED ? "a reply" : zw_code_name((zw_code_t) T.last_code),
                    T.last_detail);
    }
}

static void s_report_rows(void)
{
    int64_t start = h_now_ms();
    int sent = T.sent, bad = T.bad;
    s_check_report_fields();
    char *before = s_snapshot();
    s_report_valid();

    /* dates it cannot hold, for every kind */
    static const int64_t refused[][3] = {
        {9999, 12, 31},
        {1, 1, 1},
        {0, 0, 0},
        {9999, 12, 25},
        {1, 1, 6},
        {10000, 1, 1},
        {-1, 9, 21},
        {INT32_MIN, 9, 21},
        {INT32_MAX, 9, 21},
        {2020, 0, 21},
        {2020, 13, 1},
        {2020, -1, 21},
        {2020, INT32_MIN, 21},
        {2020, INT32_MAX, 21},
        {2020, 9, 0},
        {2020, 9, 31},
        {2020, 9, INT32_MIN},
        {2020, 9, INT32_MAX},
        {2021, 2, 29},
    };
    for (size_t i = 0; i < N(refused); i++)
        s_report_dates(refused[i][0], refused[i][1], refused[i][2], ZW_INVALID_ARGUMENT, "date");
    /* no date at all */
    for (int kind = 1; kind <= 5; kind++) {
        s_buf_t b = {0};
        s_period_report(&b, kind, false, 0, 0, 0, NULL, 0);
        s_report_expect(B_SUP, &b, "no date", ZW_INVALID_ARGUMENT, "date");
        free(b.data);
    }
    /* the periods nearest the ends of years 1-9999: a reply or a refusal
     * of the input, never a crash */
    s_report_dates(9999, 12, 24, S_ANY, NULL);
    s_report_dates(1, 1, 7, S_ANY, NULL);
    s_report_dates(2020, 2, 29, S_ACCEPTED, NULL);

    /* kinds outside 1-5 with a good date; none and no date: either */
    static const int64_t kinds[] = {0, 6, 99, -1, INT32_MIN, INT32_MAX, INT64_MIN};
    for (size_t i = 0; i < N(kinds); i++) {
        s_buf_t b = {0};
        s_period_report(&b, kinds[i], true, 2020, 9, 21, NULL, 0);
        char what[64];
        snprintf(what, sizeof what, "kind %" PRId64, kinds[i]);
        s_report_expect(B_SUP, &b, what, ZW_INVALID_ARGUMENT, "kind");
        free(b.data);
    }
    s_buf_t none = {0};
    s_period_report(&none, 0, false, 0, 0, 0, NULL, 0);
    s_report_expect(B_SUP, &none, "no kind, no date", ZW_INVALID_ARGUMENT, NULL);
    free(none.data);

    /* department codes */
    static const struct {
        const char *what;
        size_t len; /* of s_huge, or of text */
        const char *text;
        int want;
    } depts[] = {
        {"a 100 KB department_code", HUGE_LEN, NULL, ZW_INVALID_ARGUMENT},
        {"a 65-byte department_code", 65, NULL, ZW_INVALID_ARGUMENT},
        {"a 64-byte department_code", 64, NULL, S_ACCEPTED},
        {"a department_code of 21 Chinese characters", 63,
         "测测测测测测测测测测测测测测测测测测测测测", S_ACCEPTED},
        {"a department_code that is not UTF-8", sizeof s_bad_utf8 - 1, s_bad_utf8,
         ZW_INVALID_ARGUMENT},
    };
    for (size_t i = 0; i < N(depts); i++) {
        s_buf_t b = {0};
        s_period_report(&b, ZWFW__V1__PERIOD_KIND__PERIOD_KIND_MONTH, true, 2020, 9, 21,
                        depts[i].text ? depts[i].text : s_huge, depts[i].len);
        s_report_expect(B_SUP, &b, depts[i].what, depts[i].want,
                        depts[i].want == S_ACCEPTED ? NULL : "department_code");
        free(b.data);
    }

    /* the roles: another department for a head, a window at all */
    s_buf_t other = {0};
    s_period_report(&other, ZWFW__V1__PERIOD_KIND__PERIOD_KIND_DAY, true, 2020, 9, 21,
                    "11500152MB17028483", 18);
    s_report_expect(B_HEAD, &other, "a head asking for another department", ZW_PERMISSION_DENIED,
                    "department");
    s_report_expect(B_WIN, &other, "a window", ZW_PERMISSION_DENIED, "role");
    free(other.data);

    /* a valid report of one department with one field made hostile in
     * every way that hits it */
    for (unsigned f = 0; f < zwfw__v1__period_report__descriptor.n_fields; f++) {
        const ProtobufCFieldDescriptor *fd = &zwfw__v1__period_report__descriptor.fields[f];
        for (int k = 0; k < K_COUNT; k++) {
            if (!s_kind_hits(fd, (s_kind_t) k))
                continue;
            s_buf_t b = {0};
            s_period_report(&b, ZWFW__V1__PERIOD_KIND__PERIOD_KIND_MONTH, true, 2020, 9, 21, DEPT1,
                            strlen(DEPT1));
            s_field(&b, fd, (s_kind_t) k, 1); /* the last one wins; a Date merges */
            char what[128];
            snprintf(what, sizeof what, "a valid report with %s in field %s", s_kind_names[k],
                     fd->name);
            s_report_expect(B_SUP, &b, what, ZW_INVALID_ARGUMENT, fd->name);
            free(b.data);
        }
    }
    s_check_all_alive();
    s_unchanged(&before); /* it only reads */
    fprintf(stderr, "zwfw.report periods and dates: %d requests, %d findings in %" PRId64 " ms\n",
            T.sent - sent, T.bad - bad, h_now_ms() - start);
}

/* ---- zwfw.xregion against real rows -------------------------------------------------- */

#define S_XR "zwfw.xregion"
#define XR_PARTNER "511400" /* 眉山市 */
#define XR_ITEM "510T0100100001-511400000000-000-11511400MB0000000X-1-00"
#define XR_PUT(region, endpoint, key)                                                              \
    "{\"idempotencyKey\":\"$KEY\",\"actor\":\"运维王工\",\"region\":\"" region                     \
    "\",\"name\":\"眉山市\",\"endpoint\":\"" endpoint "\",\"publicKey\":\"" key "\"}"
#define XR_PART(region, item) "{\"region\":\"" region "\",\"itemCode\":\"" item "\"}"
#define XR_FWD(mode, parts, idn, checked)                                                          \
    "{\"idempotencyKey\":\"$KEY\",\"actor\":\"窗口李丽\",\"mode\":\"CROSS_MODE_" mode              \
    "\",\"parts\":[" parts "],\"channel\":\"CHANNEL_WINDOW\",\"windowId\":\"W01\","                \
    "\"applicant\":{\"kind\":\"APPLICANT_KIND_PERSON\",\"identity\":{\"name\":\"赵六\","         \
    "\"idType\":\"ID_TYPE_RESIDENT_ID\",\"idNumber\":\"" idn "\"},\"phone\":\"13912340002\","      \
    "\"address\":\"重庆市潼南区桂林街道\"},\"materials\":[$MATS],\"identityChecked\":" checked     \
    ",\"note\":\"申请人在潼南办理，请眉山市办理\"}"
#define XR_FORWARD XR_FWD("PROXY", XR_PART(XR_PARTNER, XR_ITEM), "$IDN", "true")

/* The request of type d from tmpl (s_expand, $KEY = key) through broker:
 * its answer must be want / detail (s_expect_last). */
static void s_xr_json(int broker, const ProtobufCMessageDescriptor *d, const char *tmpl,
                      const char *key, const char *what, int want, const char *detail)
{
    char json[4096];
    s_expand(json, sizeof json, tmpl, key);
    ProtobufCMessage *m = h_json(d->name, json);
    size_t len = protobuf_c_message_get_packed_size(m);
    uint8_t *packed = malloc(len ? len : 1);
    assert_non_null(packed);
    protobuf_c_message_pack(m, packed);
    protobuf_c_message_free_unpacked(m, NULL);
    s_send_type(broker, S_XR, d->name, packed, len, true, what);
    free(packed);
    s_expect_last(S_XR, d->name, what, want, detail);
}

/* Partner 511400 registered by the operator (its link endpoint a port
 * where nothing listens), and one application forwarded to it by the
 * window: it stays QUEUED. */
static void s_seed_xregion(void)
{
    h_resident_id("51140319900101123", s_xr_idn);
    memcpy(s_xr_bad_idn, s_xr_idn, sizeof s_xr_idn);
    s_xr_bad_idn[17] = s_xr_idn[17] == '0' ? '1' : '0';  /* the check character wrong */
    h_resident_id("51140320300101123", s_xr_future_idn); /* born in 2030 */
    h_material_refs(s_xr_mats, sizeof s_xr_mats, "M01", 7);
    char json[4096];
    s_expand(json, sizeof json, XR_PUT(XR_PARTNER, "$PEP", "$PK"), "seed-partner");
    Zwfw__V1__PartnerReply *p = (Zwfw__V1__PartnerReply *) h_json_call(s_brokers[B_OP].client, S_XR,
                                                                       "zwfw.v1.PutPartner", json);
    assert_non_null(p->partner);
    assert_string_equal(p->partner->region, XR_PARTNER);
    assert_string_equal(p->partner->endpoint, s_partner_ep);
    assert_string_equal(p->partner->public_key, s_partner_pk);
    assert_true(p->partner->enabled);
    assert_int_equal(p->partner->version, 1);
    assert_false(p->replayed);
    protobuf_c_message_free_unpacked(&p->base, NULL);

    Zwfw__V1__ListPartnersReply *l = (Zwfw__V1__ListPartnersReply *) h_json_call(
        s_brokers[B_SUP].client, S_XR, "zwfw.v1.ListPartners", "{}");
    assert_int_equal(l->n_partners, 1);
    assert_string_equal(l->partners[0]->region, XR_PARTNER);
    assert_int_equal(l->partners[0]->link, ZWFW__V1__LINK_STATE__LINK_STATE_DOWN);
    assert_string_equal(l->own_region, "500152");
    assert_string_equal(l->own_public_key, s_link_keys.public_key);
    assert_string_equal(l->own_endpoint, s_link_ep);
    protobuf_c_message_free_unpacked(&l->base, NULL);

    s_expand(json, sizeof json, XR_FORWARD, "seed-forward");
    Zwfw__V1__ExchangeReply *x =
        (Zwfw__V1__ExchangeReply *) h_json_call(s_brokers[B_WIN].client, S_XR, S_FORWARD, json);
    Zwfw__V1__Exchange *e = x->exchange;
    assert_non_null(e);
    /* XR + this region + the simulated business day + 6 digits */
    assert_int_equal(strncmp(e->exchange_id, "XR50015220200921-", 17), 0);
    assert_int_equal(strlen(e->exchange_id), 23);
    assert_int_equal(e->direction, ZWFW__V1__EXCHANGE_DIRECTION__EXCHANGE_DIRECTION_OUTBOUND);
    assert_int_equal(e->mode, ZWFW__V1__CROSS_MODE__CROSS_MODE_PROXY);
    assert_string_equal(e->origin_region, "500152");
    assert_non_null(e->applicant);
    assert_string_equal(e->applicant->identity->id_number, s_xr_idn); /* a window: in clear */
    assert_int_equal(e->n_materials, 1);
    assert_int_equal(e->n_parts, 1);
    assert_string_equal(e->parts[0]->region, XR_PARTNER);
    assert_string_equal(e->parts[0]->item_code, XR_ITEM);
    assert_int_equal(e->parts[0]->stage, ZWFW__V1__PART_STAGE__PART_STAGE_QUEUED);
    assert_false(e->done);
    snprintf(s_xid, sizeof s_xid, "%s", e->exchange_id);
    s_n_xr_seen = 0; /* the seeded exchange is not counted in T.forwards */
    snprintf(s_xr_seen[s_n_xr_seen++], sizeof s_xr_seen[0], "%s", s_xid);
    protobuf_c_message_free_unpacked(&x->base, NULL);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM xregion.exchanges"), 1);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM xregion.outbound WHERE state = 0"), 1);
}

/* A valid request of each type about partner 511400 and the seeded
 * exchange (reads first, the partner's own change last: a hostile
 * `disabled` may disable it). */
static const s_base_t s_xregion_bases[] = {
    {&zwfw__v1__get_partner__descriptor, "{\"region\":\"" XR_PARTNER "\"}", S_ACCEPTED, NULL},
    {&zwfw__v1__list_partners__descriptor, "{}", S_ACCEPTED, NULL},
    {&zwfw__v1__list_link_messages__descriptor, "{\"region\":\"" XR_PARTNER "\",\"pageSize\":10}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__get_exchange__descriptor, "{\"exchangeId\":\"$XID\"}", S_ACCEPTED, NULL},
    {&zwfw__v1__list_exchanges__descriptor,
     "{\"direction\":\"EXCHANGE_DIRECTION_OUTBOUND\",\"region\":\"" XR_PARTNER
     "\",\"openOnly\":true,\"pageSize\":10}",
     S_ACCEPTED, NULL},
    {&zwfw__v1__forward_application__descriptor, XR_FORWARD, S_ACCEPTED, NULL},
    {&zwfw__v1__put_partner__descriptor, XR_PUT(XR_PARTNER, "$PEP", "$PK"), S_ACCEPTED, NULL},
};

/* Refusals that need the rows, each naming its field. */
typedef struct {
    int broker;
    const ProtobufCMessageDescriptor *d;
    const char *json, *what;
    int code;
    const char *detail;
} s_xr_case_t;

#define D_PUT &zwfw__v1__put_partner__descriptor
#define D_GETP &zwfw__v1__get_partner__descriptor
#define D_LISTP &zwfw__v1__list_partners__descriptor
#define D_FWD &zwfw__v1__forward_application__descriptor
#define D_GETX &zwfw__v1__get_exchange__descriptor
#define D_LISTX &zwfw__v1__list_exchanges__descriptor
#define D_LOG &zwfw__v1__list_link_messages__descriptor
#define XR_PERM ZW_PERMISSION_DENIED
#define XR_INV ZW_INVALID_ARGUMENT

static const s_xr_case_t s_xr_cases[] = {
    /* the partner registry */
    {B_OP, D_PUT, XR_PUT("500152", "$PEP", "$PK"), "its own region", XR_INV, "region"},
    {B_OP, D_PUT, XR_PUT("51200", "$PEP", "$PK"), "a 5-digit region", XR_INV, "region"},
    {B_OP, D_PUT, XR_PUT("512000", "", "$PK"), "a key partner 511400 holds", ZW_ALREADY_EXISTS,
     "public_key"},
    {B_OP, D_PUT, XR_PUT("512000", "", "$OWNPK"), "this deployment's own link key", XR_INV,
     "public_key"},
    {B_OP, D_PUT, XR_PUT("512000", "", "abcdefghijklmnopqrstuvwxyz0123456789ABC"),
     "a 39-character key", XR_INV, "public_key"},
    {B_OP, D_PUT, XR_PUT("512000", "tcp://127.0.0.1:65536", "$PK"), "port 65536", XR_INV,
     "endpoint"},
    {B_OP, D_PUT, XR_PUT("512000", "tcp://127.0.0.1:0", "$PK"), "port 0", XR_INV, "endpoint"},
    {B_OP, D_PUT, XR_PUT("512000", "tcp://:5570", "$PK"), "no host", XR_INV, "endpoint"},
    {B_OP, D_PUT, XR_PUT("512000", "ipc:///tmp/zwfw-xr", "$PK"), "an ipc endpoint", XR_INV,
     "endpoint"},
    {B_OP, D_PUT,
     "{\"idempotencyKey\":\"$KEY\",\"actor\":\"运维王工\",\"region\":\"512000\",\"name\":\"\","
     "\"publicKey\":\"$PK\"}",
     "no name", XR_INV, "name"},
    {B_WIN, D_PUT, XR_PUT(XR_PARTNER, "$PEP", "$PK"), "a window changing partners", XR_PERM,
     "role"},
    {B_OP, D_GETP, "{\"region\":\"512000\"}", "an unregistered partner", ZW_NOT_FOUND, "region"},
    {B_SUP, D_GETP, "{\"region\":\"5114000\"}", "a 7-digit region", XR_INV, "region"},
    {B_SUP, D_GETP, "{}", "no region", XR_INV, "region"},
    {B_HEAD, D_GETP, "{\"region\":\"" XR_PARTNER "\"}", "a head reading partners", XR_PERM, "role"},
    {B_WIN, D_LISTP, "{}", "a window listing partners", XR_PERM, "role"},
    /* forwarding */
    {B_WIN, D_FWD, XR_FWD("PROXY", XR_PART("512000", XR_ITEM), "$IDN", "true"),
     "an unregistered partner", ZW_NOT_FOUND, "parts[0].region"},
    {B_WIN, D_FWD, XR_FWD("PROXY", XR_PART("500152", XR_ITEM), "$IDN", "true"),
     "this deployment as the partner", XR_INV, "parts[0].region"},
    {B_WIN, D_FWD, XR_FWD("PROXY", XR_PART(XR_PARTNER, "510T 01"), "$IDN", "true"),
     "an item code with a space", XR_INV, "parts[0].item_code"},
    {B_WIN, D_FWD, XR_FWD("PROXY", XR_PART(XR_PARTNER, ""), "$IDN", "true"), "no item code", XR_INV,
     "parts[0].item_code"},
    {B_WIN, D_FWD,
     XR_FWD("JOINT", XR_PART(XR_PARTNER, XR_ITEM) "," XR_PART(XR_PARTNER, XR_ITEM), "$IDN", "true"),
     "a joint exchange naming one partner twice", XR_INV, "parts[1].region"},
    {B_WIN, D_FWD, XR_FWD("JOINT", XR_PART(XR_PARTNER, XR_ITEM), "$IDN", "true"),
     "a joint exchange of one part", XR_INV, "parts"},
    {B_WIN, D_FWD,
     XR_FWD("PROXY", XR_PART(XR_PARTNER, XR_ITEM) "," XR_PART("512000", XR_ITEM), "$IDN", "true"),
     "a proxy exchange of two parts", XR_INV, "parts"},
    {B_WIN, D_FWD, XR_FWD("PROXY", "", "$IDN", "true"), "no part", XR_INV, "parts"},
    {B_WIN, D_FWD, XR_FWD("PROXY", XR_PART(XR_PARTNER, XR_ITEM), "$IDN", "false"),
     "identity not checked", ZW_FAILED_PRECONDITION, "identity_checked"},
    {B_WIN, D_FWD, XR_FWD("PROXY", XR_PART(XR_PARTNER, XR_ITEM), "$BADIDN", "true"),
     "a wrong ID check character", XR_INV, "applicant.identity.id_number"},
    {B_WIN, D_FWD, XR_FWD("PROXY", XR_PART(XR_PARTNER, XR_ITEM), "$FUTIDN", "true"),
     "an applicant born in 2030", XR_INV, "applicant.identity.id_number"},
    {B_INT, D_FWD, XR_FWD("PROXY", XR_PART(XR_PARTNER, XR_ITEM), "$IDN", "true"),
     "an integrator as a window", XR_PERM, "mode"},
    {B_INT, D_FWD, XR_FWD("FULLY_ONLINE", XR_PART(XR_PARTNER, XR_ITEM), "$IDN", "true"),
     "an integrator on CHANNEL_WINDOW", XR_PERM, "channel"},
    {B_HEAD, D_FWD, XR_FWD("PROXY", XR_PART(XR_PARTNER, XR_ITEM), "$IDN", "true"),
     "a head forwarding", XR_PERM, "role"},
    /* reading exchanges */
    {B_WIN, D_GETX, "{\"exchangeId\":\"XR50015220200921-999999\"}", "no such exchange",
     ZW_NOT_FOUND, "exchange_id"},
    {B_WIN, D_GETX, "{\"exchangeId\":\"XR 1\"}", "an id with a space", XR_INV, "exchange_id"},
    {B_WIN, D_GETX, "{}", "no id", XR_INV, "exchange_id"},
    {B_INT, D_GETX, "{\"exchangeId\":\"$XID\"}", "an integrator, of a window's exchange", XR_PERM,
     "exchange_id"},
    {B_HEAD, D_GETX, "{\"exchangeId\":\"$XID\"}", "a head", XR_PERM, "role"},
    {B_WIN, D_LISTX, "{\"pageToken\":\"abc\"}", "a token it never gave", XR_INV, "page_token"},
    {B_WIN, D_LISTX, "{\"pageToken\":\"12/\"}", "a token without an id", XR_INV, "page_token"},
    {B_WIN, D_LISTX, "{\"pageToken\":\"12/a b\"}", "a token with a space", XR_INV, "page_token"},
    {B_WIN, D_LISTX, "{\"pageToken\":\"-1/x\"}", "a negative time in a token", S_ANY, NULL},
    {B_WIN, D_LISTX, "{\"pageToken\":\"99999999999999999999999/x\"}", "a time past int64", S_ANY,
     NULL},
    {B_WIN, D_LISTX, "{\"pageSize\":201}", "page_size 201", XR_INV, "page_size"},
    {B_WIN, D_LISTX, "{\"region\":\"5114\"}", "a 4-digit region", XR_INV, "region"},
    {B_INT, D_LISTX, "{}", "an integrator (only its own)", S_ACCEPTED, NULL},
    {B_OP, D_LOG, "{\"pageToken\":\"0\"}", "token 0", XR_INV, "page_token"},
    {B_OP, D_LOG, "{\"pageToken\":\"-1\"}", "token -1", XR_INV, "page_token"},
    {B_OP, D_LOG, "{\"pageToken\":\"1x\"}", "token 1x", XR_INV, "page_token"},
    {B_OP, D_LOG, "{\"pageToken\":\"99999999999999999999\"}", "a token past int64", S_ANY, NULL},
    {B_SUP, D_LOG, "{\"pageSize\":201}", "page_size 201", XR_INV, "page_size"},
    {B_SUP, D_LOG, "{\"region\":\"51140x\"}", "a region with a letter", XR_INV, "region"},
    {B_WIN, D_LOG, "{}", "a window reading the log", XR_PERM, "role"},
};

/* The seeded forward and partner again: their keys and bytes replay the
 * first answers (replayed, the first exchange, version 1) and change
 * nothing; the forward's key with other bytes is ALREADY_EXISTS. To a
 * disabled partner FAILED_PRECONDITION, and the partner enabled again. */
static void s_xr_idempotency_and_disabled(void)
{
    char json[4096], *before = s_snapshot();
    s_expand(json, sizeof json, XR_FORWARD, "seed-forward");
    Zwfw__V1__ExchangeReply *x =
        (Zwfw__V1__ExchangeReply *) h_json_call(s_brokers[B_WIN].client, S_XR, S_FORWARD, json);
    assert_true(x->replayed);
    assert_string_equal(x->exchange->exchange_id, s_xid);
    protobuf_c_message_free_unpacked(&x->base, NULL);
    s_expand(json, sizeof json, XR_PUT(XR_PARTNER, "$PEP", "$PK"), "seed-partner");
    Zwfw__V1__PartnerReply *p = (Zwfw__V1__PartnerReply *) h_json_call(s_brokers[B_OP].client, S_XR,
                                                                       "zwfw.v1.PutPartner", json);
    assert_true(p->replayed);
    assert_int_equal(p->partner->version, 1);
    protobuf_c_message_free_unpacked(&p->base, NULL);
    s_unchanged(&before);
    s_xr_json(B_WIN, D_FWD, XR_FWD("PROXY", XR_PART("512000", XR_ITEM), "$IDN", "true"),
              "seed-forward", "the seeded forward's key, another partner", ZW_ALREADY_EXISTS,
              "idempotency_key");
    static unsigned n;
    char key[32];
    snprintf(key, sizeof key, "xr-dis-%u", ++n);
    s_xr_json(B_OP, D_PUT,
              "{\"idempotencyKey\":\"$KEY\",\"actor\":\"运维王工\",\"region\":\"" XR_PARTNER
              "\",\"name\":\"眉山市\",\"endpoint\":\"$PEP\",\"publicKey\":\"$PK\","
              "\"disabled\":true}",
              key, "the partner disabled", S_ACCEPTED, NULL);
    Zwfw__V1__PartnerReply *g = (Zwfw__V1__PartnerReply *) h_json_call(
        s_brokers[B_SUP].client, S_XR, "zwfw.v1.GetPartner", "{\"region\":\"" XR_PARTNER "\"}");
    assert_false(g->partner->enabled);
    assert_int_equal(g->partner->link, ZWFW__V1__LINK_STATE__LINK_STATE_DISABLED);
    assert_int_equal(g->partner->queued, 1 + T.forwards); /* every forward still waits */
    protobuf_c_message_free_unpacked(&g->base, NULL);
    snprintf(key, sizeof key, "xr-dis-%u", ++n);
    s_xr_json(B_WIN, D_FWD, XR_FORWARD, key, "to a disabled partner", ZW_FAILED_PRECONDITION,
              "parts[0].region");
    snprintf(key, sizeof key, "xr-dis-%u", ++n);
    s_xr_json(B_OP, D_PUT, XR_PUT(XR_PARTNER, "$PEP", "$PK"), key, "the partner enabled again",
              S_ACCEPTED, NULL);
    s_wait_quiet_ms(150);
}

/* The link socket meets bytes that are not ZMTP, a peer without CURVE and
 * a CURVE peer of a key no partner holds: nothing is stored, and the
 * daemon serves on. */
static void s_xr_link_junk(void)
{
    char *before = s_snapshot();
    int port = atoi(strrchr(s_link_ep, ':') + 1);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t) port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    static const uint8_t greeting[] = {0xff, 0, 0, 0,   0,   0,   0,  0, 1,
                                       0x7f, 3, 0, 'N', 'U', 'L', 'L'}; /* ZMTP 3.0, then junk */
    for (int round = 0; round < 3; round++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        uint8_t junk[4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (uint8_t) s_rand();
        if (round == 1 && write(fd, greeting, sizeof greeting) != (ssize_t) sizeof greeting)
            fail_msg("could not write to the link socket");
        size_t len = round == 2 ? 3 : sizeof junk; /* the last: 3 bytes, then silence */
        if (write(fd, junk, len) < 0 && errno != EPIPE && errno != ECONNRESET)
            fail_msg("could not write to the link socket: %s", strerror(errno));
        h_nap(50);
        close(fd);
    }
    /* a ZeroMQ peer without CURVE, and one with a key the link does not know */
    for (int curve = 0; curve < 2; curve++) {
        void *d = zmq_socket(S.ctx, ZMQ_DEALER);
        assert_non_null(d);
        int linger = 0;
        zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof linger);
        if (curve) {
            zw_auth_keys_t stranger;
            zw_err_t err;
            assert_int_equal(zw_auth_keys_generate(&stranger, &err), 0);
            assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, s_link_keys.public_key, 40), 0);
            assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, stranger.public_key, 40), 0);
            assert_int_equal(zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, stranger.secret_key, 40), 0);
        }
        assert_int_equal(zmq_connect(d, s_link_ep), 0);
        /* [proto]["MSG"][message id][type][bytes], as partners send */
        zmq_send(d, "ZWXR01", 6, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(d, "MSG", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(d, "m-1", 3, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(d, "zwfw.v1.XrForward", 17, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        zmq_send(d, "\x0a\x01x", 3, ZMQ_DONTWAIT);
        h_nap(150);
        zmq_close(d);
    }
    s_check_all_alive();
    Zwfw__V1__HealthRequest hr = ZWFW__V1__HEALTH_REQUEST__INIT;
    ProtobufCMessage *r = h_ok(s_brokers[B_OP].client, S_XR, &hr.base);
    protobuf_c_message_free_unpacked(r, NULL);
    s_unchanged(&before);
}

static void s_xregion_rows(void)
{
    const s_service_t *sv = s_service_named(S_XR);
    int64_t start = h_now_ms();
    int sent = T.sent, bad = T.bad;
    char about[96];
    snprintf(about, sizeof about, "partner " XR_PARTNER " / exchange %s", s_xid);
    s_based_all(sv, s_xregion_bases, N(s_xregion_bases), about);
    /* a hostile `disabled` may have disabled it */
    s_xr_json(B_OP, D_PUT, XR_PUT(XR_PARTNER, "$PEP", "$PK"), "xr-enable-1",
              "the partner enabled again", S_ACCEPTED, NULL);
    s_wait_quiet_ms(150);
    for (size_t i = 0; i < N(s_xr_cases); i++) {
        char key[32], what[160];
        snprintf(key, sizeof key, "xr-case-%zu", i);
        snprintf(what, sizeof what, "%s", s_xr_cases[i].what);
        s_xr_json(s_xr_cases[i].broker, s_xr_cases[i].d, s_xr_cases[i].json, key, what,
                  s_xr_cases[i].code, s_xr_cases[i].detail);
    }
    s_xr_idempotency_and_disabled();
    s_xr_link_junk();
    s_check_all_alive();
    fprintf(stderr,
            "zwfw.xregion about partner " XR_PARTNER " / exchange %s: %d requests, %d findings, "
            "%d new exchanges in %" PRId64 " ms\n",
            s_xid, T.sent - sent, T.bad - bad, T.forwards, h_now_ms() - start);
}

/* xregion.exchanges holds the seeded exchange and one per forward
 * answered with a new exchange, each part still QUEUED with its message
 * waiting for the partner; ListExchanges shows them all. */
static void s_xregion_exchanges_check(void)
{
    long rows = h_sql_long(&S, "SELECT count(*) FROM xregion.exchanges");
    fprintf(stderr, "xregion.exchanges: %ld rows; 1 seeded + %d forwarded\n", rows, T.forwards);
    assert_int_equal(rows, 1 + T.forwards);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM xregion.parts"), rows);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM xregion.parts WHERE stage <> 1"), 0);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM xregion.outbound WHERE state = 0"), rows);
    assert_int_equal(h_sql_long(&S, "SELECT count(*) FROM xregion.exchanges WHERE direction <> 1"
                                    " OR submitted_by <> 'win1' OR done"),
                     0);
    Zwfw__V1__ListExchangesReply *l = (Zwfw__V1__ListExchangesReply *) h_json_call(
        s_brokers[B_WIN].client, S_XR, "zwfw.v1.ListExchanges", "{\"pageSize\":200}");
    assert_int_equal((long) l->n_exchanges, rows);
    bool seeded = false;
    for (size_t i = 0; i < l->n_exchanges; i++) {
        seeded = seeded || strcmp(l->exchanges[i]->exchange_id, s_xid) == 0;
        assert_int_equal(l->exchanges[i]->n_parts, 1);
        assert_int_equal(l->exchanges[i]->parts[0]->stage, ZWFW__V1__PART_STAGE__PART_STAGE_QUEUED);
    }
    assert_true(seeded);
    protobuf_c_message_free_unpacked(&l->base, NULL);
}

static void test_hostile_input(void **state)
{
    (void) state;
    int64_t start = h_now_ms();
    s_make_snapshot_sql();
    s_seed_rating();
    s_seed_xregion();
    s_wait_quiet();
    /* the same snapshot twice while nothing is asked: the daemons are quiet */
    h_nap(300);
    char *a = s_snapshot();
    h_nap(300);
    char *b = s_snapshot();
    assert_string_equal(a, b);
    free(a);
    free(b);

    s_report_rows(); /* first: its figures are of the seeded rows alone */
    s_rating_rows();
    s_xregion_rows();
    int64_t every = h_now_ms();
    int before_every = T.sent;
    for (size_t i = 0; i < N(s_services); i++) {
        const s_service_t *sv = &s_services[i];
        int64_t sv_start = h_now_ms();
        int sv_sent = T.sent;
        s_service_level(sv);
        for (size_t t = 0; t < sv->n_types; t++) {
            const ProtobufCMessageDescriptor *d = sv->types[t];
            s_send_bytes(sv, d, "", 0, "an empty payload");
            s_garbage(sv, d);
            s_crafted(sv, d, -1);
        }
        s_check_all_alive();
        fprintf(stderr, "every type of %s: %d requests in %" PRId64 " ms\n", sv->service,
                T.sent - sv_sent, h_now_ms() - sv_start);
    }
    fprintf(stderr, "every type: %d requests in %" PRId64 " ms\n", T.sent - before_every,
            h_now_ms() - every);
    /* one field at a time, round robin over the types, while time lasts */
    int64_t until = h_now_ms() + FIELD_BUDGET_MS;
    int fields_done = 0, fields_total = 0;
    for (size_t i = 0; i < N(s_services); i++)
        for (size_t t = 0; t < s_services[i].n_types; t++)
            fields_total += (int) s_services[i].types[t]->n_fields;
    for (unsigned f = 0; h_now_ms() < until; f++) {
        bool any = false;
        for (size_t i = 0; i < N(s_services) && h_now_ms() < until; i++)
            for (size_t t = 0; t < s_services[i].n_types && h_now_ms() < until; t++)
                if (f < s_services[i].types[t]->n_fields) {
                    s_crafted(&s_services[i], s_services[i].types[t], (int) f);
                    fields_done++;
                    any = true;
                }
        if (!any)
            break;
    }
    fprintf(stderr, "one field at a time: %d of %d fields\n", fields_done, fields_total);
    s_check_all_alive();

    fprintf(stderr, "%d requests: %d errors, %d accepted; codes:", T.sent, T.errors, T.accepted);
    for (int c = 0; c < 17; c++)
        if (T.codes[c])
            fprintf(stderr, " %s %d", zw_code_name((zw_code_t) c), T.codes[c]);
    fprintf(stderr, "; %d findings, %" PRId64 " ms\n", T.bad, h_now_ms() - start);

    /* every daemon still serves */
    for (size_t i = 0; i < N(s_services); i++)
        s_health(&s_services[i]);
    Zwfw__V1__ListItemsReply *items = (Zwfw__V1__ListItemsReply *) h_json_call(
        s_brokers[B_WIN].client, "zwfw.catalog", "zwfw.v1.ListItems", "{}");
    assert_int_equal(items->n_items, 2);
    bool has_p = false, has_i = false;
    for (size_t i = 0; i < items->n_items; i++) {
        has_p = has_p || strcmp(items->items[i]->impl_code, ITEM_P) == 0;
        has_i = has_i || strcmp(items->items[i]->impl_code, ITEM_I) == 0;
    }
    assert_true(has_p && has_i);
    protobuf_c_message_free_unpacked(&items->base, NULL);
    /* and the seeded case is still there, of its rating */
    char json[64];
    snprintf(json, sizeof json, "{\"caseId\":\"%" PRId64 "\"}", s_case_id);
    Zwfw__V1__GetCaseReply *gc = (Zwfw__V1__GetCaseReply *) h_json_call(
        s_brokers[B_SUP].client, "zwfw.rating", "zwfw.v1.GetCase", json);
    assert_int_equal(gc->rectification_case->case_id, s_case_id);
    assert_int_equal(gc->rating->rating_id, s_rating_id);
    assert_string_equal(gc->rating->receipt_number, s_receipt);
    protobuf_c_message_free_unpacked(&gc->base, NULL);
    /* bad requests stored no exchange */
    s_xregion_exchanges_check();
    s_check_all_alive();
    assert_int_equal(T.bad, 0);
    /* SIGTERM and exit 0 for each (teardown checks it too; here it is the test);
     * zwfw-xregion's log without a sanitizer's report besides */
    char xr_log[sizeof S.procs.procs[0].log];
    snprintf(xr_log, sizeof xr_log, "%s", zwt_stack_log(&S.procs, s_xregion));
    h_stop(&S, s_report);
    h_stop(&S, s_xregion);
    assert_false(h_file_has(xr_log, "Sanitizer"));
    assert_false(h_file_has(xr_log, "runtime error"));
    h_stop(&S, s_rating);
    h_stop(&S, s_workflow);
    h_stop(&S, s_intake);
    for (int i = 0; i < B_COUNT; i++)
        h_stop(&S, s_brokers[i].pid);
}

/* ---- the findings of 2026-11, one test each ------------------------------------------ */

/* Sends one raw request and returns the Error it must get (caller frees). */
static Zwfw__V1__Error *s_error_of(int broker, const char *service, const char *type,
                                   size_t type_len, const void *data, size_t len)
{
    zw_frames_t *body = zw_frames_new();
    assert_non_null(body);
    assert_int_equal(zw_frames_append_str(body, "regress-1"), 0);
    assert_int_equal(zw_frames_append(body, type, type_len), 0);
    assert_int_equal(zw_frames_append(body, data, len), 0);
    zw_frames_t *reply = NULL;
    zw_err_t err;
    int rc = zw_client_call_raw(s_raw[broker], service, body, &reply, &err);
    zw_frames_destroy(&body);
    if (rc != 0)
        fail_msg("%s: no reply: %s", service, err.message);
    bool is_error = zw_frames_count(reply) == 3 && zw_frames_streq(reply, 0, "regress-1") &&
                    zw_frames_streq(reply, 1, "zwfw.v1.Error");
    Zwfw__V1__Error *e =
        is_error ? zwfw__v1__error__unpack(NULL, zw_frames_size(reply, 2), zw_frames_data(reply, 2))
                 : NULL;
    zw_frames_destroy(&reply);
    if (!e)
        fail_msg("%s %.*s: no Error (%s)", service, (int) (type_len > 60 ? 60 : type_len), type,
                 is_error ? "it does not decode" : "a reply, or not [id][type][bytes]");
    return e;
}

static void s_error_free(Zwfw__V1__Error **e)
{
    zwfw__v1__error__free_unpacked(*e, NULL);
    *e = NULL;
}

/* Waits until what a request set off (relays, the audit chain, event
 * consumers) is done: two snapshots gap_ms apart agree. */
static void s_wait_quiet_ms(int gap_ms)
{
    char *a = s_snapshot();
    for (int i = 0; i < 100; i++) {
        h_nap(gap_ms);
        char *b = s_snapshot();
        bool same = strcmp(a, b) == 0;
        free(a);
        a = b;
        if (same)
            break;
    }
    free(a);
}

static void s_wait_quiet(void)
{
    s_wait_quiet_ms(300);
}

/* The store as in *before (which is freed), else the first table that
 * changed. */
static void s_unchanged(char **before)
{
    char *after = s_snapshot();
    if (strcmp(*before, after) != 0) {
        char table[160];
        s_diff(*before, after, table, sizeof table);
        fprintf(stderr, "%s changed\n", table);
    }
    bool same = strcmp(*before, after) == 0;
    free(*before);
    *before = NULL;
    free(after);
    assert_true(same);
}

/* A message of type d whose string field `name` holds len bytes of value. */
static void s_one_string(s_buf_t *b, const ProtobufCMessageDescriptor *d, const char *name,
                         const void *value, size_t len)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(d, name);
    assert_non_null(f);
    s_ld(b, f->id, value, len);
}

/* The request in b is refused INVALID_ARGUMENT naming `field`, in words of
 * its own (not PostgreSQL's), and changes nothing. */
static void s_expect_field(int broker, const char *service, const ProtobufCMessageDescriptor *d,
                           const s_buf_t *b, const char *field)
{
    char *before = s_snapshot();
    Zwfw__V1__Error *e = s_error_of(broker, service, d->name, strlen(d->name), b->data, b->len);
    fprintf(stderr, "%s %s, %s not UTF-8: %s \"%s\" (%s)\n", service, d->name, field,
            zw_code_name((zw_code_t) e->code), e->message, s_detail_of(e));
    assert_int_equal(e->code, ZW_INVALID_ARGUMENT);
    assert_string_equal(s_detail_of(e), field);
    assert_non_null(strstr(e->message, field));
    assert_true(s_error_utf8(e));
    assert_false(s_error_from_db(e));
    s_error_free(&e);
    s_unchanged(&before);
}

/* F1: a string field holding bytes that are not UTF-8 reached PostgreSQL,
 * whose "invalid byte sequence" text became the reply, with the SQLSTATE
 * 22021 as details["detail"]. Now decoding refuses it, naming the field
 * (its path when nested), in every service. */
static void test_strings_not_utf8_name_the_field(void **state)
{
    (void) state;
    s_make_snapshot_sql();
    s_wait_quiet();
    s_buf_t b = {0};
    s_put(&b, "\x0a\x01\xff", 3); /* DailyScan{department_code: "\xff"} */
    s_expect_field(B_SUP, "zwfw.workflow", &zwfw__v1__daily_scan__descriptor, &b,
                   "department_code");
    free(b.data);
    static const struct {
        int broker;
        const char *service;
        const ProtobufCMessageDescriptor *d;
        const char *field;
    } one[] = {
        {B_WIN, "zwfw.catalog", &zwfw__v1__list_items__descriptor, "department_code"},
        {B_WIN, "zwfw.intake", &zwfw__v1__get_application__descriptor, "receipt_number"},
        {B_SUP, "zwfw.workflow", &zwfw__v1__get_instance__descriptor, "receipt_number"},
        {B_SUP, "zwfw.workflow", &zwfw__v1__list_instances__descriptor, "state"},
        {B_SUP, "zwfw.workflow", &zwfw__v1__list_alarms__descriptor, "receipt_number"},
        {B_SUP, "zwfw.workflow", &zwfw__v1__get_definition__descriptor, "code"},
        {B_OP, "zwfw.workflow", &zwfw__v1__put_definition__descriptor, "json"},
        {B_HEAD, "zwfw.workflow", &zwfw__v1__act__descriptor, "idempotency_key"},
        {B_SUP, "zwfw.report", &zwfw__v1__period_report__descriptor, "department_code"},
    };
    for (size_t i = 0; i < N(one); i++) {
        s_buf_t m = {0};
        s_one_string(&m, one[i].d, one[i].field, "k\xff\xfe", 3);
        s_expect_field(one[i].broker, one[i].service, one[i].d, &m, one[i].field);
        free(m.data);
    }
    /* nested: the second material's name, the applicant's name */
    const ProtobufCMessageDescriptor *sub = &zwfw__v1__submit_application__descriptor;
    s_buf_t good = {0}, bad = {0}, req = {0};
    s_one_string(&good, &zwfw__v1__material_ref__descriptor, "name", "申请表.pdf",
                 strlen("申请表.pdf"));
    s_one_string(&bad, &zwfw__v1__material_ref__descriptor, "name", "\xe7\x94", 2); /* cut 申 */
    s_one_string(&req, sub, "materials", good.data, good.len);
    s_one_string(&req, sub, "materials", bad.data, bad.len);
    s_expect_field(B_WIN, "zwfw.intake", sub, &req, "materials[1].name");
    free(req.data);
    req = (s_buf_t){0};
    s_buf_t identity = {0}, applicant = {0};
    s_one_string(&identity, &zwfw__v1__identity__descriptor, "name", "\xc0\xaf", 2); /* overlong */
    s_one_string(&applicant, &zwfw__v1__applicant__descriptor, "identity", identity.data,
                 identity.len);
    s_one_string(&req, sub, "applicant", applicant.data, applicant.len);
    s_expect_field(B_WIN, "zwfw.intake", sub, &req, "applicant.identity.name");
    free(req.data);
    free(applicant.data);
    free(identity.data);
    free(good.data);
    free(bad.data);
}

/* The Error of a request is valid UTF-8, whatever it quotes. */
static void s_expect_utf8(int broker, const char *service, const char *type, size_t type_len,
                          const void *data, size_t len, zw_code_t code, const char *detail)
{
    Zwfw__V1__Error *e = s_error_of(broker, service, type, type_len, data, len);
    bool ok = s_error_utf8(e);
    if (!ok) {
        fprintf(stderr, "%s: an Error that is not UTF-8:", service);
        for (const unsigned char *p = (const unsigned char *) e->message; *p; p++)
            fprintf(stderr, *p < 0x80 && *p >= 0x20 ? "%c" : "\\x%02x", *p);
        fprintf(stderr, "\n");
    }
    assert_true(ok);
    assert_int_equal(e->code, code);
    assert_string_equal(s_detail_of(e), detail);
    s_error_free(&e);
}

/* F3: error messages quoted the input as it came, and truncation cut
 * characters in half: strict decoders refused those Errors whole. */
static void test_error_text_is_utf8(void **state)
{
    (void) state;
    /* a type name that is not UTF-8, to every service */
    for (size_t i = 0; i < N(s_services); i++)
        s_expect_utf8(s_services[i].broker, s_services[i].service, "zwfw.v1.\xff\xfe", 10, "", 0,
                      ZW_UNIMPLEMENTED, "type");
    /* a name of 3-byte characters too long to be a type name (refused
     * without quoting it) */
    char longtype[8 + 3 * 300];
    memcpy(longtype, "zwfw.v1.", 8);
    for (int i = 0; i < 300; i++)
        memcpy(longtype + 8 + 3 * i, "测", 3);
    for (size_t i = 0; i < N(s_services); i++)
        s_expect_utf8(s_services[i].broker, s_services[i].service, longtype, sizeof longtype, "", 0,
                      ZW_INVALID_ARGUMENT, "type");
    /* basic_code "测" x 90 (valid UTF-8, 270 bytes): quoted in a message
     * of at most 255 bytes, which cuts a character */
    char json[2048], code[300];
    code[0] = '\0';
    for (int i = 0; i < 90; i++)
        strcat(code, "测");
    snprintf(json, sizeof json,
             "{\"idempotencyKey\":\"f3-put\",\"actor\":\"op\",\"item\":{\"basicCode\":\"%s\","
             "\"implCode\":\"" ITEM_P "\",\"name\":\"测试承诺件\",\"type\":\"ITEM_TYPE_LICENSING\","
             "\"departmentCode\":\"" DEPT1 "\",\"departmentName\":\"潼南区市场监督管理局\","
             "\"regionCode\":\"500152000000\",\"handling\":\"HANDLING_TYPE_PROMISED\","
             "\"statutoryLimit\":{\"amount\":20,\"unit\":\"LIMIT_UNIT_WORKDAYS\"},"
             "\"promisedLimit\":{\"amount\":5,\"unit\":\"LIMIT_UNIT_WORKDAYS\"}}}",
             code);
    ProtobufCMessage *put = h_json("zwfw.v1.PutItem", json);
    size_t len = protobuf_c_message_get_packed_size(put);
    uint8_t *bytes = malloc(len);
    assert_non_null(bytes);
    protobuf_c_message_pack(put, bytes);
    s_expect_utf8(B_OP, "zwfw.catalog", "zwfw.v1.PutItem", strlen("zwfw.v1.PutItem"), bytes, len,
                  ZW_INVALID_ARGUMENT, "item.basic_code");
    free(bytes);
    protobuf_c_message_free_unpacked(put, NULL);
}

static int64_t s_clock_now_us(void)
{
    Zwfw__V1__ClockReply *c = (Zwfw__V1__ClockReply *) h_json_call(
        s_brokers[B_OP].client, "zwfw.clock", "zwfw.v1.GetClock", "{}");
    int64_t us = h_ts_us(c->now);
    protobuf_c_message_free_unpacked(&c->base, NULL);
    return us;
}

/* F5: SetClock / AdvanceClock took the simulated clock to a year the
 * working-day calendar does not hold; it cannot move back, and from there
 * every due date fails. Now OUT_OF_RANGE, the clock and the store as they
 * were, and the refused key still free. */
static void test_clock_stays_inside_calendar(void **state)
{
    (void) state;
    s_make_snapshot_sql();
    s_wait_quiet();
    int64_t was = s_clock_now_us();
    assert_int_equal(was, h_parse_us("2020-09-21T10:00:00+08:00"));
    static const char *const refused[][2] = {
        /* the shipped calendar holds 2020, 2021, 2025 and 2026 */
        {"zwfw.v1.SetClock",
         "{\"idempotencyKey\":\"f5-1\",\"actor\":\"op\",\"to\":\"2022-03-01T10:00:00+08:00\"}"},
        {"zwfw.v1.SetClock",
         "{\"idempotencyKey\":\"f5-2\",\"actor\":\"op\",\"to\":\"2024-12-31T23:59:59+08:00\"}"},
        {"zwfw.v1.AdvanceClock",
         "{\"idempotencyKey\":\"f5-3\",\"actor\":\"op\",\"seconds\":\"63072000\"}"}, /* 2 years */
        {"zwfw.v1.AdvanceClock", "{\"idempotencyKey\":\"f5-4\",\"actor\":\"op\",\"workdays\":400}"},
    };
    char *before = s_snapshot();
    for (size_t i = 0; i < N(refused); i++) {
        ProtobufCMessage *req = h_json(refused[i][0], refused[i][1]);
        zw_err_t err;
        ProtobufCMessage *r = h_try(s_brokers[B_OP].client, "zwfw.clock", req, &err);
        if (r) {
            fprintf(stderr, "%s accepted: %s\n", refused[i][0], refused[i][1]);
            protobuf_c_message_free_unpacked(r, NULL);
        }
        protobuf_c_message_free_unpacked(req, NULL);
        assert_null(r);
        fprintf(stderr, "%s: %s %s (%s)\n", refused[i][1], zw_code_name(err.code), err.message,
                err.detail);
        assert_int_equal(err.code, ZW_OUT_OF_RANGE);
        assert_string_equal(err.detail, "date");
        assert_int_equal(s_clock_now_us(), was);
    }
    s_unchanged(&before);
    /* the last covered moment before the gap, and the first after it */
    ProtobufCMessage *r = h_json_call(
        s_brokers[B_OP].client, "zwfw.clock", "zwfw.v1.SetClock",
        "{\"idempotencyKey\":\"f5-1\",\"actor\":\"op\",\"to\":\"2021-12-31T23:59:59+08:00\"}");
    protobuf_c_message_free_unpacked(r, NULL);
    assert_int_equal(s_clock_now_us(), h_parse_us("2021-12-31T23:59:59+08:00"));
    r = h_json_call(
        s_brokers[B_OP].client, "zwfw.clock", "zwfw.v1.SetClock",
        "{\"idempotencyKey\":\"f5-5\",\"actor\":\"op\",\"to\":\"2025-01-01T00:00:00+08:00\"}");
    protobuf_c_message_free_unpacked(r, NULL);
    assert_int_equal(s_clock_now_us(), h_parse_us("2025-01-01T00:00:00+08:00"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_strings_not_utf8_name_the_field, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_error_text_is_utf8, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_clock_stays_inside_calendar, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_hostile_input, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
