/* The expression layer in full: its files, the value commands (src/commands/cmd_values.c and the
 * commands that evaluate: break *EXPR, conditions, stepout's return value) and the unit tests.
 *
 *   parse.c   lexer + recursive-descent parser -> AST (no DWARF needed)
 *   types.c   cd_type: a C type built lazily from DWARF DIEs (or synthesised), names, ptype
 *   symlook.c per-module name indexes, scopes of a frame, locals/args/globals
 *   loc.c     DWARF location expressions -> where a value lives
 *   eval.c    the evaluator (C semantics) and assignment
 *   format.c  text and JSON rendering with limits */
#ifndef CD_EXPR_INT_H
#define CD_EXPR_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <json-c/json.h>

#include "expr/expr.h"
#include "util/util.h"

/* ---------- arena: everything one command allocates, freed at once ---------- */
struct cd_arena {
    struct cd_arena_blk *head;
};
void *cd_arena_alloc(cd_arena *a, size_t n); /* zeroed */
char *cd_arena_strdup(cd_arena *a, const char *s);
void cd_arena_free(cd_arena *a);

/* ---------- recursion guard (depth.c) ---------- */
/* The parser and the evaluator recurse on the expression tree, which user input makes as deep as
 * it likes (60,000 casts in a script line; the printer's nesting is bounded by max-depth instead).
 * Their depth is bounded by the stack actually used, which holds for every build (ASan's frames
 * are several times larger) and every thread: cd_depth_enter() at the outermost entry returns a
 * limit (a quarter of this thread's stack, at most 512 KiB, at most half of what is left), and
 * each recursive step checks cd_depth_exceeded(limit). */
uintptr_t cd_depth_enter(void);
bool cd_depth_exceeded(uintptr_t limit);
/* "expression too deeply nested to WHAT (at column COL): ..."; returns -1. */
int cd_depth_fail(cd_err *err, const char *what, int col);

/* ---------- AST ---------- */
typedef enum {
    E_INT, E_FLOAT, E_CHAR, E_STR, E_IDENT, E_DOLLAR, E_HIST,
    E_UNARY, E_BINARY, E_ASSIGN, E_TERNARY, E_CAST, E_SIZEOF_EXPR, E_SIZEOF_TYPE,
    E_MEMBER, E_ARROW, E_INDEX, E_COMMA,
    E_CALL, /* a: the callee, args/nargs: the arguments (a function call in the target) */
} cd_ekind;

/* Operators are their token spelling's first chars packed: see parse.c (OP_* values). */
enum {
    OP_NEG = 256, OP_POS, OP_NOT, OP_BNOT, OP_DEREF, OP_ADDR,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_SHL, OP_SHR, OP_LT, OP_GT, OP_LE, OP_GE, OP_EQ,
    OP_NE, OP_BAND, OP_BOR, OP_BXOR, OP_LAND, OP_LOR, OP_NONE,
    OP_AT, /* gdb's `arr[1]@3`: an array of 3 from arr[1] */
};

/* A parsed type name: base specifiers plus derivations applied in order. */
typedef enum { TD_PTR, TD_ARRAY, TD_FUNC, TD_CONST, TD_VOLATILE } cd_tdkind;
typedef struct cd_tname {
    unsigned kw;          /* TK_* bits for builtin specifiers */
    int longs;            /* number of `long` */
    int tag;              /* 0, 's' struct, 'u' union, 'e' enum, 't' typedef name */
    char *name;           /* tag or typedef name */
    bool is_const;
    int nderiv;
    struct { cd_tdkind kind; int64_t n; } deriv[16];
} cd_tname;
enum { TK_VOID = 1, TK_CHAR = 2, TK_SHORT = 4, TK_INT = 8, TK_SIGNED = 16, TK_UNSIGNED = 32,
       TK_FLOAT = 64, TK_DOUBLE = 128, TK_BOOL = 256, TK_INT128 = 512 };

