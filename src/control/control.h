/* The debugger layer: logical breakpoints, the run loop, stepping, finish, signal policy.
 *
 * Nothing here prints. Every operation returns data (a cd_stop, a cd_bp, a cd_resolved with an
 * optional note) that src/commands renders as text or JSON. One cd_ctl per target, created by whoever
 * opens the target (the session) and freed before the target closes; there is no global state.
 *
 * How to extend (for the helpers building on this layer):
 *   - Breakpoint commands (enable/disable/delete/ignore/on): cd_ctl_bp_find, cd_ctl_bp_enable,
 *     cd_ctl_bp_delete, and the cd_bp fields (ignore, cmds). The run loop already honours
 *     `enabled` and `ignore`; `cmds` is kept for the commands layer, which runs them after a stop.
 *   - Pending breakpoints (r_debug): a spec that resolves nowhere can be created with
 *     cd_ctl_break_flags(..., CD_BPF_PENDING_OK) and has `pending` set; cd_ctl_reresolve() resolves
 *     every pending spec again and plants what it found. The rendezvous breakpoint (solib.c,
 *     purpose CD_BPP_SOLIB) is planted when a breakpoint is pending or has a location in a
 *     library; the run loop handles its hits itself (refresh the modules, re-resolve, take out and
 *     put back locations around a dlclose) and records what changed in stop.bpnotes.
 *   - Watchpoints: the run loop returns CD_EV_WATCH events as CD_STOP_WATCHPOINT with the event
 *     (ev.slots); old/new values belong to the watch code, which keeps its slots and decides.
 *   - Signals: cd_ctl_sigpolicy()/cd_ctl_set_sigpolicy() are the `handle` table (gdb's defaults);
 *     the run loop stops, passes or drops each signal by it. `signal SIG`: set the thread's
 *     pending_sig and continue (a nopass policy is applied to a signal stop's own signal only).
 *   - fork/exec/threads: set t->event_mask; the run loop returns CD_STOP_FORK/EXEC/CLONE... stops
 *     with the event in stop.ev, and the caller decides (cd_ctl_rebind after an exec).
 * Thread-safety: a cd_ctl belongs to one thread; only cd_target_interrupt() may come from another
 * (a signal handler, a DAP pause). */
#ifndef CD_CONTROL_H
#define CD_CONTROL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr/expr.h"
#include "symbols/symbols.h"
#include "target/target.h"
#include "unwind/unwind.h"
#include "util/util.h"

typedef struct cd_ctl cd_ctl;

/* ---- breakpoints ---- */

typedef enum {
    CD_BPK_USER = 0,  /* break */
    CD_BPK_TEMP,      /* tbreak: deleted when it first stops the program */
    CD_BPK_INTERNAL,  /* the layer's own: step-resume, finish, until/advance, rendezvous; never listed */
    CD_BPK_WATCH,     /* watch: a hardware watchpoint (control/watch.h); stops when the value changes */
    CD_BPK_RWATCH,    /* watch -r / rwatch: stops when the value is read */
    CD_BPK_AWATCH,    /* watch -rw / awatch: stops at any access */
} cd_bp_kind;

/* Why an internal breakpoint exists; the run loop stops for it only in the thread and frame it
 * names (tid, and sp >= min_sp: back in that frame, not a deeper recursive call). */
typedef enum {
    CD_BPP_NONE = 0,
    CD_BPP_STEP_RESUME, /* a step over a call or out of a function resumes here */
    CD_BPP_FINISH,      /* finish/stepout: the return address */
    CD_BPP_UNTIL,       /* until/advance LOCATION, or a frame's return for them */
    CD_BPP_START,       /* `cdbg run`: main past its prologue */
    CD_BPP_OTHER,       /* reported to the caller as is */
    CD_BPP_SOLIB,       /* the dynamic linker's rendezvous (r_debug.r_brk): handled inside the run
                           loop (solib.c), never reported */
    CD_BPP_WATCH_SCOPE, /* the return of the frame a watched local lives in (watch.c): handled by the
                           run loop, which deletes the watchpoint and stops */
} cd_bp_purpose;

