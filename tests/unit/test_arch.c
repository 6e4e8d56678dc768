/* Unit tests for the x86-64 instruction module (src/arch). The instructions are assembled by gas
 * when this test is built (the __asm__ blocks below) and decoded where they sit in this program,
 * so every branch target and rip-relative address is checked against the address the assembler
 * and linker gave a label, never against a number this module computed. The field offsets
 * (disp_off, rel_off) are the ones `objdump -d` shows for these encodings (noted beside each). */
#include "arch/arch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        bool ok_ = (cond);                                                           \
        printf("%s: %s (line %d)\n", ok_ ? "ok" : "FAIL", #cond, __LINE__);          \
        if (!ok_)                                                                    \
            failures++;                                                              \
    } while (0)

/* SNIP(name) declares name and name_end, the bounds of one snippet below. */
#define SNIP(n) extern const uint8_t n[], n##_end[]
#define A(p) ((uint64_t)(uintptr_t)(p))

/* One instruction per snippet. In a section of its own: nothing here is ever executed. */
__asm__(".pushsection .rodata.cdt_insns, \"a\"\n"
        ".macro snip name\n"
        ".globl \\name, \\name\\()_end\n"
        ".hidden \\name, \\name\\()_end\n"
        "\\name\\():\n"
        ".endm\n"
        ".macro snipend name\n"
        "\\name\\()_end:\n"
        ".endm\n"
        ".globl cdt_data\n.hidden cdt_data\n"
        "snip cdt_endbr\n endbr64\n snipend cdt_endbr\n"                          /* f3 0f 1e fa */
        "snip cdt_mov\n mov 0x1234(%rip), %rax\n snipend cdt_mov\n"             /* 48 8b 05 [34 12 00 00] */
        "snip cdt_lea\n lea cdt_data(%rip), %rdi\n snipend cdt_lea\n"           /* 48 8d 3d [disp32] */
        "snip cdt_cmpl\n cmpl $1, 0x10(%rip)\n snipend cdt_cmpl\n"              /* 83 3d [10 00 00 00] 01 */
        "snip cdt_movl\n movl $0x12345678, cdt_data(%rip)\n snipend cdt_movl\n" /* c7 05 [disp32] 78 56 34 12 */
        "snip cdt_call\n call cdt_data\n snipend cdt_call\n"                    /* e8 [rel32] */
        "snip cdt_jmp32\n {disp32} jmp cdt_data\n snipend cdt_jmp32\n"          /* e9 [rel32] */
        "snip cdt_jne32\n {disp32} jne cdt_data\n snipend cdt_jne32\n"          /* 0f 85 [rel32] */
        "snip cdt_jmp8\n jmp cdt_jmp8\n snipend cdt_jmp8\n"                     /* eb [fe] */
        "snip cdt_je8\n je cdt_mov\n snipend cdt_je8\n"                         /* 74 [rel8] */
        "snip cdt_bndjmp\n bnd jmp cdt_movl\n snipend cdt_bndjmp\n"             /* f2 eb [rel8] */
        "snip cdt_loop\n loop cdt_loop\n snipend cdt_loop\n"                    /* e2 [fe] */
        "snip cdt_jrcxz\n jrcxz cdt_call\n snipend cdt_jrcxz\n"                 /* e3 [rel8] */
        "snip cdt_xbegin\n xbegin cdt_call\n snipend cdt_xbegin\n"              /* c7 f8 [rel32] */
        "snip cdt_ret\n ret\n snipend cdt_ret\n"                                /* c3 */
        "snip cdt_reti\n ret $8\n snipend cdt_reti\n"                           /* c2 08 00 */
        "snip cdt_syscall\n syscall\n snipend cdt_syscall\n"                    /* 0f 05 */
        "snip cdt_int3\n int3\n snipend cdt_int3\n"                             /* cc */
        "snip cdt_int80\n int $0x80\n snipend cdt_int80\n"                      /* cd 80 */
        "snip cdt_jmpreg\n jmp *%rax\n snipend cdt_jmpreg\n"                    /* ff e0 */
        "snip cdt_ntjmp\n notrack jmp *%rax\n snipend cdt_ntjmp\n"              /* 3e ff e0 */
        "snip cdt_callreg\n call *%rdx\n snipend cdt_callreg\n"                 /* ff d2 */
        "snip cdt_callmem\n call *0x10(%rip)\n snipend cdt_callmem\n"           /* ff 15 [10 00 00 00] */
        "snip cdt_add\n add 0x8(%rsp), %eax\n snipend cdt_add\n"                /* 03 44 24 08 */
        "snip cdt_jmpw\n .byte 0x66, 0xe9, 0x10, 0x00\n snipend cdt_jmpw\n"     /* jmpw: rel16 */
        "snip cdt_bad\n .byte 0x06\n snipend cdt_bad\n"                         /* push %es: invalid in 64-bit */
        "cdt_data: .quad 0\n"
        ".popsection\n");
