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
#include "target/procfs.h"
#include "target/target.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

typedef struct lthr {
    bool seized;  /* ptrace-attached (held or running) */
    bool expect;  /* a stop is on its way (we interrupted it, or it is a new clone) */
    bool zombie;  /* listed as Z (an exited thread-group leader): never seized or waited for */
    bool bp_pending; /* hit a breakpoint while another event was being reported: report it next */
    bool group_stop; /* held in a job-control stop (SIGSTOP etc.): released with PTRACE_LISTEN */
    bool stuck;   /* interrupted, but did not stop by the deadline (uninterruptible sleep) */
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
} lbp;

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
    volatile pid_t stepping;       /* a thread single-stepping over a breakpoint (its trap is ours) */
    cd_mapping *maps;
    size_t nmaps;
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

static void thread_gone(cd_target *t, cd_thread *th)
{
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

/* Applies one waitpid status of a known thread. */
static void on_status(cd_target *t, cd_thread *th, int status)
{
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
        /* with __WALL the leader is reported only after every other thread: the process is gone */
        if (th->tid == t->pid)
            process_gone(t, status);
        else
            thread_gone(t, th);
        return;
    }
    if (!WIFSTOPPED(status))
        return;
    int sig = WSTOPSIG(status), event = status >> 16;
    set_expect(t, th, false);
    set_held(t, th, true);
    th->regs_valid = false;
    LT(th)->stuck = false;
    LT(th)->group_stop = event == PTRACE_EVENT_STOP && is_group_stop_sig(sig);
    if (event == PTRACE_EVENT_CLONE) {
        unsigned long msg = 0;
        if (ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &msg) == 0 && msg && !find_live(t, (pid_t)msg)) {
            cd_thread *nt = add_thread(t, (pid_t)msg);
            LT(nt)->seized = true; /* auto-attached; its first stop is on its way */
            nt->state = 'R';
            memcpy(nt->name, th->name, sizeof nt->name); /* a new thread inherits its creator's comm */
            set_expect(t, nt, true);
        }
        th->pending_sig = 0;
    } else if (event == PTRACE_EVENT_STOP || event != 0) {
        /* interrupt stop, a new thread's first stop, exec, or a group stop: nothing to re-inject */
        th->pending_sig = 0;
    } else {
        /* signal-delivery stop: the signal is the program's, never swallow it */
        th->pending_sig = sig;
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

/* Waits for one status of one of our threads. block=false: returns 0 when none is ready.
 * Returns 1 with tid and status set, 0, or -1 with errno (EINTR when a signal arrived). */
static int wait_any(cd_target *t, bool block, pid_t *tid, int *status)
{
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int r = waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | __WALL | WNOWAIT | (block ? 0 : WNOHANG));
        if (r < 0)
            return -1;
        if (si.si_pid == 0)
            return 0;
        pid_t p = si.si_pid;
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
    return find_bp(l, addr) || is_retired(l, addr);
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

static int live_write_mem(cd_target *t, uint64_t addr, const void *buf, size_t len, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot write memory: process %d exited", (int)t->pid);
    /* a write over one of our int3s changes the byte to restore, not the int3 */
    unsigned char *tmp = NULL;
    for (size_t i = 0; i < l->nbps; i++) {
        lbp *b = &l->bps[i];
        if (b->addr >= addr && b->addr < addr + len) {
            if (!tmp) {
                tmp = cd_xmalloc(len);
                memcpy(tmp, buf, len);
            }
            b->orig = tmp[b->addr - addr];
            tmp[b->addr - addr] = 0xCC;
        }
    }
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

static int live_get_regs(cd_target *t, cd_thread *th, cd_regs *out, cd_err *err)
{
    if (check_held(t, th, "read the registers", err) < 0)
        return -1;
    if (!th->regs_valid) {
        if (ptrace(PTRACE_GETREGS, th->tid, 0, &th->regs) < 0)
            return cd_failk(err, CD_EXIT_CMD, errno == ESRCH ? CD_EK_THREAD_GONE : CD_EK_OTHER,
                            "cannot read the registers of thread %d: %s", (int)th->tid, strerror(errno));
        th->regs_valid = true;
        th->orig_rax = (int64_t)th->regs.orig_rax;
    }
    if (out)
        *out = th->regs;
    return 0;
}

static int live_set_regs(cd_target *t, cd_thread *th, const cd_regs *regs, cd_err *err)
{
    if (check_held(t, th, "set the registers", err) < 0)
        return -1;
    if (ptrace(PTRACE_SETREGS, th->tid, 0, regs) < 0)
        return cd_failk(err, CD_EXIT_CMD, errno == ESRCH ? CD_EK_THREAD_GONE : CD_EK_OTHER,
                        "cannot set the registers of thread %d: %s", (int)th->tid, strerror(errno));
    th->regs = *regs;
    th->regs_valid = true;
    th->orig_rax = (int64_t)regs->orig_rax;
    return 0;
}

static int live_get_fpregs(cd_target *t, cd_thread *th, struct user_fpregs_struct *out, cd_err *err)
{
    if (check_held(t, th, "read the FP registers", err) < 0)
        return -1;
    if (ptrace(PTRACE_GETFPREGS, th->tid, 0, out) < 0)
        return cd_failk(err, CD_EXIT_CMD, errno == ESRCH ? CD_EK_THREAD_GONE : CD_EK_OTHER,
                        "cannot read the FP registers of thread %d: %s", (int)th->tid, strerror(errno));
    return 0;
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
                waitpid(t->pid, &st, __WALL | WNOHANG); /* a launched child must not stay a zombie */
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

/* Executes the instruction under a breakpoint th sits on, with the original byte restored. */
static void step_over_bp(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    if (!l->nbps || !th->held)
        return;
    if (live_get_regs(t, th, NULL, NULL) < 0)
        return;
    lbp *b = find_bp(l, th->regs.rip);
    if (!b)
        return;
    int sig = th->pending_sig;
    raw_write(t, b->addr, &b->orig, 1);
    l->stepping = th->tid; /* a fatal signal now: this thread's trap is ours */
    if (ptrace(PTRACE_SINGLESTEP, th->tid, 0, 0) == 0) {
        set_expect(t, th, true);
        int st;
        pid_t w;
        do
            w = waitpid(th->tid, &st, __WALL);
        while (w < 0 && errno == EINTR);
        if (w == th->tid) {
            on_status(t, th, st);
            if (WIFSTOPPED(st) && WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
                th->pending_sig = sig; /* the step's own trap */
            else if (th->pending_sig == 0)
                th->pending_sig = sig;
        } else {
            set_expect(t, th, false);
        }
    }
    unsigned char cc = 0xCC;
    if (!l->exited)
        raw_write(t, b->addr, &cc, 1);
    l->stepping = 0;
}

static int release(cd_target *t, cd_thread *th, bool detach)
{
    if (!th->held || th->gone)
        return 0;
    step_over_bp(t, th);
    if (!th->held || th->gone)
        return 0;
    LT(th)->bp_pending = false;
    int sig = th->pending_sig;
    th->pending_sig = 0;
    /* a thread in a job-control stop stays stopped (LISTEN) until the program gets SIGCONT */
    enum __ptrace_request req = detach ? PTRACE_DETACH : LT(th)->group_stop ? PTRACE_LISTEN : PTRACE_CONT;
    long r = ptrace(req, th->tid, 0, (void *)(long)sig);
    set_held(t, th, false);
    if (detach && r == 0)
        LT(th)->seized = false;
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
    for (size_t i = 0; i < cnt; i++)
        release(t, n ? ths[i] : t->threads[i], detach);
    t->stop_gen++;
    return 0;
}

/* ---- syscall state, modules, mappings, threads ---- */

static int live_syscall_state(cd_target *t, cd_thread *th, cd_syscall_state *out, cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->nr = -1;
    if (L(t)->exited || th->gone)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "cannot read the syscall state of thread %d: it has exited", (int)th->tid);
    char path[96], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)t->pid, (int)th->tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r = -1;
    if (fd >= 0) {
        do
            r = read(fd, buf, sizeof buf - 1);
        while (r < 0 && errno == EINTR);
        close(fd);
    }
    if (r <= 0)
        return cd_fail(err, CD_EXIT_CMD, "cannot read %s: %s", path, r < 0 ? strerror(errno) : "empty");
    buf[r] = 0;
    if (cd_procfs_parse_syscall(buf, out) < 0)
        return cd_fail(err, CD_EXIT_CMD, "cannot parse %s: unexpected contents", path);
    return 0;
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

static int live_report_modules(cd_target *t, Dwfl *dwfl, cd_err *err)
{
    if (L(t)->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot list modules: process %d exited", (int)t->pid);
    int r = dwfl_linux_proc_report(dwfl, t->pid);
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
    l->bps[l->nbps++] = (lbp){addr, orig};
    return 0;
}

static int live_remove_bp(cd_target *t, uint64_t addr, cd_err *err)
{
    live *l = L(t);
    lbp *b = find_bp(l, addr);
    if (!b)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "no breakpoint at 0x%llx", (unsigned long long)addr);
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

static int live_cont(cd_target *t, cd_err *err)
{
    live *l = L(t);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot continue: process %d exited", (int)t->pid);
    /* ^C since the last stop (while a condition was evaluated, say): nothing runs, and wait()
     * reports the interrupt. A breakpoint hit not reported yet is the next event: nothing runs
     * either (all-stop). */
    if (t->interrupted || pending_bp_thread(t)) {
        l->running = true;
        return 0;
    }
    /* wait() needs every thread traced: seize the ones non-stop mode left alone */
    l->mode = CD_ATTACH_STOP_ALL;
    if (live_stop(t, NULL, 0, err) < 0)
        return -1;
    l->intr_tid = 0;
    for (size_t i = 0; i < t->nthreads && !l->intr_tid; i++)
        if (!t->threads[i]->gone && !LT(t->threads[i])->zombie)
            l->intr_tid = t->threads[i]->tid;
    for (size_t i = 0; i < t->nthreads; i++)
        release(t, t->threads[i], false);
    t->stop_gen++;
    l->running = true;
    return 0;
}

/* th is held in a signal-delivery-stop for SIGTRAP: if the trap is one of our int3s (pc = bp+1, the
 * kernel's si_code SI_KERNEL, which kill(2) and tgkill cannot forge), rewinds pc to the breakpoint
 * and drops the trap. Returns the breakpoint's address, or 0 when the trap is not ours. */
static uint64_t take_our_trap(cd_target *t, cd_thread *th)
{
    live *l = L(t);
    if (th->pending_sig != SIGTRAP || !th->held || th->gone || live_get_regs(t, th, NULL, NULL) < 0)
        return 0;
    uint64_t addr = th->regs.rip - 1;
    if (!our_int3(l, addr))
        return 0;
    siginfo_t si;
    if (stop_kind_of(th->tid, &si) == STOP_SIGNAL && si.si_code != SI_KERNEL)
        return 0;
    cd_regs r = th->regs;
    r.rip = addr;
    if (live_set_regs(t, th, &r, NULL) < 0)
        return 0;
    th->pending_sig = 0;
    return addr;
}

/* After an event: hold every other thread, and rewind any that hit a breakpoint meanwhile so
 * it hits it again after resuming instead of being reported twice. */
static void stop_all_after_event(cd_target *t)
{
    live *l = L(t);
    for (size_t i = 0; i < t->nthreads; i++)
        seize_interrupt(t, t->threads[i], false);
    collect(t);
    l->running = false;
    if (!l->nbps)
        return;
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (th->held && !th->gone && find_bp(l, take_our_trap(t, th)))
            LT(th)->bp_pending = true;
    }
}

static int live_wait(cd_target *t, cd_event *ev, cd_err *err)
{
    live *l = L(t);
    memset(ev, 0, sizeof *ev);
    if (l->exited)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot wait: process %d exited", (int)t->pid);
    if (!l->running)
        return cd_fail(err, CD_EXIT_CMD, "cannot wait: process %d is not running; continue it first", (int)t->pid);
    cd_thread *pb = t->interrupted ? NULL : pending_bp_thread(t);
    if (pb) {
        LT(pb)->bp_pending = false;
        l->running = false;
        ev->kind = CD_EV_BREAKPOINT;
        ev->tid = pb->tid;
        ev->addr = pb->regs.rip;
        return 0;
    }
    for (;;) {
        if (t->interrupted) {
            stop_all_after_event(t);
            t->interrupted = 0;
            ev->kind = CD_EV_INTERRUPTED;
            ev->tid = l->intr_tid;
            return 0;
        }
        pid_t tid;
        int st;
        int r = wait_any(t, true, &tid, &st);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            process_gone(t, 0);
            ev->kind = CD_EV_EXITED;
            return 0;
        }
        if (r == 0)
            continue;
        cd_thread *th = find_live(t, tid);
        if (!th)
            continue;
        on_status(t, th, st);
        if (l->exited) {
            ev->tid = t->pid;
            if (WIFSIGNALED(st)) {
                ev->kind = CD_EV_KILLED;
                ev->sig = WTERMSIG(st);
            } else {
                ev->kind = CD_EV_EXITED;
                ev->status = WEXITSTATUS(st);
            }
            return 0;
        }
        if (th->gone) {
            if (th->tid == l->intr_tid) {
                /* interrupt() must target a thread that can still stop */
                pid_t nt = 0;
                for (size_t i = 0; i < t->nthreads && !nt; i++)
                    if (!t->threads[i]->gone && !LT(t->threads[i])->zombie)
                        nt = t->threads[i]->tid;
                l->intr_tid = nt;
            }
            continue;
        }
        int sig = WSTOPSIG(st), event = st >> 16;
        uint64_t bp;
        ev->tid = tid;
        if (event == PTRACE_EVENT_STOP && is_group_stop_sig(sig)) {
            ev->kind = CD_EV_SIGNAL;
            ev->sig = sig;
        } else if (event != 0) {
            /* clone, exec, a new thread's first stop, or an interrupt trap nobody waits for */
            if (t->interrupted)
                continue;
            release(t, th, false);
            continue;
        } else if (sig == SIGTRAP && (bp = take_our_trap(t, th)) != 0) {
            if (!find_bp(l, bp)) {
                /* a breakpoint taken out since this thread hit it: the trap is spent */
                release(t, th, false);
                continue;
            }
            ev->kind = CD_EV_BREAKPOINT;
            ev->addr = bp;
        } else if (sig == SIGINT && t->interrupted) {
            /* the terminal's ^C also reached the program: it was meant for us */
            th->pending_sig = 0;
            continue;
        } else {
            ev->kind = CD_EV_SIGNAL;
            ev->sig = sig;
        }
        stop_all_after_event(t);
        return 0;
    }
}

static void live_interrupt(cd_target *t)
{
    live *l = L(t);
    pid_t tid = l->intr_tid;
    /* held threads need no interrupt: cont() sees t->interrupted and runs nothing */
    if (tid > 0 && l->running)
        syscall(SYS_ptrace, PTRACE_INTERRUPT, tid, 0, 0);
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
        cd_procfs_free_maps(l->maps, l->nmaps);
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
            take_our_trap(t, th);
            return;
        }
        if (th->pending_sig != 0 || live_get_regs(t, th, NULL, NULL) < 0)
            return;
        /* An interrupt can win the race with an int3: a thread that executed one just as it was
         * interrupted reports the interrupt stop first, pc at bp+1 and the SIGTRAP still queued;
         * detached, it would get that SIGTRAP. Let it take the trap now: a queued signal is
         * delivered before anything runs in user space, so its next stop is that trap. */
        if (!our_int3(l, th->regs.rip - 1) || !sigtrap_queued(t->pid, th->tid))
            return;
        if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
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
    bool traps = l->nbps > 0 || l->nretired > 0;
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
                /* detach delivers a pending signal rather than dropping it */
                ptrace(PTRACE_DETACH, th->tid, 0, (void *)(long)th->pending_sig);
                set_held(t, th, false);
                LT(th)->seized = false;
            }
        }
    }
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
        if (th->held && LT(th)->bp_pending)
            return 0;
        int sig = th->held ? th->pending_sig : si.si_signo;
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
    if (k == STOP_EVENT && regs && (our_int3(l, r.rip - 1) || stepping) && sigtrap_queued(t->pid, th->tid) &&
        em_ptrace(PTRACE_CONT, th->tid, NULL, NULL) == 0)
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

