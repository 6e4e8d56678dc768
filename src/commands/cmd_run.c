/* Execution control: continue, break/tbreak (conditions, hit counts), breakpoints, clear,
 * condition, stepout/finish (with the return value).
 *
 * Breakpoints belong to the session (one list per target); the target only plants and removes
 * int3 bytes, one per address however many breakpoints share it. Conditions are C expressions
 * (src/expr) evaluated in the hitting thread's innermost frame while every thread is held. */
#include "expr/expr.h"
#include "expr/expr_int.h"

#include <ctype.h>
#include <dwarf.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/user.h>

#include "commands/cmd_impl.h"

#define DW_RSP 7

/* ---- breakpoint bookkeeping ---- */

static bool addr_used(cd_session *s, uint64_t addr, const cd_bp *except)
{
    for (size_t i = 0; i < s->nbps; i++)
        if (&s->bps[i] != except)
            for (size_t k = 0; k < s->bps[i].naddrs; k++)
                if (s->bps[i].addrs[k] == addr)
                    return true;
    return false;
}

static cd_bp *bp_at(cd_session *s, uint64_t addr)
{
    for (size_t i = 0; i < s->nbps; i++)
        for (size_t k = 0; k < s->bps[i].naddrs; k++)
            if (s->bps[i].addrs[k] == addr)
                return &s->bps[i];
    return NULL;
}

static cd_bp *bp_by_id(cd_session *s, const char *arg, const char *cmd, cd_err *err)
{
    unsigned long long id;
    if (!cd_parse_uint(arg, &id)) {
        cd_fail(err, CD_EXIT_CMD, "%s: '%s' is not a breakpoint number; `breakpoints` lists them", cmd, arg);
        return NULL;
    }
    for (size_t i = 0; i < s->nbps; i++)
        if ((unsigned long long)s->bps[i].id == id)
            return &s->bps[i];
    cd_fail(err, CD_EXIT_CMD, "%s: no breakpoint %llu; `breakpoints` lists them", cmd, id);
    return NULL;
}

/* Takes b's int3s out (those no other breakpoint shares) and drops it from the list. */
static void bp_delete(cd_session *s, cd_bp *b)
{
    for (size_t k = 0; k < b->naddrs; k++)
        if (!addr_used(s, b->addrs[k], b)) {
            cd_err e;
            if (s->target->ops->remove_breakpoint(s->target, b->addrs[k], &e) < 0)
                cd_out_warn(&s->out, "%s", e.msg);
        }
    cd_bp_free(b);
    size_t i = (size_t)(b - s->bps);
    memmove(&s->bps[i], &s->bps[i + 1], (s->nbps - i - 1) * sizeof *s->bps);
    s->nbps--;
}

/* "func at file:line" (or "func+off from module", or the address) for one breakpoint address. */
static void where_text(cd_session *s, uint64_t addr, cd_buf *b)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(s->sym, addr, &pi);
    if (n < 1 || !pi[0].func) {
        cd_buf_printf(b, "0x%llx", (unsigned long long)addr);
        return;
    }
    cd_buf_puts(b, pi[0].func);
    if (pi[0].file && pi[0].line > 0) {
        const char *base = strrchr(pi[0].file, '/');
        cd_buf_printf(b, " at %s:%d", base ? base + 1 : pi[0].file, pi[0].line);
    } else if (pi[n - 1].module) {
        cd_buf_printf(b, " from %s", pi[n - 1].module);
    }
}

static json_object *where_json(cd_session *s, uint64_t addr)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "address", cd_json_hex(addr));
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(s->sym, addr, &pi);
    json_object_object_add(j, "function", cd_json_str_or_null(n > 0 ? pi[0].func : NULL));
    json_object_object_add(j, "file", cd_json_str_or_null(n > 0 ? pi[0].file : NULL));
    json_object_object_add(j, "line", n > 0 && pi[0].line > 0 ? json_object_new_int(pi[0].line) : NULL);
    return j;
}

