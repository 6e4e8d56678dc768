/* The symbol layer: one Dwfl per target, fed by the target's module list.
 *
 * Everything is lazy: libdwfl opens a module's ELF/DWARF only when an address in it is looked up,
 * and CUs are parsed on demand. Results of address lookups are memoised per symtab, because a
 * 1000-thread dump resolves the same few hundred PCs over and over.
 *
 * Separate debug info is found by build-id and .gnu_debuglink under /usr/lib/debug (libdwfl's
 * standard find_debuginfo). Modules without DWARF fall back to .symtab/.dynsym; that is said once
 * per module through cd_symtab_take_notes(). */
#ifndef CD_SYMBOLS_H
#define CD_SYMBOLS_H

#include <stdbool.h>
#include <stdint.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "target/target.h"

typedef struct cd_symtab cd_symtab;

/* One logical frame for a PC: a function, or an inlined call inside one. Strings are owned by the
 * symtab and live as long as it does. */
typedef struct cd_pcinfo {
    const char *func;      /* function name (demangled if C++), NULL if unknown */
    uint64_t func_addr;    /* entry address of func (0 if unknown) */
    uint64_t func_off;     /* pc - func_addr for the outermost (non-inlined) function */
    const char *file;      /* source file (as in DWARF, absolute when DWARF gives a comp_dir), or NULL */
    int line;              /* 0 if unknown */
    int column;
    const char *module;    /* module name (basename of its file), NULL if pc is in no module */
    bool inlined;          /* this logical frame is an inlined call; its caller is the next entry */
    Dwfl_Module *mod;      /* for value evaluation (issue: variables) */
    Dwarf_Die scope_die;   /* DW_TAG_subprogram or DW_TAG_inlined_subroutine DIE (valid if has_die) */
    bool has_die;
    const char *nodebug;   /* when !has_die though the module has DWARF here: why (a split unit whose
                            * .dwo or .dwp cannot be read), else NULL */
} cd_pcinfo;

typedef struct cd_debugdirs cd_debugdirs; /* gdb's debug-file-directory setting: below */
cd_symtab *cd_symtab_new(cd_target *t, cd_err *err);
/* The same, reading separate debug files through DD (see cd_debugdirs; NULL: the environment's or
 * the default directories). */
cd_symtab *cd_symtab_new_dd(cd_target *t, cd_debugdirs *dd, cd_err *err);
/* The debug directories S was made with (NULL: it has its own, of the environment or default). */
cd_debugdirs *cd_symtab_debugdirs(cd_symtab *s);
void cd_symtab_free(cd_symtab *s);
Dwfl *cd_symtab_dwfl(cd_symtab *s);
cd_target *cd_symtab_target(cd_symtab *s);

/* Opens every module's ELF, DWARF and CFI now instead of at first use. Used to overlap that cost
 * with stopping a process's threads: it may run on another thread as long as nothing else uses
 * this symtab (or its target's Dwfl) meanwhile. */
void cd_symtab_preload(cd_symtab *s);

/* Re-reads the module list (after dlopen / exec). Clears memoised lookups. */
int cd_symtab_refresh(cd_symtab *s, cd_err *err);

/* Expands PC into logical frames, innermost first (inlined calls first, the containing function
 * last). `pc` must already be the lookup address (return address - 1 for caller frames).
 * Returns the number of entries written (>= 1; an unknown PC yields one entry with func NULL).
 * The returned array is memoised inside the symtab: valid until cd_symtab_refresh/free. */
int cd_symtab_lookup(cd_symtab *s, uint64_t pc, const cd_pcinfo **out);

/* The compilation unit whose code holds PC (a runtime address in MOD), into *out, with the module's
 * bias. Use it instead of dwfl_module_addrdie, which libdw 0.188 answers from .debug_aranges only:
 * without them (clang's default) this falls back to the CUs' own ranges, indexed once per module.
 * For split DWARF (-gsplit-dwarf) it is the split unit from the .dwo, where the functions,
 * variables and types are (its line table is the skeleton's: libdw reads it through the split
 * unit); when the .dwo cannot be read, the skeleton, and a note says why. False when no CU covers
 * PC or MOD has no DWARF. */
bool cd_symtab_cu_at(cd_symtab *s, Dwfl_Module *mod, uint64_t pc, Dwarf_Die *out, Dwarf_Addr *bias);

/* Why PC is in no module, for a frame shown as "in ??": "not a canonical address", "not in any
 * mapping", "[stack]"/"[heap]"..., "in a mapping of no module" (JIT code); NULL when it is in a
 * module or the mappings cannot be read. */
const char *cd_symtab_pc_note(cd_symtab *s, uint64_t pc);

/* Address of a function by name (first match in exe, then libraries). 0 + -1 if none. */
int cd_symtab_find_function(cd_symtab *s, const char *name, uint64_t *addr);

/* Whether MOD is the executable's module. Compared by base name: the module's path and the
 * target's exe_path may spell the same file differently. */
bool cd_symtab_is_exe(cd_symtab *s, Dwfl_Module *mod);

/* What a cd_symtab_each_func visitor did with a symbol: left it, took it, or took it and is done. */
typedef enum { CD_SYM_SKIP, CD_SYM_TAKE, CD_SYM_STOP } cd_sym_visit;
typedef cd_sym_visit (*cd_func_sym_fn)(const char *name, uint64_t addr, void *arg);
/* Shows FN each defined function symbol (STT_FUNC, STT_GNU_IFUNC) of the executable and, only when
 * it took none there, of every other module: the program's own function hides a library's of the
 * same name. ADDR is the runtime address. True when FN took any. */
