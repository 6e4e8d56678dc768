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
#include "commands/oneshot.h"
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

static int usage_fail(const char *fmt, const char *arg)
{
    return cd_oneshot_usage_fail("lockorder", fmt, arg);
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

static int poll_hook(void *lo, int timeout_ms, cd_err *err)
{
    return cd_lo_poll(lo, timeout_ms, err);
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
    /* SIGINT, SIGTERM or SIGHUP each end the recording as Ctrl-C does (probes out, the report, the
     * process left running). Installed before anything is opened: a signal during the set-up must
     * not kill cdbg with probes in. */
    cd_oneshot_sigs sigs;
    cd_oneshot_catch(&sigs);
    cd_target *t = NULL;
    cd_symtab *sym = NULL;
    cd_lo *lo = NULL;
    pid_t pid = 0;
    cd_oneshot_park pk = {0};
    /* -- PROG: at main, libc is mapped; parked until the probes are in */
    if (!(t = cd_oneshot_open("lockorder", pid_s, prog, "record", &pk, &pid, &status)))
        goto close;
    sym = cd_symtab_new(t, &err);
    lo = sym ? cd_lo_new(t, sym, &err) : NULL;
    if (!lo) {
        status = cd_oneshot_fail(&err, CD_EXIT_TARGET);
        goto close;
    }
    char *missing = NULL;
    if (cd_lo_resolve(lo, &missing, &err) < 0) {
        status = cd_oneshot_fail(&err, CD_EXIT_CMD);
        goto close;
    }
    if (missing) {
        fprintf(stderr, "cdbg: lockorder: not traced (not found in the process): %s\n", missing);
        free(missing);
    }
    if (cd_lo_arm(lo, &err) < 0) {
        status = cd_oneshot_fail(&err, CD_EXIT_CMD);
        goto close;
    }
    if (cd_lo_note(lo))
        fprintf(stderr, "cdbg: lockorder: through kernel uprobes (slower): %s\n", cd_lo_note(lo));
    fprintf(stderr, "cdbg: lockorder: recording the lock operations of process %d%s\n", (int)pid,
            prog && !duration ? " (to its end, or Ctrl-C)" : " (Ctrl-C or --duration to stop)");
    if (cd_oneshot_unpark(t, &pk, &err) < 0) {
        status = cd_oneshot_fail(&err, CD_EXIT_CMD);
        goto close;
    }
    cd_oneshot_loop rec = {.duration = duration, .poll = poll_hook, .ctx = lo};
    if (cd_oneshot_record(&rec, &err) < 0)
        status = cd_oneshot_fail(&err, CD_EXIT_CMD);
    bool ended = rec.ended, interrupted = rec.interrupted;
    cd_err de;
    cd_err_clear(&de);
    if (!ended && cd_lo_disarm(lo, &de) < 0)
        fprintf(stderr, "cdbg: lockorder: %s\n", de.msg);
    cd_lo_drain(lo);
    if (status != CD_EXIT_OK)
        goto close;
    if (prog && ended)
        cd_oneshot_reap("lockorder", prog[0], pid, NULL);
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
        cd_oneshot_runs_on("lockorder", interrupted, pid);
    status = nc ? CD_EXIT_FOUND : CD_EXIT_OK;
close:
    cd_oneshot_kill_parked(&pk);
    cd_lo_free(lo);
    if (sym)
        cd_symtab_free(sym);
    if (t)
        cd_target_close(t);
    fflush(stdout);
    cd_oneshot_restore(&sigs);
    return status;
}
