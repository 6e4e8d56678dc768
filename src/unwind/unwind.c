/* The unwinder: libdwfl's CFI unwinder fed through our own thread callbacks, so live processes and
 * cores share one code path (memory and registers come from cd_target). */
#include "unwind/unwind.h"
#include "unwind/patched.h"
#include "unwind/tailcall.h"
#include "symbols/symbols_internal.h"
#include "arch/arch.h"

#include <dwarf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#define DEFAULT_MAX_FRAMES 1024
#define DW_RBX 3
#define DW_RSP 7
#define DW_RIP 16

typedef struct phys_frame {
    uint64_t pc;
    bool activation;
    bool signal_frame;
    uint64_t regs[CD_NDWREGS];
    uint32_t valid;
    int patched; /* CD_FRAME_* */
} phys_frame;

struct cd_unwinder {
    cd_target *t;
    cd_symtab *s;
    cd_memcache *mc;
    uint64_t mc_gen;

    /* The thread being unwound: its tid and initial registers. */
    pid_t cur_tid;
    uint64_t cur_regs[CD_NDWREGS];
    uint32_t cur_valid;

    /* Physical frames collected by the frame callback. */
    phys_frame *phys;
    size_t nphys, capphys;
    size_t max_phys;
    bool truncated;
    bool newborn;      /* the thread has not run any code of its own yet: frame 0 is all there is */
    size_t restart_at; /* phys index where a second walk resumed from a return address (0: none) */
    char *stop_reason; /* set when we stopped the walk ourselves */
    /* A memory read that failed since the last frame was reported: libdwfl treats a return
     * address it cannot read as "no caller" and ends the walk as if the stack were complete. */
    bool read_failed;
    uint64_t read_failed_addr;

    cd_u64map sigmemo; /* pc -> (void*)1 signal trampoline / (void*)2 not */
    cd_x86 *x86;       /* decoder for frame-pointer prologues (fp_rbp_from_code), made when first needed */
    /* A frame in cdbg's patched code (patched.c): the walk ends there and goes on from fix */
    bool fix_pending;
    cd_patch_fix fix;
    size_t fix_mark;   /* 1 + the phys index the restarted walk's first frame gets, 0: none */
    int fix_kind;
};

/* ---- thread callbacks ------------------------------------------------------------------------ */

static cd_unwinder *active(void *dwfl_arg)
{
    return *cd_symtab__unwind_slot(dwfl_arg);
}

static pid_t cb_next_thread(Dwfl *dwfl, void *dwfl_arg, void **thread_argp)
{
    (void)dwfl;
    /* Only dwfl_getthreads would iterate; we always ask for one thread by tid. Offer the thread
     * being unwound, once. */
    cd_unwinder *u = active(dwfl_arg);
    if (!u || *thread_argp)
        return 0;
    *thread_argp = u;
    return u->cur_tid;
}

static bool cb_get_thread(Dwfl *dwfl, pid_t tid, void *dwfl_arg, void **thread_argp)
{
    (void)dwfl;
    cd_unwinder *u = active(dwfl_arg);
    if (!u || tid != u->cur_tid)
        return false;
    *thread_argp = u;
    return true;
}

static bool cb_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *dwfl_arg)
{
    (void)dwfl;
    cd_unwinder *u = active(dwfl_arg);
    if (!u)
        return false;
    if (cd_memcache_read(u->mc, addr, result, sizeof *result) == 0)
        return true;
    if (!u->read_failed) {
        u->read_failed = true;
        u->read_failed_addr = addr;
    }
    return false;
}

static bool cb_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
    cd_unwinder *u = thread_arg;
    if (!(u->cur_valid & (1u << DW_RIP)))
        return false;
    if ((u->cur_valid & 0x1ffff) == 0x1ffff) {
        if (!dwfl_thread_state_registers(thread, 0, CD_NDWREGS, (const Dwarf_Word *)u->cur_regs))
            return false;
    } else {
        for (int i = 0; i < CD_NDWREGS; i++)
            if ((u->cur_valid & (1u << i)) &&
                !dwfl_thread_state_registers(thread, i, 1, (const Dwarf_Word *)&u->cur_regs[i]))
                return false;
    }
    dwfl_thread_state_register_pc(thread, u->cur_regs[DW_RIP]);
    return true;
}

static const Dwfl_Thread_Callbacks thread_cbs = {
    .next_thread = cb_next_thread,
    .get_thread = cb_get_thread,
    .memory_read = cb_memory_read,
    .set_initial_registers = cb_set_initial_registers,
};

/* ---- construction ---------------------------------------------------------------------------- */

cd_unwinder *cd_unwinder_new(cd_target *t, cd_symtab *s, cd_err *err)
{
    if (!cd_symtab__attach(s, &thread_cbs, err))
        return NULL;
    cd_unwinder *u = cd_xcalloc(1, sizeof *u);
    u->t = t;
    u->s = s;
    u->mc = cd_memcache_new(t);
    u->mc_gen = t->stop_gen;
    return u;
}

void cd_unwinder_free(cd_unwinder *u)
{
    if (!u)
        return;
    void **slot = cd_symtab__unwind_slot(u->s);
    if (*slot == u)
        *slot = NULL;
    cd_memcache_free(u->mc);
    cd_x86_free(u->x86);
    cd_u64map_free(&u->sigmemo, NULL);
    free(u->phys);
    free(u->stop_reason);
    free(u);
}

void cd_stack_free(cd_stack *st)
{
    if (!st)
        return;
    free(st->frames);
    free(st->error);
    memset(st, 0, sizeof *st);
}

/* ---- the walk ------------------------------------------------------------------------------- */

