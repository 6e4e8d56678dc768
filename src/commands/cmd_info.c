/* info: gdb's `info WHAT` forms. Those another command already answers (breakpoints, locals...)
 * run that command; the others (line, symbol, address, source, watchpoints, display) are here,
 * each built once as a JSON object that is either printed as JSON or rendered as gdb's text. */
#include "commands/cmd_impl.h"
#include "expr/expr_int.h"

#include <ctype.h>
#include <dwarf.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *jstr(json_object *j, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(j, k, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t jint(json_object *j, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(j, k, &v) && v ? json_object_get_int64(v) : 0;
}

static bool jbool(json_object *j, const char *k)
{
    json_object *v;
    return json_object_object_get_ex(j, k, &v) && v && json_object_get_boolean(v);
}

/* Prints R as JSON (with "command") or lets TEXT render it; frees R. */
static int emit(cd_session *s, const char *cmd, json_object *r, void (*text)(cd_session *, json_object *))
{
    if (s->out.json) {
        json_object_object_add(r, "command", json_object_new_string(cmd));
        cd_out_json(&s->out, json_object_get(r));
    } else {
        text(s, r);
    }
    json_object_put(r);
    return 0;
}

/* The name print_address shows in <...>: the ELF symbol's, but gcc's clones (leaf.constprop.0,
 * f.part.1, f.isra.0, f.cold) by the name of their function in the DWARF, as gdb's full symbol; and
 * a C++ function with an unmangled symbol (main) as gdb's physname, with its parameter list (only
 * the empty one is spelled here: "main()"). */
static bool addr_name(cd_session *s, uint64_t a, const char **name, uint64_t *off)
{
    if (!s->sym || !cd_symtab_addr_symbol(s->sym, a, name, off))
        return false;
    const cd_pcinfo *pi;
    int n = strchr(*name, '(') ? 0 : cd_symtab_lookup(s->sym, a, &pi);
    if (n <= 0 || !pi[n - 1].func || pi[n - 1].func_addr != a - *off)
        return true;
    const cd_pcinfo *f = &pi[n - 1];
    if (strchr(*name, '.'))
        *name = f->func;
    Dwarf_Die die = f->scope_die, c;
    if (f->has_die && cd_die_is_cxx(&die)) {
        bool params = false;
        if (dwarf_child(&die, &c) == 0)
            do
                params |= dwarf_tag(&c) == DW_TAG_formal_parameter;
            while (!params && dwarf_siblingof(&c, &c) == 0);
        if (!params) {
            char *p = cd_xasprintf("%s()", *name);
            *name = cd_symtab_demangle(s->sym, p); /* interned: lives as long as the symtab */
            free(p);
        }
    }
    return true;
}

static json_object *addr_json(cd_session *s, uint64_t a)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "address", cd_json_hex(a));
    const char *name;
    uint64_t off;
    if (addr_name(s, a, &name, &off)) {
        json_object_object_add(j, "symbol", json_object_new_string(name));
        json_object_object_add(j, "offset", json_object_new_int64((int64_t)off));
    }
    return j;
}

static void addr_of_json(cd_session *s, json_object *j, cd_buf *b)
{
    json_object *o;
    if (!json_object_object_get_ex(j, "symbol", &o)) {
        cd_buf_puts(b, jstr(j, "address") ? jstr(j, "address") : "?");
        return;
    }
    int64_t off = jint(j, "offset");
    (void)s;
    cd_buf_printf(b, "%s <%s", jstr(j, "address") ? jstr(j, "address") : "?", json_object_get_string(o));
    if (off)
        cd_buf_printf(b, "+%lld", (long long)off);
    cd_buf_puts(b, ">");
}

/* An address from an expression: a function or an array designates its address. */
static int eval_addr(cd_session *s, const char *src, uint64_t *out, cd_err *err)
{
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_value v;
    int rc = cd_eval_string(&x, src, &v);
    if (rc == 0) {
        cd_type *t = cd_type_strip(v.type);
        if ((t->kind == TY_FUNC || t->kind == TY_ARRAY) && v.where == V_MEM) {
            *out = v.addr;
        } else {
            __int128 i;
            rc = cd_value_int(&x, &v, &i);
            *out = (uint64_t)i;
        }
    }
    cd_arena_free(&ar);
    return rc;
}

/* The text of the command line after the subcommand word, trimmed. malloc'd. */
static char *rest_of_line(cd_session *s)
{
    const char *r = s->raw_args ? s->raw_args : "";
    r += strspn(r, " \t");
    r += strcspn(r, " \t");
    r += strspn(r, " \t");
    char *o = cd_xstrdup(r);
    size_t n = strlen(o);
    while (n && isspace((unsigned char)o[n - 1]))
        o[--n] = 0;
    return o;
}

/* ---- line tables ---- */

/* PATH as gdb names a symtab: relative to the unit's compilation directory when under it. */
static char *display_name(Dwarf_Die *cu, const char *path)
{
    Dwarf_Attribute a;
    const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a));
    size_t n = dir ? strlen(dir) : 0;
    if (n && !strncmp(path, dir, n) && path[n] == '/')
        return cd_xstrdup(path + n + 1);
    return cd_xstrdup(path);
}

/* PATH made absolute with the unit's compilation directory (libdw leaves DWARF 5's relative). */
static char *full_name(Dwarf_Die *cu, const char *path)
{
    Dwarf_Attribute a;
    const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a));
    return path[0] == '/' || !dir ? cd_xstrdup(path) : cd_xasprintf("%s/%s", dir, path);
}

