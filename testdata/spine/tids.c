/* tids: threads that say who they are, so tests can tie every thread id cdbg reports to the thread
 * it names without trusting cdbg: the program writes "TID NAME" for each of its threads to a file,
 * and each thread blocks in a function of its own (or, for the pool, one shared function).
 *
 * tids FILE
 *   main        "tids-main"  main -> pthread_join                         (blocked in futex)
 *   solo-a      solo_a       read() on a pipe nobody writes
 *   solo-b      solo_b       read()
 *   solo-c      solo_c       read()
 *   pool-0..2   pool_wait    read()  (three threads, one stack: a group of 3 in `bt all -group`)
 *   Created one at a time, each blocked before the next starts; then FILE gets one "TID NAME" line
 *   per thread (main first), and "ready" is printed.
 *
 * tids FILE bp
 *   main        "tids-main"  pthread_join
 *   decoy       decoy        read()   (a non-main thread that never calls only_in_bp_thread)
 *   bp-thread   bp_loop      names itself, writes FILE ("TID NAME" for all three), calls
 *                            only_in_bp_thread() once, then in a loop: sigwait(SIGUSR1),
 *                            only_in_bp_thread().
 *   SIGUSR1 is blocked in every thread, so a `kill -USR1 PID` is taken only by bp-thread's sigwait.
 *   "ready" once bp-thread waits in sigwait. only_in_bp_thread is called by bp-thread alone.
 *
 * FILE is written to FILE.tmp and renamed, so whoever sees FILE sees all of it. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spine_ready.h"

#define NOIPA __attribute__((noipa))

enum { MAXT = 8 };

static int pipe_fds[2]; /* main keeps the write end open: reads block forever */
static volatile int sink;
static const char *out_path;
static const char *names[MAXT];
static _Atomic pid_t tids[MAXT];
static int nthreads;

static void write_tids(void)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", out_path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        perror("tids: fopen");
        exit(1);
    }
    fprintf(f, "%d %s\n", (int)getpid(), "tids-main");
    for (int i = 0; i < nthreads; i++)
        fprintf(f, "%d %s\n", (int)atomic_load(&tids[i]), names[i]);
    if (fclose(f) != 0 || rename(tmp, out_path) != 0) {
        perror("tids: writing the tid file");
        exit(1);
    }
}

static void block_in_read(int slot)
{
    char c;
    atomic_store(&tids[slot], spine_gettid());
    for (;;)
        sink += (int)read(pipe_fds[0], &c, 1);
}

NOIPA void *solo_a(void *arg)
{
    block_in_read((int)(long)arg);
    return arg;
}

NOIPA void *solo_b(void *arg)
{
    block_in_read((int)(long)arg);
    return arg;
}

NOIPA void *solo_c(void *arg)
{
    block_in_read((int)(long)arg);
    return arg;
}

NOIPA void *pool_wait(void *arg)
{
    block_in_read((int)(long)arg);
    return arg;
}

NOIPA void *decoy(void *arg)
{
    block_in_read((int)(long)arg);
    return arg;
}

NOIPA int only_in_bp_thread(int n)
{
    sink += n;
    return sink;
}

NOIPA void *bp_loop(void *arg)
{
    int slot = (int)(long)arg;
    /* its creator names it too, but maybe only after the breakpoint below: a name a test can
     * expect at that stop must be set first (still after clone, which gave it its creator's) */
    pthread_setname_np(pthread_self(), names[slot]);
    atomic_store(&tids[slot], spine_gettid());
    write_tids();
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    for (int n = 1;; n++) {
        only_in_bp_thread(n);
        int sig;
        while (sigwait(&usr1, &sig) != 0)
            ;
    }
    return arg;
}

static pthread_t start(void *(*fn)(void *), const char *name)
{
    pthread_t th;
    int slot = nthreads++; /* before the thread runs: bp-thread writes FILE at once */
    names[slot] = name;
    int rc = pthread_create(&th, NULL, fn, (void *)(long)slot);
    if (rc != 0) {
        fprintf(stderr, "tids: pthread_create(%s): %s\n", name, strerror(rc));
        exit(1);
    }
    pthread_setname_np(th, name);
    return th;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "bp") != 0)) {
        fprintf(stderr, "usage: tids FILE [bp]\n");
        return 2;
    }
    out_path = argv[1];
    if (pipe(pipe_fds) != 0) {
        perror("tids: pipe");
        return 1;
    }
    pthread_setname_np(pthread_self(), "tids-main");
    /* inherited by every thread: only sigwait takes SIGUSR1 */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);

    const spine_expect in_read = {{SYS_read, -1, -1}, 0, 0};
    pthread_t first;
    if (argc == 3) {
        first = start(decoy, "decoy");
        spine_wait_blocked(&tids[0], &in_read, "decoy");
        start(bp_loop, "bp-thread");
        const spine_expect in_sigwait = {{SYS_rt_sigtimedwait, -1, -1}, 0, 0};
        spine_wait_blocked(&tids[1], &in_sigwait, "bp-thread");
    } else {
        void *(*fns[])(void *) = {solo_a, solo_b, solo_c, pool_wait, pool_wait, pool_wait};
        const char *tnames[] = {"solo-a", "solo-b", "solo-c", "pool-0", "pool-1", "pool-2"};
        first = start(fns[0], tnames[0]);
        spine_wait_blocked(&tids[0], &in_read, tnames[0]);
        for (int i = 1; i < 6; i++) {
            start(fns[i], tnames[i]);
            spine_wait_blocked(&tids[i], &in_read, tnames[i]);
        }
        write_tids();
    }
    spine_say_ready();
    pthread_join(first, NULL);
    return 0;
}
