/* Lock names, as the program's code names the object: the global or static variable holding a
 * lock, with the member path down to it (`table.buckets[7].mu`), or the waiting frame's variable
 * that is the lock or points at it (`m`, `to->mu`, `mp`). Objects, not addresses: `q_cv` and `m`
 * alike, never `&m`.
 *
 * Which variables are looked at is decided here; where a variable lives (its DWARF location) and
 * the member path through its type are src/expr's (cd_var_locate, cd_type_member_path). */
#include "deadlock/deadlock.h"
#include "expr/expr.h"

#include <dwarf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    return dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
}

/* One walk over a module's static variables (globals, and function-scope statics), for both
 * kinds of global naming below: visit() returns a name to stop the walk, or NULL to go on. */
typedef char *(*static_var_fn)(const cd_scope *sc, Dwarf_Die *var, const char *name, uint64_t va, void *arg);

/* SC has no frame: only variables at a fixed address are found. */
static char *walk_scope(const cd_scope *sc, Dwfl_Module *mod, Dwarf_Die *scope, static_var_fn visit, void *arg,
                        int depth)
{
    Dwarf_Die c;
    if (depth > 8 || dwarf_child(scope, &c) != 0)
        return NULL;
    do {
        int tag = dwarf_tag(&c);
        char *r = NULL;
        if (tag == DW_TAG_variable) {
            const char *name = die_name(&c);
            cd_varloc vl;
            if (name) {
                cd_var_locate(sc, mod, &c, &vl);
                if (vl.kind == CD_VARLOC_MEM)
                    r = visit(sc, &c, name, vl.addr, arg);
            }
        } else if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block || tag == DW_TAG_namespace) {
            r = walk_scope(sc, mod, &c, visit, arg, depth + 1);
        }
        if (r)
            return r;
    } while (dwarf_siblingof(&c, &c) == 0);
    return NULL;
}

static char *walk_module(const cd_scope *sc, Dwfl_Module *mod, static_var_fn visit, void *arg)
{
    Dwarf_Addr bias;
    Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie, subdie;
    uint8_t unit_type;
    Dwarf_Half version;
    char *r = NULL;
    while (dw && !r && dwarf_get_units(dw, cu, &cu, &version, &unit_type, &cudie, &subdie) == 0)
        r = walk_scope(sc, mod, &cudie, visit, arg, 0);
    return r;
}

