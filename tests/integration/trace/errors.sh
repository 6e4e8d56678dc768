#!/bin/bash
# cdbg trace's bad input, one line each with its own exit status, the target untouched: no match
# (1, near names listed), --if or -e that does not parse (2), a PID that is not a number (2), a
# process that does not exist (4), options (2).
. "$SRCROOT/tests/integration/lib.sh"

td_start trace_spin_O0 "$TD_TMP/stop"
pid=$TD_PID

td_cdbg out trace -p "$pid" '^tock$'
expect_status 1 "no match"
expect_exact_str "$out.err" "cdbg: trace: no function matches '^tock\$' in any module; near: tick, lockf, clock, fork, flock"

td_cdbg out trace -p "$pid" 'spin.c:9999'
expect_status 1 "no such line"
expect_line "^cdbg: trace: no code at spin.c:9999" "$out.err"

td_cdbg out trace -p "$pid" '^tick$' --if 'i =='
expect_status 2 "--if that does not parse"
expect_exact_str "$out.err" "cdbg: trace: --if 'i ==' does not parse: syntax error at column 5: expected an expression before end of expression"

td_cdbg out trace -p "$pid" '^tick$' -e 'i +* )'
expect_status 2 "-e that does not parse"
expect_line "^cdbg: trace: -e 'i \+\* \)' does not parse: " "$out.err"

td_cdbg out trace -p 12ab '^tick$'
expect_status 2 "a PID that is not a number"
expect_exact_str "$out.err" "cdbg: '12ab' is not a process ID: give a numeric PID (see \`ps\`)"

# a process that is gone: a child of ours that exited and was reaped
sh -c 'exit 0' &
gone=$!
wait "$gone"
td_cdbg out trace -p "$gone" '^tick$'
expect_status 4 "a process that is gone"
expect_line "^cdbg: no process with PID $gone" "$out.err"

td_cdbg out trace '^tick$'
expect_status 2 "neither -p nor a program"
td_cdbg out trace -p "$pid" '^tick$' --backend bogus
expect_status 2 "an unknown backend"
expect_exact_str "$out.err" "cdbg: trace: --backend is auto, inline, uprobe or ptrace, not 'bogus'; see \`cdbg trace --help\`"
td_cdbg out trace -p "$pid" '^tick$' --max-hits 0
expect_status 2 "--max-hits 0"
td_cdbg out trace -p "$pid" '^tick$' --frobnicate
expect_status 2 "an unknown option"
for f in "$out" "$out.err"; do
    [ "$(wc -l <"$f")" -le 1 ] && pass "one line" || fail "more than one line in $f"
done
# none of this touched the program
check_untraced "$pid"
[ "$(grep -c '' /proc/$pid/maps)" -gt 0 ] && pass "still running"
touch "$TD_TMP/stop"
wait "$pid"
TD_RC=$?
expect_status 0 "the program ends normally"
td_finish
