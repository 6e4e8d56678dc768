/* Logical breakpoints: location specs, their resolved addresses, and the int3 bookkeeping.
 *
 * A breakpoint has locations; the target plants one int3 per address however many locations
 * share it, so an address is inserted when the first location on it is and removed with the last. */
#include <ctype.h>
#include <dwarf.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"

void cd_resolved_free(cd_resolved *r)
{
    free(r->addrs);
    free(r->note);
    memset(r, 0, sizeof *r);
}

static void bp_free(cd_bp *b)
{
    free(b->spec);
    free(b->cond);
    for (size_t i = 0; i < b->ncmds; i++)
        free(b->cmds[i]);
    free(b->cmds);
    for (size_t i = 0; i < b->ntexprs; i++)
        free(b->texprs[i]);
    free(b->texprs);
    free(b->locs);
    ctl_watch_free(b->watch);
    free(b);
}

bool ctl_addr_inserted(cd_ctl *c, uint64_t addr, const cd_bploc *except)
{
    for (size_t i = 0; i < c->nbps; i++)
        for (size_t k = 0; k < c->bps[i]->nlocs; k++) {
            const cd_bploc *l = &c->bps[i]->locs[k];
            if (l != except && l->inserted && l->addr == addr)
                return true;
        }
    return false;
}

/* The next breakpoint (after `after`, NULL: from the start) with an inserted location at addr. */
cd_bp *ctl_bp_at(cd_ctl *c, uint64_t addr, cd_bp *after)
{
    size_t i = 0;
    if (after)
        while (i < c->nbps && c->bps[i++] != after)
            ;
    for (; i < c->nbps; i++)
        for (size_t k = 0; k < c->bps[i]->nlocs; k++)
            if (c->bps[i]->locs[k].addr == addr && c->bps[i]->locs[k].inserted)
                return c->bps[i];
    return NULL;
}

static int loc_insert(cd_ctl *c, cd_bploc *l, cd_err *err)
{
    if (l->inserted)
        return 0;
    if (!ctl_addr_inserted(c, l->addr, NULL) && c->t->ops->insert_breakpoint(c->t, l->addr, err) < 0)
        return -1;
    l->inserted = true;
    return 0;
}

static int loc_remove(cd_ctl *c, cd_bploc *l, cd_err *err)
{
    if (!l->inserted)
        return 0;
    l->inserted = false;
    if (!ctl_addr_inserted(c, l->addr, NULL))
        return c->t->ops->remove_breakpoint(c->t, l->addr, err);
    return 0;
}

/* Inserts every location of b, or none (what was inserted is taken out again on a failure). */
static int bp_insert_all(cd_ctl *c, cd_bp *b, cd_err *err)
{
    for (size_t k = 0; k < b->nlocs; k++)
        if (loc_insert(c, &b->locs[k], err) < 0) {
            for (size_t j = 0; j < k; j++) {
                cd_err e;
                loc_remove(c, &b->locs[j], &e);
            }
            return -1;
        }
    return 0;
}

static void bp_add(cd_ctl *c, cd_bp *b)
{
    c->bps = cd_xrealloc(c->bps, (c->nbps + 1) * sizeof *c->bps);
    c->bps[c->nbps++] = b;
}

static int loc_cmp(const void *a, const void *b)
{
    uint64_t x = ((const cd_bploc *)a)->addr, y = ((const cd_bploc *)b)->addr;
    return x < y ? -1 : x > y;
}

static void set_locs(cd_bp *b, const uint64_t *addrs, size_t n)
{
    free(b->locs);
    b->locs = cd_xcalloc(n ? n : 1, sizeof *b->locs);
    b->nlocs = n;
    for (size_t k = 0; k < n; k++)
        b->locs[k].addr = addrs[k];
    ctl_locs_sort(b);
}

void ctl_locs_sort(cd_bp *b)
{
    /* by address, as gdb numbers them (N.1, N.2...), whatever order the DWARF listed them in */
    qsort(b->locs, b->nlocs, sizeof *b->locs, loc_cmp);
}

cd_bp *cd_ctl_bp_find(cd_ctl *c, int id)
{
    for (size_t i = 0; i < c->nbps; i++)
        if (c->bps[i]->id == id)
            return c->bps[i];
    return NULL;
}

