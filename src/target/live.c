/* The live backend: ptrace (PTRACE_SEIZE semantics throughout) + process_vm_readv + /proc.
 *
 * Every thread is seized with PTRACE_SEIZE, never PTRACE_ATTACH, so that stopping is done with
 * PTRACE_INTERRUPT (no SIGSTOP is ever sent, the target's job-control state is untouched) and new
 * threads arrive already traced (PTRACE_O_TRACECLONE). Launched programs are seized too (the child
 * waits on a pipe until we have seized it), so one set of stop rules covers both.
 *
 * Waiting: we never use waitpid(-1) blindly, because cdbg may have other children whose statuses
 * belong to someone else. wait_any() peeks with waitid(WNOWAIT) and only consumes statuses of our
 * own threads. */
#include "arch/arch.h"
#include "target/bpfsnap.h"
#include "target/codepatch.h"
#include "target/procfs.h"
#include "target/target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/* x86 debug registers through PTRACE_PEEKUSER/POKEUSER */
#define DR_OFF(i) (offsetof(struct user, u_debugreg) + (size_t)(i) * sizeof(unsigned long))
#define DR6_HIT 0xFul                         /* B0..B3: which watchpoint fired */
#define DR7_SLOT(i) ((3ull << (2 * (i))) | (0xFull << (16 + 4 * (i)))) /* L/G enable, R/W and LEN bits */
#define DR7_EN(i) (1ull << (2 * (i)))

typedef struct lthr {
    bool seized;  /* ptrace-attached (held or running) */
    bool expect;  /* a stop is on its way (we interrupted it, or it is a new clone) */
    bool zombie;  /* listed as Z (an exited thread-group leader): never seized or waited for */
    bool bp_pending; /* hit a breakpoint while another event was being reported: report it next */
    bool group_stop; /* held in a job-control stop (SIGSTOP etc.): released with PTRACE_LISTEN */
    bool stuck;   /* interrupted, but did not stop by the deadline (uninterruptible sleep) */
    bool unrep;   /* held in a signal-delivery stop nobody has classified yet (see sweep()) */
    /* th->regs differ from the kernel's (a breakpoint's pc rewound in the cache only): written by
     * flush_regs() before the thread runs or is let go, or merged into the next SETREGS (a
     * breakpoint hit that the emulation steps over costs one SETREGS, not two) */
    bool regs_dirty;
    /* the debug registers as written to this thread; current when dr_gen == live.dr_gen */
    uint64_t dr7, dra[4];
    uint64_t dr_gen;
    uint64_t stat_ns; /* when name and state were last read from /proc (0: never) */
    /* name and state describe this hold (read while held, at stop_gen desc_gen): a thread renames
     * itself and changes state only while it runs */
    bool described;
    bool named_at_seize; /* name read just before the first seize: good for the first hold */
    uint64_t desc_gen;
    /* emergency(): what the kernel says about this thread (the bookkeeping above may be half
     * updated when a fatal signal lands) */
    signed char em_state; /* EM_* */
    int em_sig;           /* signal to pass on at detach */
} lthr;

enum { EM_WAIT = 0, EM_STOPPED, EM_DONE };

typedef struct lbp {
    uint64_t addr;
    unsigned char orig;
    /* the instruction under it, decoded once for step_emulated() (the bytes are the program's
     * and change only through write_mem, which forgets the decoding) */
    bool emu_known;
    cd_x86_emu emu;
} lbp;

/* A fork child still traced by us: one reported with CD_EVM_FORK and not released or adopted yet
 * (held at its first stop), or a vfork child let go, which shares our memory (and our int3s) until
 * it execs or exits: kept traced until then, and stepped over any int3 of ours it runs into. */
typedef struct kid {
    pid_t pid;
    bool vfork;
    bool held;  /* in a ptrace-stop of ours (its first stop, or stopped by close) */
    int sig;    /* close: the signal it stopped with, passed on at detach */
} kid;
#define KIDS_MAX 64

/* Addresses of breakpoints taken out earlier in this session. A thread that hit one just before
 * it was removed still has the int3's SIGTRAP to come (queued, or in a stop not yet collected):
 * that trap is ours, never the program's. */
#define RETIRED_MAX 256

typedef struct live {
    cd_attach_mode mode;
    int memfd;             /* /proc/PID/mem, O_RDWR, opened lazily and kept */
    long opts;             /* PTRACE_O_* given to every seize */
    bool exited;           /* the whole process is gone */
    int exit_status;       /* wait status of the leader */
    volatile sig_atomic_t running; /* cont() released everything; wait() is expected */
    size_t nexpect;        /* threads with lthr.expect */
    size_t capthreads;
    size_t nheld;
    volatile pid_t intr_tid;  /* the thread interrupt() stops while everything runs */
    lbp *bps;
    size_t nbps, capbps;
    uint64_t retired[RETIRED_MAX]; /* a ring: the newest RETIRED_MAX removals */
    size_t nretired;               /* removals so far (entries valid: min(nretired, RETIRED_MAX)) */
    volatile pid_t stepping;       /* a thread single-stepping (its trap is ours) */
    volatile pid_t solo;           /* run_one(): the thread running alone, which interrupt() stops */
    unsigned exec_gen;             /* exec()s seen: the breakpoint list describes the image of this one */
    /* Events seen but not reported yet (another thread's signal collected while stopping everyone,
     * a clone, a fork...): wait() reports them, oldest first, before anything runs again. */
    cd_event *q;
    size_t nq, capq;
    /* Hardware watchpoints: what every thread's debug registers should hold (DR7 and DR0-3).
     * A thread gets them at its next resume when its lthr.dr_gen is behind. */
    uint64_t dr7, dra[4];
    uint64_t dr_gen;
    volatile sig_atomic_t dr_ever; /* a debug register was ever written: clear DR7 before leaving */
    kid kids[KIDS_MAX];            /* a fixed array: emergency() reads it */
    volatile size_t nkids;
    /* A launched program runs in a process group of its own (prog_pgrp). When cdbg was started in
     * the foreground of a terminal (tty: its fd, else -1), that group is the terminal's foreground
     * group while the program runs, so a ^C typed then is the program's SIGINT (from the kernel:
     * SI_KERNEL), which its stop shows and wait() reports as CD_EV_INTERRUPTED, never delivered.
     * cdbg's group takes the terminal back, with its own modes, at every stop. */
    int tty;
    pid_t our_pgrp, prog_pgrp;
    volatile sig_atomic_t tty_given;
    bool prog_tio_valid;
    struct termios our_tio, prog_tio;
    cd_mapping *maps;
    size_t nmaps;
    cd_x86 *x86; /* step_emulated()'s decoder, opened at the first step over a breakpoint */
    bool no_x86; /* capstone would not open: always single-step */
    cd_cpatch *cp; /* fast breakpoints' stubs and patches (codepatch.h), NULL until the first */
    /* `cdbg stacks`: the BPF task iterator over the process's threads (bpfsnap.h), when asked for
     * and available; else why not (NULL when not asked for) */
    cd_bpfsnap *snap;
    char *snap_why;
    cd_bpfsnap_thread *snap_first; /* the attach's walk, until the dump takes it */
    size_t nsnap_first;
} live;

#define L(t) ((live *)(t)->backend)
#define LT(th) ((lthr *)(th)->backend)

static int read_thread_stat(cd_target *t, cd_thread *th, char *state);

static const cd_target_ops live_ops;

/* ---- thread bookkeeping ---- */

static cd_thread *add_thread(cd_target *t, pid_t tid)
{
    cd_thread *th = cd_xcalloc(1, sizeof *th);
    th->tid = tid;
    th->state = 'S';
    th->orig_rax = -1;
    th->backend = cd_xcalloc(1, sizeof(lthr));
    live *l = L(t);
    if (t->nthreads == l->capthreads) {
        l->capthreads = l->capthreads ? 2 * l->capthreads : 16;
        t->threads = cd_xrealloc(t->threads, l->capthreads * sizeof *t->threads);
    }
    t->threads[t->nthreads++] = th;
    return th;
}

static cd_thread *find_live(cd_target *t, pid_t tid)
{
    /* newest first: statuses mostly come from threads we just touched or just created */
    for (size_t i = t->nthreads; i-- > 0;)
        if (t->threads[i]->tid == tid && !t->threads[i]->gone)
            return t->threads[i];
    return NULL;
}

static void set_held(cd_target *t, cd_thread *th, bool held)
{
    live *l = L(t);
    if (th->held == held)
        return;
    th->held = held;
    if (held) {
        if (l->nheld++ == 0)
            t->held_since_ns = cd_now_ns();
    } else {
        th->regs_valid = false;
        LT(th)->regs_dirty = false;
        LT(th)->stat_ns = 0; /* running again: it may rename itself or change state */
        LT(th)->described = false;
        LT(th)->named_at_seize = false;
        if (--l->nheld == 0) {
            t->stopped_ns += cd_now_ns() - t->held_since_ns;
            t->held_since_ns = 0;
        }
    }
}

static void set_expect(cd_target *t, cd_thread *th, bool e)
{
    lthr *lt = LT(th);
    if (lt->expect == e)
        return;
    lt->expect = e;
    if (e)
        L(t)->nexpect++;
    else
        L(t)->nexpect--;
}

/* ---- events not reported yet ---- */

static void q_push(cd_target *t, const cd_event *ev)
{
    live *l = L(t);
    if (l->nq == l->capq) {
        l->capq = l->capq ? 2 * l->capq : 8;
        l->q = cd_xrealloc(l->q, l->capq * sizeof *l->q);
    }
    l->q[l->nq++] = *ev;
}

static void q_remove(live *l, size_t i)
{
    memmove(&l->q[i], &l->q[i + 1], (l->nq - i - 1) * sizeof *l->q);
    l->nq--;
}

/* Takes the oldest queued event (kind CD_EV_NONE: any kind) of thread tid (0: any thread). */
static bool q_take(cd_target *t, pid_t tid, cd_ev_kind kind, cd_event *ev)
{
    live *l = L(t);
    for (size_t i = 0; i < l->nq; i++)
        if ((!tid || l->q[i].tid == tid) && (kind == CD_EV_NONE || l->q[i].kind == kind)) {
            *ev = l->q[i];
            q_remove(l, i);
            return true;
        }
    return false;
}

/* Forgets what was queued about a thread's stop: it is resumed (its signal, if any, delivered) or gone. */
static void q_drop_stop(cd_target *t, pid_t tid)
{
    live *l = L(t);
    for (size_t i = 0; i < l->nq;)
        if (l->q[i].tid == tid && (l->q[i].kind == CD_EV_SIGNAL || l->q[i].kind == CD_EV_WATCH ||
                                   l->q[i].kind == CD_EV_INTERRUPTED))
            q_remove(l, i);
        else
            i++;
}

static void thread_gone(cd_target *t, cd_thread *th)
{
    q_drop_stop(t, th->tid);
    LT(th)->unrep = false;
    set_expect(t, th, false);
    set_held(t, th, false);
    th->gone = true;
    th->pending_sig = 0;
    LT(th)->seized = false;
}

static void process_gone(cd_target *t, int status)
{
    live *l = L(t);
    l->exited = true;
    l->exit_status = status;
    l->running = false;
    for (size_t i = 0; i < t->nthreads; i++)
        thread_gone(t, t->threads[i]);
    l->nq = 0; /* the end of the process is the news now */
    t->stop_gen++; /* stacks and memory cached for the last stop describe a process that is gone */
}

/* "process 123 exited with status 0" / "process 123 was killed by signal 9 (Killed)". */
static int exited_error(cd_target *t, cd_err *err)
{
    int st = L(t)->exit_status;
    if (WIFSIGNALED(st))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED,
                       "process %d was killed by signal %d (%s): nothing is left to inspect; `quit`, or attach "
                       "to another process",
                       (int)t->pid, WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (WIFEXITED(st) && st != 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED,
                       "process %d exited with status %d: nothing is left to inspect; `quit`, or attach to "
                       "another process",
                       (int)t->pid, WEXITSTATUS(st));
    return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED,
                   "process %d exited: nothing is left to inspect; `quit`, or attach to another process",
                   (int)t->pid);
}

static bool is_group_stop_sig(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_fork(cd_target *t, cd_thread *th, int event);
static void on_exec(cd_target *t, cd_thread *th);

/* Applies one waitpid status of a known thread: bookkeeping, and what must happen at once (a fork
 * child's first stop, an exec's new image); events the caller does not report itself are queued. */
static void on_status(cd_target *t, cd_thread *th, int status)
{
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        /* with __WALL the leader is reported only after every other thread: the process is gone */
        if (th->tid == t->pid) {
            t->end_known = true;
            t->end_wstatus = status;
            process_gone(t, status);
        } else {
            thread_gone(t, th);
            if (t->event_mask & CD_EVM_THREADS) {
                cd_event ev = {.kind = CD_EV_THREAD_EXIT, .tid = th->tid};
                if (WIFEXITED(status))
                    ev.status = WEXITSTATUS(status);
                else
                    ev.sig = WTERMSIG(status);
                q_push(t, &ev);
            }
        }
        return;
    }
    if (!WIFSTOPPED(status))
        return;
    int sig = WSTOPSIG(status), event = status >> 16;
    set_expect(t, th, false);
    set_held(t, th, true);
    th->regs_valid = false;
    LT(th)->stuck = false;
    LT(th)->unrep = false;
    LT(th)->group_stop = event == PTRACE_EVENT_STOP && is_group_stop_sig(sig);
    if (event == PTRACE_EVENT_CLONE) {
        unsigned long msg = 0;
        if (ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &msg) == 0 && msg && !find_live(t, (pid_t)msg)) {
            cd_thread *nt = add_thread(t, (pid_t)msg);
            LT(nt)->seized = true; /* auto-attached; its first stop is on its way */
            nt->state = 'R';
            memcpy(nt->name, th->name, sizeof nt->name); /* a new thread inherits its creator's comm */
            set_expect(t, nt, true);
            if (t->event_mask & CD_EVM_THREADS) {
                cd_event ev = {.kind = CD_EV_CLONE, .tid = th->tid, .child = (pid_t)msg};
                q_push(t, &ev);
            }
        }
        th->pending_sig = 0;
    } else if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
        th->pending_sig = 0;
        on_fork(t, th, event);
    } else if (event == PTRACE_EVENT_VFORK_DONE) {
        th->pending_sig = 0;
        unsigned long msg = 0;
        if (t->event_mask & CD_EVM_FORK) {
            ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &msg);
            cd_event ev = {.kind = CD_EV_VFORK_DONE, .tid = th->tid, .child = (pid_t)msg};
            q_push(t, &ev);
        }
    } else if (event == PTRACE_EVENT_EXEC) {
        th->pending_sig = 0;
        on_exec(t, th);
    } else if (event != 0) {
        /* interrupt stop, a new thread's first stop, or a group stop: nothing to re-inject */
        th->pending_sig = 0;
    } else {
        /* signal-delivery stop: the signal is the program's, never swallow it */
        th->pending_sig = sig;
        LT(th)->unrep = true;
    }
}

/* Is tid a thread of our process that we have not seen yet (an auto-attached clone whose first
 * stop arrived before its parent's PTRACE_EVENT_CLONE)? */
static bool is_our_new_thread(cd_target *t, pid_t tid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d", (int)t->pid, (int)tid);
    return access(path, F_OK) == 0;
}

static bool kid_take(cd_target *t, pid_t p);

/* Waits for one status of one of our threads (a vfork child's is handled on the way: kid_take).
 * block=false: returns 0 when none is ready.
 * Returns 1 with tid and status set, 0, or -1 with errno (EINTR when a signal arrived). */
static int wait_any(cd_target *t, bool block, pid_t *tid, int *status)
{
    /* One thread and no fork child: its status is the only one that can come, so one blocking
     * waitpid on it does what waitid(WNOWAIT) + waitpid do (a breakpoint hit costs one system call
     * less). A clone's event stops this thread before anything else is waited for. */
    cd_thread *only = NULL;
    if (block && L(t)->nkids == 0) {
        for (size_t i = 0; i < t->nthreads; i++) {
            cd_thread *th = t->threads[i];
            if (th->gone)
                continue;
            if (only || LT(th)->zombie || !LT(th)->seized) {
                only = NULL;
                break;
            }
            only = th;
        }
    }
    if (only) {
        int st;
        pid_t w = waitpid(only->tid, &st, __WALL);
        if (w == only->tid) {
            *tid = w;
            *status = st;
            return 1;
        }
        if (w < 0 && errno == EINTR)
            return -1;
        /* ECHILD: not ours any more; the general loop below sorts it out */
    }
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int r = waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | __WALL | WNOWAIT | (block ? 0 : WNOHANG));
        if (r < 0)
            return -1;
        if (si.si_pid == 0)
            return 0;
        pid_t p = si.si_pid;
        if (kid_take(t, p))
            continue;
        bool ours = find_live(t, p) != NULL;
        if (!ours && is_our_new_thread(t, p)) {
            cd_thread *nt = add_thread(t, p);
            LT(nt)->seized = true;
            nt->state = 'R';
            /* its creator's clone event has not come yet, so nothing named it: ask /proc */
            char st;
            read_thread_stat(t, nt, &st);
            set_expect(t, nt, true);
            ours = true;
        }
        if (ours) {
            int st;
            pid_t w;
            do
                w = waitpid(p, &st, __WALL | WNOHANG);
            while (w < 0 && errno == EINTR);
            if (w == p) {
                *tid = p;
                *status = st;
                return 1;
            }
            continue;
        }
        /* Someone else's child has a status pending: leave it for its owner and poll ours. */
        for (size_t i = 0; i < L(t)->nkids; i++) {
            siginfo_t ks;
            memset(&ks, 0, sizeof ks);
            pid_t kp = L(t)->kids[i].pid;
            if (waitid(P_PID, (id_t)kp, &ks, WEXITED | WSTOPPED | __WALL | WNOWAIT | WNOHANG) == 0 && ks.si_pid == kp) {
                kid_take(t, kp);
                break;
            }
        }
        for (size_t i = 0; i < t->nthreads; i++) {
            cd_thread *th = t->threads[i];
            if (th->gone || !LT(th)->seized)
                continue;
            int st;
            pid_t w = waitpid(th->tid, &st, __WALL | WNOHANG);
            if (w == th->tid) {
                *tid = w;
                *status = st;
                return 1;
            }
        }
        if (!block)
            return 0;
        struct timespec ts = {0, 1000000};
        if (nanosleep(&ts, NULL) < 0 && errno == EINTR)
            return -1;
    }
}

