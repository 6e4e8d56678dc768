#!/bin/bash
# The frames past main in a g++ -O2 program (testdata/sym/c1.cpp): _start, just past main in .text,
# lies beyond the end of main's line sequence, whose last row shares its address with the
# end-of-sequence row. gdb gives _start no line; each frame's function and line (or none) must be
# the ones gdb gives with `set backtrace past-main on`.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for frames and lines"

# "#3  0x... in _start ()" -> "_start -"; "... in main () at c1.cpp:58" -> "main c1.cpp:58"
frames() {
    sed -n 's/^#[0-9]*  *\(0x[0-9a-f]* in \)\{0,1\}\([^ ]*\) .*/&/p' "$1" | sed -E \
        -e 's/^#[0-9]+ +(0x[0-9a-f]+ in )?([^ (]+) .*[ /]([^ /]+:[0-9]+)$/\2 \3/' \
        -e 's/^#[0-9]+ +(0x[0-9a-f]+ in )?([^ (]+) .*/\2 -/'
}
for v in O0 O2; do
    exe=$(td_bin "sym_c1_$v")
    timeout 120 gdb -nx -batch -ex 'set backtrace past-main on' -ex 'break main' -ex run -ex bt "$exe" \
        >"$TD_TMP/gdb.out" 2>&1
    frames "$TD_TMP/gdb.out" >"$TD_TMP/gdb.frames"
    grep -q '^_start -$' "$TD_TMP/gdb.frames" && pass "gdb: _start without a line ($v)" ||
        { fail "gdb's bt has no _start ($v)"; td_show "$TD_TMP/gdb.out"; }
    td_cdbg out run "$exe" --batch -ex bt  # run stops at main
    expect_status 0 "bt past main ($v)"
    sed -n '/^#0 /,$p' "$out" | awk '/^#0 / && n++ {exit} {print}' >"$TD_TMP/cdbg.bt"
    frames "$TD_TMP/cdbg.bt" | sed 's/ from [^ ]*$//' >"$TD_TMP/cdbg.frames"
    expect_exact "$TD_TMP/cdbg.frames" "$TD_TMP/gdb.frames"
done
td_finish
