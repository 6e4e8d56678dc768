/* DWARF location expressions (DWARF 5 section 2.5/2.6) evaluated against the selected frame:
 * registers come from the unwinder's per-frame registers, the frame base from DW_AT_frame_base
 * (usually DW_OP_call_frame_cfa, i.e. cd_frame.cfa), memory through the target. */
#include "expr/expr_int.h"

#include <dwarf.h>
#include <gelf.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

bool cd_frame_reg(cd_ectx *x, int regno, uint64_t *val)
{
    const cd_frame *f = x->frame;
    if (!f || regno < 0 || regno >= CD_NDWREGS)
        return false;
    /* rbx in caller frames: the unwinder already works around elfutils' default x86-64 CFI. */
    if (!(f->regs_valid & (1u << regno)))
        return false;
    *val = f->regs[regno];
    return true;
}

/* xmm0..15 are DWARF 17..32; only the innermost physical frame has them (callee-clobbered). */
static bool frame_xmm(cd_ectx *x, int regno, uint8_t out[16])
{
    if (!x->frame || x->frame->phys != 0 || !x->th || !x->t || regno < 17 || regno > 32)
        return false;
    struct user_fpregs_struct fp;
    cd_err e;
    if (x->t->ops->get_fpregs(x->t, x->th, &fp, &e) != 0)
        return false;
    memcpy(out, (uint8_t *)fp.xmm_space + (regno - 17) * 16, 16);
    return true;
}

/* A register's value as a DWARF expression reads it: a general register whole, an xmm register's
 * low 8 bytes (DW_OP_regval_type of a double or float). */
static bool frame_reg_word(cd_ectx *x, int regno, uint64_t *val)
{
    uint8_t xb[16];
    if (regno >= 17 && regno <= 32) {
        if (!frame_xmm(x, regno, xb))
            return false;
        memcpy(val, xb, 8);
        return true;
    }
    return cd_frame_reg(x, regno, val);
}

/* The byte size of the base type a typed DWARF operation names (its second operand), 0 if none. */
static uint64_t op_type_size(Dwarf_Attribute *attr, Dwarf_Op *o)
{
    Dwarf_Die bt;
    Dwarf_Attribute ba;
    Dwarf_Word bsz = 0;
    if (!attr || dwarf_getlocation_die(attr, o, &bt) != 0 || !dwarf_attr(&bt, DW_AT_byte_size, &ba) ||
        dwarf_formudata(&ba, &bsz) != 0)
        return 0;
    return bsz;
}

/* A DWARF stack entry's type (DWARF 5 section 2.5.1): the generic type (enc 0: an address-sized
 * integer), or the base type a typed operation named. Floating types need real arithmetic: gcc
 * -O2 describes `double r = p->y / 3.0` as deref_type <float>, convert <double>, const_type
 * <double> 3.0, div, and `-p->y` as deref_type <float>, neg. */
typedef struct lty {
    uint8_t enc;  /* 0 generic, else DW_ATE_* */
    uint8_t size; /* bytes, 1..8 */
} lty;

static bool op_base_type(Dwarf_Attribute *attr, Dwarf_Op *o, lty *out)
{
    Dwarf_Die bt;
    Dwarf_Attribute ba;
    Dwarf_Word bsz = 0, enc = 0;
    if (!attr || dwarf_getlocation_die(attr, o, &bt) != 0 || dwarf_tag(&bt) != DW_TAG_base_type ||
        !dwarf_attr(&bt, DW_AT_byte_size, &ba) || dwarf_formudata(&ba, &bsz) != 0)
        return false;
    if (dwarf_attr(&bt, DW_AT_encoding, &ba))
        dwarf_formudata(&ba, &enc);
    if (bsz == 0 || bsz > 8 || enc > 0xff)
        return false;
    out->enc = (uint8_t)enc;
    out->size = (uint8_t)bsz;
    return true;
}

static bool lty_float(lty t)
{
    return t.enc == DW_ATE_float;
}

static bool lty_unsigned(lty t)
{
    return t.enc == DW_ATE_unsigned || t.enc == DW_ATE_unsigned_char || t.enc == DW_ATE_boolean ||
           t.enc == DW_ATE_address || t.enc == DW_ATE_UTF;
}

static double lty_to_double(uint64_t v, lty t)
{
    if (t.size == 4) {
        float f;
        uint32_t w = (uint32_t)v;
        memcpy(&f, &w, 4);
        return f;
    }
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static uint64_t lty_from_double(double d, lty t)
{
    if (t.size == 4) {
        float f = (float)d;
        uint32_t w;
        memcpy(&w, &f, 4);
        return w;
    }
    uint64_t v;
    memcpy(&v, &d, 8);
    return v;
}

/* An integral value of type T as the 64-bit word of the stack: truncated, sign-extended if signed. */
static uint64_t lty_fit(uint64_t v, lty t)
{
    if (t.size >= 8)
        return v;
    unsigned bits = t.size * 8u;
    v &= (1ull << bits) - 1;
    if (!lty_unsigned(t) && t.enc != 0 && (v >> (bits - 1)) & 1)
        v |= ~0ull << bits;
    return v;
}

typedef struct lctx {
    cd_ectx *x;
    Dwfl_Module *mod;
    Dwarf_Addr bias;
    Dwarf_Attribute *attr;
    int depth;
} lctx;

typedef enum { L_MEM, L_REG, L_VAL, L_IMPL, L_OPT, L_UNAVAIL } lkind;
typedef struct lres {
    lkind k;
    uint64_t v;          /* address (L_MEM), register (L_REG), value (L_VAL) */
    const uint8_t *impl; /* L_IMPL */
    size_t implen;
    const char *why;     /* L_UNAVAIL / L_OPT detail */
} lres;

/* The pieces of a location being evaluated (NULL where pieces make no sense: a frame base). */
typedef struct pcoll {
    cd_vpiece *p;
    size_t n, cap;
    uint64_t bits;
} pcoll;

static int run(lctx *c, const Dwarf_Op *ops, size_t n, uint64_t *stack, int sp0, lres *res, pcoll *pc);

/* The out-of-line function (DW_TAG_subprogram) a frame executes, even when the frame is an
 * inlined call inside it. */
static bool frame_subprogram(const cd_frame *f, Dwarf_Die *fn)
{
    if (!f || !f->info.has_die)
        return false;
    Dwarf_Die *scopes = NULL;
    Dwarf_Die sd = f->info.scope_die;
    int n = dwarf_getscopes_die(&sd, &scopes);
    bool found = false;
    for (int i = 0; i < n; i++)
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
            *fn = scopes[i];
            found = true;
            break;
        }
    free(scopes);
    if (!found && dwarf_tag(&sd) == DW_TAG_subprogram)
        *fn = sd, found = true;
    return found;
}

