/* Structs passed by value on the stack, larger than the trace's default 512-byte stack copy
 * (f_big, 708 bytes) and than its cap (f_huge, 8 KB). Each call overwrites its own copy of the
 * argument after the probe (b.last = -1), and the last call of each then blocks on the FIFO
 * argv[1] until the test has seen its trace line: a value read from the process after the hit
 * instead of from the hit's stack copy shows -1. */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

struct big {
    int tag;
    char pad[700];
    int last;
};
struct huge {
    int tag;
    char pad[8192];
    int last;
};
static const char *fifo;

static void hold(void)
{
    int fd = open(fifo, O_RDONLY);
    char c;
    if (fd >= 0) {
        (void)!read(fd, &c, 1);
        close(fd);
    }
}

__attribute__((noinline)) int f_big(struct big b)
{
    int r = b.tag + b.last;
    *(volatile int *)&b.last = -1;
    if (b.tag == 4)
        hold();
    return r;
}

__attribute__((noinline)) int f_huge(struct huge h)
{
    int r = h.tag + h.last;
    *(volatile int *)&h.last = -1;
    *(volatile int *)&h.tag = -1;
    if (r == 2 + 2002)
        hold();
    return r;
}

int main(int argc, char **argv)
{
    fifo = argc > 1 ? argv[1] : "/dev/null";
    long s = 0;
    for (int i = 0; i < 5; i++) {
        struct big b = {0};
        b.tag = i;
        b.last = 1000 + i;
        s += f_big(b);
    }
    for (int i = 0; i < 3; i++) {
        static struct huge h;
        h.tag = i;
        h.last = 2000 + i;
        s += f_huge(h);
    }
    printf("s=%ld\n", s);
    return 0;
}
