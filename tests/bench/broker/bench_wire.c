/* bench_wire: the request every load generator sends, and its check. */
#include "bench_wire.h"

#include "mdp.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

volatile sig_atomic_t bw_stop = 0;

/* Bytes that look like a small protobuf message (field 1 a string, field
 * 2 a varint, field 3 bytes); nothing decodes them, but they are realistic
 * in size. Built once, read by every thread. */
static const char s_payload[] = "\x0a\x1e"
                                "511A0138000000-500152000000-00"
                                "\x10\x96\x01\x1a\x1e"
                                "bench payload of 100 bytes   .";
_Static_assert(sizeof s_payload - 1 == BW_PAYLOAD_LEN, "payload size");

static void s_on_signal(int sig)
{
    (void) sig;
    bw_stop = 1;
}

void bw_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int64_t bw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Finds `name = value` on one line (leading blanks allowed, the value in
 * optional double quotes) and copies a 40-character Z85 value to out.
 * Returns 1 when found and valid, 0 when the line is about something else,
 * -1 when it names `name` but the value is not a Z85 key. */
static int s_key_line(const char *line, const char *name, char *out)
{
    while (*line == ' ' || *line == '\t')
        line++;
    size_t nlen = strlen(name);
    if (strncmp(line, name, nlen) != 0 || (line[nlen] != ' ' && line[nlen] != '\t' && line[nlen] != '='))
        return 0;
    const char *v = line + nlen + strspn(line + nlen, " \t");
    if (*v != '=')
        return -1;
    v += 1 + strspn(v + 1, " \t");
    bool quoted = *v == '"';
    v += quoted;
    size_t len = strcspn(v, quoted ? "\"" : " \t\r\n");
    const char *rest = v + len + (quoted && v[len] == '"');
    uint8_t raw[32];
    if (len != BW_Z85_LEN || (quoted && v[len] != '"') || rest[strspn(rest, " \t\r\n")] != '\0')
        return -1;
    memcpy(out, v, BW_Z85_LEN);
    out[BW_Z85_LEN] = '\0';
    return zmq_z85_decode(raw, out) ? 1 : -1;
}

/* Reads path for public-key and, with secret, secret-key ("" when absent). */
static int s_key_file(const char *path, char *public_key, char *secret_key)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench: key file %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    public_key[0] = '\0';
    if (secret_key)
        secret_key[0] = '\0';
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        if (line[strspn(line, " \t")] == '#')
            continue;
        int p = s_key_line(line, "public-key", public_key);
        int s = secret_key ? s_key_line(line, "secret-key", secret_key) : 0;
        if (p < 0 || s < 0) {
            fprintf(stderr, "bench: key file %s line %d: not a Z85 key\n", path, lineno);
            rc = -1;
        }
    }
    fclose(f);
    return rc;
}

int bw_curve_load(const char *secret_file, const char *server_key_file, bw_curve_t *out)
{
    memset(out, 0, sizeof *out);
    char stated[BW_Z85_LEN + 1];
    if (s_key_file(secret_file, stated, out->secret_key) != 0)
        return -1;
    if (!out->secret_key[0]) {
        fprintf(stderr, "bench: key file %s has no secret-key\n", secret_file);
        return -1;
    }
    if (zmq_curve_public(out->public_key, out->secret_key) != 0) {
        fprintf(stderr, "bench: zmq_curve_public: %s\n", zmq_strerror(errno));
        return -1;
    }
    if (stated[0] && strcmp(stated, out->public_key) != 0) {
        fprintf(stderr, "bench: key file %s: public-key is not the secret key's\n", secret_file);
        return -1;
    }
    if (server_key_file) {
        if (s_key_file(server_key_file, out->server_key, NULL) != 0)
            return -1;
        if (!out->server_key[0]) {
            fprintf(stderr, "bench: key file %s has no public-key\n", server_key_file);
            return -1;
        }
    }
    out->on = true;
    return 0;
}