SNIP(cdt_endbr);
SNIP(cdt_mov);
SNIP(cdt_lea);
SNIP(cdt_cmpl);
SNIP(cdt_movl);
SNIP(cdt_call);
SNIP(cdt_jmp32);
SNIP(cdt_jne32);
SNIP(cdt_jmp8);
SNIP(cdt_je8);
SNIP(cdt_bndjmp);
SNIP(cdt_loop);
SNIP(cdt_jrcxz);
SNIP(cdt_xbegin);
SNIP(cdt_ret);
SNIP(cdt_reti);
SNIP(cdt_syscall);
SNIP(cdt_int3);
SNIP(cdt_int80);
SNIP(cdt_jmpreg);
SNIP(cdt_ntjmp);
SNIP(cdt_callreg);
SNIP(cdt_callmem);
SNIP(cdt_add);
SNIP(cdt_jmpw);
SNIP(cdt_bad);
extern const uint8_t cdt_data[];

/* Decodes the snippet [p, end) and checks that it is one whole instruction. */
static cd_insn dec(cd_x86 *d, const uint8_t *p, const uint8_t *end)
{
    cd_insn in;
    bool ok = cd_x86_decode(d, p, (size_t)(end - p), A(p), &in);
    if (!ok || in.len != end - p || in.addr != A(p) || memcmp(in.bytes, p, in.len) != 0) {
        printf("FAIL: the instruction at %p decodes as %d bytes (%s %s), not %d\n", (void *)p, in.len, in.mnemonic,
               in.ops, (int)(end - p));
        failures++;
    }
    return in;
}
#define DEC(n) dec(d, n, n##_end)

/* The field [off, off + size) of in holds v, read back from the assembled bytes. */
static bool field_is(const cd_insn *in, unsigned off, unsigned size, int64_t v)
{
    if (off == 0 || off + size > in->len)
        return false;
    if (size == 1)
        return (int8_t)in->bytes[off] == v;
    int32_t x;
    memcpy(&x, in->bytes + off, 4);
    return size == 4 && x == v;
}

static void test_rip_relative(cd_x86 *d)
{
    cd_insn in = DEC(cdt_mov);
    CHECK(in.kind == CD_INSN_OTHER && !in.has_target && !in.indirect);
    CHECK(!strcmp(in.mnemonic, "mov") && !strcmp(in.ops, "rax, qword ptr [rip + 0x1234]"));
    CHECK(in.rip_rel && in.disp == 0x1234 && in.reloc_ok);
    CHECK(in.disp_off == 3 && in.disp_size == 4); /* after the REX prefix, opcode and ModRM */
    CHECK(field_is(&in, in.disp_off, in.disp_size, 0x1234));

    in = DEC(cdt_lea);
    CHECK(in.rip_rel && in.reloc_ok && in.disp_off == 3 && in.disp_size == 4);
    CHECK(in.addr + in.len + (uint64_t)(int64_t)in.disp == A(cdt_data));

    /* the immediate comes after the displacement: rip is the end of the whole instruction */
    in = DEC(cdt_cmpl);
    CHECK(in.len == 7 && in.rip_rel && in.reloc_ok && in.disp == 0x10);
    CHECK(in.disp_off == 2 && in.disp_size == 4 && field_is(&in, 2, 4, 0x10) && in.bytes[6] == 1);

    in = DEC(cdt_movl);
    CHECK(in.len == 10 && in.rip_rel && in.reloc_ok && in.disp_off == 2 && in.disp_size == 4);
    CHECK(in.addr + in.len + (uint64_t)(int64_t)in.disp == A(cdt_data));
    CHECK(field_is(&in, in.disp_off, 4, in.disp));

    in = DEC(cdt_callmem);
    CHECK(in.kind == CD_INSN_CALL && in.indirect && !in.has_target);
    CHECK(in.rip_rel && in.reloc_ok && in.disp_off == 2 && in.disp_size == 4 && in.disp == 0x10);

    /* a base register, not rip: nothing to fix when the instruction moves */
    in = DEC(cdt_add);
    CHECK(in.kind == CD_INSN_OTHER && !in.rip_rel && in.disp_off == 0 && !in.has_target && in.rel_off == 0);
    CHECK(in.reloc_ok);
}

