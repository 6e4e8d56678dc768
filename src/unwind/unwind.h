/* One unwinding API over every target backend.
 *
 * The implementation walks DWARF CFI (libdwfl's unwinder driven by our own Dwfl_Thread_Callbacks
 * that read registers and memory through cd_target, with a per-stop page cache), so live processes
 * and cores share one code path. Each physical frame is expanded into logical frames with inline
 * scopes (cd_symtab_lookup), as gdb shows them. See docs/design.md for why and for measurements. */
#ifndef CD_UNWIND_H
#define CD_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "symbols/symbols.h"
#include "target/target.h"

/* DWARF x86-64 register numbers 0..16: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
#define CD_NDWREGS 17

/* A frame that cdbg's own patched code touched (src/unwind/patched.c, docs/design.md "code
 * patching"): shown as the unpatched program's. */
enum {
    CD_FRAME_TRAMPOLINE = 1, /* the pc was in a fast breakpoint stub or an inline trampoline: the frame
                              * is the program's instruction it stands for ([in cdbg's trampoline]) */
    CD_FRAME_RETURN = 2,     /* its return address was --ret's trampoline: the real one, from the
                              * thread's shadow stack */
};

typedef struct cd_frame {
    int level;               /* logical frame number shown to the user (#0, #1, ...) */
    int phys;                /* physical frame index; inlined frames share their caller's */
    uint64_t pc;             /* pc of the physical frame (a return address for callers) */
    uint64_t lookup_pc;      /* pc used for symbols/lines: pc, or pc-1 for non-activation frames */
    uint64_t cfa;            /* canonical frame address of the physical frame (0 if unknown) */
    bool signal_frame;       /* this physical frame is a signal handler trampoline caller */
    cd_pcinfo info;          /* copy of the symbolisation for this logical frame */
    uint64_t regs[CD_NDWREGS]; /* the physical frame's registers (DWARF numbering) */
    uint32_t regs_valid;     /* bit i set when regs[i] is known */
    int patched;             /* 0, or CD_FRAME_TRAMPOLINE / CD_FRAME_RETURN */
    /* A function that tail-called the frame below it, rebuilt from DWARF call sites (gdb's "tail
     * call frame", tailcall.c): pc is its tail call site's (after the jump), phys and registers
     * its caller's (cfa and sp its callee's). Not a place execution returns to. */
    bool tailcall;
} cd_frame;

typedef struct cd_stack {
    cd_frame *frames;
    size_t n;
    bool truncated;          /* stopped by max_frames */
    char *error;             /* why unwinding stopped early (NULL if it reached the outermost frame) */
    /* Unwound from partial registers (a sleeping thread's syscall line): the outermost frame's
     * caller could not be found because its CFA rule needs this DWARF register (6: rbp), which
     * no frame below saved ("rbp"); NULL otherwise. error says so. */
    const char *missing_reg;
} cd_stack;

typedef struct cd_unwinder cd_unwinder;

cd_unwinder *cd_unwinder_new(cd_target *t, cd_symtab *s, cd_err *err);
void cd_unwinder_free(cd_unwinder *u);

/* Unwinds a HELD thread (registers must be readable). max_frames 0 = default limit (1024 logical). */
int cd_unwind_thread(cd_unwinder *u, cd_thread *th, int max_frames, cd_stack *out, cd_err *err);

/* Unwinds starting from explicit registers (e.g. a running thread's syscall sp/pc only). */
int cd_unwind_from_regs(cd_unwinder *u, pid_t tid, const uint64_t regs[CD_NDWREGS], uint32_t valid,
                        int max_frames, cd_stack *out, cd_err *err);

void cd_stack_free(cd_stack *st);

/* ---- reading a thread without stopping it ---------------------------------------------------- */

/* The registers the kernel shows for a thread asleep in a system call (its syscall line, from
 * cd_target_syscall_state): sp, the pc after the syscall instruction and the six argument
 * registers, in DWARF numbering. Returns their valid mask. Callee-saved registers are not in it:
 * the unwinder recovers those a frame below saved on the stack, and a frame whose CFA needs one
 * nobody saved (rbp in frame-pointer code) ends the stack with an error saying so. */
uint32_t cd_syscall_regs(const cd_syscall_state *sc, uint64_t regs[CD_NDWREGS]);

/* Unwinds a thread from its syscall line (kind CD_SC_BLOCKED), not stopping it. */
int cd_unwind_syscall(cd_unwinder *u, pid_t tid, const cd_syscall_state *sc, int max_frames, cd_stack *out,
                      cd_err *err);

typedef enum cd_read_kind {
    CD_READ_BLOCKED = 1, /* unwound from its syscall line while it slept: never stopped */
    CD_READ_STOPPED,     /* it was running (or kept moving): stopped alone, unwound, resumed */
    CD_READ_HELD,        /* it was already held by someone else: unwound as it is */
} cd_read_kind;

typedef struct cd_read_info {
    cd_read_kind how;
    int rereads;         /* times it was unwound again because it moved while being unwound */
    cd_syscall_state sc; /* the syscall line it was read from (BLOCKED); the last one seen otherwise */
} cd_read_info;

/* Between a blocked thread's unwinding and the second read of its syscall line (tests make a thread
 * move exactly there); NULL for none. */
typedef void (*cd_read_hook)(pid_t tid, int attempt, void *arg);

/* Unwinds TH with as little disturbance as possible: a thread asleep in a system call is unwound
 * from its syscall line, then the line is read again; if the thread moved meanwhile (another
 * syscall, sp or pc), it is unwound again, up to a few times, then stopped. A thread that runs is
 * stopped alone, unwound and resumed (the target's stopped_ns counts the hold). */
int cd_unwind_unstopped(cd_unwinder *u, cd_thread *th, int max_frames, cd_read_hook hook, void *hook_arg,
                        cd_stack *out, cd_read_info *info, cd_err *err);

/* Drops the unwinder's page cache before the next stop: after cdbg itself wrote the target's
 * memory (a saved register's slot, a variable), so the next unwind reads what is there now. */
void cd_unwinder_flush(cd_unwinder *u);

/* Where the value of DWARF register REGNO (0..16) of physical frame PHYS lives, so that writing
 * there changes what that frame sees when it resumes: frame 0's registers are the thread's; a
 * caller's callee-saved register is either still in the thread's register (no callee saved it) or
 * in the stack slot where the innermost callee that saved it put it (its CFI rule "offset(N)").
 * Derived from the same CFI rules libdwfl unwound with (libdwfl gives only values), frame by frame
 * from frame 0, and checked against the unwound value. FRAMES is the thread's whole stack. */
typedef struct cd_regslot {
    enum { CD_REGSLOT_NONE, CD_REGSLOT_LIVE, CD_REGSLOT_MEM } kind;
    uint64_t addr;           /* MEM: the slot's address */
    int saved_by;            /* MEM: logical level of the frame that saved it */
    char why[160];           /* NONE: why it cannot be written ("frame #1 did not save it") */
} cd_regslot;
void cd_unwind_reg_slot(cd_symtab *s, cd_target *t, cd_thread *th, const cd_frame *frames, size_t nframes,
                        int phys, int regno, cd_regslot *out);

#endif
