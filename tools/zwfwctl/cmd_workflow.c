/* zwfwctl workflow: approval processes through zwfw.workflow (get, act,
 * list, the daily scan, alarms, definitions). Output is a short text view,
 * or the reply as JSON with --json. */
#include "cmds.h"
#include "common_opts.h"
#include "opt_table.h"

#include "clock.h"
#include "zwfw/v1/workflow.pb-c.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define S_MAX_ARGS 8
#define S_SERVICE "zwfw.workflow"

typedef struct {
    zw_ctl_conn_t conn;
    bool json, history, overdue, open;
    const char *branch, *comment, *idem, *actor, *department, *state, *receipt, *page_token;
    const char *item, *accepted, *promised, *statutory, *definition, *region;
    int page_size, version;
    const char *args[S_MAX_ARGS];
    size_t n_args;
} s_opts_t;

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: zwfwctl workflow COMMAND [ARGS] [OPTIONS]\n"
            "  get RECEIPT [--history]             a process: state, clocks, branches\n"
            "  act RECEIPT ACTION [--branch B] [--comment TEXT] [--idempotency-key K]\n"
            "                     [--actor NAME]   take an action (e.g. start_review, approve)\n"
            "  list [--department D] [--state S] [--open] [--overdue] [--page-size N]\n"
            "       [--page-token T]               processes the caller may read\n"
            "  scan [--department D]               日扫描: overdue, near due, abnormal\n"
            "  alarms [--receipt R] [--department D]  alarms raised so far\n"
            "  definitions                         definitions stored\n"
            "  definition CODE [--version N]       one definition's JSON\n"
            "  validate FILE | put FILE            check / store a definition (put: operator)\n"
            "  start RECEIPT --item CODE --department D --accepted TIME\n"
            "        [--promised Nd|Nh] [--statutory Nd|Nh] [--definition CODE] [--region R]\n"
            "                                      start a process without intake (system,\n"
            "                                      operator)\n"
            "options: --endpoint EP (repeatable; default $ZWFW_ENDPOINT, else\n"
            "  tcp://127.0.0.1:5555), --timeout MS, --retries N, --key FILE,\n"
            "  --server-key FILE|Z85, --plain (as zwfwctl call), --json (print the reply)\n"
            "--actor defaults to $ZWFW_ACTOR, else the caller's key name.\n"
            "exit: 0 done, 1 the service refused or did not answer, 2 usage\n");
}

/* --timeout, --retries, --page-size, --version: an int in min..max. */
static int s_int(const zw_ctl_opt_t *opt, const char *v)
{
    long long n;
    if (zw_ctl_whole(v, opt->min, opt->max, &n) != 0) {
        fprintf(stderr, "zwfwctl workflow: %s: expected an integer in %lld..%lld, got '%s'\n",
                opt->name, opt->min, opt->max, v);
        return -1;
    }
    *(int *) opt->dest = (int) n;
    return 0;
}

/* --endpoint, --key, --server-key as zwfwctl call takes them (dest: the conn). */
static int s_conn(const zw_ctl_opt_t *opt, const char *v)
{
    return zw_ctl_conn_set(opt->dest, opt->name, v) == 1 ? 0 : -1;
}

