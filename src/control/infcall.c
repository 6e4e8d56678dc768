/* Function calls in the target: `print f(3, x)`, `call f(3, x)` (gdb's infcall).
 *
 * The calling thread's registers and its whole FP/vector state are saved, the arguments placed as
 * the SysV x86-64 ABI says (rdi..r9, xmm0-7, the rest on the stack; string literals and a large
 * struct's return buffer on the stack below the red zone), and the return address made the
 * program's entry point, which the call's own code never runs, with an int3 of ours there (an
 * internal breakpoint: shared with a user's breakpoint at that address, taken out on every path,
 * and by the target's close and emergency cleanup with the others). Only the calling thread runs:
 * the target's run_one continues it alone (every other thread stays held, as gdb's
 * scheduler-locking on) until it stops: one ptrace stop for the return (the int3, with the stack
 * pointer just above the return address), a user breakpoint in the callee (its condition and
 * counts as in the run loop; others and the dynamic linker's rendezvous are passed), a signal,
 * a watchpoint, the end of the process or a ^C, never one per instruction (a loop of millions of
 * iterations takes milliseconds). A thread the called code creates runs too (a callee may join
 * it); it is held again when the call ends and goes on with the program. Whatever ends the
 * call, every register is put back (gdb's `unwindonsignal on`, for breakpoints too); while it
 * runs, the target's call_tid/call_regs let a fatal signal to cdbg (SIGTERM) do the same before
 * the process is let go. A thread stopped inside a system call gets orig_rax -1 for the call, so
 * the kernel does not restart that system call into the called function (as gdb; rax, which the
 * call sets to its vector-register count, would alone keep the kernel's -ERESTART* check from
 * firing), and the saved orig_rax and rax come back with the rest: released, the thread restarts
 * its system call. */
#include "control/control_int.h"

#include <elf.h>
#include <stdlib.h>
#include <string.h>

#define XSTATE_MAX 16384
#define FXSAVE_XMM 160   /* byte offset of xmm0 in the FXSAVE area (the XSAVE area's first 512) */
#define XSAVE_BV 512     /* XSAVE header: XSTATE_BV, which components the area holds */

typedef struct {
    uint64_t ints[6];
    int nint;
    uint8_t xmm[8][16];
    int nsse;
    uint64_t *stack;     /* 8-byte words, first argument lowest */
    size_t nstack, capstack;
} abi_args;

static void push_word(abi_args *a, uint64_t w)
{
    if (a->nstack == a->capstack) {
        a->capstack = a->capstack ? 2 * a->capstack : 8;
        a->stack = cd_xrealloc(a->stack, a->capstack * sizeof *a->stack);
    }
    a->stack[a->nstack++] = w;
}

/* Does a struct of T have a long double in it (the x87 class: the whole struct goes in memory)? */
static bool has_x87(cd_ectx *x, cd_type *t, int depth)
{
    t = cd_type_strip(t);
    if (depth > 20)
        return false;
    if (t->kind == TY_FLOAT)
        return t->size > 8;
    if (t->kind == TY_ARRAY)
        return t->target && has_x87(x, t->target, depth + 1);
    if (t->kind != TY_STRUCT && t->kind != TY_UNION)
        return false;
    cd_member *m;
    int n = cd_type_members(x->vs, t, &m, x->ar);
    for (int i = 0; i < n; i++)
        if (has_x87(x, m[i].type, depth + 1))
            return true;
    return false;
}

/* SysV: is every scalar of T (at BASE) that overlaps eightbyte [LO, LO + 8) a float or double?
 * (the eightbyte's class is then SSE, else INTEGER) */
static bool eightbyte_sse(cd_ectx *x, cd_type *t, uint64_t base, uint64_t lo, int depth)
{
    t = cd_type_strip(t);
    uint64_t size = cd_type_size(t);
    if (base + size <= lo || base >= lo + 8 || depth > 20)
        return true;
    if (t->kind == TY_STRUCT || t->kind == TY_UNION) {
        cd_member *m;
        int n = cd_type_members(x->vs, t, &m, x->ar);
        for (int i = 0; i < n; i++)
            if (m[i].bitsize || !eightbyte_sse(x, m[i].type, base + m[i].offset, lo, depth + 1))
                return false;
        return n >= 0;
    }
    if (t->kind == TY_ARRAY) {
        uint64_t es = cd_type_size(t->target);
        for (int64_t i = 0; es && i < t->count; i++)
            if (!eightbyte_sse(x, t->target, base + (uint64_t)i * es, lo, depth + 1))
                return false;
        return true;
    }
    return t->kind == TY_FLOAT && size <= 8;
}