typedef struct cd_expr cd_expr;
struct cd_expr {
    cd_ekind kind;
    int op;               /* unary/binary/assign operator */
    int col;              /* 1-based column of the operator/first token */
    unsigned __int128 ival; /* E_INT, E_CHAR */
    bool is_unsigned;     /* E_INT suffix u */
    int longs;            /* E_INT suffix l/ll */
    bool is_hex;          /* E_INT written in hex/octal/binary (C's type rules differ) */
    long double fval;     /* E_FLOAT */
    bool is_float_suffix; /* E_FLOAT with f suffix */
    char *str;            /* E_STR bytes, E_IDENT/E_DOLLAR/E_MEMBER/E_ARROW name */
    size_t slen;
    int64_t hist;         /* E_HIST: $N absolute (>0) or $$N relative (<=0) */
    bool hist_rel;
    cd_tname *tn;         /* E_CAST, E_SIZEOF_TYPE */
    cd_expr *a, *b, *c;
    cd_expr **args;       /* E_CALL */
    int nargs;
};

/* Is NAME a typedef in scope? Lets `(T)x` parse as a cast. */
typedef bool (*cd_is_typename_fn)(void *ctx, const char *name);

/* Parses a whole expression. On error returns NULL with err: "syntax error at column N: ...". */
cd_expr *cd_expr_parse(cd_arena *a, const char *src, cd_is_typename_fn istype, void *ictx, cd_err *err);
/* Parses a type name only ("struct foo *", "unsigned long[3]"); NULL if SRC is not one. */
cd_tname *cd_tname_parse(cd_arena *a, const char *src, cd_is_typename_fn istype, void *ictx);
/* Whether E calls a function in the target anywhere (a breakpoint condition or a tracepoint
 * refuses such an expression when it is set, not at its first hit). */
bool cd_expr_has_call(const cd_expr *e);
/* S-expression dump of an AST, for unit tests. */
void cd_expr_dump(const cd_expr *e, cd_buf *b);

/* ---------- types ---------- */
typedef enum { TY_VOID, TY_INT, TY_BOOL, TY_FLOAT, TY_PTR, TY_ARRAY, TY_STRUCT, TY_UNION, TY_ENUM,
               TY_FUNC, TY_TYPEDEF, TY_CV } cd_tykind;

struct cd_type {
    cd_tykind kind;
    uint64_t size;        /* bytes (0 for void, functions, incomplete) */
    bool is_signed, is_char, complete;
    unsigned quals;       /* TY_CV: 1 const, 2 volatile, 4 restrict */
    const char *name;     /* base/typedef name, struct/union/enum tag (NULL: anonymous) */
    cd_type *target;      /* PTR pointee, ARRAY element, TYPEDEF/CV underlying, FUNC return (NULL void) */
    int64_t count;        /* ARRAY: number of elements, -1 if unknown (flexible array) */
    bool has_die;         /* STRUCT/UNION/ENUM/FUNC: members, enumerators, params come from die */
    Dwarf_Die die;
    bool prototyped, varargs;
    cd_type *ptr_to;      /* memoised pointer-to-this type */
    bool enum_const;      /* ENUM: type of an enumeration constant (prints by name, promotes to int) */
    cd_type *const_of;    /* ENUM: memoised enum_const twin */
    /* C++ (the DIE's unit is C++): names print qualified and without struct/union/enum, as gdb's */
    bool complex;         /* STRUCT without a DIE: a complex base type, two `target` parts */
    bool vla;             /* ARRAY: a bound is computed at run time (die: its subrange); see cd_type_resolve */
    bool cxx;
    bool is_class;        /* STRUCT: declared `class` (ptype's keyword, default access private) */
    bool enum_class;      /* ENUM: a scoped enum (its enumerators are named E::x) */
    int ref;              /* PTR: 1 an lvalue reference (T &), 2 an rvalue reference (T &&) */
    const char *qname;    /* C++: the qualified name ("zoo::Dog"), computed when first needed */
    const char *scope;    /* C++: the prefix of the scopes around the type ("zoo::"), likewise */
    const struct cd_member *smembers; /* STRUCT/UNION without a DIE: its members (gdb's $_siginfo) */
    int nsmembers;
    bool ret_known;       /* FUNC without a DIE: spelled in a cast, so its return type is given; a
                             function without debug info (an ELF symbol) has it false: its `int` is
                             only assumed, and a call to it needs a cast (gdb) */
};

