/* Value commands: print, locals, args, vars, whatis, ptype, set var, x, display, config.
 * All of them evaluate in the session's selected thread and frame (src/expr). */
#include "arch/arch.h"
#include "commands/cmd_impl.h"
#include "expr/expr_int.h"
#include "symbols/symbols.h"

#include <ctype.h>
#include <stddef.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cd_conv_set(cd_ectx *x, const char *name, const cd_value *v);

void cd_values_free(void *values) { cd_vstate_free(values); }

/* The session's value state, created on first use, its caches tied to the current symbol table. */
static cd_vstate *cd_vstate_get(cd_session *s)
{
    if (!s->values) {
        s->values = cd_vstate_new();
        s->values_free = cd_values_free;
        s->frame_vars = cd_values_frame_vars;
        s->on_stop = cd_values_on_stop;
    }
    cd_vstate_use_symtab(s->values, s->sym);
    return s->values;
}

void cd_session_scope(cd_session *s, cd_scope *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->vs = cd_vstate_get(s);
    sc->sym = s->sym;
    sc->target = s->target;
    sc->max_array = s->max_array;
    sc->max_string = s->max_string;
    cd_session_call_hook(s, sc);
    if (!s->target)
        return;
    sc->thread = cd_session_thread(s);
    cd_err e;
    const cd_stack *st = cd_session_stack(s, &e);
    if (st && s->cur_frame >= 0 && (size_t)s->cur_frame < st->n) {
        sc->frame = &st->frames[s->cur_frame];
        sc->frames = st->frames;
        sc->nframes = st->n;
    }
}

void cd_session_ectx(cd_ectx *x, cd_session *s, cd_arena *ar, cd_err *err)
{
    cd_scope sc;
    cd_session_scope(s, &sc);
    cd_ectx_init(x, &sc, ar, err);
}

void cd_session_fmtopt(cd_fmtopt *o, cd_session *s, char fmt)
{
    *o = s->print;
    o->raw = fmt == 'r'; /* print/r: no library printer, otherwise the natural format */
    o->fmt = fmt == 'r' ? 0 : fmt;
    o->max_array = s->max_array > 0 ? s->max_array : 200;
    o->max_string = s->max_string > 0 ? s->max_string : 200;
}

/* The expression text: the unsplit command line when the dispatcher gives it (quotes in C string
 * and character literals survive), else argv re-joined with single spaces. A leading "/FMT" and,
 * for `set`, the word var/variable are skipped. */
static char *join_argv(int argc, char **argv, int from);
static char *expr_text(cd_session *s, int argc, char **argv, int from, bool skip_var)
{
    const char *r = s->raw_args;
    if (!r)
        return join_argv(argc, argv, from);
    while (*r == ' ' || *r == '\t')
        r++;
    if (*r == '/') {
        r += strcspn(r, " \t");
        while (*r == ' ' || *r == '\t')
            r++;
    }
    if (skip_var) {
        size_t n = strcspn(r, " \t");
        if ((n == 3 && !strncmp(r, "var", 3)) || (n == 8 && !strncmp(r, "variable", 8))) {
            r += n;
            while (*r == ' ' || *r == '\t')
                r++;
        }
    }
    char *out = cd_xstrdup(r);
    size_t n = strlen(out);
    while (n && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\n'))
        out[--n] = 0;
    return out;
}

static char *join_argv(int argc, char **argv, int from)
{
    cd_buf b = {0};
    for (int i = from; i < argc; i++) {
        if (i > from)
            cd_buf_puts(&b, " ");
        cd_buf_puts(&b, argv[i]);
    }
    char *s = cd_xstrdup(cd_buf_str(&b));
    cd_buf_free(&b);
    return s;
}

/* "/FMT" from "print/x" (argv[0]) or a leading "/x" argument. */
static int parse_fmt(const char *cmd, int argc, char **argv, int *from, char *fmt, cd_err *err)
{
    const char *f = strchr(argv[0], '/');
    *from = 1;
    if (!f && argc > 1 && argv[1][0] == '/') {
        f = argv[1];
        *from = 2;
    }
    *fmt = 0;
    if (!f)
        return 0;
    f++;
    if (strlen(f) != 1 || !strchr("xduotcfasr", f[0]))
        return cd_fail(err, CD_EXIT_CMD, "%s: unknown format '/%s'; use one of /x /d /u /o /t /c /f /a /s /r", cmd, f);
    *fmt = f[0];
    return 0;
}

static void type_str(cd_ectx *x, cd_type *t, cd_buf *b) { cd_type_name(x->vs, t, b); }

/* An error already reported in the command's own JSON shape: the dispatcher must not print it again
 * (err->msg is left empty, err->code says the command failed). */
static int json_failed(cd_session *s, const char *expr, cd_err *err)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "expr", json_object_new_string(expr));
    json_object_object_add(j, "error", json_object_new_string(err->msg));
    cd_out_json(&s->out, j);
    err->msg[0] = 0;
    err->code = CD_EXIT_CMD;
    return -1;
}

/* After an assignment wrote the target, the selected thread's cached stack (its frames' registers,
 * read through saved-register slots) and the unwinder's page cache describe what was there
 * before: the next command unwinds again. */
static void after_write(cd_session *s, const cd_ectx *x)
{
    if (!x->wrote || !s->target)
        return;
    cd_unwinder_flush(s->unw);
    s->stack_gen = s->target->stop_gen - 1;
}

static int print_options(const char *text, cd_fmtopt *o, const char **rest, cd_err *err);
static int text_fmt(const char *cmd, const char *text, char *fmt, const char **rest, cd_err *err);

/* print and output: [-OPTION... --] [/FMT] EXPR (gdb's forms; print/FMT EXPR takes no options, as
 * in gdb). output prints the value alone, with no newline, and keeps no history. */
static int print_cmd(cd_session *s, int argc, char **argv, bool output, cd_err *err)
{
    const char *cmd = output ? "output" : "print";
    int from;
    char f;
    if (parse_fmt(cmd, argc, argv, &from, &f, err) != 0)
        return -1;
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    char *text = expr_text(s, argc, argv, from, false);
    const char *after = text;
    /* gdb's output takes no options: `output -x` is the negation */
    if (!f && ((!output && print_options(text, &o, &after, err) != 0) || text_fmt(cmd, after, &f, &after, err) != 0)) {
        free(text);
        return -1;
    }
    o.raw = o.raw || f == 'r';
    o.fmt = f == 'r' ? 0 : f;
    char *src = cd_xstrdup(after);
    free(text);
    if (output && !*src) {
        free(src);
        return cd_fail(err, CD_EXIT_CMD, "Argument required (expression to compute).");
    }
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_value v;
    int rc = 0;
    if (!*src) {
        /* `print` alone shows the last value, as gdb does. */
        free(src);
        src = cd_xstrdup("$");
    }
    if (cd_eval_string(&x, src, &v) != 0) {
        rc = s->out.json ? json_failed(s, src, err) : -1;
        goto out;
    }
    if (v.where == V_MEM && cd_type_strip(v.type)->kind != TY_FUNC) {
        /* A value whose memory is unreadable is an error of the command, not a value. */
        uint8_t probe[64];
        uint64_t n = cd_type_size(v.type);
        if (n && cd_value_read(&x, &v, 0, probe, n < sizeof probe ? n : sizeof probe) != 0) {
            rc = s->out.json ? json_failed(s, src, err) : -1;
            goto out;
        }
    }
    /* gdb numbers void results too (`$1 = void` for an unset convenience variable). */
    int n = output ? 0 : cd_hist_add(&x, &v);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        cd_buf tb = {0};
        type_str(&x, v.type, &tb);
        json_object_object_add(j, "expr", json_object_new_string(src));
        json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&tb)));
        json_object_object_add(j, "value", cd_value_json(&x, &v, &o));
        cd_buf_free(&tb);
        cd_out_json(&s->out, j);
    } else {
        cd_buf b = {0};
        cd_format_value(&x, &v, &o, true, &b);
        if (output)
            cd_out_printf(&s->out, "%s", cd_buf_str(&b));
        else
            cd_out_printf(&s->out, "$%d = %s\n", n, cd_buf_str(&b));
        cd_buf_free(&b);
    }
out:
    after_write(s, &x);
    cd_arena_free(&ar);
    free(src);
    return rc;
}

int cd_cmd_print(cd_session *s, int argc, char **argv, cd_err *err) { return print_cmd(s, argc, argv, false, err); }
int cd_cmd_output(cd_session *s, int argc, char **argv, cd_err *err) { return print_cmd(s, argc, argv, true, err); }

/* A variable's value, or an error value carrying why it could not be read: listings go on past
 * one unreadable variable (info locals, and the DAP server's variables). */
