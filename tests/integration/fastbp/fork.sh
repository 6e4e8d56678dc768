#!/bin/bash
# Fast breakpoints and fork: the program forks while a fast breakpoint is patched in (its ignore
# count not spent). The child is let go with the program's own code (the jmp and the stub's int3
# taken out of its copy, as int3s are): it makes its 3000 calls and exits 0, where a stub left in
# it would trap once its copy of the count ran out and kill it with SIGTRAP. The parent stops at
# the hit gdb stops at.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the stop"

for v in O0 O2; do
    exe=$(eval echo "\$FASTBP_$v")
    td_cdbg out run "$exe" fork 0 3000 --batch -ex 'break tick' -ex 'ignore 1 4500' -ex continue -ex 'print i' \
        -ex continue
    expect_status 0 "fork, ignore 4500 ($v)"
    timeout 120 gdb -nx -batch -ex 'break tick' -ex 'ignore 1 4500' -ex run -ex 'print i' --args "$exe" fork 0 3000 \
        >"$TD_TMP/gdb.out" 2>&1
    want=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    [ "$want" = 1500 ] && pass "gdb stops at i = 1500 ($v)" || { fail "gdb's \$1: '$want' ($v)"; td_show "$TD_TMP/gdb.out"; }
    expect_lines "$out" '^Breakpoint 1, hit 4501 times, thread tid [0-9]+$' '^#0 ' '^=> ' "^\\\$1 = $want\$"
    expect_line '^child done 3000$' "$out"
    expect_line '^child status 0$' "$out"
done
td_finish
