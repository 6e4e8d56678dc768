/* Finding variables, functions, enumerators and types by name.
 *
 * Locals come from the selected frame's scopes (dwarf_getscopes at its lookup pc, so nested lexical
 * blocks and inlined calls are right). Everything at file scope goes through a per-module index of
 * the top-level DIEs of each CU, built the first time a name is not found in the current CU: one
 * pass over top-level DIEs only (function bodies and struct members are skipped via DW_AT_sibling),
 * so a program with large DWARF is never loaded as a whole, and libraries are indexed only when
 * the executable does not have the name. */
#include "expr/expr_int.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

enum { K_VAR = 1, K_VARDECL = 2, K_FUNC = 4, K_STRUCT = 8, K_UNION = 16, K_ENUM = 32, K_TYPEDEF = 64,
       K_BASE = 128, K_ENUMERATOR = 256, K_INCOMPLETE = 512 };

typedef struct ientry {
    const char *name;
    Dwarf_Off off, aux;   /* DIE; for enumerators, aux = the enumeration type */
    unsigned kind;
    int next;             /* next entry with the same hash bucket */
} ientry;

struct cd_modidx {
    Dwfl_Module *mod;
    Dwarf *dbg;
    Dwarf_Addr bias;
    ientry *e;
    size_t n, cap;
    int *bucket;
    size_t nb;
};

