/* The catalog's pure rules (services/intake/catalog_rules.c): normalising
 * and checking items and bundles, request fields, page tokens, and the
 * shipped sample catalog deploy/catalog/tongnan-sample.json, every code of
 * which must pass. The service is not in libzwfw, so its rules file is
 * compiled in here directly. */
#include "zwtest.h"

#include "../../services/intake/catalog_request.c"
#include "../../services/intake/catalog_rules.c"

#include "wire_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A Tongnan item that passes every rule (its codes come from the sample). */
#define S_IMPL "500A0100100000-500152000000-000-11500152MB17035173-1-00"
#define S_USCC "11500152MB17035173"
#define S_OTHER_USCC "115113010833722043" /* valid, another department */

static const char *s_valid =
    "{\"implCode\": \"" S_IMPL "\", \"name\": \"企业设立登记\","
    " \"type\": \"ITEM_TYPE_LICENSING\", \"departmentCode\": \"" S_USCC "\","
    " \"departmentName\": \"重庆市潼南区市场监督管理局\", \"handling\": \"HANDLING_TYPE_PROMISED\","
    " \"statutoryLimit\": {\"amount\": 20, \"unit\": \"LIMIT_UNIT_WORKDAYS\"},"
    " \"promisedLimit\": {\"amount\": 5, \"unit\": \"LIMIT_UNIT_WORKDAYS\"},"
    " \"materials\": [{\"code\": \"M01\", \"name\": \"申请表\", \"required\": true, \"copies\": 1},"
    "  {\"code\": \"M02\", \"name\": \"住所使用证明\", \"required\": true, \"waivable\": true}]}";

static zw_regions_t *s_regions;

static int s_setup(void **state)
{
    (void) state;
    zw_err_t err;
    s_regions = zw_regions_load(zwt_src_path("deploy/regions.json"), &err);
    if (!s_regions)
        fprintf(stderr, "regions: %s\n", err.message);
    return s_regions ? 0 : -1;
}

static int s_teardown(void **state)
{
    (void) state;
    zw_regions_destroy(&s_regions);
    return 0;
}

static Zwfw__V1__Item *s_item(const char *json)
{
    zw_err_t err;
    ProtobufCMessage *m = zw_wire_from_json(&zwfw__v1__item__descriptor, json, strlen(json), &err);
    if (!m)
        fail_msg("bad test JSON: %s", err.message);
    return (Zwfw__V1__Item *) m;
}

static void s_free(Zwfw__V1__Item *item)
{
    protobuf_c_message_free_unpacked(&item->base, NULL);
}

/* The valid item with one JSON member replaced or added: `patch` is
 * "\"name\": ..." spliced in before the closing brace (JSON members given
 * twice are refused by the parser, so callers patch members s_valid lacks,
 * or use s_without). */
static Zwfw__V1__Item *s_patched(const char *patch)
{
    char buf[4096];
    size_t n = strlen(s_valid);
    snprintf(buf, sizeof buf, "%.*s, %s}", (int) (n - 1), s_valid, patch);
    return s_item(buf);
}

/* Normalises and checks; returns the error's detail ("" when valid). */
static const char *s_check(Zwfw__V1__Item *item, int minutes)
{
    static zw_err_t err;
    zw_err_clear(&err);
    assert_int_equal(zw_catalog_item_normalise(item), 0);
    if (zw_catalog_item_check(item, s_regions, minutes, "item", &err) == 0)
        return "";
    assert_int_equal(err.code, ZW_INVALID_ARGUMENT);
    /* the message names the field too */
    assert_non_null(strstr(err.message, err.detail));
    return err.detail;
}

/* ---- text --------------------------------------------------------------------- */

