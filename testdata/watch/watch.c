/* watch: a program to set watchpoints on (tests/integration/watch/). Runs once and exits 0.
 *
 *   counter   written by a second thread (writer), which prints its tid first; one write stores
 *             the value already there (a `watch` does not stop for it)
 *   pt        a struct whose members are written one by one (touch_point)
 *   blob.data 16 bytes at an address 4 mod 8: three debug registers (4 + 8 + 4 bytes)
 *   wide      32 bytes: a watch on it needs four registers
 *   shared    read and written (reader): -r and -rw
 *   local     a local of scoped(), written through a pointer by bump(): its watchpoint goes away
 *             when scoped() returns
 *   mine      a local of the recursive rec(): a deeper call returning to the same address is not
 *             the watched frame returning
 * With an argument (a FIFO's path), main prints "ready" and waits for a line on that FIFO first,
 * then writes counter many times: a process to attach to, watch, and detach from. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOIPA __attribute__((noipa))

struct point {
    int x;
    int y;
    long z;
};

struct blob {
    char head[4];
    char data[16];
    char tail[4];
};

volatile int counter;
struct point pt;
_Alignas(8) struct blob blob;
long wide[4];
volatile int shared = 7;
volatile long sink;

static void *writer(void *arg)
{
    (void)arg;
    printf("writer tid %ld\n", (long)syscall(SYS_gettid));
    fflush(stdout);
    for (int i = 1; i <= 3; i++)
        counter = i; /* @writer */
    counter = 3;     /* @same: the value it already has */
    counter = 10;    /* @last */
    return NULL;
}

NOIPA void touch_point(void)
{
    pt.x = 1; /* @pt_x */
    pt.y = 2; /* @pt_y */
    pt.z = 3; /* @pt_z */
    pt.y = 4; /* @pt_y2 */
}

NOIPA void fill_blob(void)
{
    blob.head[0] = 'h'; /* @head: next to data, not in it */
    blob.data[0] = 'a'; /* @data0 */
    blob.data[15] = 'z'; /* @data15 */
    blob.data[8] = 'm'; /* @data8 */
    blob.tail[0] = 't'; /* @tail */
}

NOIPA void fill_wide(void)
{
    wide[3] = 4; /* @wide */
}

NOIPA int reader(void)
{
    int a = shared; /* @read1 */
    shared = 8;     /* @write */
    int b = shared; /* @read2 */
    return a + b;
}

NOIPA void bump(int *p)
{
    *p += 5; /* @bump */
}

NOIPA int scoped(int n)
{
    int local = 0;
    for (int i = 0; i < n; i++)
        bump(&local);
    return local; /* @scoped_ret */
}

NOIPA int rec(int n)
{
    volatile int mine = n * 10;
    if (n > 0)
        mine += rec(n - 1) + 1; /* @rec_add */
    return mine; /* @rec_ret */
}

static void wait_fifo(const char *path)
{
    printf("ready\n");
    fflush(stdout);
    int fd = open(path, O_RDONLY); /* blocks until the test opens it for writing */
    char c;
    if (fd >= 0) {
        while (read(fd, &c, 1) == 1 && c != '\n')
            ;
        close(fd);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        wait_fifo(argv[1]);
        for (int i = 0; i < 100000; i++)
            counter = counter + 1; /* @detach */
        printf("counted %d\n", counter);
        return 0;
    }
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    pthread_join(t, NULL);
    touch_point();
    fill_blob();
    fill_wide();
    sink = reader();
    sink = scoped(3); /* @call_scoped */
    sink = rec(3);
    printf("watch done %d %d %d %d\n", counter, pt.y, blob.data[8], (int)sink); /* @done */
    return 0;
}
