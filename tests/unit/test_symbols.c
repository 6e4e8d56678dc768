/* Symbols and unwinder against this very process: a tiny target whose modules are our own
 * (/proc/self) and whose "threads" are register snapshots taken with getcontext(), so the test
 * needs no ptrace and no other backend. */
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "symbols/symbols.h"
#include "unwind/unwind.h"

static int failures;
/* looked up by address in test_lookup */
int addr_probe[4] = {1, 2, 3, 4};
#define CHECK(c)                                                                   \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
            failures++;                                                            \
        }                                                                          \
    } while (0)

static ssize_t self_read(cd_target *t, uint64_t addr, void *buf, size_t len)
{
    struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
    return process_vm_readv(t->pid, &l, 1, &r, 1, 0);
}
/* The modules are what the loader loaded, where it loaded them (dl_iterate_phdr), not what
 * /proc/self/maps shows (dwfl_linux_proc_report): this process is the debugger too, and libelf's
 * private copy of a library it reads (libc.so.6, rw-p at offset 0) can be mapped right below that
 * library's own segments, where libdwfl merges the two into one module at the wrong address.
 * Whether it lands there depends on where ASLR put the libraries: about one run in eight could
 * not unwind past libc ("address out of range"). A real target never maps the debugger's files.
 * Each module is reported as libdwfl's maps reader would (a path as its name, its ELF found by
 * the target's find_elf), so a second report (cd_symtab_refresh) finds the same modules. */
struct report_ctx {
    Dwfl *dwfl;
    const char *exe;
    int failed;
};
static int report_loaded(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct report_ctx *c = data;
    const char *path = info->dlpi_name[0] ? info->dlpi_name : c->exe;
    if (path[0] != '/')
        return 0; /* linux-vdso.so.1: no file, and nothing here unwinds through it */
    bool first = true;
    uint64_t lo = 0, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD)
            continue;
        if (first) /* where libdwfl puts the file's start: the first segment, aligned */
            lo = p->p_vaddr & -(p->p_align ? p->p_align : 1);
        first = false;
        if (p->p_vaddr + p->p_memsz > hi)
            hi = p->p_vaddr + p->p_memsz;
    }
    if (!first && !dwfl_report_module(c->dwfl, path, info->dlpi_addr + lo, info->dlpi_addr + hi))
        c->failed++;
    return 0;
}
static int self_report(cd_target *t, Dwfl *d, cd_err *err)
{
    struct report_ctx c = {d, t->exe_path, 0};
    dl_iterate_phdr(report_loaded, &c);
    return c.failed ? cd_fail(err, CD_EXIT_TARGET, "report failed: %s", dwfl_errmsg(-1)) : 0;
}
/* No mappings: the module finder then checks the files by path alone (map_files is for a process
 * whose file was replaced, not this one). */
static int self_mappings(cd_target *t, const cd_mapping **out, size_t *n, cd_err *err)
{
    (void)t, (void)err;
    *out = NULL;
    *n = 0;
    return 0;
}
static const cd_target_ops self_ops = {.kind = "live", .read_mem = self_read, .report_modules = self_report,
                                       .mappings = self_mappings};

static cd_target self_target;
static cd_symtab *sym;
static cd_unwinder *unw;

static void ctx_to_dwarf(const ucontext_t *uc, uint64_t d[CD_NDWREGS])
{
    const greg_t *g = uc->uc_mcontext.gregs;
    const int map[CD_NDWREGS] = {REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP, REG_R8,
                                 REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP};
    for (int i = 0; i < CD_NDWREGS; i++)
        d[i] = (uint64_t)g[map[i]];
}

static bool has_func(const cd_stack *st, const char *name, size_t *at)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->frames[i].info.func && strcmp(st->frames[i].info.func, name) == 0) {
            if (at)
                *at = i;
            return true;
        }
    return false;
}

static void dump(const cd_stack *st)
{
    for (size_t i = 0; i < st->n; i++)
        fprintf(stderr, "  #%d %#llx %s%s at %s:%d%s\n", st->frames[i].level, (unsigned long long)st->frames[i].pc,
                st->frames[i].info.func ? st->frames[i].info.func : "??", st->frames[i].info.inlined ? " [inlined]" : "",
                st->frames[i].info.file ? st->frames[i].info.file : "?", st->frames[i].info.line,
                st->frames[i].signal_frame ? " <signal>" : "");
    if (st->error)
        fprintf(stderr, "  error: %s\n", st->error);
}

