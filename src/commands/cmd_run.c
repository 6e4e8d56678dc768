/* Execution control commands: continue, break/tbreak (conditions, hit counts), breakpoints, clear,
 * condition, stepout/finish, the steps (next, step, stepi, nexti, until, advance) and `cdbg run`'s
 * first stop. They parse arguments, call src/control and render what it returns (render.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"

/* ---- breakpoints ---- */

cd_bp *cd_bp_arg(cd_session *s, const char *arg, const char *cmd, cd_err *err)
{
    unsigned long long id;
    if (!cd_parse_uint(arg, &id)) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: '%s' is not a breakpoint number; `breakpoints` lists them", cmd,
                 arg);
        return NULL;
    }
    cd_bp *b = id <= 0x7fffffff ? cd_ctl_bp_find(s->ctl, (int)id) : NULL;
    if (!b || b->kind == CD_BPK_INTERNAL) {
        cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "%s: no breakpoint %llu; `breakpoints` lists them", cmd, id);
        return NULL;
    }
    return b;
}

/* Splits "LOCATION if COND": the first word "if" after the location. */
void cd_split_if(const char *args, char **loc, char **cond)
{
    const char *p = args;
    *cond = NULL;
    for (const char *q = args; *q; q++) {
        if ((q == args || isspace((unsigned char)q[-1])) && !strncmp(q, "if", 2) &&
            (q[2] == 0 || isspace((unsigned char)q[2]))) {
            const char *c = q + 2;
            while (isspace((unsigned char)*c))
                c++;
            *cond = cd_xstrdup(c);
            p = q;
            break;
        }
    }
    size_t len = *cond ? (size_t)(p - args) : strlen(args);
    while (len && isspace((unsigned char)args[len - 1]))
        len--;
    *loc = cd_xasprintf("%.*s", (int)len, args);
}

static int set_break(cd_session *s, bool temp, cd_err *err)
{
    const char *cmd = temp ? "tbreak" : "break";
    const char *args = s->raw_args ? s->raw_args : "";
    unsigned flags = 0;
    if (!strncmp(args, "-pending", 8) && (!args[8] || isspace((unsigned char)args[8]))) {
        /* kept when no loaded module has it yet (cmd_bp.c's docs, solib.c) */
        flags = CD_BPF_PENDING_OK;
        args += 8 + strspn(args + 8, " \t");
        if (!*args)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: -pending needs a location: %s -pending FUNC", cmd, cmd);
    }
    char *loc, *cond;
    cd_split_if(args, &loc, &cond);
    if (cond && !*cond) {
        free(loc);
        free(cond);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: `if` needs a condition: break LOCATION if EXPR", cmd);
    }
    cd_scope sc;
    cd_session_scope(s, &sc);
    char *note = NULL;
    cd_bp *b = cd_ctl_break_flags(s->ctl, &sc, cmd, loc, temp ? CD_BPK_TEMP : CD_BPK_USER, cond, flags, &note, err);
    if (!b && err->kind == CD_EK_NOT_FOUND && !(flags & CD_BPF_PENDING_OK) && s->ask && !s->out.json &&
        cd_ctl_bp_pendable(s->ctl, loc)) {
        /* at a terminal, gdb's query (its default no): yes keeps it for a library loaded later */
        cd_out_warn(&s->out, "%s", err->msg);
        if (s->ask(s, "Make breakpoint pending on future shared library load? (y or [n]) ")) {
            cd_err_clear(err);
            b = cd_ctl_break_flags(s->ctl, &sc, cmd, loc, temp ? CD_BPK_TEMP : CD_BPK_USER, cond, CD_BPF_PENDING_OK,
                                   &note, err);
        } else {
            cd_err_clear(err);
            free(loc);
            free(cond);
            return 0; /* answered no: nothing set, as gdb */
        }
    }
    if (note) {
        cd_out_warn(&s->out, "%s", note);
        free(note);
    }
    free(loc);
    free(cond);
    if (!b)
        return -1;
    cd_render_bp_set(s, cmd, b);
    return 0;
}

int cd_cmd_break(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc, (void)argv;
    return set_break(s, false, err);
}

int cd_cmd_tbreak(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc, (void)argv;
    return set_break(s, true, err);
}

int cd_cmd_breakpoints(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "breakpoints: takes no arguments");
    cd_render_bps(s);
    return 0;
}

static void delete_bp(cd_session *s, cd_bp *b)
{
    cd_err e;
    if (cd_ctl_bp_delete(s->ctl, b, &e) < 0)
        cd_out_warn(&s->out, "%s", e.msg);
}