static void test_branches(cd_x86 *d)
{
    cd_insn in = DEC(cdt_call);
    CHECK(in.kind == CD_INSN_CALL && !in.indirect && in.has_target && in.target == A(cdt_data));
    CHECK(in.len == 5 && in.addr + in.len == A(cdt_call_end)); /* the return address */
    CHECK(in.rel_off == 1 && in.rel_size == 4 && in.reloc_ok && !in.rip_rel);
    CHECK(field_is(&in, in.rel_off, in.rel_size, (int64_t)(A(cdt_data) - A(cdt_call_end))));

    in = DEC(cdt_jmp32);
    CHECK(in.kind == CD_INSN_JMP && !in.indirect && in.has_target && in.target == A(cdt_data));
    CHECK(in.rel_off == 1 && in.rel_size == 4 && in.reloc_ok);

    in = DEC(cdt_jne32);
    CHECK(in.kind == CD_INSN_JCC && in.has_target && in.target == A(cdt_data));
    CHECK(in.len == 6 && in.rel_off == 2 && in.rel_size == 4 && in.reloc_ok);
    CHECK(field_is(&in, in.rel_off, in.rel_size, (int64_t)(A(cdt_data) - A(cdt_jne32_end))));

    in = DEC(cdt_jmp8);
    CHECK(in.kind == CD_INSN_JMP && in.has_target && in.target == A(cdt_jmp8));
    CHECK(in.rel_off == 1 && in.rel_size == 1 && in.reloc_ok && field_is(&in, 1, 1, -2));

    in = DEC(cdt_je8);
    CHECK(in.kind == CD_INSN_JCC && in.has_target && in.target == A(cdt_mov));
    CHECK(in.rel_off == 1 && in.rel_size == 1 && in.reloc_ok);

    /* a bnd prefix moves the field one byte on */
    in = DEC(cdt_bndjmp);
    CHECK(in.kind == CD_INSN_JMP && in.has_target && in.target == A(cdt_movl));
    CHECK(in.len == 3 && in.rel_off == 2 && in.rel_size == 1 && in.reloc_ok);

    /* capstone has loop in no JUMP group: still a conditional branch here */
    in = DEC(cdt_loop);
    CHECK(in.kind == CD_INSN_JCC && in.has_target && in.target == A(cdt_loop) && in.rel_off == 1 && in.rel_size == 1);
    in = DEC(cdt_jrcxz);
    CHECK(in.kind == CD_INSN_JCC && in.has_target && in.target == A(cdt_call) && in.rel_off == 1 && in.rel_size == 1);

    /* xbegin falls through, but its abort path is a relative branch that relocation must fix */
    in = DEC(cdt_xbegin);
    CHECK(in.kind == CD_INSN_OTHER && in.has_target && in.target == A(cdt_call));
    CHECK(in.rel_off == 2 && in.rel_size == 4 && in.reloc_ok);

    in = DEC(cdt_jmpreg);
    CHECK(in.kind == CD_INSN_JMP && in.indirect && !in.has_target && in.rel_off == 0 && !in.rip_rel);
    in = DEC(cdt_ntjmp);
    CHECK(in.kind == CD_INSN_JMP && in.indirect && !in.has_target && in.len == 3);
    in = DEC(cdt_callreg);
    CHECK(in.kind == CD_INSN_CALL && in.indirect && !in.has_target);

    /* a 0x66 prefix makes a rel16 branch: this module does not move it */
    in = DEC(cdt_jmpw);
    CHECK(in.kind == CD_INSN_JMP && !in.reloc_ok);
}

static void test_kinds(cd_x86 *d)
{
    cd_insn in = DEC(cdt_ret);
    CHECK(in.kind == CD_INSN_RET && !in.has_target && !in.indirect);
    in = DEC(cdt_reti);
    CHECK(in.kind == CD_INSN_RET && in.len == 3);
    in = DEC(cdt_syscall);
    CHECK(in.kind == CD_INSN_SYSCALL && in.len == 2 && !strcmp(in.mnemonic, "syscall"));
    in = DEC(cdt_int3);
    CHECK(in.kind == CD_INSN_INT && in.len == 1);
    in = DEC(cdt_int80);
    CHECK(in.kind == CD_INSN_INT && in.len == 2);
    in = DEC(cdt_endbr);
    CHECK(in.kind == CD_INSN_OTHER && in.len == 4 && !strcmp(in.mnemonic, "endbr64"));
    CHECK(cd_x86_is_endbr64(cdt_endbr, 4) && !cd_x86_is_endbr64(cdt_endbr, 3) && !cd_x86_is_endbr64(cdt_mov, 7));

    /* bytes that do not decode, and an instruction cut short: one "(bad)" byte */
    CHECK(!cd_x86_decode(d, cdt_bad, 1, A(cdt_bad), &in));
    CHECK(in.kind == CD_INSN_BAD && in.len == 1 && in.bytes[0] == 0x06 && !strcmp(in.mnemonic, "(bad)") && !in.reloc_ok);
    CHECK(!cd_x86_decode(d, cdt_mov, 6, A(cdt_mov), &in));
    CHECK(in.kind == CD_INSN_BAD && in.len == 1 && in.addr == A(cdt_mov) && in.bytes[0] == 0x48);

    /* many decodes through one handle: each result is the instruction asked for */
    for (int i = 0; i < 1000; i++) {
        cd_insn a, b;
        cd_x86_decode(d, cdt_movl, 10, A(cdt_movl), &a);
        cd_x86_decode(d, cdt_ret, 1, A(cdt_ret), &b);
        if (a.len != 10 || b.kind != CD_INSN_RET || a.disp_off != 2) {
            CHECK(!"repeated decodes agree");
            break;
        }
    }
}

