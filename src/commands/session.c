/* Session: the target being debugged plus the user's selection (thread, frame). */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"
#include "expr/expr_int.h"

void cd_session_init(cd_session *s, bool json)
{
    memset(s, 0, sizeof *s);
    cd_out_init(&s->out, json);
    s->debugdirs = cd_debugdirs_new();
    s->max_array = 200;
    s->max_string = 200;
    cd_fmtopt_init(&s->print, NULL, 0);
}

static void drop_stack(cd_session *s)
{
    cd_stack_free(&s->stack);
    s->stack_tid = 0;
}

void cd_session_close_target(cd_session *s)
{
    drop_stack(s);
    /* The target takes its breakpoint bytes out as it closes. The user's list outlives the process,
     * as gdb's does (kill, exit): the next `run` sets it again in the new one (cmd_misc.c). Only
     * the list is used from here: the target, symbols and unwinder it points to go now. */
    if (s->ctl) {
        /* processes forked and kept (follow-fork) go now, not when the list is dropped */
        cd_forked *f;
        size_t nf = cd_ctl_take_forks(s->ctl, &f);
        for (size_t i = 0; i < nf; i++)
            cd_inferior_close(f[i].inf);
        free(f);
        cd_ctl_free(s->kept_ctl);
        s->kept_ctl = s->ctl;
        s->ctl = NULL;
    }
    if (s->unw)
        cd_unwinder_free(s->unw);
    if (s->sym)
        cd_symtab_free(s->sym);
    if (s->target)
        cd_target_close(s->target);
    s->unw = NULL;
    s->sym = NULL;
    s->target = NULL;
    s->cur_thread = 0;
    s->cur_frame = 0;
    s->list_file = NULL;
    s->list_line = 0;
}

void cd_session_fini(cd_session *s)
{
    cd_inferiors_fini(s);
    cd_session_close_target(s);
    cd_ctl_free(s->kept_ctl);
    s->kept_ctl = NULL;
    cd_session_set_run_argv(s, NULL);
    if (s->values && s->values_free)
        s->values_free(s->values);
    s->values = NULL;
    cd_debugdirs_free(s->debugdirs); /* after every symtab: the targets are closed */
    s->debugdirs = NULL;
    for (size_t i = 0; i < 2 * s->nsubst; i++)
        free(s->subst[i]);
    free(s->subst);
    free(s->src_last_file);
    s->subst = NULL;
    s->nsubst = 0;
}

/* A rule applies when FROM is a whole leading path component sequence of FILE (gdb's rule:
 * "/build" maps "/build/x.c" but not "/buildx/x.c"); the longest matching FROM wins. */
char *cd_session_source_path(cd_session *s, const char *file)
{
    size_t best = SIZE_MAX, best_len = 0;
    for (size_t i = 0; i < s->nsubst; i++) {
        const char *from = s->subst[2 * i];
        size_t n = strlen(from);
        while (n > 1 && from[n - 1] == '/')
            n--;
        if (strncmp(file, from, n) == 0 && (file[n] == '/' || file[n] == 0) && n >= best_len) {
            best = i;
            best_len = n;
        }
    }
    if (best == SIZE_MAX)
        return cd_xstrdup(file);
    return cd_xasprintf("%s%s", s->subst[2 * best + 1], file + best_len);
}

bool cd_session_set_subst(cd_session *s, const char *from, const char *to)
{
    for (size_t i = 0; i < s->nsubst; i++) {
        if (strcmp(s->subst[2 * i], from) != 0)
            continue;
        if (to) {
            free(s->subst[2 * i + 1]);
            s->subst[2 * i + 1] = cd_xstrdup(to);
        } else {
            free(s->subst[2 * i]);
            free(s->subst[2 * i + 1]);
            memmove(&s->subst[2 * i], &s->subst[2 * i + 2], (2 * (s->nsubst - i - 1)) * sizeof *s->subst);
            s->nsubst--;
        }
        return true;
    }
    if (!to)
        return false;
    s->subst = cd_xrealloc(s->subst, 2 * (s->nsubst + 1) * sizeof *s->subst);
    s->subst[2 * s->nsubst] = cd_xstrdup(from);
    s->subst[2 * s->nsubst + 1] = cd_xstrdup(to);
    s->nsubst++;
    return true;
}

