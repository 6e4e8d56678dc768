/* The live-allocation view: recording, matching and grouping (leaks.h). */
#include "trace/leaks.h"

#include "trace/backend.h"
#include "util/idmap.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* K_REALLOC: realloc(old, size), K_REALLOCARRAY: reallocarray(old, n, size), K_MEMALIGN:
 * memalign and aligned_alloc (alignment, size), K_POSIX: posix_memalign(&ptr, alignment, size) */
typedef enum { K_MALLOC, K_CALLOC, K_REALLOC, K_REALLOCARRAY, K_MEMALIGN, K_POSIX, K_VALLOC, K_PVALLOC, K_FREE,
               K_MID } fkind;

static const struct {
    const char *name;
    fkind kind;
} FUNCS[] = {
    {"malloc", K_MALLOC},   {"calloc", K_CALLOC},         {"realloc", K_REALLOC},
    {"reallocarray", K_REALLOCARRAY}, {"memalign", K_MEMALIGN}, {"aligned_alloc", K_MEMALIGN},
    {"posix_memalign", K_POSIX}, {"valloc", K_VALLOC},    {"pvalloc", K_PVALLOC},
    {"free", K_FREE},
    /* glibc's internal worker of the memalign family (a local symbol: with libc's debug symbols
     * only). Its return is the pointer posix_memalign stores in *memptr, which the return of
     * posix_memalign does not carry; without it *memptr is read from the process afterwards. */
    {"_mid_memalign", K_MID},
};
#define N_PUBLIC 10 /* FUNCS before the internal ones: the missing of these are said */
#define NFUNCS (sizeof FUNCS / sizeof FUNCS[0])

/* The copy an allocation's entry takes: the kernel's most for a uprobe (backend.h). 4 KB hold the
 * frames of a call chain tens deep at -O0; a deeper one is reported cut where the copy ends. */
#define ENTRY_STACK CD_TRACE_MAX_STACK
#define MAX_FRAMES 128

/* The live blocks: pointer → (size, stack), linear probing with backward-shift deletion (frees are
 * as many as allocations: no tombstones to pile up). */
typedef struct block {
    uint64_t ptr;            /* 0: empty */
    uint64_t size;
    uint32_t stack;
} block;

typedef struct live_set {
    block *v;
    size_t cap, n;
} live_set;

static block *live_find(live_set *s, uint64_t ptr)
{
    if (!s->cap)
        return NULL;
    for (size_t j = cd_mix64(ptr) & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
        if (s->v[j].ptr == ptr)
            return &s->v[j];
        if (!s->v[j].ptr)
            return NULL;
    }
}

/* Returns true when a block was live at ptr already (replaced). */
static bool live_put(live_set *s, uint64_t ptr, uint64_t size, uint32_t stack)
{
    if ((s->n + 1) * 2 > s->cap) {
        live_set ns = {.cap = s->cap ? s->cap * 2 : 1024};
        ns.v = cd_xcalloc(ns.cap, sizeof *ns.v);
        for (size_t i = 0; i < s->cap; i++)
            if (s->v[i].ptr) {
                size_t j = cd_mix64(s->v[i].ptr) & (ns.cap - 1);
                while (ns.v[j].ptr)
                    j = (j + 1) & (ns.cap - 1);
                ns.v[j] = s->v[i];
            }
        ns.n = s->n;
        free(s->v);
        *s = ns;
    }
    size_t j = cd_mix64(ptr) & (s->cap - 1);
    while (s->v[j].ptr && s->v[j].ptr != ptr)
        j = (j + 1) & (s->cap - 1);
    bool had = s->v[j].ptr == ptr;
    if (!had)
        s->n++;
    s->v[j] = (block){ptr, size, stack};
    return had;
}

static bool live_del(live_set *s, uint64_t ptr, block *out)
{
    block *b = live_find(s, ptr);
    if (!b)
        return false;
    if (out)
        *out = *b;
    size_t i = (size_t)(b - s->v), mask = s->cap - 1;
    s->v[i].ptr = 0;
    s->n--;
    /* backward shift: every block after the hole whose home is not between it and the hole moves in */
    for (size_t j = (i + 1) & mask; s->v[j].ptr; j = (j + 1) & mask) {
        size_t home = cd_mix64(s->v[j].ptr) & mask;
        bool between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            s->v[i] = s->v[j];
            s->v[j].ptr = 0;
            i = j;
        }
    }
    return true;
}

