/* nodebug: built with -g0 and linked with -s (no DWARF, no .symtab), for the "no debug info" test.
 * Two threads: main in pthread_join, "idle" in sleep(). Prints "ready" once both are blocked.
 * Only .dynsym names (libc's) can be shown for its frames. */
#include <pthread.h>
#include <unistd.h>

#include "spine_ready.h"

static _Atomic pid_t idle_tid;
static volatile int sink;

static void *idle_thread(void *arg)
{
    atomic_store(&idle_tid, spine_gettid());
    for (;;)
        sink += (int)sleep(100000);
    return arg;
}

int main(void)
{
    pthread_t th;
    pthread_create(&th, NULL, idle_thread, NULL);
    pthread_setname_np(th, "idle");
    spine_expect e = {{SYS_clock_nanosleep, SYS_nanosleep, -1}, 0, 0};
    spine_wait_blocked(&idle_tid, &e, "idle");
    spine_say_ready();
    pthread_join(th, NULL);
    return 0;
}
