/* The sampling engine (profile.h). */
#include "trace/profile.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "target/procfs.h"
#include "trace/perfring.h"

/* Per CPU: at least 8 MB (~120 full-stack samples), and a quarter second of one busy thread's
 * samples at high rates: cdbg drains the rings every 100 ms at most, sooner at a quarter full. */
#define RING_MIN (8u << 20)
#define RING_MAX (64u << 20)

/* perf's x86-64 user registers (asm/perf_regs.h): ax..flags (0-9) and r8..r15 (16-23), in that order */
static const uint64_t REG_MASK = ((1ull << 10) - 1) | (0xffull << 16);

typedef struct tname {
    pid_t tid;               /* 0: free slot */
    char name[17];
} tname;

struct cd_prof {
    pid_t pid;
    unsigned hz;
    size_t ring_bytes;
    int *fds;
    size_t nfds;
    cd_perf_ring *rings;     /* one per CPU */
    int *ring_cpu;
    size_t nrings;
    tname *names;            /* open addressing on tid */
    size_t names_cap, nnames;
    uint64_t samples, lost, other_procs;
    bool stopped;
    /* the sink of the drain in progress */
    cd_prof_sink sink;
    void *arg;
    int delivered;
};

static tname *name_slot(cd_prof *p, pid_t tid, bool add)
{
    if (add && (p->nnames + 1) * 2 > p->names_cap) {
        size_t ncap = p->names_cap ? p->names_cap * 2 : 64;
        tname *n = cd_xcalloc(ncap, sizeof *n);
        for (size_t i = 0; i < p->names_cap; i++)
            if (p->names[i].tid)
                for (size_t j = (size_t)p->names[i].tid * 2654435761u % ncap;; j = (j + 1) % ncap)
                    if (!n[j].tid) {
                        n[j] = p->names[i];
                        break;
                    }
        free(p->names);
        p->names = n;
        p->names_cap = ncap;
    }
    if (!p->names_cap)
        return NULL;
    for (size_t j = (size_t)tid * 2654435761u % p->names_cap;; j = (j + 1) % p->names_cap) {
        if (p->names[j].tid == tid)
            return &p->names[j];
        if (!p->names[j].tid) {
            if (!add)
                return NULL;
            p->names[j].tid = tid;
            p->nnames++;
            return &p->names[j];
        }
    }
}

static void note_thread(cd_prof *p, pid_t tid)
{
    if (name_slot(p, tid, false))
        return;
    tname *t = name_slot(p, tid, true);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)p->pid, (int)tid);
    char *s = cd_read_file(path, NULL);
    if (s) {
        s[strcspn(s, "\n")] = 0;
        snprintf(t->name, sizeof t->name, "%s", s);
        free(s);
    }
}

const char *cd_prof_thread_name(cd_prof *p, pid_t tid)
{
    tname *t = name_slot(p, tid, false);
    return t && t->name[0] ? t->name : NULL;
}

/* Thousands of threads times the CPUs: one descriptor each. */
static void raise_nofile(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need + 64)
        return;
    rlim_t want = (rlim_t)need + 256;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    rl.rlim_cur = want;
    setrlimit(RLIMIT_NOFILE, &rl);
}