/* The frame base of the selected frame's out-of-line function. */
static int frame_base(lctx *c, uint64_t *out)
{
    cd_ectx *x = c->x;
    if (!x->frame || !x->frame->info.has_die)
        return cd_fail(x->err, CD_EXIT_CMD, "no frame selected for a frame-relative variable");
    Dwarf_Die fn;
    bool found = frame_subprogram(x->frame, &fn);
    Dwarf_Attribute a;
    if (!found || !dwarf_attr_integrate(&fn, DW_AT_frame_base, &a))
        return cd_fail(x->err, CD_EXIT_CMD, "cannot find the frame base of %s", x->frame->info.func ? x->frame->info.func : "this frame");
    Dwarf_Op *ops;
    size_t len;
    int r = dwarf_getlocation_addr(&a, x->frame->lookup_pc - c->bias, &ops, &len, 1);
    if (r <= 0)
        return cd_fail(x->err, CD_EXIT_CMD, "frame base of %s is not available at this pc", x->frame->info.func ? x->frame->info.func : "this frame");
    lctx sub = *c;
    sub.attr = &a;
    if (++sub.depth > 8)
        return cd_fail(x->err, CD_EXIT_CMD, "frame base expression recursion");
    uint64_t st[64];
    lres lr = {0};
    if (run(&sub, ops, len, st, 0, &lr, NULL) != 0)
        return -1;
    if (lr.k == L_MEM || lr.k == L_VAL) {
        *out = lr.v;
        return 0;
    }
    if (lr.k == L_REG) { /* DW_OP_bregN style bases are L_MEM; a plain register holds the base */
        if (cd_frame_reg(x, (int)lr.v, out))
            return 0;
    }
    return cd_fail(x->err, CD_EXIT_CMD, "frame base of %s is unavailable", x->frame->info.func ? x->frame->info.func : "this frame");
}

/* ---------- TLS of shared libraries: glibc's DTV, located without libthread_db ----------
 * libthread_db itself only reads a few glibc-exported descriptors (_thread_db_*: {bits, count,
 * offset} of internal fields) plus the r_debug link map; we read the same ones directly:
 *   modid = link_map(MOD)->l_tls_modid; dtv = THREAD->header.dtv; block = dtv[modid].pointer.val. */
typedef struct { const char *name; uint64_t addr; } symq;

static int find_sym_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud, (void)mname, (void)start;
    symq *q = arg;
    int n = dwfl_module_getsymtab(mod);
    for (int i = 0; i < n; i++) {
        GElf_Sym sym;
        GElf_Addr a;
        const char *nm = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
        if (nm && sym.st_shndx != SHN_UNDEF && !strcmp(nm, q->name)) {
            q->addr = a;
            return DWARF_CB_ABORT;
        }
    }
    return DWARF_CB_OK;
}

static bool find_sym(cd_ectx *x, const char *name, uint64_t *addr)
{
    symq q = {name, 0};
    if (!x->sym)
        return false;
    dwfl_getmodules(cd_symtab_dwfl(x->sym), find_sym_cb, &q, 0);
    *addr = q.addr;
    return q.addr != 0;
}

static bool rd64(cd_ectx *x, uint64_t addr, uint64_t *v)
{
    *v = 0;
    return cd_target_read_full(x->t, addr, v, 8) == 0;
}

/* A libthread_db field descriptor: {size in bits, count, offset}. */
static bool tdb_desc(cd_ectx *x, const char *name, uint32_t d[3])
{
    uint64_t a;
    return find_sym(x, name, &a) && cd_target_read_full(x->t, a, d, 12) == 0;
}

static int shlib_tls_block(lctx *c, uint64_t tp, const char *mname, uint64_t *out)
{
    cd_ectx *x = c->x;
    const char *what = "the glibc descriptors _r_debug/_thread_db_* (static or non-glibc program?)";
    uint32_t dmod[3], ddtvp[3], dval[3], delem[3];
    uint64_t rdebug;
    if (!find_sym(x, "_r_debug", &rdebug) || !tdb_desc(x, "_thread_db_link_map_l_tls_modid", dmod) ||
        !tdb_desc(x, "_thread_db_pthread_dtvp", ddtvp) || !tdb_desc(x, "_thread_db_dtv_t_pointer_val", dval) ||
        !tdb_desc(x, "_thread_db_dtv_dtv", delem) || dmod[0] != 64 || ddtvp[0] != 64 || dval[0] != 64 ||
        delem[0] < 64)
        return cd_fail(x->err, CD_EXIT_CMD, "thread-local variable of %s: cannot find %s", mname, what);
    /* The module's link_map is the one whose l_ld is the module's PT_DYNAMIC. */
    GElf_Addr ebias;
    Elf *elf = dwfl_module_getelf(c->mod, &ebias);
    size_t nph = 0;
    uint64_t dyn = 0;
    if (elf && elf_getphdrnum(elf, &nph) == 0)
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_DYNAMIC)
                dyn = ph.p_vaddr + ebias;
        }
    uint64_t lm = 0, modid = 0;
    if (!dyn || !rd64(x, rdebug + 8, &lm))
        return cd_fail(x->err, CD_EXIT_CMD, "thread-local variable of %s: cannot read the dynamic linker's module list", mname);
    for (int guard = 0; lm && guard < 4096; guard++) {
        uint64_t ld, next;
        if (!rd64(x, lm + 16, &ld) || !rd64(x, lm + 24, &next))
            break;
        if (ld == dyn) {
            if (!rd64(x, lm + dmod[2], &modid))
                modid = 0;
            break;
        }
        lm = next;
    }
    if (!modid)
        return cd_fail(x->err, CD_EXIT_CMD, "thread-local variable of %s: the module has no TLS module id in the dynamic linker's list", mname);
    uint64_t dtv, nslots, block;
    uint64_t es = delem[0] / 8;
    if (!rd64(x, tp + ddtvp[2], &dtv) || !dtv || !rd64(x, dtv - es, &nslots))
        return cd_fail(x->err, CD_EXIT_CMD, "thread-local variable of %s: cannot read thread %d's DTV", mname, x->th->tid);
    if (modid > nslots || !rd64(x, dtv + modid * es + dval[2], &block) || block == UINT64_MAX || !block)
        return cd_fail(x->err, CD_EXIT_CMD,
                       "thread-local variable of %s: not allocated in thread %d yet (the thread has not touched this module's TLS)",
                       mname, x->th->tid);
    *out = block;
    return 0;
}

/* TLS block of MOD for the selected thread (x86-64 glibc, variant II), without libthread_db:
 * the executable's block sits right below the thread pointer at a link-time-computable offset. */
