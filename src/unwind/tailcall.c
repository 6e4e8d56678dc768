/* Tail-call frames, as gdb rebuilds them (dwarf2/frame-tailcall.c): a function that ended in a jump
 * to another left no frame, but the compiler's DW_TAG_call_site entries say which calls were tail
 * calls (DW_AT_call_tail_call) and where they went. Between a callee and its caller, the caller's
 * call site names the function it called; when that is not the callee, the tail calls that lead
 * from there to the callee are searched, and the functions along them are the missing frames.
 *
 * The search is gdb's, step for step, so the frames are the ones gdb shows: a depth-first walk over
 * tail call sites, each site entered at most once in the whole search; every path that reaches the
 * callee is a candidate, and only the call sites all candidates share at their outer end (callers)
 * and at their inner end (callees) are kept. Two candidates sharing neither end: nothing is shown.
 * Anything that cannot be resolved (a call site whose target is computed at run time, a function
 * without DWARF on the way) abandons the search: no frame is ever guessed. */
#include "unwind/tailcall.h"
#include "util/util.h"

#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SITES 256  /* tail call sites visited in one search */
#define MAX_CHAIN 64

typedef struct site {
    uint64_t pc;     /* the call site's return pc (after the jump, for a tail call) */
    uint64_t target; /* the called function's entry */
} site;

/* The function DIE F's entry or, for a declaration (a call into another module), the address of the
 * symbol its linkage name (else its name) names, as gdb finds a call site's target by physname. */
static bool die_entry(cd_symtab *s, Dwarf_Die *f, Dwarf_Addr bias, uint64_t *out)
{
    Dwarf_Addr lo;
    if (dwarf_entrypc(f, &lo) == 0) {
        *out = lo + bias;
        return true;
    }
    Dwarf_Attribute a;
    const char *name = dwarf_formstring(dwarf_attr_integrate(f, DW_AT_linkage_name, &a));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(f, DW_AT_MIPS_linkage_name, &a));
    if (!name)
        name = dwarf_formstring(dwarf_attr_integrate(f, DW_AT_name, &a));
    if (!name)
        return false;
    /* NAME, or NAME@@VERSION: a library's symbol table names its versioned functions so */
    return cd_symtab_func_named(s, name, out) && *out != 0;
}

/* Call site CS's target function entry; false when it is not a fixed function. */
static bool site_target(cd_symtab *s, Dwarf_Die *cs, Dwarf_Addr bias, uint64_t *out)
{
    Dwarf_Attribute a;
    Dwarf_Die fn;
    if ((dwarf_attr(cs, DW_AT_call_origin, &a) || dwarf_attr(cs, DW_AT_abstract_origin, &a)) &&
        dwarf_formref_die(&a, &fn))
        return die_entry(s, &fn, bias, out);
    Dwarf_Op *ops;
    size_t n;
    if ((dwarf_attr(cs, DW_AT_call_target, &a) || dwarf_attr(cs, DW_AT_GNU_call_site_target, &a)) &&
        dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 && ops[0].atom == DW_OP_addr) {
        *out = ops[0].number + bias;
        return true;
    }
    return false; /* computed at run time from the caller's registers */
}

static bool site_pc(Dwarf_Die *cs, Dwarf_Addr bias, uint64_t *out)
{
    Dwarf_Attribute a;
    Dwarf_Addr pc;
    /* GNU call sites keep the return pc in DW_AT_low_pc */
    if ((dwarf_attr(cs, DW_AT_call_return_pc, &a) || dwarf_attr(cs, DW_AT_low_pc, &a)) && dwarf_formaddr(&a, &pc) == 0) {
        *out = pc + bias;
        return true;
    }
    return false;
}

typedef struct scan {
    cd_symtab *s;
    Dwarf_Addr bias;
    bool tail_only;  /* collect tail call sites (else: find the one returning to ret) */
    uint64_t ret;
    site *out;
    size_t n, cap;
    bool bad;        /* a tail call site whose target is not a fixed function */
} scan;

