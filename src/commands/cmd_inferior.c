/* Several processes in one session (fork following): `config follow-fork`/`detach-on-fork`, the
 * inferiors a fork leaves (`inferiors`, `inferior N`), and what a stop after a fork or an exec
 * means for the session: gdb's messages, the switch to a followed child, the symbols of a new
 * program. The current inferior is the session's target, symbols, unwinder and layer; the others
 * are held here (their threads stopped: `continue` runs the current one only) until they are
 * selected, or closed with the session. */
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"

typedef struct cd_infs {
    cd_forkpolicy policy;
    int cur;               /* the current inferior's number */
    int last;              /* the last number given */
    cd_inferior **held;    /* the others */
    size_t nheld;
} cd_infs;

static cd_infs *infs(cd_session *s)
{
    if (!s->infs) {
        s->infs = cd_xcalloc(1, sizeof *s->infs);
        s->infs->policy.detach = true;
        s->infs->cur = s->infs->last = 1;
    }
    return s->infs;
}

/* ---- the current inferior <-> the held ones ---- */

static void forget_selection(cd_session *s)
{
    cd_stack_free(&s->stack);
    s->stack_tid = 0;
    s->cur_thread = 0;
    s->cur_frame = 0;
    s->list_file = NULL;
    s->list_line = 0;
}

/* Takes the current inferior out of the session (nothing is closed). NULL when there is none. */
static cd_inferior *take_current(cd_session *s)
{
    if (!s->target)
        return NULL;
    cd_inferior *inf = cd_xcalloc(1, sizeof *inf);
    inf->num = infs(s)->cur;
    inf->t = s->target;
    inf->sym = s->sym;
    inf->unw = s->unw;
    inf->ctl = s->ctl;
    forget_selection(s);
    s->target = NULL;
    s->sym = NULL;
    s->unw = NULL;
    s->ctl = NULL;
    return inf;
}

static void make_current(cd_session *s, cd_inferior *inf)
{
    forget_selection(s);
    s->target = inf->t;
    s->sym = inf->sym;
    s->unw = inf->unw;
    s->ctl = inf->ctl;
    s->program_ended = false;
    infs(s)->cur = inf->num;
    if (s->values)
        cd_vstate_use_symtab(s->values, s->sym);
    free(inf);
}

static void hold(cd_session *s, cd_inferior *inf)
{
    cd_infs *I = infs(s);
    I->held = cd_xrealloc(I->held, (I->nheld + 1) * sizeof *I->held);
    I->held[I->nheld++] = inf;
}

static void unhold(cd_session *s, size_t i)
{
    cd_infs *I = infs(s);
    memmove(&I->held[i], &I->held[i + 1], (I->nheld - i - 1) * sizeof *I->held);
    I->nheld--;
}

static void close_inf(cd_session *s, cd_inferior *inf)
{
    /* the value state must not keep caches keyed by a symbol table about to be freed */
    if (s->values && s->sym)
        cd_vstate_use_symtab(s->values, s->sym);
    cd_inferior_close(inf);
}

/* Lets INF's process go: detached, running (a process cdbg started too: the user's program goes
 * on, as gdb's detach-on-fork does). */
static void release(cd_session *s, cd_inferior *inf)
{
    inf->t->launched = false;
    close_inf(s, inf);
}

void cd_inferiors_fini(cd_session *s)
{
    if (!s->infs)
        return;
    for (size_t i = 0; i < s->infs->nheld; i++)
        close_inf(s, s->infs->held[i]);
    free(s->infs->held);
    free(s->infs);
    s->infs = NULL;
}

void cd_inferiors_on_target(cd_session *s)
{
    cd_infs *I = infs(s);
    /* a new program (run, restart, attach, core): the processes of the last one go */
    for (size_t i = 0; i < I->nheld; i++)
        close_inf(s, I->held[i]);
    I->nheld = 0;
    I->cur = I->last = 1;
    if (s->ctl)
        cd_ctl_set_fork_policy(s->ctl, I->policy);
}

/* ---- config follow-fork, detach-on-fork ---- */

bool cd_inferiors_is_setting(const char *name)
{
    return !strcmp(name, "follow-fork") || !strcmp(name, "detach-on-fork");
}

