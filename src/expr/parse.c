/* Lexer and recursive-descent parser for C expressions (plus gdb's $registers and $history).
 * Precedence climbing follows C11 6.5; every error names the 1-based column it happened at. */
#include "expr/expr_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- arena ---------- */
struct cd_arena_blk {
    struct cd_arena_blk *next;
    max_align_t data[];
};

void *cd_arena_alloc(cd_arena *a, size_t n)
{
    struct cd_arena_blk *b = cd_xcalloc(1, sizeof *b + n + 1);
    b->next = a->head;
    a->head = b;
    return b->data;
}

char *cd_arena_strdup(cd_arena *a, const char *s)
{
    size_t n = strlen(s);
    char *p = cd_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    return p;
}

void cd_arena_free(cd_arena *a)
{
    while (a->head) {
        struct cd_arena_blk *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

/* ---------- lexer ---------- */
typedef enum { T_EOF, T_NUM, T_FLOAT, T_CHAR, T_STR, T_ID, T_DOLLAR, T_HIST, T_PUNCT } ttype;

typedef struct tok {
    ttype t;
    int col;
    char p[4];             /* punctuator spelling */
    char *s; size_t slen;  /* identifier / string / dollar name */
    unsigned __int128 iv;
    bool uns, hex; int longs;
    long double fv; bool fsuf;
    int64_t hist; bool hist_rel;
} tok;

typedef struct parser {
    const char *src;
    size_t pos;
    tok cur;
    cd_arena *ar;
    cd_err *err;
    bool failed;
    cd_is_typename_fn istype;
    void *ictx;
    uintptr_t depth_limit; /* cd_depth_enter() */
} parser;

/* True (with the error set) when one more level of recursion would take more stack than allowed. */
static bool too_deep(parser *P)
{
    if (P->failed)
        return true;
    if (!cd_depth_exceeded(P->depth_limit))
        return false;
    P->failed = true;
    cd_depth_fail(P->err, "parse", P->cur.col);
    return true;
}

static void perr(parser *P, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void perr(parser *P, int col, const char *fmt, ...)
{
    if (P->failed)
        return;
    P->failed = true;
    char m[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    cd_failk(P->err, CD_EXIT_CMD, CD_EK_USAGE, "syntax error at column %d: %s", col, m);
}

static const char *puncts[] = {
    "<<=", ">>=", "->", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=", "-=", "*=", "/=",
    "%=", "&=", "|=", "^=", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "!", "?", ":",
    "=", "(", ")", "[", "]", ".", ",", "@", NULL,
};

static int escape(parser *P, const char *s, size_t *i, int col)
{
    char c = s[*i];
    if (c != '\\') {
        (*i)++;
        return (unsigned char)c;
    }
    (*i)++;
    c = s[*i];
    (*i)++;
    switch (c) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'v': return '\v';
    case 'e': return 27;
    case '\\': return '\\';
    case '\'': return '\'';
    case '"': return '"';
    case '?': return '?';
    case 'x': {
        int v = 0, n = 0;
        while (isxdigit((unsigned char)s[*i]) && n < 2) {
            char h = s[(*i)++];
            v = v * 16 + (isdigit((unsigned char)h) ? h - '0' : (tolower((unsigned char)h) - 'a' + 10));
            n++;
        }
        if (!n)
            perr(P, col, "\\x with no hex digits");
        return v;
    }
    default:
        if (c >= '0' && c <= '7') {
            int v = c - '0', n = 1;
            while (n < 3 && s[*i] >= '0' && s[*i] <= '7') {
                v = v * 8 + (s[(*i)++] - '0');
                n++;
            }
            return v & 0xff;
        }
        if (!c) {
            (*i)--;
            perr(P, col, "unterminated escape sequence");
            return 0;
        }
        perr(P, col, "unknown escape sequence '\\%c'", c);
        return 0;
    }
}

static void lex_number(parser *P, tok *t)
{
    const char *s = P->src + P->pos;
    size_t i = 0;
    bool is_float = false;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        base = 16, i = 2;
    else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
        base = 2, i = 2;
    else if (s[0] == '0')
        base = 8;
    size_t dstart = i;
    while (isalnum((unsigned char)s[i]) || s[i] == '.' ||
           ((s[i] == '+' || s[i] == '-') && base == 10 && (s[i - 1] == 'e' || s[i - 1] == 'E'))) {
        if (s[i] == '.' || ((s[i] == 'e' || s[i] == 'E') && base != 16))
            is_float = true;
        i++;
    }
    char *text = cd_arena_alloc(P->ar, i + 1);
    memcpy(text, s, i);
    if (is_float) {
        char *end;
        errno = 0;
        t->fv = strtold(text, &end);
        if (*end == 'f' || *end == 'F')
            t->fsuf = true, end++;
        else if (*end == 'l' || *end == 'L')
            end++;
        if (*end)
            perr(P, t->col, "invalid number '%s'", text);
        t->t = T_FLOAT;
    } else {
        unsigned __int128 v = 0;
        size_t j = dstart;
        bool over = false, any = false;
        for (; j < i; j++) {
            int c = (unsigned char)s[j], d;
            if (isdigit(c))
                d = c - '0';
            else if (base == 16 && isxdigit(c))
                d = tolower(c) - 'a' + 10;
            else
                break;
            if (d >= base) {
                perr(P, t->col + (int)j, "invalid digit '%c' in %s constant", c,
                     base == 8 ? "octal" : base == 2 ? "binary" : "decimal");
                return;
            }
            if (v > (~(unsigned __int128)0 - (unsigned)d) / (unsigned)base)
                over = true;
            v = v * (unsigned)base + (unsigned)d;
            any = true;
        }
        if (base != 8 && !any) {
            perr(P, t->col, "invalid number '%s'", text);
            return;
        }
        for (; j < i; j++) {
            char c = (char)tolower((unsigned char)s[j]);
            if (c == 'u' && !t->uns)
                t->uns = true;
            else if (c == 'l' && t->longs < 2)
                t->longs++;
            else {
                perr(P, t->col + (int)j, "invalid suffix '%s' on integer constant", text + j);
                return;
            }
        }
        if (over || v > UINT64_MAX) {
            perr(P, t->col, "integer constant '%s' is too large", text);
            return;
        }
        t->iv = v;
        t->hex = base != 10;
        t->t = T_NUM;
    }
    P->pos += i;
}

static void next(parser *P)
{
    tok *t = &P->cur;
    memset(t, 0, sizeof *t);
    const char *s = P->src;
    while (s[P->pos] == ' ' || s[P->pos] == '\t' || s[P->pos] == '\n' || s[P->pos] == '\r')
        P->pos++;
    t->col = (int)P->pos + 1;
    char c = s[P->pos];
    if (P->failed || !c) {
        t->t = T_EOF;
        return;
    }
    if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)s[P->pos + 1]))) {
        lex_number(P, t);
        return;
    }
    /* `::name` is a C++ name at global scope: it keeps its `::`, which tells the lookup to skip the
     * frame's locals, members and namespaces (gdb's `p ::level` is the global, not a shadowing one) */
    bool global = c == ':' && s[P->pos + 1] == ':' && (isalpha((unsigned char)s[P->pos + 2]) || s[P->pos + 2] == '_');
    if (global || isalpha((unsigned char)c) || c == '_') {
        size_t i = P->pos + (global ? 2 : 0);
        /* a C++ qualified name (`ns::Class::member`) is one identifier, looked up whole */
        for (;;) {
            while (isalnum((unsigned char)s[i]) || s[i] == '_')
                i++;
            if (s[i] != ':' || s[i + 1] != ':' || !(isalpha((unsigned char)s[i + 2]) || s[i + 2] == '_'))
                break;
            i += 2;
        }
        t->t = T_ID;
        t->slen = i - P->pos;
        t->s = cd_arena_alloc(P->ar, t->slen + 1);
        memcpy(t->s, s + P->pos, t->slen);
        P->pos = i;
        return;
    }
    if (c == '$') {
        size_t i = P->pos + 1;
        if (s[i] == '$') { /* $$ or $$N: history relative to the last value */
            i++;
            int64_t n = 1;
            if (isdigit((unsigned char)s[i])) {
                n = 0;
                while (isdigit((unsigned char)s[i]) && n < 1000000000)
                    n = n * 10 + (s[i++] - '0');
            }
            t->t = T_HIST;
            t->hist = -n;
            t->hist_rel = true;
            P->pos = i;
            return;
        }
        if (isdigit((unsigned char)s[i])) {
            int64_t n = 0;
            while (isdigit((unsigned char)s[i]) && n < 1000000000)
                n = n * 10 + (s[i++] - '0');
            t->t = T_HIST;
            t->hist = n;
            P->pos = i;
            return;
        }
        if (!isalpha((unsigned char)s[i]) && s[i] != '_') {
            t->t = T_HIST; /* bare $: the last value */
            t->hist = 0;
            t->hist_rel = true;
            P->pos = i;
            return;
        }
        while (isalnum((unsigned char)s[i]) || s[i] == '_')
            i++;
        t->t = T_DOLLAR;
        t->slen = i - P->pos - 1;
        t->s = cd_arena_alloc(P->ar, t->slen + 1);
        memcpy(t->s, s + P->pos + 1, t->slen);
        P->pos = i;
        return;
    }
    if (c == '\'') {
        size_t i = P->pos + 1;
        if (s[i] == '\'' || !s[i]) {
            perr(P, t->col, "empty character constant");
            return;
        }
        int v = escape(P, s, &i, t->col);
        if (s[i] != '\'') {
            perr(P, t->col, "unterminated character constant");
            return;
        }
        t->t = T_CHAR;
        t->iv = (unsigned)v;
        P->pos = i + 1;
        return;
    }
    if (c == '"') {
        size_t i = P->pos + 1, n = 0;
        char *buf = cd_arena_alloc(P->ar, strlen(s + i) + 1);
        while (s[i] && s[i] != '"' && !P->failed)
            buf[n++] = (char)escape(P, s, &i, t->col);
        if (s[i] != '"') {
            perr(P, t->col, "unterminated string literal");
            return;
        }
        t->t = T_STR;
        t->s = buf;
        t->slen = n;
        P->pos = i + 1;
        return;
    }
    for (int k = 0; puncts[k]; k++) {
        size_t n = strlen(puncts[k]);
        if (!strncmp(s + P->pos, puncts[k], n)) {
            t->t = T_PUNCT;
            memcpy(t->p, puncts[k], n);
            P->pos += n;
            return;
        }
    }
    perr(P, t->col, "unexpected character '%c'", c);
    t->t = T_EOF;
}

