/* Moves between the CPUs on every call, for the test that a trace attached to a running program has
 * no gap at its start: prints "ready", then calls tick(i) in a tight loop, hopping to the next CPU
 * before each call, until the file argv[1] exists; prints how many ticks it made. It never blocks
 * (the test starts it without td_start, which waits for the main thread to sleep). */
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline, noclone)) int tick(int i)
{
    __asm__ volatile("" ::: "memory");
    return i + 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 1 || ncpu > CPU_SETSIZE)
        ncpu = 1;
    printf("ready\n");
    fflush(stdout);
    int i = 0;
    for (long n = 0; access(argv[1], F_OK) != 0; n++) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)(n % ncpu), &set);
        sched_setaffinity(0, sizeof set, &set);
        i = tick(i);
    }
    printf("ticks %d\n", i);
    return 0;
}