typedef struct pcline {
    int line;          /* 0: no line information */
    char *file;        /* as gdb names it */
    uint64_t start, end;
} pcline;

/* gdb's find_pc_line: the row that holds PC (the last one at the highest address <= PC, an is_stmt
 * one preferred among those at that address) and the address of the next row after PC. */
static bool pc_line(cd_session *s, uint64_t pc, pcline *out)
{
    memset(out, 0, sizeof *out);
    Dwfl_Module *mod = s->sym ? dwfl_addrmodule(cd_symtab_dwfl(s->sym), pc) : NULL;
    Dwarf_Die cu;
    Dwarf_Addr bias;
    Dwarf_Lines *lines;
    size_t n;
    if (!mod || !cd_symtab_cu_at(s->sym, mod, pc, &cu, &bias) || dwarf_getsrclines(&cu, &lines, &n) != 0)
        return false;
    bool have = false, have_end = false;
    uint64_t at = 0, end = 0;
    for (size_t i = 0; i < n; i++) {
        Dwarf_Addr a;
        if (dwarf_lineaddr(dwarf_onesrcline(lines, i), &a) != 0)
            continue;
        a += bias;
        if (a <= pc && (!have || a > at))
            at = a, have = true;
        if (a > pc && (!have_end || a < end))
            end = a, have_end = true;
    }
    if (!have || !have_end)
        return false;
    Dwarf_Line *best = NULL;
    bool best_stmt = false;
    for (size_t i = 0; i < n; i++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, i);
        Dwarf_Addr a;
        bool es = false, st = false;
        if (dwarf_lineaddr(l, &a) != 0 || a + bias != at || dwarf_lineendsequence(l, &es) != 0 || es)
            continue;
        dwarf_linebeginstatement(l, &st);
        if (st || !best_stmt)
            best = l, best_stmt = st;
    }
    int ln = 0;
    const char *path;
    if (!best || dwarf_lineno(best, &ln) != 0 || ln <= 0 || !(path = dwarf_linesrc(best, NULL, NULL)))
        return false;
    out->line = ln;
    out->file = display_name(&cu, path);
    out->start = at;
    out->end = end;
    return true;
}

/* PATH with its "." and ".." components resolved, as text (the line table's "build/../src/x.c"
 * is the frame's "src/x.c"). malloc'd. */
static char *lexical_path(const char *path)
{
    char *o = cd_xstrdup(path), *w = o;
    const char *p = path;
    bool abs = *p == '/';
    if (abs)
        *w++ = '/', p++;
    char *root = w;
    while (*p) {
        size_t n = strcspn(p, "/");
        if ((n == 1 && p[0] == '.') || n == 0) {
        } else if (n == 2 && p[0] == '.' && p[1] == '.' && w > root && strncmp(w - 3 >= root ? w - 3 : root, "../", 3)) {
            w--; /* the '/' after the last component */
            while (w > root && w[-1] != '/')
                w--;
        } else {
            memmove(w, p, n);
            w += n;
            *w++ = '/';
        }
        p += n;
        p += *p == '/';
    }
    if (w > root && w[-1] == '/')
        w--;
    *w = 0;
    return o;
}

static bool file_matches(const char *path, const char *want)
{
    char *pp = lexical_path(path), *ww = lexical_path(want);
    size_t n = strlen(pp), w = strlen(ww);
    bool r = !strcmp(pp, ww) || (n > w && pp[n - w - 1] == '/' && !strcmp(pp + n - w, ww));
    free(pp);
    free(ww);
    return r;
}

typedef struct linefind {
    const char *file;
    int line;
    bool matched;      /* some unit has the file */
    char *fname;       /* its name as gdb shows it */
    Dwfl_Module *only, *skip; /* the executable is searched first, alone */
    bool exact;
    int best_line;     /* exact ? line : the next line with code */
    uint64_t addr;
} linefind;

/* gdb's find_line_pc: the lowest address of LINE's statement rows in FILE, or, when LINE has none,
 * of the next line that has some. Units of one module are searched, the first module that has the
 * file answering. */
static bool same_base(const char *path, const char *want)
{
    const char *p = strrchr(path, '/'), *w = strrchr(want, '/');
    return !strcmp(p ? p + 1 : path, w ? w + 1 : want);
}

static int line_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud, (void)mname, (void)start;
    linefind *lf = arg;
    Dwarf_Die *cu = NULL;
    Dwarf_Addr bias;
    if (mod == lf->skip || (lf->only && mod != lf->only) || !dwfl_module_getdwarf(mod, &bias))
        return DWARF_CB_OK;
    while ((cu = dwfl_module_nextcu(mod, cu, &bias))) {
        Dwarf_Files *files;
        size_t nfiles;
        bool has = false;
        if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
            continue;
        for (size_t f = 0; f < nfiles && !has; f++) {
            const char *fn = dwarf_filesrc(files, f, NULL, NULL);
            has = fn && same_base(fn, lf->file);
        }
        Dwarf_Lines *lines;
        size_t n;
        if (!has || dwarf_getsrclines(cu, &lines, &n) != 0)
            continue;
        for (size_t i = 0; i < n; i++) {
            Dwarf_Line *l = dwarf_onesrcline(lines, i);
            const char *path = dwarf_linesrc(l, NULL, NULL);
            int ln;
            Dwarf_Addr a;
            bool es = false, st = false;
            if (!path || !same_base(path, lf->file) || dwarf_lineno(l, &ln) != 0 || dwarf_lineaddr(l, &a) != 0)
                continue;
            char *full = full_name(cu, path);
            bool match = file_matches(full, lf->file);
            free(full);
            if (!match)
                continue;
            if (!lf->matched) {
                lf->matched = true;
                lf->fname = display_name(cu, path);
            }
            dwarf_lineendsequence(l, &es);
            dwarf_linebeginstatement(l, &st);
            if (es || !st || ln < lf->line)
                continue;
            a += bias;
            bool take = ln == lf->line ? (!lf->exact || a < lf->addr)
                                       : !lf->exact && (!lf->best_line || ln < lf->best_line ||
                                                        (ln == lf->best_line && a < lf->addr));
            if (take) {
                lf->exact = ln == lf->line;
                lf->best_line = ln;
                lf->addr = a;
            }
        }
    }
    return lf->matched ? DWARF_CB_ABORT : DWARF_CB_OK;
}