static void test_utf8_length_and_validity(void **state)
{
    (void) state;
    assert_int_equal(zw_catalog_utf8_len(""), 0);
    assert_int_equal(zw_catalog_utf8_len("abc"), 3);
    assert_int_equal(zw_catalog_utf8_len("食品经营许可"), 6);
    assert_int_equal(zw_catalog_utf8_len("\xF0\x9F\x98\x80"), 1);  /* U+1F600 */
    assert_int_equal(zw_catalog_utf8_len("\xC0\x80"), -1);         /* overlong NUL */
    assert_int_equal(zw_catalog_utf8_len("\xE0\x80\xAF"), -1);     /* overlong '/' */
    assert_int_equal(zw_catalog_utf8_len("\xED\xA0\x80"), -1);     /* a surrogate */
    assert_int_equal(zw_catalog_utf8_len("\xF4\x90\x80\x80"), -1); /* past U+10FFFF */
    assert_int_equal(zw_catalog_utf8_len("ab\xE4\xB8"), -1);       /* cut short */
    assert_int_equal(zw_catalog_utf8_len(NULL), -1);
}

/* ---- normalising -------------------------------------------------------------- */

static void test_normalise_fills_trims_and_clears(void **state)
{
    (void) state;
    Zwfw__V1__Item *item =
        s_item("{\"implCode\": \"  500a0100100000-500152000000-000-11500152mb17035173-1-00 \","
               " \"departmentCode\": \" 11500152mb17035173\", \"name\": \"  企业设立登记\\n\","
               " \"status\": \"ITEM_STATUS_CANCELLED\", \"version\": 7, \"cancelReason\": \"x\","
               " \"updatedAt\": \"2020-09-25T14:00:00+08:00\","
               " \"statutoryLimit\": {\"amount\": 0, \"unit\": \"LIMIT_UNIT_WORKDAYS\"},"
               " \"promisedLimit\": {\"amount\": 3, \"unit\": \"LIMIT_UNIT_HOURS\"},"
               " \"fee\": {\"fen\": \"1000\"}}");
    assert_int_equal(zw_catalog_item_normalise(item), 0);
    assert_string_equal(item->impl_code, S_IMPL);
    assert_string_equal(item->department_code, S_USCC);
    assert_string_equal(item->name, "企业设立登记");
    assert_string_equal(item->basic_code, "500A0100100000"); /* from the impl code */
    assert_string_equal(item->region_code, "500152000000");
    assert_int_equal(item->status, 0);
    assert_int_equal(item->version, 0);
    assert_string_equal(item->cancel_reason, "");
    assert_null(item->updated_at);
    assert_null(item->statutory_limit); /* amount 0: no limit */
    assert_non_null(item->promised_limit);
    assert_string_equal(item->fee->currency, "CNY");
    s_free(item);

    /* a free item has no fee at all */
    item = s_item("{\"fee\": {\"currency\": \"CNY\", \"fen\": \"0\"}}");
    assert_int_equal(zw_catalog_item_normalise(item), 0);
    assert_null(item->fee);
    assert_string_equal(item->basic_code, ""); /* nothing to take it from */
    s_free(item);
}

static void test_normalise_drops_unknown_fields(void **state)
{
    (void) state;
    /* field 99 (varint 5) in the item and in its first material */
    uint8_t bytes[] = {0x1A, 0x01, 'x',  0x98, 0x06, 0x05, 0x5A,
                       0x06, 0x0A, 0x01, 'M',  0x98, 0x06, 0x05};
    Zwfw__V1__Item *item = zwfw__v1__item__unpack(NULL, sizeof bytes, bytes);
    assert_non_null(item);
    assert_int_equal(item->base.n_unknown_fields, 1);
    assert_int_equal(item->n_materials, 1);
    assert_int_equal(item->materials[0]->base.n_unknown_fields, 1);
    char before[ZW_AUDIT_HASH_LEN + 1], after[ZW_AUDIT_HASH_LEN + 1];
    assert_int_equal(zw_catalog_item_normalise(item), 0);
    assert_int_equal(item->base.n_unknown_fields, 0);
    assert_int_equal(item->materials[0]->base.n_unknown_fields, 0);
    assert_int_equal(zw_catalog_item_digest(item, before), 0);
    Zwfw__V1__Item *plain = s_item("{\"name\": \"x\", \"materials\": [{\"code\": \"M\"}]}");
    assert_int_equal(zw_catalog_item_normalise(plain), 0);
    assert_int_equal(zw_catalog_item_digest(plain, after), 0);
    assert_string_equal(before, after);
    s_free(plain);
    s_free(item);
}

