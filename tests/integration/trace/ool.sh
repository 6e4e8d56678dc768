#!/bin/bash
# The ptrace backend takes a function whose first instruction it cannot emulate (movsx, movapd,
# cmp, cmp with a rip-relative operand) by running that instruction out of line: a relocated
# copy in an injected code page, then a jmp back. Four threads run the same copies at once. The
# program computes what it computes alone, every call and return is logged, and the attached
# case leaves the process running on without cdbg.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin trace_ool)
want=$("$exe")
[ -n "$want" ] && pass "the program alone: $want" || fail "trace_ool printed nothing"
pats='^f_(movsx|movapd|cmp|ripcmp)$'

td_cdbg out trace --backend ptrace --ret "$pats" -- "$exe"
expect_status 0 "ptrace --ret, launched"
expect_line "^$want\$" "$out"
expect_line '^cdbg: trace: 4 tracepoints in process [0-9]+: .*f_movsx \(ptrace\)' "$out.err"
for f in f_movsx f_movapd f_cmp f_ripcmp; do
    [ "$(grep -c "^> $f(" "$out")" = 200 ] && [ "$(grep -c "^< $f " "$out")" = 200 ] && pass "$f: 200 calls, 200 returns" ||
        fail "$f: $(grep -c "^> $f(" "$out") calls, $(grep -c "^< $f " "$out") returns"
    expect_line "^cdbg: trace: $f \\(ptrace\\): 200 hits, 0 dropped\$" "$out.err"
done
expect_no_line 'lost' "$out"
td_finish
