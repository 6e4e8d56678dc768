/* The core-file backend: a post-mortem target read from an ELF core (ET_CORE) plus its executable.
 *
 * The core stays mmap'd (libelf ELF_C_READ_MMAP); memory reads are memcpy from PT_LOAD file data.
 * The kernel does not dump read-only file mappings (text, rodata) beyond their first page, so bytes
 * a PT_LOAD does not carry are read from the file NT_FILE names for that address, at the mapping's
 * file offset. Threads, registers and the process name come from the PT_NOTE notes. Everything is
 * "held" forever: execution control fails with one clear line. */
#include "target/target.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>

/* Also used by tests/unit/test_core.c (declared there): the pure build-id comparison. */
char *cd_core_check_buildid(const char *exe_path, const char *core_path,
                            const unsigned char *exe_id, size_t exe_len,
                            const unsigned char *core_id, size_t core_len);

_Static_assert(sizeof(((struct elf_prstatus *)0)->pr_reg) == sizeof(cd_regs),
               "elf_prstatus.pr_reg must have the user_regs_struct layout");

#define VSYSCALL_ADDR 0xffffffffff600000ull

typedef struct core_seg {
    uint64_t start, end;   /* [p_vaddr, p_vaddr + p_memsz) */
    uint64_t off;          /* p_offset */
    uint64_t filesz;       /* p_filesz: bytes the core is supposed to carry */
    uint64_t present;      /* of those, bytes actually in the (possibly truncated) file */
    int prot;
} core_seg;

/* One file the process had mapped; opened lazily on the first read that needs it. */
typedef struct core_file {
    char *name;            /* as recorded in NT_FILE */
    const char *open_as;   /* what to open: name, or the user's EXE for the executable */
    int fd;
    bool failed;           /* open failed once: don't retry on every read */
} core_file;

typedef struct core_fmap {
    uint64_t start, end, ofs; /* ofs in bytes */
    size_t file;              /* index into files */
} core_fmap;

typedef struct core_thread {
    bool fp_valid;
    struct user_fpregs_struct fp;
    /* get_regset: the thread's NT_X86_XSTATE and NT_SIGINFO notes (in the core's Elf data) */
    const void *xstate, *si;
    size_t xstate_len, si_len;
} core_thread;

typedef struct core_backend {
    int fd;
    Elf *elf;
    const char *image;     /* the mmap'd core */
    size_t image_size;
    core_seg *segs;        /* sorted by start */
    size_t nsegs;
    core_fmap *fmaps;      /* sorted by start */
    size_t nfmaps;
    core_file *files;
    size_t nfiles;
    cd_mapping *maps;
    size_t nmaps;
    bool truncated;        /* some PT_LOAD's bytes are missing from the file */
    pid_t crash_tid;       /* first NT_PRSTATUS: the thread that took the fatal signal */
    uint64_t at_entry, at_sysinfo_ehdr;
} core_backend;

/* ---- errors for execution control ---- */

static int post_mortem(cd_err *err, const char *what, const char *instead)
{
    return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                    "cannot %s: the target is a core file (post-mortem); attach to a live process or use "
                    "`cdbg run` to %s",
                    what, instead);
}

/* ---- memory ---- */

static const core_seg *find_seg(const core_backend *b, uint64_t addr)
{
    size_t lo = 0, hi = b->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->segs[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->nsegs && b->segs[lo].start <= addr && addr < b->segs[lo].end)
        return &b->segs[lo];
    return NULL;
}

