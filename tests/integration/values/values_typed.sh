#!/bin/bash
# Typed DWARF operations (review finding): gcc -O2 describes never-stored locals of
# testdata/exprfix/typed.c with DW_OP_deref_type <float>, DW_OP_convert, DW_OP_const_type <double>
# and arithmetic on floating values. cdbg failed "unsupported DWARF location operation 0xa4" on
# `ratio`, and printed `neg = -1.75` (an integer negation of the float's bits) where gdb prints
# -2.5: a wrong value without an error. Both stops compared with gdb; clang -O2 is the control.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the values"

for build in gcc clang; do
    # clang leaves them optimized out, where arithmetic is an error that ends a batch script
    per=(-ex 'info locals' -ex 'print neg')
    [ "$build" = gcc ] && per+=(-ex 'print ratio * 2' -ex 'print sum > ratio')
    exe=$(td_bin "exprfix_typed_$build") || { fail "exprfix_typed_$build is not built (clang missing?)"; continue; }
    td_cdbg out run "$exe" --batch -ex 'break typed.c:19' -ex continue "${per[@]}" -ex continue "${per[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch -ex 'break typed.c:19' -ex run "${per[@]}" -ex continue "${per[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    grep -E '^(\$[0-9]+|[a-z]+) = ' "$out" >"$TD_TMP/mine.$build"
    grep -E '^(\$[0-9]+|[a-z]+) = ' "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
done
# The values themselves, so that a gdb that also got them wrong cannot hide a regression.
expect_exact_str <(grep -E '^(ratio|neg|sum|smaller|twice) = ' "$TD_TMP/mine.gcc") "ratio = 0.83333333333333337
twice = 10
neg = -2.5
sum = 6.5
smaller = 1
ratio = -2.4166666666666665
twice = -7.5
neg = 7.25
sum = -10.25
smaller = 1"
td_finish
