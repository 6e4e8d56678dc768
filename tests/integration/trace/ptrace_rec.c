/* The ptrace backend's --ret test program (ptrace.sh), built by the test at -O0 and -O2.
 *   rec N STATUS  depth(N) (N+1 nested calls), a line on stdout and one on stderr, exit STATUS
 *   thr K         four threads, thread t calling depth(3 + (t + k) % 5) for k in 0..K-1
 *   half          half(3.0), half(5.0): a double returned in xmm0
 *   jump          three times dive(3), which longjmps out of its innermost call; then depth(2)
 *   block F1 F2   depth(3), whose innermost call waits for the file F1; then waits for F2
 * The ptrace backend refuses a probe on an instruction it cannot emulate (a `cmp` to memory at
 * -O0, an SSE one): each traced function's body starts with a nop, which it can. */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *gate; /* block: depth(0) waits for this file */

static void wait_file(const char *f)
{
    struct timespec ms = {0, 1000000};
    while (access(f, F_OK) != 0)
        nanosleep(&ms, NULL);
}

__attribute__((noinline, noclone)) int depth(int n)
{
    __asm__ volatile("nop");
    if (n == 0) {
        if (gate)
            wait_file(gate);
        return 0;
    }
    int r = depth(n - 1);
    __asm__ volatile("" : "+r"(r)); /* no accumulator rewrite: a real call and return per level */
    return r + n;
}

__attribute__((noinline, noclone)) double half(double x)
{
    __asm__ volatile("nop");
    return x / 2;
}

static jmp_buf jb;

__attribute__((noinline, noclone)) int dive(int n)
{
    __asm__ volatile("nop");
    if (n == 0)
        longjmp(jb, 1);
    int r = dive(n - 1);
    __asm__ volatile("" : "+r"(r));
    return r + 1;
}

__attribute__((noinline, noclone)) int jumper(void)
{
    volatile int landed = 0;
    for (int i = 0; i < 3; i++)
        if (setjmp(jb) == 0)
            dive(3);
        else
            landed++;
    return landed;
}

static int k_calls;

static void *run(void *arg)
{
    long t = (long)arg, s = 0;
    for (int k = 0; k < k_calls; k++)
        s += depth(3 + (int)((t + k) % 5));
    return (void *)s;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "rec";
    if (!strcmp(mode, "rec")) {
        int n = argc > 2 ? atoi(argv[2]) : 4;
        printf("depth %d = %d\n", n, depth(n));
        fprintf(stderr, "rec: to stderr\n");
        return argc > 3 ? atoi(argv[3]) : 0;
    }
    if (!strcmp(mode, "thr")) {
        k_calls = argc > 2 ? atoi(argv[2]) : 10;
        pthread_t th[4];
        for (long t = 0; t < 4; t++)
            pthread_create(&th[t], NULL, run, (void *)t);
        long total = 0;
        for (int t = 0; t < 4; t++) {
            void *r;
            pthread_join(th[t], &r);
            total += (long)r;
        }
        printf("total %ld\n", total);
        return 0;
    }
    if (!strcmp(mode, "half")) {
        printf("%g %g\n", half(3.0), half(5.0));
        return 0;
    }
    if (!strcmp(mode, "jump")) {
        int l = jumper();
        printf("landed %d, depth %d\n", l, depth(2));
        return 0;
    }
    if (!strcmp(mode, "block") && argc > 3) {
        gate = argv[2];
        int r = depth(3);
        printf("depth 3 = %d\n", r);
        fflush(stdout);
        wait_file(argv[3]);
        return 0;
    }
    return 2;
}
