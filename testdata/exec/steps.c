/* steps: a program to step through (tests/integration/exec/step*.sh). Runs once, exits 0.
 * Lines the tests stop on carry a marker comment (@name); the tests find them by it.
 *
 *   main     a loop calling add, a recursive call (depth), a call through a function pointer
 *            (apply -> add), an always_inline call (twice), a libc call through the PLT (strlen),
 *            and a call the tests put a breakpoint in (hook) */
#include <stdio.h>
#include <string.h>

#define NOIPA __attribute__((noipa))
/* -O2 would turn the recursion into a loop (tail recursion with an accumulator) */
#define RECURSIVE __attribute__((noipa, optimize("no-optimize-sibling-calls")))

int g_sum;

static inline __attribute__((always_inline)) int twice(int x)
{
    return x * 2; /* @twice */
}

NOIPA int add(int a, int b)
{
    int r = a + b; /* @add_body */
    return r; /* @add_ret */
}

RECURSIVE int depth(int n)
{
    if (n == 0) /* @depth_test */
        return 0; /* @depth_base */
    return 1 + depth(n - 1); /* @depth_rec */
}

NOIPA int apply(int (*fn)(int, int), int v)
{
    return fn(v, 1); /* @apply */
}

NOIPA void hook(int i)
{
    g_sum += i; /* @hook */
}

int main(int argc, char **argv)
{
    int total = 0; /* @main_first */
    for (int i = 0; i < 3; i++) /* @loop */
        total += add(total, i); /* @loop_body */
    total += depth(3); /* @call_depth */
    total += apply(add, total); /* @call_apply */
    total += twice(argc); /* @call_twice */
    total += strlen(argv[0]) > 0; /* @call_libc */
    hook(total); /* @call_hook */
    printf("steps %d %d\n", total, g_sum); /* @print */
    return 0; /* @ret */
}