static size_t shash(const char *s)
{
    size_t h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static const char *die_name(Dwarf_Die *d)
{
    Dwarf_Attribute a;
    return dwarf_formstring(dwarf_attr_integrate(d, DW_AT_name, &a));
}

static void idx_add(cd_modidx *mi, const char *name, Dwarf_Off off, Dwarf_Off aux, unsigned kind)
{
    if (mi->n == mi->cap) {
        mi->cap = mi->cap ? mi->cap * 2 : 1024;
        mi->e = cd_xrealloc(mi->e, mi->cap * sizeof *mi->e);
    }
    ientry *e = &mi->e[mi->n];
    e->name = name;
    e->off = off;
    e->aux = aux;
    e->kind = kind;
    size_t b = shash(name) % mi->nb;
    e->next = mi->bucket[b];
    mi->bucket[b] = (int)mi->n++;
}

static unsigned classify(Dwarf_Die *d)
{
    switch (dwarf_tag(d)) {
    case DW_TAG_variable:
        return dwarf_hasattr(d, DW_AT_location) || dwarf_hasattr_integrate(d, DW_AT_const_value) ? K_VAR : K_VARDECL;
    case DW_TAG_subprogram:
        return dwarf_hasattr(d, DW_AT_low_pc) || dwarf_hasattr(d, DW_AT_entry_pc) || dwarf_hasattr(d, DW_AT_ranges) ? K_FUNC : 0;
    case DW_TAG_structure_type: case DW_TAG_class_type:
        return K_STRUCT | (dwarf_hasattr(d, DW_AT_declaration) ? K_INCOMPLETE : 0);
    case DW_TAG_union_type:
        return K_UNION | (dwarf_hasattr(d, DW_AT_declaration) ? K_INCOMPLETE : 0);
    case DW_TAG_enumeration_type:
        return K_ENUM | (dwarf_hasattr(d, DW_AT_declaration) ? K_INCOMPLETE : 0);
    case DW_TAG_typedef: return K_TYPEDEF;
    case DW_TAG_base_type: return K_BASE;
    default: return 0;
    }
}

/* Index every top-level DIE of a CU (and the enumerators of its enums). */
static void index_cu(cd_modidx *mi, Dwarf_Die *cu)
{
    Dwarf_Die d;
    if (dwarf_child(cu, &d) != 0)
        return;
    do {
        unsigned k = classify(&d);
        if (!k)
            continue;
        const char *name = die_name(&d);
        if (name)
            idx_add(mi, name, dwarf_dieoffset(&d), 0, k);
        if (k & K_ENUM) {
            Dwarf_Die c;
            if (dwarf_child(&d, &c) == 0)
                do
                    if (dwarf_tag(&c) == DW_TAG_enumerator && (name = dwarf_diename(&c)))
                        idx_add(mi, name, dwarf_dieoffset(&c), dwarf_dieoffset(&d), K_ENUMERATOR);
                while (dwarf_siblingof(&c, &c) == 0);
        }
    } while (dwarf_siblingof(&d, &d) == 0);
}

static cd_modidx *modidx_get(cd_vstate *vs, Dwfl_Module *mod)
{
    for (size_t i = 0; i < vs->nmods; i++)
        if (vs->mods[i].mod == mod)
            return vs->mods[i].dbg ? &vs->mods[i] : NULL;
    vs->mods = cd_xrealloc(vs->mods, (vs->nmods + 1) * sizeof *vs->mods);
    cd_modidx *mi = &vs->mods[vs->nmods++];
    memset(mi, 0, sizeof *mi);
    mi->mod = mod;
    mi->dbg = dwfl_module_getdwarf(mod, &mi->bias);
    if (!mi->dbg)
        return NULL;
    mi->nb = 4099;
    mi->bucket = cd_xmalloc(mi->nb * sizeof *mi->bucket);
    for (size_t i = 0; i < mi->nb; i++)
        mi->bucket[i] = -1;
    Dwarf_CU *cu = NULL;
    Dwarf_Die cudie;
    uint8_t ut;
    while (dwarf_get_units(mi->dbg, cu, &cu, NULL, &ut, &cudie, NULL) == 0)
        if (ut == DW_UT_compile || ut == DW_UT_partial)
            index_cu(mi, &cudie);
    return mi;
}

void cd_modidx_free_all(cd_vstate *vs)
{
    for (size_t i = 0; i < vs->nmods; i++) {
        free(vs->mods[i].e);
        free(vs->mods[i].bucket);
    }
    free(vs->mods);
    vs->mods = NULL;
    vs->nmods = 0;
}

/* Best entry of KINDS for NAME: complete definitions beat declarations. */
static bool idx_find(cd_modidx *mi, const char *name, unsigned kinds, Dwarf_Die *out, Dwarf_Die *aux)
{
    if (!mi)
        return false;
    int best = -1;
    for (int i = mi->bucket[shash(name) % mi->nb]; i >= 0; i = mi->e[i].next) {
        ientry *e = &mi->e[i];
        if (!(e->kind & kinds) || strcmp(e->name, name))
            continue;
        if (best < 0 || ((mi->e[best].kind & (K_INCOMPLETE | K_VARDECL)) && !(e->kind & (K_INCOMPLETE | K_VARDECL))))
            best = i;
    }
    if (best < 0 || !dwarf_offdie(mi->dbg, mi->e[best].off, out))
        return false;
    if (aux && mi->e[best].aux)
        dwarf_offdie(mi->dbg, mi->e[best].aux, aux);
    return !(mi->e[best].kind & (K_INCOMPLETE | K_VARDECL)) || true;
}

/* ---------- modules ---------- */
typedef struct { Dwfl_Module **v; size_t n; } modlist;

static int collect_mod(Dwfl_Module *m, void **ud, const char *n, Dwarf_Addr a, void *arg)
{
    (void)ud; (void)n; (void)a;
    modlist *l = arg;
    l->v = cd_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = m;
    return DWARF_CB_OK;
}

static bool is_exe_mod(cd_ectx *x, Dwfl_Module *m)
{
    const char *mname = dwfl_module_info(m, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    if (!mname || !x->t || !x->t->exe_path)
        return false;
    const char *a = strrchr(mname, '/'), *b = strrchr(x->t->exe_path, '/');
    return !strcmp(a ? a + 1 : mname, b ? b + 1 : x->t->exe_path);
}

/* Search order: the frame's module, the executable, then the rest in load order. */
static modlist modules_ordered(cd_ectx *x)
{
    modlist l = {0};
    if (!x->sym)
        return l;
    dwfl_getmodules(cd_symtab_dwfl(x->sym), collect_mod, &l, 0);
    Dwfl_Module *first = x->frame ? x->frame->info.mod : NULL;
    for (size_t i = 0; i < l.n; i++)
        if (is_exe_mod(x, l.v[i]) && i) {
            Dwfl_Module *m = l.v[i];
            memmove(l.v + 1, l.v, i * sizeof *l.v);
            l.v[0] = m;
            break;
        }
    if (first)
        for (size_t i = 0; i < l.n; i++)
            if (l.v[i] == first && i) {
                memmove(l.v + 1, l.v, i * sizeof *l.v);
                l.v[0] = first;
                break;
            }
    return l;
}

/* ---------- frame scopes ---------- */
static int frame_scopes(cd_ectx *x, Dwarf_Die **scopes, int *lo, int *hi)
{
    const cd_frame *f = x->frame;
    if (!f || !f->info.has_die || !f->info.mod)
        return -1;
    Dwarf_Addr bias;
    Dwarf_Die cud;
    Dwarf_Die sd = f->info.scope_die;
    if (!dwarf_diecu(&sd, &cud, NULL, NULL))
        return -1;
    dwfl_module_getdwarf(f->info.mod, &bias);
    int n = dwarf_getscopes(&cud, f->lookup_pc - bias, scopes);
    if (n <= 0)
        return -1;
    int k = -1;
    for (int i = 0; i < n; i++)
        if ((*scopes)[i].addr == sd.addr) {
            k = i;
            break;
        }
    if (k < 0) {
        /* The symbol layer's DIE is not on the pc's scope chain (should not happen): use it alone. */
        free(*scopes);
        *scopes = cd_xmalloc(sizeof **scopes);
        (*scopes)[0] = sd;
        *lo = *hi = 0;
        return 1;
    }
    int j = -1;
    for (int i = 0; i < k; i++)
        if (dwarf_tag(&(*scopes)[i]) == DW_TAG_inlined_subroutine)
            j = i;
    *lo = j + 1;
    *hi = k;
    return n;
}

static Dwarf_Off var_order(cd_var *v)
{
    Dwarf_Attribute a;
    Dwarf_Die o;
    if (dwarf_formref_die(dwarf_attr(&v->die, DW_AT_abstract_origin, &a), &o))
        return dwarf_dieoffset(&o);
    return dwarf_dieoffset(&v->die);
}

int cd_frame_vars(cd_ectx *x, bool params, bool locals, cd_var **out, cd_err *err)
{
    *out = NULL;
    if (!x->frame)
        return cd_fail(err, CD_EXIT_CMD, "no frame selected; attach to a process or open a core first");
    Dwarf_Die *scopes;
    int lo, hi;
    if (frame_scopes(x, &scopes, &lo, &hi) < 0)
        return cd_fail(err, CD_EXIT_CMD, "no debug info for frame #%d (%s); compile with -g", x->frame->level,
                       x->frame->info.func ? x->frame->info.func : "??");
    cd_var *v = NULL;
    int n = 0;
    for (int i = lo; i <= hi; i++) {
        Dwarf_Die c;
        if (dwarf_child(&scopes[i], &c) != 0)
            continue;
        int first = n;
        do {
            int tag = dwarf_tag(&c);
            bool p = tag == DW_TAG_formal_parameter;
            if (!((p && params && i == hi) || (tag == DW_TAG_variable && locals)))
                continue;
            const char *name = die_name(&c);
            if (!name)
                continue;
            v = cd_xrealloc(v, (size_t)(n + 1) * sizeof *v);
            v[n].name = name;
            v[n].die = c;
            v[n].is_param = p;
            v[n].mod = x->frame->info.mod;
            n++;
        } while (dwarf_siblingof(&c, &c) == 0);
        /* Optimised out-of-line copies list their children in any order; the abstract origin's
         * order is the declaration order, which is what the user wrote. */
        for (int a = first + 1; a < n; a++)
            for (int b = a; b > first && var_order(&v[b]) < var_order(&v[b - 1]); b--) {
                cd_var t = v[b];
                v[b] = v[b - 1];
                v[b - 1] = t;
            }
    }
    free(scopes);
    *out = v;
    return n;
}

int cd_var_value(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die, cd_value *out)
{
    Dwarf_Attribute a;
    Dwarf_Die td;
    cd_type *t = dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &a), &td)
                     ? cd_type_from_die(x->vs, &td) : cd_type_int(x->vs);
    return cd_loc_value(x, mod, die, t, out);
}