cd_value cd_var_value_or_error(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die)
{
    cd_value v;
    cd_err e, *save = x->err;
    x->err = &e;
    if (cd_var_value(x, mod, die, &v) != 0)
        v = cd_value_error(x, cd_type_int(x->vs), "%s", e.msg);
    x->err = save;
    return v;
}

static int vars_cmd(cd_session *s, bool params, const char *what, cd_err *err)
{
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    if (!s->target) {
        cd_arena_free(&ar);
        return cd_fail(err, CD_EXIT_CMD, "%s: no process or core; attach, run or open a core first", what);
    }
    cd_var *vars;
    int n = cd_frame_vars(&x, params, !params, &vars, err);
    if (n < 0) {
        cd_arena_free(&ar);
        return -1;
    }
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    json_object *arr = s->out.json ? json_object_new_array() : NULL;
    for (int i = 0; i < n; i++) {
        cd_value v = cd_var_value_or_error(&x, vars[i].mod, &vars[i].die);
        if (arr) {
            json_object *j = json_object_new_object();
            cd_buf tb = {0};
            type_str(&x, v.type, &tb);
            json_object_object_add(j, "name", json_object_new_string(vars[i].name));
            json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&tb)));
            json_object_object_add(j, "value", cd_value_json(&x, &v, &o));
            json_object_array_add(arr, j);
            cd_buf_free(&tb);
        } else {
            cd_buf b = {0};
            cd_format_value(&x, &v, &o, true, &b);
            cd_out_printf(&s->out, "%s = %s\n", vars[i].name, cd_buf_str(&b));
            cd_buf_free(&b);
        }
    }
    if (arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "frame", json_object_new_int(x.frame ? x.frame->level : 0));
        json_object_object_add(j, what, arr);
        cd_out_json(&s->out, j);
    } else if (!n)
        cd_out_printf(&s->out, "No %s.\n", params ? "arguments" : "locals");
    free(vars);
    cd_arena_free(&ar);
    return 0;
}

int cd_cmd_locals(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc; (void)argv;
    return vars_cmd(s, false, "locals", err);
}

int cd_cmd_args(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc; (void)argv;
    return vars_cmd(s, true, "args", err);
}

typedef struct { regex_t re; bool has_re; cd_session *s; json_object *arr; cd_fmtopt o; int n; } vars_arg;

static int vars_cb(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die, const char *name, void *argp)
{
    vars_arg *a = argp;
    if (a->has_re && regexec(&a->re, name, 0, NULL, 0) != 0)
        return 0;
    cd_value v = cd_var_value_or_error(x, mod, die);
    a->n++;
    if (a->arr) {
        json_object *j = json_object_new_object();
        cd_buf tb = {0};
        cd_type_name(x->vs, v.type, &tb);
        json_object_object_add(j, "name", json_object_new_string(name));
        json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&tb)));
        json_object_object_add(j, "value", cd_value_json(x, &v, &a->o));
        json_object_array_add(a->arr, j);
        cd_buf_free(&tb);
    } else {
        cd_buf b = {0};
        cd_format_value(x, &v, &a->o, true, &b);
        cd_out_printf(&a->s->out, "%s = %s\n", name, cd_buf_str(&b));
        cd_buf_free(&b);
    }
    return 0;
}

int cd_cmd_vars(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (!s->target)
        return cd_fail(err, CD_EXIT_CMD, "vars: no process or core; attach, run or open a core first");
    vars_arg a = {.s = s};
    if (argc > 1) {
        char *re = expr_text(s, argc, argv, 1, false);
        int rc = regcomp(&a.re, re, REG_EXTENDED | REG_NOSUB);
        free(re);
        if (rc != 0) {
            char m[256];
            regerror(rc, &a.re, m, sizeof m);
            return cd_fail(err, CD_EXIT_CMD, "vars: bad regular expression: %s", m);
        }
        a.has_re = true;
    }
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_session_fmtopt(&a.o, s, 0);
    if (s->out.json)
        a.arr = json_object_new_array();
    /* Without a pattern only the executable's globals: libc's debug info alone has thousands. */
    cd_for_each_global(&x, a.has_re, vars_cb, &a);
    if (a.arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "vars", a.arr);
        cd_out_json(&s->out, j);
    } else if (!a.n)
        cd_out_printf(&s->out, "No matching global or static variables.\n");
    if (a.has_re)
        regfree(&a.re);
    cd_arena_free(&ar);
    return 0;
}

/* whatis/ptype accept a type name or an expression. */
static int type_cmd(cd_session *s, int argc, char **argv, bool expand, cd_err *err)
{
    const char *cmd = expand ? "ptype" : "whatis";
    char *src = expr_text(s, argc, argv, 1, false);
    if (!*src) {
        free(src);
        return cd_fail(err, CD_EXIT_CMD, "%s: missing expression or type name; e.g. %s struct node", cmd, cmd);
    }
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    x.no_side_effects = true;
    cd_type *t = NULL;
    int rc = 0;
    cd_tname *tn = cd_tname_parse(&ar, src, cd_ectx_is_typename, &x);
    if (tn)
        t = cd_eval_tname(&x, tn);
    else {
        cd_value v;
        if (cd_eval_string(&x, src, &v) == 0)
            t = v.type;
    }
    if (!t) {
        rc = s->out.json ? json_failed(s, src, err) : -1;
        goto out;
    }
    cd_buf b = {0};
    if (expand)
        cd_type_ptype(x.vs, t, &b);
    else
        cd_type_name(x.vs, t, &b);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "expr", json_object_new_string(src));
        json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&b)));
        if (expand)
            json_object_object_add(j, "size", cd_json_u64(cd_type_size(t)));
        cd_out_json(&s->out, j);
    } else
        cd_out_printf(&s->out, "type = %s\n", cd_buf_str(&b));
    cd_buf_free(&b);
out:
    cd_arena_free(&ar);
    free(src);
    return rc;
}

int cd_cmd_whatis(cd_session *s, int argc, char **argv, cd_err *err) { return type_cmd(s, argc, argv, false, err); }
int cd_cmd_ptype(cd_session *s, int argc, char **argv, cd_err *err) { return type_cmd(s, argc, argv, true, err); }

bool cd_is_print_word(const char *w) { return !strcmp(w, "print") || !strcmp(w, "p") || !strcmp(w, "pr"); }

int cd_cmd_set(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc >= 2 && !strcmp(argv[1], "debug-file-directory"))
        return cd_cmd_debugdir(s, argc, argv, err);
    if (argc >= 2 && !strcmp(argv[1], "debuginfod"))
        return cd_cmd_debuginfod(s, argc, argv, err);
    /* `set print pretty on`; `set p = 3` (a variable named p) stays an assignment */
    if (argc >= 2 && cd_is_print_word(argv[1]) && (argc == 2 || argv[2][0] != '='))
        return cd_print_set(s, argc, argv, err);
    int from = 1;
    if (argc > 1 && (!strcmp(argv[1], "var") || !strcmp(argv[1], "variable")))
        from = 2;
    char *src = expr_text(s, argc, argv, from, true);
    cd_arena ar = {0};
    int rc = -1;
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_expr *e = cd_expr_parse(&ar, src, cd_ectx_is_typename, &x, err);
    if (!e)
        goto out;
    if (e->kind != E_ASSIGN) {
        cd_fail(err, CD_EXIT_CMD, "set var needs an assignment, e.g. set var x = 3");
        goto out;
    }
    bool conv = e->a->kind == E_DOLLAR;
    if (!conv && s->target && !s->target->caps.can_write) {
        cd_fail(err, CD_EXIT_CMD, "set var: a core file is read-only; attach to or run the live process to change variables");
        goto out;
    }
    cd_value v;
    if (cd_eval(&x, e, &v) != 0)
        goto out;
    rc = 0;
    if (s->out.json) {
        cd_fmtopt o;
        cd_session_fmtopt(&o, s, 0);
        json_object *j = json_object_new_object();
        cd_buf tb = {0};
        cd_type_name(x.vs, v.type, &tb);
        json_object_object_add(j, "expr", json_object_new_string(src));
        json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&tb)));
        json_object_object_add(j, "value", cd_value_json(&x, &v, &o));
        cd_buf_free(&tb);
        cd_out_json(&s->out, j);
    }
out:
    if (rc != 0 && s->out.json && err->msg[0])
        rc = json_failed(s, src, err);
    after_write(s, &x);
    cd_arena_free(&ar);
    free(src);
    return rc;
}

/* ---------- x/NFU ---------- */
static void label(cd_ectx *x, uint64_t a, cd_buf *b)
{
    cd_buf_printf(b, "0x%llx", (unsigned long long)a);
    cd_buf sym = {0};
    cd_addr_symbol(x, a, &sym);
    if (sym.len)
        cd_buf_printf(b, " %s", cd_buf_str(&sym));
    cd_buf_free(&sym);
    cd_buf_puts(b, ":");
}

