/* Fast breakpoints: a breakpoint with an ignore count lets the program pass its ignored hits
 * without a ptrace stop. While the program runs its int3 is a jmp to a stub that counts the hit
 * and stops (an int3 the backend reports as the breakpoint's hit) only when the ignore count is
 * spent (src/target/codepatch.h). At every stop the int3 is back and the hits the stub passed over
 * are added to the breakpoint's books, so everything that looks at a stopped program (stepping,
 * `info breakpoints`, disassembly, detach) sees an ordinary breakpoint.
 *
 * Only what the stub decides exactly as ctl_user_hit() would is armed: a user breakpoint, enabled,
 * with one location that no other breakpoint shares, no hit-count condition or trace, and an ignore
 * count or a SIMPLE condition: a comparison (== != < <= > >=) of an integer, bool or pointer local
 * or parameter with an integer constant, or && / || of two. The variable's DWARF location at the
 * breakpoint's address must be a register, or memory at a register plus an offset (DW_OP_bregN,
 * DW_OP_fbreg over a frame base that is a register or the CFA, the CFA's rule from the CFI), so the
 * stub compares it as the CPU holds it there; the expression layer parses the condition and names
 * the variable's DIE, exactly as it would to evaluate it. Everything else, and every address the patch cannot be put at (a branch into
 * the covered bytes, an instruction that cannot be moved), stays on the ptrace path.
 * CDBG_FASTBP=0 in the environment keeps every breakpoint there (for comparisons). */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"
#include "target/codepatch.h"

/* DWARF register numbers -> x86 encodings */
static const int dw2x86[16] = {0, 2, 1, 3, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15};

/* A one-op location "register" or "register + offset" at pc: *mem false for DW_OP_regN. */
static bool reg_op(const Dwarf_Op *op, int *reg, int64_t *off, bool *mem)
{
    uint8_t a = op->atom;
    uint64_t r;
    *off = 0;
    if (a >= DW_OP_reg0 && a <= DW_OP_reg31)
        r = a - DW_OP_reg0, *mem = false;
    else if (a == DW_OP_regx)
        r = op->number, *mem = false;
    else if (a >= DW_OP_breg0 && a <= DW_OP_breg31)
        r = a - DW_OP_breg0, *off = (int64_t)op->number, *mem = true;
    else if (a == DW_OP_bregx)
        r = op->number, *off = (int64_t)op->number2, *mem = true;
    else
        return false;
    if (r > 15)
        return false;
    *reg = dw2x86[r];
    return true;
}

/* The CFA at pc (module-relative dpc) as register + offset, from the module's CFI. */
static bool cfa_rule(Dwfl_Module *mod, uint64_t pc, int *reg, int64_t *off)
{
    Dwarf_Addr bias;
    Dwarf_CFI *cfi = dwfl_module_dwarf_cfi(mod, &bias);
    Dwarf_Frame *fr = NULL;
    if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &fr) != 0) {
        cfi = dwfl_module_eh_cfi(mod, &bias);
        if (!cfi || dwarf_cfi_addrframe(cfi, pc - bias, &fr) != 0)
            return false;
    }
    Dwarf_Op *ops;
    size_t n;
    bool mem, ok = dwarf_frame_cfa(fr, &ops, &n) == 0 && n == 1 && reg_op(&ops[0], reg, off, &mem) && mem;
    free(fr);
    return ok;
}

/* Where variable die is at pc, as the stub can read it. */
static bool var_where(const cd_frame *f, Dwarf_Die *die, uint64_t pc, cd_fastcmp *out)
{
    Dwarf_Attribute at;
    Dwarf_Addr bias;
    if (!dwarf_attr_integrate(die, DW_AT_location, &at) || !dwfl_module_getdwarf(f->info.mod, &bias))
        return false;
    Dwarf_Op *ops;
    size_t n;
    if (dwarf_getlocation_addr(&at, pc - bias, &ops, &n, 1) != 1 || n != 1)
        return false;
    int reg;
    int64_t off;
    bool mem;
    if (ops[0].atom == DW_OP_fbreg) {
        int64_t fboff = (int64_t)ops[0].number;
        Dwarf_Die fn = f->info.scope_die;
        Dwarf_Attribute fa;
        Dwarf_Op *fops;
        size_t fn_n;
        if (!dwarf_attr_integrate(&fn, DW_AT_frame_base, &fa) || dwarf_getlocation_addr(&fa, pc - bias, &fops, &fn_n, 1) != 1 ||
            fn_n != 1)
            return false;
        if (fops[0].atom == DW_OP_call_frame_cfa) {
            if (!cfa_rule(f->info.mod, pc, &reg, &off))
                return false;
        } else if (!reg_op(&fops[0], &reg, &off, &mem) || mem) {
            return false; /* a frame base in memory (DW_OP_bregN) would be one more load */
        }
        off += fboff;
        mem = true;
    } else if (!reg_op(&ops[0], &reg, &off, &mem)) {
        return false;
    }
    if (off < INT32_MIN + 256 || off > INT32_MAX - 256 || (!mem && reg == 4))
        return false;
    out->reg = reg;
    out->mem = mem;
    out->off = (int32_t)off;
    return true;
}

