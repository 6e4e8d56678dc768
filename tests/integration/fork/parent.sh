#!/bin/bash
# follow-fork parent (the default): the child gets our breakpoints out of its memory and is let go
# ("[Detaching after fork from child process C]", gdb's words); it runs its own call of the
# function that has the breakpoint without stopping and exits 0, which the parent's waitpid
# reports; the parent's hit is reported. The same for a vfork child that execs another program.
# gdb says the same things in the same order.
. "$(dirname "$0")/fork_lib.sh"

# ---- fork ----
rep=$TD_TMP/fork.report
td_cdbg out run "$FORKS" fork "$rep" --batch -ex 'break shared_work' -ex continue -ex 'print who' -ex continue
expect_status 0 "fork, follow parent"
report_pids "$rep"
expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 0"
norm "$out" "$PARENT=P" "$CHILD=C" >"$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Stopped: #0  ADDR in main at forks.c:53
Breakpoint 1 at ADDR: shared_work at forks.c:21
[Detaching after fork from child process C]
Breakpoint 1, hit 1 time, thread tid P
#0  ADDR in shared_work at forks.c:21
=> 21        sink = who;
$1 = 2
Process P exited with status 0'
expect_empty "$out.err"

# gdb, the same session: the same child let go, the same hit, the same end
if need_tool gdb; then
    rm -f "$rep"
    timeout -k 5 120 gdb -nx -q -batch -ex 'break shared_work' -ex run -ex 'print who' -ex continue \
        --args "$FORKS" fork "$rep" >"$TD_TMP/gdb" 2>&1
    report_pids "$rep"
    expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 0"
    { grep -E '^\[Detaching after fork from child process [0-9]+\]$' "$TD_TMP/gdb"
      grep -E '^\$1 = ' "$TD_TMP/gdb"
      grep -E '^\[Inferior 1 \(process [0-9]+\) exited normally\]$' "$TD_TMP/gdb"; } |
        sed -E "s/\\b$CHILD\\b/C/; s/\\b$PARENT\\b/P/" >"$TD_TMP/gdb.events"
    expect_exact_str "$TD_TMP/gdb.events" '[Detaching after fork from child process C]
$1 = 2
[Inferior 1 (process P) exited normally]'
fi

# ---- JSON ----
rm -f "$rep"
td_cdbg out --json run "$FORKS" fork "$rep" --batch -ex 'break shared_work' -ex continue -ex continue
expect_status 0 "fork, JSON"
report_pids "$rep"
expect_line "^\\{\"command\":\"continue\",\"event\":\"fork_child_detached\",\"pid\":$CHILD\\}$" "$out"
expect_line "^\\{\"command\":\"continue\",\"event\":\"breakpoint\",\"tid\":$PARENT,\"breakpoint\":1," "$out"

# ---- vfork, then the child execs: kept traced until its exec (it runs on the parent's memory,
# int3s included), then let go; it runs the new program, which exits 3 ----
rep=$TD_TMP/vfork.report
td_cdbg out run "$FORKS" vfork-exec "$rep" "$NEWPROG" --batch -ex 'break shared_work' -ex continue -ex continue
expect_status 0 "vfork-exec, follow parent"
report_pids "$rep"
expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 3"
norm "$out" "$PARENT=P" "$CHILD=C" >"$TD_TMP/got"
expect_exact_str "$TD_TMP/got" 'Stopped: #0  ADDR in main at forks.c:53
Breakpoint 1 at ADDR: shared_work at forks.c:21
[Detaching after vfork from child process C]
Breakpoint 1, hit 1 time, thread tid P
#0  ADDR in shared_work at forks.c:21
=> 21        sink = who;
Process P exited with status 0'
if need_tool gdb; then
    rm -f "$rep"
    timeout -k 5 120 gdb -nx -q -batch -ex 'break shared_work' -ex run -ex continue \
        --args "$FORKS" vfork-exec "$rep" "$NEWPROG" >"$TD_TMP/gdb" 2>&1
    report_pids "$rep"
    expect_exact_str "$rep" "parent $PARENT: child $CHILD exited with status 3"
    expect_line "^\\[Detaching after vfork from child process $CHILD\\]$" "$TD_TMP/gdb"
fi
# ---- bad input: one line each, status 1 (a command failed) ----
for c in 'config follow-fork sideways|cdbg: config follow-fork: expected parent or child, got '"'sideways'" \
         'config detach-on-fork maybe|cdbg: config detach-on-fork: expected on or off, got '"'maybe'" \
         'inferior 9|cdbg: inferior: no inferior 9; `inferiors` lists them' \
         'inferior x|cdbg: inferior: usage: inferior [N] (N as `inferiors` numbers them)'; do
    td_cdbg out run "$FORKS" fork "$TD_TMP/bad.report" --batch -ex "${c%%|*}"
    expect_status 1 "${c%%|*}"
    expect_exact_str "$out.err" "${c#*|}"
done
td_cdbg out run "$FORKS" fork "$TD_TMP/bad.report" --batch -ex 'config detach-on-fork off' -ex config -ex inferior
expect_status 0 "config listing"
expect_lines "$out" '^follow-fork = parent$' '^detach-on-fork = off$' '^debug-file-directory = ' \
    '^\[Current inferior is 1 \[process [0-9]+\] \(.*/forks_O0\)\]$'
td_finish