int cd_cmd_x(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (!s->target)
        return cd_fail(err, CD_EXIT_CMD, "x: no process or core; attach, run or open a core first");
    cd_vstate *vs = cd_vstate_get(s);
    const char *spec = strchr(argv[0], '/');
    int from = 1;
    if (!spec && argc > 1 && argv[1][0] == '/')
        spec = argv[1], from = 2;
    long count = 1;
    char f = vs->x_fmt ? vs->x_fmt : 'x';
    int unit = vs->x_unit ? vs->x_unit : 4;
    bool unit_given = false;
    if (spec) {
        const char *p = spec + 1;
        if (isdigit((unsigned char)*p)) {
            count = strtol(p, (char **)&p, 10);
            if (count <= 0 || count > 100000)
                return cd_fail(err, CD_EXIT_CMD, "x: count must be between 1 and 100000");
        }
        for (; *p; p++) {
            if (strchr("xduotacfsi", *p))
                f = *p;
            else if (strchr("bhwg", *p)) {
                unit = *p == 'b' ? 1 : *p == 'h' ? 2 : *p == 'w' ? 4 : 8;
                unit_given = true;
            } else
                return cd_fail(err, CD_EXIT_CMD, "x: bad format letter '%c' in '%s'; use x/NFU: F in xduotacfsi, U in bhwg", *p, spec);
        }
    }
    if (f == 'a' && !unit_given)
        unit = 8;
    if (f == 'c' && !unit_given)
        unit = 1;
    /* Strings are read a byte at a time: gdb's x/sh and x/sw (UTF-16/32) are not supported. */
    if (f == 's') {
        if (unit_given && unit != 1)
            return cd_fail(err, CD_EXIT_CMD, "x/s: only byte strings are supported; use x/s or x/sb");
        unit = 1;
    }
    if (f == 'f' && !unit_given && unit != 4 && unit != 8)
        unit = 8;
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    char *src = expr_text(s, argc, argv, from, false);
    /* A bare `x` (what Enter repeats) shows as many units as the last one did, as in gdb. */
    if (!spec && !*src && vs->x_count > 0)
        count = vs->x_count;
    uint64_t addr = vs->x_next;
    int rc = 0;
    if (*src) {
        cd_value v;
        if (cd_eval_string(&x, src, &v) != 0) {
            rc = -1;
            goto out;
        }
        cd_type *t = cd_type_strip(v.type);
        if ((t->kind == TY_ARRAY || t->kind == TY_FUNC || t->kind == TY_STRUCT || t->kind == TY_UNION) && v.where == V_MEM)
            addr = v.addr;
        else {
            __int128 i;
            if (cd_value_int(&x, &v, &i) != 0) {
                rc = -1;
                goto out;
            }
            addr = (uint64_t)i;
        }
    } else if (!addr) {
        cd_fail(err, CD_EXIT_CMD, "x: missing address; e.g. x/4xw &var");
        rc = -1;
        goto out;
    }
    json_object *arr = s->out.json ? json_object_new_array() : NULL;
    cd_buf line = {0};
    uint64_t a = addr, last_unit = addr;
    if (f == 's' || f == 'i') {
        cd_x86 *dis = NULL;
        if (f == 'i' && !(dis = cd_x86_new(NULL))) {
            cd_fail(err, CD_EXIT_CMD, "x/i: cannot initialise the disassembler");
            rc = -1;
            goto out;
        }
        for (long k = 0; k < count; k++) {
            cd_buf_reset(&line);
            if (f == 's') {
                int max = s->max_string > 0 ? s->max_string : 200;
                if (max > 65536) /* print elements unlimited: a bounded read all the same */
                    max = 65536;
                uint8_t *buf = cd_arena_alloc(&ar, (size_t)max + 1);
                int n = 0;
                bool more = false, bad = false;
                while (n < max) {
                    uint8_t c;
                    if (cd_target_read(s->target, a + (uint64_t)n, &c, 1) != 1) {
                        bad = true;
                        break;
                    }
                    if (!c)
                        break;
                    buf[n++] = c;
                }
                if (n == max)
                    more = true;
                if (bad && !n) {
                    cd_fail(err, CD_EXIT_CMD, "cannot access memory at 0x%llx", (unsigned long long)a);
                    rc = -1;
                    break;
                }
                label(&x, a, &line);
                last_unit = a;
                cd_value sv = {.type = cd_type_array(x.vs, cd_type_char(x.vs), n), .where = V_BYTES, .bytes = buf, .regno = -1};
                cd_fmtopt o;
                cd_session_fmtopt(&o, s, 0);
                cd_buf_puts(&line, "\t");
                cd_format_value(&x, &sv, &o, true, &line);
                if (more)
                    cd_buf_puts(&line, "...");
                if (arr) {
                    json_object *j = json_object_new_object();
                    json_object_object_add(j, "address", cd_json_hex(a));
                    json_object_object_add(j, "value", cd_value_json(&x, &sv, &o));
                    json_object_array_add(arr, j);
                } else
                    cd_out_printf(&s->out, "%s\n", cd_buf_str(&line));
                a += (uint64_t)n + (more ? 0 : 1);
            } else {
                uint8_t code[16];
                last_unit = a;
                ssize_t got = cd_target_read(s->target, a, code, sizeof code);
                if (got <= 0) {
                    cd_fail(err, CD_EXIT_CMD, "cannot access memory at 0x%llx", (unsigned long long)a);
                    rc = -1;
                    break;
                }
                cd_insn in;
                label(&x, a, &line);
                if (cd_x86_decode(dis, code, (size_t)got, a, &in))
                    cd_buf_printf(&line, "\t%s\t%s", in.mnemonic, in.ops);
                else
                    cd_buf_printf(&line, "\t(bad)");
                a += in.len;
                if (arr) {
                    json_object *j = json_object_new_object();
                    json_object_object_add(j, "address", cd_json_hex(in.addr));
                    json_object_object_add(j, "text", json_object_new_string(strchr(cd_buf_str(&line), '\t') + 1));
                    json_object_array_add(arr, j);
                } else
                    cd_out_printf(&s->out, "%s\n", cd_buf_str(&line));
            }
        }
        cd_x86_free(dis);
    } else {
        int per_line = unit == 8 ? 2 : unit == 4 ? 4 : 8;
        if (f == 'c')
            per_line = 8;
        cd_type *ut = f == 'f' ? cd_type_base(x.vs, TY_FLOAT, (uint64_t)unit, true, unit == 4 ? "float" : "double")
                               : cd_type_base(x.vs, TY_INT, (uint64_t)unit, f == 'd', "xint");
        if (f == 'a')
            ut = cd_type_ptr(x.vs, NULL);
        cd_fmtopt o;
        cd_session_fmtopt(&o, s, f == 'a' ? 'a' : f == 'f' ? 0 : f);
        for (long k = 0; k < count; k++) {
            uint8_t buf[8];
            if (cd_target_read_full(s->target, a, buf, (size_t)unit) != 0) {
                if (line.len)
                    cd_out_printf(&s->out, "%s\n", cd_buf_str(&line));
                cd_buf_reset(&line);
                cd_fail(err, CD_EXIT_CMD, "cannot access memory at 0x%llx", (unsigned long long)a);
                rc = -1;
                break;
            }
            if (k % per_line == 0) {
                if (line.len)
                    cd_out_printf(&s->out, "%s\n", cd_buf_str(&line));
                cd_buf_reset(&line);
                label(&x, a, &line);
            }
            last_unit = a;
            cd_value v = {.type = ut, .where = V_BYTES, .bytes = buf, .regno = -1};
            cd_buf_puts(&line, "\t");
            uint64_t bits = 0;
            memcpy(&bits, buf, (size_t)unit);
            if (f == 'x') /* zero-padded to the unit, as gdb shows memory */
                cd_buf_printf(&line, "0x%0*llx", unit * 2, (unsigned long long)bits);
            else if (f == 't') {
                char digits[65];
                for (int i = 0; i < unit * 8; i++)
                    digits[i] = (char)('0' + ((bits >> (unit * 8 - 1 - i)) & 1));
                digits[unit * 8] = 0;
                cd_buf_puts(&line, digits);
            } else
                cd_format_value(&x, &v, &o, false, &line);
            if (arr) {
                uint64_t u = 0;
                memcpy(&u, buf, (size_t)unit);
                if (f == 'd') {
                    int64_t sv = (int64_t)(u << (64 - unit * 8)) >> (64 - unit * 8);
                    json_object_array_add(arr, json_object_new_int64(sv));
                } else if (f == 'f' || f == 'a')
                    json_object_array_add(arr, cd_value_json(&x, &v, &o));
                else
                    json_object_array_add(arr, json_object_new_uint64(u));
            }
            a += (uint64_t)unit;
        }
        if (line.len)
            cd_out_printf(&s->out, "%s\n", cd_buf_str(&line));
    }
    cd_buf_free(&line);
    vs->x_next = a;
    vs->x_fmt = f;
    vs->x_count = count;
    /* x/i leaves the unit alone, as in gdb: the next x/x reads what it read before. */
    if (f != 'i')
        vs->x_unit = (char)unit;
    if (f == 'i') {
        /* $_ is the address of the last unit examined, as in gdb. */
        cd_value last = cd_value_from_int(&x, cd_type_ptr(x.vs, NULL), last_unit);
        cd_conv_set(&x, "_", &last);
    } else {
        /* gdb: $_ points to the last unit as the integer of its size (int32_t * after x/xw,
         * int8_t * after x/s and x/c, whatever the format), $__ is that unit's contents (not after
         * x/s, whose units gdb does not fetch) */
        static const char *const names[] = {"int8_t", "int16_t", NULL, "int32_t", NULL, NULL, NULL, "int64_t"};
        int u = f == 's' ? 1 : unit;
        cd_type *it = cd_type_base(x.vs, TY_INT, (uint64_t)u, true, names[u - 1]);
        cd_value last = cd_value_from_int(&x, cd_type_ptr(x.vs, it), last_unit);
        cd_conv_set(&x, "_", &last);
        cd_err e2, *save = x.err;
        x.err = &e2;
        cd_value contents = {.type = it, .where = V_MEM, .addr = last_unit, .lval = true, .regno = -1};
        if (f != 's' && rc == 0)
            cd_conv_set(&x, "__", &contents);
        x.err = save;
    }
    if (arr) {
        if (rc == 0) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "address", cd_json_hex(addr));
            char fs[2] = {f, 0};
            json_object_object_add(j, "format", json_object_new_string(fs));
            json_object_object_add(j, "unit", json_object_new_int(unit));
            json_object_object_add(j, "values", arr);
            cd_out_json(&s->out, j);
        } else
            json_object_put(arr);
    }
