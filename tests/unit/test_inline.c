/* The inline tracepoint backend (src/trace/inline.c) driven directly on a real process:
 * testdata/inline/hot.c (-O0 and -O2), attached while it waits, traced while it makes 100,000 calls
 * of work(int), disarmed while it waits again, then left to finish untraced.
 *   - every call recorded exactly once, in order per thread (the argument is the call's index),
 *     the argument sum exact, zero drops, the TIDs the program's threads print, timestamps on
 *     CLOCK_MONOTONIC between the driver's own readings;
 *   - four threads at once; two probes at once, one of them on libc's fflush (a trampoline region
 *     near libc, far from this non-PIE program);
 *   - after disarm the code bytes are the file's again and the second run records nothing;
 *   - a ring too small: every call is a record or a counted drop, and the drops are reported;
 *   - SIGKILL of the tracer (a child of this driver) while tracing: the program finishes its two
 *     runs with the right sums and exits 0;
 *   - refusals: a function shorter than the jump, --ret.
 * argv[1]: the directory holding inline_hot_O0 and inline_hot_O2. */
#include "trace/backend.h"
#include "target/codepatch.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

typedef struct fsym {
    uint64_t addr, size, file_off;
} fsym;

/* A function's address, size and file offset in a non-PIE executable. */
static bool find_sym(const char *path, const char *name, fsym *out)
{
    elf_version(EV_CURRENT);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    bool ok = false;
    Elf_Scn *scn = NULL;
    while (e && !ok && (scn = elf_nextscn(e, scn)) != NULL) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
            GElf_Sym s;
            if (gelf_getsym(d, (int)i, &s) && strcmp(elf_strptr(e, sh.sh_link, s.st_name), name) == 0 &&
                GELF_ST_TYPE(s.st_info) == STT_FUNC) {
                out->addr = s.st_value;
                out->size = s.st_size;
                ok = true;
                break;
            }
        }
    }
    size_t nph = 0;
    if (ok && elf_getphdrnum(e, &nph) == 0) {
        for (size_t i = 0; i < nph; i++) {
            GElf_Phdr ph;
            if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD && out->addr >= ph.p_vaddr &&
                out->addr < ph.p_vaddr + ph.p_filesz)
                out->file_off = out->addr - ph.p_vaddr + ph.p_offset;
        }
    }
    if (e)
        elf_end(e);
    close(fd);
    return ok;
}

/* Where a shared library is mapped in pid (the start of its offset-0 mapping), and its path. */
static uint64_t lib_base(pid_t pid, const char *name, char *path, size_t pathsz)
{
    char f[64], line[1024];
    snprintf(f, sizeof f, "/proc/%d/maps", (int)pid);
    FILE *fp = fopen(f, "r");
    uint64_t base = 0;
    while (fp && !base && fgets(line, sizeof line, fp)) {
        unsigned long long lo, off;
        char *slash = strchr(line, '/');
        if (!slash || !strstr(slash, name) || sscanf(line, "%llx-%*x %*s %llx", &lo, &off) != 2 || off != 0)
            continue;
        base = lo;
        snprintf(path, pathsz, "%s", slash);
        path[strcspn(path, "\n")] = 0;
    }
    if (fp)
        fclose(fp);
    return base;
}

/* ---- the program ---- */

typedef struct prog {
    pid_t pid;
    int in, out; /* its stdin (we write), its stdout (we read) */
    char buf[65536];
    size_t len;
    pid_t tids[64];
    int ntids;
} prog;

static bool spawn(prog *p, const char *path, const char *n, const char *threads)
{
    int a[2], b[2];
    if (pipe(a) < 0 || pipe(b) < 0)
        return false;
    memset(p, 0, sizeof *p);
    p->pid = fork();
    if (p->pid == 0) {
        dup2(a[0], 0);
        dup2(b[1], 1);
        close(a[1]);
        close(b[0]);
        execl(path, path, n, threads, (char *)NULL);
        _exit(127);
    }
    close(a[0]);
    close(b[1]);
    p->in = a[1];
    p->out = b[0];
    fcntl(p->out, F_SETFL, O_NONBLOCK);
    return p->pid > 0;
}

