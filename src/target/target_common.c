/* Backend-independent target helpers: full/string reads, the per-stop page cache, PID parsing,
 * and the process-wide emergency registry. */
#include "target/target.h"
#include "target/procfs.h"
#include "target/seccomp.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int cd_target_read_full(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = t->ops->read_mem(t, addr + done, (char *)buf + done, len - done);
        if (r <= 0) {
            if (r == 0)
                errno = EIO;
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

int cd_target_read_str(cd_target *t, uint64_t addr, char *buf, size_t max)
{
    if (max == 0)
        return -1;
    size_t done = 0;
    /* Page-sized steps: a string that ends just before an unmapped page must still be readable. */
    while (done + 1 < max) {
        uint64_t a = addr + done;
        size_t chunk = 4096 - (size_t)(a & 4095);
        if (chunk > max - 1 - done)
            chunk = max - 1 - done;
        ssize_t r = t->ops->read_mem(t, a, buf + done, chunk);
        if (r <= 0) {
            if (done == 0)
                return -1;
            break;
        }
        void *nul = memchr(buf + done, 0, (size_t)r);
        if (nul)
            return 0;
        done += (size_t)r;
    }
    buf[done] = 0;
    return 0;
}

cd_thread *cd_target_find_thread(cd_target *t, pid_t tid)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i]->tid == tid)
            return t->threads[i];
    return NULL;
}

/* ---- per-stop page cache ---- */

#define MC_PAGE 4096u
#define MC_BUCKETS 256u
/* 1 MiB. A thread dump reads each thread's stack once and stacks are disjoint: growing the cache
 * to every page of 1000 stacks (~12 MB) costs a page fault per fresh page (~20 us in this VM),
 * while restarting it empty lets malloc hand back the same, already-touched memory. */
#define MC_MAX_PAGES 256u

typedef struct mc_page {
    struct mc_page *next;
    uint64_t base;
    uint32_t valid; /* bytes [0, valid) readable; 0 = unreadable, remembered for this stop */
    unsigned char data[MC_PAGE];
} mc_page;

struct cd_memcache {
    cd_target *t;
    uint64_t gen;
    size_t npages;
    mc_page *b[MC_BUCKETS];
    mc_page *spare; /* pages of earlier stops, kept: freed, glibc would trim them off the heap and
                       the next stop would fault every one in again */
};

cd_memcache *cd_memcache_new(cd_target *t)
{
    cd_memcache *c = cd_xcalloc(1, sizeof *c);
    c->t = t;
    c->gen = t->stop_gen;
    return c;
}

static void mc_clear(cd_memcache *c)
{
    for (size_t i = 0; i < MC_BUCKETS; i++) {
        for (mc_page *p = c->b[i], *n; p; p = n) {
            n = p->next;
            p->next = c->spare;
            c->spare = p;
        }
        c->b[i] = NULL;
    }
    c->npages = 0;
}

void cd_memcache_free(cd_memcache *c)
{
    if (!c)
        return;
    mc_clear(c);
    for (mc_page *p = c->spare, *n; p; p = n) {
        n = p->next;
        free(p);
    }
    free(c);
}

static mc_page *mc_get(cd_memcache *c, uint64_t base)
{
    size_t h = (size_t)((base / MC_PAGE) * 0x9E3779B97F4A7C15ull >> 56) % MC_BUCKETS;
    for (mc_page *p = c->b[h]; p; p = p->next)
        if (p->base == base)
            return p;
    if (c->npages >= MC_MAX_PAGES) {
        mc_clear(c);
    }
    mc_page *p = c->spare;
    if (p)
        c->spare = p->next;
    else
        p = cd_xmalloc(sizeof *p);
    p->base = base;
    p->valid = 0;
    uint32_t got = 0;
    while (got < MC_PAGE) {
        ssize_t r = c->t->ops->read_mem(c->t, base + got, p->data + got, MC_PAGE - got);
        if (r <= 0)
            break;
        got += (uint32_t)r;
    }
    p->valid = got;
    p->next = c->b[h];
    c->b[h] = p;
    c->npages++;
    return p;
}

