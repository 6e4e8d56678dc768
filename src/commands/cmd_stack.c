/* Threads and stacks: threads, thread, bt, frame, up, down, list, regs. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands/cmd_impl.h"
#include "commands/stacks.h"
#include "unwind/stackcache.h"

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

static const char *state_word(char c)
{
    switch (c) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk-wait";
    case 'T': return "stopped";
    case 't': return "traced";
    case 'Z': return "zombie";
    case 'X': return "dead";
    case 'I': return "idle";
    default: return "unknown";
    }
}

/* "sleeping in futex" / "stopped" / "running": what the thread was doing when it stopped (held)
 * or when we looked (running). rd: how `cdbg stacks` read it (NULL otherwise): a thread read
 * asleep slept in the syscall of the line its stack came from. */
static void thread_activity_rd(cd_session *s, cd_thread *th, const cd_read_info *rd, bool sigstopped, cd_buf *b)
{
    cd_syscall_state sc;
    cd_err e;
    long nr = -1;
    cd_target_describe_thread(s->target, th);
    char state = th->state;
    /* a held thread's registers say whether it is in a syscall; /proc would only repeat them */
    if (rd && sigstopped) {
        /* found stopped by a signal (SIGSTOP), not by us, and left so: it sleeps in nothing, and
         * runs in nothing whatever our brief hold of it left in th->state; the syscall the stop
         * interrupted is named */
        state = 'T';
        nr = rd->sc.kind == CD_SC_BLOCKED ? rd->sc.nr : -1;
    } else if (rd && rd->how == CD_READ_BLOCKED) {
        nr = rd->sc.nr;
        state = state == 'D' ? 'D' : 'S';
    } else if (rd && rd->how == CD_READ_STOPPED) {
        /* stopped because it kept moving: where it last slept, if it did */
        state = rd->sc.kind == CD_SC_BLOCKED ? 'S' : 'R';
        nr = rd->sc.kind == CD_SC_BLOCKED ? rd->sc.nr : -1;
    } else if (th->regs_valid) {
        if (th->orig_rax >= 0)
            nr = (long)th->orig_rax;
    } else if (s->target->ops->syscall_state(s->target, th, &sc, &e) == 0 && sc.kind == CD_SC_BLOCKED)
        nr = sc.nr;
    /* a thread first seen running (a new thread) whose syscall our stop interrupted (the kernel
     * will restart it) was waiting in it, not running */
    if (state == 'R' && th->held && th->regs_valid && th->orig_rax >= 0) {
        int64_t rax = (int64_t)th->regs.rax;
        if (rax == -512 || rax == -513 || rax == -514 || rax == -516 || rax == -4)
            state = 'S';
    }
    /* A core's dumping thread was not waiting for anything: it died of its signal (its registers
     * may still show a syscall it was in, abort's tgkill) */
    const cd_death *d = &s->target->death;
    if (s->target->caps.post_mortem && d->signo > 0 && th->tid == d->tid) {
        const char *abbrev = sigabbrev_np(d->signo);
        if (abbrev)
            cd_buf_printf(b, "crashed (SIG%s)", abbrev);
        else
            cd_buf_printf(b, "crashed (signal %d)", d->signo);
        return;
    }
    cd_buf_puts(b, th->gone ? "exited" : state_word(state));
    if (nr >= 0) {
        const char *n = cd_syscall_name(nr);
        if (n)
            cd_buf_printf(b, " in %s", n);
        else
            cd_buf_printf(b, " in syscall %ld", nr);
    }
}

static void thread_activity(cd_session *s, cd_thread *th, cd_buf *b)
{
    thread_activity_rd(s, th, NULL, false, b);
}

static bool frame_in_exe(cd_session *s, const cd_frame *f)
{
    if (!f->info.module || !s->target->exe_path)
        return false;
    return strcmp(f->info.module, base_name(s->target->exe_path)) == 0;
}

static void frame_location(const cd_frame *f, cd_buf *b)
{
    cd_buf_puts(b, f->info.func ? f->info.func : "??");
    if (f->info.file && f->info.line > 0)
        cd_buf_printf(b, " at %s:%d", base_name(f->info.file), f->info.line);
    else if (f->info.module)
        cd_buf_printf(b, " from %s", f->info.module);
    else
        cd_buf_printf(b, " (0x%" PRIx64 ")", f->pc);
}

/* The innermost frame, and the first frame of the program itself when the innermost is in a
 * library: "where is it" and "which of my code got it there". */
static void stack_summary(cd_session *s, const cd_stack *st, cd_buf *b)
{
    if (st->n == 0) {
        /* no frame at all: say why in a few words rather than show a bare "??" */
        cd_buf_printf(b, "(%s)", st->error && strstr(st->error, "exited") ? "exited" : "stack not readable");
        return;
    }
    frame_location(&st->frames[0], b);
    if (!frame_in_exe(s, &st->frames[0])) {
        for (size_t i = 1; i < st->n; i++) {
            if (frame_in_exe(s, &st->frames[i])) {
                cd_buf_puts(b, " <- ");
                frame_location(&st->frames[i], b);
                break;
            }
        }
    }
}

/* How long the target has been held so far: a thread dump is only as gentle as this. */
static json_object *stopped_ms_json(cd_session *s)
{
    double ms = (double)(cd_target_stopped_ns(s->target) / 1000) / 1000.0;
    char txt[32];
    snprintf(txt, sizeof txt, "%.3f", ms); /* json-c would print %.17g: 24.155999999999999 */
    return json_object_new_double_s(ms, txt);
}

typedef struct thread_dump {
    cd_thread *th;
    size_t id; /* 1-based */
    cd_stack st;          /* its own stack; empty when it shares another thread's */
    const cd_stack *stk;  /* the stack to show: &st, or an earlier thread's identical one */
    /* identity of the stack for grouping and for printing each distinct stack once: a frame's
     * lookup pc and inline flag decide everything `bt` shows of it */
    uint64_t *key;
    uint64_t hash;
    size_t rep;           /* the first thread with the same stack (itself if none before it) */
    cd_read_info rd;      /* `cdbg stacks`: how it was read (how 0 for `bt all`: held) */
    bool sigstopped;      /* `cdbg stacks`: found stopped by a signal (state T, SIGSTOP): read as it
                             was, left stopped; cdbg did not stop it */
} thread_dump;