out:
    free(src);
    cd_arena_free(&ar);
    return rc;
}

/* ---------- display ---------- */
/* One display's value now: {"display": N, "expr": E, "type": T, "value": V} (or "error"), or in
 * text "N: EXPR = VALUE". */
static void show_display(cd_session *s, cd_display *d, json_object *into)
{
    cd_arena ar = {0};
    cd_err err = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, &err);
    cd_value v;
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, d->fmt);
    int r = cd_eval_string(&x, d->expr, &v);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "display", json_object_new_int(d->num));
        json_object_object_add(j, "expr", json_object_new_string(d->expr));
        if (r == 0) {
            cd_buf tb = {0};
            cd_type_name(x.vs, v.type, &tb);
            json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&tb)));
            json_object_object_add(j, "value", cd_value_json(&x, &v, &o));
            cd_buf_free(&tb);
        } else
            json_object_object_add(j, "error", json_object_new_string(err.msg));
        if (into)
            json_object_array_add(into, j);
        else
            cd_out_json(&s->out, j);
    } else {
        cd_buf b = {0};
        if (r == 0)
            cd_format_value(&x, &v, &o, true, &b);
        else
            cd_buf_printf(&b, "<error: %s>", err.msg);
        if (d->fmt)
            cd_out_printf(&s->out, "%d: /%c %s = %s\n", d->num, d->fmt, d->expr, cd_buf_str(&b));
        else
            cd_out_printf(&s->out, "%d: %s = %s\n", d->num, d->expr, cd_buf_str(&b));
        cd_buf_free(&b);
    }
    cd_arena_free(&ar);
}

void cd_values_on_stop(cd_session *s)
{
    if (!s->values)
        return;
    cd_vstate *vs = cd_vstate_get(s);
    for (size_t i = 0; i < vs->ndisp; i++)
        show_display(s, &vs->disp[i], NULL);
}

int cd_cmd_display(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_vstate *vs = cd_vstate_get(s);
    if (argc > 1 && !strcmp(argv[1], "-d")) {
        unsigned long long n;
        if (argc != 3 || !cd_parse_uint(argv[2], &n))
            return cd_fail(err, CD_EXIT_CMD, "display -d: needs a display number, e.g. display -d 1");
        for (size_t i = 0; i < vs->ndisp; i++)
            if ((unsigned long long)vs->disp[i].num == n) {
                free(vs->disp[i].expr);
                memmove(&vs->disp[i], &vs->disp[i + 1], (vs->ndisp - i - 1) * sizeof *vs->disp);
                vs->ndisp--;
                /* every command prints one JSON object; text says nothing, as gdb's undisplay */
                if (s->out.json) {
                    json_object *j = json_object_new_object();
                    json_object_object_add(j, "command", json_object_new_string("display"));
                    json_object_object_add(j, "deleted", json_object_new_int((int)n));
                    cd_out_json(&s->out, j);
                }
                return 0;
            }
        return cd_fail(err, CD_EXIT_CMD, "display -d: no display number %llu", n);
    }
    int from;
    char f;
    if (parse_fmt("display", argc, argv, &from, &f, err) != 0)
        return -1;
    char *src = expr_text(s, argc, argv, from, false);
    if (!*src) {
        free(src);
        if (!vs->ndisp && !s->out.json)
            cd_out_printf(&s->out, "No display expressions.\n");
        /* JSON: one object for the command, the displays in a list */
        json_object *arr = s->out.json ? json_object_new_array() : NULL;
        for (size_t i = 0; i < vs->ndisp; i++)
            show_display(s, &vs->disp[i], arr);
        if (arr) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "command", json_object_new_string("display"));
            json_object_object_add(j, "displays", arr);
            cd_out_json(&s->out, j);
        }
        return 0;
    }
    /* Reject syntax errors now rather than at every stop. */
    cd_arena ar = {0};
    if (!cd_expr_parse(&ar, src, NULL, NULL, err) && err->kind == CD_EK_USAGE) {
        cd_arena_free(&ar);
        free(src);
        return -1;
    }
    cd_arena_free(&ar);
    vs->disp = cd_xrealloc(vs->disp, (vs->ndisp + 1) * sizeof *vs->disp);
    cd_display *d = &vs->disp[vs->ndisp++];
    d->num = ++vs->next_disp;
    d->expr = src;
    d->fmt = f;
    if (s->target)
        show_display(s, d, NULL);
    else if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "display", json_object_new_int(d->num));
        json_object_object_add(j, "expr", json_object_new_string(d->expr));
        cd_out_json(&s->out, j);
    }
    return 0;
}

int cd_cmd_config(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc >= 2 && !strcmp(argv[1], "print-thread-events"))
        return cd_config_thread_events(s, argc, argv, err);
    if (argc >= 2 && !strcmp(argv[1], "debug-file-directory"))
        return cd_cmd_debugdir(s, argc, argv, err);
    if (argc >= 2 && cd_inferiors_is_setting(argv[1]))
        return cd_inferiors_config(s, argc, argv, err);
    if (argc >= 2 && !strcmp(argv[1], "substitute-path")) {
        if (argc == 4) {
            if (!argv[2][0])
                return cd_fail(err, CD_EXIT_CMD, "config substitute-path: FROM is empty");
            cd_session_set_subst(s, argv[2], argv[3]);
        } else if (argc == 3) {
            if (!cd_session_set_subst(s, argv[2], NULL))
                return cd_fail(err, CD_EXIT_CMD, "config substitute-path: no rule for '%s' to remove", argv[2]);
        } else if (argc != 2) {
            return cd_fail(err, CD_EXIT_CMD, "config substitute-path: usage: config substitute-path [FROM [TO]]");
        }
    } else if (argc == 3) {
        unsigned long long n;
        if (!cd_parse_uint(argv[2], &n) || n == 0 || n > 1000000)
            return cd_fail(err, CD_EXIT_CMD, "config %s: expected a number between 1 and 1000000, got '%s'", argv[1], argv[2]);
        if (!strcmp(argv[1], "max-array"))
            s->max_array = (int)n;
        else if (!strcmp(argv[1], "max-string"))
            s->max_string = (int)n;
        else
            return cd_fail(err, CD_EXIT_CMD, "config: unknown setting '%s'; settings: max-array, max-string, substitute-path, "
                           "print-thread-events, follow-fork, detach-on-fork",
                           argv[1]);
    } else if (argc != 1)
        return cd_fail(err, CD_EXIT_CMD,
                       "config: usage: config [max-array N | max-string N | substitute-path [FROM [TO]] | "
                       "print-thread-events on|off | follow-fork parent|child | detach-on-fork on|off]");
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "max_array", json_object_new_int(o.max_array));
        json_object_object_add(j, "max_string", json_object_new_int(o.max_string));
        json_object *sp = json_object_new_array();
        for (size_t i = 0; i < s->nsubst; i++) {
            json_object *r = json_object_new_object();
            json_object_object_add(r, "from", json_object_new_string(s->subst[2 * i]));
            json_object_object_add(r, "to", json_object_new_string(s->subst[2 * i + 1]));
            json_object_array_add(sp, r);
        }
        json_object_object_add(j, "substitute_path", sp);
        json_object_object_add(j, "print_thread_events", json_object_new_boolean(!s->no_thread_events));
        char *dd = cd_debugdirs_get(s->debugdirs);
        json_object_object_add(j, "debug_file_directory", json_object_new_string(dd));
        free(dd);
        cd_inferiors_config_show(s, j);
        cd_out_json(&s->out, j);
    } else if (argc == 1 || (argc == 2 && !strcmp(argv[1], "substitute-path"))) {
        if (argc == 1) {
            cd_out_printf(&s->out, "max-array = %d\nmax-string = %d\nprint-thread-events = %s\n", o.max_array,
                          o.max_string, s->no_thread_events ? "off" : "on");
            cd_inferiors_config_show(s, NULL);
            char *dd = cd_debugdirs_get(s->debugdirs);
            cd_out_printf(&s->out, "debug-file-directory = %s\n", dd);
            free(dd);
        }
        for (size_t i = 0; i < s->nsubst; i++)
            cd_out_printf(&s->out, "substitute-path %s -> %s\n", s->subst[2 * i], s->subst[2 * i + 1]);
    }
    return 0;
}

