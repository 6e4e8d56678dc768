/* The trace core (trace.h): patterns → probes → backends → records → events.
 *
 * Evaluating a hit. Each record becomes an instant of a snapshot target (its registers and its
 * stack copy over the live process) and frame 0 of that instant is built here, not unwound: the
 * probe's symbolisation, its parameter DIEs and the rule giving the CFA from the registers
 * (`rsp+8`, `rbp+16`: the CFI row at the probe's pc, looked up once) are precomputed per probe, so
 * a record costs a copy, the register transfer and the value code `print` uses.
 *
 * The red zone. At -O0 a leaf function's prologue spills its argument registers BELOW the stack
 * pointer (`mov [rbp-0x14], edi` with rbp == rsp), and a sample copies the stack from rsp up: the
 * DWARF location of `x` (fbreg -20) would be read from the live process, long after the hit. The
 * spills are replayed instead: the prologue (function entry to the probe) is decoded once, each
 * store of a general register to [rbp/rsp - N] whose register and base are not written again before
 * the probe is kept, and at each hit those bytes are rebuilt from the hit's registers below the
 * copy. The rest of the red zone is denied (a read there fails instead of returning a later
 * value). */
#include "trace/trace.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "arch/arch.h"
#include "control/control.h"
#include "expr/expr.h"
#include "expr/expr_int.h"
#include "unwind/unwind.h"

/* ---- per probe ---- */

#define MAX_SPILLS 16
typedef struct spill {
    int base;       /* DWARF register number of the base: 6 rbp, 7 rsp */
    int64_t disp;
    int src;        /* DWARF register number of the stored register: 0-15, or 17-24 for xmm0-7;
                       SPILL_MEM: a copy of the bytes at [src_base + src_disp] (x87 fld/fstp) */
    int width;      /* bytes */
    int src_base;
    int64_t src_disp;
} spill;
#define SPILL_MEM 64

typedef struct tprobe {
    cd_trace_match m;
    cd_probe p;
    char *func, *module, *path, *file;
    cd_frame tmpl;          /* frame 0 at the probe: symbolisation; registers filled per record */
    bool has_frame;
    cd_var *params;
    int nparams;
    int cfa_reg;            /* DWARF register, -1: unwind the snapshot per record */
    int64_t cfa_off;
    int64_t sp_to_cfa;      /* CFA - sp at the probe (the frame's bytes), -1 when the code does not tell */
    uint64_t param_bytes;   /* an upper bound of the arguments passed on the stack, above the CFA */
    spill spills[MAX_SPILLS];
    int nspills;
    /* The record's xmm0-7 are all the xmm registers a value can be in at the probe: the function
     * names no other xmm register (a record holds no xmm8-15, and they are zeros in the instant).
     * false: xmm values fail to read. */
    bool xmm_ok;
    /* a parameter's location at the probe is an entry value (needs_caller_entry): each record's
     * instant is unwound to the caller, whose call site says what was passed */
    bool entry_caller;
    cd_type *ret_type;      /* NULL: void or unknown */
    bool ret_known;
    cd_trace_backend *b;
    uint64_t shown, dropped_seen;
    /* returns that will never come (--ret): said by the backend (inline: CD_DROP_RETURNS), and
     * calls the core saw left behind, their frames gone (a longjmp, an exception, the kernel's
     * uretprobe nesting limit): the summary gives the larger, as both count the same calls when
     * the backend says it */
    uint64_t lost_ret_said, lost_ret_seen;
    uint64_t running;       /* calls still running at the end, said by the backend (CD_DROP_RUNNING) */
    bool cond_noted;
    /* the compiled plan: one pval per parameter, then one per -e; planned when every one has a plan */
    struct pval *pv;
    bool planned;
    char *ret_tname;        /* the return type's name, made once */
    /* -e expressions that read memory, compiled into reads the backend copies at the hit
     * (cd_probe.reads): xc[i] says what became of -e i (XC_*), xbytes[i] its value's size */
    cd_probe_read *reads;
    cd_probe_read ret_read; /* a returned char pointer's string (cd_probe.ret_reads) */
    uint8_t *xc;
    uint64_t *xbytes;
    uint64_t key;           /* cd_trace_event.key: new at each symbolize */
} tprobe;

/* A value the plan reads straight from a record: the whole of a general register, or the bytes at
 * a register + offset (found in the record's stack copy or in a replayed prologue spill; anywhere
 * else the record takes the general path), of an integer or bool type. */
typedef enum { PV_NONE = 0, PV_REG, PV_MEM } pvkind;
typedef struct pval {
    pvkind kind;
    int reg;                /* DWARF register: PV_REG the value, PV_MEM the base */
    int64_t off;            /* PV_MEM: the address is regs[reg] + off */
    int size;               /* 1, 2, 4, 8 */
    bool is_signed, is_bool;
    bool is_ptr;            /* a pointer (not to a char, not a reference): hex, and the symbol */
    const char *prefix;     /* is_ptr: "(struct req *) ", as `print` writes it at the top (tr->parse_ar) */
} pval;

typedef enum { PLAN_ON, PLAN_OFF, PLAN_CHECK } plan_mode;
#define PTEXT 256

/* Calls in flight per thread (--ret): entry time, and whether the entry was shown. */
typedef struct tcall {
    uint64_t ts;
    uint32_t probe;
    bool shown;
    uint64_t cfa;   /* the call's CFA (its caller's rsp before the call, the rsp after its return);
                       0: not known (no rsp in the record, or the probe's frame size unknown) */
} tcall;
typedef struct tstack {
    pid_t tid;
    tcall *c;
    size_t n, cap;
} tstack;

struct cd_trace {
    cd_target *t;
    cd_symtab *sym;
    cd_trace_opts o;
    cd_vstate *vs;
    cd_arena parse_ar;      /* parsed expressions, the params arrays' names */
    cd_expr *cond;
    cd_expr **exprs;
    tprobe *probes;
    size_t nprobes;
    cd_trace_match *matches; /* for cd_trace_matches: copies of probes[i].m */
    cd_buf notes;
    cd_trace_backend *bk[4]; /* by cd_tb_kind (AUTO unused) */
    bool used[4];           /* bk[k] took at least one probe: only those are armed, polled, disarmed */
    cd_target *snap;
    cd_unwinder *snap_unw;
    uint64_t shown_total;
    bool limit;
    uint64_t dropped_other;
    tstack *ts;
    size_t nts;
    size_t last_ts;
    unsigned char *membuf;
    size_t membuf_cap;
    unsigned char *validbuf; /* set_instant: per byte of membuf, 1 where it holds a value */
    struct user_fpregs_struct fpregs; /* set_instant: the instant's xmm registers */
    size_t validbuf_cap;
    cd_trace_val *vals;
    size_t vals_cap;
    cd_buf *texts;          /* as many as vals */
    cd_trace_render_fn render;
    void *render_arg;
    cd_err *cur_err;
    /* the record being turned into an event: put_value marks what it read after the hit */
    const tprobe *cur_p;
    const cd_trace_rec *cur_r;
    uint64_t reads0;        /* cd_snapshot_base_reads before the value being made */
    plan_mode plan;
    cd_trace_plan_stats ps;
    char (*ptext)[PTEXT];   /* the plan's texts of one record (check mode: beside the general's) */
    size_t ptext_cap;
};

static void note(cd_trace *tr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(cd_trace *tr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cd_buf_vprintf(&tr->notes, fmt, ap);
    va_end(ap);
    cd_buf_puts(&tr->notes, "\n");
}

char *cd_trace_take_notes(cd_trace *tr)
{
    if (!tr->notes.len)
        return NULL;
    char *s = cd_xstrdup(tr->notes.s);
    tr->notes.s[0] = 0;
    tr->notes.len = 0;
    if (s[strlen(s) - 1] == '\n')
        s[strlen(s) - 1] = 0;
    return s;
}

int cd_trace_check_exprs(const char *cond, char *const *exprs, size_t nexprs, cd_err *err)
{
    cd_arena ar = {0};
    int rc = 0;
    for (size_t i = 0; i <= nexprs && rc == 0; i++) {
        const char *src = i < nexprs ? exprs[i] : cond;
        if (!src)
            continue;
        cd_err e;
        cd_err_clear(&e);
        /* Without symbols a `(T)x` cast of a typedef name cannot parse: checked again later. */
        cd_expr *pe = cd_expr_parse(&ar, src, NULL, NULL, &e);
        if (!pe && !strchr(src, '('))
            rc = cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "trace: %s '%s' does not parse: %s",
                          i < nexprs ? "-e" : "--if", src, e.msg);
        else if (cd_expr_has_call(pe))
            rc = cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE,
                          "trace: %s '%s' calls a function: a tracepoint cannot run code in the program (it "
                          "records without stopping it)",
                          i < nexprs ? "-e" : "--if", src);
    }
    cd_arena_free(&ar);
    return rc;
}

cd_trace *cd_trace_new(cd_target *t, cd_symtab *sym, const cd_trace_opts *o, cd_err *err)
{
    cd_trace *tr = cd_xcalloc(1, sizeof *tr);
    tr->t = t;
    tr->sym = sym;
    tr->o = *o;
    tr->vs = cd_vstate_new();
    cd_vstate_use_symtab(tr->vs, sym);
    const char *pm = getenv("CDBG_TRACE_PLAN");
    tr->plan = pm && !strcmp(pm, "off") ? PLAN_OFF : pm && !strcmp(pm, "check") ? PLAN_CHECK : PLAN_ON;
    cd_scope sc = {.target = t, .sym = sym, .vs = tr->vs};
    cd_ectx x;
    cd_ectx_init(&x, &sc, &tr->parse_ar, err);
    if (o->cond) {
        tr->cond = cd_expr_parse(&tr->parse_ar, o->cond, cd_ectx_is_typename, &x, err);
        if (!tr->cond) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "%s", err->msg);
            cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "trace: --if '%s' does not parse: %s", o->cond, m);
            cd_trace_free(tr);
            return NULL;
        }
    }
    tr->exprs = cd_xcalloc(o->nexprs + 1, sizeof *tr->exprs);
    for (size_t i = 0; i < o->nexprs; i++) {
        tr->exprs[i] = cd_expr_parse(&tr->parse_ar, o->exprs[i], cd_ectx_is_typename, &x, err);
        if (!tr->exprs[i]) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "%s", err->msg);
            cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "trace: -e '%s' does not parse: %s", o->exprs[i], m);
            cd_trace_free(tr);
            return NULL;
        }
    }
    return tr;
}

void cd_trace_free(cd_trace *tr)
{
    if (!tr)
        return;
    for (int k = 0; k < 4; k++)
        if (tr->bk[k])
            tr->bk[k]->ops->free(tr->bk[k]);
    for (size_t i = 0; i < tr->nprobes; i++) {
        tprobe *p = &tr->probes[i];
        free(p->func);
        free(p->module);
        free(p->path);
        free(p->file);
        free(p->params);
        free(p->pv);
        free(p->reads);
        free(p->xc);
        free(p->xbytes);
        free(p->ret_tname);
    }
    free(tr->ptext);
    free(tr->probes);
    free(tr->matches);
    for (size_t i = 0; i < tr->nts; i++)
        free(tr->ts[i].c);
    free(tr->ts);
    free(tr->membuf);
    free(tr->validbuf);
    free(tr->vals);
    for (size_t i = 0; i < tr->vals_cap; i++)
        cd_buf_free(&tr->texts[i]);
    free(tr->texts);
    if (tr->snap_unw)
        cd_unwinder_free(tr->snap_unw);
    if (tr->snap)
        cd_target_close(tr->snap);
    cd_buf_free(&tr->notes);
    free(tr->exprs);
    cd_arena_free(&tr->parse_ar);
    cd_vstate_free(tr->vs);
    free(tr);
}

/* ---- resolving patterns ---- */

typedef struct mapping {
    uint64_t lo, hi, off;
    char *path;
} mapping;

static size_t read_maps(pid_t pid, mapping **out)
{
    *out = NULL;
    char fn[64];
    snprintf(fn, sizeof fn, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(fn, "r");
    if (!f)
        return 0;
    size_t n = 0;
    char line[4352];
    while (fgets(line, sizeof line, f)) {
        unsigned long long lo, hi, off;
        char perms[8];
        int pos = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s%n", &lo, &hi, perms, &off, &pos) < 4 || perms[2] != 'x')
            continue;
        char *p = line + pos;
        while (*p == ' ')
            p++;
        p[strcspn(p, "\n")] = 0;
        if (*p != '/')
            continue;
        *out = cd_xrealloc(*out, (n + 1) * sizeof **out);
        (*out)[n++] = (mapping){lo, hi, off, cd_xstrdup(p)};
    }
    fclose(f);
    return n;
}

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

typedef struct fsym {
    const char *name;
    uint64_t addr, size;
    Dwfl_Module *mod;
    const char *modname;
} fsym;

typedef struct modsyms {
    fsym *f;
    size_t n, cap;
} modsyms;

static int collect_mod(Dwfl_Module *mod, void **ud, const char *name, Dwarf_Addr start, void *arg)
{
    (void)ud, (void)start;
    modsyms *ms = arg;
    if (!name || name[0] == '[')
        return DWARF_CB_OK; /* [vdso]: no file for a probe */
    int n = dwfl_module_getsymtab(mod);
    for (int i = 1; i < n; i++) {
        GElf_Sym s;
        GElf_Addr addr;
        GElf_Word shndx;
        const char *sn = dwfl_module_getsym_info(mod, i, &s, &addr, &shndx, NULL, NULL);
        if (!sn || !*sn || GELF_ST_TYPE(s.st_info) != STT_FUNC || s.st_shndx == SHN_UNDEF || !addr)
            continue;
        if (ms->n == ms->cap) {
            ms->cap = ms->cap ? ms->cap * 2 : 1024;
            ms->f = cd_xrealloc(ms->f, ms->cap * sizeof *ms->f);
        }
        ms->f[ms->n++] = (fsym){sn, addr, s.st_size, mod, base_name(name)};
    }
    return DWARF_CB_OK;
}

/* The name a C++ function is shown and matched by: demangled, without its parameter list
 * ("_ZN4shop4Cart3addEi" -> "shop::Cart::add", as the trace line's own parentheses give the
 * arguments); *full gets the whole demangled name ("shop::Cart::add(int)"), which PATTERN may
 * match too. A C name is itself. */
static const char *shown_name(cd_trace *tr, const char *name, char *buf, size_t cap, const char **full)
{
    *full = name;
    if (strncmp(name, "_Z", 2) != 0)
        return name;
    const char *d = cd_symtab_demangle(tr->sym, name);
    *full = d;
    const char *rp = strrchr(d, ')');
    if (!rp)
        return d;
    int depth = 0;
    for (const char *q = rp; q >= d; q--) {
        if (*q == ')')
            depth++;
        else if (*q == '(' && --depth == 0) {
            size_t len = (size_t)(q - d);
            if (!len || len >= cap)
                return d;
            memcpy(buf, d, len);
            buf[len] = 0;
            return buf;
        }
    }
    return d;
}

static bool is_number(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

static size_t levenshtein(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return 99;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < c)
                c = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < c)
                c = d[i][j - 1] + 1;
            d[i][j] = c;
        }
    return d[la][lb];
}

