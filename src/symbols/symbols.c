/* Symbol layer over libdwfl: module list from the target, names/lines/inline scopes per PC. */
#include "symbols/symbols.h"
#include "symbols/symbols_internal.h"
#include "symbols/debuginfod.h"

#include <dwarf.h>
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Memoised result of one PC lookup. */
typedef struct memo_ent {
    int n;
    cd_pcinfo info[];
} memo_ent;

typedef struct src_file {
    char *path;
    char *data;         /* file contents with '\n' replaced by NUL */
    const char **lines; /* NULL when the file could not be read */
    int nlines;
    bool asked;         /* debuginfod was asked for it (it is asked again after `set debuginfod enabled on`) */
} src_file;

struct cd_symtab {
    cd_target *t;
    Dwfl *dwfl;
    Dwfl_Callbacks cb;
    cd_debugdirs *dd;     /* the session's, or own_dd */
    cd_debugdirs *own_dd; /* made with none: its own, freed with it */

    cd_u64map memo;     /* pc -> memo_ent* */
    cd_u64map cuidx;    /* Dwfl_Module* -> cu_index*, built on a module's first aranges miss */
    cd_u64map demangled; /* interned linkage name -> interned demangled name (never cleared) */
    cd_u64map funcs;    /* Dwfl_Module* -> func_syms*, built on a module's first by-name search */

    /* Interned strings: every string handed out lives until cd_symtab_free, even across a
     * refresh that unloads the module it came from. */
    char **strs;
    size_t nstrs, capstrs;

    cd_buf notes;               /* pending notes, '\n'-separated */
    const char **noted;         /* interned module names already noted */
    size_t nnoted, capnoted;

    src_file *srcs;
    size_t nsrcs;

    /* Unwinder glue (symbols_internal.h). */
    bool attached;
    Elf *attach_elf;
    unsigned char attach_image[sizeof(Elf64_Ehdr)];
    void *unwind_slot;
};

/* ---- string interning ------------------------------------------------------------------- */

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void intern_insert(char **tab, size_t cap, char *s)
{
    size_t i = (size_t)str_hash(s) & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = s;
}

static const char *intern(cd_symtab *s, const char *str)
{
    if (!str)
        return NULL;
    if (s->capstrs) {
        for (size_t i = (size_t)str_hash(str) & (s->capstrs - 1); s->strs[i]; i = (i + 1) & (s->capstrs - 1))
            if (strcmp(s->strs[i], str) == 0)
                return s->strs[i];
    }
    if ((s->nstrs + 1) * 2 > s->capstrs) {
        size_t ncap = s->capstrs ? s->capstrs * 2 : 256;
        char **tab = cd_xcalloc(ncap, sizeof *tab);
        for (size_t i = 0; i < s->capstrs; i++)
            if (s->strs[i])
                intern_insert(tab, ncap, s->strs[i]);
        free(s->strs);
        s->strs = tab;
        s->capstrs = ncap;
    }
    char *dup = cd_xstrdup(str);
    intern_insert(s->strs, s->capstrs, dup);
    s->nstrs++;
    return dup;
}

/* ---- construction ------------------------------------------------------------------------ */

static int set_module_symtab(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
    (void)mod;
    (void)name;
    (void)start;
    *ud = arg;
    return DWARF_CB_OK;
}

static void note_lost(cd_symtab *s, const char *modname, int lost);

/* A live module's file is the one whose build-id is the running one's (findelf.c); the module's
 * userdata is its symtab (set by report()). */
static int live_find_elf(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr base, char **file_name,
                         Elf **elfp)
{
    cd_symtab *s = *ud;
    if (!s)
        return dwfl_linux_proc_find_elf(mod, ud, name, base, file_name, elfp);
    int lost;
    int fd = cd_symtab__live_find_elf(s->t, &lost, mod, ud, name, base, file_name, elfp);
    if (lost != CD_FILE_OK)
        note_lost(s, name, lost);
    return fd;
}

static int report(cd_symtab *s, cd_err *err)
{
    dwfl_report_begin(s->dwfl);
    if (s->t->ops->report_modules(s->t, s->dwfl, err) < 0) {
        dwfl_report_end(s->dwfl, NULL, NULL);
        return -1;
    }
    if (dwfl_report_end(s->dwfl, NULL, NULL) != 0)
        return cd_fail(err, CD_EXIT_TARGET, "cannot list the modules of process %d: %s; check that the target is a valid x86-64 Linux process or core",
                       (int)s->t->pid, dwfl_errmsg(-1));
    /* live_find_elf and cd_find_debuginfo find their symtab there */
    dwfl_getmodules(s->dwfl, set_module_symtab, s, 0);
    return 0;
}

cd_symtab *cd_symtab_new(cd_target *t, cd_err *err)
{
    return cd_symtab_new_dd(t, NULL, err);
}

cd_debugdirs *cd_symtab_debugdirs(cd_symtab *s)
{
    return s->own_dd ? NULL : s->dd;
}

cd_debugdirs *cd_symtab__debugdirs(cd_symtab *s)
{
    return s->dd;
}

cd_symtab *cd_symtab_new_dd(cd_target *t, cd_debugdirs *dd, cd_err *err)
{
    cd_symtab *s = cd_xcalloc(1, sizeof *s);
    s->t = t;
    s->dd = dd ? dd : (s->own_dd = cd_debugdirs_new());
    /* A core's modules must be matched by build-id (the files on disk may have changed since the
     * crash) and its vDSO comes from the core; a live process's files are opened by path and its
     * vDSO is read from /proc/PID/mem. Both search /usr/lib/debug (and .build-id) for DWARF. */
    s->cb.find_elf = t->caps.post_mortem ? dwfl_build_id_find_elf : live_find_elf;
    s->cb.find_debuginfo = cd_find_debuginfo;
    /* the debug directories: `set debug-file-directory`, CDBG_DEBUG_FILE_DIRECTORY (gdb's
     * debug-file-directory) or CDBG_DEBUGINFO_PATH (libdwfl's whole path), debugcache.c */
    s->cb.debuginfo_path = cd_debugdirs_path_ref(s->dd);
    s->dwfl = dwfl_begin(&s->cb);
    if (!s->dwfl) {
        cd_fail(err, CD_EXIT_TARGET, "cannot start the symbol reader: %s; this is an elfutils problem, try reinstalling libdw1",
                dwfl_errmsg(-1));
        cd_debugdirs_free(s->own_dd);
        free(s);
        return NULL;
    }
    if (report(s, err) < 0) {
        cd_symtab_free(s);
        return NULL;
    }
    return s;
}

static int preload_module(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
    (void)ud;
    (void)name;
    (void)start;
    Dwarf_Addr bias;
    /* Opening the DWARF is what costs (libdw inflates compressed debug sections at open);
     * the CFI is what the unwinder needs first. */
    if (!cd_debug__wants_debuginfod(arg, mod))
        dwfl_module_getdwarf(mod, &bias);
    dwfl_module_eh_cfi(mod, &bias);
    return DWARF_CB_OK;
}

void cd_symtab_preload(cd_symtab *s)
{
    dwfl_getmodules(s->dwfl, preload_module, s, 0);
}

static void free_memo(void *p)
{
    free(p);
}

/* One address range of one compilation unit, in DWARF addresses (the module's bias not added). */
typedef struct cu_range {
    uint64_t lo, hi;
    uint64_t maxhi; /* the highest hi of this entry and every one before it (sorted by lo) */
    Dwarf_Die cu;
} cu_range;

typedef struct cu_index {
    cu_range *r;
    size_t n, cap;
} cu_index;

static void free_cuidx(void *p)
{
    cu_index *ix = p;
    if (ix)
        free(ix->r);
    free(ix);
}

static void free_funcs(void *p);

void cd_symtab_free(cd_symtab *s)
{
    if (!s)
        return;
    if (s->dwfl)
        dwfl_end(s->dwfl);
    if (s->attach_elf)
        elf_end(s->attach_elf);
    cd_u64map_free(&s->memo, free_memo);
    cd_u64map_free(&s->cuidx, free_cuidx);
    cd_u64map_free(&s->funcs, free_funcs);
    cd_u64map_free(&s->demangled, NULL);
    for (size_t i = 0; i < s->capstrs; i++)
        free(s->strs[i]);
    free(s->strs);
    free(s->noted);
    cd_buf_free(&s->notes);
    for (size_t i = 0; i < s->nsrcs; i++) {
        free(s->srcs[i].path);
        free(s->srcs[i].data);
        free(s->srcs[i].lines);
    }
    free(s->srcs);
    cd_debugdirs_free(s->own_dd);
    free(s);
}

Dwfl *cd_symtab_dwfl(cd_symtab *s) { return s->dwfl; }
cd_target *cd_symtab_target(cd_symtab *s) { return s->t; }

int cd_symtab_refresh(cd_symtab *s, cd_err *err)
{
    cd_u64map_clear(&s->memo, free_memo);
    /* The index holds DIEs of modules the new report may unload (and a new module may reuse the
     * address of an old one). */
    cd_u64map_clear(&s->cuidx, free_cuidx);
    cd_u64map_clear(&s->funcs, free_funcs); /* names point into the modules' ELF data */
    return report(s, err);
}

/* ---- notes -------------------------------------------------------------------------------- */

/* Has the module's file a .symtab (all functions), or only .dynsym (exported ones)? */
static bool has_symtab(Dwfl_Module *mod)
{
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    Elf_Scn *scn = NULL;
    GElf_Shdr sh;
    while (elf && (scn = elf_nextscn(elf, scn)) != NULL)
        if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
            return true;
    return false;
}

