/* Lock-order checking: recording and the graph (lockorder.h). */
#include "trace/lockorder.h"

#include "deadlock/deadlock.h"
#include "trace/backend.h"
#include "unwind/unwind.h"
#include "util/idmap.h"

#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MAX_CYCLES 64
#define SITE_FRAMES 4

/* K_LIFE: init and destroy, where a lock's life (its generation at that address) ends; K_RWINIT
 * pthread_rwlock_init, which also says the new rwlock's kind (its attr, rsi); K_KIND
 * pthread_rwlockattr_setkind_np, which sets an attr's kind (rsi) */
typedef enum { K_LOCK, K_TRY, K_TIMED, K_UNLOCK, K_CWAIT, K_LIFE, K_RWINIT, K_KIND } fkind;

static const struct {
    const char *name;
    fkind kind;
    bool rw;
} FUNCS[] = {
    {"pthread_mutex_lock", K_LOCK, false},       {"pthread_mutex_trylock", K_TRY, false},
    {"pthread_mutex_timedlock", K_TIMED, false}, {"pthread_mutex_clocklock", K_TIMED, false},
    {"pthread_mutex_unlock", K_UNLOCK, false},   {"pthread_rwlock_rdlock", K_LOCK, true},
    {"pthread_rwlock_wrlock", K_LOCK, true},     {"pthread_rwlock_tryrdlock", K_TRY, true},
    {"pthread_rwlock_trywrlock", K_TRY, true},   {"pthread_rwlock_timedrdlock", K_TIMED, true},
    {"pthread_rwlock_timedwrlock", K_TIMED, true}, {"pthread_rwlock_clockrdlock", K_TIMED, true},
    {"pthread_rwlock_clockwrlock", K_TIMED, true}, {"pthread_rwlock_unlock", K_UNLOCK, true},
    {"pthread_mutex_init", K_LIFE, false},       {"pthread_mutex_destroy", K_LIFE, false},
    {"pthread_rwlock_init", K_RWINIT, true},       {"pthread_rwlock_destroy", K_LIFE, true},
    {"pthread_rwlockattr_setkind_np", K_KIND, true},
    {"pthread_cond_wait", K_CWAIT, false},       {"pthread_cond_timedwait", K_CWAIT, false},
    {"pthread_cond_clockwait", K_CWAIT, false},
};

/* glibc's rwlock kind (pthread_rwlock_t.__data.__flags, at offset 48 on x86-64): only a writer-
 * preferring, non-recursive rwlock makes a reader wait while another reader holds it (behind a
 * waiting writer). Every other kind, the default included, lets the second reader in. */
#define RW_FLAGS_OFF 48
#define RW_PREFER_WRITER_NONRECURSIVE 2
#define NFUNCS (sizeof FUNCS / sizeof FUNCS[0])

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return k;
}

typedef struct lprobe {
    fkind kind;
    bool rw;
    bool wr;                 /* takes the lock exclusively: a mutex, a write lock (not *rdlock) */
    uint64_t lo, hi;
    char *path;
    const char *name;
} lprobe;

typedef struct held {
    uint32_t lock;
    uint32_t count;
    bool wr;                 /* held exclusively (a mutex, a write lock), not a read lock */
    uint64_t pc;             /* return address of the lock call */
} held;

typedef struct pending {
    uint32_t probe;
    uint64_t lock;
    uint64_t pc;
} pending;

typedef struct lthread {
    pid_t tid;
    held *held;
    size_t nheld, cheld;
    pending *pend;
    size_t npend, cpend;
} lthread;

/* One life of a lock: from its first use (or its init) to its destroy or the next init at that
 * address. A lock freed and another made at its address are two locks, whose orders do not
 * combine (a cycle through both could never deadlock). */
typedef struct lock {
    uint64_t addr;
    bool rw;
    uint32_t gen;            /* 1 for the first lock seen at addr, 2 for the next... */
    bool wpref;              /* an rwlock whose readers can wait for readers (writer-preferring) */
    char *name;
} lock;

/* lockmap value of an address whose lock's life ended (destroy or re-init): the index of that
 * lock with this bit; the next use starts the next generation */
#define ENDED 0x80000000u

typedef struct edge {
    cd_lo_edge pub;
    uint32_t from, to;
    uint32_t *gates;         /* locks held exclusively at every occurrence besides `from` */
    size_t ngates;
    uint8_t modes;           /* the occurrences' modes: bit (held exclusively) * 2 + (acquired exclusively) */
    uint64_t held_pc;
} edge;

/* A record held until every record older than it has come from both backends: only what the
 * replay needs (a few words), never the registers or the stack copy. */
typedef struct crec {
    uint64_t ts, seq;
    uint64_t lock;           /* the lock (rdi, rsi for a condition wait); CD_REC_DROPPED: the count */
    uint64_t ret;            /* entry: the return address, where the lock function was called */
    uint64_t arg;            /* K_RWINIT: the attr; K_KIND: the kind (rsi) */
    uint32_t probe;
    uint32_t snap;           /* the instant to unwind from (snapshots), UINT32_MAX: none */
    pid_t tid;
    uint8_t kind;            /* cd_rec_kind */
    uint8_t ok;              /* a return: rax == 0 */
} crec;

/* One backend's records in time order (each backend delivers a thread's records in order, and
 * nearly in time order across threads: an append moves back past the few it is older than). */
typedef struct rqueue {
    crec *v;
    size_t head, n, cap;     /* v[head, n) are waiting */
} rqueue;

/* The instant of an acquisition that may be the first of an edge: its registers and stack copy,
 * kept once per distinct stack (the hash of the return addresses in the copy and where they are):
 * a loop taking one lock a million times keeps one. */
typedef struct snapshot {
    cd_regs regs;
    uint64_t stack_addr;
    uint32_t stack_len;
    unsigned char *stack;
} snapshot;

