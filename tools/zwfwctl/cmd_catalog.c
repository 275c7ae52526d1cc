/* zwfwctl catalog: the service-item catalog (zwfw.catalog) for operators:
 * load a catalog file, show an item, list items, cancel and restore. */
#include "cmds.h"
#include "common_opts.h"
#include "opt_table.h"

#include "wire_json.h"
#include "zwfw/v1/catalog.pb-c.h"

#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SERVICE "zwfw.catalog"
#define S_LOAD_TIMEOUT_MS 60000 /* a whole catalog is one transaction */
#define S_MAX_ARGS 8

typedef struct {
    zw_ctl_conn_t conn;
    const char *args[S_MAX_ARGS];
    size_t n_args;
    zw_ctl_change_t change;
    const char *reason;
    const char *department;
    const char *text;
    const char *type;
    const char *handling;
    const char *scope;
    int version;
    bool all;
    bool json;
} s_opts_t;

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfwctl catalog load FILE.json|- [--actor A] [--idempotency-key K]\n"
                 "       zwfwctl catalog get CODE [--version N]\n"
                 "       zwfwctl catalog list [--department USCC] [--text T] [--type TYPE]\n"
                 "                            [--handling immediate|promised]\n"
                 "                            [--scope inter_province|chuanyu|inter_district]\n"
                 "                            [--all] [--json]\n"
                 "       zwfwctl catalog cancel CODE --reason R [--actor A] [--idempotency-key K]\n"
                 "       zwfwctl catalog restore CODE [--actor A] [--idempotency-key K]\n"
                 "load sends FILE (the JSON form of zwfw.v1.LoadCatalog: {\"items\": [...],\n"
                 "\"bundles\": [...]}) in one request and prints how many items and bundles were\n"
                 "created, updated and unchanged. get prints an item as JSON. list prints the\n"
                 "public listing as a table (--json: as JSON), every page; --all adds cancelled\n"
                 "items (operator, supervisor). TYPE is a name such as licensing or\n"
                 "public_service, or the number.\n"
                 "--actor defaults to $ZWFW_ACTOR, else zwfwctl:$USER; --idempotency-key to a\n"
                 "random key (give the same key to repeat a request safely).\n"
                 "options:\n" ZW_CTL_CONN_HELP
                 "exit: 0 done; 1 refused or no reply (CODE: message on stderr); 2 usage\n");
}

static int s_version(const zw_ctl_opt_t *opt, const char *v)
{
    long long n;
    if (zw_ctl_whole(v, 1, 1000000, &n) != 0) {
        fprintf(stderr, "zwfwctl catalog: --version: expected a version number\n");
        return -1;
    }
    *(int *) opt->dest = (int) n;
    return 0;
}

/* 0 ok, 1 --help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    zw_ctl_conn_init(&o->conn);
    const zw_ctl_opt_t opts[] = {
        {ZW_CTL_FLAG("--all", &o->all)},
        {ZW_CTL_FLAG("--json", &o->json)},
        {ZW_CTL_STR("--actor", &o->change.actor)},
        {ZW_CTL_STR("--idempotency-key", &o->change.key)},
        {ZW_CTL_STR("--reason", &o->reason)},
        {ZW_CTL_STR("--department", &o->department)},
        {ZW_CTL_STR("--text", &o->text)},
        {ZW_CTL_STR("--type", &o->type)},
        {ZW_CTL_STR("--handling", &o->handling)},
        {ZW_CTL_STR("--scope", &o->scope)},
        {ZW_CTL_FN("--version", s_version, &o->version)},
    };
    const zw_ctl_parser_t p = {"zwfwctl catalog", s_usage, ZW_CTL_DASH_DASH | ZW_CTL_BARE_UNKNOWN,
                               &o->conn, ZW_CTL_TABLES(opts, o->args, &o->n_args)};
    return zw_ctl_parse(&p, argc, argv);
}

/* All of FILE, or of stdin for "-". malloc'd; NULL with a message. */
static char *s_read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "zwfwctl catalog: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = zw_ctl_read_stream(f, len);
    if (f != stdin)
        fclose(f);
    if (!buf)
        fprintf(stderr, "zwfwctl catalog: out of memory reading %s\n", path);
    return buf;
}

static int s_load(s_opts_t *o)
{
    size_t len = 0;
    char *json = s_read_all(o->args[1], &len);
    if (!json)
        return 1;
    zw_err_t err;
    Zwfw__V1__LoadCatalog *load = (Zwfw__V1__LoadCatalog *) zw_wire_from_json(
        &zwfw__v1__load_catalog__descriptor, json, len, &err);
    free(json);
    if (!load) {
        fprintf(stderr, "%s: %s: %s\n", zw_code_name(err.code), o->args[1], err.message);
        return 2;
    }
    /* the command line's actor and key win over any in the file */
    char *file_key = load->idempotency_key, *file_actor = load->actor;
    zw_ctl_change_defaults(&o->change);
    load->idempotency_key = (char *) o->change.key;
    load->actor = (char *) o->change.actor;
    ProtobufCMessage *reply = NULL;
    int rc = zw_ctl_call(&o->conn, S_SERVICE, &load->base,
                         &zwfw__v1__load_catalog_reply__descriptor, &reply);
    load->idempotency_key = file_key;
    load->actor = file_actor;
    if (rc == 0) {
        const Zwfw__V1__LoadCatalogReply *r = (const Zwfw__V1__LoadCatalogReply *) reply;
        printf("loaded %zu items and %zu bundles: created %d, updated %d, unchanged %d\n",
               load->n_items, load->n_bundles, r->created, r->updated, r->unchanged);
        protobuf_c_message_free_unpacked(reply, NULL);
    }
    protobuf_c_message_free_unpacked(&load->base, NULL);
    return rc;
}

