/* The evaluator: C11 semantics (6.3.1 conversions, 6.5 operators) over values that live in target
 * memory, in registers of the selected frame, or in local byte buffers. All integer arithmetic is
 * done in 128 bits and truncated to the result type, so every C integer type (incl. __int128)
 * behaves exactly. */
#include "expr/expr_int.h"
#include <dwarf.h>
#include <elf.h>

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- state ---------- */
cd_vstate *cd_vstate_new(void) { return cd_xcalloc(1, sizeof(cd_vstate)); }

void cd_vstate_reset_caches(cd_vstate *vs)
{
    /* Types point into the old DWARF; history values keep their bytes but lose their types,
     * so they go too (gdb would keep them; a new program makes them meaningless anyway). */
    cd_modidx_free_all(vs);
    free(vs->tc);
    vs->tc = NULL;
    vs->tc_cap = vs->tc_n = 0;
    free(vs->synth);
    vs->synth = NULL;
    vs->nsynth = 0;
    free(vs->hist);
    vs->hist = NULL;
    vs->nhist = vs->hist_cap = 0;
    for (size_t i = 0; i < vs->nconv; i++)
        free(vs->conv[i].name);
    free(vs->conv);
    vs->conv = NULL;
    vs->nconv = 0;
    cd_arena_free(&vs->types);
    cd_arena_free(&vs->persist);
}

void cd_vstate_free(cd_vstate *vs)
{
    if (!vs)
        return;
    cd_vstate_reset_caches(vs);
    for (size_t i = 0; i < vs->ndisp; i++)
        free(vs->disp[i].expr);
    free(vs->disp);
    free(vs);
}

void cd_vstate_use_symtab(cd_vstate *vs, const cd_symtab *sym)
{
    if (vs->symtab_key != (const void *)sym) {
        cd_vstate_reset_caches(vs);
        vs->symtab_key = sym;
    }
}

void cd_ectx_init(cd_ectx *x, const cd_scope *sc, cd_arena *ar, cd_err *err)
{
    memset(x, 0, sizeof *x);
    x->ar = ar;
    x->err = err;
    x->vs = sc->vs;
    x->sym = sc->sym;
    x->t = sc->target;
    x->th = sc->thread;
    x->frame = sc->frame;
    x->frames = sc->frames;
    x->nframes = sc->nframes;
    x->call = sc->call;
    x->call_arg = sc->call_arg;
    x->nocall = sc->nocall;
}

