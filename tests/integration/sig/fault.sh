#!/bin/bash
# Faults the CPU raises, reported as gdb reports them: the signal in gdb's words, the fault address
# from the siginfo, the faulting thread selected with its frame and source line. `continue` then
# delivers the signal and the program dies of it; `handle SIGSEGV nopass` drops it, so the
# instruction faults again. The thread and the address are checked against the program's own
# report (segv, bus) or against gdb's $_siginfo (fpe, ill: an address in the code, compared as an
# offset from its function, the load addresses differing between the two runs).
. "$SRCROOT/tests/integration/lib.sh"
. "$SRCROOT/tests/integration/session/session_lib.sh"
need_tool gdb "the fault addresses gdb reads from \$_siginfo"
src=$SRCROOT/testdata/sig/fault.c
exe=$(td_bin sig_fault)

# --- SIGSEGV in a second thread --------------------------------------------------------------------
td_cdbg out run "$exe" segv --batch -ex continue -ex thread -ex continue
expect_status 0 "segv"
read -r ftid faddr < <(sed -nE 's/^fault tid ([0-9]+) addr (0x[0-9a-f]+)$/\1 \2/p' "$out")
pid=$(sed -nE 's/^Process ([0-9]+) was killed.*/\1/p' "$out")
[ -n "$ftid" ] && [ -n "$faddr" ] && [ "$ftid" != "$pid" ] && pass "the program names a second thread" ||
    fail "no 'fault tid T addr A' of a second thread in the program's output (tid '$ftid', pid '$pid')"
poke=$(marker "$src" poke)
expect_lines "$out" \
    "^Thread tid $ftid received signal SIGSEGV, Segmentation fault\\.\$" \
    "^Fault address $faddr \\(SEGV_MAPERR: address not mapped to object\\)\\.\$" \
    "^#0  0x[0-9a-f]{16} in poke at fault\\.c:$poke\$" \
    "^=> $poke +\\*p = v; /\\* @poke \\*/\$"
# the faulting thread is the selected one
expect_line "^\\[Current thread is [0-9]+ \\(tid $ftid, " "$out"
[ "$(tail -n 1 "$out")" = "Process $pid was killed by signal 11 (Segmentation fault)" ] &&
    pass "continue delivers SIGSEGV" || fail "after continue: $(tail -n 1 "$out")"

td_cdbg out --json run "$exe" segv --batch -ex continue -ex continue
expect_status 0 "segv (JSON)"
read -r ftid faddr < <(sed -nE 's/^fault tid ([0-9]+) addr (0x[0-9a-f]+)$/\1 \2/p' "$out")
json_check "segv stop (JSON)" <(grep '^{' "$out") '
tid, addr = int(A[0]), A[1]
s = [o for o in L if o.get("event") == "signal"]
assert len(s) == 1, s
s = s[0]
assert s["tid"] == tid and s["signal"] == "SEGV", s
assert s["siginfo"] == {"number": 11, "name": "SIGSEGV", "description": "Segmentation fault", "code": 1,
                        "code_name": "SEGV_MAPERR", "fault_address": addr}, s["siginfo"]
assert s["frame"]["function"] == "poke" and s["frame"]["line"] == int(A[2]), s["frame"]
assert L[-1] == {"command": "continue", "event": "killed", "signal": 11}, L[-1]' "$ftid" "$faddr" "$poke"

# --- handle SIGSEGV nopass: the signal is dropped, the same store faults again ---------------------
td_cdbg out run "$exe" segv --batch -ex 'handle SIGSEGV nopass' -ex continue -ex continue -ex kill
expect_status 0 "segv nopass"
read -r ftid faddr < <(sed -nE 's/^fault tid ([0-9]+) addr (0x[0-9a-f]+)$/\1 \2/p' "$out")
n=$(grep -c "^Thread tid $ftid received signal SIGSEGV, Segmentation fault\\.\$" "$out")
[ "$n" = 2 ] && pass "nopass: the fault comes again" || fail "nopass: $n SIGSEGV stops, expected 2"
[ "$(grep -c "^Fault address $faddr " "$out")" = 2 ] && pass "nopass: same address" ||
    fail "nopass: the fault addresses differ from $faddr"
expect_no_line '^Process [0-9]+ was killed by signal 11' "$out"
expect_line '^SIGSEGV +Yes	Yes	No		Segmentation fault$' "$out"

# --- SIGFPE and SIGILL: the address of the faulting instruction, as gdb reads it -------------------
# gdb_offset CASE FUNC: si_addr - &FUNC under gdb
gdb_offset() {
    gdb -nx -batch -ex run -ex "print (long)\$_siginfo._sifields._sigfault.si_addr - (long)&$2" \
        -ex 'print $_siginfo.si_code' --args "$exe" "$1" 2>/dev/null | sed -nE 's/^\$[0-9]+ = (-?[0-9]+)$/\1/p'
}
for c in "fpe divide SIGFPE 'Arithmetic exception' FPE_INTDIV 1 'integer divide by zero' divide" \
         "ill main SIGILL 'Illegal instruction' ILL_ILLOPN 2 'illegal operand' ud2"; do
    eval "set -- $c"
    case=$1 func=$2 sig=$3 desc=$4 code=$5 codenum=$6 what=$7 mark=$8
    g=$(gdb_offset "$case" "$func" | tr '\n' ' ')
    read -r goff gcode <<<"$g"
    td_cdbg out run "$exe" "$case" --batch -ex continue -ex "print (long)&$func" -ex continue
    expect_status 0 "$case"
    ftid=$(sed -nE 's/^fault tid ([0-9]+)$/\1/p' "$out")
    line=$(marker "$src" "$mark")
    expect_lines "$out" \
        "^Thread tid $ftid received signal $sig, $desc\\.\$" \
        "^Fault address 0x[0-9a-f]+ \\($code: $what\\)\\.\$" \
        "^#0  0x[0-9a-f]{16} in $func at fault\\.c:$line\$"
    addr=$(sed -nE 's/^Fault address (0x[0-9a-f]+) .*/\1/p' "$out")
    fn=$(sed -nE 's/^\$1 = ([0-9]+)$/\1/p' "$out")
    if [ -n "$addr" ] && [ -n "$fn" ] && [ -n "$goff" ] && [ "$((addr - fn))" = "$goff" ]; then
        pass "$case: fault address $func+$goff, as gdb's"
    else
        fail "$case: fault address $addr, $func at $fn: offset $((${addr:-0} - ${fn:-0})); gdb's offset '$goff'"
    fi
    [ "$gcode" = "$codenum" ] && pass "$case: gdb's si_code is $code too" || fail "$case: gdb's si_code '$gcode', not $code"
    expect_line "^Process [0-9]+ was killed by signal $(kill -l "$sig" 2>/dev/null || echo x) " "$out"
done

# --- SIGBUS: a read past the end of a file mapping -------------------------------------------------
td_cdbg out run "$exe" bus --batch -ex continue -ex continue
expect_status 0 "bus"
read -r ftid faddr < <(sed -nE 's/^fault tid ([0-9]+) addr (0x[0-9a-f]+)$/\1 \2/p' "$out")
expect_lines "$out" \
    "^Thread tid $ftid received signal SIGBUS, Bus error\\.\$" \
    "^Fault address $faddr \\(BUS_ADRERR: nonexistent physical address\\)\\.\$" \
    "^#0  0x[0-9a-f]{16} in main at fault\\.c:$(marker "$src" bus)\$"
expect_line '^Process [0-9]+ was killed by signal 7 \(Bus error\)$' "$out"
td_finish