/* Reads what the program printed; true when `word` starts a line of it (what follows it is
 * copied to rest). Non-blocking when wait_ms is 0. */
static bool saw(prog *p, const char *word, int wait_ms, char *rest, size_t restsz)
{
    for (;;) {
        ssize_t r = read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len);
        if (r > 0) {
            p->len += (size_t)r;
            p->buf[p->len] = 0;
        }
        p->buf[p->len] = 0;
        for (char *l = p->buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            if (strncmp(l, word, strlen(word)) == 0 && strchr(l, '\n')) {
                if (rest) {
                    const char *s = l + strlen(word);
                    size_t k = (size_t)(strchr(l, '\n') - s);
                    if (k >= restsz)
                        k = restsz - 1;
                    memcpy(rest, s, k);
                    rest[k] = 0;
                }
                return true;
            }
        }
        if (r == 0 || wait_ms == 0)
            return false;
        struct pollfd pf = {p->out, POLLIN, 0};
        poll(&pf, 1, wait_ms > 0 ? wait_ms : -1);
    }
}

static void collect_tids(prog *p)
{
    p->ntids = 0;
    for (char *l = p->buf; l && *l && p->ntids < 64; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, "tid ", 4) == 0)
            p->tids[p->ntids++] = (pid_t)atoi(l + 4);
}

static void go(prog *p)
{
    if (write(p->in, "g", 1) != 1)
        perror("write");
}

static int finish(prog *p)
{
    int st = 0;
    close(p->in);
    waitpid(p->pid, &st, 0);
    close(p->out);
    return st;
}

/* ---- the sink ---- */

typedef struct tally {
    uint64_t n, drops, sum;
    uint32_t probe;
    pid_t tid[64];
    int64_t next[64]; /* per thread: the argument its next record must have */
    int nt;
    uint64_t order_errors, foreign, ts_lo, ts_hi, ts_bad, rip_bad, stack_bad;
    uint64_t want_rip;
    bool count_only; /* a libc function: its argument is no call index */
    int stop_after;  /* 0: never */
} tally;

#define MAXP 2
typedef struct tallies {
    tally t[MAXP];
    int n;
    uint64_t foreign;
} tallies;

/* Probes that say the core reads rdi and rsp only (backend.h regs_only): the ring's compact
 * records, which carry those two registers and no stack copy. */
static bool compact_mode;

static int sink(void *arg, const cd_trace_rec *r)
{
    tallies *ts = arg;
    tally *t = NULL;
    for (int i = 0; i < ts->n; i++)
        if (ts->t[i].probe == r->probe)
            t = &ts->t[i];
    if (!t) {
        ts->foreign++;
        return 0;
    }
    if (r->kind == CD_REC_DROPPED) {
        t->drops += r->dropped;
        return 0;
    }
    if (r->kind != CD_REC_ENTRY) {
        t->foreign++;
        return 0;
    }
    int k = 0;
    while (k < t->nt && t->tid[k] != r->tid)
        k++;
    if (k == t->nt) {
        if (t->nt == 64)
            return -1;
        t->tid[t->nt] = r->tid;
        t->next[t->nt++] = 0;
    }
    if (t->count_only) {
        t->n++;
        if (r->regs.rip != t->want_rip)
            t->rip_bad++;
        return 0;
    }
    int x = (int)r->regs.rdi;
    if (x != t->next[k])
        t->order_errors++;
    t->next[k] = (int64_t)x + 1;
    t->sum += (uint64_t)(int64_t)x;
    t->n++;
    if (r->ts_ns < t->ts_lo || r->ts_ns > t->ts_hi)
        t->ts_bad++;
    if (r->regs.rip != t->want_rip)
        t->rip_bad++;
    /* the stack copy starts at rsp, where the call put its return address (inside run) */
    if (!compact_mode && (r->partial || r->stack_len < 8 || r->stack_addr != r->regs.rsp))
        t->stack_bad++;
    /* compact: rdi and rsp (at the entry, 8 past a 16-byte boundary: the call's return address),
     * and nothing that was not asked for */
    if (compact_mode && (!r->partial || r->stack_len || (r->regs.rsp & 15) != 8 || r->regs.rsi || r->regs.rax))
        t->stack_bad++;
    return t->stop_after && t->n >= (uint64_t)t->stop_after ? 1 : 0;
}

