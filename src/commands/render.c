/* One renderer for what src/control returns: stop reports (continue, finish, the steps, run's first
 * stop) and breakpoints (set, listed), as text or JSON. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"
#include "expr/expr_int.h"

/* "SEGV", "34" */
static const char *sig_abbrev(int sig, char buf[16])
{
    return cd_sig_name(sig, buf) + 3;
}

/* "func at file:line" (or "func from module", or the address) for one breakpoint address. */
static void where_text(cd_session *s, uint64_t addr, cd_buf *b)
{
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(s->sym, addr, &pi);
    if (n < 1 || !pi[0].func) {
        cd_buf_printf(b, "0x%llx", (unsigned long long)addr);
        return;
    }
    cd_buf_puts(b, pi[0].func);
    if (pi[0].file && pi[0].line > 0) {
        const char *base = strrchr(pi[0].file, '/');
        cd_buf_printf(b, " at %s:%d", base ? base + 1 : pi[0].file, pi[0].line);
    } else if (pi[n - 1].module) {
        cd_buf_printf(b, " from %s", pi[n - 1].module);
    }
}

static json_object *where_json(cd_session *s, uint64_t addr)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "address", cd_json_hex(addr));
    const cd_pcinfo *pi;
    int n = cd_symtab_lookup(s->sym, addr, &pi);
    json_object_object_add(j, "function", cd_json_str_or_null(n > 0 ? pi[0].func : NULL));
    json_object_object_add(j, "file", cd_json_str_or_null(n > 0 ? pi[0].file : NULL));
    json_object_object_add(j, "line", n > 0 && pi[0].line > 0 ? json_object_new_int(pi[0].line) : NULL);
    return j;
}

void cd_render_bp_set(cd_session *s, const char *cmd, const cd_bp *b)
{
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "id", json_object_new_int(b->id));
        json_object *la = json_object_new_array();
        for (size_t k = 0; k < b->nlocs; k++)
            json_object_array_add(la, where_json(s, b->locs[k].addr));
        json_object_object_add(j, "locations", la);
        json_object_object_add(j, "condition", cd_json_str_or_null(b->cond));
        if (b->pending)
            json_object_object_add(j, "pending", json_object_new_boolean(1));
        cd_out_json(&s->out, j);
        return;
    }
    if (b->nlocs == 0) {
        cd_out_printf(&s->out, "%s %d (%s) pending: set when a library that has it is loaded\n",
                      b->kind == CD_BPK_TEMP ? "Temporary breakpoint" : "Breakpoint", b->id, b->spec);
        return;
    }
    cd_buf w = {0};
    where_text(s, b->locs[0].addr, &w);
    cd_out_printf(&s->out, "%s %d at 0x%llx: %s", b->kind == CD_BPK_TEMP ? "Temporary breakpoint" : "Breakpoint", b->id,
                  (unsigned long long)b->locs[0].addr, cd_buf_str(&w));
    if (b->nlocs > 1)
        cd_out_printf(&s->out, " (and %zu more location%s)", b->nlocs - 1, b->nlocs == 2 ? "" : "s");
    if (b->cond)
        cd_out_printf(&s->out, " if %s", b->cond);
    cd_out_printf(&s->out, "\n");
    cd_buf_free(&w);
}

/* The part of a `breakpoints` line every kind shares: condition, hit-count rule, ignore count,
 * disabled. */
void cd_render_bp_state(cd_session *s, const cd_bp *b)
{
    if (b->cond)
        cd_out_printf(&s->out, ", if %s", b->cond);
    if (b->hit_op[0])
        cd_out_printf(&s->out, ", when hits %s %lu", b->hit_op, b->hit_val);
    if (b->ignore)
        cd_out_printf(&s->out, ", ignore next %lu hit%s", b->ignore, b->ignore == 1 ? "" : "s");
    if (!b->enabled)
        cd_out_printf(&s->out, ", disabled");
}