static void scan_die(scan *sc, Dwarf_Die *scope, int depth)
{
    Dwarf_Die c;
    if (depth > 64 || dwarf_child(scope, &c) != 0)
        return;
    do {
        int tag = dwarf_tag(&c);
        if (tag == DW_TAG_call_site || tag == DW_TAG_GNU_call_site) {
            uint64_t pc, target = 0;
            if (!site_pc(&c, sc->bias, &pc))
                continue;
            if (sc->tail_only) {
                if (!dwarf_hasattr(&c, DW_AT_call_tail_call) && !dwarf_hasattr(&c, DW_AT_GNU_tail_call))
                    continue;
                if (!site_target(sc->s, &c, sc->bias, &target)) {
                    sc->bad = true;
                    return;
                }
            } else {
                if (pc != sc->ret)
                    continue;
                if (!site_target(sc->s, &c, sc->bias, &target))
                    sc->bad = true;
            }
            if (sc->n < sc->cap)
                sc->out[sc->n++] = (site){pc, target};
            if (!sc->tail_only)
                return;
        } else if (tag == DW_TAG_lexical_block || tag == DW_TAG_inlined_subroutine) {
            scan_die(sc, &c, depth + 1);
        }
        if (sc->bad || (!sc->tail_only && sc->n))
            return;
    } while (dwarf_siblingof(&c, &c) == 0);
}

/* The out-of-line function DIE holding PC (a lookup address) and its module's bias. */
static bool func_die(cd_symtab *s, uint64_t pc, Dwarf_Die *die, Dwarf_Addr *bias, uint64_t *entry)
{
    const cd_pcinfo *pi;
    int ni = cd_symtab_lookup(s, pc, &pi);
    pi += ni - 1;
    if (!pi->has_die || !pi->mod || dwarf_tag((Dwarf_Die *)&pi->scope_die) != DW_TAG_subprogram)
        return false;
    *die = pi->scope_die;
    if (!dwfl_module_getdwarf(pi->mod, bias))
        return false;
    if (entry)
        *entry = pi->func_addr;
    return true;
}

/* The tail call sites of the function entered at ENTRY, into OUT (up to CAP); -1: the search must be
 * abandoned (no DWARF for it, or a tail call whose target is computed at run time). */
static int tail_sites(cd_symtab *s, uint64_t entry, site *out, size_t cap)
{
    Dwarf_Die fn;
    Dwarf_Addr bias;
    uint64_t e;
    if (!func_die(s, entry, &fn, &bias, &e) || e != entry)
        return -1;
    scan sc = {.s = s, .bias = bias, .tail_only = true, .out = out, .cap = cap};
    scan_die(&sc, &fn, 0);
    return sc.bad || sc.n == cap ? -1 : (int)sc.n; /* a full list may have lost sites: unsure */
}

typedef struct result {
    bool have;
    uint64_t pcs[MAX_CHAIN];
    size_t len, callers, callees;
} result;

/* A path reaching the callee: kept whole if it is the first, else only what it shares with the
 * paths before it at either end. False when nothing is shared: the chain is ambiguous. */
static bool candidate(result *r, const site *chain, size_t len)
{
    if (!r->have) {
        r->have = true;
        r->len = r->callers = r->callees = len;
        for (size_t k = 0; k < len; k++)
            r->pcs[k] = chain[k].pc;
        return true;
    }
    size_t callers = r->callers < len ? r->callers : len, callees = r->callees < len ? r->callees : len;
    for (size_t k = 0; k < callers; k++)
        if (r->pcs[k] != chain[k].pc) {
            callers = k;
            break;
        }
    for (size_t k = 0; k < callees; k++)
        if (r->pcs[r->len - 1 - k] != chain[len - 1 - k].pc) {
            callees = k;
            break;
        }
    if (callers == 0 && callees == 0) {
        r->have = false;
        return false;
    }
    r->callers = callers;
    r->callees = callees;
    return true;
}

/* One function's tail call sites, for the search's stack. */
typedef struct level {
    site *sites;
    int n, next;
} level;

