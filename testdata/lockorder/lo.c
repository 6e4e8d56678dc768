/* Lock-order cases for `cdbg lockorder` (tests/integration/lockorder/): each mode a run that never
 * deadlocks, the phases sequential (a thread is joined before the next starts) unless said.
 * Lines the tests look up by their marker comment (EDGE_...). */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t rec;
pthread_mutex_t cmu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t ccv = PTHREAD_COND_INITIALIZER;
pthread_rwlock_t rwl = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int started, ready;

static void run(void *(*fn)(void *))
{
    pthread_t t;
    pthread_create(&t, NULL, fn, NULL);
    pthread_join(t, NULL);
}

/* inversion: A then B in one thread, B then A in another, never at the same time */
static void *phase1(void *arg)
{
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b); /* EDGE_AB */
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return arg;
}

static void *phase2(void *arg)
{
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a); /* EDGE_BA */
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return arg;
}

/* gated: both orders, each under `gate` */
static void *gated1(void *arg)
{
    pthread_mutex_lock(&gate);
    phase1(arg);
    pthread_mutex_unlock(&gate);
    return arg;
}

static void *gated2(void *arg)
{
    pthread_mutex_lock(&gate);
    phase2(arg);
    pthread_mutex_unlock(&gate);
    return arg;
}

/* recursion: rec, then lock_a, then rec again (already held: no order lock_a → rec) */
static void *recursive(void *arg)
{
    pthread_mutex_lock(&rec);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&rec); /* EDGE_REC */
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&rec);
    return arg;
}

/* trylock: B then trylock(A) closes the cycle, but a trylock never waits */
static void *trying(void *arg)
{
    pthread_mutex_lock(&lock_b);
    if (pthread_mutex_trylock(&lock_a) == 0) /* EDGE_TRY */
        pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return arg;
}

/* trylock, then a blocking lock under it: that order is an edge (lock_b can block while lock_a is
 * held), found only when the trylock's success (a return, from another backend than the lock's
 * entry) is replayed before the lock of lock_b */
static void *trythen(void *arg)
{
    if (pthread_mutex_trylock(&lock_a) == 0) { /* HELD_TRY */
        pthread_mutex_lock(&lock_b); /* EDGE_TRYAB */
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
    }
    return arg;
}

/* the same with a read trylock, which the inline backend refuses on glibc 2.36 (a branch into
 * its first bytes): its return comes from kernel uretprobes, the lock's entry from the inline ring,
 * and the two streams are merged by time */
static void *tryrdthen(void *arg)
{
    if (pthread_rwlock_tryrdlock(&rwl) == 0) { /* HELD_TRYRD */
        pthread_mutex_lock(&lock_b); /* EDGE_TRYRDB */
        pthread_mutex_unlock(&lock_b);
        pthread_rwlock_unlock(&rwl);
    }
    return arg;
}

static void *wrunder_b(void *arg)
{
    pthread_mutex_lock(&lock_b);
    pthread_rwlock_wrlock(&rwl); /* EDGE_BRW */
    pthread_rwlock_unlock(&rwl);
    pthread_mutex_unlock(&lock_b);
    return arg;
}

/* condition wait: cmu is released inside pthread_cond_wait and retaken before it returns; the
 * waiter then takes lock_a under cmu, the signaller took cmu under lock_a */
static void *waiter(void *arg)
{
    pthread_mutex_lock(&cmu);
    started = 1;
    while (!ready)
        pthread_cond_wait(&ccv, &cmu); /* HELD_CW */
    pthread_mutex_lock(&lock_a); /* EDGE_CA */
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&cmu);
    return arg;
}

static void *signaller(void *arg)
{
    while (!started)
        sched_yield();
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&cmu); /* EDGE_AC: given only once the waiter sleeps in pthread_cond_wait */
    ready = 1;
    pthread_cond_signal(&ccv);
    pthread_mutex_unlock(&cmu);
    pthread_mutex_unlock(&lock_a);
    return arg;
}

