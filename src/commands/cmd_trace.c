/* `cdbg trace [options] PATTERN... (-p PID | -- PROG [ARGS...])`: tracepoints that log without
 * stopping the program (issue 12; docs/tracing.md).
 *
 * -p PID: the process is opened NONSTOP (nothing is seized; the uprobe backend needs no ptrace)
 * for its symbols and memory. -- PROG: the program is launched under ptrace and run to main (so
 * ld.so has mapped its libraries and patterns in them resolve), then detached, held by a SIGSTOP,
 * and opened NONSTOP like an attached process; the probes are armed, and it is continued: it runs
 * to its end while we are only its parent (waitpid gives its status). */
#include "commands/cmd_impl.h"
#include "commands/oneshot.h"
#include "control/control.h"
#include "target/open.h"
#include "target/procfs.h"

#include "expr/expr_int.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char cd_trace_usage[] =
    "usage: cdbg trace [options] PATTERN... -p PID\n"
    "       cdbg trace [options] PATTERN... -- PROG [ARGS...]\n"
    "PATTERN: a function-name regex (^work$), MODULE:REGEX (libc.so.6:malloc) or FILE:LINE.\n"
    "Options: --json, -o FILE, -e EXPR (repeatable), --ret, --if COND, --max-hits N,\n"
    "         --duration SECONDS, --backend auto|inline|uprobe|ptrace, --buffer-size BYTES[K|M], --list\n"
    "Exit status: with -- PROG the program's (128+N for signal N); with -p 0 after a clean detach;\n"
    "1 tracing failed or no function matches, 2 usage error (options, --if, -e, a PID that is not a\n"
    "number), 4 cannot attach (no such process, not permitted, already traced) or start PROG.\n"
    "--backend ptrace cannot promise the program survives a SIGKILL of cdbg: its int3s stay in an\n"
    "attached process (which then dies of SIGTRAP at its next hit), and a launched one is killed.\n";

static const char *sig_name(int sig)
{
    return sig == SIGINT ? " by SIGINT" : sig == SIGTERM ? " by SIGTERM" : sig == SIGHUP ? " by SIGHUP" : " by a signal";
}

static int fail(const cd_err *e, int def)
{
    fprintf(stderr, "cdbg: %s\n", e->msg);
    return e->code > 0 ? e->code : def;
}

/* A backend that refuses an option's value (--buffer-size too small for its records) fails as
 * any bad option does: status 2, as documented. */
static int arm_fail(const cd_err *e)
{
    fprintf(stderr, "cdbg: %s\n", e->msg);
    return e->kind == CD_EK_USAGE ? CD_EXIT_USAGE : e->code > 0 ? e->code : CD_EXIT_CMD;
}

static int usage_fail(const char *fmt, const char *arg)
{
    return cd_oneshot_usage_fail("trace", fmt, arg);
}

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return false;
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        v <<= 30, end++;
    if (*end || !v)
        return false;
    *out = (size_t)v;
    return true;
}

/* Another tracer (gdb, strace) holds the process: a second one must not stack on it. */
static int check_untraced(pid_t pid, cd_err *err)
{
    cd_proc_status st;
    if (cd_procfs_read_status(pid, &st) < 0)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "trace: no process with PID %d: it has exited", (int)pid);
    if (st.tracer_pid)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                        "trace: process %d is already traced by process %d; detach that tracer first", (int)pid,
                        (int)st.tracer_pid);
    /* stopped by SIGSTOP (or ^Z): the probes go in by running code in it, which it cannot do */
    if (st.state == 'T')
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_OTHER,
                        "trace: process %d is stopped (state T, by SIGSTOP or a job-control stop); resume it with "
                        "`kill -CONT %d` and trace it then",
                        (int)pid, (int)pid);
    return 0;
}

/* --backend ptrace -- PROG: the launch target stays the program's tracer, and its wait() is where
 * the program's end shows: the trace core reports that it ended, not how, so the status (and a
 * ^C typed at the terminal, which the target reports instead of delivering) is taken on the way,
 * by wrappers of the target's wait functions. The wrapped table comes first in the watch, so a
 * wrapper finds its watch from t->ops. */
