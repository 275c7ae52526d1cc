/* Defaults zwfwctl subcommands share. */
#ifndef ZWFWCTL_COMMON_OPTS_H
#define ZWFWCTL_COMMON_OPTS_H

#include "auth_keys.h"
#include "db.h"
#include "error.h"
#include "mdp_client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* $ZWFW_DB, else the local stack's database (deploy/zwfw). Static. */
const char *zw_ctl_default_db(void);

/* The local stack's state folder, as deploy/zwfw computes it: $ZWFW_HOME,
 * else /var/lib/zwfw for root, else $XDG_DATA_HOME/zwfw, else
 * ~/.local/share/zwfw. Static buffer. */
const char *zw_ctl_home(void);

/* The CURVE keys to talk to the broker with, first found of:
 *   1. key_opt and server_opt (--key FILE, --server-key FILE|Z85);
 *   2. $ZWFW_KEY and $ZWFW_SERVER_KEY;
 *   3. HOME/keys/operator.secret and HOME/keys/broker.key (HOME as
 *      zw_ctl_home), when both files exist;
 * else none (plain). `plain` (--plain) skips all of them. Returns 1 with
 * *out filled and the secret key file's path in key_used (keysz bytes),
 * 0 for plain, or -1 with *err when only one half of a pair is given or a
 * file cannot be read. */
int zw_ctl_curve(const char *key_opt, const char *server_opt, bool plain, zw_auth_client_t *out,
                 char *key_used, size_t keysz, zw_err_t *err);

/* ---- talking to the broker --------------------------------------------------
 * The options of every subcommand that sends requests (the same as
 * `zwfwctl call`): --endpoint EP (repeatable; default $ZWFW_ENDPOINT,
 * comma-separated, else ZW_CTL_DEFAULT_ENDPOINT), --timeout MS, --retries
 * N, --key FILE, --server-key FILE|Z85, --plain. A subcommand offers each
 * argument to zw_ctl_conn_option first, then calls zw_ctl_conn_finish and
 * zw_ctl_conn_client. */

#define ZW_CTL_MAX_ENDPOINTS 16
#define ZW_CTL_DEFAULT_ENDPOINT "tcp://127.0.0.1:5555"

/* Usage text of those options, for a subcommand's --help. */
#define ZW_CTL_CONN_HELP                                                                           \
    "  --endpoint EP   broker (repeatable, for fail-over); default $ZWFW_ENDPOINT\n"               \
    "                  (comma-separated), else " ZW_CTL_DEFAULT_ENDPOINT "\n"                      \
    "  --timeout MS    wait per try (default 7000)\n"                                              \
    "  --retries N     resends after a timeout (default 2)\n" ZW_CTL_KEY_HELP

/* The CURVE part of it alone. */
#define ZW_CTL_KEY_HELP                                                                            \
    "  --key FILE      CURVE: this client's key pair (NAME.secret); default $ZWFW_KEY,\n"          \
    "                  else $ZWFW_HOME/keys/operator.secret if it and broker.key exist\n"          \
    "  --server-key FILE|Z85  the broker's public key; default $ZWFW_SERVER_KEY, else\n"           \
    "                  $ZWFW_HOME/keys/broker.key (no keys found: plain)\n"                        \
    "  --plain         no CURVE even if keys are found\n"

typedef struct {
    const char *endpoints[ZW_CTL_MAX_ENDPOINTS];
    size_t n_endpoints;
    int timeout_ms;         /* -1 until --timeout: see zw_ctl_conn_finish */
    int retries;            /* -1 until --retries */
    const char *key;        /* --key */
    const char *server_key; /* --server-key */
    bool plain;             /* --plain */
    char *env_copy;         /* $ZWFW_ENDPOINT split in place; freed by zw_ctl_conn_free */
    char key_used[1024];    /* the CURVE secret key file in use, "" when plain */
    void *ctx;              /* from zw_ctl_conn_open; ended by zw_ctl_conn_free */
    zw_client_t *client;    /* from zw_ctl_conn_open; destroyed by zw_ctl_conn_free */
} zw_ctl_conn_t;

/* Empties *conn (no endpoints, timeout and retries unset). */
void zw_ctl_conn_init(zw_ctl_conn_t *conn);

/* If argv[*i] is one of the options above, takes it (and its value,
 * advancing *i) and returns 1; returns 0 for any other argument, and 2
 * after printing a message for a missing or bad value. argv is borrowed
 * and must outlive conn. */
int zw_ctl_conn_option(zw_ctl_conn_t *conn, int argc, char **argv, int *i);

/* The same for one of the options above that takes a value, given its
 * name and value (borrowed; must outlive conn): 1 taken, 0 not one of
 * them, 2 after printing a message for a bad value. */
int zw_ctl_conn_set(zw_ctl_conn_t *conn, const char *name, const char *value);

