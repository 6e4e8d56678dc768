/* The uprobe backend: perf_event_open with the kernel's uprobe PMU (backend.h).
 *
 * Each probe is a perf event of type /sys/bus/event_source/devices/uprobe/type on its file and
 * offset (config1 = the path, config2 = the offset; the retprobe bit from .../format/retprobe for
 * --ret), sampling every hit with the thread, a CLOCK_MONOTONIC time, the user registers and a copy
 * of the stack top. Nothing is ptraced: the kernel patches its private copy of the page, and removes
 * the probes when the events are closed, so when cdbg dies.
 *
 * Per CPU, not per thread: the kernel forbids mmap on an inherited per-task event that follows its
 * task on every CPU, and inheritance is what catches threads created later. So every event is
 * opened once per CPU (pid = each thread that exists at arm time, inherit = 1) and all events of a
 * CPU write into that CPU's one ring (PERF_EVENT_IOC_SET_OUTPUT). A thread that migrates leaves its
 * records in two rings; they are merged by time, holding back for HOLD_NS what is younger than the
 * moment the rings were read, so that a record still being written on another CPU (a sample is
 * written with preemption off, in microseconds) cannot come after a later one of the same thread.
 * Lost records (PERF_RECORD_LOST: a full ring) become CD_REC_DROPPED where they were lost. */

#include "trace/backend.h"
#include "target/procfs.h"
#include "trace/perfring.h"

#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#define HOLD_NS (20ull * 1000 * 1000)
/* The default ring per CPU: a run like the tests' (100,000 records of ~750 bytes, read by a
 * reader that ASan and load slow down) fits without a drop on a small machine, and a large one does
 * not lock gigabytes: 256 MB spread over the CPUs, 8 to 64 MB each, a power of two. */
static size_t default_ring(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    size_t per = (size_t)(256u << 20) / (size_t)(n > 0 ? n : 1), r = 8u << 20;
    while (r * 2 <= per && r < (64u << 20))
        r *= 2;
    return r;
}

/* perf's x86-64 user register numbers (asm/perf_regs.h) */
enum { PR_AX, PR_BX, PR_CX, PR_DX, PR_SI, PR_DI, PR_BP, PR_SP, PR_IP, PR_FLAGS, PR_CS, PR_SS,
       PR_R8 = 16, PR_R9, PR_R10, PR_R11, PR_R12, PR_R13, PR_R14, PR_R15 };
static const uint64_t REG_MASK = ((1ull << 10) - 1) | (0xffull << 16);

typedef struct uevent {
    int fd;
    uint64_t id;
    uint32_t probe;
    bool ret;
} uevent;

typedef struct uring {
    int cpu;
    cd_perf_ring r;         /* perfring.h */
} uring;

typedef struct prec {
    uint64_t ts, seq;
    cd_rec_kind kind;
    uint32_t probe;
    pid_t tid;
    cd_regs regs;
    uint64_t stack_addr;
    size_t off;             /* stack bytes in the pool */
    uint32_t stack_len;
    uint64_t dropped;
} prec;

typedef struct ub {
    int pmu, retbit;
    pid_t pid;
    cd_probe *probes;
    char **paths;
    size_t nprobes;
    uint64_t *hits, *drops;
    uint64_t *early;        /* per probe: hits before every event was enabled, discarded */
    uint64_t armed_ts;      /* CLOCK_MONOTONIC when the last event was enabled */
    uevent *ev;
    size_t nev;
    uring *rings;
    size_t nrings;
    size_t ring_size;
    prec *pend;
    size_t npend, pend_cap;
    uint8_t *pool;
    size_t pool_len, pool_cap;
    uint64_t seq;
    bool armed, disarmed;
    char *tracefs;          /* NULL: the uprobe PMU, without inheritance */
    uint64_t *tp_entry, *tp_ret; /* per probe: the tracefs event ids (0 none) */
    bool *defined;          /* per probe: e<id>/r<id> written into uprobe_events */
} ub;

