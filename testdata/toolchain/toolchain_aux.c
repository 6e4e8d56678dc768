/* The second compilation unit of toolchain.c: the breakpoint function and the globals it defines. */
#include "toolchain.h"

long shared_scale = 6;
struct point origin = {-1, 2, "origin"};
__thread int tls_hits = 3;
volatile int sink;

NOINL int report(int k, long scaled, int px)
{
    int twice = k * 2;
    int dist = px - origin.x + twice; /* @report_body */
    sink = dist;
    return dist + (int)(scaled & 0xff);
}