/* "near: work, worker" for a pattern that matched nothing: names within a small edit distance of
 * the pattern's letters, or containing them. */
static void near_names(const modsyms *ms, const char *pat, cd_buf *b)
{
    char key[128];
    size_t k = 0;
    for (const char *p = pat; *p && k < sizeof key - 1; p++)
        if (isalnum((unsigned char)*p) || *p == '_')
            key[k++] = *p;
    key[k] = 0;
    if (!k)
        return;
    const char *best[5];
    size_t bd[5], nb = 0;
    size_t lim = k / 3 + 1;
    for (size_t i = 0; i < ms->n; i++) {
        const char *n = ms->f[i].name;
        size_t d = strstr(n, key) || (strlen(n) >= 3 && strstr(key, n)) ? 1 : levenshtein(key, n);
        if (d > lim)
            continue;
        bool dup = false;
        for (size_t j = 0; j < nb; j++)
            dup |= !strcmp(best[j], n);
        if (dup)
            continue;
        size_t pos = nb;
        while (pos > 0 && bd[pos - 1] > d)
            pos--;
        if (pos >= 5)
            continue;
        if (nb < 5)
            nb++;
        for (size_t j = nb - 1; j > pos; j--) {
            best[j] = best[j - 1];
            bd[j] = bd[j - 1];
        }
        best[pos] = n;
        bd[pos] = d;
    }
    for (size_t j = 0; j < nb; j++)
        cd_buf_printf(b, "%s%s", j ? ", " : "; near: ", best[j]);
}

static bool have_probe(cd_trace *tr, uint64_t addr)
{
    for (size_t i = 0; i < tr->nprobes; i++)
        if (tr->probes[i].p.addr == addr)
            return true;
    return false;
}

/* The probe's symbolisation and frame template, from tr->sym. */
static void symbolize(cd_trace *tr, tprobe *p)
{
    uint64_t addr = p->p.addr, lo = p->p.func_lo;
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(tr->sym, addr, &pi);
    /* A function's probe names its own (outermost) frame; a FILE:LINE one the innermost. */
    const cd_pcinfo *use = &pi[0];
    for (int i = 0; i < n; i++)
        if (!pi[i].inlined && pi[i].func_addr == lo)
            use = &pi[i];
    static _Atomic uint64_t keys;
    p->key = ++keys;
    free(p->file);
    p->file = use->file ? cd_xstrdup(use->file) : NULL;
    p->m.file = p->file;
    p->m.line = use->line;
    p->m.has_debug = use->has_die;
    p->has_frame = false;
    memset(&p->tmpl, 0, sizeof p->tmpl);
    if (use->has_die) {
        p->has_frame = true;
        p->tmpl.info = *use;
        p->tmpl.pc = p->tmpl.lookup_pc = addr;
    }
}

static tprobe *add_probe(cd_trace *tr, const char *func, const char *modname, uint64_t addr, uint64_t lo,
                         uint64_t hi, const mapping *maps, size_t nmaps)
{
    tr->probes = cd_xrealloc(tr->probes, (tr->nprobes + 1) * sizeof *tr->probes);
    tprobe *p = &tr->probes[tr->nprobes];
    memset(p, 0, sizeof *p);
    p->p.id = (uint32_t)tr->nprobes++;
    p->func = cd_xstrdup(func);
    p->module = cd_xstrdup(modname ? modname : "?");
    p->p.addr = addr;
    p->p.func_lo = lo;
    p->p.func_hi = hi;
    p->p.func = p->func;
    p->p.want_return = tr->o.want_return;
    p->p.stack_bytes = 512;
    for (size_t i = 0; i < nmaps; i++)
        if (addr >= maps[i].lo && addr < maps[i].hi) {
            p->path = cd_xstrdup(maps[i].path);
            p->p.file_offset = addr - maps[i].lo + maps[i].off;
            break;
        }
    p->p.module_path = p->path;
    symbolize(tr, p);
    p->p.at_entry = addr == lo;
    return p;
}

/* gcc's hot/cold splitting moves a function's unlikely paths (throws, error exits) into a
 * symbol of their own, "f.cold" ("f.cold.12" in older gccs; demangled "f(int) [clone .cold]"):
 * jumped to from inside f, never called, so a probe there would log one call twice. The other
 * clones (.part.N, .isra.N, .constprop.N) are real entries, called directly. */
static bool cold_fragment(const char *sym)
{
    for (const char *c = strstr(sym, ".cold"); c; c = strstr(c + 1, ".cold"))
        if (c[5] == 0 || c[5] == '.')
            return true;
    return false;
}

static int resolve_line(cd_trace *tr, const char *pat, char *colon, const mapping *maps, size_t nmaps, cd_err *err)
{
    *colon = 0;
    int line = atoi(colon + 1);
    uint64_t *addrs = NULL;
    size_t n = 0;
    int found = 0;
    int rc = cd_symtab_line_addrs(tr->sym, pat, line, &addrs, &n, &found);
    *colon = ':';
    if (rc < 0 || !n) {
        free(addrs);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "trace: no code at %s (no such file or line in any module)", pat);
    }
    if (found != line)
        note(tr, "%s has no code: using line %d", pat, found);
    for (size_t i = 0; i < n; i++) {
        if (have_probe(tr, addrs[i]))
            continue;
        const char *name = NULL;
        uint64_t lo = 0, hi = 0;
        cd_symtab_func_bounds(tr->sym, addrs[i], &name, &lo, &hi);
        const cd_pcinfo *pi;
        cd_symtab_lookup(tr->sym, addrs[i], &pi);
        add_probe(tr, name ? name : pat, pi[0].module, addrs[i], lo, hi, maps, nmaps);
    }
    free(addrs);
    return 0;
}

int cd_trace_resolve(cd_trace *tr, cd_err *err)
{
    mapping *maps;
    size_t nmaps = read_maps(tr->t->pid, &maps);
    modsyms ms = {0};
    dwfl_getmodules(cd_symtab_dwfl(tr->sym), collect_mod, &ms, 0);
    int rc = 0;
    for (size_t pi = 0; pi < tr->o.npatterns && rc == 0; pi++) {
        const char *pat = tr->o.patterns[pi];
        char *copy = cd_xstrdup(pat);
        char *colon = strrchr(copy, ':');
        const char *module = NULL, *re = copy;
        if (colon && is_number(colon + 1)) {
            rc = resolve_line(tr, copy, colon, maps, nmaps, err);
            free(copy);
            continue;
        }
        colon = strchr(copy, ':');
        if (colon && colon[1] != ':') {
            *colon = 0;
            bool known = false;
            for (size_t i = 0; i < ms.n && !known; i++)
                known = !strcmp(ms.f[i].modname, copy);
            if (known) {
                module = copy;
                re = colon + 1;
            } else {
                *colon = ':';
            }
        }
        regex_t rx;
        int e = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
        if (e) {
            char m[256];
            regerror(e, &rx, m, sizeof m);
            rc = cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "trace: pattern '%s' is not a regular expression: %s", pat, m);
            free(copy);
            continue;
        }
        size_t before = tr->nprobes;
        for (size_t i = 0; i < ms.n; i++) {
            fsym *f = &ms.f[i];
            if (module && strcmp(f->modname, module))
                continue;
            if (cold_fragment(f->name))
                continue;
            char sbuf[512];
            const char *full, *shown = shown_name(tr, f->name, sbuf, sizeof sbuf, &full);
            /* a clone (leaf.constprop.0) answers to its source name too, as in gdb */
            size_t bl = cd_sym_base_len(f->name);
            char base[256];
            snprintf(base, sizeof base, "%.*s", (int)(bl < sizeof base ? bl : 0), f->name);
            if (regexec(&rx, shown, 0, NULL, 0) && regexec(&rx, full, 0, NULL, 0) &&
                regexec(&rx, f->name, 0, NULL, 0) && (!bl || regexec(&rx, base, 0, NULL, 0)))
                continue;
            uint64_t addr = cd_symtab_skip_prologue(tr->sym, f->addr);
            if (addr < f->addr || (f->size && addr >= f->addr + f->size))
                addr = f->addr;
            if (have_probe(tr, addr))
                continue;
            add_probe(tr, shown, f->modname, addr, f->addr, f->size ? f->addr + f->size : 0, maps, nmaps);
        }
        regfree(&rx);
        if (tr->nprobes == before) {
            cd_buf b = {0};
            near_names(&ms, re, &b);
            rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "trace: no function matches '%s'%s%s", pat,
                          module ? "" : " in any module", b.len ? b.s : "");
            cd_buf_free(&b);
        }
        free(copy);
    }
    free(ms.f);
    for (size_t i = 0; i < nmaps; i++)
        free(maps[i].path);
    free(maps);
    if (rc < 0)
        return -1;
    tr->matches = cd_xcalloc(tr->nprobes + 1, sizeof *tr->matches);
    for (size_t i = 0; i < tr->nprobes; i++) {
        tprobe *p = &tr->probes[i];
        if (!p->path)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "trace: %s at 0x%llx is in no mapped file", p->func,
                            (unsigned long long)p->p.addr);
        p->m.func = p->func;
        p->m.module = p->module;
        p->m.file = p->file;
        p->m.addr = p->p.addr;
        p->m.func_lo = p->p.func_lo;
        p->m.func_hi = p->p.func_hi;
        tr->matches[i] = p->m;
    }
    return 0;
}

size_t cd_trace_matches(cd_trace *tr, const cd_trace_match **out)
{
    *out = tr->matches;
    return tr->nprobes;
}

/* ---- per-probe precomputation ---- */

/* The CFA at the probe as register + offset, from the CFI row (libdw gives DW_OP_bregN off). */
static void cfa_rule(cd_trace *tr, tprobe *p)
{
    p->cfa_reg = -1;
    if (!p->has_frame || !p->tmpl.info.mod)
        return;
    Dwarf_Addr bias;
    Dwarf_CFI *cfis[2] = {dwfl_module_dwarf_cfi(p->tmpl.info.mod, &bias), NULL};
    Dwarf_Addr bias2;
    cfis[1] = dwfl_module_eh_cfi(p->tmpl.info.mod, &bias2);
    for (int i = 0; i < 2 && p->cfa_reg < 0; i++) {
        if (!cfis[i])
            continue;
        Dwarf_Frame *fr = NULL;
        if (dwarf_cfi_addrframe(cfis[i], p->p.addr - (i ? bias2 : bias), &fr) != 0)
            continue;
        Dwarf_Op *ops;
        size_t nops;
        int fcr = dwarf_frame_cfa(fr, &ops, &nops);
        if (fcr == 0 && nops == 1 && ops[0].atom >= DW_OP_breg0 &&
            ops[0].atom <= DW_OP_breg16) {
            p->cfa_reg = ops[0].atom - DW_OP_breg0;
            p->cfa_off = (int64_t)ops[0].number;
        } else if (fcr == 0 && nops == 1 && ops[0].atom == DW_OP_bregx && ops[0].number < CD_NDWREGS) {
            p->cfa_reg = (int)ops[0].number;
            p->cfa_off = (int64_t)ops[0].number2;
        }
        free(fr);
    }
    (void)tr;
}

static int gpr_dwarf(const char *r, int *width)
{
    static const struct {
        const char *n[4];
        int dw;
    } regs[] = {
        {{"rax", "eax", "ax", "al"}, 0},   {{"rdx", "edx", "dx", "dl"}, 1},   {{"rcx", "ecx", "cx", "cl"}, 2},
        {{"rbx", "ebx", "bx", "bl"}, 3},   {{"rsi", "esi", "si", "sil"}, 4},  {{"rdi", "edi", "di", "dil"}, 5},
        {{"rbp", "ebp", "bp", "bpl"}, 6},  {{"rsp", "esp", "sp", "spl"}, 7},  {{"r8", "r8d", "r8w", "r8b"}, 8},
        {{"r9", "r9d", "r9w", "r9b"}, 9},  {{"r10", "r10d", "r10w", "r10b"}, 10}, {{"r11", "r11d", "r11w", "r11b"}, 11},
        {{"r12", "r12d", "r12w", "r12b"}, 12}, {{"r13", "r13d", "r13w", "r13b"}, 13}, {{"r14", "r14d", "r14w", "r14b"}, 14},
        {{"r15", "r15d", "r15w", "r15b"}, 15},
    };
    static const int w[4] = {8, 4, 2, 1};
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        for (int k = 0; k < 4; k++)
            if (!strcmp(r, regs[i].n[k])) {
                if (width)
                    *width = w[k];
                return regs[i].dw;
            }
    return -1;
}