/* wait_any(block) until deadline (cd_now_ns; 0: none): 0 when nothing came by then. A stop of a
 * tracee sends its tracer SIGCHLD: blocked here, it is what the sleep waits for (in slices, as a
 * thread of cdbg's that does not block it would take it instead). */
#define WAIT_SLICE_NS (10ull * 1000000ull)
static int wait_any_until(cd_target *t, uint64_t deadline, pid_t *tid, int *status)
{
    if (!deadline)
        return wait_any(t, true, tid, status);
    int r = wait_any(t, false, tid, status);
    if (r != 0)
        return r;
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, &old);
    for (;;) {
        r = wait_any(t, false, tid, status); /* one that came before SIGCHLD was blocked */
        uint64_t now = cd_now_ns();
        if (r != 0 || now >= deadline)
            break;
        uint64_t left = deadline - now < WAIT_SLICE_NS ? deadline - now : WAIT_SLICE_NS;
        struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
        if (sigtimedwait(&chld, NULL, &ts) < 0 && errno == EINTR) {
            r = -1;
            break;
        }
    }
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = e;
    return r;
}

static int add_unlisted(cd_target *t, size_t *added);
static void probe_new(cd_target *t, size_t from);

/* Reaps statuses already pending for seized threads (exits of held threads killed meanwhile),
 * without blocking. */
static void reap_ready(cd_target *t)
{
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        int st;
        if (LT(th)->seized && !th->gone && waitpid(th->tid, &st, __WALL | WNOHANG) == th->tid)
            on_status(t, th, st);
    }
}

/* How long collect() waits for stops. A thread in uninterruptible sleep (D: a vfork parent waiting
 * for its child to exec, a read from a hung NFS server) cannot stop until the kernel lets it go,
 * which may be never. Past this cdbg goes on without it rather than hang with every other thread
 * held; its interrupt stays pending and its stop is taken whenever it comes. */
#define STOP_DEADLINE_NS (3000ull * 1000000ull)
/* How long phase 1 waits for one thread before moving on to the next. */
#define STOP_PATIENCE_NS (50ull * 1000000ull)
/* The deadline when every thread still awaited already missed one before. */
#define STUCK_DEADLINE_NS (100ull * 1000000ull)

/* Takes th's status if one is ready; true when no stop is expected from th any more. */
static bool poll_one(cd_target *t, cd_thread *th)
{
    int st;
    pid_t w;
    do
        w = waitpid(th->tid, &st, __WALL | WNOHANG);
    while (w < 0 && errno == EINTR);
    if (w == th->tid)
        on_status(t, th, st);
    else if (w < 0)
        thread_gone(t, th); /* ECHILD: no longer traced by us */
    return !LT(th)->expect;
}

static void backoff(unsigned *spins)
{
    struct timespec ts = {0, (*spins)++ < 50 ? 20000 : 1000000};
    nanosleep(&ts, NULL);
}

/* Collects the stops of every thread we expect one from (interrupted or newly cloned).
 * waitpid on each TID, not waitpid(-1): a specific PID is an O(1) lookup in the kernel while
 * waitpid(-1) scans every tracee (O(n^2) for n threads), and it never takes statuses that belong
 * to cdbg's other children. Phase 1 takes the threads in order (they stop in the order they were
 * interrupted), so n threads cost O(n) polls; phase 2 sweeps the few left (the leader, whose exit
 * is reported only after every other thread's, slow threads, clones found meanwhile) until the
 * deadline. Nothing blocks: a thread that cannot stop must not hang cdbg. */
static void collect(cd_target *t)
{
    live *l = L(t);
    /* t->nthreads grows when a clone event announces a new thread: it is collected too */
    for (size_t i = 0; i < t->nthreads && !l->exited && l->nexpect > 0; i++) {
        cd_thread *th = t->threads[i];
        if (!LT(th)->expect || LT(th)->stuck || th->tid == t->pid)
            continue;
        uint64_t give_up = cd_now_ns() + STOP_PATIENCE_NS;
        unsigned spins = 0;
        while (!poll_one(t, th) && !l->exited && cd_now_ns() < give_up)
            backoff(&spins);
    }
    bool all_stuck = true;
    for (size_t i = 0; i < t->nthreads && all_stuck; i++)
        if (LT(t->threads[i])->expect && !LT(t->threads[i])->stuck)
            all_stuck = false;
    uint64_t deadline = cd_now_ns() + (all_stuck ? STUCK_DEADLINE_NS : STOP_DEADLINE_NS);
    unsigned spins = 0;
    while (l->nexpect > 0 && !l->exited) {
        cd_thread *leader = NULL;
        for (size_t i = 0; i < t->nthreads && !l->exited; i++) {
            cd_thread *th = t->threads[i];
            if (!LT(th)->expect)
                continue;
            if (th->tid == t->pid)
                leader = th;
            else if (poll_one(t, th))
                LT(th)->stuck = false;
        }
        if (leader && !l->exited && LT(leader)->expect && !poll_one(t, leader) && l->nexpect == 1) {
            reap_ready(t);
            if (spins % 8 == 7) {
                /* the leader may be waiting for threads we never heard of (clones whose parent's
                 * event never came), or may itself have exited while its threads live on */
                size_t before = t->nthreads, added;
                if (add_unlisted(t, &added) == 0 && added)
                    probe_new(t, before);
                char lst;
                if (cd_procfs_read_stat(t->pid, leader->tid, NULL, &lst) == 0 && (lst == 'Z' || lst == 'X') &&
                    LT(leader)->expect) {
                    set_expect(t, leader, false);
                    LT(leader)->zombie = true;
                    leader->state = lst;
                }
            }
        }
        if (l->nexpect == 0 || l->exited)
            break;
        if (cd_now_ns() >= deadline) {
            for (size_t i = 0; i < t->nthreads; i++) {
                cd_thread *th = t->threads[i];
                if (LT(th)->expect) {
                    set_expect(t, th, false);
                    LT(th)->stuck = true;
                    char st;
                    if (cd_procfs_read_stat(t->pid, th->tid, NULL, &st) == 0)
                        th->state = st;
                }
            }
            break;
        }
        backoff(&spins);
    }
}

static long seize_opts(cd_target *t) { return L(t)->opts; }

/* Reads th's name and state from /proc/PID/task/TID/stat (3 system calls, ~30 us here). */
static int read_thread_stat(cd_target *t, cd_thread *th, char *state)
{
    if (cd_procfs_read_stat(t->pid, th->tid, th->name, state) < 0)
        return -1;
    LT(th)->stat_ns = cd_now_ns();
    return 0;
}

/* A read this recent is as good as a new one: attach reads every thread's stat, and the first
 * stop follows within milliseconds; reading 1000 threads again would cost ~30 ms. */
#define STAT_FRESH_NS (200ull * 1000000ull)
static bool stat_fresh(cd_thread *th)
{
    return LT(th)->stat_ns && cd_now_ns() - LT(th)->stat_ns < STAT_FRESH_NS;
}

/* Seizes (if needed) and interrupts th; the stop is collected later by collect(). */
static int seize_interrupt(cd_target *t, cd_thread *th, bool read_stat)
{
    lthr *lt = LT(th);
    if (th->gone || lt->zombie || th->held || lt->expect)
        return 0;
    if (!lt->seized) {
        char st;
        if (read_stat && !stat_fresh(th) && read_thread_stat(t, th, &st) == 0) {
            th->state = st;
            if (st == 'Z' || st == 'X') {
                lt->zombie = true;
                return 0;
            }
        }
        bool named = stat_fresh(th);
        if (ptrace(PTRACE_SEIZE, th->tid, 0, (void *)seize_opts(t)) < 0) {
            int e = errno;
            /* ESRCH: gone. EPERM is also what the kernel answers for a thread that has exited but
             * is not reaped yet (exit_state set): a thread that ended while we listed them. */
            char st;
            if (e == ESRCH ||
                (e == EPERM && th->tid != t->pid &&
                 (cd_procfs_read_stat(t->pid, th->tid, NULL, &st) < 0 || st == 'Z' || st == 'X'))) {
                thread_gone(t, th);
                return 0;
            }
            errno = e;
            return -1;
        }
        lt->seized = true;
        /* attach listed every thread's name a moment ago: reading 1000 of them again at the first
         * stop would cost ~30 ms for nothing */
        lt->named_at_seize = named;
    }
    if (ptrace(PTRACE_INTERRUPT, th->tid, 0, 0) < 0 && errno != ESRCH)
        return -1;
    /* ESRCH: it is dying; its exit status will arrive instead of a stop */
    set_expect(t, th, true);
    return 0;
}

/* ---- breakpoints ---- */

static lbp *find_bp(live *l, uint64_t addr)
{
    for (size_t i = 0; i < l->nbps; i++)
        if (l->bps[i].addr == addr)
            return &l->bps[i];
    return NULL;
}

static bool is_retired(live *l, uint64_t addr)
{
    size_t n = l->nretired < RETIRED_MAX ? l->nretired : RETIRED_MAX;
    for (size_t i = 0; i < n; i++)
        if (l->retired[i] == addr)
            return true;
    return false;
}

/* Is addr one of our int3s, planted now or taken out earlier in this session? Async-signal-safe. */
static bool our_int3(live *l, uint64_t addr)
{
    return find_bp(l, addr) || is_retired(l, addr) || cd_cpatch_is_int3(l->cp, addr);
}

static void retire(live *l, const lbp *b)
{
    /* the program's own int3 (we "restored" 0xCC) traps for the program, not for us */
    if (b->orig == 0xCC || is_retired(l, b->addr))
        return;
    l->retired[l->nretired++ % RETIRED_MAX] = b->addr;
}

/* How the current ptrace-stop of a thread came about, from the kernel's siginfo (not from our
 * bookkeeping, which a fatal signal may interrupt half-way). Async-signal-safe. */
typedef enum {
    STOP_RUNNING = 0, /* not in a ptrace-stop (or not ours any more) */
    STOP_SIGNAL,      /* signal-delivery-stop: *si is the signal */
    STOP_EVENT,       /* PTRACE_EVENT_* stop (interrupt, clone, exec...) */
    STOP_GROUP,       /* group-stop (job control): no siginfo */
} stop_kind;

static stop_kind stop_kind_of(pid_t tid, siginfo_t *si)
{
    memset(si, 0, sizeof *si);
    if (syscall(SYS_ptrace, PTRACE_GETSIGINFO, tid, 0, si) < 0)
        return errno == EINVAL ? STOP_GROUP : STOP_RUNNING;
    /* event stops report SIGTRAP | event << 8 as si_code */
    if (si->si_signo == SIGTRAP && si->si_code > 0 && (si->si_code >> 8) != 0)
        return STOP_EVENT;
    return STOP_SIGNAL;
}

/* "/proc/PID/LEAF", or "/proc/PID/task/TID/LEAF" when tid > 0, without snprintf (async-signal-safe).
 * out holds 64 bytes. */
static void proc_path(char *out, pid_t pid, pid_t tid, const char *leaf)
{
    char *p = out;
    const char *parts[] = {"/proc/", NULL, "/task/", NULL, "/", leaf};
    pid_t nums[] = {0, pid, 0, tid, 0, 0};
    for (int k = 0; k < 6; k++) {
        if ((k == 2 || k == 3) && tid <= 0)
            continue;
        if (parts[k]) {
            for (const char *c = parts[k]; *c && p < out + 62; c++)
                *p++ = *c;
        } else {
            char d[16];
            int n = 0;
            unsigned v = (unsigned)nums[k];
            do
                d[n++] = (char)('0' + v % 10);
            while ((v /= 10) != 0);
            while (n && p < out + 62)
                *p++ = d[--n];
        }
    }
    *p = 0;
}

/* Is a SIGTRAP queued for thread tid (SigPnd of /proc/PID/task/TID/status)? An int3 queues it on
 * the thread itself, so ShdPnd (the process's queue: a kill(2)) is not ours. Async-signal-safe:
 * open/read/close and hand-made parsing only. */
static bool sigtrap_queued(pid_t pid, pid_t tid)
{
    char path[64], buf[2048];
    proc_path(path, pid, tid, "status");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t len = 0, r;
    while (len < (ssize_t)sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - (size_t)len)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        len += r;
    }
    close(fd);
    buf[len > 0 ? len : 0] = 0;
    for (char *q = buf; *q; q++) {
        if ((q == buf || q[-1] == '\n') && !strncmp(q, "SigPnd:", 7)) {
            q += 7;
            while (*q == ' ' || *q == '\t')
                q++;
            unsigned long long mask = 0;
            for (; *q && *q != '\n'; q++) {
                int v = *q >= '0' && *q <= '9' ? *q - '0' : *q >= 'a' && *q <= 'f' ? *q - 'a' + 10 : -1;
                if (v < 0)
                    break;
                mask = mask << 4 | (unsigned)v;
            }
            return (mask >> (SIGTRAP - 1)) & 1;
        }
    }
    return false;
}

/* ---- memory ---- */

static int memfd(cd_target *t)
{
    live *l = L(t);
    if (l->memfd < 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/mem", (int)t->pid);
        l->memfd = open(path, O_RDWR | O_CLOEXEC);
    }
    return l->memfd;
}

static ssize_t mem_pread(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    int fd = memfd(t);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(addr + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        done += (size_t)r;
    }
    return done ? (ssize_t)done : -1;
}

static ssize_t live_read_mem(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    live *l = L(t);
    if (l->exited) {
        errno = ESRCH;
        return -1;
    }
    if (len == 0)
        return 0;
    if (addr > (uint64_t)SSIZE_MAX) {
        errno = EFAULT;
        return -1;
    }
    struct iovec lo = {buf, len}, re = {(void *)(uintptr_t)addr, len};
    ssize_t r = process_vm_readv(t->pid, &lo, 1, &re, 1, 0);
    if (r < 0)
        r = 0;
    if ((size_t)r < len) {
        /* /proc/PID/mem also reads PROT_NONE and other pages process_vm_readv refuses */
        ssize_t r2 = mem_pread(t, addr + (uint64_t)r, (char *)buf + r, len - (size_t)r);
        if (r2 > 0)
            r += r2;
        if (r == 0) {
            errno = EFAULT;
            return -1;
        }
    }
    /* show the program's bytes, not our int3s */
    for (size_t i = 0; i < l->nbps; i++)
        if (l->bps[i].addr >= addr && l->bps[i].addr < addr + (uint64_t)r)
            ((unsigned char *)buf)[l->bps[i].addr - addr] = l->bps[i].orig;
    cd_cpatch_hide(l->cp, addr, buf, (size_t)r); /* and the program's bytes under a fast breakpoint's jmp */
    return r;
}

static int raw_write(cd_target *t, uint64_t addr, const void *buf, size_t len)
{
    int fd = memfd(t);
    if (fd >= 0) {
        ssize_t r;
        do
            r = pwrite(fd, buf, len, (off_t)addr);
        while (r < 0 && errno == EINTR);
        if (r == (ssize_t)len)
            return 0;
    }
    /* word-wise POKEDATA needs a held thread */
    cd_thread *h = NULL;
    for (size_t i = 0; i < t->nthreads && !h; i++)
        if (t->threads[i]->held)
            h = t->threads[i];
    if (!h) {
        errno = EIO;
        return -1;
    }
    size_t done = 0;
    while (done < len) {
        uint64_t a = (addr + done) & ~7ull;
        size_t off = (size_t)(addr + done - a);
        errno = 0;
        long w = ptrace(PTRACE_PEEKDATA, h->tid, (void *)(uintptr_t)a, 0);
        if (errno)
            return -1;
        size_t n = 8 - off < len - done ? 8 - off : len - done;
        memcpy((char *)&w + off, (const char *)buf + done, n);
        if (ptrace(PTRACE_POKEDATA, h->tid, (void *)(uintptr_t)a, (void *)w) < 0)
            return -1;
        done += n;
    }
    return 0;
}

cd_cpatch *cd_target_cpatch(cd_target *t)
{
    /* by an op, not the table: `cdbg trace --backend ptrace` wraps the table to watch wait() */
    if (!t || !t->ops || t->ops->read_mem != live_ops.read_mem || L(t)->exited)
        return NULL;
    live *l = L(t);
    if (!l->cp)
        l->cp = cd_cpatch_new(raw_write);
    return l->cp;
}

/* cd_cpatch_undo()'s writer for a /proc/PID/mem descriptor (async-signal-safe). */
static void fd_undo_write(void *arg, uint64_t addr, const uint8_t *b, size_t n)
{
    int fd = *(int *)arg;
    if (fd >= 0 && pwrite(fd, b, n, (off_t)addr) < 0)
        return;
}

static void undo_write(void *arg, uint64_t addr, const uint8_t *b, size_t n)
{
    raw_write(arg, addr, b, n);
}

static int live_write_mem(cd_target *t, uint64_t addr, const void *buf, size_t len, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot write memory: process %d exited", (int)t->pid);
    /* a write over one of our int3s changes the byte to restore, not the int3 */
    unsigned char *tmp = NULL;
    for (size_t i = 0; i < l->nbps; i++) {
        lbp *b = &l->bps[i];
        if (b->addr + 16 > addr && b->addr < addr + len)
            b->emu_known = false; /* its instruction's bytes may change: decoded again */
        if (b->addr >= addr && b->addr < addr + len) {
            if (!tmp) {
                tmp = cd_xmalloc(len);
                memcpy(tmp, buf, len);
            }
            b->orig = tmp[b->addr - addr];
            tmp[b->addr - addr] = 0xCC;
        }
    }
    /* a fast breakpoint's stub that copied these bytes would run the old instructions */
    cd_cpatch_code_written(l->cp, addr, len);
    int r = raw_write(t, addr, tmp ? tmp : buf, len);
    int e = errno;
    free(tmp);
    if (r < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot write %zu bytes at 0x%llx in process %d: %s", len,
                       (unsigned long long)addr, (int)t->pid, strerror(e));
    return 0;
}

