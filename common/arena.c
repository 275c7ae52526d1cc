/* Reply arenas (arena.h). */
#include "arena.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    void *ptr;
    bool unpacked; /* a protobuf-c unpacked message */
} s_block_t;

struct zw_arena {
    s_block_t *blocks;
    size_t n, cap;
};

zw_arena_t *zw_arena_new(void)
{
    return calloc(1, sizeof(zw_arena_t));
}

void zw_arena_destroy(zw_arena_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zw_arena_t *a = *self_p;
    for (size_t i = 0; i < a->n; i++) {
        if (a->blocks[i].unpacked)
            protobuf_c_message_free_unpacked(a->blocks[i].ptr, NULL);
        else
            free(a->blocks[i].ptr);
    }
    free(a->blocks);
    free(a);
    *self_p = NULL;
}

static int s_keep(zw_arena_t *a, void *ptr, bool unpacked)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        s_block_t *nb = realloc(a->blocks, cap * sizeof *nb);
        if (!nb)
            return -1;
        a->blocks = nb;
        a->cap = cap;
    }
    a->blocks[a->n++] = (s_block_t){ptr, unpacked};
    return 0;
}

void *zw_arena_alloc(zw_arena_t *a, size_t size)
{
    if (!a)
        return NULL;
    void *p = calloc(1, size ? size : 1);
    if (p && s_keep(a, p, false) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

char *zw_arena_strdup(zw_arena_t *a, const char *s)
{
    size_t n = strlen(s ? s : "");
    char *p = zw_arena_alloc(a, n + 1);
    if (p)
        memcpy(p, s ? s : "", n);
    return p;
}

int zw_arena_keep_message(zw_arena_t *a, ProtobufCMessage *m)
{
    return a && m ? s_keep(a, m, true) : -1;
}

Zwfw__V1__Timestamp *zw_arena_ts(zw_arena_t *a, int64_t us)
{
    Zwfw__V1__Timestamp *ts = zw_arena_alloc(a, sizeof *ts);
    if (!ts)
        return NULL;
    zwfw__v1__timestamp__init(ts);
    int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    ts->seconds = s;
    ts->nanos = (int32_t) ((us - s * 1000000) * 1000);
    return ts;
}
