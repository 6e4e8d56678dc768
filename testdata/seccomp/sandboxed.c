/* A program under a seccomp filter, as systemd's SystemCallFilter= leaves a service
 * (tests/integration/{gcore,trace,lockorder}/seccomp*.sh): cdbg must not make it run a system call
 * its filter forbids.
 *
 * Usage: sandboxed kill|errno|none [stacked]
 *   kill   clone and memfd_create kill the process (SECCOMP_RET_KILL_PROCESS);
 *   errno  they fail with EPERM (SECCOMP_RET_ERRNO);
 *   none   no filter (the control run);
 *   stacked  a second filter on top that allows everything (the verdicts must be combined).
 * Prints "ready", then calls tick() (which takes and drops a pthread mutex) every 10 ms until
 * SIGUSR1, then once more (tick(-1)), prints "ticks N" and "normal end" and exits 0. A process killed by its filter
 * never prints "normal end". */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t done;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long ticks;

static void on_usr1(int sig)
{
    (void)sig;
    done = 1;
}

__attribute__((noinline)) void tick(int i)
{
    pthread_mutex_lock(&mu);
    ticks += i >= 0;
    pthread_mutex_unlock(&mu);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
}

static int install(unsigned action)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_memfd_create, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, action),
    };
    struct sock_fprog p = {sizeof f / sizeof f[0], f};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p);
}

static int install_allow_all(void)
{
    struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
    struct sock_fprog p = {1, f};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &p);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "kill";
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        perror("prctl");
        return 2;
    }
    int rc = 0;
    if (!strcmp(mode, "kill"))
        rc = install(SECCOMP_RET_KILL_PROCESS);
    else if (!strcmp(mode, "errno"))
        rc = install(SECCOMP_RET_ERRNO | 1 /* EPERM */);
    else if (strcmp(mode, "none")) {
        fprintf(stderr, "usage: sandboxed kill|errno|none [stacked]\n");
        return 2;
    }
    if (rc == 0 && argc > 2 && !strcmp(argv[2], "stacked"))
        rc = install_allow_all();
    if (rc != 0) {
        perror("seccomp");
        return 2;
    }
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; !done; i++)
        tick(i);
    tick(-1); /* one lock after SIGUSR1: a recording begun before it sees at least that */
    printf("ticks %ld\nnormal end\n", ticks);
    return 0;
}
