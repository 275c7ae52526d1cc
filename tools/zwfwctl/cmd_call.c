/* zwfwctl call / status: any request to any service as JSON (through the
 * protobuf descriptors, as grpcurl does), and the health of the stack. */
#include "cmds.h"
#include "common_opts.h"
#include "opt_table.h"

#include "mdp.h"
#include "mdp_client.h"
#include "pii.h"
#include "wire_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_MAX_ARGS 64

static const char *const s_services[] = {
    "zwfw.catalog", "zwfw.intake",  "zwfw.clock",  "zwfw.workflow",
    "zwfw.rating",  "zwfw.xregion", "zwfw.report",
};

typedef struct {
    zw_ctl_conn_t conn;
    bool raw;
    const char *args[S_MAX_ARGS];
    size_t n_args;
} s_opts_t;

static void s_call_usage(FILE *out)
{
    fprintf(out,
            "usage: zwfwctl call [OPTIONS] SERVICE TYPE JSON|-\n"
            "       zwfwctl call --raw [OPTIONS] SERVICE FRAME...\n"
            "Sends a request of message type TYPE (e.g. zwfw.v1.HealthRequest) written\n"
            "as JSON (- reads it from stdin) and prints the reply as JSON. --raw sends\n"
            "each FRAME (text, or hex:HEX for bytes) as is and prints the reply frames.\n"
            "options:\n" ZW_CTL_CONN_HELP
            "exit: 0 reply; 1 error reply or no reply (CODE: message on stderr); 2 usage,\n"
            "      or JSON that does not convert to TYPE (INVALID_ARGUMENT naming the field)\n");
}

static void s_status_usage(FILE *out)
{
    fprintf(out, "usage: zwfwctl status [--endpoint EP]... [--timeout MS] [--retries N]\n"
                 "                      [--key FILE --server-key FILE|Z85 | --plain] "
                 "[SERVICE]...\n"
                 "Asks the broker which zwfw services have workers and prints each one's\n"
                 "health. Exit 0 if the broker answered, 1 if it did not, 2 usage.\n"
                 "options:\n" ZW_CTL_CONN_HELP);
}

/* 0 ok, 1 --help shown, 2 usage error. */
static int s_parse(int argc, char **argv, s_opts_t *o, void (*usage)(FILE *))
{
    zw_ctl_conn_init(&o->conn);
    const zw_ctl_opt_t opts[] = {{ZW_CTL_FLAG("--raw", &o->raw)}};
    const zw_ctl_parser_t p = {"zwfwctl", usage, ZW_CTL_DASH_H | ZW_CTL_DASH_DASH, &o->conn,
                               ZW_CTL_TABLES(opts, o->args, &o->n_args)};
    int rc = zw_ctl_parse(&p, argc, argv);
    if (rc == 0)
        zw_ctl_conn_finish(&o->conn, 0);
    return rc;
}

static void s_print_error(const zw_client_reply_t *r)
{
    fprintf(stderr, "%s: %s\n", zw_code_name(r->err.code), r->err.message);
    if (r->error)
        for (size_t i = 0; i < r->error->n_details; i++)
            fprintf(stderr, "  %s: %s\n", r->error->details[i]->key, r->error->details[i]->value);
}

/* The JSON text: the argument, or all of stdin for "-". malloc'd. */
static char *s_read_json(const char *arg, size_t *len)
{
    if (strcmp(arg, "-") == 0)
        return zw_ctl_read_stream(stdin, len);
    *len = strlen(arg);
    return strdup(arg);
}

