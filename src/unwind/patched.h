/* Frames in cdbg's own patched code (internal to src/unwind; see patched.c). */
#ifndef CD_UNWIND_PATCHED_H
#define CD_UNWIND_PATCHED_H

#include "unwind/unwind.h"

typedef struct cd_patch_fix {
    int kind;                   /* CD_FRAME_TRAMPOLINE or CD_FRAME_RETURN */
    bool translated;            /* regs/valid hold the frame the unpatched program would have */
    bool activation;            /* regs' pc is the next instruction to run (else a return address) */
    uint64_t regs[CD_NDWREGS];
    uint32_t valid;
} cd_patch_fix;

/* A physical frame (pc, its registers, whether pc is exact) of thread tid whose pc lies in no
 * module: true when it is in cdbg's patched code (a patch page's header says so), with *fix saying
 * what to show and from where to go on. */
bool cd_unwind_patched(cd_memcache *mc, pid_t tid, uint64_t pc, bool activation, const uint64_t regs[CD_NDWREGS],
                       uint32_t valid, cd_patch_fix *fix);

/* Whether pc is in cdbg's patched code (a patch page's entry). */
bool cd_unwind_in_patch(cd_memcache *mc, uint64_t pc);

#endif
