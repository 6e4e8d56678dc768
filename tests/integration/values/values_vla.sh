#!/bin/bash
# Variable-length arrays (issue 13): cdbg printed `sizeof(vla)` 0, `whatis vla` `char []` and
# `print vla` "". The length comes from the subrange's bound read in the frame: gcc's
# DW_AT_upper_bound expression (`fbreg -56; deref`), clang's DW_AT_count naming __vla_expr0.
# testdata/exprfix/vla.c (n = 131), gcc and clang: -O0 compared with gdb on the same binary; -O2,
# where gdb itself loses some of it, checked against what the program holds, and what cdbg cannot
# read there is one error line, never an empty array.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for array values"

cmds=(-ex 'print sizeof(vla)' -ex 'whatis vla' -ex 'print vla' -ex 'whatis m' -ex 'print m[1]' -ex 'print sizeof(m)'
    -ex 'print m[130]' -ex 'info locals')
want="\$1 = 131
type = char [131]
\$2 = 'a' <repeats 130 times>
type = int [131][3]
\$3 = {0, 0, 7}
\$4 = 1572
\$5 = {0, 0, 0}
vla = 'a' <repeats 130 times>
m = {{0, 0, 0}, {0, 0, 7}, {0, 0, 0} <repeats 129 times>}"
for build in gcc_O0 clang_O0; do
    exe=$(td_bin "exprfix_vla_$build") || { fail "exprfix_vla_$build is not built (clang missing?)"; continue; }
    td_cdbg out run "$exe" --batch -ex 'break vla_stop' -ex continue -ex up "${cmds[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch -ex 'break vla_stop' -ex run -ex up "${cmds[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    grep -E '^(\$[0-9]+|type|vla|m) = ' "$out" >"$TD_TMP/mine.$build"
    grep -E '^(\$[0-9]+|type|vla|m) = ' "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    expect_exact_str "$TD_TMP/mine.$build" "$want"
done
# -O2: gcc keeps the bound (gdb says <optimized out> for sizeof); clang keeps vla's but not m's
for build in gcc_O2 clang_O2; do
    exe=$(td_bin "exprfix_vla_$build") || { fail "exprfix_vla_$build is not built (clang missing?)"; continue; }
    td_cdbg out run "$exe" --batch -ex 'break vla_stop' -ex continue -ex up "${cmds[@]::6}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    grep -E '^(\$[0-9]+|type) = ' "$out" >"$TD_TMP/mine.$build"
    expect_exact_str "$TD_TMP/mine.$build" "$(head -3 <<<"$want")"
done
exe=$(td_bin exprfix_vla_clang_O2) && {
    td_cdbg out run "$exe" --batch -ex 'break vla_stop' -ex continue -ex up -ex 'print m[1]'
    expect_status 1 "print m[1] where m's length is optimized out"
    [ "$(wc -l <"$out.err")" -eq 1 ] && grep -qE '^cdbg: .*optimized out' "$out.err" && pass "one error line" ||
        fail "expected one 'optimized out' error line, got: $(cat "$out.err")"
}
td_finish