static int s_call_message(const s_opts_t *o)
{
    const char *service = o->args[0], *type = o->args[1];
    size_t len = 0;
    char *json = s_read_json(o->args[2], &len);
    if (!json) {
        fprintf(stderr, "zwfwctl call: cannot read the JSON\n");
        return 2;
    }
    zw_err_t err;
    ProtobufCMessage *req = zw_wire_from_json_named(type, json, len, &err);
    free(json);
    if (!req) {
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
        return 2;
    }
    char id[ZW_CLIENT_ID_LEN];
    int rc = zw_client_send_msg(o->conn.client, service, req, id, &err);
    protobuf_c_message_free_unpacked(req, NULL);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
        return err.code == ZW_INVALID_ARGUMENT ? 2 : 1;
    }
    zw_client_reply_t *r = zw_client_wait(o->conn.client, id, &err);
    if (!r) {
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
        zw_ctl_conn_hint(&o->conn, err.code);
        return 1;
    }
    if (r->err.code != ZW_OK) {
        s_print_error(r);
        zw_ctl_conn_hint(&o->conn, r->err.code);
        zw_client_reply_destroy(&r);
        return 1;
    }
    rc = 1;
    const ProtobufCMessageDescriptor *desc = zw_wire_find_type(r->type);
    ProtobufCMessage *reply = desc ? protobuf_c_message_unpack(desc, NULL, r->len, r->data) : NULL;
    char *text = reply ? zw_wire_to_json(reply, ZW_WIRE_PRETTY, &err) : NULL;
    if (!desc)
        fprintf(stderr, "INTERNAL: %s replied with unknown type %s\n", service, r->type);
    else if (!reply)
        fprintf(stderr, "INTERNAL: %s replied with an undecodable %s\n", service, r->type);
    else if (!text)
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
    else {
        printf("%s\n", text);
        rc = 0;
    }
    free(text);
    if (reply)
        protobuf_c_message_free_unpacked(reply, NULL);
    zw_client_reply_destroy(&r);
    return rc;
}

/* "hex:..." as bytes, anything else as its text. */
static int s_append_arg(zw_frames_t *body, const char *arg)
{
    if (strncmp(arg, "hex:", 4) != 0)
        return zw_frames_append_str(body, arg);
    /* zw_pii_unhex also takes PostgreSQL's "\x" prefix; a frame's hex is bare */
    size_t n = 0;
    uint8_t *buf = strncmp(arg + 4, "\\x", 2) == 0 ? NULL : zw_pii_unhex(arg + 4, &n);
    if (!buf)
        return -1;
    int rc = zw_frames_append(body, buf, n);
    free(buf);
    return rc;
}

static void s_print_frame(const unsigned char *data, size_t n)
{
    bool text = true;
    for (size_t i = 0; i < n && text; i++)
        text = data[i] >= 0x20 && data[i] != 0x7f;
    if (text) {
        fwrite(data, 1, n, stdout);
    } else {
        fputs("hex:", stdout);
        for (size_t i = 0; i < n; i++)
            printf("%02x", data[i]);
    }
    putchar('\n');
}

static int s_call_raw(const s_opts_t *o)
{
    zw_frames_t *body = zw_frames_new();
    for (size_t i = 1; body && i < o->n_args; i++) {
        if (s_append_arg(body, o->args[i]) != 0) {
            fprintf(stderr, "INVALID_ARGUMENT: frame %zu: bad hex\n", i);
            zw_frames_destroy(&body);
            return 2;
        }
    }
    zw_frames_t *reply = NULL;
    zw_err_t err;
    int rc = body ? zw_client_call_raw(o->conn.client, o->args[0], body, &reply, &err) : -1;
    zw_frames_destroy(&body);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", zw_code_name(err.code), err.message);
        zw_ctl_conn_hint(&o->conn, err.code);
        return 1;
    }
    for (size_t i = 0; i < zw_frames_count(reply); i++)
        s_print_frame(zw_frames_data(reply, i), zw_frames_size(reply, i));
    zw_frames_destroy(&reply);
    return 0;
}