/* Small functions for the prologue decode and the jump-into-patch scan. */
__asm__(".pushsection .rodata.cdt_funcs, \"a\"\n"
        /* a loop whose back-edge lands at +2, inside the first 5 bytes: refused */
        "snip cdt_fa\n"
        " xor %eax, %eax\n"     /* +0: 31 c0 */
        "1: add %edi, %eax\n"   /* +2: 01 f8 */
        " dec %edi\n"           /* +4: ff cf */
        "cdt_fa_jnz: jnz 1b\n"  /* +6 */
        " ret\n"
        "snipend cdt_fa\n"
        /* the same loop, its back-edge at +6, the end of the relocated instructions: allowed */
        "snip cdt_fb\n"
        " xor %eax, %eax\n"     /* +0 */
        " xor %ecx, %ecx\n"     /* +2 */
        " xor %edx, %edx\n"     /* +4: the head is 6 bytes */
        "1: add %edi, %eax\n"   /* +6 */
        " dec %edi\n"
        " jnz 1b\n"
        " call cdt_fb\n"        /* recursion lands on the entry: a real call */
        " ret\n"
        "snipend cdt_fb\n"
        /* endbr64, then a frame; a back-edge to the endbr64 before the patch */
        "snip cdt_fc\n"
        " endbr64\n"            /* +0 */
        " push %rbp\n"          /* +4: 55 */
        " mov %rsp, %rbp\n"     /* +5: 48 89 e5 */
        " sub $0x10, %rsp\n"    /* +8: 48 83 ec 10, the head ends at +12 */
        " dec %edi\n"
        "cdt_fc_jg: jg cdt_fc\n"
        " leave\n"
        " ret\n"
        "snipend cdt_fc\n"
        /* a call into the middle of the head */
        "snip cdt_fd\n"
        " xor %eax, %eax\n"
        "1: inc %eax\n"         /* +2 */
        " nop\n"
        "cdt_fd_call: call 1b\n"
        " ret\n"
        "snipend cdt_fd\n"
        /* a jump table: only an indirect jmp could land in the head */
        "snip cdt_fe\n"
        " mov %edi, %eax\n"
        " lea cdt_data(%rip), %rdx\n"
        "cdt_fe_jmp: jmp *(%rdx,%rax,8)\n"
        " ret\n"
        "snipend cdt_fe\n"
        /* bytes that do not decode in the body, after an indirect jmp */
        "snip cdt_ff\n"
        " push %rbx\n"
        " mov %rdi, %rbx\n"
        " jmp *%rax\n"
        "cdt_ff_bad: .byte 0x06\n"
        " pop %rbx\n"
        " ret\n"
        "snipend cdt_ff\n"
        /* too short to hold a 5-byte jump */
        "snip cdt_fg\n"
        " xor %eax, %eax\n"
        " ret\n"
        "snipend cdt_fg\n"
        /* a direct jump into the head and an indirect jmp: the direct one decides */
        "snip cdt_fh\n"
        " push %rbx\n"
        "1: mov %rdi, %rbx\n"   /* +1 */
        " mov $1, %eax\n"
        " jmp *%rax\n"
        "cdt_fh_jmp: jmp 1b\n"
        " ret\n"
        "snipend cdt_fh\n"
        ".popsection\n");
SNIP(cdt_fa);
SNIP(cdt_fb);
SNIP(cdt_fc);
SNIP(cdt_fd);
SNIP(cdt_fe);
SNIP(cdt_ff);
SNIP(cdt_fg);
SNIP(cdt_fh);
extern const uint8_t cdt_fa_jnz[], cdt_fc_jg[], cdt_fd_call[], cdt_fe_jmp[], cdt_ff_bad[], cdt_fh_jmp[];
__asm__(".hidden cdt_fa_jnz, cdt_fc_jg, cdt_fd_call, cdt_fe_jmp, cdt_ff_bad, cdt_fh_jmp\n"
        ".globl cdt_fa_jnz, cdt_fc_jg, cdt_fd_call, cdt_fe_jmp, cdt_ff_bad, cdt_fh_jmp\n");

/* The head of function f and the scan of its whole body over [entry, patch end). */
static cd_x86_scan head_and_scan(cd_x86 *d, const uint8_t *f, const uint8_t *end, cd_x86_head *h, uint64_t *where)
{
    cd_err err = {0};
    size_t len = (size_t)(end - f);
    if (cd_x86_head_decode(d, f, len, A(f), 5, h, &err) != 0) {
        printf("FAIL: head of %p: %s\n", (void *)f, err.msg);
        failures++;
        return CD_X86_SCAN_UNDECODABLE;
    }
    *where = 0;
    return cd_x86_scan_branches_into(d, f, len, A(f), A(f), A(f) + h->skip + h->len, where);
}

static void test_function_scan(cd_x86 *d)
{
    cd_x86_head h;
    uint64_t where;
    cd_err err = {0};

    CHECK(head_and_scan(d, cdt_fa, cdt_fa_end, &h, &where) == CD_X86_SCAN_BRANCH_INTO);
    CHECK(where == A(cdt_fa_jnz));
    CHECK(h.skip == 0 && h.n == 3 && h.len == 6);

    CHECK(head_and_scan(d, cdt_fb, cdt_fb_end, &h, &where) == CD_X86_SCAN_CLEAR);
    CHECK(h.skip == 0 && h.n == 3 && h.len == 6 && where == 0);
    /* the same function with a patch one byte longer: the back-edge is now inside */
    CHECK(cd_x86_scan_branches_into(d, cdt_fb, (size_t)(cdt_fb_end - cdt_fb), A(cdt_fb), A(cdt_fb), A(cdt_fb) + 7,
                                    &where) == CD_X86_SCAN_BRANCH_INTO);

    CHECK(head_and_scan(d, cdt_fc, cdt_fc_end, &h, &where) == CD_X86_SCAN_BRANCH_INTO);
    CHECK(where == A(cdt_fc_jg));
    CHECK(h.skip == 4 && h.n == 3 && h.len == 8);
    CHECK(h.insn[0].addr == A(cdt_fc) + 4 && h.insn[0].len == 1 && h.insn[1].addr == A(cdt_fc) + 5 &&
          h.insn[2].addr == A(cdt_fc) + 8 && h.insn[2].len == 4);
    CHECK(!strcmp(h.insn[0].mnemonic, "push") && !strcmp(h.insn[2].mnemonic, "sub"));
    /* with the patch range starting after the endbr64, that back-edge lands before it */
    CHECK(cd_x86_scan_branches_into(d, cdt_fc, (size_t)(cdt_fc_end - cdt_fc), A(cdt_fc), A(cdt_fc) + 4,
                                    A(cdt_fc) + 12, &where) == CD_X86_SCAN_CLEAR);

    CHECK(head_and_scan(d, cdt_fd, cdt_fd_end, &h, &where) == CD_X86_SCAN_BRANCH_INTO);
    CHECK(where == A(cdt_fd_call));

    CHECK(head_and_scan(d, cdt_fe, cdt_fe_end, &h, &where) == CD_X86_SCAN_INDIRECT);
    CHECK(where == A(cdt_fe_jmp));

    CHECK(head_and_scan(d, cdt_ff, cdt_ff_end, &h, &where) == CD_X86_SCAN_UNDECODABLE);
    CHECK(where == A(cdt_ff_bad));

    CHECK(head_and_scan(d, cdt_fh, cdt_fh_end, &h, &where) == CD_X86_SCAN_BRANCH_INTO);
    CHECK(where == A(cdt_fh_jmp));

    CHECK(cd_x86_head_decode(d, cdt_fg, (size_t)(cdt_fg_end - cdt_fg), A(cdt_fg), 5, &h, &err) == -1);
    CHECK(strstr(err.msg, "has 3 bytes of instructions") != NULL);
    /* the head stops at the function's end even when the bytes after it would decode */
    CHECK(cd_x86_head_decode(d, cdt_fa, 3, A(cdt_fa), 5, &h, &err) == -1);
    CHECK(cd_x86_head_decode(d, cdt_fa, 2, A(cdt_fa), 2, &h, &err) == 0 && h.n == 1 && h.len == 2);
    CHECK(cd_x86_head_decode(d, cdt_ff_bad, 3, A(cdt_ff_bad), 2, &h, &err) == -1 && strstr(err.msg, "do not decode"));
    CHECK(cd_x86_head_decode(d, cdt_fa, 8, A(cdt_fa), 0, &h, &err) == -1);
}

