#!/bin/bash
# Tail-call frames (issue 13/14): testdata/tail by gcc -O2 and clang -O2. gdb rebuilds the frames
# of functions that ended in a jump from DWARF call sites (relay between wait_byte and main with
# gcc; ___pthread_join and the futex wait in glibc's pthread_join), and none where two paths lead to
# the callee (pick -> via_a or via_b -> blocker). `bt all` live and on a core, and `cdbg stacks`,
# must show exactly gdb's frames, function, pc and line.
. "$(dirname "$0")/../lib.sh"
need_tool gdb "comparing the frames with gdb's"
need_tool python3 "parsing backtraces"
TC=$SRCROOT/tests/integration/stacks/tailcall.py

# all three threads asleep in their system calls (read, read, futex)
three_asleep() {
    [ "$(td_sleepers "$1" | wc -l)" -eq 3 ]
}

compare() { # WHAT CDBG_OUT GDB_OUT
    if python3 "$TC" "$2" "$3" >"$TD_TMP/cmp" 2>&1; then
        pass "$1: the frames gdb shows"
    else
        fail "$1: frames differ from gdb's: $(cat "$TD_TMP/cmp")"
        td_show "$3"
    fi
}

for comp in gcc clang; do
    exe=$(td_bin "tail_$comp" 2>/dev/null) || {
        [ "$comp" = clang ] && ! command -v clang >/dev/null && { skip "clang is not installed"; continue; }
        fail "no tail_$comp"
        continue
    }
    td_start "tail_$comp"
    pid=$TD_PID
    td_wait_for "the three threads of tail_$comp to sleep" three_asleep "$pid" || { fail "$comp: not asleep"; continue; }
    td_sleepers "$pid" >"$TD_TMP/sleepers.$pid"

    td_cdbg st stacks "$pid"
    expect_status 0 "stacks $comp"
    td_cdbg bt attach "$pid" --batch -ex 'bt all'
    expect_status 0 "bt all $comp"
    td_asleep "$pid"
    gdbout=$TD_TMP/gdb.$comp
    timeout -k 5 120 gdb -nx -batch -p "$pid" -ex 'thread apply all bt' -ex "gcore $TD_TMP/core.$comp" >"$gdbout" 2>&1 </dev/null
    td_asleep "$pid"
    compare "$comp live bt all" "$bt" "$gdbout"
    compare "$comp cdbg stacks" "$st" "$gdbout"

    # what gdb shows, named: so that a gdb that stopped rebuilding them would not pass unnoticed
    if [ "$comp" = gcc ]; then
        expect_line '^#[0-9]+ +0x[0-9a-f]+ in relay at .*tail\.c:[0-9]+$' "$bt"
    else
        expect_no_line ' in relay ' "$bt"
    fi
    expect_line '^#[0-9]+ +0x[0-9a-f]+ in ___pthread_join at .*pthread_join\.c:[0-9]+$' "$bt"
    expect_no_line ' in via_[ab] ' "$bt"

    # the core: the same frames, from the same DWARF, with no process to read
    if [ -s "$TD_TMP/core.$comp" ]; then
        td_cdbg cb core "$exe" "$TD_TMP/core.$comp" --batch -ex 'bt all'
        expect_status 0 "core bt all $comp"
        timeout -k 5 120 gdb -nx -batch "$exe" "$TD_TMP/core.$comp" -ex 'thread apply all bt' >"$gdbout.core" 2>&1 </dev/null
        compare "$comp core bt all" "$cb" "$gdbout.core"
    else
        fail "$comp: gdb wrote no core: $(tail -3 "$gdbout")"
    fi
    td_stop "$pid"
done
td_finish
