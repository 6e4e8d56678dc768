/* `call EXPR`: evaluates an expression that calls functions in the target (gdb's call; Delve's
 * call). The same evaluation as print (src/expr, the session's scope and its call hook); a void
 * result prints nothing, as gdb's call. src/control/infcall.c runs the calls. */
#include "commands/cmd_impl.h"
#include "expr/expr_int.h"

#include <stdlib.h>
#include <string.h>

int cd_cmd_call(cd_session *s, int argc, char **argv, cd_err *err)
{
    char *src = NULL;
    if (s->raw_args) {
        const char *r = s->raw_args;
        while (*r == ' ' || *r == '\t')
            r++;
        src = cd_xstrdup(r);
    } else {
        cd_buf b = {0};
        for (int i = 1; i < argc; i++)
            cd_buf_printf(&b, "%s%s", i > 1 ? " " : "", argv[i]);
        src = cd_xstrdup(cd_buf_str(&b));
        cd_buf_free(&b);
    }
    size_t n = strlen(src);
    while (n && (src[n - 1] == ' ' || src[n - 1] == '\t' || src[n - 1] == '\n'))
        src[--n] = 0;
    if (!*src) {
        free(src);
        return cd_failk(err, CD_EXIT_USAGE, CD_EK_USAGE, "call: usage: call EXPR (e.g. call f(3, x))");
    }
    cd_arena ar = {0};
    cd_ectx x;
    cd_session_ectx(&x, s, &ar, err);
    cd_value v;
    int rc = 0;
    if (cd_eval_string(&x, src, &v) != 0) {
        rc = -1;
        if (s->out.json) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "expr", json_object_new_string(src));
            json_object_object_add(j, "error", json_object_new_string(err->msg));
            cd_out_json(&s->out, j);
            err->msg[0] = 0;
        }
        goto out;
    }
    bool is_void = cd_type_strip(v.type)->kind == TY_VOID;
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        cd_buf tb = {0};
        cd_type_name(x.vs, v.type, &tb);
        json_object_object_add(j, "expr", json_object_new_string(src));
        json_object_object_add(j, "type", json_object_new_string(cd_buf_str(&tb)));
        if (!is_void) {
            json_object_object_add(j, "history", json_object_new_int(cd_hist_add(&x, &v)));
            json_object_object_add(j, "value", cd_value_json(&x, &v, &o));
        }
        cd_buf_free(&tb);
        cd_out_json(&s->out, j);
    } else if (!is_void) {
        /* gdb's call: a void result is not shown (nor numbered) */
        int h = cd_hist_add(&x, &v);
        cd_buf b = {0};
        cd_format_value(&x, &v, &o, true, &b);
        cd_out_printf(&s->out, "$%d = %s\n", h, cd_buf_str(&b));
        cd_buf_free(&b);
    }
out:
    if (x.wrote && s->target) {
        /* the call ran the program: the cached stack and the unwinder's pages may be stale */
        cd_unwinder_flush(s->unw);
        s->stack_gen = s->target->stop_gen - 1;
    }
    cd_arena_free(&ar);
    free(src);
    return rc;
}
