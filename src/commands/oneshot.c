/* The one-shot recording modes' shared flow (oneshot.h). */
#include "commands/oneshot.h"

#include "control/control.h"
#include "target/open.h"
#include "target/procfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

volatile sig_atomic_t cd_oneshot_stop;

static const int end_sigs[CD_ONESHOT_NSIGS] = {SIGINT, SIGTERM, SIGHUP};

static void on_sig(int sig)
{
    cd_oneshot_stop = sig;
}

void cd_oneshot_catch(cd_oneshot_sigs *s)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    cd_oneshot_stop = 0;
    for (int i = 0; i < CD_ONESHOT_NSIGS; i++)
        sigaction(end_sigs[i], &sa, &s->old[i]);
}

void cd_oneshot_restore(const cd_oneshot_sigs *s)
{
    for (int i = 0; i < CD_ONESHOT_NSIGS; i++)
        sigaction(end_sigs[i], &s->old[i], NULL);
}

int cd_oneshot_usage_fail(const char *mode, const char *fmt, const char *arg)
{
    fprintf(stderr, "cdbg: %s: ", mode);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "; see `cdbg %s --help`\n", mode);
    return CD_EXIT_USAGE;
}

int cd_oneshot_fail(const cd_err *e, int def)
{
    fprintf(stderr, "cdbg: %s\n", e->msg);
    return e->code > 0 ? e->code : def;
}

int cd_oneshot_status(int ws)
{
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : CD_EXIT_CMD;
}

int cd_oneshot_check_untraced(const char *mode, pid_t pid, const char *verb, cd_err *err)
{
    cd_proc_status st;
    if (cd_procfs_read_status(pid, &st) < 0)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_EXITED, "%s: no process with PID %d", mode, (int)pid);
    if (st.tracer_pid)
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_PERMISSION,
                        "%s: process %d is already traced by process %d; detach that tracer first", mode, (int)pid,
                        (int)st.tracer_pid);
    /* stopped by SIGSTOP (or ^Z): the probes go in by running code in it, which it cannot do */
    if (verb && st.state == 'T')
        return cd_failk(err, CD_EXIT_TARGET, CD_EK_OTHER,
                        "%s: process %d is stopped (state T, by SIGSTOP or a job-control stop); resume it with "
                        "`kill -CONT %d` and %s it then",
                        mode, (int)pid, (int)pid, verb);
    return 0;
}

int cd_oneshot_launch_parked(const char *mode, char **prog, cd_oneshot_park *pk)
{
    cd_err err;
    cd_err_clear(&err);
    memset(pk, 0, sizeof *pk);
    cd_open_spec ls = {.kind = CD_OPEN_LAUNCH, .argv = prog};
    cd_target *lt = cd_target_open(&ls, &err);
    if (!lt)
        return cd_oneshot_fail(&err, CD_EXIT_TARGET);
    pk->pid = lt->pid;
    cd_symtab *lsym = cd_symtab_new(lt, &err);
    cd_unwinder *lunw = lsym ? cd_unwinder_new(lt, lsym, &err) : NULL;
    cd_vstate *lvs = cd_vstate_new();
    cd_ctl *lctl = lunw ? cd_ctl_new(lt, lsym, lunw, lvs) : NULL;
    cd_stop stop;
    memset(&stop, 0, sizeof stop);
    const char *where = NULL;
    int rc = lctl ? cd_ctl_start(lctl, &stop, &where, &err) : -1;
    bool gone = rc == 0 && (stop.reason == CD_STOP_EXITED || stop.reason == CD_STOP_KILLED);
    if (gone)
        fprintf(stderr, "cdbg: %s: %s ended before main (status %d); nothing was recorded\n", mode, prog[0],
                stop.reason == CD_STOP_EXITED ? stop.status : 128 + stop.sig);
    cd_stop_free(&stop);
    if (lctl)
        cd_ctl_free(lctl);
    cd_regs rr;
    if (rc == 0 && !gone) {
        cd_thread *mth = lt->nthreads ? lt->threads[0] : NULL;
        if (!mth || lt->ops->get_regs(lt, mth, &rr, &err) < 0 || cd_target_read_full(lt, rr.rip, pk->bytes, 2) < 0 ||
            lt->ops->write_mem(lt, rr.rip, "\xeb\xfe", 2, &err) < 0)
            rc = -1;
        pk->pc = rr.rip;
    }
    if (lunw)
        cd_unwinder_free(lunw);
    if (lsym)
        cd_symtab_free(lsym);
    cd_vstate_free(lvs);
    if (rc < 0 || gone) {
        int status = rc < 0 ? cd_oneshot_fail(&err, CD_EXIT_TARGET) : CD_EXIT_CMD;
        cd_target_close(lt); /* kills what it launched */
        return status;
    }
    /* detached, parked; killed if cdbg fails before the probes are in */
    lt->launched = false;
    cd_target_close(lt);
    pk->held = true;
    return 0;
}

