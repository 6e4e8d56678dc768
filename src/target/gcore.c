/* gcore: an ELF core of a live process, with the shortest pause we can manage.
 *
 * The order is what keeps the pause short: everything that needs no stop (smaps, coredump_filter,
 * auxv, psinfo, ELF magic of file mappings, the temporary file) comes first; then every thread is
 * held just long enough to copy its registers and to run one injected clone() that makes a
 * copy-on-write child of the process; the threads then run on while memory is copied from the
 * child, which is itself never resumed (auto-attached by the live backend's PTRACE_O_TRACECLONE,
 * it stays in its first ptrace-stop: it runs no instruction at all). The clone has no exit signal,
 * so the target gets no SIGCHLD; the child is killed, its exit taken by us (its tracer) and then
 * reaped from inside the target with an injected wait4(child, __WALL), so it leaves no zombie. */
#include "target/target.h"
#include "target/patchmap.h"
#include "target/procfs.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/procfs.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096ull
#define CHUNK (1u << 20)
#define XSTATE_MAX 16384
/* The exit status of a snapshot child that a dying cdbg had to let go: it runs exit_group(113)
 * and nothing else (docs/gcore.md). */
#define CHILD_EXIT 113

/* coredump_filter bits (man 5 core) */
enum {
    F_ANON_PRIVATE = 1, F_ANON_SHARED = 2, F_MAPPED_PRIVATE = 4, F_MAPPED_SHARED = 8,
    F_ELF_HEADERS = 16, F_HUGETLB_PRIVATE = 32, F_HUGETLB_SHARED = 64,
};

ssize_t cd_target_get_regset(cd_target *t, cd_thread *th, unsigned type, void *buf, size_t len, cd_err *err)
{
    if (!t->ops->get_regset)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot read register set 0x%x: the %s target has none",
                        type, t->ops->kind);
    return t->ops->get_regset(t, th, type, buf, len, err);
}

/* ---- the address space, from /proc/PID/smaps ---- */

typedef struct gmap {
    uint64_t start, end, offset;
    int prot;
    bool shared;
    char *path;           /* NULL: anonymous */
    bool dd, io, ht, dc, wf; /* VmFlags: dontdump, I/O, hugetlb, dontcopy (DONTFORK), wipeonfork */
    uint64_t anon_kb;     /* "Anonymous:": pages written (the kernel's anon_vma, as gdb reads it) */
    bool elf;             /* starts with an ELF header (file mappings at offset 0) */
    uint64_t dump;        /* bytes of it the core carries, from start */
    uint64_t file_off;    /* where they go */
} gmap;

static void free_maps(gmap *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(m[i].path);
    free(m);
}

static int parse_smaps(const char *s, gmap **out, size_t *nout)
{
    gmap *v = NULL;
    size_t n = 0, cap = 0;
    while (*s) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        unsigned long long a, b, off;
        char perms[5];
        int pos = 0;
        if (sscanf(s, "%llx-%llx %4s %llx %*x:%*x %*u%n", &a, &b, perms, &off, &pos) == 4 && pos > 0 &&
            (size_t)pos <= len) {
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                v = cd_xrealloc(v, cap * sizeof *v);
            }
            gmap *m = &v[n++];
            memset(m, 0, sizeof *m);
            m->start = a, m->end = b, m->offset = off;
            m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
                      (perms[2] == 'x' ? PROT_EXEC : 0);
            m->shared = perms[3] == 's';
            const char *p = s + pos;
            while (p < s + len && *p == ' ')
                p++;
            if (p < s + len) {
                m->path = cd_xmalloc((size_t)(s + len - p) + 1);
                memcpy(m->path, p, (size_t)(s + len - p));
                m->path[s + len - p] = 0;
            }
        } else if (n > 0 && !strncmp(s, "Anonymous:", 10)) {
            v[n - 1].anon_kb = strtoull(s + 10, NULL, 10);
        } else if (n > 0 && !strncmp(s, "VmFlags:", 8)) {
            gmap *m = &v[n - 1];
            for (const char *p = s + 8; p + 1 < s + len; p++) {
                if (p[-1] != ' ' || p[0] == ' ')
                    continue;
                if (p + 2 <= s + len && (p + 2 == s + len || p[2] == ' ')) {
                    if (!strncmp(p, "dd", 2)) m->dd = true;
                    else if (!strncmp(p, "io", 2)) m->io = true;
                    else if (!strncmp(p, "ht", 2)) m->ht = true;
                    else if (!strncmp(p, "dc", 2)) m->dc = true;
                    else if (!strncmp(p, "wf", 2)) m->wf = true;
                }
            }
        }
        s += len + (eol ? 1 : 0);
    }
    *out = v;
    *nout = n;
    return 0;
}

static bool is_file(const gmap *m) { return m->path && m->path[0] == '/'; }

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* How much of m the kernel would dump (fs/coredump.c vma_dump_size), decided from what smaps
 * shows: "Anonymous:" > 0 stands for the vma's anon_vma, " (deleted)" for an unlinked (shmem)
 * file. VM_IO mappings are never read (device memory: a read can have side effects). */
static uint64_t dump_size(const gmap *m, unsigned filter, bool all)
{
    uint64_t size = m->end - m->start;
    bool touched = m->anon_kb > 0;
    if (m->io)
        return 0;
    if (!(m->prot & PROT_READ) && !touched)
        return 0; /* guard pages and PROT_NONE reservations: nothing was ever there */
    if (all)
        return size;
    if (m->dd)
        return 0;
    if (m->ht)
        return (filter & (m->shared ? F_HUGETLB_SHARED : F_HUGETLB_PRIVATE)) ? size : 0;
    if (m->shared) {
        bool anon = !is_file(m) || ends_with(m->path, " (deleted)");
        return (filter & (anon ? F_ANON_SHARED : F_MAPPED_SHARED)) ? size : 0;
    }
    if ((touched || !is_file(m)) && (filter & F_ANON_PRIVATE))
        return size;
    if (!is_file(m))
        return 0;
    if (filter & F_MAPPED_PRIVATE)
        return size;
    /* the first page of an ELF file (its build-id note), as the kernel does */
    if ((filter & F_ELF_HEADERS) && m->offset == 0 && (m->prot & PROT_READ) && m->elf)
        return PAGE < size ? PAGE : size;
    return 0;
}

/* ---- a growable byte buffer for the notes ---- */

