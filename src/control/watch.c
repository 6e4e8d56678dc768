/* Hardware watchpoints (watch.h): the expression's object split over the debug registers, the
 * value kept to tell a change from a read, and the frame a local lives in followed to its return. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"
#include "control/watch.h"

#define DW_RSP 7
#define RED_ZONE 128 /* SysV x86-64: a leaf function's locals may sit below its sp */

const char *cd_watch_kind_title(cd_bp_kind k)
{
    return k == CD_BPK_RWATCH ? "Hardware read watchpoint"
           : k == CD_BPK_AWATCH ? "Hardware access (read/write) watchpoint"
                                : "Hardware watchpoint";
}

const char *cd_watch_kind_name(cd_bp_kind k)
{
    return k == CD_BPK_RWATCH ? "read" : k == CD_BPK_AWATCH ? "access" : "write";
}

void ctl_watch_free(cd_watch *w)
{
    if (!w)
        return;
    free(w->old);
    free(w->func);
    free(w);
}

void ctl_watchhits_free(cd_stop *s)
{
    for (size_t i = 0; i < s->nwatch; i++) {
        free(s->watch[i].expr);
        free(s->watch[i].old_bytes);
        free(s->watch[i].new_bytes);
    }
    free(s->watch);
    s->watch = NULL;
    s->nwatch = 0;
}

/* ---- debug registers ---- */

/* gdb's split of an unaligned or long region into what debug registers can cover (x86-dregs.c,
 * x86_handle_nonaligned_watchpoint): the chunk at addr is the largest of 8/4/2/1 bytes aligned to
 * its length that the remaining length allows. */
static int split(uint64_t addr, uint64_t len, uint64_t *caddr, int *clen, int max)
{
    static const int size_try[8][8] = {
        {1, 1, 1, 1, 1, 1, 1, 1}, {2, 1, 2, 1, 2, 1, 2, 1}, {2, 1, 2, 1, 2, 1, 2, 1},
        {4, 1, 2, 1, 4, 1, 2, 1}, {4, 1, 2, 1, 4, 1, 2, 1}, {4, 1, 2, 1, 4, 1, 2, 1},
        {4, 1, 2, 1, 4, 1, 2, 1}, {8, 1, 2, 1, 4, 1, 2, 1},
    };
    int n = 0;
    while (len > 0) {
        int size = size_try[len > 8 ? 7 : len - 1][addr % 8];
        if (n < max) {
            caddr[n] = addr;
            clen[n] = size;
        }
        n++;
        addr += (uint64_t)size;
        len -= (uint64_t)size;
    }
    return n;
}

/* Debug registers held by armed watchpoints other than `except`. */
static unsigned slots_used(cd_ctl *c, const cd_bp *except)
{
    unsigned used = 0;
    for (size_t i = 0; i < c->nbps; i++) {
        const cd_bp *b = c->bps[i];
        if (b == except || !b->watch || !b->watch->armed)
            continue;
        for (int k = 0; k < b->watch->nchunks; k++)
            used |= 1u << b->watch->slots[k];
    }
    return used;
}

static void disarm(cd_ctl *c, cd_watch *w)
{
    if (!w->armed)
        return;
    for (int k = 0; k < w->nchunks; k++) {
        cd_err e;
        c->t->ops->clear_hw_watch(c->t, w->slots[k], &e);
    }
    w->armed = false;
}

/* "2", "2 and 3", "2, 3 and 4" */
static void id_list(cd_buf *b, const int *ids, int n)
{
    for (int i = 0; i < n; i++)
        cd_buf_printf(b, "%s%d", i == 0 ? "" : i == n - 1 ? " and " : ", ", ids[i]);
}

/* Puts b's chunks in free debug registers, or fails naming who holds the others (the message
 * prefixed "WHO: " unless who is NULL). */
