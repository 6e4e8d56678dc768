#!/bin/bash
# std::unordered_map/set nodes whose value is 16 bytes or more (issue 13): the value is found after
# the node's next pointer at the value type's alignment from DWARF (alignas, members), not guessed
# from its size: a 40-byte pair<const std::string, int> is 8-aligned (cdbg printed
# `{[<error: cannot access memory at 0x3>] = ...}`), an alignas(16) value and a long double are
# 16-aligned. testdata/exprfix/hash.cpp, g++ and clang++, -O0 and -O2, every answer compared with
# gdb's (with libstdc++'s printers) on the same binary.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the standard library's values"

vars=(a b c d e f)
for build in gcc_O0 gcc_O2 clang_O0 clang_O2; do
    exe=$(td_bin "exprfix_hash_$build") || { fail "exprfix_hash_$build is not built (clang++ missing?)"; continue; }
    cex=(-ex 'break hash_stop' -ex continue -ex up) gex=(-ex 'break hash_stop' -ex run -ex up)
    for v in "${vars[@]}"; do cex+=(-ex "print $v"); gex+=(-ex "print $v"); done
    td_cdbg out run "$exe" --batch "${cex[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    grep -E '^\$[0-9]+ = ' "$out" >"$TD_TMP/mine.$build"
    grep -E '^\$[0-9]+ = ' "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    expect_exact_str "$TD_TMP/mine.$build" '$1 = std::unordered_map with 1 element = {[1] = 2}
$2 = std::unordered_map with 1 element = {["key"] = 3}
$3 = std::unordered_set with 1 element = {[0] = "s1"}
$4 = std::unordered_map with 1 element = {[4] = {a = 5}}
$5 = std::unordered_map with 1 element = {[6] = {x = 7, y = 8, z = 9}}
$6 = std::unordered_set with 1 element = {[0] = 2.5}'
done
td_finish
