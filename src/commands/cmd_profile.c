/* `cdbg profile [options] (-p PID | -- PROG [ARGS...])`: an on-CPU sampling profile of every
 * thread, the process never stopped (docs/profile.md).
 *
 * The kernel takes the samples (src/trace/profile.c: registers and a copy of the stack top); each
 * one becomes an instant of a snapshot target over the live process and is unwound by the same
 * libdwfl unwinder and symbolizer as `bt`, inline frames included. The rest of the thread's stack
 * mapping is denied to the snapshot (it belongs to a later instant), so a stack deeper than the
 * copy ends "cut" instead of borrowing frames from the present. Stacks are counted here and
 * written as folded text, an SVG flame graph or a gzipped pprof profile. */
#include "commands/profile.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "commands/cmd_impl.h"
#include "commands/oneshot.h"
#include "control/control.h"
#include "target/open.h"
#include "trace/profile.h"
#include "unwind/unwind.h"

static const char usage[] =
    "usage: cdbg profile [options] -p PID\n"
    "       cdbg profile [options] -- PROG [ARGS...]\n"
    "Options: --duration SECONDS (default: until Ctrl-C or the process ends), --hz N (default 99\n"
    "         samples per CPU-second), -o FILE (.folded/.txt folded stacks, .svg flame graph,\n"
    "         .pb.gz pprof; default: folded stacks on stdout), --threads (one root per thread name)\n"
    "Ctrl-C, SIGTERM and SIGHUP end the profile: what was collected is written, the process runs on.\n"
    "Exit status: with -- PROG the program's (128+N for signal N), 128+N when signal N ended cdbg\n"
    "first (the program runs on, untraced); with -p 0 when the profile was\n"
    "written (also when the process ended first: what was collected is written); 1 profiling or\n"
    "writing failed, 2 usage error (options, unknown -o extension), 4 no such process, cannot start\n"
    "PROG, or perf_event_open refused (kernel.perf_event_paranoid, CAP_PERFMON).\n";

static const char *sig_name(int sig)
{
    return sig == SIGTERM ? " by SIGTERM" : sig == SIGHUP ? " by SIGHUP" : "";
}

typedef enum { FMT_FOLDED, FMT_SVG, FMT_PPROF } out_fmt;

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* ---- the counted stacks --------------------------------------------------------------------- */

typedef struct pfunc {
    char *name, *file, *module;
} pfunc;

typedef struct pline {
    uint32_t func;           /* index into funcs */
    int line;
} pline;

typedef struct ploc {
    uint64_t key;            /* lookup pc */
    uint64_t addr;           /* pc (a return address for callers) */
    uint32_t mapping;        /* index + 1 into maps, 0: none */
    pline *lines;            /* innermost (inlined) first, the containing function last */
    size_t nlines;
} ploc;

typedef struct pmap {
    Dwfl_Module *mod;
    uint64_t start, end;
    char *file, *build_id;
} pmap;

typedef struct pstack {
    uint32_t *locs;          /* leaf first */
    size_t nlocs;
    char *thread;            /* --threads: the thread's name */
    bool cut;
    uint64_t count;
    uint64_t hash;
} pstack;

typedef struct agg {
    pfunc *funcs;
    size_t nfuncs;
    ploc *locs;
    size_t nlocs;
    size_t *loc_tab, loc_cap; /* open addressing: index + 1 */
    pmap *maps;
    size_t nmaps;
    pstack *stacks;
    size_t nstacks;
    size_t *st_tab, st_cap;
    uint64_t total, cut, failed;
} agg;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

