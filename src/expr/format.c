/* Rendering values: text in C conventions (gdb-compatible where gdb is right) and JSON.
 * Every read is bounded by max-array / max-string and every nesting by max-depth, so corrupted
 * memory or a cyclic list cannot make printing unbounded. */
#include "expr/expr_int.h"
#include "output/output.h"
#include "target/procfs.h"

#include <dwarf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gdb's `print repeats` default: a run of more than this many equal elements is printed once */
#define REPEAT_THRESHOLD 10
/* the most of a char array read to print it */
#define CHAR_ARRAY_MAX 65536

void cd_fmtopt_init(cd_fmtopt *o, const cd_scope *sc, char fmt)
{
    o->raw = fmt == 'r'; /* print/r: no library printer, otherwise the natural format */
    o->fmt = fmt == 'r' ? 0 : fmt;
    o->max_array = sc && sc->max_array > 0 ? sc->max_array : 200;
    o->max_string = sc && sc->max_string > 0 ? sc->max_string : 200;
    o->max_depth = 20;
    o->repeats = REPEAT_THRESHOLD;
    o->pretty = o->array = o->array_indexes = o->null_stop = o->vtbl = false;
    o->address = o->symbol = o->unions = o->static_members = true;
}

/* gdb's pretty layout (print pretty, print array): a new line indented by 2 * LEVEL spaces, where
 * LEVEL is how deep the value is nested (gdb's recurse). */
static void indent(cd_buf *b, int level) { cd_buf_printf(b, "\n%*s", 2 * level, ""); }

/* How many bytes of a string to read: print elements, but a bounded buffer when it is unlimited. */
static int str_limit(const cd_fmtopt *o) { return o->max_string < CHAR_ARRAY_MAX ? o->max_string : CHAR_ARRAY_MAX; }

/* ---------- numbers ---------- */
static void u128_dec(unsigned __int128 v, char *out)
{
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = 0;
}

static void i128_dec(__int128 v, bool sgn, char *out)
{
    if (sgn && v < 0) {
        out[0] = '-';
        u128_dec((unsigned __int128)0 - (unsigned __int128)v, out + 1);
    } else
        u128_dec((unsigned __int128)v, out);
}

/* F as a value of a SIZE-byte floating type in %g at P digits; nan and inf as gdb writes them.
 * Returns whether the text reads back to the same value. */
static bool float_g(long double f, uint64_t size, int p, char *out, size_t n)
{
    if (isnan(f) || isinf(f)) {
        snprintf(out, n, "%s%s", signbit(f) ? "-" : "", isnan(f) ? "nan" : "inf");
        return true;
    }
    if (size == 4) {
        snprintf(out, n, "%.*g", p, (double)(float)f);
        return strtof(out, NULL) == (float)f;
    }
    if (size == 8) {
        snprintf(out, n, "%.*g", p, (double)f);
        return strtod(out, NULL) == (double)f;
    }
    snprintf(out, n, "%.*Lg", p, f);
    return strtold(out, NULL) == f;
}

/* The type's full precision: 1 + mantissa bits * log10(2) (float 9, double 17, x87 long double 21). */
static int float_digits(uint64_t size)
{
    return size == 4 ? 9 : size == 8 ? 17 : 21;
}

/* As gdb: %g at the type's full precision, which reads back to the same value; %g drops the
 * trailing zeros, so 2.5 stays "2.5" while 1.0/3 is 0.33333333333333331. */
static void float_str(long double f, uint64_t size, char *out, size_t n)
{
    float_g(f, size, float_digits(size), out, n);
}

/* Shortest text that reads back to the same value: JSON's numbers (docs/json.md). */
static void float_shortest(long double f, uint64_t size, char *out, size_t n)
{
    int maxp = float_digits(size), p;
    for (p = 1; p < maxp && !float_g(f, size, p, out, n); p++)
        ;
    if (p == maxp)
        float_g(f, size, p, out, n);
    /* %g switches to an exponent once it exceeds the precision: 1500 is "1.5e+03" at 2 digits.
     * Keep plain notation while the value has fewer integer digits than the full precision. */
    const char *e = strchr(out, 'e');
    int ex = e ? atoi(e + 1) : 0;
    if (e && ex > 0 && ex < maxp)
        float_g(f, size, ex + 1, out, n);
}

static void char_lit(int c, cd_buf *b, char quote)
{
    c &= 0xff;
    switch (c) {
    case '\n': cd_buf_puts(b, "\\n"); return;
    case '\t': cd_buf_puts(b, "\\t"); return;
    case '\r': cd_buf_puts(b, "\\r"); return;
    case '\a': cd_buf_puts(b, "\\a"); return;
    case '\b': cd_buf_puts(b, "\\b"); return;
    case '\f': cd_buf_puts(b, "\\f"); return;
    case '\v': cd_buf_puts(b, "\\v"); return;
    case 27: cd_buf_puts(b, "\\033"); return;
    case '\\': cd_buf_puts(b, "\\\\"); return;
    }
    if (c == quote) {
        cd_buf_printf(b, "\\%c", quote);
        return;
    }
    if (c < 0x20 || c >= 0x7f)
        cd_buf_printf(b, "\\%03o", c);
    else
        cd_buf_printf(b, "%c", c);
}

static void quoted(const uint8_t *s, size_t n, bool more, cd_buf *b)
{
    cd_buf_puts(b, "\"");
    for (size_t i = 0; i < n; i++)
        char_lit(s[i], b, '"');
    cd_buf_puts(b, more ? "\"..." : "\"");
}

/* A char array of N bytes, as gdb's generic_printstr prints it (print null-stop off): every byte,
 * NULs included, but one NUL at the very end (when TRUNC is false: the whole array was read); a run
 * of more than REPEAT_THRESHOLD equal bytes as 'c' <repeats N times>, the rest in quoted segments,
 * joined by ", ". LIMIT (print elements) counts bytes, a whole run at a time, so the run that crosses
 * it is printed whole; "..." when bytes were left. */
/* gdb prints wchar_t, char16_t and char32_t strings as L"..", u"..", U"..": the prefix for a type
 * that is one of them (by its name: wchar_t is a typedef of int in C), 0 otherwise. */
static char wide_prefix(cd_type *t)
{
    for (int i = 0; t && i < 16; i++, t = t->target) {
        if (t->name && (t->kind == TY_TYPEDEF || t->kind == TY_INT)) {
            if (!strcmp(t->name, "wchar_t"))
                return 'L';
            if (!strcmp(t->name, "char16_t"))
                return 'u';
            if (!strcmp(t->name, "char32_t"))
                return 'U';
        }
        if (t->kind != TY_TYPEDEF && t->kind != TY_CV)
            break;
    }
    return 0;
}

/* The code units at ADDR up to a 0 (at most MAX), as UTF-8 in quotes after PREFIX. */
static void wide_string(cd_ectx *x, uint64_t addr, uint64_t usz, char prefix, int max, cd_buf *b)
{
    if (usz != 2 && usz != 4) {
        cd_buf_puts(b, "<error: unsupported wide character size>");
        return;
    }
    uint8_t *out = cd_arena_alloc(x->ar, (size_t)max * 4 + 4);
    size_t n = 0;
    bool more = false;
    for (int i = 0;; i++) {
        if (i >= max) {
            more = true;
            break;
        }
        uint32_t c = 0;
        if (!x->t || cd_target_read_full(x->t, addr + (uint64_t)i * usz, &c, usz) != 0) {
            cd_buf_printf(b, "<error: cannot access memory at 0x%llx>", (unsigned long long)(addr + (uint64_t)i * usz));
            return;
        }
        if (!c)
            break;
        if (usz == 2 && c >= 0xd800 && c < 0xdc00) { /* a UTF-16 surrogate pair */
            uint32_t lo = 0;
            if (cd_target_read_full(x->t, addr + (uint64_t)(i + 1) * usz, &lo, usz) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
                i++;
            }
        }
        if (c < 0x80)
            out[n++] = (uint8_t)c;
        else if (c < 0x800) {
            out[n++] = (uint8_t)(0xc0 | c >> 6);
            out[n++] = (uint8_t)(0x80 | (c & 0x3f));
        } else if (c < 0x10000) {
            out[n++] = (uint8_t)(0xe0 | c >> 12);
            out[n++] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            out[n++] = (uint8_t)(0x80 | (c & 0x3f));
        } else {
            out[n++] = (uint8_t)(0xf0 | (c >> 18 & 7));
            out[n++] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
            out[n++] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
            out[n++] = (uint8_t)(0x80 | (c & 0x3f));
        }
    }
    cd_buf_printf(b, "%c", prefix);
    quoted(out, n, more, b);
}

/* One wide character C inside QUOTE: a char's escapes below 0x80, the character itself (UTF-8)
 * above, as gdb prints a wchar_t that is printable. */
static void wide_lit(uint32_t c, cd_buf *b, char quote)
{
    if (c < 0x80) {
        char_lit((int)c, b, quote);
    } else if (c < 0xa0 || c > 0x10ffff || (c >= 0xd800 && c < 0xe000)) {
        cd_buf_printf(b, "\%o", c);
    } else {
        char u[5] = {0};
        if (c < 0x800)
            u[0] = (char)(0xc0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3f));
        else if (c < 0x10000)
            u[0] = (char)(0xe0 | c >> 12), u[1] = (char)(0x80 | ((c >> 6) & 0x3f)), u[2] = (char)(0x80 | (c & 0x3f));
        else
            u[0] = (char)(0xf0 | c >> 18), u[1] = (char)(0x80 | ((c >> 12) & 0x3f)),
            u[2] = (char)(0x80 | ((c >> 6) & 0x3f)), u[3] = (char)(0x80 | (c & 0x3f));
        cd_buf_puts(b, u);
    }
}

