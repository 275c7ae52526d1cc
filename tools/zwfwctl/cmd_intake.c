/* zwfwctl intake: applications (zwfw.intake) from the command line: submit,
 * get, list, supplement, withdraw, review, and the credit list. For trying
 * a deployment and for scripts; window terminals speak protobuf. */
#include "cmds.h"
#include "common_opts.h"
#include "material_opt.h"
#include "opt_table.h"

#include "clock.h"
#include "zwfw/v1/intake.pb-c.h"

#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SERVICE "zwfw.intake"
#define S_MAX 32

typedef struct {
    zw_ctl_conn_t conn;
    const char *args[4];
    size_t n_args;
    zw_ctl_change_t change;
    const char *name, *id, *id_type, *kind, *agent_name, *agent_id, *phone, *address, *channel,
        *window, *bundle, *reason, *item;
    const char *materials[S_MAX];
    size_t n_materials;
    const char *commits[S_MAX];
    size_t n_commits;
    bool notify, receive_only, json, supply_overdue;
    int page_size, state; /* 0: not given */
} s_opts_t;

static void s_usage(FILE *out)
{
    fprintf(
        out,
        "usage: zwfwctl intake submit ITEM_CODE|--bundle CODE --name NAME --id NUMBER\n"
        "                     [--id-type resident_id|passport|hk_macao|taiwan|foreign|uscc]\n"
        "                     [--kind person|organization] [--agent-name N --agent-id ID]\n"
        "                     [--phone P] [--address A] [--channel window|online|mobile|\n"
        "                     kiosk|hotline|other_system] [--window W]\n"
        "                     [--material [ITEM/]CODE=FILE | --material "
        "[ITEM/]CODE:SHA256:SIZE]...\n"
        "                     [--commit CODE]... [--notify-commitment] [--receive-only]\n"
        "       zwfwctl intake get RECEIPT\n"
        "       zwfwctl intake list [--id NUMBER] [--item CODE] [--state N] [--page-size N]\n"
        "                           [--supply-overdue]  (容缺 materials owed past their date)\n"
        "       zwfwctl intake supplement RECEIPT --material ...\n"
        "       zwfwctl intake withdraw RECEIPT [--reason R]\n"
        "       zwfwctl intake review RECEIPT\n"
        "       zwfwctl intake revoke RECEIPT --reason R   (head: 撤销 of a 即办件's approval)\n"
        "       zwfwctl intake credit add|remove|show --id NUMBER [--id-type T] [--reason R]\n"
        "Prints the application and the notice a window would print (--json: the\n"
        "whole reply). --material CODE=FILE hands in a reference to FILE (its SHA-256,\n"
        "size and file:// address; the bytes stay where they are); ITEM/ says which item\n"
        "of a --bundle it is for, where the bundle's items use CODE for different\n"
        "documents. --commit names a\n"
        "容缺 material the applicant signs to bring later. Changes take --actor\n"
        "(default $ZWFW_ACTOR, else zwfwctl:$USER) and --idempotency-key (default\n"
        "random; repeat a key to repeat a request safely).\n"
        "options:\n" ZW_CTL_CONN_HELP
        "exit: 0 done; 1 refused or no reply (CODE: message on stderr); 2 usage\n");
}

static int s_kind(const zw_ctl_opt_t *opt, const char *v)
{
    if (strcmp(v, "person") != 0 && strcmp(v, "organization") != 0) {
        fprintf(stderr, "zwfwctl intake: --kind: expected person or organization, got '%s'\n", v);
        return -1;
    }
    *(const char **) opt->dest = v;
    return 0;
}

