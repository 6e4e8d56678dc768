/* C types built lazily from DWARF: a DIE becomes a cd_type the first time a value of it is touched;
 * members and enumerators stay in the DIE and are read when printed, so a huge program's types are
 * never loaded as a whole. */
#include "expr/expr_int.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

static cd_type *new_type(cd_vstate *vs, cd_tykind k)
{
    cd_type *t = cd_arena_alloc(&vs->types, sizeof *t);
    t->kind = k;
    t->complete = true;
    return t;
}

static size_t hkey(const void *k, size_t cap) { return ((uintptr_t)k >> 3) * 0x9E3779B97F4A7C15ull % cap; }

static cd_type *tc_get(cd_vstate *vs, const void *key)
{
    if (!vs->tc_cap)
        return NULL;
    for (size_t i = hkey(key, vs->tc_cap);; i = (i + 1) % vs->tc_cap) {
        if (!vs->tc[i].key)
            return NULL;
        if (vs->tc[i].key == key)
            return vs->tc[i].t;
    }
}

static void tc_put(cd_vstate *vs, const void *key, cd_type *t)
{
    if ((vs->tc_n + 1) * 2 > vs->tc_cap) {
        size_t ncap = vs->tc_cap ? vs->tc_cap * 2 : 256;
        __typeof__(vs->tc) n = cd_xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < vs->tc_cap; i++) {
            if (!vs->tc[i].key)
                continue;
            size_t j = hkey(vs->tc[i].key, ncap);
            while (n[j].key)
                j = (j + 1) % ncap;
            n[j] = vs->tc[i];
        }
        free(vs->tc);
        vs->tc = n;
        vs->tc_cap = ncap;
    }
    size_t j = hkey(key, vs->tc_cap);
    while (vs->tc[j].key)
        j = (j + 1) % vs->tc_cap;
    vs->tc[j].key = key;
    vs->tc[j].t = t;
    vs->tc_n++;
}

cd_type *cd_type_base(cd_vstate *vs, cd_tykind k, uint64_t size, bool is_signed, const char *name)
{
    for (size_t i = 0; i < vs->nsynth; i++) {
        cd_type *t = vs->synth[i];
        if (t->kind == k && t->size == size && t->is_signed == is_signed && !strcmp(t->name, name))
            return t;
    }
    cd_type *t = new_type(vs, k);
    t->size = size;
    t->is_signed = is_signed;
    t->name = cd_arena_strdup(&vs->types, name);
    t->is_char = k == TY_INT && strstr(name, "char") != NULL;
    vs->synth = cd_xrealloc(vs->synth, (vs->nsynth + 1) * sizeof *vs->synth);
    vs->synth[vs->nsynth++] = t;
    return t;
}

cd_type *cd_type_int(cd_vstate *vs) { return cd_type_base(vs, TY_INT, 4, true, "int"); }
cd_type *cd_type_char(cd_vstate *vs) { return cd_type_base(vs, TY_INT, 1, true, "char"); }

/* A struct or union with no DWARF behind it: N members laid out with their natural alignment. */
static uint64_t synth_align(cd_type *t)
{
    t = cd_type_strip(t);
    if (t->kind == TY_ARRAY)
        return synth_align(t->target);
    if (t->kind == TY_STRUCT || t->kind == TY_UNION) {
        uint64_t a = 1;
        for (int i = 0; i < t->nsmembers; i++)
            if (synth_align(t->smembers[i].type) > a)
                a = synth_align(t->smembers[i].type);
        return a;
    }
    return t->size ? t->size : 1;
}

static cd_type *synth_agg(cd_vstate *vs, cd_tykind k, const char *name, int n, const char *const *names,
                          cd_type *const *types)
{
    cd_type *t = new_type(vs, k);
    t->name = name;
    cd_member *m = cd_arena_alloc(&vs->types, (size_t)n * sizeof *m);
    uint64_t off = 0, size = 0, align = 1;
    for (int i = 0; i < n; i++) {
        uint64_t a = synth_align(types[i]), sz = cd_type_size(types[i]);
        if (k == TY_STRUCT)
            off = (off + a - 1) / a * a;
        m[i] = (cd_member){.name = names[i], .type = types[i], .offset = k == TY_STRUCT ? off : 0};
        if (k == TY_STRUCT)
            off += sz;
        if (m[i].offset + sz > size)
            size = m[i].offset + sz;
        if (a > align)
            align = a;
    }
    t->size = (size + align - 1) / align * align;
    t->smembers = m;
    t->nsmembers = n;
    return t;
}

static cd_type *synth_typedef(cd_vstate *vs, const char *name, cd_type *to)
{
    cd_type *t = new_type(vs, TY_TYPEDEF);
    t->name = name;
    t->target = to;
    t->size = to->size;
    return t;
}

cd_type *cd_type_siginfo(cd_vstate *vs)
{
    cd_type *i = cd_type_int(vs), *u = cd_type_base(vs, TY_INT, 4, false, "unsigned int");
    cd_type *l = cd_type_base(vs, TY_INT, 8, true, "long"), *sh = cd_type_base(vs, TY_INT, 2, true, "short");
    cd_type *vp = cd_type_ptr(vs, NULL);
    cd_type *pid = synth_typedef(vs, "__pid_t", i), *uid = synth_typedef(vs, "__uid_t", u);
    cd_type *clk = synth_typedef(vs, "__clock_t", l);
    cd_type *sigval = synth_typedef(
        vs, "sigval_t", synth_agg(vs, TY_UNION, "sigval", 2, (const char *[]){"sival_int", "sival_ptr"}, (cd_type *[]){i, vp}));
    cd_type *bnd = synth_agg(vs, TY_STRUCT, NULL, 2, (const char *[]){"_lower", "_upper"}, (cd_type *[]){vp, vp});
    cd_type *f[8] = {
        cd_type_array(vs, i, 28),
        synth_agg(vs, TY_STRUCT, NULL, 2, (const char *[]){"si_pid", "si_uid"}, (cd_type *[]){pid, uid}),
        synth_agg(vs, TY_STRUCT, NULL, 3, (const char *[]){"si_tid", "si_overrun", "si_sigval"},
                  (cd_type *[]){i, i, sigval}),
        synth_agg(vs, TY_STRUCT, NULL, 3, (const char *[]){"si_pid", "si_uid", "si_sigval"},
                  (cd_type *[]){pid, uid, sigval}),
        synth_agg(vs, TY_STRUCT, NULL, 5, (const char *[]){"si_pid", "si_uid", "si_status", "si_utime", "si_stime"},
                  (cd_type *[]){pid, uid, i, clk, clk}),
        synth_agg(vs, TY_STRUCT, NULL, 3, (const char *[]){"si_addr", "_addr_lsb", "_addr_bnd"},
                  (cd_type *[]){vp, sh, bnd}),
        synth_agg(vs, TY_STRUCT, NULL, 2, (const char *[]){"si_band", "si_fd"}, (cd_type *[]){l, i}),
        synth_agg(vs, TY_STRUCT, NULL, 3, (const char *[]){"_call_addr", "_syscall", "_arch"}, (cd_type *[]){vp, i, u}),
    };
    cd_type *fields = synth_agg(vs, TY_UNION, NULL, 8,
                                (const char *[]){"_pad", "_kill", "_timer", "_rt", "_sigchld", "_sigfault", "_sigpoll",
                                                 "_sigsys"},
                                f);
    return synth_agg(vs, TY_STRUCT, "siginfo", 4, (const char *[]){"si_signo", "si_errno", "si_code", "_sifields"},
                     (cd_type *[]){i, i, i, fields});
}

