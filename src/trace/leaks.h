/* The live-allocation (leak) view of `cdbg leaks` (docs/leaks.md): heaptrack's and bcc memleak's
 * job, the program never stopped.
 *
 * Kernel uprobes (backend.h, uprobe.c) on the allocator functions of the process's libc: malloc,
 * calloc, realloc, reallocarray, memalign, aligned_alloc, posix_memalign, valloc, pvalloc (entry:
 * the size and a copy of the stack top; return: the pointer) and free (entry: the pointer). C++'s
 * operator new and delete reach libc through malloc and free and are seen there. Each allocation
 * that returned a block is kept live, keyed by its pointer, with its size and its call stack; a
 * free removes it. A call the allocator makes to itself (realloc(NULL, n) calling malloc,
 * memalign calling malloc) is not the program's: only the outermost allocator call of a thread
 * counts. Blocks allocated before the probes went in are unknown: their frees are counted, not
 * matched.
 *
 * Stacks: the entry record's registers and stack copy (up to 4 KB from sp, taken by the kernel at
 * the hit) are unwound by the libdwfl unwinder `bt` uses, inline frames included, through a
 * snapshot target whose rest-of-stack is denied (a deeper stack ends "cut" rather than borrowing
 * frames from a later instant). Unwinding is paid once per distinct stack: records are hashed by
 * their pc, frame pointer offset and every word of the copy that points into code (the return
 * addresses the unwinder would find, where they are), and records of one hash share one unwind.
 * Nothing here prints. */
#ifndef CD_TRACE_LEAKS_H
#define CD_TRACE_LEAKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbols/symbols.h"
#include "target/target.h"
#include "unwind/unwind.h"
#include "util/util.h"

typedef struct cd_leaks cd_leaks;

/* The live allocations of one call stack. */
typedef struct cd_leak_group {
    uint64_t bytes, count;
    /* the program's frames, the allocator's own (malloc, operator new) skipped; levels from 0;
     * symbol strings live as long as the symtab */
    const cd_frame *frames;
    size_t nframes;
    bool cut;                /* the stack copy ended before the outermost frame */
    const char *why_cut;     /* the unwinder's reason, or NULL */
} cd_leak_group;

typedef struct cd_leaks_stats {
    uint64_t allocs;         /* outermost allocator calls that returned a block */
    uint64_t failed;         /* ... that returned NULL (or an error) */
    uint64_t frees;          /* free() and realloc() of a non-NULL pointer */
    uint64_t unknown_frees;  /* of a pointer not allocated while recorded (before the attach) */
    uint64_t inner;          /* the allocator's calls to itself, left out */
    uint64_t replaced;       /* a block returned at the address of one still live: its free was lost */
    uint64_t lost;           /* records the kernel dropped (full ring): a lost free makes a false leak */
    uint64_t records;
    uint64_t live, live_bytes;
    size_t stacks;           /* distinct stacks unwound */
    size_t threads;
} cd_leaks_stats;

/* t: a live target of the process (NONSTOP is enough), sym its symtab; both the caller's. */
cd_leaks *cd_leaks_new(cd_target *t, cd_symtab *sym, cd_err *err);
void cd_leaks_free(cd_leaks *lk);
/* Finds libc's allocator. No libc, or libc's malloc not the one the program calls (another
 * allocator interposes it): CD_EK_NOT_FOUND naming the symbol. *missing (caller frees, NULL when
 * none) lists the functions this libc does not have. */
int cd_leaks_resolve(cd_leaks *lk, char **missing, cd_err *err);
/* The module the allocator was found in ("libc.so.6"), after resolve. */
const char *cd_leaks_libc(const cd_leaks *lk);
int cd_leaks_arm(cd_leaks *lk, cd_err *err);
/* Handles what was recorded, waiting up to timeout_ms. -1 with CD_EK_EXITED once the process has
 * ended and everything was handled. */
int cd_leaks_poll(cd_leaks *lk, int timeout_ms, cd_err *err);
int cd_leaks_disarm(cd_leaks *lk, cd_err *err);
/* After disarm: what the backend still holds. */
void cd_leaks_drain(cd_leaks *lk);
void cd_leaks_emergency(cd_leaks *lk);
/* The live allocations grouped by call stack, by bytes (then count) descending. Valid until the
 * next poll or cd_leaks_free. */
size_t cd_leaks_groups(cd_leaks *lk, const cd_leak_group **out);
void cd_leaks_get_stats(const cd_leaks *lk, cd_leaks_stats *out);

#endif
