/* x86-64 instructions over capstone (contract in arch.h). */
#include "arch/arch.h"

#include <capstone/capstone.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* capstone is loaded on the first cd_x86_new, not linked: its ~77,000 relative relocations
 * (92% of cdbg's) and ~375 page faults would otherwise be paid by every cdbg start, including
 * `cdbg stacks` and the other modes that never decode an instruction (docs/benchmarks.md).
 * The soname follows the headers we compiled against, so the structs (cs_insn, cs_x86) match. */
#define CD_CS_STR2(x) #x
#define CD_CS_STR(x) CD_CS_STR2(x)
#define CD_CS_SONAME "libcapstone.so." CD_CS_STR(CS_API_MAJOR)

static struct {
    __typeof__(&cs_open) open;
    __typeof__(&cs_option) option;
    __typeof__(&cs_close) close;
    __typeof__(&cs_malloc) malloc;
    __typeof__(&cs_free) free;
    __typeof__(&cs_disasm_iter) disasm_iter;
    __typeof__(&cs_errno) errno_;
    __typeof__(&cs_strerror) strerror;
} capi;
static char capi_error[256]; /* empty once loaded */
static pthread_once_t capi_once = PTHREAD_ONCE_INIT;

static void capi_load(void)
{
    void *h = dlopen(CD_CS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(capi_error, sizeof capi_error, "%s", dlerror());
        return;
    }
    static const char *const names[] = {"cs_open",  "cs_option",      "cs_close", "cs_malloc",
                                        "cs_free",  "cs_disasm_iter", "cs_errno", "cs_strerror"};
    void **slots[] = {(void **)&capi.open,        (void **)&capi.option, (void **)&capi.close,
                      (void **)&capi.malloc,      (void **)&capi.free,   (void **)&capi.disasm_iter,
                      (void **)&capi.errno_,      (void **)&capi.strerror};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *f = dlsym(h, names[i]);
        if (!f) {
            snprintf(capi_error, sizeof capi_error, "%s has no %s", CD_CS_SONAME, names[i]);
            memset(&capi, 0, sizeof capi);
            return;
        }
        /* POSIX guarantees a function pointer round-trips through void * (dlsym) */
        memcpy(slots[i], &f, sizeof f);
    }
}

/* Every capstone call below goes through the loaded table. */
#define cs_open capi.open
#define cs_option capi.option
#define cs_close capi.close
#define cs_malloc capi.malloc
#define cs_free capi.free
#define cs_disasm_iter capi.disasm_iter
#define cs_errno capi.errno_
#define cs_strerror capi.strerror

struct cd_x86 {
    csh cs;
    cs_insn *insn; /* cs_malloc'd once: cs_disasm_iter reuses it, no allocation per decode */
};

cd_x86 *cd_x86_new(cd_err *err)
{
    pthread_once(&capi_once, capi_load);
    if (!capi.open) {
        cd_fail(err, CD_EXIT_CMD, "cannot load capstone (%s): %s; install libcapstone%d", CD_CS_SONAME, capi_error,
                CS_API_MAJOR);
        return NULL;
    }
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        cd_fail(err, CD_EXIT_CMD, "capstone cannot open x86-64: %s; reinstall libcapstone", cs_strerror(cs_errno(cs)));
        return NULL;
    }
    if (cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
        cd_fail(err, CD_EXIT_CMD, "capstone cannot give instruction details: %s", cs_strerror(cs_errno(cs)));
        cs_close(&cs);
        return NULL;
    }
    cd_x86 *d = cd_xcalloc(1, sizeof *d);
    d->cs = cs;
    d->insn = cs_malloc(cs);
    if (!d->insn) {
        cd_fail(err, CD_EXIT_CMD, "capstone cannot allocate an instruction");
        cs_close(&d->cs);
        free(d);
        return NULL;
    }
    return d;
}

void cd_x86_free(cd_x86 *d)
{
    if (!d)
        return;
    cs_free(d->insn, 1);
    cs_close(&d->cs);
    free(d);
}

bool cd_x86_is_endbr64(const uint8_t *code, size_t len)
{
    static const uint8_t endbr64[4] = {0xf3, 0x0f, 0x1e, 0xfa};
    return len >= sizeof endbr64 && memcmp(code, endbr64, sizeof endbr64) == 0;
}

static int64_t sext(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1:
        return (int8_t)p[0];
    case 2: {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    }
    return INT64_MIN;
}

