/* Signals and thread events, the commands' side: `handle` (gdb's table and keywords), `signal SIG`,
 * `config print-thread-events`, and the lines a stop report opens with when a signal stopped the
 * program or things happened while it ran. The policy itself lives in src/control (one table per
 * target's layer); the session keeps the user's copy so a new target (`run`, `restart`, `attach`)
 * starts with it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"

static void table_init(cd_session *s)
{
    if (s->sigpolicy_set)
        return;
    for (int sig = 0; sig <= CD_SIG_MAX; sig++)
        s->sigpolicy[sig] = cd_sig_default_policy(sig);
    s->sigpolicy_set = true;
}

static cd_sigpolicy policy(cd_session *s, int sig)
{
    return s->sigpolicy_set ? s->sigpolicy[sig] : cd_sig_default_policy(sig);
}

static void render_note(cd_session *s, const char *cmd, const cd_signote *n);

/* Notes are printed as they happen, while the program runs on. */
static void note_now(void *arg, const cd_signote *n)
{
    cd_session *s = arg;
    render_note(s, s->cmd_name ? s->cmd_name : "run", n);
}

void cd_signal_target_opened(cd_session *s)
{
    if (!s->ctl)
        return;
    cd_ctl_set_note_fn(s->ctl, note_now, s);
    if (s->sigpolicy_set)
        for (int sig = 1; sig <= CD_SIG_MAX; sig++)
            cd_ctl_set_sigpolicy(s->ctl, sig, s->sigpolicy[sig]);
    /* a core has no threads to come and go */
    if (s->target && s->target->caps.can_run)
        cd_ctl_set_thread_events(s->ctl, !s->no_thread_events);
}

/* ---- handle ---- */

static const char *yes_no(bool b) { return b ? "Yes" : "No"; }

static void header(cd_session *s)
{
    cd_out_printf(&s->out, "Signal        Stop\tPrint\tPass to program\tDescription\n");
}

/* gdb's row: the name padded to 13 columns and a space, then tab-separated columns */
static void row(cd_session *s, int sig)
{
    char buf[16];
    cd_sigpolicy p = policy(s, sig);
    cd_out_printf(&s->out, "%-13s %s\t%s\t%s\t\t%s\n", cd_sig_name(sig, buf), yes_no(p.stop), yes_no(p.print),
                  yes_no(p.pass), cd_sig_description(sig));
}

static json_object *row_json(cd_session *s, int sig)
{
    char buf[16];
    cd_sigpolicy p = policy(s, sig);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "number", json_object_new_int(sig));
    json_object_object_add(j, "name", json_object_new_string(cd_sig_name(sig, buf)));
    json_object_object_add(j, "stop", json_object_new_boolean(p.stop));
    json_object_object_add(j, "print", json_object_new_boolean(p.print));
    json_object_object_add(j, "pass", json_object_new_boolean(p.pass));
    json_object_object_add(j, "description", json_object_new_string(cd_sig_description(sig)));
    return j;
}

static void print_rows(cd_session *s, const bool *which, bool whole)
{
    if (s->out.json) {
        json_object *arr = json_object_new_array();
        for (int sig = 1; sig <= CD_SIG_MAX; sig++)
            if (which[sig])
                json_object_array_add(arr, row_json(s, sig));
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("handle"));
        json_object_object_add(j, "signals", arr);
        cd_out_json(&s->out, j);
        return;
    }
    header(s);
    if (whole)
        cd_out_printf(&s->out, "\n");
    for (int sig = 1; sig <= CD_SIG_MAX; sig++)
        if (which[sig])
            row(s, sig);
    if (whole)
        cd_out_printf(&s->out, "\nUse the \"handle\" command to change these tables.\n");
}

enum { KW_STOP, KW_NOSTOP, KW_PRINT, KW_NOPRINT, KW_PASS, KW_NOPASS };

static int keyword(const char *w)
{
    static const struct {
        const char *word;
        int kw;
    } kws[] = {{"stop", KW_STOP},     {"nostop", KW_NOSTOP}, {"print", KW_PRINT},      {"noprint", KW_NOPRINT},
               {"pass", KW_PASS},     {"nopass", KW_NOPASS}, {"noignore", KW_PASS}, {"ignore", KW_NOPASS}};
    for (size_t i = 0; i < sizeof kws / sizeof *kws; i++)
        if (!strcmp(w, kws[i].word))
            return kws[i].kw;
    return -1;
}

