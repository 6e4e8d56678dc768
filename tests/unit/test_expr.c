/* Expression layer without a target: the parser (ASTs, column-accurate syntax errors) and the
 * evaluator on constants (C promotions, usual arithmetic conversions, casts, sizeof, history and
 * convenience variables), printed by the text and JSON formatters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/expr_int.h"

static int fails, checks;

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        checks++;                                                                                  \
        if (strcmp((got), (want))) {                                                               \
            fprintf(stderr, "%s:%d: got '%s', want '%s'\n", __FILE__, __LINE__, (got), (want));    \
            fails++;                                                                               \
        }                                                                                          \
    } while (0)

static void parse_ok(const char *src, const char *want)
{
    cd_arena a = {0};
    cd_err err = {0};
    cd_expr *e = cd_expr_parse(&a, src, NULL, NULL, &err);
    cd_buf b = {0};
    if (e)
        cd_expr_dump(e, &b);
    else
        cd_buf_printf(&b, "ERROR %s", err.msg);
    CHECK_STR(cd_buf_str(&b), want);
    cd_buf_free(&b);
    cd_arena_free(&a);
}

static void parse_err(const char *src, const char *want)
{
    cd_arena a = {0};
    cd_err err = {0};
    cd_expr *e = cd_expr_parse(&a, src, NULL, NULL, &err);
    CHECK_STR(e ? "(parsed)" : err.msg, want);
    cd_arena_free(&a);
}

static cd_scope S; /* no target: constants, history and convenience variables only */

/* Evaluates and prints like `print` (without the $N prefix); errors as "ERROR msg". */
static void ev(const char *src, const char *want)
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
    CHECK_STR(cd_buf_str(&b), want);
    cd_buf_free(&b);
    cd_arena_free(&a);
}

static void ev_fmt(const char *src, char f, const char *want)
{
    cd_arena a = {0};
    cd_err err = {0};
    cd_ectx x;
    cd_ectx_init(&x, &S, &a, &err);
    cd_value v;
    cd_buf b = {0};
    if (cd_eval_string(&x, src, &v) == 0) {
        cd_fmtopt o;
        cd_fmtopt_init(&o, &S, f);
        cd_format_value(&x, &v, &o, true, &b);
    } else
        cd_buf_printf(&b, "ERROR %s", err.msg);
    CHECK_STR(cd_buf_str(&b), want);
    cd_buf_free(&b);
    cd_arena_free(&a);
}

static void ev_type(const char *src, const char *want)
{
    cd_arena a = {0};
    cd_err err = {0};
    cd_ectx x;
    cd_ectx_init(&x, &S, &a, &err);
    cd_value v;
    cd_buf b = {0};
    if (cd_eval_string(&x, src, &v) == 0)
        cd_type_name(x.vs, v.type, &b);
    else
        cd_buf_printf(&b, "ERROR %s", err.msg);
    CHECK_STR(cd_buf_str(&b), want);
    cd_buf_free(&b);
    cd_arena_free(&a);
}

static void ev_json(const char *src, const char *want)
{
    cd_arena a = {0};
    cd_err err = {0};
    cd_ectx x;
    cd_ectx_init(&x, &S, &a, &err);
    cd_value v;
    if (cd_eval_string(&x, src, &v) == 0) {
        cd_fmtopt o;
        cd_fmtopt_init(&o, &S, 0);
        json_object *j = cd_value_json(&x, &v, &o);
        CHECK_STR(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), want);
        json_object_put(j);
    } else
        CHECK_STR(err.msg, want);
    cd_arena_free(&a);
}