cd_type *cd_type_ptr(cd_vstate *vs, cd_type *to)
{
    if (!to)
        to = cd_type_base(vs, TY_VOID, 0, false, "void");
    if (to->ptr_to)
        return to->ptr_to;
    cd_type *t = new_type(vs, TY_PTR);
    t->size = 8;
    t->target = to;
    to->ptr_to = t;
    return t;
}

cd_type *cd_type_array(cd_vstate *vs, cd_type *elem, int64_t n)
{
    cd_type *t = new_type(vs, TY_ARRAY);
    t->target = elem;
    t->count = n;
    t->size = n > 0 ? (uint64_t)n * cd_type_size(elem) : 0;
    return t;
}

static bool die_udata(Dwarf_Die *d, int at, Dwarf_Word *v)
{
    Dwarf_Attribute a;
    return dwarf_attr_integrate(d, at, &a) && dwarf_formudata(&a, v) == 0;
}

static bool die_type(Dwarf_Die *d, Dwarf_Die *out)
{
    Dwarf_Attribute a;
    return dwarf_attr_integrate(d, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

static cd_type *from_die(cd_vstate *vs, Dwarf_Die *die, int depth);

/* Whether a subrange's index type is signed, and its width: bounds in DW_FORM_dataN carry no sign of
 * their own. No DW_AT_type means a signed address-sized integer (DWARF 5, 5.13). */
static void index_type_sign(Dwarf_Die *sub, bool *is_signed, unsigned *bytes)
{
    *is_signed = true;
    *bytes = 8;
    Dwarf_Die t;
    if (!die_type(sub, &t))
        return;
    /* Through typedefs and qualifiers to the base or enumeration type; a short chain in practice. */
    for (int i = 0; i < 16; i++) {
        int tag = dwarf_tag(&t);
        if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type)
            break;
        if (!die_type(&t, &t))
            return;
    }
    Dwarf_Word enc = 0, size = 0;
    if (dwarf_tag(&t) == DW_TAG_enumeration_type) {
        Dwarf_Die u;
        if (die_type(&t, &u))
            die_udata(&u, DW_AT_encoding, &enc);
        else
            enc = DW_ATE_signed;
    } else {
        die_udata(&t, DW_AT_encoding, &enc);
    }
    *is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
    if (die_udata(&t, DW_AT_byte_size, &size) && size >= 1 && size <= 8)
        *bytes = (unsigned)size;
}

/* A constant subrange bound (DW_AT_lower_bound, DW_AT_upper_bound, DW_AT_count) as gdb reads it:
 * sdata and udata by their form; DW_FORM_dataN as unsigned, sign-extended from the index type's
 * width only when that type is signed. dwarf_formsdata sign-extends dataN from the form's own
 * width, which made gcc's upper bound 128..255 (data1) and 32768..65535 (data2) negative and
 * `char line[256]` an empty array. false: no such attribute, or not a constant (a VLA's bound). */
static bool subrange_bound(Dwarf_Die *sub, int at, int64_t *out)
{
    Dwarf_Attribute a;
    if (!dwarf_attr_integrate(sub, at, &a))
        return false;
    Dwarf_Sword sv;
    Dwarf_Word uv;
    switch (dwarf_whatform(&a)) {
    case DW_FORM_sdata:
    case DW_FORM_implicit_const:
        if (dwarf_formsdata(&a, &sv) != 0)
            return false;
        *out = sv;
        return true;
    case DW_FORM_udata:
        if (dwarf_formudata(&a, &uv) != 0)
            return false;
        *out = (int64_t)uv;
        return true;
    case DW_FORM_data1:
    case DW_FORM_data2:
    case DW_FORM_data4:
    case DW_FORM_data8: {
        if (dwarf_formudata(&a, &uv) != 0)
            return false;
        bool sgn;
        unsigned bytes;
        index_type_sign(sub, &sgn, &bytes);
        if (sgn && bytes < 8 && (uv >> (bytes * 8 - 1)) & 1)
            uv |= ~(Dwarf_Word)0 << (bytes * 8);
        *out = (int64_t)uv;
        return true;
    }
    default:
        return false;
    }
}

static cd_type *target_of(cd_vstate *vs, Dwarf_Die *die, int depth)
{
    Dwarf_Die td;
    if (!die_type(die, &td))
        return NULL;
    return from_die(vs, &td, depth + 1);
}

static cd_type *from_die(cd_vstate *vs, Dwarf_Die *die, int depth)
{
    cd_type *t = tc_get(vs, die->addr);
    if (t)
        return t;
    if (depth > 64) /* corrupted DWARF with a type cycle that does not go through a struct */
        return cd_type_base(vs, TY_VOID, 0, false, "void");
    int tag = dwarf_tag(die);
    Dwarf_Word w;
    const char *name = dwarf_diename(die);
    switch (tag) {
    case DW_TAG_base_type: {
        Dwarf_Word enc = 0;
        die_udata(die, DW_AT_encoding, &enc);
        t = new_type(vs, TY_INT);
        if (die_udata(die, DW_AT_byte_size, &w))
            t->size = w;
        switch (enc) {
        case DW_ATE_boolean: t->kind = TY_BOOL; break;
        case DW_ATE_float: t->kind = TY_FLOAT; t->is_signed = true; break;
        case DW_ATE_signed: t->is_signed = true; break;
        case DW_ATE_signed_char: t->is_signed = true; t->is_char = true; break;
        case DW_ATE_unsigned_char: t->is_char = true; break;
        case DW_ATE_complex_float: /* its real part, then its imaginary part */
            t->kind = TY_STRUCT;
            t->complex = t->complete = true;
            t->target = cd_type_base(vs, TY_FLOAT, t->size / 2, true,
                                     t->size == 8 ? "float" : t->size == 16 ? "double" : "long double");
            break;
        default: break;
        }
        /* A plain `char` is DW_ATE_signed_char on x86-64; keep is_char for printing. */
        t->name = name;
        if (name && cd_die_is_cxx(die)) {
            /* gdb prints C++'s base types canonically: `long`, not gcc's `long int` */
            static const char *const canon[][2] = {
                {"long int", "long"}, {"long unsigned int", "unsigned long"}, {"short int", "short"},
                {"short unsigned int", "unsigned short"}, {"long long int", "long long"},
                {"long long unsigned int", "unsigned long long"}, {"__int128 unsigned", "unsigned __int128"}};
            for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++)
                if (!strcmp(name, canon[i][0]))
                    t->name = canon[i][1];
        }
        tc_put(vs, die->addr, t);
        return t;
    }
    case DW_TAG_pointer_type:
    case DW_TAG_reference_type:
    case DW_TAG_rvalue_reference_type:
        t = new_type(vs, TY_PTR);
        t->ref = tag == DW_TAG_reference_type ? 1 : tag == DW_TAG_rvalue_reference_type ? 2 : 0;
        t->size = die_udata(die, DW_AT_byte_size, &w) ? w : 8;
        tc_put(vs, die->addr, t);
        t->target = target_of(vs, die, depth);
        if (!t->target)
            t->target = cd_type_base(vs, TY_VOID, 0, false, "void");
        return t;
    case DW_TAG_const_type:
    case DW_TAG_volatile_type:
    case DW_TAG_restrict_type:
    case DW_TAG_atomic_type:
        t = new_type(vs, TY_CV);
        t->quals = tag == DW_TAG_const_type ? 1 : tag == DW_TAG_volatile_type ? 2 : tag == DW_TAG_restrict_type ? 4 : 8;
        tc_put(vs, die->addr, t);
        t->target = target_of(vs, die, depth);
        if (!t->target)
            t->target = cd_type_base(vs, TY_VOID, 0, false, "void");
        t->size = t->target->size;
        t->complete = t->target->complete;
        return t;
    case DW_TAG_typedef:
        t = new_type(vs, TY_TYPEDEF);
        t->name = name;
        t->die = *die; /* for its C++ scope only: has_die stays false */
        t->cxx = cd_die_is_cxx(die);
        tc_put(vs, die->addr, t);
        t->target = target_of(vs, die, depth);
        if (!t->target)
            t->target = cd_type_base(vs, TY_VOID, 0, false, "void");
        t->size = t->target->size;
        t->complete = t->target->complete;
        return t;
    case DW_TAG_structure_type:
    case DW_TAG_class_type:
    case DW_TAG_union_type:
        t = new_type(vs, tag == DW_TAG_union_type ? TY_UNION : TY_STRUCT);
        t->name = name;
        t->has_die = true;
        t->die = *die;
        t->cxx = cd_die_is_cxx(die);
        t->is_class = tag == DW_TAG_class_type;
        t->complete = !dwarf_hasattr(die, DW_AT_declaration);
        if (die_udata(die, DW_AT_byte_size, &w))
            t->size = w;
        tc_put(vs, die->addr, t);
        return t;
    case DW_TAG_enumeration_type: {
        t = new_type(vs, TY_ENUM);
        t->name = name;
        t->has_die = true;
        t->die = *die;
        t->cxx = cd_die_is_cxx(die);
        t->enum_class = dwarf_hasattr(die, DW_AT_enum_class);
        t->complete = !dwarf_hasattr(die, DW_AT_declaration);
        t->size = die_udata(die, DW_AT_byte_size, &w) ? w : 4;
        tc_put(vs, die->addr, t);
        t->target = target_of(vs, die, depth);
        if (t->target)
            t->is_signed = cd_type_strip(t->target)->is_signed;
        else {
            /* Old DWARF has no underlying type: signed iff some enumerator is negative. */
            Dwarf_Die c;
            if (dwarf_child(die, &c) == 0)
                do {
                    Dwarf_Attribute a;
                    Dwarf_Sword sv;
                    if (dwarf_tag(&c) == DW_TAG_enumerator && dwarf_attr(&c, DW_AT_const_value, &a) &&
                        a.form != DW_FORM_udata && dwarf_formsdata(&a, &sv) == 0 && sv < 0)
                        t->is_signed = true;
                } while (dwarf_siblingof(&c, &c) == 0);
        }
        return t;
    }
    case DW_TAG_array_type: {
        cd_type *elem = target_of(vs, die, depth);
        if (!elem)
            elem = cd_type_base(vs, TY_VOID, 0, false, "void");
        int64_t dims[32];
        Dwarf_Die dyn[32];
        bool isdyn[32] = {false};
        int nd = 0;
        Dwarf_Die c;
        if (dwarf_child(die, &c) == 0)
            do {
                if (dwarf_tag(&c) != DW_TAG_subrange_type && dwarf_tag(&c) != DW_TAG_enumeration_type)
                    continue;
                int64_t n = -1, v, lb = 0;
                /* C's lower bound is 0 unless given; one that is not a constant leaves n unknown. */
                bool lb_known = !dwarf_hasattr(&c, DW_AT_lower_bound) || subrange_bound(&c, DW_AT_lower_bound, &lb);
                if (subrange_bound(&c, DW_AT_count, &v))
                    n = v < 0 ? 0 : v;
                else if (lb_known && subrange_bound(&c, DW_AT_upper_bound, &v)) {
                    /* Unsigned arithmetic: gcc's `T x[0]` has an all-ones upper bound, which wraps to
                     * 0 elements whether its index type made it -1 or 2^64-1. */
                    n = (int64_t)((uint64_t)v - (uint64_t)lb + 1);
                    if (n < 0)
                        n = 0;
                }
                /* a VLA's bound: a variable or an expression, read when a value has this type */
                bool d = n < 0 && ((dwarf_hasattr(&c, DW_AT_count) && !subrange_bound(&c, DW_AT_count, &v)) ||
                                   (dwarf_hasattr(&c, DW_AT_upper_bound) && !subrange_bound(&c, DW_AT_upper_bound, &v)));
                if (nd < 32) {
                    isdyn[nd] = d;
                    dyn[nd] = c;
                    dims[nd++] = n;
                }
            } while (dwarf_siblingof(&c, &c) == 0);
        if (!nd)
            dims[nd++] = -1;
        t = elem;
        for (int i = nd - 1; i >= 0; i--) {
            t = cd_type_array(vs, t, dims[i]);
            if (isdyn[i]) {
                t->vla = true;
                t->die = dyn[i];
            }
        }
        tc_put(vs, die->addr, t);
        return t;
    }
    case DW_TAG_subroutine_type:
    case DW_TAG_subprogram: {
        t = new_type(vs, TY_FUNC);
        t->has_die = true;
        t->die = *die;
        t->prototyped = dwarf_hasattr_integrate(die, DW_AT_prototyped);
        t->complete = false;
        tc_put(vs, die->addr, t);
        t->target = target_of(vs, die, depth);
        return t;
    }
    default:
        /* DW_TAG_unspecified_type (void-like) and anything exotic. */
        t = new_type(vs, TY_VOID);
        t->name = name ? name : "void";
        tc_put(vs, die->addr, t);
        return t;
    }
}

