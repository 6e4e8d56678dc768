/* watch, rwatch, awatch: hardware watchpoints (src/control/watch.h), and how they are shown: when
 * set, in `breakpoints`, and in a stop (old and new value, as gdb shows them). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"
#include "control/watch.h"
#include "expr/expr_int.h"

/* ---- setting ---- */

static int set_watch(cd_session *s, cd_bp_kind kind, const char *cmd, cd_err *err)
{
    const char *a = s->raw_args ? s->raw_args : "";
    while (isspace((unsigned char)*a))
        a++;
    if (kind == CD_BPK_WATCH && *a == '-') {
        /* watch -r / -rw (-a: gdb's awatch letter) */
        size_t n = strcspn(a, " \t");
        if (n == 2 && a[1] == 'r')
            kind = CD_BPK_RWATCH;
        else if ((n == 3 && !strncmp(a, "-rw", 3)) || (n == 2 && a[1] == 'a'))
            kind = CD_BPK_AWATCH;
        else if (!(n == 2 && a[1] == 'w'))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "watch: unknown option '%.*s'; usage: %s", (int)n, a,
                            cd_command_find("watch")->usage);
        a += n;
        while (isspace((unsigned char)*a))
            a++;
    }
    char *expr, *cond;
    cd_split_if(a, &expr, &cond);
    int rc = -1;
    if (!*expr)
        cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: what? usage: %s", cmd, cd_command_find(cmd)->usage);
    else if (cond && !*cond)
        cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "%s: `if` needs a condition: %s EXPR if COND", cmd, cmd);
    else {
        cd_scope sc;
        cd_session_scope(s, &sc);
        cd_bp *b = cd_ctl_watch(s->ctl, &sc, expr, kind, cond, err);
        if (b) {
            cd_render_watch_set(s, cmd, b);
            rc = 0;
        }
    }
    free(expr);
    free(cond);
    return rc;
}

int cd_cmd_watch(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc, (void)argv;
    return set_watch(s, CD_BPK_WATCH, "watch", err);
}

int cd_cmd_rwatch(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc, (void)argv;
    return set_watch(s, CD_BPK_RWATCH, "rwatch", err);
}

int cd_cmd_awatch(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc, (void)argv;
    return set_watch(s, CD_BPK_AWATCH, "awatch", err);
}

/* ---- rendering ---- */

static json_object *slots_json(const cd_watch *w)
{
    json_object *a = json_object_new_array();
    for (int k = 0; w->armed && k < w->nchunks; k++)
        json_object_array_add(a, json_object_new_int(w->slots[k]));
    return a;
}

/* Fields every JSON form of a watchpoint has. */
static void watch_fields(json_object *j, const cd_bp *b)
{
    const cd_watch *w = b->watch;
    json_object_object_add(j, "kind", json_object_new_string(cd_watch_kind_name(b->kind)));
    json_object_object_add(j, "expr", json_object_new_string(b->spec));
    json_object_object_add(j, "address", cd_json_hex(w->addr));
    json_object_object_add(j, "size", json_object_new_int64((int64_t)w->len));
    json_object_object_add(j, "debug_registers", slots_json(w));
    json_object *sc = NULL;
    if (w->scoped) {
        sc = json_object_new_object();
        json_object_object_add(sc, "function", json_object_new_string(w->func ? w->func : "??"));
        json_object_object_add(sc, "tid", json_object_new_int(w->tid));
    }
    json_object_object_add(j, "scope", sc);
}

void cd_render_watch_set(cd_session *s, const char *cmd, const cd_bp *b)
{
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "id", json_object_new_int(b->id));
        watch_fields(j, b);
        json_object_object_add(j, "condition", cd_json_str_or_null(b->cond));
        cd_out_json(&s->out, j);
        return;
    }
    cd_out_printf(&s->out, "%s %d: %s%s%s\n", cd_watch_kind_title(b->kind), b->id, b->spec, b->cond ? " if " : "",
                  b->cond ? b->cond : "");
}

json_object *cd_render_watch_listed(cd_session *s, const cd_bp *b)
{
    const cd_watch *w = b->watch;
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "id", json_object_new_int(b->id));
        json_object_object_add(j, "spec", json_object_new_string(b->spec));
        json_object_object_add(j, "temporary", json_object_new_boolean(0));
        json_object_object_add(j, "hits", json_object_new_int64((int64_t)b->hits));
        json_object_object_add(j, "condition", cd_json_str_or_null(b->cond));
        if (!b->enabled)
            json_object_object_add(j, "enabled", json_object_new_boolean(0));
        if (b->ignore)
            json_object_object_add(j, "ignore", json_object_new_int64((int64_t)b->ignore));
        json_object *wj = json_object_new_object();
        watch_fields(wj, b);
        json_object_object_add(j, "watchpoint", wj);
        json_object_object_add(j, "locations", json_object_new_array());
        if (b->ncmds) {
            json_object *ca = json_object_new_array();
            for (size_t k = 0; k < b->ncmds; k++)
                json_object_array_add(ca, json_object_new_string(b->cmds[k]));
            json_object_object_add(j, "commands", ca);
        }
        return j;
    }
    cd_out_printf(&s->out, "%s %d: %s, hit %lu time%s", cd_watch_kind_title(b->kind), b->id, b->spec, b->hits,
                  b->hits == 1 ? "" : "s");
    cd_render_bp_state(s, b);
    cd_out_printf(&s->out, "\n    %llu byte%s at 0x%016llx", (unsigned long long)w->len, w->len == 1 ? "" : "s",
                  (unsigned long long)w->addr);
    if (w->armed) {
        cd_out_printf(&s->out, " (debug register%s", w->nchunks == 1 ? "" : "s");
        for (int k = 0; k < w->nchunks; k++)
            cd_out_printf(&s->out, "%s%d", k ? ", " : " ", w->slots[k]);
        cd_out_printf(&s->out, ")");
    }
    if (w->scoped)
        cd_out_printf(&s->out, ", a local of %s in thread tid %d", w->func ? w->func : "??", (int)w->tid);
    cd_out_printf(&s->out, "\n");
    for (size_t k = 0; k < b->ncmds; k++)
        cd_out_printf(&s->out, "    on: %s\n", b->cmds[k]);
    return NULL;
}