static bool is_p(parser *P, const char *p) { return P->cur.t == T_PUNCT && !strcmp(P->cur.p, p); }

static const char *tokdesc(parser *P, char *buf, size_t n)
{
    tok *t = &P->cur;
    switch (t->t) {
    case T_EOF: return "end of expression";
    case T_PUNCT: snprintf(buf, n, "'%s'", t->p); return buf;
    case T_ID: snprintf(buf, n, "'%s'", t->s); return buf;
    case T_STR: return "string literal";
    case T_CHAR: return "character constant";
    default: return "a constant";
    }
}

static bool expect(parser *P, const char *p)
{
    if (is_p(P, p)) {
        next(P);
        return true;
    }
    char b[64];
    perr(P, P->cur.col, "expected '%s' before %s", p, tokdesc(P, b, sizeof b));
    return false;
}

static cd_expr *node(parser *P, cd_ekind k, int col)
{
    cd_expr *e = cd_arena_alloc(P->ar, sizeof *e);
    e->kind = k;
    e->col = col;
    return e;
}

/* ---------- type names ---------- */
static const char *const kw_types[] = {"void", "char", "short", "int", "signed", "unsigned", "float",
                                       "double", "_Bool", "__int128", "long", "struct", "union",
                                       "enum", "const", "volatile", NULL};

