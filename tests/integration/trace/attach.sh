#!/bin/bash
# cdbg trace -p: attach to a running program, trace, and leave it as it was: --max-hits and
# --duration end the trace with exit status 0, the program runs on, untraced (TracerPid 0), its code
# without the probe's int3 (checked through /proc/PID/mem, where the kernel's uprobe shows while it
# is in); SIGKILL of cdbg while it traces leaves the program running and un-probed; a process
# already traced by another tracer is refused with status 4, untouched.
. "$SRCROOT/tests/integration/lib.sh"

# code_byte PID ADDR: the byte at ADDR in PID's memory, as two hex digits
code_byte() {
    python3 -c 'import sys
with open("/proc/%s/mem" % sys.argv[1], "rb") as f:
    f.seek(int(sys.argv[2], 16)); print(f.read(1).hex())' "$1" "$2"
}

for v in O0 O2; do
    td_start trace_spin_O2 "$TD_TMP/stop_$v"
    pid=$TD_PID
    td_cdbg out trace -p "$pid" '^tick$' --list
    expect_status 0 "--list ($v)"
    addr=$(awk '$1 == "tick" {print $NF}' "$out")
    orig=$(code_byte "$pid" "$addr")
    [ -n "$orig" ] && [ "$orig" != cc ] && pass "tick's code before ($orig)" || fail "tick's first byte before tracing: '$orig'"

    td_cdbg out trace -p "$pid" '^tick$' --max-hits 50
    expect_status 0 "--max-hits 50 ($v)"
    [ "$(grep -c '^> tick(i=' "$out")" = 50 ] && pass "50 entries" || fail "--max-hits 50: $(grep -c '^> tick' "$out") entries"
    # consecutive calls: i goes up by one
    grep -oE 'i=[0-9]+' "$out" | cut -d= -f2 | awk 'NR > 1 && $1 != p + 1 {bad = 1} {p = $1} END {exit bad}' &&
        pass "consecutive i ($v)" || fail "tick's i not consecutive ($v)"
    expect_line 'every probe removed, the process runs on$' "$out.err"
    check_untraced "$pid"
    [ "$(code_byte "$pid" "$addr")" = "$orig" ] && pass "tick's code restored ($v)" || fail "tick's code after detach: $(code_byte "$pid" "$addr")"

    # SIGKILL while tracing: the kernel takes the probes out, the program runs on
    "$CDBG" trace -p "$pid" '^tick$' --ret -o "$TD_TMP/kill_$v" 2>"$TD_TMP/kill_$v.err" &
    cpid=$!
    traced() { grep -q '^< tick' "$TD_TMP/kill_$v" 2>/dev/null; }
    probed() { [ "$(code_byte "$pid" "$addr")" = cc ]; }
    # the check below must be able to fail: while cdbg traces, the int3 is there
    td_wait_for "cdbg's probe in tick's code" probed && pass "int3 in while tracing ($v)"
    td_wait_for "a return in the trace" traced
    kill -KILL "$cpid"
    wait "$cpid" 2>/dev/null
    unprobed() { [ "$(code_byte "$pid" "$addr")" = "$orig" ]; }
    td_wait_for "tick's code without the probe after cdbg was killed" unprobed && pass "un-probed after SIGKILL ($v)"
    check_untraced "$pid"
    # it runs on: it stops when told and says how many ticks it made
    touch "$TD_TMP/stop_$v"
    wait "$pid"
    TD_RC=$?
    expect_status 0 "the program ended normally after all that ($v)"
done

# A thread that hops between CPUs on every call: the trace starts with no gap. Each CPU's event was
# enabled when opened, before its ring was mapped: calls on a CPU whose event had no ring yet were
# counted and lost, after calls on the CPU armed first had been recorded (a gap, reported as drops).
# The program never blocks, so it is started here rather than by td_start.
for v in O0 O2; do
    hop=$(td_bin trace_hop_$v) || exit 1
    "$hop" "$TD_TMP/stop_hop_$v" >"$TD_TMP/hop_$v.out" 2>&1 &
    pid=$!
    TD_PIDS+=("$pid")
    hop_ready() { grep -q '^ready$' "$TD_TMP/hop_$v.out"; }
    td_wait_for "trace_hop_$v to print ready" hop_ready || exit 1
    for b in uprobe auto; do
        td_cdbg out trace -p "$pid" '^tick$' --max-hits 300 --backend $b
        expect_status 0 "--max-hits 300 on a CPU-hopping thread ($v, $b)"
        grep -oE 'i=[0-9]+' "$out" | cut -d= -f2 | awk 'NR > 1 && $1 != p + 1 {bad = 1} {p = $1} END {exit bad || NR != 300}' &&
            pass "300 consecutive calls from the first ($v, $b)" ||
            fail "CPU-hopping tick's i not consecutive or not 300 ($v, $b): $(grep -oE 'i=[0-9]+' "$out" | head -5 | tr '\n' ' ')"
        expect_line ', 0 dropped; every probe removed, the process runs on$' "$out.err"
    done
    touch "$TD_TMP/stop_hop_$v"
    wait "$pid"
    TD_RC=$?
    expect_status 0 "the hopping program ended normally ($v)"
done

# another tracer holds the process: refused, status 4, the tracer still its tracer
td_start trace_spin_O0 "$TD_TMP/stop_t"
pid=$TD_PID
python3 - "$pid" "$CDBG" "$TD_TMP/held" <<'PY'
import ctypes, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
pid = int(sys.argv[1])
PTRACE_SEIZE = 0x4206
if libc.ptrace(PTRACE_SEIZE, pid, None, None) != 0:
    sys.exit("PTRACE_SEIZE failed: errno %d" % ctypes.get_errno())
r = subprocess.run([sys.argv[2], "trace", "-p", str(pid), "^tick$"], capture_output=True, text=True, timeout=120)
tracer = [l for l in open("/proc/%d/status" % pid) if l.startswith("TracerPid:")][0].split()[1]
open(sys.argv[3], "w").write("%d\n%s%s\n" % (r.returncode, r.stderr, tracer))
PY
mapfile -t held <"$TD_TMP/held"
TD_RC=${held[0]}
expect_status 4 "a process another tracer holds"
[[ ${held[1]} =~ ^cdbg:\ trace:\ process\ $pid\ is\ already\ traced\ by\ process\ [0-9]+\;\ detach\ that\ tracer\ first$ ]] &&
    pass "one line says who traces it" || fail "already traced: '${held[1]}'"
[ "${held[2]}" != 0 ] && pass "the other tracer kept it" || fail "TracerPid was 0 while the other tracer held it"
check_untraced "$pid"
touch "$TD_TMP/stop_t"
td_finish
