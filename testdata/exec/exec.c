/* exec: a program to stop, step out of and count hits in. Runs once and exits 0.
 *
 *   ret_int / ret_neg / ret_double / ret_ld / ret_ptr / ret_pair / ret_mixed / ret_big / ret_void
 *            one function per SysV return class (rax, xmm0, st0, rax:rdx, xmm0+rax, memory)
 *   fact     recursion: stepping out of the innermost call stops in its caller, not the outer one
 *   tick     called TICKS times with i = 0..TICKS-1 (conditions, hit counts)
 *   worker   two threads call tick_thread once each */
#include <pthread.h>
#include <stdio.h>

#define TICKS 10
#define NOIPA __attribute__((noipa))

struct pair { long a, b; };
struct mixed { double d; int i; };
struct big { long v[5]; };

int g_ticks;
static const char g_name[] = "exec";

NOIPA int ret_int(int x) { return x * 6; }
NOIPA int ret_neg(void) { return -7; }
NOIPA double ret_double(double x) { return x / 4; }
NOIPA long double ret_ld(void) { return 1.5L; }
NOIPA const char *ret_ptr(void) { return g_name; }
NOIPA struct pair ret_pair(long a) { struct pair p = {a, a + 1}; return p; }
NOIPA struct mixed ret_mixed(void) { struct mixed m = {2.5, 9}; return m; }
NOIPA struct big ret_big(void) { struct big b = {{1, 2, 3, 4, 5}}; return b; }
NOIPA void ret_void(void) { g_ticks += 0; }

NOIPA int fact(int n)
{
    if (n <= 1)
        return 1; /* @fact_base */
    return n * fact(n - 1);
}

NOIPA void tick(int i)
{
    g_ticks += i; /* @tick */
}

NOIPA void tick_thread(long id) { g_ticks += (int)id; }

static void *worker(void *arg)
{
    tick_thread((long)arg);
    return NULL;
}

int main(void)
{
    long sink = 0;
    sink += ret_int(7);
    sink += ret_neg();
    sink += (long)ret_double(10.0);
    sink += (long)ret_ld();
    sink += ret_ptr()[0];
    sink += ret_pair(40).b;
    sink += ret_mixed().i;
    sink += ret_big().v[4];
    ret_void();
    sink += fact(5);
    for (int i = 0; i < TICKS; i++)
        tick(i);
    pthread_t a, b;
    pthread_create(&a, NULL, worker, (void *)1L);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, worker, (void *)2L);
    pthread_join(b, NULL);
    printf("exec done %ld %d\n", sink, g_ticks);
    return 0;
}