static bool is_kw_type(const char *s)
{
    for (int i = 0; kw_types[i]; i++)
        if (!strcmp(s, kw_types[i]))
            return true;
    return false;
}

static bool starts_type(parser *P)
{
    if (P->cur.t != T_ID)
        return false;
    if (is_kw_type(P->cur.s))
        return true;
    return P->istype && P->istype(P->ictx, P->cur.s);
}

static void abs_declarator(parser *P, cd_tname *tn);

static void add_deriv(parser *P, cd_tname *tn, cd_tdkind k, int64_t n)
{
    if (tn->nderiv >= (int)(sizeof tn->deriv / sizeof tn->deriv[0])) {
        perr(P, P->cur.col, "type name too complex");
        return;
    }
    tn->deriv[tn->nderiv].kind = k;
    tn->deriv[tn->nderiv].n = n;
    tn->nderiv++;
}

static cd_tname *type_name(parser *P)
{
    cd_tname *tn = cd_arena_alloc(P->ar, sizeof *tn);
    int col = P->cur.col;
    bool any = false;
    while (P->cur.t == T_ID && !P->failed) {
        const char *s = P->cur.s;
        unsigned bit = 0;
        if (!strcmp(s, "const") || !strcmp(s, "volatile")) {
            if (!strcmp(s, "const"))
                tn->is_const = true;
            next(P);
            continue;
        }
        if (!strcmp(s, "struct") || !strcmp(s, "union") || !strcmp(s, "enum")) {
            if (any) {
                perr(P, P->cur.col, "two or more data types in declaration");
                return NULL;
            }
            tn->tag = s[0];
            next(P);
            if (P->cur.t != T_ID) {
                perr(P, P->cur.col, "expected a tag name after '%s'", tn->tag == 's' ? "struct" : tn->tag == 'u' ? "union" : "enum");
                return NULL;
            }
            tn->name = P->cur.s;
            next(P);
            any = true;
            continue;
        }
        if (!strcmp(s, "long")) {
            tn->longs++;
            any = true;
            next(P);
            continue;
        }
        if (!strcmp(s, "void")) bit = TK_VOID;
        else if (!strcmp(s, "char")) bit = TK_CHAR;
        else if (!strcmp(s, "short")) bit = TK_SHORT;
        else if (!strcmp(s, "int")) bit = TK_INT;
        else if (!strcmp(s, "signed")) bit = TK_SIGNED;
        else if (!strcmp(s, "unsigned")) bit = TK_UNSIGNED;
        else if (!strcmp(s, "float")) bit = TK_FLOAT;
        else if (!strcmp(s, "double")) bit = TK_DOUBLE;
        else if (!strcmp(s, "_Bool")) bit = TK_BOOL;
        else if (!strcmp(s, "__int128")) bit = TK_INT128;
        if (bit) {
            if (tn->kw & bit) {
                perr(P, P->cur.col, "duplicate '%s'", s);
                return NULL;
            }
            tn->kw |= bit;
            any = true;
            next(P);
            continue;
        }
        if (!any && !tn->tag && P->istype && P->istype(P->ictx, s)) {
            tn->tag = 't';
            tn->name = P->cur.s;
            any = true;
            next(P);
            continue;
        }
        break;
    }
    if (!any) {
        perr(P, col, "expected a type name");
        return NULL;
    }
    if (tn->tag && (tn->kw || tn->longs)) {
        perr(P, col, "two or more data types in declaration");
        return NULL;
    }
    abs_declarator(P, tn);
    return P->failed ? NULL : tn;
}