/* ---- item rules --------------------------------------------------------------- */

static void test_valid_item_passes(void **state)
{
    (void) state;
    Zwfw__V1__Item *item = s_item(s_valid);
    assert_string_equal(s_check(item, 0), "");
    s_free(item);
}

typedef struct {
    const char *patch; /* JSON members added to s_valid */
    const char *detail;
} s_case_t;

static void test_each_rule_names_its_field(void **state)
{
    (void) state;
    const s_case_t cases[] = {
        /* codes */
        {"\"basicCode\": \"500A0100100001\"", "item.basic_code"},
        {"\"regionCode\": \"500152000001\"", "item.region_code"},
        {"\"serviceArea\": \"\\u0007\"", "item.service_area"},
        /* limits */
        {"\"fee\": {\"fen\": \"-1\"}", "item.fee"},
        {"\"fee\": {\"currency\": \"cn\", \"fen\": \"5\"}", "item.fee"},
        {"\"maxVisits\": -1", "item.max_visits"},
        {"\"maxVisits\": 10", "item.max_visits"},
        /* cross-region */
        {"\"crossMode\": \"CROSS_MODE_PROXY\"", "item.cross_mode"},
        {"\"crossScope\": \"CROSS_SCOPE_CHUANYU\"", "item.cross_mode"},
        {"\"crossScope\": \"CROSS_SCOPE_CHUANYU\", \"crossMode\": \"CROSS_MODE_FULLY_ONLINE\"",
         "item.online"},
        {"\"partnerRegions\": [\"511400\"]", "item.partner_regions"},
        {"\"crossScope\": \"CROSS_SCOPE_CHUANYU\", \"crossMode\": \"CROSS_MODE_PROXY\","
         " \"partnerRegions\": [\"511400\", \"110000\"]",
         "item.partner_regions[1]"},
        {"\"crossScope\": \"CROSS_SCOPE_CHUANYU\", \"crossMode\": \"CROSS_MODE_PROXY\","
         " \"partnerRegions\": [\"511400\", \"511400\"]",
         "item.partner_regions[1]"},
        {"\"crossScope\": \"CROSS_SCOPE_CHUANYU\", \"crossMode\": \"CROSS_MODE_PROXY\","
         " \"partnerRegions\": [\"5114\"]",
         "item.partner_regions[0]"},
        {"\"crossScope\": 9, \"crossMode\": \"CROSS_MODE_PROXY\"", "item.cross_scope"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Zwfw__V1__Item *item = s_patched(cases[i].patch);
        const char *detail = s_check(item, 0);
        if (strcmp(detail, cases[i].detail) != 0)
            fail_msg("case %zu (%s): got detail '%s', want '%s'", i, cases[i].patch, detail,
                     cases[i].detail);
        s_free(item);
    }
}

/* Builds an item from scratch with the given members replacing s_valid's. */
static Zwfw__V1__Item *s_with(const char *impl, const char *dept, const char *name,
                              const char *type, const char *handling, const char *statutory,
                              const char *promised, const char *materials)
{
    char buf[4096];
    snprintf(buf, sizeof buf,
             "{\"implCode\": \"%s\", \"departmentCode\": \"%s\", \"departmentName\": \"某局\","
             " \"name\": \"%s\", \"type\": %s, \"handling\": %s%s%s%s%s%s%s}",
             impl, dept, name, type, handling, statutory ? ", \"statutoryLimit\": " : "",
             statutory ? statutory : "", promised ? ", \"promisedLimit\": " : "",
             promised ? promised : "", materials ? ", \"materials\": " : "",
             materials ? materials : "");
    return s_item(buf);
}

#define S_WD(n) "{\"amount\": " #n ", \"unit\": \"LIMIT_UNIT_WORKDAYS\"}"
#define S_H(n) "{\"amount\": " #n ", \"unit\": \"LIMIT_UNIT_HOURS\"}"
#define S_LIC "\"ITEM_TYPE_LICENSING\""
#define S_PROM "\"HANDLING_TYPE_PROMISED\""
#define S_IMM "\"HANDLING_TYPE_IMMEDIATE\""

static const char *s_verdict(const char *impl, const char *dept, const char *name, const char *type,
                             const char *handling, const char *statutory, const char *promised,
                             const char *materials, int minutes)
{
    static char out[128];
    Zwfw__V1__Item *item = s_with(impl, dept, name, type, handling, statutory, promised, materials);
    snprintf(out, sizeof out, "%s", s_check(item, minutes));
    s_free(item);
    return out;
}

static void test_codes_and_required_fields(void **state)
{
    (void) state;
    const char *ok = s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0);
    assert_string_equal(ok, "");
    /* a bad implementation code, an unknown division, a bad check character */
    assert_string_equal(s_verdict("500A01-500152000000-000-" S_USCC "-1-00", S_USCC, "x", S_LIC,
                                  S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.impl_code");
    assert_string_equal(s_verdict("500A0100100000-110101000000-000-" S_USCC "-1-00", S_USCC, "x",
                                  S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.impl_code");
    assert_string_equal(s_verdict("500A0100100000-500152000000-000-11500152MB17035174-1-00",
                                  "11500152MB17035174", "x", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.impl_code");
    assert_string_equal(s_verdict("", S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.impl_code");
    /* the department: missing, invalid, another one than the code's */
    assert_string_equal(s_verdict(S_IMPL, "", "x", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.department_code");
    assert_string_equal(
        s_verdict(S_IMPL, "11500152MB1703517X", "x", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
        "item.department_code");
    assert_string_equal(s_verdict(S_IMPL, S_OTHER_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.department_code");
    /* name, type, handling */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.name");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", "0", S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.type");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", "11", S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.type");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", "20", S_PROM, NULL, S_WD(5), NULL, 0), "");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, "0", NULL, S_WD(5), NULL, 0),
                        "item.handling");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, "3", NULL, S_WD(5), NULL, 0),
                        "item.handling");
}

static void test_sizes_are_counted_in_characters(void **state)
{
    (void) state;
    char name[1024] = "";
    for (int i = 0; i < ZW_CATALOG_NAME_MAX; i++)
        strcat(name, "许"); /* 200 characters, 600 bytes */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, name, S_LIC, S_PROM, NULL, S_WD(5), NULL, 0), "");
    strcat(name, "可");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, name, S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.name");
    /* control characters in a name */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "a\\tb", S_LIC, S_PROM, NULL, S_WD(5), NULL, 0),
                        "item.name");
}

static void test_time_limits(void **state)
{
    (void) state;
    /* promised within statutory, same unit and across units (7 h a day) */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(20), S_WD(20), NULL, 0),
                        "");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(20), S_WD(21), NULL, 0),
                        "item.promised_limit");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(1), S_H(7), NULL, 0),
                        "");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(1), S_H(8), NULL, 0),
                        "item.promised_limit");
    /* promised days against statutory hours: the days start the next
     * working day, so an application accepted before opening gets the rest
     * of its day too: 2 working days reach past 14 hours (Mon 09:00: hours
     * due Tue 17:30, days Wed 17:30) and fit in 21 */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_H(21), S_WD(2), NULL, 0),
                        "");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_H(20), S_WD(2), NULL, 0),
                        "item.promised_limit");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_H(14), S_WD(2), NULL, 0),
                        "item.promised_limit");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_H(7), S_WD(1), NULL, 0),
                        "item.promised_limit");
    /* a deployment with 8-hour days */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(1), S_H(8), NULL, 480),
                        "");
    /* 承诺件 needs a promised limit; a statutory one alone is not enough */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(20), NULL, NULL, 0),
                        "item.promised_limit");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(20), S_WD(0), NULL, 0),
                        "item.promised_limit");
    /* 即办件: no promised limit, or hours within one working day */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_IMM, S_WD(20), NULL, NULL, 0), "");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_IMM, NULL, S_H(7), NULL, 0), "");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_IMM, NULL, S_H(8), NULL, 0),
                        "item.promised_limit");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_IMM, S_WD(20), S_WD(1), NULL, 0),
                        "item.promised_limit");
    /* amounts and units */
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(-1), S_WD(1), NULL, 0),
                        "item.statutory_limit.amount");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, S_WD(1000), S_WD(1), NULL, 0),
                        "item.statutory_limit.amount");
    assert_string_equal(
        s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, "{\"amount\": 3}", NULL, 0),
        "item.promised_limit.unit");

    Zwfw__V1__TimeLimit wd = ZWFW__V1__TIME_LIMIT__INIT, h = ZWFW__V1__TIME_LIMIT__INIT;
    wd.amount = 2;
    wd.unit = ZW_LIMIT_WORKDAYS;
    h.amount = 4;
    h.unit = ZW_LIMIT_HOURS_UNIT;
    assert_int_equal(zw_catalog_limit_minutes(&wd, 0), 840);
    assert_int_equal(zw_catalog_limit_minutes(&wd, 480), 960);
    assert_int_equal(zw_catalog_limit_minutes(&h, 0), 240);
    assert_int_equal(zw_catalog_limit_minutes(NULL, 0), 0);
    h.unit = 0;
    assert_int_equal(zw_catalog_limit_minutes(&h, 0), -1);
}

