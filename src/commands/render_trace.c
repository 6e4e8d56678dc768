/* Rendering of tracepoint events (src/trace/trace.h cd_trace_event): one line per event, text
 * (`> work(x=5, acc=10) hot.c:4 [tid 1234]`, `< work = 16 (0.4 µs) [tid 1234]`) or one JSON object
 * per line (docs/json.md, "Trace events"). Used by `cdbg trace` and the prompt's `trace`.
 *
 * This runs once per hit, millions of times a second on a hot function: each line is built in
 * one buffer with no printf and no json-c object tree (JSON is written by hand, escaped as json-c
 * escapes, so the bytes are those json_object_to_json_string_ext(PLAIN) gave), then handed to
 * the stream in one fwrite (the stream's buffer makes that one large write per batch). */
#include "commands/cmd_impl.h"

#include <stdio.h>
#include <string.h>

typedef struct line {
    char *s;
    size_t n, cap;
    char small[512];
} line;

static void grow_slow(line *l, size_t more)
{
    size_t cap = l->cap * 2;
    while (cap < l->n + more)
        cap *= 2;
    char *s = cd_xmalloc(cap);
    memcpy(s, l->s, l->n);
    if (l->s != l->small)
        free(l->s);
    l->s = s;
    l->cap = cap;
}

static inline void grow(line *l, size_t more)
{
    if (__builtin_expect(l->n + more > l->cap, 0))
        grow_slow(l, more);
}

static inline void put(line *l, const char *s, size_t n)
{
    grow(l, n);
    memcpy(l->s + l->n, s, n);
    l->n += n;
}

static inline void puts_(line *l, const char *s)
{
    put(l, s, strlen(s));
}

static inline void putch(line *l, char c)
{
    grow(l, 1);
    l->s[l->n++] = c;
}

static void put_u64(line *l, uint64_t v)
{
    char t[24];
    put(l, t, cd_u64_dec(v, t));
}

/* The TID's digits, kept from the last event: one thread makes most of a hot function's hits. */
static void put_tid(line *l, pid_t tid)
{
    static pid_t last = -1;
    static char t[24];
    static size_t n;
    if (tid != last) {
        last = tid;
        n = tid < 0 ? 0 : cd_u64_dec((uint64_t)tid, t);
        if (tid < 0) {
            t[0] = '-';
            n = 1 + cd_u64_dec((uint64_t)0 - (uint64_t)(int64_t)tid, t + 1);
        }
    }
    put(l, t, n);
}

