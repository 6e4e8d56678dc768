/* Text and JSON reports of a deadlock analysis. */
#include "deadlock/deadlock.h"
#include "output/output.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void thread_ref(cd_buf *b, pid_t tid, pid_t ns, const char *name)
{
    /* in a container, also the number the process itself sees (its logs, its lock owners) */
    if (ns > 0 && ns != tid)
        cd_buf_printf(b, "thread %d (%d in its PID namespace)%s%s%s", (int)tid, (int)ns, name && *name ? " \"" : "",
                      name && *name ? name : "", name && *name ? "\"" : "");
    else if (name && *name)
        cd_buf_printf(b, "thread %d \"%s\"", (int)tid, name);
    else
        cd_buf_printf(b, "thread %d", (int)tid);
}

/* "mutex lock_b (0x...), held by thread 12 "w"" */
static void describe_wait(cd_buf *b, const cd_dl_wait *w)
{
    if (w->kind == CD_DL_THREAD) {
        cd_buf_puts(b, "the exit of ");
        thread_ref(b, w->owner, w->owner_ns_tid, w->owner_name);
        cd_buf_puts(b, " (pthread_join)");
        if (w->next >= 0 && w->owner == w->tid)
            cd_buf_puts(b, ", which is itself");
        return;
    }
    if (w->kind == CD_DL_PIPE || w->kind == CD_DL_EVENTFD || w->kind == CD_DL_SOCKET) {
        const char *call = w->fd_call ? w->fd_call : "read";
        bool sk = w->kind == CD_DL_SOCKET;
        if (w->kind == CD_DL_PIPE)
            cd_buf_printf(b, "pipe:[%" PRIu64 "] (%s on fd %d", w->addr, call, w->fd);
        else if (sk)
            cd_buf_printf(b, "%s:[%" PRIu64 "] (%s on fd %d", w->sock_pair ? "socketpair" : "socket", w->addr, call, w->fd);
        else
            cd_buf_printf(b, "eventfd (%s on fd %d, eventfd-id %" PRIx64, call, w->fd, w->addr);
        if (w->fd_count > 1)
            cd_buf_printf(b, " and %zu other fd%s", w->fd_count - 1, w->fd_count == 2 ? "" : "s");
        cd_buf_puts(b, "; ");
        if (sk && w->fd_why[0] && !w->fd_nwriters && !w->fd_other_pid) {
            if (w->sock_peer)
                cd_buf_printf(b, "its other end socket:[%" PRIu64 "]; ", w->sock_peer);
            cd_buf_printf(b, "not proven: %s)", w->fd_why);
            return;
        }
        if (sk && w->sock_peer)
            cd_buf_printf(b, "its other end socket:[%" PRIu64 "] ", w->sock_peer);
        if (w->fd_nwriters) {
            cd_buf_puts(b, sk ? "in this process: fd" : "writable ends in this process: fd");
            for (size_t k = 0; k < w->fd_nwriters && k < sizeof w->fd_writers / sizeof w->fd_writers[0]; k++)
                cd_buf_printf(b, "%s %d", k ? "," : "", w->fd_writers[k]);
            if (w->fd_nwriters > sizeof w->fd_writers / sizeof w->fd_writers[0])
                cd_buf_puts(b, ", ...");
        } else {
            cd_buf_puts(b, sk ? "not in this process" : "no writable end in this process");
        }
        if (w->fd_other_pid)
            cd_buf_printf(b, sk ? "; also held by process %d" : "; also writable in process %d", (int)w->fd_other_pid);
        if (w->fd_why[0])
            cd_buf_printf(b, "; not proven: %s", w->fd_why);
        if (w->fd_sockets)
            cd_buf_puts(b, "; the process holds sockets: an end may be in flight");
        if (w->fd_mixed)
            cd_buf_puts(b, "; it also waits on fds that are not pipes or eventfds only this process writes");
        cd_buf_puts(b, ")");
        return;
    }
    if (w->kind == CD_DL_FD) {
        if (w->fd >= 0)
            cd_buf_printf(b, "%s on fd %d", w->fd_call ? w->fd_call : "read", w->fd);
        else
            cd_buf_printf(b, "%s", w->fd_call ? w->fd_call : "read");
        cd_buf_printf(b, " (%s)", w->live_fd ? "not only pipes, eventfds or unix socketpairs" : "a core does not record what its fds are");
        return;
    }
    if (w->kind == CD_DL_FUTEX) {
        /* What is known, and no more: the word, its name, its value. */
        cd_buf_printf(b, "futex 0x%" PRIx64, w->futex);
        if (w->symbol)
            cd_buf_printf(b, " (%s)", w->symbol);
        cd_buf_printf(b, ", not a lock cdbg recognises (value %" PRIu32 ")", w->word);
        return;
    }
    if (w->pi_deadend && w->owner <= 0) {
        cd_buf_puts(b, "a priority-inheritance mutex that the kernel refused with EDEADLK (it closes a lock cycle; "
                       "which mutex is not recorded where cdbg can read it)");
        return;
    }
    const char *kind = cd_dl_kind_name(w->kind);
    if (w->symbol)
        cd_buf_printf(b, "%s %s (0x%" PRIx64 ")", kind, w->symbol, w->addr);
    else
        cd_buf_printf(b, "%s at 0x%" PRIx64, kind, w->addr);
    if (w->kind == CD_DL_CONDVAR) {
        if (w->cv_mutex && w->cv_mutex_symbol)
            cd_buf_printf(b, ", having released mutex %s (0x%" PRIx64 ")", w->cv_mutex_symbol, w->cv_mutex);
        else if (w->cv_mutex)
            cd_buf_printf(b, ", having released the mutex at 0x%" PRIx64, w->cv_mutex);
        return;
    }
    if (w->kind == CD_DL_SEM) {
        cd_buf_printf(b, ", value %" PRIu32 ", %" PRIu32 " waiter%s", w->sem_value, w->sem_waiters,
                      w->sem_waiters == 1 ? "" : "s");
        return;
    }
    if (w->owner > 0 && w->owner == w->tid) {
        cd_buf_puts(b, ", which it already holds");
    } else if (w->owner > 0 && w->owner_foreign) {
        cd_buf_printf(b, ", held by thread %d, not a thread of this process (the lock is process-shared)",
                      (int)w->owner);
    } else if (w->owner > 0) {
        cd_buf_puts(b, ", held by ");
        thread_ref(b, w->owner, w->owner_ns_tid, w->owner_name);
        if (w->kind == CD_DL_RWLOCK)
            cd_buf_puts(b, " (writer)");
        if (w->owner_gone)
            cd_buf_puts(b, ", which has exited");
    } else if (w->by_readers) {
        cd_buf_printf(b, ", held by readers (%u; glibc does not record which threads)", w->nreaders);
    } else if (w->kind == CD_DL_MUTEX || w->kind == CD_DL_RWLOCK) {
        cd_buf_puts(b, ", owner unknown");
    }
    if (w->pi_deadend)
        cd_buf_puts(b, " [the kernel refused this priority-inheritance lock with EDEADLK]");
    if (w->timed && w->timeout_known)
        cd_buf_printf(b, " [a timed wait: it gives up in %.1f s]", w->timeout_s);
    else if (w->timed)
        cd_buf_puts(b, " [a timed wait]");
}

