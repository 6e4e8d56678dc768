/* Every command function the command table (table.c) names, and how commands evaluate
 * expressions: the scope they build from the session for src/expr. */
#ifndef CD_CMD_IMPL_H
#define CD_CMD_IMPL_H

#include "commands/commands.h"
#include "expr/expr.h"

#define CD_CMD(name) int name(cd_session *s, int argc, char **argv, cd_err *err)

/* cmd_stack.c */
CD_CMD(cd_cmd_threads);
CD_CMD(cd_cmd_thread);
CD_CMD(cd_cmd_bt);
CD_CMD(cd_cmd_frame);
CD_CMD(cd_cmd_up);
CD_CMD(cd_cmd_down);
CD_CMD(cd_cmd_list);
CD_CMD(cd_cmd_regs);
/* cmd_misc.c */
CD_CMD(cd_cmd_help);
CD_CMD(cd_cmd_detach);
CD_CMD(cd_cmd_quit);
CD_CMD(cd_cmd_attach);
CD_CMD(cd_cmd_core);
CD_CMD(cd_cmd_run);         /* run [ARGS...], restart */
CD_CMD(cd_cmd_kill);
CD_CMD(cd_cmd_breakpoints_any); /* breakpoints, with or without a process (cmd_bp.c) */
CD_CMD(cd_cmd_show);        /* show SETTING (gdb's: debug-file-directory) */
/* `set debug-file-directory DIRS`, `config debug-file-directory [DIRS]` (argv[0] is set/config) */
int cd_cmd_debugdir(cd_session *s, int argc, char **argv, cd_err *err);
int cd_cmd_debuginfod(cd_session *s, int argc, char **argv, cd_err *err); /* set/show debuginfod */
CD_CMD(cd_cmd_libraries);
/* cmd_run.c */
CD_CMD(cd_cmd_continue);
CD_CMD(cd_cmd_break);
CD_CMD(cd_cmd_tbreak);
CD_CMD(cd_cmd_breakpoints);
CD_CMD(cd_cmd_clear);
CD_CMD(cd_cmd_condition);
CD_CMD(cd_cmd_stepout);
CD_CMD(cd_cmd_next);
CD_CMD(cd_cmd_step);
CD_CMD(cd_cmd_stepi);
CD_CMD(cd_cmd_nexti);
CD_CMD(cd_cmd_until);
CD_CMD(cd_cmd_advance);
/* cmd_bp.c */
/* The user breakpoint (or watchpoint) ARG names; NULL with a one-line error naming CMD. */
cd_bp *cd_bp_arg(cd_session *s, const char *arg, const char *cmd, cd_err *err);
CD_CMD(cd_cmd_enable);
CD_CMD(cd_cmd_disable);
CD_CMD(cd_cmd_delete);
CD_CMD(cd_cmd_ignore);
CD_CMD(cd_cmd_on);
/* Runs the `on` commands of the breakpoint that made stop ST (after its report). */
void cd_bp_run_on_commands(cd_session *s, const cd_stop *st);
/* cmd_signal.c */
CD_CMD(cd_cmd_handle);      /* handle [SIG... [stop|nostop|print|noprint|pass|nopass]...] */
CD_CMD(cd_cmd_signal);      /* signal SIG: continue with SIG */
/* A new target's layer takes the session's `handle` table and thread-event setting. */
void cd_signal_target_opened(cd_session *s);
/* `config print-thread-events [on|off]` (called by `config`). */
int cd_config_thread_events(cd_session *s, int argc, char **argv, cd_err *err);
/* What a stop report says about signals and threads: the notes of things that happened while the
 * program ran (text lines, or one JSON object each), and a signal stop's opening lines
 * ("Thread tid N received signal SIGSEGV, Segmentation fault." and the fault address) or its
 * JSON "siginfo" object. */
void cd_render_notes(cd_session *s, const char *cmd, const cd_stop *st);
void cd_render_signal_text(cd_session *s, const cd_stop *st);
json_object *cd_signal_json(const cd_stop *st);
/* cmd_watch.c */
CD_CMD(cd_cmd_watch);       /* watch [-r | -rw] EXPR [if COND] */
CD_CMD(cd_cmd_rwatch);
CD_CMD(cd_cmd_awatch);
void cd_render_watch_set(cd_session *s, const char *cmd, const cd_bp *b);
/* One watchpoint in `breakpoints`: printed (text, returns NULL) or returned as a JSON object. */
json_object *cd_render_watch_listed(cd_session *s, const cd_bp *b);
/* The watchpoints of a stop (cd_stop.watch): old and new values, or the deletion of one whose
 * frame returned; printed (j NULL) or added to the stop's JSON object j as "watchpoints". */
void cd_render_watch_stop(cd_session *s, const cd_stop *st, json_object *j);
/* cmd_run.c: "LOCATION if COND" split at the word "if" (*cond NULL without one); both malloc'd. */
void cd_split_if(const char *args, char **loc, char **cond);
/* cmd_inferior.c: fork following */
CD_CMD(cd_cmd_inferiors);
CD_CMD(cd_cmd_inferior);
/* The fork policy and the other inferiors: closed (fini), or dropped for a new program whose layer
 * gets the policy (on_target, from cd_session_set_target). */
void cd_inferiors_fini(cd_session *s);
void cd_inferiors_on_target(cd_session *s);
/* `config follow-fork ...` / `config detach-on-fork ...` (is_setting: NAME is one of them);
 * config_show adds both to `config`'s listing (J: its JSON object, or NULL for text). */