typedef struct cd_bploc {
    uint64_t addr;
    bool inserted;       /* this location's int3 is in the code (one byte per address, shared) */
    bool lifted;         /* taken out while the dynamic linker unloads a library (solib.c) */
} cd_bploc;

typedef struct cd_bp {
    int id;              /* user and temporary: 1, 2, ...; internal: negative */
    cd_bp_kind kind;
    cd_bp_purpose purpose; /* internal only */
    char *spec;          /* as the user wrote it ("take_second", "kinds.c:35", "*0x401000") */
    bool enabled;
    char *cond;          /* C expression evaluated in the hitting thread's frame 0, or NULL */
    char hit_op[3];      /* hit-count condition ("" none, "==", ">=", "%" ...) and its operand */
    unsigned long hit_val;
    unsigned long ignore; /* hits (condition true) still to pass over without stopping */
    unsigned long hits;  /* hits whose condition held */
    char **cmds;         /* `on N CMD`: command lines the commands layer runs at each stop */
    size_t ncmds;
    cd_bploc *locs;
    size_t nlocs;
    bool pending;        /* the spec resolved nowhere yet (a library not loaded) */
    pid_t tid;           /* internal: only this thread (0 any) */
    uint64_t min_sp;     /* internal: only when rsp >= min_sp (0 any) */
    struct cd_watch *watch; /* watchpoint kinds: what is watched (control/watch.h) */
    /* A tracepoint (the prompt's `trace`): a user breakpoint that never stops the program; at
     * each hit whose conditions hold the run loop calls the trace hook (cd_ctl_set_trace_fn) and
     * resumes. texprs: the expressions it records (the commands layer's). */
    bool trace;
    char **texprs;
    size_t ntexprs;
} cd_bp;

/* What a location spec resolved to. */
typedef struct cd_resolved {
    uint64_t *addrs;
    size_t n;
    char *note;          /* a warning for the user ("line 7 of x.c has no code: using line 8"), or NULL */
} cd_resolved;
void cd_resolved_free(cd_resolved *r);

/* Resolves SPEC: FUNC (past its prologue; every function of that name, and its inlined copies),
 * FILE:LINE, LINE, +N / -N (relative to the selected frame's line), FILE:FUNC, *EXPR (a C
 * expression evaluated in SEL), or "" (SEL's pc). SEL is the user's selected thread and frame (may
 * have no frame). WHO prefixes error messages ("break"). */
int cd_ctl_resolve(cd_ctl *c, const cd_scope *sel, const char *who, const char *spec, cd_resolved *out, cd_err *err);

/* Checks a condition's syntax without evaluating it. */
int cd_ctl_check_cond(cd_ctl *c, const cd_scope *sel, const char *who, const char *cond, cd_err *err);

/* Creates a breakpoint of KIND on SPEC (resolved through cd_ctl_resolve), inserted at once.
 * *note gets the resolver's note (caller frees), or NULL. */
cd_bp *cd_ctl_break(cd_ctl *c, const cd_scope *sel, const char *who, const char *spec, cd_bp_kind kind,
                    const char *cond, char **note, cd_err *err);
/* cd_ctl_break with flags. CD_BPF_PENDING_OK: a FUNC, FILE:LINE or FILE:FUNC spec that resolves
 * nowhere yet is kept pending (no location, `pending` set) and resolved when a library loads, if
 * the program has a dynamic linker to watch; otherwise the resolver's error stands. */
#define CD_BPF_PENDING_OK 1u
cd_bp *cd_ctl_break_flags(cd_ctl *c, const cd_scope *sel, const char *who, const char *spec, cd_bp_kind kind,
                          const char *cond, unsigned flags, char **note, cd_err *err);
/* Whether spec, found nowhere now, could be kept pending (CD_BPF_PENDING_OK would keep it): a
 * FUNC, FILE:LINE or FILE:FUNC, in a program that runs (not a core). */
