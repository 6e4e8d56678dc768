/* x86-64 instructions over capstone (contract in arch.h). */
#include "arch/arch.h"

#include <capstone/capstone.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cd_x86 {
    csh cs;
    cs_insn *insn; /* cs_malloc'd once: cs_disasm_iter reuses it, no allocation per decode */
};

cd_x86 *cd_x86_new(cd_err *err)
{
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
