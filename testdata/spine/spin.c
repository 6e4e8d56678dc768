/* spin: one thread ("spinner") loops in user space forever without making syscalls, so
 * /proc/PID/task/TID/syscall says "running" and only stopping it shows where it is; main sleeps
 * in pthread_join. Prints "ready" once the spinner has started spinning.
 *
 *   (main)     main          pthread_join                  @spin_join
 *   spinner    spin_forever  -> spin_step (noipa), a loop   @spin_loop @spin_step */
#include <pthread.h>
#include <unistd.h>

#include "spine_ready.h"

#define NOIPA __attribute__((noipa))

static _Atomic unsigned long spins;

NOIPA unsigned long spin_step(unsigned long x)
{
    return x * 6364136223846793005UL + 1442695040888963407UL; /* @spin_step */
}

NOIPA void *spin_forever(void *arg)
{
    unsigned long x = 1;
    for (;;) {
        x = spin_step(x); /* @spin_loop */
        atomic_fetch_add_explicit(&spins, 1, memory_order_relaxed);
    }
    return arg;
}

int main(void)
{
    pthread_t th;
    pthread_create(&th, NULL, spin_forever, NULL);
    pthread_setname_np(th, "spinner");
    const struct timespec tick = {0, 200 * 1000};
    while (atomic_load(&spins) < 1000)
        nanosleep(&tick, NULL);
    spine_say_ready();
    pthread_join(th, NULL); /* @spin_join */
    return 0;
}
