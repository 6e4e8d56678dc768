/* The target interface: one process, live or post-mortem.
 *
 * Commands and analyses (unwinder, deadlock detector, value printer) use only this header; they
 * never ask which backend they have. Two backends implement it: live.c (ptrace + process_vm_readv)
 * and core.c (ELF core files). Execution-control operations that a backend cannot do (a core
 * cannot run) fail with a clear cd_err instead of being absent.
 *
 * Threading model for the live backend ("stop nothing that need not stop"):
 *   - A thread is either HELD (in a ptrace-stop we caused; registers readable) or not.
 *   - cd_target_stop() seizes (if needed) and interrupts the given threads, all interrupts first,
 *     then collects the stops, so N threads cost one round of wake-ups, not N round trips.
 *   - cd_target_resume() releases them. The time any thread was held is accumulated in
 *     t->stopped_ns so commands can report how long the target was stopped.
 *   - Memory reads and cd_target_syscall_state() work on running threads (process_vm_readv and
 *     /proc/PID/task/TID/syscall) and never stop anything.
 * A core's threads are always HELD. */
#ifndef CD_TARGET_H
#define CD_TARGET_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include <elfutils/libdwfl.h>

#include "util/util.h"

typedef struct cd_target cd_target;
typedef struct user_regs_struct cd_regs; /* x86-64 general registers, kernel layout */

typedef struct cd_thread {
    pid_t tid;
    char name[17];      /* comm (live: /proc/.../comm; core: NT_PRPSINFO for the main thread, else "") */
    char state;         /* R S D T Z X; a held thread's: what it was doing when it stopped (S: blocked
                           in a syscall, T otherwise); core: from pr_sname or 'S'. Live: current only
                           after cd_target_describe_thread() (name too) */
    bool held;          /* in a ptrace-stop caused by us (always true on a core) */
    bool regs_valid;    /* regs holds this stop's registers */
    bool gone;          /* exited since we listed it */
    cd_regs regs;       /* valid when regs_valid */
    int64_t orig_rax;   /* syscall number the thread was in (-1 if none); = regs.orig_rax */
    int pending_sig;    /* live: signal to re-inject on resume (0 none); core: pr_cursig */
    void *backend;      /* backend-private per-thread data */
} cd_thread;

/* What a thread is doing, as far as can be known without stopping it. */
typedef enum {
    CD_SC_UNKNOWN = 0, /* cannot tell (permissions, thread gone) */
    CD_SC_RUNNING,     /* running in user space ("running" in /proc/.../syscall) */
    CD_SC_BLOCKED,     /* inside syscall `nr` */
} cd_sc_kind;

typedef struct cd_syscall_state {
    cd_sc_kind kind;
    long nr;           /* syscall number (x86-64), valid when kind == CD_SC_BLOCKED */
    uint64_t args[6];  /* rdi rsi rdx r10 r8 r9 */
    uint64_t sp, pc;   /* user sp/pc at syscall entry (pc = after the syscall instruction) */
} cd_syscall_state;

/* One mapping of the address space (live: /proc/PID/maps; core: NT_FILE + PT_LOAD). */
typedef struct cd_mapping {
    uint64_t start, end, offset;
    int prot;           /* PROT_READ | PROT_WRITE | PROT_EXEC */
    char *path;         /* file path, "[stack]" etc., or NULL for anonymous */
} cd_mapping;

/* How a stop was reported by cd_target_wait(). Every event is returned, none swallowed; which
 * of the optional ones (clone, thread exit, fork, exec) a backend reports is t->event_mask. After
 * wait returns, every thread is HELD (all-stop) unless the event says otherwise (ev.all_held).
 * Live: stops of other threads collected while everyone is being held (another breakpoint hit, a
 * signal, a watchpoint) are kept and reported by the next waits, oldest first; cont runs nothing
 * while one is waiting, so none is lost and no signal is delivered unseen. */
