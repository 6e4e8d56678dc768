/* The tracepoint backend contract: what the trace core (src/trace/trace.c: patterns, locations,
 * argument and expression evaluation, --if, output) asks of a mechanism that records hits, and
 * what a mechanism hands back. Three implement it: inline.c (a jump into a trampoline injected in
 * the process, records in a shared ring), uprobe.c (perf_event_open's uprobe PMU) and ptrace.c
 * (int3, the hitting thread alone stopped, no single-step).
 *
 * Division of labour. A backend only RECORDS: registers, a copy of the stack top, a timestamp,
 * the thread. It never evaluates DWARF, formats or prints. The core turns each record into an
 * event with a snapshot target (target.h cd_snapshot_*): the record's registers and stack copy
 * over the live process, so arguments, `-e` expressions and `--if` are evaluated by the same code
 * as `print`. Memory a record does not copy (the reads a backend does not take, cd_probe.reads)
 * is read when the core handles the record (after the hit): the race is documented in
 * docs/tracing.md.
 *
 * Lifetime: new → add (once per probe, target may be running) → arm → poll ... → disarm → free.
 * disarm leaves the program running, unpatched and (unless the core still needs it) untraced;
 * free never touches the program. emergency is the async-signal-safe subset of disarm for
 * cdbg's fatal-signal path. A backend holds no global state: two sessions may trace two
 * processes in one cdbg. */
#ifndef CD_TRACE_BACKEND_H
#define CD_TRACE_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "symbols/symbols.h"
#include "target/target.h"
#include "util/util.h"

typedef enum {
    CD_TB_AUTO = 0, /* the core's choice: inline, then uprobe, then ptrace, per probe */
    CD_TB_INLINE,
    CD_TB_UPROBE,
    CD_TB_PTRACE,
} cd_tb_kind;

/* One location to record, resolved by the core. */
typedef struct cd_probe {
    uint32_t id;             /* the core's probe number: every record carries it */
    uint64_t addr;           /* runtime address of the probed instruction */
    uint64_t func_lo, func_hi; /* the enclosing function's runtime bounds ([lo, hi)); 0 when unknown
                                  (an ELF symbol without size): inline then refuses */
    bool at_entry;           /* addr is the function's first instruction (past endbr64 counts) */
    const char *func;        /* for messages: "work", "libc.so.6:malloc" */
    const char *module_path; /* the file the code was mapped from (uprobe: path + file_offset) */
    uint64_t file_offset;    /* addr's offset in module_path */
    bool want_return;        /* --ret: a CD_REC_RETURN record at each return of this call */
    bool may_unwind;         /* a C++ exception can unwind through this call: the process has the
                                unwinder (_Unwind_RaiseException) and the function calls or jumps
                                out of itself. A return hijacked to code without an FDE (a
                                uretprobe's trampoline) makes the unwinder call std::terminate */
    uint32_t stack_bytes;    /* bytes to copy from sp at the hit (arguments on the stack, locals
                                the expressions need); a backend may copy more, never less (up to
                                CD_TRACE_MAX_STACK) */
    /* What the core reads of an entry record, from its compiled plan: when regs_only, nothing but
     * the thread, the time and the general registers in reg_mask (bit N: DWARF register N, 0..16;
     * no floating-point registers, no stack copy). A backend may then record only those (the
     * inline backend's compact records: 32 bytes for one register instead of ~320). */
    bool regs_only;
    uint32_t reg_mask;
    /* The core reads neither the floating-point registers nor the flags of this probe's records
     * (lockorder): a backend may leave them out (has_fp false, regs.eflags not the program's) and,
     * at a function's entry, need not keep the flags (dead there by the ABI). */
    bool lean;
    /* Memory the `-e` expressions read, to copy at the hit (compiled by the core, trace.c): chains
     * of steps. A step with reg >= 0 starts a chain at DWARF register reg's value at the hit, one
     * with reg -2 at 0 (off is an address: a global's); one with reg -1 continues from the 8-byte
     * pointer the previous step loaded. Each step copies
     * len bytes at base + off; a `load` step's 8 bytes are the next step's base. A step that cannot
     * be read (NULL, unmapped) ends its chain: the rest of it is not read. A backend that copies
     * them hands each step back as a window (cd_trace_rec.win, in this order). */
    const struct cd_probe_read *reads;
    uint32_t nreads;
    /* The same, run at the probed call's return (want_return) on the return's registers (a
     * returned char pointer's string): handed back in the return record's win. */
    const struct cd_probe_read *ret_reads;
    uint32_t nret_reads;
} cd_probe;

typedef struct cd_probe_read {
    int8_t reg;
    bool load;
    uint32_t len;
    int64_t off;
} cd_probe_read;
#define CD_TRACE_READ_MAX 256u    /* bytes one -e copies at most */
#define CD_TRACE_READS_MAX 1024u  /* bytes of copies in one record at most */

#define CD_TRACE_MAX_STACK 4096u

typedef enum {
    CD_REC_ENTRY = 1,        /* the probe's instruction was about to run */
    CD_REC_RETURN,           /* the probed call returned: regs.rax/rdx/rsp/rip valid (rip = return
                                address), xmm0 for float returns when has_fp */
    CD_REC_DROPPED,          /* `dropped` records of probe `probe` (or of any probe: UINT32_MAX) were
                                lost here, in this thread when tid != 0 */
} cd_rec_kind;