static void test_materials(void **state)
{
    (void) state;
    assert_string_equal(
        s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5),
                  "[{\"code\": \"M1\", \"name\": \"a\"}, {\"code\": \"M1\", \"name\": \"b\"}]", 0),
        "item.materials[1].code");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5),
                                  "[{\"code\": \" M1\", \"name\": \"a\"}, {\"code\": \"M1 \","
                                  " \"name\": \"b\"}]",
                                  0),
                        "item.materials[1].code");
    assert_string_equal(
        s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5), "[{\"name\": \"a\"}]", 0),
        "item.materials[0].code");
    assert_string_equal(
        s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5), "[{\"code\": \"M1\"}]", 0),
        "item.materials[0].name");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5),
                                  "[{\"code\": \"M1\", \"name\": \"a\", \"copies\": -1}]", 0),
                        "item.materials[0].copies");
    assert_string_equal(
        s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5),
                  "[{\"code\": \"M1\", \"name\": \"a\", \"required\": false, \"waivable\": true}]",
                  0),
        "item.materials[0].waivable");
    assert_string_equal(s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5),
                                  "[{\"code\": \"M1\", \"name\": \"a\", \"form\": 7}]", 0),
                        "item.materials[0].form");
    assert_string_equal(
        s_verdict(S_IMPL, S_USCC, "x", S_LIC, S_PROM, NULL, S_WD(5),
                  "[{\"code\": \"M1\", \"name\": \"a\", \"required\": true,"
                  " \"waivable\": true, \"copies\": 2, \"note\": \"第一行\\n第二行\"}]",
                  0),
        "");
}