/* A cycle one of whose waits has a timeout ends when it fires (the lock order is still wrong). */
static bool cycle_timed(const cd_dl_result *r, size_t c)
{
    for (size_t k = 0; k < r->cycles[c].n; k++)
        if (r->waits[r->cycles[c].waits[k]].timed)
            return true;
    return false;
}

static void wait_block(cd_buf *b, const cd_dl_wait *w, const char *indent)
{
    cd_buf_puts(b, indent);
    thread_ref(b, w->tid, w->ns_tid, w->name);
    cd_buf_puts(b, " waits for ");
    describe_wait(b, w);
    cd_buf_puts(b, "\n");
    if (w->frame)
        cd_buf_printf(b, "%s    in %s\n", indent, w->frame);
}

/* "it holds mutex config_mu (0x...), which thread 13 "producer" waits for": the locks a waiter keeps
 * across its wait, known from the threads that want them. */
static void held_lines(cd_buf *b, const cd_dl_result *r, const cd_dl_wait *w)
{
    for (size_t j = 0; j < r->nwaits; j++) {
        const cd_dl_wait *o = &r->waits[j];
        if (o == w || o->owner != w->tid || (o->kind != CD_DL_MUTEX && o->kind != CD_DL_RWLOCK))
            continue;
        cd_buf_printf(b, "    it holds %s ", cd_dl_kind_name(o->kind));
        if (o->symbol)
            cd_buf_printf(b, "%s (0x%" PRIx64 ")", o->symbol, o->addr);
        else
            cd_buf_printf(b, "at 0x%" PRIx64, o->addr);
        cd_buf_puts(b, ", which ");
        thread_ref(b, o->tid, o->ns_tid, o->name);
        cd_buf_puts(b, " waits for\n");
    }
}