struct cd_lo {
    cd_target *t;
    cd_symtab *sym;
    cd_trace_backend *bi, *bu; /* inline (every probe it can take), uprobe (the rest, or all; NULL
                                  when the inline backend took every probe) */
    size_t nuprobes;           /* probes given to bu */
    bool bi_ended, bu_ended;
    const char *note;          /* why the inline backend is not used, or NULL */
    char notebuf[1100];
    rqueue qi, qu;             /* waiting records of the inline and the uprobe backend */
    uint64_t seq;
    cd_idmap snapmap;            /* stack hash -> snapshots[] */
    snapshot *snaps;
    size_t nsnaps;
    struct { uint64_t lo, hi; } *text; /* executable mappings at arm: what a return address is */
    size_t ntext;
    uint64_t text_lo, text_hi;  /* their hull: most words of a stack (counts, stack addresses) are outside */
    struct { uint64_t h; uint32_t id; } snapcache[8]; /* the last hashes seen: a loop has a few stacks */
    lprobe *probes;
    size_t nprobes;
    cd_idmap lockmap, threadmap, edgemap;
    cd_idmap attrkind;           /* rwlockattr address -> the kind set on it */
    cd_idmap rwkind;             /* rwlock address -> the kind its last init gave it (UINT32_MAX: unknown) */
    lock *locks;
    size_t nlocks;
    lthread *threads;
    size_t nthreads;
    edge *edges;
    size_t nedges;
    cd_target *snap;
    cd_unwinder *unw;
    uint64_t ldso_lo, ldso_hi; /* the dynamic loader's code: its own locks (dl_load_lock) are not the program's */
    unsigned char *membuf;
    size_t membuf_cap;
    cd_lo_stats st;
    cd_lo_cycle *cycles;
    size_t ncycles;
    bool analysed;
};

cd_lo *cd_lo_new(cd_target *t, cd_symtab *sym, cd_err *err)
{
    cd_lo *lo = cd_xcalloc(1, sizeof *lo);
    lo->t = t;
    lo->sym = sym;
    lo->snap = cd_snapshot_new(t, err);
    if (!lo->snap) {
        free(lo);
        return NULL;
    }
    return lo;
}

static void free_frame(cd_lo_frame *f)
{
    free(f->func);
    free(f->file);
}

void cd_lo_free(cd_lo *lo)
{
    if (!lo)
        return;
    if (lo->bi)
        lo->bi->ops->free(lo->bi);
    if (lo->bu)
        lo->bu->ops->free(lo->bu);
    free(lo->qi.v);
    free(lo->qu.v);
    cd_idmap_free(&lo->snapmap);
    for (size_t i = 0; i < lo->nsnaps; i++)
        free(lo->snaps[i].stack);
    free(lo->snaps);
    free(lo->text);
    for (size_t i = 0; i < lo->nprobes; i++)
        free(lo->probes[i].path);
    free(lo->probes);
    cd_idmap_free(&lo->lockmap);
    cd_idmap_free(&lo->threadmap);
    cd_idmap_free(&lo->edgemap);
    cd_idmap_free(&lo->attrkind);
    cd_idmap_free(&lo->rwkind);
    for (size_t i = 0; i < lo->nlocks; i++)
        free(lo->locks[i].name);
    free(lo->locks);
    for (size_t i = 0; i < lo->nthreads; i++)
        free(lo->threads[i].held), free(lo->threads[i].pend);
    free(lo->threads);
    for (size_t i = 0; i < lo->nedges; i++) {
        free(lo->edges[i].gates);
        free_frame(&lo->edges[i].pub.held_at);
        for (size_t j = 0; j < lo->edges[i].pub.nstack; j++)
            free_frame(&lo->edges[i].pub.stack[j]);
        free(lo->edges[i].pub.stack);
    }
    free(lo->edges);
    for (size_t i = 0; i < lo->ncycles; i++)
        free(lo->cycles[i].edges);
    free(lo->cycles);
    if (lo->unw)
        cd_unwinder_free(lo->unw);
    free(lo->membuf);
    if (lo->snap)
        cd_target_close(lo->snap);
    free(lo);
}

/* ---- resolving ---- */

typedef struct find_arg {
    cd_lo *lo;
    size_t fi;
    const cd_mapping *maps;
    size_t nmaps;
    bool found;
} find_arg;

static int find_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud;
    (void)start;
    find_arg *fa = arg;
    /* ld.so has no locks of the program's; its own copies would only add noise */
    if (mname && strstr(mname, "ld-linux"))
        return DWARF_CB_OK;
    int nsyms = dwfl_module_getsymtab(mod);
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *n = dwfl_module_getsym_info(mod, i, &sym, &addr, NULL, NULL, NULL);
        if (!n || sym.st_shndx == SHN_UNDEF || addr == 0 || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
            continue;
        size_t fl = strlen(FUNCS[fa->fi].name);
        if (strncmp(n, FUNCS[fa->fi].name, fl) || (n[fl] && n[fl] != '@'))
            continue;
        cd_lo *lo = fa->lo;
        bool dup = false;
        /* versioned twins (pthread_cond_wait@GLIBC_2.2.5 and @@GLIBC_2.3.2) are two functions;
         * aliases of one address are one */
        for (size_t k = 0; k < lo->nprobes; k++)
            dup |= lo->probes[k].lo == addr;
        if (dup)
            continue;
        for (size_t m = 0; m < fa->nmaps; m++)
            if (addr >= fa->maps[m].start && addr < fa->maps[m].end && fa->maps[m].path) {
                lo->probes = cd_xrealloc(lo->probes, (lo->nprobes + 1) * sizeof *lo->probes);
                lprobe *p = &lo->probes[lo->nprobes++];
                p->kind = FUNCS[fa->fi].kind;
                p->rw = FUNCS[fa->fi].rw;
                p->wr = !strstr(FUNCS[fa->fi].name, "rdlock");
                p->lo = addr;
                p->hi = addr + (sym.st_size ? sym.st_size : 1);
                p->path = cd_xstrdup(fa->maps[m].path);
                p->name = FUNCS[fa->fi].name;
                fa->found = true;
                break;
            }
    }
    return DWARF_CB_OK;
}

int cd_lo_resolve(cd_lo *lo, char **missing, cd_err *err)
{
    *missing = NULL;
    const cd_mapping *maps;
    size_t nmaps;
    if (lo->t->ops->mappings(lo->t, &maps, &nmaps, err) < 0)
        return -1;
    for (size_t m = 0; m < nmaps; m++)
        if (maps[m].path && strstr(maps[m].path, "/ld-linux")) {
            if (!lo->ldso_lo || maps[m].start < lo->ldso_lo)
                lo->ldso_lo = maps[m].start;
            if (maps[m].end > lo->ldso_hi)
                lo->ldso_hi = maps[m].end;
        }
    cd_buf mb = {0};
    for (size_t fi = 0; fi < NFUNCS; fi++) {
        find_arg fa = {.lo = lo, .fi = fi, .maps = maps, .nmaps = nmaps};
        dwfl_getmodules(cd_symtab_dwfl(lo->sym), find_cb, &fa, 0);
        if (!fa.found)
            cd_buf_printf(&mb, "%s%s", mb.len ? ", " : "", FUNCS[fi].name);
    }
    bool any_lock = false;
    for (size_t i = 0; i < lo->nprobes; i++)
        any_lock |= lo->probes[i].kind == K_LOCK && !lo->probes[i].rw;
    if (!any_lock) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                 "lockorder: process %d has no pthread lock function to trace (%s not found: a static binary "
                 "without symbols, or no libc)", (int)lo->t->pid, mb.len ? mb.s : "pthread_mutex_lock");
        free(mb.s);
        return -1;
    }
    *missing = mb.s;
    return 0;
}