/* reuse: two locks destroyed and new ones made at their addresses, taken in the other order: no
 * cycle, they are other locks. Each phase its own thread, the addresses fixed (slots). */
static pthread_mutex_t slots[2];
static pthread_rwlock_t rwslot;

static void ab(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}

/* slots[0] then slots[1], then both destroyed: their lives end */
static void *reuse1(void *arg)
{
    pthread_mutex_init(&slots[0], NULL);
    pthread_mutex_init(&slots[1], NULL);
    ab(&slots[0], &slots[1]);
    pthread_mutex_destroy(&slots[0]);
    pthread_mutex_destroy(&slots[1]);
    return arg;
}

/* new mutexes without an init call (a static initializer written over the memory): the destroys
 * alone say these are new locks */
static void *reuse2(void *arg)
{
    slots[0] = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    slots[1] = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    ab(&slots[1], &slots[0]);
    return arg; /* never destroyed: as if freed */
}

/* inits on the memory of locks never destroyed: the inits alone say these are new locks */
static void *reuse3(void *arg)
{
    pthread_mutex_init(&slots[0], NULL);
    pthread_mutex_init(&slots[1], NULL);
    ab(&slots[0], &slots[1]);
    return arg;
}

/* an rwlock's life: write-locked under lock_a, destroyed, a new one taken before lock_a */
static void *reuse_rw1(void *arg)
{
    pthread_rwlock_init(&rwslot, NULL);
    pthread_mutex_lock(&lock_a);
    pthread_rwlock_wrlock(&rwslot);
    pthread_rwlock_unlock(&rwslot);
    pthread_mutex_unlock(&lock_a);
    pthread_rwlock_destroy(&rwslot);
    return arg;
}

static void *reuse_rw2(void *arg)
{
    pthread_rwlock_init(&rwslot, NULL);
    pthread_rwlock_wrlock(&rwslot);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_rwlock_unlock(&rwslot);
    pthread_rwlock_destroy(&rwslot);
    return arg;
}

/* the reviewer's case: heap mutexes initialised, used, destroyed and freed, then new ones from
 * malloc (often at the same addresses) taken in the other order, freed without a destroy; twice,
 * in two threads one after the other */
static void *reuse_heap(void *arg)
{
    pthread_mutex_t *d1 = malloc(sizeof *d1), *d2 = malloc(sizeof *d2);
    pthread_mutex_init(d1, NULL);
    pthread_mutex_init(d2, NULL);
    ab(d1, d2);
    pthread_mutex_destroy(d1);
    pthread_mutex_destroy(d2);
    free(d1);
    free(d2);
    pthread_mutex_t *e1 = malloc(sizeof *e1), *e2 = malloc(sizeof *e2);
    pthread_mutex_init(e1, NULL);
    pthread_mutex_init(e2, NULL);
    ab(e2, e1);
    free(e1);
    free(e2);
    return arg;
}

/* a real inversion between two locks of one life after a re-init: reported, named with their
 * generation */
static void *regen1(void *arg)
{
    ab(&slots[0], &slots[1]);
    return arg;
}

static void *regen2(void *arg)
{
    ab(&slots[1], &slots[0]); /* EDGE_REGEN */
    return arg;
}

static void *many(void *arg)
{
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&lock_a);
        pthread_mutex_lock(&lock_b);
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
    }
    return arg;
}

/* rwlocks read-locked in both orders (rdrd): with glibc's default kind a reader is let in while
 * another reads, so neither thread could wait for the other: not reported. Write-locked on one
 * side (rdwr), or writer-preferring (rdwpref: a reader waits behind a queued writer), it can
 * deadlock. A read lock is no gate (rdgate): two threads can both hold it. */
pthread_rwlock_t rw_a = PTHREAD_RWLOCK_INITIALIZER, rw_b = PTHREAD_RWLOCK_INITIALIZER;
pthread_rwlock_t rw_g = PTHREAD_RWLOCK_INITIALIZER;

