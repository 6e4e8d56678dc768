/* session: one program for the session tests (tests/integration/session/). argv[1] picks the case;
 * every line it prints is flushed at once, so a test reading cdbg's output sees it in order with
 * cdbg's own lines.
 *
 *   args A...    prints "argc=N" and "argv[I]=<A>" for each argument, exits 0
 *   exit N       prints "pid P", then main -> finish(N) -> exit(N)              @finish_exit
 *   raise SIG    prints "pid P", then main -> die(SIG) -> raise(SIG) (SIG a number); prints
 *                "survived" and exits 0 if it did                              @die_raise
 *   usr1         SIGUSR1 has a handler: raises it, prints "handled N", exits 0
 *   steps        for i in 0..STEPS-1: prints "step I total T", calls step(i) (adds i*i to total),
 *                prints "after I total T"; exits 0                              @step_add
 *   spin         NSPIN "spinner" threads loop in user space forever; a "hitter" thread waits for
 *                SIGUSR1 (sigwait: no signal-delivery stop under ptrace) and calls hit(K) for the
 *                K-th one, then prints "hit K"; prints "ready" once all are there     @hit
 *   block        main -> holder(w) -> (asm call) parked_asm -> parked, which blocks in pause();
 *                a second thread prints "ready" once main is in pause(). At -O2 holder's `lost`
 *                has no location at the call (optimized out) and `keep` lives in rsi, which no
 *                CFI says how to recover (unavailable in holder's frame).      @parked_pause */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NOIPA __attribute__((noipa))
#define STEPS 5
#define NSPIN 2

static int total;
static _Atomic unsigned long spins[NSPIN];
static volatile int g_seed = 21;
static volatile int g_stop;
static _Atomic pid_t main_tid;

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

NOIPA void finish(int status)
{
    exit(status); /* @finish_exit */
}

NOIPA int die(int sig)
{
    return raise(sig); /* @die_raise */
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig)
{
    handled = sig;
}

NOIPA void step(int i)
{
    total += i * i; /* @step_add */
}

NOIPA void hit(int k)
{
    total += k; /* @hit */
}

static void *spinner(void *arg)
{
    long id = (long)arg;
    for (;;)
        atomic_fetch_add_explicit(&spins[id], 1, memory_order_relaxed);
    return NULL;
}

/* What thread TID is blocked in: its syscall number, or -1 (running, or not in a syscall). */
static long blocked_in(pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    long nr;
    return sscanf(buf, "%ld", &nr) == 1 ? nr : -1;
}

static _Atomic pid_t hitter_tid;

static void *hitter(void *arg)
{
    sigset_t *set = arg;
    atomic_store(&hitter_tid, gettid_());
    for (int k = 1;; k++) {
        int sig;
        if (sigwait(set, &sig) != 0)
            abort();
        hit(k);
        say("hit %d\n", k);
    }
    return NULL;
}

/* "ready" once every spinner has counted (it is spinning) and the hitter sits in sigwait, so a
 * SIGUSR1 sent after "ready" is taken by sigwait, never left pending. */
static int run_spin(void)
{
    static sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread inherits it: only sigwait takes it */
    pthread_t th;
    for (long i = 0; i < NSPIN; i++) {
        pthread_create(&th, NULL, spinner, (void *)i);
        pthread_setname_np(th, "spinner");
        while (atomic_load(&spins[i]) == 0)
            usleep(100);
    }
    pthread_create(&th, NULL, hitter, &set);
    pthread_setname_np(th, "hitter");
    for (long i = 0; i < 200000 && (!atomic_load(&hitter_tid) || blocked_in(atomic_load(&hitter_tid)) != SYS_rt_sigtimedwait); i++)
        usleep(100);
    if (blocked_in(atomic_load(&hitter_tid)) != SYS_rt_sigtimedwait) {
        fprintf(stderr, "session: the hitter did not reach sigwait\n");
        return 1;
    }
    say("ready\n");
    pthread_join(th, NULL);
    return 0;
}

static volatile int g_sink;

NOIPA void record(int v)
{
    g_sink = v;
}

NOIPA void parked(void)
{
    atomic_store(&main_tid, gettid_());
    while (!g_stop)
        pause(); /* @parked_pause */
}

/* Called from an asm statement that tells the compiler rsi survives it: rsi is saved here by
 * hand, with no CFI saying where, so an unwinder cannot recover it in holder's frame. The push
 * also keeps the stack 16-byte aligned for parked. */
__asm__(".text\n"
        ".globl parked_asm\n"
        ".type parked_asm, @function\n"
        "parked_asm:\n"
        ".cfi_startproc\n"
        "pushq %rsi\n"
        ".cfi_adjust_cfa_offset 8\n"
        "call parked\n"
        "popq %rsi\n"
        ".cfi_adjust_cfa_offset -8\n"
        "ret\n"
        ".cfi_endproc\n"
        ".size parked_asm, .-parked_asm\n");

/* At -O2 `lost` is dead after record(): no location at the asm call (optimized out); `keep`
 * lives in rsi across the call (unavailable in this frame once parked_asm runs). record() also
 * makes holder a non-leaf function, so it keeps the stack aligned and no data in the red zone,
 * which the asm call would overwrite. */
NOIPA int holder(int w)
{
    int lost = w * g_seed;
    record(lost);
    int keep = w + g_seed;
    __asm__ volatile("call parked_asm" /* @holder_call */
                     : "+S"(keep)
                     :
                     : "rax", "rcx", "rdx", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
    return keep;
}

static void *announcer(void *arg)
{
    (void)arg;
    for (long i = 0; i < 200000 && (!atomic_load(&main_tid) || blocked_in(atomic_load(&main_tid)) != SYS_pause); i++)
        usleep(100);
    say("ready\n");
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: session args|exit|raise|usr1|steps|spin|block ...\n");
        return 2;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "args")) {
        say("argc=%d\n", argc - 2);
        for (int i = 2; i < argc; i++)
            say("argv[%d]=<%s>\n", i - 2, argv[i]);
        return 0;
    }
    if (!strcmp(mode, "exit") && argc == 3) {
        say("pid %d\n", (int)getpid());
        finish(atoi(argv[2]));
    }
    if (!strcmp(mode, "raise") && argc == 3) {
        say("pid %d\n", (int)getpid());
        die(atoi(argv[2]));
        say("survived\n");
        return 0;
    }
    if (!strcmp(mode, "usr1")) {
        signal(SIGUSR1, on_usr1);
        raise(SIGUSR1);
        say("handled %d\n", (int)handled);
        return 0;
    }
    if (!strcmp(mode, "steps")) {
        for (int i = 0; i < STEPS; i++) {
            say("step %d total %d\n", i, total);
            step(i);
            say("after %d total %d\n", i, total);
        }
        return 0;
    }
    if (!strcmp(mode, "spin"))
        return run_spin();
    if (!strcmp(mode, "block")) {
        pthread_t th;
        pthread_create(&th, NULL, announcer, NULL);
        return holder(argc - 1);
    }
    fprintf(stderr, "session: unknown case '%s'\n", mode);
    return 2;
}
