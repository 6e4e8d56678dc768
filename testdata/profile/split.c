/* `cdbg profile` test program (tests/integration/profile): a worker thread does a fixed amount of
 * work, three quarters of it in hot_a and one quarter in hot_b, both through the same inlined
 * step(), so the profile must find a 3:1 split of CPU time on the stacks
 *     worker_main -> run_work -> hot_a -> step (inlined)   and   ... -> hot_b -> step (inlined)
 * The work is counted in iterations, not in seconds: the split does not depend on the machine.
 *
 * usage: split UNITS [wait|deep|exit|child]
 *   prints "ready", then (wait) blocks until a line arrives on stdin before working; deep: the
 *   work runs under a 100 KB stack frame chain (stacks deeper than a sample's copy: "cut"); exit:
 *   the process exits from the worker in the middle of the work (exit status 3); child: before its
 *   own work, it runs a copy of itself (fork + exec, so another address space) doing the same work
 *   and waits for it (a profile of this process must leave the child's samples out). At the end it
 *   prints "cpu_ms N", the process's CPU time, and "work_us N", the work's wall time. Exit status 0. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static long units = 10;
static const char *mode = "";
static volatile unsigned long sink;

static inline __attribute__((always_inline)) unsigned long step(unsigned long x)
{
    /* a chain of dependent multiplies: the same cost per call wherever it is inlined */
    for (int i = 0; i < 1000; i++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

__attribute__((noinline)) unsigned long hot_a(unsigned long n)
{
    unsigned long x = n;
    for (unsigned long i = 0; i < 3 * n; i++)
        x = step(x);
    return x;
}

__attribute__((noinline)) unsigned long hot_b(unsigned long n)
{
    unsigned long x = n + 1;
    for (unsigned long i = 0; i < n; i++)
        x = step(x);
    return x;
}

__attribute__((noinline)) void run_work(void)
{
    for (long u = 0; u < units; u++) {
        sink += hot_a(10000);
        sink += hot_b(10000);
        if (!strcmp(mode, "exit") && u == units / 2)
            exit(3);
    }
}

/* Recursion with big frames, so that run_work's callers are out of reach of the sample's copy. */
__attribute__((noinline)) void deep(int level)
{
    volatile char pad[4096];
    pad[0] = (char)level;
    if (level > 0)
        deep(level - 1);
    else
        run_work();
    sink += (unsigned long)pad[0];
}

static void *worker_main(void *arg)
{
    (void)arg;
    if (!strcmp(mode, "deep"))
        deep(24);
    else
        run_work();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        units = atol(argv[1]);
    if (argc > 2)
        mode = argv[2];
    printf("ready\n");
    fflush(stdout);
    if (!strcmp(mode, "wait")) {
        char line[16];
        if (!fgets(line, sizeof line, stdin))
            return 1;
    }
    if (!strcmp(mode, "child")) {
        pid_t c = fork();
        if (c == 0) {
            execl("/proc/self/exe", argv[0], argv[1], "run", (char *)NULL);
            _exit(127);
        }
        int ws;
        if (c < 0 || waitpid(c, &ws, 0) != c || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
            return 1;
    }
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);
    pthread_t t;
    pthread_create(&t, NULL, worker_main, NULL);
    pthread_setname_np(t, "worker");
    pthread_join(t, NULL);
    /* the CPU time the profile should have sampled (hz samples per CPU-second) */
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    clock_gettime(CLOCK_MONOTONIC, &w1);
    printf("cpu_ms %lld\n", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    /* the work's wall time, for tests/bench/bench_profile.sh's throughput */
    printf("work_us %lld\n", (long long)(w1.tv_sec - w0.tv_sec) * 1000000 + (w1.tv_nsec - w0.tv_nsec) / 1000);
    return 0;
}