/* The value of a hit's bytes, in the session's format (text) or as print --json encodes it. */
static cd_value hit_value(const cd_watchhit *h, uint8_t *bytes)
{
    cd_value v = {.type = h->type, .where = V_BYTES, .bytes = bytes, .regno = -1, .bitsize = h->bitsize,
                  .bitpos = h->bitpos};
    return v;
}

static void bytes_text(const uint8_t *p, uint64_t n, cd_buf *b)
{
    cd_buf_puts(b, "{");
    for (uint64_t i = 0; i < n; i++)
        cd_buf_printf(b, "%s0x%02x", i ? ", " : "", p[i]);
    cd_buf_puts(b, "}");
}

static void value_text(cd_ectx *x, const cd_fmtopt *o, const cd_watchhit *h, uint8_t *bytes, cd_buf *b)
{
    if (!h->type) {
        bytes_text(bytes, h->len, b);
        return;
    }
    cd_value v = hit_value(h, bytes);
    cd_format_value(x, &v, o, true, b);
}

static json_object *value_json(cd_ectx *x, const cd_fmtopt *o, const cd_watchhit *h, uint8_t *bytes)
{
    if (!h->type) {
        cd_buf b = {0};
        bytes_text(bytes, h->len, &b);
        json_object *j = json_object_new_string(cd_buf_str(&b));
        cd_buf_free(&b);
        return j;
    }
    cd_value v = hit_value(h, bytes);
    return cd_value_json(x, &v, o);
}

void cd_render_watch_stop(cd_session *s, const cd_stop *st, json_object *j)
{
    if (!st->nwatch)
        return;
    cd_arena ar = {0};
    cd_ectx x;
    cd_err xe;
    cd_session_ectx(&x, s, &ar, &xe);
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    json_object *arr = j ? json_object_new_array() : NULL;
    for (size_t i = 0; i < st->nwatch; i++) {
        const cd_watchhit *h = &st->watch[i];
        if (arr) {
            json_object *e = json_object_new_object();
            json_object_object_add(e, "id", json_object_new_int(h->id));
            json_object_object_add(e, "kind", json_object_new_string(cd_watch_kind_name(h->kind)));
            json_object_object_add(e, "expr", json_object_new_string(h->expr));
            if (h->scope_left) {
                json_object_object_add(e, "left_scope", json_object_new_boolean(1));
            } else {
                json_object_object_add(e, "hits", json_object_new_int64((int64_t)h->hits));
                if (h->type) {
                    cd_buf tb = {0};
                    cd_type_name(x.vs, h->type, &tb);
                    json_object_object_add(e, "type", json_object_new_string(cd_buf_str(&tb)));
                    cd_buf_free(&tb);
                }
                if (h->changed) {
                    json_object_object_add(e, "old", value_json(&x, &o, h, h->old_bytes));
                    json_object_object_add(e, "new", value_json(&x, &o, h, h->new_bytes));
                } else {
                    json_object_object_add(e, "value", value_json(&x, &o, h, h->new_bytes));
                }
            }
            json_object_array_add(arr, e);
            continue;
        }
        if (h->scope_left) {
            cd_out_printf(&s->out,
                          "Watchpoint %d deleted because the program has left the block in which its expression is "
                          "valid.\n",
                          h->id);
            continue;
        }
        cd_out_printf(&s->out, "%s %d: %s, thread tid %d\n", cd_watch_kind_title(h->kind), h->id, h->expr, (int)st->tid);
        cd_buf b = {0};
        if (h->changed) {
            value_text(&x, &o, h, h->old_bytes, &b);
            cd_out_printf(&s->out, "Old value = %s\n", cd_buf_str(&b));
            cd_buf_free(&b);
            value_text(&x, &o, h, h->new_bytes, &b);
            cd_out_printf(&s->out, "New value = %s\n", cd_buf_str(&b));
        } else {
            value_text(&x, &o, h, h->new_bytes, &b);
            cd_out_printf(&s->out, "Value = %s\n", cd_buf_str(&b));
        }
        cd_buf_free(&b);
    }
    if (arr)
        json_object_object_add(j, "watchpoints", arr);
    cd_arena_free(&ar);
}
