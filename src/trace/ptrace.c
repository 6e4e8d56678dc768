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
 * program dies of SIGTRAP at its next hit (the trace core warns). */
#include "trace/backend.h"

#include "arch/arch.h"

#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

typedef struct pt_probe {
    cd_probe p;
    char *func;
    uint64_t hits, dropped;
} pt_probe;

typedef struct pt {
    pt_probe *probes;
    size_t n, cap;
    cd_x86 *x86;
    bool armed, ended;
    uint32_t stack_bytes; /* the most any probe asks for */
    uint8_t stack[CD_TRACE_MAX_STACK];
} pt;

#define P(b) ((pt *)(b)->priv)

/* Reads and decodes the instruction at addr: false with err when it cannot be emulated. */
static int pt_check(cd_trace_backend *b, const cd_probe *p, cd_err *err)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    const char *fn = p->func ? p->func : "??";
    if (p->want_return)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "ptrace: cannot trace the returns of %s: the ptrace backend records entries only "
                        "(--ret needs the inline or uprobe backend)",
                        fn);
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

/* The records of a hit at ev->addr in thread ev->tid, one per probe there. Returns the sink's
 * verdict (1: no more), or -1. */
static int deliver(cd_trace_backend *b, const cd_event *ev, cd_trace_sink sink, void *arg, int *n, cd_err *err)
{
    pt *s = P(b);
    cd_target *t = b->env.t;
    cd_thread *th = cd_target_find_thread(t, ev->tid);
    cd_trace_rec rec;
    memset(&rec, 0, sizeof rec);
    rec.kind = CD_REC_ENTRY;
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
    int verdict = 0;
    for (size_t i = 0; i < s->n && verdict == 0; i++) {
        pt_probe *q = &s->probes[i];
        if (q->p.addr != ev->addr)
            continue;
        rec.probe = q->p.id;
        q->hits++;
        (*n)++;
        verdict = sink(arg, &rec);
        if (verdict < 0)
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
    }
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
