#!/bin/bash
# cdbg lockorder (issue 15 section 2): lock-order inversions found from runs that never deadlocked
# (testdata/lockorder/lo.c, each mode's phases sequential): reported with both edges' function and
# file:line (exit 3), at -O0 and -O2; a pair gated by a common lock, recursion on a recursive lock,
# a cycle closed by a trylock and one closed only through read locks of reader-preferring rwlocks
# are not reported (exit 0), with a writer or writer-preferring rwlocks it is; a read lock is no gate; one thread taking both orders is; a
# lock taken under a successful trylock is an edge; a condition wait retakes its mutex; a lock
# destroyed or re-initialised and a new one at its address are two locks; 1000 threads; -p attach (the program runs on, untraced);
# bad input: no lock taken, a core, no libc.
. "$SRCROOT/tests/integration/lib.sh"

SRC=$SRCROOT/testdata/lockorder/lo.c
# line MARKER: the line number of the marker comment in lo.c
line() { grep -n "$1" "$SRC" | head -1 | cut -d: -f1; }
AB=$(line EDGE_AB)
BA=$(line EDGE_BA)
CA=$(line EDGE_CA)
AC=$(line EDGE_AC)
TAB=$(line EDGE_TRYAB)
HTRY=$(line HELD_TRY)
HCW=$(line HELD_CW)
TRDB=$(line EDGE_TRYRDB)
BRW=$(line EDGE_BRW)
HTRD=$(line HELD_TRYRD)
RG=$(line EDGE_REGEN)
RDAB=$(line EDGE_RDAB)
RDBA=$(line EDGE_RDBA)
WRAB=$(line EDGE_WRAB)

for v in O0 O2; do
    exe=$(td_bin lockorder_lo_$v) || exit 1
    td_cdbg out lockorder -- "$exe" inversion
    expect_status 3 "inversion ($v)"
    expect_line '^potential deadlock 1: lock-order inversion between lock_(a|b) and lock_(a|b)$' "$out"
    expect_line "^  thread [0-9]+ took mutex lock_b while holding mutex lock_a \(1 time\)$" "$out"
    expect_line "^    lock_b taken in phase1 at .*lo.c:$AB$" "$out"
    expect_line "^    lock_a taken in phase2 at .*lo.c:$BA$" "$out"
    # the caller's caller, unwound from the stack words the record copied
    expect_line "^      #1 start_thread at " "$out"
    expect_no_line '^potential deadlock 2' "$out"
    expect_line '^inversion: ok$' "$out"  # the program's own output, unchanged
    expect_line 'exited with status 0$' "$out.err"

    td_cdbg out lockorder --json -- "$exe" inversion
    expect_status 3 "inversion --json ($v)"
    python3 - "$out" "$AB" "$BA" <<'PY' && pass "json edges ($v)" || fail "json edges ($v)"
