/* The dynamic linker's rendezvous: following dlopen and dlclose as they happen.
 *
 * glibc's ld.so (and every SysV dynamic linker) keeps a `struct r_debug` whose r_brk is a function
 * it calls around each change of the library list, with r_state saying which: RT_ADD before a
 * library is mapped, RT_DELETE before one is unmapped, RT_CONSISTENT once the list is stable. An
 * internal breakpoint there (purpose CD_BPP_SOLIB) lets the run loop, with every thread held:
 *   - at RT_CONSISTENT, re-read the module list and resolve the pending breakpoints (a library
 *     just mapped, before its constructors run: a breakpoint in them is hit);
 *   - at RT_DELETE, take out the int3s of user breakpoints in libraries before one of them is
 *     unmapped (an int3 cannot be removed from memory that is gone, and the target would put the
 *     saved byte back into whatever is mapped there later), and at the next RT_CONSISTENT put back
 *     the ones whose library is still there; a breakpoint left with no location is pending again.
 * r_debug is found as gdb finds it: the executable's DT_DEBUG entry (filled in by ld.so), else
 * ld.so's `_r_debug` symbol; r_brk is read from it, else `_dl_debug_state` (before ld.so ran). */
#include <gelf.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"

/* struct r_debug (link.h), x86-64 */
#define R_BRK_OFF 16
#define R_STATE_OFF 24
enum { RT_CONSISTENT = 0, RT_ADD = 1, RT_DELETE = 2 };

static Dwfl_Module *exe_module(cd_ctl *c)
{
    uint64_t entry;
    if (cd_symtab_entry(c->sym, &entry) < 0)
        return NULL;
    return dwfl_addrmodule(cd_symtab_dwfl(c->sym), entry);
}

/* The executable's DT_DEBUG value, read from its dynamic section in memory (0: none yet). */
static uint64_t dt_debug(cd_ctl *c)
{
    Dwfl_Module *m = exe_module(c);
    Dwarf_Addr bias;
    Elf *elf = m ? dwfl_module_getelf(m, &bias) : NULL;
    size_t n;
    if (!elf || elf_getphdrnum(elf, &n) != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_DYNAMIC)
            continue;
        uint64_t a = ph.p_vaddr + bias;
        for (size_t k = 0; k < ph.p_memsz / 16 && k < 1024; k++) {
            int64_t d[2];
            if (cd_target_read(c->t, a + 16 * k, d, sizeof d) != (ssize_t)sizeof d || d[0] == DT_NULL)
                return 0;
            if (d[0] == DT_DEBUG)
                return (uint64_t)d[1];
        }
    }
    return 0;
}

typedef struct sym_find {
    const char *name;
    bool func;
    uint64_t addr;
} sym_find;

static int sym_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud, (void)mname, (void)start;
    sym_find *f = arg;
    int nsyms = dwfl_module_getsymtab(mod);
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *n = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
        if (!n || sym.st_shndx == SHN_UNDEF || addr == 0 || strcmp(n, f->name) != 0)
            continue;
        if ((GELF_ST_TYPE(sym.st_info) == STT_FUNC) != f->func)
            continue;
        f->addr = addr;
        return DWARF_CB_ABORT;
    }
    return DWARF_CB_OK;
}

static uint64_t find_sym(cd_ctl *c, const char *name, bool func)
{
    sym_find f = {.name = name, .func = func};
    dwfl_getmodules(cd_symtab_dwfl(c->sym), sym_cb, &f, 0);
    return f.addr;
}

static uint64_t find_r_debug(cd_ctl *c)
{
    if (!c->r_debug) {
        c->r_debug = dt_debug(c);
        if (!c->r_debug)
            c->r_debug = find_sym(c, "_r_debug", false);
    }
    return c->r_debug;
}

bool ctl_solib_is(cd_ctl *c, const cd_bp *b)
{
    return b && c->solib_bp && b->id == c->solib_bp;
}

void ctl_solib_forget(cd_ctl *c)
{
    cd_bp *b = c->solib_bp ? cd_ctl_bp_find(c, c->solib_bp) : NULL;
    if (b) {
        /* the new image's memory has no int3 there: only the bookkeeping goes */
        for (size_t k = 0; k < b->nlocs; k++)
            b->locs[k].inserted = false;
        ctl_internal_drop(c, b);
    }
    c->solib_bp = 0;
    c->r_debug = 0;
}