static int arm(cd_ctl *c, cd_bp *b, const char *who, cd_err *err)
{
    cd_watch *w = b->watch;
    cd_target *t = c->t;
    int total = t->caps.hw_watch_slots;
    if (total > CD_WATCH_MAX_SLOTS)
        total = CD_WATCH_MAX_SLOTS;
    if (w->nchunks > total)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT,
                        "%s%sneeds %d debug registers for %llu bytes at 0x%llx, and the CPU has %d: watch a part of "
                        "it (a member, an element)",
                        who ? who : "", who ? ": " : "", w->nchunks, (unsigned long long)w->len, (unsigned long long)w->addr, total);
    unsigned used = slots_used(c, b);
    int nfree = 0;
    for (int s = 0; s < total; s++)
        if (!(used & (1u << s)))
            nfree++;
    if (nfree < w->nchunks) {
        int ids[CD_WATCH_MAX_SLOTS], n = 0;
        for (size_t i = 0; i < c->nbps && n < CD_WATCH_MAX_SLOTS; i++)
            if (c->bps[i] != b && c->bps[i]->watch && c->bps[i]->watch->armed)
                ids[n++] = c->bps[i]->id;
        cd_buf l = {0};
        id_list(&l, ids, n);
        cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "%s%sneeds %d debug register%s, %d of %d %s free (watchpoint%s %s use%s them)",
                 who ? who : "", who ? ": " : "", w->nchunks, w->nchunks == 1 ? "" : "s", nfree, total, nfree == 1 ? "is" : "are", n == 1 ? "" : "s",
                 cd_buf_str(&l), n == 1 ? "s" : "");
        cd_buf_free(&l);
        return -1;
    }
    cd_hw_kind hk = b->kind == CD_BPK_WATCH ? CD_HW_WRITE : CD_HW_RW; /* x86 has no read-only mode */
    int s = 0;
    for (int k = 0; k < w->nchunks; k++) {
        while (used & (1u << s))
            s++;
        if (t->ops->set_hw_watch(t, s, w->chunk_addr[k], w->chunk_len[k], hk, err) < 0) {
            for (int j = 0; j < k; j++) {
                cd_err e;
                t->ops->clear_hw_watch(t, w->slots[j], &e);
            }
            return -1;
        }
        w->slots[k] = s;
        used |= 1u << s;
    }
    w->armed = true;
    return 0;
}

/* ---- values ---- */

static int read_now(cd_ctl *c, const cd_watch *w, uint8_t *buf, cd_err *err)
{
    if (cd_target_read_full(c->t, w->addr, buf, w->len) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot read %llu bytes at 0x%llx", (unsigned long long)w->len,
                        (unsigned long long)w->addr);
    return 0;
}

/* Whether the watched object differs between a and b (a bitfield: only its bits). */
static bool differs(const cd_watch *w, const uint8_t *a, const uint8_t *b)
{
    if (!w->bitsize)
        return memcmp(a, b, w->len) != 0;
    uint8_t x[16] = {0}, y[16] = {0};
    int bits = w->bitsize > 128 ? 128 : w->bitsize;
    cd_copy_bits(x, 0, a, (uint64_t)w->bitpos, (uint64_t)bits);
    cd_copy_bits(y, 0, b, (uint64_t)w->bitpos, (uint64_t)bits);
    return memcmp(x, y, sizeof x) != 0;
}

/* ---- the frame of a local ---- */

/* The physical frame of sel's thread whose stack memory holds addr, and its caller: NULL when addr
 * is in no frame (a global, the heap, another thread's stack). */
