/* The ptrace tracepoint backend's program (tests/unit/test_trace_ptrace.c), -O1, non-PIE.
 *   tracehot NTHREADS NCALLS [split]
 * prints "work=ADDR load8=ADDR", waits for a byte on stdin (the tracer is ready), then starts a spinner
 * thread (a loop without system calls: it is never stopped unless a debugger stops it) and
 * NTHREADS threads that each call work(k * 1000000 + i) for i = 0..NCALLS-1, thread k = 0, 1...
 * Then it prints "sum=S" (the sum of work's results) and the spinner's voluntary context switches
 * while the workers ran ("spinner_vcs=N": each stop of the spinner by a debugger is one).
 * With `split`, the workers call load8(p) instead, p an 8-byte value k * 1000000 + i that
 * straddles a page boundary (an access no emulation takes: a tracer must run it on the CPU). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noipa)) int work(int x)
{
    return x + 1;
}

__attribute__((noipa)) long load8(const long *p)
{
    return *p;
}

static int ncalls;
static bool split;
static atomic_int done;
static long spun;

static long vcs(void)
{
    char line[256];
    long n = -1;
    FILE *f = fopen("/proc/thread-self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "voluntary_ctxt_switches:", 24))
            n = atol(line + 24);
    if (f)
        fclose(f);
    return n;
}

static void *spinner(void *arg)
{
    long *out = arg;
    long before = vcs();
    volatile long x = 0;
    while (!atomic_load(&done))
        x++;
    spun = x;
    *out = vcs() - before;
    return NULL;
}

static void *worker(void *arg)
{
    long k = (long)arg, s = 0;
    if (split) {
        char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED)
            return (void *)-1;
        long *p = (long *)(page + 4096 - 4);
        for (int i = 0; i < ncalls; i++) {
            *p = k * 1000000 + i;
            s += load8(p) + 1;
        }
        return (void *)s;
    }
    for (int i = 0; i < ncalls; i++)
        s += work((int)(k * 1000000 + i));
    return (void *)s;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int nthreads = atoi(argv[1]);
    ncalls = atoi(argv[2]);
    split = argc > 3 && !strcmp(argv[3], "split");
    printf("work=%p load8=%p\n", (void *)work, (void *)load8);
    fflush(stdout);
    char c;
    if (read(0, &c, 1) != 1)
        return 2;
    long spinner_vcs = -1;
    pthread_t sp, th[64];
    pthread_create(&sp, NULL, spinner, &spinner_vcs);
    long sum = 0;
    for (long k = 0; k < nthreads && k < 64; k++)
        pthread_create(&th[k], NULL, worker, (void *)k);
    for (long k = 0; k < nthreads && k < 64; k++) {
        void *r;
        pthread_join(th[k], &r);
        sum += (long)r;
    }
    atomic_store(&done, 1);
    pthread_join(sp, NULL);
    printf("sum=%ld\nspinner_vcs=%ld\n", sum, spinner_vcs);
    return 0;
}
