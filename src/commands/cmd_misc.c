/* help, detach, quit, attach/core from the prompt, syscall names. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

#include "commands/cmd_impl.h"
#include "control/watch.h"
#include "symbols/debuginfod.h"
#include "symbols/symbols.h"
#include "target/open.h"

/* The JSON answer of a command that lists things: {"command": CMD, KEY: [...]}. Takes ARR. */
static void out_json_list(cd_session *s, const char *cmd, const char *key, json_object *arr)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "command", json_object_new_string(cmd));
    json_object_object_add(j, key, arr);
    cd_out_json(&s->out, j);
}

/* The JSON answer of a command that ends a process or closes a core: what became of which pid. */
static void out_json_result(cd_session *s, const char *cmd, const char *result, pid_t pid)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "command", json_object_new_string(cmd));
    json_object_object_add(j, "result", json_object_new_string(result));
    json_object_object_add(j, "pid", json_object_new_int(pid));
    cd_out_json(&s->out, j);
}

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
        out_json_list(s, "help", "commands", arr);
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
    const char *result = s->target->caps.post_mortem ? "closed core" : s->target->launched ? "killed" : "detached from";
    const char *text = s->target->caps.post_mortem ? "Closed the core of" : s->target->launched ? "Killed" : "Detached from";
    cd_session_close_target(s);
    if (s->out.json) {
        out_json_result(s, "detach", result, pid);
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
    return t->caps.post_mortem ? "closed the core of" : t->launched ? "killed" : "detached from";
}

int cd_cmd_attach(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_open_spec spec = {.mode = CD_ATTACH_STOP_ALL_DEFERRED};
    if (cd_open_parse(&spec, CD_OPEN_ATTACH, argc - 1, argv + 1, "attach: usage: attach PID", err) < 0)
        return -1;
    pid_t pid = spec.pid;
    cd_target *t = cd_target_open(&spec, err);
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
        cd_err fe;
        const cd_frame *f = cd_session_frame(s, &fe);
        json_object_object_add(j, "frame", f ? cd_frame_json(f) : NULL);
        say_replaced(s, j, old, old_pid);
        cd_out_json(&s->out, j);
    } else {
        say_replaced(s, NULL, old, old_pid);
        cd_out_printf(&s->out, "Attached to process %d (%s), %zu thread%s\n", (int)pid, th ? th->name : "?",
                      t->nthreads, t->nthreads == 1 ? "" : "s");
        cd_print_where(s);
    }
    return 0;
}

int cd_cmd_core(cd_session *s, int argc, char **argv, cd_err *err)
{
    cd_open_spec spec = {0};
    if (cd_open_parse(&spec, CD_OPEN_CORE, argc - 1, argv + 1, "core: usage: core EXE CORE", err) < 0)
        return -1;
    cd_target *t = cd_target_open(&spec, err);
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
        json_object_object_add(j, "signal", cd_death_json(s));
        say_replaced(s, j, old, old_pid);
        cd_out_json(&s->out, j);
    } else {
        say_replaced(s, NULL, old, old_pid);
        cd_thread *th = cd_session_thread(s);
        cd_out_printf(&s->out, "Core of process %d (%s), %zu thread%s\n", (int)t->pid, th ? th->name : "?",
                      t->nthreads, t->nthreads == 1 ? "" : "s");
        cd_print_death(s);
    }
    return 0;
}

void cd_print_where(cd_session *s)
{
    cd_err err;
    const cd_frame *f = cd_session_frame(s, &err);
    if (!f) {
        cd_out_warn(&s->out, "%s", err.msg);
        return;
    }
    cd_buf b = {0};
    cd_format_frame(s, f, &b);
    cd_out_printf(&s->out, "%s\n", cd_buf_str(&b));
    cd_buf_free(&b);
    if (f->info.file && f->info.line > 0)
        cd_print_source_line(s, f->info.file, f->info.line, true);
}

/* ---- the program `cdbg run` started: run/restart, kill ---- */

static char **argv_dup(char *const *argv)
{
    size_t n = 0;
    while (argv[n])
        n++;
    char **v = cd_xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = cd_xstrdup(argv[i]);
    return v;
}