cd_type *cd_type_from_die(cd_vstate *vs, Dwarf_Die *die)
{
    if (!die)
        return cd_type_base(vs, TY_VOID, 0, false, "void");
    return from_die(vs, die, 0);
}

bool cd_die_is_cxx(Dwarf_Die *die)
{
    Dwarf_Die cu;
    if (!die || !die->addr || !dwarf_diecu(die, &cu, NULL, NULL))
        return false;
    switch (dwarf_srclang(&cu)) {
    case DW_LANG_C_plus_plus: case DW_LANG_C_plus_plus_03: case DW_LANG_C_plus_plus_11:
    case DW_LANG_C_plus_plus_14: case 0x2a /* C++17 */: case 0x2b /* C++20 */:
        return true;
    default:
        return false;
    }
}

/* "ns::Outer::" for a declaration inside namespaces and classes, as gdb names it; a type local to a
 * function is named by its own name. One walk of the unit per type, done when a name is printed. */
static const char *scope_prefix(cd_vstate *vs, Dwarf_Die *die)
{
    Dwarf_Attribute a;
    Dwarf_Die spec = *die;
    for (int i = 0; i < 4 && dwarf_formref_die(dwarf_attr(&spec, DW_AT_specification, &a), &spec); i++)
        ;
    Dwarf_Die *chain = NULL;
    int nc = dwarf_getscopes_die(&spec, &chain);
    cd_buf b = {0};
    for (int i = nc - 2; i >= 1; i--) {
        int tag = dwarf_tag(&chain[i]);
        const char *n = dwarf_diename(&chain[i]);
        if (tag == DW_TAG_namespace)
            cd_buf_printf(&b, "%s::", n ? n : "(anonymous namespace)");
        else if ((tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
                  tag == DW_TAG_enumeration_type) && n)
            cd_buf_printf(&b, "%s::", n);
        else
            b.len = 0; /* inside a function: nothing outside it names the type */
    }
    free(chain);
    const char *r = cd_arena_strdup(&vs->types, b.len ? cd_buf_str(&b) : "");
    cd_buf_free(&b);
    return r;
}