int cd_cmd_clear(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 2)
        return cd_fail(err, CD_EXIT_CMD, "clear: which breakpoint? `clear N [N...]` or `clear all`");
    int cleared = 0;
    if (argc == 2 && !strcmp(argv[1], "all")) {
        cd_bp **bps;
        size_t n;
        while ((n = cd_ctl_bps(s->ctl, &bps)) > 0) {
            delete_bp(s, bps[n - 1]);
            cleared++;
        }
    } else {
        /* check every number first, so a typo deletes nothing */
        for (int i = 1; i < argc; i++)
            if (!cd_bp_arg(s, argv[i], "clear", err))
                return -1;
        for (int i = 1; i < argc; i++) {
            cd_bp *b = cd_bp_arg(s, argv[i], "clear", err);
            if (b) {
                delete_bp(s, b);
                cleared++;
            }
        }
        cd_err_clear(err);
    }
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("clear"));
        json_object_object_add(j, "cleared", json_object_new_int(cleared));
        cd_out_json(&s->out, j);
    } else {
        cd_out_printf(&s->out, "Cleared %d breakpoint%s\n", cleared, cleared == 1 ? "" : "s");
    }
    return 0;
}

int cd_cmd_condition(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 2)
        return cd_fail(err, CD_EXIT_CMD, "condition: usage: %s", cd_command_find("condition")->usage);
    bool hitcount = !strcmp(argv[1], "-hitcount");
    cd_bp *b = cd_bp_arg(s, argv[hitcount ? 2 : 1], "condition", err);
    if (hitcount && argc < 3)
        return cd_fail(err, CD_EXIT_CMD, "condition: usage: %s", cd_command_find("condition")->usage);
    if (!b)
        return -1;
    if (hitcount) {
        static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">=", "%"};
        if (argc == 3) {
            b->hit_op[0] = 0;
        } else {
            bool ok = argc == 5;
            size_t k = 0;
            for (; ok && k < sizeof ops / sizeof *ops && strcmp(ops[k], argv[3]); k++)
                ;
            unsigned long long v = 0;
            if (!ok || k == sizeof ops / sizeof *ops || !cd_parse_uint(argv[4], &v) || (!strcmp(argv[3], "%") && v == 0))
                return cd_fail(err, CD_EXIT_CMD,
                               "condition -hitcount: expected N OP VALUE with OP one of == != < <= > >= %% "
                               "(%% VALUE: every VALUE-th hit), e.g. condition -hitcount %d >= 3",
                               b->id);
            snprintf(b->hit_op, sizeof b->hit_op, "%s", ops[k]);
            b->hit_val = (unsigned long)v;
        }
    } else {
        /* the condition is the unsplit text after the number (quotes and spaces kept) */
        const char *c = s->raw_args ? s->raw_args : "";
        while (isspace((unsigned char)*c))
            c++;
        c += strcspn(c, " \t");
        while (isspace((unsigned char)*c))
            c++;
        if (*c) {
            cd_scope sc;
            cd_session_scope(s, &sc);
            if (cd_ctl_check_cond(s->ctl, &sc, "condition", c, err) < 0)
                return -1;
        }
        free(b->cond);
        b->cond = *c ? cd_xstrdup(c) : NULL;
    }
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("condition"));
        json_object_object_add(j, "id", json_object_new_int(b->id));
        json_object_object_add(j, "condition", cd_json_str_or_null(b->cond));
        cd_out_json(&s->out, j);
    }
    return 0;
}

/* ---- running ---- */

/* While the target runs, ^C interrupts it (cmd/cdbg.c's handler reads s->running). */
#define RUNNING(s, call)                                                                                               \
    ({                                                                                                                 \
        (s)->running = (s)->target;                                                                                    \
        int rc_ = (call);                                                                                              \
        (s)->running = NULL;                                                                                           \
        rc_;                                                                                                           \
    })

int cd_cmd_continue(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "continue: takes no arguments");
    cd_stop st;
    if (RUNNING(s, cd_ctl_continue(s->ctl, &st, err)) < 0) {
        cd_stop_free(&st);
        return -1;
    }
    cd_render_stop(s, "continue", &st, err);
    cd_stop_free(&st);
    return 0;
}