/* A function's entry by its DWARF name (gcc's clones: middle.constprop.0 is "middle"), searched in
 * the executable's units: the concrete (out-of-line) instance with the lowest address. */
typedef struct funcfind {
    const char *name;
    Dwarf_Addr bias;
    bool found;
    uint64_t addr;
} funcfind;

static int func_cb(Dwarf_Die *die, void *arg)
{
    funcfind *ff = arg;
    Dwarf_Addr lo;
    const char *n = dwarf_diename(die);
    if (n && !strcmp(n, ff->name) && dwarf_entrypc(die, &lo) == 0 && (!ff->found || lo + ff->bias < ff->addr)) {
        ff->addr = lo + ff->bias;
        ff->found = true;
    }
    return DWARF_CB_OK;
}

static bool dwarf_function(cd_session *s, const char *name, uint64_t *pc)
{
    uint64_t entry;
    Dwfl_Module *mod;
    if (cd_symtab_entry(s->sym, &entry) != 0 || !(mod = dwfl_addrmodule(cd_symtab_dwfl(s->sym), entry)))
        return false;
    funcfind ff = {.name = name};
    Dwarf_Die *cu = NULL;
    if (!dwfl_module_getdwarf(mod, &ff.bias))
        return false;
    while ((cu = dwfl_module_nextcu(mod, cu, &ff.bias)))
        dwarf_getfuncs(cu, func_cb, &ff, 0);
    *pc = ff.addr;
    return ff.found;
}

/* The text of one `info line` answer. */
static void line_text(cd_session *s, json_object *r)
{
    cd_buf b = {0};
    json_object *st, *en;
    json_object_object_get_ex(r, "start", &st);
    json_object_object_get_ex(r, "end", &en);
    if (!jbool(r, "has_line_info")) {
        cd_buf_puts(&b, "No line number information available");
        if (st) {
            cd_buf_puts(&b, " for address ");
            addr_of_json(s, st, &b);
        }
    } else if (jbool(r, "out_of_range")) {
        cd_buf_printf(&b, "Line number %lld is out of range for \"%s\".", (long long)jint(r, "line"), jstr(r, "file"));
    } else if (!jbool(r, "has_code")) {
        cd_buf_printf(&b, "Line %lld of \"%s\" is at address ", (long long)jint(r, "line"), jstr(r, "file"));
        addr_of_json(s, st, &b);
        cd_buf_puts(&b, " but contains no code.");
    } else {
        cd_buf_printf(&b, "Line %lld of \"%s\" starts at address ", (long long)jint(r, "line"), jstr(r, "file"));
        addr_of_json(s, st, &b);
        cd_buf_puts(&b, " and ends at ");
        addr_of_json(s, en, &b);
        cd_buf_puts(&b, ".");
    }
    cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
    cd_buf_free(&b);
}

static json_object *pc_result(cd_session *s, uint64_t pc)
{
    json_object *r = json_object_new_object();
    pcline pl;
    if (!pc_line(s, pc, &pl)) {
        json_object_object_add(r, "has_line_info", json_object_new_boolean(0));
        json_object_object_add(r, "start", addr_json(s, pc));
        return r;
    }
    json_object_object_add(r, "has_line_info", json_object_new_boolean(1));
    json_object_object_add(r, "has_code", json_object_new_boolean(1));
    json_object_object_add(r, "line", json_object_new_int(pl.line));
    json_object_object_add(r, "file", json_object_new_string(pl.file));
    json_object_object_add(r, "start", addr_json(s, pl.start));
    json_object_object_add(r, "end", addr_json(s, pl.end));
    free(pl.file);
    return r;
}

static bool all_digits(const char *p)
{
    if (!*p)
        return false;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p))
            return false;
    return true;
}

