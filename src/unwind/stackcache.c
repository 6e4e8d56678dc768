/* The thread dump's stack cache: see stackcache.h. */
#include "unwind/stackcache.h"
#include "symbols/symbols_internal.h"
#include "target/procfs.h"

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/uio.h>

#define DW_RSP 7
#define DW_RIP 16
/* as cd_unwind_unstopped: a thread that moved this many times running is stopped instead */
#define TRIES 3
/* templates kept per pc: threads asleep at one pc reached from different callers */
#define MAX_TEMPLATES 8
/* a template whose stack spans more than this is read in full each time rather than replayed */
#define MAX_SPAN (256 * 1024)

/* The CFI row at a lookup pc, reduced to what a replay may rely on. */
typedef struct rule {
    bool simple;      /* CFA = rsp + cfa_off, not a signal frame */
    bool ra_cfa_m8;   /* return address saved at CFA - 8 */
    bool ra_undef;    /* return address undefined: the outermost frame */
    int64_t cfa_off;
} rule;

typedef struct tmpl {
    struct tmpl *next;
    size_t nphys;
    uint64_t *pc;     /* each physical frame's pc */
    uint64_t *off;    /* its sp - frame 0's sp */
    cd_stack st;      /* the full walk's stack: what every thread that fits it shows */
} tmpl;

/* A reader of the target's memory for replay(): the dump's thread reads through the target; the
 * helper thread (read_all) reads the process directly, never touching the target object. */
typedef struct memrd {
    cd_target *t; /* NULL: pid */
    pid_t pid;
    uint8_t *buf;
    size_t cap;
} memrd;

struct cd_stackcache {
    cd_unwinder *u;
    cd_target *t;
    cd_symtab *s;
    cd_procfs_sc_reader rd;
    cd_u64map rules; /* lookup pc -> rule* */
    cd_u64map tmpls; /* frame 0's pc -> tmpl* chain; new templates go first, a chain never changes */
    pthread_mutex_t lock; /* guards tmpls: read_all's helper looks templates up */
    memrd mem;
    size_t replayed, full, helped;
    bool helper_first;
};

