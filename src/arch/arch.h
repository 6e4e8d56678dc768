/* The x86-64 instruction module: the only code in cdbg that talks to capstone.
 *
 * What: decode instructions from a byte buffer the caller read (this layer never touches a target),
 * and answer what the commands and the debugger layers ask of an instruction: its text and bytes
 * for `disassemble` and `x/i`; what it does to control flow for stepping (call and its return
 * address, ret, jmp/jcc and where it goes, syscall, an indirect branch); direct branch targets for
 * the deadlock analysis; and, for tracepoint relocation, where a rip-relative displacement or a
 * relative branch offset sits in the bytes so it can be rewritten, plus the two function-level
 * questions the inline backend must answer before it patches: which whole instructions cover the
 * first N bytes (past an endbr64), and whether any branch in the function lands in those bytes.
 *
 * Why one module: four users each opening capstone and interpreting its groups and operands their
 * own way disagree at the edges (loop is not in capstone's JUMP group, a bnd or notrack prefix
 * moves the operand, capstone 4 has no endbr64 id). Here that knowledge lives once, is unit-tested
 * (tests/unit/test_arch.c), and the relocation offsets are cross-checked against the raw bytes so
 * a capstone mistake makes an instruction "do not relocate" instead of a corrupted target.
 *
 * Rules: includes only src/util and capstone; nothing here prints. A cd_x86 owns one capstone
 * handle and one instruction buffer: create it once per user object (session, target, tracer) and
 * reuse it for every decode; it is not shared by two threads. There is no global mutable state.
 * Text uses capstone's Intel syntax (what `disassemble` has always shown). */
#ifndef CD_ARCH_H
#define CD_ARCH_H

#include "util/util.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct cd_x86 cd_x86;

/* NULL (and err set) only when capstone cannot open x86-64. */
cd_x86 *cd_x86_new(cd_err *err);
void cd_x86_free(cd_x86 *d);

typedef enum cd_insn_kind {
    CD_INSN_BAD,     /* the bytes do not decode (or are cut short): len 1, mnemonic "(bad)" */
    CD_INSN_OTHER,   /* falls through to the next instruction (xbegin too; see has_target) */
    CD_INSN_CALL,    /* near call, direct or indirect; returns to addr + len */
    CD_INSN_RET,     /* ret, ret imm16, far returns, iret */
    CD_INSN_JMP,     /* unconditional jump, direct or indirect */
    CD_INSN_JCC,     /* conditional: jcc, jrcxz/jecxz, loop/loope/loopne */
    CD_INSN_SYSCALL, /* syscall, sysenter */
    CD_INSN_INT,     /* int3, int N (int 0x80 included), int1, into */
} cd_insn_kind;

typedef struct cd_insn {
    uint64_t addr;
    uint8_t len; /* 1..15; the next instruction (a call's return address) is addr + len */
    uint8_t bytes[16];
    cd_insn_kind kind;
    bool indirect;   /* a call or jmp through a register or memory: no static target */
    bool has_target; /* a direct call, jmp, jcc, loop or xbegin: target is where it goes */
    uint64_t target;
    /* Relative branch (has_target): the signed rel8/rel32 field is bytes[rel_off .. rel_off +
     * rel_size), counted from addr + len. 0/0 when there is none. */
    uint8_t rel_off, rel_size;
    /* A memory operand addressed from rip: its disp32 is bytes[disp_off .. disp_off + disp_size)
     * (any immediate comes after it) and the address it names is addr + len + disp. */
    bool rip_rel;
    uint8_t disp_off, disp_size;
    int32_t disp;
    /* The fields above were checked against the raw bytes (the field holds the value capstone
     * decoded and the target/address it implies). False for BAD, for an instruction whose fields
     * disagree, and for encodings this module does not know how to move (a 0x66-prefixed branch):
     * copying such an instruction elsewhere is unsafe. */
    bool reloc_ok;
    char mnemonic[32];
    char ops[160];
} cd_insn;

/* Decodes the instruction at the start of code[0..len), placed at addr. Returns false (and a BAD
 * instruction of length 1 holding code[0], so callers can show it and go on after it as objdump
 * does) when the bytes are not a whole valid instruction. len must be > 0. */
bool cd_x86_decode(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, cd_insn *out);

/* endbr64 (f3 0f 1e fa) at the start of code: the CET landing pad that starts most functions of
 * a distribution's binaries. A patch goes after it: indirect calls must still land on it. */
bool cd_x86_is_endbr64(const uint8_t *code, size_t len);

/* The whole instructions that cover the first `need` bytes of a function (the bytes a 5-byte jump
 * overwrites), past a leading endbr64. code is the function's bytes from its entry addr. */
#define CD_X86_HEAD_MAX 16
typedef struct cd_x86_head {
    size_t skip; /* 4 when the function starts with endbr64 (left in place), else 0 */
    size_t len;  /* bytes the instructions cover from addr + skip: >= need */
    int n;
    cd_insn insn[CD_X86_HEAD_MAX];
} cd_x86_head;
/* 0, or -1 with err saying why: need is 0 or more than CD_X86_HEAD_MAX, an instruction in the
 * window does not decode, or the function ends before `need` bytes of whole instructions. */
int cd_x86_head_decode(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, size_t need, cd_x86_head *out,
                       cd_err *err);

/* Whether control can reach the middle of [lo, hi) from inside a function: a linear sweep of
 * code[0..len) at addr (the whole function, from its symbol's size). For a patch, pass lo = the
 * function's entry (so a jump back to an endbr64 before the patch counts too) and hi = the end of
 * the relocated instructions.
 * - a direct jmp, jcc, loop or xbegin whose target is in [lo, hi): refuse (a loop back-edge to the
 *   entry would also run the patch again and be logged as a call);
 * - a direct call whose target is in (lo, hi): refuse; a call to lo itself is recursion, a real
 *   call that lands on the patch as it should.
 * The first verdict that applies, in this order, is returned, and *where (if given) is the address
 * of the instruction that decided it. */
typedef enum cd_x86_scan {
    CD_X86_SCAN_CLEAR,       /* no branch in the function lands in the range */
    CD_X86_SCAN_BRANCH_INTO, /* a direct branch lands in it */
    CD_X86_SCAN_UNDECODABLE, /* bytes that do not decode: the sweep cannot vouch for the rest */
    CD_X86_SCAN_INDIRECT,    /* only an indirect jmp (a jump table or a tail call) could land in it */
} cd_x86_scan;
cd_x86_scan cd_x86_scan_branches_into(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, uint64_t lo,
                                      uint64_t hi, uint64_t *where);

#endif