static void byte_lit(uint32_t c, cd_buf *b, char quote)
{
    char_lit((int)c, b, quote);
}

/* A char array (WIDTH 1: bytes, escaped as chars) or a wchar_t/char16_t/char32_t one (WIDTH 4:
 * code points, printable ones as UTF-8), as gdb prints them: quoted segments, runs of more than
 * REPEATS equal elements as 'c' <repeats N times>, PREFIX (L, u, U; 0: none) before the first
 * quoted segment only (gdb: L"x", 'a' <repeats 22 times>, "b"). */
static void str_array(const void *buf, int width, int64_t n, bool trunc, int64_t limit, int repeats, char prefix,
                      cd_buf *b)
{
    const uint8_t *b8 = buf;
    const uint32_t *b32 = buf;
#define EL(k) (width == 1 ? (uint32_t)b8[k] : b32[k])
    void (*lit)(uint32_t, cd_buf *, char) = width == 1 ? byte_lit : wide_lit;
    if (!trunc && n > 0 && EL(n - 1) == 0)
        n--;
    if (n == 0) {
        if (prefix)
            cd_buf_printf(b, "%c", prefix);
        cd_buf_puts(b, "\"\"");
        return;
    }
    int64_t i = 0, done = 0;
    bool in_str = false;
    while (i < n && done < limit) {
        int64_t run = 1;
        while (i + run < n && EL(i + run) == EL(i))
            run++;
        if (run > repeats) {
            if (in_str)
                cd_buf_puts(b, "\"");
            in_str = false;
            cd_buf_puts(b, i ? ", '" : "'");
            lit(EL(i), b, '\'');
            cd_buf_printf(b, "' <repeats %lld times>", (long long)run);
        } else {
            if (!in_str) {
                if (i)
                    cd_buf_puts(b, ", \"");
                else if (prefix)
                    cd_buf_printf(b, "%c\"", prefix);
                else
                    cd_buf_puts(b, "\"");
            }
            in_str = true;
            for (int64_t k = 0; k < run; k++)
                lit(EL(i), b, '"');
        }
        i += run;
        done += run;
    }
#undef EL
    if (in_str)
        cd_buf_puts(b, "\"");
    if (i < n || trunc)
        cd_buf_puts(b, "...");
}

static void radix(unsigned __int128 u, int base, cd_buf *b)
{
    char tmp[140];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[u % (unsigned)base];
        u /= (unsigned)base;
    } while (u);
    while (n)
        cd_buf_printf(b, "%c", tmp[--n]);
}

static bool enum_name(cd_vstate *vs, cd_type *t, __int128 v, bool flags_ok, cd_buf *b)
{
    Dwarf_Die c;
    const char *pre = cd_enumerator_prefix(vs, t);
    if (!t->has_die || dwarf_child(&t->die, &c) != 0)
        return false;
    /* Exact match first; then a full decomposition into flag enumerators, as gdb does. */
    unsigned __int128 rest = (unsigned __int128)v;
    cd_buf flags = {0};
    int nflags = 0;
    do {
        Dwarf_Attribute a;
        Dwarf_Sword sv;
        Dwarf_Word uv;
        if (dwarf_tag(&c) != DW_TAG_enumerator || !dwarf_attr(&c, DW_AT_const_value, &a))
            continue;
        __int128 ev;
        if (t->is_signed ? dwarf_formsdata(&a, &sv) == 0 : false)
            ev = sv;
        else if (dwarf_formudata(&a, &uv) == 0)
            ev = uv;
        else
            continue;
        if (ev == v) {
            cd_buf_printf(b, "%s%s", pre, dwarf_diename(&c));
            cd_buf_free(&flags);
            return true;
        }
        unsigned __int128 uev = (unsigned __int128)ev;
        if (uev && !(uev & (uev - 1)) && (rest & uev)) {
            cd_buf_printf(&flags, "%s%s%s", nflags++ ? " | " : "", pre, dwarf_diename(&c));
            rest &= ~uev;
        }
    } while (dwarf_siblingof(&c, &c) == 0);
    bool ok = flags_ok && v > 0 && nflags > 1 && rest == 0;
    if (ok)
        cd_buf_printf(b, "(%s)", cd_buf_str(&flags));
    cd_buf_free(&flags);
    return ok;
}

/* Reads a NUL-terminated string of at most max bytes at addr. Returns length, more = not terminated. */
static int read_cstr(cd_ectx *x, uint64_t addr, int max, uint8_t *buf, bool *more)
{
    *more = false;
    int n = 0;
    while (n < max) {
        uint8_t chunk[64];
        size_t want = (size_t)(max - n) < sizeof chunk ? (size_t)(max - n) : sizeof chunk;
        ssize_t got = x->t ? cd_target_read(x->t, addr + (uint64_t)n, chunk, want) : -1;
        if (got <= 0)
            return n ? n : -1;
        for (ssize_t i = 0; i < got; i++) {
            if (!chunk[i])
                return n;
            buf[n++] = chunk[i];
        }
    }
    uint8_t c;
    *more = x->t && cd_target_read(x->t, addr + (uint64_t)n, &c, 1) == 1 && c != 0;
    return n;
}

static void fmt(cd_ectx *x, const cd_value *v, const cd_fmtopt *o, bool top, int depth, cd_buf *b);

static void scalar(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, bool top, cd_buf *b)
{
    cd_err e;
    cd_err *save = x->err;
    x->err = &e;
    char num[64];
    char f = o->fmt;
    if (s->kind == TY_FLOAT && (f == 0 || f == 'f')) {
        long double d;
        if (cd_value_float(x, v, &d) != 0)
            goto err;
        float_str(d, s->size, num, sizeof num);
        cd_buf_puts(b, num);
        goto out;
    }
    if (s->kind == TY_PTR && (f == 0 || f == 's' || f == 'a')) {
        __int128 iv;
        if (cd_value_int(x, v, &iv) != 0)
            goto err;
        uint64_t a = (uint64_t)iv;
        cd_type *tt = cd_type_strip(s->target);
        if (top && f == 0 && tt && !cd_type_is_charlike(tt) && !wide_prefix(s->target)) {
            cd_buf_puts(b, "(");
            cd_type_name(x->vs, v->type, b);
            cd_buf_puts(b, ") ");
        }
        /* gdb's print_unpacked_pointer: print address off drops the number (and the space after
         * it), print symbol off the <symbol> of a data pointer; /a and a function pointer keep
         * theirs. With neither, nothing is printed for the address. */
        bool addr = o->address || f == 'a', fnptr = tt && tt->kind == TY_FUNC;
        size_t mark = b->len;
        if (addr)
            cd_buf_printf(b, "0x%llx", (unsigned long long)a);
        char wp = wide_prefix(s->target);
        const char *sp = b->len > mark ? " " : "";
        if (wp && f != 'a' && a) {
            cd_buf_puts(b, sp);
            wide_string(x, a, cd_type_size(s->target), wp, str_limit(o), b);
        } else if (tt && cd_type_is_charlike(tt) && f != 'a' && a) {
            int max = str_limit(o);
            uint8_t *buf = cd_arena_alloc(x->ar, (size_t)max + 1);
            bool more;
            int n = read_cstr(x, a, max, buf, &more);
            if (n < 0)
                cd_buf_printf(b, "%s<error: cannot access memory at 0x%llx>", sp, (unsigned long long)a);
            else {
                cd_buf_puts(b, sp);
                quoted(buf, (size_t)n, more, b);
            }
        } else if (a && (o->symbol || fnptr || f == 'a')) {
            cd_buf sym = {0};
            cd_addr_symbol(x, a, &sym);
            if (sym.len)
                cd_buf_printf(b, "%s%s", sp, cd_buf_str(&sym));
            cd_buf_free(&sym);
        }
        goto out;
    }
    __int128 iv;
    unsigned bits = (unsigned)s->size * 8;
    if (s->kind == TY_FLOAT && f != 'c') {
        /* /x /d /u /o /t /a show a float's bits, as gdb documents ("the binary representation"). */
        if (s->size > 16) {
            cd_fail(x->err, CD_EXIT_CMD, "unsupported floating-point size %llu", (unsigned long long)s->size);
            goto err;
        }
        uint8_t raw[16] = {0};
        if (cd_value_read(x, v, 0, raw, s->size) != 0)
            goto err;
        if (s->size > 10)
            bits = 80; /* x87 extended: the rest is padding */
        unsigned __int128 r = 0;
        for (unsigned i = 0; i < bits / 8; i++)
            r |= (unsigned __int128)raw[i] << (8 * i);
        iv = (__int128)r;
    } else if (s->kind == TY_FLOAT) {
        long double d;
        if (cd_value_float(x, v, &d) != 0)
            goto err;
        iv = (__int128)d;
    } else if (cd_value_int(x, v, &iv) != 0)
        goto err;
    /* A bitfield is formatted as a value of its declared type (gdb does the same): /x of an
     * int:4 holding -3 is 0xfffffffd, /d of an unsigned:3 holding 5 is 5. */
    unsigned __int128 u = (unsigned __int128)iv;
    if (bits < 128)
        u &= ((unsigned __int128)1 << bits) - 1;
    switch (f) {
    case 'x': cd_buf_puts(b, "0x"); radix(u, 16, b); goto out;
    case 'o': cd_buf_puts(b, u ? "0" : ""); radix(u, 8, b); goto out;
    case 't': radix(u, 2, b); goto out;
    case 'd': {
        __int128 sv = (__int128)u;
        if (bits < 128 && (u >> (bits - 1)) & 1)
            sv = (__int128)(u | (~(unsigned __int128)0 << bits));
        i128_dec(sv, true, num);
        cd_buf_puts(b, num);
        goto out;
    }
    case 'u': u128_dec(u, num); cd_buf_puts(b, num); goto out;
    case 'a': {
        cd_buf_printf(b, "0x%llx", (unsigned long long)u);
        cd_buf sym = {0};
        cd_addr_symbol(x, (uint64_t)u, &sym);
        if (sym.len)
            cd_buf_printf(b, " %s", cd_buf_str(&sym));
        cd_buf_free(&sym);
        goto out;
    }
    case 'c':
        /* The value converted to a char of the operand's signedness: 200 '\310' for unsigned. */
        i128_dec(s->is_signed || s->kind == TY_FLOAT ? (__int128)(int8_t)(uint8_t)u : (__int128)(uint8_t)u, true, num);
        cd_buf_printf(b, "%s '", num);
        char_lit((int)(u & 0xff), b, '\'');
        cd_buf_puts(b, "'");
        goto out;
    case 'f': {
        /* gdb: "regard the bits of the value as a floating point number" when a float type of
         * that size exists; other sizes print the integer. */
        long double d = s->is_signed ? (long double)iv : (long double)u;
        uint64_t fsz = 8;
        if (s->kind != TY_BOOL && (s->size == 4 || s->size == 8 || s->size == 16)) {
            uint8_t raw[16];
            for (int i = 0; i < 16; i++)
                raw[i] = (uint8_t)(u >> (8 * i));
            fsz = s->size;
            if (fsz == 4) {
                float fv;
                memcpy(&fv, raw, 4);
                d = fv;
            } else if (fsz == 8) {
                double dv;
                memcpy(&dv, raw, 8);
                d = dv;
            } else {
                d = 0;
                memcpy(&d, raw, 10);
            }
        }
        float_str(d, fsz, num, sizeof num);
        cd_buf_puts(b, num);
        goto out;
    }
    default:
        break;
    }
    if (s->kind == TY_BOOL) {
        if (iv == 0 || iv == 1)
            cd_buf_puts(b, iv ? "true" : "false");
        else
            i128_dec(iv, false, num), cd_buf_puts(b, num);
        goto out;
    }
    if (s->kind == TY_ENUM) {
        if (!enum_name(x->vs, s, iv, true, b)) {
            i128_dec(iv, s->is_signed, num);
            cd_buf_puts(b, num);
        }
        goto out;
    }
    i128_dec(iv, s->is_signed, num);
    cd_buf_puts(b, num);
    if (s->is_char && s->size == 1) {
        cd_buf_puts(b, " '");
        char_lit((int)iv, b, '\'');
        cd_buf_puts(b, "'");
    }
    goto out;
err:
    cd_buf_printf(b, "<error: %s>", e.msg);
out:
    x->err = save;
}