void cd_session_set_run_argv(cd_session *s, char *const *argv)
{
    char **old = s->run_argv;
    s->run_argv = argv ? argv_dup(argv) : NULL;
    for (size_t i = 0; old && old[i]; i++)
        free(old[i]);
    free(old);
}

/* The user's breakpoints, kept across a restart: set again (same numbers, conditions, ignore
 * counts, `on` commands, enabled or not) once the new process stands at main. Hit counts start
 * over with the new process. */
typedef struct kept_bp {
    int id;
    cd_bp_kind kind;
    char *spec, *cond;
    bool enabled;
    char hit_op[3];
    unsigned long hit_val, ignore;
    char **cmds;
    size_t ncmds;
} kept_bp;

static size_t keep_breakpoints(cd_session *s, kept_bp **out)
{
    *out = NULL;
    /* no process: the last one's list, kept when it was killed or exited (session.c) */
    cd_ctl *ctl = s->ctl ? s->ctl : s->kept_ctl;
    if (!ctl)
        return 0;
    cd_bp **bps;
    size_t n = cd_ctl_bps(ctl, &bps);
    kept_bp *k = cd_xcalloc(n + 1, sizeof *k);
    size_t nk = 0;
    for (size_t j = 0; j < n; j++) {
        const cd_bp *b = bps[j];
        /* a watchpoint on a local means nothing in another process: gdb drops it, silently */
        if (b->watch && b->watch->scoped)
            continue;
        size_t i = nk++;
        k[i] = (kept_bp){.id = b->id, .kind = b->kind, .spec = cd_xstrdup(b->spec),
                         .cond = b->cond ? cd_xstrdup(b->cond) : NULL, .enabled = b->enabled,
                         .hit_val = b->hit_val, .ignore = b->ignore, .ncmds = b->ncmds};
        memcpy(k[i].hit_op, b->hit_op, sizeof k[i].hit_op);
        k[i].cmds = cd_xcalloc(b->ncmds + 1, sizeof *k[i].cmds);
        for (size_t c = 0; c < b->ncmds; c++)
            k[i].cmds[c] = cd_xstrdup(b->cmds[c]);
    }
    *out = k;
    return nk;
}

/* Sets the kept breakpoints again (when set and there is a process to set them in); frees them. */
static void restore_breakpoints(cd_session *s, const char *cmd, kept_bp *k, size_t n, bool set)
{
    cd_scope sc;
    if (!s->ctl)
        set = false;
    if (set)
        cd_session_scope(s, &sc);
    for (size_t i = 0; i < n; i++) {
        cd_err e;
        char *note = NULL;
        /* a location in a library the new process has not loaded yet waits for it (pending) */
        cd_bp *b = set ? cd_ctl_break_flags(s->ctl, &sc, cmd, k[i].spec, k[i].kind, k[i].cond, CD_BPF_PENDING_OK, &note, &e)
                       : NULL;
        free(note);
        if (b) {
            cd_ctl_bp_renumber(s->ctl, b, k[i].id);
            memcpy(b->hit_op, k[i].hit_op, sizeof b->hit_op);
            b->hit_val = k[i].hit_val;
            b->ignore = k[i].ignore;
            b->cmds = k[i].cmds;
            b->ncmds = k[i].ncmds;
            k[i].cmds = NULL;
            if (!k[i].enabled && cd_ctl_bp_enable(s->ctl, b, false, &e) < 0)
                cd_out_warn(&s->out, "%s", e.msg);
        } else if (set) {
            cd_out_warn(&s->out, "breakpoint %d (%s) is not set in the new process: %s", k[i].id, k[i].spec, e.msg);
        }
        free(k[i].spec);
        free(k[i].cond);
        for (size_t c = 0; k[i].cmds && c < k[i].ncmds; c++)
            free(k[i].cmds[c]);
        free(k[i].cmds);
    }
    free(k);
}