static const cd_frame *owner_frame(const cd_scope *sel, uint64_t addr, const cd_frame **caller)
{
    *caller = NULL;
    if (!sel->frames || !sel->thread)
        return NULL;
    for (size_t i = 0; i < sel->nframes; i++) {
        const cd_frame *f = &sel->frames[i];
        if (i > 0 && f->phys == sel->frames[i - 1].phys)
            continue; /* an inlined frame shares its physical frame's stack */
        if (!f->cfa || !(f->regs_valid & (1u << DW_RSP)))
            continue;
        uint64_t lo = f->regs[DW_RSP];
        if (f->phys == sel->frames[0].phys)
            lo = lo > RED_ZONE ? lo - RED_ZONE : 0;
        if (addr < lo || addr >= f->cfa)
            continue;
        for (size_t k = i + 1; k < sel->nframes; k++)
            if (sel->frames[k].phys != f->phys) {
                *caller = &sel->frames[k];
                break;
            }
        return f;
    }
    return NULL;
}

/* The physical frame of sel's selected frame, and its caller (NULL: the outermost). */
static const cd_frame *sel_frame(const cd_scope *sel, const cd_frame **caller)
{
    *caller = NULL;
    if (!sel->frame || !sel->frames || !sel->thread || !sel->frame->cfa)
        return NULL;
    for (size_t i = 0; i < sel->nframes; i++) {
        if (sel->frames[i].phys != sel->frame->phys)
            continue;
        for (size_t k = i + 1; k < sel->nframes; k++)
            if (sel->frames[k].phys != sel->frame->phys) {
                *caller = &sel->frames[k];
                break;
            }
        return &sel->frames[i];
    }
    return NULL;
}

/* ---- setting ---- */

static void bp_insert_user(cd_ctl *c, cd_bp *b)
{
    /* user kinds go before the internal ones (cd_ctl_bps lists a prefix) */
    size_t i = 0;
    while (i < c->nbps && c->bps[i]->kind != CD_BPK_INTERNAL)
        i++;
    c->bps = cd_xrealloc(c->bps, (c->nbps + 1) * sizeof *c->bps);
    memmove(&c->bps[i + 1], &c->bps[i], (c->nbps - i) * sizeof *c->bps);
    c->bps[i] = b;
    c->nbps++;
}

static void watch_bp_free(cd_bp *b)
{
    ctl_watch_free(b->watch);
    free(b->spec);
    free(b->cond);
    free(b);
}

static bool is_ident(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return false;
    while (isalnum((unsigned char)*s) || *s == '_')
        s++;
    while (isspace((unsigned char)*s))
        s++;
    return !*s;
}

/* ---- what the expression loads on the way (gdb's value chain) ---- */

typedef struct deps_ctx {
    cd_ectx *x;
    cd_watch *w;
    cd_var *vars;
    int nvars;
    bool locals;          /* the expression names a local or a parameter of the frame */
} deps_ctx;

static void add_dep(deps_ctx *d, cd_expr *e)
{
    cd_value v;
    if (cd_eval(d->x, e, &v) < 0)
        return;
    cd_type *t = v.type ? cd_type_strip(v.type) : NULL;
    /* an array, a struct or a function is not loaded, only its address is used */
    if (!t || v.where != V_MEM || !v.lval || v.bitsize || t->kind == TY_ARRAY || t->kind == TY_STRUCT ||
        t->kind == TY_UNION || t->kind == TY_FUNC)
        return;
    uint64_t n = cd_type_size(t);
    cd_watch *w = d->w;
    if (!n || n > sizeof w->dep_old[0] || w->ndeps >= CD_WATCH_MAX_DEPS)
        return;
    for (int k = 0; k < w->ndeps; k++)
        if (w->dep_addr[k] == v.addr)
            return;
    w->dep_addr[w->ndeps] = v.addr;
    w->dep_len[w->ndeps++] = (int)n;
}

