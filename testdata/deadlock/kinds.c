/* ABBA with a chosen lock flavour: ./kinds KIND, KIND one of normal recursive errorcheck adaptive
 * robust pi robust_pi timed c11 rdlock. */
#include "dl_common.h"

#include <threads.h>

pthread_mutex_t lock_a, lock_b;
mtx_t mtx_a, mtx_b;
pthread_rwlock_t rw_a, rw_b;
static const char *kind;
static pthread_barrier_t both_hold;

static void take_first(int i)
{
    if (!strcmp(kind, "c11"))
        mtx_lock(i ? &mtx_b : &mtx_a);
    else if (!strcmp(kind, "rdlock"))
        pthread_rwlock_wrlock(i ? &rw_b : &rw_a);
    else
        pthread_mutex_lock(i ? &lock_b : &lock_a);
}

static void take_second(int i)
{
    if (!strcmp(kind, "c11")) {
        mtx_lock(i ? &mtx_a : &mtx_b);
    } else if (!strcmp(kind, "rdlock")) {
        pthread_rwlock_rdlock(i ? &rw_a : &rw_b);
    } else if (!strcmp(kind, "timed")) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 100000;
        pthread_mutex_timedlock(i ? &lock_a : &lock_b, &ts);
    } else {
        pthread_mutex_lock(i ? &lock_a : &lock_b);
    }
}

static void *worker(void *arg)
{
    int i = (int)(long)arg;
    take_first(i);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    take_second(i);
    return NULL;
}

int main(int argc, char **argv)
{
    kind = argc > 1 ? argv[1] : "normal";
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    if (!strcmp(kind, "recursive"))
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    else if (!strcmp(kind, "errorcheck"))
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    else if (!strcmp(kind, "adaptive"))
        pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
    if (!strcmp(kind, "robust") || !strcmp(kind, "robust_pi"))
        pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
    if (!strcmp(kind, "pi") || !strcmp(kind, "robust_pi"))
        pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&lock_a, &ma);
    pthread_mutex_init(&lock_b, &ma);
    mtx_init(&mtx_a, mtx_plain);
    mtx_init(&mtx_b, mtx_plain);
    pthread_rwlock_init(&rw_a, NULL);
    pthread_rwlock_init(&rw_b, NULL);
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_t a, b;
    pthread_create(&a, NULL, worker, (void *)0L);
    pthread_create(&b, NULL, worker, (void *)1L);
    pthread_setname_np(a, "worker_a");
    pthread_setname_np(b, "worker_b");
    dl_ready(2);
    dl_forever();
}