/* Is pc inside a signal trampoline (a CIE with the 'S' augmentation, like glibc's __restore_rt)?
 * libdwfl uses this internally but does not expose it per frame. */
static bool is_signal_trampoline(cd_unwinder *u, uint64_t pc)
{
    bool found;
    void *v = cd_u64map_get(&u->sigmemo, pc, &found);
    if (found)
        return v == (void *)1;
    bool sig = false;
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(u->s), pc);
    if (mod) {
        for (int pass = 0; pass < 2 && !sig; pass++) {
            Dwarf_Addr bias;
            Dwarf_CFI *cfi = pass == 0 ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
            Dwarf_Frame *fr;
            if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &fr) == 0) {
                bool s = false;
                dwarf_frame_info(fr, NULL, NULL, &s);
                sig = s;
                free(fr);
            }
        }
    }
    cd_u64map_put(&u->sigmemo, pc, sig ? (void *)1 : (void *)2);
    return sig;
}

/* Workaround for elfutils up to at least 0.188: its x86-64 default CFI (backends/x86_64_cfi.c)
 * lists %rax (DWARF 0) as call-saved instead of %rbx (DWARF 3), so libdwfl drops rbx in the
 * caller of any frame whose CFI never mentions rbx. The ABI makes rbx call-saved: when the callee's
 * CFI has no rule of its own for rbx (it never saved it), the caller's rbx is the callee's. A
 * callee that did save rbx has an explicit rule, and then libdwfl's answer (or lack of one) holds. */
static bool rbx_unchanged_by(cd_unwinder *u, const phys_frame *callee)
{
    if (callee->signal_frame || !(callee->valid & (1u << DW_RBX)))
        return false;
    uint64_t lpc = callee->activation ? callee->pc : callee->pc - 1;
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(u->s), lpc);
    if (!mod)
        return false;
    Dwarf_Frame *fr = NULL;
    for (int pass = 0; pass < 2 && !fr; pass++) {
        Dwarf_Addr bias;
        Dwarf_CFI *cfi = pass == 0 ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
        if (cfi && dwarf_cfi_addrframe(cfi, lpc - bias, &fr) != 0)
            fr = NULL;
    }
    if (!fr)
        return false;
    Dwarf_Op mem[3], *ops = NULL;
    size_t nops = 0;
    bool untouched = dwarf_frame_register(fr, DW_RBX, mem, &ops, &nops) == 0 && nops == 0;
    free(fr);
    return untouched;
}

static void set_reason(cd_unwinder *u, char *msg)
{
    free(u->stop_reason);
    u->stop_reason = msg;
}

/* glibc's clone and clone3 system-call stubs, by name (their symbols are in .dynsym/.symtab). */
static bool pc_in_clone_stub(cd_unwinder *u, uint64_t pc)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(u->s, pc, &pi);
    if (n < 1 || !pi[n - 1].func)
        return false;
    const char *f = pi[n - 1].func;
    return !strcmp(f, "__clone3") || !strcmp(f, "clone3") || !strcmp(f, "__clone") || !strcmp(f, "clone");
}

static bool in_clone_stub(cd_unwinder *u, const phys_frame *p)
{
    return (p->valid & (1u << DW_RSP)) && pc_in_clone_stub(u, p->pc);
}

static int frame_cb(Dwfl_Frame *f, void *arg)
{
    cd_unwinder *u = arg;
    Dwarf_Addr pc;
    bool act = false;
    u->read_failed = false;
    if (u->newborn && u->nphys > 0)
        return DWARF_CB_ABORT;
    if (!dwfl_frame_pc(f, &pc, &act)) {
        set_reason(u, cd_xasprintf("cannot read the pc of frame %zu: %s", u->nphys, dwfl_errmsg(-1)));
        return DWARF_CB_ABORT;
    }
    if (u->restart_at && u->nphys == u->restart_at)
        act = false; /* libdwfl sees the restarted walk's first pc as exact; it is a return address */
    if (u->nphys == 1 && !u->restart_at && in_clone_stub(u, &u->phys[0])) {
        /* The parent side of a clone stub pushes nothing: its caller's return address is at sp.
         * Past the syscall there is no CFI and libdwfl may guess from rbp instead; anything but
         * [sp] is that guess, so end this walk and let walk() resume from [sp]. */
        uint64_t ret;
        if (cd_memcache_read(u->mc, u->phys[0].regs[DW_RSP], &ret, sizeof ret) == 0 && ret && ret != pc)
            return DWARF_CB_ABORT;
    }
    /* A zero return address is how hand-written outermost frames without CFI end the chain (and
     * what a frame-pointer walk reads at the top of a stack): nothing lies beyond it. */
    if (pc == 0 && u->nphys > 0)
        return DWARF_CB_ABORT;
    if (u->nphys >= u->max_phys) {
        u->truncated = true;
        return DWARF_CB_ABORT;
    }
    if (u->nphys == u->capphys) {
        u->capphys = u->capphys ? u->capphys * 2 : 32;
        u->phys = cd_xrealloc(u->phys, u->capphys * sizeof *u->phys);
    }
    phys_frame *p = &u->phys[u->nphys];
    memset(p, 0, sizeof *p);
    p->pc = pc;
    p->activation = act;
    for (unsigned r = 0; r < CD_NDWREGS; r++) {
        Dwarf_Word v;
        if (dwfl_frame_reg(f, r, &v) == 0) {
            p->regs[r] = v;
            p->valid |= 1u << r;
        }
    }
    p->regs[DW_RIP] = pc;
    p->valid |= 1u << DW_RIP;
    if (u->nphys > 0) {
        phys_frame *prev = &u->phys[u->nphys - 1];
        if (!(p->valid & (1u << DW_RBX)) && rbx_unchanged_by(u, prev)) {
            p->regs[DW_RBX] = prev->regs[DW_RBX];
            p->valid |= 1u << DW_RBX;
        }
        /* The stack grows down, so each caller's sp must be above its callee's; a walk that
         * does not move up is looping on bad unwind data. Signal frames switch stacks legally. */
        if ((p->valid & prev->valid & (1u << DW_RSP)) && p->regs[DW_RSP] <= prev->regs[DW_RSP] &&
            !prev->signal_frame && !act) {
            set_reason(u, cd_xasprintf("unwinding stopped at %#llx: the stack pointer did not move up (corrupt stack or bad unwind info)",
                                       (unsigned long long)pc));
            return DWARF_CB_ABORT;
        }
    }
    if (u->fix_mark == u->nphys + 1) {
        p->patched = u->fix_kind;
        u->fix_mark = 0;
    } else if (pc && !dwfl_addrmodule(cd_symtab_dwfl(u->s), pc) &&
               cd_unwind_patched(u->mc, u->cur_tid, pc, act, p->regs, p->valid, &u->fix)) {
        if (u->fix.translated) {
            u->fix_pending = true; /* walk() goes on from the unpatched program's frame */
            return DWARF_CB_ABORT;
        }
        p->patched = u->fix.kind;
    }
    if (act)
        p->signal_frame = is_signal_trampoline(u, pc);
    u->nphys++;
    return DWARF_CB_OK;
}

