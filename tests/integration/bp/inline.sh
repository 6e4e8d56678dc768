#!/bin/bash
# A function that only exists inlined (testdata/bp/inl.c at -O2: validate() has no out-of-line
# copy): `break validate` sets a location at every inlined copy, the ones gdb sets (their offsets
# from main compared), and each stops in the inlined frame with its argument readable. At -O0 the
# one out-of-line function.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for the inlined copies"
src=$SRCROOT/testdata/bp/inl.c
line=$(grep -n '@validate' "$src" | cut -d: -f1)

for v in O0 O2; do
    exe=$(td_bin "inl_$v")
    timeout 120 gdb -nx -batch -ex start -ex 'break validate' -ex 'info breakpoints' -ex 'print/x (long)&main' \
        "$exe" >"$TD_TMP/gdb.out" 2>&1
    gmain=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
    # "1.2   y   0x... in validate at .../inl.c:9", or one "breakpoint keep y 0x... in validate" line
    grep -E "^[0-9.]+ +(breakpoint +keep +)?y +0x[0-9a-f]+ in validate at .*inl\\.c:$line\$" "$TD_TMP/gdb.out" |
        grep -oE '0x[0-9a-f]+' | while read -r a; do printf '%d\n' $((a - gmain)); done | sort -n >"$TD_TMP/gdb_offs"
    ng=$(wc -l <"$TD_TMP/gdb_offs")
    [ "$ng" -ge 1 ] && pass "gdb set $ng location(s) ($v)" || { fail "gdb set no location ($v)"; td_show "$TD_TMP/gdb.out"; }

    td_cdbg out run "$exe" --batch -ex 'break validate' -ex breakpoints -ex 'print/x (long)&main' \
        -ex continue -ex args -ex continue -ex args -ex continue -ex args -ex continue
    expect_status 0 "break validate ($v)"
    cmain=$(sed -n 's/^\$1 = //p' "$out")
    sed -n "s/^    \\([0-9]*\\.[0-9]* \\)\\{0,1\\}\\(0x[0-9a-f]*\\) in validate at inl\\.c:$line\$/\\2/p" "$out" |
        while read -r a; do printf '%d\n' $((a - cmain)); done | sort -n >"$TD_TMP/cdbg_offs"
    expect_exact "$TD_TMP/cdbg_offs" "$TD_TMP/gdb_offs"
    if [ "$v" = O2 ]; then
        [ "$ng" -gt 1 ] && pass "several inlined copies" || fail "gdb found $ng location(s) at -O2: inl.c is not inlined"
        expect_line "^Breakpoint 1 at 0x[0-9a-f]+: validate at inl\\.c:$line \\(and $((ng - 1)) more locations\\)\$" "$out"
        # each stop is in the inlined frame, whose argument is readable
        [ "$(grep -c "^#0  (inlined) *in validate at inl\\.c:$line\$" "$out")" = 3 ] &&
            pass "3 stops in the inlined frame" || fail "not 3 stops in validate's inlined frame"
    fi
    expect_lines "$out" '^Breakpoint 1, hit 1 time, ' '^#0 .* validate at ' '^=> ' '^v = [0-9]+$'
    expect_line '^Breakpoint 1, hit 3 times, ' "$out"
    # argc is 1: validate(5) from check_a, validate(6) from check_b, validate(15) from main
    [ "$(sed -n 's/^v = //p' "$out" | sort -n | tr '\n' ' ')" = "5 6 15 " ] && pass "v at each stop ($v)" ||
        fail "v at the stops: $(sed -n 's/^v = //p' "$out" | tr '\n' ' ') ($v)"
    expect_line '^inl done 16$' "$out"
done

td_finish
