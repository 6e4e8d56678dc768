/* `cdbg stacks PID [-group] [--json]`: the thread dump that stops only the threads that run.
 *
 * Every thread asleep in a system call is unwound from its syscall line
 * (/proc/PID/task/TID/syscall: sp, pc, arguments) with its stack read by process_vm_readv, and
 * never stopped; a thread that runs is stopped alone, unwound and resumed (cd_unwind_unstopped).
 * The output is `bt all`'s / `bt all -group`'s, plus how each thread was read and how many were
 * stopped for how long. */
#ifndef CD_STACKS_H
#define CD_STACKS_H

#include <stdbool.h>

#include "commands/commands.h"

/* The dump of the session's target (opened CD_ATTACH_NONSTOP), rendered as `bt all` (group:
 * `bt all -group`) with the stacks fields. hook: see cd_read_hook (NULL: none). */
int cd_stacks_dump(cd_session *s, bool group, cd_read_hook hook, void *hook_arg, cd_err *err);

/* The one-shot mode; argv excludes "cdbg" and "stacks". Returns the exit status: 0 done, 1 the
 * dump failed (the process exited meanwhile), 2 usage, 4 cannot attach. */
int cd_stacks_main(int argc, char **argv);

#endif