void cd_render_bps(cd_session *s)
{
    cd_bp **bps;
    size_t n = cd_ctl_bps(s->ctl, &bps);
    json_object *arr = s->out.json ? json_object_new_array() : NULL;
    if (!arr && n == 0)
        cd_out_printf(&s->out, "No breakpoints.\n");
    for (size_t i = 0; i < n; i++) {
        cd_bp *b = bps[i];
        if (b->watch) { /* cmd_watch.c */
            json_object *wj = cd_render_watch_listed(s, b);
            if (arr)
                json_object_array_add(arr, wj);
            continue;
        }
        bool temp = b->kind == CD_BPK_TEMP;
        if (arr) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "id", json_object_new_int(b->id));
            json_object_object_add(j, "spec", json_object_new_string(b->spec));
            json_object_object_add(j, "temporary", json_object_new_boolean(temp));
            if (b->trace) {
                json_object_object_add(j, "tracepoint", json_object_new_boolean(1));
                json_object *ea = json_object_new_array();
                for (size_t k = 0; k < b->ntexprs; k++)
                    json_object_array_add(ea, json_object_new_string(b->texprs[k]));
                json_object_object_add(j, "exprs", ea);
            }
            json_object_object_add(j, "hits", json_object_new_int64((int64_t)b->hits));
            json_object_object_add(j, "condition", cd_json_str_or_null(b->cond));
            if (b->hit_op[0]) {
                char hc[64];
                snprintf(hc, sizeof hc, "%s %lu", b->hit_op, b->hit_val);
                json_object_object_add(j, "hitcount_condition", json_object_new_string(hc));
            }
            if (!b->enabled)
                json_object_object_add(j, "enabled", json_object_new_boolean(0));
            if (b->ignore)
                json_object_object_add(j, "ignore", json_object_new_int64((int64_t)b->ignore));
            if (b->pending)
                json_object_object_add(j, "pending", json_object_new_boolean(1));
            json_object *la = json_object_new_array();
            for (size_t k = 0; s->sym && k < b->nlocs; k++)
                json_object_array_add(la, where_json(s, b->locs[k].addr));
            json_object_object_add(j, "locations", la);
            if (b->ncmds) {
                json_object *ca = json_object_new_array();
                for (size_t k = 0; k < b->ncmds; k++)
                    json_object_array_add(ca, json_object_new_string(b->cmds[k]));
                json_object_object_add(j, "commands", ca);
            }
            json_object_array_add(arr, j);
            continue;
        }
        cd_out_printf(&s->out, "%s %d%s (%s), hit %lu time%s", b->trace ? "Tracepoint" : "Breakpoint", b->id,
                      temp ? " [temporary]" : "", b->spec, b->hits, b->hits == 1 ? "" : "s");
        cd_render_bp_state(s, b);
        if (b->pending)
            cd_out_printf(&s->out, ", pending");
        cd_out_printf(&s->out, "\n");
        for (size_t k = 0; s->sym && k < b->nlocs; k++) { /* no process: its locations went with it */
            cd_buf w = {0};
            where_text(s, b->locs[k].addr, &w);
            if (b->nlocs > 1) /* gdb's numbers for the locations of one breakpoint */
                cd_out_printf(&s->out, "    %d.%zu 0x%016llx in %s\n", b->id, k + 1, (unsigned long long)b->locs[k].addr,
                              cd_buf_str(&w));
            else
                cd_out_printf(&s->out, "    0x%016llx in %s\n", (unsigned long long)b->locs[k].addr, cd_buf_str(&w));
            cd_buf_free(&w);
        }
        for (size_t k = 0; k < b->ncmds; k++)
            cd_out_printf(&s->out, "    on: %s\n", b->cmds[k]);
        for (size_t k = 0; k < b->ntexprs; k++)
            cd_out_printf(&s->out, "    records: %s\n", b->texprs[k]);
    }
    if (arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("breakpoints"));
        json_object_object_add(j, "breakpoints", arr);
        cd_out_json(&s->out, j);
    }
}

static const char *event_name(const cd_stop *st)
{
    switch (st->reason) {
    case CD_STOP_SIGNAL:
        return "signal";
    case CD_STOP_BREAKPOINT:
    case CD_STOP_TRAP:
        return "breakpoint";
    case CD_STOP_FINISHED:
        return "returned";
    case CD_STOP_INTERRUPTED:
        return "interrupted";
    case CD_STOP_STEP:
        return "step";
    case CD_STOP_LOCATION:
        return "location";
    case CD_STOP_WATCHPOINT:
        return "watchpoint";
    case CD_STOP_EXEC:
        return "exec";
    default:
        return "stopped";
    }
}

/* Where a step ended, as gdb says it: the source line alone while in the same function, the frame
 * first when the step entered or left one (or there is no source to show). */
