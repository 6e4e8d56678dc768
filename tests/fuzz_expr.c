/* libFuzzer target for the expression parser and the target-less evaluator/formatter.
 * Built only on demand (tests/bench/fuzz_expr.sh), never by meson test. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    memcpy(src, data, size);
    src[size] = 0;
    cd_scope s = {.vs = cd_vstate_new()};
    cd_arena a = {0};
    cd_err err = {0};
    cd_expr *e = cd_expr_parse(&a, src, NULL, NULL, &err);
    if (e) {
        cd_buf b = {0};
        cd_expr_dump(e, &b);
        cd_buf_free(&b);
        cd_ectx x;
        cd_ectx_init(&x, &s, &a, &err);
        cd_value v;
        if (cd_eval(&x, e, &v) == 0) {
            cd_fmtopt o;
            cd_fmtopt_init(&o, &s, 0);
            cd_buf t = {0};
            cd_format_value(&x, &v, &o, true, &t);
            cd_type_name(x.vs, v.type, &t);
            cd_buf_free(&t);
            json_object_put(cd_value_json(&x, &v, &o));
        }
    }
    cd_tname_parse(&a, src, NULL, NULL);
    cd_arena_free(&a);
    cd_vstate_free(s.vs);
    free(src);
    return 0;
}
