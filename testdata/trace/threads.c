/* Four threads, each calling work(t * 1000000 + i) for i in 0..N-1 (argv[1], default 20000):
 * per thread the arguments go up by one, so a trace shows whether each thread's calls came in
 * order and exactly once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static int n = 20000;

__attribute__((noinline, noclone)) int work(int x)
{
    __asm__ volatile("" ::: "memory");
    return x & 7;
}

static void *run(void *arg)
{
    int t = (int)(long)arg;
    long s = 0;
    for (int i = 0; i < n; i++)
        s += work(t * 1000000 + i);
    return (void *)s;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        n = atoi(argv[1]);
    pthread_t th[4];
    for (long t = 0; t < 4; t++)
        pthread_create(&th[t], NULL, run, (void *)(t + 1));
    long total = 0;
    for (int t = 0; t < 4; t++) {
        void *r;
        pthread_join(th[t], &r);
        total += (long)r;
    }
    printf("total %ld\n", total);
    return 0;
}