/* `bt full`: the locals of frame F (text: printed indented; JSON: returned as an object). */
json_object *cd_values_frame_vars(cd_session *s, const cd_frame *f, bool json)
{
    cd_arena ar = {0};
    cd_err err = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, &err);
    x.frame = f;
    cd_var *vars;
    int n = cd_frame_vars(&x, false, true, &vars, &err);
    json_object *obj = json ? json_object_new_object() : NULL;
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    if (n < 0) {
        if (!json)
            cd_out_printf(&s->out, "        No symbol table info available.\n");
        cd_arena_free(&ar);
        return obj;
    }
    for (int i = 0; i < n; i++) {
        cd_value v = cd_var_value_or_error(&x, vars[i].mod, &vars[i].die);
        if (obj)
            json_object_object_add(obj, vars[i].name, cd_value_json(&x, &v, &o));
        else {
            cd_buf b = {0};
            cd_format_value(&x, &v, &o, true, &b);
            cd_out_printf(&s->out, "        %s = %s\n", vars[i].name, cd_buf_str(&b));
            cd_buf_free(&b);
        }
    }
    if (!n && !json)
        cd_out_printf(&s->out, "        No locals.\n");
    free(vars);
    cd_arena_free(&ar);
    return obj;
}

void cd_values_install(cd_session *s)
{
    s->values_free = cd_values_free;
    s->frame_vars = cd_values_frame_vars;
    s->on_stop = cd_values_on_stop;
}

/* ---------- gdb's print settings: set print NAME, show print [NAME], print -NAME ---------- */
typedef enum { PS_BOOL, PS_COUNT, PS_DEPTH } ps_kind; /* COUNT: 0 is unlimited; DEPTH: -1 is */
typedef struct {
    const char *name;
    ps_kind kind;
    const char *doc; /* gdb's `show print NAME` sentence, %s the value */
    size_t off;      /* PS_BOOL: the flag in cd_fmtopt */
} print_setting;
#define PS_FLAG(f) offsetof(cd_fmtopt, f)
/* gdb's names and sentences, in its alphabetical order (`show print` lists them so) */
static const print_setting print_settings[] = {
    {"address", PS_BOOL, "Printing of addresses is %s.", PS_FLAG(address)},
    {"array", PS_BOOL, "Pretty formatting of arrays is %s.", PS_FLAG(array)},
    {"array-indexes", PS_BOOL, "Printing of array indexes is %s.", PS_FLAG(array_indexes)},
    {"elements", PS_COUNT, "Limit on string chars or array elements to print is %s.", 0},
    {"max-depth", PS_DEPTH, "Maximum print depth is %s.", 0},
    {"null-stop", PS_BOOL, "Printing of char arrays to stop at first null char is %s.", PS_FLAG(null_stop)},
    {"pretty", PS_BOOL, "Pretty formatting of structures is %s.", PS_FLAG(pretty)},
    {"repeats", PS_COUNT, "Threshold for repeated print elements is %s.", 0},
    {"static-members", PS_BOOL, "Printing of C++ static members is %s.", PS_FLAG(static_members)},
    {"symbol", PS_BOOL, "Printing of symbols when printing pointers is %s.", PS_FLAG(symbol)},
    {"union", PS_BOOL, "Printing of unions interior to structures is %s.", PS_FLAG(unions)},
    {"vtbl", PS_BOOL, "Printing of C++ virtual function tables is %s.", PS_FLAG(vtbl)},
};
#define NPRINT_SETTINGS (sizeof print_settings / sizeof print_settings[0])

static bool *ps_bool(cd_fmtopt *o, const print_setting *p) { return (bool *)((char *)o + p->off); }

/* The setting NAME abbreviates (gdb: a unique prefix, an exact name first); NULL with *ambiguous. */
static const print_setting *ps_find(const char *name, size_t len, bool *ambiguous)
{
    const print_setting *hit = NULL;
    int n = 0;
    *ambiguous = false;
    for (size_t i = 0; i < NPRINT_SETTINGS; i++) {
        if (strlen(print_settings[i].name) == len && !strncmp(print_settings[i].name, name, len))
            return &print_settings[i];
        if (len && !strncmp(print_settings[i].name, name, len))
            hit = &print_settings[i], n++;
    }
    *ambiguous = n > 1;
    return n == 1 ? hit : NULL;
}

/* gdb's boolean words; -1 when W is none of them */
/* gdb's `set print` settings cdbg has not: they make an abbreviation ambiguous as in gdb
 * (`set print p`: pascal_static-members, pretty) and are named when asked for */
static const char *const gdb_only_settings[] = {
    "asm-demangle", "demangle", "entry-values", "finish", "frame-arguments", "frame-info", "inferior-events",
    "max-symbolic-offset", "memory-tag-violations", "nibbles", "object", "pascal_static-members",
    "raw-frame-arguments", "raw-values", "sevenbit-strings", "symbol-filename", "symbol-loading", "thread-events",
    "type",
};

/* `set print W` / `show print W`: the setting, or NULL after gdb's message (ambiguous: the
 * candidates in gdb's order; unknown: gdb's; one cdbg has not: says so). */
static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }
static const print_setting *ps_lookup(const char *verb, const char *w, const char *rest, cd_err *err)
{
    size_t n = strlen(w);
    bool amb;
    const print_setting *p = ps_find(w, n, &amb);
    const char *names[NPRINT_SETTINGS + sizeof gdb_only_settings / sizeof gdb_only_settings[0]];
    size_t k = 0;
    const char *other = NULL;
    for (size_t i = 0; i < sizeof gdb_only_settings / sizeof gdb_only_settings[0]; i++)
        if (!strncmp(gdb_only_settings[i], w, n)) {
            names[k++] = gdb_only_settings[i];
            if (strlen(gdb_only_settings[i]) == n)
                other = gdb_only_settings[i];
        }
    if (p && strlen(p->name) == n) /* an exact name wins */
        return p;
    if (other || (!p && !amb && k == 1)) {
        cd_fail(err, CD_EXIT_CMD, "%s print %s: gdb's setting, which cdbg has not; `show print` lists cdbg's", verb,
                other ? other : names[0]);
        return NULL;
    }
    if (p && !k)
        return p;
    if (!k && !amb) {
        cd_fail(err, CD_EXIT_CMD, "Undefined %s print command: \"%s\".  Try \"help %s print\".", verb, rest, verb);
        return NULL;
    }
    for (size_t i = 0; i < NPRINT_SETTINGS; i++)
        if (!strncmp(print_settings[i].name, w, n))
            names[k++] = print_settings[i].name;
    qsort(names, k, sizeof names[0], cmp_str);
    cd_buf l = {0};
    for (size_t i = 0; i < k; i++)
        cd_buf_printf(&l, "%s%s", i ? ", " : "", names[i]);
    cd_fail(err, CD_EXIT_CMD, "Ambiguous %s print command \"%s\": %s.", verb, rest, cd_buf_str(&l));
    cd_buf_free(&l);
    return NULL;
}

static int parse_bool(const char *w, size_t n)
{
    static const char *const on[] = {"on", "yes", "enable", "1"}, *const off[] = {"off", "no", "disable", "0"};
    for (int i = 0; i < 4; i++) {
        if (n && n <= strlen(on[i]) && !strncmp(on[i], w, n) && (n > 1 || w[0] != 'o'))
            return 1;
        if (n && n <= strlen(off[i]) && !strncmp(off[i], w, n) && (n > 1 || w[0] != 'o'))
            return 0;
    }
    return -1;
}