static bool streq0(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static uint32_t func_id(agg *g, const char *name, const char *file, const char *module)
{
    /* few distinct functions: a linear search from the most recent is enough */
    for (size_t i = g->nfuncs; i-- > 0;)
        if (!strcmp(g->funcs[i].name, name) && streq0(g->funcs[i].file, file) && streq0(g->funcs[i].module, module))
            return (uint32_t)i;
    g->funcs = cd_xrealloc(g->funcs, (g->nfuncs + 1) * sizeof *g->funcs);
    g->funcs[g->nfuncs] = (pfunc){cd_xstrdup(name), file ? cd_xstrdup(file) : NULL, module ? cd_xstrdup(module) : NULL};
    return (uint32_t)g->nfuncs++;
}

static uint32_t map_id(agg *g, Dwfl_Module *mod)
{
    if (!mod)
        return 0;
    for (size_t i = 0; i < g->nmaps; i++)
        if (g->maps[i].mod == mod)
            return (uint32_t)i + 1;
    pmap m = {.mod = mod};
    Dwarf_Addr lo = 0, hi = 0;
    const char *main = NULL;
    const char *name = dwfl_module_info(mod, NULL, &lo, &hi, NULL, NULL, &main, NULL);
    m.start = lo;
    m.end = hi;
    m.file = cd_xstrdup(main ? main : name ? name : "");
    const unsigned char *bits;
    GElf_Addr vaddr;
    int n = dwfl_module_build_id(mod, &bits, &vaddr);
    if (n > 0) {
        m.build_id = cd_xcalloc(1, (size_t)n * 2 + 1);
        for (int i = 0; i < n; i++)
            sprintf(m.build_id + 2 * i, "%02x", bits[i]);
    }
    g->maps = cd_xrealloc(g->maps, (g->nmaps + 1) * sizeof *g->maps);
    g->maps[g->nmaps++] = m;
    return (uint32_t)g->nmaps;
}

static char *frame_name(const cd_pcinfo *in, uint64_t pc)
{
    if (in->func)
        return cd_xstrdup(in->func);
    if (in->module)
        return cd_xasprintf("[%s]", in->module);
    return cd_xasprintf("[unknown 0x%llx]", (unsigned long long)pc);
}

/* The location of physical frame frames[first..last] (logical frames of one pc). */
static uint32_t loc_id(agg *g, const cd_frame *fr, size_t first, size_t last)
{
    uint64_t key = fr[first].lookup_pc;
    if ((g->nlocs + 1) * 2 > g->loc_cap) {
        size_t ncap = g->loc_cap ? g->loc_cap * 2 : 256;
        size_t *t = cd_xcalloc(ncap, sizeof *t);
        for (size_t i = 0; i < g->nlocs; i++)
            for (size_t j = mix64(g->locs[i].key) & (ncap - 1);; j = (j + 1) & (ncap - 1))
                if (!t[j]) {
                    t[j] = i + 1;
                    break;
                }
        free(g->loc_tab);
        g->loc_tab = t;
        g->loc_cap = ncap;
    }
    size_t j = mix64(key) & (g->loc_cap - 1);
    for (; g->loc_tab[j]; j = (j + 1) & (g->loc_cap - 1))
        if (g->locs[g->loc_tab[j] - 1].key == key)
            return (uint32_t)(g->loc_tab[j] - 1);
    ploc l = {.key = key, .addr = fr[first].pc};
    l.nlines = last - first + 1;
    l.lines = cd_xcalloc(l.nlines, sizeof *l.lines);
    for (size_t i = first; i <= last; i++) {
        char *name = frame_name(&fr[i].info, fr[i].pc);
        l.lines[i - first] = (pline){func_id(g, name, fr[i].info.file, fr[i].info.module), fr[i].info.line};
        free(name);
    }
    l.mapping = map_id(g, fr[last].info.mod);
    g->locs = cd_xrealloc(g->locs, (g->nlocs + 1) * sizeof *g->locs);
    g->locs[g->nlocs] = l;
    g->loc_tab[j] = g->nlocs + 1;
    return (uint32_t)g->nlocs++;
}

static void add_stack(agg *g, const uint32_t *locs, size_t n, const char *thread, bool cut)
{
    uint64_t h = mix64(n * 31 + cut);
    for (size_t i = 0; i < n; i++)
        h = mix64(h ^ locs[i]);
    if (thread)
        for (const char *c = thread; *c; c++)
            h = mix64(h ^ (uint8_t)*c);
    if ((g->nstacks + 1) * 2 > g->st_cap) {
        size_t ncap = g->st_cap ? g->st_cap * 2 : 256;
        size_t *t = cd_xcalloc(ncap, sizeof *t);
        for (size_t i = 0; i < g->nstacks; i++)
            for (size_t j = g->stacks[i].hash & (ncap - 1);; j = (j + 1) & (ncap - 1))
                if (!t[j]) {
                    t[j] = i + 1;
                    break;
                }
        free(g->st_tab);
        g->st_tab = t;
        g->st_cap = ncap;
    }
    size_t j = h & (g->st_cap - 1);
    for (; g->st_tab[j]; j = (j + 1) & (g->st_cap - 1)) {
        pstack *s = &g->stacks[g->st_tab[j] - 1];
        if (s->hash == h && s->nlocs == n && s->cut == cut && streq0(s->thread, thread) &&
            (!n || !memcmp(s->locs, locs, n * sizeof *locs))) {
            s->count++;
            return;
        }
    }
    pstack s = {.nlocs = n, .cut = cut, .count = 1, .hash = h};
    s.locs = cd_xcalloc(n ? n : 1, sizeof *s.locs);
    if (n)
        memcpy(s.locs, locs, n * sizeof *locs);
    s.thread = thread ? cd_xstrdup(thread) : NULL;
    g->stacks = cd_xrealloc(g->stacks, (g->nstacks + 1) * sizeof *g->stacks);
    g->stacks[g->nstacks] = s;
    g->st_tab[j] = g->nstacks + 1;
    g->nstacks++;
}

static void agg_free(agg *g)
{
    for (size_t i = 0; i < g->nfuncs; i++) {
        free(g->funcs[i].name);
        free(g->funcs[i].file);
        free(g->funcs[i].module);
    }
    for (size_t i = 0; i < g->nlocs; i++)
        free(g->locs[i].lines);
    for (size_t i = 0; i < g->nmaps; i++) {
        free(g->maps[i].file);
        free(g->maps[i].build_id);
    }
    for (size_t i = 0; i < g->nstacks; i++) {
        free(g->stacks[i].locs);
        free(g->stacks[i].thread);
    }
    free(g->funcs);
    free(g->locs);
    free(g->loc_tab);
    free(g->maps);
    free(g->stacks);
    free(g->st_tab);
}

/* The names of a stack, root first: [thread;][[cut];]outermost...leaf. Returns how many, in
 * names (borrowed strings) and their modules. */
typedef struct namelist {
    const char **names, **mods;
    size_t n, cap;
} namelist;

static void nl_push(namelist *nl, const char *name, const char *mod)
{
    if (nl->n == nl->cap) {
        nl->cap = nl->cap ? nl->cap * 2 : 64;
        nl->names = cd_xrealloc(nl->names, nl->cap * sizeof *nl->names);
        nl->mods = cd_xrealloc(nl->mods, nl->cap * sizeof *nl->mods);
    }
    nl->names[nl->n] = name;
    nl->mods[nl->n++] = mod;
}

static void stack_names(const agg *g, const pstack *s, namelist *nl)
{
    nl->n = 0;
    if (s->thread)
        nl_push(nl, s->thread, NULL);
    if (s->cut)
        nl_push(nl, "[cut]", NULL);
    for (size_t i = s->nlocs; i-- > 0;) {
        const ploc *l = &g->locs[s->locs[i]];
        for (size_t k = l->nlines; k-- > 0;) {
            const pfunc *f = &g->funcs[l->lines[k].func];
            nl_push(nl, f->name, f->module);
        }
    }
}

/* ---- unwinding the samples ------------------------------------------------------------------ */

typedef struct prof_state {
    cd_target *t;            /* NONSTOP view of the process: symbols, memory, mappings */
    cd_symtab *sym;
    cd_target *snap;
    cd_unwinder *unw;
    cd_prof *prof;
    bool threads;
    agg g;
    uint64_t (*maps)[2];     /* our copy of the mappings' ranges (the target's array is not stable) */
    size_t nmaps;
    uint64_t maps_ns;
    uint64_t refresh_ns;     /* the module list was last read again then */
    uint32_t *ids;
    size_t ids_cap;
    uint8_t *membuf;
    size_t membuf_cap;
    char err1[1100];         /* the first unwinding error, for the summary */
    char cut1[1100];         /* why the first cut stack ended (CDBG_PROFILE_DEBUG) */
} prof_state;

/* The mapping that holds addr: [lo, hi), or false. */
static bool find_map(prof_state *ps, uint64_t addr, uint64_t *lo, uint64_t *hi)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ps->nmaps; i++)
            if (addr >= ps->maps[i][0] && addr < ps->maps[i][1]) {
                *lo = ps->maps[i][0];
                *hi = ps->maps[i][1];
                return true;
            }
        /* a thread created since: its stack is a new mapping */
        uint64_t now = cd_now_ns();
        if (pass || (ps->maps_ns && now - ps->maps_ns < 50 * 1000 * 1000ull))
            break;
        cd_err e;
        cd_err_clear(&e);
        ps->maps_ns = now;
        const cd_mapping *m;
        size_t n;
        if (ps->t->ops->mappings(ps->t, &m, &n, &e) < 0)
            n = 0;
        ps->maps = cd_xrealloc(ps->maps, (n ? n : 1) * sizeof *ps->maps);
        for (size_t i = 0; i < n; i++)
            ps->maps[i][0] = m[i].start, ps->maps[i][1] = m[i].end;
        ps->nmaps = n;
    }
    return false;
}

