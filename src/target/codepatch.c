/* Fast breakpoints: the stubs, the code area and the patches (see codepatch.h); and the patching
 * machinery the inline tracepoint backend (src/trace/inline.c) shares with them: injected system
 * calls, the search for free address space near the code, the threads' pcs, the relocation
 * checks. */
#include "target/codepatch.h"

#include "arch/arch.h"
#include "target/patchmap.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define AREA (64 * 1024)
#define DATA_SPACE 4096 /* the counters, at the start of the area (read-write); code after it */
#define SLOT_DATA 16    /* u64 hits, i64 ignore */
#define STUB_MAX 192
#define NEAR (1ull << 30)

typedef struct area {
    uint64_t base;
    size_t ndata; /* counter slots handed out */
    size_t used;  /* code bytes handed out after DATA_SPACE */
    size_t nent;  /* patch page header entries (target/patchmap.h, the area's last bytes) */
} area;

typedef struct stub {
    uint64_t addr;     /* the breakpoint's */
    cd_fastrule rule;  /* what it evaluates (zeroed padding: compared with memcmp) */
    size_t len;        /* bytes the jmp covers (whole instructions, >= 5) */
    uint8_t orig[CD_X86_HEAD_MAX];
    uint64_t code, int3_at, reloc, data;
    bool armed;
    uint64_t arm_seq;  /* when it was last armed (0 never) */
    uint64_t trapped;  /* traps reported as hits: taken back from the counters */
    bool stale;        /* the code it copied was written since: never armed again (a new stub is) */
} stub;

struct cd_cpatch {
    cd_cpatch_write_fn raw_write;
    cd_x86 *x86;
    area *areas;
    size_t nareas;
    stub *stubs;
    size_t nstubs;
    uint64_t arm_seq;
};

cd_cpatch *cd_cpatch_new(cd_cpatch_write_fn raw_write)
{
    cd_cpatch *cp = cd_xcalloc(1, sizeof *cp);
    cp->raw_write = raw_write;
    return cp;
}

void cd_cpatch_forget(cd_cpatch *cp)
{
    if (!cp)
        return;
    free(cp->areas);
    free(cp->stubs);
    cp->areas = NULL;
    cp->stubs = NULL;
    cp->nareas = cp->nstubs = 0;
}

void cd_cpatch_free(cd_cpatch *cp)
{
    if (!cp)
        return;
    cd_cpatch_forget(cp);
    cd_x86_free(cp->x86);
    free(cp);
}

/* addr's armed stub (at most one is), else NULL */
static stub *find_stub(const cd_cpatch *cp, uint64_t addr)
{
    for (size_t i = 0; cp && i < cp->nstubs; i++)
        if (cp->stubs[i].addr == addr && cp->stubs[i].armed)
            return &cp->stubs[i];
    return NULL;
}

static stub *find_rule_stub(const cd_cpatch *cp, uint64_t addr, const cd_fastrule *rule)
{
    for (size_t i = 0; cp && i < cp->nstubs; i++)
        if (cp->stubs[i].addr == addr && !cp->stubs[i].stale && !memcmp(&cp->stubs[i].rule, rule, sizeof *rule))
            return &cp->stubs[i];
    return NULL;
}

void cd_cpatch_code_written(cd_cpatch *cp, uint64_t addr, size_t len)
{
    for (size_t i = 0; cp && i < cp->nstubs; i++) {
        stub *s = &cp->stubs[i];
        if (!s->armed && s->addr < addr + len && s->addr + s->len > addr)
            s->stale = true;
    }
}

void cd_cpatch_hide(const cd_cpatch *cp, uint64_t addr, void *buf, size_t len)
{
    for (size_t i = 0; cp && i < cp->nstubs; i++) {
        const stub *s = &cp->stubs[i];
        if (!s->armed)
            continue;
        /* byte 0 is the int3's, which the backend shows as the program's already; the same here */
        for (size_t k = 0; k < s->len; k++)
            if (s->addr + k >= addr && s->addr + k < addr + len)
                ((uint8_t *)buf)[s->addr + k - addr] = s->orig[k];
    }
}

bool cd_cpatch_is_int3(const cd_cpatch *cp, uint64_t addr)
{
    for (size_t i = 0; cp && i < cp->nstubs; i++)
        if (cp->stubs[i].int3_at == addr)
            return true;
    return false;
}