typedef enum {
    CD_EV_NONE = 0,
    CD_EV_BREAKPOINT,  /* a thread hit a software breakpoint; ev.addr = breakpoint address, pc already rewound */
    CD_EV_SIGNAL,      /* a thread stopped with signal ev.sig, ev.si its siginfo (has_si; not for a
                          job-control stop); delivered on resume unless the thread's pending_sig is
                          cleared or changed */
    CD_EV_EXITED,      /* the process exited with status ev.status */
    CD_EV_KILLED,      /* the process was killed by signal ev.sig */
    CD_EV_INTERRUPTED, /* the user pressed ^C: cd_target_interrupt was called, or (a launched program
                          holding the terminal, see cd_live_launch) the terminal's SIGINT reached the
                          program: that signal is dropped, never delivered */
    CD_EV_STEP,        /* ops->step finished one instruction in ev.tid; ev.addr = its new pc */
    CD_EV_WATCH,       /* a hardware watchpoint fired in ev.tid: ev.slots (bit i = debug register i,
                          from DR6), ev.addr = the pc after the access (x86 traps after it) */
    CD_EV_CLONE,       /* ev.tid created thread ev.child (CD_EVM_THREADS) */
    CD_EV_THREAD_EXIT, /* thread ev.tid exited with status ev.status, or was killed by ev.sig
                          (CD_EVM_THREADS; live: from the waitpid status, no extra stop per thread;
                          the main thread's own exit shows only with the process's) */
    CD_EV_FORK,        /* ev.tid forked process ev.child, which is held, traced, and still has our
                          breakpoints in its copy of the memory (CD_EVM_FORK) */
    CD_EV_VFORK,       /* the same for vfork: the child shares our memory until it execs or exits */
    CD_EV_VFORK_DONE,  /* the vfork child of ev.tid exec'd or exited: the parent's memory is its own again */
    CD_EV_EXEC,        /* the process exec'd (ev.tid = pid): threads, modules, breakpoints and
                          watchpoints are gone (the backend's lists are emptied, exe_path re-read);
                          ev.addr = the new entry point (AT_ENTRY). Always reported. */
} cd_ev_kind;

/* Bits of cd_target.event_mask: optional events wait() reports instead of handling silently. */
enum {
    CD_EVM_THREADS = 1, /* CD_EV_CLONE and CD_EV_THREAD_EXIT */
    CD_EVM_FORK = 2,    /* CD_EV_FORK, CD_EV_VFORK, CD_EV_VFORK_DONE; without it a fork child is
                           cleaned of our breakpoints and detached by the backend, and a vfork
                           child (which runs on our memory, int3s included) is kept traced until it
                           execs or exits, stepped over any int3 of ours it runs into, then detached */
    CD_EVM_BP_NONSTOP = 4, /* tracepoints (src/trace/ptrace.c): a breakpoint hit stops the hitting
                           thread alone; wait() reports it with every other thread still running
                           (ev.all_held false unless it is the only one), and cont() steps it over
                           the breakpoint by emulating the instruction (src/arch cd_x86_emulable)
                           and lets it go. An instruction that cannot be emulated there is single-
                           stepped with every thread held, as in all-stop, so that no thread runs
                           past the breakpoint unseen. Any other event stops every thread. */
};

typedef struct cd_event {
    cd_ev_kind kind;
    pid_t tid;
    uint64_t addr;
    int sig;
    int status;
    pid_t child;        /* CD_EV_CLONE: the new thread; CD_EV_FORK/VFORK: the new process */
    unsigned slots;     /* CD_EV_WATCH */
    bool has_si;        /* si is valid (CD_EV_SIGNAL) */
    bool all_held;      /* every thread is held (false only for CLONE/THREAD_EXIT: just ev.tid) */
    siginfo_t si;
} cd_event;

/* What a backend can do. Callers test these, never the backend's kind or t->core_path. An
 * operation a backend cannot do still exists and fails with CD_EK_UNSUPPORTED. */
typedef struct cd_caps {
    bool can_run;       /* resume, step, breakpoints, watchpoints */
    bool can_write;     /* memory and registers */
    bool has_proc;      /* /proc/PID exists: running threads' syscall state, current names, fds */
    bool post_mortem;   /* a snapshot of a process that died (a core): it has a cause of death */
    bool subpage_mem;   /* memory may start mid-page (a trace record's stack copy): a page that does
                         * not read from its start may still read from the bytes asked for */
    int hw_watch_slots; /* debug registers for watchpoints (x86: 4; 0 on a core) */
} cd_caps;

/* Watchpoint kinds for set_hw_watch (the x86 DR7 R/W encodings). */
typedef enum { CD_HW_EXEC = 0, CD_HW_WRITE = 1, CD_HW_RW = 3 } cd_hw_kind;

