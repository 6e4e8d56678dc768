/* Backtraces through cdbg's own patched code: a pc in a fast breakpoint's stub or an inline
 * tracepoint's trampoline stands for the program's instruction it replaced, and a return address
 * that --ret hijacked is replaced by the real one from the thread's shadow stack. Everything comes
 * from the patch pages' headers in the target's memory (src/target/patchmap.h), so another cdbg
 * and a core see what the session that patched sees. */
#include "unwind/patched.h"
#include "target/patchmap.h"

#include <string.h>

#define DW_RSP 7
#define DW_RIP 16

static int rd(void *arg, uint64_t addr, void *buf, size_t len)
{
    return cd_memcache_read(arg, addr, buf, len);
}

bool cd_unwind_patched(cd_memcache *mc, pid_t tid, uint64_t pc, bool activation, const uint64_t regs[CD_NDWREGS],
                       uint32_t valid, cd_patch_fix *fix)
{
    memset(fix, 0, sizeof *fix);
    cd_pp_hit h;
    if (!cd_pp_lookup(rd, mc, pc, &h))
        return false;
    memcpy(fix->regs, regs, sizeof fix->regs);
    fix->valid = valid;
    bool have_sp = (valid & (1u << DW_RSP)) != 0;
    uint64_t sp = regs[DW_RSP];
    if (h.e.kind == CD_PP_RETTRAMP && pc == h.base + h.e.off && !activation) {
        /* a caller's return address: the hijacked slot is just below the caller's sp */
        fix->kind = CD_FRAME_RETURN;
        uint64_t real = have_sp ? cd_pp_real_return(rd, mc, &h.head, tid, sp - 8) : 0;
        if (!real)
            return true;
        fix->regs[DW_RIP] = real;
        fix->translated = true;
        fix->activation = false;
        return true;
    }
    fix->kind = CD_FRAME_TRAMPOLINE;
    if (!have_sp)
        return true;
    if (h.e.kind == CD_PP_CODE) {
        fix->regs[DW_RIP] = h.e.orig;
        fix->regs[DW_RSP] = sp + (uint64_t)(int64_t)h.e.sp;
        fix->translated = true;
        fix->activation = true;
        return true;
    }
    if (h.e.kind == CD_PP_ROUTINE) {
        /* the stub's call: its return address is the nearest return site of this span above sp */
        for (uint64_t o = 0; o < CD_PP_SCAN; o += 8) {
            uint64_t v;
            cd_pp_hit s;
            if (cd_memcache_read(mc, sp + o, &v, sizeof v) < 0)
                break;
            if ((v & ~(CD_PP_SPAN - 1)) != h.base || !cd_pp_lookup(rd, mc, v, &s) || s.e.kind != CD_PP_CODE ||
                !(s.e.flags & CD_PP_F_RETSITE) || v != s.base + s.e.off)
                continue;
            fix->regs[DW_RIP] = s.e.orig;
            fix->regs[DW_RSP] = sp + o + 8 + (uint64_t)(int64_t)s.e.sp;
            /* the routine saved and reused the caller-saved registers: only these are the program's */
            fix->valid = valid & ((1u << 3) | (1u << 6) | (0xfu << 12) | (1u << DW_RSP) | (1u << DW_RIP));
            fix->translated = true;
            fix->activation = true;
            return true;
        }
    }
    return true;
}

bool cd_unwind_in_patch(cd_memcache *mc, uint64_t pc)
{
    cd_pp_hit h;
    return cd_pp_lookup(rd, mc, pc, &h);
}