static int open_one(cd_prof *p, pid_t tid, int cpu, cd_err *err)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_SOFTWARE;
    a.config = PERF_COUNT_SW_TASK_CLOCK;
    /* a period in nanoseconds of the thread's CPU time, not a frequency: hz samples per CPU-second */
    a.sample_period = 1000000000ull / p->hz;
    a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
    a.sample_regs_user = REG_MASK;
    a.sample_stack_user = CD_PROF_MAX_STACK;
    a.exclude_kernel = 1; /* user stacks only: no kernel privilege needed beyond the process's */
    a.exclude_hv = 1;
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    a.inherit = 1;
    a.comm = 1;
    a.watermark = 1;
    a.wakeup_watermark = (uint32_t)(p->ring_bytes / 4);
    int fd = (int)cd_perf_event_open(&a, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ESRCH)
            return 1; /* a thread that ended meanwhile */
        if (e == ENODEV && cpu >= 0)
            return 1; /* an offline CPU */
        if (e == EACCES || e == EPERM) {
            int paranoid = 2;
            char *s = cd_read_file("/proc/sys/kernel/perf_event_paranoid", NULL);
            if (s) {
                paranoid = atoi(s);
                free(s);
            }
            return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                            "profile: perf_event_open refused to sample process %d: %s (kernel.perf_event_paranoid "
                            "is %d); run as the process's owner with kernel.perf_event_paranoid <= 2 "
                            "(sysctl kernel.perf_event_paranoid=2), or give cdbg CAP_PERFMON",
                            (int)p->pid, strerror(e), paranoid);
        }
        if (e == EMFILE || e == ENFILE)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT,
                            "profile: out of file descriptors after %zu events (one per thread and CPU); raise "
                            "`ulimit -n`", p->nfds);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "profile: perf_event_open on thread %d failed: %s", (int)tid,
                        strerror(e));
    }
    size_t r = 0;
    while (r < p->nrings && p->ring_cpu[r] != cpu)
        r++;
    if (r == p->nrings) {
        p->rings = cd_xrealloc(p->rings, (p->nrings + 1) * sizeof *p->rings);
        p->ring_cpu = cd_xrealloc(p->ring_cpu, (p->nrings + 1) * sizeof *p->ring_cpu);
        if (cd_perf_ring_map(&p->rings[r], fd, p->ring_bytes) < 0) {
            int e = errno;
            close(fd);
            return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "profile: cannot map a ring buffer: %s", strerror(e));
        }
        p->ring_cpu[r] = cpu;
        p->nrings++;
    } else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, p->rings[r].fd) < 0) {
        int e = errno;
        close(fd);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "profile: cannot share CPU %d's ring: %s", cpu, strerror(e));
    }
    p->fds = cd_xrealloc(p->fds, (p->nfds + 1) * sizeof *p->fds);
    p->fds[p->nfds++] = fd;
    return 0;
}

static void close_all(cd_prof *p)
{
    for (size_t i = 0; i < p->nrings; i++)
        cd_perf_ring_unmap(&p->rings[i]);
    for (size_t i = 0; i < p->nfds; i++)
        close(p->fds[i]);
    free(p->rings);
    free(p->ring_cpu);
    free(p->fds);
    p->rings = NULL;
    p->ring_cpu = NULL;
    p->fds = NULL;
    p->nrings = p->nfds = 0;
}

cd_prof *cd_prof_start(pid_t pid, unsigned hz, cd_err *err)
{
    cd_prof *p = cd_xcalloc(1, sizeof *p);
    p->pid = pid;
    p->hz = hz ? hz : 99;
    p->ring_bytes = RING_MIN;
    while (p->ring_bytes < RING_MAX && p->ring_bytes < (size_t)p->hz * 65536 / 4)
        p->ring_bytes *= 2;
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    if (ncpu < 1)
        ncpu = 1;
    pid_t *seen = NULL;
    size_t nseen = 0;
    /* Threads that exist now each need their events (inheritance covers only those they create
     * later): list again until no new thread appeared while the events were being opened. */
    for (int round = 0; round < 64; round++) {
        pid_t *tids = NULL;
        size_t n = 0;
        if (cd_procfs_list_tasks(pid, &tids, &n) < 0)
            n = 0;
        if (!n && !nseen) {
            free(tids);
            cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "profile: no process with PID %d", (int)pid);
            goto fail;
        }
        raise_nofile((nseen + n) * (size_t)ncpu);
        bool fresh = false;
        for (size_t i = 0; i < n; i++) {
            bool known = false;
            for (size_t j = 0; j < nseen && !known; j++)
                known = seen[j] == tids[i];
            if (known)
                continue;
            fresh = true;
            seen = cd_xrealloc(seen, (nseen + 1) * sizeof *seen);
            seen[nseen++] = tids[i];
            for (int c = 0; c < ncpu; c++)
                if (open_one(p, tids[i], c, err) < 0) {
                    free(tids);
                    goto fail;
                }
        }
        free(tids);
        if (!fresh)
            break;
    }
    if (!p->nfds) {
        cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "profile: process %d has exited", (int)pid);
        goto fail;
    }
    free(seen);
    return p;
fail:
    free(seen);
    cd_prof_free(p);
    return NULL;
}

