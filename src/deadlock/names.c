/* Lock names: the global or static variable holding a lock, with the member path down to it
 * (`table.buckets[7].mu`), or the waiting frame's variable that points at it (`&to->mu`). */
#include "deadlock/deadlock.h"

#include <dwarf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static bool die_type(Dwarf_Die *die, Dwarf_Die *out)
{
    Dwarf_Attribute a;
    return dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &a), out) != NULL;
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

static bool type_size(Dwarf_Die *type, uint64_t *size)
{
    Dwarf_Word s;
    if (dwarf_aggregate_size(type, &s) != 0)
        return false;
    *size = s;
    return true;
}

static bool member_offset(Dwarf_Die *m, uint64_t *off)
{
    Dwarf_Attribute a;
    Dwarf_Word w;
    if (!dwarf_attr(m, DW_AT_data_member_location, &a)) {
        *off = 0; /* union members */
        return true;
    }
    if (dwarf_formudata(&a, &w) != 0)
        return false;
    *off = w;
    return true;
}

/* Appends the member/index path from `type` down to byte `off`. Stops at glibc's lock types
 * (they are unions whose members are internals named __*), so a lock reads `lock_a`, not
 * `lock_a.__data.__lock`. Returns the unresolved remainder of off. */
static uint64_t append_path(Dwarf_Die *type_in, uint64_t off, cd_buf *b)
{
    Dwarf_Die type = *type_in;
    for (int depth = 0; depth < 32; depth++) {
        Dwarf_Die peeled;
        if (dwarf_peel_type(&type, &peeled) != 0)
            break;
        int tag = dwarf_tag(&peeled);
        if (tag == DW_TAG_structure_type || tag == DW_TAG_class_type) {
            Dwarf_Die m;
            bool found = false;
            if (dwarf_child(&peeled, &m) == 0) {
                do {
                    if (dwarf_tag(&m) != DW_TAG_member)
                        continue;
                    uint64_t moff, msize;
                    Dwarf_Die mtype;
                    const char *name = die_name(&m);
                    if (!member_offset(&m, &moff) || !die_type(&m, &mtype) || !type_size(&mtype, &msize))
                        continue;
                    if (off < moff || off >= moff + msize)
                        continue;
                    if (!name || strncmp(name, "__", 2) == 0)
                        return off;
                    cd_buf_printf(b, ".%s", name);
                    off -= moff;
                    type = mtype;
                    found = true;
                    break;
                } while (dwarf_siblingof(&m, &m) == 0);
            }
            if (!found)
                return off;
        } else if (tag == DW_TAG_array_type) {
            Dwarf_Die elem, sub;
            uint64_t esize;
            if (!die_type(&peeled, &elem) || !type_size(&elem, &esize) || esize == 0)
                return off;
            uint64_t dims[8];
            int nd = 0;
            if (dwarf_child(&peeled, &sub) == 0) {
                do {
                    if (dwarf_tag(&sub) != DW_TAG_subrange_type || nd == 8)
                        continue;
                    Dwarf_Attribute a;
                    Dwarf_Word w;
                    if (dwarf_attr(&sub, DW_AT_count, &a) && dwarf_formudata(&a, &w) == 0)
                        dims[nd++] = w;
                    else if (dwarf_attr(&sub, DW_AT_upper_bound, &a) && dwarf_formudata(&a, &w) == 0)
                        dims[nd++] = w + 1;
                    else
                        dims[nd++] = 0; /* flexible: only the outermost can be */
                } while (dwarf_siblingof(&sub, &sub) == 0);
            }
            if (nd == 0)
                dims[nd++] = 0;
            /* Row-major: the stride of dimension i is esize times the later dimensions. */
            for (int i = 0; i < nd; i++) {
                uint64_t stride = esize;
                for (int j = i + 1; j < nd; j++)
                    stride *= dims[j] ? dims[j] : 1;
                cd_buf_printf(b, "[%" PRIu64 "]", off / stride);
                off %= stride;
            }
            type = elem;
        } else {
            /* unions (every glibc lock type), scalars, pointers: the lock itself */
            return off;
        }
        if (off == 0) {
            /* Keep descending only while there is a user-named member at offset 0 that is a
             * struct or array (e.g. `pair.first.mu`); a union here is the lock itself. */
            Dwarf_Die p;
            if (dwarf_peel_type(&type, &p) != 0)
                return 0;
            int t2 = dwarf_tag(&p);
            if (t2 != DW_TAG_structure_type && t2 != DW_TAG_class_type && t2 != DW_TAG_array_type)
                return 0;
        }
    }
    return off;
}