static bool const_of(const cd_expr *e, int64_t *v)
{
    bool neg = false;
    if (e->kind == E_UNARY && e->op == OP_NEG)
        e = e->a, neg = true;
    if (e->kind != E_INT || e->is_unsigned || e->ival > (unsigned __int128)INT32_MAX)
        return false;
    *v = neg ? -(int64_t)e->ival : (int64_t)e->ival;
    return true;
}

static bool compile_cmp(cd_ectx *x, const cd_frame *f, const cd_var *vars, int nvars, const cd_expr *e,
                        cd_fastcmp *out)
{
    static const int ops[] = {OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE};
    static const cd_fcmp_op swapped[] = {CD_FCMP_EQ, CD_FCMP_NE, CD_FCMP_GT, CD_FCMP_GE, CD_FCMP_LT, CD_FCMP_LE};
    if (e->kind != E_BINARY)
        return false;
    int k = 0;
    while (k < 6 && ops[k] != e->op)
        k++;
    if (k == 6)
        return false;
    const cd_expr *v = e->a, *cst = e->b;
    cd_fcmp_op op = (cd_fcmp_op)k;
    if (v->kind != E_IDENT) {
        v = e->b, cst = e->a;
        op = swapped[k];
    }
    int64_t imm;
    if (v->kind != E_IDENT || !const_of(cst, &imm))
        return false;
    /* the name as the expression layer resolves it: the innermost local or parameter */
    const cd_var *var = NULL;
    for (int i = 0; i < nvars && !var; i++)
        if (!strcmp(vars[i].name, v->str))
            var = &vars[i];
    if (!var)
        return false; /* a global, a register name...: the run loop evaluates it */
    Dwarf_Die die = var->die;
    cd_type *ty = cd_type_of_die(x->vs, &die);
    ty = ty ? cd_type_strip(ty) : NULL;
    if (!ty || !(ty->kind == TY_INT || ty->kind == TY_BOOL || ty->kind == TY_PTR) ||
        !(ty->size == 1 || ty->size == 2 || ty->size == 4 || ty->size == 8))
        return false;
    bool sgn = ty->kind == TY_INT && ty->is_signed;
    /* the constant converted to the variable's type must keep its value (C's conversions then
     * agree with a comparison at the variable's width) */
    if (ty->size < 8) {
        int64_t lo = sgn ? -(1ll << (8 * ty->size - 1)) : 0;
        int64_t hi = sgn ? (1ll << (8 * ty->size - 1)) - 1 : (int64_t)((1ull << (8 * ty->size)) - 1);
        if (imm < lo || imm > hi)
            return false;
    } else if (!sgn && imm < 0) {
        return false;
    }
    if (ty->size == 4 && !sgn && imm > INT32_MAX)
        return false;
    memset(out, 0, sizeof *out);
    if (!var_where(f, &die, f->pc, out))
        return false;
    out->size = (int)ty->size;
    out->is_signed = sgn;
    out->op = op;
    out->imm = imm;
    return true;
}

/* b's condition as a stub rule at addr, false when it is not simple (the run loop evaluates it). */
static bool compile_cond(cd_ctl *c, const char *cond, uint64_t addr, cd_fastrule *rule)
{
    memset(rule, 0, sizeof *rule);
    const cd_pcinfo *pi;
    if (cd_symtab_lookup(c->sym, addr, &pi) < 1 || pi[0].inlined || !pi[0].has_die || !pi[0].mod)
        return false;
    cd_frame f;
    memset(&f, 0, sizeof f);
    f.pc = f.lookup_pc = addr;
    f.info = pi[0];
    cd_scope sc = {.target = c->t, .sym = c->sym, .frame = &f, .frames = &f, .nframes = 1, .vs = c->vs};
    cd_arena ar = {0};
    cd_err err;
    cd_ectx x;
    cd_ectx_init(&x, &sc, &ar, &err);
    cd_var *vars = NULL;
    bool ok = false;
    cd_expr *e = cd_expr_parse(&ar, cond, cd_ectx_is_typename, &x, &err);
    int nv;
    if (!e || cd_ectx_is_cxx(&x) || (nv = cd_frame_vars(&x, true, true, &vars, &err)) < 0)
        goto out;
    if (e->kind == E_BINARY && (e->op == OP_LAND || e->op == OP_LOR)) {
        rule->n = 2;
        rule->any = e->op == OP_LOR;
        ok = compile_cmp(&x, &f, vars, nv, e->a, &rule->c[0]) && compile_cmp(&x, &f, vars, nv, e->b, &rule->c[1]);
    } else {
        rule->n = 1;
        ok = compile_cmp(&x, &f, vars, nv, e, &rule->c[0]);
    }
out:
    free(vars);
    cd_arena_free(&ar);
    return ok;
}

