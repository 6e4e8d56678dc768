/* The ptrace tracepoint backend (backend.h): an int3 at each probe, the live target in its
 * non-stop breakpoint mode (target.h CD_EVM_BP_NONSTOP). A hit stops the hitting thread alone;
 * its registers, its floating-point registers and the top of its stack are copied into a record,
 * and the thread is resumed past the int3 by emulating the instruction under it (src/arch
 * cd_x86_emulable): no single-step, and every other thread runs on meanwhile. A location whose
 * instruction cannot be emulated is refused (check): a single-step there would stop every thread
 * at every hit. Each hit still costs two context switches and a few system calls (~25-80 us on a
 * 2-vCPU VM, docs/benchmarks.md): this is the fallback for locations the inline and uprobe
 * backends refuse. It cannot outlive cdbg: the int3s are in the program, so cdbg's close and
 * emergency paths (the live target's) take them out; a SIGKILL of cdbg leaves them in, and the
 * program dies of SIGTRAP at its next hit (`cdbg trace` warns).
 *
 * --ret: at an entry hit the return address is read from the CFA (the CFI rule at the probe,
 * computed once per probe) and an internal int3 goes there, one per return address, counted by
 * the calls pending on it and removed when none is. Each thread keeps its pending calls as a stack
 * by CFA (strictly decreasing: a call made inside another has a lower CFA); a return hit is the
 * call whose CFA is the sp after the `ret` and whose return address is the pc. A call that never
 * returns through its return address (longjmp, an exception, a thread that exits inside it) is
 * found when its thread next hits anything with sp above its CFA, or enters a call at the same or
 * a higher CFA: it is discarded and reported as a lost record. */
#include "trace/backend.h"

#include "arch/arch.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

typedef struct pt_probe {
    cd_probe p;
    char *func;
    uint64_t hits, dropped;
    int cfa_reg; /* --ret: the CFA at the probe is DWARF register cfa_reg + cfa_off */
    int64_t cfa_off;
} pt_probe;

/* A call in flight (--ret). */
typedef struct pt_call {
    uint64_t cfa, ret; /* its CFA (the sp after its `ret`) and return address */
    uint32_t probe;    /* index in probes[] */
} pt_call;

typedef struct pt_thr {
    pid_t tid;
    pt_call *c;
    size_t n, cap;
} pt_thr;

/* An internal breakpoint at a return address, and how many pending calls return there. */
typedef struct pt_rbp {
    uint64_t addr;
    uint32_t refs;
    bool probe; /* a probe's int3 is there already: it is not ours to insert or remove */
} pt_rbp;

typedef struct pt {
    pt_probe *probes;
    size_t n, cap;
    pt_thr *thr;
    size_t nthr, last_thr;
    pt_rbp *rbps;
    size_t nrbps, caprbps;
    bool want_return;
    cd_x86 *x86;
    bool armed, ended;
    uint32_t stack_bytes; /* the most any probe asks for */
    uint8_t stack[CD_TRACE_MAX_STACK];
} pt;

#define P(b) ((pt *)(b)->priv)
#define PT_RET_STACK 512u /* stack bytes a return record holds at least */

/* The CFA at addr as DWARF register + offset, from the module's CFI (.debug_frame, then
 * .eh_frame); at the function's first instruction, without CFI, rsp + 8. */