typedef struct lprobe {
    fkind kind;
    uint64_t lo, hi;
    char *path;
    const char *name;
} lprobe;

/* An allocator call whose return has not come yet. */
typedef struct pending {
    uint32_t probe;
    bool inner;              /* made by the allocator itself (another call of this thread pends) */
    bool had_old;            /* realloc: the old block was live (removed at the entry) */
    uint64_t size, arg;      /* arg: realloc's old pointer, posix_memalign's memptr */
    uint64_t ptr;            /* posix_memalign: the pointer an inner call returned, or 0 */
    uint32_t stack;
    block old;
} pending;

typedef struct lthread {
    pid_t tid;
    pending *pend;
    size_t npend, cpend;
} lthread;

/* One distinct stack (one hash of the copy), unwound when first seen. */
typedef struct ustack {
    cd_frame *frames;        /* the program's frames, renumbered from 0 */
    size_t n;
    bool cut;
    char *why;
    uint64_t key;            /* hash of the frames: stacks of equal frames make one group */
} ustack;

struct cd_leaks {
    cd_target *t;
    cd_symtab *sym;
    cd_trace_backend *bu;
    bool ended;
    lprobe *probes;
    size_t nprobes;
    char *libc;              /* the allocator's module name */
    struct { uint64_t lo, hi; } *text;
    size_t ntext;
    uint64_t text_lo, text_hi;
    cd_idmap hashmap;          /* stack hash -> ustacks[] */
    ustack *stacks;
    size_t nstacks;
    struct { uint64_t h; uint32_t id; } cache[8];
    cd_idmap threadmap;
    lthread *threads;
    size_t nthreads;
    live_set live;
    cd_target *snap;
    cd_unwinder *unw;
    unsigned char *membuf;
    size_t membuf_cap;
    cd_leaks_stats st;
    cd_leak_group *groups;
    size_t ngroups;
};

cd_leaks *cd_leaks_new(cd_target *t, cd_symtab *sym, cd_err *err)
{
    cd_leaks *lk = cd_xcalloc(1, sizeof *lk);
    lk->t = t;
    lk->sym = sym;
    lk->snap = cd_snapshot_new(t, err);
    if (!lk->snap) {
        free(lk);
        return NULL;
    }
    return lk;
}

void cd_leaks_free(cd_leaks *lk)
{
    if (!lk)
        return;
    if (lk->bu)
        lk->bu->ops->free(lk->bu);
    for (size_t i = 0; i < lk->nprobes; i++)
        free(lk->probes[i].path);
    free(lk->probes);
    free(lk->libc);
    free(lk->text);
    cd_idmap_free(&lk->hashmap);
    for (size_t i = 0; i < lk->nstacks; i++) {
        free(lk->stacks[i].frames);
        free(lk->stacks[i].why);
    }
    free(lk->stacks);
    cd_idmap_free(&lk->threadmap);
    for (size_t i = 0; i < lk->nthreads; i++)
        free(lk->threads[i].pend);
    free(lk->threads);
    free(lk->live.v);
    if (lk->unw)
        cd_unwinder_free(lk->unw);
    if (lk->snap)
        cd_target_close(lk->snap);
    free(lk->membuf);
    free(lk->groups);
    free(lk);
}

/* ---- resolving ---- */

static bool is_libc(const char *mname)
{
    if (!mname)
        return false;
    const char *b = strrchr(mname, '/');
    b = b ? b + 1 : mname;
    return !strncmp(b, "libc.so", 7) || !strncmp(b, "libc-", 5);
}

static bool name_is(const char *n, const char *want)
{
    size_t l = strlen(want);
    /* "malloc@GLIBC_2.2.5"; "_mid_memalign.constprop.0", a copy gcc specialised (same return) */
    return !strncmp(n, want, l) && (!n[l] || n[l] == '@' || n[l] == '.');
}

typedef struct find_arg {
    cd_leaks *lk;
    const cd_mapping *maps;
    size_t nmaps;
    bool found[NFUNCS];
    bool any_libc;
    char *other;             /* a module other than libc that defines malloc */
} find_arg;

