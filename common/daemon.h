/* zw_daemon: the wiring every zwfw daemon shares: its command line
 * (--config FILE, --help, --version and any setting as --name VALUE or
 * --name=VALUE, dashes or underscores), loading the config file under the
 * command line, and signal flags.
 *
 * Signal handlers only set flags (STYLE.md); the daemon's loop polls them
 * with zw_daemon_stopping() and zw_daemon_take_reload(). The flags are
 * process-wide: one daemon per process. */
#ifndef ZW_DAEMON_H
#define ZW_DAEMON_H

#include "auth.h"
#include "calendar.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "error.h"

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define ZW_DAEMON_MAX_OVERRIDES 64
#define ZW_DAEMON_MAX_LIST 32

/* What a daemon's command line looks like. Every pointer must outlive the
 * zw_daemon_args_t parsed with it. */
typedef struct {
    const char *name;           /* "zwfw-broker": prefixes messages, --version */
    const char *section;        /* the config file's section, e.g. "broker" */
    const char *intro;          /* --help text before the settings list (usage line,
                                   what the daemon does, its fixed options) */
    const zw_cfg_spec_t *specs; /* the settings listed by --help */
    size_t n_specs;
    int help_width; /* width of the "--setting" column in --help */
    /* Optional: an option that may repeat and is collected apart from the
     * settings (the broker's --endpoint), at most list_max (<=
     * ZW_DAEMON_MAX_LIST) times. NULL: none. */
    const char *list_option;
    size_t list_max;
} zw_daemon_spec_t;

/* The parsed command line. Values point into argv; override names are
 * owned (zw_daemon_args_free). */
typedef struct {
    const char *config;                          /* --config FILE, or NULL */
    char *overrides[ZW_DAEMON_MAX_OVERRIDES][2]; /* setting name (dashes made underscores), value */
    size_t n_overrides;
    const char *list[ZW_DAEMON_MAX_LIST]; /* values of spec->list_option, in order */
    size_t n_list;
} zw_daemon_args_t;

/* Parses argv into *args (zero it first). Returns true if the daemon is to
 * run: the caller then owns args and frees them with zw_daemon_args_free.
 * Returns false when the process is to exit with *exit_code, args already
 * freed: 0 after --help/-h (usage on stdout) or --version; 2 after a usage
 * error (an unexpected argument, an option without a value, too many
 * options), with the message and the usage on stderr. Setting names are not
 * checked here: zw_daemon_configure does that. */
bool zw_daemon_parse(const zw_daemon_spec_t *spec, int argc, char **argv, zw_daemon_args_t *args,
                     int *exit_code);

/* Frees the override names; accepts an args never parsed (all zero). */
void zw_daemon_args_free(zw_daemon_args_t *args);

/* Prints the usage: spec->intro, then each setting as --name-with-dashes,
 * its help, its default and " [SIGHUP]" if reloadable. */
void zw_daemon_usage(const zw_daemon_spec_t *spec, FILE *out);

/* Loads args->config (if any) into cfg from spec->section, then applies the
 * overrides over it. Returns 0; 1 when the file fails (missing, bad JSON,
 * bad setting); 2 when an override names an unknown setting or a bad value.
 * *err says which. cfg may be partly changed on failure. */
int zw_daemon_configure(const zw_daemon_spec_t *spec, const zw_daemon_args_t *args,
                        zw_config_t *cfg, zw_err_t *err);

/* Installs the handlers: SIGTERM and SIGINT ask to stop; with `reload`,
 * SIGHUP asks to reload (without it SIGHUP keeps its default action).
 * No SA_RESTART, so a blocking zmq_poll returns EINTR at once. SIGPIPE is
 * ignored. Call first in main: a SIGTERM during start-up still ends cleanly. */
void zw_daemon_signals(bool reload);

/* True once SIGTERM or SIGINT came. */
bool zw_daemon_stopping(void);

/* The stop flag itself, for threads that watch it through a pointer. */
const volatile sig_atomic_t *zw_daemon_stop_flag(void);

