/* The run loop: resume, wait, decide. Breakpoint conditions, hit counts and ignore counts are
 * evaluated in the hitting thread while every thread is held, and a hit that does not stop the
 * program resumes it at once. Also finish/stepout (the SysV x86-64 return value), until/advance
 * LOCATION and the first stop of `cdbg run`. */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include "control/control_int.h"

#define DW_RSP 7

int ctl_regs(cd_ctl *c, pid_t tid, cd_regs *r, cd_err *err)
{
    cd_thread *th = cd_target_find_thread(c->t, tid);
    if (!th)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "thread %d is gone", (int)tid);
    return c->t->ops->get_regs(c->t, th, r, err);
}

/* ---- conditions ---- */

bool ctl_hit_cond_ok(const cd_bp *b)
{
    unsigned long h = b->hits, v = b->hit_val;
    const char *op = b->hit_op;
    if (!op[0])
        return true;
    if (!strcmp(op, "=="))
        return h == v;
    if (!strcmp(op, "!="))
        return h != v;
    if (!strcmp(op, "<"))
        return h < v;
    if (!strcmp(op, "<="))
        return h <= v;
    if (!strcmp(op, ">"))
        return h > v;
    if (!strcmp(op, ">="))
        return h >= v;
    return v && h % v == 0;
}

int ctl_eval_cond(cd_ctl *c, cd_thread *th, const char *cond, cd_err *err)
{
    /* a condition names frame 0's variables; entry values need its caller: two physical frames */
    cd_stack st;
    if (cd_unwind_thread(c->unw, th, 2, &st, err) < 0)
        return -1;
    cd_vstate_use_symtab(c->vs, c->sym);
    cd_scope sc = {.target = c->t, .sym = c->sym, .thread = th, .vs = c->vs};
    if (st.n > 0) {
        sc.frame = &st.frames[0];
        sc.frames = st.frames;
        sc.nframes = st.n;
    }
    cd_arena ar = {0};
    cd_ectx x;
    cd_ectx_init(&x, &sc, &ar, err);
    cd_value v;
    int rc = -1;
    struct ctl_condcache *cc = &c->cond_cache;
    uint64_t pc = st.n > 0 ? st.frames[0].pc : 0;
    if (!cc->e || cc->pc != pc || strcmp(cc->src, cond) != 0) {
        free(cc->src);
        cd_arena_free(&cc->ar);
        memset(cc, 0, sizeof *cc);
        cc->e = cd_expr_parse(&cc->ar, cond, cd_ectx_is_typename, &x, err);
        if (cc->e) {
            cc->src = cd_xstrdup(cond);
            cc->pc = pc;
        }
    }
    if (cc->e && cd_eval(&x, cc->e, &v) == 0) {
        cd_type *t = cd_type_strip(v.type);
        if (t->kind == TY_FLOAT) {
            long double d;
            if (cd_value_float(&x, &v, &d) == 0)
                rc = d != 0;
        } else {
            __int128 i;
            if (cd_value_int(&x, &v, &i) == 0)
                rc = i != 0;
        }
    }
    cd_arena_free(&ar);
    cd_stack_free(&st);
    return rc;
}

bool ctl_user_hit(cd_ctl *c, cd_thread *th, uint64_t addr, cd_stop *stop)
{
    for (cd_bp *b = ctl_bp_at(c, addr, NULL); b; b = ctl_bp_at(c, addr, b)) {
        if (b->kind == CD_BPK_INTERNAL || !b->enabled)
            continue;
        if (b->cond) {
            cd_err ce;
            int v = ctl_eval_cond(c, th, b->cond, &ce);
            if (v < 0) {
                stop->cond_error = cd_xasprintf("breakpoint %d: cannot evaluate its condition '%s': %s; stopped here",
                                                b->id, b->cond, ce.msg);
                stop->bp_id = b->id;
                stop->hits = b->hits;
                return true;
            }
            if (v == 0)
                continue;
        }
        b->hits++;
        if (!ctl_hit_cond_ok(b))
            continue;
        if (b->ignore > 0) {
            b->ignore--;
            continue;
        }
        if (b->trace) { /* reported, never stops */
            if (c->trace_fn)
                c->trace_fn(c->trace_arg, b, th);
            continue;
        }
        stop->bp_id = b->id;
        stop->hits = b->hits;
        stop->inline_skip = ctl_stop_inline_skip(c, th->tid, addr, b->spec);
        if (b->kind == CD_BPK_TEMP) {
            /* a temporary breakpoint is spent once it stopped the program */
            stop->bp_temp = true;
            stop->bp_cmds = b->cmds;
            stop->nbp_cmds = b->ncmds;
            b->cmds = NULL;
            b->ncmds = 0;
            cd_err e;
            cd_ctl_bp_delete(c, b, &e);
        }
        return true;
    }
    return false;
}

