/* src/control's private parts: the cd_ctl object and the helpers its files share. */
#ifndef CD_CONTROL_INT_H
#define CD_CONTROL_INT_H

#include <signal.h>

#include "arch/arch.h"
#include "control/control.h"
#include "expr/expr_int.h"

#define CD_NSIG 65

struct cd_ctl {
    cd_target *t;
    cd_symtab *sym;
    cd_unwinder *unw;
    cd_vstate *vs;
    cd_bp **bps;          /* user, temporary and internal breakpoints; pointers stay valid */
    size_t nbps;
    int next_id;          /* last user id given */
    int next_internal;    /* last internal id given (counts down) */
    cd_sigpolicy sig[CD_NSIG];
    cd_x86 *x86;          /* created on first use (stepping) */
    pid_t skip_tid;       /* after a step: inlined calls entered at skip_pc not shown yet (gdb's */
    uint64_t skip_pc;     /* inline_skipped_frames): the next `step` of skip_tid enters one */
    int skip_n;
    pid_t sig_tid;        /* the last stop was signal sig_sig in sig_tid: its `pass` is applied at resume */
    int sig_sig;
};

/* bp.c */
cd_bp *ctl_bp_at(cd_ctl *c, uint64_t addr, cd_bp *after);
bool ctl_addr_inserted(cd_ctl *c, uint64_t addr, const cd_bploc *except);
/* Deletes internal breakpoint B, ignoring errors (a process that is gone). */
void ctl_internal_drop(cd_ctl *c, cd_bp *b);

/* step.c: at a stop of tid at pc, how many inlined calls that start at pc are shown as their call
 * site (gdb's skip_inline_frames): all, except down to the one a breakpoint (its spec) names. The
 * next `step` of tid enters them one by one. */
int ctl_stop_inline_skip(cd_ctl *c, pid_t tid, uint64_t pc, const char *bp_spec);

/* run.c */
/* Resumes every thread and waits until a stop for the user or an internal breakpoint that
 * matches (reason CD_STOP_INTERNAL, bp_id its id). stop is filled (not reset). */
int ctl_run(cd_ctl *c, cd_stop *stop, cd_err *err);
/* Runs until internal breakpoint b is hit (*hit) or something the user must see stops first. */
int ctl_run_to_internal(cd_ctl *c, cd_bp *b, cd_stop *stop, bool *hit, cd_err *err);
/* finish from an inlined frame (step.c): steps until the pc leaves the inlined call. */
int ctl_step_out_inline(cd_ctl *c, cd_thread *th, const cd_scope *sel, int level, cd_stop *stop, cd_err *err);
/* Applies the signal policy's `pass` to the last signal stop before anything resumes. */
void ctl_apply_pass(cd_ctl *c);
/* Turns a target event into a stop for the user; false when the run should go on (a signal with
 * policy nostop). */
bool ctl_event_stop(cd_ctl *c, const cd_event *ev, cd_stop *stop);
/* Evaluates a condition in thread th's innermost frame: 1 true, 0 false, -1 error (err). */
int ctl_eval_cond(cd_ctl *c, cd_thread *th, const char *cond, cd_err *err);
/* Fills stop for a user breakpoint hit by th: conditions, ignore count, hit count. Returns true
 * when the program must stop. */
bool ctl_user_hit(cd_ctl *c, cd_thread *th, uint64_t addr, cd_stop *stop);
/* The registers of thread tid. */
int ctl_regs(cd_ctl *c, pid_t tid, cd_regs *r, cd_err *err);

#endif
