/* src/target/patchmap: the patch page header's reader on a fake address space. A span's entries
 * are found for pcs in them and only those (not the header's own bytes, not another version, not a
 * span without the magic); --ret's real return address is found by the TID's hash chain (a
 * collision put the thread one stack further), then by the full scan (a fork child's copy under its
 * parent's TID), and never from a free stack or past an entry count. The unwinder's use of these is
 * tests/integration/unwpatch. */
#include "target/patchmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fails;
#define CHECK(c, what)                                                                                              \
    do {                                                                                                            \
        if (c)                                                                                                      \
            printf("ok: %s\n", what);                                                                               \
        else {                                                                                                      \
            printf("FAIL: %s (line %d)\n", what, __LINE__);                                                         \
            fails++;                                                                                                \
        }                                                                                                           \
    } while (0)

/* a fake target: one span at SPAN0 and shadow stacks at SHADOW */
#define SPAN0 0x7f0000000000ull
#define SHADOW 0x7f1000000000ull
#define SH_N 8u
#define SH_SZ 1024u
static uint8_t span[CD_PP_SPAN];
static uint8_t shadow[SH_N * SH_SZ];
static int reads;

static int rd(void *arg, uint64_t addr, void *buf, size_t len)
{
    (void)arg;
    reads++;
    if (addr >= SPAN0 && addr + len <= SPAN0 + CD_PP_SPAN)
        return memcpy(buf, span + (addr - SPAN0), len), 0;
    if (addr >= SHADOW && addr + len <= SHADOW + sizeof shadow)
        return memcpy(buf, shadow + (addr - SHADOW), len), 0;
    return -1;
}

static cd_pp_head *head(void)
{
    return (cd_pp_head *)(span + CD_PP_HDR_OFF);
}

static void add(uint16_t off, uint16_t len, int16_t sp, uint8_t kind, uint64_t orig)
{
    cd_pp_head *h = head();
    cd_pp_entry *e = (cd_pp_entry *)(span + CD_PP_HDR_OFF + CD_PP_HEAD) + h->n++;
    *e = (cd_pp_entry){.off = off, .len = len, .sp = sp, .kind = kind, .orig = orig};
}

/* shadow stack i: owner, then entries {slot, real} */
static void stack(unsigned i, uint64_t owner, int n, const uint64_t (*ent)[2])
{
    uint64_t *s = (uint64_t *)(shadow + i * SH_SZ);
    s[0] = owner;
    s[1] = (uint64_t)n;
    for (int k = 0; k < n; k++) {
        s[4 + 4 * k] = ent[k][0];
        s[4 + 4 * k + 1] = ent[k][1];
        s[4 + 4 * k + 3] = SPAN0 + 0x100; /* the trampoline address written there */
    }
}