typedef struct cd_target_ops {
    const char *kind; /* "live" or "core": for messages only, never for branching */

    /* Re-lists threads (live: new threads from /proc/PID/task, exited ones marked gone). */
    int (*refresh_threads)(cd_target *t, cd_err *err);
    /* Brings th->name and th->state up to date (NULL: always current, a core). Live: a held thread
     * is read once per stop (keyed by stop_gen), not at every internal stop; a running one when
     * its last read is older than a fraction of a second. */
    void (*describe_thread)(cd_target *t, cd_thread *th);
    /* Takes exit statuses already reported, without reading /proc; -1 with a one-line error when
     * the process is gone. wait_ms 0: never blocks (cheap enough before every command); > 0: a
     * death suspected (a held thread vanished) may take that long to be reported: wait for it. */
    int (*check_alive)(cd_target *t, int wait_ms, cd_err *err);

    /* Reads up to len bytes at addr; returns bytes read (< len at an unreadable boundary) or -1 with
     * errno when nothing is readable. Safe on running threads (live). Never cached. */
    ssize_t (*read_mem)(cd_target *t, uint64_t addr, void *buf, size_t len);
    int (*write_mem)(cd_target *t, uint64_t addr, const void *buf, size_t len, cd_err *err);

    /* Registers of a HELD thread (live: fetched once per stop and cached in th->regs). */
    int (*get_regs)(cd_target *t, cd_thread *th, cd_regs *out, cd_err *err);
    int (*set_regs)(cd_target *t, cd_thread *th, const cd_regs *regs, cd_err *err);
    int (*get_fpregs)(cd_target *t, cd_thread *th, struct user_fpregs_struct *out, cd_err *err);
    /* One register set of a HELD thread by its core-note type: NT_X86_XSTATE etc. as
     * PTRACE_GETREGSET gives it, NT_SIGINFO as PTRACE_GETSIGINFO (its stop's siginfo); a core
     * answers from its notes. Returns the bytes written to buf (at most len), or -1
     * (CD_EK_UNSUPPORTED when the backend does not have that set). NULL: none (use
     * cd_target_get_regset, which says so). */
    ssize_t (*get_regset)(cd_target *t, cd_thread *th, unsigned type, void *buf, size_t len, cd_err *err);
    /* Writes one (NT_PRFPREG, NT_X86_XSTATE) of a HELD thread as PTRACE_SETREGSET does; NULL: cannot
     * (a function call in the target passes doubles in xmm0-7 and puts back the whole state). */
    int (*set_regset)(cd_target *t, cd_thread *th, unsigned type, const void *buf, size_t len, cd_err *err);

    /* Holds (n == 0: all) threads; see the header comment. Already-held threads are skipped. */
    int (*stop)(cd_target *t, cd_thread **ths, size_t n, cd_err *err);
    /* Releases held threads (n == 0: all held). */
    int (*resume)(cd_target *t, cd_thread **ths, size_t n, cd_err *err);

    /* Kernel's view of a thread's syscall, without stopping it. */
    int (*syscall_state)(cd_target *t, cd_thread *th, cd_syscall_state *out, cd_err *err);

    /* Reports every loaded module (exe, shared libraries, vdso) into dwfl (dwfl_report_begin/end
     * are called by the caller). */
    int (*report_modules)(cd_target *t, Dwfl *dwfl, cd_err *err);

    /* Address-space mappings; the array belongs to the target and stays valid until the next call. */
    int (*mappings)(cd_target *t, const cd_mapping **out, size_t *n, cd_err *err);

    /* Execution control. cont resumes every thread; wait blocks until a stop event, after which
     * all threads are HELD again (all-stop). interrupt is async-signal-safe; call it through
     * cd_target_interrupt(), which sets t->interrupted first. */
    int (*insert_breakpoint)(cd_target *t, uint64_t addr, cd_err *err);
    int (*remove_breakpoint)(cd_target *t, uint64_t addr, cd_err *err);
    int (*cont)(cd_target *t, cd_err *err);
    int (*wait)(cd_target *t, cd_event *ev, cd_err *err);
    /* Optional (NULL: only wait). wait with a limit: timeout_ms >= 0 returns 1 when nothing came
     * by then (ev->kind CD_EV_NONE; the target still runs, nothing changed), -1 waits as wait. */
    int (*wait_timeout)(cd_target *t, int timeout_ms, cd_event *ev, cd_err *err);
    /* Wakes a wait() in progress, from a signal handler or from another thread (a DAP `pause`):
     * wait then reports CD_EV_INTERRUPTED with every thread held. */
    void (*interrupt)(cd_target *t);
    /* Single-steps held thread th by one instruction while every other thread stays held,
     * delivering signal sig (0: none; th->pending_sig is not used) and stepping over a breakpoint
     * of ours under its pc. Fills ev: CD_EV_STEP, or whatever stopped it instead (a signal, a
     * watchpoint, its exit (CD_EV_THREAD_EXIT whatever the mask), the process's exit, an
     * interrupt). Other threads are not resumed. When the instruction is a system call that
     * forks, vforks or execs, that event is returned instead (with CD_EVM_FORK; exec always) and
     * a step from there finishes the instruction; a clone is queued for the next wait. */
    int (*step)(cd_target *t, cd_thread *th, int sig, cd_event *ev, cd_err *err);
    /* Optional (NULL: step only). Runs held thread th alone, every other thread held, until it
     * stops, and fills ev as step does: CD_EV_BREAKPOINT (an int3 of ours, pc rewound; one under
     * th's pc at the start is hit, not stepped over), a signal (not delivered), a watchpoint,
     * an interrupt (cd_target_interrupt stops th), its exit, the process's exit, exec, fork (with
     * CD_EVM_FORK). A thread th creates meanwhile runs too (th may wait for it: a function called
     * in the target that joins it); what stops such a thread keeps it held and is reported by a
     * later wait. When it returns every thread is held (a function call in the target, infcall.c:
     * one stop per event instead of one per instruction). */
    int (*run_one)(cd_target *t, cd_thread *th, cd_event *ev, cd_err *err);
    /* Hardware watchpoint in debug register `slot` (0 .. caps.hw_watch_slots-1) on every thread,
     * including threads created later: addr aligned to len (1, 2, 4 or 8). Threads must be held
     * (or have a stop on its way): a running one fails it. clear_hw_watch works any time (a
     * running thread loses it at its next stop; a hit it makes meanwhile is dropped). A hit is
     * CD_EV_WATCH; close() and emergency() clear DR7 on every thread before detaching. */
    int (*set_hw_watch)(cd_target *t, int slot, uint64_t addr, int len, cd_hw_kind kind, cd_err *err);
    int (*clear_hw_watch)(cd_target *t, int slot, cd_err *err);
    /* A fork child reported by CD_EV_FORK/VFORK: removes our breakpoint bytes from its memory and
     * detaches it, running. A vfork child shares our memory: nothing is written, and it is kept
     * traced until it execs or exits, as without CD_EVM_FORK. */
    int (*release_child)(cd_target *t, pid_t child, cd_err *err);
    /* A fork child reported by CD_EV_FORK/VFORK, kept under the debugger: a target of its own
     * (its threads held; our breakpoint bytes in its memory are listed as its breakpoints). A
     * vfork child's memory is the parent's until it execs: a breakpoint inserted or removed
     * through either target changes both. */
    cd_target *(*adopt_child)(cd_target *t, pid_t child, cd_err *err);

    /* Leaves the target as cdbg found it: breakpoints removed, attached processes detached and
     * running, launched processes killed; frees everything. With breakpoints in the code it first
     * holds every thread, rewinds each one that stopped on (or has queued) the SIGTRAP of one of
     * our int3s and drops that trap, takes the int3s out, and only then detaches: a thread left
     * at bp+1, or with our trap still to be delivered, would kill the program after we left. */
    void (*close)(cd_target *t);

    /* Async-signal-safe last resort used from fatal-signal handlers: the same as close (traps
     * rewound and dropped, breakpoint bytes restored, then detach; or kill, if launched) with
     * raw syscalls only, no malloc, no stdio, and what the kernel says about each thread rather
     * than bookkeeping the signal may have interrupted half-way. */
    void (*emergency)(cd_target *t);
} cd_target_ops;