int cd_cmd_stepout(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "stepout: takes no arguments; `frame N` then `stepout` leaves frame N");
    const cd_frame *f = cd_session_frame(s, err);
    if (!f)
        return -1;
    cd_scope sc;
    cd_session_scope(s, &sc);
    if (cd_ctl_finish_check(s->ctl, &sc, s->cur_frame, err) < 0)
        return -1;
    if (!s->out.json)
        cd_out_printf(&s->out, "Run till exit from #%d %s\n", f->level, f->info.func ? f->info.func : "??");
    cd_stop st;
    if (RUNNING(s, cd_ctl_finish(s->ctl, &sc, s->cur_frame, &st, err)) < 0) {
        cd_stop_free(&st);
        return -1;
    }
    cd_render_finish(s, "stepout", &st, err);
    cd_stop_free(&st);
    return 0;
}

/* ---- stepping ---- */

/* A line step over a call that forked, with follow-fork child: the session is now in the child,
 * which stands inside the fork call. As gdb, the step goes on there: back to the stepping frame
 * (the one with CFA cfa, the same in the child's copy of the stack), and on to the next line. *st
 * becomes the child's stop; it stays the fork stop when the child cannot be followed that far. */
static void step_in_child(cd_session *s, const char *name, cd_step_kind kind, uint64_t cfa, cd_stop *st)
{
    pid_t was = s->target ? s->target->pid : 0;
    cd_inferiors_settle(s, name, st); /* takes the fork: the child becomes current, as gdb says */
    if (!s->target || s->target->pid == was || st->reason != CD_STOP_FORK)
        return;
    cd_err e;
    const cd_stack *stk = cd_session_stack(s, &e);
    if (!stk)
        return;
    size_t level = 0;
    while (level < stk->n && stk->frames[level].cfa != cfa)
        level++;
    if (level == 0 || level >= stk->n)
        return; /* already in the stepping frame, or it is not on the child's stack */
    /* finish the call the stepping frame made (the outermost frame inside it) */
    int inner = stk->frames[level - 1].level;
    cd_scope sc;
    cd_session_scope(s, &sc);
    cd_stop fin;
    if (RUNNING(s, cd_ctl_finish(s->ctl, &sc, inner, &fin, &e)) < 0) {
        cd_stop_free(&fin);
        return;
    }
    if (fin.reason != CD_STOP_FINISHED) {
        /* something else stopped the child first (a breakpoint, its end): that is the news */
        cd_stop_free(st);
        *st = fin;
        return;
    }
    cd_stop_free(&fin);
    cd_stop next;
    if (RUNNING(s, cd_ctl_step(s->ctl, cd_session_thread(s), kind, 1, &next, &e)) < 0) {
        cd_stop_free(&next);
        return;
    }
    cd_stop_free(st);
    *st = next;
}

static int step_cmd(cd_session *s, int argc, char **argv, cd_step_kind kind, const char *name, cd_err *err)
{
    unsigned long long count = 1;
    if (argc > 2 || (argc == 2 && (!cd_parse_uint(argv[1], &count) || count == 0 || count > 1000000)))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: usage: %s [COUNT] (COUNT a positive number of %s)", name,
                        name, kind == CD_STEP_INSN_INTO || kind == CD_STEP_INSN_OVER ? "instructions" : "lines");
    cd_thread *th = cd_session_thread(s);
    /* the stepping frame's CFA: a forked child followed in the middle of the step has it too */
    uint64_t cfa = 0;
    cd_err fe;
    const cd_stack *stk = th && cd_ctl_fork_policy(s->ctl).follow_child ? cd_session_stack(s, &fe) : NULL;
    if (stk && stk->n > 0)
        cfa = stk->frames[0].cfa;
    cd_stop st;
    if (RUNNING(s, cd_ctl_step(s->ctl, th, kind, (int)count, &st, err)) < 0) {
        cd_stop_free(&st);
        return -1;
    }
    if (st.reason == CD_STOP_FORK && cfa && (kind == CD_STEP_LINE_OVER || kind == CD_STEP_LINE_INTO))
        step_in_child(s, name, kind, cfa, &st);
    cd_render_stop(s, name, &st, err);
    cd_stop_free(&st);
    return 0;
}

int cd_cmd_next(cd_session *s, int argc, char **argv, cd_err *err)
{
    return step_cmd(s, argc, argv, CD_STEP_LINE_OVER, "next", err);
}

int cd_cmd_step(cd_session *s, int argc, char **argv, cd_err *err)
{
    return step_cmd(s, argc, argv, CD_STEP_LINE_INTO, "step", err);
}