/* ---- locations ---- */

/* FUNC (past its prologue), FILE:LINE, LINE (in the selected frame's file), *EXPR (exactly
 * there), or nothing (the selected frame's pc). */
static int resolve(cd_session *s, const char *cmd, const char *spec, uint64_t **addrs, size_t *n, cd_err *err)
{
    *addrs = NULL;
    *n = 0;
    if (!*spec || *spec == '*') {
        uint64_t a;
        if (!*spec) {
            const cd_frame *f = cd_session_frame(s, err);
            if (!f)
                return -1;
            a = f->pc;
        } else {
            cd_arena ar = {0};
            cd_ectx x;
            cd_session_ectx(&x, s, &ar, err);
            cd_value v;
            __int128 i = 0;
            int rc = cd_eval_string(&x, spec + 1, &v);
            if (rc == 0) {
                cd_type *t = cd_type_strip(v.type);
                if (t->kind == TY_FUNC && v.where == V_MEM)
                    i = (__int128)v.addr;
                else
                    rc = cd_value_int(&x, &v, &i);
            }
            cd_arena_free(&ar);
            if (rc != 0)
                return -1;
            a = (uint64_t)i;
        }
        *addrs = cd_xmalloc(sizeof **addrs);
        (*addrs)[0] = a;
        *n = 1;
        return 0;
    }
    const char *colon = strrchr(spec, ':');
    const char *num = colon ? colon + 1 : spec;
    bool is_line = *num && strspn(num, "0123456789") == strlen(num);
    if (is_line) {
        unsigned long long line;
        if (!cd_parse_uint(num, &line) || line == 0 || line > 10000000)
            return cd_fail(err, CD_EXIT_CMD, "%s: '%s' is not a line number", cmd, num);
        char *file;
        if (colon) {
            file = cd_xasprintf("%.*s", (int)(colon - spec), spec);
        } else {
            const cd_frame *f = cd_session_frame(s, err);
            if (!f || !f->info.file) {
                if (f)
                    cd_fail(err, CD_EXIT_CMD, "%s: frame #%d has no source file; say which: %s FILE:%s", cmd, f->level, cmd, num);
                return -1;
            }
            file = cd_xstrdup(f->info.file);
        }
        int found;
        int rc = cd_symtab_line_addrs(s->sym, file, (int)line, addrs, n, &found);
        if (rc < 0)
            cd_fail(err, CD_EXIT_CMD, "%s: no code at or after line %llu of %s in the program or its libraries", cmd, line, file);
        else if (found != (int)line)
            cd_out_warn(&s->out, "line %llu of %s has no code: using line %d", line, file, found);
        free(file);
        return rc;
    }
    uint64_t a;
    if (cd_symtab_find_function(s->sym, spec, &a) < 0)
        return cd_fail(err, CD_EXIT_CMD,
                       "%s: no function '%s' in the program or its loaded libraries; locations are FUNC, "
                       "FILE:LINE, LINE or *ADDRESS",
                       cmd, spec);
    *addrs = cd_xmalloc(sizeof **addrs);
    (*addrs)[0] = cd_symtab_skip_prologue(s->sym, a);
    *n = 1;
    return 0;
}

/* Splits "LOCATION if COND": the first word "if" after the location. */
static void split_if(const char *args, char **loc, char **cond)
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

static int check_cond_syntax(cd_session *s, const char *cond, const char *cmd, cd_err *err)
{
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_expr *e = cd_expr_parse(&ar, cond, cd_ectx_is_typename, &x, err);
    cd_arena_free(&ar);
    if (!e) {
        char *m = cd_xstrdup(err->msg);
        cd_fail(err, CD_EXIT_CMD, "%s: condition '%s': %s", cmd, cond, m);
        free(m);
        return -1;
    }
    return 0;
}