int cd_memcache_read(cd_memcache *c, uint64_t addr, void *buf, size_t len)
{
    if (c->gen != c->t->stop_gen) {
        mc_clear(c);
        c->gen = c->t->stop_gen;
    }
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done;
        uint64_t base = a & ~(uint64_t)(MC_PAGE - 1);
        size_t off = (size_t)(a - base);
        size_t n = MC_PAGE - off;
        if (n > len - done)
            n = len - done;
        mc_page *p = mc_get(c, base);
        if (off + n > p->valid) {
            /* The page does not read from its start, yet the bytes asked for may: a trace record's
             * instant (snapshot.c) holds the stack from the hit's sp up, which starts mid-page. Only
             * there: a live process's or a core's memory is whole pages, and a hole stays known. */
            if (c->t->caps.subpage_mem && p->valid <= off &&
                cd_target_read_full(c->t, a, (char *)buf + done, n) == 0) {
                done += n;
                continue;
            }
            errno = EFAULT;
            return -1;
        }
        memcpy((char *)buf + done, p->data + off, n);
        done += n;
    }
    return 0;
}

/* ---- PID parsing ---- */

int cd_parse_pid(const char *s, pid_t *out, cd_err *err)
{
    unsigned long long v;
    if (!cd_parse_uint(s, &v) || v == 0 || v > 0x3fffffff)
        return cd_fail(err, CD_EXIT_USAGE, "'%s' is not a process ID: give a numeric PID (see `ps`)", s);
    pid_t pid = (pid_t)v;
    if (pid == getpid())
        return cd_fail(err, CD_EXIT_TARGET, "cannot attach to PID %d: that is cdbg itself; give the PID of another process",
                       (int)pid);
    cd_proc_status st;
    if (cd_procfs_read_status(pid, &st) < 0) {
        if (kill(pid, 0) == 0 || errno == EPERM)
            return cd_fail(err, CD_EXIT_TARGET, "cannot read /proc/%d/status: %s; check that /proc is mounted and readable",
                           (int)pid, strerror(errno));
        return cd_fail(err, CD_EXIT_TARGET, "no process with PID %d: it does not exist or has already exited (see `ps`)",
                       (int)pid);
    }
    if (st.tgid > 0 && st.tgid != pid)
        return cd_fail(err, CD_EXIT_TARGET, "%d is a thread of process %d, not a process: attach to PID %d",
                       (int)pid, (int)st.tgid, (int)st.tgid);
    if ((st.state == 'Z' || st.state == 'X') && st.threads <= 1)
        return cd_fail(err, CD_EXIT_TARGET,
                       "cannot attach to PID %d: it has exited and is a zombie waiting to be reaped by its parent PID %d; "
                       "there is nothing left to debug",
                       (int)pid, (int)st.ppid);
    if (st.state == 'Z' || st.state == 'X')
        return cd_fail(err, CD_EXIT_TARGET,
                       "cannot attach to PID %d: its main thread has exited (pthread_exit) while %d other thread%s "
                       "still run%s; the kernel no longer shows the process's memory map, so neither cdbg nor gdb "
                       "can read its modules: attach while the main thread lives",
                       (int)pid, st.threads - 1, st.threads - 1 == 1 ? "" : "s", st.threads - 1 == 1 ? "s" : "");
    /* PF_KTHREAD, the 9th field of /proc/PID/stat (after the parenthesised name) */
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *rp = strrchr(buf, ')');
        unsigned flags = 0;
        if (rp && sscanf(rp + 1, " %*c %*d %*d %*d %*d %*d %u", &flags) == 1 && (flags & 0x00200000u))
            return cd_fail(err, CD_EXIT_TARGET,
                           "cannot attach to PID %d: it is a kernel thread (%.*s); there is no user-space program to "
                           "debug",
                           (int)pid, (int)(rp - strchr(buf, '(') - 1), strchr(buf, '(') + 1);
    }
    *out = pid;
    return 0;
}

