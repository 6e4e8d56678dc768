#!/bin/bash
# Virtual base classes as gdb 13 prints them (issue 13): a diamond (geo::Left and geo::Right share
# one virtual geo::Base), whose shared base is printed once, inside the first side that has it, its
# place read through the object's vtable (the vbase offset DWARF's location expression reads);
# members of the virtual base (`d.id`, `rp->serial`, and `id` in a method of a class deriving from
# the diamond, through `this`); pointers to the object through each base; ptype of each. testdata/cxx/vbase.cpp, g++ and clang++, -O0 and
# -O2 (where gdb finds the objects: at -O2 the diamond lives in registers, and its virtual base has
# no address: `<invalid address>`, as gdb says). Every answer is compared with gdb's, addresses
# aside; the values the program holds are checked too, and `print --json` nests the bases as the
# text does (docs/json.md).
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for C++ values"

o0=('print d' 'print p' 'print d.id' 'print d.serial' 'print p.id' 'print *lp' 'print *rp' 'print *bp' 'print *dp'
    'print dp->serial' 'print rp->id' 'print lp->lx' 'print d.id + p.serial' 'print (long)&d.id - (long)&d'
    'print (long)&rp->id - (long)rp' 'ptype d' 'ptype geo::Left' 'ptype p' 'ptype geo::Base' 'print sizeof(d)'
    'whatis d.id' 'print d.id = 5' 'print d')
gcc_o2=('print p' 'print p.id' 'print p.serial' 'print *rp' 'print rp->id' 'print rp->serial' 'ptype d'
    'ptype geo::Left' 'ptype p' 'ptype geo::Base' 'print sizeof(d)')
in_probe=('print id' 'print serial' 'print this->id' 'print lx + extra' 'print *this' 'print this->serial' 'ptype this')
clang_o2=('print d' 'ptype d' 'ptype geo::Left' 'ptype geo::Base' 'print sizeof(d)')

answers() {
    grep -vE '^(#[0-9]|=>|[0-9]+[[:space:]]|Breakpoint|Stopped|Process|\[|Using|Run till|$)' "$1" |
        sed -E 's/0x[0-9a-f]+/ADDR/g'
}

for build in gcc_O0 clang_O0 gcc_O2 clang_O2; do
    exe=$(td_bin "cxx_vbase_$build") || { fail "cxx_vbase_$build is not built (clang++ missing?)"; continue; }
    case $build in
    *_O0) cmds=("${o0[@]}") ;;
    gcc_O2) cmds=("${gcc_o2[@]}") ;;
    clang_O2) cmds=("${clang_o2[@]}") ;;
    esac
    cex=(-ex 'break vb_stop' -ex continue -ex up) gex=(-ex 'break vb_stop' -ex run -ex up)
    for c in "${cmds[@]}"; do cex+=(-ex "$c"); gex+=(-ex "$c"); done
    td_cdbg out run "$exe" --batch "${cex[@]}"
    expect_status 0 "cdbg on the $build build" || td_show "$out.err"
    timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdb.$build" 2>&1
    answers "$out" >"$TD_TMP/mine.$build"
    answers "$TD_TMP/gdb.$build" >"$TD_TMP/theirs.$build"
    expect_exact "$TD_TMP/mine.$build" "$TD_TMP/theirs.$build"
    # what the program holds (vbase.cpp), whatever gdb says: the shared base once, in Left
    vp='_vptr[.$]'
    case $build in
    *_O0)
        # in a method of the class deriving from the diamond: the virtual base's members through
        # `this`, implicitly (C++ lookup) and explicitly
        cex=(-ex 'break vb_probe' -ex continue -ex up) gex=(-ex 'break vb_probe' -ex run -ex up)
        for c in "${in_probe[@]}"; do cex+=(-ex "$c"); gex+=(-ex "$c"); done
        td_cdbg out2 run "$exe" --batch "${cex[@]}"
        expect_status 0 "cdbg in geo::Plain::probe ($build)" || td_show "$out2.err"
        timeout 120 gdb -nx -batch "${gex[@]}" "$exe" >"$TD_TMP/gdbp.$build" 2>&1
        answers "$out2" >"$TD_TMP/minep.$build"
        answers "$TD_TMP/gdbp.$build" >"$TD_TMP/theirsp.$build"
        expect_exact "$TD_TMP/minep.$build" "$TD_TMP/theirsp.$build"
        grep -E '^\$[1-4] = ' "$out2" >"$TD_TMP/probe.$build"
        expect_exact_str "$TD_TMP/probe.$build" '$1 = 7
$2 = 4242
$3 = 7
$4 = 110'
        expect_line "^\\\$1 = \\{<geo::Left> = \\{<geo::Base> = \\{${vp}Base = 0x[0-9a-f]+ <vtable for geo::Diamond\\+[0-9]+>, id = 21, serial = 1001\\}, ${vp}Left = 0x[0-9a-f]+ <vtable for geo::Diamond\\+[0-9]+>, lx = 11\\}, <geo::Right> = \\{${vp}Right = 0x[0-9a-f]+ <vtable for geo::Diamond\\+[0-9]+>, ry = -12\\}, dz = 2.5\\}\$" "$out"
        for want in '^\$3 = 21$' '^\$4 = 1001$' '^\$5 = 7$' '^\$10 = 1001$' '^\$11 = 7$' '^\$13 = 4263$' '^\$17 = 5$'; do
            expect_line "$want" "$out"
        done
        expect_line "^\\\$7 = \\{<geo::Base> = \\{${vp}Base = 0x[0-9a-f]+ <vtable for geo::Plain\\+[0-9]+>, id = 7, serial = 4242\\}, ${vp}Right = .*, ry = -12\\}\$" "$out"
        expect_line "^\\\$18 = \\{<geo::Left> = \\{<geo::Base> = \\{.*, id = 5, serial = 1001\\}, " "$out"
        # the JSON value nests the bases as the text does
        td_cdbg out run "$exe" --batch --json -ex 'break vb_stop' -ex continue -ex up -ex 'print d' -ex 'print p'
        expect_status 0 "cdbg --json on the $build build" || td_show "$out.err"
        got=$(tail -n 2 "$out" | python3 -c '
import json, sys
for line in sys.stdin:
    v = json.loads(line)["value"]
    if "<geo::Diamond>" in v:
        print(v["extra"], end=" ")
        v = v["<geo::Diamond>"]
    base = v["<geo::Left>"]["<geo::Base>"]
    print(list(v), list(v["<geo::Left>"])[0], list(v["<geo::Right>"])[1:], base["id"], base["serial"], v["dz"])
')
        printf '%s\n' "$got" >"$TD_TMP/json.$build"
        expect_exact_str "$TD_TMP/json.$build" "['<geo::Left>', '<geo::Right>', 'dz'] <geo::Base> ['ry'] 21 1001 2.5
99 ['<geo::Left>', '<geo::Right>', 'dz'] <geo::Base> ['ry'] 7 4242 2.5"
        ;;
    gcc_O2)
        for want in '^\$2 = 7$' '^\$3 = 4242$' '^\$5 = 7$' '^\$6 = 4242$'; do
            expect_line "$want" "$out"
        done ;;
    clang_O2)
        expect_line '^\$1 = \{<geo::Left> = \{<geo::Base> = <invalid address>, .*<geo::Right> = \{_vptr\$Right = <optimized out>, ry = -12\}, dz = 2.5\}$' "$out" ;;
    esac
done
td_finish
