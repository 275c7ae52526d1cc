/* zwfwctl xregion: cross-region exchange with partner cities (zwfw.xregion)
 * for operators: the partner registry and its links, this deployment's
 * link key, the exchanges and the message log; and for the receiving
 * window (role window or integrator), the applicant's supplement or
 * withdrawal of a forwarded exchange. The views are in xregion_show.c. */
#include "cmds.h"
#include "common_opts.h"
#include "material_opt.h"
#include "opt_table.h"
#include "xregion_show.h"

#include "auth_keys.h"
#include "zwfw/v1/xregion.pb-c.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_SERVICE "zwfw.xregion"
#define S_MAX_ARGS 6
#define S_MAX_MATERIALS 100 /* as many as a request may carry (protocol.md section 4) */
#define S_MAX_OPTS (S_MAX_MATERIALS + 16)
#define S_MAX_PARTS 8
#define S_PAGE_MAX 200 /* ListExchanges and ListLinkMessages take at most this many */

/* The verbs, as bits: which options each takes. */
enum {
    S_PARTNERS = 1 << 0,
    S_LINK_KEY = 1 << 1,
    S_PUT = 1 << 2,
    S_EXCHANGES = 1 << 3,
    S_EXCHANGE = 1 << 4,
    S_MESSAGES = 1 << 5,
    S_SUPPLEMENT = 1 << 6,
    S_WITHDRAW = 1 << 7,
    S_CHANGES = S_PUT | S_SUPPLEMENT | S_WITHDRAW, /* take --actor, --idempotency-key */
};

static const struct {
    const char *name;
    int bit;
    size_t n_args; /* with the verb itself */
    const char *args_help, *synopsis;
} s_verbs[] = {
    {"partners", S_PARTNERS, 1, "", "partners [--json]"},
    {"link-key", S_LINK_KEY, 1, "", "link-key"},
    {"partner-put", S_PUT, 5, "REGION NAME ENDPOINT PUBLIC_KEY are required",
     "partner-put REGION NAME ENDPOINT PUBLIC_KEY [--disabled] [--actor A]\n"
     "                                   [--idempotency-key K] [--json]"},
    {"exchanges", S_EXCHANGES, 1, "",
     "exchanges [--open] [--region R] [--inbound|--outbound] [--limit N] [--json]"},
    {"exchange", S_EXCHANGE, 2, "ID (an exchange id, XR...) is required", "exchange ID [--json]"},
    {"messages", S_MESSAGES, 1, "", "messages [--region R] [--limit N] [--json]"},
    {"supplement", S_SUPPLEMENT, 2, "ID (an exchange id, XR...) is required",
     "supplement ID --part N --material CODE=FILE|CODE:SHA256:SIZE...\n"
     "                                  [--actor A] [--idempotency-key K] [--json]"},
    {"withdraw", S_WITHDRAW, 2, "ID (an exchange id, XR...) is required",
     "withdraw ID [--part N] [--reason R] [--actor A] [--idempotency-key K]\n"
     "                                [--json]"},
};
#define S_NVERBS (sizeof s_verbs / sizeof s_verbs[0])

typedef struct {
    zw_ctl_conn_t conn;
    const char *args[S_MAX_ARGS];
    size_t n_args;
    zw_ctl_change_t change;
    const char *region; /* --region */
    int limit;          /* --limit; 0: not given */
    int part;           /* --part; -1: not given */
    const char *reason; /* --reason */
    const char *materials[S_MAX_MATERIALS];
    size_t n_materials;
    bool disabled, open, inbound, outbound, json;
    char public_key[ZW_AUTH_Z85_LEN + 1]; /* partner-put's PUBLIC_KEY, read */
    /* each option given and the verbs that take it, to name a misplaced one */
    const char *given[S_MAX_OPTS];
    int given_verbs[S_MAX_OPTS];
    size_t n_given;
} s_opts_t;