/* ---- events ---- */

void ctl_apply_pass(cd_ctl *c)
{
    if (!c->sig_tid)
        return;
    cd_thread *th = cd_target_find_thread(c->t, c->sig_tid);
    if (th && th->pending_sig == c->sig_sig && !cd_ctl_sigpolicy(c, c->sig_sig).pass)
        th->pending_sig = 0;
    c->sig_tid = 0;
    c->sig_sig = 0;
}

bool ctl_event_stop(cd_ctl *c, const cd_event *ev, cd_stop *stop)
{
    stop->ev = *ev;
    stop->tid = ev->tid;
    switch (ev->kind) {
    case CD_EV_SIGNAL: {
        cd_sigpolicy p = cd_ctl_sigpolicy(c, ev->sig);
        if (!p.stop) {
            cd_thread *th = cd_target_find_thread(c->t, ev->tid);
            if (th && !p.pass)
                th->pending_sig = 0;
            if (p.print)
                ctl_add_note(c, stop, (cd_signote){.kind = CD_NOTE_SIGNAL, .tid = ev->tid, .sig = ev->sig, .passed = p.pass});
            return false;
        }
        stop->reason = CD_STOP_SIGNAL;
        stop->sig = ev->sig;
        stop->has_si = ev->has_si;
        stop->si = ev->si;
        c->sig_tid = ev->tid;
        c->sig_sig = ev->sig;
        return true;
    }
    case CD_EV_CLONE:
    case CD_EV_THREAD_EXIT:
        /* told, never stopped for: the thread that made the event goes on */
        if (c->thread_events && (ev->kind == CD_EV_CLONE || ctl_exit_unnoted(c, ev->tid)))
            ctl_add_note(c, stop, (cd_signote){.kind = ev->kind == CD_EV_CLONE ? CD_NOTE_THREAD_NEW : CD_NOTE_THREAD_EXIT,
                                        .tid = ev->kind == CD_EV_CLONE ? ev->child : ev->tid});
        return false;
    case CD_EV_EXITED:
        stop->reason = CD_STOP_EXITED;
        stop->status = ev->status;
        return true;
    case CD_EV_KILLED:
        stop->reason = CD_STOP_KILLED;
        stop->sig = ev->sig;
        return true;
    case CD_EV_INTERRUPTED:
        stop->reason = CD_STOP_INTERRUPTED;
        return true;
    case CD_EV_WATCH:
        return ctl_watch_event(c, ev, stop); /* watch.c: values decide */
    case CD_EV_EXEC:
        ctl_exec_event(c);
        stop->reason = CD_STOP_EXEC;
        return true;
    case CD_EV_FORK:
    case CD_EV_VFORK:
    case CD_EV_VFORK_DONE:
        if (!ctl_fork_event(c, ev))
            return false;
        stop->reason = CD_STOP_FORK;
        return true;
    case CD_EV_BREAKPOINT:
        stop->reason = CD_STOP_TRAP;
        return true;
    default:
        stop->reason = CD_STOP_FORK;
        return true;
    }
}

/* Whether an internal breakpoint at addr is for this thread and frame. */
static cd_bp *internal_match(cd_ctl *c, const cd_event *ev)
{
    cd_regs r;
    bool have_regs = false;
    for (cd_bp *b = ctl_bp_at(c, ev->addr, NULL); b; b = ctl_bp_at(c, ev->addr, b)) {
        if (b->kind != CD_BPK_INTERNAL || b->purpose == CD_BPP_SOLIB || (b->tid && b->tid != ev->tid))
            continue;
        if (b->min_sp) {
            cd_err e;
            if (!have_regs && ctl_regs(c, ev->tid, &r, &e) < 0)
                continue;
            have_regs = true;
            if (r.rsp < b->min_sp)
                continue; /* a deeper call (recursion) returning there */
        }
        return b;
    }
    return NULL;
}

