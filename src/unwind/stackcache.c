/* The thread dump's stack cache: see stackcache.h. */
#include "unwind/stackcache.h"
#include "symbols/symbols_internal.h"
#include "target/bpfsnap.h"
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
    bool bpf; /* the last read_all read the threads through the BPF task iterator */
    uint8_t *batch; /* read_deferred's stacks */
    size_t batch_cap;
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
    free(c->batch);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void cd_stackcache_test_helper_first(cd_stackcache *c)
{
    c->helper_first = true;
}

const char *cd_stackcache_source(const cd_stackcache *c, const char **why)
{
    if (why)
        cd_live_bpfsnap(c->t, why);
    if (why && c->bpf)
        *why = NULL;
    return c->bpf ? "bpf" : "procfs";
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

static const tmpl *chain_at(cd_stackcache *c, uint64_t pc)
{
    bool found;
    pthread_mutex_lock(&c->lock);
    const tmpl *head = cd_u64map_get(&c->tmpls, pc, &found);
    pthread_mutex_unlock(&c->lock);
    return head;
}

/* The bytes from sp the longest template of a chain needs. */
static size_t chain_span(const tmpl *head)
{
    size_t span = 0;
    for (const tmpl *p = head; p; p = p->next)
        if (p->off[p->nphys - 1] > span)
            span = p->off[p->nphys - 1];
    return span;
}

/* The first template of HEAD whose every return address the stack at SP has, SPAN bytes of it read
 * already into BUF (NULL: into m->buf); a template needing more is read for itself. */
static const tmpl *match(memrd *m, const tmpl *head, uint64_t sp, const uint8_t *buf, size_t span)
{
    for (const tmpl *p = head; p; p = p->next) {
        size_t need = p->off[p->nphys - 1];
        const uint8_t *b = buf ? buf : m->buf;
        if (need > span) {
            if (mem_read(m, sp, need) < 0)
                continue;
            b = m->buf;
        }
        bool ok = true;
        for (size_t i = 1; i < p->nphys && ok; i++) {
            uint64_t ra;
            memcpy(&ra, b + p->off[i] - 8, sizeof ra);
            ok = ra == p->pc[i];
        }
        if (ok)
            return p;
    }
    return NULL;
}

/* The template whose every return address a thread asleep at SC has at the same offsets from its
 * sp (its stack read once), or NULL. */
static const tmpl *replay(cd_stackcache *c, memrd *m, const cd_syscall_state *sc)
{
    const tmpl *head = chain_at(c, sc->pc);
    if (!head)
        return NULL;
    /* the thread's stack from its sp to the outermost frame's, in one read */
    size_t span = chain_span(head);
    if (span && mem_read(m, sc->sp, span) < 0)
        span = 0; /* shorter templates may still fit within what is readable: each reads its own */
    return match(m, head, sc->sp, NULL, span);
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

/* cd_unwind_unstopped_cached from read FIRST on (0; 1 after the task iterator saw it move) */
static int unstopped_cached(cd_stackcache *c, cd_thread *th, cd_read_hook hook, void *hook_arg, int first,
                            cd_stack *out, const cd_stack **shared, cd_read_info *info, cd_err *err)
{
    memset(out, 0, sizeof *out);
    memset(info, 0, sizeof *info);
    *shared = NULL;
    if (th->held || c->t->caps.post_mortem)
        return cd_unwind_unstopped(c->u, th, 0, hook, hook_arg, out, info, err);
    info->rereads = first;
    cd_syscall_state sc, again;
    for (int attempt = first; attempt < TRIES; attempt++) {
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

int cd_unwind_unstopped_cached(cd_stackcache *c, cd_thread *th, cd_read_hook hook, void *hook_arg, cd_stack *out,
                               const cd_stack **shared, cd_read_info *info, cd_err *err)
{
    return unstopped_cached(c, th, hook, hook_arg, 0, out, shared, info, err);
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

static void read_one_from(cd_stackcache *c, cd_thread *th, cd_read_hook hook, void *hook_arg, int first,
                         cd_cached_read *r)
{
    cd_err e;
    memset(r, 0, sizeof *r);
    r->rc = unstopped_cached(c, th, hook, hook_arg, first, &r->st, &r->shared, &r->rd, &e);
    if (r->rc < 0)
        r->error = cd_xstrdup(e.msg);
}

static void read_one(cd_stackcache *c, cd_thread *th, cd_read_hook hook, void *hook_arg, cd_cached_read *r)
{
    read_one_from(c, th, hook, hook_arg, 0, r);
}

/* ---- the whole dump through the BPF task iterator ------------------------------------------ */

/* One walk's record of each thread, by tid. */
typedef struct bpfwalk {
    cd_bpfsnap_thread *th;
    size_t n;
    cd_u64map at; /* tid -> index + 1 */
} bpfwalk;

/* A walk of the iterator; first: the attach's walk if the target still has it (read a few
 * milliseconds ago, for the thread list: it serves as the first walk as well as a new one would,
 * since the second is compared with it). */
static int walk_read(cd_target *t, cd_bpfsnap *snap, bool first, bpfwalk *w)
{
    memset(w, 0, sizeof *w);
    if (!(first && cd_live_bpfsnap_first(t, &w->th, &w->n) == 0) && cd_bpfsnap_read(snap, &w->th, &w->n) < 0)
        return -1;
    for (size_t i = 0; i < w->n; i++)
        cd_u64map_put(&w->at, (uint64_t)w->th[i].tid, (void *)(uintptr_t)(i + 1));
    return 0;
}

static const cd_bpfsnap_thread *walk_find(bpfwalk *w, pid_t tid)
{
    bool found;
    uintptr_t k = (uintptr_t)cd_u64map_get(&w->at, (uint64_t)tid, &found);
    return found && k ? &w->th[k - 1] : NULL;
}

static void walk_free(bpfwalk *w)
{
    cd_u64map_free(&w->at, NULL);
    free(w->th);
}

/* Still asleep where the first walk found it: the same call, registers and state, and not
 * switched in since (so not woken and put back to sleep in the same place between the walks). */
static bool same_sleep(const cd_bpfsnap_thread *a, const cd_bpfsnap_thread *b)
{
    return same_line(&a->sc, &b->sc) && a->state == b->state && a->switches == b->switches && a->rbx == b->rbx &&
           a->rbp == b->rbp && a->r12 == b->r12 && a->r13 == b->r13 && a->r14 == b->r14 && a->r15 == b->r15;
}

enum { LEFT, READ, MOVED, DEFER };

/* Thread TH unwound in full from its record R in the first walk (kept as a template if it can be):
 * 0, or -1 (nothing kept: the caller reads it one by one). */
static int unwind_rec(cd_stackcache *c, cd_thread *th, const cd_bpfsnap_thread *r, cd_cached_read *o)
{
    uint64_t regs[CD_NDWREGS];
    uint32_t valid = cd_syscall_regs(&r->sc, regs);
    /* DWARF 3 rbx, 6 rbp, 12..15 r12..r15: callee-saved, as the thread entered the kernel */
    regs[3] = r->rbx;
    regs[6] = r->rbp;
    regs[12] = r->r12;
    regs[13] = r->r13;
    regs[14] = r->r14;
    regs[15] = r->r15;
    valid |= 1u << 3 | 1u << 6 | 0xfu << 12;
    cd_err e;
    if (cd_unwind_from_regs(c->u, th->tid, regs, valid, 0, &o->st, &e) < 0)
        return -1;
    c->full++;
    keep_template(c, &r->sc, &o->st);
    return 0;
}

/* read_all_bpf's threads asleep at a pc that has templates (how DEFER), in list order as if each
 * were replayed in turn, but their stacks read BATCH at a time in one process_vm_readv (an iovec
 * each): 1000 system calls cost more than the bytes they copy. A thread whose iovec was not read
 * whole (a stack unreadable past some point) is replayed on its own, as it would be anyway. */
#define BATCH 32
#define BATCH_BYTES (256 * 1024)
static void read_deferred(cd_stackcache *c, cd_thread **ths, size_t n, const cd_bpfsnap_thread **rec, uint8_t *how,
                          cd_read_hook hook, void *hook_arg, cd_cached_read *res)
{
    size_t idx[BATCH], span[BATCH];
    struct iovec lo[BATCH], re[BATCH];
    for (size_t i = 0; i < n;) {
        size_t k = 0, total = 0;
        for (; i < n && k < BATCH; i++) {
            if (how[i] != DEFER)
                continue;
            size_t s = chain_span(chain_at(c, rec[i]->sc.pc));
            if (k && total + s > BATCH_BYTES)
                break; /* thread i starts the next batch */
            idx[k] = i;
            span[k++] = s;
            total += s;
        }
        if (total > c->batch_cap) {
            free(c->batch);
            c->batch = cd_xmalloc(total);
            c->batch_cap = total;
        }
        size_t off = 0;
        for (size_t j = 0; j < k; j++) {
            lo[j] = (struct iovec){c->batch + off, span[j]};
            re[j] = (struct iovec){(void *)(uintptr_t)rec[idx[j]]->sc.sp, span[j]};
            off += span[j];
        }
        ssize_t got = total ? process_vm_readv(c->t->pid, lo, k, re, k, 0) : 0;
        off = 0;
        for (size_t j = 0; j < k; j++) {
            size_t x = idx[j];
            const cd_bpfsnap_thread *r = rec[x];
            off += span[j];
            /* the chain may have grown since (a thread before this one unwound in full): match()
             * reads what a new template needs beyond the span */
            const tmpl *p = got >= 0 && off <= (size_t)got
                                ? match(&c->mem, chain_at(c, r->sc.pc), r->sc.sp, c->batch + off - span[j], span[j])
                                : replay(c, &c->mem, &r->sc);
            how[x] = LEFT;
            if (p) {
                c->replayed++;
                res[x].shared = &p->st;
            } else if (unwind_rec(c, ths[x], r, &res[x]) < 0) {
                continue; /* read one by one */
            }
            how[x] = READ;
            if (hook)
                hook(ths[x]->tid, 0, hook_arg);
        }
    }
}

/* The dump from two walks of the task iterator instead of two syscall lines per thread: every
 * thread asleep in a system call in the first walk is unwound from the registers it shows (its
 * callee-saved ones included: rbp needs no recovering from code), then a second walk is compared
 * thread by thread. The threads that moved between the walks, and the others (running, outside a
 * system call, not in the walk), are read one by one as without BPF, the moved ones from their
 * second read on. 0, or -1 when the first walk failed (nothing done: the caller reads /proc). */
static int read_all_bpf(cd_stackcache *c, cd_bpfsnap *snap, cd_thread **ths, size_t n, cd_read_hook hook,
                        void *hook_arg, cd_cached_read *res)
{
    bpfwalk w1, w2;
    if (walk_read(c->t, snap, true, &w1) < 0)
        return -1;
    c->bpf = true;
    uint8_t *how = cd_xcalloc(n ? n : 1, 1);
    const cd_bpfsnap_thread **rec = cd_xcalloc(n ? n : 1, sizeof *rec);
    size_t ndefer = 0;
    for (size_t i = 0; i < n; i++) {
        cd_thread *th = ths[i];
        const cd_bpfsnap_thread *r = walk_find(&w1, th->tid);
        if (th->held || th->gone || !r || r->sc.kind != CD_SC_BLOCKED || !r->sc.sp || !r->sc.pc)
            continue; /* read one by one below: held, gone, running or outside a system call */
        rec[i] = r;
        if (chain_at(c, r->sc.pc)) {
            how[i] = DEFER; /* a template may fit: read with the others below */
            ndefer++;
            continue;
        }
        if (unwind_rec(c, th, r, &res[i]) < 0)
            continue; /* read one by one below */
        how[i] = READ;
        if (hook)
            hook(th->tid, 0, hook_arg);
    }
    if (ndefer)
        read_deferred(c, ths, n, rec, how, hook, hook_arg, res);
    /* the race check: one walk for every thread */
    bool again = walk_read(c->t, snap, false, &w2) == 0;
    for (size_t i = 0; i < n; i++) {
        if (how[i] != READ)
            continue;
        const cd_bpfsnap_thread *r2 = again ? walk_find(&w2, ths[i]->tid) : NULL;
        if (r2 && same_sleep(rec[i], r2)) {
            res[i].rd.how = CD_READ_BLOCKED;
            res[i].rd.sc = rec[i]->sc;
        } else {
            cd_stack_free(&res[i].st);
            res[i].shared = NULL;
            how[i] = MOVED;
        }
    }
    /* its pages were read before it moved: read them again */
    for (size_t i = 0; i < n; i++)
        if (how[i] == MOVED) {
            cd_unwinder_flush(c->u);
            break;
        }
    for (size_t i = 0; i < n; i++)
        if (how[i] != READ)
            read_one_from(c, ths[i], hook, hook_arg, how[i] == MOVED, &res[i]);
    if (again)
        walk_free(&w2);
    walk_free(&w1);
    free(rec);
    free(how);
    return 0;
}

/* A helper thread pays off only where there are threads enough to share, after the first few
 * threads have made the templates it replays. */
#define HELPER_AFTER 16

void cd_stackcache_read_all(cd_stackcache *c, cd_thread **ths, size_t n, cd_read_hook hook, void *hook_arg,
                            cd_cached_read *res)
{
    cd_bpfsnap *snap = c->t->caps.post_mortem ? NULL : cd_live_bpfsnap(c->t, NULL);
    c->bpf = false;
    if (snap && read_all_bpf(c, snap, ths, n, hook, hook_arg, res) == 0)
        return;
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