void cd_session_select_tid(cd_session *s, pid_t tid)
{
    for (size_t i = 0; s->target && i < s->target->nthreads; i++)
        if (s->target->threads[i]->tid == tid)
            s->cur_thread = i;
    s->cur_frame = 0;
}

void cd_session_flush_notes(cd_session *s)
{
    if (!s->sym)
        return;
    char *n;
    while ((n = cd_symtab_take_notes(s->sym)) != NULL) {
        cd_out_warn(&s->out, "%s", n);
        free(n);
    }
}

static void *preload_thread(void *arg)
{
    cd_symtab_preload(arg);
    return NULL;
}

static bool all_held(cd_target *t)
{
    for (size_t i = 0; i < t->nthreads; i++)
        if (!t->threads[i]->held && !t->threads[i]->gone)
            return false;
    return true;
}

int cd_session_set_target(cd_session *s, cd_target *t, cd_err *err)
{
    cd_session_close_target(s);
    /* `run` took what it keeps before this; another target (attach, core) starts with none */
    cd_ctl_free(s->kept_ctl);
    s->kept_ctl = NULL;
    s->target = t;
    s->program_ended = false;
    if (t->warning)
        cd_out_warn(&s->out, "%s", t->warning);
    s->sym = cd_symtab_new_dd(t, s->debugdirs, err);
    if (!s->sym)
        goto fail;
    if (!all_held(t)) {
        /* A deferred attach: stopping 1000 threads is kernel time spent waiting for wake-ups, and
         * opening the libraries' DWARF (libc6-dbg's is compressed) is CPU time we need anyway.
         * Do both at once; the preload thread owns the symtab until it is joined. */
        pthread_t pt;
        /* Fatal signals must land on this thread, the one that can detach the target. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        bool threaded = pthread_create(&pt, NULL, preload_thread, s->sym) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        int rc = cd_target_stop(t, NULL, 0, err);
        if (threaded)
            pthread_join(pt, NULL);
        if (rc < 0) {
            if (err->code == CD_EXIT_CMD)
                err->code = CD_EXIT_TARGET;
            goto fail;
        }
    }
    s->unw = cd_unwinder_new(t, s->sym, err);
    if (!s->unw)
        goto fail;
    /* breakpoint conditions and returned values are evaluated with the session's value state */
    if (!s->values) {
        s->values = cd_vstate_new();
        s->values_free = cd_values_free;
    }
    s->ctl = cd_ctl_new(t, s->sym, s->unw, s->values);
    cd_signal_target_opened(s);
    cd_inferiors_on_target(s);
    s->cur_thread = 0;
    s->cur_frame = 0;
    /* a core opens on the thread that took the fatal signal, as gdb's does */
    if (t->death.signo > 0)
        cd_session_select_tid(s, t->death.tid);
    return 0;
fail:
    cd_session_close_target(s);
    return -1;
}

cd_thread *cd_session_thread(cd_session *s)
{
    if (!s->target || s->target->nthreads == 0)
        return NULL;
    if (s->cur_thread >= s->target->nthreads)
        s->cur_thread = 0;
    return s->target->threads[s->cur_thread];
}

/* Unwinds a thread, holding it first if it is not held. The caller owns *out. */
int cd_session_unwind(cd_session *s, cd_thread *th, int max, cd_stack *out, cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (th->gone)
        return cd_fail(err, CD_EXIT_CMD, "thread %d has exited", (int)th->tid);
    /* A thread last seen in uninterruptible sleep already made a stop wait out its deadline. */
    if (!th->held && th->state != 'D') {
        cd_thread *one[1] = {th};
        if (cd_target_stop(s->target, one, 1, err) < 0)
            return -1;
    }
    if (th->held || th->gone)
        return cd_unwind_thread(s->unw, th, max, out, err);
    /* It did not stop (a vfork parent waiting for its child, a read from a hung NFS server...).
     * The kernel still says where it sleeps: unwind from its syscall's sp and pc. */
    cd_syscall_state sc;
    if (s->target->ops->syscall_state(s->target, th, &sc, err) < 0)
        return -1;
    if (sc.kind != CD_SC_BLOCKED || !sc.sp || !sc.pc)
        return cd_fail(err, CD_EXIT_CMD,
                       "cannot unwind thread %d: it did not stop (state %c) and is not in a system call; try again",
                       (int)th->tid, th->state);
    cd_out_warn(&s->out,
                "thread %d did not stop (state %c: uninterruptible sleep); its stack is read from where it sleeps in "
                "syscall %ld, with only sp and pc known",
                (int)th->tid, th->state, sc.nr);
    uint64_t regs[CD_NDWREGS] = {0};
    regs[7] = sc.sp;
    regs[16] = sc.pc;
    return cd_unwind_from_regs(s->unw, th->tid, regs, (1u << 7) | (1u << 16), max, out, err);
}

const cd_stack *cd_session_stack(cd_session *s, cd_err *err)
{
    cd_thread *th = cd_session_thread(s);
    if (!th) {
        cd_fail(err, CD_EXIT_CMD, "no threads: the process has no live threads");
        return NULL;
    }
    if (s->stack_tid == th->tid && s->stack_gen == s->target->stop_gen && s->stack.frames)
        return &s->stack;
    drop_stack(s);
    /* The selected thread's stack is shown whole, as gdb does (deep recursion included); a thread
     * dump keeps the unwinder's default cap per thread. Past this the stack says it is truncated. */
    if (cd_session_unwind(s, th, 100000, &s->stack, err) < 0)
        return NULL;
    /* inlined calls that start right at the pc, not entered yet: their call site is frame #0 */
    int skip = s->inline_skip_tid == th->tid && s->inline_skip_gen == s->target->stop_gen ? s->inline_skip : 0;
    cd_stack *st = &s->stack;
    if (skip > 0 && (size_t)skip < st->n) {
        int k = 0;
        while (k < skip && st->frames[k].info.inlined && st->frames[k].phys == st->frames[skip].phys)
            k++;
        if (k == skip) {
            memmove(st->frames, st->frames + k, (st->n - (size_t)k) * sizeof *st->frames);
            st->n -= (size_t)k;
            for (size_t i = 0; i < st->n; i++)
                st->frames[i].level -= k;
        }
    }
    s->stack_tid = th->tid;
    s->stack_gen = s->target->stop_gen;
    cd_session_flush_notes(s);
    return &s->stack;
}

const cd_frame *cd_session_frame(cd_session *s, cd_err *err)
{
    const cd_stack *st = cd_session_stack(s, err);
    if (!st)
        return NULL;
    if (st->n == 0) {
        cd_fail(err, CD_EXIT_CMD, "no frames: the thread's stack could not be unwound%s%s",
                st->error ? ": " : "", st->error ? st->error : "");
        return NULL;
    }
    if (s->cur_frame < 0 || (size_t)s->cur_frame >= st->n)
        s->cur_frame = 0;
    return &st->frames[s->cur_frame];
}

static const char *base_name(const char *p)
{
    const char *b = strrchr(p, '/');
    return b ? b + 1 : p;
}

void cd_format_frame(cd_session *s, const cd_frame *f, cd_buf *b)
{
    cd_buf_printf(b, "#%-2d ", f->level);
    if (f->info.inlined)
        cd_buf_printf(b, "%-18s ", "(inlined)");
    else
        cd_buf_printf(b, "0x%016" PRIx64 " ", f->pc);
    cd_buf_printf(b, "in %s", f->info.func ? f->info.func : "??");
    if (f->info.file && f->info.line > 0)
        cd_buf_printf(b, " at %s:%d", base_name(f->info.file), f->info.line);
    else if (f->info.module)
        cd_buf_printf(b, " from %s", f->info.module);
    else if (!f->info.func && s && s->sym && cd_symtab_pc_note(s->sym, f->pc))
        cd_buf_printf(b, " (%s)", cd_symtab_pc_note(s->sym, f->pc));
    if (f->signal_frame)
        cd_buf_puts(b, " <signal handler called>");
    if (f->patched == CD_FRAME_TRAMPOLINE)
        cd_buf_puts(b, " [in cdbg's trampoline]");
}

json_object *cd_frame_json(const cd_frame *f)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "level", json_object_new_int(f->level));
    json_object_object_add(j, "pc", cd_json_hex(f->pc));
    json_object_object_add(j, "function", cd_json_str_or_null(f->info.func));
    json_object_object_add(j, "file", cd_json_str_or_null(f->info.file));
    json_object_object_add(j, "line", f->info.line > 0 ? json_object_new_int(f->info.line) : NULL);
    json_object_object_add(j, "module", cd_json_str_or_null(f->info.module));
    json_object_object_add(j, "inlined", json_object_new_boolean(f->info.inlined));
    if (f->signal_frame)
        json_object_object_add(j, "signal_frame", json_object_new_boolean(1));
    if (f->tailcall) /* gdb's "tail call frame": rebuilt from DWARF call sites, left by a jump */
        json_object_object_add(j, "tail_call", json_object_new_boolean(1));
    if (f->patched)
        json_object_object_add(j, "cdbg_patch",
                               json_object_new_string(f->patched == CD_FRAME_TRAMPOLINE ? "trampoline" : "return"));
    return j;
}

