/* What a thread sleeping in futex(2) waits for, read from memory only (no stop).
 *
 * glibc 2.36 x86-64 layouts (checked with `ptype/o` against libc6-dbg, see docs/json.md):
 *   pthread_mutex_t / mtx_t: __lock 0, __count 4, __owner 8 (TID), __nusers 12, __kind 16. The
 *     futex word is the mutex itself; a plain waiter sleeps with value 2; robust waiters with
 *     TID|FUTEX_WAITERS; PI waiters use FUTEX_LOCK_PI and the word holds the owner TID.
 *   pthread_rwlock_t: __readers 0, __writers 4, __wrphase_futex 8, __writers_futex 12, __pad3 16,
 *     __pad4 20, __cur_writer 24 (TID), __shared 28, __rwelision 32, __pad1 33..39, __pad2 40,
 *     __flags 48. Waiters sleep on __readers, __wrphase_futex or __writers_futex.
 *   struct pthread: header.tcb 0 and header.self 16 point to the struct itself; tid at 720.
 *     pthread_join sleeps on the joined thread's tid word while it holds that TID.
 *   pthread_cond_t: waiters sleep on __g_signals[0|1] at 40/44; __wrefs at 36 counts them << 3.
 *   sem_t (struct new_sem): data 0 (value in the low 32 bits, waiters in the high 32), private 8
 *     (LLL_PRIVATE 0, or LLL_SHARED 128 when process-shared), pad 12. Waiters sleep on the value
 *     word with the expected value 0; the futex op's FUTEX_PRIVATE_FLAG is `private ^ 128`. */
#include "deadlock/deadlock.h"
#include "deadlock/state.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "target/procfs.h"

enum {
    FUTEX_WAIT_ = 0,
    FUTEX_LOCK_PI_ = 6,
    FUTEX_WAIT_BITSET_ = 9,
    FUTEX_WAIT_REQUEUE_PI_ = 11,
    FUTEX_LOCK_PI2_ = 13,
    FUTEX_CMD_MASK_ = 0x7f, /* strips FUTEX_PRIVATE_FLAG (128); CLOCK_REALTIME (256) is above */
};
#define SYS_FUTEX 202
#define SYS_RESTART_SYSCALL 219
#define TID_MASK 0x3fffffffu
#define FUTEX_WAITERS_ 0x80000000u

#define MUTEX_KIND_ROBUST 0x10
#define MUTEX_KIND_PI 0x20
#define MUTEX_KIND_PP 0x40
#define MUTEX_KIND_PSHARED 0x80
/* kind bits glibc uses: type (3), robust, PI, PP, pshared (128), elision (256, 512). */
#define MUTEX_KIND_KNOWN 0x3ff

#define PD_TID_OFF 720
#define PD_SELF_OFF 16

#define RW_WRLOCKED 2u
#define RW_RWAITING 4u
#define RW_READER_SHIFT 3
#define RW_FUTEX_USED 2u

