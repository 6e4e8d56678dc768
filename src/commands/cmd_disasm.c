/* disassemble: a function or an address range through capstone, in the selected frame.
 *
 * Locations are C expressions (src/expr) or function names, so `disassemble &handler`,
 * `disassemble $pc-16,+32` and `disassemble memcpy` all work, on a live process or a core. */
#include "expr/expr.h"
#include "expr/expr_int.h"

#include <capstone/capstone.h>
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

static bool is_branch(const char *mn)
{
    return mn[0] == 'j' || !strncmp(mn, "call", 4) || !strncmp(mn, "loop", 4);
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
    cd_ectx_init(&x, s, &ar, err);
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
    csh cs;
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) {
        free(code);
        cd_fail(err, CD_EXIT_CMD, "disassemble: capstone cannot open x86-64: %s", cs_strerror(cs_errno(cs)));
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
    cs_insn *insn = cs_malloc(cs);
    const uint8_t *p = code;
    size_t left = (size_t)got;
    uint64_t a = start;
    const char *last_file = NULL;
    int last_line = 0;
    cd_buf line = {0}, sym = {0};
    while (left > 0) {
        uint64_t here = a;
        bool ok = cs_disasm_iter(cs, &p, &left, &a, insn);
        size_t size = ok ? insn->size : 1;
        if (!ok) { /* undecodable byte: show it and go on after it, as objdump does */
            p++;
            left--;
            a++;
        }
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
        const char *mn = ok ? insn->mnemonic : "(bad)";
        const char *ops = ok ? insn->op_str : "";
        /* a direct call or jump: name where it goes, as gdb does */
        uint64_t target = 0;
        if (ok && is_branch(mn) && !strncmp(ops, "0x", 2) && ops[2 + strspn(ops + 2, "0123456789abcdef")] == 0) {
            target = strtoull(ops, NULL, 16);
            cd_addr_symbol(&x, target, &sym);
        }
        if (arr) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "address", cd_json_hex(here));
            if (fname)
                json_object_object_add(j, "offset", json_object_new_int64((int64_t)(here - fstart)));
            cd_buf hex = {0};
            for (size_t k = 0; k < size; k++)
                cd_buf_printf(&hex, "%s%02x", k ? " " : "", code[here - start + k]);
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
                cd_buf_printf(&line, "%02x ", code[here - start + k]);
            cd_buf_puts(&line, "\t");
        }
        cd_buf_printf(&line, "%s\t%s", mn, ops);
        if (sym.len)
            cd_buf_printf(&line, " %s", cd_buf_str(&sym));
        cd_out_printf(&s->out, "%s\n", cd_buf_str(&line));
    }
    cd_buf_free(&line);
    cd_buf_free(&sym);
    cs_free(insn, 1);
    cs_close(&cs);
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
