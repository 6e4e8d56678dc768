#include "symbols/symbols_internal.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(uint64_t key, size_t cap)
{
    /* Fibonacci hashing spreads PCs (which share high bits and alignment) over the table. */
    return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

void *cd_u64map_get(const cd_u64map *m, uint64_t key, bool *found)
{
    *found = false;
    if (!m->cap || key == 0)
        return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) {
            *found = true;
            return m->vals[i];
        }
        if (m->keys[i] == 0)
            return NULL;
    }
}

static void grow(cd_u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 256;
    uint64_t *keys = cd_xcalloc(ncap, sizeof *keys);
    void **vals = cd_xcalloc(ncap, sizeof *vals);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t j = slot_of(m->keys[i], ncap);
        while (keys[j])
            j = (j + 1) & (ncap - 1);
        keys[j] = m->keys[i];
        vals[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = ncap;
}

void cd_u64map_put(cd_u64map *m, uint64_t key, void *val)
{
    if (key == 0)
        return;
    if ((m->n + 1) * 2 > m->cap)
        grow(m);
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
}

void cd_u64map_clear(cd_u64map *m, void (*fn)(void *))
{
    for (size_t i = 0; i < m->cap; i++) {
        if (m->keys[i] && fn)
            fn(m->vals[i]);
        m->keys[i] = 0;
        m->vals[i] = NULL;
    }
    m->n = 0;
}

void cd_u64map_free(cd_u64map *m, void (*fn)(void *))
{
    cd_u64map_clear(m, fn);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
