#include "common_opts.h"

#include "log.h"
#include "opt_table.h"
#include "wire_json.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zmq.h>

const char *zw_ctl_default_db(void)
{
    const char *env = getenv("ZWFW_DB");
    return env && *env ? env : "host=127.0.0.1 port=55432 user=zwfw dbname=zwfw";
}

static bool s_set(const char *s)
{
    return s && *s;
}

const char *zw_ctl_home(void)
{
    static char buf[1024];
    const char *env = getenv("ZWFW_HOME");
    if (s_set(env))
        snprintf(buf, sizeof buf, "%s", env);
    else if (geteuid() == 0)
        snprintf(buf, sizeof buf, "/var/lib/zwfw");
    else if (s_set(getenv("XDG_DATA_HOME")))
        snprintf(buf, sizeof buf, "%s/zwfw", getenv("XDG_DATA_HOME"));
    else {
        const char *home = getenv("HOME");
        const struct passwd *pw = s_set(home) ? NULL : getpwuid(geteuid());
        snprintf(buf, sizeof buf, "%s/.local/share/zwfw",
                 s_set(home)        ? home
                 : pw && pw->pw_dir ? pw->pw_dir
                                    : "");
    }
    return buf;
}

static int s_pair(const char *key, const char *server, const char *what, zw_auth_client_t *out,
                  char *key_used, size_t keysz, zw_err_t *err)
{
    if (s_set(key) != s_set(server))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "key",
                           "CURVE needs both %s; only one is given", what);
    if (!s_set(key))
        return 0;
    if (zw_auth_client_load(out, key, server, err) != 0)
        return -1;
    if (keysz) {
        size_t n = strlen(key);
        if (n >= keysz)
            n = keysz - 1;
        memcpy(key_used, key, n);
        key_used[n] = '\0';
    }
    return 1;
}

int zw_ctl_curve(const char *key_opt, const char *server_opt, bool plain, zw_auth_client_t *out,
                 char *key_used, size_t keysz, zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (keysz)
        key_used[0] = '\0';
    if (plain)
        return 0;
    const char *env_key = getenv("ZWFW_KEY"), *env_server = getenv("ZWFW_SERVER_KEY");
    if (s_set(key_opt) || s_set(server_opt)) {
        /* One given on the command line, the other from the environment or
         * the local stack: `--key window.secret` alone acts as another role
         * against the same broker. */
        char home_server[1100], home_key[1100];
        snprintf(home_server, sizeof home_server, "%s/keys/broker.key", zw_ctl_home());
        snprintf(home_key, sizeof home_key, "%s/keys/operator.secret", zw_ctl_home());
        if (!s_set(server_opt))
            server_opt = s_set(env_server)                ? env_server
                         : access(home_server, F_OK) == 0 ? home_server
                                                          : NULL;
        if (!s_set(key_opt))
            key_opt = s_set(env_key) ? env_key : access(home_key, F_OK) == 0 ? home_key : NULL;
        return s_pair(key_opt, server_opt, "--key and --server-key", out, key_used, keysz, err);
    }
    if (s_set(env_key) || s_set(env_server))
        return s_pair(env_key, env_server, "$ZWFW_KEY and $ZWFW_SERVER_KEY", out, key_used, keysz,
                      err);
    char key[1100], server[1100];
    snprintf(key, sizeof key, "%s/keys/operator.secret", zw_ctl_home());
    snprintf(server, sizeof server, "%s/keys/broker.key", zw_ctl_home());
    if (access(key, F_OK) != 0 || access(server, F_OK) != 0)
        return 0;
    return s_pair(key, server, "keys", out, key_used, keysz, err);
}

/* ---- talking to the broker ---------------------------------------------------- */

void zw_ctl_conn_init(zw_ctl_conn_t *conn)
{
    memset(conn, 0, sizeof *conn);
    conn->timeout_ms = -1;
    conn->retries = -1;
}