typedef struct pt_watch {
    cd_target_ops ops;          /* first: t->ops points here while watched */
    const cd_target_ops *real;  /* the target's own table; NULL: never watched */
    int status;                 /* the program's exit status (128+N for signal N); -1 not seen */
} pt_watch;

typedef struct tm_state {
    cd_target *t;
    cd_symtab *sym;
    /* the launch: */
    cd_target *lt;
    cd_symtab *lsym;
    cd_unwinder *lunw;
    cd_vstate *lvs;
    cd_ctl *lctl;
    pt_watch pt;
} tm_state;

static void release_launch(tm_state *st, bool detach)
{
    if (st->lctl)
        cd_ctl_free(st->lctl);
    if (st->lunw)
        cd_unwinder_free(st->lunw);
    if (st->lsym)
        cd_symtab_free(st->lsym);
    if (st->lvs)
        cd_vstate_free(st->lvs);
    if (st->lt) {
        if (detach)
            st->lt->launched = false; /* close detaches it, running, instead of killing it */
        cd_target_close(st->lt);
    }
    st->lctl = NULL, st->lunw = NULL, st->lsym = NULL, st->lvs = NULL, st->lt = NULL;
}

static pt_watch *watch_of(cd_target *t)
{
    return (pt_watch *)t->ops;
}

static void pt_seen(pt_watch *w, const cd_event *ev)
{
    if (ev->kind == CD_EV_EXITED)
        w->status = ev->status;
    else if (ev->kind == CD_EV_KILLED)
        w->status = 128 + ev->sig;
    else if (ev->kind == CD_EV_INTERRUPTED)
        cd_oneshot_stop = SIGINT;
}

static int pt_wait(cd_target *t, cd_event *ev, cd_err *err)
{
    pt_watch *w = watch_of(t);
    int r = w->real->wait(t, ev, err);
    if (r == 0)
        pt_seen(w, ev);
    return r;
}

static int pt_wait_timeout(cd_target *t, int timeout_ms, cd_event *ev, cd_err *err)
{
    pt_watch *w = watch_of(t);
    int r = w->real->wait_timeout(t, timeout_ms, ev, err);
    if (r == 0)
        pt_seen(w, ev);
    return r;
}

static void pt_watch_start(pt_watch *w, cd_target *t)
{
    w->real = t->ops;
    w->ops = *t->ops;
    w->ops.wait = pt_wait;
    w->ops.wait_timeout = w->real->wait_timeout ? pt_wait_timeout : NULL;
    w->status = -1;
    t->ops = &w->ops;
}

