#!/bin/bash
# `cdbg trace --backend ptrace` end to end (src/trace/ptrace.c under the trace core): every one of
# 100,000 calls of work(int) logged once, in call order, with its argument (their sum exact), no
# drop, the program's own result right (the instruction under the int3, `lea 0x1(%rdi),%eax`, is
# emulated, never single-stepped), and the program's spinner thread, which never calls work,
# never stopped (the hitting thread alone stops: an all-stop tracer would stop it 100,000 times).
# (--ret and launched programs through this backend: tests/integration/trace/ptrace.sh; a location
# that cannot be emulated is refused by check(): tests/unit/test_trace_ptrace.c.)
. "$SRCROOT/tests/integration/lib.sh"
need_tool python3 "reading the JSON lines"

exe=$TESTDATA/target/target_tracehot
N=100000
log=$TD_TMP/trace.json
err=$TD_TMP/trace.err
# attached (launched programs are trace/ptrace.sh's):
# the program waits for a byte on stdin before it starts, given once we are in
mkfifo "$TD_TMP/in"
"$exe" 1 $N <"$TD_TMP/in" >"$TD_TMP/prog.out" 2>&1 &
pid=$!
TD_PIDS+=("$pid")
exec 7>"$TD_TMP/in"
_ready() { grep -q '^work=' "$TD_TMP/prog.out" 2>/dev/null; }
td_wait_for "tracehot to start" _ready
timeout -k 5 "$TD_CDBG_TIMEOUT" "$CDBG" trace --backend ptrace --json -o "$log" -p "$pid" '^work$' 2>"$err" &
cpid=$!
_armed() { grep -q '^cdbg: trace: 1 tracepoint' "$err" 2>/dev/null || ! kill -0 "$cpid" 2>/dev/null; }
td_wait_for "the probe in process $pid" _armed
printf g >&7
exec 7>&-
wait "$pid"
wait "$cpid"
TD_RC=$?
expect_status 0 "trace"
expect_line '^cdbg: trace: 1 tracepoint in process [0-9]+: work \(ptrace\)$' "$err"
expect_line "^cdbg: trace: work \\(ptrace\\): $N hits, 0 dropped\$" "$err"
got=$(python3 - "$log" <<'PY'
import json, sys
n = s = bad = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o.get("event") != "entry" or o.get("function") != "work":
        bad += 1
        continue
    x = o["args"]["x"]
    if x != n:
        bad += 1
    n += 1
    s += x
print(n, s, bad)
PY
)
want="$N $((N * (N - 1) / 2)) 0"
[ "$got" = "$want" ] && pass "every call once, in order, arguments exact" ||
    fail "records (count, sum, out of order): expected '$want', got '$got'"
expect_line "^sum=$((N * (N + 1) / 2))\$" "$TD_TMP/prog.out"
expect_line '^spinner_vcs=[0-9]$' "$TD_TMP/prog.out"

td_finish
