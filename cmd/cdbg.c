/* cdbg: command-line parsing and the REPL loop. Everything else lives in the library (src/). */
#include <dlfcn.h>
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
#include <sys/syscall.h>
#include <unistd.h>
#include <wchar.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

#include "commands/cmd_impl.h"
#include "commands/commands.h"
#include "commands/stacks.h"
#include "commands/profile.h"
#include "commands/lockorder.h"
#include "commands/leaks.h"
#include "dap/dap.h"
#include "deadlock/deadlock.h"
#include "expr/expr.h"

#include "symbols/debuginfod.h"
#include "target/open.h"

/* ---- modes: the first operand ---- */

/* The modes (cdbg attach|core|run|deadlock|help) are one table (`modes`, below the handlers) that
 * drives dispatch, `cdbg --help`, `cdbg MODE --help` and docs/modes.md: a new mode is one entry. */
typedef struct opts opts;
typedef struct mode mode;
/* argc/argv: the operands after the mode's name (MODE_OWN_ARGS: every argument after it). o is
 * NULL for MODE_OWN_ARGS. Returns the exit status. */
typedef int (*mode_fn)(const mode *m, opts *o, int argc, char **argv);

enum {
    MODE_OPTIONS = 1,  /* takes the session options (-ex, -x, --batch, --json, -q) */
    MODE_OWN_ARGS = 2, /* parses its own arguments: must be the first argument */
    MODE_PROG = 4,     /* after its first operand (PROG), unknown options are PROG's */
};

#define EXIT_BIT(n) (1u << (n))

struct mode {
    const char *name;
    const char *usage;   /* operands; alternative forms separated by " | " */
    const char *summary; /* one line */
    const char *help;    /* a paragraph */
    unsigned exits;      /* EXIT_BIT(status) for each exit status it can end with (below 128) */
    mode_fn fn;
    cd_open_kind open;   /* what a session mode opens (session_mode) */
    unsigned flags;
};

/* Every exit status below 128, for `--help` and docs/modes.md; which modes use each is the
 * modes' `exits`. */
static const struct {
    int code;
    const char *text;
} exit_codes[] = {
    {CD_EXIT_OK, "success"},
    {CD_EXIT_CMD, "a command failed (a script stops at the first failure)"},
    {CD_EXIT_USAGE, "usage error"},
    {CD_EXIT_FOUND, "found: a deadlock or a thread blocked forever (`cdbg deadlock`), a lock-order inversion (`cdbg lockorder`)"},
    {CD_EXIT_TARGET, "cannot attach to the process or open the executable/core"},
};

/* The table is defined after its handlers; these read it. */
static const mode *mode_at(size_t i); /* NULL past the last */
static const mode *mode_find(const char *name);

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
    /* Die of the same signal, with raw system calls: under ASan, signal() and raise() are
     * intercepted, and the interceptor can wait for a lock the interrupted thread holds (seen as
     * cdbg hanging after this message, 1 in ~50 SIGTERMs during a hot conditional breakpoint). */
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } dfl = {SIG_DFL, 0, NULL, 0};
    uint64_t set = 1ULL << (sig - 1);
    syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, sizeof set);
    syscall(SYS_tgkill, (pid_t)syscall(SYS_getpid), (pid_t)syscall(SYS_gettid), sig);
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

struct opts {
    bool batch, json, quiet;
    char **cmds;    /* "-ex" commands and "\x01FILE" for -x, in order */
    size_t ncmds;
    char **ops;     /* operands */
    size_t nops;
};

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
            const mode *m = o->nops == 2 ? mode_find(o->ops[0]) : NULL;
            if (m && (m->flags & MODE_PROG))
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

