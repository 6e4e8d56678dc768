/* threads: the spine's multi-threaded target. Every thread blocks forever in a known place.
 *
 *   thread name    body (noipa)      blocked in                            marker
 *   (main)         main              pthread_join on "mutex-waiter"        @main_join
 *   mutex-waiter   wait_on_mutex     pthread_mutex_lock(held by main)      @mutex_lock
 *   cond-waiter    wait_on_cond      pthread_cond_wait (never signalled)   @cond_wait
 *   sleeper        sleeper           sleep() -> clock_nanosleep            @sleep
 *   reader         reader            read() on a pipe nobody writes        @read
 *   inline-chain   inline_thread ->  inline_outer -> inline_mid (inlined)
 *                    -> inline_leaf (inlined) -> poll(NULL, 0, -1)          @inline_*
 *   sig-handler    in_handler        raised SIGUSR1 with a raw tgkill      @raise
 *                                    (no libc frame), handler on_signal
 *                                    blocks in pause()                     @handler_pause
 *   worker x N     parked_worker     pthread_cond_wait on park_cond        @worker_wait
 *
 * argv[1] = N extra "worker" threads (default 0), so the process has 7 + N threads, created in the
 * order above (ascending TIDs). Once every thread is inside its final syscall the program prints
 * "ready" and runs until killed.
 *
 * Tests check exact file:line: each blocking call sits alone on a line ending in a marker comment
 * "@name", so `grep -n '@name' threads.c` gives its line; testdata/README.md lists them. Do not
 * reflow this file without updating README.md. Bodies are noipa so -O2 keeps their names (no
 * .constprop/.isra clones) and their frames (no inlining); the code after each loop keeps calls
 * from becoming tail calls. */
#include <pthread.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spine_ready.h"

#define NOIPA __attribute__((noipa))
#define ALWAYS_INLINE static inline __attribute__((always_inline))

enum { T_MUTEX, T_COND, T_SLEEP, T_READ, T_INLINE, T_SIGNAL, T_FIXED };

static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;  /* locked by main forever */
static pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t park_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t park_cond = PTHREAD_COND_INITIALIZER;
static int pipe_fds[2];                                        /* main keeps the write end open */
static _Atomic pid_t fixed_tids[T_FIXED];
static _Atomic pid_t *worker_tids;
static volatile int sink;

NOIPA void *wait_on_mutex(void *arg)
{
    atomic_store(&fixed_tids[T_MUTEX], spine_gettid());
    for (;;) {
        pthread_mutex_lock(&held_mutex); /* @mutex_lock */
        pthread_mutex_unlock(&held_mutex);
    }
    return arg;
}

NOIPA void *wait_on_cond(void *arg)
{
    pthread_mutex_lock(&cond_mutex);
    atomic_store(&fixed_tids[T_COND], spine_gettid());
    for (;;)
        pthread_cond_wait(&never_cond, &cond_mutex); /* @cond_wait */
    return arg;
}

NOIPA void *sleeper(void *arg)
{
    atomic_store(&fixed_tids[T_SLEEP], spine_gettid());
    for (;;)
        sink += (int)sleep(100000); /* @sleep */
    return arg;
}

NOIPA void *reader(void *arg)
{
    char c;
    atomic_store(&fixed_tids[T_READ], spine_gettid());
    for (;;)
        sink += (int)read(pipe_fds[0], &c, 1); /* @read */
    return arg;
}

ALWAYS_INLINE void inline_leaf(int timeout)
{
    for (;;)
        sink += poll(NULL, 0, timeout); /* @inline_leaf_poll */
}

ALWAYS_INLINE void inline_mid(int timeout)
{
    sink++;
    inline_leaf(timeout); /* @inline_mid_call */
}

NOIPA void inline_outer(int timeout)
{
    atomic_store(&fixed_tids[T_INLINE], spine_gettid());
    inline_mid(timeout); /* @inline_outer_call */
    sink++;
}

NOIPA void *inline_thread(void *arg)
{
    inline_outer(-1); /* @inline_thread_call */
    return arg;
}

NOIPA void on_signal(int sig)
{
    atomic_store(&fixed_tids[T_SIGNAL], spine_gettid());
    for (;;)
        sink += pause() + sig; /* @handler_pause */
}

NOIPA void *in_handler(void *arg)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    long pid = getpid(), tid = spine_gettid(), sig = SIGUSR1, ret;
    /* A raw tgkill, so the interrupted frame below the signal frame is this function itself. The
     * nop keeps the interrupted pc (just after `syscall`) on this line at every -O level. */
    __asm__ volatile("syscall\n\tnop" : "=a"(ret) : "0"((long)SYS_tgkill), "D"(pid), "S"(tid), "d"(sig) : "rcx", "r11", "memory"); /* @raise */
    sink += (int)ret;
    return arg;
}

NOIPA void *parked_worker(void *arg)
{
    _Atomic pid_t *slot = arg;
    pthread_mutex_lock(&park_mutex);
    atomic_store(slot, spine_gettid());
    for (;;)
        pthread_cond_wait(&park_cond, &park_mutex); /* @worker_wait */
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
        fprintf(stderr, "threads: pthread_create(%s): %s\n", name, strerror(rc));
        exit(1);
    }
    pthread_setname_np(*th, name);
}

#define RANGE(obj) (uintptr_t)&(obj), (uintptr_t)&(obj) + sizeof(obj)

int main(int argc, char **argv)
{
    long nworkers = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    if (nworkers < 0 || nworkers > 100000) {
        fprintf(stderr, "usage: threads [NWORKERS]\n");
        return 2;
    }
    if (pipe(pipe_fds) != 0) {
        perror("threads: pipe");
        return 1;
    }
    pthread_mutex_lock(&held_mutex);

    /* One at a time, each fully blocked before the next starts, so TIDs follow this order. */
    const struct {
        void *(*fn)(void *);
        const char *name;
        spine_expect e;
    } fixed[T_FIXED] = {
        [T_MUTEX] = {wait_on_mutex, "mutex-waiter", {{SYS_futex, -1, -1}, RANGE(held_mutex)}},
        [T_COND] = {wait_on_cond, "cond-waiter", {{SYS_futex, -1, -1}, RANGE(never_cond)}},
        [T_SLEEP] = {sleeper, "sleeper", {{SYS_clock_nanosleep, SYS_nanosleep, -1}, 0, 0}},
        [T_READ] = {reader, "reader", {{SYS_read, -1, -1}, 0, 0}},
        [T_INLINE] = {inline_thread, "inline-chain", {{SYS_poll, SYS_ppoll, -1}, 0, 0}},
        [T_SIGNAL] = {in_handler, "sig-handler", {{SYS_pause, SYS_rt_sigsuspend, SYS_ppoll}, 0, 0}},
    };
    pthread_t ths[T_FIXED];
    for (int i = 0; i < T_FIXED; i++) {
        start(&ths[i], fixed[i].fn, NULL, fixed[i].name, 0);
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
    pthread_join(ths[T_MUTEX], NULL); /* @main_join */
    return 0;
}