static const char *const dw_reg_name[CD_NDWREGS] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
                                                    "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"};

/* A walk from partial registers that ended "cleanly" at P may only have lacked a register: P's
 * CFA (or its return address's) rule reads one the walk never had. Returns that DWARF register,
 * or -1 when P's CFI names only registers it knows (a true outermost frame: _start, the child side
 * of clone), or P has no CFI (nothing to say). */
static int missing_cfa_reg(cd_unwinder *u, const phys_frame *p)
{
    uint64_t lpc = p->activation ? p->pc : p->pc - 1;
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(u->s), lpc);
    Dwarf_Frame *fr = NULL;
    for (int pass = 0; mod && pass < 2 && !fr; pass++) {
        Dwarf_Addr bias;
        Dwarf_CFI *cfi = pass == 0 ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
        if (cfi && dwarf_cfi_addrframe(cfi, lpc - bias, &fr) != 0)
            fr = NULL;
    }
    if (!fr)
        return (p->valid & (1u << 6)) ? -1 : 6; /* libdwfl falls back to the rbp chain */
    int missing = -1;
    Dwarf_Op *ops = NULL;
    size_t nops = 0;
    if (dwarf_frame_cfa(fr, &ops, &nops) == 0) {
        for (size_t i = 0; i < nops && missing < 0; i++) {
            unsigned a = ops[i].atom;
            int r = a >= DW_OP_breg0 && a <= DW_OP_breg31 ? (int)(a - DW_OP_breg0)
                    : a == DW_OP_bregx                   ? (int)ops[i].number
                                                         : -1;
            if (r >= 0 && r < CD_NDWREGS && !(p->valid & (1u << r)))
                missing = r;
        }
    }
    free(fr);
    return missing;
}

/* rbp of frame P, a frame-pointer function (its CFI at P's pc: CFA = rbp + 16) that nobody below
 * saved rbp for: it is still in the sleeping thread's register, which the kernel does not show.
 * P's sp is exact (its callee's CFA), and so is how far its own code moved sp from its entry to
 * the call P returns to, when every instruction on the way is a push, a pop, or an add/sub of sp
 * by a constant (the frame-pointer code of gcc and clang): CFA = sp - delta + 8, rbp = CFA - 16.
 * Anything else on the way (leave, ret, enter, alloca's sub rsp, reg; mov/and/lea into rsp; bytes
 * that do not decode; a pc that is not just after a call) and there is no answer: the frame then
 * says its caller is unknown rather than guess. */