/* True the first time KEY (any string) is seen: each note is said once per symtab. */
static bool first_note(cd_symtab *s, const char *key)
{
    key = intern(s, key);
    for (size_t i = 0; i < s->nnoted; i++)
        if (s->noted[i] == key)
            return false;
    if (s->nnoted == s->capnoted) {
        s->capnoted = s->capnoted ? s->capnoted * 2 : 8;
        s->noted = cd_xrealloc(s->noted, s->capnoted * sizeof *s->noted);
    }
    s->noted[s->nnoted++] = key;
    return true;
}

static void add_note(cd_symtab *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(cd_symtab *s, const char *fmt, ...)
{
    if (s->notes.len)
        cd_buf_puts(&s->notes, "\n");
    va_list ap;
    va_start(ap, fmt);
    cd_buf_vprintf(&s->notes, fmt, ap);
    va_end(ap);
}

static void note_no_dwarf(cd_symtab *s, Dwfl_Module *mod, const char *modname)
{
    /* The vDSO never has DWARF; saying so would be noise. */
    if (!modname || modname[0] == '[' || !first_note(s, modname))
        return;
    if (has_symtab(mod))
        add_note(s, "no debug info for %s: function names from its symbol table only", modname);
    else
        add_note(s,
                 "no debug info and no symbol table for %s (stripped): only its exported functions have names; "
                 "install its debug package or use an unstripped build for more",
                 modname);
}

static void note_lost(cd_symtab *s, const char *modname, int lost)
{
    static const char deleted[] = " (deleted)";
    size_t len = strlen(modname), dl = sizeof deleted - 1;
    if (len > dl && strcmp(modname + len - dl, deleted) == 0)
        len -= dl;
    const char *slash = memrchr(modname, '/', len);
    const char *base = slash ? slash + 1 : modname;
    int blen = (int)(modname + len - base);
    /* this says more than note_no_dwarf would (a loaded image has no DWARF nor .symtab) */
    const char *last = strrchr(modname, '/');
    first_note(s, last ? last + 1 : modname);
    char *key = cd_xasprintf("lost %s", modname);
    if (first_note(s, key))
        add_note(s,
                 "%.*s %s since process %d started, and the file it runs cannot be opened: names from its loaded "
                 "image only (no line numbers); run cdbg as root to read it through /proc/%d/map_files",
                 blen, base,
                 lost == CD_FILE_OTHER_BUILD ? "on disk is another build (its build-id differs)" : "was deleted",
                 (int)s->t->pid, (int)s->t->pid);
    free(key);
}

char *cd_symtab_take_notes(cd_symtab *s)
{
    if (!s->notes.len)
        return NULL;
    char *r = cd_xstrdup(s->notes.s);
    cd_buf_reset(&s->notes);
    return r;
}

/* ---- PC lookup ---------------------------------------------------------------------------- */

static const char *module_display_name(cd_symtab *s, Dwfl_Module *mod)
{
    const char *name = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    if (!name)
        return NULL;
    if (strncmp(name, "[vdso", 5) == 0)
        return intern(s, "[vdso]");
    const char *slash = strrchr(name, '/');
    return intern(s, slash ? slash + 1 : name);
}

/* NAME demangled when it is an Itanium C++ name ("_ZNSt6thread4joinEv" -> "std::thread::join()"),
 * else NAME itself: C names, and anything the demangler rejects, are shown as the symbol table
 * spells them. Each name is demangled once per symtab. */
static const char *demangle(cd_symtab *s, const char *name)
{
    if (!name || strncmp(name, "_Z", 2) != 0)
        return intern(s, name);
    const char *key = intern(s, name);
    bool found;
    const char *d = cd_u64map_get(&s->demangled, (uint64_t)(uintptr_t)key, &found);
    if (found)
        return d;
    int status = -1;
    char *out = cd_cxa_demangle(key, &status);
    d = status == 0 && out ? intern(s, out) : key;
    free(out);
    cd_u64map_put(&s->demangled, (uint64_t)(uintptr_t)key, (void *)d);
    return d;
}

const char *cd_symtab_demangle(cd_symtab *s, const char *name)
{
    return demangle(s, name);
}

static const char *die_name(Dwarf_Die *die)
{
    Dwarf_Attribute a;
    /* DW_AT_name through abstract_origin/specification: inlined and out-of-line instances of an
     * inline function carry their name only on the abstract DIE. */
    const char *n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_name, &a));
    if (!n)
        n = dwarf_formstring(dwarf_attr_integrate(die, DW_AT_linkage_name, &a));
    return n;
}

static bool cu_is_cxx(Dwarf_Die *cu)
{
    switch (dwarf_srclang(cu)) {
    case DW_LANG_C_plus_plus:
    case DW_LANG_C_plus_plus_03:
    case DW_LANG_C_plus_plus_11:
    case DW_LANG_C_plus_plus_14:
        return true;
    default:
        return false;
    }
}

/* A C++ function's name as gdb shows it in a backtrace: DW_AT_name qualified by the namespaces and
 * classes around its declaration ("shop::core::Consumer::run", "std::lock_guard<std::mutex>::
 * lock_guard"), without parameters (gdb prints the arguments instead). A definition outside its
 * class points at the declaration inside it through DW_AT_specification, an inline or out-of-line
 * instance at its abstract DIE through DW_AT_abstract_origin: the scopes are those of the last DIE
 * in that chain. A function or class local to a function (a lambda's operator()) stops the prefix
 * there, as in gdb. Returns an interned string, or NULL when the DIE has no name. */
static const char *cxx_qualified_name(cd_symtab *s, Dwarf_Die *die)
{
    const char *base = die_name(die);
    if (!base)
        return NULL;
    Dwarf_Die decl = *die;
    for (int hops = 0; hops < 8; hops++) {
        Dwarf_Attribute a;
        Dwarf_Die next;
        if (!dwarf_attr(&decl, DW_AT_abstract_origin, &a) && !dwarf_attr(&decl, DW_AT_specification, &a))
            break;
        if (!dwarf_formref_die(&a, &next))
            break;
        decl = next;
    }
    Dwarf_Die *chain = NULL;
    int nc = dwarf_getscopes_die(&decl, &chain);
    cd_buf prefix = {0};
    /* chain[0] is decl itself and the last entry its CU: the scopes in between, innermost first. */
    int top = 1;
    for (; top < nc - 1; top++) {
        int tag = dwarf_tag(&chain[top]);
        if (tag == DW_TAG_namespace) {
            continue;
        } else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
            if (!dwarf_diename(&chain[top]))
                break; /* a lambda's closure type, an anonymous struct */
        } else {
            break;
        }
    }
    for (int i = top - 1; i >= 1; i--) {
        const char *n = dwarf_diename(&chain[i]);
        cd_buf_printf(&prefix, "%s::", n ? n : "(anonymous namespace)");
    }
    free(chain);
    if (!prefix.len) {
        cd_buf_free(&prefix);
        return intern(s, base);
    }
    cd_buf_printf(&prefix, "%s", base);
    const char *r = intern(s, prefix.s);
    cd_buf_free(&prefix);
    return r;
}

const char *cd_symtab_die_func_name(cd_symtab *s, Dwarf_Die *die)
{
    Dwarf_Die cu;
    if (dwarf_diecu(die, &cu, NULL, NULL) && cu_is_cxx(&cu))
        return cxx_qualified_name(s, die);
    const char *n = die_name(die);
    return n ? intern(s, n) : NULL;
}

/* Lexical normalisation of an absolute path: drop "." components, let ".." eat its parent. */
static char *lex_normalize(const char *path)
{
    char *joined = cd_xstrdup(path);
    char *out = cd_xmalloc(strlen(joined) + 2);
    size_t olen = 0;
    for (char *seg = joined; *seg;) {
        char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);
        if (len == 0 || (len == 1 && seg[0] == '.')) {
        } else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (olen > 0 && out[olen - 1] != '/')
                olen--;
            if (olen > 0)
                olen--;
        } else {
            out[olen++] = '/';
            memcpy(out + olen, seg, len);
            olen += len;
        }
        seg += len;
        if (*seg == '/')
            seg++;
    }
    if (olen == 0)
        out[olen++] = '/';
    out[olen] = 0;
    free(joined);
    return out;
}


/* DWARF file names may be relative to the CU's compilation directory (meson builds use
 * "../src/x.c"); make them absolute so `list` can open them from any cwd, and fold "dir/.."
 * so they stay readable. */
static const char *abs_src(cd_symtab *s, Dwarf_Die *cu, const char *name)
{
    if (!name)
        return NULL;
    if (name[0] == '/' || !cu)
        return intern(s, name);
    Dwarf_Attribute a;
    const char *dir = dwarf_formstring(dwarf_attr(cu, DW_AT_comp_dir, &a));
    if (!dir || dir[0] != '/')
        return intern(s, name);
    char *joined = cd_xasprintf("%s/%s", dir, name);
    char *out = lex_normalize(joined);
    const char *r = intern(s, out);
    free(out);
    free(joined);
    return r;
}

/* Call site (file, line, column) recorded on an inlined_subroutine DIE. */
static void call_site(cd_symtab *s, Dwarf_Die *inl, const char **file, int *line, int *col)
{
    Dwarf_Attribute a;
    Dwarf_Word v;
    *file = NULL;
    *line = 0;
    *col = 0;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_line, &a), &v) == 0)
        *line = (int)v;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_column, &a), &v) == 0)
        *col = (int)v;
    if (dwarf_formudata(dwarf_attr(inl, DW_AT_call_file, &a), &v) == 0) {
        /* The file index refers to the line table of the unit holding this DIE (which may be a
         * partial unit, not the CU the PC was found in). */
        Dwarf_Die cu;
        Dwarf_Files *files;
        size_t nfiles;
        if (dwarf_diecu(inl, &cu, NULL, NULL) && dwarf_getsrcfiles(&cu, &files, &nfiles) == 0 && v < nfiles)
            *file = abs_src(s, &cu, dwarf_filesrc(files, v, NULL, NULL));
    }
}