static void on_sample(void *arg, const cd_prof_sample *s)
{
    prof_state *ps = arg;
    agg *g = &ps->g;
    g->total++;
    const char *tname = NULL;
    if (ps->threads) {
        tname = cd_prof_thread_name(ps->prof, s->tid);
        if (!tname)
            tname = "[unnamed]";
    }
    cd_err err;
    cd_err_clear(&err);
    if (!s->has_regs) {
        g->failed++;
        add_stack(g, NULL, 0, tname, true);
        return;
    }
    /* The unwinder reads whole pages: the copy starts at the page of sp, the bytes below sp (dead
     * at the instant, or the red zone, which no unwind needs) as zeros rather than later ones. */
    uint64_t lo = s->stack_addr & ~(uint64_t)4095;
    size_t below = (size_t)(s->stack_addr - lo), need = below + s->stack_len;
    if (!ps->membuf || need > ps->membuf_cap) {
        ps->membuf_cap = need > 4096 ? need : 4096;
        ps->membuf = cd_xrealloc(ps->membuf, ps->membuf_cap);
    }
    memset(ps->membuf, 0, below);
    if (s->stack_len)
        memcpy(ps->membuf + below, s->stack, s->stack_len);
    cd_snapshot_instant in = {.tid = s->tid, .regs = s->regs, .mem_addr = lo, .mem = ps->membuf, .mem_len = need};
    /* The rest of this thread's stack holds later frames: an unwind that needs it is cut there. */
    if (!find_map(ps, s->regs.rsp, &in.deny_lo, &in.deny_hi)) {
        in.deny_lo = s->regs.rsp;
        in.deny_hi = s->regs.rsp + (8u << 20);
    }
    cd_stack st;
    memset(&st, 0, sizeof st);
    if (cd_snapshot_set(ps->snap, &in, &err) < 0 || cd_unwind_thread(ps->unw, ps->snap->threads[0], 0, &st, &err) < 0 ||
        !st.n) {
        if (!ps->err1[0])
            snprintf(ps->err1, sizeof ps->err1, "%s", err.msg[0] ? err.msg : "no frame");
        g->failed++;
        add_stack(g, NULL, 0, tname, true);
        cd_stack_free(&st);
        return;
    }
    /* a pc in no module: a library loaded since (dlopen); read the module list again, at most
     * once a second, and unwind this sample again with it */
    bool unknown = false;
    for (size_t i = 0; i < st.n; i++)
        unknown |= !st.frames[i].info.module;
    uint64_t now = cd_now_ns();
    if (unknown && now - ps->refresh_ns > 1000000000ull) {
        ps->refresh_ns = now;
        cd_err e2;
        cd_err_clear(&e2);
        if (cd_symtab_refresh(ps->sym, &e2) == 0) {
            cd_stack st2;
            memset(&st2, 0, sizeof st2);
            if (cd_snapshot_set(ps->snap, &in, &e2) == 0 &&
                cd_unwind_thread(ps->unw, ps->snap->threads[0], 0, &st2, &e2) == 0 && st2.n) {
                cd_stack_free(&st);
                st = st2;
            } else {
                cd_stack_free(&st2);
            }
        }
    }
    if (st.n > ps->ids_cap) {
        ps->ids_cap = st.n * 2;
        ps->ids = cd_xrealloc(ps->ids, ps->ids_cap * sizeof *ps->ids);
    }
    size_t n = 0;
    for (size_t i = 0; i < st.n;) {
        size_t j = i;
        while (j + 1 < st.n && st.frames[j + 1].phys == st.frames[i].phys)
            j++;
        ps->ids[n++] = loc_id(g, st.frames, i, j);
        i = j + 1;
    }
    bool cut = st.error != NULL || st.truncated;
    if (cut) {
        g->cut++;
        if (!ps->cut1[0])
            snprintf(ps->cut1, sizeof ps->cut1, "%s (copy %u of %u bytes from sp 0x%llx)",
                     st.error ? st.error : "too many frames", s->stack_len, s->stack_asked,
                     (unsigned long long)s->regs.rsp);
    }
    add_stack(g, ps->ids, n, tname, cut);
    cd_stack_free(&st);
}

/* ---- output: folded ------------------------------------------------------------------------- */

typedef struct fline {
    char *s;
    uint64_t n;
} fline;

static int fline_cmp(const void *a, const void *b)
{
    return strcmp(((const fline *)a)->s, ((const fline *)b)->s);
}

