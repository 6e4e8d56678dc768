/* fork and exec: the fork policy the run loop applies (gdb's follow-fork-mode and detach-on-fork),
 * the inferior a kept child becomes, and the breakpoints of a program that exec'd.
 *
 * A fork child starts as a copy of the parent, int3s included. A child let go gets the original
 * bytes back first (the target's release_child); a child kept gets the parent's user breakpoints as
 * its own (same numbers, specs, conditions) and loses the int3s of the parent's internal ones (a
 * `next` over fork() has its step-resume breakpoint in both memories), which nobody in the child
 * waits for. */
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"

void cd_ctl_set_fork_policy(cd_ctl *c, cd_forkpolicy p)
{
    c->fork = p;
    /* the events are asked for whatever the policy: a child let go is still reported to the user */
    if (c->t->caps.can_run)
        c->t->event_mask |= CD_EVM_FORK;
}

cd_forkpolicy cd_ctl_fork_policy(const cd_ctl *c) { return c->fork; }

void cd_inferior_close(cd_inferior *inf)
{
    if (!inf)
        return;
    cd_ctl_free(inf->ctl);
    if (inf->unw)
        cd_unwinder_free(inf->unw);
    if (inf->sym)
        cd_symtab_free(inf->sym);
    cd_target_close(inf->t);
    free(inf);
}

static char *dup_or_null(const char *s) { return s ? cd_xstrdup(s) : NULL; }

/* The user breakpoints of parent P, as the child's, whose memory holds the same int3s. */
static void copy_bps(cd_ctl *p, cd_ctl *c)
{
    cd_bp **bps;
    size_t n = cd_ctl_bps(p, &bps);
    c->bps = cd_xcalloc(n ? n : 1, sizeof *c->bps);
    for (size_t i = 0; i < n; i++) {
        const cd_bp *b = bps[i];
        /* watchpoints are the parent's threads' debug registers, which a fork does not copy */
        if (b->kind != CD_BPK_USER && b->kind != CD_BPK_TEMP)
            continue;
        cd_bp *d = cd_xcalloc(1, sizeof *d);
        *d = *b;
        d->spec = dup_or_null(b->spec);
        d->cond = dup_or_null(b->cond);
        d->cmds = b->ncmds ? cd_xcalloc(b->ncmds, sizeof *d->cmds) : NULL;
        for (size_t k = 0; k < b->ncmds; k++)
            d->cmds[k] = cd_xstrdup(b->cmds[k]);
        d->locs = cd_xcalloc(b->nlocs ? b->nlocs : 1, sizeof *d->locs);
        memcpy(d->locs, b->locs, b->nlocs * sizeof *d->locs);
        c->bps[c->nbps++] = d;
    }
    c->next_id = p->next_id;
    /* every int3 of the parent's is in the child's memory: the users' stay (put in again where the
     * fork came while one was stepped over), the rest come out */
    for (size_t i = 0; i < p->nbps; i++)
        for (size_t k = 0; k < p->bps[i]->nlocs; k++) {
            const cd_bploc *l = &p->bps[i]->locs[k];
            if (!l->inserted)
                continue;
            cd_err e;
            if (ctl_addr_inserted(c, l->addr, NULL))
                c->t->ops->insert_breakpoint(c->t, l->addr, &e);
            else
                c->t->ops->remove_breakpoint(c->t, l->addr, &e);
        }
}

/* Makes the held child CHILD of P's target an inferior. */
static cd_inferior *adopt(cd_ctl *p, pid_t child, cd_err *err)
{
    cd_target *t = p->t->ops->adopt_child(p->t, child, err);
    if (!t)
        return NULL;
    cd_inferior *inf = cd_xcalloc(1, sizeof *inf);
    inf->t = t;
    inf->sym = cd_symtab_new_dd(t, cd_symtab_debugdirs(p->sym), err); /* the parent's debug directories */
    if (inf->sym)
        inf->unw = cd_unwinder_new(t, inf->sym, err);
    if (!inf->unw) {
        cd_inferior_close(inf);
        return NULL;
    }
    inf->ctl = cd_ctl_new(t, inf->sym, inf->unw, p->vs);
    memcpy(inf->ctl->sig, p->sig, sizeof p->sig);
    cd_ctl_set_fork_policy(inf->ctl, p->fork);
    copy_bps(p, inf->ctl);
    return inf;
}

