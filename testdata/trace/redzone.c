/* An -O0 leaf whose prologue stores its arguments below the stack pointer (the red zone) and moves
 * a short and a bool through registers it reuses: at a tracepoint after the prologue, c's and d's
 * slots are not in the record's stack copy and their registers hold other values. Once printed as 0
 * (zero-filled bytes read as memory); the trace must show the value or an error, never a zero. */
#include <stdio.h>
#include <stdbool.h>
long sink;
__attribute__((noinline)) long ints(int a, unsigned b, long c, short d, unsigned long e, bool f, long g, int h)
{
    sink += a + (long)b + c + d + (long)e + f + g + h;
    return sink;
}
int main(void)
{
    for (int i = 1; i <= 2; i++)
        ints(-7 * i, 4000000000u, -(1L << 40), -300, ~0UL, true, 5, 6);
    printf("%ld\n", sink);
    return 0;
}