/* ---------- value primitives ---------- */
cd_value cd_value_error(cd_ectx *x, cd_type *t, const char *fmt, ...)
{
    cd_value v = {.type = t, .where = V_ERROR, .regno = -1};
    char m[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    v.errmsg = cd_arena_strdup(x->ar, m);
    return v;
}

int cd_value_read(cd_ectx *x, const cd_value *v, uint64_t off, void *buf, size_t len)
{
    switch (v->where) {
    case V_MEM:
        if (!x->t)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot access memory at 0x%llx: no process or core", (unsigned long long)(v->addr + off));
        if (cd_target_read_full(x->t, v->addr + off, buf, len) != 0) {
            /* Name the first unreadable byte, not the start of a large object. */
            uint64_t a = v->addr + off;
            uint8_t b;
            for (size_t i = 0; i < len && i < 8192; i++)
                if (cd_target_read(x->t, v->addr + off + i, &b, 1) != 1) {
                    a = v->addr + off + i;
                    break;
                }
            return cd_fail(x->err, CD_EXIT_CMD, "cannot access memory at 0x%llx", (unsigned long long)a);
        }
        return 0;
    case V_BYTES:
        memcpy(buf, v->bytes + off, len);
        return 0;
    case V_OPTOUT: return cd_fail(x->err, CD_EXIT_CMD, "value has been optimized out");
    case V_UNAVAIL: return cd_fail(x->err, CD_EXIT_CMD, "value is not available");
    default: return cd_fail(x->err, CD_EXIT_CMD, "%s", v->errmsg ? v->errmsg : "bad value");
    }
}

cd_value cd_value_sub(const cd_value *v, cd_type *type, uint64_t off)
{
    cd_value s = *v;
    s.type = type;
    s.bitsize = s.bitpos = 0;
    if (v->where == V_MEM)
        s.addr = v->addr + off;
    else if (v->where == V_BYTES)
        s.bytes = v->bytes + off;
    s.regno = -1;
    if (v->where == V_BYTES && v->pieces)
        s.pbase = v->pbase + off;
    s.lval = v->lval && (v->where == V_MEM || (v->where == V_BYTES && v->pieces));
    return s;
}

int cd_value_int(cd_ectx *x, const cd_value *v, __int128 *out)
{
    cd_type *t = cd_type_strip(v->type);
    uint64_t size = cd_type_size(t);
    if (t->kind == TY_FLOAT) {
        long double f;
        if (cd_value_float(x, v, &f) != 0)
            return -1;
        /* Converting inf, nan or an out-of-range float to an integer is undefined in C: refuse. */
        if (!(f > -1.7e38L && f < 1.7e38L))
            return cd_fail(x->err, CD_EXIT_CMD, "cannot convert %Lg to an integer: it is out of range", f);
        *out = (__int128)f;
        return 0;
    }
    if (v->bitsize) {
        size_t n = (size_t)(v->bitpos + v->bitsize + 7) / 8;
        uint8_t b[17] = {0};
        if (n > 16 || cd_value_read(x, v, 0, b, n) != 0)
            return n > 16 ? cd_fail(x->err, CD_EXIT_CMD, "bitfield too wide") : -1;
        unsigned __int128 u = 0;
        for (size_t i = 0; i < n; i++)
            u |= (unsigned __int128)b[i] << (8 * i);
        u >>= v->bitpos;
        unsigned __int128 mask = v->bitsize >= 128 ? ~(unsigned __int128)0 : (((unsigned __int128)1 << v->bitsize) - 1);
        u &= mask;
        if (t->is_signed && t->kind != TY_BOOL && v->bitsize < 128 && (u >> (v->bitsize - 1)) & 1)
            u |= ~mask;
        *out = (__int128)u;
        return 0;
    }
    if (size == 0 || size > 16)
        return cd_fail(x->err, CD_EXIT_CMD, "value is not a scalar");
    uint8_t b[16] = {0};
    if (cd_value_read(x, v, 0, b, size) != 0)
        return -1;
    unsigned __int128 u = 0;
    for (size_t i = 0; i < size; i++)
        u |= (unsigned __int128)b[i] << (8 * i);
    if (t->is_signed && size < 16 && (u >> (size * 8 - 1)) & 1)
        u |= ~(unsigned __int128)0 << (size * 8);
    *out = (__int128)u;
    return 0;
}

int cd_value_float(cd_ectx *x, const cd_value *v, long double *out)
{
    cd_type *t = cd_type_strip(v->type);
    if (t->kind != TY_FLOAT) {
        __int128 i;
        if (cd_value_int(x, v, &i) != 0)
            return -1;
        *out = t->is_signed ? (long double)i : (long double)(unsigned __int128)i;
        return 0;
    }
    uint8_t b[16] = {0};
    if (cd_value_read(x, v, 0, b, t->size > 16 ? 16 : t->size) != 0)
        return -1;
    if (t->size == 4) {
        float f;
        memcpy(&f, b, 4);
        *out = f;
    } else if (t->size == 8) {
        double d;
        memcpy(&d, b, 8);
        *out = d;
    } else if (t->size == 16 || t->size == 10 || t->size == 12) {
        long double d = 0;
        memcpy(&d, b, 10); /* x87 extended: 10 significant bytes, rest padding */
        *out = d;
    } else
        return cd_fail(x->err, CD_EXIT_CMD, "unsupported floating-point size %llu", (unsigned long long)t->size);
    return 0;
}

static cd_value bytes_value(cd_ectx *x, cd_type *t, size_t n)
{
    cd_value v = {.type = t, .where = V_BYTES, .regno = -1};
    v.bytes = cd_arena_alloc(x->ar, n + 16);
    return v;
}

cd_value cd_value_from_int(cd_ectx *x, cd_type *t, __int128 iv)
{
    cd_type *s = cd_type_strip(t);
    uint64_t size = cd_type_size(s);
    if (s->kind == TY_FLOAT)
        return cd_value_from_float(x, t, s->is_signed ? (long double)iv : (long double)iv);
    cd_value v = bytes_value(x, t, size);
    if (s->kind == TY_BOOL)
        iv = iv != 0;
    unsigned __int128 u = (unsigned __int128)iv;
    for (uint64_t i = 0; i < size && i < 16; i++)
        v.bytes[i] = (uint8_t)(u >> (8 * i));
    return v;
}

cd_value cd_value_from_float(cd_ectx *x, cd_type *t, long double f)
{
    cd_type *s = cd_type_strip(t);
    if (s->kind != TY_FLOAT) {
        __int128 i;
        if (s->is_signed || f < 0)
            i = (__int128)f;
        else
            i = (__int128)(unsigned __int128)f;
        return cd_value_from_int(x, t, i);
    }
    cd_value v = bytes_value(x, t, s->size);
    if (s->size == 4) {
        float ff = (float)f;
        memcpy(v.bytes, &ff, 4);
    } else if (s->size == 8) {
        double d = (double)f;
        memcpy(v.bytes, &d, 8);
    } else
        memcpy(v.bytes, &f, s->size < sizeof f ? s->size : sizeof f);
    return v;
}

/* ---------- type helpers ---------- */
static cd_type *ty_int(cd_ectx *x, uint64_t size, bool sgn)
{
    switch (size) {
    case 16: return cd_type_base(x->vs, TY_INT, 16, sgn, sgn ? "__int128" : "unsigned __int128");
    case 8: return cd_type_base(x->vs, TY_INT, 8, sgn, sgn ? "long" : "unsigned long");
    default: return cd_type_base(x->vs, TY_INT, 4, sgn, sgn ? "int" : "unsigned int");
    }
}

static cd_type *ty_float(cd_ectx *x, uint64_t size)
{
    if (size == 4)
        return cd_type_base(x->vs, TY_FLOAT, 4, true, "float");
    if (size == 8)
        return cd_type_base(x->vs, TY_FLOAT, 8, true, "double");
    return cd_type_base(x->vs, TY_FLOAT, 16, true, "long double");
}

static cd_type *ty_ulong(cd_ectx *x) { return ty_int(x, 8, false); }

/* 6.3.1.1 integer promotions. */
static cd_type *promote(cd_ectx *x, cd_type *t)
{
    cd_type *s = cd_type_strip(t);
    if (s->kind == TY_FLOAT)
        return t;
    if (s->kind == TY_BOOL || s->size < 4)
        return ty_int(x, 4, true);
    if (s->kind == TY_ENUM && s->enum_const)
        return ty_int(x, 4, true);
    if (s->kind == TY_ENUM)
        return ty_int(x, s->size, s->is_signed);
    return t;
}

/* 6.3.1.8 usual arithmetic conversions. */
static cd_type *common(cd_ectx *x, cd_type *a, cd_type *b)
{
    cd_type *sa = cd_type_strip(a), *sb = cd_type_strip(b);
    if (sa->kind == TY_FLOAT || sb->kind == TY_FLOAT) {
        uint64_t fa = sa->kind == TY_FLOAT ? sa->size : 0, fb = sb->kind == TY_FLOAT ? sb->size : 0;
        return fa >= fb ? a : b;
    }
    a = promote(x, a);
    b = promote(x, b);
    sa = cd_type_strip(a);
    sb = cd_type_strip(b);
    if (sa->is_signed == sb->is_signed)
        return sa->size >= sb->size ? a : b;
    cd_type *u = sa->is_signed ? b : a, *sg = sa->is_signed ? a : b;
    if (cd_type_strip(u)->size >= cd_type_strip(sg)->size)
        return u;
    return sg;
}

static void tname(cd_ectx *x, cd_type *t, char *out, size_t n)
{
    cd_buf b = {0};
    cd_type_name(x->vs, t, &b);
    snprintf(out, n, "%s", cd_buf_str(&b));
    cd_buf_free(&b);
}

/* Arrays decay to pointers, functions to function pointers (6.3.2.1). */
static int decay(cd_ectx *x, cd_value *v)
{
    cd_type *s = cd_type_strip(v->type);
    if (s->kind == TY_ARRAY) {
        if (v->where != V_MEM)
            return cd_fail(x->err, CD_EXIT_CMD, "array is not in memory; it has no address");
        *v = cd_value_from_int(x, cd_type_ptr(x->vs, s->target), v->addr);
    } else if (s->kind == TY_FUNC) {
        if (v->where != V_MEM)
            return cd_fail(x->err, CD_EXIT_CMD, "function has no address");
        *v = cd_value_from_int(x, cd_type_ptr(x->vs, v->type), v->addr);
    }
    return 0;
}

static int check_readable(cd_ectx *x, const cd_value *v)
{
    if (v->where == V_OPTOUT)
        return cd_fail(x->err, CD_EXIT_CMD, "value has been optimized out");
    if (v->where == V_UNAVAIL)
        return cd_fail(x->err, CD_EXIT_CMD, "value is not available");
    if (v->where == V_ERROR)
        return cd_fail(x->err, CD_EXIT_CMD, "%s", v->errmsg);
    return 0;
}

static int to_bool(cd_ectx *x, cd_value *v, bool *out)
{
    if (decay(x, v) != 0 || check_readable(x, v) != 0)
        return -1;
    cd_type *s = cd_type_strip(v->type);
    if (!cd_type_is_scalar(s)) {
        char n[256];
        tname(x, v->type, n, sizeof n);
        return cd_fail(x->err, CD_EXIT_CMD, "a value of type %s cannot be used as a condition", n);
    }
    if (s->kind == TY_FLOAT) {
        long double f;
        if (cd_value_float(x, v, &f) != 0)
            return -1;
        *out = f != 0;
        return 0;
    }
    __int128 i;
    if (cd_value_int(x, v, &i) != 0)
        return -1;
    *out = i != 0;
    return 0;
}

/* Converts a scalar to type T (6.3.1.2-6.3.1.4, pointers via integers). */
static int convert(cd_ectx *x, cd_value *v, cd_type *t, cd_value *out)
{
    if (decay(x, v) != 0 || check_readable(x, v) != 0)
        return -1;
    cd_type *ts = cd_type_strip(t), *vs = cd_type_strip(v->type);
    if (ts->kind == TY_VOID) {
        *out = (cd_value){.type = t, .where = V_BYTES, .bytes = cd_arena_alloc(x->ar, 1), .regno = -1};
        return 0;
    }
    if (!cd_type_is_scalar(ts) || !cd_type_is_scalar(vs)) {
        /* Same-size aggregates reinterpret, as gdb's casts between struct types do. */
        if (cd_type_size(ts) == cd_type_size(vs) && cd_type_size(ts)) {
            *out = *v;
            out->type = t;
            return 0;
        }
        char a[256], b[256];
        tname(x, v->type, a, sizeof a);
        tname(x, t, b, sizeof b);
        return cd_fail(x->err, CD_EXIT_CMD, "cannot convert a value of type %s to %s", a, b);
    }
    if (ts->kind == TY_FLOAT || vs->kind == TY_FLOAT) {
        if (ts->kind == TY_PTR || vs->kind == TY_PTR)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot convert between a pointer and a floating-point value");
        long double f;
        if (vs->kind == TY_FLOAT) {
            if (cd_value_float(x, v, &f) != 0)
                return -1;
            if (ts->kind == TY_BOOL) {
                *out = cd_value_from_int(x, t, f != 0);
                return 0;
            }
            *out = cd_value_from_float(x, t, f);
        } else {
            __int128 i;
            if (cd_value_int(x, v, &i) != 0)
                return -1;
            f = vs->is_signed ? (long double)i : (long double)(unsigned __int128)i;
            *out = cd_value_from_float(x, t, f);
        }
        return 0;
    }
    __int128 i;
    if (cd_value_int(x, v, &i) != 0)
        return -1;
    *out = cd_value_from_int(x, t, ts->kind == TY_BOOL ? (i != 0) : i);
    return 0;
}

/* ---------- registers and convenience variables ---------- */
typedef struct { const char *name; int dw; size_t uoff; int width; int kind; } regdesc;
enum { RK_LONG, RK_PTR, RK_CODE, RK_INT };
#define U(f) offsetof(struct user_regs_struct, f)
static const regdesc regs[] = {
    {"rax", 0, U(rax), 8, RK_LONG}, {"rdx", 1, U(rdx), 8, RK_LONG}, {"rcx", 2, U(rcx), 8, RK_LONG},
    {"rbx", 3, U(rbx), 8, RK_LONG}, {"rsi", 4, U(rsi), 8, RK_LONG}, {"rdi", 5, U(rdi), 8, RK_LONG},
    {"rbp", 6, U(rbp), 8, RK_PTR}, {"rsp", 7, U(rsp), 8, RK_PTR}, {"r8", 8, U(r8), 8, RK_LONG},
    {"r9", 9, U(r9), 8, RK_LONG}, {"r10", 10, U(r10), 8, RK_LONG}, {"r11", 11, U(r11), 8, RK_LONG},
    {"r12", 12, U(r12), 8, RK_LONG}, {"r13", 13, U(r13), 8, RK_LONG}, {"r14", 14, U(r14), 8, RK_LONG},
    {"r15", 15, U(r15), 8, RK_LONG}, {"rip", 16, U(rip), 8, RK_CODE}, {"pc", 16, U(rip), 8, RK_CODE},
    {"sp", 7, U(rsp), 8, RK_PTR}, {"fp", 6, U(rbp), 8, RK_PTR},
    {"eax", 0, U(rax), 4, RK_INT}, {"edx", 1, U(rdx), 4, RK_INT}, {"ecx", 2, U(rcx), 4, RK_INT},
    {"ebx", 3, U(rbx), 4, RK_INT}, {"esi", 4, U(rsi), 4, RK_INT}, {"edi", 5, U(rdi), 4, RK_INT},
    {"eflags", -1, U(eflags), 4, RK_INT}, {"cs", -1, U(cs), 4, RK_INT}, {"ss", -1, U(ss), 4, RK_INT},
    {"ds", -1, U(ds), 4, RK_INT}, {"es", -1, U(es), 4, RK_INT}, {"fs", -1, U(fs), 4, RK_INT},
    {"gs", -1, U(gs), 4, RK_INT}, {"fs_base", -1, U(fs_base), 8, RK_LONG},
    {"gs_base", -1, U(gs_base), 8, RK_LONG}, {"orig_rax", -1, U(orig_rax), 8, RK_LONG},
    {NULL, 0, 0, 0, 0},
};
#undef U

static const regdesc *find_reg(const char *n)
{
    for (int i = 0; regs[i].name; i++)
        if (!strcmp(regs[i].name, n))
            return &regs[i];
    return NULL;
}

static cd_type *reg_type(cd_ectx *x, const regdesc *r)
{
    switch (r->kind) {
    case RK_PTR: return cd_type_ptr(x->vs, NULL);
    case RK_CODE: {
        cd_type *f = cd_type_base(x->vs, TY_FUNC, 0, false, "code");
        f->target = NULL;
        return cd_type_ptr(x->vs, f);
    }
    case RK_INT: return ty_int(x, 4, true);
    default: return ty_int(x, 8, true);
    }
}

static int reg_value(cd_ectx *x, const regdesc *r, cd_value *out)
{
    uint64_t v = 0;
    bool ok = false;
    if (r->dw >= 0 && x->frame)
        ok = cd_frame_reg(x, r->dw, &v);
    if (!ok && x->th && (!x->frame || x->frame->phys == 0)) {
        cd_regs rg;
        cd_err e;
        if (x->th->regs_valid)
            rg = x->th->regs, ok = true;
        else if (x->t && x->t->ops->get_regs(x->t, x->th, &rg, &e) == 0)
            ok = true;
        if (ok)
            memcpy(&v, (uint8_t *)&rg + r->uoff, 8);
    }
    if (!ok) {
        if (!x->th)
            return cd_fail(x->err, CD_EXIT_CMD, "no registers: attach to a process or open a core first");
        *out = (cd_value){.type = reg_type(x, r), .where = V_UNAVAIL, .regno = r->dw};
        return 0;
    }
    *out = cd_value_from_int(x, reg_type(x, r), (__int128)(int64_t)v);
    if (r->width == 4)
        *out = cd_value_from_int(x, reg_type(x, r), (int32_t)v);
    out->regno = r->dw;
    out->lval = false;
    if (r->dw >= 0 && r->dw < CD_NDWREGS) {
        /* writable through the same path as a variable held in that register */
        cd_vpiece *p = cd_arena_alloc(x->ar, sizeof *p);
        p->kind = VP_REG;
        p->regno = r->dw;
        p->bits = (uint64_t)(r->width ? r->width : 8) * 8;
        out->pieces = p;
        out->npieces = 1;
        out->lval = true;
    }
    return 0;
}

static cd_conv *find_conv(cd_vstate *vs, const char *n)
{
    for (size_t i = 0; i < vs->nconv; i++)
        if (!strcmp(vs->conv[i].name, n))
            return &vs->conv[i];
    return NULL;
}

/* Copies a value into persistent storage (history, convenience variables). */
static int persist(cd_ectx *x, const cd_value *v, cd_value *out)
{
    *out = *v;
    out->lval = false;
    out->regno = -1;
    out->pieces = NULL; /* arena storage, and a saved value is no longer where it came from */
    out->npieces = 0;
    out->pbase = 0;
    if (v->where != V_MEM && v->where != V_BYTES) {
        if (v->errmsg) {
            char *m = cd_arena_alloc(&x->vs->persist, strlen(v->errmsg) + 1);
            strcpy(m, v->errmsg);
            out->errmsg = m;
        }
        return 0;
    }
    uint64_t n = cd_type_size(v->type);
    if (n > (1u << 20))
        n = 1u << 20;
    uint8_t *b = cd_arena_alloc(&x->vs->persist, n + 16);
    if (v->bitsize) {
        __int128 i;
        if (cd_value_int(x, v, &i) != 0)
            return -1;
        memcpy(b, &i, n < 16 ? n : 16);
        out->bitsize = out->bitpos = 0;
    } else if (n && cd_value_read(x, v, 0, b, n) != 0)
        return -1;
    out->where = V_BYTES;
    out->bytes = b;
    return 0;
}

int cd_hist_add(cd_ectx *x, const cd_value *v)
{
    cd_vstate *vs = x->vs;
    cd_value p;
    cd_err e, *save = x->err;
    x->err = &e;
    int r = persist(x, v, &p);
    x->err = save;
    if (r != 0)
        p = (cd_value){.type = v->type, .where = V_UNAVAIL, .regno = -1};
    if (vs->nhist == vs->hist_cap) {
        vs->hist_cap = vs->hist_cap ? vs->hist_cap * 2 : 16;
        vs->hist = cd_xrealloc(vs->hist, vs->hist_cap * sizeof *vs->hist);
    }
    vs->hist[vs->nhist].v = p;
    vs->hist[vs->nhist].type = p.type;
    vs->hist[vs->nhist].bytes = p.bytes;
    return (int)++vs->nhist;
}

int cd_conv_set(cd_ectx *x, const char *name, const cd_value *v);
int cd_conv_set(cd_ectx *x, const char *name, const cd_value *v)
{
    cd_value p;
    if (persist(x, v, &p) != 0)
        return -1;
    cd_conv *c = find_conv(x->vs, name);
    if (!c) {
        x->vs->conv = cd_xrealloc(x->vs->conv, (x->vs->nconv + 1) * sizeof *x->vs->conv);
        c = &x->vs->conv[x->vs->nconv++];
        c->name = cd_xstrdup(name);
    }
    c->v = p;
    return 0;
}

/* ---------- the evaluator ---------- */
/* gdb's `a@n`: n objects of a's type in memory from a's address, as an array. */
static int eval_at(cd_ectx *x, const cd_value *a, const cd_value *b, cd_value *out)
{
    __int128 n;
    if (!cd_type_is_integral(b->type) || cd_value_int(x, b, &n) != 0)
        return cd_fail(x->err, CD_EXIT_CMD, "the count after '@' must be an integer");
    if (n <= 0 || n > 100000000)
        return cd_fail(x->err, CD_EXIT_CMD, "invalid number %lld of repetitions after '@'", (long long)n);
    if (a->where != V_MEM || !a->lval)
        return cd_fail(x->err, CD_EXIT_CMD, "only values in memory can be extended with '@'");
    if (!cd_type_size(a->type))
        return cd_fail(x->err, CD_EXIT_CMD, "'@' needs an object with a size");
    memset(out, 0, sizeof *out);
    out->type = cd_type_array(x->vs, a->type, (int64_t)n);
    out->where = V_MEM;
    out->addr = a->addr;
    out->lval = true;
    out->regno = -1;
    return 0;
}

static int eval(cd_ectx *x, cd_expr *e, cd_value *out);

static int deref(cd_ectx *x, cd_value *p, cd_value *out, int col)
{
    (void)col;
    if (decay(x, p) != 0 || check_readable(x, p) != 0)
        return -1;
    cd_type *s = cd_type_strip(p->type);
    if (s->kind != TY_PTR) {
        char n[256];
        tname(x, p->type, n, sizeof n);
        return cd_fail(x->err, CD_EXIT_CMD, "cannot dereference a value of type %s: not a pointer", n);
    }
    cd_type *tt = cd_type_strip(s->target);
    if (!tt || tt->kind == TY_VOID)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot dereference a void pointer; cast it first, e.g. *(int *)p");
    __int128 a;
    if (cd_value_int(x, p, &a) != 0)
        return -1;
    *out = (cd_value){.type = s->target, .where = V_MEM, .addr = (uint64_t)a, .lval = true, .regno = -1};
    if (tt->kind == TY_FUNC)
        out->lval = false;
    return 0;
}

int cd_value_base(cd_ectx *x, const cd_value *v, Dwarf_Die *inh, cd_type *bt, cd_value *out)
{
    Dwarf_Attribute a;
    Dwarf_Word w = 0;
    if (!dwarf_attr(inh, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &w) == 0) {
        *out = cd_value_sub(v, bt, w);
        return 0;
    }
    if (x->no_side_effects && v->where != V_MEM) { /* whatis/sizeof: the type is enough */
        *out = *v;
        out->type = bt;
        return 0;
    }
    if (check_readable(x, v) != 0)
        return -1;
    if (v->where != V_MEM)
        return cd_fail(x->err, CD_EXIT_CMD, "a virtual base is found through the object's vtable: the object is not in memory");
    uint64_t addr;
    if (cd_loc_base_addr(x, NULL, inh, v->addr, &addr) != 0)
        return -1;
    *out = (cd_value){.type = bt, .where = V_MEM, .addr = addr, .lval = v->lval, .regno = -1};
    return 0;
}

int cd_value_member(cd_ectx *x, const cd_value *v, cd_type *s, const char *name, cd_value *out, int depth)
{
    cd_member m;
    s = cd_type_strip(s);
    if (!s || depth > 32)
        return 1;
    if (cd_type_find_member(x->vs, s, name, &m, x->ar)) {
        *out = cd_value_sub(v, m.type, m.offset);
        out->bitsize = m.bitsize;
        out->bitpos = m.bitpos;
        return 0;
    }
    /* not at a fixed offset: behind a virtual base, wherever this object's vtable puts it */
    Dwarf_Die c;
    if (!s->has_die || !s->cxx || dwarf_child(&s->die, &c) != 0)
        return 1;
    do {
        Dwarf_Attribute a;
        Dwarf_Die bd;
        if (dwarf_tag(&c) != DW_TAG_inheritance || !dwarf_formref_die(dwarf_attr(&c, DW_AT_type, &a), &bd))
            continue;
        cd_type *bt = cd_type_from_die(x->vs, &bd);
        cd_value bv;
        if (cd_value_base(x, v, &c, bt, &bv) != 0)
            return -1;
        int r = cd_value_member(x, &bv, bt, name, out, depth + 1);
        if (r <= 0)
            return r;
    } while (dwarf_siblingof(&c, &c) == 0);
    return 1;
}

static int member(cd_ectx *x, cd_value *v, const char *name, cd_value *out)
{
    cd_type *s = cd_type_strip(v->type);
    if (s->kind != TY_STRUCT && s->kind != TY_UNION) {
        char n[256];
        tname(x, v->type, n, sizeof n);
        return cd_fail(x->err, CD_EXIT_CMD, "request for member '%s' in a value of type %s, which is not a struct or union", name, n);
    }
    if (!s->complete) {
        cd_type *full = s->name ? cd_lookup_type(x, s->kind == TY_UNION ? 'u' : 's', s->name) : NULL;
        if (full && full->complete)
            s = full;
    }
    int r = cd_value_member(x, v, s, name, out, 0);
    if (r < 0)
        return -1;
    if (r > 0) {
        char n[256];
        tname(x, v->type, n, sizeof n);
        if (!s->complete)
            return cd_fail(x->err, CD_EXIT_CMD, "%s is an incomplete type (no definition in the debug info)", n);
        return cd_fail(x->err, CD_EXIT_CMD, "no member named %s in %s", name, n);
    }
    return x->no_side_effects ? 0 : check_readable(x, v);
}

static int arith_int(cd_ectx *x, int op, cd_type *rt, __int128 a, __int128 b, cd_value *out, int col)
{
    cd_type *s = cd_type_strip(rt);
    bool sg = s->is_signed;
    unsigned bits = (unsigned)s->size * 8;
    unsigned __int128 ua = (unsigned __int128)a, ub = (unsigned __int128)b;
    if (!sg && bits < 128) {
        unsigned __int128 m = ((unsigned __int128)1 << bits) - 1;
        ua &= m;
        ub &= m;
    }
    __int128 r = 0;
    switch (op) {
    case OP_ADD: r = (__int128)(ua + ub); break;
    case OP_SUB: r = (__int128)(ua - ub); break;
    case OP_MUL: r = (__int128)(ua * ub); break;
    case OP_DIV:
    case OP_MOD:
        if (!b && x->no_side_effects) /* sizeof(1 / 0): only the type matters */
            break;
        if (!b)
            return cd_fail(x->err, CD_EXIT_CMD, "division by zero (at column %d)", col);
        if (sg) {
            __int128 mn = bits >= 128 ? (__int128)((unsigned __int128)1 << 127) : -((__int128)1 << (bits - 1));
            if (a == mn && b == -1)
                r = op == OP_DIV ? a : 0; /* overflow: wrap as the hardware would not trap for us */
            else
                r = op == OP_DIV ? a / b : a % b;
        } else
            r = (__int128)(op == OP_DIV ? ua / ub : ua % ub);
        break;
    case OP_SHL:
    case OP_SHR:
        if (b < 0 || b >= bits)
            return cd_fail(x->err, CD_EXIT_CMD, "shift count %lld is out of range for a %u-bit type (at column %d)", (long long)b, bits, col);
        if (op == OP_SHL)
            r = (__int128)(ua << b);
        else
            r = sg ? a >> b : (__int128)(ua >> b);
        break;
    case OP_BAND: r = (__int128)(ua & ub); break;
    case OP_BOR: r = (__int128)(ua | ub); break;
    case OP_BXOR: r = (__int128)(ua ^ ub); break;
    default: return cd_fail(x->err, CD_EXIT_CMD, "internal: bad integer operator");
    }
    *out = cd_value_from_int(x, rt, r);
    return 0;
}

/* The type of a comparison or logical operator: int in C, bool in C++ (gdb prints true/false). */
static cd_type *truth_type(cd_ectx *x)
{
    return cd_ectx_is_cxx(x) ? cd_type_base(x->vs, TY_BOOL, 1, false, "bool") : ty_int(x, 4, true);
}

static int compare(cd_ectx *x, int op, cd_value *a, cd_value *b, cd_value *out)
{
    cd_type *sa = cd_type_strip(a->type), *sb = cd_type_strip(b->type);
    int c;
    if (sa->kind == TY_PTR || sb->kind == TY_PTR) {
        __int128 ia, ib;
        if (cd_value_int(x, a, &ia) != 0 || cd_value_int(x, b, &ib) != 0)
            return -1;
        uint64_t ua = (uint64_t)ia, ub = (uint64_t)ib;
        c = ua < ub ? -1 : ua > ub;
    } else {
        cd_type *ct = common(x, a->type, b->type);
        cd_type *cs = cd_type_strip(ct);
        if (cs->kind == TY_FLOAT) {
            long double fa, fb;
            if (cd_value_float(x, a, &fa) != 0 || cd_value_float(x, b, &fb) != 0)
                return -1;
            int r;
            switch (op) {
            case OP_LT: r = fa < fb; break;
            case OP_GT: r = fa > fb; break;
            case OP_LE: r = fa <= fb; break;
            case OP_GE: r = fa >= fb; break;
            case OP_EQ: r = fa == fb; break;
            default: r = fa != fb; break;
            }
            *out = cd_value_from_int(x, truth_type(x), r);
            return 0;
        }
        cd_value ca, cb;
        __int128 ia, ib;
        if (convert(x, a, ct, &ca) != 0 || convert(x, b, ct, &cb) != 0 || cd_value_int(x, &ca, &ia) != 0 ||
            cd_value_int(x, &cb, &ib) != 0)
            return -1;
        if (cs->is_signed)
            c = ia < ib ? -1 : ia > ib;
        else {
            unsigned __int128 m = cs->size >= 16 ? ~(unsigned __int128)0 : (((unsigned __int128)1 << (cs->size * 8)) - 1);
            unsigned __int128 ua = (unsigned __int128)ia & m, ub = (unsigned __int128)ib & m;
            c = ua < ub ? -1 : ua > ub;
        }
    }
    int r;
    switch (op) {
    case OP_LT: r = c < 0; break;
    case OP_GT: r = c > 0; break;
    case OP_LE: r = c <= 0; break;
    case OP_GE: r = c >= 0; break;
    case OP_EQ: r = c == 0; break;
    default: r = c != 0; break;
    }
    *out = cd_value_from_int(x, truth_type(x), r);
    return 0;
}

static int binary(cd_ectx *x, int op, cd_value *a, cd_value *b, cd_value *out, int col)
{
    if (decay(x, a) != 0 || decay(x, b) != 0 || check_readable(x, a) != 0 || check_readable(x, b) != 0)
        return -1;
    cd_type *sa = cd_type_strip(a->type), *sb = cd_type_strip(b->type);
    if (op >= OP_LT && op <= OP_NE) {
        if (!cd_type_is_scalar(sa) || !cd_type_is_scalar(sb))
            goto bad;
        return compare(x, op, a, b, out);
    }
    /* Pointer arithmetic (6.5.6). */
    if ((op == OP_ADD || op == OP_SUB) && (sa->kind == TY_PTR || sb->kind == TY_PTR)) {
        if (sa->kind == TY_PTR && sb->kind == TY_PTR) {
            if (op != OP_SUB)
                goto bad;
            /* C 6.5.6p9: both must point to compatible types (qualifiers aside) */
            char ta[256], tb[256];
            tname(x, sa->target ? cd_type_strip(sa->target) : NULL, ta, sizeof ta);
            tname(x, sb->target ? cd_type_strip(sb->target) : NULL, tb, sizeof tb);
            if (strcmp(ta, tb) != 0)
                goto bad;
            uint64_t es = cd_type_size(sa->target);
            __int128 ia, ib;
            if (cd_value_int(x, a, &ia) != 0 || cd_value_int(x, b, &ib) != 0)
                return -1;
            int64_t d = (int64_t)((uint64_t)ia - (uint64_t)ib);
            *out = cd_value_from_int(x, ty_int(x, 8, true), es ? d / (int64_t)es : d);
            return 0;
        }
        cd_value *p = sa->kind == TY_PTR ? a : b, *i = sa->kind == TY_PTR ? b : a;
        if (!cd_type_is_integral(i->type) || (op == OP_SUB && p == b))
            goto bad;
        cd_type *pt = cd_type_strip(p->type);
        uint64_t es = cd_type_size(pt->target);
        if (!es)
            es = 1; /* void * arithmetic, as GNU C */
        __int128 ip, ii;
        if (cd_value_int(x, p, &ip) != 0 || cd_value_int(x, i, &ii) != 0)
            return -1;
        uint64_t r = op == OP_ADD ? (uint64_t)ip + (uint64_t)(ii * (__int128)es) : (uint64_t)ip - (uint64_t)(ii * (__int128)es);
        *out = cd_value_from_int(x, p->type, r);
        return 0;
    }
    if (!cd_type_is_arith(sa) || !cd_type_is_arith(sb))
        goto bad;
    if (op == OP_SHL || op == OP_SHR) {
        if (!cd_type_is_integral(sa) || !cd_type_is_integral(sb))
            goto bad;
        cd_type *rt = promote(x, a->type);
        cd_value ca;
        __int128 ia, ib;
        if (convert(x, a, rt, &ca) != 0 || cd_value_int(x, &ca, &ia) != 0 || cd_value_int(x, b, &ib) != 0)
            return -1;
        return arith_int(x, op, rt, ia, ib, out, col);
    }
    cd_type *ct = common(x, a->type, b->type);
    if (cd_type_strip(ct)->kind == TY_FLOAT) {
        if (op == OP_MOD || op == OP_BAND || op == OP_BOR || op == OP_BXOR)
            goto bad;
        long double fa, fb, r = 0;
        if (cd_value_float(x, a, &fa) != 0 || cd_value_float(x, b, &fb) != 0)
            return -1;
        switch (op) {
        case OP_ADD: r = fa + fb; break;
        case OP_SUB: r = fa - fb; break;
        case OP_MUL: r = fa * fb; break;
        case OP_DIV: r = fa / fb; break; /* IEEE: inf/nan, as C does */
        }
        *out = cd_value_from_float(x, ct, r);
        return 0;
    }
    cd_value ca, cb;
    __int128 ia, ib;
    if (convert(x, a, ct, &ca) != 0 || convert(x, b, ct, &cb) != 0 || cd_value_int(x, &ca, &ia) != 0 ||
        cd_value_int(x, &cb, &ib) != 0)
        return -1;
    return arith_int(x, op, ct, ia, ib, out, col);
bad: {
    char n1[256], n2[256];
    tname(x, a->type, n1, sizeof n1);
    tname(x, b->type, n2, sizeof n2);
    static const char *ops[] = {"+", "-", "*", "/", "%", "<<", ">>", "<", ">", "<=", ">=", "==", "!=", "&", "|", "^"};
    return cd_fail(x->err, CD_EXIT_CMD, "invalid operands to '%s' at column %d (%s and %s)",
                   op >= OP_ADD && op <= OP_BXOR ? ops[op - OP_ADD] : "?", col, n1, n2);
}
}

/* ---------- writing registers and pieces ---------- */
static const size_t ureg_off[CD_NDWREGS] = {
    offsetof(cd_regs, rax), offsetof(cd_regs, rdx), offsetof(cd_regs, rcx), offsetof(cd_regs, rbx),
    offsetof(cd_regs, rsi), offsetof(cd_regs, rdi), offsetof(cd_regs, rbp), offsetof(cd_regs, rsp),
    offsetof(cd_regs, r8), offsetof(cd_regs, r9), offsetof(cd_regs, r10), offsetof(cd_regs, r11),
    offsetof(cd_regs, r12), offsetof(cd_regs, r13), offsetof(cd_regs, r14), offsetof(cd_regs, r15),
    offsetof(cd_regs, rip)};
static const char *const dwreg_name[CD_NDWREGS] = {"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
                                                   "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"};

/* Where register REGNO of the selected frame is written: frame 0's (or no frame's) is the
 * thread's register; an outer frame's is where the unwinder says it was saved. */
static int reg_slot(cd_ectx *x, int regno, cd_regslot *slot)
{
    if (regno < 0 || regno >= CD_NDWREGS) {
        if (regno >= 17 && regno <= 32)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot write xmm%d: cdbg does not write SSE registers; write the variable's memory or a general register", regno - 17);
        return cd_fail(x->err, CD_EXIT_CMD, "cannot write DWARF register %d: not a general-purpose register", regno);
    }
    if (!x->t || !x->th)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot write %s: no thread", dwreg_name[regno]);
    if (!x->frame || x->frame->phys == 0) {
        memset(slot, 0, sizeof *slot);
        slot->kind = CD_REGSLOT_LIVE;
        return 0;
    }
    if (!x->frames || !x->sym)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot write %s of frame #%d: the frames below it are not known",
                       dwreg_name[regno], x->frame->level);
    cd_unwind_reg_slot(x->sym, x->t, x->th, x->frames, x->nframes, x->frame->phys, regno, slot);
    if (slot->kind == CD_REGSLOT_NONE)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot write %s of frame #%d: %s", dwreg_name[regno], x->frame->level, slot->why);
    return 0;
}

