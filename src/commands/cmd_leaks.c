/* `cdbg leaks [options] (-p PID | -- PROG [ARGS...])`: the allocations a program made while it was
 * recorded and has not freed, grouped by call stack (docs/leaks.md).
 *
 * The recording and the matching are src/trace/leaks.c (uprobes on libc's allocator); this renders
 * them. -p PID: the process is opened NONSTOP (the uprobe backend needs no ptrace) and left running,
 * untraced, with no probe, after --duration, Ctrl-C or SIGTERM. -- PROG: launched and run to main
 * under ptrace (ld.so has mapped libc), then detached and parked on a `jmp .` while the probes go
 * in, as `cdbg lockorder` does; it runs to its end while we are only its parent. */
#include "commands/leaks.h"
#include "commands/cmd_impl.h"
#include "commands/oneshot.h"
#include "control/control.h"
#include "target/open.h"
#include "target/procfs.h"
#include "trace/leaks.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
    "usage: cdbg leaks [options] -p PID\n"
    "       cdbg leaks [options] -- PROG [ARGS...]\n"
    "Records every allocation and free of the program's libc allocator (malloc, calloc, realloc,\n"
    "reallocarray, memalign, aligned_alloc, posix_memalign, valloc, pvalloc, free; C++ new and delete\n"
    "through them) without stopping it, and reports the blocks still live at the end, grouped by\n"
    "call stack, most bytes first. The end: the program's (-- PROG), --duration, Ctrl-C or SIGTERM.\n"
    "Options: --duration SECONDS, --top N (groups shown, default 20; 0 all), --min-bytes B (groups of\n"
    "fewer bytes left out), --json (one JSON object per group, then a summary object).\n"
    "Exit status: with -- PROG the program's (128+N for signal N) when it ended, 128+N when signal N\n"
    "ended cdbg first, 0 when --duration did; with -p 0; 1 recording failed or no libc malloc to\n"
    "trace; 2 usage error; 4 cannot attach or start PROG, or perf_event_open refused.\n";

static int usage_fail(const char *fmt, const char *arg)
{
    return cd_oneshot_usage_fail("leaks", fmt, arg);
}

/* perf_event_open refused: which setting or capability it takes, and the exit status of a process
 * we cannot record (4). */
static int perf_refused(const cd_err *e)
{
    int paranoid = 2;
    char *s = cd_read_file("/proc/sys/kernel/perf_event_paranoid", NULL);
    if (s) {
        paranoid = atoi(s);
        free(s);
    }
    fprintf(stderr, "cdbg: leaks: perf_event_open refused: %s (kernel.perf_event_paranoid is %d)\n", e->msg, paranoid);
    return CD_EXIT_TARGET;
}

/* utime + stime and stime of a process, in seconds, from /proc/PID/stat; false when gone */
static bool cpu_times(pid_t pid, double *stime)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return false;
    char *p = strrchr(s, ')');
    unsigned long long ut = 0, st = 0;
    /* fields after the command: state (3) ... utime (14), stime (15) */
    bool ok = p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2;
    free(s);
    if (ok)
        *stime = (double)st / (double)sysconf(_SC_CLK_TCK);
    return ok;
}

static json_object *group_json(const cd_leak_group *g)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "bytes", json_object_new_int64((int64_t)g->bytes));
    json_object_object_add(o, "allocations", json_object_new_int64((int64_t)g->count));
    json_object *fa = json_object_new_array();
    for (size_t k = 0; k < g->nframes; k++)
        json_object_array_add(fa, cd_frame_json(&g->frames[k]));
    json_object_object_add(o, "frames", fa);
    json_object_object_add(o, "cut", json_object_new_boolean(g->cut));
    if (g->why_cut)
        json_object_object_add(o, "cut_reason", json_object_new_string(g->why_cut));
    return o;
}

static void render_text(const cd_leak_group *g)
{
    printf("%" PRIu64 " byte%s in %" PRIu64 " allocation%s from:\n", g->bytes, g->bytes == 1 ? "" : "s", g->count,
           g->count == 1 ? "" : "s");
    for (size_t k = 0; k < g->nframes; k++) {
        cd_buf b = {0};
        cd_format_frame(NULL, &g->frames[k], &b);
        printf("%s\n", cd_buf_str(&b));
        cd_buf_free(&b);
    }
    if (g->cut)
        printf("(stack cut: %s)\n", g->why_cut ? g->why_cut : "the copy ended");
    printf("\n");
}

static int poll_hook(void *lk, int timeout_ms, cd_err *err)
{
    return cd_leaks_poll(lk, timeout_ms, err);
}