static int info_line(cd_session *s, cd_err *err)
{
    char *arg = rest_of_line(s);
    const char *file = NULL;
    int line = 0;
    char *colon = strrchr(arg, ':');
    json_object *r = NULL;
    int rc = -1;
    if (arg[0] == '*') {
        uint64_t pc;
        if (eval_addr(s, arg + 1, &pc, err) != 0)
            goto out;
        r = pc_result(s, pc);
    } else if (!*arg || all_digits(arg) || (colon && colon > arg && colon[-1] != ':' && all_digits(colon + 1))) {
        const cd_frame *f = cd_session_frame(s, err);
        cd_err_clear(err);
        if (!*arg) {
            if (!f || !f->info.file || f->info.line <= 0) {
                rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                              "info line: the selected frame has no line information; give a LOCATION");
                goto out;
            }
            file = f->info.file;
            line = f->info.line;
        } else if (all_digits(arg)) {
            file = f && f->info.file ? f->info.file : s->list_file;
            if (!file) {
                rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "info line: no default source file; give FILE:LINE");
                goto out;
            }
            line = atoi(arg);
        } else {
            *colon = 0;
            file = arg;
            line = atoi(colon + 1);
        }
        linefind lf = {.file = file, .line = line};
        uint64_t entry;
        Dwfl *dwfl = cd_symtab_dwfl(s->sym);
        if (cd_symtab_entry(s->sym, &entry) == 0 && (lf.only = dwfl_addrmodule(dwfl, entry))) {
            dwfl_getmodules(dwfl, line_cb, &lf, 0);
            lf.skip = lf.only;
            lf.only = NULL;
        }
        if (!lf.matched)
            dwfl_getmodules(dwfl, line_cb, &lf, 0);
        if (!lf.matched) {
            rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "No source file named %s.", file);
            goto out;
        }
        if (!lf.best_line) { /* gdb says so as an answer, not as an error */
            r = json_object_new_object();
            json_object_object_add(r, "has_line_info", json_object_new_boolean(1));
            json_object_object_add(r, "line", json_object_new_int(line));
            json_object_object_add(r, "file", json_object_new_string(lf.fname));
            json_object_object_add(r, "out_of_range", json_object_new_boolean(1));
            free(lf.fname);
            rc = emit(s, "info line", r, line_text);
            goto out;
        }
        pcline pl;
        bool ok = pc_line(s, lf.addr, &pl);
        r = json_object_new_object();
        json_object_object_add(r, "has_line_info", json_object_new_boolean(1));
        json_object_object_add(r, "line", json_object_new_int(line));
        json_object_object_add(r, "file", json_object_new_string(lf.fname));
        /* gdb's find_line_pc_range: the row found for the address is another line's: none of its own */
        bool code = ok && pl.line == line;
        json_object_object_add(r, "has_code", json_object_new_boolean(code));
        json_object_object_add(r, "start", addr_json(s, ok ? pl.start : lf.addr));
        if (code)
            json_object_object_add(r, "end", addr_json(s, pl.end));
        if (ok)
            free(pl.file);
        free(lf.fname);
    } else {
        const char *fn = colon && colon > arg && colon[-1] != ':' ? colon + 1 : arg;
        uint64_t pc;
        if (cd_symtab_find_function(s->sym, fn, &pc) != 0 && !dwarf_function(s, fn, &pc)) {
            /* what `break` finds by that name (a C++ qualified name, a gcc clone's DWARF name), past
             * its prologue: the entry of the function found there */
            cd_scope sc;
            cd_session_scope(s, &sc);
            cd_resolved rs = {0};
            cd_err e2;
            const cd_pcinfo *pi;
            int n;
            if (!s->ctl || cd_ctl_resolve(s->ctl, &sc, "info line", arg, &rs, &e2) != 0 || !rs.n) {
                cd_resolved_free(&rs);
                rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "Function \"%s\" not defined.", fn);
                goto out;
            }
            pc = rs.addrs[0];
            if ((n = cd_symtab_lookup(s->sym, pc, &pi)) > 0 && !pi[0].inlined && pi[0].func_addr)
                pc = pi[0].func_addr;
            cd_resolved_free(&rs);
        }
        r = pc_result(s, pc);
    }
    rc = emit(s, "info line", r, line_text);
out:
    free(arg);
    return rc;
}

/* ---- info symbol ---- */

/* gdb names a library by the dynamic linker's name for it (link_map's l_name:
 * /lib/x86_64-linux-gnu/libc.so.6), where /proc/PID/maps has the file's real path. The list is
 * read from the process's memory (r_debug), so a core answers too. */
static int rdebug_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud, (void)mname, (void)start;
    int n = dwfl_module_getsymtab(mod);
    for (int k = 1; k < n; k++) {
        GElf_Sym sym;
        GElf_Addr a;
        const char *sn = dwfl_module_getsym_info(mod, k, &sym, &a, NULL, NULL, NULL);
        if (sn && sym.st_shndx != SHN_UNDEF && !strcmp(sn, "_r_debug")) {
            *(uint64_t *)arg = a;
            return DWARF_CB_ABORT;
        }
    }
    return DWARF_CB_OK;
}

static char *linkmap_name(cd_session *s, const char *path)
{
    uint64_t rd = 0, lm = 0;
    char *want = realpath(path, NULL), *found = NULL;
    if (!want)
        return NULL;
    dwfl_getmodules(cd_symtab_dwfl(s->sym), rdebug_cb, &rd, 0);
    if (rd && cd_target_read_full(s->target, rd + 8, &lm, 8) != 0) /* r_debug.r_map */
        lm = 0;
    for (int i = 0; lm && i < 4096 && !found; i++) {
        uint64_t f[4]; /* l_addr, l_name, l_ld, l_next */
        char name[PATH_MAX];
        if (cd_target_read_full(s->target, lm, f, sizeof f) != 0)
            break;
        size_t n = 0;
        while (f[1] && n < sizeof name - 1 && cd_target_read_full(s->target, f[1] + n, &name[n], 1) == 0 && name[n])
            n++;
        name[n] = 0;
        char *real = n ? realpath(name, NULL) : NULL;
        if (real && !strcmp(real, want))
            found = cd_xstrdup(name);
        free(real);
        lm = f[3];
    }
    free(want);
    return found;
}


static int count_mod(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)mod, (void)ud, (void)mname, (void)start;
    ++*(int *)arg;
    return DWARF_CB_OK;
}