static int func_value(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *d, cd_value *out)
{
    Dwarf_Addr bias, lo = 0;
    dwfl_module_getdwarf(mod, &bias);
    if (dwarf_entrypc(d, &lo) != 0 && dwarf_lowpc(d, &lo) != 0)
        return cd_fail(x->err, CD_EXIT_CMD, "function %s has no address (inlined everywhere)", die_name(d));
    memset(out, 0, sizeof *out);
    out->type = cd_type_from_die(x->vs, d);
    out->where = V_MEM;
    out->addr = lo + bias;
    out->regno = -1;
    out->lval = false;
    return 0;
}

static int enumerator_value(cd_ectx *x, Dwarf_Die *en, Dwarf_Die *et, cd_value *out)
{
    cd_type *t = cd_type_from_die(x->vs, et);
    /* C 6.4.4.3: an enumeration constant has type int (RED + BLUE is int even when the enum's
     * compatible type is unsigned int); its twin type keeps the enum for printing by name. */
    if (t->kind == TY_ENUM && !t->enum_const) {
        if (!t->const_of) {
            t->const_of = cd_arena_alloc(&x->vs->types, sizeof *t);
            *t->const_of = *t;
            t->const_of->enum_const = true;
            t->const_of->ptr_to = t->const_of->const_of = NULL;
        }
        t = t->const_of;
    }
    Dwarf_Attribute a;
    Dwarf_Sword sv = 0;
    Dwarf_Word uv = 0;
    __int128 v = 0;
    if (dwarf_attr(en, DW_AT_const_value, &a)) {
        if (t->is_signed && dwarf_formsdata(&a, &sv) == 0)
            v = sv;
        else if (dwarf_formudata(&a, &uv) == 0)
            v = uv;
    }
    *out = cd_value_from_int(x, t, v);
    return 0;
}