int ctl_run(cd_ctl *c, cd_stop *stop, cd_err *err)
{
    cd_target *t = c->t;
    for (;;) {
        ctl_apply_pass(c);
        ctl_fast_arm(c);
        /* a ^C that landed since the last stop makes cont run nothing and wait say so */
        if (t->ops->cont(t, err) < 0) {
            ctl_fast_disarm(c);
            return -1;
        }
        cd_event ev;
        int w = t->ops->wait(t, &ev, err);
        ctl_fast_disarm(c); /* the int3s back, and the hits the stubs passed over counted */
        if (w < 0)
            return -1;
        if (ev.kind == CD_EV_BREAKPOINT && ctl_watch_scope_event(c, &ev, stop))
            return 0; /* a watched local's frame returned */
        if (ev.kind != CD_EV_BREAKPOINT) {
            if (ctl_event_stop(c, &ev, stop))
                return 0;
            continue;
        }
        stop->ev = ev;
        stop->tid = ev.tid;
        stop->pc = ev.addr;
        for (cd_bp *sb = ctl_bp_at(c, ev.addr, NULL); sb; sb = ctl_bp_at(c, ev.addr, sb))
            if (ctl_solib_is(c, sb)) {
                ctl_solib_event(c, stop); /* a library came or went: follow it, invisibly */
                break;
            }
        cd_bp *ib = internal_match(c, &ev);
        if (ib) {
            stop->reason = CD_STOP_INTERNAL;
            stop->bp_id = ib->id;
            return 0;
        }
        if (!ctl_bp_at(c, ev.addr, NULL)) {
            stop->reason = CD_STOP_TRAP; /* an int3 that is not ours: the program's own, shown as a stop */
            return 0;
        }
        cd_thread *th = cd_target_find_thread(t, ev.tid);
        if (th && ctl_user_hit(c, th, ev.addr, stop)) {
            stop->reason = CD_STOP_BREAKPOINT;
            return 0;
        }
        /* an internal breakpoint of another thread or frame, or a condition that failed: go on */
    }
}

/* The stop goes to the user now: a ^C that came with it has done its job. Inlined calls that
 * start at the stop's pc are shown as their call site (a breakpoint's stop has decided already). */
static void handed_over(cd_ctl *c, cd_stop *stop)
{
    c->t->interrupted = 0;
    if (!stop || stop->reason == CD_STOP_BREAKPOINT || stop->reason == CD_STOP_EXITED ||
        stop->reason == CD_STOP_KILLED || stop->reason == CD_STOP_NONE || !stop->tid)
        return;
    cd_regs r;
    cd_err e;
    if (ctl_regs(c, stop->tid, &r, &e) == 0)
        stop->inline_skip = ctl_stop_inline_skip(c, stop->tid, r.rip, NULL);
}

int cd_ctl_continue(cd_ctl *c, cd_stop *stop, cd_err *err)
{
    memset(stop, 0, sizeof *stop);
    c->skip_n = 0;
    int rc;
    for (;;) {
        rc = ctl_run(c, stop, err);
        /* an internal breakpoint left by nobody waiting for it (cannot happen) or a rendezvous:
         * the caller asked to continue, so only OTHER is reported */
        if (rc < 0 || stop->reason != CD_STOP_INTERNAL)
            break;
        cd_bp *b = cd_ctl_bp_find(c, stop->bp_id);
        if (b && b->purpose == CD_BPP_OTHER)
            break;
    }
    handed_over(c, stop);
    return rc;
}

/* ---- finish ---- */

/* SysV x86-64: is every scalar in [lo, hi) of T (at offset base) a float or double? */
static bool all_sse(cd_ectx *x, cd_type *t, uint64_t base, uint64_t lo, uint64_t hi, bool *x87)
{
    t = cd_type_strip(t);
    uint64_t size = cd_type_size(t);
    if (base + size <= lo || base >= hi)
        return true;
    if (t->kind == TY_STRUCT || t->kind == TY_UNION) {
        cd_member *m;
        int n = cd_type_members(x->vs, t, &m, x->ar);
        for (int i = 0; i < n; i++)
            if (m[i].bitsize || !all_sse(x, m[i].type, base + m[i].offset, lo, hi, x87))
                return false;
        return n >= 0;
    }
    if (t->kind == TY_ARRAY) {
        cd_type *e = t->target;
        uint64_t es = cd_type_size(e);
        for (int64_t i = 0; es && i < t->count; i++)
            if (!all_sse(x, e, base + (uint64_t)i * es, lo, hi, x87))
                return false;
        return true;
    }
    if (t->kind == TY_FLOAT && size > 8)
        *x87 = true;
    return t->kind == TY_FLOAT;
}