int ctl_solib_arm(cd_ctl *c, cd_err *err)
{
    if (c->solib_bp && cd_ctl_bp_find(c, c->solib_bp))
        return 0;
    c->solib_bp = 0;
    if (!c->t->caps.can_run)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "the target does not run (a core file)");
    uint64_t rd = find_r_debug(c), brk = 0;
    if (rd && cd_target_read(c->t, rd + R_BRK_OFF, &brk, sizeof brk) != (ssize_t)sizeof brk)
        brk = 0;
    if (!brk)
        brk = find_sym(c, "_dl_debug_state", true);
    if (!brk)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                        "the program has no dynamic linker rendezvous (r_debug): it cannot load libraries (a "
                        "static program?)");
    cd_bp *b = cd_ctl_internal_add(c, CD_BPP_SOLIB, &brk, 1, 0, 0, err);
    if (!b)
        return -1;
    c->solib_bp = b->id;
    return 0;
}

static void add_bpnote(cd_stop *stop, int id, bool resolved)
{
    stop->bpnotes = cd_xrealloc(stop->bpnotes, (stop->nbpnotes + 1) * sizeof *stop->bpnotes);
    stop->bpnotes[stop->nbpnotes++] = (cd_bpnote){id, resolved};
}

/* RT_DELETE: a library is about to be unmapped (which one is not said): every user int3 outside
 * the executable comes out now, while its code is still there. */
static void lift(cd_ctl *c)
{
    Dwfl *dwfl = cd_symtab_dwfl(c->sym);
    Dwfl_Module *exe = exe_module(c);
    cd_bp **bps;
    size_t n = cd_ctl_bps(c, &bps);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < bps[i]->nlocs; k++) {
            cd_bploc *l = &bps[i]->locs[k];
            if (!l->inserted || dwfl_addrmodule(dwfl, l->addr) == exe)
                continue;
            cd_err e;
            if (ctl_loc_remove(c, l, &e) == 0)
                l->lifted = true;
        }
}

/* RT_CONSISTENT, modules re-read: locations whose library is gone are dropped (a breakpoint left
 * with none is pending again); lifted ones still mapped go back in. */
static void settle(cd_ctl *c, cd_stop *stop)
{
    Dwfl *dwfl = cd_symtab_dwfl(c->sym);
    cd_bp **bps;
    size_t n = cd_ctl_bps(c, &bps);
    for (size_t i = 0; i < n; i++) {
        cd_bp *b = bps[i];
        size_t kept = 0;
        for (size_t k = 0; k < b->nlocs; k++) {
            cd_bploc l = b->locs[k];
            if (!dwfl_addrmodule(dwfl, l.addr)) {
                if (l.inserted) {
                    /* not lifted (an unload we did not see begin): the int3 went with the code */
                    cd_err e;
                    ctl_loc_remove(c, &b->locs[k], &e);
                }
                continue;
            }
            if (l.lifted) {
                l.lifted = false;
                cd_err e;
                if (b->enabled && ctl_loc_insert(c, &l, &e) < 0)
                    l.inserted = false;
            }
            b->locs[kept++] = l;
        }
        if (kept == 0 && b->nlocs > 0) {
            b->pending = true;
            add_bpnote(stop, b->id, false);
        }
        b->nlocs = kept;
    }
}

void ctl_solib_event(cd_ctl *c, cd_stop *stop)
{
    uint64_t rd = find_r_debug(c);
    int32_t state = -1;
    if (rd && cd_target_read(c->t, rd + R_STATE_OFF, &state, sizeof state) != (ssize_t)sizeof state)
        state = -1;
    if (state == RT_ADD)
        return; /* nothing is mapped yet */
    if (state == RT_DELETE) {
        lift(c);
        return;
    }
    cd_err e;
    if (cd_symtab_refresh(c->sym, &e) < 0)
        return;
    settle(c, stop);
    cd_bp **bps;
    size_t n = cd_ctl_bps(c, &bps);
    bool *was = cd_xcalloc(n ? n : 1, sizeof *was);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= was[i] = bps[i]->pending;
    if (any && cd_ctl_reresolve(c, &e) > 0) {
        /* reresolve neither adds nor removes breakpoints: the list is the same */
        for (size_t i = 0; i < n; i++)
            if (was[i] && !bps[i]->pending)
                add_bpnote(stop, bps[i]->id, true);
    }
    free(was);
}
