/* Stepping, as gdb 13 steps: infrun.c's process_event_stop_test, kept to what x86-64 Linux needs.
 *
 * A step (step, next, until, finish out of an inlined call) has a range of addresses (the line
 * table entry the pc is in, or the whole function when it has no lines), a frame (gdb's frame id:
 * the physical frame's CFA, the code address of the logical frame, its inline depth) and the line
 * it steps. The thread single-steps (ops->step; the others stay held) and after each instruction
 * the stop is judged as gdb judges it, in gdb's order:
 *   - inside the range: go on;
 *   - `step` in the dynamic linker, a PLT or an IFUNC resolver: go on (through to the target);
 *   - in the signal trampoline: go on (rt_sigreturn returns to the interrupted code);
 *   - no line: stop (or, for `step` in code without any symbol, run out to the caller);
 *   - an inlined call that starts at the pc (shown at its call site, gdb's skip_inline_frames) in
 *     the frame being stepped: `step` enters it when its call site is the line being stepped and
 *     stops; `next` goes through it on that line and stops at a call site on another line;
 *   - deeper inside an inlined call of the frame: `step` stops, `next` goes on;
 *   - at the start of an entry of another line: stop if it is a statement; otherwise go on, without
 *     taking its line (same frame) or with no line (another frame);
 *   - else the range becomes the entry the pc is in, the frame and line the ones here: go on.
 * Calls are never single-stepped through: `next` plants a step-resume breakpoint at the return
 * address for this thread and frame and lets every thread run. `step` enters a function with line
 * info and runs to the end of its prologue as gdb's amd64_skip_prologue finds it; a function without
 * lines (or a PLT stub whose target has none) is run over in the same way.
 * A user breakpoint the thread reaches stops the step and is reported; so do signals with policy
 * `stop` and the end of the process. A signal with policy nostop/pass is delivered with the next
 * step; its handler runs at full speed back to where it interrupted. */
#include <dwarf.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"

#define MAX_STEPS 10000000 /* single steps in one step before giving up (a spin loop on one line) */
#define PLT_STEPS 200000   /* single steps through a lazy PLT resolver before running over it */

/* ---- the line table as gdb reads it ---- */

typedef struct rows {
    Dwarf_Lines *lines;
    size_t n;
    Dwarf_Addr bias;
    Dwarf_Die cu;
} rows;

typedef struct row {
    Dwarf_Addr a;
    int line;
    const char *file;
    bool stmt, eos;
    unsigned disc;
} row;

static bool rows_of(cd_ctl *c, uint64_t pc, rows *r)
{
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(c->sym), pc);
    return mod && cd_symtab_cu_at(c->sym, mod, pc, &r->cu, &r->bias) &&
           dwarf_getsrclines(&r->cu, &r->lines, &r->n) == 0 && r->n > 0;
}

static void row_get(const rows *r, size_t k, row *o)
{
    Dwarf_Line *l = dwarf_onesrcline(r->lines, k);
    memset(o, 0, sizeof *o);
    if (!l) {
        o->eos = true;
        return;
    }
    dwarf_lineaddr(l, &o->a);
    dwarf_lineno(l, &o->line);
    dwarf_linebeginstatement(l, &o->stmt);
    dwarf_lineendsequence(l, &o->eos);
    dwarf_linediscriminator(l, &o->disc);
    o->file = dwarf_linesrc(l, NULL, NULL);
}

