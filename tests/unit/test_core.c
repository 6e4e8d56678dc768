/* Core-file backend: produces its own core at test time (a forked child of this binary crashes with
 * RLIMIT_CORE raised, in a temp dir), then checks threads, registers, syscall state, memory reads
 * from the core and from mapped files, the truncated case, bad inputs and the build-id check.
 * Exits 77 (skip) when the system does not write core files into the cwd (core_pattern piped to
 * systemd-coredump/apport). */
#include "target/target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Implemented in src/target/core.c; not part of target.h because only this test needs it. */
char *cd_core_check_buildid(const char *exe_path, const char *core_path,
                            const unsigned char *exe_id, size_t exe_len,
                            const unsigned char *core_id, size_t core_len);

#define READ_LEN 4321

static volatile uint64_t g_marker;
static int g_pipe[2];
static pid_t g_main_tid;
static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void *blocker(void *arg)
{
    (void)arg;
    char buf[16];
    for (;;)
        if (read(g_pipe[0], buf, sizeof buf) < 0 && errno != EINTR)
            break;
    return NULL;
}

/* Crashes once the main thread is inside read(2), so the core shows it blocked there. */
static void *crasher(void *arg)
{
    (void)arg;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)g_main_tid);
    for (int i = 0; i < 10000; i++) {
        char *s = cd_read_file(path, NULL);
        bool in_read = s && strncmp(s, "0 ", 2) == 0;
        free(s);
        if (in_read)
            break;
        usleep(1000);
    }
    abort();
    return NULL;
}

static void child(const char *dir)
{
    struct rlimit rl;
    getrlimit(RLIMIT_CORE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_CORE, &rl);
    if (chdir(dir) != 0)
        _exit(3);
    g_marker = 0x1122334455667788ull;
    g_main_tid = (pid_t)syscall(SYS_gettid);
    if (pipe(g_pipe) != 0)
        _exit(3);
    pthread_t a, b;
    pthread_create(&a, NULL, blocker, NULL);
    pthread_create(&b, NULL, crasher, NULL);
    static char big[READ_LEN];
    for (;;)
        if (read(g_pipe[0], big, READ_LEN) < 0 && errno != EINTR)
            break;
    _exit(4);
}

/* Returns the malloc'd path of the core the child left in dir, or NULL. */
static char *find_core(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char *found = NULL;
    struct dirent *de;
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "core", 4) == 0 && !found)
            found = cd_xasprintf("%s/%s", dir, de->d_name);
    closedir(d);
    return found;
}

static int copy_prefix(const char *from, const char *to, size_t n)
{
    size_t len;
    char *data = cd_read_file(from, &len);
    if (!data)
        return -1;
    if (n > len)
        n = len;
    FILE *f = fopen(to, "w");
    int r = f && fwrite(data, 1, n, f) == n ? 0 : -1;
    if (f)
        fclose(f);
    free(data);
    return r;
}

static int count_module(Dwfl_Module *m, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
    (void)m, (void)ud, (void)name, (void)start;
    (*(int *)arg)++;
    return DWARF_CB_OK;
}

