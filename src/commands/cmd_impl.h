/* Command functions named by the command table (table.c). */
#ifndef CD_CMD_IMPL_H
#define CD_CMD_IMPL_H

#include "commands/commands.h"

#define CD_CMD(name) int name(cd_session *s, int argc, char **argv, cd_err *err)

CD_CMD(cd_cmd_threads);
CD_CMD(cd_cmd_thread);
CD_CMD(cd_cmd_bt);
CD_CMD(cd_cmd_frame);
CD_CMD(cd_cmd_up);
CD_CMD(cd_cmd_down);
CD_CMD(cd_cmd_list);
CD_CMD(cd_cmd_regs);
CD_CMD(cd_cmd_help);
CD_CMD(cd_cmd_detach);
CD_CMD(cd_cmd_quit);
CD_CMD(cd_cmd_attach);
CD_CMD(cd_cmd_core);
CD_CMD(cd_cmd_continue);
CD_CMD(cd_cmd_break);
CD_CMD(cd_cmd_tbreak);
CD_CMD(cd_cmd_breakpoints);
CD_CMD(cd_cmd_clear);
CD_CMD(cd_cmd_condition);
CD_CMD(cd_cmd_stepout);

#endif