static bool same_file(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

/* Is row k an entry of gdb's line table (gdb's DWARF reader, lnp_state_machine::record_line)? Not
 * the end of a sequence (a boundary), a line 0, a row that is not a statement where another file's
 * row starts at the same address, nor a row that repeats the line of the row before it when that
 * line had a non-zero discriminator (gdb PR 17276: a loop's basic blocks on one line are one entry). */
static bool row_entry(const rows *r, size_t k, const row *o)
{
    if (o->eos || o->line <= 0)
        return false;
    if (k == 0)
        return true;
    row p;
    row_get(r, k - 1, &p);
    if (p.eos)
        return true;
    if (!same_file(p.file, o->file))
        return p.a != o->a || o->stmt;
    if (p.line != o->line)
        return true;
    unsigned any = o->disc;
    for (size_t j = k; j > 0 && !any; j--) {
        row q;
        row_get(r, j - 1, &q);
        if (q.eos || q.line != o->line || !same_file(q.file, o->file))
            break;
        any |= q.disc;
    }
    return !any;
}

/* gdb's symtab_and_line for a pc (find_pc_line): the last entry at or below pc (a statement at the
 * same address preferred to one that is not), [pc, end) up to the next entry. line 0: none. */
typedef struct sal {
    int line;
    const char *file;
    uint64_t pc, end;
    bool stmt;
} sal;

static void find_sal(cd_ctl *c, uint64_t pc, sal *out)
{
    memset(out, 0, sizeof *out);
    out->pc = pc;
    rows r;
    if (!rows_of(c, pc, &r))
        return;
    uint64_t want = pc - r.bias;
    size_t lo = 0, hi = r.n; /* first row above want */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        Dwarf_Addr a = 0;
        dwarf_lineaddr(dwarf_onesrcline(r.lines, mid), &a);
        if (a <= want)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t best = SIZE_MAX;
    row b;
    for (size_t k = lo; k > 0; k--) {
        row_get(&r, k - 1, &b);
        if (b.eos)
            return; /* in a gap between sequences */
        if (row_entry(&r, k - 1, &b)) {
            best = k - 1;
            break;
        }
    }
    if (best == SIZE_MAX)
        return;
    for (size_t k = best; !b.stmt && k > 0; k--) {
        row p;
        row_get(&r, k - 1, &p);
        if (p.eos || p.a != b.a)
            break;
        if (row_entry(&r, k - 1, &p) && p.stmt)
            b = p;
    }
    out->line = b.line;
    out->file = b.file;
    out->stmt = b.stmt;
    out->pc = b.a + r.bias;
    for (size_t k = lo; k < r.n; k++) {
        row n;
        row_get(&r, k, &n);
        if (n.eos || row_entry(&r, k, &n)) {
            out->end = n.a + r.bias;
            break;
        }
    }
}

/* ---- code ---- */

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

/* The PLT section (.plt, .plt.sec, .plt.got) of its module addr is in: [*lo, *hi). */
static bool plt_section(cd_ctl *c, uint64_t addr, uint64_t *lo, uint64_t *hi)
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
        if (n && !strncmp(n, ".plt", 4) && addr - bias >= sh.sh_addr && addr - bias < sh.sh_addr + sh.sh_size) {
            *lo = sh.sh_addr + bias;
            *hi = sh.sh_addr + sh.sh_size + bias;
            return true;
        }
    }
    return false;
}

static bool in_plt(cd_ctl *c, uint64_t addr)
{
    uint64_t lo, hi;
    return plt_section(c, addr, &lo, &hi);
}

/* Is addr in the dynamic linker (its lazy-binding resolver)? */
static bool in_ld_so(cd_ctl *c, uint64_t addr)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(c->sym, addr, &pi);
    const char *m = n > 0 ? pi[n - 1].module : NULL;
    return m && (!strncmp(m, "ld-linux", 8) || !strncmp(m, "ld.so", 5) || !strncmp(m, "ld64.so", 7));
}

/* Is addr in an IFUNC resolver (the code an STT_GNU_IFUNC symbol names)? */
static bool in_ifunc_resolver(cd_ctl *c, uint64_t addr)
{
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(c->sym), addr);
    GElf_Off off;
    GElf_Sym sym;
    const char *n = mod ? dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL) : NULL;
    return n && GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC;
}