/* abstract-declarator: pointer* [ '(' abstract-declarator ')' ] suffix*  (C11 6.7.7). */
static void abs_declarator(parser *P, cd_tname *tn)
{
    if (too_deep(P))
        return;
    while (!P->failed) {
        if (is_p(P, "*")) {
            add_deriv(P, tn, TD_PTR, 0);
            next(P);
        } else if (P->cur.t == T_ID && (!strcmp(P->cur.s, "const") || !strcmp(P->cur.s, "volatile") ||
                                        !strcmp(P->cur.s, "restrict"))) {
            if (tn->nderiv)
                add_deriv(P, tn, P->cur.s[0] == 'c' ? TD_CONST : TD_VOLATILE, 0);
            next(P);
        } else
            break;
    }
    /* Inner declarator: applied after our suffixes, so parse it into a scratch list. */
    cd_tname inner = {0};
    bool has_inner = false;
    if (is_p(P, "(")) {
        /* "(" starts either a nested declarator "(*)" or a function suffix "(int)". */
        size_t save = P->pos;
        tok savet = P->cur;
        next(P);
        if (is_p(P, "*") || is_p(P, "(") || is_p(P, "[")) {
            abs_declarator(P, &inner);
            has_inner = true;
            expect(P, ")");
        } else {
            P->pos = save;
            P->cur = savet;
        }
    }
    /* Suffixes, outermost first in source order: collect then apply right to left. */
    struct { cd_tdkind k; int64_t n; } suf[16];
    int ns = 0;
    while (!P->failed && (is_p(P, "[") || is_p(P, "("))) {
        if (ns == 16) {
            perr(P, P->cur.col, "type name too complex");
            break;
        }
        if (is_p(P, "[")) {
            next(P);
            int64_t n = -1;
            if (P->cur.t == T_NUM) {
                n = (int64_t)P->cur.iv;
                next(P);
            }
            expect(P, "]");
            suf[ns].k = TD_ARRAY;
            suf[ns].n = n;
            ns++;
        } else {
            /* Parameter lists are accepted and skipped: casts only need "function returning T". */
            next(P);
            int depth = 1;
            while (depth && P->cur.t != T_EOF && !P->failed) {
                if (is_p(P, "("))
                    depth++;
                else if (is_p(P, ")"))
                    depth--;
                if (depth)
                    next(P);
            }
            expect(P, ")");
            suf[ns].k = TD_FUNC;
            suf[ns].n = 0;
            ns++;
        }
    }
    for (int i = ns - 1; i >= 0; i--)
        add_deriv(P, tn, suf[i].k, suf[i].n);
    if (has_inner)
        for (int i = 0; i < inner.nderiv; i++)
            add_deriv(P, tn, inner.deriv[i].kind, inner.deriv[i].n);
}