static bool var_static_addr(Dwarf_Die *var, Dwarf_Addr bias, uint64_t *addr)
{
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t nops;
    if (!dwarf_attr(var, DW_AT_location, &a) || dwarf_getlocation(&a, &ops, &nops) != 0 || nops != 1)
        return false;
    if (ops[0].atom != DW_OP_addr)
        return false;
    *addr = ops[0].number + bias;
    return true;
}

/* One walk over a module's static variables (globals, and function-scope statics), for both
 * kinds of global naming below: visit() returns a name to stop the walk, or NULL to go on. */
typedef char *(*static_var_fn)(Dwarf_Die *var, const char *name, uint64_t va, void *arg);

static char *walk_scope(Dwarf_Die *scope, Dwarf_Addr bias, static_var_fn visit, void *arg, int depth)
{
    Dwarf_Die c;
    if (depth > 8 || dwarf_child(scope, &c) != 0)
        return NULL;
    do {
        int tag = dwarf_tag(&c);
        char *r = NULL;
        if (tag == DW_TAG_variable) {
            uint64_t va;
            const char *name = die_name(&c);
            if (name && var_static_addr(&c, bias, &va))
                r = visit(&c, name, va, arg);
        } else if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace) {
            r = walk_scope(&c, bias, visit, arg, depth + 1);
        }
        if (r)
            return r;
    } while (dwarf_siblingof(&c, &c) == 0);
    return NULL;
}

static char *walk_module(Dwfl_Module *mod, static_var_fn visit, void *arg)
{
    Dwarf_Addr bias;
    Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie, subdie;
    uint8_t unit_type;
    Dwarf_Half version;
    char *r = NULL;
    while (dw && !r && dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, &subdie) == 0)
        r = walk_scope(&cudie, bias, visit, arg, 0);
    return r;
}

/* The variable containing addr, with the member path: `forks[3]`, `table.buckets[7].mu`. */
static char *containing_var(Dwarf_Die *var, const char *name, uint64_t va, void *arg)
{
    uint64_t addr = *(const uint64_t *)arg, size;
    Dwarf_Die type;
    if (addr < va || !die_type(var, &type) || !type_size(&type, &size) || addr >= va + size)
        return NULL;
    cd_buf b = {0};
    cd_buf_puts(&b, name);
    uint64_t rest = append_path(&type, addr - va, &b);
    if (rest)
        cd_buf_printf(&b, "+0x%" PRIx64, rest);
    return b.s;
}

char *cd_dl_global_name(cd_symtab *sym, uint64_t addr)
{
    if (!sym)
        return NULL;
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(sym), addr);
    if (!mod)
        return NULL;
    char *r = walk_module(mod, containing_var, &addr);
    if (r)
        return r;
    const char *name;
    uint64_t off;
    if (cd_symtab_addr_symbol(sym, addr, &name, &off) && name) {
        if (off)
            return cd_xasprintf("%s+0x%" PRIx64, name, off);
        return cd_xstrdup(name);
    }
    return NULL;
}

/* ---- names through global pointers: `&gctx->rwl` for a heap lock a global points into ---- */

typedef struct ptr_search {
    cd_target *t;
    uint64_t addr;
} ptr_search;

/* A pointer variable whose target object contains the lock: `&gctx->rwl`, or the bare pointer's
 * name when it points at the lock itself. */
