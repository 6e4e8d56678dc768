/* The snapshot backend: one thread's registers and a copy of some memory (its stack top) taken at
 * one instant — a tracepoint hit, a profiler sample — over a base target that answers everything
 * else (modules, mappings, code and data the copy does not hold).
 *
 * Why a target: the unwinder, the symbolizer and the expression evaluator all read through
 * cd_target. Giving them a target that answers from the instant's copy lets a tracepoint's
 * arguments and a sample's stack be computed by exactly the code `bt` and `print` use, instead of
 * a second evaluator that would drift from the first.
 *
 * The snapshot never runs and never writes. Its one thread is always held with valid registers.
 * Each cd_snapshot_set() starts a new instant: stop_gen moves so that per-stop caches (the
 * unwinder's page cache) never serve the previous instant's bytes. */
#include "target/target.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct snap_backend {
    cd_target *base;
    cd_thread thread;
    cd_thread *threads[1];
    unsigned char *mem;     /* the copy: [mem_addr, mem_addr + mem_len) */
    unsigned char *valid;   /* per byte of mem, when has_valid: 0 where the copy holds nothing */
    bool has_valid;
    size_t mem_len, mem_cap;
    uint64_t mem_addr;
    uint64_t deny_lo, deny_hi; /* reads here outside the copy fail instead of reaching the base */
    bool has_fp;
    struct user_fpregs_struct fp;
    /* the instant's windows (cd_snapshot_window), their bytes in wbytes */
    cd_snapshot_window *win;
    size_t nwin, win_cap;
    unsigned char *wbytes;
    size_t wbytes_cap;
    uint64_t base_reads;    /* reads passed to the base: memory as it is now (or gone), not the instant's */
} snap_backend;

static int snap_unsupported(cd_err *err, const char *what)
{
    return cd_failk(err, CD_EXIT_TARGET, CD_EK_UNSUPPORTED,
                    "cannot %s: the target is a snapshot of one instant (a tracepoint hit or a sample)", what);
}

static int snap_refresh_threads(cd_target *t, cd_err *err)
{
    (void)t, (void)err;
    return 0;
}

static int snap_check_alive(cd_target *t, int wait_ms, cd_err *err)
{
    (void)t, (void)wait_ms, (void)err;
    return 0;
}

static ssize_t snap_read_mem(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    snap_backend *b = t->backend;
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done;
        size_t want = len - done;
        if (a < addr)
            break;
        /* the windows first: what the hit copied, or could not read then (a read there fails) */
        bool inwin = false;
        for (size_t i = 0; i < b->nwin; i++) {
            const cd_snapshot_window *w = &b->win[i];
            if (a >= w->addr && a - w->addr < w->len) {
                size_t off = (size_t)(a - w->addr);
                if (off >= w->got) {
                    inwin = true;
                    want = 0;
                    break;
                }
                size_t n = w->got - off < want ? w->got - off : want;
                memcpy((char *)buf + done, (const char *)w->bytes + off, n);
                done += n;
                inwin = true;
                break;
            }
            if (w->addr > a && w->addr - a < want)
                want = (size_t)(w->addr - a);
        }
        if (inwin) {
            if (!want)
                break;
            continue;
        }
        if (b->mem_len && a >= b->mem_addr && a - b->mem_addr < b->mem_len) {
            size_t off = (size_t)(a - b->mem_addr);
            size_t n = b->mem_len - off < want ? b->mem_len - off : want;
            if (b->has_valid) {
                size_t k = 0;
                while (k < n && b->valid[off + k])
                    k++;
                memcpy((char *)buf + done, b->mem + off, k);
                done += k;
                if (k < n)
                    break;
                continue;
            }
            memcpy((char *)buf + done, b->mem + off, n);
            done += n;
            continue;
        }
        /* Outside the copy: stop at its start, and refuse the denied range (the rest of a stack
         * whose live contents belong to a later instant, not to this one). */
        if (b->mem_len && a < b->mem_addr && a + want > b->mem_addr)
            want = (size_t)(b->mem_addr - a);
        if (a >= b->deny_lo && a < b->deny_hi)
            break;
        if (a < b->deny_lo && a + want > b->deny_lo)
            want = (size_t)(b->deny_lo - a);
        b->base_reads++;
        ssize_t r = b->base->ops->read_mem(b->base, a, (char *)buf + done, want);
        if (r <= 0)
            break;
        done += (size_t)r;
        if ((size_t)r < want)
            break;
    }
    if (done == 0) {
        errno = EFAULT;
        return -1;
    }
    return (ssize_t)done;
}

