/* Measures the live unwinding options for `bt all` and checks they agree (docs/design.md,
 * "Unwinding"):
 *   (a) cdbg's unwinder: libdwfl CFI unwinder + process_vm_readv page cache (cd_unwind_thread,
 *       which also symbolises every frame, memoised per pc);
 *   (b) libunwind with our accessors: access_mem over the same page cache, access_reg from
 *       PTRACE_GETREGS values, unwind-info lookup delegated to the _UPT_* functions;
 *   (c) libunwind's stock _UPT accessors (one PTRACE_PEEKDATA per word, one handle per thread).
 *
 * It forks a child of itself that starts the workload, attaches to every thread (seize +
 * interrupt), then unwinds all threads with each method: a cold pass and warm passes (warm = a new
 * stop, so memory caches start empty, but unwind tables and symbols stay loaded).
 *
 * Build (from /work/main, after `ninja -C build` has produced build/libcdbg.a):
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -g -pthread -Isrc -I/usr/include/x86_64-linux-gnu \
 *       tests/bench/unwind_compare.c build/libcdbg.a -o /tmp/unwind_compare \
 *       $(pkg-config --libs libdw libelf capstone libedit json-c libunwind-ptrace libunwind-generic)
 * Run:
 *   /tmp/unwind_compare cond 1000     # 1000 threads blocked in pthread_cond_wait
 *   /tmp/unwind_compare mixed 8       # futex, nanosleep (deep), read, signal handler, inlines
 * Not a meson test: timings are machine-dependent and only meaningful on an idle machine. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libunwind-ptrace.h>

#include "symbols/symbols.h"
#include "target/target.h"
#include "unwind/unwind.h"

#define MAXF 256

/* ---- the workload (runs in the forked child) ---------------------------------------------- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pfd[2];
volatile int sink;

__attribute__((noinline)) static void wait_forever(void)
{
    pthread_mutex_lock(&mu);
    for (;;)
        pthread_cond_wait(&cv, &mu);
}
static void *w_cond(void *a) { (void)a; wait_forever(); return NULL; }
__attribute__((noinline)) static int deep(int n)
{
    if (n == 0) {
        struct timespec ts = {100000, 0};
        nanosleep(&ts, NULL);
        return 0;
    }
    int r = deep(n - 1);
    sink += r;
    return r + 1;
}
static void *w_sleep(void *a) { deep((int)(long)a); return NULL; }
static void *w_read(void *a) { (void)a; char c; while (read(pfd[0], &c, 1) > 0) {} return NULL; }
static void on_usr1(int sig) { (void)sig; for (;;) pause(); }
static void *w_signal(void *a) { (void)a; raise(SIGUSR1); return NULL; }
static inline __attribute__((always_inline)) void inl2(int x) { sink = x; sleep(100000); sink = x + 1; }
static inline __attribute__((always_inline)) void inl1(int x) { sink = 2; inl2(x * 3); sink = 5; }
__attribute__((noinline)) static void with_inlines(int x) { inl1(x); sink = 7; }
static void *w_inline(void *a) { (void)a; with_inlines(4); return NULL; }

static void child(const char *mode, int n, int ready_fd)
{
    if (pipe(pfd) < 0)
        _exit(1);
    signal(SIGUSR1, on_usr1);
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    for (int i = 0; i < n; i++) {
        void *(*fn)(void *) = w_cond;
        void *arg = NULL;
        if (strcmp(mode, "mixed") == 0) {
            switch (i % 5) {
            case 0: fn = w_cond; break;
            case 1: fn = w_sleep; arg = (void *)(long)(10 + i); break;
            case 2: fn = w_read; break;
            case 3: fn = w_signal; break;
            default: fn = w_inline; break;
            }
        }
        pthread_t t;
        if (pthread_create(&t, &at, fn, arg) != 0)
            _exit(1);
    }
    usleep(200000); /* let every thread reach its blocking call */
    if (write(ready_fd, "x", 1) != 1)
        _exit(1);
    wait_forever();
}

/* ---- a minimal live target (seize + interrupt, process_vm_readv) ---------------------------- */