static int open_target(cd_session *s, const mode *m, opts *o, int argc, char **argv, cd_err *err)
{
    char *usage = cd_xasprintf("usage: cdbg %s %s", m->name, m->usage);
    cd_open_spec spec = {.mode = CD_ATTACH_STOP_ALL_DEFERRED};
    int prc = cd_open_parse(&spec, m->open, argc, argv, usage, err);
    free(usage);
    if (prc < 0)
        return -1;
    cd_target *t = cd_target_open(&spec, err);
    if (!t)
        return -1;
    if (spec.kind == CD_OPEN_LAUNCH)
        cd_session_set_run_argv(s, spec.argv);
    if (cd_session_set_target(s, t, err) < 0) {
        if (err->code == CD_EXIT_CMD)
            err->code = CD_EXIT_TARGET;
        return -1;
    }
    if (spec.kind == CD_OPEN_LAUNCH) {
        if (cd_session_start(s, err) < 0)
            return -1;
    } else if (!s->out.json && o->ncmds == 0) {
        cd_thread *th = cd_session_thread(s);
        if (!o->quiet && !o->batch)
            cd_out_printf(&s->out, "%s process %d (%s), %zu thread%s. Type `help` for commands.\n",
                          t->caps.post_mortem ? "Core of" : "Attached to", (int)t->pid, th ? th->name : "?",
                          t->nthreads, t->nthreads == 1 ? "" : "s");
        /* where it is, as gdb says after attaching, with -q and -batch too (a core's cause of death
         * below shows it) */
        if (!t->caps.post_mortem)
            cd_print_where(s);
    }
    /* Why it died comes first, as in gdb's opening of a core. Not before -ex/-x commands: their
     * output is what a script reads (`core EXE CORE` or `threads` say it there). */
    if (t->caps.post_mortem && !o->quiet && !s->out.json && o->ncmds == 0)
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

/* libedit, loaded when the REPL starts: linked, it (and libtinfo, libbsd, libmd) would be mapped
 * and relocated at every start of cdbg, `cdbg stacks` and scripts included, for the interactive
 * prompt alone. Every call below goes through this table (the #defines after it). */
static struct {
    __typeof__(&el_init) p_el_init;
    __typeof__(&el_end) p_el_end;
    __typeof__(&el_reset) p_el_reset;
    __typeof__(&el_gets) p_el_gets;
    __typeof__(&el_set) p_el_set;
    __typeof__(&el_wset) p_el_wset;
    __typeof__(&el_get) p_el_get;
    __typeof__(&el_line) p_el_line;
    __typeof__(&el_insertstr) p_el_insertstr;
    __typeof__(&history_init) p_history_init;
    __typeof__(&history_end) p_history_end;
    __typeof__(&history) p_history;
} edit_api;

/* 0, or -1 with why (dlerror's words) when libedit cannot be loaded. */
static int edit_load(char *why, size_t n)
{
    static const char soname[] = "libedit.so.2";
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, n, "%s", dlerror());
        return -1;
    }
    static const char *const names[] = {"el_init", "el_end", "el_reset", "el_gets", "el_set", "el_wset",
                                        "el_get", "el_line", "el_insertstr", "history_init", "history_end",
                                        "history"};
    void **slots[] = {(void **)&edit_api.p_el_init,     (void **)&edit_api.p_el_end,
                      (void **)&edit_api.p_el_reset,    (void **)&edit_api.p_el_gets,
                      (void **)&edit_api.p_el_set,      (void **)&edit_api.p_el_wset,
                      (void **)&edit_api.p_el_get,      (void **)&edit_api.p_el_line,
                      (void **)&edit_api.p_el_insertstr, (void **)&edit_api.p_history_init,
                      (void **)&edit_api.p_history_end, (void **)&edit_api.p_history};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *f = dlsym(h, names[i]);
        if (!f) {
            snprintf(why, n, "%s has no %s", soname, names[i]);
            return -1;
        }
        /* POSIX guarantees a function pointer round-trips through void * (dlsym) */
        memcpy(slots[i], &f, sizeof f);
    }
    return 0;
}

#define el_init edit_api.p_el_init
#define el_end edit_api.p_el_end
#define el_reset edit_api.p_el_reset
#define el_gets edit_api.p_el_gets
#define el_set edit_api.p_el_set
#define el_wset edit_api.p_el_wset
#define el_get edit_api.p_el_get
#define el_line edit_api.p_el_line
#define el_insertstr edit_api.p_el_insertstr
#define history_init edit_api.p_history_init
#define history_end edit_api.p_history_end
#define history edit_api.p_history


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
    char *prompt; /* "(cdbg) ", or a question's */
} repl_input;

static char *prompt_fn(EditLine *el)
{
    repl_input *in = NULL;
    el_get(el, EL_CLIENTDATA, &in);
    return in && in->prompt ? in->prompt : "(cdbg) ";
}

/* A yes/no question at the terminal prompt, as gdb's query: ^C is no, ^D yes. */
static bool ask_yn(EditLine *el, repl_input *in, const char *question)
{
    char *q = cd_xstrdup(question);
    fflush(stdout);
    in->prompt = q;
    bool leave = false;
    for (;;) {
        int count = 0;
        g_sigint = 0;
        errno = 0;
        const char *a = el_gets(el, &count);
        if (!a && (g_sigint || errno == EINTR)) {
            fputs("^C\n", stdout); /* as gdb: ^C at a question means no */
            el_reset(el);
            break;
        }
        /* "(y or [n])": gdb's nquery, whose default (an empty line, EOF) is no */
        bool def_no = strstr(question, "[n])") != NULL;
        if (!a) {
            fputs(def_no ? "EOF [answered N; input not from terminal]\n" : "EOF [answered Y; input not from terminal]\n",
                  stdout);
            leave = !def_no;
            break;
        }
        a += strspn(a, " \t");
        if (def_no && (a[0] == '\n' || a[0] == 0))
            break;
        if (a[0] == 'y' || a[0] == 'Y') {
            leave = true;
            break;
        }
        if (a[0] == 'n' || a[0] == 'N')
            break;
        fputs("Please answer y or n.\n", stdout);
    }
    in->prompt = NULL;
    free(q);
    fflush(stdout);
    return leave;
}

