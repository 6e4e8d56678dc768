/* Tail-call frames rebuilt from DWARF call-site information, as gdb does (tailcall.c). */
#ifndef CD_TAILCALL_H
#define CD_TAILCALL_H

#include <stdint.h>

#include "symbols/symbols.h"
#include "unwind/unwind.h"

/* The functions that tail-called their way from a caller (return address RET_PC) down to the callee
 * frame (lookup address CALLEE_LPC), as the pcs of their tail call sites (each the address after
 * the jump), innermost first, into PCS (up to CAP). 0 when there are none or they are not known
 * for sure. */
int cd_tailcall_chain(cd_symtab *s, uint64_t ret_pc, uint64_t callee_lpc, uint64_t *pcs, int cap);

/* Appends to FR (N frames, *CAP allocated, at most MAX: else *TRUNCATED) the tail-call frames
 * between its last frame (the innermost of a physical frame) and that frame's caller (its return
 * address CALLER_PC, its registers). Returns the new count. */
size_t cd_tailcall_append(cd_symtab *s, cd_frame **fr, size_t *cap, size_t n, size_t max, bool *truncated,
                          uint64_t caller_pc, const uint64_t caller_regs[CD_NDWREGS], uint32_t caller_valid);

#endif