static void put_i64(line *l, int64_t v)
{
    if (v < 0) {
        putch(l, '-');
        put_u64(l, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(l, (uint64_t)v);
    }
}

/* A JSON string as json-c 0.16 writes it: ", \, / and \b \f \n \r \t escaped, other control
 * characters as \u00xx, everything else (UTF-8 included) as is. */
static void put_jstr(line *l, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    putch(l, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\' && c != '/')
            continue;
        put(l, run, (size_t)(s - run));
        run = s + 1;
        switch (c) {
        case '"': put(l, "\\\"", 2); break;
        case '\\': put(l, "\\\\", 2); break;
        case '/': put(l, "\\/", 2); break;
        case '\b': put(l, "\\b", 2); break;
        case '\f': put(l, "\\f", 2); break;
        case '\n': put(l, "\\n", 2); break;
        case '\r': put(l, "\\r", 2); break;
        case '\t': put(l, "\\t", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(l, u, 6);
        }
        }
    }
    put(l, run, (size_t)(s - run));
    putch(l, '"');
}

static const char *base_name(const char *p)
{
    const char *s = p ? strrchr(p, '/') : NULL;
    return s ? s + 1 : p;
}

static void dur_text(uint64_t ns, char *b, size_t n)
{
    if (ns < 1000)
        snprintf(b, n, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(b, n, "%.1f µs", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(b, n, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(b, n, "%.2f s", (double)ns / 1e9);
}

/* What does not change from one hit of a probe to the next, made once per probe (the event's
 * key): the text line's pieces around the values ("> work(x=", ", acc=", ") hot.c:17 [tid ") and
 * the JSON's ,"function":"work","file":"...","line":17 (escaping a path at every hit cost more
 * than the rest of the line). A slot per key (modulo); a key is never reused, so a slot is never
 * taken for another probe's pieces. */
typedef struct seg {
    uint64_t key;
    line text, json;
    size_t *off;            /* text: piece i is text.s[off[i], off[i + 1]): piece 0 before the first
                               value, piece i before value i, the last one before the TID */
    size_t nvals;
} seg;
struct cd_trace_segs {
    seg slot[64];
};

static void seg_free(line *l)
{
    if (l->s != l->small)
        free(l->s);
}

static const seg *seg_of(cd_trace_out *o, const cd_trace_event *ev)
{
    seg *g = &o->segs->slot[ev->key % 64];
    if (ev->key && g->key == ev->key)
        return g;
    if (g->key || g->off) {
        seg_free(&g->text);
        seg_free(&g->json);
        free(g->off);
    }
    memset(g, 0, sizeof *g);
    g->key = ev->key;
    g->text.s = g->text.small;
    g->text.cap = sizeof g->text.small;
    g->json.s = g->json.small;
    g->json.cap = sizeof g->json.small;
    put(&g->json, ",\"function\":", 12);
    put_jstr(&g->json, ev->func);
    put(&g->json, ",\"file\":", 8);
    if (ev->file)
        put_jstr(&g->json, ev->file);
    else
        put(&g->json, "null", 4);
    put(&g->json, ",\"line\":", 8);
    put_i64(&g->json, ev->line);
    return g;
}

/* The text pieces, from the key's first entry (a return may have made its slot). */
static const seg *seg_text(cd_trace_out *o, const cd_trace_event *ev)
{
    seg *g = (seg *)seg_of(o, ev);
    if (g->off && g->key && g->nvals == ev->nargs + ev->nexprs)
        return g;
    free(g->off);
    g->text.n = 0;
    g->nvals = ev->nargs + ev->nexprs;
    g->off = cd_xcalloc(g->nvals + 2, sizeof *g->off);
    line *t = &g->text;
    put(t, "> ", 2);
    puts_(t, ev->func);
    putch(t, '(');
    /* the arguments' names inside the parentheses, then the place, then the expressions' names */
    for (size_t i = 0; i <= g->nvals; i++) {
        if (i == ev->nargs) {
            putch(t, ')');
            if (ev->file) {
                putch(t, ' ');
                puts_(t, base_name(ev->file));
                putch(t, ':');
                put_i64(t, ev->line);
            }
        }
        if (i == g->nvals)
            break;
        if (i && i < ev->nargs)
            put(t, ", ", 2);
        if (i >= ev->nargs)
            putch(t, ' ');
        puts_(t, i < ev->nargs ? ev->args[i].name : ev->exprs[i - ev->nargs].name);
        putch(t, '=');
        g->off[i + 1] = t->n;
    }
    put(t, " [tid ", 6);
    g->off[0] = 0;
    g->off[g->nvals + 1] = t->n;
    return g;
}

/* One value as JSON: its json-c object, or the literal the trace core's plan made, or null. */
static void put_jval(line *l, const cd_trace_val *v)
{
    if (v->json)
        puts_(l, json_object_to_json_string_ext(v->json, JSON_C_TO_STRING_PLAIN));
    else if (v->json_raw)
        puts_(l, v->json_raw);
    else
        put(l, "null", 4);
}

static void put_jvals(line *l, const cd_trace_val *v, size_t n)
{
    putch(l, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            putch(l, ',');
        put_jstr(l, v[i].name);
        putch(l, ':');
        put_jval(l, &v[i]);
    }
    putch(l, '}');
}

static void render_json(cd_trace_out *o, line *l, const cd_trace_event *ev)
{
    static const char *names[] = {"", "entry", "return", "dropped"};
    put(l, "{\"event\":", 9);
    put_jstr(l, names[ev->kind]);
    if (ev->kind == CD_REC_DROPPED) {
        put(l, ",\"count\":", 9);
        put_u64(l, ev->dropped);
        if (ev->drop_why == CD_DROP_RETURNS)
            put(l, ",\"what\":\"returns\"", 17);
        if (ev->func) {
            put(l, ",\"function\":", 12);
            put_jstr(l, ev->func);
        }
        if (ev->tid) {
            put(l, ",\"tid\":", 7);
            put_i64(l, ev->tid);
        }
    } else {
        put(l, ",\"ts_ns\":", 9);
        put_u64(l, ev->ts_ns);
        put(l, ",\"tid\":", 7);
        put_i64(l, ev->tid);
        const seg *g = seg_of(o, ev);
        put(l, g->json.s, g->json.n);
        if (ev->kind == CD_REC_ENTRY) {
            put(l, ",\"args\":", 8);
            put_jvals(l, ev->args, ev->nargs);
            put(l, ",\"exprs\":", 9);
            put_jvals(l, ev->exprs, ev->nexprs);
            /* the values read from the process after the hit, by name (arguments, then -e) */
            bool any = false;
            for (size_t i = 0; i < ev->nargs + ev->nexprs; i++) {
                const cd_trace_val *v = i < ev->nargs ? &ev->args[i] : &ev->exprs[i - ev->nargs];
                if (!v->late)
                    continue;
                put(l, any ? "," : ",\"late\":[", any ? 1 : 9);
                put_jstr(l, v->name);
                any = true;
            }
            if (any)
                putch(l, ']');
        } else {
            if (ev->has_ret) {
                put(l, ",\"return\":{\"type\":", 18);
                put_jstr(l, ev->ret_type);
                put(l, ",\"value\":", 9);
                put_jval(l, &ev->ret);
                if (ev->ret.late)
                    put(l, ",\"late\":true", 12);
                putch(l, '}');
            }
            if (ev->has_dur) {
                put(l, ",\"dur_ns\":", 10);
                put_u64(l, ev->dur_ns);
            }
        }
    }
    putch(l, '}');
}

static void render_text(cd_trace_out *o, line *l, const cd_trace_event *ev)
{
    if (ev->kind == CD_REC_ENTRY) {
        const seg *g = seg_text(o, ev);
        for (size_t i = 0; i < g->nvals; i++) {
            put(l, g->text.s + g->off[i], g->off[i + 1] - g->off[i]);
            puts_(l, i < ev->nargs ? ev->args[i].text : ev->exprs[i - ev->nargs].text);
        }
        put(l, g->text.s + g->off[g->nvals], g->off[g->nvals + 1] - g->off[g->nvals]);
        put_tid(l, ev->tid);
        putch(l, ']');
        return;
    } else if (ev->kind == CD_REC_RETURN) {
        put(l, "< ", 2);
        puts_(l, ev->func);
        if (ev->has_ret) {
            put(l, " = ", 3);
            puts_(l, ev->ret.text);
        }
        if (ev->has_dur) {
            char d[32];
            dur_text(ev->dur_ns, d, sizeof d);
            put(l, " (", 2);
            puts_(l, d);
            putch(l, ')');
        }
    } else if (ev->drop_why == CD_DROP_RETURNS) {
        put(l, "! ", 2);
        put_u64(l, ev->dropped);
        puts_(l, " returns of ");
        puts_(l, ev->func ? ev->func : "?");
        puts_(l, " lost: a longjmp or an exception left the calls, or their thread's shadow stack was full");
        return;
    } else {
        put(l, "! ", 2);
        put_u64(l, ev->dropped);
        puts_(l, " records lost");
        if (ev->func) {
            put(l, " (", 2);
            puts_(l, ev->func);
            putch(l, ')');
        }
        puts_(l, ": the ring buffer was full; a larger --buffer-size keeps them");
        return;
    }
    put(l, " [tid ", 6);
    put_i64(l, ev->tid);
    putch(l, ']');
}

int cd_trace_render(void *arg, const cd_trace_event *ev)
{
    cd_trace_out *o = arg;
    /* not `line l = {...}`: that clears the 512-byte buffer at every event (half this function's
     * time) */
    line l;
    l.n = 0;
    l.cap = sizeof l.small;
    l.s = l.small;
    if (!o->segs)
        o->segs = cd_xcalloc(1, sizeof *o->segs);
    if (o->json)
        render_json(o, &l, ev);
    else
        render_text(o, &l, ev);
    putch(&l, '\n');
    size_t w = fwrite_unlocked(l.s, 1, l.n, o->fp);
    if (l.s != l.small)
        free(l.s);
    return w == l.n ? 0 : -1;
}

void cd_trace_out_free(cd_trace_out *o)
{
    if (!o->segs)
        return;
    for (size_t i = 0; i < 64; i++) {
        seg *g = &o->segs->slot[i];
        seg_free(&g->text); /* a slot never used: s is NULL */
        seg_free(&g->json);
        free(g->off);
    }
    free(o->segs);
    o->segs = NULL;
}
