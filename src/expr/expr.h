/* Variables and C expressions through DWARF: the commands and the session hooks.
 *
 * Everything is evaluated in the session's selected thread and frame. The value-printer state
 * (convenience variables $1.., $_, user $vars, displays, the DWARF type cache and per-module name
 * indexes) lives in cd_session.values and is created on first use. */
#ifndef CD_EXPR_H
#define CD_EXPR_H

#include "commands/commands.h"

/* Commands (argv split shell-style; expression commands re-join argv[1..] with spaces). */
int cd_cmd_print(cd_session *s, int argc, char **argv, cd_err *err);   /* print/FMT EXPR, alias p */
int cd_cmd_locals(cd_session *s, int argc, char **argv, cd_err *err);
int cd_cmd_args(cd_session *s, int argc, char **argv, cd_err *err);
int cd_cmd_vars(cd_session *s, int argc, char **argv, cd_err *err);    /* vars [REGEX] */
int cd_cmd_whatis(cd_session *s, int argc, char **argv, cd_err *err);
int cd_cmd_ptype(cd_session *s, int argc, char **argv, cd_err *err);
int cd_cmd_set(cd_session *s, int argc, char **argv, cd_err *err);     /* set var LVALUE = EXPR */
int cd_cmd_x(cd_session *s, int argc, char **argv, cd_err *err);       /* x/NFU ADDR */
int cd_cmd_disassemble(cd_session *s, int argc, char **argv, cd_err *err); /* cmd_disasm.c */
int cd_cmd_display(cd_session *s, int argc, char **argv, cd_err *err); /* display [EXPR] */
int cd_cmd_config(cd_session *s, int argc, char **argv, cd_err *err);  /* config max-array|max-string N */

/* Prints every `display` expression (call after each stop the user sees). */
void cd_values_on_stop(cd_session *s);
/* Frees cd_session.values. */
void cd_values_free(void *values);
/* `bt full` hook (cd_session.frame_vars): locals of one frame. */
json_object *cd_values_frame_vars(cd_session *s, const cd_frame *f, bool json);
/* Sets the session hooks values_free, frame_vars and on_stop (call once after cd_session_init). */
void cd_values_install(cd_session *s);

#endif