/* 0 ok, 1 help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    zw_ctl_conn_init(&o->conn);
    /* The connection options are in the table rather than offered to
     * zw_ctl_conn_option: --timeout and --retries keep workflow's own
     * bounds (at most 100 resends) and messages. */
    const zw_ctl_opt_t opts[] = {
        {ZW_CTL_FLAG("--plain", &o->conn.plain)},
        {ZW_CTL_FLAG("--json", &o->json)},
        {ZW_CTL_FLAG("--history", &o->history)},
        {ZW_CTL_FLAG("--overdue", &o->overdue)},
        {ZW_CTL_FLAG("--open", &o->open)},
        {ZW_CTL_STR("--branch", &o->branch)},
        {ZW_CTL_STR("--comment", &o->comment)},
        {ZW_CTL_STR("--idempotency-key", &o->idem)},
        {ZW_CTL_STR("--actor", &o->actor)},
        {ZW_CTL_STR("--department", &o->department)},
        {ZW_CTL_STR("--state", &o->state)},
        {ZW_CTL_STR("--receipt", &o->receipt)},
        {ZW_CTL_STR("--page-token", &o->page_token)},
        {ZW_CTL_STR("--item", &o->item)},
        {ZW_CTL_STR("--accepted", &o->accepted)},
        {ZW_CTL_STR("--promised", &o->promised)},
        {ZW_CTL_STR("--statutory", &o->statutory)},
        {ZW_CTL_STR("--definition", &o->definition)},
        {ZW_CTL_STR("--region", &o->region)},
        {ZW_CTL_FN("--endpoint", s_conn, &o->conn)},
        {ZW_CTL_FN("--key", s_conn, &o->conn)},
        {ZW_CTL_FN("--server-key", s_conn, &o->conn)},
        {ZW_CTL_FN("--timeout", s_int, &o->conn.timeout_ms), .min = 1, .max = 86400000},
        {ZW_CTL_FN("--retries", s_int, &o->conn.retries), .min = 0, .max = 100},
        {ZW_CTL_FN("--page-size", s_int, &o->page_size), .min = 1, .max = 500},
        {ZW_CTL_FN("--version", s_int, &o->version), .min = 1, .max = 1000000},
    };
    const zw_ctl_parser_t p = {"zwfwctl workflow", s_usage, ZW_CTL_DASH_H, NULL,
                               ZW_CTL_TABLES(opts, o->args, &o->n_args)};
    int rc = zw_ctl_parse(&p, argc, argv);
    if (rc == 0)
        zw_ctl_conn_finish(&o->conn, 0);
    return rc;
}

/* ------------------------------------------------------------------ printing */

static const char *s_time(const Zwfw__V1__Timestamp *ts, char *buf, size_t size)
{
    if (!ts)
        return "-";
    return zw_time_format(ts->seconds * 1000000 + ts->nanos / 1000, buf, size);
}

/* An enum value's name without its type's prefix, in lower case
 * ("PROCESS_STATUS_OPEN" -> "open"). One of four static buffers. */
static const char *s_enum(const ProtobufCEnumDescriptor *d, int v)
{
    static char buf[4][64];
    static int i;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    if (!ev)
        return "?";
    char prefix[64];
    size_t n = 0;
    for (const char *t = d->short_name; *t && n + 3 < sizeof prefix; t++) {
        if (t != d->short_name && *t >= 'A' && *t <= 'Z')
            prefix[n++] = '_';
        prefix[n++] = (char) (*t >= 'a' && *t <= 'z' ? *t - 'a' + 'A' : *t);
    }
    prefix[n++] = '_';
    prefix[n] = '\0';
    const char *p = strncmp(ev->name, prefix, n) == 0 ? ev->name + n : ev->name;
    i = (i + 1) % 4;
    for (n = 0; p[n] && n + 1 < sizeof buf[i]; n++)
        buf[i][n] = (char) (p[n] >= 'A' && p[n] <= 'Z' ? p[n] - 'A' + 'a' : p[n]);
    buf[i][n] = '\0';
    return buf[i];
}