static int reg_access(cd_ectx *x, int regno, const cd_regslot *slot, uint64_t *val, bool write)
{
    cd_err e;
    if (slot->kind == CD_REGSLOT_MEM) {
        if (!write)
            return cd_target_read_full(x->t, slot->addr, val, 8) == 0 ? 0
                   : cd_fail(x->err, CD_EXIT_CMD, "cannot read the slot of %s at 0x%llx", dwreg_name[regno], (unsigned long long)slot->addr);
        if (x->t->ops->write_mem(x->t, slot->addr, val, 8, &e) != 0)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot write the slot of %s at 0x%llx: %s", dwreg_name[regno],
                           (unsigned long long)slot->addr, e.msg);
        return 0;
    }
    cd_regs r;
    if (x->t->ops->get_regs(x->t, x->th, &r, &e) != 0)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot read registers: %s", e.msg);
    if (!write) {
        memcpy(val, (uint8_t *)&r + ureg_off[regno], 8);
        return 0;
    }
    memcpy((uint8_t *)&r + ureg_off[regno], val, 8);
    if (x->t->ops->set_regs(x->t, x->th, &r, &e) != 0)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot set %s: %s", dwreg_name[regno], e.msg);
    x->th->regs = r;
    return 0;
}

/* Writes the SIZE bytes at SRC (the new value of LV, converted) to the pieces LV's bytes came
 * from: registers of its frame (or the slots they were saved to), memory. Nothing is written
 * unless every piece it touches can be. */