/* gdb's in_solib_dynsym_resolve_code: the dynamic linker, a PLT, an IFUNC resolver. */
static bool in_resolver(cd_ctl *c, uint64_t addr)
{
    return in_plt(c, addr) || in_ld_so(c, addr) || in_ifunc_resolver(c, addr);
}

/* glibc's __restore_rt: mov $15 (rt_sigreturn), %rax; syscall */
static bool is_sigreturn(cd_ctl *c, uint64_t pc)
{
    static const uint8_t code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};
    uint8_t b[9];
    return cd_target_read_full(c->t, pc, b, sizeof b) == 0 && !memcmp(b, code, sizeof b);
}

/* gdb's SIGTRAMP_FRAME: the pc is in the signal return trampoline. */
static bool in_sigtramp(cd_ctl *c, uint64_t pc)
{
    return is_sigreturn(c, pc) || is_sigreturn(c, pc - 7);
}

/* The function pc is in, [*lo, *hi): its ELF symbol, or its 16-byte PLT stub (gdb names it
 * "NAME@plt"). False when nothing bounds it (gdb: "Cannot find bounds of current function"). */
static bool func_bounds(cd_ctl *c, uint64_t pc, uint64_t *lo, uint64_t *hi)
{
    const char *name;
    uint64_t slo, shi;
    if (plt_section(c, pc, &slo, &shi)) {
        *lo = slo + (pc - slo) / 16 * 16;
        *hi = *lo + 16;
        return true;
    }
    return cd_symtab_func_bounds(c->sym, pc, &name, lo, hi);
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

/* ---- inlined calls and frames, as gdb 13 sees them ---- */

/* gdb 13's BLOCK_ENTRY_PC of an inlined call or function: the start of its first address range (gdb
 * 13 does not read DW_AT_entry_pc). */
static uint64_t block_entry(const cd_pcinfo *p)
{
    Dwarf_Addr bias, base, lo, hi;
    if (!p->has_die || !p->mod || !dwfl_module_getdwarf(p->mod, &bias))
        return p->func_addr;
    Dwarf_Die d = p->scope_die;
    if (dwarf_ranges(&d, 0, &base, &lo, &hi) > 0)
        return lo + bias;
    return p->func_addr;
}

static uint64_t block_end(const cd_pcinfo *p)
{
    Dwarf_Addr bias, base, lo, hi, end = 0;
    if (!p->has_die || !p->mod || !dwfl_module_getdwarf(p->mod, &bias))
        return 0;
    Dwarf_Die d = p->scope_die;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(&d, off, &base, &lo, &hi)) > 0)
        if (hi > end)
            end = hi;
    return end ? end + bias : 0;
}

static bool block_has(const cd_pcinfo *p, uint64_t addr)
{
    Dwarf_Addr bias;
    if (!p->has_die || !p->mod || !dwfl_module_getdwarf(p->mod, &bias))
        return false;
    Dwarf_Die d = p->scope_die;
    return dwarf_haspc(&d, addr - bias) > 0;
}

/* gdb's skip_inline_frames: how many of the innermost logical frames at pc are inlined calls that
 * start there (at their entry, or where pc - 1 is outside them: the start of one of their ranges).
 * They are shown as their call site until `step` enters them. */
static int inline_starts(const cd_pcinfo *pi, int n, uint64_t pc)
{
    int k = 0;
    while (k < n - 1 && pi[k].inlined && (block_entry(&pi[k]) == pc || !block_has(&pi[k], pc - 1)))
        k++;
    return k;
}