static int read_int_file(const char *path, int *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%d", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

static int up_check(cd_trace_backend *b, const cd_probe *p, cd_err *err)
{
    (void)b;
    if (!p->module_path)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "uprobe: %s is in no file (a uprobe needs a path and an offset)", p->func);
    if (p->want_return && !p->func_lo)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "uprobe: %s: the function's entry is unknown (needed for --ret)", p->func);
    if (p->want_return && p->may_unwind)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "uprobe: %s: --ret would kill the program when a C++ exception passes through the call (the kernel's return probe has no unwind info): use --backend inline or ptrace", p->func);
    return 0;
}

static int up_add(cd_trace_backend *b, const cd_probe *p, cd_err *err)
{
    ub *u = b->priv;
    if (up_check(b, p, err) < 0)
        return -1;
    if (p->id >= u->nprobes) {
        size_t n = p->id + 1;
        u->probes = cd_xrealloc(u->probes, n * sizeof *u->probes);
        u->paths = cd_xrealloc(u->paths, n * sizeof *u->paths);
        u->hits = cd_xrealloc(u->hits, n * sizeof *u->hits);
        u->drops = cd_xrealloc(u->drops, n * sizeof *u->drops);
        for (size_t i = u->nprobes; i < n; i++) {
            memset(&u->probes[i], 0, sizeof u->probes[i]);
            u->paths[i] = NULL;
            u->hits[i] = u->drops[i] = 0;
        }
        u->nprobes = n;
    }
    u->probes[p->id] = *p;
    u->paths[p->id] = cd_xstrdup(p->module_path);
    u->probes[p->id].module_path = u->paths[p->id];
    u->probes[p->id].func = NULL; /* not kept: the core's string */
    return 0;
}

/* ---- tracefs: probes defined in uprobe_events, opened as tracepoint events ----
 * Why not the uprobe PMU for everything: an inherited PMU event is initialised again in the
 * thread that clones, which re-reads config1 (the path, a pointer into cdbg) in the TARGET's
 * memory and checks the TARGET's privileges; the clone then fails (measured: pthread_create
 * returns EFAULT). A tracefs probe is a tracepoint, which inherits with no such re-reading. */

static bool write_line(const char *dir, const char *file, const char *line, int *err_out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
        *err_out = errno;
        return false;
    }
    ssize_t n = write(fd, line, strlen(line));
    *err_out = n < 0 ? errno : 0;
    close(fd);
    return n == (ssize_t)strlen(line);
}

static char *find_tracefs(void)
{
    static const char *dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
    for (int i = 0; i < 2; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/uprobe_events", dirs[i]);
        if (access(p, W_OK) == 0)
            return cd_xstrdup(dirs[i]);
    }
    /* not mounted: mount it where it belongs, as perf does */
    if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0 &&
        access("/sys/kernel/tracing/uprobe_events", W_OK) == 0)
        return cd_xstrdup("/sys/kernel/tracing");
    return NULL;
}

/* Definitions left by a cdbg that was killed (its probes went with its events; the names stay). */
static void remove_stale(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/uprobe_events", dir);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return;
    for (char *l = strtok(s, "\n"); l; l = strtok(NULL, "\n")) {
        int pid;
        char name[64];
        if (sscanf(l, "%*c:cdbg_%d/%63s", &pid, name) != 2 || (kill(pid, 0) == 0 || errno != ESRCH))
            continue;
        char line[128];
        int e;
        snprintf(line, sizeof line, "-:cdbg_%d/%s\n", pid, name);
        write_line(dir, "uprobe_events", line, &e);
    }
    free(s);
}

