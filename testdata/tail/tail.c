/* Tail calls for tests/integration/stacks/tailcall.sh: relay() ends in a jump to wait_byte() (no
 * frame of its own left), which blocks in read(); pick() reaches blocker() through either of two
 * tail-calling functions, so which one it went through cannot be known. Built with gcc -O2 and
 * clang -O2: gdb rebuilds relay's frame from DWARF call sites and shows none between pick and main.
 * A third thread waits in pthread_join, where glibc's own tail calls leave frames out (libc6-dbg).
 * Prints "ready" when the threads are started; the test waits for all three to sleep. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int fds[2];
volatile int sink;

__attribute__((noinline)) int wait_byte(int fd)
{
    char c = 0;
    ssize_t r = read(fd, &c, 1);
    sink = (int)r;
    return c + (int)r;
}

__attribute__((noinline)) int relay(int fd)
{
    sink = fd;
    return wait_byte(fd);
}

__attribute__((noinline)) int blocker(int fd, int how)
{
    char c = 0;
    ssize_t r = read(fd, &c, 1);
    sink = how;
    return c + (int)r * how;
}

__attribute__((noinline)) int via_a(int fd) { sink = 1; return blocker(fd, 3); }
__attribute__((noinline)) int via_b(int fd) { sink = 2; return blocker(fd, 5); }

__attribute__((noinline)) int pick(int fd, int which)
{
    sink = which;
    if (which)
        return via_a(fd);
    return via_b(fd + 0);
}

static void *worker(void *arg)
{
    (void)arg;
    int v = pick(fds[0], sink == 42);
    printf("worker %d\n", v);
    return NULL;
}

static void *joiner(void *arg)
{
    pthread_join(*(pthread_t *)arg, NULL);
    printf("joined\n");
    return NULL;
}

int main(void)
{
    if (pipe(fds) < 0)
        return 1;
    pthread_t th, jt;
    pthread_create(&th, NULL, worker, NULL);
    pthread_create(&jt, NULL, joiner, &th);
    printf("ready\n");
    fflush(stdout);
    int v = relay(fds[0]);
    pthread_join(jt, NULL);
    printf("done %d\n", v);
    return 0;
}
