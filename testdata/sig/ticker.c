/* ticker: prints "tick N" every few milliseconds, forever (tests/integration/sig/ctrlc.sh): a
 * program that is visibly alive, or not. Its first line says its pid. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    printf("pid %d\n", (int)getpid());
    fflush(stdout);
    for (unsigned long n = 0;; n++) {
        printf("tick %lu\n", n);
        fflush(stdout);
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