static const char *finding_title(cd_dl_finding_kind k)
{
    switch (k) {
    case CD_DLF_SELF: return "self-deadlock";
    case CD_DLF_ORPHAN: return "orphaned lock";
    case CD_DLF_BLOCKED: return "blocked on the deadlock";
    case CD_DLF_PI: return "priority-inheritance deadlock (reported by the kernel)";
    case CD_DLF_CONDVAR: return "condition variable no thread can signal";
    case CD_DLF_SEM: return "semaphore no thread can post";
    case CD_DLF_FD: return "read no thread can ever satisfy";
    }
    return "?";
}

void cd_dl_format_text(const cd_dl_result *r, cd_buf *b)
{
    size_t nlock = 0;
    for (size_t i = 0; i < r->nwaits; i++)
        nlock += r->waits[i].kind == CD_DL_MUTEX || r->waits[i].kind == CD_DL_RWLOCK || r->waits[i].kind == CD_DL_THREAD;
    if (!cd_dl_found(r)) {
        cd_buf_printf(b, "no deadlock in process %d: %zu thread%s, %zu waiting for a lock or a thread, none blocked forever\n",
                      (int)r->pid, r->nthreads, r->nthreads == 1 ? "" : "s", nlock);
        if (r->note)
            cd_buf_printf(b, "note: %s\n", r->note);
        for (size_t i = 0; i < r->nwarnings; i++)
            cd_buf_printf(b, "warning: %s\n", r->warnings[i]);
        return;
    }
    size_t nforever = r->nfindings, nuntil = 0;
    for (size_t c = 0; c < r->ncycles; c++)
        *(cycle_timed(r, c) ? &nuntil : &nforever) += r->cycles[c].n;
    cd_buf_printf(b, "DEADLOCK in process %d: ", (int)r->pid);
    if (r->ncycles)
        cd_buf_printf(b, "%zu cycle%s, ", r->ncycles, r->ncycles == 1 ? "" : "s");
    if (nforever || !nuntil)
        cd_buf_printf(b, "%zu thread%s blocked forever%s", nforever, nforever == 1 ? "" : "s", nuntil ? ", " : "");
    if (nuntil)
        cd_buf_printf(b, "%zu blocked until a timed wait gives up", nuntil);
    cd_buf_printf(b, " (of %zu)\n", r->nthreads);
    if (r->all_asleep)
        cd_buf_printf(b, "all threads are asleep - deadlock! (no thread of process %d can ever run again)\n", (int)r->pid);
    for (size_t c = 0; c < r->ncycles; c++) {
        cd_buf_printf(b, "\ncycle %zu: %zu threads wait for each other%s\n", c + 1, r->cycles[c].n,
                      cycle_timed(r, c) ? " until a timed wait in it gives up (the lock order is still a deadlock)" : "");
        for (size_t k = 0; k < r->cycles[c].n; k++)
            wait_block(b, &r->waits[r->cycles[c].waits[k]], "  ");
    }
    for (size_t f = 0; f < r->nfindings; f++) {
        const cd_dl_wait *w = &r->waits[r->findings[f].wait];
        cd_buf_printf(b, "\n%s:\n", finding_title(r->findings[f].kind));
        wait_block(b, w, "  ");
        cd_dl_finding_kind fk = r->findings[f].kind;
        if (fk == CD_DLF_BLOCKED) {
            /* say what it ends at: the first thread of the chain that is blocked by itself */
            const cd_dl_wait *e = w;
            for (int guard = 0; e->next >= 0 && guard < (int)r->nwaits; guard++) {
                e = &r->waits[e->next];
                if (e->cycle >= 0) {
                    cd_buf_printf(b, "    (which leads to cycle %d)\n", e->cycle + 1);
                    break;
                }
            }
            if (e != w && (e->kind == CD_DL_CONDVAR || e->kind == CD_DL_SEM)) {
                cd_buf_puts(b, "    (which leads to ");
                thread_ref(b, e->tid, e->ns_tid, e->name);
                cd_buf_printf(b, ", waiting forever on %s %s)\n", cd_dl_kind_name(e->kind), e->symbol ? e->symbol : "(unnamed)");
            } else if (e != w && e->kind == CD_DL_PIPE) {
                cd_buf_puts(b, "    (which leads to ");
                thread_ref(b, e->tid, e->ns_tid, e->name);
                cd_buf_printf(b, ", reading pipe:[%" PRIu64 "] forever)\n", e->addr);
            } else if (e != w && e->kind == CD_DL_SOCKET) {
                cd_buf_puts(b, "    (which leads to ");
                thread_ref(b, e->tid, e->ns_tid, e->name);
                cd_buf_printf(b, ", reading socketpair:[%" PRIu64 "] forever)\n", e->addr);
            } else if (e != w && e->kind == CD_DL_EVENTFD) {
                cd_buf_puts(b, "    (which leads to ");
                thread_ref(b, e->tid, e->ns_tid, e->name);
                cd_buf_puts(b, ", reading an eventfd forever)\n");
            }
        } else if (fk == CD_DLF_FD) {
            held_lines(b, r, w);
            if (w->kind == CD_DL_SOCKET)
                cd_buf_printf(b, "    no thread can ever write to the socketpair: only this process holds its other end "
                                 "socket:[%" PRIu64 "], and every other thread of the process is blocked forever\n", w->sock_peer);
            else
                cd_buf_printf(b, "    no thread can ever write %s: only this process holds its writable end%s, and every other "
                                 "thread of the process is blocked forever\n",
                              w->kind == CD_DL_PIPE ? "the pipe" : "the eventfd", w->fd_nwriters == 1 ? "" : "s");
        } else if (fk == CD_DLF_CONDVAR || fk == CD_DLF_SEM) {
            held_lines(b, r, w);
            cd_buf_printf(b, "    no thread can ever %s %s: every other thread of the process is blocked forever\n",
                          fk == CD_DLF_SEM ? "post" : "signal", w->symbol ? w->symbol : "it");
        }
    }
    if (r->live && r->nstopped)
        cd_buf_printf(b, "\nstopped %zu thread%s for %.2f ms to read their stacks; every other thread ran on\n",
                      r->nstopped, r->nstopped == 1 ? "" : "s", r->stopped_ms);
    else if (r->live)
        cd_buf_puts(b, "\nno thread was stopped for this analysis\n");
    if (r->note)
        cd_buf_printf(b, "note: %s\n", r->note);
    for (size_t i = 0; i < r->nwarnings; i++)
        cd_buf_printf(b, "warning: %s\n", r->warnings[i]);
}

