/* A mutex locked by a thread that then exited: its waiter blocks forever (orphaned lock), and a
 * thread waiting for a lock the victim holds is blocked on that too. */
#include "dl_common.h"

pthread_mutex_t state_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t queue_mu = PTHREAD_MUTEX_INITIALIZER;

static void *quitter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&state_mu);
    return NULL; /* forgets to unlock */
}

static void *victim(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&queue_mu);
    dl_will_block();
    pthread_mutex_lock(&state_mu);
    return NULL;
}

static void *bystander(void *arg)
{
    (void)arg;
    dl_will_block();
    pthread_mutex_lock(&queue_mu);
    return NULL;
}

int main(void)
{
    pthread_t q, v, b;
    pthread_create(&q, NULL, quitter, NULL);
    pthread_join(q, NULL);
    pthread_create(&v, NULL, victim, NULL);
    pthread_setname_np(v, "victim");
    dl_wait_blocked(1);
    pthread_create(&b, NULL, bystander, NULL);
    pthread_setname_np(b, "bystander");
    dl_ready(2);
    dl_forever();
}