static void symbol_text(cd_session *s, json_object *r)
{
    if (!jstr(r, "symbol")) {
        cd_out_printf(&s->out, "No symbol matches %s.\n", jstr(r, "expr"));
        return;
    }
    cd_buf b = {0};
    cd_buf_puts(&b, jstr(r, "symbol"));
    if (jint(r, "offset"))
        cd_buf_printf(&b, " + %lld", (long long)jint(r, "offset"));
    cd_buf_printf(&b, " in section %s", jstr(r, "section"));
    if (jbool(r, "several_files"))
        cd_buf_printf(&b, " of %s", jstr(r, "file"));
    cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
    cd_buf_free(&b);
}

static int info_symbol(cd_session *s, cd_err *err)
{
    char *arg = rest_of_line(s);
    uint64_t a;
    if (!*arg) {
        free(arg);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "Argument required (address).");
    }
    if (eval_addr(s, arg, &a, err) != 0) {
        free(arg);
        return -1;
    }
    json_object *r = json_object_new_object();
    json_object_object_add(r, "expr", json_object_new_string(arg));
    json_object_object_add(r, "address", cd_json_hex(a));
    free(arg);
    Dwfl *dwfl = cd_symtab_dwfl(s->sym);
    Dwfl_Module *mod = dwfl_addrmodule(dwfl, a);
    const char *name;
    uint64_t off;
    Dwarf_Addr rel = a, bias;
    Elf_Scn *scn = mod ? dwfl_module_address_section(mod, &rel, &bias) : NULL;
    Elf *e = mod ? dwfl_module_getelf(mod, &bias) : NULL;
    GElf_Shdr sh;
    size_t shstr;
    const char *sec = scn && e && gelf_getshdr(scn, &sh) && elf_getshdrstrndx(e, &shstr) == 0
                          ? elf_strptr(e, shstr, sh.sh_name) : NULL;
    if (sec && cd_symtab_addr_symbol(s->sym, a, &name, &off)) {
        /* gdb's names for gcc's clones: leaf.constprop.0 is "leaf.constprop", work.cold "work[cold]" */
        char *nm = cd_xstrdup(name);
        size_t len = strlen(nm), d = len;
        while (d && isdigit((unsigned char)nm[d - 1]))
            d--;
        if (!strchr(nm, '(') && d < len && d > 1 && nm[d - 1] == '.' && strchr(nm, '.') != nm + d - 1)
            nm[d - 1] = 0;
        len = strlen(nm);
        if (!strchr(nm, '(') && len > 5 && !strcmp(nm + len - 5, ".cold")) {
            nm[len - 5] = 0;
            char *c = cd_xasprintf("%s[cold]", nm);
            free(nm);
            nm = c;
        }
        json_object_object_add(r, "symbol", json_object_new_string(nm));
        free(nm);
        json_object_object_add(r, "offset", json_object_new_int64((int64_t)off));
        json_object_object_add(r, "section", json_object_new_string(sec));
        const char *mainfile = NULL;
        const char *path = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
        if (path && path[0] != '/' && mainfile) /* a core's executable: the file opened */
            path = mainfile;
        char *lname = path ? linkmap_name(s, path) : NULL;
        json_object_object_add(r, "file", cd_json_str_or_null(lname ? lname : path));
        free(lname);
        int nmods = 0;
        dwfl_getmodules(dwfl, count_mod, &nmods, 0);
        /* gdb names the file only when there are several */
        json_object_object_add(r, "several_files", json_object_new_boolean(nmods > 1));
    }
    return emit(s, "info symbol", r, symbol_text);
}

/* ---- info address ---- */

static const char *const dw_regs[] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
                                      "r11", "r12", "r13", "r14", "r15", "rip"};

static void address_text(cd_session *s, json_object *r)
{
    const char *k = jstr(r, "kind"), *n = jstr(r, "name");
    if (!strcmp(k, "function"))
        cd_out_printf(&s->out, "Symbol \"%s\" is a function at address %s.\n", n, jstr(r, "address"));
    else if (!strcmp(k, "static"))
        cd_out_printf(&s->out, "Symbol \"%s\" is static storage at address %s.\n", n, jstr(r, "address"));
    else if (!strcmp(k, "nodebug"))
        cd_out_printf(&s->out, "Symbol \"%s\" is at %s in a file compiled without debugging.\n", n, jstr(r, "address"));
    else if (!strcmp(k, "constant"))
        cd_out_printf(&s->out, "Symbol \"%s\" is constant.\n", n);
    else if (!strcmp(k, "register"))
        cd_out_printf(&s->out, "Symbol \"%s\" is a variable in $%s.\n", n, jstr(r, "register"));
    else if (!strcmp(k, "frame"))
        cd_out_printf(&s->out, "Symbol \"%s\" is a complex DWARF expression:\n     0: DW_OP_fbreg %lld\n.\n", n,
                      (long long)jint(r, "frame_offset"));
    else if (!strcmp(k, "multi"))
        cd_out_printf(&s->out, "Symbol \"%s\" is multi-location (a location list: where it is depends on the pc).\n", n);
    else
        cd_out_printf(&s->out, "Symbol \"%s\" is a variable with a DWARF expression locating it.\n", n);
}