typedef enum {
    CD_DROP_RING = 0,        /* records: the buffer was full */
    CD_DROP_RETURNS,         /* returns that will never come (--ret, inline): a longjmp out of the
                                calls, or no room left to hijack their return */
    CD_DROP_RUNNING,         /* not a loss: calls still running when the probes came out (--ret,
                                inline), whose returns come after the trace */
} cd_drop_why;

/* One hit. Valid only during the sink call: copy what you keep. */
typedef struct cd_trace_rec {
    cd_rec_kind kind;
    uint32_t probe;
    pid_t tid;               /* the hitting thread (the kernel's TID, as /proc shows it) */
    uint64_t ts_ns;          /* CLOCK_MONOTONIC at the hit */
    cd_regs regs;            /* every general register at the hit (entry), see CD_REC_RETURN */
    bool has_fp;
    uint64_t xmm[8][2];      /* xmm0..7 when has_fp: float arguments and returns */
    uint64_t stack_addr;     /* the copy: [stack_addr, stack_addr + stack_len), normally regs.rsp */
    const void *stack;
    uint32_t stack_len;
    bool partial;            /* only the probe's reg_mask registers (and rip) are valid: a compact
                                record of a regs_only probe */
    uint64_t dropped;        /* CD_REC_DROPPED: how many */
    cd_drop_why why;         /* CD_REC_DROPPED: what was lost */
    /* ENTRY of a probe with reads, when the backend copied them at the hit: one window per read
     * step (got 0: not read, or its chain failed before it). NULL otherwise. */
    const cd_snapshot_window *win;
    uint32_t nwin;
} cd_trace_rec;

/* The core's consumer. Returns 0 to go on, 1 to stop delivering (--max-hits reached), -1 on error. */
typedef int (*cd_trace_sink)(void *arg, const cd_trace_rec *rec);

/* What a backend is given. The target is the core's: a live target that can run when the program
 * is traced through ptrace (attached or launched); the backend may stop and resume threads on it
 * (inline: briefly, to patch) but never closes it. */
typedef struct cd_trace_env {
    cd_target *t;
    cd_symtab *sym;
    pid_t pid;
    size_t buffer_size;      /* --buffer-size in bytes (0: the backend's default) */
    bool batch;              /* inline: poll waits (up to its timeout) until half the ring is filled,
                                then drains: the reader keeps off the CPUs of a program that records
                                fast (lockorder; its threads are not preempted holding their locks) */
} cd_trace_env;

typedef struct cd_trace_backend cd_trace_backend;

typedef struct cd_trace_backend_ops {
    const char *name;        /* "inline", "uprobe", "ptrace" */
    /* Says whether this backend can take probe p, without changing anything: 0, or -1 with a one-
     * line reason in err ("inline: a jump at work+0x12 lands inside the 5 patched bytes"). */
    int (*check)(cd_trace_backend *b, const cd_probe *p, cd_err *err);
    /* Prepares p (installed at arm). */
    int (*add)(cd_trace_backend *b, const cd_probe *p, cd_err *err);
    /* Installs every added probe; the program runs on (or is resumed) afterwards. */
    int (*arm)(cd_trace_backend *b, cd_err *err);
    /* Hands every record available to sink, waiting up to timeout_ms (-1: until one comes, or the
     * process ends) for the first. Returns the number delivered (0: timeout), or -1. When the
     * process has ended, returns what is left and then -1 with err.kind CD_EK_EXITED. Records of
     * one thread come in the order that thread made them. */
    int (*poll)(cd_trace_backend *b, int timeout_ms, cd_trace_sink sink, void *arg, cd_err *err);
    /* Removes every probe and delivers what is still buffered (through poll afterwards). The
     * program keeps running. */
    int (*disarm)(cd_trace_backend *b, cd_err *err);
    /* Counts for the summary, for probe id: every hit so far (recorded or lost), and how many of
     * them were lost (full buffers). */
    void (*counts)(cd_trace_backend *b, uint32_t id, uint64_t *hits, uint64_t *dropped);
    /* Async-signal-safe: take the probes out (or leave them harmless) from a fatal-signal handler. */
    void (*emergency)(cd_trace_backend *b);
    void (*free)(cd_trace_backend *b);
    /* After arm: NULL when the probes' reads (cd_probe.reads) are copied at the hit, else why not
     * ("the process runs under a seccomp filter"); a backend without it copies nothing. */
    const char *(*reads_refused)(cd_trace_backend *b);
} cd_trace_backend_ops;

struct cd_trace_backend {
    const cd_trace_backend_ops *ops;
    cd_trace_env env;
    void *priv;
};

/* Constructors: one line in err when the backend cannot work here (no uprobe PMU, no ptrace). */
cd_trace_backend *cd_tb_inline_new(const cd_trace_env *env, cd_err *err);
cd_trace_backend *cd_tb_uprobe_new(const cd_trace_env *env, cd_err *err);
cd_trace_backend *cd_tb_ptrace_new(const cd_trace_env *env, cd_err *err);

#endif