static int s_conn_int(const char *name, const char *value, int min, int *out)
{
    long long v;
    if (zw_ctl_whole(value, min, 86400000, &v) != 0) {
        fprintf(stderr, "zwfwctl: %s: expected an integer >= %d, got '%s'\n", name, min, value);
        return -1;
    }
    *out = (int) v;
    return 0;
}

static const char *const s_conn_valued[] = {"--endpoint", "--timeout", "--retries", "--key",
                                            "--server-key"};
#define S_CONN_NVALUED (sizeof s_conn_valued / sizeof s_conn_valued[0])

static size_t s_conn_valued_index(const char *name)
{
    size_t k = 0;
    while (k < S_CONN_NVALUED && strcmp(name, s_conn_valued[k]) != 0)
        k++;
    return k;
}

int zw_ctl_conn_set(zw_ctl_conn_t *conn, const char *name, const char *v)
{
    switch (s_conn_valued_index(name)) {
    case 0:
        if (conn->n_endpoints == ZW_CTL_MAX_ENDPOINTS) {
            fprintf(stderr, "zwfwctl: at most %d endpoints\n", ZW_CTL_MAX_ENDPOINTS);
            return 2;
        }
        conn->endpoints[conn->n_endpoints++] = v;
        return 1;
    case 1:
        return s_conn_int(name, v, 1, &conn->timeout_ms) == 0 ? 1 : 2;
    case 2:
        return s_conn_int(name, v, 0, &conn->retries) == 0 ? 1 : 2;
    case 3:
        conn->key = v;
        return 1;
    case 4:
        conn->server_key = v;
        return 1;
    default:
        return 0;
    }
}

int zw_ctl_conn_option(zw_ctl_conn_t *conn, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    if (strcmp(a, "--plain") == 0) {
        conn->plain = true;
        return 1;
    }
    if (s_conn_valued_index(a) == S_CONN_NVALUED)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "zwfwctl: %s needs a value\n", a);
        return 2;
    }
    return zw_ctl_conn_set(conn, a, argv[++*i]);
}

void zw_ctl_conn_finish(zw_ctl_conn_t *conn, int default_timeout_ms)
{
    if (conn->timeout_ms < 0)
        conn->timeout_ms = default_timeout_ms > 0 ? default_timeout_ms : ZW_CLIENT_TIMEOUT_MS;
    if (conn->retries < 0)
        conn->retries = ZW_CLIENT_RETRIES;
    if (conn->n_endpoints)
        return;
    const char *env = getenv("ZWFW_ENDPOINT");
    if (s_set(env) && (conn->env_copy = strdup(env))) {
        char *save = NULL;
        for (char *tok = strtok_r(conn->env_copy, ", \t", &save);
             tok && conn->n_endpoints < ZW_CTL_MAX_ENDPOINTS; tok = strtok_r(NULL, ", \t", &save))
            conn->endpoints[conn->n_endpoints++] = tok;
    }
    if (conn->n_endpoints == 0)
        conn->endpoints[conn->n_endpoints++] = ZW_CTL_DEFAULT_ENDPOINT;
}

zw_client_t *zw_ctl_conn_client(zw_ctl_conn_t *conn, void *zmq_ctx)
{
    zw_err_t err;
    zw_auth_client_t curve;
    int mode = zw_ctl_curve(conn->key, conn->server_key, conn->plain, &curve, conn->key_used,
                            sizeof conn->key_used, &err);
    zw_client_t *client =
        mode < 0 ? NULL : zw_client_new(zmq_ctx, conn->endpoints, conn->n_endpoints, &err);
    if (client && mode == 1 && zw_client_set_curve(client, &curve, &err) != 0)
        zw_client_destroy(&client);
    sodium_memzero(&curve, sizeof curve);
    if (!client) {
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
        return NULL;
    }
    zw_client_set_timeout(client, conn->timeout_ms > 0 ? conn->timeout_ms : ZW_CLIENT_TIMEOUT_MS);
    zw_client_set_retries(client, conn->retries >= 0 ? conn->retries : ZW_CLIENT_RETRIES);
    return client;
}