int cd_trace_main(int argc, char **argv)
{
    cd_trace_opts o = {.backend = CD_TB_AUTO};
    char **pats = cd_xcalloc((size_t)argc + 1, sizeof *pats), **exprs = cd_xcalloc((size_t)argc + 1, sizeof *exprs);
    const char *pid_s = NULL, *outfile = NULL;
    char **prog = NULL;
    double duration = 0;
    bool list = false;
    int status = CD_EXIT_OK;
    size_t npats = 0, nexprs = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VAL()                                                                                                     \
    do {                                                                                                               \
        if (!val) {                                                                                                    \
            status = usage_fail("option %s needs a value", a);                                                         \
            goto out;                                                                                                  \
        }                                                                                                              \
        i++;                                                                                                           \
    } while (0)
        if (!strcmp(a, "--")) {
            if (i + 1 >= argc) {
                status = usage_fail("%s needs a program to run after it", a);
                goto out;
            }
            prog = argv + i + 1;
            break;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(cd_trace_usage, stdout);
            goto out;
        } else if (!strcmp(a, "--json")) {
            o.json = true;
        } else if (!strcmp(a, "--ret")) {
            o.want_return = true;
        } else if (!strcmp(a, "--list")) {
            list = true;
        } else if (!strcmp(a, "-p")) {
            NEED_VAL();
            pid_s = val;
        } else if (!strcmp(a, "-o")) {
            NEED_VAL();
            outfile = val;
        } else if (!strcmp(a, "-e")) {
            NEED_VAL();
            exprs[nexprs++] = (char *)val;
        } else if (!strcmp(a, "--if")) {
            NEED_VAL();
            o.cond = val;
        } else if (!strcmp(a, "--max-hits")) {
            NEED_VAL();
            unsigned long long n;
            if (!cd_parse_uint(val, &n) || !n) {
                status = usage_fail("--max-hits needs a positive number, not '%s'", val);
                goto out;
            }
            o.max_hits = n;
        } else if (!strcmp(a, "--duration")) {
            NEED_VAL();
            char *end;
            duration = strtod(val, &end);
            if (*end || !(duration > 0)) {
                status = usage_fail("--duration needs a positive number of seconds, not '%s'", val);
                goto out;
            }
        } else if (!strcmp(a, "--buffer-size")) {
            NEED_VAL();
            if (!parse_size(val, &o.buffer_size)) {
                status = usage_fail("--buffer-size needs a size in bytes (K, M, G suffixes), not '%s'", val);
                goto out;
            }
        } else if (!strcmp(a, "--backend")) {
            NEED_VAL();
            static const char *names[] = {"auto", "inline", "uprobe", "ptrace"};
            int k = -1;
            for (int j = 0; j < 4; j++)
                if (!strcmp(val, names[j]))
                    k = j;
            if (k < 0) {
                status = usage_fail("--backend is auto, inline, uprobe or ptrace, not '%s'", val);
                goto out;
            }
            o.backend = (cd_tb_kind)k;
        } else if (a[0] == '-' && a[1]) {
            status = usage_fail("unknown option '%s'", a);
            goto out;
        } else {
            pats[npats++] = (char *)a;
        }
#undef NEED_VAL
    }
    if (!npats) {
        status = usage_fail("%s", "give at least one PATTERN (a function-name regex, MODULE:REGEX or FILE:LINE)");
        goto out;
    }
    if (!pid_s == !prog) {
        status = usage_fail("%s", pid_s ? "give -p PID or -- PROG, not both" : "give -p PID or -- PROG [ARGS...]");
        goto out;
    }
    o.patterns = pats;
    o.npatterns = npats;
    o.exprs = exprs;
    o.nexprs = nexprs;
    cd_err err;
    cd_err_clear(&err);
    if (cd_trace_check_exprs(o.cond, exprs, nexprs, &err) < 0) {
        status = fail(&err, CD_EXIT_USAGE);
        goto out;
    }
    /* the ptrace backend traces the program itself: no hand-over, the launch target stays */
    bool pt_launch = prog && o.backend == CD_TB_PTRACE;
    FILE *outfp = stdout;
    if (outfile && !list) {
        outfp = fopen(outfile, "w");
        if (!outfp) {
            fprintf(stderr, "cdbg: trace: cannot write %s: %s\n", outfile, strerror(errno));
            status = CD_EXIT_USAGE;
            goto out;
        }
    }
    static char obuf[1 << 20];
    /* SIGINT, SIGTERM and SIGHUP end the run as Ctrl-C does: every probe removed, the summary, the
     * process left running. Caught before anything is opened: a signal during the set-up must not
     * kill cdbg with probes in (issue 12). */
    cd_oneshot_sigs sigs;
    cd_oneshot_catch(&sigs);
    struct sigaction sa, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old_pipe);
    setvbuf(outfp, obuf, _IOFBF, sizeof obuf);

    tm_state st = {.pt.status = -1};
    cd_trace *tr = NULL;
    pid_t pid = 0;
    bool launched = prog != NULL, ended = false, interrupted = false, held = false, detach_launch = false;
    bool armed = false;
    int ws = 0;
    if (pid_s) {
        if (cd_parse_pid(pid_s, &pid, &err) < 0 || check_untraced(pid, &err) < 0) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
    } else {
        cd_open_spec ls = {.kind = CD_OPEN_LAUNCH, .argv = prog};
        st.lt = cd_target_open(&ls, &err);
        if (!st.lt) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
        pid = st.lt->pid;
        st.lsym = cd_symtab_new(st.lt, &err);
        st.lunw = st.lsym ? cd_unwinder_new(st.lt, st.lsym, &err) : NULL;
        if (!st.lunw) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
        st.lvs = cd_vstate_new();
        st.lctl = cd_ctl_new(st.lt, st.lsym, st.lunw, st.lvs);
        cd_stop stop;
        memset(&stop, 0, sizeof stop);
        const char *where = NULL;
        if (cd_ctl_start(st.lctl, &stop, &where, &err) < 0) {
            status = fail(&err, CD_EXIT_TARGET);
            cd_stop_free(&stop);
            goto close;
        }
        if (stop.reason == CD_STOP_EXITED || stop.reason == CD_STOP_KILLED) {
            status = stop.reason == CD_STOP_EXITED ? stop.status : 128 + stop.sig;
            fprintf(stderr, "cdbg: trace: %s ended before main; nothing was traced\n", prog[0]);
            cd_stop_free(&stop);
            goto close;
        }
        cd_stop_free(&stop);
        /* At main, ld.so has mapped the libraries. The probes go in now, while ptrace holds every
         * thread (the inline backend patches only a held program); then the program is detached
         * and watched through a NONSTOP view like an attached one. Across that hand-over it is
         * held with a SIGSTOP (pending at the detach, so it takes effect at once), and killed if
         * cdbg fails before it is released, as a launched program is. We stay its parent. */
        /* the symbols were listed at exec: the libraries ld.so has mapped since are added */
        if (cd_symtab_refresh(st.lsym, &err) < 0) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
        tr = cd_trace_new(st.lt, st.lsym, &o, &err);
        if (!tr || cd_trace_resolve(tr, &err) < 0) {
            status = fail(&err, CD_EXIT_CMD);
            goto close;
        }
        if (pt_launch && !list) {
            pt_watch_start(&st.pt, st.lt);
        } else {
            if (!list && cd_trace_arm(tr, &err) < 0) {
                status = arm_fail(&err);
                goto close;
            }
            armed = !list;
        }
        /* auto gave a probe to the ptrace backend (the others refused it): its breakpoints live
         * through the launch target, so the program is not handed over but traced as with
         * --backend ptrace */
        const cd_trace_match *am;
        size_t anm = armed ? cd_trace_matches(tr, &am) : 0;
        for (size_t i = 0; i < anm && !pt_launch; i++)
            if (am[i].backend && !strcmp(am[i].backend, "ptrace")) {
                pt_launch = true;
                pt_watch_start(&st.pt, st.lt);
            }
        if (!pt_launch || list) {
            /* pending at the detach, the SIGSTOP stops it at once: it does not run (and maybe end)
             * before the NONSTOP view below has it; SIGCONT once that view is set up */
            kill(pid, SIGSTOP);
            held = true;
            if (!list) {
                /* the probes stay in the program: only the debugger's own state is let go */
                release_launch(&st, true);
            }
        }
    }
    if (!pt_launch && (!tr || !list)) {
        cd_open_spec as = {.kind = CD_OPEN_ATTACH, .pid = pid, .mode = CD_ATTACH_NONSTOP};
        st.t = cd_target_open(&as, &err);
        if (!st.t) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
        st.sym = cd_symtab_new(st.t, &err);
        if (!st.sym) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
    }
    if (tr && !list && !pt_launch) {
        if (cd_trace_rebase(tr, st.t, st.sym, &err) < 0) {
            status = fail(&err, CD_EXIT_CMD);
            goto close;
        }
    } else if (!tr) {
        tr = cd_trace_new(st.t, st.sym, &o, &err);
        if (!tr || cd_trace_resolve(tr, &err) < 0) {
            status = fail(&err, CD_EXIT_CMD);
            goto close;
        }
    }
    const cd_trace_match *m;
    size_t nm = cd_trace_matches(tr, &m);
    if (list) {
        for (size_t i = 0; i < nm; i++) {
            printf("%s\t%s", m[i].func, m[i].module);
            if (m[i].file)
                printf("\t%s:%d", m[i].file, m[i].line);
            printf("\t0x%llx%s\n", (unsigned long long)m[i].addr, m[i].has_debug ? "" : "\t(no debug info)");
        }
        goto close;
    }
    /* ptrace: the program runs from here (arm continues it), traced to its end */
    if ((!launched || pt_launch) && !armed && cd_trace_arm(tr, &err) < 0) {
        status = arm_fail(&err);
        goto close;
    }
    char *notes = cd_trace_take_notes(tr);
    if (notes) {
        for (char *l = strtok(notes, "\n"); l; l = strtok(NULL, "\n"))
            fprintf(stderr, "cdbg: trace: %s\n", l);
        free(notes);
    }
    nm = cd_trace_matches(tr, &m);
    fprintf(stderr, "cdbg: trace: %zu tracepoint%s in process %d:", nm, nm == 1 ? "" : "s", (int)pid);
    for (size_t i = 0; i < nm && i < 8; i++)
        fprintf(stderr, " %s (%s)", m[i].func, m[i].backend);
    fprintf(stderr, "%s\n", nm > 8 ? " ..." : "");
    for (size_t i = 0; i < nm; i++)
        if (m[i].backend && !strcmp(m[i].backend, "ptrace")) {
            /* issue 12: the one backend that cannot promise the program survives cdbg */
            fprintf(stderr, "cdbg: trace: warning: the ptrace backend does not survive a SIGKILL of cdbg: %s\n",
                    launched ? "the program is killed with it"
                             : "its breakpoints stay in the process, which dies of SIGTRAP at its next hit");
            break;
        }
    detach_launch = pt_launch;
    if (held) {
        kill(pid, SIGCONT);
        held = false;
    }

    cd_trace_out to = {.fp = outfp, .json = o.json};
    uint64_t deadline = duration > 0 ? cd_now_ns() + (uint64_t)(duration * 1e9) : 0;
    /* Output is live: written out at most FLUSH_NS after an event entered the buffer, at once on a
     * terminal, and batched in between (one write per ~100 ms at high rates, not one per event). */
    const uint64_t FLUSH_NS = 100 * 1000000ull;
    bool flush_each = isatty(fileno(outfp));
    uint64_t pending_since = 0; /* when the oldest unwritten event was buffered; 0: none */
    for (;;) {
        if (cd_oneshot_stop) {
            interrupted = true;
            break;
        }
        if (deadline && cd_now_ns() >= deadline)
            break;
        int tmo = 100;
        if (pending_since) {
            uint64_t age = cd_now_ns() - pending_since;
            tmo = age >= FLUSH_NS ? 0 : (int)((FLUSH_NS - age + 999999) / 1000000);
        }
        int n = cd_trace_poll(tr, tmo, cd_trace_render, &to, &err);
        if (n < 0) {
            if (err.kind == CD_EK_EXITED) {
                ended = true;
                break;
            }
            status = fail(&err, CD_EXIT_CMD);
            break;
        }
        if (n > 0 && !pending_since)
            pending_since = cd_now_ns();
        if (pending_since && (n == 0 || flush_each || ferror(outfp) || cd_now_ns() - pending_since >= FLUSH_NS)) {
            fflush(outfp);
            pending_since = 0;
        }
        if (ferror(outfp)) {
            fprintf(stderr, "cdbg: trace: writing the events failed: %s\n", strerror(errno));
            status = CD_EXIT_CMD;
            break;
        }
        if (cd_trace_limit_reached(tr))
            break;
    }
    cd_err de;
    cd_err_clear(&de);
    if (cd_trace_disarm(tr, &de) < 0)
        fprintf(stderr, "cdbg: trace: %s\n", de.msg);
    while (!cd_trace_limit_reached(tr) && cd_trace_poll(tr, 0, cd_trace_render, &to, &de) > 0)
        ;
    fflush(outfp);
    cd_trace_out_free(&to);
    char *late = cd_trace_take_notes(tr);
    if (late) {
        for (char *l = strtok(late, "\n"); l; l = strtok(NULL, "\n"))
            fprintf(stderr, "cdbg: trace: %s\n", l);
        free(late);
    }
    /* the summary: never a silent drop */
    uint64_t tot = 0, totshown = 0, totdrop = cd_trace_dropped_other(tr), totlost = 0;
    for (size_t i = 0; i < nm; i++) {
        cd_trace_count c;
        cd_trace_counts(tr, i, &c);
        tot += c.hits;
        totshown += c.shown;
        totdrop += c.dropped;
        fprintf(stderr, "cdbg: trace: %s (%s): %llu hit%s", m[i].func, m[i].backend, (unsigned long long)c.hits,
                c.hits == 1 ? "" : "s");
        if (o.cond)
            fprintf(stderr, ", %llu shown (--if)", (unsigned long long)c.shown);
        fprintf(stderr, ", %llu dropped", (unsigned long long)c.dropped);
        if (c.lost_returns)
            fprintf(stderr, ", %llu return%s lost", (unsigned long long)c.lost_returns, c.lost_returns == 1 ? "" : "s");
        fprintf(stderr, "\n");
        totlost += c.lost_returns;
    }
    /* calls the end of the trace left running: not lost, their returns come after it */
    for (size_t i = 0; i < nm; i++) {
        cd_trace_count c;
        cd_trace_counts(tr, i, &c);
        if (c.running)
            fprintf(stderr, "cdbg: trace: %llu call%s of %s %s still running when the trace ended (not lost: %s after it)\n",
                    (unsigned long long)c.running, c.running == 1 ? "" : "s", m[i].func, c.running == 1 ? "was" : "were",
                    c.running == 1 ? "it returns" : "they return");
    }
    if (totlost)
        fprintf(stderr,
                "cdbg: trace: %llu return%s lost: a longjmp or an exception left the calls, or the backend could "
                "not catch their return (the inline backend's shadow stack or the kernel's uretprobe nesting "
                "limit was full)\n",
                (unsigned long long)totlost, totlost == 1 ? "" : "s");
    fprintf(stderr, "cdbg: trace: %llu hits, %llu shown, %llu dropped%s%s%s%s\n", (unsigned long long)tot,
            (unsigned long long)totshown, (unsigned long long)totdrop,
            totdrop ? " (the ring buffer was full: a larger --buffer-size keeps them)" : "",
            interrupted ? "; interrupted" : "", interrupted && cd_oneshot_stop != SIGINT ? sig_name(cd_oneshot_stop) : "",
            interrupted ? ": every probe removed, the process runs on"
            : ended     ? ""
                        : "; every probe removed, the process runs on");
    const char *pm = getenv("CDBG_TRACE_PLAN");
    if (pm && !strcmp(pm, "check")) { /* the plan's unit test reads this line */
        cd_trace_plan_stats ps;
        cd_trace_plan_stats_get(tr, &ps);
        fprintf(stderr,
                "cdbg: trace: plan check: %llu planned probes, %llu values compared, %llu differ, %llu compact "
                "records%s%s\n",
                (unsigned long long)ps.planned_probes, (unsigned long long)ps.compared, (unsigned long long)ps.differ,
                (unsigned long long)ps.partial, ps.differ ? "; first: " : "", ps.first_diff);
    }
    if (launched && status == CD_EXIT_OK) {
        if (interrupted) {
            status = 128 + cd_oneshot_stop;
        } else if (pt_launch && ended) {
            status = st.pt.status >= 0 ? st.pt.status : CD_EXIT_CMD;
            if (st.pt.status < 0)
                fprintf(stderr, "cdbg: trace: process %d has ended, but its exit status was not reported\n", (int)pid);
        } else {
            if (pt_launch) {
                /* --max-hits or --duration: untraced, it runs on to its end (we are its parent).
                 * An end it has reached already is taken first, and it is held for the detach:
                 * the detach of an ended process would reap it, its status unseen. */
                cd_target *lt = st.lt;
                cd_event ev;
                cd_err e;
                while (st.pt.status < 0 && lt->ops->wait_timeout && lt->ops->wait_timeout(lt, 0, &ev, &e) == 0 &&
                       ev.kind != CD_EV_EXITED && ev.kind != CD_EV_KILLED && lt->ops->cont(lt, &e) == 0)
                    ;
                if (st.pt.status < 0)
                    lt->ops->stop(lt, NULL, 0, &e);
                cd_trace_free(tr);
                tr = NULL;
                lt->ops = st.pt.real;
                release_launch(&st, true);
            }
            /* the program runs to its end (untraced after --max-hits or --duration) */
            if (pt_launch && st.pt.status >= 0) {
                status = st.pt.status;
            } else {
                int w;
                while ((w = waitpid(pid, &ws, 0)) < 0 && errno == EINTR && !cd_oneshot_stop)
                    ;
                if (w != pid && cd_oneshot_stop) {
                    /* a signal while it runs to its end, untraced: it runs on, we go */
                    fprintf(stderr, "cdbg: trace: interrupted%s: process %d runs on\n", sig_name(cd_oneshot_stop), (int)pid);
                    status = 128 + cd_oneshot_stop;
                    goto close;
                }
                status = w == pid ? cd_oneshot_status(ws) : CD_EXIT_CMD;
                if (w != pid && st.t && st.t->end_known) {
                    /* the tracer collected the end (stopping threads that were exiting) */
                    status = cd_oneshot_status(st.t->end_wstatus);
                    w = pid;
                }
                if (w != pid)
                    fprintf(stderr, "cdbg: trace: process %d has ended, but its exit status was not reported\n",
                            (int)pid);
            }
        }
    }