/* ---- lookup of a known call site, and of an inline chain ---------------------------------- */

__attribute__((noinline)) static uint64_t ret_addr(void)
{
    return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

static int call_line_inner, call_line_outer;
static inline __attribute__((always_inline)) uint64_t inline_probe(void)
{
    call_line_inner = __LINE__ + 1;
    uint64_t ra = ret_addr();
    return ra;
}

__attribute__((noinline)) static uint64_t has_inline(void)
{
    call_line_outer = __LINE__ + 1;
    uint64_t ra = inline_probe();
    __asm__ volatile("" ::: "memory");
    return ra;
}

static void test_lookup(void)
{
    int line = __LINE__ + 1;
    uint64_t ra = ret_addr();
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(sym, ra - 1, &pi);
    CHECK(n >= 1);
    CHECK(pi[n - 1].func && strcmp(pi[n - 1].func, "test_lookup") == 0);
    CHECK(pi[0].file && strstr(pi[0].file, "test_symbols.c"));
    CHECK(pi[0].line == line);
    CHECK(pi[n - 1].module != NULL);
    /* memoised: the same array comes back */
    const cd_pcinfo *again;
    CHECK(cd_symtab_lookup(sym, ra - 1, &again) == n && again == pi);

    ra = has_inline();
    n = cd_symtab_lookup(sym, ra - 1, &pi);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(pi[0].inlined && pi[0].func && strcmp(pi[0].func, "inline_probe") == 0);
        CHECK(pi[0].line == call_line_inner);
        CHECK(!pi[1].inlined && pi[1].func && strcmp(pi[1].func, "has_inline") == 0);
        CHECK(pi[1].line == call_line_outer);
        CHECK(pi[1].func_addr == (uint64_t)(uintptr_t)has_inline);
    }

    uint64_t addr = 0;
    CHECK(cd_symtab_find_function(sym, "main", &addr) == 0);
    extern int main(void);
    CHECK(addr == (uint64_t)(uintptr_t)main);
    CHECK(cd_symtab_find_function(sym, "no_such_function_xyz", &addr) == -1);

    /* An initialised global: .data lies inside the module's file mapping under every build
     * (ASan's much larger .bss does not). */
    const char *name = NULL;
    uint64_t off = 0;
    CHECK(cd_symtab_addr_symbol(sym, (uint64_t)(uintptr_t)&addr_probe + 1, &name, &off));
    CHECK(name && strcmp(name, "addr_probe") == 0 && off == 1);

    int nl = 0;
    const char *text = cd_symtab_source_line(sym, pi[0].file, line, &nl);
    CHECK(text && strstr(text, "ret_addr()"));
    CHECK(nl > line);
    CHECK(cd_symtab_source_line(sym, "/nonexistent/x.c", 1, &nl) == NULL);

    CHECK(cd_symtab_lookup(sym, 0, &pi) == 1 && pi[0].func == NULL);
}

/* ---- unwinding from a register snapshot -------------------------------------------------- */

static int unwind_here(const ucontext_t *uc, cd_stack *st)
{
    uint64_t regs[CD_NDWREGS];
    ctx_to_dwarf(uc, regs);
    cd_err err;
    int rc = cd_unwind_from_regs(unw, getpid(), regs, 0x1ffff, 0, st, &err);
    if (rc < 0)
        fprintf(stderr, "unwind: %s\n", err.msg);
    return rc;
}