/* A count or depth in W (len N): "unlimited" (or 0 for a count, -1 for a depth) is
 * CD_PRINT_UNLIMITED. gdb's messages for the rest. */
static int parse_count(const print_setting *p, const char *w, size_t n, int *out, const char *what, cd_err *err)
{
    if (n && n <= 9 && !strncmp("unlimited", w, n)) {
        *out = CD_PRINT_UNLIMITED;
        return 0;
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < 31 ? n : 31), w);
    char *end;
    long long v = strtoll(buf, &end, 0);
    if (!n || *end || end == buf) {
        if (what[0] == '-') /* a print option: gdb's words, and where it stopped */
            return cd_fail(err, CD_EXIT_CMD, "Expected integer at: %s", w);
        return cd_fail(err, CD_EXIT_CMD, "%s: expected a number or \"unlimited\", got '%s'", what, buf);
    }
    if (p->kind == PS_DEPTH) {
        if (v < -1)
            return cd_fail(err, CD_EXIT_CMD, "only -1 is allowed to set as unlimited");
        if (v > INT32_MAX - 1)
            return cd_fail(err, CD_EXIT_CMD, "integer %lld out of range", v);
        *out = v == -1 ? CD_PRINT_UNLIMITED : (int)v;
        return 0;
    }
    if (v < 0 || v > INT32_MAX - 1)
        return cd_fail(err, CD_EXIT_CMD, "integer %lld out of range", v);
    *out = v == 0 ? CD_PRINT_UNLIMITED : (int)v;
    return 0;
}

/* Applies one setting to O (elements: both limits). */
static void ps_apply(cd_fmtopt *o, const print_setting *p, int v)
{
    if (p->kind == PS_BOOL)
        *ps_bool(o, p) = v != 0;
    else if (!strcmp(p->name, "elements"))
        o->max_array = o->max_string = v;
    else if (!strcmp(p->name, "repeats"))
        o->repeats = v;
    else
        o->max_depth = v;
}

static int ps_value(const cd_fmtopt *o, const print_setting *p)
{
    cd_fmtopt c = *o;
    if (p->kind == PS_BOOL)
        return *ps_bool(&c, p);
    if (!strcmp(p->name, "elements"))
        return o->max_array;
    return !strcmp(p->name, "repeats") ? o->repeats : o->max_depth;
}

static void ps_text(const cd_fmtopt *o, const print_setting *p, cd_buf *b)
{
    int v = ps_value(o, p);
    char num[24];
    if (p->kind == PS_BOOL)
        snprintf(num, sizeof num, "%s", v ? "on" : "off");
    else if (v == CD_PRINT_UNLIMITED)
        snprintf(num, sizeof num, "unlimited");
    else
        snprintf(num, sizeof num, "%d", v);
    cd_buf_printf(b, p->doc, num);
}

static json_object *ps_json(const cd_fmtopt *o, const print_setting *p)
{
    int v = ps_value(o, p);
    if (p->kind == PS_BOOL)
        return json_object_new_boolean(v);
    return v == CD_PRINT_UNLIMITED ? json_object_new_string("unlimited") : json_object_new_int(v);
}

static void session_print_opts(cd_session *s, cd_fmtopt *o)
{
    cd_session_fmtopt(o, s, 0);
}

/* `set print NAME [VALUE]` (argv[1] is print, p or pr). gdb says nothing; JSON: the new value. */
int cd_print_set(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc < 3) {
        cd_buf l = {0};
        for (size_t i = 0; i < NPRINT_SETTINGS; i++)
            cd_buf_printf(&l, "%s%s", i ? ", " : "", print_settings[i].name);
        cd_fail(err, CD_EXIT_CMD, "set print: which setting? one of %s (show print lists them)", cd_buf_str(&l));
        cd_buf_free(&l);
        return -1;
    }
    cd_buf rest = {0};
    for (int i = 2; i < argc; i++)
        cd_buf_printf(&rest, "%s%s", i > 2 ? " " : "", argv[i]);
    const print_setting *p = ps_lookup("set", argv[2], cd_buf_str(&rest), err);
    cd_buf_free(&rest);
    if (!p)
        return -1;
    if (argc > 4 && p->kind != PS_BOOL)
        return cd_fail(err, CD_EXIT_CMD, "set print %s: one value, got %d", p->name, argc - 3);
    int v;
    if (p->kind == PS_BOOL) {
        v = argc == 3 ? 1 : argc > 4 ? -1 : parse_bool(argv[3], strlen(argv[3]));
        if (v < 0)
            return cd_fail(err, CD_EXIT_CMD, "\"on\" or \"off\" expected.");
    } else if (argc == 3) {
        return cd_fail(err, CD_EXIT_CMD, "Argument required (integer to set it to, or \"unlimited\").");
    } else {
        cd_buf what = {0};
        cd_buf_printf(&what, "set print %s", p->name);
        int r = parse_count(p, argv[3], strlen(argv[3]), &v, cd_buf_str(&what), err);
        cd_buf_free(&what);
        if (r != 0)
            return -1;
    }
    if (!strcmp(p->name, "elements"))
        s->max_array = s->max_string = v;
    else
        ps_apply(&s->print, p, v);
    if (s->out.json) {
        cd_fmtopt o;
        session_print_opts(s, &o);
        json_object *j = json_object_new_object();
        json_object_object_add(j, "setting", json_object_new_string(p->name));
        json_object_object_add(j, "value", ps_json(&o, p));
        cd_out_json(&s->out, j);
    }
    return 0;
}

/* `show print [NAME]`: gdb's sentences (all of them: "print NAME:  SENTENCE" lines). */
int cd_print_show(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_fmtopt o;
    session_print_opts(s, &o);
    const print_setting *one = NULL;
    if (argc > 2 && !(one = ps_lookup("show", argv[2], argv[2], err)))
        return -1; /* words after the name are ignored, as gdb does */
    json_object *j = s->out.json ? json_object_new_object() : NULL;
    for (size_t i = 0; i < NPRINT_SETTINGS; i++) {
        const print_setting *p = &print_settings[i];
        if (one && one != p)
            continue;
        if (j) {
            json_object_object_add(j, p->name, ps_json(&o, p));
            continue;
        }
        cd_buf b = {0};
        ps_text(&o, p, &b);
        if (one)
            cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
        else
            cd_out_printf(&s->out, "print %s:  %s\n", p->name, cd_buf_str(&b));
        cd_buf_free(&b);
    }
    if (j) {
        json_object *w = json_object_new_object();
        json_object_object_add(w, "print", j);
        cd_out_json(&s->out, w);
    }
    return 0;
}

/* gdb's print options before `--` (print -pretty -elements 5 -- EXPR): applied to O; *rest is the
 * text after `--`. Without a `--` token the whole text is the expression (gdb's rule: `print -x`
 * negates x). */
static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static bool is_dashdash(const char *p) { return p[0] == '-' && p[1] == '-' && (!p[2] || p[2] == ' ' || p[2] == '\t'); }

static int print_options(const char *text, cd_fmtopt *o, const char **rest, cd_err *err)
{
    const char *p = ws(text);
    *rest = p;
    if (*p != '-')
        return 0;
    bool delim = false;
    for (const char *q = p; *q; q++)
        if ((q == p || q[-1] == ' ' || q[-1] == '\t') && is_dashdash(q))
            delim = true;
    if (!delim)
        return 0;
    for (;;) {
        p = ws(p);
        if (is_dashdash(p)) {
            *rest = ws(p + 2);
            return 0;
        }
        if (*p != '-')
            return cd_fail(err, CD_EXIT_CMD, "Unrecognized option at: %s", p);
        const char *name = p + 1;
        size_t n = strcspn(name, " \t");
        bool amb;
        const print_setting *ps = ps_find(name, n, &amb);
        /* gdb's options cdbg has not: an abbreviation of one of them and of one cdbg has is
         * ambiguous, as in gdb (-r: -raw-values, -repeats) */
        static const char *const others[] = {"memory-tag-violations", "object", "raw-values"};
        const char *other = NULL;
        for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
            if (n && !strncmp(others[i], name, n))
                other = others[i];
        if (other && (ps ? strlen(ps->name) != n : true) && (ps || amb))
            amb = true, ps = NULL;
        else if (other && !ps && !amb) {
            /* accepted as gdb does: -raw-values is print/r; -object (the dynamic type of a
             * polymorphic pointer) and -memory-tag-violations (no memory tags on x86-64) change
             * nothing cdbg prints */
            p = ws(name + n);
            size_t vn = strcspn(p, " \t");
            int v = 1;
            if (*p && *p != '-') {
                v = parse_bool(p, vn);
                if (v < 0)
                    return cd_fail(err, CD_EXIT_CMD, "Value given for `-%s' is not a boolean: %.*s", other, (int)vn, p);
                p += vn;
            }
            if (!strcmp(other, "raw-values"))
                o->raw = v;
            continue;
        }
        if (!ps)
            return cd_fail(err, CD_EXIT_CMD, "%s option at: %s", amb ? "Ambiguous" : "Unrecognized", p);
        p = ws(name + n);
        size_t vn = strcspn(p, " \t");
        int v;
        if (ps->kind == PS_BOOL) {
            v = 1;
            if (*p && *p != '-') { /* a value: it must be a boolean */
                v = parse_bool(p, vn);
                if (v < 0)
                    return cd_fail(err, CD_EXIT_CMD, "Value given for `-%s' is not a boolean: %.*s", ps->name, (int)vn, p);
                p += vn;
            }
        } else {
            if (is_dashdash(p) || !*p)
                return cd_fail(err, CD_EXIT_CMD, "Expected integer at: %s", p);
            cd_buf what = {0};
            cd_buf_printf(&what, "-%s", ps->name);
            int r = parse_count(ps, p, vn, &v, cd_buf_str(&what), err);
            cd_buf_free(&what);
            if (r != 0)
                return -1;
            p += vn;
        }
        ps_apply(o, ps, v);
    }
}

