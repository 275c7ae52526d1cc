#include "auth_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* A key file is a few hundred bytes; anything much larger is not one. */
#define S_MAX_FILE 65536

static const char s_z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    ".-:+=^!/*?&<>()[]{}@%$#";

bool zw_auth_z85_ok(const char *text)
{
    if (!text || strlen(text) != ZW_AUTH_Z85_LEN)
        return false;
    for (const char *p = text; *p; p++)
        if (!strchr(s_z85_alphabet, *p))
            return false;
    /* Every 5 characters are a base-85 number that must fit 32 bits. */
    uint8_t bin[32];
    return zmq_z85_decode(bin, text) != NULL;
}

bool zw_auth_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > ZW_AUTH_NAME_MAX || name[0] == '.' || name[0] == '-')
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

int zw_auth_keys_generate(zw_auth_keys_t *out, zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (zmq_curve_keypair(out->public_key, out->secret_key) != 0)
        return zw_err_set(err, ZW_INTERNAL, "cannot make a CURVE key pair: %s",
                          zmq_strerror(errno));
    return 0;
}

/* --- parsing ----------------------------------------------------------- */

static void s_trim(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

/* One "name = value" line's value into out; -1 with the reason. */
static int s_value(const char *b, const char *e, char *out, const char *origin, int line,
                   const char *name, zw_err_t *err)
{
    s_trim(&b, &e);
    if (e - b >= 2 && *b == '"' && e[-1] == '"') {
        b++;
        e--;
    }
    size_t n = (size_t) (e - b);
    char text[ZW_AUTH_Z85_LEN + 1];
    if (n == ZW_AUTH_Z85_LEN) {
        memcpy(text, b, n);
        text[n] = '\0';
    }
    if (n != ZW_AUTH_Z85_LEN || !zw_auth_z85_ok(text))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, name,
                           "%s line %d: %s is not a 40-character Z85 key", origin, line, name);
    if (out[0])
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, name, "%s line %d: %s given twice", origin,
                           line, name);
    memcpy(out, text, n + 1);
    return 0;
}

int zw_auth_keys_parse(const char *text, size_t len, const char *origin, bool need_secret,
                       zw_auth_keys_t *out, zw_err_t *err)
{
    zw_auth_keys_t k;
    memset(&k, 0, sizeof k);
    memset(out, 0, sizeof *out);
    if (!origin)
        origin = "key";
    const char *p = text, *end = text + len;
    for (int line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t) (end - p));
        const char *b = p, *e = eol ? eol : end;
        p = eol ? eol + 1 : end;
        s_trim(&b, &e);
        if (b == e || *b == '#')
            continue;
        const char *eq = memchr(b, '=', (size_t) (e - b));
        if (!eq)
            continue; /* a zcert section name ("curve") */
        const char *nb = b, *ne = eq;
        s_trim(&nb, &ne);
        size_t nlen = (size_t) (ne - nb);
        if (nlen == 10 && memcmp(nb, "public-key", 10) == 0) {
            if (s_value(eq + 1, e, k.public_key, origin, line, "public-key", err) != 0)
                return -1;
        } else if (nlen == 10 && memcmp(nb, "secret-key", 10) == 0) {
            if (s_value(eq + 1, e, k.secret_key, origin, line, "secret-key", err) != 0)
                return -1;
        }
    }
    if (!need_secret) {
        if (!k.public_key[0])
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "public-key", "%s: no public-key line",
                               origin);
        memcpy(out->public_key, k.public_key, sizeof k.public_key);
        return 0;
    }
    if (!k.secret_key[0])
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "secret-key",
                           "%s: no secret-key line (is this the public .key file?)", origin);
    char derived[ZW_AUTH_Z85_LEN + 1];
    if (zmq_curve_public(derived, k.secret_key) != 0)
        return zw_err_set(err, ZW_INTERNAL, "%s: cannot derive the public key: %s", origin,
                          zmq_strerror(errno));
    if (k.public_key[0] && strcmp(derived, k.public_key) != 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "public-key",
                           "%s: public-key is not the public key of secret-key", origin);
    memcpy(out->public_key, derived, sizeof derived);
    memcpy(out->secret_key, k.secret_key, sizeof k.secret_key);
    return 0;
}

