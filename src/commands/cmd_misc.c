/* help, detach, quit, attach/core from the prompt, syscall names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"

int cd_cmd_help(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc > 1) {
        const cd_command *c = cd_command_find(argv[1]);
        if (!c)
            return cd_fail(err, CD_EXIT_CMD, "help: unknown command '%s': type `help` for the list of commands", argv[1]);
        if (s->out.json) {
            json_object *j = json_object_new_object();
            json_object_object_add(j, "command", json_object_new_string("help"));
            json_object_object_add(j, "name", json_object_new_string(c->name));
            json_object_object_add(j, "aliases", json_object_new_string(c->aliases));
            json_object_object_add(j, "usage", json_object_new_string(c->usage));
            json_object_object_add(j, "summary", json_object_new_string(c->summary));
            json_object_object_add(j, "help", json_object_new_string(c->help));
            cd_out_json(&s->out, j);
            return 0;
        }
        cd_out_printf(&s->out, "%s - %s\nusage: %s\n", c->name, c->summary, c->usage);
        if (c->aliases[0])
            cd_out_printf(&s->out, "aliases: %s\n", c->aliases);
        if (c->help[0])
            cd_out_printf(&s->out, "\n%s\n", c->help);
        return 0;
    }
    if (s->out.json) {
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < cd_ncommands; i++) {
            json_object *c = json_object_new_object();
            json_object_object_add(c, "name", json_object_new_string(cd_commands[i].name));
            json_object_object_add(c, "aliases", json_object_new_string(cd_commands[i].aliases));
            json_object_object_add(c, "summary", json_object_new_string(cd_commands[i].summary));
            json_object_array_add(arr, c);
        }
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("help"));
        json_object_object_add(j, "commands", arr);
        cd_out_json(&s->out, j);
        return 0;
    }
    cd_out_printf(&s->out, "Commands (type `help COMMAND` for details):\n");
    for (size_t i = 0; i < cd_ncommands; i++) {
        char names[64];
        if (cd_commands[i].aliases[0])
            snprintf(names, sizeof names, "%s (%s)", cd_commands[i].name, cd_commands[i].aliases);
        else
            snprintf(names, sizeof names, "%s", cd_commands[i].name);
        cd_out_printf(&s->out, "  %-24s %s\n", names, cd_commands[i].summary);
    }
    return 0;
}

int cd_cmd_detach(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    pid_t pid = s->target->pid;
    const char *result = s->target->core_path ? "closed core" : s->target->launched ? "killed" : "detached from";
    const char *text = s->target->core_path ? "Closed the core of" : s->target->launched ? "Killed" : "Detached from";
    cd_session_close_target(s);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("detach"));
        json_object_object_add(j, "result", json_object_new_string(result));
        json_object_object_add(j, "pid", json_object_new_int(pid));
        cd_out_json(&s->out, j);
    } else {
        cd_out_printf(&s->out, "%s process %d\n", text, (int)pid);
    }
    return 0;
}

int cd_cmd_quit(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    s->quit = true;
    return 0;
}

/* attach/core replace the current target: say what happened to it (text only; JSON gets the
 * "replaced" member), so nobody wonders whether the old process is still held. */
static void say_replaced(cd_session *s, json_object *j, const char *what, pid_t pid)
{
    if (!what)
        return;
    if (j) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "result", json_object_new_string(what));
        json_object_object_add(r, "pid", json_object_new_int(pid));
        json_object_object_add(j, "replaced", r);
    } else {
        cd_out_printf(&s->out, "%c%s process %d\n", what[0] - 'a' + 'A', what + 1, (int)pid);
    }
}

static const char *replaced_what(cd_session *s, pid_t *pid)
{
    cd_target *t = s->target;
    if (!t)
        return NULL;
    *pid = t->pid;
    return t->core_path ? "closed the core of" : t->launched ? "killed" : "detached from";
}