import json, sys
doc = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][0])
assert len(doc["cycles"]) == 1, doc
e = {(x["held"], x["acquired"]): x for x in doc["cycles"][0]["edges"]}
assert set(e) == {("lock_a", "lock_b"), ("lock_b", "lock_a")}, e
ab, ba = e[("lock_a", "lock_b")], e[("lock_b", "lock_a")]
assert ab["function"] == "phase1" and ab["line"] == int(sys.argv[2]) and ab["file"].endswith("lo.c"), ab
assert ba["function"] == "phase2" and ba["line"] == int(sys.argv[3]), ba
assert ab["tid"] != ba["tid"], (ab["tid"], ba["tid"])
assert ab["stack"][0]["function"] == "phase1", ab["stack"]
PY

    td_cdbg out lockorder -- "$exe" self
    expect_status 3 "one thread, both orders ($v)"
    expect_line "^    lock_b taken in phase1 at .*lo.c:$AB$" "$out"
    expect_line "^    lock_a taken in phase2 at .*lo.c:$BA$" "$out"

    td_cdbg out lockorder -- "$exe" gated
    expect_status 0 "gated pair ($v)"
    expect_line '^no lock-order inversion' "$out"
    expect_line ' 1 gated, 0 read-shared \(not reported\)$' "$out.err"

    # rwlocks read-locked in both orders: a reader is let in while another reads (glibc's default
    # kind), neither thread could wait for the other
    td_cdbg out lockorder -- "$exe" rdrd
    expect_status 0 "read-read rwlock orders ($v)"
    expect_no_line '^potential deadlock' "$out"
    expect_line ' 0 gated, 1 read-shared \(not reported\)$' "$out.err"
    # one side write-locks both: it waits for the reader, the reader for it
    td_cdbg out lockorder -- "$exe" rdwr
    expect_status 3 "a read-write rwlock cycle ($v)"
    expect_line "^  thread [0-9]+ took rwlock rw_b \(write\) while holding rwlock rw_a \(write\) \(1 time\)$" "$out"
    expect_line "^  thread [0-9]+ took rwlock rw_a \(read\) while holding rwlock rw_b \(read\) \(1 time\)$" "$out"
    expect_line "^    rw_b taken in wr_ab at .*lo.c:$WRAB$" "$out"
    expect_line "^    rw_a taken in rd_ba at .*lo.c:$RDBA$" "$out"

    td_cdbg out lockorder -- "$exe" recursive
    expect_status 0 "recursion on a recursive mutex ($v)"
    expect_no_line '^potential deadlock' "$out"

    td_cdbg out lockorder -- "$exe" trylock
    expect_status 0 "a cycle closed by a trylock ($v)"
    expect_no_line '^potential deadlock' "$out"

    # a blocking lock under a successful trylock is an edge: the trylock's return (uprobe) and the
    # lock's entry (inline) are replayed in the order they happened
    td_cdbg out lockorder -- "$exe" trythen
    expect_status 3 "a lock taken under a trylock ($v)"
    expect_line "^    lock_b taken in trythen at .*lo.c:$TAB$" "$out"
    expect_line "^    lock_a taken in phase2 at .*lo.c:$BA$" "$out"
    # where the held lock was taken: the trylock's call, from the return address its entry copied
    expect_line "^    lock_a held since trythen at .*lo.c:$HTRY$" "$out"

    # the same under a read trylock, which the inline backend refuses on glibc 2.36: its return
    # (uretprobe) and the lock's entry (inline) come from two streams merged by time
    td_cdbg out lockorder -- "$exe" tryrdthen
    expect_status 3 "a lock taken under a read trylock ($v)"
    expect_line "^  thread [0-9]+ took mutex lock_b while holding rwlock rwl \(read\) \(1 time\)$" "$out"
    expect_line "^    lock_b taken in tryrdthen at .*lo.c:$TRDB$" "$out"
    expect_line "^    rwl held since tryrdthen at .*lo.c:$HTRD$" "$out"
    expect_line "^    rwl taken in wrunder_b at .*lo.c:$BRW$" "$out"
    expect_line '^tryrdthen: ok$' "$out"

    # locks destroyed (or re-initialised) and new ones made at their addresses, taken in the other
    # order: other locks, no cycle (mutexes and an rwlock, fixed addresses and the heap)
    td_cdbg out lockorder -- "$exe" reuse
    expect_status 0 "locks at the addresses of destroyed ones ($v)"
    expect_no_line '^potential deadlock' "$out"
    expect_line '^no lock-order inversion: 17 locks, ' "$out"
    expect_line '^reuse: ok$' "$out"

    # an inversion within one life after a re-init is reported, its locks named with their generation
    td_cdbg out lockorder -- "$exe" regen
    expect_status 3 "an inversion between re-initialised locks ($v)"
    expect_line '^potential deadlock 1: lock-order inversion between [^ ]+ \(generation 2\) and [^ ]+ \(generation 2\)$' "$out"
    expect_line "^      #[01] regen2 at .*lo.c:$RG$" "$out"
    expect_no_line '^potential deadlock 2' "$out"

    td_cdbg out lockorder -- "$exe" cond
    expect_status 3 "a condition wait retakes its mutex ($v)"
    expect_line "^    lock_a taken in waiter at .*lo.c:$CA$" "$out"
    expect_line "^    cmu taken in signaller at .*lo.c:$AC$" "$out"
    expect_line "^    cmu held since waiter at .*lo.c:$HCW$" "$out"
done

# read lock then mutex against mutex then read lock: the reader is let in, no deadlock
exe=$(td_bin lockorder_lo_O2) || exit 1
td_cdbg out lockorder -- "$exe" rdmix
expect_status 0 "read lock, mutex / mutex, read lock"
expect_line ' 0 gated, 1 read-shared \(not reported\)$' "$out.err"
# writer-preferring rwlocks (pthread_rwlockattr_setkind_np, then init): a reader waits behind a
# queued writer, so read-read orders can deadlock
td_cdbg out lockorder --json -- "$exe" rdwpref
expect_status 3 "read-read orders on writer-preferring rwlocks"
python3 - "$out" "$RDAB" "$RDBA" <<'PY' && pass "json modes (rdwpref)" || fail "json modes (rdwpref)"
import json, sys
doc = json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][0])
assert len(doc["cycles"]) == 1 and doc["shared_cycles"] == 0, doc
e = {(x["held"], x["acquired"]): x for x in doc["cycles"][0]["edges"]}
assert set(e) == {("rw_a", "rw_b"), ("rw_b", "rw_a")}, e
for x in e.values():
    assert x["held_mode"] == "read" and x["acquired_mode"] == "read" and x["held_kind"] == "rwlock", x