size_t cd_ctl_bps(cd_ctl *c, cd_bp ***out)
{
    /* internal ones are kept after the user's (see cd_ctl_internal_add), so the list is a prefix */
    size_t n = 0;
    while (n < c->nbps && c->bps[n]->kind != CD_BPK_INTERNAL)
        n++;
    *out = c->bps;
    return n;
}

int cd_ctl_bp_delete(cd_ctl *c, cd_bp *b, cd_err *err)
{
    ctl_watch_release(c, b); /* a watchpoint's debug registers and scope breakpoint */
    int rc = 0;
    for (size_t k = 0; k < b->nlocs; k++) {
        cd_err e;
        if (loc_remove(c, &b->locs[k], &e) < 0 && rc == 0) {
            rc = -1;
            if (err)
                *err = e;
        }
    }
    for (size_t i = 0; i < c->nbps; i++)
        if (c->bps[i] == b) {
            memmove(&c->bps[i], &c->bps[i + 1], (c->nbps - i - 1) * sizeof *c->bps);
            c->nbps--;
            break;
        }
    bp_free(b);
    return rc;
}

int ctl_loc_insert(cd_ctl *c, cd_bploc *l, cd_err *err) { return loc_insert(c, l, err); }
int ctl_loc_remove(cd_ctl *c, cd_bploc *l, cd_err *err) { return loc_remove(c, l, err); }

void ctl_internal_drop(cd_ctl *c, cd_bp *b)
{
    cd_err e;
    if (b)
        cd_ctl_bp_delete(c, b, &e);
}

int cd_ctl_bp_enable(cd_ctl *c, cd_bp *b, bool on, cd_err *err)
{
    if (b->watch)
        return ctl_watch_enable(c, b, on, err);
    if (on == b->enabled)
        return 0;
    if (on) {
        if (bp_insert_all(c, b, err) < 0)
            return -1;
    } else {
        int rc = 0;
        for (size_t k = 0; k < b->nlocs; k++)
            if (loc_remove(c, &b->locs[k], err) < 0)
                rc = -1;
        if (rc < 0)
            return -1;
    }
    b->enabled = on;
    return 0;
}

cd_bp *cd_ctl_internal_add(cd_ctl *c, cd_bp_purpose purpose, const uint64_t *addrs, size_t n, pid_t tid,
                           uint64_t min_sp, cd_err *err)
{
    cd_bp *b = cd_xcalloc(1, sizeof *b);
    b->id = --c->next_internal;
    b->kind = CD_BPK_INTERNAL;
    b->purpose = purpose;
    b->enabled = true;
    b->tid = tid;
    b->min_sp = min_sp;
    set_locs(b, addrs, n);
    if (bp_insert_all(c, b, err) < 0) {
        bp_free(b);
        return NULL;
    }
    bp_add(c, b);
    return b;
}

/* ---- location specs ---- */

static bool all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

static void add_addr(uint64_t **a, size_t *n, uint64_t v)
{
    for (size_t i = 0; i < *n; i++)
        if ((*a)[i] == v)
            return;
    *a = cd_xrealloc(*a, (*n + 1) * sizeof **a);
    (*a)[(*n)++] = v;
}

typedef struct func_search {
    cd_ctl *c;
    const char *name;
    const char *file;     /* FILE:FUNC: only compile units of this file (NULL any) */
    uint64_t *addrs;
    size_t n;
} func_search;

/* Whether the qualified name Q is SPEC or ends in "::SPEC" (gdb's linespec match of a function). */
static bool qual_matches(const char *q, const char *spec)
{
    size_t n = strlen(q), ls = strlen(spec);
    return !strcmp(q, spec) || (n > ls + 2 && !strcmp(q + n - ls, spec) && !strncmp(q + n - ls - 2, "::", 2));
}

/* Whether the C++ symbol SYM is function SPEC as gdb matches a linespec: the demangled name without
 * its parameters, return type and template arguments is SPEC or ends in "::SPEC", so `bark`,
 * `Dog::bark` and `zoo::Dog::bark` all take every overload of zoo::Dog::bark. */
