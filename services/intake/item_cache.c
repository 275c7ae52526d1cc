/* A chained hash table under one mutex: a batch takes it once per item. */
#include "item_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define S_BUCKETS 1024
/* More items than any catalog of one district holds; past it, misses. */
#define S_MAX_ITEMS 20000

typedef struct s_entry {
    struct s_entry *next;
    char *code;
    uint8_t *data;
    size_t len;
} s_entry_t;

static pthread_mutex_t s_mu = PTHREAD_MUTEX_INITIALIZER;
static s_entry_t *s_table[S_BUCKETS];
static size_t s_count;

static size_t s_bucket(const char *code)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *) code; *p; p++)
        h = (h ^ *p) * 16777619u;
    return h % S_BUCKETS;
}

static s_entry_t **s_find(const char *code)
{
    s_entry_t **e = &s_table[s_bucket(code)];
    while (*e && strcmp((*e)->code, code) != 0)
        e = &(*e)->next;
    return e;
}

static void s_free(s_entry_t *e)
{
    free(e->code);
    free(e->data);
    free(e);
}

void zw_intake_item_cache_put(const char *code, const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return;
    memcpy(copy, data, len);
    pthread_mutex_lock(&s_mu);
    s_entry_t **e = s_find(code);
    if (*e) {
        free((*e)->data);
        (*e)->data = copy;
        (*e)->len = len;
        copy = NULL;
    } else if (s_count < S_MAX_ITEMS) {
        s_entry_t *n = calloc(1, sizeof *n);
        if (n && (n->code = strdup(code))) {
            n->data = copy;
            n->len = len;
            *e = n;
            s_count++;
            copy = NULL;
        } else {
            free(n);
        }
    }
    pthread_mutex_unlock(&s_mu);
    free(copy);
}

void zw_intake_item_cache_drop(const char *code)
{
    pthread_mutex_lock(&s_mu);
    s_entry_t **e = s_find(code), *gone = *e;
    if (gone) {
        *e = gone->next;
        s_count--;
    }
    pthread_mutex_unlock(&s_mu);
    if (gone)
        s_free(gone);
}

uint8_t *zw_intake_item_cache_get(const char *code, size_t *len)
{
    uint8_t *out = NULL;
    pthread_mutex_lock(&s_mu);
    s_entry_t *e = *s_find(code);
    if (e && (out = malloc(e->len ? e->len : 1))) {
        memcpy(out, e->data, e->len);
        *len = e->len;
    }
    pthread_mutex_unlock(&s_mu);
    return out;
}

void zw_intake_item_cache_clear(void)
{
    pthread_mutex_lock(&s_mu);
    for (size_t i = 0; i < S_BUCKETS; i++)
        while (s_table[i]) {
            s_entry_t *e = s_table[i];
            s_table[i] = e->next;
            s_free(e);
        }
    s_count = 0;
    pthread_mutex_unlock(&s_mu);
}
