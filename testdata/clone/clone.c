/* At gcc -O2 leaf exists only as leaf.constprop.0 (every caller passes scale 3): no plain `leaf`
 * symbol; the DWARF subprogram leaf is abstract and the clone's concrete DIE names it through
 * DW_AT_abstract_origin. tests/integration/sym/clone.sh resolves leaf like gdb 13. */
#include <pthread.h>
#include <stdio.h>

volatile int sink;

static __attribute__((noinline)) int leaf(int x, int scale)
{
    int r = x * scale;
    for (int i = 0; i < x; i++)
        r += sink ^ i;
    sink = r;
    return r;
}

int main(int argc, char **argv)
{
    (void)argv;
    int a = leaf(argc + 1, 3);
    int b = leaf(argc + 2, 3);
    printf("clone %d %d %p\n", a, b, (void *)pthread_create);
    return 0;
}
