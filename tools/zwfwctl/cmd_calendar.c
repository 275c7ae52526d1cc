/* zwfwctl calendar: working-day arithmetic on the shipped (or a given)
 * calendar file, for operators checking a due date or a new year's data. */
#include "cmds.h"
#include "opt_table.h"

#include "calendar.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_PREFIX "zwfwctl calendar: "

typedef struct {
    const char *calendar;
    const char *from;
    const char *to;
    const char *workdays;
    const char *sub;
    const char *args[4];
    int nargs;
} s_opts_t;

static void s_help(FILE *out)
{
    fprintf(out,
            "usage: zwfwctl calendar COMMAND [--calendar FILE]\n"
            "\n"
            "commands:\n"
            "  due --from YYYY-MM-DD --workdays N\n"
            "                       the N-th working day after --from (not counting it)\n"
            "  workdays --from A --to B\n"
            "                       the number of working days in (A, B]; negative if B < A\n"
            "  is-workday YYYY-MM-DD\n"
            "                       'yes' or 'no'\n"
            "  check                load and validate the calendar; list its years and sources\n"
            "\n"
            "The calendar is --calendar FILE, else $ZWFW_CALENDAR, else\n"
            "  %s\n"
            "A date outside the loaded years is an error, never a guess.\n"
            "Exit status: 0 done, 1 failed (e.g. date outside the calendar), 2 bad usage.\n",
            zw_calendar_default_path());
}

__attribute__((format(printf, 1, 2))) static int s_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, S_PREFIX);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(see zwfwctl calendar --help)\n");
    va_end(ap);
    return 2;
}

/* Options may come before or after the command, as --name VALUE or
 * --name=VALUE. Returns 0, 2 on bad usage, or -1 when help was asked. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    static const char *names[] = {"calendar", "from", "to", "workdays"};
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 || strcmp(a, "help") == 0)
            return -1;
        if (strncmp(a, "--", 2) != 0) {
            if (!o->sub)
                o->sub = a;
            else if (o->nargs < (int) (sizeof o->args / sizeof o->args[0]))
                o->args[o->nargs++] = a;
            else
                return s_usage("too many arguments at '%s'", a);
            continue;
        }
        const char *eq = strchr(a + 2, '=');
        size_t len = eq ? (size_t) (eq - a - 2) : strlen(a + 2);
        const char **slot = NULL;
        for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
            if (strlen(names[k]) == len && strncmp(a + 2, names[k], len) == 0)
                slot = k == 0 ? &o->calendar : k == 1 ? &o->from : k == 2 ? &o->to : &o->workdays;
        if (!slot)
            return s_usage("unknown option '%s'", a);
        if (eq)
            *slot = eq + 1;
        else if (i + 1 < argc)
            *slot = argv[++i];
        else
            return s_usage("option '%s' needs a value", a);
    }
    return 0;
}

static int s_date_arg(const char *name, const char *text, zw_date_t *out)
{
    zw_err_t err;
    if (!text) {
        fprintf(stderr, S_PREFIX "%s YYYY-MM-DD is required\n(see zwfwctl calendar --help)\n",
                name);
        return 2;
    }
    if (zw_date_parse(text, out, &err)) {
        fprintf(stderr, S_PREFIX "%s: %s\n", name, err.message);
        return 2;
    }
    return 0;
}

static zw_calendar_t *s_load(const s_opts_t *o)
{
    zw_err_t err;
    const char *path = o->calendar ? o->calendar : zw_calendar_default_path();
    zw_calendar_t *cal = zw_calendar_load(path, &err);
    if (!cal)
        fprintf(stderr, S_PREFIX "cannot load calendar: %s\n", err.message);
    return cal;
}

/* Refuses options that mean nothing to the chosen command, so a typo like
 * `workdays --from A --workdays B` is not silently misread. */
static int s_only(const s_opts_t *o, bool from, bool to, bool workdays, int nargs)
{
    if (o->from && !from)
        return s_usage("'%s' takes no --from", o->sub);
    if (o->to && !to)
        return s_usage("'%s' takes no --to", o->sub);
    if (o->workdays && !workdays)
        return s_usage("'%s' takes no --workdays", o->sub);
    if (o->nargs > nargs)
        return s_usage("unexpected argument '%s'", o->args[nargs]);
    return 0;
}

