/* Every thread of a live process in one read, through a BPF task iterator (bpfsnap.bpf.c): for each
 * thread its name, its state, and the user registers the kernel saved when it entered the kernel
 * (ip, sp, the callee-saved rbx rbp r12..r15, the syscall number and its six arguments). A thread
 * asleep in a system call is thus read with no file of its own: what /proc/PID/task/TID/stat and
 * .../syscall give, plus the callee-saved registers the syscall line lacks (rbp of frame-pointer
 * code), for 1000 threads in a few system calls.
 *
 * Needs a kernel with BTF and task iterators filtered
 * by process (6.1 and later), and CAP_BPF + CAP_PERFMON (root). Where any is missing,
 * cd_bpfsnap_open says why in one line and the caller reads /proc as before. Nothing global: a
 * snapshot source belongs to its opener (the live target of a `cdbg stacks`) and
 * cd_bpfsnap_close frees it, program, link and all. */
#ifndef CD_BPFSNAP_H
#define CD_BPFSNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "target/target.h"

typedef struct cd_bpfsnap cd_bpfsnap;

typedef struct cd_bpfsnap_thread {
    pid_t tid;
    char state;          /* as /proc's stat shows it: R S D T t Z X P I */
    char name[17];
    /* What /proc/PID/task/TID/syscall would show: CD_SC_RUNNING with sp = pc = 0 for a thread
     * that runs (its saved registers are not its current ones); CD_SC_RUNNING with sp/pc for one
     * in the kernel outside a system call; CD_SC_BLOCKED inside syscall nr. */
    cd_syscall_state sc;
    /* the callee-saved registers as it entered the kernel (valid unless sc says it runs) */
    uint64_t rbx, rbp, r12, r13, r14, r15;
    uint64_t switches;   /* context switches, voluntary and not: unchanged = it has not run */
} cd_bpfsnap_thread;

/* Whether `cdbg stacks` may try BPF: not when CDBG_NO_BPF is set (to anything but "" or "0"). */
bool cd_bpfsnap_wanted(void);

/* Loads the iterator over process PID's threads. NULL with why (one line: what is missing) when
 * BPF cannot be used here. */
cd_bpfsnap *cd_bpfsnap_open(pid_t pid, char *why, size_t whylen);

/* One walk over the process's threads, in the kernel's order (the leader first): *out (malloc'd,
 * *n entries). 0, or -1 with errno (ESRCH: the process is gone). */
int cd_bpfsnap_read(cd_bpfsnap *b, cd_bpfsnap_thread **out, size_t *n);

void cd_bpfsnap_close(cd_bpfsnap *b);

/* The letter /proc gives for a task's __state and exit_state (a parser: unit-tested). */
char cd_bpfsnap_state_letter(uint32_t state, int32_t exit_state);

/* The live target's snapshot source, opened at a non-stop attach when BPF is wanted and works;
 * NULL otherwise, with *why (if why) saying why not (NULL when BPF was not wanted). Defined in
 * live.c: the source belongs to the target and is closed with it. */
cd_bpfsnap *cd_live_bpfsnap(cd_target *t, const char **why);

/* The walk the attach made (its thread list), handed over once to the dump as its first walk: the
 * dump's second walk checks it as it checks any first one. 0 with *out (the caller frees it), or -1
 * when there is none (no BPF, or taken already). Defined in live.c. */
int cd_live_bpfsnap_first(cd_target *t, cd_bpfsnap_thread **out, size_t *n);

/* A non-stop attach (CD_ATTACH_NONSTOP) whose thread list, names and states come from the task
 * iterator when cd_bpfsnap_wanted() and it loads (the source then stays open for the dump:
 * cd_live_bpfsnap), from /proc otherwise. */
cd_target *cd_live_attach_snap(pid_t pid, cd_err *err);

#endif