static void s_print_instance(const Zwfw__V1__Instance *in)
{
    char t1[48], t2[48];
    printf("%s  %s v%d  %s  state %s (%s)  application state %s\n", in->receipt_number,
           in->definition_code, in->definition_version,
           s_enum(&zwfw__v1__process_status__descriptor, in->status), in->state, in->state_label,
           s_enum(&zwfw__v1__application_state__descriptor, in->application_state));
    if (in->outcome)
        printf("  outcome %s at %s\n", s_enum(&zwfw__v1__process_outcome__descriptor, in->outcome),
               s_time(in->closed_at, t1, sizeof t1));
    printf("  item %s  department %s  accepted %s%s\n", in->item_code, in->department_code,
           s_time(in->accepted_at, t1, sizeof t1), in->waiver ? "  (容缺)" : "");
    for (size_t i = 0; i < in->n_clocks; i++) {
        const Zwfw__V1__Clock *c = in->clocks[i];
        printf("  clock %-10s%s%s budget %lld min (extended %lld)  used %lld  remaining %lld"
               "  due %s  warn %s%s%s\n",
               c->kind == 1   ? "promised"
               : c->kind == 2 ? "statutory"
                              : "branch",
               *c->branch ? " " : "", c->branch, (long long) c->budget_minutes,
               (long long) c->extension_minutes, (long long) c->used_minutes,
               (long long) c->remaining_minutes, s_time(c->due_at, t1, sizeof t1),
               s_time(c->warn_at, t2, sizeof t2), c->paused ? "  PAUSED" : "",
               c->overdue ? "  OVERDUE" : "");
    }
    for (size_t i = 0; i < in->n_branches; i++) {
        const Zwfw__V1__Branch *b = in->branches[i];
        printf("  %s %s (%s): %s%s%s", *b->name ? "branch" : "main", *b->name ? b->name : "line",
               b->department_code, b->state, b->done ? " done" : "", b->paused ? " paused" : "");
        if (b->n_actions) {
            printf("  actions:");
            for (size_t k = 0; k < b->n_actions; k++)
                printf(" %s", b->actions[k]);
        }
        putchar('\n');
    }
    for (size_t i = 0; i < in->n_pauses; i++) {
        const Zwfw__V1__Pause *p = in->pauses[i];
        printf("  pause %s%s%s %s .. %s  %lld working min\n",
               s_enum(&zwfw__v1__pause_kind__descriptor, p->kind), *p->branch ? " in " : "",
               p->branch, s_time(p->start, t1, sizeof t1), s_time(p->end, t2, sizeof t2),
               (long long) p->working_minutes);
    }
    for (size_t i = 0; i < in->n_history; i++) {
        const Zwfw__V1__HistoryEntry *h = in->history[i];
        printf("  %3lld %s %s%s%s %s -> %s  by %s%s%s%s\n", (long long) h->seq,
               s_time(h->at, t1, sizeof t1), *h->branch ? h->branch : "", *h->branch ? ": " : "",
               h->action, *h->from_state ? h->from_state : "-", h->to_state, h->actor,
               *h->comment ? "  \"" : "", *h->comment ? h->comment : "", *h->comment ? "\"" : "");
    }
}

static void s_print_entries(const char *what, Zwfw__V1__ScanEntry **e, size_t n)
{
    char t[48];
    for (size_t i = 0; i < n; i++)
        printf("  %-9s %s%s%s  %s  state %s  due %s  remaining %lld min\n", what,
               e[i]->receipt_number, *e[i]->branch ? "/" : "", e[i]->branch,
               e[i]->clock == 1   ? "promised"
               : e[i]->clock == 2 ? "statutory"
               : e[i]->clock == 3 ? "branch"
                                  : "state",
               e[i]->state, s_time(e[i]->due_at, t, sizeof t), (long long) e[i]->remaining_minutes);
}