/* ---- registers ---- */

static int check_held(cd_target *t, cd_thread *th, const char *what, cd_err *err)
{
    if (L(t)->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot %s: process %d exited", what, (int)t->pid);
    if (th->gone)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "cannot %s of thread %d: it has exited", what, (int)th->tid);
    if (LT(th)->zombie)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "cannot %s of thread %d: it has exited (zombie thread-group leader)",
                       what, (int)th->tid);
    if (!th->held)
        return cd_fail(err, CD_EXIT_CMD, "cannot %s of thread %d: it is running; stop it first", what,
                       (int)th->tid);
    return 0;
}

/* One register request (PTRACE_GETREGS, SETREGS, GETFPREGS) on a held thread, failing as "cannot WHAT
 * of thread N". A thread that is gone fails as CD_EK_THREAD_GONE (its exit event comes next), which
 * callers branch on. */
static int regs_ptrace(cd_thread *th, enum __ptrace_request req, void *data, const char *what, cd_err *err)
{
    if (ptrace(req, th->tid, 0, data) < 0)
        return cd_failk(err, CD_EXIT_CMD, errno == ESRCH ? CD_EK_THREAD_GONE : CD_EK_OTHER,
                        "cannot %s of thread %d: %s", what, (int)th->tid, strerror(errno));
    return 0;
}

static int live_get_regs(cd_target *t, cd_thread *th, cd_regs *out, cd_err *err)
{
    if (check_held(t, th, "read the registers", err) < 0)
        return -1;
    if (!th->regs_valid) {
        if (regs_ptrace(th, PTRACE_GETREGS, &th->regs, "read the registers", err) < 0)
            return -1;
        th->regs_valid = true;
        th->orig_rax = (int64_t)th->regs.orig_rax;
    }
    if (out)
        *out = th->regs;
    return 0;
}

static int live_set_regs(cd_target *t, cd_thread *th, const cd_regs *regs, cd_err *err)
{
    if (check_held(t, th, "set the registers", err) < 0 ||
        regs_ptrace(th, PTRACE_SETREGS, (void *)regs /* only read */, "set the registers", err) < 0)
        return -1;
    th->regs = *regs;
    th->regs_valid = true;
    LT(th)->regs_dirty = false;
    th->orig_rax = (int64_t)regs->orig_rax;
    return 0;
}

/* Writes the cached registers of a held thread whose pc was rewound in the cache only: before
 * anything resumes or detaches it. Fails when the thread is gone (its exit comes next). */
static int flush_regs(cd_thread *th)
{
    lthr *lt = LT(th);
    if (!lt->regs_dirty)
        return 0;
    lt->regs_dirty = false;
    return ptrace(PTRACE_SETREGS, th->tid, 0, &th->regs) < 0 ? -1 : 0;
}

static int live_get_fpregs(cd_target *t, cd_thread *th, struct user_fpregs_struct *out, cd_err *err)
{
    if (check_held(t, th, "read the FP registers", err) < 0)
        return -1;
    return regs_ptrace(th, PTRACE_GETFPREGS, out, "read the FP registers", err);
}

static int live_set_regset(cd_target *t, cd_thread *th, unsigned type, const void *buf, size_t len, cd_err *err)
{
    if (check_held(t, th, "write a register set", err) < 0)
        return -1;
    struct iovec iov = {(void *)buf /* only read */, len};
    if (ptrace(PTRACE_SETREGSET, th->tid, (void *)(uintptr_t)type, &iov) < 0)
        return cd_failk(err, CD_EXIT_CMD, errno == ESRCH ? CD_EK_THREAD_GONE : CD_EK_OTHER,
                        "cannot write register set %#x of thread %d: %s", type, (int)th->tid, strerror(errno));
    return 0;
}

/* PTRACE_GETREGSET by note type (NT_X86_XSTATE...), or the stop's siginfo for NT_SIGINFO. */
static ssize_t live_get_regset(cd_target *t, cd_thread *th, unsigned type, void *buf, size_t len, cd_err *err)
{
    if (check_held(t, th, "read a register set", err) < 0)
        return -1;
    long r;
    struct iovec iov = {buf, len};
    if (type == NT_SIGINFO) {
        siginfo_t si;
        r = ptrace(PTRACE_GETSIGINFO, th->tid, 0, &si);
        iov.iov_len = len < sizeof si ? len : sizeof si;
        if (r == 0)
            memcpy(buf, &si, iov.iov_len);
    } else {
        r = ptrace(PTRACE_GETREGSET, th->tid, (void *)(uintptr_t)type, &iov);
    }
    if (r < 0)
        return cd_failk(err, CD_EXIT_CMD,
                        errno == ESRCH ? CD_EK_THREAD_GONE : errno == EINVAL || errno == ENODEV ? CD_EK_UNSUPPORTED
                                                                                                 : CD_EK_OTHER,
                        "cannot read register set 0x%x of thread %d: %s", type, (int)th->tid, strerror(errno));
    return (ssize_t)iov.iov_len;
}

/* ---- stop / resume ---- */

static int seize_error(cd_target *t, pid_t tid, int e, cd_err *err);

/* Threads that appeared in /proc/PID/task after we listed it (created by a thread we had not
 * seized yet). */
static int cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
    return (x > y) - (x < y);
}

static int add_unlisted(cd_target *t, size_t *added)
{
    pid_t *tids;
    size_t n;
    *added = 0;
    if (cd_procfs_list_tasks(t->pid, &tids, &n) < 0)
        return -1;
    /* sorted known TIDs: a linear find per listed TID would be O(n^2) for 1000 threads */
    size_t nk = 0;
    pid_t *known = cd_xmalloc((t->nthreads + 1) * sizeof *known);
    for (size_t i = 0; i < t->nthreads; i++)
        if (!t->threads[i]->gone)
            known[nk++] = t->threads[i]->tid;
    qsort(known, nk, sizeof *known, cmp_pid);
    for (size_t i = 0; i < n; i++) {
        if (!bsearch(&tids[i], known, nk, sizeof *known, cmp_pid)) {
            cd_thread *th = add_thread(t, tids[i]);
            char st;
            if (cd_procfs_read_stat(t->pid, th->tid, th->name, &st) == 0) {
                th->state = st;
                LT(th)->zombie = st == 'Z' || st == 'X';
            }
            (*added)++;
        }
    }
    free(known);
    free(tids);
    return 0;
}

/* Threads from index `from` on were found in /proc, not announced by a clone event. Some may be
 * auto-attached clones whose parent's event we never saw (the parent died, or was not being
 * waited for): those are already ours and must be adopted, not seized again (EPERM). */
static void probe_new(cd_target *t, size_t from)
{
    for (size_t i = from; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        int st;
        pid_t w = waitpid(th->tid, &st, __WALL | WNOHANG);
        if (w == th->tid) {
            LT(th)->seized = true;
            on_status(t, th, st);
        } else if (w == 0) {
            LT(th)->seized = true;
            set_expect(t, th, true);
        }
        /* ECHILD: not traced by us */
    }
}

static int stop_threads(cd_target *t, cd_thread **ths, size_t n, bool read_stat, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot stop threads: process %d exited", (int)t->pid);
    bool all = n == 0;
    size_t cnt = all ? t->nthreads : n;
    for (size_t i = 0; i < cnt; i++) {
        /* t->threads may grow (clone events) but only during collect(), never inside this loop */
        cd_thread *th = all ? t->threads[i] : ths[i];
        if (seize_interrupt(t, th, read_stat) < 0) {
            int e = errno;
            collect(t);
            return seize_error(t, th->tid, e, err);
        }
    }
    collect(t);
    if (all) {
        /* threads created by not-yet-seized threads while we were seizing */
        for (int round = 0; round < 100 && !l->exited; round++) {
            size_t before = t->nthreads, added;
            if (add_unlisted(t, &added) < 0 || added == 0)
                break;
            probe_new(t, before);
            for (size_t i = before; i < t->nthreads; i++)
                if (seize_interrupt(t, t->threads[i], false) < 0) {
                    int e = errno;
                    collect(t);
                    return seize_error(t, t->threads[i]->tid, e, err);
                }
            collect(t);
        }
    }
    if (!l->exited) {
        /* non-stop mode traces nothing, so an exit shows only in /proc */
        cd_proc_status ps;
        if (cd_procfs_read_status(t->pid, &ps) < 0 || ((ps.state == 'Z' || ps.state == 'X') && ps.threads <= 1)) {
            int st = 0;
            reap_ready(t);
            if (!l->exited) {
                /* a launched child must not stay a zombie: its status is kept for the caller */
                if (waitpid(t->pid, &st, __WALL | WNOHANG) == t->pid) {
                    t->end_known = true;
                    t->end_wstatus = st;
                }
                process_gone(t, st);
            }
        }
    }
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot stop threads: process %d exited", (int)t->pid);
    return 0;
}

static int live_stop(cd_target *t, cd_thread **ths, size_t n, cd_err *err)
{
    return stop_threads(t, ths, n, true, err);
}

/* ---- debug registers ---- */

static long peek_dr(pid_t tid, int i, bool *ok)
{
    errno = 0;
    long v = ptrace(PTRACE_PEEKUSER, tid, (void *)DR_OFF(i), 0);
    *ok = errno == 0;
    return v;
}

static int poke_dr(pid_t tid, int i, uint64_t v)
{
    return (int)ptrace(PTRACE_POKEUSER, tid, (void *)DR_OFF(i), (void *)(uintptr_t)v);
}

static unsigned dr_enabled(uint64_t dr7)
{
    unsigned m = 0;
    for (int i = 0; i < 4; i++)
        if (dr7 & DR7_EN(i))
            m |= 1u << i;
    return m;
}

/* Brings held th's debug registers up to the watchpoints of the moment (a thread created since
 * the last change has none: Linux does not copy them to a clone). 0, or -1 with errno. */
static int apply_dr(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    lthr *lt = LT(th);
    if (lt->dr_gen == l->dr_gen)
        return 0;
    unsigned changed = 0;
    for (int i = 0; i < 4; i++)
        if (((lt->dr7 ^ l->dr7) & DR7_SLOT(i)) || ((l->dr7 & DR7_EN(i)) && lt->dra[i] != l->dra[i]))
            changed |= 1u << i;
    if (changed) {
        /* a slot is disabled before its address changes: the kernel checks an enabled slot's
         * address against the length DR7 gives it */
        uint64_t mid = lt->dr7;
        for (int i = 0; i < 4; i++)
            if (changed & (1u << i))
                mid &= ~DR7_SLOT(i);
        if (mid != lt->dr7) {
            if (poke_dr(th->tid, 7, mid) < 0)
                return -1;
            lt->dr7 = mid;
        }
        for (int i = 0; i < 4; i++)
            if ((changed & (1u << i)) && (l->dr7 & DR7_EN(i))) {
                if (poke_dr(th->tid, i, l->dra[i]) < 0)
                    return -1;
                lt->dra[i] = l->dra[i];
            }
        if (l->dr7 != lt->dr7) {
            if (poke_dr(th->tid, 7, l->dr7) < 0)
                return -1;
            lt->dr7 = l->dr7;
        }
    }
    lt->dr_gen = l->dr_gen;
    return 0;
}

/* Before a held thread is let go for good: debug registers survive PTRACE_DETACH, and a watchpoint
 * that fires after we left kills the program with SIGTRAP. */
static void clear_dr(cd_thread *th)
{
    lthr *lt = LT(th);
    if (lt->dr7 && poke_dr(th->tid, 7, 0) == 0)
        lt->dr7 = 0;
}

/* The watchpoint bits (DR6 B0-B3) of held th's SIGTRAP, cleared once read (the kernel keeps them
 * until the next debug trap) so that a later trap says only its own; 0 when none. */
static unsigned take_dr6(cd_target *t, cd_thread *th)
{
    if (!L(t)->dr_ever)
        return 0;
    bool ok;
    long dr6 = peek_dr(th->tid, 6, &ok);
    if (!ok || !(dr6 & DR6_HIT))
        return 0;
    poke_dr(th->tid, 6, 0);
    return (unsigned)(dr6 & DR6_HIT);
}

static int live_set_hw_watch(cd_target *t, int slot, uint64_t addr, int len, cd_hw_kind kind, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot watch: process %d exited", (int)t->pid);
    if (slot < 0 || slot >= t->caps.hw_watch_slots)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "cannot watch: there is no debug register %d (x86 has %d)",
                        slot, t->caps.hw_watch_slots);
    if ((len != 1 && len != 2 && len != 4 && len != 8) || addr % (uint64_t)len != 0 || (kind == CD_HW_EXEC && len != 1))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "cannot watch %d bytes at 0x%llx: a debug register covers 1, 2, 4 or 8 bytes aligned to "
                        "their size (1 for an instruction)",
                        len, (unsigned long long)addr);
    if (kind != CD_HW_EXEC && kind != CD_HW_WRITE && kind != CD_HW_RW)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "cannot watch: unknown watchpoint kind %d", (int)kind);
    if (addr >= 0x800000000000ull - (uint64_t)len)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot watch 0x%llx: not a user-space address",
                        (unsigned long long)addr);
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        lthr *lt = LT(th);
        /* a thread whose stop is on its way gets the registers at its next resume, before it runs */
        if (!th->gone && !lt->zombie && !th->held && !(lt->seized && lt->expect))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER,
                            "cannot watch: thread %d is running; stop the program first", (int)th->tid);
    }
    static const unsigned lenbits[9] = {0, 0, 1, 0, 3, 0, 0, 0, 2};
    uint64_t old7 = l->dr7, olda = l->dra[slot];
    l->dr_ever = 1; /* before the first write: emergency() must know to clear DR7 */
    l->dra[slot] = addr;
    l->dr7 = (l->dr7 & ~DR7_SLOT(slot)) | DR7_EN(slot) | ((uint64_t)kind << (16 + 4 * slot)) |
             ((uint64_t)lenbits[len] << (18 + 4 * slot));
    l->dr_gen++;
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (!th->held || th->gone || LT(th)->zombie || apply_dr(t, th) == 0)
            continue;
        int e = errno;
        if (e == ESRCH) {
            /* died while held: its exit status will say so */
            continue;
        }
        l->dr7 = old7;
        l->dra[slot] = olda;
        l->dr_gen++;
        for (size_t k = 0; k <= i; k++)
            if (t->threads[k]->held && !t->threads[k]->gone)
                apply_dr(t, t->threads[k]);
        return cd_failk(err, CD_EXIT_CMD, e == ENOSPC ? CD_EK_LIMIT : CD_EK_OTHER,
                        "cannot watch %d bytes at 0x%llx in thread %d: the kernel refused the debug register (%s)",
                        len, (unsigned long long)addr, (int)th->tid, strerror(e));
    }
    return 0;
}

static int live_clear_hw_watch(cd_target *t, int slot, cd_err *err)
{
    live *l = L(t);
    if (slot < 0 || slot >= t->caps.hw_watch_slots)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "cannot clear a watchpoint: there is no debug register %d",
                        slot);
    if (!(l->dr7 & DR7_SLOT(slot)))
        return 0;
    l->dr7 &= ~DR7_SLOT(slot);
    l->dra[slot] = 0;
    l->dr_gen++;
    if (l->exited)
        return 0;
    /* running threads get it at their next resume; a hit of theirs meanwhile is dropped as spent */
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (th->held && !th->gone && !LT(th)->zombie)
            apply_dr(t, th);
    }
    return 0;
}

/* ---- what a stop means ---- */

/* th is held in a signal-delivery-stop for SIGTRAP: if the trap is one of our int3s (pc = bp+1, the
 * kernel's si_code SI_KERNEL, which kill(2) and tgkill cannot forge), rewinds pc to the breakpoint
 * and drops the trap. Returns the breakpoint's address, or 0 when the trap is not ours. */
static uint64_t take_our_trap(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    if (th->pending_sig != SIGTRAP || !th->held || th->gone || live_get_regs(t, th, NULL, NULL) < 0)
        return 0;
    uint64_t addr = th->regs.rip - 1;
    uint64_t fast = cd_cpatch_trap(l->cp, th->regs.rip, true);
    if (fast) {
        /* a fast breakpoint's stub decided to stop: the hit of the breakpoint at fast */
        th->regs.rip = fast;
        LT(th)->regs_dirty = true;
        th->pending_sig = 0;
        return fast;
    }
    if (!our_int3(l, addr))
        return 0;
    /* A SIGTRAP with pc at bp+1 is our int3's unless something else can stop there: a kill(2) or
     * a trap of the program's (its trap flag, a watchpoint) stops at an instruction boundary, and
     * bp+1 is one only when the instruction under the int3 is one byte long. For a longer one the
     * kernel's si_code (SI_KERNEL for an int3) need not be read. */
    lbp *b = find_bp(l, addr);
    if (!b || !b->emu_known || b->emu.op == CD_EMU_NONE || b->emu.len < 2) {
        siginfo_t si;
        if (stop_kind_of(th->tid, &si) == STOP_SIGNAL && si.si_code != SI_KERNEL)
            return 0;
    }
    /* rewound in the cache; the kernel gets it with the step's registers or at flush_regs() */
    th->regs.rip = addr;
    LT(th)->regs_dirty = true;
    th->pending_sig = 0;
    return addr;
}

static bool ctrl_c(cd_target *t, const siginfo_t *si);

/* What held th's signal-delivery stop (th->pending_sig) means. stepping: th was single-stepped by
 * us, so a trap that is neither an int3 nor a watchpoint is the step's. Fills ev and returns true,
 * or returns false when the stop is spent (the trap of a breakpoint or watchpoint removed since):
 * th just goes on. */
