/* The wait-for graph: strongly connected components and "blocked forever" propagation. */
#include "deadlock/deadlock.h"

#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

/* Iterative Tarjan, so a long chain of waiters cannot overflow the C stack. */
size_t cd_dl_scc(size_t n, const size_t *off, const size_t *adj, size_t *comp)
{
    size_t *index = cd_xmalloc((n ? n : 1) * sizeof *index);
    size_t *low = cd_xmalloc((n ? n : 1) * sizeof *low);
    size_t *stack = cd_xmalloc((n ? n : 1) * sizeof *stack);
    size_t *call = cd_xmalloc((n ? n : 1) * sizeof *call);  /* DFS path: node */
    size_t *edge = cd_xmalloc((n ? n : 1) * sizeof *edge);  /* DFS path: next edge to look at */
    bool *on = cd_xcalloc(n ? n : 1, sizeof *on);
    size_t next_index = 0, sp = 0, ncomp = 0;

    for (size_t i = 0; i < n; i++) {
        index[i] = NONE;
        comp[i] = NONE;
    }
    for (size_t root = 0; root < n; root++) {
        if (index[root] != NONE)
            continue;
        size_t depth = 0;
        call[depth] = root;
        edge[depth] = off[root];
        index[root] = low[root] = next_index++;
        stack[sp++] = root;
        on[root] = true;
        while (depth != NONE) {
            size_t v = call[depth];
            if (edge[depth] < off[v + 1]) {
                size_t w = adj[edge[depth]++];
                if (index[w] == NONE) {
                    depth++;
                    call[depth] = w;
                    edge[depth] = off[w];
                    index[w] = low[w] = next_index++;
                    stack[sp++] = w;
                    on[w] = true;
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                size_t w;
                do {
                    w = stack[--sp];
                    on[w] = false;
                    comp[w] = ncomp;
                } while (w != v);
                ncomp++;
            }
            if (depth == 0) {
                depth = NONE;
            } else {
                depth--;
                size_t parent = call[depth];
                if (low[v] < low[parent])
                    low[parent] = low[v];
            }
        }
    }
    free(index);
    free(low);
    free(stack);
    free(call);
    free(edge);
    free(on);
    return ncomp;
}

static void add_finding(cd_dl_result *r, cd_dl_finding_kind k, size_t i)
{
    r->findings = cd_xrealloc(r->findings, (r->nfindings + 1) * sizeof *r->findings);
    r->findings[r->nfindings++] = (cd_dl_finding){k, i};
}

/* Waits that end only when another thread acts: a condition variable is signalled, a semaphore
 * posted, by any thread of the process. */
static bool anyone_wakes(const cd_dl_wait *w)
{
    if (w->kind == CD_DL_PIPE || w->kind == CD_DL_EVENTFD || w->kind == CD_DL_SOCKET) /* only this process's threads can write */
        return w->fd_nwriters > 0 && !w->fd_other_pid && !w->fd_sockets && !w->fd_mixed && !w->fd_why[0];
    return w->kind == CD_DL_CONDVAR || w->kind == CD_DL_SEM;
}

/* The set S of threads none of which can ever run again: start from every untimed wait whose
 * waker is known and remove, until nothing changes, each one a thread outside S could wake (a lock
 * or join whose owner is outside S; a condvar or semaphore while any thread at all is outside S).
 * What is left is the largest set closed under "only a member could wake a member": proven. A
 * timed wait, a thread running or in any other system call, an unknown futex, a process-shared
 * object, a lock held by unnamed readers: all outside. forever[] (lock verdicts) is extended. */
static void beyond_locks(cd_dl_result *r, int *forever)
{
    size_t n = r->nwaits, ns = 0;
    bool *in = cd_xcalloc(n ? n : 1, sizeof *in);

    if (r->nlive == 0) { /* the possible wakers are not known: nothing beyond the lock verdicts */
        free(in);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const cd_dl_wait *w = &r->waits[i];
        if (forever[i] && !w->timed)
            in[i] = true; /* cycles, self-deadlocks, orphans, PI dead ends and their chains */
        else if (w->timed || w->pshared || w->owner_foreign)
            in[i] = false;
        else if (anyone_wakes(w))
            in[i] = true;
        else if (w->kind == CD_DL_MUTEX || w->kind == CD_DL_RWLOCK || w->kind == CD_DL_THREAD)
            in[i] = w->next >= 0;
        ns += in[i];
    }
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            if (!in[i])
                continue;
            const cd_dl_wait *w = &r->waits[i];
            bool out = anyone_wakes(w)                     ? ns < r->nlive
                       : (w->cycle < 0 && forever[i] == 1) ? false /* self, orphan, PI dead end */
                                                           : w->next < 0 || !in[w->next];
            if (out) {
                in[i] = false;
                ns--;
                changed = true;
            }
        }
    }
    r->all_asleep = ns == r->nlive;
    for (size_t i = 0; i < n; i++) {
        if (!in[i] || forever[i])
            continue;
        const cd_dl_wait *w = &r->waits[i];
        add_finding(r, w->kind == CD_DL_CONDVAR ? CD_DLF_CONDVAR : w->kind == CD_DL_SEM ? CD_DLF_SEM
                       : anyone_wakes(w)        ? CD_DLF_FD : CD_DLF_BLOCKED, i);
        r->waits[i].forever = true;
    }
    free(in);
}

