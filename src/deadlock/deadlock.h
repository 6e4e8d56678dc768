/* The deadlock detector: a lock wait-for graph of a live process or a core.
 *
 * How it looks without stopping anything: every thread's syscall state comes from the kernel
 * (/proc/PID/task/TID/syscall live, orig_rax/rdi... on a core). A thread sleeping in futex(2) names
 * its futex word; the words around it (read with process_vm_readv) say what kind of object it is
 * (glibc 2.36 x86-64 layouts: pthread_mutex_t / mtx_t, pthread_rwlock_t, a joined thread's
 * `struct pthread`, a condition variable) and who owns it. Each edge is read twice, some
 * milliseconds apart, and kept only if nothing moved, so ordinary contention is not reported.
 * Only threads that end up in a finding are stopped (they are blocked anyway), to unwind their
 * stacks for the "where does it wait" frame, and released at once.
 *
 * Verdicts: cycles (strongly connected components of the wait-for graph), self-deadlocks,
 * orphaned locks (owner thread gone), and threads blocked on any of those. Beyond locks: a wait
 * any thread of the process could end (a condition variable, a semaphore, a read or poll of a
 * pipe, eventfd or unix socketpair whose every writable end is in the process: fdwait.c) is blocked forever only
 * when every other thread is; a thread running, in a timed wait or any other system call keeps
 * the verdict "not proven" (cd_dl_verdict's greatest fixpoint). */
#ifndef CD_DEADLOCK_H
#define CD_DEADLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "symbols/symbols.h"
#include "target/target.h"
#include "unwind/unwind.h"
#include "util/util.h"

/* What a blocked thread waits for. Only MUTEX, RWLOCK and THREAD are wait-for edges. */
typedef enum {
    CD_DL_NONE = 0,
    CD_DL_MUTEX,     /* pthread_mutex_t or C11 mtx_t (any kind, PI and robust included) */
    CD_DL_RWLOCK,    /* pthread_rwlock_t, as reader or writer */
    CD_DL_THREAD,    /* pthread_join: waits for a thread to exit */
    CD_DL_CONDVAR,   /* pthread_cond_t wait: never a deadlock edge by itself */
    CD_DL_FUTEX,     /* some other futex (custom): not understood, no edge */
    CD_DL_SEM,       /* POSIX semaphore (sem_t) wait: never a deadlock edge by itself */
    CD_DL_PIPE,      /* read(2) on a pipe; addr is its inode (live only) */
    CD_DL_EVENTFD,   /* read(2) on an eventfd; addr is its eventfd-id (live only) */
    CD_DL_SOCKET,    /* read/recv on a unix socket; addr is its inode, sock_peer the peer's (live only) */
    CD_DL_FD,        /* read(2) on some other fd, or on a core (what it is is not known) */
} cd_dl_kind;

typedef struct cd_dl_wait {
    pid_t tid;
    char name[17];
    cd_dl_kind kind;
    uint64_t addr;        /* the object: mutex/rwlock/condvar base, joined thread's struct pthread */
    uint64_t futex;       /* futex word the thread sleeps on */
    uint32_t word;        /* its value when read */
    pid_t owner;          /* owner TID (mutex owner, rwlock writer, joined thread); 0 if none known */
    char owner_name[17];  /* the owner thread's name, "" if unknown */
    pid_t ns_tid, owner_ns_tid; /* tid and owner as the process's PID namespace numbers them (0: the same
                                 * as cdbg's, or unknown): for display */
    bool by_readers;      /* rwlock held by readers: no owner field exists */
    unsigned nreaders;
    bool owner_gone;      /* owner TID is not a thread of the process */
    bool pshared;         /* a process-shared lock: its owner may be a thread of another process */
    bool owner_foreign;   /* pshared, and the owner is not a thread of this process (but may live) */
    bool pi_deadend;      /* glibc's "sleep forever" after the kernel refused a PI lock (EDEADLK);
                           * addr/owner are the wanted mutex once found (else addr = the futex) */
    bool timed;           /* the futex wait has a timeout (timedlock, clocklock, timedrdlock...) */
    bool timeout_known;   /* timeout_s is set (live targets) */
    double timeout_s;     /* seconds until it gives up (relative timeouts: at most this) */
    char *symbol;         /* the lock's name: `lock_b`, `forks[3]`, `&to->mu`, `sym+0x8`; NULL */
    char *frame;          /* "func at file:line" of the user frame that waits; NULL if not unwound */
    uint32_t sem_value;   /* SEM: the semaphore's value and waiter count when read */
    uint32_t sem_waiters;
    uint64_t cv_mutex;    /* CONDVAR: the mutex pthread_cond_wait released (0: not known) */
    char *cv_mutex_symbol;
    int fd;               /* PIPE/EVENTFD/FD: the fd it reads */
    int fd_writers[8];    /* the writable ends in this process (the first 8) */
    size_t fd_nwriters;
    pid_t fd_other_pid;   /* another process holding a writable end (0: none) */
    bool fd_sockets;      /* the process holds a socket: an end may be in flight (SCM_RIGHTS) */
    bool live_fd;         /* FD: read from a live process (else a core, which records no fds) */
    const char *fd_call;  /* "read", "poll", "epoll_wait"... (static) */
    size_t fd_count;      /* fds it waits on (poll, epoll); fd is the first */
    bool fd_mixed;        /* some of them are not pipes or eventfds this process alone writes */
    uint64_t sock_peer;   /* SOCKET: the peer's inode (0: none); its holders are the writers */
    bool sock_pair;       /* SOCKET: unnamed, connected, not listening: a socketpair end */
    char fd_why[320];     /* PIPE/EVENTFD/SOCKET: why no wait on it can be proven ("" if it can) */
    bool forever;         /* blocked forever (cd_dl_verdict): nothing outside the blocked set can wake it */
    int cycle;            /* index into cycles, or -1 */
    int next;             /* index of the owner's wait in waits[] (an edge), or -1 */
} cd_dl_wait;