/* Looks NAME up among the file-scope entities of one CU (no index needed). */
static int cu_lookup(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *cu, const char *name, cd_value *out)
{
    Dwarf_Die d;
    if (dwarf_child(cu, &d) != 0)
        return 1;
    do {
        int tag = dwarf_tag(&d);
        if (tag == DW_TAG_variable) {
            const char *n = die_name(&d);
            if (n && !strcmp(n, name) && classify(&d) == K_VAR)
                return cd_var_value(x, mod, &d, out);
        } else if (tag == DW_TAG_enumeration_type) {
            Dwarf_Die c;
            if (dwarf_child(&d, &c) == 0)
                do {
                    const char *n = dwarf_diename(&c);
                    if (dwarf_tag(&c) == DW_TAG_enumerator && n && !strcmp(n, name))
                        return enumerator_value(x, &c, &d, out);
                } while (dwarf_siblingof(&c, &c) == 0);
        }
    } while (dwarf_siblingof(&d, &d) == 0);
    return 1;
}

int cd_lookup_ident(cd_ectx *x, const char *name, cd_value *out)
{
    /* 1. locals and parameters, innermost block first */
    if (x->frame) {
        Dwarf_Die *scopes;
        int lo, hi;
        if (frame_scopes(x, &scopes, &lo, &hi) >= 0) {
            for (int i = lo; i <= hi; i++) {
                Dwarf_Die c;
                if (dwarf_child(&scopes[i], &c) != 0)
                    continue;
                do {
                    int tag = dwarf_tag(&c);
                    if (tag != DW_TAG_variable && tag != DW_TAG_formal_parameter)
                        continue;
                    const char *n = die_name(&c);
                    if (n && !strcmp(n, name)) {
                        Dwarf_Die d = c;
                        free(scopes);
                        return cd_var_value(x, x->frame->info.mod, &d, out);
                    }
                } while (dwarf_siblingof(&c, &c) == 0);
            }
            free(scopes);
        }
        /* 2. the frame's CU (file statics shadow other files' globals) */
        Dwarf_Die cud, sd = x->frame->info.scope_die;
        if (x->frame->info.has_die && dwarf_diecu(&sd, &cud, NULL, NULL)) {
            int r = cu_lookup(x, x->frame->info.mod, &cud, name, out);
            if (r <= 0)
                return r;
        }
    }
    /* 3. every module, via its index */
    modlist l = modules_ordered(x);
    for (size_t i = 0; i < l.n; i++) {
        cd_modidx *mi = modidx_get(x->vs, l.v[i]);
        Dwarf_Die d, aux;
        Dwfl_Module *m = l.v[i];
        if (idx_find(mi, name, K_VAR, &d, NULL)) {
            free(l.v);
            return cd_var_value(x, m, &d, out);
        }
        if (idx_find(mi, name, K_FUNC, &d, NULL)) {
            free(l.v);
            return func_value(x, m, &d, out);
        }
        if (idx_find(mi, name, K_ENUMERATOR, &d, &aux)) {
            free(l.v);
            return enumerator_value(x, &d, &aux, out);
        }
    }
    /* 4. ELF symbols of modules without DWARF: the address is known, the type is not. */
    for (size_t i = 0; i < l.n; i++) {
        int ns = dwfl_module_getsymtab(l.v[i]);
        for (int k = 1; k < ns; k++) {
            GElf_Sym sym;
            GElf_Addr addr;
            const char *sn = dwfl_module_getsym_info(l.v[i], k, &sym, &addr, NULL, NULL, NULL);
            if (!sn || strcmp(sn, name) || sym.st_shndx == SHN_UNDEF)
                continue;
            int ty = GELF_ST_TYPE(sym.st_info);
            free(l.v);
            if (ty == STT_FUNC || ty == STT_GNU_IFUNC) {
                memset(out, 0, sizeof *out);
                out->type = cd_type_from_die(x->vs, NULL);
                cd_type *ft = cd_arena_alloc(&x->vs->types, sizeof *ft);
                ft->kind = TY_FUNC;
                ft->target = cd_type_int(x->vs);
                out->type = ft;
                out->where = V_MEM;
                out->addr = addr;
                out->regno = -1;
                return 0;
            }
            return cd_fail(x->err, CD_EXIT_CMD,
                           "'%s' has no debug info (data symbol at 0x%llx); cast its address, e.g. print *(int *)0x%llx",
                           name, (unsigned long long)addr, (unsigned long long)addr);
        }
    }
    free(l.v);
    if (!x->t)
        return cd_fail(x->err, CD_EXIT_CMD, "no symbol \"%s\" (no program loaded)", name);
    return cd_fail(x->err, CD_EXIT_CMD, "no symbol \"%s\" in the current context", name);
}

