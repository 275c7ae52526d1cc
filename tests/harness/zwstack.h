/* The zwfw daemons of an integration test as child processes: zwfw-broker,
 * zwfw-intake, zwfw-workflow, zwfw-rating and zwfw-report started with the arguments
 * every test gives them plus the options in which tests really differ,
 * each with its output in a log of its own, waited on until a broker lists
 * its service, and stopped (a clean exit required) or killed. Not part of
 * libzwfw. */
#ifndef ZWSTACK_H
#define ZWSTACK_H

#include "mdp_client.h"

#include <stdbool.h>
#include <sys/types.h>

#define ZWT_STACK_MAX 16

/* One process started through a stack. */
typedef struct {
    pid_t pid;     /* 0 once it was stopped, killed or reaped */
    char name[64]; /* the program's name in the bin dir */
    char log[300]; /* its stdout and stderr */
} zwt_daemon_t;

/* The processes of one test (entries are never reused: a restarted
 * daemon gets a new entry and a new log). */
typedef struct {
    char dir[256]; /* where the logs go: the test's own folder */
    zwt_daemon_t procs[ZWT_STACK_MAX];
    int n; /* entries used */
    int logs;
} zwt_stack_t;

/* Empties st; logs go to dir (which must exist). */
void zwt_stack_init(zwt_stack_t *st, const char *dir);

/* Starts prog (a name in the bin dir) with args (NULL-terminated; NULL is
 * none), stdout and stderr to DIR/PROG.N.log, stdin /dev/null; it dies with
 * the test process. Fails the test if the table is full. */
pid_t zwt_stack_start(zwt_stack_t *st, const char *prog, const char *const *args);

/* The entry of pid, NULL if st did not start it. */
zwt_daemon_t *zwt_stack_find(zwt_stack_t *st, pid_t pid);

/* The log of pid: "" if st did not start it. */
const char *zwt_stack_log(zwt_stack_t *st, pid_t pid);

/* SIGTERM and waits up to timeout_ms (zwt_proc_stop): true for a clean
 * exit 0; otherwise says why and copies the log to stderr. The entry's pid
 * becomes 0. A pid st does not hold running (already stopped, or <= 0)
 * is a no-op that returns true. */
bool zwt_stack_stop(zwt_stack_t *st, pid_t pid, int timeout_ms);

/* SIGKILLs and reaps pid (no clean exit expected); the entry's pid
 * becomes 0. A pid st does not hold running is a no-op. */
void zwt_stack_kill(zwt_stack_t *st, pid_t pid);

/* zwt_stack_stop on every process still running, the last started
 * first: how many did not exit cleanly. */
int zwt_stack_stop_all(zwt_stack_t *st, int timeout_ms);

/* SIGKILLs every process still running. */
void zwt_stack_kill_all(zwt_stack_t *st);

/* Copies every log of st to stderr. */
void zwt_stack_dump(const zwt_stack_t *st);

/* Polls mmi.service through c until its broker lists service: false
 * after timeout_ms, or as soon as pid (when > 0) has exited (its entry's
 * pid becomes 0); every log of st is then copied to stderr. */
bool zwt_stack_wait_listed(zwt_stack_t *st, zw_client_t *c, const char *service, pid_t pid,
                           int timeout_ms);

/* Waits up to timeout_ms until the process pid listens on the TCP port
 * of endpoint ("tcp://HOST:PORT"): true once a connection is accepted
 * there while pid still runs; false as soon as pid has exited (its entry's
 * pid becomes 0; e.g. a broker whose port another test took between
 * zwt_free_port and its bind) or at the timeout. */
bool zwt_stack_listens(zwt_stack_t *st, pid_t pid, const char *endpoint, int timeout_ms);

/* zwt_stack_wait_listed through a client of the plain broker at ep (zmq
 * context ctx, 300 ms per query, no retries). */
bool zwt_stack_wait_service(zwt_stack_t *st, void *ctx, const char *ep, const char *service,
                            int timeout_ms);

/* ---- the daemons' arguments --------------------------------------------------------------
 * One set of options serves every daemon; each takes only the ones marked
 * for it below, and a daemon given a non-default option it does not take
 * fails the test (naming both). A NULL string or a 0 number leaves its
 * option out (the daemon's default then applies); `extra`
 * (NULL-terminated) is appended as is, after everything else. zwfw-intake
 * and zwfw-rating always migrate the database (--migrate true); zwfw-report
 * never does (it only reads, and may point at a read replica): start it
 * once intake, workflow and rating have migrated the tables it reads, and
 * rating once intake serves, as intake's tables are what it reads. */
typedef struct {
    const char *config;   /* --config FILE: every daemon */
    const char *endpoint; /* broker: --endpoint */
    int heartbeat_ms;     /* every daemon */
    /* broker, plain mode: the identity every caller of this broker gets */
    const char *plain_role, *plain_key_id, *plain_region, *plain_department;
    /* the workers (intake, workflow, rating, report) */
    const char *conninfo;   /* --db-conninfo */
    const char *brokers;    /* --broker-endpoint: comma-separated */
    const char *clock_mode; /* "simulated" or "real" */
    int threads;
    const char *log_level;
    const char *pub_endpoint; /* intake, workflow, rating: its event PUB */
    int relay_idle_ms;        /* workflow, rating */
    /* intake */
    const char *pii_key_file;       /* the data key */
    const char *workflow_endpoints; /* workflow's event PUB, followed */
    int workflow_quiet_ms;
    /* workflow */
    const char *intake_pub_endpoint; /* intake's event PUB, followed */
    int consumer_quiet_ms;
    /* rating */
    int case_workdays; /* a 差评's rectification case: 5-15 working days */
    int sweep_ms, clock_poll_ms;
    const char *const *extra;
} zwt_daemon_opts_t;

/* The names say which daemon a set of options is meant for. */
typedef zwt_daemon_opts_t zwt_broker_opts_t;
typedef zwt_daemon_opts_t zwt_intake_opts_t;
typedef zwt_daemon_opts_t zwt_workflow_opts_t;
typedef zwt_daemon_opts_t zwt_rating_opts_t;
typedef zwt_daemon_opts_t zwt_report_opts_t;

/* Starts prog ("zwfw-broker", "zwfw-intake", "zwfw-workflow",
 * "zwfw-rating" or "zwfw-report"; any other fails the test) through
 * zwt_stack_start with o as its arguments. */
pid_t zwt_stack_daemon(zwt_stack_t *st, const char *prog, const zwt_daemon_opts_t *o);

/* zwt_stack_daemon of the daemon each is named after. */
pid_t zwt_stack_broker(zwt_stack_t *st, const zwt_broker_opts_t *o);
pid_t zwt_stack_intake(zwt_stack_t *st, const zwt_intake_opts_t *o);
pid_t zwt_stack_workflow(zwt_stack_t *st, const zwt_workflow_opts_t *o);
pid_t zwt_stack_rating(zwt_stack_t *st, const zwt_rating_opts_t *o);
pid_t zwt_stack_report(zwt_stack_t *st, const zwt_report_opts_t *o);

/* zwt_stack_broker on a free loopback TCP port, written into ep (epsz
 * bytes; o.endpoint is ignored): chosen again when another test took the
 * port before the broker bound it, up to 5 ports; fails the test after. */
pid_t zwt_stack_broker_free(zwt_stack_t *st, zwt_broker_opts_t o, char *ep, size_t epsz);

#endif
