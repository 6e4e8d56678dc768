/* Variables and C expressions through DWARF: the scope an expression is evaluated in.
 *
 * src/expr knows nothing of the session or of commands. Its callers build a cd_scope (the
 * commands layer builds one from the session's selected thread and frame; the deadlock report
 * builds one per frame it names locks in) and pass it down; expr_int.h has the parser, the
 * evaluator and the formatters that take it. */
#ifndef CD_EXPR_H
#define CD_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

#include "symbols/symbols.h"
#include "target/target.h"
#include "unwind/unwind.h"
#include "util/util.h"

/* Value state that outlives one evaluation: value history ($1..), convenience variables, displays,
 * the DWARF type cache and per-module name indexes. Its owner keeps it between evaluations. */
typedef struct cd_vstate cd_vstate;
typedef struct cd_type cd_type;
typedef struct cd_ectx cd_ectx;
typedef struct cd_arena cd_arena;
struct cd_value;

/* Calls the function at FN in the scope's thread (print f(3), call f(3)): ARGS are already converted
 * to the parameter types (a string literal is a char array not in memory: it is copied into the
 * target); RET is the return type (NULL: void). Fills OUT (its bytes in x->ar) and returns 0, or
 * -1 with x->err set. The commands layer fills it with a wrapper of cd_ctl_call (src/control is
 * above this layer: it is reached only through this pointer). */
typedef int (*cd_call_fn)(void *arg, cd_ectx *x, uint64_t fn, cd_type *ret, struct cd_value *args, int nargs,
                          struct cd_value *out);

typedef struct cd_scope {
    cd_target *target;        /* NULL: no memory, no registers */
    cd_symtab *sym;           /* NULL: no names */
    cd_thread *thread;        /* thread of `frame` (TLS, xmm registers), or NULL */
    const cd_frame *frame;    /* the frame names resolve in, NULL if none */
    const cd_frame *frames;   /* that thread's whole stack (callers of frame, for entry values) */
    size_t nframes;
    cd_vstate *vs;            /* required */
    int max_array, max_string; /* printing limits; <= 0 is the default, 200 */
    cd_call_fn call;          /* function calls in the target; NULL: "cannot call functions: ..." */
    void *call_arg;
    const char *nocall;       /* why not, when call is NULL and the target could run (a breakpoint
                                 condition, a tracepoint); NULL: said from the target (a core...) */
} cd_scope;

/* How values are printed: the /FMT letter and gdb's print settings (`set print ...`, `print -OPTION`).
 * They change the text only; the JSON value is the same whatever they say (docs/json.md). */
#define CD_PRINT_UNLIMITED 0x7fffffff /* elements, repeats, max-depth: "unlimited" */
typedef struct cd_fmtopt {
    char fmt;
    bool raw;               /* print/r: the standard library's objects as their raw layout */
    int max_array, max_string; /* print elements (both: gdb has one limit; `config` sets each) */
    int max_depth;          /* print max-depth: deeper structs and arrays are {...} */
    int repeats;            /* print repeats: a run of more than this many equal elements is one */
    bool pretty;            /* print pretty: one member a line, indented as gdb does */
    bool array;             /* print array: one array element a line */
    bool array_indexes;     /* print array-indexes: [0] = ... */
    bool null_stop;         /* print null-stop: a char array ends at its first NUL */
    bool address;           /* print address: pointers and functions show their address */
    bool symbol;            /* print symbol: a pointer to data shows <symbol+off> */
    bool unions;            /* print union: a union inside a struct shows its members, else {...} */
    bool static_members;    /* print static-members: a C++ object's static members */
    bool vtbl;              /* print vtbl (kept for `show`; the vtable pointer prints the same) */
} cd_fmtopt;
/* gdb's defaults, /FMT (0: natural; 'r': raw), the limits from SC (may be NULL: 200). The scope is
 * declared below. */
struct cd_scope;
void cd_fmtopt_init(cd_fmtopt *o, const struct cd_scope *sc, char fmt);

cd_vstate *cd_vstate_new(void);
void cd_vstate_free(cd_vstate *vs);
/* Caches built from another symbol table's DWARF (types, name indexes, and the history and
 * convenience variables typed by them) are dropped when SYM is not the one they came from. */
void cd_vstate_use_symtab(cd_vstate *vs, const cd_symtab *sym);

/* ---------- naming an address through variables (the deadlock report's lock names) ---------- */

/* Where a variable is, from its DWARF location evaluated in the scope's frame (without a frame:
 * statics only). */
typedef struct cd_varloc {
    enum { CD_VARLOC_NONE, CD_VARLOC_MEM, CD_VARLOC_VALUE } kind;
    uint64_t addr;            /* MEM: where the variable lives */
    uint64_t val;             /* VALUE: its first 8 bytes (it lives in a register or is computed) */
} cd_varloc;
/* Any failure (no location, optimized out, an unsupported operation) is CD_VARLOC_NONE. */
void cd_var_locate(const cd_scope *sc, Dwfl_Module *mod, Dwarf_Die *var, cd_varloc *out);

/* The type of a variable (or member) DIE; NULL when it has none. */
cd_type *cd_type_of_die(cd_vstate *vs, Dwarf_Die *die);
/* The C++ scope a DIE is declared in, as a prefix ("shop::core::", "Ledger::"; "" at file scope,
 * inside a function, and in C), through DW_AT_specification: how gdb qualifies a global's name. */
const char *cd_die_scope(cd_vstate *vs, Dwarf_Die *die);
uint64_t cd_type_size(cd_type *t);           /* 0 when unknown or incomplete */
cd_type *cd_type_pointee(cd_type *t);        /* what a pointer points to; NULL if T is no pointer */
/* Appends the member and index path from an object of type T down to byte OFF (`.buckets[7].mu`).
 * It stops at what a user would name as a whole: a union, a scalar, or a struct whose member there
 * is anonymous or reserved (__*, as glibc's lock internals), so a mutex reads `lock_a`, not
 * `lock_a.__data.__lock`. Returns the part of OFF the path does not cover. */
uint64_t cd_type_member_path(cd_vstate *vs, cd_type *t, uint64_t off, cd_buf *b);

#endif