cd_type *cd_type_from_die(cd_vstate *vs, Dwarf_Die *die);    /* NULL die -> void */
cd_type *cd_type_base(cd_vstate *vs, cd_tykind k, uint64_t size, bool is_signed, const char *name);
cd_type *cd_type_ptr(cd_vstate *vs, cd_type *to);
cd_type *cd_type_array(cd_vstate *vs, cd_type *elem, int64_t n);
cd_type *cd_type_int(cd_vstate *vs);        /* int */
/* gdb's type of $_siginfo on x86-64 Linux (linux_get_siginfo_type): struct siginfo, 128 bytes. */
cd_type *cd_type_siginfo(cd_vstate *vs);
cd_type *cd_type_char(cd_vstate *vs);       /* char */
cd_type *cd_type_strip(cd_type *t);         /* through typedefs and qualifiers */
uint64_t cd_type_align(cd_vstate *vs, cd_type *t); /* alignof: DW_AT_alignment, else the members' */
/* The name a C++ type or enumerator is printed with: "zoo::Dog" (t->name in C). */
const char *cd_type_qname(cd_vstate *vs, cd_type *t);
/* The scope prefix of a C++ type ("zoo::", "" at file scope). */
const char *cd_type_scope(cd_vstate *vs, cd_type *t);
bool cd_die_is_cxx(Dwarf_Die *die);
/* What a C++ enumerator's name is prefixed with: "zoo::Color::" (enum class), "zoo::" (plain). */
const char *cd_enumerator_prefix(cd_vstate *vs, cd_type *t);         /* the DIE's unit is C++ */
/* ptype of a C++ class: gdb's layout (bases, access labels, static members, methods). */
void cd_type_ptype_class(cd_vstate *vs, cd_type *t, cd_buf *b, int indent);
bool cd_type_is_scalar(cd_type *t);
bool cd_type_is_integral(cd_type *t);       /* int, bool, char, enum */
bool cd_type_is_arith(cd_type *t);
bool cd_type_is_charlike(cd_type *t);       /* char/signed char/unsigned char (after stripping) */
/* C declarator syntax: "int", "char *", "int (*)(int, char *)", "struct node", "int [3][4]". */
void cd_type_name(cd_vstate *vs, cd_type *t, cd_buf *b);
void cd_type_decl(cd_vstate *vs, cd_type *t, const char *var, cd_buf *b);  /* "int x[3]" */
/* ptype: expands the outermost struct/union/enum one level (members shown by their type names). */
void cd_type_ptype(cd_vstate *vs, cd_type *t, cd_buf *b);

/* Members of a struct/union in order (anonymous members have name NULL). */
typedef struct cd_member {
    const char *name;
    cd_type *type;
    uint64_t offset;        /* bytes */
    int bitsize;            /* 0 if not a bitfield */
    int bitpos;             /* bit offset of a bitfield from `offset` (little-endian numbering) */
} cd_member;
int cd_type_members(cd_vstate *vs, cd_type *t, cd_member **out, cd_arena *a); /* count or -1 */
/* Finds a member by name, descending into anonymous structs/unions; adds up offsets. */
bool cd_type_find_member(cd_vstate *vs, cd_type *t, const char *name, cd_member *out, cd_arena *a);

/* ---------- values ---------- */
typedef enum { V_MEM, V_BYTES, V_OPTOUT, V_UNAVAIL, V_ERROR } cd_vwhere;

/* Where bits [bitoff, bitoff + bits) of a V_BYTES value's object live: the pieces of a DWARF
 * location (DW_OP_piece, DW_OP_bit_piece), or one piece for a value held whole in a register. A
 * write goes back to them (cd_eval's assignment); VP_VAL and VP_OPT pieces cannot be written. */
typedef enum { VP_MEM, VP_REG, VP_VAL, VP_OPT } cd_vpkind;
typedef struct cd_vpiece {
    uint64_t bitoff, bits;
    cd_vpkind kind;
    uint64_t addr;          /* VP_MEM */
    int regno;              /* VP_REG: DWARF register number of the value's frame */
    uint64_t srcbit;        /* bit offset within the register, or from addr (DW_OP_bit_piece) */
    const uint8_t *data;    /* VP_VAL: the computed value's bytes */
    uint64_t datalen;
} cd_vpiece;