/* One line per distinct stack of names (stacks that differ only in pcs are merged), sorted. */
static void write_folded(const agg *g, FILE *fp)
{
    namelist nl = {0};
    fline *l = cd_xcalloc(g->nstacks ? g->nstacks : 1, sizeof *l);
    for (size_t i = 0; i < g->nstacks; i++) {
        stack_names(g, &g->stacks[i], &nl);
        size_t len = 1;
        for (size_t k = 0; k < nl.n; k++)
            len += strlen(nl.names[k]) + 1;
        char *b = cd_xcalloc(1, len + 8);
        char *w = b;
        for (size_t k = 0; k < nl.n; k++)
            w += sprintf(w, "%s%s", k ? ";" : "", nl.names[k]);
        if (!nl.n)
            strcpy(b, "[empty]");
        l[i] = (fline){b, g->stacks[i].count};
    }
    qsort(l, g->nstacks, sizeof *l, fline_cmp);
    for (size_t i = 0; i < g->nstacks;) {
        size_t j = i + 1;
        uint64_t n = l[i].n;
        while (j < g->nstacks && !strcmp(l[j].s, l[i].s))
            n += l[j++].n;
        fprintf(fp, "%s %llu\n", l[i].s, (unsigned long long)n);
        i = j;
    }
    for (size_t i = 0; i < g->nstacks; i++)
        free(l[i].s);
    free(l);
    free(nl.names);
    free(nl.mods);
}

/* ---- output: an SVG flame graph ------------------------------------------------------------- */

typedef struct fnode {
    const char *name, *mod;
    uint64_t count;
    size_t *kids;
    size_t nkids;
} fnode;

typedef struct ftree {
    fnode *n;
    size_t len;
} ftree;

static size_t fnode_new(ftree *t, const char *name, const char *mod)
{
    t->n = cd_xrealloc(t->n, (t->len + 1) * sizeof *t->n);
    t->n[t->len] = (fnode){.name = name, .mod = mod};
    return t->len++;
}

static void xml_escape(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '&': fputs("&amp;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, fp);
        }
    }
}

#define SVG_W 1200.0
#define SVG_PAD 10.0
#define SVG_ROW 16
#define SVG_TOP 40

static int fnode_cmp_name(const void *a, const void *b, void *t)
{
    const fnode *n = ((ftree *)t)->n;
    return strcmp(n[*(const size_t *)a].name, n[*(const size_t *)b].name);
}

static void svg_node(FILE *fp, ftree *t, size_t i, uint64_t x, int depth, int maxdepth, uint64_t total)
{
    fnode *n = &t->n[i];
    double scale = (SVG_W - 2 * SVG_PAD) / (double)total;
    double w = (double)n->count * scale;
    if (i != 0 && w >= 0.1) {
        double px = SVG_PAD + (double)x * scale;
        double py = SVG_TOP + (double)(maxdepth - depth) * SVG_ROW;
        unsigned hue = 0, light = 60;
        if (n->mod) {
            uint64_t h = 1469598103934665603ull;
            for (const char *c = n->mod; *c; c++)
                h = (h ^ (uint8_t)*c) * 1099511628211ull;
            hue = (unsigned)(h % 360);
        }
        fprintf(fp, "<g class=\"f\" data-x=\"%llu\" data-w=\"%llu\" data-d=\"%d\"><title>", (unsigned long long)x,
                (unsigned long long)n->count, depth);
        xml_escape(fp, n->name);
        if (n->mod) {
            fputs(" (", fp);
            xml_escape(fp, n->mod);
            fputc(')', fp);
        }
        fprintf(fp, ": %llu sample%s, %.2f%%</title>", (unsigned long long)n->count, n->count == 1 ? "" : "s",
                100.0 * (double)n->count / (double)total);
        fprintf(fp, "<rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"hsl(%u,%s,%u%%)\" rx=\"2\"/>", px, py,
                w, SVG_ROW - 1, hue, n->mod ? "70%" : "0%", light);
        /* a label only where it fits: about 7 px per character */
        size_t fit = w > 20 ? (size_t)((w - 6) / 7) : 0;
        fprintf(fp, "<text x=\"%.2f\" y=\"%.0f\">", px + 3, py + SVG_ROW - 4);
        if (fit >= strlen(n->name)) {
            xml_escape(fp, n->name);
        } else if (fit > 3) {
            char *cut = cd_xstrdup(n->name);
            strcpy(cut + fit - 2, "..");
            xml_escape(fp, cut);
            free(cut);
        }
        fputs("</text></g>\n", fp);
    }
    /* children in name order, as flame graphs draw them (their x is not time) */
    if (n->nkids)
        qsort_r(n->kids, n->nkids, sizeof *n->kids, fnode_cmp_name, t);
    uint64_t cx = x;
    for (size_t k = 0; k < t->n[i].nkids; k++) {
        size_t c = t->n[i].kids[k];
        svg_node(fp, t, c, cx, depth + 1, maxdepth, total);
        cx += t->n[c].count;
    }
}

static const char svg_script[] =
    "<script type=\"text/ecmascript\"><![CDATA[\n"
    "// click a frame to zoom into it, click the title to reset\n"
    "var W = %g, PAD = %g;\n"
    "function zoom(x, w, d) {\n"
    "  var gs = document.querySelectorAll('g.f');\n"
    "  for (var i = 0; i < gs.length; i++) {\n"
    "    var g = gs[i], gx = +g.getAttribute('data-x'), gw = +g.getAttribute('data-w'), gd = +g.getAttribute('data-d');\n"
    "    var r = g.querySelector('rect'), t = g.querySelector('text');\n"
    "    if (gx + gw <= x || gx >= x + w || (gd < d && !(gx <= x && gx + gw >= x + w))) { g.style.display = 'none'; continue; }\n"
    "    g.style.display = '';\n"
    "    var lo = Math.max(gx, x), hi = Math.min(gx + gw, x + w), s = (W - 2 * PAD) / w;\n"
    "    var px = PAD + (lo - x) * s, pw = (hi - lo) * s;\n"
    "    r.setAttribute('x', px.toFixed(2)); r.setAttribute('width', pw.toFixed(2));\n"
    "    t.setAttribute('x', (px + 3).toFixed(2));\n"
    "    var name = g.querySelector('title').textContent.replace(/ \\(.*|: [0-9]+ samples?.*/, '');\n"
    "    var fit = Math.floor((pw - 6) / 7);\n"
    "    t.textContent = pw < 20 || fit < 3 ? '' : fit >= name.length ? name : name.slice(0, fit - 2) + '..';\n"
    "  }\n"
    "}\n"
    "document.addEventListener('click', function (e) {\n"
    "  var g = e.target.closest ? e.target.closest('g.f') : null;\n"
    "  if (g) zoom(+g.getAttribute('data-x'), +g.getAttribute('data-w'), +g.getAttribute('data-d'));\n"
    "  else if (e.target.id === 'title') zoom(0, %llu, 0);\n"
    "});\n"
    "]]></script>\n";

