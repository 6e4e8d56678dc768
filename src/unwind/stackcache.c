/* The thread dump's stack cache: see stackcache.h. */
#include "unwind/stackcache.h"
#include "symbols/symbols_internal.h"
#include "target/procfs.h"

#include <dwarf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    cd_frame *frames; /* the logical frames (symbols, levels); sp-dependent fields rewritten per use */
    size_t n;
} tmpl;

struct cd_stackcache {
    cd_unwinder *u;
    cd_target *t;
    cd_symtab *s;
    cd_procfs_sc_reader rd;
    cd_u64map rules; /* lookup pc -> rule* */
    cd_u64map tmpls; /* frame 0's pc -> tmpl* chain */
    uint8_t *buf;
    size_t cap;
    size_t replayed, full;
};

cd_stackcache *cd_stackcache_new(cd_unwinder *u, cd_target *t, cd_symtab *s)
{
    cd_stackcache *c = cd_xcalloc(1, sizeof *c);
    c->u = u;
    c->t = t;
    c->s = s;
    c->rd = (cd_procfs_sc_reader)CD_PROCFS_SC_READER_INIT;
    return c;
}

static void tmpl_free(void *v)
{
    for (tmpl *p = v, *nx; p; p = nx) {
        nx = p->next;
        free(p->pc);
        free(p->off);
        free(p->frames);
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
    free(c->buf);
    free(c);
}

void cd_stackcache_counts(const cd_stackcache *c, size_t *replayed, size_t *full)
{
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
        while (k < st->n && st->frames[k].phys < (int)i)
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
    tmpl *head = cd_u64map_get(&c->tmpls, sc->pc, &found);
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
    t->n = st->n;
    t->frames = cd_xmalloc(st->n * sizeof *t->frames);
    memcpy(t->frames, st->frames, st->n * sizeof *t->frames);
    t->next = head;
    cd_u64map_put(&c->tmpls, sc->pc, t);
}

/* The stack of a thread asleep at SC from a template whose every return address it has at the
 * same offsets from its sp, read once; 0, or -1 when none fits. */
static int replay(cd_stackcache *c, const cd_syscall_state *sc, cd_stack *out)
{
    bool found;
    tmpl *head = cd_u64map_get(&c->tmpls, sc->pc, &found);
    if (!head)
        return -1;
    size_t span = 0;
    for (tmpl *p = head; p; p = p->next)
        if (p->off[p->nphys - 1] > span)
            span = p->off[p->nphys - 1];
    if (span > c->cap) {
        c->cap = span;
        c->buf = cd_xrealloc(c->buf, span);
    }
    /* the thread's stack from its sp to the outermost frame's, in one read */
    if (span && cd_target_read_full(c->t, sc->sp, c->buf, span) < 0) {
        /* shorter templates may still fit within what is readable: read each one's own span */
        span = 0;
    }
    for (tmpl *p = head; p; p = p->next) {
        size_t need = p->off[p->nphys - 1];
        if (need > span && cd_target_read_full(c->t, sc->sp, c->buf, need) < 0)
            continue;
        bool ok = true;
        for (size_t i = 1; i < p->nphys && ok; i++) {
            uint64_t ra;
            memcpy(&ra, c->buf + p->off[i] - 8, sizeof ra);
            ok = ra == p->pc[i];
        }
        if (!ok)
            continue;
        uint64_t regs0[CD_NDWREGS];
        uint32_t valid0 = cd_syscall_regs(sc, regs0);
        memset(out, 0, sizeof *out);
        out->frames = cd_xmalloc(p->n * sizeof *out->frames);
        out->n = p->n;
        for (size_t k = 0; k < p->n; k++) {
            cd_frame *f = &out->frames[k];
            *f = p->frames[k];
            size_t ph = (size_t)f->phys;
            memset(f->regs, 0, sizeof f->regs);
            if (ph == 0) {
                memcpy(f->regs, regs0, sizeof f->regs);
                f->regs_valid = valid0;
            } else {
                /* the callee-saved registers a full walk recovers are not needed to print a
                 * stack: only sp and pc are kept */
                f->regs[DW_RSP] = sc->sp + p->off[ph];
                f->regs[DW_RIP] = f->pc;
                f->regs_valid = 1u << DW_RSP | 1u << DW_RIP;
            }
            f->cfa = ph + 1 < p->nphys ? sc->sp + p->off[ph + 1] : 0;
        }
        return 0;
    }
    return -1;
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
                               cd_read_info *info, cd_err *err)
{
    memset(out, 0, sizeof *out);
    memset(info, 0, sizeof *info);
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
        if (replay(c, &sc, out) == 0) {
            c->replayed++;
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
            return -1;
        }
        if (same_line(&sc, &again)) {
            info->how = CD_READ_BLOCKED;
            return 0;
        }
        info->sc = again;
        info->rereads++;
        cd_stack_free(out);
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
