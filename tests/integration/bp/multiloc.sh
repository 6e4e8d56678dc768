#!/bin/bash
# A breakpoint with several locations (validate, only inlined at -O2, in three places; and its
# FILE:LINE form) lists them as N.1, N.2... in address order, as gdb's `info breakpoints` does:
# the same addresses (offsets from main) in the same order, whatever order the DWARF gave them in
# (for FILE:LINE gdb chooses another address in one copy: there the numbers and order are compared).
# Set again after a restart, they keep that order.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the listing order"
exe=$(td_bin inl_O2)
line=$(grep -n '@validate' "$SRCROOT/testdata/bp/inl.c" | cut -d: -f1)

for spec in validate "inl.c:$line"; do
    printf 'break %s\ninfo breakpoints\nprint/x (long)&main\n' "$spec" >"$TD_TMP/g.gdb"
    timeout 120 gdb -nx -batch -x "$TD_TMP/g.gdb" "$exe" >"$TD_TMP/gdb.out" 2>&1
    gmain=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    # "1.2    y   0x... in validate at ../testdata/bp/inl.c:9": number and offset from main, in order
    sed -nE 's/^(1\.[0-9]+) +y +(0x[0-9a-f]+) in .*/\1 \2/p' "$TD_TMP/gdb.out" |
        while read -r n a; do echo "$n $((a - gmain))"; done >"$TD_TMP/want"
    [ "$(wc -l <"$TD_TMP/want")" -ge 3 ] || { fail "gdb listed fewer than 3 locations for $spec"; td_show "$TD_TMP/gdb.out"; }
    sort -n -k2 "$TD_TMP/want" | cmp -s - "$TD_TMP/want" || fail "gdb's listing is not in address order: the reference is off"

    for cmd in breakpoints restart; do
        if [ $cmd = restart ]; then
            td_cdbg out run "$exe" --batch -ex "break $spec" -ex restart -ex breakpoints -ex 'print/x (long)&main'
        else
            td_cdbg out run "$exe" --batch -ex "break $spec" -ex breakpoints -ex 'print/x (long)&main'
        fi
        expect_status 0 "break $spec, $cmd"
        cmain=$(sed -n 's/^\$1 = //p' "$out")
        sed -nE 's/^    (1\.[0-9]+) (0x[0-9a-f]+) in [a-z_]+ at inl\.c:[0-9]+$/\1 \2/p' "$out" |
            while read -r n a; do echo "$n $((a - cmain))"; done >"$TD_TMP/got"
        if [ "$spec" = validate ]; then
            expect_exact "$TD_TMP/got" "$TD_TMP/want"
        else
            # gdb picks another address than cdbg for one of the line's copies (a line-table
            # choice, not the order): the numbering and the order are compared
            cut -d' ' -f1 "$TD_TMP/got" >"$TD_TMP/got_n"
            cut -d' ' -f1 "$TD_TMP/want" >"$TD_TMP/want_n"
            expect_exact "$TD_TMP/got_n" "$TD_TMP/want_n"
            sort -n -k2 "$TD_TMP/got" | cmp -s - "$TD_TMP/got" && pass "in address order ($spec, $cmd)" ||
                { fail "not in address order ($spec, $cmd)"; td_show "$out"; }
        fi
    done
    # JSON: the locations in the same order
    td_cdbg out --json run "$exe" --batch -ex "break $spec" -ex breakpoints
    grep '"command":"breakpoints"' "$out" | grep -oE '"address":"0x[0-9a-f]+"' | grep -oE '0x[0-9a-f]+' >"$TD_TMP/ja"
    sort "$TD_TMP/ja" | cmp -s - "$TD_TMP/ja" && [ "$(wc -l <"$TD_TMP/ja")" = "$(wc -l <"$TD_TMP/want")" ] &&
        pass "JSON locations in address order ($spec)" || { fail "JSON locations not in address order ($spec)"; td_show "$out"; }
done
td_finish