static bool classify(cd_target *t, cd_thread *th, bool stepping, cd_event *ev)
{
    live *l = L(t);
    int sig = th->pending_sig;
    memset(ev, 0, sizeof *ev);
    ev->tid = th->tid;
    ev->all_held = true;
    LT(th)->unrep = false;
    if (sig == SIGTRAP) {
        uint64_t bp = stepping ? 0 : take_our_trap(t, th);
        if (bp) {
            if (!find_bp(l, bp))
                return false; /* a breakpoint taken out since this thread hit it */
            ev->kind = CD_EV_BREAKPOINT;
            ev->addr = bp;
            return true;
        }
        unsigned hit = take_dr6(t, th);
        if (hit) {
            th->pending_sig = 0;
            hit &= dr_enabled(l->dr7);
            if (hit) {
                live_get_regs(t, th, NULL, NULL);
                ev->kind = CD_EV_WATCH;
                ev->slots = hit;
                ev->addr = th->regs.rip;
                return true;
            }
            if (!stepping)
                return false; /* a watchpoint cleared since it fired */
        }
    }
    siginfo_t si;
    bool has_si = ptrace(PTRACE_GETSIGINFO, th->tid, 0, &si) == 0;
    /* the step's own trap is TRAP_TRACE (TRAP_BRKPT after a syscall instruction, 5 when it entered
     * a signal handler); an int3 of the program's (SI_KERNEL) or a SIGTRAP sent (<= 0) is a signal */
    if (sig == SIGTRAP && stepping && (!has_si || (si.si_code > 0 && si.si_code != SI_KERNEL))) {
        th->pending_sig = 0;
        live_get_regs(t, th, NULL, NULL);
        ev->kind = CD_EV_STEP;
        ev->addr = th->regs.rip;
        return true;
    }
    if (sig == SIGINT && (t->interrupted || (has_si && ctrl_c(t, &si)))) {
        /* a ^C: it was meant for us, never for the program */
        th->pending_sig = 0;
        t->interrupted = 0;
        ev->kind = CD_EV_INTERRUPTED;
        return true;
    }
    ev->kind = CD_EV_SIGNAL;
    ev->sig = sig;
    if (has_si) {
        ev->si = si;
        ev->has_si = true;
    }
    return true;
}

/* Classifies the stops of held threads nobody has looked at yet (collected while everyone was being
 * stopped, or while another thread stepped): a breakpoint hit is kept for the next wait
 * (bp_pending, pc rewound so that it hits again if the breakpoint goes), anything else is queued.
 * None is lost, no signal is delivered unseen. */
static void sweep(cd_target *t)
{
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (!LT(th)->unrep || !th->held || th->gone)
            continue;
        cd_event ev;
        if (!classify(t, th, false, &ev))
            continue;
        if (ev.kind == CD_EV_BREAKPOINT)
            LT(th)->bp_pending = true;
        else
            q_push(t, &ev);
    }
}

static bool all_held_now(cd_target *t)
{
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (!th->gone && !LT(th)->zombie && !th->held)
            return false;
    }
    return true;
}

static void exit_event(cd_target *t, cd_event *ev)
{
    int st = L(t)->exit_status;
    ev->tid = t->pid;
    if (WIFSIGNALED(st)) {
        ev->kind = CD_EV_KILLED;
        ev->sig = WTERMSIG(st);
    } else {
        ev->kind = CD_EV_EXITED;
        ev->status = WEXITSTATUS(st);
    }
}

/* Waits for the end of a process that is exiting: every thread's status, the leader's last. */
static void wait_exit(cd_target *t)
{
    while (!L(t)->exited) {
        pid_t tid;
        int st;
        int r = wait_any(t, true, &tid, &st);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            process_gone(t, 0);
            break;
        }
        cd_thread *o = r ? find_live(t, tid) : NULL;
        if (o)
            on_status(t, o, st);
    }
}

/* After th exited: is the whole process on its way out (exit_group, a fatal signal)? Its held
 * threads were woken to die, and ptrace refuses them as no longer stopped even before their exits
 * are reported. */
static bool dying(cd_target *t, cd_thread *except)
{
    bool alive = false;
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (th == except || th->gone || LT(th)->zombie || !LT(th)->seized)
            continue;
        alive = true;
        if (!th->held)
            continue;
        errno = 0;
        ptrace(PTRACE_PEEKUSER, th->tid, 0, 0);
        return errno == ESRCH;
    }
    return !alive; /* nothing else lives: the leader's exit is coming */
}

/* ---- stepping ---- */

/* Single-steps held th by one instruction, delivering sig, with our int3 under its pc taken out for
 * that one instruction. Statuses of other threads that arrive meanwhile are applied (they stay
 * held; what they say is classified later by sweep()). Returns 0 with th's wait status (on_status
 * applied), or -1 when none came (th or the process gone). The caller clears l->stepping. */
static int step_core(cd_target *t, cd_thread *th, int sig, int *status)
{
    live *l = L(t);
    if (live_get_regs(t, th, NULL, NULL) < 0)
        return -1;
    lbp *b = find_bp(l, th->regs.rip);
    uint64_t baddr = b ? b->addr : 0;
    unsigned gen = l->exec_gen;
    if (b && raw_write(t, b->addr, &b->orig, 1) < 0)
        return -1;
    apply_dr(t, th);
    int rc = -1;
    l->stepping = th->tid; /* a fatal signal now: this thread's trap is ours */
    flush_regs(th);
    if (ptrace(PTRACE_SINGLESTEP, th->tid, 0, (void *)(long)sig) == 0) {
        set_held(t, th, false);
        set_expect(t, th, true);
        t->stop_gen++;
        while (!l->exited && !th->gone) {
            pid_t tid;
            int st;
            int r = wait_any(t, true, &tid, &st);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            cd_thread *o = r ? find_live(t, tid) : NULL;
            if (!o)
                continue;
            on_status(t, o, st);
            if (o == th && WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP && !LT(th)->group_stop &&
                sigtrap_queued(t->pid, th->tid) && ptrace(PTRACE_CONT, th->tid, 0, 0) == 0) {
                /* an interrupt (a ^C) that overtook the step's trap: the instruction ran and its
                 * SIGTRAP is queued; resumed, th takes it before running anything */
                set_held(t, th, false);
                set_expect(t, th, true);
                continue;
            }
            if (o == th) {
                *status = st;
                rc = 0;
                break;
            }
        }
    } else if (errno == ESRCH) {
        int st;
        if (waitpid(th->tid, &st, __WALL | WNOHANG) == th->tid) {
            on_status(t, th, st);
            *status = st;
            rc = 0;
        }
    }
    /* put the int3 back, unless the process exec'd meanwhile (its old image is gone) */
    unsigned char cc = 0xCC;
    if (b && !l->exited && l->exec_gen == gen && find_bp(l, baddr))
        raw_write(t, baddr, &cc, 1);
    /* l->stepping stays set until the caller has classified th's stop: until then th's SIGTRAP is
     * the step's for emergency() */
    return rc;
}

/* Executes the instruction under a breakpoint th sits on, with the original byte restored, before
 * th is resumed; every other thread is still held, so none can pass the breakpoint meanwhile. */
static void step_over_inner(cd_target *t, cd_thread *th, int sig);

static void regs_to_x86(const cd_regs *u, cd_x86_regs *x)
{
    const uint64_t g[16] = {u->rax, u->rcx, u->rdx, u->rbx, u->rsp, u->rbp, u->rsi, u->rdi,
                            u->r8,  u->r9,  u->r10, u->r11, u->r12, u->r13, u->r14, u->r15};
    memcpy(x->gpr, g, sizeof g);
    x->rip = u->rip;
    x->rflags = u->eflags;
}

static void x86_to_regs(const cd_x86_regs *x, cd_regs *u)
{
    u->rax = x->gpr[0], u->rcx = x->gpr[1], u->rdx = x->gpr[2], u->rbx = x->gpr[3];
    u->rsp = x->gpr[4], u->rbp = x->gpr[5], u->rsi = x->gpr[6], u->rdi = x->gpr[7];
    u->r8 = x->gpr[8], u->r9 = x->gpr[9], u->r10 = x->gpr[10], u->r11 = x->gpr[11];
    u->r12 = x->gpr[12], u->r13 = x->gpr[13], u->r14 = x->gpr[14], u->r15 = x->gpr[15];
    u->rip = x->rip;
    u->eflags = x->rflags;
}

#define EFLAGS_TF 0x100ull

/* Steps held th over the instruction under breakpoint b by doing what the CPU would (the few
 * instructions src/arch can emulate: a function's push/mov/sub/endbr64, an -O0 line's load or
 * store) instead of a single-step, which costs a second ptrace stop. th stays held throughout:
 * nothing runs, so a fatal signal to cdbg meanwhile finds th at the breakpoint (the registers are
 * written last, in one SETREGS, after any store the instruction makes, and running that store
 * again from the breakpoint writes the same bytes). True when done; false with nothing changed
 * when the CPU must do it: a watchpoint is set (a debug-register hit must not be lost), th has its
 * trap flag set (the program single-steps itself), th stopped inside a syscall (the kernel would
 * restart it at resume, moving rip), the memory access fails (let the CPU fault), would cross a
 * page or touch a breakpoint's byte. Memory goes through process_vm_readv/writev, which honour
 * the page protections as the CPU does (/proc/PID/mem would write a read-only page). */
static bool step_emulated(cd_target *t, cd_thread *th, lbp *b)
{
    live *l = L(t);
    if (l->dr7 || LT(th)->dr7 || (th->regs.eflags & EFLAGS_TF) || (int64_t)th->regs.orig_rax != -1 ||
        b->orig == 0xCC || l->no_x86)
        return false;
    if (!l->x86 && !(l->x86 = cd_x86_new(NULL))) {
        l->no_x86 = true;
        return false;
    }
    if (!b->emu_known) {
        uint8_t code[16];
        ssize_t n = live_read_mem(t, b->addr, code, sizeof code); /* the program's bytes, not our int3s */
        if (n <= 0)
            return false;
        cd_x86_emulable(l->x86, code, (size_t)n, b->addr, &b->emu);
        b->emu_known = true;
    }
    const cd_x86_emu *e = &b->emu;
    if (e->op == CD_EMU_NONE)
        return false;
    cd_x86_regs x;
    regs_to_x86(&th->regs, &x);
    cd_x86_mem m;
    if (!cd_x86_emu_mem(e, &x, &m))
        return false;
    uint64_t loaded = 0;
    if (m.dir) {
        for (size_t i = 0; i < l->nbps; i++)
            if (l->bps[i].addr >= m.addr && l->bps[i].addr < m.addr + m.size)
                return false;
        struct iovec lo = {m.dir == 'r' ? (void *)&loaded : (void *)&m.value, m.size};
        struct iovec re = {(void *)(uintptr_t)m.addr, m.size};
        ssize_t r = m.dir == 'r' ? process_vm_readv(t->pid, &lo, 1, &re, 1, 0)
                                 : process_vm_writev(t->pid, &lo, 1, &re, 1, 0);
        if (r != (ssize_t)m.size)
            return false;
    }
    cd_x86_emu_apply(e, &x, loaded);
    cd_regs u = th->regs;
    x86_to_regs(&x, &u);
    if (live_set_regs(t, th, &u, NULL) < 0)
        return false; /* gone meanwhile: the step path finds that out too */
    t->stop_gen++; /* registers and maybe memory changed as if th had run */
    return true;
}

static void step_over_bp(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    if (!l->nbps || !th->held || th->gone || LT(th)->group_stop)
        return;
    if (live_get_regs(t, th, NULL, NULL) < 0)
        return;
    lbp *b = find_bp(l, th->regs.rip);
    if (!b)
        return;
    uint64_t reloc = cd_cpatch_resume_pc(l->cp, b->addr);
    if (reloc) {
        /* a fast breakpoint in place: its stub runs the instructions under it, then comes back */
        cd_regs u = th->regs;
        u.rip = reloc;
        if (live_set_regs(t, th, &u, NULL) == 0) {
            t->stop_gen++;
            return;
        }
    }
    /* the signal (th->pending_sig) is delivered when th is resumed, after the instruction, as with
     * the single-step below */
    if (step_emulated(t, th, b))
        return;
    if ((t->event_mask & CD_EVM_BP_NONSTOP) && !all_held_now(t)) {
        /* the int3 comes out for the step: no other thread may run past it meanwhile; what they
         * stopped with is kept for wait() (sweep) */
        cd_err e;
        stop_threads(t, NULL, 0, false, &e);
        sweep(t);
    }
    step_over_inner(t, th, th->pending_sig); /* the signal is delivered when th is resumed, not on the step */
    l->stepping = 0;
}

static void step_over_inner(cd_target *t, cd_thread *th, int sig)
{
    for (int round = 0; round < 8; round++) {
        int st;
        if (step_core(t, th, 0, &st) < 0 || !th->held || th->gone)
            return;
        int event = st >> 16;
        if (event == 0 && WSTOPSIG(st) == SIGTRAP) {
            /* the step's trap; a watchpoint it hit (or a SIGTRAP sent to it) is an event of its own */
            cd_event ev;
            if (classify(t, th, true, &ev) && ev.kind != CD_EV_STEP)
                q_push(t, &ev);
            if (ev.kind == CD_EV_STEP || ev.kind == CD_EV_WATCH)
                th->pending_sig = sig;
            return;
        }
        if (event == PTRACE_EVENT_STOP && !LT(th)->group_stop && !t->interrupted)
            continue; /* a stale interrupt: the instruction has not run yet */
        /* an event stop (the instruction was a syscall: clone, fork, exec): the signal waits for
         * the resume; another signal that came first stays unreported for sweep() */
        if (event != 0 && th->pending_sig == 0)
            th->pending_sig = sig;
        return;
    }
}

static int release(cd_target *t, cd_thread *th, bool detach)
{
    if (!th->held || th->gone)
        return 0;
    lthr *lt = LT(th);
    lt->bp_pending = false;
    lt->unrep = false;
    q_drop_stop(t, th->tid);
    if (detach)
        clear_dr(th);
    else
        apply_dr(t, th);
    int sig = th->pending_sig;
    th->pending_sig = 0;
    flush_regs(th);
    /* a thread in a job-control stop stays stopped (LISTEN) until the program gets SIGCONT */
    enum __ptrace_request req = detach ? PTRACE_DETACH : lt->group_stop ? PTRACE_LISTEN : PTRACE_CONT;
    long r = ptrace(req, th->tid, 0, (void *)(long)sig);
    set_held(t, th, false);
    if (detach && r == 0)
        lt->seized = false;
    if (r < 0 && errno == ESRCH) {
        /* killed while held: reap it if its exit is already there */
        int st;
        if (waitpid(th->tid, &st, __WALL | WNOHANG) == th->tid)
            on_status(t, th, st);
    }
    return 0;
}

static int live_resume(cd_target *t, cd_thread **ths, size_t n, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot resume: process %d exited", (int)t->pid);
    /* look, don't touch: in non-stop mode a released thread is also untraced, so a signal it
     * receives later does not park it in a ptrace-stop nobody is waiting for */
    bool detach = l->mode == CD_ATTACH_NONSTOP;
    size_t cnt = n ? n : t->nthreads;
    /* every step over a breakpoint first, while no thread runs that could pass it */
    for (size_t i = 0; i < cnt; i++)
        step_over_bp(t, n ? ths[i] : t->threads[i]);
    for (size_t i = 0; i < cnt; i++)
        release(t, n ? ths[i] : t->threads[i], detach);
    t->stop_gen++;
    return 0;
}

static void give_tty(cd_target *t);
static void take_tty(cd_target *t);

/* After th ran alone (st: its last wait status): the process exec'd (th may have been another
 * thread: its TID went with the old image), exited, or th is gone. true with that event in ev. */
static bool solo_ended(cd_target *t, cd_thread *th, int st, cd_event *ev)
{
    if (q_take(t, t->pid, CD_EV_EXEC, ev))
        return true;
    if (L(t)->exited) {
        exit_event(t, ev);
        return true;
    }
    if (!th->gone)
        return false;
    if (dying(t, th)) {
        wait_exit(t);
        exit_event(t, ev);
        return true;
    }
    /* its own exit is this event: not queued a second time */
    cd_event q;
    while (q_take(t, th->tid, CD_EV_THREAD_EXIT, &q))
        ;
    ev->kind = CD_EV_THREAD_EXIT;
    if (WIFEXITED(st))
        ev->status = WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
        ev->sig = WTERMSIG(st);
    return true;
}

static int live_step(cd_target *t, cd_thread *th, int sig, cd_event *ev, cd_err *err)
{
    live *l = L(t);
    memset(ev, 0, sizeof *ev);
    if (check_held(t, th, "single-step", err) < 0)
        return -1;
    if (sig < 0 || sig >= NSIG)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "cannot single-step with signal %d: no such signal", sig);
    ev->tid = th->tid;
    if (t->interrupted) {
        t->interrupted = 0;
        ev->kind = CD_EV_INTERRUPTED;
        ev->all_held = all_held_now(t);
        return 0;
    }
    LT(th)->bp_pending = false;
    q_drop_stop(t, th->tid);
    give_tty(t);
    for (int round = 0;; round++) {
        int st = 0;
        int r = step_core(t, th, sig, &st);
        sig = 0;
        if (solo_ended(t, th, st, ev))
            break;
        if (r < 0) {
            l->stepping = 0;
            take_tty(t);
            return cd_failk(err, CD_EXIT_CMD, errno == ESRCH ? CD_EK_THREAD_GONE : CD_EK_OTHER,
                            "cannot single-step thread %d: %s", (int)th->tid, strerror(errno));
        }
        int event = st >> 16, s = WSTOPSIG(st);
        if (event == 0) {
            if (classify(t, th, true, ev))
                break;
            continue;
        }
        if (event == PTRACE_EVENT_STOP) {
            if (is_group_stop_sig(s)) {
                ev->kind = CD_EV_SIGNAL;
                ev->sig = s;
                break;
            }
            if (t->interrupted) {
                t->interrupted = 0;
                ev->kind = CD_EV_INTERRUPTED;
                break;
            }
            if (round < 64)
                continue; /* a stale interrupt: the instruction has not run yet */
        }
        /* fork, vfork, their end and exec are reported at once (a vfork parent cannot finish its
         * instruction before its child lets the memory go); a clone is queued and the step goes on */
        if (q_take(t, th->tid, CD_EV_FORK, ev) || q_take(t, th->tid, CD_EV_VFORK, ev) ||
            q_take(t, th->tid, CD_EV_VFORK_DONE, ev))
            break;
    }
    l->stepping = 0;
    take_tty(t);
    if (!l->exited) {
        collect(t); /* a thread it created: held before anyone looks */
        sweep(t);
    }
    ev->all_held = all_held_now(t);
    return 0;
}