/* Ctrl-D with a program cdbg started: leaving kills it, so ask first (gdb asks too). Only at a
 * terminal prompt: a script, a pipe or --batch has nobody to answer. true: leave. */
static bool confirm_leave(EditLine *el, repl_input *in, cd_session *s)
{
    if (!s->target || !s->target->launched)
        return true;
    char q[96];
    snprintf(q, sizeof q, "Kill the program (process %d) and quit? (y or n) ", (int)s->target->pid);
    return ask_yn(el, in, q);
}

/* The session's `ask` while a typed line runs (a command's question, gdb's query). */
static EditLine *g_ask_el;
static repl_input *g_ask_in;
static bool ask_fn(cd_session *s, const char *question)
{
    (void)s;
    return g_ask_el ? ask_yn(g_ask_el, g_ask_in, question) : true;
}

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
            if (!confirm_leave(el, &input, s))
                continue;
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
        g_ask_el = el;
        g_ask_in = &input;
        s->ask = ask_fn;
        exec_line(s, copy, err);
        s->ask = NULL;
        g_ask_el = NULL;
        g_ask_in = NULL;
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

/* ---- the modes ---- */

/* attach, core, run: open the target, run the -ex/-x commands, then the prompt (or stdin). */
static int session_mode(const mode *m, opts *o, int argc, char **argv)
{
    cd_err err;
    cd_err_clear(&err);
    cd_session s;
    cd_session_init(&s, o->json);
    cd_values_install(&s);
    g_session = &s;
    int status = 0;
    if (open_target(&s, m, o, argc, argv, &err) < 0) {
        cd_out_error(&s.out, m->name, err.msg);
        status = err.code ? err.code : CD_EXIT_TARGET;
        goto done;
    }
    fflush(stdout); /* "Stopped: ..." reaches a pipe before cdbg waits for the first command */
    for (size_t i = 0; i < o->ncmds && !s.quit && !batch_interrupted(o); i++) {
        int rc = o->cmds[i][0] == '\x01' ? exec_file(&s, o, o->cmds[i] + 1, &err) : exec_line(&s, o->cmds[i], &err);
        if (rc < 0 && !batch_interrupted(o)) {
            if (o->cmds[i][0] == '\x01' && err.code == CD_EXIT_USAGE)
                cd_out_error(&s.out, "-x", err.msg);
            status = err.code ? err.code : CD_EXIT_CMD;
            goto done;
        }
    }
    if (batch_interrupted(o)) {
        cd_out_error(&s.out, "cdbg",
                     "interrupted: the rest of the script is not run; leaving (an attached process is detached "
                     "and runs on, a launched one is killed)");
        status = 128 + SIGINT;
        goto done;
    }
    test_crash_hook();
    if (!o->batch && !s.quit) {
        char why[256];
        bool tty = isatty(STDIN_FILENO);
        if (tty && edit_load(why, sizeof why) < 0) {
            fprintf(stderr, "cdbg: no line editing at the prompt: cannot load libedit (%s); "
                    "reading commands line by line (install libedit2 for editing and history)\n", why);
            tty = false;
        }
        if (tty) {
            repl(&s, &err);
        } else if (read_stdin_commands(&s, &err) < 0) {
            status = err.code ? err.code : CD_EXIT_CMD;
        }
    }
done:
    g_session = NULL;
    cd_session_fini(&s);
    return status;
}

/* help [COMMAND]: the prompt's `help`, without a target. */
static int help_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    cd_err err;
    cd_err_clear(&err);
    cd_session s;
    cd_session_init(&s, o->json);
    char *line = cd_xasprintf("help %s", argc > 0 ? argv[0] : "");
    int status = exec_line(&s, line, &err) < 0 ? err.code : 0;
    free(line);
    cd_session_fini(&s);
    return status;
}

static int deadlock_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    (void)o;
    return cd_deadlock_main(argc, argv);
}

static int stacks_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    (void)o;
    return cd_stacks_main(argc, argv);
}

static int gcore_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    (void)o;
    return cd_gcore_main(argc, argv);
}

static int trace_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    (void)o;
    return cd_trace_main(argc, argv);
}

static int profile_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    (void)o;
    return cd_profile_main(argc, argv);
}

static int lockorder_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    (void)o;
    return cd_lockorder_main(argc, argv);
}

static int leaks_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)m;
    (void)o;
    return cd_leaks_main(argc, argv);
}