static bool cxx_sym_matches(const char *sym, const char *spec)
{
    const char *paren = strchr(spec, '(');
    const char *last = spec;
    for (const char *p = spec; *p && p != paren; p++)
        if (*p == ':')
            last = p + 1;
    if (*last == '~')
        last++; /* a destructor's mangled name has its class's name, not "~" */
    size_t ll = paren && paren > last ? (size_t)(paren - last) : strlen(last);
    char *ident = cd_xasprintf("%.*s", (int)ll, last);
    bool spelled = strncmp(sym, "_Z", 2) == 0 && *ident && strstr(sym, ident);
    free(ident);
    if (!spelled)
        return false; /* the mangled name spells each identifier as it is */
    int st = -1;
    char *d = cd_cxa_demangle(sym, &st);
    bool ok = false;
    if (st != 0 || !d || strstr(d, "[clone ")) /* a .cold part is not where the function starts */
        goto out;
    if (paren) {
        /* one overload by its parameter list, `ns::C::m(double)`: the demangled name as written */
        ok = qual_matches(d, spec);
        goto out;
    }
    /* cut at the parameter list: the first '(' outside template arguments that is not
     * "(anonymous namespace)" or part of an operator's name */
    int depth = 0;
    size_t start = 0, end = 0;
    for (size_t i = 0; d[i]; i++) {
        char ch = d[i];
        if (ch == '<')
            depth++;
        else if (ch == '>' && depth > 0)
            depth--;
        else if (ch == ' ' && depth == 0)
            start = i + 1; /* a template function's return type comes first */
        else if (ch == '(' && depth == 0) {
            if (!strncmp(d + i, "(anonymous namespace)", 21)) {
                i += 20;
                continue;
            }
            if (i >= 8 && !strncmp(d + i - 8, "operator", 8) && d[i + 1] == ')') {
                i++;
                continue;
            }
            end = i;
            break;
        }
    }
    if (!end || start >= end)
        goto out;
    d[end] = 0;
    char *q = d + start;
    /* template arguments of the function itself: `tally` matches tally<int> */
    size_t n = strlen(q);
    if (n && q[n - 1] == '>') {
        int dd = 0;
        for (size_t i = n; i-- > 0;) {
            dd += q[i] == '>' ? 1 : q[i] == '<' ? -1 : 0;
            if (!dd) {
                if (strcmp(q, spec) != 0 && !(n >= strlen(spec) + 2 && !strcmp(q + n - strlen(spec), spec) &&
                                              !strncmp(q + n - strlen(spec) - 2, "::", 2)))
                    q[i] = 0;
                break;
            }
        }
        n = strlen(q);
    }
    ok = qual_matches(q, spec);
out:
    free(d);
    return ok;
}

static cd_sym_visit elf_sym_visit(const char *name, uint64_t addr, void *arg)
{
    func_search *fs = arg;
    if (!cd_sym_is_named(name, fs->name) && !cxx_sym_matches(name, fs->name))
        return CD_SYM_SKIP;
    add_addr(&fs->addrs, &fs->n, cd_symtab_skip_prologue(fs->c->sym, addr));
    return CD_SYM_TAKE;
}

static bool cu_matches(Dwarf_Die *cu, const char *file)
{
    const char *name = dwarf_diename(cu);
    if (!name)
        return false;
    if (!strchr(file, '/')) {
        const char *b = strrchr(name, '/');
        return !strcmp(b ? b + 1 : name, file);
    }
    size_t nl = strlen(name), fl = strlen(file);
    return nl >= fl && !strcmp(name + nl - fl, file) && (nl == fl || file[0] == '/' || name[nl - fl - 1] == '/');
}

/* Where an inlined copy starts as gdb 13 sets a breakpoint on it (BLOCK_ENTRY_PC): the start of its
 * first non-empty range in the order the DWARF lists them. gdb 13 does not read DW_AT_entry_pc,
 * which gcc -O2 may put in a later range (Consumer's copy in c1.cpp's main: ranges 0x23b0,
 * 0x23c1, 0x23d2, entry_pc 0x23d2, where _Alloc_hider's copy begins). */
static bool inline_entry(Dwarf_Die *d, Dwarf_Addr *out)
{
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(d, off, &base, &lo, &hi)) > 0)
        if (hi > lo) {
            *out = lo;
            return true;
        }
    return false;
}

