/* `cdbg lockorder [--json] [--duration S] (-p PID | -- PROG [ARGS...])`: potential deadlocks
 * (lock-order inversions) from a run in which they did not happen (issue 15; docs/lockorder.md).
 *
 * The recording and the graph are src/trace/lockorder.c; this renders them. -p PID: the process is
 * opened NONSTOP (the uprobe backend needs no ptrace) and left running, untraced, with no probe,
 * after --duration or Ctrl-C. -- PROG: launched and run to main under ptrace (ld.so has mapped
 * libc), then detached and held by a SIGSTOP while the probes go in, as `cdbg trace` does; it runs
 * to its end while we are only its parent. */
#include "commands/lockorder.h"
#include "commands/cmd_impl.h"
#include "control/control.h"
#include "target/open.h"
#include "target/procfs.h"
#include "trace/lockorder.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: cdbg lockorder [--json] [--duration SECONDS] -p PID\n"
    "       cdbg lockorder [--json] [--duration SECONDS] -- PROG [ARGS...]\n"
    "Records every pthread mutex and rwlock acquisition (condition waits included) and reports each\n"
    "cycle of the lock-order graph: a potential deadlock, even when the run did not deadlock.\n"
    "Exit status: 3 a potential deadlock (lock-order inversion) was found, 0 none (with -- PROG the\n"
    "program's own status is printed on stderr), 1 tracing failed or no lock function could be traced,\n"
    "2 usage error (a core: lock order needs a run), 4 cannot attach (no such process, already traced)\n"
    "or start PROG.\n";

/* The signal that ends the recording (SIGINT, SIGTERM or SIGHUP; 0: none): each ends it as Ctrl-C
 * does (probes out, the report, the process left running). Installed before anything is opened:
 * a signal during the set-up must not kill cdbg with probes in. */
static volatile sig_atomic_t g_stop;

static void on_int(int sig)
{
    g_stop = sig;
}

static const int g_end_sigs[] = {SIGINT, SIGTERM, SIGHUP};
enum { N_END_SIGS = sizeof g_end_sigs / sizeof g_end_sigs[0] };

static int fail(const cd_err *e, int def)
{
    fprintf(stderr, "cdbg: %s\n", e->msg);
    return e->code > 0 ? e->code : def;
}

static int usage_fail(const char *fmt, const char *arg)
{
    fprintf(stderr, "cdbg: lockorder: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "; see `cdbg lockorder --help`\n");
    return CD_EXIT_USAGE;
}

static int check_untraced(pid_t pid, cd_err *err)
{
    cd_proc_status st;
    if (cd_procfs_read_status(pid, &st) < 0)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "lockorder: no process with PID %d", (int)pid);
    if (st.tracer_pid)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                        "lockorder: process %d is already traced by process %d; detach that tracer first", (int)pid,
                        (int)st.tracer_pid);
    if (st.state == 'T')
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_OTHER,
                        "lockorder: process %d is stopped (state T, by SIGSTOP or a job-control stop); resume it "
                        "with `kill -CONT %d` and record it then",
                        (int)pid, (int)pid);
    return 0;
}

/* A core given where a run is needed: ELF type ET_CORE. */
static bool is_core(const char *path)
{
    unsigned char h[18];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, h, sizeof h);
    close(fd);
    return n == (ssize_t)sizeof h && !memcmp(h, "\177ELF", 4) && h[16] == 4 && h[17] == 0;
}

static void frame_text(FILE *fp, const cd_lo_frame *f)
{
    fprintf(fp, "%s", f->func);
    if (f->file)
        fprintf(fp, " at %s:%d", f->file, f->line);
    else
        fprintf(fp, " (0x%llx)", (unsigned long long)f->pc);
    if (f->late)
        fprintf(fp, " (read after the acquisition)");
}

