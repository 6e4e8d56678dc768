/* Parsers for the /proc files the live backend and cd_parse_pid read.
 *
 * The parse functions take file contents as strings so they can be unit-tested without a process;
 * the few I/O helpers at the end only read the files and call them. */
#ifndef CD_PROCFS_H
#define CD_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "target/target.h"

/* /proc/PID/task/TID/stat: "TID (comm) S ...". comm may itself contain spaces and ')', so the
 * name ends at the LAST ')'. name gets at most 16 bytes + NUL. Returns 0, or -1 if malformed. */
int cd_procfs_parse_stat(const char *s, char name[17], char *state);

/* /proc/PID/task/TID/comm: the name with its trailing newline removed. */
void cd_procfs_parse_comm(const char *s, char name[17]);

/* /proc/PID/task/TID/syscall:
 *   "running"            -> CD_SC_RUNNING, nr = -1, sp = pc = 0
 *   "-1 SP PC"           -> stopped/blocked outside any syscall (page fault, ptrace or group stop):
 *                           CD_SC_RUNNING with nr = -1 and sp/pc set (it is in user code, not a syscall)
 *   "NR A1 .. A6 SP PC"  -> CD_SC_BLOCKED inside syscall NR
 * Returns 0, or -1 (out->kind = CD_SC_UNKNOWN) when the text is not one of these. */
int cd_procfs_parse_syscall(const char *s, cd_syscall_state *out);

/* Fields of /proc/PID/status that we use. Missing fields are left as -1 / 0. */
typedef struct cd_proc_status {
    char state;     /* first letter of "State:" */
    pid_t tgid, ppid, tracer_pid;
    int threads;    /* "Threads:" (a zombie leader with live threads is still a live process) */
} cd_proc_status;
int cd_procfs_parse_status(const char *s, cd_proc_status *out);

/* The "NSpid:" line of a /proc/.../status: the thread's ID in the innermost PID namespace it
 * belongs to (its last field: the number the process itself sees, and glibc stores as a lock
 * owner), or 0 when the line is missing or malformed. */
pid_t cd_procfs_parse_nspid(const char *status);

/* /proc/PID/maps -> malloc'd array (free with cd_procfs_free_maps). Lines that do not parse are
 * skipped. Returns 0 (also for an empty file). */
int cd_procfs_parse_maps(const char *s, cd_mapping **out, size_t *n);
void cd_procfs_free_maps(cd_mapping *m, size_t n);

/* ---- I/O helpers (thin: read the file, call the parser) ---- */

/* TIDs in /proc/PID/task, the thread-group leader (PID) first when it is listed, then in directory
 * order. Returns 0, or -1 with errno (ENOENT: the process is gone). */
int cd_procfs_list_tasks(pid_t pid, pid_t **out, size_t *n);

int cd_procfs_read_stat(pid_t pid, pid_t tid, char name[17], char *state);
/* cd_procfs_read_stat of each of TIDS into OUT[i] (ok false: unreadable, the thread gone). Past a
 * few dozen threads a helper thread made for the call (joined before it returns) reads from the
 * end of the list while the caller's reads from the start: the attach to a 1000-thread process
 * reads 1000 files. */
typedef struct cd_procfs_stat {
    bool ok;
    char state;
    char name[17];
} cd_procfs_stat;
void cd_procfs_read_stats(pid_t pid, const pid_t *tids, size_t n, cd_procfs_stat *out);
int cd_procfs_read_status(pid_t pid, cd_proc_status *out);
/* /proc/PID/task/TID/syscall, parsed (cd_procfs_parse_syscall). Returns 0, or -1 with errno: the
 * open's or read's, ENODATA for an empty file, EBADMSG for contents that do not parse. */
int cd_procfs_read_syscall(pid_t pid, pid_t tid, cd_syscall_state *out);

/* The same, keeping the file of the thread read last open: a dump reads each thread's line twice
 * (before and after unwinding it), and a pread of the open file regenerates the line for a third
 * of the cost of open + read + close. One file per reader, whatever the thread count; the reader
 * is its owner's (one per dump), nothing is shared. The open file is bound to the task, not to
 * the number: once that thread is gone (its TID possibly reused) the pread fails (ESRCH) and the
 * path is opened afresh. cd_procfs_sc_close closes it. */
typedef struct cd_procfs_sc_reader {
    int fd; /* -1: none open */
    pid_t pid, tid;
} cd_procfs_sc_reader;
#define CD_PROCFS_SC_READER_INIT {-1, 0, 0}
int cd_procfs_sc_read(cd_procfs_sc_reader *rd, pid_t pid, pid_t tid, cd_syscall_state *out);
void cd_procfs_sc_close(cd_procfs_sc_reader *rd);
/* Whether process PID lives in another PID namespace than cdbg (a container): then the TIDs it
 * sees, and writes into its memory, are not the ones /proc and ptrace use. */
bool cd_procfs_other_pidns(pid_t pid);
/* The thread's ID in the process's own PID namespace (cd_procfs_parse_nspid), or 0. */
pid_t cd_procfs_read_ns_tid(pid_t pid, pid_t tid);
/* Command name of a process ("?" if unreadable). */
void cd_procfs_read_comm(pid_t pid, char name[17]);
/* Whether process PID has ended: its /proc/PID/stat is gone or unreadable, or says zombie or dead.
 * Reads /proc only, so a child's exit status stays for its parent's waitpid. */
bool cd_procfs_process_gone(pid_t pid);

#endif