/* Why a core's process died, from the core's notes. signo is the first NT_PRSTATUS's pr_cursig;
 * the rest is NT_SIGINFO's (the kernel writes it for the thread that took the fatal signal), valid
 * when has_siginfo. A fault (si_code > 0 for SIGSEGV/SIGBUS/SIGILL/SIGFPE) has addr; a signal
 * sent with kill/tgkill/sigqueue (si_code <= 0) has sender_pid and sender_uid. */
typedef struct cd_death {
    int signo;              /* 0: unknown (no signal recorded) */
    pid_t tid;              /* the thread that took it */
    bool has_siginfo;
    int code;               /* si_code */
    bool has_addr;
    uint64_t addr;          /* si_addr */
    bool has_sender;
    pid_t sender_pid;
    uid_t sender_uid;
} cd_death;

struct cd_target {
    const cd_target_ops *ops;
    cd_caps caps;
    unsigned event_mask;    /* CD_EVM_*: optional events wait() reports (0: none) */
    pid_t pid;
    char *exe_path;         /* executable path (live: /proc/PID/exe; core: the EXE argument) */
    char *core_path;        /* core file path, NULL when live */
    bool launched;          /* we started it (`cdbg run`): killed on close */
    cd_thread **threads;    /* in /proc/PID/task (live) or NT_PRSTATUS (core) order; main thread first */
    size_t nthreads;
    uint64_t stopped_ns;    /* accumulated time any thread was held stopped (live); 0 for cores */
    uint64_t held_since_ns; /* when the current hold began (cd_now_ns), 0 when no thread is held */
    uint64_t stop_gen;      /* incremented whenever threads resume: invalidates per-stop caches */
    /* The process's end as waitpid reported it to the backend (a tracer that is also the parent
     * collects it: the parent's own waitpid then finds nothing): valid when end_known. */
    bool end_known;
    int end_wstatus;
    char *warning;          /* one-time warning produced while opening (e.g. build-id mismatch), or NULL */
    cd_death death;         /* core: why the process died; all zero when live */
    /* A ^C (cd_target_interrupt) not yet answered: while it is set, cont runs nothing and wait
     * reports CD_EV_INTERRUPTED (and clears it), so an interrupt that lands between an internal
     * stop and the next resume (a breakpoint condition being evaluated) is never lost. Whoever
     * runs the target clears it when handing a stop to the user. */
    volatile sig_atomic_t interrupted;
    uint64_t syscall_insn;  /* cd_target_inject_syscall: a `syscall` instruction's address, 0 = not found yet */
    /* A function call running in thread call_tid (src/control/infcall.c; 0: none): the registers
     * it had before, which emergency() puts back before it lets the process go. */
    volatile pid_t call_tid;
    cd_regs call_regs;
    const void *call_fp;    /* its FP/vector state (call_fp_type: NT_X86_XSTATE or NT_PRFPREG) */
    size_t call_fp_len;
    unsigned call_fp_type;
    void *backend;          /* backend-private data */
};

