/* A thread blocked inside a traced call (tests/integration/unwpatch/): main reads one byte from
 * stdin (count 1: the test's go), then middle() -> leaf(), whose read asks for 2 bytes, so the
 * test sees in /proc/PID/syscall which read the thread sleeps in. With `cdbg trace --ret leaf`
 * armed before the go, leaf's return address is cdbg's return trampoline while it sleeps. A second
 * thread sleeps in the same leaf (fd 3, a pipe nobody writes) to give `cdbg stacks` two stacks. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int pfd[2];

__attribute__((noinline)) int leaf(int fd)
{
    char buf[2] = {0, 0};
    ssize_t n = read(fd, buf, 2);
    return n > 0 ? buf[0] : -1;
}

__attribute__((noinline)) int middle(int fd)
{
    int r = leaf(fd);
    return r + 1;
}

static void *other(void *arg)
{
    (void)arg;
    return (void *)(long)middle(pfd[0]);
}

int main(void)
{
    char go;
    if (pipe(pfd) != 0)
        return 2;
    printf("ready\n");
    fflush(stdout);
    if (read(0, &go, 1) != 1)
        return 3;
    pthread_t th;
    pthread_create(&th, NULL, other, NULL);
    int r = middle(0);
    printf("leaf gave %d\n", r);
    return 0;
}