static void live_emergency(cd_target *t)
{
    live *l = L(t);
    if (!l || l->exited)
        return;
    if (t->launched) {
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
        em_ptrace(PTRACE_DETACH, th->tid, NULL, (void *)(long)lt->em_sig);
        lt->seized = false;
        lt->em_state = EM_DONE;
    }
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
    .stop = live_stop,
    .resume = live_resume,
    .syscall_state = live_syscall_state,
    .report_modules = live_report_modules,
    .mappings = live_mappings,
    .insert_breakpoint = live_insert_bp,
    .remove_breakpoint = live_remove_bp,
    .cont = live_cont,
    .wait = live_wait,
    .interrupt = live_interrupt,
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
    l->opts = PTRACE_O_TRACECLONE;
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

cd_target *cd_live_attach(pid_t pid, cd_attach_mode mode, cd_err *err)
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
    pid_t *tids;
    size_t n;
    if (cd_procfs_list_tasks(pid, &tids, &n) < 0) {
        cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "cannot attach to PID %d: process %d exited", (int)pid, (int)pid);
        free_target(t);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        cd_thread *th = add_thread(t, tids[i]);
        char s;
        if (read_thread_stat(t, th, &s) == 0) {
            th->state = s;
            LT(th)->zombie = s == 'Z' || s == 'X';
        }
    }
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
    /* The child waits on the pipe until it is seized, so exec is its first traced event and no
     * user code runs before we hold it. */
    long opts = PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC;
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
    cd_thread *th = add_thread(t, pid);
    LT(th)->seized = true;
    set_held(t, th, true);
    th->state = 'R';
    cd_procfs_read_stat(pid, pid, th->name, NULL);
    t->exe_path = read_exe(pid);
    cd_emergency_register(t);
    return t;
}