static const char *verdict_tag(const cd_dl_result *r, size_t i, char *buf, size_t n)
{
    if (r->waits[i].cycle >= 0) {
        snprintf(buf, n, "  [cycle %d]", r->waits[i].cycle + 1);
        return buf;
    }
    for (size_t f = 0; f < r->nfindings; f++)
        if (r->findings[f].wait == i) {
            snprintf(buf, n, "  [%s]", finding_title(r->findings[f].kind));
            return buf;
        }
    return "";
}

void cd_dl_format_locks(const cd_dl_result *r, cd_buf *b)
{
    if (r->nwaits == 0) {
        cd_buf_printf(b, "no thread of process %d is waiting in futex (no lock, condition or join waits)\n", (int)r->pid);
        return;
    }
    cd_buf_printf(b, "%-8s %-16s %s\n", "TID", "NAME", "WAITS FOR");
    for (size_t i = 0; i < r->nwaits; i++) {
        const cd_dl_wait *w = &r->waits[i];
        char tag[80];
        cd_buf_printf(b, "%-8d %-16s ", (int)w->tid, w->name);
        describe_wait(b, w);
        cd_buf_printf(b, "%s\n", verdict_tag(r, i, tag, sizeof tag));
        if (w->frame)
            cd_buf_printf(b, "%-8s %-16s in %s\n", "", "", w->frame);
    }
}

