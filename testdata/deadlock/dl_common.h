/* Shared by the deadlock test programs: thread bookkeeping and the "ready" handshake.
 *
 * A program prints "ready" only once every thread that is meant to block is really asleep in
 * futex(2) (read from /proc/self/task/TID/syscall), so tests never race the deadlock. */
#ifndef DL_COMMON_H
#define DL_COMMON_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DL_MAX_WAITERS 64

static pid_t dl_waiters[DL_MAX_WAITERS];
static int dl_nwaiters;
static pthread_mutex_t dl_reg_mu = PTHREAD_MUTEX_INITIALIZER;

static inline pid_t dl_gettid(void) { return (pid_t)syscall(SYS_gettid); }

/* Called by a thread just before it blocks for good. */
static inline void dl_will_block(void)
{
    pthread_mutex_lock(&dl_reg_mu);
    if (dl_nwaiters < DL_MAX_WAITERS)
        dl_waiters[dl_nwaiters++] = dl_gettid();
    pthread_mutex_unlock(&dl_reg_mu);
}

static inline void dl_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

static inline int dl_in_futex(pid_t tid)
{
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strncmp(buf, "202 ", 4) == 0;
}

/* Waits until `expected` threads registered with dl_will_block() sleep in futex. */
static inline void dl_wait_blocked(int expected)
{
    for (int tries = 0; tries < 10000; tries++) {
        pthread_mutex_lock(&dl_reg_mu);
        int n = dl_nwaiters, ok = n >= expected;
        for (int i = 0; ok && i < n; i++)
            ok = dl_in_futex(dl_waiters[i]);
        pthread_mutex_unlock(&dl_reg_mu);
        if (ok)
            break;
        dl_sleep_ms(2);
    }
    /* Past the syscall entry the futex word is stable; a little slack for the last instructions. */
    dl_sleep_ms(20);
}

static inline void dl_ready(int expected)
{
    dl_wait_blocked(expected);
    printf("ready\n");
    fflush(stdout);
}

static inline void dl_forever(void)
{
    for (;;)
        pause();
}

#endif