/* DWARF 17-32: xmm0-15 (and their ymm/zmm names), else -1. */
static int xmm_dwarf(const char *r)
{
    int k;
    char tail;
    if ((r[0] == 'x' || r[0] == 'y' || r[0] == 'z') && !strncmp(r + 1, "mm", 2) &&
        sscanf(r + 3, "%d%c", &k, &tail) == 1 && k >= 0 && k < 32)
        return k < 16 ? 17 + k : 99; /* xmm16-31 (AVX-512): not a DWARF 17-32 register, but written */
    return -1;
}

/* The register an Intel-syntax instruction writes first (its first operand), or -1. */
static int dest_reg(const cd_insn *in)
{
    char r[16];
    if (sscanf(in->ops, "%15[a-z0-9]", r) != 1)
        return -1;
    int x = xmm_dwarf(r);
    return x >= 0 ? x : gpr_dwarf(r, NULL);
}

/* The bytes of an Intel-syntax memory operand's size ("qword"), or 0. */
static int ptr_width(const char *size)
{
    static const char *const n[] = {"byte", "word", "dword", "qword", "xmmword"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(size, n[i]))
            return 1 << i;
    return !strcmp(size, "tbyte") || !strcmp(size, "xword") ? 10 : 0;
}

/* A store of a whole xmm register's low bytes to memory, whose width is the operand's size. */
static bool xmm_store(const char *mn)
{
    static const char *const n[] = {"movsd", "movss", "movq", "movd", "movaps", "movapd", "movups", "movupd",
                                    "movdqa", "movdqu", "movlps", "movlpd"};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        if (!strcmp(mn, n[i]))
            return true;
    return false;
}

/* Whether function [lo, hi) names no xmm register beyond xmm7 (ymm, zmm included): a variable of
 * its is in one only after an instruction of its own put it there (at its entry xmm8-15 hold its
 * callers' values, which no location of its describes). false when it cannot be decoded. */
static bool only_xmm0_7(cd_trace *tr, cd_x86 *x86, uint64_t lo, uint64_t hi)
{
    if (!x86 || !lo || hi <= lo || hi - lo > 65536)
        return false;
    uint8_t *code = cd_xmalloc(hi - lo);
    bool ok = cd_target_read(tr->t, lo, code, hi - lo) == (ssize_t)(hi - lo);
    for (uint64_t a = lo; ok && a < hi;) {
        cd_insn in;
        if (!cd_x86_decode(x86, code + (a - lo), hi - a, a, &in) || in.kind == CD_INSN_BAD) {
            ok = false;
            break;
        }
        for (const char *o = in.ops; (o = strpbrk(o, "xyz")) != NULL; o++) {
            char r[8];
            if (sscanf(o, "%7[a-z0-9]", r) == 1 && xmm_dwarf(r) > 24)
                ok = false;
        }
        a += in.len;
    }
    free(code);
    return ok;
}

static void find_spills(cd_trace *tr, tprobe *p, cd_x86 *x86)
{
    uint64_t lo = p->p.func_lo, hi = p->p.addr;
    p->nspills = 0;
    p->xmm_ok = only_xmm0_7(tr, x86, lo, p->p.func_hi);
    if (!x86 || !lo || hi <= lo || hi - lo > 96)
        return;
    uint8_t code[96];
    if (cd_target_read(tr->t, lo, code, hi - lo) != (ssize_t)(hi - lo))
        return;
    cd_insn ins[48];
    int n = 0;
    for (uint64_t a = lo; a < hi && n < 48;) {
        if (!cd_x86_decode(x86, code + (a - lo), hi - a, a, &ins[n]) || ins[n].kind == CD_INSN_BAD)
            return;
        if (ins[n].kind != CD_INSN_OTHER)
            return; /* a branch in the prologue: not a straight line to replay */
        a += ins[n].len;
        n++;
    }
    for (int i = 0; i < n && p->nspills < MAX_SPILLS; i++) {
        char size[8], base[8], sign, src[8], size2[8], base2[8], sign2;
        long long disp, disp2;
        /* clang -O0 copies a long double argument from the caller's frame (in the record's copy)
         * below sp: `fld tbyte ptr [rbp + 0x10]; fstp tbyte ptr [rbp - 0x10]` */
        if (!strcmp(ins[i].mnemonic, "fld") && i + 1 < n && !strcmp(ins[i + 1].mnemonic, "fstp") &&
            sscanf(ins[i].ops, "%7s ptr [%7[a-z] %c %lli]", size, base, &sign, &disp) == 4 &&
            sscanf(ins[i + 1].ops, "%7s ptr [%7[a-z] %c %lli]", size2, base2, &sign2, &disp2) == 4 &&
            !strcmp(size, size2) && ptr_width(size) && disp >= 0 && disp2 >= 0 && strchr("+-", sign) &&
            strchr("+-", sign2)) {
            int sb = gpr_dwarf(base, NULL), b = gpr_dwarf(base2, NULL);
            bool clobbered = (sb != 6 && sb != 7) || (b != 6 && b != 7);
            for (int j = i + 2; j < n && !clobbered; j++) {
                int d = dest_reg(&ins[j]);
                clobbered = d == sb || d == b || ((b == 7 || sb == 7) && (!strcmp(ins[j].mnemonic, "push") ||
                                                                          !strcmp(ins[j].mnemonic, "pop")));
            }
            /* a long double's 16-byte slot: its 6 bytes of padding come along, as the value reads 16 */
            int w = ptr_width(size) == 10 ? 16 : ptr_width(size);
            if (!clobbered)
                p->spills[p->nspills++] = (spill){b, sign2 == '-' ? -(int64_t)disp2 : (int64_t)disp2, SPILL_MEM, w,
                                                  sb, sign == '-' ? -(int64_t)disp : (int64_t)disp};
            continue;
        }
        bool gpr = !strcmp(ins[i].mnemonic, "mov");
        if (!gpr && !xmm_store(ins[i].mnemonic))
            continue;
        if (sscanf(ins[i].ops, "%7s ptr [%7[a-z] %c %lli], %7[a-z0-9]", size, base, &sign, &disp, src) != 5 || disp < 0)
            continue;
        int b = gpr_dwarf(base, NULL), width = 0, s = gpr ? gpr_dwarf(src, &width) : xmm_dwarf(src);
        if (!gpr) {
            /* only xmm0-7 are in a record */
            width = ptr_width(size);
            if (s > 24 || !width || width > 16)
                s = -1;
        }
        if ((b != 6 && b != 7) || s < 0 || (sign != '-' && sign != '+'))
            continue;
        bool clobbered = false;
        for (int j = i + 1; j < n && !clobbered; j++) {
            int d = dest_reg(&ins[j]);
            clobbered = d == s || d == b || (b == 7 && (!strcmp(ins[j].mnemonic, "push") || !strcmp(ins[j].mnemonic, "pop")));
        }
        if (clobbered)
            continue;
        p->spills[p->nspills++] = (spill){b, sign == '-' ? -(int64_t)disp : (int64_t)disp, s, width, 0, 0};
    }
}

/* Does a parameter's location at the probe take an entry value (DW_OP_entry_value: gcc and clang
 * describe a parameter so once its register is reused)? Past the function's entry the record
 * cannot tell it (loc.c reads the registers as entry values at the entry pc only): the caller's
 * call site can. */
static bool needs_caller_entry(const tprobe *p)
{
    if (p->p.addr == p->p.func_lo)
        return false;
    for (int i = 0; i < p->nparams; i++) {
        Dwarf_Attribute a;
        Dwarf_Op *ops;
        size_t len;
        Dwarf_Addr bias = 0;
        if (!p->params[i].mod || !dwfl_module_getdwarf(p->params[i].mod, &bias) ||
            !dwarf_attr(&p->params[i].die, DW_AT_location, &a) ||
            dwarf_getlocation_addr(&a, p->p.addr - bias, &ops, &len, 1) != 1)
            continue;
        for (size_t k = 0; k < len; k++)
            if (ops[k].atom == DW_OP_entry_value || ops[k].atom == DW_OP_GNU_entry_value)
                return true;
    }
    return false;
}

/* What the symbols say: the parameters and the return type (again after cd_trace_rebase). */
static void prepare_syms(cd_trace *tr, tprobe *p)
{
    free(p->params);
    p->params = NULL;
    p->nparams = 0;
    p->ret_type = NULL;
    p->ret_known = false;
    p->entry_caller = false;
    if (!p->has_frame)
        return;
    cd_scope sc = {.target = tr->t, .sym = tr->sym, .frame = &p->tmpl, .frames = &p->tmpl, .nframes = 1, .vs = tr->vs};
    cd_err e;
    cd_ectx x;
    cd_ectx_init(&x, &sc, &tr->parse_ar, &e);
    cd_var *v = NULL;
    int n = cd_frame_vars(&x, true, false, &v, &e);
    if (n > 0) {
        p->params = v;
        p->nparams = n;
    } else {
        free(v);
    }
    p->entry_caller = needs_caller_entry(p);
    /* The return type: DW_AT_type of the function's DIE (none: void). */
    Dwarf_Die fd = p->tmpl.info.scope_die;
    if (dwarf_tag(&fd) == DW_TAG_subprogram) {
        Dwarf_Attribute a;
        p->ret_known = true;
        Dwarf_Die td;
        if (dwarf_attr_integrate(&fd, DW_AT_type, &a) && dwarf_formref_die(&a, &td))
            p->ret_type = cd_type_from_die(tr->vs, &td);
    }
}

/* ---- the compiled plan ---- */

static bool var_loc(tprobe *p, Dwfl_Module *mod, Dwarf_Die *die, pval *out);

/* A value's plan from its DIE: its type (an integer that is not a char, or a bool) and its
 * location at the probe's pc (one operation: a register, register + offset, or frame base +
 * offset with the frame base the CFA or a register). false: the general path evaluates it. */
static bool plan_var(cd_trace *tr, tprobe *p, Dwfl_Module *mod, Dwarf_Die *die, pval *out)
{
    memset(out, 0, sizeof *out);
    Dwarf_Attribute a;
    Dwarf_Die td;
    if (!mod || !dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &a), &td))
        return false;
    cd_type *decl = cd_type_from_die(tr->vs, &td), *t = cd_type_strip(decl);
    if (!t || (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8))
        return false;
    if (t->kind == TY_BOOL && t->size == 1) {
        out->is_bool = true;
    } else if (t->kind == TY_PTR && t->size == 8 && !t->ref) {
        /* a char pointer's text is the string it points to, read from the process: general */
        cd_type *tt = cd_type_strip(t->target);
        if (tt && cd_type_is_charlike(tt))
            return false;
        out->is_ptr = true;
        if (tt) {
            cd_buf b = {0};
            cd_buf_puts(&b, "(");
            cd_type_name(tr->vs, decl, &b);
            cd_buf_puts(&b, ") ");
            out->prefix = cd_arena_strdup(&tr->parse_ar, cd_buf_str(&b));
            cd_buf_free(&b);
        }
    } else if (t->kind != TY_INT || t->is_char) {
        return false;
    }
    out->size = (int)t->size;
    out->is_signed = t->is_signed && !out->is_bool;
    return var_loc(p, mod, die, out);
}

/* Where a variable is at the probe's pc: out->kind PV_REG (in register out->reg) or PV_MEM (at
 * out->reg's value + out->off), from one location operation. false: anything else. */
static bool var_loc(tprobe *p, Dwfl_Module *mod, Dwarf_Die *die, pval *out)
{
    Dwarf_Attribute a;
    Dwarf_Addr bias = 0;
    dwfl_module_getdwarf(mod, &bias);
    if (!dwarf_attr(die, DW_AT_location, &a))
        return false; /* a constant or optimized out: rare enough for the general path */
    Dwarf_Op *ops;
    size_t len;
    if (dwarf_getlocation_addr(&a, p->p.addr - bias, &ops, &len, 1) != 1 || len != 1)
        return false;
    unsigned at = ops[0].atom;
    if (at >= DW_OP_reg0 && at <= DW_OP_reg15) {
        out->kind = PV_REG;
        out->reg = (int)(at - DW_OP_reg0);
    } else if (at >= DW_OP_breg0 && at <= DW_OP_breg15) {
        out->kind = PV_MEM;
        out->reg = (int)(at - DW_OP_breg0);
        out->off = (int64_t)ops[0].number;
    } else if (at == DW_OP_fbreg) {
        Dwarf_Die fn = p->tmpl.info.scope_die;
        Dwarf_Op *fo;
        size_t fl;
        if (!p->has_frame || dwarf_tag(&fn) != DW_TAG_subprogram || !dwarf_attr_integrate(&fn, DW_AT_frame_base, &a) ||
            dwarf_getlocation_addr(&a, p->p.addr - bias, &fo, &fl, 1) != 1 || fl != 1)
            return false;
        unsigned fa = fo[0].atom;
        out->kind = PV_MEM;
        out->off = (int64_t)ops[0].number;
        if (fa == DW_OP_call_frame_cfa && p->cfa_reg >= 0 && p->cfa_reg < 16) {
            out->reg = p->cfa_reg;
            out->off += p->cfa_off;
        } else if (fa >= DW_OP_reg0 && fa <= DW_OP_reg15) {
            out->reg = (int)(fa - DW_OP_reg0);
        } else if (fa >= DW_OP_breg0 && fa <= DW_OP_breg15) {
            out->reg = (int)(fa - DW_OP_breg0);
            out->off += (int64_t)fo[0].number;
        } else {
            out->kind = PV_NONE;
            return false;
        }
    } else {
        return false;
    }
    return true;
}

