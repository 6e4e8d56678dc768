/* The inline tracepoint backend's program (tests/unit/test_inline.c): `hot N T` prints "ready",
 * waits for a byte on stdin, runs T threads that each call work(i) for i = 0..N-1 (each thread
 * prints "tid TID" first), prints "done sum=S acc=A acc2=B ns=T" (S = the sum of every argument, as
 * the program counted it; A and B what work and jccwork added up; T the loop's time), waits for a second byte, does it all again untraced-or-not ("done2 sum=S"), and
 * exits 0. A probe that corrupts a register, the stack or the flags shows as a wrong sum or a crash. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

long acc;
static long n_calls;

/* The probed function: a few instructions (-O2: a rip-relative add and ret). */
__attribute__((noinline, noipa)) void work(int x)
{
    acc += x;
}

long acc2;
/* Hand-written, so that the bytes are the same at every -O: jccwork starts with a short
 * conditional jump the relocation must widen (and whose target stays outside the patch); tiny is
 * shorter than the 5-byte jump; loopy's loop jumps back to its first instruction. */
void jccwork(int x);
void tiny(void);
int loopy(int n);
__asm__(".text\n"
        ".globl jccwork, tiny, loopy\n"
        ".type jccwork, @function\n"
        "jccwork:\n"
        " test %edi, %edi\n"
        " je 1f\n"
        " movslq %edi, %rdi\n"
        " add %rdi, acc2(%rip)\n"
        "1: ret\n"
        ".size jccwork, .-jccwork\n"
        ".type tiny, @function\n"
        "tiny:\n"
        " xor %eax, %eax\n"
        " ret\n"
        ".size tiny, .-tiny\n"
        ".type loopy, @function\n"
        "loopy:\n"
        " dec %edi\n"
        " jnz loopy\n"
        " mov %edi, %eax\n"
        " ret\n"
        ".size loopy, .-loopy\n");

static void *run(void *arg)
{
    long *sum = arg;
    printf("tid %d\n", (int)gettid());
    fflush(stdout);
    long s = 0;
    for (long i = 0; i < n_calls; i++) {
        work((int)i);
        jccwork((int)i);
        s += (int)i;
    }
    *sum = s;
    return NULL;
}

static long phase(int nthreads)
{
    pthread_t th[64];
    long sums[64] = {0};
    for (int i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, run, &sums[i]);
    long total = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(th[i], NULL);
        total += sums[i];
    }
    return total;
}

static long long mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* one thread: the main thread itself (its TID is the PID) */
static long one(void)
{
    long s = 0;
    run(&s);
    return s;
}

int main(int argc, char **argv)
{
    n_calls = argc > 1 ? atol(argv[1]) : 100000;
    int nthreads = argc > 2 ? atoi(argv[2]) : 1;
    if (nthreads < 1 || nthreads > 64)
        return 2;
    char c;
    printf("ready\n");
    fflush(stdout);
    /* "hot N T run": no wait (a process to attach to while it runs, or a tracer that launches it) */
    if (!(argc > 3 && argv[3][0] == 'r') && read(0, &c, 1) != 1)
        return 3;
    long long t0 = mono();
    long s = nthreads == 1 ? one() : phase(nthreads);
    long long t1 = mono();
    tiny();
    loopy(3);
    printf("done sum=%ld acc=%ld acc2=%ld ns=%lld\n", s, acc, acc2, t1 - t0);
    fflush(stdout);
    if (!(argc > 3 && argv[3][0] == 'r') && read(0, &c, 1) != 1)
        return 3;
    acc = 0;
    acc2 = 0;
    t0 = mono();
    s = nthreads == 1 ? one() : phase(nthreads);
    t1 = mono();
    printf("done2 sum=%ld acc=%ld acc2=%ld ns=%lld\n", s, acc, acc2, t1 - t0);
    fflush(stdout);
    return 0;
}