/* How to attach. */
typedef enum {
    CD_ATTACH_STOP_ALL = 0, /* seize and hold every thread (bt all, REPL) */
    CD_ATTACH_NONSTOP,      /* look, don't touch: nothing is seized until cd_target_stop() */
    CD_ATTACH_STOP_ALL_DEFERRED, /* all-stop, but the initial stop of every thread happens at the
                                    first cd_target_stop(): lets the caller overlap work with it */
} cd_attach_mode;

/* Backends' constructors. Errors are one line (what, why, what to do) with code CD_EXIT_TARGET. */
cd_target *cd_live_attach(pid_t pid, cd_attach_mode mode, cd_err *err);
/* Launches argv[0] with argv, stopped right after exec (before any user code runs), in a process
 * group of its own. When cdbg's stdin is a terminal and cdbg is in its foreground, the program's
 * group is the terminal's foreground group while it runs (cont, step) and cdbg's takes it back,
 * with cdbg's terminal modes, at every stop and at close: a ^C typed while it runs reaches the
 * program as SIGINT, and wait reports that as CD_EV_INTERRUPTED (never delivered). */
cd_target *cd_live_launch(char *const argv[], cd_err *err);
cd_target *cd_core_open(const char *exe, const char *core, cd_err *err);

/* A snapshot of one instant of one thread (a tracepoint hit, a profiler sample) over a live base
 * target (src/target/snapshot.c): its one thread is always held with the instant's registers, and
 * memory reads are answered from the copy first, then from the base (code, data, heap as they are
 * NOW: a value read there may be newer than the instant). Build an unwinder on it with the base's
 * cd_symtab (cd_unwinder_new(snap, base_sym)) and a cd_scope on it to evaluate expressions with the
 * code `bt` and `print` use. It never runs or writes (CD_EK_UNSUPPORTED). The base must outlive it;
 * cd_target_close(snap) frees only the snapshot. */