static int find_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud;
    (void)start;
    find_arg *fa = arg;
    cd_leaks *lk = fa->lk;
    bool libc = is_libc(mname);
    /* ld.so has a minimal malloc of its own, used before libc is relocated */
    if (mname && strstr(mname, "ld-linux"))
        return DWARF_CB_OK;
    if (libc) {
        fa->any_libc = true;
        if (!lk->libc) {
            const char *b = strrchr(mname, '/');
            lk->libc = cd_xstrdup(b ? b + 1 : mname);
        }
    }
    if (libc) { /* its debug file's symbol table has the local functions (_mid_memalign) */
        Dwarf_Addr bias;
        dwfl_module_getdwarf(mod, &bias);
    }
    int nsyms = dwfl_module_getsymtab(mod);
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *n = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
        if (!n || sym.st_shndx == SHN_UNDEF || addr == 0 || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
            continue;
        if (!libc) {
            /* another allocator (jemalloc, tcmalloc, the program's own) interposes libc's: the
             * program's calls never reach the functions probed */
            if (!fa->other && GELF_ST_BIND(sym.st_info) != STB_LOCAL && name_is(n, "malloc")) {
                const char *b = mname ? strrchr(mname, '/') : NULL;
                fa->other = cd_xstrdup(b ? b + 1 : mname ? mname : "?");
            }
            continue;
        }
        for (size_t fi = 0; fi < NFUNCS; fi++) {
            if (!name_is(n, FUNCS[fi].name))
                continue;
            fa->found[fi] = true;
            bool dup = false;
            /* aliases of one address (glibc's memalign and aligned_alloc) are one probe */
            for (size_t k = 0; k < lk->nprobes; k++)
                dup |= lk->probes[k].lo == addr;
            if (dup)
                break;
            for (size_t m = 0; m < fa->nmaps; m++)
                if (addr >= fa->maps[m].start && addr < fa->maps[m].end && fa->maps[m].path) {
                    lk->probes = cd_xrealloc(lk->probes, (lk->nprobes + 1) * sizeof *lk->probes);
                    lprobe *p = &lk->probes[lk->nprobes++];
                    p->kind = FUNCS[fi].kind;
                    p->lo = addr;
                    p->hi = addr + (sym.st_size ? sym.st_size : 1);
                    p->path = cd_xstrdup(fa->maps[m].path);
                    p->name = FUNCS[fi].name;
                    break;
                }
            break;
        }
    }
    return DWARF_CB_OK;
}

const char *cd_leaks_libc(const cd_leaks *lk)
{
    return lk->libc;
}

int cd_leaks_resolve(cd_leaks *lk, char **missing, cd_err *err)
{
    *missing = NULL;
    const cd_mapping *maps;
    size_t nmaps;
    if (lk->t->ops->mappings(lk->t, &maps, &nmaps, err) < 0)
        return -1;
    find_arg fa = {.lk = lk, .maps = maps, .nmaps = nmaps};
    dwfl_getmodules(cd_symtab_dwfl(lk->sym), find_cb, &fa, 0);
    int rc = 0;
    if (!fa.any_libc) {
        rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                      "leaks: symbol malloc not found in a shared libc of process %d (a static binary, or one not "
                      "linked with glibc): cdbg leaks traces the allocator of libc.so.6",
                      (int)lk->t->pid);
    } else if (fa.other) {
        rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                      "leaks: process %d calls the malloc of %s, not libc's (another allocator interposes it); "
                      "cdbg leaks traces libc's allocator only",
                      (int)lk->t->pid, fa.other);
    } else {
        const char *need[] = {"malloc", "free"};
        for (size_t k = 0; k < 2 && rc == 0; k++)
            for (size_t fi = 0; fi < NFUNCS; fi++)
                if (!strcmp(FUNCS[fi].name, need[k]) && !fa.found[fi])
                    rc = cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                                  "leaks: symbol %s not found in %s of process %d: cannot trace its allocator",
                                  need[k], lk->libc, (int)lk->t->pid);
    }
    free(fa.other);
    if (rc < 0)
        return -1;
    cd_buf mb = {0};
    for (size_t fi = 0; fi < N_PUBLIC; fi++)
        if (!fa.found[fi])
            cd_buf_printf(&mb, "%s%s", mb.len ? ", " : "", FUNCS[fi].name);
    *missing = mb.s;
    return 0;
}

/* ---- arming ---- */

