/* Returns that never come, for tests/integration/trace/lostret.sh (built there).
 * `lostret deep N`: deep(N) three times, a recursion deeper than any backend's nesting limit for
 * returns (the inline backend's shadow stack, the kernel's uretprobe depth). `lostret jump`: 30
 * calls of mid(i), whose leaf(i) longjmps out of both when i % 3 == 0 (10 times). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf jb;
volatile int sink;

__attribute__((noinline)) long deep(int n)
{
    if (!n)
        return 0;
    volatile long r = deep(n - 1) + 1;
    return r;
}

__attribute__((noinline)) int leaf(int x)
{
    if (x % 3 == 0)
        longjmp(jb, 1);
    sink += x;
    return x + 1;
}

__attribute__((noinline)) int mid(int x)
{
    int r = leaf(x);
    sink += r;
    return r * 2;
}

int main(int argc, char **argv)
{
    if (argc > 2 && !strcmp(argv[1], "deep")) {
        long s = 0;
        for (int i = 0; i < 3; i++)
            s += deep(atoi(argv[2]));
        printf("deep %ld\n", s);
        return 0;
    }
    int jumps = 0;
    for (volatile int i = 0; i < 30; i++) {
        if (setjmp(jb) == 0)
            sink += mid(i);
        else
            jumps++;
    }
    printf("jumps %d\n", jumps);
    return 0;
}
