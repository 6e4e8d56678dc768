/* 1000 threads: 997 wait on a condition variable (idle workers), 3 are in a lock cycle. */
#include "dl_common.h"

#define NTHREADS 1000
#define NRING 3

pthread_mutex_t ring_mu[NRING];
pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t pool_cv = PTHREAD_COND_INITIALIZER;
static int idle;
static pthread_barrier_t ring_hold;

static void *idle_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool_mu);
    idle++;
    for (;;)
        pthread_cond_wait(&pool_cv, &pool_mu);
    return NULL;
}

static void *ring_worker(void *arg)
{
    int i = (int)(long)arg;
    pthread_mutex_lock(&ring_mu[i]);
    pthread_barrier_wait(&ring_hold);
    dl_will_block();
    pthread_mutex_lock(&ring_mu[(i + 1) % NRING]);
    return NULL;
}

int main(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_barrier_init(&ring_hold, NULL, NRING);
    for (int i = 0; i < NRING; i++)
        pthread_mutex_init(&ring_mu[i], NULL);
    pthread_t t;
    for (int i = 0; i < NTHREADS - NRING; i++) {
        if (pthread_create(&t, &attr, idle_worker, NULL) != 0) {
            perror("pthread_create");
            return 1;
        }
        if (i == (NTHREADS - NRING) / 2)
            for (int r = 0; r < NRING; r++)
                pthread_create(&t, &attr, ring_worker, (void *)(long)r);
    }
    for (;;) {
        pthread_mutex_lock(&pool_mu);
        int n = idle;
        pthread_mutex_unlock(&pool_mu);
        if (n == NTHREADS - NRING)
            break;
        dl_sleep_ms(5);
    }
    dl_ready(NRING);
    dl_forever();
}
