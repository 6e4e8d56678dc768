/* cdbg: command-line parsing and the REPL loop. Everything else lives in the library (src/). */
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include "commands/commands.h"
#include "deadlock/deadlock.h"
#include "expr/expr.h"

static const char usage_text[] =
    "usage: cdbg [OPTIONS] attach PID\n"
    "       cdbg [OPTIONS] core EXE CORE\n"
    "       cdbg [OPTIONS] run PROG [ARGS...]\n"
    "       cdbg deadlock PID | cdbg deadlock EXE CORE   [--json]\n"
    "       cdbg help [COMMAND] | cdbg --help | cdbg --version\n"
    "\n"
    "Options (before or after the operands; after PROG, unknown options go to PROG, and everything\n"
    "after `--` does):\n"
    "  -ex CMD      run CMD after opening the target (repeatable, in order)\n"
    "  -x FILE      run the commands in FILE, one per line (repeatable)\n"
    "  --batch      exit after the -ex/-x commands instead of prompting\n"
    "  --json       print one JSON object per line for every command (schemas: docs/json.md)\n"
    "  -q, --quiet  no banner\n"
    "\n"
    "Commands are read from standard input when it is not a terminal. Commands from -ex, -x or\n"
    "such a stdin are a script: it stops at the first one that fails (exit status 1), so a CI job\n"
    "never acts on a half-done session; at a terminal prompt a failure only prints its error.\n"
    "Leaving cdbg detaches an attached process (it runs on, untraced) and kills a process started\n"
    "by `run`.\n"
    "\n"
    "Exit status:\n"
    "  0  success\n"
    "  1  a command failed (a script stops at the first failure)\n"
    "  2  usage error\n"
    "  3  `cdbg deadlock`: a deadlock or a thread blocked forever was found\n"
    "  4  cannot attach to the process or open the executable/core\n"
    "  128+N  cdbg was killed by signal N (the target was detached first); 130 also when ^C\n"
    "         ended a --batch script\n";

/* The one target being run by `continue`: the SIGINT handler interrupts it. Process-wide because
 * signal handlers are; it names whichever target is running, never shares state between them. */
static cd_session *volatile g_session;
static volatile sig_atomic_t g_sigint;       /* since the current command began */
static volatile sig_atomic_t g_sigint_ever;  /* since cdbg began: ends a --batch script */

static void on_sigint(int sig)
{
    (void)sig;
    g_sigint = 1;
    g_sigint_ever = 1;
    cd_session *s = g_session;
    cd_target *t = s ? s->running : NULL;
    if (t)
        cd_target_interrupt(t);
}