/* Plans every value of p (after prepare_syms). A -e is planned when it is a bare name that the
 * general lookup resolves to one of the parameters (the innermost variable of that name is it). */
static void plan_probe(cd_trace *tr, tprobe *p)
{
    free(p->pv);
    p->pv = NULL;
    p->planned = false;
    free(p->ret_tname);
    p->ret_tname = NULL;
    if (p->ret_type) {
        cd_buf tb = {0};
        cd_type_name(tr->vs, p->ret_type, &tb);
        p->ret_tname = cd_xstrdup(cd_buf_str(&tb));
        cd_buf_free(&tb);
    }
    if (tr->plan == PLAN_OFF || tr->cond)
        return;
    size_t n = (size_t)p->nparams + tr->o.nexprs;
    p->pv = cd_xcalloc(n + 1, sizeof *p->pv);
    bool all = true;
    for (int i = 0; i < p->nparams; i++)
        all &= plan_var(tr, p, p->params[i].mod, &p->params[i].die, &p->pv[i]);
    cd_var *vars = NULL;
    int nvars = -1;
    for (size_t i = 0; i < tr->o.nexprs && all; i++) {
        const cd_expr *e = tr->exprs[i];
        all = false;
        if (e->kind != E_IDENT || !p->has_frame)
            break;
        if (nvars < 0) {
            cd_scope sc = {.target = tr->t, .sym = tr->sym, .frame = &p->tmpl, .frames = &p->tmpl, .nframes = 1,
                           .vs = tr->vs};
            cd_err ee;
            cd_ectx x;
            cd_arena ar = {0};
            cd_ectx_init(&x, &sc, &ar, &ee);
            nvars = cd_frame_vars(&x, true, true, &vars, &ee);
            cd_arena_free(&ar);
        }
        for (int k = 0; k < nvars; k++) {
            if (!vars[k].name || strcmp(vars[k].name, e->str))
                continue;
            for (int j = 0; j < p->nparams && vars[k].is_param; j++)
                if (dwarf_dieoffset(&p->params[j].die) == dwarf_dieoffset(&vars[k].die) && p->pv[j].kind) {
                    p->pv[(size_t)p->nparams + i] = p->pv[j];
                    all = true;
                }
            break; /* the innermost of that name is the one a lookup finds */
        }
    }
    free(vars);
    p->planned = all;
    if (all)
        tr->ps.planned_probes++;
}

/* The stack bytes a planned probe needs copied: its rsp-relative values'; others keep the default. */
/* The stack copy a probe asks for. Unplanned (any value the general path reads), the whole frame
 * at the hit and the arguments above it, so that a by-value struct or a local is read as it was at
 * the hit: up to CD_TRACE_MAX_STACK (set_instant makes a read past the copy in that range fail). */
static uint32_t plan_stack(const cd_trace *tr, const tprobe *p)
{
    if (!p->planned) {
        uint64_t need = 512;
        if (p->sp_to_cfa >= 0 && (uint64_t)p->sp_to_cfa + p->param_bytes > need)
            need = (uint64_t)p->sp_to_cfa + p->param_bytes;
        if (p->sp_to_cfa < 0 && p->param_bytes + 512 > need)
            need = p->param_bytes + 512;
        return need > CD_TRACE_MAX_STACK ? CD_TRACE_MAX_STACK : (uint32_t)need;
    }
    uint32_t need = 0;
    for (size_t i = 0; i < (size_t)p->nparams + tr->o.nexprs; i++) {
        const pval *v = &p->pv[i];
        if (v->kind != PV_MEM)
            continue;
        if (v->reg != 7 || v->off < 0 || v->off > 4096)
            return 512;
        if ((uint32_t)v->off + (uint32_t)v->size > need)
            need = (uint32_t)v->off + (uint32_t)v->size;
    }
    return need;
}

/* A planned probe whose values are all whole registers needs nothing else of an entry record: the
 * backend may record those registers alone (the inline backend's compact record). */
static void plan_regs_needed(const cd_trace *tr, tprobe *p)
{
    p->p.regs_only = false;
    p->p.reg_mask = 0;
    if (!p->planned || tr->plan == PLAN_OFF || tr->cond)
        return;
    uint32_t mask = 0;
    for (size_t i = 0; i < (size_t)p->nparams + tr->o.nexprs; i++) {
        const pval *v = &p->pv[i];
        if (v->kind != PV_REG || v->reg < 0 || v->reg > 15)
            return;
        mask |= 1u << v->reg;
    }
    p->p.regs_only = true;
    p->p.reg_mask = mask;
}

static void plan_regs(const cd_trace_rec *r, uint64_t v[CD_NDWREGS])
{
    const cd_regs *g = &r->regs;
    v[0] = g->rax, v[1] = g->rdx, v[2] = g->rcx, v[3] = g->rbx, v[4] = g->rsi, v[5] = g->rdi, v[6] = g->rbp;
    v[7] = g->rsp, v[8] = g->r8, v[9] = g->r9, v[10] = g->r10, v[11] = g->r11, v[12] = g->r12, v[13] = g->r13;
    v[14] = g->r14, v[15] = g->r15, v[16] = g->rip;
}

/* The bytes of one planned value, as the snapshot would give them: the stack copy, or a prologue
 * spill replayed below it (set_instant's rules). false: somewhere else (the general path). */
static bool plan_bytes(const tprobe *p, const pval *v, const cd_trace_rec *r, const uint64_t regs[CD_NDWREGS],
                       uint8_t out[8])
{
    if (v->kind == PV_REG) {
        memcpy(out, &regs[v->reg], 8);
        return true;
    }
    uint64_t a = regs[v->reg] + (uint64_t)v->off, n = (uint64_t)v->size;
    if (a >= r->stack_addr && a + n <= r->stack_addr + r->stack_len && a + n > a) {
        memcpy(out, (const uint8_t *)r->stack + (a - r->stack_addr), n);
        return true;
    }
    if (a + n > r->stack_addr || a + 128 < r->regs.rsp)
        return false;
    /* below the copy: only bytes that one spill rebuilt (the later spill wins, as in set_instant) */
    int got = -1;
    for (int i = 0; i < p->nspills; i++) {
        const spill *s = &p->spills[i];
        uint64_t sa = regs[s->base] + (uint64_t)s->disp, se = sa + (uint64_t)s->width;
        if (se <= a || sa >= a + n)
            continue;
        if (sa + 128 < r->regs.rsp || se > r->stack_addr || sa > a || se < a + n)
            return false; /* not replayed, or covering part of the value only */
        got = i;
    }
    if (got < 0)
        return false;
    const spill *s = &p->spills[got];
    if (s->src >= CD_NDWREGS)
        return false; /* an xmm register's spill: the general path rebuilds it */
    uint64_t sa = regs[s->base] + (uint64_t)s->disp;
    memcpy(out, (const uint8_t *)&regs[s->src] + (a - sa), n);
    return true;
}


/* A planned value's text, the same in text and JSON (`print` and json-c write an integer in
 * decimal, a bool 0/1 as false/true); a pointer as `print` shows it ("(struct req *) 0x7ffd...",
 * " <sym+off>" when the address is a symbol's) or, in JSON, as its "0x..." string. false: the
 * general path formats this one. */
static bool plan_text(cd_trace *tr, const pval *v, const uint8_t b[8], char out[PTEXT])
{
    uint64_t u = 0;
    memcpy(&u, b, (size_t)v->size);
    if (v->is_ptr) {
        char hex[24];
        int n = snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)u);
        if (tr->o.json)
            return snprintf(out, PTEXT, "\"%s\"", hex) < PTEXT;
        const char *name = NULL;
        uint64_t off = 0;
        char sym[PTEXT] = "";
        if (u && cd_symtab_addr_symbol(tr->sym, u, &name, &off) && name)
            snprintf(sym, sizeof sym, off ? " <%s+%llu>" : " <%s>", name, (unsigned long long)off);
        (void)n;
        return snprintf(out, PTEXT, "%s%s%s", v->prefix ? v->prefix : "", hex, sym) < PTEXT;
    }
    if (v->is_bool) {
        if (u > 1)
            return false;
        memcpy(out, u ? "true" : "false", u ? 5 : 6);
        return true;
    }
    if (v->is_signed && v->size < 8 && (u >> (v->size * 8 - 1)) & 1)
        u |= ~(uint64_t)0 << (v->size * 8);
    if (v->is_signed && (int64_t)u < 0) {
        out[0] = '-';
        cd_u64_dec((uint64_t)0 - u, out + 1);
    } else {
        cd_u64_dec(u, out);
    }
    return true;
}

/* Every value of a planned probe's record into tr->ptext. false: one of them needs the general path. */
static bool plan_record(cd_trace *tr, const tprobe *p, const cd_trace_rec *r, size_t nv)
{
    if (nv > tr->ptext_cap) {
        tr->ptext = cd_xrealloc(tr->ptext, nv * sizeof *tr->ptext);
        tr->ptext_cap = nv;
    }
    uint64_t regs[CD_NDWREGS];
    plan_regs(r, regs);
    for (size_t i = 0; i < nv; i++) {
        uint8_t b[8];
        if (!plan_bytes(p, &p->pv[i], r, regs, b) || !plan_text(tr, &p->pv[i], b, tr->ptext[i]))
            return false;
    }
    return true;
}

void cd_trace_plan_stats_get(const cd_trace *tr, cd_trace_plan_stats *out)
{
    *out = tr->ps;
}

/* ---- reads copied at the hit ---- */

/* What became of one -e at one probe. */
enum { XC_NONE = 0, /* it reads no memory */
       XC_OK,       /* compiled: the backend copies what it reads at the hit */
       XC_NO,       /* not of a form the reads express (a call, an index that is not a constant...) */
       XC_BIG,      /* its value is larger than CD_TRACE_READ_MAX */
       XC_TOTAL };  /* the -e before it took the record's CD_TRACE_READS_MAX */

/* A place the reads reach: regs[reg], then `ld` loads (cur = *(u64 *)(cur + ld[k])), then + off. */
#define RLOC_LOADS 6
typedef struct rloc {
    int reg;
    int n;
    int64_t ld[RLOC_LOADS];
    int64_t off;
} rloc;

typedef struct rctx {
    cd_trace *tr;
    tprobe *p;
    cd_var *vars;
    int nvars;
    cd_arena ar;
} rctx;

static cd_type *rc_lval(rctx *c, const cd_expr *e, rloc *l, int depth);

/* The probe's variables, looked up once (only for a probe that has reads to compile). */
static void rc_vars(rctx *c)
{
    if (c->nvars >= 0)
        return;
    tprobe *p = c->p;
    cd_scope sc = {.target = c->tr->t, .sym = c->tr->sym, .frame = &p->tmpl, .frames = &p->tmpl, .nframes = 1,
                   .vs = c->tr->vs};
    cd_err ee;
    cd_ectx x;
    cd_ectx_init(&x, &sc, &c->ar, &ee);
    c->nvars = cd_frame_vars(&x, true, true, &c->vars, &ee);
    if (c->nvars < 0)
        c->nvars = 0;
}

/* A variable of the probe's scope (the innermost of that name, as a lookup finds it): its type,
 * and where it is (*inreg: in register l->reg; else at l->reg + l->off). */
static cd_type *rc_var(rctx *c, const char *name, rloc *l, bool *inreg)
{
    for (int k = 0; k < c->nvars; k++) {
        if (!c->vars[k].name || strcmp(c->vars[k].name, name))
            continue;
        pval v;
        memset(&v, 0, sizeof v);
        if (!var_loc(c->p, c->vars[k].mod, &c->vars[k].die, &v) || v.reg < 0 || v.reg > 16)
            return NULL;
        memset(l, 0, sizeof *l);
        l->reg = v.reg;
        *inreg = v.kind == PV_REG;
        l->off = *inreg ? 0 : v.off;
        return cd_type_of_die(c->tr->vs, &c->vars[k].die);
    }
    /* a global or static: at a fixed address (reg -2: the chain starts at 0 + off). The name's
     * lookup in the probe's scope must find the same object as the global one (not a C++
     * member of `this` of that name) */
    if (!c->tr->t || !c->p->has_frame || strlen(name) > 200)
        return NULL;
    cd_scope sc = {.target = c->tr->t, .sym = c->tr->sym, .frame = &c->p->tmpl, .frames = &c->p->tmpl, .nframes = 1,
                   .vs = c->tr->vs};
    cd_err ee;
    cd_ectx x;
    cd_ectx_init(&x, &sc, &c->ar, &ee);
    cd_value v1, v2;
    char qn[210];
    snprintf(qn, sizeof qn, "::%s", name);
    if (cd_lookup_ident(&x, name, &v1) < 0 || cd_lookup_ident(&x, qn, &v2) < 0 || v1.where != V_MEM ||
        v2.where != V_MEM || v1.addr != v2.addr || v1.type != v2.type || v1.bitsize || !v1.addr)
        return NULL;
    memset(l, 0, sizeof *l);
    l->reg = -2;
    l->off = (int64_t)v1.addr;
    *inreg = false;
    return v1.type;
}