static void check_full(const char *exe, const char *core, pid_t pid)
{
    cd_err err = {0};
    cd_target *t = cd_core_open(exe, core, &err);
    CHECK(t != NULL, "open failed: %s", err.msg);
    if (!t)
        return;
    CHECK(t->warning == NULL, "unexpected warning: %s", t->warning);
    CHECK(t->pid == pid, "pid %d != %d", (int)t->pid, (int)pid);
    CHECK(t->nthreads == 3, "nthreads %zu", t->nthreads);
    CHECK(t->core_path && strcmp(t->core_path, core) == 0, "core_path");
    CHECK(t->stopped_ns == 0, "stopped_ns");

    cd_thread *main_th = t->threads[0];
    CHECK(main_th->tid == pid, "main thread first: %d", (int)main_th->tid);
    int crashed = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        CHECK(th->held && th->regs_valid, "thread %d not held", (int)th->tid);
        CHECK(th->name[0] != 0, "thread %d has no name", (int)th->tid);
        if (th->pending_sig == SIGABRT)
            crashed++;
        struct user_fpregs_struct fp;
        CHECK(t->ops->get_fpregs(t, th, &fp, &err) == 0, "fpregs: %s", err.msg);
        cd_regs r;
        CHECK(t->ops->get_regs(t, th, &r, &err) == 0 && r.rip == th->regs.rip, "get_regs");
        CHECK((int64_t)r.orig_rax == th->orig_rax, "orig_rax kept");
        uint64_t word;
        CHECK(cd_target_read(t, r.rsp, &word, sizeof word) == sizeof word, "stack of %d unreadable",
              (int)th->tid);
        unsigned char insn[16];
        CHECK(cd_target_read(t, r.rip, insn, sizeof insn) == sizeof insn, "text at pc of %d unreadable",
              (int)th->tid);
    }
    CHECK(crashed == 1, "%d threads carry SIGABRT", crashed);
    CHECK(main_th->pending_sig == 0, "main thread did not crash");

    /* The main thread was blocked in read(pipe, big, READ_LEN). */
    cd_syscall_state ss;
    CHECK(t->ops->syscall_state(t, main_th, &ss, &err) == 0, "syscall_state");
    CHECK(ss.kind == CD_SC_BLOCKED && ss.nr == SYS_read, "main kind %d nr %ld", ss.kind, ss.nr);
    CHECK(ss.args[2] == READ_LEN, "read length %llu", (unsigned long long)ss.args[2]);
    CHECK(ss.sp == main_th->regs.rsp && ss.pc == main_th->regs.rip, "sp/pc");

    /* A global written only by the child: comes from the core. */
    uint64_t marker = 0;
    CHECK(cd_target_read(t, (uint64_t)(uintptr_t)&g_marker, &marker, sizeof marker) == sizeof marker &&
              marker == 0x1122334455667788ull,
          "global %llx", (unsigned long long)marker);

    /* libc text is not dumped: read from the mapped file; the parent shares the same mapping. */
    unsigned char mine[64], theirs[64];
    memcpy(mine, (const void *)(uintptr_t)&write, sizeof mine);
    CHECK(cd_target_read(t, (uint64_t)(uintptr_t)&write, theirs, sizeof theirs) == sizeof theirs &&
              memcmp(mine, theirs, sizeof mine) == 0,
          "libc text differs");

    /* Reads spanning two segments (dumped first page of a file, then undumped text). */
    const cd_mapping *maps;
    size_t nmaps;
    CHECK(t->ops->mappings(t, &maps, &nmaps, &err) == 0 && nmaps > 0, "mappings");
    int spans = 0, exe_maps = 0;
    for (size_t i = 0; i < nmaps; i++) {
        if (maps[i].path && strstr(maps[i].path, "unit_test_core"))
            exe_maps++;
        if (i + 1 < nmaps && maps[i].end == maps[i + 1].start && maps[i].path && maps[i + 1].path &&
            strcmp(maps[i].path, maps[i + 1].path) == 0 && !(maps[i].prot & PROT_WRITE) &&
            !(maps[i + 1].prot & PROT_WRITE) && maps[i].path[0] == '/') {
            unsigned char a[32], b[32];
            uint64_t at = maps[i].end - 16;
            memcpy(a, (const void *)(uintptr_t)at, sizeof a);
            CHECK(cd_target_read(t, at, b, sizeof b) == sizeof b && memcmp(a, b, sizeof a) == 0,
                  "span read at %llx", (unsigned long long)at);
            spans++;
        }
    }
    CHECK(spans > 0, "no adjacent read-only file segments to test a spanning read");
    CHECK(exe_maps > 0, "executable not among the mappings");

    unsigned char z;
    CHECK(cd_target_read(t, 0, &z, 1) == -1, "address 0 readable");

    /* Execution control fails with one clear line. */
    CHECK(t->ops->cont(t, &err) == -1 && err.code == CD_EXIT_CMD && strstr(err.msg, "core file"),
          "cont: %s", err.msg);
    CHECK(t->ops->insert_breakpoint(t, 0x1000, &err) == -1 && err.code == CD_EXIT_CMD, "bp");
    CHECK(t->ops->write_mem(t, 0x1000, "x", 1, &err) == -1 && err.code == CD_EXIT_CMD, "write");
    CHECK(t->ops->set_regs(t, main_th, &main_th->regs, &err) == -1, "set_regs");
    CHECK(t->ops->stop(t, NULL, 0, &err) == 0 && t->ops->resume(t, NULL, 0, &err) == 0, "stop/resume");

    /* Modules through libdwfl. */
    static const Dwfl_Callbacks cb = {
        .find_elf = dwfl_build_id_find_elf,
        .find_debuginfo = dwfl_standard_find_debuginfo,
    };
    Dwfl *dwfl = dwfl_begin(&cb);
    dwfl_report_begin(dwfl);
    CHECK(t->ops->report_modules(t, dwfl, &err) == 0, "report_modules: %s", err.msg);
    dwfl_report_end(dwfl, NULL, NULL);
    int nmods = 0;
    dwfl_getmodules(dwfl, count_module, &nmods, 0);
    CHECK(nmods >= 2, "%d modules", nmods);
    Dwfl_Module *m = dwfl_addrmodule(dwfl, (Dwarf_Addr)(uintptr_t)&check_full);
    CHECK(m != NULL, "no module for the executable's text");
    dwfl_end(dwfl);

    cd_target_close(t);
}