static void s_usage(FILE *out)
{
    fprintf(out, "usage: zwfwctl xregion partners [--json]\n"
                 "       zwfwctl xregion link-key\n"
                 "       zwfwctl xregion partner-put REGION NAME ENDPOINT PUBLIC_KEY [--disabled]\n"
                 "                                   [--actor A] [--idempotency-key K] [--json]\n"
                 "       zwfwctl xregion exchanges [--open] [--region R] [--inbound|--outbound]\n"
                 "                                 [--limit N] [--json]\n"
                 "       zwfwctl xregion exchange ID [--json]\n"
                 "       zwfwctl xregion messages [--region R] [--limit N] [--json]\n"
                 "       zwfwctl xregion supplement ID --part N --material CODE=FILE|\n"
                 "                                  CODE:SHA256:SIZE... [--actor A]\n"
                 "                                  [--idempotency-key K] [--json]\n"
                 "       zwfwctl xregion withdraw ID [--part N] [--reason R] [--actor A]\n"
                 "                                [--idempotency-key K] [--json]\n"
                 "Cross-region exchange with partner cities (zwfw.xregion; README.md \"Linking a\n"
                 "partner city\"). partners shows this deployment's region, link public key and\n"
                 "link endpoint, then each partner: its link (up, down, disabled, no_link), when\n"
                 "it was last heard, messages queued for it and messages it refused.\n"
                 "link-key prints this deployment's link public key alone, to send to a\n"
                 "partner's operator. partner-put registers or changes a partner (operator):\n"
                 "REGION its 6-digit division code, NAME e.g. 眉山市, ENDPOINT its link socket\n"
                 "tcp://HOST:PORT (\"\" to only receive from it), PUBLIC_KEY its link public key\n"
                 "(40 Z85 characters, or the path of its link.key); --disabled stops the link.\n"
                 "exchanges lists exchanges newest first: --open those not done, --region those\n"
                 "with one partner, --inbound those decided here, --outbound those a partner\n"
                 "decides. exchange shows one with its parts and history. messages is the log of\n"
                 "every message exchanged with partners, newest first. --limit N caps the rows\n"
                 "(default 50). --json prints the reply as JSON.\n"
                 "supplement and withdraw are the receiving window's (roles window and\n"
                 "integrator; the key of --key or $ZWFW_KEY): supplement carries materials for\n"
                 "part N (1-8) of exchange ID to the intake that holds it, e.g. what its one-time\n"
                 "notice lists as missing (SupplementExchange); --material CODE=FILE hands in a\n"
                 "reference to FILE (its SHA-256, size and file:// address; the bytes stay where\n"
                 "they are), CODE:SHA256:SIZE one already known; repeat it for each material.\n"
                 "withdraw carries the applicant's withdrawal (WithdrawExchange) of part N, or\n"
                 "of every part still open (--part 0, the default), with --reason (up to 1000\n"
                 "characters). The part must be submitted at home (stage submitted); the reply\n"
                 "shows the exchange with the action sent; what the home intake makes of it\n"
                 "shows on the part later (xregion exchange ID: state, actions answered, a\n"
                 "refusal). A part handled by this deployment itself (多地联办) is answered\n"
                 "by its own intake the same way.\n"
                 "--actor defaults to $ZWFW_ACTOR, else zwfwctl:$USER; --idempotency-key to a\n"
                 "random key (give the same key to repeat a request safely).\n"
                 "options:\n" ZW_CTL_CONN_HELP
                 "exit: 0 done; 1 refused or no reply (CODE: message on stderr); 2 usage\n");
}