/* LOADED: e's value is used (not only its address, as `&e`, `e.m`, or the watched object itself). */
static void walk_deps(deps_ctx *d, cd_expr *e, bool loaded)
{
    if (!e)
        return;
    if (e->kind == E_IDENT && e->str)
        for (int i = 0; i < d->nvars && !d->locals; i++)
            d->locals = d->vars[i].name && !strcmp(d->vars[i].name, e->str);
    if (loaded && (e->kind == E_IDENT || e->kind == E_MEMBER || e->kind == E_ARROW || e->kind == E_INDEX ||
                   (e->kind == E_UNARY && e->op == OP_DEREF)))
        add_dep(d, e);
    switch (e->kind) {
    case E_MEMBER:
        walk_deps(d, e->a, false);
        break;
    case E_UNARY:
        walk_deps(d, e->a, e->op != OP_ADDR);
        break;
    case E_SIZEOF_EXPR:
    case E_SIZEOF_TYPE:
        break;
    default:
        walk_deps(d, e->a, true);
        walk_deps(d, e->b, true);
        walk_deps(d, e->c, true);
    }
}

/* What EXPR designates in sel's frame, as a watch (not armed, not scoped), with what it loads on the
 * way, or NULL (err, "watch: ..."). */
static cd_watch *watch_eval(cd_ctl *c, const cd_scope *sel, const char *expr, cd_err *err)
{
    cd_arena ar = {0};
    cd_ectx x;
    cd_err ee;
    cd_ectx_init(&x, sel, &ar, &ee);
    x.no_side_effects = true; /* `watch x = 3` must not write */
    cd_value v;
    cd_expr *ast = cd_expr_parse(&ar, expr, cd_ectx_is_typename, &x, &ee);
    if (!ast || cd_eval(&x, ast, &v) < 0) {
        cd_failk(err, CD_EXIT_CMD, ee.kind ? ee.kind : CD_EK_NOT_FOUND, "watch: %s", ee.msg);
        cd_arena_free(&ar);
        return NULL;
    }
    cd_type *st = v.type ? cd_type_strip(v.type) : NULL;
    uint64_t size = st ? cd_type_size(st) : 0;
    const char *why = NULL;
    if (st && st->kind == TY_FUNC)
        why = "is a function, not an object";
    else if (v.where == V_OPTOUT)
        why = "is optimized out: it has no memory to watch";
    else if (v.where == V_UNAVAIL || v.where == V_ERROR)
        why = "is not available here";
    else if (v.where == V_BYTES && (v.regno >= 0 || v.npieces > 0))
        why = *expr == '$' ? "is a register, not memory: debug registers watch memory only"
                           : "lives in a register here (optimized code), not in memory: debug registers watch memory "
                             "only";
    else if (v.where != V_MEM && is_ident(expr))
        why = "has no memory location here (optimized code computes its value): there is nothing to watch";
    else if (v.where != V_MEM || !v.lval)
        why = "is not an lvalue: watch a variable, a member, an array element or *POINTER";
    else if (!size && !v.bitsize)
        why = "has no size (an incomplete or void type)";
    if (why) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "watch: '%s' %s", expr, why);
        cd_arena_free(&ar);
        return NULL;
    }
    cd_watch *w = cd_xcalloc(1, sizeof *w);
    w->addr = v.addr;
    w->len = size;
    w->type = v.type;
    w->symkey = c->vs->symtab_key;
    if (v.bitsize) {
        w->bitsize = v.bitsize;
        w->addr += (uint64_t)(v.bitpos / 8);
        w->bitpos = v.bitpos % 8;
        w->len = ((uint64_t)w->bitpos + (uint64_t)v.bitsize + 7) / 8;
    }
    deps_ctx d = {.x = &x, .w = w};
    cd_err ve;
    if (sel->frame) {
        int n = cd_frame_vars(&x, true, true, &d.vars, &ve);
        d.nvars = n > 0 ? n : 0;
    }
    walk_deps(&d, ast, false);
    free(d.vars);
    if (d.locals && sel->frame)
        w->eval_cfa = sel->frame->cfa;
    cd_arena_free(&ar);
    w->nmain = split(w->addr, w->len, w->chunk_addr, w->chunk_len, CD_WATCH_MAX_SLOTS);
    w->nchunks = w->nmain;
    for (int k = 0; k < w->ndeps; k++) {
        int room = CD_WATCH_MAX_SLOTS - w->nchunks;
        int n = room > 0 ? split(w->dep_addr[k], (uint64_t)w->dep_len[k], w->chunk_addr + w->nchunks,
                                 w->chunk_len + w->nchunks, room)
                         : 1;
        if (n > room) {
            w->ndeps = k; /* no room: the object alone is watched */
            break;
        }
        w->nchunks += n;
    }
    w->old = cd_xmalloc(w->len);
    cd_err re;
    if (read_now(c, w, w->old, &re) < 0) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "watch: '%s': %s", expr, re.msg);
        ctl_watch_free(w);
        return NULL;
    }
    for (int k = 0; k < w->ndeps; k++)
        if (cd_target_read_full(c->t, w->dep_addr[k], w->dep_old[k], (size_t)w->dep_len[k]) < 0)
            w->ndeps = k; /* cannot happen for memory the expression just read; keep what was read */
    if (w->nchunks > w->nmain) {
        /* chunks of dropped dependencies go too */
        int n = w->nmain;
        for (int k = 0; k < w->ndeps; k++) {
            uint64_t ca[CD_WATCH_MAX_SLOTS];
            int cl[CD_WATCH_MAX_SLOTS];
            n += split(w->dep_addr[k], (uint64_t)w->dep_len[k], ca, cl, CD_WATCH_MAX_SLOTS);
        }
        w->nchunks = n;
    }
    return w;
}

