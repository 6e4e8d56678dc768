/* Unit tests for instruction relocation (src/arch: cd_x86_relocate, cd_x86_relocate_head), the
 * inline tracepoint backend's trampolines. Every instruction is assembled by gas where it sits in
 * this program; a relocated copy is decoded again at its new address and must name the same
 * memory and branch to the same target as the original (never compared against a number the
 * relocation computed). Two functions are also relocated into an executable page near this
 * program's code, followed by a jump back, and CALLED: the copy must return what the original
 * returns, through a widened short jcc and a re-aimed rip-relative operand, past an endbr64.
 * Refusals: loop/jrcxz (no rel32 form), int3, undecodable bytes, a rel16 branch, a target or
 * operand out of 32-bit reach, a too-short function, a jump back into the patched bytes. */
#include "arch/arch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        bool ok_ = (cond);                                                           \
        printf("%s: %s (line %d)\n", ok_ ? "ok" : "FAIL", #cond, __LINE__);          \
        if (!ok_)                                                                    \
            failures++;                                                              \
    } while (0)

#define SNIP(n) extern const uint8_t n[], n##_end[]
#define A(p) ((uint64_t)(uintptr_t)(p))

/* One instruction per snippet, never executed. */
__asm__(".pushsection .rodata.cdr_insns, \"a\"\n"
        ".macro snip name\n"
        ".globl \\name, \\name\\()_end\n"
        ".hidden \\name, \\name\\()_end\n"
        "\\name\\():\n"
        ".endm\n"
        ".macro snipend name\n"
        "\\name\\()_end:\n"
        ".endm\n"
        ".globl cdr_data\n.hidden cdr_data\n"
        "snip cdr_mov\n mov cdr_data(%rip), %rax\n snipend cdr_mov\n"
        "snip cdr_cmpl\n cmpl $1, cdr_data(%rip)\n snipend cdr_cmpl\n"  /* an immediate after the disp32 */
        "snip cdr_movl\n movl $0x12345678, cdr_data(%rip)\n snipend cdr_movl\n"
        "snip cdr_call\n call cdr_data\n snipend cdr_call\n"
        "snip cdr_callmem\n call *cdr_data(%rip)\n snipend cdr_callmem\n"
        "snip cdr_jmp32\n {disp32} jmp cdr_data\n snipend cdr_jmp32\n"
        "snip cdr_jne32\n {disp32} jne cdr_data\n snipend cdr_jne32\n"
        "snip cdr_jmp8\n jmp cdr_mov\n snipend cdr_jmp8\n"
        "snip cdr_je8\n je cdr_mov\n snipend cdr_je8\n"
        "snip cdr_jg8\n jg cdr_movl\n snipend cdr_jg8\n"
        "snip cdr_bndjmp\n bnd jmp cdr_movl\n snipend cdr_bndjmp\n"
        "snip cdr_xbegin\n xbegin cdr_call\n snipend cdr_xbegin\n"
        "snip cdr_loop\n loop cdr_loop\n snipend cdr_loop\n"
        "snip cdr_jrcxz\n jrcxz cdr_call\n snipend cdr_jrcxz\n"
        "snip cdr_int3\n int3\n snipend cdr_int3\n"
        "snip cdr_jmpw\n .byte 0x66, 0xe9, 0x10, 0x00\n snipend cdr_jmpw\n"
        "snip cdr_bad\n .byte 0x06\n snipend cdr_bad\n"
        "snip cdr_push\n push %rbp\n snipend cdr_push\n"
        "cdr_data: .quad 0\n"
        ".popsection\n");
SNIP(cdr_mov);
SNIP(cdr_cmpl);
SNIP(cdr_movl);
SNIP(cdr_call);
SNIP(cdr_callmem);
SNIP(cdr_jmp32);
SNIP(cdr_jne32);
SNIP(cdr_jmp8);
SNIP(cdr_je8);
SNIP(cdr_jg8);
SNIP(cdr_bndjmp);
SNIP(cdr_xbegin);
SNIP(cdr_loop);
SNIP(cdr_jrcxz);
SNIP(cdr_int3);
SNIP(cdr_jmpw);
SNIP(cdr_bad);
SNIP(cdr_push);
extern const uint8_t cdr_data[];

/* Functions that run. rx_add(x): -1 when x < 0, else x + rx_data; its first 10 bytes are a test,
 * a short js (widened when moved) and a rip-relative load. rx_cet(x): rx_data + x, after an endbr64,
 * through a push and a rip-relative lea. rx_short: 3 bytes. rx_loop: its loop jumps back to its
 * first instruction. */
