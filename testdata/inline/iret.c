/* The program of the inline backend's --ret tests (tests/integration/trace_inline/iret.sh).
 *   iret rec N       depth(N) (recursive, not a tail call: N+1 nested calls), then half(7.0);
 *                    prints "rec=R half=H"
 *   iret jmp K       K times: thrower(3) longjmps out of 4 nested calls to main's setjmp; then
 *                    depth(3); prints "jmp=K depth=R" (a return routed wrongly is a crash or a
 *                    wrong R)
 *   iret threads T N T threads, each depth(i % 5) for i = 0..N-1, summed; prints "threads=S"
 *   iret collide N   starts threads until one has a TID equal to main's modulo 1024 (the inline
 *                    backend's shadow stacks are found by TID % 1024, then the next ones: the two
 *                    share a hash chain), then it and main each call depth(i % 5) N times at the
 *                    same time; prints "collide=S tries=T"
 *   iret exit N      a thread's quitter(N) calls itself down to quitter(0), which calls
 *                    pthread_exit (a forced unwind through every hijacked frame); prints "exit=ok"
 *   iret wait FILE   prints "ready", waits for FILE.go, then outer(5) calls inner() which waits
 *                    for FILE (the calls are in flight while cdbg detaches or dies); prints "wait=R"
 * Every function here is noinline so that each call is a call at -O2 and with clang. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gettid */
#endif
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

volatile int sink;
static jmp_buf env;

__attribute__((noinline)) int depth(int n)
{
    if (n <= 0)
        return 1;
    int r = depth(n - 1);
    sink = r;
    return r * 2 + n;
}

__attribute__((noinline)) double half(double x)
{
    sink = (int)x;
    return x / 2;
}

__attribute__((noinline)) int thrower(int n)
{
    if (n <= 0) {
        if (sink >= 0)
            longjmp(env, 1);
        return 0;
    }
    int r = thrower(n - 1);
    sink = r;
    return r + 1;
}

__attribute__((noinline)) int quitter(int n)
{
    if (n <= 0) {
        if (sink >= 0)
            pthread_exit(NULL);
        return 0;
    }
    int r = quitter(n - 1);
    sink = r;
    return r + 1;
}

static void *quit_thread(void *arg)
{
    quitter(*(int *)arg);
    return (void *)1;
}

static const char *wait_file;
__attribute__((noinline)) int inner(void)
{
    struct timespec ts = {0, 1000000};
    while (access(wait_file, F_OK) != 0)
        nanosleep(&ts, NULL);
    sink = 1;
    return 42;
}

__attribute__((noinline)) int outer(int x)
{
    int r = inner();
    sink = r;
    return r + x;
}

static int per_thread = 0;
static void *worker(void *arg)
{
    long s = 0;
    for (int i = 0; i < per_thread; i++)
        s += depth(i % 5);
    *(long *)arg = s;
    return NULL;
}

static int target_slot;
static pthread_barrier_t both; /* the colliding thread and main start their loops together */
static _Atomic int verdict; /* 0: not yet, 1: no collision (the thread ended), 2: the colliding one */
static void *collider(void *arg)
{
    if (gettid() % 1024 != target_slot) {
        verdict = 1;
        return NULL;
    }
    verdict = 2;
    pthread_barrier_wait(&both);
    return worker(arg);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 3)
        return 2;
    const char *mode = argv[1];
    if (mode[0] == 'r') {
        int r = depth(atoi(argv[2]));
        double h = half(7.0);
        printf("rec=%d half=%g\n", r, h);
    } else if (mode[0] == 'j') {
        int k = atoi(argv[2]);
        volatile int done = 0;
        setjmp(env);
        if (done < k) {
            done++;
            thrower(3);
        }
        printf("jmp=%d depth=%d\n", done, depth(3));
    } else if (mode[0] == 't') {
        int nt = atoi(argv[2]);
        per_thread = argc > 3 ? atoi(argv[3]) : 1000;
        pthread_t th[16];
        long sums[16];
        if (nt > 16)
            nt = 16;
        for (int i = 0; i < nt; i++)
            pthread_create(&th[i], NULL, worker, &sums[i]);
        long s = 0;
        for (int i = 0; i < nt; i++) {
            pthread_join(th[i], NULL);
            s += sums[i];
        }
        printf("threads=%ld\n", s);
    } else if (mode[0] == 'c') {
        per_thread = atoi(argv[2]);
        target_slot = gettid() % 1024;
        pthread_barrier_init(&both, NULL, 2);
        long other = 0;
        int tries = 0;
        pthread_t th;
        for (;;) {
            verdict = 0;
            tries++;
            if (pthread_create(&th, NULL, collider, &other) != 0)
                return 3;
            while (verdict == 0)
                sched_yield();
            if (verdict == 2)
                break;
            pthread_join(th, NULL);
            if (tries > 100000)
                return 4;
        }
        long mine = 0;
        pthread_barrier_wait(&both);
        worker(&mine);
        pthread_join(th, NULL);
        printf("collide=%ld tries=%d\n", mine + other, tries);
    } else if (mode[0] == 'e') {
        int n = atoi(argv[2]);
        pthread_t th;
        void *rv = NULL;
        pthread_create(&th, NULL, quit_thread, &n);
        pthread_join(th, &rv);
        printf("exit=%s\n", rv == NULL ? "ok" : "returned");
    } else if (mode[0] == 'w') {
        static char go[4096];
        snprintf(go, sizeof go, "%s.go", argv[2]);
        printf("ready\n");
        struct timespec ts = {0, 1000000};
        while (access(go, F_OK) != 0)
            nanosleep(&ts, NULL);
        wait_file = argv[2];
        printf("wait=%d\n", outer(5));
    }
    return 0;
}