/* run_one(): new threads (created during the run by th or by one of them) are let go: the run's
 * work may wait for them. A thread whose first stop is not in yet is collected first. */
typedef struct {
    pid_t *tids;
    size_t n, cap;
} solo_kids;

static bool solo_kid(const solo_kids *k, pid_t tid)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->tids[i] == tid)
            return true;
    return false;
}

/* o stopped in a clone event: its new thread is held at its first stop, then both go on. */
static void solo_clone(cd_target *t, cd_thread *o, solo_kids *k, bool release_o)
{
    unsigned long msg = 0;
    if (ptrace(PTRACE_GETEVENTMSG, o->tid, 0, &msg) < 0 || !msg)
        return;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 4;
        k->tids = cd_xrealloc(k->tids, k->cap * sizeof *k->tids);
    }
    k->tids[k->n++] = (pid_t)msg;
    collect(t);
    cd_thread *nt = find_live(t, (pid_t)msg);
    if (nt && nt->held && !LT(nt)->unrep && !t->interrupted)
        release(t, nt, false);
    if (release_o && !t->interrupted)
        release(t, o, false);
}

static int live_run_one(cd_target *t, cd_thread *th, cd_event *ev, cd_err *err)
{
    live *l = L(t);
    memset(ev, 0, sizeof *ev);
    if (check_held(t, th, "run", err) < 0)
        return -1;
    ev->tid = th->tid;
    if (t->interrupted) {
        t->interrupted = 0;
        ev->kind = CD_EV_INTERRUPTED;
        ev->all_held = all_held_now(t);
        return 0;
    }
    LT(th)->bp_pending = false;
    LT(th)->unrep = false;
    q_drop_stop(t, th->tid);
    give_tty(t);
    solo_kids kids = {0};
    int rc = 0;
    /* off a breakpoint of ours under pc first (as cont does), every other thread still held; what
     * that instruction ran into is the run's event */
    step_over_bp(t, th);
    bool first = true;
    for (;; first = false) {
        if (first && (l->exited || th->gone || q_take(t, th->tid, CD_EV_WATCH, ev) ||
                      q_take(t, th->tid, CD_EV_SIGNAL, ev) || q_take(t, t->pid, CD_EV_EXEC, ev))) {
            if (l->exited)
                exit_event(t, ev);
            else if (th->gone) {
                ev->kind = CD_EV_THREAD_EXIT;
                ev->tid = th->tid;
            }
            break;
        }
        int st = 0;
        bool got = false;
        apply_dr(t, th);
        flush_regs(th);
        l->solo = th->tid;
        if (t->interrupted) {
            /* a ^C since the last stop: th stays where it is (one after this is interrupt()'s) */
            t->interrupted = 0;
            ev->kind = CD_EV_INTERRUPTED;
            break;
        }
        if (ptrace(PTRACE_CONT, th->tid, 0, 0) == 0) {
            set_held(t, th, false);
            set_expect(t, th, true);
            t->stop_gen++;
            while (!l->exited && !th->gone) {
                pid_t tid;
                int r = wait_any(t, true, &tid, &st);
                if (r < 0) {
                    if (errno == EINTR)
                        continue;
                    break;
                }
                cd_thread *o = r ? find_live(t, tid) : NULL;
                if (!o)
                    continue;
                on_status(t, o, st);
                if (o == th) {
                    got = true;
                    break;
                }
                /* a thread of the run's: its first stop or a clone goes on, anything else holds it */
                if (!solo_kid(&kids, o->tid) || !WIFSTOPPED(st) || t->interrupted)
                    continue;
                int oev = st >> 16;
                if (oev == PTRACE_EVENT_CLONE)
                    solo_clone(t, o, &kids, true);
                else if (oev == PTRACE_EVENT_STOP && !LT(o)->group_stop)
                    release(t, o, false);
            }
        } else if (errno == ESRCH) {
            if (waitpid(th->tid, &st, __WALL | WNOHANG) == th->tid) {
                on_status(t, th, st);
                got = true;
            }
        }
        l->solo = 0;
        if (solo_ended(t, th, st, ev))
            break;
        if (!got) {
            int e = errno;
            rc = cd_failk(err, CD_EXIT_CMD, e == ESRCH ? CD_EK_THREAD_GONE : CD_EK_OTHER, "cannot run thread %d: %s",
                          (int)th->tid, strerror(e));
            break;
        }
        int event = st >> 16, s = WSTOPSIG(st);
        if (event == 0) {
            if (classify(t, th, false, ev))
                break;
            continue; /* the trap of a breakpoint or watchpoint taken out since */
        }
        if (event == PTRACE_EVENT_STOP) {
            if (is_group_stop_sig(s)) {
                ev->kind = CD_EV_SIGNAL;
                ev->sig = s;
                break;
            }
            if (t->interrupted) {
                t->interrupted = 0;
                ev->kind = CD_EV_INTERRUPTED;
                break;
            }
            continue; /* a stale interrupt */
        }
        if (event == PTRACE_EVENT_CLONE) {
            solo_clone(t, th, &kids, false);
            continue;
        }
        if (q_take(t, th->tid, CD_EV_FORK, ev) || q_take(t, th->tid, CD_EV_VFORK, ev) ||
            q_take(t, th->tid, CD_EV_VFORK_DONE, ev))
            break;
        /* anything else (a fork the backend handles itself): th goes on */
    }
    l->solo = 0;
    take_tty(t);
    if (!l->exited) {
        /* the threads of the run still running: held again, what they stopped with kept */
        for (size_t i = 0; i < kids.n; i++) {
            cd_thread *kt = find_live(t, kids.tids[i]);
            if (kt)
                seize_interrupt(t, kt, false);
        }
        collect(t);
        sweep(t);
    }
    free(kids.tids);
    ev->all_held = all_held_now(t);
    return rc;
}

/* ---- syscall state, modules, mappings, threads ---- */

static int live_syscall_state(cd_target *t, cd_thread *th, cd_syscall_state *out, cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->nr = -1;
    if (L(t)->exited || th->gone)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "cannot read the syscall state of thread %d: it has exited", (int)th->tid);
    if (cd_procfs_read_syscall(t->pid, th->tid, out) == 0)
        return 0;
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)t->pid, (int)th->tid);
    if (errno == EBADMSG)
        return cd_fail(err, CD_EXIT_CMD, "cannot parse %s: unexpected contents", path);
    return cd_fail(err, CD_EXIT_CMD, "cannot read %s: %s", path, errno == ENODATA ? "empty" : strerror(errno));
}

/* What a held thread was doing when it stopped. /proc says only 't' (traced) for every one of
 * them; the registers tell a thread stopped inside a blocking syscall (the kernel will restart it,
 * or it returns EINTR) from one stopped in its own code (a breakpoint, an interrupt). */
static char held_state(cd_target *t, cd_thread *th)
{
    if (LT(th)->group_stop)
        return 'T';
    if (live_get_regs(t, th, NULL, NULL) < 0)
        return th->state;
    if (th->orig_rax >= 0) {
        int64_t rax = (int64_t)th->regs.rax;
        /* -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK, -EINTR */
        if (rax == -512 || rax == -513 || rax == -514 || rax == -516 || rax == -EINTR)
            return 'S';
    }
    return 'T';
}

static void live_describe_thread(cd_target *t, cd_thread *th)
{
    lthr *lt = LT(th);
    if (L(t)->exited || th->gone || lt->zombie)
        return;
    if (!th->held) {
        char st;
        if (!stat_fresh(th) && read_thread_stat(t, th, &st) == 0)
            th->state = st;
        return;
    }
    if (lt->described && lt->desc_gen == t->stop_gen)
        return;
    /* read at most once per hold: internal stops (a breakpoint whose condition is false) that
     * nobody looks at never pay for it */
    if (!lt->named_at_seize)
        read_thread_stat(t, th, NULL);
    th->state = held_state(t, th);
    lt->described = true;
    lt->desc_gen = t->stop_gen;
}

static uint64_t read_auxv(pid_t pid, uint64_t type);

static int maps_report(Dwfl *dwfl, char *text, size_t len)
{
    if (!len)
        return 0;
    FILE *f = fmemopen(text, len, "r");
    if (!f)
        return errno;
    int r = dwfl_linux_proc_maps_report(dwfl, f);
    fclose(f);
    return r;
}

/* dwfl_linux_proc_report's modules, as it reports them, from only the lines that name a file: a
 * process of 1000 threads has 2000 anonymous mappings (each stack and its guard page), which
 * libdwfl would read 1 KiB at a time and sscanf one by one only to skip them. The vDSO is the one
 * mapping without a file that is a module: libdwfl reports it, named "[vdso: PID]", at the line
 * AT_SYSINFO_EHDR points to, after the modules before it; so do the three steps here. */
static int report_file_maps(Dwfl *dwfl, pid_t pid)
{
    uint64_t vdso = read_auxv(pid, AT_SYSINFO_EHDR);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    size_t len;
    char *maps = cd_read_file(path, &len);
    if (!maps)
        return errno;
    size_t keep = 0;
    uint64_t vlo = 0, vhi = 0;
    size_t vat = SIZE_MAX; /* where the vDSO line was, in the kept text */
    for (char *line = maps; line < maps + len;) {
        char *nl = memchr(line, '\n', (size_t)(maps + len - line));
        char *end = nl ? nl + 1 : maps + len;
        /* "START-END PERMS OFFSET DEV INODE   PATH": a file's path starts with '/' */
        char *slash = memchr(line, '/', (size_t)(end - line));
        char *dash;
        uint64_t lo = strtoull(line, &dash, 16);
        if (vdso && lo == vdso && *dash == '-' && vat == SIZE_MAX) {
            vlo = lo;
            vhi = strtoull(dash + 1, NULL, 16);
            vat = keep;
        } else if (slash) {
            memmove(maps + keep, line, (size_t)(end - line));
            keep += (size_t)(end - line);
        }
        line = end;
    }
    int r;
    if (vat == SIZE_MAX) {
        r = maps_report(dwfl, maps, keep);
    } else {
        char name[32];
        snprintf(name, sizeof name, "[vdso: %d]", (int)pid);
        r = maps_report(dwfl, maps, vat);
        if (r == 0 && !dwfl_report_module(dwfl, name, vlo, vhi))
            r = -1;
        if (r == 0)
            r = maps_report(dwfl, maps + vat, keep - vat);
    }
    free(maps);
    return r;
}

static int live_report_modules(cd_target *t, Dwfl *dwfl, cd_err *err)
{
    if (L(t)->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot list modules: process %d exited", (int)t->pid);
    int r = report_file_maps(dwfl, t->pid);
    if (r != 0)
        return cd_fail(err, CD_EXIT_TARGET, "cannot list the modules of process %d from /proc/%d/maps: %s",
                       (int)t->pid, (int)t->pid, r > 0 ? strerror(r) : dwfl_errmsg(-1));
    return 0;
}

static int live_mappings(cd_target *t, const cd_mapping **out, size_t *n, cd_err *err)
{
    live *l = L(t);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)t->pid);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return cd_fail(err, CD_EXIT_CMD, "cannot read %s: %s", path, strerror(errno));
    cd_procfs_free_maps(l->maps, l->nmaps);
    cd_procfs_parse_maps(s, &l->maps, &l->nmaps);
    free(s);
    *out = l->maps;
    *n = l->nmaps;
    return 0;
}

/* Harvests exits (and any other status) already reported, without blocking. */
static int harvest(cd_target *t, bool *news, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return exited_error(t, err);
    pid_t tid;
    int st;
    while (wait_any(t, false, &tid, &st) == 1) {
        cd_thread *th = find_live(t, tid);
        /* a stop nobody asked for leaves the thread held; its signal is delivered on resume */
        if (th)
            on_status(t, th, st);
        *news = true;
    }
    if (l->exited)
        return exited_error(t, err);
    return 0;
}

static int live_check_alive(cd_target *t, int wait_ms, cd_err *err)
{
    bool news = false;
    uint64_t until = cd_now_ns() + (uint64_t)(wait_ms > 0 ? wait_ms : 0) * 1000000ull;
    for (;;) {
        if (harvest(t, &news, err) < 0)
            return -1;
        if (cd_now_ns() >= until)
            return 0;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    }
}

static int live_refresh_threads(cd_target *t, cd_err *err)
{
    live *l = L(t);
    bool news = false;
    if (harvest(t, &news, err) < 0)
        return -1;
    /* A held thread can neither start a thread nor exit without us being told (SIGKILL shows as an
     * exit status, harvested above): with every thread held and nothing new, the list is current,
     * and re-reading /proc (a file per thread) is skipped. */
    if (!news && t->nthreads > 0) {
        bool all_held_now = true;
        for (size_t i = 0; i < t->nthreads && all_held_now; i++) {
            cd_thread *th = t->threads[i];
            if (!th->gone && !LT(th)->zombie && !(th->held && LT(th)->seized))
                all_held_now = false;
        }
        if (all_held_now)
            return 0;
    }
    pid_t *tids;
    size_t n;
    if (cd_procfs_list_tasks(t->pid, &tids, &n) < 0) {
        process_gone(t, 0);
        return exited_error(t, err);
    }
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (th->gone)
            continue;
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = tids[j] == th->tid;
        if (!found && !LT(th)->seized)
            thread_gone(t, th);
        else if (found && !stat_fresh(th)) {
            char s;
            if (read_thread_stat(t, th, &s) == 0 && !th->held)
                th->state = s;
        }
    }
    bool all_held = t->nthreads > 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (!th->gone && !LT(th)->zombie && !th->held)
            all_held = false;
    }
    size_t before = t->nthreads;
    for (size_t j = 0; j < n; j++) {
        if (!find_live(t, tids[j])) {
            cd_thread *th = add_thread(t, tids[j]);
            char s;
            if (cd_procfs_read_stat(t->pid, th->tid, th->name, &s) == 0) {
                th->state = s;
                LT(th)->zombie = s == 'Z' || s == 'X';
            }
        }
    }
    free(tids);
    probe_new(t, before);
    collect(t);
    /* all-stop: a thread that appeared while everything was held is held too */
    if (l->mode == CD_ATTACH_STOP_ALL && all_held && t->nthreads > before) {
        for (size_t i = before; i < t->nthreads; i++)
            if (seize_interrupt(t, t->threads[i], false) < 0) {
                int e = errno;
                collect(t);
                return seize_error(t, t->threads[i]->tid, e, err);
            }
        collect(t);
    }
    return 0;
}

/* ---- execution control ---- */

static int live_insert_bp(cd_target *t, uint64_t addr, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot set a breakpoint: process %d exited", (int)t->pid);
    if (find_bp(l, addr))
        return 0;
    unsigned char orig;
    if (live_read_mem(t, addr, &orig, 1) != 1)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot set a breakpoint at 0x%llx: the address is not readable",
                       (unsigned long long)addr);
    unsigned char cc = 0xCC;
    if (raw_write(t, addr, &cc, 1) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot set a breakpoint at 0x%llx: %s", (unsigned long long)addr,
                       strerror(errno));
    if (l->nbps == l->capbps) {
        l->capbps = l->capbps ? 2 * l->capbps : 8;
        l->bps = cd_xrealloc(l->bps, l->capbps * sizeof *l->bps);
    }
    l->bps[l->nbps++] = (lbp){.addr = addr, .orig = orig};
    return 0;
}

static int live_remove_bp(cd_target *t, uint64_t addr, cd_err *err)
{
    live *l = L(t);
    lbp *b = find_bp(l, addr);
    if (!b)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "no breakpoint at 0x%llx", (unsigned long long)addr);
    if (!l->exited && cd_fastbp_disarm(t, addr, err) < 0)
        return -1;
    if (!l->exited && raw_write(t, addr, &b->orig, 1) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot remove the breakpoint at 0x%llx: %s", (unsigned long long)addr,
                       strerror(errno));
    retire(l, b);
    *b = l->bps[--l->nbps];
    return 0;
}

static cd_thread *pending_bp_thread(cd_target *t)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (LT(t->threads[i])->bp_pending && t->threads[i]->held && !t->threads[i]->gone)
            return t->threads[i];
    return NULL;
}

/* A hit kept for the next wait (bp_pending) of a breakpoint taken out since (delete, disable) is no
 * news. Its pc was rewound to the breakpoint's address (the int3 stood in place of the instruction,
 * which did not run), so the thread runs that instruction when it is released with the others.
 * Were it kept as news, cont would release no thread, and wait() would find nothing to report and
 * wait for threads that all stay held. */
static void drop_spent_hits(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (!LT(th)->bp_pending || !th->held || th->gone)
            continue;
        if (live_get_regs(t, th, NULL, NULL) < 0 || !find_bp(l, th->regs.rip))
            LT(th)->bp_pending = false;
    }
}

/* Something to report before anything runs: a ^C, a breakpoint hit or an event held back. */
static bool news_pending(cd_target *t)
{
    return t->interrupted || L(t)->nq > 0 || pending_bp_thread(t);
}