static int snap_write_mem(cd_target *t, uint64_t addr, const void *buf, size_t len, cd_err *err)
{
    (void)t, (void)addr, (void)buf, (void)len;
    return snap_unsupported(err, "write memory");
}

static int snap_get_regs(cd_target *t, cd_thread *th, cd_regs *out, cd_err *err)
{
    (void)t, (void)err;
    *out = th->regs;
    return 0;
}

static int snap_set_regs(cd_target *t, cd_thread *th, const cd_regs *regs, cd_err *err)
{
    (void)t, (void)th, (void)regs;
    return snap_unsupported(err, "set registers");
}

static int snap_get_fpregs(cd_target *t, cd_thread *th, struct user_fpregs_struct *out, cd_err *err)
{
    snap_backend *b = t->backend;
    (void)th;
    if (!b->has_fp)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_UNSUPPORTED,
                        "floating-point registers were not recorded at this instant");
    *out = b->fp;
    return 0;
}

static int snap_stop(cd_target *t, cd_thread **ths, size_t n, cd_err *err)
{
    (void)t, (void)ths, (void)n, (void)err;
    return 0; /* always held */
}

static int snap_resume(cd_target *t, cd_thread **ths, size_t n, cd_err *err)
{
    (void)t, (void)ths, (void)n, (void)err;
    return 0;
}

static int snap_syscall_state(cd_target *t, cd_thread *th, cd_syscall_state *out, cd_err *err)
{
    (void)t, (void)th, (void)err;
    memset(out, 0, sizeof *out);
    out->kind = CD_SC_UNKNOWN;
    return 0;
}

static int snap_report_modules(cd_target *t, Dwfl *dwfl, cd_err *err)
{
    snap_backend *b = t->backend;
    return b->base->ops->report_modules(b->base, dwfl, err);
}

static int snap_mappings(cd_target *t, const cd_mapping **out, size_t *n, cd_err *err)
{
    snap_backend *b = t->backend;
    return b->base->ops->mappings(b->base, out, n, err);
}

static int snap_insert_bp(cd_target *t, uint64_t addr, cd_err *err)
{
    (void)t, (void)addr;
    return snap_unsupported(err, "insert a breakpoint");
}

static int snap_remove_bp(cd_target *t, uint64_t addr, cd_err *err)
{
    (void)t, (void)addr;
    return snap_unsupported(err, "remove a breakpoint");
}

static int snap_cont(cd_target *t, cd_err *err)
{
    (void)t;
    return snap_unsupported(err, "continue");
}

static int snap_wait(cd_target *t, cd_event *ev, cd_err *err)
{
    (void)t, (void)ev;
    return snap_unsupported(err, "wait");
}

static void snap_interrupt(cd_target *t)
{
    (void)t;
}

static int snap_step(cd_target *t, cd_thread *th, int sig, cd_event *ev, cd_err *err)
{
    (void)t, (void)th, (void)sig, (void)ev;
    return snap_unsupported(err, "step");
}

static int snap_set_hw_watch(cd_target *t, int slot, uint64_t addr, int len, cd_hw_kind kind, cd_err *err)
{
    (void)t, (void)slot, (void)addr, (void)len, (void)kind;
    return snap_unsupported(err, "set a watchpoint");
}

static int snap_clear_hw_watch(cd_target *t, int slot, cd_err *err)
{
    (void)t, (void)slot;
    return snap_unsupported(err, "clear a watchpoint");
}

static int snap_release_child(cd_target *t, pid_t child, cd_err *err)
{
    (void)t, (void)child;
    return snap_unsupported(err, "release a child");
}

static cd_target *snap_adopt_child(cd_target *t, pid_t child, cd_err *err)
{
    (void)t, (void)child;
    snap_unsupported(err, "adopt a child");
    return NULL;
}

static void snap_close(cd_target *t)
{
    snap_backend *b = t->backend;
    free(b->mem);
    free(b->valid);
    free(b->win);
    free(b->wbytes);
    free(b);
    free(t->exe_path);
    free(t);
}

static void snap_emergency(cd_target *t)
{
    (void)t; /* nothing of the program's is held by a snapshot */
}

static const cd_target_ops snap_ops = {
    .kind = "snapshot",
    .refresh_threads = snap_refresh_threads,
    .check_alive = snap_check_alive,
    .read_mem = snap_read_mem,
    .write_mem = snap_write_mem,
    .get_regs = snap_get_regs,
    .set_regs = snap_set_regs,
    .get_fpregs = snap_get_fpregs,
    .stop = snap_stop,
    .resume = snap_resume,
    .syscall_state = snap_syscall_state,
    .report_modules = snap_report_modules,
    .mappings = snap_mappings,
    .insert_breakpoint = snap_insert_bp,
    .remove_breakpoint = snap_remove_bp,
    .cont = snap_cont,
    .wait = snap_wait,
    .interrupt = snap_interrupt,
    .step = snap_step,
    .set_hw_watch = snap_set_hw_watch,
    .clear_hw_watch = snap_clear_hw_watch,
    .release_child = snap_release_child,
    .adopt_child = snap_adopt_child,
    .close = snap_close,
    .emergency = snap_emergency,
};