uint64_t cd_cpatch_trap(cd_cpatch *cp, uint64_t rip, bool count)
{
    for (size_t i = 0; cp && i < cp->nstubs; i++)
        if (cp->stubs[i].int3_at + 1 == rip) {
            if (count)
                cp->stubs[i].trapped++;
            return cp->stubs[i].addr;
        }
    return 0;
}

uint64_t cd_cpatch_resume_pc(const cd_cpatch *cp, uint64_t addr)
{
    const stub *s = find_stub(cp, addr);
    return s && s->armed ? s->reloc : 0;
}

void cd_cpatch_undo(const cd_cpatch *cp, void (*fn)(void *arg, uint64_t addr, const uint8_t *b, size_t n), void *arg)
{
    static const uint8_t nop = 0x90;
    for (size_t i = 0; cp && i < cp->nstubs; i++) {
        const stub *s = &cp->stubs[i];
        if (s->armed) {
            /* byte 0 goes back to the int3: the backend restores it with its own breakpoints */
            uint8_t b[CD_X86_HEAD_MAX];
            memcpy(b, s->orig, s->len);
            b[0] = 0xCC;
            fn(arg, s->addr, b, s->len);
        }
        fn(arg, s->int3_at, &nop, 1);
    }
}

void cd_cpatch_undone(cd_cpatch *cp)
{
    for (size_t i = 0; cp && i < cp->nstubs; i++)
        cp->stubs[i].armed = false;
}

/* ---- making a stub ---- */

cd_thread *cd_cpatch_held_thread(cd_target *t)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (!t->threads[i]->gone && t->threads[i]->held)
            return t->threads[i];
    return NULL;
}

int cd_cpatch_inject(cd_target *t, long nr, const uint64_t args[6], int64_t *ret, cd_err *err)
{
    cd_thread *th = cd_cpatch_held_thread(t);
    if (!th)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "no thread of process %d is held", (int)t->pid);
    uint64_t a[6];
    memcpy(a, args, sizeof a);
    return cd_target_inject_syscall(t, th, nr, a, ret, err);
}

static int inject(cd_target *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, int64_t *ret,
                  cd_err *err)
{
    uint64_t args[6] = {a0, a1, a2, a3, (uint64_t)-1, 0};
    return cd_cpatch_inject(t, nr, args, ret, err);
}

static bool within(uint64_t a, uint64_t b, uint64_t range)
{
    return a > b ? a - b < range : b - a < range;
}

static bool near(uint64_t a, uint64_t b)
{
    return within(a, b, NEAR);
}

int cd_cpatch_gaps_near(cd_target *t, uint64_t addr, uint64_t size, uint64_t range, uint64_t *out, size_t max,
                        cd_err *err)
{
    const cd_mapping *m;
    size_t n;
    if (t->ops->mappings(t, &m, &n, err) < 0)
        return -1;
    size_t nc = 0;
    uint64_t prev_end = 0x10000;
    for (size_t i = 0; i <= n; i++) {
        uint64_t start = i < n ? m[i].start : 0x7ffffffff000ull;
        if (start > prev_end && start - prev_end >= 2 * size) {
            /* the end of the gap nearest to addr */
            uint64_t c = addr < prev_end ? prev_end + size : addr > start ? start - 2 * size : addr & ~0xffffull;
            c = (c + 0xffff) & ~0xffffull;
            uint64_t d = c > addr ? c - addr : addr - c;
            if (c >= prev_end && c + size <= start && within(c, addr, range) && within(c + size, addr, range)) {
                /* insertion, nearest first; the earlier of two as near stays first */
                size_t k = nc < max ? nc++ : max;
                while (k > 0) {
                    uint64_t dk = out[k - 1] > addr ? out[k - 1] - addr : addr - out[k - 1];
                    if (dk <= d)
                        break;
                    if (k < max)
                        out[k] = out[k - 1];
                    k--;
                }
                if (k < max)
                    out[k] = c;
            }
        }
        if (i < n && m[i].end > prev_end)
            prev_end = m[i].end;
    }
    return (int)nc;
}

bool cd_cpatch_pc_in(cd_target *t, uint64_t lo, uint64_t hi, bool unknown_inside)
{
    for (size_t i = 0; i < t->nthreads; i++) {
        cd_thread *th = t->threads[i];
        cd_regs r;
        cd_err e = {0};
        if (th->gone || !th->held)
            continue;
        if (t->ops->get_regs(t, th, &r, &e) < 0) {
            if (unknown_inside)
                return true;
            continue;
        }
        if (r.rip >= lo && r.rip < hi)
            return true;
    }
    return false;
}

