/* Stepping, as gdb steps (infrun.c's rules, kept to what a C program needs):
 *
 * - A line step single-steps the one thread (ops->step; the others stay held) while the pc stays
 *   in the line: it ends at the first pc that starts an is_stmt row of another line, in another
 *   function, or back in the caller after a `ret` (mid-line: gdb stops there too).
 * - A call is never single-stepped through. `next` plants a step-resume breakpoint at the return
 *   address for this thread with the stack pointer of the call (a deeper recursive call returning
 *   there has a lower sp) and lets every thread run at full speed. `step` steps into the call:
 *   a callee with line info stops past its prologue; one without (or a PLT stub whose target has
 *   none, or the dynamic linker) is run through with the same step-resume breakpoint.
 * - Inlined calls: `step` stops when the pc enters an inlined call (its first line, in the inlined
 *   frame); `next` steps through the inlined code as part of the line; finishing an inlined frame
 *   steps until the pc leaves its ranges.
 * - A user breakpoint the thread reaches (a single step onto its address, or a hit while running
 *   over a call) stops the step and is reported; so are signals with policy `stop` and the end
 *   of the process. A signal with policy nostop/pass is delivered with the next step; its handler
 *   runs at full speed back to where it interrupted. */
#include <dwarf.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"

#define MAX_STEPS 10000000 /* single steps in one line before giving up (a spin loop on one line) */
#define PLT_STEPS 200000   /* single steps through a lazy PLT resolver before running over it */

typedef struct where {
    uint64_t pc;
    int depth;            /* logical frames at pc: 1 + inlined calls */
    uint64_t func;        /* entry of the (physical) function, 0 when unknown */
    const char *file;     /* innermost logical frame's file and line (0: no line info) */
    int line;
    Dwarf_Die scope;      /* innermost scope DIE (inlined call or function), when has_die */
    bool has_die;
} where;

static void where_at(cd_ctl *c, uint64_t pc, where *w)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(c->sym, pc, &pi);
    memset(w, 0, sizeof *w);
    w->pc = pc;
    w->depth = n;
    if (n < 1)
        return;
    w->func = pi[n - 1].func_addr;
    w->file = pi[0].file;
    w->line = pi[0].line;
    w->scope = pi[0].scope_die;
    w->has_die = pi[0].has_die;
}

static const char *base_name(const char *p)
{
    const char *b = p ? strrchr(p, '/') : NULL;
    return b ? b + 1 : p ? p : "";
}

/* The line-table rows at pc, as gdb's line table has them. Returns the line of the is_stmt row
 * that starts exactly at pc (the last one at that address), 0 if none; *other_start tells whether
 * some other (not is_stmt) row starts there. gdb does not record a row that repeats the line of
 * the row before it when the line has a discriminator (a loop body's basic blocks): such a row is
 * part of its predecessor, not a start. *row_end: where the row containing pc ends. */