static void progress_hook(void *lk, double secs)
{
    cd_leaks_stats s;
    cd_leaks_get_stats(lk, &s);
    fprintf(stderr, "\rcdbg: leaks: %.1f s, %" PRIu64 " allocations, %" PRIu64 " frees, %" PRIu64
            " live (%" PRIu64 " bytes)\033[K",
            secs, s.allocs, s.frees, s.live, s.live_bytes);
}

int cd_leaks_main(int argc, char **argv)
{
    bool json = false;
    double duration = 0;
    unsigned long long top = 20, min_bytes = 0;
    const char *pid_s = NULL;
    char **prog = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = !strcmp(a, "-p") || !strcmp(a, "--duration") || !strcmp(a, "--top") || !strcmp(a, "--min-bytes");
        if (takes && !val)
            return usage_fail("option %s needs a value", a);
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return CD_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--duration")) {
            char *end;
            duration = strtod(val, &end);
            if (*end || end == val || !(duration > 0) || !isfinite(duration))
                return usage_fail("--duration needs a positive number of seconds, not '%s'", val);
            i++;
        } else if (!strcmp(a, "--top")) {
            if (!cd_parse_uint(val, &top))
                return usage_fail("--top needs a number of groups (0: all), not '%s'", val);
            i++;
        } else if (!strcmp(a, "--min-bytes")) {
            if (!cd_parse_uint(val, &min_bytes))
                return usage_fail("--min-bytes needs a number of bytes, not '%s'", val);
            i++;
        } else if (!strcmp(a, "-p")) {
            pid_s = val, i++;
        } else if (!strcmp(a, "--")) {
            if (i + 1 >= argc)
                return usage_fail("%s", "-- needs a program to run after it");
            prog = argv + i + 1;
            break;
        } else if (a[0] == '-' && a[1]) {
            return usage_fail("unknown option '%s'", a);
        } else {
            return usage_fail("unexpected argument '%s' (a program to run goes after --)", a);
        }
    }
    if (!pid_s == !prog)
        return usage_fail("%s", pid_s ? "give -p PID or -- PROG, not both" : "give -p PID or -- PROG [ARGS...]");

    int status = CD_EXIT_OK;
    cd_err err;
    cd_err_clear(&err);
    /* installed before anything is opened: a signal during the set-up must not kill cdbg with
     * probes in (they would go with its descriptors, but the report would be lost) */
    cd_oneshot_sigs sigs;
    cd_oneshot_catch(&sigs);
    cd_target *t = NULL;
    cd_symtab *sym = NULL;
    cd_leaks *lk = NULL;
    pid_t pid = 0;
    cd_oneshot_park pk = {0};
    int ws = 0;
    /* -- PROG: parked on a `jmp .` at its pc while the probes go in; the two bytes go back after */
    if (!(t = cd_oneshot_open("leaks", pid_s, prog, NULL, &pk, &pid, &status)))
        goto close;
    sym = cd_symtab_new(t, &err);
    lk = sym ? cd_leaks_new(t, sym, &err) : NULL;
    if (!lk) {
        status = cd_oneshot_fail(&err, CD_EXIT_TARGET);
        goto close;
    }
    char *missing = NULL;
    if (cd_leaks_resolve(lk, &missing, &err) < 0) {
        status = cd_oneshot_fail(&err, CD_EXIT_CMD);
        goto close;
    }
    if (missing) {
        fprintf(stderr, "cdbg: leaks: not traced (not in %s): %s\n", cd_leaks_libc(lk), missing);
        free(missing);
    }
    if (cd_leaks_arm(lk, &err) < 0) {
        status = err.kind == CD_EK_PERMISSION ? perf_refused(&err) : cd_oneshot_fail(&err, CD_EXIT_CMD);
        goto close;
    }
    double stime0 = 0;
    bool have_stime0 = cpu_times(pid, &stime0);
    fprintf(stderr, "cdbg: leaks: recording the allocations of process %d%s\n", (int)pid,
            prog && !duration ? " (to its end, or Ctrl-C)" : " (Ctrl-C or --duration to stop)");
    if (cd_oneshot_unpark(t, &pk, &err) < 0) {
        status = cd_oneshot_fail(&err, CD_EXIT_CMD);
        goto close;
    }
    cd_oneshot_loop rec = {.duration = duration, .poll = poll_hook, .progress = progress_hook, .ctx = lk};
    if (cd_oneshot_record(&rec, &err) < 0)
        status = cd_oneshot_fail(&err, CD_EXIT_CMD);
    bool ended = rec.ended, interrupted = rec.interrupted;
    uint64_t t0 = rec.t0;
    if (rec.shown)
        fputs("\r\033[K", stderr);
    double secs = (double)(cd_now_ns() - t0) / 1e9;
    cd_err de;
    cd_err_clear(&de);
    if (!ended && cd_leaks_disarm(lk, &de) < 0)
        fprintf(stderr, "cdbg: leaks: %s\n", de.msg);
    cd_leaks_drain(lk);
    if (status != CD_EXIT_OK)
        goto close;
    /* the probes' cost is kernel time of the program's threads: its system time while recorded */
    double stime1 = 0;
    bool have_stime = have_stime0 && !ended && cpu_times(pid, &stime1);
    if (prog && ended) {
        struct rusage ru;
        ws = cd_oneshot_reap("leaks", prog[0], pid, &ru);
        stime1 = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        have_stime = have_stime0;
    }
    const cd_leak_group *g;
    size_t ng = cd_leaks_groups(lk, &g);
    cd_leaks_stats st;
    cd_leaks_get_stats(lk, &st);
    size_t shown = 0, hidden = 0;
    for (size_t i = 0; i < ng; i++) {
        if (g[i].bytes < min_bytes || (top && shown >= top)) {
            hidden++;
            continue;
        }
        shown++;
        if (json) {
            json_object *o = group_json(&g[i]);
            printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
            json_object_put(o);
        } else {
            render_text(&g[i]);
        }
    }
    uint64_t calls = st.allocs + st.failed + st.frees + st.inner;
    double per_call_us = have_stime && calls ? (stime1 - stime0) * 1e6 / (double)calls : -1;
    if (json) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "summary", json_object_new_boolean(1));
        json_object_object_add(o, "pid", json_object_new_int(pid));
        json_object_object_add(o, "allocations", json_object_new_int64((int64_t)st.allocs));
        json_object_object_add(o, "failed_allocations", json_object_new_int64((int64_t)st.failed));
        json_object_object_add(o, "frees", json_object_new_int64((int64_t)st.frees));
        json_object_object_add(o, "unknown_frees", json_object_new_int64((int64_t)st.unknown_frees));
        json_object_object_add(o, "inner_calls", json_object_new_int64((int64_t)st.inner));
        json_object_object_add(o, "replaced", json_object_new_int64((int64_t)st.replaced));
        json_object_object_add(o, "lost", json_object_new_int64((int64_t)st.lost));
        json_object_object_add(o, "live", json_object_new_int64((int64_t)st.live));
        json_object_object_add(o, "live_bytes", json_object_new_int64((int64_t)st.live_bytes));
        json_object_object_add(o, "groups", json_object_new_int64((int64_t)ng));
        json_object_object_add(o, "groups_shown", json_object_new_int64((int64_t)shown));
        json_object_object_add(o, "stacks", json_object_new_int64((int64_t)st.stacks));
        json_object_object_add(o, "threads", json_object_new_int64((int64_t)st.threads));
        json_object_object_add(o, "seconds", json_object_new_double(secs));
        json_object_object_add(o, "probe_us_per_call", per_call_us >= 0 ? json_object_new_double(per_call_us) : NULL);
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    } else if (!ng) {
        printf("no leak: every block allocated while process %d was recorded was freed\n", (int)pid);
    }
    fprintf(stderr,
            "cdbg: leaks: process %d: %" PRIu64 " allocations, %" PRIu64 " frees (%" PRIu64
            " of blocks allocated before cdbg attached, ignored), %" PRIu64 " blocks (%" PRIu64
            " bytes) live in %zu call stacks%s; %" PRIu64 " records lost, %.1f s\n",
            (int)pid, st.allocs, st.frees, st.unknown_frees, st.live, st.live_bytes, ng,
            hidden ? " (some not shown: --top, --min-bytes)" : "", st.lost, secs);
    if (st.lost)
        fprintf(stderr, "cdbg: leaks: records were lost (full ring buffers): a lost free shows its block as live, a "
                        "lost allocation makes its free unknown\n");
    if (per_call_us >= 0)
        fprintf(stderr,
                "cdbg: leaks: probe overhead: about %.1f us per allocator call (the program's system time while "
                "recorded, %.2f s over %" PRIu64 " calls, kernel uprobes; an upper bound)\n",
                per_call_us, stime1 - stime0, calls);
    if (!ended)
        cd_oneshot_runs_on("leaks", interrupted, pid);
    status = CD_EXIT_OK;
    if (prog && ended)
        status = cd_oneshot_status(ws);
    else if (prog && interrupted)
        status = 128 + cd_oneshot_stop;
close:
    cd_oneshot_kill_parked(&pk);
    cd_leaks_free(lk);
    if (sym)
        cd_symtab_free(sym);
    if (t)
        cd_target_close(t);
    fflush(stdout);
    cd_oneshot_restore(&sigs);
    return status;
}