/* The text view of a reply (zw_ctl_show_fn). */
static int s_print(const ProtobufCMessage *m, void *arg)
{
    (void) arg;
    const char *type = m->descriptor->name;
    if (!strcmp(type, "zwfw.v1.InstanceReply")) {
        const Zwfw__V1__InstanceReply *r = (const void *) m;
        if (r->instance)
            s_print_instance(r->instance);
    } else if (!strcmp(type, "zwfw.v1.ActReply")) {
        const Zwfw__V1__ActReply *r = (const void *) m;
        if (r->replayed)
            printf("(replayed: the first reply to this idempotency key)\n");
        if (r->entry)
            printf("%s: %s -> %s\n", r->entry->action, r->entry->from_state, r->entry->to_state);
        if (r->instance)
            s_print_instance(r->instance);
    } else if (!strcmp(type, "zwfw.v1.ListInstancesReply")) {
        const Zwfw__V1__ListInstancesReply *r = (const void *) m;
        for (size_t i = 0; i < r->n_instances; i++) {
            const Zwfw__V1__Instance *in = r->instances[i];
            char t[48];
            const Zwfw__V1__Clock *first = in->n_clocks ? in->clocks[0] : NULL;
            printf("%-26s %-8s %-12s %s  due %s%s\n", in->receipt_number,
                   in->status == 1 ? "open" : "closed", in->state, in->department_code,
                   s_time(first ? first->due_at : NULL, t, sizeof t),
                   first && first->overdue ? "  OVERDUE" : "");
        }
        if (*r->next_page_token)
            printf("next page: --page-token %s\n", r->next_page_token);
    } else if (!strcmp(type, "zwfw.v1.DailyScanReply")) {
        const Zwfw__V1__DailyScanReply *r = (const void *) m;
        char t[48];
        printf("日扫描 at %s\n", s_time(r->at, t, sizeof t));
        if (r->n_departments == 0)
            printf("  nothing overdue, near due or abnormal\n");
        for (size_t i = 0; i < r->n_departments; i++) {
            const Zwfw__V1__DepartmentScan *d = r->departments[i];
            printf("department %s: %zu overdue, %zu near due, %zu abnormal\n", d->department_code,
                   d->n_overdue, d->n_near_due, d->n_abnormal);
            s_print_entries("overdue", d->overdue, d->n_overdue);
            s_print_entries("near due", d->near_due, d->n_near_due);
            s_print_entries("abnormal", d->abnormal, d->n_abnormal);
        }
    } else if (!strcmp(type, "zwfw.v1.ListAlarmsReply")) {
        const Zwfw__V1__ListAlarmsReply *r = (const void *) m;
        for (size_t i = 0; i < r->n_alarms; i++) {
            const Zwfw__V1__Alarm *a = r->alarms[i];
            char t1[48], t2[48];
            printf("%-8s %-26s%s%s  %s  due %s  raised %s\n",
                   a->kind == 1   ? "warning"
                   : a->kind == 2 ? "overdue"
                                  : "abnormal",
                   a->receipt_number, *a->branch ? "/" : "", a->branch, a->department_code,
                   s_time(a->due_at, t1, sizeof t1), s_time(a->raised_at, t2, sizeof t2));
        }
        if (*r->next_page_token)
            printf("next page: --page-token %s\n", r->next_page_token);
    } else if (!strcmp(type, "zwfw.v1.DefinitionReply")) {
        const Zwfw__V1__DefinitionReply *r = (const void *) m;
        if (*r->json)
            printf("%s\n", r->json);
        else
            printf("%s v%d %s%s%s\n", r->code, r->version, r->name,
                   r->is_default ? "  (default)" : "", r->changed ? "  stored" : "");
    } else if (!strcmp(type, "zwfw.v1.ListDefinitionsReply")) {
        const Zwfw__V1__ListDefinitionsReply *r = (const void *) m;
        for (size_t i = 0; i < r->n_definitions; i++) {
            const Zwfw__V1__DefinitionReply *d = r->definitions[i];
            printf("%-24s v%-3d %s%s  items: %zu\n", d->code, d->version, d->name,
                   d->is_default ? "  (default)" : "", d->n_items);
        }
    }
    return 0;
}

/* Sends req, prints the reply (text or --json); the exit code. */
static int s_call(const s_opts_t *o, const ProtobufCMessage *req)
{
    return zw_ctl_call_print(&o->conn, S_SERVICE, req, NULL, o->json, s_print, NULL);
}

/* A key unique to this invocation: the client's own retries reuse it. */
static const char *s_idem(const s_opts_t *o, char *buf, size_t size)
{
    if (o->idem)
        return o->idem;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(buf, size, "zwfwctl-%d-%lld-%09ld", (int) getpid(), (long long) ts.tv_sec, ts.tv_nsec);
    return buf;
}