/* How a dump reads the threads: NULL for `bt all` (hold every thread, then unwind each). */
typedef struct dump_how {
    cd_read_hook hook;    /* `cdbg stacks`: read each thread without stopping it if it sleeps */
    void *hook_arg;
    cd_stackcache *cache; /* the dump's stack cache (stackcache.h) */
} dump_how;

static void stack_key(thread_dump *d)
{
    const cd_stack *st = d->stk;
    d->key = cd_xcalloc(st->n ? st->n : 1, sizeof *d->key);
    uint64_t h = 1469598103934665603ull ^ st->n;
    for (size_t i = 0; i < st->n; i++) {
        d->key[i] = st->frames[i].lookup_pc << 1 | st->frames[i].info.inlined;
        h = (h ^ d->key[i]) * 1099511628211ull;
        h ^= h >> 29;
    }
    d->hash = h;
}

static bool same_stack(const thread_dump *a, const thread_dump *b)
{
    return a->hash == b->hash && a->stk->n == b->stk->n && memcmp(a->key, b->key, a->stk->n * sizeof *a->key) == 0;
}

static void dump_free(thread_dump *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cd_stack_free(&d[i].st);
        free(d[i].key);
    }
    free(d);
}

/* Holds every thread once (all interrupts first, then the stops), then unwinds each. With how
 * (`cdbg stacks`): holds nothing up front; each thread is read as cd_unwind_unstopped says (the
 * thread list is the one the non-stop attach just read). */
static thread_dump *dump_all(cd_session *s, size_t *n_out, const dump_how *how, cd_err *err)
{
    cd_target *t = s->target;
    bool held = true;
    for (size_t i = 0; i < t->nthreads; i++)
        if (!t->threads[i]->held && !t->threads[i]->gone)
            held = false;
    /* With every thread held none can have started another; only a running target needs a
     * fresh thread list (re-reading it costs a /proc read per thread). */
    if (!held && !how) {
        if (t->ops->refresh_threads(t, err) < 0)
            return NULL;
        if (cd_target_stop(t, NULL, 0, err) < 0)
            return NULL;
    }
    /* names and states as of this stop, for the headers and listings printed from the dump */
    for (size_t i = 0; i < t->nthreads; i++)
        cd_target_describe_thread(t, t->threads[i]);
    thread_dump *d = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *d);
    size_t n = 0, hcap = 1;
    while (hcap < 2 * t->nthreads + 2)
        hcap <<= 1;
    long *seen = cd_xmalloc(hcap * sizeof *seen);
    for (size_t i = 0; i < hcap; i++)
        seen[i] = -1;
    /* `cdbg stacks`: every thread read first (cd_stackcache_read_all shares the work with a
     * helper thread), then matched below as `bt all` matches its threads as it unwinds them */
    cd_cached_read *cr = NULL;
    cd_thread **ths = NULL;
    size_t *ids = NULL, k = 0;
    bool *sigstop = NULL;
    if (how) {
        ths = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *ths);
        ids = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *ids);
        sigstop = cd_xcalloc(t->nthreads ? t->nthreads : 1, sizeof *sigstop);
        for (size_t i = 0; i < t->nthreads; i++)
            if (!t->threads[i]->gone) {
                /* its state before anything was read: one held to be read shows 't' meanwhile */
                sigstop[k] = t->threads[i]->state == 'T';
                ids[k] = i + 1;
                ths[k++] = t->threads[i];
            }
        cr = cd_xcalloc(k ? k : 1, sizeof *cr);
        cd_stackcache_read_all(how->cache, ths, k, how->hook, how->hook_arg, cr);
    }
    for (size_t i = 0; i < (how ? k : t->nthreads); i++) {
        cd_thread *th = how ? ths[i] : t->threads[i];
        if (!how && th->gone)
            continue;
        d[n].th = th;
        d[n].id = how ? ids[i] : i + 1;
        d[n].stk = &d[n].st;
        if (how) {
            d[n].st = cr[i].st;
            d[n].rd = cr[i].rd;
            d[n].sigstopped = sigstop[i];
            if (cr[i].rc < 0) {
                memset(&d[n].st, 0, sizeof d[n].st);
                d[n].st.error = cr[i].error;
            } else if (cr[i].shared) {
                d[n].stk = cr[i].shared;
            }
        } else {
            cd_err e;
            if (cd_session_unwind(s, th, 0, &d[n].st, &e) < 0) {
                memset(&d[n].st, 0, sizeof d[n].st);
                d[n].st.error = cd_xstrdup(e.msg);
            }
        }
        stack_key(&d[n]);
        /* Hashed by key, so 1000 threads do not cost a million stack compares; `rep` then serves
         * grouping as well. */
        size_t slot = d[n].hash & (hcap - 1);
        while (seen[slot] >= 0 && !same_stack(&d[seen[slot]], &d[n]))
            slot = (slot + 1) & (hcap - 1);
        if (seen[slot] < 0)
            seen[slot] = (long)n;
        d[n].rep = (size_t)seen[slot];
        /* 997 workers parked in one place have one stack: keep it once. Freeing the copy at once
         * also lets malloc hand the same warm memory to the next thread's unwinding, instead of
         * faulting in ~300 bytes per frame per thread (page faults cost ~20 us in a VM). */
        const cd_stack *rs = d[d[n].rep].stk;
        if (d[n].rep != n && d[n].st.n && !d[n].st.error && !d[n].st.truncated && !rs->error && !rs->truncated) {
            cd_stack_free(&d[n].st);
            d[n].stk = rs;
        }
        n++;
    }
    free(seen);
    free(cr);
    free(ths);
    free(ids);
    free(sigstop);
    /* A process killed while it was being unwound leaves "cannot read the registers" behind: a
     * dump of a process that no longer exists must fail, not pass for a result. */
    bool vanished = false; /* a held thread whose registers could not be read at all */
    for (size_t i = 0; i < n && !vanished; i++)
        vanished = d[i].stk->n == 0 && d[i].stk->error;
    if (t->ops->check_alive(t, vanished ? 2000 : 0, err) < 0) {
        dump_free(d, n);
        return NULL;
    }
    cd_session_flush_notes(s);
    *n_out = n;
    return d;
}