const cd_insn *cd_cpatch_unmovable(const cd_x86_head *h)
{
    for (int i = 0; i < h->n; i++) {
        const cd_insn *in = &h->insn[i];
        if (in->kind == CD_INSN_BAD || !in->reloc_ok || in->kind == CD_INSN_INT ||
            (in->has_target && in->rel_size == 1 &&
             !(in->bytes[in->rel_off - 1] == 0xEB ||
               (in->bytes[in->rel_off - 1] >= 0x70 && in->bytes[in->rel_off - 1] <= 0x7F))))
            return in;
    }
    return NULL;
}

/* A new area within 1 GB of addr: the free gap of the address space nearest to it, mapped
 * read-write, its code part then made read-execute. */
static area *new_area(cd_cpatch *cp, cd_target *t, uint64_t addr, cd_err *err)
{
    uint64_t best = 0;
    int nc = cd_cpatch_gaps_near(t, addr, AREA, NEAR, &best, 1, err);
    if (nc < 0)
        return NULL;
    if (!best)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "no free address space within 1 GB of 0x%" PRIx64 " for a breakpoint stub", addr),
               NULL;
    int64_t r;
    if (inject(t, SYS_mmap, best, AREA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, &r,
               err) < 0)
        return NULL;
    if (r < 0 && r > -4096)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot map a stub area in process %d: %s", (int)t->pid,
                        strerror((int)-r)),
               NULL;
    if ((uint64_t)r != best) { /* an old kernel took MAP_FIXED_NOREPLACE as a hint */
        cd_err e = {0};
        inject(t, SYS_munmap, (uint64_t)r, AREA, 0, 0, &r, &e);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot map a stub area near 0x%" PRIx64, addr), NULL;
    }
    int64_t r2;
    if (inject(t, SYS_mprotect, best + DATA_SPACE, AREA - DATA_SPACE, PROT_READ | PROT_EXEC, 0, &r2, err) < 0)
        return NULL;
    /* the header that lets any unwinder map a stub's pcs back to the breakpoint's */
    if (cd_pp_init(t, best, CD_PP_FASTBP, err) < 0)
        return NULL;
    cp->areas = cd_xrealloc(cp->areas, (cp->nareas + 1) * sizeof *cp->areas);
    cp->areas[cp->nareas] = (area){.base = best};
    return &cp->areas[cp->nareas++];
}

static void put32(uint8_t *p, int64_t v)
{
    int32_t x = (int32_t)v;
    memcpy(p, &x, 4);
}

/* Decodes the instructions at addr the jmp would cover and checks that nothing jumps into them. */
static int analyse(cd_cpatch *cp, cd_target *t, uint64_t addr, uint64_t lo, uint64_t hi, cd_x86_head *h,
                   cd_err *err)
{
    if (!cp->x86 && !(cp->x86 = cd_x86_new(err)))
        return -1;
    if (!lo || hi <= lo || addr < lo || addr >= hi || hi - lo > (16u << 20))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "0x%" PRIx64 ": the function's bounds are unknown, so jumps into a patch cannot be ruled out",
                        addr);
    size_t flen = (size_t)(hi - lo);
    uint8_t *code = cd_xmalloc(flen);
    if (cd_target_read_full(t, lo, code, flen) < 0) { /* the program's bytes: int3s hidden */
        free(code);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot read the code at 0x%" PRIx64, lo);
    }
    size_t off = (size_t)(addr - lo);
    int rc = -1;
    cd_err herr = {0};
    if (cd_x86_head_decode(cp->x86, code + off, flen - off, addr, 5, h, &herr) < 0) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "0x%" PRIx64 ": %s", addr, herr.msg);
        goto out;
    }
    if (h->skip) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "0x%" PRIx64 ": an endbr64 is under the breakpoint", addr);
        goto out;
    }
    /* a jump to addr itself is a hit, as it is with the int3; a jump past it into the covered
     * bytes would land inside the jmp. An indirect jmp (a jump table) could be aimed anywhere. */
    uint64_t where = 0;
    cd_x86_scan sc = cd_x86_scan_branches_into(cp->x86, code, flen, lo, addr + 1, addr + h->len, &where);
    if (sc != CD_X86_SCAN_CLEAR) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "0x%" PRIx64 ": %s at 0x%" PRIx64, addr,
                 sc == CD_X86_SCAN_BRANCH_INTO  ? "a branch into the bytes a jmp would cover"
                 : sc == CD_X86_SCAN_INDIRECT   ? "an indirect jump in the function"
                                                : "undecodable bytes in the function",
                 where);
        goto out;
    }
    const cd_insn *in = cd_cpatch_unmovable(h);
    if (in) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "0x%" PRIx64 ": %s %s cannot be relocated", in->addr,
                 in->mnemonic, in->ops);
        goto out;
    }
    rc = 0;