/* Watches the object only: what it loads on the way is not followed (a read or access watchpoint,
 * or no debug registers left for it: gdb would fall back to single-stepping). */
static void drop_deps(cd_watch *w)
{
    w->ndeps = 0;
    w->nchunks = w->nmain;
}

cd_bp *cd_ctl_watch(cd_ctl *c, const cd_scope *sel, const char *expr, cd_bp_kind kind, const char *cond,
                    cd_err *err)
{
    const char *who = "watch";
    cd_target *t = c->t;
    if (!cd_bp_kind_is_watch(kind)) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "watch: not a watchpoint kind");
        return NULL;
    }
    if (!t->caps.can_run) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot watch: the target is %s",
                 t->caps.post_mortem ? "a core file" : "not running");
        return NULL;
    }
    if (t->caps.hw_watch_slots <= 0) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot watch: the target has no debug registers");
        return NULL;
    }
    while (*expr == ' ' || *expr == '\t')
        expr++;
    if (!*expr) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "watch: what? watch [-r | -rw] EXPR (a variable, a member, *POINTER)");
        return NULL;
    }
    if (cond && cd_ctl_check_cond(c, sel, who, cond, err) < 0)
        return NULL;
    cd_watch *w = watch_eval(c, sel, expr, err);
    if (!w)
        return NULL;
    cd_bp *b = cd_xcalloc(1, sizeof *b);
    b->kind = kind;
    b->spec = cd_xstrdup(expr);
    b->cond = cond ? cd_xstrdup(cond) : NULL;
    b->enabled = true;
    b->watch = w;
    if (kind != CD_BPK_WATCH)
        drop_deps(w); /* a read of the pointer is no change of the object */
    cd_err ae;
    if (arm(c, b, who, &ae) < 0) {
        if (!w->ndeps || (drop_deps(w), arm(c, b, who, &ae) < 0)) {
            *err = ae;
            watch_bp_free(b);
            return NULL;
        }
    }
    const cd_frame *caller;
    /* gdb's scope: an expression naming a local lives as long as the frame it was set in (`*p`
     * goes when p's function returns, wherever p points); otherwise, the frame its object is in */
    const cd_frame *f = w->eval_cfa ? sel_frame(sel, &caller) : owner_frame(sel, w->addr, &caller);
    if (f) {
        w->scoped = true;
        w->tid = sel->thread->tid;
        w->cfa = f->cfa;
        w->func = cd_xstrdup(f->info.func ? f->info.func : "??");
        if (caller) {
            /* when the frame returns: its caller's pc, that thread, the frame's sp gone */
            uint64_t ret = caller->pc;
            cd_err se;
            cd_bp *sb = cd_ctl_internal_add(c, CD_BPP_WATCH_SCOPE, &ret, 1, w->tid, f->cfa, &se);
            if (sb)
                w->scope_bp = sb->id;
        }
    }
    b->id = ++c->next_id;
    bp_insert_user(c, b);
    return b;
}

