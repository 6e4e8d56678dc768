#!/bin/bash
# cdbg trace --ret with --backend inline: the return address hijacked to a return trampoline, the
# real one kept on a per-thread shadow stack (src/trace/inline.c, docs/tracing-inline.md).
# testdata/inline/iret.c built by gcc and clang at -O0 (probes after the prologue) and -O2:
# - every call of the recursive depth() logged with its return value, in order, exactly as
#   depth's definition says (computed here), and half()'s double from xmm0; the same depth lines
#   as the uprobe backend (uretprobes) gives on the same program; JSON return events;
# - longjmp out of 4 nested traced calls, K times: the program runs on correctly and cdbg says it
#   lost 4K returns of thrower; the other function's returns still right; C++ exceptions and
#   pthread_exit through hijacked calls (the unwinder must never meet the trampoline);
# - 4 threads: each thread's calls nest and return the right values, none lost; two threads whose
#   TIDs fall on the same shadow stack hash chain;
# - --if, -e and --max-hits with --ret (max-hits removes the probes with calls in flight);
# - calls in flight when cdbg detaches (Ctrl-C) or is SIGKILLed: they return through the trampoline
#   later and the program ends normally with the right output.
. "$SRCROOT/tests/integration/lib.sh"

# depth(n) as iret.c defines it
d() { python3 -c 'import sys
def d(n): return 1 if n <= 0 else d(n-1)*2+n
print(d(int(sys.argv[1])))' "$1"; }
# norm FILE: the trace without durations, tids and lines (they vary)
norm() { sed -E 's/ \([0-9.]+ (ns|µs|ms|s)\)//; s/ \[tid [0-9]+\]//; s/ iret\.c:[0-9]+//' "$1"; }
# nested FILE FUNC: per thread, FUNC's entries and returns nest and every return is depth(n) of its
# entry; prints the number of returns checked, or a line saying what is wrong
nested() {
    python3 - "$1" "$2" <<'PY'
import re, sys
def d(n): return 1 if n <= 0 else d(n-1)*2+n
stacks, n = {}, 0
for line in open(sys.argv[1]):
    m = re.match(r'> %s\(n=(-?\d+)\).*\[tid (\d+)\]$' % sys.argv[2], line)
    if m:
        stacks.setdefault(m.group(2), []).append(int(m.group(1)))
        continue
    m = re.match(r'< %s = (-?\d+) \(.*\) \[tid (\d+)\]$' % sys.argv[2], line)
    if m:
        st = stacks.get(m.group(2))
        if not st:
            print("a return without its entry: " + line.strip()); sys.exit()
        k = st.pop()
        if int(m.group(1)) != d(k):
            print("depth(%d) returned %s, should be %d" % (k, m.group(1), d(k))); sys.exit()
        n += 1
left = sum(len(s) for s in stacks.values())
print(n if not left else "%d calls never returned" % left)
PY
}

# expect_status, and cdbg's stderr when it is not that (a failure says why)
expect_status_err() { [ "$TD_RC" -eq "$1" ] || { echo "cdbg's stderr:"; head -5 "$out.err"; } >&2; expect_status "$@"; }

N=6
for cc in gcc clang; do
    for v in O0 O2; do
        prog=$(td_bin "iret_${cc}_$v") || { fail "iret_${cc}_$v not built"; continue; }
        td_cdbg out trace --backend inline --ret '^(depth|half)$' -o "$TD_TMP/rec_${cc}_$v" -- "$prog" rec $N
        expect_status_err 0 "rec ($cc -$v)"
        grep -qx "rec=$(d $N) half=3.5" "$out" && pass "the program's output ($cc -$v)" ||
            fail "the program's output ($cc -$v): $(cat "$out")"
        expect_line '^cdbg: trace: 2 tracepoints in process [0-9]+: (half \(inline\) depth \(inline\)|depth \(inline\) half \(inline\))$' "$out.err"
        {
            for ((i = N; i >= 0; i--)); do echo "> depth(n=$i)"; done
            for ((i = 0; i <= N; i++)); do echo "< depth = $(d $i)"; done
            echo "< half = 3.5"
        } >"$TD_TMP/want"
        norm "$TD_TMP/rec_${cc}_$v" | grep -v '^> half' >"$TD_TMP/got"
        if cmp -s "$TD_TMP/want" "$TD_TMP/got"; then pass "every call and return of depth in order ($cc -$v)"
        else fail "the trace ($cc -$v):"; diff "$TD_TMP/want" "$TD_TMP/got" >&2; fi
        grep -Eq '^< depth = [0-9]+ \([0-9.]+ (ns|µs|ms)\) \[tid [0-9]+\]$' "$TD_TMP/rec_${cc}_$v" &&
            pass "durations ($cc -$v)" || fail "no duration on depth's returns ($cc -$v)"
        expect_line '^cdbg: trace: depth \(inline\): 7 hits, 0 dropped$' "$out.err"
        # the uprobe backend's uretprobes on the same program: the same lines for depth
        td_cdbg out trace --backend uprobe --ret '^depth$' -o "$TD_TMP/up_${cc}_$v" -- "$prog" rec $N
        expect_status_err 0 "uprobe rec ($cc -$v)"
        if cmp -s <(norm "$TD_TMP/up_${cc}_$v") <(grep -v half "$TD_TMP/want"); then
            pass "the uprobe backend agrees ($cc -$v)"
        else fail "uprobe and inline differ ($cc -$v)"; diff <(grep -v half "$TD_TMP/want") <(norm "$TD_TMP/up_${cc}_$v") >&2; fi
    done
done

prog=$(td_bin iret_gcc_O2)
# JSON: a return event per call, with the value and its type and dur_ns
td_cdbg out trace --backend inline --ret --json '^depth$' -o "$TD_TMP/json" -- "$prog" rec 2
expect_status_err 0 "--json"
python3 - "$TD_TMP/json" <<'PY' && pass "JSON return events" || fail "JSON return events: $(head -c 1500 "$TD_TMP/json")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
rets = [e for e in ev if e["event"] == "return"]
assert [e["return"] for e in rets] == [{"type": "int", "value": v} for v in (1, 3, 8)], rets
assert all(e["function"] == "depth" and isinstance(e["dur_ns"], int) and e["dur_ns"] > 0 for e in rets), rets
assert [e["event"] for e in ev] == ["entry"] * 3 + ["return"] * 3, ev
PY

# longjmp out of thrower(3)..thrower(0), K times: those returns never come
K=5
for v in O0 O2; do
    td_cdbg out trace --backend inline --ret '^(thrower|depth)$' -o "$TD_TMP/jmp_$v" -- "$(td_bin "iret_gcc_$v")" jmp $K
    expect_status_err 0 "longjmp (-$v)"
    grep -qx "jmp=$K depth=$(d 3)" "$out" && pass "the program ran on correctly after longjmp (-$v)" ||
        fail "after longjmp (-$v): $(cat "$out")"
    lost=$(sed -nE 's/^! ([0-9]+) returns of thrower lost: a longjmp or an exception left the calls, or their thread.s shadow stack was full$/\1/p' "$TD_TMP/jmp_$v" | paste -sd+ | bc)
    [ "$lost" = $((4 * K)) ] && pass "cdbg says $((4 * K)) returns of thrower were lost (-$v)" ||
        fail "lost returns said (-$v): '${lost}', want $((4 * K)); $(grep '^!' "$TD_TMP/jmp_$v")"
    [ "$(grep -c '^> thrower' "$TD_TMP/jmp_$v")" = $((4 * K)) ] && [ "$(grep -c '^< thrower' "$TD_TMP/jmp_$v")" = 0 ] &&
        pass "thrower's entries, no returns (-$v)" || fail "thrower's lines (-$v)"
    [ "$(nested "$TD_TMP/jmp_$v" depth)" = 4 ] && pass "depth's returns after the longjmps (-$v)" ||
        fail "depth after longjmp (-$v): $(nested "$TD_TMP/jmp_$v" depth)"
done

# C++ exceptions thrown through traced calls: the unwinder's entry points put the real return
# addresses back first (a trampoline address has no unwind information: std::terminate); f starts
# with a call (moved into the stub: it must return into f's own code for the same reason)
td_cdbg out trace --backend inline --ret '^_Z(1f|7catcher)i$' -o "$TD_TMP/throw" -- "$(td_bin iret_throw)" 5
expect_status_err 0 "exceptions through hijacked calls"
grep -qx 'caught=2 sum=61' "$out" && pass "the program caught its exceptions" || fail "exceptions: $(cat "$out") $(tail -3 "$out.err")"
# (traced by their symbols, shown demangled)
[ "$(grep -c '^< f ' "$TD_TMP/throw")" = 3 ] && grep -q '^< f = 41 ' "$TD_TMP/throw" && pass "f's returns that came" ||
    fail "f's returns: $(grep '^<' "$TD_TMP/throw")"
for fn in f catcher; do
    lost=$(sed -nE "s/^! ([0-9]+) returns of $fn lost: a longjmp or an exception left the calls.*/\1/p" "$TD_TMP/throw" | paste -sd+ | bc)
    [ "$lost" = 2 ] && pass "2 returns of $fn said lost" || fail "lost returns of $fn: '$lost'"
done
# pthread_exit from inside 4 traced calls: a forced unwind through them
td_cdbg out trace --backend inline --ret '^quitter$' -o "$TD_TMP/exit" -- "$prog" exit 3
expect_status_err 0 "pthread_exit through hijacked calls"
grep -qx 'exit=ok' "$out" && pass "the thread ended through pthread_exit" || fail "pthread_exit: $(cat "$out")"
expect_line '^! 4 returns of quitter lost: ' "$TD_TMP/exit"

# threads: 4 x 3000 calls of depth(i % 5), 3 nested calls each on average
td_cdbg out trace --backend inline --ret '^depth$' -o "$TD_TMP/thr" -- "$prog" threads 4 3000
expect_status_err 0 "threads"
grep -qx "threads=$((4 * 3000 / 5 * 73))" "$out" && pass "the threads' sums" || fail "threads: $(cat "$out")"
r=$(nested "$TD_TMP/thr" depth)
[ "$r" = 36000 ] && pass "36000 returns, nested per thread, right values" || fail "threads: $r"
[ "$(grep -oE '\[tid [0-9]+\]' "$TD_TMP/thr" | sort -u | wc -l)" = 4 ] && pass "4 threads" || fail "threads seen: $(grep -oE '\[tid [0-9]+\]' "$TD_TMP/thr" | sort -u | wc -l)"
expect_line '^cdbg: trace: 36000 hits, 36000 shown, 0 dropped$' "$out.err"

# two threads whose TIDs share a hash chain of the shadow stacks (equal modulo 1024), calling at the
# same time: each keeps its own stack
td_cdbg out trace --backend inline --ret '^depth$' -o "$TD_TMP/col" -- "$prog" collide 10000
expect_status_err 0 "colliding TIDs"
grep -qE "^collide=$((2 * 10000 / 5 * 73)) tries=[0-9]+$" "$out" && pass "the colliding threads' sums" || fail "collide: $(cat "$out")"
r=$(nested "$TD_TMP/col" depth)
[ "$r" = 60000 ] && pass "60000 returns of two threads on one hash chain, right values" || fail "collide: $r"
tids=$(grep -oE '\[tid [0-9]+\]' "$TD_TMP/col" | sort -u | tr -dc '0-9\n' | paste -sd' ')
set -- $tids
[ $# = 2 ] && [ $(($1 % 1024)) = $(($2 % 1024)) ] && pass "two threads, TIDs equal modulo 1024" || fail "collide TIDs: $tids"

# --if, -e with --ret: the calls shown get their returns, the others none
td_cdbg out trace --backend inline --ret --if 'n == 2' -e 'n * 10' '^depth$' -o "$TD_TMP/if" -- "$prog" rec 4
expect_status_err 0 "--if -e --ret"
printf '%s\n' '> depth(n=2) n * 10=20' '< depth = 8' >"$TD_TMP/want"
cmp -s "$TD_TMP/want" <(norm "$TD_TMP/if") && pass "--if and -e with --ret" ||
    { fail "--if -e --ret:"; diff "$TD_TMP/want" <(norm "$TD_TMP/if") >&2; }
# --max-hits takes the probes out with 3 calls in flight: they return through the trampoline
td_cdbg out trace --backend inline --ret --max-hits 3 '^depth$' -o "$TD_TMP/max" -- "$prog" rec 5
expect_status_err 0 "--max-hits 3 --ret"
grep -qx "rec=$(d 5) half=3.5" "$out" && pass "the program's output after --max-hits" || fail "after --max-hits: $(cat "$out")"
printf '%s\n' '> depth(n=5)' '> depth(n=4)' '> depth(n=3)' >"$TD_TMP/want"
cmp -s "$TD_TMP/want" <(norm "$TD_TMP/max") && pass "--max-hits 3: three entries" ||
    { fail "--max-hits --ret:"; diff "$TD_TMP/want" <(norm "$TD_TMP/max") >&2; }

# Calls in flight when cdbg leaves: attach, outer -> inner waits for a file; Ctrl-C detaches
td_start iret_gcc_O2 wait "$TD_TMP/w1"
pid=$TD_PID
"$CDBG" trace --backend inline --ret -p "$pid" '^(outer|inner)$' -o "$TD_TMP/w1.trace" 2>"$TD_TMP/w1.err" &
cpid=$!
armed() { grep -q '^cdbg: trace: 2 tracepoints' "$TD_TMP/w1.err"; }
td_wait_for "cdbg to arm" armed
touch "$TD_TMP/w1.go"
inflight() { grep -q '^> inner' "$TD_TMP/w1.trace" 2>/dev/null; }
td_wait_for "inner's entry" inflight && pass "inner entered while traced"
kill -INT "$cpid"
wait "$cpid"
TD_RC=$?
expect_status_err 0 "cdbg detached with 2 calls in flight"
check_untraced "$pid"
# the detach put the real return addresses back: a debugger sees whole stacks (while cdbg traced,
# the trampoline was inner's return address: `?? (in a mapping of no module)`, where unwinding
# stopped), and the calls return without the trampoline
td_cdbg out stacks "$pid"
expect_line '^#2 +0x[0-9a-f]+ in inner at iret\.c:[0-9]+$' "$out"
expect_line '^#3 +0x[0-9a-f]+ in outer at iret\.c:[0-9]+$' "$out"
expect_line '^#4 +0x[0-9a-f]+ in main at iret\.c:[0-9]+$' "$out"
expect_no_line '\?\?' "$out"
gdb -nx -batch -p "$pid" -ex bt >"$TD_TMP/gdb_bt" 2>&1
grep -Eq '^#[0-9]+ +0x[0-9a-f]+ in outer \(' "$TD_TMP/gdb_bt" && grep -Eq '^#[0-9]+ +0x[0-9a-f]+ in main \(' "$TD_TMP/gdb_bt" &&
    pass "gdb's bt after the detach: inner, outer, main" || { fail "gdb's bt after the detach"; td_show "$TD_TMP/gdb_bt"; }
check_untraced "$pid"
touch "$TD_TMP/w1"
wait "$pid"
TD_RC=$?
expect_status_err 0 "the program ended normally after returning through the trampoline"
grep -qx 'wait=47' "$(dirname "$(ls "$TD_TMP"/proc.*/out | head -1)")/out" && pass "outer's result after the detach" ||
    fail "the program's output: $(cat "$TD_TMP"/proc.*/out)"

# SIGKILL of cdbg with two calls in flight in a program it launched
touch "$TD_TMP/w2.go"
"$CDBG" trace --backend inline --ret '^(outer|inner)$' -o "$TD_TMP/w2.trace" -- "$prog" wait "$TD_TMP/w2" >"$TD_TMP/w2.out" 2>"$TD_TMP/w2.err" &
cpid=$!
inflight() { grep -q '^> inner' "$TD_TMP/w2.trace" 2>/dev/null; }
td_wait_for "inner's entry" inflight && pass "inner entered (launched)"
ppid=$(sed -nE 's/^cdbg: trace: 2 tracepoints in process ([0-9]+):.*/\1/p' "$TD_TMP/w2.err")
kill -KILL "$cpid"
wait "$cpid" 2>/dev/null
[ -n "$ppid" ] && check_untraced "$ppid"
touch "$TD_TMP/w2"
ended() { grep -qx 'wait=47' "$TD_TMP/w2.out"; }
td_wait_for "the program to finish after cdbg's SIGKILL" ended && pass "the program returned through the trampoline and finished"
gone() { ! _td_running "$ppid"; }
td_wait_for "the program to exit" gone && pass "the program exited"
td_finish
