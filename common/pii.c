#include "pii.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S_KDF_CONTEXT "zwfw-pii" /* crypto_kdf_CONTEXTBYTES == 8 */

struct zw_pii {
    uint8_t enc[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    uint8_t mac[crypto_generichash_KEYBYTES];
};

zw_pii_t *zw_pii_new(const uint8_t key[ZW_PII_KEY_BYTES])
{
    if (sodium_init() < 0)
        return NULL;
    zw_pii_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    sodium_mlock(self, sizeof *self); /* best effort: may be refused by RLIMIT_MEMLOCK */
    if (crypto_kdf_derive_from_key(self->enc, sizeof self->enc, 1, S_KDF_CONTEXT, key) != 0 ||
        crypto_kdf_derive_from_key(self->mac, sizeof self->mac, 2, S_KDF_CONTEXT, key) != 0) {
        zw_pii_destroy(&self);
        return NULL;
    }
    return self;
}

void zw_pii_destroy(zw_pii_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sodium_munlock(*self_p, sizeof **self_p); /* also zeroes it */
    free(*self_p);
    *self_p = NULL;
}

zw_pii_t *zw_pii_load(const char *path, zw_err_t *err)
{
    if (!path || !*path) {
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "pii_key_file", "no data key file configured");
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        zw_err_setd(err, ZW_NOT_FOUND, "pii_key_file", "cannot read data key file %.200s: %s", path,
                    strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 077)) {
        close(fd);
        zw_err_setd(err, ZW_PERMISSION_DENIED, "pii_key_file",
                    "data key file %.200s must be readable by its owner only (chmod 600)", path);
        return NULL;
    }
    char text[130];
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    size_t len = n > 0 ? (size_t) n : 0;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    text[len] = '\0';
    uint8_t key[ZW_PII_KEY_BYTES];
    size_t got = 0;
    if (sodium_init() < 0 || len != 2 * ZW_PII_KEY_BYTES ||
        sodium_hex2bin(key, sizeof key, text, len, NULL, &got, NULL) != 0 ||
        got != ZW_PII_KEY_BYTES) {
        sodium_memzero(text, sizeof text);
        zw_err_setd(err, ZW_INVALID_ARGUMENT, "pii_key_file",
                    "data key file %.200s must hold 64 hex digits", path);
        return NULL;
    }
    sodium_memzero(text, sizeof text);
    zw_pii_t *self = zw_pii_new(key);
    sodium_memzero(key, sizeof key);
    if (!self)
        zw_err_set(err, ZW_INTERNAL, "libsodium failed to start");
    return self;
}

int zw_pii_keygen(const char *path, zw_err_t *err)
{
    if (sodium_init() < 0)
        return zw_err_set(err, ZW_INTERNAL, "libsodium failed to start");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return zw_err_set(err, errno == EEXIST ? ZW_ALREADY_EXISTS : ZW_UNAVAILABLE,
                          "cannot create %.200s: %s", path, strerror(errno));
    uint8_t key[ZW_PII_KEY_BYTES];
    char hex[2 * ZW_PII_KEY_BYTES + 2];
    randombytes_buf(key, sizeof key);
    sodium_bin2hex(hex, sizeof hex, key, sizeof key);
    sodium_memzero(key, sizeof key);
    size_t len = strlen(hex);
    hex[len++] = '\n';
    bool ok = write(fd, hex, len) == (ssize_t) len;
    sodium_memzero(hex, sizeof hex);
    if (close(fd) != 0 || !ok) {
        unlink(path);
        return zw_err_set(err, ZW_UNAVAILABLE, "cannot write %.200s", path);
    }
    return 0;
}

void zw_pii_hash(const zw_pii_t *self, const char *label, const char *text,
                 uint8_t out[ZW_PII_HASH_BYTES])
{
    zw_pii_hash_bytes(self, label, text, strlen(text), out);
}

void zw_pii_hash_bytes(const zw_pii_t *self, const char *label, const void *data, size_t len,
                       uint8_t out[ZW_PII_HASH_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, self->mac, sizeof self->mac, ZW_PII_HASH_BYTES);
    /* label, a separator that text of either cannot forge, then the text */
    crypto_generichash_update(&st, (const uint8_t *) label, strlen(label));
    crypto_generichash_update(&st, (const uint8_t *) "\0", 1);
    crypto_generichash_update(&st, (const uint8_t *) data, len);
    crypto_generichash_final(&st, out, ZW_PII_HASH_BYTES);
}

int zw_pii_seal(const zw_pii_t *self, const char *label, const char *text, uint8_t **out,
                size_t *outlen, zw_err_t *err)
{
    size_t len = strlen(text);
    uint8_t *buf = malloc(len + ZW_PII_OVERHEAD);
    if (!buf)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    uint8_t *nonce = buf;
    randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        buf + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, (const uint8_t *) text, len,
        (const uint8_t *) label, strlen(label), NULL, nonce, self->enc);
    *out = buf;
    *outlen = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + (size_t) clen;
    return 0;
}

char *zw_pii_open(const zw_pii_t *self, const char *label, const uint8_t *in, size_t len,
                  zw_err_t *err)
{
    if (!in || len < ZW_PII_OVERHEAD) {
        zw_err_set(err, ZW_DATA_LOSS, "a sealed %s value is too short", label);
        return NULL;
    }
    size_t plen = len - ZW_PII_OVERHEAD;
    char *text = malloc(plen + 1);
    if (!text) {
        zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    unsigned long long got = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            (uint8_t *) text, &got, NULL, in + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
            len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, (const uint8_t *) label,
            strlen(label), in, self->enc) != 0) {
        free(text);
        zw_err_set(err, ZW_DATA_LOSS, "a sealed %s value does not open (wrong data key?)", label);
        return NULL;
    }
    text[got] = '\0';
    return text;
}

char *zw_pii_hex(const uint8_t *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int s_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint8_t *zw_pii_unhex(const char *hex, size_t *len)
{
    if (!hex)
        return NULL;
    if (hex[0] == '\\' && hex[1] == 'x')
        hex += 2;
    size_t n = strlen(hex);
    if (n % 2)
        return NULL;
    uint8_t *out = malloc(n / 2 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = s_nibble(hex[2 * i]), lo = s_nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(out);
            return NULL;
        }
        out[i] = (uint8_t) (hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}
