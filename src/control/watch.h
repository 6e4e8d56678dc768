/* Hardware watchpoints: watch, watch -r (rwatch), watch -rw (awatch).
 *
 * A watchpoint is a cd_bp of kind CD_BPK_WATCH, CD_BPK_RWATCH or CD_BPK_AWATCH, numbered with the
 * breakpoints, listed by cd_ctl_bps, deleted by cd_ctl_bp_delete and switched by cd_ctl_bp_enable
 * (a disabled one gives its debug registers back); `cond`, `ignore` and `hits` work as for a
 * breakpoint. Its cd_watch says what it watches.
 *
 * x86-64 has four debug registers, each covering 1, 2, 4 or 8 bytes aligned to their length. An
 * object is split into aligned chunks exactly as gdb splits it (x86_handle_nonaligned_watchpoint),
 * so a 16-byte object at an address 4 mod 8 takes three. There is no read-only mode: a read
 * watchpoint watches reads and writes, and the run loop tells them apart by the value, as gdb
 * does: a change is a write (not reported, the value is remembered), no change is a read. A write
 * watchpoint whose value did not change (the program stored the value already there) does not
 * stop, as gdb's `watch`. The trap comes after the accessing instruction.
 *
 * A watchpoint on an object inside a stack frame (a local) is tied to that frame: an internal
 * breakpoint (CD_BPP_WATCH_SCOPE) at the frame's return address, for its thread and stack
 * pointer, deletes it when the frame returns and stops the program there (a stop with
 * scope_left), as gdb does; a step that returns from the frame does the same. */
#ifndef CD_CONTROL_WATCH_H
#define CD_CONTROL_WATCH_H

#include "control/control.h"

#define CD_WATCH_MAX_SLOTS 8
#define CD_WATCH_MAX_DEPS 4

typedef struct cd_watch {
    uint64_t addr;       /* first byte watched */
    uint64_t len;        /* bytes watched (a bitfield: the bytes holding it) */
    struct cd_type *type; /* the expression's type (in the session's value state) */
    int bitsize, bitpos; /* a bitfield within the bytes at addr (bitsize 0: none) */
    uint8_t *old;        /* the value as last seen (len bytes) */
    int slots[CD_WATCH_MAX_SLOTS]; /* debug registers held while enabled */
    uint64_t chunk_addr[CD_WATCH_MAX_SLOTS];
    int chunk_len[CD_WATCH_MAX_SLOTS];
    int nchunks;         /* aligned chunks, one debug register each */
    bool armed;          /* the chunks are in debug registers (slots valid) */
    /* a local: the frame it lives in */
    bool scoped;
    pid_t tid;           /* the frame's thread */
    uint64_t cfa;        /* the frame's CFA: it has returned once that thread's sp is at or above it */
    char *func;          /* the frame's function, for messages */
    int scope_bp;        /* the internal breakpoint at the frame's return address (0 none) */
    const void *symkey;  /* the symbol table `type` came from */
    /* What the expression loaded on the way to its object, as gdb's value chain: the pointer of
     * `*p` and `p->x`, the index of `arr[i]`. Their chunks follow the object's (chunk nmain on);
     * when one changes the expression is evaluated again and the watch moves to the new object. */
    int nmain;           /* chunks of the object itself */
    int ndeps;
    uint64_t dep_addr[CD_WATCH_MAX_DEPS];
    int dep_len[CD_WATCH_MAX_DEPS];
    uint8_t dep_old[CD_WATCH_MAX_DEPS][8];
    uint64_t eval_cfa;   /* the expression names locals: the CFA of the frame it is evaluated in */
} cd_watch;

/* One watchpoint in a WATCHPOINT stop (cd_stop.watch). */
typedef struct cd_watchhit {
    int id;
    cd_bp_kind kind;     /* CD_BPK_WATCH, RWATCH or AWATCH */
    char *expr;
    unsigned long hits;
    bool scope_left;     /* deleted: the frame its expression lives in returned */
    bool changed;        /* old and new differ (shown as Old/New; otherwise one Value) */
    uint8_t *old_bytes, *new_bytes; /* len bytes each (new_bytes NULL for scope_left) */
    uint64_t len;
    struct cd_type *type; /* NULL: the values are shown as bytes (the symbols changed since) */
    int bitsize, bitpos;
} cd_watchhit;

/* Sets a watchpoint of KIND (CD_BPK_WATCH, RWATCH, AWATCH) on EXPR, a C lvalue in memory
 * evaluated in SEL's frame, with an optional condition. Fails (one line, prefixed "watch: ") on a
 * core, a value that is not an lvalue, lives in a register or is optimized out, and when the debug
 * registers it needs are not free (naming the watchpoints that hold them). */
cd_bp *cd_ctl_watch(cd_ctl *c, const cd_scope *sel, const char *expr, cd_bp_kind kind, const char *cond,
                    cd_err *err);
/* Whether kind is one of the watchpoint kinds. */
static inline bool cd_bp_kind_is_watch(cd_bp_kind k)
{
    return k == CD_BPK_WATCH || k == CD_BPK_RWATCH || k == CD_BPK_AWATCH;
}
/* gdb's names: "Hardware watchpoint", "Hardware read watchpoint", "Hardware access (read/write)
 * watchpoint"; and short ones for JSON: "write", "read", "access". */
const char *cd_watch_kind_title(cd_bp_kind k);
const char *cd_watch_kind_name(cd_bp_kind k);

#endif
