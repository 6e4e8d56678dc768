/* Self-describing patch pages: how any reader (the session that patched, another cdbg, a core)
 * maps a pc in cdbg's injected code back to the program's.
 *
 * cdbg injects code in 64 KB spans, each aligned on 64 KB: the fast breakpoints' stub areas
 * (codepatch.c) and the inline tracepoints' trampoline regions (src/trace/inline.c). The last
 * CD_PP_HDR_SIZE bytes of each span are its header: a fixed 64-byte head (magic, version, the
 * --ret shadow stacks' address and geometry) then a table of entries, each a byte range of the
 * span and what it stands for. A reader that meets a pc in no module reads
 * (pc & ~(CD_PP_SPAN - 1)) + CD_PP_HDR_OFF: spans are never merged in meaning even when the
 * kernel merges two adjacent ones into one mapping. The header lives in the target's own memory,
 * so it is in /proc/PID/mem for another process and in a core (anonymous private mappings are
 * dumped). The layout is a contract between versions: a reader refuses another version. */
#ifndef CD_PATCHMAP_H
#define CD_PATCHMAP_H

#include "target/target.h"

#define CD_PP_MAGIC 0x3174617067626463ull /* "cdbgpat1" */
#define CD_PP_VERSION 1
#define CD_PP_SPAN 0x10000ull
#define CD_PP_HDR_SIZE 0x4000u
#define CD_PP_HDR_OFF (CD_PP_SPAN - CD_PP_HDR_SIZE)
#define CD_PP_HEAD 64
#define CD_PP_CAP ((CD_PP_HDR_SIZE - CD_PP_HEAD) / 16)

enum { CD_PP_FASTBP = 1, CD_PP_INLINE = 2 }; /* the span's kind */

/* An entry's kind. */
enum {
    /* [off, off + len) stands for the program's instruction at orig (about to run it), whose
     * rsp is the thread's rsp + sp (what the injected code has pushed below it there) */
    CD_PP_CODE = 1,
    /* shared code the span's stubs call: the return address into a CODE range is on the stack
     * within CD_PP_SCAN bytes above rsp; the caller-saved registers are not the program's */
    CD_PP_ROUTINE = 2,
    /* --ret's return trampoline: a return address equal to off is hijacked; the real one is on
     * the thread's shadow stack (see the head) */
    CD_PP_RETTRAMP = 3,
};
#define CD_PP_SCAN 256
#define CD_PP_F_RETSITE 1 /* a CODE range that starts where a call to a ROUTINE returns */
/* Room a writer keeps for one stub's entries (its prologue, relocated instructions, an emulated
 * call, the jump back). */
#define CD_PP_STUB_ENTRIES 24

typedef struct cd_pp_head {
    uint64_t magic;
    uint32_t version;
    uint32_t kind;
    uint64_t shadow;   /* --ret's shadow stacks (0: none); see sh_* */
    uint32_t n, cap;   /* entries in use, room */
    /* sh_n stacks of sh_size bytes: u64 owner TID (0 never used, -1 free), u64 count, then
     * sh_depth entries of 32 bytes: u64 where the return address was, u64 the real one, u32 probe
     * slot, u32 pad, u64 the trampoline address written there. A TID's stack is found from
     * TID % sh_n onwards (open addressing, an owner of 0 ends the chain). */
    uint32_t sh_n, sh_size, sh_depth, pad;
    uint64_t reserved[2];
} cd_pp_head;

typedef struct cd_pp_entry {
    uint16_t off, len;
    int16_t sp;
    uint8_t kind, flags; /* flags: CD_PP_F_* */
    uint64_t orig;
} cd_pp_entry;

_Static_assert(sizeof(cd_pp_head) == CD_PP_HEAD, "the head is 64 bytes");
_Static_assert(sizeof(cd_pp_entry) == 16, "an entry is 16 bytes");

/* ---- writing (every thread held, through t->ops->write_mem) ---- */

/* A new span at base: its head with no entries. */
int cd_pp_init(cd_target *t, uint64_t base, uint32_t kind, cd_err *err);
/* Appends n entries (the caller keeps count: CD_EK_LIMIT when they do not fit). The count is
 * written after the entries: a reader never sees an entry half written. */
int cd_pp_add(cd_target *t, uint64_t base, const cd_pp_entry *e, size_t n, cd_err *err);
/* --ret's shadow stacks, for every span that has a return trampoline. */
int cd_pp_set_shadow(cd_target *t, uint64_t base, uint64_t shadow, uint32_t sh_n, uint32_t sh_size,
                     uint32_t sh_depth, cd_err *err);

/* ---- reading ---- */

/* Reads len bytes at addr: 0, or -1 when they are not readable. */
typedef int (*cd_pp_read_fn)(void *arg, uint64_t addr, void *buf, size_t len);

typedef struct cd_pp_hit {
    uint64_t base;     /* the span's */
    cd_pp_head head;
    cd_pp_entry e;     /* the entry pc is in */
} cd_pp_hit;

/* Whether pc lies in an entry of a patch span: true with *out filled; false when there is no
 * readable header of this version there, or pc is in none of its entries. */
bool cd_pp_lookup(cd_pp_read_fn rd, void *arg, uint64_t pc, cd_pp_hit *out);

/* --ret: the real return address of the call whose return address slot is at `slot` (it holds
 * the trampoline), from the shadow stacks that head describes: TID's own stack first, then every
 * stack (a fork child's copy under its parent's TID). 0 when none has it. */
uint64_t cd_pp_real_return(cd_pp_read_fn rd, void *arg, const cd_pp_head *head, pid_t tid, uint64_t slot);

#endif
