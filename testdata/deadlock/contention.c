/* Busy but not deadlocked: heavy contention on one mutex, a mutex held across sleep, condition
 * variable waits that never end, a join on a sleeping thread, an rwlock held by a sleeping reader
 * with a writer queued, a read on an idle pipe, and a wait on a semaphore on the waiter's own stack
 * (a zero futex word on the stack, like glibc's priority-inheritance dead end, but it will be
 * posted), and a futex the program manages itself (through syscall()) whose words look like a
 * pthread mutex waited on with its "owner" the main thread. cdbg deadlock must say "no deadlock". */
#include "dl_common.h"

#include <linux/futex.h>
#include <semaphore.h>

pthread_mutex_t hot_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t slow_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t cv_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
pthread_rwlock_t table_rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile unsigned long counter;
static int pipefd[2];

static void *contender(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&hot_mu);
        counter++;
        pthread_mutex_unlock(&hot_mu);
    }
    return NULL;
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&slow_mu);
        dl_sleep_ms(30); /* held across sleep: waiters queue up, but it is released */
        pthread_mutex_unlock(&slow_mu);
        dl_sleep_ms(1);
    }
    return NULL;
}

static void *slow_waiter(void *arg)
{
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&slow_mu);
        pthread_mutex_unlock(&slow_mu);
        dl_sleep_ms(2);
    }
    return NULL;
}

static void *cv_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&cv_mu);
    for (;;)
        pthread_cond_wait(&cv, &cv_mu);
    return NULL;
}

static void *napper(void *arg)
{
    (void)arg;
    dl_forever();
    return NULL;
}

static void *joiner(void *arg)
{
    pthread_join(*(pthread_t *)arg, NULL);
    return NULL;
}

static _Atomic int rd_held;

static void *rd_holder(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&table_rw);
    rd_held = 1;
    dl_forever();
    return NULL;
}

static void *wr_waiter(void *arg)
{
    (void)arg;
    /* only once the reader holds it: on a loaded machine a writer that came first would take the
     * lock and exit holding it, a real orphaned lock the detector rightly reports */
    while (!rd_held)
        dl_sleep_ms(1);
    pthread_rwlock_wrlock(&table_rw);
    return NULL;
}

static void *pipe_reader(void *arg)
{
    (void)arg;
    char c;
    while (read(pipefd[0], &c, 1) != 0) {
    }
    return NULL;
}

static void *late_poster(void *arg)
{
    dl_sleep_ms(1000 * 1000);
    sem_post(arg);
    return NULL;
}

/* Laid out like a pthread_mutex_t waited on: word 2, an "owner" at +8 (set to the main thread's
 * TID), kind 0 at +16. It is not one: nothing in glibc's lock code waits on it. */
static struct {
    int state, head, owner_like, tail, flags;
} work_queue = {2, 0, 0, 0, 0};

static void *own_futex_waiter(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&work_queue.state, __ATOMIC_ACQUIRE) == 2)
        syscall(SYS_futex, &work_queue.state, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0);
    return NULL;
}

static void *stack_sem_waiter(void *arg)
{
    (void)arg;
    sem_t done;
    pthread_t t;
    sem_init(&done, 0, 0);
    pthread_create(&t, NULL, late_poster, &done);
    sem_wait(&done);
    pthread_join(t, NULL);
    return NULL;
}

int main(void)
{
    pthread_t t;
    static pthread_t nap;
    if (pipe(pipefd) != 0)
        return 1;
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, contender, NULL);
    pthread_create(&t, NULL, sleeper, NULL);
    for (int i = 0; i < 2; i++)
        pthread_create(&t, NULL, slow_waiter, NULL);
    for (int i = 0; i < 3; i++)
        pthread_create(&t, NULL, cv_waiter, NULL);
    pthread_create(&nap, NULL, napper, NULL);
    pthread_create(&t, NULL, joiner, &nap);
    pthread_create(&t, NULL, rd_holder, NULL);
    pthread_create(&t, NULL, wr_waiter, NULL);
    pthread_create(&t, NULL, pipe_reader, NULL);
    pthread_create(&t, NULL, stack_sem_waiter, NULL);
    work_queue.owner_like = (int)syscall(SYS_gettid);
    pthread_create(&t, NULL, own_futex_waiter, NULL);
    dl_sleep_ms(150);
    printf("ready\n");
    fflush(stdout);
    dl_forever();
}
