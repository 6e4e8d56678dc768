/* Commands: the session state and the one command table.
 *
 * The table (table.c) is the single source for REPL dispatch, `help`, tab completion and
 * docs/commands.md (tests/check_docs.sh checks they agree). Command functions never ask which
 * target backend they have. */
#ifndef CD_COMMANDS_H
#define CD_COMMANDS_H

#include <stdbool.h>

#include "control/control.h"
#include "expr/expr.h"
#include "output/output.h"
#include "symbols/symbols.h"
#include "target/target.h"
#include "unwind/unwind.h"

typedef struct cd_session {
    cd_target *target;       /* NULL before attach/core/run */
    cd_symtab *sym;
    cd_unwinder *unw;
    cd_debugdirs *debugdirs; /* `set debug-file-directory`: every symtab the session makes reads through it */
    cd_out out;
    size_t cur_thread;       /* index into target->threads */
    int cur_frame;           /* logical frame level in the selected thread */
    cd_stack stack;          /* cached stack of the selected thread */
    uint64_t stack_gen;      /* target->stop_gen when `stack` was computed */
    pid_t stack_tid;         /* thread `stack` belongs to (0 = none) */
    int list_line;           /* `list` continues from here */
    char *src_last_file;     /* the source file a stop last showed, and whether it could not be read */
    bool src_last_missing;
    const char *list_file;
    bool quit;
    cd_target *volatile running; /* set while the target runs (`continue`): ^C interrupts it */
    int max_array, max_string; /* `config` settings for value printing; `set print elements` sets both */
    cd_fmtopt print;         /* gdb's other print settings (`set print NAME`); its limits are the two above */
    cd_ctl *ctl;             /* the debugger layer over the current target: breakpoints, running */
    bool program_ended;      /* the last target's process exited or was killed (closed since) */
    cd_ctl *kept_ctl;        /* the closed target's breakpoints, for the next `run` (gdb keeps them) */
    int inline_skip;         /* at this stop (inline_skip_gen) of thread inline_skip_tid, the innermost N */
    pid_t inline_skip_tid;   /* logical frames are inlined calls that start at the pc and are shown as */
    uint64_t inline_skip_gen; /* their call site (gdb): the stack leaves them out */
    char **subst;            /* `config substitute-path`: FROM, TO pairs (2 * nsubst strings) */
    size_t nsubst;
    void *values;            /* value-printer state (convenience variables, displays) */
    void (*values_free)(void *values); /* set by whoever creates `values` */
    /* `bt full`: a frame's locals, set by the value printer. In JSON mode returns an object of
     * locals; in text mode prints them (indented) and returns NULL. */
    json_object *(*frame_vars)(struct cd_session *s, const cd_frame *f, bool json);
    /* Called after every stop (for `display`); may be NULL. */
    void (*on_stop)(struct cd_session *s);
    const char *raw_args;    /* the current command line after the command word, unsplit
                                (for commands that parse C expressions themselves) */
    const char *cmd_name;    /* canonical name of the running command (for JSON "command") */
    char **run_argv;         /* the program this session started and its arguments (NULL-terminated),
                                which `run`/`restart` start again; NULL: none */
    /* `handle` (cmd_signal.c): the signal table, kept across targets (each new target's layer
     * gets it); sigpolicy_set: changed from gdb's defaults at least once */
    cd_sigpolicy sigpolicy[CD_SIG_MAX + 1];
    bool sigpolicy_set;
    bool no_thread_events;   /* `config print-thread-events off` */
    struct cd_infs *infs;    /* the other inferiors (fork children kept) and the fork policy
                                (cmd_inferior.c); NULL until first needed */
    /* Asks the user QUESTION ("... (y or n) "), gdb's query: true for yes. Set by the REPL while
     * it runs a line typed at a terminal; NULL (--batch, a script, a pipe, a breakpoint's `on`
     * commands): nobody to ask, and the answer is yes, as gdb's with confirm off. */
    bool (*ask)(struct cd_session *s, const char *question);
} cd_session;

typedef int (*cd_cmd_fn)(cd_session *s, int argc, char **argv, cd_err *err);

enum {
    CD_CMD_REPEAT = 1,       /* an empty line at the prompt repeats it (next, step, list, x...) */
    CD_CMD_TARGET = 2,       /* needs a target */
    CD_CMD_REPEAT_BARE = 4,  /* with CD_CMD_REPEAT: Enter runs the bare command word, without the
                                arguments, so it continues where it stopped (gdb's x) */
    CD_CMD_RUNS = 8,         /* runs the program (continue, next...): after it ended, says so */
    CD_CMD_RAW = 16,         /* reads its arguments from raw_args itself (echo, printf): a quote the
                                word splitter cannot close is the command's to judge */
};

