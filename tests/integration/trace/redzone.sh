#!/bin/bash
# Values of an -O0 leaf's arguments at a tracepoint after its prologue, where their stack slots
# sit below the stack pointer (not in the record's copy) and some argument registers were reused:
# each value is right or an error, never a zero read from bytes the record does not hold, on the
# compiled plan's path and on the general one (CDBG_TRACE_PLAN=off), for every backend.
. "$SRCROOT/tests/integration/lib.sh"
exe=$(td_bin trace_redzone)
for b in uprobe inline ptrace; do
    for plan in on off; do
        CDBG_TRACE_PLAN=$plan td_cdbg out trace --backend $b '^ints$' -- "$exe"
        expect_status 0 "traced to the end ($b, plan $plan)"
        line=$(grep -m1 '^> ints(' "$out")
        [[ $line =~ a=-7,\ b=4000000000, ]] && pass "a and b ($b, $plan)" || fail "a, b: $line"
        [[ $line =~ c=(-1099511627776|\<error:[^,]*), ]] && pass "c right or an error ($b, $plan)" || fail "c: $line"
        [[ $line =~ d=(-300|\<error:[^,]*), ]] && pass "d right or an error ($b, $plan)" || fail "d: $line"
        [[ $line =~ e=18446744073709551615,\ f=true,\ g=5,\ h=6\) ]] && pass "e..h ($b, $plan)" || fail "e..h: $line"
    done
done
td_finish