/* 0 ok, 1 --help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    zw_ctl_conn_init(&o->conn);
    const zw_ctl_opt_t opts[] = {
        {ZW_CTL_FLAG("--supply-overdue", &o->supply_overdue)},
        {ZW_CTL_FLAG("--json", &o->json)},
        {ZW_CTL_FLAG("--notify-commitment", &o->notify)},
        {ZW_CTL_FLAG("--receive-only", &o->receive_only)},
        {ZW_CTL_STR("--actor", &o->change.actor)},
        {ZW_CTL_STR("--idempotency-key", &o->change.key)},
        {ZW_CTL_STR("--name", &o->name)},
        {ZW_CTL_STR("--id", &o->id)},
        {ZW_CTL_STR("--id-type", &o->id_type)},
        {ZW_CTL_FN("--kind", s_kind, &o->kind)},
        {ZW_CTL_STR("--agent-name", &o->agent_name)},
        {ZW_CTL_STR("--agent-id", &o->agent_id)},
        {ZW_CTL_STR("--phone", &o->phone)},
        {ZW_CTL_STR("--address", &o->address)},
        {ZW_CTL_STR("--channel", &o->channel)},
        {ZW_CTL_STR("--window", &o->window)},
        {ZW_CTL_STR("--bundle", &o->bundle)},
        {ZW_CTL_STR("--reason", &o->reason)},
        {ZW_CTL_STR("--item", &o->item)},
        {ZW_CTL_LIST("--material", o->materials, &o->n_materials)},
        {ZW_CTL_LIST("--commit", o->commits, &o->n_commits)},
        {ZW_CTL_INT("--page-size", &o->page_size, 1, 500)},
        {ZW_CTL_INT("--state", &o->state, 1, 15)},
    };
    const zw_ctl_parser_t p = {"zwfwctl intake", s_usage, ZW_CTL_DASH_H, &o->conn,
                               ZW_CTL_TABLES(opts, o->args, &o->n_args)};
    return zw_ctl_parse(&p, argc, argv);
}

/* ---- values -------------------------------------------------------------------------- */

static int s_enum(const char *text, const char *const *names, int count, int dflt)
{
    if (!text)
        return dflt;
    for (int i = 0; i < count; i++)
        if (names[i] && strcmp(text, names[i]) == 0)
            return i;
    return -1;
}

static int s_id_type(const char *t)
{
    static const char *const names[] = {NULL,     "resident_id", "passport", "hk_macao",
                                        "taiwan", "foreign",     NULL,       NULL,
                                        NULL,     NULL,          "uscc"};
    return s_enum(t, names, 11, ZWFW__V1__ID_TYPE__ID_TYPE_RESIDENT_ID);
}

static int s_channel(const char *t)
{
    static const char *const names[] = {NULL,    "window",  "online",      "mobile",
                                        "kiosk", "hotline", "other_system"};
    return s_enum(t, names, 7, ZWFW__V1__CHANNEL__CHANNEL_WINDOW);
}

/* ---- printing -------------------------------------------------------------------------- */

static const char *s_state_name(int s)
{
    static const char *const names[] = {"?",
                                        "已接件 received",
                                        "已撤件 withdrawn (before acceptance)",
                                        "已受理 accepted",
                                        "不受理 not accepted",
                                        "不予受理 refused",
                                        "补正开始 supplement",
                                        "补正结束 supplement ended",
                                        "部门开始办理 processing",
                                        "特别程序开始 special procedure",
                                        "特别程序结束 special procedure ended",
                                        "办结(通过) approved",
                                        "办结(容缺通过) approved (容缺)",
                                        "办结(不通过) rejected",
                                        "撤回 withdrawn",
                                        "撤销 revoked"};
    return s >= 0 && s <= 15 ? names[s] : "?";
}

static const char *s_notice_name(int k)
{
    static const char *const names[] = {"?",
                                        "受理通知书 (acceptance)",
                                        "不予受理决定书 (refusal)",
                                        "一次性告知书 (one-time notice of missing materials)",
                                        "不受理通知 (not accepted)",
                                        "办结通知 (finished at the counter)",
                                        "容缺受理告知书 (accepted; bring the rest by a date)",
                                        "收件回执 (received; to be reviewed)",
                                        "撤件回执 (withdrawal)",
                                        "撤销决定书 (approval revoked)"};
    return k >= 0 && (size_t) k < sizeof names / sizeof names[0] ? names[k] : "?";
}

static void s_time(const char *label, const Zwfw__V1__Timestamp *ts)
{
    if (!ts)
        return;
    char buf[48];
    printf("%-12s %s\n", label,
           zw_time_format(ts->seconds * ZW_US_PER_SEC + ts->nanos / 1000, buf, sizeof buf));
}

