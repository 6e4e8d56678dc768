/* `cdbg leaks`: the allocations still live, by call stack (cmd_leaks.c, docs/leaks.md). */
#ifndef CD_COMMANDS_LEAKS_H
#define CD_COMMANDS_LEAKS_H

/* One-shot `cdbg leaks [options] (-p PID | -- PROG [ARGS...])`; argv excludes "cdbg" and "leaks".
 * Returns the exit status. */
int cd_leaks_main(int argc, char **argv);

#endif