static bool cfa_rule(cd_trace_backend *b, const cd_probe *p, int *reg, int64_t *off)
{
    const cd_pcinfo *pi;
    int n = b->env.sym ? cd_symtab_lookup(b->env.sym, p->addr, &pi) : 0;
    Dwfl_Module *mod = n > 0 ? pi[0].mod : NULL;
    for (int i = 0; i < 2 && mod; i++) {
        Dwarf_Addr bias;
        Dwarf_CFI *cfi = i ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
        Dwarf_Frame *fr = NULL;
        if (!cfi || dwarf_cfi_addrframe(cfi, p->addr - bias, &fr) != 0)
            continue;
        Dwarf_Op *ops;
        size_t nops;
        bool ok = false;
        if (dwarf_frame_cfa(fr, &ops, &nops) == 0 && nops == 1) {
            if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg16) {
                *reg = ops[0].atom - DW_OP_breg0;
                *off = (int64_t)ops[0].number;
                ok = true;
            } else if (ops[0].atom == DW_OP_bregx && ops[0].number <= 16) {
                *reg = (int)ops[0].number;
                *off = (int64_t)ops[0].number2;
                ok = true;
            }
        }
        free(fr);
        if (ok)
            return true;
    }
    if (p->at_entry) {
        *reg = 7;
        *off = 8;
        return true;
    }
    return false;
}

static uint64_t dwarf_reg(const cd_regs *g, int r)
{
    const uint64_t v[17] = {g->rax, g->rdx, g->rcx, g->rbx, g->rsi, g->rdi, g->rbp, g->rsp, g->r8,
                            g->r9,  g->r10, g->r11, g->r12, g->r13, g->r14, g->r15, g->rip};
    return r >= 0 && r < 17 ? v[r] : 0;
}

/* Reads and decodes the instruction at addr: false with err when it cannot be emulated. */
static int pt_check(cd_trace_backend *b, const cd_probe *p, cd_err *err)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    const char *fn = p->func ? p->func : "??";
    int reg;
    int64_t off;
    if (p->want_return && !cfa_rule(b, p, &reg, &off))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "ptrace: --ret cannot take %s: no call frame information at %#llx says where its return "
                        "address is; use the uprobe backend",
                        fn, (unsigned long long)p->addr);
    if (p->stack_bytes > CD_TRACE_MAX_STACK)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "ptrace: %s asks for %u bytes of stack, more than %u", fn,
                        p->stack_bytes, CD_TRACE_MAX_STACK);
    uint8_t code[16];
    ssize_t n = t->ops->read_mem(t, p->addr, code, sizeof code);
    if (n <= 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "ptrace: cannot read the code of %s at %#llx", fn,
                        (unsigned long long)p->addr);
    if (!s->x86 && !(s->x86 = cd_x86_new(err)))
        return -1;
    cd_x86_emu e;
    if (cd_x86_emulable(s->x86, code, (size_t)n, p->addr, &e) && e.op != CD_EMU_NONE)
        return 0;
    cd_insn in;
    cd_x86_decode(s->x86, code, (size_t)n, p->addr, &in);
    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                    "ptrace: cannot trace %s at %#llx: its instruction `%s%s%s` cannot be emulated, and "
                    "single-stepping it would stop every thread at each hit; use the inline or uprobe backend",
                    fn, (unsigned long long)p->addr, in.mnemonic, in.ops[0] ? " " : "", in.ops);
}

static int pt_add(cd_trace_backend *b, const cd_probe *p, cd_err *err)
{
    pt *s = P(b);
    if (s->armed)
        return cd_fail(err, CD_EXIT_CMD, "ptrace: probes are added before arm");
    if (pt_check(b, p, err) < 0)
        return -1;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->probes = cd_xrealloc(s->probes, s->cap * sizeof *s->probes);
    }
    pt_probe *q = &s->probes[s->n++];
    memset(q, 0, sizeof *q);
    q->p = *p;
    q->func = cd_xstrdup(p->func ? p->func : "??");
    q->p.func = q->func;
    q->p.module_path = NULL; /* not kept: the core's */
    if (p->want_return) {
        cfa_rule(b, p, &q->cfa_reg, &q->cfa_off);
        s->want_return = true;
    }
    if (p->stack_bytes > s->stack_bytes)
        s->stack_bytes = p->stack_bytes;
    return 0;
}

/* Whether an earlier probe has the same address (its int3 is shared). */
static bool addr_seen(const pt *s, size_t i)
{
    for (size_t k = 0; k < i; k++)
        if (s->probes[k].p.addr == s->probes[i].p.addr)
            return true;
    return false;
}

