#!/bin/bash
# `cdbg -q attach PID` and `cdbg --batch attach PID` (no commands) say where the process stopped,
# as gdb -q / gdb -batch -p PID do: the frame's function and line, and the source line (or gdb's
# "No such file or directory" line for libc's sources). The process runs on afterwards.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the stop location after attaching"
td_start threads_O0
timeout 120 gdb -nx -q -batch -p "$TD_PID" >"$TD_TMP/gdb.out" 2>&1
# "0x... in __futex_abstimed_wait_common64 (...) at ./nptl/futex-internal.c:57" or without 0x... in
gloc=$(grep -E '^(0x[0-9a-f]+ in )?[A-Za-z_][A-Za-z0-9_]* \(.*\) at [^ ]+:[0-9]+$' "$TD_TMP/gdb.out" | head -1 |
    sed -E 's/^(0x[0-9a-f]+ in )?([^ ]+) .* at .*[/]([^/]+:[0-9]+)$/\2 \3/')
gsrc=$(grep -P '^[0-9]+\t' "$TD_TMP/gdb.out" | head -1)
[ -n "$gloc" ] && pass "gdb: $gloc" || { fail "gdb printed no location"; td_show "$TD_TMP/gdb.out"; }
td_wait_main_asleep "$TD_PID" threads_O0
for how in -q --batch; do
    td_cdbg out "$how" attach "$TD_PID"
    expect_status 0 "$how attach"
    cloc=$(grep -E '^#0 ' "$out" | sed -E 's/^#0 +(0x[0-9a-f]+ +in +|\(inlined\) +in +)?([^ ]+) (.* )?at ([^ ]+:[0-9]+)$/\2 \4/')
    [ "$cloc" = "$gloc" ] && pass "$how: at $cloc, as gdb" || { fail "$how: at '$cloc', gdb '$gloc'"; td_show "$out"; }
    csrc=$(grep -hP '^([0-9]+\t|=> )' "$out" "$out.err" | head -1)
    [ "$csrc" = "$gsrc" ] || [ "${csrc#=> }" != "$csrc" ] && pass "$how: the source line" ||
        fail "$how: source line '$csrc', gdb '$gsrc'"
    expect_no_line 'Type `help` for commands' "$out"
    check_untraced "$TD_PID"
done
td_finish