const char *cd_die_scope(cd_vstate *vs, Dwarf_Die *die)
{
    return scope_prefix(vs, die);
}

const char *cd_type_scope(cd_vstate *vs, cd_type *t)
{
    if (!t->cxx || !t->die.addr)
        return "";
    if (!t->scope)
        t->scope = scope_prefix(vs, &t->die);
    return t->scope;
}

const char *cd_type_qname(cd_vstate *vs, cd_type *t)
{
    if (!t->cxx || !t->name || !t->die.addr)
        return t->name;
    if (!t->qname) {
        const char *p = cd_type_scope(vs, t);
        if (!*p)
            t->qname = t->name;
        else {
            size_t lp = strlen(p), ln = strlen(t->name);
            char *q = cd_arena_alloc(&vs->types, lp + ln + 1);
            memcpy(q, p, lp);
            memcpy(q + lp, t->name, ln + 1);
            t->qname = q;
        }
    }
    return t->qname;
}

cd_type *cd_type_strip(cd_type *t)
{
    int n = 0;
    while (t && (t->kind == TY_TYPEDEF || t->kind == TY_CV) && n++ < 100)
        t = t->target;
    return t;
}

uint64_t cd_type_size(cd_type *t)
{
    t = cd_type_strip(t);
    if (!t)
        return 0;
    if (t->kind == TY_ARRAY)
        return t->count > 0 ? (uint64_t)t->count * cd_type_size(t->target) : 0;
    return t->size;
}

/* alignof(T) as the compiler laid T out: DW_AT_alignment where given (alignas), else a scalar's
 * size and an aggregate's largest member alignment, bases included. Containers place values by it
 * (std::unordered_map's node: a 40-byte pair<const string, int> is 8-aligned, not 16). */
static uint64_t align_of(cd_vstate *vs, cd_type *t, int depth)
{
    if (!t || depth > 32)
        return 1;
    Dwarf_Word w;
    if ((t->kind == TY_TYPEDEF || t->kind == TY_STRUCT || t->kind == TY_UNION || t->kind == TY_ENUM) &&
        (t->has_die || t->kind == TY_TYPEDEF) && die_udata(&t->die, DW_AT_alignment, &w) && w)
        return w;
    switch (t->kind) {
    case TY_TYPEDEF:
    case TY_CV:
    case TY_ARRAY:
        return align_of(vs, t->target, depth + 1);
    case TY_STRUCT:
    case TY_UNION: {
        if (!t->has_die)
            /* a complex base type: its parts' alignment */
            return t->size >= 2 ? (t->size / 2 > 16 ? 16 : t->size / 2) : 1;
        uint64_t a = 1;
        Dwarf_Die c;
        if (dwarf_child(&t->die, &c) == 0)
            do {
                int tag = dwarf_tag(&c);
                if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) || dwarf_hasattr(&c, DW_AT_declaration) ||
                    dwarf_hasattr(&c, DW_AT_external))
                    continue;
                uint64_t m = die_udata(&c, DW_AT_alignment, &w) && w ? w : align_of(vs, cd_type_of_die(vs, &c), depth + 1);
                if (m > a)
                    a = m;
            } while (dwarf_siblingof(&c, &c) == 0);
        return a;
    }
    default:
        return t->size == 0 ? 1 : t->size > 16 ? 16 : t->size;
    }
}

