#!/bin/bash
# A breakpoint with several locations (validate, only inlined at -O2, in three places; and its
# FILE:LINE form) lists them as N.1, N.2... in address order, as gdb's `info breakpoints` does:
# the same addresses (offsets from main) in the same order, whatever order the DWARF gave them in.
# For FILE:LINE, gdb's choice per inlined copy: the lowest statement row of the line in each block
# (one copy's row is in check_a's own block, before the inlined call starts), and two inlined copies
# of one() in main (testdata/inline/hot.c) are two locations. Set again after a restart, they keep
# that order.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the listing order"
exe=$(td_bin inl_O2)
line=$(grep -n '@validate' "$SRCROOT/testdata/bp/inl.c" | cut -d: -f1)

hot_line=$(grep -n 'run(&s);' "$SRCROOT/testdata/inline/hot.c" | cut -d: -f1)
for spec in validate "inl.c:$line" "hot.c:$hot_line"; do
    case $spec in hot.c:*) exe=$(td_bin inline_hot_O2) ;; esac
    printf 'break %s\ninfo breakpoints\nprint/x (long)&main\n' "$spec" >"$TD_TMP/g.gdb"
    timeout 120 gdb -nx -batch -x "$TD_TMP/g.gdb" "$exe" >"$TD_TMP/gdb.out" 2>&1
    gmain=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    # "1.2    y   0x... in validate at ../testdata/bp/inl.c:9": number and offset from main, in order
    sed -nE 's/^(1\.[0-9]+) +y +(0x[0-9a-f]+) in .*/\1 \2/p' "$TD_TMP/gdb.out" |
        while read -r n a; do echo "$n $((a - gmain))"; done >"$TD_TMP/want"
    [ "$(wc -l <"$TD_TMP/want")" -ge 2 ] || { fail "gdb listed fewer than 2 locations for $spec"; td_show "$TD_TMP/gdb.out"; }
    sort -n -k2 "$TD_TMP/want" | cmp -s - "$TD_TMP/want" || fail "gdb's listing is not in address order: the reference is off"

    for cmd in breakpoints restart; do
        if [ $cmd = restart ]; then
            td_cdbg out run "$exe" --batch -ex "break $spec" -ex restart -ex breakpoints -ex 'print/x (long)&main'
        else
            td_cdbg out run "$exe" --batch -ex "break $spec" -ex breakpoints -ex 'print/x (long)&main'
        fi
        expect_status 0 "break $spec, $cmd"
        cmain=$(sed -n 's/^\$1 = //p' "$out")
        sed -nE 's/^    (1\.[0-9]+) (0x[0-9a-f]+) in [a-z_]+ at (inl|hot)\.c:[0-9]+$/\1 \2/p' "$out" |
            while read -r n a; do echo "$n $((a - cmain))"; done >"$TD_TMP/got"
        expect_exact "$TD_TMP/got" "$TD_TMP/want"
    done
    # JSON: the locations in the same order
    td_cdbg out --json run "$exe" --batch -ex "break $spec" -ex breakpoints
    grep '"command":"breakpoints"' "$out" | grep -oE '"address":"0x[0-9a-f]+"' | grep -oE '0x[0-9a-f]+' >"$TD_TMP/ja"
    sort "$TD_TMP/ja" | cmp -s - "$TD_TMP/ja" && [ "$(wc -l <"$TD_TMP/ja")" = "$(wc -l <"$TD_TMP/want")" ] &&
        pass "JSON locations in address order ($spec)" || { fail "JSON locations not in address order ($spec)"; td_show "$out"; }
done

# one location, a line with several statement rows in its block (a loop's init and its test): the
# lowest, as gdb's
exe=$(td_bin inline_hot_O2)
for pat in 'for (long i = 0; i < n_calls; i++)' 'for (int i = 0; i < nthreads; i++)' 'n_calls = argc > 1'; do
    l=$(grep -nF "$pat" "$SRCROOT/testdata/inline/hot.c" | head -1 | cut -d: -f1)
    timeout 120 gdb -nx -batch -ex "break hot.c:$l" -ex 'info breakpoints' -ex 'print/x (long)&main' "$exe" >"$TD_TMP/gdb.out" 2>&1
    gmain=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    ga=$(sed -nE 's/^1 +breakpoint +keep +y +(0x[0-9a-f]+) in .*/\1/p' "$TD_TMP/gdb.out")
    td_cdbg out run "$exe" --batch -ex "break hot.c:$l" -ex breakpoints -ex 'print/x (long)&main'
    cmain=$(sed -n 's/^\$1 = //p' "$out")
    ca=$(sed -nE 's/^    (0x[0-9a-f]+) in [a-z_]+ at hot\.c:[0-9]+$/\1/p' "$out")
    if [ -z "$ga" ] || [ -z "$gmain" ]; then
        fail "gdb set no single location at hot.c:$l"
        td_show "$TD_TMP/gdb.out"
    elif [ -n "$ca" ] && [ -n "$cmain" ] && [ $((ca - cmain)) = $((ga - gmain)) ]; then
        pass "hot.c:$l at main+$((ga - gmain)) as gdb"
    else
        fail "hot.c:$l: cdbg at ${ca:-nothing} (main ${cmain:-?}), gdb at main+$((ga - gmain))"
        td_show "$out"
    fi
done
td_finish
