/* safety: several threads call one small function, tick(), as fast as they can, so that a
 * breakpoint on it is hit by two threads at the same moment in a good share of the stops: the case
 * where a debugger that detaches carelessly leaves a thread past an int3 (pc = bp+1) or with the
 * int3's SIGTRAP pending, and the program dies of SIGTRAP after the debugger is gone.
 *
 * Usage: hot [NTHREADS]  (default 4). Prints "ready" once every thread has called tick(), then runs
 * until killed. It never handles SIGTRAP: a stray trap kills it, which is what the tests look for. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gettid */
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile unsigned long counts[64];
static volatile int started;

/* noipa: one real call per iteration, at -O2 too, so `break tick` is hit at the loop's rate */
__attribute__((noipa)) void tick(int id)
{
    counts[id]++; /* @tick */
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    /* The workers spin; at the lowest priority they take only the CPU time nobody else wants, so
     * the test driving them (a shell reading "ready", cdbg) is not starved on a small machine. The
     * race the tests look for needs a worker on another CPU, not a worker that wins the CPU. */
    setpriority(PRIO_PROCESS, (id_t)gettid(), 19);
    tick(id);
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    for (;;)
        tick(id);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    if (n < 1 || n > 64) {
        fprintf(stderr, "hot: NTHREADS must be 1..64\n");
        return 2;
    }
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, (void *)(long)i) != 0) {
            perror("hot: pthread_create");
            return 1;
        }
    }
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n)
        usleep(1000);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