static bool needs_return(const lprobe *lp)
{
    return lp->kind == K_TRY || lp->kind == K_TIMED || lp->kind == K_CWAIT;
}

static int add_all(cd_lo *lo, bool use_inline, cd_err *err)
{
    const cd_mapping *maps;
    size_t nmaps;
    if (lo->t->ops->mappings(lo->t, &maps, &nmaps, err) < 0)
        return -1;
    for (size_t i = 0; i < lo->nprobes; i++) {
        lprobe *lp = &lo->probes[i];
        cd_probe p = {.id = (uint32_t)i, .addr = lp->lo, .func_lo = lp->lo, .func_hi = lp->hi, .at_entry = true,
                      .func = lp->name, .module_path = lp->path, .want_return = needs_return(lp),
                      /* the caller's frame and its return address; deeper frames are read from
                       * the process when the first occurrence of an edge is unwound */
                      .stack_bytes = 512, .lean = true};
        bool inl = use_inline;
        /* Inline records are as small as the unwinding of an edge's first occurrence allows: the
         * record routine's cost in the program grows with the cache lines it writes (80 bytes make
         * a record of six; 128 took a lock-heavy loop a third more CPU). 80 bytes hold the return
         * address and the caller's saved registers and locals at -O2, so the caller's caller is
         * found in the copy; deeper frames are read from the process. The other functions' entries
         * are never unwound (a timed lock or a condition wait is, from its return): their return
         * address alone, one cache line less to write and a shorter copy for half the records of
         * a loop that locks and unlocks. */
        if (inl)
            p.stack_bytes = lp->kind == K_LOCK ? 80 : 8;
        /* an unlock needs its lock alone (rdi, DWARF 5): a compact record, one cache line (half
         * of a lock-heavy loop's records). Its return address is not known: an unlock by ld.so
         * (not left out as its locks are) releases a lock no thread of the program was seen to
         * take, which changes nothing. */
        if (inl && lp->kind == K_UNLOCK) {
            p.regs_only = true;
            p.reg_mask = 1u << 5;
        }
        for (size_t m = 0; m < nmaps; m++)
            if (lp->lo >= maps[m].start && lp->lo < maps[m].end)
                p.file_offset = lp->lo - maps[m].start + maps[m].offset;
        cd_err ce;
        cd_err_clear(&ce);
        cd_trace_backend *b = lo->bu;
        if (inl && lo->bi->ops->check(lo->bi, &p, &ce) == 0)
            b = lo->bi;
        else if (inl && !p.want_return && lp->kind < K_LIFE) {
            /* this function alone falls back: said with the reason (not for init and destroy: a
             * program calls them rarely, a uprobe costs it nothing it would notice) */
            size_t l = strlen(lo->notebuf);
            snprintf(lo->notebuf + l, sizeof lo->notebuf - l, "%s%s", l ? "; " : "", ce.msg);
            lo->note = lo->notebuf;
        }
        if (b == lo->bu) {
            p.stack_bytes = 512;
            lo->nuprobes++;
        }
        if (b->ops->add(b, &p, err) < 0)
            return -1;
    }
    return 0;
}

/* Every probe the inline backend can take goes there (a jump to a trampoline in the process, tens
 * of ns a hit): lock and unlock, and the functions whose return matters (trylock, timedlock,
 * condition waits) once it records returns. The rest go to uprobes (a kernel trap, microseconds),
 * each function that could have been inline named with the reason in the note: the records of
 * both are merged by time before the replay. Without the inline backend (it cannot take the
 * process), everything goes to uprobes. */
int cd_lo_arm(cd_lo *lo, cd_err *err)
{
    cd_trace_env env = {.t = lo->t, .sym = lo->sym, .pid = lo->t->pid};
    const cd_mapping *maps;
    size_t nmaps;
    if (lo->t->ops->mappings(lo->t, &maps, &nmaps, err) < 0)
        return -1;
    lo->text = cd_xcalloc(nmaps ? nmaps : 1, sizeof *lo->text);
    /* [vdso] and [vsyscall] hold no lock calls, and the vdso lies next to the stacks */
    for (size_t m = 0; m < nmaps; m++)
        if ((maps[m].prot & PROT_EXEC) && !(maps[m].path && maps[m].path[0] == '[')) {
            lo->text[lo->ntext].lo = maps[m].start;
            lo->text[lo->ntext++].hi = maps[m].end;
            if (!lo->text_lo || maps[m].start < lo->text_lo)
                lo->text_lo = maps[m].start;
            if (maps[m].end > lo->text_hi)
                lo->text_hi = maps[m].end;
        }
    lo->bu = cd_tb_uprobe_new(&env, err);
    if (!lo->bu)
        return -1;
    cd_err ie;
    cd_err_clear(&ie);
    /* The inline reader waits until half its ring is filled (or cd_lo_poll's timeout) before it
     * drains: a lock-heavy loop's records are read in a few large batches, mostly after it, not
     * while its threads hold their locks. */
    cd_trace_env ienv = env;
    ienv.batch = true;
    /* 2^20 lean records of 256 bytes (a lock's: the header, the registers and its 80-byte stack
     * copy; 4 cache lines), the header's page besides: a burst of 500,000 lock operations fills
     * it less than half, so the reader does not drain it while the burst runs */
    ienv.buffer_size = (256u << 20) + (1u << 20);
    lo->bi = getenv("CDBG_LOCKORDER_UPROBE_ONLY") ? NULL : cd_tb_inline_new(&ienv, &ie);
    bool use_inline = lo->bi != NULL;
    if (use_inline && (add_all(lo, true, &ie) < 0 || lo->bi->ops->arm(lo->bi, &ie) < 0)) {
        lo->bi->ops->free(lo->bi);
        lo->bi = NULL;
        /* Uprobes on a process that is gone would record nothing, and "no lock was taken" is no
         * answer; a seccomp filter's refusal (CD_EK_SECCOMP: nothing was injected) falls back. */
        if (ie.kind == CD_EK_EXITED)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED,
                            "lockorder: process %d ended while the probes were being put in (%s); nothing was recorded",
                            (int)lo->t->pid, ie.msg);
        lo->bu->ops->free(lo->bu);
        lo->bu = cd_tb_uprobe_new(&env, err);
        if (!lo->bu)
            return -1;
        lo->nuprobes = 0;
        use_inline = false;
    }
    if (!use_inline) {
        lo->notebuf[0] = 0;
        {
            snprintf(lo->notebuf, sizeof lo->notebuf, "%s", ie.msg[0] ? ie.msg : "inline backend not used");
            lo->note = lo->notebuf;
        }
        if (add_all(lo, false, err) < 0)
            return -1;
    }
    lo->bi_ended = !lo->bi;
    if (!lo->nuprobes) { /* every probe inline: no second stream to wait for or merge with */
        lo->bu->ops->free(lo->bu);
        lo->bu = NULL;
        lo->bu_ended = true;
        return 0;
    }
    return lo->bu->ops->arm(lo->bu, err);
}