static json_object *frame_json(const cd_lo_frame *f)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "function", json_object_new_string(f->func));
    json_object_object_add(o, "file", f->file ? json_object_new_string(f->file) : NULL);
    json_object_object_add(o, "line", json_object_new_int(f->line));
    char pc[24];
    snprintf(pc, sizeof pc, "0x%llx", (unsigned long long)f->pc);
    json_object_object_add(o, "pc", json_object_new_string(pc));
    if (f->late)
        json_object_object_add(o, "late", json_object_new_boolean(1));
    return o;
}

static void render_text(const cd_lo_cycle *cy, size_t nc, const cd_lo_stats *st, pid_t pid)
{
    for (size_t c = 0; c < nc; c++) {
        printf("potential deadlock %zu: lock-order inversion between", c + 1);
        for (size_t i = 0; i < cy[c].n; i++)
            printf("%s %s", i ? (i + 1 == cy[c].n ? " and" : ",") : "", cy[c].edges[i]->held_name);
        printf("\n");
        for (size_t i = 0; i < cy[c].n; i++) {
            const cd_lo_edge *e = cy[c].edges[i];
            printf("  thread %d took %s %s%s%s%s while holding %s %s%s%s%s (%llu time%s)\n", (int)e->tid,
                   e->acquired_kind, e->acquired_name, e->acquired_mode ? " (" : "",
                   e->acquired_mode ? e->acquired_mode : "", e->acquired_mode ? ")" : "", e->held_kind, e->held_name,
                   e->held_mode ? " (" : "", e->held_mode ? e->held_mode : "", e->held_mode ? ")" : "",
                   (unsigned long long)e->count, e->count == 1 ? "" : "s");
            printf("    %s taken in ", e->acquired_name);
            frame_text(stdout, &e->stack[0]);
            printf("\n    %s held since ", e->held_name);
            frame_text(stdout, &e->held_at);
            printf("\n");
            for (size_t k = 0; k < e->nstack; k++) {
                printf("      #%zu ", k);
                frame_text(stdout, &e->stack[k]);
                printf("\n");
            }
        }
    }
    if (!nc)
        printf("no lock-order inversion: %zu lock%s, %zu order edge%s, %zu thread%s\n", st->locks,
               st->locks == 1 ? "" : "s", st->edges, st->edges == 1 ? "" : "s", st->threads,
               st->threads == 1 ? "" : "s");
    fprintf(stderr,
            "cdbg: lockorder: process %d: %llu acquisitions of %zu locks in %zu threads, %zu order edges, %zu "
            "cycle%s reported, %zu gated, %zu read-shared (not reported)\n",
            (int)pid, (unsigned long long)st->acquisitions, st->locks, st->threads, st->edges, nc, nc == 1 ? "" : "s",
            st->gated_cycles, st->shared_cycles);
}

