/* A function that only exists inlined at -O2: validate() is static and called from three places,
 * so gcc inlines every call and emits no out-of-line copy; `break validate` must stop at each
 * inlined copy (gdb sets one location per copy). */
#include <stdio.h>
#include <stdlib.h>

static int validate(int v)
{
    if (v < 0) /* @validate */
        return 0;
    return v % 7 != 3;
}

__attribute__((noipa)) int check_a(int v) { return validate(v) ? v : -1; }
__attribute__((noipa)) int check_b(int v) { return validate(v + 1) ? 2 * v : -2; }

int main(int argc, char **argv)
{
    (void)argv;
    int n = argc + 4;
    int s = check_a(n) + check_b(n);
    s += validate(n * 3) ? 1 : 0;
    printf("inl done %d\n", s);
    return 0;
}