static bool s_digits6(const char *s)
{
    if (strlen(s) != 6)
        return false;
    for (int i = 0; i < 6; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* Notes each option given (its tag: the verbs that take it). */
static void s_took(const zw_ctl_opt_t *opt, void *arg)
{
    s_opts_t *o = arg;
    if (o->n_given < S_MAX_OPTS) {
        o->given[o->n_given] = opt->name;
        o->given_verbs[o->n_given++] = opt->tag;
    }
}

static int s_region(const zw_ctl_opt_t *opt, const char *v)
{
    if (!s_digits6(v)) {
        fprintf(stderr, "zwfwctl xregion: --region: a 6-digit division code, got '%s'\n", v);
        return -1;
    }
    *(const char **) opt->dest = v;
    return 0;
}

static int s_part(const zw_ctl_opt_t *opt, const char *v)
{
    long long n;
    if (zw_ctl_whole(v, 0, S_MAX_PARTS, &n) != 0) {
        fprintf(stderr,
                "zwfwctl xregion: --part: a part number from 1 to %d (0: every open part, "
                "withdraw only), got '%s'\n",
                S_MAX_PARTS, v);
        return -1;
    }
    *(int *) opt->dest = (int) n;
    return 0;
}

/* 0 ok, 1 --help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    zw_ctl_conn_init(&o->conn);
    o->part = -1;
    const zw_ctl_opt_t opts[] = {
        {ZW_CTL_FLAG("--json", &o->json), .tag = ~S_LINK_KEY},
        {ZW_CTL_FLAG("--disabled", &o->disabled), .tag = S_PUT},
        {ZW_CTL_FLAG("--open", &o->open), .tag = S_EXCHANGES},
        {ZW_CTL_FLAG("--inbound", &o->inbound), .tag = S_EXCHANGES},
        {ZW_CTL_FLAG("--outbound", &o->outbound), .tag = S_EXCHANGES},
        {ZW_CTL_STR("--actor", &o->change.actor), .tag = S_CHANGES},
        {ZW_CTL_STR("--idempotency-key", &o->change.key), .tag = S_CHANGES},
        {ZW_CTL_FN("--region", s_region, &o->region), .tag = S_EXCHANGES | S_MESSAGES},
        {ZW_CTL_INT("--limit", &o->limit, 1, 100000), .tag = S_EXCHANGES | S_MESSAGES},
        {ZW_CTL_FN("--part", s_part, &o->part), .tag = S_SUPPLEMENT | S_WITHDRAW},
        {ZW_CTL_STR("--reason", &o->reason), .tag = S_WITHDRAW},
        {ZW_CTL_LIST("--material", o->materials, &o->n_materials), .tag = S_SUPPLEMENT},
    };
    zw_ctl_parser_t p = {"zwfwctl xregion", s_usage, ZW_CTL_DASH_DASH, &o->conn,
                         ZW_CTL_TABLES(opts, o->args, &o->n_args)};
    p.taken = s_took; /* which verbs take an option: checked once the verb is known */
    p.arg = o;
    return zw_ctl_parse(&p, argc, argv);
}

/* ---- requests ---------------------------------------------------------------------------- */

static int s_show_partners(const ProtobufCMessage *m, void *arg)
{
    (void) arg;
    zw_xr_show_partners((const Zwfw__V1__ListPartnersReply *) m);
    return 0;
}

static int s_show_link_key(const ProtobufCMessage *m, void *arg)
{
    (void) arg;
    const Zwfw__V1__ListPartnersReply *r = (const Zwfw__V1__ListPartnersReply *) m;
    if (!*r->own_public_key) {
        fprintf(stderr,
                "zwfwctl xregion: deployment %s has no link key: partner links are off "
                "(zwfw-xregion's link_endpoint and link_secret_key_file)\n",
                r->own_region);
        return 1;
    }
    printf("%s\n", r->own_public_key);
    return 0;
}

static int s_show_partner(const ProtobufCMessage *m, void *arg)
{
    (void) arg;
    const Zwfw__V1__PartnerReply *r = (const Zwfw__V1__PartnerReply *) m;
    if (!r->partner) {
        fprintf(stderr, "zwfwctl xregion: the reply holds no partner\n");
        return 1;
    }
    zw_xr_show_partner(r->partner, r->replayed);
    return 0;
}

static int s_show_exchange(const ProtobufCMessage *m, void *arg)
{
    (void) arg;
    const Zwfw__V1__ExchangeReply *r = (const Zwfw__V1__ExchangeReply *) m;
    if (!r->exchange) {
        fprintf(stderr, "zwfwctl xregion: the reply holds no exchange\n");
        return 1;
    }
    zw_xr_show_exchange(r->exchange);
    return 0;
}

/* An exchange id as this service gives them: XR, a division code, the
 * date and number (XR50015220260302-000001); the service checks the rest. */
static bool s_exchange_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n < 8 || n > 64 || strncmp(id, "XR", 2) != 0)
        return false;
    for (size_t i = 2; i < n; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
            return false;
    return true;
}

static int s_show_action(const ProtobufCMessage *m, void *arg)
{
    const s_opts_t *o = arg;
    const Zwfw__V1__ExchangeReply *r = (const Zwfw__V1__ExchangeReply *) m;
    if (!r->exchange) {
        fprintf(stderr, "zwfwctl xregion: the reply holds no exchange\n");
        return 1;
    }
    zw_xr_show_action(r->exchange, strcmp(o->args[0], "supplement") == 0, o->part > 0 ? o->part : 0,
                      r->replayed);
    return 0;
}