static void write_svg(const agg *g, FILE *fp, const char *title)
{
    ftree t = {0};
    fnode_new(&t, "all", NULL);
    namelist nl = {0};
    int maxdepth = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < g->nstacks; i++) {
        stack_names(g, &g->stacks[i], &nl);
        size_t cur = 0;
        uint64_t c = g->stacks[i].count;
        t.n[0].count += c;
        total += c;
        for (size_t k = 0; k < nl.n; k++) {
            size_t next = SIZE_MAX;
            for (size_t j = 0; j < t.n[cur].nkids && next == SIZE_MAX; j++)
                if (!strcmp(t.n[t.n[cur].kids[j]].name, nl.names[k]))
                    next = t.n[cur].kids[j];
            if (next == SIZE_MAX) {
                next = fnode_new(&t, nl.names[k], nl.mods[k]);
                t.n[cur].kids = cd_xrealloc(t.n[cur].kids, (t.n[cur].nkids + 1) * sizeof *t.n[cur].kids);
                t.n[cur].kids[t.n[cur].nkids++] = next;
            }
            t.n[next].count += c;
            cur = next;
        }
        if ((int)nl.n > maxdepth)
            maxdepth = (int)nl.n;
    }
    int height = SVG_TOP + (maxdepth + 1) * SVG_ROW;
    fprintf(fp,
            "<?xml version=\"1.0\" standalone=\"no\"?>\n"
            "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%d\" "
            "viewBox=\"0 0 %.0f %d\">\n",
            SVG_W, height, SVG_W, height);
    fprintf(fp, "<style>text { font: 12px monospace; fill: #000; pointer-events: none; } g.f:hover rect { stroke: "
                "#000; stroke-width: 0.5; } #title { font: 16px sans-serif; cursor: pointer; }</style>\n");
    fprintf(fp, svg_script, SVG_W, SVG_PAD, (unsigned long long)(total ? total : 1));
    fprintf(fp, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%d\" fill=\"#f8f8f0\"/>\n", SVG_W, height);
    fprintf(fp, "<text id=\"title\" x=\"%.0f\" y=\"24\" text-anchor=\"middle\">", SVG_W / 2);
    xml_escape(fp, title);
    fprintf(fp, " (%llu samples; click a frame to zoom, here to reset)</text>\n", (unsigned long long)total);
    if (total)
        svg_node(fp, &t, 0, 0, 0, maxdepth, total);
    fputs("</svg>\n", fp);
    for (size_t i = 0; i < t.len; i++)
        free(t.n[i].kids);
    free(t.n);
    free(nl.names);
    free(nl.mods);
}

/* ---- output: pprof (profile.proto, gzipped) ------------------------------------------------- */

/* The protobuf wire format of the few messages profile.proto needs, written by hand: varints and
 * length-delimited fields, sub-messages built in their own buffer first. */
typedef struct pbuf {
    uint8_t *b;
    size_t n, cap;
} pbuf;

static void pb_raw(pbuf *p, const void *d, size_t n)
{
    if (p->n + n > p->cap) {
        p->cap = (p->n + n) * 2 + 64;
        p->b = cd_xrealloc(p->b, p->cap);
    }
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void pb_varint(pbuf *p, uint64_t v)
{
    uint8_t t[10];
    size_t k = 0;
    do {
        t[k] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            t[k] |= 0x80;
        k++;
    } while (v);
    pb_raw(p, t, k);
}

static void pb_uint(pbuf *p, int field, uint64_t v)
{
    if (!v)
        return; /* proto3: zero is the default, not written */
    pb_varint(p, (uint64_t)field << 3);
    pb_varint(p, v);
}

static void pb_bytes(pbuf *p, int field, const void *d, size_t n)
{
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, n);
    pb_raw(p, d, n);
}

static void pb_msg(pbuf *p, int field, pbuf *sub)
{
    pb_bytes(p, field, sub->b, sub->n);
    sub->n = 0;
}

typedef struct strtab {
    char **s;
    size_t n;
    size_t *tab, cap;
} strtab;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static uint64_t str_id(strtab *t, const char *s)
{
    if (!s)
        s = "";
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        size_t *nt = cd_xcalloc(ncap, sizeof *nt);
        for (size_t i = 0; i < t->n; i++)
            for (size_t j = str_hash(t->s[i]) & (ncap - 1);; j = (j + 1) & (ncap - 1))
                if (!nt[j]) {
                    nt[j] = i + 1;
                    break;
                }
        free(t->tab);
        t->tab = nt;
        t->cap = ncap;
    }
    size_t j = str_hash(s) & (t->cap - 1);
    for (; t->tab[j]; j = (j + 1) & (t->cap - 1))
        if (!strcmp(t->s[t->tab[j] - 1], s))
            return t->tab[j] - 1;
    t->s = cd_xrealloc(t->s, (t->n + 1) * sizeof *t->s);
    t->s[t->n] = cd_xstrdup(s);
    t->tab[j] = ++t->n;
    return t->n - 1;
}

/* The Profile message: sample_type (samples/count, cpu/nanoseconds), samples (leaf first, a
 * "thread" label with --threads), mappings with build-ids, locations with their inline lines,
 * functions, the string table, time, duration and period. */