static bool in_group(const cs_insn *in, uint8_t g)
{
    for (uint8_t i = 0; i < in->detail->groups_count; i++)
        if (in->detail->groups[i] == g)
            return true;
    return false;
}

static bool has_prefix(const cs_x86 *x, uint8_t p)
{
    for (int i = 0; i < 4; i++)
        if (x->prefix[i] == p)
            return true;
    return false;
}

static cd_insn_kind classify(const cs_insn *in)
{
    switch (in->id) {
    case X86_INS_SYSCALL:
    case X86_INS_SYSENTER:
        return CD_INSN_SYSCALL;
    case X86_INS_JMP:
    case X86_INS_LJMP:
        return CD_INSN_JMP;
    case X86_INS_XBEGIN: /* falls through when the transaction starts; see has_target */
        return CD_INSN_OTHER;
    }
    if (in_group(in, CS_GRP_CALL))
        return CD_INSN_CALL;
    if (in_group(in, CS_GRP_RET) || in_group(in, CS_GRP_IRET))
        return CD_INSN_RET;
    if (in_group(in, CS_GRP_INT))
        return CD_INSN_INT;
    /* capstone 4 puts loop/loope/loopne in BRANCH_RELATIVE only, not in JUMP */
    if (in_group(in, CS_GRP_JUMP) || in_group(in, CS_GRP_BRANCH_RELATIVE))
        return CD_INSN_JCC;
    return CD_INSN_OTHER;
}

static void bad(const uint8_t *code, size_t len, uint64_t addr, cd_insn *out)
{
    memset(out, 0, sizeof *out);
    out->addr = addr;
    out->len = 1;
    out->bytes[0] = len ? code[0] : 0;
    out->kind = CD_INSN_BAD;
    strcpy(out->mnemonic, "(bad)");
}

bool cd_x86_decode(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, cd_insn *out)
{
    const uint8_t *p = code;
    size_t left = len;
    uint64_t a = addr;
    if (!len || !cs_disasm_iter(d->cs, &p, &left, &a, d->insn)) {
        bad(code, len, addr, out);
        return false;
    }
    const cs_insn *in = d->insn;
    const cs_x86 *x = &in->detail->x86;
    memset(out, 0, sizeof *out);
    out->addr = addr;
    out->len = (uint8_t)in->size;
    memcpy(out->bytes, code, in->size);
    snprintf(out->mnemonic, sizeof out->mnemonic, "%s", in->mnemonic);
    snprintf(out->ops, sizeof out->ops, "%s", in->op_str);
    out->kind = classify(in);
    out->reloc_ok = true;
    uint64_t next = addr + in->size;

    bool branch = out->kind == CD_INSN_CALL || out->kind == CD_INSN_JMP || out->kind == CD_INSN_JCC ||
                  in->id == X86_INS_XBEGIN;
    if (branch && x->op_count == 1 && x->operands[0].type == X86_OP_IMM) {
        out->has_target = true;
        out->target = (uint64_t)x->operands[0].imm;
        /* the rel field is the instruction's last immediate; it must encode the target capstone
         * computed, and a 0x66 prefix (rel16 on AMD, ignored on Intel) is not moved */
        unsigned off = x->encoding.imm_offset, size = x->encoding.imm_size;
        if ((size == 1 || size == 4) && off > 0 && off + size == in->size && !has_prefix(x, 0x66) &&
            next + (uint64_t)sext(code + off, size) == out->target) {
            out->rel_off = (uint8_t)off;
            out->rel_size = (uint8_t)size;
        } else
            out->reloc_ok = false;
    } else if (out->kind == CD_INSN_CALL || out->kind == CD_INSN_JMP)
        out->indirect = true;

    for (int i = 0; i < x->op_count; i++) {
        const cs_x86_op *op = &x->operands[i];
        if (op->type != X86_OP_MEM || op->mem.base != X86_REG_RIP)
            continue;
        out->rip_rel = true;
        out->disp = (int32_t)op->mem.disp;
        /* rip-relative is ModRM mod=00 rm=101 with no SIB: the disp32 follows the ModRM byte */
        unsigned off = x->encoding.disp_offset, size = x->encoding.disp_size;
        if (size == 4 && off >= 1 && off + size <= in->size && (code[off - 1] & 0xc7) == 0x05 &&
            sext(code + off, 4) == op->mem.disp) {
            out->disp_off = (uint8_t)off;
            out->disp_size = (uint8_t)size;
        } else
            out->reloc_ok = false;
        break;
    }
    return true;
}