__asm__(".text\n"
        ".globl rx_add, rx_add_end, rx_cet, rx_cet_end, rx_short, rx_short_end, rx_loop, rx_loop_end, rx_data\n"
        ".hidden rx_add, rx_add_end, rx_cet, rx_cet_end, rx_short, rx_short_end, rx_loop, rx_loop_end, rx_data\n"
        "rx_add:\n"
        " test %edi, %edi\n"
        " js 1f\n"
        " mov rx_data(%rip), %eax\n"
        " add %edi, %eax\n"
        " ret\n"
        "1: mov $-1, %eax\n"
        " ret\n"
        "rx_add_end:\n"
        "rx_cet:\n"
        " endbr64\n"
        " push %rbx\n"
        " lea rx_data(%rip), %rbx\n"
        " mov (%rbx), %eax\n"
        " pop %rbx\n"
        " add %edi, %eax\n"
        " ret\n"
        "rx_cet_end:\n"
        "rx_short:\n"
        " xor %eax, %eax\n"
        " ret\n"
        "rx_short_end:\n"
        "rx_loop:\n"
        " dec %edi\n"
        " jnz rx_loop\n"
        " mov %edi, %eax\n"
        " ret\n"
        "rx_loop_end:\n"
        ".data\n"
        "rx_data: .long 100\n"
        ".text\n");
extern const uint8_t rx_add[], rx_add_end[], rx_cet[], rx_cet_end[], rx_short[], rx_short_end[], rx_loop[],
    rx_loop_end[];
extern int rx_data;

static cd_insn dec(cd_x86 *d, const uint8_t *p, const uint8_t *end)
{
    cd_insn in;
    bool ok = cd_x86_decode(d, p, (size_t)(end - p), A(p), &in);
    if (!ok || in.len != end - p) {
        printf("FAIL: the snippet at %p does not decode as one instruction\n", (void *)p);
        failures++;
    }
    return in;
}
#define DEC(n) dec(d, n, n##_end)

/* Relocates in to `to` and decodes the copy there: what it names and where it goes must be the
 * original's. Returns the copy's length (0 when refused). */
static size_t moved(cd_x86 *d, const cd_insn *in, uint64_t to, cd_insn *out)
{
    uint8_t buf[CD_X86_RELOC_MAX];
    size_t n = 0;
    cd_err err = {0};
    if (cd_x86_relocate(in, to, buf, sizeof buf, &n, &err) < 0) {
        printf("refused: %s\n", err.msg);
        return 0;
    }
    if (!cd_x86_decode(d, buf, n, to, out) || out->len != n) {
        printf("FAIL: the copy of %s %s does not decode as one instruction\n", in->mnemonic, in->ops);
        failures++;
        return 0;
    }
    return n;
}

static uint64_t ea(const cd_insn *in)
{
    return in->addr + in->len + (uint64_t)(int64_t)in->disp;
}

static void test_rip_relative(cd_x86 *d)
{
    const uint8_t *snips[][2] = {{cdr_mov, cdr_mov_end}, {cdr_cmpl, cdr_cmpl_end}, {cdr_movl, cdr_movl_end},
                                 {cdr_callmem, cdr_callmem_end}};
    for (size_t i = 0; i < sizeof snips / sizeof *snips; i++) {
        cd_insn in = dec(d, snips[i][0], snips[i][1]), c;
        CHECK(in.rip_rel && ea(&in) == A(cdr_data));
        /* far away both ways, within 2 GB of cdr_data */
        uint64_t tos[] = {A(cdr_data) + 0x70000000ull, A(cdr_data) - 0x70000000ull, A(cdr_data) + 3};
        for (size_t k = 0; k < 3; k++) {
            size_t n = moved(d, &in, tos[k], &c);
            CHECK(n == in.len && c.rip_rel && ea(&c) == A(cdr_data));
            CHECK(!strcmp(c.mnemonic, in.mnemonic));
            /* everything but the displacement is the original's (the immediate after it too) */
            CHECK(memcmp(c.bytes, in.bytes, in.disp_off) == 0 &&
                  memcmp(c.bytes + in.disp_off + 4, in.bytes + in.disp_off + 4, in.len - in.disp_off - 4u) == 0);
        }
        /* beyond 2 GB: refused, never truncated */
        cd_err err = {0};
        uint8_t buf[CD_X86_RELOC_MAX];
        size_t n = 0;
        CHECK(cd_x86_relocate(&in, A(cdr_data) + 0x90000000ull, buf, sizeof buf, &n, &err) < 0);
        CHECK(strstr(err.msg, "more than 2 GB") != NULL);
    }
}