static char *pointing_var(Dwarf_Die *var, const char *name, uint64_t va, void *arg)
{
    ptr_search *ps = arg;
    uint64_t p, size;
    Dwarf_Die type, peeled, target;
    if (!die_type(var, &type) || dwarf_peel_type(&type, &peeled) != 0 || dwarf_tag(&peeled) != DW_TAG_pointer_type ||
        !die_type(&peeled, &target) || !type_size(&target, &size) ||
        cd_target_read_full(ps->t, va, &p, sizeof p) != 0 || !p || ps->addr < p || ps->addr >= p + size)
        return NULL;
    cd_buf b = {0}, r = {0};
    uint64_t rest = append_path(&target, ps->addr - p, &b);
    if (b.len && b.s[0] == '.')
        cd_buf_printf(&r, "&%s->%s", name, b.s + 1);
    else if (b.len)
        cd_buf_printf(&r, "&(*%s)%s", name, b.s);
    else
        cd_buf_puts(&r, name);
    if (rest)
        cd_buf_printf(&r, "+0x%" PRIx64, rest);
    cd_buf_free(&b);
    return r.s;
}

typedef struct ptr_modules {
    ptr_search ps;
    char *result;
} ptr_modules;

static int ptr_module_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud, (void)start;
    ptr_modules *pm = arg;
    const char *base = mname ? strrchr(mname, '/') : NULL;
    base = base ? base + 1 : mname;
    /* the C library's own globals never point at the program's locks */
    if (!base || cd_dl_runtime_module(base) || base[0] == '[')
        return DWARF_CB_OK;
    pm->result = walk_module(mod, pointing_var, &pm->ps);
    return pm->result ? DWARF_CB_ABORT : DWARF_CB_OK;
}

char *cd_dl_global_ptr_name(cd_symtab *sym, cd_target *t, uint64_t addr)
{
    if (!sym)
        return NULL;
    ptr_modules pm = {{t, addr}, NULL};
    dwfl_getmodules(cd_symtab_dwfl(sym), ptr_module_cb, &pm, 0);
    return pm.result;
}

/* ---- names from a frame's variables ---- */

typedef struct loc_val {
    bool in_mem;    /* the variable lives at addr; else its value is val */
    uint64_t addr, val;
} loc_val;

static bool reg_of(const cd_frame *f, unsigned r, uint64_t *v)
{
    if (r >= CD_NDWREGS || !(f->regs_valid & (1u << r)))
        return false;
    *v = f->regs[r];
    return true;
}

/* The simple location forms compilers use for locals and parameters: fbreg (frame base = CFA),
 * breg, reg, addr, optionally followed by stack_value. Anything else: give up (best effort). */
static bool eval_loc(const cd_frame *f, Dwarf_Addr bias, const Dwarf_Op *ops, size_t n, loc_val *out)
{
    if (n == 0)
        return false;
    uint64_t base;
    const Dwarf_Op *op = &ops[0];
    bool value = n == 2 && ops[1].atom == DW_OP_stack_value;
    if (n > 1 && !value)
        return false;
    if (op->atom == DW_OP_fbreg) {
        if (!f->cfa)
            return false;
        base = f->cfa + (uint64_t)(int64_t)op->number;
    } else if (op->atom >= DW_OP_breg0 && op->atom <= DW_OP_breg16) {
        if (!reg_of(f, op->atom - DW_OP_breg0, &base))
            return false;
        base += (uint64_t)(int64_t)op->number;
    } else if (op->atom >= DW_OP_reg0 && op->atom <= DW_OP_reg16 && n == 1) {
        out->in_mem = false;
        return reg_of(f, op->atom - DW_OP_reg0, &out->val);
    } else if (op->atom == DW_OP_addr) {
        base = op->number + bias;
    } else {
        return false;
    }
    out->in_mem = !value;
    out->addr = out->val = base;
    return true;
}