static int tls_base(lctx *c, uint64_t off, uint64_t *out)
{
    cd_ectx *x = c->x;
    if (!x->th || !x->t)
        return cd_fail(x->err, CD_EXIT_CMD, "thread-local variable needs a thread");
    cd_regs r;
    cd_err e;
    if (x->th->regs_valid)
        r = x->th->regs;
    else if (x->t->ops->get_regs(x->t, x->th, &r, &e) != 0)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot read the thread pointer of thread %d: %s", x->th->tid, e.msg);
    GElf_Addr ebias;
    Elf *elf = dwfl_module_getelf(c->mod, &ebias);
    size_t nph = 0;
    GElf_Phdr tls = {0};
    bool have = false, is_exe = false;
    if (elf && elf_getphdrnum(elf, &nph) == 0)
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(elf, (int)i, &ph))
                continue;
            if (ph.p_type == PT_TLS)
                tls = ph, have = true;
        }
    const char *mname = dwfl_module_info(c->mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    if (mname && x->t->exe_path) {
        const char *a = strrchr(mname, '/'), *b = strrchr(x->t->exe_path, '/');
        is_exe = !strcmp(a ? a + 1 : mname, b ? b + 1 : x->t->exe_path);
    }
    if (!have)
        return cd_fail(x->err, CD_EXIT_CMD, "module %s has no TLS segment", mname ? mname : "?");
    /* gcc 12 -gsplit-dwarf relocates a TLS variable's .debug_addr entry with R_X86_64_64 instead of
     * R_X86_64_DTPOFF64, so the table holds its link-time address in the TLS segment, not its
     * offset in the TLS block (gdb 13 reads that as an offset and shows whatever lies there). No
     * offset is ever past the segment's size: one that falls inside the segment's own addresses
     * is that address. */
    if (off >= tls.p_memsz && off - tls.p_vaddr < tls.p_memsz)
        off -= tls.p_vaddr;
    if (!is_exe) {
        uint64_t block = 0;
        if (shlib_tls_block(c, r.fs_base, mname ? mname : "?", &block) != 0)
            return -1;
        *out = block + off;
        return 0;
    }
    uint64_t align = tls.p_align ? tls.p_align : 1;
    uint64_t firstbyte = (-(tls.p_vaddr & (align - 1))) & (align - 1);
    uint64_t toff = ((tls.p_memsz - firstbyte + align - 1) / align) * align + firstbyte;
    *out = r.fs_base - toff + off;
    return 0;
}

/* ---------- DW_OP_entry_value through the caller's call site (DWARF 5 section 3.4.2) ----------
 * The value register REGNO had when the selected frame's function was entered is what the caller
 * passed: the DW_TAG_call_site whose return pc is the caller frame's pc names it in a
 * DW_TAG_call_site_parameter, as an expression over the caller's frame. */
static const cd_frame *caller_frame(cd_ectx *x)
{
    if (!x->frame || !x->frames || x->frame < x->frames || x->frame >= x->frames + x->nframes)
        return NULL;
    for (size_t i = (size_t)(x->frame - x->frames) + 1; i < x->nframes; i++)
        if (x->frames[i].phys == x->frame->phys + 1)
            return &x->frames[i];
    return NULL;
}

static bool find_call_site(Dwarf_Die *scope, Dwarf_Addr ret, Dwarf_Die *out, int depth)
{
    Dwarf_Die c;
    if (depth > 64 || dwarf_child(scope, &c) != 0)
        return false;
    do {
        int tag = dwarf_tag(&c);
        Dwarf_Attribute a;
        Dwarf_Addr pc;
        if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
            /* GNU call sites keep the return address in DW_AT_low_pc. */
            if ((dwarf_attr(&c, DW_AT_call_return_pc, &a) || dwarf_attr(&c, DW_AT_low_pc, &a)) &&
                dwarf_formaddr(&a, &pc) == 0 && pc == ret) {
                *out = c;
                return true;
            }
        } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
            if (find_call_site(&c, ret, out, depth + 1))
                return true;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

static const char *die_fn_name(Dwarf_Die *d)
{
    Dwarf_Attribute a;
    return dwarf_formstring(dwarf_attr_integrate(d, DW_AT_name, &a));
}

static int run(lctx *c, const Dwarf_Op *ops, size_t n, uint64_t *stack, int sp0, lres *res, pcoll *pc);

/* Does call site CS (in the caller) call the function of the selected frame? A tail call or a
 * call to another function would make the parameter values wrong, so anything unproven is no. */
static bool call_site_calls_frame(lctx *c, const cd_frame *caller, Dwarf_Addr cbias, Dwarf_Die *cs, Dwarf_Die *fn)
{
    cd_ectx *x = c->x;
    Dwarf_Attribute a;
    Dwarf_Die o;
    Dwarf_Addr lo = 0, flo = 0;
    bool have_flo = dwarf_lowpc(fn, &flo) == 0;
    if (dwarf_attr(cs, DW_AT_call_tail_call, &a) || dwarf_attr(cs, DW_AT_GNU_tail_call, &a))
        return false;
    if ((dwarf_attr(cs, DW_AT_call_origin, &a) || dwarf_attr(cs, DW_AT_abstract_origin, &a)) &&
        dwarf_formref_die(&a, &o)) {
        if (dwarf_lowpc(&o, &lo) == 0 && have_flo)
            return lo + cbias == flo + c->bias;
        const char *on = die_fn_name(&o), *fnn = die_fn_name(fn);
        return on && fnn && !strcmp(on, fnn);
    }
    if ((dwarf_attr(cs, DW_AT_call_target, &a) || dwarf_attr(cs, DW_AT_GNU_call_site_target, &a)) && have_flo) {
        Dwarf_Op *ops;
        size_t len;
        if (dwarf_getlocation(&a, &ops, &len) != 0)
            return false;
        cd_ectx sub = *x;
        cd_err e;
        sub.err = &e;
        sub.frame = caller;
        lctx sc = {.x = &sub, .mod = caller->info.mod, .bias = cbias, .attr = &a, .depth = c->depth + 1};
        uint64_t st[64], target = 0;
        lres r = {0};
        if (run(&sc, ops, len, st, 0, &r, NULL) != 0)
            return false;
        if (r.k == L_MEM || r.k == L_VAL)
            target = r.v;
        else if (r.k != L_REG || !cd_frame_reg(&sub, (int)r.v, &target))
            return false;
        return target == flo + c->bias;
    }
    return false;
}

/* Entry value of DWARF register REGNO for the selected frame, from its caller. false if unknown. */
static bool entry_value_from_caller(lctx *c, int regno, uint64_t *val)
{
    cd_ectx *x = c->x;
    const cd_frame *cf = caller_frame(x);
    Dwarf_Die fn, cfn, cs, p;
    if (c->depth > 8 || !cf || !cf->info.has_die || !cf->info.mod || !frame_subprogram(x->frame, &fn) ||
        !frame_subprogram(cf, &cfn))
        return false;
    Dwarf_Addr cbias = 0;
    if (!dwfl_module_getdwarf(cf->info.mod, &cbias) || !find_call_site(&cfn, cf->pc - cbias, &cs, 0) ||
        !call_site_calls_frame(c, cf, cbias, &cs, &fn) || dwarf_child(&cs, &p) != 0)
        return false;
    do {
        int tag = dwarf_tag(&p);
        if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter)
            continue;
        Dwarf_Attribute la, va;
        Dwarf_Op *lops, *vops;
        size_t llen, vlen;
        if (!dwarf_attr(&p, DW_AT_location, &la) || dwarf_getlocation(&la, &lops, &llen) != 0 || llen != 1)
            continue;
        int r = lops[0].atom >= DW_OP_reg0 && lops[0].atom <= DW_OP_reg31 ? lops[0].atom - DW_OP_reg0
                : lops[0].atom == DW_OP_regx ? (int)lops[0].number : -1;
        if (r != regno)
            continue;
        if ((!dwarf_attr(&p, DW_AT_call_value, &va) && !dwarf_attr(&p, DW_AT_GNU_call_site_value, &va)) ||
            dwarf_getlocation(&va, &vops, &vlen) != 0)
            return false;
        cd_ectx sub = *x;
        cd_err e;
        sub.err = &e; /* any failure just means "not known" */
        sub.frame = cf;
        lctx sc = {.x = &sub, .mod = cf->info.mod, .bias = cbias, .attr = &va, .depth = c->depth + 1};
        uint64_t st[64];
        lres res = {0};
        if (run(&sc, vops, vlen, st, 0, &res, NULL) != 0)
            return false;
        cd_frame cfx;
        if (res.k == L_UNAVAIL) {
            /* A call-clobbered register of the caller (gcc's `DW_OP_breg8 (r8)`): the compiler
             * names one only where it knows the callee leaves it alone (IPA-RA), so it still holds,
             * in the callee, what it held at the call. gdb reads it so (an unspecified CFI rule is
             * the same value). */
            cfx = *cf;
            for (int k = 0; k < CD_NDWREGS; k++)
                if (!(cfx.regs_valid & (1u << k)) && (x->frame->regs_valid & (1u << k))) {
                    cfx.regs[k] = x->frame->regs[k];
                    cfx.regs_valid |= 1u << k;
                }
            sub.frame = &cfx;
            res = (lres){0};
            if (run(&sc, vops, vlen, st, 0, &res, NULL) != 0)
                return false;
        }
        if (res.k == L_MEM || res.k == L_VAL) {
            *val = res.v;
            return true;
        }
        return res.k == L_REG && cd_frame_reg(&sub, (int)res.v, val);
    } while (dwarf_siblingof(&p, &p) == 0);
    return false;
}