int main(void)
{
    /* ---- parser ---- */
    parse_ok("1 + 2 * 3", "(+ 1 (* 2 3))");
    parse_ok("f()", "(call f)");
    parse_ok("f(1, g(2, 3)) + 1", "(+ (call f 1 (call g 2 3)) 1)");
    parse_ok("s->fn(x = 1, (a, b))", "(call (-> s fn) (= x 1) (, a b))");
    parse_ok("(*fp)(2)[1]", "([] (call (deref fp) 2) 1)");
    parse_ok("(1 + 2) * 3", "(* (+ 1 2) 3)");
    parse_ok("a - b - c", "(- (- a b) c)");
    parse_ok("a = b = 3", "(= a (= b 3))");
    /* gdb: `@` between the shifts and `+` */
    parse_ok("a[1]@2 + 1", "(@ ([] a 1) (+ 2 1))");
    parse_ok("a @ 2 << 1", "(<< (@ a 2) 1)");
    parse_ok("::g + 1", "(+ ::g 1)");
    parse_ok("x += 1", "(=+ x 1)");
    parse_ok("p->next->v[2].x", "(. ([] (-> (-> p next) v) 2) x)");
    parse_ok("*&x", "(deref (addr x))");
    parse_ok("-~!x", "(neg (~ (! x)))");
    parse_ok("a ? b : c ? d : e", "(? a b (? c d e))");
    parse_ok("a || b && c | d ^ e & f == g < h << i + j * k",
             "(|| a (&& b (| c (^ d (& e (== f (< g (<< h (+ i (* j k))))))))))");
    parse_ok("(unsigned long)x", "(cast (type unsigned long) x)");
    parse_ok("(struct node *)0x10", "(cast (type s:node *) 16)");
    parse_ok("(char **)p", "(cast (type char * *) p)");
    parse_ok("(int (*)[3])p", "(cast (type int [3] *) p)");
    parse_ok("(int (*)(int, char *))f", "(cast (type int () *) f)");
    parse_ok("(const char *)s", "(cast (type char *) s)");
    parse_ok("sizeof(int[4])", "(sizeof (type int [4]))");
    parse_ok("sizeof x + 1", "(+ (sizeof x) 1)");
    parse_ok("sizeof (x)", "(sizeof x)");
    parse_ok("$rip + $1 + $ + $$ + $$3 + $_", "(+ (+ (+ (+ (+ $rip (hist 1)) (hist 0 rel)) (hist -1 rel)) (hist -3 rel)) $_)");
    parse_ok("0x1fUL + 017 + 0b101 + 10ll", "(+ (+ (+ 31ul 15) 5) 10ll)");
    parse_ok("1.5e3 + 2.5f", "(+ 1500 2.5f)");
    parse_ok("'\\n' + '\\x41' + '\\101'", "(+ (+ '10' '65') '65')");
    parse_ok("\"a\\tb\" \"c\"", "\"a\tbc\"");
    parse_ok("a, b", "(, a b)");

    parse_err("", "syntax error at column 1: expected an expression");
    parse_err("1 +", "syntax error at column 4: expected an expression before end of expression");
    parse_err("(1 + 2", "syntax error at column 7: expected ')' before end of expression");
    parse_err("a[1", "syntax error at column 4: expected ']' before end of expression");
    parse_err("1 2", "syntax error at column 3: unexpected a constant after the expression");
    parse_err("x # y", "syntax error at column 3: unexpected character '#'");
    parse_err("p->", "syntax error at column 4: expected a member name after '->' before end of expression");
    parse_err("f(1", "syntax error at column 4: expected ',' before end of expression");
    parse_err("f(1,)", "syntax error at column 5: expected an expression before ')'");
    parse_err("09", "syntax error at column 2: invalid digit '9' in octal constant");
    parse_err("12abc", "syntax error at column 3: invalid suffix 'abc' on integer constant");
    parse_err("99999999999999999999999", "syntax error at column 1: integer constant '99999999999999999999999' is too large");
    parse_err("'a", "syntax error at column 1: unterminated character constant");
    parse_err("\"abc", "syntax error at column 1: unterminated string literal");
    parse_err("a ? b", "syntax error at column 6: expected ':' before end of expression");
    parse_err("(int", "syntax error at column 5: expected ')' before end of expression");
    parse_err("int x", "syntax error at column 1: unexpected type name 'int' (a cast needs parentheses)");
    parse_err("(struct)x", "syntax error at column 8: expected a tag name after 'struct'");
    {
        /* Deep nesting fails cleanly instead of overflowing the stack (test_depth.c: more cases);
         * where depends on the build's frame sizes. */
        static char deep[100005];
        memset(deep, '(', 100000);
        strcpy(deep + 100000, "1");
        cd_arena a = {0};
        cd_err err = {0};
        const char *want = "expression too deeply nested to parse (at column ";
        checks++;
        if (cd_expr_parse(&a, deep, NULL, NULL, &err) || strncmp(err.msg, want, strlen(want))) {
            fprintf(stderr, "%s:%d: got '%s', want '%s...'\n", __FILE__, __LINE__, err.msg, want);
            fails++;
        }
        cd_arena_free(&a);
    }

    /* ---- evaluator on constants ---- */
    S.vs = cd_vstate_new();
    ev("1 + 2 * 3", "7");
    ev("7 / 2", "3");
    ev("-7 / 2", "-3");
    ev("-7 % 3", "-1");
    ev("7.0 / 2", "3.5");
    ev("1 / 3.0", "0.33333333333333331");
    ev("1.0f / 3", "0.333333343");
    ev("0.1 + 0.2", "0.30000000000000004");
    ev("-1 < 1u", "0");               /* usual arithmetic conversions: -1 becomes UINT_MAX */
    ev("-1 < 1L", "1");
    ev("-1L < 1u", "1");              /* long can represent every unsigned int */
    ev("(unsigned char)255 + 1", "256"); /* integer promotion to int */
    ev("(unsigned char)300", "44 ','");
    ev("(signed char)200", "-56 '\\310'");
    ev("(short)-1 == -1", "1");
    ev("4294967295", "4294967295");
    ev_type("4294967295", "long");
    ev_type("0xffffffff", "unsigned int");
    ev_type("2147483647", "int");
    ev_type("1u + 1", "unsigned int");
    ev_type("1L * 1u", "long");
    ev_type("'a'", "char");
    ev_type("1.5f + 1", "float");
    ev_type("1.5f + 1.0", "double");
    ev_type("(char)1 + (char)1", "int");
    ev_type("1 ? 1 : 2.0", "double");
    ev_type("sizeof(int)", "unsigned long");
    ev_type("(long double)1", "long double");
    ev_type("(__int128)1 << 100", "__int128");
    ev("18446744073709551615", "18446744073709551615");
    ev("18446744073709551615 + 1", "0");
    ev("(__int128)1 << 100", "1267650600228229401496703205376");
    ev("-(__int128)1 << 127", "-170141183460469231731687303715884105728");
    ev("(unsigned __int128)0 - 1", "340282366920938463463374607431768211455");
    ev("1 << 31", "-2147483648");
    ev("1u << 31", "2147483648");
    ev("-8 >> 1", "-4");
    ev("0xf0 & 0x3c | 1 ^ 3", "50");
    ev("~0", "-1");
    ev("~0u", "4294967295");
    ev("!0 + !5", "1");
    ev("3 > 2 && 2 > 1 || 0", "1");
    ev("0 && 1 / 0", "0");            /* short-circuit: the division never happens */
    ev("1 || 1 / 0", "1");
    ev("1 ? 2 : 1 / 0", "2");
    ev("(1, 2)", "2");
    ev("sizeof(char) + sizeof(short) + sizeof(long) + sizeof(long double) + sizeof(int *)", "35");
    ev("sizeof(int[3][4])", "48");
    ev("sizeof 1.0f", "4");
    ev("sizeof(1 / 0)", "4");          /* sizeof does not evaluate */
    ev("(_Bool)5", "true");
    ev("(_Bool)0.0", "false");
    ev("(int)3.99", "3");
    ev("(int)-3.99", "-3");
    ev("(float)16777217", "16777216");
    ev("(double)(1L << 53) + 1", "9007199254740992");
    ev("(unsigned)-1", "4294967295");
    ev("(long)(int *)16 + 1", "17");
    ev("(int *)16 + 1", "(int *) 0x14");
    ev("(char *)0 + 3", "0x3 <error: cannot access memory at 0x3>");
    ev("(long *)32 - (long *)16", "2");
    ev("(void *)8 + 1", "(void *) 0x9");
    ev("'A'", "65 'A'"); /* a char, as gdb types it */
    ev("'A' + 1", "66");
    ev("(char)'A'", "65 'A'");
    ev("(char)10", "10 '\\n'");
    ev("\"hi\\n\"", "\"hi\\n\"");
    ev("\"abc\"[1]", "98 'b'");
    ev("sizeof \"abc\"", "4");
    ev("1e308 * 10", "inf");
    ev("-1e308 * 10", "-inf");
    ev("0.0 / 0.0 != 0.0 / 0.0", "1");
    ev("(long double)1 / 3", "0.333333333333333333342");
    ev_fmt("-1", 'x', "0xffffffff");
    ev_fmt("(char)-1", 'x', "0xff");
    ev_fmt("255", 'o', "0377");
    ev_fmt("0", 'o', "0");
    ev_fmt("10", 't', "1010");
    ev_fmt("65", 'c', "65 'A'");
    ev_fmt("-1", 'u', "4294967295");
    ev_fmt("4294967295u", 'd', "-1");
    /* /f and /x reinterpret bits as gdb documents; sizes without a float type print the integer */
    ev_fmt("3", 'f', "4.20389539e-45");
    ev_fmt("(short)3", 'f', "3");
    ev_fmt("0x3ff0000000000000", 'f', "1");
    ev_fmt("1.75", 'x', "0x3ffc000000000000");
    ev_fmt("1.75f", 'c', "1 '\\001'");
    ev_fmt("(unsigned char)200", 'c', "200 '\\310'");
    ev_fmt("(signed char)-56", 'c', "-56 '\\310'");
    ev("1500.0", "1500");
    ev("1e16", "10000000000000000");
    ev("1e17", "1e+17");
    ev("1e10f", "1e+10");
    ev("123456.5f", "123456.5");
    ev_fmt("(unsigned __int128)0 - 1", 'x', "0xffffffffffffffffffffffffffffffff");

    /* errors */
    ev("1 / 0", "ERROR division by zero (at column 3)");
    ev("5 % (2 - 2)", "ERROR division by zero (at column 3)");
    /* found by the fuzzer: converting inf to an integer was undefined behaviour */
    ev("\"ab\"[1 / 0.0]", "ERROR cannot convert inf to an integer: it is out of range");
    ev("1 << 32", "ERROR shift count 32 is out of range for a 32-bit type (at column 3)");
    ev("*1", "ERROR cannot dereference a value of type int: not a pointer");
    ev("*(void *)8", "ERROR cannot dereference a void pointer; cast it first, e.g. *(int *)p");
    ev("1 .x", "ERROR request for member 'x' in a value of type int, which is not a struct or union");
    ev("(1)->x", "ERROR cannot use '->' on a value of type int: not a pointer");
    ev("1[2]", "ERROR cannot subscript a value of type int: not an array or pointer");
    ev("&1", "ERROR cannot take the address of a value not in memory (column 1)");
    ev("1.5 % 2", "ERROR invalid operands to '%' at column 5 (double and int)");
    ev("~1.5", "ERROR invalid operand to unary operator at column 1 (double)");
    ev("nosuch", "ERROR no symbol \"nosuch\" (no program loaded)");
    ev("*(int *)16", "<error: cannot access memory at 0x10: no process or core>");
    ev("(struct foo *)0", "ERROR no type named struct foo in the program's debug info");
    ev("1 = 2", "ERROR cannot assign at column 3: the left side is not an lvalue (not stored in memory or a register)");
    ev("$1", "ERROR history is empty; print something first");

    /* convenience variables and history */
    ev("$v = 6 * 7", "42");
    ev("$v + 1", "43");
    ev("$v += 8", "50");
    ev("$v", "50");
    ev("$unset", "void");
    ev("$pi = 3.25", "3.25");
    ev_type("$pi", "double");
    ev("$rip", "ERROR no registers: attach to a process or open a core first");
    {
        cd_arena a = {0};
        cd_err err = {0};
        cd_ectx x;
        cd_ectx_init(&x, &S, &a, &err);
        cd_value v;
        extern int cd_hist_add(cd_ectx *, const cd_value *);
        if (cd_eval_string(&x, "100", &v) == 0)
            cd_hist_add(&x, &v);
        if (cd_eval_string(&x, "200", &v) == 0)
            cd_hist_add(&x, &v);
        cd_arena_free(&a);
    }
    ev("$1 + $2", "300");
    ev("$ + $$", "300");
    ev("$$0 - $$1", "100");
    ev("$3", "ERROR history has no value $3 (it holds $1..$2)");

    /* JSON */
    ev_json("-42", "-42");
    ev_json("18446744073709551615", "18446744073709551615");
    ev_json("-9223372036854775807L - 1", "-9223372036854775808");
    ev_json("(__int128)1 << 100", "\"1267650600228229401496703205376\"");
    ev_json("(_Bool)1", "true");
    ev_json("2.5", "2.5");
    ev_json("0.1", "0.1");
    ev_json("1e308 * 10", "\"inf\"");
    ev_json("(int *)0", "\"0x0\"");
    ev_json("(int *)255", "\"0xff\"");
    ev_json("(char)65", "65");
    ev_json("\"a\\351b\"", "\"a\xc3\xa9" "b\"");

    cd_vstate_free(S.vs);
    printf("test_expr: %d checks, %d failed\n", checks, fails);
    return fails ? 1 : 0;
}
