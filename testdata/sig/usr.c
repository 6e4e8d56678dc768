/* usr: signals the program sends itself, and a handler that counts them
 * (tests/integration/sig/handle.sh). Three SIGUSR1 from raise() between checkpoint(0) and
 * checkpoint(1), then a SIGALRM from a real timer (the kernel's, not raise) waited for with
 * sigsuspend, then checkpoint(2). Each checkpoint prints how many times each handler ran, so a
 * test sees whether a signal was delivered (passed) or not. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t usr1s, alarms;

static void on_usr1(int sig) { (void)sig; usr1s++; }
static void on_alrm(int sig) { (void)sig; alarms++; }

__attribute__((noinline)) void checkpoint(int n)
{
    printf("checkpoint %d usr1=%d alrm=%d\n", n, (int)usr1s, (int)alarms);
    fflush(stdout);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_alrm;
    sigaction(SIGALRM, &sa, NULL);
    printf("tid %d\n", (int)gettid());
    checkpoint(0);
    for (int i = 0; i < 3; i++)
        raise(SIGUSR1); /* @raise */
    checkpoint(1);
    /* SIGALRM blocked until sigsuspend waits for it: it cannot come before, nor be missed */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    struct itimerval it = {.it_value = {.tv_usec = 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    while (!alarms)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    checkpoint(2);
    return 0;
}