/* A leading "/FMT" of TEXT (after the options): its letter into *fmt, the text after it into *rest. */
static int text_fmt(const char *cmd, const char *text, char *fmt, const char **rest, cd_err *err)
{
    if (*text != '/')
        return 0;
    size_t n = strcspn(text + 1, " \t");
    if (n != 1 || !strchr("xduotcfasr", text[1]))
        return cd_fail(err, CD_EXIT_CMD, "%s: unknown format '/%.*s'; use one of /x /d /u /o /t /c /f /a /s /r", cmd,
                       (int)n, text + 1);
    *fmt = text[1];
    *rest = ws(text + 2);
    return 0;
}

/* ---------- printf and echo ---------- */
/* gdb's escapes: \n \t \\ \" \a \b \f \r \v in both; \e (ESC) in a printf format only, octal
 * \NNN in an echo text only (gdb's parse_escape). *P is after the backslash and is advanced; -1
 * for one that is none of them. */
static int escape_char(const char **p, bool echo)
{
    char c = *(*p)++;
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case '\\': return '\\';
    case '"': return '"';
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'r': return '\r';
    case 'v': return '\v';
    case 'e':
        if (!echo)
            return 27;
        break;
    default: break;
    }
    if (echo && c >= '0' && c <= '7') {
        int v = c - '0';
        for (int i = 0; i < 2 && **p >= '0' && **p <= '7'; i++)
            v = v * 8 + *(*p)++ - '0';
        return v & 0xff;
    }
    (*p)--;
    return -1;
}

int cd_cmd_echo(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc; (void)argv; (void)err;
    const char *p = s->raw_args ? s->raw_args : "";
    cd_buf b = {0};
    while (*p) {
        if (*p != '\\') {
            cd_buf_append(&b, p++, 1);
            continue;
        }
        p++;
        if (!*p) /* gdb: a backslash ending the line keeps the spaces before it */
            break;
        int c = escape_char(&p, true);
        char ch = c < 0 ? *p++ : (char)c; /* gdb: any other escaped character is itself */
        cd_buf_append(&b, &ch, 1);
    }
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "echo", json_object_new_string_len(cd_buf_str(&b), (int)b.len));
        cd_out_json(&s->out, j);
    } else
        cd_out_printf(&s->out, "%s", cd_buf_str(&b));
    cd_buf_free(&b);
    return 0;
}

/* One conversion of a printf format: its text ("%-5ld") and what it takes. */
typedef enum { PF_LIT, PF_INT, PF_CHAR, PF_STR, PF_PTR, PF_FLOAT, PF_LDOUBLE } pf_kind;
typedef struct {
    pf_kind kind;
    char spec[40];   /* the conversion as the C library takes it, length modifier normalised */
    bool is_unsigned;
    int lng;         /* 0 int, 1 long, 2 long long */
} pf_piece;

/* gdb's parse_format_string: the literal text between conversions (escapes done) and the
 * conversions; its messages for what it rejects. */
static int pf_parse(const char *f, cd_buf *lits, pf_piece **out, int *nout, cd_err *err)
{
    *out = NULL;
    *nout = 0;
    cd_buf lit = {0};
    int n = 0, rc = 0;
    pf_piece *v = NULL;
    for (;;) {
        if (*f == '\\') {
            f++;
            int c = escape_char(&f, false);
            if (c < 0) {
                rc = cd_fail(err, CD_EXIT_CMD, "Unrecognized escape character \\%c in format string.", *f);
                break;
            }
            char ch = (char)c;
            cd_buf_append(&lit, &ch, 1);
            continue;
        }
        if (*f && *f != '%') {
            cd_buf_append(&lit, f++, 1);
            continue;
        }
        if (*f == '%' && f[1] == '%') {
            cd_buf_append(&lit, "%", 1);
            f += 2;
            continue;
        }
        /* the literal before a conversion (or the end) is a piece of its own */
        v = cd_xrealloc(v, (size_t)(n + 2) * sizeof *v);
        lits[n].len = 0;
        cd_buf_append(&lits[n], cd_buf_str(&lit), lit.len);
        lit.len = 0;
        v[n++] = (pf_piece){.kind = PF_LIT};
        if (!*f)
            break;
        const char *start = f++;
        f += strspn(f, "#0- +'");
        if (*f == '*') {
            rc = cd_fail(err, CD_EXIT_CMD, "`*' not supported for precision or width in printf");
            break;
        }
        f += strspn(f, "0123456789");
        if (*f == '.') {
            f++;
            if (*f == '*') {
                rc = cd_fail(err, CD_EXIT_CMD, "`*' not supported for precision or width in printf");
                break;
            }
            f += strspn(f, "0123456789");
        }
        size_t flen = (size_t)(f - start);
        pf_piece pc = {.kind = PF_INT};
        bool ldbl = false, shrt = false;
        if (*f == 'h' && f[1] != 'h') /* gdb takes %hd, not %hhd */
            shrt = true, f++;
        else if (*f == 'l') {
            pc.lng = 1, f++;
            if (*f == 'l')
                pc.lng = 2, f++;
        } else if (*f == 'L')
            ldbl = true, f++;
        else if (*f == 'z')
            pc.lng = 1, f++;
        char conv = *f;
        if (!conv) {
            rc = cd_fail(err, CD_EXIT_CMD, "Incomplete format specifier at end of format string");
            break;
        }
        f++;
        switch (conv) {
        case 'd': case 'i': break;
        case 'u': case 'o': case 'x': case 'X': pc.is_unsigned = true; break;
        case 'c': pc.kind = PF_CHAR; break;
        case 's': pc.kind = PF_STR; break;
        case 'p': pc.kind = PF_PTR; break;
        case 'e': case 'f': case 'g': case 'E': case 'G': case 'F': case 'a': case 'A':
            pc.kind = ldbl ? PF_LDOUBLE : PF_FLOAT;
            break;
        default:
            rc = cd_fail(err, CD_EXIT_CMD, "Unrecognized format specifier '%c' in printf", conv);
            break;
        }
        if (rc)
            break;
        if ((ldbl && pc.kind != PF_LDOUBLE) || (shrt && pc.kind != PF_INT)) {
            rc = cd_fail(err, CD_EXIT_CMD, "Inappropriate modifiers to format specifier '%c' in printf", conv);
            break;
        }
        if (flen >= sizeof pc.spec - 4) {
            rc = cd_fail(err, CD_EXIT_CMD, "printf: the conversion %.*s is too long", (int)(f - start), start);
            break;
        }
        snprintf(pc.spec, sizeof pc.spec, "%.*s%s%c", (int)flen, start,
                 pc.kind == PF_LDOUBLE ? "L" : pc.kind == PF_INT ? (pc.lng == 2 ? "ll" : pc.lng ? "l" : shrt ? "h" : "") : "",
                 conv);
        v[n++] = pc;
    }
    cd_buf_free(&lit);
    if (rc) {
        free(v);
        return -1;
    }
    *out = v;
    *nout = n;
    return 0;
}

