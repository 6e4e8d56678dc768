/* Re-locking a non-recursive mutex: the thread waits for itself. */
#include "dl_common.h"

struct bucket {
    int count;
    pthread_mutex_t mu;
};
struct {
    int size;
    struct bucket buckets[16];
} table;

__attribute__((noinline)) static void bump(int i)
{
    pthread_mutex_lock(&table.buckets[i].mu); /* second time: blocks forever */
    table.buckets[i].count++;
    pthread_mutex_unlock(&table.buckets[i].mu);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&table.buckets[7].mu);
    dl_will_block();
    bump(7);
    pthread_mutex_unlock(&table.buckets[7].mu);
    return NULL;
}

int main(void)
{
    table.size = 16;
    for (int i = 0; i < 16; i++)
        pthread_mutex_init(&table.buckets[i].mu, NULL);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_setname_np(t, "relocker");
    dl_ready(1);
    dl_forever();
}
