/* The analysis: gather futex waits without stopping anything, confirm them, judge the graph,
 * then stop only the threads in findings to show where they wait. */
#include "deadlock/deadlock.h"

#include "arch/arch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <gelf.h>

#define DEFAULT_CONFIRM_MS 15
#define SYS_RESTART_SYSCALL_ 219

/* What must not change between the two reads of one wait. */
typedef struct snap {
    cd_syscall_state sc;
    unsigned long long runs; /* scheduler timeslices (live), ~0 if unknown */
} snap;

/* Number of times the thread was scheduled in: unchanged means it never woke between reads.
 * procfs is the only source, so this is skipped on cores (nothing moves there anyway). */
static unsigned long long sched_runs(cd_target *t, pid_t tid)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)t->pid, (int)tid);
    char *s = cd_read_file(path, NULL);
    unsigned long long a, b, c;
    int ok = s && sscanf(s, "%llu %llu %llu", &a, &b, &c) == 3;
    free(s);
    return ok ? c : ~0ULL;
}

static bool is_live(const cd_target *t) { return t->caps.has_proc; }

static bool same_wait(const cd_dl_wait *a, const cd_dl_wait *b)
{
    return a->kind == b->kind && a->addr == b->addr && a->futex == b->futex && a->word == b->word &&
           a->owner == b->owner && a->by_readers == b->by_readers;
}

static bool edge_kind(cd_dl_kind k) { return k == CD_DL_MUTEX || k == CD_DL_RWLOCK || k == CD_DL_THREAD; }
static bool fd_kind(cd_dl_kind k) { return k == CD_DL_PIPE || k == CD_DL_EVENTFD || k == CD_DL_SOCKET || k == CD_DL_FD; }

static void reset_verdict(cd_dl_result *r)
{
    for (size_t i = 0; i < r->ncycles; i++)
        free(r->cycles[i].waits);
    free(r->cycles);
    free(r->findings);
    r->cycles = NULL;
    r->findings = NULL;
    r->ncycles = r->nfindings = 0;
}

static int find_wait(const cd_dl_result *r, pid_t tid)
{
    for (size_t i = 0; i < r->nwaits; i++)
        if (r->waits[i].tid == tid)
            return (int)i;
    return -1;
}

static bool thread_exists(cd_target *t, pid_t tid)
{
    cd_thread *th = cd_target_find_thread(t, tid);
    return th && !th->gone;
}

/* A thread of any process on the system (/proc/TID exists for every thread, listed or not). */
static bool system_thread_exists(pid_t tid)
{
    char path[32];
    snprintf(path, sizeof path, "/proc/%d", (int)tid);
    return access(path, F_OK) == 0;
}

/* Draws edges from owners and marks owners that are not threads of the process. A thread that
 * appeared after the listing is looked for once more before its lock is called orphaned. */
static void link_owners(cd_target *t, cd_dl_result *r)
{
    bool refreshed = false;
    for (size_t i = 0; i < r->nwaits; i++) {
        cd_dl_wait *w = &r->waits[i];
        w->next = -1;
        w->owner_gone = w->owner_foreign = false;
        w->owner_name[0] = 0;
        if (!edge_kind(w->kind) || w->owner <= 0)
            continue;
        cd_thread *oth = cd_target_find_thread(t, w->owner);
        if (oth) {
            cd_target_describe_thread(t, oth);
            snprintf(w->owner_name, sizeof w->owner_name, "%s", oth->name);
        }
        w->next = find_wait(r, w->owner);
        if (w->next >= 0)
            continue;
        if (!thread_exists(t, w->owner) && is_live(t) && !refreshed) {
            cd_err e;
            refreshed = true;
            (void)t->ops->refresh_threads(t, &e);
        }
        w->owner_gone = !thread_exists(t, w->owner);
        /* A process-shared lock may be held by another process: live, that owner is looked up
         * system-wide; in a core there is no way to know, so it is never called orphaned. */
        if (w->owner_gone && w->pshared && (!is_live(t) || system_thread_exists(w->owner))) {
            w->owner_gone = false;
            w->owner_foreign = true;
        }
    }
}

/* Skips frames inside the C library and the dynamic loader: the user wants their own code. */
bool cd_dl_runtime_module(const char *m)
{
    return m && (strncmp(m, "libc.so", 7) == 0 || strncmp(m, "libc-", 5) == 0 || strncmp(m, "ld-linux", 8) == 0 ||
                 strncmp(m, "libpthread", 10) == 0 || strncmp(m, "ld-2.", 5) == 0);
}

/* glibc's lock, condvar and join waits issue futex(2) from its own code; a wait issued through the
 * generic syscall() wrapper or from the program's own code is a futex the program manages itself,
 * whatever the words around it look like. The C library's code is found by module name. */
