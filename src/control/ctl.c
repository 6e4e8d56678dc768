/* The cd_ctl object, stops and the signal policy table (gdb's defaults: signals.c). */
#include <stdlib.h>
#include <string.h>

#include "control/control_int.h"

static void default_policy(cd_ctl *c)
{
    for (int s = 0; s < CD_NSIG; s++)
        c->sig[s] = cd_sig_default_policy(s);
}

cd_ctl *cd_ctl_new(cd_target *t, cd_symtab *sym, cd_unwinder *unw, cd_vstate *vs)
{
    cd_ctl *c = cd_xcalloc(1, sizeof *c);
    c->t = t;
    c->sym = sym;
    c->unw = unw;
    c->vs = vs;
    default_policy(c);
    return c;
}

void cd_ctl_free(cd_ctl *c)
{
    if (!c)
        return;
    ctl_forks_free(c);
    for (size_t i = 0; i < c->nbps; i++) {
        cd_bp *b = c->bps[i];
        free(b->spec);
        free(b->cond);
        for (size_t k = 0; k < b->ncmds; k++)
            free(b->cmds[k]);
        free(b->cmds);
        for (size_t k = 0; k < b->ntexprs; k++)
            free(b->texprs[k]);
        free(b->texprs);
        free(b->locs);
        ctl_watch_free(b->watch);
        free(b);
    }
    free(c->bps);
    free(c->exits);
    free(c->cond_cache.src);
    cd_arena_free(&c->cond_cache.ar);
    if (c->x86)
        cd_x86_free(c->x86);
    free(c);
}

cd_target *cd_ctl_target(cd_ctl *c) { return c->t; }
cd_symtab *cd_ctl_symtab(cd_ctl *c) { return c->sym; }

cd_sigpolicy cd_ctl_sigpolicy(const cd_ctl *c, int sig)
{
    if (sig <= 0 || sig >= CD_NSIG)
        return (cd_sigpolicy){.stop = true, .print = true, .pass = true};
    return c->sig[sig];
}

void cd_ctl_set_sigpolicy(cd_ctl *c, int sig, cd_sigpolicy p)
{
    if (sig > 0 && sig < CD_NSIG)
        c->sig[sig] = p;
}

void cd_stop_free(cd_stop *s)
{
    free(s->cond_error);
    for (size_t k = 0; k < s->nbp_cmds; k++)
        free(s->bp_cmds[k]);
    free(s->bp_cmds);
    free(s->notes);
    free(s->bpnotes);
    free(s->func);
    free(s->value_error);
    ctl_watchhits_free(s);
    if (s->ar) {
        cd_arena_free(s->ar);
        free(s->ar);
    }
    memset(s, 0, sizeof *s);
}

void cd_ctl_set_trace_fn(cd_ctl *c, void (*fn)(void *arg, cd_bp *b, cd_thread *th), void *arg)
{
    c->trace_fn = fn;
    c->trace_arg = arg;
}