cd_target *cd_oneshot_open(const char *mode, const char *pid_s, char **prog, const char *verb, cd_oneshot_park *pk,
                           pid_t *pid, int *status)
{
    cd_err err;
    cd_err_clear(&err);
    if (pid_s) {
        if (cd_parse_pid(pid_s, pid, &err) < 0) {
            *status = cd_oneshot_fail(&err, CD_EXIT_USAGE);
            return NULL;
        }
        if (cd_oneshot_check_untraced(mode, *pid, verb, &err) < 0) {
            *status = cd_oneshot_fail(&err, CD_EXIT_TARGET);
            return NULL;
        }
    } else {
        if ((*status = cd_oneshot_launch_parked(mode, prog, pk)) != 0)
            return NULL;
        *pid = pk->pid;
    }
    cd_open_spec as = {.kind = CD_OPEN_ATTACH, .pid = *pid, .mode = CD_ATTACH_NONSTOP};
    cd_target *t = cd_target_open(&as, &err);
    if (!t)
        *status = cd_oneshot_fail(&err, CD_EXIT_TARGET);
    return t;
}

int cd_oneshot_unpark(cd_target *t, cd_oneshot_park *pk, cd_err *err)
{
    if (!pk->held)
        return 0;
    if (cd_target_stop(t, NULL, 0, err) < 0 || t->ops->write_mem(t, pk->pc, pk->bytes, 2, err) < 0 ||
        cd_target_resume(t, NULL, 0, err) < 0)
        return -1;
    pk->held = false;
    return 0;
}

void cd_oneshot_kill_parked(cd_oneshot_park *pk)
{
    if (!pk->held)
        return;
    int ws;
    kill(pk->pid, SIGKILL);
    while (waitpid(pk->pid, &ws, 0) < 0 && errno == EINTR)
        ;
    pk->held = false;
}

int cd_oneshot_record(cd_oneshot_loop *l, cd_err *err)
{
    bool tty = l->progress && isatty(2);
    uint64_t last_status = 0;
    l->ended = l->interrupted = l->shown = false;
    l->t0 = cd_now_ns();
    uint64_t deadline = l->duration > 0 ? l->t0 + (uint64_t)(l->duration * 1e9) : 0;
    for (;;) {
        if (cd_oneshot_stop) {
            l->interrupted = true;
            return 0;
        }
        uint64_t now = cd_now_ns();
        if (deadline && now >= deadline)
            return 0;
        if (l->poll(l->ctx, 100, err) < 0) {
            if (err->kind == CD_EK_EXITED) {
                l->ended = true;
                return 0;
            }
            return -1;
        }
        if (tty && now - last_status >= 250 * 1000 * 1000ull) {
            last_status = now;
            l->shown = true;
            l->progress(l->ctx, (double)(now - l->t0) / 1e9);
        }
    }
}

int cd_oneshot_reap(const char *mode, const char *prog, pid_t pid, struct rusage *ru)
{
    int ws = 0;
    while (wait4(pid, &ws, 0, ru) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(ws))
        fprintf(stderr, "cdbg: %s: %s exited with status %d\n", mode, prog, WEXITSTATUS(ws));
    else
        fprintf(stderr, "cdbg: %s: %s was killed by signal %d\n", mode, prog, cd_oneshot_status(ws) - 128);
    return ws;
}

void cd_oneshot_runs_on(const char *mode, bool interrupted, pid_t pid)
{
    int sig = cd_oneshot_stop;
    fprintf(stderr, "cdbg: %s: %s%severy probe removed, process %d runs on\n", mode,
            !interrupted        ? ""
            : sig == SIGTERM    ? "interrupted by SIGTERM"
            : sig == SIGHUP     ? "interrupted by SIGHUP"
                                : "interrupted",
            interrupted ? ": " : "", (int)pid);
}