int zw_auth_keys_load(const char *path, bool need_secret, zw_auth_keys_t *out, zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (!path || !*path)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "path", "no key file named");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return zw_err_setd(err, ZW_NOT_FOUND, "path", "key file %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "path", "key file %s: not a regular file",
                           path);
    }
    char buf[S_MAX_FILE];
    size_t n = 0;
    for (;;) {
        ssize_t got = read(fd, buf + n, sizeof buf - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            close(fd);
            return zw_err_setd(err, ZW_UNAVAILABLE, "path", "key file %s: %s", path, strerror(e));
        }
        if (got == 0)
            break;
        n += (size_t) got;
        if (n == sizeof buf) {
            close(fd);
            return zw_err_setd(err, ZW_INVALID_ARGUMENT, "path",
                               "key file %s: larger than %d bytes", path, S_MAX_FILE);
        }
    }
    close(fd);
    int rc = zw_auth_keys_parse(buf, n, path, need_secret, out, err);
    /* The secret stays in *out only. */
    explicit_bzero(buf, n);
    /* Checked after parsing, so a public file given by mistake is called
     * that rather than "too open". */
    if (rc == 0 && need_secret && (st.st_mode & 077)) {
        memset(out, 0, sizeof *out);
        return zw_err_setd(err, ZW_PERMISSION_DENIED, "path",
                           "secret key file %s may be read by others (mode %04o); chmod 600 it",
                           path, (unsigned) (st.st_mode & 07777));
    }
    return rc;
}

int zw_auth_public_key_load(const char *file_or_z85, char *out, zw_err_t *err)
{
    out[0] = '\0';
    if (!file_or_z85 || !*file_or_z85)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "server_key", "no public key given");
    struct stat st;
    if (stat(file_or_z85, &st) != 0 && zw_auth_z85_ok(file_or_z85)) {
        memcpy(out, file_or_z85, ZW_AUTH_Z85_LEN + 1);
        return 0;
    }
    zw_auth_keys_t k;
    if (zw_auth_keys_load(file_or_z85, false, &k, err) != 0)
        return -1;
    memcpy(out, k.public_key, sizeof k.public_key);
    return 0;
}

int zw_auth_client_load(zw_auth_client_t *out, const char *secret_file, const char *server_key,
                        zw_err_t *err)
{
    memset(out, 0, sizeof *out);
    if (zw_auth_keys_load(secret_file, true, &out->keys, err) != 0 ||
        zw_auth_public_key_load(server_key, out->server_key, err) != 0) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    return 0;
}

/* --- writing ----------------------------------------------------------- */

/* Writes text to a new temporary file in dir with mode, then links it to
 * path: without force link(2) fails if path exists (EEXIST), so an
 * existing file is never replaced; with force rename(2) replaces it
 * atomically. Readers never see a half-written file. */
static int s_write(const char *dir, const char *path, const char *text, mode_t mode, bool force,
                   zw_err_t *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s/.zwfw-key.XXXXXX", dir) >= (int) sizeof tmp)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "dir", "%s: path too long", dir);
    int fd = mkstemp(tmp); /* 0600 */
    if (fd < 0)
        return zw_err_setd(err, ZW_UNAVAILABLE, "dir", "cannot write in %s: %s", dir,
                           strerror(errno));
    size_t len = strlen(text);
    bool ok = fchmod(fd, mode) == 0 && write(fd, text, len) == (ssize_t) len && fsync(fd) == 0;
    int e = errno;
    ok = close(fd) == 0 && ok;
    int rc = 0;
    if (!ok)
        rc = zw_err_setd(err, ZW_UNAVAILABLE, "path", "cannot write %s: %s", path, strerror(e));
    else if (force ? rename(tmp, path) != 0 : link(tmp, path) != 0)
        rc = errno == EEXIST ? zw_err_setd(err, ZW_ALREADY_EXISTS, "path",
                                           "%s exists (--force replaces it)", path)
                             : zw_err_setd(err, ZW_UNAVAILABLE, "path", "cannot write %s: %s", path,
                                           strerror(errno));
    if (rc != 0 || !force)
        unlink(tmp);
    return rc;
}