typedef struct cd_value {
    cd_type *type;
    cd_vwhere where;
    uint64_t addr;          /* V_MEM */
    uint8_t *bytes;         /* V_BYTES (arena or history storage), at least type size */
    int regno;              /* >= 0: the bytes are DWARF register regno of the frame */
    bool lval;              /* assignable: V_MEM, or V_BYTES with pieces */
    int bitsize, bitpos;    /* bitfield within the bytes at addr/bytes */
    const char *errmsg;     /* V_ERROR */
    const cd_vpiece *pieces; /* V_BYTES: where the bytes came from (NULL: nowhere writable) */
    int npieces;
    uint64_t pbase;         /* byte offset of these bytes within the object the pieces describe */
} cd_value;

/* Copies N bits from SRC at bit SBIT to DST at bit DBIT (little-endian bit numbering). */
void cd_copy_bits(uint8_t *dst, uint64_t dbit, const uint8_t *src, uint64_t sbit, uint64_t n);

/* Print formats (gdb letters), 0 = natural. */
/* cd_fmtopt: expr.h (the session keeps the print settings in one) */
/* One evaluation: the scope's fields, copied (cd_ectx_init), plus its arena and error. */
struct cd_ectx {
    cd_vstate *vs;
    cd_symtab *sym;         /* NULL: no names beyond the expression's own */
    cd_target *t;           /* NULL: no memory */
    const cd_frame *frame;  /* selected frame, NULL if none */
    const cd_frame *frames; /* the selected thread's whole stack (callers of frame, for entry values) */
    size_t nframes;
    cd_thread *th;
    cd_arena *ar;
    cd_err *err;
    bool no_side_effects;   /* sizeof/whatis/ptype: evaluate types only, never assign */
    uintptr_t depth_limit;  /* cd_depth_enter() of the outermost cd_eval/format call, 0 outside */
    bool wrote;             /* an assignment wrote the target (memory or registers): cached stacks
                               and the unwinder's page cache are stale */
    cd_call_fn call;        /* the scope's: calls a function in the target (NULL: cannot) */
    void *call_arg;
    const char *nocall;     /* the scope's: why it cannot (NULL: said from the target) */
};

void cd_ectx_init(cd_ectx *x, const cd_scope *sc, cd_arena *ar, cd_err *err);

/* Evaluates an AST. Returns 0 or -1 with x->err set. */
int cd_eval(cd_ectx *x, cd_expr *e, cd_value *out);
/* Evaluates a parsed type name into a cd_type. */
cd_type *cd_eval_tname(cd_ectx *x, cd_tname *tn);
bool cd_ectx_is_typename(void *ctx, const char *name);
/* Parse + evaluate a string. */
int cd_eval_string(cd_ectx *x, const char *src, cd_value *out);

