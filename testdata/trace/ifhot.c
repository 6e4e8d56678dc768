/* --if on a hot function (tests/integration/trace/ifdrain.sh): argv[1] is a FIFO the test holds
 * open for writing. hot(x) with x != 5 a thousand times, hot(5) once (the marker, the only call
 * --if 'x == 5' shows), then hot(x != 5) as fast as it can until the test's byte: the program is
 * held there, and the trace's ring never runs dry while it is, so a drain that returned only when
 * the ring is empty would never hand back to cdbg (no flush, no ^C) before the release. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int hot(int x)
{
    __asm__ volatile("" ::: "memory");
    return x + 1;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int fd = open(argv[1], O_RDONLY | O_NONBLOCK);
    if (fd < 0)
        return 2;
    long calls = 0;
    for (int i = 0; i < 1000; i++, calls++)
        hot(i % 2 ? 7 : 0);
    hot(5);
    calls++;
    char c;
    for (int i = 0;; i++) {
        hot(i % 2 ? 7 : 0);
        calls++;
        if (i % 256 == 0) {
            ssize_t r = read(fd, &c, 1);
            if (r == 1)
                break;
            if (r == 0) /* every writer gone: the test ended without releasing us; do not spin on */
                return 4;
        }
    }
    fprintf(stderr, "ifhot: %ld calls\n", calls);
    return 0;
}