/* l becomes the pointer value e has (the pointer's type returned, stripped), or NULL. */
static cd_type *rc_ptr(rctx *c, const cd_expr *e, rloc *l, int depth)
{
    if (depth > 16)
        return NULL;
    cd_type *t;
    if (e->kind == E_IDENT) {
        bool inreg = false;
        t = cd_type_strip(rc_var(c, e->str, l, &inreg));
        if (!t)
            return NULL;
        if (t->kind == TY_PTR && !t->ref && t->size == 8) {
            if (inreg)
                return t;
            /* a slot the prologue stored a register in that still holds it (-O0): that register */
            for (int i = c->p->nspills - 1; i >= 0; i--) {
                const spill *sp = &c->p->spills[i];
                if (sp->base == l->reg && sp->disp == l->off && sp->width == 8 && sp->src >= 0 && sp->src < 16) {
                    l->reg = sp->src;
                    l->off = 0;
                    return t;
                }
            }
            l->ld[l->n++] = l->off;
            l->off = 0;
            return t;
        }
        if (t->kind == TY_ARRAY && !inreg && t->target)
            return cd_type_strip(cd_type_ptr(c->tr->vs, t->target));
        return NULL;
    }
    t = cd_type_strip(rc_lval(c, e, l, depth + 1));
    if (!t)
        return NULL;
    if (t->kind == TY_PTR && !t->ref && t->size == 8) {
        if (l->n >= RLOC_LOADS)
            return NULL;
        l->ld[l->n++] = l->off;
        l->off = 0;
        return t;
    }
    if (t->kind == TY_ARRAY && t->target)
        return cd_type_strip(cd_type_ptr(c->tr->vs, t->target));
    return NULL;
}

/* l becomes the address of the object e names (its type returned), or NULL. */
static cd_type *rc_lval(rctx *c, const cd_expr *e, rloc *l, int depth)
{
    if (!e || depth > 16)
        return NULL;
    cd_type *pt, *st;
    cd_member m;
    switch (e->kind) {
    case E_IDENT: {
        bool inreg = false;
        cd_type *t = rc_var(c, e->str, l, &inreg);
        return inreg ? NULL : t;
    }
    case E_UNARY:
        if (e->op != OP_DEREF || !(pt = rc_ptr(c, e->a, l, depth + 1)))
            return NULL;
        return pt->target;
    case E_ARROW:
    case E_MEMBER:
        if (e->kind == E_ARROW) {
            if (!(pt = rc_ptr(c, e->a, l, depth + 1)))
                return NULL;
            st = cd_type_strip(pt->target);
        } else {
            st = cd_type_strip(rc_lval(c, e->a, l, depth + 1));
        }
        if (!st || (st->kind != TY_STRUCT && st->kind != TY_UNION) ||
            !cd_type_find_member(c->tr->vs, st, e->str, &m, &c->ar) || m.bitsize)
            return NULL;
        l->off += (int64_t)m.offset;
        return m.type;
    case E_INDEX: {
        if (!e->b || e->b->kind != E_INT || e->b->ival > 1000000 || !(pt = rc_ptr(c, e->a, l, depth + 1)))
            return NULL;
        uint64_t sz = cd_type_size(pt->target);
        if (!sz)
            return NULL;
        l->off += (int64_t)(sz * (uint64_t)e->b->ival);
        return pt->target;
    }
    default:
        return NULL;
    }
}

static bool expr_reads_memory(const cd_expr *e);

/* Bytes of a string copied at the hit: `print`'s 200 and one more, which tells whether it goes on
 * ("..."): a char pointer's text then comes from the copy alone. */
#define STR_COPY 201u

/* The reads of one lvalue into p->reads: XC_OK, or why not (xbytes: its size). */
typedef struct rout {
    size_t n, cap;
    uint32_t total;
    uint64_t xbytes;
} rout;

static int rc_emit(rctx *c, const cd_expr *e, rout *o)
{
    tprobe *p = c->p;
    rloc l;
    memset(&l, 0, sizeof l);
    cd_type *t = rc_lval(c, e, &l, 0);
    uint64_t sz = t ? cd_type_size(t) : 0;
    if (!t || !sz)
        return XC_NO;
    if (!o->xbytes)
        o->xbytes = sz;
    cd_type *st = cd_type_strip(t);
    bool str = st && st->kind == TY_PTR && !st->ref && st->target && cd_type_is_charlike(cd_type_strip(st->target));
    if (sz > CD_TRACE_READ_MAX) {
        o->xbytes = sz;
        return XC_BIG;
    }
    /* the steps' bytes: every load's 8, the value, and a string's bytes after its pointer */
    uint32_t bytes = 8u * (uint32_t)l.n + (uint32_t)sz + (str ? STR_COPY : 0);
    if (o->total + bytes > CD_TRACE_READS_MAX)
        return XC_TOTAL;
    o->total += bytes;
    if (o->n + (size_t)l.n + 2 > o->cap) {
        o->cap = o->cap * 2 + (size_t)l.n + 8;
        p->reads = cd_xrealloc(p->reads, o->cap * sizeof *p->reads);
    }
    for (int k = 0; k < l.n; k++)
        p->reads[o->n++] = (cd_probe_read){.reg = (int8_t)(k ? -1 : l.reg), .load = true, .len = 8, .off = l.ld[k]};
    p->reads[o->n++] = (cd_probe_read){.reg = (int8_t)(l.n ? -1 : l.reg), .load = str, .len = (uint32_t)sz, .off = l.off};
    if (str)
        p->reads[o->n++] = (cd_probe_read){.reg = -1, .load = false, .len = STR_COPY, .off = 0};
    return XC_OK;
}

/* The string a char pointer named by e points to (an argument, `-e s`), copied at the hit: the
 * pointer's reads, then STR_COPY bytes where it points. Two names of one pointer (the argument
 * `s` and `-e s`) copy it once: done[] holds the chains made. Nothing when the record's
 * CD_TRACE_READS_MAX has no room left for it: its text is then "<not copied at the hit>". */
static void rc_str(rctx *c, const cd_expr *e, rout *o, rloc *done, size_t *ndone, size_t cap)
{
    tprobe *p = c->p;
    rloc l;
    bool inreg;
    rc_vars(c);
    memset(&l, 0, sizeof l);
    cd_type *t = cd_type_strip(rc_var(c, e->str, &l, &inreg));
    if (!t || t->kind != TY_PTR || t->ref || !t->target || !cd_type_is_charlike(cd_type_strip(t->target)))
        return;
    memset(&l, 0, sizeof l);
    if (!rc_ptr(c, e, &l, 0))
        return;
    for (size_t k = 0; k < *ndone; k++)
        if (!memcmp(&done[k], &l, sizeof l))
            return;
    uint32_t bytes = 8u * (uint32_t)l.n + STR_COPY;
    if (*ndone >= cap || o->total + bytes > CD_TRACE_READS_MAX)
        return;
    o->total += bytes;
    done[(*ndone)++] = l;
    if (o->n + (size_t)l.n + 2 > o->cap) {
        o->cap = o->cap * 2 + (size_t)l.n + 8;
        p->reads = cd_xrealloc(p->reads, o->cap * sizeof *p->reads);
    }
    for (int k = 0; k < l.n; k++)
        p->reads[o->n++] = (cd_probe_read){.reg = (int8_t)(k ? -1 : l.reg), .load = true, .len = 8, .off = l.ld[k]};
    p->reads[o->n++] = (cd_probe_read){.reg = (int8_t)(l.n ? -1 : l.reg), .load = false, .len = STR_COPY, .off = l.off};
}

/* Every memory read of e that a read chain expresses, the largest first: e itself when it is such
 * an lvalue, else its operands (`r->x + r->next->x`, `--if 'r->id > 5'`). XC_OK when every read
 * e makes is covered, else why not (the first failure). */
static int rc_tree(rctx *c, const cd_expr *e, rout *o, int depth)
{
    if (!e || !expr_reads_memory(e))
        return XC_OK;
    if (depth > 32)
        return XC_NO;
    int r = rc_emit(c, e, o);
    if (r == XC_OK || r == XC_BIG || r == XC_TOTAL)
        return r; /* too large: its operands' reads would not cover it (a char pointer's string) */
    /* a read this node makes itself is not covered: its operands' reads still help */
    bool reads_here = (e->kind == E_UNARY && e->op == OP_DEREF) || e->kind == E_ARROW || e->kind == E_INDEX;
    int ra = rc_tree(c, e->a, o, depth + 1), rb = rc_tree(c, e->b, o, depth + 1), rcc = rc_tree(c, e->c, o, depth + 1);
    if (reads_here)
        return r;
    return ra != XC_OK ? ra : rb != XC_OK ? rb : rcc;
}

/* A parameter of a char pointer type (from its DIE: no lookup of the probe's variables). */
static bool param_is_charptr(cd_trace *tr, cd_var *v)
{
    cd_type *t = cd_type_strip(cd_type_of_die(tr->vs, &v->die));
    return t && t->kind == TY_PTR && !t->ref && t->target && cd_type_is_charlike(cd_type_strip(t->target));
}

/* Compiles the memory reads of every -e (and of --if) of p into p->reads, as far as their forms
 * allow: the names at the probe, `*`, `->`, `.`, `[constant]`; a char pointer's string too (what
 * `print` shows of it). p->xc[i] says what became of -e i. */
static void compile_reads(cd_trace *tr, tprobe *p)
{
    free(p->reads);
    free(p->xc);
    free(p->xbytes);
    p->reads = NULL;
    p->p.reads = NULL;
    p->p.nreads = 0;
    p->xc = cd_xcalloc(tr->o.nexprs + 1, 1);
    p->xbytes = cd_xcalloc(tr->o.nexprs + 1, sizeof *p->xbytes);
    rctx c = {.tr = tr, .p = p, .nvars = -1};
    rout o = {0};
    for (size_t i = 0; i <= tr->o.nexprs; i++) {
        const cd_expr *e = i < tr->o.nexprs ? tr->exprs[i] : tr->cond;
        if (!e || !expr_reads_memory(e))
            continue;
        if (i < tr->o.nexprs)
            p->xc[i] = XC_NO;
        if (!p->has_frame)
            continue;
        rc_vars(&c);
        o.xbytes = 0;
        int r = rc_tree(&c, e, &o, 0);
        if (i < tr->o.nexprs) {
            p->xc[i] = (uint8_t)r;
            p->xbytes[i] = o.xbytes;
        }
    }
    /* the strings the line prints: of the `-e` that name a char pointer, then of the arguments */
    rloc done[16];
    size_t ndone = 0;
    for (size_t i = 0; p->has_frame && i < tr->o.nexprs; i++)
        if (tr->exprs[i] && tr->exprs[i]->kind == E_IDENT)
            rc_str(&c, tr->exprs[i], &o, done, &ndone, 16);
    for (int i = 0; p->has_frame && i < p->nparams; i++) {
        if (!p->params[i].name || !param_is_charptr(tr, &p->params[i]))
            continue;
        cd_expr id = {.kind = E_IDENT, .str = (char *)p->params[i].name};
        rc_str(&c, &id, &o, done, &ndone, 16);
    }
    free(c.vars);
    cd_arena_free(&c.ar);
    p->p.reads = p->reads;
    p->p.nreads = (uint32_t)o.n;
    /* --ret: a returned char pointer's string, copied at the return from rax (DWARF 0) */
    cd_type *rt = p->ret_type ? cd_type_strip(p->ret_type) : NULL;
    p->p.ret_reads = NULL;
    p->p.nret_reads = 0;
    if (tr->o.want_return && rt && rt->kind == TY_PTR && !rt->ref && rt->size == 8 && rt->target &&
        cd_type_is_charlike(cd_type_strip(rt->target))) {
        p->ret_read = (cd_probe_read){.reg = 0, .load = false, .len = STR_COPY, .off = 0};
        p->p.ret_reads = &p->ret_read;
        p->p.nret_reads = 1;
    }
}

/* ---- arming ---- */

/* Whether an exception can unwind through a call of p's function. It cannot when the process has
 * no unwinder (a C program: glibc loads libgcc_s only for pthread_cancel), or when the function is
 * a leaf: every instruction decodes, none is a call, an indirect jmp or a jmp out of its bounds (a
 * tail call, a .cold fragment where throws live), so nothing it runs can throw. Anything else,
 * including bytes that cannot be read, counts as "can". */
static bool may_unwind(cd_trace *tr, tprobe *p, cd_x86 *x86, bool unwinder)
{
    uint64_t lo = p->p.func_lo, hi = p->p.func_hi;
    if (!unwinder)
        return false;
    if (!x86 || !lo || hi <= lo || hi - lo > (1u << 20))
        return true;
    uint8_t *code = cd_xmalloc(hi - lo);
    bool can = cd_target_read(tr->t, lo, code, hi - lo) != (ssize_t)(hi - lo);
    for (uint64_t a = lo; a < hi && !can;) {
        cd_insn in;
        if (!cd_x86_decode(x86, code + (a - lo), hi - a, a, &in) || in.kind == CD_INSN_BAD)
            can = true;
        else if (in.kind == CD_INSN_CALL || in.kind == CD_INSN_SYSCALL || in.kind == CD_INSN_INT)
            can = true;
        else if ((in.kind == CD_INSN_JMP || in.kind == CD_INSN_JCC) &&
                 (in.indirect || !in.has_target || in.target < lo || in.target >= hi))
            can = true;
        a += in.len;
    }
    free(code);
    return can;
}

/* CFA - sp at the probe, from the CFA rule when it is sp-based, else by following the prologue's
 * pushes and `sub rsp, N` from the entry (gcc -O0: push rbp; mov rbp, rsp; sub rsp, N). -1 when
 * anything else moves sp before the probe. */