static int tp_define(ub *u, uint32_t probe, bool ret, uint64_t *id, cd_err *err)
{
    cd_probe *p = &u->probes[probe];
    uint64_t off = ret ? p->file_offset - (p->addr - p->func_lo) : p->file_offset;
    if (strchr(p->module_path, ' '))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "uprobe: the path %s has a space, which uprobe_events cannot take", p->module_path);
    char line[4352];
    snprintf(line, sizeof line, "%c:cdbg_%d/%c%u %s:0x%llx\n", ret ? 'r' : 'p', (int)getpid(), ret ? 'r' : 'e', probe,
             p->module_path, (unsigned long long)off);
    int e;
    if (!write_line(u->tracefs, "uprobe_events", line, &e))
        return cd_failk(err, CD_EXIT_CMD, e == EACCES || e == EPERM ? CD_EK_PERMISSION : CD_EK_OTHER,
                        "uprobe: cannot define a probe at %s+0x%llx in %s/uprobe_events: %s", p->module_path,
                        (unsigned long long)off, u->tracefs, strerror(e));
    u->defined[probe] = true;
    char path[512];
    snprintf(path, sizeof path, "%s/events/cdbg_%d/%c%u/id", u->tracefs, (int)getpid(), ret ? 'r' : 'e', probe);
    char *s = cd_read_file(path, NULL);
    if (!s)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "uprobe: cannot read %s: %s", path, strerror(errno));
    *id = strtoull(s, NULL, 10);
    free(s);
    return 0;
}

static void tp_undefine(ub *u)
{
    if (!u->tracefs || !u->defined)
        return;
    for (size_t i = 0; i < u->nprobes; i++) {
        if (!u->defined[i])
            continue;
        char line[128];
        int e;
        snprintf(line, sizeof line, "-:cdbg_%d/e%zu\n", (int)getpid(), i);
        write_line(u->tracefs, "uprobe_events", line, &e);
        if (u->probes[i].want_return) {
            snprintf(line, sizeof line, "-:cdbg_%d/r%zu\n", (int)getpid(), i);
            write_line(u->tracefs, "uprobe_events", line, &e);
        }
        u->defined[i] = false;
    }
}

static uring *ring_of(ub *u, int cpu)
{
    for (size_t i = 0; i < u->nrings; i++)
        if (u->rings[i].cpu == cpu)
            return &u->rings[i];
    return NULL;
}

static uint64_t now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_one(ub *u, uint32_t probe, bool ret, pid_t tid, int cpu, cd_err *err)
{
    cd_probe *p = &u->probes[probe];
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    if (u->tracefs) {
        a.type = PERF_TYPE_TRACEPOINT;
        a.config = ret ? u->tp_ret[probe] : u->tp_entry[probe];
        a.inherit = 1;
    } else {
        a.type = (uint32_t)u->pmu;
        a.config = ret ? 1ull << u->retbit : 0;
        a.config1 = (uint64_t)(uintptr_t)p->module_path;
        /* a uretprobe takes the return address at the function's first instruction */
        a.config2 = ret ? p->file_offset - (p->addr - p->func_lo) : p->file_offset;
    }
    a.sample_period = 1;
    /* enabled together once every CPU's event exists (up_arm): one enabled first would record a
     * call on its CPU while the same thread's next call, on another CPU, went unseen */
    a.disabled = 1;
    a.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER |
                    (ret ? 0 : PERF_SAMPLE_STACK_USER);
    a.sample_regs_user = REG_MASK;
    uint32_t st = p->stack_bytes < 64 ? 64 : p->stack_bytes > CD_TRACE_MAX_STACK ? CD_TRACE_MAX_STACK : p->stack_bytes;
    a.sample_stack_user = (st + 7) & ~7u;
    a.use_clockid = 1;
    a.clockid = CLOCK_MONOTONIC;
    a.watermark = 1;
    a.wakeup_watermark = (uint32_t)(u->ring_size / 4);
    int fd = (int)cd_perf_event_open(&a, tid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENODEV || e == EINVAL) {
            if (cpu >= 0 && e == ENODEV)
                return 1; /* an offline CPU */
        }
        if (e == ESRCH)
            return 1; /* a thread that ended meanwhile */
        return cd_failk(err, CD_EXIT_CMD, e == EACCES || e == EPERM ? CD_EK_PERMISSION : CD_EK_OTHER,
                        "uprobe: cannot probe %s+0x%llx%s: %s%s", p->module_path, (unsigned long long)p->file_offset,
                        ret ? " (return)" : "", strerror(e),
                        e == EACCES || e == EPERM ? "; uprobes need root or CAP_PERFMON and CAP_SYS_ADMIN" : "");
    }
    uint64_t id = 0;
    ioctl(fd, PERF_EVENT_IOC_ID, &id);
    uring *r = ring_of(u, cpu);
    if (!r) {
        cd_perf_ring pr;
        if (cd_perf_ring_map(&pr, fd, u->ring_size) < 0) {
            int e = errno;
            close(fd);
            return cd_failk(err, CD_EXIT_CMD, CD_EK_LIMIT, "uprobe: cannot map a ring buffer: %s", strerror(e));
        }
        u->rings = cd_xrealloc(u->rings, (u->nrings + 1) * sizeof *u->rings);
        r = &u->rings[u->nrings++];
        *r = (uring){cpu, pr};
    } else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->r.fd) < 0) {
        int e = errno;
        close(fd);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER, "uprobe: cannot share a CPU's ring: %s", strerror(e));
    }
    u->ev = cd_xrealloc(u->ev, (u->nev + 1) * sizeof *u->ev);
    u->ev[u->nev++] = (uevent){fd, id, probe, ret};
    return 0;
}