typedef struct group {
    size_t first;   /* index into dump of the representative */
    size_t *members;
    size_t n;
} group;

static int group_cmp(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return x->first < y->first ? -1 : x->first > y->first;
}

/* Groups threads with identical stacks, largest group first, ties in thread order. With of != NULL,
 * *of gets each thread's group index (in the sorted order). */
static group *make_groups(thread_dump *d, size_t n, size_t *ng_out, size_t **of)
{
    group *g = cd_xcalloc(n ? n : 1, sizeof *g);
    size_t *gi = cd_xcalloc(n ? n : 1, sizeof *gi);
    size_t ng = 0;
    /* dump_all matched the stacks already: a thread starts a group or joins its rep's */
    for (size_t i = 0; i < n; i++) {
        if (d[i].rep == i) {
            g[ng].first = i;
            gi[i] = ng++;
        } else {
            gi[i] = gi[d[i].rep];
        }
        g[gi[i]].n++;
    }
    for (size_t k = 0; k < ng; k++) {
        g[k].members = cd_xcalloc(g[k].n, sizeof(size_t));
        g[k].n = 0;
    }
    for (size_t i = 0; i < n; i++)
        g[gi[i]].members[g[gi[i]].n++] = i;
    qsort(g, ng, sizeof *g, group_cmp);
    if (of) {
        for (size_t k = 0; k < ng; k++)
            for (size_t m = 0; m < g[k].n; m++)
                gi[g[k].members[m]] = k;
        *of = gi;
    } else {
        free(gi);
    }
    *ng_out = ng;
    return g;
}

static void groups_free(group *g, size_t ng)
{
    for (size_t i = 0; i < ng; i++)
        free(g[i].members);
    free(g);
}

static json_object *frames_json(const cd_stack *st)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < st->n; i++)
        json_object_array_add(a, cd_frame_json(&st->frames[i]));
    return a;
}

/* The line after the frames shown: more follow (bt N), the walk hit the frame cap, or it
 * stopped early and why. in_dump: a thread dump, whose cap is lower than a single `bt`'s. */
static void print_stack_trailer(cd_session *s, const cd_stack *st, size_t shown, const char *indent, bool in_dump)
{
    if (shown < st->n)
        cd_out_printf(&s->out, "%s(More stack frames follow...)\n", indent);
    else if (st->truncated)
        cd_out_printf(&s->out, "%s(backtrace truncated after %zu frames: the stack goes deeper%s)\n", indent, st->n,
                      in_dump ? "; `thread ID` then `bt` shows more" : "");
    else if (st->error)
        cd_out_printf(&s->out, "%s(backtrace stopped: %s)\n", indent, st->error);
}

static size_t shown_frames(const cd_stack *st, int limit)
{
    return limit > 0 && (size_t)limit < st->n ? (size_t)limit : st->n;
}

/* The frame lines of a stack, without the trailer, into *out. */
static void stack_lines(cd_session *s, const cd_stack *st, const char *indent, int limit, cd_buf *out)
{
    size_t n = shown_frames(st, limit);
    for (size_t i = 0; i < n; i++) {
        cd_buf_puts(out, indent);
        cd_format_frame(s, &st->frames[i], out);
        cd_buf_puts(out, "\n");
    }
}

static void print_stack_text(cd_session *s, const cd_stack *st, const char *indent, int limit, bool in_dump)
{
    cd_buf b = {0};
    stack_lines(s, st, indent, limit, &b);
    if (b.s)
        cd_out_printf(&s->out, "%s", b.s);
    print_stack_trailer(s, st, shown_frames(st, limit), indent, in_dump);
    cd_buf_free(&b);
}

static json_object *thread_json_rd(cd_session *s, cd_thread *th, size_t id, const cd_read_info *rd, bool sigstopped)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_int((int)id));
    json_object_object_add(j, "tid", json_object_new_int(th->tid));
    json_object_object_add(j, "name", json_object_new_string(th->name));
    cd_buf b = {0};
    thread_activity_rd(s, th, rd, sigstopped, &b);
    json_object_object_add(j, "state", json_object_new_string(cd_buf_str(&b)));
    cd_buf_free(&b);
    return j;
}

static json_object *thread_json(cd_session *s, cd_thread *th, size_t id)
{
    return thread_json_rd(s, th, id, NULL, false);
}

static const char *read_word(const thread_dump *d)
{
    return d->sigstopped ? "signal-stopped" : d->rd.how == CD_READ_BLOCKED ? "blocked" : "stopped";
}

/* `cdbg stacks`: how many threads had to be stopped, and for how long in all. */
static size_t count_stopped(const thread_dump *d, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += d[i].rd.how != CD_READ_BLOCKED && !d[i].sigstopped;
    return k;
}

/* `cdbg stacks`: threads found stopped by a signal (state T): neither stopped by cdbg nor asleep. */
static size_t count_sigstopped(const thread_dump *d, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += d[i].sigstopped;
    return k;
}

static void stacks_summary_json(const thread_dump *d, size_t n, const cd_stackcache *c, json_object *j)
{
    json_object_object_add(j, "threads_stopped", json_object_new_int((int)count_stopped(d, n)));
    json_object_object_add(j, "threads_signal_stopped", json_object_new_int((int)count_sigstopped(d, n)));
    /* where the sleeping threads' registers came from, and why not BPF when it was wanted */
    const char *why;
    json_object_object_add(j, "source", json_object_new_string(cd_stackcache_source(c, &why)));
    if (why)
        json_object_object_add(j, "bpf_unavailable", json_object_new_string(why));
}