typedef struct bbuf {
    unsigned char *p;
    size_t len, cap;
} bbuf;

static void bb_put(bbuf *b, const void *d, size_t n)
{
    if (b->len + n + 8 > b->cap) {
        b->cap = (b->len + n + 8) * 2;
        b->p = cd_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
    while (b->len % 4)
        b->p[b->len++] = 0;
}

static void note(bbuf *b, const char *name, uint32_t type, const void *desc, size_t n)
{
    Elf64_Nhdr h = {.n_namesz = (Elf64_Word)strlen(name) + 1, .n_descsz = (Elf64_Word)n, .n_type = type};
    bb_put(b, &h, sizeof h);
    bb_put(b, name, h.n_namesz);
    bb_put(b, desc, n);
}

/* ---- per-thread state taken while held ---- */

typedef struct gthr {
    pid_t tid;
    cd_regs regs;
    struct user_fpregs_struct fp;
    bool fp_ok;
    unsigned char *xstate;
    size_t xstate_len;
} gthr;

typedef struct gctx {
    cd_target *t;
    const cd_gcore_opts *o;
    gmap *maps;
    size_t nmaps;
    char *auxv;
    size_t auxv_len;
    struct elf_prpsinfo ps;
    gthr *th;
    size_t nth;
    pid_t child;          /* the snapshot, 0 when memory comes from the process itself */
    pid_t child_ns;       /* its PID as the target sees it (another number in a PID namespace):
                             for the wait4 the target runs; kill and ptrace take `child` */
    bool direct;          /* the snapshot is the target's child (make_snapshot), to be reaped */
    cd_thread *reaper;    /* the thread that reaps it */
    bool ended;           /* an injected system call found the process gone (killed meanwhile) */
    int child_mem;        /* /proc/CHILD/mem, for pages process_vm_readv refuses */
    unsigned char *buf;
    int fd, dirfd;
    char *dir, *base, *tmpname;
    uint64_t *sites;      /* program addresses another cdbg's patch pages say it patched */
    size_t nsites;
    cd_target em; /* registered for cd_emergency_cleanup(): see em_cleanup() */
} gctx;

/* cdbg killed by a signal mid-dump (its fatal-signal handler runs cd_emergency_cleanup): the
 * snapshot child is killed and the partial file removed, with async-signal-safe calls only. */
static void em_cleanup(cd_target *t)
{
    gctx *g = t->backend;
    if (g->child > 0)
        kill(g->child, SIGKILL);
    if (g->tmpname && g->dirfd >= 0)
        unlinkat(g->dirfd, g->tmpname, 0);
}
static const cd_target_ops em_ops = {.kind = "gcore", .emergency = em_cleanup};

/* ---- SIGTERM, SIGINT, SIGHUP, SIGQUIT: taken when it is safe ----
 *
 * cdbg's fatal-signal handler detaches at once, wherever the dump is: in the middle of an injected
 * clone() the thread would run on from the vdso with the system call's registers (a SIGSEGV in the
 * target), and a snapshot child let go then is a zombie the target never reaps. While cd_gcore
 * runs these signals only set stop_sig; the dump checks it between its steps (never inside an
 * injected system call) and unwinds as for any failure: registers and memory are the program's
 * again, the snapshot is ended and reaped, the temporary file removed, the threads released. Then
 * the signal is raised again with the caller's handler in place, which ends cdbg as before. */
static volatile sig_atomic_t stop_sig;
static const int defer_sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
#define NDEFER (sizeof defer_sigs / sizeof defer_sigs[0])

static void on_stop_sig(int sig)
{
    if (!stop_sig)
        stop_sig = sig;
}

static void defer_begin(struct sigaction *old)
{
    stop_sig = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_sig;
    sa.sa_flags = SA_RESTART; /* the backend's waits must not see EINTR */
    sigfillset(&sa.sa_mask);
    for (size_t i = 0; i < NDEFER; i++)
        sigaction(defer_sigs[i], &sa, &old[i]);
}

static void defer_end(const struct sigaction *old)
{
    for (size_t i = 0; i < NDEFER; i++)
        sigaction(defer_sigs[i], &old[i], NULL);
    int sig = stop_sig;
    stop_sig = 0;
    if (sig)
        raise(sig); /* the caller's handler: the fatal one exits, SIGINT's marks the interrupt */
}

static int interrupted(cd_err *err)
{
    int sig = stop_sig;
    if (!sig)
        return 0;
    return cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER,
                    "the core was not written: interrupted by %s; the process was released unchanged",
                    sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP" : sig == SIGQUIT ? "SIGQUIT" : "SIGTERM");
}

/* tests/integration/gcore/signals.sh: CDBG_TEST_GCORE_WAIT=PHASE makes cdbg announce PHASE on
 * stderr there and wait for a signal, so a test can send one at each step without timing. */
static void test_phase(const char *phase)
{
    const char *want = getenv("CDBG_TEST_GCORE_WAIT");
    if (!want || strcmp(want, phase))
        return;
    fprintf(stderr, "gcore: test: waiting at %s\n", phase);
    fflush(stderr);
    while (!stop_sig) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void patched_fix(gctx *g, const gmap *m, uint64_t addr, unsigned char *buf, size_t len);

/* ---- reading memory for the dump ---- */

/* Fills buf with [addr, addr+len) of the snapshot child or of the target, zeros where unreadable
 * (as the kernel leaves a hole). */
static void read_span(gctx *g, bool from_child, uint64_t addr, unsigned char *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r;
        if (from_child) {
            struct iovec lo = {buf + done, len - done}, re = {(void *)(uintptr_t)(addr + done), len - done};
            r = process_vm_readv(g->child, &lo, 1, &re, 1, 0);
            if (r <= 0 && g->child_mem >= 0)
                r = pread(g->child_mem, buf + done, len - done, (off_t)(addr + done));
        } else {
            r = cd_target_read(g->t, addr + done, buf + done, len - done);
        }
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        /* skip the unreadable page */
        size_t skip = (size_t)(PAGE - ((addr + done) & (PAGE - 1)));
        if (skip > len - done)
            skip = len - done;
        memset(buf + done, 0, skip);
        done += skip;
    }
}

static int write_all(int fd, const void *p, size_t n, off_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = ENOSPC;
            return -1;
        }
        p = (const char *)p + w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

static int write_loads(gctx *g, cd_err *err)
{
    bool stalled = false, copying = false;
    for (size_t i = 0; i < g->nmaps; i++) {
        gmap *m = &g->maps[i];
        /* Code comes from the process itself: its reads give the original bytes under cdbg's
         * breakpoints. DONTFORK and WIPEONFORK regions are missing or zero in the child. */
        bool from_child = g->child > 0 && !(m->prot & PROT_EXEC) && !m->dc && !m->wf;
        for (uint64_t a = 0; a < m->dump; a += CHUNK) {
            size_t n = m->dump - a < CHUNK ? (size_t)(m->dump - a) : CHUNK;
            read_span(g, from_child, m->start + a, g->buf, n);
            if (m->prot & PROT_EXEC)
                patched_fix(g, m, m->start + a, g->buf, n);
            if (write_all(g->fd, g->buf, n, (off_t)(m->file_off + a)) < 0)
                return cd_fail(err, CD_EXIT_CMD, "cannot write the core to %s: %s; the partial file was removed%s",
                               g->o->path, strerror(errno),
                               errno == ENOSPC || errno == EFBIG ? " (free some space or choose another FILE)" : "");
            if (!copying) {
                copying = true;
                test_phase(g->child > 0 ? "copying" : "copying-held");
            }
            if (interrupted(err) < 0)
                return -1;
            if (!stalled && getenv("CDBG_TEST_GCORE_STALL")) {
                /* tests/integration/gcore/killed.sh: cdbg stops itself mid-dump (after the
                 * target was resumed), so the test can kill it at a known point */
                stalled = true;
                raise(SIGSTOP);
            }
        }
    }
    return 0;
}

/* ---- what needs no stop ---- */

static char *slurp(pid_t pid, const char *leaf, size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, leaf);
    return cd_read_file(path, len);
}