uint64_t cd_type_align(cd_vstate *vs, cd_type *t) { return align_of(vs, t, 0); }

bool cd_type_is_integral(cd_type *t)
{
    t = cd_type_strip(t);
    return t && (t->kind == TY_INT || t->kind == TY_BOOL || t->kind == TY_ENUM);
}

bool cd_type_is_arith(cd_type *t)
{
    t = cd_type_strip(t);
    return t && (cd_type_is_integral(t) || t->kind == TY_FLOAT);
}

bool cd_type_is_scalar(cd_type *t)
{
    t = cd_type_strip(t);
    return t && (cd_type_is_arith(t) || t->kind == TY_PTR);
}

bool cd_type_is_charlike(cd_type *t)
{
    t = cd_type_strip(t);
    return t && t->kind == TY_INT && t->size == 1 && t->is_char;
}

/* ---------- members ---------- */
int cd_type_members(cd_vstate *vs, cd_type *t, cd_member **out, cd_arena *a)
{
    t = cd_type_strip(t);
    *out = NULL;
    if (t && (t->kind == TY_STRUCT || t->kind == TY_UNION) && !t->has_die && t->smembers) {
        cd_member *m = cd_arena_alloc(a, (size_t)t->nsmembers * sizeof *m);
        memcpy(m, t->smembers, (size_t)t->nsmembers * sizeof *m);
        *out = m;
        return t->nsmembers;
    }
    if (!t || (t->kind != TY_STRUCT && t->kind != TY_UNION) || !t->has_die)
        return -1;
    int n = 0, cap = 0;
    cd_member *m = NULL;
    Dwarf_Die c;
    if (dwarf_child(&t->die, &c) != 0)
        return 0;
    do {
        /* a C++ static member (DW_AT_declaration, no offset) is not part of the object */
        if (dwarf_tag(&c) != DW_TAG_member || dwarf_hasattr(&c, DW_AT_declaration))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            cd_member *nm = cd_arena_alloc(a, (size_t)cap * sizeof *nm);
            if (n)
                memcpy(nm, m, (size_t)n * sizeof *nm);
            m = nm;
        }
        cd_member *mm = &m[n++];
        mm->name = dwarf_diename(&c);
        mm->type = target_of(vs, &c, 0);
        if (!mm->type)
            mm->type = cd_type_int(vs);
        Dwarf_Attribute at;
        Dwarf_Word w;
        uint64_t off = 0;
        if (dwarf_attr(&c, DW_AT_data_member_location, &at) && dwarf_formudata(&at, &w) == 0)
            off = w;
        mm->offset = off;
        int bs = dwarf_hasattr(&c, DW_AT_bit_size) ? dwarf_bitsize(&c) : 0;
        if (bs > 0) {
            mm->bitsize = bs;
            uint64_t total;
            if (dwarf_attr(&c, DW_AT_data_bit_offset, &at) && dwarf_formudata(&at, &w) == 0)
                total = w;
            else {
                /* DWARF 2/3: bit_offset counts from the most significant bit of the storage unit. */
                Dwarf_Word bsz = cd_type_size(mm->type);
                die_udata(&c, DW_AT_byte_size, &bsz);
                int bo = dwarf_bitoffset(&c);
                total = off * 8 + bsz * 8 - (uint64_t)(bo < 0 ? 0 : bo) - (uint64_t)bs;
            }
            mm->offset = total / 8;
            mm->bitpos = (int)(total % 8);
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    *out = m;
    return n;
}

bool cd_type_find_member(cd_vstate *vs, cd_type *t, const char *name, cd_member *out, cd_arena *a)
{
    cd_member *m;
    int n = cd_type_members(vs, t, &m, a);
    for (int i = 0; i < n; i++)
        if (m[i].name && !strcmp(m[i].name, name)) {
            *out = m[i];
            return true;
        }
    for (int i = 0; i < n; i++)
        if (!m[i].name && cd_type_find_member(vs, m[i].type, name, out, a)) {
            out->offset += m[i].offset;
            return true;
        }
    /* C++ base classes (DW_TAG_inheritance), at their offset in the derived object */
    Dwarf_Die c;
    t = cd_type_strip(t);
    if (t && t->has_die && dwarf_child(&t->die, &c) == 0)
        do {
            Dwarf_Attribute at;
            Dwarf_Die bd;
            Dwarf_Word w = 0;
            if (dwarf_tag(&c) != DW_TAG_inheritance || !dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &at), &bd))
                continue;
            if (dwarf_attr(&c, DW_AT_data_member_location, &at) && dwarf_formudata(&at, &w) != 0)
                continue; /* a virtual base: its offset is in the object's vtable */
            if (cd_type_find_member(vs, cd_type_from_die(vs, &bd), name, out, a)) {
                out->offset += w;
                return true;
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

cd_type *cd_type_of_die(cd_vstate *vs, Dwarf_Die *die)
{
    Dwarf_Die td;
    return die_type(die, &td) ? cd_type_from_die(vs, &td) : NULL;
}

cd_type *cd_type_pointee(cd_type *t)
{
    t = cd_type_strip(t);
    return t && t->kind == TY_PTR ? t->target : NULL;
}

uint64_t cd_type_member_path(cd_vstate *vs, cd_type *t, uint64_t off, cd_buf *b)
{
    cd_arena ar = {0};
    for (int depth = 0; depth < 32; depth++) {
        cd_type *p = cd_type_strip(t);
        if (p && p->kind == TY_STRUCT && p->has_die) {
            cd_member *m;
            int n = cd_type_members(vs, p, &m, &ar), i;
            for (i = 0; i < n; i++)
                if (off >= m[i].offset && off < m[i].offset + cd_type_size(m[i].type))
                    break;
            if (i == n || !m[i].name || !strncmp(m[i].name, "__", 2))
                break;
            cd_buf_printf(b, ".%s", m[i].name);
            off -= m[i].offset;
            t = m[i].type;
        } else if (p && p->kind == TY_ARRAY) {
            uint64_t esize = cd_type_size(p->target);
            if (!esize)
                break;
            cd_buf_printf(b, "[%llu]", (unsigned long long)(off / esize));
            off %= esize;
            t = p->target;
        } else {
            break; /* unions (every glibc lock type), scalars, pointers: the object itself */
        }
        if (off == 0) {
            /* Go on only into a struct or array at offset 0 (`pair.first.mu`); anything else
             * there is the object itself. */
            p = cd_type_strip(t);
            if (!p || (p->kind != TY_STRUCT && p->kind != TY_ARRAY))
                break;
        }
    }
    cd_arena_free(&ar);
    return off;
}

/* ---------- names ---------- */
static void base_name(cd_vstate *vs, cd_type *t, cd_buf *b)
{
    if (t->cxx && t->name) { /* C++ names a class or enum without its keyword */
        cd_buf_puts(b, cd_type_qname(vs, t));
        return;
    }
    switch (t->kind) {
    case TY_STRUCT:
        if (t->complex) /* a base type, named as one */
            cd_buf_puts(b, t->name ? t->name : "complex");
        else
            cd_buf_printf(b, "struct %s", t->name ? t->name : "{...}");
        break;
    case TY_UNION: cd_buf_printf(b, "union %s", t->name ? t->name : "{...}"); break;
    case TY_ENUM: cd_buf_printf(b, "enum %s", t->name ? t->name : "{...}"); break;
    default: cd_buf_puts(b, t->name ? t->name : "void"); break;
    }
}

static void params(cd_vstate *vs, cd_type *t, cd_buf *b, int depth);
static void decl(cd_vstate *vs, cd_type *t, const char *inner, cd_buf *b, int depth, bool expand, int indent);
static void body(cd_vstate *vs, cd_type *t, cd_buf *b, int depth, int indent);

static void decl(cd_vstate *vs, cd_type *t, const char *inner, cd_buf *b, int depth, bool expand, int indent)
{
    if (!t) {
        cd_buf_puts(b, "void");
        if (*inner)
            cd_buf_printf(b, " %s", inner);
        return;
    }
    if (depth > 50) {
        cd_buf_puts(b, "...");
        return;
    }
    cd_buf tmp = {0};
    switch (t->kind) {
    case TY_PTR: {
        cd_type *tt = t->target;
        while (tt && tt->kind == TY_CV)
            tt = tt->target;
        bool paren = tt && (tt->kind == TY_ARRAY || tt->kind == TY_FUNC);
        cd_buf_printf(&tmp, "%s%s%s%s", paren ? "(" : "", t->ref == 1 ? "&" : t->ref == 2 ? "&&" : "*", inner,
                      paren ? ")" : "");
        decl(vs, t->target, cd_buf_str(&tmp), b, depth + 1, expand, indent);
        break;
    }
    case TY_CV: {
        const char *q = t->quals & 1 ? "const" : t->quals & 2 ? "volatile" : t->quals & 4 ? "restrict" : "_Atomic";
        cd_type *u = t->target;
        if (u && u->kind == TY_PTR) {
            cd_buf_printf(&tmp, " %s%s%s", q, *inner ? " " : "", inner);
            decl(vs, u, cd_buf_str(&tmp), b, depth + 1, expand, indent);
        } else {
            cd_buf_printf(b, "%s ", q);
            decl(vs, u, inner, b, depth + 1, expand, indent);
        }
        break;
    }
    case TY_ARRAY:
        if (t->count >= 0)
            cd_buf_printf(&tmp, "%s[%lld]", inner, (long long)t->count);
        else
            cd_buf_printf(&tmp, "%s[]", inner);
        decl(vs, t->target, cd_buf_str(&tmp), b, depth + 1, expand, indent);
        break;
    case TY_FUNC:
        cd_buf_printf(&tmp, "%s(", inner);
        params(vs, t, &tmp, depth);
        cd_buf_puts(&tmp, ")");
        decl(vs, t->target, cd_buf_str(&tmp), b, depth + 1, expand, indent);
        break;
    default:
        if (t->complex) {
            base_name(vs, t, b);
        } else if (expand && t->cxx && (t->kind == TY_STRUCT || t->kind == TY_UNION || t->kind == TY_ENUM)) {
            cd_type_ptype_class(vs, t, b, indent);
        } else if (expand && (t->kind == TY_STRUCT || t->kind == TY_UNION || t->kind == TY_ENUM)) {
            base_name(vs, t, b);
            if (!t->name)
                b->len -= 6, b->s[b->len] = 0; /* drop " {...}" */
            body(vs, t, b, depth, indent);
        } else
            base_name(vs, t, b);
        if (*inner)
            cd_buf_printf(b, " %s", inner);
        break;
    }
    cd_buf_free(&tmp);
}

/* A parameter list from the DIE: "int, char *", "void", "int, ...". */
static void params(cd_vstate *vs, cd_type *t, cd_buf *b, int depth)
{
    int n = 0;
    Dwarf_Die c;
    if (t->has_die && dwarf_child(&t->die, &c) == 0)
        do {
            int tag = dwarf_tag(&c);
            if (tag == DW_TAG_formal_parameter) {
                Dwarf_Die td;
                cd_buf_puts(b, n++ ? ", " : "");
                cd_type *pt = NULL;
                if (die_type(&c, &td))
                    pt = cd_type_from_die(vs, &td);
                decl(vs, pt, "", b, depth + 1, false, 0);
            } else if (tag == DW_TAG_unspecified_parameters) {
                cd_buf_puts(b, n++ ? ", ..." : "...");
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    if (!n && t->prototyped)
        cd_buf_puts(b, "void");
}

static void body(cd_vstate *vs, cd_type *t, cd_buf *b, int depth, int indent)
{
    cd_buf_puts(b, " {\n");
    if (t->kind == TY_ENUM) {
        Dwarf_Die c;
        int n = 0;
        if (t->has_die && dwarf_child(&t->die, &c) == 0)
            do {
                if (dwarf_tag(&c) != DW_TAG_enumerator)
                    continue;
                Dwarf_Attribute a;
                Dwarf_Sword sv = 0;
                Dwarf_Word uv = 0;
                cd_buf_printf(b, "%s%*s%s = ", n++ ? ",\n" : "", indent + 4, "", dwarf_diename(&c));
                if (dwarf_attr(&c, DW_AT_const_value, &a)) {
                    if (t->is_signed && dwarf_formsdata(&a, &sv) == 0)
                        cd_buf_printf(b, "%lld", (long long)sv);
                    else if (dwarf_formudata(&a, &uv) == 0)
                        cd_buf_printf(b, "%llu", (unsigned long long)uv);
                }
            } while (dwarf_siblingof(&c, &c) == 0);
        cd_buf_printf(b, "\n%*s}", indent, "");
        return;
    }
    if (!t->complete) {
        cd_buf_printf(b, "%*s<incomplete type>\n%*s}", indent + 4, "", indent, "");
        return;
    }
    cd_arena a = {0};
    cd_member *m;
    int n = cd_type_members(vs, t, &m, &a);
    for (int i = 0; i < n; i++) {
        cd_buf_printf(b, "%*s", indent + 4, "");
        cd_type *mt = m[i].type;
        cd_type *ms = mt;
        bool anon = !m[i].name && (ms->kind == TY_STRUCT || ms->kind == TY_UNION) && !ms->name;
        decl(vs, mt, m[i].name ? m[i].name : "", b, depth + 1, anon, indent + 4);
        if (m[i].bitsize)
            cd_buf_printf(b, " : %d", m[i].bitsize);
        cd_buf_puts(b, ";\n");
    }
    cd_arena_free(&a);
    cd_buf_printf(b, "%*s}", indent, "");
}

void cd_type_name(cd_vstate *vs, cd_type *t, cd_buf *b) { decl(vs, t, "", b, 0, false, 0); }
void cd_type_decl(cd_vstate *vs, cd_type *t, const char *var, cd_buf *b) { decl(vs, t, var, b, 0, false, 0); }

void cd_type_ptype(cd_vstate *vs, cd_type *t, cd_buf *b)
{
    /* Expand through one typedef at the top, as gdb's ptype does. */
    while (t && (t->kind == TY_TYPEDEF))
        t = t->target;
    decl(vs, t, "", b, 0, true, 0);
}

/* ---------- C++ classes and enums, as gdb's ptype shows them ---------- */
const char *cd_enumerator_prefix(cd_vstate *vs, cd_type *t)
{
    if (!t->cxx)
        return "";
    if (!t->enum_class)
        return cd_type_scope(vs, t);
    const char *q = cd_type_qname(vs, t);
    if (!q)
        return cd_type_scope(vs, t);
    size_t n = strlen(q);
    char *p = cd_arena_alloc(&vs->types, n + 3);
    memcpy(p, q, n);
    memcpy(p + n, "::", 3);
    return p;
}

/* DW_AT_accessibility with DWARF 3's default: private in a class, public in a struct or union. */
static int access_of(Dwarf_Die *d, bool in_class)
{
    Dwarf_Word w;
    if (die_udata(d, DW_AT_accessibility, &w))
        return (int)w;
    return in_class ? DW_ACCESS_private : DW_ACCESS_public;
}

static bool vptr_name(const char *n) { return n && !strncmp(n, "_vptr", 5) && (n[5] == '.' || n[5] == '$'); }

/* A data member ptype lists: non-static members and static ones, not the vtable pointer. */
static bool shown_field(Dwarf_Die *c)
{
    int tag = dwarf_tag(c);
    return (tag == DW_TAG_member || tag == DW_TAG_variable) && !vptr_name(dwarf_diename(c));
}

static bool shown_method(Dwarf_Die *c)
{
    Dwarf_Attribute a;
    bool art = false;
    if (dwarf_tag(c) != DW_TAG_subprogram)
        return false;
    if (dwarf_attr(c, DW_AT_artificial, &a))
        dwarf_formflag(&a, &art);
    return !art;
}

/* The method's `this` parameter (the first, artificial one); false for a static member function. */
static bool method_this(Dwarf_Die *m, Dwarf_Die *out)
{
    Dwarf_Die c;
    if (dwarf_child(m, &c) != 0)
        return false;
    do {
        if (dwarf_tag(&c) != DW_TAG_formal_parameter)
            continue;
        Dwarf_Attribute a;
        bool art = false;
        if (dwarf_attr(&c, DW_AT_artificial, &a))
            dwarf_formflag(&a, &art);
        if (art)
            *out = c;
        return art;
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

static void label(cd_buf *b, int indent, int *section, int acc)
{
    if (*section == acc)
        return;
    *section = acc;
    cd_buf_printf(b, "%*s%s:\n", indent + 2, "",
                  acc == DW_ACCESS_private ? "private" : acc == DW_ACCESS_protected ? "protected" : "public");
}

static void method(cd_vstate *vs, cd_type *cls, Dwarf_Die *m, cd_buf *b, int indent)
{
    const char *n = dwarf_diename(m);
    if (!n)
        return;
    Dwarf_Die self;
    bool has_this = method_this(m, &self);
    /* gdb takes a method as virtual by its vtable slot: gcc's virtual destructors have none */
    bool virt = dwarf_hasattr(m, DW_AT_vtable_elem_location);
    cd_buf_printf(b, "%*s%s", indent + 4, "", virt ? "virtual " : has_this ? "" : "static ");
    /* constructors and destructors have no return type */
    if (!(cls->name && !strcmp(n, cls->name)) && n[0] != '~') {
        decl(vs, target_of(vs, m, 0), "", b, 1, false, 0);
        cd_buf_puts(b, " ");
    }
    cd_buf_printf(b, "%s(", n);
    int np = 0;
    Dwarf_Die c;
    if (dwarf_child(m, &c) == 0)
        do {
            int tag = dwarf_tag(&c);
            if (tag == DW_TAG_formal_parameter) {
                if ((has_this && c.addr == self.addr) || dwarf_hasattr(&c, DW_AT_artificial))
                    continue; /* gcc's __in_chrg and __vtt_parm too, as gdb leaves them out */
                cd_buf_puts(b, np++ ? ", " : "");
                decl(vs, target_of(vs, &c, 0), "", b, 1, false, 0);
            } else if (tag == DW_TAG_unspecified_parameters)
                cd_buf_puts(b, np++ ? ", ..." : "..."), np++;
        } while (dwarf_siblingof(&c, &c) == 0);
    cd_buf_puts(b, np ? ")" : "void)");
    if (has_this) {
        cd_type *tt = cd_type_pointee(target_of(vs, &self, 0));
        while (tt && tt->kind == TY_TYPEDEF)
            tt = tt->target;
        unsigned q = 0;
        for (; tt && tt->kind == TY_CV; tt = tt->target)
            q |= tt->quals;
        cd_buf_printf(b, "%s%s", q & 1 ? " const" : "", q & 2 ? " volatile" : "");
    }
    cd_buf_puts(b, ";\n");
}

static void enum_body(cd_vstate *vs, cd_type *t, cd_buf *b)
{
    cd_type *u = cd_type_strip(t->target);
    if (u && u->name)
        cd_buf_printf(b, ": %s ", u->name);
    cd_buf_puts(b, "{");
    const char *pre = cd_enumerator_prefix(vs, t);
    Dwarf_Die c;
    int n = 0;
    __int128 next = 0;
    if (t->has_die && dwarf_child(&t->die, &c) == 0)
        do {
            Dwarf_Attribute a;
            Dwarf_Sword sv = 0;
            Dwarf_Word uv = 0;
            if (dwarf_tag(&c) != DW_TAG_enumerator)
                continue;
            __int128 v = 0;
            if (dwarf_attr(&c, DW_AT_const_value, &a)) {
                if (t->is_signed && dwarf_formsdata(&a, &sv) == 0)
                    v = sv;
                else if (dwarf_formudata(&a, &uv) == 0)
                    v = uv;
            }
            cd_buf_printf(b, "%s%s%s", n++ ? ", " : "", pre, dwarf_diename(&c));
            if (v != next) {
                if (t->is_signed)
                    cd_buf_printf(b, " = %lld", (long long)v);
                else
                    cd_buf_printf(b, " = %llu", (unsigned long long)v);
            }
            next = v + 1;
        } while (dwarf_siblingof(&c, &c) == 0);
    cd_buf_puts(b, "}");
}

void cd_type_ptype_class(cd_vstate *vs, cd_type *t, cd_buf *b, int indent)
{
    const char *q = cd_type_qname(vs, t);
    if (t->kind == TY_ENUM) {
        cd_buf_printf(b, "enum %s", t->enum_class ? "class " : "");
        if (q)
            cd_buf_printf(b, "%s ", q);
        enum_body(vs, t, b);
        return;
    }
    cd_buf_puts(b, t->kind == TY_UNION ? "union " : t->is_class ? "class " : "struct ");
    if (q)
        cd_buf_printf(b, "%s ", q);
    if (!t->complete || !t->has_die) {
        cd_buf_printf(b, "{\n%*s<incomplete type>\n%*s}", indent + 4, "", indent, "");
        return;
    }
    bool in_class = t->is_class;
    Dwarf_Die c;
    int nbases = 0, nfields = 0, nmethods = 0;
    bool need_label = false;
    if (dwarf_child(&t->die, &c) == 0)
        do {
            int tag = dwarf_tag(&c);
            if (tag == DW_TAG_inheritance) {
                Dwarf_Die bd;
                Dwarf_Attribute a;
                Dwarf_Word virt = 0;
                die_udata(&c, DW_AT_virtuality, &virt);
                int acc = access_of(&c, in_class);
                cd_type *bt = dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &a), &bd) ? cd_type_from_die(vs, &bd) : NULL;
                const char *bn = bt ? cd_type_qname(vs, cd_type_strip(bt)) : NULL;
                cd_buf_printf(b, "%s%s%s %s", nbases++ ? ", " : ": ",
                              acc == DW_ACCESS_public ? "public" : acc == DW_ACCESS_protected ? "protected" : "private",
                              virt ? " virtual" : "", bn ? bn : "(null)");
                continue;
            }
            bool f = shown_field(&c), m = !f && shown_method(&c);
            nfields += f;
            nmethods += m;
            /* gdb reads an artificial member (a vtable pointer, not shown) as private */
            if (!f && !m && tag == DW_TAG_member && dwarf_hasattr(&c, DW_AT_artificial) && !in_class)
                need_label = true;
            if (f || m) {
                int acc = access_of(&c, in_class);
                /* gdb: a class needs labels once anything is not private, a struct once anything is */
                if (in_class ? acc != DW_ACCESS_private : acc != DW_ACCESS_public)
                    need_label = true;
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    cd_buf_puts(b, nbases ? " {\n" : "{\n");
    if (!nbases && !nfields && !nmethods)
        cd_buf_printf(b, "%*s<no data fields>\n", indent + 4, "");
    int section = 0;
    cd_arena ar = {0};
    cd_member *mem = NULL;
    int nmem = cd_type_members(vs, t, &mem, &ar), mi = 0;
    if (dwarf_child(&t->die, &c) == 0)
        do {
            if (!shown_field(&c))
                continue;
            if (need_label)
                label(b, indent, &section, access_of(&c, in_class));
            cd_buf_printf(b, "%*s", indent + 4, "");
            const char *n = dwarf_diename(&c);
            bool is_static = dwarf_tag(&c) == DW_TAG_variable || dwarf_hasattr(&c, DW_AT_declaration);
            cd_type *mt = target_of(vs, &c, 0);
            if (!mt)
                mt = cd_type_int(vs);
            if (is_static) {
                cd_buf_puts(b, "static ");
                decl(vs, mt, n ? n : "", b, 1, false, indent + 4);
            } else {
                /* the member's bitfield width, from the same reading print uses */
                int bits = 0;
                for (; mi < nmem; mi++)
                    if (mem[mi].name == n) {
                        bits = mem[mi++].bitsize;
                        break;
                    }
                cd_type *ms = cd_type_strip(mt);
                bool anon = !n && ms && (ms->kind == TY_STRUCT || ms->kind == TY_UNION) && !ms->name;
                decl(vs, mt, n ? n : "", b, 1, anon, indent + 4);
                if (bits)
                    cd_buf_printf(b, " : %d", bits);
            }
            cd_buf_puts(b, ";\n");
        } while (dwarf_siblingof(&c, &c) == 0);
    cd_arena_free(&ar);
    if (nmethods && section)
        cd_buf_puts(b, "\n");
    /* gdb lists overloads together, in the order each name first appears */
    Dwarf_Die *ms = nmethods ? cd_xmalloc((size_t)nmethods * sizeof *ms) : NULL;
    int k = 0;
    if (dwarf_child(&t->die, &c) == 0)
        do
            if (shown_method(&c) && k < nmethods)
                ms[k++] = c;
        while (dwarf_siblingof(&c, &c) == 0);
    for (int i = 0; i < k; i++) {
        const char *ni = dwarf_diename(&ms[i]);
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = ni && dwarf_diename(&ms[j]) && !strcmp(ni, dwarf_diename(&ms[j]));
        if (seen)
            continue;
        for (int j = i; j < k; j++) {
            const char *nj = dwarf_diename(&ms[j]);
            if (j != i && !(ni && nj && !strcmp(ni, nj)))
                continue;
            label(b, indent, &section, access_of(&ms[j], in_class));
            method(vs, t, &ms[j], b, indent);
        }
    }
    free(ms);
    cd_buf_printf(b, "%*s}", indent, "");
}