static int pt_disarm(cd_trace_backend *b, cd_err *err);

static int pt_arm(cd_trace_backend *b, cd_err *err)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    if (s->armed)
        return 0;
    /* every thread seized and held before the first int3 goes in: an attached process opened
     * NONSTOP is not traced yet, and a hit before cont() seized it would kill it (SIGTRAP) */
    if (t->ops->stop && t->ops->stop(t, NULL, 0, err) < 0)
        return -1;
    t->event_mask |= CD_EVM_BP_NONSTOP;
    s->armed = true;
    for (size_t i = 0; i < s->n; i++) {
        if (addr_seen(s, i))
            continue;
        if (t->ops->insert_breakpoint(t, s->probes[i].p.addr, err) < 0) {
            cd_err e2;
            pt_disarm(b, &e2);
            return -1;
        }
    }
    /* attached or launched, every thread is held: from here on they run, stopping alone at hits */
    return t->ops->cont(t, err);
}

static pt_thr *thr_of(pt *s, pid_t tid)
{
    if (s->last_thr < s->nthr && s->thr[s->last_thr].tid == tid)
        return &s->thr[s->last_thr];
    for (size_t i = 0; i < s->nthr; i++)
        if (s->thr[i].tid == tid) {
            s->last_thr = i;
            return &s->thr[i];
        }
    s->thr = cd_xrealloc(s->thr, (s->nthr + 1) * sizeof *s->thr);
    s->thr[s->nthr] = (pt_thr){.tid = tid};
    s->last_thr = s->nthr;
    return &s->thr[s->nthr++];
}

static pt_rbp *rbp_find(pt *s, uint64_t addr)
{
    for (size_t i = 0; i < s->nrbps; i++)
        if (s->rbps[i].addr == addr)
            return &s->rbps[i];
    return NULL;
}

static bool probe_at(const pt *s, uint64_t addr)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->probes[i].p.addr == addr)
            return true;
    return false;
}

/* One more call returning to addr: the int3 goes in with the first. */
static int rbp_ref(cd_trace_backend *b, uint64_t addr)
{
    pt *s = P(b);
    pt_rbp *r = rbp_find(s, addr);
    if (r) {
        r->refs++;
        return 0;
    }
    bool probe = probe_at(s, addr);
    cd_err e;
    if (!probe && b->env.t->ops->insert_breakpoint(b->env.t, addr, &e) < 0)
        return -1;
    if (s->nrbps == s->caprbps) {
        s->caprbps = s->caprbps ? 2 * s->caprbps : 8;
        s->rbps = cd_xrealloc(s->rbps, s->caprbps * sizeof *s->rbps);
    }
    s->rbps[s->nrbps++] = (pt_rbp){.addr = addr, .refs = 1, .probe = probe};
    return 0;
}

/* One call fewer: the int3 comes out with the last (a thread that hit it meanwhile is the live
 * target's: a trap of a removed breakpoint is spent, not reported). */
static void rbp_unref(cd_trace_backend *b, uint64_t addr)
{
    pt *s = P(b);
    pt_rbp *r = rbp_find(s, addr);
    if (!r || --r->refs)
        return;
    cd_err e;
    if (!r->probe)
        b->env.t->ops->remove_breakpoint(b->env.t, addr, &e);
    *r = s->rbps[--s->nrbps];
}

/* A lost record: a call of probe index i whose return will not be seen. */
static int lost_return(cd_trace_backend *b, size_t i, pid_t tid, cd_trace_sink sink, void *arg)
{
    pt *s = P(b);
    s->probes[i].dropped++;
    cd_trace_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = CD_REC_DROPPED;
    rec.probe = s->probes[i].p.id;
    rec.tid = tid;
    rec.ts_ns = cd_now_ns();
    rec.dropped = 1;
    rec.why = CD_DROP_RETURNS;
    return sink(arg, &rec) < 0 ? -1 : 0;
}

