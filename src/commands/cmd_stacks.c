/* `cdbg stacks PID [-group] [--json]` (see stacks.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands/cmd_impl.h"
#include "commands/stacks.h"
#include "target/open.h"

static const char usage[] =
    "usage: cdbg stacks PID [-group] [--json] [--no-bpf]\n"
    "Prints every thread's stack as `bt all` does (-group: as `bt all -group`), stopping only the\n"
    "threads that are running: a thread asleep in a system call is read where it sleeps, never\n"
    "woken. The sleeping threads' registers come from a BPF task iterator where the kernel and\n"
    "cdbg's privileges allow it, else from /proc (--no-bpf, or CDBG_NO_BPF=1: always /proc).\n"
    "Exit status: 0 done, 1 the dump failed, 2 usage error, 4 cannot attach to the process.\n";

/* Test hook, CDBG_TEST_STACKS_PAUSE="TID DIR [all]": after thread TID's first unwinding (all: after
 * each, N = 0, 1, ...) and before its syscall line is read again, create DIR/paused.N and wait for
 * DIR/go.N, so a test can move the thread at exactly that moment
 * (tests/integration/stacks/race.sh). */
typedef struct pause_hook {
    pid_t tid;
    bool all;
    char dir[256];
} pause_hook;

static void pause_between_reads(pid_t tid, int attempt, void *arg)
{
    pause_hook *p = arg;
    if (tid != p->tid || (attempt != 0 && !p->all))
        return;
    char path[300];
    snprintf(path, sizeof path, "%s/paused.%d", p->dir, attempt);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    snprintf(path, sizeof path, "%s/go.%d", p->dir, attempt);
    const struct timespec tick = {0, 1000 * 1000};
    struct stat st;
    for (int i = 0; i < 120 * 1000 && stat(path, &st) != 0; i++)
        nanosleep(&tick, NULL);
}

/* CDBG_STACKS_TIMING=1: each phase's wall and CPU time (the process's: every thread) on stderr,
 * so that time spent waiting (wall minus CPU) shows where it is spent. */
typedef struct stamps {
    bool on;
    int n;
    const char *name[8];
    uint64_t wall[8], cpu[8];
} stamps;

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stamp(stamps *st, const char *name)
{
    if (!st->on || st->n == 8)
        return;
    st->name[st->n] = name;
    st->wall[st->n] = cd_now_ns();
    st->cpu[st->n++] = cpu_ns();
}

static void stamps_print(const stamps *st)
{
    if (!st->on)
        return;
    /* the process's CPU before main: exec, the dynamic linker, constructors */
    fprintf(stderr, "stacks timing: before main cpu %.2f ms\n", st->n ? st->cpu[0] / 1e6 : 0.0);
    for (int i = 1; i < st->n; i++)
        fprintf(stderr, "stacks timing: %-10s wall %7.2f ms  cpu %7.2f ms\n", st->name[i],
                (st->wall[i] - st->wall[i - 1]) / 1e6, (st->cpu[i] - st->cpu[i - 1]) / 1e6);
}

static int fail(cd_out *o, const cd_err *err)
{
    cd_out_error(o, "stacks", err->msg);
    return err->code > 0 ? err->code : CD_EXIT_CMD;
}

/* cd_stacks_main's symbol table and unwinder, left to the exit (volatile: the stores must stay) */
static void *volatile left_to_exit[2];

int cd_stacks_main(int argc, char **argv)
{
    stamps tm = {.on = getenv("CDBG_STACKS_TIMING") != NULL};
    stamp(&tm, "start");
    /* 1000 threads' stacks are some 600 KB of text: written 64 KiB at a time, not stdio's 4 KiB
     * (150 write calls); a terminal keeps its line buffering */
    static char obuf[1 << 16];
    if (!isatty(STDOUT_FILENO))
        setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    bool json = false, group = false, no_bpf = false;
    const char *pos[2];
    int npos = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "-group") || !strcmp(argv[i], "--group")) {
            group = true;
        } else if (!strcmp(argv[i], "--no-bpf")) {
            no_bpf = true;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return CD_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "cdbg: stacks: unknown option '%s'; see `cdbg stacks --help`\n", argv[i]);
            return CD_EXIT_USAGE;
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            npos++;
        }
    }
    cd_session s;
    cd_session_init(&s, json);
    cd_err err;
    cd_err_clear(&err);
    char why[160];
    snprintf(why, sizeof why, "stacks needs one PID (got %d argument%s): usage cdbg stacks PID [-group] [--json]",
             npos, npos == 1 ? "" : "s");
    /* look, don't touch: nothing is seized unless a running thread must be stopped to be read */
    cd_open_spec spec = {.mode = CD_ATTACH_NONSTOP, .bpf_snapshot = !no_bpf};
    int rc = CD_EXIT_OK;
    if (cd_open_parse(&spec, CD_OPEN_ATTACH, npos, (char *const *)pos, why, &err) < 0) {
        rc = fail(&s.out, &err);
        goto done;
    }
    if (!(s.target = cd_target_open(&spec, &err))) {
        rc = fail(&s.out, &err);
        goto done;
    }
    if (s.target->warning)
        cd_out_warn(&s.out, "%s", s.target->warning);
    stamp(&tm, "attach");
    if (!(s.sym = cd_symtab_new(s.target, &err)) || !(s.unw = cd_unwinder_new(s.target, s.sym, &err))) {
        rc = fail(&s.out, &err);
        goto done;
    }
    pause_hook ph = {0};
    const char *hk = getenv("CDBG_TEST_STACKS_PAUSE");
    int tid = 0;
    char mode[8] = "";
    if (hk && sscanf(hk, "%d %255s %7s", &tid, ph.dir, mode) >= 2) {
        ph.tid = tid;
        ph.all = !strcmp(mode, "all");
    }
    stamp(&tm, "symbols");
    s.cmd_name = "stacks";
    if (cd_stacks_dump(&s, group, ph.tid ? pause_between_reads : NULL, &ph, &err) < 0)
        rc = fail(&s.out, &err);
    stamp(&tm, "dump");
done:;
    /* cdbg exits next: the symbol table and unwinder (libdw's trees of every unit it read, libc's
     * among them: 0.5 ms of frees) are left to the exit, kept reachable here so that a leak checker
     * sees them as such. The target is closed as always: nothing stays stopped or traced. */
    left_to_exit[0] = s.sym;
    left_to_exit[1] = s.unw;
    s.sym = NULL;
    s.unw = NULL;
    cd_session_fini(&s);
    stamp(&tm, "cleanup");
    stamps_print(&tm);
    return rc;
}