static ssize_t b_read(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(t->pid, &l, 1, &r, 1, 0);
}
static int b_regs(cd_target *t, cd_thread *th, cd_regs *out, cd_err *err)
{
    (void)t;
    if (!th->regs_valid) {
        if (ptrace(PTRACE_GETREGS, th->tid, 0, &th->regs) < 0)
            return cd_fail(err, 1, "PTRACE_GETREGS %d: %s", th->tid, strerror(errno));
        th->regs_valid = true;
    }
    *out = th->regs;
    return 0;
}
static int b_report(cd_target *t, Dwfl *d, cd_err *err)
{
    int r = dwfl_linux_proc_report(d, t->pid);
    return r ? cd_fail(err, 4, "dwfl_linux_proc_report: %s", r < 0 ? dwfl_errmsg(-1) : strerror(r)) : 0;
}
static const cd_target_ops bench_ops = {.kind = "live", .read_mem = b_read, .get_regs = b_regs, .report_modules = b_report};

static cd_target *bench_attach(pid_t pid)
{
    cd_target *t = cd_xcalloc(1, sizeof *t);
    t->ops = &bench_ops;
    t->pid = pid;
    char p[64], buf[4096];
    snprintf(p, sizeof p, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(p, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    t->exe_path = cd_xstrdup(buf);
    snprintf(p, sizeof p, "/proc/%d/task", (int)pid);
    DIR *d = opendir(p);
    struct dirent *de;
    size_t cap = 0;
    while (d && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (t->nthreads == cap) {
            cap = cap ? cap * 2 : 64;
            t->threads = cd_xrealloc(t->threads, cap * sizeof *t->threads);
        }
        cd_thread *th = cd_xcalloc(1, sizeof *th);
        th->tid = atoi(de->d_name);
        th->held = true;
        t->threads[t->nthreads++] = th;
    }
    if (d)
        closedir(d);
    for (size_t i = 0; i < t->nthreads; i++) {
        ptrace(PTRACE_SEIZE, t->threads[i]->tid, 0, 0);
        ptrace(PTRACE_INTERRUPT, t->threads[i]->tid, 0, 0);
    }
    for (size_t i = 0; i < t->nthreads; i++) {
        int st;
        waitpid(t->threads[i]->tid, &st, __WALL);
        cd_err e;
        cd_regs r;
        b_regs(t, t->threads[i], &r, &e);
    }
    return t;
}

static void bench_detach(cd_target *t)
{
    for (size_t i = 0; i < t->nthreads; i++) {
        ptrace(PTRACE_DETACH, t->threads[i]->tid, 0, 0);
        free(t->threads[i]);
    }
    free(t->threads);
    free(t->exe_path);
    free(t);
}

/* ---- frame lists ------------------------------------------------------------------------------ */

typedef struct pcs {
    uint64_t pc[MAXF];
    int n;
} pcs;

static double ms(uint64_t ns) { return (double)ns / 1e6; }

/* (a) */
static uint64_t run_dwfl(cd_target *t, cd_unwinder *u, pcs *out)
{
    uint64_t t0 = cd_now_ns();
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_stack st;
        cd_err err;
        out[i].n = 0;
        if (cd_unwind_thread(u, t->threads[i], 0, &st, &err) < 0)
            continue;
        for (size_t k = 0; k < st.n && out[i].n < MAXF; k++)
            if (k == 0 || st.frames[k].phys != st.frames[k - 1].phys)
                out[i].pc[out[i].n++] = st.frames[k].pc;
        cd_stack_free(&st);
    }
    return cd_now_ns() - t0;
}

/* (b) libunwind over our accessors. libunwind hands find_proc_info's argument (the _UPT handle)
 * on to access_mem, so the accessors find the current thread through this file-level pointer;
 * fine for a single-threaded measurement tool. */
struct lu_ctx {
    cd_target *t;
    cd_memcache *mc;
    void *upt;
    cd_thread *th;
};
static struct lu_ctx *cur;

static int lu_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need, void *arg)
{
    (void)arg;
    return _UPT_find_proc_info(as, ip, pi, need, cur->upt);
}
static void lu_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
    (void)arg;
    _UPT_put_unwind_info(as, pi, cur->upt);
}
static int lu_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *dil, void *arg)
{
    (void)arg;
    return _UPT_get_dyn_info_list_addr(as, dil, cur->upt);
}
static int lu_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
    (void)as;
    (void)arg;
    if (write)
        return -UNW_EINVAL;
    return cd_memcache_read(cur->mc, addr, val, sizeof *val) == 0 ? 0 : -UNW_EINVAL;
}
static int lu_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write, void *arg)
{
    (void)as;
    (void)arg;
    if (write)
        return -UNW_EINVAL;
    const cd_regs *r = &cur->th->regs;
    /* libunwind's x86-64 register numbers follow DWARF numbering. */
    const unsigned long long map[17] = {r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi, r->rbp, r->rsp, r->r8,
                                        r->r9,  r->r10, r->r11, r->r12, r->r13, r->r14, r->r15, r->rip};
    if (reg < 0 || reg > 16)
        return -UNW_EBADREG;
    *val = map[reg];
    return 0;
}
static int lu_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write, void *arg)
{
    (void)as; (void)reg; (void)val; (void)write; (void)arg;
    return -UNW_EBADREG;
}
static int lu_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
    (void)as; (void)c; (void)arg;
    return -UNW_EINVAL;
}
static int lu_get_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf, size_t len, unw_word_t *off, void *arg)
{
    (void)arg;
    return _UPT_get_proc_name(as, ip, buf, len, off, cur->upt);
}
static unw_accessors_t lu_acc = {
    .find_proc_info = lu_find_proc_info,
    .put_unwind_info = lu_put_unwind_info,
    .get_dyn_info_list_addr = lu_get_dyn_info_list_addr,
    .access_mem = lu_access_mem,
    .access_reg = lu_access_reg,
    .access_fpreg = lu_access_fpreg,
    .resume = lu_resume,
    .get_proc_name = lu_get_proc_name,
};