static int live_cont(cd_target *t, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot continue: process %d exited", (int)t->pid);
    /* wait() needs every thread traced: seize the ones non-stop mode left alone */
    bool unseized = l->mode != CD_ATTACH_STOP_ALL;
    for (size_t i = 0; i < t->nthreads && !unseized; i++) {
        cd_thread *th = t->threads[i];
        unseized = !th->gone && !LT(th)->zombie && !LT(th)->seized;
    }
    if (unseized) {
        l->mode = CD_ATTACH_STOP_ALL;
        if (live_stop(t, NULL, 0, err) < 0)
            return -1;
    }
    /* ^C since the last stop (while a condition was evaluated, say), a breakpoint hit or an event
     * not reported yet: nothing runs, and wait() reports it (all-stop) */
    sweep(t);
    drop_spent_hits(t);
    if (!news_pending(t)) {
        /* every step over a breakpoint first, while no thread runs that could pass it; a thread
         * whose hit is not reported yet is not stepped past it (non-stop mode: the step of one
         * thread held the others, some of them at a breakpoint) */
        for (size_t i = 0; i < t->nthreads; i++)
            if (!LT(t->threads[i])->bp_pending)
                step_over_bp(t, t->threads[i]);
        sweep(t);
    }
    if (l->exited || news_pending(t)) {
        l->running = !l->exited;
        return 0;
    }
    l->intr_tid = 0;
    for (size_t i = 0; i < t->nthreads && !l->intr_tid; i++)
        if (!t->threads[i]->gone && !LT(t->threads[i])->zombie)
            l->intr_tid = t->threads[i]->tid;
    give_tty(t);
    for (size_t i = 0; i < t->nthreads; i++)
        release(t, t->threads[i], false);
    t->stop_gen++;
    l->running = true;
    return 0;
}

/* After an event: hold every other thread; what they stopped with meanwhile is kept (sweep). */
static void stop_all_after_event(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < t->nthreads; i++)
        seize_interrupt(t, t->threads[i], false);
    collect(t);
    l->running = false;
    sweep(t);
}

/* Returns 0 with *ev, or 1 when deadline (0: none) passed first. */
static int wait_inner(cd_target *t, cd_event *ev, uint64_t deadline)
{
    live *l = L(t);
    if (!t->interrupted) {
        cd_thread *pb;
        while ((pb = pending_bp_thread(t)) != NULL) {
            LT(pb)->bp_pending = false;
            if (live_get_regs(t, pb, NULL, NULL) < 0 || !find_bp(l, pb->regs.rip))
                continue; /* taken out since: the thread just runs the instruction */
            l->running = false;
            ev->kind = CD_EV_BREAKPOINT;
            ev->tid = pb->tid;
            ev->addr = pb->regs.rip;
            ev->all_held = all_held_now(t);
            return 0;
        }
        if (q_take(t, 0, CD_EV_NONE, ev)) {
            l->running = false;
            ev->all_held = all_held_now(t);
            return 0;
        }
    }
    for (;;) {
        if (t->interrupted) {
            stop_all_after_event(t);
            t->interrupted = 0;
            ev->kind = CD_EV_INTERRUPTED;
            ev->tid = l->intr_tid;
            ev->all_held = all_held_now(t);
            return 0;
        }
        pid_t tid;
        int st;
        int r = wait_any_until(t, deadline, &tid, &st);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            process_gone(t, 0);
            exit_event(t, ev);
            return 0;
        }
        if (r == 0) {
            if (deadline && cd_now_ns() >= deadline)
                return 1;
            continue;
        }
        cd_thread *th = find_live(t, tid);
        if (!th)
            continue;
        on_status(t, th, st);
        if (l->exited) {
            exit_event(t, ev);
            return 0;
        }
        if (th->gone && th->tid == l->intr_tid) {
            /* interrupt() must target a thread that can still stop */
            pid_t nt = 0;
            for (size_t i = 0; i < t->nthreads && !nt; i++)
                if (!t->threads[i]->gone && !LT(t->threads[i])->zombie)
                    nt = t->threads[i]->tid;
            l->intr_tid = nt;
        }
        if (q_take(t, 0, CD_EV_NONE, ev)) {
            /* clone and thread exit are notices: only the thread concerned stops */
            if (ev->kind != CD_EV_CLONE && ev->kind != CD_EV_THREAD_EXIT)
                stop_all_after_event(t);
            l->running = false;
            ev->all_held = all_held_now(t);
            return 0;
        }
        if (th->gone)
            continue;
        int sig = WSTOPSIG(st), event = st >> 16;
        if (event == PTRACE_EVENT_STOP && is_group_stop_sig(sig)) {
            ev->kind = CD_EV_SIGNAL;
            ev->tid = tid;
            ev->sig = sig;
        } else if (event != 0) {
            /* a clone or fork nobody asked about, a new thread's first stop, or an interrupt trap
             * nobody waits for */
            if (t->interrupted)
                continue;
            release(t, th, false);
            continue;
        } else if (!classify(t, th, false, ev)) {
            release(t, th, false); /* spent */
            continue;
        }
        if (ev->kind == CD_EV_BREAKPOINT && (t->event_mask & CD_EVM_BP_NONSTOP)) {
            /* a tracepoint: the others run on (l->running stays set) */
            ev->all_held = all_held_now(t);
            return 0;
        }
        stop_all_after_event(t);
        ev->all_held = all_held_now(t);
        return 0;
    }
}

/* A hit in non-stop breakpoint mode: the other threads run on, and so the terminal stays the
 * program's (taken back, a thread of it that writes or reads there would be stopped by SIGTTOU
 * or SIGTTIN). */
static bool tracepoint_hit(cd_target *t, const cd_event *ev)
{
    return ev->kind == CD_EV_BREAKPOINT && (t->event_mask & CD_EVM_BP_NONSTOP) && !ev->all_held;
}

static int live_wait(cd_target *t, cd_event *ev, cd_err *err)
{
    live *l = L(t);
    memset(ev, 0, sizeof *ev);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot wait: process %d exited", (int)t->pid);
    if (!l->running)
        return cd_fail(err, CD_EXIT_CMD, "cannot wait: process %d is not running; continue it first", (int)t->pid);
    int rc = wait_inner(t, ev, 0);
    if (!tracepoint_hit(t, ev))
        take_tty(t);
    return rc;
}

static int live_wait_timeout(cd_target *t, int timeout_ms, cd_event *ev, cd_err *err)
{
    live *l = L(t);
    if (timeout_ms < 0)
        return live_wait(t, ev, err);
    memset(ev, 0, sizeof *ev);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot wait: process %d exited", (int)t->pid);
    if (!l->running)
        return cd_fail(err, CD_EXIT_CMD, "cannot wait: process %d is not running; continue it first", (int)t->pid);
    /* deadline 0 means none: a timeout of 0 ms is 1 ns */
    int rc = wait_inner(t, ev, cd_now_ns() + (uint64_t)timeout_ms * 1000000ull + 1);
    if (rc == 0 && !tracepoint_hit(t, ev))
        take_tty(t); /* 1: still running, the terminal still the program's */
    return rc;
}

static void live_interrupt(cd_target *t)
{
    live *l = L(t);
    pid_t st = l->stepping > 0 ? l->stepping : l->solo;
    if (st > 0) {
        /* a step that does not end by itself (a blocking system call) */
        syscall(SYS_ptrace, PTRACE_INTERRUPT, st, 0, 0);
        return;
    }
    pid_t tid = l->intr_tid;
    /* held threads need no interrupt: cont() sees t->interrupted and runs nothing */
    if (tid > 0 && l->running)
        syscall(SYS_ptrace, PTRACE_INTERRUPT, tid, 0, 0);
}

/* ---- fork and exec ---- */

/* Writes the original bytes of our breakpoints into a fork child's copy of the memory (the child
 * is in a ptrace-stop). */
static void clean_child(cd_target *t, pid_t child)
{
    live *l = L(t);
    if (!l->nbps)
        return;
    char path[64];
    proc_path(path, child, 0, "mem");
    int fd = open(path, O_RDWR | O_CLOEXEC);
    for (size_t i = 0; i < l->nbps; i++) {
        lbp *b = &l->bps[i];
        if (fd >= 0 && pwrite(fd, &b->orig, 1, (off_t)b->addr) == 1)
            continue;
        uint64_t a = b->addr & ~7ull;
        errno = 0;
        long w = ptrace(PTRACE_PEEKDATA, child, (void *)(uintptr_t)a, 0);
        if (errno)
            continue;
        ((unsigned char *)&w)[b->addr - a] = b->orig;
        ptrace(PTRACE_POKEDATA, child, (void *)(uintptr_t)a, (void *)w);
    }
    if (fd >= 0)
        close(fd);
}

static kid *kid_find(live *l, pid_t pid)
{
    for (size_t i = 0; i < l->nkids; i++)
        if (l->kids[i].pid == pid)
            return &l->kids[i];
    return NULL;
}

static bool kid_add(live *l, pid_t pid, bool vfork, bool held)
{
    if (l->nkids == KIDS_MAX)
        return false;
    l->kids[l->nkids] = (kid){pid, vfork, held, 0};
    l->nkids++;
    return true;
}

static void kid_del(live *l, kid *k)
{
    *k = l->kids[l->nkids - 1];
    l->nkids--;
}

/* A fork or vfork child at its first stop, not followed: let it go. A fork child first gets the
 * original bytes under our int3s in its copy of the memory. A vfork child runs on our memory until
 * it execs or exits, where writing would take the parent's breakpoints out: it stays traced until
 * then, stepped over any int3 of ours it runs into (kid_status), and is detached at its exec. */
static void let_go(cd_target *t, pid_t child, bool vfork)
{
    live *l = L(t);
    if (!vfork) {
        clean_child(t, child);
        ptrace(PTRACE_DETACH, child, 0, 0);
    } else if (kid_add(l, child, true, false)) {
        ptrace(PTRACE_CONT, child, 0, 0);
    } else {
        ptrace(PTRACE_DETACH, child, 0, 0); /* no room to follow it: best effort */
    }
}

/* th stopped at PTRACE_EVENT_FORK/VFORK: the child is traced too (the options are inherited) and
 * stops before it runs anything. */
static void on_fork(cd_target *t, cd_thread *th, int event)
{
    live *l = L(t);
    unsigned long msg = 0;
    if (ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &msg) < 0 || !msg)
        return;
    pid_t child = (pid_t)msg;
    bool vfork = event == PTRACE_EVENT_VFORK;
    int st;
    pid_t w;
    do
        w = waitpid(child, &st, __WALL);
    while (w < 0 && errno == EINTR);
    if (w != child || !WIFSTOPPED(st))
        return; /* killed before its first stop */
    if (!vfork && l->cp) {
        /* the child's copy of a fast breakpoint's jmp goes back to the int3 (its memory is its
         * own: the parent's stubs are disarmed without it), its stubs' int3s to nops */
        char path[64];
        proc_path(path, child, 0, "mem");
        int fd = open(path, O_RDWR | O_CLOEXEC);
        cd_cpatch_undo(l->cp, fd_undo_write, &fd);
        if (fd >= 0)
            close(fd);
    }
    if ((t->event_mask & CD_EVM_FORK) && kid_add(l, child, vfork, true)) {
        cd_event ev = {.kind = vfork ? CD_EV_VFORK : CD_EV_FORK, .tid = th->tid, .child = child, .all_held = true};
        q_push(t, &ev);
        return;
    }
    let_go(t, child, vfork);
}

/* A status of a vfork child we keep traced (see let_go). */
static void kid_status(cd_target *t, kid *k, int st)
{
    live *l = L(t);
    pid_t pid = k->pid;
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
        kid_del(l, k);
        return;
    }
    if (!WIFSTOPPED(st) || k->held)
        return;
    int sig = WSTOPSIG(st), event = st >> 16;
    for (int round = 0; round < 16; round++) {
        if (event == PTRACE_EVENT_EXEC) {
            /* its own memory from now on: nothing of ours in it */
            ptrace(PTRACE_DETACH, pid, 0, 0);
            kid_del(l, k);
            return;
        }
        if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK) {
            /* its child is traced too; its copy of the memory is ours, int3s included */
            unsigned long gc = 0;
            int gst;
            if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &gc) == 0 && gc && waitpid((pid_t)gc, &gst, __WALL) == (pid_t)gc &&
                WIFSTOPPED(gst))
                let_go(t, (pid_t)gc, event == PTRACE_EVENT_VFORK);
            k = kid_find(l, pid); /* let_go may have moved the array's entries */
        }
        int pass = 0;
        if (event == 0 && sig == SIGTRAP) {
            cd_regs r;
            siginfo_t si;
            lbp *b = NULL;
            if (ptrace(PTRACE_GETREGS, pid, 0, &r) == 0 && ptrace(PTRACE_GETSIGINFO, pid, 0, &si) == 0 &&
                si.si_code == SI_KERNEL && (b = find_bp(l, r.rip - 1)) != NULL) {
                /* our int3: rewind and execute the instruction under it, with the byte put back
                 * for that one step (the memory is the parent's too) */
                r.rip--;
                unsigned char cc = 0xCC;
                uint64_t addr = b->addr;
                unsigned gen = l->exec_gen;
                int s2 = 0;
                if (ptrace(PTRACE_SETREGS, pid, 0, &r) == 0 && raw_write(t, addr, &b->orig, 1) == 0) {
                    pid_t w = -1;
                    if (ptrace(PTRACE_SINGLESTEP, pid, 0, 0) == 0)
                        do
                            w = waitpid(pid, &s2, __WALL);
                        while (w < 0 && errno == EINTR);
                    if (l->exec_gen == gen && find_bp(l, addr))
                        raw_write(t, addr, &cc, 1);
                    if (w != pid)
                        return;
                    if (WIFEXITED(s2) || WIFSIGNALED(s2)) {
                        kid_del(l, k);
                        return;
                    }
                    sig = WSTOPSIG(s2);
                    event = s2 >> 16;
                    siginfo_t si2;
                    if (event == 0 && sig == SIGTRAP && ptrace(PTRACE_GETSIGINFO, pid, 0, &si2) == 0 &&
                        si2.si_code > 0 && si2.si_code != SI_KERNEL)
                        sig = 0; /* the step's trap */
                    else
                        continue; /* what stopped it instead: handled as a status of its own */
                }
            } else if (b == NULL && si.si_code == SI_KERNEL && cd_cpatch_trap(l->cp, r.rip, true)) {
                pass = 0; /* a fast breakpoint's stub in the vfork child: it goes on past the int3 */
            } else {
                pass = sig;
            }
        } else if (event == 0) {
            pass = sig;
        }
        ptrace(event == PTRACE_EVENT_STOP && is_group_stop_sig(sig) ? PTRACE_LISTEN : PTRACE_CONT, pid, 0,
               (void *)(long)pass);
        return;
    }
}

/* wait_any(): p's status is pending; if p is a vfork child we keep, takes and handles it. */
static bool kid_take(cd_target *t, pid_t p)
{
    live *l = L(t);
    kid *k = kid_find(l, p);
    if (!k)
        return false;
    int st;
    pid_t w;
    do
        w = waitpid(p, &st, __WALL | WNOHANG);
    while (w < 0 && errno == EINTR);
    if (w == p)
        kid_status(t, k, st);
    else if (w < 0)
        kid_del(l, k); /* not ours any more */
    return true;
}

/* The value of TYPE in /proc/PID/auxv (AT_ENTRY: the entry point of the image a process runs;
 * AT_SYSINFO_EHDR: where the vDSO's ELF header is mapped), 0 if unknown. */
static uint64_t read_auxv(pid_t pid, uint64_t type)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/auxv", (int)pid);
    size_t len = 0;
    char *buf = cd_read_file(path, &len);
    uint64_t v = 0;
    for (size_t off = 0; buf && off + 16 <= len; off += 16) {
        uint64_t kv[2];
        memcpy(kv, buf + off, sizeof kv);
        if (kv[0] == type) {
            v = kv[1];
            break;
        }
        if (kv[0] == AT_NULL)
            break;
    }
    free(buf);
    return v;
}

static char *read_exe(pid_t pid);

/* th (found by the TID the stop came with: the leader's) stopped at PTRACE_EVENT_EXEC. Every other
 * thread is gone (the kernel killed them; an exec from another thread takes over the leader's TID),
 * and with the old image our breakpoints, watchpoints and the memory file. */
static void on_exec(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *o = t->threads[i];
        if (o == th || o->gone)
            continue;
        bool seized = LT(o)->seized;
        thread_gone(t, o);
        int st;
        if (seized)
            waitpid(o->tid, &st, __WALL | WNOHANG); /* its exit status, if it is there already */
    }
    LT(th)->zombie = false;
    LT(th)->seized = true;
    LT(th)->bp_pending = false;
    l->nbps = 0;
    l->nretired = 0;
    cd_cpatch_forget(l->cp);
    l->nq = 0;
    /* the kernel drops debug registers at exec (flush_thread) */
    l->dr7 = 0;
    memset(l->dra, 0, sizeof l->dra);
    l->dr_gen++;
    LT(th)->dr7 = 0;
    memset(LT(th)->dra, 0, sizeof LT(th)->dra);
    LT(th)->dr_gen = l->dr_gen;
    if (l->memfd >= 0) {
        close(l->memfd);
        l->memfd = -1;
    }
    char *exe = read_exe(t->pid);
    if (exe) {
        free(t->exe_path);
        t->exe_path = exe;
    }
    cd_procfs_read_stat(t->pid, th->tid, th->name, NULL);
    l->exec_gen++;
    l->intr_tid = th->tid;
    t->stop_gen++;
    cd_event ev = {.kind = CD_EV_EXEC, .tid = t->pid, .addr = read_auxv(t->pid, AT_ENTRY), .all_held = true};
    q_push(t, &ev);
}

static int live_release_child(cd_target *t, pid_t child, cd_err *err)
{
    live *l = L(t);
    kid *k = kid_find(l, child);
    if (!k || !k->held)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "process %d is not a fork child held by cdbg", (int)child);
    bool vfork = k->vfork;
    kid_del(l, k);
    let_go(t, child, vfork);
    return 0;
}

static cd_target *new_target(pid_t pid, cd_attach_mode mode);

