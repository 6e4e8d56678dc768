#!/bin/bash
# stepout/finish: stops in the caller once the selected frame returned (a deeper call of the same
# function returning first does not count), prints the returned value for each SysV return class
# (rax, rax:rdx, xmm0, xmm0+rax, st0, memory) into the value history, text and JSON; from an outer
# frame; errors for the outermost frame, an inlined frame and a core.
. "$SRCROOT/tests/integration/lib.sh"

for v in O0 O2; do
    exe=$(td_bin "exec_$v")
    args=()
    for f in ret_int ret_neg ret_double ret_ld ret_ptr ret_pair ret_mixed ret_big ret_void; do
        args+=(-ex "tbreak $f" -ex continue -ex finish)
    done
    td_cdbg out run "$exe" --batch "${args[@]}" -ex 'print $3 + $1'
    expect_status 0 "stepout of each return class ($v)"
    grep '^Value returned' "$out" > "$TD_TMP/values"
    sed -i -E 's/0x[0-9a-f]+ "exec"/PTR "exec"/' "$TD_TMP/values"
    expect_exact_str "$TD_TMP/values" 'Value returned: $1 = 42
Value returned: $2 = -7
Value returned: $3 = 2.5
Value returned: $4 = 1.5
Value returned: $5 = PTR "exec"
Value returned: $6 = {a = 40, b = 41}
Value returned: $7 = {d = 2.5, i = 9}
Value returned: $8 = {v = {1, 2, 3, 4, 5}}'
    expect_line '^Run till exit from #0 ret_void$' "$out"
    expect_line '^\$9 = 44\.5$' "$out"
    expect_line '^#0 +0x[0-9a-f]{16} in main at exec\.c:[0-9]+$' "$out"
done

exe=$(td_bin exec_O0)
# recursion: out of the innermost fact (n == 1) into fact (n == 2), not into main
td_cdbg out run "$exe" --batch -ex 'break fact if n == 1' -ex continue -ex finish -ex 'print n'
expect_status 0 "stepout of a recursive call"
expect_line '^Value returned: \$1 = 1$' "$out"
expect_line '^#0 +0x[0-9a-f]{16} in fact at exec\.c:[0-9]+$' "$out"
expect_line '^\$2 = 2$' "$out"
# from an outer frame: frame 1 of fact(n == 1) is fact(n == 2), which returns 2
td_cdbg out run "$exe" --batch -ex 'break fact if n == 1' -ex continue -ex 'up' -ex stepout
expect_line '^Run till exit from #1 fact$' "$out"
expect_line '^Value returned: \$1 = 2$' "$out"
# a breakpoint reached first stops the program there instead (a deeper call; not from main, whose
# finish gdb refuses: it does not unwind past main)
td_cdbg out run "$exe" --batch -ex 'tbreak fact' -ex continue -ex 'break fact if n == 3' -ex finish
expect_line '^Breakpoint 2, hit 1 time, thread tid [0-9]+$' "$out"
expect_no_line '^Value returned' "$out"

# JSON
td_cdbg out --json run "$exe" --batch -ex 'tbreak ret_pair' -ex continue -ex stepout
expect_status 0 "stepout --json"
expect_line '^\{"command":"stepout","event":"returned","function":"ret_pair","tid":[0-9]+,"frame":\{"level":0,.*"function":"main".*\},"return":\{"type":"struct pair","value":\{"a":40,"b":41\}\}\}$' "$out"

# errors
td_cdbg out run "$exe" --batch -ex 'frame 3' -ex finish
expect_status 1 "stepout of the outermost frame"
expect_line '^cdbg: stepout: frame #3 \(_start\) is the outermost frame: there is no caller to return to$' "$out.err"
require_cores
core=$(make_core crash_O0) || exit 1
td_cdbg out core "$(td_bin crash_O0)" "$core" --batch -ex 'frame 1' -ex finish
expect_status 1 "stepout on a core"
[ "$(wc -l < "$out.err")" = 1 ] && pass "one line for stepout on a core" || fail "more than one line: $(cat "$out.err")"
td_finish
