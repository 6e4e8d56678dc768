/* gcore's test program: N threads blocked in worker_wait() (each with a local `secret` a test reads
 * back from the core), a heartbeat thread that measures the longest gap in its own scheduling (how
 * long the process was paused, seen from inside), a SIGCHLD counter, and MB of touched heap.
 * Usage: gcore_prog [NTHREADS [HEAP_MB [noclone]]]; `noclone` installs a seccomp filter (every
 * thread) that refuses clone() without CLONE_THREAD, so gcore's snapshot cannot be made. Prints "ready" once every worker is blocked; on SIGUSR1
 * it prints "report N maxgap_us=G sigchld=C sum=S" (N counts reports, S a checksum of the heap block and
 * the globals, which a gcore must leave as they were) and starts measuring the gap anew,
 * on SIGUSR2 it only starts anew. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int pipefd[2];
static volatile sig_atomic_t sigchld_count, want_report, want_reset;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int blocked;
char *heap_block;
static long heap_len;
char *dontdump_block; /* MADV_DONTDUMP: not in a core unless `gcore --all` */
long global_marker = 0x6763;

static void on_sigchld(int sig) { (void)sig; sigchld_count++; }
static void on_usr1(int sig) { (void)sig; want_report = 1; }
static void on_usr2(int sig) { (void)sig; want_reset = 1; }

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

__attribute__((noinline)) static void worker_wait(int id)
{
    volatile long secret = 424200 + id;
    pthread_mutex_lock(&mu);
    blocked++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    char c;
    while (read(pipefd[0], &c, 1) != 0)
        ;
    (void)secret;
}

static void *worker(void *arg)
{
    worker_wait((int)(long)arg);
    return NULL;
}

static void *heartbeat(void *arg)
{
    (void)arg;
    long long last = now_us(), maxgap = 0;
    for (;;) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
        long long t = now_us();
        if (t - last > maxgap)
            maxgap = t - last;
        last = t;
        if (want_reset) {
            want_reset = 0;
            maxgap = 0;
        }
        if (want_report) {
            want_report = 0;
            static int reports;
            unsigned long sum = (unsigned long)global_marker;
            for (long i = 0; i < heap_len; i++)
                sum = sum * 31 + (unsigned char)heap_block[i];
            printf("report %d maxgap_us=%lld sigchld=%d sum=%lx\n", ++reports, maxgap, (int)sigchld_count, sum);
            fflush(stdout);
            maxgap = 0;
        }
    }
    return NULL;
}

/* clone(flags) with CLONE_THREAD clear fails with EPERM; everything else is allowed */
static int refuse_fork(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 2),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x10000 /* CLONE_THREAD */, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1 /* EPERM */),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 4;
    long mb = argc > 2 ? atol(argv[2]) : 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_RESTART;
    sa.sa_handler = on_sigchld;
    sigaction(SIGCHLD, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    if (pipe(pipefd) < 0)
        return 1;
    heap_len = mb << 20;
    heap_block = malloc((size_t)mb << 20);
    for (long i = 0; i < (mb << 20); i += 4096)
        heap_block[i] = (char)(i >> 12);
    dontdump_block = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (dontdump_block == MAP_FAILED)
        return 1;
    memset(dontdump_block, 'D', 1 << 20);
    madvise(dontdump_block, 1 << 20, MADV_DONTDUMP);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 << 10);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, &at, worker, (void *)(long)i) != 0)
            return 1;
    }
    pthread_t hb;
    pthread_create(&hb, NULL, heartbeat, NULL);
    pthread_mutex_lock(&mu);
    while (blocked < n)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    if (argc > 3 && !strcmp(argv[3], "noclone") && refuse_fork() != 0) {
        perror("seccomp");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