/* The value a function of return type T just returned (SysV x86-64 calling convention). */
int cd_ctl_return_value(cd_ectx *x, cd_type *type, const cd_ret_regs *rr, cd_value *out, cd_err *err)
{
    cd_type *st = cd_type_strip(type);
    uint64_t size = cd_type_size(st);
    memset(out, 0, sizeof *out);
    out->type = type;
    out->where = V_BYTES;
    out->regno = -1;
    out->bytes = cd_arena_alloc(x->ar, size > 16 ? size : 16);
    uint64_t gpr[2] = {rr->rax, rr->rdx};
    switch (st->kind) {
    case TY_INT:
    case TY_BOOL:
    case TY_ENUM:
    case TY_PTR:
        if (size > 16)
            return cd_fail(err, CD_EXIT_CMD, "a %llu-byte integer is not returned in registers", (unsigned long long)size);
        memcpy(out->bytes, gpr, size);
        return 0;
    case TY_FLOAT:
        if (size > 8) {
            if (!rr->st0)
                return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "it is returned in st0, which was not recorded");
            memcpy(out->bytes, rr->st0, 10); /* long double: x87 st(0) */
            return 0;
        }
        if (!rr->xmm0)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "it is returned in xmm0, which was not recorded");
        memcpy(out->bytes, rr->xmm0, size);
        return 0;
    case TY_STRUCT:
    case TY_UNION: {
        bool x87 = false;
        bool sse0 = size > 0 && all_sse(x, st, 0, 0, 8, &x87), sse1 = size > 8 && all_sse(x, st, 0, 8, 16, &x87);
        if (size > 16 || x87) {
            /* returned in memory: the caller's buffer, whose address comes back in rax */
            out->where = V_MEM;
            out->addr = rr->rax;
            out->bytes = NULL;
            return 0;
        }
        const uint8_t *ints[2] = {(const uint8_t *)&gpr[0], (const uint8_t *)&gpr[1]};
        const uint8_t *sses[2] = {rr->xmm0, rr->xmm1};
        int ni = 0, ns = 0;
        for (int i = 0; i < 2 && (uint64_t)i * 8 < size; i++) {
            bool sse = i == 0 ? sse0 : sse1;
            const uint8_t *src = sse ? sses[ns++] : ints[ni++];
            if (!src)
                return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "it is returned in xmm%d, which was not recorded",
                                ns - 1);
            uint64_t n = size - (uint64_t)i * 8 < 8 ? size - (uint64_t)i * 8 : 8;
            memcpy(out->bytes + i * 8, src, n);
        }
        return 0;
    }
    default:
        return cd_fail(err, CD_EXIT_CMD, "cannot show a returned value of this type");
    }
}

/* The value a function of return type T just returned, from the registers of thread th. */
static int return_value(cd_ctl *c, cd_thread *th, cd_ectx *x, cd_type *type, cd_value *out, cd_err *err)
{
    cd_target *t = c->t;
    cd_regs r;
    struct user_fpregs_struct fp;
    if (t->ops->get_regs(t, th, &r, err) < 0 || t->ops->get_fpregs(t, th, &fp, err) < 0)
        return -1;
    cd_ret_regs rr = {.rax = r.rax, .rdx = r.rdx, .xmm0 = (const uint8_t *)&fp.xmm_space[0],
                      .xmm1 = (const uint8_t *)&fp.xmm_space[4], .st0 = (const uint8_t *)&fp.st_space[0]};
    return cd_ctl_return_value(x, type, &rr, out, err);
}

/* Runs until internal breakpoint b stops (its thread, its frame) or something the user must see
 * comes first. *hit tells which. */
