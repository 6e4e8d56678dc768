/* A thread dump's stack cache (`cdbg stacks`): 1000 threads parked in one place have one stack
 * shape, and unwinding each through libdwfl costs ~20 us. The first thread asleep at a given pc is
 * unwound in full (cd_unwind_syscall); when every frame of that walk followed a CFI row of the
 * simplest kind (CFA = rsp + N, return address at CFA - 8, the outermost frame's return address
 * "undefined"), the walk is kept as a template: its pcs and each frame's sp relative to frame 0's.
 * The next thread asleep at the same pc has its stack read once (one read of the bytes from its sp
 * to its outermost frame's) and every return address checked at the template's offsets; when all
 * match, its walk IS the template's (each step depended on nothing but the pc and those return
 * addresses), and its frames are the template's with its own sp and CFA. Anything else (a return
 * address that differs, a frame-pointer CFA, a signal frame, an unreadable stack) is unwound in
 * full. The cache lives for one dump and belongs to its caller: nothing is shared. */
#ifndef CD_STACKCACHE_H
#define CD_STACKCACHE_H

#include "unwind/unwind.h"

typedef struct cd_stackcache cd_stackcache;

/* A cache for dumping the threads of u's target (u and s: its unwinder and symbol table). */
cd_stackcache *cd_stackcache_new(cd_unwinder *u, cd_target *t, cd_symtab *s);
void cd_stackcache_free(cd_stackcache *c);

/* cd_unwind_unstopped through the cache: the same result (how, rereads, the frames' pcs and
 * symbols), each blocked thread's syscall line read twice through one kept-open file. A thread that
 * fits a template gets *shared = the template's stack (owned by the cache, until
 * cd_stackcache_free) and an empty *out; otherwise *shared = NULL and *out is its own stack. */
int cd_unwind_unstopped_cached(cd_stackcache *c, cd_thread *th, cd_read_hook hook, void *hook_arg, cd_stack *out,
                               const cd_stack **shared, cd_read_info *info, cd_err *err);

/* One thread's result in cd_stackcache_read_all. */
typedef struct cd_cached_read {
    int rc;              /* 0, or -1 with error (malloc'd) */
    char *error;
    cd_stack st;         /* its own stack, or empty with shared set (as cd_unwind_unstopped_cached) */
    const cd_stack *shared;
    cd_read_info rd;
} cd_cached_read;

/* Every thread of THS read as cd_unwind_unstopped_cached, into RES[i] (zeroed by the caller).
 * Where the live target has a BPF task iterator (cd_live_bpfsnap), every thread asleep in a
 * system call is read from one walk of it and checked against a second walk, and only the others
 * one by one. Else: a
 * helper thread made for this call (joined before it returns) takes threads from the end of the
 * list that fit a template: their syscall lines, stack bytes and checks; the caller's thread does
 * the rest (full walks, stops, the hook) from the start. Nothing of it outlives the call. */
void cd_stackcache_read_all(cd_stackcache *c, cd_thread **ths, size_t n, cd_read_hook hook, void *hook_arg,
                            cd_cached_read *res);

/* How cd_stackcache_read_all read the threads: "bpf" (two walks of the BPF task iterator,
 * target/bpfsnap.h) or "procfs" (each thread's syscall file); *why (if why): why not "bpf" when
 * BPF was wanted and could not be used, else NULL. */
const char *cd_stackcache_source(const cd_stackcache *c, const char **why);

/* Threads unwound from a template, in full, and from a template by read_all's helper thread: for
 * tests and CDBG_STACKS_TIMING. */
void cd_stackcache_counts(const cd_stackcache *c, size_t *replayed, size_t *full, size_t *helped);

/* Test hook (CDBG_TEST_STACKS_HELPER_FIRST): read_all's helper thread, once started, reads every
 * thread it can before the caller's goes on, so that a test sees it at work whatever the timing. */
void cd_stackcache_test_helper_first(cd_stackcache *c);

#endif
