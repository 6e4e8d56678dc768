/* Rendering values: text in C conventions (gdb-compatible where gdb is right) and JSON.
 * Every read is bounded by max-array / max-string and every nesting by max-depth, so corrupted
 * memory or a cyclic list cannot make printing unbounded. */
#include "expr/expr_int.h"
#include "output/output.h"

#include <dwarf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPEAT_THRESHOLD 10

void cd_fmtopt_init(cd_fmtopt *o, const cd_scope *sc, char fmt)
{
    o->raw = fmt == 'r'; /* print/r: no library printer, otherwise the natural format */
    o->fmt = fmt == 'r' ? 0 : fmt;
    o->max_array = sc && sc->max_array > 0 ? sc->max_array : 200;
    o->max_string = sc && sc->max_string > 0 ? sc->max_string : 200;
    o->max_depth = 20;
}

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

/* Shortest text that reads back to the same value. */
static void float_str(long double f, uint64_t size, char *out, size_t n)
{
    if (isnan(f)) {
        snprintf(out, n, "%snan", signbit(f) ? "-" : "");
        return;
    }
    if (isinf(f)) {
        snprintf(out, n, "%sinf", f < 0 ? "-" : "");
        return;
    }
    int maxp = size == 4 ? 9 : size == 8 ? 17 : 21, p;
    for (p = 1; p <= maxp; p++) {
        if (size == 4) {
            snprintf(out, n, "%.*g", p, (double)(float)f);
            if (strtof(out, NULL) == (float)f)
                break;
        } else if (size == 8) {
            snprintf(out, n, "%.*g", p, (double)f);
            if (strtod(out, NULL) == (double)f)
                break;
        } else {
            snprintf(out, n, "%.*Lg", p, f);
            if (strtold(out, NULL) == f)
                break;
        }
    }
    /* %g switches to an exponent once it exceeds the precision: 1500 is "1.5e+03" at 2 digits.
     * Like gdb (%g at full precision), keep plain notation while the value has fewer integer
     * digits than the type's full precision. */
    const char *e = strchr(out, 'e');
    int ex = e ? atoi(e + 1) : 0;
    if (e && ex > 0 && ex < maxp) {
        if (size == 4)
            snprintf(out, n, "%.*g", ex + 1, (double)(float)f);
        else if (size == 8)
            snprintf(out, n, "%.*g", ex + 1, (double)f);
        else
            snprintf(out, n, "%.*Lg", ex + 1, f);
    }
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
        if (top && f == 0 && tt && !cd_type_is_charlike(tt)) {
            cd_buf_puts(b, "(");
            cd_type_name(x->vs, v->type, b);
            cd_buf_puts(b, ") ");
        }
        cd_buf_printf(b, "0x%llx", (unsigned long long)a);
        if (tt && cd_type_is_charlike(tt) && f != 'a' && a) {
            uint8_t *buf = cd_arena_alloc(x->ar, (size_t)o->max_string + 1);
            bool more;
            int n = read_cstr(x, a, o->max_string, buf, &more);
            if (n < 0)
                cd_buf_printf(b, " <error: cannot access memory at 0x%llx>", (unsigned long long)a);
            else {
                cd_buf_puts(b, " ");
                quoted(buf, (size_t)n, more, b);
            }
        } else if (a) {
            cd_buf sym = {0};
            cd_addr_symbol(x, a, &sym);
            if (sym.len)
                cd_buf_printf(b, " %s", cd_buf_str(&sym));
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
        int64_t n = count < o->max_string ? count : o->max_string;
        uint8_t *buf = cd_arena_alloc(x->ar, (size_t)n + 1);
        if (n && cd_value_read(x, v, 0, buf, (size_t)n) != 0) {
            cd_buf_printf(b, "<error: %s>", e.msg);
            x->err = save;
            return;
        }
        int64_t len = 0;
        while (len < n && buf[len])
            len++;
        int64_t end = len;
        bool rest_zero = true;
        for (int64_t i = len; i < n; i++)
            if (buf[i]) {
                rest_zero = false;
                break;
            }
        if (!rest_zero) { /* embedded NULs: show everything up to trailing zeros */
            end = n;
            while (end > 0 && !buf[end - 1])
                end--;
        }
        quoted(buf, (size_t)end, count > o->max_string && (end == n), b);
        x->err = save;
        return;
    }
    if (depth >= o->max_depth) {
        cd_buf_puts(b, "{...}");
        x->err = save;
        return;
    }
    int64_t lim = count < o->max_array ? count : o->max_array;
    cd_buf_puts(b, "{");
    uint8_t *prev = NULL, *cur = NULL;
    bool cmp = es > 0 && es <= 64 && !(v->where != V_MEM && v->where != V_BYTES);
    if (cmp) {
        prev = cd_arena_alloc(x->ar, es);
        cur = cd_arena_alloc(x->ar, es);
    }
    int64_t i = 0;
    int printed = 0;
    while (i < lim) {
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
        if (printed++)
            cd_buf_puts(b, ", ");
        fmt(x, &ev, o, false, depth + 1, b);
        if (run >= REPEAT_THRESHOLD) {
            cd_buf_printf(b, " <repeats %lld times>", (long long)run);
            i += run;
        } else
            i++;
    }
    if (lim < count && i < count)
        cd_buf_puts(b, "...");
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
    uint64_t want = n < (uint64_t)o->max_string ? n : (uint64_t)o->max_string;
    uint8_t *buf = cd_arena_alloc(x->ar, want + 1);
    if (want && (!x->t || cd_target_read(x->t, addr, buf, want) != (ssize_t)want)) {
        cd_buf_printf(b, "<error: cannot access memory at 0x%llx>", (unsigned long long)addr);
        return true;
    }
    quoted(buf, want, want < n, b);
    return true;
}