int cd_x86_head_decode(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, size_t need, cd_x86_head *out,
                       cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (need == 0 || need > CD_X86_HEAD_MAX)
        return cd_fail(err, CD_EXIT_CMD, "cannot cover %zu bytes of instructions: between 1 and %d", need,
                       CD_X86_HEAD_MAX);
    out->skip = cd_x86_is_endbr64(code, len) ? 4 : 0;
    size_t off = out->skip;
    while (out->len < need) {
        if (off >= len)
            return cd_fail(err, CD_EXIT_CMD,
                           "the function at 0x%llx has %zu bytes of instructions%s, fewer than the %zu a patch needs",
                           (unsigned long long)addr, out->len, out->skip ? " after its endbr64" : "", need);
        cd_insn *in = &out->insn[out->n];
        if (!cd_x86_decode(d, code + off, len - off, addr + off, in))
            return cd_fail(err, CD_EXIT_CMD, "the bytes at 0x%llx (in the function at 0x%llx) do not decode",
                           (unsigned long long)(addr + off), (unsigned long long)addr);
        out->n++;
        off += in->len;
        out->len += in->len;
    }
    return 0;
}

cd_x86_scan cd_x86_scan_branches_into(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, uint64_t lo,
                                      uint64_t hi, uint64_t *where)
{
    cd_x86_scan verdict = CD_X86_SCAN_CLEAR;
    uint64_t at = 0;
    cd_insn in;
    for (size_t off = 0; off < len; off += in.len) {
        if (!cd_x86_decode(d, code + off, len - off, addr + off, &in)) {
            if (verdict == CD_X86_SCAN_CLEAR || verdict == CD_X86_SCAN_INDIRECT) {
                verdict = CD_X86_SCAN_UNDECODABLE;
                at = in.addr;
            }
            continue;
        }
        if (in.has_target) {
            bool into = in.kind == CD_INSN_CALL ? in.target > lo && in.target < hi : in.target >= lo && in.target < hi;
            if (into) {
                if (where)
                    *where = in.addr;
                return CD_X86_SCAN_BRANCH_INTO;
            }
        } else if (in.indirect && in.kind == CD_INSN_JMP && verdict == CD_X86_SCAN_CLEAR) {
            verdict = CD_X86_SCAN_INDIRECT;
            at = in.addr;
        }
    }
    if (where && verdict != CD_X86_SCAN_CLEAR)
        *where = at;
    return verdict;
}

/* ---- relocation (contract in arch.h) ---- */

static bool fits32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

int cd_x86_relocate(const cd_insn *in, uint64_t new_addr, uint8_t *out, size_t cap, size_t *outlen, cd_err *err)
{
    unsigned long long a = (unsigned long long)in->addr;
    if (cap < CD_X86_RELOC_MAX)
        return cd_fail(err, CD_EXIT_CMD, "cannot relocate the instruction at 0x%llx: output buffer too small", a);
    if (in->kind == CD_INSN_BAD || !in->reloc_ok)
        return cd_fail(err, CD_EXIT_CMD, "cannot relocate the instruction at 0x%llx (%s %s): its encoding is not one "
                       "that can be moved safely", a, in->mnemonic, in->ops);
    if (in->kind == CD_INSN_INT)
        return cd_fail(err, CD_EXIT_CMD, "cannot relocate the instruction at 0x%llx (%s): a trap instruction (a "
                       "breakpoint of another tool?)", a, in->mnemonic);
    if (in->has_target && in->rel_size == 1) {
        uint8_t op = in->bytes[in->rel_off - 1];
        size_t np = in->rel_off - 1u; /* prefixes before the one-byte opcode */
        size_t n = 0;
        memcpy(out, in->bytes, np);
        n = np;
        if (op == 0xEB)
            out[n++] = 0xE9;
        else if (op >= 0x70 && op <= 0x7F) {
            out[n++] = 0x0F;
            out[n++] = (uint8_t)(0x80 | (op & 0x0F));
        } else
            return cd_fail(err, CD_EXIT_CMD, "cannot relocate the instruction at 0x%llx (%s %s): a short branch "
                           "with no 32-bit form", a, in->mnemonic, in->ops);
        int64_t rel = (int64_t)(in->target - (new_addr + n + 4));
        if (!fits32(rel))
            return cd_fail(err, CD_EXIT_CMD, "cannot relocate the branch at 0x%llx: its target is more than 2 GB "
                           "from 0x%llx", a, (unsigned long long)new_addr);
        int32_t r32 = (int32_t)rel;
        memcpy(out + n, &r32, 4);
        *outlen = n + 4;
        return 0;
    }
    memcpy(out, in->bytes, in->len);
    if (in->has_target) {
        if (in->rel_size != 4)
            return cd_fail(err, CD_EXIT_CMD, "cannot relocate the branch at 0x%llx (%s %s)", a, in->mnemonic, in->ops);
        int64_t rel = (int64_t)(in->target - (new_addr + in->len));
        if (!fits32(rel))
            return cd_fail(err, CD_EXIT_CMD, "cannot relocate the branch at 0x%llx: its target is more than 2 GB "
                           "from 0x%llx", a, (unsigned long long)new_addr);
        int32_t r32 = (int32_t)rel;
        memcpy(out + in->rel_off, &r32, 4);
    }
    if (in->rip_rel) {
        uint64_t ea = in->addr + in->len + (uint64_t)(int64_t)in->disp;
        int64_t d = (int64_t)(ea - (new_addr + in->len));
        if (!fits32(d))
            return cd_fail(err, CD_EXIT_CMD, "cannot relocate the instruction at 0x%llx (%s %s): the address it "
                           "names is more than 2 GB from 0x%llx", a, in->mnemonic, in->ops,
                           (unsigned long long)new_addr);
        int32_t d32 = (int32_t)d;
        memcpy(out + in->disp_off, &d32, 4);
    }
    *outlen = in->len;
    return 0;
}

