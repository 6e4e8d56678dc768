/* The expression layer's recursion is bounded by the stack it uses, on whatever thread it runs:
 * deep expressions (60,000 casts, a 5,000-term sum, 999 terms on a small stack) fail with one
 * clean error instead of overflowing the stack, and ordinary nesting still works. Each case runs
 * on threads with a small stack (where a fixed level count such as the old 1000 would overflow,
 * in this build and in ASan's) and with the default stack. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

static int fails, checks;
static cd_scope S; /* no target: constants, history and convenience variables only */

static void check(bool ok, const char *what, const char *detail)
{
    checks++;
    if (!ok) {
        fprintf(stderr, "FAIL: %s: %s\n", what, detail);
        fails++;
    }
}

/* "print"s SRC: the formatted value, or "ERROR <message>". */
static char *ev(const char *src)
{
    cd_arena a = {0};
    cd_err err = {0};
    cd_ectx x;
    cd_ectx_init(&x, &S, &a, &err);
    cd_value v;
    cd_buf b = {0};
    if (cd_eval_string(&x, src, &v) == 0) {
        cd_fmtopt o;
        cd_fmtopt_init(&o, &S, 0);
        cd_format_value(&x, &v, &o, true, &b);
    } else
        cd_buf_printf(&b, "ERROR %s", err.msg);
    char *r = cd_xstrdup(cd_buf_str(&b));
    cd_buf_free(&b);
    cd_arena_free(&a);
    return r;
}

static char *repeat(const char *pre, const char *unit, int n, const char *mid, const char *unit2, int n2,
                    const char *post)
{
    cd_buf b = {0};
    cd_buf_puts(&b, pre);
    for (int i = 0; i < n; i++)
        cd_buf_puts(&b, unit);
    cd_buf_puts(&b, mid);
    for (int i = 0; i < n2; i++)
        cd_buf_puts(&b, unit2);
    cd_buf_puts(&b, post);
    char *r = cd_xstrdup(cd_buf_str(&b));
    cd_buf_free(&b);
    return r;
}

static void expect_too_deep(const char *what, char *src, const char *stage)
{
    char *got = ev(src);
    char want[128];
    snprintf(want, sizeof want, "ERROR expression too deeply nested to %s (at column ", stage);
    check(!strncmp(got, want, strlen(want)) && !strchr(got, '\n') &&
              strstr(got, "split it, e.g. with convenience variables"),
          what, got);
    free(got);
    free(src);
}

static void expect_value(const char *what, char *src, const char *want)
{
    char *got = ev(src);
    check(!strcmp(got, want), what, got);
    free(got);
    free(src);
}

static void *cases(void *arg)
{
    bool small = arg != NULL;
    char what[128];
#define W(s) (snprintf(what, sizeof what, "%s (%s stack)", (s), small ? "128 KiB" : "default"), what)
    /* parser: prefix operators, parentheses, casts, assignments, ternaries, declarators */
    expect_too_deep(W("60000 casts"), repeat("", "(int)", 60000, "1", "", 0, ""), "parse");
    expect_too_deep(W("60000 parentheses"), repeat("", "(", 60000, "1", ")", 60000, ""), "parse");
    expect_too_deep(W("60000 minus signs"), repeat("", "-", 60000, "1", "", 0, ""), "parse");
    expect_too_deep(W("60000 sizeof"), repeat("", "sizeof ", 60000, "1", "", 0, ""), "parse");
    expect_too_deep(W("30000 assignments"), repeat("", "$a = ", 30000, "1", "", 0, ""), "parse");
    expect_too_deep(W("30000 ternaries"), repeat("1", " ? 1 : 1", 30000, "", "", 0, ""), "parse");
    expect_too_deep(W("30000 declarators"), repeat("(int", "(*", 30000, "", ")", 30000, ")0"), "parse");
    /* evaluator: a left-deep sum parses iteratively and is bounded when evaluated */
    expect_too_deep(W("5000-term sum"), repeat("1", " + 1", 4999, "", "", 0, ""), "evaluate");
    if (small)
        expect_too_deep(W("999-term sum"), repeat("1", "+1", 998, "", "", 0, ""), "evaluate");
    /* ordinary nesting is untouched, even in ASan's frames on a 128 KiB stack (32 KiB budget) */
    expect_value(W("10 parentheses"), repeat("", "(", 10, "7", ")", 10, ""), "7");
    expect_value(W("10 casts"), repeat("", "(long)", 10, "7", "", 0, ""), "7");
    expect_value(W("30-term sum"), repeat("1", "+1", 29, "", "", 0, ""), "30");
    if (!small)
        expect_value(W("200-term sum"), repeat("1", "+1", 199, "", "", 0, ""), "200");
    /* the layer works again after a failure (no state left behind) */
    expect_value(W("after a failure"), cd_xstrdup("(1 + 2) * 3"), "9");
#undef W
    return NULL;
}

static void on_thread(size_t stack, void *arg)
{
    pthread_attr_t at;
    pthread_attr_init(&at);
    if (stack && pthread_attr_setstacksize(&at, stack) != 0) {
        fprintf(stderr, "FAIL: cannot set a %zu-byte thread stack\n", stack);
        fails++;
        return;
    }
    pthread_t t;
    if (pthread_create(&t, &at, cases, arg) != 0) {
        fprintf(stderr, "FAIL: pthread_create\n");
        fails++;
        return;
    }
    pthread_join(t, NULL);
    pthread_attr_destroy(&at);
}

int main(void)
{
    S.vs = cd_vstate_new();
    cases(NULL);             /* main thread */
    on_thread(128 << 10, ""); /* a small stack: a quarter of it is the budget */
    on_thread(0, NULL);       /* a default thread stack */
    cd_vstate_free(S.vs);
    printf("test_depth: %d checks, %d failed\n", checks, fails);
    return fails ? 1 : 0;
}