static int row_at(cd_ctl *c, uint64_t pc, const char **file, bool *other_start, uint64_t *row_end)
{
    Dwfl *dwfl = cd_symtab_dwfl(c->sym);
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, pc);
    Dwarf_Addr bias;
    Dwarf_Die cu_mem, *cu = mod && cd_symtab_cu_at(c->sym, mod, pc, &cu_mem, &bias) ? &cu_mem : NULL;
    Dwarf_Lines *lines;
    size_t n;
    if (file)
        *file = NULL;
    if (other_start)
        *other_start = false;
    if (row_end)
        *row_end = 0;
    if (!cu || dwarf_getsrclines(cu, &lines, &n) != 0 || n == 0)
        return 0;
    uint64_t want = pc - bias;
    /* rows are sorted by address: the first one at or after want */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        Dwarf_Addr a = 0;
        dwarf_lineaddr(dwarf_onesrcline(lines, mid), &a);
        if (a < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    int line = 0;
    size_t k = lo;
    for (; k < n; k++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, k);
        Dwarf_Addr a;
        if (!l || dwarf_lineaddr(l, &a) != 0 || a != want)
            break;
        bool stmt = false, endseq = false;
        dwarf_linebeginstatement(l, &stmt);
        dwarf_lineendsequence(l, &endseq);
        int ln = 0;
        if (endseq || dwarf_lineno(l, &ln) != 0 || ln <= 0)
            continue;
        if (!stmt) {
            if (other_start)
                *other_start = true;
            continue;
        }
        line = ln;
        if (file)
            *file = dwarf_linesrc(l, NULL, NULL);
        unsigned disc = 0, pdisc = 0;
        dwarf_linediscriminator(l, &disc);
        Dwarf_Line *p = k == lo && lo > 0 ? dwarf_onesrcline(lines, lo - 1) : NULL;
        bool pend = false;
        int pln = 0;
        if (p && dwarf_lineendsequence(p, &pend) == 0 && !pend && dwarf_lineno(p, &pln) == 0 && pln == ln &&
            dwarf_linediscriminator(p, &pdisc) == 0 && (disc || pdisc) &&
            !strcmp(dwarf_linesrc(p, NULL, NULL) ?: "", dwarf_linesrc(l, NULL, NULL) ?: ""))
            line = 0; /* merged into the row before */
    }
    if (row_end) {
        for (; k < n; k++) {
            Dwarf_Addr a;
            if (dwarf_lineaddr(dwarf_onesrcline(lines, k), &a) == 0 && a > want) {
                *row_end = a + bias;
                break;
            }
        }
    }
    return line;
}

static cd_x86 *x86(cd_ctl *c, cd_err *err)
{
    if (!c->x86)
        c->x86 = cd_x86_new(err);
    return c->x86;
}

static int decode_at(cd_ctl *c, uint64_t pc, cd_insn *in, cd_err *err)
{
    cd_x86 *d = x86(c, err);
    if (!d)
        return -1;
    uint8_t code[16];
    ssize_t n = cd_target_read(c->t, pc, code, sizeof code);
    if (n <= 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot step: the code at 0x%llx is not readable",
                        (unsigned long long)pc);
    cd_x86_decode(d, code, (size_t)n, pc, in);
    return 0;
}

/* Is addr in a PLT section (.plt, .plt.sec, .plt.got) of its module? */
static bool in_plt(cd_ctl *c, uint64_t addr)
{
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(c->sym), addr);
    Dwarf_Addr bias;
    Elf *elf = mod ? dwfl_module_getelf(mod, &bias) : NULL;
    size_t shstrndx;
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
        return false;
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
        if (n && !strncmp(n, ".plt", 4) && addr - bias >= sh.sh_addr && addr - bias < sh.sh_addr + sh.sh_size)
            return true;
    }
    return false;
}

/* Is addr in the dynamic linker (its lazy-binding resolver)? */
static bool in_ld_so(cd_ctl *c, uint64_t addr)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(c->sym, addr, &pi);
    const char *m = n > 0 ? pi[n - 1].module : NULL;
    return m && (!strncmp(m, "ld-linux", 8) || !strncmp(m, "ld.so", 5) || !strncmp(m, "ld64.so", 7));
}

/* Code a `step` stops in: it has line info (assembly too, as gdb), and it is not a PLT stub or
 * the dynamic linker. */
static bool has_lines(cd_ctl *c, uint64_t pc)
{
    where w;
    where_at(c, pc, &w);
    return w.line > 0 && !in_plt(c, pc) && !in_ld_so(c, pc);
}

/* Where a PLT stub at stub goes: the GOT slot it jumps through, when already bound; 0 when not
 * bound yet (it points back into the PLT) or unknown. */
static uint64_t plt_target(cd_ctl *c, uint64_t stub)
{
    cd_err e;
    cd_insn in;
    uint64_t pc = stub;
    for (int i = 0; i < 3; i++) {
        if (decode_at(c, pc, &in, &e) < 0)
            return 0;
        if (in.kind == CD_INSN_JMP && in.indirect && in.rip_rel) {
            uint64_t slot = in.addr + in.len + (uint64_t)(int64_t)in.disp, v;
            if (cd_target_read_full(c->t, slot, &v, sizeof v) < 0 || in_plt(c, v))
                return 0;
            return v;
        }
        if (in.kind != CD_INSN_OTHER)
            return 0;
        pc += in.len; /* endbr64, bnd prefix */
    }
    return 0;
}