int bw_curve_apply(void *sock, const bw_curve_t *curve)
{
    if (!curve || !curve->on)
        return 0;
    if (!curve->server_key[0]) {
        int one = 1;
        return zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
                       zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, curve->secret_key, BW_Z85_LEN + 1) != 0
                   ? -1
                   : 0;
    }
    return zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, curve->server_key, BW_Z85_LEN + 1) != 0 ||
                   zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, curve->public_key, BW_Z85_LEN + 1) != 0 ||
                   zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, curve->secret_key, BW_Z85_LEN + 1) != 0
               ? -1
               : 0;
}

void *bw_dealer(void *ctx, const char *endpoint, const bw_curve_t *curve, int hwm,
                int rcvtimeo_ms)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &rcvtimeo_ms, sizeof rcvtimeo_ms) != 0 ||
        bw_curve_apply(s, curve) != 0 || zmq_connect(s, endpoint) != 0) {
        fprintf(stderr, "bench: DEALER to %s: %s\n", endpoint, zmq_strerror(errno));
        if (s)
            zmq_close(s);
        return NULL;
    }
    return s;
}

int bw_send(void *sock, const char *service, uint64_t id, int flags)
{
    char idtext[BW_ID_LEN + 1];
    snprintf(idtext, sizeof idtext, "%016" PRIx64, id);
    /* Only the first frame may meet the high-water mark; once it is queued
     * the rest of the message always goes. */
    if (zmq_send(sock, "", 0, ZMQ_SNDMORE | flags) < 0)
        return -1;
    if (zmq_send(sock, ZW_MDP_CLIENT, ZW_MDP_HEADER_LEN, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, service, strlen(service), ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, idtext, BW_ID_LEN, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, BW_TYPE, sizeof BW_TYPE - 1, ZMQ_SNDMORE) < 0 ||
        zmq_send(sock, s_payload, BW_PAYLOAD_LEN, 0) < 0)
        return -1;
    return 0;
}

static bool s_is(zmq_msg_t *m, const void *data, size_t len)
{
    return zmq_msg_size(m) == len && memcmp(zmq_msg_data(m), data, len) == 0;
}

int bw_recv(void *sock, const char *service, uint64_t *id, int flags)
{
    zmq_msg_t f[BW_FRAMES];
    size_t n = 0, total = 0;
    bool more = true;
    while (more) {
        /* Frames past BW_FRAMES are read and thrown away: a multipart
         * message arrives whole and must leave the socket whole. */
        zmq_msg_t scratch;
        zmq_msg_t *m = n < BW_FRAMES ? &f[n] : &scratch;
        zmq_msg_init(m);
        if (zmq_msg_recv(m, sock, total == 0 ? flags : 0) < 0) {
            int e = errno;
            zmq_msg_close(m);
            for (size_t i = 0; i < n; i++)
                zmq_msg_close(&f[i]);
            errno = e;
            return -1;
        }
        more = zmq_msg_more(m);
        total++;
        if (m == &scratch)
            zmq_msg_close(m);
        else
            n++;
    }
    int ok = 0;
    if (total == BW_FRAMES && zmq_msg_size(&f[0]) == 0 &&
        s_is(&f[1], ZW_MDP_CLIENT, ZW_MDP_HEADER_LEN) && s_is(&f[2], service, strlen(service)) &&
        zmq_msg_size(&f[3]) == BW_ID_LEN && s_is(&f[4], BW_TYPE, sizeof BW_TYPE - 1) &&
        s_is(&f[5], s_payload, BW_PAYLOAD_LEN)) {
        char idtext[BW_ID_LEN + 1];
        memcpy(idtext, zmq_msg_data(&f[3]), BW_ID_LEN);
        idtext[BW_ID_LEN] = '\0';
        char *end;
        *id = strtoull(idtext, &end, 16);
        ok = *end == '\0';
    }
    for (size_t i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    return ok;
}

int bw_int_arg(const char *name, const char *value, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || errno || *end || end == value || v < min || v > max) {
        fprintf(stderr, "bench: %s: expected an integer in [%ld, %ld], got '%s'\n", name, min, max,
                value ? value : "(nothing)");
        return -1;
    }
    *out = v;
    return 0;
}
