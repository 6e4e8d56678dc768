/* Breakpoint management: enable, disable, delete, ignore, on (Delve's per-breakpoint commands),
 * and running a breakpoint's `on` commands after it stopped the program. Breakpoints are created
 * by break/tbreak (cmd_run.c) and listed by `breakpoints` (render.c). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"

/* ---- breakpoint numbers ---- */

static int no_bp(cd_err *err, const char *cmd, unsigned long long id)
{
    return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "%s: no breakpoint %llu; `breakpoints` lists them", cmd, id);
}

static cd_bp *user_bp(cd_session *s, unsigned long long id)
{
    cd_bp *b = id <= 0x7fffffff ? cd_ctl_bp_find(s->ctl, (int)id) : NULL;
    return b && b->kind != CD_BPK_INTERNAL ? b : NULL;
}

/* The breakpoints argv[1..] name (N or N-M each; none: every user breakpoint), every one checked
 * before anything changes, so a typo changes nothing (gdb's). Caller frees *out. */
static int bp_list(cd_session *s, int argc, char **argv, const char *cmd, cd_bp ***out, size_t *n, cd_err *err)
{
    *out = NULL;
    *n = 0;
    if (argc < 2) {
        cd_bp **all;
        size_t k = cd_ctl_bps(s->ctl, &all);
        *out = cd_xcalloc(k ? k : 1, sizeof **out);
        memcpy(*out, all, k * sizeof *all);
        *n = k;
        return 0;
    }
    cd_bp **v = NULL;
    size_t nv = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *dash = strchr(a, '-');
        unsigned long long lo, hi;
        bool ok;
        if (dash && dash != a) {
            char *l = cd_xasprintf("%.*s", (int)(dash - a), a);
            ok = cd_parse_uint(l, &lo) && cd_parse_uint(dash + 1, &hi) && lo <= hi;
            free(l);
        } else {
            ok = cd_parse_uint(a, &lo);
            hi = lo;
        }
        if (!ok) {
            free(v);
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                            "%s: '%s' is not a breakpoint number or range (N or N-M); `breakpoints` lists them", cmd,
                            a);
        }
        if (hi - lo > 100000) {
            free(v);
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: the range %s is too large", cmd, a);
        }
        bool any = false;
        for (unsigned long long id = lo; id <= hi; id++) {
            cd_bp *b = user_bp(s, id);
            if (!b)
                continue;
            any = true;
            bool dup = false;
            for (size_t k = 0; k < nv && !dup; k++)
                dup = v[k] == b;
            if (!dup) {
                v = cd_xrealloc(v, (nv + 1) * sizeof *v);
                v[nv++] = b;
            }
        }
        if (!any) {
            free(v);
            if (lo == hi)
                return no_bp(err, cmd, lo);
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "%s: no breakpoint in %s; `breakpoints` lists them", cmd,
                            a);
        }
    }
    *out = v;
    *n = nv;
    return 0;
}

static json_object *ids_json(cd_bp **v, size_t n)
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; i < n; i++)
        json_object_array_add(a, json_object_new_int(v[i]->id));
    return a;
}

/* ---- enable / disable ---- */

static int set_enabled(cd_session *s, int argc, char **argv, bool on, cd_err *err)
{
    const char *cmd = on ? "enable" : "disable";
    cd_bp **v;
    size_t n;
    if (bp_list(s, argc, argv, cmd, &v, &n, err) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        cd_err e;
        if (cd_ctl_bp_enable(s->ctl, v[i], on, &e) < 0 && rc == 0) {
            rc = cd_failk(err, CD_EXIT_CMD, e.kind, "%s: breakpoint %d: %s", cmd, v[i]->id, e.msg);
        }
    }
    if (rc == 0 && s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "ids", ids_json(v, n));
        cd_out_json(&s->out, j);
    }
    free(v);
    return rc;
}

int cd_cmd_enable(cd_session *s, int argc, char **argv, cd_err *err)
{
    return set_enabled(s, argc, argv, true, err);
}

int cd_cmd_disable(cd_session *s, int argc, char **argv, cd_err *err)
{
    return set_enabled(s, argc, argv, false, err);
}

/* ---- delete ---- */

int cd_cmd_delete(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_bp **v;
    size_t n;
    if (bp_list(s, argc, argv, "delete", &v, &n, err) < 0)
        return -1;
    /* all of them at once: gdb asks first, when someone is there to answer (never in JSON) */
    if (argc < 2 && n > 0 && s->ask && !s->out.json && !s->ask(s, "Delete all breakpoints? (y or n) ")) {
        free(v);
        return 0;
    }
    json_object *ids = s->out.json ? ids_json(v, n) : NULL;
    for (size_t i = 0; i < n; i++) {
        cd_err e;
        if (cd_ctl_bp_delete(s->ctl, v[i], &e) < 0)
            cd_out_warn(&s->out, "%s", e.msg);
    }
    free(v);
    if (ids) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("delete"));
        json_object_object_add(j, "deleted", ids);
        cd_out_json(&s->out, j);
    } else {
        cd_out_printf(&s->out, "Deleted %zu breakpoint%s\n", n, n == 1 ? "" : "s");
    }
    return 0;
}

/* ---- ignore ---- */

