#!/bin/bash
# `break FILE:LINE` on every line of testdata/sym/t1.c at -O0 and -O2, against gdb 13 on the same
# binary: the address (offset from _start) and the line it moves to, or no code at all. gdb takes
# statement rows only (find_line_common): the line itself or the first later line that has one; at
# -O2 the last line of main has non-statement rows only and gdb says "No line 52 in file".
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for FILE:LINE breakpoints"
src=$SRCROOT/testdata/sym/t1.c
last=$(wc -l <"$src")

for v in O0 O2; do
    exe=$(td_bin "sym_t1_$v")
    args=(-ex 'print/x (long)&_start')
    for l in $(seq 1 "$last"); do args+=(-ex "echo @$l\\n" -ex "break t1.c:$l"); done
    timeout 300 gdb -nx -batch "${args[@]}" "$exe" >"$TD_TMP/gdb.out" 2>&1
    gstart=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    # "@L" then "Breakpoint N at 0xA: file .../t1.c, line M." or "...: t1.c:M. (2 locations)" or "No line L"
    awk '/^@/ {l = substr($0, 2)}
        /^Breakpoint [0-9]+ at 0x/ {a = $4; sub(":", "", a); m = $NF; sub("\\.$", "", m)
            if ($0 ~ /locations\)$/) {m = $5; sub("\\.$", "", m); sub(".*:", "", m)}
            print l, a, m}
        /^No line / {print l " none"}' "$TD_TMP/gdb.out" | while read -r l a m; do
        [ "$a" = none ] && echo "$l none" || echo "$l $((a - gstart)) $m"
    done >"$TD_TMP/gdb.lines"
    [ "$(wc -l <"$TD_TMP/gdb.lines")" = "$last" ] && pass "gdb answered for each of $last lines ($v)" ||
        { fail "gdb answered for $(wc -l <"$TD_TMP/gdb.lines") of $last lines ($v)"; td_show "$TD_TMP/gdb.out"; }
    : >"$TD_TMP/cdbg.lines"
    for l in $(seq 1 "$last"); do
        td_cdbg out run "$exe" --batch -ex 'print/x (long)&_start' -ex "break t1.c:$l"
        cstart=$(sed -n 's/^\$1 = //p' "$out")
        a=$(sed -n 's/^Breakpoint 1 at \(0x[0-9a-f]*\): .*/\1/p' "$out")
        m=$(sed -n "s/^warning: line $l of t1.c has no code: using line \\([0-9]*\\)\$/\\1/p" "$out.err")
        if [ -n "$a" ]; then
            echo "$l $((a - cstart)) ${m:-$l}"
        elif grep -q "^cdbg: break: no code at or after line $l of t1.c" "$out.err"; then
            echo "$l none"
        else
            echo "$l ? $(grep -v '^Stopped' "$out" | head -1)"
        fi >>"$TD_TMP/cdbg.lines"
    done
    expect_exact "$TD_TMP/cdbg.lines" "$TD_TMP/gdb.lines"
    if [ "$v" = O2 ]; then
        grep -q "^$last none\$" "$TD_TMP/gdb.lines" && pass "gdb: no code at the last line at -O2" ||
            fail "gdb has code at line $last at -O2: t1.c no longer has the non-statement-only line"
    fi
done
td_finish