static json_object *wait_json(const cd_dl_wait *w)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "tid", json_object_new_int(w->tid));
    json_object_object_add(o, "name", json_object_new_string(w->name));
    json_object_object_add(o, "frame", cd_json_str_or_null(w->frame));
    json_object *wf = json_object_new_object();
    json_object_object_add(wf, "addr", cd_json_hex(w->addr));
    json_object_object_add(wf, "kind", json_object_new_string(cd_dl_kind_name(w->kind)));
    json_object_object_add(wf, "symbol", cd_json_str_or_null(w->symbol));
    json_object_object_add(wf, "owner_tid", w->owner > 0 ? json_object_new_int(w->owner) : NULL);
    json_object_object_add(wf, "timed", json_object_new_boolean(w->timed));
    if (w->timed && w->timeout_known) {
        char txt[32];
        snprintf(txt, sizeof txt, "%.3f", w->timeout_s);
        json_object_object_add(wf, "timeout_s", json_object_new_double_s(w->timeout_s, txt));
    }
    if (w->kind == CD_DL_FUTEX) {
        json_object_object_add(wf, "futex", cd_json_hex(w->futex));
        json_object_object_add(wf, "value", json_object_new_int64(w->word));
    }
    if (w->kind == CD_DL_CONDVAR && w->cv_mutex)
        json_object_object_add(wf, "released_mutex", cd_json_hex(w->cv_mutex));
    if (w->kind == CD_DL_PIPE || w->kind == CD_DL_EVENTFD || w->kind == CD_DL_SOCKET || w->kind == CD_DL_FD) {
        json_object_object_add(wf, "fd", w->fd >= 0 ? json_object_new_int(w->fd) : NULL);
        json_object_object_add(wf, "call", cd_json_str_or_null(w->fd_call));
        if (w->kind == CD_DL_PIPE || w->kind == CD_DL_SOCKET)
            json_object_object_add(wf, "inode", json_object_new_int64((int64_t)w->addr));
        if (w->fd_why[0])
            json_object_object_add(wf, "not_proven", json_object_new_string(w->fd_why));
    }
    json_object_object_add(o, "waits_for", wf);
    return o;
}

static const char *finding_json_kind(cd_dl_finding_kind k)
{
    switch (k) {
    case CD_DLF_SELF: return "self-deadlock";
    case CD_DLF_ORPHAN: return "orphaned-lock";
    case CD_DLF_CONDVAR: return "condvar-forever";
    case CD_DLF_SEM: return "semaphore-forever";
    case CD_DLF_FD: return "read-forever";
    case CD_DLF_BLOCKED:
    case CD_DLF_PI: break;
    }
    return "blocked-on-deadlock";
}