cd_bp *ctl_watch_break(cd_ctl *c, const cd_scope *sel, const char *spec, cd_bp_kind kind, const char *cond,
                       cd_err *err)
{
    return cd_ctl_watch(c, sel, spec, kind, cond, err);
}

void ctl_watch_release(cd_ctl *c, cd_bp *b)
{
    cd_watch *w = b->watch;
    if (!w)
        return;
    disarm(c, w);
    if (w->scope_bp) {
        cd_bp *sb = cd_ctl_bp_find(c, w->scope_bp);
        w->scope_bp = 0;
        ctl_internal_drop(c, sb);
    }
}

int ctl_watch_enable(cd_ctl *c, cd_bp *b, bool on, cd_err *err)
{
    cd_watch *w = b->watch;
    if (on == b->enabled)
        return 0;
    if (on && !w->len)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                        "'%s' designates nothing in this program (the watchpoint was set before an exec)", b->spec);
    if (on) {
        /* the value it had when disabled means nothing now */
        cd_err re;
        if (read_now(c, w, w->old, &re) < 0)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "%s", re.msg);
        for (int k = 0; k < w->ndeps; k++)
            cd_target_read_full(c->t, w->dep_addr[k], w->dep_old[k], (size_t)w->dep_len[k]);
        if (arm(c, b, NULL, err) < 0)
            return -1;
    } else {
        disarm(c, w);
    }
    b->enabled = on;
    return 0;
}

/* ---- hits ---- */

static cd_watchhit *add_hit(cd_stop *stop, const cd_bp *b)
{
    stop->watch = cd_xrealloc(stop->watch, (stop->nwatch + 1) * sizeof *stop->watch);
    cd_watchhit *h = &stop->watch[stop->nwatch++];
    memset(h, 0, sizeof *h);
    h->id = b->id;
    h->kind = b->kind;
    h->expr = cd_xstrdup(b->spec);
    h->hits = b->hits;
    return h;
}

/* One of the values the expression loaded on the way changed (`p = &other` under `watch *p`):
 * evaluates it again, in its frame, and moves the watch to the object it designates now, keeping
 * the value last seen, so the hit reports the old object's value against the new one's, as gdb. */
static void follow(cd_ctl *c, cd_bp *b, pid_t tid)
{
    cd_watch *w = b->watch;
    bool moved = false;
    for (int k = 0; k < w->ndeps; k++) {
        uint8_t now[sizeof w->dep_old[0]];
        if (cd_target_read_full(c->t, w->dep_addr[k], now, (size_t)w->dep_len[k]) == 0 &&
            memcmp(now, w->dep_old[k], (size_t)w->dep_len[k]) != 0) {
            memcpy(w->dep_old[k], now, (size_t)w->dep_len[k]);
            moved = true;
        }
    }
    if (!moved)
        return;
    cd_thread *th = cd_target_find_thread(c->t, w->scoped ? w->tid : tid);
    cd_stack st = {0};
    cd_err e;
    if (!th || cd_unwind_thread(c->unw, th, 0, &st, &e) < 0)
        return;
    cd_vstate_use_symtab(c->vs, c->sym);
    cd_scope sc = {.target = c->t, .sym = c->sym, .thread = th, .vs = c->vs, .frames = st.frames, .nframes = st.n};
    for (size_t i = 0; i < st.n && !sc.frame; i++)
        if (!w->eval_cfa || st.frames[i].cfa == w->eval_cfa)
            sc.frame = &st.frames[i];
    cd_watch *nw = sc.frame ? watch_eval(c, &sc, b->spec, &e) : NULL;
    cd_stack_free(&st);
    if (!nw || nw->len != w->len || nw->addr == w->addr) {
        /* the same object (or one that cannot be read now): watch on as before */
        ctl_watch_free(nw);
        return;
    }
    disarm(c, w);
    free(nw->old);
    nw->old = w->old;
    w->old = NULL;
    nw->scoped = w->scoped;
    nw->tid = w->tid;
    nw->cfa = w->cfa;
    nw->func = w->func;
    w->func = NULL;
    nw->scope_bp = w->scope_bp;
    nw->eval_cfa = w->eval_cfa;
    b->watch = nw;
    ctl_watch_free(w);
    if (arm(c, b, NULL, &e) < 0) {
        drop_deps(nw);
        arm(c, b, NULL, &e);
    }
}