void cd_dl_verdict(cd_dl_result *r)
{
    r->all_asleep = false;
    size_t n = r->nwaits;
    size_t *off = cd_xcalloc(n + 1, sizeof *off);
    size_t *adj = cd_xmalloc((n ? n : 1) * sizeof *adj);
    size_t *comp = cd_xmalloc((n ? n : 1) * sizeof *comp);
    size_t nadj = 0;
    for (size_t i = 0; i < n; i++) {
        off[i] = nadj;
        int nx = r->waits[i].next;
        if (nx >= 0 && (size_t)nx != i)
            adj[nadj++] = (size_t)nx;
        r->waits[i].cycle = -1;
    }
    off[n] = nadj;
    size_t ncomp = cd_dl_scc(n, off, adj, comp);

    size_t *size = cd_xcalloc(ncomp ? ncomp : 1, sizeof *size);
    for (size_t i = 0; i < n; i++)
        size[comp[i]]++;
    /* Cycles in thread order of their first member; each listed in wait-for order from there. */
    for (size_t i = 0; i < n; i++) {
        if (size[comp[i]] < 2 || r->waits[i].cycle >= 0)
            continue;
        cd_dl_cycle c = {cd_xmalloc(size[comp[i]] * sizeof(size_t)), 0};
        int cid = (int)r->ncycles;
        size_t v = i;
        /* Each thread waits for one object, so following next[] walks the whole component.
         * The bound guards against a malformed graph. */
        while (c.n < size[comp[i]] && r->waits[v].cycle < 0 && comp[v] == comp[i]) {
            r->waits[v].cycle = cid;
            c.waits[c.n++] = v;
            if (r->waits[v].next < 0)
                break;
            v = (size_t)r->waits[v].next;
        }
        /* Members not reached along next[] (only possible with several edges per node). */
        for (size_t j = 0; j < n && c.n < size[comp[i]]; j++)
            if (comp[j] == comp[i] && r->waits[j].cycle < 0) {
                r->waits[j].cycle = cid;
                c.waits[c.n++] = j;
            }
        r->cycles = cd_xrealloc(r->cycles, (r->ncycles + 1) * sizeof *r->cycles);
        r->cycles[r->ncycles++] = c;
    }

    /* forever: 1 = blocked forever by itself (cycle, self, orphan, PI dead end), 2 = through
     * others, 0 = not (yet) known to be. */
    int *forever = cd_xcalloc(n ? n : 1, sizeof *forever);
    for (size_t i = 0; i < n; i++) {
        const cd_dl_wait *w = &r->waits[i];
        if (w->cycle >= 0) {
            forever[i] = 1;
        } else if (w->next >= 0 && (size_t)w->next == i) {
            forever[i] = 1;
            add_finding(r, CD_DLF_SELF, i);
        } else if (w->owner_gone && (w->kind == CD_DL_MUTEX || w->kind == CD_DL_RWLOCK)) {
            forever[i] = 1;
            add_finding(r, CD_DLF_ORPHAN, i);
        } else if (w->pi_deadend) {
            forever[i] = 1;
            add_finding(r, CD_DLF_PI, i);
        }
    }
    /* Chains are acyclic outside the cycles found above, so n rounds reach a fixpoint. */
    for (bool changed = true; changed;) {
        changed = false;
        for (size_t i = 0; i < n; i++) {
            int nx = r->waits[i].next;
            if (!forever[i] && nx >= 0 && forever[nx]) {
                forever[i] = 2;
                changed = true;
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (forever[i] == 2)
            add_finding(r, CD_DLF_BLOCKED, i);
    for (size_t i = 0; i < n; i++)
        r->waits[i].forever = forever[i] != 0;
    beyond_locks(r, forever);

    free(forever);
    free(size);
    free(off);
    free(adj);
    free(comp);
}

bool cd_dl_found(const cd_dl_result *r)
{
    return r->ncycles > 0 || r->nfindings > 0;
}
