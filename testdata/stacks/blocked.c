/* blocked: threads asleep in different system calls, and one that never enters the kernel, for
 * `cdbg stacks` (tests/integration/stacks, tests/bench/bench_stacks.sh).
 *
 *   thread name    body (noipa)    asleep in
 *   (main)         main            pthread_join on "mover" (futex)
 *   mutex-waiter   wait_on_mutex   pthread_mutex_lock on a mutex main holds (futex)
 *   cond-waiter    wait_on_cond    pthread_cond_wait, never signalled (futex)
 *   reader         read_pipe       read(2) on a pipe nobody writes
 *   sleeper        nap             nanosleep(2) (clock_nanosleep in glibc)
 *   epoller        poll_events     epoll_wait(2) on an empty epoll set
 *   vla            vla_read        read(2) on a pipe nobody writes, from a function with a
 *                                  variable-length array: its frame is rbp-based at every -O level
 *                                  and its size is not constant, so a thread read from its syscall
 *                                  line cannot know its rbp (the one stack `cdbg stacks` cuts short)
 *   spinner        spin            nothing: a busy loop in user space (state R)
 *   mover          wait_first      nanosleep, until SIGUSR1 (sent to the process: every other
 *                                  thread blocks it) moves it on to wait_second: read(2) on a pipe
 *                                  nobody writes; the next SIGUSR1 back to wait_first, and so on.
 *                                  Arrived, it prints "moved N" (N signals so far)
 *   worker x N     parked_worker   pthread_cond_wait (argv[1] = N, default 0: the benchmark's
 *                                  1000-thread process)
 *
 * Threads start one at a time, each asleep in its syscall before the next starts (TIDs follow the
 * table). Once every thread is where the table says, the program prints "ready" and runs until
 * killed. Bodies are noipa so -O2 keeps their names and frames; the code after each loop keeps the
 * calls from becoming tail calls. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../spine/spine_ready.h"

#define NOIPA __attribute__((noipa))

enum { T_MUTEX, T_COND, T_READ, T_SLEEP, T_EPOLL, T_VLA, T_SPIN, T_MOVER, T_FIXED };

static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER; /* locked by main forever */
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t park_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int pipe_fds[2], pipe2_fds[2], epfd;
static _Atomic pid_t fixed_tids[T_FIXED];
static _Atomic pid_t *worker_tids;
static _Atomic int spinning;
static volatile sig_atomic_t moves;
static volatile int sink;

NOIPA void *wait_on_mutex(void *arg)
{
    atomic_store(&fixed_tids[T_MUTEX], spine_gettid());
    for (;;) {
        pthread_mutex_lock(&held_mutex);
        pthread_mutex_unlock(&held_mutex);
    }
    return arg;
}

NOIPA void *wait_on_cond(void *arg)
{
    pthread_mutex_lock(&cond_mutex);
    atomic_store(&fixed_tids[T_COND], spine_gettid());
    for (;;)
        pthread_cond_wait(&never_cond, &cond_mutex);
    return arg;
}

NOIPA void *read_pipe(void *arg)
{
    char c;
    atomic_store(&fixed_tids[T_READ], spine_gettid());
    for (;;)
        sink += (int)read(pipe_fds[0], &c, 1);
    return arg;
}

NOIPA void *nap(void *arg)
{
    const struct timespec ts = {100000, 0};
    atomic_store(&fixed_tids[T_SLEEP], spine_gettid());
    for (;;)
        sink += nanosleep(&ts, NULL);
    return arg;
}

NOIPA void *poll_events(void *arg)
{
    struct epoll_event ev;
    atomic_store(&fixed_tids[T_EPOLL], spine_gettid());
    for (;;)
        sink += epoll_wait(epfd, &ev, 1, -1);
    return arg;
}

NOIPA void vla_read(int n)
{
    char buf[n];
    for (;;)
        sink += (int)read(pipe_fds[0], buf, (size_t)n);
}

NOIPA void *vla_thread(void *arg)
{
    atomic_store(&fixed_tids[T_VLA], spine_gettid());
    vla_read(16 + sink);
    sink++;
    return arg;
}

NOIPA void *spin(void *arg)
{
    atomic_store(&fixed_tids[T_SPIN], spine_gettid());
    atomic_store(&spinning, 1);
    for (;;)
        sink++;
    return arg;
}