const char *cd_lo_note(cd_lo *lo)
{
    return lo->note;
}

/* ---- replay ---- */

static lthread *thread_of(cd_lo *lo, pid_t tid)
{
    uint32_t *v = cd_idmap_slot(&lo->threadmap, (uint64_t)tid, true);
    if (*v == UINT32_MAX) {
        lo->threads = cd_xrealloc(lo->threads, (lo->nthreads + 1) * sizeof *lo->threads);
        memset(&lo->threads[lo->nthreads], 0, sizeof *lo->threads);
        lo->threads[lo->nthreads].tid = tid;
        *v = (uint32_t)lo->nthreads++;
    }
    return &lo->threads[*v];
}

/* The kind of the rwlock at addr: from its pthread_rwlock_init call's attr when that was seen,
 * else from its __flags in the process (a static initializer, an init before the attach); when
 * neither can be known (the process has ended), glibc's default: reader-preferring. */
static bool writer_preferring(cd_lo *lo, uint64_t addr)
{
    uint32_t *k = cd_idmap_slot(&lo->rwkind, addr, false);
    if (k && *k != UINT32_MAX)
        return *k == RW_PREFER_WRITER_NONRECURSIVE;
    uint32_t flags;
    if (cd_target_read_full(lo->t, addr + RW_FLAGS_OFF, &flags, sizeof flags) < 0)
        return false;
    return flags == RW_PREFER_WRITER_NONRECURSIVE;
}

static uint32_t lock_of(cd_lo *lo, uint64_t addr, bool rw)
{
    uint32_t *v = cd_idmap_slot(&lo->lockmap, addr, true);
    if (*v == UINT32_MAX || (*v & ENDED)) {
        uint32_t gen = *v == UINT32_MAX ? 1 : lo->locks[*v & ~ENDED].gen + 1;
        lo->locks = cd_xrealloc(lo->locks, (lo->nlocks + 1) * sizeof *lo->locks);
        lo->locks[lo->nlocks] = (lock){.addr = addr, .rw = rw, .gen = gen};
        if (rw)
            lo->locks[lo->nlocks].wpref = writer_preferring(lo, addr);
        *v = (uint32_t)lo->nlocks++;
    }
    return *v;
}

/* pthread_*_init or _destroy on addr: the lock there (if one was used) has ended. Its edges stay;
 * the next acquisition at addr is a new lock. A thread still holding it (destroying a held lock is
 * undefined) keeps it held until its unlock, which then finds no lock. */
static void end_lock(cd_lo *lo, uint64_t addr)
{
    uint32_t *v = cd_idmap_slot(&lo->lockmap, addr, false);
    if (v && *v != UINT32_MAX && !(*v & ENDED))
        *v |= ENDED;
}

/* The library frames between the program and the lock (std::mutex::lock, __gthread_mutex_lock) are
 * not where the program took the lock: the same frames `cdbg deadlock` skips. */
static bool wrapper_frame(const char *fn, const char *file, const char *module)
{
    return cd_dl_toolchain_frame(fn, file, module);
}

static void set_frame(cd_lo *lo, cd_lo_frame *f, uint64_t pc, bool caller)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(lo->sym, caller && pc ? pc - 1 : pc, &pi);
    /* std::mutex::lock and __gthread_mutex_lock inlined at the call: the program's line is the
     * first inline level outside them, as unwind_site skips their frames */
    int k = 0;
    while (k + 1 < n && wrapper_frame(pi[k].func, pi[k].file, pi[k].module))
        k++;
    f->pc = pc;
    f->func = cd_xstrdup(n > 0 && pi[k].func ? pi[k].func : "??");
    f->file = n > 0 && pi[k].file ? cd_xstrdup(pi[k].file) : NULL;
    f->line = n > 0 ? pi[k].line : 0;
}

static bool in_lock_func(cd_lo *lo, uint64_t pc)
{
    for (size_t i = 0; i < lo->nprobes; i++)
        if (pc >= lo->probes[i].lo && pc < lo->probes[i].hi)
            return true;
    return false;
}