/* glibc's __restore_rt: mov $15 (rt_sigreturn), %rax; syscall */
static bool is_sigreturn(cd_ctl *c, uint64_t pc)
{
    static const uint8_t code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    uint8_t b[9];
    return cd_target_read_full(c->t, pc, b, sizeof b) == 0 && !memcmp(b, code, sizeof b);
}

/* ---- the thread ---- */

/* Forgets an internal stop the step went through (keeping what the stop owns). */
static void stop_clear(cd_stop *st)
{
    st->reason = CD_STOP_NONE;
    st->bp_id = 0;
    st->hits = 0;
}


typedef struct stepper {
    cd_ctl *c;
    cd_thread *th;
    cd_stop *stop;
    cd_err *err;
    bool done;            /* stop is filled: the step ended */
} stepper;

static int get_pc_sp(stepper *s, uint64_t *pc, uint64_t *sp)
{
    cd_regs r;
    if (s->c->t->ops->get_regs(s->c->t, s->th, &r, s->err) < 0)
        return -1;
    *pc = r.rip;
    if (sp)
        *sp = r.rsp;
    return 0;
}

/* One instruction of the thread. A signal it takes is handled by policy: stop (done), or
 * delivered with the next step, whose handler then runs at full speed back to here. */
static int single_step(stepper *s)
{
    cd_ctl *c = s->c;
    cd_target *t = c->t;
    if (!t->ops->step)
        return cd_failk(s->err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot step: the target cannot single-step");
    for (;;) {
        ctl_apply_pass(c);
        int sig = s->th->pending_sig;
        uint64_t pc0 = 0, sp0 = 0;
        if (sig && get_pc_sp(s, &pc0, &sp0) < 0)
            return -1;
        s->th->pending_sig = 0;
        cd_event ev;
        if (t->ops->step(t, s->th, sig, &ev, s->err) < 0)
            return -1;
        if (ev.kind == CD_EV_STEP) {
            if (sig) {
                /* a handler was entered: run it at full speed back to the interrupted pc */
                uint64_t pc, sp;
                if (get_pc_sp(s, &pc, &sp) < 0)
                    return -1;
                where a, b;
                where_at(c, pc0, &a);
                where_at(c, pc, &b);
                if (a.func != b.func || b.func == 0) {
                    cd_bp *rb = cd_ctl_internal_add(c, CD_BPP_STEP_RESUME, &pc0, 1, s->th->tid, sp0, s->err);
                    if (!rb)
                        return -1;
                    bool hit;
                    int rc = ctl_run_to_internal(c, rb, s->stop, &hit, s->err);
                    ctl_internal_drop(c, rb);
                    if (rc < 0)
                        return -1;
                    if (!hit)
                        s->done = true;
                }
            }
            return 0;
        }
        if (ev.kind == CD_EV_BREAKPOINT) {
            /* the program's own int3 (ours are stepped over by the backend) */
            ctl_event_stop(c, &ev, s->stop);
            s->done = true;
            return 0;
        }
        if (ctl_event_stop(c, &ev, s->stop)) {
            s->done = true;
            return 0;
        }
        if (ev.kind == CD_EV_WATCH)
            return 0; /* a watchpoint that does not stop (value unchanged): the instruction ran */
        /* a signal with policy nostop: pending_sig holds it if it is to be passed; step again */
    }
}

/* Runs every thread until the step-resume breakpoint at addr is reached by this thread with
 * sp >= min_sp, or something the user must see stops the program first (done). */
static int run_to(stepper *s, uint64_t addr, uint64_t min_sp)
{
    cd_bp *b = cd_ctl_internal_add(s->c, CD_BPP_STEP_RESUME, &addr, 1, s->th->tid, min_sp, s->err);
    if (!b)
        return -1;
    bool hit;
    int rc = ctl_run_to_internal(s->c, b, s->stop, &hit, s->err);
    ctl_internal_drop(s->c, b);
    if (rc < 0)
        return -1;
    if (!hit)
        s->done = true;
    else
        stop_clear(s->stop);
    return 0;
}

/* After a single step onto an address with a user breakpoint: the breakpoint is hit (conditions,
 * counts), as when the thread runs into it. */
static bool user_bp_here(stepper *s, uint64_t pc)
{
    if (ctl_watch_scope_step(s->c, s->th, s->stop)) {
        s->done = true; /* out of a watched local's frame: its watchpoint is deleted, the step ends */
        return true;
    }
    cd_bp *b = ctl_bp_at(s->c, pc, NULL);
    for (; b; b = ctl_bp_at(s->c, pc, b))
        if (b->kind != CD_BPK_INTERNAL && b->enabled)
            break;
    if (!b)
        return false;
    if (!ctl_user_hit(s->c, s->th, pc, s->stop))
        return false;
    s->stop->reason = CD_STOP_BREAKPOINT;
    s->stop->tid = s->th->tid;
    s->stop->pc = pc;
    s->done = true;
    return true;
}

/* The return address and the caller's sp of the thread's innermost physical frame. */
static int caller_of_frame0(stepper *s, uint64_t *ret, uint64_t *cfa)
{
    cd_stack st;
    if (cd_unwind_thread(s->c->unw, s->th, 64, &st, s->err) < 0)
        return -1;
    int rc = -1;
    for (size_t i = 1; i < st.n; i++)
        if (st.frames[i].phys != st.frames[0].phys) {
            *ret = st.frames[i].pc;
            *cfa = (st.frames[i].regs_valid & (1u << 7)) ? st.frames[i].regs[7] : st.frames[0].cfa;
            rc = *cfa ? 0 : -1;
            break;
        }
    cd_stack_free(&st);
    if (rc < 0)
        cd_failk(s->err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "cannot step out: the caller of this frame is unknown");
    return rc;
}

static void finish_step_skip(stepper *s, uint64_t pc, bool changed, int skip)
{
    stop_clear(s->stop);
    s->stop->reason = CD_STOP_STEP;
    s->stop->tid = s->th->tid;
    s->stop->pc = pc;
    s->stop->frame_changed = changed;
    s->stop->inline_skip = skip;
    s->c->skip_tid = skip ? s->th->tid : 0;
    s->c->skip_pc = pc;
    s->c->skip_n = skip;
    where w;
    where_at(s->c, pc, &w);
    s->stop->step_no_line = w.line <= 0;
    s->done = true;
}

static void finish_step(stepper *s, uint64_t pc, bool changed)
{
    finish_step_skip(s, pc, changed, 0);
}

/* Does the inlined call of scope DIE d start at pc (its entry, or the start of one of its ranges)? */
static bool inline_starts_at(cd_ctl *c, const cd_pcinfo *pi, uint64_t pc)
{
    if (!pi->inlined || !pi->has_die || !pi->mod)
        return false;
    Dwarf_Addr bias;
    if (!dwfl_module_getdwarf(pi->mod, &bias))
        return false;
    Dwarf_Die d = pi->scope_die;
    Dwarf_Addr e;
    if (dwarf_entrypc(&d, &e) == 0 && e + bias == pc)
        return true;
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(&d, off, &base, &lo, &hi)) > 0)
        if (lo + bias == pc)
            return true;
    (void)c;
    return false;
}

