#!/bin/bash
# Functions that gcc -O2 emits only as clones (testdata/clone/clone.c: leaf.constprop.0,
# isr.constprop.0.isra.0, part.part.0 plus inlined copies of part's head), found by their source
# names as gdb 13 finds them: `break`/`tbreak` set the locations gdb sets (offsets from _start, as
# the run's addresses are randomised and gdb's are not) and stop where gdb stops; `print &NAME`,
# `info line NAME`, `list NAME` say what gdb says; `print &pthread_create` (libc's versioned alias
# pthread_create@@GLIBC_2.34 of __pthread_create_2_1) has gdb's type and name; `cdbg trace '^leaf$'`
# traces the clone. -O0 (no clones) is the baseline the same checks must keep.
. "$SRCROOT/tests/integration/lib.sh"
need_tool gdb "the reference for breakpoint locations and symbols"
need_tool nm "to check that gcc emitted only clones"
src=$SRCROOT/testdata/clone/clone.c

# 0x5555...180 -> offset from _start, so that the run's addresses compare with gdb's
offs() { # FILE START
    grep -oE '0x[0-9a-f]+' "$1" | while read -r a; do printf '%d\n' $((a - $2)); done
}

for v in O0 O2; do
    exe=$(td_bin "clone_$v")
    if [ "$v" = O2 ]; then
        nm "$exe" >"$TD_TMP/nm"
        for f in leaf isr part; do
            if grep -Eq " t $f\$" "$TD_TMP/nm" || ! grep -Eq " t $f\.(constprop|isra|part)\." "$TD_TMP/nm"; then
                fail "gcc -O2 did not emit $f as clones only: the test no longer tests clones"
                grep -E " $f" "$TD_TMP/nm" >&2
            else
                pass "$f exists only as clones at -O2"
            fi
        done
    fi

    # breakpoint locations by name: gdb's, as offsets from _start
    for cmd in 'break leaf' 'break isr' 'break part' 'tbreak leaf'; do
        timeout 120 gdb -nx -batch -ex "$cmd" -ex 'info breakpoints' -ex 'print/x (long)&_start' "$exe" \
            >"$TD_TMP/gdb.out" 2>&1
        gs=$(sed -n 's/^\$1 = //p' "$TD_TMP/gdb.out")
        grep -E '^[0-9.]+ +((breakpoint|bpt) +(keep|del) +)?y +0x[0-9a-f]+ in ' "$TD_TMP/gdb.out" |
            sed -E 's/ in .*//' >"$TD_TMP/gdb.locs"
        offs "$TD_TMP/gdb.locs" "$gs" | sort -n >"$TD_TMP/gdb_offs"
        td_cdbg out run "$exe" --batch -ex "$cmd" -ex breakpoints -ex 'print/x (long)&_start'
        expect_status 0 "$cmd ($v)"
        cs=$(sed -n 's/^\$1 = //p' "$out")
        sed -n 's/^    \([0-9]*\.[0-9]* \)\{0,1\}\(0x[0-9a-f]*\) in .*/\2/p' "$out" >"$TD_TMP/cdbg.locs"
        offs "$TD_TMP/cdbg.locs" "$cs" | sort -n >"$TD_TMP/cdbg_offs"
        [ -s "$TD_TMP/gdb_offs" ] || { fail "gdb set no location for $cmd ($v)"; td_show "$TD_TMP/gdb.out"; }
        expect_exact "$TD_TMP/cdbg_offs" "$TD_TMP/gdb_offs"
    done
    [ "$v" = O2 ] && { [ "$(wc -l <"$TD_TMP/cdbg_offs")" -ge 1 ] || fail "no location for tbreak leaf"; }

    # where the first stop at leaf is: function, line and pc as gdb
    timeout 120 gdb -nx -batch -ex 'break leaf' -ex run -ex 'print/x (long)$pc - (long)&_start' \
        -ex 'info line *$pc' "$exe" >"$TD_TMP/gdb.out" 2>&1
    sed -n -e 's/^\$1 = //p' -e 's/^Line \([0-9]*\) of "[^"]*clone.c" .*/line \1/p' "$TD_TMP/gdb.out" >"$TD_TMP/gdb.stop"
    grep -q '^Breakpoint 1, leaf ' "$TD_TMP/gdb.out" && pass "gdb stopped in leaf ($v)" ||
        { fail "gdb did not stop in leaf ($v)"; td_show "$TD_TMP/gdb.out"; }
    td_cdbg out run "$exe" --batch -ex 'break leaf' -ex continue -ex 'print/x (long)$pc - (long)&_start' \
        -ex 'info line *$pc'
    expect_status 0 "break leaf, continue ($v)"
    expect_line '^#0  0x[0-9a-f]+ in leaf at clone.c:[0-9]+$' "$out"
    sed -n -e 's/^\$1 = //p' -e 's/^Line \([0-9]*\) of "[^"]*clone.c" .*/line \1/p' "$out" >"$TD_TMP/cdbg.stop"
    expect_exact "$TD_TMP/cdbg.stop" "$TD_TMP/gdb.stop"

    # print &NAME, print NAME, info line NAME, print &pthread_create: gdb's text, the address as an
    # offset from _start for the program's functions and as A for libc's
    cmds=('print &leaf' 'print leaf' 'print &isr' 'info line leaf' 'print &pthread_create' 'print/x (long)&_start')
    gargs=() cargs=()
    for c in "${cmds[@]}"; do gargs+=(-ex "$c"); cargs+=(-ex "$c"); done
    timeout 120 gdb -nx -batch -ex 'break main' -ex run "${gargs[@]}" "$exe" >"$TD_TMP/gdb.out" 2>&1
    td_cdbg out run "$exe" --batch "${cargs[@]}"
    expect_status 0 "print &leaf, print leaf, print &isr, info line leaf, print &pthread_create ($v)"
    norm() { # FILE: the answers, addresses in the program as +OFFSET, in libc as A
        local s
        s=$(sed -n 's/^\$5 = //p' "$1")
        grep -E '^(\$[1-4] = |Line )' "$1" | sed -E 's/^\$[0-9]+ = //; s/of "[^"]*clone.c"/of "clone.c"/' |
            while IFS= read -r l; do
                while [[ $l =~ 0x([0-9a-f]+) ]]; do
                    a=$((16#${BASH_REMATCH[1]}))
                    if ((a >= s && a - s < 0x100000)); then r="+$((a - s))"; else r=A; fi
                    l=${l/${BASH_REMATCH[0]}/$r}
                done
                printf '%s\n' "$l"
            done
    }
    norm "$TD_TMP/gdb.out" >"$TD_TMP/gdb.prints"
    norm "$out" >"$TD_TMP/cdbg.prints"
    [ "$(wc -l <"$TD_TMP/gdb.prints")" -eq 5 ] && pass "gdb answered the five ($v)" ||
        { fail "gdb did not answer the five ($v)"; td_show "$TD_TMP/gdb.out"; }
    expect_exact "$TD_TMP/cdbg.prints" "$TD_TMP/gdb.prints"

    # list NAME: the lines gdb lists around the function
    timeout 120 gdb -nx -batch -ex 'list leaf' "$exe" 2>&1 | sed -n 's/^\([0-9][0-9]*\)\t.*/\1/p' >"$TD_TMP/gdb.list"
    td_cdbg out run "$exe" --batch -ex 'list leaf'
    expect_status 0 "list leaf ($v)"
    sed -n 's/^ *\([0-9][0-9]*\)  .*/\1/p' "$out" >"$TD_TMP/cdbg.list"
    [ -s "$TD_TMP/gdb.list" ] || fail "gdb listed nothing for leaf ($v)"
    expect_exact "$TD_TMP/cdbg.list" "$TD_TMP/gdb.list"

    # trace by the source name: both calls of leaf
    td_cdbg out trace '^leaf$' -- "$exe"
    expect_status 0 "cdbg trace '^leaf\$' ($v)"
    [ "$(grep -cE '^> leaf(\.constprop\.0)?\(x=[23], scale=3\) clone\.c:[0-9]+ ' "$out")" -eq 2 ] &&
        pass "trace '^leaf\$' logged both calls ($v)" || { fail "trace '^leaf\$' ($v)"; td_show "$out"; }
done
td_finish
