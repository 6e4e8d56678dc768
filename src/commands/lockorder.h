/* `cdbg lockorder`: lock-order inversions from a run (cmd_lockorder.c, docs/lockorder.md). */
#ifndef CD_COMMANDS_LOCKORDER_H
#define CD_COMMANDS_LOCKORDER_H

/* One-shot `cdbg lockorder [--json] [--duration S] (-p PID | -- PROG [ARGS...])`; argv excludes
 * "cdbg" and "lockorder". Returns the exit status. */
int cd_lockorder_main(int argc, char **argv);

#endif