/* An operation on a floating-typed top of stack (DWARF 5 section 2.5.1.4: both operands of a
 * binary operation have the same type). 1: done; 0: not an arithmetic operation (the caller goes
 * on: dup, drop, swap... move types with values); -1: failed, with one line in x->err. */
static int float_op(cd_ectx *x, uint8_t a, uint64_t *st, lty *ty, int *spp)
{
    int sp = *spp;
    lty t = ty[sp - 1];
    switch (a) {
    case DW_OP_neg:
    case DW_OP_abs: {
        double d = lty_to_double(st[sp - 1], t);
        st[sp - 1] = lty_from_double(a == DW_OP_neg ? -d : (d < 0 ? -d : d), t);
        return 1;
    }
    case DW_OP_plus: case DW_OP_minus: case DW_OP_mul: case DW_OP_div:
    case DW_OP_eq: case DW_OP_ne: case DW_OP_lt: case DW_OP_gt: case DW_OP_le: case DW_OP_ge: {
        if (sp < 2)
            return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (stack underflow)");
        lty u = ty[sp - 2];
        if (u.enc != t.enc || u.size != t.size)
            return cd_fail(x->err, CD_EXIT_CMD,
                           "malformed DWARF location (operation 0x%x on values of different types)", a);
        double b = lty_to_double(st[sp - 1], t), aa = lty_to_double(st[sp - 2], t), r;
        bool cmp = false;
        switch (a) {
        case DW_OP_plus: r = aa + b; break;
        case DW_OP_minus: r = aa - b; break;
        case DW_OP_mul: r = aa * b; break;
        case DW_OP_div: r = aa / b; break;
        case DW_OP_eq: r = aa == b; cmp = true; break;
        case DW_OP_ne: r = aa != b; cmp = true; break;
        case DW_OP_lt: r = aa < b; cmp = true; break;
        case DW_OP_gt: r = aa > b; cmp = true; break;
        case DW_OP_le: r = aa <= b; cmp = true; break;
        default: r = aa >= b; cmp = true; break;
        }
        sp--;
        if (cmp) {
            st[sp - 1] = (uint64_t)r;
            ty[sp - 1] = (lty){0, 8}; /* a comparison gives the generic type */
        } else {
            st[sp - 1] = lty_from_double(r, t);
        }
        *spp = sp;
        return 1;
    }
    case DW_OP_and: case DW_OP_or: case DW_OP_xor: case DW_OP_not: case DW_OP_mod: case DW_OP_shl:
    case DW_OP_shr: case DW_OP_shra: case DW_OP_plus_uconst:
        return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (integer operation 0x%x on a floating value)", a);
    default:
        return 0;
    }
}