static int store_pieces(cd_ectx *x, cd_value *lv, const uint8_t *src, uint64_t size)
{
    uint64_t n = lv->bitsize ? (uint64_t)(lv->bitpos + lv->bitsize + 7) / 8 : size;
    uint64_t lo = lv->pbase * 8 + (lv->bitsize ? (uint64_t)lv->bitpos : 0);
    uint64_t nbits = lv->bitsize ? (uint64_t)lv->bitsize : size * 8;
    uint8_t *img = cd_arena_alloc(x->ar, n + 16);
    memcpy(img, lv->bytes, n);
    cd_copy_bits(img, lv->bitsize ? (uint64_t)lv->bitpos : 0, src, 0, nbits);
    cd_regslot *slots = cd_arena_alloc(x->ar, (size_t)lv->npieces * sizeof *slots);
    bool any = false;
    for (int i = 0; i < lv->npieces; i++) {
        const cd_vpiece *p = &lv->pieces[i];
        if (p->bitoff >= lo + nbits || p->bitoff + p->bits <= lo)
            continue;
        any = true;
        switch (p->kind) {
        case VP_OPT:
            return cd_fail(x->err, CD_EXIT_CMD, "cannot assign: that part of the value has been optimized out (it is nowhere to write)");
        case VP_VAL:
            return cd_fail(x->err, CD_EXIT_CMD, "cannot assign: the compiler describes that part of the value as computed, not stored in memory or a register");
        case VP_REG:
            if (reg_slot(x, p->regno, &slots[i]) != 0)
                return -1;
            if (p->srcbit + p->bits > 64)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot write %llu bits at bit %llu of %s",
                               (unsigned long long)p->bits, (unsigned long long)p->srcbit, dwreg_name[p->regno]);
            break;
        case VP_MEM:
            if (!x->t)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot write memory: no process");
            break;
        }
    }
    if (!any)
        return cd_fail(x->err, CD_EXIT_CMD, "cannot assign: no part of the value is stored anywhere");
    for (int i = 0; i < lv->npieces; i++) {
        const cd_vpiece *p = &lv->pieces[i];
        if (p->bitoff >= lo + nbits || p->bitoff + p->bits <= lo)
            continue;
        uint64_t a = p->bitoff > lo ? p->bitoff : lo;
        uint64_t b = p->bitoff + p->bits < lo + nbits ? p->bitoff + p->bits : lo + nbits;
        /* image bit of object bit j: j - pbase*8; piece bit: j - bitoff + srcbit */
        uint64_t ibit = a - lv->pbase * 8, sbit = a - p->bitoff + p->srcbit;
        if (p->kind == VP_REG) {
            uint64_t r;
            if (reg_access(x, p->regno, &slots[i], &r, false) != 0)
                return -1;
            cd_copy_bits((uint8_t *)&r, sbit, img, ibit, b - a);
            if (reg_access(x, p->regno, &slots[i], &r, true) != 0)
                return -1;
        } else {
            uint64_t first = p->addr + sbit / 8, nb = (sbit % 8 + (b - a) + 7) / 8;
            uint8_t *m = cd_arena_alloc(x->ar, nb + 1);
            cd_err e;
            if ((sbit % 8 || (b - a) % 8) && cd_target_read_full(x->t, first, m, nb) != 0)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot access memory at 0x%llx", (unsigned long long)first);
            cd_copy_bits(m, sbit % 8, img, ibit, b - a);
            if (x->t->ops->write_mem(x->t, first, m, nb, &e) != 0)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot write %llu bytes at 0x%llx: %s", (unsigned long long)nb,
                               (unsigned long long)first, e.msg);
        }
    }
    memcpy(lv->bytes, img, n); /* the value now reads what was written */
    x->wrote = true;
    return 0;
}

