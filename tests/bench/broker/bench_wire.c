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

void *bw_dealer(void *ctx, const char *endpoint, int hwm, int rcvtimeo_ms)
{
    void *s = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    if (!s || zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm) != 0 ||
        zmq_setsockopt(s, ZMQ_RCVTIMEO, &rcvtimeo_ms, sizeof rcvtimeo_ms) != 0 ||
        zmq_connect(s, endpoint) != 0) {
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