static void stacks_summary_text(cd_session *s, const thread_dump *d, size_t n)
{
    size_t k = count_stopped(d, n), sig = count_sigstopped(d, n);
    double ms = (double)(cd_target_stopped_ns(s->target) / 1000) / 1000.0;
    if (!sig) {
        cd_out_printf(&s->out, "\nstopped %zu of %zu thread%s for %.3f ms to read %s stack%s; the other %zu %s read asleep, never stopped\n",
                      k, n, n == 1 ? "" : "s", ms, k == 1 ? "its" : "their", k == 1 ? "" : "s", n - k,
                      n - k == 1 ? "was" : "were");
        return;
    }
    /* a process stopped by a signal (SIGSTOP, ^Z) is left as it was found: those threads are not
     * ours to count as stopped, nor asleep */
    size_t other = n - k - sig;
    cd_out_printf(&s->out, "\nstopped %zu of %zu thread%s to read %s stack%s; %zu %s already stopped by a signal (state T), "
                  "read as %s %s and left stopped",
                  k, n, n == 1 ? "" : "s", k == 1 ? "its" : "their", k == 1 ? "" : "s", sig, sig == 1 ? "was" : "were",
                  sig == 1 ? "it" : "they", sig == 1 ? "was" : "were");
    if (k)
        cd_out_printf(&s->out, "; held %.3f ms", ms);
    if (other)
        cd_out_printf(&s->out, "; the other %zu %s read asleep, never stopped", other, other == 1 ? "was" : "were");
    cd_out_printf(&s->out, "\n");
}

/* stacks: `cdbg stacks` (adds how each thread was read and the summary) */
static void print_groups(cd_session *s, thread_dump *d, size_t n, bool full_stacks, const cd_stackcache *stacks)
{
    size_t ng;
    group *g = make_groups(d, n, &ng, NULL);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(stacks ? "stacks" : strcmp(s->cmd_name, "threads") ? "bt" : "threads"));
        json_object_object_add(j, "threads_total", json_object_new_int((int)n));
        json_object *ga = json_object_new_array();
        for (size_t i = 0; i < ng; i++) {
            json_object *gj = json_object_new_object();
            json_object_object_add(gj, "count", json_object_new_int((int)g[i].n));
            json_object *ids = json_object_new_array(), *tids = json_object_new_array();
            for (size_t k = 0; k < g[i].n; k++) {
                json_object_array_add(ids, json_object_new_int((int)d[g[i].members[k]].id));
                json_object_array_add(tids, json_object_new_int(d[g[i].members[k]].th->tid));
            }
            json_object_object_add(gj, "ids", ids);
            json_object_object_add(gj, "tids", tids);
            if (stacks) {
                json_object *rd = json_object_new_array();
                for (size_t k = 0; k < g[i].n; k++)
                    json_object_array_add(rd, json_object_new_string(read_word(&d[g[i].members[k]])));
                json_object_object_add(gj, "read", rd);
            }
            json_object_object_add(gj, "frames", frames_json(d[g[i].first].stk));
            json_object_array_add(ga, gj);
        }
        json_object_object_add(j, "groups", ga);
        if (stacks)
            stacks_summary_json(d, n, stacks, j);
        json_object_object_add(j, "stopped_ms", stopped_ms_json(s));
        cd_out_json(&s->out, j);
    } else {
        cd_buf b = {0};
        for (size_t i = 0; i < ng; i++) {
            cd_buf_reset(&b);
            for (size_t k = 0; k < g[i].n; k++)
                cd_buf_printf(&b, "%s%zu", k ? "," : "", d[g[i].members[k]].id);
            const thread_dump *rep = &d[g[i].first];
            if (full_stacks) {
                cd_out_printf(&s->out, "%s%zu thread%s: %s\n", i ? "\n" : "", g[i].n, g[i].n == 1 ? "" : "s",
                              cd_buf_str(&b));
                print_stack_text(s, rep->stk, "  ", 0, true);
            } else {
                cd_buf sum = {0};
                stack_summary(s, rep->stk, &sum);
                cd_out_printf(&s->out, "%5zu  %s  [%s]\n", g[i].n, cd_buf_str(&sum), cd_buf_str(&b));
                cd_buf_free(&sum);
            }
        }
        cd_buf_free(&b);
        if (stacks)
            stacks_summary_text(s, d, n);
    }
    groups_free(g, ng);
}

int cd_cmd_threads(cd_session *s, int argc, char **argv, cd_err *err)
{
    bool grp = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-group") || !strcmp(argv[i], "--group"))
            grp = true;
        else
            return cd_fail(err, CD_EXIT_CMD, "threads: unknown argument '%s': usage: %s", argv[i],
                           cd_command_find("threads")->usage);
    }
    size_t n;
    thread_dump *d = dump_all(s, &n, NULL, err);
    if (!d)
        return -1;
    if (grp) {
        print_groups(s, d, n, false, NULL);
        dump_free(d, n);
        return 0;
    }
    cd_thread *cur = cd_session_thread(s);
    json_object *arr = s->out.json ? json_object_new_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        cd_buf act = {0}, loc = {0};
        thread_activity(s, d[i].th, &act);
        stack_summary(s, d[i].stk, &loc);
        if (arr) {
            json_object *j = thread_json(s, d[i].th, d[i].id);
            json_object_object_add(j, "current", json_object_new_boolean(d[i].th == cur));
            json_object_object_add(j, "frame", d[i].stk->n ? cd_frame_json(&d[i].stk->frames[0]) : NULL);
            json_object_object_add(j, "location", json_object_new_string(cd_buf_str(&loc)));
            json_object_array_add(arr, j);
        } else {
            cd_out_printf(&s->out, "%c %3zu  %-7d  %-15s  %-26s  %s\n", d[i].th == cur ? '*' : ' ', d[i].id,
                          (int)d[i].th->tid, d[i].th->name, cd_buf_str(&act), cd_buf_str(&loc));
        }
        cd_buf_free(&act);
        cd_buf_free(&loc);
    }
    if (arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("threads"));
        json_object_object_add(j, "threads", arr);
        json_object_object_add(j, "stopped_ms", stopped_ms_json(s));
        cd_out_json(&s->out, j);
    }
    dump_free(d, n);
    return 0;
}

static void print_selected_frame(cd_session *s, const cd_frame *f, bool with_source);