int cd_x86_relocate_head(const cd_x86_head *h, uint64_t new_addr, uint8_t *out, size_t cap, size_t *outlen,
                         cd_err *err)
{
    size_t n = 0;
    for (int i = 0; i < h->n; i++) {
        size_t k = 0;
        if (cap - n < CD_X86_RELOC_MAX)
            return cd_fail(err, CD_EXIT_CMD, "cannot relocate %d instructions: output buffer too small", h->n);
        if (cd_x86_relocate(&h->insn[i], new_addr + n, out + n, cap - n, &k, err) < 0)
            return -1;
        n += k;
    }
    *outlen = n;
    return 0;
}

/* ---- emulation (contract in arch.h) ---- */

/* The GPR number and width of a capstone register; false for 16-bit, high-byte and other
 * registers (their partial writes merge, and the classifier does not take them). */
static bool gpr_of(x86_reg r, int *num, int *size)
{
    static const x86_reg r64[16] = {X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX, X86_REG_RSP, X86_REG_RBP,
                                    X86_REG_RSI, X86_REG_RDI, X86_REG_R8,  X86_REG_R9,  X86_REG_R10, X86_REG_R11,
                                    X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15};
    static const x86_reg r32[16] = {X86_REG_EAX,  X86_REG_ECX,  X86_REG_EDX,  X86_REG_EBX,  X86_REG_ESP,  X86_REG_EBP,
                                    X86_REG_ESI,  X86_REG_EDI,  X86_REG_R8D,  X86_REG_R9D,  X86_REG_R10D, X86_REG_R11D,
                                    X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D};
    static const x86_reg r8[16] = {X86_REG_AL,  X86_REG_CL,  X86_REG_DL,   X86_REG_BL,   X86_REG_SPL,  X86_REG_BPL,
                                   X86_REG_SIL, X86_REG_DIL, X86_REG_R8B,  X86_REG_R9B,  X86_REG_R10B, X86_REG_R11B,
                                   X86_REG_R12B, X86_REG_R13B, X86_REG_R14B, X86_REG_R15B};
    for (int i = 0; i < 16; i++) {
        if (r == r64[i] || r == r32[i] || r == r8[i]) {
            *num = i;
            *size = r == r64[i] ? 8 : r == r32[i] ? 4 : 1;
            return true;
        }
    }
    return false;
}

/* A memory operand the emulation can address: no segment, 64-bit base/index (or rip, or none). */
static bool mem_of(const cs_x86_op *op, cd_x86_emu *e)
{
    int n, sz;
    if (op->type != X86_OP_MEM || op->mem.segment != X86_REG_INVALID)
        return false;
    e->base = e->index = -1;
    e->scale = 1;
    e->disp = op->mem.disp;
    if (op->mem.base == X86_REG_RIP)
        e->rip_rel = true;
    else if (op->mem.base != X86_REG_INVALID) {
        if (!gpr_of(op->mem.base, &n, &sz) || sz != 8)
            return false;
        e->base = (int8_t)n;
    }
    if (op->mem.index != X86_REG_INVALID) {
        if (!gpr_of(op->mem.index, &n, &sz) || sz != 8 || e->rip_rel)
            return false;
        e->index = (int8_t)n;
        if (op->mem.scale != 1 && op->mem.scale != 2 && op->mem.scale != 4 && op->mem.scale != 8)
            return false;
        e->scale = (uint8_t)op->mem.scale;
    }
    return true;
}