int main(void)
{
    cd_pp_head *h = head();
    memset(h, 0, sizeof *h);
    h->magic = CD_PP_MAGIC;
    h->version = CD_PP_VERSION;
    h->kind = CD_PP_INLINE;
    h->cap = CD_PP_CAP;
    add(0x40, 0x60, 0, CD_PP_ROUTINE, 0);
    add(0x100, 0x80, 0, CD_PP_RETTRAMP, 0);
    add(0x800, 5, 0, CD_PP_CODE, 0x401000);
    add(0x805, 5, 128, CD_PP_CODE, 0x401000);
    add(0x80a, 5, 136, CD_PP_CODE, 0x401000);
    for (int i = 0; i < 100; i++) /* past the reader's first chunk of 64 */
        add((uint16_t)(0x1000 + i * 16), 16, 0, CD_PP_CODE, 0x402000 + (uint64_t)i);

    cd_pp_hit hit;
    CHECK(cd_pp_lookup(rd, NULL, SPAN0 + 0x806, &hit) && hit.e.kind == CD_PP_CODE && hit.e.orig == 0x401000 &&
              hit.e.sp == 128 && hit.base == SPAN0,
          "a pc in a stub's push: the probed instruction, rsp + 128");
    CHECK(cd_pp_lookup(rd, NULL, SPAN0 + 0x80e, &hit) && hit.e.sp == 136, "the last byte of a range");
    CHECK(!cd_pp_lookup(rd, NULL, SPAN0 + 0x80f, &hit), "one byte past the last range: none");
    CHECK(cd_pp_lookup(rd, NULL, SPAN0 + 0x1000 + 99 * 16 + 3, &hit) && hit.e.orig == 0x402000 + 99,
          "the 105th entry (the second chunk)");
    CHECK(cd_pp_lookup(rd, NULL, SPAN0 + 0x70, &hit) && hit.e.kind == CD_PP_ROUTINE, "the record routine");
    CHECK(!cd_pp_lookup(rd, NULL, SPAN0 + 0x20, &hit), "the routine's data before it: none");
    CHECK(!cd_pp_lookup(rd, NULL, SPAN0 + CD_PP_HDR_OFF + CD_PP_HEAD, &hit), "a pc in the header itself: none");
    CHECK(!cd_pp_lookup(rd, NULL, SPAN0 + CD_PP_SPAN + 0x806, &hit), "the next span (unreadable): none");
    h->version = CD_PP_VERSION + 1;
    CHECK(!cd_pp_lookup(rd, NULL, SPAN0 + 0x806, &hit), "another version: none");
    h->version = CD_PP_VERSION;
    h->magic ^= 1;
    CHECK(!cd_pp_lookup(rd, NULL, SPAN0 + 0x806, &hit), "no magic: none");
    h->magic ^= 1;
    uint32_t n = h->n;
    h->n = CD_PP_CAP + 1;
    CHECK(!cd_pp_lookup(rd, NULL, SPAN0 + 0x806, &hit), "a count past the room: none (a corrupt header)");
    h->n = n;

    /* --ret */
    CHECK(cd_pp_real_return(rd, NULL, h, 1234, 0x7ffd0000) == 0, "no shadow stacks: 0");
    h->shadow = SHADOW;
    h->sh_n = SH_N;
    h->sh_size = SH_SZ;
    h->sh_depth = (SH_SZ - 32) / 32;
    /* TID 9 hashes to stack 1, taken by TID 17: 9 is in stack 2; stack 3 ends the chain */
    static const uint64_t e17[][2] = {{0x7ffd1000, 0x401111}};
    static const uint64_t e9[][2] = {{0x7ffd2000, 0x402222}, {0x7ffd1f00, 0x402233}, {0x7ffd1e00, 0x402244}};
    stack(1, 17, 1, e17);
    stack(2, 9, 3, e9);
    CHECK(cd_pp_real_return(rd, NULL, h, 9, 0x7ffd1f00) == 0x402233, "TID 9 past a collision: its entry's return");
    CHECK(cd_pp_real_return(rd, NULL, h, 9, 0x7ffd2000) == 0x402222, "TID 9's outermost call");
    CHECK(cd_pp_real_return(rd, NULL, h, 17, 0x7ffd1000) == 0x401111, "TID 17 on its own hash");
    CHECK(cd_pp_real_return(rd, NULL, h, 9, 0x7ffd3000) == 0, "a slot no entry has: 0");
    /* a fork child (TID 40) has its parent's stacks, under the parent's TID */
    CHECK(cd_pp_real_return(rd, NULL, h, 40, 0x7ffd1e00) == 0x402244, "a fork child: found by the full scan");
    ((uint64_t *)(shadow + 2 * SH_SZ))[1] = 1; /* count 1: the deeper entries are popped */
    CHECK(cd_pp_real_return(rd, NULL, h, 9, 0x7ffd1e00) == 0, "an entry past the count: not used");
    ((uint64_t *)(shadow + 2 * SH_SZ))[0] = UINT64_MAX; /* given back */
    CHECK(cd_pp_real_return(rd, NULL, h, 40, 0x7ffd2000) == 0, "a free stack: not used");
    h->sh_n = 6;
    CHECK(cd_pp_real_return(rd, NULL, h, 17, 0x7ffd1000) == 0, "a geometry that is not a power of two: 0");
    printf(fails ? "FAILED\n" : "all passed\n");
    return fails != 0;
}