bool cd_ctl_bp_pendable(cd_ctl *c, const char *spec);
/* An internal breakpoint at addresses (no spec resolution), inserted at once. */
cd_bp *cd_ctl_internal_add(cd_ctl *c, cd_bp_purpose purpose, const uint64_t *addrs, size_t n, pid_t tid,
                           uint64_t min_sp, cd_err *err);
/* Removes a breakpoint (its int3s where no other breakpoint shares them) and frees it. -1 with err
 * when an int3 could not be removed (the breakpoint is deleted anyway). */
int cd_ctl_bp_delete(cd_ctl *c, cd_bp *b, cd_err *err);
int cd_ctl_bp_enable(cd_ctl *c, cd_bp *b, bool on, cd_err *err);
cd_bp *cd_ctl_bp_find(cd_ctl *c, int id);
/* Gives breakpoint B the number ID (a breakpoint set again in a restarted program keeps the number
 * the user knows); later breakpoints are numbered above every number given. */
void cd_ctl_bp_renumber(cd_ctl *c, cd_bp *b, int id);
/* The user's breakpoints (user and temporary kinds), in creation order. */
size_t cd_ctl_bps(cd_ctl *c, cd_bp ***out);
/* Resolves every pending breakpoint again and inserts what resolves; the number that did. */
int cd_ctl_reresolve(cd_ctl *c, cd_err *err);

/* ---- signal policy (gdb's `handle`) ---- */

/* Signals are Linux's numbers, 1 to CD_SIG_MAX (32 and up: the real-time ones). */
#define CD_SIG_MAX 64
typedef struct cd_sigpolicy {
    bool stop, print, pass;
} cd_sigpolicy;
cd_sigpolicy cd_ctl_sigpolicy(const cd_ctl *c, int sig);
void cd_ctl_set_sigpolicy(cd_ctl *c, int sig, cd_sigpolicy p);
/* gdb's default for SIG: stop print pass, except SIGINT/SIGTRAP (stop print nopass) and the
 * signals programs use for their own business (SIGALRM, SIGCHLD, SIGIO, SIGURG, SIGVTALRM,
 * SIGPROF, SIGWINCH, glibc's 32 and 33: nostop noprint pass). */
cd_sigpolicy cd_sig_default_policy(int sig);
/* `signal SIG`: held thread TH resumes with SIG (0: none) at the next resume, whatever it stopped
 * with and whatever that signal's `pass` says. */
int cd_ctl_signal(cd_ctl *c, cd_thread *th, int sig, cd_err *err);
/* Report thread creation and exit as notes on the next stop (sets t->event_mask's
 * CD_EVM_THREADS; off: the backend handles them silently). */
void cd_ctl_set_thread_events(cd_ctl *c, bool on);

/* Names: "SIGSEGV", "SIG34" (buf: room for a number); gdb's descriptions ("Segmentation fault",
 * "Arithmetic exception", "Real-time event 34"). */
const char *cd_sig_name(int sig, char buf[16]);
const char *cd_sig_description(int sig);
/* SIGUSR1, sigusr1, USR1, 10, SIG34, SIGPOLL...: 0 and *sig, or -1 for no such signal. */
int cd_sig_parse(const char *s, int *sig);
/* si_code's name and meaning ("SEGV_MAPERR", "address not mapped to object"), or NULL. */
const char *cd_sig_code_name(int sig, int code, const char **what);
/* The CPU raised SIG (SIGSEGV, SIGBUS, SIGILL, SIGFPE with a fault code): si_addr is the fault
 * address. */
bool cd_sig_is_fault(int sig, int code);

/* ---- stops ---- */