static int64_t sp_to_cfa(cd_trace *tr, const tprobe *p, cd_x86 *x86)
{
    if (p->cfa_reg == 7)
        return p->cfa_off;
    uint64_t lo = p->p.func_lo, hi = p->p.addr;
    if (!x86 || !lo || hi < lo || hi - lo > 96)
        return -1;
    uint8_t code[96];
    if (hi > lo && cd_target_read(tr->t, lo, code, hi - lo) != (ssize_t)(hi - lo))
        return -1;
    int64_t off = 8; /* the return address */
    for (uint64_t a = lo; a < hi;) {
        cd_insn in;
        if (!cd_x86_decode(x86, code + (a - lo), hi - a, a, &in) || in.kind != CD_INSN_OTHER)
            return -1;
        long long n;
        char r[16];
        if (!strcmp(in.mnemonic, "push") && sscanf(in.ops, "%15[a-z0-9]", r) == 1 && strlen(in.ops) == strlen(r) &&
            r[0] == 'r')
            off += 8;
        else if (!strcmp(in.mnemonic, "sub") && sscanf(in.ops, "rsp, %lli", &n) == 1 && n >= 0 && n < (1 << 20))
            off += n;
        else if (dest_reg(&in) == 7 || !strcmp(in.mnemonic, "pop") || !strcmp(in.mnemonic, "push"))
            return -1;
        a += in.len;
    }
    return off;
}

/* The bytes the arguments can take on the stack above the CFA: every parameter's size, each
 * rounded to the 8-byte slot the ABI gives it (an over-estimate: most come in registers). */
static uint64_t param_bytes(const tprobe *p)
{
    uint64_t n = 0;
    for (int i = 0; i < p->nparams; i++) {
        Dwarf_Die die = p->params[i].die, ty;
        Dwarf_Attribute at;
        Dwarf_Word sz;
        if (dwarf_attr_integrate(&die, DW_AT_type, &at) && dwarf_formref_die(&at, &ty) &&
            dwarf_aggregate_size(&ty, &sz) == 0 && sz < (1u << 24))
            n += (sz + 7) & ~(Dwarf_Word)7;
        else
            n += 8;
    }
    return n;
}

/* What the code says, read before any probe changes it: the CFA rule and the prologue's spills. */
static void prepare_code(cd_trace *tr, tprobe *p, cd_x86 *x86, bool unwinder)
{
    cfa_rule(tr, p);
    find_spills(tr, p, x86);
    p->sp_to_cfa = sp_to_cfa(tr, p, x86);
    p->p.may_unwind = p->p.want_return && may_unwind(tr, p, x86, unwinder);
}

static const char *kind_name(cd_tb_kind k)
{
    static const char *n[] = {"auto", "inline", "uprobe", "ptrace"};
    return n[k];
}

static cd_trace_backend *backend(cd_trace *tr, cd_tb_kind k, cd_err *err)
{
    if (tr->bk[k])
        return tr->bk[k];
    cd_trace_env env = {.t = tr->t, .sym = tr->sym, .pid = tr->t->pid, .buffer_size = tr->o.buffer_size};
    cd_trace_backend *b = k == CD_TB_INLINE ? cd_tb_inline_new(&env, err)
                          : k == CD_TB_UPROBE ? cd_tb_uprobe_new(&env, err)
                                              : cd_tb_ptrace_new(&env, err);
    tr->bk[k] = b;
    return b;
}

/* Does e read the program's memory (a pointer's target, a member through a pointer, an element)?
 * Such a read is not in the record: the inline and uprobe backends copy registers and the stack
 * top only, so it happens when the core handles the record, after the hit (issue 12). */
static bool expr_reads_memory(const cd_expr *e)
{
    if (!e)
        return false;
    if ((e->kind == E_UNARY && e->op == OP_DEREF) || e->kind == E_ARROW || e->kind == E_INDEX)
        return true;
    if (e->kind == E_SIZEOF_EXPR || e->kind == E_SIZEOF_TYPE)
        return false; /* not evaluated */
    return expr_reads_memory(e->a) || expr_reads_memory(e->b) || expr_reads_memory(e->c);
}

/* One note per (-e, backend) whose pointee is read after the hit: never a later value silently.
 * ptrace stops the hitting thread at the hit, so what it reads is the value at the hit; a backend
 * that copies the probes' reads (reads_refused) reads the compiled ones at the hit too. Called
 * after arm (a backend knows then whether it can copy). */
static void note_read_after_hit(cd_trace *tr)
{
    for (size_t i = 0; i < tr->o.nexprs; i++) {
        if (!expr_reads_memory(tr->exprs[i]))
            continue;
        bool said[4] = {0};
        for (size_t j = 0; j < tr->nprobes; j++) {
            const tprobe *p = &tr->probes[j];
            if (!p->b || p->b == tr->bk[CD_TB_PTRACE])
                continue;
            int k = p->b == tr->bk[CD_TB_INLINE] ? CD_TB_INLINE : CD_TB_UPROBE;
            const char *refused = p->b->ops->reads_refused ? p->b->ops->reads_refused(p->b) : "";
            uint8_t xc = p->xc ? p->xc[i] : XC_NO;
            if (said[k] || (xc == XC_OK && !refused))
                continue;
            said[k] = true;
            char why[160] = "";
            if (refused && *refused)
                snprintf(why, sizeof why, ": %s", refused);
            else if (xc == XC_BIG)
                snprintf(why, sizeof why, ": its %llu bytes at %s are more than the %u copied at the hit",
                         (unsigned long long)p->xbytes[i], p->func, CD_TRACE_READ_MAX);
            else if (xc == XC_TOTAL)
                snprintf(why, sizeof why, ": the -e before it fill the %u bytes a record copies at %s",
                         CD_TRACE_READS_MAX, p->func);
            else if (!refused)
                snprintf(why, sizeof why, ": at %s, not of a form copied at the hit (names, *, ->, ., [constant])",
                         p->func);
            note(tr, "-e '%s': read after the hit (%s backend)%s; the memory it reads may have changed "
                     "since; --backend ptrace reads it at the hit",
                 tr->o.exprs[i], p->b->ops->name, why);
        }
    }
}

/* Whether auto's inline backend failed in a way another backend does not: the process would not
 * run the system calls that set it up (its seccomp filter, checked before anything is injected,
 * or an EPERM/ENOSYS an LSM or an old kernel gave), or anything else short of the process's end
 * or a bad option, which no other backend would fix. */
static bool inline_refused(const cd_err *e)
{
    return e->kind != CD_EK_EXITED && e->kind != CD_EK_USAGE;
}

/* The inline backend's arm failed (nothing patched, the process resumed): its probes go to the
 * next backend of auto's order that takes them, armed after it by cd_trace_arm's loop. */
static int rehome_inline(cd_trace *tr, cd_err *err)
{
    cd_trace_backend *old = tr->bk[CD_TB_INLINE];
    tr->bk[CD_TB_INLINE] = NULL;
    tr->used[CD_TB_INLINE] = false;
    int rc = 0;
    for (size_t i = 0; i < tr->nprobes && rc == 0; i++) {
        tprobe *p = &tr->probes[i];
        if (p->b != old)
            continue;
        p->b = NULL;
        cd_err e;
        cd_err_clear(&e);
        for (cd_tb_kind kind = CD_TB_UPROBE; kind <= CD_TB_PTRACE && !p->b; kind++) {
            cd_trace_backend *b = backend(tr, kind, &e);
            if (!b || b->ops->check(b, &p->p, &e) < 0 || b->ops->add(b, &p->p, &e) < 0)
                continue;
            p->b = b;
            tr->used[kind] = true;
            p->m.backend = tr->matches[i].backend = b->ops->name;
        }
        if (!p->b)
            rc = cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "trace: no backend can take %s: %s", p->func, e.msg);
    }
    old->ops->free(old);
    return rc;
}

int cd_trace_arm(cd_trace *tr, cd_err *err)
{
    cd_err xe;
    cd_x86 *x86 = cd_x86_new(&xe);
    uint64_t ua;
    bool unwinder = cd_symtab_find_function(tr->sym, "_Unwind_RaiseException", &ua) == 0;
    for (size_t i = 0; i < tr->nprobes; i++) {
        prepare_code(tr, &tr->probes[i], x86, unwinder);
        prepare_syms(tr, &tr->probes[i]);
        tr->probes[i].param_bytes = param_bytes(&tr->probes[i]);
        plan_probe(tr, &tr->probes[i]);
        /* the backends copy only what the plan reads (the copy costs the program and the reader) */
        tr->probes[i].p.stack_bytes = plan_stack(tr, &tr->probes[i]);
        plan_regs_needed(tr, &tr->probes[i]);
        compile_reads(tr, &tr->probes[i]);
    }
    cd_x86_free(x86);
    tr->snap = cd_snapshot_new(tr->t, err);
    if (!tr->snap)
        return -1;
    bool tried[4] = {0};
    char why[4][sizeof err->msg] = {{0}};
    for (size_t i = 0; i < tr->nprobes; i++) {
        tprobe *p = &tr->probes[i];
        cd_tb_kind order[3] = {CD_TB_INLINE, CD_TB_UPROBE, CD_TB_PTRACE};
        if (tr->o.prefer_uprobe)
            order[0] = CD_TB_UPROBE, order[1] = CD_TB_INLINE;
        size_t nord = 3;
        if (tr->o.backend != CD_TB_AUTO) {
            order[0] = tr->o.backend;
            nord = 1;
        }
        cd_buf refused = {0};
        for (size_t k = 0; k < nord && !p->b; k++) {
            cd_tb_kind kind = order[k];
            cd_err e;
            cd_err_clear(&e);
            cd_trace_backend *b = tr->bk[kind];
            if (!b && !tried[kind]) {
                tried[kind] = true;
                b = backend(tr, kind, &e);
                if (!b)
                    snprintf(why[kind], sizeof why[kind], "%s", e.msg);
            }
            if (!b) {
                if (nord == 1) {
                    cd_buf_free(&refused);
                    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "trace: %s", why[kind]);
                }
                continue;
            }
            if (b->ops->check(b, &p->p, &e) < 0 || b->ops->add(b, &p->p, &e) < 0) {
                if (nord == 1) {
                    cd_buf_free(&refused);
                    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "trace: %s: %s", p->func, e.msg);
                }
                cd_buf_printf(&refused, "%s%s", refused.len ? "; " : "", e.msg);
                continue;
            }
            p->b = b;
            tr->used[kind] = true;
            p->m.backend = tr->matches[i].backend = b->ops->name;
        }
        if (!p->b) {
            cd_err_clear(err);
            cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "trace: no backend can take %s: %s", p->func,
                     refused.len ? refused.s : why[CD_TB_UPROBE]);
            cd_buf_free(&refused);
            return -1;
        }
        if (refused.len)
            note(tr, "%s: %s; the %s backend took it", p->func, refused.s, p->m.backend);
        cd_buf_free(&refused);
    }
    for (int k = 1; k < 4; k++)
        if (tr->used[k] && tr->bk[k]->ops->arm(tr->bk[k], err) < 0) {
            if (k == CD_TB_INLINE && err && err->kind == CD_EK_SECCOMP && tr->o.backend == CD_TB_INLINE) {
                cd_err se = *err;
                return cd_failk(err, CD_EXIT_CMD, CD_EK_SECCOMP,
                                "trace: %.900s; --backend uprobe traces it without running anything in it", se.msg);
            }
            if (k != CD_TB_INLINE || tr->o.backend != CD_TB_AUTO || !inline_refused(err))
                return -1;
            cd_err ie = *err;
            cd_err_clear(err);
            if (rehome_inline(tr, err) < 0)
                return -1;
            note(tr, "the inline backend cannot be used: %s; the uprobe backend took its probes", ie.msg);
        }
    note_read_after_hit(tr);
    (void)kind_name;
    return 0;
}

int cd_trace_rebase(cd_trace *tr, cd_target *t, cd_symtab *sym, cd_err *err)
{
    if (tr->snap_unw)
        cd_unwinder_free(tr->snap_unw);
    tr->snap_unw = NULL;
    if (tr->snap)
        cd_target_close(tr->snap);
    tr->snap = NULL;
    tr->t = t;
    tr->sym = sym;
    for (int k = 1; k < 4; k++) /* the backends reach the process through the core's view */
        if (tr->bk[k]) {
            tr->bk[k]->env.t = t;
            tr->bk[k]->env.sym = sym;
        }
    /* The old symtab's types go (parameters are redone below). Through NULL first: the new
     * symtab may sit at the freed one's address, which would look like no change. */
    cd_vstate_use_symtab(tr->vs, NULL);
    cd_vstate_use_symtab(tr->vs, sym);
    tr->ps.planned_probes = 0;
    for (size_t i = 0; i < tr->nprobes; i++) {
        symbolize(tr, &tr->probes[i]);
        prepare_syms(tr, &tr->probes[i]);
        tr->probes[i].param_bytes = param_bytes(&tr->probes[i]);
        plan_probe(tr, &tr->probes[i]); /* the copy armed stays: a value outside it takes the general path */
        tr->matches[i] = tr->probes[i].m;
    }
    tr->snap = cd_snapshot_new(t, err);
    return tr->snap ? 0 : -1;
}

int cd_trace_disarm(cd_trace *tr, cd_err *err)
{
    int rc = 0;
    for (int k = 1; k < 4; k++)
        if (tr->used[k] && tr->bk[k]->ops->disarm(tr->bk[k], err) < 0)
            rc = -1;
    return rc;
}

void cd_trace_emergency(cd_trace *tr)
{
    for (int k = 1; k < 4; k++)
        if (tr->used[k])
            tr->bk[k]->ops->emergency(tr->bk[k]);
}