typedef struct cd_snapshot_instant {
    pid_t tid;                  /* 0: the base's pid */
    const char *name;           /* thread name, or NULL */
    cd_regs regs;               /* every general register of the instant (orig_rax -1 outside a syscall) */
    const struct user_fpregs_struct *fpregs; /* NULL: not recorded (float values then fail) */
    uint64_t mem_addr;          /* the copied bytes: [mem_addr, mem_addr + mem_len), usually from sp */
    const void *mem;
    size_t mem_len;
    /* NULL, or one byte per byte of mem: 0 where the copy holds no value of the instant (a slot
     * below the stack pointer that only some of a prologue's stores would have written): a read
     * that reaches such a byte fails, where a zero would be a wrong value printed as right. */
    const unsigned char *mem_valid;
    /* Reads in [deny_lo, deny_hi) that the copy does not hold fail instead of reaching the base:
     * set it to the thread's stack mapping when the rest of the stack has moved on since the
     * instant (a profiler sample), so an unwind stops ("cut") instead of reading a later frame. */
    uint64_t deny_lo, deny_hi;
    /* Memory copied elsewhere at the instant (a tracepoint's `-e 'r->x'`, read by the hitting
     * thread): answered before the copy above and the base. Bytes [addr, addr + got) hold the
     * instant's values; [addr + got, addr + len) could not be read then, and a read there fails
     * (never the base's later bytes). */
    const struct cd_snapshot_window *win;
    size_t nwin;
} cd_snapshot_instant;
typedef struct cd_snapshot_window {
    uint64_t addr;
    uint32_t len, got;          /* got <= len */
    const void *bytes;          /* got bytes */
} cd_snapshot_window;
cd_target *cd_snapshot_new(cd_target *base, cd_err *err);
/* Starts a new instant: the copy is taken (in->mem may be reused by the caller after it returns)
 * and t->stop_gen moves, so no per-stop cache serves the previous instant. */
int cd_snapshot_set(cd_target *snap, const cd_snapshot_instant *in, cd_err *err);
/* How many reads (since the snapshot was made) went to the base, outside the copy and the windows:
 * a value whose evaluation moved it was read after the instant (a tracepoint marks it so). */
uint64_t cd_snapshot_base_reads(cd_target *snap);

/* Runs one system call in held thread th of a target that can run (caps.can_run): saves its
 * registers, points it at a `syscall` instruction already in the process (found once per target
 * in the vdso or another executable mapping) with rax = nr and the six arguments, single-steps it
 * through ops->step with every other thread held, reads rax, and restores the saved registers
 * (an interrupted system call of the thread's own restarts as before). *ret is the raw return
 * value (-errno on failure). For mmap/munmap/memfd_create/close/wait4... in the target (tracepoint
 * trampolines, gcore's snapshot). A system call that creates a process or thread (clone, fork) is
 * reported by the backend like the program's own (CD_EV_CLONE/FORK queued): the caller deals with it. */
int cd_target_inject_syscall(cd_target *t, cd_thread *th, long nr, const uint64_t args[6], int64_t *ret,
                             cd_err *err);

/* ops->get_regset, or CD_EK_UNSUPPORTED when the backend has none. */
ssize_t cd_target_get_regset(cd_target *t, cd_thread *th, unsigned type, void *buf, size_t len, cd_err *err);

/* gcore (src/target/gcore.c): writes an ELF core of a live target, as the kernel and gdb's gcore
 * do (NT_PRSTATUS, NT_FPREGSET, NT_X86_XSTATE, NT_SIGINFO per thread; NT_PRPSINFO, NT_AUXV,
 * NT_FILE; PT_LOADs under /proc/PID/coredump_filter and VM_DONTDUMP), recording no fatal signal.
 * The file is created 0600 under a temporary name in FILE's directory (O_EXCL|O_NOFOLLOW) and
 * renamed to FILE when complete (RENAME_NOREPLACE unless force); on any failure it is removed and
 * the threads are resumed first.
 * Threads held at the call stay held and memory is copied from the process as it is (breakpoint
 * bytes restored). With none held and snapshot set, the pause is minimal: everything that needs
 * no stop is read first, every thread is held only to take its registers and to run an injected
 * clone (no exit signal, no CLONE_VM) that makes a copy-on-write snapshot of the process, and the
 * memory is copied from that child while the threads run on; the child is killed and reaped from
 * inside the target (an injected wait4), which never sees a SIGCHLD. When the clone is refused,
 * memory is copied while the threads are held. docs/gcore.md says what a snapshot cannot see. */