static void s_print_app(const Zwfw__V1__Application *a, const char *indent)
{
    printf("%s%-12s %s\n", indent, "receipt", a->receipt_number);
    printf("%s%-12s %s %s (v%d)\n", indent, "item", *a->item_code ? a->item_code : a->bundle_code,
           a->item_name, a->item_version);
    printf("%s%-12s %d %s\n", indent, "state", a->state, s_state_name(a->state));
    if (a->applicant && a->applicant->identity)
        printf("%s%-12s %s %s\n", indent, "applicant", a->applicant->identity->name,
               a->applicant->identity->id_number);
    s_time("received", a->received_at);
    s_time("accepted", a->accepted_at);
    s_time("due", a->due_at);
    s_time("completed", a->completed_at);
    for (size_t i = 0; i < a->n_waived_materials; i++)
        printf("%s%-12s %s\n", indent, i ? "" : "waived", a->waived_materials[i]);
    if (a->supply_by)
        printf("%s%-12s %04d-%02d-%02d\n", indent, "supply by", a->supply_by->year,
               a->supply_by->month, a->supply_by->day);
    for (size_t i = 0; i < a->n_children; i++)
        printf("%s%-12s %s\n", indent, i ? "" : "items", a->children[i]);
    for (size_t i = 0; i < a->n_history; i++) {
        char buf[48];
        const Zwfw__V1__StateChange *h = a->history[i];
        printf("%s%-12s %s  %-2d %s  by %s\n", indent, i ? "" : "history",
               zw_time_format(h->at ? h->at->seconds * ZW_US_PER_SEC : 0, buf, sizeof buf),
               h->state, s_state_name(h->state), h->actor);
    }
}

static void s_print_notice(const Zwfw__V1__Notice *n)
{
    if (!n)
        return;
    printf("\n%s\n", s_notice_name(n->kind));
    printf("%-12s %s  %s\n", "applicant", n->applicant_name, n->applicant_id_masked);
    if (*n->reason)
        printf("%-12s %s\n", "reason", n->reason);
    for (size_t i = 0; i < n->n_missing; i++)
        printf("%-12s %s %s%s (%d)\n", i ? "" : "missing", n->missing[i]->code, n->missing[i]->name,
               n->missing[i]->waivable ? " [容缺]" : "", n->missing[i]->copies);
    s_time("due", n->due_at);
    if (n->supply_by)
        printf("%-12s %04d-%02d-%02d\n", "supply by", n->supply_by->year, n->supply_by->month,
               n->supply_by->day);
    printf("%-12s %s %s\n", "issued by", n->center, n->authority);
}

/* The text view of a reply (zw_ctl_show_fn): the application and its
 * notice, a list, a credit-list entry; JSON for any other. */
static int s_show(const ProtobufCMessage *reply, void *arg)
{
    (void) arg;
    if (reply->descriptor == &zwfw__v1__submit_application_reply__descriptor) {
        const Zwfw__V1__SubmitApplicationReply *r = (const void *) reply;
        if (r->replayed)
            printf("(the same request was answered before: this is its answer)\n");
        s_print_app(r->application, "");
        for (size_t i = 0; i < r->n_children; i++) {
            printf("\n");
            s_print_app(r->children[i], "  ");
        }
        s_print_notice(r->notice);
    } else if (reply->descriptor == &zwfw__v1__application_reply__descriptor) {
        const Zwfw__V1__ApplicationReply *r = (const void *) reply;
        s_print_app(r->application, "");
        s_print_notice(r->notice);
    } else if (reply->descriptor == &zwfw__v1__list_applications_reply__descriptor) {
        const Zwfw__V1__ListApplicationsReply *r = (const void *) reply;
        for (size_t i = 0; i < r->n_applications; i++) {
            const Zwfw__V1__Application *a = r->applications[i];
            char buf[48];
            printf("%-26s %2d %-10s %s\n", a->receipt_number, a->state,
                   a->received_at
                       ? zw_time_format(a->received_at->seconds * ZW_US_PER_SEC, buf, sizeof buf)
                       : "",
                   a->item_name);
        }
        if (*r->next_page_token)
            printf("(more: --page-token is not offered here; use zwfwctl call with "
                   "pageToken %s)\n",
                   r->next_page_token);
    } else if (reply->descriptor == &zwfw__v1__credit_list_reply__descriptor) {
        const Zwfw__V1__CreditListReply *r = (const void *) reply;
        printf("%s%s%s%s\n", r->listed ? "on the credit list: " : "not on the credit list",
               r->listed ? r->id_masked : "", r->listed ? "  " : "", r->listed ? r->reason : "");
    } else {
        return zw_ctl_print_json(reply);
    }
    return 0;
}

/* ---- requests --------------------------------------------------------------------------- */

