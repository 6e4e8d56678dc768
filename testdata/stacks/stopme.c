/* stopme: a process to be stopped by SIGSTOP and read by `cdbg stacks` (tests/integration/stacks/
 * sigstop.sh), then continued to its normal end.
 *
 *   thread name    body (noipa)    before SIGSTOP
 *   (main)         main            pthread_join on "reader" (futex)
 *   reader         read_line       read(2) on stdin, until the test writes a line
 *   cond-waiter    wait_go         pthread_cond_wait until the line has arrived
 *   spinner        spin            a busy loop in user space (state R) until the line has arrived
 *
 * Once every thread is there it prints "ready". After the line: every thread returns, main prints
 * "done" and exits 0. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "../spine/spine_ready.h"

#define NOIPA __attribute__((noipa))

static pthread_mutex_t go_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static int go;
static _Atomic int done, spinning;
static _Atomic pid_t reader_tid, waiter_tid;
static volatile unsigned long sink;

NOIPA void *read_line(void *arg)
{
    char buf[64];
    atomic_store(&reader_tid, spine_gettid());
    ssize_t n = read(0, buf, sizeof buf);
    pthread_mutex_lock(&go_mutex);
    go = 1;
    pthread_cond_broadcast(&go_cond);
    pthread_mutex_unlock(&go_mutex);
    atomic_store(&done, 1);
    return n > 0 ? arg : NULL;
}

NOIPA void *wait_go(void *arg)
{
    pthread_mutex_lock(&go_mutex);
    atomic_store(&waiter_tid, spine_gettid());
    while (!go)
        pthread_cond_wait(&go_cond, &go_mutex);
    pthread_mutex_unlock(&go_mutex);
    return arg;
}

NOIPA void *spin(void *arg)
{
    atomic_store(&spinning, 1);
    while (!atomic_load(&done))
        sink++;
    return arg;
}

static void start(pthread_t *th, void *(*fn)(void *), const char *name)
{
    if (pthread_create(th, NULL, fn, NULL) != 0) {
        fprintf(stderr, "stopme: pthread_create(%s) failed\n", name);
        exit(1);
    }
    pthread_setname_np(*th, name);
}

#define RANGE(obj) (uintptr_t)&(obj), (uintptr_t)&(obj) + sizeof(obj)

int main(void)
{
    pthread_t r, w, s;
    const spine_expect on_read = {{SYS_read, -1, -1}, 0, 0};
    const spine_expect on_cond = {{SYS_futex, -1, -1}, RANGE(go_cond)};
    start(&w, wait_go, "cond-waiter");
    spine_wait_blocked(&waiter_tid, &on_cond, "cond-waiter");
    start(&s, spin, "spinner");
    while (!atomic_load(&spinning))
        sched_yield();
    start(&r, read_line, "reader");
    spine_wait_blocked(&reader_tid, &on_read, "reader");
    spine_say_ready();
    pthread_join(r, NULL);
    pthread_join(w, NULL);
    pthread_join(s, NULL);
    printf("done\n");
    return 0;
}