typedef enum {
    CD_STOP_NONE = 0,
    CD_STOP_BREAKPOINT,  /* a user breakpoint whose conditions held (bp_id, hits) */
    CD_STOP_TRAP,        /* an int3 that is not ours (the program's own) */
    CD_STOP_STEP,        /* a step/next/stepi/nexti/until ended normally */
    CD_STOP_LOCATION,    /* until/advance LOCATION reached */
    CD_STOP_FINISHED,    /* finish/stepout: the frame returned */
    CD_STOP_SIGNAL,      /* a signal whose policy is `stop` */
    CD_STOP_EXITED,      /* status */
    CD_STOP_KILLED,      /* sig */
    CD_STOP_INTERRUPTED, /* ^C or a pause */
    CD_STOP_WATCHPOINT,  /* a hardware watchpoint fired (ev.slots) */
    CD_STOP_EXEC,
    CD_STOP_FORK,        /* fork/vfork/clone/thread exit events, when t->event_mask asks for them */
    CD_STOP_INTERNAL,    /* an internal breakpoint of purpose CD_BPP_OTHER (bp_id) */
} cd_stop_reason;

/* A user breakpoint whose locations changed because a library was loaded or unloaded while the
 * program ran (solib.c): resolved (it was pending, now it has locations) or pending again (its
 * library went away). */
typedef struct cd_bpnote {
    int bp_id;
    bool resolved;
} cd_bpnote;

/* Something that happened while the program ran without stopping it, for the user to read before
 * the stop report: a signal with policy nostop print (passed on, or discarded by nopass), or a
 * thread created or exited (cd_ctl_set_thread_events). */
typedef enum { CD_NOTE_SIGNAL = 0, CD_NOTE_THREAD_NEW, CD_NOTE_THREAD_EXIT } cd_note_kind;
typedef struct cd_signote {
    pid_t tid;
    int sig;             /* SIGNAL */
    cd_note_kind kind;
    bool passed;         /* SIGNAL: delivered to the program (policy pass) */
} cd_signote;

typedef struct cd_stop {
    cd_stop_reason reason;
    cd_event ev;         /* the target event behind it */
    pid_t tid;           /* the thread it concerns (the hitting / stepping / signalled one) */
    uint64_t pc;
    int bp_id;           /* BREAKPOINT (still valid after a temporary breakpoint is deleted) */
    unsigned long hits;
    bool bp_temp;        /* it was a temporary breakpoint, now deleted */
    char **bp_cmds;      /* bp_temp: the deleted breakpoint's `on` commands, for the commands layer to
                            run at this stop as gdb does (the breakpoint itself is gone) */
    size_t nbp_cmds;
    char *cond_error;    /* a condition that could not be evaluated stopped the program here */
    int sig;             /* SIGNAL, KILLED */
    bool has_si;
    siginfo_t si;
    int status;          /* EXITED */
    cd_signote *notes;   /* signals passed without stopping (policy print) */
    size_t nnotes;
    cd_bpnote *bpnotes;  /* breakpoints resolved or made pending again on the way (solib.c) */
    size_t nbpnotes;
    /* FINISHED: what returned. The value lives in `ar` with types from the session's vstate. */
    char *func;          /* the function (or inlined call) finished */
    bool inlined;        /* an inlined call: it has no return value */
    bool has_rettype;    /* the DWARF says what it returns (false: unknown) */
    bool is_void;
    bool has_value;
    struct cd_value *value; /* in ar */
    char *value_error;   /* why the value is not shown */
    cd_arena *ar;
    bool step_no_line;   /* a step ended in code without line info (stepi into a library) */
    bool frame_changed;  /* a step ended in another function or frame than it began in */
    struct cd_watchhit *watch; /* WATCHPOINT: the watchpoints that fired or went out of scope */
    size_t nwatch;
    int inline_skip;     /* the innermost N logical frames at pc are inlined calls that start right
                            here: shown as their call site, as gdb does, until `step` enters them */
} cd_stop;
void cd_stop_free(cd_stop *s);
/* Notes, before a stop is shown, the exit of every thread the backend found gone while it stopped
 * the program (a thread that ended just before the stop: its own exit event would come only at the
 * next resume, after the stop report it preceded); that event is then not noted again. */