int cd_cmd_thread(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 2) {
        cd_thread *th = cd_session_thread(s);
        if (!th)
            return cd_fail(err, CD_EXIT_CMD, "thread: the process has no threads");
        cd_target_describe_thread(s->target, th);
        if (s->out.json) {
            json_object *j = thread_json(s, th, s->cur_thread + 1);
            json_object_object_add(j, "command", json_object_new_string("thread"));
            cd_out_json(&s->out, j);
        } else {
            cd_out_printf(&s->out, "[Current thread is %zu (tid %d, %s)]\n", s->cur_thread + 1, (int)th->tid, th->name);
        }
        return 0;
    }
    unsigned long long id;
    if (!cd_parse_uint(argv[1], &id) || id == 0 || id > s->target->nthreads)
        return cd_fail(err, CD_EXIT_CMD, "thread: no thread '%s': give an id from 1 to %zu as listed by `threads`",
                       argv[1], s->target->nthreads);
    cd_thread *th = s->target->threads[id - 1];
    if (th->gone)
        return cd_fail(err, CD_EXIT_CMD, "thread %llu (tid %d) has exited", id, (int)th->tid);
    s->cur_thread = (size_t)id - 1;
    s->cur_frame = 0;
    s->list_file = NULL;
    const cd_frame *f = cd_session_frame(s, err);
    if (!f)
        return -1;
    cd_target_describe_thread(s->target, th);
    if (s->out.json) {
        json_object *j = thread_json(s, th, s->cur_thread + 1);
        json_object_object_add(j, "command", json_object_new_string("thread"));
        json_object_object_add(j, "frame", cd_frame_json(f));
        cd_out_json(&s->out, j);
    } else {
        cd_out_printf(&s->out, "[Switching to thread %llu (tid %d, %s)]\n", id, (int)th->tid, th->name);
        print_selected_frame(s, f, true);
    }
    return 0;
}

/* `bt all`, and `cdbg stacks` (stacks: how each thread was read, and the summary). */
static void print_all(cd_session *s, thread_dump *d, size_t n, long limit, const cd_stackcache *stacks)
{
    /* Each distinct stack is rendered once and reused by every thread that has it (997
     * workers parked in one place): text lines cached, JSON frame arrays shared by refcount. */
    size_t ng, *of;
    group *g = make_groups(d, n, &ng, &of);
    if (s->out.json) {
        json_object **fr = cd_xcalloc(ng ? ng : 1, sizeof *fr);
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
            json_object *j = thread_json_rd(s, d[i].th, d[i].id, stacks ? &d[i].rd : NULL, d[i].sigstopped);
            if (stacks)
                json_object_object_add(j, "read", json_object_new_string(read_word(&d[i])));
            if (!fr[of[i]])
                fr[of[i]] = frames_json(d[i].stk);
            json_object_object_add(j, "frames", json_object_get(fr[of[i]]));
            if (d[i].stk->truncated)
                json_object_object_add(j, "truncated", json_object_new_boolean(1));
            if (d[i].stk->error)
                json_object_object_add(j, "unwind_error", json_object_new_string(d[i].stk->error));
            if (stacks && d[i].stk->missing_reg) {
                /* the frame after the last one shown is unknown, and why */
                json_object *u = json_object_new_object();
                json_object_object_add(u, "after_level", json_object_new_int((int)d[i].stk->n - 1));
                json_object_object_add(u, "needs", json_object_new_string(d[i].stk->missing_reg));
                json_object_object_add(j, "caller_unknown", u);
            }
            json_object_array_add(arr, j);
        }
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(stacks ? "stacks" : "bt"));
        json_object_object_add(j, "threads", arr);
        if (stacks)
            stacks_summary_json(d, n, stacks, j);
        json_object_object_add(j, "stopped_ms", stopped_ms_json(s));
        cd_out_json(&s->out, j);
        for (size_t k = 0; k < ng; k++)
            json_object_put(fr[k]);
        free(fr);
    } else {
        cd_buf *lines = cd_xcalloc(ng ? ng : 1, sizeof *lines);
        for (size_t i = 0; i < n; i++) {
            cd_buf *l = &lines[of[i]];
            if (!l->s)
                stack_lines(s, d[i].stk, "", (int)limit, l);
            cd_out_printf(&s->out, "%sThread %zu (tid %d, %s):\n%s", i ? "\n" : "", d[i].id, (int)d[i].th->tid,
                          d[i].th->name, cd_buf_str(l));
            print_stack_trailer(s, d[i].stk, shown_frames(d[i].stk, (int)limit), "", true);
        }
        for (size_t k = 0; k < ng; k++)
            cd_buf_free(&lines[k]);
        free(lines);
        if (stacks)
            stacks_summary_text(s, d, n);
    }
    free(of);
    groups_free(g, ng);
}

int cd_cmd_bt(cd_session *s, int argc, char **argv, cd_err *err)
{
    bool all = false, grp = false, full = false;
    long limit = 0;
    for (int i = 1; i < argc; i++) {
        unsigned long long v;
        if (!strcmp(argv[i], "all"))
            all = true;
        else if (!strcmp(argv[i], "-group") || !strcmp(argv[i], "--group") || !strcmp(argv[i], "group"))
            grp = true;
        else if (!strcmp(argv[i], "full") || !strcmp(argv[i], "-full"))
            full = true;
        else if (cd_parse_uint(argv[i], &v) && v > 0 && v < 1000000)
            limit = (long)v;
        else
            return cd_fail(err, CD_EXIT_CMD, "bt: unknown argument '%s': usage: %s", argv[i],
                           cd_command_find("bt")->usage);
    }
    if (grp && !all)
        return cd_fail(err, CD_EXIT_CMD, "bt: -group needs `all`: usage: bt all -group");
    if (all) {
        size_t n;
        thread_dump *d = dump_all(s, &n, NULL, err);
        if (!d)
            return -1;
        if (grp)
            print_groups(s, d, n, true, NULL);
        else
            print_all(s, d, n, limit, NULL);
        dump_free(d, n);
        return 0;
    }
    const cd_stack *st = cd_session_stack(s, err);
    if (!st)
        return -1;
    cd_thread *th = cd_session_thread(s);
    if (s->out.json) {
        json_object *j = thread_json(s, th, s->cur_thread + 1);
        json_object_object_add(j, "command", json_object_new_string("bt"));
        json_object *fa = json_object_new_array();
        size_t n = st->n;
        if (limit > 0 && (size_t)limit < n)
            n = (size_t)limit;
        for (size_t i = 0; i < n; i++) {
            json_object *fj = cd_frame_json(&st->frames[i]);
            if (full && s->frame_vars)
                json_object_object_add(fj, "locals", s->frame_vars(s, &st->frames[i], true));
            json_object_array_add(fa, fj);
        }
        json_object_object_add(j, "frames", fa);
        if (st->truncated && n == st->n)
            json_object_object_add(j, "truncated", json_object_new_boolean(1));
        if (st->error)
            json_object_object_add(j, "unwind_error", json_object_new_string(st->error));
        cd_out_json(&s->out, j);
        return 0;
    }
    if (!full) {
        print_stack_text(s, st, "", (int)limit, false);
        return 0;
    }
    cd_buf b = {0};
    size_t n = st->n;
    if (limit > 0 && (size_t)limit < n)
        n = (size_t)limit;
    for (size_t i = 0; i < n; i++) {
        cd_buf_reset(&b);
        cd_format_frame(s, &st->frames[i], &b);
        cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
        if (s->frame_vars) {
            json_object *v = s->frame_vars(s, &st->frames[i], false);
            json_object_put(v);
        } else {
            cd_out_printf(&s->out, "        (locals need the value printer)\n");
        }
    }
    print_stack_trailer(s, st, n, "", false);
    cd_buf_free(&b);
    return 0;
}