static void read_psinfo(gctx *g)
{
    pid_t pid = g->t->pid;
    struct elf_prpsinfo *ps = &g->ps;
    memset(ps, 0, sizeof *ps);
    ps->pr_pid = pid;
    char *s = slurp(pid, "stat", NULL);
    if (s) {
        char *rp = strrchr(s, ')'), *lp = strchr(s, '(');
        if (lp && rp && rp > lp) {
            snprintf(ps->pr_fname, sizeof ps->pr_fname, "%.*s", (int)(rp - lp - 1), lp + 1);
            char st = 0;
            int ppid = 0, pgrp = 0, sid = 0;
            unsigned flags = 0;
            long nice = 0;
            if (sscanf(rp + 1, " %c %d %d %d %*d %*d %u %*u %*u %*u %*u %*u %*u %*d %*d %*d %ld", &st, &ppid, &pgrp,
                       &sid, &flags, &nice) >= 5) {
                ps->pr_sname = st;
                const char *states = "RSDTZW";
                const char *p = strchr(states, st);
                ps->pr_state = p ? (char)(p - states) : 0;
                ps->pr_zomb = st == 'Z';
                ps->pr_nice = (char)nice;
                ps->pr_flag = flags;
                ps->pr_ppid = ppid, ps->pr_pgrp = pgrp, ps->pr_sid = sid;
            }
        }
        free(s);
    }
    s = slurp(pid, "status", NULL);
    if (s) {
        const char *u = strstr(s, "\nUid:"), *gi = strstr(s, "\nGid:");
        if (u)
            sscanf(u + 5, "%u", &ps->pr_uid);
        if (gi)
            sscanf(gi + 5, "%u", &ps->pr_gid);
        free(s);
    }
    size_t n = 0;
    s = slurp(pid, "cmdline", &n);
    if (s) {
        if (n > sizeof ps->pr_psargs - 1)
            n = sizeof ps->pr_psargs - 1;
        for (size_t i = 0; i < n; i++)
            ps->pr_psargs[i] = s[i] ? s[i] : ' ';
        while (n > 0 && ps->pr_psargs[n - 1] == ' ')
            ps->pr_psargs[--n] = 0;
        free(s);
    }
}

/* ---- code patched by another cdbg ----
 *
 * cd_target_read hides this session's own breakpoints and patches, not another cdbg's: a
 * tracepoint of `cdbg trace -p` (an inline jmp into its trampolines) would be in the core as the
 * program's code. Such code pages describe themselves (target/patchmap.h): every 64 KB patch span
 * lists, per relocated instruction, the program address it stands for. The jmp is written over the
 * first of them, and the displaced instructions are the following ones; the core gets the file's
 * bytes there instead (patched_fix). */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void find_patched_sites(gctx *g)
{
    size_t cap = 0;
    for (size_t i = 0; i < g->nmaps; i++) {
        gmap *m = &g->maps[i];
        if (is_file(m) || !(m->prot & PROT_EXEC))
            continue;
        for (uint64_t base = (m->start + CD_PP_SPAN - 1) & ~(CD_PP_SPAN - 1); base + CD_PP_SPAN <= m->end;
             base += CD_PP_SPAN) {
            cd_pp_head h;
            if (cd_target_read(g->t, base + CD_PP_HDR_OFF, &h, sizeof h) != (ssize_t)sizeof h ||
                h.magic != CD_PP_MAGIC || h.version != CD_PP_VERSION || h.n > CD_PP_CAP)
                continue;
            cd_pp_entry *e = cd_xcalloc(h.n ? h.n : 1, sizeof *e);
            ssize_t want = (ssize_t)(h.n * sizeof *e);
            if (cd_target_read(g->t, base + CD_PP_HDR_OFF + CD_PP_HEAD, e, (size_t)want) == want) {
                for (uint32_t k = 0; k < h.n; k++) {
                    if (e[k].kind != CD_PP_CODE || !e[k].orig)
                        continue;
                    if (g->nsites == cap) {
                        cap = cap ? 2 * cap : 64;
                        g->sites = cd_xrealloc(g->sites, cap * sizeof *g->sites);
                    }
                    g->sites[g->nsites++] = e[k].orig;
                }
            }
            free(e);
        }
    }
    if (g->nsites)
        qsort(g->sites, g->nsites, sizeof *g->sites, cmp_u64);
}

/* buf holds [addr, addr+len) of file mapping m: the bytes at every patched site (an instruction is
 * at most 15 bytes; the jmp 5) are put back from the file. */