static bool frame_base_is_cfa(Dwarf_Die *scope)
{
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t n;
    if (!dwarf_attr_integrate(scope, DW_AT_frame_base, &a) || dwarf_getlocation(&a, &ops, &n) != 0)
        return true; /* inlined scopes have none: their variables use breg forms */
    return n == 1 && ops[0].atom == DW_OP_call_frame_cfa;
}

typedef struct frame_search {
    cd_target *t;
    const cd_frame *f;
    Dwarf_Addr bias, pc;
    uint64_t addr;
    char *result;
} frame_search;

static void try_var(frame_search *fs, Dwarf_Die *var)
{
    const char *name = die_name(var);
    Dwarf_Attribute a;
    Dwarf_Die type, peeled;
    if (!name || !dwarf_attr(var, DW_AT_location, &a) || !die_type(var, &type) ||
        dwarf_peel_type(&type, &peeled) != 0)
        return;
    Dwarf_Op *ops;
    size_t n;
    if (dwarf_getlocation_addr(&a, fs->pc, &ops, &n, 1) != 1)
        return;
    loc_val lv;
    if (!eval_loc(fs->f, fs->bias, ops, n, &lv))
        return;
    cd_buf b = {0};
    if (dwarf_tag(&peeled) == DW_TAG_pointer_type) {
        uint64_t p = lv.val, size;
        if (lv.in_mem && cd_target_read_full(fs->t, lv.addr, &p, sizeof p) != 0)
            return;
        Dwarf_Die target;
        if (!p || !die_type(&peeled, &target) || !type_size(&target, &size))
            return;
        if (fs->addr < p || fs->addr >= p + size)
            return;
        cd_buf_printf(&b, "%s", name);
        size_t mark = b.len;
        uint64_t rest = append_path(&target, fs->addr - p, &b);
        if (b.len > mark && b.s[mark] == '.') {
            /* to->mu: rewrite the first '.' as '->' and take the address */
            cd_buf r = {0};
            cd_buf_printf(&r, "&%.*s->%s", (int)mark, b.s, b.s + mark + 1);
            cd_buf_free(&b);
            b = r;
        } else if (b.len > mark) {
            cd_buf r = {0};
            cd_buf_printf(&r, "&%s", b.s);
            cd_buf_free(&b);
            b = r;
        }
        if (rest)
            cd_buf_printf(&b, "+0x%" PRIx64, rest);
    } else {
        uint64_t size;
        if (!lv.in_mem || !type_size(&type, &size) || fs->addr < lv.addr || fs->addr >= lv.addr + size)
            return;
        cd_buf_printf(&b, "&%s", name);
        uint64_t rest = append_path(&type, fs->addr - lv.addr, &b);
        if (rest)
            cd_buf_printf(&b, "+0x%" PRIx64, rest);
    }
    fs->result = b.s;
}

static void search_frame_scope(frame_search *fs, Dwarf_Die *scope, int depth)
{
    Dwarf_Die c;
    if (depth > 8 || dwarf_child(scope, &c) != 0)
        return;
    do {
        int tag = dwarf_tag(&c);
        if (tag == DW_TAG_formal_parameter || tag == DW_TAG_variable) {
            try_var(fs, &c);
        } else if (tag == DW_TAG_lexical_block && dwarf_haspc(&c, fs->pc) == 1) {
            search_frame_scope(fs, &c, depth + 1);
        }
        if (fs->result)
            return;
    } while (dwarf_siblingof(&c, &c) == 0);
}

char *cd_dl_frame_name(cd_symtab *sym, cd_target *t, const cd_frame *f, uint64_t addr)
{
    (void)sym;
    if (!f->info.has_die || !f->info.mod)
        return NULL;
    Dwarf_Die scope = f->info.scope_die;
    if (!frame_base_is_cfa(&scope))
        return NULL;
    frame_search fs = {t, f, 0, 0, addr, NULL};
    if (!dwfl_module_getdwarf(f->info.mod, &fs.bias))
        return NULL;
    fs.pc = f->lookup_pc - fs.bias;
    search_frame_scope(&fs, &scope, 0);
    return fs.result;
}