static void test_branches(cd_x86 *d)
{
    struct {
        const uint8_t *p, *end;
        uint64_t target;
        size_t newlen;
    } br[] = {
        {cdr_call, cdr_call_end, A(cdr_data), 5},     {cdr_jmp32, cdr_jmp32_end, A(cdr_data), 5},
        {cdr_jne32, cdr_jne32_end, A(cdr_data), 6},   {cdr_jmp8, cdr_jmp8_end, A(cdr_mov), 5},
        {cdr_je8, cdr_je8_end, A(cdr_mov), 6},        {cdr_jg8, cdr_jg8_end, A(cdr_movl), 6},
        {cdr_bndjmp, cdr_bndjmp_end, A(cdr_movl), 6}, {cdr_xbegin, cdr_xbegin_end, A(cdr_call), 6},
    };
    for (size_t i = 0; i < sizeof br / sizeof *br; i++) {
        cd_insn in = dec(d, br[i].p, br[i].end), c;
        CHECK(in.has_target && in.target == br[i].target);
        uint64_t tos[] = {A(br[i].p) + 0x40000000ull, A(br[i].p) - 0x40000000ull};
        for (size_t k = 0; k < 2; k++) {
            size_t n = moved(d, &in, tos[k], &c);
            printf("  %s %s -> %zu bytes\n", in.mnemonic, in.ops, n);
            CHECK(n == br[i].newlen && c.has_target && c.target == br[i].target && c.kind == in.kind);
            CHECK(c.rel_size == 4 && !strcmp(c.mnemonic, in.mnemonic));
        }
    }
    /* the bnd prefix survives the widening */
    cd_insn in = DEC(cdr_bndjmp), c;
    CHECK(moved(d, &in, A(cdr_bndjmp) + 0x1000, &c) == 6 && c.bytes[0] == 0xf2 && c.bytes[1] == 0xe9);
    /* a condition is kept: jg (7f) becomes 0f 8f */
    in = DEC(cdr_jg8);
    CHECK(moved(d, &in, A(cdr_jg8) + 0x1000, &c) == 6 && c.bytes[0] == 0x0f && c.bytes[1] == 0x8f);
    /* an instruction that is neither stays byte for byte */
    in = DEC(cdr_push);
    CHECK(moved(d, &in, A(cdr_push) + 0x12345, &c) == 1 && c.bytes[0] == 0x55);
    /* a branch target beyond 2 GB of the copy */
    in = DEC(cdr_jmp8);
    uint8_t buf[CD_X86_RELOC_MAX];
    size_t n = 0;
    cd_err err = {0};
    CHECK(cd_x86_relocate(&in, A(cdr_jmp8) + 0x90000000ull, buf, sizeof buf, &n, &err) < 0);
    in = DEC(cdr_call);
    CHECK(cd_x86_relocate(&in, A(cdr_call) - 0x90000000ull, buf, sizeof buf, &n, &err) < 0);
}

static void test_refusals(cd_x86 *d)
{
    const uint8_t *snips[][2] = {{cdr_loop, cdr_loop_end}, {cdr_jrcxz, cdr_jrcxz_end}, {cdr_int3, cdr_int3_end},
                                 {cdr_jmpw, cdr_jmpw_end}, {cdr_bad, cdr_bad_end}};
    const char *why[] = {"no 32-bit form", "no 32-bit form", "trap instruction", "moved safely", "moved safely"};
    for (size_t i = 0; i < sizeof snips / sizeof *snips; i++) {
        cd_insn in;
        cd_x86_decode(d, snips[i][0], (size_t)(snips[i][1] - snips[i][0]), A(snips[i][0]), &in);
        uint8_t buf[CD_X86_RELOC_MAX];
        size_t n = 0;
        cd_err err = {0};
        int r = cd_x86_relocate(&in, A(snips[i][0]) + 0x1000, buf, sizeof buf, &n, &err);
        printf("  %s: %s\n", in.mnemonic, err.msg);
        CHECK(r < 0 && strstr(err.msg, why[i]) != NULL);
    }
    /* a too-short output buffer is refused, not overrun */
    cd_insn in = DEC(cdr_mov);
    uint8_t small[4];
    size_t n = 0;
    cd_err err = {0};
    CHECK(cd_x86_relocate(&in, A(cdr_mov) + 16, small, sizeof small, &n, &err) < 0);
}

