/* Fast breakpoints: a breakpoint whose non-stopping hits are decided in the target.
 *
 * A breakpoint with an ignore count is, while the program runs, a 5-byte `jmp` over its int3 to a
 * stub in a code area cdbg maps into the process (near the code, for the rel32 jumps):
 *
 *   lea -128(%rsp),%rsp; pushfq          (the red zone, the flags)
 *   lock incq HITS(%rip)                 (the hit: counted for every thread, atomically)
 *   lock decq IGN(%rip); jl STOP         (the ignore count: below zero, the hit stops)
 *   popfq; lea 128(%rsp),%rsp; jmp RELOC
 *   STOP: popfq; lea 128(%rsp),%rsp; int3
 *   RELOC: the instructions the jmp covers, relocated; jmp back
 *
 * The int3 traps like a breakpoint's, one byte further on: the backend reports it as a hit at the
 * breakpoint's address (pc rewound there), and the counters of that trap are taken back in cdbg's
 * books (never in the target: other threads may be running), so that the run loop counts the hit
 * as it counts any int3 hit. A thread resumed from the breakpoint's address goes to RELOC (the
 * original instructions, then back) instead of being stepped over it.
 *
 * The jmp is in place only while the program runs (cd_fastbp_arm before a resume, cd_fastbp_disarm
 * at the stop): at a stop the code holds the int3, so stepping, disassembly, gcore and memory reads
 * see what they always saw. The stubs and the area stay mapped for the life of the image (a thread
 * may be inside one); at detach every stub's int3 becomes a nop, so a thread still inside one goes
 * on as if the hit had been ignored. */
#ifndef CD_CODEPATCH_H
#define CD_CODEPATCH_H

#include "target/target.h"

typedef struct cd_cpatch cd_cpatch;

/* The live backend's code patcher of t (created at first use), NULL for a target that has none
 * (a core). */
cd_cpatch *cd_target_cpatch(cd_target *t);

/* A condition the stub evaluates before it counts a hit (the hits whose condition is false are
 * not hits, as in the run loop): one or two comparisons of a register, or of the memory at a
 * register plus an offset (the values the program has at addr), with a constant. */
typedef enum { CD_FCMP_EQ, CD_FCMP_NE, CD_FCMP_LT, CD_FCMP_LE, CD_FCMP_GT, CD_FCMP_GE } cd_fcmp_op;
typedef struct cd_fastcmp {
    int reg;        /* x86 encoding: 0 rax, 1 rcx, 2 rdx, 3 rbx, 4 rsp, 5 rbp, 6 rsi, 7 rdi, 8-15 */
    bool mem;       /* the size bytes at reg + off, else the register's low size bytes */
    int32_t off;
    int size;       /* 1, 2, 4 or 8 */
    bool is_signed;
    cd_fcmp_op op;  /* value OP imm */
    int64_t imm;    /* in the value's range, and in int32_t's */
} cd_fastcmp;
typedef struct cd_fastrule {
    int n;          /* 0 (no condition), 1 or 2 comparisons */
    bool any;       /* 2: || (else &&) */
    cd_fastcmp c[2];
} cd_fastrule;

/* Puts the jmp to addr's stub in place (making the stub the first time) with `ignore` hits still
 * to pass over. Every thread must be held, an int3 of ours must be at addr, and addr must lie in
 * the function [func_lo, func_hi) (to rule out jumps into the patched bytes). -1 with err
 * (CD_EK_UNSUPPORTED: this address cannot be patched, keep the int3) otherwise. */
/* rule (NULL: none) is evaluated before the count; each rule has a stub of its own, and *stub
 * names the one armed (for cd_fastbp_counts). keep: leave the stub's ignore counter as it is when
 * it is the stub last armed at addr (it may be below zero: a thread inside it spent the count
 * and its trap is still to come; writing the run loop's clamped count would lose that). */
int cd_fastbp_arm(cd_target *t, uint64_t addr, uint64_t func_lo, uint64_t func_hi, int64_t ignore, bool keep,
                  const cd_fastrule *rule, uint64_t *stub, cd_err *err);