static void on_record(void *arg, const struct perf_event_header *h, const uint8_t *d, size_t len)
{
    cd_prof *p = arg;
    if (h->type == PERF_RECORD_LOST && len >= 16) {
        uint64_t lost;
        memcpy(&lost, d + 8, 8);
        p->lost += lost;
        return;
    }
    if (h->type == PERF_RECORD_COMM && len > 8) {
        uint32_t pt[2];
        memcpy(pt, d, 8);
        if ((pid_t)pt[0] != p->pid)
            return; /* a child process's thread (inherit follows fork): not ours to name */
        tname *t = name_slot(p, (pid_t)pt[1], true);
        size_t n = strnlen((const char *)d + 8, len - 8);
        if (n > 16)
            n = 16;
        memcpy(t->name, d + 8, n);
        t->name[n] = 0;
        return;
    }
    if (h->type != PERF_RECORD_SAMPLE || len < 8 + 8 + 8)
        return;
    const uint8_t *q = d, *end = d + len;
    cd_prof_sample s;
    memset(&s, 0, sizeof s);
    uint32_t pt[2];
    memcpy(pt, q, 8);
    if ((pid_t)pt[0] != p->pid) {
        /* inherit follows fork too: a child's pcs mean nothing in this process's address space, and
         * unwinding them against its maps gives wrong frames. Counted and said, not shown. */
        p->other_procs++;
        return;
    }
    s.tid = (pid_t)pt[1];
    memcpy(&s.ts_ns, q + 8, 8);
    q += 16;
    uint64_t abi;
    memcpy(&abi, q, 8);
    q += 8;
    if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
        if (q + 18 * 8 > end)
            return;
        uint64_t r[18];
        memcpy(r, q, sizeof r);
        cd_regs *g = &s.regs;
        g->rax = r[0], g->rbx = r[1], g->rcx = r[2], g->rdx = r[3], g->rsi = r[4], g->rdi = r[5];
        g->rbp = r[6], g->rsp = r[7], g->rip = r[8], g->eflags = r[9];
        g->r8 = r[10], g->r9 = r[11], g->r10 = r[12], g->r11 = r[13], g->r12 = r[14], g->r13 = r[15];
        g->r14 = r[16], g->r15 = r[17];
        g->orig_rax = (uint64_t)-1;
        s.has_regs = true;
        q += 18 * 8;
    }
    if (q + 8 <= end) {
        uint64_t size;
        memcpy(&size, q, 8);
        q += 8;
        if (size && q + size + 8 <= end) {
            uint64_t dyn;
            memcpy(&dyn, q + size, 8);
            s.stack = q;
            s.stack_len = (uint32_t)(dyn < size ? dyn : size);
            s.stack_asked = (uint32_t)size;
            s.stack_addr = s.regs.rsp;
        }
    }
    note_thread(p, s.tid);
    p->samples++;
    p->delivered++;
    p->sink(p->arg, &s);
}

static void drain(cd_prof *p)
{
    for (size_t i = 0; i < p->nrings; i++)
        cd_perf_ring_drain(&p->rings[i], on_record, p);
}

int cd_prof_poll(cd_prof *p, int timeout_ms, cd_prof_sink sink, void *arg, cd_err *err)
{
    p->sink = sink;
    p->arg = arg;
    p->delivered = 0;
    bool any = false;
    for (size_t i = 0; i < p->nrings; i++)
        any |= cd_perf_ring_pending(&p->rings[i]) != 0;
    if (!any && !p->stopped && timeout_ms != 0) {
        struct pollfd pf[256];
        size_t np = p->nrings < 256 ? p->nrings : 256;
        for (size_t i = 0; i < np; i++)
            pf[i] = (struct pollfd){.fd = p->rings[i].fd, .events = POLLIN};
        /* the watermark wakes us when a ring fills; otherwise look at least every 100 ms */
        poll(pf, np, timeout_ms < 0 || timeout_ms > 100 ? 100 : timeout_ms);
    }
    drain(p);
    if (p->delivered)
        return p->delivered;
    if (p->stopped || cd_procfs_process_gone(p->pid)) {
        drain(p); /* what the last moments wrote */
        if (p->delivered)
            return p->delivered;
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "process %d has ended", (int)p->pid);
    }
    return 0;
}

void cd_prof_stop(cd_prof *p)
{
    for (size_t i = 0; i < p->nfds; i++)
        ioctl(p->fds[i], PERF_EVENT_IOC_DISABLE, 0);
    p->stopped = true;
}

void cd_prof_get_stats(const cd_prof *p, cd_prof_stats *st)
{
    st->samples = p->samples;
    st->lost = p->lost;
    st->other_procs = p->other_procs;
    st->threads = p->nnames;
    st->events = p->nfds;
}

void cd_prof_free(cd_prof *p)
{
    if (!p)
        return;
    close_all(p);
    free(p->names);
    free(p);
}
