/* zwfwctl report: a supervision report of zwfw.report (PeriodReport) as
 * a short text view, or the reply as JSON with --json. */
#include "cmds.h"
#include "common_opts.h"
#include "opt_table.h"

#include "date.h"
#include "zwfw/v1/report.pb-c.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: zwfwctl report day|week|month|quarter|year DATE [--department D] [--json]\n"
            "  the supervision figures of the period holding DATE (YYYY-MM-DD):\n"
            "  日扫描 day, 周调度 ISO week, 月通报 month, 季分析 quarter, 年考评 year;\n"
            "  the whole center (supervisor) or one department (--department; a\n"
            "  head or approver gets their own)\n"
            "options: --endpoint EP (repeatable; default $ZWFW_ENDPOINT, else\n"
            "  tcp://127.0.0.1:5555), --timeout MS, --retries N, --key FILE,\n"
            "  --server-key FILE|Z85, --plain (as zwfwctl call), --json (print the reply)\n"
            "exit: 0 done, 1 the service refused or did not answer, 2 usage\n");
}

static double s_pct(double v)
{
    return 100.0 * v;
}

static void s_apps(const Zwfw__V1__ApplicationFigures *a, const char *indent)
{
    printf("%sreceived %lld  accepted %lld  即办件 finished %lld (on the spot %.1f%%)  "
           "承诺件 %lld\n",
           indent, (long long) a->received, (long long) a->accepted,
           (long long) a->immediate_finished, s_pct(a->on_the_spot_rate),
           (long long) a->promised_accepted);
    printf("%srefused %lld  withdrawn %lld  deemed accepted %lld  容缺 %lld\n", indent,
           (long long) a->refused, (long long) a->withdrawn, (long long) a->deemed_accepted,
           (long long) a->waiver_accepted);
    printf("%scompleted %lld (in time %lld, late %lld)  open past due %lld\n", indent,
           (long long) a->completed, (long long) a->completed_in_time,
           (long long) a->completed_late, (long long) a->overdue_open);
    static const char *const channels[] = {"?",     "window",  "online",      "mobile",
                                           "kiosk", "hotline", "other system"};
    printf("%sby channel:", indent);
    if (!a->n_by_channel)
        printf(" none");
    for (size_t i = 0; i < a->n_by_channel; i++) {
        int c = (int) a->by_channel[i]->channel;
        printf(" %s %lld", c >= 1 && c <= 6 ? channels[c] : "?",
               (long long) a->by_channel[i]->count);
    }
    printf("  cross-region: 跨省 %lld 川渝 %lld 跨区县 %lld\n", (long long) a->inter_province,
           (long long) a->chuanyu, (long long) a->inter_district);
}

