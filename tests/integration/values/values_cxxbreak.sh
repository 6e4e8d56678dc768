#!/bin/bash
# C++ breakpoint locations (issue 13): `break method` takes every overload of every class's method
# (one breakpoint, several locations, as gdb), `break Class::method` and `break ns::Class::method`
# the same, a constructor by its name, and `break file.cpp:LINE`. Each spec is resolved by cdbg and
# by gdb on testdata/cxx/values.cpp (g++ and clang++ builds) and their locations compared: function,
# line, and the address within its page (gdb shows the link-time address before `run`, cdbg the
# loaded one of a PIE; they differ by the page-aligned load base). Then both stop at every overload.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for C++ breakpoint locations"

specs=('bark' 'Dog::bark' 'zoo::Dog::bark' 'speak' 'zoo::Animal::speak' 'Dog' 'zoo::Dog::Dog' 'values.cpp:47')

# locs_cdbg FILE / locs_gdb FILE: one line per location, "FUNC LINE PAGE-OFFSET", sorted
locs_cdbg() {
    sed -nE 's/^    ([0-9]+\.[0-9]+ )?0x0*([0-9a-f]*)([0-9a-f]{3}) in ([^ ]+) at [^ ]+:([0-9]+)$/\4 \5 \3/p' "$1" | sort
}
locs_gdb() {
    sed -nE 's/^[0-9.]+ +breakpoint +keep +y +0x0*([0-9a-f]*)([0-9a-f]{3}) in ([^(]+)\(.* at [^ ]+:([0-9]+)$/\3 \4 \2/p
             s/^[0-9.]+ +y +0x0*([0-9a-f]*)([0-9a-f]{3}) in ([^(]+)\(.* at [^ ]+:([0-9]+)$/\3 \4 \2/p' "$1" | sort
}

for build in gcc clang; do
    exe=$(td_bin "cxx_values_$build") || { fail "cxx_values_$build is not built (clang++ missing?)"; continue; }
    for spec in "${specs[@]}"; do
        td_cdbg out run "$exe" --batch -ex "break $spec" -ex 'info breakpoints'
        expect_status 0 "cdbg: break $spec ($build)" || td_show "$out.err"
        timeout 120 gdb -nx -batch -ex "break $spec" -ex 'info breakpoints' "$exe" >"$TD_TMP/gdb.bp" 2>&1
        locs_cdbg "$out" >"$TD_TMP/mine"
        locs_gdb "$TD_TMP/gdb.bp" >"$TD_TMP/theirs"
        [ -s "$TD_TMP/theirs" ] || { fail "gdb found no location for $spec ($build)"; td_show "$TD_TMP/gdb.bp"; }
        expect_exact "$TD_TMP/mine" "$TD_TMP/theirs"
    done
    # what the program has: bark's two overloads, at values.cpp's lines 45 (after the prologue of
    # bark(int)) and 34 (the inline one)
    td_cdbg out run "$exe" --batch -ex 'break bark' -ex 'info breakpoints'
    locs_cdbg "$out" | cut -d' ' -f1,2 >"$TD_TMP/bark"
    expect_exact_str "$TD_TMP/bark" 'zoo::Dog::bark 34
zoo::Dog::bark 45'
    # one breakpoint stops at each overload in turn, as gdb's 1.1 and 1.2
    td_cdbg out run "$exe" --batch -ex 'break bark' -ex continue -ex continue -ex continue
    expect_status 0 "cdbg runs through bark's two overloads ($build)" || td_show "$out.err"
    grep -E '^Breakpoint 1, hit|^#0 ' "$out" | sed -E 's/0x[0-9a-f]+/ADDR/; s/, thread tid [0-9]+//' >"$TD_TMP/stops"
    expect_exact_str "$TD_TMP/stops" 'Breakpoint 1, hit 1 time
#0  ADDR in zoo::Dog::bark at values.cpp:45
Breakpoint 1, hit 2 times
#0  ADDR in zoo::Dog::bark at values.cpp:34'
done
td_finish