/* SysV: a struct or union returned in memory (the caller's buffer, its address in rdi). */
static bool ret_in_memory(cd_ectx *x, cd_type *ret)
{
    cd_type *s = cd_type_strip(ret);
    if (s->kind != TY_STRUCT && s->kind != TY_UNION)
        return false;
    return cd_type_size(s) > 16 || has_x87(x, s, 0);
}

/* Copies LEN bytes into the stack below *sp (16-aligned); their address. */
static int push_bytes(cd_target *t, uint64_t *sp, const void *buf, size_t len, uint64_t *addr, cd_err *err)
{
    *sp = (*sp - len) & ~(uint64_t)15;
    if (len && t->ops->write_mem(t, *sp, buf, len, err) < 0)
        return -1;
    *addr = *sp;
    return 0;
}

/* One argument (already of its parameter's type) into registers or stack words. */
static int place_arg(cd_ctl *c, cd_ectx *x, int i, cd_value *v, uint64_t *sp, abi_args *a, cd_err *err)
{
    cd_type *s = cd_type_strip(v->type);
    uint64_t size = cd_type_size(s);
    if (s->kind == TY_ARRAY) {
        /* a string literal (a char array not in memory): copied into the target, passed by address */
        uint64_t addr;
        if (push_bytes(c->t, sp, v->bytes, size, &addr, err) < 0)
            return -1;
        if (a->nint < 6)
            a->ints[a->nint++] = addr;
        else
            push_word(a, addr);
        return 0;
    }
    if (s->kind == TY_STRUCT || s->kind == TY_UNION) {
        /* by value: up to 16 bytes in one or two registers by the class of each eightbyte (when
         * enough are left for all of it), else its bytes in the stack's argument area */
        uint64_t nw = (size + 7) / 8;
        uint64_t *w = cd_xcalloc(nw ? nw : 1, 8);
        if (size && cd_value_read(x, v, 0, w, size) < 0) {
            free(w);
            return -1;
        }
        bool sse[2] = {false, false};
        int need_i = 0, need_s = 0;
        bool regs = size > 0 && size <= 16 && !has_x87(x, s, 0);
        for (uint64_t k = 0; regs && k < nw; k++) {
            sse[k] = eightbyte_sse(x, s, 0, 8 * k, 0);
            sse[k] ? need_s++ : need_i++;
        }
        if (regs && a->nint + need_i <= 6 && a->nsse + need_s <= 8) {
            for (uint64_t k = 0; k < nw; k++) {
                if (sse[k]) {
                    memset(a->xmm[a->nsse], 0, 16);
                    memcpy(a->xmm[a->nsse++], &w[k], 8);
                } else
                    a->ints[a->nint++] = w[k];
            }
        } else {
            if (cd_type_align(x->vs, s) > 8) {
                free(w);
                return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                                "cannot pass argument %d: a struct aligned to more than 8 bytes on the stack is not "
                                "supported",
                                i + 1);
            }
            for (uint64_t k = 0; k < nw; k++)
                push_word(a, w[k]);
        }
        free(w);
        return 0;
    }
    if (s->kind == TY_FLOAT) {
        if (size > 8)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                            "cannot pass argument %d: passing a long double is not supported", i + 1);
        uint8_t b[16] = {0};
        if (cd_value_read(x, v, 0, b, size) < 0)
            return -1;
        if (a->nsse < 8)
            memcpy(a->xmm[a->nsse++], b, 16);
        else {
            uint64_t w;
            memcpy(&w, b, 8);
            push_word(a, w);
        }
        return 0;
    }
    if (s->kind == TY_INT || s->kind == TY_BOOL || s->kind == TY_ENUM || s->kind == TY_PTR) {
        __int128 iv;
        if (cd_value_int(x, v, &iv) < 0)
            return -1;
        if (size > 8) {
            if (a->nint > 4)
                return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                                "cannot pass argument %d: a 128-bit integer past the sixth register is not supported",
                                i + 1);
            a->ints[a->nint++] = (uint64_t)iv;
            a->ints[a->nint++] = (uint64_t)((unsigned __int128)iv >> 64);
            return 0;
        }
        /* sign- or zero-extended to 64 bits: callers extend to 32 at least, and compilers rely on it */
        uint64_t w = (uint64_t)iv;
        if (a->nint < 6)
            a->ints[a->nint++] = w;
        else
            push_word(a, w);
        return 0;
    }
    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot pass argument %d: its type is not supported in a call",
                    i + 1);
}

