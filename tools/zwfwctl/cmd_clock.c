/* zwfwctl clock: the deployment's business time (zwfw.clock). show reads it;
 * set and advance move a simulated deployment's clock forward (operator). */
#include "cmds.h"
#include "common_opts.h"

#include "clock.h"
#include "zwfw/v1/intake.pb-c.h"

#include <errno.h>
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

static int s_number(const char *name, const char *v, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < 1 || n > max) {
        fprintf(stderr, "zwfwctl clock: %s: expected a whole number from 1 to %lld\n", name, max);
        return -1;
    }
    *out = n;
    return 0;
}

/* 0 ok, 1 --help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o)
{
    zw_ctl_conn_init(&o->conn);
    int moves = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
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
            continue;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (o->n_args == sizeof o->args / sizeof o->args[0]) {
                fprintf(stderr, "zwfwctl clock: too many arguments\n");
                return 2;
            }
            o->args[o->n_args++] = a;
            continue;
        }
        static const char *const valued[] = {"--actor", "--idempotency-key", "--minutes", "--hours",
                                             "--days",  "--workdays"};
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            known |= strcmp(a, valued[k]) == 0;
        if (!known) {
            fprintf(stderr, "zwfwctl clock: unknown option '%s' (--help lists them)\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "zwfwctl clock: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        long long n = 0;
        if (strcmp(a, "--actor") == 0)
            o->change.actor = v;
        else if (strcmp(a, "--idempotency-key") == 0)
            o->change.key = v;
        else if (strcmp(a, "--minutes") == 0 || strcmp(a, "--hours") == 0 ||
                 strcmp(a, "--days") == 0) {
            long long unit = a[2] == 'm' ? 60 : a[2] == 'h' ? 3600 : 86400;
            if (s_number(a, v, 10LL * 366 * 86400 / unit, &n) != 0)
                return 2;
            o->seconds = n * unit;
            moves++;
        } else if (strcmp(a, "--workdays") == 0) {
            if (s_number(a, v, 1000, &n) != 0)
                return 2;
            o->workdays = (int) n;
            moves++;
        } else {
            fprintf(stderr, "zwfwctl clock: unknown option '%s'\n", a);
            return 2;
        }
    }
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
    else if (strcmp(verb, "advance") == 0 && moves != 1)
        why = moves ? "one of --minutes, --hours, --days, --workdays, not several"
                    : "needs --minutes N, --hours N, --days N or --workdays N";
    else if (strcmp(verb, "advance") != 0 && moves)
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