static bool futex_from_glibc(cd_symtab *sym, uint64_t pc)
{
    if (!sym)
        return true;
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(sym, pc ? pc - 1 : 0, &pi);
    if (n < 1)
        return false;
    const cd_pcinfo *outer = &pi[n - 1];
    if (!cd_dl_runtime_module(outer->module))
        return false;
    return !outer->func || strcmp(outer->func, "syscall") != 0;
}

/* poll(2) interrupted by a ptrace stop (an earlier look at the process) goes on as
 * restart_syscall with poll's arguments still in their registers: which call it was is told by
 * the C library function the thread is in. */
static void unrestart(cd_symtab *sym, cd_syscall_state *sc)
{
    if (!sym || sc->kind != CD_SC_BLOCKED || sc->nr != SYS_RESTART_SYSCALL_)
        return;
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(sym, sc->pc ? sc->pc - 1 : 0, &pi);
    const char *f = n >= 1 && cd_dl_runtime_module(pi[n - 1].module) ? pi[n - 1].func : NULL;
    if (!f)
        return;
    if (strstr(f, "ppoll"))
        sc->nr = 271;
    else if (strstr(f, "poll") && !strstr(f, "epoll"))
        sc->nr = 7;
}

static void gather(cd_dl_state *st, cd_target *t, cd_symtab *sym, cd_dl_result *r, snap **snaps_out)
{
    snap *snaps = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *snaps);
    r->waits = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *r->waits);
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        cd_syscall_state sc;
        cd_err e;
        if (th->gone || t->ops->syscall_state(t, th, &sc, &e) != 0)
            continue;
        cd_dl_wait w = {.tid = th->tid, .cycle = -1, .next = -1};
        cd_target_describe_thread(t, th);
        snprintf(w.name, sizeof w.name, "%s", th->name);
        cd_dl_classify(st, t, &sc, &w);
        cd_syscall_state fsc = sc;
        unrestart(sym, &fsc);
        if (w.kind == CD_DL_NONE && !cd_dl_classify_fd(st, t, &fsc, &w))
            continue;
        if (w.kind == CD_DL_NONE)
            continue;
        if (!fd_kind(w.kind) && w.kind != CD_DL_FUTEX && !futex_from_glibc(sym, sc.pc)) {
            w.kind = CD_DL_FUTEX;
            w.owner = 0;
            w.pi_deadend = false;
            w.by_readers = false;
        }
        snaps[r->nwaits].sc = sc;
        snaps[r->nwaits].runs = edge_kind(w.kind) && is_live(t) ? sched_runs(t, th->tid) : ~0ULL;
        r->waits[r->nwaits++] = w;
    }
    *snaps_out = snaps;
}

static bool in_verdict(const cd_dl_result *r, size_t i, bool *mark)
{
    (void)r;
    return mark[i];
}

static bool *verdict_marks(const cd_dl_result *r)
{
    bool *mark = cd_xcalloc(r->nwaits ? r->nwaits : 1, sizeof *mark);
    for (size_t c = 0; c < r->ncycles; c++)
        for (size_t k = 0; k < r->cycles[c].n; k++)
            mark[r->cycles[c].waits[k]] = true;
    for (size_t f = 0; f < r->nfindings; f++)
        mark[r->findings[f].wait] = true;
    /* An owner named in a finding is part of the story too (the thread the chain ends at). */
    for (size_t i = 0; i < r->nwaits; i++)
        if (mark[i] && r->waits[i].next >= 0)
            mark[r->waits[i].next] = true;
    return mark;
}

/* Re-reads every wait that takes part in a verdict; a wait that moved (different syscall, word,
 * owner, or the thread ran in between) loses its edge. Returns true if anything moved. */