/* How many of the innermost logical frames at pc are inlined calls starting right there. */
static int inline_entries_at(cd_ctl *c, uint64_t pc, int max)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(c->sym, pc, &pi), k = 0;
    while (k < max && k < n - 1 && inline_starts_at(c, &pi[k], pc))
        k++;
    return k;
}

/* `step` went into a call at target (the thread is at its first instruction, sp just past the
 * pushed return address). */
static int entered_call(stepper *s, uint64_t target, uint64_t ret, uint64_t call_sp)
{
    uint64_t dest = target;
    if (in_plt(s->c, target)) {
        uint64_t bound = plt_target(s->c, target);
        if (bound) {
            dest = bound;
        } else {
            /* lazy binding: follow the stub and the resolver one instruction at a time (gdb runs
             * _dl_fixup to its end; the few thousand steps cost well under a second) */
            uint64_t pc = target, sp;
            for (int i = 0; i < PLT_STEPS && (in_plt(s->c, pc) || in_ld_so(s->c, pc)); i++) {
                /* the resolver's own calls (_dl_fixup, which may call an IFUNC's selector) run at
                 * full speed: only its jump to the bound function matters */
                cd_insn in;
                if (get_pc_sp(s, &pc, &sp) < 0 || decode_at(s->c, pc, &in, s->err) < 0)
                    return -1;
                if (in.kind == CD_INSN_CALL ? run_to(s, pc + in.len, sp) < 0 : single_step(s) < 0)
                    return -1;
                if (s->done)
                    return 0;
                if (get_pc_sp(s, &pc, NULL) < 0)
                    return -1;
            }
            if (in_plt(s->c, pc) || in_ld_so(s->c, pc))
                return run_to(s, ret, call_sp);
            if (!has_lines(s->c, pc))
                return run_to(s, ret, call_sp);
            target = dest = pc;
        }
    }
    if (!has_lines(s->c, dest))
        return run_to(s, ret, call_sp);
    uint64_t body = cd_symtab_skip_prologue(s->c->sym, dest);
    uint64_t pc;
    if (get_pc_sp(s, &pc, NULL) < 0)
        return -1;
    if (pc != body) {
        /* the breakpoint is for this thread only; the return one catches a callee that returns
         * first (a different IFUNC implementation than the one bound) */
        cd_bp *rb = cd_ctl_internal_add(s->c, CD_BPP_STEP_RESUME, &ret, 1, s->th->tid, call_sp, s->err);
        if (!rb)
            return -1;
        cd_bp *bb = cd_ctl_internal_add(s->c, CD_BPP_STEP_RESUME, &body, 1, s->th->tid, 0, s->err);
        if (!bb) {
            ctl_internal_drop(s->c, rb);
            return -1;
        }
        int rc;
        for (;;) {
            rc = ctl_run(s->c, s->stop, s->err);
            if (rc < 0 || s->stop->reason != CD_STOP_INTERNAL)
                break;
            if (s->stop->bp_id == rb->id || s->stop->bp_id == bb->id)
                break;
        }
        bool at_body = rc == 0 && s->stop->reason == CD_STOP_INTERNAL && s->stop->bp_id == bb->id;
        bool back = rc == 0 && s->stop->reason == CD_STOP_INTERNAL && s->stop->bp_id == rb->id;
        ctl_internal_drop(s->c, rb);
        ctl_internal_drop(s->c, bb);
        if (rc < 0)
            return -1;
        if (back) {
            stop_clear(s->stop);
            return 0; /* go on stepping the line */
        }
        if (!at_body) {
            s->done = true;
            return 0;
        }
        pc = body;
        if (user_bp_here(s, pc))
            return 0;
    }
    finish_step(s, pc, true);
    return 0;
}

