/* disassemble: a function or an address range through capstone, in the selected frame.
 *
 * Locations are C expressions (src/expr) or function names, so `disassemble &handler`,
 * `disassemble $pc-16,+32` and `disassemble memcpy` all work, on a live process or a core.
 * Decoding is src/arch's; this file only chooses the range and renders. */
#include "arch/arch.h"
#include "commands/cmd_impl.h"
#include "expr/expr_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A range larger than this is almost certainly a mistyped END: refuse rather than print megabytes. */
#define MAX_RANGE (1u << 20)

typedef struct dis_opts {
    bool raw, source;
} dis_opts;

static int parse_mods(const char *m, dis_opts *o, cd_err *err)
{
    for (; *m; m++) {
        if (*m == 'r')
            o->raw = true;
        else if (*m == 's' || *m == 'm')
            o->source = true;
        else if (*m != '/')
            return cd_fail(err, CD_EXIT_CMD, "disassemble: unknown modifier '/%c'; use /r (raw bytes) or /s (source lines)", *m);
    }
    return 0;
}

/* An address from an expression: a function or array designates its address, anything else is
 * converted to an integer. */
static int eval_addr(cd_ectx *x, const char *src, uint64_t *out)
{
    cd_value v;
    if (cd_eval_string(x, src, &v) != 0)
        return -1;
    cd_type *t = cd_type_strip(v.type);
    if ((t->kind == TY_FUNC || t->kind == TY_ARRAY) && v.where == V_MEM) {
        *out = v.addr;
        return 0;
    }
    __int128 i;
    if (cd_value_int(x, &v, &i) != 0)
        return -1;
    *out = (uint64_t)i;
    return 0;
}

/* The comma that separates START and END, outside parentheses and brackets; NULL if none. */
static char *range_comma(char *s)
{
    int depth = 0;
    for (char *p = s; *p; p++) {
        if (*p == '(' || *p == '[')
            depth++;
        else if ((*p == ')' || *p == ']') && depth > 0)
            depth--;
        else if (*p == ',' && depth == 0)
            return p;
    }
    return NULL;
}