/* The int3 back in place of the jmp (nothing to do when it is not armed). */
int cd_fastbp_disarm(cd_target *t, uint64_t addr, cd_err *err);
/* A stub's counters as the run loop must see them (traps reported as int3 hits taken back): false
 * when there is no such stub. */
bool cd_fastbp_counts(cd_target *t, uint64_t stub, uint64_t *hits, int64_t *ignore);

/* ---- hooks for the live backend (src/target/live.c) ---- */
typedef int (*cd_cpatch_write_fn)(cd_target *t, uint64_t addr, const void *buf, size_t len);
cd_cpatch *cd_cpatch_new(cd_cpatch_write_fn raw_write);
void cd_cpatch_free(cd_cpatch *cp);
/* The program's code in [addr, addr + len) was written (at a stop, the jmps out): a stub that
 * copied any of those bytes is not armed again; the next arm makes a new one from the new code. */
void cd_cpatch_code_written(cd_cpatch *cp, uint64_t addr, size_t len);
/* Memory read at addr: the patched bytes are shown as the program's. */
void cd_cpatch_hide(const cd_cpatch *cp, uint64_t addr, void *buf, size_t len);
/* A SIGTRAP with pc rip: when rip - 1 is a stub's int3, its breakpoint's address (the trap is
 * taken back from the counters), else 0. Async-signal-safe when count is false. */
uint64_t cd_cpatch_trap(cd_cpatch *cp, uint64_t rip, bool count);
/* Whether addr is a stub's int3 (async-signal-safe). */
bool cd_cpatch_is_int3(const cd_cpatch *cp, uint64_t addr);
/* A thread held at addr is resumed here (the relocated instructions), 0 when addr is not armed. */
uint64_t cd_cpatch_resume_pc(const cd_cpatch *cp, uint64_t addr);
/* Patch writes that leave the process free of cdbg (the original bytes at every armed address, a
 * nop at every stub's int3), through fn(arg, addr, bytes, len). Async-signal-safe. */
void cd_cpatch_undo(const cd_cpatch *cp, void (*fn)(void *arg, uint64_t addr, const uint8_t *b, size_t n),
                    void *arg);
/* After the undo writes went to the process itself: nothing is armed any more. */
void cd_cpatch_undone(cd_cpatch *cp);
/* exec: the old image's stubs and areas are gone. */
void cd_cpatch_forget(cd_cpatch *cp);

/* ---- the patching machinery both fast breakpoints and the inline tracepoint backend
 * (src/trace/inline.c) use: injected system calls, free address space near the code, the
 * threads' pcs, the instructions a jmp may cover ---- */
#include "arch/arch.h"

/* A thread of t that is held (stopped by cdbg), or NULL. */
cd_thread *cd_cpatch_held_thread(cd_target *t);
/* System call nr run by a held thread of t (its registers restored): 0 with the call's result in
 * *ret (a -errno too), -1 with err when it could not be run (no thread held: CD_EK_UNSUPPORTED). */
int cd_cpatch_inject(cd_target *t, long nr, const uint64_t args[6], int64_t *ret, cd_err *err);
/* Where `size` bytes could be mapped within `range` of addr (both ends): one 64 KB-aligned base per
 * free gap of t's address space, the end of the gap nearest to addr, nearest first (the first of
 * two as near), at most max of them. The count, or -1 with err when the mappings cannot be read. */
int cd_cpatch_gaps_near(cd_target *t, uint64_t addr, uint64_t size, uint64_t range, uint64_t *out, size_t max,
                        cd_err *err);
/* Whether some held thread's pc is in [lo, hi); a thread whose registers cannot be read counts as
 * inside when unknown_inside. */
bool cd_cpatch_pc_in(cd_target *t, uint64_t lo, uint64_t hi, bool unknown_inside);
/* The first instruction of h that cannot be moved out of line (undecoded, an int, or not
 * relocatable: a rel8 branch other than jmp/jcc), or NULL when all of them can. */
const cd_insn *cd_cpatch_unmovable(const cd_x86_head *h);

#endif