/* Writes V's new contents NEWV (already converted to V's type) to wherever V lives. */
static int store(cd_ectx *x, cd_value *lv, cd_value *nv)
{
    uint64_t size = cd_type_size(lv->type);
    uint8_t buf[16];
    if (lv->bitsize || size <= 16) {
        if (cd_value_read(x, nv, 0, buf, size > 16 ? 16 : size) != 0)
            return -1;
    }
    if (lv->where == V_MEM) {
        if (!x->t)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot write memory: no process");
        cd_err e;
        const void *src = buf;
        size_t n = size;
        uint8_t bb[17];
        if (lv->bitsize) {
            n = (size_t)(lv->bitpos + lv->bitsize + 7) / 8;
            if (n > 16 || cd_target_read_full(x->t, lv->addr, bb, n) != 0)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot access memory at 0x%llx", (unsigned long long)lv->addr);
            unsigned __int128 old = 0, val = 0;
            for (size_t i = 0; i < n; i++)
                old |= (unsigned __int128)bb[i] << (8 * i);
            memcpy(&val, buf, size < 16 ? size : 16);
            unsigned __int128 m = (((unsigned __int128)1 << lv->bitsize) - 1) << lv->bitpos;
            old = (old & ~m) | ((val << lv->bitpos) & m);
            for (size_t i = 0; i < n; i++)
                bb[i] = (uint8_t)(old >> (8 * i));
            src = bb;
        } else if (size > 16) {
            uint8_t *big = cd_arena_alloc(x->ar, size);
            if (cd_value_read(x, nv, 0, big, size) != 0)
                return -1;
            src = big;
        }
        if (x->t->ops->write_mem(x->t, lv->addr, src, n, &e) != 0)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot write %zu bytes at 0x%llx: %s", n, (unsigned long long)lv->addr, e.msg);
        x->wrote = true;
        return 0;
    }
    if (lv->where == V_BYTES && lv->pieces) {
        const uint8_t *src = buf;
        if (!lv->bitsize && size > 16) {
            uint8_t *big = cd_arena_alloc(x->ar, size);
            if (cd_value_read(x, nv, 0, big, size) != 0)
                return -1;
            src = big;
        }
        return store_pieces(x, lv, src, size);
    }
    return cd_fail(x->err, CD_EXIT_CMD, "left operand of assignment is not an lvalue in memory or in a register");
}

/* `$name = R` (or `$name OP= R`) with R evaluated: creates or updates a convenience variable. */
static __attribute__((noinline)) int assign_conv(cd_ectx *x, cd_expr *e, cd_value *r, cd_value *out)
{
    if (e->op != OP_NONE) {
        cd_value l;
        if (eval(x, e->a, &l) != 0 || binary(x, e->op, &l, r, r, e->col) != 0)
            return -1;
    }
    if (decay(x, r) != 0 || check_readable(x, r) != 0 || cd_conv_set(x, e->a->str, r) != 0)
        return -1;
    *out = *r;
    return 0;
}

/* `L = R` (or `L OP= R`) with both sides evaluated. */
static __attribute__((noinline)) int assign_store(cd_ectx *x, cd_expr *e, cd_value *l, cd_value *r, cd_value *out)
{
    if (!l->lval) {
        cd_regslot slot;
        if (l->where == V_OPTOUT)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot assign: the variable has been optimized out");
        /* a register this frame's callees did not save: say why it cannot be written */
        if (l->where == V_UNAVAIL && l->regno >= 0 && reg_slot(x, l->regno, &slot) != 0)
            return -1;
        if (l->where == V_UNAVAIL)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot assign at column %d: the value is not available in this frame", e->col);
        return cd_fail(x->err, CD_EXIT_CMD, "cannot assign at column %d: the left side is not an lvalue (not stored in memory or a register)", e->col);
    }
    if (e->op != OP_NONE) {
        cd_value cur = *l;
        if (binary(x, e->op, &cur, r, r, e->col) != 0)
            return -1;
    }
    cd_type *ls = cd_type_strip(l->type);
    cd_value nv;
    if (cd_type_is_scalar(ls)) {
        if (convert(x, r, l->type, &nv) != 0)
            return -1;
    } else {
        if (cd_type_size(r->type) != cd_type_size(l->type) || cd_type_strip(r->type)->kind != ls->kind) {
            char a[256], b[256];
            tname(x, r->type, a, sizeof a);
            tname(x, l->type, b, sizeof b);
            return cd_fail(x->err, CD_EXIT_CMD, "cannot assign a value of type %s to %s", a, b);
        }
        nv = *r;
    }
    if (store(x, l, &nv) != 0)
        return -1;
    *out = *l;
    return 0;
}

