/* src/util/idmap: cd_idmap against a plain array of the same keys, across many growths, with keys
 * that share their low bits (addresses a page apart) and found/absent lookups. */
#include "util/idmap.h"

#include <stdio.h>

static int fails;

#define N 20000

static uint64_t key_of(uint32_t i)
{
    return (uint64_t)(i + 1) << 12; /* page-aligned: all low bits equal */
}

int main(void)
{
    cd_idmap m = {0};
    if (cd_idmap_slot(&m, 42, false)) {
        printf("FAIL: an empty map found key 42\n");
        fails++;
    }
    for (uint32_t i = 0; i < N; i++) {
        uint32_t *v = cd_idmap_slot(&m, key_of(i), true);
        if (!v || *v != UINT32_MAX) {
            printf("FAIL: new key %u: slot %s\n", i, v ? "not UINT32_MAX" : "NULL");
            fails++;
            break;
        }
        *v = i;
        /* a second insert of the same key finds that entry, not a new one (it may grow the map:
         * the slot is read again) */
        uint32_t *again = cd_idmap_slot(&m, key_of(i), true);
        if (!again || *again != i || m.n != (size_t)i + 1) {
            printf("FAIL: key %u inserted twice (n %zu)\n", i, m.n);
            fails++;
            break;
        }
    }
    size_t bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t *v = cd_idmap_slot(&m, key_of(i), false);
        if (!v || *v != i)
            bad++;
        if (cd_idmap_slot(&m, key_of(i) + 1, false))
            bad++;
    }
    if (bad) {
        printf("FAIL: %zu lookups wrong after %d inserts\n", bad, N);
        fails++;
    } else {
        printf("ok: %d keys found with their values, %d absent keys not found\n", N, N);
    }
    if (m.n != N || m.cap < 2 * (size_t)N) {
        printf("FAIL: n %zu cap %zu after %d keys\n", m.n, m.cap, N);
        fails++;
    }
    cd_idmap_free(&m);
    if (m.keys || m.cap || m.n || cd_idmap_slot(&m, key_of(0), false)) {
        printf("FAIL: a freed map is not empty\n");
        fails++;
    }
    return fails ? 1 : 0;
}