close:
    if (held) {
        /* launched, and cdbg failed (or --list) before tracing: the program goes, as in `cdbg run` */
        kill(pid, SIGKILL);
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
    }
    cd_trace_free(tr);
    if (st.lt && st.pt.real && st.lt->ops == &st.pt.ops)
        st.lt->ops = st.pt.real;
    if (st.sym)
        cd_symtab_free(st.sym);
    if (st.t)
        cd_target_close(st.t);
    /* a program traced by ptrace runs on once the trace has begun (interrupted, a failure) */
    release_launch(&st, detach_launch);
    if (outfp != stdout)
        fclose(outfp);
    else
        fflush(stdout);
    cd_oneshot_restore(&sigs);
    sigaction(SIGPIPE, &old_pipe, NULL);
out:
    free(pats);
    free(exprs);
    return status;
}

/* ---- the prompt's `trace LOCATION [EXPR...]` ---- */

/* The trace hook (cd_ctl_set_trace_fn): the hitting thread is held; its frame 0 gives the
 * arguments and the tracepoint's expressions, as `print` would show them there. */
static void trace_hook(void *arg, cd_bp *b, cd_thread *th)
{
    cd_session *s = arg;
    cd_stack st = {0};
    cd_err e;
    cd_err_clear(&e);
    if (cd_unwind_thread(s->unw, th, 32, &st, &e) < 0 || !st.n) {
        cd_out_warn(&s->out, "tracepoint %d: thread %d: %s", b->id, (int)th->tid, e.msg[0] ? e.msg : "no frame");
        cd_stack_free(&st);
        return;
    }
    const cd_frame *f = &st.frames[0];
    cd_vstate *vs = s->values;
    cd_vstate_use_symtab(vs, s->sym);
    cd_scope sc = {.target = s->target, .sym = s->sym, .thread = th, .frame = f, .frames = st.frames,
                   .nframes = st.n, .vs = vs};
    cd_arena ar = {0};
    cd_ectx x;
    cd_ectx_init(&x, &sc, &ar, &e);
    cd_fmtopt fo;
    cd_fmtopt_init(&fo, &sc, 0);
    cd_var *vars = NULL;
    int nv = cd_frame_vars(&x, true, false, &vars, &e);
    if (nv < 0)
        nv = 0;
    size_t n = (size_t)nv + b->ntexprs;
    cd_trace_val *vals = cd_xcalloc(n + 1, sizeof *vals);
    cd_buf *texts = cd_xcalloc(n + 1, sizeof *texts);
    for (size_t i = 0; i < n; i++) {
        cd_value v;
        cd_err_clear(&e);
        int rc = i < (size_t)nv ? cd_var_value(&x, vars[i].mod, &vars[i].die, &v)
                                : cd_eval_string(&x, b->texprs[i - (size_t)nv], &v);
        vals[i].name = i < (size_t)nv ? vars[i].name : b->texprs[i - (size_t)nv];
        if (s->out.json) {
            if (rc < 0) {
                vals[i].json = json_object_new_object();
                json_object_object_add(vals[i].json, "error", json_object_new_string(e.msg));
            } else {
                vals[i].json = cd_value_json(&x, &v, &fo);
            }
        } else {
            if (rc < 0)
                cd_buf_printf(&texts[i], "<error: %s>", e.msg);
            else
                cd_format_value(&x, &v, &fo, true, &texts[i]);
            vals[i].text = cd_buf_str(&texts[i]);
        }
    }
    cd_trace_event ev = {.kind = CD_REC_ENTRY, .probe = (uint32_t)b->id, .func = f->info.func ? f->info.func : "??",
                         .file = f->info.file, .line = f->info.line, .tid = th->tid, .ts_ns = cd_now_ns(),
                         .args = vals, .nargs = (size_t)nv, .exprs = vals + nv, .nexprs = b->ntexprs};
    cd_trace_out to = {.fp = s->out.fp ? s->out.fp : stdout, .json = s->out.json};
    cd_trace_render(&to, &ev);
    fflush(to.fp);
    cd_trace_out_free(&to);
    for (size_t i = 0; i < n; i++) {
        if (vals[i].json)
            json_object_put(vals[i].json);
        cd_buf_free(&texts[i]);
    }
    free(vals);
    free(texts);
    free(vars);
    cd_arena_free(&ar);
    cd_stack_free(&st);
}