/* Recursive like eval() (`a = b = c = ...`), so it only evaluates the operands. */
static int assign(cd_ectx *x, cd_expr *e, cd_value *out)
{
    if (x->no_side_effects)
        return eval(x, e->a, out);
    cd_value l, r;
    if (e->a->kind == E_DOLLAR && !find_reg(e->a->str)) {
        if (eval(x, e->b, &r) != 0)
            return -1;
        return assign_conv(x, e, &r, out);
    }
    if (eval(x, e->a, &l) != 0 || eval(x, e->b, &r) != 0)
        return -1;
    return assign_store(x, e, &l, &r, out);
}

static cd_type *builtin_type(cd_ectx *x, cd_tname *tn)
{
    unsigned k = tn->kw;
    bool uns = k & TK_UNSIGNED;
    if (k & TK_VOID)
        return cd_type_base(x->vs, TY_VOID, 0, false, "void");
    if (k & TK_BOOL)
        return cd_type_base(x->vs, TY_BOOL, 1, false, "_Bool");
    if (k & TK_FLOAT)
        return ty_float(x, 4);
    if (k & TK_DOUBLE)
        return tn->longs ? ty_float(x, 16) : ty_float(x, 8);
    if (k & TK_CHAR) {
        cd_type *t = cd_type_base(x->vs, TY_INT, 1, !uns, uns ? "unsigned char" : (k & TK_SIGNED) ? "signed char" : "char");
        t->is_char = true;
        return t;
    }
    if (k & TK_INT128)
        return ty_int(x, 16, !uns);
    if (k & TK_SHORT)
        return cd_type_base(x->vs, TY_INT, 2, !uns, uns ? "unsigned short" : "short");
    if (tn->longs)
        return cd_type_base(x->vs, TY_INT, 8, !uns,
                            tn->longs > 1 ? (uns ? "unsigned long long" : "long long") : (uns ? "unsigned long" : "long"));
    return ty_int(x, 4, !uns);
}

cd_type *cd_eval_tname(cd_ectx *x, cd_tname *tn)
{
    cd_type *t;
    if (tn->tag) {
        t = cd_lookup_type(x, tn->tag, tn->name);
        if (!t) {
            const char *kw = tn->tag == 's' ? "struct " : tn->tag == 'u' ? "union " : tn->tag == 'e' ? "enum " : "";
            cd_fail(x->err, CD_EXIT_CMD, "no type named %s%s in the program's debug info", kw, tn->name);
            return NULL;
        }
    } else {
        /* Prefer the program's own base type DIE so names print as the program spells them. */
        t = builtin_type(x, tn);
    }
    if (tn->is_const) {
        cd_type *c = cd_arena_alloc(&x->vs->types, sizeof *c);
        c->kind = TY_CV;
        c->quals = 1;
        c->target = t;
        c->size = t->size;
        c->complete = t->complete;
        t = c;
    }
    for (int i = 0; i < tn->nderiv; i++) {
        switch (tn->deriv[i].kind) {
        case TD_PTR: t = cd_type_ptr(x->vs, t); break;
        case TD_ARRAY: t = cd_type_array(x->vs, t, tn->deriv[i].n); break;
        case TD_FUNC: {
            cd_type *f = cd_arena_alloc(&x->vs->types, sizeof *f);
            f->kind = TY_FUNC;
            f->ret_known = true;
            f->target = t;
            t = f;
            break;
        }
        case TD_CONST:
        case TD_VOLATILE: {
            cd_type *c = cd_arena_alloc(&x->vs->types, sizeof *c);
            c->kind = TY_CV;
            c->quals = tn->deriv[i].kind == TD_CONST ? 1 : 2;
            c->target = t;
            c->size = t->size;
            c->complete = true;
            t = c;
            break;
        }
        }
    }
    return t;
}

static int int_literal(cd_ectx *x, cd_expr *e, cd_value *out)
{
    /* 6.4.4.1: the first type of the list that can represent the value. */
    unsigned __int128 v = e->ival;
    struct { uint64_t size; bool sgn; } cand[4];
    int n = 0;
    if (!e->is_unsigned) {
        if (e->longs == 0)
            cand[n].size = 4, cand[n++].sgn = true;
        if (e->longs == 0 && e->is_hex)
            cand[n].size = 4, cand[n++].sgn = false;
        cand[n].size = 8, cand[n++].sgn = true;
        if (e->is_hex || true)
            cand[n].size = 8, cand[n++].sgn = false; /* gcc extension for decimal too, with a warning */
    } else {
        if (e->longs == 0)
            cand[n].size = 4, cand[n++].sgn = false;
        cand[n].size = 8, cand[n++].sgn = false;
    }
    for (int i = 0; i < n; i++) {
        unsigned bits = (unsigned)cand[i].size * 8 - (cand[i].sgn ? 1 : 0);
        if (v < ((unsigned __int128)1 << bits)) {
            cd_type *t = ty_int(x, cand[i].size, cand[i].sgn);
            if (cand[i].size == 8 && e->longs == 2)
                t = cd_type_base(x->vs, TY_INT, 8, cand[i].sgn, cand[i].sgn ? "long long" : "unsigned long long");
            *out = cd_value_from_int(x, t, (__int128)v);
            return 0;
        }
    }
    return cd_fail(x->err, CD_EXIT_CMD, "integer constant at column %d is too large", e->col);
}

/* eval() recurses once per tree level, so its frame is what bounds how deep an expression may be
 * (cd_depth_exceeded): it only walks the tree, and everything that needs buffers, error copies or
 * temporaries is in the NOINLINE helpers below, whose frames are gone again before it recurses. */
#define NOINLINE __attribute__((noinline))

/* Nodes without operands. */
static NOINLINE int eval_leaf(cd_ectx *x, cd_expr *e, cd_value *out)
{
    switch (e->kind) {
    case E_INT:
        return int_literal(x, e, out);
    case E_CHAR:
        /* a char, as gdb types it (`97 'a'`): C says int, but it prints as the character */
        *out = cd_value_from_int(x, cd_type_char(x->vs), (int)(signed char)(uint8_t)e->ival);
        return 0;
    case E_FLOAT:
        *out = cd_value_from_float(x, e->is_float_suffix ? ty_float(x, 4) : ty_float(x, 8), e->fval);
        return 0;
    case E_STR: {
        cd_type *t = cd_type_array(x->vs, cd_type_char(x->vs), (int64_t)e->slen + 1);
        *out = bytes_value(x, t, e->slen + 1);
        memcpy(out->bytes, e->str, e->slen);
        return 0;
    }
    case E_IDENT:
        return cd_lookup_ident(x, e->str, out);
    case E_DOLLAR: {
        const regdesc *r = find_reg(e->str);
        if (r)
            return reg_value(x, r, out);
        cd_conv *c = find_conv(x->vs, e->str);
        if (c) {
            *out = c->v;
            return 0;
        }
        /* gdb's $_siginfo: the selected thread's siginfo of its stop (a core's NT_SIGINFO) */
        if (!strcmp(e->str, "_siginfo") && x->t && x->th) {
            cd_type *st = cd_type_siginfo(x->vs);
            cd_err e2;
            *out = bytes_value(x, st, cd_type_size(st));
            if (cd_target_get_regset(x->t, x->th, NT_SIGINFO, out->bytes, cd_type_size(st), &e2) < 0)
                return cd_failk(x->err, CD_EXIT_CMD, e2.kind, "Unable to read siginfo");
            return 0;
        }
        /* An unset convenience variable is void, as in gdb. */
        *out = (cd_value){.type = cd_type_base(x->vs, TY_VOID, 0, false, "void"), .where = V_BYTES,
                          .bytes = cd_arena_alloc(x->ar, 1), .regno = -1};
        return 0;
    }
    case E_HIST: {
        cd_vstate *vs = x->vs;
        int64_t idx = e->hist_rel ? (int64_t)vs->nhist + e->hist : e->hist;
        if (!vs->nhist)
            return cd_fail(x->err, CD_EXIT_CMD, "history is empty; print something first");
        if (idx < 1 || (size_t)idx > vs->nhist)
            return cd_fail(x->err, CD_EXIT_CMD, "history has no value $%lld (it holds $1..$%zu)", (long long)idx, vs->nhist);
        *out = vs->hist[idx - 1].v;
        return 0;
    }
    case E_SIZEOF_TYPE: {
        cd_type *t = cd_eval_tname(x, e->tn);
        if (!t)
            return -1;
        *out = cd_value_from_int(x, ty_ulong(x), (__int128)cd_type_size(t));
        return 0;
    }
    default:
        return cd_fail(x->err, CD_EXIT_CMD, "internal: unknown expression node");
    }
}

/* A unary operator applied to its evaluated operand A. */
static NOINLINE int eval_unary(cd_ectx *x, cd_expr *e, cd_value *a, cd_value *out)
{
    if (e->op == OP_ADDR) {
        if (a->bitsize)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot take the address of a bitfield (column %d)", e->col);
        if (a->where != V_MEM) {
            if (a->regno >= 0 || a->pieces)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot take the address of a value in a register (column %d)", e->col);
            if (a->where == V_OPTOUT)
                return cd_fail(x->err, CD_EXIT_CMD, "cannot take the address: value has been optimized out");
            return cd_fail(x->err, CD_EXIT_CMD, "cannot take the address of a value not in memory (column %d)", e->col);
        }
        *out = cd_value_from_int(x, cd_type_ptr(x->vs, a->type), a->addr);
        return 0;
    }
    if (e->op == OP_DEREF) {
        cd_type *s = cd_type_strip(a->type);
        if (s->kind == TY_FUNC) { /* *func is func */
            *out = *a;
            return 0;
        }
        return deref(x, a, out, e->col);
    }
    if (decay(x, a) != 0 || check_readable(x, a) != 0)
        return -1;
    if (e->op == OP_NOT) {
        bool t;
        if (to_bool(x, a, &t) != 0)
            return -1;
        *out = cd_value_from_int(x, truth_type(x), !t);
        return 0;
    }
    cd_type *s = cd_type_strip(a->type);
    if (!cd_type_is_arith(s) || (e->op == OP_BNOT && s->kind == TY_FLOAT)) {
        char n[256];
        tname(x, a->type, n, sizeof n);
        return cd_fail(x->err, CD_EXIT_CMD, "invalid operand to unary operator at column %d (%s)", e->col, n);
    }
    if (s->kind == TY_FLOAT) {
        long double f;
        if (cd_value_float(x, a, &f) != 0)
            return -1;
        *out = cd_value_from_float(x, a->type, e->op == OP_NEG ? -f : f);
        return 0;
    }
    cd_type *rt = promote(x, a->type);
    cd_value ca;
    __int128 i;
    if (convert(x, a, rt, &ca) != 0 || cd_value_int(x, &ca, &i) != 0)
        return -1;
    if (e->op == OP_NEG)
        i = (__int128)(0 - (unsigned __int128)i);
    else if (e->op == OP_BNOT)
        i = ~i;
    *out = cd_value_from_int(x, rt, i);
    return 0;
}