typedef enum {
    CD_DLF_SELF = 0,      /* waits for a mutex it owns */
    CD_DLF_ORPHAN,        /* waits for a lock whose owner thread no longer exists */
    CD_DLF_BLOCKED,       /* waits (maybe through others) on a thread that is blocked forever */
    CD_DLF_PI,            /* the kernel refused a PI mutex with EDEADLK; glibc sleeps forever */
    CD_DLF_CONDVAR,       /* waits on a condition variable no thread can ever signal */
    CD_DLF_SEM,           /* waits on a semaphore no thread can ever post */
    CD_DLF_FD,            /* reads a pipe or eventfd no thread can ever write */
} cd_dl_finding_kind;

typedef struct cd_dl_finding {
    cd_dl_finding_kind kind;
    size_t wait;          /* index into waits[] */
} cd_dl_finding;

typedef struct cd_dl_cycle {
    size_t *waits;        /* indices into waits[], in wait-for order (each waits for the next) */
    size_t n;
} cd_dl_cycle;

typedef struct cd_dl_result {
    cd_dl_wait *waits;    /* every thread blocked in a futex wait, in thread order */
    size_t nwaits;
    cd_dl_cycle *cycles;
    size_t ncycles;
    cd_dl_finding *findings;
    size_t nfindings;
    pid_t pid;
    bool live;            /* a running process (false: a core) */
    size_t nthreads;      /* threads in the process */
    size_t nstopped;      /* threads this analysis stopped */
    double stopped_ms;    /* how long any thread was held stopped by this analysis */
    char *note;           /* one informational line (e.g. frames unavailable), or NULL */
    size_t nlive;         /* threads of the process that exist (the possible wakers) */
    bool all_asleep;      /* every thread of the process is blocked forever */
    char **warnings;      /* suspicious but unproven patterns (exit 0), one line each */
    size_t nwarnings;
} cd_dl_result;

typedef struct cd_dl_options {
    int confirm_ms;       /* delay between the two reads of each edge (live); <0 = default */
    bool no_frames;       /* do not stop/unwind anything (frames stay NULL) */
    bool no_refresh;      /* the thread list is fresh (just attached): do not re-list it */
} cd_dl_options;

/* Analyses the target. sym/unw may be NULL (no names / no frames). Threads held before the call
 * stay held; threads the analysis stops are released before it returns. */
int cd_deadlock_analyze(cd_target *t, cd_symtab *sym, cd_unwinder *unw, const cd_dl_options *opt,
                        cd_dl_result *out, cd_err *err);
void cd_dl_result_free(cd_dl_result *r);

/* True when a cycle or a thread blocked forever was found (exit status 3). */
bool cd_dl_found(const cd_dl_result *r);

/* The JSON document of docs/json.md, and the two text reports. */
json_object *cd_dl_result_json(const cd_dl_result *r);
void cd_dl_format_text(const cd_dl_result *r, cd_buf *b);
void cd_dl_format_locks(const cd_dl_result *r, cd_buf *b);
const char *cd_dl_kind_name(cd_dl_kind k);

/* ---- pieces, exposed for unit tests ---- */

/* Classifies one futex wait from the syscall arguments and the target's memory (no stop).
 * Fills kind/addr/futex/word/owner/by_readers/nreaders/pi_deadend of w. */