assert e[("rw_a", "rw_b")]["line"] == int(sys.argv[2]) and e[("rw_b", "rw_a")]["line"] == int(sys.argv[3]), e
PY
# a read lock is no gate: both threads can hold it while they take lock_a and lock_b in turn
td_cdbg out lockorder -- "$exe" rdgate
expect_status 3 "an inversion under a common read lock"
expect_line "^    lock_b taken in phase1 at .*lo.c:$AB$" "$out"
expect_line ' 0 gated, 0 read-shared \(not reported\)$' "$out.err"

# 1000 threads, no inversion: the program completes, every thread seen
exe=$(td_bin lockorder_lo_O2) || exit 1
td_cdbg out lockorder -- "$exe" many
expect_status 0 "1000 threads"
expect_line '^1000 threads done$' "$out"
expect_line '^no lock-order inversion: 2 locks, 1 order edge, 1001 threads$' "$out"

# no pthread lock taken: said so
td_cdbg out lockorder -- "$exe" none
expect_status 0 "no lock used"
expect_line '^no pthread lock was taken in process [0-9]+ while it was recorded: nothing to check$' "$out"

# -p: the program waits for SIGUSR1 to run its phases, SIGUSR2 to end
td_start lockorder_lo_O0 wait
pid=$TD_PID
pout=$(ls -d "$TD_TMP"/proc.*/out | head -1)
"$CDBG" lockorder -p "$pid" >"$TD_TMP/att.out" 2>"$TD_TMP/att.err" &
cpid=$!
armed() { grep -q 'recording the lock operations' "$TD_TMP/att.err"; }
td_wait_for "cdbg lockorder to arm its probes" armed
kill -USR1 "$pid"
done_() { grep -qx 'phases done' "$pout"; }
td_wait_for "the program's phases" done_
# its records are read within a poll after they were made; the end of the run delivers the rest
kill -INT "$cpid"
# the reader waits for a batch of records only up to its poll's timeout: Ctrl-C is seen at once
# (the program keeps waiting for SIGUSR2 meanwhile: nothing else would end the poll)
cdbg_ended() { [ ! -e "/proc/$cpid" ] || [ "$(awk '{print $3}' "/proc/$cpid/stat" 2>/dev/null)" = Z ]; }
td_wait_for "cdbg lockorder to end at Ctrl-C while the program is idle" cdbg_ended || kill -KILL "$cpid"
wait "$cpid"
TD_RC=$?
expect_status 3 "-p: an inversion"
expect_line "^    lock_b taken in phase1 at .*lo.c:$AB$" "$TD_TMP/att.out"
expect_line "^    lock_a taken in phase2 at .*lo.c:$BA$" "$TD_TMP/att.out"
expect_line "every probe removed, process $pid runs on$" "$TD_TMP/att.err"
check_untraced "$pid"
kill -USR2 "$pid"
wait "$pid"
TD_RC=$?
expect_status 0 "the program ended normally after that"
expect_line '^wait: ok$' "$pout"

# a core: refused, it needs a run
core=$(mktemp "$TD_TMP/core.XXXXXX")
python3 -c 'import sys; sys.stdout.buffer.write(b"\x7fELF\x02\x01\x01" + b"\0" * 9 + b"\x04\x00" + b"\0" * 46)' >"$core"
td_cdbg out lockorder "$exe" "$core"
expect_status 2 "a core"
expect_line 'is a core: lock order is learnt from a run' "$out.err"

# no libc: a static program without pthread (nothing to trace)
if command -v gcc >/dev/null; then
    printf 'int main(void){return 0;}\n' >"$TD_TMP/st.c"
    gcc -static -o "$TD_TMP/st" "$TD_TMP/st.c" && strip "$TD_TMP/st"
    td_cdbg out lockorder -- "$TD_TMP/st"
    expect_status 1 "a static binary without symbols"
    expect_line 'no pthread lock function to trace \(pthread_mutex_lock, .*pthread_cond_clockwait not found' "$out.err"
fi
td_cdbg out lockorder -p
expect_status 2 "-p without PID"

# std::mutex at clang++ -O2: the wrappers (std::mutex::lock, __gthread_mutex_lock) are inlined at
# the program's lines; both the taken and the held line name the program's, not gthr-default.h
need_tool clang++ "the C++ lock-order program"
CXXSRC=$SRCROOT/testdata/lockorder/locxx.cpp
cline() { grep -n "$1" "$CXXSRC" | head -1 | cut -d: -f1; }
exe=$(td_bin lockorder_locxx_clang_O2) || exit 1
td_cdbg out lockorder -- "$exe"
expect_status 3 "std::mutex inversion (clang++ -O2)"
expect_line "^    mB taken in inv1 at .*locxx.cpp:$(cline EDGE_AB)$" "$out"
expect_line "^    mA held since inv1 at .*locxx.cpp:$(cline HELD_A1)$" "$out"
expect_line "^    mB held since inv2 at .*locxx.cpp:$(cline HELD_B2)$" "$out"
expect_no_line 'gthr-default' "$out"
td_finish
