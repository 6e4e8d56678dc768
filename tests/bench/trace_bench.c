/* Program for tests/bench/bench_trace.py (issue 12 performance), built by the script with -g -O1
 * -fno-pie -no-pie: work() is a short hot function with one int argument (`lea 0x1(%rdi),%eax;
 * ret`), called N times in a loop. Prints the sum of its results at the end. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noipa)) int work(int x)
{
    return x + 1;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 0, s = 0;
    for (long i = 0; i < n; i++)
        s += work((int)i);
    printf("sum=%ld\n", s);
    return 0;
}