void cd_ctl_note_gone_threads(cd_ctl *c, cd_stop *stop);
/* Hands each note (cd_signote) to FN as it happens, from inside the run loop, instead of keeping
 * it for the stop (stop.notes stays empty): the user reads of a thread or a passed signal while the
 * program runs on. FN must not touch the target. NULL: back to stop.notes. */
void cd_ctl_set_note_fn(cd_ctl *c, void (*fn)(void *arg, const cd_signote *n), void *arg);

/* The trace hook: called from inside the run loop at each hit of a tracepoint (cd_bp.trace) whose
 * conditions held, with the hitting thread held (its registers and memory readable, nothing
 * resumed); the loop then goes on as if nothing stopped. FN must not run the target. */
void cd_ctl_set_trace_fn(cd_ctl *c, void (*fn)(void *arg, cd_bp *b, cd_thread *th), void *arg);

/* ---- the layer ---- */

/* VS is the value state conditions and return values are evaluated with (the session's). */
cd_ctl *cd_ctl_new(cd_target *t, cd_symtab *sym, cd_unwinder *unw, cd_vstate *vs);
/* Frees the layer's bookkeeping; the int3s stay (the target's close takes them out). */
void cd_ctl_free(cd_ctl *c);
cd_target *cd_ctl_target(cd_ctl *c);

/* Resumes every thread until something the user must see (a breakpoint whose conditions hold, a
 * signal with policy stop, ^C, the end of the process...). 0 with *stop filled, or -1 (err). */
int cd_ctl_continue(cd_ctl *c, cd_stop *stop, cd_err *err);

/* finish/stepout: runs until frame LEVEL of SEL's thread (SEL's frames) returns. An inlined frame
 * runs to the end of its inlined range (no value). */
int cd_ctl_finish(cd_ctl *c, const cd_scope *sel, int level, cd_stop *stop, cd_err *err);
/* Where a function's return value is, right after its `ret` (SysV x86-64): the registers, NULL
 * where not recorded (a tracepoint's record). */
typedef struct cd_ret_regs {
    uint64_t rax, rdx;
    const uint8_t *xmm0, *xmm1; /* 16 bytes each */
    const uint8_t *st0;         /* the 10 bytes of x87 st(0): long double */
} cd_ret_regs;
/* The value of return type TYPE in RR. A struct returned in memory is V_MEM at rax (the caller's
 * buffer). A part in a register that was not recorded fails with CD_EK_UNSUPPORTED ("it is
 * returned in xmm0, which was not recorded"). */
int cd_ctl_return_value(cd_ectx *x, cd_type *type, const cd_ret_regs *rr, struct cd_value *out, cd_err *err);
/* What cd_ctl_finish would refuse before running anything (a core, the outermost frame...). */
int cd_ctl_finish_check(cd_ctl *c, const cd_scope *sel, int level, cd_err *err);

typedef enum {
    CD_STEP_LINE_INTO, /* step */
    CD_STEP_LINE_OVER, /* next */
    CD_STEP_INSN_INTO, /* stepi */
    CD_STEP_INSN_OVER, /* nexti */
    CD_STEP_UNTIL,     /* until (no argument): next, but never backwards in a loop */
} cd_step_kind;
/* Steps thread TH COUNT times. Stops earlier at a user breakpoint, a signal, the exit... */
int cd_ctl_step(cd_ctl *c, cd_thread *th, cd_step_kind kind, int count, cd_stop *stop, cd_err *err);
/* until LOCATION / advance LOCATION: runs until one of ADDRS is reached, or the current frame of TH
 * returns. SAME_FRAME (until): ADDRS count only in TH's current frame or an outer one (not in a
 * deeper recursive call); advance takes them in any frame. */
int cd_ctl_run_to(cd_ctl *c, cd_thread *th, const uint64_t *addrs, size_t n, bool same_frame, cd_stop *stop,
                  cd_err *err);