static void walk_cursor(unw_cursor_t *c, pcs *o)
{
    o->n = 0;
    do {
        unw_word_t ip;
        if (unw_get_reg(c, UNW_REG_IP, &ip) < 0 || ip == 0)
            break;
        o->pc[o->n++] = ip;
    } while (o->n < MAXF && unw_step(c) > 0);
}

static uint64_t run_lu_custom(cd_target *t, unw_addr_space_t as, struct lu_ctx *ctx, pcs *out)
{
    uint64_t t0 = cd_now_ns();
    cur = ctx;
    for (size_t i = 0; i < t->nthreads; i++) {
        ctx->th = t->threads[i];
        unw_cursor_t c;
        out[i].n = 0;
        if (unw_init_remote(&c, as, ctx) < 0)
            continue;
        walk_cursor(&c, &out[i]);
    }
    return cd_now_ns() - t0;
}

static uint64_t run_lu_stock(cd_target *t, unw_addr_space_t as, pcs *out)
{
    uint64_t t0 = cd_now_ns();
    for (size_t i = 0; i < t->nthreads; i++) {
        void *upt = _UPT_create(t->threads[i]->tid);
        unw_cursor_t c;
        out[i].n = 0;
        if (upt && unw_init_remote(&c, as, upt) == 0)
            walk_cursor(&c, &out[i]);
        _UPT_destroy(upt);
    }
    return cd_now_ns() - t0;
}

