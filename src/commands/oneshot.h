/* The flow the one-shot recording modes share (cdbg leaks, lockorder, profile, trace): the signals
 * that end a recording, a program launched to main and parked while the probes go in, the
 * recording loop, and the program's end. The modes keep their own messages' words: every message
 * here is "cdbg: MODE: ..." with the mode's name. */
#ifndef CD_COMMANDS_ONESHOT_H
#define CD_COMMANDS_ONESHOT_H

#include "target/target.h"
#include "util/util.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* The signal that ended the recording (SIGINT, SIGTERM or SIGHUP; 0: none yet). Each ends it as
 * Ctrl-C does. */
extern volatile sig_atomic_t cd_oneshot_stop;

enum { CD_ONESHOT_NSIGS = 3 };

typedef struct cd_oneshot_sigs {
    struct sigaction old[CD_ONESHOT_NSIGS];
} cd_oneshot_sigs;

/* Catches SIGINT, SIGTERM and SIGHUP into cd_oneshot_stop (cleared), without SA_RESTART: a wait
 * for the program's end returns at the signal. Called before anything is opened: a signal during
 * the set-up must not kill cdbg with probes in or the launched program left behind. */
void cd_oneshot_catch(cd_oneshot_sigs *s);
void cd_oneshot_restore(const cd_oneshot_sigs *s);

/* "cdbg: MODE: <fmt with arg>; see `cdbg MODE --help`" on stderr; CD_EXIT_USAGE */
int cd_oneshot_usage_fail(const char *mode, const char *fmt, const char *arg);

/* "cdbg: MSG" on stderr; the error's exit code, or def when it has none */
int cd_oneshot_fail(const cd_err *e, int def);

/* A wait status as an exit status: the program's, 128+N for signal N */
int cd_oneshot_status(int ws);

/* -p PID: fails (CD_EXIT_TARGET) when there is no such process or another tracer has it; with
 * verb, also when it is stopped (state T), telling to resume it and VERB it then. */
int cd_oneshot_check_untraced(const char *mode, pid_t pid, const char *verb, cd_err *err);

/* -- PROG launched and run to main under ptrace (ld.so has mapped libc), then detached with its
 * main thread parked on a `jmp .` at its pc while the probes go in: a SIGSTOP would hold it too,
 * but the inline backend must stop the threads itself to patch them, which it cannot do to a
 * stopped process. We stay its parent. */
typedef struct cd_oneshot_park {
    pid_t pid;
    bool held;               /* parked: killed by cd_oneshot_kill_parked */
    unsigned char bytes[2];  /* what the `jmp .` covers */
    uint64_t pc;
} cd_oneshot_park;

/* 0 parked (pk filled); else the exit status, the failure said */
int cd_oneshot_launch_parked(const char *mode, char **prog, cd_oneshot_park *pk);
/* the main thread takes its own two bytes back and goes on; t is the NONSTOP attach */
int cd_oneshot_unpark(cd_target *t, cd_oneshot_park *pk, cd_err *err);
/* a program still parked (cdbg failed before the probes were in) is killed and reaped */
void cd_oneshot_kill_parked(cd_oneshot_park *pk);

/* The process to record, opened NONSTOP: -p PID (which cd_oneshot_check_untraced accepts, with
 * verb) or -- PROG (launched and parked in pk: the caller unparks it once its probes are in, and
 * kills it with cd_oneshot_kill_parked on every path). NULL with the failure said and *status set. */
cd_target *cd_oneshot_open(const char *mode, const char *pid_s, char **prog, const char *verb, cd_oneshot_park *pk,
                           pid_t *pid, int *status);

/* The recording: until the deadline, a signal, or the end of the process (poll fails with
 * CD_EK_EXITED). */
typedef struct cd_oneshot_loop {
    double duration;                                       /* seconds; 0: no deadline */
    int (*poll)(void *ctx, int timeout_ms, cd_err *err);   /* < 0 with err on failure */
    void (*progress)(void *ctx, double secs);              /* the status line, on a terminal, each 250 ms; or NULL */
    void *ctx;
    uint64_t t0;             /* out: when the recording started (cd_now_ns) */
    bool ended, interrupted; /* out: the process ended; a signal ended the recording */
    bool shown;              /* out: a status line was written (to be cleared) */
} cd_oneshot_loop;

/* 0, or -1 with err when a poll failed otherwise */
int cd_oneshot_record(cd_oneshot_loop *l, cd_err *err);

/* The launched program, ended: reaped (its rusage in ru when not NULL), "PROG exited with status N"
 * or "PROG was killed by signal N" said; returns its wait status. */
int cd_oneshot_reap(const char *mode, const char *prog, pid_t pid, struct rusage *ru);

/* The last line of an attach that leaves the process running: "every probe removed, process N
 * runs on", after how a signal interrupted it. */
void cd_oneshot_runs_on(const char *mode, bool interrupted, pid_t pid);

#endif
