/* One small C program in two compilation units, built by testdata/toolchain/meson.build with every
 * toolchain variant of issue 13 (clang's DWARF 5 without .debug_aranges, DWARF 4, gcc -O2, aranges
 * removed with objcopy, split DWARF 4/5 from gcc and clang, a .dwp, -gz, -fomit-frame-pointer,
 * -static, no PIE). The tests stop in report() (toolchain_aux.c) and compare cdbg's frames and
 * values with gdb's on the same binary:
 *
 *   main -> walk (always inlined, so every variant has an inline frame) -> leaf -> report
 *
 * leaf is noipa (gcc; noinline for clang), so at -O2 its frame, its name and the call stay. The
 * globals: one per kind of storage (.data, .bss, a file-static of this CU read from the other
 * one's frame, an array, a struct, an enum, thread-local). */
#include <stdio.h>
#include <stdlib.h>

#include "toolchain.h"

int counter = 7;
static double ratio = 2.5;
int table[5] = {2, 3, 5, 7, 11};
enum mode run_mode = MODE_RUN;
static long accum;
int tls_seen; /* tls_hits as leaf last saw it: the tests check the TLS read against it */

NOINL static int leaf(struct point *p, int k)
{
    int sum = p->x * k + p->y;
    long scaled = (long)sum * shared_scale;
    counter += sum;
    tls_hits += k;
    tls_seen = tls_hits;
    int r = report(k, scaled, p->x); /* @leaf_call */
    /* p, k, sum and scaled are used after the call, so -O2 keeps them in callee-saved registers
     * or on the stack, where the caller's frame can read them. (A value left only in an argument
     * register is gone in a caller frame: gdb shows the callee's register, cdbg <unavailable>;
     * clang's location list keeps a pointer argument in rdi up to the call, hence p is not one.) */
    accum += r + scaled;
    return r + sum + p->y * k;
}

static inline __attribute__((always_inline)) int walk(struct point *p, int n)
{
    int acc = 0;
    for (int i = 0; i < n; i++)
        acc += leaf(p, i + 1); /* @walk_call */
    return acc;
}

int main(int argc, char **argv)
{
    struct point pt = {3, 4, "pt"};
    int n = argc + 1;
    int total = walk(&pt, n); /* @main_call */
    printf("%d %g %ld %s\n", total, ratio, accum, argv[0]);
    return total == 12345;
}