static void check_truncated(const char *exe, const char *core, const char *dir)
{
    char *trunc = cd_xasprintf("%s/trunc", dir);
    CHECK(copy_prefix(core, trunc, 200000) == 0, "copy");
    cd_err err = {0};
    cd_target *t = cd_core_open(exe, trunc, &err);
    CHECK(t != NULL, "truncated core refused: %s", err.msg);
    if (t) {
        CHECK(t->warning && strstr(t->warning, "truncated"), "warning: %s", t->warning ? t->warning : "");
        CHECK(t->nthreads == 3, "nthreads %zu", t->nthreads);
        /* The main stack is among the last segments: gone. Must fail, not crash. */
        uint64_t w;
        CHECK(cd_target_read(t, t->threads[0]->regs.rsp, &w, sizeof w) == -1, "stack readable");
        const cd_mapping *maps;
        size_t n;
        t->ops->mappings(t, &maps, &n, &err);
        char buf[4096];
        for (size_t i = 0; i < n; i++)
            (void)cd_target_read(t, maps[i].start, buf, sizeof buf);
        cd_target_close(t);
    }

    /* Cut inside the notes: whatever threads were found (at least the first) are kept, or a clear error. */
    CHECK(copy_prefix(core, trunc, 3000) == 0, "copy");
    t = cd_core_open(exe, trunc, &err);
    if (t) {
        CHECK(t->nthreads >= 1 && t->warning && strstr(t->warning, "truncated"), "cut notes");
        cd_target_close(t);
    } else {
        CHECK(err.code == CD_EXIT_TARGET, "cut notes code");
    }
    unlink(trunc);
    free(trunc);
}

static void expect_fail(const char *exe, const char *core, const char *needle)
{
    cd_err err = {0};
    cd_target *t = cd_core_open(exe, core, &err);
    CHECK(t == NULL, "open(%s, %s) succeeded", exe, core);
    cd_target_close(t);
    CHECK(err.code == CD_EXIT_TARGET && strstr(err.msg, needle) && !strchr(err.msg, '\n'),
          "open(%s, %s): code %d msg '%s', want '%s'", exe, core, err.code, err.msg, needle);
}

static void check_bad_inputs(const char *exe, const char *core, const char *dir)
{
    char *text = cd_xasprintf("%s/text", dir);
    FILE *f = fopen(text, "w");
    if (f) {
        fputs("not an elf\n", f);
        fclose(f);
    }
    char *missing = cd_xasprintf("%s/missing", dir);
    expect_fail(exe, missing, "No such file");
    expect_fail(missing, core, "No such file");
    expect_fail(exe, text, "is not an ELF file");
    expect_fail(text, core, "is not an ELF file");
    expect_fail(exe, exe, "is an executable, not a core file");
    expect_fail(core, core, "is a core file, not an executable");
    unlink(text);
    free(text);
    free(missing);
}

static void check_buildid(const char *core)
{
    static const unsigned char a[] = {0xa1, 0xb2, 0xc3, 0xd4}, b[] = {0xc3, 0xd4, 0xe5, 0xf6};
    char *w = cd_core_check_buildid("EXE", "CORE", a, sizeof a, a, sizeof a);
    CHECK(w == NULL, "same ids warn");
    w = cd_core_check_buildid("EXE", "CORE", a, sizeof a, NULL, 0);
    CHECK(w == NULL, "unknown id warns");
    w = cd_core_check_buildid("EXE", "CORE", a, sizeof a, b, sizeof b);
    CHECK(w && strstr(w, "core CORE was not produced by EXE") && strstr(w, "a1b2c3d4") &&
              strstr(w, "c3d4e5f6") && !strchr(w, '\n'),
          "mismatch warning: %s", w ? w : "(null)");
    free(w);

    /* End to end: another ELF executable given as EXE. */
    const char *other = access("/bin/true", R_OK) == 0 ? "/bin/true" : NULL;
    if (!other)
        return;
    cd_err err = {0};
    cd_target *t = cd_core_open(other, core, &err);
    CHECK(t != NULL, "open with other exe: %s", err.msg);
    if (t) {
        CHECK(t->warning && strstr(t->warning, "was not produced by"), "no build-id warning: %s",
              t->warning ? t->warning : "(null)");
        cd_target_close(t);
    }
}

int main(void)
{
    char dir[] = "/tmp/cdbg-test-core-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 1;
    exe[n] = 0;

    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        child(dir);
    int st = 0;
    waitpid(pid, &st, 0);
    char *core = find_core(dir);
    if (!WIFSIGNALED(st) || !WCOREDUMP(st) || !core) {
        fprintf(stderr, "SKIP: no core file written into the cwd (status %#x; check "
                        "/proc/sys/kernel/core_pattern and ulimit -c)\n", st);
        free(core);
        rmdir(dir);
        return 77;
    }

    check_full(exe, core, pid);
    check_truncated(exe, core, dir);
    check_bad_inputs(exe, core, dir);
    check_buildid(core);

    unlink(core);
    free(core);
    rmdir(dir);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    else
        printf("test_core: ok\n");
    return failures ? 1 : 0;
}
