#!/bin/bash
# gdb habits (issue 13): the `@` operator (`print arr[1]@3`, `*arr@2`, `pts[1]@2`, its type and size,
# its precedence between shifts and `+`, and its two errors), and a character literal printed as gdb
# prints it (`97 'a'`, a char: sizeof 1, promoted in arithmetic); wchar_t,
# char16_t and char32_t strings as L"..", u"..", U"..". testdata/exprfix/habits.c, every
# answer compared with gdb's on the same binary.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for expressions"

exe=$(td_bin exprfix_habits) || fail "exprfix_habits is not built"
ok=(-ex 'print arr[1]@3' -ex 'print *arr@2' -ex 'whatis arr[1]@3' -ex 'print sizeof(arr[1]@3)' -ex 'print arr[0]@2+1'
    -ex 'print pts[1]@2' -ex 'print/x arr[4]@2' -ex "print 'a'" -ex "print '\\n'" -ex "print/x 'a'" -ex "print sizeof('a')"
    -ex "print 'a' + 1" -ex "whatis 'a'")
td_cdbg out run "$exe" --batch "${ok[@]}"
expect_status 0 "cdbg" || td_show "$out.err"
timeout 120 gdb -nx -batch -ex 'break main' -ex run "${ok[@]}" "$exe" >"$TD_TMP/gdb" 2>&1
grep -E '^(\$[0-9]+|type) = ' "$out" >"$TD_TMP/mine"
grep -E '^(\$[0-9]+|type) = ' "$TD_TMP/gdb" >"$TD_TMP/theirs"
expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"
expect_exact_str "$TD_TMP/mine" "\$1 = {11, 12, 13}
\$2 = {10, 11}
type = int [3]
\$3 = 12
\$4 = {10, 11, 12}
\$5 = {{x = 3, y = 4}, {x = 5, y = 6}}
\$6 = {0xe, 0xf}
\$7 = 97 'a'
\$8 = 10 '\\n'
\$9 = 0x61
\$10 = 1
\$11 = 98
type = char"
# the errors: one line each, exit 1
# ($_siginfo is read now: tests/integration/info/info_convvars.sh)
for c in 'print 1@2' 'print arr[0]@0'; do
    td_cdbg out run "$exe" --batch -ex "$c"
    expect_status 1 "$c"
    [ "$(wc -l <"$out.err")" -eq 1 ] && pass "$c: one error line" || fail "$c: $(cat "$out.err")"
done
# wide strings behind pointers (testdata/exprfix/wide.c), as gdb prints them
exe=$(td_bin exprfix_wide) || fail "exprfix_wide is not built"
w=(-ex 'print ws' -ex 'print s16' -ex 'print s32' -ex 'print wnull' -ex 'print/x ws')
td_cdbg out run "$exe" --batch "${w[@]}"
expect_status 0 "cdbg on wide strings" || td_show "$out.err"
timeout 120 gdb -nx -batch -ex 'break main' -ex run "${w[@]}" "$exe" >"$TD_TMP/gdbw" 2>&1
# (addresses aside: cdbg does not turn address randomization off)
grep -E '^\$[0-9]+ = ' "$out" | sed -E 's/0x[0-9a-f]{6,}/ADDR/' >"$TD_TMP/minew"
grep -E '^\$[0-9]+ = ' "$TD_TMP/gdbw" | sed -E 's/0x[0-9a-f]{6,}/ADDR/' >"$TD_TMP/theirsw"
expect_exact "$TD_TMP/minew" "$TD_TMP/theirsw"
expect_exact_str "$TD_TMP/minew" '$1 = ADDR L"wide string"
$2 = ADDR u"sixteen"
$3 = ADDR U"thirty-two"
$4 = 0x0
$5 = ADDR'
td_finish