static void render_json(const cd_lo_cycle *cy, size_t nc, const cd_lo_stats *st, pid_t pid)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "pid", json_object_new_int(pid));
    json_object *arr = json_object_new_array();
    for (size_t c = 0; c < nc; c++) {
        json_object *co = json_object_new_object();
        json_object *locks = json_object_new_array();
        json_object *edges = json_object_new_array();
        for (size_t i = 0; i < cy[c].n; i++) {
            const cd_lo_edge *e = cy[c].edges[i];
            json_object_array_add(locks, json_object_new_string(e->held_name));
            json_object *eo = json_object_new_object();
            char a[24];
            json_object_object_add(eo, "held", json_object_new_string(e->held_name));
            snprintf(a, sizeof a, "0x%llx", (unsigned long long)e->held);
            json_object_object_add(eo, "held_addr", json_object_new_string(a));
            json_object_object_add(eo, "held_kind", json_object_new_string(e->held_kind));
            json_object_object_add(eo, "held_mode", e->held_mode ? json_object_new_string(e->held_mode) : NULL);
            json_object_object_add(eo, "acquired", json_object_new_string(e->acquired_name));
            snprintf(a, sizeof a, "0x%llx", (unsigned long long)e->acquired);
            json_object_object_add(eo, "acquired_addr", json_object_new_string(a));
            json_object_object_add(eo, "acquired_kind", json_object_new_string(e->acquired_kind));
            json_object_object_add(eo, "acquired_mode",
                                   e->acquired_mode ? json_object_new_string(e->acquired_mode) : NULL);
            json_object_object_add(eo, "tid", json_object_new_int(e->tid));
            json_object_object_add(eo, "count", json_object_new_int64((int64_t)e->count));
            json_object_object_add(eo, "function", json_object_new_string(e->stack[0].func));
            json_object_object_add(eo, "file", e->stack[0].file ? json_object_new_string(e->stack[0].file) : NULL);
            json_object_object_add(eo, "line", json_object_new_int(e->stack[0].line));
            json_object_object_add(eo, "held_at", frame_json(&e->held_at));
            json_object *sa = json_object_new_array();
            for (size_t k = 0; k < e->nstack; k++)
                json_object_array_add(sa, frame_json(&e->stack[k]));
            json_object_object_add(eo, "stack", sa);
            json_object_array_add(edges, eo);
        }
        json_object_object_add(co, "locks", locks);
        json_object_object_add(co, "edges", edges);
        json_object_array_add(arr, co);
    }
    json_object_object_add(root, "cycles", arr);
    json_object_object_add(root, "acquisitions", json_object_new_int64((int64_t)st->acquisitions));
    json_object_object_add(root, "locks", json_object_new_int64((int64_t)st->locks));
    json_object_object_add(root, "threads", json_object_new_int64((int64_t)st->threads));
    json_object_object_add(root, "edges", json_object_new_int64((int64_t)st->edges));
    json_object_object_add(root, "gated_cycles", json_object_new_int64((int64_t)st->gated_cycles));
    json_object_object_add(root, "shared_cycles", json_object_new_int64((int64_t)st->shared_cycles));
    json_object_object_add(root, "dropped", json_object_new_int64((int64_t)st->dropped));
    printf("%s\n", json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
    json_object_put(root);
}

static int status_of(int ws)
{
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : CD_EXIT_CMD;
}

