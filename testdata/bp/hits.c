/* All-stop with many threads: 8 threads each call hit(id, i) 1000 times (i = 0..999). Started
 * with `go` still 0, it prints "ready" and waits for a debugger to set `go = 1` (so a test can
 * attach first), then runs the threads and prints, per thread, "thread ID tid TID calls N", then
 * "hits done TOTAL", and waits to be killed (so a test can see it is alive and untraced). */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define NTHREADS 8
#define NCALLS 1000

volatile int go;
static volatile long sink;
static pid_t tids[NTHREADS];
static int calls[NTHREADS];

__attribute__((noipa)) void hit(int id, int i)
{
    sink += id * NCALLS + i; /* @hit */
    calls[id]++;
}

static void *worker(void *arg)
{
    int id = (int)(long)arg;
    tids[id] = gettid();
    for (int i = 0; i < NCALLS; i++)
        hit(id, i);
    return NULL;
}

int main(void)
{
    printf("ready\n");
    fflush(stdout);
    while (!go)
        usleep(1000); /* @wait */
    pthread_t th[NTHREADS];
    for (long k = 0; k < NTHREADS; k++)
        pthread_create(&th[k], NULL, worker, (void *)k);
    int total = 0;
    for (int k = 0; k < NTHREADS; k++) {
        pthread_join(th[k], NULL);
        total += calls[k];
    }
    for (int k = 0; k < NTHREADS; k++)
        printf("thread %d tid %d calls %d\n", k, (int)tids[k], calls[k]);
    printf("hits done %d\n", total);
    fflush(stdout);
    for (;;)
        pause();
}