static const core_fmap *find_fmap(const core_backend *b, uint64_t addr)
{
    size_t lo = 0, hi = b->nfmaps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->fmaps[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < b->nfmaps && b->fmaps[lo].start <= addr && addr < b->fmaps[lo].end)
        return &b->fmaps[lo];
    return NULL;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* Opens PATH read-only if it is a regular file; -1 with errno otherwise (ENODEV: it exists but is a
 * FIFO, socket, device or directory). Nothing else may be opened: open(2) of a FIFO waits for a
 * writer forever, and opening a device can have side effects. stat first, so no such open is ever
 * attempted; O_NONBLOCK and an fstat of the descriptor close the race with a path replaced in
 * between (a FIFO's open never blocks with O_NONBLOCK, and is then refused). */
static int open_regular(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        errno = ENODEV;
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = ENODEV;
        return -1;
    }
    return fd;
}

/* Reads from the file mapped at addr (bytes the core did not dump). */
static ssize_t read_mapped_file(core_backend *b, uint64_t addr, void *buf, size_t len)
{
    const core_fmap *m = find_fmap(b, addr);
    if (!m)
        return 0;
    core_file *f = &b->files[m->file];
    if (f->fd < 0 && !f->failed) {
        /* A name from the core's NT_FILE: a crafted core may name a FIFO or device there. */
        f->fd = open_regular(f->open_as);
        f->failed = f->fd < 0;
    }
    if (f->fd < 0)
        return 0;
    size_t n = (size_t)min_u64(len, m->end - addr);
    ssize_t r = pread(f->fd, buf, n, (off_t)(m->ofs + (addr - m->start)));
    return r < 0 ? 0 : r;
}

/* Reads from one source (one segment's dumped bytes, or one mapped file); 0 = unreadable here. */
static ssize_t read_chunk(core_backend *b, uint64_t addr, void *buf, size_t len)
{
    const core_seg *s = find_seg(b, addr);
    if (!s)
        return 0;
    uint64_t rel = addr - s->start;
    len = (size_t)min_u64(len, s->end - addr);
    if (rel < s->filesz) {
        /* Bytes the core should carry; missing ones (truncated core) are unreadable, not taken
         * from the file, which may differ from what was in memory. */
        if (rel >= s->present)
            return 0;
        size_t n = (size_t)min_u64(len, s->present - rel);
        memcpy(buf, b->image + s->off + rel, n);
        return (ssize_t)n;
    }
    return read_mapped_file(b, addr, buf, len);
}

static ssize_t core_read_mem(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    core_backend *b = t->backend;
    size_t done = 0;
    while (done < len) {
        uint64_t a = addr + done;
        if (a < addr)
            break; /* wrapped around the address space */
        ssize_t n = read_chunk(b, a, (char *)buf + done, len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (done == 0 && len > 0) {
        errno = EFAULT;
        return -1;
    }
    return (ssize_t)done;
}

static int core_write_mem(cd_target *t, uint64_t addr, const void *buf, size_t len, cd_err *err)
{
    (void)t, (void)addr, (void)buf, (void)len;
    return post_mortem(err, "write memory", "change a running program");
}

/* ---- threads and registers ---- */

static int core_refresh_threads(cd_target *t, cd_err *err)
{
    (void)t, (void)err;
    return 0;
}

/* a core neither dies nor changes */
static int core_check_alive(cd_target *t, int wait_ms, cd_err *err)
{
    (void)t, (void)wait_ms, (void)err;
    return 0;
}

static int core_get_regs(cd_target *t, cd_thread *th, cd_regs *out, cd_err *err)
{
    (void)t, (void)err;
    *out = th->regs;
    return 0;
}

static int core_set_regs(cd_target *t, cd_thread *th, const cd_regs *regs, cd_err *err)
{
    (void)t, (void)th, (void)regs;
    return post_mortem(err, "set registers", "change a running program");
}

static int core_get_fpregs(cd_target *t, cd_thread *th, struct user_fpregs_struct *out, cd_err *err)
{
    const core_thread *ct = th->backend;
    if (!ct || !ct->fp_valid)
        return cd_fail(err, CD_EXIT_CMD,
                       "cannot read floating-point registers of thread %d: core file %s has no "
                       "NT_FPREGSET note for it; only general registers are available",
                       (int)th->tid, t->core_path);
    *out = ct->fp;
    return 0;
}

static ssize_t core_get_regset(cd_target *t, cd_thread *th, unsigned type, void *buf, size_t len, cd_err *err)
{
    const core_thread *ct = th->backend;
    const void *src = !ct ? NULL : type == NT_X86_XSTATE ? ct->xstate : type == NT_SIGINFO ? ct->si : NULL;
    size_t n = !src ? 0 : type == NT_X86_XSTATE ? ct->xstate_len : ct->si_len;
    if (!src)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "cannot read register set 0x%x of thread %d: core file %s has no such note for it", type,
                        (int)th->tid, t->core_path);
    n = n < len ? n : len;
    memcpy(buf, src, n);
    return (ssize_t)n;
}

static int core_stop(cd_target *t, cd_thread **ths, size_t n, cd_err *err)
{
    (void)t, (void)ths, (void)n, (void)err;
    return 0; /* a core's threads are always held */
}

static int core_resume(cd_target *t, cd_thread **ths, size_t n, cd_err *err)
{
    (void)t, (void)ths, (void)n, (void)err;
    return 0;
}

static int core_syscall_state(cd_target *t, cd_thread *th, cd_syscall_state *out, cd_err *err)
{
    (void)t, (void)err;
    memset(out, 0, sizeof *out);
    const cd_regs *r = &th->regs;
    out->sp = r->rsp;
    out->pc = r->rip;
    if (th->orig_rax < 0) {
        out->kind = CD_SC_RUNNING;
        return 0;
    }
    out->kind = CD_SC_BLOCKED;
    out->nr = (long)th->orig_rax;
    out->args[0] = r->rdi;
    out->args[1] = r->rsi;
    out->args[2] = r->rdx;
    out->args[3] = r->r10;
    out->args[4] = r->r8;
    out->args[5] = r->r9;
    return 0;
}

/* ---- modules and mappings ---- */

/* A truncated core lost the first pages of the libraries mapped late in the address space, and
 * with them libdwfl's only way to find those modules. NT_FILE still names each file and where it
 * was mapped: report the files on disk there, so the threads' innermost frames get names and CFI
 * (the core's truncation warning already says the result may be incomplete). */
static void report_files_from_disk(core_backend *b, Dwfl *dwfl)
{
    dwfl_report_end(dwfl, NULL, NULL);
    dwfl_report_begin_add(dwfl);
    for (size_t i = 0; i < b->nfmaps; i++) {
        const core_fmap *m = &b->fmaps[i];
        const core_file *f = &b->files[m->file];
        bool first = m->ofs == 0;
        for (size_t j = 0; j < i && first; j++)
            first = b->fmaps[j].file != m->file;
        if (!first || f->name[0] != '/' || !strncmp(f->name, "/dev/", 5) || strstr(f->name, " (deleted)") ||
            dwfl_addrmodule(dwfl, m->start))
            continue;
        /* libdwfl opens the file with a plain (blocking) open: only regular files go there. */
        struct stat st;
        if (stat(f->open_as ? f->open_as : f->name, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        const char *base = strrchr(f->name, '/') + 1;
        dwfl_report_elf(dwfl, base, f->open_as ? f->open_as : f->name, -1, m->start, false);
    }
}

static int core_report_modules(cd_target *t, Dwfl *dwfl, cd_err *err)
{
    core_backend *b = t->backend;
    /* libdwfl finds modules from the r_debug link_map and NT_FILE; passing EXE makes it use the
     * user's executable for the main program even if the core recorded another path. */
    if (dwfl_core_file_report(dwfl, b->elf, t->exe_path) < 0 && !b->truncated)
        return cd_fail(err, CD_EXIT_TARGET, "cannot list the modules of core file %s: %s",
                       t->core_path, dwfl_errmsg(-1));
    if (b->truncated)
        report_files_from_disk(b, dwfl);
    return 0;
}

static int core_mappings(cd_target *t, const cd_mapping **out, size_t *n, cd_err *err)
{
    (void)err;
    core_backend *b = t->backend;
    *out = b->maps;
    *n = b->nmaps;
    return 0;
}

/* ---- execution control: impossible on a core ---- */

static int core_insert_bp(cd_target *t, uint64_t addr, cd_err *err)
{
    (void)t, (void)addr;
    return post_mortem(err, "insert a breakpoint", "stop a program at a breakpoint");
}

static int core_remove_bp(cd_target *t, uint64_t addr, cd_err *err)
{
    (void)t, (void)addr;
    return post_mortem(err, "remove a breakpoint", "stop a program at a breakpoint");
}

static int core_cont(cd_target *t, cd_err *err)
{
    (void)t;
    return post_mortem(err, "continue", "run the program");
}

static int core_wait(cd_target *t, cd_event *ev, cd_err *err)
{
    (void)t;
    memset(ev, 0, sizeof *ev);
    return post_mortem(err, "wait for an event", "run the program");
}

static void core_interrupt(cd_target *t) { (void)t; }

static int core_step(cd_target *t, cd_thread *th, int sig, cd_event *ev, cd_err *err)
{
    (void)t, (void)th, (void)sig;
    memset(ev, 0, sizeof *ev);
    return post_mortem(err, "step", "run the program");
}

static int core_set_hw_watch(cd_target *t, int slot, uint64_t addr, int len, cd_hw_kind kind, cd_err *err)
{
    (void)t, (void)slot, (void)addr, (void)len, (void)kind;
    return post_mortem(err, "watch", "watch a running program");
}

static int core_clear_hw_watch(cd_target *t, int slot, cd_err *err)
{
    (void)t, (void)slot;
    return post_mortem(err, "watch", "watch a running program");
}

static int core_release_child(cd_target *t, pid_t child, cd_err *err)
{
    (void)t, (void)child;
    return post_mortem(err, "release a child process", "run the program");
}

static cd_target *core_adopt_child(cd_target *t, pid_t child, cd_err *err)
{
    (void)t, (void)child;
    post_mortem(err, "follow a child process", "run the program");
    return NULL;
}

static void core_emergency(cd_target *t) { (void)t; }

/* ---- lifetime ---- */

static void backend_free(core_backend *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nfiles; i++) {
        if (b->files[i].fd >= 0)
            close(b->files[i].fd);
        free(b->files[i].name);
    }
    free(b->files);
    free(b->fmaps);
    free(b->segs);
    for (size_t i = 0; i < b->nmaps; i++)
        free(b->maps[i].path);
    free(b->maps);
    if (b->elf)
        elf_end(b->elf);
    if (b->fd >= 0)
        close(b->fd);
    free(b);
}

static void core_close(cd_target *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nthreads; i++) {
        free(t->threads[i]->backend);
        free(t->threads[i]);
    }
    free(t->threads);
    backend_free(t->backend);
    free(t->exe_path);
    free(t->core_path);
    free(t->warning);
    free(t);
}

static const cd_target_ops core_ops = {
    .kind = "core",
    .refresh_threads = core_refresh_threads,
    .check_alive = core_check_alive,
    .read_mem = core_read_mem,
    .write_mem = core_write_mem,
    .get_regs = core_get_regs,
    .set_regs = core_set_regs,
    .get_fpregs = core_get_fpregs,
    .get_regset = core_get_regset,
    .stop = core_stop,
    .resume = core_resume,
    .syscall_state = core_syscall_state,
    .report_modules = core_report_modules,
    .mappings = core_mappings,
    .insert_breakpoint = core_insert_bp,
    .remove_breakpoint = core_remove_bp,
    .cont = core_cont,
    .wait = core_wait,
    .interrupt = core_interrupt,
    .step = core_step,
    .set_hw_watch = core_set_hw_watch,
    .clear_hw_watch = core_clear_hw_watch,
    .release_child = core_release_child,
    .adopt_child = core_adopt_child,
    .close = core_close,
    .emergency = core_emergency,
};

/* ---- opening ---- */

static const char *machine_name(int m)
{
    switch (m) {
    case EM_386: return "i386";
    case EM_X86_64: return "x86-64";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return "riscv";
    case EM_PPC64: return "ppc64";
    case EM_PPC: return "ppc";
    case EM_S390: return "s390";
    case EM_MIPS: return "mips";
    default: return "an unknown machine";
    }
}

/* Opens path as an ELF file (mmap'd). On failure sets err and returns NULL. */
static Elf *open_elf(const char *what, const char *path, int *fd_out, cd_err *err)
{
    int fd = open_regular(path);
    if (fd < 0 && errno == ENODEV) {
        cd_fail(err, CD_EXIT_TARGET, "cannot open %s %s: not a regular file (usage: cdbg core EXE CORE)",
                what, path);
        return NULL;
    }
    if (fd < 0) {
        cd_fail(err, CD_EXIT_TARGET, "cannot open %s %s: %s; check the path (usage: cdbg core EXE CORE)",
                what, path, strerror(errno));
        return NULL;
    }
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        cd_fail(err, CD_EXIT_TARGET, "cannot open %s %s: it is not an ELF file; give %s (usage: cdbg core EXE CORE)",
                what, path, strcmp(what, "executable") ? "the core dump the kernel wrote" : "the program that crashed");
        if (e)
            elf_end(e);
        close(fd);
        return NULL;
    }
    *fd_out = fd;
    return e;
}

static int check_arch(const char *what, const char *path, const GElf_Ehdr *eh, cd_err *err)
{
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
        return cd_fail(err, CD_EXIT_TARGET,
                       "%s %s is for %s (%d-bit), not 64-bit x86-64: cdbg debugs x86-64 Linux programs only",
                       what, path, machine_name(eh->e_machine),
                       eh->e_ident[EI_CLASS] == ELFCLASS32 ? 32 : 64);
    return 0;
}

static int prot_of(uint32_t flags)
{
    return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
           ((flags & PF_X) ? PROT_EXEC : 0);
}

static int cmp_seg(const void *a, const void *b)
{
    const core_seg *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_fmap(const void *a, const void *b)
{
    const core_fmap *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Parses NT_FILE: count, page size, count (start, end, page offset) triples, then count names. */
static void parse_nt_file(core_backend *b, const char *desc, size_t size)
{
    if (b->fmaps || size < 16)
        return;
    uint64_t count, page;
    memcpy(&count, desc, 8);
    memcpy(&page, desc + 8, 8);
    if (count == 0 || count > (size - 16) / 24)
        return;
    const char *names = desc + 16 + count * 24;
    const char *end = desc + size;
    b->fmaps = cd_xcalloc(count, sizeof *b->fmaps);
    b->files = cd_xcalloc(count, sizeof *b->files);
    for (uint64_t i = 0; i < count && names < end; i++) {
        uint64_t v[3];
        memcpy(v, desc + 16 + i * 24, sizeof v);
        const char *nul = memchr(names, 0, (size_t)(end - names));
        if (!nul)
            break;
        /* Mappings of one file are consecutive in NT_FILE, so searching backwards finds it at once. */
        size_t fi = b->nfiles;
        for (size_t j = b->nfiles; j-- > 0;)
            if (strcmp(b->files[j].name, names) == 0) {
                fi = j;
                break;
            }
        if (fi == b->nfiles) {
            b->files[fi].name = cd_xstrdup(names);
            b->files[fi].open_as = b->files[fi].name;
            b->files[fi].fd = -1;
            b->nfiles++;
        }
        b->fmaps[b->nfmaps++] = (core_fmap){v[0], v[1], v[2] * page, fi};
        names = nul + 1;
    }
    qsort(b->fmaps, b->nfmaps, sizeof *b->fmaps, cmp_fmap);
}

static void parse_auxv(core_backend *b, const char *desc, size_t size)
{
    for (size_t off = 0; off + 16 <= size; off += 16) {
        uint64_t kv[2];
        memcpy(kv, desc + off, sizeof kv);
        if (kv[0] == AT_ENTRY)
            b->at_entry = kv[1];
        else if (kv[0] == AT_SYSINFO_EHDR)
            b->at_sysinfo_ehdr = kv[1];
        else if (kv[0] == AT_NULL)
            break;
    }
}

typedef struct note_scan {
    cd_thread **threads;
    size_t n, cap;
    char fname[17];
    pid_t psinfo_pid;
    bool has_siginfo;
    siginfo_t si;
} note_scan;

static void add_prstatus(note_scan *ns, const char *desc, size_t size)
{
    struct elf_prstatus ps;
    if (size < sizeof ps)
        return;
    memcpy(&ps, desc, sizeof ps);
    if (ns->n == ns->cap) {
        ns->cap = ns->cap ? 2 * ns->cap : 16;
        ns->threads = cd_xrealloc(ns->threads, ns->cap * sizeof *ns->threads);
    }
    cd_thread *th = cd_xcalloc(1, sizeof *th);
    th->tid = ps.pr_pid;
    th->state = 'S';
    th->held = true;
    th->regs_valid = true;
    memcpy(&th->regs, &ps.pr_reg, sizeof th->regs);
    th->orig_rax = (int64_t)th->regs.orig_rax;
    /* The kernel writes the fatal signal into every thread's pr_cursig; only the first thread
     * (the one that dumped) really took it, so only it gets pending_sig. */
    th->pending_sig = ns->n == 0 ? ps.pr_cursig : 0;
    th->backend = cd_xcalloc(1, sizeof(core_thread));
    ns->threads[ns->n++] = th;
}

static void fill_death(cd_death *d, const note_scan *ns)
{
    d->tid = ns->threads[0]->tid;
    d->signo = ns->threads[0]->pending_sig;
    if (!ns->has_siginfo || ns->si.si_signo <= 0)
        return;
    /* NT_SIGINFO is the kernel's own record of the fatal signal; pr_cursig only repeats its number */
    d->has_siginfo = true;
    d->signo = ns->si.si_signo;
    d->code = ns->si.si_code;
    bool fault_sig = d->signo == SIGSEGV || d->signo == SIGBUS || d->signo == SIGILL || d->signo == SIGFPE;
    if (fault_sig && d->code > 0 && d->code != SI_KERNEL) {
        d->has_addr = true;
        d->addr = (uint64_t)(uintptr_t)ns->si.si_addr;
    } else if (d->code == SI_USER || d->code == SI_TKILL || d->code == SI_QUEUE) {
        d->has_sender = true;
        d->sender_pid = ns->si.si_pid;
        d->sender_uid = ns->si.si_uid;
    }
}

/* Walks every PT_NOTE. Notes cut by truncation end the walk; what was found is kept. */
static void scan_notes(core_backend *b, size_t phnum, note_scan *ns)
{
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(b->elf, (int)i, &ph) || ph.p_type != PT_NOTE)
            continue;
        if (ph.p_offset >= b->image_size)
            continue;
        size_t size = (size_t)min_u64(ph.p_filesz, b->image_size - ph.p_offset);
        Elf_Data *d = elf_getdata_rawchunk(b->elf, (int64_t)ph.p_offset, size, ELF_T_NHDR);
        if (!d)
            continue;
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off;
        while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
            const char *name = (const char *)d->d_buf + name_off;
            const char *desc = (const char *)d->d_buf + desc_off;
            if (nh.n_namesz == sizeof "LINUX" && memcmp(name, "LINUX", sizeof "LINUX") == 0) {
                /* NT_X86_XSTATE etc.: numbers that overlap the CORE ones */
                if (nh.n_type == NT_X86_XSTATE && ns->n > 0) {
                    core_thread *ct = ns->threads[ns->n - 1]->backend;
                    ct->xstate = desc;
                    ct->xstate_len = nh.n_descsz;
                }
                continue;
            }
            if (nh.n_namesz != sizeof "CORE" || memcmp(name, "CORE", sizeof "CORE") != 0)
                continue;
            switch (nh.n_type) {
            case NT_PRSTATUS:
                add_prstatus(ns, desc, nh.n_descsz);
                break;
            case NT_FPREGSET:
                /* Per-thread notes follow their thread's NT_PRSTATUS. */
                if (ns->n > 0 && nh.n_descsz >= sizeof(struct user_fpregs_struct)) {
                    core_thread *ct = ns->threads[ns->n - 1]->backend;
                    memcpy(&ct->fp, desc, sizeof ct->fp);
                    ct->fp_valid = true;
                }
                break;
            case NT_PRPSINFO:
                if (nh.n_descsz >= sizeof(struct elf_prpsinfo)) {
                    struct elf_prpsinfo pi;
                    memcpy(&pi, desc, sizeof pi);
                    snprintf(ns->fname, sizeof ns->fname, "%.16s", pi.pr_fname);
                    ns->psinfo_pid = pi.pr_pid;
                }
                break;
            case NT_SIGINFO:
                if (ns->n > 0) {
                    core_thread *ct = ns->threads[ns->n - 1]->backend;
                    ct->si = desc;
                    ct->si_len = nh.n_descsz;
                }
                /* Written once, for the dumping thread; the first one wins if a crafted core repeats it. */
                if (!ns->has_siginfo && nh.n_descsz >= sizeof ns->si) {
                    memcpy(&ns->si, desc, sizeof ns->si);
                    ns->has_siginfo = true;
                }
                break;
            case NT_FILE:
                parse_nt_file(b, desc, nh.n_descsz);
                break;
            case NT_AUXV:
                parse_auxv(b, desc, nh.n_descsz);
                break;
            default:
                break;
            }
        }
    }
}