/* dap [--listen 127.0.0.1:PORT | --unix PATH]: the options only; src/dap serves. */
static int dap_mode(const mode *m, opts *o, int argc, char **argv)
{
    (void)o;
    cd_dap_opts d = {.transport = CD_DAP_STDIO};
    for (int i = 0; i < argc; i++) {
        bool listen = !strcmp(argv[i], "--listen"), unix_ = !strcmp(argv[i], "--unix");
        if ((listen || unix_) && i + 1 < argc && d.transport == CD_DAP_STDIO) {
            d.transport = listen ? CD_DAP_TCP : CD_DAP_UNIX;
            d.addr = argv[++i];
            continue;
        }
        fprintf(stderr, "cdbg: dap: %s '%s': usage: cdbg dap %s\n",
                listen || unix_ ? (i + 1 < argc ? "one transport only" : "missing the address after")
                                : "unknown argument",
                argv[i], m->usage);
        return CD_EXIT_USAGE;
    }
    return cd_dap_serve(&d);
}

#define EXITS_SESSION (EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(4))

static const mode modes[] = {
    {"attach", "PID", "Debug a running process; it runs on, untraced, when cdbg leaves",
     "Every thread of process PID is stopped (all-stop) while cdbg reads commands: the -ex/-x ones,\n"
     "then the prompt, or standard input when it is not a terminal. At a prompt (no -ex/-x, -q or\n"
     "--json) cdbg says which process it attached to and where its selected thread is. `detach`,\n"
     "`quit`, the end of the input or a fatal signal take cdbg's breakpoints out and leave the process\n"
     "running where it was.",
     EXITS_SESSION, session_mode, CD_OPEN_ATTACH, MODE_OPTIONS},
    {"core", "EXE CORE", "Debug a core file: why the process died, its threads, stacks and variables",
     "cdbg opens on the thread that took the fatal signal and says why the process died (the signal,\n"
     "the fault address or the process that sent it), as gdb does, unless given -q, --json or\n"
     "commands (-ex, -x). Nothing runs in a core: commands that would run or write the process say so.",
     EXITS_SESSION, session_mode, CD_OPEN_CORE, MODE_OPTIONS},
    {"run", "PROG [ARGS...]", "Start a program and stop it at main; it is killed when cdbg leaves",
     "PROG runs with ARGS in cdbg's terminal; options after PROG are PROG's, and so is everything after\n"
     "`--`. It stops past exec at `main` (at the entry point in a program without one). At the prompt,\n"
     "`run` or `restart` start it again with the same arguments, `kill` ends it, and Ctrl-D asks\n"
     "before it kills the program.",
     EXITS_SESSION, session_mode, CD_OPEN_LAUNCH, MODE_OPTIONS | MODE_PROG},
    {"deadlock", "PID [--json] | EXE CORE [--json]",
     "Find deadlocks and threads blocked forever, in one look (exit status 3 when found)",
     "Builds the lock-wait graph of process PID, or of the process a core was taken from: lock\n"
     "cycles, self-deadlocks, orphaned locks and the threads blocked on them, each lock named. Running\n"
     "threads are never stopped; the process is left running. --json prints one object (docs/json.md).\n"
     "The same analysis is the prompt's `deadlock` command.",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(3) | EXIT_BIT(4), deadlock_mode, CD_OPEN_ANY,
     MODE_OWN_ARGS},
    {"stacks", "PID [-group] [--json] [--no-bpf]",
     "Print every thread's stack without stopping the threads that sleep (pstack's job)",
     "The output of `bt all` (-group: `bt all -group`) for process PID, read without waking it: a\n"
     "thread asleep in a system call is unwound from where the kernel says it sleeps and never\n"
     "stopped; a running thread is stopped alone, briefly. As root, every thread's state and saved\n"
     "registers come from one BPF task-iterator walk (twice: the second catches a thread that moved);\n"
     "where BPF is unavailable, or with --no-bpf (CDBG_NO_BPF=1), from /proc/PID/task/TID/stat and\n"
     "syscall per thread (--json: \"source\", and \"bpf_unavailable\" saying why). The last line\n"
     "(--json: \"threads_stopped\", \"stopped_ms\" and each thread's \"read\") says how many\n"
     "threads were stopped and for how long. The process is left running, untraced.",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(4), stacks_mode, CD_OPEN_ANY, MODE_OWN_ARGS},
    {"gcore", "[-o FILE] [--force] [--all] [--no-snapshot] [--json] PID",
     "Write a core file of a running process with a pause of milliseconds; it runs on, untraced",
     "Writes FILE (default core.PID, mode 0600, renamed into place when complete; an existing FILE only\n"
     "with --force) and prints its path. Threads are held only to take their registers and fork a\n"
     "copy-on-write snapshot, whose memory is then copied while the process runs; --no-snapshot copies\n"
     "it while the threads are held. How long the process was paused is printed on stderr (--json:\n"
     "one object with path, threads, bytes, stopped_ms). --all dumps every readable mapping whatever\n"
     "coredump_filter says. Exit status 1: the core could not be written (nothing is left at FILE).",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(4), gcore_mode, CD_OPEN_ANY, MODE_OWN_ARGS},
    {"trace", "[options] PATTERN... -p PID | [options] PATTERN... -- PROG [ARGS...]",
     "Log function calls (arguments, expressions, returns) without stopping the program",
     "Every function matching PATTERN (a regex, MODULE:REGEX or FILE:LINE) gets a tracepoint that\n"
     "logs each hit, one line each (`> work(x=5) hot.c:4 [tid 1234]`, with --ret `< work = 16 (0.4 us)`)\n"
     "or one JSON object with --json, and lets the program run on. Options: -o FILE, -e EXPR, --ret,\n"
     "--if COND, --max-hits N, --duration S, --backend auto|inline|uprobe|ptrace, --buffer-size N,\n"
     "--list. Ctrl-C, SIGTERM, SIGHUP, --duration or --max-hits remove every probe, print the summary\n"
     "(hits, drops, returns lost) and leave the process running. With -- PROG cdbg exits with the\n"
     "program's status (128+N for signal N), 128+N when signal N ended cdbg first (the program runs\n"
     "on, untraced); with -p, 0. 1: no function matches or tracing failed; 2: bad options, --if or\n"
     "-e; 4: cannot attach or start. The ptrace backend cannot promise the program survives a\n"
     "SIGKILL of cdbg (it warns). docs/tracing.md.",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(4), trace_mode, CD_OPEN_ANY, MODE_OWN_ARGS},
    {"profile", "[options] -p PID | [options] -- PROG [ARGS...]",
     "Sample where every thread spends its CPU time, without stopping it; flame graphs",
     "An on-CPU sampling profile of every thread (threads created meanwhile too) taken by the kernel\n"
     "(perf_event_open): --hz N samples per CPU-second (default 99), each stack unwound and symbolized\n"
     "as `bt` does, inline frames included. Until --duration S, the process's end, Ctrl-C, SIGTERM or\n"
     "SIGHUP (each writes what was collected and leaves the process running). -o FILE by its\n"
     "extension: .folded/.txt folded stacks (also stdout's), .svg a flame graph, .pb.gz pprof;\n"
     "--threads: one root per thread name. A summary (samples, lost, top functions) on stderr.\n"
     "Exit status: with -- PROG the program's (128+N for signal N), 128+N when signal N ended cdbg\n"
     "first (the program runs on, untraced); with -p 0 (also when the process ended: what was\n"
     "collected is written); 1 failed, 2 usage or unknown format, 4 no process or perf refused.",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(4), profile_mode, CD_OPEN_ANY, MODE_OWN_ARGS},
    {"lockorder", "[--json] [--duration S] -p PID | [--json] [--duration S] -- PROG [ARGS...]",
     "Find lock-order inversions (potential deadlocks) in a run that did not deadlock (exit status 3)",
     "Records every pthread mutex and rwlock acquisition (condition waits and successful trylocks too)\n"
     "with kernel uprobes, and reports each cycle of the lock-order graph with where every edge was\n"
     "taken (function, file:line, stack); a cycle whose edges were all taken under one common lock is\n"
     "not reported, nor one closed by a trylock. Until the process's end (-- PROG: its status on\n"
     "stderr), --duration S, Ctrl-C, SIGTERM or SIGHUP; then the process runs on, untraced, and the\n"
     "report covers what was recorded. Exit status: 3 an inversion, 0\n"
     "none, 1 no lock function could be traced or the process ended while the probes went in, 2\n"
     "usage (a core: a run is needed), 4 cannot attach or start. docs/lockorder.md.",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(3) | EXIT_BIT(4), lockorder_mode, CD_OPEN_ANY, MODE_OWN_ARGS},
    {"leaks", "[options] -p PID | [options] -- PROG [ARGS...]",
     "Show the allocations still live, by call stack, without stopping the program (leak check)",
     "Kernel uprobes on the program's libc allocator (malloc, calloc, realloc, reallocarray, memalign,\n"
     "aligned_alloc, posix_memalign, valloc, pvalloc, free; C++ new and delete reach them) record each\n"
     "allocation's size, pointer and stack; each free removes its block. At the end (the program's\n"
     "with -- PROG, --duration S, Ctrl-C or SIGTERM) the blocks still live are printed grouped by call\n"
     "stack, most bytes first (`N bytes in M allocations from:` and the frames as `bt` prints them;\n"
     "--top N, --min-bytes B, --json), with a summary on stderr; the process runs on, untraced. Exit\n"
     "status: with -- PROG the program's (128+N when signal N ended cdbg first, 0 after --duration);\n"
     "with -p 0; 1 no libc malloc to trace or recording failed; 2 usage; 4 cannot attach or start, or\n"
     "perf_event_open refused. docs/leaks.md.",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2) | EXIT_BIT(4), leaks_mode, CD_OPEN_ANY, MODE_OWN_ARGS},
    {"dap", "[--listen 127.0.0.1:PORT] | --unix PATH",
     "Serve the Debug Adapter Protocol, so VS Code, nvim-dap or any DAP client drives cdbg",
     "One client per run, over stdin/stdout (how editors start an adapter), a TCP port on the loopback\n"
     "address only (port 0 picks one; `listening on 127.0.0.1:N` is printed) or a unix socket created\n"
     "with mode 0600 (an existing path that is not a socket is refused) and removed at exit. The\n"
     "server exits when the client disconnects: a launched program is killed, an attached one detached\n"
     "and left running, untraced, its breakpoints removed. Exit status: 0 the client disconnected, 1\n"
     "the connection failed, 2 usage (an address that is not loopback, an unusable path).\n"
     "docs/dap.md.",
     EXIT_BIT(0) | EXIT_BIT(1) | EXIT_BIT(2), dap_mode, CD_OPEN_ANY, MODE_OWN_ARGS},
    {"help", "[COMMAND]", "List the prompt's commands, or show one command's usage",
     "The commands are those of the prompt and of -ex/-x (docs/commands.md).", EXIT_BIT(0) | EXIT_BIT(1),
     help_mode, CD_OPEN_ANY, MODE_OPTIONS},
};

