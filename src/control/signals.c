/* Signals: names and descriptions as gdb words them, siginfo codes, gdb's default `handle`
 * policy, and `signal SIG` (a thread resumed with another signal than the one it stopped with). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control/control_int.h"

/* Linux x86-64 numbering; gdb's descriptions (its signals.def), which are not always glibc's
 * strsignal ("Arithmetic exception", not "Floating point exception"). */
static const struct {
    const char *name, *desc;
} sigtab[32] = {
    [SIGHUP] = {"SIGHUP", "Hangup"},
    [SIGINT] = {"SIGINT", "Interrupt"},
    [SIGQUIT] = {"SIGQUIT", "Quit"},
    [SIGILL] = {"SIGILL", "Illegal instruction"},
    [SIGTRAP] = {"SIGTRAP", "Trace/breakpoint trap"},
    [SIGABRT] = {"SIGABRT", "Aborted"},
    [SIGBUS] = {"SIGBUS", "Bus error"},
    [SIGFPE] = {"SIGFPE", "Arithmetic exception"},
    [SIGKILL] = {"SIGKILL", "Killed"},
    [SIGUSR1] = {"SIGUSR1", "User defined signal 1"},
    [SIGSEGV] = {"SIGSEGV", "Segmentation fault"},
    [SIGUSR2] = {"SIGUSR2", "User defined signal 2"},
    [SIGPIPE] = {"SIGPIPE", "Broken pipe"},
    [SIGALRM] = {"SIGALRM", "Alarm clock"},
    [SIGTERM] = {"SIGTERM", "Terminated"},
    [SIGSTKFLT] = {"SIGSTKFLT", "Stack fault"},
    [SIGCHLD] = {"SIGCHLD", "Child status changed"},
    [SIGCONT] = {"SIGCONT", "Continued"},
    [SIGSTOP] = {"SIGSTOP", "Stopped (signal)"},
    [SIGTSTP] = {"SIGTSTP", "Stopped (user)"},
    [SIGTTIN] = {"SIGTTIN", "Stopped (tty input)"},
    [SIGTTOU] = {"SIGTTOU", "Stopped (tty output)"},
    [SIGURG] = {"SIGURG", "Urgent I/O condition"},
    [SIGXCPU] = {"SIGXCPU", "CPU time limit exceeded"},
    [SIGXFSZ] = {"SIGXFSZ", "File size limit exceeded"},
    [SIGVTALRM] = {"SIGVTALRM", "Virtual timer expired"},
    [SIGPROF] = {"SIGPROF", "Profiling timer expired"},
    [SIGWINCH] = {"SIGWINCH", "Window size changed"},
    [SIGIO] = {"SIGIO", "I/O possible"},
    [SIGPWR] = {"SIGPWR", "Power fail/restart"},
    [SIGSYS] = {"SIGSYS", "Bad system call"},
};

/* Other names of the same numbers (SIGPOLL is SIGIO on Linux). */
static const struct {
    const char *name;
    int sig;
} sigalias[] = {{"SIGPOLL", SIGIO}, {"SIGIOT", SIGABRT}, {"SIGCLD", SIGCHLD}};

const char *cd_sig_name(int sig, char buf[16])
{
    if (sig > 0 && sig < 32 && sigtab[sig].name)
        return sigtab[sig].name;
    snprintf(buf, 16, "SIG%d", sig);
    return buf;
}

const char *cd_sig_description(int sig)
{
    static const char *const rt[CD_SIG_MAX - 31] = {
        "Real-time event 32", "Real-time event 33", "Real-time event 34", "Real-time event 35", "Real-time event 36",
        "Real-time event 37", "Real-time event 38", "Real-time event 39", "Real-time event 40", "Real-time event 41",
        "Real-time event 42", "Real-time event 43", "Real-time event 44", "Real-time event 45", "Real-time event 46",
        "Real-time event 47", "Real-time event 48", "Real-time event 49", "Real-time event 50", "Real-time event 51",
        "Real-time event 52", "Real-time event 53", "Real-time event 54", "Real-time event 55", "Real-time event 56",
        "Real-time event 57", "Real-time event 58", "Real-time event 59", "Real-time event 60", "Real-time event 61",
        "Real-time event 62", "Real-time event 63", "Real-time event 64",
    };
    if (sig > 0 && sig < 32 && sigtab[sig].desc)
        return sigtab[sig].desc;
    if (sig >= 32 && sig <= CD_SIG_MAX)
        return rt[sig - 32];
    return "Unknown signal";
}