static int run(lctx *c, const Dwarf_Op *ops, size_t n, uint64_t *st, int sp0, lres *res, pcoll *pc)
{
    cd_ectx *x = c->x;
    int sp = sp0;
    const int MAXS = 64;
    res->k = L_MEM;
    bool have_res = false;
#define NEED(k) do { if (sp < (k)) return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (stack underflow)"); } while (0)
#define PUSH(v) do { if (sp >= MAXS) return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (stack overflow)"); { uint64_t pv_ = (v); st[sp] = pv_; ty[sp] = (lty){0, 8}; sp++; } } while (0)
    size_t steps = 0;
    lty ty[64]; /* ty[k] is st[k]'s type; entries below sp0 are the caller's, generic */
    memset(ty, 0, sizeof ty);
    for (size_t i = 0; i < n; i++) {
        if (++steps > 10000)
            return cd_fail(x->err, CD_EXIT_CMD, "DWARF location expression does not terminate");
        const Dwarf_Op *o = &ops[i];
        uint8_t a = o->atom;
        uint64_t v;
        if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
            PUSH((uint64_t)(a - DW_OP_lit0));
            continue;
        }
        if (a >= DW_OP_reg0 && a <= DW_OP_reg31) {
            res->k = L_REG;
            res->v = a - DW_OP_reg0;
            have_res = true;
            continue;
        }
        if (a >= DW_OP_breg0 && a <= DW_OP_breg31) {
            if (!cd_frame_reg(x, a - DW_OP_breg0, &v)) {
                res->k = L_UNAVAIL;
                res->why = "register not available in this frame";
                return 0;
            }
            PUSH(v + o->number);
            continue;
        }
        if (sp > 0 && (lty_float(ty[sp - 1]) || (sp > 1 && lty_float(ty[sp - 2]))) &&
            a != DW_OP_convert && a != DW_OP_GNU_convert && a != DW_OP_reinterpret && a != DW_OP_GNU_reinterpret &&
            a != DW_OP_stack_value && a != DW_OP_piece && a != DW_OP_bit_piece) {
            int r = float_op(x, a, st, ty, &sp);
            if (r < 0)
                return -1;
            if (r > 0)
                continue;
        }
        switch (a) {
        case DW_OP_addr:
            PUSH(o->number + c->bias);
            break;
        case DW_OP_addrx:
        case DW_OP_GNU_addr_index:
        case DW_OP_constx:
        case DW_OP_GNU_const_index: {
            /* DWARF 5 (clang's default) and split DWARF keep addresses in .debug_addr, indexed from
             * the unit's DW_AT_addr_base (the skeleton's for a split unit): libdw resolves the
             * index. An addrx is an address, relocated like DW_OP_addr; a constx is an
             * address-sized constant (a TLS offset), as gdb reads them. */
            Dwarf_Attribute aa;
            Dwarf_Addr av;
            Dwarf_Word cv;
            bool isaddr = a == DW_OP_addrx || a == DW_OP_GNU_addr_index;
            if (!c->attr || dwarf_getlocation_attr(c->attr, o, &aa) != 0 ||
                (isaddr ? dwarf_formaddr(&aa, &av) : dwarf_formudata(&aa, &cv)) != 0)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot read entry %llu of the address table (.debug_addr): %s",
                               (unsigned long long)o->number, dwarf_errmsg(-1));
            PUSH(isaddr ? av + c->bias : cv);
            break;
        }
        case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
        case DW_OP_constu: case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s:
        case DW_OP_const8s: case DW_OP_consts:
            PUSH(o->number);
            break;
        case DW_OP_regx:
            res->k = L_REG;
            res->v = o->number;
            have_res = true;
            break;
        case DW_OP_bregx:
            if (!cd_frame_reg(x, (int)o->number, &v)) {
                res->k = L_UNAVAIL;
                res->why = "register not available in this frame";
                return 0;
            }
            PUSH(v + o->number2);
            break;
        case DW_OP_fbreg: {
            uint64_t fb;
            if (frame_base(c, &fb) != 0)
                return -1;
            PUSH(fb + o->number);
            break;
        }
        case DW_OP_call_frame_cfa:
            if (!x->frame || !x->frame->cfa) {
                res->k = L_UNAVAIL;
                res->why = "frame address unknown";
                return 0;
            }
            PUSH(x->frame->cfa);
            break;
        case DW_OP_dup: NEED(1); PUSH(st[sp - 1]); ty[sp - 1] = ty[sp - 2]; break;
        case DW_OP_drop: NEED(1); sp--; break;
        case DW_OP_over: NEED(2); PUSH(st[sp - 2]); ty[sp - 1] = ty[sp - 3]; break;
        case DW_OP_pick: {
            if (o->number >= (uint64_t)sp)
                return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (pick)");
            int from = sp - 1 - (int)o->number;
            PUSH(st[from]);
            ty[sp - 1] = ty[from];
            break;
        }
        case DW_OP_swap: {
            NEED(2);
            v = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = v;
            lty t1 = ty[sp - 1]; ty[sp - 1] = ty[sp - 2]; ty[sp - 2] = t1;
            break;
        }
        case DW_OP_rot: {
            NEED(3);
            v = st[sp - 1]; st[sp - 1] = st[sp - 2]; st[sp - 2] = st[sp - 3]; st[sp - 3] = v;
            lty t1 = ty[sp - 1]; ty[sp - 1] = ty[sp - 2]; ty[sp - 2] = ty[sp - 3]; ty[sp - 3] = t1;
            break;
        }
        case DW_OP_deref:
        case DW_OP_deref_size:
        case DW_OP_deref_type:
        case DW_OP_GNU_deref_type: {
            /* deref_type: the size is the type's (gcc's call-site value of a double: fbreg -72,
             * deref_type 8 <double>), never wider than the stack's words */
            NEED(1);
            size_t sz = a == DW_OP_deref ? 8 : (size_t)o->number;
            if ((a == DW_OP_deref_type || a == DW_OP_GNU_deref_type) && (sz == 0 || sz > 8))
                return cd_fail(x->err, CD_EXIT_CMD, "unsupported DWARF location operation 0x%x (%zu bytes)", a, sz);
            if (sz > 8)
                sz = 8;
            uint64_t m = 0;
            if (!x->t || cd_target_read_full(x->t, st[sp - 1], &m, sz) != 0) {
                res->k = L_UNAVAIL;
                res->why = "memory unreadable";
                return 0;
            }
            st[sp - 1] = m;
            ty[sp - 1] = (lty){0, 8};
            if (a == DW_OP_deref_type || a == DW_OP_GNU_deref_type) {
                if (!op_base_type(c->attr, (Dwarf_Op *)o, &ty[sp - 1]) || ty[sp - 1].size != sz)
                    return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (DW_OP_deref_type names no %zu-byte base type)", sz);
                st[sp - 1] = lty_fit(m, ty[sp - 1]);
            }
            break;
        }
        case DW_OP_const_type:
        case DW_OP_GNU_const_type: {
            /* a constant of a base type: its bytes are a block after the type */
            lty t;
            /* libdw keeps the operand as a pointer to the block: its length byte, then the bytes */
            const uint8_t *blk = (const uint8_t *)(uintptr_t)o->number2;
            if (!op_base_type(c->attr, (Dwarf_Op *)o, &t) || !blk || blk[0] != t.size)
                return cd_fail(x->err, CD_EXIT_CMD, "unsupported DWARF location operation 0x%x (a constant wider than 8 bytes or of no base type)", a);
            uint64_t k = 0;
            memcpy(&k, blk + 1, t.size);
            PUSH(lty_float(t) ? k : lty_fit(k, t));
            ty[sp - 1] = t;
            break;
        }
        case DW_OP_regval_type:
        case DW_OP_GNU_regval_type: {
            /* a register read as a base type no wider than the stack's words */
            uint64_t tsz = op_type_size(c->attr, (Dwarf_Op *)o);
            if (tsz == 0 || tsz > 8 || o->number > 64)
                return cd_fail(x->err, CD_EXIT_CMD, "unsupported DWARF location operation 0x%x (a %llu-byte type)", a,
                               (unsigned long long)tsz);
            if (!frame_reg_word(x, (int)o->number, &v)) {
                res->k = L_UNAVAIL;
                res->why = "register not available in this frame";
                return 0;
            }
            PUSH(tsz == 8 ? v : v & ((1ull << (tsz * 8)) - 1));
            if (op_base_type(c->attr, (Dwarf_Op *)o, &ty[sp - 1]) && !lty_float(ty[sp - 1]))
                st[sp - 1] = lty_fit(st[sp - 1], ty[sp - 1]);
            break;
        }
        case DW_OP_abs: NEED(1); if ((int64_t)st[sp - 1] < 0) st[sp - 1] = -st[sp - 1]; break;
        case DW_OP_neg: NEED(1); st[sp - 1] = -st[sp - 1]; break;
        case DW_OP_not: NEED(1); st[sp - 1] = ~st[sp - 1]; break;
        case DW_OP_plus_uconst: NEED(1); st[sp - 1] += o->number; break;
#define BIN(op, expr) case op: NEED(2); { uint64_t b = st[--sp], aa = st[sp - 1]; (void)aa; (void)b; st[sp - 1] = (expr); } break;
        BIN(DW_OP_and, aa & b)
        BIN(DW_OP_or, aa | b)
        BIN(DW_OP_xor, aa ^ b)
        BIN(DW_OP_plus, aa + b)
        BIN(DW_OP_minus, aa - b)
        BIN(DW_OP_mul, aa * b)
        BIN(DW_OP_shl, b >= 64 ? 0 : aa << b)
        BIN(DW_OP_shr, b >= 64 ? 0 : aa >> b)
        BIN(DW_OP_shra, b >= 64 ? ((int64_t)aa < 0 ? ~0ull : 0) : (uint64_t)((int64_t)aa >> b))
        BIN(DW_OP_eq, aa == b)
        BIN(DW_OP_ne, aa != b)
        BIN(DW_OP_lt, (int64_t)aa < (int64_t)b)
        BIN(DW_OP_gt, (int64_t)aa > (int64_t)b)
        BIN(DW_OP_le, (int64_t)aa <= (int64_t)b)
        BIN(DW_OP_ge, (int64_t)aa >= (int64_t)b)
        case DW_OP_div:
        case DW_OP_mod: {
            NEED(2);
            uint64_t b = st[--sp], aa = st[sp - 1];
            if (!b)
                return cd_fail(x->err, CD_EXIT_CMD, "DWARF location divides by zero");
            if (a == DW_OP_div)
                st[sp - 1] = ((int64_t)aa == INT64_MIN && (int64_t)b == -1) ? aa : (uint64_t)((int64_t)aa / (int64_t)b);
            else
                st[sp - 1] = aa % b;
            break;
        }
        case DW_OP_skip:
        case DW_OP_bra: {
            if (a == DW_OP_bra) {
                NEED(1);
                if (!st[--sp])
                    break;
            }
            /* libdw gives the target as a byte offset within the expression. */
            uint64_t target = o->offset + 3 + (uint64_t)(int64_t)(int16_t)o->number;
            size_t j;
            for (j = 0; j < n && ops[j].offset != target; j++)
                ;
            if (j == n && target != (n ? ops[n - 1].offset + 1 : 0)) {
                /* Newer libdw stores the target offset directly in number. */
                for (j = 0; j < n && ops[j].offset != o->number; j++)
                    ;
            }
            i = j - 1;
            break;
        }
        case DW_OP_nop:
            break;
        case DW_OP_stack_value:
            NEED(1);
            res->k = L_VAL;
            res->v = st[sp - 1];
            have_res = true;
            break;
        case DW_OP_implicit_value: {
            Dwarf_Block blk;
            if (!c->attr || dwarf_getlocation_implicit_value(c->attr, o, &blk) != 0)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot read DW_OP_implicit_value");
            res->k = L_IMPL;
            res->impl = blk.data;
            res->implen = blk.length;
            have_res = true;
            break;
        }
        case DW_OP_GNU_parameter_ref: /* needs the caller's call-site parameters */
            res->k = L_OPT;
            return 0;
        case DW_OP_implicit_pointer:
        case DW_OP_GNU_implicit_pointer:
            res->k = L_OPT;
            res->why = "implicit pointer";
            have_res = true;
            break;
        case DW_OP_form_tls_address:
        case DW_OP_GNU_push_tls_address: {
            NEED(1);
            uint64_t addr = 0;
            if (tls_base(c, st[sp - 1], &addr) != 0)
                return -1;
            st[sp - 1] = addr;
            break;
        }
        case DW_OP_entry_value:
        case DW_OP_GNU_entry_value: {
            /* The value a register had on entry: known for sure only at the entry pc of the
             * innermost frame; elsewhere it would need call-site parameters of the caller. */
            Dwarf_Attribute sub;
            Dwarf_Op *sops;
            size_t slen;
            int ereg = -1;
            if (c->attr && dwarf_getlocation_attr(c->attr, o, &sub) == 0 &&
                dwarf_getlocation(&sub, &sops, &slen) == 0 && slen == 1) {
                ereg = sops[0].atom >= DW_OP_reg0 && sops[0].atom <= DW_OP_reg31 ? sops[0].atom - DW_OP_reg0
                       : sops[0].atom == DW_OP_regx ? (int)sops[0].number : -1;
                /* gcc's entry value of a double in xmm0: DW_OP_regval_type xmm0 <double> */
                uint64_t tsz;
                if ((sops[0].atom == DW_OP_regval_type || sops[0].atom == DW_OP_GNU_regval_type) &&
                    (tsz = op_type_size(c->attr, &sops[0])) > 0 && tsz <= 8 && sops[0].number < 64)
                    ereg = (int)sops[0].number;
            }
            if (ereg >= 0 && x->frame && x->frame->phys == 0 && x->frame->pc == x->frame->info.func_addr &&
                frame_reg_word(x, ereg, &v)) {
                PUSH(v);
                break;
            }
            if (ereg >= 0 && entry_value_from_caller(c, ereg, &v)) {
                PUSH(v);
                break;
            }
            res->k = L_OPT;
            res->why = "entry value";
            return 0;
        }
        case DW_OP_piece:
        case DW_OP_bit_piece: {
            if (!pc)
                return cd_fail(x->err, CD_EXIT_CMD, "DWARF pieces in an expression that must give one address");
            if (pc->n == pc->cap) {
                size_t nc = pc->cap ? pc->cap * 2 : 8;
                cd_vpiece *np = cd_arena_alloc(x->ar, nc * sizeof *np);
                if (pc->n)
                    memcpy(np, pc->p, pc->n * sizeof *np);
                pc->p = np;
                pc->cap = nc;
            }
            cd_vpiece *pp = &pc->p[pc->n];
            memset(pp, 0, sizeof *pp);
            pp->bitoff = pc->bits;
            pp->bits = a == DW_OP_piece ? o->number * 8 : o->number;
            pp->srcbit = a == DW_OP_bit_piece ? o->number2 : 0;
            if (pp->bits > ((uint64_t)1 << 40))
                return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (a piece of %llu bits)", (unsigned long long)pp->bits);
            if (!have_res && sp > sp0) {
                pp->kind = VP_MEM;
                pp->addr = st[sp - 1];
            } else if (!have_res) {
                pp->kind = VP_OPT; /* an empty piece: that part of the object is nowhere */
            } else {
                switch (res->k) {
                case L_MEM: pp->kind = VP_MEM; pp->addr = res->v; break;
                case L_REG: pp->kind = VP_REG; pp->regno = (int)res->v; break;
                case L_VAL: {
                    uint8_t *cp = cd_arena_alloc(x->ar, 8);
                    memcpy(cp, &res->v, 8);
                    pp->kind = VP_VAL;
                    pp->data = cp;
                    pp->datalen = 8;
                    break;
                }
                case L_IMPL:
                    pp->kind = VP_VAL;
                    pp->data = res->impl;
                    pp->datalen = res->implen;
                    break;
                default: pp->kind = VP_OPT; break;
                }
            }
            pc->n++;
            pc->bits += pp->bits;
            have_res = false;
            res->k = L_MEM;
            sp = sp0;
            break;
        }
        case DW_OP_convert:
        case DW_OP_GNU_convert:
        case DW_OP_reinterpret:
        case DW_OP_GNU_reinterpret: {
            /* convert changes the value's type keeping its value (int <-> float, widths, sign:
             * clang's _Bool argument is `and 0xffffffff, convert unsigned_1, convert unsigned_8`);
             * reinterpret keeps the bits. Offset 0 is the generic type. */
            NEED(1);
            lty to = {0, 8};
            if (o->number != 0 && !op_base_type(c->attr, (Dwarf_Op *)o, &to)) {
                res->k = L_UNAVAIL;
                res->why = "unsupported DWARF operation";
                return cd_fail(x->err, CD_EXIT_CMD,
                               "unsupported DWARF location operation 0x%x (to a type that is no base type of at most 8 bytes)", a);
            }
            lty from = ty[sp - 1];
            v = st[sp - 1];
            bool reinterpret = a == DW_OP_reinterpret || a == DW_OP_GNU_reinterpret;
            if (reinterpret) {
                if (to.size != from.size && from.enc != 0 && to.enc != 0)
                    return cd_fail(x->err, CD_EXIT_CMD, "malformed DWARF location (reinterpret between sizes %u and %u)",
                                   from.size, to.size);
                v = lty_float(to) ? (to.size == 4 ? (uint32_t)v : v) : lty_fit(v, to);
            } else if (lty_float(to) && lty_float(from)) {
                v = lty_from_double(lty_to_double(v, from), to);
            } else if (lty_float(to)) {
                double d = lty_unsigned(from) ? (double)v : (double)(int64_t)v;
                v = lty_from_double(d, to);
            } else if (lty_float(from)) {
                double d = lty_to_double(v, from);
                v = lty_fit(lty_unsigned(to) ? (uint64_t)d : (uint64_t)(int64_t)d, to);
            } else {
                v = lty_fit(v, to);
            }
            st[sp - 1] = v;
            ty[sp - 1] = to;
            break;
        }
        default:
            res->k = L_UNAVAIL;
            res->why = "unsupported DWARF operation";
            return cd_fail(x->err, CD_EXIT_CMD, "unsupported DWARF location operation 0x%x", a);
        }
    }
    if (!have_res) {
        if (sp <= sp0) {
            if (pc && pc->n)
                return 0;
            res->k = L_OPT;
            return 0;
        }
        res->k = L_MEM;
        res->v = st[sp - 1];
    }
    return 0;