static void test_digest_ignores_read_only_fields_only(void **state)
{
    (void) state;
    char a[ZW_AUDIT_HASH_LEN + 1], b[ZW_AUDIT_HASH_LEN + 1];
    Zwfw__V1__Item *x = s_item(s_valid), *y = s_item(s_valid);
    assert_int_equal(zw_catalog_item_normalise(x), 0);
    assert_int_equal(zw_catalog_item_digest(x, a), 0);
    assert_int_equal(strlen(a), 64);
    y->version = 9;
    y->status = ZW_ITEM_CANCELLED;
    assert_int_equal(zw_catalog_item_normalise(y), 0);
    y->version = 3; /* as a stored version carries */
    y->status = ZW_ITEM_CANCELLED;
    assert_int_equal(zw_catalog_item_digest(y, b), 0);
    assert_string_equal(a, b);
    y->max_visits = 1;
    assert_int_equal(zw_catalog_item_digest(y, b), 0);
    assert_string_not_equal(a, b);
    s_free(x);
    s_free(y);
}

/* ---- bundles -------------------------------------------------------------------- */

static const char *s_bundle_verdict(const char *json)
{
    static zw_err_t err;
    zw_err_clear(&err);
    ProtobufCMessage *m =
        zw_wire_from_json(&zwfw__v1__bundle__descriptor, json, strlen(json), &err);
    if (!m)
        fail_msg("bad test JSON: %s", err.message);
    Zwfw__V1__Bundle *b = (Zwfw__V1__Bundle *) m;
    assert_int_equal(zw_catalog_bundle_normalise(b), 0);
    int rc = zw_catalog_bundle_check(b, s_regions, "bundle", &err);
    protobuf_c_message_free_unpacked(m, NULL);
    return rc == 0 ? "" : err.detail;
}