static const mode *mode_at(size_t i)
{
    return i < sizeof modes / sizeof modes[0] ? &modes[i] : NULL;
}

static const mode *mode_find(const char *name)
{
    for (const mode *m = modes; m < modes + sizeof modes / sizeof modes[0]; m++)
        if (!strcmp(m->name, name))
            return m;
    return NULL;
}

/* "attach, core, run, deadlock or help" */
static void mode_names(cd_buf *b, const char *quote)
{
    for (size_t i = 0; mode_at(i); i++)
        cd_buf_printf(b, "%s%s%s%s", i == 0 ? "" : !mode_at(i + 1) ? " or " : ", ", quote, mode_at(i)->name, quote);
}

/* One mode's usage lines: "cdbg [OPTIONS] NAME FORM" for each form of its usage. */
static void mode_usage(const mode *m, cd_buf *b, const char *first, const char *indent)
{
    const char *u = m->usage;
    bool one = true;
    while (*u) {
        size_t n = strcspn(u, "|");
        size_t k = n;
        while (k > 0 && u[k - 1] == ' ')
            k--;
        cd_buf_printf(b, "%scdbg %s%s %.*s\n", one ? first : indent, (m->flags & MODE_OPTIONS) ? "[OPTIONS] " : "",
                      m->name, (int)k, u);
        one = false;
        u += n;
        if (*u == '|')
            u += 1 + strspn(u + 1, " ");
    }
}