/* SupplementExchange or WithdrawExchange. 2 when a --material cannot be
 * read (nothing sent). */
static int s_action(s_opts_t *o, bool supplement)
{
    zw_ctl_change_defaults(&o->change);
    Zwfw__V1__MaterialRef refs[S_MAX_MATERIALS], *ptrs[S_MAX_MATERIALS];
    zw_ctl_material_t keep[S_MAX_MATERIALS];
    memset(keep, 0, sizeof keep);
    int rc = 0;
    for (size_t i = 0; supplement && rc == 0 && i < o->n_materials; i++) {
        if (zw_ctl_material_parse("zwfwctl xregion supplement", o->materials[i], &refs[i],
                                  &keep[i]) != 0)
            rc = 2;
        ptrs[i] = &refs[i];
    }
    if (rc == 0 && supplement) {
        Zwfw__V1__SupplementExchange m = ZWFW__V1__SUPPLEMENT_EXCHANGE__INIT;
        m.idempotency_key = (char *) o->change.key;
        m.actor = (char *) o->change.actor;
        m.exchange_id = (char *) o->args[1];
        m.part_no = o->part;
        m.materials = ptrs;
        m.n_materials = o->n_materials;
        rc = zw_ctl_call_print(&o->conn, S_SERVICE, &m.base, &zwfw__v1__exchange_reply__descriptor,
                               o->json, s_show_action, o);
    } else if (rc == 0) {
        Zwfw__V1__WithdrawExchange m = ZWFW__V1__WITHDRAW_EXCHANGE__INIT;
        m.idempotency_key = (char *) o->change.key;
        m.actor = (char *) o->change.actor;
        m.exchange_id = (char *) o->args[1];
        m.part_no = o->part > 0 ? o->part : 0;
        m.reason = (char *) (o->reason ? o->reason : "");
        rc = zw_ctl_call_print(&o->conn, S_SERVICE, &m.base, &zwfw__v1__exchange_reply__descriptor,
                               o->json, s_show_action, o);
    }
    for (size_t i = 0; i < o->n_materials; i++)
        zw_ctl_material_free(&keep[i]);
    return rc;
}

static int s_put(s_opts_t *o)
{
    zw_ctl_change_defaults(&o->change);
    Zwfw__V1__PutPartner m = ZWFW__V1__PUT_PARTNER__INIT;
    m.idempotency_key = (char *) o->change.key;
    m.actor = (char *) o->change.actor;
    m.region = (char *) o->args[1];
    m.name = (char *) o->args[2];
    m.endpoint = (char *) o->args[3];
    m.public_key = o->public_key;
    m.disabled = o->disabled;
    return zw_ctl_call_print(&o->conn, S_SERVICE, &m.base, &zwfw__v1__partner_reply__descriptor,
                             o->json, s_show_partner, NULL);
}

/* Every page of a listing up to --limit rows: ListExchanges or
 * ListLinkMessages. As a table, or with --json as one JSON reply holding
 * every row read (and the token of the next page when the limit cut it). */