static bool fp_rbp_from_code(cd_unwinder *u, const phys_frame *p, uint64_t *rbp)
{
    if (p->activation || !(p->valid & (1u << DW_RSP)))
        return false;
    uint64_t lpc = p->pc - 1;
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(u->s), lpc);
    if (!mod)
        return false;
    Dwarf_Frame *fr = NULL;
    for (int pass = 0; pass < 2 && !fr; pass++) {
        Dwarf_Addr bias;
        Dwarf_CFI *cfi = pass == 0 ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
        if (cfi && dwarf_cfi_addrframe(cfi, lpc - bias, &fr) != 0)
            fr = NULL;
    }
    if (!fr)
        return false;
    Dwarf_Op *cops = NULL;
    size_t ncops = 0;
    bool fp = dwarf_frame_cfa(fr, &cops, &ncops) == 0 && ncops == 1 && cops[0].atom == DW_OP_bregx &&
              cops[0].number == 6 && cops[0].number2 == 16;
    free(fr);
    GElf_Off off = 0;
    GElf_Sym sym;
    if (!fp || !dwfl_module_addrinfo(mod, lpc, &off, &sym, NULL, NULL, NULL))
        return false;
    uint64_t entry = lpc - off;
    size_t len = (size_t)(p->pc - entry);
    if (len == 0 || len > 256 * 1024)
        return false;
    if (!u->x86) {
        cd_err e;
        if (!(u->x86 = cd_x86_new(&e)))
            return false;
    }
    uint8_t *code = cd_xmalloc(len);
    bool ok = cd_memcache_read(u->mc, entry, code, len) == 0;
    int64_t delta = 0;
    size_t o = 0;
    cd_insn in = {0};
    while (ok && o < len) {
        if (cd_x86_is_endbr64(code + o, len - o)) {
            o += 4;
            in.kind = CD_INSN_OTHER;
            continue;
        }
        if (!cd_x86_decode(u->x86, code + o, len - o, entry + o, &in)) {
            ok = false;
            break;
        }
        const char *m = in.mnemonic, *ops = in.ops;
        bool to_sp = !strncmp(ops, "rsp", 3) && (ops[3] == ',' || ops[3] == 0);
        if (!strcmp(m, "push") || !strcmp(m, "pushfq")) {
            delta -= 8;
        } else if (!strcmp(m, "pop") || !strcmp(m, "popfq")) {
            ok = !to_sp;
            delta += 8;
        } else if ((!strcmp(m, "sub") || !strcmp(m, "add")) && to_sp) {
            char *end;
            long long v = strtoll(ops + 5, &end, 0);
            ok = end != ops + 5 && *end == 0;
            delta += m[0] == 'a' ? v : -v;
        } else if (in.kind == CD_INSN_RET || !strcmp(m, "leave") || !strcmp(m, "enter") || to_sp ||
                   !strncmp(ops, "esp", 3) || !strncmp(ops, "sp,", 3)) {
            ok = false; /* an epilogue before the call, alloca, realignment: not a constant frame */
        }
        o += in.len;
    }
    free(code);
    /* the return address follows a call, on an instruction boundary */
    if (!ok || o != len || in.kind != CD_INSN_CALL || delta > 0)
        return false;
    uint64_t r = p->regs[DW_RSP] - (uint64_t)delta - 8, ret;
    /* the slot above the saved rbp must hold a return address into code (or --ret's trampoline) */
    if (cd_memcache_read(u->mc, r + 8, &ret, sizeof ret) != 0 || !ret ||
        (!dwfl_addrmodule(cd_symtab_dwfl(u->s), ret) && !cd_unwind_in_patch(u->mc, ret)))
        return false;
    *rbp = r;
    return true;
}

/* libdwfl's walk, then again from each frame in cdbg's patched code as the unpatched program has it */
static int getframes(cd_unwinder *u, Dwfl *dwfl, pid_t tid)
{
    int rc = dwfl_getthread_frames(dwfl, tid, frame_cb, u);
    for (int k = 0; k < 256 && u->fix_pending; k++) {
        u->fix_pending = false;
        memcpy(u->cur_regs, u->fix.regs, sizeof u->cur_regs);
        u->cur_valid = u->fix.valid;
        u->restart_at = u->fix.activation ? 0 : u->nphys;
        u->fix_mark = u->nphys + 1;
        u->fix_kind = u->fix.kind;
        u->read_failed = false;
        rc = dwfl_getthread_frames(dwfl, tid, frame_cb, u);
    }
    u->fix_pending = false;
    u->fix_mark = 0;
    return rc;
}