/* The exit-status block: each status, with the mode that uses it when only one does. */
static void exit_block(cd_buf *b, const char *indent)
{
    for (size_t i = 0; i < sizeof exit_codes / sizeof exit_codes[0]; i++) {
        const mode *only = NULL;
        int users = 0;
        for (size_t k = 0; mode_at(k); k++)
            if (mode_at(k)->exits & EXIT_BIT(exit_codes[i].code)) {
                only = mode_at(k);
                users++;
            }
        if (users == 1)
            cd_buf_printf(b, "%s%d  `cdbg %s`: %s\n", indent, exit_codes[i].code, only->name, exit_codes[i].text);
        else
            cd_buf_printf(b, "%s%d  %s\n", indent, exit_codes[i].code, exit_codes[i].text);
    }
    cd_buf_printf(b, "%s128+N  cdbg was killed by signal N (the target was detached first); 130 also when ^C\n"
                     "%s       ended a --batch script\n",
                  indent, indent);
}

static const char options_text[] =
    "Options (before or after the operands; after PROG, unknown options go to PROG, and everything\n"
    "after `--` does):\n"
    "  -ex CMD      run CMD after opening the target (repeatable, in order)\n"
    "  -x FILE      run the commands in FILE, one per line (repeatable)\n"
    "  --batch      exit after the -ex/-x commands instead of prompting\n"
    "  --json       print one JSON object per line for every command (schemas: docs/json.md)\n"
    "  -q, --quiet  no banner\n"
    "  --no-debuginfod  never fetch debug info or sources from DEBUGINFOD_URLS (CDBG_NO_DEBUGINFOD=1 too);\n"
    "               --debuginfod lets the one-shot modes ask the servers, not only the cache\n"
    "               (docs/debuginfod.md)\n"
    "\n"
    "Commands are read from standard input when it is not a terminal. Commands from -ex, -x or\n"
    "such a stdin are a script: it stops at the first one that fails (exit status 1), so a CI job\n"
    "never acts on a half-done session; at a terminal prompt a failure only prints its error.\n"
    "Leaving cdbg detaches an attached process (it runs on, untraced) and kills a process started\n"
    "by `run`.\n";