static bool no_prefix(const cs_x86 *x)
{
    return !x->prefix[0] && !x->prefix[1] && !x->prefix[2] && !x->prefix[3];
}

bool cd_x86_emulable(cd_x86 *d, const uint8_t *code, size_t len, uint64_t addr, cd_x86_emu *out)
{
    memset(out, 0, sizeof *out);
    out->op = CD_EMU_NONE;
    out->dst = out->src = out->base = out->index = -1;
    out->addr = addr;
    if (cd_x86_is_endbr64(code, len)) {
        out->op = CD_EMU_NOP;
        out->len = 4;
        return true;
    }
    const uint8_t *p = code;
    size_t left = len;
    uint64_t a = addr;
    if (!len || !cs_disasm_iter(d->cs, &p, &left, &a, d->insn))
        return false;
    const cs_insn *in = d->insn;
    const cs_x86 *x = &in->detail->x86;
    cd_x86_emu e = *out;
    e.len = (uint8_t)in->size;
    int n0 = -1, s0 = 0, n1 = -1, s1 = 0;
    const cs_x86_op *o0 = x->op_count > 0 ? &x->operands[0] : NULL, *o1 = x->op_count > 1 ? &x->operands[1] : NULL;
    bool r0 = o0 && o0->type == X86_OP_REG && gpr_of(o0->reg, &n0, &s0);
    bool r1 = o1 && o1->type == X86_OP_REG && gpr_of(o1->reg, &n1, &s1);
    switch (in->id) {
    case X86_INS_NOP:
        /* nop, nopw/nopl with an operand (never accessed), 66/2e padding prefixes; lock nop is #UD */
        if (has_prefix(x, 0xf0))
            return false;
        e.op = CD_EMU_NOP;
        break;
    case X86_INS_PUSH:
        if (!no_prefix(x) || x->op_count != 1 || !r0 || s0 != 8)
            return false;
        e.op = CD_EMU_PUSH;
        e.src = (int8_t)n0;
        e.size = 8;
        break;
    case X86_INS_MOV:
    case X86_INS_MOVABS:
        if (!no_prefix(x) || x->op_count != 2)
            return false;
        if (r0 && (s0 == 8 || s0 == 4)) {
            e.dst = (int8_t)n0;
            e.size = (uint8_t)s0;
            if (r1 && s1 == s0) {
                e.op = CD_EMU_MOV;
                e.src = (int8_t)n1;
            } else if (o1->type == X86_OP_IMM) {
                e.op = CD_EMU_MOV;
                e.has_imm = true;
                e.imm = o1->imm;
            } else if (mem_of(o1, &e) && o1->size == s0) {
                e.op = CD_EMU_LOAD;
            } else
                return false;
        } else if (o0->type == X86_OP_MEM && (o0->size == 8 || o0->size == 4 || o0->size == 1) && mem_of(o0, &e)) {
            e.op = CD_EMU_STORE;
            e.size = o0->size;
            if (r1 && s1 == o0->size)
                e.src = (int8_t)n1;
            else if (o1->type == X86_OP_IMM) {
                e.has_imm = true;
                e.imm = o1->imm;
            } else
                return false;
        } else
            return false;
        break;
    case X86_INS_LEA:
        if (!no_prefix(x) || x->op_count != 2 || !r0 || (s0 != 8 && s0 != 4) || !mem_of(o1, &e))
            return false;
        e.op = CD_EMU_LEA;
        e.dst = (int8_t)n0;
        e.size = (uint8_t)s0;
        break;
    case X86_INS_ADD:
    case X86_INS_SUB:
        if (!no_prefix(x) || x->op_count != 2 || !r0 || (s0 != 8 && s0 != 4) || o1->type != X86_OP_IMM)
            return false;
        e.op = in->id == X86_INS_ADD ? CD_EMU_ADD : CD_EMU_SUB;
        e.dst = (int8_t)n0;
        e.size = (uint8_t)s0;
        e.has_imm = true;
        e.imm = o1->imm;
        break;
    case X86_INS_CALL:
        /* a direct call (e8 rel32; capstone gives the target): a probe at a function's first
         * instruction that calls (clang -O2 often starts so) */
        if (!no_prefix(x) || x->op_count != 1 || o0->type != X86_OP_IMM || in->size != 5 || code[0] != 0xe8)
            return false;
        e.op = CD_EMU_CALL;
        e.size = 8;
        e.has_imm = true;
        e.imm = o0->imm;
        break;
    default:
        return false;
    }
    *out = e;
    return true;
}