int cd_leaks_arm(cd_leaks *lk, cd_err *err)
{
    const cd_mapping *maps;
    size_t nmaps;
    if (lk->t->ops->mappings(lk->t, &maps, &nmaps, err) < 0)
        return -1;
    lk->text = cd_xcalloc(nmaps ? nmaps : 1, sizeof *lk->text);
    for (size_t m = 0; m < nmaps; m++)
        if ((maps[m].prot & PROT_EXEC) && !(maps[m].path && maps[m].path[0] == '[')) {
            lk->text[lk->ntext].lo = maps[m].start;
            lk->text[lk->ntext++].hi = maps[m].end;
            if (!lk->text_lo || maps[m].start < lk->text_lo)
                lk->text_lo = maps[m].start;
            if (maps[m].end > lk->text_hi)
                lk->text_hi = maps[m].end;
        }
    cd_trace_env env = {.t = lk->t, .sym = lk->sym, .pid = lk->t->pid};
    lk->bu = cd_tb_uprobe_new(&env, err);
    if (!lk->bu)
        return -1;
    for (size_t i = 0; i < lk->nprobes; i++) {
        lprobe *lp = &lk->probes[i];
        bool is_free = lp->kind == K_FREE, is_inner = lp->kind == K_MID;
        /* free needs its pointer alone (rdi); an allocation its size and the stack to unwind, and
         * its return for the pointer. malloc never unwinds (no C++ exception passes through it),
         * so a return probe is safe. */
        cd_probe p = {.id = (uint32_t)i, .addr = lp->lo, .func_lo = lp->lo, .func_hi = lp->hi, .at_entry = true,
                      .func = lp->name, .module_path = lp->path, .want_return = !is_free,
                      .stack_bytes = is_free || is_inner ? 8 : ENTRY_STACK, .lean = true};
        for (size_t m = 0; m < nmaps; m++)
            if (lp->lo >= maps[m].start && lp->lo < maps[m].end)
                p.file_offset = lp->lo - maps[m].start + maps[m].offset;
        if (lk->bu->ops->add(lk->bu, &p, err) < 0)
            return -1;
    }
    return lk->bu->ops->arm(lk->bu, err);
}

/* ---- stacks ---- */

static bool in_text(const cd_leaks *lk, uint64_t v)
{
    if (v < lk->text_lo || v >= lk->text_hi)
        return false;
    for (size_t i = 0; i < lk->ntext; i++)
        if (v >= lk->text[i].lo && v < lk->text[i].hi)
            return true;
    return false;
}

static bool in_probe(const cd_leaks *lk, uint64_t pc)
{
    for (size_t i = 0; i < lk->nprobes; i++)
        if (pc >= lk->probes[i].lo && pc < lk->probes[i].hi)
            return true;
    return false;
}

/* The allocator's own frames at the top of an allocation's stack: the probed function (frame #0)
 * and C++'s operator new / new[], which only call malloc. */