zw_client_t *zw_ctl_conn_open(zw_ctl_conn_t *conn)
{
    zw_log_init("zwfwctl", ZW_LOG_WARN);
    conn->ctx = zmq_ctx_new();
    conn->client = conn->ctx ? zw_ctl_conn_client(conn, conn->ctx) : NULL;
    return conn->client;
}

/* Whether anything accepts TCP connections at a "tcp://HOST:PORT"
 * endpoint: 1 yes, 0 refused, -1 unknown (not TCP, a name that does not
 * resolve, no answer in time). A ZeroMQ client retries a refused
 * connection in silence, so this is how a timeout tells "no broker there"
 * from "a broker that ignores us". */
static int s_tcp_listening(const char *endpoint)
{
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return -1;
    char host[256];
    const char *h = endpoint + 6, *port;
    size_t n;
    if (*h == '[') { /* tcp://[::1]:5555 */
        const char *close = strchr(h, ']');
        if (!close || close[1] != ':')
            return -1;
        h++;
        n = (size_t) (close - h);
        port = close + 2;
    } else {
        const char *colon = strrchr(h, ':');
        if (!colon)
            return -1;
        n = (size_t) (colon - h);
        port = colon + 1;
    }
    if (n == 0 || n >= sizeof host || !*port)
        return -1;
    memcpy(host, h, n);
    host[n] = '\0';
    if (strcmp(host, "*") == 0)
        return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    int verdict = -1;
    for (struct addrinfo *ai = res; ai && verdict != 1; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int so = 0;
            socklen_t len = sizeof so;
            if (poll(&p, 1, 1000) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len) == 0) {
                errno = so;
                rc = so == 0 ? 0 : -1;
            } else {
                errno = ETIMEDOUT;
            }
        }
        if (rc == 0)
            verdict = 1;
        else if (errno == ECONNREFUSED)
            verdict = 0;
        close(fd);
    }
    freeaddrinfo(res);
    return verdict;
}

bool zw_ctl_nothing_listens(const zw_ctl_conn_t *conn)
{
    size_t refused = 0;
    for (size_t i = 0; i < conn->n_endpoints; i++)
        refused += s_tcp_listening(conn->endpoints[i]) == 0;
    return conn->n_endpoints && refused == conn->n_endpoints;
}

void zw_ctl_conn_hint(const zw_ctl_conn_t *conn, zw_code_t code)
{
    if (code != ZW_DEADLINE_EXCEEDED)
        return;
    /* Nothing listening is the likeliest cause and makes the key hints
     * below beside the point. */
    if (zw_ctl_nothing_listens(conn)) {
        fprintf(stderr, "  (nothing accepts connections at %s%s: is the broker running?\n",
                conn->endpoints[0], conn->n_endpoints > 1 ? " or any other endpoint given" : "");
        fprintf(stderr, "  `deploy/zwfw status` shows the local stack and `deploy/zwfw up` starts "
                        "it;\n  `eval \"$(deploy/zwfw env)\"` sets its endpoint and keys)\n");
    } else if (conn->key_used[0]) {
        fprintf(stderr,
                "  (CURVE with key %s: a broker that has not registered this key, or whose\n"
                "  public key is not the --server-key given, never answers)\n",
                conn->key_used);
    } else if (conn->plain) {
        fprintf(stderr, "  (sent plain (--plain): a broker that runs CURVE never answers a plain "
                        "client)\n");
    } else {
        fprintf(stderr,
                "  (sent plain, without CURVE: no --key, no $ZWFW_KEY, and no\n"
                "  %s/keys/operator.secret with broker.key; a broker that runs CURVE\n"
                "  never answers a plain client: `eval \"$(deploy/zwfw env)\"` or --key)\n",
                zw_ctl_home());
    }
}

void zw_ctl_conn_report(const zw_ctl_conn_t *conn, const zw_err_t *err)
{
    fprintf(stderr, "%s: %s\n", zw_code_name(err->code), err->message);
    if (err->detail[0])
        fprintf(stderr, "  detail: %s\n", err->detail);
    zw_ctl_conn_hint(conn, err->code);
}

