/* A process that is already traced by another one: forks a child and traces it from a second
 * thread named "tracer-thread" (PTRACE_SEIZE, which leaves the child running). Writes the child's
 * PID to the file given as argv[1], then prints "ready" and sleeps until killed; the child exits
 * with it (PR_SET_PDEATHSIG). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <unistd.h>

static pid_t child;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int seized = -1;

static void *tracer(void *arg)
{
    (void)arg;
    int r = ptrace(PTRACE_SEIZE, child, 0, 0) == 0;
    pthread_mutex_lock(&mu);
    seized = r;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    /* the tracee stays traced only while this thread lives */
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: traced PIDFILE\n");
        return 2;
    }
    pid_t parent = getpid();
    child = fork();
    if (child < 0)
        return 1;
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        for (;;)
            pause();
    }
    pthread_t t;
    if (pthread_create(&t, NULL, tracer, NULL) != 0)
        return 1;
    pthread_setname_np(t, "tracer-thread");
    pthread_mutex_lock(&mu);
    while (seized < 0)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    if (!seized) {
        perror("PTRACE_SEIZE");
        kill(child, SIGKILL);
        return 1;
    }
    FILE *f = fopen(argv[1], "w");
    if (!f || fprintf(f, "%d\n", (int)child) < 0 || fclose(f) != 0)
        return 1;
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
