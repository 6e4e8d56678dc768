/* Program for tests/integration/perf/emu.sh: functions whose first instructions are the ones a
 * breakpoint step-over emulates (endbr64, push of rbp and of callee-saved r12-r15, mov rbp,rsp,
 * sub rsp, and -O0 loads and stores of locals). Every call's result folds into a checksum printed
 * at the end, so a register, flag or stack slot the debugger gets wrong changes it (or crashes). */
#include <stdio.h>
#include <stdlib.h>

volatile long g_watched; /* never written once running: a watchpoint on it forces the single-step path */

__attribute__((noipa)) long leaf(long a, long b)
{
    long t = a * 31 + b;
    return t ^ (t >> 7);
}

__attribute__((noipa)) long mix(long a, long b, long c)
{
    char buf[40];
    long x = leaf(a, b), y = leaf(b, c), z = leaf(c, a);
    for (int i = 0; i < 40; i++)
        buf[i] = (char)(x + i * y);
    long s = x - y + z;
    for (int i = 0; i < 40; i += 7)
        s = s * 3 + buf[i] + (s < 0);
    return s + (a > b) - (b < c);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000, sum = 0;
    for (long i = 0; i < n; i++)
        sum = sum * 7 + mix(i, sum & 1023, -i) + g_watched;
    printf("checksum %ld calls %ld\n", sum, n);
    return 0;
}