/* ---------- expressions ---------- */
static cd_expr *expr(parser *P);
static cd_expr *assign(parser *P);
static cd_expr *unary(parser *P);

/* A leaf takes its token's payload before next() overwrites it. next() zeroes every field a token
 * kind leaves unset, so copying them all gives each kind its own payload and zero elsewhere. */
static cd_expr *leaf(parser *P, cd_ekind k)
{
    const tok *t = &P->cur;
    cd_expr *e = node(P, k, t->col);
    e->ival = t->iv;
    e->is_unsigned = t->uns;
    e->longs = t->longs;
    e->is_hex = t->hex;
    e->fval = t->fv;
    e->is_float_suffix = t->fsuf;
    e->str = t->s;
    e->slen = t->slen;
    e->hist = t->hist;
    e->hist_rel = t->hist_rel;
    next(P);
    return e;
}

static cd_expr *primary(parser *P)
{
    tok *t = &P->cur;
    cd_expr *e;
    char b[64];
    switch (t->t) {
    case T_NUM:
        return leaf(P, E_INT);
    case T_FLOAT:
        return leaf(P, E_FLOAT);
    case T_CHAR:
        return leaf(P, E_CHAR);
    case T_STR:
        e = leaf(P, E_STR);
        /* Adjacent literals concatenate, as in C. */
        while (P->cur.t == T_STR && !P->failed) {
            char *n = cd_arena_alloc(P->ar, e->slen + P->cur.slen + 1);
            memcpy(n, e->str, e->slen);
            memcpy(n + e->slen, P->cur.s, P->cur.slen);
            e->str = n;
            e->slen += P->cur.slen;
            next(P);
        }
        return e;
    case T_ID:
        if (is_kw_type(t->s)) {
            perr(P, t->col, "unexpected type name '%s' (a cast needs parentheses)", t->s);
            return NULL;
        }
        if (!strcmp(t->s, "sizeof")) /* handled in unary */
            break;
        return leaf(P, E_IDENT);
    case T_DOLLAR:
        return leaf(P, E_DOLLAR);
    case T_HIST:
        return leaf(P, E_HIST);
    case T_PUNCT:
        if (is_p(P, "(")) {
            next(P);
            e = expr(P);
            if (!e)
                return NULL;
            if (!expect(P, ")"))
                return NULL;
            return e;
        }
        break;
    default:
        break;
    }
    perr(P, t->col, "expected an expression before %s", tokdesc(P, b, sizeof b));
    return NULL;
}

