/* Process and raw-frame plumbing for the integration tests (zwproc.h). */
#include "zwproc.h"

#include "zwtest.h"

#include "clock.h"
#include "mdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

extern char **environ;

pid_t zwt_proc_spawn(const char *prog, char *const argv[], const zwt_proc_io_t *io)
{
    /* Everything the child needs is computed before fork: it only opens
     * files and execs. */
    char path[1024];
    snprintf(path, sizeof path, "%s", strchr(prog, '/') ? prog : zwt_bin_path(prog));
    char *const *envp = io->envp ? io->envp : environ;
    int mode = O_WRONLY | O_CREAT | (io->append ? O_APPEND : O_TRUNC);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The parent may have died before prctl: then nobody would kill us. */
    if (getppid() != parent)
        _exit(127);
    int in = open(io->in ? io->in : "/dev/null", O_RDONLY);
    int out = open(io->out, mode, 0644);
    int err = io->err ? open(io->err, mode, 0644) : out;
    if (in < 0 || out < 0 || err < 0)
        _exit(127);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    execve(path, argv, envp);
    _exit(127);
}

pid_t zwt_proc_start(const char *prog, char *const argv[], const char *log)
{
    zwt_proc_io_t io = {.out = log, .append = true};
    return zwt_proc_spawn(prog, argv, &io);
}

int zwt_proc_wait(pid_t pid, int timeout_ms)
{
    int64_t end = zw_mono_ms() + timeout_ms;
    for (;;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 || zw_mono_ms() >= end)
            return -1;
        zwt_nap(10);
    }
}

static bool s_exited_0(int status)
{
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool zwt_proc_stop(pid_t *pid, int timeout_ms, const char *what)
{
    if (*pid <= 0)
        return true;
    kill(*pid, SIGTERM);
    int status = zwt_proc_wait(*pid, timeout_ms);
    if (status == -1) {
        fprintf(stderr, "%s did not stop on SIGTERM\n", what);
        kill(*pid, SIGKILL);
        waitpid(*pid, NULL, 0);
        *pid = 0;
        return false;
    }
    *pid = 0;
    if (!s_exited_0(status)) {
        fprintf(stderr, "%s exit: %s %d\n", what, WIFEXITED(status) ? "status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        return false;
    }
    return true;
}

void zwt_proc_kill(pid_t *pid)
{
    if (*pid <= 0)
        return;
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = 0;
}

void zwt_dump_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[2048];
    fprintf(stderr, "---- %s\n", path);
    while (fgets(line, sizeof line, f))
        fputs(line, stderr);
    fclose(f);
}

bool zwt_file_has(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = size >= 0 ? malloc((size_t) size + 1) : NULL;
    size_t n = buf ? fread(buf, 1, (size_t) size, f) : 0;
    fclose(f);
    if (!buf)
        return false;
    buf[n] = '\0';
    bool found = strstr(buf, needle) != NULL;
    free(buf);
    return found;
}

void zwt_nap(int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The lowest port the kernel hands out to outgoing connections. */
static int s_ephemeral_low(void)
{
    int low = 32768, high = 0;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    if (f) {
        if (fscanf(f, "%d %d", &low, &high) != 2)
            low = 32768;
        fclose(f);
    }
    return low > 21000 ? low : 50000;
}

/* A port that is free now, below the ephemeral range: a port the kernel
 * chose (bind to 0) lies inside it, where any client socket of a test may
 * take it as its own local port before the daemon binds it. */
int zwt_free_port(void)
{
    static unsigned seed;
    if (!seed)
        seed = (unsigned) getpid() ^ (unsigned) time(NULL);
    int low = s_ephemeral_low();
    for (int attempt = 0; attempt < 500; attempt++) {
        int port = 20000 + (int) (rand_r(&seed) % (unsigned) (low - 20000));
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            fail_msg("no socket: %s", strerror(errno));
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t) port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int ok = bind(fd, (struct sockaddr *) &a, sizeof a) == 0;
        close(fd);
        if (ok)
            return port;
    }
    fail_msg("no free port below %d", low);
    return -1;
}

void zwt_free_endpoint(char *out, size_t outsz)
{
    snprintf(out, outsz, "tcp://127.0.0.1:%d", zwt_free_port());
}

void zwt_msg_free(zwt_msg_t *m)
{
    for (size_t i = 0; i < m->n && i < ZWT_MAX_FRAMES; i++)
        free(m->data[i]);
    memset(m, 0, sizeof *m);
}

void zwt_sendv(void *sock, int flags, size_t n, const void *const *data, const size_t *len)
{
    for (size_t i = 0; i < n; i++)
        assert_true(zmq_send(sock, data[i], len[i], flags | (i + 1 < n ? ZMQ_SNDMORE : 0)) >= 0);
}

void zwt_send(void *sock, int flags, ...)
{
    const void *data[ZWT_MAX_FRAMES];
    size_t len[ZWT_MAX_FRAMES];
    size_t n = 0;
    va_list ap;
    va_start(ap, flags);
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL && n < ZWT_MAX_FRAMES) {
        data[n] = s;
        len[n++] = strlen(s);
    }
    va_end(ap);
    zwt_sendv(sock, flags, n, data, len);
}

bool zwt_recv(void *sock, int timeout_ms, zwt_msg_t *m)
{
    memset(m, 0, sizeof *m);
    zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return false;
    int more = 1;
    while (more) {
        zmq_msg_t f;
        zmq_msg_init(&f);
        if (zmq_msg_recv(&f, sock, 0) < 0) {
            zmq_msg_close(&f);
            return false;
        }
        if (m->n < ZWT_MAX_FRAMES) {
            m->len[m->n] = zmq_msg_size(&f);
            m->data[m->n] = malloc(m->len[m->n] + 1);
            memcpy(m->data[m->n], zmq_msg_data(&f), m->len[m->n]);
            m->data[m->n][m->len[m->n]] = '\0';
        }
        m->n++;
        more = zmq_msg_more(&f);
        zmq_msg_close(&f);
    }
    return true;
}

bool zwt_is(const zwt_msg_t *m, size_t i, const char *s)
{
    return i < m->n && m->len[i] == strlen(s) && memcmp(m->data[i], s, m->len[i]) == 0;
}

const char *zwt_mmi(void *client, int flags, const char *service, int timeout_ms)
{
    static char code[8];
    zwt_send(client, flags, "", ZW_MDP_CLIENT, ZW_MMI_SERVICE, service, NULL);
    zwt_msg_t m;
    if (!zwt_recv(client, timeout_ms, &m))
        return NULL;
    bool ok = m.n == 4 && zwt_is(&m, 1, ZW_MDP_CLIENT) && zwt_is(&m, 2, ZW_MMI_SERVICE);
    snprintf(code, sizeof code, "%s", ok ? m.data[3] : "bad");
    zwt_msg_free(&m);
    return code;
}

bool zwt_wait_mmi(void *client, int flags, const char *service, const char *want, int timeout_ms)
{
    int64_t end = zw_mono_ms() + timeout_ms;
    while (zw_mono_ms() < end) {
        const char *code = zwt_mmi(client, flags, service, (int) (end - zw_mono_ms()) + 1);
        if (code && strcmp(code, want) == 0)
            return true;
        if (!code)
            return false;
        zwt_nap(20);
    }
    return false;
}