static int compare(const char *name, cd_target *t, const pcs *ref, const pcs *o, bool verbose)
{
    int bad = 0;
    for (size_t i = 0; i < t->nthreads; i++) {
        bool same = ref[i].n == o[i].n && memcmp(ref[i].pc, o[i].pc, (size_t)o[i].n * sizeof(uint64_t)) == 0;
        if (!same) {
            if (bad < 3 || verbose) {
                printf("  %s differs on thread %d: dwfl %d frames, %s %d frames\n", name, (int)t->threads[i]->tid,
                       ref[i].n, name, o[i].n);
                int m = ref[i].n > o[i].n ? ref[i].n : o[i].n;
                for (int k = 0; k < m; k++)
                    printf("    #%-2d %#18llx %#18llx\n", k, k < ref[i].n ? (unsigned long long)ref[i].pc[k] : 0ull,
                           k < o[i].n ? (unsigned long long)o[i].pc[k] : 0ull);
            }
            bad++;
        }
    }
    return bad;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "cond";
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    int passes = argc > 3 ? atoi(argv[3]) : 3;
    bool verbose = getenv("VERBOSE") != NULL;
    int pp[2];
    if (pipe(pp) < 0)
        return 1;
    pid_t pid = fork();
    if (pid == 0) {
        close(pp[0]);
        child(mode, n, pp[1]);
        _exit(0);
    }
    close(pp[1]);
    char c;
    if (read(pp[0], &c, 1) != 1) {
        fprintf(stderr, "workload failed to start\n");
        return 1;
    }

    uint64_t t0 = cd_now_ns();
    cd_target *t = bench_attach(pid);
    uint64_t t_attach = cd_now_ns() - t0;
    printf("workload %s: %zu threads; attach (seize+interrupt+getregs) %.2f ms\n", mode, t->nthreads, ms(t_attach));

    pcs *ra = cd_xcalloc(t->nthreads, sizeof *ra), *rb = cd_xcalloc(t->nthreads, sizeof *rb),
        *rc = cd_xcalloc(t->nthreads, sizeof *rc);
    int fails = 0;

    /* (a) */
    cd_err err;
    uint64_t s0 = cd_now_ns();
    cd_symtab *sym = cd_symtab_new(t, &err);
    cd_unwinder *u = sym ? cd_unwinder_new(t, sym, &err) : NULL;
    if (!u) {
        fprintf(stderr, "cdbg unwinder: %s\n", err.msg);
        return 1;
    }
    uint64_t setup_a = cd_now_ns() - s0;
    for (int p = 0; p < passes; p++) {
        t->stop_gen++;
        uint64_t d = run_dwfl(t, u, ra);
        size_t fr = 0;
        for (size_t i = 0; i < t->nthreads; i++)
            fr += (size_t)ra[i].n;
        printf("(a) libdwfl+cache (unwind+symbolise): pass %d %8.2f ms  (%.1f us/thread, %zu frames)%s\n", p, ms(d),
               (double)d / 1e3 / (double)t->nthreads, fr, p == 0 ? "" : "");
        if (p == 0)
            printf("    setup (dwfl_begin+report) %.2f ms; total first `bt all` incl. attach %.2f ms\n", ms(setup_a),
                   ms(t_attach + setup_a + d));
    }

    /* Symbolisation alone, cold, on a fresh symtab: separates "load DWARF + look up" from the
     * unwinding cost inside (a)'s first pass. */
    {
        cd_symtab *s2 = cd_symtab_new(t, &err);
        uint64_t q0 = cd_now_ns();
        size_t nl = 0;
        for (size_t i = 0; s2 && i < t->nthreads; i++)
            for (int k = 0; k < ra[i].n; k++) {
                const cd_pcinfo *pi;
                cd_symtab_lookup(s2, k ? ra[i].pc[k] - 1 : ra[i].pc[k], &pi);
                nl++;
            }
        uint64_t q = cd_now_ns() - q0;
        printf("    of which symbolisation (cold, fresh symtab, %zu lookups): %.2f ms\n", nl, ms(q));
        cd_symtab_free(s2);
    }

    if (getenv("ONLY_A")) /* for profiling (a) alone: perf record ... env ONLY_A=1 */
        passes = 0;

    /* (b) */
    unw_addr_space_t as_b = unw_create_addr_space(&lu_acc, 0);
    unw_set_caching_policy(as_b, UNW_CACHE_GLOBAL);
    struct lu_ctx ctx = {.t = t, .mc = cd_memcache_new(t), .upt = _UPT_create(pid)};
    for (int p = 0; p < passes; p++) {
        t->stop_gen++;
        uint64_t d = run_lu_custom(t, as_b, &ctx, rb);
        printf("(b) libunwind+our accessors (unwind only): pass %d %8.2f ms  (%.1f us/thread)\n", p, ms(d),
               (double)d / 1e3 / (double)t->nthreads);
    }
    fails += compare("libunwind-custom", t, ra, rb, verbose);

    /* (c) */
    unw_addr_space_t as_c = unw_create_addr_space(&_UPT_accessors, 0);
    unw_set_caching_policy(as_c, UNW_CACHE_GLOBAL);
    for (int p = 0; p < passes; p++) {
        uint64_t d = run_lu_stock(t, as_c, rc);
        printf("(c) libunwind stock _UPT (unwind only):    pass %d %8.2f ms  (%.1f us/thread)\n", p, ms(d),
               (double)d / 1e3 / (double)t->nthreads);
    }
    fails += compare("libunwind-stock", t, ra, rc, verbose);
    printf("frame lists: %s\n", fails ? "DIFFER (see above)" : "identical for every thread");

    char *notes = cd_symtab_take_notes(sym);
    free(notes);
    unw_destroy_addr_space(as_b);
    unw_destroy_addr_space(as_c);
    _UPT_destroy(ctx.upt);
    cd_memcache_free(ctx.mc);
    cd_unwinder_free(u);
    cd_symtab_free(sym);
    bench_detach(t);
    free(ra);
    free(rb);
    free(rc);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return fails ? 1 : 0;
}
