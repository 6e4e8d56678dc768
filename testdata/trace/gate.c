/* The trace's output must be live (tests/integration/trace/live.sh): argv[1] is a FIFO the test
 * holds open for writing, and every phase waits for the test's byte on it, so the test decides
 * when the program moves on, after it has seen the lines it expects.
 *   1. tick(0..4, 1), then blocked in read(): the five lines must come out while nothing else
 *      happens (an idle trace).
 *   2. tick(5, 1) once, then tick(i, 0) as fast as it can until the next byte: with --if show the
 *      marker is the only line, and every poll of the trace finds records (the hidden calls), so
 *      only a flush by time writes it out.
 * Then it says how many calls it made (on stderr: stdout may be the trace's) and exits 0. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int tick(int i, int show)
{
    __asm__ volatile("" ::: "memory");
    return i + show;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0)
        return 2;
    long calls = 0;
    char c;
    for (int i = 0; i < 5; i++, calls++)
        tick(i, 1);
    if (read(fd, &c, 1) != 1)
        return 3;
    tick(5, 1);
    calls++;
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
        return 2;
    for (int i = 6;; i++) {
        tick(i, 0);
        calls++;
        if (i % 256 == 0) {
            ssize_t r = read(fd, &c, 1);
            if (r == 1)
                break;
            if (r == 0) /* every writer gone: the test ended without releasing us; do not spin on */
                return 4;
        }
    }
    fprintf(stderr, "gate: %ld calls\n", calls);
    return 0;
}
