/* Calls that must run, not be single-stepped (tests/integration/infcall/running.sh): a loop of
 * tens of millions of iterations, a callee that creates and joins a thread, and a second thread
 * of the program spinning all along, which must stay stopped while a call runs (ticks_after()
 * reads what it counted). At its end the program says whether the byte at its entry point (where
 * a call returns to: the debugger's int3 while the call runs) is the one it started with.
 * argv[1] "wait": prints ready and sleeps in nanosleep (a process to attach to). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

extern const unsigned char _start[];
static unsigned char entry0;
volatile long g_ticks;
volatile int g_stop;

__attribute__((noinline)) long long_loop(long n)
{
    volatile long acc = 0;
    for (long i = 0; i < n; i++)
        acc += i;
    return acc;
}

/* loops, then reads g_ticks: the spinning thread's count, changed if it ran meanwhile */
__attribute__((noinline)) long ticks_after(long n)
{
    long_loop(n);
    return g_ticks;
}

static void *times7(void *arg)
{
    long *p = arg;
    *p *= 7;
    return NULL;
}

__attribute__((noinline)) long in_thread(long x)
{
    pthread_t t;
    if (pthread_create(&t, NULL, times7, &x) != 0)
        return -1;
    pthread_join(t, NULL);
    return x;
}

static void *spinner(void *arg)
{
    (void)arg;
    while (!g_stop)
        g_ticks++;
    return NULL;
}

__attribute__((noinline)) void checkpoint(void) { __asm__ volatile("" ::: "memory"); }

static unsigned char entry_byte(void)
{
    const volatile unsigned char *p = _start; /* read again each time, never folded */
    return *p;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    entry0 = entry_byte();
    if (argc > 1 && !strcmp(argv[1], "wait")) {
        printf("ready\n");
        struct timespec ts = {1000, 0};
        nanosleep(&ts, NULL);
        return 0;
    }
    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    while (g_ticks == 0)
        ; /* the spinner runs */
    checkpoint();
    g_stop = 1;
    pthread_join(t, NULL);
    printf("entry byte %s\n", entry_byte() == entry0 ? "unchanged" : "changed");
    printf("in_thread %ld loop %ld\n", in_thread(3), long_loop(1000));
    return 0;
}
