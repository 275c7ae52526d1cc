/* zw_arena: the messages of one reply, built piece by piece and freed in
 * one call whatever their shape (a reply of nested protobuf-c messages
 * would otherwise need a free for every string and array). */
#ifndef ZW_ARENA_H
#define ZW_ARENA_H

#include "zwfw/v1/common.pb-c.h"

#include <stddef.h>
#include <stdint.h>

typedef struct zw_arena zw_arena_t;

/* NULL when out of memory. */
zw_arena_t *zw_arena_new(void);
/* Frees everything the arena holds. Accepts NULL; NULLs *self_p. */
void zw_arena_destroy(zw_arena_t **self_p);
/* Zeroed memory owned by the arena; NULL when out of memory (or a NULL
 * arena). */
void *zw_arena_alloc(zw_arena_t *a, size_t size);
/* A copy of s ("" for NULL) owned by the arena; NULL when out of memory. */
char *zw_arena_strdup(zw_arena_t *a, const char *s);
/* Hands an unpacked message (protobuf-c's own allocation) to the arena,
 * which frees it with protobuf_c_message_free_unpacked; -1 when out of
 * memory (the message is then still the caller's). */
int zw_arena_keep_message(zw_arena_t *a, ProtobufCMessage *m);
/* A Timestamp of `us` microseconds since the epoch (negative too). */
Zwfw__V1__Timestamp *zw_arena_ts(zw_arena_t *a, int64_t us);

#endif