static int s_run(s_opts_t *o, const char *verb)
{
    Zwfw__V1__SubmitApplication sub = ZWFW__V1__SUBMIT_APPLICATION__INIT;
    Zwfw__V1__Applicant app = ZWFW__V1__APPLICANT__INIT;
    Zwfw__V1__Identity who = ZWFW__V1__IDENTITY__INIT, agent = ZWFW__V1__IDENTITY__INIT;
    Zwfw__V1__Commitment commit = ZWFW__V1__COMMITMENT__INIT;
    Zwfw__V1__SupplementMaterials sup = ZWFW__V1__SUPPLEMENT_MATERIALS__INIT;
    Zwfw__V1__WithdrawApplication wd = ZWFW__V1__WITHDRAW_APPLICATION__INIT;
    Zwfw__V1__ReviewApplication rv = ZWFW__V1__REVIEW_APPLICATION__INIT;
    Zwfw__V1__RevokeApplication rk = ZWFW__V1__REVOKE_APPLICATION__INIT;
    Zwfw__V1__GetApplication get = ZWFW__V1__GET_APPLICATION__INIT;
    Zwfw__V1__ListApplications list = ZWFW__V1__LIST_APPLICATIONS__INIT;
    Zwfw__V1__PutCreditListEntry cput = ZWFW__V1__PUT_CREDIT_LIST_ENTRY__INIT;
    Zwfw__V1__DeleteCreditListEntry cdel = ZWFW__V1__DELETE_CREDIT_LIST_ENTRY__INIT;
    Zwfw__V1__GetCreditListEntry cget = ZWFW__V1__GET_CREDIT_LIST_ENTRY__INIT;
    Zwfw__V1__MaterialRef refs[S_MAX], *ptrs[S_MAX];
    zw_ctl_material_t owned[S_MAX];
    memset(owned, 0, sizeof owned);
    const ProtobufCMessage *req = NULL;
    int rc = 0;
    int id_type = s_id_type(o->id_type);
    if (id_type < 0) {
        fprintf(stderr, "zwfwctl intake: --id-type %s: unknown\n", o->id_type);
        return 2;
    }
    for (size_t i = 0; i < o->n_materials && rc == 0; i++) {
        if (zw_ctl_material_parse("zwfwctl intake", o->materials[i], &refs[i], &owned[i]) != 0)
            rc = 2;
        ptrs[i] = &refs[i];
    }
    if (rc == 0 && !strcmp(verb, "submit")) {
        int channel = s_channel(o->channel);
        const char *why = channel < 0 ? "--channel: unknown channel"
                          : (o->n_args == 2) == (o->bundle != NULL)
                              ? "give ITEM_CODE or --bundle CODE, one of them"
                          : !o->name ? "--name NAME is required"
                          : !o->id   ? "--id NUMBER is required"
                                     : NULL;
        if (why) {
            fprintf(stderr, "zwfwctl intake submit: %s (see zwfwctl intake --help)\n", why);
            rc = 2;
        } else {
            sub.idempotency_key = (char *) o->change.key;
            sub.actor = (char *) o->change.actor;
            sub.item_code = o->n_args == 2 ? (char *) o->args[1] : "";
            sub.bundle_code = o->bundle ? (char *) o->bundle : "";
            sub.channel = channel;
            const char *win = o->window ? o->window : getenv("ZWFW_WINDOW");
            sub.window_id = (char *) (win ? win
                                      : channel == ZWFW__V1__CHANNEL__CHANNEL_WINDOW ||
                                              channel == ZWFW__V1__CHANNEL__CHANNEL_KIOSK
                                          ? "W01"
                                          : "");
            who.name = (char *) o->name;
            who.id_type = id_type;
            who.id_number = (char *) o->id;
            app.kind = (o->kind ? strcmp(o->kind, "organization") == 0
                                : id_type == ZWFW__V1__ID_TYPE__ID_TYPE_USCC)
                           ? ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_ORGANIZATION
                           : ZWFW__V1__APPLICANT_KIND__APPLICANT_KIND_PERSON;
            app.identity = &who;
            if (o->agent_id) {
                agent.name = (char *) (o->agent_name ? o->agent_name : "");
                agent.id_type = ZWFW__V1__ID_TYPE__ID_TYPE_RESIDENT_ID;
                agent.id_number = (char *) o->agent_id;
                app.agent = &agent;
            }
            app.phone = (char *) (o->phone ? o->phone : "");
            app.address = (char *) (o->address ? o->address : "");
            sub.applicant = &app;
            sub.materials = ptrs;
            sub.n_materials = o->n_materials;
            if (o->n_commits) {
                commit.signed_ = true;
                commit.material_codes = (char **) o->commits;
                commit.n_material_codes = o->n_commits;
                sub.commitment = &commit;
            }
            sub.notify_commitment = o->notify;
            sub.receive_only = o->receive_only;
            req = &sub.base;
        }
    } else if (rc == 0 && !strcmp(verb, "supplement")) {
        sup.idempotency_key = (char *) o->change.key;
        sup.actor = (char *) o->change.actor;
        sup.receipt_number = (char *) o->args[1];
        sup.materials = ptrs;
        sup.n_materials = o->n_materials;
        req = &sup.base;
    } else if (rc == 0 && !strcmp(verb, "withdraw")) {
        wd.idempotency_key = (char *) o->change.key;
        wd.actor = (char *) o->change.actor;
        wd.receipt_number = (char *) o->args[1];
        wd.reason = (char *) (o->reason ? o->reason : "");
        req = &wd.base;
    } else if (rc == 0 && !strcmp(verb, "review")) {
        rv.idempotency_key = (char *) o->change.key;
        rv.actor = (char *) o->change.actor;
        rv.receipt_number = (char *) o->args[1];
        req = &rv.base;
    } else if (rc == 0 && !strcmp(verb, "revoke")) {
        rk.idempotency_key = (char *) o->change.key;
        rk.actor = (char *) o->change.actor;
        rk.receipt_number = (char *) o->args[1];
        rk.reason = (char *) (o->reason ? o->reason : "");
        req = &rk.base;
    } else if (rc == 0 && !strcmp(verb, "get")) {
        get.receipt_number = (char *) o->args[1];
        req = &get.base;
    } else if (rc == 0 && !strcmp(verb, "list")) {
        list.applicant_id_number = (char *) (o->id ? o->id : "");
        list.item_code = (char *) (o->item ? o->item : "");
        list.state = o->state;
        list.page_size = o->page_size;
        list.supply_overdue = o->supply_overdue;
        req = &list.base;
    } else if (rc == 0 && !strcmp(verb, "credit")) {
        const char *what = o->args[1];
        if (!o->id) {
            fprintf(stderr, "zwfwctl intake credit: --id is required\n");
            rc = 2;
        } else if (!strcmp(what, "add")) {
            cput.idempotency_key = (char *) o->change.key;
            cput.actor = (char *) o->change.actor;
            cput.id_type = id_type;
            cput.id_number = (char *) o->id;
            cput.reason = (char *) (o->reason ? o->reason : "");
            req = &cput.base;
        } else if (!strcmp(what, "remove")) {
            cdel.idempotency_key = (char *) o->change.key;
            cdel.actor = (char *) o->change.actor;
            cdel.id_type = id_type;
            cdel.id_number = (char *) o->id;
            req = &cdel.base;
        } else if (!strcmp(what, "show")) {
            cget.id_type = id_type;
            cget.id_number = (char *) o->id;
            req = &cget.base;
        } else {
            fprintf(stderr, "zwfwctl intake credit: add, remove or show\n");
            rc = 2;
        }
    }
    if (rc == 0 && req)
        rc = zw_ctl_call_print(&o->conn, S_SERVICE, req, NULL, o->json, s_show, NULL);
    for (size_t i = 0; i < S_MAX; i++)
        zw_ctl_material_free(&owned[i]);
    return rc;
}