typedef struct cd_gcore_opts {
    const char *path;  /* FILE */
    bool force;        /* replace an existing FILE */
    bool all;          /* every readable mapping, whatever coredump_filter and VM_DONTDUMP say */
    bool snapshot;     /* allow the fork snapshot (when no thread is held at the call) */
} cd_gcore_opts;
typedef struct cd_gcore_result {
    size_t threads;     /* NT_PRSTATUS notes written */
    size_t missing;     /* threads that could not be stopped (uninterruptible sleep): not in the core */
    size_t segments;    /* PT_LOADs */
    uint64_t bytes;     /* size of the file */
    uint64_t stopped_ns; /* how long threads were held by gcore (0 when they were held already) */
    uint64_t total_ns;  /* the whole dump */
    bool snapshot;      /* memory came from the fork snapshot */
    char why_held[160]; /* when a snapshot was wanted but not used: why (else "") */
} cd_gcore_result;
int cd_gcore(cd_target *t, const cd_gcore_opts *o, cd_gcore_result *r, cd_err *err);

/* Parses a user-given PID string and checks the process exists and is attachable-looking
 * (not a zombie, not ourselves). Shared by `attach` and `deadlock`. */
int cd_parse_pid(const char *s, pid_t *out, cd_err *err);

/* Convenience wrappers (dispatch through ops). */
static inline ssize_t cd_target_read(cd_target *t, uint64_t a, void *b, size_t n) { return t->ops->read_mem(t, a, b, n); }
static inline int cd_target_stop(cd_target *t, cd_thread **ths, size_t n, cd_err *e) { return t->ops->stop(t, ths, n, e); }
static inline int cd_target_resume(cd_target *t, cd_thread **ths, size_t n, cd_err *e) { return t->ops->resume(t, ths, n, e); }
static inline void cd_target_close(cd_target *t) { if (t) t->ops->close(t); }
/* Before showing a thread's name or state: a thread renames itself (pthread_setname_np) after it
 * was created, and its state at a stop is not the one it had when last listed. */
static inline void cd_target_describe_thread(cd_target *t, cd_thread *th)
{
    if (t->ops->describe_thread && !th->gone)
        t->ops->describe_thread(t, th);
}
/* Async-signal-safe (a SIGINT handler's call). */
static inline void cd_target_interrupt(cd_target *t)
{
    t->interrupted = 1;
    t->ops->interrupt(t);
}

/* How long any thread has been held so far, including a hold still in progress. */
static inline uint64_t cd_target_stopped_ns(const cd_target *t)
{
    return t->stopped_ns + (t->held_since_ns ? cd_now_ns() - t->held_since_ns : 0);
}

/* Reads exactly len bytes or fails (returns -1). */
int cd_target_read_full(cd_target *t, uint64_t addr, void *buf, size_t len);
/* Reads a NUL-terminated string of at most max bytes (result always NUL-terminated); -1 if unreadable. */
int cd_target_read_str(cd_target *t, uint64_t addr, char *buf, size_t max);
cd_thread *cd_target_find_thread(cd_target *t, pid_t tid);

/* Per-stop page cache over read_mem, for unwinders: valid while t->stop_gen is unchanged.
 * One cache per user (not shared between targets). */
typedef struct cd_memcache cd_memcache;
cd_memcache *cd_memcache_new(cd_target *t);
void cd_memcache_free(cd_memcache *c);
int cd_memcache_read(cd_memcache *c, uint64_t addr, void *buf, size_t len); /* 0 or -1 */

/* Process-wide emergency cleanup: live targets register themselves so a fatal signal
 * (SIGTERM, SIGHUP, SIGSEGV in cdbg...) can still detach them. Async-signal-safe. */
void cd_emergency_register(cd_target *t);
void cd_emergency_unregister(cd_target *t);
void cd_emergency_cleanup(void);

#endif