static inline uint32_t u32_at(const unsigned char *b, size_t off)
{
    uint32_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

static inline uint64_t u64_at(const unsigned char *b, size_t off)
{
    uint64_t v;
    memcpy(&v, b + off, sizeof v);
    return v;
}

/* Memory around the futex word, read once: the mutex, rwlock and condvar checks below all look
 * within [word-48, word+56), and 1000 waiters should cost 1000 reads, not 6000. */
typedef struct window {
    cd_target *t;
    uint64_t start;
    size_t len;
    unsigned char b[104];
} window;

static void window_fill(window *w, cd_target *t, uint64_t u)
{
    w->t = t;
    w->start = u >= 48 ? u - 48 : 0;
    ssize_t n = cd_target_read(t, w->start, w->b, sizeof w->b);
    if (n < 0) { /* the bytes before the word may be unmapped: start at the word */
        w->start = u;
        n = cd_target_read(t, u, w->b, 56);
    }
    w->len = n > 0 ? (size_t)n : 0;
}

static int window_read(const window *w, uint64_t addr, void *out, size_t len)
{
    if (addr >= w->start && addr + len <= w->start + w->len) {
        memcpy(out, w->b + (addr - w->start), len);
        return 0;
    }
    return cd_target_read_full(w->t, addr, out, len);
}

static bool mutex_kind_ok(int32_t kind)
{
    return kind >= 0 && (kind & ~MUTEX_KIND_KNOWN) == 0;
}

/* ---- PID namespaces ----
 * A process in its own PID namespace (any container) sees its threads as 1, 2, 3...: those are
 * the TIDs glibc writes into lock owners and struct pthread, while /proc, ptrace and the thread
 * list use ours. Every TID read from the target's memory goes through this map. Live, it is built
 * from each task's NSpid line, and rebuilt once when a TID is not in it (a thread created since).
 * A core records the TIDs of whoever wrote it: the kernel writes the process's own, a gcore run
 * from the host the host's; each thread's struct pthread (at its fs_base) holds the one the
 * process saw, so the map is read from there. */
cd_dl_state *cd_dl_state_new(void)
{
    return cd_xcalloc(1, sizeof(cd_dl_state));
}

void cd_dl_state_free(cd_dl_state *st)
{
    if (!st)
        return;
    free(st->ns.host);
    free(st->ns.ns);
    cd_dl_fdscan_free(st->fd);
    free(st);
}

static void nsmap_reset(struct cd_dl_nsmap *m, const cd_target *t, size_t cap)
{
    free(m->host);
    free(m->ns);
    m->host = cd_xcalloc(cap ? cap : 1, sizeof *m->host);
    m->ns = cd_xcalloc(cap ? cap : 1, sizeof *m->ns);
    m->n = 0;
    m->t = t;
    m->pid = t->pid;
    m->other = false;
}

static void nsmap_build_live(struct cd_dl_nsmap *m, cd_target *t)
{
    nsmap_reset(m, t, 0);
    pid_t *tids;
    size_t n;
    if (!cd_procfs_other_pidns(t->pid) || cd_procfs_list_tasks(t->pid, &tids, &n) != 0)
        return;
    nsmap_reset(m, t, n);
    m->other = true;
    for (size_t i = 0; i < n; i++) {
        pid_t v = cd_procfs_read_ns_tid(t->pid, tids[i]);
        if (v > 0) {
            m->host[m->n] = tids[i];
            m->ns[m->n++] = v;
        }
    }
    free(tids);
}

static void nsmap_build_core(struct cd_dl_nsmap *m, cd_target *t)
{
    nsmap_reset(m, t, t->nthreads);
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        cd_regs r;
        cd_err err;
        if (th->regs_valid)
            r = th->regs;
        else if (!t->ops->get_regs || t->ops->get_regs(t, th, &r, &err) != 0)
            continue;
        /* struct pthread: header.tcb (0) and header.self (16) point at it, as try_join checks */
        uint64_t pd = r.fs_base, hdr[3];
        uint32_t tid;
        if (!pd || cd_target_read_full(t, pd, hdr, sizeof hdr) != 0 || hdr[0] != pd || hdr[2] != pd ||
            cd_target_read_full(t, pd + PD_TID_OFF, &tid, sizeof tid) != 0 || tid == 0 || tid > TID_MASK)
            continue;
        m->host[m->n] = th->tid;
        m->ns[m->n++] = (pid_t)tid;
        if ((pid_t)tid != th->tid)
            m->other = true;
    }
}

/* Looks TID up in the map (by its host or its namespace number); 0 if absent. */
static pid_t nsmap_find(const struct cd_dl_nsmap *m, pid_t tid, bool from_ns)
{
    for (size_t i = 0; i < m->n; i++)
        if ((from_ns ? m->ns : m->host)[i] == tid)
            return (from_ns ? m->host : m->ns)[i];
    return 0;
}

pid_t cd_dl_host_tid(cd_dl_state *st, cd_target *t, pid_t ns_tid)
{
    struct cd_dl_nsmap *m = &st->ns;
    if (ns_tid <= 0)
        return ns_tid;
    bool live = t->caps.has_proc;
    if (m->t != t || m->pid != t->pid)
        live ? nsmap_build_live(m, t) : nsmap_build_core(m, t);
    if (!m->other)
        return ns_tid;
    pid_t h = nsmap_find(m, ns_tid, true);
    if (!h && live) {
        nsmap_build_live(m, t);
        h = nsmap_find(m, ns_tid, true);
    }
    /* not a thread of the process (any more): the number it saw, which is all there is */
    return h ? h : ns_tid;
}

pid_t cd_dl_ns_tid(const cd_dl_state *st, pid_t host_tid)
{
    const struct cd_dl_nsmap *m = &st->ns;
    return m->other ? nsmap_find(m, host_tid, false) : 0;
}

/* A pthread_rwlock_t at r whose futex word at r+off holds val. Padding must be zero: that is
 * what tells the three possible bases apart. */
