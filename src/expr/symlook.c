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
       K_BASE = 128, K_ENUMERATOR = 256, K_INCOMPLETE = 512, K_EXT = 1024 /* DW_AT_external */ };

typedef struct ientry {
    const char *name;
    Dwarf *dbg;           /* the module's DWARF, or the .dwo of a split unit */
    Dwarf_Off off, aux;   /* DIE; for enumerators, aux = the enumeration type */
    unsigned kind;
    int next;             /* next entry with the same hash bucket */
} ientry;

struct cd_modidx {
    Dwfl_Module *mod;
    Dwarf *dbg;
    Dwarf *cur;           /* while indexing: the Dwarf of the unit being read */
    Dwarf_Addr bias;
    ientry *e;
    size_t n, cap;
    int *bucket;
    size_t nb;
    cd_arena names;       /* qualified C++ names ("shop::core::inventory_mu") */
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
    e->dbg = mi->cur;
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
        /* A definition with neither location nor value is one the optimizer removed (gcc -O2's
         * `static double ratio = 2.5;` never written): gdb prints it as <optimized out>. */
        return dwarf_hasattr(d, DW_AT_location) || dwarf_hasattr_integrate(d, DW_AT_const_value) ||
                       !dwarf_hasattr_integrate(d, DW_AT_declaration)
                   ? K_VAR
                   : K_VARDECL;
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

/* The C++ scope prefix of a declaration ("shop::core::Consumer::"), from the namespaces and named
 * classes around it; "" at file scope, NULL inside a function (not nameable from outside). */
static char *decl_prefix(cd_arena *ar, Dwarf_Die *decl)
{
    Dwarf_Die *chain = NULL;
    int nc = dwarf_getscopes_die(decl, &chain);
    cd_buf b = {0};
    bool ok = true;
    for (int i = nc - 2; i >= 1 && ok; i--) {
        int tag = dwarf_tag(&chain[i]);
        const char *n = dwarf_diename(&chain[i]);
        if (tag == DW_TAG_namespace) {
            if (n) /* an anonymous namespace's members are named from the enclosing one */
                cd_buf_printf(&b, "%s::", n);
        } else if ((tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) && n)
            cd_buf_printf(&b, "%s::", n);
        else
            ok = false;
    }
    free(chain);
    char *r = ok ? cd_arena_strdup(ar, b.len ? cd_buf_str(&b) : "") : NULL;
    cd_buf_free(&b);
    return r;
}

/* The name to index DIE under: its own name, qualified in C++ by the scopes of the declaration a
 * definition points at (DW_AT_specification: a namespace variable, a static member, a member
 * function defined outside its class) or by PREFIX, the namespaces it sits in. A member function
 * is never indexed under its bare name: `id` is not std::locale::id::id. */
static const char *index_name(cd_modidx *mi, Dwarf_Die *d, const char *prefix)
{
    const char *name = die_name(d);
    if (!name)
        return NULL;
    Dwarf_Attribute a;
    Dwarf_Die decl;
    if (dwarf_formref_die(dwarf_attr(d, DW_AT_specification, &a), &decl)) {
        char *p = decl_prefix(&mi->names, &decl);
        if (!p)
            return NULL;
        prefix = p;
    }
    if (!prefix || !*prefix)
        return name;
    size_t lp = strlen(prefix), ln = strlen(name);
    char *q = cd_arena_alloc(&mi->names, lp + ln + 1);
    memcpy(q, prefix, lp);
    memcpy(q + lp, name, ln + 1);
    return q;
}

/* Index the file-scope DIEs under PARENT (a CU, or a namespace inside one, with its prefix) and the
 * enumerators of their enums. */
static void index_scope(cd_modidx *mi, Dwarf_Die *parent, const char *prefix, int depth)
{
    Dwarf_Die d;
    if (depth > 32 || dwarf_child(parent, &d) != 0)
        return;
    do {
        if (dwarf_tag(&d) == DW_TAG_namespace) {
            const char *n = dwarf_diename(&d);
            const char *np = prefix;
            if (n) {
                size_t lp = strlen(prefix), ln = strlen(n);
                char *q = cd_arena_alloc(&mi->names, lp + ln + 3);
                memcpy(q, prefix, lp);
                memcpy(q + lp, n, ln);
                memcpy(q + lp + ln, "::", 3);
                np = q;
            }
            index_scope(mi, &d, np, depth + 1);
            continue;
        }
        unsigned k = classify(&d);
        if (!k)
            continue;
        if ((k & (K_VAR | K_VARDECL | K_FUNC)) && dwarf_hasattr_integrate(&d, DW_AT_external))
            k |= K_EXT;
        const char *name = index_name(mi, &d, prefix);
        if (name)
            idx_add(mi, name, dwarf_dieoffset(&d), 0, k);
        if (k & K_ENUM) {
            /* a scoped enum's enumerators are named through it: zoo::Color::Red */
            const char *ep = prefix;
            if (name && dwarf_hasattr(&d, DW_AT_enum_class)) {
                size_t ln = strlen(name);
                char *q = cd_arena_alloc(&mi->names, ln + 3);
                memcpy(q, name, ln); /* NAME is already qualified by PREFIX */
                memcpy(q + ln, "::", 3);
                ep = q;
            }
            Dwarf_Die c;
            if (dwarf_child(&d, &c) == 0)
                do
                    if (dwarf_tag(&c) == DW_TAG_enumerator && (name = dwarf_diename(&c)))
                        idx_add(mi, index_name(mi, &c, ep), dwarf_dieoffset(&c), dwarf_dieoffset(&d), K_ENUMERATOR);
                while (dwarf_siblingof(&c, &c) == 0);
        }
    } while (dwarf_siblingof(&d, &d) == 0);
}

static void index_cu(cd_modidx *mi, Dwarf_Die *cu)
{
    index_scope(mi, cu, "", 0);
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
    Dwarf_Die cudie, subdie;
    uint8_t ut;
    /* A skeleton unit (-gsplit-dwarf) has no DIEs of its own: they are in its split unit, read
     * from the .dwo, whose DIE offsets belong to that file's Dwarf. */
    while (dwarf_get_units(mi->dbg, cu, &cu, NULL, &ut, &cudie, &subdie) == 0) {
        Dwarf_Die *u = ut == DW_UT_compile || ut == DW_UT_partial ? &cudie
                       : ut == DW_UT_skeleton && subdie.addr && dwarf_tag(&subdie) == DW_TAG_compile_unit ? &subdie
                       : NULL;
        if (!u)
            continue;
        mi->cur = dwarf_cu_getdwarf(u->cu);
        index_cu(mi, u);
    }
    return mi;
}

void cd_modidx_free_all(cd_vstate *vs)
{
    for (size_t i = 0; i < vs->nmods; i++) {
        free(vs->mods[i].e);
        free(vs->mods[i].bucket);
        cd_arena_free(&vs->mods[i].names);
    }
    free(vs->mods);
    vs->mods = NULL;
    vs->nmods = 0;
}

/* Best entry of KINDS for NAME (EXT 1: external only, 0: not external, -1: either): complete
 * definitions beat declarations. */
static bool idx_find_ext(cd_modidx *mi, const char *name, unsigned kinds, int ext, Dwarf_Die *out, Dwarf_Die *aux)
{
    if (!mi)
        return false;
    int best = -1;
    for (int i = mi->bucket[shash(name) % mi->nb]; i >= 0; i = mi->e[i].next) {
        ientry *e = &mi->e[i];
        if (!(e->kind & kinds) || strcmp(e->name, name))
            continue;
        if (ext >= 0 && !!(e->kind & K_EXT) != ext)
            continue;
        if (best < 0 || ((mi->e[best].kind & (K_INCOMPLETE | K_VARDECL)) && !(e->kind & (K_INCOMPLETE | K_VARDECL))))
            best = i;
    }
    if (best < 0 || !dwarf_offdie(mi->e[best].dbg, mi->e[best].off, out))
        return false;
    if (aux && mi->e[best].aux)
        dwarf_offdie(mi->e[best].dbg, mi->e[best].aux, aux);
    return !(mi->e[best].kind & (K_INCOMPLETE | K_VARDECL)) || true;
}

static bool idx_find(cd_modidx *mi, const char *name, unsigned kinds, Dwarf_Die *out, Dwarf_Die *aux)
{
    return idx_find_ext(mi, name, kinds, -1, out, aux);
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
static int scopes_from(Dwarf_Die *sd, Dwarf_Addr pc, Dwarf_Die **scopes)
{
    Dwarf_Die *up = NULL, inner[64];
    int ni = 0;
    Dwarf_Die cur = *sd, c;
    /* the blocks and inlined calls inside SD that hold the pc, outermost first */
    for (bool found = true; found && ni < 64;) {
        found = false;
        if (dwarf_child(&cur, &c) != 0)
            break;
        do {
            int tag = dwarf_tag(&c);
            if ((tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) && dwarf_haspc(&c, pc) > 0) {
                inner[ni++] = cur = c;
                found = true;
                break;
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    }
    int nu = dwarf_getscopes_die(sd, &up);
    if (nu <= 0)
        return -1;
    *scopes = cd_xmalloc((size_t)(ni + nu) * sizeof **scopes);
    for (int i = 0; i < ni; i++)
        (*scopes)[i] = inner[ni - 1 - i];
    memcpy(*scopes + ni, up, (size_t)nu * sizeof *up);
    free(up);
    return ni + nu;
}

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
        /* clang nests a namespace's functions in the DW_TAG_namespace, where dwarf_getscopes does
         * not look: the chain from the symbol layer's DIE down to the pc and up to the CU instead */
        n = scopes_from(&sd, f->lookup_pc - bias, scopes);
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
    if (frame_scopes(x, &scopes, &lo, &hi) < 0) {
        const char *fn = x->frame->info.func ? x->frame->info.func : "??";
        /* The module has DWARF, in a split unit that cannot be read: -g is not what is missing. */
        if (x->frame->info.nodebug)
            return cd_fail(err, CD_EXIT_CMD, "no debug info for frame #%d (%s): %s", x->frame->level, fn, x->frame->info.nodebug);
        return cd_fail(err, CD_EXIT_CMD, "no debug info for frame #%d (%s); compile with -g", x->frame->level, fn);
    }
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
    if (!(t = cd_type_resolve(x, mod, t)))
        return -1;
    return cd_loc_value(x, mod, die, t, out);
}

static int func_value(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *d, cd_value *out)
{
    Dwarf_Addr bias, lo = 0;
    dwfl_module_getdwarf(mod, &bias);
    Dwarf_Addr base, end;
    ptrdiff_t off;
    /* a function split into hot and cold parts has DW_AT_ranges only: gdb's entry pc is then the
     * start of the first range listed (BLOCK_ENTRY_PC) */
    if (dwarf_entrypc(d, &lo) != 0 && dwarf_lowpc(d, &lo) != 0 &&
        ((off = dwarf_ranges(d, 0, &base, &lo, &end)) <= 0))
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
            Dwarf_Attribute a;
            Dwarf_Die decl;
            if (n && !strcmp(n, name) && classify(&d) == K_VAR) {
                /* a C++ definition of a namespace variable or static member sits at the top of the
                 * CU but is named in its namespace or class (lookup_global finds it qualified) */
                if (dwarf_formref_die(dwarf_attr(&d, DW_AT_specification, &a), &decl)) {
                    const char *p = decl_prefix(x->ar, &decl);
                    if (!p || *p)
                        continue;
                }
                return cd_var_value(x, mod, &d, out);
            }
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

/* ---------- C++ scopes ---------- */
static bool frame_is_cxx(cd_ectx *x)
{
    Dwarf_Die cud, sd;
    if (!x->frame || !x->frame->info.has_die)
        return false;
    sd = x->frame->info.scope_die;
    if (!dwarf_diecu(&sd, &cud, NULL, NULL))
        return false;
    switch (dwarf_srclang(&cud)) {
    case DW_LANG_C_plus_plus: case DW_LANG_C_plus_plus_03: case DW_LANG_C_plus_plus_11: case DW_LANG_C_plus_plus_14:
        return true;
    default:
        return false;
    }
}

bool cd_ectx_is_cxx(cd_ectx *x) { return frame_is_cxx(x); }

/* The declaration a function DIE stands for: through DW_AT_abstract_origin (an inlined or
 * out-of-line instance) and DW_AT_specification (a definition outside its class). */
static Dwarf_Die decl_die(Dwarf_Die d)
{
    for (int hops = 0; hops < 8; hops++) {
        Dwarf_Attribute a;
        Dwarf_Die next;
        if (!dwarf_attr(&d, DW_AT_abstract_origin, &a) && !dwarf_attr(&d, DW_AT_specification, &a))
            break;
        if (!dwarf_formref_die(&a, &next))
            break;
        d = next;
    }
    return d;
}

/* The `this` parameter of function FN (a non-static member function), in *out. */
static bool this_param(Dwarf_Die *fn, Dwarf_Die *out)
{
    if (dwarf_child(fn, out) != 0)
        return false;
    do {
        const char *n;
        if (dwarf_tag(out) == DW_TAG_formal_parameter && (n = die_name(out)) && !strcmp(n, "this"))
            return true;
    } while (dwarf_siblingof(out, out) == 0);
    return false;
}

/* `this` of the selected frame's function, when it is a non-static member function. */
static bool frame_this(cd_ectx *x, Dwarf_Die *scopes, int hi, cd_value *out)
{
    Dwarf_Die c;
    if (!this_param(&scopes[hi], &c))
        return false;
    cd_err e, *save = x->err;
    x->err = &e;
    int r = cd_var_value(x, x->frame->info.mod, &c, out);
    x->err = save;
    return r == 0 && (out->where == V_MEM || out->where == V_BYTES) && cd_type_strip(out->type)->kind == TY_PTR;
}

/* The class the function's `this` parameter points to, from its type alone (its value may be
 * unreadable: optimized out at -O2). */
static bool this_class(Dwarf_Die *fn, Dwarf_Die *cls)
{
    Dwarf_Die t;
    if (!this_param(fn, &t))
        return false;
    Dwarf_Attribute a;
    for (int i = 0; i < 8 && dwarf_formref_die(dwarf_attr_integrate(&t, DW_AT_type, &a), &t); i++) {
        int tag = dwarf_tag(&t);
        if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
            *cls = t;
            return true;
        }
    }
    return false;
}

/* The member NAME of class CLS or of one of its bases, in *out: a static one (a declaration: a
 * DW_TAG_member or DW_TAG_variable with DW_AT_declaration) or a non-static data member. */
static bool class_member(Dwarf_Die *cls, const char *name, bool is_static, Dwarf_Die *out, int depth)
{
    Dwarf_Die c;
    if (depth > 16 || dwarf_child(cls, &c) != 0)
        return false;
    do {
        int tag = dwarf_tag(&c);
        const char *n = dwarf_diename(&c);
        if (n && !strcmp(n, name) &&
            (is_static ? (tag == DW_TAG_member || tag == DW_TAG_variable) && dwarf_hasattr(&c, DW_AT_declaration)
                       : tag == DW_TAG_member && !dwarf_hasattr(&c, DW_AT_declaration) &&
                             !dwarf_hasattr(&c, DW_AT_external))) {
            *out = c;
            return true;
        }
        Dwarf_Attribute a;
        Dwarf_Die base;
        if (tag == DW_TAG_inheritance && dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &a), &base) &&
            class_member(&base, name, is_static, out, depth + 1))
            return true;
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

/* NAME as a (static) member declared in class CLS or its bases: its qualified name. */
static bool class_static(cd_ectx *x, Dwarf_Die *cls, const char *name, const char **qual)
{
    Dwarf_Die m;
    if (!class_member(cls, name, true, &m, 0))
        return false;
    char *p = decl_prefix(x->ar, &m);
    if (!p)
        return false;
    size_t lp = strlen(p), ln = strlen(name);
    char *q = cd_arena_alloc(x->ar, lp + ln + 1);
    memcpy(q, p, lp);
    memcpy(q + lp, name, ln + 1);
    *qual = q;
    return true;
}

static int lookup_global(cd_ectx *x, const char *name, cd_value *out);

/* C++ lookup between the locals and file scope: members of `this` (data members, inherited ones
 * included, then static members), the classes and namespaces around the function's declaration,
 * innermost first, and the namespaces a using-directive brought into the function or the file.
 * 0: found, 1: not found, -1: error. */
static int cxx_scope_lookup(cd_ectx *x, Dwarf_Die *scopes, int hi, const char *name, cd_value *out)
{
    cd_value tv;
    if (frame_this(x, scopes, hi, &tv)) {
        cd_type *cls = cd_type_strip(cd_type_pointee(tv.type));
        __int128 p;
        cd_member m;
        bool fixed = cls && (cls->kind == TY_STRUCT || cls->kind == TY_UNION) &&
                     cd_type_find_member(x->vs, cls, name, &m, x->ar);
        if (fixed && cd_value_int(x, &tv, &p) != 0)
            return -1;
        /* a member of a virtual base needs `this` read first; an unreadable `this` then is no member */
        cd_err e, *save = x->err;
        x->err = &e;
        bool ok = fixed || (cls && cls->cxx && cls->kind == TY_STRUCT && cd_value_int(x, &tv, &p) == 0);
        x->err = save;
        if (ok) {
            cd_value obj = {.type = cls, .where = V_MEM, .addr = (uint64_t)p, .lval = true, .regno = -1};
            int r = cd_value_member(x, &obj, cls, name, out, 0);
            if (r <= 0)
                return r;
        }
    } else {
        /* `this` unreadable (optimized out): NAME may still be its member, which hides any namespace
         * or global NAME; printing that other variable would be a wrong answer */
        Dwarf_Die cls, m;
        if (this_class(&scopes[hi], &cls) && class_member(&cls, name, false, &m, 0))
            return cd_fail(x->err, CD_EXIT_CMD,
                           "cannot read member %s: `this` is not available in this frame (optimized out)", name);
    }
    /* the scopes of the function's declaration: classes (static members), then namespaces */
    Dwarf_Die decl = decl_die(scopes[hi]);
    Dwarf_Die *chain = NULL;
    int nc = dwarf_getscopes_die(&decl, &chain);
    int r = 1;
    for (int i = 1; i < nc - 1 && r == 1; i++) {
        int tag = dwarf_tag(&chain[i]);
        const char *qual = NULL;
        if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
            if (!class_static(x, &chain[i], name, &qual))
                continue;
        } else if (tag == DW_TAG_namespace) {
            char *p = decl_prefix(x->ar, &chain[i]);
            const char *n = dwarf_diename(&chain[i]);
            if (!p || !n)
                continue;
            size_t lp = strlen(p), ln = strlen(n), lm = strlen(name);
            char *q = cd_arena_alloc(x->ar, lp + ln + lm + 3);
            memcpy(q, p, lp);
            memcpy(q + lp, n, ln);
            memcpy(q + lp + ln, "::", 2);
            memcpy(q + lp + ln + 2, name, lm + 1);
            qual = q;
        } else
            break; /* a class local to a function: nothing above it is a C++ scope of ours */
        r = lookup_global(x, qual, out);
    }
    free(chain);
    if (r != 1)
        return r;
    /* using-directives (DW_TAG_imported_module) in the function's blocks, then at file scope */
    Dwarf_Die cud;
    Dwarf_Die sd = x->frame->info.scope_die;
    Dwarf_Die where[2];
    int nw = 0;
    where[nw++] = scopes[hi];
    if (dwarf_diecu(&sd, &cud, NULL, NULL))
        where[nw++] = cud;
    for (int w = 0; w < nw && r == 1; w++) {
        Dwarf_Die c;
        if (dwarf_child(&where[w], &c) != 0)
            continue;
        do {
            Dwarf_Attribute a;
            Dwarf_Die ns;
            if (dwarf_tag(&c) != DW_TAG_imported_module || !dwarf_formref_die(dwarf_attr(&c, DW_AT_import, &a), &ns))
                continue;
            char *p = decl_prefix(x->ar, &ns);
            const char *n = dwarf_diename(&ns);
            if (!p || !n)
                continue;
            cd_buf q = {0};
            cd_buf_printf(&q, "%s%s::%s", p, n, name);
            r = lookup_global(x, cd_arena_strdup(x->ar, cd_buf_str(&q)), out);
            cd_buf_free(&q);
        } while (r == 1 && dwarf_siblingof(&c, &c) == 0);
    }
    return r;
}

/* NAME at file scope through the module indexes, in the order a name means what the program's
 * author meant: the program's own variables and functions (external or static), then externals
 * of the frame's module and of the other libraries, and only then another library's statics (libc
 * has a static `name`; it must not hide the program's). Enumerators with the program's names, and
 * last anyone's. 0 found, 1 not found, -1 error. */
static int lookup_global(cd_ectx *x, const char *name, cd_value *out)
{
    modlist l = modules_ordered(x);
    size_t exe = l.n;
    for (size_t i = 0; i < l.n; i++)
        if (is_exe_mod(x, l.v[i]))
            exe = i;
    /* stage 0: the program; 1: externals elsewhere; 2: statics and enumerators elsewhere */
    for (int stage = 0; stage < 3; stage++) {
        for (size_t i = 0; i < l.n; i++) {
            if ((stage == 0) != (i == exe))
                continue;
            cd_modidx *mi = modidx_get(x->vs, l.v[i]);
            Dwarf_Die d, aux;
            Dwfl_Module *m = l.v[i];
            int ext = stage == 0 ? -1 : stage == 1 ? 1 : 0;
            int r = 1;
            if (idx_find_ext(mi, name, K_VAR, ext, &d, NULL))
                r = cd_var_value(x, m, &d, out);
            else if (idx_find_ext(mi, name, K_FUNC, ext, &d, NULL))
                r = func_value(x, m, &d, out);
            else if (stage != 1 && idx_find(mi, name, K_ENUMERATOR, &d, &aux))
                r = enumerator_value(x, &d, &aux, out);
            if (r != 1) {
                free(l.v);
                return r;
            }
        }
    }
    free(l.v);
    return 1;
}

/* The DWARF function that starts at ADDR: an alias's (pthread_create@@GLIBC_2.34 is
 * __pthread_create_2_1), as gdb types `print &pthread_create` by the function at the address. */
static bool func_die_at(Dwfl_Module *m, uint64_t addr, Dwarf_Die *out)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(m, addr, &bias);
    Dwarf_Die *scopes = NULL;
    int n = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
    bool ok = false;
    for (int i = 0; i < n && !ok; i++) {
        Dwarf_Addr lo, base, end;
        /* hot and cold parts: DW_AT_ranges only, the entry first (as in func_value) */
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram &&
            (dwarf_entrypc(&scopes[i], &lo) == 0 || dwarf_lowpc(&scopes[i], &lo) == 0 ||
             dwarf_ranges(&scopes[i], 0, &base, &lo, &end) > 0) &&
            lo + bias == addr) {
            *out = scopes[i];
            ok = true;
        }
    }
    free(scopes);
    return ok;
}