static int walk(cd_unwinder *u, pid_t tid, const uint64_t regs[CD_NDWREGS], uint32_t valid, bool newborn,
                int max_frames, cd_stack *out, cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (max_frames <= 0)
        max_frames = DEFAULT_MAX_FRAMES;
    if (!(valid & (1u << DW_RIP)))
        return cd_fail(err, CD_EXIT_CMD, "cannot unwind thread %d: its pc is unknown; stop the thread first", (int)tid);

    /* Memory may change whenever the target ran: start a fresh page cache for each stop. */
    if (u->mc_gen != u->t->stop_gen) {
        cd_memcache_free(u->mc);
        u->mc = cd_memcache_new(u->t);
        u->mc_gen = u->t->stop_gen;
    }
    *cd_symtab__unwind_slot(u->s) = u;
    u->cur_tid = tid;
    memcpy(u->cur_regs, regs, sizeof u->cur_regs);
    u->cur_valid = valid;
    u->nphys = 0;
    u->max_phys = (size_t)max_frames;
    u->truncated = false;
    u->newborn = newborn;
    u->read_failed = false;
    set_reason(u, NULL);

    Dwfl *dwfl = cd_symtab_dwfl(u->s);
    u->restart_at = 0;
    int rc = getframes(u, dwfl, tid);
    if (rc != 0 && u->nphys == 1 && !u->stop_reason && !u->truncated && !u->newborn && in_clone_stub(u, &u->phys[0])) {
        /* The parent side of clone()/clone3(): glibc ends the stub's CFI before the syscall (the
         * child's would be wrong), but the stub has pushed nothing, so the return address is at
         * sp. Walk again from the caller. */
        phys_frame *p0 = &u->phys[0];
        uint64_t ret;
        if (cd_memcache_read(u->mc, p0->regs[DW_RSP], &ret, sizeof ret) == 0 && ret) {
            u->cur_regs[DW_RIP] = ret;
            u->cur_regs[DW_RSP] = p0->regs[DW_RSP] + 8;
            u->restart_at = 1;
            rc = getframes(u, dwfl, tid);
        }
    }
    if (rc == 0 && u->read_failed && u->nphys > 0 && !u->stop_reason) {
        /* libdwfl ended the walk "cleanly" only because it could not read the caller's frame */
        phys_frame *last = &u->phys[u->nphys - 1];
        const cd_pcinfo *pi;
        int ni = cd_symtab_lookup(u->s, last->pc - (last->activation ? 0 : 1), &pi);
        pi += ni > 1 ? ni - 1 : 0; /* the function the frame is in, not what was inlined into it */
        set_reason(u, cd_xasprintf("unwinding stopped after %#llx in %s: the stack memory at %#llx is not readable "
                                   "(a truncated core, or a corrupt stack pointer)",
                                   (unsigned long long)last->pc, pi->func ? pi->func : "??",
                                   (unsigned long long)u->read_failed_addr));
    }
    if (rc != 0 && !u->stop_reason && !u->truncated && !(u->nphys > 0 && rc == DWARF_CB_ABORT)) {
        if (u->nphys == 0)
            set_reason(u, cd_xasprintf("cannot unwind thread %d: %s", (int)tid, dwfl_errmsg(-1)));
        else {
            uint64_t lpc = u->phys[u->nphys - 1].pc;
            const cd_pcinfo *pi;
            int ni = cd_symtab_lookup(u->s, lpc - (u->phys[u->nphys - 1].activation ? 0 : 1), &pi);
            pi += ni > 1 ? ni - 1 : 0;
            set_reason(u, cd_xasprintf("unwinding stopped after %#llx in %s (%s): %s", (unsigned long long)lpc,
                                       pi->func ? pi->func : "??", pi->module ? pi->module : "no module",
                                       dwfl_errmsg(-1)));
        }
    }
    /* A frame-pointer function below which nobody saved rbp (a thread read from its syscall line):
     * rbp from its own code, then the walk goes on from that frame. */
    for (int tries = 0; tries < 16 && rc == 0 && u->nphys >= 2 && !u->stop_reason && !u->truncated &&
                        (valid & 0x1ffff) != 0x1ffff;
         tries++) {
        phys_frame *last = &u->phys[u->nphys - 1];
        uint64_t rbp;
        if (missing_cfa_reg(u, last) != 6 || !fp_rbp_from_code(u, last, &rbp))
            break;
        memcpy(u->cur_regs, last->regs, sizeof u->cur_regs);
        u->cur_regs[6] = rbp;
        u->cur_valid = last->valid | (1u << 6);
        u->nphys--;
        u->restart_at = u->nphys; /* that frame again, as a return address */
        u->read_failed = false;
        rc = getframes(u, dwfl, tid);
    }
    int missing = -1;
    if (rc == 0 && u->nphys > 0 && !u->stop_reason && !u->truncated && (valid & 0x1ffff) != 0x1ffff)
        missing = missing_cfa_reg(u, &u->phys[u->nphys - 1]);
    if (missing >= 0) {
        /* libdwfl ends a walk whose next frame it cannot compute as if the stack ended there */
        phys_frame *last = &u->phys[u->nphys - 1];
        const cd_pcinfo *pi;
        int ni = cd_symtab_lookup(u->s, last->pc - (last->activation ? 0 : 1), &pi);
        pi += ni > 1 ? ni - 1 : 0;
        set_reason(u, cd_xasprintf("the caller of %s is not known: its frame address is computed from %s, which no "
                                   "frame below saved on the stack and the kernel does not show for a thread asleep "
                                   "in a system call (`cdbg attach` stops the thread and shows it)",
                                   pi->func ? pi->func : "??", dw_reg_name[missing]));
    }
    if (u->nphys == 0) {
        /* Still show where the thread is, even if nothing could be unwound from it. */
        phys_frame *p;
        u->capphys = u->capphys ? u->capphys : 32;
        u->phys = u->phys ? u->phys : cd_xmalloc(u->capphys * sizeof *u->phys);
        p = &u->phys[0];
        memset(p, 0, sizeof *p);
        p->pc = regs[DW_RIP];
        p->activation = true;
        memcpy(p->regs, regs, sizeof p->regs);
        p->valid = valid;
        u->nphys = 1;
    }

    /* Expand physical frames into logical ones (inline scopes innermost first). */
    size_t cap = u->nphys + 8, n = 0;
    cd_frame *fr = cd_xmalloc(cap * sizeof *fr);
    for (size_t i = 0; i < u->nphys && n < (size_t)max_frames; i++) {
        phys_frame *p = &u->phys[i];
        uint64_t lpc = p->activation ? p->pc : p->pc - 1;
        const cd_pcinfo *pi;
        int ni = cd_symtab_lookup(u->s, lpc, &pi);
        uint64_t cfa = 0;
        /* On x86-64 the CFA is the caller's sp right after the return. */
        if (i + 1 < u->nphys && (u->phys[i + 1].valid & (1u << DW_RSP)))
            cfa = u->phys[i + 1].regs[DW_RSP];
        for (int k = 0; k < ni; k++) {
            if (n == (size_t)max_frames) {
                u->truncated = true;
                break;
            }
            if (n == cap) {
                cap *= 2;
                fr = cd_xrealloc(fr, cap * sizeof *fr);
            }
            cd_frame *c = &fr[n];
            c->level = (int)n;
            c->phys = (int)i;
            c->pc = p->pc;
            c->lookup_pc = lpc;
            c->cfa = cfa;
            c->signal_frame = p->signal_frame;
            c->patched = p->patched;
            c->tailcall = false;
            c->info = pi[k];
            memcpy(c->regs, p->regs, sizeof c->regs);
            c->regs_valid = p->valid;
            n++;
        }
        phys_frame *q = i + 1 < u->nphys ? &u->phys[i + 1] : NULL; /* the functions that tail-called p's */
        if (q && n > 0 && n < (size_t)max_frames && !q->activation && !q->signal_frame && !p->signal_frame &&
            !p->patched && !q->patched)
            n = cd_tailcall_append(u->s, &fr, &cap, n, (size_t)max_frames, &u->truncated, q->pc, q->regs, q->valid);
    }
    out->frames = fr;
    out->n = n;
    out->missing_reg = missing >= 0 ? dw_reg_name[missing] : NULL;
    out->truncated = u->truncated;
    if (u->stop_reason) {
        out->error = u->stop_reason;
        u->stop_reason = NULL;
    }
    return 0;
}