static cd_target *live_adopt_child(cd_target *t, pid_t child, cd_err *err)
{
    live *l = L(t);
    kid *k = kid_find(l, child);
    if (!k || !k->held) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "process %d is not a fork child held by cdbg", (int)child);
        return NULL;
    }
    kid_del(l, k);
    cd_target *c = new_target(child, CD_ATTACH_STOP_ALL);
    live *cl = L(c);
    cl->opts = l->opts;
    c->launched = t->launched;
    c->event_mask = t->event_mask;
    cl->tty = l->tty;
    cl->our_pgrp = l->our_pgrp;
    cl->our_tio = l->our_tio;
    cl->prog_tio = l->prog_tio;
    cd_thread *th = add_thread(c, child);
    LT(th)->seized = true;
    set_held(c, th, true);
    th->state = 'T';
    cd_procfs_read_stat(child, child, th->name, NULL);
    c->exe_path = read_exe(child);
    /* its breakpoints: ours whose int3 its memory holds (one being stepped over at the fork has
     * the original byte) */
    for (size_t i = 0; i < l->nbps; i++) {
        unsigned char byte;
        if (live_read_mem(c, l->bps[i].addr, &byte, 1) == 1 && byte == 0xCC) {
            if (cl->nbps == cl->capbps) {
                cl->capbps = cl->capbps ? 2 * cl->capbps : 8;
                cl->bps = cd_xrealloc(cl->bps, cl->capbps * sizeof *cl->bps);
            }
            cl->bps[cl->nbps++] = l->bps[i];
        }
    }
    cd_emergency_register(c);
    return c;
}

/* ---- the terminal ---- */

/* A SIGINT the terminal sent (the kernel's, SI_KERNEL; kill(2) says SI_USER) while the program had
 * the terminal: the user's ^C. */
static bool ctrl_c(cd_target *t, const siginfo_t *si)
{
    return L(t)->tty_given && si->si_code == SI_KERNEL;
}

/* tcsetpgrp from what may be a background group by then: SIGTTOU blocked, not raised.
 * Async-signal-safe. */
static void tty_pgrp(int fd, pid_t pgrp)
{
    sigset_t b, old;
    sigemptyset(&b);
    sigaddset(&b, SIGTTOU);
    sigprocmask(SIG_BLOCK, &b, &old);
    tcsetpgrp(fd, pgrp);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void give_tty(cd_target *t)
{
    live *l = L(t);
    if (l->tty < 0 || l->tty_given || l->exited)
        return;
    tcgetattr(l->tty, &l->our_tio);
    if (l->prog_tio_valid)
        tcsetattr(l->tty, TCSADRAIN, &l->prog_tio);
    tty_pgrp(l->tty, l->prog_pgrp);
    l->tty_given = 1;
}

static void take_tty(cd_target *t)
{
    live *l = L(t);
    if (l->tty < 0 || !l->tty_given)
        return;
    if (tcgetattr(l->tty, &l->prog_tio) == 0)
        l->prog_tio_valid = true;
    tty_pgrp(l->tty, l->our_pgrp);
    tcsetattr(l->tty, TCSADRAIN, &l->our_tio);
    l->tty_given = 0;
}

/* ---- close / emergency ---- */

static void free_target(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < t->nthreads; i++) {
        free(t->threads[i]->backend);
        free(t->threads[i]);
    }
    free(t->threads);
    if (l) {
        if (l->memfd >= 0)
            close(l->memfd);
        free(l->bps);
        cd_cpatch_free(l->cp);
        cd_x86_free(l->x86);
        free(l->q);
        cd_procfs_free_maps(l->maps, l->nmaps);
        cd_bpfsnap_close(l->snap);
        free(l->snap_why);
        free(l->snap_first);
        free(l);
    }
    free(t->exe_path);
    free(t->warning);
    free(t);
}

/* Brings th (held) to a stop where detaching or resuming it delivers no trap of ours: a SIGTRAP of
 * one of our int3s is dropped and pc rewound to the breakpoint. */
static void settle(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    for (int round = 0; round < 8; round++) {
        if (!th->held || th->gone || LT(th)->group_stop)
            return;
        if (th->pending_sig == SIGTRAP) {
            /* an int3 of ours, or a watchpoint's trap: dropped */
            if (!take_our_trap(t, th) && take_dr6(t, th))
                th->pending_sig = 0;
            return;
        }
        if (th->pending_sig != 0 || live_get_regs(t, th, NULL, NULL) < 0)
            return;
        /* An interrupt can win the race with an int3 (or a watchpoint): a thread that executed one
         * just as it was interrupted reports the interrupt stop first, pc at bp+1 (DR6 saying
         * which watchpoint) and the SIGTRAP still queued; detached, it would get that SIGTRAP. Let
         * it take the trap now: a queued signal is delivered before anything runs in user space,
         * so its next stop is that trap. */
        bool dr6_hit = false;
        if (l->dr_ever) {
            bool ok;
            dr6_hit = (peek_dr(th->tid, 6, &ok) & DR6_HIT) && ok;
        }
        if ((!our_int3(l, th->regs.rip - 1) && !dr6_hit) || !sigtrap_queued(t->pid, th->tid))
            return;
        if (flush_regs(th) < 0 || ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
            return;
        set_held(t, th, false);
        set_expect(t, th, true);
        uint64_t give_up = cd_now_ns() + STOP_DEADLINE_NS;
        unsigned spins = 0;
        while (!poll_one(t, th) && !l->exited && cd_now_ns() < give_up)
            backoff(&spins);
        if (LT(th)->expect) {
            set_expect(t, th, false);
            LT(th)->stuck = true;
            return;
        }
    }
}

/* close(): every fork child still traced is brought to a stop it can be detached from. One held
 * at its first stop (CD_EVM_FORK, never released) has its own copy of the memory: cleaned of our
 * int3s and let go at once. A vfork child runs on the parent's memory: stopped (an int3 of ours it
 * sits on rewound), and detached by kids_detach once the parent's breakpoints are out. */
static void kids_stop(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < l->nkids;) {
        kid *k = &l->kids[i];
        if (k->held && !k->vfork) {
            clean_child(t, k->pid);
            ptrace(PTRACE_DETACH, k->pid, 0, 0);
            kid_del(l, k);
            continue;
        }
        bool gone = false;
        if (!k->held) {
            ptrace(PTRACE_INTERRUPT, k->pid, 0, 0);
            uint64_t give_up = cd_now_ns() + STOP_DEADLINE_NS;
            unsigned spins = 0;
            while (!gone && !k->held) {
                int st;
                pid_t w = waitpid(k->pid, &st, __WALL | WNOHANG);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w < 0 || (w == k->pid && (WIFEXITED(st) || WIFSIGNALED(st)))) {
                    gone = true;
                    break;
                }
                if (w == k->pid) {
                    int event = st >> 16, sig = WSTOPSIG(st);
                    cd_regs r;
                    bool regs = ptrace(PTRACE_GETREGS, k->pid, 0, &r) == 0;
                    siginfo_t si;
                    if (event == 0 && sig == SIGTRAP && regs && ptrace(PTRACE_GETSIGINFO, k->pid, 0, &si) == 0 &&
                        si.si_code == SI_KERNEL && our_int3(l, r.rip - 1)) {
                        r.rip--;
                        ptrace(PTRACE_SETREGS, k->pid, 0, &r);
                        sig = 0;
                    } else if (event != 0 && regs && our_int3(l, r.rip - 1) && sigtrap_queued(k->pid, k->pid) &&
                               ptrace(PTRACE_CONT, k->pid, 0, 0) == 0) {
                        continue; /* the interrupt overtook our int3's trap: take that first */
                    } else if (event != 0) {
                        sig = 0;
                    }
                    k->sig = sig;
                    k->held = true;
                    break;
                }
                if (cd_now_ns() >= give_up)
                    break;
                backoff(&spins);
            }
        }
        if (gone)
            kid_del(l, k);
        else
            i++;
    }
}

static void kids_detach(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < l->nkids; i++)
        ptrace(PTRACE_DETACH, l->kids[i].pid, 0, (void *)(long)l->kids[i].sig);
    l->nkids = 0;
}

static void live_close(cd_target *t)
{
    if (!t)
        return;
    live *l = L(t);
    /* SIGTERM, SIGHUP or ^C now would leave half a detach for emergency() to sort out: they wait
     * until this is done. A fault in here still gets emergency(): the target stays registered
     * until the end. */
    sigset_t async, old;
    sigemptyset(&async);
    sigaddset(&async, SIGTERM);
    sigaddset(&async, SIGHUP);
    sigaddset(&async, SIGINT);
    sigaddset(&async, SIGQUIT);
    sigprocmask(SIG_BLOCK, &async, &old);
    take_tty(t);
    kids_stop(t);
    bool traps = l->nbps > 0 || l->nretired > 0 || l->dr_ever || l->cp;
    if (t->launched && !l->exited) {
        for (size_t i = 0; i < l->nbps; i++)
            raw_write(t, l->bps[i].addr, &l->bps[i].orig, 1);
        l->nbps = 0;
        kill(t->pid, SIGKILL);
        /* reap every traced thread, the leader last (it is reported after all others) */
        while (!l->exited) {
            pid_t tid;
            int st;
            int r = wait_any(t, true, &tid, &st);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            cd_thread *th = find_live(t, tid);
            if (th)
                on_status(t, th, st);
        }
    } else if (!l->exited) {
        /* a seized thread must be in a ptrace-stop to be detached; with int3s in the code every
         * thread must be held before they come out, and each one's trap settled */
        if (traps) {
            cd_err e;
            stop_threads(t, NULL, 0, false, &e);
            for (size_t i = 0; i < t->nthreads; i++)
                settle(t, t->threads[i]);
        } else {
            for (size_t i = 0; i < t->nthreads; i++)
                if (LT(t->threads[i])->seized)
                    seize_interrupt(t, t->threads[i], false);
            collect(t);
        }
        if (!l->exited) {
            /* fast breakpoints' jmps out, their stubs' int3s made nops: a thread inside a stub
             * goes on as if the hit were ignored */
            cd_cpatch_undo(l->cp, undo_write, t);
            cd_cpatch_undone(l->cp);
        }
        for (size_t i = 0; i < l->nbps && !l->exited; i++) {
            raw_write(t, l->bps[i].addr, &l->bps[i].orig, 1);
            retire(l, &l->bps[i]);
        }
        l->nbps = 0;
        if (traps && !l->exited) {
            /* a thread late to stop may have stopped on one of them since */
            reap_ready(t);
            for (size_t i = 0; i < t->nthreads; i++)
                settle(t, t->threads[i]);
        }
        for (size_t i = 0; i < t->nthreads && !l->exited; i++) {
            cd_thread *th = t->threads[i];
            if (th->held && LT(th)->seized && !th->gone) {
                clear_dr(th);
                /* detach delivers a pending signal rather than dropping it */
                flush_regs(th);
                ptrace(PTRACE_DETACH, th->tid, 0, (void *)(long)th->pending_sig);
                set_held(t, th, false);
                LT(th)->seized = false;
            }
        }
    }
    kids_detach(t);
    cd_emergency_unregister(t);
    free_target(t);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- emergency: async-signal-safe, raw syscalls, the kernel's word over our bookkeeping ---- */

static long em_ptrace(long req, pid_t tid, void *addr, void *data)
{
    return syscall(SYS_ptrace, req, (long)tid, addr, data);
}

/* Takes a waiting status of th and asks the kernel whether th is in a ptrace-stop now. */
static void em_poll(cd_thread *th)
{
    lthr *lt = LT(th);
    int st;
    pid_t w;
    do
        w = waitpid(th->tid, &st, __WALL | WNOHANG);
    while (w < 0 && errno == EINTR);
    if ((w == th->tid && (WIFEXITED(st) || WIFSIGNALED(st))) || (w < 0 && errno == ECHILD)) {
        lt->em_state = EM_DONE; /* exited, or not traced by us */
        return;
    }
    siginfo_t si;
    if (stop_kind_of(th->tid, &si) != STOP_RUNNING)
        lt->em_state = EM_STOPPED;
}

/* th is in a ptrace-stop: rewinds pc and drops a trap of ours. Returns the signal to pass on at
 * detach, or -1 when th had a trap of ours queued and was resumed to take it (poll it again). */
static int em_fix(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    siginfo_t si;
    stop_kind k = stop_kind_of(th->tid, &si);
    cd_regs r;
    bool regs = em_ptrace(PTRACE_GETREGS, th->tid, NULL, &r) == 0;
    bool stepping = th->tid == l->stepping;
    if (k == STOP_SIGNAL) {
        /* held by the main flow: it decided what to pass on (a ^C meant for us is not), and a
         * breakpoint hit it holds back for the next `continue` is rewound already */
        if (th->held && LT(th)->bp_pending && !LT(th)->regs_dirty)
            return 0;
        int sig = th->held ? th->pending_sig : si.si_signo;
        if (si.si_signo == SIGTRAP && l->dr_ever && si.si_code == TRAP_HWBKPT)
            return 0; /* a watchpoint's */
        if (si.si_signo == SIGTRAP && regs) {
            if (si.si_code == SI_KERNEL && our_int3(l, r.rip - 1)) {
                r.rip--;
                em_ptrace(PTRACE_SETREGS, th->tid, NULL, &r);
                return 0;
            }
            if ((si.si_code == SI_KERNEL && our_int3(l, r.rip)) || stepping)
                return 0; /* rewound already, or our single-step over a breakpoint */
        }
        return sig;
    }
    long dr6 = 0;
    if (l->dr_ever)
        em_ptrace(PTRACE_PEEKUSER, th->tid, (void *)DR_OFF(6), &dr6);
    if (k == STOP_EVENT && regs && (our_int3(l, r.rip - 1) || stepping || (dr6 & DR6_HIT)) &&
        sigtrap_queued(t->pid, th->tid) && em_ptrace(PTRACE_CONT, th->tid, NULL, NULL) == 0)
        return -1;
    return 0;
}

/* Polls every thread not yet settled until each is stopped with no trap of ours left, or until
 * the deadline: never blocks (a thread in uninterruptible sleep may not stop for a long time;
 * cdbg's own exit then detaches it). */
static void em_settle(cd_target *t, uint64_t deadline)
{
    for (;;) {
        bool waiting = false;
        for (size_t i = 0; i < t->nthreads; i++) {
            cd_thread *th = t->threads[i];
            lthr *lt = LT(th);
            if (lt->em_state != EM_WAIT)
                continue;
            em_poll(th);
            if (lt->em_state == EM_STOPPED) {
                int sig = em_fix(t, th);
                if (sig < 0)
                    lt->em_state = EM_WAIT;
                else
                    lt->em_sig = sig;
            }
            if (lt->em_state == EM_WAIT)
                waiting = true;
        }
        if (!waiting || cd_now_ns() >= deadline)
            return;
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
}

static void em_restore(cd_target *t)
{
    live *l = L(t);
    int fd = l->memfd;
    if (fd < 0) {
        char path[64];
        proc_path(path, t->pid, 0, "mem");
        fd = open(path, O_RDWR | O_CLOEXEC);
    }
    cd_cpatch_undo(l->cp, fd_undo_write, &fd); /* before the int3s: it puts 0xCC under each jmp */
    for (size_t i = 0; i < l->nbps; i++) {
        lbp *b = &l->bps[i];
        if (fd >= 0 && pwrite(fd, &b->orig, 1, (off_t)b->addr) == 1)
            continue;
        /* word-wise, through any thread in a ptrace-stop */
        uint64_t a = b->addr & ~7ull;
        for (size_t k = 0; k < t->nthreads; k++) {
            cd_thread *th = t->threads[k];
            unsigned long w;
            if (LT(th)->em_state != EM_STOPPED || em_ptrace(PTRACE_PEEKDATA, th->tid, (void *)(uintptr_t)a, &w) < 0)
                continue;
            ((unsigned char *)&w)[b->addr - a] = b->orig;
            if (em_ptrace(PTRACE_POKEDATA, th->tid, (void *)(uintptr_t)a, (void *)w) == 0)
                break;
        }
    }
}

/* emergency(): fork children still traced. A held fork child is cleaned of our int3s and let go; a
 * vfork child (the parent's memory) is stopped now, its int3 trap rewound, and detached after
 * em_restore. */
static void em_kids_stop(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < l->nkids; i++) {
        kid *k = &l->kids[i];
        k->sig = 0;
        if (!k->vfork) {
            if (k->held)
                clean_child(t, k->pid);
            continue; /* detached by em_kids_detach */
        }
        if (k->held)
            continue;
        em_ptrace(PTRACE_INTERRUPT, k->pid, NULL, NULL);
        uint64_t give_up = cd_now_ns() + 200000000ull;
        for (;;) {
            int st;
            pid_t w = waitpid(k->pid, &st, __WALL | WNOHANG);
            if (w == k->pid && WIFSTOPPED(st)) {
                cd_regs r;
                siginfo_t si;
                if ((st >> 16) == 0 && WSTOPSIG(st) == SIGTRAP) {
                    /* our int3 (rewound), or the trap of our step over one (kid_status was
                     * interrupted): never the child's */
                    if (em_ptrace(PTRACE_GETREGS, k->pid, NULL, &r) == 0 &&
                        em_ptrace(PTRACE_GETSIGINFO, k->pid, NULL, &si) == 0 && si.si_code == SI_KERNEL &&
                        our_int3(l, r.rip - 1)) {
                        r.rip--;
                        em_ptrace(PTRACE_SETREGS, k->pid, NULL, &r);
                    }
                } else if ((st >> 16) == 0) {
                    k->sig = WSTOPSIG(st);
                } else if (sigtrap_queued(k->pid, k->pid) && em_ptrace(PTRACE_CONT, k->pid, NULL, NULL) == 0) {
                    continue; /* the interrupt overtook such a trap: take it first */
                }
                break;
            }
            if ((w < 0 && errno != EINTR) || w == k->pid || cd_now_ns() >= give_up)
                break;
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
    }
}

static void em_kids_detach(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < l->nkids; i++)
        em_ptrace(PTRACE_DETACH, l->kids[i].pid, NULL, (void *)(long)l->kids[i].sig);
    l->nkids = 0;
}

static void live_emergency(cd_target *t)
{
    live *l = L(t);
    if (!l)
        return;
    if (l->tty >= 0 && l->tty_given) {
        tty_pgrp(l->tty, l->our_pgrp);
        tcsetattr(l->tty, TCSADRAIN, &l->our_tio);
        l->tty_given = 0;
    }
    em_kids_stop(t);
    if (l->exited) {
        em_kids_detach(t);
        return;
    }
    if (t->launched) {
        if (l->nkids)
            em_restore(t); /* a vfork child runs on this memory */
        em_kids_detach(t);
        kill(t->pid, SIGKILL);
        return;
    }
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        lthr *lt = LT(th);
        lt->em_state = lt->seized && !th->gone ? EM_WAIT : EM_DONE;
        lt->em_sig = 0;
        /* held ones too: the bookkeeping may be a step behind (a thread resumed a moment ago);
         * an interrupt still pending at detach is dropped by the kernel */
        if (lt->em_state == EM_WAIT)
            em_ptrace(PTRACE_INTERRUPT, th->tid, NULL, NULL);
    }
    /* ~1 s for every thread together */
    uint64_t deadline = cd_now_ns() + 1000000000ull;
    em_settle(t, deadline);
    em_restore(t);
    /* a thread that was late to stop may have stopped on one of them meanwhile */
    em_settle(t, deadline);
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        lthr *lt = LT(th);
        if (lt->em_state != EM_STOPPED)
            continue;
        if (t->call_tid == th->tid) {
            /* a function call was running in it: back to where the program was */
            if (t->call_fp) {
                struct iovec iov = {(void *)t->call_fp, t->call_fp_len};
                em_ptrace(PTRACE_SETREGSET, th->tid, (void *)(uintptr_t)t->call_fp_type, &iov);
            }
            em_ptrace(PTRACE_SETREGS, th->tid, NULL, &t->call_regs);
        }
        /* debug registers survive the detach: a watchpoint left would kill the program */
        if (l->dr_ever)
            em_ptrace(PTRACE_POKEUSER, th->tid, (void *)DR_OFF(7), NULL);
        em_ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)lt->em_sig);
        lt->seized = false;
        lt->em_state = EM_DONE;
    }
    em_kids_detach(t);
}

