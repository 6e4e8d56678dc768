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

/* ---- relocation (the inline tracepoint backend's trampolines) ----
 *
 * Copies instruction `in` (decoded at its own address) to new_addr so that it does the same thing
 * there: a rip-relative displacement is re-aimed at the same address, a rel32 branch at the same
 * target, a rel8 jmp/jcc is widened to rel32 (EB -> E9, 7x -> 0F 8x, prefixes kept). Refused, -1
 * with a one-line reason in err: an instruction that is not reloc_ok (undecodable, fields that
 * disagree with the bytes, 0x66 branches), int3/int N (a breakpoint of someone else's is in the
 * bytes), loop/jrcxz (rel8 only: there is no rel32 form), a displacement or target that no longer
 * fits in 32 bits from new_addr, or an output buffer shorter than CD_X86_RELOC_MAX. On success
 * *outlen bytes were written to out. */
#define CD_X86_RELOC_MAX 16
int cd_x86_relocate(const cd_insn *in, uint64_t new_addr, uint8_t *out, size_t cap, size_t *outlen, cd_err *err);
/* Relocates the head's instructions one after the other to new_addr (out holds at least
 * h->n * CD_X86_RELOC_MAX bytes); *outlen is their total length. */
int cd_x86_relocate_head(const cd_x86_head *h, uint64_t new_addr, uint8_t *out, size_t cap, size_t *outlen,
                         cd_err *err);

/* ---- emulating one instruction (stepping over a breakpoint without single-stepping) ----
 *
 * To resume a thread that sits on a breakpoint, the instruction the int3 replaced must run once
 * without the int3. A single-step does that at the cost of a second ptrace stop (~190 us when the
 * tracer runs on the other CPU); for the few instructions that start most functions or most -O0
 * lines the tracer can do what the CPU would do instead. The classifier accepts only instructions
 * whose whole architectural effect is listed below, exactly:
 *   NOP    nop (any form but lock), endbr64                     rip
 *   PUSH   push r64                                             rsp -= 8, [rsp] = r (old rsp for push rsp), rip
 *   MOV    mov r64/r32, r64/r32 or imm (r32 zero-extends)       dst, rip
 *   LOAD   mov r64/r32, [mem] (r32 zero-extends)                dst, rip
 *   STORE  mov [mem], r or imm (1, 4 or 8 bytes)                memory, rip
 *   LEA    lea r64/r32, [mem]                                   dst, rip
 *   ADD/SUB  add/sub r64/r32, imm                               dst, CF PF AF ZF SF OF, rip
 *   CALL   call rel32 (imm: the target)                         rsp -= 8, [rsp] = addr + len, rip
 * Refused (the caller single-steps): any legacy prefix but a nop's, segment overrides (fs/gs
 * bases are not in the register file), 16-bit and high-byte registers, memory operands that
 * cross a page, everything else. Faults are the caller's: a memory access that fails (unmapped,
 * protected) means "single-step instead", so the CPU raises the fault itself. */
typedef enum cd_x86_emu_op {
    CD_EMU_NONE,
    CD_EMU_NOP,
    CD_EMU_PUSH,
    CD_EMU_MOV,
    CD_EMU_LOAD,
    CD_EMU_STORE,
    CD_EMU_LEA,
    CD_EMU_ADD,
    CD_EMU_SUB,
    CD_EMU_CALL,
} cd_x86_emu_op;

/* General registers in encoding order: rax rcx rdx rbx rsp rbp rsi rdi r8..r15. */
enum { CD_GPR_RAX, CD_GPR_RCX, CD_GPR_RDX, CD_GPR_RBX, CD_GPR_RSP, CD_GPR_RBP, CD_GPR_RSI, CD_GPR_RDI };
typedef struct cd_x86_regs {
    uint64_t gpr[16];
    uint64_t rip, rflags;
} cd_x86_regs;

typedef struct cd_x86_emu {
    cd_x86_emu_op op;
    uint64_t addr;
    uint8_t len;
    uint8_t size;    /* operand size in bytes (the memory access's for LOAD/STORE) */
    int8_t dst, src; /* GPR numbers; -1: none (src -1 with has_imm: the immediate) */
    bool has_imm;
    int64_t imm;     /* sign-extended as the CPU extends it */
    /* memory operand (LOAD, STORE, LEA): base + index * scale + disp, rip-relative from addr + len */
    int8_t base, index; /* -1: none */
    uint8_t scale;
    bool rip_rel;
    int64_t disp;
} cd_x86_emu;

/* Whether the instruction at code[0..len) (placed at addr) is one of the above; fills out (op
 * CD_EMU_NONE when not). */
bool cd_x86_emulable(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, cd_x86_emu *out);

/* The memory access e makes with registers r: dir 0 none, 'r' a load of size bytes at addr, 'w' a
 * store of value (its low size bytes) at addr. False when the access would cross a page (a fault on
 * the second page must leave the first untouched, as the CPU does): single-step instead. */
typedef struct cd_x86_mem {
    char dir;
    uint8_t size;
    uint64_t addr;
    uint64_t value;
} cd_x86_mem;
bool cd_x86_emu_mem(const cd_x86_emu *e, const cd_x86_regs *r, cd_x86_mem *m);

/* What e does to the registers (rip included); loaded: the value a LOAD read (low size bytes). */
void cd_x86_emu_apply(const cd_x86_emu *e, cd_x86_regs *r, uint64_t loaded);

#endif