static int up_arm(cd_trace_backend *b, cd_err *err)
{
    ub *u = b->priv;
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    if (u->tracefs) {
        u->tp_entry = cd_xcalloc(u->nprobes + 1, sizeof *u->tp_entry);
        u->tp_ret = cd_xcalloc(u->nprobes + 1, sizeof *u->tp_ret);
        u->defined = cd_xcalloc(u->nprobes + 1, sizeof *u->defined);
        for (size_t p = 0; p < u->nprobes; p++) {
            if (!u->paths[p])
                continue;
            if (tp_define(u, (uint32_t)p, false, &u->tp_entry[p], err) < 0 ||
                (u->probes[p].want_return && tp_define(u, (uint32_t)p, true, &u->tp_ret[p], err) < 0))
                return -1;
        }
    }
    pid_t *seen = NULL;
    size_t nseen = 0;
    /* Threads that exist now each need their events (inheritance covers only the ones they create
     * later); list again until no new thread appeared while the events were being opened. */
    for (int round = 0; round < 16; round++) {
        pid_t *tids = NULL;
        size_t n = 0;
        if (cd_procfs_list_tasks(u->pid, &tids, &n) < 0)
            n = 0;
        if (!n && !nseen) {
            free(tids);
            return cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "uprobe: process %d is gone", (int)u->pid);
        }
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
            /* Returns first: a uretprobe registered on a running process after the entry probe of the
             * same function never fired (measured, Linux 6.18); in this order both do. A call that
             * passes the return probe before its entry probe is in has a return without an entry. */
            for (int pass = 0; pass < 2; pass++)
                for (size_t p = 0; p < u->nprobes; p++) {
                    if (!u->paths[p] || (pass == 0 && !u->probes[p].want_return))
                        continue;
                    for (int c = 0; c < ncpu; c++)
                        if (open_one(u, (uint32_t)p, pass == 0, tids[i], c, err) < 0) {
                            free(tids);
                            free(seen);
                            return -1;
                        }
                }
        }
        free(tids);
        if (!fresh)
            break;
    }
    free(seen);
    for (size_t i = 0; i < u->nev; i++)
        ioctl(u->ev[i].fd, PERF_EVENT_IOC_ENABLE, 0);
    /* From here every hit on every CPU is recorded; a hit before it came while some CPU's event was
     * still off, so it is dropped from the trace (a trace starts when all of it is in). */
    u->armed_ts = now_mono();
    u->early = cd_xcalloc(u->nprobes + 1, sizeof *u->early);
    u->armed = true;
    return 0;
}

static int ev_cmp(const void *a, const void *b)
{
    uint64_t x = ((const uevent *)a)->id, y = ((const uevent *)b)->id;
    return x < y ? -1 : x > y;
}

static const uevent *ev_find(ub *u, uint64_t id)
{
    uevent key = {.id = id};
    return bsearch(&key, u->ev, u->nev, sizeof *u->ev, ev_cmp);
}