static const char *func_name_at(cd_ctl *c, uint64_t pc, char *buf, size_t n)
{
    const cd_pcinfo *pi;
    int k = cd_symtab_lookup(c->sym, pc, &pi);
    const char *f = k > 0 ? pi[k - 1].func : NULL;
    snprintf(buf, n, "%s", f ? f : "??");
    return buf;
}

typedef struct {
    cd_regs regs;
    uint8_t *fp;
    size_t fplen;
    unsigned fptype;
    int pending_sig;
} saved_state;

static int save_state(cd_target *t, cd_thread *th, saved_state *s, cd_err *err)
{
    memset(s, 0, sizeof *s);
    if (t->ops->get_regs(t, th, &s->regs, err) < 0)
        return -1;
    s->pending_sig = th->pending_sig;
    s->fp = cd_xcalloc(1, XSTATE_MAX);
    cd_err e2 = {0};
    ssize_t n = cd_target_get_regset(t, th, NT_X86_XSTATE, s->fp, XSTATE_MAX, &e2);
    if (n >= 576) {
        s->fplen = (size_t)n;
        s->fptype = NT_X86_XSTATE;
        return 0;
    }
    struct user_fpregs_struct fp;
    if (t->ops->get_fpregs(t, th, &fp, err) < 0)
        return -1;
    memcpy(s->fp, &fp, sizeof fp);
    s->fplen = sizeof fp;
    s->fptype = NT_PRFPREG;
    return 0;
}

/* Puts every register back; -1 with err when the thread would not take them. */
static int restore_state(cd_target *t, cd_thread *th, saved_state *s, cd_err *err)
{
    cd_err e1 = {0};
    int rc = 0;
    if (t->ops->set_regset(t, th, s->fptype, s->fp, s->fplen, &e1) < 0) {
        rc = -1;
        if (err)
            *err = e1;
    }
    if (t->ops->set_regs(t, th, &s->regs, &e1) < 0) {
        rc = -1;
        if (err)
            *err = e1;
    }
    th->pending_sig = s->pending_sig;
    return rc;
}

/* Why the call was abandoned, after the registers went back: one line. */
static int abandoned(cd_ctl *c, cd_thread *th, saved_state *s, cd_err *err, const char *fmt, const char *what)
{
    cd_err re = {0};
    if (restore_state(c->t, th, s, &re) < 0)
        return cd_fail(err, CD_EXIT_CMD, "%s while in a function called from cdbg, and its registers could not be put back: %s",
                       what, re.msg);
    return cd_fail(err, CD_EXIT_CMD, fmt, what);
}