/* Pops th's pending calls down to keep: they returned some other way (longjmp, an exception). */
static int drop_calls(cd_trace_backend *b, pt_thr *th, size_t keep, cd_trace_sink sink, void *arg)
{
    int rc = 0;
    while (th->n > keep) {
        pt_call c = th->c[--th->n];
        rbp_unref(b, c.ret);
        if (lost_return(b, c.probe, th->tid, sink, arg) < 0)
            rc = -1;
    }
    return rc;
}

/* The calls of th that return at this hit (sp and pc after their `ret`), newest first. */
static int deliver_returns(cd_trace_backend *b, pt_thr *ct, const cd_event *ev, cd_thread *th, cd_trace_rec *rec,
                           cd_trace_sink sink, void *arg, int *n, int *verdict)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    uint64_t sp = rec->regs.rsp;
    bool fp = false;
    while (ct->n && ct->c[ct->n - 1].cfa == sp && ct->c[ct->n - 1].ret == ev->addr) {
        pt_call c = ct->c[--ct->n];
        rbp_unref(b, c.ret);
        if (!fp) {
            struct user_fpregs_struct f;
            cd_err e;
            fp = true;
            if (t->ops->get_fpregs(t, th, &f, &e) == 0) {
                rec->has_fp = true;
                memcpy(rec->xmm, f.xmm_space, sizeof rec->xmm);
            }
        }
        rec->kind = CD_REC_RETURN;
        rec->probe = s->probes[c.probe].p.id;
        rec->regs.rip = ev->addr;
        rec->stack_addr = sp;
        rec->stack = NULL;
        rec->stack_len = 0;
        /* a struct returned in memory is in the caller's buffer (rax), in the caller's frame: the
         * bytes above sp, as the probes ask for at entry and at least PT_RET_STACK */
        uint32_t want = s->stack_bytes > PT_RET_STACK ? s->stack_bytes : PT_RET_STACK;
        ssize_t got = t->ops->read_mem(t, sp, s->stack, want);
        rec->stack = s->stack;
        rec->stack_len = got > 0 ? (uint32_t)got : 0;
        (*n)++;
        if (*verdict == 0 && (*verdict = sink(arg, rec)) < 0)
            return -1;
    }
    return 0;
}

/* Probe index i was entered by ct's thread with registers g: its return is awaited. */
static int push_call(cd_trace_backend *b, pt_thr *ct, size_t i, const cd_regs *g, cd_trace_sink sink, void *arg)
{
    pt *s = P(b);
    pt_probe *q = &s->probes[i];
    uint64_t cfa = dwarf_reg(g, q->cfa_reg) + (uint64_t)q->cfa_off, ret = 0;
    /* a pending call at a lower CFA, or this probe's at the same, has left without returning */
    size_t k = ct->n;
    while (k && (ct->c[k - 1].cfa < cfa || (ct->c[k - 1].cfa == cfa && ct->c[k - 1].probe == i)))
        k--;
    if (drop_calls(b, ct, k, sink, arg) < 0)
        return -1;
    if (b->env.t->ops->read_mem(b->env.t, cfa - 8, &ret, sizeof ret) != (ssize_t)sizeof ret || !ret ||
        rbp_ref(b, ret) < 0)
        return lost_return(b, i, ct->tid, sink, arg);
    if (ct->n == ct->cap) {
        ct->cap = ct->cap ? 2 * ct->cap : 16;
        ct->c = cd_xrealloc(ct->c, ct->cap * sizeof *ct->c);
    }
    ct->c[ct->n++] = (pt_call){.cfa = cfa, .ret = ret, .probe = (uint32_t)i};
    return 0;
}

/* The records of a hit at ev->addr in thread ev->tid: the returns of the calls it ends, then one
 * entry per probe there. Returns the sink's verdict (1: no more), or -1. */