static int set_break(cd_session *s, bool temp, cd_err *err)
{
    const char *cmd = temp ? "tbreak" : "break";
    char *loc, *cond;
    split_if(s->raw_args ? s->raw_args : "", &loc, &cond);
    if (cond && !*cond) {
        free(loc);
        free(cond);
        return cd_fail(err, CD_EXIT_CMD, "%s: `if` needs a condition: break LOCATION if EXPR", cmd);
    }
    if (cond && check_cond_syntax(s, cond, cmd, err) < 0) {
        free(loc);
        free(cond);
        return -1;
    }
    uint64_t *addrs;
    size_t n;
    if (resolve(s, cmd, loc, &addrs, &n, err) < 0) {
        free(loc);
        free(cond);
        return -1;
    }
    size_t planted = 0;
    for (; planted < n; planted++)
        if (!addr_used(s, addrs[planted], NULL) &&
            s->target->ops->insert_breakpoint(s->target, addrs[planted], err) < 0)
            break;
    if (planted < n) {
        for (size_t k = 0; k < planted; k++)
            if (!addr_used(s, addrs[k], NULL)) {
                cd_err e;
                s->target->ops->remove_breakpoint(s->target, addrs[k], &e);
            }
        free(addrs);
        free(loc);
        free(cond);
        return -1;
    }
    s->bps = cd_xrealloc(s->bps, (s->nbps + 1) * sizeof *s->bps);
    cd_bp *b = &s->bps[s->nbps++];
    memset(b, 0, sizeof *b);
    b->id = ++s->next_bp_id;
    b->spec = loc;
    b->cond = cond;
    b->addrs = addrs;
    b->naddrs = n;
    b->temp = temp;
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "id", json_object_new_int(b->id));
        json_object *la = json_object_new_array();
        for (size_t k = 0; k < n; k++)
            json_object_array_add(la, where_json(s, addrs[k]));
        json_object_object_add(j, "locations", la);
        json_object_object_add(j, "condition", cd_json_str_or_null(cond));
        cd_out_json(&s->out, j);
    } else {
        cd_buf w = {0};
        where_text(s, addrs[0], &w);
        cd_out_printf(&s->out, "%s %d at 0x%llx: %s", temp ? "Temporary breakpoint" : "Breakpoint", b->id,
                      (unsigned long long)addrs[0], cd_buf_str(&w));
        if (n > 1)
            cd_out_printf(&s->out, " (and %zu more location%s)", n - 1, n == 2 ? "" : "s");
        if (cond)
            cd_out_printf(&s->out, " if %s", cond);
        cd_out_printf(&s->out, "\n");
        cd_buf_free(&w);
    }
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
    json_object *arr = s->out.json ? json_object_new_array() : NULL;
    if (!arr && s->nbps == 0)
        cd_out_printf(&s->out, "No breakpoints.\n");
    for (size_t i = 0; i < s->nbps; i++) {
        cd_bp *b = &s->bps[i];
        if (arr) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "id", json_object_new_int(b->id));
            json_object_object_add(j, "spec", json_object_new_string(b->spec));
            json_object_object_add(j, "temporary", json_object_new_boolean(b->temp));
            json_object_object_add(j, "hits", json_object_new_int64((int64_t)b->hits));
            json_object_object_add(j, "condition", cd_json_str_or_null(b->cond));
            if (b->hit_op[0]) {
                char hc[64];
                snprintf(hc, sizeof hc, "%s %lu", b->hit_op, b->hit_val);
                json_object_object_add(j, "hitcount_condition", json_object_new_string(hc));
            }
            json_object *la = json_object_new_array();
            for (size_t k = 0; k < b->naddrs; k++)
                json_object_array_add(la, where_json(s, b->addrs[k]));
            json_object_object_add(j, "locations", la);
            json_object_array_add(arr, j);
            continue;
        }
        cd_out_printf(&s->out, "Breakpoint %d%s (%s), hit %lu time%s", b->id, b->temp ? " [temporary]" : "", b->spec,
                      b->hits, b->hits == 1 ? "" : "s");
        if (b->cond)
            cd_out_printf(&s->out, ", if %s", b->cond);
        if (b->hit_op[0])
            cd_out_printf(&s->out, ", when hits %s %lu", b->hit_op, b->hit_val);
        cd_out_printf(&s->out, "\n");
        for (size_t k = 0; k < b->naddrs; k++) {
            cd_buf w = {0};
            where_text(s, b->addrs[k], &w);
            cd_out_printf(&s->out, "    0x%016llx in %s\n", (unsigned long long)b->addrs[k], cd_buf_str(&w));
            cd_buf_free(&w);
        }
    }
    if (arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("breakpoints"));
        json_object_object_add(j, "breakpoints", arr);
        cd_out_json(&s->out, j);
    }
    return 0;
}

