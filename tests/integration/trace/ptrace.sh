#!/bin/bash
# The ptrace backend (src/trace/ptrace.c) with --ret and on launched programs, at -O0 and -O2
# (ptrace_rec.c, built here): entries and returns paired, in order, for a recursive function and
# for four threads calling it (each return's value is what the matching call must return); the
# values and the event sequence equal the uprobe backend's, a double's is gdb's `finish`; calls
# left by longjmp are reported lost, never paired with a later return; --max-hits with --ret; a
# launched program's output and exit status; after --duration, Ctrl-C or --max-hits the program
# runs on, untraced (TracerPid 0) and with its code as in its file (/proc/PID/mem), the SIGKILL
# warning printed.
. "$SRCROOT/tests/integration/lib.sh"
CC=${CC:-cc}
need_tool "$CC" "building the test program"
need_tool gdb "the reference for a returned double"

# code_diff PID EXE: the bytes of EXE's executable mappings in PID that differ from the file
# ("" when none): an int3 left behind shows here
code_diff() {
    python3 - "$1" "$2" <<'PY'
import os, sys
pid, exe = sys.argv[1], os.path.realpath(sys.argv[2])
bad = []
with open("/proc/%s/mem" % pid, "rb") as mem, open(exe, "rb") as f:
    for l in open("/proc/%s/maps" % pid):
        p = l.split()
        if len(p) < 6 or "x" not in p[1] or os.path.realpath(p[5]) != exe:
            continue
        lo, hi = (int(x, 16) for x in p[0].split("-"))
        f.seek(int(p[2], 16))
        want = f.read(hi - lo)
        mem.seek(lo)
        got = mem.read(len(want))
        bad += ["%#x: %02x, file %02x" % (lo + i, got[i], want[i]) for i in range(len(want)) if got[i] != want[i]]
print(" ".join(bad[:4]))
PY
}

# norm FILE: the trace without what changes from run to run (times, thread ids)
norm() { sed -E 's/ \([0-9.]+ [µm]?s\)//; s/ \[tid [0-9]+\]$//' "$1"; }
# jnorm FILE: JSON events without times and thread ids
jnorm() { python3 -c 'import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    for k in ("ts_ns", "dur_ns", "tid"):
        e.pop(k, None)
    print(json.dumps(e, sort_keys=True))' "$1"; }

src=$SRCROOT/tests/integration/trace/ptrace_rec.c
for v in O0 O2; do
    exe=$TD_TMP/rec_$v
    "$CC" -g -$v -pthread -o "$exe" "$src" || { fail "cannot build ptrace_rec.c at -$v"; continue; }

    # a recursion: entries deepest last, returns innermost first, each with its call's value; the
    # program's own output and status
    tr=$TD_TMP/rec_$v.tr
    td_cdbg out trace --backend ptrace --ret '^depth$' -o "$tr" -- "$exe" rec 4 9
    expect_status 9 "the program's exit status ($v)"
    expect_exact_str "$out" "depth 4 = 10" # its stdout is its own
    expect_line '^rec: to stderr$' "$out.err"
    expect_line '^cdbg: trace: warning: the ptrace backend does not survive a SIGKILL of cdbg: the program is killed with it$' "$out.err"
    want=$(for n in 4 3 2 1 0; do echo "> depth(n=$n) ptrace_rec.c:LINE"; done
        for n in 0 1 2 3 4; do echo "< depth = $((n * (n + 1) / 2))"; done)
    got=$(norm "$tr" | sed -E 's/:[0-9]+$/:LINE/')
    [ "$got" = "$want" ] && pass "recursion: entries and returns paired ($v)" ||
        fail "recursion ($v): got $(echo "$got" | tr '\n' '|'), want $(echo "$want" | tr '\n' '|')"
    pid=$(sed -nE 's/^cdbg: trace: 1 tracepoint in process ([0-9]+):.*/\1/p' "$out.err")
    [ -n "$pid" ] && [ "$(grep -c "\[tid $pid\]\$" "$tr")" = 10 ] && pass "every event in the program's thread ($v)" ||
        fail "thread ids ($v): $(grep -o '\[tid [0-9]*\]' "$tr" | sort | uniq -c | tr '\n' ' ')"

    # the same events as the uprobe backend's, in JSON
    td_cdbg pj trace --backend ptrace --json --ret '^depth$' -o "$TD_TMP/pj_$v" -- "$exe" rec 6
    td_cdbg uj trace --backend uprobe --json --ret '^depth$' -o "$TD_TMP/uj_$v" -- "$exe" rec 6
    jnorm "$TD_TMP/uj_$v" >"$TD_TMP/uj_$v.n"
    [ "$(grep -c '"event": "return"' "$TD_TMP/uj_$v.n")" = 7 ] && pass "uprobe: 7 returns ($v)" || fail "uprobe ($v): $(head -c 300 "$TD_TMP/uj_$v")"
    expect_exact_str "$TD_TMP/uj_$v.n" "$(jnorm "$TD_TMP/pj_$v")"
    python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if "return" in l]
