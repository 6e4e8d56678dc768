/* Opening a target: the one way every entry point does it (`cdbg attach|core|run`, the REPL's
 * `attach`, `core` and `run`, `cdbg deadlock`), so they parse the same operands and fail with the
 * same one-line errors and exit statuses. */
#ifndef CD_TARGET_OPEN_H
#define CD_TARGET_OPEN_H

#include <stdbool.h>

#include "target/target.h"

typedef enum cd_open_kind {
    CD_OPEN_ANY = 0, /* for cd_open_parse only: PID, or EXE CORE, by the number of operands */
    CD_OPEN_ATTACH,  /* a running process */
    CD_OPEN_CORE,    /* an executable and its core file */
    CD_OPEN_LAUNCH,  /* a program started here, stopped right after exec */
} cd_open_kind;

typedef struct cd_open_spec {
    cd_open_kind kind;
    pid_t pid;              /* ATTACH */
    cd_attach_mode mode;    /* ATTACH: how threads are held (CD_ATTACH_STOP_ALL_DEFERRED for a session) */
    const char *exe, *core; /* CORE */
    char *const *argv;      /* LAUNCH: the program and its arguments, NULL-terminated */
    /* CORE: a core the executable did not produce (build-ids differ) is an error, not a warning:
     * an analysis that reads another program's memory as this one's would give a false verdict. */
    bool strict_core;
    /* ATTACH, CD_ATTACH_NONSTOP: `cdbg stacks`'s attach, which reads the threads through a BPF task
     * iterator where it can (cd_live_attach_snap in target/bpfsnap.h) */
    bool bpf_snapshot;
} cd_open_spec;

/* Fills spec (kind, pid/exe/core/argv; mode and strict_core are left as they are) from a mode's
 * operands: ATTACH PID, CORE EXE CORE, LAUNCH PROG [ARGS...] (argv must stay valid and be
 * NULL-terminated after its argc operands), ANY: PID or EXE CORE. usage is the line a wrong number
 * of operands prints ("usage: cdbg attach PID"). 0, or -1 with a one-line error: CD_EXIT_USAGE
 * (kind CD_EK_USAGE) for the operands' shape, cd_parse_pid's code for a PID that names no process. */
int cd_open_parse(cd_open_spec *spec, cd_open_kind kind, int argc, char *const argv[], const char *usage,
                  cd_err *err);

/* Opens the target spec names. NULL with a one-line error (CD_EXIT_TARGET: cannot attach, open or
 * start it; CD_EXIT_CMD: a strict_core mismatch). t->warning, if set, is for the caller to show. */
cd_target *cd_target_open(const cd_open_spec *spec, cd_err *err);

#endif
