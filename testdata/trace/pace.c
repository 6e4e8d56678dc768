/* Calls tick() every 20 ms, each call one long trace line, until the trace's output file
 * (argv[1]) is not empty: then says after how many calls and exits 0. Exits 1 if it is still
 * empty after 400 calls (8 s at least): the output was held back in cdbg's buffer (1 MB, some
 * 600 of these lines with four -e s) instead of written out within ~100 ms of each line. */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

__attribute__((noinline)) int tick(int i, const char *s)
{
    __asm__ volatile("" ::: "memory");
    return i + s[0];
}

int main(int argc, char **argv)
{
    static char text[1024];
    for (int k = 0; k < (int)sizeof text - 1; k++)
        text[k] = (char)('0' + k % 61 % 43); /* no two neighbours alike: nothing is shown as <repeats> */
    struct timespec ts = {0, 20 * 1000 * 1000};
    for (int i = 0; i < 400; i++) {
        tick(i, text);
        struct stat st;
        if (argc > 1 && stat(argv[1], &st) == 0 && st.st_size > 0) {
            printf("output after %d calls\n", i + 1);
            return 0;
        }
        nanosleep(&ts, NULL);
    }
    printf("no output after 400 calls\n");
    return 1;
}
