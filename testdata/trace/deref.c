/* The pointee changes right after each call (tests/integration/trace/deref.sh): a value read
 * after the hit instead of at it shows as -1 (or -5) instead of the loop index. f_ptr(NULL) once
 * at the end: the tracer must report an error and leave the program running. */
#include <stdio.h>
#include <stdlib.h>
volatile int g;
struct req { int id; const char *path; };
struct req R;
__attribute__((noinline)) int f_ptr(volatile int *p)
{
    __asm__ volatile("nop;nop;nop;nop;nop;nop" ::: "memory");
    return p ? *p + 1 : 0;
}
__attribute__((noinline)) int f_req(struct req *r)
{
    __asm__ volatile("" ::: "memory");
    return r->id;
}
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    long s = 0;
    for (int i = 0; i < n; i++) {
        g = i;
        s += f_ptr(&g);
        g = -1;
        R.id = i;
        s += f_req(&R);
        R.id = -5;
    }
    s += f_ptr(NULL);
    printf("sum %ld\n", s);
    return 0;
}