/* Whether a value of type S is printed by one of the library printers above (print/r: never). */
static bool pretty_printed(cd_ectx *x, cd_type *s, const cd_fmtopt *o)
{
    if (o->raw || !s || !s->cxx || s->kind != TY_STRUCT)
        return false;
    const char *q = cd_type_qname(x->vs, s);
    return q && (!strncmp(q, "std::__cxx11::basic_string<char,", 32) || !strncmp(q, "std::basic_string<char,", 23));
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

/* A C++ object as gdb prints it: base classes first (`<ns::Base> = {...}`), then the members in
 * declaration order, static ones too (`static count = 3`). */
static void cxx_record(cd_ectx *x, const cd_value *v, cd_type *s, cd_member *m, int n, const cd_fmtopt *o, int depth,
                       cd_buf *b)
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
                cd_buf_printf(b, "%s<%s> = ", nb++ ? ", " : "", bn ? bn : "");
                if (dwarf_attr(&c, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &off) != 0) {
                    cd_buf_puts(b, "<virtual base>"); /* its offset is in the object's vtable */
                    continue;
                }
                cd_value bv = cd_value_sub(v, bt, off);
                fmt(x, &bv, o, false, depth + 1, b);
                continue;
            }
            if (tag != DW_TAG_member && tag != DW_TAG_variable)
                continue;
            bool is_static = tag == DW_TAG_variable || dwarf_hasattr(&c, DW_AT_declaration);
            if (!is_static && mi >= n)
                continue;
            const char *name = is_static ? dwarf_diename(&c) : m[mi].name;
            cd_buf_puts(b, nb + nf++ ? ", " : "");
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
    cd_buf_puts(b, "}");
}

static void record(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, cd_buf *b)
{
    if (depth >= o->max_depth) {
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
    if (s->cxx && !o->raw && std_string(x, v, s, o, b))
        return;
    cd_member *m;
    int n = cd_type_members(x->vs, s, &m, x->ar);
    if (s->cxx) {
        cxx_record(x, v, s, m, n, o, depth, b);
        return;
    }
    cd_buf_puts(b, "{");
    for (int i = 0; i < n; i++) {
        if (i)
            cd_buf_puts(b, ", ");
        if (m[i].name)
            cd_buf_printf(b, "%s = ", m[i].name);
        cd_value mv = cd_value_sub(v, m[i].type, m[i].offset);
        mv.bitsize = m[i].bitsize;
        mv.bitpos = m[i].bitpos;
        fmt(x, &mv, o, false, depth + 1, b);
    }
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
            fmt(x, &rv, o, false, depth + 1, b);
            return;
        }
        if (top) {
            cd_buf_puts(b, "(");
            cd_type_name(x->vs, v->type, b);
            cd_buf_puts(b, ") ");
        }
        cd_buf_printf(b, "@0x%llx", (unsigned long long)a);
        if (depth == 0) {
            cd_buf_puts(b, ": ");
            fmt(x, &rv, o, false, depth + 1, b);
        }
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
        cd_buf_printf(b, "} 0x%llx", (unsigned long long)v->addr);
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

static void jrecord_into(cd_ectx *x, const cd_value *v, cd_type *s, const cd_fmtopt *o, int depth, json_object *obj)
{
    cd_member *m;
    int n = cd_type_members(x->vs, s, &m, x->ar);
    for (int i = 0; i < n; i++) {
        cd_value mv = cd_value_sub(v, m[i].type, m[i].offset);
        mv.bitsize = m[i].bitsize;
        mv.bitpos = m[i].bitpos;
        cd_type *ms = cd_type_strip(m[i].type);
        if (!m[i].name && (ms->kind == TY_STRUCT || ms->kind == TY_UNION) && v->where != V_ERROR) {
            /* Anonymous members' fields are accessed as the parent's: flatten them. */
            jrecord_into(x, &mv, ms, o, depth + 1, obj);
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
            int64_t n = count < o->max_string ? count : o->max_string;
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
        jrecord_into(x, v, s, o, depth, r);
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
        float_str(d, s->size, num, sizeof num);
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
