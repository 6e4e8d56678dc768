/* spawn: threads created and joined one after the other between checkpoint(0) and checkpoint(1)
 * (tests/integration/sig/threads.sh). Each thread prints its own tid, which the test checks cdbg's
 * "[New thread tid N]" and "[Thread tid N exited]" lines against. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) void checkpoint(int n)
{
    printf("checkpoint %d\n", n);
    fflush(stdout);
}

static void *worker(void *arg)
{
    printf("worker %d tid %d\n", (int)(long)arg, (int)gettid());
    fflush(stdout);
    return NULL;
}

int main(void)
{
    checkpoint(0);
    for (long i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, (void *)i);
        pthread_join(t, NULL);
    }
    checkpoint(1);
    return 0;
}