static int write_pprof(const agg *g, FILE *fp, unsigned hz, uint64_t t0_ns, uint64_t dur_ns)
{
    strtab st = {0};
    str_id(&st, "");
    pbuf out = {0}, m = {0}, sub = {0};
    uint64_t period = 1000000000ull / hz;
    const char *types[2][2] = {{"samples", "count"}, {"cpu", "nanoseconds"}};
    for (int i = 0; i < 2; i++) {
        pb_uint(&m, 1, str_id(&st, types[i][0]));
        pb_uint(&m, 2, str_id(&st, types[i][1]));
        pb_msg(&out, 1, &m);
    }
    /* a cut stack or a failed unwind gets a location of its own, named "[cut]" */
    uint64_t cut_loc = g->nlocs + 1, cut_func = g->nfuncs + 1;
    bool any_cut = false;
    for (size_t i = 0; i < g->nstacks; i++) {
        const pstack *s = &g->stacks[i];
        any_cut |= s->cut;
        pbuf ids = {0};
        for (size_t k = 0; k < s->nlocs; k++)
            pb_varint(&ids, s->locs[k] + 1);
        if (s->cut)
            pb_varint(&ids, cut_loc);
        if (ids.n)
            pb_bytes(&m, 1, ids.b, ids.n);
        free(ids.b);
        pbuf vals = {0};
        pb_varint(&vals, s->count);
        pb_varint(&vals, s->count * period);
        pb_bytes(&m, 2, vals.b, vals.n);
        free(vals.b);
        if (s->thread) {
            pb_uint(&sub, 1, str_id(&st, "thread"));
            pb_uint(&sub, 2, str_id(&st, s->thread));
            pb_msg(&m, 3, &sub);
        }
        pb_msg(&out, 2, &m);
    }
    for (size_t i = 0; i < g->nmaps; i++) {
        const pmap *p = &g->maps[i];
        pb_uint(&m, 1, i + 1);
        pb_uint(&m, 2, p->start);
        pb_uint(&m, 3, p->end);
        pb_uint(&m, 5, str_id(&st, p->file));
        pb_uint(&m, 6, str_id(&st, p->build_id));
        pb_uint(&m, 7, 1); /* has_functions */
        pb_uint(&m, 8, 1); /* has_filenames */
        pb_uint(&m, 9, 1); /* has_line_numbers */
        pb_uint(&m, 10, 1); /* has_inline_frames */
        pb_msg(&out, 3, &m);
    }
    for (size_t i = 0; i < g->nlocs; i++) {
        const ploc *l = &g->locs[i];
        pb_uint(&m, 1, i + 1);
        pb_uint(&m, 2, l->mapping);
        pb_uint(&m, 3, l->addr);
        for (size_t k = 0; k < l->nlines; k++) {
            pb_uint(&sub, 1, l->lines[k].func + 1);
            pb_uint(&sub, 2, (uint64_t)(int64_t)l->lines[k].line);
            pb_msg(&m, 4, &sub);
        }
        pb_msg(&out, 4, &m);
    }
    if (any_cut) {
        pb_uint(&m, 1, cut_loc);
        pb_uint(&sub, 1, cut_func);
        pb_msg(&m, 4, &sub);
        pb_msg(&out, 4, &m);
    }
    for (size_t i = 0; i < g->nfuncs; i++) {
        const pfunc *f = &g->funcs[i];
        pb_uint(&m, 1, i + 1);
        pb_uint(&m, 2, str_id(&st, f->name));
        pb_uint(&m, 3, str_id(&st, f->name));
        pb_uint(&m, 4, str_id(&st, f->file));
        pb_msg(&out, 5, &m);
    }
    if (any_cut) {
        pb_uint(&m, 1, cut_func);
        pb_uint(&m, 2, str_id(&st, "[cut]"));
        pb_msg(&out, 5, &m);
    }
    uint64_t cpu_type = str_id(&st, "cpu"), ns_unit = str_id(&st, "nanoseconds");
    for (size_t i = 0; i < st.n; i++)
        pb_bytes(&out, 6, st.s[i], strlen(st.s[i]));
    pb_uint(&out, 9, t0_ns);
    pb_uint(&out, 10, dur_ns);
    pb_uint(&m, 1, cpu_type);
    pb_uint(&m, 2, ns_unit);
    pb_msg(&out, 11, &m);
    pb_uint(&out, 12, period);
    for (size_t i = 0; i < st.n; i++)
        free(st.s[i]);
    free(st.s);
    free(st.tab);
    free(m.b);
    free(sub.b);

    /* gzip it (windowBits 31: a gzip header, as pprof expects) */
    z_stream z;
    memset(&z, 0, sizeof z);
    int rc = 0;
    if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(out.b);
        return -1;
    }
    uint8_t buf[65536];
    z.next_in = out.b;
    z.avail_in = (uInt)out.n;
    int zr;
    do {
        z.next_out = buf;
        z.avail_out = sizeof buf;
        zr = deflate(&z, Z_FINISH);
        size_t have = sizeof buf - z.avail_out;
        if (have && fwrite(buf, 1, have, fp) != have)
            rc = -1;
    } while (zr == Z_OK);
    if (zr != Z_STREAM_END)
        rc = -1;
    deflateEnd(&z);
    free(out.b);
    return rc;
}

/* ---- the command ---------------------------------------------------------------------------- */

static int usage_fail(const char *fmt, const char *arg)
{
    return cd_oneshot_usage_fail("profile", fmt, arg);
}

static int fail(const cd_err *e, int def)
{
    fprintf(stderr, "cdbg: %s%s\n", strncmp(e->msg, "profile: ", 9) ? "profile: " : "", e->msg);
    return e->code > 0 ? e->code : def;
}

typedef struct selfc {
    const char *name;
    uint64_t n;
} selfc;