static char *trim(char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\n' || p[n - 1] == '\r'))
        p[--n] = 0;
    return p;
}

int cd_session_exec(cd_session *s, const char *line, cd_err *err)
{
    char *copy = cd_xstrdup(line);
    char *l = trim(copy);
    if (!*l || *l == '#') {
        free(copy);
        return 0;
    }
    /* gdb's `x/4xg` and `print/x` glue the format to the command word. */
    size_t wl = strcspn(l, " \t/");
    char *word = cd_xasprintf("%.*s", (int)wl, l);
    const char *rest = l + wl;
    const cd_command *c = cd_command_find(word);
    int rc = 0;
    char **argv = NULL;
    if (!c) {
        rc = cd_fail(err, CD_EXIT_CMD, "unknown command '%s': type `help` for the list of commands", word);
        goto out;
    }
    if ((c->flags & CD_CMD_RUNS) && !s->target && s->program_ended) {
        rc = cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "%s: the program is not running; `restart` starts it again",
                      c->name);
        goto out;
    }
    if ((c->flags & CD_CMD_TARGET) && !s->target) {
        rc = cd_fail(err, CD_EXIT_CMD, "%s: no target: open one with `attach PID` or `core EXE CORE` (or start cdbg with `cdbg run PROG`)",
                     c->name);
        goto out;
    }
    /* argv[0] keeps a glued /FMT suffix ("print/x") so the command sees it. */
    char *rebuilt = cd_xasprintf("%s%s", word, rest);
    int argc = cd_split_args(rebuilt, &argv);
    free(rebuilt);
    if (argc < 0 && (c->flags & CD_CMD_RAW)) {
        argv = cd_xcalloc(2, sizeof *argv);
        argv[0] = cd_xstrdup(word);
        argc = 1;
    }
    if (argc < 0) {
        rc = cd_fail(err, CD_EXIT_CMD, "%s: unterminated quote in the command line: close the quote and retry", c->name);
        goto out;
    }
    if (argc > 0 && rest[0] == '/') {
        /* the splitter already kept "print/x" together as argv[0] */
    }
    const char *raw = rest;
    if (*raw == '/')
        raw += strcspn(raw, " \t");
    while (*raw == ' ' || *raw == '\t')
        raw++;
    s->raw_args = raw;
    s->cmd_name = c->name;
    rc = c->fn(s, argc, argv, err);
    s->raw_args = NULL;
    if (rc < 0 && err->code == 0)
        err->code = CD_EXIT_CMD;
out:
    cd_argv_free(argv);
    free(word);
    free(copy);
    return rc;
}

/* ---- function calls in the target (cd_scope.call) ---- */

static int session_call(void *arg, cd_ectx *x, uint64_t fn, cd_type *ret, struct cd_value *args, int nargs,
                        struct cd_value *out)
{
    cd_session *s = arg;
    cd_thread *th = x->th ? x->th : cd_session_thread(s);
    s->running = s->target; /* ^C abandons the call (cmd/cdbg.c) */
    int rc = cd_ctl_call(s->ctl, th, x, fn, ret, args, nargs, out, x->err);
    s->running = NULL;
    return rc;
}

void cd_session_call_hook(cd_session *s, cd_scope *sc)
{
    if (s->target && s->ctl) {
        sc->call = session_call;
        sc->call_arg = s;
    }
}