int cd_lockorder_main(int argc, char **argv)
{
    bool json = false;
    double duration = 0;
    const char *pid_s = NULL;
    char **prog = NULL;
    const char *pos[2];
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return CD_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--duration")) {
            char *end;
            if (i + 1 >= argc)
                return usage_fail("%s needs SECONDS", a);
            duration = strtod(argv[++i], &end);
            if (*end || end == argv[i] || !(duration > 0))
                return usage_fail("--duration %s: not a positive number of seconds", argv[i]);
        } else if (!strcmp(a, "-p")) {
            if (i + 1 >= argc)
                return usage_fail("%s needs a PID", a);
            pid_s = argv[++i];
        } else if (!strcmp(a, "--")) {
            if (i + 1 >= argc)
                return usage_fail("%s", "-- needs PROG");
            prog = argv + i + 1;
            break;
        } else if (a[0] == '-') {
            return usage_fail("unknown option %s", a);
        } else if (npos < 2) {
            pos[npos++] = a;
        } else {
            return usage_fail("unexpected argument %s", a);
        }
    }
    if (npos) {
        if (npos == 2 && is_core(pos[1])) {
            fprintf(stderr, "cdbg: lockorder: %s is a core: lock order is learnt from a run, which a core does not "
                            "hold; run the program under `cdbg lockorder -- PROG` or attach with -p PID\n", pos[1]);
            return CD_EXIT_USAGE;
        }
        return usage_fail("unexpected argument %s (use -p PID or -- PROG)", pos[0]);
    }
    if (!pid_s == !prog)
        return usage_fail("%s", pid_s ? "-p and -- PROG together" : "nothing to check: give -p PID or -- PROG");

    int status = CD_EXIT_OK;
    cd_err err;
    cd_err_clear(&err);
    struct sigaction sa, old_sig[N_END_SIGS];
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_int;
    sigemptyset(&sa.sa_mask);
    g_stop = 0;
    for (int i = 0; i < N_END_SIGS; i++)
        sigaction(g_end_sigs[i], &sa, &old_sig[i]);
    cd_target *t = NULL, *lt = NULL;
    cd_symtab *sym = NULL;
    cd_lo *lo = NULL;
    pid_t pid = 0;
    bool held = false, ended = false, interrupted = false;
    unsigned char park[2];
    uint64_t park_pc = 0;
    int ws = 0;
    if (pid_s) {
        if (cd_parse_pid(pid_s, &pid, &err) < 0) {
            status = fail(&err, CD_EXIT_USAGE);
            goto close;
        }
        if (check_untraced(pid, &err) < 0) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
    } else {
        cd_open_spec ls = {.kind = CD_OPEN_LAUNCH, .argv = prog};
        lt = cd_target_open(&ls, &err);
        if (!lt) {
            status = fail(&err, CD_EXIT_TARGET);
            goto close;
        }
        pid = lt->pid;
        cd_symtab *lsym = cd_symtab_new(lt, &err);
        cd_unwinder *lunw = lsym ? cd_unwinder_new(lt, lsym, &err) : NULL;
        cd_vstate *lvs = cd_vstate_new();
        cd_ctl *lctl = lunw ? cd_ctl_new(lt, lsym, lunw, lvs) : NULL;
        cd_stop stop;
        memset(&stop, 0, sizeof stop);
        const char *where = NULL;
        int rc = lctl ? cd_ctl_start(lctl, &stop, &where, &err) : -1;
        bool gone = rc == 0 && (stop.reason == CD_STOP_EXITED || stop.reason == CD_STOP_KILLED);
        if (gone)
            fprintf(stderr, "cdbg: lockorder: %s ended before main (status %d); nothing was recorded\n", prog[0],
                    stop.reason == CD_STOP_EXITED ? stop.status : 128 + stop.sig);
        cd_stop_free(&stop);
        if (lctl)
            cd_ctl_free(lctl);
        /* The main thread is parked on a `jmp .` at its pc while the probes go in: a SIGSTOP would
         * hold it too, but the inline backend must stop the threads itself to patch them, which it
         * cannot do to a stopped process. The two bytes go back once everything is armed. */
        cd_regs rr;
        if (rc == 0 && !gone) {
            cd_thread *mth = lt->nthreads ? lt->threads[0] : NULL;
            if (!mth || lt->ops->get_regs(lt, mth, &rr, &err) < 0 || cd_target_read_full(lt, rr.rip, park, 2) < 0 ||
                lt->ops->write_mem(lt, rr.rip, "\xeb\xfe", 2, &err) < 0)
                rc = -1;
            park_pc = rr.rip;
        }
        if (lunw)
            cd_unwinder_free(lunw);
        if (lsym)
            cd_symtab_free(lsym);
        cd_vstate_free(lvs);
        if (rc < 0 || gone) {
            if (rc < 0)
                status = fail(&err, CD_EXIT_TARGET);
            else
                status = CD_EXIT_CMD;
            cd_target_close(lt); /* kills what it launched */
            lt = NULL;
            goto close;
        }
        /* At main, libc is mapped. Detached, parked until the probes are in; killed if cdbg fails
         * before that. We stay its parent. */
        lt->launched = false;
        cd_target_close(lt);
        lt = NULL;
        held = true;
    }
    cd_open_spec as = {.kind = CD_OPEN_ATTACH, .pid = pid, .mode = CD_ATTACH_NONSTOP};
    t = cd_target_open(&as, &err);
    if (!t) {
        status = fail(&err, CD_EXIT_TARGET);
        goto close;
    }
    sym = cd_symtab_new(t, &err);
    lo = sym ? cd_lo_new(t, sym, &err) : NULL;
    if (!lo) {
        status = fail(&err, CD_EXIT_TARGET);
        goto close;
    }
    char *missing = NULL;
    if (cd_lo_resolve(lo, &missing, &err) < 0) {
        status = fail(&err, CD_EXIT_CMD);
        goto close;
    }
    if (missing) {
        fprintf(stderr, "cdbg: lockorder: not traced (not found in the process): %s\n", missing);
        free(missing);
    }
    if (cd_lo_arm(lo, &err) < 0) {
        status = fail(&err, CD_EXIT_CMD);
        goto close;
    }
    if (cd_lo_note(lo))
        fprintf(stderr, "cdbg: lockorder: through kernel uprobes (slower): %s\n", cd_lo_note(lo));
    fprintf(stderr, "cdbg: lockorder: recording the lock operations of process %d%s\n", (int)pid,
            prog && !duration ? " (to its end, or Ctrl-C)" : " (Ctrl-C or --duration to stop)");
    if (held) {
        /* unpark: the main thread takes its own two bytes and goes on */
        if (cd_target_stop(t, NULL, 0, &err) < 0 || t->ops->write_mem(t, park_pc, park, 2, &err) < 0 ||
            cd_target_resume(t, NULL, 0, &err) < 0) {
            status = fail(&err, CD_EXIT_CMD);
            goto close;
        }
        held = false;
    }
    uint64_t deadline = duration > 0 ? cd_now_ns() + (uint64_t)(duration * 1e9) : 0;
    for (;;) {
        if (g_stop) {
            interrupted = true;
            break;
        }
        if (deadline && cd_now_ns() >= deadline)
            break;
        if (cd_lo_poll(lo, 100, &err) < 0) {
            if (err.kind == CD_EK_EXITED) {
                ended = true;
                break;
            }
            status = fail(&err, CD_EXIT_CMD);
            break;
        }
    }
    cd_err de;
    cd_err_clear(&de);
    if (!ended && cd_lo_disarm(lo, &de) < 0)
        fprintf(stderr, "cdbg: lockorder: %s\n", de.msg);
    cd_lo_drain(lo);
    if (status != CD_EXIT_OK)
        goto close;
    if (prog && ended) {
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
        if (WIFEXITED(ws))
            fprintf(stderr, "cdbg: lockorder: %s exited with status %d\n", prog[0], WEXITSTATUS(ws));
        else
            fprintf(stderr, "cdbg: lockorder: %s was killed by signal %d\n", prog[0], status_of(ws) - 128);
    }
    const cd_lo_cycle *cy;
    size_t nc = cd_lo_cycles(lo, &cy);
    cd_lo_stats st;
    cd_lo_get_stats(lo, &st);
    if (st.dropped)
        fprintf(stderr, "cdbg: lockorder: %llu records were lost (full buffers): some orders may be missing\n",
                (unsigned long long)st.dropped);
    if (!st.acquisitions && !json) {
        printf("no pthread lock was taken in process %d while it was recorded: nothing to check\n", (int)pid);
    } else if (json) {
        render_json(cy, nc, &st, pid);
    } else {
        render_text(cy, nc, &st, pid);
    }
    if (!ended)
        fprintf(stderr, "cdbg: lockorder: %s%severy probe removed, process %d runs on\n",
                !interrupted ? "" : g_stop == SIGTERM ? "interrupted by SIGTERM" : g_stop == SIGHUP ? "interrupted by SIGHUP" : "interrupted",
                interrupted ? ": " : "", (int)pid);
    status = nc ? CD_EXIT_FOUND : CD_EXIT_OK;
close:
    if (held) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
            ;
    }
    cd_lo_free(lo);
    if (sym)
        cd_symtab_free(sym);
    if (t)
        cd_target_close(t);
    fflush(stdout);
    for (int i = 0; i < N_END_SIGS; i++)
        sigaction(g_end_sigs[i], &old_sig[i], NULL);
    return status;
}