static int s_list(s_opts_t *o, bool exchanges)
{
    int limit = o->limit ? o->limit : 50, shown = 0, rc = 0;
    char token[1024] = "";
    Zwfw__V1__ListExchanges qe = ZWFW__V1__LIST_EXCHANGES__INIT;
    Zwfw__V1__ListLinkMessages qm = ZWFW__V1__LIST_LINK_MESSAGES__INIT;
    qe.region = qm.region = (char *) (o->region ? o->region : "");
    qe.open_only = o->open;
    qe.direction = o->inbound    ? ZWFW__V1__EXCHANGE_DIRECTION__EXCHANGE_DIRECTION_INBOUND
                   : o->outbound ? ZWFW__V1__EXCHANGE_DIRECTION__EXCHANGE_DIRECTION_OUTBOUND
                                 : ZWFW__V1__EXCHANGE_DIRECTION__EXCHANGE_DIRECTION_UNSPECIFIED;
    /* --json: the rows of every page, gathered into the last reply */
    ProtobufCMessage **rows = NULL;
    size_t n_rows = 0;
    ProtobufCMessage *pages[512];
    size_t n_pages = 0;
    bool more = false;
    while (shown < limit && n_pages < sizeof pages / sizeof pages[0]) {
        int want = limit - shown > S_PAGE_MAX ? S_PAGE_MAX : limit - shown;
        qe.page_size = qm.page_size = want;
        qe.page_token = qm.page_token = token;
        ProtobufCMessage *reply = NULL;
        if (zw_ctl_call(&o->conn, S_SERVICE, exchanges ? &qe.base : &qm.base,
                        exchanges ? &zwfw__v1__list_exchanges_reply__descriptor
                                  : &zwfw__v1__list_link_messages_reply__descriptor,
                        &reply) != 0) {
            rc = 1;
            break;
        }
        pages[n_pages++] = reply;
        const Zwfw__V1__ListExchangesReply *re = (const Zwfw__V1__ListExchangesReply *) reply;
        const Zwfw__V1__ListLinkMessagesReply *rm = (const Zwfw__V1__ListLinkMessagesReply *) reply;
        size_t n = exchanges ? re->n_exchanges : rm->n_messages;
        if (n > (size_t) want) /* a server that ignores page_size: --limit still holds */
            n = (size_t) want;
        if (!o->json && !*token) {
            if (exchanges)
                zw_xr_show_exchange_head();
            else
                zw_xr_show_message_head();
        }
        ProtobufCMessage **grown = o->json ? realloc(rows, (n_rows + n) * sizeof *rows) : rows;
        if (o->json && n && !grown) {
            fprintf(stderr, "zwfwctl xregion: out of memory\n");
            rc = 1;
            break;
        }
        rows = grown;
        for (size_t i = 0; i < n; i++) {
            if (o->json)
                rows[n_rows++] = exchanges ? &re->exchanges[i]->base : &rm->messages[i]->base;
            else if (exchanges)
                zw_xr_show_exchange_row(re->exchanges[i]);
            else
                zw_xr_show_message_row(rm->messages[i]);
        }
        shown += (int) n;
        const char *next = exchanges ? re->next_page_token : rm->next_page_token;
        snprintf(token, sizeof token, "%s", next);
        more = *token != '\0';
        if (!more || n == 0)
            break;
    }
    if (rc == 0 && o->json) {
        /* one reply of the listing's type holding every row: print it */
        Zwfw__V1__ListExchangesReply ae = ZWFW__V1__LIST_EXCHANGES_REPLY__INIT;
        Zwfw__V1__ListLinkMessagesReply am = ZWFW__V1__LIST_LINK_MESSAGES_REPLY__INIT;
        ae.n_exchanges = am.n_messages = n_rows;
        ae.exchanges = (Zwfw__V1__Exchange **) rows;
        am.messages = (Zwfw__V1__LinkMessage **) rows;
        ae.next_page_token = am.next_page_token = more ? token : "";
        rc = zw_ctl_print_json(exchanges ? &ae.base : &am.base);
    } else if (rc == 0) {
        printf("%d %s%s\n", shown,
               exchanges ? (shown == 1 ? "exchange" : "exchanges")
                         : (shown == 1 ? "message" : "messages"),
               more ? " (more: --limit N)" : "");
    }
    free(rows);
    for (size_t i = 0; i < n_pages; i++)
        protobuf_c_message_free_unpacked(pages[i], NULL);
    return rc;
}