cd_stackcache *cd_stackcache_new(cd_unwinder *u, cd_target *t, cd_symtab *s)
{
    cd_stackcache *c = cd_xcalloc(1, sizeof *c);
    c->u = u;
    c->t = t;
    c->s = s;
    c->rd = (cd_procfs_sc_reader)CD_PROCFS_SC_READER_INIT;
    c->mem.t = t;
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void tmpl_free(void *v)
{
    for (tmpl *p = v, *nx; p; p = nx) {
        nx = p->next;
        free(p->pc);
        free(p->off);
        cd_stack_free(&p->st);
        free(p);
    }
}

void cd_stackcache_free(cd_stackcache *c)
{
    if (!c)
        return;
    cd_procfs_sc_close(&c->rd);
    cd_u64map_free(&c->rules, free);
    cd_u64map_free(&c->tmpls, tmpl_free);
    free(c->mem.buf);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void cd_stackcache_test_helper_first(cd_stackcache *c)
{
    c->helper_first = true;
}

void cd_stackcache_counts(const cd_stackcache *c, size_t *replayed, size_t *full, size_t *helped)
{
    *helped = c->helped;
    *replayed = c->replayed;
    *full = c->full;
}

/* The row libdwfl unwinds with at LPC: .eh_frame first, then .debug_frame (its order). */
static const rule *rule_at(cd_stackcache *c, uint64_t lpc)
{
    bool found;
    rule *r = cd_u64map_get(&c->rules, lpc, &found);
    if (found)
        return r;
    r = cd_xcalloc(1, sizeof *r);
    cd_u64map_put(&c->rules, lpc, r);
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(c->s), lpc);
    Dwarf_Frame *fr = NULL;
    for (int pass = 0; mod && pass < 2 && !fr; pass++) {
        Dwarf_Addr bias;
        Dwarf_CFI *cfi = pass == 0 ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
        if (cfi && dwarf_cfi_addrframe(cfi, lpc - bias, &fr) != 0)
            fr = NULL;
    }
    if (!fr)
        return r;
    bool sig = false;
    dwarf_frame_info(fr, NULL, NULL, &sig);
    Dwarf_Op *ops = NULL;
    size_t nops = 0;
    if (!sig && dwarf_frame_cfa(fr, &ops, &nops) == 0 && nops == 1 && ops[0].atom == DW_OP_bregx &&
        ops[0].number == DW_RSP) {
        r->simple = true;
        r->cfa_off = (int64_t)ops[0].number2;
    }
    Dwarf_Op mem[3];
    ops = NULL;
    nops = 0;
    if (dwarf_frame_register(fr, DW_RIP, mem, &ops, &nops) == 0) {
        /* offset(N) comes as DW_OP_call_frame_cfa [DW_OP_plus_uconst N] (libdw's frame_register) */
        r->ra_undef = nops == 0 && ops == mem;
        r->ra_cfa_m8 = nops == 2 && ops == mem && ops[0].atom == DW_OP_call_frame_cfa &&
                       ops[1].atom == DW_OP_plus_uconst && (int64_t)ops[1].number == -8;
    }
    free(fr);
    return r;
}

/* A full walk from the syscall line SC kept as a template when each of its steps depended only on
 * the pcs and the return addresses read: the checks replay() relies on. */
static void keep_template(cd_stackcache *c, const cd_syscall_state *sc, const cd_stack *st)
{
    if (st->n == 0 || st->error || st->truncated || st->missing_reg)
        return;
    size_t nphys = (size_t)st->frames[st->n - 1].phys + 1;
    uint64_t *pc = cd_xcalloc(nphys, sizeof *pc), *off = cd_xcalloc(nphys, sizeof *off);
    bool ok = st->frames[0].phys == 0 && st->frames[0].pc == sc->pc && st->frames[0].lookup_pc == sc->pc;
    size_t k = 0;
    for (size_t i = 0; i < nphys && ok; i++) {
        /* the first logical frame of physical frame i */
        while (k < st->n && (st->frames[k].phys < (int)i || st->frames[k].tailcall))
            k++;
        const cd_frame *f = &st->frames[k];
        ok = k < st->n && f->phys == (int)i && !f->signal_frame && (f->regs_valid & (1u << DW_RSP)) &&
             f->regs[DW_RSP] >= sc->sp && f->lookup_pc == (i == 0 ? f->pc : f->pc - 1);
        if (!ok)
            break;
        pc[i] = f->pc;
        off[i] = f->regs[DW_RSP] - sc->sp;
        const rule *r = rule_at(c, f->lookup_pc);
        ok = r->simple;
        if (ok && i + 1 < nphys)
            ok = r->ra_cfa_m8 && r->cfa_off > 0 && f->cfa == f->regs[DW_RSP] + (uint64_t)r->cfa_off;
        else if (ok)
            ok = r->ra_undef;
    }
    ok = ok && off[nphys - 1] <= MAX_SPAN;
    bool found;
    pthread_mutex_lock(&c->lock);
    tmpl *head = cd_u64map_get(&c->tmpls, sc->pc, &found);
    pthread_mutex_unlock(&c->lock);
    size_t have = 0;
    for (tmpl *p = head; p; p = p->next)
        have++;
    if (!ok || have >= MAX_TEMPLATES) {
        free(pc);
        free(off);
        return;
    }
    tmpl *t = cd_xcalloc(1, sizeof *t);
    t->nphys = nphys;
    t->pc = pc;
    t->off = off;
    t->st.n = st->n;
    t->st.frames = cd_xmalloc(st->n * sizeof *t->st.frames);
    memcpy(t->st.frames, st->frames, st->n * sizeof *t->st.frames);
    pthread_mutex_lock(&c->lock);
    t->next = head;
    cd_u64map_put(&c->tmpls, sc->pc, t);
    pthread_mutex_unlock(&c->lock);
}

static int mem_read(memrd *m, uint64_t addr, size_t len)
{
    if (len > m->cap) {
        m->cap = len;
        m->buf = cd_xrealloc(m->buf, len);
    }
    if (m->t)
        return cd_target_read_full(m->t, addr, m->buf, len);
    struct iovec lo = {m->buf, len}, re = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(m->pid, &lo, 1, &re, 1, 0) == (ssize_t)len ? 0 : -1;
}

/* The template whose every return address a thread asleep at SC has at the same offsets from its
 * sp (its stack read once), or NULL. */
static const tmpl *replay(cd_stackcache *c, memrd *m, const cd_syscall_state *sc)
{
    bool found;
    pthread_mutex_lock(&c->lock);
    const tmpl *head = cd_u64map_get(&c->tmpls, sc->pc, &found);
    pthread_mutex_unlock(&c->lock);
    if (!head)
        return NULL;
    size_t span = 0;
    for (const tmpl *p = head; p; p = p->next)
        if (p->off[p->nphys - 1] > span)
            span = p->off[p->nphys - 1];
    /* the thread's stack from its sp to the outermost frame's, in one read */
    if (span && mem_read(m, sc->sp, span) < 0)
        span = 0; /* shorter templates may still fit within what is readable: each reads its own */
    for (const tmpl *p = head; p; p = p->next) {
        size_t need = p->off[p->nphys - 1];
        if (need > span && mem_read(m, sc->sp, need) < 0)
            continue;
        bool ok = true;
        for (size_t i = 1; i < p->nphys && ok; i++) {
            uint64_t ra;
            memcpy(&ra, m->buf + p->off[i] - 8, sizeof ra);
            ok = ra == p->pc[i];
        }
        if (ok)
            return p;
    }
    return NULL;
}

static int read_line(cd_stackcache *c, cd_thread *th, cd_syscall_state *sc, cd_err *err)
{
    if (c->t->caps.post_mortem)
        return c->t->ops->syscall_state(c->t, th, sc, err);
    if (th->gone)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "cannot read the syscall state of thread %d: it has exited",
                        (int)th->tid);
    if (cd_procfs_sc_read(&c->rd, c->t->pid, th->tid, sc) == 0)
        return 0;
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", (int)c->t->pid, (int)th->tid);
    if (errno == EBADMSG)
        return cd_fail(err, CD_EXIT_CMD, "cannot parse %s: unexpected contents", path);
    return cd_fail(err, CD_EXIT_CMD, "cannot read %s: %s", path, errno == ENODATA ? "empty" : strerror(errno));
}

