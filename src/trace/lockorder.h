/* Lock-order checking (issue 15, section 2): potential deadlocks found from a run in which they
 * did not happen.
 *
 * Every pthread lock acquisition and release of a process is recorded with the tracepoint backends
 * (backend.h: probes on libc's pthread_mutex_*, pthread_rwlock_* and pthread_cond_*wait; inline
 * where it can, uprobes and uretprobes where only the return says whether the lock was taken).
 * The reader keeps a few words a record (lock, return address, thread) and one register and stack
 * snapshot per distinct stack. Each thread's held-lock set is replayed from the records; every
 * blocking acquisition of B while A is held is an edge A→B of the lock-order graph, kept with its
 * first occurrence's stack (unwound once, through a snapshot target of that snapshot) and the set
 * of other locks held at every occurrence (its possible gates). A
 * cycle of edges is a potential deadlock unless one lock was held exclusively at every edge of it
 * (a gate: two threads cannot both be inside it; a read-held rwlock is none), one of its edges
 * never blocks (a trylock: it fails instead of waiting, so such acquisitions make no edge), or at
 * one of its links a thread read-locks a reader-preferring rwlock the next thread only read-holds
 * (glibc lets the reader in). Nothing here prints. */
#ifndef CD_TRACE_LOCKORDER_H
#define CD_TRACE_LOCKORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbols/symbols.h"
#include "target/target.h"
#include "util/util.h"

typedef struct cd_lo cd_lo;

typedef struct cd_lo_frame {
    char *func;              /* "phase1", or "??" */
    char *file;              /* NULL without debug info */
    int line;
    uint64_t pc;
    bool late;               /* unwound from stack words read after the record (its copy ends
                                below): the thread may have moved on, so the frame may be newer */
} cd_lo_frame;

typedef struct cd_lo_edge {
    uint64_t held, acquired;   /* lock addresses */
    const char *held_name, *acquired_name; /* as the deadlock report names them */
    const char *held_kind, *acquired_kind; /* "mutex", "rwlock" */
    const char *held_mode, *acquired_mode; /* an rwlock's at the first occurrence: "read", "write";
                                              NULL for a mutex */
    pid_t tid;                 /* the thread of the first occurrence */
    uint64_t count;            /* occurrences */
    cd_lo_frame held_at;       /* where the held lock was taken (the caller of the lock function) */
    cd_lo_frame *stack;        /* where the acquired lock was taken: the first user frame first */
    size_t nstack;
} cd_lo_edge;

typedef struct cd_lo_cycle {
    const cd_lo_edge **edges;  /* in order: edges[i]->acquired == edges[i+1]->held */
    size_t n;
} cd_lo_cycle;

typedef struct cd_lo_stats {
    uint64_t acquisitions, releases, records, dropped;
    size_t locks, threads, edges, gated_cycles, trylock_only;
    size_t shared_cycles;    /* not reported: closed only through a read lock another reader holds */
} cd_lo_stats;

/* t: a live target of the process (NONSTOP is enough), sym its symtab; both the caller's. */
cd_lo *cd_lo_new(cd_target *t, cd_symtab *sym, cd_err *err);
void cd_lo_free(cd_lo *lo);
/* Finds the lock functions. None at all (a static binary without symbols, no libc): CD_EK_NOT_FOUND
 * naming them. *missing (caller frees, NULL when none) lists those that could not be traced. */
int cd_lo_resolve(cd_lo *lo, char **missing, cd_err *err);
int cd_lo_arm(cd_lo *lo, cd_err *err);
/* Replays what was recorded, waiting up to timeout_ms. As the backend's poll: -1 with CD_EK_EXITED
 * once the process has ended and everything was delivered. */
int cd_lo_poll(cd_lo *lo, int timeout_ms, cd_err *err);
int cd_lo_disarm(cd_lo *lo, cd_err *err);
/* After disarm (or the end): what the backends still hold, and the replay of every record. */
void cd_lo_drain(cd_lo *lo);
/* Why the fast (inline) backend was not used for some lock function (each named with its reason),
 * or NULL. */
const char *cd_lo_note(cd_lo *lo);
/* The cycles (potential deadlocks) of the graph so far. Valid until cd_lo_free. */
size_t cd_lo_cycles(cd_lo *lo, const cd_lo_cycle **out);
void cd_lo_get_stats(cd_lo *lo, cd_lo_stats *out);
void cd_lo_emergency(cd_lo *lo);

#endif
