/* An ABBA cycle beside a thread that computes without system calls. cdbg deadlock must never
 * stop the spinner: its voluntary_ctxt_switches stays the same. */
#include "dl_common.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold;
static volatile unsigned long spins;

static void *spinner(void *arg)
{
    (void)arg;
    for (;;)
        spins++;
    return NULL;
}

static void *worker(void *arg)
{
    int first = (int)(long)arg;
    pthread_mutex_t *m1 = first ? &lock_b : &lock_a, *m2 = first ? &lock_a : &lock_b;
    pthread_mutex_lock(m1);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(m2);
    return NULL;
}

int main(void)
{
    pthread_t s, a, b;
    pthread_barrier_init(&both_hold, NULL, 2);
    pthread_create(&s, NULL, spinner, NULL);
    pthread_setname_np(s, "spinner");
    pthread_create(&a, NULL, worker, (void *)0L);
    pthread_create(&b, NULL, worker, (void *)1L);
    dl_ready(2);
    dl_forever();
}
