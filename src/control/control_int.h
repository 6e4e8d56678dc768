/* src/control's private parts: the cd_ctl object and the helpers its files share. */
#ifndef CD_CONTROL_INT_H
#define CD_CONTROL_INT_H

#include <signal.h>

#include "arch/arch.h"
#include "control/control.h"
#include "expr/expr_int.h"

#define CD_NSIG (CD_SIG_MAX + 1)
#define CTL_FAST_MAX 16

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
    int solib_bp;         /* the rendezvous breakpoint's id (solib.c), 0 none */
    uint64_t r_debug;     /* the dynamic linker's struct r_debug, 0 not found yet */
    bool thread_events;   /* thread creation and exit become notes (cd_ctl_set_thread_events) */
    void (*note_fn)(void *arg, const cd_signote *n); /* cd_ctl_set_note_fn */
    void (*trace_fn)(void *arg, cd_bp *b, cd_thread *th); /* cd_ctl_set_trace_fn */
    void *trace_arg;
    void *note_arg;
    /* the threads (the backend's entries, which live as long as the target) whose exit was noted,
     * by its event or early at a stop: each is noted once, whichever comes first and however
     * often the backend reports it. Entries, not tids: a tid used again is another entry. */
    const cd_thread **exits;
    size_t nexits;
    cd_forkpolicy fork;   /* inferior.c: what a fork does */
    cd_forked *forks;     /* forks seen and not yet taken (cd_ctl_take_forks) */
    size_t nforks;
    /* ctl_eval_cond(): the last condition parsed, with the pc it was parsed at (a cast's typedef
     * names depend on the scope), so that a hot conditional breakpoint parses it once */
    /* fastbp.c: breakpoints whose non-stopping hits the target decides while it runs, with the
     * stub's counters as last read (the run loop's books are moved on by the difference) */
    struct ctl_fastbp {
        int bp_id;
        uint64_t addr;
        uint64_t stub;    /* the stub (codepatch.h) the counters are read from */
        uint64_t hits;
        int64_t ignore;
        unsigned long synced; /* the breakpoint's ignore count as the last look left it */
        bool armed;
    } fast[CTL_FAST_MAX];
    size_t nfast;
    struct ctl_condcache {
        char *src;
        uint64_t pc;
        cd_arena ar;
        cd_expr *e;
    } cond_cache;
};

/* bp.c */
cd_bp *ctl_bp_at(cd_ctl *c, uint64_t addr, cd_bp *after);
bool ctl_addr_inserted(cd_ctl *c, uint64_t addr, const cd_bploc *except);
/* Puts B's locations in address order (gdb's N.1, N.2...). */
void ctl_locs_sort(cd_bp *b);
/* Deletes internal breakpoint B, ignoring errors (a process that is gone). */
void ctl_internal_drop(cd_ctl *c, cd_bp *b);
/* One location's int3, in or out (shared addresses counted). */
int ctl_loc_insert(cd_ctl *c, cd_bploc *l, cd_err *err);
int ctl_loc_remove(cd_ctl *c, cd_bploc *l, cd_err *err);

/* solib.c: the dynamic linker's rendezvous */
/* Plants the rendezvous breakpoint unless it is in; -1 (err) when the program has no dynamic
 * linker to watch (static, a core) or its r_debug cannot be found. */
int ctl_solib_arm(cd_ctl *c, cd_err *err);
/* Whether B is the rendezvous breakpoint. */
bool ctl_solib_is(cd_ctl *c, const cd_bp *b);
/* The rendezvous was hit (every thread held): follows the library list and the breakpoints,
 * recording what changed in stop->bpnotes. */
void ctl_solib_event(cd_ctl *c, cd_stop *stop);
/* After an exec: the old image's rendezvous is gone (call before breakpoints are re-resolved). */
void ctl_solib_forget(cd_ctl *c);