/* The module whose address range holds ADDR, or NULL. dwfl_addrmodule alone is not enough: for an
 * address above every module (a smashed return address, 0x4141414141414141, or an unmapped
 * 0x7ffff0000000) it answers with the highest module, ld.so, and a frame would then be shown as
 * "?? from ld-linux-x86-64.so.2", a confident wrong answer. */
static Dwfl_Module *module_at(cd_symtab *s, uint64_t addr)
{
    Dwfl_Module *mod = addr ? dwfl_addrmodule(s->dwfl, addr) : NULL;
    Dwarf_Addr lo, hi;
    if (mod && (!dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, NULL, NULL) || addr < lo || addr >= hi))
        return NULL;
    return mod;
}

/* x86-64 with 4-level paging: bits 63..47 all equal. No user mapping can be elsewhere (5-level
 * paging allows more, but only where a mapping exists, which the caller checks first). */
static bool canonical48(uint64_t a)
{
    uint64_t top = a >> 47;
    return top == 0 || top == 0x1ffff;
}

const char *cd_symtab_pc_note(cd_symtab *s, uint64_t pc)
{
    if (module_at(s, pc))
        return NULL;
    const cd_mapping *m = NULL;
    size_t n = 0;
    cd_err err;
    if (s->t && s->t->ops->mappings && s->t->ops->mappings(s->t, &m, &n, &err) == 0) {
        for (size_t i = 0; i < n; i++)
            if (m[i].start <= pc && pc < m[i].end)
                return m[i].path && m[i].path[0] == '[' ? intern(s, m[i].path) : "in a mapping of no module";
    } else {
        return NULL; /* mappings unknown: say nothing rather than guess */
    }
    return canonical48(pc) ? "not in any mapping" : "not a canonical address";
}

/* ---- the compilation unit of a PC ------------------------------------------------------------
 * libdw 0.188 finds a PC's CU only through .debug_aranges (dwarf_addrdie, dwfl_module_addrdie and
 * dwfl_module_getsrc all go through dwarf_getaranges), so in a binary without them (clang's
 * default, gcc after `objcopy --remove-section=.debug_aranges`, Go) no PC has a file, a line or a
 * variable. gdb reads each CU's own DW_AT_low_pc/high_pc/DW_AT_ranges instead; so do we, once per
 * module, on the first PC the aranges do not cover. dwarf_ranges reads every form of them: addrx,
 * DWARF 5 range lists (DW_FORM_rnglistx, DW_AT_rnglists_base) and GNU split DWARF's
 * DW_AT_GNU_ranges_base. */

static void cuidx_add(cu_index *ix, uint64_t lo, uint64_t hi, const Dwarf_Die *cu)
{
    /* A function the linker dropped (--gc-sections, a discarded COMDAT copy) keeps its range from
     * 0: it would claim the module's first pages. */
    if (lo == 0 || hi <= lo)
        return;
    if (ix->n == ix->cap) {
        ix->cap = ix->cap ? ix->cap * 2 : 16;
        ix->r = cd_xrealloc(ix->r, ix->cap * sizeof *ix->r);
    }
    ix->r[ix->n++] = (cu_range){.lo = lo, .hi = hi, .cu = *cu};
}

static void cuidx_add_ranges(cu_index *ix, Dwarf_Die *die, const Dwarf_Die *cu)
{
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0)
        cuidx_add(ix, lo, hi, cu);
}

/* For a CU DIE that gives no range of its own: the functions at file scope or in namespaces. */
static void cuidx_add_funcs(cu_index *ix, Dwarf_Die *parent, const Dwarf_Die *cu, int depth)
{
    Dwarf_Die d;
    if (depth > 32 || dwarf_child(parent, &d) != 0)
        return;
    do {
        int tag = dwarf_tag(&d);
        if (tag == DW_TAG_subprogram)
            cuidx_add_ranges(ix, &d, cu);
        else if (tag == DW_TAG_namespace)
            cuidx_add_funcs(ix, &d, cu, depth + 1);
    } while (dwarf_siblingof(&d, &d) == 0);
}

static int cu_range_cmp(const void *a, const void *b)
{
    const cu_range *x = a, *y = b;
    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->hi < y->hi ? -1 : x->hi > y->hi;
}

static cu_index *cuidx_build(Dwarf *dw)
{
    cu_index *ix = cd_xcalloc(1, sizeof *ix);
    Dwarf_CU *cu = NULL;
    Dwarf_Die cud;
    uint8_t ut;
    /* Without subdie: a skeleton's .dwo is opened only when a PC in it is looked up. */
    while (dwarf_get_units(dw, cu, &cu, NULL, &ut, &cud, NULL) == 0) {
        if (ut != DW_UT_compile && ut != DW_UT_skeleton)
            continue;
        size_t before = ix->n;
        cuidx_add_ranges(ix, &cud, &cud);
        if (ix->n != before)
            continue;
        Dwarf_Die sub;
        if (ut == DW_UT_skeleton && dwarf_cu_info(cud.cu, NULL, NULL, NULL, &sub, NULL, NULL, NULL) == 0 && sub.addr)
            cuidx_add_funcs(ix, &sub, &cud, 0);
        else
            cuidx_add_funcs(ix, &cud, &cud, 0);
    }
    if (ix->n)
        qsort(ix->r, ix->n, sizeof *ix->r, cu_range_cmp);
    for (size_t i = 0; i < ix->n; i++)
        ix->r[i].maxhi = i && ix->r[i - 1].maxhi > ix->r[i].hi ? ix->r[i - 1].maxhi : ix->r[i].hi;
    return ix;
}

/* The CU whose range holds A: the last range starting at or below A that ends above it. Ranges of
 * different CUs do not normally overlap, so the walk back stops at once; maxhi bounds it when they
 * do. */
static bool cuidx_find(const cu_index *ix, uint64_t a, Dwarf_Die *out)
{
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ix->r[mid].lo <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0 && ix->r[i].maxhi > a;)
        if (ix->r[i].hi > a) {
            *out = ix->r[i].cu;
            return true;
        }
    return false;
}

/* A skeleton unit (-gsplit-dwarf) holds ranges and the line table, but its functions, variables and
 * types are in the split unit of the .dwo beside the object, which libdw opens here. Without it
 * there is only the skeleton: names from the symbol table, lines from the skeleton; say why once.
 * Split DWARF packed into a .dwp: libdw 0.188 cannot read those packages (0.191 can). */
static const char *split_missing(cd_symtab *s, Dwfl_Module *mod, Dwarf_Die *skel)
{
    const char *mainfile = NULL;
    dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, NULL);
    const char *modname = module_display_name(s, mod);
    char *dwp = mainfile ? cd_xasprintf("%s.dwp", mainfile) : NULL;
    char *why;
    if (dwp && access(dwp, R_OK) == 0) {
        why = cd_xasprintf("its split DWARF package %s cannot be read by libdw %s (elfutils reads .dwp from 0.191 on); "
                           "keep the .dwo files beside the objects instead",
                           dwp, dwfl_version(NULL));
    } else {
        Dwarf_Attribute a;
        const char *dwo = dwarf_formstring(dwarf_attr(skel, DW_AT_dwo_name, &a));
        if (!dwo)
            dwo = dwarf_formstring(dwarf_attr(skel, DW_AT_GNU_dwo_name, &a));
        const char *dir = dwarf_formstring(dwarf_attr(skel, DW_AT_comp_dir, &a));
        char *path = dwo && dwo[0] != '/' && dir ? cd_xasprintf("%s/%s", dir, dwo) : cd_xstrdup(dwo ? dwo : "?");
        why = cd_xasprintf("its split DWARF %s cannot be read; the .dwo files must stay where the compiler wrote them", path);
        free(path);
    }
    free(dwp);
    const char *r = intern(s, why);
    free(why);
    char *key = cd_xasprintf("split DWARF of %s", modname ? modname : "?");
    if (modname && first_note(s, key))
        add_note(s, "%s: no locals, types or inlined frames: %s", modname, r);
    free(key);
    return r;
}

/* cd_symtab_cu_at, and why the unit has no DIEs when it is a skeleton without its split unit. */
static bool cu_at(cd_symtab *s, Dwfl_Module *mod, uint64_t pc, Dwarf_Die *out, Dwarf_Addr *bias, const char **nodebug)

{
    if (nodebug)
        *nodebug = NULL;
    Dwarf_Die *cu = mod ? dwfl_module_addrdie(mod, pc, bias) : NULL;
    if (cu) {
        *out = *cu;
    } else {
        Dwarf *dw = mod ? dwfl_module_getdwarf(mod, bias) : NULL;
        if (!dw)
            return false;
        bool found;
        cu_index *ix = cd_u64map_get(&s->cuidx, (uint64_t)(uintptr_t)mod, &found);
        if (!found) {
            ix = cuidx_build(dw);
            cd_u64map_put(&s->cuidx, (uint64_t)(uintptr_t)mod, ix);
        }
        if (!cuidx_find(ix, pc - *bias, out))
            return false;
    }
    /* libdwfl answers with the CU of the last arange starting at or below PC whether or not it ends
     * above it: _start, just past main in .text, came back as main's unit and got its last line.
     * A unit without ranges of its own was found by its functions' (cuidx_add_funcs). */
    if ((dwarf_hasattr(out, DW_AT_ranges) || dwarf_hasattr(out, DW_AT_high_pc)) && dwarf_haspc(out, pc - *bias) == 0)
        return false;
    uint8_t ut;
    Dwarf_Die sub;
    if (dwarf_cu_info(out->cu, NULL, &ut, NULL, &sub, NULL, NULL, NULL) == 0 && ut == DW_UT_skeleton) {
        if (sub.addr && dwarf_tag(&sub) == DW_TAG_compile_unit)
            *out = sub;
        else if (nodebug)
            *nodebug = split_missing(s, mod, out);
        else
            split_missing(s, mod, out);
    }
    return true;
}

