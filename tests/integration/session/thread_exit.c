/* session_thread_exit's program (built by thread_exit.sh): ROUNDS rounds; in each, main starts
 * THREADS threads that exit at once (half joined, half detached, so some end while the program is
 * stopped or being stopped), then calls checkpoint(round). Before it returns, main waits until
 * every detached thread is gone from /proc/self/task (reaped by the debugger), so each thread's
 * exit happens, and is seen, before the process ends. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#define NOIPA __attribute__((noipa))
#define MAXT 4096
static volatile long sink;
static volatile pid_t tids[MAXT];
static void *quick(void *arg)
{
    tids[(long)arg] = (pid_t)syscall(SYS_gettid);
    return NULL;
}
NOIPA void checkpoint(int round) { sink += round; }
int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 20, threads = argc > 2 ? atoi(argv[2]) : 4;
    if (rounds * threads > MAXT || threads > 64)
        return 2;
    for (int r = 0; r < rounds; r++) {
        pthread_t t[64];
        for (int i = 0; i < threads; i++)
            pthread_create(&t[i], NULL, quick, (void *)(long)(r * threads + i));
        for (int i = 0; i < threads; i++)
            if (i % 2)
                pthread_detach(t[i]);
            else
                pthread_join(t[i], NULL);
        checkpoint(r);
    }
    for (int i = 0; i < rounds * threads; i++) {
        char p[64];
        for (;;) {
            snprintf(p, sizeof p, "/proc/self/task/%d", (int)tids[i]);
            if (tids[i] && access(p, F_OK) != 0)
                break;
            sched_yield();
        }
    }
    printf("threads done\n");
    return 0;
}
