/* A pthread_join cycle of three threads: A joins B, B joins C, C joins A. (glibc catches a
 * two-thread join cycle with EDEADLK, not a longer one.) */
#include "dl_common.h"

static pthread_t th[3];
static pthread_barrier_t all_started;

static void *joiner(void *arg)
{
    int i = (int)(long)arg;
    pthread_barrier_wait(&all_started);
    dl_will_block();
    pthread_join(th[(i + 1) % 3], NULL);
    return NULL;
}

int main(void)
{
    pthread_barrier_init(&all_started, NULL, 4);
    for (int i = 0; i < 3; i++) {
        char name[16];
        pthread_create(&th[i], NULL, joiner, (void *)(long)i);
        snprintf(name, sizeof name, "joiner%c", 'A' + i);
        pthread_setname_np(th[i], name);
    }
    pthread_barrier_wait(&all_started);
    dl_ready(3);
    dl_forever();
}