bool cd_inferiors_is_setting(const char *name);
int cd_inferiors_config(cd_session *s, int argc, char **argv, cd_err *err);
void cd_inferiors_config_show(cd_session *s, json_object *j);
/* Before a stop is rendered: says what forks did, switches to a followed child, reloads the
 * symbols after an exec; `continue` goes on after an exec or into a followed child (gdb). */
void cd_inferiors_settle(cd_session *s, const char *cmd, cd_stop *st);
/* render.c: what src/control returns, as text or JSON */
void cd_render_bp_set(cd_session *s, const char *cmd, const cd_bp *b);
void cd_render_bps(cd_session *s);
void cd_render_bp_state(cd_session *s, const cd_bp *b);
/* A stop report; closes the target when the process ended (returns false then). Runs the
 * `display`s (on_stop) except for a finish, whose value cd_render_finish prints first. */
bool cd_render_stop(cd_session *s, const char *cmd, cd_stop *st, cd_err *err);
/* finish/stepout: the stop, then the value returned (into the value history). */
void cd_render_finish(cd_session *s, const char *cmd, cd_stop *st, cd_err *err);
/* cmd_values.c (expression commands re-join argv[1..] with spaces) */
CD_CMD(cd_cmd_print);       /* print [-OPTION... --] [/FMT] EXPR, alias p */
CD_CMD(cd_cmd_output);      /* output EXPR: the value alone, no newline, no history */
CD_CMD(cd_cmd_printf);      /* printf "FORMAT", ARG... */
CD_CMD(cd_cmd_echo);        /* echo TEXT (gdb's escapes) */
/* `set print NAME VALUE`, `show print [NAME]` (argv[1] is print/p/pr): gdb's print settings */
int cd_print_set(cd_session *s, int argc, char **argv, cd_err *err);
int cd_print_show(cd_session *s, int argc, char **argv, cd_err *err);
/* argv[1] of set/show names the print settings (print, or gdb's abbreviations p and pr) */
bool cd_is_print_word(const char *w);
CD_CMD(cd_cmd_call);        /* call EXPR (cmd_call.c): a function call in the target */
CD_CMD(cd_cmd_locals);
CD_CMD(cd_cmd_args);
CD_CMD(cd_cmd_vars);        /* vars [REGEX] */
CD_CMD(cd_cmd_whatis);
CD_CMD(cd_cmd_ptype);
CD_CMD(cd_cmd_set);         /* set var LVALUE = EXPR */
CD_CMD(cd_cmd_x);           /* x/NFU ADDR */
CD_CMD(cd_cmd_display);     /* display [EXPR] */
CD_CMD(cd_cmd_config);      /* config max-array|max-string N */
/* cmd_info.c: info SUB [ARGS] (gdb's forms), undisplay */
CD_CMD(cd_cmd_info);
CD_CMD(cd_cmd_undisplay);
/* The process ended: $_exitcode (EXITED) or $_exitsignal (killed by signal CODE), as gdb sets them. */
void cd_info_program_ended(cd_session *s, bool exited, int code);
/* cmd_disasm.c */
CD_CMD(cd_cmd_disassemble);
/* cmd_deadlock.c */
CD_CMD(cd_cmd_deadlock);
CD_CMD(cd_cmd_locks);
/* cmd_gcore.c */
CD_CMD(cd_cmd_gcore);        /* dump FILE, gcore */
int cd_gcore_main(int argc, char **argv); /* `cdbg gcore`: exit status */

/* ---- the session's side of src/expr (cmd_values.c) ----
 * The value state lives in cd_session.values, created on first use; its caches are dropped when
 * the session's symbol table changes. */

/* The selected thread, its stack and selected frame, the value state and the `config` limits. */
void cd_session_scope(cd_session *s, cd_scope *sc);
/* Lets SC's expressions call functions in the session's target (session.c): `print f(3)`. */
void cd_session_call_hook(cd_session *s, cd_scope *sc);
/* An evaluation context in that scope (cd_ectx_init of cd_session_scope). */
void cd_session_ectx(cd_ectx *x, cd_session *s, cd_arena *ar, cd_err *err);
/* A variable's value, or an error value saying why it could not be read (cmd_values.c): a listing
 * (info locals, the DAP server's scopes) goes on past one unreadable variable. */
struct cd_value cd_var_value_or_error(cd_ectx *x, Dwfl_Module *mod, Dwarf_Die *die);
/* Print options with the session's `config` limits. */
struct cd_fmtopt;
void cd_session_fmtopt(struct cd_fmtopt *o, cd_session *s, char fmt);
/* Prints every `display` expression (call after each stop the user sees). */
void cd_values_on_stop(cd_session *s);
/* Frees cd_session.values. */
void cd_values_free(void *values);
/* `bt full` hook (cd_session.frame_vars): locals of one frame. */
json_object *cd_values_frame_vars(cd_session *s, const cd_frame *f, bool json);

/* cmd_trace.c, render_trace.c: tracepoints (src/trace) */
#include <stdio.h>
#include "trace/trace.h"
typedef struct cd_trace_out {
    FILE *fp;
    bool json;
    struct cd_trace_segs *segs; /* render_trace.c's per-probe pieces, made at the first event */
} cd_trace_out;
/* Renders one event on o->fp (arg: a cd_trace_out). */
int cd_trace_render(void *arg, const cd_trace_event *ev);
/* Frees what cd_trace_render kept in O (not O itself, nor its file). */
void cd_trace_out_free(cd_trace_out *o);
/* One-shot `cdbg trace [options] PATTERN... (-p PID | -- PROG [ARGS...])`; argv excludes "cdbg"
 * and "trace". Returns the exit status. */
int cd_trace_main(int argc, char **argv);
/* trace LOCATION [EXPR...]: a tracepoint at the prompt */
CD_CMD(cd_cmd_trace);
extern const char cd_trace_usage[];

#endif
