/* The command table: the single source for dispatch, `help`, completion and docs/commands.md. */
#include <string.h>

#include "commands/cmd_impl.h"

const cd_command cd_commands[] = {
    {"threads", "", "threads [-group]", "List threads: id, tid, name, state, where each one is",
     "Each line: id (for `thread N`), kernel tid, name (comm, as of this stop), state with the syscall it\n"
     "is blocked in, and the innermost frame, followed by `<- ` and the first frame of the program itself\n"
     "when the innermost frame is in a library. A held thread's state is what it was doing when it\n"
     "stopped: `sleeping in SYSCALL` when it stopped inside a blocking system call, `stopped` when it\n"
     "stopped in its own code (at a breakpoint, or interrupted while it ran); `running` is only ever a\n"
     "thread cdbg does not hold. `-group` prints one line per distinct stack with its thread count and\n"
     "ids, largest group first.",
     cd_cmd_threads, CD_CMD_TARGET},
    {"thread", "", "thread [N]", "Select thread N (as numbered by `threads`), or show the selected one",
     "Selecting a thread also selects its innermost frame (#0).", cd_cmd_thread, CD_CMD_TARGET},
    {"bt", "stack backtrace where", "bt [N] [full] | bt all [-group]",
     "Backtrace of the selected thread, or of every thread",
     "`bt N` prints the innermost N frames; `bt full` adds each frame's local variables.\n"
     "`bt all` prints every thread's stack; `bt all -group` prints each distinct stack once with\n"
     "the number and ids of the threads that share it, largest group first.\n"
     "Inlined calls are frames of their own, marked (inlined).",
     cd_cmd_bt, CD_CMD_TARGET | CD_CMD_REPEAT},
    {"frame", "f", "frame [N]", "Select frame N of the selected thread, or show the selected frame", "",
     cd_cmd_frame, CD_CMD_TARGET},
    {"up", "", "up [N]", "Select the frame N levels up (towards main); default 1", "", cd_cmd_up,
     CD_CMD_TARGET | CD_CMD_REPEAT},
    {"down", "", "down [N]", "Select the frame N levels down (towards the innermost); default 1", "", cd_cmd_down,
     CD_CMD_TARGET | CD_CMD_REPEAT},
    {"list", "l", "list [LINE | FILE:LINE | FUNCTION]", "Show source around the selected frame's line",
     "The arrow `=>` marks the line the selected frame is on. Repeating `list` (or pressing Enter)\n"
     "continues with the next lines.",
     cd_cmd_list, CD_CMD_TARGET | CD_CMD_REPEAT | CD_CMD_REPEAT_BARE},
    {"regs", "", "regs [NAME...]", "Show the registers of the selected frame",
     "In frame #0 every general register is shown. In outer frames only registers the unwinder\n"
     "recovered are shown; the others are `<not saved>`. NAMEs (`rip`, `$rax`) show only those, as\n"
     "gdb's `info registers rip rax`.",
     cd_cmd_regs, CD_CMD_TARGET},
    {"print", "p", "print[/FMT] EXPR | print [-OPTION...] -- [/FMT] EXPR",
     "Evaluate a C expression in the selected frame and print its value",
     "FMT is one of x d u o t c f a s (hex, signed, unsigned, octal, binary, char, float, address,\n"
     "string), as gdb's print/x. Identifiers are looked up as locals of the selected frame, then\n"
     "globals and statics, then other modules. Registers ($rip, $rsp...), value history ($1, $, $$)\n"
     "and convenience variables ($name) work, and constants need no target. The text follows the\n"
     "`set print` settings; gdb's options change them for one command and end with `--`: -address,\n"
     "-array, -array-indexes, -null-stop, -pretty, -static-members, -symbol, -union, -vtbl [on|off],\n"
     "-elements N, -repeats N (unlimited or 0: no limit), -max-depth N (unlimited or -1); a unique\n"
     "prefix is enough (`print -p -e 5 -- s`). docs/printing.md has the details.",
     cd_cmd_print, CD_CMD_REPEAT},
    {"output", "", "output[/FMT] EXPR | output [-OPTION...] -- [/FMT] EXPR",
     "Print an expression's value alone: no `$N = `, no newline, not in the value history",
     "As gdb's output: for scripts and breakpoint commands that build their own lines (with echo).",
     cd_cmd_output, 0},
    {"printf", "", "printf \"FORMAT\", ARG...", "Print values through a C format string, as gdb's printf",
     "Conversions: %d %i %u %o %x %X %c %s %p %e %f %g %E %G %a and %%, with flags, width, precision\n"
     "and the l, ll, z and L (long double) modifiers. %s reads a NUL-terminated string from the target\n"
     "(a null pointer prints (null)); an integer given to a float conversion is read as the float of its\n"
     "size, as gdb does. Escapes: \\n \\t \\\" \\\\ \\a \\b \\e \\f \\r \\v. Nothing is printed when a\n"
     "conversion fails; gdb's messages for a bad format or a wrong number of arguments.",
     cd_cmd_printf, CD_CMD_RAW},
    {"echo", "", "echo TEXT", "Print TEXT as it is, after gdb's backslash escapes (no newline unless \\n)",
     "Escapes: \\n \\t \\\" \\\\ \\a \\b \\e \\f \\r \\v and octal \\NNN; any other escaped character is\n"
     "itself. A backslash at the end of the line keeps the spaces before it.",
     cd_cmd_echo, CD_CMD_RAW},
    {"call", "", "call EXPR", "Call a function in the program and print what it returns (nothing for void)",
     "EXPR is a C expression with calls, as in print (`call f(3, x)`, `call strlen(\"abc\")`, `p s->fn(2) + 1`).\n"
     "Only the selected thread runs, from where it stopped; the others stay stopped. Every register is\n"
     "put back afterwards. A breakpoint, a signal or ^C in the called code abandons the call (the\n"
     "registers restored, the signal not delivered). A function without debug info needs a cast of the\n"
     "call to its return type (`print (int)getpid()`). Live programs only: a core file cannot run.\n"
     "See docs/infcall.md.",
     cd_cmd_call, CD_CMD_TARGET},
    {"locals", "", "locals", "Print the local variables of the selected frame", "", cd_cmd_locals, CD_CMD_TARGET},
    {"args", "", "args", "Print the arguments of the selected frame's function", "", cd_cmd_args, CD_CMD_TARGET},
    {"vars", "", "vars [REGEX]", "Print global and static variables (of the executable; with REGEX, of every module)",
     "", cd_cmd_vars, CD_CMD_TARGET},
    {"whatis", "", "whatis EXPR", "Print the type of an expression", "", cd_cmd_whatis, 0},
    {"ptype", "", "ptype EXPR|TYPE", "Print the full definition of a type or of an expression's type", "",
     cd_cmd_ptype, 0},
    {"set", "", "set var LVALUE = EXPR | set LVALUE = EXPR | set print NAME [VALUE] | set debug-file-directory DIR[:DIR...] | "
     "set debuginfod enabled on|off|ask",
     "Assign to a variable, a member, an array element or a register (live only); or change a setting",
     "A core file cannot be written: `set var` on a core fails and says so.\n"
     "print: gdb's print settings, kept for the session: address, array, array-indexes, null-stop,\n"
     "pretty, static-members, symbol, union, vtbl (on|off; bare: on), elements, repeats (N; unlimited or\n"
     "0: no limit), max-depth (N; unlimited or -1). `show print` lists them (docs/printing.md).\n"
     "debug-file-directory: the directories searched for separate debug files (DIR/.build-id/xx/rest.debug\n"
     "by build-id, DIR/FILE'S-DIR/NAME by .gnu_debuglink), in place of $CDBG_DEBUG_FILE_DIRECTORY or\n"
     "/usr/lib/debug; for the modules loaded afterwards: libraries loaded later, the program after\n"
     "`run`/`restart`, `attach` and `core` (the open program's own debug info is already read).\n"
     "debuginfod enabled: whether debug info and sources missing here are fetched from the servers in\n"
     "DEBUGINFOD_URLS (on by default when it is set; ask: asked once at the terminal; docs/debuginfod.md).",
     cd_cmd_set, 0},
    {"show", "", "show print [NAME] | show debug-file-directory | show debuginfod [enabled | urls]",
     "Show gdb's print settings, debug-file-directory or debuginfod settings (`config` shows the other settings)",
     "Each in gdb's words (`Pretty formatting of structures is off.`); `show print` lists the print settings.",
     cd_cmd_show, 0},
    {"x", "", "x[/NFU] ADDR", "Examine memory at ADDR, as gdb's x: N units of size U (b h w g) in format F",
     "F is one of x d u o t c a s i f. Pressing Enter continues after the last unit shown.", cd_cmd_x,
     CD_CMD_TARGET | CD_CMD_REPEAT | CD_CMD_REPEAT_BARE},
    {"disassemble", "disas", "disassemble [/r] [/s] [FUNC | ADDR | START,END | START,+LEN]",
     "Disassemble a function (the selected frame's by default) or an address range",
     "FUNC is a function name; ADDR, START and END are C expressions ($rip, &handler, 0x401000). With\n"
     "an address, the whole function containing it is shown. `=>` marks the selected frame's pc; direct\n"
     "calls and jumps name their target. /r adds the raw bytes, /s the source line before its code.",
     cd_cmd_disassemble, CD_CMD_TARGET},
    {"display", "", "display [/FMT] [EXPR] | display -d N", "Print EXPR at every stop; without EXPR, print the displays now",
     "Each display gets a number; `display -d N` deletes display N (as Delve's display -d, gdb's undisplay N).",
     cd_cmd_display, 0},
    {"undisplay", "", "undisplay [N...]", "Delete the displays numbered N (none given: all of them)",
     "Every number is checked first: one that names no display deletes nothing. `info display` lists them.",
     cd_cmd_undisplay, 0},
    {"config", "",
     "config [max-array N | max-string N | substitute-path [FROM [TO]] | print-thread-events on|off | "
     "follow-fork parent|child | detach-on-fork on|off | debug-file-directory [DIR[:DIR...]]]",
     "Show or change settings: value-printing limits, where source files are read from, thread events, fork following",
     "max-array and max-string limit the elements and characters a value prints.\n"
     "substitute-path FROM TO reads source files recorded under FROM from TO instead (sources built\n"
     "elsewhere, e.g. glibc's ./stdlib/abort.c); substitute-path FROM removes the rule; bare, it lists them.\n"
     "print-thread-events (on by default): `[New thread tid N]` and `[Thread tid N exited]` when threads\n"
     "start and end while the program runs, printed before the next stop report.\n"
     "follow-fork (gdb's follow-fork-mode): at a fork, `parent` (the default) goes on with the parent;\n"
     "`child` switches to the child, where the breakpoints are too (a `next` over the fork stops in the\n"
     "child just after the fork, in the C library). detach-on-fork `on` (the default)\n"
     "lets the process not followed go (our breakpoints taken out of its memory, detached, running);\n"
     "`off` keeps it as an inferior of its own, held (`inferiors`, `inferior N`).\n"
     "debug-file-directory: as `set debug-file-directory` (bare: `show debug-file-directory`).",
     cd_cmd_config, 0},
    {"deadlock", "", "deadlock",
     "Find deadlocks: cycles of threads waiting for each other's locks, and threads blocked forever",
     "Builds the lock-wait graph from each thread's futex wait (pthread mutexes of every kind, rwlocks,\n"
     "C11 mtx_t, pthread_join) and names the locks (`lock_b`, `forks[3]`, `to->mu`). Running threads\n"
     "are never stopped; only threads in a finding are held, briefly, to unwind them.\n"
     "One-shot form: `cdbg deadlock PID` or `cdbg deadlock EXE CORE` (exit status 3 when found).",
     cd_cmd_deadlock, CD_CMD_TARGET},
    {"dump", "gcore", "dump [FILE] [--force] [--all]",
     "Write a core file of the process (default core.PID) that gdb, eu-stack and `cdbg core` read",
     "The file is created with mode 0600 under a temporary name beside FILE and renamed to FILE when\n"
     "complete; an existing FILE is never replaced without --force, and a symbolic link there is never\n"
     "followed. It holds every thread's registers (general, FP, XSAVE), the auxiliary vector, the mapped\n"
     "files and the memory /proc/PID/coredump_filter selects (`--all`: every readable mapping, also\n"
     "VM_DONTDUMP ones), with the original bytes under breakpoints; it records no fatal signal. At the\n"
     "prompt the process is already stopped. One-shot form: `cdbg gcore PID` (docs/gcore.md).",
     cd_cmd_gcore, CD_CMD_TARGET},
    {"locks", "", "locks", "Show every blocked thread's wait edge (the lock it waits for and its owner)",
     "Deadlocked or not: contention, joins, and the owners of the locks being waited for.", cd_cmd_locks,
     CD_CMD_TARGET},
    {"break", "b", "break [-pending] [LOCATION] [if COND]", "Set a breakpoint: FUNC, FILE:LINE, LINE or *ADDRESS",
     "FUNC stops past the function's prologue (its arguments are readable), at every function of that\n"
     "name and every inlined copy of it; FILE:LINE at the line's first instruction in every function\n"
     "that has code for it (inlined copies too); a line without code moves to the next one that has\n"
     "some; *ADDRESS (a C expression) exactly there; no LOCATION: the selected frame's pc. `if COND`\n"
     "stops only when the C expression COND, evaluated in the hitting thread, is true. Breakpoints are\n"
     "planted in the live process and taken out when cdbg leaves it.\n"
     "-pending: a FUNC, FILE:LINE or FILE:FUNC found nowhere yet is kept, listed as pending, and set\n"
     "when a library that has it is loaded (dlopen), through the dynamic linker's r_debug rendezvous.\n"
     "Without -pending, at a terminal cdbg asks gdb's \"Make breakpoint pending on future shared library\n"
     "load? (y or [n])\"; where nobody can answer (--batch, a script, a pipe) such a location is an\n"
     "error, gdb's default answer. A breakpoint in a library that is unloaded (dlclose) is pending again.",
     cd_cmd_break, CD_CMD_TARGET},
    {"tbreak", "", "tbreak [-pending] [LOCATION] [if COND]",
     "Set a temporary breakpoint, deleted when it first stops the program", "", cd_cmd_tbreak, CD_CMD_TARGET},
    {"trace", "", "trace LOCATION [EXPR...]",
     "Set a tracepoint: each hit is logged with its arguments and EXPRs, and the program runs on",
     "LOCATION is what `break` takes. At each hit (whose `condition`, if any, holds) one line is printed,\n"
     "`> work(x=5) hot.c:4 e=7 [tid 1234]` (with --json an object as `cdbg trace --json` prints), and the\n"
     "program goes on: `continue` runs it while the lines come, Ctrl-C brings the prompt back.\n"
     "Tracepoints are listed, disabled and deleted with the breakpoints (`breakpoints` says\n"
     "\"Tracepoint\"). Each hit stops the hitting thread for the time it takes to read it (an int3,\n"
     "as a breakpoint); `cdbg trace` logs without stopping anything (docs/tracing.md).",
     cd_cmd_trace, CD_CMD_TARGET},
    {"breakpoints", "bp", "breakpoints",
     "List breakpoints: locations, conditions, hit and ignore counts, disabled, pending, `on` commands",
     "A pending breakpoint has no location yet (see `break -pending`). With no process (after `kill`, the\n"
     "program's exit or `detach`) it lists the breakpoints the next `run` sets again, without locations.",
     cd_cmd_breakpoints_any, 0},
    {"enable", "", "enable [N|N-M ...]", "Enable breakpoints (none given: all of them)",
     "Every number is checked first: one that names no breakpoint changes nothing.", cd_cmd_enable, CD_CMD_TARGET},
    {"disable", "", "disable [N|N-M ...]", "Disable breakpoints (none given: all of them)",
     "A disabled breakpoint keeps its locations, counts and commands; its int3s are taken out until\n"
     "`enable`.",
     cd_cmd_disable, CD_CMD_TARGET},
    {"delete", "d", "delete [N|N-M ...]", "Delete breakpoints (none given: all of them; at a terminal, after asking as gdb)",
     "Every number is checked first: one that names no breakpoint deletes nothing.", cd_cmd_delete, CD_CMD_TARGET},
    {"clear", "", "clear N [N...] | clear all", "Delete breakpoints (Delve's form of `delete`)", "", cd_cmd_clear,
     CD_CMD_TARGET},
    {"ignore", "", "ignore N COUNT", "Let breakpoint N pass its next COUNT hits without stopping",
     "A hit counts only when the breakpoint's condition holds; `ignore N 0` stops at the next one.", cd_cmd_ignore,
     CD_CMD_TARGET},
    {"on", "", "on N [COMMAND]", "Run COMMAND each time breakpoint N stops the program (Delve's `on`)",
     "Several are allowed: they run in the order given, after the stop is reported (and after the\n"
     "displays), e.g. `on 1 print x`. `on N` alone removes all of N's commands; `breakpoints` lists\n"
     "them. A command that runs or leaves the program (continue, next, run, detach...) is refused. A\n"
     "failing command reports its error and the next one runs.",
     cd_cmd_on, CD_CMD_TARGET},
    {"watch", "", "watch [-r | -rw] EXPR [if COND]",
     "Stop when EXPR (an lvalue in memory) changes; -r: when it is read; -rw: at any access",
     "EXPR is evaluated once, in the selected frame: the object it designates (a variable, a member,\n"
     "an array element, *POINTER) is watched by the CPU's debug registers in every thread, threads\n"
     "created later included. Each stop shows the old and the new value, the thread, and the frame\n"
     "after the accessing instruction (x86 traps after it). A plain watch stops only when the value\n"
     "changes (a store of the same value is not reported, as gdb's). x86 cannot watch reads alone: -r\n"
     "watches every access and reports those that leave the value as it was. An object that is\n"
     "unaligned or larger than 8 bytes takes several of the 4 registers, split as gdb splits it. A\n"
     "watchpoint on a local is deleted when its frame returns. Watchpoints are numbered, listed,\n"
     "disabled and deleted with the breakpoints.",
     cd_cmd_watch, CD_CMD_TARGET},
    {"rwatch", "", "rwatch EXPR [if COND]", "Stop when EXPR is read (`watch -r`)", "", cd_cmd_rwatch, CD_CMD_TARGET},
    {"awatch", "", "awatch EXPR [if COND]", "Stop at any access to EXPR (`watch -rw`)", "", cd_cmd_awatch,
     CD_CMD_TARGET},
    {"condition", "cond", "condition N [COND] | condition -hitcount N [OP VALUE]",
     "Set or remove breakpoint N's condition, or the hit count at which it stops",
     "`condition N` alone removes the condition. -hitcount stops only when the number of hits (whose\n"
     "condition held) compares true: OP is one of == != < <= > >= %, where `% 3` is every third hit.",
     cd_cmd_condition, CD_CMD_TARGET},
    {"stepout", "finish", "stepout", "Run until the selected frame returns; print the value it returned",
     "Every thread runs. Stops in the caller when the selected frame has returned (recursion-safe: the\n"
     "same function returning from a deeper call does not count), or earlier at a breakpoint, a signal\n"
     "or ^C. The returned value is read from the registers by the SysV x86-64 convention and kept in\n"
     "the value history ($N).",
     cd_cmd_stepout, CD_CMD_TARGET | CD_CMD_RUNS},
    {"continue", "c cont", "continue", "Resume every thread until a breakpoint, a signal, the process's exit, or ^C",
     "All threads run; the first stop (a signal, a breakpoint, ^C) stops them all again. A signal stops the\n"
     "program and is delivered at the next continue, except SIGINT and SIGTRAP (the debugger's own);\n"
     "SIGALRM, SIGCHLD, SIGWINCH, SIGURG and SIGPROF are passed on without stopping (gdb's defaults;\n"
     "`handle` shows and changes them).\n"
     "A fork is followed as `config follow-fork` and `detach-on-fork` say; an exec goes on in the new\n"
     "program (its breakpoints found again there). With several inferiors (`inferiors`) only the\n"
     "current one runs; the others stay held (gdb's schedule-multiple off). Enter repeats it.",
     cd_cmd_continue, CD_CMD_TARGET | CD_CMD_RUNS | CD_CMD_REPEAT},
    {"next", "n", "next [COUNT]", "Run to the next source line of the selected thread, over calls",
     "The thread steps through the line alone; a call runs at full speed (every thread) to its return,\n"
     "recognised by the frame's stack pointer, so recursion is stepped over too. Inlined calls are part\n"
     "of the line. Stepping off the end of a function stops in the caller. A breakpoint reached on the\n"
     "way, a signal, or the end of the process stops it earlier and is reported. Enter repeats it.",
     cd_cmd_next, CD_CMD_TARGET | CD_CMD_RUNS | CD_CMD_REPEAT},
    {"step", "s", "step [COUNT]", "Run to the next source line, into calls of functions that have line info",
     "A called function with line information is entered and the step stops past its prologue, on its\n"
     "first line; one without (a library without debug info) is run over at full speed, as are PLT stubs\n"
     "and the dynamic linker (a call through the PLT stops in its target when that has line info).\n"
     "Entering an inlined call stops on its first line, in the inlined frame. Enter repeats it.",
     cd_cmd_step, CD_CMD_TARGET | CD_CMD_RUNS | CD_CMD_REPEAT},
    {"stepi", "si", "stepi [COUNT]", "Execute one machine instruction of the selected thread (into calls)", "",
     cd_cmd_stepi, CD_CMD_TARGET | CD_CMD_RUNS | CD_CMD_REPEAT},
    {"nexti", "ni", "nexti [COUNT]", "Execute one machine instruction; a call runs to its return", "",
     cd_cmd_nexti, CD_CMD_TARGET | CD_CMD_RUNS | CD_CMD_REPEAT},
    {"until", "u", "until [LOCATION]",
     "Without LOCATION, next, but never back into a loop; with LOCATION, run there or out of the frame",
     "Bare `until` at a loop's last line runs the loop to its end and stops at the first line after it.\n"
     "`until LOCATION` runs until LOCATION is reached in the current frame (not in a deeper recursive\n"
     "call) or the current frame returns, whichever comes first.",
     cd_cmd_until, CD_CMD_TARGET | CD_CMD_RUNS | CD_CMD_REPEAT},
    {"advance", "", "advance LOCATION", "Run until LOCATION is reached (in any frame) or the current frame returns", "",
     cd_cmd_advance, CD_CMD_TARGET | CD_CMD_RUNS},
    /* signals (cmd_signal.c) */
    {"handle", "", "handle [SIG... [stop|nostop|print|noprint|pass|nopass]...]",
     "Show or change what a signal does: stop the program, say so, pass it to the program",
     "SIG is a name (SIGUSR1 or USR1), a number (Linux's: 1-64), a range N-M, or all (every signal but\n"
     "SIGINT and SIGTRAP, the debugger's own, which change only when named). The keywords apply to every\n"
     "SIG named: stop implies print, noprint implies nostop (gdb's rules); ignore and noignore are nopass\n"
     "and pass. The rows named are printed, in gdb's layout; bare `handle` (and `info signals`) prints\n"
     "the whole table. gdb's defaults: every signal stop print pass, except SIGINT and SIGTRAP (stop,\n"
     "never passed: a ^C is an interrupt) and SIGALRM, SIGURG, SIGCHLD, SIGIO, SIGVTALRM, SIGPROF,\n"
     "SIGWINCH and glibc's SIG32, SIG33 (nostop noprint pass). A signal that stops the program is passed\n"
     "at the next continue if its row says pass; one that does not stop it is passed at once (and\n"
     "said, when print). The table outlives the target: `run`, `restart` and `attach` keep it.",
     cd_cmd_handle, 0},
    {"signal", "", "signal SIG", "Continue with signal SIG delivered to the selected thread (signal 0: none)",
     "Instead of the signal the thread stopped with (if any), whatever `handle` says about either; the\n"
     "other threads keep theirs. SIG as for `handle`, or 0 to continue without a signal.",
     cd_cmd_signal, CD_CMD_TARGET | CD_CMD_RUNS},
    {"run", "r", "run [ARGS...]", "Start the program `cdbg run` started again, and stop it at main",
     "The program still running is killed first (a process cdbg attached to is detached instead), then\n"
     "it starts as `cdbg run` started it and stops at main, where the breakpoints are set again (the\n"
     "same numbers and conditions; hit counts start over). With ARGS, the program gets these\n"
     "arguments from now on, as with gdb's `run ARGS`; without, the same ones. Only a session begun\n"
     "with `cdbg run` has a program to start.",
     cd_cmd_run, 0},
    {"restart", "", "restart", "Start the program again with the same arguments, and stop it at main",
     "`run` without arguments.", cd_cmd_run, 0},
    {"kill", "k", "kill", "Kill the program cdbg started (`run` starts it again)",
     "Only a program started by `cdbg run` or `run`: a process cdbg attached to is never killed\n"
     "(`detach` leaves it running), and a core has no process.",
     cd_cmd_kill, 0},
    {"info", "i", "info WHAT [ARGS]", "gdb's `info` forms: line, symbol, address, source, display, watchpoints...",
     "Answered by the cdbg command named: info breakpoints: `breakpoints`; info locals: `locals`;\n"
     "info args: `args`; info frame: `frame`; info threads: `threads`; info registers: `regs`;\n"
     "info sharedlibrary: `libraries`; info signals: `handle` (the signal table).\n"
     "Answered as gdb answers them:\n"
     "info line [LOCATION]: where a line's code starts and ends (LOCATION: FUNC, FILE:LINE, LINE or\n"
     "*ADDR; none: the selected frame's line); info symbol ADDR: the symbol, section and file ADDR\n"
     "(a C expression) is in; info address NAME: where a variable or function is; info source: the\n"
     "selected frame's source file, compilation directory, language, producer and DWARF version;\n"
     "info watchpoints: the watchpoints of `breakpoints`; info display: the `display` expressions.\n"
     "WHAT abbreviates as in gdb (`info b`, `info reg`, `info sh`, `info li`); ARGS go to the command.",
     cd_cmd_info, 0},
    {"libraries", "libs", "libraries", "List the shared libraries: where their code is mapped, and their file",
     "From and To bound each library's executable mappings; the program itself is not listed.",
     cd_cmd_libraries, CD_CMD_TARGET},
    {"inferiors", "", "inferiors", "List the processes being debugged: number, pid, state, executable",
     "A fork child kept under the debugger (`config detach-on-fork off`, or `config follow-fork child`\n"
     "and its parent) is an inferior of its own; `*` marks the current one, which `continue`, `next`\n"
     "and the others run. The others stay held (stopped) until selected with `inferior N` (gdb's\n"
     "schedule-multiple off). A vfork parent is held until its child execs or exits. Every one is\n"
     "detached (or killed, if cdbg started the program) when cdbg leaves.",
     cd_cmd_inferiors, 0},
    {"inferior", "", "inferior [N]", "Switch to inferior N (as `inferiors` numbers them), or show the current one",
     "The inferior left stays held where it is; `inferior N` again goes back to it.", cd_cmd_inferior, 0},
    {"attach", "", "attach PID", "Attach to a running process (detaches the current target first)", "",
     cd_cmd_attach, 0},
    {"core", "", "core EXE CORE", "Open a core file (closes the current target first)",
     "Says why the process died, as gdb does: the signal, the fault address (SIGSEGV, SIGBUS) or the\n"
     "process that sent it, then selects the thread that took it and shows its frame and source line.\n"
     "`threads` lists that thread as `crashed (SIGNAL)`. `cdbg core EXE CORE` says it when it opens,\n"
     "unless given -q, --json or commands (-ex, -x).",
     cd_cmd_core, 0},
    {"detach", "", "detach", "Detach from the process and leave it running (a launched process is killed)",
     "On a core file, closes it.", cd_cmd_detach, CD_CMD_TARGET},
    {"help", "h", "help [COMMAND]", "List commands, or show one command's usage", "", cd_cmd_help, 0},
    {"quit", "q exit", "quit", "Leave cdbg: an attached process is detached and runs on, a launched one is killed",
     "", cd_cmd_quit, 0},
};

const size_t cd_ncommands = sizeof cd_commands / sizeof cd_commands[0];

static bool alias_match(const char *aliases, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = aliases; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && !strncmp(p, name, n))
            return true;
        p += len;
        while (*p == ' ')
            p++;
    }
    return false;
}

const cd_command *cd_command_find(const char *name)
{
    for (size_t i = 0; i < cd_ncommands; i++)
        if (!strcmp(cd_commands[i].name, name) || alias_match(cd_commands[i].aliases, name))
            return &cd_commands[i];
    return NULL;
}