int cd_cmd_stepi(cd_session *s, int argc, char **argv, cd_err *err)
{
    return step_cmd(s, argc, argv, CD_STEP_INSN_INTO, "stepi", err);
}

int cd_cmd_nexti(cd_session *s, int argc, char **argv, cd_err *err)
{
    return step_cmd(s, argc, argv, CD_STEP_INSN_OVER, "nexti", err);
}

/* until LOCATION / advance LOCATION */
static int run_to_cmd(cd_session *s, const char *name, bool same_frame, cd_err *err)
{
    const char *spec = s->raw_args ? s->raw_args : "";
    if (!*spec)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: which location? %s LOCATION (FUNC, FILE:LINE, LINE...)",
                        name, name);
    if (!s->target->caps.can_run)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot %s: the target is a core file", name);
    cd_scope sc;
    cd_session_scope(s, &sc);
    cd_resolved r;
    if (cd_ctl_resolve(s->ctl, &sc, name, spec, &r, err) < 0)
        return -1;
    if (r.note)
        cd_out_warn(&s->out, "%s", r.note);
    cd_stop st;
    int rc = RUNNING(s, cd_ctl_run_to(s->ctl, cd_session_thread(s), r.addrs, r.n, same_frame, &st, err));
    cd_resolved_free(&r);
    if (rc == 0)
        cd_render_stop(s, name, &st, err);
    cd_stop_free(&st);
    return rc;
}

int cd_cmd_until(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc == 1)
        return step_cmd(s, argc, argv, CD_STEP_UNTIL, "until", err);
    return run_to_cmd(s, "until", true, err);
}

int cd_cmd_advance(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc, (void)argv;
    return run_to_cmd(s, "advance", false, err);
}

/* ---- cdbg run ---- */

int cd_session_start(cd_session *s, cd_err *err)
{
    return cd_session_start_as(s, "run", CD_EXIT_TARGET, err);
}

int cd_session_start_as(cd_session *s, const char *cmd, int fail_code, cd_err *err)
{
    cd_target *t = s->target;
    cd_stop st;
    const char *where;
    int rc = RUNNING(s, cd_ctl_start(s->ctl, &st, &where, err));
    cd_err e2;
    if (cd_symtab_refresh(s->sym, &e2) < 0)
        cd_out_warn(&s->out, "%s", e2.msg);
    const char *sym = !strcmp(where, "main") ? "main" : "the entry point";
    if (strcmp(where, "main") != 0)
        cd_out_warn(&s->out, "no `main` symbol (a stripped program?): stopping at the entry point");
    if (!strcmp(where, "exec"))
        cd_out_warn(&s->out, "no `main` and no entry point found: stopped right after exec");
    if (rc < 0) {
        cd_stop_free(&st);
        return -1;
    }
    if (st.reason == CD_STOP_EXITED) {
        cd_stop_free(&st);
        return cd_fail(err, fail_code, "the program exited with status %d before reaching %s", st.status, sym);
    }
    if (st.reason == CD_STOP_KILLED) {
        int sig = st.sig;
        cd_stop_free(&st);
        return cd_fail(err, fail_code, "the program was killed by signal %d (%s) before reaching %s", sig,
                       strsignal(sig), sym);
    }
    if (st.reason != CD_STOP_LOCATION && st.reason != CD_STOP_NONE)
        cd_out_warn(&s->out, "the program stopped before reaching %s (%s)", sym,
                    st.reason == CD_STOP_SIGNAL ? strsignal(st.sig) : "interrupted");
    if (st.reason != CD_STOP_NONE)
        cd_session_select_tid(s, st.tid);
    cd_stop_free(&st);
    const cd_frame *f = cd_session_frame(s, err);
    if (s->out.json) {
        /* the same shape as `continue`'s stop events, so a client reads one kind of line */
        cd_thread *th = cd_session_thread(s);
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "event", json_object_new_string("started"));
        json_object_object_add(j, "stopped_at", json_object_new_string(where));
        json_object_object_add(j, "pid", json_object_new_int(t->pid));
        json_object_object_add(j, "tid", json_object_new_int(th ? th->tid : t->pid));
        json_object_object_add(j, "frame", f ? cd_frame_json(f) : NULL);
        cd_out_json(&s->out, j);
    } else if (f) {
        cd_buf b = {0};
        cd_format_frame(s, f, &b);
        cd_out_printf(&s->out, "Stopped: %s\n", cd_buf_str(&b));
        cd_buf_free(&b);
    }
    cd_err_clear(err);
    return 0;
}
