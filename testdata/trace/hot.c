/* The tracepoint tests' hot loop: N calls (argv[1], default 100000) of a small function with one
 * int argument, then the sum of what it returned; exits with argv[2] (default 0). With argv[3] it
 * prints "ready" and waits for that file to exist before the loop (a tracer attaches meanwhile). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

__attribute__((noinline, noclone)) int work(int x)
{
    __asm__ volatile("" ::: "memory"); /* a real call at -O2 too */
    return x * 2 + 1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    long long sum = 0;
    if (argc > 3) {
        printf("ready\n");
        fflush(stdout);
        struct timespec ms = {0, 1000000};
        while (access(argv[3], F_OK) != 0)
            nanosleep(&ms, NULL);
    }
    for (int i = 0; i < n; i++)
        sum += work(i);
    printf("sum %lld\n", sum);
    return argc > 2 ? atoi(argv[2]) : 0;
}