int cd_cmd_run(cd_session *s, int argc, char **argv, cd_err *err)
{
    const char *cmd = s->cmd_name ? s->cmd_name : "run";
    bool restart = !strcmp(cmd, "restart");
    if (!s->run_argv)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "%s: no program to start: this session did not start one; start cdbg with `cdbg run PROG "
                        "[ARGS...]`",
                        cmd);
    if (restart && argc > 1)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE,
                        "restart: takes no arguments; `run ARGS...` starts the program with other arguments");
    if (argc > 1) {
        /* gdb's `run ARGS`: the same program, these arguments from now on */
        char **v = cd_xcalloc((size_t)argc + 1, sizeof *v);
        v[0] = s->run_argv[0];
        for (int i = 1; i < argc; i++)
            v[i] = argv[i];
        cd_session_set_run_argv(s, v);
        free(v);
    }
    pid_t old_pid = 0;
    const char *old = replaced_what(s, &old_pid);
    kept_bp *kept;
    size_t nkept = keep_breakpoints(s, &kept);
    cd_session_close_target(s);
    if (old && s->out.json) {
        out_json_result(s, cmd, old, old_pid);
    } else {
        say_replaced(s, NULL, old, old_pid);
    }
    cd_open_spec spec = {0};
    char usage[] = "";
    size_t n = 0;
    while (s->run_argv[n])
        n++;
    if (cd_open_parse(&spec, CD_OPEN_LAUNCH, (int)n, s->run_argv, usage, err) < 0)
        return -1;
    cd_target *t = cd_target_open(&spec, err);
    int rc = !t || cd_session_set_target(s, t, err) < 0 || cd_session_start_as(s, s->cmd_name ? s->cmd_name : "run", CD_EXIT_CMD, err) < 0 ? -1 : 0;
    restore_breakpoints(s, cmd, kept, nkept, rc == 0);
    return rc;
}

int cd_cmd_kill(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "kill: takes no arguments");
    cd_target *t = s->target;
    if (!t)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_EXITED, "kill: the program is not running%s",
                        s->run_argv ? "; `run` starts it again" : "");
    if (t->caps.post_mortem)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "kill: the target is a core file: there is no process to kill; `detach` closes it");
    if (!t->launched)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_UNSUPPORTED,
                        "kill: process %d was attached, not started by cdbg, and cdbg does not kill it; `detach` "
                        "leaves it running",
                        (int)t->pid);
    pid_t pid = t->pid;
    cd_session_close_target(s);
    if (s->out.json) {
        out_json_result(s, "kill", "killed", pid);
    } else {
        cd_out_printf(&s->out, "Killed process %d\n", (int)pid);
    }
    return 0;
}

/* ---- libraries ---- */

typedef struct lib {
    const char *path;
    uint64_t from, to;
} lib;

static int lib_cmp(const void *a, const void *b)
{
    const lib *x = a, *y = b;
    return x->from < y->from ? -1 : x->from > y->from;
}

int cd_cmd_libraries(cd_session *s, int argc, char **argv, cd_err *err)
{
    (void)argv;
    if (argc > 1)
        return cd_failk(err, CD_EXIT_CMD, CD_EK_USAGE, "libraries: takes no arguments");
    cd_target *t = s->target;
    const cd_mapping *m;
    size_t n;
    if (t->ops->mappings(t, &m, &n, err) < 0)
        return -1;
    /* every file mapped with code, but the executable: its code's lowest and highest address */
    lib *libs = cd_xcalloc(n + 1, sizeof *libs);
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(m[i].prot & PROT_EXEC) || !m[i].path || m[i].path[0] != '/' ||
            (t->exe_path && !strcmp(m[i].path, t->exe_path)))
            continue;
        size_t k = 0;
        while (k < nl && strcmp(libs[k].path, m[i].path) != 0)
            k++;
        if (k == nl)
            libs[nl++] = (lib){m[i].path, m[i].start, m[i].end};
        if (m[i].start < libs[k].from)
            libs[k].from = m[i].start;
        if (m[i].end > libs[k].to)
            libs[k].to = m[i].end;
    }
    qsort(libs, nl, sizeof *libs, lib_cmp);
    if (s->out.json) {
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < nl; i++) {
            json_object *l = json_object_new_object();
            json_object_object_add(l, "from", cd_json_hex(libs[i].from));
            json_object_object_add(l, "to", cd_json_hex(libs[i].to));
            json_object_object_add(l, "path", json_object_new_string(libs[i].path));
            json_object_array_add(arr, l);
        }
        out_json_list(s, "libraries", "libraries", arr);
    } else if (nl == 0) {
        cd_out_printf(&s->out, "No shared libraries loaded.\n");
    } else {
        cd_out_printf(&s->out, "%-18s  %-18s  %s\n", "From", "To", "Library");
        for (size_t i = 0; i < nl; i++)
            cd_out_printf(&s->out, "0x%016" PRIx64 "  0x%016" PRIx64 "  %s\n", libs[i].from, libs[i].to,
                          libs[i].path);
    }
    free(libs);
    return 0;
}

