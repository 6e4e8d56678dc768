#!/bin/bash
# Fast breakpoints with a condition: a SIMPLE condition (a local or parameter compared with a
# constant, && / || of two) is evaluated in the stub, at -O0 (i at a frame offset) and at -O2 (i in
# a register); the stops, their i and the hit counts are gdb's for each. A condition that is not
# simple (a cast, a global) stays on the ptrace path and stops the same. A condition changed at a
# stop takes effect at the next continue. Attached, the stub area proves the hits were not stops.
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/fastbp/stub_area.sh"
need_tool gdb "the reference for the stops"


# each condition: two continues, "$1 $2 HITS" (the hit count at the last stop) from cdbg and gdb
for v in O0 O2; do
    exe=$(eval echo "\$FASTBP_$v")
    for cond in 'i == 2000' 'i > -1' '2000 <= i && i < 2002' 'i == 5 || i == 2000' 'i > 1999' 'i != 0 && i <= 1' \
        '(int)i == 2000' 'sink > 0 && i >= 2000'; do
        td_cdbg out run "$exe" run 0 3000 --batch -ex "break tick if $cond" -ex continue -ex 'print i' -ex continue \
            -ex 'print i' -ex breakpoints
        # (the second continue may run the program to its end: the status says so, gdb's output too)
        got="$(sed -n 's/^\$[12] = //p' "$out" | tr '\n' ' ')$(sed -n 's/^Breakpoint 1, hit \([0-9]*\) times\?, .*/\1/p' "$out" | tail -1) "
        timeout 120 gdb -nx -batch -ex "break tick if $cond" -ex run -ex 'print i' -ex continue -ex 'print i' \
            -ex 'info breakpoints' --args "$exe" run 0 3000 >"$TD_TMP/gdb.out" 2>&1
        want="$(sed -n 's/^\$[12] = //p' "$TD_TMP/gdb.out" | tr '\n' ' ')$(sed -n 's/.*breakpoint already hit \([0-9]*\) times\?.*/\1/p' "$TD_TMP/gdb.out" | tr '\n' ' ')"
        [ -n "$got" ] && [ "$got" = "$want" ] && pass "if $cond ($v): $got" ||
            { fail "if $cond ($v): cdbg '$got', gdb '$want'"; td_show "$out"; }
    done

    # a condition changed at a stop
    td_cdbg out run "$exe" run 0 3000 --batch -ex 'break tick if i == 100' -ex continue -ex 'condition 1 i == 2500' \
        -ex continue -ex 'print i' -ex 'condition 1' -ex continue -ex 'print i'
    expect_status 0 "condition changed ($v)"
    expect_lines "$out" '^Breakpoint 1, hit 2 times, thread tid [0-9]+$' '^#0 ' '^=> ' '^\$1 = 2500$'
    expect_lines "$out" '^Breakpoint 1, hit 3 times, thread tid [0-9]+$' '^#0 ' '^=> ' '^\$2 = 2501$'

    # attached: the stub did the work
    td_start "$exe" wait 0 3000
    pid=$TD_PID
    td_cdbg out attach "$pid" --batch -ex 'break tick if i == 2500' -ex 'set var go = 1' -ex continue -ex 'print i'
    expect_status 0 "attach, if i == 2500 ($v)"
    expect_lines "$out" '^Breakpoint 1, hit 1 time, thread tid [0-9]+$' '^#0 ' '^=> ' '^\$1 = 2500$'
    td_wait_for "the program's summary ($v)" grep -q '^done 3000$' "$TD_TMP"/proc.*/out
    check_untraced "$pid"
    stub_area "$pid" && pass "the stub area is there ($v)" || fail "no stub area: the condition was not fast ($v)"
    kill "$pid"
    rm -f "$TD_TMP"/proc.*/out
done
td_finish