int cd_cmd_clear(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 2)
        return cd_fail(err, CD_EXIT_CMD, "clear: which breakpoint? `clear N [N...]` or `clear all`");
    int cleared = 0;
    if (argc == 2 && !strcmp(argv[1], "all")) {
        while (s->nbps) {
            bp_delete(s, &s->bps[s->nbps - 1]);
            cleared++;
        }
    } else {
        /* check every number first, so a typo deletes nothing */
        for (int i = 1; i < argc; i++)
            if (!bp_by_id(s, argv[i], "clear", err))
                return -1;
        for (int i = 1; i < argc; i++) {
            cd_bp *b = bp_by_id(s, argv[i], "clear", err);
            if (b) {
                bp_delete(s, b);
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
    cd_bp *b = bp_by_id(s, argv[hitcount ? 2 : 1], "condition", err);
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
        if (*c && check_cond_syntax(s, c, "condition", err) < 0)
            return -1;
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

static bool hit_cond_ok(const cd_bp *b)
{
    unsigned long h = b->hits, v = b->hit_val;
    const char *op = b->hit_op;
    if (!op[0])
        return true;
    if (!strcmp(op, "=="))
        return h == v;
    if (!strcmp(op, "!="))
        return h != v;
    if (!strcmp(op, "<"))
        return h < v;
    if (!strcmp(op, "<="))
        return h <= v;
    if (!strcmp(op, ">"))
        return h > v;
    if (!strcmp(op, ">="))
        return h >= v;
    return h % v == 0;
}

/* Evaluates b's condition in the selected (hitting) thread. 1 true, 0 false, -1 error (err). */
static int eval_cond(cd_session *s, const cd_bp *b, cd_err *err)
{
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_value v;
    int rc = -1;
    if (cd_eval_string(&x, b->cond, &v) == 0) {
        cd_type *t = cd_type_strip(v.type);
        if (t->kind == TY_FLOAT) {
            long double d;
            if (cd_value_float(&x, &v, &d) == 0)
                rc = d != 0;
        } else {
            __int128 i;
            if (cd_value_int(&x, &v, &i) == 0)
                rc = i != 0;
        }
    }
    cd_arena_free(&ar);
    return rc;
}

/* What stopped a run: the event, and the breakpoint when one of the user's did. */
typedef struct stop_info {
    cd_event ev;
    cd_bp *bp;
    int bp_id;           /* b->id, still valid after a temporary breakpoint is deleted */
    unsigned long hits;
    char *cond_error;    /* a condition that could not be evaluated stops the program */
    bool returned;       /* stepout: the frame returned */
} stop_info;

typedef struct stepout_ctx {
    uint64_t ret;        /* the return address a temporary int3 sits on */
    uint64_t cfa;        /* the frame's CFA: back in the caller, sp >= cfa */
    pid_t tid;
} stepout_ctx;

static int run_loop(cd_session *s, const stepout_ctx *so, stop_info *si, cd_err *err)
{
    cd_target *t = s->target;
    for (;;) {
        /* a ^C that landed since the last stop makes cont run nothing and wait say so */
        if (t->ops->cont(t, err) < 0)
            return -1;
        int rc = t->ops->wait(t, &si->ev, err);
        if (rc < 0)
            return -1;
        if (si->ev.kind != CD_EV_BREAKPOINT)
            return 0;
        cd_session_select_tid(s, si->ev.tid);
        cd_bp *b = bp_at(s, si->ev.addr);
        if (so && si->ev.addr == so->ret && si->ev.tid == so->tid) {
            cd_thread *th = cd_session_thread(s);
            cd_regs r;
            if (th && t->ops->get_regs(t, th, &r, err) == 0 && r.rsp >= so->cfa) {
                si->returned = true;
                return 0;
            }
        }
        if (!b) {
            if (so && si->ev.addr == so->ret)
                continue; /* the return address, reached by a deeper call (recursion) or another thread */
            return 0;     /* an int3 that is not ours: the program's own, shown as a stop */
        }
        if (b->cond) {
            cd_err ce;
            int c = eval_cond(s, b, &ce);
            if (c < 0) {
                si->cond_error = cd_xasprintf("breakpoint %d: cannot evaluate its condition '%s': %s; stopped here",
                                              b->id, b->cond, ce.msg);
                si->bp = b;
                si->bp_id = b->id;
                si->hits = b->hits;
                return 0;
            }
            if (c == 0)
                continue;
        }
        b->hits++;
        if (!hit_cond_ok(b))
            continue;
        si->bp = b;
        si->bp_id = b->id;
        si->hits = b->hits;
        return 0;
    }
}

/* Continues until something the user must see: a breakpoint whose conditions hold, a signal, ^C,
 * the end of the process, or (so != NULL) the frame returning. ^C reaches the target all along,
 * also while a condition is evaluated between an internal stop and the next resume: a
 * breakpoint hit and resumed thousands of times a second must not swallow it. */
static int run_until_stop(cd_session *s, const stepout_ctx *so, stop_info *si, cd_err *err)
{
    cd_target *t = s->target;
    memset(si, 0, sizeof *si);
    s->running = t;
    int rc = run_loop(s, so, si, err);
    s->running = NULL;
    /* the stop goes to the user now: a ^C that came with it has done its job */
    t->interrupted = 0;
    return rc;
}

/* Prints a stop as `continue` reports it; closes the target when the process ended. */
static void report_stop(cd_session *s, const char *cmd, stop_info *si, cd_err *err)
{
    cd_target *t = s->target;
    cd_event *ev = &si->ev;
    if (ev->kind != CD_EV_EXITED && ev->kind != CD_EV_KILLED) {
        /* the program may have loaded libraries meanwhile (dlopen, or libc itself after `run`) */
        cd_err e2;
        if (cd_symtab_refresh(s->sym, &e2) < 0)
            cd_out_warn(&s->out, "%s", e2.msg);
    }
    json_object *j = s->out.json ? json_object_new_object() : NULL;
    if (ev->kind == CD_EV_EXITED || ev->kind == CD_EV_KILLED) {
        if (j) {
            json_object_object_add(j, "command", json_object_new_string(cmd));
            json_object_object_add(j, "event", json_object_new_string(ev->kind == CD_EV_EXITED ? "exited" : "killed"));
            json_object_object_add(j, ev->kind == CD_EV_EXITED ? "status" : "signal",
                                   json_object_new_int(ev->kind == CD_EV_EXITED ? ev->status : ev->sig));
            cd_out_json(&s->out, j);
        } else if (ev->kind == CD_EV_EXITED) {
            cd_out_printf(&s->out, "Process %d exited with status %d\n", (int)t->pid, ev->status);
        } else {
            cd_out_printf(&s->out, "Process %d was killed by signal %d (%s)\n", (int)t->pid, ev->sig, strsignal(ev->sig));
        }
        cd_session_close_target(s);
        return;
    }
    const char *what = ev->kind == CD_EV_SIGNAL        ? "signal"
                       : ev->kind == CD_EV_BREAKPOINT  ? (si->returned ? "returned" : "breakpoint")
                       : ev->kind == CD_EV_INTERRUPTED ? "interrupted"
                                                       : "stopped";
    cd_session_select_tid(s, ev->tid);
    const cd_frame *f = cd_session_frame(s, err);
    cd_err_clear(err);
    if (si->cond_error)
        cd_out_warn(&s->out, "%s", si->cond_error);
    if (j) {
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "event", json_object_new_string(what));
        json_object_object_add(j, "tid", json_object_new_int(ev->tid));
        if (ev->kind == CD_EV_SIGNAL)
            json_object_object_add(j, "signal", json_object_new_string(sigabbrev_np(ev->sig) ? sigabbrev_np(ev->sig) : "?"));
        if (si->bp_id) {
            json_object_object_add(j, "breakpoint", json_object_new_int(si->bp_id));
            json_object_object_add(j, "hits", json_object_new_int64((int64_t)si->hits));
        }
        if (si->cond_error)
            json_object_object_add(j, "condition_error", json_object_new_string(si->cond_error));
        json_object_object_add(j, "frame", f ? cd_frame_json(f) : NULL);
        if (!si->returned)
            cd_out_json(&s->out, j);
        else
            json_object_put(j); /* stepout prints its own object, with the value */
    } else {
        if (ev->kind == CD_EV_SIGNAL)
            cd_out_printf(&s->out, "Thread tid %d received signal SIG%s (%s)\n", (int)ev->tid,
                          sigabbrev_np(ev->sig) ? sigabbrev_np(ev->sig) : "?", strsignal(ev->sig));
        else if (ev->kind == CD_EV_INTERRUPTED)
            cd_out_printf(&s->out, "Interrupted (thread tid %d)\n", (int)ev->tid);
        else if (si->bp_id)
            cd_out_printf(&s->out, "Breakpoint %d, hit %lu time%s, thread tid %d\n", si->bp_id, si->hits,
                          si->hits == 1 ? "" : "s", (int)ev->tid);
        if (f) {
            cd_buf b = {0};
            cd_format_frame(s, f, &b);
            cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
            if (f->info.file && f->info.line > 0)
                cd_print_source_line(s, f->info.file, f->info.line, true);
            cd_buf_free(&b);
        }
    }
    /* a temporary breakpoint is spent once it stopped the program */
    if (si->bp && si->bp->temp && !si->cond_error)
        bp_delete(s, si->bp);
    si->bp = NULL;
    free(si->cond_error);
    si->cond_error = NULL;
    if (s->on_stop && !si->returned)
        s->on_stop(s);
}

int cd_cmd_continue(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "continue: takes no arguments");
    stop_info si;
    if (run_until_stop(s, NULL, &si, err) < 0)
        return -1;
    report_stop(s, "continue", &si, err);
    return 0;
}

/* ---- stepout ---- */

/* SysV x86-64: is every scalar in [lo, hi) of T (at offset base) a float or double? */
static bool all_sse(cd_ectx *x, cd_type *t, uint64_t base, uint64_t lo, uint64_t hi, bool *x87)
{
    t = cd_type_strip(t);
    uint64_t size = cd_type_size(t);
    if (base + size <= lo || base >= hi)
        return true;
    if (t->kind == TY_STRUCT || t->kind == TY_UNION) {
        cd_member *m;
        int n = cd_type_members(x->vs, t, &m, x->ar);
        for (int i = 0; i < n; i++)
            if (m[i].bitsize || !all_sse(x, m[i].type, base + m[i].offset, lo, hi, x87))
                return false;
        return n >= 0;
    }
    if (t->kind == TY_ARRAY) {
        cd_type *e = t->target;
        uint64_t es = cd_type_size(e);
        for (int64_t i = 0; es && i < t->count; i++)
            if (!all_sse(x, e, base + (uint64_t)i * es, lo, hi, x87))
                return false;
        return true;
    }
    if (t->kind == TY_FLOAT && size > 8)
        *x87 = true;
    return t->kind == TY_FLOAT;
}

/* The value a function of return type T just returned, from the registers of the thread that
 * returned (SysV x86-64 calling convention). */
static int return_value(cd_session *s, cd_ectx *x, cd_type *type, cd_value *out, cd_err *err)
{
    cd_target *t = s->target;
    cd_thread *th = cd_session_thread(s);
    cd_regs r;
    struct user_fpregs_struct fp;
    if (!th || t->ops->get_regs(t, th, &r, err) < 0 || t->ops->get_fpregs(t, th, &fp, err) < 0)
        return -1;
    cd_type *st = cd_type_strip(type);
    uint64_t size = cd_type_size(st);
    memset(out, 0, sizeof *out);
    out->type = type;
    out->where = V_BYTES;
    out->regno = -1;
    out->bytes = cd_arena_alloc(x->ar, size > 16 ? size : 16);
    const uint8_t *xmm0 = (const uint8_t *)&fp.xmm_space[0], *xmm1 = (const uint8_t *)&fp.xmm_space[4];
    const uint8_t *st0 = (const uint8_t *)&fp.st_space[0];
    uint64_t gpr[2] = {r.rax, r.rdx};
    switch (st->kind) {
    case TY_INT:
    case TY_BOOL:
    case TY_ENUM:
    case TY_PTR:
        if (size > 16)
            return cd_fail(err, CD_EXIT_CMD, "a %llu-byte integer is not returned in registers", (unsigned long long)size);
        memcpy(out->bytes, gpr, size);
        return 0;
    case TY_FLOAT:
        if (size > 8) {
            memcpy(out->bytes, st0, 10); /* long double: x87 st(0) */
            return 0;
        }
        memcpy(out->bytes, xmm0, size);
        return 0;
    case TY_STRUCT:
    case TY_UNION: {
        bool x87 = false;
        bool sse0 = size > 0 && all_sse(x, st, 0, 0, 8, &x87), sse1 = size > 8 && all_sse(x, st, 0, 8, 16, &x87);
        if (size > 16 || x87) {
            /* returned in memory: the caller's buffer, whose address comes back in rax */
            out->where = V_MEM;
            out->addr = r.rax;
            out->bytes = NULL;
            return 0;
        }
        const uint8_t *ints[2] = {(const uint8_t *)&gpr[0], (const uint8_t *)&gpr[1]};
        const uint8_t *sses[2] = {xmm0, xmm1};
        int ni = 0, ns = 0;
        for (int i = 0; i < 2 && (uint64_t)i * 8 < size; i++) {
            bool sse = i == 0 ? sse0 : sse1;
            const uint8_t *src = sse ? sses[ns++] : ints[ni++];
            uint64_t n = size - (uint64_t)i * 8 < 8 ? size - (uint64_t)i * 8 : 8;
            memcpy(out->bytes + i * 8, src, n);
        }
        return 0;
    }
    default:
        return cd_fail(err, CD_EXIT_CMD, "cannot show a returned value of this type");
    }
}

int cd_cmd_stepout(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "stepout: takes no arguments; `frame N` then `stepout` leaves frame N");
    const cd_stack *st = cd_session_stack(s, err);
    if (!st)
        return -1;
    const cd_frame *f = cd_session_frame(s, err);
    if (!f)
        return -1;
    if (f->info.inlined)
        return cd_fail(err, CD_EXIT_CMD,
                       "stepout: frame #%d is an inlined call of %s: it has no return to stop at; "
                       "use `break FILE:LINE` and `continue`",
                       f->level, f->info.func ? f->info.func : "??");
    const cd_frame *caller = NULL;
    for (size_t i = (size_t)s->cur_frame + 1; i < st->n && !caller; i++)
        if (st->frames[i].phys != f->phys)
            caller = &st->frames[i];
    if (!caller)
        return cd_fail(err, CD_EXIT_CMD, "stepout: frame #%d (%s) is the outermost frame: there is no caller to return to",
                       f->level, f->info.func ? f->info.func : "??");
    stepout_ctx so = {.ret = caller->pc, .tid = cd_session_thread(s)->tid};
    so.cfa = (caller->regs_valid & (1u << DW_RSP)) ? caller->regs[DW_RSP] : f->cfa;
    if (!so.cfa)
        return cd_fail(err, CD_EXIT_CMD, "stepout: the stack pointer of frame #%d's caller is unknown", f->level);

    /* what is returned: the function's DWARF return type, read now, before the stack moves */
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_type *rtype = NULL;
    bool has_type = false;
    char *fname = cd_xstrdup(f->info.func ? f->info.func : "??");
    if (f->info.has_die) {
        Dwarf_Die d = f->info.scope_die, td;
        Dwarf_Attribute at;
        has_type = true; /* a DIE without DW_AT_type returns void */
        if (dwarf_attr_integrate(&d, DW_AT_type, &at) && dwarf_formref_die(&at, &td))
            rtype = cd_type_from_die(x.vs, &td);
    }
    if (!s->out.json)
        cd_out_printf(&s->out, "Run till exit from #%d %s\n", f->level, fname);

    bool planted = !addr_used(s, so.ret, NULL);
    if (planted && s->target->ops->insert_breakpoint(s->target, so.ret, err) < 0) {
        free(fname);
        cd_arena_free(&ar);
        return -1;
    }
    stop_info si;
    int rc = run_until_stop(s, &so, &si, err);
    if (planted && s->target && rc == 0 && si.ev.kind != CD_EV_EXITED && si.ev.kind != CD_EV_KILLED) {
        cd_err e;
        if (s->target->ops->remove_breakpoint(s->target, so.ret, &e) < 0)
            cd_out_warn(&s->out, "%s", e.msg);
    }
    if (rc < 0) {
        free(fname);
        cd_arena_free(&ar);
        return -1;
    }
    if (!si.returned) {
        /* something else stopped the program first: say what, as continue would */
        report_stop(s, "stepout", &si, err);
        free(fname);
        cd_arena_free(&ar);
        return 0;
    }
    cd_value v;
    cd_err ve;
    bool have_value = has_type && rtype && return_value(s, &x, rtype, &v, &ve) == 0;
    report_stop(s, "stepout", &si, err);
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    int hn = have_value ? cd_hist_add(&x, &v) : 0;
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("stepout"));
        json_object_object_add(j, "event", json_object_new_string("returned"));
        json_object_object_add(j, "function", json_object_new_string(fname));
        json_object_object_add(j, "tid", json_object_new_int(si.ev.tid));
        const cd_frame *nf = cd_session_frame(s, err);
        cd_err_clear(err);
        json_object_object_add(j, "frame", nf ? cd_frame_json(nf) : NULL);
        if (have_value) {
            cd_buf tb = {0};
            cd_type_name(x.vs, v.type, &tb);
            json_object *rv = json_object_new_object();
            json_object_object_add(rv, "type", json_object_new_string(cd_buf_str(&tb)));
            json_object_object_add(rv, "value", cd_value_json(&x, &v, &o));
            json_object_object_add(j, "return", rv);
            cd_buf_free(&tb);
        }
        cd_out_json(&s->out, j);
    } else if (have_value) {
        cd_buf b = {0};
        cd_format_value(&x, &v, &o, true, &b);
        cd_out_printf(&s->out, "Value returned: $%d = %s\n", hn, cd_buf_str(&b));
        cd_buf_free(&b);
    } else if (has_type && rtype) {
        cd_out_warn(&s->out, "the value %s returned is not shown: %s", fname, ve.msg);
    }
    if (s->on_stop)
        s->on_stop(s);
    free(fname);
    cd_arena_free(&ar);
    return 0;
}