#define S_IMPL2 "500A0100200000-500152000000-000-11500152MB17035173-1-00"

static void test_bundle_rules(void **state)
{
    (void) state;
    assert_string_equal(s_bundle_verdict("{\"code\": \"YJS-1\", \"name\": \"企业开办一件事\","
                                         " \"itemCodes\": [\"" S_IMPL "\", \"" S_IMPL2 "\"]}"),
                        "");
    /* member codes are normalised before they are compared */
    assert_string_equal(s_bundle_verdict("{\"code\": \"YJS-1\", \"name\": \"n\","
                                         " \"itemCodes\": [\"" S_IMPL
                                         "\", \" 500a0100100000-500152000000-000-"
                                         "11500152mb17035173-1-00\"]}"),
                        "bundle.item_codes[1]");
    assert_string_equal(
        s_bundle_verdict("{\"code\": \"YJS 1\", \"name\": \"n\", \"itemCodes\": [\"" S_IMPL
                         "\", \"" S_IMPL2 "\"]}"),
        "bundle.code");
    assert_string_equal(
        s_bundle_verdict("{\"name\": \"n\", \"itemCodes\": [\"" S_IMPL "\", \"" S_IMPL2 "\"]}"),
        "bundle.code");
    assert_string_equal(
        s_bundle_verdict("{\"code\": \"B\", \"itemCodes\": [\"" S_IMPL "\", \"" S_IMPL2 "\"]}"),
        "bundle.name");
    assert_string_equal(
        s_bundle_verdict("{\"code\": \"B\", \"name\": \"n\", \"itemCodes\": [\"" S_IMPL "\"]}"),
        "bundle.item_codes");
    assert_string_equal(
        s_bundle_verdict("{\"code\": \"B\", \"name\": \"n\", \"itemCodes\": [\"" S_IMPL
                         "\", \"NOT-A-CODE\"]}"),
        "bundle.item_codes[1]");
}

/* ---- requests ------------------------------------------------------------------- */

static void test_request_fields(void **state)
{
    (void) state;
    zw_err_t err;
    assert_int_equal(zw_catalog_check_key("3f6c0b8e-load-1", &err), 0);
    assert_int_equal(zw_catalog_check_key("", &err), -1);
    assert_string_equal(err.detail, "idempotency_key");
    assert_int_equal(zw_catalog_check_key("a b", &err), -1);
    char long_key[200];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    assert_int_equal(zw_catalog_check_key(long_key, &err), -1);

    assert_int_equal(zw_catalog_check_actor("窗口-张三", &err), 0);
    assert_int_equal(zw_catalog_check_actor("", &err), -1);
    assert_string_equal(err.detail, "actor");
    assert_int_equal(zw_catalog_check_actor("a\nb", &err), -1);

    assert_int_equal(zw_catalog_check_reason("依据区政府文件取消\n第二行", &err), 0);
    assert_int_equal(zw_catalog_check_reason("", &err), -1);
    assert_string_equal(err.detail, "reason");

    int size = 0;
    assert_int_equal(zw_catalog_page_size(0, &size, &err), 0);
    assert_int_equal(size, ZW_CATALOG_PAGE_DEFAULT);
    assert_int_equal(zw_catalog_page_size(7, &size, &err), 0);
    assert_int_equal(size, 7);
    assert_int_equal(zw_catalog_page_size(100000, &size, &err), 0);
    assert_int_equal(size, ZW_CATALOG_PAGE_MAX);
    assert_int_equal(zw_catalog_page_size(-1, &size, &err), -1);
    assert_string_equal(err.detail, "page_size");
}

