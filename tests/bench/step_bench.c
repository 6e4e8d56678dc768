/* Program for tests/bench/bench_step.py (issue 11 performance), built by the script with -g -O0.
 *   step_bench hits N   calls tick(i) for i = 0..N-1: a breakpoint on tick with an ignore count
 *                       or a condition true only at i == N-1 measures the breakpoint round trip
 *   step_bench spin N   one call to spin(N), N loop iterations: `next` over it must run it at full
 *                       speed (a breakpoint at the return address), never by single-stepping
 *   step_bench loop N   a loop of N iterations of three lines, one with a call: consecutive nexts
 * Lines the script stops at end in a marker comment, as in testdata. */
#include <stdlib.h>
#include <string.h>

volatile long g_sink;

__attribute__((noipa)) void tick(long i)
{
    g_sink = i; /* @tick_body */
}

__attribute__((noipa)) long spin(long n)
{
    volatile long s = 0;
    for (long i = 0; i < n; i++)
        s += i;
    return s;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    long n = atol(argv[2]);
    if (strcmp(argv[1], "hits") == 0) {
        for (long i = 0; i < n; i++)
            tick(i);
    } else if (strcmp(argv[1], "spin") == 0) {
        long r = spin(n); /* @spin_call */
        g_sink = r;       /* @spin_after */
    } else {
        for (long i = 0; i < n; i++) { /* @loop_for */
            g_sink += i;               /* @loop_body */
            tick(i);                   /* @loop_call */
        }
    }
    return 0;
}