int zw_auth_keys_save(const zw_auth_keys_t *keys, const char *dir, const char *name, bool force,
                      zw_err_t *err)
{
    if (!zw_auth_name_ok(name))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "name",
                           "bad key name '%s': 1-%d characters of A-Z a-z 0-9 . _ -, not "
                           "starting with . or -",
                           name ? name : "", ZW_AUTH_NAME_MAX);
    if (!zw_auth_z85_ok(keys->public_key) || !zw_auth_z85_ok(keys->secret_key))
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "keys", "not a complete key pair");
    if (!dir || !*dir)
        dir = ".";
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return zw_err_setd(err, ZW_UNAVAILABLE, "dir", "cannot create %s: %s", dir,
                           strerror(errno));
    char pub[PATH_MAX], sec[PATH_MAX];
    if (snprintf(pub, sizeof pub, "%s/%s.key", dir, name) >= (int) sizeof pub ||
        snprintf(sec, sizeof sec, "%s/%s.secret", dir, name) >= (int) sizeof sec)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "dir", "%s: path too long", dir);
    struct stat st;
    if (!force && (lstat(sec, &st) == 0 || lstat(pub, &st) == 0))
        return zw_err_setd(err, ZW_ALREADY_EXISTS, "path", "%s exists (--force replaces it)",
                           lstat(sec, &st) == 0 ? sec : pub);
    char text[512];
    snprintf(text, sizeof text,
             "# zwfw CURVE key pair \"%s\": the SECRET key. Keep this file private (mode\n"
             "# 0600) on the machine that uses it; give out %s.key instead.\n"
             "public-key = \"%s\"\n"
             "secret-key = \"%s\"\n",
             name, name, keys->public_key, keys->secret_key);
    int rc = s_write(dir, sec, text, 0600, force, err);
    memset(text, 0, sizeof text);
    if (rc != 0)
        return -1;
    snprintf(text, sizeof text,
             "# zwfw CURVE public key \"%s\": register it, or give it to whoever must\n"
             "# trust this key.\n"
             "public-key = \"%s\"\n",
             name, keys->public_key);
    if (s_write(dir, pub, text, 0644, force, err) != 0) {
        if (!force)
            unlink(sec); /* ours: it did not exist a moment ago */
        return -1;
    }
    return 0;
}

/* --- sockets ----------------------------------------------------------- */

int zw_auth_client_apply(const zw_auth_client_t *c, void *socket, zw_err_t *err)
{
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, c->server_key, ZW_AUTH_Z85_LEN) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, c->keys.public_key, ZW_AUTH_Z85_LEN) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, c->keys.secret_key, ZW_AUTH_Z85_LEN) != 0)
        return zw_err_set(err, ZW_INTERNAL, "cannot set CURVE client keys: %s",
                          zmq_strerror(errno));
    return 0;
}

int zw_auth_client_hook(void *socket, void *arg)
{
    return arg ? zw_auth_client_apply(arg, socket, NULL) : -1;
}

int zw_auth_server_apply(const zw_auth_keys_t *keys, void *socket, const char *domain,
                         zw_err_t *err)
{
    int one = 1;
    if (!domain)
        domain = "zwfw";
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, keys->secret_key, ZW_AUTH_Z85_LEN) != 0 ||
        zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, domain, strlen(domain)) != 0)
        return zw_err_set(err, ZW_INTERNAL, "cannot make a CURVE server socket: %s",
                          zmq_strerror(errno));
    return 0;
}
