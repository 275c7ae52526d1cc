/* zwfwctl clock: the deployment's business time (zwfw.clock). show reads it;
 * set and advance move a simulated deployment's clock forward (operator). */
#include "cmds.h"
#include "common_opts.h"
#include "opt_table.h"

#include "clock.h"
#include "zwfw/v1/intake.pb-c.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SERVICE "zwfw.clock"

typedef struct {
    zw_ctl_conn_t conn;
    const char *args[4];
    size_t n_args;
    zw_ctl_change_t change;
    long long seconds;
    int workdays;
    int moves; /* --minutes, --hours, --days and --workdays given */
    bool json;
} s_opts_t;

static void s_usage(FILE *out)
{
    fprintf(out,
            "usage: zwfwctl clock show [--json]\n"
            "       zwfwctl clock set TIME [--actor A] [--idempotency-key K]\n"
            "       zwfwctl clock advance (--minutes N | --hours N | --days N | --workdays N)\n"
            "                             [--actor A] [--idempotency-key K]\n"
            "show prints the business time (simulated or real), the date and whether it is\n"
            "a working day. set and advance move a simulated deployment's clock forward\n"
            "(operator only; refused on real time and backwards). TIME is RFC 3339 or\n"
            "'YYYY-MM-DD HH:MM' in Beijing time. --workdays N keeps the time of day and\n"
            "moves N working days on (calendar: weekends, holidays, 调休 days).\n"
            "--actor defaults to $ZWFW_ACTOR, else zwfwctl:$USER; --idempotency-key to a\n"
            "random key (give the same key to repeat a request safely).\n"
            "options:\n" ZW_CTL_CONN_HELP
            "exit: 0 done; 1 refused or no reply (CODE: message on stderr); 2 usage\n");
}

/* --minutes, --hours and --days (tag: the unit in seconds; o->seconds)
 * and --workdays (tag 0; o->workdays), dest o. Each counts as a move, so
 * that two say "not several". */
static int s_move(const zw_ctl_opt_t *opt, const char *v)
{
    s_opts_t *o = opt->dest;
    long long unit = opt->tag, n;
    long long max = unit ? 10LL * 366 * 86400 / unit : 1000;
    if (zw_ctl_whole(v, 1, max, &n) != 0) {
        fprintf(stderr, "zwfwctl clock: %s: expected a whole number from 1 to %lld\n", opt->name,
                max);
        return -1;
    }
    if (unit)
        o->seconds = n * unit;
    else
        o->workdays = (int) n;
    o->moves++;
    return 0;
}

/* 0 ok, 1 --help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    zw_ctl_conn_init(&o->conn);
    const zw_ctl_opt_t opts[] = {
        {ZW_CTL_FLAG("--json", &o->json)},
        {ZW_CTL_STR("--actor", &o->change.actor)},
        {ZW_CTL_STR("--idempotency-key", &o->change.key)},
        {ZW_CTL_FN("--minutes", s_move, o), .tag = 60},
        {ZW_CTL_FN("--hours", s_move, o), .tag = 3600},
        {ZW_CTL_FN("--days", s_move, o), .tag = 86400},
        {ZW_CTL_FN("--workdays", s_move, o), .tag = 0},
    };
    const zw_ctl_parser_t p = {"zwfwctl clock", s_usage, ZW_CTL_DASH_H, &o->conn,
                               ZW_CTL_TABLES(opts, o->args, &o->n_args)};
    int rc = zw_ctl_parse(&p, argc, argv);
    if (rc != 0)
        return rc;
    const char *verb = o->n_args ? o->args[0] : "";
    const char *why = NULL;
    if (!o->n_args)
        why = "give show, set or advance";
    else if (strcmp(verb, "show") != 0 && strcmp(verb, "set") != 0 && strcmp(verb, "advance") != 0)
        why = "unknown command (show, set or advance)";
    else if (strcmp(verb, "set") == 0 && o->n_args != 2)
        why = o->n_args < 2 ? "TIME is required" : "takes one TIME; quote 'YYYY-MM-DD HH:MM'";
    else if (strcmp(verb, "set") != 0 && o->n_args != 1)
        why = "unexpected argument";
    else if (strcmp(verb, "advance") == 0 && o->moves != 1)
        why = o->moves ? "one of --minutes, --hours, --days, --workdays, not several"
                       : "needs --minutes N, --hours N, --days N or --workdays N";
    else if (strcmp(verb, "advance") != 0 && o->moves)
        why = "--minutes, --hours, --days and --workdays go with advance only";
    if (why) {
        fprintf(stderr, "zwfwctl clock%s%s: %s\n", *verb ? " " : "", verb, why);
        fprintf(stderr, "(see zwfwctl clock --help)\n");
        return 2;
    }
    return 0;
}

static int s_show(const ProtobufCMessage *reply, void *arg)
{
    (void) arg;
    const Zwfw__V1__ClockReply *r = (const Zwfw__V1__ClockReply *) reply;
    char when[48];
    int64_t us = r->now ? r->now->seconds * ZW_US_PER_SEC + r->now->nanos / 1000 : 0;
    printf("%s  %s  %s\n", zw_time_format(us, when, sizeof when),
           r->simulated ? "simulated" : "real time", r->workday ? "working day" : "day off");
    return 0;
}

int zw_cmd_clock(int argc, char **argv)
{
    s_opts_t o = {0};
    int rc = s_parse(argc, argv, &o);
    if (rc != 0) {
        zw_ctl_conn_free(&o.conn);
        return rc == 1 ? 0 : rc;
    }
    const char *verb = o.args[0];
    Zwfw__V1__GetClock get = ZWFW__V1__GET_CLOCK__INIT;
    Zwfw__V1__SetClock set = ZWFW__V1__SET_CLOCK__INIT;
    Zwfw__V1__AdvanceClock adv = ZWFW__V1__ADVANCE_CLOCK__INIT;
    Zwfw__V1__Timestamp to = ZWFW__V1__TIMESTAMP__INIT;
    const ProtobufCMessage *req = &get.base;
    zw_err_t err;
    if (sodium_init() < 0) {
        fprintf(stderr, "zwfwctl clock: libsodium failed to start\n");
        zw_ctl_conn_free(&o.conn);
        return 1;
    }
    if (strcmp(verb, "show") != 0)
        zw_ctl_change_defaults(&o.change);
    if (strcmp(verb, "set") == 0) {
        int64_t us;
        if (zw_time_parse(o.args[1], &us, &err) != 0) {
            fprintf(stderr, "zwfwctl clock set: %s (or 'YYYY-MM-DD HH:MM', Beijing time)\n",
                    err.message);
            zw_ctl_conn_free(&o.conn);
            return 2;
        }
        to.seconds = us / ZW_US_PER_SEC;
        to.nanos = (int32_t) (us % ZW_US_PER_SEC) * 1000;
        set.idempotency_key = (char *) o.change.key;
        set.actor = (char *) o.change.actor;
        set.to = &to;
        req = &set.base;
    } else if (strcmp(verb, "advance") == 0) {
        adv.idempotency_key = (char *) o.change.key;
        adv.actor = (char *) o.change.actor;
        adv.seconds = o.seconds;
        adv.workdays = o.workdays;
        req = &adv.base;
    }
    zw_ctl_conn_finish(&o.conn, 0);
    rc = zw_ctl_conn_open(&o.conn)
             ? zw_ctl_call_print(&o.conn, S_SERVICE, req, &zwfw__v1__clock_reply__descriptor,
                                 o.json, s_show, NULL)
             : 1;
    zw_ctl_conn_free(&o.conn);
    return rc;
}