out:
    free(code);
    return rc;
}

/* x86 condition codes of value OP imm after `cmp $imm, value` */
static int cc_of(const cd_fastcmp *c)
{
    switch (c->op) {
    case CD_FCMP_EQ: return 0x4;
    case CD_FCMP_NE: return 0x5;
    case CD_FCMP_LT: return c->is_signed ? 0xc : 0x2;
    case CD_FCMP_LE: return c->is_signed ? 0xe : 0x6;
    case CD_FCMP_GT: return c->is_signed ? 0xf : 0x7;
    default: return c->is_signed ? 0xd : 0x3;
    }
}

/* `cmp $imm, value` for c into b (at most 16 bytes); the stub has moved rsp down by 136 */
static size_t emit_cmp(const cd_fastcmp *c, uint8_t *b)
{
    size_t n = 0;
    int reg = c->reg & 15;
    int32_t off = c->off + (reg == 4 ? 136 : 0);
    uint8_t rex = (uint8_t)((c->size == 8 ? 0x48 : 0x40) | (reg >= 8 ? 1 : 0));
    if (c->size == 2)
        b[n++] = 0x66;
    if (rex != 0x40 || (c->size == 1 && !c->mem && reg >= 4))
        b[n++] = rex; /* REX alone makes 4-7 spl/bpl/sil/dil in a byte operation */
    b[n++] = c->size == 1 ? 0x80 : 0x81;
    if (c->mem) {
        b[n++] = (uint8_t)(0x80 | (7 << 3) | (reg & 7));
        if ((reg & 7) == 4)
            b[n++] = 0x24;
        put32(b + n, off), n += 4;
    } else {
        b[n++] = (uint8_t)(0xc0 | (7 << 3) | (reg & 7));
    }
    int64_t v = c->imm;
    if (c->size == 1)
        b[n++] = (uint8_t)v;
    else if (c->size == 2)
        b[n++] = (uint8_t)v, b[n++] = (uint8_t)(v >> 8);
    else
        put32(b + n, v), n += 4;
    return n;
}

