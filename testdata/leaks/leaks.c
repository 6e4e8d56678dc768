/* A program with a known leak for `cdbg leaks` (tests/integration/leaks/): leak_a() keeps 3 blocks of
 * 100 bytes, leak_b() one of 4096 through alloc_helper(); everything else it allocates (threads
 * calling malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign, valloc,
 * strdup) is freed. Output goes through write(2): stdio's buffer would be one more live block.
 * Modes: `run` does it all and exits; `wait` allocates some blocks, prints "ready", does the work
 * at SIGUSR1 ("work done"), frees the early blocks and ends at SIGUSR2 ("wait: ok"); `loop N`
 * mallocs and frees N blocks (the benchmark). The tests look lines up by their marker comments. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *volatile keep[8];
static void *volatile sink;

static void say(const char *s)
{
    if (write(1, s, strlen(s)) < 0)
        _exit(99);
}

__attribute__((noinline)) static void leak_a(void)
{
    for (int i = 0; i < 3; i++)
        keep[i] = malloc(100); /* LEAK_A */
}

__attribute__((noinline)) static void *alloc_helper(size_t n)
{
    void *p = malloc(n); /* LEAK_B */
    sink = p;
    return p;
}

__attribute__((noinline)) static void leak_b(void)
{
    keep[3] = alloc_helper(4096);
}

__attribute__((noinline)) static void churn(int n)
{
    for (int i = 0; i < n; i++) {
        char *p = malloc(16 + (size_t)(i % 64));
        char *q = calloc(4, 8 + (size_t)(i % 7));
        p = realloc(p, 200 + (size_t)(i % 300));
        char *r = reallocarray(NULL, 3, 40);
        r = realloc(r, 0); /* frees it: glibc returns NULL */
        void *pm = NULL;
        if (posix_memalign(&pm, 64, 96))
            _exit(98);
        void *aa = aligned_alloc(256, 512);
        void *ma = memalign(32, 48);
        void *va = valloc(100);
        char *d = strdup("a string of the program");
        sink = p, sink = q, sink = d;
        free(d);
        free(va);
        free(ma);
        free(aa);
        free(pm);
        free(r);
        free(q);
        free(p);
        free(NULL);
    }
}

static void *worker(void *arg)
{
    churn((int)(long)arg);
    return NULL;
}

static void work(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, worker, (void *)(200 + i));
    churn(100);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    leak_a();
    leak_b();
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "run";
    if (!strcmp(mode, "run")) {
        work();
        say("leaks: ok\n");
        return 0;
    }
    if (!strcmp(mode, "loop")) {
        long n = argc > 2 ? atol(argv[2]) : 1000000;
        struct timespec w0, w1, c0, c1;
        clock_gettime(CLOCK_MONOTONIC, &w0);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        for (long i = 0; i < n; i++) {
            void *p = malloc(32 + (size_t)(i & 255));
            sink = p;
            free(p);
        }
        clock_gettime(CLOCK_MONOTONIC, &w1);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        /* the benchmark's numbers, on stderr (stderr is unbuffered: no block of stdio's) */
        fprintf(stderr, "loop_ns %lld\nloop_cpu_ns %lld\n",
                (long long)(w1.tv_sec - w0.tv_sec) * 1000000000LL + (w1.tv_nsec - w0.tv_nsec),
                (long long)(c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec));
        say("loop: ok\n");
        return 0;
    }
    if (!strcmp(mode, "wait")) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigaddset(&set, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        void *early[5];
        for (int i = 0; i < 5; i++)
            early[i] = malloc(1000);
        say("ready\n");
        int sig = 0;
        sigwait(&set, &sig);
        work(); /* WORK_WAIT */
        say("work done\n");
        for (int i = 0; i < 5; i++)
            free(early[i]);
        say("early freed\n");
        do
            sigwait(&set, &sig);
        while (sig != SIGUSR2);
        say("wait: ok\n");
        return 0;
    }
    say("usage: leaks run|wait|loop N\n");
    return 2;
}