static void *rd_ab(void *arg)
{
    pthread_rwlock_rdlock(&rw_a);
    pthread_rwlock_rdlock(&rw_b); /* EDGE_RDAB */
    pthread_rwlock_unlock(&rw_b);
    pthread_rwlock_unlock(&rw_a);
    return arg;
}

static void *rd_ba(void *arg)
{
    pthread_rwlock_rdlock(&rw_b);
    pthread_rwlock_rdlock(&rw_a); /* EDGE_RDBA */
    pthread_rwlock_unlock(&rw_a);
    pthread_rwlock_unlock(&rw_b);
    return arg;
}

static void *wr_ab(void *arg)
{
    pthread_rwlock_wrlock(&rw_a);
    pthread_rwlock_wrlock(&rw_b); /* EDGE_WRAB */
    pthread_rwlock_unlock(&rw_b);
    pthread_rwlock_unlock(&rw_a);
    return arg;
}

/* read-locks rw_a, then lock_a: against phase_ar (lock_a, then read-locks rw_a), no deadlock */
static void *rd_then_a(void *arg)
{
    pthread_rwlock_rdlock(&rw_a);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_rwlock_unlock(&rw_a);
    return arg;
}

static void *a_then_rd(void *arg)
{
    pthread_mutex_lock(&lock_a);
    pthread_rwlock_rdlock(&rw_a);
    pthread_rwlock_unlock(&rw_a);
    pthread_mutex_unlock(&lock_a);
    return arg;
}

static void *rdgated1(void *arg)
{
    pthread_rwlock_rdlock(&rw_g);
    phase1(arg);
    pthread_rwlock_unlock(&rw_g);
    return arg;
}

static void *rdgated2(void *arg)
{
    pthread_rwlock_rdlock(&rw_g);
    phase2(arg);
    pthread_rwlock_unlock(&rw_g);
    return arg;
}

static long counter;
static atomic_llong loop_cpu_ns;

static void *loop(void *arg)
{
    long n = *(long *)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&lock_a);
        pthread_mutex_lock(&lock_b);
        counter++;
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
    }
    /* the thread's CPU time: on a loaded machine the wall time also counts the waits for a CPU */
    struct timespec c;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c);
    loop_cpu_ns += (long long)c.tv_sec * 1000000000LL + c.tv_nsec;
    return NULL;
}

static void *nolock(void *arg)
{
    return arg;
}

/* deep: the edge's lock is taken under a 512-byte frame, so its caller's return address lies past
 * the stack words a record copies: that frame comes from a later read and is marked as such */
__attribute__((noinline)) static void deep_mid(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    pad[511] = pad[0];
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b); /* EDGE_DEEP */
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pad[1] = pad[511];
}

