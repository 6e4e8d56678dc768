/* Variable-length arrays (issue 13): cdbg printed sizeof 0, `char []` and "" for a VLA; its length
 * is a variable (clang: DW_AT_count -> __vla_expr0) or an expression (gcc: DW_AT_upper_bound exprloc)
 * read in the frame. tests/integration/values/values_vla.sh. */
#include <stdio.h>
#include <string.h>
__attribute__((noinline)) void vla_stop(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) int fill(int n)
{
    char vla[n];
    int m[n][3];
    memset(vla, 'a', sizeof vla);
    vla[n - 1] = 0;
    memset(m, 0, sizeof m);
    m[1][2] = 7;
    vla_stop();
    return vla[0] + m[1][2];
}
int main(int argc, char **argv) { (void)argv; return fill(130 + argc) == 0; }