static int deliver(cd_trace_backend *b, const cd_event *ev, cd_trace_sink sink, void *arg, int *n, cd_err *err)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    cd_thread *th = cd_target_find_thread(t, ev->tid);
    cd_trace_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.tid = ev->tid;
    rec.ts_ns = cd_now_ns();
    cd_err e;
    if (!th || t->ops->get_regs(t, th, &rec.regs, &e) < 0) {
        /* gone between its stop and now: the hit happened, its record cannot be made */
        for (size_t i = 0; i < s->n; i++)
            if (s->probes[i].p.addr == ev->addr)
                s->probes[i].dropped++;
        return 0;
    }
    int verdict = 0;
    pt_thr *ct = NULL;
    if (s->want_return) {
        ct = thr_of(s, ev->tid);
        /* calls whose frame is gone (sp above their CFA) returned some other way */
        size_t k = ct->n;
        while (k && ct->c[k - 1].cfa < rec.regs.rsp)
            k--;
        if (drop_calls(b, ct, k, sink, arg) < 0 ||
            (rbp_find(s, ev->addr) && deliver_returns(b, ct, ev, th, &rec, sink, arg, n, &verdict) < 0))
            return cd_fail(err, CD_EXIT_CMD, "ptrace: the trace's consumer failed");
        if (verdict != 0 || !probe_at(s, ev->addr))
            return verdict;
    }
    rec.kind = CD_REC_ENTRY;
    rec.has_fp = false;
    struct user_fpregs_struct fp;
    if (t->ops->get_fpregs(t, th, &fp, &e) == 0) {
        rec.has_fp = true;
        memcpy(rec.xmm, fp.xmm_space, sizeof rec.xmm);
    }
    rec.stack_addr = rec.regs.rsp;
    if (s->stack_bytes) {
        ssize_t got = t->ops->read_mem(t, rec.regs.rsp, s->stack, s->stack_bytes);
        rec.stack = s->stack;
        rec.stack_len = got > 0 ? (uint32_t)got : 0;
    }
    for (size_t i = 0; i < s->n && verdict == 0; i++) {
        pt_probe *q = &s->probes[i];
        if (q->p.addr != ev->addr)
            continue;
        rec.probe = q->p.id;
        q->hits++;
        (*n)++;
        verdict = sink(arg, &rec);
        if (verdict < 0 || (q->p.want_return && push_call(b, ct, i, &rec.regs, sink, arg) < 0))
            return cd_fail(err, CD_EXIT_CMD, "ptrace: the trace's consumer failed");
    }
    return verdict;
}

static int ended(cd_trace_backend *b, cd_err *err)
{
    P(b)->ended = true;
    return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "process %d has ended", (int)b->env.pid);
}

static int pt_poll(cd_trace_backend *b, int timeout_ms, cd_trace_sink sink, void *arg, cd_err *err)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    if (s->ended)
        return ended(b, err);
    if (!s->armed)
        return cd_fail(err, CD_EXIT_CMD, "ptrace: poll before arm");
    int n = 0;
    uint64_t deadline = timeout_ms >= 0 ? cd_now_ns() + (uint64_t)timeout_ms * 1000000ull : 0;
    for (;;) {
        /* the first record may be waited for; after it, only what is there already */
        int tmo = -1;
        if (n > 0) {
            tmo = 0;
        } else if (timeout_ms >= 0) {
            uint64_t now = cd_now_ns();
            tmo = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
        }
        cd_event ev;
        int r = t->ops->wait_timeout ? t->ops->wait_timeout(t, tmo, &ev, err) : t->ops->wait(t, &ev, err);
        if (r < 0) {
            if (err->kind == CD_EK_EXITED) {
                s->ended = true;
                return n > 0 ? n : -1;
            }
            return -1;
        }
        if (r == 1)
            return n; /* nothing more by the deadline */
        int verdict = 0;
        switch (ev.kind) {
        case CD_EV_BREAKPOINT:
            verdict = deliver(b, &ev, sink, arg, &n, err);
            if (verdict < 0)
                return -1;
            break;
        case CD_EV_EXITED:
        case CD_EV_KILLED:
            if (n > 0) {
                s->ended = true;
                return n;
            }
            return ended(b, err);
        case CD_EV_INTERRUPTED:
            return n; /* a ^C: every thread is held, the core decides */
        case CD_EV_EXEC:
            s->ended = true;
            return cd_fail(err, CD_EXIT_CMD, "ptrace: process %d exec'd a new program: its tracepoints are gone",
                           (int)b->env.pid);
        default:
            /* the program's own signals (delivered at the resume), thread and fork notices */
            break;
        }
        if (t->ops->cont(t, err) < 0) {
            if (err->kind == CD_EK_EXITED)
                return n > 0 ? (s->ended = true, n) : ended(b, err);
            return -1;
        }
        if (verdict == 1)
            return n;
    }
}

