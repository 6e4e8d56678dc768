/* crash: dies with SIGABRT and leaves a core (run it with `ulimit -c unlimited` in a scratch dir;
 * with core_pattern "core" the file is ./core or ./core.PID).
 *
 *   thread name    body (noipa)      state in the core                      marker
 *   (main)         main -> crash_level1 -> crash_level2 -> crash_level3 -> abort()
 *                                                                           @crash_l1 @crash_l2
 *                                                                           @crash_l3 @crash_main
 *   blocked        blocked_forever   pthread_cond_wait (never signalled)   @crash_cond
 *   napper         napper            sleep()                               @crash_sleep
 *
 * Three threads, created in this order (ascending TIDs, main first). main aborts only once both
 * threads are inside their final syscall. Each crash_level* is noipa and uses its result after
 * the call, so -O2 keeps all three frames (no inlining, no clones, no tail calls). */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "spine_ready.h"

#define NOIPA __attribute__((noipa))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static _Atomic pid_t tids[2];
static volatile int sink;

NOIPA void *blocked_forever(void *arg)
{
    pthread_mutex_lock(&mu);
    atomic_store(&tids[0], spine_gettid());
    for (;;)
        pthread_cond_wait(&never, &mu); /* @crash_cond */
    return arg;
}

NOIPA void *napper(void *arg)
{
    atomic_store(&tids[1], spine_gettid());
    for (;;)
        sink += (int)sleep(100000); /* @crash_sleep */
    return arg;
}

NOIPA int crash_level3(int depth)
{
    int local = depth * 10;
    sink = local;
    abort(); /* @crash_l3 */
}

NOIPA int crash_level2(int depth)
{
    int r = crash_level3(depth + 1); /* @crash_l2 */
    return r + 1;
}

NOIPA int crash_level1(int depth)
{
    int r = crash_level2(depth + 1); /* @crash_l1 */
    return r + 1;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, NULL, blocked_forever, NULL);
    pthread_setname_np(a, "blocked");
    spine_expect ea = {{SYS_futex, -1, -1}, (uintptr_t)&never, (uintptr_t)&never + sizeof never};
    spine_wait_blocked(&tids[0], &ea, "blocked");
    pthread_create(&b, NULL, napper, NULL);
    pthread_setname_np(b, "napper");
    spine_expect eb = {{SYS_clock_nanosleep, SYS_nanosleep, -1}, 0, 0};
    spine_wait_blocked(&tids[1], &eb, "napper");
    int r = crash_level1(1); /* @crash_main */
    return r;
}