int cd_cmd_disassemble(cd_session *s, int argc, char **argv, cd_err *err)
{
    dis_opts o = {0};
    const char *glued = strchr(argv[0], '/');
    if (glued && parse_mods(glued, &o, err) < 0)
        return -1;
    int from = 1;
    while (from < argc && argv[from][0] == '/') {
        if (parse_mods(argv[from], &o, err) < 0)
            return -1;
        from++;
    }
    cd_buf loc = {0};
    for (int i = from; i < argc; i++)
        cd_buf_printf(&loc, "%s%s", i > from ? " " : "", argv[i]);

    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    int rc = -1;
    const char *fname = NULL;
    uint64_t start = 0, end = 0, fstart = 0, fend = 0, mark = 0;
    const cd_frame *f = cd_session_frame(s, err);
    /* `=>` marks the instruction the frame is in: the pc itself in frame 0, the call in outer
     * frames (their pc is the return address, which may even lie past a noreturn call's function) */
    if (f)
        mark = f->lookup_pc;
    cd_err_clear(err);
    char *spec = loc.s ? loc.s : NULL;
    char *comma = spec ? range_comma(spec) : NULL;
    if (comma) {
        *comma = 0;
        char *e = comma + 1;
        while (isspace((unsigned char)*e))
            e++;
        bool plus = *e == '+';
        uint64_t ev;
        if (eval_addr(&x, spec, &start) != 0 || eval_addr(&x, plus ? e + 1 : e, &ev) != 0)
            goto out;
        end = plus ? start + ev : ev;
        if (end <= start) {
            cd_fail(err, CD_EXIT_CMD, "disassemble: the range 0x%llx,0x%llx is empty; use START,END or START,+LENGTH",
                    (unsigned long long)start, (unsigned long long)end);
            goto out;
        }
    } else {
        uint64_t a;
        if (!spec) {
            if (!f)
                goto out; /* err says why there is no frame */
            a = f->lookup_pc;
        } else if (cd_symtab_find_function(s->sym, spec, &a) != 0 && eval_addr(&x, spec, &a) != 0) {
            goto out;
        }
        if (!cd_symtab_func_bounds(s->sym, a, &fname, &fstart, &fend)) {
            cd_fail(err, CD_EXIT_CMD,
                    "disassemble: no function with a known size contains 0x%llx; give a range: disassemble 0x%llx,+64",
                    (unsigned long long)a, (unsigned long long)a);
            goto out;
        }
        start = fstart;
        end = fend;
    }
    if (end - start > MAX_RANGE) {
        cd_fail(err, CD_EXIT_CMD, "disassemble: %llu bytes is more than the %u a range may have; give a shorter range",
                (unsigned long long)(end - start), MAX_RANGE);
        goto out;
    }
    size_t len = (size_t)(end - start);
    uint8_t *code = cd_xmalloc(len);
    ssize_t got = cd_target_read(s->target, start, code, len);
    if (got <= 0) {
        free(code);
        cd_fail(err, CD_EXIT_CMD, "disassemble: cannot access memory at 0x%llx", (unsigned long long)start);
        goto out;
    }
    cd_err derr = {0};
    cd_x86 *dis = cd_x86_new(&derr);
    if (!dis) {
        free(code);
        cd_fail(err, CD_EXIT_CMD, "disassemble: %s", derr.msg);
        goto out;
    }
    json_object *arr = s->out.json ? json_object_new_array() : NULL;
    if (!arr) {
        if (fname)
            cd_out_printf(&s->out, "Dump of assembler code for function %s:\n", fname);
        else
            cd_out_printf(&s->out, "Dump of assembler code from 0x%llx to 0x%llx:\n", (unsigned long long)start,
                          (unsigned long long)end);
    }
    const char *last_file = NULL;
    int last_line = 0;
    cd_buf line = {0}, sym = {0};
    cd_insn in;
    /* an undecodable byte comes back as a 1-byte "(bad)": show it and go on after it, as objdump does */
    for (size_t off = 0; off < (size_t)got; off += in.len) {
        uint64_t here = start + off;
        cd_x86_decode(dis, code + off, (size_t)got - off, here, &in);
        size_t size = in.len;
        if (o.source) {
            const cd_pcinfo *pi;
            int n = cd_symtab_lookup(s->sym, here, &pi);
            if (n > 0 && pi[0].file && pi[0].line > 0 && (pi[0].line != last_line || pi[0].file != last_file)) {
                last_file = pi[0].file;
                last_line = pi[0].line;
                if (!arr) {
                    char *path = cd_session_source_path(s, pi[0].file);
                    const char *text = cd_symtab_source_line(s->sym, path, pi[0].line, NULL);
                    free(path);
                    const char *base = strrchr(pi[0].file, '/');
                    cd_out_printf(&s->out, "%s:%d\t%s\n", base ? base + 1 : pi[0].file, pi[0].line, text ? text : "");
                }
            }
        }
        cd_buf_reset(&line);
        cd_buf_reset(&sym);
        const char *mn = in.mnemonic, *ops = in.ops;
        /* a direct call or jump: name where it goes, as gdb does */
        if (in.has_target)
            cd_addr_symbol(&x, in.target, &sym);
        if (arr) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "address", cd_json_hex(here));
            if (fname)
                json_object_object_add(j, "offset", json_object_new_int64((int64_t)(here - fstart)));
            cd_buf hex = {0};
            for (size_t k = 0; k < size; k++)
                cd_buf_printf(&hex, "%s%02x", k ? " " : "", in.bytes[k]);
            json_object_object_add(j, "bytes", json_object_new_string(cd_buf_str(&hex)));
            cd_buf_free(&hex);
            json_object_object_add(j, "mnemonic", json_object_new_string(mn));
            json_object_object_add(j, "operands", json_object_new_string(ops));
            if (sym.len)
                json_object_object_add(j, "target", json_object_new_string(cd_buf_str(&sym)));
            json_object_object_add(j, "current", json_object_new_boolean(here <= mark && mark < here + size));
            if (o.source && last_file) {
                json_object_object_add(j, "file", json_object_new_string(last_file));
                json_object_object_add(j, "line", json_object_new_int(last_line));
            }
            json_object_array_add(arr, j);
            continue;
        }
        cd_buf_printf(&line, "%s0x%016llx", here <= mark && mark < here + size ? "=> " : "   ", (unsigned long long)here);
        if (fname)
            cd_buf_printf(&line, " <+%llu>", (unsigned long long)(here - fstart));
        else {
            cd_buf lab = {0};
            cd_addr_symbol(&x, here, &lab);
            if (lab.len)
                cd_buf_printf(&line, " %s", cd_buf_str(&lab));
            cd_buf_free(&lab);
        }
        cd_buf_puts(&line, ":\t");
        if (o.raw) {
            for (size_t k = 0; k < size; k++)
                cd_buf_printf(&line, "%02x ", in.bytes[k]);
            cd_buf_puts(&line, "\t");
        }
        cd_buf_printf(&line, "%s\t%s", mn, ops);
        if (sym.len)
            cd_buf_printf(&line, " %s", cd_buf_str(&sym));
        cd_out_printf(&s->out, "%s\n", cd_buf_str(&line));
    }
    cd_buf_free(&line);
    cd_buf_free(&sym);
    cd_x86_free(dis);
    if (arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("disassemble"));
        json_object_object_add(j, "function", cd_json_str_or_null(fname));
        json_object_object_add(j, "start", cd_json_hex(start));
        json_object_object_add(j, "end", cd_json_hex(start + (uint64_t)got));
        json_object_object_add(j, "instructions", arr);
        cd_out_json(&s->out, j);
    } else {
        if ((size_t)got < len)
            cd_out_printf(&s->out, "(memory after 0x%llx is not readable)\n", (unsigned long long)(start + (uint64_t)got));
        cd_out_printf(&s->out, "End of assembler dump.\n");
    }
    free(code);
    rc = 0;
out:
    cd_buf_free(&loc);
    cd_arena_free(&ar);
    return rc;
}