void cd_print_source_line(cd_session *s, const char *file, int line, bool arrow)
{
    int nl = 0;
    char *path = cd_session_source_path(s, file);
    const char *text = cd_symtab_source_line(s->sym, path, line, &nl);
    free(path);
    /* gdb's print_source_lines_base: a file it cannot read is said once ("28\t./stdio-common/
     * printf.c: No such file or directory."), then "32\tin ./stdio-common/printf.c" while the stops
     * stay in it; the next file that cannot be read is said again. */
    bool same = s->src_last_file && !strcmp(s->src_last_file, file);
    if (!same) {
        free(s->src_last_file);
        s->src_last_file = cd_xstrdup(file);
        s->src_last_missing = !text;
    }
    if (!text) {
        if (same && s->src_last_missing)
            cd_out_printf(&s->out, "%d\tin %s\n", line, file);
        else
            cd_out_printf(&s->out, "%d\t%s: No such file or directory.\n", line, file);
        return;
    }
    s->src_last_missing = false;
    cd_out_printf(&s->out, "%s%-5d %s\n", arrow ? "=> " : "   ", line, text);
}

static void print_selected_frame(cd_session *s, const cd_frame *f, bool with_source)
{
    if (s->out.json) {
        json_object *j = cd_frame_json(f);
        json_object_object_add(j, "command", json_object_new_string(s->cmd_name ? s->cmd_name : "frame"));
        cd_out_json(&s->out, j);
        return;
    }
    cd_buf b = {0};
    cd_format_frame(s, f, &b);
    cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
    cd_buf_free(&b);
    if (with_source && f->info.file && f->info.line > 0)
        cd_print_source_line(s, f->info.file, f->info.line, true);
    s->list_file = f->info.file;
    s->list_line = f->info.line > 0 ? f->info.line - 5 : 0;
}

static const char *signal_description(int sig) { return cd_sig_description(sig); }

static const char *si_code_name(int sig, int code, const char **what) { return cd_sig_code_name(sig, code, what); }

void cd_print_death(cd_session *s)
{
    const cd_death *d = s->target ? &s->target->death : NULL;
    if (!d || d->signo <= 0)
        return;
    const char *abbrev = sigabbrev_np(d->signo);
    if (abbrev)
        cd_out_printf(&s->out, "Program terminated with signal SIG%s, %s.\n", abbrev, signal_description(d->signo));
    else
        cd_out_printf(&s->out, "Program terminated with signal %d, %s.\n", d->signo, signal_description(d->signo));
    const char *what, *code = d->has_siginfo ? si_code_name(d->signo, d->code, &what) : NULL;
    if (d->has_addr) {
        if (code)
            cd_out_printf(&s->out, "Fault address 0x%" PRIx64 " (%s: %s).\n", d->addr, code, what);
        else
            cd_out_printf(&s->out, "Fault address 0x%" PRIx64 " (si_code %d).\n", d->addr, d->code);
    } else if (d->has_sender && d->sender_pid == s->target->pid) {
        cd_out_printf(&s->out, "Sent by the process itself with %s (abort, raise or pthread_kill).\n",
                      code ? what : "a signal call");
    } else if (d->has_sender) {
        cd_out_printf(&s->out, "Sent by process %d (uid %u) with %s.\n", (int)d->sender_pid,
                      (unsigned)d->sender_uid, code ? what : "a signal call");
    } else if (d->has_siginfo && d->code == SI_KERNEL) {
        cd_out_printf(&s->out, "Sent by the kernel.\n");
    }
    cd_thread *th = cd_session_thread(s);
    if (!th || th->tid != d->tid)
        return;
    if (s->target->nthreads > 1)
        cd_out_printf(&s->out, "[Current thread is %zu (tid %d, %s)]\n", s->cur_thread + 1, (int)th->tid, th->name);
    cd_err e = {0};
    const cd_frame *f = cd_session_frame(s, &e);
    if (f)
        print_selected_frame(s, f, true);
}