static stub *make_stub(cd_cpatch *cp, cd_target *t, uint64_t addr, uint64_t lo, uint64_t hi,
                       const cd_fastrule *rule, cd_err *err)
{
    cd_x86_head h;
    if (analyse(cp, t, addr, lo, hi, &h, err) < 0)
        return NULL;
    area *a = NULL;
    for (size_t k = 0; k < cp->nareas && !a; k++)
        if (cp->areas[k].ndata < DATA_SPACE / SLOT_DATA &&
            DATA_SPACE + cp->areas[k].used + STUB_MAX <= AREA - CD_PP_HDR_SIZE &&
            cp->areas[k].nent + CD_PP_STUB_ENTRIES <= CD_PP_CAP &&
            near(cp->areas[k].base, addr) && near(cp->areas[k].base + AREA, addr))
            a = &cp->areas[k];
    if (!a && !(a = new_area(cp, t, addr, err)))
        return NULL;
    uint64_t data = a->base + a->ndata * SLOT_DATA;
    uint64_t code = a->base + DATA_SPACE + a->used;
    uint8_t b[STUB_MAX];
    size_t n = 0;
    static const uint8_t lea_down[] = {0x48, 0x8d, 0x64, 0x24, 0x80};                   /* lea -128(%rsp),%rsp */
    static const uint8_t lea_up[] = {0x48, 0x8d, 0xa4, 0x24, 0x80, 0x00, 0x00, 0x00}; /* lea 128(%rsp),%rsp */
    memcpy(b + n, lea_down, 5), n += 5;
    b[n++] = 0x9c; /* pushfq */
    /* the condition: false jumps to PASS (rel32 fixed up below) */
    size_t to_pass[2], npass = 0, to_true = 0;
    for (int k = 0; k < rule->n; k++) {
        n += emit_cmp(&rule->c[k], b + n);
        int cc = cc_of(&rule->c[k]);
        b[n++] = 0x0f;
        if (rule->any && k == 0) {
            b[n++] = (uint8_t)(0x80 | cc); /* true: counted */
            to_true = n;
        } else {
            b[n++] = (uint8_t)(0x80 | (cc ^ 1)); /* false: passed over */
            to_pass[npass++] = n;
        }
        n += 4;
    }
    if (to_true)
        put32(b + to_true, (int64_t)n - (int64_t)(to_true + 4)); /* TRUE: the count */
    static const uint8_t inc[] = {0xf0, 0x48, 0xff, 0x05}, dec[] = {0xf0, 0x48, 0xff, 0x0d};
    memcpy(b + n, inc, 4), n += 4; /* lock incq HITS(%rip) */
    put32(b + n, (int64_t)data - (int64_t)(code + n + 4)), n += 4;
    memcpy(b + n, dec, 4), n += 4; /* lock decq IGN(%rip) */
    put32(b + n, (int64_t)(data + 8) - (int64_t)(code + n + 4)), n += 4;
    b[n++] = 0x7c; /* jl STOP */
    size_t jl_at = n++;
    for (size_t k = 0; k < npass; k++)
        put32(b + to_pass[k], (int64_t)n - (int64_t)(to_pass[k] + 4));
    size_t pass_at = n;
    b[n++] = 0x9d; /* PASS: popfq */
    memcpy(b + n, lea_up, 8), n += 8;
    b[n++] = 0xeb; /* jmp RELOC */
    size_t jmp_at = n++;
    b[jl_at] = (uint8_t)(n - (jl_at + 1));
    size_t stop_at = n;
    b[n++] = 0x9d;
    memcpy(b + n, lea_up, 8), n += 8;
    size_t int3_off = n;
    b[n++] = 0xcc;
    b[jmp_at] = (uint8_t)(n - (jmp_at + 1));
    size_t reloc_off = n;
    /* the patch page entries: what each byte range stands for, and how far below the
     * breakpoint's rsp the stub has moved it there (codepatch.h's layout) */
    cd_pp_entry pe[CD_PP_STUB_ENTRIES];
    size_t ne = 0;
    const size_t seg[][3] = {{0, 5, 0},
                             {5, 6, 128},
                             {6, pass_at + 1, 136},
                             {pass_at + 1, pass_at + 9, 128},
                             {pass_at + 9, pass_at + 11, 0},
                             {stop_at, stop_at + 1, 136},
                             {stop_at + 1, stop_at + 9, 128},
                             {int3_off, int3_off + 1, 0}};
    for (size_t k = 0; k < sizeof seg / sizeof *seg; k++)
        pe[ne++] = (cd_pp_entry){.off = (uint16_t)(code - a->base + seg[k][0]),
                                 .len = (uint16_t)(seg[k][1] - seg[k][0]),
                                 .sp = (int16_t)seg[k][2],
                                 .kind = CD_PP_CODE,
                                 .orig = addr};
    for (int i = 0; i < h.n; i++) {
        size_t k = 0;
        cd_err rerr = {0};
        if (STUB_MAX - n - 5 < CD_X86_RELOC_MAX ||
            cd_x86_relocate(&h.insn[i], code + n, b + n, STUB_MAX - n - 5, &k, &rerr) < 0)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "0x%" PRIx64 ": %s", addr,
                            rerr.msg[0] ? rerr.msg : "the stub is too long"),
                   NULL;
        if (ne < CD_PP_STUB_ENTRIES - 1)
            pe[ne++] = (cd_pp_entry){.off = (uint16_t)(code - a->base + n), .len = (uint16_t)k, .kind = CD_PP_CODE,
                                     .orig = h.insn[i].addr};
        n += k;
    }
    pe[ne++] = (cd_pp_entry){.off = (uint16_t)(code - a->base + n), .len = 5, .kind = CD_PP_CODE, .orig = addr + h.len};
    b[n] = 0xe9; /* jmp back */
    put32(b + n + 1, (int64_t)(addr + h.len) - (int64_t)(code + n + 5));
    n += 5;
    uint8_t zero[SLOT_DATA] = {0};
    if (t->ops->write_mem(t, data, zero, sizeof zero, err) < 0 || t->ops->write_mem(t, code, b, n, err) < 0 ||
        cd_pp_add(t, a->base, pe, ne, err) < 0)
        return NULL;
    a->ndata++;
    a->used += STUB_MAX;
    a->nent += CD_PP_STUB_ENTRIES;
    cp->stubs = cd_xrealloc(cp->stubs, (cp->nstubs + 1) * sizeof *cp->stubs);
    stub *s = &cp->stubs[cp->nstubs++];
    memset(s, 0, sizeof *s);
    s->addr = addr;
    s->rule = *rule;
    s->len = h.len;
    for (int i = 0; i < h.n; i++)
        memcpy(s->orig + (h.insn[i].addr - addr), h.insn[i].bytes, h.insn[i].len);
    s->code = code;
    s->int3_at = code + int3_off;
    s->reloc = code + reloc_off;
    s->data = data;
    return s;
}