int ctl_stop_inline_skip(cd_ctl *c, pid_t tid, uint64_t pc, const char *bp_spec)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(c->sym, pc, &pi);
    int k = inline_entries_at(c, pc, n);
    if (bp_spec && k > 0) {
        /* a breakpoint on the inlined function itself, or on a line of its body, stops in it */
        const char *colon = strrchr(bp_spec, ':');
        const char *num = colon ? colon + 1 : bp_spec;
        if (*num && strspn(num, "0123456789") == strlen(num) && atoi(num) == pi[0].line)
            k = 0;
        for (int i = 0; i < k; i++)
            if (pi[i].func && (!strcmp(pi[i].func, bp_spec) || (colon && !strcmp(pi[i].func, colon + 1)))) {
                k = i;
                break;
            }
    }
    c->skip_tid = k ? tid : 0;
    c->skip_pc = pc;
    c->skip_n = k;
    return k;
}

/* One line step (step, next, until). skip: inlined calls starting at the pc not entered yet. */
static int step_line(stepper *s, cd_step_kind kind, int skip)
{
    cd_ctl *c = s->c;
    uint64_t pc, sp;
    if (get_pc_sp(s, &pc, &sp) < 0)
        return -1;
    where start;
    where_at(c, pc, &start);
    /* a function without line info is stepped through as a whole (gdb: "Single stepping until exit
     * from function X, which has no line number information"), into calls that have lines */
    uint64_t nl_lo = 0, nl_hi = 0;
    const char *nl_name;
    if (start.line <= 0 && !cd_symtab_func_bounds(c->sym, pc, &nl_name, &nl_lo, &nl_hi)) {
        /* not even its bounds: out to the caller, and on while the code there has no lines */
        for (int i = 0; i < 64; i++) {
            uint64_t ret, cfa;
            if (caller_of_frame0(s, &ret, &cfa) < 0)
                return -1;
            if (run_to(s, ret, cfa) < 0 || s->done)
                return s->done ? 0 : -1;
            if (has_lines(c, ret)) {
                finish_step(s, ret, true);
                return 0;
            }
        }
        return cd_failk(s->err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "cannot step: no code with line information above");
    }
    const char *cur_file = start.file;
    int cur_line = start.line;
    int cur_depth = start.depth;
    uint64_t func = start.func;
    bool changed = false; /* the thread is in another frame than the one the step began in */
    if (skip > 0 && skip < start.depth) {
        /* the step begins at the call site of inlined calls not entered yet: that line is the
         * one stepped, in the frame that makes the call */
        const cd_pcinfo *pi;
        cd_symtab_lookup(c->sym, pc, &pi);
        cur_line = pi[skip].line;
        cur_file = pi[skip].file;
        cur_depth = start.depth - skip;
    }
    uint64_t until_end = 0;
    if (kind == CD_STEP_UNTIL)
        row_at(c, pc, NULL, NULL, &until_end);
    for (long n = 0; n < MAX_STEPS; n++) {
        cd_insn in;
        if (decode_at(c, pc, &in, s->err) < 0)
            return -1;
        if (in.kind == CD_INSN_CALL) {
            uint64_t ret = pc + in.len, call_sp = sp;
            if (kind != CD_STEP_LINE_INTO) {
                if (run_to(s, ret, call_sp) < 0)
                    return -1;
                if (s->done)
                    return 0;
            } else {
                if (single_step(s) < 0)
                    return -1;
                if (s->done)
                    return 0;
                uint64_t target;
                if (get_pc_sp(s, &target, NULL) < 0)
                    return -1;
                if (target != ret) { /* a call to the next instruction only gets the pc */
                    if (entered_call(s, target, ret, call_sp) < 0)
                        return -1;
                    if (s->done)
                        return 0;
                }
            }
        } else {
            if (single_step(s) < 0)
                return -1;
            if (s->done)
                return 0;
        }
        if (get_pc_sp(s, &pc, &sp) < 0)
            return -1;
        if (user_bp_here(s, pc))
            return 0;
        where w;
        where_at(c, pc, &w);
        bool left = in.kind == CD_INSN_RET || w.func != func;
        if (nl_hi) {
            if (in.kind != CD_INSN_RET && pc >= nl_lo && pc < nl_hi)
                continue; /* still in the function without lines */
            nl_hi = 0;
            left = true;
        }
        if (in.kind == CD_INSN_RET && is_sigreturn(c, pc)) {
            /* a signal handler returned into the kernel's trampoline: through rt_sigreturn to the
             * interrupted code, where the step stops (gdb) */
            for (int i = 0; i < 2; i++)
                if (single_step(s) < 0 || s->done)
                    return s->done ? 0 : -1;
            if (get_pc_sp(s, &pc, &sp) < 0)
                return -1;
            finish_step(s, pc, true);
            return 0;
        }
        if (left && (w.line <= 0 || in_plt(c, pc) || in_ld_so(c, pc))) {
            if (in.kind == CD_INSN_RET) {
                /* returned into code without line info (main's caller in a libc without debug
                 * info): stop there, as gdb does */
                finish_step(s, pc, true);
                return 0;
            }
            /* jumped into code without lines (a tail call): out of it to its caller */
            uint64_t ret, cfa;
            if (caller_of_frame0(s, &ret, &cfa) < 0)
                return -1;
            if (run_to(s, ret, cfa) < 0 || s->done)
                return s->done ? 0 : -1;
            if (get_pc_sp(s, &pc, &sp) < 0)
                return -1;
            where_at(c, pc, &w);
            if (w.line <= 0) {
                finish_step(s, pc, true);
                return 0;
            }
            left = true;
        }
        if (!left && w.depth > cur_depth) {
            /* into an inlined call (gdb's rules). At its start the call is first shown at its call
             * site when that is another line (`step` then enters it without running anything);
             * on the line being stepped, `step` enters it and `next` goes through it. Inside it
             * (not at its start), `step` stops and `next` goes on. */
            const cd_pcinfo *pi;
            int nf = cd_symtab_lookup(c->sym, pc, &pi);
            int entered = w.depth - cur_depth;
            int at_start = inline_entries_at(c, pc, entered);
            if (at_start > 0) {
                const cd_pcinfo *site = &pi[nf - cur_depth];
                bool same_line = site->line == cur_line && !strcmp(base_name(site->file), base_name(cur_file));
                if (!same_line) {
                    finish_step_skip(s, pc, changed, at_start);
                    return 0;
                }
                if (kind == CD_STEP_LINE_INTO) {
                    finish_step_skip(s, pc, true, at_start - 1);
                    return 0;
                }
                continue;
            }
            if (kind == CD_STEP_LINE_INTO) {
                finish_step(s, pc, true);
                return 0;
            }
            continue;
        }
        bool new_frame = left || w.depth < cur_depth;
        if (new_frame) {
            changed = true;
            until_end = 0; /* until's "not back into the loop" is about the frame it began in */
        }
        if (kind == CD_STEP_UNTIL && !new_frame && pc < until_end && pc >= func)
            continue; /* until: never back into the loop the line belongs to */
        const char *rf;
        bool other;
        int rl = row_at(c, pc, &rf, &other, NULL);
        if (rl > 0 && (rl != cur_line || strcmp(base_name(rf), base_name(cur_file)) != 0)) {
            finish_step(s, pc, changed);
            return 0;
        }
        if (rl == 0 && other) {
            /* the start of a row that is not a statement: not a place to stop. In the same frame
             * the line stepped stays; in a new one no line is (gdb sets it to 0, so that the next
             * statement row stops the step even when it has the line of this row) */
            if (new_frame) {
                cur_line = 0;
                cur_file = w.file;
                cur_depth = w.depth;
                func = w.func;
            }
            continue;
        }
        /* in the middle of a line (a jump into it, a return to the caller), or at a row of the
         * same line: that line is the one being stepped now, as gdb refreshes its step range */
        cur_line = w.line;
        cur_file = w.file;
        cur_depth = w.depth;
        func = w.func;
    }
    return cd_failk(s->err, CD_EXIT_CMD, CD_EK_LIMIT, "step: still on line %d after %d instructions; stopped",
                    cur_line, MAX_STEPS);
}