int ctl_stop_inline_skip(cd_ctl *c, pid_t tid, uint64_t pc, const char *bp_spec)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(c->sym, pc, &pi);
    int k = inline_starts(pi, n, pc);
    if (bp_spec && k > 0) {
        /* a breakpoint on the inlined function itself stops in it; so does one on a line: gdb gives
         * a line's location the innermost function at its address (block_containing_function), and
         * its code may be inlined several levels deep (c1.cpp:32, a constructor's initialiser, is
         * std::string's _Alloc_hider at -O2; gdb stops there with all five frames) */
        const char *colon = strrchr(bp_spec, ':');
        const char *num = colon ? colon + 1 : bp_spec;
        if (*num && strspn(num, "0123456789") == strlen(num))
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

/* gdb's frame_id of a logical frame: the physical frame's CFA, the code address (the function's
 * or the inlined call's entry), the inline depth. */
typedef struct fid {
    uint64_t cfa, code;
    int depth;
} fid;

static bool fid_eq(const fid *a, const fid *b)
{
    return a->cfa == b->cfa && a->code == b->code && a->depth == b->depth;
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
    bool cfa_ok;          /* cfa is the CFA of the thread's physical frame in function cfa_func */
    uint64_t cfa, cfa_func;
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
                const cd_pcinfo *pa, *pb;
                int na = cd_symtab_lookup(c->sym, pc0, &pa);
                uint64_t fa = pa[na - 1].func_addr;
                int nb = cd_symtab_lookup(c->sym, pc, &pb);
                uint64_t fb = pb[nb - 1].func_addr;
                if (fa != fb || fb == 0) {
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
        if (st.frames[i].phys != st.frames[0].phys && !st.frames[i].tailcall) {
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


/* ---- frames at the thread's pc ---- */

/* The logical frames at pc; with the inlined calls that start there hidden as gdb hides them. */
typedef struct here {
    uint64_t pc;
    const cd_pcinfo *pi;
    int n;    /* logical frames, innermost first */
    int skip; /* the innermost ones hidden: pi[skip] is the frame shown */
} here;

static void here_at(cd_ctl *c, uint64_t pc, bool hide, here *h)
{
    h->pc = pc;
    h->n = cd_symtab_lookup(c->sym, pc, &h->pi);
    h->skip = hide ? inline_starts(h->pi, h->n, pc) : 0;
}

/* gdb's get_frame_func of the physical frame */
static uint64_t phys_code(const here *h)
{
    const cd_pcinfo *p = &h->pi[h->n - 1];
    return p->has_die ? block_entry(p) : p->func_addr;
}

/* The CFA of the thread's physical frame 0 (in function func). An unwind, done again only after
 * the thread may have changed frames (a return, a call entered, another function). */
static uint64_t cur_cfa(stepper *s, uint64_t func)
{
    if (!s->cfa_ok || s->cfa_func != func) {
        cd_stack st;
        cd_err e;
        s->cfa = 0;
        if (cd_unwind_thread(s->c->unw, s->th, 2, &st, &e) == 0) {
            if (st.n > 0)
                s->cfa = st.frames[0].cfa;
            cd_stack_free(&st);
        }
        s->cfa_ok = true;
        s->cfa_func = func;
    }
    return s->cfa;
}

/* The frame id of logical frame k at the thread's pc. */
static fid fid_of(stepper *s, const here *h, int k)
{
    fid f = {.cfa = cur_cfa(s, phys_code(h)), .depth = h->n - 1 - k};
    f.code = k < h->n - 1 ? block_entry(&h->pi[k]) : phys_code(h);
    return f;
}

/* gdb's stepped_in_from: is frame `want` one of the frames around logical frame k in its physical
 * frame (k is inside an inlined call made from it)? */
static bool stepped_in_from(stepper *s, const here *h, int k, const fid *want)
{
    for (int j = k + 1; j < h->n; j++) {
        fid f = fid_of(s, h, j);
        if (fid_eq(&f, want))
            return true;
    }
    return false;
}

static const char *base_name(const char *p)
{
    const char *b = p ? strrchr(p, '/') : NULL;
    return b ? b + 1 : p ? p : "";
}

/* Two source names from different tables (the line table's, the symbols' absolute ones) */
static bool same_src(const char *a, const char *b)
{
    return !strcmp(base_name(a), base_name(b));
}

/* ---- where `step` stops in a function it enters ---- */

static bool cu_is_asm(Dwarf_Die *cu)
{
    return dwarf_srclang(cu) == DW_LANG_Mips_Assembler;
}

/* gdb's producer_is_llvm: the producer string begins "clang " (Debian's "Debian clang version"
 * does not) */
static bool cu_is_llvm(Dwarf_Die *cu)
{
    Dwarf_Attribute at;
    const char *p = dwarf_attr_integrate(cu, DW_AT_producer, &at) ? dwarf_formstring(&at) : NULL;
    return p && (!strncmp(p, "clang ", 6) || !strncmp(p, " F90 Flang ", 11));
}

/* Where `step` into the function [start, end) stops: gdb's handle_step_into_function, with
 * amd64_skip_prologue: past `push %rbp; mov %rsp,%rbp` (after an endbr64) when the function sets
 * up a frame pointer, else at its entry; then on to the end of the line entry when that lands in
 * the middle of one. No prologue is skipped in assembly. (For an LLVM producer gdb uses the line
 * table: prologue_end, as `break` does.) */
static uint64_t step_into_addr(cd_ctl *c, uint64_t start, uint64_t end)
{
    rows r;
    if (!rows_of(c, start, &r) || cu_is_asm(&r.cu))
        return start;
    uint64_t pc = start;
    if (cu_is_llvm(&r.cu)) {
        pc = cd_symtab_skip_prologue(c->sym, start);
    } else {
        uint8_t b[8];
        if (cd_target_read_full(c->t, start, b, sizeof b) < 0)
            return start;
        size_t i = 0;
        if (b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
            i = 4;
        if (b[i] == 0x55 && b[i + 1] == 0x48 &&
            ((b[i + 2] == 0x89 && b[i + 3] == 0xe5) || (b[i + 2] == 0x8b && b[i + 3] == 0xec)))
            pc = start + i + 4;
    }
    sal sl;
    find_sal(c, pc, &sl);
    if (sl.line > 0 && sl.end && sl.pc != pc && sl.end < end)
        pc = sl.end;
    return pc;
}

/* ---- line steps ---- */

/* What a line step is doing (gdb's thread_control_state). */
typedef struct stepctx {
    bool over;           /* next, until, finish: calls are run, not entered (STEP_OVER_ALL) */
    uint64_t lo, hi;     /* the step range [lo, hi) */
    fid frame;           /* the frame being stepped (gdb's step_frame_id) */
    int line;            /* the line being stepped (gdb's current_line; 0 none) */
    const char *file;
    uint64_t start_func; /* the function the step began in (gdb's step_start_function) */
    bool start_resolver; /* ... dynamic-linker code */
} stepctx;

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
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(s->c->sym, pc, &pi);
    s->stop->step_no_line = pi[skip < n ? skip : n - 1].line <= 0;
    s->done = true;
}

/* The step ends at h (the frame shown: h->skip). */
static void step_stop(stepper *s, const stepctx *x, const here *h)
{
    fid f = fid_of(s, h, h->skip);
    finish_step_skip(s, h->pc, !fid_eq(&f, &x->frame) || phys_code(h) != x->start_func, h->skip);
}

enum { GO_ON, STOPPED, RUN_OUT };

/* gdb's process_event_stop_test for the stepping thread, stopped at pc: GO_ON (x updated),
 * STOPPED (s->stop filled), RUN_OUT (code without any symbol: to be run out of to the caller). */
static int judge(stepper *s, stepctx *x, uint64_t pc)
{
    cd_ctl *c = s->c;
    if (pc >= x->lo && pc < x->hi)
        return GO_ON;
    if (!x->over && !x->start_resolver && in_resolver(c, pc))
        return GO_ON; /* through the dynamic linker to the function it binds */
    if (in_sigtramp(c, pc))
        return GO_ON; /* through rt_sigreturn to where the signal interrupted */
    here h;
    here_at(c, pc, true, &h);
    sal sl;
    find_sal(c, pc, &sl);
    if (sl.line == 0) {
        if (!x->over && !h.pi[h.n - 1].func && !in_plt(c, pc))
            return RUN_OUT;
        step_stop(s, x, &h);
        return STOPPED;
    }
    fid cur = fid_of(s, &h, h.skip);
    if (h.skip > 0 && fid_eq(&cur, &x->frame)) {
        /* an inlined call starts here, made by the frame being stepped. On the line being stepped
         * `step` enters it and `next` goes through it; a call site on another line stops both. */
        bool same = h.pi[h.skip].line == x->line && same_src(h.pi[h.skip].file, x->file);
        if (x->over && same)
            return GO_ON;
        if (!x->over && same)
            h.skip--;
        step_stop(s, x, &h);
        return STOPPED;
    }
    if (h.skip < h.n - 1 && !fid_eq(&cur, &x->frame) && stepped_in_from(s, &h, h.skip, &x->frame)) {
        /* deeper in an inlined call of the frame being stepped */
        if (x->over)
            return GO_ON;
        step_stop(s, x, &h);
        return STOPPED;
    }
    bool refresh = true;
    if (pc == sl.pc && (sl.line != x->line || !same_src(sl.file, x->file))) {
        if (sl.stmt) {
            step_stop(s, x, &h);
            return STOPPED;
        }
        /* the start of an entry that is not a statement: no place to stop. In the same frame the
         * line being stepped stays; in another one no line does (a later statement of this same
         * line then stops the step) */
        if (fid_eq(&cur, &x->frame))
            refresh = false;
        else
            sl.line = 0;
    }
    /* in the middle of a line (a jump into it, a return to the caller), or a new entry of the same
     * line: that entry is the range now, and (refresh) this frame and line the ones stepped */
    x->lo = sl.pc;
    x->hi = sl.end;
    if (refresh) {
        x->frame = cur;
        x->line = sl.line;
        x->file = sl.file;
    }
    return GO_ON;
}

/* Lazy binding: the thread is at the first instruction of a PLT stub whose GOT slot still points
 * back into the PLT. Follows the stub and the resolver one instruction at a time (gdb runs _dl_fixup
 * to its end the same way; the few thousand steps cost well under a second), the resolver's own
 * calls (_dl_fixup, an IFUNC's selector) at full speed: only its jump to the bound function
 * matters. *dest: where it went, 0 when the resolver was run over to the return address. */
static int follow_lazy_plt(stepper *s, uint64_t ret, uint64_t call_sp, uint64_t *dest)
{
    uint64_t pc, sp;
    *dest = 0;
    if (get_pc_sp(s, &pc, &sp) < 0)
        return -1;
    for (int i = 0; i < PLT_STEPS && in_resolver(s->c, pc); i++) {
        cd_insn in;
        if (decode_at(s->c, pc, &in, s->err) < 0)
            return -1;
        if (in.kind == CD_INSN_CALL ? run_to(s, pc + in.len, sp) < 0 : single_step(s) < 0)
            return -1;
        if (s->done)
            return 0;
        if (get_pc_sp(s, &pc, &sp) < 0)
            return -1;
    }
    if (in_resolver(s->c, pc))
        return run_to(s, ret, call_sp);
    *dest = pc;
    return 0;
}

/* `step` went into a call at target (the thread is at its first instruction, sp just past the
 * pushed return address): stop past its prologue when it has line info, else run it (the caller
 * then goes on judging at the return address). */
static int entered_call(stepper *s, stepctx *x, uint64_t target, uint64_t ret, uint64_t call_sp)
{
    cd_ctl *c = s->c;
    s->cfa_ok = false;
    uint64_t dest = target;
    if (in_plt(c, target)) {
        dest = plt_target(c, target);
        if (!dest) {
            if (follow_lazy_plt(s, ret, call_sp, &dest) < 0)
                return -1;
            if (s->done || !dest)
                return 0;
        }
    }
    uint64_t lo = dest, hi = 0;
    if (!func_bounds(c, dest, &lo, &hi))
        lo = dest;
    sal fs;
    find_sal(c, lo, &fs);
    if (fs.line == 0 || in_resolver(c, dest))
        return run_to(s, ret, call_sp); /* no line info: run over it */
    uint64_t body = step_into_addr(c, lo, hi ? hi : lo + 1);
    uint64_t pc;
    if (get_pc_sp(s, &pc, NULL) < 0)
        return -1;
    if (pc != body) {
        /* the breakpoint is for this thread only; the return one catches a callee that returns
         * first (a different IFUNC implementation than the one bound, or a body not reached) */
        cd_bp *rb = cd_ctl_internal_add(c, CD_BPP_STEP_RESUME, &ret, 1, s->th->tid, call_sp, s->err);
        if (!rb)
            return -1;
        cd_bp *bb = cd_ctl_internal_add(c, CD_BPP_STEP_RESUME, &body, 1, s->th->tid, 0, s->err);
        if (!bb) {
            ctl_internal_drop(c, rb);
            return -1;
        }
        int rc;
        for (;;) {
            rc = ctl_run(c, s->stop, s->err);
            if (rc < 0 || s->stop->reason != CD_STOP_INTERNAL)
                break;
            if (s->stop->bp_id == rb->id || s->stop->bp_id == bb->id)
                break;
        }
        bool at_body = rc == 0 && s->stop->reason == CD_STOP_INTERNAL && s->stop->bp_id == bb->id;
        bool back = rc == 0 && s->stop->reason == CD_STOP_INTERNAL && s->stop->bp_id == rb->id;
        ctl_internal_drop(c, rb);
        ctl_internal_drop(c, bb);
        if (rc < 0)
            return -1;
        s->cfa_ok = false;
        if (back) {
            stop_clear(s->stop);
            return 0;
        }
        if (!at_body) {
            s->done = true;
            return 0;
        }
        pc = body;
        if (user_bp_here(s, pc))
            return 0;
    }
    here h;
    here_at(c, pc, true, &h);
    step_stop(s, x, &h);
    return 0;
}

/* Steps until judge() ends the step (or a breakpoint, a signal, the exit does). */
static int step_loop(stepper *s, stepctx *x)
{
    cd_ctl *c = s->c;
    uint64_t pc, sp;
    if (get_pc_sp(s, &pc, &sp) < 0)
        return -1;
    for (long n = 0; n < MAX_STEPS; n++) {
        cd_insn in;
        if (decode_at(c, pc, &in, s->err) < 0)
            return -1;
        if (in.kind == CD_INSN_CALL) {
            uint64_t ret = pc + in.len;
            if (x->over || in_resolver(c, pc)) {
                if (run_to(s, ret, sp) < 0)
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
                    if (entered_call(s, x, target, ret, sp) < 0)
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
            if (in.kind == CD_INSN_RET)
                s->cfa_ok = false;
        }
        if (get_pc_sp(s, &pc, &sp) < 0)
            return -1;
        if (user_bp_here(s, pc))
            return 0;
        for (;;) {
            int r = judge(s, x, pc);
            if (r == STOPPED)
                return 0;
            if (r == GO_ON)
                break;
            /* in code without any symbol (gdb: "stepped into undebuggable function"): run out of
             * it to its caller and judge there */
            uint64_t ret, cfa;
            if (caller_of_frame0(s, &ret, &cfa) < 0)
                return -1;
            if (run_to(s, ret, cfa) < 0 || s->done)
                return s->done ? 0 : -1;
            s->cfa_ok = false;
            if (get_pc_sp(s, &pc, &sp) < 0)
                return -1;
        }
    }
    return cd_failk(s->err, CD_EXIT_CMD, CD_EK_LIMIT, "step: still stepping after %d instructions; stopped",
                    MAX_STEPS);
}

/* One line step (step, next, until) of the thread, which shows the inlined calls starting at its
 * pc as their call site when skip > 0 (gdb's step_once). */
static int step_line(stepper *s, cd_step_kind kind, int skip)
{
    cd_ctl *c = s->c;
    uint64_t pc;
    if (get_pc_sp(s, &pc, NULL) < 0)
        return -1;
    here h;
    here_at(c, pc, false, &h);
    h.skip = skip < h.n ? skip : h.n - 1;
    stepctx x = {.over = kind != CD_STEP_LINE_INTO};
    x.frame = fid_of(s, &h, h.skip);
    x.start_func = phys_code(&h);
    /* gdb's step_start_function is a function with debug info: a PLT stub is none */
    x.start_resolver = h.pi[h.n - 1].has_die && in_resolver(c, x.start_func);
    sal sl;
    find_sal(c, pc, &sl);
    x.lo = sl.pc;
    x.hi = sl.end;
    if (h.skip > 0) {
        /* the line is the call site; the range ends where the inlined call does */
        x.line = h.pi[h.skip].line;
        x.file = h.pi[h.skip].file;
        uint64_t e = block_end(&h.pi[h.skip - 1]);
        if (e && e < x.hi)
            x.hi = e;
    } else {
        x.line = sl.line;
        x.file = sl.file;
    }
    if (kind == CD_STEP_UNTIL && sl.line > 0 && sl.end) {
        /* never back into the loop: the range starts at the function's entry, and takes in the
         * entries of the same line after it that are not statements (gdb's until_next_command) */
        x.lo = phys_code(&h);
        sal f;
        find_sal(c, x.hi, &f);
        while (f.line == sl.line && same_src(f.file, sl.file) && !f.stmt && f.end > x.hi) {
            x.hi = f.end;
            find_sal(c, x.hi, &f);
        }
    }
    if (sl.line == 0 || !x.hi) {
        /* no line info: the whole function is the range (gdb: "Single stepping until exit from
         * function X, which has no line number information") */
        if (!func_bounds(c, pc, &x.lo, &x.hi))
            return cd_failk(s->err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                            "cannot step: no line information and no function around 0x%llx; use stepi",
                            (unsigned long long)pc);
    }
    return step_loop(s, &x);
}

static int step_insn(stepper *s, cd_step_kind kind)
{
    uint64_t pc, sp;
    if (get_pc_sp(s, &pc, &sp) < 0)
        return -1;
    here a;
    here_at(s->c, pc, false, &a);
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
    here b;
    here_at(s->c, pc, false, &b);
    sal sl;
    find_sal(s->c, pc, &sl);
    /* after stepi gdb shows the innermost frame (no call site); the address too unless the pc
     * starts a line table entry */
    finish_step_skip(s, pc, phys_code(&a) != phys_code(&b) || a.n != b.n || sl.line == 0 || sl.pc != pc, 0);
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
    stepper s = {.c = c, .th = th, .stop = stop, .err = err};
    uint64_t pc;
    if (get_pc_sp(&s, &pc, NULL) < 0)
        return -1;
    here h;
    here_at(c, pc, false, &h);
    /* gdb's finish out of an inlined frame: a `next` in its caller with an empty range and no
     * line, which ends as soon as the thread is in no call made by that frame */
    int outer = 0;
    for (size_t i = (size_t)level + 1; i < sel->nframes && sel->frames[i].phys == f->phys; i++)
        outer++;
    int k = h.n - outer;
    if (k < 1 || k > h.n - 1)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "stepout: frame #%d is not an inlined call here",
                        f->level);
    stepctx x = {.over = true, .lo = pc, .hi = pc};
    x.frame = fid_of(&s, &h, k);
    x.start_func = phys_code(&h);
    int rc = step_loop(&s, &x);
    if (rc == 0 && stop->reason == CD_STOP_STEP) {
        stop->reason = CD_STOP_FINISHED;
        stop->frame_changed = false;
    }
    return rc;
}