/* Out-of-line copies (with a FILE filter) and inlined copies of fs->name in one CU's DIE tree. */
static void walk_dies(func_search *fs, Dwarf_Die *parent, Dwarf_Addr bias, int depth)
{
    Dwarf_Die d;
    if (depth > 64 || dwarf_child(parent, &d) != 0)
        return;
    do {
        int tag = dwarf_tag(&d);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
            const char *n = strchr(fs->name, '(') ? NULL : cd_symtab_die_func_name(fs->c->sym, &d);
            if (n && qual_matches(n, fs->name)) {
                Dwarf_Addr lo;
                if (tag == DW_TAG_subprogram && fs->file && dwarf_lowpc(&d, &lo) == 0)
                    add_addr(&fs->addrs, &fs->n, cd_symtab_skip_prologue(fs->c->sym, lo + bias));
                else if (tag == DW_TAG_inlined_subroutine && inline_entry(&d, &lo))
                    add_addr(&fs->addrs, &fs->n, lo + bias);
            }
        }
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block ||
            tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type)
            walk_dies(fs, &d, bias, depth + 1);
    } while (dwarf_siblingof(&d, &d) == 0);
}

static int dwarf_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud, (void)mname, (void)start;
    func_search *fs = arg;
    /* inlined copies: the executable's (a library's full DIE walk would cost seconds) */
    if (!fs->file && !cd_symtab_is_exe(fs->c->sym, mod))
        return DWARF_CB_OK;
    Dwarf_Addr bias;
    Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
    if (!dw)
        return DWARF_CB_OK;
    Dwarf_CU *unit = NULL;
    Dwarf_Die cu, sub;
    uint8_t ut;
    while (dwarf_get_units(dw, unit, &unit, NULL, &ut, &cu, &sub) == 0) {
        /* -gsplit-dwarf: the functions are in the split unit (the .dwo), not in the skeleton */
        Dwarf_Die *u = ut == DW_UT_skeleton && sub.addr ? &sub : &cu;
        if ((ut == DW_UT_compile || ut == DW_UT_partial || u == &sub) && (!fs->file || cu_matches(u, fs->file)))
            walk_dies(fs, u, bias, 0);
    }
    return DWARF_CB_OK;
}

static int func_addrs(cd_ctl *c, const char *file, const char *name, uint64_t **addrs, size_t *n)
{
    func_search fs = {.c = c, .name = name, .file = file};
    Dwfl *dwfl = cd_symtab_dwfl(c->sym);
    if (!file)
        cd_symtab_each_func(c->sym, elf_sym_visit, &fs);
    dwfl_getmodules(dwfl, dwarf_cb, &fs, 0);
    *addrs = fs.addrs;
    *n = fs.n;
    return fs.n ? 0 : -1;
}

static int one_addr(cd_resolved *out, uint64_t a)
{
    out->addrs = cd_xmalloc(sizeof *out->addrs);
    out->addrs[0] = a;
    out->n = 1;
    return 0;
}

static int line_addrs(cd_ctl *c, const char *who, const char *file, unsigned long long line, cd_resolved *out,
                      cd_err *err)
{
    int found;
    if (cd_symtab_line_addrs(c->sym, file, (int)line, &out->addrs, &out->n, &found) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                        "%s: no code at or after line %llu of %s in the program or its libraries", who, line, file);
    if (found != (int)line)
        out->note = cd_xasprintf("line %llu of %s has no code: using line %d", line, file, found);
    return 0;
}