static bool qualifies(cd_ctl *c, cd_bp *b, cd_fastrule *rule)
{
    memset(rule, 0, sizeof *rule);
    if (b->kind != CD_BPK_USER || !b->enabled || b->pending || b->trace || b->watch || b->hit_op[0] ||
        (b->ignore == 0 && !b->cond) || b->ignore > (unsigned long)INT64_MAX / 2 || b->nlocs != 1 ||
        !b->locs[0].inserted)
        return false;
    if (b->cond && !compile_cond(c, b->cond, b->locs[0].addr, rule))
        return false;
    uint64_t a = b->locs[0].addr;
    if (ctl_bp_at(c, a, NULL) != b || ctl_bp_at(c, a, b) != NULL)
        return false;
    /* The jmp covers up to CD_X86_HEAD_MAX bytes from a, and another fast breakpoint's jmp may cover a: an int3
     * of any other breakpoint (user, internal, a tracepoint) within that reach would be overwritten
     * by a jmp or land in the middle of one, and the program would crash. */
    for (size_t i = 0; i < c->nbps; i++) {
        const cd_bp *o = c->bps[i];
        if (o == b)
            continue;
        for (size_t k = 0; k < o->nlocs; k++) {
            uint64_t l = o->locs[k].addr;
            if (l + CD_X86_HEAD_MAX > a && l < a + CD_X86_HEAD_MAX)
                return false;
        }
    }
    return true;
}

static struct ctl_fastbp *entry(cd_ctl *c, cd_bp *b)
{
    for (size_t i = 0; i < c->nfast; i++)
        if (c->fast[i].bp_id == b->id && c->fast[i].addr == b->locs[0].addr)
            return &c->fast[i];
    return NULL;
}

void ctl_fast_arm(cd_ctl *c)
{
    const char *env = getenv("CDBG_FASTBP");
    /* (the patcher is made by the first arm: a program never patched is left as before) */
    if ((env && !strcmp(env, "0")) || !c->t->caps.can_run)
        return;
    for (size_t i = 0; i < c->nbps; i++)
        if (c->bps[i]->watch)
            return; /* a watchpoint's trap in a stub's copy of an instruction would show the stub's pc */
    for (size_t i = 0; i < c->nbps; i++) {
        cd_bp *b = c->bps[i];
        cd_fastrule rule;
        if (!qualifies(c, b, &rule))
            continue;
        struct ctl_fastbp *e = entry(c, b);
        bool fresh = !e;
        if (fresh) {
            if (c->nfast == CTL_FAST_MAX)
                continue;
            e = &c->fast[c->nfast++];
            memset(e, 0, sizeof *e);
            e->bp_id = b->id;
            e->addr = b->locs[0].addr;
        }
        /* every piece of the function (a .cold part jumps back into the middle); a function whose
         * pieces cannot all be known keeps its int3 */
        uint64_t pieces[16][2];
        size_t npieces = 0;
        cd_err err;
        if (cd_symtab_func_extent(c->sym, e->addr, pieces, 16, &npieces) != 1 ||
            cd_fastbp_arm(c->t, e->addr, (const uint64_t(*)[2])pieces, npieces, (int64_t)b->ignore,
                          !fresh && b->ignore == e->synced, &rule, &e->stub, &err) < 0) {
            if (fresh)
                c->nfast--; /* stays an int3 */
            continue;
        }
        int64_t ig;
        if (!cd_fastbp_counts(c->t, e->stub, &e->hits, &ig)) {
            cd_fastbp_disarm(c->t, e->addr, &err);
            continue;
        }
        e->ignore = ig;
        e->synced = b->ignore;
        e->armed = true;
    }
}

void ctl_fast_disarm(cd_ctl *c)
{
    for (size_t i = 0; i < c->nfast;) {
        struct ctl_fastbp *e = &c->fast[i];
        cd_err err;
        if (e->armed)
            cd_fastbp_disarm(c->t, e->addr, &err);
        e->armed = false;
        cd_bp *b = cd_ctl_bp_find(c, e->bp_id);
        uint64_t h;
        int64_t ig;
        if (!b || b->nlocs != 1 || b->locs[0].addr != e->addr || !cd_fastbp_counts(c->t, e->stub, &h, &ig)) {
            /* the breakpoint or the process is gone: a thread still in the stub is the backend's */
            c->fast[i] = c->fast[--c->nfast];
            continue;
        }
        /* the stub's hits since the last look; a thread that was inside the stub when it was
         * disarmed may still move them on later, so this runs at every stop */
        b->hits += h - e->hits;
        /* The stub's count goes below zero while threads that spent it have their traps to come
         * (each gives one back), where the breakpoint's stays at zero: the count as it would be
         * unclamped is the breakpoint's, plus what was clamped away at the last look, plus what
         * the stub did since (the run loop may have counted hits too, when it was not armed). */
        int64_t left = (int64_t)b->ignore + (e->ignore < 0 ? e->ignore : 0) + (ig - e->ignore);
        b->ignore = left > 0 ? (unsigned long)left : 0;
        e->hits = h;
        e->ignore = ig;
        e->synced = b->ignore;
        i++;
    }
}