static void on_fatal(int sig)
{
    /* Detach (or kill what we launched) before dying, whatever killed us: the target must never
     * stay stopped or traced because cdbg went away. */
    cd_emergency_cleanup();
    static const char msg[] = "cdbg: terminated by a signal; the target was released (an attached process "
                              "detached and running, a launched one killed)\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

#if defined(__SANITIZE_ADDRESS__)
/* A sanitizer's report ends the process with _exit, not with a signal: clean up first. */
static void on_sanitizer_death(void)
{
    cd_emergency_cleanup();
}
#endif

static void install_signals(void)
{
    /* The fatal-signal handler runs on its own stack: after a stack overflow in cdbg, the
     * SIGSEGV has no room on the thread's stack, and the target would be left patched and traced.
     * One per process, allocated once and never freed (it must outlive any handler run). */
    static void *altstack;
    if (!altstack) {
        long min = sysconf(_SC_MINSIGSTKSZ);
        size_t size = (size_t)(min > 0 ? min : 0) + 256 * 1024;
        altstack = malloc(size);
        stack_t ss = {.ss_sp = altstack, .ss_size = size, .ss_flags = 0};
        if (altstack)
            sigaltstack(&ss, NULL);
    }
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_sigint; /* no SA_RESTART: a blocking read at the prompt returns */
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
    sigfillset(&sa.sa_mask);
    int fatal[] = {SIGTERM, SIGHUP, SIGQUIT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGXCPU};
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++)
        sigaction(fatal[i], &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

typedef struct opts {
    bool batch, json, quiet;
    char **cmds;    /* "-ex" commands and "\x01FILE" for -x, in order */
    size_t ncmds;
    char **ops;     /* operands */
    size_t nops;
} opts;

/* Test hook, read here only: CDBG_TEST_CRASH=segv or =stackoverflow makes cdbg crash for real
 * (an invalid write, or unbounded recursion into the guard page) after its -ex/-x commands, with
 * the target still open, so tests/integration/safety can check that cdbg's own crash leaves the
 * target running, untraced and unpatched. Not for users; any other value is ignored. */
__attribute__((noinline)) static size_t crash_recurse(volatile char *up, size_t depth)
{
    volatile char frame[1024];
    frame[0] = up ? (char)(up[0] + 1) : 0;
    if (depth == SIZE_MAX) /* never: keeps the recursion from being infinite in the compiler's eyes */
        return frame[0];
    return crash_recurse(frame, depth + 1) + (size_t)frame[1];
}

static void test_crash_hook(void)
{
    const char *c = getenv("CDBG_TEST_CRASH");
    if (!c)
        return;
    if (!strcmp(c, "segv")) {
        volatile uintptr_t bad = 8;
        *(volatile int *)bad = 1;
    } else if (!strcmp(c, "stackoverflow")) {
        crash_recurse(NULL, 0);
    }
}

static void opts_free(opts *o)
{
    free(o->cmds);
    free(o->ops);
}

static int parse_args(int argc, char **argv, opts *o, cd_err *err)
{
    memset(o, 0, sizeof *o);
    o->cmds = cd_xcalloc((size_t)argc + 1, sizeof(char *));
    o->ops = cd_xcalloc((size_t)argc + 1, sizeof(char *));
    bool in_prog = false, rest = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (rest || a[0] != '-' || !a[1]) {
            o->ops[o->nops++] = argv[i];
            if (o->nops == 2 && !strcmp(o->ops[0], "run"))
                in_prog = true;
            continue;
        }
        if (!strcmp(a, "--")) {
            rest = true;
            continue;
        }
        if (!strcmp(a, "-ex") || !strcmp(a, "--ex") || !strcmp(a, "-x") || !strcmp(a, "--command")) {
            if (i + 1 >= argc)
                return cd_fail(err, CD_EXIT_USAGE, "option %s needs an argument: see `cdbg --help`", a);
            if (a[1] == 'x' || a[2] == 'c')
                o->cmds[o->ncmds++] = cd_xasprintf("\x01%s", argv[++i]);
            else
                o->cmds[o->ncmds++] = cd_xstrdup(argv[++i]);
            continue;
        }
        if (!strcmp(a, "--batch") || !strcmp(a, "-batch")) {
            o->batch = true;
            continue;
        }
        if (!strcmp(a, "--json")) {
            o->json = true;
            continue;
        }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            o->quiet = true;
            continue;
        }
        if (in_prog) {
            o->ops[o->nops++] = argv[i];
            continue;
        }
        return cd_fail(err, CD_EXIT_USAGE, "unknown option '%s': see `cdbg --help`", a);
    }
    return 0;
}

static void free_cmd_strings(opts *o)
{
    for (size_t i = 0; i < o->ncmds; i++)
        free(o->cmds[i]);
}

static int open_target(cd_session *s, opts *o, cd_err *err)
{
    if (o->nops == 0)
        return cd_fail(err, CD_EXIT_USAGE, "no target: give `attach PID`, `core EXE CORE` or `run PROG`; see `cdbg --help`");
    const char *verb = o->ops[0];
    cd_target *t = NULL;
    if (!strcmp(verb, "attach")) {
        if (o->nops != 2)
            return cd_fail(err, CD_EXIT_USAGE, "usage: cdbg attach PID");
        pid_t pid;
        if (cd_parse_pid(o->ops[1], &pid, err) < 0)
            return -1;
        t = cd_live_attach(pid, CD_ATTACH_STOP_ALL_DEFERRED, err);
    } else if (!strcmp(verb, "core")) {
        if (o->nops != 3)
            return cd_fail(err, CD_EXIT_USAGE, "usage: cdbg core EXE CORE");
        t = cd_core_open(o->ops[1], o->ops[2], err);
    } else if (!strcmp(verb, "run")) {
        if (o->nops < 2)
            return cd_fail(err, CD_EXIT_USAGE, "usage: cdbg run PROG [ARGS...]");
        t = cd_live_launch(&o->ops[1], err);
    } else {
        return cd_fail(err, CD_EXIT_USAGE, "unknown mode '%s': use attach, core, run, deadlock or help; see `cdbg --help`",
                       verb);
    }
    if (!t)
        return -1;
    if (err->code == 0 && t->warning == NULL) {
    }
    if (cd_session_set_target(s, t, err) < 0) {
        if (err->code == CD_EXIT_CMD)
            err->code = CD_EXIT_TARGET;
        return -1;
    }
    if (!strcmp(verb, "run")) {
        if (cd_session_start(s, err) < 0)
            return -1;
    } else if (!o->quiet && !o->batch && !s->out.json && o->ncmds == 0) {
        cd_thread *th = cd_session_thread(s);
        cd_out_printf(&s->out, "%s process %d (%s), %zu thread%s. Type `help` for commands.\n",
                      t->core_path ? "Core of" : "Attached to", (int)t->pid, th ? th->name : "?", t->nthreads,
                      t->nthreads == 1 ? "" : "s");
    }
    /* Why it died comes first, as in gdb's opening of a core. Not before -ex/-x commands: their
     * output is what a script reads (`core EXE CORE` or `threads` say it there). */
    if (t->core_path && !o->quiet && !s->out.json && o->ncmds == 0)
        cd_print_death(s);
    return 0;
}