/* The first occurrence of an edge: where the acquired lock was taken, from the record's instant. */
static void unwind_site(cd_lo *lo, edge *e, const snapshot *r, pid_t tid, uint64_t pc)
{
    cd_err err;
    cd_err_clear(&err);
    /* The copy starts on its page: the unwinder reads whole pages, and the part below sp is not in
     * the record (nor needed); from a process that has ended since, it could not be read at all. */
    static const snapshot none = {0};
    if (!r)
        r = &none;
    uint64_t lo_addr = r->stack_addr & ~(uint64_t)4095;
    size_t below = (size_t)(r->stack_addr - lo_addr);
    if (below + r->stack_len > lo->membuf_cap) {
        lo->membuf_cap = below + r->stack_len;
        lo->membuf = cd_xrealloc(lo->membuf, lo->membuf_cap);
    }
    memset(lo->membuf, 0, below);
    if (r->stack_len)
        memcpy(lo->membuf + below, r->stack, r->stack_len);
    cd_snapshot_instant in = {.tid = tid, .regs = r->regs, .mem_addr = lo_addr, .mem = lo->membuf,
                              .mem_len = below + r->stack_len};
    cd_stack st = {0};
    /* The record holds the top of the stack only; the outer frames come from the thread's stack as
     * it is when the record is read, which may be later (a frame returned, the thread gone and its
     * stack reused). An unwind that may not read the stack mapping past the copy says how many
     * frames are the record's own; the rest are marked. */
    size_t own = SIZE_MAX;
    const cd_mapping *maps = NULL;
    size_t nmaps = 0;
    cd_err merr;
    cd_err_clear(&merr);
    if (r != &none && lo->t->ops->mappings && lo->t->ops->mappings(lo->t, &maps, &nmaps, &merr) == 0)
        for (size_t m = 0; m < nmaps; m++)
            if (r->stack_addr >= maps[m].start && r->stack_addr < maps[m].end) {
                in.deny_lo = maps[m].start;
                in.deny_hi = maps[m].end;
                break;
            }
    if (r != &none && in.deny_hi && cd_snapshot_set(lo->snap, &in, &err) == 0) {
        if (!lo->unw)
            lo->unw = cd_unwinder_new(lo->snap, lo->sym, &err);
        if (lo->unw && lo->snap->nthreads) {
            cd_unwind_thread(lo->unw, lo->snap->threads[0], 12, &st, &err);
            own = st.n;
        }
        cd_stack_free(&st);
        memset(&st, 0, sizeof st);
        in.deny_lo = in.deny_hi = 0;
    }
    if (r != &none && cd_snapshot_set(lo->snap, &in, &err) == 0) {
        if (!lo->unw)
            lo->unw = cd_unwinder_new(lo->snap, lo->sym, &err);
        if (lo->unw && lo->snap->nthreads)
            cd_unwind_thread(lo->unw, lo->snap->threads[0], 12, &st, &err);
    }
    size_t i = 0;
    while (i < st.n && (in_lock_func(lo, st.frames[i].pc) || (i + 1 < st.n && wrapper_frame(st.frames[i].info.func, st.frames[i].info.file, st.frames[i].info.module))))
        i++;
    e->pub.stack = cd_xcalloc(SITE_FRAMES, sizeof *e->pub.stack);
    for (; i < st.n && e->pub.nstack < SITE_FRAMES; i++) {
        cd_lo_frame *f = &e->pub.stack[e->pub.nstack++];
        f->pc = st.frames[i].pc;
        f->func = cd_xstrdup(st.frames[i].info.func ? st.frames[i].info.func : "??");
        f->file = st.frames[i].info.file ? cd_xstrdup(st.frames[i].info.file) : NULL;
        f->line = st.frames[i].info.line;
        f->late = i >= own;
    }
    if (!e->pub.nstack) /* not unwound: at least the caller, from the return address */
        set_frame(lo, &e->pub.stack[e->pub.nstack++], pc, true);
    cd_stack_free(&st);
}

/* wr: taken exclusively (a mutex, a write lock); a read lock shares */
static void acquire(cd_lo *lo, lthread *th, uint64_t addr, bool rw, bool wr, uint64_t pc, bool blocking,
                    const crec *r)
{
    lo->st.acquisitions++;
    uint32_t l = lock_of(lo, addr, rw);
    for (size_t i = 0; i < th->nheld; i++)
        if (th->held[i].lock == l) { /* recursion on one lock: no order */
            th->held[i].count++;
            return;
        }
    if (blocking)
        for (size_t i = 0; i < th->nheld; i++) {
            uint32_t from = th->held[i].lock;
            uint32_t *v = cd_idmap_slot(&lo->edgemap, ((uint64_t)from << 32 | l) + 1, true);
            edge *e;
            if (*v == UINT32_MAX) {
                lo->edges = cd_xrealloc(lo->edges, (lo->nedges + 1) * sizeof *lo->edges);
                e = &lo->edges[lo->nedges];
                memset(e, 0, sizeof *e);
                *v = (uint32_t)lo->nedges++;
                e->from = from, e->to = l;
                e->pub.tid = r->tid;
                e->pub.held_mode = lo->locks[from].rw ? (th->held[i].wr ? "write" : "read") : NULL;
                e->pub.acquired_mode = rw ? (wr ? "write" : "read") : NULL;
                e->held_pc = th->held[i].pc;
                e->gates = cd_xcalloc(th->nheld ? th->nheld : 1, sizeof *e->gates);
                /* a read lock is no gate: two threads can both be inside it */
                for (size_t k = 0; k < th->nheld; k++)
                    if (k != i && th->held[k].wr)
                        e->gates[e->ngates++] = th->held[k].lock;
                unwind_site(lo, e, r->snap < lo->nsnaps ? &lo->snaps[r->snap] : NULL, r->tid, pc);
            } else {
                e = &lo->edges[*v];
                /* a gate must be held at every occurrence */
                size_t w = 0;
                for (size_t g = 0; g < e->ngates; g++) {
                    bool keep = false;
                    for (size_t k = 0; k < th->nheld && !keep; k++)
                        keep = k != i && th->held[k].wr && th->held[k].lock == e->gates[g];
                    if (keep)
                        e->gates[w++] = e->gates[g];
                }
                e->ngates = w;
            }
            e->pub.count++;
            e->modes |= (uint8_t)(1u << ((th->held[i].wr ? 2 : 0) | (wr ? 1 : 0)));
        }
    if (th->nheld == th->cheld) {
        th->cheld = th->cheld ? th->cheld * 2 : 8;
        th->held = cd_xrealloc(th->held, th->cheld * sizeof *th->held);
    }
    th->held[th->nheld++] = (held){.lock = l, .count = 1, .wr = wr, .pc = pc};
}

static void release(cd_lo *lo, lthread *th, uint64_t addr)
{
    lo->st.releases++;
    uint32_t *v = cd_idmap_slot(&lo->lockmap, addr, false);
    if (!v || *v == UINT32_MAX || (*v & ENDED))
        return;
    /* the latest acquisition first: locks are mostly released in reverse order */
    for (size_t i = th->nheld; i-- > 0;)
        if (th->held[i].lock == *v) {
            if (--th->held[i].count == 0) {
                memmove(&th->held[i], &th->held[i + 1], (th->nheld - i - 1) * sizeof *th->held);
                th->nheld--;
            }
            return;
        }
}

