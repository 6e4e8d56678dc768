#!/bin/bash
# C++ values as gdb 13 prints them (issue 13): objects with base classes (`{<zoo::Animal> = {...},
# ...}`), members of bases through `this->` and implicitly, references (`(int &) @0x...: 5`, and
# as operands: `ref * 2`, `set var ref = 6`), static members (`static count = 3`), `ns::name` and
# `Class::member` in expressions, enum classes (`zoo::Color::Blue`), and ptype of classes with
# bases, access labels, static members, methods and references. testdata/cxx/values.cpp is built
# by g++ and by clang++; each is stopped in zoo_stop() (called from zoo::Dog::bark) by cdbg and by
# gdb, and every answer is compared, addresses aside (two runs); the addresses are checked against
# each other within cdbg's run instead.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for C++ values"

in_bark=('print *this' 'print legs' 'print this->legs' 'print name' 'print tag' 'print ref' 'print lref'
    'print lref + 1' 'print ref * 2' 'print sizeof(ref)' 'whatis ref' 'whatis lref' 'whatis *this' 'print c'
    'print color' 'print plain' 'print (int)color' 'print color == zoo::Color::Blue'
    'print zoo::answer' 'print zoo::Dog::registry' 'print Dog::registry' 'print zoo::Animal::count'
    'print count' 'print ::zoo::answer' 'print zoo::Color::Green' 'print (int)zoo::Color::Blue' 'print zoo::P1'
    'ptype this' 'ptype *this' 'ptype ref' 'ptype zoo::Color' 'ptype zoo::Plain' 'ptype zoo::Animal'
    'ptype zoo::Named' 'whatis zoo::Dog' 'print sizeof(zoo::Dog)' 'set var ref = 6' 'print ref')
in_main=('print d' 'print dref' 'print *ap' 'print ap' 'print dref.legs' 'print d.ref' 'print target'
    'whatis dref' 'print &dref' 'print (long)&d.ref - (long)&target' 'print (long)&dref - (long)&d'
    'print dref.color' 'print ap->legs')

# answers FILE: what the commands printed, without the stop and frame lines both debuggers print
# differently (and say elsewhere), addresses as ADDR.
answers() {
    grep -vE '^(#[0-9]|=>|[0-9]+[[:space:]]|Breakpoint|Stopped|Process|\[|Using|Run till|$)' "$1" |
        sed -E 's/0x[0-9a-f]+/ADDR/g'
}

for build in gcc clang; do
    exe=$(td_bin "cxx_values_$build") || { fail "cxx_values_$build is not built (clang++ missing?)"; continue; }
    cex=(-ex 'break zoo_stop' -ex continue -ex up) gex=(-ex 'break zoo_stop' -ex run -ex up)
    for c in "${in_bark[@]}"; do cex+=(-ex "$c"); gex+=(-ex "$c"); done
    cex+=(-ex up) gex+=(-ex up)
    for c in "${in_main[@]}"; do cex+=(-ex "$c"); gex+=(-ex "$c"); done
    td_cdbg out run "$exe" --batch "${cex[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    answers "$out" >"$TD_TMP/mine.$build"
    answers "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    # what the program holds (values.cpp), whatever gdb says
    expect_line '^\$1 = \{<zoo::Animal> = \{legs = 4, static count = 3\}, <zoo::Named> = \{name = 0x[0-9a-f]+ "rex", tag = -2\}, ref = @0x[0-9a-f]+, color = zoo::Color::Blue, plain = zoo::P1, weight = 12.5, static registry = -77\}$' "$out"
    expect_line '^\$[0-9]+ = \(int &\) @0x[0-9a-f]+: 5$' "$out"
    expect_line '^\$[0-9]+ = 10$' "$out"                      # ref * 2
    expect_line '^\$[0-9]+ = \(int &\) @0x[0-9a-f]+: 6$' "$out" # after set var ref = 6
    expect_line '^type = class zoo::Dog : public zoo::Animal, public zoo::Named \{$' "$out"
    expect_line '^    int bark\(int, const int &\);$' "$out"
    # the addresses of one run agree: a reference member is the object it was bound to, and &dref is &d
    grep -E '^\$[0-9]+ = ' "$out" | tail -n 4 | head -n 2 | sed 's/^\$[0-9]* = //' >"$TD_TMP/diffs.$build"
    expect_exact_str "$TD_TMP/diffs.$build" '0
0'
    ref_at=$(sed -nE 's/^\$[0-9]+ = \(int &\) @(0x[0-9a-f]+): 6$/\1/p' "$out" | tail -n 1)
    dref_at=$(sed -nE 's/^\$[0-9]+ = \(zoo::Dog &\) @(0x[0-9a-f]+): .*/\1/p' "$out")
    [ -n "$ref_at" ] && grep -qE "ref = @$ref_at, " "$out" && pass "ref member at the referent ($ref_at)" ||
        fail "the reference member does not point where ref does ($ref_at)"
    [ -n "$dref_at" ] && grep -qE "^\\\$[0-9]+ = \\(zoo::Dog \\*\\) $dref_at\$" "$out" && pass "&dref is the object ($dref_at)" ||
        fail "&dref is not the address dref shows ($dref_at)"
done
td_finish