#undef NEED
#undef PUSH
#undef BIN
}


void cd_copy_bits(uint8_t *dst, uint64_t dbit, const uint8_t *src, uint64_t sbit, uint64_t n)
{
    if (!(dbit % 8) && !(sbit % 8) && !(n % 8)) {
        memmove(dst + dbit / 8, src + sbit / 8, n / 8);
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        uint64_t s = sbit + i, d = dbit + i;
        unsigned b = (src[s / 8] >> (s % 8)) & 1;
        dst[d / 8] = (uint8_t)((dst[d / 8] & ~(1u << (d % 8))) | (b << (d % 8)));
    }
}

/* Reads the pieces of a location into one value of SIZE bytes. Bits no piece covers, and the
 * bits of empty pieces, read as zero; cd_value_bits_avail tells the printer which they are. A
 * register the frame does not have makes the whole value unavailable, as before pieces. */
static int assemble_pieces(cd_ectx *x, const pcoll *pc, uint64_t size, cd_value *out)
{
    uint64_t nbytes = size > (pc->bits + 7) / 8 ? size : (pc->bits + 7) / 8;
    if (nbytes > (1u << 24))
        return cd_fail(x->err, CD_EXIT_CMD, "DWARF pieces of %llu bytes: too large", (unsigned long long)nbytes);
    uint8_t *bytes = cd_arena_alloc(x->ar, nbytes + 16);
    for (size_t i = 0; i < pc->n; i++) {
        const cd_vpiece *p = &pc->p[i];
        uint8_t tmp[16] = {0};
        const uint8_t *src = tmp;
        uint64_t avail = 0; /* bits available from src, from bit 0 */
        uint64_t sbit = p->srcbit, v;
        switch (p->kind) {
        case VP_REG:
            if (cd_frame_reg(x, p->regno, &v)) {
                memcpy(tmp, &v, 8);
                avail = 64;
            } else if (frame_xmm(x, p->regno, tmp)) {
                avail = 128;
            } else {
                out->where = V_UNAVAIL;
                out->regno = p->regno; /* an assignment says why it is not there */
                return 0;
            }
            break;
        case VP_MEM: {
            uint64_t n = (p->srcbit % 8 + p->bits + 7) / 8;
            uint8_t *m = cd_arena_alloc(x->ar, n + 1);
            if (!x->t || cd_target_read_full(x->t, p->addr + p->srcbit / 8, m, n) != 0)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot access memory at 0x%llx", (unsigned long long)(p->addr + p->srcbit / 8));
            src = m;
            avail = n * 8;
            sbit = p->srcbit % 8;
            break;
        }
        case VP_VAL:
            src = p->data;
            avail = p->datalen * 8;
            break;
        default:
            continue;
        }
        uint64_t n = p->bits;
        if (sbit >= avail)
            continue;
        if (sbit + n > avail)
            n = avail - sbit;
        if (p->bitoff + n > nbytes * 8)
            n = p->bitoff < nbytes * 8 ? nbytes * 8 - p->bitoff : 0;
        cd_copy_bits(bytes, p->bitoff, src, sbit, n);
    }
    out->where = V_BYTES;
    out->bytes = bytes;
    out->pieces = pc->p;
    out->npieces = (int)pc->n;
    out->pbase = 0;
    out->lval = true;
    return 0;
}