int cd_ctl_resolve(cd_ctl *c, const cd_scope *sel, const char *who, const char *spec, cd_resolved *out, cd_err *err)
{
    memset(out, 0, sizeof *out);
    const cd_frame *f = sel ? sel->frame : NULL;
    if (!*spec) {
        if (!f)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "%s: no selected frame to take the location from", who);
        return one_addr(out, f->pc);
    }
    if (*spec == '*') {
        cd_arena ar = {0};
        cd_ectx x;
        cd_ectx_init(&x, sel, &ar, err);
        cd_value v;
        __int128 i = 0;
        int rc = cd_eval_string(&x, spec + 1, &v);
        if (rc == 0) {
            cd_type *t = cd_type_strip(v.type);
            if (t->kind == TY_FUNC && v.where == V_MEM)
                i = (__int128)v.addr;
            else
                rc = cd_value_int(&x, &v, &i);
        }
        cd_arena_free(&ar);
        if (rc != 0)
            return -1;
        return one_addr(out, (uint64_t)i);
    }
    if ((*spec == '+' || *spec == '-') && all_digits(spec + 1)) {
        unsigned long long d;
        if (!cd_parse_uint(spec + 1, &d) || d > 10000000)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: '%s' is not a line offset", who, spec);
        if (!f || !f->info.file || f->info.line <= 0)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                            "%s: %s is relative to the selected frame's line, and it has none; say FILE:LINE", who,
                            spec);
        long long line = f->info.line + (*spec == '+' ? (long long)d : -(long long)d);
        if (line < 1)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: %s is before line 1", who, spec);
        return line_addrs(c, who, f->info.file, (unsigned long long)line, out, err);
    }
    const char *colon = strrchr(spec, ':');
    const char *num = colon ? colon + 1 : spec;
    if (all_digits(num)) {
        unsigned long long line;
        if (!cd_parse_uint(num, &line) || line == 0 || line > 10000000)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: '%s' is not a line number", who, num);
        if (colon) {
            char *file = cd_xasprintf("%.*s", (int)(colon - spec), spec);
            int rc = line_addrs(c, who, file, line, out, err);
            free(file);
            return rc;
        }
        if (!f || !f->info.file) {
            if (f)
                return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                                "%s: frame #%d has no source file; say which: %s FILE:%s", who, f->level, who, num);
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "%s: no selected frame; say which file: %s FILE:%s",
                            who, who, num);
        }
        return line_addrs(c, who, f->info.file, line, out, err);
    }
    if (colon && colon > spec && colon[1] && !(colon > spec + 1 && colon[-1] == ':')) {
        /* FILE:FUNC (a C++ name's "::" is not a file separator) */
        char *file = cd_xasprintf("%.*s", (int)(colon - spec), spec);
        int rc = func_addrs(c, file, colon + 1, &out->addrs, &out->n);
        if (rc < 0)
            cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "%s: no function '%s' in %s (a compile unit with debug info)",
                     who, colon + 1, file);
        free(file);
        return rc;
    }
    if (func_addrs(c, NULL, spec, &out->addrs, &out->n) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                        "%s: no function '%s' in the program or its loaded libraries; locations are FUNC, "
                        "FILE:LINE, LINE or *ADDRESS",
                        who, spec);
    return 0;
}

int cd_ctl_check_cond(cd_ctl *c, const cd_scope *sel, const char *who, const char *cond, cd_err *err)
{
    (void)c;
    cd_arena ar = {0};
    cd_ectx x;
    cd_ectx_init(&x, sel, &ar, err);
    cd_expr *e = cd_expr_parse(&ar, cond, cd_ectx_is_typename, &x, err);
    bool call = cd_expr_has_call(e);
    cd_arena_free(&ar);
    if (call)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "%s: condition '%s' calls a function: a condition cannot run code in the program (it is "
                        "evaluated at each hit, where the program cannot stop for a call)",
                        who, cond);
    if (!e) {
        char *m = cd_xstrdup(err->msg);
        cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: condition '%s': %s", who, cond, m);
        free(m);
        return -1;
    }
    return 0;
}

/* Specs that name code a library may bring: FUNC, FILE:LINE, FILE:FUNC (not *EXPR, a bare LINE
 * or +N/-N, which are about what is loaded now). */
static bool pendable(const char *spec)
{
    if (!*spec || *spec == '*' || *spec == '+' || *spec == '-' || all_digits(spec))
        return false;
    return true;
}

bool cd_ctl_bp_pendable(cd_ctl *c, const char *spec)
{
    return pendable(spec) && c->t->caps.can_run;
}

/* Whether any location of b is outside the executable (a library's code, which dlclose can take away). */
static bool in_library(cd_ctl *c, const cd_bp *b)
{
    Dwfl *dwfl = cd_symtab_dwfl(c->sym);
    for (size_t k = 0; k < b->nlocs; k++) {
        Dwfl_Module *m = dwfl_addrmodule(dwfl, b->locs[k].addr);
        if (m && !cd_symtab_is_exe(c->sym, m))
            return true;
    }
    return false;
}