int cd_cmd_trace(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 2)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "trace: where? `trace LOCATION [EXPR...]` (LOCATION as `break` takes it)");
    if (cd_trace_check_exprs(NULL, argv + 2, (size_t)argc - 2, err) < 0) {
        err->code = CD_EXIT_CMD;
        return -1;
    }
    cd_scope sc;
    cd_session_scope(s, &sc);
    char *note = NULL;
    cd_bp *b = cd_ctl_break_flags(s->ctl, &sc, "trace", argv[1], CD_BPK_USER, NULL, 0, &note, err);
    if (note) {
        cd_out_warn(&s->out, "%s", note);
        free(note);
    }
    if (!b)
        return -1;
    b->trace = true;
    b->ntexprs = (size_t)argc - 2;
    b->texprs = cd_xcalloc(b->ntexprs + 1, sizeof *b->texprs);
    for (size_t i = 0; i < b->ntexprs; i++)
        b->texprs[i] = cd_xstrdup(argv[2 + i]);
    cd_ctl_set_trace_fn(s->ctl, trace_hook, s);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("trace"));
        json_object_object_add(j, "id", json_object_new_int(b->id));
        json_object *la = json_object_new_array();
        for (size_t k = 0; k < b->nlocs; k++)
            json_object_array_add(la, cd_json_hex(b->locs[k].addr));
        json_object_object_add(j, "addresses", la);
        cd_out_json(&s->out, j);
        return 0;
    }
    const cd_pcinfo *pi;
    uint64_t a = b->nlocs ? b->locs[0].addr : 0;
    int n = cd_symtab_lookup(s->sym, a, &pi);
    const cd_pcinfo *p = &pi[n > 0 ? 0 : 0];
    const char *file = p->file ? strrchr(p->file, '/') : NULL;
    cd_out_printf(&s->out, "Tracepoint %d at 0x%llx: %s", b->id, (unsigned long long)a, p->func ? p->func : "??");
    if (p->file)
        cd_out_printf(&s->out, " (%s:%d)", file ? file + 1 : p->file, p->line);
    if (b->nlocs > 1)
        cd_out_printf(&s->out, " and %zu more location%s", b->nlocs - 1, b->nlocs == 2 ? "" : "s");
    cd_out_printf(&s->out, "\n");
    return 0;
}