/* watch.c (watch.h) */
struct cd_watch;
void ctl_watch_free(struct cd_watch *w);
void ctl_watchhits_free(cd_stop *s);
/* cd_ctl_break of a watchpoint kind (a restart sets the user's watchpoints again through it) */
cd_bp *ctl_watch_break(cd_ctl *c, const cd_scope *sel, const char *spec, cd_bp_kind kind, const char *cond,
                       cd_err *err);
/* Before a watchpoint is deleted: its debug registers and its scope breakpoint go. */
void ctl_watch_release(cd_ctl *c, cd_bp *b);
int ctl_watch_enable(cd_ctl *c, cd_bp *b, bool on, cd_err *err);
/* A CD_EV_WATCH: fills stop and returns true when a watchpoint reports it (a changed value, a
 * read...), false when the program goes on (a write watchpoint's value unchanged). */
bool ctl_watch_event(cd_ctl *c, const cd_event *ev, cd_stop *stop);
/* An int3 event at a watchpoint's scope breakpoint, in its frame: the watchpoints of that frame
 * are deleted and recorded in stop (reason WATCHPOINT, or INTERNAL when another internal
 * breakpoint of that thread and frame is at the same address). false: not that (go on as usual). */
bool ctl_watch_scope_event(cd_ctl *c, const cd_event *ev, cd_stop *stop);
/* After a single step of th: the same when th has left a watched local's frame. */
bool ctl_watch_scope_step(cd_ctl *c, cd_thread *th, cd_stop *stop);
/* exec: the watchpoints lost their debug registers (ctl_watch_exec, at the event); after the new
 * program's symbols are in, those on a local are deleted and the others evaluated again there
 * (ctl_watch_rebind): set again, or disabled when the expression means nothing there. */
void ctl_watch_exec(cd_ctl *c);
void ctl_watch_rebind(cd_ctl *c, const cd_scope *sc);
/* step.c: at a stop of tid at pc, how many inlined calls that start at pc are shown as their call
 * site (gdb's skip_inline_frames): all, except down to the one a breakpoint (its spec) names. The
 * next `step` of tid enters them one by one. */
int ctl_stop_inline_skip(cd_ctl *c, pid_t tid, uint64_t pc, const char *bp_spec);

/* inferior.c */
/* A fork, vfork or vfork-done event: applies the fork policy; true when the run must stop
 * (follow-fork child). */
bool ctl_fork_event(cd_ctl *c, const cd_event *ev);
/* An exec: the old image's int3s are gone with it (the target forgot them). */
void ctl_exec_event(cd_ctl *c);
/* Closes the inferiors of forks nobody took (cd_ctl_free). */
void ctl_forks_free(cd_ctl *c);

/* fastbp.c */
/* Before the program runs (every thread held): the breakpoints that qualify get their jmp. */
void ctl_fast_arm(cd_ctl *c);
/* At a stop: the int3s back, and the hits the stubs passed over added to the breakpoints'
 * counts. Call before looking at any breakpoint hit. */
void ctl_fast_disarm(cd_ctl *c);

/* run.c */
/* Whether b's hit-count condition (`condition -hitcount`) holds for its current hit count. */
bool ctl_hit_cond_ok(const cd_bp *b);
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
/* signals.c */
/* A note for the user (to the note function, or kept in stop->notes). */
void ctl_add_note(cd_ctl *c, cd_stop *stop, cd_signote n);
/* A THREAD_EXIT event for tid: false when cd_ctl_note_gone_threads already noted it. */
bool ctl_exit_unnoted(cd_ctl *c, pid_t tid);
/* Evaluates a condition in thread th's innermost frame: 1 true, 0 false, -1 error (err). */
int ctl_eval_cond(cd_ctl *c, cd_thread *th, const char *cond, cd_err *err);
/* Fills stop for a user breakpoint hit by th: conditions, ignore count, hit count. Returns true
 * when the program must stop. */
bool ctl_user_hit(cd_ctl *c, cd_thread *th, uint64_t addr, cd_stop *stop);
/* The registers of thread tid. */
int ctl_regs(cd_ctl *c, pid_t tid, cd_regs *r, cd_err *err);

#endif