/* The arguments after the format: split at the commas outside parentheses, brackets and quotes. */
static int pf_split_args(const char *p, char ***out)
{
    int n = 0, depth = 0;
    char **v = NULL;
    const char *start = p;
    char q = 0;
    for (;; p++) {
        if (q) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == q)
                q = 0;
            else if (!*p)
                break;
            continue;
        }
        if (*p == '"' || *p == '\'')
            q = *p;
        else if (*p == '(' || *p == '[' || *p == '{')
            depth++;
        else if ((*p == ')' || *p == ']' || *p == '}') && depth)
            depth--;
        else if ((*p == ',' && !depth) || !*p) {
            v = cd_xrealloc(v, (size_t)(n + 1) * sizeof *v);
            v[n++] = cd_xasprintf("%.*s", (int)(p - start), start);
            start = p + 1;
            if (!*p)
                break;
        }
    }
    *out = v;
    return n;
}

/* A %s argument: the string a pointer (or a char array in memory) points to, up to its NUL; a
 * literal's own bytes. gdb reads the whole string, without print elements. */
static int pf_string(cd_ectx *x, const cd_value *v, cd_buf *b)
{
    cd_type *t = cd_type_strip(v->type);
    uint64_t addr;
    if (t->kind == TY_ARRAY && v->where == V_BYTES) {
        uint64_t n = cd_type_size(v->type);
        for (uint64_t i = 0; i < n && v->bytes[i]; i++)
            cd_buf_append(b, (const char *)&v->bytes[i], 1);
        return 0;
    }
    if (t->kind == TY_ARRAY && v->where == V_MEM)
        addr = v->addr;
    else {
        __int128 a;
        if (t->kind == TY_STRUCT || t->kind == TY_UNION || cd_value_int(x, v, &a) != 0)
            return cd_fail(x->err, CD_EXIT_CMD, "Value can't be converted to integer.");
        addr = (uint64_t)a;
    }
    if (!addr) {
        cd_buf_puts(b, "(null)");
        return 0;
    }
    for (uint64_t i = 0;; i += 64) {
        uint8_t chunk[64];
        ssize_t got = x->t ? cd_target_read(x->t, addr + i, chunk, sizeof chunk) : -1;
        if (got <= 0)
            return cd_fail(x->err, CD_EXIT_CMD, "Cannot access memory at address 0x%llx", (unsigned long long)(addr + i));
        for (ssize_t k = 0; k < got; k++) {
            if (!chunk[k])
                return 0;
            cd_buf_append(b, (const char *)&chunk[k], 1);
        }
        if (i > (64u << 20)) /* a runaway read: 64 MiB without a NUL */
            return cd_fail(x->err, CD_EXIT_CMD, "printf: no NUL in the first 64 MiB at 0x%llx", (unsigned long long)addr);
    }
}

/* One conversion of V into B. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int pf_convert(cd_ectx *x, const pf_piece *pc, const cd_value *v, cd_buf *b)
{
    cd_type *t = cd_type_strip(v->type);
    if (!t || t->kind == TY_VOID)
        return cd_fail(x->err, CD_EXIT_CMD, "Value can't be converted to integer.");
    switch (pc->kind) {
    case PF_STR: {
        cd_buf str = {0};
        int r = pf_string(x, v, &str);
        if (r == 0)
            cd_buf_printf(b, pc->spec, cd_buf_str(&str));
        cd_buf_free(&str);
        return r;
    }
    case PF_FLOAT:
    case PF_LDOUBLE: {
        long double d;
        if (t->kind == TY_STRUCT || t->kind == TY_UNION || t->kind == TY_ARRAY)
            return cd_fail(x->err, CD_EXIT_CMD, "Value can't be converted to a floating-point number.");
        if (t->kind != TY_FLOAT && (t->size == 4 || t->size == 8)) {
            /* gdb reads an integer's bytes as the float type of its size (printf "%f", 3 is 0.000000) */
            uint8_t raw[8] = {0};
            if (cd_value_read(x, v, 0, raw, t->size) != 0)
                return -1;
            if (t->size == 4) {
                float fv;
                memcpy(&fv, raw, 4);
                d = fv;
            } else {
                double dv;
                memcpy(&dv, raw, 8);
                d = dv;
            }
        } else if (cd_value_float(x, v, &d) != 0)
            return -1;
        if (pc->kind == PF_LDOUBLE)
            cd_buf_printf(b, pc->spec, d);
        else
            cd_buf_printf(b, pc->spec, (double)d);
        return 0;
    }
    default: break;
    }
    __int128 iv;
    if (t->kind == TY_STRUCT || t->kind == TY_UNION || t->kind == TY_ARRAY || cd_value_int(x, v, &iv) != 0)
        return cd_fail(x->err, CD_EXIT_CMD, "Value can't be converted to integer.");
    if (pc->kind == PF_PTR) {
        /* gdb: glibc's %p, "(nil)" for 0, the width and flags kept */
        char sp[40];
        size_t n = strlen(pc->spec);
        if ((uint64_t)iv == 0) {
            snprintf(sp, sizeof sp, "%.*ss", (int)(n - 1), pc->spec);
            cd_buf_printf(b, sp, "(nil)");
        } else {
            char hex[24];
            snprintf(hex, sizeof hex, "0x%llx", (unsigned long long)(uint64_t)iv);
            snprintf(sp, sizeof sp, "%.*ss", (int)(n - 1), pc->spec);
            cd_buf_printf(b, sp, hex);
        }
        return 0;
    }
    if (pc->kind == PF_CHAR) {
        cd_buf_printf(b, pc->spec, (int)(unsigned char)iv);
        return 0;
    }
    /* the value converted to the conversion's type (gdb casts to int, long or long long) */
    if (pc->lng == 2 && pc->is_unsigned)
        cd_buf_printf(b, pc->spec, (unsigned long long)iv);
    else if (pc->lng == 2)
        cd_buf_printf(b, pc->spec, (long long)iv);
    else if (pc->lng == 1 && pc->is_unsigned)
        cd_buf_printf(b, pc->spec, (unsigned long)iv);
    else if (pc->lng == 1)
        cd_buf_printf(b, pc->spec, (long)iv);
    else if (pc->is_unsigned)
        cd_buf_printf(b, pc->spec, (unsigned)iv);
    else
        cd_buf_printf(b, pc->spec, (int)iv);
    return 0;
}
#pragma GCC diagnostic pop

/* printf "FORMAT", ARG...: gdb's printf (its conversions and messages); %s reads the target. */
int cd_cmd_printf(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc; (void)argv;
    const char *p = ws(s->raw_args ? s->raw_args : "");
    if (!*p)
        return cd_fail(err, CD_EXIT_CMD, "Argument required (format-control string and values to print).");
    if (*p != '"')
        return cd_fail(err, CD_EXIT_CMD, "Bad format string, missing '\"'.");
    /* the format: up to the closing quote (an escaped one stays inside) */
    const char *f = ++p;
    while (*p && *p != '"')
        p += *p == '\\' && p[1] ? 2 : 1;
    if (*p != '"')
        return cd_fail(err, CD_EXIT_CMD, "Bad format string, non-terminated '\"'.");
    char *fmt = cd_xasprintf("%.*s", (int)(p - f), f);
    p = ws(p + 1);
    if (*p && *p != ',') {
        free(fmt);
        return cd_fail(err, CD_EXIT_CMD, "Invalid argument syntax");
    }
    int rc = -1, nargs = 0, npieces = 0;
    char **args = NULL;
    pf_piece *pieces = NULL;
    cd_buf *lits = cd_xcalloc(strlen(fmt) + 2, sizeof *lits), out = {0};
    if (pf_parse(fmt, lits, &pieces, &npieces, err) != 0)
        goto done;
    if (*p == ',')
        nargs = pf_split_args(p + 1, &args);
    int nconv = 0;
    for (int i = 0; i < npieces; i++)
        nconv += pieces[i].kind != PF_LIT;
    if (nargs != nconv) {
        cd_fail(err, CD_EXIT_CMD, "Wrong number of arguments for specified format-string");
        goto done;
    }
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    int a = 0;
    rc = 0;
    for (int i = 0; i < npieces && rc == 0; i++) {
        if (pieces[i].kind == PF_LIT) {
            cd_buf_append(&out, cd_buf_str(&lits[i]), lits[i].len);
            continue;
        }
        cd_value v;
        if (cd_eval_string(&x, args[a++], &v) != 0 || pf_convert(&x, &pieces[i], &v, &out) != 0)
            rc = -1;
    }
    after_write(s, &x);
    cd_arena_free(&ar);
    if (rc == 0) { /* gdb prints nothing of a printf that failed */
        if (s->out.json) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "printf", json_object_new_string_len(cd_buf_str(&out), (int)out.len));
            cd_out_json(&s->out, j);
        } else
            cd_out_printf(&s->out, "%s", cd_buf_str(&out));
    }
done:
    for (int i = 0; i < nargs; i++)
        free(args[i]);
    free(args);
    for (size_t i = 0; i < strlen(fmt) + 2; i++)
        cd_buf_free(&lits[i]);
    free(lits);
    free(pieces);
    free(fmt);
    cd_buf_free(&out);
    return rc;
}