static bool same_line(const cd_syscall_state *a, const cd_syscall_state *b)
{
    return a->kind == b->kind && a->nr == b->nr && a->sp == b->sp && a->pc == b->pc &&
           memcmp(a->args, b->args, sizeof a->args) == 0;
}

int cd_unwind_unstopped_cached(cd_stackcache *c, cd_thread *th, cd_read_hook hook, void *hook_arg, cd_stack *out,
                               const cd_stack **shared, cd_read_info *info, cd_err *err)
{
    memset(out, 0, sizeof *out);
    memset(info, 0, sizeof *info);
    *shared = NULL;
    if (th->held || c->t->caps.post_mortem)
        return cd_unwind_unstopped(c->u, th, 0, hook, hook_arg, out, info, err);
    cd_syscall_state sc, again;
    for (int attempt = 0; attempt < TRIES; attempt++) {
        if (read_line(c, th, &sc, err) < 0)
            return -1;
        info->sc = sc;
        if (sc.kind != CD_SC_BLOCKED || !sc.sp || !sc.pc)
            break; /* running, or asleep outside a system call: stopped below */
        if (attempt > 0)
            cd_unwinder_flush(c->u);
        const tmpl *p = replay(c, &c->mem, &sc);
        if (p) {
            c->replayed++;
            *shared = &p->st;
        } else {
            if (cd_unwind_syscall(c->u, th->tid, &sc, 0, out, err) < 0)
                return -1;
            c->full++;
            keep_template(c, &sc, out);
        }
        if (hook)
            hook(th->tid, attempt, hook_arg);
        /* read while it slept only if it still sleeps in the same call (cd_unwind_unstopped) */
        if (read_line(c, th, &again, err) < 0) {
            cd_stack_free(out);
            *shared = NULL;
            return -1;
        }
        if (same_line(&sc, &again)) {
            info->how = CD_READ_BLOCKED;
            return 0;
        }
        info->sc = again;
        info->rereads++;
        cd_stack_free(out);
        *shared = NULL;
    }
    /* running, or moving each time it was read: held alone for one unwind */
    cd_thread *one[1] = {th};
    if (cd_target_stop(c->t, one, 1, err) < 0)
        return -1;
    info->how = CD_READ_STOPPED;
    if (info->rereads)
        cd_unwinder_flush(c->u);
    int rc = th->held ? cd_unwind_thread(c->u, th, 0, out, err) : -1;
    if (rc < 0 && !th->held && !th->gone)
        rc = cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER,
                      "cannot read the stack of thread %d: it neither stopped nor sleeps in a system call", (int)th->tid);
    else if (rc < 0 && th->gone)
        rc = cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "thread %d exited while its stack was read", (int)th->tid);
    cd_err e2;
    if (th->held && cd_target_resume(c->t, one, 1, &e2) < 0 && rc == 0) {
        cd_stack_free(out);
        *err = e2;
        return -1;
    }
    return rc;
}

