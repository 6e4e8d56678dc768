/* Entry values (DW_OP_entry_value) in caller frames, at -O2.
 *
 * main -> ev_mid(seed) -> ev_leaf(...) blocks in pause(). ev_mid's parameter v is dead after the
 * call, so gcc describes it as "the value rdi had on entry" (DW_OP_entry_value); only the call
 * site in main (DW_TAG_call_site_parameter: rdi = seed, kept in a callee-saved register) says
 * what that was; ev_leaf's k is an entry value whose call-site value is itself made of ev_mid's
 * entry values. main keeps seed in rbx, which ev_mid never saves (carried through its frame unchanged). */
#include "../spine/spine_ready.h"

#include <pthread.h>
#include <signal.h>

volatile int g_seed = 1234;
volatile int g_stop_ev;
static _Atomic pid_t main_tid;

/* "ready" only once main sits in pause() (a core made right after it shows ev_leaf in pause). */
static void *announcer(void *arg)
{
    (void)arg;
    static const spine_expect in_pause = {{SYS_pause, SYS_ppoll, -1}, 0, 0};
    spine_wait_blocked(&main_tid, &in_pause, "main in pause");
    spine_say_ready();
    for (;;)
        pause();
    return NULL;
}

__attribute__((noinline, noipa)) static int ev_leaf(int k)
{
    atomic_store(&main_tid, spine_gettid());
    while (!g_stop_ev)
        pause();
    return k;
}

__attribute__((noinline, noipa)) static int ev_mid(int v, long w)
{
    return ev_leaf(v * 2 + (int)w) + 1;
}

int main(void)
{
    pthread_t th;
    if (pthread_create(&th, NULL, announcer, NULL) != 0)
        return 1;
    int seed = g_seed;
    int r = ev_mid(seed, 5);
    __asm__ volatile("" ::"r"(seed) : "memory");
    return r + seed;
}