static void patched_fix(gctx *g, const gmap *m, uint64_t addr, unsigned char *buf, size_t len)
{
    if (!g->nsites || !is_file(m))
        return;
    int fd = -1;
    for (size_t k = 0; k < g->nsites; k++) {
        uint64_t a = g->sites[k];
        if (a < addr || a >= addr + len || a < m->start)
            continue;
        if (fd < 0 && (fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
            return; /* " (deleted)" or unreadable: the memory's bytes stay */
        size_t n = addr + len - a < 15 ? (size_t)(addr + len - a) : 15;
        unsigned char f[15];
        if (pread(fd, f, n, (off_t)(m->offset + (a - m->start))) == (ssize_t)n)
            memcpy(buf + (a - addr), f, n);
    }
    if (fd >= 0)
        close(fd);
}

/* A `syscall` instruction in the vdso, found before the pause so the injection reads nothing. */
static void find_syscall_insn(gctx *g)
{
    if (g->t->syscall_insn)
        return;
    for (size_t i = 0; i < g->nmaps; i++) {
        gmap *m = &g->maps[i];
        if (!m->path || strcmp(m->path, "[vdso]") || !(m->prot & PROT_EXEC) || m->end - m->start > (1u << 20))
            continue;
        size_t n = (size_t)(m->end - m->start);
        unsigned char *b = cd_xmalloc(n);
        ssize_t r = cd_target_read(g->t, m->start, b, n);
        for (ssize_t k = 0; k + 1 < r; k++)
            if (b[k] == 0x0f && b[k + 1] == 0x05) {
                g->t->syscall_insn = m->start + (uint64_t)k;
                break;
            }
        free(b);
    }
}

static int prepare(gctx *g, cd_err *err)
{
    pid_t pid = g->t->pid;
    char *s = slurp(pid, "smaps", NULL);
    if (!s)
        return cd_failk(err, CD_EXIT_CMD, errno == ENOENT || errno == ESRCH ? CD_EK_EXITED : CD_EK_PERMISSION,
                        "cannot read /proc/%d/smaps: %s", (int)pid, strerror(errno));
    parse_smaps(s, &g->maps, &g->nmaps);
    free(s);
    unsigned filter = 0x33;
    s = slurp(pid, "coredump_filter", NULL);
    if (s) {
        filter = (unsigned)strtoul(s, NULL, 16);
        free(s);
    }
    for (size_t i = 0; i < g->nmaps; i++) {
        gmap *m = &g->maps[i];
        unsigned char magic[4];
        if (is_file(m) && m->offset == 0 && (m->prot & PROT_READ) && cd_target_read(g->t, m->start, magic, 4) == 4)
            m->elf = !memcmp(magic, ELFMAG, SELFMAG);
        m->dump = dump_size(m, filter, g->o->all);
    }
    find_patched_sites(g);
    g->auxv = slurp(pid, "auxv", &g->auxv_len);
    read_psinfo(g);
    if (g->o->snapshot)
        find_syscall_insn(g);
    return 0;
}

/* ---- the file: created 0600 beside FILE, renamed over it when complete ---- */

static int open_tmp(gctx *g, cd_err *err)
{
    const char *path = g->o->path;
    const char *slash = strrchr(path, '/');
    g->dir = slash ? (slash == path ? cd_xstrdup("/") : cd_xasprintf("%.*s", (int)(slash - path), path)) : cd_xstrdup(".");
    g->base = cd_xstrdup(slash ? slash + 1 : path);
    if (!g->base[0])
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "cannot write a core to '%s': it names a directory; give a file name",
                        path);
    g->dirfd = open(g->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (g->dirfd < 0)
        return cd_failk(err, CD_EXIT_CMD, errno == EACCES ? CD_EK_PERMISSION : CD_EK_NOT_FOUND,
                        "cannot write a core in directory %s: %s", g->dir, strerror(errno));
    struct stat st;
    if (fstatat(g->dirfd, g->base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "cannot write a core to %s: it is a directory; give a file name",
                            path);
        /* --force renames the new core over FILE: over a device node or a FIFO (-o /dev/null) that
         * would replace the node itself with a regular file, for every program on the machine */
        if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                            "cannot write a core to %s: it is a %s, not a regular file (--force replaces only a file or "
                            "a symbolic link); give a file name",
                            path, S_ISCHR(st.st_mode) ? "character device" : S_ISBLK(st.st_mode) ? "block device"
                                                      : S_ISFIFO(st.st_mode) ? "FIFO" : "socket");
        if (!g->o->force)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                            "cannot write a core to %s: %s already exists; remove it, choose another FILE or give "
                            "--force to replace it",
                            path, S_ISLNK(st.st_mode) ? "a symbolic link" : "a file");
    }
    /* Unnamed until complete (O_TMPFILE): a cdbg killed by SIGKILL leaves no partial file behind.
     * Where the file system has no O_TMPFILE, a named temporary file, removed by every other end. */
    g->fd = openat(g->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
    for (int i = 0; g->fd < 0 && i < 100; i++) {
        char *tn = g->tmpname;
        g->tmpname = cd_xasprintf(".%s.cdbg-%d-%d.tmp", g->base, (int)getpid(), i);
        free(tn);
        g->fd = openat(g->dirfd, g->tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (g->fd >= 0 || errno != EEXIST)
            break;
    }
    if (g->fd < 0)
        return cd_failk(err, CD_EXIT_CMD, errno == EACCES || errno == EPERM || errno == EROFS ? CD_EK_PERMISSION : CD_EK_OTHER,
                        "cannot create a core file in %s: %s", g->dir, strerror(errno));
    fchmod(g->fd, 0600); /* the umask may only have taken bits away; make it exactly 0600 */
    return 0;
}

/* The complete file gets its temporary name (an O_TMPFILE one had none), for the rename. */
static int name_tmp(gctx *g, cd_err *err)
{
    if (g->tmpname)
        return 0;
    char fdpath[64];
    snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", g->fd);
    for (int i = 0; i < 100; i++) {
        char *tn = cd_xasprintf(".%s.cdbg-%d-%d.tmp", g->base, (int)getpid(), i);
        /* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link works for anyone */
        int r = linkat(g->fd, "", g->dirfd, tn, AT_EMPTY_PATH);
        if (r < 0 && errno != EEXIST)
            r = linkat(AT_FDCWD, fdpath, g->dirfd, tn, AT_SYMLINK_FOLLOW);
        if (r == 0) {
            g->tmpname = tn; /* now em_cleanup() removes it */
            return 0;
        }
        free(tn);
        if (errno != EEXIST)
            break;
    }
    return cd_fail(err, CD_EXIT_CMD, "cannot write the core to %s: cannot give it a name in %s: %s", g->o->path,
                   g->dir, strerror(errno));
}

static void drop_tmp(gctx *g)
{
    if (g->fd >= 0) {
        close(g->fd);
        g->fd = -1;
    }
    if (g->tmpname && g->dirfd >= 0)
        unlinkat(g->dirfd, g->tmpname, 0);
}

/* ---- registers, while held ---- */

/* The size of the NT_X86_XSTATE note. The kernel's buffer is as large as the CPU's XSAVE layout
 * (PTRACE_GETREGSET, CPUID 0xd), but gdb (13 and older, and later ones without a layout note)
 * reads the components at Intel's fixed offsets and refuses a note shorter than they reach for
 * the features enabled in XCR0 (kept by the kernel in the buffer's software-reserved bytes,
 * offset 464): on AMD CPUs with AVX-512, 0x980 bytes where gdb wants 0xa80 ("Section
 * `.reg-xstate/TID' in core file too small"). The note is padded with zeros to that size, as
 * gdb's own gcore writes it: the same bytes at the same offsets, so gdb reads from the core what
 * it reads from the live process. */
static size_t xstate_note_len(const unsigned char *xs, size_t n)
{
    uint64_t xcr0 = 0;
    if (n >= 472)
        memcpy(&xcr0, xs + 464, 8);
    size_t want = 576;                          /* x87 + SSE */
    if (xcr0 & (1u << 9))
        want = 2696;                            /* ... + PKRU */
    else if (xcr0 & (7u << 5))
        want = 2688;                            /* ... + AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) */
    else if (xcr0 & (3u << 3))
        want = 1088;                            /* ... + MPX */
    else if (xcr0 & (1u << 2))
        want = 832;                             /* ... + AVX */
    return n > want ? n : want;
}

static int take_threads(gctx *g, cd_err *err)
{
    cd_target *t = g->t;
    g->th = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *g->th);
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        if (th->gone || !th->held)
            continue;
        gthr *x = &g->th[g->nth];
        cd_err e = {0};
        if (t->ops->get_regs(t, th, &x->regs, &e) < 0) {
            if (e.kind == CD_EK_THREAD_GONE)
                continue;
            if (err)
                *err = e;
            return -1;
        }
        x->tid = th->tid;
        x->fp_ok = t->ops->get_fpregs(t, th, &x->fp, NULL) == 0;
        unsigned char xs[XSTATE_MAX];
        ssize_t n = cd_target_get_regset(t, th, NT_X86_XSTATE, xs, sizeof xs, NULL);
        if (n > 0) {
            size_t len = xstate_note_len(xs, (size_t)n);
            x->xstate = cd_xcalloc(1, len);
            memcpy(x->xstate, xs, (size_t)n);
            x->xstate_len = len;
        }
        g->nth++;
    }
    if (g->nth == 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "cannot write a core of process %d: no thread could be stopped",
                        (int)t->pid);
    return 0;
}