/* ---- command execution ---- */

static int exec_line(cd_session *s, const char *line, cd_err *err)
{
    cd_err_clear(err);
    g_sigint = 0;
    const char *sp = line + strspn(line, " \t");
    char word[64];
    snprintf(word, sizeof word, "%.*s", (int)strcspn(sp, " \t\n/"), sp);
    const cd_command *c = cd_command_find(word);
    int rc;
    /* A process killed or exited while we held it: say so once, instead of showing the stacks
     * cached from its last stop. Cheap when every thread is held (one waitid). `detach` still
     * runs, to drop the dead target. */
    if (c && (c->flags & CD_CMD_TARGET) && s->target && strcmp(c->name, "detach") != 0 &&
        s->target->ops->refresh_threads(s->target, err) < 0)
        rc = -1;
    else
        rc = cd_session_exec(s, line, err);
    if (rc < 0) {
        if (!err->code)
            err->code = CD_EXIT_CMD;
        /* An empty message means the command already reported its error in its own shape
         * (print's {"expr": E, "error": M}). */
        if (err->msg[0])
            cd_out_error(&s->out, c ? c->name : word, err->msg);
    }
    /* Results that never reached stdout (a full disk, a closed pipe) are a failure a CI job must
     * see, not an exit status 0 with nothing behind it. */
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0) {
        int e = errno ? errno : EIO;
        clearerr(stdout);
        cd_fail(err, CD_EXIT_CMD, "%s: cannot write the output: %s; the results are lost (check where stdout goes)",
                c ? c->name : word, strerror(e));
        fprintf(stderr, "cdbg: %s\n", err->msg);
        rc = -1;
    }
    return rc;
}

/* A ^C ends a --batch session: the script stops and cdbg leaves (detaching what it attached). */
static bool batch_interrupted(const opts *o)
{
    return o->batch && g_sigint_ever;
}

static int exec_file(cd_session *s, const opts *o, const char *path, cd_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return cd_fail(err, CD_EXIT_USAGE, "cannot read command file %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    while (!s->quit && !batch_interrupted(o) && getline(&line, &cap, f) > 0) {
        if ((rc = exec_line(s, line, err)) < 0)
            break;
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- REPL ---- */

static char *prompt_fn(EditLine *el)
{
    (void)el;
    return "(cdbg) ";
}

static unsigned char complete_fn(EditLine *el, int ch)
{
    (void)ch;
    const LineInfo *li = el_line(el);
    size_t len = (size_t)(li->cursor - li->buffer);
    const char *start = li->buffer;
    while (start < li->cursor && (*start == ' ' || *start == '\t'))
        start++;
    for (const char *p = start; p < li->cursor; p++)
        if (*p == ' ')
            return CC_ERROR; /* only command names complete */
    size_t plen = (size_t)(li->cursor - start);
    (void)len;
    const char *match = NULL;
    size_t nmatch = 0;
    for (size_t i = 0; i < cd_ncommands; i++)
        if (!strncmp(cd_commands[i].name, start, plen)) {
            match = cd_commands[i].name;
            nmatch++;
        }
    if (nmatch == 1) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s ", match + plen);
        el_insertstr(el, buf);
        return CC_REFRESH;
    }
    if (nmatch > 1) {
        fputc('\n', stdout);
        for (size_t i = 0; i < cd_ncommands; i++)
            if (!strncmp(cd_commands[i].name, start, plen))
                printf("%s  ", cd_commands[i].name);
        fputc('\n', stdout);
        return CC_REDISPLAY;
    }
    return CC_ERROR;
}

/* libedit's character reader, replaced so that ^C at the prompt is never lost: a SIGINT landing
 * after the handler's flag was last checked but before a plain read() blocked would only be seen
 * at the next key. SIGINT stays blocked between the check and ppoll(), which unblocks it
 * atomically while waiting. The read itself must not block either: ^C also flushes the
 * terminal's input, so bytes ppoll() saw may be gone by the time we read. */
typedef struct repl_input {
    int fd;       /* the terminal opened again with O_NONBLOCK (fd 0's flags are the shell's too) */
    mbstate_t mb; /* a UTF-8 character arrives one byte per read */
} repl_input;

static int getc_fn(EditLine *el, wchar_t *wc)
{
    repl_input *in = NULL;
    el_get(el, EL_CLIENTDATA, &in);
    sigset_t intr, old;
    sigemptyset(&intr);
    sigaddset(&intr, SIGINT);
    for (;;) {
        sigprocmask(SIG_BLOCK, &intr, &old);
        if (g_sigint) {
            sigprocmask(SIG_SETMASK, &old, NULL);
            errno = EINTR;
            return -1;
        }
        sigset_t waiting = old;
        sigdelset(&waiting, SIGINT);
        struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
        int r = ppoll(&pfd, 1, NULL, &waiting);
        int e = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (r < 0 && e != EINTR) {
            errno = e;
            return -1;
        }
        if (r <= 0)
            continue; /* EINTR: g_sigint is checked at the top */
        unsigned char c;
        ssize_t n = read(in->fd, &c, 1);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            return -1;
        }
        size_t k = mbrtowc(wc, (const char *)&c, 1, &in->mb);
        if (k == (size_t)-2)
            continue; /* more bytes of this character to come */
        if (k == (size_t)-1) {
            memset(&in->mb, 0, sizeof in->mb);
            *wc = c; /* not valid in this locale: pass the byte through */
        }
        return 1;
    }
}