bool cd_trace_limit_reached(const cd_trace *tr)
{
    return tr->limit;
}

void cd_trace_counts(cd_trace *tr, size_t i, cd_trace_count *out)
{
    memset(out, 0, sizeof *out);
    tprobe *p = &tr->probes[i];
    if (p->b)
        p->b->ops->counts(p->b, p->p.id, &out->hits, &out->dropped);
    if (p->dropped_seen > out->dropped)
        out->dropped = p->dropped_seen;
    out->shown = p->shown;
    out->lost_returns = p->lost_ret_said > p->lost_ret_seen ? p->lost_ret_said : p->lost_ret_seen;
    out->running = p->running;
}

uint64_t cd_trace_dropped_other(cd_trace *tr)
{
    return tr->dropped_other;
}

/* ---- records → events ---- */

static tstack *thread_stack(cd_trace *tr, pid_t tid)
{
    if (tr->last_ts < tr->nts && tr->ts[tr->last_ts].tid == tid)
        return &tr->ts[tr->last_ts];
    for (size_t i = 0; i < tr->nts; i++)
        if (tr->ts[i].tid == tid) {
            tr->last_ts = i;
            return &tr->ts[i];
        }
    tr->ts = cd_xrealloc(tr->ts, (tr->nts + 1) * sizeof *tr->ts);
    tr->ts[tr->nts] = (tstack){.tid = tid};
    tr->last_ts = tr->nts;
    return &tr->ts[tr->nts++];
}

static cd_trace_val *vals(cd_trace *tr, size_t n)
{
    if (n > tr->vals_cap) {
        tr->vals = cd_xrealloc(tr->vals, n * sizeof *tr->vals);
        tr->texts = cd_xrealloc(tr->texts, n * sizeof *tr->texts);
        for (size_t i = tr->vals_cap; i < n; i++)
            tr->texts[i] = (cd_buf){0};
        tr->vals_cap = n;
    }
    return tr->vals;
}

/* A value printed with the string it points to (`print` reads it: a narrow char pointer). */
static bool is_charptr(const cd_value *v)
{
    cd_type *t = cd_type_strip(v->type);
    return t && t->kind == TY_PTR && !t->ref && t->target && cd_type_is_charlike(cd_type_strip(t->target));
}

/* Whether the record's windows answer every byte `print` reads of the string at a (its bytes up to
 * the NUL, at most STR_COPY), so that none comes from the process as it is later: a window holds
 * them, or ends where the hit itself could not read (the read fails there, as it failed then). */
static bool str_copied(const cd_trace_rec *r, uint64_t a)
{
    for (uint32_t i = 0; r && i < r->nwin; i++) {
        const cd_snapshot_window *w = &r->win[i];
        if (a < w->addr || a - w->addr >= w->len)
            continue;
        uint64_t off = a - w->addr, have = w->got > off ? w->got - off : 0;
        if (w->got < w->len || have >= STR_COPY || memchr((const uint8_t *)w->bytes + off, 0, have))
            return true;
    }
    return false;
}

/* The backend copied this entry's strings at the hit (cd_probe.reads): a char pointer's text comes
 * from that copy or is not given. */
static bool strings_at_hit(cd_trace *tr, const tprobe *p, const cd_trace_rec *r)
{
    return r && (r->kind == CD_REC_ENTRY || (r->kind == CD_REC_RETURN && p && p->p.nret_reads)) && p && p->b && p->b == tr->bk[CD_TB_INLINE] && p->b->ops->reads_refused &&
           !p->b->ops->reads_refused(p->b);
}

/* The value's text or JSON into slot i. The value was made (cd_eval, cd_var_value) after
 * tr->reads0 was taken: what it read from the process rather than from the record is marked. */
static void put_value(cd_trace *tr, cd_ectx *x, size_t i, const char *name, int rc, const cd_value *v, const cd_err *e)
{
    cd_trace_val *tv = &tr->vals[i];
    tv->name = name;
    tv->json = NULL;
    tv->json_raw = NULL;
    tv->text = NULL;
    tv->late = false;
    cd_fmtopt fo;
    cd_fmtopt_init(&fo, NULL, 0);
    const tprobe *p = tr->cur_p;
    /* ptrace reads while the hitting thread is stopped at the hit: nothing it reads is later */
    bool may_be_late = p && p->b && p->b != tr->bk[CD_TB_PTRACE];
    if (tr->o.json) {
        if (rc < 0) {
            tv->json = json_object_new_object();
            json_object_object_add(tv->json, "error", json_object_new_string(e->msg));
        } else {
            tv->json = cd_value_json(x, v, &fo);
        }
        tv->late = may_be_late && cd_snapshot_base_reads(tr->snap) != tr->reads0;
        return;
    }
    cd_buf *b = &tr->texts[i];
    cd_buf_reset(b);
    __int128 iv;
    if (rc < 0) {
        cd_buf_printf(b, "<error: %s>", e->msg);
    } else if (strings_at_hit(tr, p, tr->cur_r) && is_charptr(v) && cd_value_int(x, v, &iv) == 0 && iv &&
               !str_copied(tr->cur_r, (uint64_t)iv)) {
        /* not in the copy (the record's CD_TRACE_READS_MAX was full, a form the reads do not
         * express): the process's bytes now would be another instant's */
        cd_buf_printf(b, "0x%llx <not copied at the hit>", (unsigned long long)(uint64_t)iv);
    } else {
        cd_format_value(x, v, &fo, true, b);
    }
    tv->late = may_be_late && cd_snapshot_base_reads(tr->snap) != tr->reads0;
    if (tv->late)
        cd_buf_puts(b, " (read after the hit)");
    tv->text = cd_buf_str(b);
}

static void fill_frame(const tprobe *p, const cd_trace_rec *r, cd_frame *f)
{
    *f = p->tmpl;
    const cd_regs *g = &r->regs;
    uint64_t v[CD_NDWREGS] = {g->rax, g->rdx, g->rcx, g->rbx, g->rsi, g->rdi, g->rbp, g->rsp, g->r8, g->r9,
                              g->r10, g->r11, g->r12, g->r13, g->r14, g->r15, g->rip};
    memcpy(f->regs, v, sizeof v);
    f->regs_valid = (1u << CD_NDWREGS) - 1;
    f->pc = f->lookup_pc = r->kind == CD_REC_ENTRY ? p->p.addr : g->rip;
    if (p->cfa_reg >= 0)
        f->cfa = v[p->cfa_reg] + (uint64_t)p->cfa_off;
}

/* The instant in the snapshot: the record's stack copy, with the prologue's spills rebuilt below it.
 * A spill of an xmm register the record does not hold (the uprobe backend's) is not rebuilt: its
 * bytes fail to read, and on_entry says why. */
static int set_instant(cd_trace *tr, const tprobe *p, const cd_trace_rec *r, const cd_frame *f, cd_err *err)
{
    cd_snapshot_instant in = {.tid = r->tid, .regs = r->regs};
    if (r->has_fp && p->xmm_ok) {
        /* xmm0-7 from the record; the rest (xmm8-15, x87, mxcsr) are zeros no value can be in here */
        memset(&tr->fpregs, 0, sizeof tr->fpregs);
        memcpy(tr->fpregs.xmm_space, r->xmm, sizeof r->xmm);
        in.fpregs = &tr->fpregs;
    }
    uint64_t lo = r->stack_addr;
    uint64_t sp = r->regs.rsp;
    for (int i = 0; i < p->nspills; i++) {
        uint64_t a = f->regs[p->spills[i].base] + (uint64_t)p->spills[i].disp;
        if (a < lo && a + 128 >= sp)
            lo = a;
    }
    size_t below = (size_t)(r->stack_addr - lo);
    size_t need = below + r->stack_len;
    if (need > tr->membuf_cap) {
        tr->membuf = cd_xrealloc(tr->membuf, need);
        tr->membuf_cap = need;
    }
    if (need > tr->validbuf_cap) {
        tr->validbuf = cd_xrealloc(tr->validbuf, need);
        tr->validbuf_cap = need;
    }
    /* below the copy only what a spill rebuilt holds a value: the rest fails to read */
    if (below) { /* (a compact record has no stack: nothing, and no buffer yet, to clear) */
        memset(tr->membuf, 0, below);
        memset(tr->validbuf, 0, below);
    }
    if (r->stack_len)
        memset(tr->validbuf + below, 1, r->stack_len);
    if (r->stack_len)
        memcpy(tr->membuf + below, r->stack, r->stack_len);
    for (int i = 0; i < p->nspills; i++) {
        const spill *s = &p->spills[i];
        uint64_t a = f->regs[s->base] + (uint64_t)s->disp;
        const void *from = s->src < CD_NDWREGS ? (const void *)&f->regs[s->src]
                           : s->src != SPILL_MEM ? (r->has_fp ? (const void *)r->xmm[s->src - 17] : NULL)
                                                 : NULL;
        if (s->src == SPILL_MEM) {
            uint64_t sa = f->regs[s->src_base] + (uint64_t)s->src_disp;
            if (r->stack && sa >= r->stack_addr && sa + (uint64_t)s->width <= r->stack_addr + r->stack_len)
                from = (const uint8_t *)r->stack + (sa - r->stack_addr);
        }
        if (from && a >= lo && a + (uint64_t)s->width <= r->stack_addr) {
            memcpy(tr->membuf + (a - lo), from, (size_t)s->width);
            memset(tr->validbuf + (a - lo), 1, (size_t)s->width);
        }
    }
    in.win = r->win;
    in.nwin = r->nwin;
    in.mem_addr = lo;
    in.mem = tr->membuf;
    in.mem_valid = tr->validbuf;
    in.mem_len = need;
    /* the red zone the copy does not hold: a read there would see a later instant; at an entry, so
     * would one of the frame or the arguments above the copy (the copy's size has a cap) */
    in.deny_lo = sp - 128;
    in.deny_hi = lo;
    if (r->kind == CD_REC_ENTRY && p->cfa_reg >= 0 && f->cfa + p->param_bytes > in.deny_hi)
        in.deny_hi = f->cfa + p->param_bytes;
    return cd_snapshot_set(tr->snap, &in, err);
}

/* A parameter's value that lives in an xmm register the record does not hold (in one at the probe,
 * or spilled from one by the prologue): one error saying so, where the value would read as
 * <unavailable> or as memory that cannot be accessed. 0: nothing of the kind. */
static int xmm_missing(const tprobe *p, const cd_trace_rec *r, const cd_frame *f, const char *name, const cd_value *v,
                       cd_err *e)
{
    if (v->where == V_UNAVAIL && v->regno >= 17 && v->regno <= 32) {
        if (!r->has_fp)
            return cd_failk(e, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "%s is in xmm%d, which the %s backend does not record",
                            name, v->regno - 17, p->b->ops->name);
        return cd_failk(e, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "%s is in xmm%d: a record holds xmm0-7 only, which are not used in a function that uses "
                        "xmm8-15 or whose code cannot be decoded", name, v->regno - 17);
    }
    if (v->where != V_MEM || r->has_fp)
        return 0;
    uint64_t n = cd_type_size(cd_type_strip(v->type));
    for (int i = 0; i < p->nspills; i++) {
        const spill *s = &p->spills[i];
        uint64_t a = f->regs[s->base] + (uint64_t)s->disp;
        if (s->src >= CD_NDWREGS && s->src != SPILL_MEM && a < v->addr + n && v->addr < a + (uint64_t)s->width &&
            a < r->stack_addr)
            return cd_failk(e, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                            "%s was stored from xmm%d below the stack pointer, and the %s backend does not record xmm "
                            "registers", name, s->src - 17, p->b->ops->name);
    }
    return 0;
}

static int emit(cd_trace *tr, cd_trace_event *ev, size_t nvals)
{
    int rc = tr->render(tr->render_arg, ev);
    if (tr->o.json)
        for (size_t i = 0; i < nvals; i++)
            if (tr->vals[i].json) {
                json_object_put(tr->vals[i].json);
                tr->vals[i].json = NULL;
            }
    return rc;
}

/* A call in flight whose return will never be seen: counted for its probe's summary. */
static void call_lost(cd_trace *tr, const tcall *c)
{
    if (c->probe < tr->nprobes)
        tr->probes[c->probe].lost_ret_seen++;
}

/* --ret: the call of entry r enters the thread's calls in flight. The calls on top whose frames
 * are gone (their CFA at or below this call's: a nested call's is at least 16 bytes lower) ended
 * without a return seen: a longjmp or an exception skipped them, or the backend could not catch
 * their return. */
static void push_call(cd_trace *tr, tprobe *p, const cd_trace_rec *r, bool shown)
{
    tstack *s = thread_stack(tr, r->tid);
    bool has_sp = !r->partial || (p->p.reg_mask & (1u << 7));
    uint64_t cfa = has_sp && p->sp_to_cfa >= 0 && r->regs.rsp ? r->regs.rsp + (uint64_t)p->sp_to_cfa : 0;
    while (cfa && s->n && s->c[s->n - 1].cfa && s->c[s->n - 1].cfa <= cfa)
        call_lost(tr, &s->c[--s->n]);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->c = cd_xrealloc(s->c, s->cap * sizeof *s->c);
    }
    s->c[s->n++] = (tcall){r->ts_ns, p->p.id, shown, cfa};
}

/* An entry was shown: the count, --max-hits, and the call --ret pairs with its return. */
static int entry_shown(cd_trace *tr, tprobe *p, const cd_trace_rec *r)
{
    p->shown++;
    tr->shown_total++;
    if (tr->o.want_return)
        push_call(tr, p, r, true);
    if (tr->o.max_hits && tr->shown_total >= tr->o.max_hits) {
        tr->limit = true;
        return 1;
    }
    return 0;
}