/* An executable page within 2 GB of this program's code. */
static uint8_t *near_page(void)
{
    uint64_t base = A(rx_add) & ~0xfffull;
    for (uint64_t delta = 0x10000000ull; delta <= 0x40000000ull; delta += 0x10000000ull) {
        for (int sign = 0; sign < 2; sign++) {
            uint64_t at = sign ? base - delta : base + delta;
            void *p = mmap((void *)(uintptr_t)at, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
            if (p != MAP_FAILED && A(p) == at)
                return p;
            if (p != MAP_FAILED)
                munmap(p, 4096);
        }
    }
    return NULL;
}

/* Copies f's head (the 5 bytes a jump replaces, past an endbr64) to page, then a jmp back. */
static bool copy_head(cd_x86 *d, const uint8_t *f, const uint8_t *end, uint8_t *page, size_t *skip)
{
    cd_x86_head h;
    cd_err err = {0};
    if (cd_x86_head_decode(d, f, (size_t)(end - f), A(f), 5, &h, &err) < 0) {
        printf("head: %s\n", err.msg);
        return false;
    }
    size_t n = 0;
    if (cd_x86_relocate_head(&h, A(page), page, 256 - 5, &n, &err) < 0) {
        printf("relocate: %s\n", err.msg);
        return false;
    }
    int32_t back = (int32_t)(int64_t)(A(f) + h.skip + h.len - (A(page) + n + 5));
    page[n] = 0xe9;
    memcpy(page + n + 1, &back, 4);
    *skip = h.skip;
    return true;
}

static void test_run(cd_x86 *d)
{
    uint8_t *page = near_page();
    CHECK(page != NULL);
    if (!page)
        return;
    size_t skip = 9;
    CHECK(copy_head(d, rx_add, rx_add_end, page, &skip) && skip == 0);
    int (*f)(int) = (int (*)(int))(uintptr_t)page;
    int (*orig)(int) = (int (*)(int))(uintptr_t)rx_add;
    CHECK(orig(5) == 105 && f(5) == 105);   /* through the re-aimed rip-relative load */
    CHECK(orig(-3) == -1 && f(-3) == -1);   /* through the widened js */
    rx_data = 7;
    CHECK(f(1) == 8);                       /* the copy reads the original variable, not a copy */
    rx_data = 100;

    uint8_t *p2 = page + 256;
    CHECK(copy_head(d, rx_cet, rx_cet_end, p2, &skip) && skip == 4);
    int (*g)(int) = (int (*)(int))(uintptr_t)p2;
    CHECK(g(11) == 111 && ((int (*)(int))(uintptr_t)rx_cet)(11) == 111);
    munmap(page, 4096);
}

static void test_heads(cd_x86 *d)
{
    cd_x86_head h;
    cd_err err = {0};
    /* too short: 3 bytes of instructions */
    CHECK(cd_x86_head_decode(d, rx_short, (size_t)(rx_short_end - rx_short), A(rx_short), 5, &h, &err) < 0);
    CHECK(strstr(err.msg, "fewer than the 5") != NULL);
    /* the loop's back-edge lands on the first patched byte */
    CHECK(cd_x86_head_decode(d, rx_loop, (size_t)(rx_loop_end - rx_loop), A(rx_loop), 5, &h, &err) == 0);
    uint64_t where = 0;
    CHECK(cd_x86_scan_branches_into(d, rx_loop, (size_t)(rx_loop_end - rx_loop), A(rx_loop), A(rx_loop),
                                    A(rx_loop) + h.skip + h.len, &where) == CD_X86_SCAN_BRANCH_INTO);
    /* rx_add's js jumps past the patch: clear */
    CHECK(cd_x86_head_decode(d, rx_add, (size_t)(rx_add_end - rx_add), A(rx_add), 5, &h, &err) == 0);
    CHECK(h.n == 3 && h.len == 10);
    CHECK(cd_x86_scan_branches_into(d, rx_add, (size_t)(rx_add_end - rx_add), A(rx_add), A(rx_add),
                                    A(rx_add) + h.len, &where) == CD_X86_SCAN_CLEAR);
    /* undecodable bytes in the window */
    static const uint8_t junk[] = {0x55, 0x06, 0x90, 0x90, 0x90, 0x90};
    CHECK(cd_x86_head_decode(d, junk, sizeof junk, 0x1000, 5, &h, &err) < 0 && strstr(err.msg, "do not decode"));
}

int main(void)
{
    cd_err err = {0};
    cd_x86 *d = cd_x86_new(&err);
    if (!d) {
        printf("FAIL: %s\n", err.msg);
        return 1;
    }
    test_rip_relative(d);
    test_branches(d);
    test_refusals(d);
    test_heads(d);
    test_run(d);
    cd_x86_free(d);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
