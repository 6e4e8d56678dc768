/* `set var` on variables that live in registers (issue 13), built with -O2 and run under a
 * debugger that stops at breakpoints, writes, and lets the program print what it then sees.
 *
 *   take()   frame 0 at its entry: a struct, a bitfield struct and a long arrive in rdi, rsi, rdx.
 *   work()   keeps l, m and k in callee-saved registers across two calls:
 *            saver() -> stop_here(): saver pushes every callee-saved register, so in frame #2
 *                      work's registers are in saver's stack slots;
 *            stop_here() directly: stop_here saves nothing, so in frame #1 they are still the
 *                      thread's live registers.
 *   pieces() a struct and a bitfield struct split over registers as DWARF pieces (gcc's SRA),
 *            partly optimized out, some parts held in callee-saved registers across saver().
 * noipa keeps gcc from knowing what the callees clobber (IPA-RA), so values that must survive a
 * call sit in callee-saved registers, as in code calling another object file. */
#include <stdio.h>

#define NOINL __attribute__((noinline, noipa))

struct pair { int lo, hi; };
struct bf { unsigned a : 3; int b : 5; unsigned c : 8; };

volatile long g_seed = 5;
volatile long g_sink;

NOINL void stop_here(long v)
{
    g_sink = v;
}

NOINL void saver(long v)
{
    __asm__ volatile("" ::: "rbx", "rbp", "r12", "r13", "r14", "r15", "memory");
    stop_here(v);
    __asm__ volatile("" ::: "memory");
}

NOINL long take(struct pair p, struct bf f, long v)
{
    printf("take p=%d,%d f=%u,%d,%u v=%ld\n", p.lo, p.hi, f.a, f.b, f.c, v);
    return p.lo + p.hi + f.a + f.b + f.c + v;
}

NOINL long work(void)
{
    long l = g_seed * 3;
    int m = (int)g_seed * 7;
    long k = g_seed << 8;
    __asm__ volatile("" ::"r"(l), "r"(m), "r"(k));
    saver(l);
    __asm__ volatile("" ::"r"(l), "r"(m), "r"(k));
    stop_here(m);
    __asm__ volatile("" ::"r"(l), "r"(m), "r"(k));
    printf("work l=%ld m=%d k=%ld\n", l, m, k);
    return l + m + k;
}

NOINL long pieces(void)
{
    struct pair p = {(int)g_seed, (int)g_seed + 1};
    struct bf f = {(unsigned)g_seed & 7, -(int)g_seed, (unsigned)g_seed + 200};
    __asm__ volatile("nop" ::"r"(p), "r"(f)); /* @pieces-nop */
    saver(1);
    __asm__ volatile("" ::"r"(p), "r"(f));
    printf("pieces p=%d,%d f=%u,%d,%u\n", p.lo, p.hi, f.a, f.b, f.c);
    return p.lo + f.c;
}

int main(void)
{
    struct pair p = {(int)g_seed, (int)g_seed + 1};
    struct bf f = {(unsigned)g_seed & 7, -(int)g_seed, (unsigned)g_seed + 200};
    long r = take(p, f, g_seed * 11);
    r += work();
    r += pieces();
    printf("sink %ld\n", (long)g_sink);
    return r == 0;
}
