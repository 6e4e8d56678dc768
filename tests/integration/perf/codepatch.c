/* tests/integration/perf/codepatch.sh: a breakpoint on a load (-O0, `g = a`) whose instruction
 * the user rewrites while stopped there. The tracer decodes the instruction under a breakpoint
 * once and emulates it at every later hit: the rewrite must be what runs from then on. */
#include <stdio.h>

volatile long g;

__attribute__((noipa)) void pair(long a, long b)
{
    (void)b;
    g = a; /* @load */
}

int main(void)
{
    for (long i = 0; i < 4; i++) {
        pair(i, 100 + i);
        printf("g=%ld\n", g);
    }
    return 0;
}