/* ---- the snapshot child ---- */

static void ms_sleep(long ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* The exit of process c (listed as one of t's threads) is taken: we are its tracer, it comes to
 * us first and the backend takes it. */
static void wait_gone(gctx *g, pid_t c)
{
    cd_target *t = g->t;
    cd_thread *ct = cd_target_find_thread(t, c);
    for (int i = 0; ct && !ct->gone && i < 5000; i++) {
        cd_err e = {0};
        if (t->ops->check_alive(t, 0, &e) < 0)
            break;
        if (!ct->gone)
            ms_sleep(1);
    }
}

/* Kills c, a child of the target that the target itself must reap (a clone has no exit signal: no
 * SIGCHLD, but a zombie until waited for): reaped by an injected wait4(c_ns, __WALL) in the held
 * thread reaper. */
static void reap_child(gctx *g, pid_t c, pid_t c_ns, cd_thread *reaper)
{
    cd_target *t = g->t;
    kill(c, SIGKILL);
    wait_gone(g, c);
    for (int i = 0; i < 200 && reaper->held && !reaper->gone; i++) {
        uint64_t args[6] = {(uint64_t)(c_ns ? c_ns : c), 0, (uint64_t)(__WALL | WNOHANG), 0, 0, 0};
        int64_t ret = 0;
        cd_err e = {0};
        if (cd_target_inject_syscall(t, reaper, SYS_wait4, args, &ret, &e) < 0 || ret != 0)
            break;
        ms_sleep(1); /* not a zombie for its parent yet */
    }
}

/* Runs clone(flags) (exit signal 0) in held thread in. Returns the new process, held by us and
 * parked on exit_group(CHILD_EXIT) (never run), with its PID as the target sees it in *ns; NULL
 * with why set. */
static cd_thread *clone_in(gctx *g, cd_thread *in, uint64_t flags, pid_t *ns, char *why, size_t whylen)
{
    cd_target *t = g->t;
    uint64_t args[6] = {flags, 0, 0, 0, 0, 0};
    int64_t ret = 0;
    cd_err e = {0};
    size_t before = t->nthreads;
    *ns = 0;
    if (cd_target_inject_syscall(t, in, SYS_clone, args, &ret, &e) < 0) {
        g->ended |= e.kind == CD_EK_EXITED;
        snprintf(why, whylen, "%.159s", e.msg);
        return NULL;
    }
    if (ret <= 0) {
        snprintf(why, whylen, "the process could not fork: %s", strerror((int)-ret));
        return NULL;
    }
    /* clone returns the child's PID in the target's PID namespace; in a container that is not
     * the number kill, ptrace and /proc take here (and killing it would hit another process).
     * The backend traced the child (PTRACE_O_TRACECLONE) and listed it under its host PID: the
     * thread that appeared during our system call whose innermost NSpid is that number. */
    *ns = (pid_t)ret;
    cd_thread *ct = NULL;
    for (size_t i = before; i < t->nthreads && !ct; i++) {
        pid_t h = t->threads[i]->tid;
        if (h == *ns || cd_procfs_read_ns_tid(h, h) == *ns)
            ct = t->threads[i];
    }
    if (!ct && !cd_procfs_other_pidns(t->pid))
        ct = cd_target_find_thread(t, *ns);
    if (!ct) {
        /* Not listed, and its host PID unknown: it cannot be killed by number safely. It runs
         * nothing (PTRACE_O_TRACECLONE holds it at its first stop) and dies with cdbg. */
        snprintf(why, whylen, "the snapshot process (%d in the target's PID namespace) was not found", (int)*ns);
        return NULL;
    }
    pid_t child = ct->tid;
    /* It must never run: it would go on from the instruction after our `syscall`, in the vdso. */
    if (!ct->held)
        cd_target_stop(t, &ct, 1, NULL);
    if (!ct->held) {
        snprintf(why, whylen, "the snapshot process %d was not held by the debugger", (int)child);
        return NULL;
    }
    /* Should cdbg die before it ends the child, the child must not go on as a copy of the
     * program: with PTRACE_O_EXITKILL our exit kills it, and a detach (the fatal-signal cleanup
     * releases every thread it holds) lets it run only exit_group(CHILD_EXIT). Its memory is
     * unchanged. */
    ptrace(PTRACE_SETOPTIONS, child, 0, (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE));
    cd_regs cr;
    if (t->ops->get_regs(t, ct, &cr, NULL) == 0) {
        cr.rip = t->syscall_insn;
        cr.rax = SYS_exit_group;
        cr.rdi = CHILD_EXIT;
        cr.orig_rax = (uint64_t)-1;
        t->ops->set_regs(t, ct, &cr, NULL);
    }
    return ct;
}

/* Would an orphan of the target's children be reparented to the target itself? It is so for the
 * init of a PID namespace and for a child subreaper (PR_SET_CHILD_SUBREAPER: tini, systemd...),
 * which /proc does not show: asked inside the target, the answer written below its red zone
 * (where a signal frame could go at any moment, so nothing of the program's lives there). */
static bool orphans_come_back(gctx *g, cd_thread *inj)
{
    cd_target *t = g->t;
    if (cd_procfs_read_ns_tid(t->pid, t->pid) == 1)
        return true;
    cd_regs r;
    if (t->ops->get_regs(t, inj, &r, NULL) < 0)
        return true;
    uint64_t at = (r.rsp - 512) & ~7ull;
    uint64_t args[6] = {PR_GET_CHILD_SUBREAPER, at, 0, 0, 0, 0};
    int64_t ret = -1;
    int v = 0;
    if (cd_target_inject_syscall(t, inj, SYS_prctl, args, &ret, NULL) < 0 || ret != 0 ||
        cd_target_read(t, at, &v, sizeof v) != (ssize_t)sizeof v)
        return true; /* unknown: the way that is safe for both */
    return v != 0;
}

/* The snapshot, made by held thread inj while every thread is held. Returns its pid (held by us,
 * never run), or 0 with why set.
 *
 * It is a grandchild: inj clones a middle process that shares the target's memory (CLONE_VM:
 * nothing copied), the middle one forks the snapshot (a copy-on-write copy of that memory, i.e.
 * of the target's), then the middle one is killed and reaped by the target before it runs on.
 * The snapshot's parent is then init (or the nearest subreaper), not the target: however cdbg
 * ends — even by SIGKILL, where PTRACE_O_EXITKILL kills the snapshot — the target is left with no
 * child, and init reaps the snapshot. Only a SIGKILL of cdbg during these few system calls can
 * leave the middle process as a zombie of the target (docs/gcore.md).
 *
 * When the orphan would come back to the target (it is an init or a subreaper), the snapshot is
 * its direct child instead, reaped by the target after the copy (end_snapshot). */
static pid_t make_snapshot(gctx *g, cd_thread *inj, char *why, size_t whylen)
{
    if (!g->t->syscall_insn) {
        snprintf(why, whylen, "no `syscall` instruction found in the vdso");
        return 0;
    }
    pid_t mid_ns = 0, snap_ns = 0;
    if (orphans_come_back(g, inj)) {
        cd_thread *snap = clone_in(g, inj, 0, &snap_ns, why, whylen);
        g->direct = snap != NULL;
        g->child_ns = snap_ns;
        return snap ? snap->tid : 0;
    }
    cd_thread *mid = clone_in(g, inj, CLONE_VM | CLONE_FS | CLONE_FILES, &mid_ns, why, whylen);
    if (!mid)
        return 0;
    pid_t mid_pid = mid->tid;
    cd_thread *snap = clone_in(g, mid, 0, &snap_ns, why, whylen);
    pid_t child = snap ? snap->tid : 0;
    reap_child(g, mid_pid, mid_ns, inj);
    return child;
}

/* Kills the snapshot: its exit comes to us, its tracer; its parent (init) reaps it, or the target
 * when it is the parent (g->direct), in an injected wait4 in reaper. Returns how long reaper was
 * held for that. */
static uint64_t end_snapshot(gctx *g, pid_t child)
{
    if (!g->direct) {
        kill(child, SIGKILL);
        wait_gone(g, child);
        return 0;
    }
    cd_target *t = g->t;
    cd_thread *reaper = g->reaper;
    uint64_t t0 = cd_now_ns();
    if (!reaper || reaper->gone) {
        kill(child, SIGKILL);
        return 0;
    }
    bool was_held = reaper->held;
    if (!was_held && (cd_target_stop(t, &reaper, 1, NULL) < 0 || !reaper->held)) {
        kill(child, SIGKILL);
        return 0;
    }
    reap_child(g, child, g->child_ns, reaper);
    if (!was_held)
        cd_target_resume(t, &reaper, 1, NULL);
    return cd_now_ns() - t0;
}

/* ---- the ELF image ---- */

static void build_notes(gctx *g, bbuf *nb)
{
    /* main thread first, then the others; the process notes after the first NT_PRSTATUS, as the
     * kernel orders them */
    for (size_t i = 0; i < g->nth; i++) {
        gthr *x = &g->th[i];
        struct elf_prstatus pr;
        memset(&pr, 0, sizeof pr);
        pr.pr_pid = x->tid;
        pr.pr_ppid = g->ps.pr_ppid;
        pr.pr_pgrp = g->ps.pr_pgrp;
        pr.pr_sid = g->ps.pr_sid;
        memcpy(&pr.pr_reg, &x->regs, sizeof pr.pr_reg);
        pr.pr_fpvalid = x->fp_ok;
        note(nb, "CORE", NT_PRSTATUS, &pr, sizeof pr);
        if (i == 0) {
            note(nb, "CORE", NT_PRPSINFO, &g->ps, sizeof g->ps);
            if (g->auxv && g->auxv_len)
                note(nb, "CORE", NT_AUXV, g->auxv, g->auxv_len);
            /* NT_FILE: count, page size, (start, end, offset in pages) per file mapping, then names */
            bbuf f = {0};
            uint64_t cnt = 0, pg = PAGE;
            for (size_t k = 0; k < g->nmaps; k++)
                cnt += is_file(&g->maps[k]);
            size_t hdr = 16 + (size_t)cnt * 24;
            f.p = cd_xcalloc(1, hdr + 64);
            f.cap = hdr + 64;
            memcpy(f.p, &cnt, 8);
            memcpy(f.p + 8, &pg, 8);
            size_t j = 0;
            for (size_t k = 0; k < g->nmaps; k++) {
                gmap *m = &g->maps[k];
                if (!is_file(m))
                    continue;
                uint64_t tr[3] = {m->start, m->end, m->offset / PAGE};
                memcpy(f.p + 16 + j++ * 24, tr, 24);
            }
            f.len = hdr;
            for (size_t k = 0; k < g->nmaps; k++) {
                gmap *m = &g->maps[k];
                if (!is_file(m))
                    continue;
                size_t n = strlen(m->path) + 1;
                if (f.len + n > f.cap) {
                    f.cap = (f.len + n) * 2;
                    f.p = cd_xrealloc(f.p, f.cap);
                }
                memcpy(f.p + f.len, m->path, n);
                f.len += n;
            }
            note(nb, "CORE", NT_FILE, f.p, f.len);
            free(f.p);
        }
        if (x->fp_ok)
            note(nb, "CORE", NT_FPREGSET, &x->fp, sizeof x->fp);
        if (x->xstate)
            note(nb, "LINUX", NT_X86_XSTATE, x->xstate, x->xstate_len);
        /* a live process took no signal: si_signo 0, so no reader reports a crash */
        siginfo_t si;
        memset(&si, 0, sizeof si);
        note(nb, "CORE", NT_SIGINFO, &si, sizeof si);
    }
}

static uint64_t layout(gctx *g, size_t notes_len, uint64_t *notes_off)
{
    size_t nph = 1 + g->nmaps;
    /* past 65534 program headers the count lives in section header 0 (PN_XNUM) */
    *notes_off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr) + (nph >= PN_XNUM ? sizeof(Elf64_Shdr) : 0);
    uint64_t off = (*notes_off + notes_len + PAGE - 1) & ~(PAGE - 1);
    for (size_t i = 0; i < g->nmaps; i++) {
        g->maps[i].file_off = off;
        off += g->maps[i].dump;
    }
    return off;
}

static int write_headers(gctx *g, const bbuf *nb, uint64_t notes_off, cd_err *err)
{
    size_t nph = 1 + g->nmaps;
    size_t len = (size_t)notes_off + nb->len;
    unsigned char *h = cd_xcalloc(1, len);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)h;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_ident[EI_OSABI] = ELFOSABI_NONE;
    eh->e_type = ET_CORE;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = nph < PN_XNUM ? (Elf64_Half)nph : PN_XNUM;
    if (nph >= PN_XNUM) {
        eh->e_shoff = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
        eh->e_shentsize = sizeof(Elf64_Shdr);
        eh->e_shnum = 1;
        Elf64_Shdr *sh = (Elf64_Shdr *)(h + eh->e_shoff);
        sh->sh_info = (Elf64_Word)nph;
    }
    Elf64_Phdr *ph = (Elf64_Phdr *)(h + sizeof *eh);
    ph[0].p_type = PT_NOTE;
    ph[0].p_offset = notes_off;
    ph[0].p_filesz = nb->len;
    for (size_t i = 0; i < g->nmaps; i++) {
        gmap *m = &g->maps[i];
        Elf64_Phdr *p = &ph[1 + i];
        p->p_type = PT_LOAD;
        p->p_offset = m->file_off;
        p->p_vaddr = m->start;
        p->p_filesz = m->dump;
        p->p_memsz = m->end - m->start;
        p->p_flags = ((m->prot & PROT_READ) ? PF_R : 0) | ((m->prot & PROT_WRITE) ? PF_W : 0) |
                     ((m->prot & PROT_EXEC) ? PF_X : 0);
        p->p_align = PAGE;
    }
    memcpy(h + notes_off, nb->p, nb->len);
    int r = write_all(g->fd, h, len, 0);
    free(h);
    if (r < 0)
        return cd_fail(err, CD_EXIT_CMD, "cannot write the core to %s: %s; the partial file was removed", g->o->path,
                       strerror(errno));
    return 0;
}

