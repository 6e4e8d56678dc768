/* `cdbg profile`: the on-CPU sampling profiler (cmd_profile.c, docs/profile.md). */
#ifndef CD_COMMANDS_PROFILE_H
#define CD_COMMANDS_PROFILE_H

/* One-shot `cdbg profile [options] (-p PID | -- PROG [ARGS...])`; argv excludes "cdbg" and
 * "profile". Returns the exit status. */
int cd_profile_main(int argc, char **argv);

#endif