static void array(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    cd_type *et = s->target;
    uint64_t es = cd_type_size(et);
    int64_t count = s->count;
    cd_err e;
    cd_err *save = x->err;
    x->err = &e;
    if (count < 0)
        count = 0; /* flexible array member: the size is not in the type */
    if (cd_type_is_charlike(et) && (o->fmt == 0 || o->fmt == 's')) {
        /* the whole array, as gdb reads it (its max-value-size, 64 KiB, bounds it: so does this) */
        int64_t n = count < CHAR_ARRAY_MAX ? count : CHAR_ARRAY_MAX;
        uint8_t *buf = cd_arena_alloc(x->ar, (size_t)n + 1);
        if (n && cd_value_read(x, v, 0, buf, (size_t)n) != 0) {
            cd_buf_printf(b, "<error: %s>", e.msg);
            x->err = save;
            return;
        }
        bool trunc = n < count;
        if (o->null_stop) {
            /* gdb: up to the first NUL within print elements; "..." when the limit cut a longer one */
            int64_t k = 0;
            while (k < n && k < o->max_string && buf[k])
                k++;
            trunc = k == o->max_string && k < n && buf[k];
            n = k;
        }
        str_array(buf, 1, n, trunc, o->max_string, o->repeats, 0, b);
        x->err = save;
        return;
    }
    char wp = o->fmt == 0 && (es == 2 || es == 4) ? wide_prefix(et) : 0;
    if (wp) { /* wchar_t, char16_t, char32_t: a string, as gdb prints it */
        int64_t n = count < CHAR_ARRAY_MAX / 4 ? count : CHAR_ARRAY_MAX / 4;
        uint32_t *buf = cd_arena_alloc(x->ar, (size_t)n * 4 + 4);
        for (int64_t i = 0; i < n; i++) {
            uint32_t c = 0;
            if (cd_value_read(x, v, (uint64_t)i * es, &c, es) != 0) {
                cd_buf_printf(b, "<error: %s>", e.msg);
                x->err = save;
                return;
            }
            buf[i] = c;
        }
        str_array(buf, 4, n, n < count, o->max_string, o->repeats, wp, b);
        x->err = save;
        return;
    }
    if (depth >= o->max_depth) {
        cd_buf_puts(b, "{...}");
        x->err = save;
        return;
    }
    /* gdb's value_print_array_elements: a run counts as `print repeats` elements towards the
     * limit, so {0 <repeats 300 times>, 1} is printed whole */
    int64_t lim = o->max_array;
    cd_buf_puts(b, "{");
    if (o->array)
        indent(b, depth + 1);
    uint8_t *prev = NULL, *cur = NULL;
    bool cmp = es > 0 && es <= 64 && !(v->where != V_MEM && v->where != V_BYTES);
    if (cmp) {
        prev = cd_arena_alloc(x->ar, es);
        cur = cd_arena_alloc(x->ar, es);
    }
    int64_t i = 0, printed = 0;
    while (i < count && printed < lim) {
        cd_value ev = cd_value_sub(v, et, (uint64_t)i * es);
        int64_t run = 1;
        if (cmp && cd_value_read(x, &ev, 0, prev, es) == 0) {
            while (i + run < count && run < 1000000) {
                cd_value nx = cd_value_sub(v, et, (uint64_t)(i + run) * es);
                if (cd_value_read(x, &nx, 0, cur, es) != 0 || memcmp(prev, cur, es))
                    break;
                run++;
            }
        }
        if (i && o->array) {
            cd_buf_puts(b, ",");
            indent(b, depth + 1);
        } else if (i)
            cd_buf_puts(b, ", ");
        if (o->array_indexes)
            cd_buf_printf(b, "[%lld] = ", (long long)i);
        fmt(x, &ev, o, false, depth + 1, b);
        if (run > o->repeats) {
            cd_buf_printf(b, " <repeats %lld times>", (long long)run);
            i += run;
            printed += o->repeats;
        } else {
            i++;
            printed++;
        }
    }
    if (i < count)
        cd_buf_puts(b, "...");
    if (o->array)
        indent(b, depth);
    cd_buf_puts(b, "}");
    x->err = save;
}

/* ---------- the standard library, as gdb's libstdc++ printers show it ---------- */
/* A libstdc++ std::string (the C++11 ABI's basic_string<char>) read through its DWARF layout:
 * _M_dataplus._M_p and _M_string_length. false when the type is not one or its layout is not the
 * expected one (another library version, libc++): the caller then prints the raw object rather
 * than a wrong string. */
static bool std_string(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, cd_buf *b)
{
    const char *q = cd_type_qname(x->vs, s);
    if (!q || (strncmp(q, "std::__cxx11::basic_string<char,", 32) != 0 && strncmp(q, "std::basic_string<char,", 23) != 0))
        return false;
    cd_member dp, p, len;
    if (!cd_type_find_member(x->vs, s, "_M_dataplus", &dp, x->ar) ||
        !cd_type_find_member(x->vs, dp.type, "_M_p", &p, x->ar) ||
        !cd_type_find_member(x->vs, s, "_M_string_length", &len, x->ar))
        return false;
    cd_type *pt = cd_type_strip(p.type);
    if (!pt || pt->kind != TY_PTR || pt->ref || !cd_type_is_charlike(pt->target) || !cd_type_is_integral(len.type) ||
        cd_type_size(len.type) != 8)
        return false;
    cd_err e, *save = x->err;
    x->err = &e;
    uint64_t addr = 0, n = 0;
    bool ok = cd_value_read(x, v, dp.offset + p.offset, &addr, 8) == 0 && cd_value_read(x, v, len.offset, &n, 8) == 0;
    x->err = save;
    if (!ok || n > (1ull << 40) || (n && !addr))
        return false; /* not a string a program could hold: show the raw object */
    uint64_t want = n < (uint64_t)str_limit(o) ? n : (uint64_t)str_limit(o);
    uint8_t *buf = cd_arena_alloc(x->ar, want + 1);
    if (want && (!x->t || cd_target_read(x->t, addr, buf, want) != (ssize_t)want)) {
        cd_buf_printf(b, "<error: cannot access memory at 0x%llx>", (unsigned long long)addr);
        return true;
    }
    quoted(buf, want, want < n, b);
    return true;
}

/* ---------- containers and smart pointers ---------- */
typedef enum { STL_NONE, STL_STRING, STL_VECTOR, STL_MAP, STL_SET, STL_UMAP, STL_USET, STL_UNIQUE, STL_SHARED,
               STL_WEAK, STL_ATOMIC, STL_OPTIONAL, STL_MUTEX } stl_kind;