static int s_get(s_opts_t *o)
{
    Zwfw__V1__GetItem req = ZWFW__V1__GET_ITEM__INIT;
    req.impl_code = (char *) o->args[1];
    req.version = o->version;
    ProtobufCMessage *reply = NULL;
    if (zw_ctl_call(&o->conn, S_SERVICE, &req.base, &zwfw__v1__get_item_reply__descriptor,
                    &reply) != 0)
        return 1;
    int rc = zw_ctl_print_json(&((Zwfw__V1__GetItemReply *) reply)->item->base);
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* An enum filter given as the value's name without its prefix ("chuanyu"
 * for CROSS_SCOPE_CHUANYU), in any case, or as its number. -1 if none. */
static int s_enum(const ProtobufCEnumDescriptor *desc, const char *prefix, const char *text)
{
    char name[128];
    char *end;
    long n = strtol(text, &end, 10);
    if (*text && !*end)
        return protobuf_c_enum_descriptor_get_value(desc, (int) n) ? (int) n : -1;
    int k = snprintf(name, sizeof name, "%s%s", prefix, text);
    for (int i = 0; i < k && i < (int) sizeof name; i++)
        if (name[i] >= 'a' && name[i] <= 'z')
            name[i] = (char) (name[i] - 'a' + 'A');
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(desc, name);
    return v ? v->value : -1;
}

static const char *s_short(const ProtobufCEnumDescriptor *desc, int value, const char *prefix)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);
    if (!v)
        return "?";
    size_t n = strlen(prefix);
    return strncmp(v->name, prefix, n) == 0 ? v->name + n : v->name;
}

static void s_limit_text(const Zwfw__V1__TimeLimit *l, char *out, size_t outsz)
{
    if (!l || l->amount == 0)
        snprintf(out, outsz, "-");
    else
        snprintf(out, outsz, "%d%s", l->amount,
                 l->unit == ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS ? "h" : "wd");
}

static int s_filters(ProtobufCMessage *m, const s_opts_t *o)
{
    Zwfw__V1__ListItems *q = (Zwfw__V1__ListItems *) m;
    q->department_code = (char *) (o->department ? o->department : "");
    q->text = (char *) (o->text ? o->text : "");
    q->include_cancelled = o->all;
    q->page_size = 500;
    int v;
    if (o->type) {
        if ((v = s_enum(&zwfw__v1__item_type__descriptor, "ITEM_TYPE_", o->type)) < 0) {
            fprintf(stderr, "zwfwctl catalog: --type: unknown item type '%s'\n", o->type);
            return 2;
        }
        q->type = v;
    }
    if (o->handling) {
        if ((v = s_enum(&zwfw__v1__handling_type__descriptor, "HANDLING_TYPE_", o->handling)) < 0) {
            fprintf(stderr, "zwfwctl catalog: --handling: expected immediate or promised\n");
            return 2;
        }
        q->handling = v;
    }
    if (o->scope) {
        if ((v = s_enum(&zwfw__v1__cross_scope__descriptor, "CROSS_SCOPE_", o->scope)) < 0) {
            fprintf(stderr, "zwfwctl catalog: --scope: expected inter_province, chuanyu or "
                            "inter_district\n");
            return 2;
        }
        q->cross_scope = v;
    }
    return 0;
}

