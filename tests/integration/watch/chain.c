/* watch_chain's program (built by chain.sh): watchpoints whose expression goes through a pointer.
 * p->x and *ip are written through other pointers (poke_pt, poke_int, alias), then the pointers
 * themselves move (p = &h, ip = &arr[4]): gdb watches the pointer too and follows it. */
#include <stdio.h>
#define NOIPA __attribute__((noipa))
struct pt { int x; int y; long z; };
struct pt g, h;
int arr[5];
volatile long sink;

NOIPA void poke_int(int *q, int v) { *q = v; }
NOIPA void poke_pt(struct pt *q, int v) { q->y = v; q->x = v + 1; }

NOIPA void work(struct pt *p, int *ip)
{
    int *alias = ip;
    sink = 1;              /* @start */
    poke_pt(p, 5);
    *alias = 7;
    arr[1] = 3;
    arr[2] = 9;
    poke_int(&arr[2], 11);
    p->z = 4;
    p = &h;                /* @move */
    h.x = 21;
    g.x = 22;
    ip = &arr[4];
    arr[4] = 8;
    sink = 2;              /* @end */
}

int main(void)
{
    h.x = 20;
    work(&g, &arr[2]);
    printf("done %d %d %d\n", g.x, g.y, arr[2]);
    return 0;
}