static int run_to_internal(cd_ctl *c, cd_bp *b, cd_stop *stop, bool *hit, cd_err *err)
{
    *hit = false;
    for (;;) {
        if (ctl_run(c, stop, err) < 0)
            return -1;
        if (stop->reason != CD_STOP_INTERNAL)
            return 0;
        if (stop->bp_id == b->id) {
            *hit = true;
            stop->bp_id = 0; /* internal: not the user's to see */
            return 0;
        }
        cd_bp *o = cd_ctl_bp_find(c, stop->bp_id);
        if (o && o->purpose == CD_BPP_OTHER)
            return 0;
    }
}

int ctl_run_to_internal(cd_ctl *c, cd_bp *b, cd_stop *stop, bool *hit, cd_err *err)
{
    return run_to_internal(c, b, stop, hit, err);
}


/* The physical caller of frame LEVEL, or NULL. */
static const cd_frame *caller_of(const cd_scope *sel, int level)
{
    const cd_frame *f = &sel->frames[level];
    for (size_t i = (size_t)level + 1; i < sel->nframes; i++)
        if (!sel->frames[i].tailcall && (sel->frames[i].phys != f->phys || f->tailcall))
            return &sel->frames[i]; /* a tail-call frame is no place to return to (gdb skips them) */
    return NULL;
}

int cd_ctl_finish_check(cd_ctl *c, const cd_scope *sel, int level, cd_err *err)
{
    if (!c->t->caps.can_run && c->t->caps.post_mortem)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot finish: the target is a core file");
    if (!sel->frames || level < 0 || (size_t)level >= sel->nframes || !sel->thread)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "stepout: no frame #%d", level);
    const cd_frame *f = &sel->frames[level];
    if (f->info.inlined)
        return 0;
    const cd_frame *caller = caller_of(sel, level);
    /* gdb does not unwind past main (backtrace past-main off): main has no caller to return to */
    if (!caller || (f->info.func && !strcmp(f->info.func, "main")))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                        "stepout: frame #%d (%s) is the outermost frame: there is no caller to return to", f->level,
                        f->info.func ? f->info.func : "??");
    uint64_t cfa = (caller->regs_valid & (1u << DW_RSP)) ? caller->regs[DW_RSP] : f->cfa;
    if (!cfa)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "stepout: the stack pointer of frame #%d's caller is unknown",
                        f->level);
    return 0;
}

int cd_ctl_finish(cd_ctl *c, const cd_scope *sel, int level, cd_stop *stop, cd_err *err)
{
    memset(stop, 0, sizeof *stop);
    c->skip_n = 0;
    if (cd_ctl_finish_check(c, sel, level, err) < 0)
        return -1;
    const cd_frame *f = &sel->frames[level];
    cd_thread *th = sel->thread;
    if (f->info.inlined) {
        /* an inlined call has no return address: step until the pc leaves it */
        int rc = ctl_step_out_inline(c, th, sel, level, stop, err);
        stop->inlined = true;
        stop->func = cd_xstrdup(f->info.func ? f->info.func : "??");
        handed_over(c, stop);
        return rc;
    }
    stop->func = cd_xstrdup(f->info.func ? f->info.func : "??");
    const cd_frame *caller = caller_of(sel, level);
    uint64_t cfa = (caller->regs_valid & (1u << DW_RSP)) ? caller->regs[DW_RSP] : f->cfa;
    /* what is returned: the function's DWARF return type, read now, before the stack moves */
    cd_type *rtype = NULL;
    if (f->info.has_die) {
        Dwarf_Die d = f->info.scope_die, td;
        Dwarf_Attribute at;
        stop->has_rettype = true; /* a DIE without DW_AT_type returns void */
        if (dwarf_attr_integrate(&d, DW_AT_type, &at) && dwarf_formref_die(&at, &td))
            rtype = cd_type_from_die(c->vs, &td);
        stop->is_void = rtype == NULL;
    }
    uint64_t ret = caller->pc;
    cd_bp *b = cd_ctl_internal_add(c, CD_BPP_FINISH, &ret, 1, th->tid, cfa, err);
    if (!b)
        return -1;
    bool hit;
    int rc = run_to_internal(c, b, stop, &hit, err);
    ctl_internal_drop(c, b);
    handed_over(c, stop);
    if (rc < 0 || !hit)
        return rc;
    stop->reason = CD_STOP_FINISHED;
    stop->bp_id = 0; /* the finish breakpoint's (internal) number is no user's business */
    stop->pc = ret;
    if (rtype) {
        stop->ar = cd_xcalloc(1, sizeof *stop->ar);
        cd_vstate_use_symtab(c->vs, c->sym);
        cd_scope sc = {.target = c->t, .sym = c->sym, .thread = th, .vs = c->vs};
        cd_ectx x;
        cd_err ve;
        cd_ectx_init(&x, &sc, stop->ar, &ve);
        stop->value = cd_arena_alloc(stop->ar, sizeof *stop->value);
        if (return_value(c, th, &x, rtype, stop->value, &ve) == 0)
            stop->has_value = true;
        else
            stop->value_error = cd_xstrdup(ve.msg);
    }
    return 0;
}