sys.exit(not (len(r) == 7 and all(e["dur_ns"] > 0 for e in r)))' "$TD_TMP/pj_$v" &&
        pass "every return has a positive dur_ns ($v)" || fail "dur_ns ($v): $(grep -m2 return "$TD_TMP/pj_$v")"

    # four threads: per thread, calls nest and each return is its call's value
    td_cdbg out trace --backend ptrace --json --ret '^depth$' -o "$TD_TMP/thr_$v" -- "$exe" thr 40
    expect_status 0 "four threads ($v)"
    res=$(python3 - "$TD_TMP/thr_$v" <<'PY'
import json, sys
stacks, tops = {}, {}
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] != "entry" and e["event"] != "return":
        sys.exit("not an entry or a return: %s" % e)
    s = stacks.setdefault(e["tid"], [])
    if e["event"] == "entry":
        n = e["args"]["n"]
        if s and n != s[-1] - 1:
            sys.exit("thread %d: depth(%d) entered inside depth(%d)" % (e["tid"], n, s[-1]))
        if not s:
            tops.setdefault(e["tid"], []).append(n)
        s.append(n)
    else:
        if not s:
            sys.exit("thread %d: a return without its entry" % e["tid"])
        n = s.pop()
        if int(e["return"]["value"]) != n * (n + 1) // 2 or not e["dur_ns"] > 0:
            sys.exit("thread %d: depth(%d) returned %s (dur %s)" % (e["tid"], n, e["return"]["value"], e["dur_ns"]))
if len(stacks) != 4 or any(stacks.values()):
    sys.exit("%d threads, calls without a return: %s" % (len(stacks), {t: s for t, s in stacks.items() if s}))
want = {t: [3 + (t + k) % 5 for k in range(40)] for t in range(4)}
got = sorted(tops.values())
if got != sorted(want.values()):
    sys.exit("the threads' calls: %s" % [g[:6] for g in got])