/* ---- the whole ---- */

/* Has the process ended since gcore began? Its memory would then be read as holes: a core of
 * nothing, which must never be reported as written. */
static bool target_ended(gctx *g)
{
    cd_err e = {0};
    return g->ended || g->t->end_known || (g->t->ops->check_alive(g->t, 0, &e) < 0 && e.kind == CD_EK_EXITED);
}

static int ended_error(gctx *g, const char *when, cd_err *err)
{
    return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED,
                    "cannot write a core of process %d: the process ended while %s; no core was written",
                    (int)g->t->pid, when);
}

/* Is the process in a group stop (SIGSTOP, SIGTSTP...: state T before we attach)? A system call
 * cannot be run in it: the thread stays stopped until SIGCONT. */
static bool group_stopped(pid_t pid)
{
    char *s = slurp(pid, "stat", NULL);
    if (!s)
        return false;
    char *rp = strrchr(s, ')');
    bool st = rp && rp[1] == ' ' && rp[2] == 'T';
    free(s);
    return st;
}

int cd_gcore(cd_target *t, const cd_gcore_opts *o, cd_gcore_result *r, cd_err *err)
{
    memset(r, 0, sizeof *r);
    uint64_t start = cd_now_ns();
    if (!t->caps.has_proc || !t->caps.can_run)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "cannot write a core: the target is not a live process (a core file is one already)");
    gctx g = {.t = t, .o = o, .fd = -1, .dirfd = -1, .child_mem = -1};
    int rc = -1;
    bbuf nb = {0};
    bool held_before = false;
    for (size_t i = 0; i < t->nthreads; i++)
        held_before |= t->threads[i]->held && !t->threads[i]->gone;
    /* a SIGXFSZ (RLIMIT_FSIZE) must fail the write, not kill cdbg with the target held */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_xfsz, old_stop[NDEFER];
    sigaction(SIGXFSZ, &ign, &old_xfsz);
    defer_begin(old_stop);
    g.em.ops = &em_ops;
    g.em.backend = &g;
    cd_thread **ours = NULL; /* threads gcore holds, to release */
    size_t nours = 0;
    if (open_tmp(&g, err) < 0)
        goto out;
    cd_emergency_register(&g.em);
    if (prepare(&g, err) < 0)
        goto out;
    g.buf = cd_xmalloc(CHUNK);
    test_phase("prepared");
    if (interrupted(err) < 0)
        goto out;

    if (held_before) {
        if (take_threads(&g, err) < 0)
            goto out;
    } else {
        uint64_t t0 = cd_now_ns();
        bool stopped = o->snapshot && group_stopped(t->pid);
        cd_err e = {0};
        if (cd_target_stop(t, NULL, 0, &e) < 0) {
            cd_target_resume(t, NULL, 0, NULL);
            if (err)
                *err = e;
            goto out;
        }
        ours = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *ours);
        for (size_t i = 0; i < t->nthreads; i++) {
            if (t->threads[i]->held && !t->threads[i]->gone)
                ours[nours++] = t->threads[i];
            else if (!t->threads[i]->gone)
                r->missing++;
        }
        if (take_threads(&g, &e) < 0) {
            cd_target_resume(t, ours, nours, NULL);
            r->stopped_ns = cd_now_ns() - t0;
            if (err)
                *err = e;
            goto out;
        }
        test_phase("held");
        if (interrupted(err) < 0) {
            cd_target_resume(t, ours, nours, NULL);
            goto out;
        }
        cd_thread *inj = nours ? ours[0] : NULL;
        g.reaper = inj;
        pid_t child = 0;
        if (o->snapshot && stopped) {
            snprintf(r->why_held, sizeof r->why_held,
                     "process %d is stopped (state T: SIGSTOP or a job-control stop), so it cannot fork; it was "
                     "left stopped — `kill -CONT %d` lets it run",
                     (int)t->pid, (int)t->pid);
        } else if (o->snapshot && inj) {
            child = make_snapshot(&g, inj, r->why_held, sizeof r->why_held);
        } else if (!o->snapshot) {
            snprintf(r->why_held, sizeof r->why_held, "snapshot disabled");
        }
        if (child > 0) {
            g.child = child;
            test_phase("cloned");
            if (interrupted(err) < 0) {
                cd_target_resume(t, ours, nours, NULL);
                goto out;
            }
            cd_target_resume(t, ours, nours, NULL);
            r->stopped_ns = cd_now_ns() - t0;
            r->snapshot = true;
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/mem", (int)child);
            g.child_mem = open(path, O_RDONLY | O_CLOEXEC);
        } else {
            if (target_ended(&g)) {
                r->stopped_ns = cd_now_ns() - t0;
                ended_error(&g, "the snapshot was being made", err);
                goto out;
            }
            /* the fallback: copy while everything is held */
            uint64_t notes_off;
            build_notes(&g, &nb);
            uint64_t total = layout(&g, nb.len, &notes_off);
            int wr = write_loads(&g, err);
            bool gone = wr == 0 && target_ended(&g);
            cd_target_resume(t, ours, nours, NULL);
            r->stopped_ns = cd_now_ns() - t0;
            if (gone)
                ended_error(&g, "its memory was being copied", err);
            if (gone || wr < 0 || write_headers(&g, &nb, notes_off, err) < 0)
                goto out;
            r->bytes = total;
            goto finish;
        }
    }
    {
        uint64_t notes_off;
        build_notes(&g, &nb);
        uint64_t total = layout(&g, nb.len, &notes_off);
        int wr = write_loads(&g, err);
        if (wr == 0) {
            test_phase("copied");
            wr = interrupted(err);
        }
        if (wr < 0 || write_headers(&g, &nb, notes_off, err) < 0)
            goto out;
        r->bytes = total;
    }