static bool try_rwlock(const window *win, uint64_t r, unsigned off, uint32_t val, cd_dl_wait *w)
{
    unsigned char b[56];
    if (window_read(win, r, b, sizeof b) != 0)
        return false;
    uint32_t readers = u32_at(b, 0), pad3 = u32_at(b, 16), pad4 = u32_at(b, 20);
    int32_t cur_writer = (int32_t)u32_at(b, 24), shared = (int32_t)u32_at(b, 28);
    uint32_t flags = u32_at(b, 48);
    if (pad3 || pad4 || u64_at(b, 40) || flags > 2 || (shared != 0 && shared != 1) || cur_writer < 0)
        return false;
    for (int i = 33; i < 40; i++)
        if (b[i])
            return false;
    switch (off) {
    case 12: /* a writer waits for the writer lock: always 1 | FUTEX_USED */
        if (val != (1u | RW_FUTEX_USED))
            return false;
        break;
    case 8: /* waiting for the write phase to start or end: (0|1) | FUTEX_USED */
        if ((val & ~3u) != 0 || !(val & RW_FUTEX_USED))
            return false;
        break;
    case 0: /* a reader waits on __readers with RWAITING set */
        if (!(val & RW_RWAITING))
            return false;
        break;
    default:
        return false;
    }
    w->kind = CD_DL_RWLOCK;
    w->addr = r;
    w->pshared = shared != 0;
    if ((readers & RW_WRLOCKED) && cur_writer > 0) {
        w->owner = cur_writer;
    } else {
        w->nreaders = readers >> RW_READER_SHIFT;
        w->by_readers = w->nreaders > 0;
    }
    return true;
}

/* The joined thread's struct pthread: its tid word, with header.tcb and header.self pointing
 * back at the struct. */
static bool try_join(cd_target *t, uint64_t u, uint32_t val, cd_dl_wait *w)
{
    if (val == 0 || val > TID_MASK || u < PD_TID_OFF)
        return false;
    uint64_t pd = u - PD_TID_OFF;
    unsigned char b[24];
    if (cd_target_read_full(t, pd, b, sizeof b) != 0)
        return false;
    if (u64_at(b, 0) != pd || u64_at(b, PD_SELF_OFF) != pd)
        return false;
    w->kind = CD_DL_THREAD;
    w->addr = pd;
    w->owner = (pid_t)val;
    return true;
}

/* A pthread_cond_t waiter: glibc 2.36 sleeps on __g_signals[g] (40 + 4g) with the expected value
 * 0, after adding 2 to __g_refs[g] (16 + 4g), and __wrefs (36) counts waiters << 3. All three must
 * hold: any word whose neighbours happen to be non-zero (a corrupted rwlock next to a condvar) is
 * otherwise reported as a wait on a condition variable it has nothing to do with. */
static bool try_condvar(const window *win, uint64_t u, uint32_t val, cd_dl_wait *w)
{
    if (val != 0)
        return false;
    for (unsigned g = 0; g < 2; g++) {
        uint64_t c = u - 40 - 4 * g;
        unsigned char b[48];
        if (u < 44 || window_read(win, c, b, sizeof b) != 0)
            continue;
        if ((u32_at(b, 36) >> 3) == 0 || u32_at(b, 16 + 4 * g) < 2)
            continue;
        w->kind = CD_DL_CONDVAR;
        w->addr = c;
        return true;
    }
    return false;
}

/* A sem_wait: the word is the value (0), the waiter count above it counts this thread, and the
 * futex call's private flag is the one the semaphore records. */
static bool try_sem(const window *win, const cd_syscall_state *sc, uint64_t u, uint32_t val, cd_dl_wait *w)
{
    unsigned char b[16];
    if (val != 0 || (u & 7) || window_read(win, u, b, sizeof b) != 0)
        return false;
    uint32_t value = u32_at(b, 0), nwaiters = u32_at(b, 4), priv = u32_at(b, 8), pad = u32_at(b, 12);
    if (value != 0 || nwaiters == 0 || nwaiters > TID_MASK || pad != 0 || (priv != 0 && priv != 128) ||
        (uint32_t)(sc->args[1] & 128) != (priv ^ 128))
        return false;
    w->kind = CD_DL_SEM;
    w->addr = u;
    w->pshared = priv != 0;
    w->sem_value = value;
    w->sem_waiters = nwaiters;
    return true;
}

static bool pi_mutex_exactly_at(cd_dl_state *st, cd_target *t, uint64_t p, pid_t self, pid_t *owner, uint32_t *word)
{
    unsigned char m[24];
    if (p < 0x10000 || (p & 7) || cd_target_read_full(t, p, m, sizeof m) != 0)
        return false;
    uint32_t lock = u32_at(m, 0);
    int32_t own = (int32_t)u32_at(m, 8), kind = (int32_t)u32_at(m, 16);
    if (!mutex_kind_ok(kind) || !(kind & MUTEX_KIND_PI) || (kind & MUTEX_KIND_PP))
        return false;
    pid_t o = (pid_t)(lock & TID_MASK);
    if (o == 0 || o != own)
        return false;
    o = cd_dl_host_tid(st, t, o);
    if (o == self)
        return false;
    *owner = o;
    *word = lock;
    return true;
}