/* x86-64 system call names by number, as the kernel's arch/x86/entry/syscalls/syscall_64.tbl names
 * them: those of Linux 6.1's <asm/unistd_64.h> (Debian 12's headers stop there), then the later ones
 * from the kernel's table (335 uretprobe, 336 uprobe, 451 cachestat .. 470 listns). Kept in the
 * source, not taken from the build machine's headers, so a thread in a newer syscall
 * (io_uring_enter in a database) is named whatever headers cdbg was built with. 387..423 are unused
 * on x86-64; x32's 512..547 are not x86-64 numbers. */
static const char *const syscall_names[] = {
    [0] = "read", [1] = "write", [2] = "open", [3] = "close", [4] = "stat", [5] = "fstat", [6] = "lstat",
    [7] = "poll", [8] = "lseek", [9] = "mmap", [10] = "mprotect", [11] = "munmap", [12] = "brk",
    [13] = "rt_sigaction", [14] = "rt_sigprocmask", [15] = "rt_sigreturn", [16] = "ioctl", [17] = "pread64",
    [18] = "pwrite64", [19] = "readv", [20] = "writev", [21] = "access", [22] = "pipe", [23] = "select",
    [24] = "sched_yield", [25] = "mremap", [26] = "msync", [27] = "mincore", [28] = "madvise",
    [29] = "shmget", [30] = "shmat", [31] = "shmctl", [32] = "dup", [33] = "dup2", [34] = "pause",
    [35] = "nanosleep", [36] = "getitimer", [37] = "alarm", [38] = "setitimer", [39] = "getpid",
    [40] = "sendfile", [41] = "socket", [42] = "connect", [43] = "accept", [44] = "sendto", [45] = "recvfrom",
    [46] = "sendmsg", [47] = "recvmsg", [48] = "shutdown", [49] = "bind", [50] = "listen",
    [51] = "getsockname", [52] = "getpeername", [53] = "socketpair", [54] = "setsockopt", [55] = "getsockopt",
    [56] = "clone", [57] = "fork", [58] = "vfork", [59] = "execve", [60] = "exit", [61] = "wait4",
    [62] = "kill", [63] = "uname", [64] = "semget", [65] = "semop", [66] = "semctl", [67] = "shmdt",
    [68] = "msgget", [69] = "msgsnd", [70] = "msgrcv", [71] = "msgctl", [72] = "fcntl", [73] = "flock",
    [74] = "fsync", [75] = "fdatasync", [76] = "truncate", [77] = "ftruncate", [78] = "getdents",
    [79] = "getcwd", [80] = "chdir", [81] = "fchdir", [82] = "rename", [83] = "mkdir", [84] = "rmdir",
    [85] = "creat", [86] = "link", [87] = "unlink", [88] = "symlink", [89] = "readlink", [90] = "chmod",
    [91] = "fchmod", [92] = "chown", [93] = "fchown", [94] = "lchown", [95] = "umask", [96] = "gettimeofday",
    [97] = "getrlimit", [98] = "getrusage", [99] = "sysinfo", [100] = "times", [101] = "ptrace",
    [102] = "getuid", [103] = "syslog", [104] = "getgid", [105] = "setuid", [106] = "setgid",
    [107] = "geteuid", [108] = "getegid", [109] = "setpgid", [110] = "getppid", [111] = "getpgrp",
    [112] = "setsid", [113] = "setreuid", [114] = "setregid", [115] = "getgroups", [116] = "setgroups",
    [117] = "setresuid", [118] = "getresuid", [119] = "setresgid", [120] = "getresgid", [121] = "getpgid",
    [122] = "setfsuid", [123] = "setfsgid", [124] = "getsid", [125] = "capget", [126] = "capset",
    [127] = "rt_sigpending", [128] = "rt_sigtimedwait", [129] = "rt_sigqueueinfo", [130] = "rt_sigsuspend",
    [131] = "sigaltstack", [132] = "utime", [133] = "mknod", [134] = "uselib", [135] = "personality",
    [136] = "ustat", [137] = "statfs", [138] = "fstatfs", [139] = "sysfs", [140] = "getpriority",
    [141] = "setpriority", [142] = "sched_setparam", [143] = "sched_getparam", [144] = "sched_setscheduler",
    [145] = "sched_getscheduler", [146] = "sched_get_priority_max", [147] = "sched_get_priority_min",
    [148] = "sched_rr_get_interval", [149] = "mlock", [150] = "munlock", [151] = "mlockall",
    [152] = "munlockall", [153] = "vhangup", [154] = "modify_ldt", [155] = "pivot_root", [156] = "_sysctl",
    [157] = "prctl", [158] = "arch_prctl", [159] = "adjtimex", [160] = "setrlimit", [161] = "chroot",
    [162] = "sync", [163] = "acct", [164] = "settimeofday", [165] = "mount", [166] = "umount2",
    [167] = "swapon", [168] = "swapoff", [169] = "reboot", [170] = "sethostname", [171] = "setdomainname",
    [172] = "iopl", [173] = "ioperm", [174] = "create_module", [175] = "init_module", [176] = "delete_module",
    [177] = "get_kernel_syms", [178] = "query_module", [179] = "quotactl", [180] = "nfsservctl",
    [181] = "getpmsg", [182] = "putpmsg", [183] = "afs_syscall", [184] = "tuxcall", [185] = "security",
    [186] = "gettid", [187] = "readahead", [188] = "setxattr", [189] = "lsetxattr", [190] = "fsetxattr",
    [191] = "getxattr", [192] = "lgetxattr", [193] = "fgetxattr", [194] = "listxattr", [195] = "llistxattr",
    [196] = "flistxattr", [197] = "removexattr", [198] = "lremovexattr", [199] = "fremovexattr",
    [200] = "tkill", [201] = "time", [202] = "futex", [203] = "sched_setaffinity",
    [204] = "sched_getaffinity", [205] = "set_thread_area", [206] = "io_setup", [207] = "io_destroy",
    [208] = "io_getevents", [209] = "io_submit", [210] = "io_cancel", [211] = "get_thread_area",
    [212] = "lookup_dcookie", [213] = "epoll_create", [214] = "epoll_ctl_old", [215] = "epoll_wait_old",
    [216] = "remap_file_pages", [217] = "getdents64", [218] = "set_tid_address", [219] = "restart_syscall",
    [220] = "semtimedop", [221] = "fadvise64", [222] = "timer_create", [223] = "timer_settime",
    [224] = "timer_gettime", [225] = "timer_getoverrun", [226] = "timer_delete", [227] = "clock_settime",
    [228] = "clock_gettime", [229] = "clock_getres", [230] = "clock_nanosleep", [231] = "exit_group",
    [232] = "epoll_wait", [233] = "epoll_ctl", [234] = "tgkill", [235] = "utimes", [236] = "vserver",
    [237] = "mbind", [238] = "set_mempolicy", [239] = "get_mempolicy", [240] = "mq_open", [241] = "mq_unlink",
    [242] = "mq_timedsend", [243] = "mq_timedreceive", [244] = "mq_notify", [245] = "mq_getsetattr",
    [246] = "kexec_load", [247] = "waitid", [248] = "add_key", [249] = "request_key", [250] = "keyctl",
    [251] = "ioprio_set", [252] = "ioprio_get", [253] = "inotify_init", [254] = "inotify_add_watch",
    [255] = "inotify_rm_watch", [256] = "migrate_pages", [257] = "openat", [258] = "mkdirat",
    [259] = "mknodat", [260] = "fchownat", [261] = "futimesat", [262] = "newfstatat", [263] = "unlinkat",
    [264] = "renameat", [265] = "linkat", [266] = "symlinkat", [267] = "readlinkat", [268] = "fchmodat",
    [269] = "faccessat", [270] = "pselect6", [271] = "ppoll", [272] = "unshare", [273] = "set_robust_list",
    [274] = "get_robust_list", [275] = "splice", [276] = "tee", [277] = "sync_file_range", [278] = "vmsplice",
    [279] = "move_pages", [280] = "utimensat", [281] = "epoll_pwait", [282] = "signalfd",
    [283] = "timerfd_create", [284] = "eventfd", [285] = "fallocate", [286] = "timerfd_settime",
    [287] = "timerfd_gettime", [288] = "accept4", [289] = "signalfd4", [290] = "eventfd2",
    [291] = "epoll_create1", [292] = "dup3", [293] = "pipe2", [294] = "inotify_init1", [295] = "preadv",
    [296] = "pwritev", [297] = "rt_tgsigqueueinfo", [298] = "perf_event_open", [299] = "recvmmsg",
    [300] = "fanotify_init", [301] = "fanotify_mark", [302] = "prlimit64", [303] = "name_to_handle_at",
    [304] = "open_by_handle_at", [305] = "clock_adjtime", [306] = "syncfs", [307] = "sendmmsg",
    [308] = "setns", [309] = "getcpu", [310] = "process_vm_readv", [311] = "process_vm_writev",
    [312] = "kcmp", [313] = "finit_module", [314] = "sched_setattr", [315] = "sched_getattr",
    [316] = "renameat2", [317] = "seccomp", [318] = "getrandom", [319] = "memfd_create",
    [320] = "kexec_file_load", [321] = "bpf", [322] = "execveat", [323] = "userfaultfd", [324] = "membarrier",
    [325] = "mlock2", [326] = "copy_file_range", [327] = "preadv2", [328] = "pwritev2",
    [329] = "pkey_mprotect", [330] = "pkey_alloc", [331] = "pkey_free", [332] = "statx",
    [333] = "io_pgetevents", [334] = "rseq", [335] = "uretprobe", [336] = "uprobe",
    [424] = "pidfd_send_signal", [425] = "io_uring_setup", [426] = "io_uring_enter",
    [427] = "io_uring_register", [428] = "open_tree", [429] = "move_mount", [430] = "fsopen",
    [431] = "fsconfig", [432] = "fsmount", [433] = "fspick", [434] = "pidfd_open", [435] = "clone3",
    [436] = "close_range", [437] = "openat2", [438] = "pidfd_getfd", [439] = "faccessat2",
    [440] = "process_madvise", [441] = "epoll_pwait2", [442] = "mount_setattr", [443] = "quotactl_fd",
    [444] = "landlock_create_ruleset", [445] = "landlock_add_rule", [446] = "landlock_restrict_self",
    [447] = "memfd_secret", [448] = "process_mrelease", [449] = "futex_waitv",
    [450] = "set_mempolicy_home_node", [451] = "cachestat", [452] = "fchmodat2", [453] = "map_shadow_stack",
    [454] = "futex_wake", [455] = "futex_wait", [456] = "futex_requeue", [457] = "statmount",
    [458] = "listmount", [459] = "lsm_get_self_attr", [460] = "lsm_set_self_attr", [461] = "lsm_list_modules",
    [462] = "mseal", [463] = "setxattrat", [464] = "getxattrat", [465] = "listxattrat",
    [466] = "removexattrat", [467] = "open_tree_attr", [468] = "file_getattr", [469] = "file_setattr",
    [470] = "listns",
};