static int step_insn(stepper *s, cd_step_kind kind)
{
    uint64_t pc, sp;
    if (get_pc_sp(s, &pc, &sp) < 0)
        return -1;
    where a;
    where_at(s->c, pc, &a);
    cd_insn in;
    if (decode_at(s->c, pc, &in, s->err) < 0)
        return -1;
    if (kind == CD_STEP_INSN_OVER && in.kind == CD_INSN_CALL) {
        if (run_to(s, pc + in.len, sp) < 0 || s->done)
            return s->done ? 0 : -1;
    } else {
        if (single_step(s) < 0 || s->done)
            return s->done ? 0 : -1;
    }
    if (get_pc_sp(s, &pc, NULL) < 0)
        return -1;
    if (user_bp_here(s, pc))
        return 0;
    where b;
    where_at(s->c, pc, &b);
    finish_step(s, pc, true);
    /* the address is shown too unless the step ended at the start of a line, as gdb's stepi */
    s->stop->frame_changed = a.func != b.func || a.depth != b.depth || row_at(s->c, pc, NULL, NULL, NULL) == 0;
    s->stop->step_no_line = b.line <= 0;
    return 0;
}

static int check_can_step(cd_ctl *c, const char *what, cd_err *err)
{
    if (!c->t->caps.can_run)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot %s: the target is %s", what,
                        c->t->caps.post_mortem ? "a core file" : "not running");
    return 0;
}