bool ctl_fork_event(cd_ctl *c, const cd_event *ev)
{
    if (ev->kind == CD_EV_VFORK_DONE)
        return false; /* the parent's memory is its own again: nothing of ours changed */
    cd_forked f = {.parent = c->t->pid, .child = ev->child, .vfork = ev->kind == CD_EV_VFORK, .fate = CD_FORK_DETACHED};
    cd_err e;
    if (c->fork.follow_child || !c->fork.detach) {
        f.inf = adopt(c, ev->child, &e);
        if (f.inf)
            f.fate = c->fork.follow_child ? CD_FORK_FOLLOW : CD_FORK_KEPT;
    }
    /* not kept (or it could not be): let go, as with the default policy */
    if (!f.inf && c->t->ops->release_child(c->t, ev->child, &e) < 0)
        return false; /* not ours any more (killed before its first stop) */
    c->forks = cd_xrealloc(c->forks, (c->nforks + 1) * sizeof *c->forks);
    c->forks[c->nforks++] = f;
    return f.fate == CD_FORK_FOLLOW;
}

size_t cd_ctl_take_forks(cd_ctl *c, cd_forked **out)
{
    size_t n = c->nforks;
    *out = c->forks;
    c->forks = NULL;
    c->nforks = 0;
    return n;
}

void ctl_forks_free(cd_ctl *c)
{
    for (size_t i = 0; i < c->nforks; i++)
        cd_inferior_close(c->forks[i].inf);
    free(c->forks);
    c->forks = NULL;
    c->nforks = 0;
}

void ctl_exec_event(cd_ctl *c)
{
    for (size_t i = 0; i < c->nbps; i++)
        for (size_t k = 0; k < c->bps[i]->nlocs; k++)
            c->bps[i]->locs[k].inserted = false;
    ctl_watch_exec(c);
}

int cd_ctl_rebind(cd_ctl *c, cd_symtab *sym, cd_unwinder *unw)
{
    c->sym = sym;
    c->unw = unw;
    cd_vstate_use_symtab(c->vs, sym);
    ctl_solib_forget(c); /* the old image's rendezvous (solib.c) */
    /* a spec names a place in a program: look for it in the new one */
    cd_scope sc = {.target = c->t, .sym = sym, .vs = c->vs};
    int pending = 0;
    cd_bp **bps;
    size_t n = cd_ctl_bps(c, &bps);
    for (size_t i = 0; i < n; i++) {
        cd_bp *b = bps[i];
        if (b->watch || (b->kind != CD_BPK_USER && b->kind != CD_BPK_TEMP))
            continue; /* watchpoints: watch.c's, below; internal ones belong to the old image */
        free(b->locs);
        b->locs = NULL;
        b->nlocs = 0;
        cd_resolved r;
        cd_err e;
        if (cd_ctl_resolve(c, &sc, "break", b->spec, &r, &e) < 0 || r.n == 0) {
            b->pending = true;
            pending++;
            continue;
        }
        b->pending = false;
        b->locs = cd_xcalloc(r.n, sizeof *b->locs);
        b->nlocs = r.n;
        for (size_t k = 0; k < r.n; k++) {
            b->locs[k].addr = r.addrs[k];
            if (!b->enabled)
                continue;
            if (ctl_addr_inserted(c, r.addrs[k], NULL) || c->t->ops->insert_breakpoint(c->t, r.addrs[k], &e) == 0)
                b->locs[k].inserted = true;
        }
        ctl_locs_sort(b);
        cd_resolved_free(&r);
    }
    ctl_watch_rebind(c, &sc);
    if (pending) {
        /* the new image's dynamic linker loads its libraries next: follow it (solib.c) */
        cd_err e;
        ctl_solib_arm(c, &e);
    }
    return pending;
}