int cd_lookup_ident(cd_ectx *x, const char *name, cd_value *out)
{
    bool global = name[0] == ':' && name[1] == ':';
    if (global)
        name += 2;
    /* 1. locals and parameters, innermost block first; then, in C++, the members of `this` and
     * the names of the function's classes and namespaces (none of them for `::name`) */
    if (x->frame && !global) {
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
            int r = frame_is_cxx(x) ? cxx_scope_lookup(x, scopes, hi, name, out) : 1;
            free(scopes);
            if (r <= 0)
                return r;
        }
    }
    if (x->frame) {
        /* 2. the frame's CU (file statics shadow other files' globals) */
        Dwarf_Die cud, sd = x->frame->info.scope_die;
        if (x->frame->info.has_die && dwarf_diecu(&sd, &cud, NULL, NULL)) {
            int r = cu_lookup(x, x->frame->info.mod, &cud, name, out);
            if (r <= 0)
                return r;
        }
    }
    /* 3. every module, via its index */
    int r = lookup_global(x, name, out);
    if (r <= 0)
        return r;
    modlist l = modules_ordered(x);
    /* 4. ELF symbols of modules without DWARF: the address is known, the type is not. */
    for (size_t i = 0; i < l.n; i++) {
        int ns = dwfl_module_getsymtab(l.v[i]);
        for (int k = 1; k < ns; k++) {
            GElf_Sym sym;
            GElf_Addr addr;
            const char *sn = dwfl_module_getsym_info(l.v[i], k, &sym, &addr, NULL, NULL, NULL);
            if (!sn || !cd_sym_is_named(sn, name) || sym.st_shndx == SHN_UNDEF)
                continue;
            int ty = GELF_ST_TYPE(sym.st_info);
            Dwarf_Die fd;
            if ((ty == STT_FUNC || ty == STT_GNU_IFUNC) && func_die_at(l.v[i], addr, &fd)) {
                Dwfl_Module *m = l.v[i];
                free(l.v);
                return func_value(x, m, &fd, out);
            }
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

static bool frame_is_cxx(cd_ectx *x);

static cd_type *lookup_type(cd_ectx *x, int kind, const char *name, bool all_modules)
{
    if (name[0] == ':' && name[1] == ':')
        name += 2;
    unsigned kb = kind_bits(kind);
    /* C++ names a class or enum without its keyword */
    if (kind == 't' && (strstr(name, "::") || frame_is_cxx(x)))
        kb |= K_STRUCT | K_UNION | K_ENUM;
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
    if (name[0] == ':' && name[1] == ':')
        name += 2;
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
            if ((mi->e[k].kind & ~K_EXT) != K_VAR)
                continue;
            Dwarf_Die d;
            if (dwarf_offdie(mi->e[k].dbg, mi->e[k].off, &d))
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
    /* a clone or a versioned alias (leaf.constprop.0, pthread_create@GLIBC_2.2.5) goes by the
     * DWARF function that starts there, as in gdb: <leaf>, <__pthread_create_2_1> */
    Dwfl_Module *m;
    Dwarf_Die fd;
    const char *dn;
    if ((cd_sym_base_len(name) || strchr(name, '@')) && (m = dwfl_addrmodule(cd_symtab_dwfl(x->sym), addr - off)) &&
        func_die_at(m, addr - off, &fd) && (dn = die_name(&fd)))
        name = dn;
    if (off)
        cd_buf_printf(b, "<%s+%llu>", name, (unsigned long long)off);
    else
        cd_buf_printf(b, "<%s>", name);
}
