/* The catalog items that batches of submissions read last, packed
 * (zwfw.v1.Item), by implementation code: what a batch guesses its items
 * are, so it needs no read before its writes (intake_submit.c, "guessed
 * reads"). A hint, never the truth: every batch built from it is checked
 * at its commit, and a catalog change only costs the next batch a read.
 * One per process, shared by the batching lanes; thread-safe. */
#ifndef ZW_INTAKE_ITEM_CACHE_H
#define ZW_INTAKE_ITEM_CACHE_H

#include <stddef.h>
#include <stdint.h>

/* Keeps a copy of the packed item as the one for code (replacing any).
 * Silently keeps nothing when out of memory or full: a miss costs a read. */
void zw_intake_item_cache_put(const char *code, const uint8_t *data, size_t len);

/* Forgets code (a read found no such item). */
void zw_intake_item_cache_drop(const char *code);

/* A malloc'd copy of the packed item held for code (the caller frees it),
 * or NULL when none is held. */
uint8_t *zw_intake_item_cache_get(const char *code, size_t *len);

/* Forgets every item (tests; a daemon never needs to). */
void zw_intake_item_cache_clear(void);

#endif
