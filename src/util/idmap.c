/* u64 -> u32 open addressing (idmap.h). */
#include "util/idmap.h"

#include "util/util.h"

#include <stdlib.h>
#include <string.h>

uint32_t *cd_idmap_slot(cd_idmap *m, uint64_t key, bool insert)
{
    if (insert && (m->n + 1) * 2 > m->cap) {
        cd_idmap nm = {0};
        nm.cap = m->cap ? m->cap * 2 : 64;
        nm.keys = cd_xcalloc(nm.cap, sizeof *nm.keys);
        nm.vals = cd_xcalloc(nm.cap, sizeof *nm.vals);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i]) {
                size_t j = cd_mix64(m->keys[i]) & (nm.cap - 1);
                while (nm.keys[j])
                    j = (j + 1) & (nm.cap - 1);
                nm.keys[j] = m->keys[i];
                nm.vals[j] = m->vals[i];
            }
        nm.n = m->n;
        free(m->keys);
        free(m->vals);
        *m = nm;
    }
    if (!m->cap)
        return NULL;
    size_t j = cd_mix64(key) & (m->cap - 1);
    while (m->keys[j]) {
        if (m->keys[j] == key)
            return &m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    if (!insert)
        return NULL;
    m->keys[j] = key;
    m->n++;
    m->vals[j] = UINT32_MAX;
    return &m->vals[j];
}

void cd_idmap_free(cd_idmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}
