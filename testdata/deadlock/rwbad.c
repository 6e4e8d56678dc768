/* A writer blocked in pthread_rwlock_wrlock on an rwlock whose other fields are then overwritten,
 * as a memory corruption would: every byte of rw_bad except the futex word the writer sleeps on
 * (__writers_futex, +12) becomes 0x5a. No layout cdbg knows matches any more, and the non-zero
 * bytes before the word look like a condition variable's waiter count: the answer must be "a futex
 * cdbg does not recognise", not a lock or a condvar. The main thread holds nothing else and
 * sleeps in pause(), so there is no deadlock to report. */
#include "dl_common.h"

pthread_cond_t cv_near = PTHREAD_COND_INITIALIZER;
pthread_rwlock_t rw_bad = PTHREAD_RWLOCK_INITIALIZER;

static void *writer(void *arg)
{
    (void)arg;
    dl_will_block();
    pthread_rwlock_wrlock(&rw_bad);
    return NULL;
}

int main(void)
{
    pthread_rwlock_wrlock(&rw_bad);
    pthread_t t;
    if (pthread_create(&t, NULL, writer, NULL) != 0)
        return 1;
    dl_wait_blocked(1);
    unsigned char *p = (unsigned char *)&rw_bad;
    for (size_t i = 0; i < sizeof rw_bad; i++)
        if (i < 12 || i >= 16)
            p[i] = 0x5a;
    printf("ready\n");
    fflush(stdout);
    dl_forever();
}
