/* Runs until told to stop, for the tests that attach (-p): prints "ready", then calls tick(i)
 * about every millisecond until the file argv[1] exists, and prints how many ticks it made. */
#include <stdio.h>
#include <time.h>
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
    printf("ready\n");
    fflush(stdout);
    int i = 0;
    struct timespec ms = {0, 1000000};
    while (access(argv[1], F_OK) != 0) {
        i = tick(i);
        nanosleep(&ms, NULL);
    }
    printf("ticks %d\n", i);
    return 0;
}