int cd_loc_value(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die, cd_type *type, cd_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    out->regno = -1;
    Dwarf_Addr bias = 0;
    if (mod)
        dwfl_module_getdwarf(mod, &bias);
    Dwarf_Attribute attr;
    uint64_t size = cd_type_size(type);
    if (!dwarf_attr(die, DW_AT_location, &attr)) {
        if (dwarf_attr_integrate(die, DW_AT_const_value, &attr)) {
            out->where = V_BYTES;
            out->bytes = cd_arena_alloc(x->ar, size + 16);
            Dwarf_Block blk;
            Dwarf_Word uv;
            Dwarf_Sword sv;
            if (dwarf_formblock(&attr, &blk) == 0)
                memcpy(out->bytes, blk.data, blk.length < size ? blk.length : size);
            else if (attr.form == DW_FORM_sdata && dwarf_formsdata(&attr, &sv) == 0)
                memcpy(out->bytes, &sv, size < 8 ? size : 8);
            else if (dwarf_formudata(&attr, &uv) == 0)
                memcpy(out->bytes, &uv, size < 8 ? size : 8);
            return 0;
        }
        out->where = V_OPTOUT;
        return 0;
    }
    Dwarf_Op *ops;
    size_t len;
    uint64_t pc = x->frame ? x->frame->lookup_pc - bias : 0;
    int r = dwarf_getlocation_addr(&attr, pc, &ops, &len, 1);
    if (r < 0)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot read the location of %s: %s", dwarf_diename(die) ? dwarf_diename(die) : "?", dwarf_errmsg(-1));
    if (r == 0 || len == 0) {
        out->where = V_OPTOUT;
        return 0;
    }
    lctx c = {.x = x, .mod = mod, .bias = bias, .attr = &attr};
    uint64_t st[64];
    lres res = {0};
    pcoll pcs = {0};
    if (run(&c, ops, len, st, 0, &res, &pcs) != 0)
        return -1;
    if (res.k == L_OPT) {
        out->where = V_OPTOUT;
        return 0;
    }
    if (res.k == L_UNAVAIL) {
        out->where = V_UNAVAIL;
        return 0;
    }
    if (pcs.n)
        return assemble_pieces(x, &pcs, size, out);
    switch (res.k) {
    case L_MEM:
        out->where = V_MEM;
        out->addr = res.v;
        out->lval = true;
        return 0;
    case L_REG: {
        /* One piece: the whole value in the register, so an assignment writes it back. */
        cd_vpiece *p = cd_arena_alloc(x->ar, sizeof *p);
        p->kind = VP_REG;
        p->regno = (int)res.v;
        p->bits = (size ? size : 8) * 8;
        pcs = (pcoll){.p = p, .n = 1, .cap = 1, .bits = p->bits};
        if (assemble_pieces(x, &pcs, size, out) != 0)
            return -1;
        out->regno = (int)res.v;
        return 0;
    }
    case L_VAL:
        out->where = V_BYTES;
        out->bytes = cd_arena_alloc(x->ar, size + 16);
        memcpy(out->bytes, &res.v, size < 8 ? size : 8);
        return 0;
    case L_IMPL:
        out->where = V_BYTES;
        out->bytes = cd_arena_alloc(x->ar, size + res.implen + 16);
        memcpy(out->bytes, res.impl, res.implen);
        return 0;
    default:
        out->where = V_OPTOUT;
        return 0;
    }
}

