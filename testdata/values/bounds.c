/* Array bounds test program (issue 13): char and int arrays whose element counts sit on each
 * boundary of DWARF's constant forms. gcc writes DW_AT_upper_bound = N-1 and clang DW_AT_count = N
 * in the smallest DW_FORM_dataK that holds the value, so 127..256 elements use data1 (128 and up
 * have the byte's top bit set), 257..65536 data2 (65536 has the top bit set) and 65537 data4.
 *
 * Every array is filled with a pattern the test recomputes: chars 'a' + (i + N) % 26 (no NUL, no
 * run a printer would fold), ints i * 3 + N. Globals are g<c|i>_N, locals in hold() l<c|i>_N.
 * A helper thread prints "ready" once the main thread is blocked in pause() inside hold()
 * (main -> hold -> pause), so the test attaches to a fixed stack. */
#include "../spine/spine_ready.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>

#define SIZES(X) X(127) X(128) X(129) X(255) X(256) X(257) X(65535) X(65536) X(65537)

#define GLOBAL(N) char gc_##N[N]; int gi_##N[N];
SIZES(GLOBAL)

volatile int g_stop;
static _Atomic pid_t main_tid;

static void fill(char *c, int *v, int n)
{
    for (int i = 0; i < n; i++) {
        c[i] = (char)('a' + (i + n) % 26);
        v[i] = i * 3 + n;
    }
}

__attribute__((noinline)) static int hold(void)
{
#define LOCAL(N) char lc_##N[N]; int li_##N[N]; fill(lc_##N, li_##N, N);
    SIZES(LOCAL)
    atomic_store(&main_tid, spine_gettid());
    /* g_stop is never set; the loop only has to look finite to the compiler. */
    while (!g_stop)
        pause();
#define USE(N) + lc_##N[N - 1] + li_##N[N - 1]
    return 0 SIZES(USE);
}

static void *helper(void *arg)
{
    (void)arg;
    static const spine_expect in_pause = {{SYS_pause, SYS_ppoll, -1}, 0, 0};
    spine_wait_blocked(&main_tid, &in_pause, "main in pause");
    spine_say_ready();
    for (;;)
        pause();
    return NULL;
}

int main(void)
{
#define FILLG(N) fill(gc_##N, gi_##N, N);
    SIZES(FILLG)
    pthread_t th;
    if (pthread_create(&th, NULL, helper, NULL) != 0)
        return 1;
    return hold();
}
