/* bench_wire: what the broker benchmark's load generators share: the clock,
 * the stop flag, the one request they all send, and checking its reply.
 *
 * The request is an MDP/0.1 client message exactly as a foreign client
 * writes it with raw libzmq on a DEALER socket:
 *
 *   [empty]["MDPC01"][service][request id][type name][payload]
 *
 * The body is a zwfw three-frame body of 100 bytes (16 + 17 + 67), so the
 * same bytes serve a plain RFC 7 service (passed byte for byte) and a
 * zwfw.* one (the broker appends the Caller frame on the way to the worker
 * and the worker library sends back [id][type][payload]). The direct ROUTER
 * echo sends every frame back, so its reply has the same shape. The request
 * id is 16 hex digits: a number the sender chooses and finds again in the
 * reply, so pipelined senders can match replies. */
#ifndef ZW_BENCH_WIRE_H
#define ZW_BENCH_WIRE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#define BW_ID_LEN 16
#define BW_TYPE "zwfw.v1.BenchEcho"
#define BW_PAYLOAD_LEN 67
#define BW_BODY_LEN (BW_ID_LEN + (sizeof BW_TYPE - 1) + BW_PAYLOAD_LEN)
/* Frames of a request and of a well-formed reply, empty delimiter included. */
#define BW_FRAMES 6

#define BW_Z85_LEN 40 /* a 32-byte CURVE key as Z85 text */

/* CURVE for the benchmark's sockets; off (plain TCP) when `on` is false.
 * A client has its own pair and the server's public key; a server (serve
 * mode) only its own pair, server_key "". */
typedef struct {
    bool on;
    char public_key[BW_Z85_LEN + 1];
    char secret_key[BW_Z85_LEN + 1];
    char server_key[BW_Z85_LEN + 1];
} bw_curve_t;

/* Set by SIGTERM/SIGINT; every loop looks at it. */
extern volatile sig_atomic_t bw_stop;

/* Installs the stop handlers (no SA_RESTART, so blocking calls return). */
void bw_signals(void);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t bw_now_ns(void);

/* Reads the key files zwfwctl keygen writes (czmq zcert text: lines
 * `public-key = "Z85"` and `secret-key = "Z85"`, '#' comments; other lines
 * ignored): the pair from secret_file (NAME.secret; its public key, when
 * given, must match the secret one) and, unless server_key_file is NULL
 * (a server), the public key from server_key_file (NAME.key). Fills *out
 * with on = true. Returns 0, or -1 with a message on stderr. The bench
 * keeps to libzmq alone, so this is not common/auth_keys.c, and it does
 * not check file modes: its keys are throwaway ones the script makes. */
int bw_curve_load(const char *secret_file, const char *server_key_file, bw_curve_t *out);

/* Sets the CURVE options on sock (before bind or connect): ZMQ_CURVE_SERVER
 * and the secret key for a server, the three keys for a client. Nothing
 * when curve is NULL or off. Returns 0 or -1 (errno from libzmq). */
int bw_curve_apply(void *sock, const bw_curve_t *curve);

/* A DEALER socket connected to endpoint, CURVE client when curve is on
 * (NULL: plain), linger 0, both high-water marks at hwm, receive timeout
 * rcvtimeo_ms (-1: none). NULL on failure (a message on stderr). Close it
 * with zmq_close. */
void *bw_dealer(void *ctx, const char *endpoint, const bw_curve_t *curve, int hwm,
                int rcvtimeo_ms);

/* Sends the request with request id `id` to `service`; flags may hold
 * ZMQ_DONTWAIT. Returns 0 or -1 (errno from libzmq). */
int bw_send(void *sock, const char *service, uint64_t id, int flags);

/* Receives one whole message. Returns 1 and sets *id when it is the reply
 * to a request bw_send made for `service` (every frame checked), 0 when it
 * is some other message (consumed; counts as a bad reply), or -1 when
 * nothing was received (errno EAGAIN for a timeout or ZMQ_DONTWAIT, EINTR,
 * or a socket error). */
int bw_recv(void *sock, const char *service, uint64_t *id, int flags);

/* Parses a decimal integer option in [min, max]; -1 with a message on
 * stderr otherwise. */
int bw_int_arg(const char *name, const char *value, long min, long max, long *out);

#endif