bool ctl_watch_event(cd_ctl *c, const cd_event *ev, cd_stop *stop)
{
    cd_thread *th = cd_target_find_thread(c->t, ev->tid);
    bool stopping = false;
    for (size_t i = 0; i < c->nbps; i++) {
        cd_bp *b = c->bps[i];
        cd_watch *w = b->watch;
        if (!w || !w->armed || !b->enabled)
            continue;
        unsigned mine = 0;
        for (int k = 0; k < w->nchunks; k++)
            mine |= 1u << w->slots[k];
        if (!(ev->slots & mine))
            continue;
        if (w->ndeps) {
            follow(c, b, ev->tid);
            w = b->watch;
            if (!w->armed)
                continue;
        }
        uint8_t *now = cd_xmalloc(w->len);
        cd_err re;
        if (read_now(c, w, now, &re) < 0) {
            free(now);
            continue;
        }
        bool changed = differs(w, w->old, now);
        /* x86 cannot watch reads alone: a read watchpoint also fires on writes, which change the
         * value (or store the same one: taken for a read, as gdb takes it) */
        bool report = b->kind == CD_BPK_WATCH ? changed : b->kind == CD_BPK_RWATCH ? !changed : true;
        uint8_t *old = w->old;
        w->old = now;
        if (report && b->cond && th) {
            cd_err ce;
            int v = ctl_eval_cond(c, th, b->cond, &ce);
            if (v < 0 && !stop->cond_error)
                stop->cond_error = cd_xasprintf("watchpoint %d: cannot evaluate its condition '%s': %s; stopped here",
                                                b->id, b->cond, ce.msg);
            report = v != 0;
        }
        if (report) {
            b->hits++;
            if (!ctl_hit_cond_ok(b)) {
                report = false;
            } else if (b->ignore > 0) {
                b->ignore--;
                report = false;
            }
        }
        if (!report) {
            free(old);
            continue;
        }
        cd_watchhit *h = add_hit(stop, b);
        h->changed = changed;
        h->len = w->len;
        h->old_bytes = old;
        h->new_bytes = cd_xmalloc(w->len);
        memcpy(h->new_bytes, now, w->len);
        h->type = w->symkey == c->vs->symtab_key ? w->type : NULL;
        h->bitsize = w->bitsize;
        h->bitpos = w->bitpos;
        if (!stopping) {
            stop->bp_id = b->id;
            stop->hits = b->hits;
        }
        stopping = true;
    }
    if (!stopping)
        return false;
    stop->reason = CD_STOP_WATCHPOINT;
    stop->tid = ev->tid;
    stop->pc = ev->addr;
    return true;
}

/* Deletes every scoped watchpoint of thread tid whose frame is gone (sp at or above its CFA),
 * recording each in stop. The number deleted. */