int zw_cmd_intake(int argc, char **argv)
{
    s_opts_t o = {0};
    int rc = s_parse(argc, argv, &o);
    const char *verb = o.n_args ? o.args[0] : "";
    static const char *const verbs[] = {"submit",   "get",    "list",   "supplement",
                                        "withdraw", "review", "revoke", "credit"};
    bool known = false;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        known |= strcmp(verb, verbs[i]) == 0;
    if (rc == 0 && !known) {
        if (*verb)
            fprintf(stderr, "zwfwctl intake: unknown command '%s'\n", verb);
        s_usage(stderr);
        rc = 2;
    } else if (rc == 0 && (strcmp(verb, "list") == 0     ? o.n_args != 1
                           : strcmp(verb, "submit") == 0 ? o.n_args > 2
                                                         : o.n_args != 2)) {
        fprintf(stderr, "zwfwctl intake %s: %s (see zwfwctl intake --help)\n", verb,
                o.n_args > 2 || !strcmp(verb, "list") ? "unexpected argument"
                : !strcmp(verb, "credit")             ? "add, remove or show?"
                                                      : "RECEIPT is required");
        rc = 2;
    }
    if (rc != 0) {
        zw_ctl_conn_free(&o.conn);
        return rc == 1 ? 0 : rc;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "zwfwctl intake: libsodium failed to start\n");
        zw_ctl_conn_free(&o.conn);
        return 1;
    }
    zw_ctl_change_defaults(&o.change);
    zw_ctl_conn_finish(&o.conn, 0);
    rc = zw_ctl_conn_open(&o.conn) ? s_run(&o, verb) : 1;
    zw_ctl_conn_free(&o.conn);
    return rc;
}