const char *cd_syscall_name(long nr)
{
    if (nr < 0 || (unsigned long)nr >= sizeof syscall_names / sizeof syscall_names[0])
        return NULL;
    return syscall_names[nr];
}

/* The debug directories as gdb's `show debug-file-directory` says them. */
static void show_debugdir(cd_session *s)
{
    char *dirs = cd_debugdirs_get(s->debugdirs);
    if (s->out.json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "debug_file_directory", json_object_new_string(dirs));
        cd_out_json(&s->out, j);
    } else
        cd_out_printf(&s->out, "The directory where separate debug symbols are searched for is \"%s\".\n", dirs);
    free(dirs);
}

int cd_cmd_debugdir(cd_session *s, int argc, char **argv, cd_err *err)
{
    bool config = !strcmp(argv[0], "config");
    if (argc > 3)
        return cd_fail(err, CD_EXIT_CMD, "%s debug-file-directory: one argument, the directories separated by ':' "
                       "(e.g. %s debug-file-directory /usr/lib/debug:/opt/debug)", argv[0], argv[0]);
    if (argc == 2 && config) {
        show_debugdir(s);
        return 0;
    }
    /* gdb: `set debug-file-directory` alone empties the list */
    const char *dirs = argc == 3 ? argv[2] : "";
    for (const char *d = dirs; *d;) {
        size_t n = strcspn(d, ":");
        if (n && d[0] != '/')
            return cd_fail(err, CD_EXIT_CMD, "%s debug-file-directory: '%.*s' is not an absolute path; give each "
                           "directory from the root (/usr/lib/debug)", argv[0], (int)n, d);
        d += n + (d[n] == ':');
    }
    cd_debugdirs_set(s->debugdirs, dirs);
    if (config || s->out.json) /* JSON: one object per command; gdb's set says nothing */
        show_debugdir(s);
    return 0;
}