/* Reads LEN bytes of the value at byte offset OFF (not for bitfields). -1 + err on failure. */
int cd_value_read(cd_ectx *x, const cd_value *v, uint64_t off, void *buf, size_t len);
/* Loads a scalar (incl. bitfields) as a 128-bit integer (sign-extended per type). */
int cd_value_int(cd_ectx *x, const cd_value *v, __int128 *out);
int cd_value_float(cd_ectx *x, const cd_value *v, long double *out);
/* Sub-value of an aggregate at OFF with TYPE (same storage). */
cd_value cd_value_sub(const cd_value *v, cd_type *type, uint64_t off);
cd_value cd_value_from_int(cd_ectx *x, cd_type *t, __int128 v);
cd_value cd_value_from_float(cd_ectx *x, cd_type *t, long double v);
cd_value cd_value_error(cd_ectx *x, cd_type *t, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sets convenience variable $NAME to (a copy of) V. */
int cd_conv_set(cd_ectx *x, const char *name, const cd_value *v);
/* Appends v to the value history ($1, $2...); returns its number. */
int cd_hist_add(cd_ectx *x, const cd_value *v);

/* Formats. */
void cd_format_value(cd_ectx *x, const cd_value *v, const cd_fmtopt *o, bool top, cd_buf *b);
json_object *cd_value_json(cd_ectx *x, const cd_value *v, const cd_fmtopt *o);
void cd_fmtopt_init(cd_fmtopt *o, const cd_scope *sc, char fmt); /* limits from sc (may be NULL) */

/* ---------- symbols ---------- */
/* One variable visible in a frame. */
typedef struct cd_var {
    const char *name;
    Dwarf_Die die;          /* concrete DW_TAG_variable / formal_parameter */
    bool is_param;
    Dwfl_Module *mod;
} cd_var;

/* Locals (is_param false) and parameters of the selected frame, innermost scope first.
 * Returns count or -1 (no frame / no debug info) with err. */
int cd_frame_vars(cd_ectx *x, bool params, bool locals, cd_var **out, cd_err *err);
/* Value of a variable DIE in the selected frame. */
int cd_var_value(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die, cd_value *out);
/* Identifier lookup: locals, then the frame's CU, its module, other modules; functions; enumerators. */
int cd_lookup_ident(cd_ectx *x, const char *name, cd_value *out);
/* Looks a named type up: kind 's','u','e' tags, 't' typedef, 'b' base type. NULL if none. */
cd_type *cd_lookup_type(cd_ectx *x, int kind, const char *name);
/* The selected frame's function is C++ (operators then follow C++: a comparison is a bool). */
bool cd_ectx_is_cxx(cd_ectx *x);
/* Iterates global/static variables of modules with DWARF (exe only unless all). */
typedef int (*cd_global_cb)(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die, const char *name, void *arg);
int cd_for_each_global(cd_ectx *x, bool all_modules, cd_global_cb cb, void *arg);
/* "<sym+off>" for an address in code or a global ("" if none). */
void cd_addr_symbol(cd_ectx *x, uint64_t addr, cd_buf *b);

/* ---------- locations ---------- */
/* Evaluates DW_AT_location (or const_value) of DIE in the frame into a value of TYPE. */
int cd_loc_value(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die, cd_type *type, cd_value *out);
/* TYPE with the variable-length arrays in it given their lengths in the frame (a bound that is a
 * variable or an expression, read where the value lives); TYPE itself when it has none. NULL and
 * x->err set when a bound cannot be read there. */
cd_type *cd_type_resolve(cd_ectx *x, Dwfl_Module *mod, cd_type *type);
/* A C++ base class's address in the object at OBJ (DW_TAG_inheritance INH): its constant offset,
 * or a virtual base's through the object's vtable. */
int cd_loc_base_addr(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *inh, uint64_t obj, uint64_t *out);
/* The base-class subobject (of type BT) of the object V that inheritance INH names. */
int cd_value_base(cd_ectx *x, const cd_value *v, Dwarf_Die *inh, cd_type *bt, cd_value *out);
/* Member NAME of the object V of class S, through base classes, virtual ones included (their
 * place read from the object): 0 found, 1 no such member, -1 error. */
int cd_value_member(cd_ectx *x, const cd_value *v, cd_type *s, const char *name, cd_value *out, int depth);
/* Register of the selected frame (DWARF number). false if unknown. */
bool cd_frame_reg(cd_ectx *x, int regno, uint64_t *val);

/* ---------- session state ---------- */
typedef struct cd_hist {
    cd_type *type;
    uint8_t *bytes;       /* copy of the value (NULL when where != V_BYTES-able) */
    cd_value v;           /* where/lval/addr kept so `&$1`... works for memory values */
} cd_hist;

typedef struct cd_conv {
    char *name;
    cd_value v;           /* bytes owned (persist arena) */
} cd_conv;

typedef struct cd_display {
    int num;
    char *expr;
    char fmt;
} cd_display;

typedef struct cd_modidx cd_modidx;

struct cd_vstate {
    cd_arena types;       /* cd_type objects and their strings */
    cd_arena persist;     /* history/convenience bytes */
    struct { const void *key; cd_type *t; } *tc;
    size_t tc_cap, tc_n;
    cd_type **synth;      /* synthesised base types, looked up by name */
    size_t nsynth;
    cd_hist *hist;
    size_t nhist, hist_cap;
    cd_conv *conv;
    size_t nconv;
    cd_display *disp;
    size_t ndisp;
    int next_disp;
    const void *symtab_key; /* symtab the caches belong to */
    cd_modidx *mods;      /* per-module name indexes (symlook.c) */
    size_t nmods;
    uint64_t x_next;      /* `x` continues here */
    char x_fmt, x_unit;
    long x_count;         /* a bare `x` shows this many units again */
};

void cd_vstate_reset_caches(cd_vstate *vs);
void cd_modidx_free_all(cd_vstate *vs);

#endif