static stl_kind stl_classify(const char *q)
{
    static const struct { const char *prefix; stl_kind k; } tab[] = {
        {"std::__cxx11::basic_string<char,", STL_STRING}, {"std::basic_string<char,", STL_STRING},
        {"std::vector<", STL_VECTOR}, {"std::map<", STL_MAP}, {"std::set<", STL_SET},
        {"std::unordered_map<", STL_UMAP}, {"std::unordered_set<", STL_USET}, {"std::unique_ptr<", STL_UNIQUE},
        {"std::shared_ptr<", STL_SHARED}, {"std::weak_ptr<", STL_WEAK}, {"std::atomic<", STL_ATOMIC},
        {"std::optional<", STL_OPTIONAL},
    };
    /* the mutexes are no templates: their whole names */
    static const char *const mutexes[] = {"std::mutex", "std::recursive_mutex", "std::timed_mutex",
                                          "std::recursive_timed_mutex"};
    if (!q)
        return STL_NONE;
    for (size_t i = 0; i < sizeof mutexes / sizeof mutexes[0]; i++)
        if (!strcmp(q, mutexes[i]))
            return STL_MUTEX;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strncmp(q, tab[i].prefix, strlen(tab[i].prefix)))
            return tab[i].k;
    return STL_NONE;
}

/* Whether a value of type S is printed by one of the library printers (print/r: never). */
static bool pretty_printed(cd_ectx *x, cd_type *s, const cd_fmtopt *o)
{
    if (o->raw || !s || !s->cxx || s->kind != TY_STRUCT)
        return false;
    return stl_classify(cd_type_qname(x->vs, s)) != STL_NONE;
}

/* The Nth template type argument of a class (DW_TAG_template_type_param), or NULL. */
static cd_type *template_arg(cd_ectx *x, cd_type *s, int n)
{
    Dwarf_Die c;
    if (!s->has_die || dwarf_child(&s->die, &c) != 0)
        return NULL;
    do {
        if (dwarf_tag(&c) == DW_TAG_template_type_parameter && n-- == 0)
            return cd_type_of_die(x->vs, &c);
    } while (dwarf_siblingof(&c, &c) == 0);
    return NULL;
}

/* A member by name, through base classes, whose type passes the check: where the first one found
 * by name is the wrong one (a tuple's deleter beside its pointer, both _M_head_impl). */
static bool find_typed(cd_ectx *x, cd_type *t, const char *name, cd_tykind kind, cd_member *out, int depth)
{
    t = cd_type_strip(t);
    if (!t || !t->has_die || depth > 16)
        return false;
    cd_member *m;
    int n = cd_type_members(x->vs, t, &m, x->ar);
    for (int i = 0; i < n; i++) {
        cd_type *mt = cd_type_strip(m[i].type);
        if (m[i].name && !strcmp(m[i].name, name) && mt && mt->kind == kind && !(kind == TY_PTR && mt->ref)) {
            *out = m[i];
            return true;
        }
    }
    Dwarf_Die c;
    if (dwarf_child(&t->die, &c) == 0)
        do {
            Dwarf_Attribute at;
            Dwarf_Die bd;
            Dwarf_Word w = 0;
            if (dwarf_tag(&c) != DW_TAG_inheritance || !dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &at), &bd))
                continue;
            if (dwarf_attr(&c, DW_AT_data_member_location, &at) && dwarf_formudata(&at, &w) != 0)
                continue;
            if (find_typed(x, cd_type_from_die(x->vs, &bd), name, kind, out, depth + 1)) {
                out->offset += w;
                return true;
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    return false;
}

/* A member path ("_M_impl", "_M_start") through base classes: its offset and type; false when a
 * step is missing, which is how another layout is noticed. */
static bool member_at(cd_ectx *x, cd_type *t, const char *const *path, int n, uint64_t *off, cd_type **type)
{
    uint64_t o = 0;
    for (int i = 0; i < n; i++) {
        cd_member m;
        if (!cd_type_find_member(x->vs, t, path[i], &m, x->ar) || m.bitsize)
            return false;
        o += m.offset;
        t = m.type;
    }
    *off = o;
    *type = t;
    return true;
}

static bool read_u64(cd_ectx *x, const cd_value *v, uint64_t off, uint64_t *out)
{
    cd_err e, *save = x->err;
    x->err = &e;
    *out = 0;
    bool ok = cd_value_read(x, v, off, out, 8) == 0;
    x->err = save;
    return ok;
}

static bool read_mem(cd_ectx *x, uint64_t addr, void *buf, size_t n)
{
    return x->t && cd_target_read(x->t, addr, buf, n) == (ssize_t)n;
}

static cd_value mem_value(cd_type *t, uint64_t addr)
{
    return (cd_value){.type = t, .where = V_MEM, .addr = addr, .lval = true, .regno = -1};
}

/* "std::unique_ptr<int>": the printers' names, from the template argument's type name */
static void tmpl_name(cd_ectx *x, const char *what, cd_type *arg, cd_buf *b)
{
    cd_buf_printf(b, "%s<", what);
    cd_type_name(x->vs, arg, b);
    cd_buf_puts(b, ">");
}

/* gdb's print_children: elements past print elements end with "..."; with PRETTY (print pretty
 * for a map, a set or a pointer's child, print array for a vector's elements) each child is on a
 * line of its own, one level deeper than the printer's value at DEPTH. */
static bool elem_sep(cd_buf *b, int64_t i, const cd_fmtopt *o, bool pretty, int depth)
{
    if (i >= o->max_array) {
        if (pretty)
            indent(b, depth + 1);
        cd_buf_puts(b, "...");
        return false;
    }
    if (i)
        cd_buf_puts(b, pretty ? "," : ", ");
    if (pretty)
        indent(b, depth + 1);
    return true;
}

/* N children were printed of COUNT: gdb stops at print elements before asking for one more, so
 * exactly print elements children end with "..." too. */
static void children_end(cd_buf *b, uint64_t count, const cd_fmtopt *o, bool pretty, int depth)
{
    if (count == (uint64_t)o->max_array)
        elem_sep(b, o->max_array, o, pretty, depth);
    if (pretty)
        indent(b, depth);
    cd_buf_puts(b, "}");
}

static bool stl_vector(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    static const char *const st[] = {"_M_impl", "_M_start"}, *const fi[] = {"_M_impl", "_M_finish"},
                             *const en[] = {"_M_impl", "_M_end_of_storage"};
    uint64_t o1, o2, o3, a1, a2, a3;
    cd_type *t1, *t2, *t3;
    if (!member_at(x, s, st, 2, &o1, &t1) || !member_at(x, s, fi, 2, &o2, &t2) || !member_at(x, s, en, 2, &o3, &t3))
        return false;
    cd_type *et = cd_type_pointee(t1); /* vector<bool> keeps bit iterators here: not this printer */
    if (!et || cd_type_strip(t1)->ref || !cd_type_pointee(t2) || !cd_type_pointee(t3))
        return false;
    uint64_t es = cd_type_size(et);
    if (!es || !read_u64(x, v, o1, &a1) || !read_u64(x, v, o2, &a2) || !read_u64(x, v, o3, &a3) || a2 < a1 ||
        a3 < a2 || (a2 - a1) % es || (a3 - a1) % es)
        return false;
    uint64_t n = (a2 - a1) / es, cap = (a3 - a1) / es;
    cd_buf_printf(b, "std::vector of length %llu, capacity %llu", (unsigned long long)n, (unsigned long long)cap);
    if (!n)
        return true;
    cd_buf_puts(b, " = {");
    for (uint64_t i = 0; i < n; i++) {
        if (!elem_sep(b, (int64_t)i, o, o->array, depth))
            break;
        if (o->array_indexes)
            cd_buf_printf(b, "[%llu] = ", (unsigned long long)i);
        cd_value ev = mem_value(et, a1 + i * es);
        fmt(x, &ev, o, false, depth + 1, b);
    }
    children_end(b, n, o, o->array, depth);
    return true;
}

/* A map's value_type is a std::pair: its first and second members, into PAIR[0] and PAIR[1]. */
static bool pair_members(cd_ectx *x, cd_type *val, cd_member pair[2])
{
    return cd_type_find_member(x->vs, val, "first", &pair[0], x->ar) &&
           cd_type_find_member(x->vs, val, "second", &pair[1], x->ar);
}

/* One element of a std:: map or set, as gdb's printers show it: `[key] = value` for a map (PAIR
 * from pair_members), `[I] = value` for a set (PAIR NULL). */
/* gdb's map printers give a key and a value as two children, each counted by print elements: an
 * odd limit ends after a key (`["k"] = ...`); false then. */
static bool assoc_elem(cd_ectx *x, const cd_value *ev, const cd_member *pair, uint64_t i, const cd_fmtopt *o,
                       int depth, cd_buf *b)
{
    if (pair) {
        cd_value kv = cd_value_sub(ev, pair[0].type, pair[0].offset), vv = cd_value_sub(ev, pair[1].type, pair[1].offset);
        cd_buf_puts(b, "[");
        fmt(x, &kv, o, false, depth + 1, b);
        cd_buf_puts(b, "] = ");
        if (2 * i + 1 >= (uint64_t)o->max_array) {
            cd_buf_puts(b, "...");
            return false;
        }
        fmt(x, &vv, o, false, depth + 1, b);
    } else {
        cd_buf_printf(b, "[%llu] = ", (unsigned long long)i);
        fmt(x, ev, o, false, depth + 1, b);
    }
    return true;
}