/* `cdbg run`: from the exec stop to main past its prologue, as gdb's `start` (the entry point
 * without `main`). *where: "main", "entry" or "exec" (neither found: nothing ran). 0 with
 * *stop filled (EXITED/KILLED when the program ended first), or -1. */
int cd_ctl_start(cd_ctl *c, cd_stop *stop, const char **where, cd_err *err);

/* ---- function calls in the target (infcall.c) ---- */

/* Calls the function at FN in held thread TH as the SysV x86-64 ABI says (gdb's `call f(3, x)`),
 * running only TH (single-stepped: every other thread stays held) until it returns, then puts
 * every register of TH back. ARGS are already of the parameters' types (cd_scope.call's contract:
 * an array not in memory is a string literal, copied into the target's stack below the red zone
 * and passed by address). RET: the return type (NULL: void; OUT is then a void value). OUT's
 * bytes live in x->ar. When TH stops first (a user breakpoint in the callee, a signal, a ^C), the
 * call is abandoned, the registers restored, and the error says what happened; the signal is not
 * delivered. A core or a program not running: CD_EK_UNSUPPORTED. */
int cd_ctl_call(cd_ctl *c, cd_thread *th, cd_ectx *x, uint64_t fn, cd_type *ret, struct cd_value *args, int nargs,
                struct cd_value *out, cd_err *err);

/* Copies of the per-target objects, for the commands layer. */
cd_symtab *cd_ctl_symtab(cd_ctl *c);

/* ---- fork and exec (inferior.c) ----
 * A forked process kept under the debugger is an inferior of its own: a target, its symbols, its
 * unwinder and its layer. The session keeps them (the current one and the others, held); this layer
 * makes them, and closes them on request. */

typedef struct cd_forkpolicy {
    bool follow_child;   /* gdb's follow-fork-mode child: the run stops and the child is followed */
    bool detach;         /* gdb's detach-on-fork: the process not followed is let go */
} cd_forkpolicy;
/* Sets the policy the run loop applies at each fork (and asks the target for fork events). */
void cd_ctl_set_fork_policy(cd_ctl *c, cd_forkpolicy p);
cd_forkpolicy cd_ctl_fork_policy(const cd_ctl *c);

typedef struct cd_inferior {
    int num;             /* the user's number (`inferior N`), given by whoever keeps it; 0 none yet */
    cd_target *t;
    cd_symtab *sym;
    cd_unwinder *unw;
    cd_ctl *ctl;
    pid_t vfork_child;   /* a vfork parent held while its child (sharing its memory) runs: released
                            when that child execs or exits, never before (its int3s are the child's) */
} cd_inferior;
/* Leaves the inferior's process as cdbg found it (its target's close) and frees everything. */
void cd_inferior_close(cd_inferior *inf);

/* What the run loop did at a fork. */
typedef enum {
    CD_FORK_DETACHED,    /* the child was let go (our int3s out of its memory, detached) */
    CD_FORK_KEPT,        /* the child is held as a new inferior (detach-on-fork off) */
    CD_FORK_FOLLOW,      /* follow-fork child: the run stopped (CD_STOP_FORK); the child is `inf` */
} cd_fork_fate;
typedef struct cd_forked {
    pid_t parent, child;
    bool vfork;
    cd_fork_fate fate;
    cd_inferior *inf;    /* KEPT, FOLLOW: the child (the caller owns it once taken) */
} cd_forked;
/* The forks seen since the last call, oldest first; the caller frees the array and owns the
 * inferiors in it. Untaken inferiors are closed by cd_ctl_free. */
size_t cd_ctl_take_forks(cd_ctl *c, cd_forked **out);

/* After a CD_STOP_EXEC: the layer's symbols and unwinder become SYM and UNW (the new image's; the
 * caller frees the old ones), and every user breakpoint is resolved again by its spec in the new
 * program (one that resolves nowhere becomes pending). Returns how many are pending. */
int cd_ctl_rebind(cd_ctl *c, cd_symtab *sym, cd_unwinder *unw);

#endif
