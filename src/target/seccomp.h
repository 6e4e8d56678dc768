/* Would the target's seccomp filters let a system call that cdbg injects through?
 *
 * A process under SECCOMP_MODE_FILTER (systemd's SystemCallFilter=, container runtimes, browsers'
 * sandboxes) is killed, or sees an error, when it makes a system call its filters forbid, and an
 * injected system call is the process's own as far as the kernel knows: an injected clone() under
 * a filter that kills on clone kills the program cdbg was only meant to look at. So before any
 * injection the thread's filters are read (PTRACE_SECCOMP_GET_FILTER) and run here, in a classic-BPF
 * interpreter, on the seccomp_data the kernel would present. */
#ifndef CDBG_TARGET_SECCOMP_H
#define CDBG_TARGET_SECCOMP_H

#include "util/util.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Runs one seccomp program (classic BPF, the instruction set the kernel accepts for seccomp) on d.
 * Returns 0 with *ret its return value; -1 with why set when it holds an instruction outside that
 * set, a jump out of it, or it runs off its end: its verdict is then unknown. */
int cd_seccomp_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d, uint32_t *ret,
                   char *why, size_t whylen);

/* The kernel's combination of two filters' return values: the more restrictive action (compared
 * as signed 32-bit numbers: SECCOMP_RET_KILL_PROCESS is the smallest), on a tie the first. Fold
 * from the newest filter to the oldest, starting at SECCOMP_RET_ALLOW, as the kernel walks them. */
uint32_t cd_seccomp_combine(uint32_t acc, uint32_t next);

/* Whether return value ret lets the system call run unchanged (ALLOW, LOG). */
bool cd_seccomp_allows(uint32_t ret);

/* What the action does, for "the filter would ... on clone": "kill it", "fail with EPERM", ...;
 * and its name ("SECCOMP_RET_KILL_PROCESS"). */
const char *cd_seccomp_action_text(uint32_t ret, char *buf, size_t len);
const char *cd_seccomp_action_name(uint32_t ret);

/* The name of x86-64 system call nr when it is one cdbg injects ("clone"), else "system call N". */
const char *cd_seccomp_syscall_name(long nr, char *buf, size_t len);

/* Thread tid (of process pid, held in a ptrace stop) would run system call nr with args from a
 * `syscall` instruction at insn: 0 when its seccomp state lets it through unchanged; else -1 with
 * kind CD_EK_SECCOMP and a line naming the call and the filter's action — also when the filters
 * cannot be read (no CAP_SYS_ADMIN, a kernel without PTRACE_SECCOMP_GET_FILTER) or hold an
 * instruction the interpreter does not know: then nobody can say what the call would do. */
int cd_seccomp_check(pid_t pid, pid_t tid, long nr, uint64_t insn, const uint64_t args[6], cd_err *err);

#endif