int cd_cmd_attach(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc != 2)
        return cd_fail(err, CD_EXIT_USAGE, "attach: usage: attach PID");
    pid_t pid;
    if (cd_parse_pid(argv[1], &pid, err) < 0)
        return -1;
    cd_target *t = cd_live_attach(pid, CD_ATTACH_STOP_ALL_DEFERRED, err);
    if (!t)
        return -1;
    pid_t old_pid = 0;
    const char *old = replaced_what(s, &old_pid);
    if (cd_session_set_target(s, t, err) < 0)
        return -1;
    cd_thread *th = cd_session_thread(s);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("attach"));
        json_object_object_add(j, "pid", json_object_new_int(pid));
        json_object_object_add(j, "threads", json_object_new_int((int)t->nthreads));
        say_replaced(s, j, old, old_pid);
        cd_out_json(&s->out, j);
    } else {
        say_replaced(s, NULL, old, old_pid);
        cd_out_printf(&s->out, "Attached to process %d (%s), %zu thread%s\n", (int)pid, th ? th->name : "?",
                      t->nthreads, t->nthreads == 1 ? "" : "s");
    }
    return 0;
}

int cd_cmd_core(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc != 3)
        return cd_fail(err, CD_EXIT_USAGE, "core: usage: core EXE CORE");
    cd_target *t = cd_core_open(argv[1], argv[2], err);
    if (!t)
        return -1;
    pid_t old_pid = 0;
    const char *old = replaced_what(s, &old_pid);
    if (cd_session_set_target(s, t, err) < 0)
        return -1;
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "command", json_object_new_string("core"));
        json_object_object_add(j, "pid", json_object_new_int(t->pid));
        json_object_object_add(j, "threads", json_object_new_int((int)t->nthreads));
        say_replaced(s, j, old, old_pid);
        cd_out_json(&s->out, j);
    } else {
        say_replaced(s, NULL, old, old_pid);
        cd_thread *th = cd_session_thread(s);
        cd_out_printf(&s->out, "Core of process %d (%s), %zu thread%s\n", (int)t->pid, th ? th->name : "?",
                      t->nthreads, t->nthreads == 1 ? "" : "s");
        if (th && th->pending_sig)
            cd_out_printf(&s->out, "Program terminated with signal %d (%s).\n", th->pending_sig,
                          strsignal(th->pending_sig));
    }
    return 0;
}

const char *cd_syscall_name(long nr)
{
    /* The syscalls threads are usually found blocked in; enough to say what a thread waits for. */
    static const struct {
        long nr;
        const char *name;
    } tab[] = {
        {0, "read"},          {1, "write"},           {7, "poll"},           {17, "pread64"},
        {18, "pwrite64"},     {19, "readv"},          {20, "writev"},        {23, "select"},
        {24, "sched_yield"},  {34, "pause"},          {35, "nanosleep"},     {43, "accept"},
        {44, "sendto"},       {45, "recvfrom"},       {46, "sendmsg"},       {47, "recvmsg"},
        {61, "wait4"},        {62, "kill"},           {72, "fcntl"},         {74, "fsync"},
        {128, "rt_sigtimedwait"}, {130, "rt_sigsuspend"}, {202, "futex"},   {232, "epoll_wait"},
        {230, "clock_nanosleep"}, {247, "waitid"},    {270, "pselect6"},     {271, "ppoll"},
        {281, "epoll_pwait"}, {288, "accept4"},       {299, "recvmmsg"},     {307, "sendmmsg"},
        {441, "epoll_pwait2"}, {449, "futex_waitv"},  {56, "clone"},         {57, "fork"},
        {59, "execve"},       {60, "exit"},           {231, "exit_group"},   {39, "getpid"},
        {16, "ioctl"},        {9, "mmap"},            {11, "munmap"},        {3, "close"},
        {2, "open"},          {257, "openat"},     {219, "restart_syscall"}, {234, "tgkill"},
        {200, "tkill"},       {13, "rt_sigaction"},   {14, "rt_sigprocmask"},        {435, "clone3"},       {42, "connect"},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (tab[i].nr == nr)
            return tab[i].name;
    return NULL;
}