json_object *cd_death_json(cd_session *s)
{
    const cd_death *d = s->target ? &s->target->death : NULL;
    if (!d || d->signo <= 0)
        return NULL;
    json_object *j = json_object_new_object();
    const char *abbrev = sigabbrev_np(d->signo);
    char name[32];
    if (abbrev)
        snprintf(name, sizeof name, "SIG%s", abbrev);
    else
        snprintf(name, sizeof name, "%d", d->signo);
    json_object_object_add(j, "number", json_object_new_int(d->signo));
    json_object_object_add(j, "name", json_object_new_string(name));
    json_object_object_add(j, "description", json_object_new_string(signal_description(d->signo)));
    json_object_object_add(j, "tid", json_object_new_int(d->tid));
    if (d->has_siginfo) {
        const char *what, *code = si_code_name(d->signo, d->code, &what);
        json_object_object_add(j, "code", json_object_new_int(d->code));
        json_object_object_add(j, "code_name", code ? json_object_new_string(code) : NULL);
    }
    if (d->has_addr) {
        char a[32];
        snprintf(a, sizeof a, "0x%" PRIx64, d->addr);
        json_object_object_add(j, "fault_address", json_object_new_string(a));
    }
    if (d->has_sender) {
        json_object_object_add(j, "sender_pid", json_object_new_int(d->sender_pid));
        json_object_object_add(j, "sender_uid", json_object_new_int64(d->sender_uid));
    }
    cd_thread *th = cd_session_thread(s);
    cd_err e = {0};
    const cd_frame *f = th && th->tid == d->tid ? cd_session_frame(s, &e) : NULL;
    if (f)
        json_object_object_add(j, "frame", cd_frame_json(f));
    return j;
}

static int select_frame(cd_session *s, long level, cd_err *err)
{
    const cd_stack *st = cd_session_stack(s, err);
    if (!st)
        return -1;
    if (level < 0 || (size_t)level >= st->n)
        return cd_fail(err, CD_EXIT_CMD, "no frame %ld: the stack has frames 0 to %zu", level, st->n ? st->n - 1 : 0);
    s->cur_frame = (int)level;
    print_selected_frame(s, &st->frames[level], true);
    return 0;
}

int cd_cmd_frame(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 2) {
        const cd_frame *f = cd_session_frame(s, err);
        if (!f)
            return -1;
        print_selected_frame(s, f, true);
        return 0;
    }
    unsigned long long v;
    if (!cd_parse_uint(argv[1], &v))
        return cd_fail(err, CD_EXIT_CMD, "frame: '%s' is not a frame number: usage: frame N", argv[1]);
    return select_frame(s, (long)v, err);
}

static int move_frame(cd_session *s, int argc, char **argv, int dir, cd_err *err)
{
    unsigned long long v = 1;
    if (argc > 1 && !cd_parse_uint(argv[1], &v))
        return cd_fail(err, CD_EXIT_CMD, "%s: '%s' is not a number of frames", argv[0], argv[1]);
    const cd_stack *st = cd_session_stack(s, err);
    if (!st)
        return -1;
    long to = s->cur_frame + dir * (long)v;
    if (to < 0) {
        if (s->cur_frame == 0)
            return cd_fail(err, CD_EXIT_CMD, "down: already at the innermost frame (#0)");
        to = 0;
    }
    if ((size_t)to >= st->n) {
        if ((size_t)s->cur_frame + 1 >= st->n)
            return cd_fail(err, CD_EXIT_CMD, "up: already at the outermost frame (#%d)", s->cur_frame);
        to = (long)st->n - 1;
    }
    return select_frame(s, to, err);
}

int cd_cmd_up(cd_session *s, int argc, char **argv, cd_err *err) { return move_frame(s, argc, argv, 1, err); }
int cd_cmd_down(cd_session *s, int argc, char **argv, cd_err *err) { return move_frame(s, argc, argv, -1, err); }

int cd_cmd_list(cd_session *s, int argc, char **argv, cd_err *err)
{
    const char *file = s->list_file;
    int center = 0, first;
    int arrow_line = 0;
    const cd_frame *f = cd_session_frame(s, err);
    if (!f)
        return -1;
    if (f->info.file && f->info.line > 0 && f->info.file == file)
        arrow_line = f->info.line;
    if (argc > 1) {
        unsigned long long v;
        const char *spec = argv[1];
        const char *colon = strrchr(spec, ':');
        if (cd_parse_uint(spec, &v)) {
            file = f->info.file;
            center = (int)v;
        } else if (colon && cd_parse_uint(colon + 1, &v)) {
            /* FILE:LINE: find the file among the frame's CU files by suffix match */
            char *fn = cd_xasprintf("%.*s", (int)(colon - spec), spec);
            file = NULL;
            if (f->info.file && (!strcmp(base_name(f->info.file), fn) || strstr(f->info.file, fn)))
                file = f->info.file;
            free(fn);
            if (!file)
                return cd_fail(err, CD_EXIT_CMD, "list: no source file matching '%s' in this frame's program", spec);
            center = (int)v;
        } else {
            uint64_t addr;
            if (cd_symtab_find_function(s->sym, spec, &addr) < 0)
                return cd_fail(err, CD_EXIT_CMD, "list: no function, line or FILE:LINE '%s'", spec);
            const cd_pcinfo *pi;
            int np = cd_symtab_lookup(s->sym, addr, &pi);
            if (np < 1 || !pi[np - 1].file)
                return cd_fail(err, CD_EXIT_CMD, "list: no line information for function %s", spec);
            file = pi[np - 1].file;
            center = pi[np - 1].line;
        }
        first = center - 5;
        arrow_line = (f->info.file == file && f->info.line > 0) ? f->info.line : 0;
    } else if (file && s->list_line > 0) {
        first = s->list_line;
    } else {
        file = f->info.file;
        if (!file || f->info.line <= 0)
            return cd_fail(err, CD_EXIT_CMD, "list: no source line for frame #%d (%s): it has no line information",
                           f->level, f->info.func ? f->info.func : "??");
        arrow_line = f->info.line;
        first = f->info.line - 5;
    }
    if (first < 1)
        first = 1;
    int nl = 0;
    char *path = cd_session_source_path(s, file);
    if (!cd_symtab_source_line(s->sym, path, first, &nl) && nl == 0) {
        int e = access(path, R_OK) == 0 ? 0 : errno;
        char *shown = strcmp(path, file) ? cd_xasprintf("%s (as %s)", file, path) : cd_xstrdup(file);
        cd_fail(err, CD_EXIT_CMD, "list: cannot read source file %s: %s; if the sources are elsewhere, "
                "`config substitute-path FROM TO` maps the path", shown, e ? strerror(e) : "it is empty");
        free(shown);
        free(path);
        return -1;
    }
    if (first > nl) {
        free(path);
        return cd_fail(err, CD_EXIT_CMD, "list: line %d is past the end of %s (%d lines)", first, base_name(file), nl);
    }
    json_object *lines = s->out.json ? json_object_new_array() : NULL;
    int last = first + 9;
    if (last > nl)
        last = nl;
    for (int l = first; l <= last; l++) {
        const char *text = cd_symtab_source_line(s->sym, path, l, &nl);
        if (lines) {
            json_object *lj = json_object_new_object();
            json_object_object_add(lj, "line", json_object_new_int(l));
            json_object_object_add(lj, "text", json_object_new_string(text ? text : ""));
            json_object_object_add(lj, "current", json_object_new_boolean(l == arrow_line));
            json_object_array_add(lines, lj);
        } else {
            cd_out_printf(&s->out, "%s%-5d %s\n", l == arrow_line ? "=> " : "   ", l, text ? text : "");
        }
    }
    if (lines) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("list"));
        json_object_object_add(j, "file", json_object_new_string(file));
        json_object_object_add(j, "lines", lines);
        cd_out_json(&s->out, j);
    }
    free(path);
    s->list_file = file;
    s->list_line = last + 1;
    return 0;
}

