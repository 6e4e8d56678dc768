/* src/util: cd_u64_dec (the trace renderer's integers) against printf at every boundary of its
 * 8-digit blocks and digit pairs. */
#include "util/util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int fails;

static void check(uint64_t v)
{
    char got[32], want[32];
    size_t n = cd_u64_dec(v, got);
    snprintf(want, sizeof want, "%" PRIu64, v);
    if (strcmp(got, want) || n != strlen(want)) {
        printf("FAIL: cd_u64_dec(%s) gave '%s' (%zu digits)\n", want, got, n);
        fails++;
    } else {
        printf("ok: %s\n", want);
    }
}

int main(void)
{
    uint64_t p = 1;
    check(0);
    for (int i = 0; i < 20; i++) {
        check(p - 1);
        check(p);
        check(p + 1);
        check(p * 7 + 3);
        if (i < 19)
            p *= 10;
    }
    check(UINT64_MAX);
    check(100000000ull * 100000000ull + 5);
    check(1733470000123456789ull); /* a CLOCK_MONOTONIC-sized timestamp */
    printf(fails ? "FAILED\n" : "all passed\n");
    return fails != 0;
}
