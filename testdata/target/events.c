/* The target API's execution-control tests (tests/unit/test_target_exec.c) drive this program
 * directly: one case per argv[1]. Built without PIE so that the test finds functions and globals
 * at their link-time addresses (ELF symbol table). The functions the test puts breakpoints on are
 * noinline and called through a volatile pointer so that -O2 keeps them and their calls. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

volatile int watched;        /* written by a thread created after the watchpoint is set */
volatile long ticks[2];      /* "race": per-thread count of tick() calls */
volatile long loops;         /* "watchloop": how many times `watched` was written */
static char *self;

__attribute__((noinline)) void tick(long *n) { __asm__ volatile("" ::: "memory"); ++*n; }
__attribute__((noinline)) void ready(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void in_child(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void before_exec(void) { __asm__ volatile("" ::: "memory"); }

#define RACE_N 300

static void *racer(void *arg)
{
    long *n = (long *)arg;
    for (int i = 0; i < RACE_N; i++)
        tick(n);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    watched = 42;
    return NULL;
}

static void *exiter(void *arg)
{
    (void)arg;
    pthread_exit((void *)0);
}

/* The exit status of a child, as this program's: 0 when it exited 0, 3 when a signal killed it. */
static int child_status(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return 4;
    if (WIFSIGNALED(st)) {
        fprintf(stderr, "child %d killed by signal %d\n", (int)pid, WTERMSIG(st));
        return 3;
    }
    return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    self = argv[0];
    const char *mode = argc > 1 ? argv[1] : "exit0";
    if (!strcmp(mode, "exit0"))
        return 0;
    if (!strcmp(mode, "race")) {
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, racer, (void *)&ticks[i]);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        return ticks[0] == RACE_N && ticks[1] == RACE_N ? 0 : 1;
    }
    if (!strcmp(mode, "watch")) {
        ready();
        pthread_t t;
        pthread_create(&t, NULL, writer, NULL);
        pthread_join(t, NULL);
        return watched == 42 ? 0 : 1;
    }
    if (!strcmp(mode, "watchloop")) {
        /* runs until killed; the test attaches, watches `watched`, leaves, and checks it survives */
        for (;;) {
            watched++;
            loops++;
            usleep(1000);
        }
    }
    if (!strcmp(mode, "clone")) {
        pthread_t t;
        pthread_create(&t, NULL, exiter, NULL);
        pthread_join(t, NULL);
        return 0;
    }
    if (!strcmp(mode, "segv")) {
        *(volatile int *)0x1234 = 1;
        return 1;
    }
    if (!strcmp(mode, "fork")) {
        pid_t p = fork();
        if (p == 0) {
            in_child();
            _exit(0);
        }
        return child_status(p);
    }
    if (!strcmp(mode, "vfork")) {
        pid_t p = vfork();
        if (p == 0) {
            in_child();
            execl(self, self, "exit0", (char *)NULL);
            _exit(5);
        }
        return child_status(p);
    }
    if (!strcmp(mode, "exec")) {
        before_exec();
        execl(self, self, "exit0", (char *)NULL);
        return 6;
    }
    if (!strcmp(mode, "sigint")) {
        /* "ready" on stdout, then wait: a ^C must stop it without killing it */
        printf("ready\n");
        fflush(stdout);
        for (;;)
            pause();
    }
    return 2;
}
