/* Floating-point and struct values at tracepoints (tests/integration/trace/floats.sh): arguments in
 * xmm registers (spilled below the stack pointer by an -O0 prologue, in registers or entry values at
 * -O2), and every kind of return the SysV x86-64 ABI has: xmm0 (float, double, a struct of two
 * floats), xmm0:xmm1, rax:xmm0, rax alone (a struct of a float and an int), memory (rax = the
 * caller's buffer), st0 (long double), and the small integers _Bool and char. Each function is
 * called once with values from volatile globals, so no clone specialises its arguments away, and
 * begins with an integer statement (the ptrace backend emulates the instruction at the probe, which
 * it cannot do for SSE instructions; the inline backend needs 5 bytes without a rip-relative SSE
 * operand).
 * The test compares each value with what gdb prints at the same place. */
#include <stdbool.h>
#include <stdio.h>

#ifdef __clang__
#define KEEP __attribute__((noinline))
#else
#define KEEP __attribute__((noinline, noipa))
#endif

struct pt { double x, y; };
struct mix { long a; double d; };
struct fi { float f; int i; };
struct ff { float a, b; };
struct big { long a, b, c; };

volatile double vd[4] = {2.5, -0.125, 3.14, 1e-300};
volatile float vf[2] = {1.75f, -6.5f};
volatile long vl = -40;
volatile int vi = 7;
volatile long double vld = 1.5L;
double dsink;
double gd[2] = {0.375, -12.5}; /* not volatile: a call site can say where after's arguments came from */
volatile int ncalls;

KEEP double dmix(int n, double d, float f, long l, double e)
{
    ncalls++;
    dsink += e;
    return d * n + f + (double)l + e;
}
KEEP float fret(float a, float b)
{
    ncalls++;
    return a * b;
}
KEEP long double ldret(long double a)
{
    ncalls++;
    return a * 2 + 0.25L;
}
KEEP struct pt ptret(struct pt p, double k)
{
    ncalls++;
    struct pt r = {p.x * k, p.y + k};
    return r;
}
KEEP struct mix mixret(long a, double d)
{
    ncalls++;
    struct mix m = {a * 3, d / 4};
    return m;
}
KEEP struct fi firet(float f, int i)
{
    ncalls++;
    struct fi r = {f + 1, i - 1};
    return r;
}
KEEP struct ff ffret(struct ff v)
{
    ncalls++;
    struct ff r = {v.b, v.a};
    return r;
}
KEEP struct big bigret(long a)
{
    ncalls++;
    struct big b = {a, a + 1, a * a};
    return b;
}
KEEP bool bret(double d)
{
    ncalls++;
    return d > 1;
}
KEEP char cret(int i)
{
    ncalls++;
    return (char)('A' + i);
}

/* A double changed in a loop: at the line after it (a FILE:LINE tracepoint, past branches) x is
 * still in an xmm register at -O2. */
KEEP double loopy(double x, int n)
{
    for (int i = 0; i < n; i++)
        x = x * 1.5 + i;
    ncalls++; /* @loopy_after */
    return x;
}

/* d and e are dead once multiplied: at the line after it (a FILE:LINE tracepoint) -O2 code has
 * reused their registers, and their DWARF locations are entry values (DW_OP_entry_value of xmm0
 * and xmm1: the caller's values, found through the call site). */
KEEP double after(double d, double e)
{
    ncalls++;
    double r = d * e;
    dsink += r; /* @after_mul */
    return r + 1;
}

int main(void)
{
    struct pt p = {vd[0], vd[1]};
    struct ff f2 = {vf[0], vf[1]};
    double s = dmix(vi, vd[0], vf[0], vl, vd[3]);
    s += fret(vf[0], vf[1]);
    s += (double)ldret(vld);
    s += ptret(p, vd[2]).y;
    s += mixret(vl, vd[2]).d;
    s += firet(vf[1], vi).i;
    s += ffret(f2).a;
    s += (double)bigret(vl).c;
    s += bret(vd[0]) + cret(vi);
    s += loopy(vd[1], vi);
    double a0 = gd[0], a1 = gd[1];
    s += after(a0, a1);
    s += a0 * a1; /* kept across the call: the call site can say where the arguments came from */
    printf("%g\n", s);
    return 0;
}