static int repl(cd_session *s, cd_err *err)
{
    EditLine *el = el_init("cdbg", stdin, stdout, stderr);
    History *hist = history_init();
    HistEvent ev;
    history(hist, &ev, H_SETSIZE, 2000);
    history(hist, &ev, H_SETUNIQUE, 1);
    const char *home = getenv("HOME");
    char *hpath = home ? cd_xasprintf("%s/.cdbg_history", home) : NULL;
    if (hpath)
        history(hist, &ev, H_LOAD, hpath);
    repl_input input;
    memset(&input, 0, sizeof input);
    input.fd = open("/proc/self/fd/0", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (input.fd < 0)
        input.fd = STDIN_FILENO; /* no /proc: a blocking read, ^C then waits for the next key */
    el_set(el, EL_CLIENTDATA, &input);
    el_set(el, EL_GETCFN, getc_fn);
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_HIST, history, hist);
    /* the wide call: libedit's narrow EL_ADDFN wcsdup()s both strings and never frees them */
    el_wset(el, EL_ADDFN, L"cdbg-complete", L"Complete a command name", complete_fn);
    el_set(el, EL_BIND, "^I", "cdbg-complete", NULL);
    char *last = NULL;
    int rc = 0;
    while (!s->quit) {
        int count = 0;
        g_sigint = 0;
        errno = 0; /* el_gets leaves errno alone at EOF: a stale EINTR would turn ^D into ^C */
        const char *line = el_gets(el, &count);
        if (!line) {
            if (g_sigint || errno == EINTR) {
                /* ^C at the prompt: abandon the line, never exit */
                fputs("^C\n", stdout);
                el_reset(el);
                continue;
            }
            fputc('\n', stdout);
            break; /* EOF (^D) */
        }
        char *copy = cd_xstrdup(line);
        copy[strcspn(copy, "\n")] = 0;
        /* tab completion leaves "regs ": keep history entries as the user would have typed them */
        for (size_t n = strlen(copy); n > 0 && (copy[n - 1] == ' ' || copy[n - 1] == '\t');)
            copy[--n] = 0;
        const char *p = copy + strspn(copy, " \t");
        if (!*p) {
            /* Enter repeats the last command when repeating makes sense (bt, list, up...). */
            if (last) {
                char word[64];
                snprintf(word, sizeof word, "%.*s", (int)strcspn(last, " \t/"), last);
                const cd_command *c = cd_command_find(word);
                if (c && (c->flags & CD_CMD_REPEAT))
                    exec_line(s, (c->flags & CD_CMD_REPEAT_BARE) ? c->name : last, err);
            }
            free(copy);
            continue;
        }
        history(hist, &ev, H_ENTER, copy);
        if (hpath)
            history(hist, &ev, H_SAVE, hpath);
        exec_line(s, copy, err);
        free(last);
        last = copy;
    }
    free(last);
    free(hpath);
    history_end(hist);
    el_end(el);
    if (input.fd != STDIN_FILENO)
        close(input.fd);
    return rc;
}