/* Mapping list: one entry per PT_LOAD, named from NT_FILE, with the kernel's names for the
 * special anonymous mappings we can recognise. */
static void build_mappings(core_backend *b, uint64_t main_sp)
{
    b->maps = cd_xcalloc(b->nsegs, sizeof *b->maps);
    for (size_t i = 0; i < b->nsegs; i++) {
        const core_seg *s = &b->segs[i];
        cd_mapping *m = &b->maps[b->nmaps++];
        m->start = s->start;
        m->end = s->end;
        m->prot = s->prot;
        const core_fmap *f = find_fmap(b, s->start);
        if (f) {
            m->offset = f->ofs + (s->start - f->start);
            m->path = cd_xstrdup(b->files[f->file].name);
        } else if (b->at_sysinfo_ehdr && s->start == b->at_sysinfo_ehdr) {
            m->path = cd_xstrdup("[vdso]");
        } else if (s->start == VSYSCALL_ADDR) {
            m->path = cd_xstrdup("[vsyscall]");
        } else if (main_sp && s->start <= main_sp && main_sp < s->end) {
            m->path = cd_xstrdup("[stack]");
        }
    }
}

static void hex(char *out, size_t outsz, const unsigned char *id, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 3 <= outsz; i++)
        o += (size_t)snprintf(out + o, outsz - o, "%02x", id[i]);
    out[o < outsz ? o : outsz - 1] = 0;
}