int cd_ctl_step(cd_ctl *c, cd_thread *th, cd_step_kind kind, int count, cd_stop *stop, cd_err *err)
{
    memset(stop, 0, sizeof *stop);
    if (check_can_step(c, "step", err) < 0)
        return -1;
    if (!th || th->gone)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "cannot step: the selected thread has exited");
    stepper s = {.c = c, .th = th, .stop = stop, .err = err};
    int rc = 0;
    for (int i = 0; i < (count > 0 ? count : 1) && rc == 0; i++) {
        s.done = false;
        cd_stop_free(stop);
        uint64_t pc;
        if (get_pc_sp(&s, &pc, NULL) < 0)
            return -1;
        int skip = c->skip_tid == th->tid && c->skip_pc == pc ? c->skip_n : 0;
        c->skip_tid = 0;
        c->skip_n = 0;
        if (skip > 0 && kind == CD_STEP_LINE_INTO) {
            /* into an inlined call shown at its call site: nothing runs (gdb's step_into_inline_frame) */
            finish_step_skip(&s, pc, true, skip - 1);
            continue;
        }
        /* a ^C during a long step (a loop over one line) ends it like any stop */
        if (c->t->interrupted) {
            stop->reason = CD_STOP_INTERRUPTED;
            stop->tid = th->tid;
            break;
        }
        rc = kind == CD_STEP_INSN_INTO || kind == CD_STEP_INSN_OVER ? step_insn(&s, kind) : step_line(&s, kind, skip);
        if (rc == 0 && stop->reason != CD_STOP_STEP)
            break;
    }
    c->t->interrupted = 0;
    return rc;
}