static cd_expr *postfix(parser *P)
{
    cd_expr *e = primary(P);
    while (e && !P->failed) {
        int col = P->cur.col;
        if (is_p(P, "[")) {
            next(P);
            cd_expr *i = expr(P);
            if (!i || !expect(P, "]"))
                return NULL;
            cd_expr *n = node(P, E_INDEX, col);
            n->a = e;
            n->b = i;
            e = n;
        } else if (is_p(P, ".") || is_p(P, "->")) {
            bool arrow = is_p(P, "->");
            next(P);
            if (P->cur.t != T_ID) {
                char b[64];
                perr(P, P->cur.col, "expected a member name after '%s' before %s", arrow ? "->" : ".",
                     tokdesc(P, b, sizeof b));
                return NULL;
            }
            cd_expr *n = node(P, arrow ? E_ARROW : E_MEMBER, col);
            n->a = e;
            n->str = P->cur.s;
            next(P);
            e = n;
        } else if (is_p(P, "(")) {
            /* a call: the arguments are assignment-expressions (a comma separates them) */
            next(P);
            cd_expr *n = node(P, E_CALL, col);
            n->a = e;
            int cap = 0;
            while (!is_p(P, ")")) {
                if (n->nargs) {
                    if (!expect(P, ","))
                        return NULL;
                }
                cd_expr *arg = assign(P);
                if (!arg)
                    return NULL;
                if (n->nargs == cap) {
                    cap = cap ? cap * 2 : 4;
                    cd_expr **na = cd_arena_alloc(P->ar, (size_t)cap * sizeof *na);
                    if (n->nargs)
                        memcpy(na, n->args, (size_t)n->nargs * sizeof *na);
                    n->args = na;
                }
                n->args[n->nargs++] = arg;
            }
            next(P);
            e = n;
        } else
            break;
    }
    return e;
}

static cd_expr *cast_expr(parser *P);

static cd_expr *unary(parser *P)
{
    if (too_deep(P))
        return NULL;
    cd_expr *r = NULL;
    int col = P->cur.col;
    int op = 0;
    if (P->cur.t == T_PUNCT && !P->cur.p[1]) {
        switch (P->cur.p[0]) {
        case '-': op = OP_NEG; break;
        case '+': op = OP_POS; break;
        case '!': op = OP_NOT; break;
        case '~': op = OP_BNOT; break;
        case '*': op = OP_DEREF; break;
        case '&': op = OP_ADDR; break;
        }
    }
    if (op) {
        next(P);
        cd_expr *a = cast_expr(P);
        if (a) {
            r = node(P, E_UNARY, col);
            r->op = op;
            r->a = a;
        }
    } else if (P->cur.t == T_ID && !strcmp(P->cur.s, "sizeof")) {
        next(P);
        if (is_p(P, "(")) {
            size_t save = P->pos;
            tok savet = P->cur;
            next(P);
            if (starts_type(P)) {
                cd_tname *tn = type_name(P);
                if (tn && expect(P, ")")) {
                    r = node(P, E_SIZEOF_TYPE, col);
                    r->tn = tn;
                }
                return r;
            }
            P->pos = save;
            P->cur = savet;
        }
        cd_expr *a = unary(P);
        if (a) {
            r = node(P, E_SIZEOF_EXPR, col);
            r->a = a;
        }
    } else
        r = postfix(P);
    return P->failed ? NULL : r;
}

static cd_expr *cast_expr(parser *P)
{
    if (too_deep(P))
        return NULL;
    if (is_p(P, "(")) {
        size_t save = P->pos;
        tok savet = P->cur;
        int col = P->cur.col;
        next(P);
        if (starts_type(P)) {
            cd_tname *tn = type_name(P);
            if (!tn || !expect(P, ")"))
                return NULL;
            cd_expr *a = cast_expr(P);
            if (!a)
                return NULL;
            cd_expr *e = node(P, E_CAST, col);
            e->tn = tn;
            e->a = a;
            return e;
        }
        P->pos = save;
        P->cur = savet;
    }
    return unary(P);
}

typedef struct { const char *p; int op, prec; } binop;
static const binop binops[] = {
    {"||", OP_LOR, 1}, {"&&", OP_LAND, 2}, {"|", OP_BOR, 3}, {"^", OP_BXOR, 4}, {"&", OP_BAND, 5},
    {"==", OP_EQ, 6}, {"!=", OP_NE, 6}, {"<", OP_LT, 7}, {">", OP_GT, 7}, {"<=", OP_LE, 7},
    {">=", OP_GE, 7}, {"<<", OP_SHL, 8}, {">>", OP_SHR, 8}, {"@", OP_AT, 9}, {"+", OP_ADD, 10}, {"-", OP_SUB, 10},
    {"*", OP_MUL, 11}, {"/", OP_DIV, 11}, {"%", OP_MOD, 11}, {NULL, 0, 0}, /* `@` binds as in gdb's grammar */
};

static const binop *cur_binop(parser *P)
{
    if (P->cur.t != T_PUNCT)
        return NULL;
    for (int i = 0; binops[i].p; i++)
        if (!strcmp(P->cur.p, binops[i].p))
            return &binops[i];
    return NULL;
}