static void step_text(cd_session *s, const cd_stop *st, const cd_frame *f)
{
    bool src = f->info.file && f->info.line > 0;
    if (st->frame_changed || !src || st->step_no_line) {
        cd_buf b = {0};
        cd_format_frame(s, f, &b);
        cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
        cd_buf_free(&b);
    }
    if (src && !st->step_no_line)
        cd_print_source_line(s, f->info.file, f->info.line, true);
}

/* Breakpoints a library load resolved, or an unload made pending again, while the program ran. */
static void render_bpnotes(cd_session *s, const char *cmd, const cd_stop *st)
{
    for (size_t i = 0; i < st->nbpnotes; i++) {
        const cd_bpnote *n = &st->bpnotes[i];
        cd_bp *b = cd_ctl_bp_find(s->ctl, n->bp_id);
        if (!b)
            continue;
        if (s->out.json) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "command", json_object_new_string(cmd));
            json_object_object_add(j, "event", json_object_new_string(n->resolved ? "breakpoint_resolved"
                                                                                 : "breakpoint_pending"));
            json_object_object_add(j, "id", json_object_new_int(b->id));
            json_object *la = json_object_new_array();
            for (size_t k = 0; n->resolved && k < b->nlocs; k++)
                json_object_array_add(la, where_json(s, b->locs[k].addr));
            json_object_object_add(j, "locations", la);
            cd_out_json(&s->out, j);
        } else if (n->resolved && b->nlocs > 0) {
            cd_buf w = {0};
            where_text(s, b->locs[0].addr, &w);
            cd_out_printf(&s->out, "Breakpoint %d (%s) resolved at 0x%llx: %s", b->id, b->spec,
                          (unsigned long long)b->locs[0].addr, cd_buf_str(&w));
            if (b->nlocs > 1)
                cd_out_printf(&s->out, " (and %zu more location%s)", b->nlocs - 1, b->nlocs == 2 ? "" : "s");
            cd_out_printf(&s->out, "\n");
            cd_buf_free(&w);
        } else if (!n->resolved) {
            cd_out_printf(&s->out, "Breakpoint %d (%s) pending again: its library was unloaded\n", b->id, b->spec);
        }
    }
}

bool cd_render_stop(cd_session *s, const char *cmd, cd_stop *st, cd_err *err)
{
    cd_inferiors_settle(s, cmd, st);
    cd_target *t = s->target;
    render_bpnotes(s, cmd, st);
    if (st->reason != CD_STOP_EXITED && st->reason != CD_STOP_KILLED)
        cd_ctl_note_gone_threads(s->ctl, st);
    cd_render_notes(s, cmd, st);
    if (st->reason == CD_STOP_EXITED || st->reason == CD_STOP_KILLED) {
        bool exited = st->reason == CD_STOP_EXITED;
        if (s->out.json) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "command", json_object_new_string(cmd));
            json_object_object_add(j, "event", json_object_new_string(exited ? "exited" : "killed"));
            json_object_object_add(j, exited ? "status" : "signal", json_object_new_int(exited ? st->status : st->sig));
            cd_out_json(&s->out, j);
        } else if (exited) {
            cd_out_printf(&s->out, "Process %d exited with status %d\n", (int)t->pid, st->status);
        } else {
            cd_out_printf(&s->out, "Process %d was killed by signal %d (%s)\n", (int)t->pid, st->sig, strsignal(st->sig));
        }
        cd_session_close_target(s);
        s->program_ended = true;
        /* after the close: the value state starts over with the symbols gone, and keeps these */
        cd_info_program_ended(s, exited, exited ? st->status : st->sig);
        return false;
    }
    /* the program may have loaded libraries meanwhile (dlopen, or libc itself after `run`) */
    cd_err e2;
    if (cd_symtab_refresh(s->sym, &e2) < 0)
        cd_out_warn(&s->out, "%s", e2.msg);
    cd_session_select_tid(s, st->tid);
    s->inline_skip = st->inline_skip;
    s->inline_skip_tid = st->tid;
    s->inline_skip_gen = t->stop_gen;
    s->stack_tid = 0; /* computed again, without the inlined calls not entered yet */
    const cd_frame *f = cd_session_frame(s, err);
    cd_err_clear(err);
    if (st->cond_error)
        cd_out_warn(&s->out, "%s", st->cond_error);
    bool stepped = st->reason == CD_STOP_STEP || st->reason == CD_STOP_LOCATION;
    if (s->out.json) {
        if (st->reason == CD_STOP_FINISHED)
            return true; /* finish prints its own object, with the value */
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "event", json_object_new_string(event_name(st)));
        json_object_object_add(j, "tid", json_object_new_int(st->tid));
        if (st->reason == CD_STOP_SIGNAL) {
            char sb[16];
            json_object_object_add(j, "signal", json_object_new_string(sig_abbrev(st->sig, sb)));
            json_object_object_add(j, "siginfo", cd_signal_json(st));
        }
        if (st->bp_id) {
            json_object_object_add(j, "breakpoint", json_object_new_int(st->bp_id));
            json_object_object_add(j, "hits", json_object_new_int64((int64_t)st->hits));
        }
        if (st->cond_error)
            json_object_object_add(j, "condition_error", json_object_new_string(st->cond_error));
        cd_render_watch_stop(s, st, j);
        json_object_object_add(j, "frame", f ? cd_frame_json(f) : NULL);
        cd_out_json(&s->out, j);
    } else {
        cd_render_watch_stop(s, st, NULL); /* old and new values, or a local's watchpoint deleted */
        if (st->reason == CD_STOP_SIGNAL)
            cd_render_signal_text(s, st);
        else if (st->reason == CD_STOP_INTERRUPTED)
            cd_out_printf(&s->out, "Interrupted (thread tid %d)\n", (int)st->tid);
        else if (st->bp_id && !st->nwatch)
            cd_out_printf(&s->out, "Breakpoint %d, hit %lu time%s, thread tid %d\n", st->bp_id, st->hits,
                          st->hits == 1 ? "" : "s", (int)st->tid);
        if (f && stepped && !st->bp_id) {
            step_text(s, st, f);
        } else if (f) {
            cd_buf b = {0};
            cd_format_frame(s, f, &b);
            cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
            if (f->info.file && f->info.line > 0)
                cd_print_source_line(s, f->info.file, f->info.line, true);
            cd_buf_free(&b);
        }
    }
    if (s->on_stop && st->reason != CD_STOP_FINISHED)
        s->on_stop(s);
    cd_bp_run_on_commands(s, st);
    return true;
}