/* `cdbg --help`; docs/commands.md and docs/modes.md show it too. */
static void usage_text(cd_buf *b)
{
    for (size_t i = 0; mode_at(i); i++)
        mode_usage(mode_at(i), b, i == 0 ? "usage: " : "       ", "       ");
    cd_buf_puts(b, "       cdbg --help | cdbg MODE --help | cdbg --version\n\nModes:\n");
    for (size_t i = 0; mode_at(i); i++)
        cd_buf_printf(b, "  %-10s %s\n", mode_at(i)->name, mode_at(i)->summary);
    cd_buf_printf(b, "\n%s\nExit status:\n", options_text);
    exit_block(b, "  ");
}

/* `cdbg MODE --help` */
static void mode_help_text(const mode *m, cd_buf *b)
{
    mode_usage(m, b, "usage: ", "       ");
    cd_buf_printf(b, "%s.\n\n%s\n\nExit status:\n", m->summary, m->help);
    for (size_t i = 0; i < sizeof exit_codes / sizeof exit_codes[0]; i++)
        if (m->exits & EXIT_BIT(exit_codes[i].code))
            cd_buf_printf(b, "  %d  %s\n", exit_codes[i].code, exit_codes[i].text);
}

/* docs/commands.md is this output; tests/integration/spine/docs.sh checks they agree. */
static void print_commands_markdown(void)
{
    cd_buf u = {0};
    usage_text(&u);
    printf("# cdbg command reference\n\n"
           "Generated by `cdbg --commands-markdown` from the command table that also drives the REPL,\n"
           "`help` and tab completion. Do not edit by hand: regenerate it.\n\n"
           "## Command line\n\n```\n%s```\n\n## Commands\n\n", cd_buf_str(&u));
    cd_buf_free(&u);
    for (size_t i = 0; i < cd_ncommands; i++) {
        const cd_command *c = &cd_commands[i];
        printf("### %s\n\n%s\n\n```\n%s\n```\n\n", c->name, c->summary, c->usage);
        if (c->aliases[0])
            printf("Aliases: `%s`\n\n", c->aliases);
        if (c->help[0])
            printf("%s\n\n", c->help);
    }
}

/* docs/modes.md is this output; tests/integration/spine/docs.sh checks they agree. */
static void print_modes_markdown(void)
{
    printf("# cdbg modes\n\n"
           "Generated by `cdbg --modes-markdown` from the mode table that also drives dispatch,\n"
           "`cdbg --help` and `cdbg MODE --help`. Do not edit by hand: regenerate it. The prompt's\n"
           "commands are in docs/commands.md.\n\n");
    for (size_t i = 0; mode_at(i); i++) {
        const mode *m = mode_at(i);
        cd_buf u = {0};
        mode_usage(m, &u, "", "");
        printf("## %s\n\n%s.\n\n```\n%s```\n\n%s\n\nExit status:\n\n", m->name, m->summary, cd_buf_str(&u), m->help);
        cd_buf_free(&u);
        for (size_t k = 0; k < sizeof exit_codes / sizeof exit_codes[0]; k++)
            if (m->exits & EXIT_BIT(exit_codes[k].code))
                printf("- %d: %s\n", exit_codes[k].code, exit_codes[k].text);
        printf("\n");
    }
    printf("## Options\n\n```\n%s```\n\n## Exit status\n\n```\n", options_text);
    cd_buf b = {0};
    exit_block(&b, "");
    printf("%s```\n", cd_buf_str(&b));
    cd_buf_free(&b);
}

static void print_buf(void (*fn)(cd_buf *))
{
    cd_buf b = {0};
    fn(&b);
    fputs(cd_buf_str(&b), stdout);
    cd_buf_free(&b);
}

static void print_mode_help(const mode *m)
{
    cd_buf b = {0};
    mode_help_text(m, &b);
    fputs(cd_buf_str(&b), stdout);
    cd_buf_free(&b);
}

/* --no-debuginfod, --debuginfod and CDBG_NO_DEBUGINFOD=1 (docs/debuginfod.md), taken out of argv
 * (up to `--`) for every mode. The one-shot modes read only debuginfod's cache unless given
 * --debuginfod: a slow or dead server must not hold up a look at a production process. */