/* ---- the whole dump: two threads ---------------------------------------------------------- */

enum { SLOT_FREE, SLOT_MAIN, SLOT_HELPER, SLOT_DONE, SLOT_LEFT };

typedef struct helper {
    cd_stackcache *c;
    cd_thread **ths;
    cd_cached_read *res;
    _Atomic int *slot;
    size_t n;
    pid_t pid;
    size_t replayed;
} helper;

/* From the end of the list, the threads that fit a template: line, replay, line again. Anything
 * else (no template yet, running, moved, an error) is left to the dump's thread, which alone may
 * stop a thread or unwind in full (libdwfl's state is not shared between threads). */
static void *helper_main(void *arg)
{
    helper *h = arg;
    cd_procfs_sc_reader rd = CD_PROCFS_SC_READER_INIT;
    memrd m = {.pid = h->pid};
    for (size_t i = h->n; i-- > 0;) {
        int want = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&h->slot[i], &want, SLOT_HELPER))
            break; /* met the dump's thread */
        cd_thread *th = h->ths[i];
        cd_cached_read *r = &h->res[i];
        cd_syscall_state sc, again;
        const tmpl *p = NULL;
        /* a held thread's line is not a syscall's, a gone one's cannot be read: both left */
        bool ok = cd_procfs_sc_read(&rd, h->pid, th->tid, &sc) == 0 &&
                  sc.kind == CD_SC_BLOCKED && sc.sp && sc.pc && (p = replay(h->c, &m, &sc)) &&
                  cd_procfs_sc_read(&rd, h->pid, th->tid, &again) == 0 && same_line(&sc, &again);
        if (ok) {
            r->shared = &p->st;
            r->rd.how = CD_READ_BLOCKED;
            r->rd.sc = sc;
            h->replayed++;
        }
        atomic_store(&h->slot[i], ok ? SLOT_DONE : SLOT_LEFT);
    }
    cd_procfs_sc_close(&rd);
    free(m.buf);
    return NULL;
}

static void read_one(cd_stackcache *c, cd_thread *th, cd_read_hook hook, void *hook_arg, cd_cached_read *r)
{
    cd_err e;
    memset(r, 0, sizeof *r);
    r->rc = cd_unwind_unstopped_cached(c, th, hook, hook_arg, &r->st, &r->shared, &r->rd, &e);
    if (r->rc < 0)
        r->error = cd_xstrdup(e.msg);
}

/* A helper thread pays off only where there are threads enough to share, after the first few
 * threads have made the templates it replays. */
#define HELPER_AFTER 16

void cd_stackcache_read_all(cd_stackcache *c, cd_thread **ths, size_t n, cd_read_hook hook, void *hook_arg,
                            cd_cached_read *res)
{
    _Atomic int *slot = cd_xcalloc(n ? n : 1, sizeof *slot);
    helper h = {.c = c, .ths = ths, .res = res, .slot = slot, .n = n, .pid = c->t->pid};
    pthread_t thr;
    bool started = false;
    /* the test hook pauses in the dump's thread: no helper then, the order stays the list's */
    bool want = !hook && !c->t->caps.post_mortem && n > 4 * HELPER_AFTER;
    size_t i = 0;
    for (; i < n; i++) {
        if (want && i == HELPER_AFTER && !started) {
            started = pthread_create(&thr, NULL, helper_main, &h) == 0;
            if (started && c->helper_first) {
                pthread_join(thr, NULL);
                started = false;
            }
        }
        int free_ = SLOT_FREE;
        if (!atomic_compare_exchange_strong(&slot[i], &free_, SLOT_MAIN))
            break; /* the helper has this one and every one after it */
        read_one(c, ths[i], hook, hook_arg, &res[i]);
    }
    if (started)
        pthread_join(thr, NULL);
    for (; i < n; i++)
        if (atomic_load(&slot[i]) != SLOT_DONE)
            read_one(c, ths[i], hook, hook_arg, &res[i]);
    c->replayed += h.replayed;
    c->helped += h.replayed;
    free(slot);
}