int cd_tailcall_chain(cd_symtab *s, uint64_t ret_pc, uint64_t callee_lpc, uint64_t *pcs, int cap)
{
    const cd_pcinfo *pi;
    int ni = cd_symtab_lookup(s, callee_lpc, &pi);
    uint64_t callee = pi[ni - 1].func_addr;
    Dwarf_Die fn;
    Dwarf_Addr bias;
    if (!callee || !func_die(s, ret_pc - 1, &fn, &bias, NULL))
        return 0;
    site first;
    scan sc = {.s = s, .bias = bias, .ret = ret_pc, .out = &first, .cap = 1};
    scan_die(&sc, &fn, 0);
    if (!sc.n || sc.bad)
        return 0;

    result r = {0};
    site chain[MAX_CHAIN];
    level lv[MAX_CHAIN];
    int top = -1; /* levels 0..top hold their function's tail call sites */
    size_t depth = 0, nvisited = 0;
    uint64_t visited[MAX_SITES];
    bool abandon = false;
    uint64_t target = first.target;
    for (;;) {
        size_t L;
        if (target == callee) {
            if (!candidate(&r, chain, depth) || depth == 0)
                break;
            L = --depth; /* that path is done: the next site of the function it went through */
        } else {
            if (depth >= MAX_CHAIN) {
                abandon = true;
                break;
            }
            site *ts = cd_xmalloc(64 * sizeof *ts);
            int n = tail_sites(s, target, ts, 64);
            if (n < 0) {
                free(ts);
                abandon = true;
                break;
            }
            lv[depth] = (level){ts, n, 0};
            top = (int)depth;
            L = depth;
        }
        /* enter the next site of level L not entered before, else backtrack */
        for (;;) {
            site *t = NULL;
            while (!t && lv[L].next < lv[L].n) {
                t = &lv[L].sites[lv[L].next++];
                for (size_t k = 0; k < nvisited && t; k++)
                    if (visited[k] == t->pc)
                        t = NULL;
            }
            if (t) {
                if (nvisited == MAX_SITES) {
                    abandon = true;
                    goto done;
                }
                visited[nvisited++] = t->pc;
                chain[L] = *t;
                depth = L + 1;
                target = t->target;
                break;
            }
            free(lv[L].sites);
            top = (int)L - 1;
            if (L == 0)
                goto done;
            depth = --L;
        }
    }
done:
    for (int k = 0; k <= top; k++)
        free(lv[k].sites);
    if (abandon || !r.have)
        return 0;
    /* innermost first: the callees end, then the callers end (all of it when unambiguous) */
    int n = 0;
    size_t inner = r.callees, outer = r.callers;
    if (inner + outer > r.len)
        inner = r.len, outer = 0;
    for (size_t k = 0; k < inner && n < cap; k++)
        pcs[n++] = r.pcs[r.len - 1 - k];
    for (size_t k = outer; k-- > 0 && n < cap;)
        pcs[n++] = r.pcs[k];
    return n;
}

size_t cd_tailcall_append(cd_symtab *s, cd_frame **fr, size_t *cap, size_t n, size_t max, bool *truncated,
                          uint64_t caller_pc, const uint64_t caller_regs[CD_NDWREGS], uint32_t caller_valid)
{
    const cd_frame *callee = &(*fr)[n - 1];
    uint64_t pcs[MAX_CHAIN];
    int np = cd_tailcall_chain(s, caller_pc, callee->lookup_pc, pcs, MAX_CHAIN);
    uint64_t cfa = callee->cfa;
    int phys = callee->phys + 1;
    for (int j = 0; j < np; j++) {
        const cd_pcinfo *pi;
        int ni = cd_symtab_lookup(s, pcs[j] - 1, &pi);
        /* One frame per tail call, named by the innermost function at its pc, as gdb shows it:
         * gdb builds no inlined frames above a tail-call frame (__pthread_kill's tail call in glibc
         * shows as __pthread_kill_internal alone, not that and __pthread_kill). */
        if (ni > 1)
            ni = 1;
        for (int k = 0; k < ni; k++) {
            if (n == max) {
                *truncated = true;
                return n;
            }
            if (n == *cap) {
                *cap *= 2;
                *fr = cd_xrealloc(*fr, *cap * sizeof **fr);
            }
            cd_frame *c = &(*fr)[n];
            memset(c, 0, sizeof *c);
            c->level = (int)n;
            c->phys = phys;
            c->pc = pcs[j];
            c->lookup_pc = pcs[j] - 1;
            c->cfa = cfa;
            c->info = pi[k];
            c->info.inlined = false;
            /* the registers its caller has (gdb: the frame's unwound registers), but where the
             * jump left: pc at the call site, sp at the return address the callee returns with */
            memcpy(c->regs, caller_regs, sizeof c->regs);
            c->regs_valid = caller_valid;
            c->regs[16] = pcs[j];
            if (cfa)
                c->regs[7] = cfa - 8;
            else
                c->regs_valid &= ~(1u << 7);
            c->tailcall = true;
            n++;
        }
    }
    return n;
}