static bool allocator_frame(const cd_leaks *lk, const cd_frame *f)
{
    return in_probe(lk, f->pc) || (f->info.func && !strncmp(f->info.func, "operator new", 12));
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* What makes two frames one for grouping: the function and source line (an unrolled loop calls
 * malloc from three pcs of one line: one group), inlined or not; the pc without a line. */
static uint64_t frame_key(const cd_frame *f)
{
    if (!f->info.file || f->info.line <= 0)
        return cd_mix64(f->lookup_pc);
    return cd_mix64(str_hash(f->info.func) ^ cd_mix64(str_hash(f->info.file)) ^ ((uint64_t)f->info.line << 20) ^
               ((uint64_t)f->info.inlined << 62));
}

static void unwind_into(cd_leaks *lk, ustack *u, const cd_trace_rec *r)
{
    cd_err err;
    cd_err_clear(&err);
    /* the unwinder reads whole pages: the copy starts at sp's page, zeros below sp (dead there) */
    uint64_t lo = r->stack_addr & ~(uint64_t)4095;
    size_t below = (size_t)(r->stack_addr - lo), need = below + r->stack_len;
    if (need > lk->membuf_cap) {
        lk->membuf_cap = need > 8192 ? need : 8192;
        lk->membuf = cd_xrealloc(lk->membuf, lk->membuf_cap);
    }
    memset(lk->membuf, 0, below);
    if (r->stack_len)
        memcpy(lk->membuf + below, r->stack, r->stack_len);
    cd_snapshot_instant in = {.tid = r->tid, .regs = r->regs, .mem_addr = lo, .mem = lk->membuf, .mem_len = need};
    /* the rest of the thread's stack belongs to a later instant: an unwind that needs it is cut */
    const cd_mapping *maps;
    size_t nmaps;
    cd_err me;
    cd_err_clear(&me);
    if (lk->t->ops->mappings(lk->t, &maps, &nmaps, &me) == 0)
        for (size_t m = 0; m < nmaps; m++)
            if (r->regs.rsp >= maps[m].start && r->regs.rsp < maps[m].end) {
                in.deny_lo = maps[m].start;
                in.deny_hi = maps[m].end;
                break;
            }
    if (!in.deny_hi) { /* the process has ended: nothing of it can be read anyway */
        in.deny_lo = r->stack_addr;
        in.deny_hi = r->stack_addr + r->stack_len + 1;
    }
    cd_stack st;
    memset(&st, 0, sizeof st);
    int rc = cd_snapshot_set(lk->snap, &in, &err);
    if (rc == 0 && !lk->unw && !(lk->unw = cd_unwinder_new(lk->snap, lk->sym, &err)))
        rc = -1;
    if (rc == 0 && lk->snap->nthreads)
        rc = cd_unwind_thread(lk->unw, lk->snap->threads[0], MAX_FRAMES, &st, &err);
    if (rc < 0 || !st.n) {
        u->cut = true;
        u->why = cd_xstrdup(err.msg[0] ? err.msg : "no frame");
        cd_stack_free(&st);
        return;
    }
    /* the allocator's frames: every logical frame of a physical frame one of them is in */
    size_t first = 0;
    int skip_phys = -1;
    while (first < st.n && (st.frames[first].phys == skip_phys || allocator_frame(lk, &st.frames[first]))) {
        skip_phys = st.frames[first].phys;
        first++;
    }
    u->n = st.n - first;
    u->frames = cd_xcalloc(u->n ? u->n : 1, sizeof *u->frames);
    uint64_t key = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < u->n; i++) {
        u->frames[i] = st.frames[first + i];
        u->frames[i].level = (int)i;
        key = cd_mix64(key ^ frame_key(&u->frames[i])) + i;
    }
    u->key = key | 1;
    u->cut = st.error != NULL || st.truncated;
    if (u->cut)
        u->why = cd_xstrdup(st.error ? st.error : "too many frames");
    cd_stack_free(&st);
}

/* The stack of an allocation's entry record: its hash's, unwound the first time it is seen. Two
 * records of one hash have the same pc, frame pointer offset and code words at the same places of
 * their copies, so the unwinder finds the same frames in both. */
static uint32_t stack_of(cd_leaks *lk, const cd_trace_rec *r)
{
    uint64_t h = cd_mix64(r->regs.rip) ^ cd_mix64(r->regs.rbp - r->regs.rsp + 0x51);
    h = cd_mix64(h) | 1;
    size_t nw = r->stack_len / 8;
    const unsigned char *s = r->stack;
    for (size_t i = 0; i < nw; i++) {
        uint64_t w;
        memcpy(&w, s + i * 8, 8);
        if (in_text(lk, w))
            h = cd_mix64(h ^ w ^ ((uint64_t)i << 48)) | 1;
    }
    size_t ci = h & 7;
    if (lk->cache[ci].h == h)
        return lk->cache[ci].id;
    uint32_t *v = cd_idmap_slot(&lk->hashmap, h, true);
    if (*v == UINT32_MAX) {
        if ((lk->nstacks & (lk->nstacks - 1)) == 0)
            lk->stacks = cd_xrealloc(lk->stacks, (lk->nstacks ? lk->nstacks * 2 : 16) * sizeof *lk->stacks);
        ustack *u = &lk->stacks[lk->nstacks];
        memset(u, 0, sizeof *u);
        unwind_into(lk, u, r);
        *v = (uint32_t)lk->nstacks++;
    }
    lk->cache[ci].h = h;
    lk->cache[ci].id = *v;
    return *v;
}

/* ---- matching ---- */

static lthread *thread_of(cd_leaks *lk, pid_t tid)
{
    uint32_t *v = cd_idmap_slot(&lk->threadmap, (uint64_t)tid, true);
    if (*v == UINT32_MAX) {
        lk->threads = cd_xrealloc(lk->threads, (lk->nthreads + 1) * sizeof *lk->threads);
        memset(&lk->threads[lk->nthreads], 0, sizeof *lk->threads);
        lk->threads[lk->nthreads].tid = tid;
        *v = (uint32_t)lk->nthreads++;
    }
    return &lk->threads[*v];
}