/* What DIE's DW_AT_location says, for a local: gdb's words for the simple forms. */
static void local_kind(Dwarf_Die *die, json_object *r)
{
    Dwarf_Attribute a;
    Dwarf_Op *ops;
    size_t n;
    const char *kind = "complex";
    if (dwarf_hasattr(die, DW_AT_const_value)) {
        kind = "constant";
    } else if (dwarf_attr(die, DW_AT_location, &a)) {
        if (dwarf_whatform(&a) == DW_FORM_exprloc && dwarf_getlocation(&a, &ops, &n) == 0) {
            if (n == 1 && ops[0].atom == DW_OP_fbreg) {
                kind = "frame";
                json_object_object_add(r, "frame_offset", json_object_new_int64((int64_t)ops[0].number));
            } else if (n == 1 && ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg16) {
                kind = "register";
                json_object_object_add(r, "register", json_object_new_string(dw_regs[ops[0].atom - DW_OP_reg0]));
            }
        } else {
            kind = "multi";
        }
    }
    json_object_object_add(r, "kind", json_object_new_string(kind));
}

static int info_address(cd_session *s, cd_err *err)
{
    char *name = rest_of_line(s);
    if (!*name) {
        free(name);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "Argument required.");
    }
    json_object *r = json_object_new_object();
    json_object_object_add(r, "name", json_object_new_string(name));
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_var *vars = NULL;
    int nv = x.frame ? cd_frame_vars(&x, true, true, &vars, err) : -1;
    cd_err_clear(err);
    bool done = false;
    for (int i = 0; i < nv && !done; i++)
        if (vars[i].name && !strcmp(vars[i].name, name)) {
            local_kind(&vars[i].die, r);
            done = true;
        }
    free(vars);
    if (!done) {
        cd_value v;
        uint64_t fa;
        if (cd_lookup_ident(&x, name, &v) == 0) {
            cd_type *t = cd_type_strip(v.type);
            /* a function known from the ELF symbols alone has no DIE */
            const char *kind = t && t->kind == TY_FUNC && v.where == V_MEM ? (t->has_die ? "function" : "nodebug")
                               : v.where == V_MEM                           ? "static"
                                                                            : "constant";
            json_object_object_add(r, "kind", json_object_new_string(kind));
            if (v.where == V_MEM)
                json_object_object_add(r, "address", cd_json_hex(v.addr));
            const char *fname;
            uint64_t off;
            if (!strcmp(kind, "function") && addr_name(s, v.addr, &fname, &off) && !off) /* C++: "main()" */
                json_object_object_add(r, "name", json_object_new_string(fname));
        } else if (cd_symtab_find_function(s->sym, name, &fa) == 0) {
            json_object_object_add(r, "kind", json_object_new_string("nodebug"));
            json_object_object_add(r, "address", cd_json_hex(fa));
        } else {
            json_object_put(r);
            cd_arena_free(&ar);
            int rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "No symbol \"%s\" in current context.", name);
            free(name);
            return rc;
        }
        cd_err_clear(err);
    }
    cd_arena_free(&ar);
    free(name);
    return emit(s, "info address", r, address_text);
}

/* ---- info source ---- */

static const char *lang_name(Dwarf_Word l)
{
    switch (l) {
    case DW_LANG_C89: case DW_LANG_C: case DW_LANG_C99: case DW_LANG_C11:
        return "c";
    case DW_LANG_C_plus_plus: case DW_LANG_C_plus_plus_03: case DW_LANG_C_plus_plus_11: case DW_LANG_C_plus_plus_14:
        return "c++";
    case DW_LANG_Mips_Assembler:
        return "asm";
    case DW_LANG_Rust:
        return "rust";
    case DW_LANG_Go:
        return "go";
    case DW_LANG_Fortran77: case DW_LANG_Fortran90: case DW_LANG_Fortran95:
        return "fortran";
    default:
        return "unknown";
    }
}

static void source_text(cd_session *s, json_object *r)
{
    if (!jstr(r, "file")) {
        cd_out_printf(&s->out, "No current source file.\n");
        return;
    }
    cd_out_printf(&s->out, "Current source file is %s\n", jstr(r, "file"));
    if (jstr(r, "comp_dir"))
        cd_out_printf(&s->out, "Compilation directory is %s\n", jstr(r, "comp_dir"));
    if (jstr(r, "located"))
        cd_out_printf(&s->out, "Located in %s\n", jstr(r, "located"));
    if (jint(r, "lines"))
        cd_out_printf(&s->out, "Contains %lld lines.\n", (long long)jint(r, "lines"));
    cd_out_printf(&s->out, "Source language is %s.\n", jstr(r, "language"));
    if (jstr(r, "producer"))
        cd_out_printf(&s->out, "Producer is %s.\n", jstr(r, "producer"));
    cd_out_printf(&s->out, "Compiled with DWARF %lld debugging format.\n", (long long)jint(r, "dwarf_version"));
    cd_out_printf(&s->out, "%s preprocessor macro info.\n", jbool(r, "macros") ? "Includes" : "Does not include");
}