/* True if SIGHUP came since the last call; clears the flag. */
bool zw_daemon_take_reload(void);

/* Splits a list ("a, b c": commas and/or blanks) in place: writes pointers
 * into `list` to out[0..] and returns how many there were, or -1 if there
 * are more than max. */
int zw_daemon_split(char *list, const char **out, size_t max);

/* The settings every zwfw daemon reads the same way: database,
 * brokers and heartbeat, business clock and working hours, CURVE keys, the
 * event relay (pub_endpoint, relay_batch, relay_idle_ms, relay_busy_ms,
 * event_retention_days), migrate, log_level. A daemon's table is these
 * joined with its own. */
const zw_cfg_spec_t *zw_daemon_common_specs(size_t *count);

/* The common settings, read and checked. Strings point into the config
 * table. */
typedef struct {
    const char *conninfo;         /* required */
    const char *broker_endpoints; /* comma list */
    bool simulated;               /* clock_mode "simulated" (else "real") */
    const char *calendar_file;
    const char *curve_secret_key_file, *broker_public_key; /* both or neither */
    const char *key_registry_file, *pub_endpoint;
    int heartbeat_ms, relay_batch, relay_idle_ms, relay_busy_ms;
    int event_retention_days; /* 0: keep every event (relay.h) */
    bool migrate;
    int log_level; /* zw_log_level_t */
} zw_daemon_common_t;

/* Reads the common settings of a daemon whose own section is `section`
 * (named in messages): INVALID_ARGUMENT naming the first bad one. */
int zw_daemon_common_read(const zw_config_t *cfg, const char *section, zw_daemon_common_t *o,
                          zw_err_t *err);

/* a's specs, then b's, in one new table (the caller free()s it; the
 * strings stay a's and b's); NULL when out of memory. */
zw_cfg_spec_t *zw_daemon_specs_join(const zw_cfg_spec_t *a, size_t na, const zw_cfg_spec_t *b,
                                    size_t nb, size_t *count);

/* ---- a worker daemon's start, in one call ---------------------------------- */

/* What zw_daemon_load keeps for the daemon's life: its command line, the
 * settings table (the common settings joined with its own; owned) and the
 * loaded config. */
typedef struct {
    zw_daemon_spec_t spec;
    zw_daemon_args_t args;
    zw_config_t *cfg;
} zw_daemon_t;

/* The start every zwfw worker daemon shares: signal handlers (with
 * SIGHUP), logging under own->name, PGAPPNAME, the settings table (the
 * common settings, then own->specs), the command line and the config file
 * with its overrides, and its event_retention_days for the process's
 * relays (zw_relay_set_daemon_retention). own gives name, section, intro, help_width and the
 * daemon's own specs; every pointer in it must outlive d. Returns true
 * when the daemon is to run (free d with zw_daemon_free); false when it
 * is to exit with *exit_code: 0 after --help or --version, 2 after a usage
 * error, 1 for a bad config (said on stderr and logged) or no memory. */
bool zw_daemon_load(zw_daemon_t *d, const zw_daemon_spec_t *own, int argc, char **argv,
                    int *exit_code);

/* The config read again from the same file and command line (SIGHUP);
 * NULL with *err. The caller destroys it. */
zw_config_t *zw_daemon_reconfig(const zw_daemon_t *d, zw_err_t *err);

/* Accepts a d never loaded (all zero). */
void zw_daemon_free(zw_daemon_t *d);

/* Says why the daemon cannot start: logs `what` with the reason (ERROR)
 * and prints "NAME: what: why" on stderr. Returns 1, an exit status. */
int zw_daemon_fail(const char *name, const char *what, const char *why);

/* Applies every pending migration (the daemon's `migrate` setting),
 * waiting up to 30 s for the database; logs the outcome. 0, or 1 (an exit
 * status) when it failed. */
int zw_daemon_migrate(const char *conninfo);

/* Like zw_daemon_fail, but stderr gets only the reason: "NAME: why".
 * Returns 1, an exit status. */