int cd_ctl_call(cd_ctl *c, cd_thread *th, cd_ectx *x, uint64_t fn, cd_type *ret, struct cd_value *args, int nargs,
                struct cd_value *out, cd_err *err)
{
    cd_target *t = c->t;
    if (!t->caps.can_run || !t->caps.can_write || !t->ops->set_regset || !t->ops->run_one)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot call functions: the target is %s",
                        t->caps.post_mortem ? "a core file" : "not running");
    if (!th || !th->held || th->gone)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "cannot call functions: no stopped thread is selected");
    uint64_t retaddr;
    if (cd_symtab_entry(c->sym, &retaddr) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "cannot call functions: the program's entry point (where the call returns to) is unknown");
    saved_state s;
    if (save_state(t, th, &s, err) < 0) {
        free(s.fp);
        return -1;
    }
    int rc = -1;
    abi_args a = {0};
    cd_regs r = s.regs;
    uint64_t sp = (r.rsp - 128) & ~(uint64_t)15; /* below the red zone the interrupted code may use */
    uint64_t retbuf = 0;
    bool inmem = ret && ret_in_memory(x, ret);
    if (inmem) {
        uint64_t n = cd_type_size(ret);
        sp = (sp - n) & ~(uint64_t)15;
        retbuf = sp;
        a.ints[a.nint++] = retbuf;
    }
    for (int i = 0; i < nargs; i++)
        if (place_arg(c, x, i, &args[i], &sp, &a, err) < 0)
            goto out_noregs;
    sp = (sp - 8 * a.nstack) & ~(uint64_t)15;
    if (a.nstack && t->ops->write_mem(t, sp, a.stack, 8 * a.nstack, err) < 0)
        goto out_noregs;
    sp -= 8;
    if (t->ops->write_mem(t, sp, &retaddr, 8, err) < 0)
        goto out_noregs;
    unsigned long long *ir[6] = {&r.rdi, &r.rsi, &r.rdx, &r.rcx, &r.r8, &r.r9};
    for (int i = 0; i < a.nint; i++)
        *ir[i] = a.ints[i];
    r.rax = (uint64_t)a.nsse; /* a varargs callee's count of vector registers used */
    r.rsp = sp;
    r.rip = fn;
    r.orig_rax = (uint64_t)-1; /* not in a system call: no restart into the called code */
    r.eflags &= ~(1ull << 10); /* DF clear at a call (the ABI) */
    uint8_t *fp = cd_xcalloc(1, s.fplen);
    memcpy(fp, s.fp, s.fplen);
    for (int i = 0; i < a.nsse; i++)
        memcpy(fp + FXSAVE_XMM + 16 * i, a.xmm[i], 16);
    if (s.fptype == NT_X86_XSTATE)
        fp[XSAVE_BV] |= 2; /* the SSE component is in the area: else the kernel would zero xmm */
    /* where the call returns: an int3 of ours at the entry point (shared with a breakpoint of the
     * user's there); the target's close and emergency cleanup take it out with the others */
    cd_bp *rb = cd_ctl_internal_add(c, CD_BPP_OTHER, &retaddr, 1, th->tid, 0, err);
    if (!rb)
        goto out_noregs;
    /* from here on the thread is not the program's: a fatal signal to cdbg puts it back */
    t->call_regs = s.regs;
    t->call_fp = s.fp;
    t->call_fp_len = s.fplen;
    t->call_fp_type = s.fptype;
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* all of it written before a handler can see call_tid */
    t->call_tid = th->tid;
    if (t->ops->set_regset(t, th, s.fptype, fp, s.fplen, err) < 0 || t->ops->set_regs(t, th, &r, err) < 0) {
        free(fp);
        restore_state(t, th, &s, NULL);
        goto out;
    }
    free(fp);
    th->pending_sig = 0;
    char fname[256];
    {
        /* a user breakpoint on the callee's first instruction stops the call before it runs
         * (run_one steps over a breakpoint under the pc, as a continue does) */
        cd_stop bs;
        memset(&bs, 0, sizeof bs);
        bool hit = ctl_bp_at(c, fn, NULL) && ctl_user_hit(c, th, fn, &bs);
        int hit_id = bs.bp_id;
        cd_stop_free(&bs);
        if (hit) {
            char what[320];
            snprintf(what, sizeof what, "The program hit breakpoint %d in %s", hit_id,
                     func_name_at(c, fn, fname, sizeof fname));
            abandoned(c, th, &s, err, "%s, a function called from cdbg; the call was abandoned and the registers restored",
                      what);
            goto out;
        }
    }
    for (;;) {
        cd_event ev;
        if (t->ops->run_one(t, th, &ev, err) < 0) {
            restore_state(t, th, &s, NULL);
            goto out;
        }
        if (ev.kind == CD_EV_BREAKPOINT) {
            cd_regs now;
            if (ev.tid == th->tid && ev.addr == retaddr) {
                if (t->ops->get_regs(t, th, &now, err) < 0) {
                    restore_state(t, th, &s, NULL);
                    goto out;
                }
                if (now.rsp == sp + 8)
                    break; /* returned */
            }
            cd_stop bs;
            memset(&bs, 0, sizeof bs);
            for (cd_bp *sb = ctl_bp_at(c, ev.addr, NULL); sb; sb = ctl_bp_at(c, ev.addr, sb))
                if (ctl_solib_is(c, sb)) {
                    ctl_solib_event(c, &bs); /* the callee loaded or unloaded a library: followed */
                    break;
                }
            cd_thread *hth = cd_target_find_thread(t, ev.tid);
            /* a user breakpoint stops the call as it would stop the program: its condition, ignore
             * count and hit count as in the run loop (a tracepoint records and goes on) */
            bool hit = hth && ctl_user_hit(c, hth, ev.addr, &bs);
            int hit_id = bs.bp_id;
            cd_stop_free(&bs);
            if (hit) {
                char what[320];
                snprintf(what, sizeof what, "The program hit breakpoint %d in %s", hit_id,
                         func_name_at(c, ev.addr, fname, sizeof fname));
                abandoned(c, th, &s, err,
                          "%s, a function called from cdbg; the call was abandoned and the registers restored", what);
                goto out;
            }
            continue; /* an internal one, the rendezvous, a condition that failed: the call goes on */
        }
        switch (ev.kind) {
        case CD_EV_STEP:
        case CD_EV_CLONE:
            continue;
        case CD_EV_FORK:
        case CD_EV_VFORK:
        case CD_EV_VFORK_DONE: {
            /* as the run loop: the child followed or let go by the fork settings */
            cd_stop fs;
            memset(&fs, 0, sizeof fs);
            bool stops = ctl_event_stop(c, &ev, &fs);
            cd_stop_free(&fs);
            if (!stops)
                continue;
            abandoned(c, th, &s, err,
                      "%s while in a function called from cdbg; the call was abandoned and the registers restored",
                      "The program forked");
            goto out;
        }
        case CD_EV_SIGNAL: {
            char nb[16], what[320];
            snprintf(what, sizeof what, "The program received signal %s (%s)", cd_sig_name(ev.sig, nb),
                     cd_sig_description(ev.sig));
            abandoned(c, th, &s, err,
                      "%s while in a function called from cdbg; the call was abandoned and the registers restored", what);
            goto out;
        }
        case CD_EV_INTERRUPTED:
            abandoned(c, th, &s, err,
                      "%s while in a function called from cdbg; the call was abandoned and the registers restored",
                      "The program was interrupted");
            goto out;
        case CD_EV_WATCH: {
            char what[320];
            snprintf(what, sizeof what, "A watchpoint triggered in %s",
                     func_name_at(c, ev.addr, fname, sizeof fname));
            abandoned(c, th, &s, err, "%s, a function called from cdbg; the call was abandoned and the registers restored",
                      what);
            goto out;
        }
        case CD_EV_EXITED:
            t->call_tid = 0;
            cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED,
                     "The program exited with status %d while in a function called from cdbg", ev.status);
            goto out;
        case CD_EV_KILLED: {
            char nb[16];
            t->call_tid = 0;
            cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "The program was killed by %s while in a function called from cdbg",
                     cd_sig_name(ev.sig, nb));
            goto out;
        }
        case CD_EV_THREAD_EXIT:
            t->call_tid = 0;
            cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "The thread exited while in a function called from cdbg");
            goto out;
        case CD_EV_EXEC:
            t->call_tid = 0;
            cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "The program called exec while in a function called from cdbg");
            goto out;
        default:
            abandoned(c, th, &s, err,
                      "%s while in a function called from cdbg; the call was abandoned and the registers restored",
                      "The program stopped");
            goto out;
        }
    }
    /* returned: the value, then the program's registers */
    {
        cd_regs after;
        int vr = 0;
        if (t->ops->get_regs(t, th, &after, err) < 0)
            vr = -1;
        if (vr == 0 && ret) {
            struct user_fpregs_struct fpr;
            vr = t->ops->get_fpregs(t, th, &fpr, err);
            if (vr == 0) {
                cd_ret_regs rr = {.rax = after.rax, .rdx = after.rdx, .xmm0 = (const uint8_t *)&fpr.xmm_space[0],
                                  .xmm1 = (const uint8_t *)&fpr.xmm_space[4], .st0 = (const uint8_t *)&fpr.st_space[0]};
                vr = cd_ctl_return_value(x, ret, &rr, out, err);
            }
            if (vr == 0 && out->where == V_MEM) {
                /* the buffer is on the stack given back to the program: the value is copied out */
                uint64_t n = cd_type_size(ret);
                uint8_t *bytes = cd_arena_alloc(x->ar, n + 16);
                ssize_t got = t->ops->read_mem(t, inmem ? retbuf : out->addr, bytes, n);
                if (got != (ssize_t)n)
                    vr = cd_fail(err, CD_EXIT_CMD, "cannot read the returned value at 0x%llx",
                                 (unsigned long long)(inmem ? retbuf : out->addr));
                *out = (cd_value){.type = ret, .where = V_BYTES, .bytes = bytes, .regno = -1};
            }
        } else if (vr == 0) {
            *out = (cd_value){.type = cd_type_from_die(x->vs, NULL), .where = V_BYTES,
                              .bytes = cd_arena_alloc(x->ar, 16), .regno = -1};
        }
        cd_err re = {0};
        if (restore_state(t, th, &s, &re) < 0) {
            cd_fail(err, CD_EXIT_CMD, "the function returned, but the thread's registers could not be put back: %s",
                    re.msg);
            goto out;
        }
        rc = vr;
    }
out:
    t->call_tid = 0;
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    t->call_fp = NULL;
    ctl_internal_drop(c, rb);
    free(a.stack);
    free(s.fp);
    return rc;
out_noregs:
    free(a.stack);
    free(s.fp);
    return -1;
}