int cd_inferiors_config(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_infs *I = infs(s);
    bool follow = !strcmp(argv[1], "follow-fork");
    if (argc == 3) {
        const char *v = argv[2];
        if (follow && (!strcmp(v, "parent") || !strcmp(v, "child")))
            I->policy.follow_child = !strcmp(v, "child");
        else if (!follow && (!strcmp(v, "on") || !strcmp(v, "off")))
            I->policy.detach = !strcmp(v, "on");
        else
            return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "config %s: expected %s, got '%s'", argv[1],
                            follow ? "parent or child" : "on or off", v);
        if (s->ctl)
            cd_ctl_set_fork_policy(s->ctl, I->policy);
        for (size_t i = 0; i < I->nheld; i++)
            cd_ctl_set_fork_policy(I->held[i]->ctl, I->policy);
    } else if (argc != 2) {
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "config %s: usage: config %s", argv[1],
                        follow ? "follow-fork parent|child" : "detach-on-fork on|off");
    }
    const char *val = follow ? (I->policy.follow_child ? "child" : "parent") : (I->policy.detach ? "on" : "off");
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, follow ? "follow_fork" : "detach_on_fork", json_object_new_string(val));
        cd_out_json(&s->out, j);
    } else if (argc == 2) {
        cd_out_printf(&s->out, "%s = %s\n", argv[1], val);
    }
    return 0;
}

void cd_inferiors_config_show(cd_session *s, json_object *j)
{
    cd_infs *I = infs(s);
    const char *f = I->policy.follow_child ? "child" : "parent", *d = I->policy.detach ? "on" : "off";
    if (j) {
        json_object_object_add(j, "follow_fork", json_object_new_string(f));
        json_object_object_add(j, "detach_on_fork", json_object_new_string(d));
    } else {
        cd_out_printf(&s->out, "follow-fork = %s\ndetach-on-fork = %s\n", f, d);
    }
}

/* ---- what a stop after a fork or an exec means ---- */

static void note(cd_session *s, const char *cmd, const char *event, pid_t pid, int num, const char *text)
{
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "event", json_object_new_string(event));
        json_object_object_add(j, "pid", json_object_new_int(pid));
        if (num)
            json_object_object_add(j, "inferior", json_object_new_int(num));
        cd_out_json(&s->out, j);
    } else {
        cd_out_printf(&s->out, "%s\n", text);
    }
}

/* The forks the last run came across, said as gdb says them. A followed child becomes the current
 * inferior. */
static void take_forks(cd_session *s, const char *cmd)
{
    cd_infs *I = infs(s);
    cd_forked *f;
    size_t n = cd_ctl_take_forks(s->ctl, &f);
    char line[160];
    for (size_t i = 0; i < n; i++) {
        const char *what = f[i].vfork ? "vfork" : "fork";
        if (f[i].fate == CD_FORK_DETACHED) {
            snprintf(line, sizeof line, "[Detaching after %s from child process %d]", what, (int)f[i].child);
            note(s, cmd, f[i].vfork ? "vfork_child_detached" : "fork_child_detached", f[i].child, 0, line);
            continue;
        }
        cd_inferior *child = f[i].inf;
        child->num = ++I->last;
        if (f[i].fate == CD_FORK_KEPT) {
            snprintf(line, sizeof line, "[New inferior %d (process %d)]", child->num, (int)f[i].child);
            note(s, cmd, "new_inferior", f[i].child, child->num, line);
            hold(s, child);
            continue;
        }
        /* follow-fork child */
        snprintf(line, sizeof line, "[Attaching after process %d %s to child process %d]", (int)f[i].parent, what,
                 (int)f[i].child);
        if (!s->out.json)
            cd_out_printf(&s->out, "%s\n", line);
        snprintf(line, sizeof line, "[New inferior %d (process %d)]", child->num, (int)f[i].child);
        note(s, cmd, "new_inferior", f[i].child, child->num, line);
        cd_inferior *parent = take_current(s);
        if (parent && I->policy.detach && !f[i].vfork) {
            pid_t pp = parent->t->pid;
            int pn = parent->num;
            release(s, parent);
            snprintf(line, sizeof line, "[Detaching after %s from parent process %d]", what, (int)pp);
            if (!s->out.json)
                cd_out_printf(&s->out, "%s\n", line);
            snprintf(line, sizeof line, "[Inferior %d (process %d) detached]", pn, (int)pp);
            note(s, cmd, "inferior_detached", pp, pn, line);
        } else if (parent) {
            /* a vfork parent's memory is the child's until the child execs or exits: its int3s
             * stay until then, and so does it */
            if (I->policy.detach)
                parent->vfork_child = f[i].child;
            hold(s, parent);
        }
        make_current(s, child);
    }
    free(f);
}