int zw_cmd_xregion(int argc, char **argv)
{
    s_opts_t o = {0};
    int rc = s_parse(argc, argv, &o);
    const char *verb = o.n_args ? o.args[0] : "";
    size_t v = 0;
    bool full = false; /* the whole usage was printed */
    while (v < S_NVERBS && strcmp(verb, s_verbs[v].name) != 0)
        v++;
    if (rc == 0) {
        if (v == S_NVERBS) {
            if (*verb)
                fprintf(stderr, "zwfwctl xregion: unknown command '%s'\n", verb);
            s_usage(stderr);
            full = true;
            rc = 2;
        } else if (o.n_args != s_verbs[v].n_args) {
            fprintf(stderr, "zwfwctl xregion %s: %s\n", verb,
                    o.n_args > s_verbs[v].n_args ? "unexpected argument" : s_verbs[v].args_help);
            rc = 2;
        } else if (o.inbound && o.outbound) {
            fprintf(stderr, "zwfwctl xregion exchanges: --inbound or --outbound, not both\n");
            rc = 2;
        } else if (s_verbs[v].bit == S_PUT && !s_digits6(o.args[1])) {
            fprintf(stderr,
                    "zwfwctl xregion partner-put: REGION: a 6-digit division code, got "
                    "'%s'\n",
                    o.args[1]);
            rc = 2;
        } else if ((s_verbs[v].bit & (S_SUPPLEMENT | S_WITHDRAW)) && !s_exchange_id_ok(o.args[1])) {
            fprintf(stderr,
                    "zwfwctl xregion %s: ID: an exchange id (XR + division code + "
                    "yyyymmdd-nnnnnn, e.g. XR50015220260302-000001), got '%s'\n",
                    verb, o.args[1]);
            rc = 2;
        } else if (s_verbs[v].bit == S_SUPPLEMENT && o.part < 1) {
            fprintf(stderr, "zwfwctl xregion supplement: %s\n",
                    o.part == 0 ? "--part 0 is for withdraw: a supplement is for one part (1-8)"
                                : "--part N (the part to supplement, 1-8) is required");
            rc = 2;
        } else if (s_verbs[v].bit == S_SUPPLEMENT && o.n_materials == 0) {
            fprintf(stderr, "zwfwctl xregion supplement: at least one --material is required\n");
            rc = 2;
        } else if (s_verbs[v].bit == S_PUT) {
            zw_err_t err;
            if (!zw_auth_z85_ok(o.args[4]) && access(o.args[4], F_OK) != 0) {
                fprintf(stderr,
                        "zwfwctl xregion partner-put: PUBLIC_KEY: '%s' is neither a "
                        "public key (40 Z85 characters) nor a key file\n",
                        o.args[4]);
                rc = 2;
            } else if (zw_auth_public_key_load(o.args[4], o.public_key, &err) != 0) {
                fprintf(stderr, "zwfwctl xregion partner-put: PUBLIC_KEY: %s\n", err.message);
                rc = 2;
            }
        }
        for (size_t i = 0; rc == 0 && i < o.n_given; i++)
            if (!(o.given_verbs[i] & s_verbs[v].bit)) {
                fprintf(stderr, "zwfwctl xregion %s: %s is not an option of %s\n", verb, o.given[i],
                        verb);
                rc = 2;
            }
    }
    if (rc == 2 && v < S_NVERBS) /* the verb's own usage line; an unknown verb got them all */
        fprintf(stderr, "usage: zwfwctl xregion %s\n       (zwfwctl xregion --help for more)\n",
                s_verbs[v].synopsis);
    else if (rc == 2 && !full)
        fprintf(stderr, "usage: zwfwctl xregion partners|link-key|partner-put|exchanges|exchange|"
                        "messages|supplement|withdraw ...\n"
                        "       (zwfwctl xregion --help for more)\n");
    if (rc != 0) {
        zw_ctl_conn_free(&o.conn);
        return rc == 1 ? 0 : rc;
    }
    zw_ctl_conn_finish(&o.conn, 0);
    if (sodium_init() < 0) {
        fprintf(stderr, "zwfwctl xregion: libsodium failed to start\n");
        zw_ctl_conn_free(&o.conn);
        return 1;
    }
    int bit = s_verbs[v].bit;
    if (!zw_ctl_conn_open(&o.conn)) {
        rc = 1;
    } else if (bit == S_PARTNERS || bit == S_LINK_KEY) {
        Zwfw__V1__ListPartners m = ZWFW__V1__LIST_PARTNERS__INIT;
        rc = zw_ctl_call_print(&o.conn, S_SERVICE, &m.base,
                               &zwfw__v1__list_partners_reply__descriptor, o.json,
                               bit == S_PARTNERS ? s_show_partners : s_show_link_key, NULL);
    } else if (bit == S_PUT) {
        rc = s_put(&o);
    } else if (bit == S_SUPPLEMENT || bit == S_WITHDRAW) {
        rc = s_action(&o, bit == S_SUPPLEMENT);
    } else if (bit == S_EXCHANGE) {
        Zwfw__V1__GetExchange m = ZWFW__V1__GET_EXCHANGE__INIT;
        m.exchange_id = (char *) o.args[1];
        rc = zw_ctl_call_print(&o.conn, S_SERVICE, &m.base, &zwfw__v1__exchange_reply__descriptor,
                               o.json, s_show_exchange, NULL);
    } else {
        rc = s_list(&o, bit == S_EXCHANGES);
    }
    zw_ctl_conn_free(&o.conn);
    return rc;
}
