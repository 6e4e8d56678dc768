/* Locks inside heap objects: two transfers in opposite directions between two accounts.
 * `heap global`: a lock inside a heap object only a global pointer leads to (g_registry->lock),
 * taken by the main thread, which then joins a thread that waits for it. */
#include "dl_common.h"

struct account {
    long balance;
    pthread_mutex_t mu;
};

static pthread_barrier_t both_hold;

struct transfer_args {
    struct account *from, *to;
    long amount;
};

__attribute__((noinline)) static void transfer(struct account *from, struct account *to, long amount)
{
    pthread_mutex_lock(&from->mu);
    pthread_barrier_wait(&both_hold);
    dl_will_block();
    pthread_mutex_lock(&to->mu);
    from->balance -= amount;
    to->balance += amount;
    pthread_mutex_unlock(&to->mu);
    pthread_mutex_unlock(&from->mu);
}

static void *teller(void *arg)
{
    struct transfer_args *ta = arg;
    transfer(ta->from, ta->to, ta->amount);
    return NULL;
}

struct registry {
    int entries;
    pthread_rwlock_t lock;
};
struct registry *g_registry;

static void *registrar(void *arg)
{
    (void)arg;
    dl_will_block();
    pthread_rwlock_wrlock(&g_registry->lock);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "global")) {
        g_registry = calloc(1, sizeof *g_registry);
        pthread_rwlock_init(&g_registry->lock, NULL);
        pthread_rwlock_rdlock(&g_registry->lock);
        pthread_rwlock_unlock(&g_registry->lock);
        pthread_rwlock_wrlock(&g_registry->lock);
        pthread_t r;
        pthread_create(&r, NULL, registrar, NULL);
        pthread_setname_np(r, "registrar");
        dl_wait_blocked(1);
        printf("ready\n");
        fflush(stdout);
        pthread_join(r, NULL);
        return 0;
    }
    struct account *alice = calloc(1, sizeof *alice), *bob = calloc(1, sizeof *bob);
    pthread_mutex_init(&alice->mu, NULL);
    pthread_mutex_init(&bob->mu, NULL);
    alice->balance = bob->balance = 100;
    pthread_barrier_init(&both_hold, NULL, 2);
    struct transfer_args ab = {alice, bob, 10}, ba = {bob, alice, 20};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, teller, &ab);
    pthread_create(&t2, NULL, teller, &ba);
    pthread_setname_np(t1, "teller1");
    pthread_setname_np(t2, "teller2");
    dl_ready(2);
    dl_forever();
}