char *cd_core_check_buildid(const char *exe_path, const char *core_path,
                            const unsigned char *exe_id, size_t exe_len,
                            const unsigned char *core_id, size_t core_len)
{
    /* Without both ids there is nothing to compare; saying "maybe wrong" every time would be noise. */
    if (!exe_id || !core_id || exe_len == 0 || core_len == 0)
        return NULL;
    if (exe_len == core_len && memcmp(exe_id, core_id, exe_len) == 0)
        return NULL;
    char a[41], c[41];
    hex(a, sizeof a, core_id, core_len);
    hex(c, sizeof c, exe_id, exe_len);
    return cd_xasprintf("core %s was not produced by %s (build-id in core %s != %s in the executable): "
                        "symbols and stacks may be wrong; pass the executable that crashed",
                        core_path, exe_path, a, c);
}

/* The build-id the core recorded for the main executable, read from the executable's first page,
 * which the kernel dumps for every ELF mapping (coredump_filter bit 4): its program headers lead
 * to the PT_NOTE holding NT_GNU_BUILD_ID. libelf parses that page (elf_memory); -1 when the page
 * was not dumped. Deliberately not from the executable file: this is what the crashed program ran. */
static ssize_t core_exe_buildid(core_backend *b, cd_target *t, unsigned char *out, size_t max)
{
    const core_fmap *m = NULL;
    for (size_t i = 0; i < b->nfmaps && !m; i++)
        if (b->at_entry >= b->fmaps[i].start && b->at_entry < b->fmaps[i].end)
            m = &b->fmaps[i];
    if (!m || m->ofs > m->start)
        return -1;
    uint64_t base = m->start - m->ofs; /* where file offset 0 of the executable is mapped */
    for (size_t i = 0; i < b->nfmaps; i++)
        if (b->fmaps[i].file == m->file && b->fmaps[i].ofs == 0)
            base = b->fmaps[i].start;
    char *page = cd_xmalloc(4096);
    ssize_t got = core_read_mem(t, base, page, 4096);
    ssize_t len = -1;
    Elf *e = got > (ssize_t)sizeof(Elf64_Ehdr) ? elf_memory(page, (size_t)got) : NULL;
    size_t nph = 0;
    if (e && elf_getphdrnum(e, &nph) == 0) {
        for (size_t i = 0; i < nph && len < 0; i++) {
            GElf_Phdr ph;
            if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_NOTE || ph.p_offset + ph.p_filesz > (uint64_t)got)
                continue;
            Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
            GElf_Nhdr nh;
            size_t off = 0, name_off, desc_off;
            while (d && (off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
                if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
                    memcmp((char *)d->d_buf + name_off, "GNU", 4) == 0 && nh.n_descsz <= max) {
                    memcpy(out, (char *)d->d_buf + desc_off, nh.n_descsz);
                    len = (ssize_t)nh.n_descsz;
                    break;
                }
            }
        }
    }
    if (e)
        elf_end(e);
    free(page);
    return len;
}