/* One record, in its thread's order. */
static void replay_one(cd_lo *lo, const crec *r)
{
    lo->st.records++;
    if (r->kind == CD_REC_DROPPED) {
        lo->st.dropped += r->lock;
        return;
    }
    if (r->probe >= lo->nprobes)
        return;
    const lprobe *p = &lo->probes[r->probe];
    lthread *th = thread_of(lo, r->tid);
    if (r->kind == CD_REC_ENTRY) {
        if (r->ret >= lo->ldso_lo && r->ret < lo->ldso_hi)
            return;
        switch (p->kind) {
        case K_LOCK:
            acquire(lo, th, r->lock, p->rw, p->wr, r->ret, true, r);
            break;
        case K_UNLOCK:
            release(lo, th, r->lock);
            break;
        case K_LIFE:
            end_lock(lo, r->lock);
            if (p->rw) /* destroyed: a next rwlock there without an init is of a kind not seen */
                *cd_idmap_slot(&lo->rwkind, r->lock, true) = UINT32_MAX;
            break;
        case K_RWINIT: {
            end_lock(lo, r->lock);
            uint32_t kind = UINT32_MAX; /* an attr whose kind was set before we came: not known */
            if (!r->arg) {
                kind = 0;
            } else {
                uint32_t *ak = cd_idmap_slot(&lo->attrkind, r->arg, false);
                if (ak)
                    kind = *ak;
            }
            *cd_idmap_slot(&lo->rwkind, r->lock, true) = kind;
            break;
        }
        case K_KIND:
            *cd_idmap_slot(&lo->attrkind, r->lock, true) = (uint32_t)r->arg;
            break;
        case K_CWAIT:
            /* glibc releases the mutex inside and retakes it before returning */
            release(lo, th, r->lock);
            /* fall through */
        case K_TRY:
        case K_TIMED:
            if (th->npend == th->cpend) {
                th->cpend = th->cpend ? th->cpend * 2 : 4;
                th->pend = cd_xrealloc(th->pend, th->cpend * sizeof *th->pend);
            }
            th->pend[th->npend++] = (pending){.probe = r->probe, .lock = r->lock, .pc = r->ret};
            break;
        }
        return;
    }
    /* a return: its entry is the latest pending call of that function in this thread */
    for (size_t i = th->npend; i-- > 0;)
        if (th->pend[i].probe == r->probe) {
            pending pd = th->pend[i];
            th->npend = i;
            if (p->kind == K_CWAIT)
                acquire(lo, th, pd.lock, false, true, pd.pc, true, r);
            else if (r->ok) /* taken; EBUSY, ETIMEDOUT...: not taken */
                acquire(lo, th, pd.lock, p->rw, p->wr, pd.pc, p->kind == K_TIMED, r);
            break;
        }
}

/* Records are buffered and replayed in time order once both backends have delivered everything
 * older: the uprobe backend holds its records back 20 ms, so what is older than HOLD_NS is
 * complete. */
#define HOLD_NS (80ull * 1000 * 1000)
#define BATCH_MS 20
#define KEEP_STACK 512u

static bool in_text(const cd_lo *lo, uint64_t v)
{
    if (v < lo->text_lo || v >= lo->text_hi)
        return false;
    for (size_t i = 0; i < lo->ntext; i++)
        if (v >= lo->text[i].lo && v < lo->text[i].hi)
            return true;
    return false;
}

/* The instant r may have to be unwound from, kept once per distinct stack: the hash of the probed
 * pc and of every word of the copy that points into code, with its offset (the return addresses
 * the unwinder would find). Two instants with the same hash unwind to the same frames. */
static uint32_t snapshot_of(cd_lo *lo, const cd_trace_rec *r)
{
    uint64_t h = mix(r->regs.rip ^ ((uint64_t)r->kind << 56)) | 1;
    size_t nw = r->stack_len / 8;
    for (size_t i = 0; i < nw; i++) {
        uint64_t w;
        memcpy(&w, (const unsigned char *)r->stack + i * 8, 8);
        if (in_text(lo, w))
            h = mix(h ^ w ^ ((uint64_t)i << 48)) | 1;
    }
    size_t ci = h & 7;
    if (lo->snapcache[ci].h == h)
        return lo->snapcache[ci].id;
    uint32_t *v = cd_idmap_slot(&lo->snapmap, h, true);
    if (*v == UINT32_MAX) {
        if ((lo->nsnaps & (lo->nsnaps - 1)) == 0) /* a power of two: double */
            lo->snaps = cd_xrealloc(lo->snaps, (lo->nsnaps ? lo->nsnaps * 2 : 16) * sizeof *lo->snaps);
        snapshot *sn = &lo->snaps[lo->nsnaps];
        sn->regs = r->regs;
        sn->stack_addr = r->stack_addr;
        sn->stack_len = r->stack_len < KEEP_STACK ? r->stack_len : KEEP_STACK;
        sn->stack = cd_xmalloc(sn->stack_len ? sn->stack_len : 1);
        memcpy(sn->stack, r->stack, sn->stack_len);
        *v = (uint32_t)lo->nsnaps++;
    }
    lo->snapcache[ci].h = h;
    lo->snapcache[ci].id = *v;
    return *v;
}

static void enqueue(cd_lo *lo, rqueue *q, const cd_trace_rec *r)
{
    if (q->n == q->cap) {
        if (q->head > q->cap / 2) { /* the replayed half goes */
            memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof *q->v);
            q->n -= q->head;
            q->head = 0;
        } else {
            q->cap = q->cap ? q->cap * 2 : 4096;
            q->v = cd_xrealloc(q->v, q->cap * sizeof *q->v);
        }
    }
    crec c = {.ts = r->ts_ns, .seq = lo->seq++, .probe = r->probe, .snap = UINT32_MAX, .tid = r->tid,
              .kind = (uint8_t)r->kind};
    if (r->kind == CD_REC_DROPPED) {
        c.lock = r->dropped;
    } else if (r->probe < lo->nprobes) {
        const lprobe *p = &lo->probes[r->probe];
        if (r->kind == CD_REC_ENTRY) {
            c.lock = p->kind == K_CWAIT ? r->regs.rsi : r->regs.rdi;
            if (p->kind == K_RWINIT || p->kind == K_KIND)
                c.arg = r->regs.rsi;
            if (r->stack_len >= 8 && r->stack_addr == r->regs.rsp)
                memcpy(&c.ret, r->stack, 8);
            if (p->kind == K_LOCK && !(c.ret >= lo->ldso_lo && c.ret < lo->ldso_hi))
                c.snap = snapshot_of(lo, r);
        } else {
            c.ok = (uint32_t)r->regs.rax == 0;
            /* a timed lock or a condition wait that returned may be an edge's first occurrence */
            if (p->kind == K_CWAIT || (p->kind == K_TIMED && c.ok))
                c.snap = snapshot_of(lo, r);
        }
    }
    /* in place: past the few waiting records it is older than */
    size_t i = q->n++;
    while (i > q->head && q->v[i - 1].ts > c.ts)
        i--;
    if (i < q->n - 1)
        memmove(&q->v[i + 1], &q->v[i], (q->n - 1 - i) * sizeof *q->v);
    q->v[i] = c;
}

