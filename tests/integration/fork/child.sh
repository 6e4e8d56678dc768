#!/bin/bash
# config follow-fork child: the session switches to the child, whose breakpoints are the parent's
# (the hit is the child's: its pid in the stop, in /proc and in the program's report); the parent
# is detached and runs on. vfork: the parent is held until the child execs (their memory is one),
# then detached; the child's breakpoints are found again in the new program. gdb's follow-fork-mode
# child says the same.
. "$(dirname "$0")/fork_lib.sh"

# ---- fork, batch: exact output ----
rep=$TD_TMP/fork.report
td_cdbg out run "$FORKS" fork "$rep" --batch -ex 'config follow-fork child' -ex 'config follow-fork' \
    -ex 'break shared_work' -ex continue -ex 'print who' -ex 'bt 2' -ex inferiors -ex continue
expect_status 0 "fork, follow child"
wait_report "$rep" && report_pids "$rep"
expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 0"
norm "$out" "$PARENT=P" "$CHILD=C" >"$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Stopped: #0  ADDR in main at forks.c:53
follow-fork = child
Breakpoint 1 at ADDR: shared_work at forks.c:21
[Attaching after process P fork to child process C]
[New inferior 2 (process C)]
[Detaching after fork from parent process P]
[Inferior 1 (process P) detached]
[Switching to process C]
Breakpoint 1, hit 1 time, thread tid C
#0  ADDR in shared_work at forks.c:21
=> 21        sink = who;
$1 = 1
#0  ADDR in shared_work at forks.c:21
#1  ADDR in main at forks.c:61
(More stack frames follow...)
 Num PID State Executable
* 2 C stopped TESTDATA/forks_O0
Process C exited with status 0'
expect_empty "$out.err"

# ---- follow child with detach-on-fork off: the parent is kept (inferior 1), held where it forked,
# and runs to its own hit when selected and continued ----
rep=$TD_TMP/both.report
td_cdbg out run "$FORKS" fork "$rep" --batch -ex 'config follow-fork child' -ex 'config detach-on-fork off' \
    -ex 'break shared_work' -ex continue -ex inferiors -ex continue -ex 'inferior 1' -ex continue -ex 'print who' -ex continue
expect_status 0 "fork, follow child, parent kept"
report_pids "$rep"
expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 0"
norm "$out" "$PARENT=P" "$CHILD=C" | sed -E '/^#0  \(inlined\) +in arch_fork/d; /^[0-9]+\t.*: No such file or directory\.$/d' >"$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Stopped: #0  ADDR in main at forks.c:53
Breakpoint 1 at ADDR: shared_work at forks.c:21
[Attaching after process P fork to child process C]
[New inferior 2 (process C)]
[Switching to process C]
Breakpoint 1, hit 1 time, thread tid C
#0  ADDR in shared_work at forks.c:21
=> 21        sink = who;
 Num PID State Executable
 1 P stopped TESTDATA/forks_O0
* 2 C stopped TESTDATA/forks_O0
Process C exited with status 0
[Switching to inferior 1 [process P] (TESTDATA/forks_O0)]
Breakpoint 1, hit 1 time, thread tid P
#0  ADDR in shared_work at forks.c:21
=> 21        sink = who;
$1 = 2
Process P exited with status 0'

# ---- fork, at the prompt: while cdbg holds the child at its hit, /proc says who traces whom ----
rep=$TD_TMP/repl.report
repl_start run "$FORKS" fork "$rep"
repl_send 'config follow-fork child' 'break shared_work' continue
repl_wait '^Breakpoint 1, hit 1 time' "$R_OUT"
child=$(sed -nE 's/^\[New inferior 2 \(process ([0-9]+)\)\]$/\1/p' "$R_OUT")
parent=$(sed -nE 's/^\[Attaching after process ([0-9]+) fork to child process [0-9]+\]$/\1/p' "$R_OUT")
expect_line "^Breakpoint 1, hit 1 time, thread tid $child\$" "$R_OUT"
[ "$(tracer "$child")" = "$R_PID" ] && pass "the child is traced by cdbg" ||
    fail "the child $child: TracerPid $(tracer "$child"), cdbg is $R_PID"
# the parent, let go, waits for its child: running free
[ "$(tracer "$parent")" = 0 ] && pass "the parent is not traced" ||
    fail "the parent $parent: TracerPid $(tracer "$parent")"
