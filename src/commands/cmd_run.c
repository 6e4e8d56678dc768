/* Execution control available so far: continue (until a signal, exit, or ^C). */
#include <string.h>

#include "commands/cmd_impl.h"

int cd_cmd_continue(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_fail(err, CD_EXIT_CMD, "continue: takes no arguments");
    cd_target *t = s->target;
    if (t->ops->cont(t, err) < 0)
        return -1;
    cd_event ev;
    memset(&ev, 0, sizeof ev);
    s->running = t;
    int rc = t->ops->wait(t, &ev, err);
    s->running = NULL;
    if (rc < 0)
        return -1;
    /* The program may have loaded libraries (dlopen, or libc itself after `run`). */
    if (ev.kind != CD_EV_EXITED && ev.kind != CD_EV_KILLED) {
        cd_err e2;
        if (cd_symtab_refresh(s->sym, &e2) < 0)
            cd_out_warn(&s->out, "%s", e2.msg);
    }
    const char *what = "stopped";
    json_object *j = s->out.json ? json_object_new_object() : NULL;
    switch (ev.kind) {
    case CD_EV_EXITED:
    case CD_EV_KILLED:
        if (j) {
            json_object_object_add(j, "command", json_object_new_string("continue"));
            json_object_object_add(j, "event", json_object_new_string(ev.kind == CD_EV_EXITED ? "exited" : "killed"));
            json_object_object_add(j, ev.kind == CD_EV_EXITED ? "status" : "signal",
                                   json_object_new_int(ev.kind == CD_EV_EXITED ? ev.status : ev.sig));
            cd_out_json(&s->out, j);
        } else if (ev.kind == CD_EV_EXITED) {
            cd_out_printf(&s->out, "Process %d exited with status %d\n", (int)t->pid, ev.status);
        } else {
            cd_out_printf(&s->out, "Process %d was killed by signal %d (%s)\n", (int)t->pid, ev.sig, strsignal(ev.sig));
        }
        cd_session_close_target(s);
        return 0;
    case CD_EV_SIGNAL: what = "signal"; break;
    case CD_EV_BREAKPOINT: what = "breakpoint"; break;
    case CD_EV_INTERRUPTED: what = "interrupted"; break;
    default: break;
    }
    for (size_t i = 0; i < t->nthreads; i++)
        if (t->threads[i]->tid == ev.tid)
            s->cur_thread = i;
    s->cur_frame = 0;
    const cd_frame *f = cd_session_frame(s, err);
    if (j) {
        json_object_object_add(j, "command", json_object_new_string("continue"));
        json_object_object_add(j, "event", json_object_new_string(what));
        json_object_object_add(j, "tid", json_object_new_int(ev.tid));
        if (ev.kind == CD_EV_SIGNAL)
            json_object_object_add(j, "signal", json_object_new_string(sigabbrev_np(ev.sig) ? sigabbrev_np(ev.sig) : "?"));
        json_object_object_add(j, "frame", f ? cd_frame_json(f) : NULL);
        cd_out_json(&s->out, j);
    } else {
        if (ev.kind == CD_EV_SIGNAL)
            cd_out_printf(&s->out, "Thread tid %d received signal SIG%s (%s)\n", (int)ev.tid,
                          sigabbrev_np(ev.sig) ? sigabbrev_np(ev.sig) : "?", strsignal(ev.sig));
        else if (ev.kind == CD_EV_INTERRUPTED)
            cd_out_printf(&s->out, "Interrupted (thread tid %d)\n", (int)ev.tid);
        if (f) {
            cd_buf b = {0};
            cd_format_frame(s, f, &b);
            cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
            cd_buf_free(&b);
        }
    }
    if (s->on_stop)
        s->on_stop(s);
    return 0;
}