static void add_block(cd_leaks *lk, uint64_t ptr, uint64_t size, uint32_t stack)
{
    lk->st.allocs++;
    if (live_put(&lk->live, ptr, size, stack))
        lk->st.replaced++;
}

static void free_block(cd_leaks *lk, uint64_t ptr)
{
    lk->st.frees++;
    if (!live_del(&lk->live, ptr, NULL))
        lk->st.unknown_frees++;
}

static uint64_t mul_or_max(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static void on_entry(cd_leaks *lk, lthread *th, const lprobe *p, const cd_trace_rec *r)
{
    const cd_regs *g = &r->regs;
    if (p->kind == K_FREE) {
        if (th->npend) { /* realloc freeing the old block: realloc's record says it */
            lk->st.inner++;
            return;
        }
        if (g->rdi)
            free_block(lk, g->rdi);
        return;
    }
    if (p->kind == K_MID && !th->npend) /* its caller's entry came before the probes were in */
        return;
    if (th->npend == th->cpend) {
        th->cpend = th->cpend ? th->cpend * 2 : 4;
        th->pend = cd_xrealloc(th->pend, th->cpend * sizeof *th->pend);
    }
    pending *pd = &th->pend[th->npend++];
    memset(pd, 0, sizeof *pd);
    pd->probe = r->probe;
    pd->stack = UINT32_MAX;
    if (th->npend > 1) {
        pd->inner = true;
        lk->st.inner++;
        return;
    }
    switch (p->kind) {
    case K_MALLOC:
    case K_VALLOC:
        pd->size = g->rdi;
        break;
    case K_PVALLOC: /* rounded up to pages */
        pd->size = (g->rdi + 4095) & ~(uint64_t)4095;
        if (!pd->size)
            pd->size = 4096;
        break;
    case K_CALLOC:
        pd->size = mul_or_max(g->rdi, g->rsi);
        break;
    case K_REALLOC:
    case K_REALLOCARRAY:
        pd->arg = g->rdi;
        pd->size = p->kind == K_REALLOC ? g->rsi : mul_or_max(g->rsi, g->rdx);
        /* the old block goes now, not at the return: another thread may be handed its address
         * (freed inside realloc) before this call returns */
        if (pd->arg)
            pd->had_old = live_del(&lk->live, pd->arg, &pd->old);
        break;
    case K_MEMALIGN:
        pd->size = g->rsi;
        break;
    case K_POSIX:
        pd->arg = g->rdi;
        pd->size = g->rdx;
        break;
    case K_FREE:
    case K_MID:
        break;
    }
    pd->stack = stack_of(lk, r);
}

static void on_return(cd_leaks *lk, lthread *th, const lprobe *p, const cd_trace_rec *r)
{
    size_t i = th->npend;
    while (i > 0 && th->pend[i - 1].probe != r->probe)
        i--;
    if (!i) /* its entry came before the probes were in */
        return;
    pending pd = th->pend[i - 1];
    th->npend = i - 1; /* calls above it returned unseen (a lost record) */
    uint64_t ptr = r->regs.rax;
    if (pd.inner) {
        /* what the allocator's own call returned, posix_memalign's block (_mid_memalign or malloc) */
        if (th->npend && lk->probes[th->pend[th->npend - 1].probe].kind == K_POSIX && ptr)
            th->pend[th->npend - 1].ptr = ptr;
        return;
    }
    switch (p->kind) {
    case K_REALLOC:
    case K_REALLOCARRAY:
        if (pd.arg) {
            if (ptr || !pd.size) { /* the old block was freed (moved, or realloc(p, 0)) */
                lk->st.frees++;
                if (!pd.had_old)
                    lk->st.unknown_frees++;
            } else if (pd.had_old) { /* failed: the old block stays */
                live_put(&lk->live, pd.arg, pd.old.size, pd.old.stack);
            }
        }
        if (ptr)
            add_block(lk, ptr, pd.size, pd.stack);
        else if (pd.size || !pd.arg)
            lk->st.failed++;
        break;
    case K_POSIX: {
        uint64_t v = pd.ptr;
        /* without an inner call's return, *memptr, read now from the process: after the call,
         * racing the program (docs/leaks.md) */
        if ((uint32_t)r->regs.rax == 0 && (v || cd_target_read_full(lk->t, pd.arg, &v, sizeof v) == 0) && v)
            add_block(lk, v, pd.size, pd.stack);
        else
            lk->st.failed++;
        break;
    }
    default:
        if (ptr)
            add_block(lk, ptr, pd.size, pd.stack);
        else
            lk->st.failed++;
        break;
    }
}

static int sink(void *arg, const cd_trace_rec *r)
{
    cd_leaks *lk = arg;
    lk->st.records++;
    if (r->kind == CD_REC_DROPPED) {
        lk->st.lost += r->dropped;
        /* a lost return would leave its call pending, and every later call of the thread inner */
        for (size_t i = 0; i < lk->nthreads; i++)
            if (!r->tid || lk->threads[i].tid == r->tid)
                lk->threads[i].npend = 0;
        return 0;
    }
    if (r->probe >= lk->nprobes)
        return 0;
    const lprobe *p = &lk->probes[r->probe];
    lthread *th = thread_of(lk, r->tid);
    if (r->kind == CD_REC_ENTRY)
        on_entry(lk, th, p, r);
    else if (r->kind == CD_REC_RETURN)
        on_return(lk, th, p, r);
    return 0;
}

int cd_leaks_poll(cd_leaks *lk, int timeout_ms, cd_err *err)
{
    if (lk->ended)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "leaks: process %d has ended", (int)lk->t->pid);
    cd_err e;
    cd_err_clear(&e);
    int n = lk->bu->ops->poll(lk->bu, timeout_ms, sink, lk, &e);
    if (n < 0) {
        if (e.kind == CD_EK_EXITED)
            lk->ended = true;
        *err = e;
    }
    return n;
}