repl_send continue
repl_wait '^Process [0-9]+ exited' "$R_OUT"
repl_end
expect_status 0 "follow child at the prompt"
wait_report "$rep" && report_pids "$rep"
[ "$CHILD" = "$child" ] && [ "$PARENT" = "$parent" ] && pass "the report names the same processes" ||
    fail "report: parent $PARENT child $CHILD; cdbg said parent $parent child $child"
expect_line "^Process $child exited with status 0\$" "$R_OUT"

# gdb: the child hits the breakpoint, with who = 1, and exits 0
if need_tool gdb; then
    rep=$TD_TMP/gdb.report
    timeout -k 5 120 gdb -nx -q -batch -ex 'set follow-fork-mode child' -ex 'break shared_work' -ex run \
        -ex 'print who' -ex continue --args "$FORKS" fork "$rep" >"$TD_TMP/gdb" 2>&1
    wait_report "$rep" && report_pids "$rep"
    expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 0"
    grep -E '^\[(Attaching after|New inferior|Detaching after|Inferior 1)|^\$1 = |^\[Inferior 2 .* exited' "$TD_TMP/gdb" |
        sed -E "s/Thread 0x[0-9a-f]+ \\(LWP ([0-9]+)\\)/process \\1/; s/\\b$CHILD\\b/C/g; s/\\b$PARENT\\b/P/g" >"$TD_TMP/gdb.events"
    expect_exact_str "$TD_TMP/gdb.events" '[Attaching after process P fork to child process C]
[New inferior 2 (process C)]
[Detaching after fork from parent process P]
[Inferior 1 (process P) detached]
$1 = 1
[Inferior 2 (process C) exited normally]'
fi

# ---- vfork + exec, follow child: the parent is held until the exec, then detached; `main` is
# found again in the new program and hit there ----
rep=$TD_TMP/vfork.report
td_cdbg out run "$FORKS" vfork-exec "$rep" "$NEWPROG" --batch -ex 'config follow-fork child' \
    -ex 'break shared_work' -ex 'break main' -ex continue -ex inferiors -ex breakpoints -ex continue
expect_status 0 "vfork-exec, follow child"
wait_report "$rep" && report_pids "$rep"
expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 3"
norm "$out" "$PARENT=P" "$CHILD=C" >"$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Stopped: #0  ADDR in main at forks.c:53
Breakpoint 1 at ADDR: shared_work at forks.c:21
Breakpoint 2 at ADDR: main at forks.c:53
[Attaching after process P vfork to child process C]
[New inferior 2 (process C)]
[Detaching vfork parent process P after child exec]
[Inferior 1 (process P) detached]
process C is executing new program: TESTDATA/newprog_O0
[Switching to process C]
Breakpoint 2, hit 1 time, thread tid C
#0  ADDR in main at newprog.c:14
=> 14        return new_work(argc) == 6 ? 3 : 4;
 Num PID State Executable
* 2 C stopped TESTDATA/newprog_O0
Breakpoint 1 (shared_work), hit 0 times, pending
Breakpoint 2 (main), hit 1 time
    ADDR in main at newprog.c:14
Process C exited with status 3'
if need_tool gdb; then
    rm -f "$rep"
    timeout -k 5 120 gdb -nx -q -batch -ex 'set follow-fork-mode child' -ex 'break shared_work' -ex run \
        --args "$FORKS" vfork-exec "$rep" "$NEWPROG" >"$TD_TMP/gdb" 2>&1
    wait_report "$rep" && report_pids "$rep"
    grep -E '^\[(Attaching after|New inferior|Detaching vfork|Inferior 1)|is executing new program' "$TD_TMP/gdb" |
        sed -E "s/Thread 0x[0-9a-f]+ \\(LWP ([0-9]+)\\)/process \\1/; s/\\b$CHILD\\b/C/g; s/\\b$PARENT\\b/P/g; s|$(dirname "$FORKS")/|TESTDATA/|" >"$TD_TMP/gdb.events"
    expect_exact_str "$TD_TMP/gdb.events" '[Attaching after process P vfork to child process C]
[New inferior 2 (process C)]
[Detaching vfork parent process P after child exec]
[Inferior 1 (process P) detached]
process C is executing new program: TESTDATA/newprog_O0'
fi
td_finish
