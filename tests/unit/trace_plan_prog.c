/* tests/unit/test_trace_plan.c's program, built by the test with gcc and clang at -O0 and -O2:
 * functions whose arguments the trace core's compiled plan reads straight from a record (integers
 * of every size and signedness, a bool, arguments passed on the stack, an -O0 leaf whose spills
 * sit below the stack pointer, an -O0 function with a frame), called N times (argv[1]) with
 * values that cover negative, large unsigned and sign-extended ones. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

long sink;

/* Eight arguments: six in registers, g and h on the stack. (gcc -O0 moves a short or a bool
 * through eax before its spill, which loses an earlier spill's register: they have functions of
 * their own.) */
__attribute__((noinline)) long ints(int a, unsigned b, long c, unsigned long e, long long g2, int i2, long g, int h)
{
    __asm__ volatile("" ::: "memory");
    sink += a + (long)b + c + (long)e + g2 + i2 + g + h;
    return sink;
}

__attribute__((noinline)) void small_s(short d)
{
    __asm__ volatile("" ::: "memory");
    sink += d;
}

/* clang -O2 describes f with DW_OP_convert: the general path's, not the plan's */
__attribute__((noinline)) void small_b(bool f)
{
    __asm__ volatile("" ::: "memory");
    sink += f;
}

__attribute__((noinline)) void leaf(int x)
{
    __asm__ volatile("" ::: "memory");
    sink += x;
}

__attribute__((noinline)) long nonleaf(int x, long y)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%d", x);
    __asm__ volatile("" ::: "memory");
    return (long)buf[0] + y + x;
}

struct req {
    int id;
    long size;
};
struct req reqs[2];
int gint;
typedef struct req *reqp;

/* Pointers: to a struct (through a typedef), void *, to a function (its symbol shown), to an int
 * (a global: its symbol too); only static addresses, the same in every run without ASLR. */
__attribute__((noinline)) long ptrs(reqp r, void *v, long (*fp)(int, long), int *ip)
{
    __asm__ volatile("" ::: "memory");
    return r->id + (v != 0) + (fp != 0) + *ip;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    long s = 0;
    for (int i = 0; i < n; i++) {
        s += ints(-7 * i, 4000000000u + (unsigned)i, -(1L << 40) * i, ~0UL - (unsigned long)i, (long long)i << 62,
                  i * 3, 1000000007L * i, -i);
        small_s((short)(-300 * i));
        small_b(i & 1);
        leaf(i % 2 ? -i : i * 1000);
        s += nonleaf(-i, (long)i << 33);
        s += ptrs(&reqs[i % 2], i % 3 ? (void *)&reqs[1] : NULL, i % 2 ? nonleaf : NULL, &gint);
    }
    printf("%ld %ld\n", s, sink);
    return 0;
}