/* ---- emergency registry ---- */

/* The one process-wide mutable state cdbg allows: a fatal-signal handler has no other way to
 * find the targets it must detach. Lock-free slots, so the handler can run at any moment. */
#define CD_EMERGENCY_SLOTS 16
static cd_target *cd_emergency_slots[CD_EMERGENCY_SLOTS];

void cd_emergency_register(cd_target *t)
{
    for (int i = 0; i < CD_EMERGENCY_SLOTS; i++) {
        cd_target *expected = NULL;
        if (__atomic_compare_exchange_n(&cd_emergency_slots[i], &expected, t, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return;
    }
    /* More live targets than slots: the extra ones are only cleaned up by close(). */
}

void cd_emergency_unregister(cd_target *t)
{
    for (int i = 0; i < CD_EMERGENCY_SLOTS; i++) {
        cd_target *expected = t;
        __atomic_compare_exchange_n(&cd_emergency_slots[i], &expected, NULL, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
    }
}

void cd_emergency_cleanup(void)
{
    for (int i = 0; i < CD_EMERGENCY_SLOTS; i++) {
        /* exchange first: a second fatal signal during cleanup must not process a target twice */
        cd_target *t = __atomic_exchange_n(&cd_emergency_slots[i], NULL, __ATOMIC_SEQ_CST);
        if (t && t->ops && t->ops->emergency)
            t->ops->emergency(t);
    }
}

/* ---- system calls run inside the target ---- */

/* The address of two bytes 0f 05 (`syscall`) in executable memory. Whether they begin an
 * instruction of the program's own is irrelevant: we jump to them, and the CPU decodes from there.
 * The vdso comes first (every process has it, and nothing replaces it), then the other mappings. */
static int find_syscall_insn(cd_target *t, uint64_t *out, cd_err *err)
{
    if (t->syscall_insn) {
        *out = t->syscall_insn;
        return 0;
    }
    const cd_mapping *maps;
    size_t n;
    if (t->ops->mappings(t, &maps, &n, err) < 0)
        return -1;
    unsigned char *buf = malloc(65536);
    if (!buf)
        return cd_fail(err, CD_EXIT_CMD, "out of memory");
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const cd_mapping *m = &maps[i];
            bool vdso = m->path && strcmp(m->path, "[vdso]") == 0;
            if (!(m->prot & PROT_EXEC) || vdso != (pass == 0))
                continue;
            for (uint64_t a = m->start; a < m->end; a += 65536 - 1) {
                size_t want = m->end - a < 65536 ? (size_t)(m->end - a) : 65536;
                ssize_t r = t->ops->read_mem(t, a, buf, want);
                if (r < 2)
                    break;
                for (ssize_t k = 0; k + 1 < r; k++)
                    if (buf[k] == 0x0f && buf[k + 1] == 0x05) {
                        t->syscall_insn = a + (uint64_t)k;
                        *out = t->syscall_insn;
                        free(buf);
                        return 0;
                    }
                if (want < 65536)
                    break;
            }
        }
    }
    free(buf);
    return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                    "cannot run a system call in process %d: no `syscall` instruction in its executable memory",
                    (int)t->pid);
}

/* After the step, the thread sits in the step's SIGTRAP stop. Should cdbg die now (SIGKILL: no
 * cleanup runs), the kernel would deliver that SIGTRAP to the program as the tracer goes (only
 * PTRACE_DETACH clears it) and kill it. An interrupt stop carries no signal: PTRACE_INTERRUPT is
 * taken before the thread returns to user space, so it gets there without running an instruction.
 * A signal of the program's that arrives first is kept for the backend to deliver. */