static int drop_left(cd_ctl *c, pid_t tid, uint64_t sp, cd_stop *stop)
{
    int n = 0;
    for (size_t i = 0; i < c->nbps;) {
        cd_bp *b = c->bps[i];
        cd_watch *w = b->watch;
        if (!w || !w->scoped || w->tid != tid || sp < w->cfa) {
            i++;
            continue;
        }
        cd_watchhit *h = add_hit(stop, b);
        h->scope_left = true;
        cd_err e;
        cd_ctl_bp_delete(c, b, &e); /* takes its scope breakpoint too */
        n++;
        i = 0; /* the list changed under us */
    }
    return n;
}

static bool any_scoped(cd_ctl *c, pid_t tid)
{
    for (size_t i = 0; i < c->nbps; i++)
        if (c->bps[i]->watch && c->bps[i]->watch->scoped && (!tid || c->bps[i]->watch->tid == tid))
            return true;
    return false;
}

bool ctl_watch_scope_event(cd_ctl *c, const cd_event *ev, cd_stop *stop)
{
    bool ours = false;
    for (cd_bp *b = ctl_bp_at(c, ev->addr, NULL); b && !ours; b = ctl_bp_at(c, ev->addr, b))
        ours = b->kind == CD_BPK_INTERNAL && b->purpose == CD_BPP_WATCH_SCOPE && b->tid == ev->tid;
    if (!ours)
        return false;
    cd_regs r;
    cd_err e;
    if (ctl_regs(c, ev->tid, &r, &e) < 0 || drop_left(c, ev->tid, r.rsp, stop) == 0)
        return false; /* a deeper call of the same function returning there: go on */
    stop->ev = *ev;
    stop->tid = ev->tid;
    stop->pc = ev->addr;
    stop->reason = CD_STOP_WATCHPOINT;
    stop->bp_id = 0;
    /* another internal breakpoint for this very return (finish, until, a step's): it is reached
     * too, and its owner reports it with the watchpoint's deletion */
    for (cd_bp *b = ctl_bp_at(c, ev->addr, NULL); b; b = ctl_bp_at(c, ev->addr, b))
        if (b->kind == CD_BPK_INTERNAL && (!b->tid || b->tid == ev->tid) && (!b->min_sp || r.rsp >= b->min_sp)) {
            stop->reason = CD_STOP_INTERNAL;
            stop->bp_id = b->id;
            break;
        }
    return true;
}

bool ctl_watch_scope_step(cd_ctl *c, cd_thread *th, cd_stop *stop)
{
    if (!any_scoped(c, th->tid))
        return false;
    cd_regs r;
    cd_err e;
    if (c->t->ops->get_regs(c->t, th, &r, &e) < 0 || drop_left(c, th->tid, r.rsp, stop) == 0)
        return false;
    stop->reason = CD_STOP_WATCHPOINT;
    stop->tid = th->tid;
    stop->pc = r.rip;
    stop->bp_id = 0;
    return true;
}

/* ---- exec ---- */

void ctl_watch_exec(cd_ctl *c)
{
    /* the new image starts without our debug registers (the target dropped them) */
    for (size_t i = 0; i < c->nbps; i++)
        if (c->bps[i]->watch)
            c->bps[i]->watch->armed = false;
}

void ctl_watch_rebind(cd_ctl *c, const cd_scope *sc)
{
    for (size_t i = 0; i < c->nbps;) {
        cd_bp *b = c->bps[i];
        if (!b->watch) {
            i++;
            continue;
        }
        cd_err e;
        if (b->watch->scoped) {
            /* its frame went with the old program */
            cd_ctl_bp_delete(c, b, &e);
            continue;
        }
        i++;
        /* the same expression in the new program (gdb re-sets watchpoints on globals at exec);
         * one that means nothing there stays, disabled */
        cd_watch *w = watch_eval(c, sc, b->spec, &e);
        ctl_watch_free(b->watch);
        b->watch = w;
        if (!w) {
            b->watch = cd_xcalloc(1, sizeof *b->watch);
            b->enabled = false;
            continue;
        }
        if (b->enabled && arm(c, b, "watch", &e) < 0)
            b->enabled = false;
    }
}