int cd_leaks_disarm(cd_leaks *lk, cd_err *err)
{
    if (!lk->bu || lk->ended)
        return 0;
    return lk->bu->ops->disarm(lk->bu, err);
}

void cd_leaks_drain(cd_leaks *lk)
{
    if (!lk->bu || lk->ended)
        return;
    cd_err e;
    cd_err_clear(&e);
    while (lk->bu->ops->poll(lk->bu, 0, sink, lk, &e) > 0)
        ;
}

void cd_leaks_emergency(cd_leaks *lk)
{
    if (lk && lk->bu)
        lk->bu->ops->emergency(lk->bu);
}

/* ---- groups ---- */

static int cmp_group(const void *a, const void *b)
{
    const cd_leak_group *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    /* a stable order between equal groups: by their frames' pcs */
    for (size_t i = 0; i < x->nframes && i < y->nframes; i++)
        if (x->frames[i].pc != y->frames[i].pc)
            return x->frames[i].pc < y->frames[i].pc ? -1 : 1;
    return x->nframes < y->nframes ? -1 : x->nframes > y->nframes;
}

size_t cd_leaks_groups(cd_leaks *lk, const cd_leak_group **out)
{
    free(lk->groups);
    lk->groups = NULL;
    lk->ngroups = 0;
    cd_idmap bykey = {0};
    for (size_t i = 0; i < lk->live.cap; i++) {
        const block *b = &lk->live.v[i];
        if (!b->ptr || b->stack >= lk->nstacks)
            continue;
        const ustack *u = &lk->stacks[b->stack];
        uint32_t *g = cd_idmap_slot(&bykey, u->key ? u->key : (uint64_t)b->stack + 2, true);
        if (*g == UINT32_MAX) {
            lk->groups = cd_xrealloc(lk->groups, (lk->ngroups + 1) * sizeof *lk->groups);
            lk->groups[lk->ngroups] = (cd_leak_group){.frames = u->frames, .nframes = u->n, .cut = u->cut,
                                                      .why_cut = u->why};
            *g = (uint32_t)lk->ngroups++;
        }
        lk->groups[*g].bytes += b->size;
        lk->groups[*g].count++;
    }
    cd_idmap_free(&bykey);
    if (lk->ngroups)
        qsort(lk->groups, lk->ngroups, sizeof *lk->groups, cmp_group);
    *out = lk->groups;
    return lk->ngroups;
}

void cd_leaks_get_stats(const cd_leaks *lk, cd_leaks_stats *out)
{
    *out = lk->st;
    out->live = lk->live.n;
    out->live_bytes = 0;
    for (size_t i = 0; i < lk->live.cap; i++)
        if (lk->live.v[i].ptr)
            out->live_bytes += lk->live.v[i].size;
    out->stacks = lk->nstacks;
    out->threads = lk->nthreads;
}
