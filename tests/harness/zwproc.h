/* Process and raw-frame plumbing shared by the integration tests: daemons
 * as child processes, free loopback ports, bounded waits for exits, and
 * MDP frames sent and received by hand. Not part of libzwfw. */
#ifndef ZWPROC_H
#define ZWPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ------------------------------------------------------------ processes */

/* Where a child's standard streams go. */
typedef struct {
    const char *out;   /* stdout file, created if missing (required) */
    const char *err;   /* stderr file; NULL: the same file as out */
    const char *in;    /* stdin file; NULL: /dev/null */
    bool append;       /* append to out/err rather than truncate them */
    char *const *envp; /* the child's environment; NULL: ours */
} zwt_proc_io_t;

/* Starts `prog` (a name in the bin dir, or a path when it holds a '/')
 * with argv (NULL-terminated; argv[0] is passed as is). The child dies with
 * the test process (PR_SET_PDEATHSIG). Fails the test if fork fails; a
 * child that cannot open its files or exec exits 127. */
pid_t zwt_proc_spawn(const char *prog, char *const argv[], const zwt_proc_io_t *io);

/* zwt_proc_spawn with stdout and stderr appended to log, stdin /dev/null. */
pid_t zwt_proc_start(const char *prog, char *const argv[], const char *log);

/* Waits up to timeout_ms for pid to exit: its wait status, or -1 if it is
 * still running (or is not our child). */
int zwt_proc_wait(pid_t pid, int timeout_ms);

/* SIGTERM *pid and waits up to timeout_ms, SIGKILLing on timeout; sets
 * *pid to 0. True only for a clean exit 0 (under the sanitizers: no leak,
 * no undefined behaviour); otherwise says why on stderr, naming `what`.
 * *pid <= 0 is a no-op that returns true. */
bool zwt_proc_stop(pid_t *pid, int timeout_ms, const char *what);

/* SIGKILLs and reaps *pid if it is > 0, then sets it to 0. */
void zwt_proc_kill(pid_t *pid);

/* Copies a file (a daemon's log) to stderr under a "---- path" line;
 * nothing if it cannot be read. */
void zwt_dump_file(const char *path);

/* True if the file at path (a log) holds needle; false if it cannot be
 * read. */
bool zwt_file_has(const char *path, const char *needle);

/* ------------------------------------------------------------ time */

/* Sleeps ms milliseconds (any value, seconds included). */
void zwt_nap(int ms);

/* ------------------------------------------------------------ network */

/* A TCP port on 127.0.0.1 that was free a moment ago; fails the test if
 * none can be had. */
int zwt_free_port(void);

/* "tcp://127.0.0.1:PORT" with a free port, into out. */
void zwt_free_endpoint(char *out, size_t outsz);

/* ------------------------------------------------------------ raw frames */

#define ZWT_MAX_FRAMES 32

/* One multipart message; frames past ZWT_MAX_FRAMES are counted in n but
 * not kept. */
typedef struct {
    size_t n;
    size_t len[ZWT_MAX_FRAMES];
    char *data[ZWT_MAX_FRAMES]; /* NUL-terminated malloc'd copies */
} zwt_msg_t;

/* Frees the copies and zeroes m. */
void zwt_msg_free(zwt_msg_t *m);

/* Sends n frames given as (data, len) pairs, each with zmq flags `flags`
 * (ZMQ_SNDMORE is added as needed); asserts each send succeeds. */
void zwt_sendv(void *sock, int flags, size_t n, const void *const *data, const size_t *len);

/* Sends NUL-terminated strings as frames, up to a NULL. */
void zwt_send(void *sock, int flags, ...);

/* Receives one message within timeout_ms into m (the caller frees it with
 * zwt_msg_free); false on timeout or error. */
bool zwt_recv(void *sock, int timeout_ms, zwt_msg_t *m);

/* True if frame i of m exists and equals s. */
bool zwt_is(const zwt_msg_t *m, size_t i, const char *s);

/* Asks mmi.service about `service` over a raw client socket (DEALER or REQ)
 * (sends with `flags`): the status ("200", "404"; "bad" for a malformed
 * reply) in a static buffer, or NULL when nothing came within timeout_ms. */
const char *zwt_mmi(void *client, int flags, const char *service, int timeout_ms);

/* Polls zwt_mmi every 20 ms until it says `want`; false on timeout or when
 * a query goes unanswered. */
bool zwt_wait_mmi(void *client, int flags, const char *service, const char *want, int timeout_ms);

#endif