/* ---- until / advance LOCATION ---- */

int cd_ctl_run_to(cd_ctl *c, cd_thread *th, const uint64_t *addrs, size_t n, bool same_frame, cd_stop *stop,
                  cd_err *err)
{
    memset(stop, 0, sizeof *stop);
    c->skip_n = 0;
    if (!c->t->caps.can_run)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot run: the target is %s",
                        c->t->caps.post_mortem ? "a core file" : "not running");
    cd_regs r;
    if (c->t->ops->get_regs(c->t, th, &r, err) < 0)
        return -1;
    cd_bp *b = cd_ctl_internal_add(c, CD_BPP_UNTIL, addrs, n, same_frame ? th->tid : 0, same_frame ? r.rsp : 0, err);
    if (!b)
        return -1;
    /* both also stop when the current frame returns (gdb) */
    cd_bp *fb = NULL;
    cd_stack st;
    if (cd_unwind_thread(c->unw, th, 64, &st, err) == 0) {
        const cd_frame *caller = NULL;
        for (size_t i = 1; i < st.n && !caller; i++)
            if (st.frames[i].phys != st.frames[0].phys && !st.frames[i].tailcall)
                caller = &st.frames[i];
        if (caller && (caller->regs_valid & (1u << DW_RSP))) {
            uint64_t ret = caller->pc;
            fb = cd_ctl_internal_add(c, CD_BPP_UNTIL, &ret, 1, th->tid, caller->regs[DW_RSP], err);
        }
        cd_stack_free(&st);
    }
    bool hit = false;
    int rc;
    for (;;) {
        rc = ctl_run(c, stop, err);
        if (rc < 0 || stop->reason != CD_STOP_INTERNAL)
            break;
        if (stop->bp_id == b->id || (fb && stop->bp_id == fb->id)) {
            hit = true;
            break;
        }
        cd_bp *o = cd_ctl_bp_find(c, stop->bp_id);
        if (o && o->purpose == CD_BPP_OTHER)
            break;
    }
    ctl_internal_drop(c, b);
    ctl_internal_drop(c, fb);
    handed_over(c, stop);
    if (rc == 0 && hit) {
        stop->reason = CD_STOP_LOCATION;
        stop->bp_id = 0;
        /* a user breakpoint on the same spot is reported as that breakpoint (gdb) */
        cd_thread *h = cd_target_find_thread(c->t, stop->tid);
        if (h && ctl_bp_at(c, stop->pc, NULL) && ctl_user_hit(c, h, stop->pc, stop))
            stop->reason = CD_STOP_BREAKPOINT;
    }
    return rc;
}

/* ---- cdbg run ---- */

int cd_ctl_start(cd_ctl *c, cd_stop *stop, const char **where, cd_err *err)
{
    memset(stop, 0, sizeof *stop);
    c->skip_n = 0;
    uint64_t addr;
    *where = "main";
    if (cd_symtab_find_function(c->sym, "main", &addr) == 0) {
        /* where gdb's `start` stops: past main's prologue, where argc and argv are readable */
        addr = cd_symtab_skip_prologue(c->sym, addr);
    } else if (cd_symtab_entry(c->sym, &addr) == 0) {
        *where = "entry";
    } else {
        *where = "exec";
        stop->reason = CD_STOP_NONE;
        return 0;
    }
    cd_bp *b = cd_ctl_internal_add(c, CD_BPP_START, &addr, 1, 0, 0, err);
    if (!b)
        return -1;
    bool hit;
    int rc = run_to_internal(c, b, stop, &hit, err);
    ctl_internal_drop(c, b);
    handed_over(c, stop);
    if (rc == 0 && hit)
        stop->reason = CD_STOP_LOCATION;
    return rc;
}