/* Process PID exec'd or ended: a vfork parent held for it can go. */
static void vfork_child_done(cd_session *s, pid_t pid)
{
    cd_infs *I = infs(s);
    char line[160];
    for (size_t i = 0; i < I->nheld;) {
        cd_inferior *p = I->held[i];
        if (p->vfork_child != pid) {
            i++;
            continue;
        }
        unhold(s, i);
        pid_t pp = p->t->pid;
        int pn = p->num;
        release(s, p);
        snprintf(line, sizeof line, "[Detaching vfork parent process %d after child %s]", (int)pp,
                 s->target && s->target->pid == pid ? "exec" : "exit");
        if (!s->out.json)
            cd_out_printf(&s->out, "%s\n", line);
        snprintf(line, sizeof line, "[Inferior %d (process %d) detached]", pn, (int)pp);
        note(s, "continue", "inferior_detached", pp, pn, line);
    }
}

/* The current inferior exec'd: the new program's symbols, and the breakpoints found again in it. */
static void exec_reload(cd_session *s, const char *cmd)
{
    cd_target *t = s->target;
    /* gdb's order: the vfork parent goes first, then the new program is named */
    vfork_child_done(s, t->pid);
    cd_err e;
    cd_symtab *sym = cd_symtab_new_dd(t, s->debugdirs, &e);
    cd_unwinder *unw = sym ? cd_unwinder_new(t, sym, &e) : NULL;
    if (!unw) {
        if (sym)
            cd_symtab_free(sym);
        cd_out_warn(&s->out, "process %d exec'd %s, whose symbols cannot be read: %s", (int)t->pid,
                    t->exe_path ? t->exe_path : "?", e.msg);
        return;
    }
    forget_selection(s);
    cd_symtab *old_sym = s->sym;
    cd_unwinder *old_unw = s->unw;
    cd_ctl_rebind(s->ctl, sym, unw);
    s->sym = sym;
    s->unw = unw;
    cd_unwinder_free(old_unw);
    cd_symtab_free(old_sym);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        json_object_object_add(j, "event", json_object_new_string("exec"));
        json_object_object_add(j, "pid", json_object_new_int(t->pid));
        json_object_object_add(j, "path", cd_json_str_or_null(t->exe_path));
        cd_out_json(&s->out, j);
    } else {
        cd_out_printf(&s->out, "process %d is executing new program: %s\n", (int)t->pid,
                      t->exe_path ? t->exe_path : "?");
    }
}

void cd_inferiors_settle(cd_session *s, const char *cmd, cd_stop *st)
{
    /* gdb goes on after an exec or into a followed child: `continue` does too, and says why */
    bool go_on = !strcmp(cmd, "continue");
    pid_t was = s->target ? s->target->pid : 0;
    while (s->ctl) {
        take_forks(s, cmd);
        if (st->reason == CD_STOP_EXEC) {
            exec_reload(s, cmd);
        } else if (st->reason == CD_STOP_FORK) {
            /* the child, where it stands: just after the fork */
            st->tid = s->target ? s->target->pid : st->tid;
        } else {
            if (st->reason == CD_STOP_EXITED || st->reason == CD_STOP_KILLED)
                vfork_child_done(s, s->target->pid);
            break;
        }
        if (!go_on || !s->ctl)
            break;
        cd_stop_free(st);
        cd_err e;
        s->running = s->target;
        int rc = cd_ctl_continue(s->ctl, st, &e);
        s->running = NULL;
        if (rc < 0) {
            cd_out_warn(&s->out, "%s", e.msg);
            break;
        }
    }
    /* the stop is in another process than the one the command ran: say so before it (gdb) */
    if (s->target && was && s->target->pid != was) {
        char line[64];
        snprintf(line, sizeof line, "[Switching to process %d]", (int)s->target->pid);
        note(s, cmd, "switched", s->target->pid, infs(s)->cur, line);
    }
}

/* ---- inferiors, inferior N ---- */

static const char *inf_state(cd_target *t)
{
    return t ? (t->caps.post_mortem ? "core" : "stopped") : "exited";
}

