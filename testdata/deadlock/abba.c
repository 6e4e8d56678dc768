/* ABBA: worker_a takes lock_a then lock_b, worker_b takes lock_b then lock_a. */
#include "dl_common.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;

static void *worker_a(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(&lock_b); /* waits forever: worker_b holds lock_b */
    return NULL;
}

static void *worker_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(&lock_a); /* waits forever: worker_a holds lock_a */
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&a, NULL, worker_a, NULL);
    pthread_create(&b, NULL, worker_b, NULL);
    pthread_setname_np(a, "worker_a");
    pthread_setname_np(b, "worker_b");
    dl_ready(2);
    dl_forever();
}
