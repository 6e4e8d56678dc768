#!/bin/bash
# `cdbg trace --backend ptrace` end to end (src/trace/ptrace.c under the trace core): every one of
# 100,000 calls of work(int) logged once, in call order, with its argument (their sum exact), no
# drop, the program's own result right (the instruction under the int3, `lea 0x1(%rdi),%eax`, is
# emulated, never single-stepped), and the program's spinner thread, which never calls work,
# never stopped (the hitting thread alone stops: an all-stop tracer would stop it 100,000 times).
# Then --ret, which this backend does not record, is refused in one line (a location that cannot
# be emulated is refused by check(): tests/unit/test_trace_ptrace.c).
. "$SRCROOT/tests/integration/lib.sh"
need_tool python3 "reading the JSON lines"

exe=$TESTDATA/target/target_tracehot
N=100000
log=$TD_TMP/trace.json
err=$TD_TMP/trace.err
printf g | timeout -k 5 "$TD_CDBG_TIMEOUT" "$CDBG" trace --backend ptrace --json -o "$log" '^work$' -- "$exe" 1 $N \
    >"$TD_TMP/prog.out" 2>"$err"
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

# refusal
printf g | timeout -k 5 "$TD_CDBG_TIMEOUT" "$CDBG" trace --backend ptrace --ret '^work$' -- "$exe" 1 10 >/dev/null 2>"$err"
TD_RC=$?
expect_status 1 "--ret"
expect_line '^cdbg: trace: work: ptrace: cannot trace the returns of work: .*--ret needs the inline or uprobe backend' "$err"
td_finish