static NOINLINE int eval_truth(cd_ectx *x, cd_value *v, bool *out) { return to_bool(x, v, out); }

/* `c ? b : c`, OUT the chosen branch (C is true if the first was): arithmetic branches take the
 * common type, so `c ? 1 : 2.5` is a double either way. */
static NOINLINE int eval_ternary_type(cd_ectx *x, cd_expr *e, bool c, cd_value *out)
{
    if (!cd_type_is_arith(out->type) || x->no_side_effects)
        return 0;
    cd_value other;
    cd_err tmp, *save = x->err;
    x->err = &tmp;
    bool saved = x->no_side_effects;
    x->no_side_effects = true;
    int r = eval(x, c ? e->c : e->b, &other);
    x->no_side_effects = saved;
    x->err = save;
    if (r == 0 && cd_type_is_arith(other.type)) {
        cd_type *ct = common(x, out->type, other.type);
        cd_value cv;
        if (convert(x, out, ct, &cv) != 0)
            return -1;
        *out = cv;
    }
    return 0;
}

static NOINLINE cd_type *eval_cast_type(cd_ectx *x, cd_expr *e) { return cd_eval_tname(x, e->tn); }

static NOINLINE int eval_cast(cd_ectx *x, cd_type *t, cd_value *a, cd_value *out) { return convert(x, a, t, out); }

static NOINLINE int eval_arrow(cd_ectx *x, cd_expr *e, cd_value *a, cd_value *out)
{
    cd_type *s = cd_type_strip(a->type);
    if (s->kind != TY_PTR && s->kind != TY_ARRAY) {
        char n[256];
        tname(x, a->type, n, sizeof n);
        if (s->kind == TY_STRUCT || s->kind == TY_UNION)
            return cd_fail(x->err, CD_EXIT_CMD, "'->' on a %s, which is not a pointer; use '.'", n);
        return cd_fail(x->err, CD_EXIT_CMD, "cannot use '->' on a value of type %s: not a pointer", n);
    }
    cd_value b;
    if (deref(x, a, &b, e->col) != 0)
        return -1;
    return member(x, &b, e->str, out);
}

static NOINLINE int eval_index(cd_ectx *x, cd_expr *e, cd_value *a, cd_value *b, cd_value *out)
{
    cd_type *s = cd_type_strip(a->type);
    if (s->kind != TY_ARRAY && s->kind != TY_PTR && cd_type_strip(b->type)->kind != TY_PTR) {
        char n[256];
        tname(x, a->type, n, sizeof n);
        return cd_fail(x->err, CD_EXIT_CMD, "cannot subscript a value of type %s: not an array or pointer", n);
    }
    if (!cd_type_is_integral(b->type) && s->kind != TY_PTR && s->kind != TY_ARRAY)
        return cd_fail(x->err, CD_EXIT_CMD, "array subscript is not an integer (column %d)", e->col);
    __int128 i;
    if (check_readable(x, b) != 0 || cd_value_int(x, b, &i) != 0)
        return -1;
    if (s->kind == TY_ARRAY && a->where != V_MEM) {
        /* Arrays in registers / literals: index inside the bytes we have. */
        if (check_readable(x, a) != 0)
            return -1;
        if (i < 0 || (s->count >= 0 && i >= s->count))
            return cd_fail(x->err, CD_EXIT_CMD, "index %lld is out of bounds for an array of %lld held outside memory",
                           (long long)i, (long long)s->count);
        *out = cd_value_sub(a, s->target, (uint64_t)i * cd_type_size(s->target));
        return 0;
    }
    cd_value p;
    if (binary(x, OP_ADD, a, b, &p, e->col) != 0)
        return -1;
    return deref(x, &p, out, e->col);
}

static NOINLINE int eval_binary(cd_ectx *x, cd_expr *e, cd_value *a, cd_value *b, cd_value *out)
{
    return binary(x, e->op, a, b, out, e->col);
}

static NOINLINE int eval_member(cd_ectx *x, cd_expr *e, cd_value *a, cd_value *out)
{
    return member(x, a, e->str, out);
}

static NOINLINE int eval_sizeof(cd_ectx *x, cd_value *a, cd_value *out)
{
    *out = cd_value_from_int(x, ty_ulong(x), (__int128)cd_type_size(a->type));
    return 0;
}

static NOINLINE int eval_bool(cd_ectx *x, bool v, cd_value *out)
{
    *out = cd_value_from_int(x, truth_type(x), v);
    return 0;
}

/* A C++ reference used as an operand is the object it refers to; only the expression's own
 * value keeps its reference type (print shows `(int &) @0x...: 5`, whatis `int &`). */
static int coerce_ref(cd_ectx *x, cd_value *v)
{
    cd_type *s = cd_type_strip(v->type);
    if (!s || s->kind != TY_PTR || !s->ref || (v->where != V_MEM && v->where != V_BYTES))
        return 0;
    __int128 a;
    if (cd_value_int(x, v, &a) != 0)
        return -1;
    *v = (cd_value){.type = s->target, .where = V_MEM, .addr = (uint64_t)a, .lval = true, .regno = -1};
    return 0;
}

static int eval_raw(cd_ectx *x, cd_expr *e, cd_value *out);

/* ---------- function calls in the target ---------- */