static void park_in_interrupt_stop(cd_thread *th)
{
    if (ptrace(PTRACE_INTERRUPT, th->tid, 0, 0) < 0 || ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
        return;
    for (int i = 0; i < 8; i++) {
        int st;
        pid_t w = waitpid(th->tid, &st, __WALL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w != th->tid || !WIFSTOPPED(st) || (st >> 16) != 0)
            return;
        if (!th->pending_sig)
            th->pending_sig = WSTOPSIG(st);
        if (ptrace(PTRACE_CONT, th->tid, 0, 0) < 0)
            return;
    }
}

int cd_target_inject_syscall(cd_target *t, cd_thread *th, long nr, const uint64_t args[6], int64_t *ret,
                             cd_err *err)
{
    if (!t->caps.can_run || !t->caps.can_write)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "cannot run a system call in process %d: the target cannot run", (int)t->pid);
    if (!th->held)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "cannot run a system call in thread %d: it is not stopped", (int)th->tid);
    uint64_t insn = 0;
    if (find_syscall_insn(t, &insn, err) < 0)
        return -1;
    /* The kernel filters an injected call like the program's own: one its seccomp filter kills on
     * (systemd's SystemCallFilter=) would end the process cdbg only meant to look at. */
    if (cd_seccomp_check(t->pid, th->tid, nr, insn, args, err) < 0)
        return -1;
    cd_regs saved, r;
    if (t->ops->get_regs(t, th, &saved, err) < 0)
        return -1;
    int saved_sig = th->pending_sig;
    r = saved;
    r.rax = (uint64_t)nr;
    r.rdi = args[0], r.rsi = args[1], r.rdx = args[2], r.r10 = args[3], r.r8 = args[4], r.r9 = args[5];
    r.rip = insn;
    /* Not inside a system call any more: otherwise the kernel's restart logic, seeing orig_rax and
     * an -ERESTART* rax, would move rip back over our instruction at resume. */
    r.orig_rax = (uint64_t)-1;
    if (t->ops->set_regs(t, th, &r, err) < 0)
        return -1;
    cd_event ev = {0};
    cd_err serr = {0};
    int rc = t->ops->step(t, th, 0, &ev, &serr);
    bool ended = rc == 0 && (ev.kind == CD_EV_EXITED || ev.kind == CD_EV_KILLED);
    cd_regs after = {0};
    cd_err gerr = {0};
    bool done = rc == 0 && !ended && t->ops->get_regs(t, th, &after, &gerr) == 0 && after.rip == insn + 2;
    if (rc == 0 && !ended) {
        cd_err rerr = {0};
        if (t->ops->set_regs(t, th, &saved, &rerr) < 0) {
            if (err)
                *err = rerr;
            return -1;
        }
        th->pending_sig = saved_sig;
        park_in_interrupt_stop(th);
    }
    if (rc < 0) {
        cd_err rerr = {0};
        t->ops->set_regs(t, th, &saved, &rerr); /* best effort: the thread may be gone */
        th->pending_sig = saved_sig;
        if (err)
            *err = serr;
        return -1;
    }
    /* A process stopped by SIGSTOP or job control (state T) answers the step with its stop
     * signal again and again: "try again" would never work. */
    if (!done && !ended && ev.kind == CD_EV_SIGNAL &&
        (ev.sig == SIGSTOP || ev.sig == SIGTSTP || ev.sig == SIGTTIN || ev.sig == SIGTTOU))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER,
                        "cannot run system call %ld in thread %d: process %d is stopped (state T, by %s); it was "
                        "left stopped: `kill -CONT %d` lets it run, then try again",
                        nr, (int)th->tid, (int)t->pid,
                        ev.sig == SIGSTOP ? "SIGSTOP" : ev.sig == SIGTSTP ? "SIGTSTP" : ev.sig == SIGTTIN ? "SIGTTIN" : "SIGTTOU",
                        (int)t->pid);
    if (!done)
        return cd_failk(err, CD_EXIT_CMD, ended ? CD_EK_EXITED : CD_EK_OTHER,
                        "cannot run system call %ld in thread %d: %s", nr, (int)th->tid,
                        ended ? "the process ended"
                        : ev.kind == CD_EV_SIGNAL ? "a signal arrived first; try again"
                                                  : "the thread did not finish the instruction");
    *ret = (int64_t)after.rax;
    return 0;
}