int zw_cmd_call(int argc, char **argv)
{
    s_opts_t o = {0};
    int rc = s_parse(argc, argv, &o, s_call_usage);
    if (rc == 0 && (o.raw ? o.n_args < 2 : o.n_args != 3)) {
        fprintf(stderr, "zwfwctl call: expected %s, got %zu argument%s\n",
                o.raw ? "SERVICE FRAME..." : "SERVICE TYPE JSON|-", o.n_args,
                o.n_args == 1 ? "" : "s");
        s_call_usage(stderr);
        rc = 2;
    }
    if (rc != 0) {
        zw_ctl_conn_free(&o.conn);
        return rc == 1 ? 0 : rc;
    }
    if (!zw_ctl_conn_open(&o.conn))
        rc = 1;
    else
        rc = o.raw ? s_call_raw(&o) : s_call_message(&o);
    zw_ctl_conn_free(&o.conn);
    return rc;
}

/* One status line for a service the broker has workers for. */
static void s_status_line(zw_client_t *client, const char *service)
{
    Zwfw__V1__HealthRequest req = ZWFW__V1__HEALTH_REQUEST__INIT;
    ProtobufCMessage *reply = NULL;
    zw_err_t err;
    if (zw_client_call_as(client, service, &req.base, &zwfw__v1__health_reply__descriptor, &reply,
                          &err) != 0) {
        printf("%-14s up    health: %s: %s\n", service, zw_code_name(err.code), err.message);
        return;
    }
    const Zwfw__V1__HealthReply *h = (const Zwfw__V1__HealthReply *) reply;
    char lag[32];
    if (h->has_events)
        snprintf(lag, sizeof lag, "%lld", (long long) h->event_lag);
    else
        snprintf(lag, sizeof lag, "none");
    printf("%-14s up    version %s  uptime %llds  db %s  event lag %s  instance %s\n", service,
           h->version, (long long) h->uptime_seconds,
           h->database_reachable ? "reachable" : "unreachable", lag, h->instance);
    protobuf_c_message_free_unpacked(reply, NULL);
}

int zw_cmd_status(int argc, char **argv)
{
    s_opts_t o = {0};
    int rc = s_parse(argc, argv, &o, s_status_usage);
    if (rc == 0 && o.raw) {
        s_status_usage(stderr);
        rc = 2;
    }
    if (rc != 0) {
        zw_ctl_conn_free(&o.conn);
        return rc == 1 ? 0 : rc;
    }
    /* "Is it up?" deserves an answer now, not after every retry's timeout,
     * when nothing listens where the broker should be. */
    if (zw_ctl_nothing_listens(&o.conn)) {
        fprintf(stderr, "UNAVAILABLE: no broker at %s%s\n", o.conn.endpoints[0],
                o.conn.n_endpoints > 1 ? " or any other endpoint given" : "");
        zw_ctl_conn_hint(&o.conn, ZW_DEADLINE_EXCEEDED);
        zw_ctl_conn_free(&o.conn);
        return 1;
    }
    zw_client_t *client = zw_ctl_conn_open(&o.conn);
    rc = client ? 0 : 1;
    size_t n_default = sizeof s_services / sizeof s_services[0];
    for (size_t i = 0; client && rc == 0 && i < n_default + o.n_args; i++) {
        const char *service = i < n_default ? s_services[i] : o.args[i - n_default];
        bool exists = false;
        zw_err_t err;
        if (zw_client_service_exists(client, service, &exists, &err) != 0) {
            if (err.code == ZW_DEADLINE_EXCEEDED) {
                fprintf(stderr, "%s: broker did not answer (%s)\n", zw_code_name(err.code),
                        err.message);
                zw_ctl_conn_hint(&o.conn, err.code);
                rc = 1;
            } else {
                printf("%-14s ?     %s: %s\n", service, zw_code_name(err.code), err.message);
            }
        } else if (!exists) {
            printf("%-14s down  no worker registered\n", service);
        } else {
            s_status_line(client, service);
        }
        fflush(stdout);
    }
    zw_ctl_conn_free(&o.conn);
    return rc;
}