static uint64_t mask_of(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t ea_of(const cd_x86_emu *e, const cd_x86_regs *r)
{
    uint64_t a = (uint64_t)e->disp;
    if (e->rip_rel)
        a += e->addr + e->len;
    if (e->base >= 0)
        a += r->gpr[e->base];
    if (e->index >= 0)
        a += r->gpr[e->index] * e->scale;
    return a;
}

bool cd_x86_emu_mem(const cd_x86_emu *e, const cd_x86_regs *r, cd_x86_mem *m)
{
    memset(m, 0, sizeof *m);
    switch (e->op) {
    case CD_EMU_PUSH:
        m->dir = 'w';
        m->addr = r->gpr[CD_GPR_RSP] - 8;
        m->value = r->gpr[e->src]; /* push rsp pushes rsp as it was before the push */
        break;
    case CD_EMU_CALL:
        m->dir = 'w';
        m->addr = r->gpr[CD_GPR_RSP] - 8;
        m->value = e->addr + e->len; /* the return address */
        break;
    case CD_EMU_LOAD:
        m->dir = 'r';
        m->addr = ea_of(e, r);
        break;
    case CD_EMU_STORE:
        m->dir = 'w';
        m->addr = ea_of(e, r);
        m->value = (e->src >= 0 ? r->gpr[e->src] : (uint64_t)e->imm) & mask_of(e->size);
        break;
    default:
        return true;
    }
    m->size = e->size;
    return (m->addr & 4095) + m->size <= 4096;
}

/* RFLAGS bits add and sub set */
#define FL_CF 0x1ull
#define FL_PF 0x4ull
#define FL_AF 0x10ull
#define FL_ZF 0x40ull
#define FL_SF 0x80ull
#define FL_OF 0x800ull

static uint64_t arith_flags(uint64_t flags, uint64_t a, uint64_t b, uint64_t res, unsigned size, bool sub)
{
    uint64_t m = mask_of(size), top = 1ull << (8 * size - 1);
    a &= m;
    b &= m;
    res &= m;
    flags &= ~(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF);
    if (sub ? a < b : res < a)
        flags |= FL_CF;
    if (!(__builtin_popcount((unsigned)(res & 0xff)) & 1))
        flags |= FL_PF;
    if ((a ^ b ^ res) & 0x10)
        flags |= FL_AF;
    if (res == 0)
        flags |= FL_ZF;
    if (res & top)
        flags |= FL_SF;
    /* overflow: the operands' signs (b's negated for sub) agree and the result's differs */
    if ((sub ? (a ^ b) & (a ^ res) : ~(a ^ b) & (a ^ res)) & top)
        flags |= FL_OF;
    return flags;
}

void cd_x86_emu_apply(const cd_x86_emu *e, cd_x86_regs *r, uint64_t loaded)
{
    uint64_t m = mask_of(e->size);
    switch (e->op) {
    case CD_EMU_NONE:
        return;
    case CD_EMU_NOP:
    case CD_EMU_STORE:
        break;
    case CD_EMU_PUSH:
        r->gpr[CD_GPR_RSP] -= 8;
        break;
    case CD_EMU_CALL:
        r->gpr[CD_GPR_RSP] -= 8;
        r->rip = (uint64_t)e->imm;
        return;
    case CD_EMU_MOV:
        /* a 32-bit destination zero-extends into the whole register */
        r->gpr[e->dst] = (e->src >= 0 ? r->gpr[e->src] : (uint64_t)e->imm) & m;
        break;
    case CD_EMU_LOAD:
        r->gpr[e->dst] = loaded & m;
        break;
    case CD_EMU_LEA:
        r->gpr[e->dst] = ea_of(e, r) & m;
        break;
    case CD_EMU_ADD:
    case CD_EMU_SUB: {
        bool sub = e->op == CD_EMU_SUB;
        uint64_t a = r->gpr[e->dst] & m, b = (uint64_t)e->imm & m;
        uint64_t res = (sub ? a - b : a + b) & m;
        r->rflags = arith_flags(r->rflags, a, b, res, e->size, sub);
        r->gpr[e->dst] = res;
        break;
    }
    }
    r->rip = e->addr + e->len;
}