__attribute__((noinline)) static void *deep_outer(void *arg)
{
    deep_mid(3);
    if (arg) /* deepwait: stay in this frame, so a later read of its words still finds it */
        for (;;)
            pause();
    return arg;
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    pthread_mutexattr_t ra;
    pthread_mutexattr_init(&ra);
    pthread_mutexattr_settype(&ra, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &ra);
    if (!strcmp(m, "inversion")) {
        run(phase1);
        run(phase2);
    } else if (!strcmp(m, "deep")) {
        run(deep_outer);
        run(phase2);
    } else if (!strcmp(m, "deepwait")) {
        /* for an attached recording: starts on SIGUSR1, and the deep thread then stays parked in
         * deep_outer until the process is killed */
        sigset_t ss;
        int sig;
        sigemptyset(&ss);
        sigaddset(&ss, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &ss, NULL);
        printf("ready\n");
        fflush(stdout);
        sigwait(&ss, &sig);
        pthread_t d;
        pthread_create(&d, NULL, deep_outer, &ss);
        run(phase2);
        printf("deepwait: locked\n");
        fflush(stdout);
        for (;;)
            pause();
    } else if (!strcmp(m, "gated")) {
        run(gated1);
        run(gated2);
    } else if (!strcmp(m, "recursive")) {
        run(recursive);
        run(phase1);
    } else if (!strcmp(m, "trylock")) {
        run(phase1);
        run(trying);
    } else if (!strcmp(m, "tryrdthen")) {
        run(tryrdthen);
        run(wrunder_b);
    } else if (!strcmp(m, "trythen")) {
        run(trythen);
        run(phase2);
    } else if (!strcmp(m, "self")) {
        phase1(NULL);
        phase2(NULL);
    } else if (!strcmp(m, "cond")) {
        pthread_t w, s;
        pthread_create(&w, NULL, waiter, NULL);
        pthread_create(&s, NULL, signaller, NULL);
        pthread_join(w, NULL);
        pthread_join(s, NULL);
    } else if (!strcmp(m, "many")) {
        enum { N = 1000 };
        static pthread_t t[N];
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 64 * 1024);
        /* all alive at once: each waits for the last to be created */
        for (int i = 0; i < N; i++)
            if (pthread_create(&t[i], &at, many, NULL)) {
                fprintf(stderr, "pthread_create %d failed\n", i);
                return 1;
            }
        for (int i = 0; i < N; i++)
            pthread_join(t[i], NULL);
        printf("%d threads done\n", N);
    } else if (!strcmp(m, "loop")) {
        /* tests/bench/bench_lockorder.sh: N lock operations (lock and unlock each count) on two
         * locks, always in one order, in THREADS threads (default 2) */
        long n = argc > 2 ? atol(argv[2]) : 400000;
        int nt = argc > 3 ? atoi(argv[3]) : 2;
        static long iters;
        pthread_t t[8];
        if (nt < 1 || nt > 8)
            return 2;
        iters = n / 4 / nt; /* 4 operations per iteration */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (int i = 0; i < nt; i++)
            pthread_create(&t[i], NULL, loop, &iters);
        for (int i = 0; i < nt; i++)
            pthread_join(t[i], NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        /* the loop's wall time, on stderr: stdout is compared with the untraced run's */
        fprintf(stderr, "loop_ns %lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
        fprintf(stderr, "loop_cpu_ns %lld\n", (long long)loop_cpu_ns);
        printf("loop: counter=%ld\n", counter);
    } else if (!strcmp(m, "reuse")) {
        run(reuse1);
        run(reuse2);
        run(reuse3);
        run(reuse_rw1);
        run(reuse_rw2);
        run(reuse_heap);
        run(reuse_heap);
    } else if (!strcmp(m, "regen")) {
        run(reuse1);
        pthread_mutex_init(&slots[0], NULL);
        pthread_mutex_init(&slots[1], NULL);
        run(regen1);
        run(regen2);
    } else if (!strcmp(m, "rdrd")) {
        run(rd_ab);
        run(rd_ba);
    } else if (!strcmp(m, "rdwr")) {
        run(wr_ab);
        run(rd_ba);
    } else if (!strcmp(m, "rdmix")) {
        run(rd_then_a);
        run(a_then_rd);
    } else if (!strcmp(m, "rdwpref")) {
        pthread_rwlockattr_t wa;
        pthread_rwlockattr_init(&wa);
        pthread_rwlockattr_setkind_np(&wa, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&rw_a, &wa);
        pthread_rwlock_init(&rw_b, &wa);
        run(rd_ab);
        run(rd_ba);
    } else if (!strcmp(m, "rdgate")) {
        run(rdgated1);
        run(rdgated2);
    } else if (!strcmp(m, "none")) {
        run(nolock);
    } else if (!strcmp(m, "wait")) {
        /* -p: the phases start at SIGUSR1; SIGUSR2 ends the program */
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        sigaddset(&s, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &s, NULL);
        printf("ready\n");
        fflush(stdout);
        int sig = 0;
        sigwait(&s, &sig);
        run(phase1);
        run(phase2);
        printf("phases done\n");
        fflush(stdout);
        sigwait(&s, &sig);
    } else {
        fprintf(stderr, "usage: lo inversion|gated|recursive|trylock|trythen|tryrdthen|self|cond|reuse|regen|rdrd|rdwr|rdmix|rdwpref|rdgate|many|none|wait\n");
        return 2;
    }
    printf("%s: ok\n", m);
    return 0;
}