static int pt_disarm(cd_trace_backend *b, cd_err *err)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    int rc = 0;
    if (s->armed && !s->ended) {
        for (size_t i = 0; i < s->n; i++) {
            if (addr_seen(s, i))
                continue;
            cd_err e;
            /* a breakpoint never inserted (arm failed half-way) is NOT_FOUND: nothing to undo */
            if (t->ops->remove_breakpoint(t, s->probes[i].p.addr, &e) < 0 && e.kind != CD_EK_NOT_FOUND &&
                e.kind != CD_EK_EXITED && rc == 0) {
                *err = e;
                rc = -1;
            }
        }
        /* the calls still in flight return unseen: the trace has ended, nothing is lost */
        for (size_t i = 0; i < s->nrbps; i++) {
            cd_err e;
            if (!s->rbps[i].probe && t->ops->remove_breakpoint(t, s->rbps[i].addr, &e) < 0 &&
                e.kind != CD_EK_NOT_FOUND && e.kind != CD_EK_EXITED && rc == 0) {
                *err = e;
                rc = -1;
            }
        }
    }
    s->nrbps = 0;
    for (size_t i = 0; i < s->nthr; i++)
        s->thr[i].n = 0;
    t->event_mask &= ~(unsigned)CD_EVM_BP_NONSTOP;
    s->armed = false;
    return rc;
}

static void pt_counts(cd_trace_backend *b, uint32_t id, uint64_t *hits, uint64_t *dropped)
{
    pt *s = P(b);
    *hits = *dropped = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->probes[i].p.id == id) {
            *hits += s->probes[i].hits;
            *dropped += s->probes[i].dropped;
        }
}

/* The int3s are the live target's breakpoints: its own emergency() restores the bytes. */
static void pt_emergency(cd_trace_backend *b) { (void)b; }

static void pt_free(cd_trace_backend *b)
{
    if (!b)
        return;
    pt *s = P(b);
    for (size_t i = 0; i < s->n; i++)
        free(s->probes[i].func);
    free(s->probes);
    for (size_t i = 0; i < s->nthr; i++)
        free(s->thr[i].c);
    free(s->thr);
    free(s->rbps);
    cd_x86_free(s->x86);
    free(s);
    free(b);
}

static const cd_trace_backend_ops pt_ops = {
    .name = "ptrace",
    .check = pt_check,
    .add = pt_add,
    .arm = pt_arm,
    .poll = pt_poll,
    .disarm = pt_disarm,
    .counts = pt_counts,
    .emergency = pt_emergency,
    .free = pt_free,
};

cd_trace_backend *cd_tb_ptrace_new(const cd_trace_env *env, cd_err *err)
{
    cd_target *t = env->t;
    if (!t || !t->caps.can_run || !t->ops->insert_breakpoint || !t->ops->cont) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "ptrace: the ptrace backend needs a running process traced by cdbg");
        return NULL;
    }
    cd_trace_backend *b = cd_xcalloc(1, sizeof *b);
    b->ops = &pt_ops;
    b->env = *env;
    b->priv = cd_xcalloc(1, sizeof(pt));
    return b;
}
