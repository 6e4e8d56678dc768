#!/bin/bash
# A function split into hot and cold parts (issue 13): gcc -O2 gives work() and main() DW_AT_ranges
# and no DW_AT_low_pc; `print work` named no address ("inlined everywhere"). Its address is where
# gdb puts it (the start of the first range), checked against gdb on the same non-PIE binary, with
# -O0 (one range) as the control. testdata/exprfix/cold.c.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for function values"

cmds=(-ex 'print work' -ex 'print main' -ex 'print slowpath' -ex 'print &work' -ex 'print *work' -ex 'whatis work'
    -ex 'print/x (long)work')
for v in O0 O2; do
    exe=$(td_bin "exprfix_cold_$v") || { fail "exprfix_cold_$v is not built"; continue; }
    # the split is what this test is about: make sure the -O2 build has it
    if [ $v = O2 ]; then
        nm "$exe" | grep -q ' work\.cold' && pass "gcc -O2 split work() (work.cold)" || fail "no work.cold in $exe"
    fi
    td_cdbg out run "$exe" --batch "${cmds[@]}"
    expect_status 0 "cdbg on the $v build" || td_show "$out.err"
    timeout 120 gdb -nx -batch -ex 'break main' -ex run "${cmds[@]}" "$exe" >"$TD_TMP/gdb.$v" 2>&1
    grep -E '^(\$[0-9]+|type) = ' "$out" >"$TD_TMP/mine.$v"
    grep -E '^(\$[0-9]+|type) = ' "$TD_TMP/gdb.$v" >"$TD_TMP/theirs.$v"
    expect_exact "$TD_TMP/mine.$v" "$TD_TMP/theirs.$v"
    expect_line '^\$1 = \{int \(int\)\} 0x[0-9a-f]+ <work>$' "$out"
done
td_finish
