/* sigs: signals under the debugger's default policy (tests/integration/exec/signals.sh).
 * SIGALRM (nostop, pass: its handler runs), SIGUSR1 (stop, pass: its handler runs after the
 * stop), SIGINT (stop, nopass: without a handler it would kill the program). Exits 0 and prints
 * how many times each handler ran. */
#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t alarms, usr1s;

static void on_alarm(int sig) { (void)sig; alarms++; }
static void on_usr1(int sig) { (void)sig; usr1s++; }

int main(void)
{
    signal(SIGALRM, on_alarm);
    signal(SIGUSR1, on_usr1);
    raise(SIGALRM);
    raise(SIGUSR1);
    raise(SIGINT); /* @raise_int */
    printf("signals alarm=%d usr1=%d\n", (int)alarms, (int)usr1s);
    return 0;
}
