/* zw_bmap: a hash map from byte strings to pointers, for the broker's
 * services (by name) and workers (by routing id).
 *
 * Open addressing with linear probing and backward-shift deletion, so
 * lookups touch one or two cache lines and deletions leave no tombstones.
 * Keys are hashed with SipHash-1-3 under a random per-map key, so peers who
 * choose service names or routing ids cannot force collisions.
 *
 * The map does not copy keys: a key must stay valid and unchanged while its
 * entry is in the map (the broker points it at the name or id stored in the
 * value itself). The map never frees values. */
#ifndef ZW_BMAP_H
#define ZW_BMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct zw_bmap zw_bmap_t;

/* Returns NULL when out of memory. */
zw_bmap_t *zw_bmap_new(void);
/* Frees the table only; values belong to the caller. */
void zw_bmap_destroy(zw_bmap_t **self_p);

/* The value stored under key, or NULL. */
void *zw_bmap_get(const zw_bmap_t *self, const void *key, size_t len);
/* Stores value (not NULL) under key, replacing any value already there.
 * Returns 0, or -1 when out of memory (the map is then unchanged). */
int zw_bmap_put(zw_bmap_t *self, const void *key, size_t len, void *value);
/* Removes key; returns the value it held, or NULL if it was absent. */
void *zw_bmap_remove(zw_bmap_t *self, const void *key, size_t len);

size_t zw_bmap_size(const zw_bmap_t *self);

/* Iteration: start with *pos = 0; each call returns the next value and
 * advances *pos, or NULL at the end. The map must not change meanwhile. */
void *zw_bmap_next(const zw_bmap_t *self, size_t *pos);

#endif