/* std::map and std::set: an in-order walk of the red-black tree from its header. */
static bool stl_rbtree(cd_ectx *x, const cd_value *v, cd_type *s, bool is_map, const cd_fmtopt *o, int depth, cd_buf *b)
{
    static const char *const tp[] = {"_M_t"}, *const hp[] = {"_M_t", "_M_impl", "_M_header"},
                             *const cp[] = {"_M_t", "_M_impl", "_M_node_count"};
    uint64_t to, ho, co, count, left;
    cd_type *tt, *ht, *ct;
    if (!member_at(x, s, tp, 1, &to, &tt) || !member_at(x, s, hp, 3, &ho, &ht) || !member_at(x, s, cp, 3, &co, &ct))
        return false;
    cd_type *val = template_arg(x, cd_type_strip(tt), 1); /* _Rb_tree<Key, Val, ...> */
    cd_member ml, mr, mp;
    if (!val || !cd_type_find_member(x->vs, ht, "_M_left", &ml, x->ar) ||
        !cd_type_find_member(x->vs, ht, "_M_right", &mr, x->ar) ||
        !cd_type_find_member(x->vs, ht, "_M_parent", &mp, x->ar) || cd_type_size(ct) != 8 ||
        !read_u64(x, v, co, &count) || !read_u64(x, v, ho + ml.offset, &left) || v->where != V_MEM)
        return false;
    cd_member pair[2];
    if (is_map && !pair_members(x, val, pair))
        return false;
    /* the node's value follows its _Rb_tree_node_base, aligned as __aligned_membuf does */
    uint64_t vs_off = (cd_type_size(ht) + 7) & ~7ull, header = v->addr + ho;
    cd_buf_printf(b, "std::%s with %llu element%s", is_map ? "map" : "set", (unsigned long long)count,
                  count == 1 ? "" : "s");
    if (!count)
        return true;
    cd_buf_puts(b, " = {");
    uint64_t node = left;
    uint64_t per = is_map ? 2 : 1; /* children per element */
    bool cut = false;
    for (uint64_t i = 0; i < count && node && node != header; i++) {
        if (!elem_sep(b, (int64_t)(per * i), o, o->pretty, depth))
            break;
        cd_value ev = mem_value(val, node + vs_off);
        if ((cut = !assoc_elem(x, &ev, is_map ? pair : NULL, i, o, depth, b)))
            break;
        /* in-order successor */
        uint64_t r, p;
        if (!read_mem(x, node + mr.offset, &r, 8))
            break;
        if (r) {
            node = r;
            uint64_t l;
            for (int k = 0; k < 128 && read_mem(x, node + ml.offset, &l, 8) && l; k++)
                node = l;
        } else {
            int k;
            for (k = 0; k < 128 && read_mem(x, node + mp.offset, &p, 8); k++) {
                if (!read_mem(x, p + mr.offset, &r, 8) || r != node) {
                    node = p;
                    break;
                }
                node = p;
            }
            if (k == 128)
                break;
        }
    }
    children_end(b, cut ? 0 : per * count, o, o->pretty, depth);
    return true;
}

/* std::unordered_map/set: the singly linked list from _M_before_begin. */
static bool stl_hashtable(cd_ectx *x, const cd_value *v, cd_type *s, bool is_map, const cd_fmtopt *o, int depth,
                          cd_buf *b)
{
    static const char *const hp[] = {"_M_h"}, *const bp[] = {"_M_h", "_M_before_begin", "_M_nxt"},
                             *const cp[] = {"_M_h", "_M_element_count"};
    uint64_t ho, bo, co, count, node;
    cd_type *ht, *bt, *ct;
    if (!member_at(x, s, hp, 1, &ho, &ht) || !member_at(x, s, bp, 3, &bo, &bt) || !member_at(x, s, cp, 2, &co, &ct))
        return false;
    cd_type *val = template_arg(x, cd_type_strip(ht), 1); /* _Hashtable<Key, Value, ...> */
    cd_member pair[2];
    if (!val || !cd_type_pointee(bt) || cd_type_size(ct) != 8 || !read_u64(x, v, co, &count) || !read_u64(x, v, bo, &node))
        return false;
    if (is_map && !pair_members(x, val, pair))
        return false;
    /* _Hash_node<V>: its _M_nxt, then the value (aligned as __aligned_buffer does) */
    uint64_t align = cd_type_align(x->vs, val), voff = (8 + align - 1) & ~(align - 1);
    cd_buf_printf(b, "std::unordered_%s with %llu element%s", is_map ? "map" : "set", (unsigned long long)count,
                  count == 1 ? "" : "s");
    if (!count)
        return true;
    cd_buf_puts(b, " = {");
    uint64_t per = is_map ? 2 : 1; /* children per element */
    bool cut = false;
    for (uint64_t i = 0; i < count && node; i++) {
        if (!elem_sep(b, (int64_t)(per * i), o, o->pretty, depth))
            break;
        cd_value ev = mem_value(val, node + voff);
        if ((cut = !assoc_elem(x, &ev, is_map ? pair : NULL, i, o, depth, b)))
            break;
        if (!read_mem(x, node, &node, 8))
            break;
    }
    children_end(b, cut ? 0 : per * count, o, o->pretty, depth);
    return true;
}

static void ptr_child(cd_ectx *x, cd_type *pt, uint64_t p, const cd_fmtopt *o, int depth, cd_buf *b)
{
    cd_buf_puts(b, "{");
    if (o->pretty)
        indent(b, depth + 1);
    cd_buf_printf(b, "get() = 0x%llx", (unsigned long long)p);
    (void)pt;
    cd_buf sym = {0};
    cd_addr_symbol(x, p, &sym);
    if (sym.len)
        cd_buf_printf(b, " %s", cd_buf_str(&sym));
    cd_buf_free(&sym);
    children_end(b, 1, o, o->pretty, depth);
}

static bool stl_unique(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    /* the pointer is a tuple's _M_head_impl: in __uniq_ptr_impl's _M_t since gcc 7, _M_t before */
    static const char *const tp[] = {"_M_t", "_M_t"};
    cd_type *arg = template_arg(x, s, 0), *tt;
    cd_member m;
    uint64_t p, to;
    if (!arg || !(member_at(x, s, tp, 2, &to, &tt) || member_at(x, s, tp, 1, &to, &tt)) ||
        !find_typed(x, tt, "_M_head_impl", TY_PTR, &m, 0) || !read_u64(x, v, to + m.offset, &p))
        return false;
    tmpl_name(x, "std::unique_ptr", arg, b);
    cd_buf_puts(b, " = ");
    ptr_child(x, m.type, p, o, depth, b);
    return true;
}

static bool stl_shared(cd_ectx *x, const cd_value *v, cd_type *s, bool weak, const cd_fmtopt *o, int depth,
                       cd_buf *b)
{
    static const char *const pp[] = {"_M_ptr"}, *const cp[] = {"_M_refcount", "_M_pi"};
    cd_type *arg = template_arg(x, s, 0), *pt, *ct;
    uint64_t po, co, p, pi;
    if (!arg || !member_at(x, s, pp, 1, &po, &pt) || !member_at(x, s, cp, 2, &co, &ct) || !cd_type_pointee(pt) ||
        !cd_type_pointee(ct) || !read_u64(x, v, po, &p) || !read_u64(x, v, co, &pi))
        return false;
    cd_buf st = {0};
    if (!pi)
        cd_buf_puts(&st, "empty");
    else {
        cd_member mu, mw;
        int32_t use, wk;
        cd_type *base = cd_type_pointee(ct);
        if (!cd_type_find_member(x->vs, base, "_M_use_count", &mu, x->ar) ||
            !cd_type_find_member(x->vs, base, "_M_weak_count", &mw, x->ar) || cd_type_size(mu.type) != 4 ||
            !read_mem(x, pi + mu.offset, &use, 4) || !read_mem(x, pi + mw.offset, &wk, 4)) {
            cd_buf_free(&st);
            return false;
        }
        if (use == 0)
            cd_buf_printf(&st, "expired, weak count %d", wk);
        else
            cd_buf_printf(&st, "use count %d, weak count %d", use, wk - 1);
    }
    tmpl_name(x, weak ? "std::weak_ptr" : "std::shared_ptr", arg, b);
    cd_buf_printf(b, " (%s) = ", cd_buf_str(&st));
    cd_buf_free(&st);
    ptr_child(x, pt, p, o, depth, b);
    return true;
}

static bool stl_atomic(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    cd_type *arg = template_arg(x, s, 0), *as = cd_type_strip(arg);
    if (!as || !cd_type_is_arith(as) || as->kind == TY_BOOL)
        return false; /* the printer reads other members for pointers and bool: raw here */
    cd_member m;
    if (!cd_type_find_member(x->vs, s, as->kind == TY_FLOAT ? "_M_fp" : "_M_i", &m, x->ar) || m.bitsize ||
        cd_type_size(m.type) != cd_type_size(arg))
        return false;
    tmpl_name(x, "std::atomic", arg, b);
    cd_buf_puts(b, " = { ");
    cd_value mv = cd_value_sub(v, m.type, m.offset);
    fmt(x, &mv, o, false, depth + 1, b);
    cd_buf_puts(b, " }");
    return true;
}

static bool stl_optional(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    static const char *const ep[] = {"_M_payload", "_M_engaged"}, *const vp[] = {"_M_payload", "_M_payload", "_M_value"};
    cd_type *arg = template_arg(x, s, 0), *et, *vt;
    uint64_t eo, vo;
    uint8_t engaged;
    if (!arg || !member_at(x, s, ep, 2, &eo, &et) || !member_at(x, s, vp, 3, &vo, &vt) ||
        cd_type_strip(et)->kind != TY_BOOL || cd_value_read(x, v, eo, &engaged, 1) != 0)
        return false;
    cd_type *as = cd_type_strip(arg);
    stl_kind ak = as && as->cxx && as->kind == TY_STRUCT ? stl_classify(cd_type_qname(x->vs, as)) : STL_NONE;
    if (ak != STL_NONE && ak != STL_STRING)
        return false; /* gdb says "containing" a container's text: not done here, raw instead */
    cd_buf_puts(b, "std::optional<");
    if (ak == STL_STRING)
        cd_buf_puts(b, "std::string"); /* the name gdb's type printers give it */
    else
        cd_type_name(x->vs, arg, b);
    cd_buf_puts(b, ">");
    if (!engaged) {
        cd_buf_puts(b, " [no contained value]");
        return true;
    }
    cd_buf_puts(b, " = {");
    if (o->pretty)
        indent(b, depth + 1);
    cd_buf_puts(b, "[contained value] = ");
    cd_value cv = cd_value_sub(v, vt, vo);
    fmt(x, &cv, o, false, depth + 1, b);
    children_end(b, 1, o, o->pretty, depth);
    return true;
}