static unsigned kind_bits(int kind)
{
    switch (kind) {
    case 's': return K_STRUCT;
    case 'u': return K_UNION;
    case 'e': return K_ENUM;
    case 't': return K_TYPEDEF;
    default: return K_BASE;
    }
}

static bool cu_find_type(Dwarf_Die *cu, unsigned kb, const char *name, Dwarf_Die *out)
{
    Dwarf_Die d;
    bool found = false;
    if (dwarf_child(cu, &d) != 0)
        return false;
    do {
        unsigned k = classify(&d);
        if (!(k & kb))
            continue;
        const char *n = dwarf_diename(&d);
        if (n && !strcmp(n, name)) {
            *out = d;
            found = true;
            if (!(k & K_INCOMPLETE))
                return true;
        }
    } while (dwarf_siblingof(&d, &d) == 0);
    return found;
}

static cd_type *lookup_type(cd_ectx *x, int kind, const char *name, bool all_modules)
{
    unsigned kb = kind_bits(kind);
    Dwarf_Die d;
    if (x->frame && x->frame->info.has_die) {
        Dwarf_Die cud, sd = x->frame->info.scope_die;
        if (dwarf_diecu(&sd, &cud, NULL, NULL) && cu_find_type(&cud, kb, name, &d)) {
            cd_type *t = cd_type_from_die(x->vs, &d);
            if (t->complete || kind == 't' || kind == 'b')
                return t;
        }
    }
    modlist l = modules_ordered(x);
    cd_type *incomplete = NULL;
    for (size_t i = 0; i < l.n; i++) {
        if (!all_modules && i > 1)
            break;
        cd_modidx *mi = modidx_get(x->vs, l.v[i]);
        if (idx_find(mi, name, kb, &d, NULL)) {
            cd_type *t = cd_type_from_die(x->vs, &d);
            if (t->complete) {
                free(l.v);
                return t;
            }
            incomplete = t;
        }
    }
    free(l.v);
    return incomplete;
}

