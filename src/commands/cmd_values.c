/* Value commands: print, locals, args, vars, whatis, ptype, set var, x, display, config.
 * All of them evaluate in the session's selected thread and frame (src/expr). */
#include "arch/arch.h"
#include "commands/cmd_impl.h"
#include "expr/expr_int.h"
#include "symbols/symbols.h"

#include <ctype.h>
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
    cd_scope sc = {.max_array = s->max_array, .max_string = s->max_string};
    cd_fmtopt_init(o, &sc, fmt);
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

int cd_cmd_print(cd_session *s, int argc, char **argv, cd_err *err)
{
    int from;
    char f;
    if (parse_fmt("print", argc, argv, &from, &f, err) != 0)
        return -1;
    char *src = expr_text(s, argc, argv, from, false);
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
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, f);
    /* gdb numbers void results too (`$1 = void` for an unset convenience variable). */
    int n = cd_hist_add(&x, &v);
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
        cd_out_printf(&s->out, "$%d = %s\n", n, cd_buf_str(&b));
        cd_buf_free(&b);
    }
out:
    after_write(s, &x);
    cd_arena_free(&ar);
    free(src);
    return rc;
}

/* A variable's value, or an error value carrying why it could not be read: listings go on past
 * one unreadable variable. */
static cd_value var_value_or_error(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die)
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
        cd_value v = var_value_or_error(&x, vars[i].mod, &vars[i].die);
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
    cd_value v = var_value_or_error(x, mod, die);
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

int cd_cmd_set(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc >= 2 && !strcmp(argv[1], "debug-file-directory"))
        return cd_cmd_debugdir(s, argc, argv, err);
    if (argc >= 2 && !strcmp(argv[1], "debuginfod"))
        return cd_cmd_debuginfod(s, argc, argv, err);
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
    {
        /* $_ is the address of the last unit examined, as in gdb. */
        cd_value last = cd_value_from_int(&x, cd_type_ptr(x.vs, NULL), last_unit);
        cd_conv_set(&x, "_", &last);
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
        cd_value v = var_value_or_error(&x, vars[i].mod, &vars[i].die);
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