/* The variable containing addr, with the member path: `forks[3]`, `table.buckets[7].mu`. */
static char *containing_var(const cd_scope *sc, Dwarf_Die *var, const char *name, uint64_t va, void *arg)
{
    uint64_t addr = *(const uint64_t *)arg;
    if (addr < va)
        return NULL;
    cd_type *type = cd_type_of_die(sc->vs, var);
    if (!type || addr >= va + cd_type_size(type))
        return NULL;
    cd_buf b = {0};
    cd_buf_printf(&b, "%s%s", cd_die_scope(sc->vs, var), name); /* bank::audit_mu, as gdb names it */
    uint64_t rest = cd_type_member_path(sc->vs, type, addr - va, &b);
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
    cd_scope sc = {.sym = sym, .vs = cd_vstate_new()};
    char *r = walk_module(&sc, mod, containing_var, &addr);
    cd_vstate_free(sc.vs);
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

/* The object at path PATH (a member path: `.mu`, `[3]`, `.a.b`, or "" for the whole pointee)
 * inside what pointer NAME points at: `p->mu`, `(*p)[3]`; a pointer at the lock itself is named
 * by the pointer, as the code that passed it to pthread_mutex_lock(shared_mu) names it. */
static void pointee_name(cd_buf *r, const char *name, const char *path)
{
    if (path[0] == '.')
        cd_buf_printf(r, "%s->%s", name, path + 1);
    else if (path[0])
        cd_buf_printf(r, "(*%s)%s", name, path);
    else
        cd_buf_puts(r, name);
}

/* A pointer variable whose target object contains the lock: `gctx->rwl`, or the bare pointer's
 * name when it points at the lock itself. */
static char *pointing_var(const cd_scope *sc, Dwarf_Die *var, const char *name, uint64_t va, void *arg)
{
    ptr_search *ps = arg;
    uint64_t p, size;
    cd_type *target = cd_type_pointee(cd_type_of_die(sc->vs, var));
    if (!target || !(size = cd_type_size(target)) || cd_target_read_full(ps->t, va, &p, sizeof p) != 0 || !p ||
        ps->addr < p || ps->addr >= p + size)
        return NULL;
    cd_buf b = {0}, r = {0}, qn = {0};
    cd_buf_printf(&qn, "%s%s", cd_die_scope(sc->vs, var), name);
    name = qn.s;
    uint64_t rest = cd_type_member_path(sc->vs, target, ps->addr - p, &b);
    pointee_name(&r, name, b.s ? b.s : "");
    if (rest)
        cd_buf_printf(&r, "+0x%" PRIx64, rest);
    cd_buf_free(&b);
    cd_buf_free(&qn);
    return r.s;
}

typedef struct ptr_modules {
    const cd_scope *sc;
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
    pm->result = walk_module(pm->sc, mod, pointing_var, &pm->ps);
    return pm->result ? DWARF_CB_ABORT : DWARF_CB_OK;
}

char *cd_dl_global_ptr_name(cd_symtab *sym, cd_target *t, uint64_t addr)
{
    if (!sym)
        return NULL;
    cd_scope sc = {.target = t, .sym = sym, .vs = cd_vstate_new()};
    ptr_modules pm = {&sc, {t, addr}, NULL};
    dwfl_getmodules(cd_symtab_dwfl(sym), ptr_module_cb, &pm, 0);
    cd_vstate_free(sc.vs);
    return pm.result;
}

/* ---- names from a frame's variables ---- */

typedef struct frame_search {
    const cd_scope *sc;     /* the frame */
    Dwfl_Module *mod;
    Dwarf_Addr pc;          /* the frame's pc in the module's DWARF addresses */
    uint64_t addr;
    char *result;
} frame_search;

static void try_var(frame_search *fs, Dwarf_Die *var)
{
    const char *name = die_name(var);
    cd_type *type = name ? cd_type_of_die(fs->sc->vs, var) : NULL;
    if (!type)
        return;
    cd_varloc lv;
    cd_var_locate(fs->sc, fs->mod, var, &lv);
    if (lv.kind == CD_VARLOC_NONE)
        return;
    cd_buf b = {0};
    cd_type *target = cd_type_pointee(type);
    if (target) {
        uint64_t p = lv.val, size;
        if (lv.kind == CD_VARLOC_MEM && cd_target_read_full(fs->sc->target, lv.addr, &p, sizeof p) != 0)
            return;
        if (!p || !(size = cd_type_size(target)))
            return;
        if (fs->addr < p || fs->addr >= p + size)
            return;
        cd_buf path = {0};
        uint64_t rest = cd_type_member_path(fs->sc->vs, target, fs->addr - p, &path);
        pointee_name(&b, name, path.s ? path.s : "");
        cd_buf_free(&path);
        if (rest)
            cd_buf_printf(&b, "+0x%" PRIx64, rest);
    } else {
        uint64_t size = cd_type_size(type);
        if (lv.kind != CD_VARLOC_MEM || !size || fs->addr < lv.addr || fs->addr >= lv.addr + size)
            return;
        cd_buf_printf(&b, "%s", name);
        uint64_t rest = cd_type_member_path(fs->sc->vs, type, fs->addr - lv.addr, &b);
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
    /* The C library's parameter names (pthread_cond_wait's `mutex`) are not the program's. */
    if (!f->info.has_die || !f->info.mod || cd_dl_runtime_module(f->info.module))
        return NULL;
    Dwarf_Addr bias;
    if (!dwfl_module_getdwarf(f->info.mod, &bias))
        return NULL;
    /* Only this frame: a caller's call-site values are not worth unwinding further for a name. */
    cd_scope sc = {.target = t, .sym = sym, .frame = f, .frames = f, .nframes = 1, .vs = cd_vstate_new()};
    frame_search fs = {&sc, f->info.mod, f->lookup_pc - bias, addr, NULL};
    Dwarf_Die scope = f->info.scope_die;
    search_frame_scope(&fs, &scope, 0);
    cd_vstate_free(sc.vs);
    return fs.result;
}

typedef struct fptr_search {
    const cd_scope *sc;
    Dwfl_Module *mod;
    Dwarf_Addr pc;
    const char *name;
    uint64_t val;
    bool found;
} fptr_search;

static void search_ptr_scope(fptr_search *ps, Dwarf_Die *scope, int depth)
{
    Dwarf_Die c;
    if (depth > 8 || dwarf_child(scope, &c) != 0)
        return;
    do {
        int tag = dwarf_tag(&c);
        const char *n;
        if ((tag == DW_TAG_formal_parameter || tag == DW_TAG_variable) && (n = die_name(&c)) && !strcmp(n, ps->name)) {
            cd_varloc lv;
            cd_var_locate(ps->sc, ps->mod, &c, &lv);
            uint64_t p = lv.val;
            if (lv.kind == CD_VARLOC_MEM && cd_target_read_full(ps->sc->target, lv.addr, &p, sizeof p) != 0)
                lv.kind = CD_VARLOC_NONE;
            if (lv.kind != CD_VARLOC_NONE && p) {
                ps->val = p;
                ps->found = true;
            }
        } else if (tag == DW_TAG_lexical_block && dwarf_haspc(&c, ps->pc) == 1) {
            search_ptr_scope(ps, &c, depth + 1);
        }
    } while (!ps->found && dwarf_siblingof(&c, &c) == 0);
}

bool cd_dl_frame_ptr(cd_symtab *sym, cd_target *t, const cd_frame *f, const char *name, uint64_t *out)
{
    if (!f->info.has_die || !f->info.mod)
        return false;
    Dwarf_Addr bias;
    if (!dwfl_module_getdwarf(f->info.mod, &bias))
        return false;
    cd_scope sc = {.target = t, .sym = sym, .frame = f, .frames = f, .nframes = 1, .vs = cd_vstate_new()};
    fptr_search ps = {&sc, f->info.mod, f->lookup_pc - bias, name, 0, false};
    Dwarf_Die scope = f->info.scope_die;
    search_ptr_scope(&ps, &scope, 0);
    cd_vstate_free(sc.vs);
    if (ps.found)
        *out = ps.val;
    return ps.found;
}

bool cd_dl_toolchain_frame(const char *func, const char *file, const char *module)
{
    /* by name first: clang writes the headers' paths as the driver found them
     * (/usr/bin/../lib/gcc/x86_64-linux-gnu/12/../../../../include/x86_64-linux-gnu/c++/12/bits/
     * gthr-default.h), which no fixed prefix matches */
    if (func && (!strncmp(func, "std::", 5) || !strncmp(func, "__gthread", 9) || !strncmp(func, "__gthrw", 7) ||
                 !strncmp(func, "__gnu_cxx::", 11)))
        return true;
    if (module && (!strncmp(module, "libstdc++", 9) || !strncmp(module, "libgcc_s", 8) || !strncmp(module, "libc++", 6)))
        return true;
    if (!file)
        return false;
    static const char *const prefix[] = {"/usr/include/", "/usr/local/include/", "/usr/lib/gcc/", "/usr/lib/llvm"};
    for (size_t i = 0; i < sizeof prefix / sizeof prefix[0]; i++)
        if (!strncmp(file, prefix[i], strlen(prefix[i])))
            return true;
    return strstr(file, "/include/c++/") || strstr(file, "/libstdc++-v3/") || strstr(file, "/lib/gcc/") ||
           (strstr(file, "/include/") && strstr(file, "/c++/"));
}