static void arrived(int seen)
{
    if (seen > 0) {
        printf("moved %d\n", seen);
        fflush(stdout);
    }
}

NOIPA void wait_second(void)
{
    char c;
    int seen = moves;
    arrived(seen);
    while (moves == seen)
        sink += (int)read(pipe2_fds[0], &c, 1);
    sink++;
}

NOIPA void wait_first(void)
{
    const struct timespec ts = {100000, 0};
    int seen = moves;
    arrived(seen);
    while (moves == seen)
        sink += nanosleep(&ts, NULL);
    sink++;
}

static void on_usr1(int sig)
{
    moves = moves + (sig == SIGUSR1);
}

NOIPA void *mover(void *arg)
{
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    atomic_store(&fixed_tids[T_MOVER], spine_gettid());
    for (;;) {
        wait_first();
        wait_second();
    }
    return arg;
}

NOIPA void *parked_worker(void *arg)
{
    _Atomic pid_t *slot = arg;
    pthread_mutex_lock(&park_mutex);
    atomic_store(slot, spine_gettid());
    for (;;)
        pthread_cond_wait(&park_cond, &park_mutex);
    return arg;
}

static void start(pthread_t *th, void *(*fn)(void *), void *arg, const char *name, size_t stack)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stack)
        pthread_attr_setstacksize(&attr, stack);
    int rc = pthread_create(th, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        fprintf(stderr, "blocked: pthread_create(%s): %s\n", name, strerror(rc));
        exit(1);
    }
    pthread_setname_np(*th, name);
}

#define RANGE(obj) (uintptr_t)&(obj), (uintptr_t)&(obj) + sizeof(obj)

int main(int argc, char **argv)
{
    long nworkers = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    if (nworkers < 0 || nworkers > 100000) {
        fprintf(stderr, "usage: blocked [NWORKERS]\n");
        return 2;
    }
    if (pipe(pipe_fds) != 0 || pipe(pipe2_fds) != 0 || (epfd = epoll_create1(0)) < 0) {
        perror("blocked: pipe/epoll_create1");
        return 1;
    }
    /* SIGUSR1 sent to the process reaches only the mover: every other thread inherits the mask */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    pthread_mutex_lock(&held_mutex);

    const struct {
        void *(*fn)(void *);
        const char *name;
        spine_expect e;
    } fixed[T_FIXED] = {
        [T_MUTEX] = {wait_on_mutex, "mutex-waiter", {{SYS_futex, -1, -1}, RANGE(held_mutex)}},
        [T_COND] = {wait_on_cond, "cond-waiter", {{SYS_futex, -1, -1}, RANGE(never_cond)}},
        [T_READ] = {read_pipe, "reader", {{SYS_read, -1, -1}, 0, 0}},
        [T_SLEEP] = {nap, "sleeper", {{SYS_clock_nanosleep, SYS_nanosleep, -1}, 0, 0}},
        [T_EPOLL] = {poll_events, "epoller", {{SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_pwait2}, 0, 0}},
        [T_VLA] = {vla_thread, "vla", {{SYS_read, -1, -1}, 0, 0}},
        [T_SPIN] = {spin, "spinner", {{-1, -1, -1}, 0, 0}},
        [T_MOVER] = {mover, "mover", {{SYS_clock_nanosleep, SYS_nanosleep, -1}, 0, 0}},
    };
    pthread_t ths[T_FIXED];
    for (int i = 0; i < T_FIXED; i++) {
        start(&ths[i], fixed[i].fn, NULL, fixed[i].name, 0);
        if (i == T_SPIN) {
            while (!atomic_load(&spinning))
                sched_yield();
            continue;
        }
        spine_wait_blocked(&fixed_tids[i], &fixed[i].e, fixed[i].name);
    }

    worker_tids = calloc((size_t)nworkers + 1, sizeof *worker_tids);
    const spine_expect park = {{SYS_futex, -1, -1}, RANGE(park_cond)};
    for (long i = 0; i < nworkers; i++) {
        pthread_t th;
        start(&th, parked_worker, &worker_tids[i], "worker", 128 * 1024);
        spine_wait_blocked(&worker_tids[i], &park, "worker");
    }

    spine_say_ready();
    pthread_join(ths[T_MOVER], NULL);
    return 0;
}
