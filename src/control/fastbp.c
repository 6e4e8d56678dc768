/* Fast breakpoints: a breakpoint with an ignore count lets the program pass its ignored hits
 * without a ptrace stop. While the program runs its int3 is a jmp to a stub that counts the hit
 * and stops (an int3 the backend reports as the breakpoint's hit) only when the ignore count is
 * spent (src/target/codepatch.h). At every stop the int3 is back and the hits the stub passed over
 * are added to the breakpoint's books, so everything that looks at a stopped program (stepping,
 * `info breakpoints`, disassembly, detach) sees an ordinary breakpoint.
 *
 * Only what the stub decides exactly as ctl_user_hit() would is armed: a user breakpoint, enabled,
 * with one location that no other breakpoint shares, an ignore count and no condition, hit-count
 * condition or trace. Everything else, and every address the patch cannot be put at (a branch into
 * the covered bytes, an instruction that cannot be moved), stays on the ptrace path.
 * CDBG_FASTBP=0 in the environment keeps every breakpoint there (for comparisons). */
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"
#include "target/codepatch.h"

static bool qualifies(cd_ctl *c, cd_bp *b)
{
    if (b->kind != CD_BPK_USER || !b->enabled || b->pending || b->trace || b->watch || b->cond || b->hit_op[0] ||
        b->ignore == 0 || b->ignore > (unsigned long)INT64_MAX / 2 || b->nlocs != 1 || !b->locs[0].inserted)
        return false;
    uint64_t a = b->locs[0].addr;
    return ctl_bp_at(c, a, NULL) == b && ctl_bp_at(c, a, b) == NULL;
}

static struct ctl_fastbp *entry(cd_ctl *c, cd_bp *b)
{
    for (size_t i = 0; i < c->nfast; i++)
        if (c->fast[i].bp_id == b->id && c->fast[i].addr == b->locs[0].addr)
            return &c->fast[i];
    return NULL;
}

void ctl_fast_arm(cd_ctl *c)
{
    const char *env = getenv("CDBG_FASTBP");
    if ((env && !strcmp(env, "0")) || !c->t->caps.can_run || !cd_target_cpatch(c->t))
        return;
    for (size_t i = 0; i < c->nbps; i++)
        if (c->bps[i]->watch)
            return; /* a watchpoint's trap in a stub's copy of an instruction would show the stub's pc */
    for (size_t i = 0; i < c->nbps; i++) {
        cd_bp *b = c->bps[i];
        if (!qualifies(c, b))
            continue;
        struct ctl_fastbp *e = entry(c, b);
        bool fresh = !e;
        if (fresh) {
            if (c->nfast == CTL_FAST_MAX)
                continue;
            e = &c->fast[c->nfast++];
            memset(e, 0, sizeof *e);
            e->bp_id = b->id;
            e->addr = b->locs[0].addr;
        }
        uint64_t lo = 0, hi = 0;
        const char *name = NULL;
        cd_err err;
        if (!cd_symtab_func_bounds(c->sym, e->addr, &name, &lo, &hi) ||
            cd_fastbp_arm(c->t, e->addr, lo, hi, (int64_t)b->ignore, &err) < 0) {
            if (fresh)
                c->nfast--; /* stays an int3 */
            continue;
        }
        int64_t ig;
        if (!cd_fastbp_counts(c->t, e->addr, &e->hits, &ig)) {
            cd_fastbp_disarm(c->t, e->addr, &err);
            continue;
        }
        e->ignore = ig;
        e->armed = true;
    }
}

void ctl_fast_disarm(cd_ctl *c)
{
    for (size_t i = 0; i < c->nfast;) {
        struct ctl_fastbp *e = &c->fast[i];
        cd_err err;
        if (e->armed)
            cd_fastbp_disarm(c->t, e->addr, &err);
        e->armed = false;
        cd_bp *b = cd_ctl_bp_find(c, e->bp_id);
        uint64_t h;
        int64_t ig;
        if (!b || b->nlocs != 1 || b->locs[0].addr != e->addr || !cd_fastbp_counts(c->t, e->addr, &h, &ig)) {
            /* the breakpoint or the process is gone: a thread still in the stub is the backend's */
            c->fast[i] = c->fast[--c->nfast];
            continue;
        }
        /* the stub's hits since the last look; a thread that was inside the stub when it was
         * disarmed may still move them on later, so this runs at every stop */
        b->hits += h - e->hits;
        int64_t left = (int64_t)b->ignore - (e->ignore - ig);
        b->ignore = left > 0 ? (unsigned long)left : 0;
        e->hits = h;
        e->ignore = ig;
        i++;
    }
}