bool cd_dl_pi_mutex_at(cd_dl_state *st, cd_target *t, uint64_t p, pid_t self, uint64_t *base, pid_t *owner, uint32_t *word)
{
    if (p & 3)
        return false;
    /* pthread_mutex_t is 40 bytes, 8-aligned; the checks (PI kind bits, the owner TID in both the
     * word and __owner) make a match by chance vanishingly unlikely at any of these offsets */
    for (uint64_t off = p & 7; off < 40; off += 8) {
        if (p < off)
            break;
        if (pi_mutex_exactly_at(st, t, p - off, self, owner, word)) {
            *base = p - off;
            return true;
        }
    }
    return false;
}

/* glibc answers EDEADLK from FUTEX_LOCK_PI (the kernel saw the cycle) by sleeping forever on a
 * zero word on its own stack. The mutex it wanted may still be referenced from that stack
 * (spills); if not, it is in a register, which the caller reads once the thread is held. */
static bool try_pi_deadend(cd_dl_state *st, cd_target *t, const cd_syscall_state *sc, uint64_t u, uint32_t val,
                           uint32_t word, cd_dl_wait *w)
{
    if (val != 0 || word != 0 || u < sc->sp || u >= sc->sp + 1024)
        return false;
    w->kind = CD_DL_MUTEX;
    w->pi_deadend = true;
    unsigned char stk[512];
    ssize_t n = cd_target_read(t, sc->sp, stk, sizeof stk);
    for (ssize_t i = 0; i + 8 <= n; i += 8) {
        uint64_t p = u64_at(stk, (size_t)i);
        pid_t o;
        uint32_t lw;
        uint64_t m;
        if (p != u && cd_dl_pi_mutex_at(st, t, p, w->tid, &m, &o, &lw)) {
            w->addr = w->futex = m;
            w->word = lw;
            w->owner = o;
            break;
        }
    }
    return true;
}

/* A timed futex wait (its 4th argument points to a timespec): how long until it gives up. Relative
 * for FUTEX_WAIT (from when the call started, so "at most"), absolute otherwise, on CLOCK_REALTIME
 * when FUTEX_CLOCK_REALTIME is set or for FUTEX_LOCK_PI, else CLOCK_MONOTONIC. Only a live
 * process has a "now" to measure from. */
static void timeout_of(cd_target *t, const cd_syscall_state *sc, unsigned op, cd_dl_wait *w)
{
    if (!sc->args[3])
        return;
    w->timed = true;
    if (!t->caps.has_proc)
        return;
    int64_t ts[2];
    if (cd_target_read_full(t, sc->args[3], ts, sizeof ts) != 0 || ts[1] < 0 || ts[1] >= 1000000000)
        return;
    double when = (double)ts[0] + (double)ts[1] / 1e9;
    if (op == FUTEX_WAIT_) {
        w->timeout_s = when;
    } else {
        bool realtime = (sc->args[1] & 256) || op == FUTEX_LOCK_PI_;
        struct timespec now;
        clock_gettime(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &now);
        w->timeout_s = when - ((double)now.tv_sec + (double)now.tv_nsec / 1e9);
        if (w->timeout_s < 0)
            w->timeout_s = 0;
    }
    w->timeout_known = true;
}

static void classify(cd_dl_state *st, cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w);

void cd_dl_classify(cd_dl_state *st, cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w)
{
    classify(st, t, sc, w);
    /* a process-shared condition variable sleeps on a shared futex (no FUTEX_PRIVATE_FLAG): a
     * thread of another process may signal it, so it is never proven to wait forever */
    if (w->kind == CD_DL_CONDVAR && !(sc->args[1] & 128))
        w->pshared = true;
    /* a PI dead end's owner came through cd_dl_pi_mutex_at, already translated */
    if (w->owner > 0 && !w->pi_deadend)
        w->owner = cd_dl_host_tid(st, t, w->owner);
}