json_object *cd_dl_result_json(const cd_dl_result *r)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "deadlock", json_object_new_boolean(cd_dl_found(r)));
    json_object *cycles = json_object_new_array();
    for (size_t c = 0; c < r->ncycles; c++) {
        json_object *cy = json_object_new_object(), *ths = json_object_new_array();
        for (size_t k = 0; k < r->cycles[c].n; k++)
            json_object_array_add(ths, wait_json(&r->waits[r->cycles[c].waits[k]]));
        json_object_object_add(cy, "threads", ths);
        json_object_array_add(cycles, cy);
    }
    json_object_object_add(o, "cycles", cycles);
    json_object *fs = json_object_new_array();
    for (size_t f = 0; f < r->nfindings; f++) {
        const cd_dl_wait *w = &r->waits[r->findings[f].wait];
        json_object *fo = json_object_new_object();
        json_object_object_add(fo, "kind", json_object_new_string(finding_json_kind(r->findings[f].kind)));
        json_object_object_add(fo, "tid", json_object_new_int(w->tid));
        json_object_object_add(fo, "addr", cd_json_hex(w->addr));
        json_object_object_add(fo, "symbol", cd_json_str_or_null(w->symbol));
        json_object_object_add(fo, "owner_tid", w->owner > 0 ? json_object_new_int(w->owner) : NULL);
        json_object_object_add(fo, "wait_kind", json_object_new_string(cd_dl_kind_name(w->kind)));
        json_object_object_add(fo, "frame", cd_json_str_or_null(w->frame));
        if (w->kind == CD_DL_CONDVAR) {
            json_object *m = NULL;
            if (w->cv_mutex) {
                m = json_object_new_object();
                json_object_object_add(m, "addr", cd_json_hex(w->cv_mutex));
                json_object_object_add(m, "symbol", cd_json_str_or_null(w->cv_mutex_symbol));
            }
            json_object_object_add(fo, "released_mutex", m);
        }
        if (w->kind == CD_DL_SEM) {
            json_object_object_add(fo, "value", json_object_new_int64(w->sem_value));
            json_object_object_add(fo, "waiters", json_object_new_int64(w->sem_waiters));
        }
        if (w->kind == CD_DL_PIPE || w->kind == CD_DL_EVENTFD || w->kind == CD_DL_SOCKET) {
            json_object_object_add(fo, "fd", json_object_new_int(w->fd));
            json_object *wf = json_object_new_array();
            for (size_t k = 0; k < w->fd_nwriters && k < sizeof w->fd_writers / sizeof w->fd_writers[0]; k++)
                json_object_array_add(wf, json_object_new_int(w->fd_writers[k]));
            json_object_object_add(fo, "writer_fds", wf);
            if (w->kind == CD_DL_PIPE || w->kind == CD_DL_SOCKET)
                json_object_object_add(fo, "inode", json_object_new_int64((int64_t)w->addr));
            if (w->kind == CD_DL_SOCKET)
                json_object_object_add(fo, "peer_inode", json_object_new_int64((int64_t)w->sock_peer));
        }
        if (w->kind == CD_DL_CONDVAR || w->kind == CD_DL_SEM || w->kind == CD_DL_PIPE || w->kind == CD_DL_EVENTFD ||
            w->kind == CD_DL_SOCKET) {
            /* the locks it keeps across the wait, named by the threads that want them */
            json_object *held = json_object_new_array();
            for (size_t j = 0; j < r->nwaits; j++) {
                const cd_dl_wait *o = &r->waits[j];
                if (o == w || o->owner != w->tid || (o->kind != CD_DL_MUTEX && o->kind != CD_DL_RWLOCK))
                    continue;
                json_object *h = json_object_new_object();
                json_object_object_add(h, "addr", cd_json_hex(o->addr));
                json_object_object_add(h, "kind", json_object_new_string(cd_dl_kind_name(o->kind)));
                json_object_object_add(h, "symbol", cd_json_str_or_null(o->symbol));
                json_object_object_add(h, "wanted_by", json_object_new_int(o->tid));
                json_object_array_add(held, h);
            }
            json_object_object_add(fo, "holds", held);
        }
        json_object_array_add(fs, fo);
    }
    json_object_object_add(o, "findings", fs);
    json_object *ws = json_object_new_array();
    /* "waits": the lock and join waits (the graph's edges); "other_waits": every other wait the text's
     * `locks` lists — a condition, a semaphore, an fd, a futex the program manages itself (kind
     * "futex": unknown, its word and value, never guessed) */
    json_object *ows = json_object_new_array();
    for (size_t i = 0; i < r->nwaits; i++) {
        cd_dl_kind k = r->waits[i].kind;
        json_object_array_add(k == CD_DL_MUTEX || k == CD_DL_RWLOCK || k == CD_DL_THREAD ? ws : ows, wait_json(&r->waits[i]));
    }
    json_object_object_add(o, "waits", ws);
    json_object_object_add(o, "other_waits", ows);
    json_object_object_add(o, "stopped_ms", json_object_new_double(r->stopped_ms));
    if (r->note)
        json_object_object_add(o, "note", json_object_new_string(r->note));
    json_object_object_add(o, "all_asleep", json_object_new_boolean(r->all_asleep));
    json_object *wa = json_object_new_array();
    for (size_t i = 0; i < r->nwarnings; i++)
        json_object_array_add(wa, json_object_new_string(r->warnings[i]));
    json_object_object_add(o, "warnings", wa);
    return o;
}