print("ok")
PY
)
    [ "$res" = ok ] && pass "four threads: every call paired with its return, in order ($v)" || fail "four threads ($v): $res"

    # a double comes back in xmm0: the values gdb's finish gives
    td_cdbg out trace --backend ptrace --ret '^half$' -- "$exe" half
    expect_status 0 "half ($v)"
    ours=$(sed -nE 's/^< half = ([^ ]+) .*/\1/p' "$out" | tr '\n' ' ')
    gdbv=$(gdb -nx -batch -ex 'break half' -ex run -ex finish -ex continue -ex finish --args "$exe" half 2>/dev/null |
        sed -n 's/^Value returned is \$[0-9]* = //p' | tr '\n' ' ')
    [ -n "$gdbv" ] && [ "$ours" = "$gdbv" ] && pass "double returns = gdb's finish: $gdbv($v)" ||
        fail "double returns ($v): ours '$ours', gdb's '$gdbv'"

    # longjmp out of dive(0) three times: dive's 12 calls never return and are reported lost; the
    # later depth(2) pairs with its own returns only
    td_cdbg out trace --backend ptrace --ret '^(dive|depth)$' -- "$exe" jump
    expect_status 0 "longjmp ($v)"
    expect_line '^landed 3, depth 3$' "$out"
    [ "$(grep -c '^! 1 returns of dive lost: a longjmp or an exception left the calls' "$out")" = 12 ] && pass "12 dive calls lost ($v)" ||
        fail "longjmp ($v): $(grep -c '^! 1 returns of dive lost: a longjmp or an exception left the calls' "$out") lost, expected 12"
    expect_no_line '^< dive' "$out"
    printf '< depth = 0\n< depth = 1\n< depth = 3\n' >"$TD_TMP/jump_tail"
    expect_exact_str "$TD_TMP/jump_tail" "$(norm "$out" | grep '^< ')"
    # lost returns are not lost records: no buffer was full (issue 12)
    expect_line '^cdbg: trace: dive \(ptrace\): 12 hits, 0 dropped, 12 returns lost$' "$out.err"
    expect_no_line 'ring buffer' "$out.err"
    # the internal int3s at return addresses are in while a call is pending on them, out when none
    # is: depth(3) blocks in its innermost call (four calls pending on two return addresses), then
    # the program blocks with nothing pending
    "$CDBG" trace --backend ptrace --ret '^depth$' -o "$TD_TMP/blk_$v" -- "$exe" block "$TD_TMP/g1_$v" "$TD_TMP/g2_$v" \
        >"$TD_TMP/blk_$v.out" 2>"$TD_TMP/blk_$v.err" &
    cpid=$!
    entered() { grep -q '^> depth(n=0)' "$TD_TMP/blk_$v" 2>/dev/null; }
    td_wait_for "depth(0) in the trace ($v)" entered
    pid=$(sed -nE 's/^cdbg: trace: 1 tracepoint in process ([0-9]+):.*/\1/p' "$TD_TMP/blk_$v.err")
    n=$(code_diff "$pid" "$exe" | wc -w)
    [ "$n" = 12 ] && pass "three int3s while calls are pending: the probe and two return addresses ($v)" ||
        fail "while calls are pending ($v): $(code_diff "$pid" "$exe")"
    touch "$TD_TMP/g1_$v"
    printed() { grep -q '^depth 3 = 6$' "$TD_TMP/blk_$v.out"; }
    td_wait_for "the program's line after the calls ($v)" printed
    n=$(code_diff "$pid" "$exe" | wc -w)
    [ "$n" = 4 ] && pass "only the probe's int3 once no call is pending ($v)" ||
        fail "no call pending ($v): $(code_diff "$pid" "$exe")"
    touch "$TD_TMP/g2_$v"
    wait "$cpid"
    TD_RC=$?
    expect_status 0 "block ($v)"
    [ "$(grep -c '^< depth' "$TD_TMP/blk_$v")" = 4 ] && pass "four returns ($v)" || fail "block ($v): $(cat "$TD_TMP/blk_$v")"

    # --max-hits with --ret: the first calls, then the probes go and the program runs to its end
    td_cdbg out trace --backend ptrace --ret --max-hits 3 '^work$' -o "$TD_TMP/max_$v" -- "$(td_bin trace_hot_$v)" 1000 5
    expect_status 5 "--max-hits 3 --ret: the program's status ($v)"
    expect_exact_str "$out" "sum 1000000"
    printf '> work(x=0)\n< work = 1\n> work(x=1)\n< work = 3\n> work(x=2)\n' >"$TD_TMP/max_$v.n"
    expect_exact_str "$TD_TMP/max_$v.n" "$(norm "$TD_TMP/max_$v" | sed -E 's/ hot\.c:[0-9]+$//')"

    # --duration on a launched program: it is let go, untraced and unpatched, and runs to its end
    spin=$(td_bin trace_spin_$v)
    "$CDBG" trace --backend ptrace --ret --duration 0.5 '^tick$' -o "$TD_TMP/dur_$v" -- "$spin" "$TD_TMP/stop_d$v" \
        >"$TD_TMP/dur_$v.out" 2>"$TD_TMP/dur_$v.err" &
    cpid=$!
    started() { grep -q '^cdbg: trace: 1 tracepoint in process' "$TD_TMP/dur_$v.err" 2>/dev/null; }
    td_wait_for "the trace to start ($v)" started
    pid=$(sed -nE 's/^cdbg: trace: 1 tracepoint in process ([0-9]+):.*/\1/p' "$TD_TMP/dur_$v.err")
    let_go() { grep -q '^TracerPid:[[:space:]]*0$' "/proc/$pid/status" 2>/dev/null; }
    td_wait_for "the program let go after --duration ($v)" let_go && check_untraced "$pid"
    d=$(code_diff "$pid" "$spin")
    [ -z "$d" ] && pass "its code is its file's after --duration ($v)" || fail "code changed after --duration ($v): $d"
    grep -q '^< tick = ' "$TD_TMP/dur_$v" && pass "ticks and returns traced meanwhile ($v)" || fail "nothing traced in 0.5 s ($v)"
    touch "$TD_TMP/stop_d$v"
    wait "$cpid"
    TD_RC=$?
    expect_status 0 "--duration: the program's status ($v)"
    expect_line '^ticks [0-9]+$' "$TD_TMP/dur_$v.out"

    # Ctrl-C, launched and attached: while the trace runs the int3s are in (the check can fail);
    # after it the program runs on, untraced and unpatched
    for how in launched attached; do
        if [ $how = launched ]; then
            "$CDBG" trace --backend ptrace --ret '^tick$' -o "$TD_TMP/int_${how}_$v" -- "$spin" "$TD_TMP/stop_i$v" \
                >"$TD_TMP/int_${how}_$v.out" 2>"$TD_TMP/int_${how}_$v.err" &
            cpid=$!
        else
            td_start trace_spin_$v "$TD_TMP/stop_i$v"
            "$CDBG" trace --backend ptrace --ret -p "$TD_PID" '^tick$' -o "$TD_TMP/int_${how}_$v" >/dev/null 2>"$TD_TMP/int_${how}_$v.err" &
            cpid=$!
        fi
        returned() { grep -q '^< tick = ' "$TD_TMP/int_${how}_$v" 2>/dev/null; }
        td_wait_for "a return of tick in the trace ($how, $v)" returned
        pid=$(sed -nE 's/^cdbg: trace: 1 tracepoint in process ([0-9]+):.*/\1/p' "$TD_TMP/int_${how}_$v.err")
        d=$(code_diff "$pid" "$spin")
        [ -n "$d" ] && pass "int3 in tick's code while tracing ($how, $v)" || fail "no int3 in the code while tracing ($how, $v)"
        kill -INT "$cpid"
        wait "$cpid"
        TD_RC=$?
        expect_status $([ $how = launched ] && echo 130 || echo 0) "Ctrl-C ($how, $v)"
        expect_line 'interrupted: every probe removed, the process runs on$' "$TD_TMP/int_${how}_$v.err"
        [ $how = attached ] &&
            expect_line '^cdbg: trace: warning: the ptrace backend does not survive a SIGKILL of cdbg: its breakpoints stay in the process, which dies of SIGTRAP at its next hit$' "$TD_TMP/int_${how}_$v.err"
        check_untraced "$pid"
        d=$(code_diff "$pid" "$spin")
        [ -z "$d" ] && pass "its code is its file's after Ctrl-C ($how, $v)" || fail "code changed after Ctrl-C ($how, $v): $d"
        touch "$TD_TMP/stop_i$v"
        gone() { ! _td_running "$pid"; }
        td_wait_for "the program's end after Ctrl-C ($how, $v)" gone
        [ $how = launched ] && expect_line '^ticks [0-9]+$' "$TD_TMP/int_${how}_$v.out"
        rm -f "$TD_TMP/stop_i$v"
    done
    # the same ^C typed at a terminal, where the program has the terminal while it runs
    td_pty_drive "^C at a terminal ($v)" 120 "$SRCROOT/tests/integration/trace/ptrace_pty.py" "$CDBG" "$spin" \
        "$TD_TMP/pty_$v" "$TD_TMP/stop_p$v" "$TD_TMP"
done
td_finish