static int info_source(cd_session *s, cd_err *err)
{
    json_object *r = json_object_new_object();
    const cd_frame *f = s->target ? cd_session_frame(s, err) : NULL;
    cd_err_clear(err);
    Dwarf_Die cu;
    Dwarf_Addr bias;
    if (f && f->info.file && f->info.mod && cd_symtab_cu_at(s->sym, f->info.mod, f->lookup_pc, &cu, &bias)) {
        Dwarf_Attribute a;
        Dwarf_Word w;
        pcline pl; /* the line table's name for the file, as gdb shows it */
        if (pc_line(s, f->lookup_pc, &pl)) {
            json_object_object_add(r, "file", json_object_new_string(pl.file));
            free(pl.file);
        } else {
            char *name = display_name(&cu, f->info.file);
            json_object_object_add(r, "file", json_object_new_string(name));
            free(name);
        }
        json_object_object_add(r, "comp_dir", cd_json_str_or_null(dwarf_formstring(dwarf_attr(&cu, DW_AT_comp_dir, &a))));
        char *path = cd_session_source_path(s, f->info.file);
        char *real = realpath(path, NULL);
        json_object_object_add(r, "located", json_object_new_string(real ? real : path));
        int nlines = 0;
        if (cd_symtab_source_line(s->sym, path, 1, &nlines))
            json_object_object_add(r, "lines", json_object_new_int(nlines));
        free(real);
        free(path);
        json_object_object_add(r, "language",
                               json_object_new_string(dwarf_formudata(dwarf_attr(&cu, DW_AT_language, &a), &w) == 0
                                                          ? lang_name(w) : "unknown"));
        json_object_object_add(r, "producer", cd_json_str_or_null(dwarf_formstring(dwarf_attr(&cu, DW_AT_producer, &a))));
        Dwarf_Half version = 0;
        dwarf_cu_info(cu.cu, &version, NULL, NULL, NULL, NULL, NULL, NULL);
        json_object_object_add(r, "dwarf_version", json_object_new_int(version));
        json_object_object_add(r, "macros", json_object_new_boolean(dwarf_hasattr(&cu, DW_AT_macros) ||
                                                                     dwarf_hasattr(&cu, DW_AT_macro_info) ||
                                                                     dwarf_hasattr(&cu, DW_AT_GNU_macros)));
    }
    return emit(s, "info source", r, source_text);
}

/* ---- info watchpoints ---- */

static void watch_text(cd_session *s, json_object *r)
{
    json_object *arr;
    json_object_object_get_ex(r, "watchpoints", &arr);
    size_t n = json_object_array_length(arr);
    if (!n) {
        cd_out_printf(&s->out, "No watchpoints.\n");
        return;
    }
    /* gdb's table; a watchpoint has no Address */
    int tw = 14; /* the Type column is as wide as its longest entry */
    for (size_t i = 0; i < n; i++)
        if (!strcmp(jstr(json_object_array_get_idx(arr, i), "type"), "read"))
            tw = 15;
    cd_out_printf(&s->out, "Num     %-*s Disp Enb Address            What\n", tw, "Type");
    for (size_t i = 0; i < n; i++) {
        json_object *w = json_object_array_get_idx(arr, i);
        const char *k = jstr(w, "type");
        cd_out_printf(&s->out, "%-7lld %-*s keep %-3s %-18s %s\n", (long long)jint(w, "id"), tw,
                      !strcmp(k, "read") ? "read watchpoint" : !strcmp(k, "access") ? "acc watchpoint" : "hw watchpoint",
                      jbool(w, "enabled") ? "y" : "n", "", jstr(w, "expr"));
        if (jstr(w, "condition"))
            cd_out_printf(&s->out, "\tstop only if %s\n", jstr(w, "condition"));
        int64_t h = jint(w, "hits");
        if (h)
            cd_out_printf(&s->out, "\tbreakpoint already hit %lld time%s\n", (long long)h, h == 1 ? "" : "s");
        if (jint(w, "ignore"))
            cd_out_printf(&s->out, "\tWill ignore next %lld crossings of breakpoint.\n", (long long)jint(w, "ignore"));
    }
}

static int info_watchpoints(cd_session *s, cd_err *err)
{
    (void)err;
    cd_ctl *c = s->ctl ? s->ctl : s->kept_ctl;
    cd_bp **bps = NULL;
    size_t n = c ? cd_ctl_bps(c, &bps) : 0;
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < n; i++) {
        const cd_bp *b = bps[i];
        if (!b->watch)
            continue;
        json_object *w = json_object_new_object();
        json_object_object_add(w, "id", json_object_new_int(b->id));
        json_object_object_add(w, "type", json_object_new_string(b->kind == CD_BPK_RWATCH   ? "read"
                                                                 : b->kind == CD_BPK_AWATCH ? "access"
                                                                                            : "write"));
        json_object_object_add(w, "expr", json_object_new_string(b->spec));
        json_object_object_add(w, "enabled", json_object_new_boolean(b->enabled));
        json_object_object_add(w, "hits", json_object_new_int64((int64_t)b->hits));
        json_object_object_add(w, "condition", cd_json_str_or_null(b->cond));
        if (b->ignore)
            json_object_object_add(w, "ignore", json_object_new_int64((int64_t)b->ignore));
        json_object_array_add(arr, w);
    }
    json_object *r = json_object_new_object();
    json_object_object_add(r, "watchpoints", arr);
    return emit(s, "info watchpoints", r, watch_text);
}

/* ---- info display, undisplay ---- */

static void display_text(cd_session *s, json_object *r)
{
    json_object *arr;
    json_object_object_get_ex(r, "displays", &arr);
    size_t n = json_object_array_length(arr);
    if (!n) {
        cd_out_printf(&s->out, "There are no auto-display expressions now.\n");
        return;
    }
    cd_out_printf(&s->out, "Auto-display expressions now in effect:\nNum Enb Expression\n");
    for (size_t i = 0; i < n; i++) {
        json_object *d = json_object_array_get_idx(arr, i);
        const char *fmt = jstr(d, "format");
        cd_out_printf(&s->out, "%lld:   y  %s%s%s%s\n", (long long)jint(d, "number"), fmt ? "/" : "", fmt ? fmt : "",
                      fmt ? " " : "", jstr(d, "expr"));
    }
}