/* gdb's implications: stop implies print, noprint implies nostop. */
static void apply(cd_sigpolicy *p, int kw)
{
    switch (kw) {
    case KW_STOP:
        p->stop = p->print = true;
        break;
    case KW_NOSTOP:
        p->stop = false;
        break;
    case KW_PRINT:
        p->print = true;
        break;
    case KW_NOPRINT:
        p->print = p->stop = false;
        break;
    case KW_PASS:
        p->pass = true;
        break;
    default:
        p->pass = false;
        break;
    }
}

/* A signal word: a name, a number, N-M, or all (every signal but SIGINT and SIGTRAP, the
 * debugger's own, which are changed only when named, as in gdb). */
static bool mark_signals(const char *w, bool *which)
{
    if (!strcmp(w, "all")) {
        for (int sig = 1; sig <= CD_SIG_MAX; sig++)
            if (sig != SIGINT && sig != SIGTRAP)
                which[sig] = true;
        return true;
    }
    const char *dash = strchr(w, '-');
    if (dash && dash != w) {
        char lo[16];
        unsigned long long a, b;
        if ((size_t)(dash - w) >= sizeof lo)
            return false;
        snprintf(lo, sizeof lo, "%.*s", (int)(dash - w), w);
        if (!cd_parse_uint(lo, &a) || !cd_parse_uint(dash + 1, &b) || a < 1 || b > CD_SIG_MAX || a > b)
            return false;
        for (unsigned long long sig = a; sig <= b; sig++)
            which[sig] = true;
        return true;
    }
    int sig;
    if (cd_sig_parse(w, &sig) < 0)
        return false;
    which[sig] = true;
    return true;
}

int cd_cmd_handle(cd_session *s, int argc, char **argv, cd_err *err)
{
    bool which[CD_SIG_MAX + 1] = {0};
    if (argc < 2) {
        for (int sig = 1; sig <= CD_SIG_MAX; sig++)
            which[sig] = true;
        print_rows(s, which, true);
        return 0;
    }
    /* everything is checked before anything changes: a typo changes nothing */
    int kws[64], nkw = 0;
    bool any = false;
    for (int i = 1; i < argc; i++) {
        int kw = keyword(argv[i]);
        if (kw >= 0) {
            if (nkw < (int)(sizeof kws / sizeof *kws))
                kws[nkw++] = kw;
            continue;
        }
        if (!mark_signals(argv[i], which))
            return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                            "handle: unknown signal '%s': name one (SIGUSR1 or USR1), give its number (1-%d) or say "
                            "all; `handle` lists them",
                            argv[i], CD_SIG_MAX);
        any = true;
    }
    if (!any)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "handle: which signal? handle SIG [stop|nostop|print|noprint|pass|nopass]...");
    if (nkw > 0) {
        table_init(s);
        for (int sig = 1; sig <= CD_SIG_MAX; sig++) {
            if (!which[sig])
                continue;
            for (int k = 0; k < nkw; k++)
                apply(&s->sigpolicy[sig], kws[k]);
            if (s->ctl)
                cd_ctl_set_sigpolicy(s->ctl, sig, s->sigpolicy[sig]);
        }
    }
    print_rows(s, which, false);
    return 0;
}

/* ---- signal SIG ---- */

int cd_cmd_signal(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc != 2)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "signal: usage: signal SIG (a name such as SIGUSR1, a number, or 0 for none)");
    int sig = 0;
    if (strcmp(argv[1], "0") != 0 && cd_sig_parse(argv[1], &sig) < 0)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_NOT_FOUND,
                        "signal: unknown signal '%s': name one (SIGUSR1 or USR1), give its number (1-%d), or 0 to "
                        "continue without one",
                        argv[1], CD_SIG_MAX);
    if (!s->target->caps.can_run)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED, "cannot signal: the target is %s",
                        s->target->caps.post_mortem ? "a core file" : "not running");
    cd_thread *th = cd_session_thread(s);
    if (!th)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_THREAD_GONE, "signal: no thread selected");
    if (cd_ctl_signal(s->ctl, th, sig, err) < 0)
        return -1;
    if (!s->out.json) {
        char buf[16];
        if (sig)
            cd_out_printf(&s->out, "Continuing thread tid %d with signal %s.\n", (int)th->tid, cd_sig_name(sig, buf));
        else
            cd_out_printf(&s->out, "Continuing thread tid %d with no signal.\n", (int)th->tid);
    }
    cd_stop st;
    s->running = s->target; /* ^C interrupts it (cmd/cdbg.c) */
    int rc = cd_ctl_continue(s->ctl, &st, err);
    s->running = NULL;
    if (rc == 0)
        cd_render_stop(s, "signal", &st, err);
    cd_stop_free(&st);
    return rc;
}