static int s_due(const s_opts_t *o)
{
    zw_date_t from, due;
    int rc = s_only(o, true, false, true, 0);
    if (rc || (rc = s_date_arg("--from", o->from, &from)))
        return rc;
    if (!o->workdays)
        return s_usage("%s needs --workdays N", o->sub);
    long long n;
    if (zw_ctl_whole(o->workdays, 0, 100000, &n) != 0)
        return s_usage("--workdays: '%s' is not a whole number from 0 to 100000", o->workdays);
    zw_calendar_t *cal = s_load(o);
    if (!cal)
        return 1;
    zw_err_t err;
    rc = zw_calendar_add_workdays(cal, from, (int) n, &due, &err);
    if (rc == 0) {
        char buf[ZW_DATE_STRLEN];
        printf("%s\n", zw_date_format(due, buf));
    } else {
        fprintf(stderr, S_PREFIX "%s\n", err.message);
    }
    zw_calendar_destroy(&cal);
    return rc ? 1 : 0;
}

static int s_workdays(const s_opts_t *o)
{
    zw_date_t a, b;
    int rc = s_only(o, true, true, false, 0);
    if (rc || (rc = s_date_arg("--from", o->from, &a)) || (rc = s_date_arg("--to", o->to, &b)))
        return rc;
    zw_calendar_t *cal = s_load(o);
    if (!cal)
        return 1;
    zw_err_t err;
    int count = 0;
    rc = zw_calendar_workdays_between(cal, a, b, &count, &err);
    if (rc == 0)
        printf("%d\n", count);
    else
        fprintf(stderr, S_PREFIX "%s\n", err.message);
    zw_calendar_destroy(&cal);
    return rc ? 1 : 0;
}

static int s_is_workday(const s_opts_t *o)
{
    zw_date_t d;
    int rc = s_only(o, false, false, false, 1);
    if (rc)
        return rc;
    if (o->nargs < 1)
        return s_usage("%s needs a date YYYY-MM-DD", o->sub);
    if ((rc = s_date_arg("date", o->args[0], &d)))
        return rc;
    zw_calendar_t *cal = s_load(o);
    if (!cal)
        return 1;
    zw_err_t err;
    bool work = false;
    rc = zw_calendar_is_workday(cal, d, &work, &err);
    if (rc == 0)
        printf("%s\n", work ? "yes" : "no");
    else
        fprintf(stderr, S_PREFIX "%s\n", err.message);
    zw_calendar_destroy(&cal);
    return rc ? 1 : 0;
}

static int s_check(const s_opts_t *o)
{
    int rc = s_only(o, false, false, false, 0);
    if (rc)
        return rc;
    zw_calendar_t *cal = s_load(o);
    if (!cal)
        return 1;
    for (int y = zw_calendar_first_year(cal); y <= zw_calendar_last_year(cal); y++)
        if (zw_calendar_has_year(cal, y)) {
            int n = 0;
            zw_calendar_workdays_between(cal, (zw_date_t){y, 1, 1}, (zw_date_t){y, 12, 31}, &n,
                                         NULL);
            bool jan1 = false;
            zw_calendar_is_workday(cal, (zw_date_t){y, 1, 1}, &jan1, NULL);
            printf("%d\t%d working days\t%s\n", y, n + jan1, zw_calendar_source(cal, y));
        }
    zw_calendar_destroy(&cal);
    return 0;
}

int zw_cmd_calendar(int argc, char **argv)
{
    s_opts_t o;
    int rc = s_parse(argc, argv, &o);
    if (rc < 0) {
        s_help(stdout);
        return 0;
    }
    if (rc)
        return rc;
    if (!o.sub) {
        s_help(stderr);
        return 2;
    }
    if (strcmp(o.sub, "due") == 0)
        return s_due(&o);
    if (strcmp(o.sub, "workdays") == 0)
        return s_workdays(&o);
    if (strcmp(o.sub, "is-workday") == 0)
        return s_is_workday(&o);
    if (strcmp(o.sub, "check") == 0)
        return s_check(&o);
    return s_usage("unknown command '%s'", o.sub);
}
