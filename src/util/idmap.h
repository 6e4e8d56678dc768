/* cd_idmap: u64 key -> u32 value, open addressing with linear probing (trace/leaks.c and
 * trace/lockorder.c: stack hashes, tids, lock addresses -> indexes into their arrays). Key 0 is
 * never stored (the callers' keys are addresses, tids and hashes forced odd). No deletion. */
#ifndef CDBG_UTIL_IDMAP_H
#define CDBG_UTIL_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cd_idmap {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, n;
} cd_idmap;

/* A 64-bit mix (murmur3's finaliser): the map's hash, and its callers' for keys they build. */
static inline uint64_t cd_mix64(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

/* The value slot of key: NULL when absent and !insert; with insert a new key's slot holds
 * UINT32_MAX (the caller stores its index there). A slot stays valid until the next insert. */
uint32_t *cd_idmap_slot(cd_idmap *m, uint64_t key, bool insert);
void cd_idmap_free(cd_idmap *m);

#endif