static int s_list(s_opts_t *o)
{
    Zwfw__V1__ListItems q = ZWFW__V1__LIST_ITEMS__INIT;
    int rc = s_filters(&q.base, o);
    if (rc != 0)
        return rc;
    char token[1024] = "";
    size_t total = 0;
    cJSON *all = o->json ? cJSON_CreateArray() : NULL;
    for (;;) {
        q.page_token = token;
        ProtobufCMessage *reply = NULL;
        if (zw_ctl_call(&o->conn, S_SERVICE, &q.base, &zwfw__v1__list_items_reply__descriptor,
                        &reply) != 0) {
            rc = 1;
            break;
        }
        const Zwfw__V1__ListItemsReply *page = (const Zwfw__V1__ListItemsReply *) reply;
        if (!*token && !o->json) /* the first page came: a table follows */
            printf("%-56s %3s %-9s %-9s %-6s %-6s %s\n", "IMPL_CODE", "VER", "STATUS", "HANDLING",
                   "LEGAL", "PROMISE", "NAME");
        for (size_t i = 0; i < page->n_items; i++) {
            const Zwfw__V1__Item *it = page->items[i];
            if (all) {
                zw_err_t err;
                cJSON *item = zw_wire_to_cjson(&it->base, 0, &err);
                if (item)
                    cJSON_AddItemToArray(all, item);
                continue;
            }
            char legal[16], promise[16];
            s_limit_text(it->statutory_limit, legal, sizeof legal);
            s_limit_text(it->promised_limit, promise, sizeof promise);
            printf("%-56s %3d %-9s %-9s %-6s %-6s %s\n", it->impl_code, it->version,
                   s_short(&zwfw__v1__item_status__descriptor, it->status, "ITEM_STATUS_"),
                   s_short(&zwfw__v1__handling_type__descriptor, it->handling, "HANDLING_TYPE_"),
                   legal, promise, it->name);
        }
        total += page->n_items;
        snprintf(token, sizeof token, "%s", page->next_page_token);
        protobuf_c_message_free_unpacked(reply, NULL);
        if (!*token)
            break;
    }
    if (all) {
        if (rc == 0) {
            cJSON *doc = cJSON_CreateObject();
            cJSON_AddItemToObject(doc, "items", all);
            char *text = cJSON_Print(doc);
            printf("%s\n", text ? text : "");
            free(text);
            cJSON_Delete(doc);
        } else {
            cJSON_Delete(all);
        }
    } else if (rc == 0) {
        printf("%zu items\n", total);
    }
    return rc;
}

static int s_status(s_opts_t *o, bool cancel)
{
    zw_ctl_change_defaults(&o->change);
    Zwfw__V1__CancelItem c = ZWFW__V1__CANCEL_ITEM__INIT;
    Zwfw__V1__RestoreItem r = ZWFW__V1__RESTORE_ITEM__INIT;
    ProtobufCMessage *req;
    if (cancel) {
        c.idempotency_key = (char *) o->change.key;
        c.actor = (char *) o->change.actor;
        c.impl_code = (char *) o->args[1];
        c.reason = (char *) o->reason;
        req = &c.base;
    } else {
        r.idempotency_key = (char *) o->change.key;
        r.actor = (char *) o->change.actor;
        r.impl_code = (char *) o->args[1];
        req = &r.base;
    }
    ProtobufCMessage *reply = NULL;
    if (zw_ctl_call(&o->conn, S_SERVICE, req, &zwfw__v1__item_status_reply__descriptor, &reply) !=
        0)
        return 1;
    const Zwfw__V1__Item *it = ((const Zwfw__V1__ItemStatusReply *) reply)->item;
    printf("%s %s (version %d)\n", cancel ? "cancelled" : "restored", it->impl_code, it->version);
    protobuf_c_message_free_unpacked(reply, NULL);
    return 0;
}

int zw_cmd_catalog(int argc, char **argv)
{
    s_opts_t o = {0};
    int rc = s_parse(argc, argv, &o);
    const char *verb = o.n_args ? o.args[0] : "";
    if (rc == 0) {
        size_t want = strcmp(verb, "list") == 0 ? 1 : 2;
        bool known = strcmp(verb, "load") == 0 || strcmp(verb, "get") == 0 ||
                     strcmp(verb, "list") == 0 || strcmp(verb, "cancel") == 0 ||
                     strcmp(verb, "restore") == 0;
        if (!known) {
            if (*verb)
                fprintf(stderr, "zwfwctl catalog: unknown command '%s'\n", verb);
            s_usage(stderr);
            rc = 2;
        } else if (o.n_args != want) {
            fprintf(stderr, "zwfwctl catalog %s: %s (see zwfwctl catalog --help)\n", verb,
                    o.n_args > want             ? "unexpected argument"
                    : strcmp(verb, "load") == 0 ? "FILE.json (or - for stdin) is required"
                                                : "CODE is required");
            rc = 2;
        } else if (strcmp(verb, "cancel") == 0 && (!o.reason || !*o.reason)) {
            fprintf(stderr, "zwfwctl catalog cancel: --reason is required\n");
            rc = 2;
        }
    }
    if (rc != 0) {
        zw_ctl_conn_free(&o.conn);
        return rc == 1 ? 0 : rc;
    }
    zw_ctl_conn_finish(&o.conn, strcmp(verb, "load") == 0 ? S_LOAD_TIMEOUT_MS : 0);
    if (sodium_init() < 0) {
        fprintf(stderr, "zwfwctl catalog: libsodium failed to start\n");
        zw_ctl_conn_free(&o.conn);
        return 1;
    }
    if (!zw_ctl_conn_open(&o.conn))
        rc = 1;
    else if (strcmp(verb, "load") == 0)
        rc = s_load(&o);
    else if (strcmp(verb, "get") == 0)
        rc = s_get(&o);
    else if (strcmp(verb, "list") == 0)
        rc = s_list(&o);
    else
        rc = s_status(&o, strcmp(verb, "cancel") == 0);
    zw_ctl_conn_free(&o.conn);
    return rc;
}