static cd_expr *binary(parser *P, int minprec)
{
    cd_expr *l = cast_expr(P);
    while (l && !P->failed) {
        const binop *o = cur_binop(P);
        if (!o || o->prec < minprec)
            break;
        int col = P->cur.col;
        next(P);
        cd_expr *r = binary(P, o->prec + 1);
        if (!r)
            return NULL;
        cd_expr *n = node(P, E_BINARY, col);
        n->op = o->op;
        n->a = l;
        n->b = r;
        l = n;
    }
    return P->failed ? NULL : l;
}

static cd_expr *conditional(parser *P)
{
    cd_expr *c = binary(P, 1);
    if (!c || !is_p(P, "?"))
        return c;
    int col = P->cur.col;
    next(P);
    cd_expr *a = expr(P);
    if (!a || !expect(P, ":"))
        return NULL;
    cd_expr *b = conditional(P);
    if (!b)
        return NULL;
    cd_expr *n = node(P, E_TERNARY, col);
    n->a = c;
    n->b = a;
    n->c = b;
    return n;
}

static int assign_op(parser *P)
{
    if (P->cur.t != T_PUNCT)
        return 0;
    static const struct { const char *p; int op; } a[] = {
        {"=", OP_NONE}, {"+=", OP_ADD}, {"-=", OP_SUB}, {"*=", OP_MUL}, {"/=", OP_DIV}, {"%=", OP_MOD},
        {"<<=", OP_SHL}, {">>=", OP_SHR}, {"&=", OP_BAND}, {"|=", OP_BOR}, {"^=", OP_BXOR}, {NULL, 0}};
    for (int i = 0; a[i].p; i++)
        if (!strcmp(P->cur.p, a[i].p))
            return a[i].op;
    return 0;
}