typedef struct cd_command {
    const char *name;
    const char *aliases;     /* space-separated, or "" */
    const char *usage;       /* "bt [N] [full] | bt all [-group]" */
    const char *summary;     /* one line */
    const char *help;        /* longer text, may be "" */
    cd_cmd_fn fn;
    unsigned flags;
} cd_command;

extern const cd_command cd_commands[];
extern const size_t cd_ncommands;

const cd_command *cd_command_find(const char *name);

/* Splits a command line into argv (quotes and backslashes as in a shell, no expansion).
 * Returns argc, or -1 on an unterminated quote. *argv_out is freed with cd_argv_free. */
int cd_split_args(const char *line, char ***argv_out);
void cd_argv_free(char **argv);

/* Runs one command line. Returns 0, or -1 with err set (err->code is the exit status to use). */
int cd_session_exec(cd_session *s, const char *line, cd_err *err);

void cd_session_init(cd_session *s, bool json);
/* Adopts an opened target: builds the symbol table and unwinder, selects the main thread. */
int cd_session_set_target(cd_session *s, cd_target *t, cd_err *err);
/* `cdbg run`: runs the launched program to main past its prologue (as gdb's `start`) and prints
 * where it stopped ("Stopped: FRAME", or the JSON "started" event). */
int cd_session_start(cd_session *s, cd_err *err);
/* The same for the REPL's run/restart: CMD names the JSON event, FAIL_CODE the exit status of a
 * program that ended before main. */
int cd_session_start_as(cd_session *s, const char *cmd, int fail_code, cd_err *err);
/* Detaches/kills as the target's policy says and frees everything. */
void cd_session_close_target(cd_session *s);
void cd_session_fini(cd_session *s);
/* Sets the value printer's session hooks values_free, frame_vars and on_stop (call once after
 * cd_session_init). */
void cd_values_install(cd_session *s);

/* Selected thread's stack (computed lazily, cached per stop). NULL with err on failure. */
const cd_stack *cd_session_stack(cd_session *s, cd_err *err);
cd_thread *cd_session_thread(cd_session *s);
/* Selects the thread with this TID (if it is one of the target's) and its innermost frame. */
void cd_session_select_tid(cd_session *s, pid_t tid);
/* Selected frame of the selected thread. */
const cd_frame *cd_session_frame(cd_session *s, cd_err *err);
/* Unwinds any thread (holding it first if needed); caller frees *out with cd_stack_free. */
int cd_session_unwind(cd_session *s, cd_thread *th, int max, cd_stack *out, cd_err *err);
/* Prints pending symbol-layer notes ("no debug info for ...") as warnings. */
void cd_session_flush_notes(cd_session *s);

/* Where to read FILE (a path from the line table) after `config substitute-path`. Malloc'd. */
char *cd_session_source_path(cd_session *s, const char *file);
/* Adds (to != NULL) or removes a substitute-path rule; false when removing one that is not there. */
bool cd_session_set_subst(cd_session *s, const char *from, const char *to);

/* x86-64 syscall name ("futex"), or NULL if not in the table. */
const char *cd_syscall_name(long nr);

/* Prints line LINE of FILE (through `config substitute-path`), "=> " marking it when arrow;
 * nothing when the source cannot be read. */
void cd_print_source_line(cd_session *s, const char *file, int line, bool arrow);

/* Formats one frame the way `bt` prints it ("#1  0x... in func (args) at file:line"). */
void cd_format_frame(cd_session *s, const cd_frame *f, cd_buf *b);
json_object *cd_frame_json(const cd_frame *f);

/* Remembers (a copy of) the program and arguments `run`/`restart` start; NULL forgets them. */
void cd_session_set_run_argv(cd_session *s, char *const *argv);
/* The selected thread's frame line and source line, as a stop shows them (text; after `attach`). */
void cd_print_where(cd_session *s);

/* A core's cause of death, as gdb opens a core: "Program terminated with signal SIGSEGV,
 * Segmentation fault.", the fault address or the sender, then the selected (crashing) thread's
 * frame and source line. Nothing for a live target or a core without a signal. */
void cd_print_death(cd_session *s);
/* The same as a JSON object ({"number", "name", "description", "tid", "code", "code_name",
 * "fault_address"?, "sender_pid"?, "sender_uid"?, "frame"?}), or NULL. */
json_object *cd_death_json(cd_session *s);

#endif
