/* zwfwctl xregion: cross-region exchange with partner cities (zwfw.xregion)
 * for operators: the partner registry and its links, this deployment's
 * link key, the exchanges and the message log. The views are in
 * xregion_show.c. */
#include "cmds.h"
#include "common_opts.h"
#include "xregion_show.h"

#include "auth_keys.h"
#include "zwfw/v1/xregion.pb-c.h"

#include <errno.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_SERVICE "zwfw.xregion"
#define S_MAX_ARGS 6
#define S_MAX_OPTS 16
#define S_PAGE_MAX 200 /* ListExchanges and ListLinkMessages take at most this many */

/* The verbs, as bits: which options each takes. */
enum {
    S_PARTNERS = 1 << 0,
    S_LINK_KEY = 1 << 1,
    S_PUT = 1 << 2,
    S_EXCHANGES = 1 << 3,
    S_EXCHANGE = 1 << 4,
    S_MESSAGES = 1 << 5,
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
};
#define S_NVERBS (sizeof s_verbs / sizeof s_verbs[0])

typedef struct {
    zw_ctl_conn_t conn;
    const char *args[S_MAX_ARGS];
    size_t n_args;
    zw_ctl_change_t change;
    const char *region; /* --region */
    int limit;          /* --limit; 0: not given */
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

/* Notes that option a was given, taken by the verbs in the mask. */
static void s_took(s_opts_t *o, const char *a, int verbs)
{
    if (o->n_given < S_MAX_OPTS) {
        o->given[o->n_given] = a;
        o->given_verbs[o->n_given++] = verbs;
    }
}

/* 0 ok, 1 --help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    zw_ctl_conn_init(&o->conn);
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options || strncmp(a, "--", 2) != 0) {
            if (o->n_args == S_MAX_ARGS) {
                fprintf(stderr, "zwfwctl xregion: too many arguments\n");
                return 2;
            }
            o->args[o->n_args++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options = false;
            continue;
        }
        if (strcmp(a, "--help") == 0) {
            s_usage(stdout);
            return 1;
        }
        int rc = zw_ctl_conn_option(&o->conn, argc, argv, &i);
        if (rc == 2)
            return 2;
        if (rc == 1)
            continue;
        if (strcmp(a, "--json") == 0) {
            o->json = true;
            s_took(o, a, ~S_LINK_KEY);
        } else if (strcmp(a, "--disabled") == 0) {
            o->disabled = true;
            s_took(o, a, S_PUT);
        } else if (strcmp(a, "--open") == 0) {
            o->open = true;
            s_took(o, a, S_EXCHANGES);
        } else if (strcmp(a, "--inbound") == 0 || strcmp(a, "--outbound") == 0) {
            *(a[2] == 'i' ? &o->inbound : &o->outbound) = true;
            s_took(o, a, S_EXCHANGES);
        } else if (strcmp(a, "--actor") == 0 || strcmp(a, "--idempotency-key") == 0 ||
                   strcmp(a, "--region") == 0 || strcmp(a, "--limit") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "zwfwctl xregion: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (a[2] == 'a' || a[2] == 'i') {
                *(a[2] == 'a' ? &o->change.actor : &o->change.key) = v;
                s_took(o, a, S_PUT);
            } else if (a[2] == 'r') {
                if (!s_digits6(v)) {
                    fprintf(stderr,
                            "zwfwctl xregion: --region: a 6-digit division code, got "
                            "'%s'\n",
                            v);
                    return 2;
                }
                o->region = v;
                s_took(o, a, S_EXCHANGES | S_MESSAGES);
            } else {
                char *end;
                errno = 0;
                long n = strtol(v, &end, 10);
                if (errno || end == v || *end || n < 1 || n > 100000) {
                    fprintf(stderr,
                            "zwfwctl xregion: --limit: expected a whole number from 1 "
                            "to 100000, got '%s'\n",
                            v);
                    return 2;
                }
                o->limit = (int) n;
                s_took(o, a, S_EXCHANGES | S_MESSAGES);
            }
        } else {
            fprintf(stderr, "zwfwctl xregion: unknown option '%s' (--help lists them)\n", a);
            return 2;
        }
    }
    return 0;
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
                        "messages ...\n       (zwfwctl xregion --help for more)\n");
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