bool cd_symtab_cu_at(cd_symtab *s, Dwfl_Module *mod, uint64_t pc, Dwarf_Die *out, Dwarf_Addr *bias)
{
    return cu_at(s, mod, pc, out, bias, NULL);
}

/* The innermost function, inline instance or block covering PC anywhere under PARENT. libdw's
 * dwarf_getscopes only descends through scopes that contain PC, so it misses a function defined
 * inside a class inside another function: a C++ lambda's operator(), whose closure type is local to
 * the function that wrote the lambda. This walk visits every DIE that can hold one. */
static bool die_find_pc(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *out, int depth)
{
    Dwarf_Die child;
    if (depth > 64 || dwarf_child(parent, &child) != 0)
        return false;
    do {
        int tag = dwarf_tag(&child);
        bool code = tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block;
        if (code && dwarf_haspc(&child, pc) == 1) {
            *out = child;
            die_find_pc(&child, pc, out, depth + 1);
            return true;
        }
        if ((code || tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
             tag == DW_TAG_union_type) &&
            die_find_pc(&child, pc, out, depth + 1))
            return true;
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
}

/* Whether the rows at LA (row I is one) close a sequence and no range of CU begins at LA. */
static bool ends_sequence_at(Dwarf_Die *cu, Dwarf_Lines *lines, size_t i, Dwarf_Addr la)
{
    bool eos_here = false;
    for (size_t k = i + 1; k-- > 0;) {
        Dwarf_Line *p = dwarf_onesrcline(lines, k);
        Dwarf_Addr pa = 0;
        bool pe = false;
        if (!p || dwarf_lineaddr(p, &pa) != 0 || pa != la)
            break;
        if (dwarf_lineendsequence(p, &pe) == 0 && pe) {
            eos_here = true;
            break;
        }
    }
    if (!eos_here)
        return false;
    Dwarf_Addr base, lo, hi;
    ptrdiff_t off = 0;
    while ((off = dwarf_ranges(cu, off, &base, &lo, &hi)) > 0)
        if (lo == la)
            return false;
    return true;
}

/* The source line of PC as gdb chooses it (find_pc_sect_line): the last row at or below PC; when
 * that row is not a statement (is_stmt false), an earlier row at the same address that is one. gcc
 * -O2 emits several rows at one address (24, 25 is_stmt, 24 not is_stmt): the statement is 25.
 * libdwfl's dwfl_module_getsrc returns whichever of them its binary search lands on. A PC past the
 * end of a sequence (an end-of-sequence row) has no line. */
static void pc_line(cd_symtab *s, Dwfl_Module *mod, uint64_t pc, const char **file, int *line, int *col)
{
    Dwarf_Addr bias;
    Dwarf_Die cu_mem, *cu = cd_symtab_cu_at(s, mod, pc, &cu_mem, &bias) ? &cu_mem : NULL;
    Dwarf_Lines *lines;
    size_t nl;
    if (!cu || dwarf_getsrclines(cu, &lines, &nl) != 0 || nl == 0)
        return;
    uint64_t a = pc - bias;
    size_t lo = 0, hi = nl; /* first row with address > a */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        Dwarf_Addr ma = 0;
        dwarf_lineaddr(dwarf_onesrcline(lines, mid), &ma);
        if (ma <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return;
    size_t i = lo - 1;
    /* gdb's DWARF reader drops a row of line 0 (clang's "no source line"): the row before it goes on */
    for (int ln = -1; i > 0 && dwarf_lineno(dwarf_onesrcline(lines, i), &ln) == 0 && ln == 0; ln = -1) {
        bool e = false;
        if (dwarf_lineendsequence(dwarf_onesrcline(lines, i), &e) != 0 || e)
            break;
        i--;
    }
    Dwarf_Line *l = dwarf_onesrcline(lines, i);
    bool eos = false, stmt = false;
    Dwarf_Addr la = 0;
    if (!l || dwarf_lineendsequence(l, &eos) != 0 || eos || dwarf_lineaddr(l, &la) != 0)
        return;
    /* A row at the address of an end-of-sequence row is the empty tail of that sequence unless
     * another sequence (a range of the unit) begins there; gdb drops such rows, so a PC past the
     * end of a sequence has no line. libdw sorts the end row first among rows at one address. */
    if (ends_sequence_at(cu, lines, i, la))
        return;
    dwarf_linebeginstatement(l, &stmt);
    for (size_t k = i; !stmt && k > 0; k--) {
        Dwarf_Line *p = dwarf_onesrcline(lines, k - 1);
        Dwarf_Addr pa = 0;
        bool pe = false, ps = false;
        if (!p || dwarf_lineaddr(p, &pa) != 0 || pa != la || dwarf_lineendsequence(p, &pe) != 0 || pe)
            break;
        dwarf_linebeginstatement(p, &ps);
        if (ps) {
            l = p;
            break;
        }
    }
    const char *f = dwarf_linesrc(l, NULL, NULL);
    if (!f)
        return;
    *file = abs_src(s, cu, f);
    dwarf_lineno(l, line);
    dwarf_linecol(l, col);
}

static const char *plt_name(cd_symtab *s, Dwfl_Module *mod, uint64_t addr, uint64_t *off);

/* The ELF symbol at a pc, looked up only when the DWARF does not name the function or give its
 * entry: dwfl_module_addrinfo reads the whole symbol table for each pc (libc's: 10000 symbols). */
typedef struct elf_sym {
    bool done;
    const char *name;
    uint64_t addr;
} elf_sym;

static const elf_sym *sym_at(cd_symtab *s, Dwfl_Module *mod, uint64_t pc, elf_sym *es)
{
    if (es->done)
        return es;
    es->done = true;
    GElf_Off off = 0;
    GElf_Sym sym;
    es->name = dwfl_module_addrinfo(mod, pc, &off, &sym, NULL, NULL, NULL);
    if (!es->name)
        es->name = plt_name(s, mod, pc, &off); /* a PLT stub: "signal@plt", as gdb names it */
    es->addr = es->name ? pc - off : 0;
    return es;
}

static memo_ent *compute(cd_symtab *s, uint64_t pc)
{
    cd_pcinfo tmp[64];
    int n = 0;
    memset(tmp, 0, sizeof tmp);

    Dwfl_Module *mod = module_at(s, pc);
    if (!mod) {
        memo_ent *e = cd_xcalloc(1, sizeof *e + sizeof(cd_pcinfo));
        e->n = 1;
        return e;
    }
    const char *modname = module_display_name(s, mod);

    elf_sym es = {0};

    const char *file = NULL;
    int line = 0, col = 0;
    pc_line(s, mod, pc, &file, &line, &col);

    Dwarf_Addr bias = 0;
    const char *nodebug = NULL;
    Dwarf_Die cu_mem, *cu = cu_at(s, mod, pc, &cu_mem, &bias, &nodebug) ? &cu_mem : NULL;
    if (!cu) {
        Dwarf_Addr b2;
        if (!dwfl_module_getdwarf(mod, &b2))
            note_no_dwarf(s, mod, modname);
    } else {
        Dwarf_Die *scopes = NULL;
        bool cxx = cu_is_cxx(cu);
        int ns = dwarf_getscopes(cu, pc - bias, &scopes);
        bool has_func = false;
        for (int i = 0; i < ns && !has_func; i++)
            has_func = dwarf_tag(&scopes[i]) == DW_TAG_subprogram || dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine;
        Dwarf_Die deep;
        if (!has_func && cxx && die_find_pc(cu, pc - bias, &deep, 0)) {
            free(scopes);
            scopes = NULL;
            ns = dwarf_getscopes_die(&deep, &scopes);
        }
        /* Past an inlined_subroutine, dwarf_getscopes continues with the scopes around the inline
         * function's abstract definition; the concrete callers are the DIE's parents instead. */
        for (int i = 0; i < ns; i++) {
            if (dwarf_tag(&scopes[i]) == DW_TAG_inlined_subroutine) {
                Dwarf_Die inl = scopes[i], *chain = NULL;
                int nc = dwarf_getscopes_die(&inl, &chain);
                free(scopes);
                scopes = chain;
                ns = nc;
                break;
            }
            if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
                break;
        }
        for (int i = 0; i < ns && n < (int)(sizeof tmp / sizeof tmp[0]); i++) {
            int tag = dwarf_tag(&scopes[i]);
            if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
                continue;
            cd_pcinfo *p = &tmp[n++];
            p->func = cxx ? cxx_qualified_name(s, &scopes[i]) : intern(s, die_name(&scopes[i]));
            p->file = file;
            p->line = line;
            p->column = col;
            p->scope_die = scopes[i];
            p->has_die = true;
            Dwarf_Addr entry;
            if (dwarf_entrypc(&scopes[i], &entry) == 0)
                p->func_addr = entry + bias;
            if (tag == DW_TAG_subprogram) {
                /* Outermost real function: a nested C function's container is not a caller. */
                if (!p->func)
                    p->func = demangle(s, sym_at(s, mod, pc, &es)->name);
                if (!p->func_addr)
                    p->func_addr = sym_at(s, mod, pc, &es)->addr;
                break;
            }
            p->inlined = true;
            /* The caller's position is where this inline instance was called from. */
            call_site(s, &scopes[i], &file, &line, &col);
        }
        free(scopes);
    }
    if (n == 0) {
        /* No DWARF function covers pc (no DWARF, or assembly with line info only). */
        tmp[0].func = demangle(s, sym_at(s, mod, pc, &es)->name);
        tmp[0].func_addr = es.addr;
        tmp[0].file = file;
        tmp[0].line = line;
        tmp[0].column = col;
        n = 1;
    }
    uint64_t outer = tmp[n - 1].func_addr;
    for (int i = 0; i < n; i++) {
        tmp[i].nodebug = tmp[i].has_die ? NULL : nodebug;
        tmp[i].module = modname;
        tmp[i].mod = mod;
        tmp[i].func_off = outer && pc >= outer ? pc - outer : 0;
    }
    memo_ent *e = cd_xmalloc(sizeof *e + (size_t)n * sizeof(cd_pcinfo));
    e->n = n;
    memcpy(e->info, tmp, (size_t)n * sizeof(cd_pcinfo));
    return e;
}

int cd_symtab_lookup(cd_symtab *s, uint64_t pc, const cd_pcinfo **out)
{
    /* Key 0 is the map's empty marker; pc 0 is never in a module anyway. */
    bool found;
    memo_ent *e = cd_u64map_get(&s->memo, pc, &found);
    if (!found) {
        e = compute(s, pc);
        if (pc)
            cd_u64map_put(&s->memo, pc, e);
        else {
            /* Keep the unknown entry alive via a reserved key that no user-space pc can be. */
            bool f2;
            memo_ent *z = cd_u64map_get(&s->memo, UINT64_MAX, &f2);
            if (f2) {
                free(e);
                e = z;
            } else
                cd_u64map_put(&s->memo, UINT64_MAX, e);
        }
    }
    *out = e->info;
    return e->n;
}

/* ---- by-name and by-address symbols --------------------------------------------------------- */

bool cd_symtab_is_exe(cd_symtab *s, Dwfl_Module *mod)
{
    const char *mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    const char *exe = s->t->exe_path;
    if (!mname || !exe)
        return false;
    const char *a = strrchr(mname, '/'), *b = strrchr(exe, '/');
    return strcmp(a ? a + 1 : mname, b ? b + 1 : exe) == 0;
}

/* A module's defined function symbols (STT_FUNC, STT_GNU_IFUNC, address != 0), read once:
 * dwfl_module_getsym_info costs a section lookup per symbol, and a by-name search (a tail call
 * site's target, `break NAME`) would pay it for all of libc's 10000 symbols each time. Two parts,
 * each built on first use: the list in symbol-table order (cd_symtab_each_func), and a name index
 * (cd_symtab_func_named) mapping each NAME, and the NAME of each NAME@@VERSION (the default version,
 * as the dynamic linker binds an unversioned reference), to the first symbol so named. The index
 * holds symbol numbers, not copies: 8 bytes a slot, fresh pages being the dear part. */
typedef struct func_sym {
    const char *name;
    uint64_t addr;
} func_sym;

typedef struct func_syms {
    func_sym *v; /* the list, NULL until built */
    size_t n;
    bool listed;
    /* open addressing over (key, key length): symbol number << 32 | key length; 0 empty */
    uint64_t *idx;
    size_t cap, used;
} func_syms;

static void free_funcs(void *p)
{
    func_syms *f = p;
    if (f) {
        free(f->v);
        free(f->idx);
    }
    free(f);
}

static uint64_t mem_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* Symbol I of MOD if it is a defined function: its name, *addr its runtime address. */
static const char *func_sym_at(Dwfl_Module *mod, int i, uint64_t *addr)
{
    GElf_Sym sym;
    GElf_Addr a;
    const char *n = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
    if (!n || sym.st_shndx == SHN_UNDEF || a == 0)
        return NULL;
    int type = GELF_ST_TYPE(sym.st_info);
    if (type != STT_FUNC && type != STT_GNU_IFUNC)
        return NULL;
    *addr = a;
    return n;
}

static func_syms *module_funcs(cd_symtab *s, Dwfl_Module *mod)
{
    bool found;
    func_syms *f = cd_u64map_get(&s->funcs, (uint64_t)(uintptr_t)mod, &found);
    if (!found) {
        f = cd_xcalloc(1, sizeof *f);
        cd_u64map_put(&s->funcs, (uint64_t)(uintptr_t)mod, f);
    }
    return f;
}

static const func_syms *module_func_list(cd_symtab *s, Dwfl_Module *mod)
{
    func_syms *f = module_funcs(s, mod);
    if (f->listed)
        return f;
    f->listed = true;
    int nsyms = dwfl_module_getsymtab(mod);
    if (nsyms > 1)
        f->v = cd_xmalloc((size_t)nsyms * sizeof *f->v);
    for (int i = 1; i < nsyms; i++) {
        uint64_t addr;
        const char *n = func_sym_at(mod, i, &addr);
        if (n)
            f->v[f->n++] = (func_sym){n, addr};
    }
    return f;
}

/* The slot of key S[0..N) in F's name index: where it is, or the empty slot where it would go. */
static size_t funcs_slot(const func_syms *f, Dwfl_Module *mod, const char *s, size_t n)
{
    for (size_t i = (size_t)mem_hash(s, n) & (f->cap - 1);; i = (i + 1) & (f->cap - 1)) {
        if (!f->idx[i])
            return i;
        uint64_t a;
        const char *nm;
        if ((uint32_t)f->idx[i] == n && (nm = func_sym_at(mod, (int)(f->idx[i] >> 32), &a)) && !memcmp(nm, s, n))
            return i;
    }
}

static void funcs_put(func_syms *f, Dwfl_Module *mod, const char *nm, size_t k, int i);

/* Twice the slots, every entry placed again (only for a table with more NAME@@VERSION symbols than
 * its sizing allowed: never for the usual libraries). */
static void funcs_grow(func_syms *f, Dwfl_Module *mod)
{
    uint64_t *old = f->idx;
    size_t ocap = f->cap;
    f->cap *= 2;
    f->idx = cd_xcalloc(f->cap, sizeof *f->idx);
    f->used = 0;
    for (size_t j = 0; j < ocap; j++) {
        uint64_t a;
        const char *nm = old[j] ? func_sym_at(mod, (int)(old[j] >> 32), &a) : NULL;
        if (nm)
            funcs_put(f, mod, nm, (uint32_t)old[j], (int)(old[j] >> 32));
    }
    free(old);
}

/* Key NM[0..K) -> symbol I, unless a symbol before it has the key. */
static void funcs_put(func_syms *f, Dwfl_Module *mod, const char *nm, size_t k, int i)
{
    if (2 * (f->used + 1) > f->cap)
        funcs_grow(f, mod);
    size_t j = funcs_slot(f, mod, nm, k);
    if (!f->idx[j]) {
        f->idx[j] = (uint64_t)i << 32 | (uint32_t)k;
        f->used++;
    }
}

static const func_syms *module_func_index(cd_symtab *s, Dwfl_Module *mod)
{
    func_syms *f = module_funcs(s, mod);
    if (f->idx)
        return f;
    int nsyms = dwfl_module_getsymtab(mod);
    /* libc: 10000 symbols, 6800 of them functions: 16384 slots, 128 KiB */
    f->cap = 16;
    while (f->cap < (size_t)(nsyms > 0 ? nsyms : 0) * 5 / 4)
        f->cap <<= 1;
    f->idx = cd_xcalloc(f->cap, sizeof *f->idx);
    for (int i = 1; i < nsyms; i++) {
        uint64_t addr;
        const char *nm = func_sym_at(mod, i, &addr);
        if (!nm)
            continue;
        funcs_put(f, mod, nm, strlen(nm), i);
        for (const char *at = strstr(nm, "@@"); at; at = strstr(at + 1, "@@"))
            funcs_put(f, mod, nm, (size_t)(at - nm), i);
    }
    return f;
}

struct each_func {
    cd_symtab *s;
    bool exe_pass;
    cd_func_sym_fn fn;
    void *arg;
    bool taken;
    const char *name; /* cd_symtab_func_named: the name searched, and what it found */
    size_t len;
    uint64_t addr;
};

/* One module for cd_symtab_each_func (every function to fn) or cd_symtab_func_named (ef->name set:
 * through the name index), in the pass of the executable or of the other modules. */
static int each_func_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud;
    (void)mname;
    (void)start;
    struct each_func *ef = arg;
    if (cd_symtab_is_exe(ef->s, mod) != ef->exe_pass)
        return DWARF_CB_OK;
    if (ef->name) {
        const func_syms *f = module_func_index(ef->s, mod);
        size_t i = funcs_slot(f, mod, ef->name, ef->len);
        if (!f->idx[i] || !func_sym_at(mod, (int)(f->idx[i] >> 32), &ef->addr))
            return DWARF_CB_OK;
        ef->taken = true;
        return DWARF_CB_ABORT;
    }
    const func_syms *f = module_func_list(ef->s, mod);
    for (size_t i = 0; i < f->n; i++) {
        cd_sym_visit v = ef->fn(f->v[i].name, f->v[i].addr, ef->arg);
        if (v != CD_SYM_SKIP)
            ef->taken = true;
        if (v == CD_SYM_STOP)
            return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

/* The executable's pass, then, if it took nothing, the other modules'. */
static bool each_func_passes(cd_symtab *s, struct each_func *ef)
{
    ef->exe_pass = true;
    dwfl_getmodules(s->dwfl, each_func_cb, ef, 0);
    if (!ef->taken) {
        ef->exe_pass = false;
        dwfl_getmodules(s->dwfl, each_func_cb, ef, 0);
    }
    return ef->taken;
}

bool cd_symtab_each_func(cd_symtab *s, cd_func_sym_fn fn, void *arg)
{
    struct each_func ef = {.s = s, .fn = fn, .arg = arg};
    return each_func_passes(s, &ef);
}

bool cd_symtab_func_named(cd_symtab *s, const char *name, uint64_t *addr)
{
    struct each_func ef = {.s = s, .name = name, .len = strlen(name)};
    bool found = each_func_passes(s, &ef);
    *addr = found ? ef.addr : 0;
    return found;
}

static bool clone_tag(const char *p, size_t n)
{
    static const char *const tags[] = {"constprop", "isra", "part", "lto_priv", "localalias", "specialized"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (strlen(tags[i]) == n && !strncmp(p, tags[i], n))
            return true;
    return false;
}

size_t cd_sym_base_len(const char *name)
{
    const char *at = strchr(name, '@');
    const char *dot = strchr(name, '.');
    /* only the default version (@@): memcpy@GLIBC_2.2.5 is another function than memcpy@@GLIBC_2.14,
     * and gdb too knows a non-default version by its full name only */
    if (at && (!dot || at < dot))
        return at > name && at[1] == '@' ? (size_t)(at - name) : 0;
    if (!dot || dot == name)
        return 0;
    /* every piece after the first dot: a clone tag or a clone number (".constprop.0.isra.0") */
    bool tagged = false;
    for (const char *p = dot; *p == '.';) {
        const char *q = p + 1;
        size_t n = strcspn(q, ".@");
        if (!n)
            return 0;
        bool digits = strspn(q, "0123456789") >= n;
        if (!digits && !clone_tag(q, n))
            return 0;
        tagged |= !digits;
        p = q + n;
        if (*p == '@')
            break;
        if (*p && *p != '.')
            return 0;
    }
    return tagged ? (size_t)(dot - name) : 0;
}

bool cd_sym_is_named(const char *sym, const char *name)
{
    if (!strcmp(sym, name))
        return true;
    size_t n = cd_sym_base_len(sym);
    return n && n == strlen(name) && !strncmp(sym, name, n);
}

struct find_arg {
    cd_symtab *s;
    const char *name;
    uint64_t addr;
    bool found;
    bool exact;
};

/* NAME itself wins; failing it, its first clone (leaf.constprop.0 when gcc kept no plain leaf) */
static cd_sym_visit find_visit(const char *name, uint64_t addr, void *arg)
{
    struct find_arg *fa = arg;
    bool exact = !strcmp(name, fa->name);
    if (!exact && (fa->found || !cd_sym_is_named(name, fa->name)))
        return CD_SYM_SKIP;
    fa->addr = addr;
    fa->found = true;
    fa->exact = exact;
    return exact ? CD_SYM_STOP : CD_SYM_TAKE;
}

int cd_symtab_find_function(cd_symtab *s, const char *name, uint64_t *addr)
{
    struct find_arg fa = {.s = s, .name = name};
    cd_symtab_each_func(s, find_visit, &fa);
    *addr = fa.found ? fa.addr : 0;
    return fa.found ? 0 : -1;
}

static int entry_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud;
    (void)mname;
    (void)start;
    struct find_arg *fa = arg;
    if (!cd_symtab_is_exe(fa->s, mod))
        return DWARF_CB_OK;
    Dwarf_Addr bias;
    Elf *e = dwfl_module_getelf(mod, &bias);
    GElf_Ehdr eh;
    if (e && gelf_getehdr(e, &eh) && eh.e_entry) {
        fa->addr = eh.e_entry + bias;
        fa->found = true;
    }
    return DWARF_CB_ABORT;
}

int cd_symtab_entry(cd_symtab *s, uint64_t *addr)
{
    struct find_arg fa = {.s = s};
    dwfl_getmodules(s->dwfl, entry_cb, &fa, 0);
    *addr = fa.found ? fa.addr : 0;
    return fa.found ? 0 : -1;
}

/* The import a PLT stub jumps to ("abort@plt"), which no symbol table names: the stub's
 * `jmp *GOT(%rip)` (after an endbr64 in .plt.sec) names a GOT slot, and the JUMP_SLOT relocation
 * for that slot names the symbol. NULL if addr is not in a PLT stub. */
static const char *plt_name(cd_symtab *s, Dwfl_Module *mod, uint64_t addr, uint64_t *off)
{
    Dwarf_Addr bias;
    Elf *elf = dwfl_module_getelf(mod, &bias);
    size_t shstrndx;
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    uint64_t rel = addr - bias;
    Elf_Scn *scn = NULL, *plt = NULL, *rela = NULL;
    GElf_Shdr sh, plt_sh = {0}, rela_sh = {0};
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!n)
            continue;
        if ((!strcmp(n, ".plt") || !strcmp(n, ".plt.sec")) && rel >= sh.sh_addr && rel < sh.sh_addr + sh.sh_size) {
            plt = scn;
            plt_sh = sh;
        } else if (!strcmp(n, ".rela.plt") && sh.sh_type == SHT_RELA) {
            rela = scn;
            rela_sh = sh;
        }
    }
    if (!plt || !rela)
        return NULL;
    /* stubs are 16 bytes, aligned to the section */
    uint64_t stub = plt_sh.sh_addr + (rel - plt_sh.sh_addr) / 16 * 16;
    uint8_t c[16];
    if (cd_target_read(s->t, stub + bias, c, sizeof c) != (ssize_t)sizeof c)
        return NULL;
    size_t i = 0;
    if (c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa) /* endbr64 */
        i = 4;
    if (c[i] == 0xf2) /* bnd prefix */
        i++;
    if (c[i] != 0xff || c[i + 1] != 0x25) /* not jmp *disp32(%rip): PLT0 or a lazy-binding stub */
        return NULL;
    int32_t disp;
    memcpy(&disp, &c[i + 2], sizeof disp);
    uint64_t slot = stub + i + 6 + (uint64_t)(int64_t)disp;
    Elf_Data *d = elf_getdata(rela, NULL);
    Elf_Scn *dynsym = elf_getscn(elf, rela_sh.sh_link);
    GElf_Shdr ds;
    Elf_Data *dd = dynsym ? elf_getdata(dynsym, NULL) : NULL;
    if (!d || !dd || !gelf_getshdr(dynsym, &ds))
        return NULL;
    size_t n = rela_sh.sh_entsize ? rela_sh.sh_size / rela_sh.sh_entsize : 0;
    for (size_t k = 0; k < n; k++) {
        GElf_Rela r;
        GElf_Sym sym;
        if (!gelf_getrela(d, (int)k, &r) || r.r_offset != slot)
            continue;
        if (!gelf_getsym(dd, (int)GELF_R_SYM(r.r_info), &sym))
            return NULL;
        const char *sn = elf_strptr(elf, ds.sh_link, sym.st_name);
        if (!sn || !*sn)
            return NULL;
        char *full = cd_xasprintf("%s@plt", sn);
        const char *interned = intern(s, full);
        free(full);
        *off = rel - stub;
        return interned;
    }
    return NULL;
}

bool cd_symtab_addr_symbol(cd_symtab *s, uint64_t addr, const char **name, uint64_t *off)
{
    Dwfl_Module *mod = module_at(s, addr);
    if (!mod)
        return false;
    const char *p = plt_name(s, mod, addr, off);
    if (p) {
        *name = p;
        return true;
    }
    GElf_Off o;
    GElf_Sym sym;
    const char *n = dwfl_module_addrinfo(mod, addr, &o, &sym, NULL, NULL, NULL);
    if (!n)
        return false;
    /* Shown in <...> after an address, where gdb shows the demangled symbol: data as its qualified
     * name, functions with their parameter types. */
    *name = demangle(s, n);
    *off = o;
    return true;
}

bool cd_symtab_func_bounds(cd_symtab *s, uint64_t addr, const char **name, uint64_t *start, uint64_t *end)
{
    Dwfl_Module *mod = module_at(s, addr);
    if (!mod)
        return false;
    GElf_Off o;
    GElf_Sym sym;
    const char *n = dwfl_module_addrinfo(mod, addr, &o, &sym, NULL, NULL, NULL);
    if (!n || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0 || o >= sym.st_size)
        return false;
    *name = intern(s, n);
    *start = addr - o;
    *end = *start + sym.st_size;
    return true;
}

/* The concrete function (outermost DW_TAG_subprogram) whose code covers pc under parent: the
 * walk goes through namespaces and types, and into functions that do not cover pc (a C++ lambda's
 * operator() is defined inside the function that wrote it, yet its code is its own). */
static bool subprogram_at(Dwarf_Die *parent, Dwarf_Addr pc, Dwarf_Die *out, int depth)
{
    Dwarf_Die child;
    if (depth > 64 || dwarf_child(parent, &child) != 0)
        return false;
    do {
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram && dwarf_haspc(&child, pc) == 1) {
            *out = child;
            return true;
        }
        if ((tag == DW_TAG_subprogram || tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
             tag == DW_TAG_structure_type || tag == DW_TAG_union_type) &&
            subprogram_at(&child, pc, out, depth + 1))
            return true;
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
}

static bool add_range(uint64_t (*r)[2], size_t cap, size_t *n, uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return true;
    for (size_t i = 0; i < *n; i++)
        if (r[i][0] == lo && r[i][1] == hi)
            return true;
    if (*n == cap)
        return false;
    r[*n][0] = lo;
    r[*n][1] = hi;
    (*n)++;
    return true;
}

int cd_symtab_func_extent(cd_symtab *s, uint64_t addr, uint64_t (*ranges)[2], size_t cap, size_t *n)
{
    *n = 0;
    const char *name;
    uint64_t lo, hi;
    Dwfl_Module *mod = module_at(s, addr);
    if (!mod || !cd_symtab_func_bounds(s, addr, &name, &lo, &hi) || !add_range(ranges, cap, n, lo, hi))
        return -1;
    /* gcc moves a function's unlikely paths to NAME.cold (and outlines parts to NAME.part.N), whose
     * jmps come back into NAME's middle; DW_AT_ranges of NAME's subprogram lists every piece, and
     * without DWARF the pieces cannot all be known */
    Dwarf_Addr bias;
    Dwarf_Die cu, sp;
    int known = 0;
    if (cd_symtab_cu_at(s, mod, addr, &cu, &bias) && subprogram_at(&cu, addr - bias, &sp, 0)) {
        Dwarf_Addr base, start, end;
        ptrdiff_t off = 0;
        known = 1;
        while ((off = dwarf_ranges(&sp, off, &base, &start, &end)) > 0)
            if (!add_range(ranges, cap, n, start + bias, end + bias))
                return -1;
    }
    /* the pieces by their symbols too (NAME.cold, NAME.part.0, NAME.part.0.cold...), for the
     * compilers whose DWARF does not list them: every function symbol that shares NAME's stem */
    size_t stem = strcspn(name, ".");
    int nsym = dwfl_module_getsymtab(mod);
    for (int i = 1; i < nsym; i++) {
        GElf_Sym sym;
        GElf_Addr a;
        const char *sn = dwfl_module_getsym_info(mod, i, &sym, &a, NULL, NULL, NULL);
        if (!sn || GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_size || strncmp(sn, name, stem) ||
            (sn[stem] != '.' && sn[stem] != 0))
            continue;
        if (!add_range(ranges, cap, n, a, a + sym.st_size))
            return -1;
    }
    return known;
}

/* A line-table row of the file asked for, a candidate location for FILE:LINE. */
typedef struct line_cand {
    uint64_t addr;
    int line;
    bool stmt;
} line_cand;

typedef struct getmods_arg {
    cd_symtab *s;
    const char *file;
    const char *want; /* file, normalised when absolute ("./" dropped when relative) */
    line_cand *c;
    size_t n, cap;
} getmods_arg;

/* Every row of FILE in one module (by base name; a FILE with a directory is then compared with the
 * normalised path, "/src/build/../lib/x.c", by suffix). End-of-sequence rows are dropped: they mark the first address past a sequence's code
 * (past a function's `ret`, in the next function or in _fini), never a place where a line is. */
static bool same_base(const char *path, const char *base)
{
    const char *b = strrchr(path, '/');
    return !strcmp(b ? b + 1 : path, base);
}

static int line_addrs_cb(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *argp)
{
    (void)ud, (void)name, (void)start;
    getmods_arg *a = argp;
    const char *slash = strrchr(a->file, '/');
    const char *base = slash ? slash + 1 : a->file;
    Dwarf_Die *cu = NULL;
    Dwarf_Addr bias;
    while ((cu = dwfl_module_nextcu(mod, cu, &bias)) != NULL) {
        Dwarf_Files *files;
        size_t nfiles;
        if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0)
            continue;
        bool has = false;
        for (size_t f = 0; f < nfiles && !has; f++) {
            const char *fn = dwarf_filesrc(files, f, NULL, NULL);
            has = fn && same_base(fn, base);
        }
        Dwarf_Lines *lines;
        size_t nl;
        if (!has || dwarf_getsrclines(cu, &lines, &nl) != 0)
            continue;
        for (size_t i = 0; i < nl; i++) {
            Dwarf_Line *l = dwarf_onesrcline(lines, i);
            Dwarf_Addr addr;
            int line = 0;
            bool stmt = false, eos = false;
            const char *lf = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
            if (!lf || !same_base(lf, base) || dwarf_lineaddr(l, &addr) != 0 || dwarf_lineno(l, &line) != 0 || line <= 0)
                continue;
            dwarf_lineendsequence(l, &eos);
            dwarf_linebeginstatement(l, &stmt);
            if (eos)
                continue;
            if (slash) {
                const char *norm = abs_src(a->s, cu, lf);
                char *tmp = norm[0] == '/' ? lex_normalize(norm) : cd_xstrdup(norm);
                size_t tl = strlen(tmp), wl = strlen(a->want);
                bool match = tl >= wl && !strcmp(tmp + tl - wl, a->want) && (tl == wl || a->want[0] == '/' || tmp[tl - wl - 1] == '/');
                free(tmp);
                if (!match)
                    continue;
            }
            if (a->n == a->cap) {
                a->cap = a->cap ? 2 * a->cap : 64;
                a->c = cd_xrealloc(a->c, a->cap * sizeof *a->c);
            }
            a->c[a->n++] = (line_cand){addr + bias, line, stmt};
        }
    }
    return DWARF_CB_OK;
}