static void inf_row(cd_session *s, json_object *arr, bool cur, int num, cd_target *t, pid_t vfork_child)
{
    const char *exe = t && t->exe_path ? t->exe_path : "-";
    if (arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "number", json_object_new_int(num));
        json_object_object_add(j, "pid", t ? json_object_new_int(t->pid) : NULL);
        json_object_object_add(j, "state", json_object_new_string(inf_state(t)));
        json_object_object_add(j, "executable", t ? cd_json_str_or_null(t->exe_path) : NULL);
        json_object_object_add(j, "current", json_object_new_boolean(cur));
        if (vfork_child)
            json_object_object_add(j, "vfork_child", json_object_new_int(vfork_child));
        json_object_array_add(arr, j);
        return;
    }
    char pid[16] = "-";
    if (t)
        snprintf(pid, sizeof pid, "%d", (int)t->pid);
    cd_out_printf(&s->out, "%c %-4d %-8s %-8s %s", cur ? '*' : ' ', num, pid, inf_state(t), exe);
    if (vfork_child)
        cd_out_printf(&s->out, " (vfork parent: held until process %d execs or exits)", (int)vfork_child);
    cd_out_printf(&s->out, "\n");
}

int cd_cmd_inferiors(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "inferiors: takes no arguments");
    cd_infs *I = infs(s);
    json_object *arr = s->out.json ? json_object_new_array() : NULL;
    if (!arr)
        cd_out_printf(&s->out, "  %-4s %-8s %-8s %s\n", "Num", "PID", "State", "Executable");
    /* in number order, the current one among them */
    bool cur_done = !s->target && !s->program_ended;
    for (size_t i = 0; i <= I->nheld; i++) {
        if (!cur_done && (i == I->nheld || I->held[i]->num > I->cur)) {
            inf_row(s, arr, true, I->cur, s->target, 0);
            cur_done = true;
        }
        if (i < I->nheld)
            inf_row(s, arr, false, I->held[i]->num, I->held[i]->t, I->held[i]->vfork_child);
    }
    if (arr) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("inferiors"));
        json_object_object_add(j, "current", s->target || s->program_ended ? json_object_new_int(I->cur) : NULL);
        json_object_object_add(j, "inferiors", arr);
        cd_out_json(&s->out, j);
    }
    return 0;
}

int cd_cmd_inferior(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_infs *I = infs(s);
    if (argc == 1) {
        if (!s->target)
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "inferior: no current inferior with a process%s",
                            I->nheld ? "; `inferiors` lists the others" : "");
        if (s->out.json) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "command", json_object_new_string("inferior"));
            json_object_object_add(j, "number", json_object_new_int(I->cur));
            json_object_object_add(j, "pid", json_object_new_int(s->target->pid));
            json_object_object_add(j, "executable", cd_json_str_or_null(s->target->exe_path));
            cd_out_json(&s->out, j);
        } else {
            cd_out_printf(&s->out, "[Current inferior is %d [process %d] (%s)]\n", I->cur, (int)s->target->pid,
                          s->target->exe_path ? s->target->exe_path : "?");
        }
        return 0;
    }
    unsigned long long n;
    if (argc > 2 || !cd_parse_uint(argv[1], &n))
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "inferior: usage: inferior [N] (N as `inferiors` numbers them)");
    size_t i = 0;
    while (i < I->nheld && (unsigned long long)I->held[i]->num != n)
        i++;
    if (i == I->nheld) {
        if (s->target && n == (unsigned long long)I->cur)
            return cd_cmd_inferior(s, 1, argv, err);
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND, "inferior: no inferior %llu; `inferiors` lists them", n);
    }
    cd_inferior *next = I->held[i];
    unhold(s, i);
    cd_inferior *cur = take_current(s);
    if (cur)
        hold(s, cur); /* held as it is: its threads stay stopped */
    make_current(s, next);
    cd_thread *th = cd_session_thread(s);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("inferior"));
        json_object_object_add(j, "number", json_object_new_int(I->cur));
        json_object_object_add(j, "pid", json_object_new_int(s->target->pid));
        json_object_object_add(j, "tid", th ? json_object_new_int(th->tid) : NULL);
        json_object_object_add(j, "executable", cd_json_str_or_null(s->target->exe_path));
        cd_err fe;
        const cd_frame *f = cd_session_frame(s, &fe);
        json_object_object_add(j, "frame", f ? cd_frame_json(f) : NULL);
        cd_out_json(&s->out, j);
    } else {
        cd_out_printf(&s->out, "[Switching to inferior %d [process %d] (%s)]\n", I->cur, (int)s->target->pid,
                      s->target->exe_path ? s->target->exe_path : "?");
        cd_print_where(s);
    }
    return 0;
}
