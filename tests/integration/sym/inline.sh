#!/bin/bash
# Inlined frames and breakpoint locations of C++ functions in g++ -O0/-O2 code (testdata/sym/c1.cpp),
# against gdb 13 on the same binary: a stop on a line of Consumer's constructor, which -O2 inlines
# into main five levels deep (_Alloc_hider in basic_string in Worker::Worker in Consumer::Consumer),
# shows every inlined frame; `break` on a constructor, a qualified constructor, a destructor (its
# C1/D1/D2 clones and inlined copies) and one overload by its parameter list sets the locations gdb
# sets (offsets from _start compared: cdbg cannot print &main of -O2 main yet).
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for inlined frames and breakpoint locations"
src=$SRCROOT/testdata/sym/c1.cpp
cline=$(grep -n 'Consumer(int &r, const std::string &s)' "$src" | cut -d: -f1)

# "#3  shop::core::Consumer::Consumer (s=..., this=0x...) at ../c1.cpp:32" and cdbg's
# "#3  (inlined)  in shop::core::Consumer::Consumer at c1.cpp:32" -> "shop::core::Consumer::Consumer
# c1.cpp:32"; template arguments dropped (gdb spells basic_string<std::allocator<char> >, cdbg <>).
frames() {
    grep -E '^#[0-9]+ ' "$1" | sed -E -e 's/^#[0-9]+ +(0x[0-9a-f]+ +in +|\(inlined\) +in +)?//' \
        -e ':t' -e 's/<[^<>]*>//g' -e 't t' -e 's/ \(.*\) at / at /' -e 's/ \(\)$//' \
        -e 's/^([^ ]+) at .*[ /]([^ /]+:[0-9]+)$/\1 \2/' -e 's/^([^ ]+) .*/\1 -/' |
        awk '{print} $1 == "main" {exit}'
}

for v in O0 O2; do
    exe=$(td_bin "sym_c1_$v")
    # a stop on the constructor's line
    timeout 120 gdb -nx -batch -ex "break c1.cpp:$cline" -ex run -ex bt "$exe" >"$TD_TMP/gdb.out" 2>&1
    frames "$TD_TMP/gdb.out" >"$TD_TMP/gdb.frames"
    grep -q '^main ' "$TD_TMP/gdb.frames" && pass "gdb stopped at c1.cpp:$cline ($v)" ||
        { fail "gdb did not stop at c1.cpp:$cline ($v)"; td_show "$TD_TMP/gdb.out"; }
    td_cdbg out run "$exe" --batch -ex "break c1.cpp:$cline" -ex continue -ex bt
    expect_status 0 "break c1.cpp:$cline, bt ($v)"
    sed -n '/^Breakpoint 1, /,$p' "$out" | sed -n '/^=> /,$p' >"$TD_TMP/cdbg.bt"
    frames "$TD_TMP/cdbg.bt" >"$TD_TMP/cdbg.frames"
    expect_exact "$TD_TMP/cdbg.frames" "$TD_TMP/gdb.frames"
    if [ "$v" = O2 ]; then
        [ "$(wc -l <"$TD_TMP/gdb.frames")" -ge 4 ] && pass "the constructor is inlined at -O2" ||
            fail "gdb shows no inlined frames at -O2: c1.cpp is not inlined as the test expects"
    fi

    # breakpoint locations by name
    for spec in Consumer shop::core::Consumer::Consumer shop::core::Worker::~Worker Worker::run \
        'shop::core::Consumer::overload(double)' 'Consumer::overload(int)'; do
        timeout 120 gdb -nx -batch -ex "break $spec" -ex 'info breakpoints' -ex 'print/x (long)&_start' "$exe" \
            >"$TD_TMP/gdb.out" 2>&1
        gmain=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
        grep -E '^[0-9.]+ +(breakpoint +keep +)?y +0x[0-9a-f]+ in ' "$TD_TMP/gdb.out" | grep -oE '0x[0-9a-f]+' |
            while read -r a; do printf '%d\n' $((a - gmain)); done | sort -n >"$TD_TMP/gdb_offs"
        td_cdbg out run "$exe" --batch -ex "break $spec" -ex breakpoints -ex 'print/x (long)&_start'
        cmain=$(sed -n 's/^\$1 = //p' "$out")
        sed -n 's/^    \([0-9]*\.[0-9]* \)\{0,1\}\(0x[0-9a-f]*\) in .*/\2/p' "$out" |
            while read -r a; do printf '%d\n' $((a - cmain)); done | sort -n >"$TD_TMP/cdbg_offs"
        if [ -s "$TD_TMP/gdb_offs" ]; then
            expect_status 0 "break $spec ($v)"
        else
            expect_status 1 "break $spec: no such function, as gdb says ($v)"
        fi
        expect_exact "$TD_TMP/cdbg_offs" "$TD_TMP/gdb_offs"
    done
done
td_finish
