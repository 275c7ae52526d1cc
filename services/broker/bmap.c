#include "bmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

typedef struct {
    uint64_t hash;
    const void *key;
    size_t len;
    void *value; /* NULL marks an empty slot */
} s_slot_t;

struct zw_bmap {
    s_slot_t *slots;
    size_t mask; /* capacity - 1; capacity is a power of two */
    size_t count;
    uint64_t k0, k1;
};

#define S_MIN_CAPACITY 16

static inline uint64_t s_rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define S_SIPROUND                                                                                 \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = s_rotl(v1, 13);                                                                       \
        v1 ^= v0;                                                                                  \
        v0 = s_rotl(v0, 32);                                                                       \
        v2 += v3;                                                                                  \
        v3 = s_rotl(v3, 16);                                                                       \
        v3 ^= v2;                                                                                  \
        v0 += v3;                                                                                  \
        v3 = s_rotl(v3, 21);                                                                       \
        v3 ^= v0;                                                                                  \
        v2 += v1;                                                                                  \
        v1 = s_rotl(v1, 17);                                                                       \
        v1 ^= v2;                                                                                  \
        v2 = s_rotl(v2, 32);                                                                       \
    } while (0)

/* SipHash-1-3: keyed, so collisions cannot be precomputed by a peer. */
static uint64_t s_hash(const zw_bmap_t *self, const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t v0 = self->k0 ^ 0x736f6d6570736575ULL;
    uint64_t v1 = self->k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = self->k0 ^ 0x6c7967656e657261ULL;
    uint64_t v3 = self->k1 ^ 0x7465646279746573ULL;
    size_t left = len;
    while (left >= 8) {
        uint64_t m = 0;
        for (int i = 0; i < 8; i++)
            m |= (uint64_t) p[i] << (8 * i);
        v3 ^= m;
        S_SIPROUND;
        v0 ^= m;
        p += 8;
        left -= 8;
    }
    uint64_t b = (uint64_t) len << 56;
    for (size_t i = 0; i < left; i++)
        b |= (uint64_t) p[i] << (8 * i);
    v3 ^= b;
    S_SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    S_SIPROUND;
    S_SIPROUND;
    S_SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

zw_bmap_t *zw_bmap_new(void)
{
    zw_bmap_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->slots = calloc(S_MIN_CAPACITY, sizeof *self->slots);
    if (!self->slots) {
        free(self);
        return NULL;
    }
    self->mask = S_MIN_CAPACITY - 1;
    uint64_t seed[2];
    if (getrandom(seed, sizeof seed, GRND_NONBLOCK) != (ssize_t) sizeof seed) {
        /* Entropy not ready this early: a weaker seed still spreads keys. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed[0] = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t) (uintptr_t) self;
        seed[1] = (uint64_t) ts.tv_sec * 0xc2b2ae3d27d4eb4fULL ^ (uint64_t) (uintptr_t) &ts;
    }
    self->k0 = seed[0];
    self->k1 = seed[1];
    return self;
}

void zw_bmap_destroy(zw_bmap_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free((*self_p)->slots);
    free(*self_p);
    *self_p = NULL;
}

/* Index of key's slot, or of the empty slot where it would go. */
static size_t s_find(const zw_bmap_t *self, uint64_t hash, const void *key, size_t len)
{
    size_t i = (size_t) hash & self->mask;
    for (;;) {
        const s_slot_t *s = &self->slots[i];
        if (!s->value)
            return i;
        if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
            return i;
        i = (i + 1) & self->mask;
    }
}

static int s_grow(zw_bmap_t *self)
{
    size_t capacity = (self->mask + 1) * 2;
    s_slot_t *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return -1;
    s_slot_t *old = self->slots;
    size_t old_capacity = self->mask + 1;
    self->slots = slots;
    self->mask = capacity - 1;
    for (size_t i = 0; i < old_capacity; i++) {
        if (!old[i].value)
            continue;
        size_t j = (size_t) old[i].hash & self->mask;
        while (slots[j].value)
            j = (j + 1) & self->mask;
        slots[j] = old[i];
    }
    free(old);
    return 0;
}

void *zw_bmap_get(const zw_bmap_t *self, const void *key, size_t len)
{
    return self->slots[s_find(self, s_hash(self, key, len), key, len)].value;
}

int zw_bmap_put(zw_bmap_t *self, const void *key, size_t len, void *value)
{
    if (!value)
        return -1;
    uint64_t hash = s_hash(self, key, len);
    size_t i = s_find(self, hash, key, len);
    if (self->slots[i].value) {
        self->slots[i].key = key;
        self->slots[i].value = value;
        return 0;
    }
    /* Keep the load under 3/4 so probe runs stay short. */
    if ((self->count + 1) * 4 > (self->mask + 1) * 3) {
        if (s_grow(self) != 0)
            return -1;
        i = s_find(self, hash, key, len);
    }
    self->slots[i] = (s_slot_t){hash, key, len, value};
    self->count++;
    return 0;
}

void *zw_bmap_remove(zw_bmap_t *self, const void *key, size_t len)
{
    size_t i = s_find(self, s_hash(self, key, len), key, len);
    void *value = self->slots[i].value;
    if (!value)
        return NULL;
    /* Backward-shift: pull later members of the probe run into the hole so
     * every key stays reachable from its home slot without tombstones. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & self->mask;
        s_slot_t *s = &self->slots[j];
        if (!s->value)
            break;
        size_t home = (size_t) s->hash & self->mask;
        if (((j - home) & self->mask) >= ((j - i) & self->mask)) {
            self->slots[i] = *s;
            i = j;
        }
    }
    self->slots[i] = (s_slot_t){0, NULL, 0, NULL};
    self->count--;
    return value;
}

size_t zw_bmap_size(const zw_bmap_t *self)
{
    return self->count;
}

void *zw_bmap_next(const zw_bmap_t *self, size_t *pos)
{
    while (*pos <= self->mask) {
        void *value = self->slots[(*pos)++].value;
        if (value)
            return value;
    }
    return NULL;
}
