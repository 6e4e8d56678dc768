/* Functions gcc -O2 emits only as clones, which gdb 13 finds by their source names
 * (tests/integration/sym/clone.sh): leaf as leaf.constprop.0 (every caller passes scale 3), isr as
 * isr.constprop.0.isra.0 (an unused argument dropped, the struct's field passed instead), part as
 * inlined head checks plus part.part.0 (partial inlining: a breakpoint with several locations).
 * None of them has a plain ELF symbol; their concrete DWARF DIEs name them through
 * DW_AT_abstract_origin. pthread_create is libc's versioned alias of __pthread_create_2_1. */
#include <pthread.h>
#include <stdio.h>

volatile int sink;

struct big {
    int a[8];
};

static __attribute__((noinline)) int leaf(int x, int scale)
{
    int r = x * scale;
    for (int i = 0; i < x; i++)
        r += sink ^ i;
    sink = r;
    return r;
}

static __attribute__((noinline)) int isr(struct big *b, int unused)
{
    (void)unused;
    return b->a[0] * 3 + sink;
}

static int part(int *p)
{
    if (!p)
        return 0;
    int r = 0;
    for (int i = 0; i < *p; i++) {
        r += sink * i;
        sink = r ^ i;
        if (r > 1000)
            r -= sink;
        if (sink > 77)
            r += printf("x");
    }
    return r;
}

int main(int argc, char **argv)
{
    (void)argv;
    struct big b = {{argc}};
    int n = argc;
    int a = leaf(argc + 1, 3);
    int c = leaf(argc + 2, 3);
    int r = part(&n) + part(argc > 5 ? NULL : &n) + isr(&b, 4) + isr(&b, 5);
    printf("clone %d %d %d %p\n", a, c, r, (void *)pthread_create);
    return 0;
}