static void test_page_tokens(void **state)
{
    (void) state;
    zw_err_t err;
    char out[256];
    const char *q = "11500152MB17035173|1|0|0|0|许可";
    char *token = zw_catalog_token_encode('i', q, S_IMPL);
    assert_non_null(token);
    assert_null(strstr(token, S_IMPL)); /* opaque */
    assert_null(strchr(token, '='));
    assert_int_equal(zw_catalog_token_decode('i', q, token, out, sizeof out, &err), 0);
    assert_string_equal(out, S_IMPL);
    /* the same listing with other filters: refused, and says why */
    assert_int_equal(zw_catalog_token_decode('i', "11500152MB17035173|2|0|0|0|许可", token, out,
                                             sizeof out, &err),
                     -1);
    assert_string_equal(err.detail, "page_token");
    assert_non_null(strstr(err.message, "other filters"));
    assert_int_equal(zw_catalog_token_decode('i', NULL, token, out, sizeof out, &err), -1);
    /* a token of the other listing, garbage, a truncated token */
    assert_int_equal(zw_catalog_token_decode('b', q, token, out, sizeof out, &err), -1);
    assert_string_equal(err.detail, "page_token");
    assert_int_equal(zw_catalog_token_decode('i', q, "not a token!", out, sizeof out, &err), -1);
    assert_int_equal(zw_catalog_token_decode('i', q, "aQ", out, sizeof out, &err), -1);
    /* well-formed base64 of a key no listing makes (a control character) */
    char forged[64];
    const unsigned char raw[] = {'i', ':', '0', '0', '0', '0',  '0',
                                 '0', '0', '0', ':', 'a', 0x01, 'b'};
    sodium_bin2base64(forged, sizeof forged, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(zw_catalog_token_decode('i', q, forged, out, sizeof out, &err), -1);
    /* a key too long for the caller's buffer */
    assert_int_equal(zw_catalog_token_decode('i', q, token, out, 8, &err), -1);
    free(token);
    /* empty: the first page, whatever the filters */
    assert_int_equal(zw_catalog_token_decode('i', q, "", out, sizeof out, &err), 0);
    assert_string_equal(out, "");
    assert_int_equal(zw_catalog_token_decode('i', q, NULL, out, sizeof out, &err), 0);
    /* bundles have no filters: NULL both ways */
    token = zw_catalog_token_encode('b', NULL, "YJS-QYKB");
    assert_int_equal(zw_catalog_token_decode('b', NULL, token, out, sizeof out, &err), 0);
    assert_string_equal(out, "YJS-QYKB");
    free(token);
}

static void test_like_pattern_escapes(void **state)
{
    (void) state;
    char *p = zw_catalog_like_pattern("100%_a\\b");
    assert_string_equal(p, "%100\\%\\_a\\\\b%");
    free(p);
    p = zw_catalog_like_pattern("食品");
    assert_string_equal(p, "%食品%");
    free(p);
    p = zw_catalog_like_pattern("");
    assert_string_equal(p, "");
    free(p);
    zw_err_t err;
    assert_int_equal(zw_catalog_check_text("许可", &err), 0);
    assert_int_equal(zw_catalog_check_text("\x01", &err), -1);
    assert_string_equal(err.detail, "text");
}

/* ---- the sample catalog ------------------------------------------------------- */

static char *s_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t) n + 1);
    assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t) n;
    return buf;
}