static prec *pend_new(ub *u)
{
    if (u->npend == u->pend_cap) {
        u->pend_cap = u->pend_cap ? u->pend_cap * 2 : 4096;
        u->pend = cd_xrealloc(u->pend, u->pend_cap * sizeof *u->pend);
    }
    prec *p = &u->pend[u->npend++];
    memset(p, 0, sizeof *p);
    p->seq = u->seq++;
    return p;
}

static void parse_sample(ub *u, const uint8_t *d, size_t len)
{
    const uint64_t *q = (const uint64_t *)d, *end = (const uint64_t *)(d + len);
    if (len < 4 * 8)
        return;
    const uevent *e = ev_find(u, q[0]);
    if (!e) {
        return;
    }
    const uint32_t *pt = (const uint32_t *)&q[1];
    if (q[2] < u->armed_ts) {
        if (!e->ret && u->early)
            u->early[e->probe]++;
        return;
    }
    prec *r = pend_new(u);
    r->kind = e->ret ? CD_REC_RETURN : CD_REC_ENTRY;
    r->probe = e->probe;
    r->tid = (pid_t)pt[1];
    r->ts = q[2];
    q += 3;
    uint64_t abi = *q++;
    if (abi != PERF_SAMPLE_REGS_ABI_NONE && q + 18 <= end) {
        cd_regs *g = &r->regs;
        g->rax = q[0], g->rbx = q[1], g->rcx = q[2], g->rdx = q[3], g->rsi = q[4], g->rdi = q[5];
        g->rbp = q[6], g->rsp = q[7], g->rip = q[8], g->eflags = q[9];
        g->r8 = q[10], g->r9 = q[11], g->r10 = q[12], g->r11 = q[13], g->r12 = q[14], g->r13 = q[15];
        g->r14 = q[16], g->r15 = q[17];
        g->orig_rax = (uint64_t)-1;
        q += 18;
    }
    r->stack_addr = r->regs.rsp;
    if (!e->ret && q < end) {
        uint64_t size = *q++;
        if (size && (const uint8_t *)q + size + 8 <= (const uint8_t *)end) {
            uint64_t dyn = *(const uint64_t *)((const uint8_t *)q + size);
            if (dyn > size)
                dyn = size;
            if (u->pool_len + dyn > u->pool_cap) {
                u->pool_cap = (u->pool_len + dyn) * 2;
                u->pool = cd_xrealloc(u->pool, u->pool_cap);
            }
            memcpy(u->pool + u->pool_len, q, dyn);
            r->off = u->pool_len;
            r->stack_len = (uint32_t)dyn;
            u->pool_len += dyn;
        }
    }
    if (!e->ret)
        u->hits[e->probe]++;
}

static void on_record(void *arg, const struct perf_event_header *h, const uint8_t *body, size_t len)
{
    ub *u = arg;
    if (h->type == PERF_RECORD_SAMPLE) {
        parse_sample(u, body, len);
    } else if (h->type == PERF_RECORD_LOST && len >= 16) {
        uint64_t id, lost;
        memcpy(&id, body, 8);
        memcpy(&lost, body + 8, 8);
        const uevent *e = ev_find(u, id);
        prec *p = pend_new(u);
        p->kind = CD_REC_DROPPED;
        p->probe = e ? e->probe : UINT32_MAX;
        p->dropped = lost;
        /* where they were lost: after what this ring held before */
        p->ts = u->npend > 1 ? u->pend[u->npend - 2].ts : 0;
        if (e)
            u->drops[e->probe] += lost;
    }
}

/* Copies every record out of every ring into the pending list. */
static void drain(ub *u)
{
    for (size_t i = 0; i < u->nrings; i++)
        cd_perf_ring_drain(&u->rings[i].r, on_record, u);
}