int zw_daemon_fail_brief(const char *name, const char *what, const char *why);

/* Start-up's wait for the database and its schema (up to 30 s; SIGTERM
 * ends it). True when ready; otherwise false with *exit_code set: 0 when
 * the daemon was asked to stop meanwhile (a clean stop, logged at INFO),
 * else 1 with "cannot reach the database" said as zw_daemon_fail_brief
 * does (db NULL: out of memory). */
bool zw_daemon_db_ready(zw_db_t *db, const char *name, int *exit_code);

/* The working-day calendar `file` ("": the shipped one). NULL when it
 * does not load: logged ("cannot load the calendar", ERROR, with path and
 * reason) and said on stderr as "NAME: calendar PATH: why". The caller
 * destroys it. */
zw_calendar_t *zw_daemon_calendar(const char *name, const char *file);

/* ---- endpoint lists --------------------------------------------------------------- */

#define ZW_DAEMON_MAX_ENDPOINTS 8

/* A setting's list of endpoints, copied and split (zw_daemon_split): v[0..n)
 * point into buf. */
typedef struct {
    char *buf;
    const char *v[ZW_DAEMON_MAX_ENDPOINTS];
    int n;
} zw_daemon_list_t;

/* Fills *l (zero it first) from `list` and returns l->n: how many there
 * were (0 for an empty list), or -1 when there are more than
 * ZW_DAEMON_MAX_ENDPOINTS or no memory. Free with zw_daemon_list_free in
 * either case. */
int zw_daemon_list(zw_daemon_list_t *l, const char *list);

/* Accepts a list never filled (all zero). */
void zw_daemon_list_free(zw_daemon_list_t *l);

/* ---- a worker thread's store context ------------------------------------------------ */

/* Registers a service's statements on a connection (zw_db_prepare). */
typedef int(zw_daemon_prepare_fn)(zw_db_t *db, zw_err_t *err);

/* The part every service's per-thread context shares: its own
 * connection to conninfo (not connected yet: zw_db connects on use) with
 * prepare's statements registered, and its business clock, simulated (read
 * through that connection) or real. 0; -1 when out of memory or prepare
 * fails, with *db and *clock NULL. The caller owns both and releases them
 * with zw_daemon_ctx_close. */
int zw_daemon_ctx_open(const char *conninfo, bool simulated, zw_daemon_prepare_fn *prepare,
                       zw_db_t **db, zw_clock_t **clock);

/* Destroys the clock, then the connection it reads; NULLs both. */
void zw_daemon_ctx_close(zw_db_t **db, zw_clock_t **clock);

/* ---- the daemon's loop ------------------------------------------------------------ */

/* Reads the daemon's own settings from a fresh config and, when they are
 * good, applies the reloadable ones (the log level aside:
 * zw_daemon_reload sets it). 0, or -1 with *err (nothing applied). */
typedef int(zw_daemon_apply_fn)(const zw_config_t *cfg, void *arg, zw_err_t *err);

/* SIGHUP: the config read again (zw_daemon_reconfig: a fresh table, the
 * workers' one is never touched while they run); a changed setting that is
 * not reloadable refuses the whole reload (zw_config_same_fixed); else the
 * table is given to apply(cfg, arg). On success the log level is set anew
 * under d's name, the relays' event_retention_days too
 * (zw_relay_set_daemon_retention), and "config reloaded" logged with the
 * level; otherwise "config not reloaded" (ERROR) and
 * nothing changes. Then a CURVE auth (may be NULL) re-reads its key
 * registry; if that fails the old one stays (ERROR). */
void zw_daemon_reload(const zw_daemon_t *d, zw_daemon_apply_fn *apply, void *arg, zw_auth_t *auth);

/* The loop's wait: up to timeout_ms on auth's ZAP socket (when auth has
 * one; its requests are answered here) and on `socket` (NULL: none). A
 * signal ends the wait early. True when `socket` is readable; the caller
 * reads it. */
bool zw_daemon_poll(zw_auth_t *auth, void *socket, long timeout_ms);

#endif
