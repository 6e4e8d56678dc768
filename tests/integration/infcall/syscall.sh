#!/bin/bash
# Calls in a thread stopped inside a blocking system call (attached while it sleeps in nanosleep,
# or waits in read): the call runs (orig_rax reset, so the kernel does not restart the system call
# into the called code) and the thread goes back into its system call once released, as gdb's.
# Then cdbg ended in the middle of a long call, by ^C (the call is abandoned, the registers
# restored) and by SIGTERM (the emergency cleanup restores them before detaching): either way
# the program is left sleeping where it was, untraced.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin infcall_gcc) || exit 1

# the system call the main thread sleeps in: nanosleep (35), clock_nanosleep (230), its restart
# (restart_syscall, 219), or read (0)
in_sleep() { case $(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) in 35 | 230 | 219) return 0 ;; esac; return 1; }
in_read() { case $(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) in 0 | 219) return 0 ;; esac; return 1; }
# the thread runs code of ours: not in its system call any more (ptrace-stopped between two steps,
# or stepping)
calling() { case $(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null) in -1 | running) return 0 ;; esac; return 1; }

td_start infcall_gcc sleep
pid=$TD_PID
td_wait_for "the program to sleep" in_sleep "$pid"
td_cdbg out attach "$pid" --batch -ex 'p $orig_rax' -ex 'p $rip' -ex 'call add(2, 3)' -ex 'p mk_big(3).v[2] + half(3)' \
    -ex 'p (unsigned long)strlen("four")' -ex 'p $orig_rax' -ex 'p $rip'
expect_status 0 "calls in a thread inside nanosleep"
expect_lines "$out" '^\$1 = (35|230|219)$' '^\$2 = ' '^\$3 = 5$' '^\$4 = 6.5$' '^\$5 = 4$' '^\$6 = (35|230|219)$' '^\$7 = '
[ "$(sed -n 's/^\$1 = //p' "$out")" = "$(sed -n 's/^\$6 = //p' "$out")" ] && pass "orig_rax restored" || fail "orig_rax changed"
[ "$(sed -n 's/^\$2 = //p' "$out")" = "$(sed -n 's/^\$7 = //p' "$out")" ] && pass "rip restored" || fail "rip changed"
check_untraced "$pid"
td_wait_for "the program to sleep again in its system call" in_sleep "$pid" && pass "back in nanosleep"

# ^C in the middle of a call that would take hours single-stepped: abandoned, restored
repl_start attach "$pid"
repl_wait '^Attached to process' "$R_OUT"
repl_send 'call spin(100000000000)'
td_wait_for "the call to run" calling "$pid"
kill -INT "$R_PID"
repl_wait '^cdbg: The program was interrupted while in a function called from cdbg; the call was abandoned and the registers restored$' "$R_OUT.err"
repl_end
check_untraced "$pid"
td_wait_for "the program to sleep again after ^C" in_sleep "$pid" && pass "back in nanosleep after ^C"

# SIGTERM to cdbg in the middle of a call: the emergency cleanup puts the registers back
repl_start attach "$pid"
repl_wait '^Attached to process' "$R_OUT"
repl_send 'call spin(100000000000)'
td_wait_for "the call to run" calling "$pid"
kill -TERM "$R_PID"
repl_wait '^cdbg: terminated by a signal; the target was released' "$R_OUT.err"
repl_end
check_untraced "$pid"
td_wait_for "the program to sleep again after SIGTERM" in_sleep "$pid" && pass "back in nanosleep after SIGTERM"
td_stop "$pid"

# read(0) on a FIFO: after the calls, the program still reads what comes. Started here, not by
# td_start: a background job of a script gets /dev/null as its stdin unless its own line says
# otherwise.
mkfifo "$TD_TMP/fifo"
exec {fd}<>"$TD_TMP/fifo"
"$exe" read <&"$fd" >"$TD_TMP/read.out" 2>&1 &
pid=$!
TD_PIDS+=("$pid")
ready() { grep -qx ready "$TD_TMP/read.out"; }
td_wait_for "the program to say ready" ready
td_wait_for "the program to wait in read" in_read "$pid"
td_cdbg out attach "$pid" --batch -ex 'call twice(21)' -ex 'call count_chars("xx", 120)'
expect_status 0 "calls in a thread inside read"
expect_lines "$out" '^\$1 = 42$' '^\$2 = 2$'
check_untraced "$pid"
td_wait_for "the program to wait in read again" in_read "$pid"
printf 'abc\n' >&"$fd"
rd() { grep -qx 'read 4' "$TD_TMP/read.out"; }
td_wait_for "the program to read its line" rd && pass "read 4 bytes after the calls"
td_finish
