/* The sampling engine of `cdbg profile` (docs/profile.md): on-CPU samples of every thread of a
 * process, taken by the kernel (perf_event_open), the process never stopped.
 *
 * Each thread gets one software event per CPU counting its CPU time (PERF_COUNT_SW_TASK_CLOCK)
 * with a period of 1/hz seconds, so a thread is sampled hz times per CPU-second it runs, whatever
 * the wall time. A sample holds the thread, a time, the user registers and a copy of the user
 * stack from sp (at most CD_PROF_MAX_STACK bytes). The events inherit, so threads the profiled
 * threads create later are sampled from their first instruction; all the events of a CPU write
 * into that CPU's one ring (an inherited per-task event cannot have a ring of its own). This
 * layer only records: unwinding and symbolizing the copies is the caller's (a snapshot target). */
#ifndef CD_TRACE_PROFILE_H
#define CD_TRACE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/target.h"
#include "util/util.h"

/* The kernel's limit for one sample's stack copy (a record's size is 16 bits, 8-aligned). */
#define CD_PROF_MAX_STACK 65528u

typedef struct cd_prof_sample {
    pid_t tid;
    uint64_t ts_ns;          /* CLOCK_MONOTONIC */
    bool has_regs;           /* false: no user registers (a kernel-only moment) */
    cd_regs regs;
    uint64_t stack_addr;     /* the copy: [stack_addr, stack_addr + stack_len), from regs.rsp */
    const void *stack;
    uint32_t stack_len;
    uint32_t stack_asked;    /* bytes asked of the kernel: a copy this long may have lost the rest */
} cd_prof_sample;

typedef void (*cd_prof_sink)(void *arg, const cd_prof_sample *s);

typedef struct cd_prof cd_prof;

/* Opens the events on every thread of pid (listing /proc/PID/task until no new thread appears)
 * and raises RLIMIT_NOFILE for them. Errors: perf_event_open refused (CD_EK_PERMISSION, naming
 * kernel.perf_event_paranoid and CAP_PERFMON), the process gone (CD_EK_EXITED). */
cd_prof *cd_prof_start(pid_t pid, unsigned hz, cd_err *err);
/* Hands every sample recorded to sink, waiting up to timeout_ms for some. Returns how many, or -1
 * with CD_EK_EXITED once the process has ended and every sample it left was handed. */
int cd_prof_poll(cd_prof *p, int timeout_ms, cd_prof_sink sink, void *arg, cd_err *err);
/* Stops sampling; what is buffered is still handed by the next cd_prof_poll. */
void cd_prof_stop(cd_prof *p);

typedef struct cd_prof_stats {
    uint64_t samples;        /* handed to the sink */
    uint64_t lost;           /* dropped by the kernel (a full ring: PERF_RECORD_LOST) */
    uint64_t other_procs;    /* samples of child processes (the events are inherited), left out */
    size_t threads;          /* distinct threads seen in samples */
    size_t events;           /* perf events open */
} cd_prof_stats;
void cd_prof_get_stats(const cd_prof *p, cd_prof_stats *st);
/* The name a thread had (PERF_RECORD_COMM, else /proc/PID/task/TID/comm when first seen), or NULL. */
const char *cd_prof_thread_name(cd_prof *p, pid_t tid);
void cd_prof_free(cd_prof *p);

#endif