static char *join_warning(char *old, char *add)
{
    if (!add)
        return old;
    if (!old)
        return add;
    char *s = cd_xasprintf("%s; %s", old, add);
    free(old);
    free(add);
    return s;
}

cd_target *cd_core_open(const char *exe, const char *core, cd_err *err)
{
    elf_version(EV_CURRENT);
    if (!exe || !core) {
        cd_fail(err, CD_EXIT_TARGET, "cannot open core: need both EXE and CORE (usage: cdbg core EXE CORE)");
        return NULL;
    }

    /* The executable: right kind, right architecture, and its build-id. */
    int exe_fd = -1;
    Elf *exe_elf = open_elf("executable", exe, &exe_fd, err);
    if (!exe_elf)
        return NULL;
    GElf_Ehdr eh;
    unsigned char exe_id[64];
    ssize_t exe_id_len = -1;
    int bad = 0;
    if (!gelf_getehdr(exe_elf, &eh)) {
        bad = cd_fail(err, CD_EXIT_TARGET, "%s is not an ELF file: usage cdbg core EXE CORE", exe);
    } else if (eh.e_type == ET_CORE) {
        bad = cd_fail(err, CD_EXIT_TARGET,
                      "%s is a core file, not an executable: usage cdbg core EXE CORE (EXE first)", exe);
    } else if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
        bad = cd_fail(err, CD_EXIT_TARGET,
                      "%s is not an executable (ELF type %d): usage cdbg core EXE CORE", exe, eh.e_type);
    } else {
        bad = check_arch("executable", exe, &eh, err);
        const void *id;
        ssize_t n = dwelf_elf_gnu_build_id(exe_elf, &id);
        if (n > 0 && (size_t)n <= sizeof exe_id) {
            memcpy(exe_id, id, (size_t)n);
            exe_id_len = n;
        }
    }
    elf_end(exe_elf);
    close(exe_fd);
    if (bad)
        return NULL;

    core_backend *b = cd_xcalloc(1, sizeof *b);
    b->fd = -1;
    b->elf = open_elf("core file", core, &b->fd, err);
    if (!b->elf) {
        backend_free(b);
        return NULL;
    }
    if (!gelf_getehdr(b->elf, &eh)) {
        cd_fail(err, CD_EXIT_TARGET, "%s is not an ELF file: usage cdbg core EXE CORE", core);
        backend_free(b);
        return NULL;
    }
    if (eh.e_type == ET_EXEC || eh.e_type == ET_DYN) {
        cd_fail(err, CD_EXIT_TARGET, "%s is an executable, not a core file: usage cdbg core EXE CORE", core);
        backend_free(b);
        return NULL;
    }
    if (eh.e_type != ET_CORE) {
        cd_fail(err, CD_EXIT_TARGET, "%s is not a core file (ELF type %d): usage cdbg core EXE CORE",
                core, eh.e_type);
        backend_free(b);
        return NULL;
    }
    if (check_arch("core file", core, &eh, err) < 0) {
        backend_free(b);
        return NULL;
    }

    b->image = elf_rawfile(b->elf, &b->image_size);
    size_t phnum = 0;
    if (!b->image || elf_getphdrnum(b->elf, &phnum) != 0 || phnum == 0 ||
        eh.e_phoff + (uint64_t)phnum * eh.e_phentsize > b->image_size) {
        cd_fail(err, CD_EXIT_TARGET,
                "cannot read core file %s: it is truncated or corrupt before its program headers "
                "(%zu bytes); nothing can be shown",
                core, b->image_size);
        backend_free(b);
        return NULL;
    }

    /* Segments, and how much of each the file really holds. */
    b->segs = cd_xcalloc(phnum, sizeof *b->segs);
    uint64_t want_size = 0;
    size_t cut = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(b->elf, (int)i, &ph))
            continue;
        if (ph.p_offset + ph.p_filesz > want_size)
            want_size = ph.p_offset + ph.p_filesz;
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        core_seg *s = &b->segs[b->nsegs++];
        s->start = ph.p_vaddr;
        s->end = ph.p_vaddr + ph.p_memsz;
        s->off = ph.p_offset;
        s->filesz = min_u64(ph.p_filesz, ph.p_memsz);
        s->present = ph.p_offset >= b->image_size ? 0 : min_u64(s->filesz, b->image_size - ph.p_offset);
        s->prot = prot_of(ph.p_flags);
        if (s->present < s->filesz)
            cut++;
    }
    qsort(b->segs, b->nsegs, sizeof *b->segs, cmp_seg);

    note_scan ns = {0};
    scan_notes(b, phnum, &ns);
    if (ns.n == 0) {
        cd_fail(err, CD_EXIT_TARGET,
                "core file %s has no thread (NT_PRSTATUS) notes: it is truncated or corrupt; nothing can be shown",
                core);
        free(ns.threads);
        backend_free(b);
        return NULL;
    }

    cd_target *t = cd_xcalloc(1, sizeof *t);
    t->ops = &core_ops;
    t->caps = (cd_caps){.post_mortem = true};
    t->backend = b;
    t->exe_path = cd_xstrdup(exe);
    t->core_path = cd_xstrdup(core);
    t->threads = ns.threads;
    t->nthreads = ns.n;
    b->crash_tid = ns.threads[0]->tid;
    fill_death(&t->death, &ns);

    /* pid: NT_PRPSINFO's, else the thread group leader is the lowest tid. */
    t->pid = ns.psinfo_pid;
    if (t->pid <= 0) {
        t->pid = ns.threads[0]->tid;
        for (size_t i = 1; i < ns.n; i++)
            if (ns.threads[i]->tid < t->pid)
                t->pid = ns.threads[i]->tid;
    }
    /* Main thread first; the others keep note order (the crashing thread leads them). */
    for (size_t i = 1; i < t->nthreads; i++)
        if (t->threads[i]->tid == t->pid) {
            cd_thread *m = t->threads[i];
            memmove(&t->threads[1], &t->threads[0], i * sizeof *t->threads);
            t->threads[0] = m;
            break;
        }
    for (size_t i = 0; i < t->nthreads; i++)
        memcpy(t->threads[i]->name, ns.fname, sizeof t->threads[i]->name);

    /* Read the executable's unmapped bytes from the file the user named: the recorded path may
     * not exist here (core from another machine) or may have been rebuilt. */
    const core_fmap *ef = b->at_entry ? find_fmap(b, b->at_entry) : NULL;
    if (ef)
        b->files[ef->file].open_as = t->exe_path;

    uint64_t main_sp = t->threads[0]->tid == t->pid ? t->threads[0]->regs.rsp : 0;
    build_mappings(b, main_sp);

    b->truncated = cut > 0 || want_size > b->image_size;
    if (b->truncated)
        t->warning = cd_xasprintf("core file %s is truncated (%zu of %" PRIu64 " bytes): memory in %zu "
                                  "of %zu segments is unavailable; showing what can be shown",
                                  core, b->image_size, want_size, cut, b->nsegs);

    if (exe_id_len > 0) {
        unsigned char core_id[64];
        ssize_t n = core_exe_buildid(b, t, core_id, sizeof core_id);
        if (n > 0)
            t->warning = join_warning(t->warning,
                                      cd_core_check_buildid(exe, core, exe_id, (size_t)exe_id_len,
                                                            core_id, (size_t)n));
    }
    return t;
}