void cd_var_locate(const cd_scope *sc, Dwfl_Module *mod, Dwarf_Die *var, cd_varloc *out)
{
    memset(out, 0, sizeof *out);
    if (!dwarf_hasattr(var, DW_AT_location))
        return;
    cd_arena ar = {0};
    cd_err err;
    cd_ectx x;
    cd_ectx_init(&x, sc, &ar, &err);
    /* Only the address or the first 8 bytes are wanted: read the value as one 8-byte word. */
    cd_type *word = cd_type_base(sc->vs, TY_INT, 8, false, "unsigned long");
    cd_value v;
    if (cd_loc_value(&x, mod, var, word, &v) == 0) {
        if (v.where == V_MEM) {
            out->kind = CD_VARLOC_MEM;
            out->addr = v.addr;
        } else if (v.where == V_BYTES) {
            out->kind = CD_VARLOC_VALUE;
            memcpy(&out->val, v.bytes, sizeof out->val);
        }
    }
    cd_arena_free(&ar);
}

/* Runs attr's expression (ops, len) in x's frame with st[0..sp0) pushed: the module's bias and the
 * context every caller outside a variable's location needs. */
static int run_attr(cd_ectx *x, Dwfl_Module *mod, Dwarf_Attribute *attr, const Dwarf_Op *ops, size_t len,
                    uint64_t *st, int sp0, lres *res)
{
    Dwarf_Addr bias = 0;
    if (mod)
        dwfl_module_getdwarf(mod, &bias);
    lctx c = {.x = x, .mod = mod, .bias = bias, .attr = attr};
    return run(&c, ops, len, st, sp0, res, NULL);
}

/* A C++ base class's address in an object (DW_TAG_inheritance at OBJ): a constant offset, or for
 * a virtual base the expression that reads it from the object's vtable (the vbase offset), run
 * with the object's address pushed as DWARF says. */
int cd_loc_base_addr(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *inh, uint64_t obj, uint64_t *out)
{
    Dwarf_Attribute attr;
    Dwarf_Word w = 0;
    if (!dwarf_attr(inh, DW_AT_data_member_location, &attr) || dwarf_formudata(&attr, &w) == 0) {
        *out = obj + w;
        return 0;
    }
    Dwarf_Op *ops;
    size_t len;
    if (dwarf_getlocation(&attr, &ops, &len) != 0 || len == 0)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot read a virtual base's location: %s", dwarf_errmsg(-1));
    uint64_t st[64] = {obj};
    lres res = {0};
    if (run_attr(x, mod, &attr, ops, len, st, 1, &res) != 0)
        return -1;
    if (res.k == L_UNAVAIL)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot read the virtual base's offset from the vtable of the object at 0x%llx",
                       (unsigned long long)obj);
    /* the usual expression leaves one entry, the base's address, where the object's was */
    *out = res.k == L_OPT ? st[0] : res.v;
    return res.k == L_OPT || res.k == L_MEM ? 0 : cd_fail(x->err, CD_EXIT_CMD, "unexpected virtual base location");
}

/* One bound of a VLA's subrange SUB (DW_AT_count or DW_AT_upper_bound): a reference to the
 * artificial variable holding it (clang's __vla_expr0) or an expression computing it (gcc's
 * `fbreg -56; deref`), in x's frame. */
static int vla_bound(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *sub, int at, int64_t *out)
{
    Dwarf_Attribute attr;
    if (!dwarf_attr(sub, at, &attr))
        return 1;
    Dwarf_Die var;
    Dwarf_Sword sv;
    if (dwarf_formref_die(&attr, &var)) {
        cd_value v;
        __int128 iv;
        if (cd_var_value(x, mod, &var, &v) != 0)
            return -1;
        if (v.where == V_OPTOUT || v.where == V_UNAVAIL)
            return cd_fail(x->err, CD_EXIT_CMD, "the length of a variable-length array is %s here",
                           v.where == V_OPTOUT ? "optimized out" : "unavailable");
        if (cd_value_int(x, &v, &iv) != 0)
            return -1;
        *out = (int64_t)iv;
        return 0;
    }
    if (dwarf_formsdata(&attr, &sv) == 0) {
        *out = sv;
        return 0;
    }
    Dwarf_Op *ops;
    size_t len;
    if (dwarf_getlocation(&attr, &ops, &len) != 0 || len == 0)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot read the bound of a variable-length array: %s", dwarf_errmsg(-1));
    uint64_t st[64];
    lres res = {0};
    if (run_attr(x, mod, &attr, ops, len, st, 0, &res) != 0)
        return -1;
    if (res.k == L_MEM || res.k == L_VAL) { /* the value the expression left (stack_value or not) */
        *out = (int64_t)res.v;
        return 0;
    }
    return cd_fail(x->err, CD_EXIT_CMD, "the length of a variable-length array is %s here",
                   res.k == L_UNAVAIL ? "unavailable" : "optimized out");
}

cd_type *cd_type_resolve(cd_ectx *x, Dwfl_Module *mod, cd_type *t)
{
    if (!t || t->kind != TY_ARRAY)
        return t;
    cd_type *el = cd_type_resolve(x, mod, t->target);
    if (!el)
        return NULL;
    if (!t->vla)
        return el == t->target ? t : cd_type_array(x->vs, el, t->count);
    if (!x->frame)
        return cd_fail(x->err, CD_EXIT_CMD, "a variable-length array's length is only known in its frame"), NULL;
    int64_t n, lb = 0, ub;
    Dwarf_Die sub = t->die;
    int r = vla_bound(x, mod, &sub, DW_AT_count, &n);
    if (r > 0) {
        if ((r = vla_bound(x, mod, &sub, DW_AT_lower_bound, &lb)) < 0)
            return NULL;
        r = vla_bound(x, mod, &sub, DW_AT_upper_bound, &ub);
        if (r == 0)
            n = ub - lb + 1;
    }
    if (r != 0) {
        if (r > 0)
            cd_fail(x->err, CD_EXIT_CMD, "a variable-length array has no length in its DWARF");
        return NULL;
    }
    if (n < 0 || n > (int64_t)1 << 40)
        return cd_fail(x->err, CD_EXIT_CMD, "a variable-length array's length reads as %lld here (not yet set?)",
                       (long long)n), NULL;
    return cd_type_array(x->vs, el, n);
}