/* Fills what no option gave: the endpoints from $ZWFW_ENDPOINT or the
 * default, the timeout (default_timeout_ms, or ZW_CLIENT_TIMEOUT_MS when
 * <= 0) and the retries (ZW_CLIENT_RETRIES). */
void zw_ctl_conn_finish(zw_ctl_conn_t *conn, int default_timeout_ms);

/* A client of the endpoints in zmq_ctx, with CURVE as zw_ctl_curve finds
 * it and the timeout and retries set; the caller destroys it. NULL with a
 * message on stderr. */
zw_client_t *zw_ctl_conn_client(zw_ctl_conn_t *conn, void *zmq_ctx);

/* After zw_ctl_conn_finish: sets the log level zwfwctl runs at, then makes
 * a ZeroMQ context and zw_ctl_conn_client of it, both kept in conn (and
 * ended by zw_ctl_conn_free). The client (borrowed), or NULL with a
 * message on stderr. */
zw_client_t *zw_ctl_conn_open(zw_ctl_conn_t *conn);

/* After a failed request: prints "CODE: message" and, for a CURVE request
 * that got no answer, why a broker may stay silent. */
void zw_ctl_conn_report(const zw_ctl_conn_t *conn, const zw_err_t *err);

/* Only that hint, for DEADLINE_EXCEEDED alone (a broker says nothing to a
 * key it does not admit, and a ZeroMQ client waits in silence for a broker
 * that is not there): that no endpoint accepts TCP connections (it tries
 * each, up to a second), else which CURVE key went, else that the request
 * went plain. */
void zw_ctl_conn_hint(const zw_ctl_conn_t *conn, zw_code_t code);

/* True when every endpoint is TCP and refuses connections right now (each
 * tried once, up to a second): nothing is there to answer, so a command
 * that asks "is it up?" can say so at once instead of waiting out its
 * timeouts. False when any endpoint accepts, is not TCP, or gives no
 * clear answer. */
bool zw_ctl_nothing_listens(const zw_ctl_conn_t *conn);

/* Frees what conn holds (not conn): the client and context of
 * zw_ctl_conn_open, and the endpoint copy. */
void zw_ctl_conn_free(zw_ctl_conn_t *conn);

/* ---- requests ---------------------------------------------------------------------------- */

/* Sends req to service on conn's open client and waits for the reply, of
 * type reply_type (NULL: any known type). 0 with *reply (the caller frees
 * it with protobuf_c_message_free_unpacked), or 1 after zw_ctl_conn_report. */
int zw_ctl_call(const zw_ctl_conn_t *conn, const char *service, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply);

/* Prints msg on stdout as indented JSON. 0, or 1 with "CODE: message" on
 * stderr when it does not convert. */
int zw_ctl_print_json(const ProtobufCMessage *msg);

/* A subcommand's text view of a reply: the exit code (0 when printed). */
typedef int (*zw_ctl_show_fn)(const ProtobufCMessage *reply, void *arg);

/* zw_ctl_call, then prints the reply: as JSON when json or show is NULL,
 * else with show(reply, arg). Frees the reply. The exit code: 0 printed,
 * 1 an Error reply, no reply or a reply that does not print. */
int zw_ctl_call_print(const zw_ctl_conn_t *conn, const char *service, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *reply_type, bool json, zw_ctl_show_fn show,
                      void *arg);

/* ---- the actor and idempotency key of a change ------------------------------------------ */

typedef struct {
    const char *actor; /* --actor; borrowed */
    const char *key;   /* --idempotency-key; borrowed */
    char actor_buf[128];
    char key_buf[64];
} zw_ctl_change_t;

/* Fills what is not given (NULL or ""): the actor from $ZWFW_ACTOR, else
 * "zwfwctl:$USER" (the login name when $USER is unset), and a random key
 * "zwfwctl-HEX", so that the client's own resends stay one request. Needs
 * sodium_init. The results point at the given strings or into *change. */
void zw_ctl_change_defaults(zw_ctl_change_t *change);

/* ---- input ------------------------------------------------------------------------------ */

/* All that is left to read in f (left open), NUL-terminated; *len is its
 * length without the NUL. malloc'd: the caller frees it. NULL with errno
 * ENOMEM when memory runs out. A read error ends the text like the end of
 * the file. */
char *zw_ctl_read_stream(FILE *f, size_t *len);

/* ---- the database (db, audit) ------------------------------------------------------------ */

/* If argv[*i] is --db or --conninfo and a value follows, sets *conninfo
 * to the value (borrowed from argv), advances *i and returns true; else
 * false and nothing changes. */
bool zw_ctl_db_option(int argc, char **argv, int *i, const char **conninfo);

/* Sets the log level zwfwctl runs at and connects to conninfo. The handle
 * (the caller destroys it), or NULL with "WHO: message" on stderr. */
zw_db_t *zw_ctl_db_open(const char *conninfo, const char *who);

#endif
