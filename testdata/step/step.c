/* Stepping test program (issue 11): every kind of line-to-line motion next/step/until/advance/
 * finish/stepi meet, in one run with no input. main calls one scenario function after the other, so
 * a test reaches a scenario with `tbreak SCENARIO` + `continue` (or `advance`) and steps from there.
 *
 * Scenarios (each a noipa function: -O2 keeps its frame, its name and the call to it):
 *   loop_sum     a for loop whose body calls add()                     @loop_*
 *   fact, fib    recursion (fact: one call per level; fib: two)         @fact_*, @fib_*
 *   call_ptr     a call through a function pointer read from a volatile @ptr_*
 *   use_inline   sq() (static inline: a call at -O0, inlined at -O2) and cube() (always_inline:
 *                inlined at every level)                                @inl_*, @sq_body, @cube_*
 *   use_libc     strlen, printf, qsort with a callback that has line info  @libc_*, @cmp_*
 *   use_nodebug  calls into nodebug.c (built without -g), one of which calls back add_one()
 *                (line info) from code without line info               @nd_*
 *   use_signal   raise(SIGALRM) into on_alarm() (gdb: SIGALRM is nostop, pass)  @sig_*, @handler_*
 *   multi_line   one statement over four lines with two calls           @ml_*
 * Inputs come from volatile globals so -O2 cannot fold the results; the program prints one line
 * (from use_libc) and exits 0.
 * Each line a test checks ends in a marker comment `/ * @name * /`; tests find the line with
 * grep, never by number. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "step.h"

volatile int g_in = 5;
volatile int g_sink;
static volatile sig_atomic_t g_sig;

NOIPA int add(int a, int b)
{
    int s = a + b; /* @add_body */
    return s;      /* @add_ret */
} /* @add_end */

NOIPA int add_one(int x)
{
    return x + 1; /* @add_one_body */
} /* @add_one_end */

NOIPA int loop_sum(int n)
{
    int total = 0;              /* @loop_init */
    for (int i = 0; i < n; i++) /* @loop_for */
        total = add(total, i);  /* @loop_call */
    return total;               /* @loop_ret */
} /* @loop_end */

NOIPA int fact(int n)
{
    if (n <= 1)             /* @fact_if */
        return 1;           /* @fact_base */
    return n * fact(n - 1); /* @fact_rec */
} /* @fact_end */

NOIPA int fib(int n)
{
    if (n < 2)                      /* @fib_if */
        return n;                   /* @fib_base */
    return fib(n - 1) + fib(n - 2); /* @fib_rec */
} /* @fib_end */

NOIPA static int twice(int x)
{
    return 2 * x; /* @twice_body */
} /* @twice_end */

/* volatile: the call stays indirect at -O2 */
int (*volatile g_op)(int) = twice;

NOIPA int call_ptr(int x)
{
    int r = g_op(x); /* @ptr_call */
    return r + 1;    /* @ptr_ret */
} /* @ptr_end */

static inline int sq(int x)
{
    return x * x; /* @sq_body */
} /* @sq_end */

static inline __attribute__((always_inline)) int cube(int x)
{
    int c = x * x; /* @cube_first */
    c *= x;        /* @cube_second */
    return c;      /* @cube_ret */
} /* @cube_end */

NOIPA int use_inline(int x)
{
    int a = sq(x);   /* @inl_sq */
    int b = cube(x); /* @inl_cube */
    return a + b;    /* @inl_ret */
} /* @inl_end */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b; /* @cmp_body */
    return (x > y) - (x < y);                      /* @cmp_ret */
} /* @cmp_end */

NOIPA int use_libc(const char *s)
{
    int arr[4] = {3, 1, 2, 0};              /* @libc_arr */
    size_t n = strlen(s);                   /* @libc_strlen */
    printf("len %zu\n", n);                 /* @libc_printf */
    qsort(arr, 4, sizeof arr[0], cmp_int);  /* @libc_qsort */
    return arr[0] + arr[3] + (int)n;        /* @libc_ret */
} /* @libc_end */

NOIPA int use_nodebug(int x)
{
    int a = nd_triple(x);         /* @nd_triple */
    int b = nd_apply(add_one, a); /* @nd_apply */
    return a + b;                 /* @nd_ret */
} /* @nd_end */

static void on_alarm(int sig)
{
    g_sig = sig; /* @handler_body */
} /* @handler_end */

NOIPA int use_signal(void)
{
    signal(SIGALRM, on_alarm); /* @sig_install */
    raise(SIGALRM);            /* @sig_raise */
    return g_sig;              /* @sig_ret */
} /* @sig_end */

NOIPA int multi_line(int x)
{
    int r = add(x,         /* @ml_first */
                x + 1) +   /* @ml_second */
            add(x + 2,     /* @ml_third */
                x + 3);    /* @ml_fourth */
    return r;              /* @ml_ret */
} /* @ml_end */

int main(int argc, char **argv)
{
    int r = 0;                                    /* @main_first */
    r += loop_sum(g_in);                          /* @main_loop */
    r += fact(g_in);                              /* @main_fact */
    r += fib(g_in);                               /* @main_fib */
    r += call_ptr(g_in);                          /* @main_ptr */
    r += use_inline(g_in);                        /* @main_inline */
    r += use_libc(argc > 1 ? argv[1] : "hello");  /* @main_libc */
    r += use_nodebug(g_in);                       /* @main_nodebug */
    r += use_signal();                            /* @main_signal */
    r += multi_line(g_in);                        /* @main_ml */
    g_sink = r;                                   /* @main_sink */
    return 0;                                     /* @main_ret */
} /* @main_end */