static int selfc_cmp(const void *a, const void *b)
{
    const selfc *x = a, *y = b;
    if (x->n != y->n)
        return x->n > y->n ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The summary's last lines: the 5 functions with the most samples at the top of the stack. */
static void print_top(const agg *g)
{
    selfc *c = NULL;
    size_t n = 0;
    for (size_t i = 0; i < g->nstacks; i++) {
        const pstack *s = &g->stacks[i];
        const char *leaf = s->nlocs ? g->funcs[g->locs[s->locs[0]].lines[0].func].name : "[cut]";
        size_t k = 0;
        while (k < n && strcmp(c[k].name, leaf))
            k++;
        if (k == n) {
            c = cd_xrealloc(c, (n + 1) * sizeof *c);
            c[n++] = (selfc){leaf, 0};
        }
        c[k].n += s->count;
    }
    if (n)
        qsort(c, n, sizeof *c, selfc_cmp);
    if (n)
        fprintf(stderr, "cdbg: profile: top functions by self time:\n");
    for (size_t k = 0; k < n && k < 5; k++)
        fprintf(stderr, "  %5.1f%%  %8llu  %s\n", 100.0 * (double)c[k].n / (double)(g->total ? g->total : 1),
                (unsigned long long)c[k].n, c[k].name);
    free(c);
}

static int poll_hook(void *ps, int timeout_ms, cd_err *err)
{
    return cd_prof_poll(((prof_state *)ps)->prof, timeout_ms, on_sample, ps, err);
}

static void progress_hook(void *arg, double secs)
{
    prof_state *ps = arg;
    cd_prof_stats stats;
    cd_prof_get_stats(ps->prof, &stats);
    fprintf(stderr, "\rcdbg: profile: %.1f s, %llu samples, %zu threads\033[K", secs,
            (unsigned long long)ps->g.total, stats.threads);
}

/* `-- PROG`: started under ptrace and run to main (its libraries mapped), then the events are
 * opened and the program is let go: it runs untraced to its end while we are only its parent. */
static int launch_to_main(char **prog, pid_t *pid, unsigned hz, cd_prof **prof, cd_err *err)
{
    cd_open_spec ls = {.kind = CD_OPEN_LAUNCH, .argv = prog};
    cd_target *lt = cd_target_open(&ls, err);
    if (!lt)
        return -1;
    *pid = lt->pid;
    cd_symtab *sym = cd_symtab_new(lt, err);
    cd_unwinder *unw = sym ? cd_unwinder_new(lt, sym, err) : NULL;
    cd_vstate *vs = NULL;
    cd_ctl *ctl = NULL;
    int rc = -1;
    if (unw) {
        vs = cd_vstate_new();
        ctl = cd_ctl_new(lt, sym, unw, vs);
        cd_stop stop;
        memset(&stop, 0, sizeof stop);
        const char *where = NULL;
        if (cd_ctl_start(ctl, &stop, &where, err) == 0) {
            if (stop.reason == CD_STOP_EXITED || stop.reason == CD_STOP_KILLED)
                cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "profile: %s ended before main; nothing was profiled",
                         prog[0]);
            else if ((*prof = cd_prof_start(*pid, hz, err))) /* while it is held: from main on */
                rc = 0;
        }
        cd_stop_free(&stop);
    }
    if (ctl)
        cd_ctl_free(ctl);
    if (unw)
        cd_unwinder_free(unw);
    if (sym)
        cd_symtab_free(sym);
    if (vs)
        cd_vstate_free(vs);
    if (rc == 0)
        lt->launched = false; /* close detaches it, running, instead of killing it */
    cd_target_close(lt);
    return rc;
}