static int debuginfod_args(int argc, char **argv)
{
    const char *e = getenv("CDBG_NO_DEBUGINFOD");
    bool off = e && *e && strcmp(e, "0") != 0, ask = false;
    int n = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            while (i < argc)
                argv[n++] = argv[i++];
            break;
        }
        if (!strcmp(a, "--no-debuginfod") || !strcmp(a, "--debuginfod")) {
            off |= a[2] == 'n';
            ask |= a[2] == 'd';
            continue;
        }
        if (!strcmp(a, "--json"))
            cd_debuginfod_set_json(true);
        argv[n++] = argv[i];
        if ((!strcmp(a, "-ex") || !strcmp(a, "--ex") || !strcmp(a, "-x") || !strcmp(a, "--command")) && i + 1 < argc)
            argv[n++] = argv[++i];
    }
    argv[n] = NULL;
    if (off)
        cd_debuginfod_set_mode(CD_DBGI_OFF);
    const mode *own = n > 1 ? mode_find(argv[1]) : NULL;
    cd_debuginfod_set_cache_only(own && (own->flags & MODE_OWN_ARGS) && !ask);
    return n;
}

int main(int argc, char **argv)
{
    install_signals();
    argc = debuginfod_args(argc, argv);
    /* A mode that parses its own arguments gets all of them, --help included. */
    const mode *own = argc > 1 ? mode_find(argv[1]) : NULL;
    if (own && (own->flags & MODE_OWN_ARGS)) {
        for (int i = 2; i < argc; i++)
            if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                print_mode_help(own);
                return 0;
            }
        return own->fn(own, NULL, argc - 2, argv + 2);
    }
    const mode *first = NULL; /* the first operand's mode, for `cdbg MODE --help` */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!first && argv[i][0] != '-' && !(i > 1 && (!strcmp(argv[i - 1], "-ex") || !strcmp(argv[i - 1], "--ex") ||
                                                        !strcmp(argv[i - 1], "-x") || !strcmp(argv[i - 1], "--command"))))
            first = mode_find(argv[i]);
        if (!strcmp(argv[i], "--version")) {
            printf("cdbg %s\n", CDBG_VERSION);
            return 0;
        }
        if (!strcmp(argv[i], "--commands-markdown")) {
            print_commands_markdown();
            return 0;
        }
        if (!strcmp(argv[i], "--modes-markdown")) {
            print_modes_markdown();
            return 0;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            if (first)
                print_mode_help(first);
            else
                print_buf(usage_text);
            return 0;
        }
    }

    cd_err err;
    cd_err_clear(&err);
    opts o;
    if (parse_args(argc, argv, &o, &err) < 0) {
        fprintf(stderr, "cdbg: %s\n", err.msg);
        free_cmd_strings(&o);
        opts_free(&o);
        return CD_EXIT_USAGE;
    }
    const mode *m = o.nops > 0 ? mode_find(o.ops[0]) : NULL;
    int status = CD_EXIT_USAGE;
    if (m && !(m->flags & MODE_OWN_ARGS)) {
        status = m->fn(m, &o, (int)o.nops - 1, o.ops + 1);
    } else if (m) {
        cd_buf b = {0};
        mode_usage(m, &b, "", "");
        fprintf(stderr, "cdbg: `%s` must be the first argument: %.*s\n", m->name, (int)strcspn(cd_buf_str(&b), "\n"),
                cd_buf_str(&b));
        cd_buf_free(&b);
    } else {
        /* in the shape --json asks for, as a command's error */
        cd_out out;
        cd_out_init(&out, o.json);
        cd_buf b = {0};
        if (o.nops == 0) {
            const mode *opening[16];
            size_t n = 0;
            for (size_t i = 0; mode_at(i) && n < 16; i++)
                if (mode_at(i)->open != CD_OPEN_ANY)
                    opening[n++] = mode_at(i);
            cd_buf_puts(&b, "no target: give ");
            for (size_t i = 0; i < n; i++) {
                int k = (int)strcspn(opening[i]->usage, "|[");
                while (k > 0 && opening[i]->usage[k - 1] == ' ')
                    k--;
                cd_buf_printf(&b, "%s`%s %.*s`", i == 0 ? "" : i + 1 == n ? " or " : ", ", opening[i]->name, k,
                              opening[i]->usage);
            }
        } else {
            cd_buf_printf(&b, "unknown mode '%s': use ", o.ops[0]);
            mode_names(&b, "");
        }
        cd_buf_puts(&b, "; see `cdbg --help`");
        cd_out_error(&out, o.nops ? o.ops[0] : "cdbg", cd_buf_str(&b));
        cd_buf_free(&b);
    }
    free_cmd_strings(&o);
    opts_free(&o);
    return status;
}
