/* bench_ederef.sh's program: N calls of work(r), r->id and r->next->id changing each call.
 * Usage: ederef_bench N GOFILE: prints "ready", waits for GOFILE to exist, then runs the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct req {
    int id;
    struct req *next;
};

__attribute__((noinline)) int work(struct req *r)
{
    __asm__ volatile("" ::: "memory");
    return r->id + 1;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    struct req b = {0, NULL}, a = {0, &b};
    printf("ready\n");
    fflush(stdout);
    if (argc > 2)
        while (access(argv[2], F_OK) != 0)
            usleep(1000);
    long s = 0;
    for (long i = 0; i < n; i++) {
        a.id = (int)i;
        b.id = (int)(2 * i);
        s += work(&a);
    }
    printf("sum %ld\n", s);
    return 0;
}