finish:
    if (interrupted(err) < 0)
        goto out;
    if (ftruncate(g.fd, (off_t)r->bytes) < 0) {
        cd_fail(err, CD_EXIT_CMD, "cannot write the core to %s: %s; the partial file was removed", o->path,
                strerror(errno));
        goto out;
    }
    if (name_tmp(&g, err) < 0)
        goto out;
    if (close(g.fd) < 0) {
        g.fd = -1;
        cd_fail(err, CD_EXIT_CMD, "cannot write the core to %s: %s; the partial file was removed", o->path,
                strerror(errno));
        goto out;
    }
    g.fd = -1;
    if (renameat2(g.dirfd, g.tmpname, g.dirfd, g.base, o->force ? 0 : RENAME_NOREPLACE) < 0) {
        int e = errno;
        cd_failk(err, CD_EXIT_CMD, e == EEXIST ? CD_EK_USAGE : CD_EK_OTHER, "cannot write a core to %s: %s%s", o->path,
                 e == EEXIST ? "it was created meanwhile" : strerror(e),
                 e == EEXIST ? "; remove it, choose another FILE or give --force to replace it" : "");
        goto out;
    }
    char *tn = g.tmpname;
    g.tmpname = NULL; /* before the free: em_cleanup() may read it */
    free(tn);
    r->threads = g.nth;
    r->segments = g.nmaps;
    rc = 0;
out:
    if (g.child_mem >= 0)
        close(g.child_mem);
    g.child_mem = -1;
    if (g.child > 0) {
        pid_t c = g.child;
        g.child = 0; /* before it ends: its pid may be someone else's afterwards */
        r->stopped_ns += end_snapshot(&g, c);
    }
    cd_emergency_unregister(&g.em);
    free(ours);
    drop_tmp(&g);
    if (g.dirfd >= 0)
        close(g.dirfd);
    sigaction(SIGXFSZ, &old_xfsz, NULL);
    for (size_t i = 0; i < g.nth; i++)
        free(g.th[i].xstate);
    free(g.th);
    free(nb.p);
    free(g.buf);
    free(g.auxv);
    free(g.sites);
    free_maps(g.maps, g.nmaps);
    free(g.dir);
    free(g.base);
    free(g.tmpname);
    r->total_ns = cd_now_ns() - start;
    /* SIGINT at the prompt: the command fails as interrupted; a fatal signal ends cdbg here, with
     * the process already released by the steps above */
    defer_end(old_stop);
    return rc;
}