/* The plan's values against the general path's, on the same record (CDBG_TRACE_PLAN=check). */
static void plan_compare(cd_trace *tr, const tprobe *p, size_t nv)
{
    for (size_t i = 0; i < nv; i++) {
        const cd_trace_val *tv = &tr->vals[i];
        const char *g = tr->o.json ? (tv->json ? json_object_to_json_string_ext(tv->json, JSON_C_TO_STRING_PLAIN) : "null")
                                   : tv->text;
        tr->ps.compared++;
        if (g && !strcmp(g, tr->ptext[i]))
            continue;
        if (!tr->ps.differ++)
            snprintf(tr->ps.first_diff, sizeof tr->ps.first_diff, "%s: %s: plan %s, general %s", p->func, tv->name,
                     tr->ptext[i], g ? g : "(none)");
    }
}

/* Frame 0 and its callers, unwound from the instant (its stack copy): for a parameter whose value
 * at the probe is its entry value in a register the function has reused since, the caller's call
 * site says what was passed (loc.c's entry_value_from_caller), as gdb shows x@entry mid-function. A
 * value the call site computes from memory outside the copy fails to read: unknown, never later. */
static void with_callers(cd_trace *tr, const cd_frame *f, cd_scope *sc, cd_arena *ar)
{
    cd_err e;
    cd_err_clear(&e);
    if (!tr->snap_unw)
        tr->snap_unw = cd_unwinder_new(tr->snap, tr->sym, &e);
    cd_stack st = {0};
    if (tr->snap_unw && cd_unwind_thread(tr->snap_unw, tr->snap->threads[0], 8, &st, &e) == 0 && st.n > 1) {
        cd_frame *fr = cd_arena_alloc(ar, (st.n + 1) * sizeof *fr);
        size_t n = 0;
        fr[n++] = *f;
        for (size_t i = 0; i < st.n; i++)
            if (st.frames[i].phys > f->phys)
                fr[n++] = st.frames[i];
        sc->frame = sc->frames = fr;
        sc->nframes = n;
    }
    cd_stack_free(&st);
}

static int on_entry(cd_trace *tr, tprobe *p, const cd_trace_rec *r)
{
    size_t nplan = (size_t)p->nparams + tr->o.nexprs;
    tr->ps.partial += r->partial;
    bool planned = p->planned && tr->plan != PLAN_OFF && plan_record(tr, p, r, nplan);
    if (planned && tr->plan == PLAN_ON) {
        /* the fast path: no snapshot, no unwind, no DWARF evaluation */
        vals(tr, nplan + 1);
        for (size_t i = 0; i < nplan; i++) {
            cd_trace_val *tv = &tr->vals[i];
            tv->name = i < (size_t)p->nparams ? p->params[i].name : tr->o.exprs[i - (size_t)p->nparams];
            tv->json = NULL;
            tv->late = false;
            tv->text = tv->json_raw = tr->ptext[i];
        }
        cd_trace_event ev = {.kind = CD_REC_ENTRY, .probe = p->p.id, .key = p->key, .func = p->func, .file = p->file,
                             .line = p->m.line, .tid = r->tid, .ts_ns = r->ts_ns, .args = tr->vals,
                             .nargs = (size_t)p->nparams, .exprs = tr->vals + p->nparams, .nexprs = tr->o.nexprs};
        if (tr->render(tr->render_arg, &ev) < 0)
            return -1;
        tr->ps.fast++;
        return entry_shown(tr, p, r);
    }
    cd_err e;
    cd_err_clear(&e);
    cd_frame f;
    fill_frame(p, r, &f);
    bool need_eval = p->has_frame && (p->nparams || tr->cond || tr->o.nexprs);
    cd_arena ar = {0};
    cd_ectx x;
    cd_scope sc = {.sym = tr->sym, .vs = tr->vs};
    if (need_eval || tr->cond || tr->o.nexprs) {
        if (set_instant(tr, p, r, &f, &e) < 0)
            return -1;
        if (p->has_frame && p->cfa_reg < 0) {
            /* no simple CFA rule at this pc: unwind the instant for it */
            if (!tr->snap_unw)
                tr->snap_unw = cd_unwinder_new(tr->snap, tr->sym, &e);
            cd_stack st = {0};
            if (tr->snap_unw && cd_unwind_thread(tr->snap_unw, tr->snap->threads[0], 1, &st, &e) == 0 && st.n)
                f.cfa = st.frames[0].cfa;
            cd_stack_free(&st);
        }
        sc = (cd_scope){.target = tr->snap, .sym = tr->sym, .thread = tr->snap->threads[0],
                        .frame = p->has_frame ? &f : NULL, .frames = p->has_frame ? &f : NULL,
                        .nframes = p->has_frame ? 1 : 0, .vs = tr->vs};
        if (p->has_frame && p->entry_caller)
            with_callers(tr, &f, &sc, &ar);
    }
    cd_ectx_init(&x, &sc, &ar, &e);
    if (tr->cond) {
        cd_value v;
        __int128 iv = 0;
        if (cd_eval(&x, tr->cond, &v) < 0 || cd_value_int(&x, &v, &iv) < 0) {
            if (!p->cond_noted) {
                p->cond_noted = true;
                note(tr, "--if cannot be evaluated at %s: %s (those hits are not shown)", p->func, e.msg);
            }
            iv = 0;
        }
        if (!iv) {
            cd_arena_free(&ar);
            if (tr->o.want_return)
                push_call(tr, p, r, false);
            return 0;
        }
    }
    size_t nv = (size_t)p->nparams + tr->o.nexprs;
    vals(tr, nv + 1);
    tr->cur_p = p;
    tr->cur_r = r;
    for (int i = 0; i < p->nparams; i++) {
        cd_value v;
        cd_err_clear(&e);
        tr->reads0 = cd_snapshot_base_reads(tr->snap);
        int rc = cd_var_value(&x, p->params[i].mod, &p->params[i].die, &v);
        if (rc == 0 && p->has_frame)
            rc = xmm_missing(p, r, &f, p->params[i].name, &v, &e);
        put_value(tr, &x, (size_t)i, p->params[i].name, rc, &v, &e);
    }
    for (size_t i = 0; i < tr->o.nexprs; i++) {
        cd_value v;
        cd_err_clear(&e);
        tr->reads0 = cd_snapshot_base_reads(tr->snap);
        int rc = cd_eval(&x, tr->exprs[i], &v);
        put_value(tr, &x, (size_t)p->nparams + i, tr->o.exprs[i], rc, &v, &e);
    }
    if (planned)
        plan_compare(tr, p, nv);
    cd_trace_event ev = {.kind = CD_REC_ENTRY, .probe = p->p.id, .key = p->key, .func = p->func, .file = p->file,
                         .line = p->m.line, .tid = r->tid, .ts_ns = r->ts_ns, .args = tr->vals,
                         .nargs = (size_t)p->nparams, .exprs = tr->vals + p->nparams, .nexprs = tr->o.nexprs};
    int rc = emit(tr, &ev, nv);
    cd_arena_free(&ar);
    if (rc < 0)
        return -1;
    return entry_shown(tr, p, r);
}

static int on_return(cd_trace *tr, tprobe *p, const cd_trace_rec *r)
{
    tstack *s = thread_stack(tr, r->tid);
    bool has_entry = false, shown = true;
    uint64_t ts = 0;
    /* The rsp after a return is the call's CFA: the calls below it were skipped (a longjmp, an
     * exception, a return the backend did not catch), their returns lost. Then pop to this
     * probe's newest call (one whose CFA is not known may be a call whose return was lost). */
    uint64_t rsp = r->regs.rsp;
    while (rsp && s->n && s->c[s->n - 1].cfa && s->c[s->n - 1].cfa < rsp)
        call_lost(tr, &s->c[--s->n]);
    while (s->n) {
        if (rsp && s->c[s->n - 1].cfa > rsp)
            break; /* a caller's: this call's entry came before the probes */
        tcall c = s->c[--s->n];
        if (c.probe == p->p.id) {
            has_entry = true;
            shown = c.shown;
            ts = c.ts;
            break;
        }
        call_lost(tr, &c);
    }
    if (!shown || tr->limit)
        return 0;
    if (!has_entry && tr->cond)
        return 0; /* its entry came before the probes: --if cannot tell */
    cd_err e;
    cd_err_clear(&e);
    cd_arena ar = {0};
    cd_ectx x;
    cd_scope sc = {.target = tr->snap, .sym = tr->sym, .vs = tr->vs};
    cd_ectx_init(&x, &sc, &ar, &e);
    cd_trace_event ev = {.kind = CD_REC_RETURN, .probe = p->p.id, .key = p->key, .func = p->func, .file = p->file,
                         .line = p->m.line, .tid = r->tid, .ts_ns = r->ts_ns, .has_dur = has_entry,
                         .dur_ns = has_entry && r->ts_ns > ts ? r->ts_ns - ts : 0};
    vals(tr, 1);
    size_t nv = 0;
    tr->cur_p = p;
    tr->cur_r = r;
    if (p->ret_type) {
        /* the instant of the return (no stack copy, no windows): not the last entry's, whose
         * copies would answer for memory the call may have changed since */
        cd_snapshot_instant in = {.tid = r->tid, .regs = r->regs, .win = r->win, .nwin = r->nwin};
        if (cd_snapshot_set(tr->snap, &in, &e) < 0) {
            cd_arena_free(&ar);
            return -1;
        }
        tr->reads0 = cd_snapshot_base_reads(tr->snap);
        cd_ret_regs rr = {.rax = r->regs.rax, .rdx = r->regs.rdx, .xmm0 = r->has_fp ? (const uint8_t *)r->xmm[0] : NULL,
                          .xmm1 = r->has_fp ? (const uint8_t *)r->xmm[1] : NULL};
        cd_value v;
        int rc = cd_ctl_return_value(&x, p->ret_type, &rr, &v, &e);
        if (rc < 0 && e.kind == CD_EK_UNSUPPORTED) {
            char m[sizeof e.msg];
            snprintf(m, sizeof m, "%s", e.msg);
            rc = cd_failk(&e, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "the returned %s: %s by the %s backend", p->ret_tname, m,
                          p->b->ops->name);
        } else if (rc == 0 && v.where == V_MEM) {
            /* the caller's buffer (rax): read from the record's stack copy, the memory of the return's
             * instant; the live process has moved on (it may be reused by the next call already) */
            uint64_t n = cd_type_size(cd_type_strip(p->ret_type)), a = v.addr;
            if (r->stack && a >= r->stack_addr && a + n <= r->stack_addr + r->stack_len && a + n >= a) {
                v.where = V_BYTES;
                v.bytes = cd_arena_alloc(&ar, n);
                memcpy(v.bytes, (const uint8_t *)r->stack + (a - r->stack_addr), n);
            } else {
                rc = cd_failk(&e, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                              "the returned %s is in memory at 0x%llx, outside the %u stack bytes the %s backend "
                              "recorded at the return", p->ret_tname, (unsigned long long)a, r->stack_len, p->b->ops->name);
            }
        }
        put_value(tr, &x, 0, "return", rc, &v, &e);
        ev.has_ret = true;
        ev.ret_type = p->ret_tname;
        ev.ret = tr->vals[0];
        nv = 1;
    }
    int rc = emit(tr, &ev, nv);
    cd_arena_free(&ar);
    return rc < 0 ? -1 : 0;
}

static int sink(void *arg, const cd_trace_rec *r)
{
    cd_trace *tr = arg;
    if (r->kind == CD_REC_DROPPED) {
        if (r->why == CD_DROP_RUNNING) { /* nothing lost: for the summary only */
            if (r->probe < tr->nprobes)
                tr->probes[r->probe].running += r->dropped;
            return 0;
        }
        if (r->why == CD_DROP_RETURNS) { /* said in the trace and the summary; records were not lost */
            if (r->probe < tr->nprobes)
                tr->probes[r->probe].lost_ret_said += r->dropped;
        } else if (r->probe < tr->nprobes)
            tr->probes[r->probe].dropped_seen += r->dropped;
        else
            tr->dropped_other += r->dropped;
        cd_trace_event ev = {.kind = CD_REC_DROPPED, .probe = r->probe, .tid = r->tid, .ts_ns = r->ts_ns,
                             .dropped = r->dropped, .drop_why = r->why,
                             .func = r->probe < tr->nprobes ? tr->probes[r->probe].func : NULL};
        return tr->render(tr->render_arg, &ev) < 0 ? -1 : 0;
    }
    if (r->probe >= tr->nprobes || tr->limit)
        return tr->limit ? 1 : 0;
    tprobe *p = &tr->probes[r->probe];
    return r->kind == CD_REC_ENTRY ? on_entry(tr, p, r) : on_return(tr, p, r);
}

int cd_trace_poll(cd_trace *tr, int timeout_ms, cd_trace_render_fn render, void *arg, cd_err *err)
{
    tr->render = render;
    tr->render_arg = arg;
    int total = 0;
    bool exited = false, first = true;
    for (int k = 1; k < 4; k++) {
        cd_trace_backend *b = tr->bk[k];
        if (!tr->used[k])
            continue;
        cd_err e;
        cd_err_clear(&e);
        int n = b->ops->poll(b, first ? timeout_ms : 0, sink, tr, &e);
        first = false;
        if (n < 0) {
            if (e.kind == CD_EK_EXITED) {
                exited = true;
                continue;
            }
            *err = e;
            return -1;
        }
        total += n;
    }
    if (exited && total == 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "the process has ended");
    return total;
}