/* ---- emulation: bytes -> emulable? and the effect, against values worked out by hand and, for
 * the flags add and sub set, against this CPU running the same operation ---- */

#define EA 0x401000ull /* where the emulated instructions "sit" */

/* A register file whose every register differs from the others (a wrong source shows). */
static cd_x86_regs regs0(void)
{
    cd_x86_regs r;
    for (int i = 0; i < 16; i++)
        r.gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1) + 0x100;
    r.gpr[CD_GPR_RSP] = 0x7ffffffde000ull + 0x800;
    r.gpr[CD_GPR_RBP] = 0x7ffffffde000ull + 0x900;
    r.rip = EA;
    r.rflags = 0x246; /* IF ZF PF: flags nothing but add/sub may touch */
    return r;
}

/* emu(bytes) -> the effect; false when the classifier refuses */
static bool emu(cd_x86 *d, const char *bytes, size_t n, cd_x86_emu *e)
{
    return cd_x86_emulable(d, (const uint8_t *)bytes, n, EA, e) && e->op != CD_EMU_NONE;
}
#define EMU(b, e) emu(d, b, sizeof b - 1, e)

/* Registers equal to r0 except gpr[skip] (skip -1: none). */
static bool same_but(const cd_x86_regs *a, const cd_x86_regs *b, int skip)
{
    for (int i = 0; i < 16; i++)
        if (i != skip && a->gpr[i] != b->gpr[i])
            return false;
    return true;
}

static uint64_t cpu_flags(bool sub, int size, uint64_t a, uint64_t b, uint64_t *res)
{
    uint64_t f;
    if (size == 8) {
        if (sub)
            __asm__("subq %2, %0\n pushfq\n popq %1" : "+r"(a), "=r"(f) : "r"(b) : "cc");
        else
            __asm__("addq %2, %0\n pushfq\n popq %1" : "+r"(a), "=r"(f) : "r"(b) : "cc");
        *res = a;
    } else {
        uint32_t x = (uint32_t)a, y = (uint32_t)b;
        if (sub)
            __asm__("subl %2, %0\n pushfq\n popq %1" : "+r"(x), "=r"(f) : "r"(y) : "cc");
        else
            __asm__("addl %2, %0\n pushfq\n popq %1" : "+r"(x), "=r"(f) : "r"(y) : "cc");
        *res = x;
    }
    return f & 0x8d5; /* CF PF AF ZF SF OF */
}