/* gdb's blocks: a function, an inlined call, and a lexical block that declares something (gdb
 * makes no block of one that declares nothing: buildsym's read_lexical_block_scope). */
static bool block_declares(Dwarf_Die *blk)
{
    Dwarf_Die c;
    if (dwarf_child(blk, &c) != 0)
        return false;
    do {
        int tag = dwarf_tag(&c);
        if (tag != DW_TAG_lexical_block && tag != DW_TAG_inlined_subroutine && tag != DW_TAG_call_site &&
            tag != DW_TAG_GNU_call_site)
            return true;
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

/* The innermost gdb block at ADDR, as the module and the DIE offset; false without DWARF there. */
static bool line_block_at(cd_symtab *s, uint64_t addr, Dwfl_Module **mod, Dwarf_Off *off)
{
    *mod = dwfl_addrmodule(s->dwfl, addr);
    Dwarf_Addr bias;
    Dwarf_Die cu_mem;
    if (!*mod || !cd_symtab_cu_at(s, *mod, addr, &cu_mem, &bias))
        return false;
    Dwarf_Die *scopes = NULL;
    int ns = dwarf_getscopes(&cu_mem, addr - bias, &scopes);
    bool found = false;
    for (int i = 0; i < ns && !found; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
            (tag == DW_TAG_lexical_block && block_declares(&scopes[i]))) {
            *off = dwarf_dieoffset(&scopes[i]);
            found = true;
        }
    }
    free(scopes);
    return found;
}

/* gdb's choice (find_line_common): only statement rows (is_stmt) count; LINE itself if it has one,
 * else the lowest later line that has one. When no statement row is at LINE or after it (the
 * closing brace of an -O2 function often has only a non-statement row), the rows of LINE itself
 * are used rather than nothing. Then one address per block, as gdb's create_sals_line_offset: the
 * lowest (a line split in several places, a loop's test, is entered at its first); two inlined
 * copies of one function in the same caller are two blocks, so two locations. Moved past the
 * prologue when it is a function's entry. */
int cd_symtab_line_addrs(cd_symtab *s, const char *file, int line, uint64_t **addrs, size_t *n, int *found_line)
{
    char *want = file[0] == '/' ? lex_normalize(file) : cd_xstrdup(file + (strncmp(file, "./", 2) ? 0 : 2));
    getmods_arg a = {.s = s, .file = file, .want = want};
    dwfl_getmodules(s->dwfl, line_addrs_cb, &a, 0);
    free(want);
    /* gdb 13's find_line_common: statement rows only, the line or the first line after it that has
     * one. A line with non-statement rows only and no statement after it (gcc -O2's last lines of
     * main) has no code, as gdb says ("No line 52 in file"). */
    int best = 0;
    for (size_t i = 0; i < a.n; i++)
        if (a.c[i].stmt && a.c[i].line >= line && (!best || a.c[i].line < best))
            best = a.c[i].line;
    uint64_t *out = NULL;
    struct blkkey {
        Dwfl_Module *mod; /* NULL: no block known (no DWARF there): only the same address merges */
        Dwarf_Off off;
    } *okeys = NULL;
    size_t nout = 0;
    for (size_t i = 0; best && i < a.n; i++) {
        if (a.c[i].line != best || !a.c[i].stmt)
            continue;
        uint64_t addr = a.c[i].addr;
        Dwfl_Module *mod;
        Dwarf_Off off = 0;
        bool in_blk = line_block_at(s, addr, &mod, &off);
        bool dup = false;
        for (size_t k = 0; k < nout && !dup; k++) {
            if (out[k] == addr || (in_blk && okeys[k].mod == mod && okeys[k].off == off)) {
                if (addr < out[k])
                    out[k] = addr;
                dup = true;
            }
        }
        if (dup)
            continue;
        out = cd_xrealloc(out, (nout + 1) * sizeof *out);
        okeys = cd_xrealloc(okeys, (nout + 1) * sizeof *okeys);
        okeys[nout] = (struct blkkey){in_blk ? mod : NULL, off};
        out[nout++] = addr;
    }
    free(okeys);
    /* A line whose code starts a function (its opening brace at -O0) is its prologue: past it, as
     * gdb's skip_prologue_sal (and `break FUNC`) does. */
    int moved_line = 0;
    for (size_t k = 0; k < nout; k++) {
        uint64_t past = cd_symtab_skip_prologue(s, out[k]);
        /* gdb's skip_prologue_sal takes the line of the address past the prologue too */
        if (k == 0 && past != out[k]) {
            const char *pf = NULL;
            int pl = 0, pcol = 0;
            Dwfl_Module *pm = module_at(s, past);
            if (pm)
                pc_line(s, pm, past, &pf, &pl, &pcol);
            moved_line = pl;
        }
        out[k] = past;
    }
    free(a.c);
    *addrs = out;
    *n = nout;
    *found_line = moved_line > 0 ? moved_line : best;
    return nout ? 0 : -1;
}

/* gdb's locations_valid (dwarf2/read.c): the CU is from GCC >= 4.5 and some variable has a
 * location list. */
static bool die_has_loclist(Dwarf_Die *die, int depth)
{
    Dwarf_Die c;
    if (depth > 64 || dwarf_child(die, &c) != 0)
        return false;
    do {
        int tag = dwarf_tag(&c);
        Dwarf_Attribute at;
        if ((tag == DW_TAG_variable || tag == DW_TAG_formal_parameter) && dwarf_attr(&c, DW_AT_location, &at)) {
            unsigned f = dwarf_whatform(&at);
            if (f == DW_FORM_sec_offset || f == DW_FORM_loclistx || f == DW_FORM_data4 || f == DW_FORM_data8)
                return true;
        }
        if (dwarf_haschildren(&c) > 0 && die_has_loclist(&c, depth + 1))
            return true;
    } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

static bool prologue_gcc_optimized(Dwarf_Die *cu)
{
    Dwarf_Attribute at;
    const char *p = dwarf_attr(cu, DW_AT_producer, &at) ? dwarf_formstring(&at) : NULL;
    int major = 0, minor = 0;
    if (!p || strncmp(p, "GNU ", 4) != 0)
        return false;
    p += 4;
    if (*p && (*p < '0' || *p > '9')) /* the language: "C11 ", "C++17 " */
        p = strchr(p, ' ') ? strchr(p, ' ') + 1 : "";
    if (sscanf(p, "%d.%d", &major, &minor) != 2 || (major < 4 || (major == 4 && minor < 5)))
        return false;
    return die_has_loclist(cu, 0);
}

uint64_t cd_symtab_skip_prologue(cd_symtab *s, uint64_t addr)
{
    const char *fn;
    uint64_t start, end;
    if (!cd_symtab_func_bounds(s, addr, &fn, &start, &end) || start != addr)
        return addr;
    /* gdb 13 first: a row the compiler marked prologue_end (clang does, GCC does not) */
    Dwfl_Module *pmod = dwfl_addrmodule(s->dwfl, addr);
    Dwarf_Addr pbias;
    Dwarf_Die pcu_mem, *pcu = pmod && cd_symtab_cu_at(s, pmod, addr, &pcu_mem, &pbias) ? &pcu_mem : NULL;
    Dwarf_Lines *plines;
    size_t pn;
    if (pcu && dwarf_getsrclines(pcu, &plines, &pn) == 0)
        for (size_t k = 0; k < pn; k++) {
            Dwarf_Line *l = dwarf_onesrcline(plines, k);
            Dwarf_Addr la;
            bool pe = false;
            if (l && dwarf_lineaddr(l, &la) == 0 && la + pbias > start && la + pbias < end &&
                dwarf_lineprologueend(l, &pe) == 0 && pe)
                return la + pbias;
        }
    /* then gdb's "locations valid": optimized code from GCC >= 4.5 (a CU with a location list) has
     * variable locations right from the entry, so gdb breaks there (skip_prologue_sal) */
    if (pcu && prologue_gcc_optimized(pcu))
        return addr;
    /* gdb's rule for GCC's code: a function that sets up a frame pointer (endbr64? push %rbp;
     * mov %rsp,%rbp) has a prologue that ends at the next line-table row; a frameless one (most
     * -O2 code) has none worth skipping, and its body may return before any "second line". */
    uint8_t c[8];
    if (cd_target_read(s->t, start, c, sizeof c) != (ssize_t)sizeof c)
        return addr;
    size_t i = 0;
    if (c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa)
        i = 4;
    if (c[i] != 0x55 || c[i + 1] != 0x48 || !((c[i + 2] == 0x89 && c[i + 3] == 0xe5) || (c[i + 2] == 0x8b && c[i + 3] == 0xec)))
        return addr;
    uint64_t after = start + i + 4;
    Dwfl_Module *mod = dwfl_addrmodule(s->dwfl, addr);
    Dwarf_Addr bias;
    Dwarf_Die cu_mem, *cu = mod && cd_symtab_cu_at(s, mod, addr, &cu_mem, &bias) ? &cu_mem : NULL;
    Dwarf_Lines *lines;
    size_t nl;
    if (!cu || dwarf_getsrclines(cu, &lines, &nl) != 0)
        return addr;
    for (size_t k = 0; k < nl; k++) {
        Dwarf_Line *l = dwarf_onesrcline(lines, k);
        Dwarf_Addr la;
        bool stmt = false, end_seq = false;
        if (!l || dwarf_lineaddr(l, &la) != 0)
            continue;
        dwarf_linebeginstatement(l, &stmt);
        dwarf_lineendsequence(l, &end_seq);
        la += bias;
        if (la >= after && la < end && stmt && !end_seq)
            return la;
    }
    return addr;
}

/* ---- source text ---------------------------------------------------------------------------- */

/* A source file not on this machine, from debuginfod by the build-id of a module whose lines name
 * it (a pc looked up: the memo holds the module), as gdb asks: by the DWARF path. */
static FILE *fetch_src(cd_symtab *s, src_file *f)
{
    f->asked = true;
    const char *file = intern(s, f->path);
    for (size_t i = 0; i < s->memo.cap; i++) {
        const memo_ent *e = s->memo.keys[i] ? s->memo.vals[i] : NULL;
        for (int k = 0; e && k < e->n; k++) {
            if (e->info[k].file != file || !e->info[k].mod)
                continue;
            const unsigned char *id;
            GElf_Addr vaddr;
            int n = dwfl_module_build_id(e->info[k].mod, &id, &vaddr);
            char *got = NULL;
            int fd = n > 0 ? cd_debuginfod__source(id, n, file, &got) : -1;
            free(got);
            /* a fresh download's fd is left at the end of what was written */
            FILE *fp = fd >= 0 && lseek(fd, 0, SEEK_SET) == 0 ? fdopen(fd, "r") : NULL;
            if (fd >= 0 && !fp)
                close(fd);
            return fp;
        }
    }
    return NULL;
}

static src_file *load_src(cd_symtab *s, const char *path)
{
    src_file *f = NULL;
    for (size_t i = 0; i < s->nsrcs && !f; i++)
        if (strcmp(s->srcs[i].path, path) == 0)
            f = &s->srcs[i];
    if (f && (f->lines || f->asked || !cd_debuginfod_usable()))
        return f;
    FILE *fp = NULL;
    if (!f) {
        s->srcs = cd_xrealloc(s->srcs, (s->nsrcs + 1) * sizeof *s->srcs);
        f = &s->srcs[s->nsrcs++];
        memset(f, 0, sizeof *f);
        f->path = cd_xstrdup(path);
        fp = fopen(path, "r");
    }
    if (!fp && path[0] == '/' && cd_debuginfod_usable())
        fp = fetch_src(s, f);
    if (!fp)
        return f;
    cd_buf b = {0};
    char chunk[65536];
    size_t r;
    while ((r = fread(chunk, 1, sizeof chunk, fp)) > 0)
        cd_buf_append(&b, chunk, r);
    fclose(fp);
    f->data = b.s ? b.s : cd_xstrdup("");
    size_t len = b.len;
    int cap = 64;
    f->lines = cd_xmalloc((size_t)cap * sizeof *f->lines);
    char *p = f->data;
    while ((size_t)(p - f->data) < len) {
        if (f->nlines == cap) {
            cap *= 2;
            f->lines = cd_xrealloc(f->lines, (size_t)cap * sizeof *f->lines);
        }
        f->lines[f->nlines++] = p;
        char *nl = memchr(p, '\n', len - (size_t)(p - f->data));
        if (!nl)
            break;
        *nl = 0;
        p = nl + 1;
    }
    return f;
}

const char *cd_symtab_source_line(cd_symtab *s, const char *file, int line, int *nlines_out)
{
    if (!file)
        return NULL;
    src_file *f = load_src(s, file);
    if (!f->lines)
        return NULL;
    if (nlines_out)
        *nlines_out = f->nlines;
    if (line < 1 || line > f->nlines)
        return NULL;
    return f->lines[line - 1];
}

/* ---- unwinder glue ---------------------------------------------------------------------------- */

bool cd_symtab__attach(cd_symtab *s, const Dwfl_Thread_Callbacks *cb, cd_err *err)
{
    if (s->attached)
        return true;
    /* libdwfl picks its architecture backend from an Elf. Give it a bare x86-64 header it owns
     * for the Dwfl's lifetime, rather than borrowing a module's Elf that a refresh could unload. */
    elf_version(EV_CURRENT);
    Elf64_Ehdr *h = (Elf64_Ehdr *)s->attach_image;
    memset(h, 0, sizeof *h);
    memcpy(h->e_ident, ELFMAG, SELFMAG);
    h->e_ident[EI_CLASS] = ELFCLASS64;
    h->e_ident[EI_DATA] = ELFDATA2LSB;
    h->e_ident[EI_VERSION] = EV_CURRENT;
    h->e_ident[EI_OSABI] = ELFOSABI_NONE;
    h->e_type = ET_CORE;
    h->e_machine = EM_X86_64;
    h->e_version = EV_CURRENT;
    h->e_ehsize = sizeof *h;
    s->attach_elf = elf_memory((char *)s->attach_image, sizeof s->attach_image);
    if (!s->attach_elf)
        return cd_fail(err, CD_EXIT_CMD, "cannot start the unwinder: %s; this is an elfutils problem", elf_errmsg(-1)), false;
    if (!dwfl_attach_state(s->dwfl, s->attach_elf, s->t->pid, cb, s))
        return cd_fail(err, CD_EXIT_CMD, "cannot start the unwinder: %s; this is an elfutils problem", dwfl_errmsg(-1)), false;
    s->attached = true;
    return true;
}

void **cd_symtab__unwind_slot(cd_symtab *s) { return &s->unwind_slot; }