static uint64_t now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Drains until the program printed `word` and nothing is left. */
static void drain_until(cd_trace_backend *b, prog *p, tallies *t, const char *word, char *rest, size_t restsz)
{
    cd_err err = {0};
    bool done = false;
    for (int spins = 0; spins < 100000; spins++) {
        int r = b->ops->poll(b, done ? 0 : 20, sink, t, &err);
        CHECK(r >= 0, "poll: %s", err.msg);
        if (r < 0)
            return;
        if (done && r == 0)
            return;
        if (!done)
            done = saw(p, word, 0, rest, restsz);
    }
    CHECK(0, "the program never printed %s", word);
}

static cd_probe probe_of(const fsym *f, const char *name)
{
    cd_probe pr = {0};
    pr.id = 7;
    pr.addr = f->addr;
    pr.func_lo = f->addr;
    pr.func_hi = f->addr + f->size;
    pr.at_entry = true;
    pr.func = name;
    pr.stack_bytes = compact_mode ? 0 : 64;
    pr.regs_only = compact_mode;
    pr.reg_mask = compact_mode ? (1u << 5) | (1u << 7) : 0; /* DWARF rdi, rsp */
    return pr;
}

static bool code_is_file(cd_target *tg, const char *path, const fsym *f)
{
    uint8_t live[256], file[256];
    size_t n = f->size < sizeof live ? f->size : sizeof live;
    if (cd_target_read_full(tg, f->addr, live, n) < 0)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && pread(fd, file, n, (off_t)f->file_off) == (ssize_t)n && memcmp(live, file, n) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* One run: attach to `hot N T`, trace the functions named (one probe each), disarm, finish
 * untraced. buffer 0: the default ring, which must lose nothing. */
static void traced_run(const char *path, const char *const *funcs, int nf, long n, int threads, size_t buffer,
                       bool poll_while_running)
{
    char ns[32], tstr[8], rest[256];
    snprintf(ns, sizeof ns, "%ld", n);
    snprintf(tstr, sizeof tstr, "%d", threads);
    fprintf(stderr, "-- %s: %s%s, %ld calls x %d threads, buffer %zu%s\n", path, funcs[0], nf > 1 ? " and more" : "",
            n, threads, buffer, poll_while_running ? "" : ", drained at the end");
    fsym fs[MAXP];
    prog p;
    CHECK(spawn(&p, path, ns, tstr), "spawn");
    CHECK(saw(&p, "ready", -1, NULL, 0), "no ready");
    for (int i = 0; i < nf; i++) {
        /* "libc:NAME": a function of libc.so.6, mapped far from this non-PIE program (a
         * trampoline region of its own) */
        if (strncmp(funcs[i], "libc:", 5) == 0) {
            char lib[4096] = "";
            uint64_t base = lib_base(p.pid, "libc.so.6", lib, sizeof lib);
            CHECK(base && find_sym(lib, funcs[i] + 5, &fs[i]), "no %s in the program's libc (%s)", funcs[i], lib);
            fs[i].addr += base;
            CHECK(fs[i].addr - 0x400000 > (1ull << 32), "libc at 0x%llx is near the program", (unsigned long long)base);
        } else
            CHECK(find_sym(path, funcs[i], &fs[i]), "no symbol %s in %s", funcs[i], path);
    }
    cd_err err = {0};
    cd_target *tg = cd_live_attach(p.pid, CD_ATTACH_NONSTOP, &err);
    CHECK(tg, "attach: %s", err.msg);
    if (!tg) {
        kill(p.pid, SIGKILL);
        finish(&p);
        return;
    }
    cd_trace_env env = {.t = tg, .pid = p.pid, .buffer_size = buffer};
    cd_trace_backend *b = cd_tb_inline_new(&env, &err);
    CHECK(b, "new: %s", err.msg);
    tallies ts = {.n = nf};
    cd_probe pr[MAXP];
    for (int i = 0; i < nf; i++) {
        pr[i] = probe_of(&fs[i], funcs[i]);
        pr[i].id = 7 + (uint32_t)i;
        CHECK(b->ops->check(b, &pr[i], &err) == 0, "check: %s", err.msg);
        CHECK(b->ops->add(b, &pr[i], &err) == 0, "add: %s", err.msg);
        ts.t[i] = (tally){.probe = pr[i].id, .want_rip = fs[i].addr, .ts_lo = now_mono(), .ts_hi = UINT64_MAX,
                          .count_only = strncmp(funcs[i], "libc:", 5) == 0};
    }
    uint8_t before[MAXP][16];
    for (int i = 0; i < nf; i++)
        CHECK(cd_target_read_full(tg, fs[i].addr, before[i], 16) == 0, "cannot read %s", funcs[i]);
    CHECK(b->ops->arm(b, &err) == 0, "arm: %s", err.msg);
    for (int i = 0; i < nf; i++)
        if (strncmp(funcs[i], "libc:", 5) != 0)
            CHECK(!code_is_file(tg, path, &fs[i]), "%s is not patched after arm", funcs[i]);
        else {
            uint8_t now[16];
            CHECK(cd_target_read_full(tg, fs[i].addr, now, 16) == 0 && memcmp(now, before[i], 16) != 0,
                  "%s is not patched after arm", funcs[i]);
        }
    go(&p);
    if (!poll_while_running)
        CHECK(saw(&p, "done sum=", -1, rest, sizeof rest), "no done");
    drain_until(b, &p, &ts, "done sum=", rest, sizeof rest);
    uint64_t hi = now_mono();
    long prog_sum = atol(rest);
    const char *a1 = strstr(rest, "acc="), *a2 = strstr(rest, "acc2=");
    long prog_acc = a1 ? atol(a1 + 4) : -1, prog_acc2 = a2 ? atol(a2 + 5) : -1;
    uint64_t want_sum = (uint64_t)threads * (uint64_t)(n * (n - 1) / 2);
    collect_tids(&p);
    CHECK(ts.foreign == 0, "%llu records of no probe", (unsigned long long)ts.foreign);
    for (int i = 0; i < nf; i++) {
        tally *t = &ts.t[i];
        t->ts_hi = hi;
        uint64_t hits = 0, dropped = 0;
        b->ops->counts(b, pr[i].id, &hits, &dropped);
        if (t->count_only) /* fflush: once in each thread after its "tid" line, once after "done" */
            CHECK(t->n == (uint64_t)threads + 1 && t->rip_bad == 0, "%s: %llu records, want %d", funcs[i],
                  (unsigned long long)t->n, threads + 1);
        else if (buffer == 0) {
            CHECK(t->n == (uint64_t)(n * threads), "%s: %llu records for %ld calls", funcs[i], (unsigned long long)t->n,
                  n * threads);
            CHECK(t->drops == 0 && dropped == 0, "%llu drops reported, %llu counted", (unsigned long long)t->drops,
                  (unsigned long long)dropped);
            CHECK(t->sum == want_sum, "%s: argument sum %llu, want %llu", funcs[i], (unsigned long long)t->sum,
                  (unsigned long long)want_sum);
            CHECK(t->order_errors == 0, "%s: %llu records out of order or repeated", funcs[i],
                  (unsigned long long)t->order_errors);
            CHECK(t->nt == threads, "%d threads recorded, want %d", t->nt, threads);
            for (int k = 0; k < t->nt; k++) {
                bool known = false;
                for (int j = 0; j < p.ntids; j++)
                    known |= p.tids[j] == t->tid[k];
                CHECK(known, "record tid %d is none of the program's threads", (int)t->tid[k]);
            }
            if (threads == 1)
                CHECK(t->tid[0] == p.pid, "main thread's tid %d, want the pid %d", (int)t->tid[0], (int)p.pid);
        } else {
            CHECK(t->drops > 0, "a %zu-byte ring dropped nothing of %ld calls", buffer, n * threads);
            CHECK(t->n + t->drops == (uint64_t)(n * threads), "%llu records + %llu drops != %ld calls",
                  (unsigned long long)t->n, (unsigned long long)t->drops, n * threads);
            CHECK(dropped == t->drops, "counts says %llu drops, records %llu", (unsigned long long)dropped,
                  (unsigned long long)t->drops);
        }
        /* hits count every call the probe saw, its records lost to a full ring included */
        CHECK(hits == t->n + t->drops, "counts says %llu hits, %llu delivered + %llu dropped", (unsigned long long)hits,
              (unsigned long long)t->n, (unsigned long long)t->drops);
        CHECK(t->foreign == 0 && t->ts_bad == 0 && t->rip_bad == 0 && t->stack_bad == 0,
              "%s: other kinds %llu, timestamps out of range %llu, wrong rip %llu, bad stack or registers %llu", funcs[i],
              (unsigned long long)t->foreign, (unsigned long long)t->ts_bad, (unsigned long long)t->rip_bad,
              (unsigned long long)t->stack_bad);
    }
    CHECK(prog_sum == (long)want_sum, "the program's own sum %ld, want %llu", prog_sum, (unsigned long long)want_sum);
    if (threads == 1) { /* what the probed functions added up: their argument and code survived the probe */
        CHECK(prog_acc == (long)want_sum, "acc %ld, want %llu", prog_acc, (unsigned long long)want_sum);
        CHECK(prog_acc2 == (long)want_sum, "acc2 %ld, want %llu", prog_acc2, (unsigned long long)want_sum);
    }
    CHECK(b->ops->disarm(b, &err) == 0, "disarm: %s", err.msg);
    for (int i = 0; i < nf; i++) {
        uint8_t now[16];
        if (strncmp(funcs[i], "libc:", 5) != 0)
            CHECK(code_is_file(tg, path, &fs[i]), "%s's bytes differ from the file's after disarm", funcs[i]);
        CHECK(cd_target_read_full(tg, fs[i].addr, now, 16) == 0 && memcmp(now, before[i], 16) == 0,
              "%s's bytes differ from before arm after disarm", funcs[i]);
    }
    uint64_t n_before = ts.t[0].n;
    go(&p);
    CHECK(saw(&p, "done2 sum=", -1, rest, sizeof rest), "no done2");
    CHECK(atol(rest) == (long)want_sum, "second run's sum %s, want %llu", rest, (unsigned long long)want_sum);
    b->ops->poll(b, 0, sink, &ts, &err);
    CHECK(ts.t[0].n == n_before, "%llu records after disarm", (unsigned long long)(ts.t[0].n - n_before));
    b->ops->free(b);
    cd_target_close(tg);
    int st = finish(&p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the program ended with status 0x%x", st);
}

/* The tracer (a child) attaches and arms, then is SIGKILLed; the program must run on. */
static void killed_tracer(const char *path, size_t buffer)
{
    fprintf(stderr, "-- %s: tracer killed, buffer %zu\n", path, buffer);
    fsym work;
    CHECK(find_sym(path, "work", &work), "no symbol work");
    prog p;
    CHECK(spawn(&p, path, "100000", "2"), "spawn");
    CHECK(saw(&p, "ready", -1, NULL, 0), "no ready");
    int sync[2];
    if (pipe(sync) < 0)
        return;
    pid_t tracer = fork();
    if (tracer == 0) {
        cd_err err = {0};
        cd_target *tg = cd_live_attach(p.pid, CD_ATTACH_NONSTOP, &err);
        if (!tg)
            _exit(1);
        cd_trace_env env = {.t = tg, .pid = p.pid, .buffer_size = buffer};
        cd_trace_backend *b = cd_tb_inline_new(&env, &err);
        cd_probe pr = probe_of(&work, "work");
        if (!b || b->ops->add(b, &pr, &err) < 0 || b->ops->arm(b, &err) < 0) {
            fprintf(stderr, "tracer: %s\n", err.msg);
            _exit(1);
        }
        if (write(sync[1], "a", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(sync[1]);
    char c;
    CHECK(read(sync[0], &c, 1) == 1, "the tracer did not arm");
    close(sync[0]);
    kill(tracer, SIGKILL);
    int st;
    waitpid(tracer, &st, 0);
    go(&p);
    char rest[128];
    CHECK(saw(&p, "done sum=", -1, rest, sizeof rest), "no done after the tracer died");
    long want = 2 * (100000L * 99999L / 2);
    CHECK(atol(rest) == want, "sum %s, want %ld", rest, want);
    go(&p);
    CHECK(saw(&p, "done2 sum=", -1, rest, sizeof rest), "no done2");
    st = finish(&p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the program ended with status 0x%x", st);
}

/* The check both patchers (fast breakpoints, this backend) make of the instructions a jmp covers:
 * what cannot run out of line is named, what can passes. */
static void unmovable(void)
{
    fprintf(stderr, "-- instructions a jmp may cover\n");
    cd_err err = {0};
    cd_x86 *x = cd_x86_new(&err);
    CHECK(x, "capstone: %s", err.msg);
    if (!x)
        return;
    static const struct {
        uint8_t b[8];
        const char *bad; /* the mnemonic refused, or NULL */
    } cases[] = {
        {{0x48, 0x89, 0xf8, 0x48, 0x01, 0xf0, 0xc3, 0x90}, NULL},   /* mov %rdi,%rax; add %rsi,%rax */
        {{0x74, 0x03, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3}, NULL},   /* je +3: a jcc rel8 is widened */
        {{0xe3, 0x03, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3}, "jrcxz"}, /* no rel32 form */
        {{0x90, 0xe2, 0x02, 0x90, 0x90, 0x90, 0x90, 0xc3}, "loop"},  /* the second instruction */
        {{0x90, 0xcc, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3}, "int3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cd_x86_head h;
        if (cd_x86_head_decode(x, cases[i].b, sizeof cases[i].b, 0x401000, 5, &h, &err) < 0) {
            CHECK(0, "case %zu does not decode: %s", i, err.msg);
            continue;
        }
        const cd_insn *in = cd_cpatch_unmovable(&h);
        if (cases[i].bad)
            CHECK(in && !strcmp(in->mnemonic, cases[i].bad), "case %zu: %s accepted (or another refused: %s)", i,
                  cases[i].bad, in ? in->mnemonic : "none");
        else
            CHECK(!in, "case %zu: %s %s refused", i, in ? in->mnemonic : "", in ? in->ops : "");
    }
    cd_x86_free(x);
}

static void refusals(const char *path)
{
    fprintf(stderr, "-- %s: refusals\n", path);
    fsym tiny, loopy, work;
    CHECK(find_sym(path, "tiny", &tiny) && find_sym(path, "loopy", &loopy) && find_sym(path, "work", &work),
          "symbols");
    prog p;
    CHECK(spawn(&p, path, "10", "1"), "spawn");
    CHECK(saw(&p, "ready", -1, NULL, 0), "no ready");
    cd_err err = {0};
    cd_target *tg = cd_live_attach(p.pid, CD_ATTACH_NONSTOP, &err);
    CHECK(tg, "attach: %s", err.msg);
    cd_trace_env env = {.t = tg, .pid = p.pid};
    cd_trace_backend *b = tg ? cd_tb_inline_new(&env, &err) : NULL;
    if (b) {
        cd_probe pr = probe_of(&tiny, "tiny");
        CHECK(b->ops->check(b, &pr, &err) < 0, "a %llu-byte function accepted", (unsigned long long)tiny.size);
        CHECK(strstr(err.msg, "fewer than the 5"), "reason: %s", err.msg);
        pr = probe_of(&loopy, "loopy");
        CHECK(b->ops->check(b, &pr, &err) < 0, "loopy (a jump back to its entry) accepted");
        CHECK(strstr(err.msg, "lands inside"), "reason: %s", err.msg);
        pr = probe_of(&work, "work");
        pr.want_return = true;
        CHECK(b->ops->check(b, &pr, &err) == 0, "--ret (hijacked returns) refused: %s", err.msg);
        pr.want_return = false;
        pr.func_hi = 0;
        CHECK(b->ops->check(b, &pr, &err) < 0 && strstr(err.msg, "bounds"), "no bounds: %s", err.msg);
        b->ops->free(b);
    }
    cd_target_close(tg);
    go(&p);
    go(&p);
    int st = finish(&p);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status 0x%x", st);
}

/* ---- tests/bench/bench_inline.sh's driver (not a test) ----
 * --bench launch|attach PROG N OUT: traces work in `PROG N 1`, every record written to OUT in
 * binary (tid, timestamp, argument: 16 bytes, as uftrace's record writes binary), and prints one
 * line: records, drops, seconds from the first traced call to the last record written, hits/s,
 * and the program's own loop time. launch: armed before the loop starts (what `cdbg trace --
 * PROG` does); attach: armed while a loop of N calls already runs (give a large N), traced for
 * one second, unpatched, the rest of the ring read: hits/s over that. */
typedef struct bsink {
    FILE *f;
    uint64_t n, drops;
} bsink;

static int bench_sink(void *arg, const cd_trace_rec *r)
{
    bsink *b = arg;
    if (r->kind == CD_REC_DROPPED) {
        b->drops += r->dropped;
        return 0;
    }
    struct {
        uint32_t tid;
        int32_t arg;
        uint64_t ts;
    } out = {(uint32_t)r->tid, (int32_t)r->regs.rdi, r->ts_ns};
    fwrite(&out, sizeof out, 1, b->f);
    b->n++;
    return 0;
}

static int bench(const char *mode, const char *path, const char *n, const char *outp)
{
    bool attach = strcmp(mode, "attach") == 0;
    fsym work;
    if (!find_sym(path, "work", &work))
        return fprintf(stderr, "no work in %s\n", path), 2;
    FILE *f = fopen(outp, "w");
    if (!f)
        return perror(outp), 2;
    static char fbuf[1 << 20];
    setvbuf(f, fbuf, _IOFBF, sizeof fbuf);
    prog p;
    if (!spawn(&p, path, n, "1") || !saw(&p, "ready", -1, NULL, 0))
        return fprintf(stderr, "cannot start %s\n", path), 2;
    cd_err err = {0};
    cd_target *tg = cd_live_attach(p.pid, CD_ATTACH_NONSTOP, &err);
    cd_trace_env env = {.t = tg, .pid = p.pid};
    cd_trace_backend *b = tg ? cd_tb_inline_new(&env, &err) : NULL;
    cd_probe pr = probe_of(&work, "work");
    if (!b || b->ops->add(b, &pr, &err) < 0)
        return fprintf(stderr, "%s\n", err.msg), 2;
    uint64_t t0;
    if (attach) {
        go(&p);
        struct timespec ts = {0, 20000000}; /* let the loop get going */
        nanosleep(&ts, NULL);
    }
    if (b->ops->arm(b, &err) < 0)
        return fprintf(stderr, "arm: %s\n", err.msg), 2;
    t0 = now_mono();
    if (!attach)
        go(&p);
    bsink bs = {f, 0, 0};
    char rest[256] = "";
    bool done = false;
    if (attach) {
        /* the program's loop is far longer than this: one second of it traced, then unpatched,
         * the rest read, and the program killed */
        while (now_mono() - t0 < 1000000000ull)
            if (b->ops->poll(b, 10, bench_sink, &bs, &err) < 0)
                return fprintf(stderr, "poll: %s\n", err.msg), 2;
        if (b->ops->disarm(b, &err) < 0)
            return fprintf(stderr, "disarm: %s\n", err.msg), 2;
        uint64_t t1 = now_mono();
        while (b->ops->poll(b, 0, bench_sink, &bs, &err) > 0)
            ;
        fflush(f);
        uint64_t t2 = now_mono();
        double secs = (double)(t2 - t0) / 1e9;
        printf("records %llu drops %llu seconds %.3f hits/s %.0f traced_seconds %.3f\n", (unsigned long long)bs.n,
               (unsigned long long)bs.drops, secs, (double)bs.n / secs, (double)(t1 - t0) / 1e9);
        kill(p.pid, SIGKILL);
        b->ops->free(b);
        cd_target_close(tg);
        finish(&p);
        fclose(f);
        return 0;
    }
    for (;;) {
        int r = b->ops->poll(b, done ? 0 : 10, bench_sink, &bs, &err);
        if (r < 0)
            return fprintf(stderr, "poll: %s\n", err.msg), 2;
        if (done && r == 0)
            break;
        if (!done)
            done = saw(&p, "done sum=", 0, rest, sizeof rest);
    }
    fflush(f);
    uint64_t t1 = now_mono();
    const char *ns = strstr(rest, "ns=");
    double secs = (double)(t1 - t0) / 1e9;
    printf("records %llu drops %llu seconds %.3f hits/s %.0f loop_seconds %.3f\n", (unsigned long long)bs.n,
           (unsigned long long)bs.drops, secs, (double)bs.n / secs, ns ? atof(ns + 3) / 1e9 : 0.0);
    b->ops->disarm(b, &err);
    go(&p);
    saw(&p, "done2", -1, NULL, 0);
    b->ops->free(b);
    cd_target_close(tg);
    finish(&p);
    fclose(f);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "--bench") == 0)
        return bench(argv[2], argv[3], argv[4], argv[5]);
    if (argc < 2) {
        fprintf(stderr, "usage: test_inline DIR\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    unmovable();
    char path[4096];
    for (int v = 0; v < 2; v++) {
        snprintf(path, sizeof path, "%s/inline_hot_%s", argv[1], v ? "O2" : "O0");
        static const char *const w[] = {"work"}, *const j[] = {"jccwork"}, *const both[] = {"work", "jccwork"};
        traced_run(path, w, 1, 100000, 1, 0, true);
        traced_run(path, j, 1, 100000, 1, 0, true);
        traced_run(path, both, 2, 50000, 4, 0, true);
        static const char *const lib[] = {"work", "libc:fflush"};
        traced_run(path, lib, 2, 100000, 1, 0, true);
        traced_run(path, lib, 2, 20000, 4, 0, true);
        traced_run(path, w, 1, 100000, 1, 1u << 20, false);
        killed_tracer(path, 0);
        killed_tracer(path, 1u << 20);
        refusals(path);
        /* the same with compact records */
        compact_mode = true;
        fprintf(stderr, "-- compact records\n");
        traced_run(path, w, 1, 100000, 1, 0, true);
        traced_run(path, both, 2, 50000, 4, 0, true);
        traced_run(path, lib, 2, 100000, 1, 0, true);
        traced_run(path, w, 1, 100000, 1, 1u << 20, false);
        killed_tracer(path, 1u << 20);
        /* a run like the benchmark's (docs/benchmarks.md): 10 M calls as fast as the program makes
         * them, read only after its loop: the default ring holds them all */
        if (v == 1)
            traced_run(path, w, 1, 10000000, 1, 0, false);
        compact_mode = false;
    }
    if (failures) {
        fprintf(stderr, "%d failure(s)\n", failures);
        return 1;
    }
    fprintf(stderr, "all passed\n");
    return 0;
}
