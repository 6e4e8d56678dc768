/* Rendering of tracepoint events (src/trace/trace.h cd_trace_event): one line per event, text
 * (`> work(x=5, acc=10) hot.c:4 [tid 1234]`, `< work = 16 (0.4 µs) [tid 1234]`) or one JSON object
 * per line (docs/json.md, "Trace events"). Used by `cdbg trace` and the prompt's `trace`. */
#include "commands/cmd_impl.h"

#include <stdio.h>
#include <string.h>

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

static json_object *vals_json(const cd_trace_val *v, size_t n)
{
    json_object *o = json_object_new_object();
    for (size_t i = 0; i < n; i++)
        json_object_object_add(o, v[i].name, v[i].json ? json_object_get(v[i].json) : NULL);
    return o;
}

int cd_trace_render(void *arg, const cd_trace_event *ev)
{
    cd_trace_out *o = arg;
    FILE *f = o->fp;
    if (o->json) {
        json_object *j = json_object_new_object();
        static const char *names[] = {"", "entry", "return", "dropped"};
        json_object_object_add(j, "event", json_object_new_string(names[ev->kind]));
        if (ev->kind == CD_REC_DROPPED) {
            json_object_object_add(j, "count", cd_json_u64(ev->dropped));
            if (ev->drop_why == CD_DROP_RETURNS)
                json_object_object_add(j, "what", json_object_new_string("returns"));
            if (ev->func)
                json_object_object_add(j, "function", json_object_new_string(ev->func));
            if (ev->tid)
                json_object_object_add(j, "tid", json_object_new_int64(ev->tid));
        } else {
            json_object_object_add(j, "ts_ns", cd_json_u64(ev->ts_ns));
            json_object_object_add(j, "tid", json_object_new_int64(ev->tid));
            json_object_object_add(j, "function", json_object_new_string(ev->func));
            json_object_object_add(j, "file", cd_json_str_or_null(ev->file));
            json_object_object_add(j, "line", json_object_new_int(ev->line));
            if (ev->kind == CD_REC_ENTRY) {
                json_object_object_add(j, "args", vals_json(ev->args, ev->nargs));
                json_object_object_add(j, "exprs", vals_json(ev->exprs, ev->nexprs));
            } else {
                if (ev->has_ret) {
                    json_object *r = json_object_new_object();
                    json_object_object_add(r, "type", json_object_new_string(ev->ret_type));
                    json_object_object_add(r, "value", ev->ret.json ? json_object_get(ev->ret.json) : NULL);
                    json_object_object_add(j, "return", r);
                }
                if (ev->has_dur)
                    json_object_object_add(j, "dur_ns", cd_json_u64(ev->dur_ns));
            }
        }
        fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), f);
        json_object_put(j);
    } else if (ev->kind == CD_REC_ENTRY) {
        fputs("> ", f);
        fputs(ev->func, f);
        putc('(', f);
        for (size_t i = 0; i < ev->nargs; i++) {
            if (i)
                fputs(", ", f);
            fputs(ev->args[i].name, f);
            putc('=', f);
            fputs(ev->args[i].text, f);
        }
        putc(')', f);
        if (ev->file)
            fprintf(f, " %s:%d", base_name(ev->file), ev->line);
        for (size_t i = 0; i < ev->nexprs; i++)
            fprintf(f, " %s=%s", ev->exprs[i].name, ev->exprs[i].text);
        fprintf(f, " [tid %d]", (int)ev->tid);
    } else if (ev->kind == CD_REC_RETURN) {
        fprintf(f, "< %s", ev->func);
        if (ev->has_ret)
            fprintf(f, " = %s", ev->ret.text);
        if (ev->has_dur) {
            char d[32];
            dur_text(ev->dur_ns, d, sizeof d);
            fprintf(f, " (%s)", d);
        }
        fprintf(f, " [tid %d]", (int)ev->tid);
    } else if (ev->drop_why == CD_DROP_RETURNS) {
        fprintf(f, "! %llu returns of %s lost: a longjmp or an exception left the calls, or their thread's shadow stack was full",
                (unsigned long long)ev->dropped, ev->func ? ev->func : "?");
    } else {
        fprintf(f, "! %llu records lost", (unsigned long long)ev->dropped);
        if (ev->func)
            fprintf(f, " (%s)", ev->func);
        fputs(": the ring buffer was full; a larger --buffer-size keeps them", f);
    }
    if (putc('\n', f) == EOF)
        return -1;
    return 0;
}