static char *s_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t len;
    char *text = zw_ctl_read_stream(f, &len);
    fclose(f);
    return text;
}

/* "5d", "5" (working days) or "4h" (hours). */
static int s_limit(const char *text, Zwfw__V1__TimeLimit *l)
{
    char *end;
    long n = strtol(text, &end, 10);
    if (end == text || n <= 0 || n > 10000 || (*end && strcmp(end, "d") && strcmp(end, "h"))) {
        fprintf(stderr, "zwfwctl workflow: limit '%s': expected N, Nd (working days) or Nh\n",
                text);
        return -1;
    }
    l->amount = (int32_t) n;
    l->unit = !strcmp(end, "h") ? ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_HOURS
                                : ZWFW__V1__LIMIT_UNIT__LIMIT_UNIT_WORKDAYS;
    return 0;
}

static int s_need(const s_opts_t *o, size_t n)
{
    if (o->n_args != n) {
        fprintf(stderr, "zwfwctl workflow %s: expected %zu argument%s, got %zu\n", o->args[0],
                n - 1, n == 2 ? "" : "s", o->n_args - 1);
        s_usage(stderr);
        return -1;
    }
    return 0;
}

static int s_run(const s_opts_t *o)
{
    const char *cmd = o->args[0];
    char idem[96];
    if (!strcmp(cmd, "get")) {
        if (s_need(o, 2))
            return 2;
        Zwfw__V1__GetInstance m = ZWFW__V1__GET_INSTANCE__INIT;
        m.receipt_number = (char *) o->args[1];
        m.history = o->history;
        return s_call(o, &m.base);
    }
    if (!strcmp(cmd, "act")) {
        if (s_need(o, 3))
            return 2;
        Zwfw__V1__Act m = ZWFW__V1__ACT__INIT;
        m.idempotency_key = (char *) s_idem(o, idem, sizeof idem);
        m.actor = (char *) (o->actor ? o->actor : "");
        m.receipt_number = (char *) o->args[1];
        m.action = (char *) o->args[2];
        m.branch = (char *) (o->branch ? o->branch : "");
        m.comment = (char *) (o->comment ? o->comment : "");
        return s_call(o, &m.base);
    }
    if (!strcmp(cmd, "list")) {
        if (s_need(o, 1))
            return 2;
        Zwfw__V1__ListInstances m = ZWFW__V1__LIST_INSTANCES__INIT;
        m.department_code = (char *) (o->department ? o->department : "");
        m.state = (char *) (o->state ? o->state : "");
        m.status = o->open ? ZWFW__V1__PROCESS_STATUS__PROCESS_STATUS_OPEN : 0;
        m.overdue_only = o->overdue;
        m.page_size = o->page_size;
        m.page_token = (char *) (o->page_token ? o->page_token : "");
        return s_call(o, &m.base);
    }
    if (!strcmp(cmd, "scan")) {
        if (s_need(o, 1))
            return 2;
        Zwfw__V1__DailyScan m = ZWFW__V1__DAILY_SCAN__INIT;
        m.department_code = (char *) (o->department ? o->department : "");
        return s_call(o, &m.base);
    }
    if (!strcmp(cmd, "alarms")) {
        if (s_need(o, 1))
            return 2;
        Zwfw__V1__ListAlarms m = ZWFW__V1__LIST_ALARMS__INIT;
        m.receipt_number = (char *) (o->receipt ? o->receipt : "");
        m.department_code = (char *) (o->department ? o->department : "");
        m.page_size = o->page_size;
        m.page_token = (char *) (o->page_token ? o->page_token : "");
        return s_call(o, &m.base);
    }
    if (!strcmp(cmd, "definitions")) {
        if (s_need(o, 1))
            return 2;
        Zwfw__V1__ListDefinitions m = ZWFW__V1__LIST_DEFINITIONS__INIT;
        return s_call(o, &m.base);
    }
    if (!strcmp(cmd, "definition")) {
        if (s_need(o, 2))
            return 2;
        Zwfw__V1__GetDefinition m = ZWFW__V1__GET_DEFINITION__INIT;
        m.code = (char *) o->args[1];
        m.version = o->version;
        return s_call(o, &m.base);
    }
    if (!strcmp(cmd, "validate") || !strcmp(cmd, "put")) {
        if (s_need(o, 2))
            return 2;
        char *text = s_read_file(o->args[1]);
        if (!text) {
            fprintf(stderr, "zwfwctl workflow: cannot read %s: %s\n", o->args[1], strerror(errno));
            return 1;
        }
        int rc;
        if (!strcmp(cmd, "put")) {
            Zwfw__V1__PutDefinition m = ZWFW__V1__PUT_DEFINITION__INIT;
            m.idempotency_key = (char *) s_idem(o, idem, sizeof idem);
            m.actor = (char *) (o->actor ? o->actor : "");
            m.json = text;
            rc = s_call(o, &m.base);
        } else {
            Zwfw__V1__ValidateDefinition m = ZWFW__V1__VALIDATE_DEFINITION__INIT;
            m.json = text;
            rc = s_call(o, &m.base);
        }
        free(text);
        return rc;
    }
    if (!strcmp(cmd, "start")) {
        if (s_need(o, 2))
            return 2;
        if (!o->item || !o->department || !o->accepted) {
            fprintf(stderr, "zwfwctl workflow start: --item, --department and --accepted are "
                            "required\n");
            return 2;
        }
        Zwfw__V1__StartProcess m = ZWFW__V1__START_PROCESS__INIT;
        Zwfw__V1__Timestamp at = ZWFW__V1__TIMESTAMP__INIT;
        Zwfw__V1__TimeLimit pl = ZWFW__V1__TIME_LIMIT__INIT, sl = ZWFW__V1__TIME_LIMIT__INIT;
        int64_t us;
        zw_err_t err;
        if (zw_time_parse(o->accepted, &us, &err) != 0) {
            fprintf(stderr, "zwfwctl workflow: --accepted: %s\n", err.message);
            return 2;
        }
        at.seconds = us / 1000000;
        if ((o->promised && s_limit(o->promised, &pl) != 0) ||
            (o->statutory && s_limit(o->statutory, &sl) != 0))
            return 2;
        m.idempotency_key = (char *) s_idem(o, idem, sizeof idem);
        m.actor = (char *) (o->actor ? o->actor : "");
        m.receipt_number = (char *) o->args[1];
        m.item_code = (char *) o->item;
        m.department_code = (char *) o->department;
        m.region = (char *) (o->region ? o->region : "");
        m.accepted_at = &at;
        m.promised_limit = o->promised ? &pl : NULL;
        m.statutory_limit = o->statutory ? &sl : NULL;
        m.definition_code = (char *) (o->definition ? o->definition : "");
        return s_call(o, &m.base);
    }
    fprintf(stderr, "zwfwctl workflow: unknown command '%s'\n", cmd);
    s_usage(stderr);
    return 2;
}

int zw_cmd_workflow(int argc, char **argv)
{
    s_opts_t o;
    memset(&o, 0, sizeof o);
    int rc = s_parse(argc, argv, &o);
    if (rc == 0 && o.n_args == 0) {
        s_usage(stderr);
        rc = 2;
    }
    if (rc != 0) {
        zw_ctl_conn_free(&o.conn);
        return rc == 1 ? 0 : rc;
    }
    /* As the other commands do; with neither, the service records the
     * caller's key name, which names a person better than zwfwctl:$USER. */
    if (!o.actor || !*o.actor)
        o.actor = getenv("ZWFW_ACTOR");
    rc = zw_ctl_conn_open(&o.conn) ? s_run(&o) : 1;
    zw_ctl_conn_free(&o.conn);
    return rc;
}