cd_type *cd_lookup_type(cd_ectx *x, int kind, const char *name) { return lookup_type(x, kind, name, true); }

bool cd_ectx_is_typename(void *ctx, const char *name)
{
    cd_ectx *x = ctx;
    if (!x->sym)
        return false;
    /* A variable of that name in scope wins, as in C. Only the frame's module and the executable
     * are searched, so `(x)` never makes us index every library. */
    if (x->frame && x->frame->info.has_die) {
        Dwarf_Die *scopes;
        int lo, hi;
        if (frame_scopes(x, &scopes, &lo, &hi) >= 0) {
            for (int i = lo; i <= hi; i++) {
                Dwarf_Die c;
                if (dwarf_child(&scopes[i], &c) != 0)
                    continue;
                do {
                    const char *n = die_name(&c);
                    int tag = dwarf_tag(&c);
                    if ((tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) && n && !strcmp(n, name)) {
                        free(scopes);
                        return false;
                    }
                } while (dwarf_siblingof(&c, &c) == 0);
            }
            free(scopes);
        }
    }
    return lookup_type(x, 't', name, false) != NULL;
}

int cd_for_each_global(cd_ectx *x, bool all_modules, cd_global_cb cb, void *arg)
{
    modlist l = modules_ordered(x);
    int r = 0;
    for (size_t i = 0; i < l.n && r == 0; i++) {
        if (!all_modules && !is_exe_mod(x, l.v[i]))
            continue;
        cd_modidx *mi = modidx_get(x->vs, l.v[i]);
        if (!mi)
            continue;
        for (size_t k = 0; k < mi->n && r == 0; k++) {
            if (mi->e[k].kind != K_VAR)
                continue;
            Dwarf_Die d;
            if (dwarf_offdie(mi->dbg, mi->e[k].off, &d))
                r = cb(x, l.v[i], &d, mi->e[k].name, arg);
        }
    }
    free(l.v);
    return r;
}

void cd_addr_symbol(cd_ectx *x, uint64_t addr, cd_buf *b)
{
    const char *name;
    uint64_t off;
    if (!x->sym || !addr || !cd_symtab_addr_symbol(x->sym, addr, &name, &off) || !name)
        return;
    if (off)
        cd_buf_printf(b, "<%s+%llu>", name, (unsigned long long)off);
    else
        cd_buf_printf(b, "<%s>", name);
}