int cd_profile_main(int argc, char **argv)
{
    const char *pid_s = NULL, *outfile = NULL;
    char **prog = NULL;
    double duration = 0;
    unsigned hz = 99;
    bool threads = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = !strcmp(a, "-p") || !strcmp(a, "-o") || !strcmp(a, "--duration") || !strcmp(a, "--hz");
        if (takes && !val)
            return usage_fail("option %s needs a value", a);
        if (!strcmp(a, "--")) {
            if (i + 1 >= argc)
                return usage_fail("%s needs a program to run after it", a);
            prog = argv + i + 1;
            break;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return CD_EXIT_OK;
        } else if (!strcmp(a, "--threads")) {
            threads = true;
        } else if (!strcmp(a, "-p")) {
            pid_s = val, i++;
        } else if (!strcmp(a, "-o")) {
            outfile = val, i++;
        } else if (!strcmp(a, "--duration")) {
            char *end;
            duration = strtod(val, &end);
            if (*end || !(duration > 0) || !isfinite(duration))
                return usage_fail("--duration needs a positive number of seconds, not '%s'", val);
            i++;
        } else if (!strcmp(a, "--hz")) {
            unsigned long long v;
            if (!cd_parse_uint(val, &v) || !v || v > 100000)
                return usage_fail("--hz needs a number of samples per CPU-second from 1 to 100000, not '%s'", val);
            hz = (unsigned)v;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return usage_fail("unknown option '%s'", a);
        } else {
            return usage_fail("unexpected argument '%s' (a program to run goes after --)", a);
        }
    }
    if (!pid_s == !prog)
        return usage_fail("%s", pid_s ? "give -p PID or -- PROG, not both" : "give -p PID or -- PROG [ARGS...]");
    out_fmt fmt = FMT_FOLDED;
    if (outfile) {
        if (ends_with(outfile, ".svg"))
            fmt = FMT_SVG;
        else if (ends_with(outfile, ".pb.gz"))
            fmt = FMT_PPROF;
        else if (!ends_with(outfile, ".folded") && !ends_with(outfile, ".txt"))
            return usage_fail("cannot tell the format of -o %s: name it .folded or .txt (folded stacks), .svg (a "
                              "flame graph) or .pb.gz (pprof)",
                              outfile);
    }
    cd_err err;
    cd_err_clear(&err);
    pid_t pid = 0;
    if (pid_s && cd_parse_pid(pid_s, &pid, &err) < 0)
        return fail(&err, CD_EXIT_TARGET);
    /* the output is opened first: a path we cannot write fails before anything is profiled */
    FILE *outfp = stdout;
    struct stat ost;
    bool created = outfile && stat(outfile, &ost) < 0 && errno == ENOENT; /* only ours is removed on failure */
    /* not truncated yet: a profile that fails leaves a file that was there as it was */
    int outfd = outfile ? open(outfile, O_WRONLY | O_CREAT | O_CLOEXEC, 0666) : -1;
    if (outfile && (outfd < 0 || !(outfp = fdopen(outfd, "w")))) {
        if (outfd >= 0)
            close(outfd);
        fprintf(stderr, "cdbg: profile: cannot write %s: %s\n", outfile, strerror(errno));
        return CD_EXIT_CMD;
    }
    /* SIGINT, SIGTERM and SIGHUP end the profile as Ctrl-C does: what was collected is written, the
     * summary printed, the process left running. Caught before anything is opened: a signal during
     * the set-up must not kill cdbg with the output file created and empty, or the launched program
     * killed. */
    cd_oneshot_sigs sigs;
    cd_oneshot_catch(&sigs);
    int status = CD_EXIT_OK;
    bool wrote = false;
    prof_state ps;
    memset(&ps, 0, sizeof ps);
    ps.threads = threads;
    bool launched = prog != NULL;
    if (launched && launch_to_main(prog, &pid, hz, &ps.prof, &err) < 0) {
        status = fail(&err, CD_EXIT_TARGET);
        if (err.kind == CD_EK_EXITED && pid > 0) {
            int ws;
            if (waitpid(pid, &ws, 0) == pid)
                status = cd_oneshot_status(ws);
        }
        goto close;
    }
    if (!launched)
        ps.prof = cd_prof_start(pid, hz, &err);
    if (!ps.prof) {
        status = fail(&err, CD_EXIT_TARGET);
        if (launched) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        goto close;
    }
    cd_open_spec as = {.kind = CD_OPEN_ATTACH, .pid = pid, .mode = CD_ATTACH_NONSTOP};
    if (!(ps.t = cd_target_open(&as, &err)) || !(ps.sym = cd_symtab_new(ps.t, &err)) ||
        !(ps.snap = cd_snapshot_new(ps.t, &err)) || !(ps.unw = cd_unwinder_new(ps.snap, ps.sym, &err))) {
        status = fail(&err, CD_EXIT_TARGET);
        goto close;
    }
    cd_prof_stats stats;
    cd_prof_get_stats(ps.prof, &stats);
    fprintf(stderr, "cdbg: profile: sampling process %d at %u Hz of CPU time (%zu events)%s\n", (int)pid, hz,
            stats.events, duration > 0 ? "" : "; Ctrl-C stops");

    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    uint64_t wall0 = (uint64_t)wall.tv_sec * 1000000000ull + (uint64_t)wall.tv_nsec;
    cd_oneshot_loop rec = {.duration = duration, .poll = poll_hook, .progress = progress_hook, .ctx = &ps};
    if (cd_oneshot_record(&rec, &err) < 0)
        status = fail(&err, CD_EXIT_CMD);
    bool ended = rec.ended, interrupted = rec.interrupted;
    uint64_t t0 = rec.t0;
    uint64_t dur = cd_now_ns() - t0;
    if (!ended) {
        /* stop sampling; what the rings still hold is counted */
        cd_prof_stop(ps.prof);
        while (cd_prof_poll(ps.prof, 0, on_sample, &ps, &err) > 0)
            ;
    }
    if (rec.shown)
        fputs("\r\033[K", stderr);
    cd_prof_get_stats(ps.prof, &stats);
    if (ended)
        fprintf(stderr, "cdbg: profile: process %d ended after %.1f s; writing the %llu samples collected\n", (int)pid,
                (double)dur / 1e9, (unsigned long long)ps.g.total);
    if (status == CD_EXIT_OK) {
        int wr = 0;
        char title[64];
        snprintf(title, sizeof title, "cdbg profile of process %d", (int)pid);
        struct stat wst;
        if (outfp != stdout && fstat(fileno(outfp), &wst) == 0 && S_ISREG(wst.st_mode) && ftruncate(fileno(outfp), 0) < 0)
            wr = -1;
        else if (fmt == FMT_FOLDED)
            write_folded(&ps.g, outfp);
        else if (fmt == FMT_SVG)
            write_svg(&ps.g, outfp, title);
        else
            wr = write_pprof(&ps.g, outfp, hz, wall0, dur);
        if (fflush(outfp) != 0 || ferror(outfp) || wr < 0) {
            fprintf(stderr, "cdbg: profile: writing %s failed: %s\n", outfile ? outfile : "the profile",
                    strerror(errno));
            status = CD_EXIT_CMD;
        } else {
            wrote = true;
        }
    }
    fprintf(stderr, "cdbg: profile: %llu samples (%llu cut, %llu not unwound), %llu lost, %zu threads, %.1f s%s%s%s\n",
            (unsigned long long)ps.g.total, (unsigned long long)ps.g.cut, (unsigned long long)ps.g.failed,
            (unsigned long long)stats.lost, stats.threads, (double)dur / 1e9,
            stats.lost ? " (samples were lost: the ring buffer was full; try a lower --hz)" : "",
            interrupted ? "; interrupted" : "", interrupted ? sig_name(cd_oneshot_stop) : "");
    if (stats.other_procs)
        fprintf(stderr, "cdbg: profile: %llu samples of child processes left out (a profile covers process %d "
                "only; profile a child with -p CHILD_PID)\n", (unsigned long long)stats.other_procs, (int)pid);
    if (ps.err1[0])
        fprintf(stderr, "cdbg: profile: a sample could not be unwound: %s\n", ps.err1);
    if (ps.cut1[0] && getenv("CDBG_PROFILE_DEBUG"))
        fprintf(stderr, "cdbg: profile: the first cut stack ended: %s\n", ps.cut1);
    print_top(&ps.g);
    if (outfile && status == CD_EXIT_OK)
        fprintf(stderr, "cdbg: profile: written to %s\n", outfile);
    if (launched && status == CD_EXIT_OK) {
        if (interrupted) {
            /* 128+N as when N kills any mode; the program got the terminal's SIGINT too, or runs on */
            status = 128 + cd_oneshot_stop;
        } else {
            /* the program runs to its end (untraced after --duration) */
            int ws = 0;
            pid_t w;
            while ((w = waitpid(pid, &ws, 0)) < 0 && errno == EINTR && !cd_oneshot_stop)
                ;
            if (w != pid && cd_oneshot_stop) {
                /* a signal while it runs to its end: it runs on, we go */
                fprintf(stderr, "cdbg: profile: interrupted%s: process %d runs on\n", sig_name(cd_oneshot_stop), (int)pid);
                status = 128 + cd_oneshot_stop;
            } else {
                status = w == pid ? cd_oneshot_status(ws) : CD_EXIT_CMD;
            }
        }
    }
close:
    if (ps.unw)
        cd_unwinder_free(ps.unw);
    if (ps.snap)
        cd_target_close(ps.snap);
    if (ps.sym)
        cd_symtab_free(ps.sym);
    if (ps.t)
        cd_target_close(ps.t);
    cd_prof_free(ps.prof);
    agg_free(&ps.g);
    free(ps.ids);
    free(ps.membuf);
    free(ps.maps);
    if (outfp != stdout) {
        fclose(outfp);
        if (!wrote && created)
            unlink(outfile); /* no profile: no file that looks like one (one that was there stays) */
    }
    cd_oneshot_restore(&sigs);
    return status;
}