/* gdb's `show debuginfod enabled|urls` (WHAT NULL: both). */
static void show_debuginfod(cd_session *s, const char *what)
{
    const char *urls = cd_debuginfod_urls();
    const char *m = cd_debuginfod_mode_name(cd_debuginfod_mode());
    if (s->out.json) {
        json_object *j = json_object_new_object();
        if (!what || !strcmp(what, "enabled"))
            json_object_object_add(j, "debuginfod_enabled", json_object_new_string(m));
        if (!what || !strcmp(what, "urls"))
            json_object_object_add(j, "debuginfod_urls", urls ? json_object_new_string(urls) : NULL);
        cd_out_json(&s->out, j);
        return;
    }
    if (!what || !strcmp(what, "enabled"))
        cd_out_printf(&s->out, "%sDebuginfod functionality is currently set to \"%s\".\n", what ? "" : "debuginfod enabled:  ", m);
    if (!what || !strcmp(what, "urls")) {
        if (urls)
            cd_out_printf(&s->out, "%sDebuginfod URLs are currently set to:\n%s\n", what ? "" : "debuginfod urls:  ", urls);
        else
            cd_out_printf(&s->out, "%sDebuginfod URLs have not been set.\n", what ? "" : "debuginfod urls:  ");
    }
}

/* `set debuginfod enabled on|off|ask` and `show debuginfod [enabled|urls]`. */
int cd_cmd_debuginfod(cd_session *s, int argc, char **argv, cd_err *err)
{
    bool set = !strcmp(argv[0], "set");
    const char *what = argc > 2 ? argv[2] : NULL;
    if (!set) {
        if (argc > 3 || (what && strcmp(what, "enabled") && strcmp(what, "urls")))
            return cd_fail(err, CD_EXIT_CMD, "show debuginfod: usage: show debuginfod [enabled | urls]");
        show_debuginfod(s, what);
        return 0;
    }
    if (what && !strcmp(what, "urls"))
        return cd_fail(err, CD_EXIT_CMD, "set debuginfod urls: cdbg takes the servers from DEBUGINFOD_URLS only; set it "
                       "in the environment before starting cdbg");
    cd_dbgi_mode m;
    if (argc != 4 || strcmp(what, "enabled") || !cd_debuginfod_parse_mode(argv[3], &m))
        return cd_fail(err, CD_EXIT_CMD, "set debuginfod: usage: set debuginfod enabled on|off|ask%s%s%s",
                       argc == 4 ? " ('" : "", argc == 4 ? argv[3] : "", argc == 4 ? "' is none of them)" : "");
    cd_debuginfod_set_mode(m);
    if (s->out.json) /* JSON: one object per command; gdb's set says nothing */
        show_debuginfod(s, "enabled");
    return 0;
}

int cd_cmd_show(cd_session *s, int argc, char **argv, cd_err *err)
{
    if (argc >= 2 && !strcmp(argv[1], "debuginfod"))
        return cd_cmd_debuginfod(s, argc, argv, err);
    if (argc == 2 && !strcmp(argv[1], "debug-file-directory")) {
        show_debugdir(s);
        return 0;
    }
    if (argc >= 2 && cd_is_print_word(argv[1]))
        return cd_print_show(s, argc, argv, err);
    return cd_fail(err, CD_EXIT_CMD, "show: %s; show knows print [NAME], debug-file-directory and debuginfod, `config` "
                   "shows the other settings",
                   argc < 2 ? "which setting? (show print, show debug-file-directory)" : "unknown setting");
}
