#!/bin/bash
# DW_OP_convert in a location (issue 13): clang -O2 describes f_bool's _Bool argument as
# `breg4 0; constu 0xffffffff; and; convert unsigned_1; convert unsigned_8; stack_value`; cdbg printed
# `<error: unsupported DWARF location operation 0xa8>`, gdb `true`. testdata/exprfix/convert.c,
# clang -O2 (gcc -O2 the control), two calls (true, then false), compared with gdb.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for argument values"

per=(-ex 'info args' -ex 'print b' -ex 'print c' -ex 'print b + 1')
for build in clang gcc; do
    exe=$(td_bin "exprfix_convert_$build") || { fail "exprfix_convert_$build is not built (clang missing?)"; continue; }
    td_cdbg out run "$exe" --batch -ex 'break f_bool' -ex continue "${per[@]}" -ex continue "${per[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch -ex 'break f_bool' -ex run "${per[@]}" -ex continue "${per[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    grep -E '^(\$[0-9]+|[nbc]) = ' "$out" >"$TD_TMP/mine.$build"
    grep -E '^(\$[0-9]+|[nbc]) = ' "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    expect_exact_str "$TD_TMP/mine.$build" "n = 1
b = true
c = -2 '\\376'
\$1 = true
\$2 = -2 '\\376'
\$3 = 2
n = 2
b = false
c = 9 '\\t'
\$4 = false
\$5 = 9 '\\t'
\$6 = 1"
done
td_finish
