#!/bin/bash
# A fast breakpoint (an ignore count: a 5-byte jmp to a stub) must never cover bytes that some
# branch of the function lands inside (issue 11). cold.c at gcc -O2 moves work()'s unlikely path to
# work.cold, whose `jmp work+N` comes back into work's middle: a jmp patched over the instruction
# before work+N made the program die of SIGILL. The check now scans every piece of the function
# (DW_AT_ranges, work.cold); a branch from inside work (clang -O2) was caught before and still is.
# For each compiler: the breakpoint on the instruction before such a landing address, ignored more
# times than work runs: the program's output and exit status are its own; ignored 4 times: the
# stop is hit 5 at that address (the int3 the patch fell back to counts right), and the program
# still ends as alone.
. "$SRCROOT/tests/integration/lib.sh"
need_tool objdump "to find the landing addresses in the binary"

for cc in gcc clang; do
    exe=$TESTDATA/ctl/ctl_cold_$cc
    if [ ! -x "$exe" ]; then
        [ "$cc" = clang ] && need_tool clang "the clang -O2 build"
        fail "no $exe"
        continue
    fi
    # every landing address T in work (a direct branch's target, from work.cold first) whose
    # previous instruction A is shorter than 5 bytes: a patch at A covers T
    dis=$(objdump -d --no-show-raw-insn "$exe")
    wbase=$(nm "$exe" | awk '$3 == "work" { print $1 }')
    insns=$(awk '/^[0-9a-f]+ <work>:$/ { f = 1; next } f && /^$/ { exit } f { sub(":", "", $1); print $1 }' <<<"$dis")
    targets=$(awk '/^[0-9a-f]+ <work[.]cold>:$/ { c = 1 } /^[0-9a-f]+ <work>:$/ { c = 0 }
        /<work[+]0x[0-9a-f]+>/ { match($0, /[0-9a-f]+ <work[+]/); t = substr($0, RSTART, RLENGTH); sub(/ .*/, "", t)
            print (c ? 0 : 1), t }' <<<"$dis" | sort -k1,1n -s | awk '{ print $2 }')
    A=
    for t in $targets; do
        prev=
        for a in $insns; do
            if [ "$((16#$a))" -eq "$((16#$t))" ]; then
                [ -n "$prev" ] && [ $((16#$t - 16#$prev)) -lt 5 ] && A=$prev
                break
            fi
            prev=$a
        done
        [ -n "$A" ] && { T=$t; break; }
    done
    [ -n "$A" ] || { fail "$cc: no landing address in work behind a short instruction"; continue; }
    # where `tbreak work` stops, as work+N: the breakpoint is then $pc + (A - work - N)
    td_cdbg out run "$exe" --batch -ex 'tbreak work' -ex continue -ex 'print $pc'
    n=$(sed -n 's/^\$1 = .* <work\(+[0-9]*\)\?>$/0\1/p' "$out")
    [ -n "$n" ] || { fail "$cc: where tbreak work stops"; td_show "$out"; continue; }
    n=$((n))
    d=$((16#$A - 16#$wbase - ${n:-0}))
    "$exe" >"$TD_TMP/alone.out" 2>&1
    want_rc=$?
    td_cdbg out run "$exe" --batch -ex 'tbreak work' -ex continue -ex "break *(\$pc + $d)" -ex 'ignore 2 100000' \
        -ex continue
    sed -n '/^slow\|^s=/p' "$out" >"$TD_TMP/got.out"
    if [ "$TD_RC" -eq 0 ] && grep -q "exited with status $want_rc" "$out" && cmp -s "$TD_TMP/alone.out" "$TD_TMP/got.out" &&
        ! grep -q SIGILL "$out"; then
        pass "$cc: breakpoint at work+0x$(printf %x $((16#$A - 16#$wbase))) (work+0x$(printf %x $((16#$T - 16#$wbase))) lands inside), ignored: the program's own output and status"
    else
        fail "$cc: ignored breakpoint at 0x$A changed the program (status $TD_RC)"
        td_show "$out"
    fi
    td_cdbg out run "$exe" --batch -ex 'tbreak work' -ex continue -ex "break *(\$pc + $d)" -ex 'ignore 2 4' \
        -ex continue -ex 'ignore 2 100000' -ex continue
    sed -n '/^slow\|^s=/p' "$out" >"$TD_TMP/got.out"
    expect_lines "$out" '^Breakpoint 2, hit 5 times, thread tid [0-9]+$'
    at=$(sed -n 's/^Breakpoint 2 at \(0x[0-9a-f]*\): .*/\1/p' "$out")
    [ -n "$at" ] && [ $((at & 0xfff)) -eq $((16#$A & 0xfff)) ] && expect_line "^#0  0x0*${at#0x} in work " "$out" ||
        { fail "$cc: breakpoint 2 is not at 0x$A (the page offset differs)"; td_show "$out"; }
    [ "$TD_RC" -eq 0 ] && grep -q "exited with status $want_rc" "$out" && cmp -s "$TD_TMP/alone.out" "$TD_TMP/got.out" &&
        pass "$cc: the stop at hit 5, then the program's own output and status" ||
        { fail "$cc: after the stop at hit 5"; td_show "$out"; }
    # tracepoints on every line of work, inline where the check lets them (else uprobes): the
    # program's output and status are its own; at
    # gcc's work.cold the branch from work into it (another piece) is seen and the probe refused
    : >"$TD_TMP/refusals"
    for line in $(seq 5 15); do
        td_cdbg out trace --backend auto "cold.c:$line" -- "$exe"
        grep -v '^[<>]' "$out" | sed -n '/^slow\|^s=/p' >"$TD_TMP/got.out"
        cat "$out.err" >>"$TD_TMP/refusals"
        [ "$TD_RC" -eq "$want_rc" ] && cmp -s "$TD_TMP/alone.out" "$TD_TMP/got.out" && ! grep -q SIGILL "$out" "$out.err" ||
            { fail "$cc: inline trace of cold.c:$line changed the program (status $TD_RC)"; td_show "$out.err"; }
    done
    pass "$cc: inline tracepoints on cold.c:5-15: the program's own output and status"
    if [ "$cc" = gcc ]; then
        expect_line '^cdbg: trace: work[.]cold: inline: work[.]cold: a branch at 0x[0-9a-f]+ [(]in another piece of work[.]cold[)] lands inside' "$TD_TMP/refusals"
    fi
done
td_finish