static const cd_target_ops live_ops = {
    .kind = "live",
    .refresh_threads = live_refresh_threads,
    .describe_thread = live_describe_thread,
    .check_alive = live_check_alive,
    .read_mem = live_read_mem,
    .write_mem = live_write_mem,
    .get_regs = live_get_regs,
    .set_regs = live_set_regs,
    .get_fpregs = live_get_fpregs,
    .set_regset = live_set_regset,
    .get_regset = live_get_regset,
    .stop = live_stop,
    .resume = live_resume,
    .syscall_state = live_syscall_state,
    .report_modules = live_report_modules,
    .mappings = live_mappings,
    .insert_breakpoint = live_insert_bp,
    .remove_breakpoint = live_remove_bp,
    .cont = live_cont,
    .wait = live_wait,
    .wait_timeout = live_wait_timeout,
    .interrupt = live_interrupt,
    .step = live_step,
    .run_one = live_run_one,
    .set_hw_watch = live_set_hw_watch,
    .clear_hw_watch = live_clear_hw_watch,
    .release_child = live_release_child,
    .adopt_child = live_adopt_child,
    .close = live_close,
    .emergency = live_emergency,
};

/* ---- opening ---- */

static cd_target *new_target(pid_t pid, cd_attach_mode mode)
{
    cd_target *t = cd_xcalloc(1, sizeof *t);
    live *l = cd_xcalloc(1, sizeof *l);
    l->mode = mode;
    l->memfd = -1;
    l->tty = -1;
    l->prog_pgrp = pid;
    l->opts = PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
              PTRACE_O_TRACEVFORKDONE;
    t->ops = &live_ops;
    t->caps = (cd_caps){.can_run = true, .can_write = true, .has_proc = true, .hw_watch_slots = 4};
    t->pid = pid;
    t->backend = l;
    return t;
}

static char *read_exe(pid_t pid)
{
    char path[64], buf[PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = 0;
    return cd_xstrdup(buf);
}

/* TracerPid is the tracing *thread*: name its process (PID, command, and whether it is the
 * target's parent or child, which tells a same-named tracer from the target), and the thread too
 * when it is not the main one, so the user knows which program to stop. */
static int already_traced_error(pid_t pid, pid_t tracer, cd_err *err)
{
    cd_proc_status ts, ps;
    bool have_ts = cd_procfs_read_status(tracer, &ts) == 0;
    pid_t tgid = have_ts && ts.tgid > 0 ? ts.tgid : tracer;
    if (tgid == getpid())
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION, "cannot attach to PID %d: this cdbg is already attached to it",
                       (int)pid);
    char comm[17], tcomm[17];
    cd_procfs_read_comm(tgid, comm);
    const char *rel = "";
    if (cd_procfs_read_status(pid, &ps) == 0 && ps.ppid == tgid)
        rel = ", its parent";
    else if (have_ts && ts.ppid == pid)
        rel = ", its child";
    if (tgid == tracer)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                       "cannot attach to PID %d: it is already traced by PID %d (%s%s); detach that debugger first",
                       (int)pid, (int)tgid, comm, rel);
    cd_procfs_read_comm(tracer, tcomm);
    return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                   "cannot attach to PID %d: it is already traced by PID %d (%s%s), from its thread %d (%s); "
                   "detach that debugger first",
                   (int)pid, (int)tgid, comm, rel, (int)tracer, tcomm);
}

static int seize_error(cd_target *t, pid_t tid, int e, cd_err *err)
{
    pid_t pid = t->pid;
    cd_proc_status st;
    if (cd_procfs_read_status(tid, &st) == 0 && st.tracer_pid > 0 && st.tracer_pid != getpid())
        return already_traced_error(pid, st.tracer_pid, err);
    if (e == EPERM || e == ESRCH) {
        cd_proc_status ps;
        if (cd_procfs_read_status(pid, &ps) < 0 || ((ps.state == 'Z' || ps.state == 'X')))
            return cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "cannot attach to PID %d: the process exited while attaching",
                           (int)pid);
    }
    if (e == EPERM) {
        char *scope = cd_read_file("/proc/sys/kernel/yama/ptrace_scope", NULL);
        int sc = scope ? atoi(scope) : -1;
        free(scope);
        if (sc > 0)
            return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                           "cannot attach to PID %d: permission denied; ptrace needs root or CAP_SYS_PTRACE "
                           "(kernel.yama.ptrace_scope is %d; 0 allows tracing your own processes), and the process "
                           "may belong to another user",
                           (int)pid, sc);
        if (geteuid() == 0)
            return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                           "cannot attach to PID %d: permission denied even as root; the kernel protects it (it may be "
                           "another PID namespace's init, in another user namespace, or guarded by a security "
                           "module): debug it from inside its container",
                           (int)pid);
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                       "cannot attach to PID %d: permission denied; run as the process's owner or as root "
                       "(ptrace needs CAP_SYS_PTRACE for another user's or a setuid process)",
                       (int)pid);
    }
    if (e == ESRCH)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "cannot attach to PID %d: process %d exited", (int)pid, (int)pid);
    return cd_fail(err, CD_EXIT_TARGET, "cannot attach to thread %d of PID %d: %s", (int)tid, (int)pid, strerror(e));
}

cd_bpfsnap *cd_live_bpfsnap(cd_target *t, const char **why)
{
    live *l = t && t->ops == &live_ops ? L(t) : NULL;
    if (why)
        *why = l ? l->snap_why : NULL;
    return l ? l->snap : NULL;
}

/* The threads of a non-stop attach from one walk of the BPF task iterator, instead of a stat file
 * per thread: 0, or -1 (the caller lists /proc instead) with l->snap closed and snap_why set. */
static int attach_from_snap(cd_target *t, pid_t pid)
{
    live *l = L(t);
    char why[256];
    if (!(l->snap = cd_bpfsnap_open(pid, why, sizeof why))) {
        l->snap_why = cd_xstrdup(why);
        return -1;
    }
    cd_bpfsnap_thread *s;
    size_t n;
    if (cd_bpfsnap_read(l->snap, &s, &n) < 0) {
        l->snap_why = cd_xasprintf("reading the BPF task iterator failed: %s", strerror(errno));
        cd_bpfsnap_close(l->snap);
        l->snap = NULL;
        return -1;
    }
    uint64_t now = cd_now_ns();
    /* the leader first, as cd_procfs_list_tasks lists them */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            if ((s[i].tid == pid) != (pass == 0))
                continue;
            cd_thread *th = add_thread(t, s[i].tid);
            memcpy(th->name, s[i].name, sizeof th->name);
            th->state = s[i].state;
            LT(th)->stat_ns = now;
            LT(th)->zombie = th->state == 'Z' || th->state == 'X';
        }
    l->snap_first = s;
    l->nsnap_first = n;
    return 0;
}

int cd_live_bpfsnap_first(cd_target *t, cd_bpfsnap_thread **out, size_t *n)
{
    live *l = t && t->ops == &live_ops ? L(t) : NULL;
    if (!l || !l->snap_first)
        return -1;
    *out = l->snap_first;
    *n = l->nsnap_first;
    l->snap_first = NULL;
    return 0;
}

static cd_target *attach(pid_t pid, cd_attach_mode mode, bool snap, cd_err *err);

cd_target *cd_live_attach(pid_t pid, cd_attach_mode mode, cd_err *err)
{
    return attach(pid, mode, false, err);
}

cd_target *cd_live_attach_snap(pid_t pid, cd_err *err)
{
    return attach(pid, CD_ATTACH_NONSTOP, cd_bpfsnap_wanted(), err);
}

static cd_target *attach(pid_t pid, cd_attach_mode mode, bool snap, cd_err *err)
{
    if (pid == getpid()) {
        cd_fail(err, CD_EXIT_TARGET, "cannot attach to PID %d: that is cdbg itself; give the PID of another process",
                (int)pid);
        return NULL;
    }
    cd_proc_status ps;
    if (cd_procfs_read_status(pid, &ps) < 0) {
        cd_failk(err, CD_EXIT_TARGET, CD_EK_NOT_FOUND, "cannot attach to PID %d: no such process (see `ps`)", (int)pid);
        return NULL;
    }
    if (ps.tgid > 0 && ps.tgid != pid) {
        cd_failk(err, CD_EXIT_TARGET, CD_EK_USAGE, "cannot attach to %d: it is a thread of process %d; attach to PID %d", (int)pid,
                (int)ps.tgid, (int)ps.tgid);
        return NULL;
    }
    if ((ps.state == 'Z' || ps.state == 'X') && ps.threads <= 1) {
        cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED,
                "cannot attach to PID %d: it has exited and is waiting to be reaped by its parent PID %d", (int)pid,
                (int)ps.ppid);
        return NULL;
    }
    if (ps.tracer_pid > 0) {
        already_traced_error(pid, ps.tracer_pid, err);
        return NULL;
    }
    /* Deferred all-stop is all-stop whose first stop the caller triggers. */
    cd_target *t = new_target(pid, mode == CD_ATTACH_STOP_ALL_DEFERRED ? CD_ATTACH_STOP_ALL : mode);
    pid_t *tids = NULL;
    size_t n = 0;
    if (snap && attach_from_snap(t, pid) == 0) {
        /* every thread listed, named and described already */
    } else if (cd_procfs_list_tasks(pid, &tids, &n) < 0) {
        cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "cannot attach to PID %d: process %d exited", (int)pid, (int)pid);
        free_target(t);
        return NULL;
    }
    cd_procfs_stat *st = cd_xcalloc(n ? n : 1, sizeof *st);
    cd_procfs_read_stats(pid, tids, n, st);
    uint64_t now = cd_now_ns();
    for (size_t i = 0; i < n; i++) {
        cd_thread *th = add_thread(t, tids[i]);
        if (st[i].ok) {
            memcpy(th->name, st[i].name, sizeof st[i].name);
            LT(th)->stat_ns = now;
            th->state = st[i].state;
            LT(th)->zombie = th->state == 'Z' || th->state == 'X';
        }
    }
    free(st);
    free(tids);
    t->exe_path = read_exe(pid);
    if (!t->exe_path && (errno == EACCES || errno == EPERM)) {
        /* /proc/PID/exe and /proc/PID/maps need the same ptrace access check as PTRACE_SEIZE:
         * say why now rather than fail later on some /proc file */
        seize_error(t, pid, EPERM, err);
        free_target(t);
        return NULL;
    }
    if (mode == CD_ATTACH_STOP_ALL && stop_threads(t, NULL, 0, false, err) < 0) {
        live_close(t);
        return NULL;
    }
    cd_emergency_register(t);
    return t;
}

static void child_exec(char *const argv[], int gofd, int errfd)
{
    /* cdbg's signal setup must not leak into the program */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < 32; sig++)
        if (sig != SIGKILL && sig != SIGSTOP)
            signal(sig, SIG_DFL);
    /* a process group of its own: the terminal's ^C goes to it, not to cdbg, while it runs */
    setpgid(0, 0);
    char c;
    ssize_t r;
    do
        r = read(gofd, &c, 1);
    while (r < 0 && errno == EINTR);
    if (r != 1)
        _exit(127); /* the parent gave up */
    execvp(argv[0], argv);
    int e = errno;
    ssize_t w = write(errfd, &e, sizeof e);
    (void)w;
    _exit(127);
}

cd_target *cd_live_launch(char *const argv[], cd_err *err)
{
    if (!argv || !argv[0] || !argv[0][0]) {
        cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "nothing to run: give a program and its arguments");
        return NULL;
    }
    int go[2], ep[2];
    if (pipe2(go, O_CLOEXEC) < 0) {
        cd_fail(err, CD_EXIT_TARGET, "cannot run '%s': pipe: %s", argv[0], strerror(errno));
        return NULL;
    }
    if (pipe2(ep, O_CLOEXEC) < 0) {
        cd_fail(err, CD_EXIT_TARGET, "cannot run '%s': pipe: %s", argv[0], strerror(errno));
        close(go[0]);
        close(go[1]);
        return NULL;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        cd_fail(err, CD_EXIT_TARGET, "cannot run '%s': fork: %s", argv[0], strerror(errno));
        close(go[0]);
        close(go[1]);
        close(ep[0]);
        close(ep[1]);
        return NULL;
    }
    if (pid == 0) {
        close(go[1]);
        close(ep[0]);
        child_exec(argv, go[0], ep[1]);
    }
    close(go[0]);
    close(ep[1]);
    setpgid(pid, pid); /* also here: whichever of the two runs first, the group exists before exec */
    /* The child waits on the pipe until it is seized, so exec is its first traced event and no
     * user code runs before we hold it. */
    long opts = PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK |
                PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE;
    if (ptrace(PTRACE_SEIZE, pid, 0, (void *)opts) < 0) {
        int e = errno;
        cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION, "cannot trace the launched '%s': %s; ptrace needs root or CAP_SYS_PTRACE",
                argv[0], strerror(e));
        close(go[1]);
        close(ep[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, __WALL);
        return NULL;
    }
    ssize_t w = write(go[1], "g", 1);
    (void)w;
    close(go[1]);
    int e = 0;
    ssize_t r;
    do
        r = read(ep[0], &e, sizeof e);
    while (r < 0 && errno == EINTR);
    close(ep[0]);
    int st;
    if (r == (ssize_t)sizeof e) {
        /* exec failed: the child exits; reap it */
        struct stat pst;
        while (waitpid(pid, &st, __WALL) == pid && !WIFEXITED(st) && !WIFSIGNALED(st))
            ptrace(PTRACE_CONT, pid, 0, 0);
        if (e == ENOENT)
            cd_failk(err, CD_EXIT_TARGET, CD_EK_NOT_FOUND, "cannot run '%s': %s; check the name or give a path", argv[0],
                    strchr(argv[0], '/') ? "no such file" : "not found in $PATH");
        else if (e == EACCES && strchr(argv[0], '/') && stat(argv[0], &pst) == 0 && !S_ISREG(pst.st_mode))
            cd_fail(err, CD_EXIT_TARGET, "cannot run '%s': not a regular file; give a compiled program", argv[0]);
        else if (e == EACCES)
            cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION, "cannot run '%s': permission denied; is it an executable file (chmod +x)?",
                    argv[0]);
        else if (e == ENOEXEC)
            cd_fail(err, CD_EXIT_TARGET, "cannot run '%s': not an executable format; give a compiled program",
                    argv[0]);
        else
            cd_fail(err, CD_EXIT_TARGET, "cannot run '%s': %s", argv[0], strerror(e));
        return NULL;
    }
    /* wait for the exec event; anything before it (a stray signal) is passed through */
    for (;;) {
        pid_t wp = waitpid(pid, &st, __WALL);
        if (wp < 0 && errno == EINTR)
            continue;
        if (wp != pid || WIFEXITED(st) || WIFSIGNALED(st)) {
            cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "cannot run '%s': it exited before it started", argv[0]);
            return NULL;
        }
        if ((st >> 16) == PTRACE_EVENT_EXEC)
            break;
        int sig = (st >> 16) == 0 ? WSTOPSIG(st) : 0;
        ptrace(PTRACE_CONT, pid, 0, (void *)(long)sig);
    }
    cd_target *t = new_target(pid, CD_ATTACH_STOP_ALL);
    live *l = L(t);
    l->opts = opts;
    t->launched = true;
    l->our_pgrp = getpgrp();
    if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == l->our_pgrp && tcgetattr(STDIN_FILENO, &l->our_tio) == 0) {
        l->tty = STDIN_FILENO;
        l->prog_tio = l->our_tio;
        l->prog_tio_valid = true;
    }
    cd_thread *th = add_thread(t, pid);
    LT(th)->seized = true;
    set_held(t, th, true);
    th->state = 'R';
    cd_procfs_read_stat(pid, pid, th->name, NULL);
    t->exe_path = read_exe(pid);
    cd_emergency_register(t);
    return t;
}