__attribute__((noinline)) static void test_unwind(void)
{
    ucontext_t uc;
    getcontext(&uc);
    cd_stack st;
    self_target.stop_gen++;
    CHECK(unwind_here(&uc, &st) == 0);
    CHECK(st.n >= 3);
    CHECK(st.n && st.frames[0].info.func && strcmp(st.frames[0].info.func, "test_unwind") == 0);
    CHECK(has_func(&st, "main", NULL));
    CHECK(st.error == NULL);
    CHECK(!st.truncated);
    for (size_t i = 1; i < st.n; i++) {
        CHECK(st.frames[i].level == (int)i);
        CHECK(st.frames[i].lookup_pc == st.frames[i].pc - 1);
        CHECK(st.frames[i].regs_valid & (1u << 7));
    }
    if (failures)
        dump(&st);
    cd_stack_free(&st);

    /* max_frames limits the logical frames and says so */
    CHECK(unwind_here(&uc, &st) == 0);
    cd_stack_free(&st);
    uint64_t regs[CD_NDWREGS];
    ctx_to_dwarf(&uc, regs);
    cd_err err;
    CHECK(cd_unwind_from_regs(unw, getpid(), regs, 0x1ffff, 1, &st, &err) == 0);
    CHECK(st.n == 1 && st.truncated);
    cd_stack_free(&st);

    /* only sp+pc known: still a frame 0 */
    CHECK(cd_unwind_from_regs(unw, getpid(), regs, (1u << 7) | (1u << 16), 0, &st, &err) == 0);
    CHECK(st.n >= 1 && st.frames[0].info.func && strcmp(st.frames[0].info.func, "test_unwind") == 0);
    cd_stack_free(&st);

    /* no pc: a clear error */
    CHECK(cd_unwind_from_regs(unw, getpid(), regs, 1u << 7, 0, &st, &err) == -1);
    CHECK(strstr(err.msg, "pc") != NULL);
}

static volatile int sig_ok;
static void on_sig(int sig)
{
    (void)sig;
    ucontext_t uc;
    getcontext(&uc);
    cd_stack st;
    self_target.stop_gen++;
    if (unwind_here(&uc, &st) == 0) {
        size_t s = 0, r = 0;
        bool sigf = false;
        for (size_t i = 0; i < st.n; i++)
            if (st.frames[i].signal_frame) {
                sigf = true;
                s = i;
                break;
            }
        if (sigf && has_func(&st, "raiser", &r) && r > s && has_func(&st, "main", NULL) && !st.error)
            sig_ok = 1;
        else
            dump(&st);
        cd_stack_free(&st);
    }
}

__attribute__((noinline)) static void raiser(void)
{
    raise(SIGUSR1);
    __asm__ volatile("" ::: "memory");
}

static void test_signal_frame(void)
{
    signal(SIGUSR1, on_sig);
    raiser();
    CHECK(sig_ok == 1);
    signal(SIGUSR1, SIG_DFL);
}

/* Clone and version suffixes: what `break NAME` and `print NAME` take for NAME's own code. */
static void test_clone_names(void)
{
    CHECK(cd_sym_base_len("leaf.constprop.0") == 4);
    CHECK(cd_sym_base_len("isr.constprop.0.isra.0") == 3);
    CHECK(cd_sym_base_len("part.part.0") == 4);
    CHECK(cd_sym_base_len("f.lto_priv.12") == 1);
    CHECK(cd_sym_base_len("pthread_create@@GLIBC_2.34") == 14);
    CHECK(cd_sym_base_len("memcpy@GLIBC_2.2.5") == 0);   /* another function than memcpy@@ */
    CHECK(cd_sym_base_len("leaf.cold") == 0);            /* never an entry */
    CHECK(cd_sym_base_len("leaf.part.0.cold") == 0);
    CHECK(cd_sym_base_len("leaf") == 0);
    CHECK(cd_sym_base_len("leaf.0") == 0);               /* a number alone is no clone */
    CHECK(cd_sym_base_len("_GLOBAL__sub_I_a.cpp") == 0);
    CHECK(cd_sym_base_len(".constprop.0") == 0);
    CHECK(cd_sym_is_named("leaf.constprop.0", "leaf"));
    CHECK(cd_sym_is_named("leaf", "leaf"));
    CHECK(!cd_sym_is_named("leafy.constprop.0", "leaf"));
    CHECK(!cd_sym_is_named("leaf.constprop.0", "lea"));
    CHECK(!cd_sym_is_named("leaf.cold", "leaf"));
}

int main(void)
{
    test_clone_names();
    self_target.ops = &self_ops;
    self_target.pid = getpid();
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    self_target.exe_path = buf;

    cd_err err;
    sym = cd_symtab_new(&self_target, &err);
    if (!sym) {
        fprintf(stderr, "cd_symtab_new: %s\n", err.msg);
        return 1;
    }
    unw = cd_unwinder_new(&self_target, sym, &err);
    if (!unw) {
        fprintf(stderr, "cd_unwinder_new: %s\n", err.msg);
        return 1;
    }
    test_lookup();
    test_unwind();
    test_signal_frame();

    CHECK(cd_symtab_refresh(sym, &err) == 0);
    test_lookup();
    test_unwind();

    free(cd_symtab_take_notes(sym));
    cd_unwinder_free(unw);
    cd_symtab_free(sym);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
