/* Readiness helpers shared by the spine test programs.
 *
 * A program prints "ready" only once every thread sits in the very syscall it will stay in, so a
 * test that attaches right after "ready" always sees the same stacks. A flag set just before the
 * blocking call is not enough (the thread can still be between the flag and the syscall, or waiting
 * on a different futex on the way), so we ask the kernel: /proc/self/task/TID/syscall names the
 * syscall a sleeping thread is in and its first argument. */
#ifndef SPINE_READY_H
#define SPINE_READY_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* What a thread must be blocked in: one of up to three syscall numbers (-1 = unused) and, when
 * arg0_hi != 0, a first argument in [arg0_lo, arg0_hi) (a futex word inside a given object). */
typedef struct spine_expect {
    long nr[3];
    uintptr_t arg0_lo, arg0_hi;
} spine_expect;

static inline pid_t spine_gettid(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static inline int spine_blocked_as(pid_t tid, const spine_expect *e)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    long nr;
    unsigned long arg0;
    /* "running" or "-1 sp pc" (not in a syscall) fail here or below. */
    if (sscanf(buf, "%ld %lx", &nr, &arg0) != 2 || nr < 0)
        return 0;
    if (nr != e->nr[0] && nr != e->nr[1] && nr != e->nr[2])
        return 0;
    if (e->arg0_hi && (arg0 < e->arg0_lo || arg0 >= e->arg0_hi))
        return 0;
    return 1;
}

/* Waits until the thread whose tid will be published in *tidp is blocked as e says. Exits the
 * program after 20 s so a broken test program fails its test instead of hanging it. */
static inline void spine_wait_blocked(_Atomic pid_t *tidp, const spine_expect *e, const char *what)
{
    const struct timespec tick = {0, 200 * 1000};
    for (long i = 0; i < 100000; i++) {
        pid_t tid = atomic_load(tidp);
        if (tid > 0 && spine_blocked_as(tid, e))
            return;
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "spine: thread '%s' did not block as expected within 20 s\n", what);
    exit(1);
}

static inline void spine_say_ready(void)
{
    fputs("ready\n", stdout);
    fflush(stdout);
}

#endif