cd_target *cd_snapshot_new(cd_target *base, cd_err *err)
{
    cd_target *t = calloc(1, sizeof *t);
    snap_backend *b = calloc(1, sizeof *b);
    char *exe = base->exe_path ? strdup(base->exe_path) : NULL;
    if (!t || !b || (base->exe_path && !exe)) {
        free(t), free(b), free(exe);
        cd_fail(err, CD_EXIT_CMD, "out of memory creating a snapshot target");
        return NULL;
    }
    b->base = base;
    b->thread.held = true;
    b->thread.regs_valid = true;
    b->thread.state = 'T';
    b->thread.orig_rax = -1;
    b->thread.tid = base->pid;
    b->threads[0] = &b->thread;
    t->ops = &snap_ops;
    t->caps.has_proc = base->caps.has_proc;
    t->caps.subpage_mem = true;
    t->pid = base->pid;
    t->exe_path = exe;
    t->threads = b->threads;
    t->nthreads = 1;
    t->backend = b;
    return t;
}

uint64_t cd_snapshot_base_reads(cd_target *snap)
{
    return snap && snap->ops == &snap_ops ? ((snap_backend *)snap->backend)->base_reads : 0;
}

int cd_snapshot_set(cd_target *snap, const cd_snapshot_instant *in, cd_err *err)
{
    if (snap->ops != &snap_ops)
        return cd_fail(err, CD_EXIT_CMD, "cd_snapshot_set on a target that is not a snapshot");
    snap_backend *b = snap->backend;
    if (in->mem_len > b->mem_cap) {
        unsigned char *m = realloc(b->mem, in->mem_len);
        if (!m)
            return cd_fail(err, CD_EXIT_CMD, "out of memory copying a snapshot's %zu bytes", in->mem_len);
        b->mem = m;
        unsigned char *v = realloc(b->valid, in->mem_len);
        if (!v)
            return cd_fail(err, CD_EXIT_CMD, "out of memory copying a snapshot's %zu bytes", in->mem_len);
        b->valid = v;
        b->mem_cap = in->mem_len;
    }
    if (in->mem_len)
        memcpy(b->mem, in->mem, in->mem_len);
    b->has_valid = in->mem_valid && in->mem_len;
    if (b->has_valid)
        memcpy(b->valid, in->mem_valid, in->mem_len);
    b->mem_len = in->mem_len;
    b->mem_addr = in->mem_addr;
    b->deny_lo = in->deny_lo;
    b->deny_hi = in->deny_hi;
    b->nwin = 0;
    size_t wb = 0;
    for (size_t i = 0; i < in->nwin; i++)
        wb += in->win[i].got;
    if (in->nwin > b->win_cap) {
        cd_snapshot_window *w = realloc(b->win, in->nwin * sizeof *w);
        if (!w)
            return cd_fail(err, CD_EXIT_CMD, "out of memory copying a snapshot's windows");
        b->win = w;
        b->win_cap = in->nwin;
    }
    if (wb > b->wbytes_cap) {
        unsigned char *m = realloc(b->wbytes, wb);
        if (!m)
            return cd_fail(err, CD_EXIT_CMD, "out of memory copying a snapshot's %zu bytes", wb);
        b->wbytes = m;
        b->wbytes_cap = wb;
    }
    wb = 0;
    for (size_t i = 0; i < in->nwin; i++) {
        b->win[i] = in->win[i];
        if (b->win[i].got > b->win[i].len)
            b->win[i].got = b->win[i].len;
        if (b->win[i].got)
            memcpy(b->wbytes + wb, in->win[i].bytes, b->win[i].got);
        b->win[i].bytes = b->wbytes + wb;
        wb += b->win[i].got;
    }
    b->nwin = in->nwin;
    b->has_fp = in->fpregs != NULL;
    if (in->fpregs)
        b->fp = *in->fpregs;
    cd_thread *th = &b->thread;
    th->tid = in->tid ? in->tid : snap->pid;
    th->regs = in->regs;
    th->orig_rax = (int64_t)in->regs.orig_rax;
    th->name[0] = 0;
    if (in->name) {
        strncpy(th->name, in->name, sizeof th->name - 1);
        th->name[sizeof th->name - 1] = 0;
    }
    snap->stop_gen++;
    return 0;
}
