/* edge: stacks a thread dump must survive. argv[1] picks the case; every case prints "ready" once
 * its threads are blocked for good, then runs until killed.
 *
 *   deep     main recurses DEEP_FRAMES times through recurse(), then blocks in pause()   @deep_pause
 *   spawn FIFO  a thread calls posix_spawn(); glibc's child (CLONE_VFORK, sharing our memory)
 *            blocks opening FIFO (created here) for reading, so the spawning thread stays inside
 *            the clone3 system call, in uninterruptible sleep (it cannot stop for a debugger), at
 *            a pc where the clone3 stub has no CFI                                        @spawn_call
 *            The child outlives a killed edge: open FIFO for writing to let it exec `true`.
 *   loop     a thread whose saved frame pointer points at itself and whose return address points
 *            back into the same function: a CFA that never moves (corrupt stack)
 *   badsp    a thread whose frame pointer and return address are garbage
 *   leader   the main thread calls pthread_exit while a second thread runs on (a zombie leader)
 *   churn    4 threads create short-lived threads without pause: a dump catches threads being born
 *            (stopped in the child side of clone3, before any code of their own) and exiting
 *
 * Built -O0 with frame pointers so `loop` and `badsp` corrupt exactly the frame they mean to. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spine_ready.h"

#define DEEP_FRAMES 10000
#define NOIPA __attribute__((noipa))

extern char **environ;
static _Atomic pid_t tid;
static volatile int sink;

NOIPA int recurse(int n)
{
    if (n == 0) {
        spine_say_ready();
        while (sink >= 0) /* forever (sink is never negative); a plain for (;;) is "infinite recursion" to gcc */
            pause(); /* @deep_pause */
        return 0;
    }
    int r = recurse(n - 1); /* not a tail call: each level keeps its frame */
    sink = r;
    return r + 1;
}

static const char *fifo;

NOIPA void *spawner(void *arg)
{
    atomic_store(&tid, spine_gettid());
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, fifo, O_RDONLY, 0);
    char *argv[] = {"true", NULL};
    pid_t child;
    posix_spawnp(&child, "true", &fa, NULL, argv, environ); /* @spawn_call */
    sink = 1;
    return arg;
}

NOIPA void smash(int mode)
{
    uintptr_t *fp = __builtin_frame_address(0);
    if (mode == 0) {
        fp[0] = (uintptr_t)fp;             /* the caller's frame pointer: this frame again */
        fp[1] = (uintptr_t)&&again + 1;    /* the return address: back into this function */
    } else {
        fp[0] = 0x1234;
        fp[1] = 0xdeadbeef;
    }
again:
    atomic_store(&tid, spine_gettid());
    for (;;)
        pause();
}

NOIPA void *smasher(void *arg)
{
    smash((int)(intptr_t)arg);
    return arg;
}

NOIPA void *short_lived(void *arg)
{
    return arg;
}

NOIPA void *churner(void *arg)
{
    for (;;) {
        pthread_t t;
        if (pthread_create(&t, NULL, short_lived, NULL) == 0)
            pthread_detach(t);
    }
    return arg;
}

static void *parked(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "deep";
    if (!strcmp(mode, "deep"))
        return recurse(DEEP_FRAMES);
    pthread_t th;
    if (!strcmp(mode, "leader")) {
        /* the main thread leaves while another thread runs: a zombie leader */
        pthread_create(&th, NULL, parked, NULL);
        spine_say_ready();
        pthread_exit(NULL);
    }
    if (!strcmp(mode, "churn")) {
        for (int i = 0; i < 4; i++)
            pthread_create(&th, NULL, churner, NULL);
        spine_say_ready();
        for (;;)
            pause();
    }
    spine_expect e = {{-1, -1, -1}, 0, 0};
    if (!strcmp(mode, "spawn")) {
        if (argc < 3) {
            fprintf(stderr, "usage: edge spawn FIFO\n");
            return 2;
        }
        fifo = argv[2];
        if (mkfifo(fifo, 0600) < 0) {
            perror("mkfifo");
            return 1;
        }
        e.nr[0] = SYS_clone3;
        e.nr[1] = SYS_clone;
        pthread_create(&th, NULL, spawner, NULL);
    } else {
        e.nr[0] = SYS_pause;
        pthread_create(&th, NULL, smasher, (void *)(intptr_t)(strcmp(mode, "loop") != 0));
    }
    spine_wait_blocked(&tid, &e, mode);
    spine_say_ready();
    for (;;)
        pause();
}