/* ---- arming ---- */

int cd_fastbp_arm(cd_target *t, uint64_t addr, uint64_t func_lo, uint64_t func_hi, int64_t ignore, bool keep,
                  const cd_fastrule *rule, uint64_t *stub_id, cd_err *err)
{
    cd_fastrule none;
    memset(&none, 0, sizeof none);
    if (!rule)
        rule = &none;
    cd_cpatch *cp = cd_target_cpatch(t);
    if (!cp)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "this target cannot be patched");
    for (size_t i = 0; i < t->nthreads; i++)
        if (!t->threads[i]->gone && !t->threads[i]->held)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "thread %d runs", (int)t->threads[i]->tid);
    stub *s = find_stub(cp, addr);
    if (s && memcmp(&s->rule, rule, sizeof *rule) && cd_fastbp_disarm(t, addr, err) < 0)
        return -1;
    if (!(s = find_rule_stub(cp, addr, rule)) && !(s = make_stub(cp, t, addr, func_lo, func_hi, rule, err)))
        return -1;
    *stub_id = s->code;
    if (s->armed)
        return 0;
    /* a thread between the first and the last covered byte would resume in the middle of the jmp;
     * one at addr itself resumes in the stub (cd_cpatch_resume_pc) */
    if (cd_cpatch_pc_in(t, addr + 1, addr + s->len, true))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "a thread is inside the bytes at 0x%" PRIx64, addr);
    bool last = s->arm_seq != 0;
    for (size_t i = 0; i < cp->nstubs && last; i++)
        if (cp->stubs[i].addr == addr && cp->stubs[i].arm_seq > s->arm_seq)
            last = false;
    /* in the books' terms (cd_fastbp_counts): traps taken back are added to what the target holds */
    int64_t raw = ignore - (int64_t)s->trapped;
    if (!(keep && last) && t->ops->write_mem(t, s->data + 8, &raw, 8, err) < 0)
        return -1;
    uint8_t b[CD_X86_HEAD_MAX];
    memcpy(b, s->orig, s->len);
    b[0] = 0xe9;
    put32(b + 1, (int64_t)s->code - (int64_t)(addr + 5));
    /* one write while every thread is held: no thread sees half of it */
    if (cp->raw_write(t, addr, b, s->len) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot patch the code at 0x%" PRIx64, addr);
    s->armed = true;
    s->arm_seq = ++cp->arm_seq;
    return 0;
}

int cd_fastbp_disarm(cd_target *t, uint64_t addr, cd_err *err)
{
    cd_cpatch *cp = cd_target_cpatch(t);
    stub *s = find_stub(cp, addr);
    if (!s || !s->armed)
        return 0;
    uint8_t b[CD_X86_HEAD_MAX];
    memcpy(b, s->orig, s->len);
    b[0] = 0xcc;
    s->armed = false; /* gone with the process too */
    if (cp->raw_write(t, addr, b, s->len) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_MEMORY, "cannot restore the code at 0x%" PRIx64, addr);
    return 0;
}

bool cd_fastbp_counts(cd_target *t, uint64_t stub_id, uint64_t *hits, int64_t *ignore)
{
    cd_cpatch *cp = cd_target_cpatch(t);
    stub *s = NULL;
    for (size_t i = 0; cp && i < cp->nstubs && !s; i++)
        if (cp->stubs[i].code == stub_id)
            s = &cp->stubs[i];
    uint64_t v[2];
    if (!s || cd_target_read_full(t, s->data, v, sizeof v) < 0)
        return false;
    *hits = v[0] - s->trapped;
    *ignore = (int64_t)v[1] + (int64_t)s->trapped;
    return true;
}