/* What one analysis learns of one process, kept from one thread's wait to the next: its PID
 * namespace's TID map and what its fds are. One per analysis (cd_deadlock_analyze makes and frees
 * it), never shared between targets. */
typedef struct cd_dl_state cd_dl_state;
cd_dl_state *cd_dl_state_new(void);
void cd_dl_state_free(cd_dl_state *st);

void cd_dl_classify(cd_dl_state *st, cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w);
/* A thread blocked in read(2), recv, poll(2) or epoll_wait(2): on pipes, eventfds or unix socketpairs,
 * with their writers (live); CD_DL_FD for any other fd or on a core. False when it is in none of those calls. */
bool cd_dl_classify_fd(cd_dl_state *st, cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w);

/* A TID read from the target's memory (the number its PID namespace gives the thread: 1, 2, 3...
 * in a container) as /proc and ptrace know it; TIDs of a process in cdbg's namespace, and of a
 * core, are returned as they are. cd_dl_ns_tid: the reverse, for display (0 when the process
 * shares cdbg's namespace or the thread is unknown), valid after a cd_dl_host_tid of the process. */
pid_t cd_dl_host_tid(cd_dl_state *st, cd_target *t, pid_t ns_tid);
pid_t cd_dl_ns_tid(const cd_dl_state *st, pid_t host_tid);

/* A priority-inheritance mutex owned by a thread other than self that p points to or into (glibc
 * keeps &mutex->__kind or &mutex->__list in registers as often as mutex itself): its address,
 * owner and word. */
bool cd_dl_pi_mutex_at(cd_dl_state *st, cd_target *t, uint64_t p, pid_t self, uint64_t *base, pid_t *owner, uint32_t *word);

/* Given next[] edges (set from owners) and nlive, fills cycles, findings, each wait's cycle index
 * and forever flag. Pure graph work: Tarjan's SCC over the edges; the rest propagates "blocked
 * forever", and a condition variable or semaphore waiter is blocked forever only when every other
 * thread of the process is (the largest such set: the greatest fixpoint). */
void cd_dl_verdict(cd_dl_result *r);

/* Strongly connected components of a graph given as CSR adjacency (edges of node i are
 * adj[off[i] .. off[i+1])). comp[i] receives the component id; returns the number of components.
 * Components are numbered in reverse topological order (Tarjan). */
size_t cd_dl_scc(size_t n, const size_t *off, const size_t *adj, size_t *comp);

/* Names a global/static lock from DWARF (`table.buckets[7].mu`) or the ELF symbol (`sym+0x8`).
 * Caller frees; NULL when the address is in no module. */
char *cd_dl_global_name(cd_symtab *sym, uint64_t addr);

/* Names a lock through the variables of a stopped thread's frame (`m`, `to->mu`); NULL if none, and
 * always NULL in a C library frame (its parameter names are not the program's). */
char *cd_dl_frame_name(cd_symtab *sym, cd_target *t, const cd_frame *f, uint64_t addr);
/* The value of the pointer variable or parameter NAME of a frame (`mutex` of glibc's
 * __pthread_cond_wait_common, from libc6-dbg's DWARF); false when it is not known there. */
bool cd_dl_frame_ptr(cd_symtab *sym, cd_target *t, const cd_frame *f, const char *name, uint64_t *out);
/* The C library or the dynamic loader (by module name): not the user's code. */
bool cd_dl_runtime_module(const char *module);
/* A frame of the C++ toolchain's headers or runtime rather than the program's own code: std::
 * and gthr wrappers (std::lock_guard, std::mutex::lock, __gthread_mutex_lock: out of line at -O0,
 * inlined into the caller at -O2, their lines in the library's headers), libstdc++/libgcc/libc++.
 * The frame a report names is the first one past them; `cdbg deadlock` and `cdbg lockorder` both
 * ask this. Any argument may be NULL. */
bool cd_dl_toolchain_frame(const char *func, const char *file, const char *module);

/* A heap lock named through a global or static pointer into its object: `gctx->rwl`. NULL if none. */
char *cd_dl_global_ptr_name(cd_symtab *sym, cd_target *t, uint64_t addr);

/* ---- the one-shot mode (the REPL's `deadlock` and `locks` are src/commands/cmd_deadlock.c) ---- */

/* One-shot `cdbg deadlock PID | EXE CORE [--json]`; argv excludes "cdbg" and "deadlock".
 * Returns the exit status: 0 none found, 3 found, 1 error. */
int cd_deadlock_main(int argc, char **argv);

#endif