static void test_emulate(cd_x86 *d)
{
    cd_x86_emu e;
    cd_x86_mem m;
    cd_x86_regs r0 = regs0(), r;

    /* endbr64 and nops: only rip moves */
    const char *nops[] = {"\xf3\x0f\x1e\xfa", "\x90", "\x66\x0f\x1f\x44\x00\x00", "\x0f\x1f\x40\x00",
                          "\x66\x2e\x0f\x1f\x84\x00\x00\x00\x00\x00"};
    const int nlen[] = {4, 1, 6, 4, 10};
    for (int i = 0; i < 5; i++) {
        r = r0;
        CHECK(emu(d, nops[i], (size_t)nlen[i], &e) && e.op == CD_EMU_NOP && e.len == nlen[i]);
        CHECK(cd_x86_emu_mem(&e, &r, &m) && m.dir == 0);
        cd_x86_emu_apply(&e, &r, 0);
        CHECK(r.rip == EA + (uint64_t)nlen[i] && same_but(&r, &r0, -1) && r.rflags == r0.rflags);
    }

    /* push r64, REX.B pushes of r8-r15, push rsp (the value before the push) */
    struct {
        const char *b;
        int n, reg;
    } pushes[] = {{"\x55", 1, CD_GPR_RBP}, {"\x50", 1, CD_GPR_RAX}, {"\x53", 1, CD_GPR_RBX}, {"\x41\x50", 2, 8},
                  {"\x41\x54", 2, 12},     {"\x41\x57", 2, 15},      {"\x54", 1, CD_GPR_RSP}};
    for (size_t i = 0; i < sizeof pushes / sizeof *pushes; i++) {
        r = r0;
        CHECK(emu(d, pushes[i].b, (size_t)pushes[i].n, &e) && e.op == CD_EMU_PUSH && e.len == pushes[i].n);
        CHECK(cd_x86_emu_mem(&e, &r, &m) && m.dir == 'w' && m.size == 8 &&
              m.addr == r0.gpr[CD_GPR_RSP] - 8 && m.value == r0.gpr[pushes[i].reg]);
        cd_x86_emu_apply(&e, &r, 0);
        CHECK(r.gpr[CD_GPR_RSP] == r0.gpr[CD_GPR_RSP] - 8 && same_but(&r, &r0, CD_GPR_RSP) &&
              r.rip == EA + (uint64_t)pushes[i].n && r.rflags == r0.rflags);
    }

    /* call rel32 (forward and backward): the return address pushed, rip at the target; an
     * indirect call and a call with a prefix are refused */
    const struct {
        const char *b;
        int64_t rel;
    } calls[] = {{"\xe8\x10\x00\x00\x00", 0x10}, {"\xe8\xf0\xff\xff\xff", -0x10}};
    for (size_t i = 0; i < sizeof calls / sizeof *calls; i++) {
        r = r0;
        CHECK(emu(d, calls[i].b, 5, &e) && e.op == CD_EMU_CALL && e.len == 5);
        CHECK(cd_x86_emu_mem(&e, &r, &m) && m.dir == 'w' && m.size == 8 && m.addr == r0.gpr[CD_GPR_RSP] - 8 &&
              m.value == EA + 5);
        cd_x86_emu_apply(&e, &r, 0);
        CHECK(r.gpr[CD_GPR_RSP] == r0.gpr[CD_GPR_RSP] - 8 && same_but(&r, &r0, CD_GPR_RSP) &&
              r.rip == EA + 5 + (uint64_t)calls[i].rel && r.rflags == r0.rflags);
    }
    CHECK(!EMU("\xff\xd0", &e));             /* call *%rax */
    CHECK(!EMU("\xff\x15\x10\x00\x00\x00", &e)); /* call *0x10(%rip) */

    /* mov rbp, rsp; mov eax, ecx (zero-extends); mov r9, r15; mov eax, 5; movabs */
    r = r0;
    CHECK(EMU("\x48\x89\xe5", &e) && e.op == CD_EMU_MOV && e.len == 3);
    CHECK(cd_x86_emu_mem(&e, &r, &m) && m.dir == 0);
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RBP] == r0.gpr[CD_GPR_RSP] && same_but(&r, &r0, CD_GPR_RBP) && r.rip == EA + 3);
    r = r0;
    CHECK(EMU("\x89\xc8", &e));
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RAX] == (r0.gpr[CD_GPR_RCX] & 0xffffffff) && same_but(&r, &r0, CD_GPR_RAX));
    r = r0;
    CHECK(EMU("\x4d\x89\xf9", &e));
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[9] == r0.gpr[15] && same_but(&r, &r0, 9) && r.rip == EA + 3);
    r = r0;
    CHECK(EMU("\xb8\x05\x00\x00\x00", &e));
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RAX] == 5 && r.rip == EA + 5);
    r = r0;
    CHECK(EMU("\x48\xc7\xc0\xff\xff\xff\xff", &e)); /* mov rax, -1: imm32 sign-extended */
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RAX] == ~0ull && r.rip == EA + 7);
    r = r0;
    CHECK(EMU("\x49\xbb\x88\x77\x66\x55\x44\x33\x22\x11", &e)); /* movabs r11, imm64 */
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[11] == 0x1122334455667788ull && same_but(&r, &r0, 11) && r.rip == EA + 10);

    /* loads: mov rax, [rbp-8]; mov eax, [rbp-4] (zero-extends); mov rdx, [rip+0x10] */
    r = r0;
    CHECK(EMU("\x48\x8b\x45\xf8", &e) && e.op == CD_EMU_LOAD);
    CHECK(cd_x86_emu_mem(&e, &r, &m) && m.dir == 'r' && m.size == 8 && m.addr == r0.gpr[CD_GPR_RBP] - 8);
    cd_x86_emu_apply(&e, &r, 0xdeadbeefcafef00dull);
    CHECK(r.gpr[CD_GPR_RAX] == 0xdeadbeefcafef00dull && same_but(&r, &r0, CD_GPR_RAX) && r.rip == EA + 4);
    r = r0;
    CHECK(EMU("\x8b\x45\xfc", &e) && e.op == CD_EMU_LOAD);
    CHECK(cd_x86_emu_mem(&e, &r, &m) && m.dir == 'r' && m.size == 4 && m.addr == r0.gpr[CD_GPR_RBP] - 4);
    cd_x86_emu_apply(&e, &r, 0x87654321);
    CHECK(r.gpr[CD_GPR_RAX] == 0x87654321 && r.rip == EA + 3);
    r = r0;
    CHECK(EMU("\x48\x8b\x15\x10\x00\x00\x00", &e) && e.op == CD_EMU_LOAD);
    CHECK(cd_x86_emu_mem(&e, &r, &m) && m.addr == EA + 7 + 0x10);
    r = r0;
    CHECK(EMU("\x4a\x8b\x44\xc5\x08", &e) && e.op == CD_EMU_LOAD); /* mov rax, [rbp + r8*8 + 8] */
    CHECK(cd_x86_emu_mem(&e, &r, &m) && m.addr == r0.gpr[CD_GPR_RBP] + r0.gpr[8] * 8 + 8);

    /* stores: mov [rbp-8], rdi; mov [rbp-0x14], r12d; movl $5, [rbp-4]; mov [rbp-1], sil; movq $-1, [rsp] */
    r = r0;
    CHECK(EMU("\x48\x89\x7d\xf8", &e) && e.op == CD_EMU_STORE);
    CHECK(cd_x86_emu_mem(&e, &r, &m) && m.dir == 'w' && m.size == 8 && m.addr == r0.gpr[CD_GPR_RBP] - 8 &&
          m.value == r0.gpr[CD_GPR_RDI]);
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(same_but(&r, &r0, -1) && r.rip == EA + 4 && r.rflags == r0.rflags);
    r = r0;
    CHECK(EMU("\x44\x89\x65\xec", &e) && cd_x86_emu_mem(&e, &r, &m) && m.size == 4 &&
          m.value == (r0.gpr[12] & 0xffffffff) && m.addr == r0.gpr[CD_GPR_RBP] - 0x14);
    CHECK(EMU("\xc7\x45\xfc\x05\x00\x00\x00", &e) && cd_x86_emu_mem(&e, &r, &m) && m.dir == 'w' && m.size == 4 &&
          m.value == 5 && m.addr == r0.gpr[CD_GPR_RBP] - 4);
    CHECK(EMU("\x40\x88\x75\xff", &e) && cd_x86_emu_mem(&e, &r, &m) && m.size == 1 &&
          m.value == (r0.gpr[CD_GPR_RSI] & 0xff));
    CHECK(EMU("\x48\xc7\x04\x24\xff\xff\xff\xff", &e) && cd_x86_emu_mem(&e, &r, &m) && m.size == 8 &&
          m.value == ~0ull && m.addr == r0.gpr[CD_GPR_RSP]);

    /* lea rax, [rbp-0x10]; lea rax, [rax+rcx*8]; lea rdi, [rip+0x10]; lea eax, [rdi+1] */
    r = r0;
    CHECK(EMU("\x48\x8d\x45\xf0", &e) && e.op == CD_EMU_LEA && cd_x86_emu_mem(&e, &r, &m) && m.dir == 0);
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RAX] == r0.gpr[CD_GPR_RBP] - 0x10 && same_but(&r, &r0, CD_GPR_RAX) && r.rip == EA + 4);
    r = r0;
    CHECK(EMU("\x48\x8d\x04\xc8", &e));
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RAX] == r0.gpr[CD_GPR_RAX] + r0.gpr[CD_GPR_RCX] * 8);
    r = r0;
    CHECK(EMU("\x48\x8d\x3d\x10\x00\x00\x00", &e));
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RDI] == EA + 7 + 0x10 && r.rip == EA + 7);
    r = r0;
    CHECK(EMU("\x8d\x47\x01", &e));
    cd_x86_emu_apply(&e, &r, 0);
    CHECK(r.gpr[CD_GPR_RAX] == ((r0.gpr[CD_GPR_RDI] + 1) & 0xffffffff));

    /* sub rsp, imm; add rsp, imm; sub/add r32: the value, and the flags this CPU sets */
    struct {
        const char *b;
        int n, reg, size;
        bool sub;
        uint64_t imm;
    } ar[] = {
        {"\x48\x83\xec\x10", 4, CD_GPR_RSP, 8, true, 0x10},
        {"\x48\x81\xec\x88\x01\x00\x00", 7, CD_GPR_RSP, 8, true, 0x188},
        {"\x48\x83\xc4\xf0", 4, CD_GPR_RSP, 8, false, (uint64_t)-16},
        {"\x49\x83\xe8\x01", 4, 8, 8, true, 1},
        {"\x83\xe8\x01", 3, CD_GPR_RAX, 4, true, 1},
        {"\x83\xc1\x7f", 3, CD_GPR_RCX, 4, false, 0x7f},
    };
    const uint64_t vals[] = {0, 1, 0x10, 0x7ffffffde800ull, 0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull,
                             0x7fffffff, 0x80000000, 0xffffffff, 0x0f, 0x8f};
    for (size_t i = 0; i < sizeof ar / sizeof *ar; i++) {
        CHECK(emu(d, ar[i].b, (size_t)ar[i].n, &e) && e.op == (ar[i].sub ? CD_EMU_SUB : CD_EMU_ADD));
        int bad = 0;
        for (size_t v = 0; v < sizeof vals / sizeof *vals; v++) {
            for (uint64_t fl = 0x202; fl <= 0xad7; fl += 0x8d5) { /* flags before: all clear, all set */
                r = r0;
                r.gpr[ar[i].reg] = vals[v];
                r.rflags = fl;
                uint64_t want;
                uint64_t wf = cpu_flags(ar[i].sub, ar[i].size, vals[v], ar[i].imm, &want);
                cd_x86_emu_apply(&e, &r, 0);
                if (r.gpr[ar[i].reg] != want || (r.rflags & 0x8d5) != wf || (r.rflags & ~0x8d5ull) != (fl & ~0x8d5ull) ||
                    r.rip != EA + (uint64_t)ar[i].n || !same_but(&r, &r0, ar[i].reg)) {
                    printf("FAIL: %s by %d bytes: 0x%llx -> 0x%llx flags 0x%llx, the CPU: 0x%llx flags 0x%llx\n",
                           ar[i].sub ? "sub" : "add", ar[i].size, (unsigned long long)vals[v],
                           (unsigned long long)r.gpr[ar[i].reg], (unsigned long long)r.rflags,
                           (unsigned long long)want, (unsigned long long)wf);
                    bad++;
                }
            }
        }
        CHECK(bad == 0);
    }

    /* an access that crosses a page: the CPU's (a fault on the second page writes nothing) */
    r = r0;
    r.gpr[CD_GPR_RBP] = 0x7ffffffdf004ull; /* [rbp-8] is 0x...effc: 4 bytes each side of the page */
    CHECK(EMU("\x48\x8b\x45\xf8", &e) && !cd_x86_emu_mem(&e, &r, &m));
    CHECK(EMU("\x48\x89\x7d\xf8", &e) && !cd_x86_emu_mem(&e, &r, &m));
    r.gpr[CD_GPR_RBP] = 0x7ffffffdf008ull; /* ends on the page boundary: fine */
    CHECK(EMU("\x48\x8b\x45\xf8", &e) && cd_x86_emu_mem(&e, &r, &m));

    /* what must NOT be emulated: everything else is the CPU's */
    struct {
        const char *b;
        int n;
        const char *what;
    } no[] = {
        {"\x64\x48\x8b\x04\x25\x28\x00\x00\x00", 9, "mov rax, fs:0x28 (segment base)"},
        {"\x65\x48\x89\x04\x25\x10\x00\x00\x00", 9, "mov gs:0x10, rax"},
        {"\x66\xe8\x00\x00\x00\x00", 6, "call with an operand-size prefix"},
        {"\xc3", 1, "ret"},
        {"\x0f\x05", 2, "syscall"},
        {"\xcc", 1, "int3"},
        {"\x5d", 1, "pop rbp"},
        {"\x66\x55", 2, "push bp (16-bit)"},
        {"\xff\x35\x10\x00\x00\x00", 6, "push [rip+0x10]"},
        {"\x6a\x01", 2, "push 1"},
        {"\x88\xe0", 2, "mov al, ah"},
        {"\x66\x89\x45\xfe", 4, "mov [rbp-2], ax (16-bit)"},
        {"\x66\x8b\x45\xfe", 4, "mov ax, [rbp-2]"},
        {"\x8a\x45\xff", 3, "mov al, [rbp-1] (merges)"},
        {"\x48\x31\xc0", 3, "xor rax, rax"},
        {"\xf0\x48\x83\x00\x01", 5, "lock add [rax], 1"},
        {"\x48\x83\x04\x24\x01", 5, "add [rsp], 1 (memory destination)"},
        {"\x48\x01\xc8", 3, "add rax, rcx"},
        {"\x67\x48\x8d\x04\x24", 5, "lea rax, [esp] (address size)"},
        {"\xf3\x90", 2, "pause"},
        {"\x48\x0f\xaf\xc1", 4, "imul rax, rcx"},
        {"\x48\x39\xc8", 3, "cmp rax, rcx"},
        {"\x8e\xd8", 2, "mov ds, eax"},
        {"\x0f\x20\xc0", 3, "mov rax, cr0"},
        {"\xf3\x48\xa5", 3, "rep movsq"},
        {"\x48\x89", 2, "cut short"},
        {"\x06", 1, "invalid"},
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        bool yes = emu(d, no[i].b, (size_t)no[i].n, &e);
        if (yes)
            printf("FAIL: %s is emulated\n", no[i].what);
        CHECK(!yes && e.op == CD_EMU_NONE);
    }
}