static int sink_inline(void *arg, const cd_trace_rec *r)
{
    cd_lo *lo = arg;
    enqueue(lo, &lo->qi, r);
    return 0;
}

static int sink_uprobe(void *arg, const cd_trace_rec *r)
{
    cd_lo *lo = arg;
    enqueue(lo, &lo->qu, r);
    return 0;
}

static bool before(const crec *x, const crec *y)
{
    return x->ts != y->ts ? x->ts < y->ts : x->seq < y->seq;
}

/* Replays the waiting records older than cutoff (UINT64_MAX: all), the two queues merged. */
static void replay(cd_lo *lo, uint64_t cutoff)
{
    rqueue *qi = &lo->qi, *qu = &lo->qu;
    for (;;) {
        const crec *a = qi->head < qi->n ? &qi->v[qi->head] : NULL;
        const crec *b = qu->head < qu->n ? &qu->v[qu->head] : NULL;
        bool take_a = a && (!b || before(a, b));
        const crec *c = take_a ? a : b;
        if (!c || c->ts >= cutoff)
            break;
        replay_one(lo, c);
        if (take_a)
            qi->head++;
        else
            qu->head++;
    }
    if (qi->head == qi->n)
        qi->head = qi->n = 0;
    if (qu->head == qu->n)
        qu->head = qu->n = 0;
}

static int poll_one(cd_lo *lo, cd_trace_backend *b, bool *ended, int timeout_ms, cd_err *err)
{
    if (!b || *ended)
        return 0;
    cd_err e;
    cd_err_clear(&e);
    int n = b->ops->poll(b, timeout_ms, b == lo->bi ? sink_inline : sink_uprobe, lo, &e);
    if (n < 0) {
        if (e.kind == CD_EK_EXITED) {
            *ended = true;
            return 0;
        }
        *err = e;
    }
    return n;
}

int cd_lo_poll(cd_lo *lo, int timeout_ms, cd_err *err)
{
    lo->analysed = false;
    /* The inline reader waits for a batch (env.batch: half its ring filled), up to timeout_ms;
     * with uprobe records to merge, up to BATCH_MS only: its records then come well within
     * HOLD_NS of when they were made, and the uprobes' (held 20 ms by their backend) are read
     * right after, without waiting. */
    bool inl = lo->bi && !lo->bi_ended;
    int ti = timeout_ms;
    if (lo->bu && !lo->bu_ended && (ti < 0 || ti > BATCH_MS))
        ti = BATCH_MS;
    int a = poll_one(lo, lo->bi, &lo->bi_ended, ti, err);
    if (a < 0)
        return -1;
    int b = poll_one(lo, lo->bu, &lo->bu_ended, inl ? 0 : timeout_ms, err);
    if (b < 0)
        return -1;
    int c = 0;
    if (lo->bi_ended && lo->bu_ended) {
        replay(lo, UINT64_MAX);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "lockorder: process %d has ended", (int)lo->t->pid);
    }
    uint64_t now = cd_now_ns();
    replay(lo, now > HOLD_NS ? now - HOLD_NS : 0);
    return a + b + c;
}

int cd_lo_disarm(cd_lo *lo, cd_err *err)
{
    int rc = 0;
    if (lo->bi && !lo->bi_ended && lo->bi->ops->disarm(lo->bi, err) < 0)
        rc = -1;
    if (lo->bu && !lo->bu_ended && lo->bu->ops->disarm(lo->bu, err) < 0)
        rc = -1;
    return rc;
}

/* After disarm: everything still buffered in the backends, then the replay of all. */
void cd_lo_drain(cd_lo *lo)
{
    cd_err e;
    cd_err_clear(&e);
    while (poll_one(lo, lo->bi, &lo->bi_ended, 0, &e) > 0)
        ;
    while (poll_one(lo, lo->bu, &lo->bu_ended, 0, &e) > 0)
        ;
    replay(lo, UINT64_MAX);
    lo->analysed = false;
}

void cd_lo_emergency(cd_lo *lo)
{
    if (lo && lo->bi)
        lo->bi->ops->emergency(lo->bi);
    if (lo && lo->bu)
        lo->bu->ops->emergency(lo->bu);
}

/* ---- the graph ---- */

static const char *lock_name(cd_lo *lo, uint32_t l)
{
    lock *k = &lo->locks[l];
    if (!k->name) {
        char *n = cd_dl_global_name(lo->sym, k->addr);
        if (!n)
            n = cd_dl_global_ptr_name(lo->sym, lo->t, k->addr);
        if (!n) {
            n = cd_xcalloc(1, 24);
            snprintf(n, 24, "0x%llx", (unsigned long long)k->addr);
        }
        if (k->gen > 1) { /* not the first lock at that address: which one */
            size_t len = strlen(n) + 32;
            char *g = cd_xmalloc(len);
            snprintf(g, len, "%s (generation %u)", n, k->gen);
            free(n);
            n = g;
        }
        k->name = n;
    }
    return k->name;
}