/* The thread that owns a lock whose owner word holds TID: its number as `threads` shows it and its
 * host TID; a process in its own PID namespace (a container) stores the TIDs it sees there, which
 * NSpid maps. false: no thread of the process has it (it exited holding the lock). */
static bool owner_thread(cd_ectx *x, pid_t tid, size_t *num, pid_t *host)
{
    cd_target *t = x->t;
    for (size_t i = 0; t && i < t->nthreads; i++)
        if (t->threads[i]->tid == tid) {
            *num = i + 1;
            *host = tid;
            return true;
        }
    for (size_t i = 0; t && t->caps.has_proc && i < t->nthreads; i++)
        if (cd_procfs_read_ns_tid(t->pid, t->threads[i]->tid) == tid) {
            *num = i + 1;
            *host = t->threads[i]->tid;
            return true;
        }
    return false;
}

/* std::mutex and its kin: no gdb printer exists, so this one says what a user asks of a lock,
 * whether it is held and by which thread (glibc's __owner is the owner's TID), and a recursive
 * mutex's count; print/r shows the pthread_mutex_t. */
static bool stl_mutex(cd_ectx *x, const cd_value *v, cd_type *s, cd_buf *b)
{
    static const char *const lp[] = {"_M_mutex", "__data", "__lock"}, *const op[] = {"_M_mutex", "__data", "__owner"},
                      *const cp[] = {"_M_mutex", "__data", "__count"};
    uint64_t lo, oo, co;
    cd_type *lt, *ot, *ct;
    int32_t lock, owner;
    uint32_t count;
    if (!member_at(x, s, lp, 3, &lo, &lt) || !member_at(x, s, op, 3, &oo, &ot) || !member_at(x, s, cp, 3, &co, &ct) ||
        cd_type_size(lt) != 4 || cd_type_size(ot) != 4 || cd_type_size(ct) != 4 ||
        cd_value_read(x, v, lo, &lock, 4) != 0 || cd_value_read(x, v, oo, &owner, 4) != 0 ||
        cd_value_read(x, v, co, &count, 4) != 0)
        return false;
    const char *q = cd_type_qname(x->vs, s);
    bool recursive = strstr(q, "recursive") != NULL;
    cd_buf_printf(b, "%s (", q);
    if (!lock && !owner) {
        cd_buf_puts(b, "unlocked)");
        return true;
    }
    size_t num;
    pid_t host;
    if (owner <= 0)
        cd_buf_puts(b, "locked, owner unknown");
    else if (!owner_thread(x, owner, &num, &host))
        cd_buf_printf(b, "locked by LWP %d, which is not a thread of the process", (int)owner);
    else if (host != owner)
        cd_buf_printf(b, "locked by thread %zu, LWP %d (%d in its PID namespace)", num, (int)host, (int)owner);
    else
        cd_buf_printf(b, "locked by thread %zu, LWP %d", num, (int)host);
    if (recursive)
        cd_buf_printf(b, ", count %u", count);
    cd_buf_puts(b, ")");
    return true;
}

/* The libstdc++ printers gdb loads from /usr/share/gcc/python, for the types they cover; false:
 * not one of them, or not the layout they expect (print the object raw). */
static bool stl_print(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    if (v->where != V_MEM && v->where != V_BYTES)
        return false;
    size_t mark = b->len;
    bool ok;
    switch (stl_classify(cd_type_qname(x->vs, s))) {
    case STL_STRING: ok = std_string(x, v, s, o, b); break;
    case STL_VECTOR: ok = stl_vector(x, v, s, o, depth, b); break;
    case STL_MAP: ok = stl_rbtree(x, v, s, true, o, depth, b); break;
    case STL_SET: ok = stl_rbtree(x, v, s, false, o, depth, b); break;
    case STL_UMAP: ok = stl_hashtable(x, v, s, true, o, depth, b); break;
    case STL_USET: ok = stl_hashtable(x, v, s, false, o, depth, b); break;
    case STL_UNIQUE: ok = stl_unique(x, v, s, o, depth, b); break;
    case STL_SHARED: ok = stl_shared(x, v, s, false, o, depth, b); break;
    case STL_WEAK: ok = stl_shared(x, v, s, true, o, depth, b); break;
    case STL_ATOMIC: ok = stl_atomic(x, v, s, o, depth, b); break;
    case STL_OPTIONAL: ok = stl_optional(x, v, s, o, depth, b); break;
    case STL_MUTEX: ok = stl_mutex(x, v, s, b); break;
    default: ok = false; break;
    }
    if (!ok) { /* nothing half-printed */
        b->len = mark;
        if (b->s)
            b->s[mark] = 0;
    }
    return ok;
}

/* A static data member's value: its definition (named Class::member) or the declaration's
 * constant; optimized out when the program has neither (an unused constexpr). */
static void static_member(cd_ectx *x, cd_type *cls, Dwarf_Die *decl, const cd_fmtopt *o, int depth, cd_buf *b)
{
    const char *q = cd_type_qname(x->vs, cls), *n = dwarf_diename(decl);
    cd_err e, *save = x->err;
    x->err = &e;
    cd_value sv;
    int r = -1;
    if (q && n) {
        cd_buf qn = {0};
        cd_buf_printf(&qn, "%s::%s", q, n);
        r = cd_lookup_ident(x, cd_arena_strdup(x->ar, cd_buf_str(&qn)), &sv);
        cd_buf_free(&qn);
    }
    if (r != 0 && dwarf_hasattr(decl, DW_AT_const_value)) {
        cd_type *t = cd_type_of_die(x->vs, decl);
        Dwfl_Module *mod = x->frame ? x->frame->info.mod : NULL;
        r = t && mod ? cd_loc_value(x, mod, decl, t, &sv) : -1;
    }
    x->err = save;
    if (r != 0) {
        cd_buf_puts(b, "<optimized out>");
        return;
    }
    /* a static member of the class's own type would print the class forever */
    if (cd_type_strip(sv.type) == cls) {
        cd_buf_puts(b, "<same as static member of an already seen type>");
        return;
    }
    fmt(x, &sv, o, false, depth + 1, b);
}

/* The virtual bases an object's printing has shown: gdb shows each one once, in the first base
 * that has it (a diamond's shared base inside its left side), and leaves it out of the others. */
typedef struct vbseen {
    const char *name[32];
    int n;
} vbseen;

/* A virtual base is shown once, in the first base that has it (as gdb does): true the first time
 * NAME is seen, and it is remembered. */
static bool vbase_first(vbseen *seen, const char *name)
{
    for (int i = 0; i < seen->n; i++)
        if (!strcmp(seen->name[i], name))
            return false;
    if (seen->n < (int)(sizeof seen->name / sizeof seen->name[0]))
        seen->name[seen->n++] = name;
    return true;
}

static void cxx_record(cd_ectx *x, const cd_value *v, cd_type *s, cd_member *m, int n, const cd_fmtopt *o, int depth,
                       cd_buf *b, vbseen *seen);

static int optout_state(const cd_value *v);

/* A base-class subobject: the object's printing, sharing the object's virtual bases seen. */
static void cxx_base(cd_ectx *x, const cd_value *v, cd_type *bt, const cd_fmtopt *o, int depth, cd_buf *b, vbseen *seen)
{
    cd_type *s = cd_type_strip(bt);
    if (!s || s->kind != TY_STRUCT || !s->cxx || !s->complete || depth >= o->max_depth ||
        (v->where != V_MEM && v->where != V_BYTES) || optout_state(v) == 2 ||
        (!o->raw && pretty_printed(x, s, o))) {
        fmt(x, v, o, false, depth, b);
        return;
    }
    cd_member *m;
    int n = cd_type_members(x->vs, s, &m, x->ar);
    cxx_record(x, v, s, m, n, o, depth, b, seen);
}

/* A C++ object as gdb prints it: base classes first (`<ns::Base> = {...}`), then the members in
 * declaration order, static ones too (`static count = 3`). */
