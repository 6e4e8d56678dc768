#!/bin/bash
# A hot conditional breakpoint parses its condition once (src/control/run.c ctl_eval_cond keeps
# the last one parsed, with its text and pc). The cache must follow what is evaluated: two
# breakpoints on one line with different conditions, evaluated in turn at every call, and a
# condition changed by `condition` between two stops. codepatch.c calls pair(i, 100 + i) for
# i = 0..3: `if b == 101` stops at i = 1 (breakpoint 2, its `if a == 2` partner not true yet),
# then breakpoint 1, its condition changed to `a == 3`, stops at i = 3, not at 2.
. "$SRCROOT/tests/integration/lib.sh"
need_tool cc "building the test program"

exe=$TD_TMP/codepatch
cc -g -O0 -o "$exe" "$SRCROOT/tests/integration/perf/codepatch.c" || fail "cannot build codepatch.c"
line=$(grep -n '@load' "$SRCROOT/tests/integration/perf/codepatch.c" | cut -d: -f1)
td_cdbg out run "$exe" --batch -ex "break codepatch.c:$line if a == 2" -ex "break codepatch.c:$line if b == 101" \
    -ex continue -ex 'print a' -ex 'condition 1 a == 3' -ex continue -ex 'print a' -ex continue
expect_status 0 "run"
got=$(grep -E '^(Breakpoint [0-9]+, hit|\$[0-9]+ = )' "$out" | tr '\n' '|')
want='Breakpoint 2, hit 1 time, thread tid TID|$1 = 1|Breakpoint 1, hit 1 time, thread tid TID|$2 = 3|'
got=$(sed -E 's/tid [0-9]+/tid TID/g' <<<"$got")
[ "$got" = "$want" ] && pass "each condition evaluated as written, the changed one too" ||
    { fail "stops: expected '$want', got '$got'"; td_show "$out"; }
expect_line '^Process [0-9]+ exited with status 0$' "$out"
td_finish