/* Shortest path of edges from `from` to `to` (BFS over the edges); its length, or 0. */
static size_t path(cd_lo *lo, const size_t *const *out_adj, const size_t *nadj, uint32_t from, uint32_t to,
                   uint32_t *prev_edge, uint32_t *queue, size_t *out)
{
    for (size_t i = 0; i < lo->nlocks; i++)
        prev_edge[i] = UINT32_MAX;
    size_t qh = 0, qt = 0;
    queue[qt++] = from;
    bool found = from == to;
    while (qh < qt && !found) {
        uint32_t u = queue[qh++];
        for (size_t k = 0; k < nadj[u]; k++) {
            const edge *e = &lo->edges[out_adj[u][k]];
            if (prev_edge[e->to] != UINT32_MAX || e->to == from)
                continue;
            prev_edge[e->to] = (uint32_t)out_adj[u][k];
            if (e->to == to) {
                found = true;
                break;
            }
            queue[qt++] = e->to;
        }
    }
    if (!found || from == to)
        return 0;
    size_t n = 0;
    for (uint32_t v = to; v != from; v = lo->edges[prev_edge[v]].from)
        out[n++] = prev_edge[v];
    for (size_t i = 0; i < n / 2; i++) {
        size_t x = out[i];
        out[i] = out[n - 1 - i];
        out[n - 1 - i] = x;
    }
    return n;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static bool gated(cd_lo *lo, const size_t *ce, size_t n)
{
    const edge *e0 = &lo->edges[ce[0]];
    for (size_t g = 0; g < e0->ngates; g++) {
        bool all = true;
        for (size_t i = 1; i < n && all; i++) {
            const edge *e = &lo->edges[ce[i]];
            bool has = false;
            for (size_t k = 0; k < e->ngates && !has; k++)
                has = e->gates[k] == e0->gates[g];
            all = has;
        }
        if (all)
            return true;
    }
    return false;
}

/* Whether the thread of edge x (in occurrence mode cx) can wait on the lock that the thread of the
 * next edge y (in mode cy) holds: not when both only read an rwlock that lets a reader in while
 * another reads it (glibc's default kind). A mode is (held exclusively) * 2 + (acquired
 * exclusively). */
static bool link_blocks(const cd_lo *lo, const edge *x, unsigned cx, unsigned cy)
{
    const lock *l = &lo->locks[x->to];
    return !l->rw || l->wpref || (cx & 1) || (cy & 2);
}

/* A cycle can deadlock only if each of its threads can wait for the next: some choice of one
 * occurrence mode per edge blocks at every link (followed around the cycle, four modes an edge). */
static bool can_block(const cd_lo *lo, const size_t *ce, size_t n)
{
    const edge *e0 = &lo->edges[ce[0]];
    for (unsigned c0 = 0; c0 < 4; c0++) {
        if (!(e0->modes & (1u << c0)))
            continue;
        unsigned cur = 1u << c0; /* the modes edge k can be in, the links before it all blocking */
        for (size_t k = 1; k < n && cur; k++) {
            const edge *prev = &lo->edges[ce[k - 1]], *e = &lo->edges[ce[k]];
            unsigned next = 0;
            for (unsigned c = 0; c < 4; c++)
                for (unsigned d = 0; d < 4; d++)
                    if ((cur & (1u << c)) && (e->modes & (1u << d)) && link_blocks(lo, prev, c, d))
                        next |= 1u << d;
            cur = next;
        }
        const edge *last = &lo->edges[ce[n - 1]];
        for (unsigned c = 0; c < 4; c++)
            if ((cur & (1u << c)) && link_blocks(lo, last, c, c0))
                return true;
    }
    return false;
}

static void analyse(cd_lo *lo)
{
    for (size_t i = 0; i < lo->ncycles; i++)
        free(lo->cycles[i].edges);
    free(lo->cycles);
    lo->cycles = NULL;
    lo->ncycles = 0;
    lo->st.gated_cycles = 0;
    lo->st.shared_cycles = 0;
    size_t nl = lo->nlocks;
    size_t **adj = cd_xcalloc(nl ? nl : 1, sizeof *adj);
    size_t *nadj = cd_xcalloc(nl ? nl : 1, sizeof *nadj);
    for (size_t i = 0; i < lo->nedges; i++) {
        uint32_t u = lo->edges[i].from;
        adj[u] = cd_xrealloc(adj[u], (nadj[u] + 1) * sizeof **adj);
        adj[u][nadj[u]++] = i;
    }
    uint32_t *prev = cd_xcalloc(nl ? nl : 1, sizeof *prev);
    uint32_t *queue = cd_xcalloc(nl ? nl : 1, sizeof *queue);
    size_t *pe = cd_xcalloc(nl + 1, sizeof *pe);
    char **seen = NULL;
    size_t nseen = 0;
    /* every edge u→v closed by a shortest path v→...→u: one cycle per distinct edge set */
    for (size_t i = 0; i < lo->nedges && lo->ncycles < MAX_CYCLES; i++) {
        const edge *e = &lo->edges[i];
        size_t n = path(lo, (const size_t *const *)adj, nadj, e->to, e->from, prev, queue, pe + 1);
        if (!n)
            continue;
        pe[0] = i;
        n++;
        size_t *sorted = cd_xcalloc(n, sizeof *sorted);
        memcpy(sorted, pe, n * sizeof *pe);
        qsort(sorted, n, sizeof *sorted, cmp_size);
        cd_buf key = {0};
        for (size_t k = 0; k < n; k++)
            cd_buf_printf(&key, "%zu,", sorted[k]);
        free(sorted);
        bool dup = false;
        for (size_t k = 0; k < nseen && !dup; k++)
            dup = !strcmp(seen[k], key.s);
        if (dup) {
            free(key.s);
            continue;
        }
        seen = cd_xrealloc(seen, (nseen + 1) * sizeof *seen);
        seen[nseen++] = key.s;
        if (gated(lo, pe, n)) {
            lo->st.gated_cycles++;
            continue;
        }
        if (!can_block(lo, pe, n)) {
            lo->st.shared_cycles++;
            continue;
        }
        lo->cycles = cd_xrealloc(lo->cycles, (lo->ncycles + 1) * sizeof *lo->cycles);
        cd_lo_cycle *c = &lo->cycles[lo->ncycles++];
        c->n = n;
        c->edges = cd_xcalloc(n, sizeof *c->edges);
        for (size_t k = 0; k < n; k++) {
            edge *ce = &lo->edges[pe[k]];
            ce->pub.held = lo->locks[ce->from].addr;
            ce->pub.acquired = lo->locks[ce->to].addr;
            ce->pub.held_name = lock_name(lo, ce->from);
            ce->pub.acquired_name = lock_name(lo, ce->to);
            ce->pub.held_kind = lo->locks[ce->from].rw ? "rwlock" : "mutex";
            ce->pub.acquired_kind = lo->locks[ce->to].rw ? "rwlock" : "mutex";
            if (!ce->pub.held_at.func)
                set_frame(lo, &ce->pub.held_at, ce->held_pc, true);
            c->edges[k] = &ce->pub;
        }
    }
    for (size_t k = 0; k < nseen; k++)
        free(seen[k]);
    free(seen);
    for (size_t i = 0; i < nl; i++)
        free(adj[i]);
    free(adj);
    free(nadj);
    free(prev);
    free(queue);
    free(pe);
    lo->analysed = true;
}

size_t cd_lo_cycles(cd_lo *lo, const cd_lo_cycle **out)
{
    if (!lo->analysed)
        analyse(lo);
    *out = lo->cycles;
    return lo->ncycles;
}

void cd_lo_get_stats(cd_lo *lo, cd_lo_stats *out)
{
    if (!lo->analysed)
        analyse(lo);
    *out = lo->st;
    out->locks = lo->nlocks;
    out->threads = lo->nthreads;
    out->edges = lo->nedges;
}