int ctl_step_out_inline(cd_ctl *c, cd_thread *th, const cd_scope *sel, int level, cd_stop *stop, cd_err *err)
{
    const cd_frame *f = &sel->frames[level];
    if (check_can_step(c, "finish", err) < 0)
        return -1;
    if (f->phys != sel->frames[0].phys)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "stepout: frame #%d is an inlined call in an outer frame: `finish` the frames below it "
                        "first",
                        f->level);
    /* the depth the pc must drop below: logical frames of this physical frame from f outwards */
    int depth = 0;
    for (size_t i = (size_t)level; i < sel->nframes && sel->frames[i].phys == f->phys; i++)
        depth++;
    stepper s = {.c = c, .th = th, .stop = stop, .err = err};
    uint64_t pc, sp, func;
    if (get_pc_sp(&s, &pc, &sp) < 0)
        return -1;
    where w;
    where_at(c, pc, &w);
    func = w.func;
    for (long n = 0; n < MAX_STEPS; n++) {
        cd_insn in;
        if (decode_at(c, pc, &in, err) < 0)
            return -1;
        if (in.kind == CD_INSN_CALL) {
            if (run_to(&s, pc + in.len, sp) < 0)
                return -1;
        } else if (single_step(&s) < 0) {
            return -1;
        }
        if (s.done)
            return 0;
        if (get_pc_sp(&s, &pc, &sp) < 0)
            return -1;
        if (user_bp_here(&s, pc))
            return 0;
        where_at(c, pc, &w);
        if (w.depth < depth || w.func != func || in.kind == CD_INSN_RET) {
            stop_clear(stop);
            stop->reason = CD_STOP_FINISHED;
            stop->tid = th->tid;
            stop->pc = pc;
            return 0;
        }
    }
    return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "stepout: still in the inlined call after %d instructions",
                    MAX_STEPS);
}
