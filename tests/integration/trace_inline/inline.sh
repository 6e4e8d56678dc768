#!/bin/bash
# cdbg trace --backend inline (a jump into a trampoline injected in the process; the hot loop of
# 100,000 calls is trace_calls_inline's): attach to a running program,
# trace, detach: its code is what it was, TracerPid 0 (at -O0; at -O2 its 4 bytes are refused); SIGKILL of cdbg while it traces: the program
# runs on through the patch (left in, harmless) and ends normally; `auto` gives a function the
# inline backend refuses to uprobe and says why; an explicit `--backend inline` refuses it with
# one line and status 1 (--ret: iret.sh).
. "$SRCROOT/tests/integration/lib.sh"

# code_hex PID ADDR N: N bytes at ADDR in PID's memory, in hex
code_hex() {
    python3 -c 'import sys
with open("/proc/%s/mem" % sys.argv[1], "rb") as f:
    f.seek(int(sys.argv[2], 16)); print(f.read(int(sys.argv[3])).hex())' "$1" "$2" "$3"
}
# consecutive FILE NAME FIRST COUNT: FILE's entries have NAME=FIRST, FIRST+1, ... COUNT of them
consecutive() {
    grep -oE "^> [a-z]+\\($2=[0-9]+" "$1" | sed 's/.*=//' |
        awk -v first="$3" -v n="$4" 'NR == 1 && $1 != first {bad = 1} NR > 1 && $1 != p + 1 {bad = 1} {p = $1} END {exit bad || NR != n}'
}

# attach: tick at -O2 is 4 bytes (lea, ret), shorter than the jump: refused, the program untouched
td_start trace_spin_O2 "$TD_TMP/stop_O2"
pid=$TD_PID
td_cdbg out trace --backend inline -p "$pid" '^tick$' --max-hits 5
expect_status 1 "tick at -O2"
expect_line '^cdbg: trace: tick: inline: tick: the function at 0x[0-9a-f]+ has 4 bytes of instructions, fewer than the 5 a patch needs$' "$out.err"
check_untraced "$pid"
touch "$TD_TMP/stop_O2"
wait "$pid"
TD_RC=$?
expect_status 0 "the -O2 program ended normally"

for v in O0; do
    td_start "trace_spin_$v" "$TD_TMP/stop_$v"
    pid=$TD_PID
    td_cdbg out trace -p "$pid" '^tick$' --list
    addr=$(awk '$1 == "tick" {print $NF}' "$out")
    orig=$(code_hex "$pid" "$addr" 16)
    [ ${#orig} = 32 ] && pass "tick's code read ($v)" || fail "tick's code: '$orig'"

    td_cdbg out trace --backend inline -p "$pid" '^tick$' --max-hits 50
    expect_status 0 "--max-hits 50 ($v)"
    expect_line '^cdbg: trace: 1 tracepoint in process [0-9]+: tick \(inline\)$' "$out.err"
    [ "$(grep -c '^> tick(i=' "$out")" = 50 ] && pass "50 entries ($v)" || fail "--max-hits 50: $(grep -c '^> tick' "$out") entries"
    first=$(grep -m1 -oE '^> tick\(i=[0-9]+' "$out" | sed 's/.*=//')
    consecutive "$out" i "${first:--1}" 50 && pass "consecutive i ($v)" || fail "tick's i not consecutive ($v)"
    check_untraced "$pid"
    [ "$(code_hex "$pid" "$addr" 16)" = "$orig" ] && pass "tick's code restored ($v)" ||
        fail "tick's code after detach: $(code_hex "$pid" "$addr" 16), was $orig"

    # SIGKILL while tracing: the jump stays, the trampoline records into a ring nobody reads
    "$CDBG" trace --backend inline -p "$pid" '^tick$' -o "$TD_TMP/kill_$v" 2>"$TD_TMP/kill_$v.err" &
    cpid=$!
    patched() { [ "$(code_hex "$pid" "$addr" 1)" = e9 ]; }
    traced() { grep -q '^> tick' "$TD_TMP/kill_$v" 2>/dev/null; }
    td_wait_for "the jump in tick's code" patched && pass "jump in while tracing ($v)"
    td_wait_for "an entry in the trace" traced && pass "entries while tracing ($v)"
    kill -KILL "$cpid"
    wait "$cpid" 2>/dev/null
    check_untraced "$pid"
    patched && pass "the patch left in after SIGKILL ($v)" || fail "tick's code after SIGKILL: $(code_hex "$pid" "$addr" 16)"
    touch "$TD_TMP/stop_$v"
    wait "$pid"
    TD_RC=$?
    expect_status 0 "the program ended normally after all that ($v)"
done

# A function the inline backend refuses: its loop jumps back to its first instruction (on an
# attached program; launched ones are trace_calls_inline's).
exe=$(td_bin inline_hot_O2)
mkfifo "$TD_TMP/in"
"$exe" 10 1 <"$TD_TMP/in" >"$TD_TMP/loopy.out" 2>&1 &
pid=$!
TD_PIDS+=("$pid")
exec 7>"$TD_TMP/in" # holds the fifo open: the program waits for its first byte
_ready() { grep -q ready "$TD_TMP/loopy.out" 2>/dev/null; }
td_wait_for "inline_hot to print ready" _ready
td_wait_main_asleep "$pid" inline_hot_O2
td_cdbg out trace -p "$pid" '^loopy$' --duration 0.2
expect_status 0 "auto: loopy"
expect_line '^cdbg: trace: loopy: inline: loopy: a branch at loopy\+0x2 lands inside the [0-9]+ patched bytes; the uprobe backend took it$' "$out.err"
expect_line '^cdbg: trace: 1 tracepoint in process [0-9]+: loopy \(uprobe\)$' "$out.err"
td_cdbg out trace --backend inline -p "$pid" '^loopy$' --duration 0.2
expect_status 1 "--backend inline: loopy"
expect_line '^cdbg: trace: loopy: inline: loopy: a branch at loopy\+0x2 lands inside the [0-9]+ patched bytes$' "$out.err"
[ "$(wc -l <"$out.err")" = 1 ] && pass "one line" || fail "more than one line: $(cat "$out.err")"
check_untraced "$pid"
exec 7>&-
td_finish