int cd_cmd_ignore(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc != 3)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "ignore: usage: ignore N COUNT (breakpoint N does not stop the program for its next COUNT "
                        "hits)");
    cd_bp *b = cd_bp_arg(s, argv[1], "ignore", err);
    if (!b)
        return -1;
    unsigned long long count;
    if (!cd_parse_uint(argv[2], &count) || count > 0xffffffffull)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "ignore: COUNT '%s' is not a number of hits (0 to 4294967295): ignore N COUNT", argv[2]);
    b->ignore = (unsigned long)count;
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("ignore"));
        json_object_object_add(j, "id", json_object_new_int(b->id));
        json_object_object_add(j, "ignore", json_object_new_int64((int64_t)count));
        cd_out_json(&s->out, j);
    } else if (count == 0) {
        cd_out_printf(&s->out, "Will stop next time breakpoint %d is reached.\n", b->id);
    } else if (count == 1) {
        cd_out_printf(&s->out, "Will ignore next crossing of breakpoint %d.\n", b->id);
    } else {
        cd_out_printf(&s->out, "Will ignore next %llu crossings of breakpoint %d.\n", count, b->id);
    }
    return 0;
}

/* ---- on ---- */

/* Commands a breakpoint may run at its stop: anything that looks at the stopped program. One that
 * runs it (its stop would be reported in the middle of another's) or leaves it is refused. */
static bool on_allowed(const cd_command *c)
{
    return !(c->flags & CD_CMD_RUNS) && c->fn != cd_cmd_run && c->fn != cd_cmd_kill && c->fn != cd_cmd_attach &&
           c->fn != cd_cmd_core && c->fn != cd_cmd_detach && c->fn != cd_cmd_quit && c->fn != cd_cmd_on;
}

int cd_cmd_on(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 2)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "on: usage: on N COMMAND (run COMMAND each time breakpoint N stops the program; `on N` "
                        "alone removes N's commands)");
    cd_bp *b = cd_bp_arg(s, argv[1], "on", err);
    if (!b)
        return -1;
    /* the command is the unsplit text after the number (quotes and spaces kept) */
    const char *c = s->raw_args ? s->raw_args : "";
    while (isspace((unsigned char)*c))
        c++;
    c += strcspn(c, " \t");
    while (isspace((unsigned char)*c))
        c++;
    if (!*c) {
        for (size_t k = 0; k < b->ncmds; k++)
            free(b->cmds[k]);
        free(b->cmds);
        b->cmds = NULL;
        b->ncmds = 0;
    } else {
        size_t wl = strcspn(c, " \t/");
        char *word = cd_xasprintf("%.*s", (int)wl, c);
        const cd_command *cc = cd_command_find(word);
        int rc = 0;
        if (!cc)
            rc = cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "on: unknown command '%s': type `help` for the list of commands",
                          word);
        else if (!on_allowed(cc))
            rc = cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                          "on: `%s` cannot run at a breakpoint's stop (it runs, leaves or changes the program); "
                          "breakpoint commands look at the stop: print, bt, locals, args, x...",
                          cc->name);
        free(word);
        if (rc < 0)
            return rc;
        b->cmds = cd_xrealloc(b->cmds, (b->ncmds + 1) * sizeof *b->cmds);
        b->cmds[b->ncmds++] = cd_xstrdup(c);
    }
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("on"));
        json_object_object_add(j, "id", json_object_new_int(b->id));
        json_object *a = json_object_new_array();
        for (size_t k = 0; k < b->ncmds; k++)
            json_object_array_add(a, json_object_new_string(b->cmds[k]));
        json_object_object_add(j, "commands", a);
        cd_out_json(&s->out, j);
    }
    return 0;
}

void cd_bp_run_on_commands(cd_session *s, const cd_stop *st)
{
    if ((st->reason != CD_STOP_BREAKPOINT && st->reason != CD_STOP_WATCHPOINT) || !st->bp_id || !s->ctl)
        return;
    /* a temporary breakpoint is deleted by the stop it made: its commands came with the stop */
    cd_bp *b = st->bp_temp ? NULL : cd_ctl_bp_find(s->ctl, st->bp_id);
    char *const *src = b ? b->cmds : st->bp_cmds;
    size_t n = b ? b->ncmds : st->bp_temp ? st->nbp_cmds : 0;
    if (!n)
        return;
    /* a copy: a command may delete the breakpoint (`delete 1`) or change its list */
    char **cmds = cd_xcalloc(n, sizeof *cmds);
    for (size_t k = 0; k < n; k++)
        cmds[k] = cd_xstrdup(src[k]);
    const char *raw = s->raw_args, *name = s->cmd_name;
    /* breakpoint commands run unattended: no question (gdb runs them with from_tty 0) */
    bool (*ask)(cd_session *, const char *) = s->ask;
    s->ask = NULL;
    for (size_t k = 0; k < n && s->target; k++) {
        cd_err e = {0};
        if (cd_session_exec(s, cmds[k], &e) < 0 && e.msg[0]) {
            size_t wl = strcspn(cmds[k], " \t/");
            char *word = cd_xasprintf("%.*s", (int)wl, cmds[k]);
            cd_out_error(&s->out, word, e.msg);
            free(word);
        }
    }
    s->raw_args = raw;
    s->cmd_name = name;
    s->ask = ask;
    for (size_t k = 0; k < n; k++)
        free(cmds[k]);
    free(cmds);
}

/* `breakpoints` at any time: with no process (after kill, the program's exit or detach) the list
 * the next `run` sets again, as gdb lists its breakpoints then; their locations went with the
 * process (the next one's addresses differ), so each shows what was asked for, its state and hits. */
int cd_cmd_breakpoints_any(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (s->target)
        return cd_cmd_breakpoints(s, argc, argv, err);
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "breakpoints: takes no arguments");
    s->ctl = s->kept_ctl; /* only the list is read: the render needs no target */
    cd_render_bps(s);
    s->ctl = NULL;
    return 0;
}