static void cxx_record(cd_ectx *x, const cd_value *v, cd_type *s, cd_member *m, int n, const cd_fmtopt *o, int depth,
                       cd_buf *b, vbseen *seen)
{
    Dwarf_Die c;
    int mi = 0, nb = 0, nf = 0;
    cd_buf_puts(b, "{");
    if (dwarf_child(&s->die, &c) == 0)
        do {
            int tag = dwarf_tag(&c);
            Dwarf_Attribute a;
            if (tag == DW_TAG_inheritance) {
                Dwarf_Die bd;
                Dwarf_Word off = 0;
                if (!dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &a), &bd))
                    continue;
                cd_type *bt = cd_type_from_die(x->vs, &bd);
                const char *bn = cd_type_qname(x->vs, cd_type_strip(bt));
                bn = bn ? bn : "";
                bool virt = dwarf_attr(&c, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &off) != 0;
                if (virt && !vbase_first(seen, bn))
                    continue;
                /* gdb's cp_print_value: each base ends with ", " (pretty too: the line ends in a space) */
                if (nb++)
                    cd_buf_puts(b, ", ");
                if (o->pretty)
                    indent(b, depth + 1);
                cd_buf_printf(b, "<%s> = ", bn);
                if (virt && v->where != V_MEM) { /* held in registers: no vtable to read it from */
                    cd_buf_puts(b, "<invalid address>");
                    continue;
                }
                cd_value bv;
                cd_err e, *save = x->err;
                x->err = &e;
                int r = cd_value_base(x, v, &c, bt, &bv);
                x->err = save;
                if (r != 0) {
                    cd_buf_printf(b, "<error: %s>", e.msg);
                    continue;
                }
                cxx_base(x, &bv, bt, o, depth + 1, b, seen);
                continue;
            }
            if (tag != DW_TAG_member && tag != DW_TAG_variable)
                continue;
            bool is_static = tag == DW_TAG_variable || dwarf_hasattr(&c, DW_AT_declaration);
            if (!is_static && mi >= n)
                continue;
            if (is_static && !o->static_members)
                continue;
            const char *name = is_static ? dwarf_diename(&c) : m[mi].name;
            if (!o->pretty)
                cd_buf_puts(b, nb + nf ? ", " : "");
            else if (nf)
                cd_buf_puts(b, ",");
            else if (nb) { /* gdb's cp_print_value_fields, pretty: the members after the bases */
                cd_buf_puts(b, ", ");
                indent(b, depth + 1);
                cd_buf_printf(b, "members of %s:", cd_type_qname(x->vs, s));
            }
            nf++;
            if (o->pretty)
                indent(b, depth + 1);
            if (is_static) {
                cd_buf_printf(b, "static %s = ", name ? name : "");
                static_member(x, s, &c, o, depth, b);
                continue;
            }
            if (name)
                cd_buf_printf(b, "%s = ", name);
            cd_value mv = cd_value_sub(v, m[mi].type, m[mi].offset);
            mv.bitsize = m[mi].bitsize;
            mv.bitpos = m[mi].bitpos;
            mi++;
            fmt(x, &mv, o, false, depth + 1, b);
        } while (dwarf_siblingof(&c, &c) == 0);
    if (!nf)
        cd_buf_printf(b, "%s<No data fields>", nb ? ", " : "");
    else if (o->pretty)
        indent(b, depth);
    cd_buf_puts(b, "}");
}

static void record(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    /* gdb: print union off shows a union nested in anything as {...}, the printed value itself whole */
    if (depth >= o->max_depth || (s->kind == TY_UNION && depth > 0 && !o->unions)) {
        cd_buf_puts(b, "{...}");
        return;
    }
    if (!s->complete) {
        cd_type *full = s->name ? cd_lookup_type(x, s->kind == TY_UNION ? 'u' : 's', s->name) : NULL;
        if (!full || !full->complete) {
            cd_buf_puts(b, "<incomplete type>");
            return;
        }
        s = full;
    }
    if (s->cxx && !o->raw && stl_print(x, v, s, o, depth, b))
        return;
    cd_member *m;
    int n = cd_type_members(x->vs, s, &m, x->ar);
    if (s->cxx) {
        vbseen seen = {.n = 0};
        cxx_record(x, v, s, m, n, o, depth, b, &seen);
        return;
    }
    cd_buf_puts(b, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            cd_buf_puts(b, o->pretty ? "," : ", ");
        if (o->pretty)
            indent(b, depth + 1);
        if (m[i].name)
            cd_buf_printf(b, "%s = ", m[i].name);
        cd_value mv = cd_value_sub(v, m[i].type, m[i].offset);
        mv.bitsize = m[i].bitsize;
        mv.bitpos = m[i].bitpos;
        fmt(x, &mv, o, false, depth + 1, b);
    }
    if (o->pretty && n)
        indent(b, depth);
    cd_buf_puts(b, "}");
}

/* Bits of V's object that are optimized out (empty DWARF pieces): 0 none, 1 some, 2 all. gdb
 * prints such a member or scalar as <optimized out> and still prints the rest of an aggregate. */
static int optout_state(const cd_value *v)
{
    if (v->where != V_BYTES || !v->pieces)
        return 0;
    uint64_t size = cd_type_size(v->type);
    uint64_t lo = v->pbase * 8 + (v->bitsize ? (uint64_t)v->bitpos : 0);
    uint64_t n = v->bitsize ? (uint64_t)v->bitsize : size * 8, opt = 0;
    if (!n)
        return 0;
    for (int i = 0; i < v->npieces; i++) {
        const cd_vpiece *p = &v->pieces[i];
        if (p->kind != VP_OPT)
            continue;
        uint64_t a = p->bitoff > lo ? p->bitoff : lo, e = p->bitoff + p->bits < lo + n ? p->bitoff + p->bits : lo + n;
        if (e > a)
            opt += e - a;
    }
    return opt == 0 ? 0 : opt >= n ? 2 : 1;
}

static void fmt(cd_ectx *x, const cd_value *v, const cd_fmtopt *o, bool top, int depth, cd_buf *b)
{
    switch (v->where) {
    case V_OPTOUT: cd_buf_puts(b, "<optimized out>"); return;
    case V_UNAVAIL: cd_buf_puts(b, "<unavailable>"); return;
    case V_ERROR: cd_buf_printf(b, "<error: %s>", v->errmsg); return;
    default: break;
    }
    cd_type *s = cd_type_strip(v->type);
    if (!s) {
        cd_buf_puts(b, "void");
        return;
    }
    int opt = optout_state(v);
    if (opt == 2 || (opt == 1 && s->kind != TY_STRUCT && s->kind != TY_UNION && s->kind != TY_ARRAY)) {
        cd_buf_puts(b, "<optimized out>");
        return;
    }
    if (s->kind == TY_PTR && s->ref && !o->fmt) {
        /* gdb: a reference at the top is `(int &) @0x...: 5`, a member of an object `@0x...` */
        __int128 a;
        cd_err e, *save = x->err;
        x->err = &e;
        int r = cd_value_int(x, v, &a);
        x->err = save;
        if (r != 0) {
            cd_buf_printf(b, "<error: %s>", e.msg);
            return;
        }
        cd_value rv = {.type = s->target, .where = V_MEM, .addr = (uint64_t)a, .lval = true, .regno = -1};
        if (pretty_printed(x, cd_type_strip(s->target), o)) { /* gdb: the printer's text alone */
            size_t mark = b->len;
            fmt(x, &rv, o, false, depth + 1, b);
            if (b->len > mark && b->s[mark] != '{') /* the printer took it; else gdb's usual form */
                return;
            b->len = mark;
            b->s[mark] = 0;
        }
        if (top) {
            cd_buf_puts(b, "(");
            cd_type_name(x->vs, v->type, b);
            cd_buf_puts(b, ") ");
        }
        if (o->address) /* gdb: print address off leaves the referent alone */
            cd_buf_printf(b, "@0x%llx%s", (unsigned long long)a, depth == 0 ? ": " : "");
        if (depth == 0)
            fmt(x, &rv, o, false, depth + 1, b);
        return;
    }
    if (s->complex && s->target) { /* gdb: `1 + -2i` */
        cd_value re = cd_value_sub(v, s->target, 0), im = cd_value_sub(v, s->target, s->size / 2);
        fmt(x, &re, o, false, depth + 1, b);
        cd_buf_puts(b, " + ");
        fmt(x, &im, o, false, depth + 1, b);
        cd_buf_puts(b, "i");
        return;
    }
    switch (s->kind) {
    case TY_VOID: cd_buf_puts(b, "void"); return;
    case TY_ARRAY: array(x, v, s, o, depth, b); return;
    case TY_STRUCT:
    case TY_UNION: record(x, v, s, o, depth, b); return;
    case TY_FUNC:
        cd_buf_puts(b, "{");
        cd_type_name(x->vs, v->type, b);
        cd_buf_puts(b, "}");
        if (o->address)
            cd_buf_printf(b, " 0x%llx", (unsigned long long)v->addr);
        {
            cd_buf sym = {0};
            cd_addr_symbol(x, v->addr, &sym);
            if (sym.len)
                cd_buf_printf(b, " %s", cd_buf_str(&sym));
            cd_buf_free(&sym);
        }
        return;
    default: scalar(x, v, s, o, top, b); return;
    }
}

void cd_format_value(cd_ectx *x, const cd_value *v, const cd_fmtopt *o, bool top, cd_buf *b)
{
    fmt(x, v, o, top, 0, b);
}

/* ---------- JSON ---------- */
static json_object *jint(__int128 v, bool sgn)
{
    if (sgn && v >= INT64_MIN && v <= INT64_MAX)
        return json_object_new_int64((int64_t)v);
    if (!sgn && (unsigned __int128)v <= UINT64_MAX)
        return json_object_new_uint64((uint64_t)v);
    if (sgn && v >= 0 && (unsigned __int128)v <= UINT64_MAX)
        return json_object_new_uint64((uint64_t)v);
    /* 128-bit values beyond 64 bits: exact decimal text (JSON parsers lose them as numbers). */
    char num[64];
    i128_dec(v, sgn, num);
    return json_object_new_string(num);
}

static json_object *jerr(const char *key, const char *msg)
{
    json_object *o = json_object_new_object();
    if (msg)
        json_object_object_add(o, key, json_object_new_string(msg));
    else
        json_object_object_add(o, key, json_object_new_boolean(1));
    return o;
}

