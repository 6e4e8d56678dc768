/* A function gcc -O2 splits into a hot part and a cold one (work.cold, main.cold): its DIE has
 * DW_AT_ranges and no DW_AT_low_pc (issue 13: `print work` said "no address (inlined everywhere)").
 * tests/integration/values/values_cold.sh. */
#include <stdio.h>
__attribute__((noinline, cold)) int slowpath(int i)
{
    printf("slow %d\n", i);
    return i / 3;
}
volatile int sinkv;
__attribute__((noinline)) int work(int i)
{
    int r = i * 2;
    if (__builtin_expect(i % 1000 == 7, 0))
        r = slowpath(i) + sinkv;
    for (int k = 0; k < (i & 7); k++) {
        r += sinkv * k;
        r ^= (r >> 3);
    }
    sinkv = r;
    return r;
}
int main(void)
{
    long s = 0;
    for (int i = 0; i < 3000; i++)
        s += work(i);
    printf("s=%ld\n", s);
    return 0;
}