static int s_show(const ProtobufCMessage *msg, void *arg)
{
    (void) arg;
    const Zwfw__V1__PeriodReportReply *r = (const Zwfw__V1__PeriodReportReply *) msg;
    const Zwfw__V1__Period *p = r->period;
    static const char *const kinds[] = {"?", "day", "week", "month", "quarter", "year"};
    if (!p || !p->from || !p->to || !r->applications || !r->ratings || !r->alarms) {
        fprintf(stderr, "zwfwctl report: the reply lacks its period or figures\n");
        return 1;
    }
    int k = (int) p->kind;
    printf("%s (%s %04d-%02d-%02d..%04d-%02d-%02d, %d working days%s)  %s\n", p->label,
           k >= 1 && k <= 5 ? kinds[k] : "?", p->from->year, p->from->month, p->from->day,
           p->to->year, p->to->month, p->to->day, p->working_days,
           p->complete ? ", complete" : ", not over yet",
           *r->department_code ? r->department_code : "the whole center");
    printf("applications\n");
    s_apps(r->applications, "  ");
    const Zwfw__V1__RatingFigures *g = r->ratings;
    printf(
        "ratings\n  %lld (good %lld, bad %lld, excluded %lld)  好评率 %.1f%%  差评整改率 %.1f%%\n",
        (long long) g->ratings, (long long) g->good, (long long) g->bad, (long long) g->excluded,
        s_pct(g->satisfaction), s_pct(g->rectification_rate));
    printf("alarms\n  超期预警 %lld  超期 %lld  异常 %lld\n", (long long) r->alarms->warnings,
           (long long) r->alarms->overdue, (long long) r->alarms->abnormal);
    if (r->catalog) {
        const Zwfw__V1__CatalogFigures *c = r->catalog;
        printf(
            "catalog\n  %lld items (即办件 %lld, 承诺件 %lld; 跨省 %lld, 川渝 %lld, 跨区县 %lld), "
            "%lld bundles, %lld cancelled\n",
            (long long) c->items_active, (long long) c->immediate_items,
            (long long) c->promised_items, (long long) c->inter_province_items,
            (long long) c->chuanyu_items, (long long) c->inter_district_items,
            (long long) c->bundles_active, (long long) c->items_cancelled);
    }
    if (r->n_departments)
        printf("departments\n");
    for (size_t i = 0; i < r->n_departments; i++) {
        const Zwfw__V1__DepartmentFigures *d = r->departments[i];
        const Zwfw__V1__ApplicationFigures *a = d->applications;
        printf("  %s %s: received %lld, completed %lld (late %lld), open past due %lld, "
               "ratings %lld (bad %lld)\n",
               d->department_code, d->department_name, a ? (long long) a->received : 0,
               a ? (long long) a->completed : 0, a ? (long long) a->completed_late : 0,
               a ? (long long) a->overdue_open : 0,
               d->ratings ? (long long) d->ratings->ratings : 0,
               d->ratings ? (long long) d->ratings->bad : 0);
    }
    return 0;
}

int zw_cmd_report(int argc, char **argv)
{
    zw_ctl_conn_t conn;
    zw_ctl_conn_init(&conn);
    bool json = false;
    const char *args[2] = {NULL, NULL}, *department = "";
    size_t n_args = 0;
    const zw_ctl_opt_t opts[] = {
        {ZW_CTL_FLAG("--json", &json)},
        {ZW_CTL_STR("--department", &department)},
    };
    const zw_ctl_parser_t p = {"zwfwctl report", s_usage, ZW_CTL_DASH_H, &conn,
                               ZW_CTL_TABLES(opts, args, &n_args)};
    int parsed = zw_ctl_parse(&p, argc, argv);
    int rc = parsed == 1 ? 0 : 2; /* --help shown, else a usage error until the call */
    if (parsed != 0)
        goto done;
    static const char *const kinds[] = {"day", "week", "month", "quarter", "year"};
    int kind = 0;
    for (int k = 0; n_args > 0 && k < 5; k++)
        if (!strcmp(args[0], kinds[k]))
            kind = k + 1;
    if (n_args < 2 || !kind) {
        fprintf(stderr, n_args == 0 ? "zwfwctl report: give a period and a date\n"
                        : !kind     ? "zwfwctl report: the period is day, week, month, quarter "
                                      "or year\n"
                                    : "zwfwctl report: DATE (YYYY-MM-DD) is required\n");
        s_usage(stderr);
        goto done;
    }
    zw_date_t d;
    zw_err_t err;
    if (zw_date_parse(args[1], &d, &err) != 0) {
        fprintf(stderr, "zwfwctl report: DATE: %s\n", err.message);
        goto done;
    }
    zw_ctl_conn_finish(&conn, 0);
    if (!zw_ctl_conn_open(&conn)) {
        rc = 1;
        goto done;
    }
    Zwfw__V1__PeriodReport m = ZWFW__V1__PERIOD_REPORT__INIT;
    Zwfw__V1__Date date = ZWFW__V1__DATE__INIT;
    date.year = d.year;
    date.month = d.month;
    date.day = d.day;
    m.kind = (Zwfw__V1__PeriodKind) kind;
    m.date = &date;
    m.department_code = (char *) department;
    rc = zw_ctl_call_print(&conn, "zwfw.report", &m.base,
                           &zwfw__v1__period_report_reply__descriptor, json, s_show, NULL);
done:
    zw_ctl_conn_free(&conn);
    return rc;
}