/* Bytes as a JSON string: 0x80-0xff become U+0080-U+00FF (Latin-1), so any byte string is valid UTF-8. */
static json_object *jbytes(const uint8_t *s, size_t n)
{
    cd_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x80) {
            char c = (char)s[i];
            cd_buf_append(&b, &c, 1);
        } else {
            char u[2] = {(char)(0xc0 | (s[i] >> 6)), (char)(0x80 | (s[i] & 0x3f))};
            cd_buf_append(&b, u, 2);
        }
    }
    json_object *o = json_object_new_string_len(cd_buf_str(&b), (int)b.len);
    cd_buf_free(&b);
    return o;
}

static json_object *jval(cd_ectx *x, const cd_value *v, const cd_fmtopt *o, int depth);

static void jrecord_into(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, json_object *obj,
                         vbseen *seen);

/* C++ base classes as the text shows them: one key per base, "<ns::Base>", before the members,
 * holding the base's object (its own bases nested the same way); a virtual base once, where the
 * text shows it. */
static void jbases_into(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, json_object *obj,
                        vbseen *seen)
{
    Dwarf_Die c;
    if (!s->cxx || !s->has_die || dwarf_child(&s->die, &c) != 0)
        return;
    do {
        Dwarf_Attribute a;
        Dwarf_Die bd;
        Dwarf_Word off;
        if (dwarf_tag(&c) != DW_TAG_inheritance || !dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &a), &bd))
            continue;
        cd_type *bt = cd_type_from_die(x->vs, &bd), *bs = cd_type_strip(bt);
        const char *bn = cd_type_qname(x->vs, bs);
        bn = bn ? bn : "";
        bool virt = dwarf_attr(&c, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &off) != 0;
        if (virt && !vbase_first(seen, bn))
            continue;
        cd_buf key = {0};
        cd_buf_printf(&key, "<%s>", bn);
        json_object *jb;
        cd_value bv;
        cd_err e, *save = x->err;
        x->err = &e;
        if (virt && v->where != V_MEM)
            jb = jerr("error", "invalid address");
        else if (cd_value_base(x, v, &c, bt, &bv) != 0)
            jb = jerr("error", e.msg);
        else if (!bs || bs->kind != TY_STRUCT || !bs->complete || depth + 1 >= o->max_depth || optout_state(&bv) == 2 ||
                 pretty_printed(x, bs, o))
            jb = jval(x, &bv, o, depth + 1);
        else {
            jb = json_object_new_object();
            jrecord_into(x, &bv, bs, o, depth + 1, jb, seen);
        }
        x->err = save;
        json_object_object_add(obj, cd_buf_str(&key), jb);
        cd_buf_free(&key);
    } while (dwarf_siblingof(&c, &c) == 0);
}

static void jrecord_into(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, json_object *obj,
                         vbseen *seen)
{
    jbases_into(x, v, s, o, depth, obj, seen);
    cd_member *m;
    int n = cd_type_members(x->vs, s, &m, x->ar);
    for (int i = 0; i < n; i++) {
        cd_value mv = cd_value_sub(v, m[i].type, m[i].offset);
        mv.bitsize = m[i].bitsize;
        mv.bitpos = m[i].bitpos;
        cd_type *ms = cd_type_strip(m[i].type);
        if (!m[i].name && (ms->kind == TY_STRUCT || ms->kind == TY_UNION) && v->where != V_ERROR) {
            /* Anonymous members' fields are accessed as the parent's: flatten them. */
            vbseen fresh = {.n = 0};
            jrecord_into(x, &mv, ms, o, depth + 1, obj, &fresh);
            continue;
        }
        json_object_object_add(obj, m[i].name ? m[i].name : "", jval(x, &mv, o, depth + 1));
    }
}

static json_object *jval(cd_ectx *x, const cd_value *v, const cd_fmtopt *o, int depth)
{
    switch (v->where) {
    case V_OPTOUT: return jerr("optimized_out", NULL);
    case V_UNAVAIL: return jerr("unavailable", NULL);
    case V_ERROR: return jerr("error", v->errmsg);
    default: break;
    }
    cd_type *s = cd_type_strip(v->type);
    if (!s || s->kind == TY_VOID)
        return NULL;
    int opt = optout_state(v);
    if (opt == 2 || (opt == 1 && s->kind != TY_STRUCT && s->kind != TY_UNION && s->kind != TY_ARRAY))
        return jerr("optimized_out", NULL);
    if (s->kind == TY_PTR && s->ref && depth < o->max_depth) {
        /* a reference is its referent's value, as C++ uses it */
        __int128 a;
        cd_err re, *rsave = x->err;
        x->err = &re;
        int r = cd_value_int(x, v, &a);
        x->err = rsave;
        if (r != 0)
            return jerr("error", re.msg);
        cd_value rv = {.type = s->target, .where = V_MEM, .addr = (uint64_t)a, .lval = true, .regno = -1};
        return jval(x, &rv, o, depth + 1);
    }
    cd_err e;
    cd_err *save = x->err;
    x->err = &e;
    json_object *r = NULL;
    switch (s->kind) {
    case TY_ARRAY: {
        int64_t count = s->count < 0 ? 0 : s->count;
        uint64_t es = cd_type_size(s->target);
        if (cd_type_is_charlike(s->target) && (o->fmt == 0 || o->fmt == 's')) {
            int64_t n = count < str_limit(o) ? count : str_limit(o);
            uint8_t *buf = cd_arena_alloc(x->ar, (size_t)n + 1);
            if (n && cd_value_read(x, v, 0, buf, (size_t)n) != 0) {
                r = jerr("error", e.msg);
                break;
            }
            size_t len = 0;
            while ((int64_t)len < n && buf[len])
                len++;
            r = jbytes(buf, len);
            break;
        }
        if (o->fmt == 0 && (es == 2 || es == 4) && wide_prefix(s->target)) {
            /* a wide string, as UTF-8 up to its first NUL */
            int64_t n = count < str_limit(o) ? count : str_limit(o);
            cd_buf wb = {0};
            for (int64_t i = 0; i < n; i++) {
                uint32_t c = 0;
                if (cd_value_read(x, v, (uint64_t)i * es, &c, es) != 0 || !c)
                    break;
                if (c < 0x80)
                    cd_buf_printf(&wb, "%c", (char)c);
                else
                    wide_lit(c, &wb, 0);
            }
            r = json_object_new_string(cd_buf_str(&wb));
            cd_buf_free(&wb);
            break;
        }
        if (depth >= o->max_depth) {
            r = json_object_new_string("{...}");
            break;
        }
        r = json_object_new_array();
        int64_t lim = count < o->max_array ? count : o->max_array;
        for (int64_t i = 0; i < lim; i++) {
            cd_value ev = cd_value_sub(v, s->target, (uint64_t)i * es);
            json_object_array_add(r, jval(x, &ev, o, depth + 1));
        }
        break;
    }
    case TY_STRUCT:
    case TY_UNION: {
        if (s->complex) { /* the text form: JSON has no complex numbers */
            cd_buf t = {0};
            fmt(x, v, o, false, depth, &t);
            r = json_object_new_string(cd_buf_str(&t));
            cd_buf_free(&t);
            break;
        }
        if (depth >= o->max_depth) {
            r = json_object_new_string("{...}");
            break;
        }
        if (!s->complete) {
            cd_type *full = s->name ? cd_lookup_type(x, s->kind == TY_UNION ? 'u' : 's', s->name) : NULL;
            if (!full || !full->complete) {
                r = jerr("error", "incomplete type");
                break;
            }
            s = full;
        }
        r = json_object_new_object();
        vbseen seen = {.n = 0};
        jrecord_into(x, v, s, o, depth, r, &seen);
        break;
    }
    case TY_FUNC:
        r = cd_json_hex(v->addr);
        break;
    case TY_PTR: {
        __int128 iv;
        if (cd_value_int(x, v, &iv) != 0) {
            r = jerr("error", e.msg);
            break;
        }
        r = cd_json_hex((uint64_t)iv);
        break;
    }
    case TY_FLOAT: {
        long double d;
        if (cd_value_float(x, v, &d) != 0) {
            r = jerr("error", e.msg);
            break;
        }
        char num[64];
        float_shortest(d, s->size, num, sizeof num);
        if (isnan(d) || isinf(d))
            r = json_object_new_string(num);
        else
            r = json_object_new_double_s((double)d, num);
        break;
    }
    default: {
        __int128 iv;
        if (cd_value_int(x, v, &iv) != 0) {
            r = jerr("error", e.msg);
            break;
        }
        if (o->fmt == 'x' || o->fmt == 'a') {
            unsigned bits = (unsigned)s->size * 8; /* bitfields as their declared type, as in text */
            unsigned __int128 u = (unsigned __int128)iv;
            if (bits < 128)
                u &= ((unsigned __int128)1 << bits) - 1;
            if (u > UINT64_MAX) { /* __int128: the full value, not its low half */
                cd_buf hb = {0};
                cd_buf_puts(&hb, "0x");
                radix(u, 16, &hb);
                r = json_object_new_string(cd_buf_str(&hb));
                cd_buf_free(&hb);
            } else
                r = cd_json_hex((uint64_t)u);
            break;
        }
        if (s->kind == TY_BOOL && (iv == 0 || iv == 1)) {
            r = json_object_new_boolean((int)iv);
            break;
        }
        if (s->kind == TY_ENUM) {
            cd_buf nb = {0};
            if (enum_name(x->vs, s, iv, false, &nb)) {
                r = json_object_new_string(cd_buf_str(&nb));
                cd_buf_free(&nb);
                break;
            }
            cd_buf_free(&nb);
        }
        r = jint(iv, s->is_signed);
        break;
    }
    }
    x->err = save;
    return r;
}

json_object *cd_value_json(cd_ectx *x, const cd_value *v, const cd_fmtopt *o) { return jval(x, v, o, 0); }