/* ---- config print-thread-events ---- */

int cd_config_thread_events(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc == 3 && (!strcmp(argv[2], "on") || !strcmp(argv[2], "off"))) {
        s->no_thread_events = !strcmp(argv[2], "off");
        if (s->ctl && s->target && s->target->caps.can_run)
            cd_ctl_set_thread_events(s->ctl, !s->no_thread_events);
    } else if (argc != 2) {
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "config print-thread-events: expected on or off");
    }
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("config"));
        json_object_object_add(j, "print_thread_events", json_object_new_boolean(!s->no_thread_events));
        cd_out_json(&s->out, j);
    } else if (argc == 2) {
        cd_out_printf(&s->out, "print-thread-events = %s\n", s->no_thread_events ? "off" : "on");
    }
    return 0;
}

/* ---- stop reports ---- */

static void render_note(cd_session *s, const char *cmd, const cd_signote *n)
{
    char buf[16];
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string(cmd));
        if (n->kind == CD_NOTE_SIGNAL) {
            json_object_object_add(j, "event", json_object_new_string("signal_received"));
            json_object_object_add(j, "tid", json_object_new_int(n->tid));
            json_object_object_add(j, "signal", json_object_new_string(cd_sig_name(n->sig, buf) + 3));
            json_object_object_add(j, "passed", json_object_new_boolean(n->passed));
        } else {
            json_object_object_add(
                j, "event", json_object_new_string(n->kind == CD_NOTE_THREAD_NEW ? "thread_created" : "thread_exited"));
            json_object_object_add(j, "tid", json_object_new_int(n->tid));
        }
        cd_out_json(&s->out, j);
        return;
    }
    if (n->kind == CD_NOTE_SIGNAL)
        cd_out_printf(&s->out, "Thread tid %d received signal %s, %s to the program\n", (int)n->tid,
                      cd_sig_name(n->sig, buf), n->passed ? "passed" : "not passed");
    else if (n->kind == CD_NOTE_THREAD_NEW)
        cd_out_printf(&s->out, "[New thread tid %d]\n", (int)n->tid);
    else
        cd_out_printf(&s->out, "[Thread tid %d exited]\n", (int)n->tid);
    /* the program runs on and may write to the same terminal or file: this line goes first */
    fflush(s->out.fp);
}

void cd_render_notes(cd_session *s, const char *cmd, const cd_stop *st)
{
    for (size_t i = 0; i < st->nnotes; i++)
        render_note(s, cmd, &st->notes[i]);
}

void cd_render_signal_text(cd_session *s, const cd_stop *st)
{
    char buf[16];
    cd_out_printf(&s->out, "Thread tid %d received signal %s, %s.\n", (int)st->tid, cd_sig_name(st->sig, buf),
                  cd_sig_description(st->sig));
    if (!st->has_si || !cd_sig_is_fault(st->sig, st->si.si_code))
        return;
    const char *what, *code = cd_sig_code_name(st->sig, st->si.si_code, &what);
    uint64_t addr = (uint64_t)(uintptr_t)st->si.si_addr;
    if (code)
        cd_out_printf(&s->out, "Fault address 0x%" PRIx64 " (%s: %s).\n", addr, code, what);
    else
        cd_out_printf(&s->out, "Fault address 0x%" PRIx64 " (si_code %d).\n", addr, st->si.si_code);
}

json_object *cd_signal_json(const cd_stop *st)
{
    char buf[16];
    json_object *j = json_object_new_object();
    json_object_object_add(j, "number", json_object_new_int(st->sig));
    json_object_object_add(j, "name", json_object_new_string(cd_sig_name(st->sig, buf)));
    json_object_object_add(j, "description", json_object_new_string(cd_sig_description(st->sig)));
    if (!st->has_si)
        return j;
    const char *what, *code = cd_sig_code_name(st->sig, st->si.si_code, &what);
    json_object_object_add(j, "code", json_object_new_int(st->si.si_code));
    json_object_object_add(j, "code_name", code ? json_object_new_string(code) : NULL);
    if (cd_sig_is_fault(st->sig, st->si.si_code)) {
        char a[32];
        snprintf(a, sizeof a, "0x%" PRIx64, (uint64_t)(uintptr_t)st->si.si_addr);
        json_object_object_add(j, "fault_address", json_object_new_string(a));
    } else if (st->si.si_code <= 0) {
        json_object_object_add(j, "sender_pid", json_object_new_int(st->si.si_pid));
        json_object_object_add(j, "sender_uid", json_object_new_int64(st->si.si_uid));
    }
    return j;
}
