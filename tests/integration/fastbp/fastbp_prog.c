/* Fast breakpoints (tests/integration/fastbp): tick(i) called many times, from main or threads.
 *   fastbp_prog run T N    T threads (0: main alone) each call tick(i) for i = 0..N-1, then
 *                          "done TOTAL" and exit 0
 *   fastbp_prog wait T N   prints "ready", waits until a debugger sets go = 1, runs as above,
 *                          prints "done TOTAL" and sleeps until killed (the test checks the
 *                          process it left behind)
 *   fastbp_prog fork 0 N   calls tick(i) N times, forks: the child calls tick(i) N times and exits
 *                          0 ("child done N"), the parent waits for it ("child status S"), calls
 *                          tick(i) N more times and exits 0 ("done 2N") */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXT 16

volatile int go;
volatile long sink;
static long n_calls;
static long calls[MAXT];

__attribute__((noipa)) void tick(long i)
{
    sink += i; /* @tick */
}

static void *worker(void *arg)
{
    long id = (long)arg;
    for (long i = 0; i < n_calls; i++) {
        tick(i);
        calls[id]++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int wait = strcmp(argv[1], "wait") == 0;
    if (strcmp(argv[1], "fork") == 0) {
        long n = atol(argv[3]);
        for (long i = 0; i < n; i++)
            tick(i);
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            for (long i = 0; i < n; i++)
                tick(i);
            printf("child done %ld\n", n);
            fflush(stdout);
            _exit(0);
        }
        int st = -1;
        waitpid(kid, &st, 0);
        printf("child status %d\n", st);
        fflush(stdout);
        for (long i = 0; i < n; i++)
            tick(i);
        printf("done %ld\n", 2 * n);
        return 0;
    }
    long nt = atol(argv[2]);
    n_calls = atol(argv[3]);
    if (nt < 0 || nt > MAXT)
        return 2;
    if (wait) {
        printf("ready\n");
        fflush(stdout);
        while (!go)
            usleep(1000); /* @wait */
    }
    long total = 0;
    if (nt == 0) {
        worker((void *)0);
        total = calls[0];
    } else {
        pthread_t th[MAXT];
        for (long k = 0; k < nt; k++)
            pthread_create(&th[k], NULL, worker, (void *)k);
        for (long k = 0; k < nt; k++) {
            pthread_join(th[k], NULL);
            total += calls[k];
        }
    }
    printf("done %ld\n", total);
    fflush(stdout);
    while (wait)
        pause();
    return 0;
}