void cd_render_finish(cd_session *s, const char *cmd, cd_stop *st, cd_err *err)
{
    /* the frame and source line first, as for any stop (text) */
    if (!cd_render_stop(s, cmd, st, err) || st->reason != CD_STOP_FINISHED)
        return;
    cd_arena ar = {0};
    cd_ectx x;
    cd_err xe;
    cd_session_ectx(&x, s, &ar, &xe);
    cd_fmtopt o;
    cd_session_fmtopt(&o, s, 0);
    int hn = st->has_value ? cd_hist_add(&x, st->value) : 0;
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "event", json_object_new_string("returned"));
        json_object_object_add(j, "function", json_object_new_string(st->func ? st->func : "??"));
        json_object_object_add(j, "tid", json_object_new_int(st->tid));
        const cd_frame *nf = cd_session_frame(s, err);
        cd_err_clear(err);
        json_object_object_add(j, "frame", nf ? cd_frame_json(nf) : NULL);
        if (st->inlined)
            json_object_object_add(j, "inlined", json_object_new_boolean(1));
        cd_render_watch_stop(s, st, j);
        if (st->has_value) {
            cd_buf tb = {0};
            cd_type_name(x.vs, st->value->type, &tb);
            json_object *rv = json_object_new_object();
            json_object_object_add(rv, "type", json_object_new_string(cd_buf_str(&tb)));
            json_object_object_add(rv, "value", cd_value_json(&x, st->value, &o));
            json_object_object_add(j, "return", rv);
            cd_buf_free(&tb);
        }
        cd_out_json(&s->out, j);
    } else if (st->has_value) {
        cd_buf b = {0};
        cd_format_value(&x, st->value, &o, true, &b);
        cd_out_printf(&s->out, "Value returned: $%d = %s\n", hn, cd_buf_str(&b));
        cd_buf_free(&b);
    } else if (st->inlined) {
        cd_out_printf(&s->out, "(%s was an inlined call: it has no return value to show)\n", st->func ? st->func : "??");
    } else if (st->value_error) {
        cd_out_warn(&s->out, "the value %s returned is not shown: %s", st->func ? st->func : "??", st->value_error);
    }
    cd_arena_free(&ar);
    if (s->on_stop)
        s->on_stop(s);
}