/* Why this scope cannot call (one line, gdb-like), as the error of the call at COL. */
static int nocall_fail(cd_ectx *x)
{
    if (x->nocall)
        return cd_failk(x->err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot call functions: %s", x->nocall);
    if (!x->t)
        return cd_failk(x->err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "cannot call functions: the program is not running (start it with `run`, or `attach` to it)");
    if (!x->t->caps.can_run)
        return cd_failk(x->err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot call functions: the target is %s",
                        x->t->caps.post_mortem ? "a core file" : "not running");
    return cd_failk(x->err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                    "cannot call functions in a breakpoint condition or a tracepoint expression: they are evaluated "
                    "where the program cannot be stopped for a call");
}

/* The declared parameter types of function type FT (C++'s artificial `this` included, flagged),
 * and whether more may follow (`...`). Returns the count, or -1 when FT has no prototype to go by. */
static int call_params(cd_ectx *x, cd_type *ft, cd_type ***out, bool *varargs, bool *method)
{
    *varargs = false;
    *method = false;
    *out = NULL;
    if (!ft->has_die)
        return -1;
    Dwarf_Die c;
    int n = 0, cap = 0;
    cd_type **v = NULL;
    if (dwarf_child(&ft->die, &c) == 0)
        do {
            int tag = dwarf_tag(&c);
            if (tag == DW_TAG_unspecified_parameters) {
                *varargs = true;
            } else if (tag == DW_TAG_formal_parameter) {
                Dwarf_Attribute at;
                Dwarf_Die td;
                bool art = false;
                if (dwarf_attr_integrate(&c, DW_AT_artificial, &at))
                    dwarf_formflag(&at, &art);
                if (art && n == 0)
                    *method = true;
                cd_type *pt = NULL;
                if (dwarf_attr_integrate(&c, DW_AT_type, &at) && dwarf_formref_die(&at, &td))
                    pt = cd_type_from_die(x->vs, &td);
                if (!pt)
                    pt = cd_type_int(x->vs);
                if (n == cap) {
                    cap = cap ? 2 * cap : 8;
                    cd_type **nv = cd_arena_alloc(x->ar, (size_t)cap * sizeof *nv);
                    if (n)
                        memcpy(nv, v, (size_t)n * sizeof *nv);
                    v = nv;
                }
                v[n++] = pt;
            }
        } while (dwarf_siblingof(&c, &c) == 0);
    if (!ft->prototyped)
        *varargs = true; /* K&R: whatever is passed, promoted */
    *out = v;
    return n;
}

static bool is_aggregate(cd_type *t)
{
    t = cd_type_strip(t);
    return t->kind == TY_STRUCT || t->kind == TY_UNION;
}

/* One argument as the callee receives it: converted to its parameter's type PT, or (NULL: no
 * prototype says, or past `...`) given the default argument promotions (float to double, small
 * integers to int). A string literal stays a char array not in memory: the call copies it into
 * the target and passes its address, as gdb does. */
static int call_arg(cd_ectx *x, cd_type *pt, int i, cd_value *a, cd_value *out)
{
    cd_type *as = cd_type_strip(a->type);
    if (is_aggregate(a->type) || (pt && is_aggregate(pt))) {
        /* by value: the bytes of a struct of the parameter's size (gdb's casts between them too) */
        if (pt && (!is_aggregate(a->type) || cd_type_size(a->type) != cd_type_size(pt))) {
            char n1[256], n2[256];
            tname(x, a->type, n1, sizeof n1);
            tname(x, pt, n2, sizeof n2);
            return cd_fail(x->err, CD_EXIT_CMD, "cannot pass argument %d: a value of type %s for a parameter of type %s",
                           i + 1, n1, n2);
        }
        if (check_readable(x, a) != 0)
            return -1;
        *out = *a;
        if (pt)
            out->type = pt;
        return 0;
    }
    if (as->kind == TY_ARRAY && a->where == V_BYTES && !a->pieces && a->regno < 0) {
        cd_type *ps = pt ? cd_type_strip(pt) : NULL;
        if (!ps || ps->kind == TY_PTR) {
            *out = *a;
            return 0;
        }
    }
    cd_type *ps = pt ? cd_type_strip(pt) : NULL;
    if (ps && ps->kind == TY_PTR && ps->ref) {
        /* a C++ reference parameter: the object's address */
        if (a->where != V_MEM)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot pass argument %d by reference: it is not in memory", i + 1);
        *out = cd_value_from_int(x, pt, a->addr);
        return 0;
    }
    if (pt)
        return convert(x, a, pt, out);
    if (decay(x, a) != 0 || check_readable(x, a) != 0)
        return -1;
    as = cd_type_strip(a->type);
    if (as->kind == TY_FLOAT && as->size < 8)
        return convert(x, a, ty_float(x, 8), out);
    if (cd_type_is_integral(as))
        return convert(x, a, promote(x, a->type), out);
    *out = *a;
    return 0;
}

/* Is FN an STT_GNU_IFUNC symbol (strlen, memcpy in glibc)? Its address is a resolver that returns
 * the implementation to call, whose return type the DWARF does not tell. */
static bool is_ifunc(cd_ectx *x, uint64_t fn)
{
    if (!x->sym)
        return false;
    Dwfl_Module *m = dwfl_addrmodule(cd_symtab_dwfl(x->sym), fn);
    if (!m)
        return false;
    int ns = dwfl_module_getsymtab(m);
    for (int k = 1; k < ns; k++) {
        GElf_Sym sym;
        GElf_Addr addr;
        const char *sn = dwfl_module_getsym_info(m, k, &sym, &addr, NULL, NULL, NULL);
        if (sn && addr == fn && sym.st_shndx != SHN_UNDEF)
            if (GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC)
                return true;
    }
    return false;
}

/* A function whose DWARF says nothing of its return type because it was written in assembly
 * (glibc's system call stubs, getpid: gas gives them DW_TAG_unspecified_type): gdb takes its
 * return type as unknown, not void. */
static bool asm_untyped(cd_type *ft)
{
    if (!ft->has_die)
        return false;
    Dwarf_Die d = ft->die, cu, td;
    Dwarf_Attribute at;
    if (dwarf_attr_integrate(&d, DW_AT_type, &at))
        return dwarf_formref_die(&at, &td) && dwarf_tag(&td) == DW_TAG_unspecified_type;
    if (dwarf_tag(&d) != DW_TAG_subprogram || !dwarf_diecu(&d, &cu, NULL, NULL))
        return false;
    return dwarf_srclang(&cu) == DW_LANG_Mips_Assembler;
}

/* E_CALL: f(args), (*fp)(args), s->fn(args). CAST_RET: the type of a cast around the call, the
 * return type assumed for a function without debug info (`print (int)getpid()`), as gdb. */
static NOINLINE int eval_call(cd_ectx *x, cd_expr *e, cd_type *cast_ret, cd_value *out)
{
    /* why nothing can be called comes first: it is the answer whatever the callee */
    if (!x->no_side_effects && (!x->call || !x->t || !x->t->caps.can_run))
        return nocall_fail(x);
    cd_value fv;
    if (eval(x, e->a, &fv) != 0)
        return -1;
    const char *name = e->a->kind == E_IDENT ? e->a->str : NULL;
    cd_type *fs = cd_type_strip(fv.type), *ft;
    uint64_t fn;
    if (fs->kind == TY_FUNC) {
        if (fv.where != V_MEM)
            return cd_fail(x->err, CD_EXIT_CMD, "cannot call it: the function has no address");
        ft = fs;
        fn = fv.addr;
    } else if (fs->kind == TY_PTR && fs->target && cd_type_strip(fs->target)->kind == TY_FUNC) {
        __int128 p;
        if (check_readable(x, &fv) != 0 || cd_value_int(x, &fv, &p) != 0)
            return -1;
        ft = cd_type_strip(fs->target);
        fn = (uint64_t)p;
    } else {
        char n[256];
        tname(x, fv.type, n, sizeof n);
        return cd_fail(x->err, CD_EXIT_CMD, "cannot call a value of type %s (column %d): it is not a function", n,
                       e->col);
    }
    cd_type *ret = ft->target;
    bool ifunc = is_ifunc(x, fn);
    if ((!ft->has_die && !ft->ret_known) || ifunc || asm_untyped(ft)) {
        /* an ELF symbol without debug info: its `int` is a guess, which gdb will not call on */
        if (!cast_ret)
            return cd_fail(x->err, CD_EXIT_CMD, "'%s' has unknown return type; cast the call to its declared return type",
                           name ? name : "function");
        ret = cd_type_strip(cast_ret)->kind == TY_VOID ? NULL : cast_ret;
    }
    if (ret && cd_type_strip(ret)->kind == TY_VOID)
        ret = NULL;
    cd_type **pts = NULL;
    bool varargs, method;
    int np = ifunc ? -1 : call_params(x, ft, &pts, &varargs, &method);
    if (np < 0)
        varargs = method = false;
    if (method)
        return cd_failk(x->err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "cannot call %s: calling C++ member functions is not supported; call a free function",
                        name ? name : "it");
    /* gdb's words; more arguments than parameters are passed as they are (as gdb does) */
    if (np >= 0 && e->nargs < np)
        return cd_fail(x->err, CD_EXIT_CMD, "Too few arguments in function call.");
    if (ret && is_aggregate(ret) && !cd_type_size(ret))
        return cd_fail(x->err, CD_EXIT_CMD, "cannot call %s: its return type is incomplete", name ? name : "it");
    cd_value *args = cd_arena_alloc(x->ar, (size_t)(e->nargs ? e->nargs : 1) * sizeof *args);
    for (int i = 0; i < e->nargs; i++) {
        cd_value a;
        if (eval(x, e->args[i], &a) != 0)
            return -1;
        if (call_arg(x, i < np ? pts[i] : NULL, i, &a, &args[i]) != 0)
            return -1;
    }
    if (x->no_side_effects) {
        /* sizeof, whatis, ptype: the type only, nothing runs */
        cd_type *t = ret ? ret : cd_type_from_die(x->vs, NULL);
        uint64_t n = cd_type_size(t);
        *out = bytes_value(x, t, n ? n : 1);
        return 0;
    }
    if (!x->call)
        return nocall_fail(x);
    x->wrote = true; /* the call may have written anything: cached stacks are stale */
    if (ifunc) {
        /* the resolver first (as the dynamic linker calls it), then what it chose */
        cd_value impl;
        __int128 p;
        cd_type *vp = cd_type_ptr(x->vs, cd_type_from_die(x->vs, NULL));
        if (x->call(x->call_arg, x, fn, vp, NULL, 0, &impl) != 0 || cd_value_int(x, &impl, &p) != 0)
            return -1;
        fn = (uint64_t)p;
    }
    return x->call(x->call_arg, x, fn, ret, args, e->nargs, out);
}

static int eval(cd_ectx *x, cd_expr *e, cd_value *out)
{
    if (eval_raw(x, e, out) != 0)
        return -1;
    return coerce_ref(x, out);
}

static int eval_raw(cd_ectx *x, cd_expr *e, cd_value *out)
{
    if (cd_depth_exceeded(x->depth_limit))
        return cd_depth_fail(x->err, "evaluate", e->col);
    cd_value a, b;
    switch (e->kind) {
    case E_UNARY:
        if (eval(x, e->a, &a) != 0)
            return -1;
        return eval_unary(x, e, &a, out);
    case E_BINARY:
        if (e->op == OP_LAND || e->op == OP_LOR) {
            bool ta, tb = false;
            if (eval(x, e->a, &a) != 0 || eval_truth(x, &a, &ta) != 0)
                return -1;
            if ((e->op == OP_LAND && ta) || (e->op == OP_LOR && !ta)) {
                if (eval(x, e->b, &b) != 0 || eval_truth(x, &b, &tb) != 0)
                    return -1;
            }
            return eval_bool(x, e->op == OP_LAND ? (ta && tb) : (ta || tb), out);
        }
        if (eval(x, e->a, &a) != 0 || eval(x, e->b, &b) != 0)
            return -1;
        if (e->op == OP_AT)
            return eval_at(x, &a, &b, out);
        return eval_binary(x, e, &a, &b, out);
    case E_ASSIGN:
        return assign(x, e, out);
    case E_TERNARY: {
        bool c;
        if (eval(x, e->a, &a) != 0 || eval_truth(x, &a, &c) != 0)
            return -1;
        if (eval(x, c ? e->b : e->c, out) != 0)
            return -1;
        return eval_ternary_type(x, e, c, out);
    }
    case E_CAST: {
        /* The type first: an unknown type is the error to report, before any side effect. */
        cd_type *t = eval_cast_type(x, e);
        if (!t)
            return -1;
        if (e->a->kind == E_CALL) {
            /* the cast gives a function without debug info its return type */
            if (eval_call(x, e->a, t, &a) != 0 || coerce_ref(x, &a) != 0)
                return -1;
        } else if (eval(x, e->a, &a) != 0)
            return -1;
        return eval_cast(x, t, &a, out);
    }
    case E_CALL:
        return eval_call(x, e, NULL, out);
    case E_SIZEOF_EXPR: {
        bool saved = x->no_side_effects;
        x->no_side_effects = true;
        int r = eval(x, e->a, &a);
        x->no_side_effects = saved;
        if (r != 0)
            return -1;
        return eval_sizeof(x, &a, out);
    }
    case E_MEMBER:
        if (eval(x, e->a, &a) != 0)
            return -1;
        return eval_member(x, e, &a, out);
    case E_ARROW:
        if (eval(x, e->a, &a) != 0)
            return -1;
        return eval_arrow(x, e, &a, out);
    case E_INDEX:
        if (eval(x, e->a, &a) != 0 || eval(x, e->b, &b) != 0)
            return -1;
        return eval_index(x, e, &a, &b, out);
    case E_COMMA:
        if (eval(x, e->a, &a) != 0)
            return -1;
        return eval(x, e->b, out);
    default:
        return eval_leaf(x, e, out);
    }
}

int cd_eval(cd_ectx *x, cd_expr *e, cd_value *out)
{
    /* A nested call (an expression evaluated while evaluating one) keeps the outer limit. */
    bool outer = !x->depth_limit;
    if (outer)
        x->depth_limit = cd_depth_enter();
    int r = eval_raw(x, e, out);
    if (outer)
        x->depth_limit = 0;
    return r;
}

int cd_eval_string(cd_ectx *x, const char *src, cd_value *out)
{
    cd_expr *e = cd_expr_parse(x->ar, src, cd_ectx_is_typename, x, x->err);
    if (!e)
        return -1;
    return cd_eval(x, e, out);
}