static void user_to_dwarf(const cd_regs *r, uint64_t d[CD_NDWREGS])
{
    d[0] = r->rax;
    d[1] = r->rdx;
    d[2] = r->rcx;
    d[3] = r->rbx;
    d[4] = r->rsi;
    d[5] = r->rdi;
    d[6] = r->rbp;
    d[7] = r->rsp;
    d[8] = r->r8;
    d[9] = r->r9;
    d[10] = r->r10;
    d[11] = r->r11;
    d[12] = r->r12;
    d[13] = r->r13;
    d[14] = r->r14;
    d[15] = r->r15;
    d[16] = r->rip;
}

int cd_unwind_thread(cd_unwinder *u, cd_thread *th, int max_frames, cd_stack *out, cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (th->gone)
        return cd_fail(err, CD_EXIT_CMD, "cannot unwind thread %d: it has exited; run `threads` to refresh the list", (int)th->tid);
    cd_regs r;
    if (th->regs_valid)
        r = th->regs;
    else if (u->t->ops->get_regs(u->t, th, &r, err) < 0)
        return -1;
    uint64_t d[CD_NDWREGS];
    user_to_dwarf(&r, d);
    /* A thread stopped on its way out of clone()/clone3() in the child (rax 0) has not run any
     * code yet: its stack is empty and the parent's CFI at that pc would read garbage. A fork
     * child (no CLONE_VM: glibc's fork is a clone) has a copy of its parent's stack: unwound. */
    const uint64_t clone_vm = 0x100;
    bool newborn = false;
    if (r.rax == 0 && r.orig_rax == SYS_clone) {
        newborn = (r.rdi & clone_vm) != 0;
    } else if (r.rax == 0 && r.orig_rax == SYS_clone3) {
        uint64_t flags; /* struct clone_args starts with them */
        newborn = cd_target_read_full(u->t, r.rdi, &flags, sizeof flags) < 0 || (flags & clone_vm);
    } else if (r.rax == 0 && (int64_t)r.orig_rax < 0 && pc_in_clone_stub(u, r.rip)) {
        /* Stopped a few instructions later, on the child's side of the stub before it calls the
         * thread's function (rax is still clone's 0 there; the parent's side has the child's TID):
         * [sp] is whatever the reused stack held, not a return address. */
        newborn = true;
    }
    return walk(u, th->tid, d, 0x1ffff, newborn, max_frames, out, err);
}

int cd_unwind_from_regs(cd_unwinder *u, pid_t tid, const uint64_t regs[CD_NDWREGS], uint32_t valid,
                        int max_frames, cd_stack *out, cd_err *err)
{
    return walk(u, tid, regs, valid & 0x1ffff, false, max_frames, out, err);
}

void cd_unwinder_flush(cd_unwinder *u)
{
    if (!u)
        return;
    cd_memcache_free(u->mc);
    u->mc = cd_memcache_new(u->t);
    u->mc_gen = u->t->stop_gen;
}

/* ---- where a caller's register was saved -------------------------------------------------- */


typedef struct slotctx {
    cd_symtab *s;
    cd_target *t;
    const cd_frame *frames;
    size_t nframes;
} slotctx;

static const cd_frame *frame_of_phys(const slotctx *c, int phys)
{
    for (size_t i = 0; i < c->nframes; i++)
        if (c->frames[i].phys == phys)
            return &c->frames[i];
    return NULL;
}

static Dwarf_Frame *cfi_row(cd_symtab *s, uint64_t lpc)
{
    Dwfl_Module *mod = dwfl_addrmodule(cd_symtab_dwfl(s), lpc);
    Dwarf_Frame *fr = NULL;
    for (int pass = 0; mod && pass < 2 && !fr; pass++) {
        Dwarf_Addr bias;
        Dwarf_CFI *cfi = pass == 0 ? dwfl_module_eh_cfi(mod, &bias) : dwfl_module_dwarf_cfi(mod, &bias);
        if (cfi && dwarf_cfi_addrframe(cfi, lpc - bias, &fr) != 0)
            fr = NULL;
    }
    return fr;
}

/* A CFI expression (the CFA rule, or a register's rule other than same/undefined/register) over
 * frame F's registers: the address it computes, or with *is_value its value. */
static bool cfi_eval(const slotctx *c, const cd_frame *f, bool have_cfa, uint64_t cfa, const Dwarf_Op *ops,
                     size_t n, uint64_t *res, bool *is_value)
{
    uint64_t st[16];
    size_t sp = 0;
    *is_value = false;
    for (size_t i = 0; i < n; i++) {
        unsigned a = ops[i].atom;
        int r = -1;
        if (sp >= 15)
            return false;
        if (a >= DW_OP_breg0 && a <= DW_OP_breg31)
            r = (int)(a - DW_OP_breg0);
        else if (a == DW_OP_bregx)
            r = (int)ops[i].number;
        if (r >= 0) {
            if (r >= CD_NDWREGS || !(f->regs_valid & (1u << r)))
                return false;
            st[sp++] = f->regs[r] + (uint64_t)(a == DW_OP_bregx ? ops[i].number2 : ops[i].number);
            continue;
        }
        if (a >= DW_OP_lit0 && a <= DW_OP_lit31) {
            st[sp++] = a - DW_OP_lit0;
            continue;
        }
        switch (a) {
        case DW_OP_call_frame_cfa:
            if (!have_cfa)
                return false;
            st[sp++] = cfa;
            break;
        case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
        case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
        case DW_OP_constu: case DW_OP_consts:
            st[sp++] = ops[i].number;
            break;
        case DW_OP_plus_uconst:
            if (sp < 1)
                return false;
            st[sp - 1] += ops[i].number;
            break;
        case DW_OP_plus:
        case DW_OP_minus:
            if (sp < 2)
                return false;
            sp--;
            st[sp - 1] = a == DW_OP_plus ? st[sp - 1] + st[sp] : st[sp - 1] - st[sp];
            break;
        case DW_OP_deref:
            if (sp < 1 || cd_target_read_full(c->t, st[sp - 1], &st[sp - 1], 8) != 0)
                return false;
            break;
        case DW_OP_stack_value:
            if (i + 1 != n)
                return false;
            *is_value = true;
            break;
        default:
            return false;
        }
    }
    if (sp != 1)
        return false;
    *res = st[0];
    return true;
}

