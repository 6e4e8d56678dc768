/* An rwlock and a mutex taken in opposite orders: the writer waits for the mutex, the mutex holder
 * waits to write. A reader queued behind the writer is blocked on the deadlock.
 * `rwcross readers`: the same crossing through a READ lock (a reader holds config_lock and waits
 * for log_mu; log_mu's holder waits to write). glibc does not record readers, so this deadlock
 * cannot be proven: cdbg must say so in a note rather than give a bare all-clear. */
#include "dl_common.h"

#include <stdbool.h>

pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&config_lock);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(&log_mu);
    return NULL;
}

static void *logger(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_mu);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_rwlock_wrlock(&config_lock);
    return NULL;
}

static void *reader(void *arg)
{
    (void)arg;
    dl_will_block();
    pthread_rwlock_rdlock(&config_lock);
    return NULL;
}

static void *read_holder(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&config_lock);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(&log_mu);
    return NULL;
}

int main(int argc, char **argv)
{
    /* the crossing's rwlock side: a writer, or (`readers`) a thread holding a read lock */
    bool readers = argc > 1 && !strcmp(argv[1], "readers");
    pthread_t w, l, r;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&w, NULL, readers ? read_holder : writer, NULL);
    pthread_create(&l, NULL, logger, NULL);
    pthread_setname_np(w, readers ? "read_holder" : "writer");
    pthread_setname_np(l, "logger");
    if (readers) {
        dl_ready(2);
        dl_forever();
    }
    dl_wait_blocked(2);
    pthread_create(&r, NULL, reader, NULL);
    pthread_setname_np(r, "reader");
    dl_ready(3);
    dl_forever();
}