static int read_stdin_commands(cd_session *s, cd_err *err)
{
    char *line = NULL;
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        errno = 0;
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) {
            if (errno == EINTR) {
                clearerr(stdin);
                continue; /* ^C never ends the session */
            }
            break;
        }
        if ((rc = exec_line(s, line, err)) < 0 || s->quit)
            break;
    }
    free(line);
    return rc;
}

/* docs/commands.md is this output; tests/integration/spine/docs.sh checks they agree. */
static void print_commands_markdown(void)
{
    printf("# cdbg command reference\n\n"
           "Generated by `cdbg --commands-markdown` from the command table that also drives the REPL,\n"
           "`help` and tab completion. Do not edit by hand: regenerate it.\n\n"
           "## Command line\n\n```\n%s```\n\n## Commands\n\n", usage_text);
    for (size_t i = 0; i < cd_ncommands; i++) {
        const cd_command *c = &cd_commands[i];
        printf("### %s\n\n%s\n\n```\n%s\n```\n\n", c->name, c->summary, c->usage);
        if (c->aliases[0])
            printf("Aliases: `%s`\n\n", c->aliases);
        if (c->help[0])
            printf("%s\n\n", c->help);
    }
}

int main(int argc, char **argv)
{
    install_signals();
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "--version")) {
            printf("cdbg %s\n", CDBG_VERSION);
            return 0;
        }
        if (!strcmp(argv[i], "--commands-markdown")) {
            print_commands_markdown();
            return 0;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage_text, stdout);
            return 0;
        }
    }
    if (argc > 1 && !strcmp(argv[1], "deadlock"))
        return cd_deadlock_main(argc - 2, argv + 2);

    cd_err err;
    cd_err_clear(&err);
    opts o;
    if (parse_args(argc, argv, &o, &err) < 0) {
        fprintf(stderr, "cdbg: %s\n", err.msg);
        free_cmd_strings(&o);
        opts_free(&o);
        return CD_EXIT_USAGE;
    }
    cd_session s;
    cd_session_init(&s, o.json);
    cd_values_install(&s);
    g_session = &s;
    int status = 0;
    if (o.nops > 0 && !strcmp(o.ops[0], "help")) {
        char *line = cd_xasprintf("help %s", o.nops > 1 ? o.ops[1] : "");
        status = exec_line(&s, line, &err) < 0 ? err.code : 0;
        free(line);
        goto done;
    }
    if (o.nops > 0 && !strcmp(o.ops[0], "deadlock")) {
        fprintf(stderr, "cdbg: `deadlock` must be the first argument: cdbg deadlock PID [--json]\n");
        status = CD_EXIT_USAGE;
        goto done;
    }
    if (open_target(&s, &o, &err) < 0) {
        cd_out_error(&s.out, o.nops ? o.ops[0] : "cdbg", err.msg);
        status = err.code ? err.code : CD_EXIT_TARGET;
        goto done;
    }
    fflush(stdout); /* "Stopped: ..." reaches a pipe before cdbg waits for the first command */
    for (size_t i = 0; i < o.ncmds && !s.quit && !batch_interrupted(&o); i++) {
        int rc = o.cmds[i][0] == '\x01' ? exec_file(&s, &o, o.cmds[i] + 1, &err) : exec_line(&s, o.cmds[i], &err);
        if (rc < 0 && !batch_interrupted(&o)) {
            if (o.cmds[i][0] == '\x01' && err.code == CD_EXIT_USAGE)
                cd_out_error(&s.out, "-x", err.msg);
            status = err.code ? err.code : CD_EXIT_CMD;
            goto done;
        }
    }
    if (batch_interrupted(&o)) {
        cd_out_error(&s.out, "cdbg",
                     "interrupted: the rest of the script is not run; leaving (an attached process is detached "
                     "and runs on, a launched one is killed)");
        status = 128 + SIGINT;
        goto done;
    }
    test_crash_hook();
    if (!o.batch && !s.quit) {
        if (isatty(STDIN_FILENO)) {
            repl(&s, &err);
        } else if (read_stdin_commands(&s, &err) < 0) {
            status = err.code ? err.code : CD_EXIT_CMD;
        }
    }
done:
    g_session = NULL;
    cd_session_fini(&s);
    free_cmd_strings(&o);
    opts_free(&o);
    return status;
}