static bool s_in(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

static void test_sample_catalog_is_valid_and_varied(void **state)
{
    (void) state;
    size_t len;
    char *json = s_read_file(zwt_src_path("deploy/catalog/tongnan-sample.json"), &len);
    zw_err_t err;
    Zwfw__V1__LoadCatalog *load = (Zwfw__V1__LoadCatalog *) zw_wire_from_json(
        &zwfw__v1__load_catalog__descriptor, json, len, &err);
    free(json);
    if (!load)
        fail_msg("sample: %s", err.message);
    assert_true(load->n_items >= 40);

    const char *depts[64];
    size_t n_depts = 0;
    int handling[3] = {0}, hours = 0, workdays = 0, waivable = 0, scope[4] = {0}, modes[4] = {0};
    for (size_t i = 0; i < load->n_items; i++) {
        Zwfw__V1__Item *item = load->items[i];
        char path[32], before[ZW_AUDIT_HASH_LEN + 1], after[ZW_AUDIT_HASH_LEN + 1];
        snprintf(path, sizeof path, "items[%zu]", i);
        assert_int_equal(zw_catalog_item_digest(item, before), 0);
        assert_int_equal(zw_catalog_item_normalise(item), 0);
        if (zw_catalog_item_check(item, s_regions, 0, path, &err) != 0)
            fail_msg("sample %s (%s): %s", path, item->name, err.message);
        /* the file is already in stored form: loading it changes nothing */
        assert_int_equal(zw_catalog_item_digest(item, after), 0);
        assert_string_equal(before, after);
        assert_string_equal(item->region_code, "500152000000");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(load->items[j]->impl_code, item->impl_code);
        if (!s_in(depts, n_depts, item->department_code)) {
            assert_true(n_depts < 64);
            depts[n_depts++] = item->department_code;
        }
        handling[item->handling]++;
        if (item->promised_limit && item->promised_limit->unit == ZW_LIMIT_HOURS_UNIT)
            hours++;
        if (item->promised_limit && item->promised_limit->unit == ZW_LIMIT_WORKDAYS)
            workdays++;
        for (size_t k = 0; k < item->n_materials; k++)
            waivable += item->materials[k]->waivable;
        scope[item->cross_scope]++;
        modes[item->cross_mode]++;
    }
    assert_true(n_depts >= 10);
    assert_true(handling[ZW_HANDLING_IMMEDIATE] >= 5);
    assert_true(handling[ZW_HANDLING_PROMISED] >= 5);
    assert_true(hours >= 5 && workdays >= 5);
    assert_true(waivable >= 5);
    for (int s = 1; s <= 3; s++)
        assert_true(scope[s] >= 2);
    for (int m = 1; m <= 3; m++)
        assert_true(modes[m] >= 1);

    /* bundles: valid, and every member is an item of the file */
    assert_true(load->n_bundles >= 1);
    bool startup = false;
    for (size_t i = 0; i < load->n_bundles; i++) {
        Zwfw__V1__Bundle *b = load->bundles[i];
        char path[32];
        snprintf(path, sizeof path, "bundles[%zu]", i);
        assert_int_equal(zw_catalog_bundle_normalise(b), 0);
        if (zw_catalog_bundle_check(b, s_regions, path, &err) != 0)
            fail_msg("sample %s: %s", path, err.message);
        for (size_t k = 0; k < b->n_item_codes; k++) {
            bool found = false;
            for (size_t j = 0; j < load->n_items && !found; j++)
                found = strcmp(load->items[j]->impl_code, b->item_codes[k]) == 0;
            if (!found)
                fail_msg("sample %s.item_codes[%zu] is not an item of the file", path, k);
        }
        if (strcmp(b->name, "企业开办一件事") == 0)
            startup = b->n_item_codes == 5;
    }
    assert_true(startup);
    protobuf_c_message_free_unpacked(&load->base, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_length_and_validity),
        cmocka_unit_test(test_normalise_fills_trims_and_clears),
        cmocka_unit_test(test_normalise_drops_unknown_fields),
        cmocka_unit_test(test_valid_item_passes),
        cmocka_unit_test(test_each_rule_names_its_field),
        cmocka_unit_test(test_codes_and_required_fields),
        cmocka_unit_test(test_sizes_are_counted_in_characters),
        cmocka_unit_test(test_time_limits),
        cmocka_unit_test(test_materials),
        cmocka_unit_test(test_digest_ignores_read_only_fields_only),
        cmocka_unit_test(test_bundle_rules),
        cmocka_unit_test(test_request_fields),
        cmocka_unit_test(test_page_tokens),
        cmocka_unit_test(test_like_pattern_escapes),
        cmocka_unit_test(test_sample_catalog_is_valid_and_varied),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