static int prec_cmp(const void *a, const void *b)
{
    const prec *x = a, *y = b;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hands pending records up to `upto` (all when final) to the sink, oldest first. */
static int deliver(ub *u, bool final, uint64_t upto, cd_trace_sink sink, void *arg, cd_err *err)
{
    if (!u->npend)
        return 0;
    qsort(u->pend, u->npend, sizeof *u->pend, prec_cmp);
    size_t n = 0;
    int rc = 0;
    for (; n < u->npend; n++) {
        prec *p = &u->pend[n];
        if (!final && p->ts + HOLD_NS > upto)
            break;
        cd_trace_rec r = {.kind = p->kind, .probe = p->probe, .tid = p->tid, .ts_ns = p->ts, .regs = p->regs,
                          .stack_addr = p->stack_addr, .stack = u->pool + p->off, .stack_len = p->stack_len,
                          .dropped = p->dropped};
        int s = sink(arg, &r);
        if (s < 0) {
            rc = cd_fail(err, CD_EXIT_CMD, "trace: writing the events failed");
            n++;
            break;
        }
        if (s > 0) {
            n = u->npend; /* the consumer has had enough */
            break;
        }
    }
    size_t left = u->npend - n;
    if (left) {
        /* keep the rest, with their stack bytes moved to the pool's start */
        memmove(u->pend, u->pend + n, left * sizeof *u->pend);
        /* only records with stack bytes pin the pool (a return's or a drop's off means nothing) */
        size_t lo = u->pool_len;
        for (size_t i = 0; i < left; i++)
            if (u->pend[i].stack_len && u->pend[i].off < lo)
                lo = u->pend[i].off;
        if (u->pool_len > lo)
            memmove(u->pool, u->pool + lo, u->pool_len - lo);
        for (size_t i = 0; i < left; i++)
            u->pend[i].off = u->pend[i].stack_len ? u->pend[i].off - lo : 0;
        u->pool_len -= lo;
    } else {
        u->pool_len = 0;
    }
    u->npend = left;
    return rc < 0 ? -1 : (int)n;
}

static int up_poll(cd_trace_backend *b, int timeout_ms, cd_trace_sink sink, void *arg, cd_err *err)
{
    ub *u = b->priv;
    if (u->disarmed) {
        int n = deliver(u, true, 0, sink, arg, err);
        return n;
    }
    if (!u->armed)
        return 0;
    struct pollfd pf[256];
    size_t np = u->nrings < 256 ? u->nrings : 256;
    for (size_t i = 0; i < np; i++)
        pf[i] = (struct pollfd){.fd = u->rings[i].r.fd, .events = POLLIN};
    /* never sleep longer than the hold: held records must come out */
    int to = timeout_ms;
    if (u->npend && (to < 0 || to > 25))
        to = 25;
    if (to < 0 || to > 200)
        to = 200;
    bool any = false;
    for (size_t i = 0; i < u->nrings; i++)
        any |= cd_perf_ring_pending(&u->rings[i].r) != 0;
    if (!any)
        poll(pf, np, to);
    uint64_t t0 = now_mono();
    drain(u);
    bool gone = false;
    if (!u->npend || u->pend[u->npend - 1].ts + HOLD_NS > t0)
        gone = cd_procfs_process_gone(u->pid);
    if (gone)
        drain(u); /* what the last moments wrote */
    int n = deliver(u, gone, t0, sink, arg, err);
    if (n < 0)
        return -1;
    if (gone && !u->npend && n == 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "process %d has ended", (int)u->pid);
    return n;
}

static void close_all(ub *u)
{
    for (size_t i = 0; i < u->nrings; i++)
        cd_perf_ring_unmap(&u->rings[i].r);
    for (size_t i = 0; i < u->nev; i++)
        close(u->ev[i].fd);
    free(u->rings);
    u->rings = NULL;
    u->nrings = 0;
    u->nev = 0;
}

static int up_disarm(cd_trace_backend *b, cd_err *err)
{
    (void)err;
    ub *u = b->priv;
    if (u->disarmed)
        return 0;
    for (size_t i = 0; i < u->nev; i++)
        ioctl(u->ev[i].fd, PERF_EVENT_IOC_DISABLE, 0);
    drain(u);
    /* The kernel's count of hits (an inherited event's read adds its threads' counts) against the
     * samples read: the ring's last losses have no PERF_RECORD_LOST yet when it stops. */
    uint64_t *kc = cd_xcalloc(u->nprobes + 1, sizeof *kc);
    for (size_t i = 0; i < u->nev; i++) {
        uint64_t c = 0;
        if (!u->ev[i].ret && read(u->ev[i].fd, &c, sizeof c) == (ssize_t)sizeof c)
            kc[u->ev[i].probe] += c;
    }
    for (size_t p = 0; p < u->nprobes; p++) {
        uint64_t seen = u->hits[p] + u->drops[p] + (u->early ? u->early[p] : 0);
        if (kc[p] <= seen)
            continue;
        prec *r = pend_new(u);
        r->kind = CD_REC_DROPPED;
        r->probe = (uint32_t)p;
        r->dropped = kc[p] - seen;
        r->ts = UINT64_MAX; /* after everything delivered */
        u->drops[p] += r->dropped;
    }
    free(kc);
    /* the probes leave the program when the last reference to their events goes: the mappings too */
    close_all(u);
    tp_undefine(u);
    u->disarmed = true;
    return 0;
}

static void up_counts(cd_trace_backend *b, uint32_t id, uint64_t *hits, uint64_t *dropped)
{
    ub *u = b->priv;
    *hits = id < u->nprobes ? u->hits[id] + u->drops[id] : 0; /* every hit, recorded or lost */
    *dropped = id < u->nprobes ? u->drops[id] : 0;
}

static void up_emergency(cd_trace_backend *b)
{
    /* Nothing to do: the kernel removes the probes when cdbg's descriptors close at its death. */
    (void)b;
}

static void up_free(cd_trace_backend *b)
{
    if (!b)
        return;
    ub *u = b->priv;
    close_all(u);
    tp_undefine(u);
    free(u->tracefs);
    free(u->tp_entry);
    free(u->tp_ret);
    free(u->defined);
    for (size_t i = 0; i < u->nprobes; i++)
        free(u->paths[i]);
    free(u->paths);
    free(u->probes);
    free(u->hits);
    free(u->drops);
    free(u->early);
    free(u->ev);
    free(u->pend);
    free(u->pool);
    free(u);
    free(b);
}

static int up_arm_sorted(cd_trace_backend *b, cd_err *err)
{
    ub *u = b->priv;
    if (up_arm(b, err) < 0) {
        close_all(u);
        tp_undefine(u);
        return -1;
    }
    qsort(u->ev, u->nev, sizeof *u->ev, ev_cmp);
    return 0;
}

static const cd_trace_backend_ops up_ops = {
    .name = "uprobe",
    .check = up_check,
    .add = up_add,
    .arm = up_arm_sorted,
    .poll = up_poll,
    .disarm = up_disarm,
    .counts = up_counts,
    .emergency = up_emergency,
    .free = up_free,
};

cd_trace_backend *cd_tb_uprobe_new(const cd_trace_env *env, cd_err *err)
{
    int pmu, bit = 0;
    if (read_int_file("/sys/bus/event_source/devices/uprobe/type", &pmu) < 0) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                 "uprobe: this kernel has no uprobe PMU (/sys/bus/event_source/devices/uprobe/type); it needs "
                 "CONFIG_UPROBE_EVENTS and Linux 4.17 or later");
        return NULL;
    }
    FILE *f = fopen("/sys/bus/event_source/devices/uprobe/format/retprobe", "r");
    if (f) {
        if (fscanf(f, "config:%d", &bit) != 1)
            bit = 0;
        fclose(f);
    }
    cd_trace_backend *b = cd_xcalloc(1, sizeof *b);
    ub *u = cd_xcalloc(1, sizeof *u);
    u->pmu = pmu;
    u->retbit = bit;
    u->pid = env->pid;
    size_t want = env->buffer_size ? env->buffer_size : default_ring();
    size_t size = 8 * (size_t)sysconf(_SC_PAGESIZE);
    while (size < want && size < ((size_t)1 << 30))
        size *= 2;
    u->ring_size = size;
    u->tracefs = find_tracefs();
    if (u->tracefs)
        remove_stale(u->tracefs);
    b->ops = &up_ops;
    b->env = *env;
    b->priv = u;
    return b;
}