static int info_display(cd_session *s, cd_err *err)
{
    (void)err;
    cd_scope sc;
    cd_session_scope(s, &sc);
    json_object *arr = json_object_new_array();
    for (size_t i = 0; i < sc.vs->ndisp; i++) {
        const cd_display *d = &sc.vs->disp[i];
        json_object *j = json_object_new_object();
        json_object_object_add(j, "number", json_object_new_int(d->num));
        json_object_object_add(j, "expr", json_object_new_string(d->expr));
        char f[2] = {d->fmt, 0};
        if (d->fmt)
            json_object_object_add(j, "format", json_object_new_string(f));
        json_object_array_add(arr, j);
    }
    json_object *r = json_object_new_object();
    json_object_object_add(r, "displays", arr);
    return emit(s, "info display", r, display_text);
}

int cd_cmd_undisplay(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_scope sc;
    cd_session_scope(s, &sc);
    cd_vstate *vs = sc.vs;
    /* every number is checked before any display is deleted */
    for (int i = 1; i < argc; i++) {
        unsigned long long n;
        bool found = false;
        if (!cd_parse_uint(argv[i], &n))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "Arguments must be display numbers.");
        for (size_t k = 0; k < vs->ndisp; k++)
            found |= (unsigned long long)vs->disp[k].num == n;
        if (!found)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "No display number %llu.", n);
    }
    json_object *del = json_object_new_array();
    for (size_t k = 0; k < vs->ndisp;) {
        bool drop = argc == 1;
        for (int i = 1; i < argc && !drop; i++)
            drop = strtoull(argv[i], NULL, 10) == (unsigned long long)vs->disp[k].num;
        if (!drop) {
            k++;
            continue;
        }
        json_object_array_add(del, json_object_new_int(vs->disp[k].num));
        free(vs->disp[k].expr);
        memmove(&vs->disp[k], &vs->disp[k + 1], (vs->ndisp - k - 1) * sizeof *vs->disp);
        vs->ndisp--;
    }
    if (s->out.json) { /* text says nothing, as gdb's */
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("undisplay"));
        json_object_object_add(j, "deleted", del);
        cd_out_json(&s->out, j);
    } else {
        json_object_put(del);
    }
    return 0;
}

/* ---- $_exitcode ---- */

void cd_info_program_ended(cd_session *s, bool exited, int code)
{
    cd_arena ar = {0};
    cd_err e;
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, &e);
    cd_value v = cd_value_from_int(&x, cd_type_int(x.vs), code);
    cd_value none = {.type = cd_type_base(x.vs, TY_VOID, 0, false, "void"), .where = V_BYTES,
                     .bytes = cd_arena_alloc(&ar, 1), .regno = -1};
    /* gdb: an exit sets $_exitcode and voids $_exitsignal, a fatal signal the other way round */
    cd_conv_set(&x, exited ? "_exitcode" : "_exitsignal", &v);
    cd_conv_set(&x, exited ? "_exitsignal" : "_exitcode", &none);
    cd_arena_free(&ar);
}

/* ---- the dispatcher ---- */

typedef int (*info_fn)(cd_session *s, cd_err *err);

/* SUB matches any prefix of at least MIN characters (gdb's abbreviations: `info b`, `info reg`).
 * A form another command answers names it (looked up in the command table when used: one not
 * built yet says so); the others are answered here. */
static const struct {
    const char *sub;
    int min;
    const char *cmd;
    info_fn fn;
} info_map[] = {
    {"breakpoints", 1, "breakpoints", NULL}, {"locals", 2, "locals", NULL},      {"args", 2, "args", NULL},
    {"frame", 1, "frame", NULL},             {"threads", 2, "threads", NULL},    {"registers", 1, "regs", NULL},
    {"sharedlibrary", 2, "libraries", NULL}, {"signals", 3, "handle", NULL},     {"line", 2, NULL, info_line},
    {"symbol", 2, NULL, info_symbol},        {"address", 2, NULL, info_address}, {"source", 2, NULL, info_source},
    {"watchpoints", 2, NULL, info_watchpoints}, {"display", 2, NULL, info_display},
};

int cd_cmd_info(cd_session *s, int argc, char **argv, cd_err *err)
{
    size_t nmap = sizeof info_map / sizeof info_map[0];
    if (argc < 2) {
        cd_buf b = {0};
        for (size_t i = 0; i < nmap; i++)
            cd_buf_printf(&b, "%s%s", i ? ", " : "", info_map[i].sub);
        int rc = cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "info: say what: info %s (`help info`)", cd_buf_str(&b));
        cd_buf_free(&b);
        return rc;
    }
    size_t len = strlen(argv[1]);
    for (size_t i = 0; i < nmap; i++) {
        if (len < (size_t)info_map[i].min || strncmp(info_map[i].sub, argv[1], len) != 0)
            continue;
        if (info_map[i].fn) {
            /* the forms that read the program need one; display and watchpoints do not */
            if (!s->target && info_map[i].fn != info_display && info_map[i].fn != info_watchpoints)
                return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "info %s: no program: attach, run or open a core first",
                                info_map[i].sub);
            return info_map[i].fn(s, err);
        }
        const cd_command *c = cd_command_find(info_map[i].cmd);
        if (!c)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                            "info %s: this build has no `%s` command to answer it", info_map[i].sub, info_map[i].cmd);
        /* the rest of the line, as typed, after the subcommand */
        const char *rest = s->raw_args ? s->raw_args : "";
        rest += strspn(rest, " \t");
        rest += strcspn(rest, " \t");
        char *line = cd_xasprintf("%s%s", c->name, rest);
        int rc = cd_session_exec(s, line, err);
        free(line);
        return rc;
    }
    return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                    "info: unknown subcommand '%s': `help info` lists those cdbg answers", argv[1]);
}