/* DWARF register numbers of the frame-relative registers we can show for outer frames. */
static const struct {
    const char *name;
    int dw;
    size_t off;
} regtab[] = {
#define R(n, d) {#n, d, offsetof(cd_regs, n)}
    R(rax, 0), R(rbx, 3), R(rcx, 2), R(rdx, 1), R(rsi, 4), R(rdi, 5), R(rbp, 6), R(rsp, 7),
    R(r8, 8), R(r9, 9), R(r10, 10), R(r11, 11), R(r12, 12), R(r13, 13), R(r14, 14), R(r15, 15),
    R(rip, 16), R(eflags, -1), R(cs, -1), R(ss, -1), R(ds, -1), R(es, -1), R(fs, -1), R(gs, -1),
    R(fs_base, -1), R(gs_base, -1), R(orig_rax, -1),
#undef R
};

/* `regs NAME...` (gdb's `info registers rip rax`, `$` allowed): the rows of regtab to show, in the
 * order named, as gdb shows them. */
static int regs_wanted(int argc, char **argv, size_t *order, cd_err *err)
{
    for (int a = 1; a < argc; a++) {
        const char *n = argv[a] + (argv[a][0] == '$');
        size_t i = 0;
        while (i < sizeof regtab / sizeof regtab[0] && strcmp(regtab[i].name, n) != 0)
            i++;
        if (i == sizeof regtab / sizeof regtab[0])
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                            "regs: no register '%s'; `regs` alone lists them (rax..r15, rip, eflags, segments, fs_base)",
                            argv[a]);
        order[a - 1] = i;
    }
    return 0;
}

int cd_cmd_regs(cd_session *s, int argc, char **argv, cd_err *err)
{
    size_t nreg = sizeof regtab / sizeof regtab[0], order[64];
    if (argc > 64)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "regs: at most 63 register names");
    if (argc > 1 && regs_wanted(argc, argv, order, err) < 0)
        return -1;
    if (argc > 1)
        nreg = (size_t)argc - 1;
    else
        for (size_t i = 0; i < nreg; i++)
            order[i] = i;
    cd_thread *th = cd_session_thread(s);
    const cd_frame *f = cd_session_frame(s, err);
    if (!f)
        return -1;
    cd_regs r;
    if (s->target->ops->get_regs(s->target, th, &r, err) < 0)
        return -1;
    json_object *j = s->out.json ? json_object_new_object() : NULL;
    for (size_t k = 0; k < nreg; k++) {
        size_t i = order[k];
        uint64_t v;
        bool known;
        if (f->level == 0 || f->phys == 0) {
            memcpy(&v, (const char *)&r + regtab[i].off, sizeof v);
            known = true;
        } else if (regtab[i].dw >= 0) {
            known = (f->regs_valid >> regtab[i].dw) & 1;
            v = f->regs[regtab[i].dw];
        } else {
            continue; /* not tracked per frame */
        }
        if (j) {
            json_object_object_add(j, regtab[i].name, known ? cd_json_hex(v) : NULL);
        } else if (!known) {
            cd_out_printf(&s->out, "%-10s <not saved>\n", regtab[i].name);
        } else if (regtab[i].dw == 16) {
            cd_buf b = {0};
            frame_location(f, &b);
            cd_out_printf(&s->out, "%-10s 0x%-18" PRIx64 " <%s>\n", regtab[i].name, v, cd_buf_str(&b));
            cd_buf_free(&b);
        } else {
            cd_out_printf(&s->out, "%-10s 0x%-18" PRIx64 " %" PRId64 "\n", regtab[i].name, v, (int64_t)v);
        }
    }
    if (j) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "command", json_object_new_string("regs"));
        json_object_object_add(o, "frame", json_object_new_int(f->level));
        json_object_object_add(o, "registers", j);
        cd_out_json(&s->out, o);
    }
    return 0;
}

/* `cdbg stacks`: the dump of `bt all` / `bt all -group`, each thread read as cd_unwind_unstopped
 * says (asleep: from its syscall line, never stopped; running: stopped alone, briefly). */
int cd_stacks_dump(cd_session *s, bool group, cd_read_hook hook, void *hook_arg, cd_err *err)
{
    dump_how how = {hook, hook_arg, cd_stackcache_new(s->unw, s->target, s->sym)};
    if (getenv("CDBG_TEST_STACKS_HELPER_FIRST"))
        cd_stackcache_test_helper_first(how.cache);
    size_t n;
    thread_dump *d = dump_all(s, &n, &how, err);
    if (getenv("CDBG_STACKS_TIMING")) {
        size_t replayed, full, helped;
        cd_stackcache_counts(how.cache, &replayed, &full, &helped);
        fprintf(stderr, "stacks timing: %zu stacks from the cache, %zu unwound in full; %zu read by the helper thread\n",
                replayed, full, helped);
    }
    if (!d) {
        cd_stackcache_free(how.cache);
        return -1;
    }
    if (group)
        print_groups(s, d, n, true, how.cache);
    else
        print_all(s, d, n, 0, how.cache);
    dump_free(d, n);
    /* the stacks threads share with a template are the cache's */
    cd_stackcache_free(how.cache);
    return 0;
}
