/* Parameters that optimized code keeps only as entry values: after its first line work() needs
 * neither x nor the register x came in (rdi), so gcc and clang describe x there as
 * DW_OP_entry_value(rdi) and only the caller's call site tells it (gdb: x=x@entry=7).
 * tests/integration/trace/entryval.sh traces the line after that with each backend and checks x of
 * every call against the loop's arguments; argv[1] is the number of calls. */
#include <stdio.h>
#include <stdlib.h>

volatile long sink;

__attribute__((noinline)) long use(long v)
{
    sink += v;
    return v & 7;
}

__attribute__((noinline)) long work(long x, long y)
{
    long r = use(x + y);
    sink = r; /* ENTRYVAL_LINE: x only as its entry value */
    r += use(y);
    return r;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10;
    long s = 0;
    for (long i = 0; i < n; i++)
        s += work(3 * i + 7, i);
    printf("sum %ld\n", s);
    return 0;
}