static cd_expr *assign(parser *P)
{
    if (too_deep(P))
        return NULL;
    cd_expr *l = conditional(P);
    int op;
    if (l && (op = assign_op(P))) {
        int col = P->cur.col;
        next(P);
        cd_expr *r = assign(P);
        if (!r)
            return NULL;
        cd_expr *n = node(P, E_ASSIGN, col);
        n->op = op;
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

static cd_expr *expr(parser *P)
{
    cd_expr *l = assign(P);
    while (l && is_p(P, ",")) {
        int col = P->cur.col;
        next(P);
        cd_expr *r = assign(P);
        if (!r)
            return NULL;
        cd_expr *n = node(P, E_COMMA, col);
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

cd_expr *cd_expr_parse(cd_arena *a, const char *src, cd_is_typename_fn istype, void *ictx, cd_err *err)
{
    parser P = {.src = src, .ar = a, .err = err, .istype = istype, .ictx = ictx, .depth_limit = cd_depth_enter()};
    next(&P);
    if (P.cur.t == T_EOF && !P.failed) {
        perr(&P, 1, "expected an expression");
        return NULL;
    }
    cd_expr *e = expr(&P);
    if (e && !P.failed && P.cur.t != T_EOF) {
        char b[64];
        perr(&P, P.cur.col, "unexpected %s after the expression", tokdesc(&P, b, sizeof b));
    }
    return P.failed ? NULL : e;
}

cd_tname *cd_tname_parse(cd_arena *a, const char *src, cd_is_typename_fn istype, void *ictx)
{
    cd_err err;
    parser P = {.src = src, .ar = a, .err = &err, .istype = istype, .ictx = ictx, .depth_limit = cd_depth_enter()};
    next(&P);
    if (!starts_type(&P))
        return NULL;
    cd_tname *tn = type_name(&P);
    if (!tn || P.failed || P.cur.t != T_EOF)
        return NULL;
    return tn;
}

/* ---------- dump (tests) ---------- */
static const char *opname(int op)
{
    static const char *n[] = {"neg", "pos", "!", "~", "deref", "addr", "+", "-", "*", "/", "%", "<<",
                              ">>", "<", ">", "<=", ">=", "==", "!=", "&", "|", "^", "&&", "||", "=", "@"};
    return op >= OP_NEG && op <= OP_AT ? n[op - OP_NEG] : "?";
}

static void dump_tname(const cd_tname *tn, cd_buf *b)
{
    cd_buf_puts(b, "(type");
    static const char *kn[] = {"void", "char", "short", "int", "signed", "unsigned", "float", "double", "_Bool", "__int128"};
    for (int i = 0; i < 10; i++)
        if (tn->kw & (1u << i))
            cd_buf_printf(b, " %s", kn[i]);
    for (int i = 0; i < tn->longs; i++)
        cd_buf_puts(b, " long");
    if (tn->tag)
        cd_buf_printf(b, " %c:%s", tn->tag, tn->name);
    for (int i = 0; i < tn->nderiv; i++) {
        switch (tn->deriv[i].kind) {
        case TD_PTR: cd_buf_puts(b, " *"); break;
        case TD_ARRAY: cd_buf_printf(b, " [%lld]", (long long)tn->deriv[i].n); break;
        case TD_FUNC: cd_buf_puts(b, " ()"); break;
        case TD_CONST: cd_buf_puts(b, " const"); break;
        case TD_VOLATILE: cd_buf_puts(b, " volatile"); break;
        }
    }
    cd_buf_puts(b, ")");
}

bool cd_expr_has_call(const cd_expr *e)
{
    if (!e)
        return false;
    if (e->kind == E_CALL)
        return true;
    /* the tree is as deep as the parser let it be; the parser's own bound keeps this recursion short */
    return cd_expr_has_call(e->a) || cd_expr_has_call(e->b) || cd_expr_has_call(e->c);
}

void cd_expr_dump(const cd_expr *e, cd_buf *b)
{
    if (!e) {
        cd_buf_puts(b, "nil");
        return;
    }
    switch (e->kind) {
    case E_INT:
        cd_buf_printf(b, "%llu%s", (unsigned long long)e->ival, e->is_unsigned ? "u" : "");
        for (int i = 0; i < e->longs; i++)
            cd_buf_puts(b, "l");
        return;
    case E_FLOAT: cd_buf_printf(b, "%Lg%s", e->fval, e->is_float_suffix ? "f" : ""); return;
    case E_CHAR: cd_buf_printf(b, "'%u'", (unsigned)e->ival); return;
    case E_STR: cd_buf_printf(b, "\"%s\"", e->str); return;
    case E_IDENT: cd_buf_puts(b, e->str); return;
    case E_DOLLAR: cd_buf_printf(b, "$%s", e->str); return;
    case E_HIST: cd_buf_printf(b, "(hist %lld%s)", (long long)e->hist, e->hist_rel ? " rel" : ""); return;
    case E_UNARY: cd_buf_printf(b, "(%s ", opname(e->op)); break;
    case E_BINARY: cd_buf_printf(b, "(%s ", opname(e->op)); break;
    case E_ASSIGN: cd_buf_printf(b, "(=%s ", e->op == OP_NONE ? "" : opname(e->op)); break;
    case E_TERNARY: cd_buf_puts(b, "(? "); break;
    case E_CAST: cd_buf_puts(b, "(cast "); dump_tname(e->tn, b); cd_buf_puts(b, " "); break;
    case E_SIZEOF_EXPR: cd_buf_puts(b, "(sizeof "); break;
    case E_SIZEOF_TYPE: cd_buf_puts(b, "(sizeof "); dump_tname(e->tn, b); cd_buf_puts(b, ")"); return;
    case E_MEMBER: cd_buf_puts(b, "(. "); break;
    case E_ARROW: cd_buf_puts(b, "(-> "); break;
    case E_INDEX: cd_buf_puts(b, "([] "); break;
    case E_COMMA: cd_buf_puts(b, "(, "); break;
    case E_CALL:
        cd_buf_puts(b, "(call ");
        cd_expr_dump(e->a, b);
        for (int i = 0; i < e->nargs; i++) {
            cd_buf_puts(b, " ");
            cd_expr_dump(e->args[i], b);
        }
        cd_buf_puts(b, ")");
        return;
    }
    cd_expr_dump(e->a, b);
    if (e->kind == E_MEMBER || e->kind == E_ARROW)
        cd_buf_printf(b, " %s", e->str);
    if (e->b) {
        cd_buf_puts(b, " ");
        cd_expr_dump(e->b, b);
    }
    if (e->c) {
        cd_buf_puts(b, " ");
        cd_expr_dump(e->c, b);
    }
    cd_buf_puts(b, ")");
}