static void slot_none(cd_regslot *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void slot_none(cd_regslot *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    out->kind = CD_REGSLOT_NONE;
    vsnprintf(out->why, sizeof out->why, fmt, ap);
    va_end(ap);
}

/* Register REGNO of physical frame PHYS is wherever its callee (PHYS-1) says the callee's caller's
 * REGNO is: unchanged (same value: wherever the callee's REGNO is), in another of the callee's
 * registers, or in memory at an address computed from the callee's registers and CFA. */
static void slot_of(const slotctx *c, int phys, int regno, cd_regslot *out, int depth)
{
    if (phys == 0) {
        out->kind = CD_REGSLOT_LIVE;
        return;
    }
    const cd_frame *callee = frame_of_phys(c, phys - 1);
    if (!callee || depth > 256) {
        slot_none(out, "the frames below it were not unwound");
        return;
    }
    const char *fn = callee->info.func ? callee->info.func : "??";
    Dwarf_Frame *fr = cfi_row(c->s, callee->lookup_pc);
    if (!fr) {
        slot_none(out, "frame #%d (%s) has no unwind information at its pc, so where it saved %s is unknown",
                  callee->level, fn, dw_reg_name[regno]);
        return;
    }
    Dwarf_Op mem[3], *ops = NULL;
    size_t nops = 0;
    if (dwarf_frame_register(fr, regno, mem, &ops, &nops) < 0) {
        free(fr);
        slot_none(out, "the unwind information of frame #%d (%s) cannot be read", callee->level, fn);
        return;
    }
    /* nops 0: "same value" (ops NULL) or "undefined" (ops == mem). elfutils' default x86-64 rules
     * make an unmentioned rbx undefined although the ABI keeps it (see rbx_unchanged_by). */
    /* Callee-saved registers (rbx rbp r12-r15) and rip; the others are call-clobbered: a
     * callee that did not save one may have changed it, whatever elfutils' default rule says. */
    bool abi_saved = regno == DW_RBX || regno == 6 || (regno >= 12 && regno <= 16);
    if (nops == 0 && (!ops || regno == DW_RBX) && abi_saved) {
        free(fr);
        slot_of(c, phys - 1, regno, out, depth + 1);
        return;
    }
    if (nops == 0) {
        free(fr);
        slot_none(out, "frame #%d (%s) did not save it (%s is call-clobbered there), so its value in the caller is lost",
                  callee->level, fn, dw_reg_name[regno]);
        return;
    }
    if (nops == 1 && (ops[0].atom == DW_OP_regx || (ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31))) {
        int r = ops[0].atom == DW_OP_regx ? (int)ops[0].number : ops[0].atom - DW_OP_reg0;
        free(fr);
        if (r < 0 || r >= CD_NDWREGS) {
            slot_none(out, "frame #%d (%s) keeps it in a register cdbg cannot write", callee->level, fn);
            return;
        }
        slot_of(c, phys - 1, r, out, depth + 1);
        return;
    }
    Dwarf_Op *cops = NULL;
    size_t ncops = 0;
    uint64_t cfa = callee->cfa, addr;
    bool have_cfa = callee->cfa != 0, is_value = false;
    if (dwarf_frame_cfa(fr, &cops, &ncops) == 0 && ncops > 0) {
        uint64_t v;
        bool isv;
        if (cfi_eval(c, callee, false, 0, cops, ncops, &v, &isv))
            cfa = v, have_cfa = true;
    }
    bool ok = cfi_eval(c, callee, have_cfa, cfa, ops, nops, &addr, &is_value);
    free(fr);
    if (!ok) {
        slot_none(out, "the rule frame #%d (%s) saved %s with is not one cdbg evaluates", callee->level, fn,
                  dw_reg_name[regno]);
        return;
    }
    if (is_value) {
        slot_none(out, "frame #%d (%s) recomputes it rather than storing it", callee->level, fn);
        return;
    }
    out->kind = CD_REGSLOT_MEM;
    out->addr = addr;
    out->saved_by = callee->level;
}

void cd_unwind_reg_slot(cd_symtab *s, cd_target *t, cd_thread *th, const cd_frame *frames, size_t nframes,
                        int phys, int regno, cd_regslot *out)
{
    memset(out, 0, sizeof *out);
    slotctx c = {s, t, frames, nframes};
    const cd_frame *f = frame_of_phys(&c, phys);
    if (regno < 0 || regno >= CD_NDWREGS || !f) {
        slot_none(out, "no such register or frame");
        return;
    }
    if (phys > 0 && regno == DW_RSP) {
        slot_none(out, "rsp of a caller frame is its callee's frame address, not a saved register");
        return;
    }
    slot_of(&c, phys, regno, out, 0);
    if (out->kind != CD_REGSLOT_NONE && !(f->regs_valid & (1u << regno)))
        slot_none(out, "the unwinder did not recover %s in frame #%d", dw_reg_name[regno], f->level);
    /* Whatever the rules said, the slot must hold what the unwinder found, or writing it would
     * change something else. */
    uint64_t now = 0;
    if (out->kind == CD_REGSLOT_MEM) {
        if (cd_target_read_full(t, out->addr, &now, sizeof now) != 0 || now != f->regs[regno])
            slot_none(out, "the slot at %#llx where %s was saved does not hold frame #%d's value",
                       (unsigned long long)out->addr, dw_reg_name[regno], f->level);
    } else if (out->kind == CD_REGSLOT_LIVE) {
        cd_regs r;
        cd_err e;
        uint64_t d[CD_NDWREGS];
        if (!th || (!th->regs_valid && t->ops->get_regs(t, th, &r, &e) != 0)) {
            slot_none(out, "the thread's registers cannot be read");
            return;
        }
        if (th->regs_valid)
            r = th->regs;
        user_to_dwarf(&r, d);
        if (d[regno] != f->regs[regno])
            slot_none(out, "the thread's %s no longer holds frame #%d's value", dw_reg_name[regno], f->level);
    }
}

/* ---- reading a thread without stopping it ------------------------------------------------- */

/* How often a thread that keeps moving while it is unwound is read again before it is stopped. */
#define UNSTOPPED_TRIES 3

uint32_t cd_syscall_regs(const cd_syscall_state *sc, uint64_t regs[CD_NDWREGS])
{
    memset(regs, 0, CD_NDWREGS * sizeof *regs);
    /* the syscall instruction preserves every register but rax, rcx and r11: the argument
     * registers still hold the arguments at the pc after it */
    static const int argreg[6] = {5, 4, 1, 10, 8, 9}; /* rdi rsi rdx r10 r8 r9 */
    uint32_t valid = 0;
    for (int i = 0; i < 6; i++) {
        regs[argreg[i]] = sc->args[i];
        valid |= 1u << argreg[i];
    }
    regs[DW_RSP] = sc->sp;
    regs[DW_RIP] = sc->pc;
    return valid | (1u << DW_RSP) | (1u << DW_RIP);
}

int cd_unwind_syscall(cd_unwinder *u, pid_t tid, const cd_syscall_state *sc, int max_frames, cd_stack *out,
                      cd_err *err)
{
    uint64_t regs[CD_NDWREGS];
    uint32_t valid = cd_syscall_regs(sc, regs);
    return walk(u, tid, regs, valid, false, max_frames, out, err);
}

static bool same_line(const cd_syscall_state *a, const cd_syscall_state *b)
{
    return a->kind == b->kind && a->nr == b->nr && a->sp == b->sp && a->pc == b->pc &&
           memcmp(a->args, b->args, sizeof a->args) == 0;
}

int cd_unwind_unstopped(cd_unwinder *u, cd_thread *th, int max_frames, cd_read_hook hook, void *hook_arg,
                        cd_stack *out, cd_read_info *info, cd_err *err)
{
    cd_target *t = u->t;
    memset(out, 0, sizeof *out);
    memset(info, 0, sizeof *info);
    if (th->held) {
        info->how = CD_READ_HELD;
        return cd_unwind_thread(u, th, max_frames, out, err);
    }
    cd_syscall_state sc, again;
    for (int attempt = 0; attempt < UNSTOPPED_TRIES; attempt++) {
        if (t->ops->syscall_state(t, th, &sc, err) < 0)
            return -1;
        info->sc = sc;
        if (sc.kind != CD_SC_BLOCKED || !sc.sp || !sc.pc)
            break; /* running, or asleep outside a system call (a page fault): stop it */
        /* its stack may have changed since the cache read it (a thread that moved, or one read
         * earlier on this stop whose pages it shares) */
        if (attempt > 0)
            cd_unwinder_flush(u);
        if (cd_unwind_syscall(u, th->tid, &sc, max_frames, out, err) < 0)
            return -1;
        if (hook)
            hook(th->tid, attempt, hook_arg);
        /* The stack was read while the thread slept only if it still sleeps in the same call:
         * woken, it may have rewritten the frames we read. */
        if (t->ops->syscall_state(t, th, &again, err) < 0) {
            cd_stack_free(out);
            return -1;
        }
        if (same_line(&sc, &again)) {
            info->how = CD_READ_BLOCKED;
            return 0;
        }
        info->sc = again;
        info->rereads++;
        cd_stack_free(out);
    }
    /* Running, or moving each time it was read: hold it alone for the time of one unwind. */
    cd_thread *one[1] = {th};
    if (cd_target_stop(t, one, 1, err) < 0)
        return -1;
    info->how = CD_READ_STOPPED;
    /* the pages read while it slept are not its stack any more if it moved since */
    if (info->rereads)
        cd_unwinder_flush(u);
    int rc = th->held ? cd_unwind_thread(u, th, max_frames, out, err) : -1;
    if (rc < 0 && !th->held && !th->gone)
        rc = cd_failk(err, CD_EXIT_CMD, CD_EK_OTHER,
                      "cannot read the stack of thread %d: it neither stopped nor sleeps in a system call",
                      (int)th->tid);
    else if (rc < 0 && th->gone)
        rc = cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "thread %d exited while its stack was read",
                      (int)th->tid);
    cd_err e2;
    if (th->held && cd_target_resume(t, one, 1, &e2) < 0 && rc == 0) {
        cd_stack_free(out);
        *err = e2;
        return -1;
    }
    return rc;
}