void zw_ctl_conn_free(zw_ctl_conn_t *conn)
{
    zw_client_destroy(&conn->client);
    if (conn->ctx)
        zmq_ctx_term(conn->ctx);
    conn->ctx = NULL;
    free(conn->env_copy);
    conn->env_copy = NULL;
}

/* ---- requests ---------------------------------------------------------------------------- */

int zw_ctl_call(const zw_ctl_conn_t *conn, const char *service, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *reply_type, ProtobufCMessage **reply)
{
    zw_err_t err;
    if (zw_client_call_as(conn->client, service, req, reply_type, reply, &err) != 0) {
        zw_ctl_conn_report(conn, &err);
        return 1;
    }
    return 0;
}

int zw_ctl_print_json(const ProtobufCMessage *msg)
{
    zw_err_t err;
    char *text = zw_wire_to_json(msg, ZW_WIRE_PRETTY, &err);
    if (!text) {
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
        return 1;
    }
    printf("%s\n", text);
    free(text);
    return 0;
}

int zw_ctl_call_print(const zw_ctl_conn_t *conn, const char *service, const ProtobufCMessage *req,
                      const ProtobufCMessageDescriptor *reply_type, bool json, zw_ctl_show_fn show,
                      void *arg)
{
    ProtobufCMessage *reply = NULL;
    if (zw_ctl_call(conn, service, req, reply_type, &reply) != 0)
        return 1;
    int rc = json || !show ? zw_ctl_print_json(reply) : show(reply, arg);
    protobuf_c_message_free_unpacked(reply, NULL);
    return rc;
}

/* ---- the actor and idempotency key of a change ------------------------------------------ */

void zw_ctl_change_defaults(zw_ctl_change_t *c)
{
    if (!s_set(c->actor)) {
        const char *env = getenv("ZWFW_ACTOR"), *user = getenv("USER");
        const struct passwd *pw = s_set(user) ? NULL : getpwuid(geteuid());
        if (s_set(env))
            snprintf(c->actor_buf, sizeof c->actor_buf, "%s", env);
        else
            snprintf(c->actor_buf, sizeof c->actor_buf, "zwfwctl:%s",
                     s_set(user) ? user
                     : pw        ? pw->pw_name
                                 : "unknown");
        c->actor = c->actor_buf;
    }
    if (!s_set(c->key)) {
        unsigned char raw[12];
        char hex[2 * sizeof raw + 1];
        randombytes_buf(raw, sizeof raw);
        sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
        snprintf(c->key_buf, sizeof c->key_buf, "zwfwctl-%s", hex);
        c->key = c->key_buf;
    }
}

/* ---- input ------------------------------------------------------------------------------ */

char *zw_ctl_read_stream(FILE *f, size_t *len)
{
    char *buf = NULL, chunk[8192];
    size_t n = 0, got;
    FILE *out = open_memstream(&buf, &n);
    if (!out)
        return NULL;
    bool ok = true;
    while (ok && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        ok = fwrite(chunk, 1, got, out) == got;
    if (fclose(out) != 0) /* the last of it is written here, and may not fit */
        ok = false;
    if (!ok) {
        free(buf);
        errno = ENOMEM;
        return NULL;
    }
    *len = n;
    return buf;
}

/* ---- the database (db, audit) ------------------------------------------------------------ */

bool zw_ctl_db_option(int argc, char **argv, int *i, const char **conninfo)
{
    if ((strcmp(argv[*i], "--db") != 0 && strcmp(argv[*i], "--conninfo") != 0) || *i + 1 >= argc)
        return false;
    *conninfo = argv[++*i];
    return true;
}

zw_db_t *zw_ctl_db_open(const char *conninfo, const char *who)
{
    zw_log_init("zwfwctl", ZW_LOG_WARN);
    zw_err_t err;
    zw_db_t *db = zw_db_new(conninfo);
    if (!db || zw_db_connect(db, &err) != 0) {
        fprintf(stderr, "%s: %s\n", who, db ? err.message : "out of memory");
        zw_db_destroy(&db);
        return NULL;
    }
    return db;
}
