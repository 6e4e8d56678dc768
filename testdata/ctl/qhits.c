/* Several threads hit one breakpoint at once: each round, every worker leaves a barrier together
 * and calls hit(), so while the first hit is reported the others have trapped too and wait their
 * turn (tests/integration/ctl/queued_hits.sh). The total proves every call ran exactly once. */
#include <pthread.h>
#include <stdio.h>

#define NT 6
#define ROUNDS 10

static pthread_barrier_t bar;
volatile long total;

__attribute__((noinline)) void hit(long id)
{
    __atomic_add_fetch(&total, id, __ATOMIC_SEQ_CST);
}

static void *worker(void *a)
{
    for (int i = 0; i < ROUNDS; i++) {
        pthread_barrier_wait(&bar);
        hit((long)a);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[NT];
    pthread_barrier_init(&bar, NULL, NT);
    for (long i = 0; i < NT; i++)
        pthread_create(&t[i], NULL, worker, (void *)(i + 1));
    for (int i = 0; i < NT; i++)
        pthread_join(t[i], NULL);
    printf("total=%ld\n", total);
    return 0;
}
