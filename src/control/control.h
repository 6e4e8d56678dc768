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
 *     cd_ctl_break(..., CD_BPF_PENDING_OK) and has `pending` set; cd_ctl_reresolve() resolves every
 *     pending spec again (call it when the module list changed) and plants what it found. The
 *     rendezvous breakpoint itself is an internal breakpoint (cd_ctl_internal_add) whose hit the
 *     run loop reports as CD_STOP_INTERNAL with its purpose, so the caller can react and resume.
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
} cd_bp_kind;

/* Why an internal breakpoint exists; the run loop stops for it only in the thread and frame it
 * names (tid, and sp >= min_sp: back in that frame, not a deeper recursive call). */
typedef enum {
    CD_BPP_NONE = 0,
    CD_BPP_STEP_RESUME, /* a step over a call or out of a function resumes here */
    CD_BPP_FINISH,      /* finish/stepout: the return address */
    CD_BPP_UNTIL,       /* until/advance LOCATION, or a frame's return for them */
    CD_BPP_START,       /* `cdbg run`: main past its prologue */
    CD_BPP_OTHER,       /* reported to the caller as is (rendezvous, ...) */
} cd_bp_purpose;

typedef struct cd_bploc {
    uint64_t addr;
    bool inserted;       /* this location's int3 is in the code (one byte per address, shared) */
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

typedef struct cd_sigpolicy {
    bool stop, print, pass;
} cd_sigpolicy;
cd_sigpolicy cd_ctl_sigpolicy(const cd_ctl *c, int sig);
void cd_ctl_set_sigpolicy(cd_ctl *c, int sig, cd_sigpolicy p);

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

/* A signal the run loop passed on without stopping (policy nostop) while printing was asked for. */
typedef struct cd_signote {
    pid_t tid;
    int sig;
} cd_signote;

typedef struct cd_stop {
    cd_stop_reason reason;
    cd_event ev;         /* the target event behind it */
    pid_t tid;           /* the thread it concerns (the hitting / stepping / signalled one) */
    uint64_t pc;
    int bp_id;           /* BREAKPOINT (still valid after a temporary breakpoint is deleted) */
    unsigned long hits;
    bool bp_temp;        /* it was a temporary breakpoint, now deleted */
    char *cond_error;    /* a condition that could not be evaluated stopped the program here */
    int sig;             /* SIGNAL, KILLED */
    bool has_si;
    siginfo_t si;
    int status;          /* EXITED */
    cd_signote *notes;   /* signals passed without stopping (policy print) */
    size_t nnotes;
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
    int inline_skip;     /* the innermost N logical frames at pc are inlined calls that start right
                            here: shown as their call site, as gdb does, until `step` enters them */
} cd_stop;
void cd_stop_free(cd_stop *s);

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

/* Copies of the per-target objects, for the commands layer. */
cd_symtab *cd_ctl_symtab(cd_ctl *c);

#endif