static bool confirm(cd_dl_state *st, cd_target *t, cd_symtab *sym, cd_dl_result *r, const snap *snaps, int delay_ms)
{
    bool *mark = verdict_marks(r);
    /* Condition, semaphore and read waits are many in an idle server (a thousand workers on one
     * queue) and in a verdict only when every thread is blocked: their timeslice counts are taken
     * only now, for the threads of a verdict, and must not move during the delay. */
    unsigned long long *runs = cd_xcalloc(r->nwaits ? r->nwaits : 1, sizeof *runs);
    for (size_t i = 0; i < r->nwaits; i++)
        runs[i] = snaps[i].runs == ~0ULL && mark[i] && is_live(t) ? sched_runs(t, r->waits[i].tid) : snaps[i].runs;
    if (delay_ms > 0) {
        struct timespec ts = {delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    bool moved = false;
    for (size_t i = 0; i < r->nwaits; i++) {
        if (!in_verdict(r, i, mark))
            continue;
        cd_dl_wait *w = &r->waits[i];
        cd_thread *th = cd_target_find_thread(t, w->tid);
        cd_syscall_state sc;
        cd_err e;
        cd_dl_wait again = {.tid = w->tid};
        bool same = th && !th->gone && t->ops->syscall_state(t, th, &sc, &e) == 0 &&
                    sc.kind == snaps[i].sc.kind && sc.nr == snaps[i].sc.nr && sc.sp == snaps[i].sc.sp &&
                    sc.pc == snaps[i].sc.pc && memcmp(sc.args, snaps[i].sc.args, sizeof sc.args) == 0;
        if (same) {
            cd_dl_classify(st, t, &sc, &again);
            unrestart(sym, &sc);
            if (again.kind == CD_DL_NONE)
                (void)cd_dl_classify_fd(st, t, &sc, &again);
            same = same_wait(w, &again);
        }
        if (same && runs[i] != ~0ULL)
            same = sched_runs(t, w->tid) == runs[i];
        if (!same) {
            moved = true;
            w->kind = CD_DL_FUTEX; /* keep the thread listed, without an edge */
            w->owner = 0;
        }
    }
    free(mark);
    free(runs);
    return moved;
}


static bool toolchain_code(const cd_frame *f)
{
    return cd_dl_toolchain_frame(f->info.func, f->info.file, f->info.module);
}

/* An object named as the program's code names it: by the first frames outside the C library
 * and the toolchain's headers (from USER on), never by a library's parameter names. */
static char *user_frame_name(cd_target *t, cd_symtab *sym, const cd_stack *st, const cd_frame *user, uint64_t addr)
{
    if (!user)
        return NULL;
    size_t from = (size_t)(user - st->frames);
    for (size_t j = from; j < st->n && j < from + 3; j++) {
        const cd_frame *f = &st->frames[j];
        if (cd_dl_runtime_module(f->info.module) || toolchain_code(f))
            continue;
        char *n = cd_dl_frame_name(sym, t, f, addr);
        if (n)
            return n;
    }
    return NULL;
}

static char *frame_text(const cd_frame *f)
{
    const char *func = f->info.func;
    if (f->info.file && f->info.line > 0) {
        const char *base = strrchr(f->info.file, '/');
        return cd_xasprintf("%s at %s:%d", func ? func : "??", base ? base + 1 : f->info.file, f->info.line);
    }
    if (func)
        return f->info.module ? cd_xasprintf("%s in %s", func, f->info.module) : cd_xstrdup(func);
    return cd_xasprintf("0x%" PRIx64 " in %s", f->pc, f->info.module ? f->info.module : "??");
}

static bool is_lock_name(const char *n)
{
    return strncmp(n, "pthread_mutex_lock", 18) == 0 && (n[18] == 0 || n[18] == '@');
}

/* The CFI row [start, end) (the range one unwind rule covers) around pc, in process addresses. */
static bool cfi_range(Dwarf_CFI *cfi, Dwarf_Addr bias, uint64_t pc, uint64_t *start, uint64_t *end)
{
    Dwarf_Frame *fr = NULL;
    Dwarf_Addr s, e;
    if (dwarf_cfi_addrframe(cfi, pc - bias, &fr) != 0)
        return false;
    bool ok = dwarf_frame_info(fr, &s, &e, NULL) >= 0;
    free(fr);
    *start = s + bias;
    *end = e + bias;
    return ok;
}

/* Without libc's .symtab (no libc6-dbg), glibc's internal __pthread_mutex_lock_full has no name:
 * it is recognised as a function that pthread_mutex_lock (a .dynsym name) branches to directly.
 * Its extent is the chain of adjacent CFI rows from the branch target (the rows of one function
 * are contiguous; alignment padding between functions has none). */
static bool in_mutex_lock_code(cd_target *t, cd_symtab *sym, uint64_t pc)
{
    Dwfl_Module *mod = sym ? dwfl_addrmodule(cd_symtab_dwfl(sym), pc) : NULL;
    if (!mod)
        return false;
    GElf_Addr lock = 0;
    GElf_Xword size = 0;
    int nsyms = dwfl_module_getsymtab(mod);
    for (int i = 1; i < nsyms && !lock; i++) {
        GElf_Sym s;
        GElf_Addr a;
        const char *n = dwfl_module_getsym_info(mod, i, &s, &a, NULL, NULL, NULL);
        if (n && s.st_shndx != SHN_UNDEF && GELF_ST_TYPE(s.st_info) == STT_FUNC && is_lock_name(n)) {
            lock = a;
            size = s.st_size;
        }
    }
    if (!lock || size == 0)
        return false;
    if (pc >= lock && pc < lock + size)
        return true;
    Dwarf_Addr bias;
    Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
    unsigned char code[1024];
    ssize_t n = cfi ? cd_target_read(t, lock, code, size < sizeof code ? size : sizeof code) : -1;
    cd_x86 *dx = n > 0 ? cd_x86_new(NULL) : NULL;
    if (!dx)
        return false;
    bool found = false;
    /* the direct branches and calls out of glibc's lock lead to the code that sleeps: is pc in it? */
    for (ssize_t off = 0; off < n && !found;) {
        cd_insn in;
        cd_x86_decode(dx, code + off, (size_t)(n - off), lock + (uint64_t)off, &in);
        off += in.len;
        if (!in.has_target || (in.kind != CD_INSN_CALL && in.kind != CD_INSN_JMP && in.kind != CD_INSN_JCC))
            continue;
        uint64_t target = in.target, s, e;
        if (target >= lock && target < lock + size)
            continue; /* a branch inside pthread_mutex_lock */
        uint64_t first = target;
        for (int step = 0; step < 512 && target - first < 16384 && cfi_range(cfi, bias, target, &s, &e) &&
                           s <= target && e > target;
             step++) {
            if (pc >= s && pc < e) {
                found = true;
                break;
            }
            target = e;
        }
    }
    cd_x86_free(dx);
    return found;
}

/* Whether a stack sleeps inside glibc's mutex lock. *conclusive (if given) is set false when the
 * unwind did not reach the user's code, so the answer is only a guess. */
static bool stack_in_mutex_lock(cd_target *t, cd_symtab *sym, const cd_stack *st, bool *conclusive)
{
    size_t j = 0;
    for (; j < st->n; j++) {
        const cd_frame *f = &st->frames[j];
        if (f->info.module && !cd_dl_runtime_module(f->info.module))
            break; /* past the C library: the user's code is not glibc's lock */
        if (f->info.func && strstr(f->info.func, "mutex_lock"))
            return true;
    }
    if (conclusive)
        *conclusive = j > 0 && j < st->n;
    /* Unnamed (no libc .symtab): the libc frame the user's code called into must be the lock. */
    return j > 0 && j < st->n && in_mutex_lock_code(t, sym, st->frames[j - 1].lookup_pc);
}

/* A PI dead end looks like any wait on a zero word on the thread's own stack (a semaphore or latch
 * there, too). glibc's code is unwound from the syscall line (cd_unwind_syscall: no stop), so
 * those waits are dropped before anything is stopped. Returns true if any was dropped. */
static bool drop_false_pi(cd_target *t, cd_symtab *sym, cd_unwinder *unw, cd_dl_result *r, const snap *snaps)
{
    bool dropped = false;
    for (size_t i = 0; unw && i < r->nwaits; i++) {
        cd_dl_wait *w = &r->waits[i];
        if (!w->pi_deadend)
            continue;
        cd_stack st;
        cd_err e;
        bool conclusive = false;
        if (cd_unwind_syscall(unw, w->tid, &snaps[i].sc, 16, &st, &e) != 0)
            continue;
        if (!stack_in_mutex_lock(t, sym, &st, &conclusive) && conclusive) {
            w->pi_deadend = false;
            w->kind = CD_DL_FUTEX;
            w->owner = 0;
            dropped = true;
        }
        cd_stack_free(&st);
    }
    return dropped;
}

/* Unwinds the threads of the verdict: stops those not already held, unwinds, releases them,
 * and only then does the slower symbol work on the copied stacks. */
static void add_frames(cd_dl_state *st, cd_target *t, cd_symtab *sym, cd_unwinder *unw, cd_dl_result *r)
{
    bool *mark = verdict_marks(r);
    size_t n = 0;
    for (size_t i = 0; i < r->nwaits; i++)
        n += mark[i];
    if (n == 0) {
        free(mark);
        return;
    }
    cd_thread **tostop = cd_xcalloc(n, sizeof *tostop);
    size_t *idx = cd_xcalloc(n, sizeof *idx);
    cd_stack *stacks = cd_xcalloc(n, sizeof *stacks);
    bool *have = cd_xcalloc(n, sizeof *have);
    size_t nstop = 0, k = 0;
    for (size_t i = 0; i < r->nwaits; i++) {
        if (!mark[i])
            continue;
        cd_thread *th = cd_target_find_thread(t, r->waits[i].tid);
        idx[k++] = i;
        if (th && !th->gone && !th->held)
            tostop[nstop++] = th;
    }
    /* Held only long enough to copy the registers: a thread asleep in futex does not touch its
     * stack, so the unwinding itself (the slow part: CFI and DWARF loading) runs after release. */
    uint64_t (*regs)[CD_NDWREGS] = cd_xcalloc(n, sizeof *regs);
    bool *have_regs = cd_xcalloc(n, sizeof *have_regs);
    uint64_t before = t->stopped_ns;
    cd_err e;
    bool stopped = nstop == 0 || cd_target_stop(t, tostop, nstop, &e) == 0;
    if (stopped) {
        for (k = 0; k < n; k++) {
            cd_thread *th = cd_target_find_thread(t, r->waits[idx[k]].tid);
            cd_regs g;
            if (!th || !th->held || t->ops->get_regs(t, th, &g, &e) != 0)
                continue;
            const uint64_t dw[CD_NDWREGS] = {g.rax, g.rdx, g.rcx, g.rbx, g.rsi, g.rdi, g.rbp, g.rsp, g.r8,
                                             g.r9,  g.r10, g.r11, g.r12, g.r13, g.r14, g.r15, g.rip};
            memcpy(regs[k], dw, sizeof dw);
            have_regs[k] = true;
        }
        if (nstop)
            (void)cd_target_resume(t, tostop, nstop, &e);
        r->nstopped = nstop;
    } else {
        r->note = cd_xasprintf("frames not shown: %s", e.msg);
        /* whatever got held must still be released (n == 0 would mean "all": never pass it) */
        cd_err e2;
        (void)cd_target_resume(t, tostop, nstop, &e2);
    }
    r->stopped_ms = (double)(t->stopped_ns - before) / 1e6;
    for (k = 0; k < n; k++)
        if (have_regs[k] &&
            cd_unwind_from_regs(unw, r->waits[idx[k]].tid, regs[k], (1u << CD_NDWREGS) - 1, 64, &stacks[k], &e) == 0)
            have[k] = true;
    /* PI dead ends: confirm from the stack that glibc's mutex lock is what sleeps, and find the
     * wanted mutex among the registers if the stack scan did not. */
    bool regraph = false;
    for (k = 0; k < n; k++) {
        cd_dl_wait *w = &r->waits[idx[k]];
        if (!w->pi_deadend)
            continue;
        bool in_lock = have[k] && stack_in_mutex_lock(t, sym, &stacks[k], NULL);
        if (!in_lock) {
            /* some other zero word on a stack (a semaphore, a latch): not ours to judge */
            w->pi_deadend = false;
            w->kind = CD_DL_FUTEX;
            w->owner = 0;
            regraph = true;
            continue;
        }
        for (size_t j = 0; w->owner == 0 && j <= stacks[k].n; j++) {
            const uint64_t *rv = j == 0 ? regs[k] : stacks[k].frames[j - 1].regs;
            uint32_t valid = j == 0 ? (have_regs[k] ? 0x1ffffu : 0) : stacks[k].frames[j - 1].regs_valid;
            for (unsigned q = 0; q < CD_NDWREGS && w->owner == 0; q++) {
                pid_t o;
                uint32_t lw;
                uint64_t m;
                if ((valid & (1u << q)) && cd_dl_pi_mutex_at(st, t, rv[q], w->tid, &m, &o, &lw)) {
                    w->addr = m;
                    w->owner = o;
                    w->word = lw;
                    regraph = true;
                }
            }
        }
    }
    if (regraph) {
        link_owners(t, r);
        reset_verdict(r);
        cd_dl_verdict(r);
        for (k = 0; k < n; k++) {
            cd_dl_wait *w = &r->waits[idx[k]];
            if (w->kind == CD_DL_MUTEX && !w->symbol)
                w->symbol = cd_dl_global_name(sym, w->addr);
        }
    }
    free(regs);
    free(have_regs);

    for (k = 0; k < n; k++) {
        if (!have[k])
            continue;
        cd_dl_wait *w = &r->waits[idx[k]];
        const cd_stack *st = &stacks[k];
        const cd_frame *user = NULL;
        for (size_t j = 0; j < st->n && !user; j++)
            if (st->frames[j].info.module && !cd_dl_runtime_module(st->frames[j].info.module) &&
                !toolchain_code(&st->frames[j]))
                user = &st->frames[j];
        for (size_t j = 0; j < st->n && !user; j++) /* all of it is toolchain code: its outermost use */
            if (st->frames[j].info.module && !cd_dl_runtime_module(st->frames[j].info.module))
                user = &st->frames[j];
        if (!user && st->n)
            user = &st->frames[0];
        if (user)
            w->frame = frame_text(user);
        /* the mutex pthread_cond_wait released: glibc's own parameter (libc6-dbg's DWARF) */
        for (size_t j = 0; w->kind == CD_DL_CONDVAR && !w->cv_mutex && j < st->n; j++) {
            const cd_frame *f = &st->frames[j];
            if (f->info.func && strstr(f->info.func, "cond_") && cd_dl_runtime_module(f->info.module))
                (void)cd_dl_frame_ptr(sym, t, f, "mutex", &w->cv_mutex);
        }
        if (w->cv_mutex) {
            w->cv_mutex_symbol = cd_dl_global_name(sym, w->cv_mutex);
            if (!w->cv_mutex_symbol)
                w->cv_mutex_symbol = user_frame_name(t, sym, st, user, w->cv_mutex);
            if (!w->cv_mutex_symbol)
                w->cv_mutex_symbol = cd_dl_global_ptr_name(sym, t, w->cv_mutex);
        }
        /* Heap and stack objects: a variable of the waiting frames that is or points at them. */
        bool lockish = w->kind == CD_DL_MUTEX || w->kind == CD_DL_RWLOCK || w->kind == CD_DL_CONDVAR ||
                       w->kind == CD_DL_SEM;
        if (!w->symbol && lockish)
            w->symbol = user_frame_name(t, sym, st, user, w->addr);
        if (!w->symbol && lockish)
            w->symbol = cd_dl_global_ptr_name(sym, t, w->addr);
    }
    for (k = 0; k < n; k++)
        cd_stack_free(&stacks[k]);
    free(stacks);
    free(have);
    free(tostop);
    free(idx);
    free(mark);
}

/* glibc's .symtab (libc6-dbg) names versioned symbols "pthread_mutex_lock@@GLIBC_2.2.5". */
static int has_pthread_cb(Dwfl_Module *mod, void **ud, const char *mname, Dwarf_Addr start, void *arg)
{
    (void)ud;
    (void)mname;
    (void)start;
    bool *found = arg;
    int nsyms = dwfl_module_getsymtab(mod);
    for (int i = 1; i < nsyms; i++) {
        GElf_Sym s;
        GElf_Addr a;
        const char *n = dwfl_module_getsym_info(mod, i, &s, &a, NULL, NULL, NULL);
        if (n && s.st_shndx != SHN_UNDEF && strncmp(n, "pthread_mutex_lock", 18) == 0 && (n[18] == 0 || n[18] == '@')) {
            *found = true;
            return DWARF_CB_ABORT;
        }
    }
    return DWARF_CB_OK;
}

/* A static executable or one without glibc's pthread symbols would make every layout guess
 * above a guess: refuse instead of giving a false verdict. */
static int check_glibc(cd_target *t, cd_symtab *sym, cd_err *err)
{
    const cd_mapping *maps;
    size_t nmaps;
    if (t->ops->mappings(t, &maps, &nmaps, err) != 0)
        return -1;
    bool libc = false;
    for (size_t i = 0; i < nmaps && !libc; i++) {
        const char *p = maps[i].path, *base = p ? strrchr(p, '/') : NULL;
        base = base ? base + 1 : p;
        libc = base && (strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-2.", 7) == 0);
    }
    if (!libc)
        return cd_fail(err, CD_EXIT_CMD,
                       "deadlock analysis of process %d failed: it does not use glibc's shared libc.so.6 "
                       "(statically linked?); lock layouts are only known for glibc's shared library",
                       (int)t->pid);
    uint64_t a;
    bool found = false;
    if (sym && cd_symtab_find_function(sym, "pthread_mutex_lock", &a) != 0)
        dwfl_getmodules(cd_symtab_dwfl(sym), has_pthread_cb, &found, 0);
    else
        found = true;
    if (sym && !found)
        return cd_fail(err, CD_EXIT_CMD,
                       "deadlock analysis of process %d failed: no pthread symbols (pthread_mutex_lock) found; "
                       "the program must use glibc's pthreads",
                       (int)t->pid);
    return 0;
}

/* glibc does not record an rwlock's readers, so a cycle through a reader (it holds the read lock
 * and waits for a lock held by the writer that waits for it) cannot be proven. Do not let "none
 * blocked forever" stand unqualified when a reader could be one of the blocked threads. */
static void readers_note(cd_dl_result *r)
{
    for (size_t i = 0; i < r->nwaits; i++) {
        const cd_dl_wait *w = &r->waits[i];
        if (!w->by_readers || w->cycle >= 0)
            continue;
        cd_buf b = {0};
        size_t n = 0;
        for (size_t j = 0; j < r->nwaits; j++) {
            const cd_dl_wait *o = &r->waits[j];
            if (j == i || !edge_kind(o->kind) || o->timed)
                continue;
            if (n < 5)
                cd_buf_printf(&b, "%s%d", n ? ", " : "", (int)o->tid);
            n++;
        }
        if (n) {
            char *note = cd_xasprintf("thread %d waits for the rwlock at 0x%llx, held by %u reader%s glibc does not "
                                      "name; if %s %s%s (blocked on a lock or a join), this is a deadlock cdbg "
                                      "cannot prove",
                                      (int)w->tid, (unsigned long long)w->addr, w->nreaders, w->nreaders == 1 ? "" : "s",
                                      n == 1 ? "that reader is thread" : "a reader is one of threads", cd_buf_str(&b),
                                      n > 5 ? ", ..." : "");
            if (r->note) {
                char *both = cd_xasprintf("%s\nnote: %s", r->note, note);
                free(r->note);
                free(note);
                r->note = both;
            } else {
                r->note = note;
            }
        }
        cd_buf_free(&b);
        return; /* one note is enough to stop the all-clear from standing alone */
    }
}

/* What a thread outside the blocked set is doing, for "it could still wake it". */
static const char *doing(cd_target *t, pid_t tid, char *buf, size_t n)
{
    cd_thread *th = cd_target_find_thread(t, tid);
    cd_syscall_state sc;
    cd_err e;
    if (!th || th->gone || t->ops->syscall_state(t, th, &sc, &e) != 0 || sc.kind == CD_SC_UNKNOWN)
        return "in a state cdbg cannot read";
    if (sc.kind == CD_SC_RUNNING)
        return "running";
    static const struct { long nr; const char *name; } calls[] = {
        {0, "read"}, {7, "poll"}, {23, "select"}, {34, "pause"}, {35, "nanosleep"}, {61, "wait4"},
        {202, "futex"}, {219, "restart_syscall"}, {230, "clock_nanosleep"}, {232, "epoll_wait"},
        {270, "pselect6"}, {271, "ppoll"}, {281, "epoll_pwait"},
    };
    const char *name = NULL;
    for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
        if (calls[i].nr == sc.nr)
            name = calls[i].name;
    if (name)
        snprintf(buf, n, "in %s%s", name, sc.nr == 35 || sc.nr == 230 ? ", a timed sleep" : "");
    else
        snprintf(buf, n, "in system call %ld", sc.nr);
    return buf;
}

/* A core records registers and memory, not the kernel's fd tables. */
static void core_fd_note(cd_dl_result *r)
{
    if (r->live)
        return;
    for (size_t i = 0; i < r->nwaits; i++) {
        const cd_dl_wait *w = &r->waits[i];
        if (w->kind != CD_DL_FD)
            continue;
        char *note = w->fd >= 0 ? cd_xasprintf("thread %d \"%s\" blocks in %s(2) on fd %d; a core does not record what fd %d "
                                               "was or which threads or processes could write to it, so no wait on it is proven",
                                               (int)w->tid, w->name, w->fd_call ? w->fd_call : "read", w->fd, w->fd)
                                : cd_xasprintf("thread %d \"%s\" blocks in %s(2); a core does not record which fds it waits "
                                               "on or who could write to them, so no wait on them is proven",
                                               (int)w->tid, w->name, w->fd_call ? w->fd_call : "read");
        if (r->note) {
            char *both = cd_xasprintf("%s\nnote: %s", r->note, note);
            free(r->note);
            free(note);
            note = both;
        }
        r->note = note;
    }
}

static void add_warning(cd_dl_result *r, char *w)
{
    r->warnings = cd_xrealloc(r->warnings, (r->nwarnings + 1) * sizeof *r->warnings);
    r->warnings[r->nwarnings++] = w;
}

/* A condition variable or semaphore waiter that holds a lock another thread waits for, while some
 * thread could still wake it: the shape of the hang, not (yet) a proof. */
static void wake_warnings(cd_target *t, cd_dl_result *r)
{
    for (size_t i = 0; i < r->nwaits; i++) {
        const cd_dl_wait *w = &r->waits[i];
        bool fdw = w->kind == CD_DL_PIPE || w->kind == CD_DL_EVENTFD || w->kind == CD_DL_SOCKET;
        if ((w->kind != CD_DL_CONDVAR && w->kind != CD_DL_SEM && !fdw) || w->forever)
            continue;
        const cd_dl_wait *needer = NULL;
        for (size_t j = 0; j < r->nwaits && !needer; j++)
            if (j != i && edge_kind(r->waits[j].kind) && r->waits[j].kind != CD_DL_THREAD && r->waits[j].owner == w->tid)
                needer = &r->waits[j];
        if (!needer)
            continue;
        /* the first thread that is not blocked forever, other than the waiter */
        const cd_thread *waker = NULL;
        const cd_dl_wait *wk = NULL;
        /* first one that is free (running, sleeping, timed), then one waiting on something it may get */
        for (size_t k = 0; k < 2 * t->nthreads && !waker; k++) {
            const cd_thread *th = t->threads[k % t->nthreads];
            if (th->gone || th->tid == w->tid)
                continue;
            int j = find_wait(r, th->tid);
            bool free_now = j < 0 || r->waits[j].timed || r->waits[j].kind == CD_DL_FUTEX;
            if ((j < 0 || !r->waits[j].forever) && (free_now || k >= t->nthreads)) {
                waker = th;
                wk = j >= 0 ? &r->waits[j] : NULL;
            }
        }
        /* "condvar q_cv", "pipe:[123] (poll on fd 3)": the object as the rest of the report names it */
        char obj[160], held[160], buf[64];
        if (w->kind == CD_DL_PIPE)
            snprintf(obj, sizeof obj, "pipe:[%" PRIu64 "] (%s on fd %d)", w->addr, w->fd_call ? w->fd_call : "read", w->fd);
        else if (w->kind == CD_DL_EVENTFD)
            snprintf(obj, sizeof obj, "eventfd (%s on fd %d)", w->fd_call ? w->fd_call : "read", w->fd);
        else if (w->kind == CD_DL_SOCKET)
            snprintf(obj, sizeof obj, "%s:[%" PRIu64 "] (%s on fd %d)", w->sock_pair ? "socketpair" : "socket", w->addr,
                     w->fd_call ? w->fd_call : "read", w->fd);
        else
            snprintf(obj, sizeof obj, "%s %s", cd_dl_kind_name(w->kind), w->symbol ? w->symbol : "(unnamed)");
        snprintf(held, sizeof held, "%s %s, which thread %d \"%s\" waits for", cd_dl_kind_name(needer->kind),
                 needer->symbol ? needer->symbol : "(unnamed)", (int)needer->tid, needer->name);
        char why[400];
        if (w->timed) {
            snprintf(why, sizeof why, "its wait has a timeout");
        } else if (fdw && w->fd_why[0]) {
            snprintf(why, sizeof why, "%s", w->fd_why);
        } else if (fdw && w->fd_other_pid) {
            snprintf(why, sizeof why, "process %d holds a writable end%s", (int)w->fd_other_pid,
                     w->kind == CD_DL_SOCKET ? " (the other end of the socketpair)" : "");
        } else if (fdw && w->fd_sockets) {
            snprintf(why, sizeof why, "the process holds a socket, over which an end may be in flight");
        } else if (fdw && w->fd_mixed) {
            snprintf(why, sizeof why, "it also waits on fds that are not pipes or eventfds only this process writes");
        } else {
            const char *what = !waker ? "" : wk && wk->timed ? "in a timed wait"
                             : wk && wk->kind == CD_DL_FUTEX ? "in a futex wait cdbg does not understand"
                                                              : doing(t, waker->tid, buf, sizeof buf);
            snprintf(why, sizeof why, "thread %d \"%s\" (%s) could still %s it", waker ? (int)waker->tid : 0,
                     waker ? waker->name : "", what, w->kind == CD_DL_SEM ? "post" : fdw ? "write" : "signal");
        }
        add_warning(r, cd_xasprintf("thread %d \"%s\" waits on %s while it holds %s; not proven a deadlock: %s",
                                    (int)w->tid, w->name, obj, held, why));
    }
}

int cd_deadlock_analyze(cd_target *t, cd_symtab *sym, cd_unwinder *unw, const cd_dl_options *opt,
                        cd_dl_result *out, cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (check_glibc(t, sym, err) != 0)
        return -1;
    if (is_live(t) && !(opt && opt->no_refresh) && t->ops->refresh_threads(t, err) != 0)
        return -1;
    int delay = opt && opt->confirm_ms >= 0 ? opt->confirm_ms : DEFAULT_CONFIRM_MS;
    snap *snaps;
    cd_dl_state *st = cd_dl_state_new();
    gather(st, t, sym, out, &snaps);
    out->nthreads = t->nthreads;
    for (size_t i = 0; i < t->nthreads; i++)
        out->nlive += !t->threads[i]->gone;
    out->pid = t->pid;
    out->live = is_live(t);
    link_owners(t, out);
    cd_dl_verdict(out);
    if (cd_dl_found(out) && drop_false_pi(t, sym, unw, out, snaps)) {
        link_owners(t, out);
        reset_verdict(out);
        cd_dl_verdict(out);
    }
    if (is_live(t) && cd_dl_found(out) && confirm(st, t, sym, out, snaps, delay)) {
        link_owners(t, out);
        reset_verdict(out);
        cd_dl_verdict(out);
    }
    free(snaps);

    /* Names of every lock that is waited for, not only those in findings: `locks` shows all. An
     * unrecognised futex is named too (its addr is the word): where it is says what it may be. */
    for (size_t i = 0; i < out->nwaits; i++) {
        cd_dl_wait *w = &out->waits[i];
        if (w->kind != CD_DL_MUTEX && w->kind != CD_DL_RWLOCK && w->kind != CD_DL_CONDVAR && w->kind != CD_DL_FUTEX &&
            w->kind != CD_DL_SEM)
            continue;
        uint64_t a = w->kind == CD_DL_FUTEX ? w->futex : w->addr;
        for (size_t j = 0; j < i; j++)
            if (out->waits[j].kind == w->kind && (w->kind == CD_DL_FUTEX ? out->waits[j].futex : out->waits[j].addr) == a) {
                w->symbol = out->waits[j].symbol ? cd_xstrdup(out->waits[j].symbol) : NULL;
                goto named;
            }
        w->symbol = cd_dl_global_name(sym, a);
    named:;
    }
    if (unw && !(opt && opt->no_frames))
        add_frames(st, t, sym, unw, out);
    readers_note(out);
    core_fd_note(out);
    wake_warnings(t, out);
    /* the PID namespace's numbers, for the report (the state ends with the analysis) */
    for (size_t i = 0; i < out->nwaits; i++) {
        out->waits[i].ns_tid = cd_dl_ns_tid(st, out->waits[i].tid);
        out->waits[i].owner_ns_tid = out->waits[i].owner > 0 ? cd_dl_ns_tid(st, out->waits[i].owner) : 0;
    }
    cd_dl_state_free(st);
    return 0;
}

void cd_dl_result_free(cd_dl_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nwaits; i++) {
        free(r->waits[i].symbol);
        free(r->waits[i].frame);
        free(r->waits[i].cv_mutex_symbol);
    }
    for (size_t i = 0; i < r->nwarnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r->waits);
    reset_verdict(r);
    free(r->note);
    memset(r, 0, sizeof *r);
}