/* Whether libcapstone is mapped into this process (its soname in /proc/self/maps). */
static bool capstone_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, "/libcapstone.so") != NULL;
    fclose(f);
    return found;
}

int main(void)
{
    cd_err err = {0};
    /* capstone is loaded by the first cd_x86_new, not at start: every cdbg start that never
     * decodes an instruction (`cdbg stacks`) would otherwise pay its ~77,000 relocations */
    CHECK(!capstone_mapped());
    cd_x86 *d = cd_x86_new(&err);
    CHECK(d && capstone_mapped());
    if (!d) {
        printf("FAIL: %s\n", err.msg);
        return 1;
    }
    test_rip_relative(d);
    test_branches(d);
    test_kinds(d);
    test_function_scan(d);
    test_emulate(d);
    /* a second handle beside the first: no state shared between them */
    cd_x86 *d2 = cd_x86_new(&err);
    cd_insn a, b;
    CHECK(d2 && cd_x86_decode(d2, cdt_call, 5, A(cdt_call), &a) && cd_x86_decode(d, cdt_ret, 1, A(cdt_ret), &b) &&
          a.kind == CD_INSN_CALL && a.target == A(cdt_data) && b.kind == CD_INSN_RET);
    cd_x86_free(d2);
    cd_x86_free(d);
    cd_x86_free(NULL);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