cd_bp *cd_ctl_break(cd_ctl *c, const cd_scope *sel, const char *who, const char *spec, cd_bp_kind kind,
                    const char *cond, char **note, cd_err *err)
{
    return cd_ctl_break_flags(c, sel, who, spec, kind, cond, 0, note, err);
}

cd_bp *cd_ctl_break_flags(cd_ctl *c, const cd_scope *sel, const char *who, const char *spec, cd_bp_kind kind,
                          const char *cond, unsigned flags, char **note, cd_err *err)
{
    if (note)
        *note = NULL;
    if (kind == CD_BPK_WATCH || kind == CD_BPK_RWATCH || kind == CD_BPK_AWATCH)
        return ctl_watch_break(c, sel, spec, kind, cond, err);
    if (cond && cd_ctl_check_cond(c, sel, who, cond, err) < 0)
        return NULL;
    cd_resolved r;
    bool pending = false;
    if (cd_ctl_resolve(c, sel, who, spec, &r, err) < 0) {
        if (err->kind != CD_EK_NOT_FOUND || !pendable(spec) || !c->t->caps.can_run)
            return NULL;
        size_t len = strlen(err->msg);
        if (!(flags & CD_BPF_PENDING_OK)) {
            /* gdb in batch mode answers its "Make breakpoint pending?" with no; say how to say yes */
            snprintf(err->msg + len, sizeof err->msg - len,
                     "; `%s -pending %s` keeps it for a library the program loads later", who, spec);
            return NULL;
        }
        cd_err e;
        if (ctl_solib_arm(c, &e) < 0) {
            snprintf(err->msg + len, sizeof err->msg - len, "; it cannot be pending: %s", e.msg);
            return NULL;
        }
        cd_err_clear(err);
        memset(&r, 0, sizeof r);
        pending = true;
    }
    cd_bp *b = cd_xcalloc(1, sizeof *b);
    b->pending = pending;
    b->kind = kind;
    b->spec = cd_xstrdup(spec);
    b->cond = cond ? cd_xstrdup(cond) : NULL;
    b->enabled = true;
    set_locs(b, r.addrs, r.n);
    if (bp_insert_all(c, b, err) < 0) {
        bp_free(b);
        cd_resolved_free(&r);
        return NULL;
    }
    b->id = ++c->next_id;
    /* user breakpoints go before the internal ones (cd_ctl_bps lists a prefix) */
    size_t i = 0;
    while (i < c->nbps && c->bps[i]->kind != CD_BPK_INTERNAL)
        i++;
    c->bps = cd_xrealloc(c->bps, (c->nbps + 1) * sizeof *c->bps);
    memmove(&c->bps[i + 1], &c->bps[i], (c->nbps - i) * sizeof *c->bps);
    c->bps[i] = b;
    c->nbps++;
    if (!pending && c->t->caps.can_run && in_library(c, b)) {
        /* a dlclose would take the code away under the int3s: follow the library list */
        cd_err e;
        ctl_solib_arm(c, &e);
    }
    if (note)
        *note = r.note;
    else
        free(r.note);
    r.note = NULL;
    cd_resolved_free(&r);
    return b;
}

int cd_ctl_reresolve(cd_ctl *c, cd_err *err)
{
    int done = 0;
    for (size_t i = 0; i < c->nbps; i++) {
        cd_bp *b = c->bps[i];
        if (!b->pending || b->kind == CD_BPK_INTERNAL)
            continue;
        cd_resolved r;
        cd_err e;
        if (cd_ctl_resolve(c, NULL, "break", b->spec, &r, &e) < 0)
            continue;
        set_locs(b, r.addrs, r.n);
        cd_resolved_free(&r);
        b->pending = false;
        if (b->enabled && bp_insert_all(c, b, err) < 0)
            return -1;
        done++;
    }
    return done;
}

void cd_ctl_bp_renumber(cd_ctl *c, cd_bp *b, int id)
{
    b->id = id;
    if (id > c->next_id)
        c->next_id = id;
}