static void classify(cd_dl_state *st, cd_target *t, const cd_syscall_state *sc, cd_dl_wait *w)
{
    w->kind = CD_DL_NONE;
    w->owner = 0;
    w->by_readers = w->pi_deadend = w->pshared = w->timed = w->timeout_known = false;
    w->timeout_s = 0;
    w->nreaders = 0;
    w->sem_value = w->sem_waiters = 0;
    /* A timed futex wait interrupted by a ptrace stop (someone looked at it before) continues as
     * restart_syscall; the argument registers still hold the futex call's. */
    if (sc->kind != CD_SC_BLOCKED || (sc->nr != SYS_FUTEX && sc->nr != SYS_RESTART_SYSCALL))
        return;
    unsigned op = (unsigned)sc->args[1] & FUTEX_CMD_MASK_;
    if (op != FUTEX_WAIT_ && op != FUTEX_WAIT_BITSET_ && op != FUTEX_LOCK_PI_ && op != FUTEX_LOCK_PI2_ &&
        op != FUTEX_WAIT_REQUEUE_PI_)
        return;
    uint64_t u = sc->args[0];
    uint32_t val = (uint32_t)sc->args[2];
    timeout_of(t, sc, op, w);
    w->kind = CD_DL_FUTEX;
    w->addr = w->futex = u;
    window win;
    window_fill(&win, t, u);
    uint32_t word;
    if (window_read(&win, u, &word, sizeof word) != 0)
        return;
    w->word = word;

    if (op == FUTEX_LOCK_PI_ || op == FUTEX_LOCK_PI2_) {
        /* The kernel queues PI waiters itself; the word is owner TID | FUTEX_WAITERS. */
        w->kind = CD_DL_MUTEX;
        w->owner = (pid_t)(word & TID_MASK);
        int32_t kind;
        w->pshared = window_read(&win, u + 16, &kind, sizeof kind) == 0 && mutex_kind_ok(kind) &&
                     (kind & MUTEX_KIND_PSHARED);
        return;
    }
    if (op == FUTEX_WAIT_REQUEUE_PI_) {
        w->kind = CD_DL_CONDVAR;
        return;
    }
    if (word != val) {
        /* The word moved since the thread went to sleep: it is being woken. Not a stable wait. */
        return;
    }
    if (try_join(t, u, val, w))
        return;

    unsigned char m[24];
    if (window_read(&win, u, m, sizeof m) == 0) {
        int32_t owner = (int32_t)u32_at(m, 8), kind = (int32_t)u32_at(m, 16);
        if (mutex_kind_ok(kind) && !(kind & (MUTEX_KIND_PI | MUTEX_KIND_PP))) {
            w->pshared = (kind & MUTEX_KIND_PSHARED) != 0;
            if (val == 2 && owner > 0 && (uint32_t)owner <= TID_MASK) {
                w->kind = CD_DL_MUTEX;
                w->owner = owner;
                return;
            }
            if ((kind & MUTEX_KIND_ROBUST) && (val & FUTEX_WAITERS_) && (val & TID_MASK)) {
                w->kind = CD_DL_MUTEX;
                w->owner = (pid_t)(val & TID_MASK);
                return;
            }
            w->pshared = false;
        }
    }
    static const unsigned rw_offs[] = {12, 8, 0};
    for (size_t i = 0; i < sizeof rw_offs / sizeof rw_offs[0]; i++)
        if (u >= rw_offs[i] && try_rwlock(&win, u - rw_offs[i], rw_offs[i], val, w))
            return;
    /* A plain mutex whose owner field is not written yet (just acquired): no edge to draw. */
    if (val == 2 && window_read(&win, u, m, sizeof m) == 0 && mutex_kind_ok((int32_t)u32_at(m, 16)) &&
        u32_at(m, 8) == 0) {
        w->kind = CD_DL_MUTEX;
        return;
    }
    /* a semaphore on the thread's own stack looks like glibc's PI dead end: that one is judged
     * from the stack later (drop_false_pi), so only semaphores elsewhere are recognised first */
    bool near_sp = u >= sc->sp && u < sc->sp + 1024;
    if (!near_sp && (try_condvar(&win, u, val, w) || try_sem(&win, sc, u, val, w)))
        return;
    if (try_pi_deadend(st, t, sc, u, val, word, w))
        return;
    if (try_condvar(&win, u, val, w))
        return;
    try_sem(&win, sc, u, val, w);
}

const char *cd_dl_kind_name(cd_dl_kind k)
{
    switch (k) {
    case CD_DL_MUTEX: return "mutex";
    case CD_DL_RWLOCK: return "rwlock";
    case CD_DL_THREAD: return "thread";
    case CD_DL_CONDVAR: return "condvar";
    case CD_DL_FUTEX: return "futex";
    case CD_DL_SEM: return "semaphore";
    case CD_DL_PIPE: return "pipe";
    case CD_DL_EVENTFD: return "eventfd";
    case CD_DL_SOCKET: return "socketpair";
    case CD_DL_FD: return "fd";
    case CD_DL_NONE: break;
    }
    return "none";
}