int cd_sig_parse(const char *s, int *sig)
{
    unsigned long long n;
    if (cd_parse_uint(s, &n)) {
        if (n < 1 || n > CD_SIG_MAX)
            return -1;
        *sig = (int)n;
        return 0;
    }
    /* SIGUSR1, sigusr1, USR1, usr1, SIG34 */
    const char *base = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
    if (!*base)
        return -1;
    for (int i = 1; i < 32; i++)
        if (sigtab[i].name && !strcasecmp(sigtab[i].name + 3, base)) {
            *sig = i;
            return 0;
        }
    for (size_t i = 0; i < sizeof sigalias / sizeof *sigalias; i++)
        if (!strcasecmp(sigalias[i].name + 3, base)) {
            *sig = sigalias[i].sig;
            return 0;
        }
    if (base != s && isdigit((unsigned char)*base) && cd_parse_uint(base, &n) && n >= 32 && n <= CD_SIG_MAX) {
        *sig = (int)n;
        return 0;
    }
    return -1;
}

const char *cd_sig_code_name(int sig, int code, const char **what)
{
    static const struct {
        int sig, code;
        const char *name, *what;
    } names[] = {
        {SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR", "address not mapped to object"},
        {SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR", "invalid permissions for mapped object"},
        {SIGSEGV, 3, "SEGV_BNDERR", "failed address bound checks"},
        {SIGSEGV, 4, "SEGV_PKUERR", "access denied by protection keys"},
        {SIGSEGV, 10, "SEGV_CPERR", "control protection fault"},
        {SIGBUS, BUS_ADRALN, "BUS_ADRALN", "invalid address alignment"},
        {SIGBUS, BUS_ADRERR, "BUS_ADRERR", "nonexistent physical address"},
        {SIGBUS, BUS_OBJERR, "BUS_OBJERR", "object-specific hardware error"},
        {SIGBUS, 4, "BUS_MCEERR_AR", "hardware memory error consumed on a machine check"},
        {SIGBUS, 5, "BUS_MCEERR_AO", "hardware memory error detected in process but not consumed"},
        {SIGILL, ILL_ILLOPC, "ILL_ILLOPC", "illegal opcode"},
        {SIGILL, ILL_ILLOPN, "ILL_ILLOPN", "illegal operand"},
        {SIGILL, ILL_ILLADR, "ILL_ILLADR", "illegal addressing mode"},
        {SIGILL, ILL_ILLTRP, "ILL_ILLTRP", "illegal trap"},
        {SIGILL, ILL_PRVOPC, "ILL_PRVOPC", "privileged opcode"},
        {SIGILL, ILL_PRVREG, "ILL_PRVREG", "privileged register"},
        {SIGILL, ILL_COPROC, "ILL_COPROC", "coprocessor error"},
        {SIGILL, ILL_BADSTK, "ILL_BADSTK", "internal stack error"},
        {SIGFPE, FPE_INTDIV, "FPE_INTDIV", "integer divide by zero"},
        {SIGFPE, FPE_INTOVF, "FPE_INTOVF", "integer overflow"},
        {SIGFPE, FPE_FLTDIV, "FPE_FLTDIV", "floating-point divide by zero"},
        {SIGFPE, FPE_FLTOVF, "FPE_FLTOVF", "floating-point overflow"},
        {SIGFPE, FPE_FLTUND, "FPE_FLTUND", "floating-point underflow"},
        {SIGFPE, FPE_FLTRES, "FPE_FLTRES", "floating-point inexact result"},
        {SIGFPE, FPE_FLTINV, "FPE_FLTINV", "invalid floating-point operation"},
        {SIGFPE, FPE_FLTSUB, "FPE_FLTSUB", "subscript out of range"},
        {0, SI_USER, "SI_USER", "kill()"},
        {0, SI_TKILL, "SI_TKILL", "tgkill()"},
        {0, SI_QUEUE, "SI_QUEUE", "sigqueue()"},
        {0, SI_KERNEL, "SI_KERNEL", "sent by the kernel"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if ((names[i].sig == sig || (names[i].sig == 0 && code <= 0) || (names[i].sig == 0 && code == SI_KERNEL)) &&
            names[i].code == code) {
            *what = names[i].what;
            return names[i].name;
        }
    *what = NULL;
    return NULL;
}

bool cd_sig_is_fault(int sig, int code)
{
    return (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE) && code > 0 && code != SI_KERNEL;
}

cd_sigpolicy cd_sig_default_policy(int sig)
{
    switch (sig) {
    case SIGINT:
    case SIGTRAP:
        /* a ^C or a trap is the debugger's, never the program's */
        return (cd_sigpolicy){.stop = true, .print = true, .pass = false};
    case SIGALRM:
    case SIGURG:
    case SIGCHLD:
    case SIGIO:
    case SIGVTALRM:
    case SIGPROF:
    case SIGWINCH:
    /* glibc's own real-time signals (__SIGRTMIN: thread cancellation, setxid), which gdb
     * leaves to the program: SIGRTMIN as a program sees it is 34, past them */
    case 32:
    case 33:
        /* signals programs use for their own business: neither stop nor say anything */
        return (cd_sigpolicy){.stop = false, .print = false, .pass = true};
    default:
        return (cd_sigpolicy){.stop = true, .print = true, .pass = true};
    }
}

int cd_ctl_signal(cd_ctl *c, cd_thread *th, int sig, cd_err *err)
{
    if (sig < 0 || sig > CD_SIG_MAX)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "signal: %d is not a signal number (1-%d, or 0 for none)", sig,
                        CD_SIG_MAX);
    th->pending_sig = sig;
    /* the user chose what this thread gets: the policy of the signal it stopped with is moot */
    if (c->sig_tid == th->tid) {
        c->sig_tid = 0;
        c->sig_sig = 0;
    }
    return 0;
}

void cd_ctl_set_thread_events(cd_ctl *c, bool on)
{
    c->thread_events = on;
    if (on)
        c->t->event_mask |= CD_EVM_THREADS;
    else
        c->t->event_mask &= ~(unsigned)CD_EVM_THREADS;
}

void cd_ctl_set_note_fn(cd_ctl *c, void (*fn)(void *arg, const cd_signote *n), void *arg)
{
    c->note_fn = fn;
    c->note_arg = arg;
}

void ctl_add_note(cd_ctl *c, cd_stop *stop, cd_signote n)
{
    if (c->note_fn) {
        c->note_fn(c->note_arg, &n);
        return;
    }
    stop->notes = cd_xrealloc(stop->notes, (stop->nnotes + 1) * sizeof *stop->notes);
    stop->notes[stop->nnotes++] = n;
}

static bool noted_exit(cd_ctl *c, const cd_thread *th)
{
    for (size_t i = 0; i < c->nexits; i++)
        if (c->exits[i] == th)
            return true;
    return false;
}

static void add_exit(cd_ctl *c, const cd_thread *th)
{
    c->exits = cd_xrealloc(c->exits, (c->nexits + 1) * sizeof *c->exits);
    c->exits[c->nexits++] = th;
}

bool ctl_exit_unnoted(cd_ctl *c, pid_t tid)
{
    /* the newest entry of that tid: an older one is a thread that had the tid before */
    const cd_thread *th = NULL;
    for (size_t i = 0; i < c->t->nthreads; i++)
        if (c->t->threads[i]->tid == tid)
            th = c->t->threads[i];
    if (!th)
        return true; /* not listed at all: nothing else can have noted it */
    if (noted_exit(c, th))
        return false;
    add_exit(c, th);
    return true;
}

void cd_ctl_note_gone_threads(cd_ctl *c, cd_stop *stop)
{
    if (!c->thread_events)
        return;
    cd_target *t = c->t;
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (!th->gone || th->tid == t->pid || noted_exit(c, th))
            continue;
        add_exit(c, th);
        ctl_add_note(c, stop, (cd_signote){.kind = CD_NOTE_THREAD_EXIT, .tid = th->tid});
    }
}