bool cd_symtab_each_func(cd_symtab *s, cd_func_sym_fn fn, void *arg);
/* The first function symbol named NAME or NAME@@VERSION (a default version), in the executable
 * and, only when it has none, in the other modules, as cd_symtab_each_func would meet it: through a
 * name index built once per module. False (*addr = 0) when there is none. */
bool cd_symtab_func_named(cd_symtab *s, const char *name, uint64_t *addr);

/* Length of the source name in ELF symbol NAME when NAME is a compiler clone of it or a versioned
 * name: "leaf" for "leaf.constprop.0", "leaf.isra.0", "leaf.part.0", "leaf.lto_priv.0",
 * "pthread_create" for "pthread_create@@GLIBC_2.34" (a default version only). 0 when NAME is no
 * such thing, and for a ".cold" piece, which is never a function's entry. gdb 13 finds a function
 * that gcc -O2 emitted only as clones under its source name; so do break, trace and print. */
size_t cd_sym_base_len(const char *name);
/* True when ELF symbol SYM is NAME itself or a clone or version of it (cd_sym_base_len). */
bool cd_sym_is_named(const char *sym, const char *name);

/* The executable's entry point (ELF e_entry, relocated). -1 if unknown. */
int cd_symtab_entry(cd_symtab *s, uint64_t *addr);

/* ELF symbol containing addr (data or code): name and offset. Returns false if none. */
/* NAME demangled when it is an Itanium C++ symbol ("_ZN4shop4Cart3addEi" -> "shop::Cart::add(int)"),
 * else NAME; the result lives as long as the symtab. */
const char *cd_symtab_demangle(cd_symtab *s, const char *name);
bool cd_symtab_addr_symbol(cd_symtab *s, uint64_t addr, const char **name, uint64_t *off);

/* The function (ELF symbol with a size) containing addr: its name and [start, end). False if addr
 * is in no sized function symbol. */
bool cd_symtab_func_bounds(cd_symtab *s, uint64_t addr, const char **name, uint64_t *start, uint64_t *end);

/* Every piece of code that belongs to the function containing addr, so that a patch in it can
 * be checked against every jump that may land in it: the ELF symbol's range, the DW_AT_ranges of
 * its DWARF subprogram (gcc's NAME.cold part) and the function symbols of the same stem
 * (NAME.cold, NAME.part.N), at most cap ranges [lo, hi) into ranges, *n of them, ranges[0] the
 * symbol's. 1: complete (the DWARF subprogram was found); 0: the symbols' pieces only (no DWARF for
 * the function: stripped, assembly; a stripped .symtab hides NAME.cold too); -1: addr is in no
 * sized function symbol, or there are more than cap pieces. */
int cd_symtab_func_extent(cd_symtab *s, uint64_t addr, uint64_t (*ranges)[2], size_t cap, size_t *n);

/* Addresses where code for FILE:LINE starts (FILE a path or a base name; when LINE has no code, the
 * next line that has some, returned in *found_line): one per function (inlined copies each count).
 * As gdb: statement rows only (is_stmt; a line with none at or after it falls back to its own
 * rows), never an end-of-sequence row, past the prologue when the line starts a function.
 * Caller frees *addrs. -1 when no module has such a line. */
int cd_symtab_line_addrs(cd_symtab *s, const char *file, int line, uint64_t **addrs, size_t *n, int *found_line);

/* For a function's entry address, where its body starts (past the prologue, by the line table);
 * addr itself when that cannot be told. */
uint64_t cd_symtab_skip_prologue(cd_symtab *s, uint64_t addr);
/* The name of function DIE (a subprogram or an inlined copy) as a backtrace shows it: in a C++ unit
 * qualified by the namespaces and classes of its declaration ("shop::core::Consumer::Consumer"),
 * found through DW_AT_abstract_origin and DW_AT_specification; NULL when it has none. Interned. */
const char *cd_symtab_die_func_name(cd_symtab *s, Dwarf_Die *die);

/* Notes produced while loading ("no debug info for /usr/bin/x: function names from .dynsym only").
 * Each note is produced once per symtab; returns NULL when there are no new ones. Caller frees. */
char *cd_symtab_take_notes(cd_symtab *s);

/* gdb's debug-file-directory: the ':'-separated directories searched for separate debug files
 * (DIR/.build-id/xx/rest.debug, DIR/FILE'S-DIR/DEBUGLINK), in place of $CDBG_DEBUG_FILE_DIRECTORY
 * or /usr/lib/debug. One per session, as gdb's setting is, shared by the symbol tables made with
 * it (cd_symtab_new_dd): a change reaches every module whose debug info they look for afterwards
 * (libraries loaded later, a program started again). Freed after every symbol table using it. */
cd_debugdirs *cd_debugdirs_new(void);
void cd_debugdirs_free(cd_debugdirs *d);
void cd_debugdirs_set(cd_debugdirs *d, const char *dirs);
/* The directories in use (D's setting, else the environment's or the default; D may be NULL).
 * malloc'd. */
char *cd_debugdirs_get(const cd_debugdirs *d);

/* Source line text (1-based) for `list`; NULL if the file is unreadable. Cached. */
const char *cd_symtab_source_line(cd_symtab *s, const char *file, int line, int *nlines_out);

#endif
