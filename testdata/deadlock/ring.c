/* Dining philosophers: each takes its left fork, then its right one; all five wait in a ring. */
#include "dl_common.h"

#define N 5
pthread_mutex_t forks[N];
static pthread_barrier_t all_hold;

static void *philosopher(void *arg)
{
    int i = (int)(long)arg;
    pthread_mutex_lock(&forks[i]);
    pthread_barrier_wait(&all_hold);
    dl_will_block();
    pthread_mutex_lock(&forks[(i + 1) % N]);
    return NULL;
}

int main(void)
{
    pthread_t t[N];
    pthread_barrier_init(&all_hold, NULL, N);
    for (int i = 0; i < N; i++)
        pthread_mutex_init(&forks[i], NULL);
    for (int i = 0; i < N; i++) {
        char name[16];
        pthread_create(&t[i], NULL, philosopher, (void *)(long)i);
        snprintf(name, sizeof name, "phil%d", i);
        pthread_setname_np(t[i], name);
    }
    dl_ready(N);
    dl_forever();
}
